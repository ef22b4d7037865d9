#!/usr/bin/env bash
# `axnet policy push` that gets no answer says it cannot tell: the instance
# is frozen (SIGSTOP) with the push request in its socket and then killed,
# so the CLI sees the connection close with neither "pushed" nor an error.
# It must exit 3 (not 1: a refusal), say the push may or may not be in
# force, print the policy's sha256 (of the canonical text, as the log entry
# names it) and how to find out. After a restart the user does find out:
# `axnet policy show` names the hash in force and `axnet log` has no
# policy-push entry with the printed one; pushed again, the same hash is
# what the log entry and `policy show` name.
. "$(dirname "$0")/lib.sh"

WORK=$(mktemp -d /tmp/axnet-push.XXXXXX)
PUSH_PID=
push_cleanup() {
	local rc=$?
	[ -n "$AXNET_PID" ] && kill -CONT "$AXNET_PID" 2>/dev/null
	[ -n "$PUSH_PID" ] && kill "$PUSH_PID" 2>/dev/null
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}
trap push_cleanup EXIT

make_pair
printf '# first\ndefault deny\nallow in icmp\n' >"$WORK/p1.pol"
printf '# second\ndefault deny\nallow in icmp\nallow in tcp to port 7\n' >"$WORK/p2.pol"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --policy "$WORK/p1.pol"

# The documented exit statuses.
help=$("$AXNET" policy push --help) || fail "policy push --help exits $?"
echo "$help" | grep -q "3 unknown: the" || fail "push --help does not document exit 3"
pass "push --help documents exit status 3"

kill -STOP "$AXNET_PID"
"$AXNET" policy push --state-dir "$STATE" "$WORK/p2.pol" >"$WORK/out" 2>"$WORK/err" &
PUSH_PID=$!
sleep 0.5
kill -0 "$PUSH_PID" 2>/dev/null || { cat "$WORK/err"; fail "the push did not wait for the frozen instance"; }
kill -KILL "$AXNET_PID"
wait "$AXNET_PID" 2>/dev/null
AXNET_PID=
wait "$PUSH_PID"
rc=$?
PUSH_PID=
cat "$WORK/err"
expect_eq "exit status of a push whose instance died before answering" "$rc" 3
hash=$(sed -n 's/^  policy sha256 \([0-9a-f]\{64\}\)$/\1/p' "$WORK/err")
[ -n "$hash" ] || fail "no sha256 in the message"
grep -q "^axnet policy push: the instance closed the connection before confirming; the push may or may not be in force.$" \
	"$WORK/err" || fail "the message does not say the outcome is unknown"
grep -q "axnet policy show" "$WORK/err" && grep -q "sha256=$hash" "$WORK/err" && grep -q "axnet log" "$WORK/err" ||
	fail "the message does not say how to find out"
grep -q "closed the connection early" "$WORK/err" && fail "the old message is still there"
pass "an unanswered push says so, with sha256 $hash and how to find out"

# Restart (the pins of a killed instance are reclaimed) and find out.
rm -f "$STATE/control.sock"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
show=$("$AXNET" policy show --state-dir "$STATE" | head -1)
echo "$show"
echo "$show" | grep -q "sha256 [0-9a-f]\{64\}$" || fail "policy show names no sha256: $show"
echo "$show" | grep -q "sha256 $hash$" && fail "the frozen push is in force"
"$AXNET" log --state-dir "$STATE" | grep -q "sha256=$hash" && fail "the log has the unanswered push"
pass "after the restart: policy show and the log say the push is not in force"

out=$("$AXNET" policy push --state-dir "$STATE" "$WORK/p2.pol") || fail "push p2: $out"
"$AXNET" policy show --state-dir "$STATE" >"$WORK/show" || fail "policy show"
cat "$WORK/show"
expect_eq "lines of policy show (header, default, two rules)" "$(wc -l <"$WORK/show")" 4
grep -q "^allow in tcp to port 7 " "$WORK/show" || fail "policy show lacks the pushed rule"
"$AXNET" policy show --state-dir "$STATE" | head -1 | grep -q "sha256 $hash$" ||
	fail "policy show does not name the hash the failed push printed"
"$AXNET" log --state-dir "$STATE" | grep "policy-push" | tail -1 | grep -q "sha256=$hash" ||
	fail "the log's policy-push entry names another hash"
pass "pushed again: the log entry and policy show name the hash printed before"
stop_axnet
exit 0
