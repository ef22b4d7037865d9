#!/usr/bin/env bash
# Benchmark: what Axiom's backend costs a connection. Authorizations per
# second and the connect() latency axnet adds, with the local-file Axiom
# (the default) and with Axiom on a 3-member etcd cluster, next to the
# kernel's own listener, in one run on one machine.
#
# Topology: lib.sh's veth pair (A: axnet's side, B: the kernel client);
# for the etcd column, tests/e2e/etcd.sh's cluster (three members, each in
# its own namespace, on a bridge; data directories on the root file
# system, so every member's WAL fsync is real) with A attached to its
# bridge: the daemon reaches etcd through A's kernel.
# The three columns, measured round by round (RUNS rounds; a slow moment
# of the shared machine hits every column alike), each against a fresh
# listener:
#   kernel       tests/tools/connect_load.c listening on A's kernel address
#                (axnet not running: no XDP program on the veth): no
#                authorization, the reference the "added" figures are
#                taken against
#   axnet+file   axnet run --serve discard:9,..., its state directory on the
#                root file system (a real fdatasync): every connect
#                proposes a connection-authorize entry, committed before
#                the SYN-ACK leaves
#   axnet+etcd   the same with --axiom etcd://... --axiom-prefix
#                axnet/bench/PID/rN: committed once etcd has (a quorum
#                has it on disk)
#                The daemon's etcd client and the reference below talk to
#                the first member (m1), made the leader after the cluster
#                starts (ETCD_LEADER=N: member N; any: where the election
#                fell): the best case, no hop from a follower to the leader
#   etcd alone   before each etcd round, ETCD_PUTS puts one at a time from A
#                (and GAP_CONNS GAP_MS apart) to the first member (tests/tools/etcd_put_lat.py over the
#                same v3 JSON gateway): what a quorum commit itself costs
#                here, the floor of the etcd column's added latency
# The client (connect_load in B, the kernel's sockets) opens connections
# and closes each at once (SO_LINGER 0: an RST, no TIME_WAIT):
#   latency      SEQ_CONNS one after the other: connect() p50/p99, and the
#                "added" figures (axnet's minus the kernel's); back to
#                back, a SYN can wait for the commit of the close entry of
#                the connection before it (one commit in flight at a
#                time). Then GAP_CONNS (200) one at a time GAP_MS (20)
#                apart, as sparse connections come: the log is idle when
#                each SYN comes, and every process on the way (the
#                kernel's client and listener too) wakes from sleep
#   throughput   CONC_CONNS from CONC threads at once (8), then CONC_CONNS
#                from WIDE_CONC threads (32) over WIDE_SPAN listener ports
#                (4: discard on 9..12, the kernel's on 9009..9012): 8
#                connections a listener, below the SYN-cookie threshold
#                (AX_TCP_SYNCOOKIE_HALFOPEN, 16 half-open a listener), so
#                every connect() waits for its commit; more at once means
#                bigger group commits. The per-source SYN bucket is lifted
#                (--syn-rate) or it would be what is measured.
# Authorizations/s is the log's own: its connection-authorize entries'
# commit times, first to last of the phase. Checked against the client
# and the daemon in every phase: authz.authorized and authz.closed grew by
# exactly the connections the client saw connect, the log's head
# (axiom.head_seq) by two entries each (authorize, close); after the
# instance stops its log, read back with `axnet log` (from etcd for the
# etcd column), verifies, reaches that head, and holds exactly one
# connection-authorize entry per connection in each phase's range. The
# daemon's own request-to-commit latency (authz.latency_p50_us/p99_us, its
# last 4096 authorizations) is read after each phase, and entries per
# group commit from axiom.batches. Each figure is the median of the RUNS
# rounds; the client's SYN retransmissions are counted (a dropped SYN
# costs a connect() one second: a column with any measured drops).
#
# Settings (environment): RUNS (3), SEQ_CONNS (2000), GAP_CONNS (200,
# 0: none), GAP_MS (20), CONC_CONNS (10000), CONC (8), WIDE_CONC (32, 0:
# none), WIDE_SPAN (4, at most 8), ETCD_PUTS (500), ETCD_LEADER (1),
# BENCH_ETCD (auto: the etcd column when `axnet run` takes --axiom; 1:
# required; 0: skipped), BENCH_JSON (build/bench.json: the figures go
# under "axiom_bench", the rest of the file is kept), AXNET (build/axnet),
# CONNECT_LOAD (build/tests/connect_load).
# A failed connection, a count that does not match, a log that does not
# verify or a daemon that does not come up stops the bench with a message
# and a non-zero exit. Everything started here is removed on exit, also on
# ^C. Needs root.
set -u
AXNET=${AXNET:-build/axnet}
CONNECT_LOAD=${CONNECT_LOAD:-build/tests/connect_load}
BENCH_JSON=${BENCH_JSON:-build/bench.json}
RUNS=${RUNS:-3}
SEQ_CONNS=${SEQ_CONNS:-2000}
CONC_CONNS=${CONC_CONNS:-10000}
CONC=${CONC:-8}
BENCH_ETCD=${BENCH_ETCD:-auto}
ETCD_PUTS=${ETCD_PUTS:-500}
ETCD_LEADER=${ETCD_LEADER:-1}
GAP_CONNS=${GAP_CONNS:-200}
GAP_MS=${GAP_MS:-20}
WIDE_CONC=${WIDE_CONC:-32}
WIDE_SPAN=${WIDE_SPAN:-4}
KPORT=9009
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/etcd.sh

[ -x "$CONNECT_LOAD" ] || fail "no $CONNECT_LOAD (make $CONNECT_LOAD)"
[ "$WIDE_SPAN" -ge 1 ] && [ "$WIDE_SPAN" -le 8 ] || fail "WIDE_SPAN is 1..8 (axnet's services)"
STATE_BASE=/var/tmp/axnet-bench-axiom-$ID
STATE=$STATE_BASE/none
KLISTEN_PID=
LEADERS=
# discard on ports 9 .. 9 + WIDE_SPAN - 1 (at most 8 services).
SERVE=discard:9
for ((p = 10; p < 9 + WIDE_SPAN; p++)); do SERVE="$SERVE,discard:$p"; done
bench_cleanup() {
	local rc=$?
	[ -z "$KLISTEN_PID" ] || kill "$KLISTEN_PID" 2>/dev/null
	(exit $rc)
	etcd_cleanup
	rm -rf "$STATE_BASE"
	(exit $rc)
	cleanup
}
trap bench_cleanup EXIT
mkdir -p "$STATE_BASE" || fail "mkdir $STATE_BASE"

COLS=(kernel file)
case "$BENCH_ETCD" in
auto) "$AXNET" run --help 2>&1 | grep -q -- '--axiom' && COLS+=(etcd) ;;
1) COLS+=(etcd) ;;
esac
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

make_pair
if [[ " ${COLS[*]} " == *" etcd "* ]]; then
	etcd_cluster_start 3
	etcd_attach "$NS_A" 20
	# axnet's etcd client and etcd_put_lat.py talk to the first member:
	# it leads, so the figures do not depend on where an election fell
	# (a request to a follower costs one more hop to the leader).
	[ "$ETCD_LEADER" = any ] || etcd_move_leader "$ETCD_LEADER"
fi

# client ARGS...: connect_load in B; its result line (stdout), or fail.
client() {
	local out
	out=$(ip netns exec "$NS_B" timeout 300 "$CONNECT_LOAD" connect "$@" --max-secs 240) ||
		fail "connect_load connect $*: $out"
	echo "$out" | head -1
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# tcpext NS NAME: a TcpExt counter of namespace NS (/proc/net/netstat).
tcpext() {
	ip netns exec "$1" awk -v c="$2" '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "TcpExt:" { for (i = 2; i <= NF; i++) if (n[i] == c) print $i }' /proc/net/netstat
}
# syn_retrans: the client's SYNs sent again so far (a dropped SYN costs its
# connect() a second: a column with any is measuring drops, and says so).
syn_retrans() { tcpext "$NS_B" TCPSynRetrans; }

declare -A R   # R[col.metric.round]

# etcd_proposals: the Raft proposals the cluster committed so far (m1's
# etcd_server_proposals_committed_total): one a transaction, so the
# requests Axiom made to etcd.
etcd_proposals() {
	ip netns exec "$NS_E" curl -s -m 2 "http://$(etcd_member_ep 1)/metrics" |
		awk '$1 == "etcd_server_proposals_committed_total" { printf "%d\n", $2 }'
}

# settle: wait (at most 5 s) until the instance has no connection left
# (authz.live, authz.pending 0: every close entry proposed) and its log's
# head has stayed put for 50 ms (every entry committed); SNAP is then the
# settled counters.
settle() {
	local h=
	for _ in $(seq 100); do
		snapshot
		if [ "$(snap authz live)" = 0 ] && [ "$(snap authz pending)" = 0 ] &&
			[ "$(snap axiom head_seq)" = "$h" ]; then
			return 0
		fi
		h=$(snap axiom head_seq)
		sleep 0.05
	done
	fail "the instance did not settle: live $(snap authz live), pending $(snap authz pending)"
}

# tput COL ROUND HOST PORT CONNS K SPAN TAG: a throughput phase, CONNS
# connections from K threads over SPAN ports; its figures under
# R[COL.TAGmetric.ROUND]. For axnet, the daemon's counters must agree with
# the client; the phase's log heads and connections go to PHASES (and
# LH0, LH1) for log_check.
tput() {
	local col=$1 r=$2 host=$3 port=$4 conns=$5 k=$6 span=$7 t=$8 out a0 h0 a1 h1 c0 c1 b0 n p0
	if [ "$col" != kernel ]; then
		settle
		a0=$(snap authz authorized) h0=$(snap axiom head_seq) c0=$(snap authz closed)
		b0=$(snap axiom batches)
		[ "$col" = etcd ] && p0=$(etcd_proposals)
	fi
	out=$(client "$host" "$port" --conns "$conns" --conc "$k" --port-span "$span")
	R[$col.${t}rate.$r]=$(field "$out" rate)
	R[$col.${t}conc_p50.$r]=$(field "$out" p50_us)
	R[$col.${t}conc_p99.$r]=$(field "$out" p99_us)
	[ "$col" = kernel ] && return 0
	n=$(field "$out" ok)
	settle   # the close entries follow the RSTs
	a1=$(snap authz authorized) h1=$(snap axiom head_seq) c1=$(snap authz closed)
	R[$col.${t}per_batch.$r]=$(awk -v e=$((h1 - h0)) -v b=$(( $(snap axiom batches) - b0 )) \
		'BEGIN { printf "%.1f", (b > 0 ? e / b : 0) }')
	[ "$col" = etcd ] && R[$col.${t}txn_batch.$r]=$(awk -v p=$(( $(etcd_proposals) - p0 )) \
		-v b=$(( $(snap axiom batches) - b0 )) 'BEGIN { printf "%.2f", (b > 0 ? p / b : 0) }')
	R[$col.${t}d_conc_p50.$r]=$(snap authz latency_p50_us)
	R[$col.${t}d_conc_p99.$r]=$(snap authz latency_p99_us)
	[ $((a1 - a0)) -eq "$n" ] ||
		fail "$col round $r: authz.authorized grew by $((a1 - a0)), the client connected $n"
	[ $((c1 - c0)) -eq "$n" ] ||
		fail "$col round $r: authz.closed grew by $((c1 - c0)), the client connected $n"
	[ $((h1 - h0)) -eq $((2 * n)) ] ||
		fail "$col round $r: the log's head moved by $((h1 - h0)), want $((2 * n))" \
			"(authorize + close each)"
	R[$col.${t}authz_rate.$r]=$(awk -v n=$((a1 - a0)) -v s="$(field "$out" secs)" \
		'BEGIN { printf "%.0f", n / s }')
	R[$col.${t}entries.$r]=$((h1 - h0))
	PHASES+=("${t:--} $h0 $h1 $n")   # "-": no tag
	[ -n "$LH0" ] || LH0=$h0
	LH1=$h1
}

# measure COL ROUND HOST PORT: warm-up, the latency and throughput phases
# against HOST:PORT (and the ports after it, WIDE_SPAN in all); for axnet
# also the daemon's counters, and PHASES, LH0, LH1 for log_check.
measure() {
	local col=$1 r=$2 host=$3 port=$4 out s0 p0
	client "$host" "$port" --conns 20 >/dev/null   # ARP, first-connection costs
	s0=$(syn_retrans)
	[ "$col" = kernel ] || settle
	[ "$col" = etcd ] && p0=$(etcd_proposals)
	out=$(client "$host" "$port" --conns "$SEQ_CONNS")
	R[$col.p50.$r]=$(field "$out" p50_us)
	R[$col.p99.$r]=$(field "$out" p99_us)
	R[$col.seq_rate.$r]=$(field "$out" rate)
	if [ "$col" != kernel ]; then
		settle
		[ "$col" = etcd ] && R[$col.txn_conn.$r]=$(awk -v p=$(( $(etcd_proposals) - p0 )) \
			-v n="$SEQ_CONNS" 'BEGIN { printf "%.2f", p / n }')
		R[$col.d_p50.$r]=$(snap authz latency_p50_us)
		R[$col.d_p99.$r]=$(snap authz latency_p99_us)
	fi
	if [ "$GAP_CONNS" -gt 0 ]; then
		out=$(client "$host" "$port" --conns "$GAP_CONNS" --gap-us $((GAP_MS * 1000)))
		R[$col.gp50.$r]=$(field "$out" p50_us)
		R[$col.gp99.$r]=$(field "$out" p99_us)
	fi
	PHASES=() LH0= LH1=
	tput "$col" "$r" "$host" "$port" "$CONC_CONNS" "$CONC" 1 ""
	[ "$WIDE_CONC" -gt 0 ] && tput "$col" "$r" "$host" "$port" "$CONC_CONNS" "$WIDE_CONC" "$WIDE_SPAN" w
	R[$col.syn_retrans.$r]=$(( $(syn_retrans) - s0 ))
}

etcd_prefix() { echo "axnet/bench/$ID/r$1"; }

# log_check COL ROUND LOG_ARGS...: the stopped instance's log, read back
# through `axnet log` (from A: it reaches etcd from there): it verifies, it
# holds the head the daemon reported, and each throughput phase's range of
# heads (PHASES: "TAG H0 H1 N") holds exactly N connection-authorize
# entries; their commit times give the log's own authorizations/s
# (R[COL.TAGlog_rate.ROUND]: entries after the first over the time from
# the first to the last).
log_check() {
	local col=$1 r=$2 v entries out t h0 h1 n got rate
	shift 2
	v=$(ip netns exec "$NS_A" "$AXNET" log verify "$@" 2>&1) ||
		fail "$col round $r: axnet log verify: $v"
	entries=$(echo "$v" | sed -n 's/^ok: \([0-9]*\) entries.*/\1/p')
	[ -n "$entries" ] && [ "$entries" -ge "$LH1" ] ||
		fail "$col round $r: axnet log verify: '$v', the daemon's head was $LH1"
	ip netns exec "$NS_A" "$AXNET" log "$@" --since $((LH0 + 1)) >"$STATE_BASE/log" ||
		fail "$col round $r: axnet log failed"
	for ph in "${PHASES[@]}"; do
		read -r t h0 h1 n <<<"$ph"
		[ "$t" = - ] && t=
		out=$(/usr/bin/python3 - "$STATE_BASE/log" "$h0" "$h1" <<'PY'
import calendar, sys, time
h0, h1 = int(sys.argv[2]), int(sys.argv[3])
n, first, last = 0, None, None
for line in open(sys.argv[1]):
    f = line.split()
    seq = int(f[0])
    if seq > h1:
        break
    if seq <= h0 or f[2] != "connection-authorize":
        continue
    # RFC 3339 with ns: 2026-11-30T23:29:50.927234691Z
    base, frac = f[1][:-1].split(".")
    t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 10 ** len(frac)
    first = t if first is None else first
    last = t
    n += 1
rate = (n - 1) / (last - first) if n > 1 and last > first else 0
print(n, f"{rate:.0f}")
PY
)
		read -r got rate <<<"$out"
		[ "$got" = "$n" ] ||
			fail "$col round $r: ${got:-no} connection-authorize entries in ($h0, $h1]," \
				"the client connected $n"
		R[$col.${t}log_rate.$r]=$rate
	done
	rm -f "$STATE_BASE/log"
	R[$col.log_entries.$r]=$entries
}

# axnet_up COL ROUND: an instance on A with that column's Axiom.
axnet_up() {
	local extra=()
	STATE=$STATE_BASE/$1-r$2
	[ "$1" = etcd ] && extra=(--axiom "$ETCD_URL" --axiom-prefix "$(etcd_prefix "$2")")
	start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve "$SERVE" \
		--syn-rate 1000000 "${extra[@]}"
}

for r in $(seq "$RUNS"); do
	for col in "${COLS[@]}"; do
		case $col in
		kernel)
			ip netns exec "$NS_A" "$CONNECT_LOAD" listen "$KERNEL_A" "$KPORT" --secs 600 \
				--port-span "$WIDE_SPAN" \
				>"$STATE_BASE/klisten" 2>&1 &
			KLISTEN_PID=$!
			for _ in $(seq 50); do grep -q listening "$STATE_BASE/klisten" && break; sleep 0.1; done
			grep -q listening "$STATE_BASE/klisten" || fail "kernel listener: $(cat "$STATE_BASE/klisten")"
			d0=$(tcpext "$NS_A" ListenDrops)
			measure kernel "$r" "$KERNEL_A" "$KPORT"
			R[kernel.listen_drops.$r]=$(( $(tcpext "$NS_A" ListenDrops) - d0 ))
			kill "$KLISTEN_PID"; wait "$KLISTEN_PID" 2>/dev/null; KLISTEN_PID=
			rm -f "$STATE_BASE/klisten"
			;;
		etcd)
			# etcd alone first: what a quorum commit costs on this machine.
			out=$(ip netns exec "$NS_A" timeout 120 /usr/bin/python3 tests/tools/etcd_put_lat.py \
				"$(etcd_member_addr 1)" 2379 "$ETCD_PUTS" "axnet/bench/$ID/raw$r") ||
				fail "etcd_put_lat: $out"
			LEADERS="$LEADERS m$(etcd_leader)"
			R[etcd_put.p50.$r]=$(field "$out" p50_us)
			R[etcd_put.p99.$r]=$(field "$out" p99_us)
			if [ "$GAP_CONNS" -gt 0 ]; then
				out=$(ip netns exec "$NS_A" timeout 120 /usr/bin/python3 \
					tests/tools/etcd_put_lat.py "$(etcd_member_addr 1)" 2379 "$GAP_CONNS" \
					"axnet/bench/$ID/rawgap$r" "$GAP_MS") || fail "etcd_put_lat: $out"
				R[etcd_put.gp50.$r]=$(field "$out" p50_us)
				R[etcd_put.gp99.$r]=$(field "$out" p99_us)
			fi
			axnet_up "$col" "$r"
			measure "$col" "$r" "$AXNET_IP" 9
			stop_axnet
			log_check "$col" "$r" --axiom "$ETCD_URL" --axiom-prefix "$(etcd_prefix "$r")"
			rm -rf "$STATE"
			;;
		*)
			axnet_up "$col" "$r"
			measure "$col" "$r" "$AXNET_IP" 9
			stop_axnet
			log_check "$col" "$r" --state-dir "$STATE"
			rm -rf "$STATE"
			;;
		esac
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the table and the JSON ------------------------------------------------------
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
runs_of() { local r v=(); for r in $(seq "$RUNS"); do v+=("${R[$1.$2.$r]:-}"); done; echo "${v[*]}"; }
med() { median $(runs_of "$1" "$2"); }
declare -A M   # M[col.metric]: the median
METRICS=(p50 p99 seq_rate rate conc_p50 conc_p99 d_p50 d_p99 d_conc_p50 d_conc_p99 authz_rate entries
	per_batch log_rate txn_conn txn_batch wrate wconc_p50 wconc_p99 wd_conc_p50 wd_conc_p99 wauthz_rate
	wentries wper_batch wlog_rate wtxn_batch gp50 gp99)
for col in "${COLS[@]}" etcd_put; do
	for m in "${METRICS[@]}"; do
		[ -n "${R[$col.$m.1]:-}" ] && M[$col.$m]=$(med "$col" "$m")
	done
	if [ "$col" = file ] || [ "$col" = etcd ]; then
		M[$col.add_p50]=$(( ${M[$col.p50]} - ${M[kernel.p50]} ))
		M[$col.add_p99]=$(( ${M[$col.p99]} - ${M[kernel.p99]} ))
		if [ -n "${M[$col.gp50]:-}" ]; then
			M[$col.add_gp50]=$(( ${M[$col.gp50]} - ${M[kernel.gp50]} ))
			M[$col.add_gp99]=$(( ${M[$col.gp99]} - ${M[kernel.gp99]} ))
		fi
	fi
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
label() {
	case $1 in
	kernel) echo "kernel listener (no authorization)" ;;
	file) echo "axnet, Axiom in local files" ;;
	etcd) echo "axnet, Axiom on etcd (3 members)" ;;
	esac
}
dash() { [ -n "${M[$1]:-}" ] && echo "${M[$1]}" || echo -; }

echo
echo "Axiom bench: $date, kernel $(uname -r), commit $commit, median of $RUNS rounds"
echo "load average at start $load_start, at end $load_end ($(nproc) CPUs)"
echo "client: the kernel in B, connect() then close (RST); axnet serves discard (+$((WIDE_SPAN - 1)) ports)"
echo
echo "connect() one at a time ($SEQ_CONNS a round); +: added by axnet (minus the kernel's);"
echo "daemon: authz.latency_p50_us/p99_us, request to commit"
printf '  %-36s %8s %8s %8s %8s %15s\n' "" "p50 us" "p99 us" "+p50 us" "+p99 us" "daemon p50/p99"
for col in "${COLS[@]}"; do
	d=-
	[ "$col" = kernel ] || d="${M[$col.d_p50]}/${M[$col.d_p99]}"
	printf '  %-36s %8s %8s %8s %8s %15s\n' "$(label "$col")" "${M[$col.p50]}" "${M[$col.p99]}" \
		"$(dash "$col.add_p50")" "$(dash "$col.add_p99")" "$d"
done
[ -z "${M[etcd_put.p50]:-}" ] ||
	printf '  %-36s %8s %8s   (%s puts to m1 a round; leader by round:%s)\n' \
		"etcd alone: one put, JSON gateway" "${M[etcd_put.p50]}" "${M[etcd_put.p99]}" \
		"$ETCD_PUTS" "$LEADERS"
[ -z "${M[etcd.txn_conn]:-}" ] ||
	echo "  etcd transactions a connection, one at a time: ${M[etcd.txn_conn]}" \
		"(etcd_server_proposals_committed_total; a group commit is one)"
if [ "$GAP_CONNS" -gt 0 ]; then
	echo
	echo "connect() one at a time, $GAP_MS ms apart ($GAP_CONNS a round), as sparse connections come:"
	echo "the log is idle at each SYN, every process on the way wakes from sleep (the kernel's too)"
	printf '  %-36s %8s %8s %8s %8s\n' "" "p50 us" "p99 us" "+p50 us" "+p99 us"
	for col in "${COLS[@]}"; do
		printf '  %-36s %8s %8s %8s %8s\n' "$(label "$col")" "${M[$col.gp50]}" "${M[$col.gp99]}" \
			"$(dash "$col.add_gp50")" "$(dash "$col.add_gp99")"
	done
	[ -z "${M[etcd_put.gp50]:-}" ] ||
		printf '  %-36s %8s %8s   (%s puts to m1, %s ms apart)\n' \
			"etcd alone: one put, JSON gateway" "${M[etcd_put.gp50]}" "${M[etcd_put.gp99]}" \
			"$GAP_CONNS" "$GAP_MS"
fi
tput_table() { # TAG TITLE
	local col d
	echo
	echo "$2, $CONC_CONNS connections a round"
	printf '  %-36s %8s %8s %8s %8s %15s %8s\n' "" "conn/s" "authz/s" "p50 us" "p99 us" \
		"daemon p50/p99" "entries"
	for col in "${COLS[@]}"; do
		d=- e=-
		if [ "$col" != kernel ]; then
			d="${M[$col.${1}d_conc_p50]}/${M[$col.${1}d_conc_p99]}"
			e="${M[$col.${1}per_batch]}"
		fi
		printf '  %-36s %8s %8s %8s %8s %15s %8s\n' "$(label "$col")" "${M[$col.${1}rate]}" \
			"$(dash "$col.${1}log_rate")" "${M[$col.${1}conc_p50]}" "${M[$col.${1}conc_p99]}" \
			"$d" "$e"
	done
}
tput_table "" "$CONC threads at once, one port"
[ "$WIDE_CONC" -gt 0 ] && tput_table w "$WIDE_CONC threads at once over $WIDE_SPAN ports"
echo "conn/s: the client's; authz/s: the log's own, from its connection-authorize entries' commit"
echo "times (authz.authorized grew by exactly the connections the client saw connect, and the log"
echo "holds one connection-authorize entry each); p50/p99: connect() under load; daemon: authz.latency;"
echo "entries: log entries a group commit (axiom.batches; a connection is two: authorize, close)"
[ -z "${M[etcd.txn_batch]:-}" ] ||
	echo "etcd transactions a group commit: ${M[etcd.txn_batch]} ($CONC threads), ${M[etcd.wtxn_batch]:--} ($WIDE_CONC)"
echo
for col in "${COLS[@]}"; do
	echo "runs $col: p50 $(runs_of "$col" p50); p99 $(runs_of "$col" p99);" \
		"conn/s $(runs_of "$col" rate) / $(runs_of "$col" wrate);" \
		"SYNs sent again $(runs_of "$col" syn_retrans)"
done
echo "the kernel listener's dropped SYNs (ListenDrops) by round: $(runs_of kernel listen_drops)"
# The client must not be what limits axnet's rows: against the kernel it
# has to open connections several times faster than axnet takes them.
for t in "" w; do
	for col in "${COLS[@]}"; do
		[ "$col" = kernel ] && continue
		awk -v k="${M[kernel.${t}rate]}" -v a="${M[$col.${t}rate]}" 'BEGIN { exit !(k < 3 * a) }' &&
			echo "WARNING: the client did only ${M[kernel.${t}rate]} conn/s against the kernel," \
				"${M[$col.${t}rate]} against $col: it may be what limits that row"
	done
done
[[ " ${COLS[*]} " == *" etcd "* ]] ||
	echo "(no etcd column: BENCH_ETCD=$BENCH_ETCD; auto: this axnet has no --axiom option)"

# Into BENCH_JSON under "axiom_bench", the rest of the file kept.
mkdir -p "$(dirname "$BENCH_JSON")"
{
	for col in "${COLS[@]}" etcd_put; do
		for m in "${METRICS[@]}" add_p50 add_p99 add_gp50 add_gp99 syn_retrans listen_drops; do
			[ -n "${M[$col.$m]:-}" ] && echo "M $col $m ${M[$col.$m]}"
			[ -n "${R[$col.$m.1]:-}" ] && echo "R $col $m $(runs_of "$col" "$m")"
		done
	done
} | /usr/bin/python3 -c '
import json, os, sys
path, date, kver, commit, runs, seqn, concn, conc, l0, l1, ncpu, leaders, wconc, wspan = sys.argv[1:]
names = {"p50": "connect_p50_us", "p99": "connect_p99_us", "add_p50": "added_p50_us",
         "add_p99": "added_p99_us", "seq_rate": "sequential_conns_per_s", "rate": "conns_per_s",
         "conc_p50": "concurrent_connect_p50_us", "conc_p99": "concurrent_connect_p99_us",
         "d_p50": "daemon_authz_p50_us", "d_p99": "daemon_authz_p99_us",
         "d_conc_p50": "concurrent_daemon_authz_p50_us",
         "d_conc_p99": "concurrent_daemon_authz_p99_us", "authz_rate": "authorizations_per_s",
         "entries": "log_entries_per_round", "per_batch": "entries_per_group_commit",
         "syn_retrans": "client_syn_retransmits", "listen_drops": "kernel_listen_drops",
         "log_rate": "log_authorizations_per_s",
         "gp50": "spaced_connect_p50_us", "gp99": "spaced_connect_p99_us",
         "add_gp50": "spaced_added_p50_us", "add_gp99": "spaced_added_p99_us",
         "txn_conn": "etcd_txns_per_connection_sequential", "txn_batch": "etcd_txns_per_group_commit"}
cols = {}
for line in sys.stdin:
    kind, col, m, *v = line.split()
    # w...: the same figure in the wide phase (more threads, more ports).
    name = names[m] if m in names else "wide_" + names[m[1:]]
    c = cols.setdefault(col, {"runs": {}})
    num = [float(x) if "." in x else int(x) for x in v]
    if kind == "M":
        c[name] = num[0]
    else:
        c["runs"][name] = num
try:
    with open(path) as f:
        j = json.load(f)
except (OSError, ValueError):
    j = {}
j["axiom_bench"] = {"date": date, "kernel_version": kver, "commit": commit, "rounds": int(runs),
    "sequential_conns": int(seqn), "concurrent_conns": int(concn), "concurrency": int(conc),
    "wide_concurrency": int(wconc), "wide_ports": int(wspan),
    "load_average_start": l0, "load_average_end": l1, "cpus": int(ncpu),
    "figures": "median of the rounds; added = axnet minus kernel, sequential connect()",
    "etcd_leader_by_round": leaders.split(), "columns": cols}
with open(path + ".tmp", "w") as f:
    json.dump(j, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
' "$BENCH_JSON" "$date" "$(uname -r)" "$commit" "$RUNS" "$SEQ_CONNS" "$CONC_CONNS" "$CONC" \
	"$load_start" "$load_end" "$(nproc)" "$LEADERS" "$WIDE_CONC" "$WIDE_SPAN" || fail "cannot write $BENCH_JSON"
echo "written: $BENCH_JSON (axiom_bench)"
