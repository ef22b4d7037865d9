#!/usr/bin/env bash
# IPv4 options from a hostile peer (RFC 791, RFC 1812 5.2.4), end to end
# through XDP and the engine: echo requests with malformed options are not
# answered (ip_bad_options), nor those with a source route (ip_source_route,
# as Linux with accept_source_route=0), while well-formed options are. The
# cases and what Linux 6.18 does with each are in tests/unit/test_eth_ipv4.c
# (ipv4_options_validated); Linux also answers a malformed one with a
# parameter problem, axnet stays silent.
. "$(dirname "$0")/../lib.sh"

make_pair
ip -n "$NS_B" link set lo up # scapy wants an address on lo
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
snapshot
bad0=$(snap engine ip_bad_options) srr0=$(snap engine ip_source_route)
rep0=$(snap engine icmp_echo_reply_tx)

out=$(ip netns exec "$NS_B" timeout 60 /usr/bin/python3 - "$KERNEL_B" "$AXNET_IP" "$IF_B" <<'PY'
import struct, sys
from socket import inet_aton
from scapy.all import ICMP, IP, conf, checksum, sr1
conf.verb = 0
src, dst, iface = sys.argv[1:4]
cases = [
    ("nops", b"\x01\x01\x01\x01", "answered"),
    ("record route", b"\x07\x07\x04\x00\x00\x00\x00\x00", "answered"),
    ("length 0", b"\x44\x00\x01\x01", "silent"),
    ("length 1", b"\x44\x01\x01\x01", "silent"),
    ("length past the header", b"\x07\x08\x04\x00", "silent"),
    ("LSRR", b"\x83\x07\x04" + inet_aton(dst) + b"\x00", "silent"),
    ("SSRR", b"\x89\x07\x04" + inet_aton(dst) + b"\x00", "silent"),
]
bad = 0
for i, (name, opt, want) in enumerate(cases):
    icmp = bytes(ICMP(id=0x4242, seq=i) / (b"x" * 16))
    hl = 20 + len(opt)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(icmp), i + 1, 0, 64, 1, 0,
                      inet_aton(src), inet_aton(dst)) + opt
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    ans = sr1(IP(hdr + icmp), timeout=1 if want == "answered" else 0.5, iface=iface)
    got = "answered" if ans is not None and ans.haslayer(ICMP) and ans[ICMP].type == 0 else "silent"
    print(f"{name}: {got}")
    bad += got != want
sys.exit(1 if bad else 0)
PY
) || { echo "$out"; fail "IPv4 options: not as expected"; }
echo "$out"
snapshot
expect_eq "echo replies" $(( $(snap engine icmp_echo_reply_tx) - rep0 )) 2
expect_eq "ip_bad_options" $(( $(snap engine ip_bad_options) - bad0 )) 3
expect_eq "ip_source_route" $(( $(snap engine ip_source_route) - srr0 )) 2
stop_axnet
exit 0
