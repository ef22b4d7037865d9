#!/usr/bin/env bash
# Reassembly and fragmentation (frag.c, frag_out.c) against the kernel over
# AF_XDP, MTU 1500 on both ends:
# - the kernel pings axnet with 4000 bytes (three fragments each way: XDP
#   hands axnet the fragments under their source's bucket, axnet
#   reassembles, answers in fragments, the kernel reassembles), and axnet
#   pings the kernel with 4000 bytes; both over IPv4 and over IPv6;
# - from scapy: overlapping fragments (RFC 5722), a tiny first fragment of
#   a SYN (8 bytes of TCP), 76 fragments of one datagram (over
#   AX_FRAG_MAX_FRAGS 64), a fragment past 65535 bytes, an exact duplicate;
#   each counted exactly in the engine's frag_* counters, and what follows
#   a dropped datagram counted as frag_dead;
# - a flood of 200 first fragments from one (spoofed) source holds at most
#   its share of the pool (4 buffers: 196 evicted, its own) while the
#   kernel's fragmented pings go on being answered, and the pool never
#   held more than its 16 buffers (frag_bufs_peak).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || fail "scapy missing (make deps)"
WORK=$(mktemp -d /tmp/axnet-frag.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT

make_pair
# IPv6 on the peer's side only (axnet's namespace's kernel stays quiet).
NET6="fd00:$(printf %x $((ID % 65536)))::"
ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf."$IF_B".disable_ipv6=0 || fail "sysctl ipv6"
ip -n "$NS_B" addr add "${NET6}1/64" dev "$IF_B" nodad || fail "peer IPv6 address"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "${NET6}2/64" --netns "$NS_A"

snapshot
before=$SNAP
d() { echo $(( $(snap "$1" "$2") - $(SNAP=$before snap "$1" "$2") )); }

# --- fragmented pings, both directions --------------------------------------
expect_eq "kernel ping -s 4000 -> axnet replies" \
	"$(ip netns exec "$NS_B" ping -c 3 -i 0.2 -W 2 -s 4000 "$AXNET_IP" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 3
snapshot
# 4008 bytes of ICMP: 1480 + 1480 + 1048, three fragments per message.
expect_eq "xdp frag (to axnet, a token each)" "$(d xdp frag)" 9
expect_eq "engine frag_rx" "$(d engine frag_rx)" 9
expect_eq "engine frag_reassembled" "$(d engine frag_reassembled)" 3
expect_eq "engine echo replies" "$(d engine icmp_echo_reply_tx)" 3
expect_eq "engine frag_tx (replies in fragments)" "$(d engine frag_tx)" 9
expect_eq "engine frag_tx_datagrams" "$(d engine frag_tx_datagrams)" 3

before=$SNAP
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 -s 4000 "$KERNEL_B") || { echo "$out"; fail "axnet ping -s 4000"; }
echo "$out" | tail -2
expect_eq "axnet ping -s 4000 replies" "$(echo "$out" | grep -c "4008 bytes from $KERNEL_B: icmp_seq=")" 3
snapshot
expect_eq "engine frag_tx (requests)" "$(d engine frag_tx)" 9
expect_eq "engine frag_reassembled (the kernel's replies)" "$(d engine frag_reassembled)" 3
expect_eq "engine echo replies received" "$(d engine icmp_echo_reply_rx)" 3

# --- IPv6: the same both ways (fragment headers, RFC 8200 4.5) ---------------
# axnet's address is usable after DAD (1 s).
for _ in $(seq 30); do
	ip netns exec "$NS_B" ping -6 -c 1 -W 1 "${NET6}2" >/dev/null 2>&1 && break
	sleep 0.2
done
before=$SNAP
expect_eq "kernel ping -6 -s 4000 -> axnet replies" \
	"$(ip netns exec "$NS_B" ping -6 -c 3 -i 0.2 -W 2 -s 4000 "${NET6}2" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 3
snapshot
# 4008 bytes of ICMPv6 at MTU 1500: 1448 + 1448 + 1112 after the kernel's
# fragment headers; axnet answers the same way.
expect_eq "IPv6: xdp frag" "$(d xdp frag)" 9
expect_eq "IPv6: engine frag_reassembled" "$(d engine frag_reassembled)" 3
expect_eq "IPv6: engine frag_tx" "$(d engine frag_tx)" 9
expect_eq "IPv6: engine frag_tx_datagrams" "$(d engine frag_tx_datagrams)" 3
before=$SNAP
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 -s 4000 "${NET6}1") || { echo "$out"; fail "axnet ping -s 4000 (IPv6)"; }
echo "$out" | tail -2
expect_eq "axnet ping -s 4000 ${NET6}1 replies" "$(echo "$out" | grep -c "4008 bytes from ${NET6}1: icmp_seq=")" 3
snapshot
expect_eq "IPv6: engine frag_tx (requests)" "$(d engine frag_tx)" 9
expect_eq "IPv6: engine frag_reassembled (the kernel's replies)" "$(d engine frag_reassembled)" 3

# --- hostile fragments from scapy -------------------------------------------
cat >"$WORK/frags.py" <<'EOF'
import sys, time
from scapy.all import Ether, IP, ICMP, TCP, UDP, Raw, fragment, sendp, conf
host, me, ifname, mac, case = sys.argv[1:6]
conf.verb = 0
frames = []
def raw_frag(src, ident, proto, off, data, more):
    return IP(src=src, dst=host, id=ident, proto=proto, frag=off // 8,
              flags="MF" if more else 0) / Raw(load=data)
if case == "overlap":
    # 2000 bytes of ICMP; the second fragment starts 8 bytes inside the
    # first; a third, exactly fitting, comes after the datagram died.
    icmp = bytes(ICMP(type=8, id=0x4242, seq=1) / Raw(b"o" * 1992))
    frames = [raw_frag(me, 0x7001, 1, 0, icmp[:1000], True),
              raw_frag(me, 0x7001, 1, 992, icmp[992:1600], True),
              raw_frag(me, 0x7001, 1, 1600, icmp[1600:], False)]
elif case == "tiny":
    syn = IP(src=me, dst=host, id=0x7002) / TCP(sport=41000, dport=7, flags="S",
              options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None), ("NOP", None),
                       ("SAckOK", b"")])
    frames = fragment(syn, fragsize=8)
elif case == "toomany":
    udp = bytes(UDP(sport=41000, dport=9) / Raw(b"m" * 600))
    frames = [raw_frag(me, 0x7003, 17, o, udp[o:o + 8], o + 8 < len(udp))
              for o in range(0, len(udp), 8)]
elif case == "oversize":
    frames = [raw_frag(me, 0x7004, 17, 65528, b"x" * 16, False)]
elif case == "duplicate":
    icmp = bytes(ICMP(type=8, id=0x4343, seq=1) / Raw(b"d" * 1992))
    a = raw_frag(me, 0x7005, 1, 0, icmp[:1480], True)
    frames = [a, a, raw_frag(me, 0x7005, 1, 1480, icmp[1480:], False)]
elif case == "flood":
    src = sys.argv[6]
    udp = bytes(UDP(sport=41000, dport=9) / Raw(b"f" * 1000))
    frames = [raw_frag(src, 0x8000 + i, 17, 0, udp[:1000], True) for i in range(200)]
for f in frames:
    # Layer 2, to axnet's MAC: scapy's own ARP would be one more frame.
    sendp(Ether(dst=mac) / f, iface=ifname)
print("sent %d" % len(frames))
EOF
MAC_A=$(mac_of "$NS_A" "$IF_A")
scapy_case() {
	ip netns exec "$NS_B" timeout 60 $PY "$WORK/frags.py" "$AXNET_IP" "$KERNEL_B" "$IF_B" \
		"$MAC_A" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/out" "$WORK/err"; fail "scapy $1"; }
	sleep 0.3
	awk '$1 == "sent" { print $2 }' "$WORK/out"
}
# Every engine frag_* counter but those named moved by nothing.
frag_only() {
	local want="$*" name v
	for name in frag_rx frag_reassembled frag_malformed frag_overlap frag_duplicate frag_tiny \
		frag_too_many frag_oversize frag_dead frag_timeout frag_evicted frag_filtered; do
		v=0
		for kv in $want; do [ "${kv%%=*}" = "$name" ] && v=${kv#*=}; done
		expect_eq "  engine $name" "$(d engine "$name")" "$v"
	done
}

before=$SNAP
n=$(scapy_case overlap); snapshot
echo "overlap: $n fragments"
frag_only frag_rx=3 frag_overlap=1 frag_dead=1
expect_eq "  no echo reply" "$(d engine icmp_echo_reply_tx)" 0

before=$SNAP
n=$(scapy_case tiny); snapshot
echo "tiny first fragment of a SYN: $n fragments"
frag_only frag_rx="$n" frag_tiny=1 frag_dead=$((n - 1))
expect_eq "  TCP saw nothing" "$(d engine tcp_rx)" 0

before=$SNAP
n=$(scapy_case toomany); snapshot
echo "too many fragments: $n"
frag_only frag_rx="$n" frag_too_many=1 frag_dead=$((n - 65))
expect_eq "  UDP saw nothing" "$(d engine udp_rx)" 0

before=$SNAP
n=$(scapy_case oversize); snapshot
echo "oversize: $n"
frag_only frag_rx=1 frag_oversize=1

before=$SNAP
n=$(scapy_case duplicate); snapshot
echo "exact duplicate: $n"
frag_only frag_rx=3 frag_duplicate=1 frag_reassembled=1
expect_eq "  echo reply sent" "$(d engine icmp_echo_reply_tx)" 1

# --- a one-source flood keeps within its share ------------------------------
before=$SNAP
n=$(scapy_case flood "$P.50"); snapshot
echo "flood from $P.50: $n first fragments"
frag_only frag_rx=200 frag_evicted=196
expect_eq "kernel ping -s 4000 during the flood's hold" \
	"$(ip netns exec "$NS_B" ping -c 2 -i 0.2 -W 2 -s 4000 "$AXNET_IP" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 2
snapshot
peak=$(snap engine frag_bufs_peak)
[ "$peak" -ge 4 ] && [ "$peak" -le 16 ] || fail "frag_bufs_peak $peak outside 4..16"
pass "pool bounded: frag_bufs_peak $peak of 16"
expect_eq "xdp frag_dropped (within the bucket)" "$(snap xdp frag_dropped)" 0
stop_axnet
