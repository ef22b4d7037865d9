#!/usr/bin/env bash
# A hostile program: tests/tools/ax_scribble writes nonsense over its own
# shared-memory segment (ring indices aimed past the rings, then random
# bytes over the segment's header, slots and rings) while it transfers.
# Meanwhile two honest programs move 32 MiB each way. The daemon must
# survive (it answers, and exits ASan/UBSan clean), the honest transfers
# must finish with byte counts and SHA-256 intact, and sockserv.bad_index
# must count the aimed indices.
# e2e-timeout: 400
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

MB=${LIBAXNET_SCRIBBLE_MB:-32}
BYTES=$((MB << 20))

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
# The scribbler's sink: a kernel server taking any number of connections.
ip netns exec "$NS_B" timeout -k 5 200 python3 tests/tools/tcp_echo_server.py "$KERNEL_B" 5030 \
	--mode discard --conns 1000 --timeout 120 >"$WORK/sink.out" 2>&1 &
BG_PIDS+=($!)
wait_for sink '^listening'
snapshot
SNAP0=$SNAP
bad0=$(stat sockserv bad_index)
[ "$bad0" != missing ] || fail "no counter sockserv bad_index"

peer ka tcp listen "$KERNEL_B" 5031 --send "$BYTES" --recv
wait_for ka '^listening'
prog xa "$AX_XFER" -s "$BYTES" -r -R 8M -S "$ID" -c "$KERNEL_B" 5031
prog xb "$AX_XFER" -E -l 6032 -s "$BYTES" -r -R 8M -S $((ID + 1))
wait_for xb '^listening'
peer kb tcp connect "$AXNET_IP" 6032 --send "$BYTES" --recv
wait_for xa '^connected'
wait_for kb '^connected'

# The scribbler, while both run (paced to last a few seconds).
timeout -k 5 60 "$AX_SCRIBBLE" -S "$ID" -n 4000 "$KERNEL_B" 5030 >"$WORK/scribble.out" 2>&1
echo "ax_scribble exited with $?:"
cat "$WORK/scribble.out"
grep -q '^aimed tx:' "$WORK/scribble.out" && grep -q '^aimed rx:' "$WORK/scribble.out" ||
	fail "the scribbler did not get to aim"
"$AXNET" stats --state-dir "$STATE" >/dev/null || fail "the daemon does not answer after the scribbler"
kill -0 "$AXNET_PID" || fail "the daemon is gone"
pass "the daemon answers after the scribbler"
snapshot
for c in sessions_total bad_msg bad_index kicks requests; do
	echo "sockserv $c: +$(( $(snap sockserv "$c") - $(SNAP=$SNAP0 snap sockserv "$c") ))"
done
bad=$(( $(stat sockserv bad_index) - bad0 ))
[ "$bad" -ge 2 ] || fail "sockserv bad_index moved by $bad, want at least the 2 aimed"
pass "sockserv bad_index moved by $bad"

done_ok xa
done_ok ka
done_ok kb
done_ok xb
same_stream "beside the scribbler, connecting: program -> kernel" xa sent ka received "$BYTES"
same_stream "beside the scribbler, connecting: kernel -> program" ka sent xa received "$BYTES"
same_stream "beside the scribbler, accepting: program -> kernel" xb sent kb received "$BYTES"
same_stream "beside the scribbler, accepting: kernel -> program" kb sent xb received "$BYTES"
stop_axnet
exit 0
