#!/usr/bin/env bash
# axnet inside a QEMU guest on a virtio-net NIC (TCG; KVM does not work on
# this host): the guest's axnet attaches XDP + AF_XDP to its virtio_net
# eth0, pings the host's kernel, and the host's kernel pings it (IPv6 too
# when the guest's axnet takes an IPv6 address). The host end is a
# multi-queue tap in a namespace this test makes (tests/e2e/vm.sh).
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vm.sh"

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
	out=$(ip netns exec "$NS_A" ping -6 -c 5 -i 0.2 -W 5 "$AXNET6_IP")
	echo "$out" | tail -1
	expect_eq "host kernel ping6 -> guest axnet" \
		"$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')" 5
	vm_cmd -t 30 "axnet ping -c 5 -i 0.2 $KERNEL6_A"
	echo "$VM_OUT" | tail -2
	expect_eq "guest axnet ping6 -> host kernel" \
		"$(echo "$VM_OUT" | grep -c " bytes from $KERNEL6_A: icmp_seq=")" 5
else
	echo "skip: IPv6 (the guest's axnet takes no IPv6 address)"
fi

vm_quit
expect_eq "guest engine echo replies (IPv4)" "$(vm_stat engine icmp_echo_reply_tx)" 5
expect_eq "guest frames for axnet on a queue without a socket" "$(vm_stat xdp no_xsk)" 0
echo "guest boot time: ${VM_BOOT_S} s"
exit 0
