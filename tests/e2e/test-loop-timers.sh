#!/usr/bin/env bash
# The event loop wakes for the engine's timers: a lone segment to axnet's
# discard service is ACKed by the delayed-ACK timer (AX_TCP_DELACK_MS,
# 40 ms) on time, as the kernel peer measures it (TCP_INFO: time until
# nothing is unacknowledged), not at the loop's next 100 ms wake-up.
. "$(dirname "$0")/lib.sh"

DELACK_MS=40
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9
# Timing, not CPU share, is under test: axnet and the probe run at a
# real-time priority so other load on the machine does not preempt them
# (both sleep when idle).
chrt -f -p 10 "$AXNET_PID" >/dev/null || fail "chrt axnet"

out=$(chrt -f 10 ip netns exec "$NS_B" timeout 30 python3 tests/tools/tcp_ack_delay.py "$AXNET_IP" 9) ||
	fail "ack delay probe: $out"
echo "$out"
read -r _ _ min _ avg _ max <<<"$out"
# From the send to the ACK's arrival: the timer's 40 ms, the wheel's 1 ms
# tick, poll's rounding up to the next ms, and the veth round trip.
awk -v m="$min" -v d="$DELACK_MS" 'BEGIN { exit !(m >= d - 1) }' ||
	fail "a lone segment was ACKed after $min ms: sooner than the $DELACK_MS ms delay"
awk -v m="$max" -v d="$DELACK_MS" 'BEGIN { exit !(m <= d + 8) }' ||
	fail "a delayed ACK came $max ms after its segment (timer: $DELACK_MS ms)"
pass "delayed ACKs on time: $min..$max ms (avg $avg) for a $DELACK_MS ms timer"
expect_eq "engine tcp_delayed_acks at least 20" "$(( $(stat engine tcp_delayed_acks) >= 20 ))" 1
stop_axnet
exit 0
