#!/usr/bin/env bash
# Hostile neighbor discovery from the peer's namespace (scapy) against
# axnet's IPv6 neighbour cache and routes, read with `axnet neigh --json`
# and `axnet route`: spoofed advertisements (unsolicited override, a
# "solicited" one nobody asked for, one for an address axnet never
# solicited), an advertisement at hop limit 254, a redirect, a router
# advertisement from a global source and a solicitation with an option of
# length 0 change nothing, and each is counted exactly.
. "$(dirname "$0")/../lib.sh"

PFX="fd00:202:$(printf %x $((ID % 65536)))"
AX6="$PFX::2"
PEER6="$PFX::1"
EVIL="02:66:66:66:66:01"
WORK=$(mktemp -d /tmp/axnet-nd.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT

neigh() {
	"$AXNET" neigh --state-dir "$STATE" --json | /usr/bin/python3 -c '
import json, sys
for n in sorted(json.load(sys.stdin), key=lambda n: n["dst"]):
    print(n["dst"], n["lladdr"])'
}
# scapy from the peer's namespace: frames built by the Python expression
# in $1 (a list), with A = axnet's MAC, B = the peer's MAC.
inject() {
	ip netns exec "$NS_B" /usr/bin/python3 -c "
import logging; logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import *
A, B, ALL = '$AMAC', '$BMAC', '33:33:00:00:00:01'
sendp($1, iface='$IF_B', verbose=0)" || fail "scapy"
}

make_pair
ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=0" \
	"net.ipv6.conf.$IF_B.accept_dad=0" || fail "sysctl"
ip -n "$NS_B" addr add "$PEER6/64" dev "$IF_B" nodad || fail "peer address"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "$AX6/64" --netns "$NS_A"
AMAC=$(mac_of "$NS_A" "$IF_A")
BMAC=$(mac_of "$NS_B" "$IF_B")
PEERLL=$(ip -n "$NS_B" -6 -o addr show dev "$IF_B" scope link | awk '{ print $4 }' | cut -d/ -f1)
wait_stat engine nd_dad_ok 2

# axnet talks to the peer: it resolves it (REACHABLE for 30 s).
out=$("$AXNET" ping --state-dir "$STATE" -c 2 -i 0.2 "$PEER6") || { echo "$out"; fail "axnet ping"; }
expect_eq "axnet ping $PEER6" "$(echo "$out" | grep -c "bytes from $PEER6")" 2
neigh >"$WORK/before"
cat "$WORK/before"
grep -q "^$PEER6 $BMAC$" "$WORK/before" || fail "axnet did not resolve $PEER6"
"$AXNET" route --state-dir "$STATE" >"$WORK/route-before"
snapshot
for c in nd_na_unsolicited nd_bad_hop_limit nd_redirect_ignored nd_ra_bad_src nd_malformed \
	 nd_na_rx nd_rx nd_ns_rx; do
	eval "c0_$c=$(snap engine $c)"
done

# One scapy run (the peer kernel's own ND, a probe of axnet after the
# ping, may come in between; it is counted apart: nd_ns_rx):
# 1. Unsolicited override to all nodes: "$PEER6 is at EVIL".
# 2. The same as a "solicited" answer to axnet, which asked nothing.
# 3. An advertisement for an address axnet never solicited.
# 4. Hop limit 254: from off the link.
# 5. A redirect from the peer's link-local address: 'reach $PFX::99 via EVIL'.
# 6. A router advertisement from a global address.
# 7. A solicitation for axnet with an option of length 0 (RFC 4861 4.6).
inject "[Ether(dst=ALL, src='$EVIL')/IPv6(src='$PEER6', dst='ff02::1', hlim=255)/
	  ICMPv6ND_NA(tgt='$PEER6', R=0, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$EVIL'),
	 Ether(dst=A, src='$EVIL')/IPv6(src='$PEER6', dst='$AX6', hlim=255)/
	  ICMPv6ND_NA(tgt='$PEER6', R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$EVIL'),
	 Ether(dst=A, src='$EVIL')/IPv6(src='$PFX::77', dst='$AX6', hlim=255)/
	  ICMPv6ND_NA(tgt='$PFX::77', R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$EVIL'),
	 Ether(dst=A, src='$EVIL')/IPv6(src='$PEER6', dst='$AX6', hlim=254)/
	  ICMPv6ND_NA(tgt='$PEER6', R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr='$EVIL'),
	 Ether(dst=A, src=B)/IPv6(src='$PEERLL', dst='$AX6', hlim=255)/
	  ICMPv6ND_Redirect(tgt='fe80::6666', dst='$PFX::99')/ICMPv6NDOptDstLLAddr(lladdr='$EVIL'),
	 Ether(dst=ALL, src='$EVIL')/IPv6(src='$PFX::66', dst='ff02::1', hlim=255)/
	  ICMPv6ND_RA(routerlifetime=1800, chlim=7)/ICMPv6NDOptSrcLLAddr(lladdr='$EVIL'),
	 Ether(dst=A, src='$EVIL')/IPv6(src='$PFX::78', dst='$AX6', hlim=255)/
	  ICMPv6ND_NS(tgt='$AX6')/ICMPv6NDOptSrcLLAddr(len=0, lladdr='$EVIL')]"
sleep 0.3

neigh >"$WORK/after"
cat "$WORK/after"
# What was there is there as it was (the peer kernel's own ND may add its
# link-local address), and nothing points at EVIL.
[ -z "$(comm -23 "$WORK/before" "$WORK/after")" ] || fail "an entry changed or went"
grep -qi "$EVIL" "$WORK/after" && fail "an entry points at $EVIL"
grep -q "^$PFX::77 " "$WORK/after" && fail "the unsolicited $PFX::77 was learned"
pass "the neighbour cache is unchanged"
"$AXNET" route --state-dir "$STATE" >"$WORK/route-after"
diff "$WORK/route-before" "$WORK/route-after" || fail "the routes changed"
pass "the routes are unchanged (no default router from the RA)"
snapshot
d() { echo $(( $(snap engine "$1") - $(eval echo "\$c0_$1") )); }
expect_eq "nd_rx (less the peer's own solicitations)" "$(( $(d nd_rx) - $(d nd_ns_rx) ))" 7
expect_eq "nd_na_rx (1, 2, 3)" "$(d nd_na_rx)" 3
expect_eq "nd_na_unsolicited (1, 2, 3)" "$(d nd_na_unsolicited)" 3
expect_eq "nd_bad_hop_limit (4)" "$(d nd_bad_hop_limit)" 1
expect_eq "nd_redirect_ignored (5)" "$(d nd_redirect_ignored)" 1
expect_eq "nd_ra_bad_src (6)" "$(d nd_ra_bad_src)" 1
expect_eq "nd_malformed (7)" "$(d nd_malformed)" 1
# Traffic still goes to the real peer.
out=$("$AXNET" ping --state-dir "$STATE" -c 2 -i 0.2 "$PEER6") || { echo "$out"; fail "axnet ping"; }
expect_eq "axnet ping $PEER6 afterwards" "$(echo "$out" | grep -c "bytes from $PEER6")" 2
stop_axnet
exit 0
