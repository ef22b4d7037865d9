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
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
STATE=/var/tmp/axnet-bench-$ID
export AXNET_STATE_DIR=$STATE
AX="$AX_TOOLS_DIR/ax_xfer"
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

for t in "$AX" "$KX"; do [ -x "$t" ] || fail "$t is not built"; done
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
echo "axnet retransmitted $retx segments in all"
awk -v il="$(median "${in_lib[@]}")" -v ib="$(median "${in_builtin[@]}")" \
	-v ik="$(median "${in_kern[@]}")" -v ol="$(median "${out_lib[@]}")" \
	-v ob="$(median "${out_builtin[@]}")" -v ok="$(median "${out_kern[@]}")" 'BEGIN {
	printf "ratio libaxnet / built-in, into A:   %.2f (target >= 0.90: %s)\n", il / ib, (il / ib >= 0.9) ? "met" : "NOT met"
	printf "ratio libaxnet / built-in, out of A: %.2f (target >= 0.90: %s)\n", ol / ob, (ol / ob >= 0.9) ? "met" : "NOT met"
	printf "ratio libaxnet / kernel sockets, into A:   %.2f\n", il / ik
	printf "ratio libaxnet / kernel sockets, out of A: %.2f\n", ol / ok }'
