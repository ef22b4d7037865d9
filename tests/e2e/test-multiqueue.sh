#!/usr/bin/env bash
# A veth with 4 queues: one AF_XDP socket per queue, pings still answered
# whichever queue a frame lands on.
. "$(dirname "$0")/lib.sh"

make_pair 4
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
expect_eq "AF_XDP sockets" "$(stat xsk queues)" 4
expect_eq "kernel ping -> axnet" "$(kernel_ping "$NS_B" 8 "$AXNET_IP")" 8
"$AXNET" ping --state-dir "$STATE" -c 4 -i 0.1 "$KERNEL_B" >/dev/null || fail "axnet ping"
pass "axnet ping with 4 queues"
snapshot
expect_eq "xdp.redirected == engine.eth_rx" "$(snap engine eth_rx)" "$(snap xdp redirected)"
stop_axnet
exit 0
