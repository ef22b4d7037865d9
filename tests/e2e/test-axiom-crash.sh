#!/usr/bin/env bash
# Crash safety of the commit log, with real connections: a kernel client
# opens connections to axnet's discard service as fast as it can while
# axnet is killed with SIGKILL at a random moment, ROUNDS times. After
# every kill `axnet log verify` must pass, and at the end every connection
# the client saw established (so axnet had been told Committed before its
# SYN-ACK left) must have its connection-authorize entry in the log; every
# authorization a killed instance left open is closed by the next one.
# Then a byte flipped in a copy of the log is found by verify, at the
# entry that holds it.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-5}
WORK=$(mktemp -d /tmp/axnet-crash.XXXXXX)
trap 'rc=$?; kill $CLIENT_PID 2>/dev/null; rm -rf "$WORK"; (exit $rc); cleanup' EXIT
RANDOM=$ID

make_pair
cat >"$WORK/client.py" <<'EOF'
import socket, sys, time
end = time.time() + float(sys.argv[2])
while time.time() < end:
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect((sys.argv[1], 9))
        print("ok", s.getsockname()[1], flush=True)
        s.sendall(b"x" * 100)
    except OSError:
        pass
    finally:
        s.close()
EOF

for round in $(seq "$ROUNDS"); do
	start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9
	ip netns exec "$NS_B" python3 "$WORK/client.py" "$AXNET_IP" 30 >>"$WORK/ok.txt" 2>/dev/null &
	CLIENT_PID=$!
	# 0.3 to 2.3 s into the stream of authorizations.
	sleep "$(( RANDOM % 20 / 10 )).$(( RANDOM % 10 ))"
	sleep 0.3
	kill -KILL "$AXNET_PID"
	wait "$AXNET_PID" 2>/dev/null
	AXNET_PID=
	kill "$CLIENT_PID" 2>/dev/null
	wait "$CLIENT_PID" 2>/dev/null
	out=$("$AXNET" log verify --state-dir "$STATE" 2>&1) || { echo "$out"; fail "round $round: log verify"; }
	echo "round $round: $(wc -l <"$WORK/ok.txt") connections established so far; verify: $out"
done

# An auditor's checkpoint from now (signed, Ed25519): whatever is added
# later, the log must still contain what it covers.
old_ck=$("$AXNET" log checkpoint --state-dir "$STATE") || fail "axnet log checkpoint"
echo "auditor's checkpoint: $old_ck"

# The last instance: starts on the log the kills left, closes what they
# left open, and runs until stopped cleanly.
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9
stop_axnet
out=$("$AXNET" log verify --state-dir "$STATE" --checkpoint "$old_ck") ||
	fail "the log no longer matches the auditor's checkpoint: $out"
# The same line with one hex digit of the head changed.
forged=$(python3 -c 'import sys; l = sys.argv[1]; i = l.index("head=") + 5
print(l[:i] + ("0" if l[i] != "0" else "1") + l[i + 1:])' "$old_ck")
[ "$forged" != "$old_ck" ] || fail "could not forge a checkpoint"
"$AXNET" log verify --state-dir "$STATE" --checkpoint "$forged" >/dev/null 2>&1 &&
	fail "a forged checkpoint verified"
pass "the log grew from the auditor's checkpoint; a forged one is refused"
"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "log verify after the last instance"

"$AXNET" log --state-dir "$STATE" >"$WORK/log.txt" || fail "axnet log"
# One pass over the log (a grep per connection was quadratic: a minute
# for 12,000 connections).
n=$(wc -l <"$WORK/ok.txt")
missing=$(awk -v want="connection-authorize dir=in proto=tcp local=$AXNET_IP:9 remote=$KERNEL_B:" '
	NR == FNR { if ((i = index($0, want))) { rest = substr($0, i + length(want)); split(rest, f, " "); seen[f[1]] = 1 }; next }
	!($2 in seen) { print "no authorization for port " $2 > "/dev/stderr"; m++ }
	END { print m + 0 }' "$WORK/log.txt" "$WORK/ok.txt")
[ "$n" -gt 0 ] || fail "no connection was established in $ROUNDS rounds"
expect_eq "established connections without their authorize entry (of $n)" "$missing" 0
starts=$(grep -c " start " "$WORK/log.txt")
expect_eq "start entries" "$starts" $((ROUNDS + 1))
# Every authorization is closed: by its connection or by the next start.
open=$(python3 - "$WORK/log.txt" <<'EOF'
import re, sys
auth, closed = set(), set()
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 3:
        continue
    if f[2] == "connection-authorize":
        auth.add(f[0])
    m = re.search(r"\bauth=(\d+)", line)
    if m and f[2] in ("connection-close", "revoke"):
        closed.add(m.group(1))
print(len(auth - closed))
EOF
)
expect_eq "authorizations never closed" "$open" 0
grep -q "reason=instance-restarted" "$WORK/log.txt" || echo "(no connection was open at a kill)"

# A flipped byte in a copy: verify names the entry that holds it.
cp -a "$STATE" "$WORK/copy"
target=$(( $(wc -l <"$WORK/log.txt") / 2 ))
read -r segname off < <("$AXNET" log --state-dir "$WORK/copy" --json --since "$target" | head -n 1 |
	python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["segment"], e["offset"])')
seg="$WORK/copy/axiom/$segname"
# A byte of its payload: past the 64-byte record header (axiom/format.h).
pos=$(( off + 64 + 2 ))
byte=$(od -An -tu1 -j "$pos" -N1 "$seg" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 0x20 )))" | dd of="$seg" bs=1 seek="$pos" conv=notrunc 2>/dev/null
out=$("$AXNET" log verify --state-dir "$WORK/copy" 2>&1) && fail "verify passed a flipped byte"
echo "$out"
echo "$out" | grep -q "(seq $target)" || fail "verify did not name entry $target: $out"
pass "a flipped byte in entry $target is found there"
exit 0
