#!/usr/bin/env bash
# The socket calls' contract, against Linux's: tests/tools/ax_errno makes
# a list of calls (misuses among them: double binds, port conflicts with
# SO_REUSEADDR/SO_REUSEPORT, accept and recv on the wrong sockets,
# connects in progress, refused and repeated, sends after shutdown and
# after a RST, bad options, UDP without a peer, oversized datagrams, ICMP
# port unreachable on a connected UDP socket) and readiness (poll masks
# after connect, EOF, RST and refusal; epoll edge-triggered re-arm,
# EPOLLONESHOT, level-triggered), and prints each outcome. Built on
# libaxnet and on the kernel's sockets (ax_errno_kernel), run against the
# same kernel peer in B: the two outputs must be the same, line for line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

AX_ERRNO=$AX_TOOLS_DIR/ax_errno
AX_ERRNO_KERNEL=$(realpath "$AX_TOOLS_DIR/ax_errno_kernel")
SILENT="$P.99"   # nobody answers ARP for it

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
ip netns exec "$NS_B" timeout -k 5 120 python3 tests/tools/errno_peer.py "$KERNEL_B" --timeout 110 \
	>"$WORK/peer.out" 2>&1 &
BG_PIDS+=($!)
wait_for peer '^ready'

ip netns exec "$NS_A" timeout 60 "$AX_ERRNO_KERNEL" "$KERNEL_A" "$KERNEL_B" "$SILENT" \
	>"$WORK/kernel.out" 2>&1 || fail "ax_errno on the kernel's sockets exited with $?"
timeout 60 "$AX_ERRNO" "$AXNET_IP" "$KERNEL_B" "$SILENT" >"$WORK/axnet.out" 2>&1 ||
	{ cat "$WORK/axnet.out"; fail "ax_errno on libaxnet exited with $?"; }
echo "$(wc -l <"$WORK/kernel.out") outcomes"
if ! diff -u "$WORK/kernel.out" "$WORK/axnet.out" >"$WORK/diff.out"; then
	echo "--- kernel, +++ libaxnet:"
	cat "$WORK/diff.out"
	fail "libaxnet's outcomes differ from the kernel's in $(grep -c '^+[^+]' "$WORK/diff.out") lines"
fi
pass "libaxnet's $(wc -l <"$WORK/axnet.out") outcomes are the kernel's"
stop_axnet
exit 0
