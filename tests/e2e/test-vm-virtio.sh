#!/usr/bin/env bash
# axnet inside a QEMU guest on a virtio-net NIC (TCG; KVM does not work on
# this host): the guest's axnet attaches XDP + AF_XDP to its virtio_net
# eth0, pings the host's kernel, and the host's kernel pings it. The host
# end is a multi-queue tap in a namespace this test makes.
. "$(dirname "$0")/lib.sh"

KVER=${KVER:-$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)}
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || fail "no Debian guest kernel ($KERNEL); make deps installs linux-image-amd64"
AXNET_GUEST=${AXNET_GUEST:-build/axnet}  # the guest runs the plain build
INITRD=build/vm/initramfs.cpio.gz
TAP="axvm${ID}"
SERIAL=$(mktemp /tmp/axnet-vm.XXXXXX)
QEMU_PID=

vm_cleanup() {
	[ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null
	rm -f "$SERIAL"
}
on_exit() {
	local rc=$?
	[ $rc -ne 0 ] && { echo "--- guest serial console ---" >&2; cat "$SERIAL" >&2; }
	vm_cleanup
	(exit $rc)
	cleanup
}
trap on_exit EXIT

mkdir -p build/vm
vm/mkinitramfs.sh "$AXNET_GUEST" "$KVER" "$INITRD" || fail "initramfs"

ip netns add "$NS_A" || fail "netns add"
ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS_A" tuntap add dev "$TAP" mode tap multi_queue || fail "tuntap"
ip -n "$NS_A" addr add "$KERNEL_A/24" dev "$TAP"
ip -n "$NS_A" link set "$TAP" up

ip netns exec "$NS_A" timeout -k 5 240 qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 512 -no-reboot \
	-display none -monitor none -serial "file:$SERIAL" \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 quiet panic=-1 axnet.addr=$AXNET_IP/24 axnet.peer=$KERNEL_A axnet.pings=5" \
	-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off,queues=4" \
	-device virtio-net-pci,netdev=n0,mq=on,vectors=10 &
QEMU_PID=$!

for _ in $(seq 1800); do
	grep -q "AXVM: ready\|AXVM: done" "$SERIAL" && break
	kill -0 "$QEMU_PID" 2>/dev/null || break
	sleep 0.1
done
grep -q "AXVM: ready" "$SERIAL" || fail "guest axnet did not come up"
pass "guest booted, axnet up ($(grep -o 'AXVM: driver .*' "$SERIAL"))"

# The host's kernel pings the guest's axnet (answered from the guest's user
# space through AF_XDP on virtio_net). TCG is slow: generous timeouts.
out=$(ip netns exec "$NS_A" ping -c 5 -i 0.2 -W 5 "$AXNET_IP")
echo "$out" | tail -1
got=$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')

for _ in $(seq 1200); do
	grep -q "AXVM: done" "$SERIAL" && break
	sleep 0.1
done
wait "$QEMU_PID" 2>/dev/null
QEMU_PID=
grep -q "AXVM: done" "$SERIAL" || fail "guest did not finish"
expect_eq "host kernel ping -> guest axnet (virtio-net)" "$got" 5
grep "AXVM: ping:" "$SERIAL" | tail -3
expect_eq "guest axnet ping -> host kernel" \
	"$(grep -c "AXVM: ping: .* bytes from $KERNEL_A: icmp_seq=" "$SERIAL")" 5
grep -q "xsk: .* AF_XDP socket(s) on eth0 in \(copy\|zero-copy\) mode" "$SERIAL" ||
	fail "guest log does not say the AF_XDP mode"
pass "guest: $(grep -o 'xsk: .* mode' "$SERIAL")"
grep -q "xdp: program attached to eth0 .*native mode" "$SERIAL" || fail "XDP not native on virtio_net"
pass "XDP attached in native mode on virtio_net"
expect_eq "guest engine echo replies" \
	"$(sed -n 's/^AXVM: stats: engine *icmp_echo_reply_tx *//p' "$SERIAL" | tr -d '\r')" 5
expect_eq "guest frames for axnet on a queue without a socket" \
	"$(sed -n 's/^AXVM: stats: xdp *no_xsk *//p' "$SERIAL" | tr -d '\r')" 0
expect_eq "guest axnet exit status" "$(sed -n 's/^AXVM: axnet exit //p' "$SERIAL" | tr -d '\r')" 0
exit 0
