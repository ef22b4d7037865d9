#!/usr/bin/env bash
# Benchmark: a program through libaxnet next to the same program on the
# kernel's sockets and axnet's built-in services, in one run, on one veth
# pair; then connections per second with authorization.
#
# The program is tests/tools/ax_xfer (-P: no hashing; CHUNK bytes a call,
# 1 MiB by default), built twice: on
# libaxnet (ax_xfer) and on the kernel's sockets (ax_xfer_kernel). The
# kernel peer in B is always ax_xfer_kernel; each figure is measured there,
# the median of RUNS transfers of MB MiB:
#   into A   B sends, timed from connect until A closed after our FIN, to
#              axnet's built-in discard (port 9)
#              ax_xfer on libaxnet, listening in A's instance
#              ax_xfer_kernel listening on A's kernel address
#   out of A B receives, timed from the first byte to the last, from
#              axnet's built-in chargen (port 19; B closes after MB MiB)
#              ax_xfer on libaxnet, listening, sending MB MiB
#              ax_xfer_kernel listening on A's kernel address
# The target: through libaxnet at least 90% of the built-in services.
# The XDP program sits on A's end only: into A the kernel's own TCP loses
# GRO (README, "Platform notes"), so the kernel rows are a reference, not
# the target.
# Memory per idle connection: tests/tools/ax_idle holds IDLE connections
# through libaxnet to a kernel listener in B that accepts and keeps them;
# the daemon's resident memory (private, and the shared segment's pages it
# touched) and the program's (all of it, and the segment's pages) are
# read before and while they are held, per connection.
# Connections per second: ax_xfer -C (connect, close with RST, in a row)
# to ax_xfer_kernel -l -C (accept, close) in B: through libaxnet each connect is authorized
# and committed to Axiom (the state directory on the root file system: a
# real fdatasync) before its SYN leaves; the same program on A's kernel
# sockets is the baseline. Needs root.
set -u
AXNET=${AXNET:-build/axnet}
AX_TOOLS_DIR=${AX_TOOLS_DIR:-build/tests}
MB=${MB:-1024}
RUNS=${RUNS:-3}
CONNS=${CONNS:-1000}
CHUNK=${CHUNK:-1M}   # bytes per send/recv call, every program alike
IDLE=${IDLE:-1000}   # idle connections held for the memory figure
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
STATE=/var/tmp/axnet-bench-$ID
export AXNET_STATE_DIR=$STATE
AX="$AX_TOOLS_DIR/ax_xfer"
AXI="$AX_TOOLS_DIR/ax_idle"
KX="$(realpath "$AX_TOOLS_DIR/ax_xfer_kernel")"
BYTES=$((MB << 20))
PIDS=()
OUT=$(mktemp -d /tmp/axnet-bench.XXXXXX)

bench_cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$OUT"
	(exit $rc)
	cleanup
	rm -rf "$STATE"
}
trap bench_cleanup EXIT

for t in "$AX" "$AXI" "$KX"; do [ -x "$t" ] || fail "$t is not built"; done
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
# gbit LINE: Gbit/s of an ax_xfer "sent|received bytes=N ... secs=S" line.
gbit() {
	echo "$1" | awk '{ for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
		if (v["secs"] > 0) printf "%.2f", v["bytes"] * 8 / v["secs"] / 1e9; else print "fail" }'
}
# in_b ARGS...: ax_xfer_kernel in B (the measuring side), its report line.
in_b() {
	ip netns exec "$NS_B" timeout 120 "$KX" -P -b "$CHUNK" "$@" 2>"$OUT/b.err" | grep -E '^(sent|received) ' ||
		{ cat "$OUT/b.err" >&2; echo fail; }
}
# serve WHERE ARGS...: a listening ax_xfer (WHERE: lib, on libaxnet; kern,
# on A's kernel) in the background (PID in SRV), until it is listening.
serve() {
	local where=$1
	shift
	rm -f "$OUT/srv.out"
	if [ "$where" = lib ]; then
		timeout 120 "$AX" -P -b "$CHUNK" "$@" >"$OUT/srv.out" 2>&1 &
	else
		ip netns exec "$NS_A" timeout 120 "$KX" -P -b "$CHUNK" "$@" >"$OUT/srv.out" 2>&1 &
	fi
	SRV=$!
	PIDS+=($SRV)
	for _ in $(seq 50); do grep -q '^listening' "$OUT/srv.out" 2>/dev/null && return 0; sleep 0.1; done
	cat "$OUT/srv.out" >&2
	fail "ax_xfer ($where) did not listen"
}

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9,chargen:19

in_builtin=() in_lib=() in_kern=() out_builtin=() out_lib=() out_kern=()
for _ in $(seq "$RUNS"); do
	in_builtin+=("$(gbit "$(in_b -s "$BYTES" -c "$AXNET_IP" 9)")")
	serve lib -l 6000 -r
	in_lib+=("$(gbit "$(in_b -s "$BYTES" -c "$AXNET_IP" 6000)")")
	wait $SRV
	serve kern -l 6000 -r
	in_kern+=("$(gbit "$(in_b -s "$BYTES" -c "$KERNEL_A" 6000)")")
	wait $SRV
	out_builtin+=("$(gbit "$(in_b -r -x "$BYTES" -c "$AXNET_IP" 19)")")
	serve lib -l 6001 -s "$BYTES"
	out_lib+=("$(gbit "$(in_b -r -c "$AXNET_IP" 6001)")")
	wait $SRV
	serve kern -l 6001 -s "$BYTES"
	out_kern+=("$(gbit "$(in_b -r -c "$KERNEL_A" 6001)")")
	wait $SRV
done
PIDS=()

# Memory per idle connection (kB of /proc/PID/status fields).
kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
ip netns exec "$NS_B" timeout 300 /usr/bin/python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7001)); l.listen(4096); print("listening", flush=True)
held = [l.accept()[0] for _ in range(int(sys.argv[1]))]
time.sleep(300)' "$IDLE" >"$OUT/hold.out" 2>&1 &
HOLD=$!
PIDS+=($HOLD)
for _ in $(seq 50); do grep -q '^listening' "$OUT/hold.out" && break; sleep 0.1; done
d_anon0=$(kb "$AXNET_PID" RssAnon) d_shm0=$(kb "$AXNET_PID" RssShmem)
mkfifo "$OUT/idle.in"
timeout 300 "$AXI" -n "$IDLE" "$KERNEL_B" 7001 <"$OUT/idle.in" >"$OUT/idle.out" 2>&1 &
IDLE_PID=$!
PIDS+=($IDLE_PID)
exec 7>"$OUT/idle.in"
for _ in $(seq 600); do grep -q '^held' "$OUT/idle.out" && break; sleep 0.1; done
grep -q '^held' "$OUT/idle.out" || { cat "$OUT/idle.out" >&2; fail "ax_idle did not hold $IDLE connections"; }
d_anon=$(( $(kb "$AXNET_PID" RssAnon) - d_anon0 )) d_shm=$(( $(kb "$AXNET_PID" RssShmem) - d_shm0 ))
p_rss=$(kb "$IDLE_PID" VmRSS)
p_seg=$(sed -n 's/.*seg_rss_kb=\([0-9]*\).*/\1/p' "$OUT/idle.out")
exec 7>&-
wait "$IDLE_PID"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null

# Connections per second, authorized (libaxnet) and not (A's kernel), to
# ax_xfer_kernel accepting and closing in B.
ip netns exec "$NS_B" timeout 300 "$KX" -l 7000 -C $((2 * CONNS)) >"$OUT/lst.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q '^listening' "$OUT/lst.out" && break; sleep 0.1; done
auth0=$(stat authz authorized)
cps_lib=$(timeout 250 "$AX" -C "$CONNS" -c "$KERNEL_B" 7000 | sed -n 's/.*per_sec=\([0-9.]*\).*/\1/p')
auth=$(( $(stat authz authorized) - auth0 ))
cps_kern=$(ip netns exec "$NS_A" timeout 250 "$KX" -C "$CONNS" -c "$KERNEL_B" 7000 |
	sed -n 's/.*per_sec=\([0-9.]*\).*/\1/p')
retx=$(stat engine tcp_retransmits)
stop_axnet

for v in "${in_builtin[@]}" "${in_lib[@]}" "${in_kern[@]}" "${out_builtin[@]}" "${out_lib[@]}" \
	"${out_kern[@]}" "$cps_lib" "$cps_kern"; do
	[[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "a transfer failed (got '$v')"
done
row() { # LABEL RUNS...: the median and every run
	local label=$1
	shift
	printf '%-48s %8s   %s\n' "$label" "$(median "$@")" "$*"
}
printf '%-48s %8s   %s\n' "TCP goodput, one connection, $MB MiB" "Gbit/s" "(median; runs)"
row "kernel(B) -> axnet(A) built-in discard" "${in_builtin[@]}"
row "kernel(B) -> axnet(A) ax_xfer on libaxnet" "${in_lib[@]}"
row "kernel(B) -> kernel(A) ax_xfer on kernel sockets" "${in_kern[@]}"
row "axnet(A) built-in chargen -> kernel(B)" "${out_builtin[@]}"
row "axnet(A) ax_xfer on libaxnet -> kernel(B)" "${out_lib[@]}"
row "kernel(A) ax_xfer on kernel sockets -> kernel(B)" "${out_kern[@]}"
printf '%-48s %8s\n' "connections/s, ax_xfer on libaxnet (authorized)" "$cps_lib"
printf '%-48s %8s\n' "connections/s, ax_xfer on kernel sockets" "$cps_kern"
echo "authorizations committed for the $CONNS libaxnet connects: $auth"
awk -v n="$IDLE" -v da="$d_anon" -v ds="$d_shm" -v pr="$p_rss" -v ps="$p_seg" 'BEGIN {
	printf "memory per idle connection through libaxnet (%d held), bytes:\n", n
	printf "  daemon, private (RssAnon):                %8.0f\n", da * 1024 / n
	printf "  daemon, segment pages touched (RssShmem): %8.0f\n", ds * 1024 / n
	printf "  program, segment pages touched:           %8.0f\n", ps * 1024 / n
	printf "  program, all resident (VmRSS, incl. its libraries): %.0f\n", pr * 1024 / n }'
echo "axnet retransmitted $retx segments in all"
awk -v il="$(median "${in_lib[@]}")" -v ib="$(median "${in_builtin[@]}")" \
	-v ik="$(median "${in_kern[@]}")" -v ol="$(median "${out_lib[@]}")" \
	-v ob="$(median "${out_builtin[@]}")" -v ok="$(median "${out_kern[@]}")" '
function ratio(what, a, b, target,   r) {
	if (b + 0 <= 0) { printf "ratio %s: n/a\n", what; return }
	r = a / b
	if (target > 0)
		printf "ratio %s: %.2f (target >= %.2f: %s)\n", what, r, target, (r >= target ? "met" : "NOT met")
	else
		printf "ratio %s: %.2f\n", what, r
}
BEGIN {
	ratio("libaxnet / built-in, into A  ", il, ib, 0.9)
	ratio("libaxnet / built-in, out of A", ol, ob, 0.9)
	ratio("libaxnet / kernel sockets, into A  ", il, ik, 0)
	ratio("libaxnet / kernel sockets, out of A", ol, ok, 0)
}'
