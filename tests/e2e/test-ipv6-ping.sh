#!/usr/bin/env bash
# IPv6 between axnet and the kernel on a veth pair: the peer's ping6
# reaches axnet's global and link-local addresses (neighbor discovery over
# XDP's solicited-node and all-nodes rules), axnet pings the kernel's
# global and link-local addresses, and afterwards `ip -6 neigh` on the peer
# and `axnet neigh` hold each other with the right MACs.
. "$(dirname "$0")/lib.sh"

# A /64 of fd00::/8 picked from the PID.
PFX="fd00:200:$(printf %x $((ID % 65536)))"
AX6="$PFX::2"
PEER6="$PFX::1"

make_pair
# IPv6 on the peer only (axnet's namespace keeps the kernel out of it);
# no DAD on the peer's side: its addresses are usable at once.
ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=0" \
	"net.ipv6.conf.$IF_B.accept_dad=0" || fail "sysctl"
ip -n "$NS_B" addr add "$PEER6/64" dev "$IF_B" nodad || fail "peer address"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "$AX6/64" --netns "$NS_A"
AMAC=$(mac_of "$NS_A" "$IF_A")
BMAC=$(mac_of "$NS_B" "$IF_B")
# Link-local addresses from the MACs (RFC 4291 appendix A).
ll_of() {
	/usr/bin/python3 -c "
import ipaddress, sys
m = [int(x, 16) for x in '$1'.split(':')]
m[0] ^= 2
print(ipaddress.IPv6Address(bytes([0xfe, 0x80] + [0] * 6 + m[:3] + [0xff, 0xfe] + m[3:])))"
}
AXLL=$(ll_of "$AMAC")
PEERLL=$(ll_of "$BMAC")

# DAD: one solicitation each for the link-local and the global address,
# one second without an answer.
wait_stat engine nd_dad_ok 2
expect_eq "addresses through DAD" "$(stat engine nd_dad_ok)" 2
expect_eq "DAD failures" "$(stat engine nd_dad_failed)" 0

expect_eq "peer ping6 -> axnet global" "$(kernel_ping "$NS_B" 5 "$AX6")" 5
expect_eq "peer ping6 -> axnet link-local" "$(kernel_ping "$NS_B" 3 "$AXLL%$IF_B")" 3
expect_eq "engine ICMPv6 echo requests" "$(stat engine icmp6_echo_rx)" 8
expect_eq "engine ICMPv6 echo replies" "$(stat engine icmp6_echo_reply_tx)" 8

for dst in "$PEER6" "$PEERLL"; do
	out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "$dst") || { echo "$out"; fail "axnet ping $dst"; }
	echo "$out" | tail -2
	expect_eq "axnet ping $dst" "$(echo "$out" | grep -c "bytes from $dst: icmp_seq=")" 3
done
expect_eq "engine ICMPv6 echo replies received" "$(stat engine icmp6_echo_reply_rx)" 6

# The kernel's neighbour table holds axnet's addresses with axnet's MAC...
nb=$(ip -n "$NS_B" -6 neigh show dev "$IF_B")
echo "$nb"
for a in "$AX6" "$AXLL"; do
	echo "$nb" | grep -q "^$a lladdr $AMAC " || fail "peer's ip -6 neigh lacks $a lladdr $AMAC"
	pass "peer's ip -6 neigh: $a lladdr $AMAC"
done
# ...and axnet's holds the peer's, resolved, next to IPv4 neighbours.
"$AXNET" neigh --state-dir "$STATE"
js=$("$AXNET" neigh --state-dir "$STATE" --json) || fail "axnet neigh --json"
for a in "$PEER6" "$PEERLL"; do
	got=$(echo "$js" | /usr/bin/python3 -c "
import json, sys
for n in json.load(sys.stdin):
    if n['dst'] == '$a':
        print(n['lladdr'], n['state'] in ('REACHABLE', 'STALE', 'DELAY', 'PROBE'))" ) ||
		fail "axnet neigh --json is not JSON: $js"
	expect_eq "axnet neigh $a" "$got" "$BMAC True"
done

# Nothing malformed on the way, and ND stayed on the link.
expect_eq "xdp.malformed" "$(stat xdp malformed)" 0
expect_eq "nd_bad_hop_limit" "$(stat engine nd_bad_hop_limit)" 0
expect_eq "ip6_malformed" "$(stat engine ip6_malformed)" 0
stop_axnet
exit 0
