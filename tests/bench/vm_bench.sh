#!/usr/bin/env bash
# Benchmark: TCP goodput between the host's kernel and a QEMU guest (TCG,
# or KVM with VM_ACCEL=kvm; 2 vCPUs, virtio-net over a multi-queue tap; tests/e2e/vm.sh), through
# axnet in the guest next to the guest kernel's own TCP, in the same guest
# on the same eth0 and address, one boot:
#
#   axnet:  stock iperf3 -s under `axnet exec` in the guest (axnet on eth0:
#           native XDP, AF_XDP in the mode virtio_net gives), the host's
#           stock iperf3 -c: host -> guest, and -R: guest -> host
#   kernel: the same iperf3 -s on the guest kernel's sockets, after axnet
#           stopped (XDP detached) and the kernel took the address
#
# Each figure is the median of RUNS iperf3 runs of SECS seconds (the
# receiver's count). TCG emulates every guest instruction, so the figures
# say how the two stacks compare in this guest, not what virtio-net does
# on hardware. Writes a table to stdout and $BENCH_VM_JSON (default
# build/bench-vm.json). Needs root.
set -u
AXNET_GUEST=${AXNET_GUEST:-${AXNET:-build/axnet}}
RUNS=${RUNS:-3}
SECS=${SECS:-4}
BENCH_VM_JSON=${BENCH_VM_JSON:-build/bench-vm.json}
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
. tests/e2e/vm.sh

median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# iperf ADDR [ARGS...]: one iperf3 run from the host to ADDR:5201 (once
# the guest's server listens again), the receiver's Gbit/s.
iperf() {
	local addr=$1 out
	shift
	vm_iperf3_listening "$SERVER" $((RUNS_DONE + 1)) || fail "the guest's iperf3 -s does not listen again"
	RUNS_DONE=$((RUNS_DONE + 1))
	out=$(ip netns exec "$NS_A" timeout $((SECS + 60)) iperf3 -c "$addr" -p 5201 -t "$SECS" -J "$@") ||
		{ echo "$out" | tail -5 >&2; fail "iperf3 -c $addr $*"; }
	echo "$out" | /usr/bin/python3 -c 'import json, sys
j = json.load(sys.stdin)
if "error" in j: sys.exit("iperf3: " + j["error"])
print("%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9))' ||
		fail "iperf3 -c $addr $*: no figure"
}

# server NAME CMD...: iperf3 -s in the guest (CMD runs it); 0 once it
# listens, else 1 (its output in VM_OUT).
server() {
	local name=$1
	shift
	vm_ok "bg $name $*"
	SERVER=$name RUNS_DONE=0
	vm_iperf3_listening "$name" 1
}
stop_server() { vm_ok "kill \$(cat /tmp/$1.pid)"; vm_bg_wait "$1" 10; }

# measure STACK ADDR [FAMILY]: RUNS runs each way, alternating; fills
# IN_<STACK><FAMILY> (host -> guest) and OUT_... (guest -> host).
measure() {
	local stack=$1 addr=$2 fam=${3:-} in=() out=()
	for _ in $(seq "$RUNS"); do
		iperf "$addr" >"$VM_DIR/fig" && in+=("$(cat "$VM_DIR/fig")")
		iperf "$addr" -R >"$VM_DIR/fig" && out+=("$(cat "$VM_DIR/fig")")
	done
	for v in "${in[@]}" "${out[@]}"; do
		[[ "$v" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "a run failed (got '$v')"
	done
	printf -v "IN_$stack$fam" %s "$(median "${in[@]}")"
	printf -v "OUT_$stack$fam" %s "$(median "${out[@]}")"
	printf '%-44s %8s   %s\n' "host -> guest $stack${fam:+ IPv6}" "$(median "${in[@]}")" "${in[*]}"
	printf '%-44s %8s   %s\n' "guest -> host $stack${fam:+ IPv6}" "$(median "${out[@]}")" "${out[*]}"
}

command -v iperf3 >/dev/null || fail "no iperf3 (scripts/deps.sh installs it)"
vm_boot
XSK_MODE=$(vm_line 'axnet\[[0-9.]*\] info: xsk: ' | sed -n 's/.* in \([a-z-]*\) mode.*/\1/p' | head -1)
XDP_MODE=$(vm_line 'axnet\[[0-9.]*\] info: xdp: ' | sed -n 's/.*(ifindex [0-9]*, \([a-z]*\) mode).*/\1/p' | head -1)

printf '%-44s %8s   %s\n' "TCP goodput, iperf3 -t $SECS, guest under $VM_ACCEL" "Gbit/s" "(median; runs)"
# --- through axnet ---------------------------------------------------------------
server ax axnet exec -- iperf3 -s -B "$AXNET_IP" -p 5201 --forceflush ||
	{ echo "$VM_OUT"; fail "iperf3 -s under axnet exec did not start"; }
measure axnet "$AXNET_IP"
stop_server ax
# IPv6 rows when the guest's axnet has its IPv6 address and iperf3 under
# axnet exec can listen on it (the preload's AF_INET6).
if [ "$VM_IPV6" = on ]; then
	vm_dad_done "$AXNET6_IP"
	if server ax6 axnet exec -- iperf3 -s -B "$AXNET6_IP" -p 5201 --forceflush; then
		measure axnet "$AXNET6_IP" 6
		stop_server ax6
	else
		echo "skip: IPv6 (iperf3 under axnet exec cannot listen on $AXNET6_IP: $(echo "$VM_OUT" | tail -1))"
		vm_bg_wait ax6 10
		VM_IPV6=off
	fi
fi
vm_ok "axnet stats --all | grep -E 'tcp_retransmits|dropped'"
RETX=$(echo "$VM_OUT" | awk '$2 == "tcp_retransmits" { print $3 }')

# --- the guest kernel's own TCP, same eth0, same address, XDP detached ---------
vm_ok "halt_axnet && ip link show eth0"
echo "$VM_OUT" | grep -q xdp && fail "XDP still attached to the guest's eth0 after axnet stopped"
vm_ok "ip addr add $AXNET_IP/24 dev eth0"
server k iperf3 -s -B "$AXNET_IP" -p 5201 --forceflush || { echo "$VM_OUT"; fail "iperf3 -s did not start"; }
measure kernel "$AXNET_IP"
stop_server k
if [ "$VM_IPV6" = on ]; then
	vm_ok "echo 0 >/proc/sys/net/ipv6/conf/eth0/dad_transmits; echo 0 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip addr add $AXNET6_IP/64 dev eth0"
	# Until the kernel's address is usable (not tentative: flag 0x40 in
	# /proc/net/if_inet6), at most 10 s.
	hex=$(/usr/bin/python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]).packed.hex())' "$AXNET6_IP")
	vm_cmd "for i in \$(seq 100); do f=\$(grep '^$hex ' /proc/net/if_inet6 | cut -d' ' -f5);
		case \"\$f\" in ''|[4567cdef]?) sleep 0.1 ;; *) exit 0 ;; esac; done; cat /proc/net/if_inet6; exit 1" || { echo "$VM_OUT"; fail "the guest kernel's $AXNET6_IP is not usable"; }
	server k6 iperf3 -s -B "$AXNET6_IP" -p 5201 --forceflush ||
		{ echo "$VM_OUT"; fail "iperf3 -s on the guest kernel's IPv6 did not start"; }
	measure kernel "$AXNET6_IP" 6
	stop_server k6
fi
vm_quit

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
R_IN=$(ratio "$IN_axnet" "$IN_kernel")
R_OUT=$(ratio "$OUT_axnet" "$OUT_kernel")
echo "ratio axnet / guest kernel, host -> guest: $R_IN"
echo "ratio axnet / guest kernel, guest -> host: $R_OUT"
echo "axnet retransmitted ${RETX:-0} segments; guest boot ${VM_BOOT_S} s; XDP $XDP_MODE, AF_XDP $XSK_MODE mode"
v6=
if [ "$VM_IPV6" = on ]; then
	echo "ratio axnet IPv6 / IPv4, host -> guest: $(ratio "$IN_axnet6" "$IN_axnet"), guest -> host: $(ratio "$OUT_axnet6" "$OUT_axnet")"
	v6=$(printf ',\n    "axnet_host_to_guest_ipv6_gbps": %s, "axnet_guest_to_host_ipv6_gbps": %s,\n    "kernel_host_to_guest_ipv6_gbps": %s, "kernel_guest_to_host_ipv6_gbps": %s' \
		"$IN_axnet6" "$OUT_axnet6" "$IN_kernel6" "$OUT_kernel6")
fi

mkdir -p "$(dirname "$BENCH_VM_JSON")"
cat >"$BENCH_VM_JSON.tmp" <<EOF
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$(git rev-parse --short HEAD 2>/dev/null)",
  "guest_kernel": "$KVER",
  "accel": "$VM_ACCEL", "vcpus": 2, "nic": "virtio-net-pci, tap, 4 queues, vhost off",
  "xdp_mode": "$XDP_MODE", "xsk_mode": "$XSK_MODE", "boot_s": $VM_BOOT_S,
  "seconds": $SECS, "runs": $RUNS, "ipv6": "$VM_IPV6",
  "baseline": "guest kernel TCP, same eth0 and address, axnet stopped and XDP detached",
  "metrics": {
    "axnet_host_to_guest_gbps": $IN_axnet, "axnet_guest_to_host_gbps": $OUT_axnet,
    "kernel_host_to_guest_gbps": $IN_kernel, "kernel_guest_to_host_gbps": $OUT_kernel,
    "ratio_host_to_guest": $R_IN, "ratio_guest_to_host": $R_OUT,
    "axnet_tcp_retransmits": ${RETX:-0}$v6
  }
}
EOF
mv "$BENCH_VM_JSON.tmp" "$BENCH_VM_JSON" || fail "cannot write $BENCH_VM_JSON"
echo "written: $BENCH_VM_JSON"
