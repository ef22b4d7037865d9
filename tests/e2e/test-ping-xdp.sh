#!/usr/bin/env bash
# Kernel -> axnet and axnet -> kernel pings over AF_XDP on a veth pair; the
# XDP counters agree with the engine's; frames for the kernel's own address
# on the same interface still reach the kernel; pins live while axnet runs
# and are gone after it stops.
. "$(dirname "$0")/lib.sh"

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

expect_eq "kernel ping -> axnet replies" "$(kernel_ping "$NS_B" 5 "$AXNET_IP")" 5
expect_eq "engine echo requests" "$(stat engine icmp_echo_rx)" 5
expect_eq "engine echo replies" "$(stat engine icmp_echo_reply_tx)" 5

out=$("$AXNET" ping --state-dir "$STATE" -c 5 -i 0.2 "$KERNEL_B") || { echo "$out"; fail "axnet ping"; }
echo "$out" | tail -3
expect_eq "axnet ping replies" "$(echo "$out" | grep -c "bytes from $KERNEL_B: icmp_seq=")" 5
expect_eq "engine echo replies received" "$(stat engine icmp_echo_reply_rx)" 5

# The kernel of axnet's namespace keeps its own address on the interface.
rx_before=$(stat engine eth_rx)
passed_before=$(stat xdp passed)
expect_eq "kernel ping -> kernel of axnet's netns" "$(kernel_ping "$NS_B" 3 "$KERNEL_A")" 3
expect_eq "frames for the kernel reaching the engine" "$(stat engine eth_rx)" "$rx_before"
passed=$(( $(stat xdp passed) - passed_before ))
[ "$passed" -ge 3 ] || fail "xdp.passed grew by $passed, want >= 3"
pass "xdp.passed grew by $passed (>= 3)"

# XDP and engine agree: every redirected frame reached the engine.
snapshot
redirected=$(snap xdp redirected)
expect_eq "xdp.redirected == xsk.rx_frames" "$(snap xsk rx_frames)" "$redirected"
expect_eq "xdp.redirected == engine.eth_rx" "$(snap engine eth_rx)" "$redirected"
sum=$(( redirected + $(snap xdp passed) + $(snap xdp dropped) ))
expect_eq "xdp.rx_packets == redirected + passed + dropped" "$(snap xdp rx_packets)" "$sum"
expect_eq "xdp.malformed" "$(snap xdp malformed)" 0
expect_eq "xdp.no_xsk (ours, but no socket on the queue)" "$(snap xdp no_xsk)" 0
expect_eq "xsk.rx_dropped (ring overflow)" "$(snap xsk rx_dropped)" 0

# --json is valid JSON with the same numbers.
json=$("$AXNET" stats --state-dir "$STATE" --json) || fail "stats --json"
jr=$(echo "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["engine"]["icmp_echo_rx"], d["xdp"]["malformed"], d["xsk"]["queues"])') ||
	fail "stats --json is not JSON: $json"
expect_eq "stats --json engine.icmp_echo_rx, xdp.malformed, xsk.queues" "$jr" "5 0 1"

# bpftool sees the pinned maps with BTF field names.
pin=/sys/fs/bpf/axnet/$IF_A
dump=$(bpftool map dump pinned "$pin/stats") || fail "bpftool map dump"
for f in rx_packets rx_bytes redirected passed dropped malformed; do
	echo "$dump" | grep -q "\"$f\"" || fail "bpftool dump lacks field $f"
done
pass "bpftool map dump shows named fields"
bpftool map dump pinned "$pin/addrs" | grep -q '"family": 4' || fail "addrs map lacks our address"
pass "addrs map holds our address"
ip -n "$NS_A" link show "$IF_A" | grep -q "xdp" || fail "no XDP program on $IF_A"
grep -q "copy mode\|zero-copy mode" "$AXNET_LOG" || fail "log does not say the AF_XDP mode"
pass "log says: $(grep -o '[a-z-]* mode, [0-9]* frames' "$AXNET_LOG")"

stop_axnet
[ ! -e "$pin" ] || fail "$pin still exists after stop"
pass "pins removed on exit"
ip -n "$NS_A" link show "$IF_A" | grep -q "xdp" && fail "XDP program still attached after stop"
pass "XDP program detached on exit"
exit 0
