#!/usr/bin/env bash
# No fragment passes a verdict: until the engine reassembles, XDP drops
# every IPv4 fragment for axnet and counts it (xdp frag_dropped). From a
# source the policy denies, scapy sends a SYN to the echo port cut into
# 8-byte fragments and three ACKs with data cut into 16-byte ones (first
# fragments with whole TCP headers, tiny ones, non-first ones): XDP counts
# exactly that many fragments dropped, no engine or authorizer counter
# moves, no log entry is written, and nothing comes back.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || fail "scapy missing (make deps)"
WORK=$(mktemp -d /tmp/axnet-frag.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT

make_pair
printf 'default deny in\ndefault allow out\n' >"$WORK/deny.pol"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7 \
	--policy "$WORK/deny.pol"

cat >"$WORK/frags.py" <<'EOF'
import sys, time
from scapy.all import AsyncSniffer, Ether, IP, TCP, Raw, fragment, sendp, conf
host, me, ifname, mac = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
conf.verb = 0
back = AsyncSniffer(iface=ifname, store=True, lfilter=lambda p: IP in p and p[IP].src == host)
back.start()
time.sleep(0.3)
frags = []
syn = IP(src=me, dst=host, id=0x5151) / TCP(sport=41000, dport=7, flags="S", seq=1000,
                                            options=[("MSS", 1460), ("NOP", None), ("WScale", 7)])
frags += fragment(syn, fragsize=8)
for i in range(3):
    ack = IP(src=me, dst=host, id=0x6000 + i) / TCP(sport=41001 + i, dport=7, flags="PA",
                                                    seq=5000, ack=7000) / Raw(b"y" * 32)
    frags += fragment(ack, fragsize=16)
for f in frags:
    # Layer 2, to axnet's MAC: scapy's own ARP would be one more frame.
    sendp(Ether(dst=mac) / f, iface=ifname)
    time.sleep(0.01)
time.sleep(1.0)
back.stop()
first = sum(1 for f in frags if f.frag == 0)
print("sent %d first %d" % (len(frags), first))
print("replies %d" % len(back.results))
EOF
snapshot
before=$SNAP
e0=$("$AXNET" log --state-dir "$STATE" --json | grep -c '"type"')
ip netns exec "$NS_B" timeout 60 $PY "$WORK/frags.py" "$AXNET_IP" "$KERNEL_B" "$IF_B" \
	"$(mac_of "$NS_A" "$IF_A")" >"$WORK/frags.out" 2>"$WORK/frags.err" || { cat "$WORK/frags.out" "$WORK/frags.err"; fail "scapy"; }
cat "$WORK/frags.out"
sent=$(awk '$1 == "sent" { print $2 }' "$WORK/frags.out")
# The SYN's 28 bytes of TCP in 8-byte pieces: 4; each ACK's 52 in 16-byte ones: 4.
expect_eq "fragments sent" "$sent" 16
sleep 0.3
snapshot
d() { echo $(( $(snap xdp "$1") - $(SNAP=$before snap xdp "$1") )); }
expect_eq "xdp frag_dropped" "$(d frag_dropped)" "$sent"
expect_eq "xdp dropped" "$(d dropped)" "$sent"
# Frames for the kernel of axnet's namespace (passed) are not ours to count.
echo "xdp passed to the kernel meanwhile: $(d passed) (no_xsk $(d no_xsk))"
expect_eq "xdp rx_packets - passed" $(( $(d rx_packets) - $(d passed) )) "$sent"
expect_eq "xdp no_xsk" "$(d no_xsk)" 0
expect_eq "xdp redirected" "$(d redirected)" 0
expect_eq "xdp slow_path + flow_unknown + flow_denied" \
	$(( $(d slow_path) + $(d flow_unknown) + $(d flow_denied) )) 0
# Every engine and authorizer counter as it was, to the unit.
diff <(echo "$before" | awk '$1 == "engine" || $1 == "authz"') \
	<(echo "$SNAP" | awk '$1 == "engine" || $1 == "authz"') ||
	fail "engine or authorizer counters moved"
pass "engine and authorizer counters did not move"
expect_eq "log entries written" $(( $("$AXNET" log --state-dir "$STATE" --json | grep -c '"type"') - e0 )) 0
expect_eq "frames from axnet seen by the peer" "$(awk '$1 == "replies" { print $2 }' "$WORK/frags.out")" 0
stop_axnet
