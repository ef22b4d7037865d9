#!/usr/bin/env bash
# Stopping while the log's disk is full: connections closed while it was
# full owe their close entries to the log, and a stop cannot write them.
# axnet must not call that a clean stop: its log says how many entries
# were not written and what becomes of them, and it exits 1. At the next
# start (space back) every such authorization is closed in the log
# (reason=instance-restarted), and log verify passes.
. "$(dirname "$0")/lib.sh"

tmpfs_state axnet-stopfull

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7

cat >"$WORK/hold.py" <<'PY'
# A connection that echoes 100 bytes, waits for the file argv[2], closes.
import os, socket, sys, time
s = socket.socket()
s.settimeout(5)
s.connect((sys.argv[1], 7))
s.sendall(b"x" * 100)
got = b""
while len(got) < 100:
    got += s.recv(65536)
print("first", flush=True)
for _ in range(600):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
s.close()
print("closed", flush=True)
PY
# Two held connections: the last page's room may take one close entry,
# not two (as in test-axiom-diskfull).
hold_start 2
cat >"$WORK/try.py" <<'PY'
# One connect (one SYN: 0.8 s is before the kernel's first retry), closed.
import socket, sys
s = socket.socket()
s.settimeout(0.8)
try:
    s.connect((sys.argv[1], 7))
except OSError:
    print("refused")
    sys.exit(0)
s.close()
print("ok")
PY
dd if=/dev/zero of="$DISK/fill" bs=64k >/dev/null 2>&1
# The segment's last page has room for a few entries: use it up, until
# a connection is refused.
refused=0
for _ in $(seq 40); do
	[ "$(ip netns exec "$NS_B" python3 "$WORK/try.py" "$AXNET_IP")" = refused ] && { refused=1; break; }
done
[ $refused = 1 ] || fail "40 connections on a full disk were all authorized"
hold_release
wait_stat authz live 0
expect_eq "authz.live after the held connections closed" "$(stat authz live)" 0
# Owed closes wait while the disk stays full (the page's room taken by a
# probe or a close first, if it had any).
for _ in $(seq 10); do
	owed=$(stat axiom owed)
	[ "$owed" -ge 1 ] && [ "$(stat axiom disk_full)" = 1 ] && break
	sleep 0.2
done
[ "$owed" -ge 1 ] || fail "no close entry owed on the full disk (axiom.owed = $owed)"
pass "$owed close entries owed to the full disk"

kill -TERM "$AXNET_PID"
wait "$AXNET_PID"; rc=$?
AXNET_PID=
expect_eq "axnet's exit status after a stop that lost owed entries" "$rc" 1
grep -q "stopped cleanly" "$AXNET_LOG" && fail "axnet called a stop that lost entries clean"
said=$(sed -n 's/.*error: \([0-9]*\) entr[a-z]* owed to the log .* not written.*/\1/p' "$AXNET_LOG")
[ -n "$said" ] || fail "axnet's log does not say the owed entries were lost: $(tail -5 "$AXNET_LOG")"
expect_eq "owed entries the stop says were not written" "$said" "$owed"
pass "the stop says: $(grep 'owed to the log .* not written' "$AXNET_LOG" | head -1)"
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$AXNET_LOG"; then
	cat "$AXNET_LOG" >&2
	fail "sanitizer report in axnet's log"
fi

# Space back: the next start closes what was left open.
rm -f "$DISK/fill"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
stop_axnet
"$AXNET" log --state-dir "$STATE" >"$WORK/log.txt" || fail "axnet log"
for seq in $(awk '$3 == "connection-authorize" { print $1 }' "$WORK/log.txt"); do
	grep -Eq " (connection-close|revoke) auth=$seq( |$)" "$WORK/log.txt" ||
		fail "authorization $seq was never closed"
done
restarted=$(grep -c "reason=instance-restarted" "$WORK/log.txt")
expect_eq "authorizations closed by the next start" "$restarted" "$owed"
out=$("$AXNET" log verify --state-dir "$STATE") || fail "log verify: $out"
pass "log verify: $out"
