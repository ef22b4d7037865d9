#!/usr/bin/env bash
# The commit log on a full disk: axnet's state directory on a 3 MB tmpfs.
# A connection is open when the disk fills up. New connections then fail
# closed (their SYN gets nothing) and `axnet stats` and axnet's log name
# ENOSPC and the segment's path; the open connection keeps moving data and
# closes while the disk is full (its close entry is owed, and waits). When
# the file that filled the disk goes, the owed close is written and new
# connections are authorized again, without a restart. At the end: `axnet
# log verify` passes, every authorization is closed with its byte counts,
# the counters are exact. Then a start on a full disk fails with ENOSPC and
# the path, and writes nothing.
. "$(dirname "$0")/lib.sh"

tmpfs_state axnet-diskfull

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7

cat >"$WORK/try.py" <<'EOF'
# One connection to echo: connect (one SYN: 0.8 s is before the kernel's
# first retransmission), send N bytes, read them back, close.
import os, socket, sys
s = socket.socket()
s.settimeout(0.8)
try:
    s.connect((sys.argv[1], 7))
except OSError:
    print("refused")
    sys.exit(0)
s.settimeout(5)
data = os.urandom(int(sys.argv[2]))
s.sendall(data)
got = b""
while len(got) < len(data):
    b = s.recv(65536)
    if not b:
        break
    got += b
s.close()
print("ok" if got == data else "bad")
EOF
cat >"$WORK/hold.py" <<'EOF'
# A connection that stays open: 1000 bytes echoed, then it waits for the
# file argv[2], then 500 more bytes echoed, and it closes.
import os, socket, sys, time
s = socket.socket()
s.settimeout(5)
s.connect((sys.argv[1], 7))
print("port", s.getsockname()[1], flush=True)
def echo(n):
    data = os.urandom(n)
    s.sendall(data)
    got = b""
    while len(got) < n:
        got += s.recv(65536)
    assert got == data
echo(1000)
print("first", flush=True)
for _ in range(600):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
echo(500)
s.close()
print("closed", flush=True)
EOF
try() { ip netns exec "$NS_B" python3 "$WORK/try.py" "$AXNET_IP" "${1:-3000}" | tr -d ' '; }

# Two held connections: the last page's room may take one close entry
# after the refusal (a close is smaller than an authorization), not two.
hold_start 2
expect_eq "a connection before the disk fills" "$(try)" ok

# Fill the disk. The segment's last page still has room for a few
# entries (tmpfs allocates whole pages), so connections go on until that
# is used up: count them, then the first refusal.
dd if=/dev/zero of="$DISK/fill" bs=64k >/dev/null 2>&1
[ "$(df --output=avail "$DISK" | tail -1)" -eq 0 ] || fail "the tmpfs is not full"
ok_slack=0 refused=0
for _ in $(seq 40); do
	r=$(try)
	case "$r" in
	ok) ok_slack=$((ok_slack + 1)) ;;
	refused) refused=1; break ;;
	*) fail "a connection on the full disk said: $r" ;;
	esac
done
[ $refused -eq 1 ] || fail "40 connections on a full disk were all authorized"
pass "connections fail closed once the log cannot write ($ok_slack fit in the last page first)"
for _ in 1 2 3; do
	expect_eq "a connection while the disk is full" "$(try)" refused
	refused=$((refused + 1))
done
snapshot
expect_eq "axiom.disk_full" "$(snap axiom disk_full)" 1
expect_eq "authz.refused_full" "$(snap authz refused_full)" "$refused"
err=$("$AXNET" stats --state-dir "$STATE" --all | sed -n 's/^axiom *error *//p')
case "$err" in
*"$STATE/axiom/"*".seg: No space left on device (ENOSPC)") pass "axnet stats says: $err" ;;
*) fail "axnet stats' axiom.error: '$err'" ;;
esac
grep -q "No space left on device (ENOSPC): new entries are refused" "$AXNET_LOG" ||
	fail "axnet's log does not say the disk is full"
grep "No space left on device (ENOSPC)" "$AXNET_LOG" | grep -q "$STATE/axiom/" ||
	fail "axnet's log does not name the segment's path"
pass "axnet's log names ENOSPC and the path"

# The open connections still move data, and close while the disk is
# full: their close entries are owed and wait.
hold_release || fail "a held connection failed: $(cat "$WORK"/hold*.out)"
for h in 1 2; do grep -q closed "$WORK/hold$h.out" || fail "held connection $h did not close"; done
wait_stat authz live 0
expect_eq "authz.live after the held connections closed" "$(stat authz live)" 0
owed=$(stat axiom owed)
[ "$owed" -ge 1 ] || fail "axiom.owed = $owed with closes waiting for the disk"
pass "the held connections' close entries are owed ($owed entries wait)"

# Space returns: the owed entries are written and connections resume, by
# themselves (no restart: same process).
pid_before=$AXNET_PID
rm -f "$DISK/fill"
wait_stat axiom owed 0
expect_eq "axiom.owed once space returned" "$(stat axiom owed)" 0
expect_eq "axiom.disk_full once space returned" "$(stat axiom disk_full)" 0
expect_eq "a connection after space returned" "$(try)" ok
expect_eq "a second one" "$(try)" ok
kill -0 "$pid_before" 2>/dev/null || fail "axnet is gone"
grep -q "there is space again: writing resumed" "$AXNET_LOG" || fail "axnet's log does not say it resumed"
pass "authorizations resumed without a restart"

wait_stat authz live 0
snapshot
authorized=$((2 + 1 + ok_slack + 2))
expect_eq "authz.authorized" "$(snap authz authorized)" "$authorized"
expect_eq "authz.closed" "$(snap authz closed)" "$authorized"
expect_eq "authz.refused_full" "$(snap authz refused_full)" "$refused"
expect_eq "authz.failed" "$(snap authz failed)" 0
expect_eq "axiom.owed" "$(snap axiom owed)" 0
stop_axnet

out=$("$AXNET" log verify --state-dir "$STATE") || fail "log verify: $out"
pass "log verify: $out"
"$AXNET" log --state-dir "$STATE" >"$WORK/log.txt" || fail "axnet log"
# Every authorization has its close, with byte counts (the instance's own
# close, not a restart's).
auths=$(awk '$3 == "connection-authorize" { print $1 }' "$WORK/log.txt")
expect_eq "connection-authorize entries" "$(echo "$auths" | wc -w)" "$authorized"
for seq in $auths; do
	grep -Eq " connection-close auth=$seq reason=closed bytes_in=[0-9]+ bytes_out=[0-9]+$" \
		"$WORK/log.txt" || fail "authorization $seq has no close with byte counts"
done
pass "every authorization is closed with its byte counts"
for h in 1 2; do
	port=$(sed -n 's/^port //p' "$WORK/hold$h.out")
	auth=$(grep " connection-authorize .* remote=$KERNEL_B:$port " "$WORK/log.txt" | awk '{ print $1 }')
	grep -q " connection-close auth=$auth reason=closed bytes_in=1500 bytes_out=1500$" "$WORK/log.txt" ||
		fail "held connection $h's close: $(grep "auth=$auth " "$WORK/log.txt")"
done
pass "the connections closed on a full disk have their close entries: 1500 bytes each way"
grep -q "reason=instance-restarted" "$WORK/log.txt" && fail "an authorization was closed by a restart"

# Starting on a full disk: a fresh state directory, the disk full again.
entries=$(wc -l <"$WORK/log.txt")
dd if=/dev/zero of="$DISK/fill" bs=64k >/dev/null 2>&1
STATE2="$DISK/state2"
out=$(timeout 20 "$AXNET" run --state-dir "$STATE2" --policy "$AXNET_POLICY" --ifname "$IF_A" \
	--addr "$AXNET_IP/24" --netns "$NS_A" 2>&1) && fail "axnet started on a full disk"
echo "$out" | grep -q "$STATE2/axiom/.*No space left on device" ||
	fail "the start on a full disk did not name ENOSPC and the path: $out"
pass "a start on a full disk fails: $(echo "$out" | grep 'No space left' | head -1)"
ls "$STATE2/axiom/"*.seg "$STATE2/axiom/"*.tmp >/dev/null 2>&1 &&
	fail "a start on a full disk left files: $(ls "$STATE2/axiom")"
pass "and leaves no segment and no temporary file"
# The existing log on the full disk: the start writes its entries whole
# or not at all (one group), and says why when not.
if out=$(timeout 20 "$AXNET" run --state-dir "$STATE" --policy "$AXNET_POLICY" --ifname "$IF_A" \
	--addr "$AXNET_IP/24" --netns "$NS_A" 2>&1 & pid=$!; sleep 3; kill -TERM $pid 2>/dev/null; wait $pid); then
	pass "the existing log's last page had room for a start"
else
	echo "$out" | grep -q "nothing was written): write $STATE/axiom/.*No space left on device (ENOSPC)" ||
		fail "the start on the full disk did not say why: $out"
	"$AXNET" log --state-dir "$STATE" >"$WORK/log2.txt"
	expect_eq "entries after the refused start" "$(wc -l <"$WORK/log2.txt")" "$entries"
	pass "a start on the full disk with a log wrote nothing"
fi
"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "log verify after the full-disk starts"
