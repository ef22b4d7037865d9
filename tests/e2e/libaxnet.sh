# libaxnet.sh - helpers for the tests of programs on libaxnet
# (test-libaxnet*.sh; sourced after lib.sh, not run). The programs
# (tests/tools/ax_*.c, built only against include/axnet/socket.h and
# -laxnet) run in the test's own namespace: they reach the instance through
# its state directory, not the network. Their kernel peers
# (tests/tools/kpeer.py) run in NS_B.

AX_TOOLS_DIR=${AX_TOOLS_DIR:-build/tests}
AX_XFER=$AX_TOOLS_DIR/ax_xfer
AX_EPOLL_MANY=$AX_TOOLS_DIR/ax_epoll_many
AX_SCRIBBLE=$AX_TOOLS_DIR/ax_scribble
for t in "$AX_XFER" "$AX_EPOLL_MANY" "$AX_SCRIBBLE"; do
	[ -x "$t" ] || fail "$t is not built (make $t)"
done
# libaxnet finds the instance here (as ax_init would be told).
export AXNET_STATE_DIR="$STATE"
WORK=$(mktemp -d /tmp/axnet-libaxnet.XXXXXX)
BG_PIDS=()

# kill_tree PID: PID and every process below it, deepest first. A shell
# function run in the background is a subshell: killing only it leaves its
# program running, orphaned (an http.server under axnet exec spun on its
# reset listener for an hour after a test had ended).
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
	kill -KILL "$1" 2>/dev/null
}

# Programs and peers in the background are ended before the namespaces go.
libaxnet_cleanup() {
	local rc=$? p
	for p in "${BG_PIDS[@]}"; do kill_tree "$p"; done
	if [ $rc -ne 0 ]; then
		for p in "$WORK"/*.out "$WORK"/*.err; do
			[ -s "$p" ] && { echo "--- $(basename "$p")"; tail -5 "$p"; } >&2
		done
	fi
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}
trap libaxnet_cleanup EXIT

# peer NAME ARGS...: tests/tools/kpeer.py ARGS in NS_B, in the background,
# output in $WORK/NAME.out (errors .err); its PID in PID_NAME.
peer() {
	local name=$1
	shift
	bare "$name" ip netns exec "$NS_B" timeout -k 5 240 python3 tests/tools/kpeer.py "$@"
}

# prog NAME CMD...: a program of ours in the background (at most 240 s),
# output in $WORK/NAME.out (.err); its PID in PID_NAME (timeout's).
prog() {
	local name=$1
	shift
	bare "$name" timeout -k 5 240 "$@"
}

# bare NAME CMD...: as prog, but PID_NAME is the program's own (to be
# killed, or named in the log); the EXIT trap ends it if the test does not.
bare() {
	local name=$1
	shift
	"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	BG_PIDS+=($!)
	printf -v "PID_$name" %s $!
}

# wait_for NAME REGEX [SECS]: until $WORK/NAME.out has a line matching
# REGEX (at most SECS, default 10), else fail.
wait_for() {
	local f="$WORK/$1.out"
	for _ in $(seq $(( ${3:-10} * 10 ))); do
		grep -qE "$2" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$f" "$WORK/$1.err" >&2 2>/dev/null
	fail "$1: no line '$2' within ${3:-10} s"
}

# done_ok NAME: wait for NAME's process; it must exit 0.
done_ok() {
	local pid_var="PID_$1" rc
	wait "${!pid_var}"; rc=$?
	[ $rc -eq 0 ] || { cat "$WORK/$1.out" "$WORK/$1.err" >&2; fail "$1 exited with $rc"; }
}

# field NAME WHAT KEY: KEY's value in NAME's line "WHAT key=value ...".
field() {
	awk -v w="$2" -v k="$3" '$1 == w { for (i = 2; i <= NF; i++) {
		split($i, a, "="); if (a[1] == k) { print a[2]; f = 1 } } }
		END { if (!f) print "none" }' "$WORK/$1.out"
}

# same_stream WHAT A DIR_A B DIR_B BYTES: what A says it DIR_A (sent or
# received) is byte for byte what B says it DIR_B: counts equal to BYTES,
# SHA-256 equal.
same_stream() {
	local what=$1 a=$2 da=$3 b=$4 db=$5 bytes=$6
	expect_eq "$what: bytes $a $da" "$(field "$a" "$da" bytes)" "$bytes"
	expect_eq "$what: bytes $b $db" "$(field "$b" "$db" bytes)" "$bytes"
	expect_eq "$what: SHA-256 $b $db = $a $da" "$(field "$b" "$db" sha256)" \
		"$(field "$a" "$da" sha256)"
}

# mbps NAME WHAT: MB/s of NAME's WHAT line.
mbps() {
	awk -v w="$2" '$1 == w { for (i = 2; i <= NF; i++) { split($i, a, "=");
		v[a[1]] = a[2] } printf "%.1f", v["bytes"] / (v["secs"] > 0 ? v["secs"] : 1e-9) / 1e6 }' \
		"$WORK/$1.out"
}

# udp_send NS ADDR PORT TEXT: one datagram from namespace NS.
udp_send() {
	ip netns exec "$1" python3 -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))' \
		"$2" "$3" "$4"
}
