#!/usr/bin/env bash
# ARP spoofing from the peer's namespace (scapy) against axnet's neighbour
# cache, read with `axnet neigh --json`:
#  - an unsolicited reply, a request from a sender off axnet's subnet, and
#    packets whose sender MAC is not the Ethernet source (one naming the
#    peer's address) change nothing, and each is counted;
#  - a flood of requests from 600 random on-link senders (more than the
#    cache holds) leaves the gateway's and the peer's entries as they were;
#  - a gratuitous ARP from a known neighbour (the gateway) with a new MAC
#    moves it, though XDP passes gratuitous ARPs to the kernel (a copy
#    reaches axnet).
. "$(dirname "$0")/../lib.sh"

GW="$P.254"
EVIL="02:66:66:66:66:01"
NEWGW="02:77:77:77:77:02"
WORK=$(mktemp -d /tmp/axnet-arp.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT

# dst lladdr state, one line per entry, sorted.
neigh() {
	"$AXNET" neigh --state-dir "$STATE" --json | /usr/bin/python3 -c '
import json, sys
for n in sorted(json.load(sys.stdin), key=lambda n: n["dst"]):
    print(n["dst"], n["lladdr"], n["state"])'
}
lladdr_of() { neigh | awk -v a="$1" '$1 == a { print $2; f = 1 } END { if (!f) print "none" }'; }
# scapy from the peer's namespace: frames built by the Python expression
# in $1 (a list), with A = axnet's MAC, B = the peer's MAC.
inject() {
	ip netns exec "$NS_B" /usr/bin/python3 -c "
import logging; logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import Ether, ARP, sendp
A, B = '$AMAC', '$BMAC'
import random; random.seed($ID)
sendp($1, iface='$IF_B', verbose=0)" || fail "scapy"
}

make_pair
ip -n "$NS_B" addr add "$GW/24" dev "$IF_B"
# A /16 for axnet: room on the link for more senders than the cache holds.
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/16" --gw "$GW" --netns "$NS_A"
AMAC=$(mac_of "$NS_A" "$IF_A")
BMAC=$(mac_of "$NS_B" "$IF_B")

# The neighbours axnet talks to: the gateway (resolved by a ping through
# it, unanswered) and the peer (it pings us).
"$AXNET" ping --state-dir "$STATE" -c 1 -W 1 192.0.2.1 >/dev/null 2>&1
# The kernel sharing axnet's interface knows the gateway too.
ip netns exec "$NS_A" ping -c 1 -W 2 "$GW" >/dev/null || fail "kernel ping to the gateway"
[ "$(kernel_ping "$NS_B" 3 "$AXNET_IP")" = 3 ] || fail "peer ping"
expect_eq "gateway's lladdr" "$(lladdr_of "$GW")" "$BMAC"
expect_eq "peer's lladdr" "$(lladdr_of "$KERNEL_B")" "$BMAC"
neigh >"$WORK/before"
cat "$WORK/before"
snapshot
un0=$(snap engine arp_unsolicited) off0=$(snap engine arp_off_subnet)
mm0=$(snap engine arp_mac_mismatch) ev0=$(snap engine arp_evicted)

# 1. An unsolicited reply for an address axnet does not know.
inject "[Ether(dst=A, src='$EVIL')/ARP(op=2, hwsrc='$EVIL', psrc='$P.77', hwdst=A, pdst='$AXNET_IP')]"
# 2. A request for axnet from a sender off its subnet.
inject "[Ether(dst='ff:ff:ff:ff:ff:ff', src='$EVIL')/ARP(op=1, hwsrc='$EVIL', psrc='192.0.2.50', pdst='$AXNET_IP')]"
# 3. Sender MAC not the frame's source: for a new address, and the peer's.
inject "[Ether(dst='ff:ff:ff:ff:ff:ff', src=B)/ARP(op=1, hwsrc='$EVIL', psrc='$P.78', pdst='$AXNET_IP'),
	 Ether(dst=A, src=B)/ARP(op=2, hwsrc='$EVIL', psrc='$KERNEL_B', hwdst=A, pdst='$AXNET_IP')]"
sleep 0.3
neigh >"$WORK/after"
diff "$WORK/before" "$WORK/after" >/dev/null || { diff "$WORK/before" "$WORK/after"; fail "the cache changed"; }
pass "unsolicited reply, off-subnet sender, MAC mismatches: the cache is unchanged"
snapshot
expect_eq "arp_unsolicited" "$(( $(snap engine arp_unsolicited) - un0 ))" 1
expect_eq "arp_off_subnet" "$(( $(snap engine arp_off_subnet) - off0 ))" 1
expect_eq "arp_mac_mismatch" "$(( $(snap engine arp_mac_mismatch) - mm0 ))" 2

# 4. A flood of requests for axnet from 600 random on-link senders.
inject "[Ether(dst='ff:ff:ff:ff:ff:ff', src=m)/ARP(op=1, hwsrc=m, psrc=ip, pdst='$AXNET_IP')
	 for m, ip in (('02:55:%02x:%02x:%02x:%02x' % tuple(random.randrange(256) for _ in range(4)),
			'10.200.%d.%d' % (random.randrange(1, 250), random.randrange(1, 250)))
		       for _ in range(600))]"
sleep 0.5
snapshot
evicted=$(( $(snap engine arp_evicted) - ev0 ))
echo "flood: $(snap engine arp_requests_rx) requests answered in all, $evicted entries evicted," \
	"$(neigh | wc -l) in the cache"
[ "$evicted" -gt 0 ] || fail "the flood did not fill the cache (nothing evicted)"
expect_eq "gateway's lladdr after the flood" "$(lladdr_of "$GW")" "$BMAC"
expect_eq "peer's lladdr after the flood" "$(lladdr_of "$KERNEL_B")" "$BMAC"

# 5. The gateway announces a new MAC (gratuitous ARP, RFC 5227 3).
inject "[Ether(dst='ff:ff:ff:ff:ff:ff', src='$NEWGW')/ARP(op=1, hwsrc='$NEWGW', psrc='$GW', hwdst='00:00:00:00:00:00', pdst='$GW')]"
for _ in $(seq 20); do [ "$(lladdr_of "$GW")" = "$NEWGW" ] && break; sleep 0.1; done
expect_eq "gateway's lladdr after its gratuitous ARP" "$(lladdr_of "$GW")" "$NEWGW"
# The kernel got the frame as well (XDP passed it; axnet had a copy).
expect_eq "the kernel's lladdr for the gateway" \
	"$(ip -n "$NS_A" neigh show "$GW" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')" "$NEWGW"
expect_eq "xdp garp_copied" "$(stat xdp garp_copied)" 1
# ...and one from a stranger teaches nothing.
inject "[Ether(dst='ff:ff:ff:ff:ff:ff', src='$EVIL')/ARP(op=1, hwsrc='$EVIL', psrc='$P.79', hwdst='00:00:00:00:00:00', pdst='$P.79')]"
sleep 0.3
expect_eq "a stranger's gratuitous ARP" "$(lladdr_of "$P.79")" none
stop_axnet
