#!/usr/bin/env bash
# The control server never holds up the data path, and answers everyone.
# With 3,000 idle connections open, a live connection's echo RTT (sampled
# every 10 ms) stays under 10 ms while a slow `axnet conns` reader (4 s
# before it reads) and 16 idle control clients are on the socket; the
# slow reader gets every line of the table; `axnet stats` still answers;
# malformed requests (a NUL byte, too long, unknown, cut short by EOF)
# each get an error line; idle clients are sent away after CTL_IDLE_MS,
# and a client that never reads its reply is dropped after CTL_STALL_MS;
# a client beyond CTL_MAX_CLIENTS gets a clear error, not a hang or a
# SIGPIPE.
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"

export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=16"

N=${CONNS:-3000}
MAX_CLIENTS=64   # CTL_MAX_CLIENTS
IDLE_MS=10000    # CTL_IDLE_MS
STALL_MS=10000   # CTL_STALL_MS
WORK=$(mktemp -d /tmp/axnet-ctl.XXXXXX)
PIDS=()

ctl_cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}
trap ctl_cleanup EXIT

# The test is about axnet's loop waiting for control clients, not about
# CPU time on two shared cores: the clients that disturb it run at the
# lowest priority (starting a sanitized CLI or a Python costs tens of ms
# of CPU), axnet and the RTT sampler at a real-time one (SCHED_FIFO, as a
# latency-bound deployment would run it), so that other load on the
# machine does not preempt them. Both sleep in poll() when idle.
LOW="nice -n 19"
HIGH="chrt -f 10"

# wait_for FILE PATTERN SECONDS
wait_for() {
	for _ in $(seq $(( $3 * 10 ))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7
SOCK="$STATE/control.sock"
chrt -f -p 10 "$AXNET_PID" >/dev/null || fail "chrt axnet"

# In batches of 1,000: the half-open queue (and an ASan build's pace)
# are not what this test is about.
BATCH=1000
for b in $(seq 0 $(( (N - 1) / BATCH ))); do
	n=$(( N - b * BATCH < BATCH ? N - b * BATCH : BATCH ))
	ip netns exec "$NS_B" timeout 250 python3 tests/tools/tcp_many_client.py "$AXNET_IP" 7 \
		--conns "$n" --seed "$ID$b" --hold-file "$WORK/go" --timeout 240 >"$WORK/many$b" 2>&1 &
	PIDS+=($!)
	wait_for "$WORK/many$b" "^open $n\$" 60 || { cat "$WORK/many$b"; fail "$n connections did not open"; }
done
pass "$N idle connections open"
MANY_PIDS=("${PIDS[@]}")

$HIGH ip netns exec "$NS_B" timeout 100 python3 tests/tools/echo_rtt.py "$AXNET_IP" 7 --interval 10 \
	--duration 90 --start-file "$WORK/start" --stop-file "$WORK/stop" --threshold 10 \
	>"$WORK/rtt" 2>&1 &
RTT_PID=$!
PIDS+=($RTT_PID)
wait_for "$WORK/rtt" "^open" 10 || { cat "$WORK/rtt"; fail "the RTT sampler did not connect"; }
sleep 0.5
touch "$WORK/start"

# header, the echo listener, the N connections, the sampler's.
want=$((N + 3))
expect_eq "lines of a prompt axnet conns -t" "$("$AXNET" conns --state-dir "$STATE" -t | wc -l)" "$want"

$LOW python3 tests/tools/ctl_client.py hold "$SOCK" 16 --seconds 30 --ready "$WORK/idle-ready" \
	>"$WORK/idle" 2>&1 &
IDLE_PID=$!
PIDS+=($IDLE_PID)
# And one that asks for the table and never reads it.
$LOW python3 tests/tools/ctl_client.py stall "$SOCK" 'conns\n' --seconds 20 >"$WORK/stall" 2>&1 &
STALL_PID=$!
PIDS+=($STALL_PID)
for _ in $(seq 50); do [ -e "$WORK/idle-ready" ] && break; sleep 0.1; done
[ -e "$WORK/idle-ready" ] || fail "idle clients did not connect"
idle_t0=$(date +%s.%N)

( $LOW "$AXNET" conns --state-dir "$STATE" | (sleep 4; wc -l) >"$WORK/slow" 2>&1 ) 2>"$WORK/slow.err" &
SLOW_PID=$!
PIDS+=($SLOW_PID)
sleep 1

# While the slow reader waits and the idle clients sit there: stats.
t0=$(date +%s%N)
timeout 5 $LOW "$AXNET" stats --state-dir "$STATE" >"$WORK/stats" 2>&1 ||
	{ cat "$WORK/stats"; fail "axnet stats did not answer beside 16 idle clients and a slow reader"; }
t1=$(date +%s%N)
grep -q "tcp_passive_opens" "$WORK/stats" || fail "axnet stats printed no counters"
pass "axnet stats answered in $(( (t1 - t0) / 1000000 )) ms beside 16 idle clients and a slow reader"

# Every malformed request gets an error line, at once.
ctl() { timeout 10 $LOW python3 tests/tools/ctl_client.py send "$SOCK" "$@"; }
expect_eq "answer to a request with a NUL byte" "$(ctl 'st\x00ats\n')" "error request contains a NUL byte"
expect_eq "answer to a NUL byte, client still writing" "$(ctl '\x00\n' --no-eof)" \
	"error request contains a NUL byte"
expect_eq "answer to a 600-byte request" "$(ctl "$(printf 'x%.0s' $(seq 600))\n" --no-eof)" \
	"error request too long (at most 511 bytes)"
expect_eq "answer to an unknown request" "$(ctl 'bogus\n')" "error unknown request"
expect_eq "answer to a request cut short by EOF" "$(ctl 'stats')" \
	"error incomplete request (no newline before end of input)"

wait "$SLOW_PID"
[ -s "$WORK/slow.err" ] && { cat "$WORK/slow.err"; fail "the slow reader's axnet conns complained"; }
expect_eq "lines the slow reader got" "$(tr -d ' ' <"$WORK/slow")" "$want"

touch "$WORK/stop"
wait "$RTT_PID" || { cat "$WORK/rtt"; fail "the RTT sampler failed"; }
grep "^slow sample" "$WORK/rtt" | head -20
tail -1 "$WORK/rtt"
read -r _ samples _ max _ p99 _ median _ over <<<"$(tail -1 "$WORK/rtt")"
[ "$samples" -ge 300 ] || fail "only $samples RTT samples"
# A control client that made the data path wait would cost the echo
# seconds (before: 2,011 ms, the slow reader's whole sleep). On these two
# vCPUs one sample in ~400 reaches 5 to 13 ms at the moment the slow reader
# drains its listing, with the plain build as with ASan (the loop writes
# at most 16 KiB of the listing a turn, non-blocking): scheduling, not a
# wait. So 99% of the samples must stay under 10 ms, and none reach 25.
awk -v p="$p99" 'BEGIN { exit !(p < 10) }' ||
	fail "a live connection's echo RTT p99 reached $p99 ms during the slow reader"
awk -v m="$max" 'BEGIN { exit !(m < 25) }' ||
	fail "a live connection's echo RTT reached $max ms during the slow reader (over 10 ms: ${over#*:})"
pass "echo RTT max $max ms, p99 $p99 ms, median $median ms over $samples samples"

# The idle clients are sent away after CTL_IDLE_MS, each with its reason.
wait "$IDLE_PID"
idle_t1=$(date +%s.%N)
cat "$WORK/idle"
grep -q "^closed 16 of 16$" "$WORK/idle" || fail "idle clients were not closed"
grep -q "^16 error no request within $IDLE_MS ms$" "$WORK/idle" || fail "idle clients got no reason"
# Measured where the clients see it: they run at $LOW priority beside
# 3,000 connections, so on a loaded machine they notice the close seconds
# late (13.2 s once in a CI run beside a parallel build); the daemon's own
# drop line says 10,000 ms.
awk -v a="$idle_t0" -v b="$idle_t1" -v i="$IDLE_MS" 'BEGIN { d = (b - a) * 1000; exit !(d >= i - 200 && d < i + 6000) }' ||
	fail "idle clients closed after $(awk -v a="$idle_t0" -v b="$idle_t1" 'BEGIN { print b - a }') s"
pass "16 idle control clients sent away after $IDLE_MS ms"

# The reader that never reads is dropped after CTL_STALL_MS without a
# byte taken (it had a socket buffer's worth).
wait "$STALL_PID" || { cat "$WORK/stall"; fail "a client that never read its reply was not dropped"; }
read -r _ _ t _ <"$WORK/stall"
awk -v t="$t" -v s="$STALL_MS" 'BEGIN { exit !(t * 1000 >= s - 200 && t * 1000 < s + 3000) }' ||
	fail "the stalled reader was dropped after $t s"
grep -q "control: dropping a client that read nothing for $STALL_MS ms" "$AXNET_LOG" ||
	fail "axnet did not log why it dropped the stalled reader"
pass "a client that read nothing of its reply dropped after $t s"

# The bound: one client beyond it is told so, and exits 1 (no SIGPIPE).
python3 tests/tools/ctl_client.py hold "$SOCK" "$MAX_CLIENTS" --seconds 30 \
	--ready "$WORK/full-ready" >"$WORK/full" 2>&1 &
FULL_PID=$!
PIDS+=($FULL_PID)
for _ in $(seq 50); do [ -e "$WORK/full-ready" ] && break; sleep 0.1; done
sleep 0.3
timeout 5 "$AXNET" stats --state-dir "$STATE" >"$WORK/busy.out" 2>"$WORK/busy.err"
rc=$?
expect_eq "axnet stats exit status beside $MAX_CLIENTS idle clients" "$rc" 1
grep -q "axnet stats: too many control clients ($MAX_CLIENTS); try again later" "$WORK/busy.err" ||
	{ cat "$WORK/busy.err"; fail "the refused client was not told why"; }
pass "a client beyond $MAX_CLIENTS: $(cat "$WORK/busy.err")"
wait "$FULL_PID"
grep -q "^closed $MAX_CLIENTS of $MAX_CLIENTS$" "$WORK/full" || { cat "$WORK/full"; fail "the $MAX_CLIENTS idle clients were not closed"; }
"$AXNET" stats --state-dir "$STATE" >/dev/null || fail "axnet stats after the idle clients left"
pass "axnet stats answers again once the idle clients are gone"

touch "$WORK/go"
for p in "${MANY_PIDS[@]}"; do
	wait "$p" || { tail -3 "$WORK"/many*; fail "the $N connections saw errors"; }
done
PIDS=()
stop_axnet
exit 0
