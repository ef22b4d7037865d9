#!/usr/bin/env bash
# TCP through axnet inside a QEMU guest (TCG) on its virtio-net eth0, the
# host's kernel on the other side of the tap (tests/e2e/vm.sh), one boot
# for all of it:
#  - a policy pushed in the guest allows the host to the guest's ports;
#  - host -> guest: random data from the host's socat into `axnet nc -l`
#    in the guest, SHA-256 and length printed on the guest's console equal
#    the host's; 2 MiB through the built-in echo service and back, equal;
#  - guest -> host: random data from `axnet nc` in the guest to a socat
#    listener on the host, SHA-256 equal; the chargen service read by the
#    host, RFC 864's pattern intact;
#  - the same both ways over IPv6 when the guest's axnet takes IPv6;
#  - stock iperf3 -s under `axnet exec` in the guest, the host's stock
#    iperf3 -c against it, and -R (IPv6 too): iperf3's JSON checked
#    (tests/tools/iperf3_check.py), the figures printed;
#  - a policy pushed in the guest that denies the host: the host's next
#    connection times out, and the guest's XDP counts every one of its
#    SYN retransmissions (the kernel's TcpExtTCPSynRetrans) as flow_denied;
#  - `axnet log verify` in the guest, and axnet's exit status 0.
# VM_TCP_MB sets the size of the SHA-256 transfers (default 8 MiB; TCG).
# e2e-timeout: 420
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vm.sh"

MB=${VM_TCP_MB:-8}
WORK=$VM_DIR
ONA=(ip netns exec "$NS_A")

vm_boot echo:7,discard:9,chargen:19
grep -o 'xsk: .* AF_XDP socket(s) on eth0 in [a-z-]* mode' "$SERIAL" | sed 's/^/guest: /'

# --- a policy of the guest's: the host may reach its services -------------------
HOSTS=$KERNEL_A
[ "$VM_IPV6" = on ] && HOSTS="$KERNEL_A, $KERNEL6_A"
vm_ok "printf '%s\n' 'default deny in' 'default allow out' 'allow in icmp' \
	'allow in tcp from $HOSTS to port 7,9,19,5001,5201' >/tmp/allow.pol &&
	axnet policy push /tmp/allow.pol"
pass "guest: policy allowing the host pushed: $(echo "$VM_OUT" | tail -1)"

# sha_file FILE: "SHA256 BYTES", as the guest's sha prints it.
sha_file() { echo "$(sha256sum "$1" | cut -d' ' -f1) $(wc -c <"$1")"; }

# host_to_guest FAMILY ADDR: the host's socat sends MB MiB of random bytes
# to `axnet nc -l 5001` in the guest, which keeps them; their SHA-256 and
# length, printed by the guest, must be the host's.
host_to_guest() {
	local fam=$1 addr=$2 t0 t1 got want
	head -c $((MB << 20)) /dev/urandom >"$WORK/up.bin"
	want=$(sha_file "$WORK/up.bin")
	vm_ok "bg up sh -c 'axnet nc -l 5001 >/tmp/up.bin'"
	t0=$(date +%s.%N)
	# retry: until the guest's listener is there (a refused SYN is RST).
	"${ONA[@]}" timeout 120 socat -u "FILE:$WORK/up.bin" \
		"TCP$fam:$(sockaddr "$addr"):5001,retry=50,interval=0.2" ||
		fail "IPv$fam host -> guest: socat failed"
	vm_bg_wait up 120 || { vm_cmd "cat /tmp/up.out"; echo "$VM_OUT"; fail "guest's axnet nc -l failed"; }
	t1=$(date +%s.%N)
	vm_ok "sha /tmp/up.bin; rm /tmp/up.bin"
	got=$VM_OUT
	expect_eq "IPv$fam host -> guest $MB MiB into axnet nc -l: SHA-256 and length" "$got" "$want"
	awk -v a="$t0" -v b="$t1" -v n=$((MB << 20)) -v acc="$VM_ACCEL" \
		'BEGIN { printf "  (%.1f s, %.0f Mbit/s under %s)\n", b - a, n * 8 / (b - a) / 1e6, acc }'
}

# guest_to_host FAMILY ADDR PORT: `axnet nc` in the guest sends MB MiB of
# random bytes (SHA-256 printed first) to the host's socat listener.
guest_to_host() {
	local fam=$1 addr=$2 port=$3 pid got want
	rm -f "$WORK/down.bin"
	"${ONA[@]}" timeout 180 socat -u \
		"TCP$fam-LISTEN:$port,bind=$(sockaddr "$addr"),reuseaddr" \
		"OPEN:$WORK/down.bin,creat,trunc" &
	pid=$!
	vm_ok -t 60 "head -c $((MB << 20)) /dev/urandom >/tmp/down.bin && sha /tmp/down.bin"
	want=$VM_OUT
	vm_cmd -t 180 "axnet nc $addr $port </tmp/down.bin >/dev/null; rc=\$?; rm /tmp/down.bin; exit \$rc" ||
		{ echo "$VM_OUT"; fail "IPv$fam guest -> host: axnet nc exited with an error"; }
	wait "$pid" || fail "IPv$fam guest -> host: socat failed"
	got=$(sha_file "$WORK/down.bin")
	expect_eq "IPv$fam guest axnet nc -> host $MB MiB: SHA-256 and length" "$got" "$want"
}

host_to_guest 4 "$AXNET_IP"
guest_to_host 4 "$KERNEL_A" 5002
out=$("${ONA[@]}" timeout 120 python3 tests/tools/tcp_echo_client.py "$AXNET_IP" 7 \
	--bytes $((2 << 20)) --seed "$ID") || { echo "$out"; fail "echo service"; }
pass "IPv4 host -> guest echo service -> host 2 MiB, SHA-256 equal ($out)"
out=$("${ONA[@]}" timeout 120 python3 tests/tools/tcp_echo_client.py "$AXNET_IP" 19 \
	--recv --chargen --bytes $((1 << 20))) || { echo "$out"; fail "chargen service"; }
pass "IPv4 guest chargen service -> host 1 MiB, pattern intact ($out)"

# TCP over IPv6 when the guest's axnet has an IPv6 address and its echo
# service listens on [::] (both families; IPv4 only before the engine
# spoke IPv6).
vm_ok "axnet conns --json"
echo6=$(echo "$VM_OUT" | /usr/bin/python3 -c 'import json, sys
print(" ".join(r["local"] for r in json.load(sys.stdin) if r["state"] == "LISTEN" and r["local"].endswith(":7")))')
echo "guest: the echo service listens on $echo6"
TCP6=0
if [ "$VM_IPV6" = on ] && [ "${echo6#[}" != "$echo6" ]; then
	TCP6=1
	vm_dad_done "$AXNET6_IP"
	host_to_guest 6 "$AXNET6_IP"
	guest_to_host 6 "$KERNEL6_A" 5003
	out=$("${ONA[@]}" timeout 120 python3 tests/tools/tcp_echo_client.py "$AXNET6_IP" 7 \
		--bytes $((2 << 20)) --seed "$ID") || { echo "$out"; fail "echo service over IPv6"; }
	pass "IPv6 host -> guest echo service -> host 2 MiB, SHA-256 equal ($out)"
else
	echo "skip: TCP over IPv6 (the guest's axnet takes no IPv6 address or serves IPv4 only)"
fi

# --- stock iperf3 under axnet exec in the guest ---------------------------------
# iperf3_runs ADDR: iperf3 -s under axnet exec in the guest bound to ADDR,
# the host's iperf3 -c against it, then -R; each run's JSON checked.
iperf3_runs() {
	local addr=$1 n=0 dir out
	vm_ok "bg iperf axnet exec -- iperf3 -s -B $addr -p 5201 --forceflush"
	for dir in "" -R; do
		n=$((n + 1))
		vm_iperf3_listening iperf $n || { echo "$VM_OUT"; fail "iperf3 -s under axnet exec is not listening"; }
		"${ONA[@]}" timeout 60 iperf3 -c "$addr" -p 5201 -t 3 -J $dir >"$WORK/iperf.json" ||
			{ cat "$WORK/iperf.json"; fail "iperf3 -c $addr $dir against the guest"; }
		out=$(/usr/bin/python3 tests/tools/iperf3_check.py "$WORK/iperf.json" tcp) ||
			fail "iperf3 $addr $dir: $out"
		echo "$out"
		pass "host iperf3 -c $addr $dir -> iperf3 -s under axnet exec in the guest: $(/usr/bin/python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
print("%.0f Mbit/s received" % (e["sum_received"]["bits_per_second"] / 1e6))' "$WORK/iperf.json")"
	done
	vm_ok "kill \$(cat /tmp/iperf.pid)"
	vm_bg_wait iperf 10
}
iperf3_runs "$AXNET_IP"
[ $TCP6 = 1 ] && iperf3_runs "$AXNET6_IP"

# --- a policy pushed in the guest denies the host --------------------------------
vm_ok "axnet stats --json"
echo "$VM_OUT" >"$WORK/before.json"
retrans() { "${ONA[@]}" nstat -az TcpExtTCPSynRetrans | awk '$1 == "TcpExtTCPSynRetrans" { print $2 }'; }
vm_ok "printf '%s\n' 'default deny in' 'default allow out' 'deny in tcp from $HOSTS' \
	'allow in icmp' 'allow in tcp to port 7,9,19,5001,5201' >/tmp/deny.pol &&
	axnet policy push /tmp/deny.pol"
pass "guest: policy denying the host pushed: $(echo "$VM_OUT" | tail -1)"
r0=$(retrans)
for addr in "$AXNET_IP" $([ $TCP6 = 1 ] && echo "$AXNET6_IP"); do
	if "${ONA[@]}" timeout 30 socat -u /dev/null "TCP:$(sockaddr "$addr"):7,connect-timeout=4" \
		2>"$WORK/deny.err"; then
		fail "the host connected to the guest's echo service at $addr after the deny policy"
	fi
	echo "host: $(tail -1 "$WORK/deny.err")"
done
r1=$(retrans)
vm_ok "axnet stats --json"
echo "$VM_OUT" >"$WORK/after.json"
denied=$(/usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f))["xdp"]["flow_denied"] for f in sys.argv[1:])
print(b - a)' "$WORK/before.json" "$WORK/after.json")
[ $((r1 - r0)) -ge 1 ] || fail "the host retransmitted no SYN (timed out how?)"
expect_eq "guest XDP flow_denied: the host's retransmitted SYNs after the deny push" \
	"$denied" $((r1 - r0))

vm_ok -t 60 "axnet log verify"
pass "guest: axnet log verify: $(echo "$VM_OUT" | tail -1)"
vm_quit
echo "guest boot time: ${VM_BOOT_S} s"
exit 0
