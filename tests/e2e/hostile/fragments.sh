#!/usr/bin/env bash
# No fragment passes a verdict: XDP cannot see a non-first fragment's
# ports, so it hands fragments for axnet to the engine under their source's
# bucket (xdp frag), and the engine reassembles and checks the whole
# datagram as XDP would (the stack's l4_filter, daemon/l4filter.c) before
# TCP or UDP see it. From a source the policy denies, scapy sends three
# ACKs with data to the echo port (an unknown flow: not the admission
# path) and a UDP datagram to a port nobody bound, all in fragments whose
# first holds the whole L4 header: each is reassembled and filtered
# (frag_filtered), TCP and UDP see nothing, no log entry is written and
# nothing comes back; the same over IPv6. Then a fragmented SYN, the
# admission path, reaches TCP once and is denied (a reject entry, a deny
# verdict in XDP); the same SYN again, fragmented, is filtered by that
# verdict and TCP sees nothing.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || fail "scapy missing (make deps)"
WORK=$(mktemp -d /tmp/axnet-frag.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT

make_pair
NET6="fd00:$(printf %x $((ID % 65536)))::"
ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf."$IF_B".disable_ipv6=0 || fail "sysctl ipv6"
ip -n "$NS_B" addr add "${NET6}1/64" dev "$IF_B" nodad || fail "peer IPv6 address"
printf 'default deny in\ndefault allow out\n' >"$WORK/deny.pol"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "${NET6}2/64" --netns "$NS_A" \
	--serve echo:7 --policy "$WORK/deny.pol"

cat >"$WORK/frags.py" <<'EOF'
import sys, time
from scapy.all import (AsyncSniffer, Ether, IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Raw,
                       fragment, fragment6, sendp, conf)
host, me, ifname, mac, case = sys.argv[1:6]
conf.verb = 0
host6, me6 = sys.argv[6:8]
back = AsyncSniffer(iface=ifname, store=True,
                    lfilter=lambda p: (IP in p and p[IP].src == host) or
                    (IPv6 in p and p[IPv6].src == host6 and TCP in p))
back.start()
time.sleep(0.3)
frags = []
if case == "unknown":
    for i in range(3):
        ack = IP(src=me, dst=host, id=0x6000 + i) / TCP(sport=41001 + i, dport=7, flags="PA",
                                                        seq=5000, ack=7000) / Raw(b"y" * 32)
        frags += fragment(ack, fragsize=24)
    udp = IP(src=me, dst=host, id=0x6100) / UDP(sport=41000, dport=9) / Raw(b"u" * 100)
    frags += fragment(udp, fragsize=48)
elif case == "unknown6":
    # The same over IPv6: fragment headers, first fragments holding the
    # TCP or UDP header whole.
    for i in range(3):
        ack = IPv6(src=me6, dst=host6) / IPv6ExtHdrFragment(id=0x6000 + i) / TCP(
            sport=41001 + i, dport=7, flags="PA", seq=5000, ack=7000) / Raw(b"y" * 40)
        frags += fragment6(ack, 88)
    udp = IPv6(src=me6, dst=host6) / IPv6ExtHdrFragment(id=0x6100) / UDP(
        sport=41000, dport=9) / Raw(b"u" * 100)
    frags += fragment6(udp, 96)
else:
    syn = IP(src=me, dst=host, id=0x5151 if case == "syn" else 0x5152) / TCP(
        sport=41000, dport=7, flags="S", seq=1000,
        options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None), ("NOP", None),
                 ("SAckOK", b"")])
    frags += fragment(syn, fragsize=24)
for f in frags:
    # Layer 2, to axnet's MAC: scapy's own ARP would be one more frame.
    sendp(Ether(dst=mac) / f, iface=ifname)
    time.sleep(0.01)
time.sleep(1.0)
back.stop()
print("sent %d" % len(frags))
print("replies %d" % len(back.results))
EOF
MAC_A=$(mac_of "$NS_A" "$IF_A")
scapy_case() {
	ip netns exec "$NS_B" timeout 60 $PY "$WORK/frags.py" "$AXNET_IP" "$KERNEL_B" "$IF_B" \
		"$MAC_A" "$1" "${NET6}2" "${NET6}1" >"$WORK/frags.out" 2>"$WORK/frags.err" ||
		{ cat "$WORK/frags.out" "$WORK/frags.err"; fail "scapy $1"; }
	cat "$WORK/frags.out"
	sleep 0.3
}
d() { echo $(( $(snap "$1" "$2") - $(SNAP=$before snap "$1" "$2") )); }
entries() { "$AXNET" log --state-dir "$STATE" --json | grep -c '"type"'; }

snapshot
before=$SNAP
e0=$(entries)
scapy_case unknown
sent=$(awk '$1 == "sent" { print $2 }' "$WORK/frags.out")
# Each ACK's 52 bytes of TCP in 24-byte pieces: 3; the UDP datagram's 108
# in 48-byte ones: 3.
expect_eq "fragments sent" "$sent" 12
snapshot
expect_eq "xdp frag (to the engine)" "$(d xdp frag)" "$sent"
expect_eq "xdp flow_unknown + slow_path + flow_denied" \
	$(( $(d xdp slow_path) + $(d xdp flow_unknown) + $(d xdp flow_denied) )) 0
expect_eq "engine frag_rx" "$(d engine frag_rx)" "$sent"
expect_eq "engine frag_filtered (4 datagrams)" "$(d engine frag_filtered)" 4
expect_eq "engine frag_reassembled" "$(d engine frag_reassembled)" 0
expect_eq "engine tcp_rx" "$(d engine tcp_rx)" 0
expect_eq "engine udp_rx" "$(d engine udp_rx)" 0
expect_eq "engine tcp_rst_tx + udp_unreach_tx" \
	$(( $(d engine tcp_rst_tx) + $(d engine udp_unreach_tx) )) 0
diff <(echo "$before" | awk '$1 == "authz"') <(echo "$SNAP" | awk '$1 == "authz"') ||
	fail "authorizer counters moved"
pass "authorizer counters did not move"
expect_eq "log entries written" $(( $(entries) - e0 )) 0
expect_eq "frames from axnet seen by the peer" "$(awk '$1 == "replies" { print $2 }' "$WORK/frags.out")" 0

# The same over IPv6 (XDP's fragment-header case, the filter's IPv6 keys).
for _ in $(seq 30); do
	ip netns exec "$NS_B" ping -6 -c 1 -W 1 "${NET6}2" >/dev/null 2>&1 && break
	sleep 0.2
done
snapshot
before=$SNAP
e0=$(entries)
scapy_case unknown6
sent=$(awk '$1 == "sent" { print $2 }' "$WORK/frags.out")
[ "$sent" -ge 8 ] || fail "IPv6 fragments sent: $sent"
snapshot
expect_eq "IPv6: xdp frag (to the engine)" "$(d xdp frag)" "$sent"
expect_eq "IPv6: engine frag_rx" "$(d engine frag_rx)" "$sent"
expect_eq "IPv6: engine frag_filtered (4 datagrams)" "$(d engine frag_filtered)" 4
expect_eq "IPv6: engine tcp_rx" "$(d engine tcp_rx)" 0
expect_eq "IPv6: engine udp_rx" "$(d engine udp_rx)" 0
expect_eq "IPv6: log entries written" $(( $(entries) - e0 )) 0
expect_eq "IPv6: TCP from axnet seen by the peer" \
	"$(awk '$1 == "replies" { print $2 }' "$WORK/frags.out")" 0

# The admission path: a fragmented SYN reaches TCP, and is denied.
before=$SNAP
scapy_case syn
snapshot
expect_eq "SYN: engine frag_reassembled" "$(d engine frag_reassembled)" 1
expect_eq "SYN: engine frag_filtered" "$(d engine frag_filtered)" 0
expect_eq "SYN: engine tcp_rx" "$(d engine tcp_rx)" 1
[ "$(d engine tcp_auth_denied)" -ge 1 ] || fail "the SYN was not denied by the authorizer"
pass "SYN denied by the authorizer"
# The same SYN again: the deny verdict XDP now holds filters it whole.
before=$SNAP
scapy_case syn2
snapshot
expect_eq "SYN again: engine frag_filtered" "$(d engine frag_filtered)" 1
expect_eq "SYN again: engine tcp_rx" "$(d engine tcp_rx)" 0
stop_axnet
