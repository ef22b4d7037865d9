#!/usr/bin/env bash
# axnet's TCP against the kernel's through the impairment relay (this
# kernel has no netem): loss, reordering, duplication and delay, each with
# a fixed seed. Data must arrive intact (SHA-256 of what went out and what
# came back through the echo service), retransmissions must be counted
# where frames were lost, and no connection may be left hanging.
#
#   axnet (NS_A, AF_XDP on IF_A) -- relay (NS_M) -- kernel (NS_B, IF_B)
. "$(dirname "$0")/lib.sh"

IMPAIR=${IMPAIR:-build/tests/impair}
SEED=${SEED:-7}
NS_M="axt${ID}m"
IF_MA="axma${ID}"
IF_MB="axmb${ID}"
CLIENT="python3 tests/tools/tcp_echo_client.py"
WORK=$(mktemp -d /tmp/axnet-tcpimp.XXXXXX)
trap relay_cleanup EXIT
[ -x "$IMPAIR" ] || fail "no $IMPAIR (make $IMPAIR)"

relay_topology "$NS_A" "$IF_A" "$NS_M" "$IF_MA" "$IF_MB" "$NS_B" "$IF_B"
ip -n "$NS_B" addr add "$KERNEL_B/24" dev "$IF_B"
# The kernel peer knows axnet's MAC: no ARP of its own to lose.
ip -n "$NS_B" neigh replace "$AXNET_IP" lladdr "$(mac_of "$NS_A" "$IF_A")" dev "$IF_B" nud permanent

start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7

start_relay() { relay_start "$IF_MA" "$IF_MB" --seed "$SEED" "$@"; }
stop_relay() {
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID" || fail "relay exited non-zero"
	RELAY_PID=
}
relay_sum() { # NAME: l2r_NAME + r2l_NAME
	awk -v n="$1" '$1 == "l2r_" n || $1 == "r2l_" n { s += $2 } END { print s + 0 }' "$WORK/relay.out"
}

# scenario NAME MIB RELAY-ARGS...
scenario() {
	local name=$1 mib=$2 out retx0 retx rto0 rec0 dsack0
	shift 2
	case " ${SCENARIOS:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	start_relay "$@"
	retx0=$(stat engine tcp_retransmits)
	rto0=$(stat engine tcp_rto_fired) rec0=$(stat engine tcp_sack_recoveries)
	dsack0=$(stat engine tcp_dsack_rx)
	out=$(ip netns exec "$NS_B" timeout 240 $CLIENT "$AXNET_IP" 7 --bytes $((mib << 20)) \
		--seed "$SEED" --timeout 200) || { echo "$out"; fail "$name: transfer"; }
	# Let the close finish through the relay (the last ACKs may sit in
	# its delay line), bounded; then nothing may be left but TIME_WAIT.
	for _ in $(seq 100); do
		"$AXNET" conns --state-dir "$STATE" -t | awk 'NR > 1 && $2 != "LISTEN" && $2 != "TIME_WAIT"' |
			grep -q . || break
		sleep 0.1
	done
	stop_relay
	retx=$(( $(stat engine tcp_retransmits) - retx0 ))
	echo "$name: $out"
	echo "$name: relay dropped $(relay_sum dropped), duplicated $(relay_sum duplicated)," \
		"reordered $(relay_sum reordered); axnet retransmitted $retx segments" \
		"($(( $(stat engine tcp_rto_fired) - rto0 )) timeouts," \
		"$(( $(stat engine tcp_sack_recoveries) - rec0 )) SACK recoveries," \
		"$(( $(stat engine tcp_dsack_rx) - dsack0 )) D-SACKs in)"
	pass "$name: $mib MiB echoed intact"
	eval "RETX_$name=$retx"
	"$AXNET" conns --state-dir "$STATE" -t | awk 'NR > 1 && $2 != "LISTEN" && $2 != "TIME_WAIT"' |
		grep . && fail "$name: a connection is stuck"
	pass "$name: no connection left open"
}

# SCENARIOS="loss1 loss5" runs only those (by hand, when chasing one).
SCENARIOS=${SCENARIOS:-loss1 loss5 reorder_dup delay20}
scenario loss1 4 --loss 1 --delay 1
[ "${RETX_loss1:-1}" -gt 0 ] || fail "loss1: no retransmissions counted"
scenario loss5 1 --loss 5 --delay 1
[ "${RETX_loss5:-1}" -gt 0 ] || fail "loss5: no retransmissions counted"
scenario reorder_dup 2 --reorder 5 --dup 2 --delay 1 --jitter 1
scenario delay20 4 --delay 20
snapshot
[ -z "${IMPAIR_DEBUG:-}" ] || "$AXNET" stats --state-dir "$STATE" --all | grep -E "tcp_" >&2
echo "totals: retransmits $(snap engine tcp_retransmits), rto $(snap engine tcp_rto_fired)," \
	"fast retransmits $(snap engine tcp_fast_retransmits), dupacks in $(snap engine tcp_dupacks_rx)," \
	"ooo segments $(snap engine tcp_ooo_segs)"
stop_axnet
exit 0
