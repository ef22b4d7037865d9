#!/usr/bin/env bash
# Programs of a user's on axnet: C programs in their own processes, built
# only against include/axnet/socket.h and -laxnet (tests/tools/ax_xfer),
# with the Linux kernel as the peer (tests/tools/kpeer.py):
#  - TCP, 64 MiB each way at once, connecting (blocking calls, a thread
#    each way) and accepting (non-blocking, edge-triggered epoll), and one
#    way with level-triggered epoll: byte counts and SHA-256 equal;
#  - UDP, 64 MiB each way at a rate the path takes: every datagram
#    intact, in order, once; out, every loss one that axnet's (or the
#    peer's) counters account for; in, none lost (those that came while the
#    flow's authorization committed waited for it); with none lost, byte
#    counts and SHA-256 equal;
#  - `axnet nc` (a libaxnet program too): UDP out, TCP and UDP listening.
# e2e-timeout: 480
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

MB=${LIBAXNET_TEST_MB:-64}
BYTES=$((MB << 20))
UDP_RATE=${LIBAXNET_UDP_RATE:-20M}   # bytes/s

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

# --- TCP -------------------------------------------------------------------------
# Out: the program connects, sends and receives at once (blocking calls).
peer k1 tcp listen "$KERNEL_B" 5001 --send "$BYTES" --recv
wait_for k1 '^listening'
prog x1 "$AX_XFER" -s "$BYTES" -r -S "$ID" -c "$KERNEL_B" 5001
done_ok x1
done_ok k1
same_stream "TCP out, program -> kernel" x1 sent k1 received "$BYTES"
same_stream "TCP out, kernel -> program" k1 sent x1 received "$BYTES"
echo "program: sent $(mbps x1 sent) MB/s, received $(mbps x1 received) MB/s (both at once)"

# In: the program listens and accepts; non-blocking, edge-triggered epoll.
prog x2 "$AX_XFER" -E -l 6001 -s "$BYTES" -r -S $((ID + 1))
wait_for x2 '^listening'
peer k2 tcp connect "$AXNET_IP" 6001 --send "$BYTES" --recv
done_ok k2
done_ok x2
same_stream "TCP in (edge-triggered epoll), program -> kernel" x2 sent k2 received "$BYTES"
same_stream "TCP in (edge-triggered epoll), kernel -> program" k2 sent x2 received "$BYTES"

# One way, level-triggered epoll; the program waits for the peer's FIN.
peer k3 tcp listen "$KERNEL_B" 5003 --recv
wait_for k3 '^listening'
prog x3 "$AX_XFER" -e -s $((BYTES / 4)) -S $((ID + 2)) -c "$KERNEL_B" 5003
done_ok x3
done_ok k3
same_stream "TCP out (level-triggered epoll)" x3 sent k3 received $((BYTES / 4))

# --- UDP -------------------------------------------------------------------------
# UDP may lose datagrams; veth at this rate does not, so every loss must be
# one axnet (or the kernel peer) counted: authz.udp_pending_dropped (past
# authz.h's caps while the flow's authorization committed), engine
# udp_rcvbuf_drops, the peer's RcvbufErrors. Each datagram checks itself
# (sequence number and pattern): none may be damaged, duplicated or
# reordered; with none lost, the SHA-256 of the whole is equal.
kernel_rcvbuf_errors() {
	ip netns exec "$NS_B" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Udp:" { print $c["RcvbufErrors"] }' /proc/net/snmp
}
# udp_check WHAT SENDER RECEIVER ACCOUNTED: the receiver's datagrams against
# the sender's, losses against ACCOUNTED.
udp_check() {
	local what=$1 tx=$2 rx=$3 accounted=$4 sent intact
	sent=$(field "$tx" sent dgrams)
	intact=$(field "$rx" received intact)
	echo "$what: $sent datagrams sent, $intact intact, $accounted dropped as counted"
	expect_eq "$what: damaged datagrams" "$(field "$rx" received bad)" 0
	expect_eq "$what: duplicated datagrams" "$(field "$rx" received dup)" 0
	expect_eq "$what: reordered datagrams" "$(field "$rx" received reordered)" 0
	expect_eq "$what: datagrams lost, as counted" $((sent - intact)) "$accounted"
	if [ "$accounted" -eq 0 ]; then
		same_stream "$what" "$tx" sent "$rx" received "$BYTES"
	else
		echo "$what: NOTE $accounted datagrams dropped by axnet (counted): SHA-256 not comparable"
	fi
}
counted_drops() { # after snapshot: axnet's and the peer's UDP drop counters, summed
	echo $(( $(snap authz udp_pending_dropped) + $(snap engine udp_rcvbuf_drops) + $(kernel_rcvbuf_errors) ))
}

snapshot
d0=$(counted_drops)
peer k4 udp listen "$KERNEL_B" 5004 --recv --expect "$BYTES" --idle 5
wait_for k4 '^bound'
prog x4 "$AX_XFER" -u -s "$BYTES" -R "$UDP_RATE" -c "$KERNEL_B" 5004
done_ok x4
done_ok k4
snapshot
udp_check "UDP out, program -> kernel" x4 k4 $(( $(counted_drops) - d0 ))

# In: the datagrams that come while the flow's authorization commits wait
# for it (authz.h's caps take what this rate brings in a 50 ms commit; the
# program's SO_RCVBUF, 4 MiB, the release) and reach the program with the
# rest: nothing may be lost at all.
d0=$(counted_drops)
h0=$(snap authz udp_pending_delivered)
prog x5 "$AX_XFER" -u -e -l 6005 -r -x "$BYTES" -i 5000
wait_for x5 '^bound'
peer k5 udp connect "$AXNET_IP" 6005 --send "$BYTES" --rate "${UDP_RATE%M}000000"
done_ok k5
done_ok x5
snapshot
echo "UDP in: $(( $(snap authz udp_pending_delivered) - h0 )) datagrams waited for the flow's commit;" \
	"caps hit: $(snap authz udp_pending_cap_dgrams) count, $(snap authz udp_pending_cap_bytes) bytes," \
	"$(snap authz udp_pending_cap_total) total; commit p99 $(snap authz latency_p99_us) us"
expect_eq "UDP in, kernel -> program: datagrams dropped (axnet's and the peer's counters)" \
	$(( $(counted_drops) - d0 )) 0
udp_check "UDP in, kernel -> program" k5 x5 0

# --- axnet nc, a libaxnet program --------------------------------------------------
peer k6 udp listen "$KERNEL_B" 5006 --recv --expect 10 --idle 5
wait_for k6 '^bound'
printf 'hello udp\n' | timeout 10 "$AXNET" nc --state-dir "$STATE" -u -w 1 "$KERNEL_B" 5006 ||
	fail "axnet nc -u exited with $?"
done_ok k6
expect_eq "axnet nc -u: what the kernel got (SHA-256)" "$(field k6 received sha256)" \
	"$(printf 'hello udp\n' | sha256sum | cut -c1-64)"

# Its stdin stays open (no FIN from it first: OpenBSD nc quits on a FIN
# before it has sent its own stdin); it ends when the kernel's nc closes.
sleep 15 | timeout 20 "$AXNET" nc --state-dir "$STATE" -l 6007 >"$WORK/nc7.out" 2>"$WORK/nc7.err" &
NC7=$!
BG_PIDS+=($NC7)
for _ in $(seq 50); do
	printf 'tcp to a listening nc\n' | ip netns exec "$NS_B" timeout 5 nc -N "$AXNET_IP" 6007 \
		>/dev/null 2>&1 && break
	sleep 0.2
done
wait $NC7 || fail "axnet nc -l exited with $? ($(cat "$WORK/nc7.err"))"
expect_eq "axnet nc -l: what it got" "$(cat "$WORK/nc7.out")" "tcp to a listening nc"

timeout 20 "$AXNET" nc --state-dir "$STATE" -u -w 1 -l 6008 </dev/null >"$WORK/nc8.out" 2>&1 &
NC8=$!
BG_PIDS+=($NC8)
sleep 0.5
udp_send "$NS_B" "$AXNET_IP" 6008 'a datagram' || fail "udp_send"
wait $NC8 || fail "axnet nc -u -l exited with $? ($(cat "$WORK/nc8.out"))"
expect_eq "axnet nc -u -l: what it got" "$(cat "$WORK/nc8.out")" "a datagram"

stop_axnet
exit 0
