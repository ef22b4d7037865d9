#!/usr/bin/env bash
# Benchmark: single-connection TCP goodput through axnet over IPv6 next to
# IPv4, on the same veth pair, in the same run, to the same services
# (axnet's discard into it, chargen out of it; they listen on :: for both
# families). Each figure is the median of RUNS transfers of MB MiB by
# tests/tools/tcp_echo_client.py, counted from connect to the last byte.
# The IPv6 rows pay 20 more header bytes per segment (MSS 1440 against
# 1460): about 1.4% fewer payload bytes per frame. Needs root.
set -u
AXNET=${AXNET:-build/axnet}
MB=${MB:-512}
RUNS=${RUNS:-3}
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

CLIENT="python3 tests/tools/tcp_echo_client.py"
BYTES=$((MB << 20))
PFX="fd00:201:$(printf %x $((ID % 65536)))"
AX6="$PFX::2"
PEER6="$PFX::1"

median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
gbit_of() { sed -n 's/.*(\([0-9.]*\) Gbit\/s.*/\1/p'; }
client() { # HOST PORT MODE: one transfer from B, its Gbit/s
	local out
	out=$(ip netns exec "$NS_B" timeout 120 $CLIENT "$1" "$2" $3 --bytes "$BYTES") ||
		fail "client $*: $out"
	echo "$out" | gbit_of
}

make_pair
ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=0" \
	"net.ipv6.conf.$IF_B.accept_dad=0" || fail "sysctl"
ip -n "$NS_B" addr add "$PEER6/64" dev "$IF_B" nodad || fail "peer address"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "$AX6/64" --netns "$NS_A" \
	--serve discard:9,chargen:19
wait_stat engine nd_dad_ok 2

in4=() in6=() out4=() out6=()
for _ in $(seq "$RUNS"); do
	in4+=("$(client "$AXNET_IP" 9 "--discard --plain")")
	in6+=("$(client "$AX6" 9 "--discard --plain")")
	out4+=("$(client "$AXNET_IP" 19 --recv)")
	out6+=("$(client "$AX6" 19 --recv)")
done
retx=$(stat engine tcp_retransmits)
stop_axnet
for v in "${in4[@]}" "${in6[@]}" "${out4[@]}" "${out6[@]}"; do
	[[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "a transfer failed (got '$v')"
done

row() { # LABEL RUNS...
	local label=$1
	shift
	printf '%-40s %8s   %s\n' "$label" "$(median "$@")" "$*"
}
printf '%-40s %8s   %s\n' "TCP goodput via axnet, $MB MiB" "Gbit/s" "(median; runs)"
row "kernel(B) -> axnet discard, IPv4" "${in4[@]}"
row "kernel(B) -> axnet discard, IPv6" "${in6[@]}"
row "axnet chargen -> kernel(B), IPv4" "${out4[@]}"
row "axnet chargen -> kernel(B), IPv6" "${out6[@]}"
echo "axnet retransmitted $retx segments in all"
awk -v a="$(median "${in6[@]}")" -v b="$(median "${in4[@]}")" \
	-v c="$(median "${out6[@]}")" -v d="$(median "${out4[@]}")" 'BEGIN {
	printf "ratio IPv6 / IPv4 into axnet:   %.2f\n", a / b
	printf "ratio IPv6 / IPv4 out of axnet: %.2f\n", c / d }'
