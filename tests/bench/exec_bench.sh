#!/usr/bin/env bash
# Benchmark: stock programs under `axnet exec` next to the same programs on
# the kernel's sockets, in one run, on one veth pair (namespaces made here,
# as every e2e test and libaxnet_bench.sh make them).
#
# The program under test listens on A's side: on A's kernel address, run
# in A's namespace (the kernel rows), or under `axnet exec` on axnet's
# address (the axnet rows; the program runs in the caller's namespace and
# reaches the instance through its state directory, as a user's would).
# Both are the same binary with the same arguments (iperf3 -4, nginx's
# IPv4 listen, redis' --bind 0.0.0.0: the engine has no IPv6 yet). The
# load comes from B, always the kernel's own tools on kernel sockets. B's
# TX checksum offload is off (make_pair: axnet's XDP path needs whole
# checksums), which also takes TSO from B: the same pair for both stacks.
#   iperf3       -s on A; -c from B for BENCH_SECONDS (the first second
#                omitted: slow start), -P 1 and -P 4, into A and out of A
#                (-R); Gbit/s received (the JSON's end.sum_received)
#   nginx        master and two workers serving a 1 KiB static file; wrk
#                -c 64 -t 2 --latency, keep-alive: requests/s and p99
#   redis        redis-server (no persistence); redis-benchmark -t set,get
#                -n BENCH_REDIS_REQUESTS -c 50: requests/s of each
#   connections  the same nginx, wrk with 'Connection: close': every
#                request a new connection, which under axnet is authorized
#                and committed to Axiom (state directory on the root file
#                system: a real fdatasync) before it carries data; checked:
#                the instance's authz.authorized count grows by at least
#                the number of requests wrk completed. -c 8 stays below
#                the SYN-cookie threshold (AX_TCP_SYNCOOKIE_HALFOPEN, 16
#                half-open connections a listener): authorization's cost.
#                -c 64 crosses it: a cookie connection's first request
#                waits, unacknowledged, for the commit (tcp_cookie.c), but
#                the connection's SYN, ACK and request each take a token
#                of XDP's per-source slow-path bucket (axnet run
#                --syn-rate, 1000/s by default) before its verdict is in:
#                one client address gets about a third of the rate, and
#                what the bucket drops is resent after the peer's RTO
#                (200 ms). The keep-alive row's 64 connections open at
#                once too: a first request may stall so, and wrk's p99
#                weighs each stall as many requests (wrk corrects for
#                coordinated omission: a request that took T counts as
#                T / interval samples, interval the mean time between a
#                connection's requests, a fraction of a millisecond here)
# Ratios are axnet / kernel: above 1 is better for throughput and rates,
# worse for the latency row (time, lower is better).
#
# The kernel baseline (BENCH_BASELINE):
#   plain (default)  axnet is not running during the kernel rows, so no
#                    XDP program sits on the veth: the kernel as a program
#                    has it without axnet, which is what a user of `axnet
#                    exec` compares against. Group by group (iperf3, nginx,
#                    redis) the kernel rows run, then axnet starts on the
#                    same pair for the axnet rows and stops after them: a
#                    slow moment of the shared machine hits both sides of
#                    a ratio alike.
#   xdp              axnet runs (its XDP program attached) for the kernel
#                    rows too: on veth any XDP program costs the kernel's
#                    TCP its GRO, about two thirds of its single-stream
#                    throughput (README, "Platform notes"), so this
#                    baseline flatters axnet; it shows what the XDP demux
#                    costs kernel traffic that shares the interface.
#
# Settings (environment):
#   BENCH_SECONDS         seconds each iperf3 and wrk measurement runs
#                         (default 15: about 5 minutes in all)
#   BENCH_REDIS_REQUESTS  requests per redis-benchmark test (default
#                         BENCH_SECONDS x 10000)
#   BENCH_QUICK=1         development: 2 s measurements, 10000 requests
#   BENCH_ONLY            a subset, e.g. "iperf3 redis" (default: iperf3
#                         nginx redis; nginx includes the connection rate)
#   BENCH_BASELINE        plain or xdp (above)
#   BENCH_JSON            where the JSON goes (default build/bench.json)
#   BENCH_KEEP            a directory to keep every program's output and
#                         log in (iperf3's JSON, wrk's report...)
#   AXNET                 the axnet binary (default build/axnet); its
#                         libaxnet-preload.so is found beside it by
#                         `axnet exec`
# Any program that fails, reports an error (iperf3's error, a wrk socket
# error or non-2xx answer, a redis-benchmark error) or dies under either
# stack stops the bench with a message and a non-zero exit: no row is ever
# a silent zero. Everything started here (programs, axnet, namespaces,
# the state directory) is removed on exit, also on ^C. Needs root.
set -u
AXNET=${AXNET:-build/axnet}
BENCH_QUICK=${BENCH_QUICK:-0}
if [ "$BENCH_QUICK" = 1 ]; then
	BENCH_SECONDS=${BENCH_SECONDS:-2}
	BENCH_REDIS_REQUESTS=${BENCH_REDIS_REQUESTS:-10000}
fi
BENCH_SECONDS=${BENCH_SECONDS:-15}
BENCH_REDIS_REQUESTS=${BENCH_REDIS_REQUESTS:-$((BENCH_SECONDS * 10000))}
BENCH_ONLY=${BENCH_ONLY:-iperf3 nginx redis}
BENCH_BASELINE=${BENCH_BASELINE:-plain}
BENCH_JSON=${BENCH_JSON:-build/bench.json}
BENCH_KEEP=${BENCH_KEEP:-}
# axnet run --syn-rate for the instance: the per-source bucket of frames
# for flows without a verdict (1000/s, bursts of 2000, by default) exists
# to stop one address pushing new flows at the authorizer; the bench's one
# client address opening thousands of connections a second would measure
# that bucket (about 470 connections/s at -c 64, wrk timeouts on SYNs
# resent after 1 s and 3 s), not authorization. BENCH_SYN_RATE=default
# keeps axnet's own.
BENCH_SYN_RATE=${BENCH_SYN_RATE:-100000,200000}
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
STATE=/var/tmp/axnet-bench-$ID
OUT=$(mktemp -d /tmp/axnet-exec-bench.XXXXXX)
GROUPS_RUN=()   # process groups started here and not yet ended (setsid: pid = pgid)
# forget PID: its group has ended (its id may be reused: never signalled again).
forget() {
	local g keep=()
	for g in "${GROUPS_RUN[@]}"; do [ "$g" = "$1" ] || keep+=("$g"); done
	GROUPS_RUN=("${keep[@]}")
}

# Every program runs in a session of its own so that one signal to its
# group ends it with all it forked (nginx's workers, iperf3's threads).
bench_cleanup() {
	local rc=$? g
	trap '' INT TERM HUP
	for g in "${GROUPS_RUN[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
	for g in "${GROUPS_RUN[@]}"; do
		for _ in $(seq 30); do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$g" 2>/dev/null
	done
	# The programs' own words on failure: stderr, nginx's and redis' logs.
	[ $rc -eq 0 ] || [ ! -d "$OUT" ] || find "$OUT" -name '*.err' -o -name '*.log' | sort |
		while read -r f; do
			[ -s "$f" ] && { echo "--- ${f#"$OUT"/}"; tail -n 8 "$f"; } >&2
		done
	[ -z "$BENCH_KEEP" ] || { mkdir -p "$BENCH_KEEP" && cp -r "$OUT"/. "$BENCH_KEEP"/; }
	rm -rf "$OUT"
	(exit $rc)
	cleanup
	rm -rf "$STATE"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

case "$BENCH_BASELINE" in plain | xdp) ;; *) fail "BENCH_BASELINE must be plain or xdp" ;; esac
[[ "$BENCH_SECONDS" =~ ^[1-9][0-9]*$ ]] || fail "BENCH_SECONDS must be a positive integer"
[[ "$BENCH_REDIS_REQUESTS" =~ ^[1-9][0-9]*$ ]] || fail "BENCH_REDIS_REQUESTS must be a positive integer"
[ -x "$AXNET" ] || fail "$AXNET is not built"
for t in iperf3 nginx redis-server redis-benchmark wrk; do
	command -v $t >/dev/null || fail "no $t (scripts/deps.sh installs it)"
done
want() { case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
for g in $BENCH_ONLY; do
	case $g in iperf3 | nginx | redis) ;; *) fail "BENCH_ONLY: no group '$g' (iperf3 nginx redis)" ;; esac
done

# The prefix that runs a program on each stack: under axnet as a user
# runs it; on A's kernel sockets in A's namespace.
ON_AXNET=("$AXNET" exec --state-dir "$STATE" --)
ON_KERNEL=(ip netns exec "$NS_A")
"$AXNET" exec --help >/dev/null 2>&1 || fail "$AXNET has no 'exec' command"
[ -n "${AXNET_PRELOAD:-}" ] || [ -f "$(dirname "$AXNET")/libaxnet-preload.so" ] ||
	fail "no $(dirname "$AXNET")/libaxnet-preload.so (make $(dirname "$AXNET")/libaxnet-preload.so)"

# start STACK NAME CMD...: CMD on STACK (kernel or axnet) in the
# background, output in $OUT/NAME.out and .err; PID_NAME its pid.
start() {
	local stack=$1 name=$2
	shift 2
	local -n on="ON_${stack^^}"
	setsid "${on[@]}" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	GROUPS_RUN+=($!)
	printf -v "PID_$name" %s $!
}
# stop NAME: NAME must still run (else it died under load: fail); then
# its process group is ended.
stop() {
	local pid_var="PID_$1"
	alive "$1"
	kill -TERM -- "-${!pid_var}" 2>/dev/null
	for _ in $(seq 50); do kill -0 -- "-${!pid_var}" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- "-${!pid_var}" 2>/dev/null
	wait "${!pid_var}" 2>/dev/null
	forget "${!pid_var}"
}
alive() {
	local pid_var="PID_$1"
	local rc
	kill -0 "${!pid_var}" 2>/dev/null && return 0
	wait "${!pid_var}"
	rc=$?
	tail -n 20 "$OUT/$1.out" "$OUT/$1.err" >&2
	fail "$1 exited (status $rc) while it should be serving"
}
# listening STACK NAME PORT PROG: wait (at most 10 s) until STACK has a
# TCP listener on PORT (under axnet: PROG's), and NAME is still running.
listening() {
	local stack=$1 name=$2 port=$3 prog
	# What the daemon reads in /proc/PID/exe (redis-server is a link).
	prog=$(basename "$(readlink -f "$(command -v "$4")")")
	for _ in $(seq 100); do
		alive "$name"
		if [ "$stack" = kernel ]; then
			ip netns exec "$NS_A" ss -Hltn "sport = :$port" | grep -q . && return 0
		else
			# The listener must be the program's: its executable shows.
			"$AXNET" conns --state-dir "$STATE" -t -l | awk -v p=":$port" -v x="/$prog" \
				'$2 == "LISTEN" && substr($5, length($5) - length(p) + 1) == p &&
				substr($NF, length($NF) - length(x) + 1) == x { f = 1 } END { exit !f }' && return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$OUT/$name.out" "$OUT/$name.err" >&2
	fail "$name ($stack) is not listening on port $port after 10 s"
}
# client NAME SECS CMD...: CMD from B, in its own session (killed by the
# trap on ^C), at most SECS; its output in $OUT/NAME.out (.err). Fails
# when CMD exits non-zero.
client() {
	local name=$1 secs=$2 pid rc
	shift 2
	setsid timeout -k 5 "$secs" ip netns exec "$NS_B" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	pid=$!
	GROUPS_RUN+=($pid)
	wait $pid
	rc=$?
	# timeout -k killed what outlived it; the group is gone.
	forget $pid
	[ $rc -eq 0 ] && return 0
	tail -n 20 "$OUT/$name.out" "$OUT/$name.err" >&2
	[ $rc -eq 124 ] && fail "$name: no result within $secs s"
	fail "$name exited with $rc"
}

# --- the measurements; each sets R[stack.metric] -----------------------------------
declare -A R
num() { [[ "$2" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "$1: no figure in its output (got '$2')"; }

# iperf STACK ADDR: the four iperf3 rows against a server on STACK.
iperf() {
	local stack=$1 addr=$2 p dir args v
	start "$stack" iperf3_$stack iperf3 -s -4 -p 5201
	listening "$stack" iperf3_$stack 5201 iperf3
	for p in 1 4; do
		for dir in in out; do
			args=(-c "$addr" -p 5201 -t "$BENCH_SECONDS" -O 1 -P $p -J)
			[ $dir = out ] && args+=(-R)
			client "iperf3_$stack-$dir-$p" $((BENCH_SECONDS + 30)) iperf3 "${args[@]}"
			v=$(/usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j: sys.exit("iperf3: " + j["error"])
print("%.2f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9))' "$OUT/iperf3_$stack-$dir-$p.out") ||
				fail "iperf3 -P $p $dir ($stack): no result"
			num "iperf3 -P $p $dir ($stack)" "$v"
			R[$stack.iperf3_${dir}_p$p]=$v
		done
	done
	stop iperf3_$stack
}

# wrk_run NAME CONNS URL ARGS...: wrk -c CONNS from B; its output must
# show no socket error and no non-2xx answer. WRK_RPS, WRK_P99 (ms),
# WRK_REQS.
wrk_run() {
	local name=$1 conns=$2 url=$3 f
	shift 3
	f="$OUT/$name.out"
	local r0
	r0=$(peer_retx)
	client "$name" $((BENCH_SECONDS + 30)) wrk -c "$conns" -t 2 -d "${BENCH_SECONDS}s" --latency "$@" "$url"
	echo "peer_retransmits $(( $(peer_retx) - r0 ))" >>"$f"
	if grep -qE 'Socket errors|Non-2xx' "$f"; then
		cat "$f" >&2
		fail "$name: wrk saw errors"
	fi
	WRK_RPS=$(awk '$1 == "Requests/sec:" { print $2 }' "$f")
	WRK_REQS=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$f")
	WRK_P99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
		m = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
		if (m > 0) printf "%.3f", v * m }' "$f")
	num "$name requests/s" "$WRK_RPS"
	num "$name requests" "$WRK_REQS"
	num "$name p99" "$WRK_P99"
	[ "$WRK_REQS" -gt 0 ] || fail "$name: no request completed"
}

# conns_row STACK ADDR CONNS: new connections/s, CONNS at a time; under
# axnet each must have been authorized (committed).
conns_row() {
	local stack=$1 addr=$2 c=$3 a0 a
	[ "$stack" = axnet ] && a0=$(stat authz authorized)
	wrk_run "wrk-close$c-$stack" "$c" "http://$addr:8080/small.html" -H 'Connection: close'
	R[$stack.conns_per_s_c$c]=$WRK_RPS
	[ "$stack" = axnet ] || return 0
	a=$(( $(stat authz authorized) - a0 ))
	[ "$a" -ge "$WRK_REQS" ] ||
		fail "connections/s (-c $c): $WRK_REQS connections completed but only $a authorized"
	AUTHZ_CONNS=$(( ${AUTHZ_CONNS:-0} + a ))
}

# nginx_rows STACK ADDR: keep-alive requests/s and p99, then connections/s.
nginx_rows() {
	local stack=$1 addr=$2 d
	d="$OUT/nginx-$stack"
	mkdir -p "$d/tmp" "$d/www"
	head -c 1024 /dev/zero | tr '\0' x >"$d/www/small.html"
	chmod -R a+rX "$OUT"
	cat >"$d/nginx.conf" <<-EOF
	daemon off;
	master_process on;
	worker_processes 2;
	pid $d/nginx.pid;
	error_log $d/error.log warn;
	events { worker_connections 4096; use epoll; }
	http {
		access_log off;
		client_body_temp_path $d/tmp/body;
		proxy_temp_path $d/tmp/proxy;
		fastcgi_temp_path $d/tmp/fastcgi;
		uwsgi_temp_path $d/tmp/uwsgi;
		scgi_temp_path $d/tmp/scgi;
		# wrk's connections stay open the whole run (nginx's default
		# closes one after 1000 requests).
		keepalive_requests 100000000;
		server { listen 8080; root $d/www; }
	}
	EOF
	start "$stack" nginx_$stack nginx -p "$d" -c "$d/nginx.conf"
	listening "$stack" nginx_$stack 8080 nginx
	# New connections: 8 at a time (below AX_TCP_SYNCOOKIE_HALFOPEN, 16
	# half-open: what authorization costs) first, on a listener that has
	# not seen 64 at once (it would answer with cookies for
	# AX_TCP_SYNCOOKIE_HOLD_MS after); then keep-alive; then 64 new at a
	# time (SYN cookies: a cookie connection's first data waits for the
	# peer's retransmission, tcp_cookie.c).
	conns_row "$stack" "$addr" 8
	wrk_run "wrk-$stack" 64 "http://$addr:8080/small.html"
	R[$stack.nginx_rps]=$WRK_RPS
	R[$stack.nginx_p99_ms]=$WRK_P99
	conns_row "$stack" "$addr" 64
	alive nginx_$stack
	if grep -E '\[(alert|crit|emerg)\]' "$d/error.log"; then
		fail "nginx ($stack) logged errors"
	fi
	stop nginx_$stack
}

# redis_rows STACK ADDR: SET and GET requests/s.
redis_rows() {
	local stack=$1 addr=$2 d f v t
	d="$OUT/redis-$stack"
	mkdir -p "$d"
	start "$stack" redis_$stack redis-server --port 6379 --bind 0.0.0.0 --protected-mode no \
		--save '' --appendonly no --dir "$d" --daemonize no --logfile "$d/redis.log"
	listening "$stack" redis_$stack 6379 redis-server
	client "redis-bench-$stack" $((BENCH_REDIS_REQUESTS / 500 + 60)) redis-benchmark -h "$addr" -p 6379 \
		-t set,get -n "$BENCH_REDIS_REQUESTS" -c 50 --csv
	# redis-benchmark 7 exits non-zero on an error reply or a lost
	# connection (client fails then).
	f="$OUT/redis-bench-$stack.out"
	for t in SET GET; do
		v=$(awk -F'"' -v t=$t '$2 == t { print $4 }' "$f")
		num "redis-benchmark $t ($stack)" "$v"
		R[$stack.redis_${t,,}_rps]=$v
	done
	alive redis_$stack
	stop redis_$stack
}

# peer_retx: segments B's kernel TCP has retransmitted (a loss, or a
# late ACK, shows in latency tails as its 200 ms minimum RTO).
peer_retx() {
	ip netns exec "$NS_B" awk '$1 == "Tcp:" { if (!c) { for (i = 1; i <= NF; i++)
		if ($i == "RetransSegs") c = i } else print $c }' /proc/net/snmp
}
# group GROUP STACK ADDR: GROUP's rows (iperf3, nginx, redis) on STACK;
# RETX[STACK] adds what B retransmitted meanwhile.
declare -A RETX=([kernel]=0 [axnet]=0)
group() {
	local g=$1 stack=$2 r0
	echo "bench: $g on $stack (${BENCH_SECONDS} s a measurement)" >&2
	r0=$(peer_retx)
	case $g in
	iperf3) iperf "$stack" "$3" ;;
	nginx) nginx_rows "$stack" "$3" ;;
	redis) redis_rows "$stack" "$3" ;;
	esac
	RETX[$stack]=$(( RETX[$stack] + $(peer_retx) - r0 ))
}

# The instance: up for the axnet rows (and, BENCH_BASELINE=xdp, the
# kernel's); down for the plain kernel rows. Each instance's counters are
# kept ($OUT/axnet-stats.N) and summed: AX_RETX, what axnet retransmitted;
# XSK[name], frames the kernel could not hand to its AF_XDP socket (B
# retransmits those).
AX_RETX=0 AX_RUNS=0
declare -A XSK=([rx_dropped]=0 [rx_ring_full]=0 [rx_fill_ring_empty]=0)
axnet_up() {
	[ -z "$AXNET_PID" ] || return 0
	if [ "$BENCH_SYN_RATE" = default ]; then
		start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
	else
		start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" \
			--syn-rate "$BENCH_SYN_RATE"
	fi
}
axnet_down() {
	local f k
	[ -n "$AXNET_PID" ] || return 0
	AX_RUNS=$((AX_RUNS + 1))
	f="$OUT/axnet-stats.$AX_RUNS"
	"$AXNET" stats --state-dir "$STATE" --all >"$f" 2>&1 || fail "axnet stats"
	AX_RETX=$(( AX_RETX + $(awk '$1 == "engine" && $2 == "tcp_retransmits" { print $3 }' "$f") ))
	for k in "${!XSK[@]}"; do
		XSK[$k]=$(( XSK[$k] + $(awk -v k="$k" '$1 == "xsk" && $2 == k { v = $3 } END { print v + 0 }' "$f") ))
	done
	stop_axnet
}

make_pair
# wrk, on a response with 'Connection: close', often closes first, so B
# holds the TIME_WAITs; with Linux's default 28k ports (connect takes
# half of them) the connection rows would soon measure B's port search
# (400 connections/s after 200k). In B's namespace only: every port, and
# TIME_WAIT ports reused (tcp_tw_reuse=1, by timestamps, RFC 6191).
ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
	net.ipv4.tcp_tw_reuse=1 || fail "sysctl in $NS_B"
AUTHZ_CONNS=
# Group by group, the kernel's rows right before axnet's: a slow moment
# of the (shared) machine hits both sides of a ratio alike.
for g in iperf3 nginx redis; do
	want $g || continue
	if [ "$BENCH_BASELINE" = xdp ]; then axnet_up; else axnet_down; fi
	group $g kernel "$KERNEL_A"
	axnet_up
	group $g axnet "$AXNET_IP"
done
axnet_down

# --- the table and the JSON ------------------------------------------------------
ROWS=(
	"iperf3_in_p1|Gbit/s|iperf3 TCP into the program, -P 1"
	"iperf3_in_p4|Gbit/s|iperf3 TCP into the program, -P 4"
	"iperf3_out_p1|Gbit/s|iperf3 TCP out of the program (-R), -P 1"
	"iperf3_out_p4|Gbit/s|iperf3 TCP out of the program (-R), -P 4"
	"nginx_rps|req/s|nginx, wrk -c 64 keep-alive, requests/s"
	"nginx_p99_ms|ms|nginx, wrk -c 64 keep-alive, p99 latency (*)"
	"redis_set_rps|req/s|redis-benchmark SET, requests/s"
	"redis_get_rps|req/s|redis-benchmark GET, requests/s"
	"conns_per_s_c8|conn/s|new connections/s, wrk -c 8 Connection: close"
	"conns_per_s_c64|conn/s|new connections/s, wrk -c 64 Connection: close"
)
ratio() { awk -v a="$1" -v k="$2" 'BEGIN { if (k > 0) printf "%.3f", a / k; else print "null" }'; }
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
baseline_text="kernel sockets, no XDP program on the veth (axnet not running)"
[ "$BENCH_BASELINE" = xdp ] && baseline_text="kernel sockets, axnet's XDP program attached"

echo
echo "axnet exec bench: $date, kernel $(uname -r), commit $commit"
echo "same veth pair; ${BENCH_SECONDS} s a measurement, redis $BENCH_REDIS_REQUESTS requests a test"
echo "kernel baseline: $baseline_text"
echo "axnet run --syn-rate: $BENCH_SYN_RATE (per client address; the bench has one)"
printf '%-56s %-7s %10s %10s %8s\n' metric unit kernel axnet ratio
json_rows=()
for row in "${ROWS[@]}"; do
	IFS='|' read -r key unit label <<<"$row"
	[ -n "${R[kernel.$key]:-}" ] || continue
	k=${R[kernel.$key]} a=${R[axnet.$key]} r=$(ratio "${R[axnet.$key]}" "${R[kernel.$key]}")
	printf '%-56s %-7s %10s %10s %8s\n' "$label" "$unit" "$k" "$a" "$r"
	better=higher
	[ "$key" = nginx_p99_ms ] && better=lower
	json_rows+=("$(printf '    "%s": {"label": "%s", "unit": "%s", "kernel": %s, "axnet": %s, "ratio": %s, "better": "%s"}' \
		"$key" "$label" "$unit" "$k" "$a" "$r" "$better")")
done
echo "ratio: axnet / kernel. (*) latency: lower is better, so a ratio above 1 means axnet answers slower;"
echo "    wrk's p99 corrects for coordinated omission: one request that stalled T counts as T / (mean time"
echo "    between a connection's requests) samples: a few 200 ms stalls (a new connection's frames over XDP's per-source --syn-rate bucket, resent by the client) weigh as thousands"
[ -z "$AUTHZ_CONNS" ] || echo "authorizations committed during the axnet connection rows: $AUTHZ_CONNS (at least one per connection wrk completed)"
echo "retransmitted segments: axnet $AX_RETX; the kernel peer (B) ${RETX[kernel]} in the kernel rows, ${RETX[axnet]} in the axnet rows"
echo "frames lost before axnet's AF_XDP socket: rx_dropped ${XSK[rx_dropped]}," \
	"rx_ring_full ${XSK[rx_ring_full]}, rx_fill_ring_empty ${XSK[rx_fill_ring_empty]}"

mkdir -p "$(dirname "$BENCH_JSON")"
{
	printf '{\n  "date": "%s",\n  "kernel_version": "%s",\n  "commit": "%s",\n' \
		"$date" "$(uname -r)" "$commit"
	printf '  "baseline": "%s",\n  "seconds": %s,\n  "redis_requests": %s,\n' \
		"$BENCH_BASELINE" "$BENCH_SECONDS" "$BENCH_REDIS_REQUESTS"
	printf '  "syn_rate": "%s",\n' "$BENCH_SYN_RATE"
	printf '  "metrics": {\n'
	for i in "${!json_rows[@]}"; do
		printf '%s%s\n' "${json_rows[$i]}" "$([ "$i" -lt $((${#json_rows[@]} - 1)) ] && echo ,)"
	done
	printf '  }\n}\n'
} >"$BENCH_JSON.tmp" && mv "$BENCH_JSON.tmp" "$BENCH_JSON" || fail "cannot write $BENCH_JSON"
echo "written: $BENCH_JSON"
