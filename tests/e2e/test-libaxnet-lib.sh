#!/usr/bin/env bash
# libaxnet from another process against the kernel: ax_cat (a program on
# include/axnet/socket.h and libaxnet.so only) connects through a running
# axnet to a kernel echo server and moves 16 MiB out and back in each of
# its modes (blocking calls in two threads sharing the socket, ax_poll
# over the socket and its kernel stdin/stdout, ax_epoll edge-triggered,
# and in a forked child after the parent closed its descriptor: ATTACH
# and reference counts), SHA-256 compared; connect errors are the
# kernel's (ECONNREFUSED); a program blocked in recv when the instance
# stops wakes with ECONNRESET.
. "$(dirname "$0")/lib.sh"

AX_CAT=${AX_CAT:-build/tests/ax_cat}
MB=${LIBAXNET_TEST_MB:-16}
[ -x "$AX_CAT" ] || fail "$AX_CAT not built (make $AX_CAT)"
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
export AXNET_STATE_DIR="$STATE"

head -c $((MB << 20)) /dev/urandom > "$AXNET_LOG.in"
want=$(sha256sum < "$AXNET_LOG.in" | cut -c1-64)
port=5100
for mode in threads poll epoll "poll -f"; do
	port=$((port + 1))
	ip netns exec "$NS_B" timeout 60 python3 tests/tools/tcp_echo_server.py "$KERNEL_B" $port \
		>/dev/null 2>&1 &
	SRV=$!
	for _ in $(seq 50); do ip netns exec "$NS_B" ss -ltn | grep -q ":$port " && break; sleep 0.1; done
	t0=$(date +%s%N)
	cat "$AXNET_LOG.in" | timeout 60 "$AX_CAT" -m $mode "$KERNEL_B" $port > "$AXNET_LOG.out" ||
		fail "ax_cat -m $mode exited non-zero"
	t1=$(date +%s%N)
	wait $SRV
	got=$(sha256sum < "$AXNET_LOG.out" | cut -c1-64)
	expect_eq "ax_cat -m $mode: SHA-256 of $MB MiB out and back ($(( (t1 - t0) / 1000000 )) ms)" "$got" "$want"
done
rm -f "$AXNET_LOG.in" "$AXNET_LOG.out"

# Nothing listens on 5999 at the kernel: its RST is ECONNREFUSED here.
msg=$(timeout 10 "$AX_CAT" "$KERNEL_B" 5999 < /dev/null 2>&1) && fail "connect to a closed port succeeded"
echo "$msg" | grep -q "connect: Connection refused" || fail "connect to a closed port says: $msg"
pass "connect to a closed kernel port: ECONNREFUSED"

# The instance stops under a program blocked in recv: it wakes with
# ECONNRESET (its session hung up), it does not sleep on.
ip netns exec "$NS_B" timeout 60 python3 tests/tools/tcp_echo_server.py "$KERNEL_B" 5200 \
	>/dev/null 2>&1 &
SRV=$!
for _ in $(seq 50); do ip netns exec "$NS_B" ss -ltn | grep -q ":5200 " && break; sleep 0.1; done
# Its stdin: a FIFO we hold open and never write (no EOF, no data).
mkfifo "$AXNET_LOG.fifo"
exec 7<>"$AXNET_LOG.fifo"
timeout 30 "$AX_CAT" "$KERNEL_B" 5200 < "$AXNET_LOG.fifo" > /dev/null 2> "$AXNET_LOG.err" &
CAT=$!
for _ in $(seq 50); do "$AXNET" conns --state-dir "$STATE" | grep -q "$KERNEL_B:5200 *ESTAB" && break; sleep 0.1; done
"$AXNET" conns --state-dir "$STATE" | grep -q "$KERNEL_B:5200" || fail "ax_cat did not connect"
t0=$(date +%s%N)
stop_axnet
wait $CAT && fail "ax_cat exited 0 when the instance stopped"
t1=$(date +%s%N)
grep -q "Connection reset by peer" "$AXNET_LOG.err" || fail "ax_cat says: $(cat "$AXNET_LOG.err")"
[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || fail "ax_cat took $(( (t1 - t0) / 1000000 )) ms to notice"
pass "the instance stopped: the blocked program got ECONNRESET ($(( (t1 - t0) / 1000000 )) ms)"
exec 7>&-
rm -f "$AXNET_LOG.err" "$AXNET_LOG.fifo"
kill $SRV 2>/dev/null
