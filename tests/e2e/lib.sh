# lib.sh - shared helpers for the end-to-end tests (sourced, not run).
#
# Every test makes its own namespaces with names unique to its PID, uses
# only addresses inside them, and removes them in an EXIT trap, also when
# it fails. Every wait is bounded.

AXNET=${AXNET:-build/asan/axnet}
GARBAGE=${GARBAGE:-build/tests/garbage}
XDP_PASS_OBJ=${XDP_PASS_OBJ:-build/tests/xdp_pass.bpf.o}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

ID=$$
NS_A="axt${ID}a"          # axnet's side
NS_B="axt${ID}b"          # the kernel peer
IF_A="axa${ID}"
IF_B="axb${ID}"
STATE="/run/axnet/test-${ID}"
AXNET_PID=
AXNET_LOG=$(mktemp /tmp/axnet-test.XXXXXX)
# A /24 inside 10.200/16 picked from the PID, so parallel runs do not meet.
NET="10.200.$((ID % 250)).0"
P=${NET%.0}
KERNEL_B="$P.1"   # peer kernel
AXNET_IP="$P.2"   # axnet
KERNEL_A="$P.3"   # the kernel of axnet's namespace

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

cleanup() {
	local rc=$?
	if [ -n "$AXNET_PID" ] && kill -0 "$AXNET_PID" 2>/dev/null; then
		kill -TERM "$AXNET_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$AXNET_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$AXNET_PID" 2>/dev/null
	fi
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$STATE"
	if [ $rc -ne 0 ]; then
		echo "--- axnet log ---" >&2
		tail -40 "$AXNET_LOG" >&2
	fi
	rm -f "$AXNET_LOG"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make_pair [numqueues]: two namespaces joined by a veth pair. The peer's
# TX checksum offload is off: a veth peer otherwise sends partial checksums
# that XDP cannot tell from bad ones (README, "Platform notes").
make_pair() {
	local q=${1:-1}
	ip netns add "$NS_A" && ip netns add "$NS_B" || fail "netns add"
	# No IPv6 chatter (DAD, router solicitations) in the counters we
	# compare exactly; the engine has no IPv6 yet.
	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$NS_A" link add "$IF_A" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name "$IF_B" netns "$NS_B" numtxqueues "$q" numrxqueues "$q" || fail "veth"
	ip -n "$NS_A" addr add "$KERNEL_A/24" dev "$IF_A"
	ip -n "$NS_B" addr add "$KERNEL_B/24" dev "$IF_B"
	ip -n "$NS_A" link set "$IF_A" up
	ip -n "$NS_B" link set "$IF_B" up
	ip netns exec "$NS_B" ethtool -K "$IF_B" tx off >/dev/null 2>&1 || true
}

# start_axnet ARGS...: run axnet in the background and wait until its
# control socket answers (at most 10 s).
# Without --policy among its arguments, axnet runs with $AXNET_POLICY
# (allow everything), so tests of the stack are not tests of the policy.
AXNET_POLICY=${AXNET_POLICY:-tests/e2e/allow-all.pol}
start_axnet() {
	local pol=(--policy "$AXNET_POLICY")
	case " $* " in *" --policy "*) pol=() ;; esac
	"$AXNET" run --state-dir "$STATE" "${pol[@]}" "$@" >"$AXNET_LOG" 2>&1 &
	AXNET_PID=$!
	for _ in $(seq 100); do
		"$AXNET" stats --state-dir "$STATE" >/dev/null 2>&1 && return 0
		kill -0 "$AXNET_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$AXNET_LOG" >&2
	fail "axnet did not come up"
}

# stop_axnet: SIGTERM, and the exit status must be 0 (ASan/UBSan clean).
stop_axnet() {
	local rc
	kill -TERM "$AXNET_PID"
	wait "$AXNET_PID"; rc=$?
	AXNET_PID=
	[ $rc -eq 0 ] || { cat "$AXNET_LOG" >&2; fail "axnet exited with $rc"; }
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$AXNET_LOG"; then
		cat "$AXNET_LOG" >&2
		fail "sanitizer report in axnet's log"
	fi
}

# stat GROUP NAME: one counter of the running instance.
stat() {
	"$AXNET" stats --state-dir "$STATE" --all |
		awk -v g="$1" -v n="$2" '$1 == g && $2 == n { print $3; f = 1 } END { if (!f) print "missing" }'
}

# snapshot: all counters at one instant, into $SNAP; snap GROUP NAME reads it.
snapshot() { SNAP=$("$AXNET" stats --state-dir "$STATE" --all) || fail "axnet stats"; }
snap() {
	echo "$SNAP" | awk -v g="$1" -v n="$2" '$1 == g && $2 == n { print $3; f = 1 } END { if (!f) print "missing" }'
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got $2, want $3"
	pass "$1 = $3"
}

# kernel_ping NS COUNT ADDR: the number of replies ping(8) got.
kernel_ping() {
	ip netns exec "$1" ping -c "$2" -i 0.2 -W 2 "$3" 2>&1 |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p'
}

mac_of() {
	ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# --- the impairment relay (tests/tools/impair.c) -----------------------------------
# A test with a relay sets IMPAIR (the binary), NS_M (its namespace) and WORK
# (a directory of its own) and traps relay_cleanup on EXIT.
RELAY_PID=
RELAY_NETNS=

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 5 s.
stop_pid() {
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}

# relay_topology NS_L IF_L NS_M IF_ML IF_MR NS_R IF_R: three namespaces
# (no IPv6), veth pairs IF_L--IF_ML and IF_MR--IF_R through the middle one,
# all up with TX checksum offload and TSO/GSO/GRO off: partial checksums
# and super-frames would make the relay forward frames no wire could carry
# (it counts them otherwise). Addresses and neighbours are the caller's.
relay_topology() {
	local nl=$1 il=$2 nm=$3 iml=$4 imr=$5 nr=$6 ir=$7 ns pair
	for ns in "$nl" "$nm" "$nr"; do
		ip netns add "$ns" || fail "netns add $ns"
		# cleanup removes NS_A and NS_B, once axnet is stopped.
		[ "$ns" = "$NS_A" ] || [ "$ns" = "$NS_B" ] || RELAY_NETNS="$RELAY_NETNS $ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || fail "sysctl in $ns"
	done
	ip -n "$nl" link add "$il" type veth peer name "$iml" netns "$nm" || fail "veth $il"
	ip -n "$nm" link add "$imr" type veth peer name "$ir" netns "$nr" || fail "veth $ir"
	for pair in "$nl $il" "$nm $iml" "$nm $imr" "$nr $ir"; do
		set -- $pair
		ip -n "$1" link set "$2" up || fail "link up $2"
		ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
			fail "ethtool -K $2"
	done
}

# relay_start IF_ML IF_MR ARGS...: the relay in NS_M between IF_ML and
# IF_MR, its counters to $WORK/stats (on SIGUSR1 and at exit), stdout to
# $WORK/relay.out, stderr to $WORK/relay.err; waits (at most 5 s) for its
# ready line. Sets RELAY_PID.
relay_start() {
	local left=$1 right=$2
	shift 2
	"$IMPAIR" --netns "$NS_M" --left "$left" --right "$right" --stats-file "$WORK/stats" \
		"$@" >"$WORK/relay.out" 2>"$WORK/relay.err" &
	RELAY_PID=$!
	for _ in $(seq 50); do
		grep -q '^impair: relaying' "$WORK/relay.err" && return 0
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/relay.err" >&2
	fail "relay did not come up"
}

# relay_cleanup: the EXIT trap of a test with a relay: the relay stopped,
# on failure the end of its log, the namespaces relay_topology made (but
# NS_A and NS_B) and WORK removed; then cleanup.
relay_cleanup() {
	local rc=$? ns
	[ -z "$RELAY_PID" ] || stop_pid "$RELAY_PID"
	if [ $rc -ne 0 ] && [ -s "$WORK/relay.err" ]; then
		echo "--- relay log ---" >&2
		tail -20 "$WORK/relay.err" >&2
	fi
	for ns in $RELAY_NETNS; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}

# --- many connections from the kernel peer (tests/tools/tcp_many_client.py) -------
# A test sets WORK (a directory of its own) and traps client_cleanup on EXIT.
CLIENT_PID=

# client_cleanup: the EXIT trap of such a test: the client stopped, WORK
# removed; then cleanup.
client_cleanup() {
	local rc=$?
	[ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}

# not_listen: how many connections axnet has, listeners aside.
not_listen() { "$AXNET" conns --state-dir "$STATE" -t | awk 'NR > 1 && $2 != "LISTEN"' | wc -l; }

# many_open N SECONDS: N connections from NS_B to axnet's echo service on
# port 7, each echoing its own message, then held open until many_close;
# the client gives up after SECONDS (and is killed 15 s later). Waits (at
# most SECONDS - 5) until all are open. Its output is $WORK/out; sets
# CLIENT_PID.
many_open() {
	local n=$1 secs=$2
	ip netns exec "$NS_B" timeout $((secs + 15)) python3 tests/tools/tcp_many_client.py \
		"$AXNET_IP" 7 --conns "$n" --seed "$ID" --hold-file "$WORK/go" --timeout "$secs" \
		>"$WORK/out" 2>&1 &
	CLIENT_PID=$!
	for _ in $(seq $(( (secs - 5) * 10 ))); do
		grep -q '^open ' "$WORK/out" && break
		kill -0 "$CLIENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "^open $n\$" "$WORK/out" || { cat "$WORK/out"; fail "not all $n connections echoed"; }
}

# many_close [WHY]: the client closes all its connections at once and must
# exit 0 (else fail, with WHY); prints its last line.
many_close() {
	touch "$WORK/go"
	wait "$CLIENT_PID" || { cat "$WORK/out"; fail "the client saw errors${1:+ ($1)}"; }
	CLIENT_PID=
	tail -1 "$WORK/out"
}

# conns_settle SECONDS: wait (at most SECONDS) until axnet has no
# connection but its listeners; LEFT is how many it still has.
conns_settle() {
	for _ in $(seq $(( $1 * 10 ))); do
		LEFT=$(not_listen)
		[ "$LEFT" -eq 0 ] && break
		sleep 0.1
	done
}

# tmpfs_state NAME: WORK, a new directory /tmp/NAME.XXXXXX; DISK, a 3 MB
# tmpfs mounted in it; STATE, axnet's state directory on it (not made);
# HOLD_PID, empty (a test's process holding the disk's space). At exit:
# HOLD_PID killed, axnet stopped (it has files open on the tmpfs), the
# tmpfs unmounted and WORK removed, then the rest of cleanup.
tmpfs_state() {
	WORK=$(mktemp -d "/tmp/$1.XXXXXX")
	DISK="$WORK/disk"
	mkdir "$DISK"
	mount -t tmpfs -o size=3m tmpfs "$DISK" || fail "mount tmpfs"
	STATE="$DISK/state"
	HOLD_PID=
	trap 'rc=$?; [ -n "$HOLD_PID" ] && kill $HOLD_PID 2>/dev/null
if [ -n "$AXNET_PID" ]; then kill -TERM "$AXNET_PID" 2>/dev/null; wait "$AXNET_PID" 2>/dev/null; fi
AXNET_PID=; umount "$DISK" 2>/dev/null; rm -rf "$WORK"; (exit $rc); cleanup' EXIT
}

# hold_start N: N connections from NS_B, each running the test's
# $WORK/hold.py AXNET_IP $WORK/go (it prints "first" once it has moved
# data, then waits for $WORK/go), output in $WORK/holdI.out, pids added to
# HOLD_PID; fails unless each says "first" within 5 s.
hold_start() {
	local h
	for h in $(seq "$1"); do
		ip netns exec "$NS_B" python3 "$WORK/hold.py" "$AXNET_IP" "$WORK/go" >"$WORK/hold$h.out" 2>&1 &
		HOLD_PID="$HOLD_PID $!"
	done
	for h in $(seq "$1"); do
		for _ in $(seq 50); do grep -q first "$WORK/hold$h.out" && break; sleep 0.1; done
		grep -q first "$WORK/hold$h.out" || fail "held connection $h did not start: $(cat "$WORK/hold$h.out")"
	done
}

# hold_release: $WORK/go made, the held connections waited for; nonzero
# if any of them failed.
hold_release() {
	local pid rc=0
	touch "$WORK/go"
	for pid in $HOLD_PID; do wait "$pid" || rc=1; done
	HOLD_PID=
	return $rc
}

# wait_stat GROUP NAME VALUE: wait (at most 3 s) until the counter is VALUE.
wait_stat() {
	for _ in $(seq 30); do [ "$(stat "$1" "$2")" = "$3" ] && break; sleep 0.1; done
}
