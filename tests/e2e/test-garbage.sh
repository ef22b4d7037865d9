#!/usr/bin/env bash
# Hostile frames from a raw socket on the peer: every malformed one is
# counted and dropped in XDP, random ones break nothing, and axnet keeps
# answering pings both ways.
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-$RANDOM}
echo "seed $SEED (SEED=$SEED to replay)"
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
expect_eq "kernel ping before" "$(kernel_ping "$NS_B" 2 "$AXNET_IP")" 2
mac=$(mac_of "$NS_A" "$IF_A")

snapshot
mal0=$(snap xdp malformed); drop0=$(snap xdp dropped); rx0=$(snap xdp rx_packets)
sent=$("$GARBAGE" --netns "$NS_B" --ifname "$IF_B" --dst-mac "$mac" --count 500 \
	--seed "$SEED" --mode malformed) || fail "garbage sender"
expect_eq "malformed frames sent" "$sent" 500
sleep 0.3
snapshot
expect_eq "xdp.malformed grew by" "$(( $(snap xdp malformed) - mal0 ))" 500
expect_eq "xdp.dropped grew by" "$(( $(snap xdp dropped) - drop0 ))" 500
expect_eq "xdp.rx_packets grew by" "$(( $(snap xdp rx_packets) - rx0 ))" 500

sent=$("$GARBAGE" --netns "$NS_B" --ifname "$IF_B" --dst-mac "$mac" --count 5000 \
	--seed "$SEED" --mode random) || fail "garbage sender"
expect_eq "random frames sent" "$sent" 5000
sleep 0.3
kill -0 "$AXNET_PID" || fail "axnet died"
snapshot
sum=$(( $(snap xdp redirected) + $(snap xdp passed) + $(snap xdp dropped) ))
expect_eq "xdp.rx_packets == redirected + passed + dropped" "$(snap xdp rx_packets)" "$sum"
echo "after random frames: xdp malformed $(snap xdp malformed), engine eth_not_ours $(snap engine eth_not_ours), eth_unknown_type $(snap engine eth_unknown_type)"

# Frames that XDP hands to the engine, insane past the first checks.
snapshot
red0=$(snap xdp redirected); erx0=$(snap engine eth_rx)
sent=$("$GARBAGE" --netns "$NS_B" --ifname "$IF_B" --dst-mac "$mac" --count 5000 \
	--seed "$SEED" --mode ours --dst-ip "$AXNET_IP") || fail "garbage sender"
expect_eq "engine-bound frames sent" "$sent" 5000
sleep 0.5
kill -0 "$AXNET_PID" || fail "axnet died"
snapshot
red=$(( $(snap xdp redirected) - red0 ))
[ "$red" -gt 2500 ] || fail "only $red of 5000 engine-bound frames were redirected"
expect_eq "engine.eth_rx grew by xdp.redirected's growth" "$(( $(snap engine eth_rx) - erx0 ))" "$red"
echo "engine saw: ip_malformed $(snap engine ip_malformed), ip_bad_csum $(snap engine ip_bad_csum), arp_malformed $(snap engine arp_malformed), icmp_bad_csum $(snap engine icmp_bad_csum)"

expect_eq "kernel ping after" "$(kernel_ping "$NS_B" 5 "$AXNET_IP")" 5
"$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "$KERNEL_B" >/dev/null || fail "axnet ping after garbage"
pass "axnet ping after garbage"
stop_axnet
exit 0
