#!/usr/bin/env bash
# IPv6 path MTU discovery (RFC 8201) through a kernel router whose far link
# has an MTU of 1280 while axnet's link has 1500:
#
#   axnet (NS_A) -- 1500 -- router R (NS_B, forwarding) -- 1280 -- host H
#
# axnet pings H with 1400 bytes (a 1448-byte packet): R cannot forward it
# and answers with an ICMPv6 packet too big (MTU 1280) quoting it; axnet
# checks the quote is its own (from its address, not TCP) and lowers the
# path MTU to H (frag_pmtu_lowered), so the next requests leave in
# fragments of 1280 bytes with fragment headers, H reassembles them and
# its replies (fragmented by H) are reassembled by axnet: every request but
# the first is answered. Without path MTU discovery every one is lost.
. "$(dirname "$0")/lib.sh"

NS_H="axt${ID}h"
X=$((ID % 250))
L6="fd30:$X:"    # axnet ::2 -- R ::1
F6="fd31:$X:"    # R ::1 -- H ::2, MTU 1280
trap 'rc=$?; ip netns del "$NS_H" 2>/dev/null; (exit $rc); cleanup' EXIT

make_pair
ip netns add "$NS_H" || fail "netns add"
ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.all.forwarding=1 || fail "sysctl R"
ip netns exec "$NS_B" sysctl -qw net.ipv6.conf."$IF_B".disable_ipv6=0
ip -n "$NS_B" addr add "${L6}:1/64" dev "$IF_B" nodad || fail "R address"
ip -n "$NS_B" link add rh type veth peer name hr netns "$NS_H" || fail "veth R-H"
ip -n "$NS_B" link set rh mtu 1280 up
ip -n "$NS_H" link set hr mtu 1280 up
ip -n "$NS_H" link set lo up
ip netns exec "$NS_B" ethtool -K rh tx off >/dev/null 2>&1
ip netns exec "$NS_H" ethtool -K hr tx off >/dev/null 2>&1
ip -n "$NS_B" addr add "${F6}:1/64" dev rh nodad
ip -n "$NS_H" addr add "${F6}:2/64" dev hr nodad
ip -n "$NS_H" -6 route add default via "${F6}:1"

start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "${L6}:2/64" --gw "${L6}:1" \
	--netns "$NS_A"
# DAD (1 s), then the router can reach axnet.
for _ in $(seq 30); do
	ip netns exec "$NS_B" ping -6 -c 1 -W 1 "${L6}:2" >/dev/null 2>&1 && break
	sleep 0.2
done
expect_eq "path MTU to H before" "$(stat engine frag_pmtu_lowered)" 0

out=$("$AXNET" ping --state-dir "$STATE" -c 4 -i 0.5 -W 2 -s 1400 "${F6}:2") || true
echo "$out" | tail -3
expect_eq "replies from H (all but the first)" \
	"$(echo "$out" | grep -c "1408 bytes from ${F6}:2: icmp_seq=")" 3
expect_eq "engine icmp6_ptb_rx" "$(stat engine icmp6_ptb_rx)" 1
expect_eq "engine frag_pmtu_lowered" "$(stat engine frag_pmtu_lowered)" 1
expect_eq "engine frag_pmtu_rejected" "$(stat engine frag_pmtu_rejected)" 0
# Three requests in two fragments each (1232 + 176 bytes of data).
expect_eq "engine frag_tx_datagrams" "$(stat engine frag_tx_datagrams)" 3
expect_eq "engine frag_tx" "$(stat engine frag_tx)" 6
expect_eq "engine frag_reassembled (H's fragmented replies)" \
	"$(stat engine frag_reassembled)" 3
stop_axnet
