#!/usr/bin/env bash
# The TAP backend: axnet is the host behind a tap device whose kernel side
# has an address; pings both ways, same engine, no XDP.
. "$(dirname "$0")/lib.sh"

TAP="axtap${ID}"
ip netns add "$NS_A" || fail "netns add"
ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS_A" tuntap add dev "$TAP" mode tap || fail "tuntap add"
ip -n "$NS_A" addr add "$KERNEL_A/24" dev "$TAP"
ip -n "$NS_A" link set "$TAP" up
start_axnet --backend tap --ifname "$TAP" --addr "$AXNET_IP/24" --netns "$NS_A"

expect_eq "kernel ping -> axnet over tap" "$(kernel_ping "$NS_A" 5 "$AXNET_IP")" 5
out=$("$AXNET" ping --state-dir "$STATE" -c 5 -i 0.2 "$KERNEL_A") || { echo "$out"; fail "axnet ping"; }
expect_eq "axnet ping -> kernel over tap" "$(echo "$out" | grep -c "bytes from $KERNEL_A")" 5
snapshot
expect_eq "engine echo replies sent" "$(snap engine icmp_echo_reply_tx)" 5
expect_eq "engine echo replies received" "$(snap engine icmp_echo_reply_rx)" 5
expect_eq "tap.rx_frames == engine.eth_rx" "$(snap tap rx_frames)" "$(snap engine eth_rx)"
expect_eq "no xdp counters on tap" "$(snap xdp rx_packets)" missing
stop_axnet
exit 0
