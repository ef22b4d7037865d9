#!/usr/bin/env bash
# Fleet policy end to end: a 3-member etcd cluster (etcd.sh), axnet
# instances on their own veth pairs, each daemon's namespace attached to
# the cluster's bridge, run with --fleet-policy:
#  - a first fleet version (pushed with --wait all) allows the kernel
#    client's connections: a live connection through each instance;
#  - a second version no longer allows them: `axnet policy push --wait all`
#    returns once both report it, the live connection on each is reset,
#    `axnet policy status --fleet` shows the version on both, and each
#    instance's log has the policy-push entry naming the fleet version and
#    the revoke entry; the time from push to in force on both is printed;
#  - a bad file is refused with file:line:col and nothing is stored;
#  - an instance that stops leaves `status` at once; one started later
#    takes the current version at start;
#  - a version stored behind the CLI's back that does not parse is reported
#    state=error and changes nothing; an older one is ignored (never back);
#    the next push counts on from the instances' versions and applies;
#  - two concurrent pushes get two versions (none lost); --wait N times out;
#  - two members killed: a push is refused, the instances keep their
#    policy; members back: the next push applies;
#  - an instance cut off from etcd keeps its policy (--wait all names it
#    at the timeout) and takes the version it missed once it can.
# e2e-timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

WORK=$(mktemp -d /tmp/axnet-fleet.XXXXXX)
# Where the instances' logs live: etcd (--axiom, each its own prefix
# axnet/log/NAME), or FLEET_AXIOM=file for their state directories: the
# fleet's policy does not depend on it.
FLEET_AXIOM=${FLEET_AXIOM:-etcd}
# Instance I (1..3): namespaces NSI_A[I] (axnet, attached to etcd) and
# NSI_B[I] (the kernel client), interfaces IFI_A/IFI_B, its own state
# directory and log. Each pair is a link of its own, so all use lib.sh's
# addresses.
NSI_A=("" "$NS_A" "axt${ID}c" "axt${ID}g")
NSI_B=("" "$NS_B" "axt${ID}d" "axt${ID}h")
IFI_A=("" "$IF_A" "axc${ID}" "axg${ID}")
IFI_B=("" "$IF_B" "axd${ID}" "axh${ID}")
STATEI=("" "$STATE" "$STATE-2" "$STATE-3")
PIDI=("" "" "" "")
NAMEI=("" "fleet-a" "fleet-b" "")
HOLD=()

fleet_cleanup() {
	local rc=$? i
	for p in "${HOLD[@]}"; do kill "$p" 2>/dev/null; done
	for i in 1 2 3; do
		[ -n "${PIDI[$i]}" ] && stop_pid "${PIDI[$i]}"
		if [ $rc -ne 0 ] && [ -s "$WORK/axnet$i.log" ]; then
			echo "--- axnet instance $i log ---" >&2
			tail -25 "$WORK/axnet$i.log" >&2
		fi
		[ "$i" -eq 1 ] && continue # lib.sh's cleanup has these
		ip netns del "${NSI_A[$i]}" 2>/dev/null
		ip netns del "${NSI_B[$i]}" 2>/dev/null
		rm -rf "${STATEI[$i]}"
	done
	rm -rf "$WORK"
	(exit $rc)
	etcd_cleanup
	cleanup
}
trap fleet_cleanup EXIT

# pair I: instance I's namespaces and veth pair (lib.sh's make_pair, named).
pair() {
	local i=$1
	if [ "$i" -eq 1 ]; then make_pair; return; fi
	NS_A=${NSI_A[$i]} NS_B=${NSI_B[$i]} IF_A=${IFI_A[$i]} IF_B=${IFI_B[$i]} make_pair
}

# start_inst I: axnet on instance I's pair with --fleet-policy (no
# --policy: the default until the fleet's comes), waits until it answers.
start_inst() {
	local i=$1 name=() axiom=()
	[ -n "${NAMEI[$i]}" ] && name=(--name "${NAMEI[$i]}")
	[ "$FLEET_AXIOM" = etcd ] && axiom=(--axiom "$ETCD_URL")
	"$AXNET" run --state-dir "${STATEI[$i]}" --ifname "${IFI_A[$i]}" --addr "$AXNET_IP/24" \
		--netns "${NSI_A[$i]}" --serve echo:7 --fleet-policy "$ETCD_URL" "${name[@]}" \
		"${axiom[@]}" >"$WORK/axnet$i.log" 2>&1 &
	PIDI[$i]=$!
	for _ in $(seq 100); do
		"$AXNET" stats --state-dir "${STATEI[$i]}" >/dev/null 2>&1 && return 0
		kill -0 "${PIDI[$i]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/axnet$i.log" >&2
	fail "axnet instance $i did not come up"
}

# stop_inst I: SIGTERM; exit 0 and no sanitizer report.
stop_inst() {
	local i=$1 rc
	kill -TERM "${PIDI[$i]}"
	wait "${PIDI[$i]}"; rc=$?
	PIDI[$i]=
	[ $rc -eq 0 ] || fail "axnet instance $i exited with $rc"
	grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/axnet$i.log" &&
		fail "sanitizer report in instance $i's log"
	return 0
}

# The CLI where etcd is reachable: the cluster's bridge namespace.
fleet() { ip netns exec "$NS_E" "$AXNET" policy "$@" --fleet "$ETCD_URL"; }
# status_of NAME: the instance's status line, less its name.
status_of() { fleet status | awk -v n="$1" '$1 == n { $1 = ""; sub(/^ /, ""); print }'; }
# ilog I [verify]: instance I's log (or its verification), wherever it is.
ilog() {
	if [ "$FLEET_AXIOM" = etcd ]; then
		ip netns exec "$NS_E" "$AXNET" log ${2:+"$2"} --axiom "$ETCD_URL" --name "${NAMEI[$1]}"
	else
		"$AXNET" log ${2:+"$2"} --state-dir "${STATEI[$1]}"
	fi
}

# hold I: a connection from instance I's kernel client to its echo port,
# held open; prints "reset", "eof" or "timeout" when it ends.
hold() {
	local i=$1
	ip netns exec "${NSI_B[$i]}" python3 - "$AXNET_IP" >"$WORK/live$i.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=10)
s.sendall(b"hello\n")
assert s.recv(16) == b"hello\n"
print("ready", flush=True)
s.settimeout(30)
try:
    d = s.recv(16)
    print("eof" if not d else "data", flush=True)
except ConnectionResetError:
    print("reset", flush=True)
except socket.timeout:
    print("timeout", flush=True)
EOF
	HOLD[$i]=$!
	for _ in $(seq 100); do grep -q ready "$WORK/live$i.out" && break; sleep 0.1; done
	grep -q ready "$WORK/live$i.out" || { cat "$WORK/live$i.out"; fail "live connection $i did not come up"; }
}

# echo_ok I: a fresh connection through instance I echoes (0) or not.
echo_ok() {
	ip netns exec "${NSI_B[$1]}" python3 - "$AXNET_IP" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=3)
s.sendall(b"ping\n")
s.settimeout(3)
sys.exit(0 if s.recv(16) == b"ping\n" else 1)
EOF
}

cat >"$WORK/v1.pol" <<EOF
# fleet, first version: the kernel client may use the echo port
default deny
allow in icmp
allow in tcp from $KERNEL_B to port 7
EOF
cat >"$WORK/v2.pol" <<EOF
# fleet, second version: no more inbound TCP
default deny
allow in icmp
EOF
printf '# a typo\ndefault deny\nallow in tcp to port 70000\n' >"$WORK/bad.pol"
V1_SHA=$("$AXNET" policy check "$WORK/v1.pol" | sed -n 's/.*sha256 \([0-9a-f]*\)$/\1/p')
V2_SHA=$("$AXNET" policy check "$WORK/v2.pol" | sed -n 's/.*sha256 \([0-9a-f]*\)$/\1/p')
[ ${#V1_SHA} -eq 64 ] && [ ${#V2_SHA} -eq 64 ] || fail "policy check gave no sha256"

etcd_cluster_start 3
pair 1
pair 2
etcd_attach "${NSI_A[1]}" 20
etcd_attach "${NSI_A[2]}" 21

# Nothing pushed yet: the status says so.
out=$(fleet status) || fail "status on an empty fleet: $out"
expect_eq "status before any push" "$out" "policy none"

start_inst 1
start_inst 2
# Both list themselves (version 0: no fleet version yet) within a lease's
# first put.
for _ in $(seq 50); do
	[ "$(fleet status | grep -c ' version=0 .*state=applied$')" -eq 2 ] && break
	sleep 0.1
done
[ "$(fleet status | grep -c ' version=0 .*state=applied$')" -eq 2 ] ||
	fail "instances not listed at version 0: $(fleet status)"
pass "both instances listed in status before any version (version=0)"
echo_ok 1 && fail "the default policy let an inbound connection through"

# --- version 1 ------------------------------------------------------------------
out=$(fleet push "$WORK/v1.pol" --wait all --timeout 20) || fail "push v1: $out"
echo "$out"
echo "$out" | grep -qx "pushed version 1 sha256=$V1_SHA" || fail "push v1 said: $out"
echo "$out" | grep -qx "fleet-a version=1 seq=[0-9]* state=applied" || fail "fleet-a not waited for"
echo "$out" | grep -qx "fleet-b version=1 seq=[0-9]* state=applied" || fail "fleet-b not waited for"
for i in 1 2; do echo_ok "$i" || fail "version 1 does not let instance $i's client in"; done
pass "version 1 in force on both: connections through each are allowed"
hold 1
hold 2

# --- version 2 revokes the live connections --------------------------------------
t0=$(date +%s%N)
out=$(fleet push "$WORK/v2.pol" --wait all --timeout 20) || fail "push v2: $out"
t1=$(date +%s%N)
echo "$out"
echo "$out" | grep -qx "pushed version 2 sha256=$V2_SHA" || fail "push v2 said: $out"
for i in 1 2; do
	wait "${HOLD[$i]}"
	expect_eq "what instance $i's client saw after version 2" "$(tail -n 1 "$WORK/live$i.out")" reset
	echo_ok "$i" && fail "version 2 still lets instance $i's client in"
done
for n in fleet-a fleet-b; do
	st=$(status_of $n)
	echo "$st" | grep -qx "version=2 seq=[0-9]* sha256=$V2_SHA state=applied" ||
		fail "status of $n: $st"
done
pass "status --fleet: version 2, sha256 ${V2_SHA:0:12}..., applied on fleet-a and fleet-b"
fleet status | head -1 | grep -q "^policy version=2 sha256=$V2_SHA source=" ||
	fail "status first line: $(fleet status | head -1)"
for i in 1 2; do
	seq=$(status_of "${NAMEI[$i]}" | sed -n 's/.* seq=\([0-9]*\) .*/\1/p')
	ilog "$i" | grep -q "^$seq .*policy-push sha256=$V2_SHA .*source=fleet:axnet/fleet_version=2 " ||
		fail "instance $i: entry $seq is not the policy-push of fleet version 2: $(ilog "$i" | grep "^$seq ")"
	ilog "$i" | grep -q "revoke auth=[0-9]* policy=$seq local=$AXNET_IP:7 remote=$KERNEL_B:" ||
		fail "instance $i: no revoke entry under push $seq: $(ilog "$i" | tail -5)"
	grep -q "fleet: version 2 in force" "$WORK/axnet$i.log" || fail "instance $i's daemon log"
done
pass "each instance's log: the policy-push entry naming fleet version 2 and a revoke entry"
# In force on both: the later of the two reports' times (each taken when
# its push and revocations committed), from just before the push.
last=$(fleet status --json | python3 -c '
import json, sys
print(max(i["ts"] for i in json.load(sys.stdin)["instances"] if i["version"] == 2))')
echo "fleet push to in force on both instances: $(( (last - t0) / 1000000 )) ms" \
	"(push --wait all returned after $(( (t1 - t0) / 1000000 )) ms)"
for i in 1 2; do grep "fleet: version 2 in force" "$WORK/axnet$i.log"; done

# --- a bad file: refused, nothing stored ---------------------------------------------
rev0=$(etcdctl_e get axnet/fleet/policy -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["mod_revision"])')
msg=$(fleet push "$WORK/bad.pol" --wait all 2>&1) && fail "a bad policy was pushed: $msg"
echo "$msg" | grep -q "bad.pol:3:[0-9]*: " || fail "bad policy error without file:line:col: $msg"
rev1=$(etcdctl_e get axnet/fleet/policy -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["mod_revision"])')
expect_eq "F/policy's mod_revision after a refused push" "$rev1" "$rev0"
fleet status | head -1 | grep -q "^policy version=2 " || fail "fleet version moved: $(fleet status)"
pass "a bad file is refused with file:line:col, the fleet stays at version 2"

# --- an instance leaves; one started later takes version 2 at start ----------------
stop_inst 2
fleet status | grep -q "^fleet-b " && fail "a stopped instance is still in status"
pass "a stopped instance leaves status at once (its lease revoked)"
pair 3
etcd_attach "${NSI_A[3]}" 22
NAMEI[3]="$(hostname)-${IFI_A[3]}"
start_inst 3
for _ in $(seq 100); do
	status_of "${NAMEI[3]}" | grep -q "^version=2 " && break
	sleep 0.1
done
st=$(status_of "${NAMEI[3]}")
echo "$st" | grep -qx "version=2 seq=[0-9]* sha256=$V2_SHA state=applied" ||
	fail "the late instance (default name ${NAMEI[3]}): $st"
# Version 2 from the start: the only policy-push in its log, in the start's
# group (it never enforced the built-in default first), no push after it.
expect_eq "the late instance's policy-push entries" "$(ilog 3 | grep -c " policy-push ")" 1
ilog 3 | grep " policy-push " | grep -q "sha256=$V2_SHA .*source=fleet:axnet/fleet_version=2 " ||
	fail "the late instance's push is not version 2's: $(ilog 3 | grep " policy-push ")"
ilog 3 | head -3 | grep -q " policy-push " || fail "version 2 is not in the start's group: $(ilog 3 | head -3)"
grep -q "fleet: version 2 in force" "$WORK/axnet3.log" && fail "the late instance pushed version 2 after its start"
pass "an instance started later (named ${NAMEI[3]} by default) enforces version 2 from its start"

# --- a version that does not parse: state=error, nothing changes -----------------------
sha_before=$("$AXNET" policy show --state-dir "${STATEI[1]}" | head -1)
printf 'version=3 sha256=%s source=by-hand\n%s' "$V1_SHA" "$(cat "$WORK/bad.pol")" >"$WORK/v3.val"
etcdctl_e put axnet/fleet/policy <"$WORK/v3.val" >/dev/null || fail "etcdctl put"
for _ in $(seq 50); do
	[ "$(fleet status | grep -c ' version=3 .*state=error reason=')" -eq 2 ] && break
	sleep 0.1
done
fleet status
[ "$(fleet status | grep -c " version=3 .*sha256=$V2_SHA state=error reason=.*:3:[0-9]*: .*version 2 stays in force")" -eq 2 ] ||
	fail "the unparsable version 3 is not reported state=error by both"
expect_eq "policy in force on instance 1 after a bad version" \
	"$("$AXNET" policy show --state-dir "${STATEI[1]}" | head -1)" "$sha_before"
# Never back: an older version written by hand is ignored, and the next
# push counts on from what the instances have seen.
printf 'version=2 sha256=%s source=by-hand\n%s\n' "$V1_SHA" "$(cat "$WORK/v1.pol")" |
	etcdctl_e put axnet/fleet/policy >/dev/null || fail "etcdctl put"
sleep 1
[ "$(fleet status | grep -c ' version=3 .*state=error')" -eq 2 ] ||
	fail "an older version moved an instance: $(fleet status)"
echo_ok 1 && fail "an older version (allowing) was applied"
out=$(fleet push "$WORK/v1.pol" --wait all --timeout 20) || fail "push v4: $out"
echo "$out" | grep -qx "pushed version 4 sha256=$V1_SHA" || fail "push v4 said: $out"
for i in 1 3; do echo_ok "$i" || fail "version 4 does not let instance $i's client in"; done
pass "an unparsable version: state=error, the policy in force stays; version 4 applies"

# --- concurrent pushes: each gets its own version ---------------------------------------
fleet push "$WORK/v2.pol" >"$WORK/c1.out" 2>&1 &
c1=$!
fleet push "$WORK/v1.pol" >"$WORK/c2.out" 2>&1 &
c2=$!
wait $c1 || fail "concurrent push 1: $(cat "$WORK/c1.out")"
wait $c2 || fail "concurrent push 2: $(cat "$WORK/c2.out")"
expect_eq "versions of two concurrent pushes" \
	"$(cat "$WORK/c1.out" "$WORK/c2.out" | sed -n 's/^pushed version \([0-9]*\) .*/\1/p' | sort | tr '\n' ' ')" "5 6 "

# --wait N with a timeout: 3 instances will never be live.
msg=$(fleet push "$WORK/v1.pol" --wait 3 --timeout 2 2>&1) && fail "--wait 3 with two instances: $msg"
echo "$msg" | grep -q "timed out after 2 s: version 7 is in force on 2 of 3" || fail "--wait 3 said: $msg"
pass "--wait 3 --timeout 2 with two live instances: exit 1 after 2 s"

# --- etcd without a quorum: the instances keep their policy; then go on ------------
etcd_member_stop 2
etcd_member_stop 3
msg=$(timeout 30 ip netns exec "$NS_E" "$AXNET" policy push --fleet "$ETCD_URL" "$WORK/v2.pol" 2>&1) &&
	fail "a push without a quorum succeeded: $msg"
echo "without a quorum: $msg"
for i in 1 3; do
	"$AXNET" policy show --state-dir "${STATEI[$i]}" | head -1 | grep -q "sha256 $V1_SHA$" ||
		fail "instance $i lost version 7 with etcd's quorum"
done
etcd_member_start 2
etcd_member_start 3
etcd_wait_healthy 20
fleet status | head -1 | grep -q "^policy version=7 " || fail "a refused push moved the fleet: $(fleet status | head -1)"
out=$(fleet push "$WORK/v2.pol" --wait all --timeout 20) || fail "push after the quorum came back: $out"
echo "$out" | grep -qx "pushed version 8 sha256=$V2_SHA" || fail "push v8 said: $out"
for i in 1 3; do echo_ok "$i" && fail "version 8 not in force on instance $i"; done
pass "without a quorum a push is refused and the instances keep version 7; after, version 8 applies"

# --- one instance cut off from etcd: it keeps its policy, then catches up ------------
ip -n "${NSI_A[1]}" link set etcd0 down
msg=$(fleet push "$WORK/v1.pol" --wait all --timeout 3 2>&1) && fail "--wait all with fleet-a cut off: $msg"
echo "$msg"
echo "$msg" | grep -q "timed out after 3 s: version 9 is in force on 1 of all 2; not on: fleet-a$" ||
	fail "--wait all with fleet-a cut off said: $msg"
"$AXNET" policy show --state-dir "${STATEI[1]}" | head -1 | grep -q "sha256 $V2_SHA$" ||
	fail "fleet-a changed its policy while cut off"
ip -n "${NSI_A[1]}" link set etcd0 up
for _ in $(seq 150); do
	status_of fleet-a | grep -q "^version=9 .*state=applied$" && break
	sleep 0.1
done
status_of fleet-a | grep -q "^version=9 .*state=applied$" || fail "fleet-a did not catch up: $(status_of fleet-a)"
echo_ok 1 || fail "version 9 not in force on fleet-a"
grep -q "fleet: watching the policy: .*retrying" "$WORK/axnet1.log" ||
	fail "fleet-a's log does not say it lost etcd"
grep -q "fleet: watching the policy: etcd answers again" "$WORK/axnet1.log" ||
	fail "fleet-a's log does not say etcd answers again"
pass "cut off from etcd, fleet-a kept version 8 and took version 9 once it could (the watch resumed)"

stop_inst 1
stop_inst 3
for i in 1 3; do
	out=$(ilog "$i" verify) || fail "log verify $i: $out"
done
pass "both logs verify"
exit 0
