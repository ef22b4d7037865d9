#!/usr/bin/env bash
# Descriptor and blocking semantics as Linux's: one stock program
# (tests/tools/ax_sem built on the kernel's calls) runs on the kernel's
# sockets in A and under the preload library on axnet, against the same
# kernel peer in B:
#  - dup: dup, dup2, dup3, F_DUPFD_CLOEXEC of a connected socket (errors,
#    one socket behind every descriptor, dup2 onto and over pipe ends, a
#    reader blocked on one descriptor while another is closed and its
#    number reused, the close of the last); also the same program built on
#    libaxnet (ax_dup*);
#  - handlers: sigaction/signal/sysv_signal/siginterrupt as libc's (old
#    actions are the program's own, flags and masks, SA_SIGINFO arguments,
#    SA_RESETHAND), line for line;
#  - matrix: recv, read, send, write, accept, connect, poll, select,
#    epoll_wait interrupted by a handler with and without SA_RESTART, with
#    and without SO_RCVTIMEO/SO_SNDTIMEO (a second signal ends a restarted
#    call); the outcomes must be the kernel's, line for line;
#  - cancel: threads blocked in each call (two on one socket for recv) are
#    cancelled and joined (PTHREAD_CANCELED), the sockets closed; the same
#    lines as the kernel's, and `axnet conns` then shows none of the
#    program's connections open (nothing leaked) while it still runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

PL=$(realpath "${AX_PRELOAD_LIB:-build/libaxnet-preload.so}")
SM=$(realpath "$AX_TOOLS_DIR/ax_sem_kernel")
SM_LIB=$AX_TOOLS_DIR/ax_sem
[ -x "$SM" ] || fail "$SM is not built (make $SM)"
[ -x "$SM_LIB" ] || fail "$SM_LIB is not built (make $SM_LIB)"
[ -f "$PL" ] || fail "$PL is not built (make build/libaxnet-preload.so)"
SILENT="$P.99"   # nobody answers ARP for it

make_pair
ip -n "$NS_A" link set lo up
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
ip netns exec "$NS_B" timeout -k 5 200 /usr/bin/python3 tests/tools/errno_peer.py "$KERNEL_B" \
	--timeout 190 >"$WORK/peer.out" 2>&1 &
BG_PIDS+=($!)
wait_for peer '^ready'

# same NAME: the kernel's and axnet's outputs of NAME, line for line.
same() {
	echo "$(wc -l <"$WORK/$1-kernel.out") outcomes ($1)"
	if ! diff -u "$WORK/$1-kernel.out" "$WORK/$1-axnet.out" >"$WORK/$1.diff"; then
		echo "--- kernel, +++ axnet exec:"
		cat "$WORK/$1.diff"
		fail "$1: axnet's outcomes differ from the kernel's in $(grep -c '^+[^+]' "$WORK/$1.diff") lines"
	fi
	pass "$1: the $(wc -l <"$WORK/$1-axnet.out") outcomes are the kernel's"
}

# --- dup ---------------------------------------------------------------------------
ip netns exec "$NS_A" timeout 60 "$SM" dup "$KERNEL_A" "$KERNEL_B" >"$WORK/dup-kernel.out" \
	2>"$WORK/dup-kernel.err" || fail "dup on the kernel's sockets exited with $?"
timeout 60 env LD_PRELOAD="$PL" "$SM" dup "$AXNET_IP" "$KERNEL_B" >"$WORK/dup-axnet.out" \
	2>"$WORK/dup-axnet.err" || { cat "$WORK/dup-axnet.out" "$WORK/dup-axnet.err"; fail "dup under axnet exited with $?"; }
same dup
timeout 60 "$SM_LIB" dup "$AXNET_IP" "$KERNEL_B" >"$WORK/duplib-axnet.out" 2>"$WORK/duplib-axnet.err" ||
	{ cat "$WORK/duplib-axnet.out" "$WORK/duplib-axnet.err"; fail "dup on libaxnet exited with $?"; }
cp "$WORK/dup-kernel.out" "$WORK/duplib-kernel.out"
same duplib

# --- the program's handlers, as libc keeps them ------------------------------------
"$SM" handlers >"$WORK/handlers-kernel.out" 2>&1 || fail "handlers on libc exited with $?"
env LD_PRELOAD="$PL" "$SM" handlers >"$WORK/handlers-axnet.out" 2>&1 ||
	fail "handlers under the preload library exited with $?"
same handlers

# --- the SA_RESTART matrix --------------------------------------------------------
ip netns exec "$NS_A" timeout 90 "$SM" matrix "$KERNEL_A" "$KERNEL_B" "$SILENT" \
	>"$WORK/matrix-kernel.out" 2>"$WORK/matrix-kernel.err" ||
	fail "the matrix on the kernel's sockets exited with $?"
timeout 90 env LD_PRELOAD="$PL" "$SM" matrix "$AXNET_IP" "$KERNEL_B" "$SILENT" \
	>"$WORK/matrix-axnet.out" 2>"$WORK/matrix-axnet.err" ||
	{ cat "$WORK/matrix-axnet.out" "$WORK/matrix-axnet.err"; fail "the matrix under axnet exited with $?"; }
grep -q 'recv SA_RESTART  *handlers=2 -1 EINTR' "$WORK/matrix-kernel.out" ||
	fail "the kernel did not restart recv under SA_RESTART: the reference is wrong"
same matrix

# --- pthread_cancel ---------------------------------------------------------------
echo | ip netns exec "$NS_A" timeout 60 "$SM" cancel "$KERNEL_A" "$KERNEL_B" \
	>"$WORK/cancel-kernel.out" 2>"$WORK/cancel-kernel.err" ||
	fail "cancel on the kernel's sockets exited with $?"
mkfifo "$WORK/go"
exec 9<>"$WORK/go"
bare cancel sh -c 'exec "$@" <"$0"' "$WORK/go" timeout 60 env LD_PRELOAD="$PL" "$SM" cancel \
	"$AXNET_IP" "$KERNEL_B"
wait_for cancel '^closed' 30
# Still running, every socket closed: none of its connections is open
# (a socket leaked by a cancelled call would stay ESTABLISHED, SYN_SENT or
# CLOSE_WAIT; closed ones pass through FIN_WAIT/TIME_WAIT).
"$AXNET" conns --state-dir "$STATE" -t >"$WORK/conns.out"
open=$(awk 'NR > 1 && ($2 == "ESTABLISHED" || $2 == "SYN_SENT" || $2 == "CLOSE_WAIT" ||
	$2 == "SYN_RECEIVED" || $2 == "LISTEN")' "$WORK/conns.out" | wc -l)
[ "$open" -eq 0 ] || { cat "$WORK/conns.out"; fail "$open connections left open after the cancelled calls"; }
pass "no connection left open by the cancelled calls"
echo >&9
done_ok cancel
exec 9>&-
cp "$WORK/cancel.out" "$WORK/cancel-axnet.out"
same cancel
stop_axnet
exit 0
