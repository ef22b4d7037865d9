#!/usr/bin/env bash
# axnet inside a QEMU guest on a virtio-net NIC (TCG; KVM does not work on
# this host): the guest's axnet attaches XDP + AF_XDP to its virtio_net
# eth0, pings the host's kernel, and the host's kernel pings it (IPv6 too
# when the guest's axnet takes an IPv6 address). The host end is a
# multi-queue tap in a namespace this test makes (tests/e2e/vm.sh).
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vm.sh"

# The guest's axnet is also given an address the host holds: its DAD must
# hear the host's answer (an advertisement to all-nodes, which virtio_net
# filters unless the group is joined) and refuse the address.
VM_DUP6="${P6}9"
vm_boot
grep -q "xsk: .* AF_XDP socket(s) on eth0 in \(copy\|zero-copy\) mode" "$SERIAL" ||
	fail "guest log does not say the AF_XDP mode"
pass "guest: $(grep -o 'xsk: .* mode' "$SERIAL")"
grep -q "xdp: program attached to eth0 .*native mode" "$SERIAL" || fail "XDP not native on virtio_net"
pass "XDP attached in native mode on virtio_net"

# The host's kernel pings the guest's axnet (answered from the guest's user
# space through AF_XDP on virtio_net). TCG is slow: generous timeouts.
out=$(ip netns exec "$NS_A" ping -c 5 -i 0.2 -W 5 "$AXNET_IP")
echo "$out" | tail -1
expect_eq "host kernel ping -> guest axnet (virtio-net)" \
	"$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 5
vm_cmd -t 30 "axnet ping -c 5 -i 0.2 $KERNEL_A"
echo "$VM_OUT" | tail -2
expect_eq "guest axnet ping -> host kernel" \
	"$(echo "$VM_OUT" | grep -c " bytes from $KERNEL_A: icmp_seq=")" 5

if [ "$VM_IPV6" = on ]; then
	# The link-local address from the MAC (RFC 4291 appendix A).
	mac=$(vm_line 'axnet\[[0-9.]*\] info: running on .* mac ' | cut -d, -f1 | head -1)
	ll=$(/usr/bin/python3 -c 'import ipaddress, sys
m = bytes.fromhex(sys.argv[1].replace(":", ""))
iid = bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:]
print(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + iid))' "$mac")
	vm_dad_done "$AXNET6_IP" "$VM_DUP6" "$ll"
	out=$(ip netns exec "$NS_A" ping -6 -c 5 -i 0.2 -W 5 "$AXNET6_IP")
	echo "$out" | tail -1
	expect_eq "host kernel ping6 -> guest axnet" \
		"$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 5
	vm_cmd -t 30 "axnet ping -c 5 -i 0.2 $KERNEL6_A"
	echo "$VM_OUT" | tail -2
	expect_eq "guest axnet ping6 -> host kernel" \
		"$(echo "$VM_OUT" | grep -c " bytes from $KERNEL6_A: icmp_seq=")" 5
	out=$(ip netns exec "$NS_A" ping -6 -c 3 -i 0.2 -W 5 "$ll%$TAP")
	expect_eq "host kernel ping6 -> guest axnet's link-local $ll" \
		"$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 3
	# Each side's neighbour table holds the other.
	ip -n "$NS_A" -6 neigh show dev "$TAP" | grep -q "^$AXNET6_IP lladdr $mac " ||
		fail "host: no neighbour entry $AXNET6_IP lladdr $mac ($(ip -n "$NS_A" -6 neigh show dev "$TAP"))"
	pass "host's neighbour table: $(ip -n "$NS_A" -6 neigh show dev "$TAP" | grep "^$AXNET6_IP ")"
	vm_ok "axnet neigh"
	echo "$VM_OUT" | awk -v a="$KERNEL6_A" -v m="$(ip -n "$NS_A" -br link show "$TAP" | awk '{ print $3 }')" \
		'$1 == a && $2 == m { f = 1 } END { exit !f }' ||
		fail "guest: axnet neigh has no $KERNEL6_A ($VM_OUT)"
	pass "guest's axnet neigh: $(echo "$VM_OUT" | grep "^$KERNEL6_A ")"
	# virtio_net filters multicast: the solicited-node group of axnet's
	# address (the host's neighbor solicitations go there) is joined on
	# eth0 while axnet runs, and left when it stops (checked after quit).
	SN_MAC=3333ff$(echo "$AXNET6_IP" | /usr/bin/python3 -c 'import ipaddress, sys
print(ipaddress.IPv6Address(sys.stdin.read().strip()).packed[13:].hex())')
	vm_ok "cat /proc/net/dev_mcast"
	echo "$VM_OUT" | grep -q " eth0 .* $SN_MAC\$" || fail "guest: $SN_MAC not joined on eth0 ($VM_OUT)"
	pass "guest: eth0 joined $SN_MAC (solicited-node group of $AXNET6_IP)"
	tapmac=$(ip -n "$NS_A" -br link show "$TAP" | awk '{ print $3 }')
	grep -q "dad: $VM_DUP6 is in use by $tapmac, not using it" "$SERIAL" ||
		fail "guest: no DAD failure logged for $VM_DUP6, which the host holds"
	pass "guest: dad refused $VM_DUP6 (in use by the host's $tapmac)"
	vm_ok "axnet addr --json"
	expect_eq "guest: state of $VM_DUP6 in axnet addr --json" "$(echo "$VM_OUT" | /usr/bin/python3 -c '
import json, sys
print(" ".join(a["state"] for a in json.load(sys.stdin) if a["local"] == sys.argv[1]))' "$VM_DUP6")" duplicate
else
	echo "skip: IPv6 (the guest's axnet takes no IPv6 address)"
fi

vm_quit
if [ "$VM_IPV6" = on ]; then
	vm_line 'AXVM: mcast: ' | grep -q "$SN_MAC" && fail "guest: $SN_MAC still joined after axnet stopped"
	pass "guest: eth0 left $SN_MAC when axnet stopped"
fi
expect_eq "guest engine echo replies (IPv4)" "$(vm_stat engine icmp_echo_reply_tx)" 5
[ "$VM_IPV6" = on ] && expect_eq "guest addresses refused by DAD" "$(vm_stat engine nd_dad_failed)" 1
expect_eq "guest frames for axnet on a queue without a socket" "$(vm_stat xdp no_xsk)" 0
echo "guest boot time: ${VM_BOOT_S} s"
exit 0
