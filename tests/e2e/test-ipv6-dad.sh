#!/usr/bin/env bash
# Duplicate address detection (RFC 4862 5.4) against the kernel: an
# address the peer already holds is refused (DUPLICATE, logged once with
# the holder's MAC, counted, withdrawn from XDP), axnet keeps running with
# its other addresses, and frames for the refused address stay the peer's.
. "$(dirname "$0")/lib.sh"

PFX="fd00:201:$(printf %x $((ID % 65536)))"
AX6="$PFX::2"
TAKEN="$PFX::5"
PEER6="$PFX::1"

make_pair
ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=0" \
	"net.ipv6.conf.$IF_B.accept_dad=0" || fail "sysctl"
ip -n "$NS_B" addr add "$PEER6/64" dev "$IF_B" nodad || fail "peer address"
ip -n "$NS_B" addr add "$TAKEN/64" dev "$IF_B" nodad || fail "peer address"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "$TAKEN/64" --addr "$AX6/64" \
	--netns "$NS_A"
BMAC=$(mac_of "$NS_B" "$IF_B")

wait_stat engine nd_dad_ok 2
expect_eq "addresses through DAD (link-local, $AX6)" "$(stat engine nd_dad_ok)" 2
expect_eq "DAD failures" "$(stat engine nd_dad_failed)" 1
grep -q "dad: $TAKEN is in use by $BMAC, not using it" "$AXNET_LOG" ||
	fail "no DAD line for $TAKEN in the log"
pass "log: $(grep -o "dad: $TAKEN is in use by .*" "$AXNET_LOG")"
expect_eq "DAD lines in the log" "$(grep -c "dad: " "$AXNET_LOG")" 1

# Reported: axnet addr shows the state.
"$AXNET" addr --state-dir "$STATE"
st=$("$AXNET" addr --state-dir "$STATE" --json | /usr/bin/python3 -c "
import json, sys
for a in json.load(sys.stdin):
    if a['local'] == '$TAKEN':
        print(a.get('state'))") || fail "axnet addr --json"
expect_eq "state of $TAKEN" "$st" "duplicate"

# Not in XDP's map: the peer's own traffic for it is none of axnet's, and
# axnet does not answer for it.
bpftool map dump pinned "/sys/fs/bpf/axnet/$IF_A/addrs" >/dev/null || fail "bpftool"
rx0=$(stat engine icmp6_echo_rx)
expect_eq "peer ping6 -> $AX6" "$(kernel_ping "$NS_B" 3 "$AX6")" 3
expect_eq "engine echo requests (only $AX6's)" "$(( $(stat engine icmp6_echo_rx) - rx0 ))" 3
# axnet cannot send from the refused address: pinging the peer uses $AX6.
out=$("$AXNET" ping --state-dir "$STATE" -c 2 -i 0.2 "$PEER6") || { echo "$out"; fail "axnet ping"; }
expect_eq "axnet ping $PEER6" "$(echo "$out" | grep -c "bytes from $PEER6: icmp_seq=")" 2
nb=$(ip -n "$NS_B" -6 neigh show dev "$IF_B")
echo "$nb" | grep -q "^$AX6 " || fail "peer did not learn $AX6"
echo "$nb" | grep -q "^$TAKEN " && fail "peer has a neighbour entry for its own $TAKEN"
pass "peer resolved $AX6, not its own $TAKEN"
stop_axnet
exit 0
