#!/usr/bin/env bash
# Benchmark: ICMP echo round-trip time through axnet next to the kernel's
# own, on the same veth pair, in the same run.
#
#   kernel(B) -> axnet(A)        answered in user space via AF_XDP
#   kernel(B) -> kernel(A)       answered by the kernel (XDP_PASS on the way)
#   axnet(A)  -> kernel(B)       sent by axnet, answered by the kernel
#
# Prints avg RTTs and the ratio axnet/kernel. Needs root.
set -u
AXNET=${AXNET:-build/axnet}
COUNT=${COUNT:-500}
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

# warm ARP caches on both sides
kernel_ping "$NS_B" 2 "$AXNET_IP" >/dev/null
kernel_ping "$NS_B" 2 "$KERNEL_A" >/dev/null

avg_of() { sed -n 's/^rtt .* = [0-9.]*\/\([0-9.]*\)\/.*/\1/p'; }
k2ax=$(ip netns exec "$NS_B" ping -q -c "$COUNT" -i 0.002 "$AXNET_IP" | avg_of)
k2k=$(ip netns exec "$NS_B" ping -q -c "$COUNT" -i 0.002 "$KERNEL_A" | avg_of)
ax2k=$("$AXNET" ping --state-dir "$STATE" -c "$COUNT" -i 0.002 "$KERNEL_B" | avg_of)
stop_axnet

# The same with axnet busy-polling its rings instead of sleeping in poll().
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --busy-poll
kernel_ping "$NS_B" 2 "$AXNET_IP" >/dev/null
k2axb=$(ip netns exec "$NS_B" ping -q -c "$COUNT" -i 0.002 "$AXNET_IP" | avg_of)
k2kb=$(ip netns exec "$NS_B" ping -q -c "$COUNT" -i 0.002 "$KERNEL_A" | avg_of)
stop_axnet

printf '%-34s %10s\n' "echo round trip, $COUNT pings" "avg (ms)"
printf '%-34s %10s\n' "kernel(B) -> kernel(A)" "$k2k"
printf '%-34s %10s\n' "kernel(B) -> axnet(A), AF_XDP" "$k2ax"
printf '%-34s %10s\n' "axnet(A) -> kernel(B), AF_XDP" "$ax2k"
printf '%-34s %10s\n' "kernel(B) -> kernel(A), busy run" "$k2kb"
printf '%-34s %10s\n' "kernel(B) -> axnet(A), busy-poll" "$k2axb"
awk -v a="$k2ax" -v k="$k2k" -v b="$ax2k" -v ab="$k2axb" -v kb="$k2kb" 'BEGIN {
	printf "ratio axnet-answered / kernel-answered:            %.2f\n", a / k
	printf "ratio axnet-sent / kernel-answered:                %.2f\n", b / k
	printf "ratio axnet-answered (busy-poll) / kernel-answered: %.2f\n", ab / kb }'
