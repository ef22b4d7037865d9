#!/usr/bin/env bash
# Router advertisements (RFC 4861 6.3.4, RFC 4862 5.5.3) from the peer's
# link-local address (scapy): axnet takes the default router with its
# lifetime (`axnet route`: proto ra), the on-link prefix, a SLAAC address
# from the prefix and its MAC (through DAD), the hop limit and the MTU;
# the peer reaches the SLAAC address; a lifetime of 0 retires the router.
. "$(dirname "$0")/lib.sh"

PFX="fd00:203:$(printf %x $((ID % 65536)))"
PEER6="$PFX::1"

make_pair
ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=0" \
	"net.ipv6.conf.$IF_B.accept_dad=0" || fail "sysctl"
ip -n "$NS_B" addr add "$PEER6/64" dev "$IF_B" nodad || fail "peer address"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
AMAC=$(mac_of "$NS_A" "$IF_A")
BMAC=$(mac_of "$NS_B" "$IF_B")
PEERLL=$(ip -n "$NS_B" -6 -o addr show dev "$IF_B" scope link | awk '{ print $4 }' | cut -d/ -f1)
SLAAC=$(/usr/bin/python3 -c "
import ipaddress
m = [int(x, 16) for x in '$AMAC'.split(':')]
m[0] ^= 2
print(ipaddress.IPv6Address(ipaddress.IPv6Address('$PFX::').packed[:8] + bytes(m[:3] + [0xff, 0xfe] + m[3:])))")
wait_stat engine nd_dad_ok 1
expect_eq "link-local through DAD" "$(stat engine nd_dad_ok)" 1
expect_eq "router solicitations sent" "$(stat engine nd_rs_tx)" 1

ra() {
	ip netns exec "$NS_B" /usr/bin/python3 -c "
import logging; logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import *
sendp(Ether(dst='33:33:00:00:00:01', src='$BMAC')/IPv6(src='$PEERLL', dst='ff02::1', hlim=255)/
      ICMPv6ND_RA(chlim=33, routerlifetime=$1)/ICMPv6NDOptSrcLLAddr(lladdr='$BMAC')/
      ICMPv6NDOptMTU(mtu=1400)/
      ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=3600, preferredlifetime=1800,
                            prefix='$PFX::'), iface='$IF_B', verbose=0)" || fail "scapy"
}
ra 600
wait_stat engine nd_dad_ok 2
expect_eq "RAs taken" "$(stat engine nd_ra_rx)" 1
expect_eq "SLAAC addresses" "$(stat engine nd_slaac_addrs)" 1
expect_eq "addresses through DAD (link-local, SLAAC)" "$(stat engine nd_dad_ok)" 2
"$AXNET" addr --state-dir "$STATE"
"$AXNET" addr --state-dir "$STATE" | grep -q "inet6 $SLAAC/64 preferred" ||
	fail "axnet addr lacks $SLAAC/64 preferred"
pass "axnet addr: $SLAAC/64 preferred"
"$AXNET" route --state-dir "$STATE"
"$AXNET" route --state-dir "$STATE" | grep -q "^default via $PEERLL proto ra" ||
	fail "no default route via $PEERLL proto ra"
pass "axnet route: default via $PEERLL proto ra"
expect_eq "peer ping6 -> SLAAC address" "$(kernel_ping "$NS_B" 3 "$SLAAC")" 3
gw=$("$AXNET" neigh --state-dir "$STATE" --json | /usr/bin/python3 -c "
import json, sys
print([n['lladdr'] for n in json.load(sys.stdin) if n['dst'] == '$PEERLL'])")
expect_eq "axnet neigh: the router" "$gw" "['$BMAC']"
# Off-link: to the router's MAC, with the advertised hop limit 33.
ip netns exec "$NS_B" timeout 5 tcpdump -c 1 -n -e -v -l -i "$IF_B" "ip6 and dst host 2001:db8::7" \
	>"$AXNET_LOG.tcpdump" 2>/dev/null &
tcpd=$!
sleep 1
"$AXNET" ping --state-dir "$STATE" -c 1 -W 1 2001:db8::7 >/dev/null 2>&1
wait "$tcpd"
cat "$AXNET_LOG.tcpdump"
grep -q "> $BMAC, .*hlim 33" "$AXNET_LOG.tcpdump" || fail "the echo to 2001:db8::7 did not go to the router with hop limit 33"
pass "off-link echo to the router's MAC, hop limit 33"
rm -f "$AXNET_LOG.tcpdump"
# A lifetime of 0: no default router any more.
ra 0
sleep 0.3
"$AXNET" route --state-dir "$STATE" | grep -q "^default" && fail "default route still there"
pass "router lifetime 0 retired the default route"
out=$("$AXNET" ping --state-dir "$STATE" -c 1 -W 1 2001:db8::7 2>&1)
echo "$out" | grep -q "Network is unreachable" || { echo "$out"; fail "no ENETUNREACH"; }
pass "axnet ping 2001:db8::7: Network is unreachable"
stop_axnet
exit 0
