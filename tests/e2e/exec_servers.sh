# exec_servers.sh - helpers for the tests of stock programs under axnet
# (test-exec-*.sh; sourced after lib.sh and libaxnet.sh, not run).
#
# The programs under test run in a namespace of their own with nothing but
# loopback (NS_P): they reach the instance through its state directory, and
# an AF_INET socket that slipped past axnet onto the kernel finds no
# route, so it fails loudly instead of passing on the kernel's stack. Their
# kernel peers (curl, wrk, iperf3, redis-benchmark) run in NS_B.
#
# EXEC_ON=kernel runs the same script with the programs on the kernel's
# sockets, in NS_A at KERNEL_A, with no instance: the reference the axnet
# run must match (what axnet alone can show, its table and its log, is
# skipped there).

EXEC_ON=${EXEC_ON:-axnet}
case "$EXEC_ON" in
axnet) SRV=$AXNET_IP ;;   # where the program under test listens
kernel) SRV=$KERNEL_A ;;
*) fail "EXEC_ON=$EXEC_ON: axnet or kernel" ;;
esac
# axnet exec finds the library here ($AXNET may be the ASan build, whose
# directory has none).
export AXNET_PRELOAD=$(realpath -m "${AXNET_PRELOAD:-build/libaxnet-preload.so}")
if [ "$EXEC_ON" = axnet ]; then
	[ -f "$AXNET_PRELOAD" ] || fail "$AXNET_PRELOAD is not built (make libaxnet)"
fi
unset LD_PRELOAD
NS_P="axt${ID}p"
# Everything under WORK is read by programs that drop privileges (nginx's
# workers run as nobody).
chmod 755 "$WORK"

# exec_cleanup: every process left in the test's namespaces (a forked
# worker or background child the EXIT trap's kill of its parent missed)
# ended, NS_P removed; then libaxnet's cleanup. axnet itself sits in NS_A
# (axnet run --netns) and is stopped by cleanup, so NS_A is swept only
# when it holds the programs (EXEC_ON=kernel).
exec_cleanup() {
	local rc=$? ns pids f
	# The programs' own logs (nginx's error.log) say what went wrong.
	if [ $rc -ne 0 ]; then
		for f in $(find "$WORK" -name '*.log' 2>/dev/null); do
			echo "--- $f" >&2
			tail -15 "$f" >&2
		done
	fi
	for ns in "$NS_P" "$NS_B" $([ "$EXEC_ON" = kernel ] && echo "$NS_A"); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	done
	ip netns del "$NS_P" 2>/dev/null
	(exit $rc)
	libaxnet_cleanup
}
trap exec_cleanup EXIT

# exec_setup [axnet run ARGS...]: the veth pair, the programs' namespace,
# and (EXEC_ON=axnet) the instance. TIME_WAIT is short so that a closed
# connection's connection-close entry (with its byte counts) is written
# soon.
exec_setup() {
	make_pair
	ip netns add "$NS_P" || fail "netns add $NS_P"
	ip -n "$NS_P" link set lo up
	[ "$EXEC_ON" = axnet ] || return 0
	start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --tcp-time-wait 200 "$@"
}

# AXRUN: the command prefix that runs a program under axnet: the one place
# that says how (EXEC_ON=kernel: on the kernel's sockets in NS_A). Every
# part execs the next, so a background program's PID is the program's.
if [ "$EXEC_ON" = kernel ]; then
	AXRUN=(nsenter --net="/run/netns/$NS_A")
else
	AXRUN=(nsenter --net="/run/netns/$NS_P" "$AXNET" exec --state-dir "$STATE" --)
fi

# on_axnet CMD...: CMD under axnet, in the foreground.
on_axnet() { "${AXRUN[@]}" "$@"; }

# ax_bg NAME CMD...: CMD under axnet in the background (bare's rules:
# output in $WORK/NAME.out and .err, its PID in PID_NAME).
ax_bg() {
	local name=$1
	shift
	bare "$name" "${AXRUN[@]}" "$@"
}

# in_b CMD...: CMD on the kernel peer's side (NS_B), in the foreground.
in_b() { ip netns exec "$NS_B" "$@"; }

# kernel_bg NAME CMD...: CMD in NS_B in the background (bare's rules).
kernel_bg() {
	local name=$1
	shift
	bare "$name" ip netns exec "$NS_B" "$@"
}

# axnet_only: true when the run has an instance to ask; prints a note
# otherwise.
axnet_only() {
	[ "$EXEC_ON" = axnet ] && return 0
	echo "note: $1: axnet only (EXEC_ON=kernel)"
	return 1
}

# exe_of CMD: the executable /proc/PID/exe names for CMD (symlinks
# resolved: redis-server is a link to redis-check-rdb).
exe_of() { readlink -f "$(command -v "$1")"; }

# conns_owner_check WHAT EXE PORT: `axnet conns --json` has at least one
# TCP connection (not a listener) at local or peer port PORT whose owner's
# exe is EXE; prints how many.
conns_owner_check() {
	local what=$1 exe=$2 port=$3 n
	axnet_only "$what: axnet conns" || return 0
	"$AXNET" conns --state-dir "$STATE" --json >"$WORK/conns.json" || fail "axnet conns --json"
	n=$(/usr/bin/python3 - "$WORK/conns.json" "$exe" "$port" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
exe, port = sys.argv[2], sys.argv[3]
ours = [r for r in rows if r["proto"] == "tcp" and r["state"] != "LISTEN" and
        (r["local"].endswith(":" + port) or r["remote"].endswith(":" + port))]
bad = [r for r in ours if not r["owner"] or r["owner"]["exe"] != exe]
if bad:
    print("not " + exe + ": " + json.dumps(bad[0]), file=sys.stderr)
    sys.exit(1)
print(len(ours))
EOF
	) || { cat "$WORK/conns.json" >&2; fail "$what: axnet conns --json: a connection at :$port not owned by $exe"; }
	[ "$n" -gt 0 ] || { cat "$WORK/conns.json" >&2; fail "$what: axnet conns --json: no connection at :$port"; }
	pass "$what: axnet conns --json: $n connections at :$port, each owned by $exe"
}

# log_owner_check WHAT EXE DIR TUPLE: the Axiom log has connection-authorize
# entries for DIR (in/out) whose tuple has TUPLE (e.g. local=ADDR:PORT),
# and every one of them names EXE; prints how many.
log_owner_check() {
	local what=$1 exe=$2 dir=$3 tuple=$4 all n other
	axnet_only "$what: axnet log" || return 0
	"$AXNET" log --state-dir "$STATE" >"$WORK/log.txt" || fail "axnet log"
	all=$(grep -c "connection-authorize dir=$dir .*$tuple " "$WORK/log.txt")
	n=$(grep "connection-authorize dir=$dir .*$tuple " "$WORK/log.txt" | grep -c " exe=$exe\$")
	other=$((all - n))
	[ "$all" -gt 0 ] || { tail -20 "$WORK/log.txt" >&2; fail "$what: no connection-authorize dir=$dir $tuple in the log"; }
	expect_eq "$what: log entries dir=$dir $tuple not naming $exe" "$other" 0
	pass "$what: the log's $n connection-authorize entries (dir=$dir $tuple) name exe=$exe"
}

# wait_line NAME REGEX [SECS]: as wait_for, on NAME's .out or .err.
wait_line() {
	local n
	for n in $(seq $(( ${3:-10} * 10 ))); do
		grep -qE "$2" "$WORK/$1.out" "$WORK/$1.err" 2>/dev/null && return 0
		sleep 0.1
	done
	tail -20 "$WORK/$1.out" "$WORK/$1.err" >&2 2>/dev/null
	fail "$1: no line '$2' within ${3:-10} s"
}

# still_running NAME: NAME's process is alive (else its output and fail).
still_running() {
	local v="PID_$1"
	kill -0 "${!v}" 2>/dev/null && return 0
	tail -20 "$WORK/$1.out" "$WORK/$1.err" >&2 2>/dev/null
	fail "$1 is no longer running"
}
