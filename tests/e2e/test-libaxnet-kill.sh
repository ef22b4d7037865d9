#!/usr/bin/env bash
# Programs on libaxnet side by side, and one killed: two programs move
# 64 MiB each way at the same time (one connecting, one accepting) while a
# third, reading slowly from a kernel sender, is killed with SIGKILL
# mid-transfer. Its connection is reset as the kernel would reset it (data
# was left unread: the kernel sender's send fails with ECONNRESET/EPIPE),
# the daemon drops it from its table and keeps serving, and the other two
# finish with byte counts and SHA-256 intact.
# e2e-timeout: 480
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

MB=${LIBAXNET_TEST_MB:-64}
BYTES=$((MB << 20))

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

# The victim: reads 1 MB/s of what the kernel sends it.
peer kv tcp listen "$KERNEL_B" 5010 --send "$BYTES"
wait_for kv '^listening'
bare xv "$AX_XFER" -r -R 1M -c "$KERNEL_B" 5010
wait_for xv '^connected'

# Two at once: one connects (blocking, a thread each way), one accepts
# (epoll, edge-triggered); paced (RATE bytes/s each way) to be mid-way
# when the victim dies.
RATE=$(( BYTES / 4 ))
peer ka tcp listen "$KERNEL_B" 5011 --send "$BYTES" --recv --rate "$RATE"
wait_for ka '^listening'
prog xa "$AX_XFER" -s "$BYTES" -r -R "$RATE" -S "$ID" -c "$KERNEL_B" 5011
prog xb "$AX_XFER" -E -l 6012 -s "$BYTES" -r -R "$RATE" -S $((ID + 1))
wait_for xb '^listening'
peer kb tcp connect "$AXNET_IP" 6012 --send "$BYTES" --recv --rate "$RATE"
wait_for xa '^connected'
wait_for kb '^connected'

sleep 1
"$AXNET" conns --state-dir "$STATE" | grep -q "$KERNEL_B:5010" ||
	fail "the victim's connection is not in the table"
kill -KILL "$PID_xv"
wait "$PID_xv" 2>/dev/null
pass "the victim (pid $PID_xv) killed mid-transfer"
for n in xa xb ka kb; do
	grep -q '^received' "$WORK/$n.out" && fail "$n had finished receiving before the kill"
done
pass "the other two were mid-transfer when it died"

wait "$PID_kv" && fail "the kernel sender to the killed program finished: $(cat "$WORK/kv.out")"
grep -qE '^error (ConnectionResetError|BrokenPipeError)' "$WORK/kv.out" ||
	fail "the kernel sender to the killed program says: $(cat "$WORK/kv.out" "$WORK/kv.err")"
pass "the kernel peer of the killed program: $(grep '^error' "$WORK/kv.out")"
for _ in $(seq 50); do
	"$AXNET" conns --state-dir "$STATE" | grep -q "$KERNEL_B:5010" || break
	sleep 0.1
done
expect_eq "the killed program's connections left in the table" \
	"$("$AXNET" conns --state-dir "$STATE" | grep -c "$KERNEL_B:5010")" 0

done_ok xa
done_ok ka
done_ok kb
done_ok xb
same_stream "beside the kill, connecting: program -> kernel" xa sent ka received "$BYTES"
same_stream "beside the kill, connecting: kernel -> program" ka sent xa received "$BYTES"
same_stream "beside the kill, accepting: program -> kernel" xb sent kb received "$BYTES"
same_stream "beside the kill, accepting: kernel -> program" kb sent xb received "$BYTES"

"$AXNET" stats --state-dir "$STATE" >/dev/null || fail "the daemon does not answer"
# A new program is served as before.
peer kc tcp listen "$KERNEL_B" 5013 --recv
wait_for kc '^listening'
prog xc "$AX_XFER" -s 1M -c "$KERNEL_B" 5013
done_ok xc
done_ok kc
same_stream "a program after the kill" xc sent kc received $((1 << 20))
stop_axnet
exit 0
