#!/usr/bin/env bash
# Benchmark: single-connection TCP goodput through axnet next to the
# kernel's own TCP, on the same veth pair, in the same run. Each figure is
# the median of RUNS transfers of MB MiB, counted from connect to the last
# byte delivered to the application.
#
#   into A:  kernel(B) -> kernel(A)   iperf3; and the python client into a
#                                     kernel discard server
#            kernel(B) -> axnet(A)    the python client into axnet's discard
#   out of A: kernel(A) -> kernel(B)  iperf3 -R; and the python client
#                                     reading a kernel chargen server
#            axnet(A)  -> kernel(B)   the python client reading axnet's
#                                     chargen
#
# The XDP program sits on A's end only, so the directions have different
# kernel baselines: into A the kernel's TCP loses GRO (README, "Platform
# notes"), out of A it does not. iperf3 is the kernel at its best; the
# "same client" rows run tests/tools/tcp_echo_client.py on both sides of
# the ratio, so the client's own cost is in both. Needs root.
set -u
AXNET=${AXNET:-build/axnet}
MB=${MB:-1024}
RUNS=${RUNS:-3}
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

CLIENT="python3 tests/tools/tcp_echo_client.py"
SERVER="python3 tests/tools/tcp_echo_server.py"
BYTES=$((MB << 20))
PIDS=()

# Servers run in a namespace the EXIT trap deletes; end them first.
bench_cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	(exit $rc)
	cleanup
}
trap bench_cleanup EXIT

# in_a CMD...: a kernel server on A's side, in the background.
in_a() {
	ip netns exec "$NS_A" timeout 300 "$@" >/dev/null 2>&1 &
	PIDS+=($!)
}
wait_listen() { # PORT: until A's kernel listens there (at most 5 s)
	for _ in $(seq 50); do
		ip netns exec "$NS_A" ss -ltn | grep -q ":$1 " && return 0
		sleep 0.1
	done
	fail "nothing listens on $KERNEL_A:$1"
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
gbit_of() { sed -n 's/.*(\([0-9.]*\) Gbit\/s.*/\1/p'; }

# client ARGS...: one transfer by the python client from B, its Gbit/s.
client() {
	local out
	out=$(ip netns exec "$NS_B" timeout 120 $CLIENT "$@" --bytes "$BYTES") ||
		fail "client $*: $out"
	echo "$out" | gbit_of
}
# iperf ARGS...: one iperf3 transfer from B to A's kernel (-R: A to B).
iperf() {
	ip netns exec "$NS_B" timeout 120 iperf3 -c "$KERNEL_A" -n "$BYTES" -J "$@" |
		python3 -c 'import json, sys
print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' ||
		fail "iperf3 $*"
}

command -v iperf3 >/dev/null || fail "no iperf3 (scripts/deps.sh installs it)"
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9,chargen:19
in_a iperf3 -s -B "$KERNEL_A" -p 5201
in_a $SERVER "$KERNEL_A" 5009 --mode discard --conns "$RUNS" --timeout 300
in_a $SERVER "$KERNEL_A" 5019 --mode chargen --conns "$RUNS" --timeout 300
for port in 5201 5009 5019; do wait_listen $port; done

# Interleaved, so that a slow moment of the machine hits every row alike.
k2k=() k2k_py=() k2ax=() kr=() kr_py=() ax2k=()
for _ in $(seq "$RUNS"); do
	k2k+=("$(iperf)")
	k2k_py+=("$(client "$KERNEL_A" 5009 --discard --plain)")
	k2ax+=("$(client "$AXNET_IP" 9 --discard --plain)")
	kr+=("$(iperf -R)")
	kr_py+=("$(client "$KERNEL_A" 5019 --recv)")
	ax2k+=("$(client "$AXNET_IP" 19 --recv)")
done
retx=$(stat engine tcp_retransmits)
stop_axnet
# A failed transfer exits only its $( ): catch it here.
for v in "${k2k[@]}" "${k2k_py[@]}" "${k2ax[@]}" "${kr[@]}" "${kr_py[@]}" "${ax2k[@]}"; do
	[[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "a transfer failed (got '$v')"
done

row() { # LABEL RUNS...: the median and every run
	local label=$1
	shift
	printf '%-40s %8s   %s\n' "$label" "$(median "$@")" "$*"
}
printf '%-40s %8s   %s\n' "TCP goodput, one connection, $MB MiB" "Gbit/s" "(median; runs)"
row "kernel(B) -> kernel(A), iperf3" "${k2k[@]}"
row "kernel(B) -> kernel(A), same client" "${k2k_py[@]}"
row "kernel(B) -> axnet(A) discard, AF_XDP" "${k2ax[@]}"
row "kernel(A) -> kernel(B), iperf3 -R" "${kr[@]}"
row "kernel(A) -> kernel(B), same client" "${kr_py[@]}"
row "axnet(A) chargen -> kernel(B), AF_XDP" "${ax2k[@]}"
echo "axnet retransmitted $retx segments in all"
awk -v a="$(median "${k2ax[@]}")" -v k="$(median "${k2k[@]}")" -v kp="$(median "${k2k_py[@]}")" \
	-v b="$(median "${ax2k[@]}")" -v r="$(median "${kr[@]}")" -v rp="$(median "${kr_py[@]}")" 'BEGIN {
	printf "ratio axnet-received / kernel-received, iperf3:      %.2f\n", a / k
	printf "ratio axnet-received / kernel-received, same client: %.2f\n", a / kp
	printf "ratio axnet-sent / kernel-sent, iperf3:              %.2f\n", b / r
	printf "ratio axnet-sent / kernel-sent, same client:         %.2f\n", b / rp }'
