#!/usr/bin/env bash
# 10,000 axnet sockets in one epoll set, one of them active
# (tests/tools/ax_epoll_many): a datagram from the kernel peer wakes the
# wait, which returns exactly that socket; with it left ready, a wait on
# the big set costs about what it costs on a set of ten, and so does a
# wait with nothing ready (libaxnet keeps a ready list, as the kernel does:
# no scan of the idle sockets). The daemon holds the 10,001 sockets and
# closes them all when the program exits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

N=${LIBAXNET_EPOLL_N:-10000}
# A wait that scanned N sockets would cost microseconds per wait more; a
# ready list costs the same. The bound leaves room for a busy machine.
MAX_RATIO=${LIBAXNET_EPOLL_MAX_RATIO:-3}

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

prog e "$AX_EPOLL_MANY" -n "$N" 6100
wait_for e "^ready $((N + 1))\$" 120
pass "$((N + 1)) sockets in one epoll set"
udp_send "$NS_B" "$AXNET_IP" 6100 'wake up' || fail "udp_send"
done_ok e
cat "$WORK/e.out"
grep -q '^got fd=[0-9]* events=0x1 payload=wake up$' "$WORK/e.out" ||
	fail "the wait did not return the active socket with its datagram"
pass "the wait returned the one active socket (EPOLLIN) and its datagram"
for what in wait_ns idle_ns; do
	r=$(awk -v w="$what" '$1 == w { split($4, a, "="); print a[2] }' "$WORK/e.out")
	awk -v r="$r" -v m="$MAX_RATIO" 'BEGIN { exit !(r != "" && r <= m) }' ||
		fail "$what: a set of $((N + 1)) costs $r times a set of 10 (at most $MAX_RATIO)"
	pass "$what: a set of $((N + 1)) costs $r times a set of 10 (at most $MAX_RATIO)"
done

# The program is gone: the daemon closed its 10,001 sockets.
for _ in $(seq 50); do
	[ "$("$AXNET" conns --state-dir "$STATE" | grep -c ':6100')" -eq 0 ] && break
	sleep 0.1
done
expect_eq "sockets on :6100 left after the program exited" \
	"$("$AXNET" conns --state-dir "$STATE" | grep -c ':6100')" 0
stop_axnet
exit 0
