# vm.sh - a QEMU guest running axnet on its virtio-net eth0, for the
# test-vm-*.sh tests and tests/bench/vm_bench.sh (sourced after lib.sh,
# not run). The guest (vm/init, vm/mkinitramfs.sh) is Debian's kernel with
# a busybox initramfs; TCG (KVM does not work on this host). The host end
# of its NIC is a multi-queue tap in NS_A at $KERNEL_A (and $KERNEL6_A):
# the host's kernel is the peer. The guest's console is the test's log
# (shown when the test fails); commands go to the guest on its second
# serial port (vm_cmd), and their output comes back on the console.

# VM_ACCEL=kvm boots with KVM (-cpu host) where it works; TCG is the
# default (KVM is present but unusable on the machines this runs on:
# PLATFORM.md).
VM_ACCEL=${VM_ACCEL:-tcg}
case "$VM_ACCEL" in
tcg) VM_ACCEL_ARGS=(-accel tcg,thread=multi -cpu max) ;;
kvm) VM_ACCEL_ARGS=(-accel kvm -cpu host) ;;
*) fail "VM_ACCEL=$VM_ACCEL: tcg or kvm" ;;
esac
KVER=${KVER:-$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)}
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || fail "no Debian guest kernel ($KERNEL); make deps installs linux-image-amd64"
AXNET_GUEST=${AXNET_GUEST:-build/axnet}  # the guest runs the plain build
INITRD=build/vm/initramfs.cpio.gz
TAP="axvm${ID}"
VM_DIR=$(mktemp -d /tmp/axnet-vm.XXXXXX)
SERIAL=$VM_DIR/console
CTL=$VM_DIR/ctl             # ctl.in: host -> guest ttyS1
QEMU_PID=
VM_N=0
# IPv6 on the link (used when the guest's axnet takes IPv6 addresses).
P6="fd00:a:$(printf %x $((ID % 65536)))::"
KERNEL6_A="${P6}3"
AXNET6_IP="${P6}2"

vm_cleanup() {
	local rc=$?
	[ $rc -ne 0 ] && [ -f "$SERIAL" ] &&
		{ echo "--- guest serial console ---" >&2; tr -d '\r' <"$SERIAL" >&2; }
	# QEMU_PID is timeout's, which leaves its child behind on SIGKILL.
	[ -f "$VM_DIR/qemu.pid" ] && kill -KILL "$(cat "$VM_DIR/qemu.pid")" 2>/dev/null
	[ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null
	# exec holds ctl.in open for writing; qemu is gone, so nothing blocks.
	exec 7>&- 2>/dev/null
	rm -rf "$VM_DIR"
	(exit $rc)
	cleanup
}
trap vm_cleanup EXIT

# vm_kernel: the kernel image to boot: the ELF vmlinux inside Debian's
# bzImage (xz), which QEMU starts through its PVH entry about 3 s sooner
# than the bzImage (PLATFORM.md), extracted once into build/vm/; the
# bzImage itself when that fails.
vm_kernel() {
	local elf=build/vm/vmlinux-$KVER off
	if [ ! -s "$elf" ]; then
		off=$(grep -abo $'\xfd7zXZ\x00' "$KERNEL" | head -1 | cut -d: -f1)
		# xz complains about what follows the stream; the ELF is whole.
		[ -n "$off" ] && tail -c +$((off + 1)) "$KERNEL" | xz -dc >"$elf.tmp" 2>/dev/null
		if [ -s "$elf.tmp" ] && [ "$(head -c 4 "$elf.tmp")" = $'\x7fELF' ]; then
			mv "$elf.tmp" "$elf"
		else
			rm -f "$elf.tmp"
		fi
	fi
	if [ -s "$elf" ]; then echo "$elf"; else echo "$KERNEL"; fi
}

# vm_boot [SERVE]: build the initramfs, make NS_A with the tap (IPv4 and
# IPv6 addresses), start the guest with axnet on its eth0 serving SERVE
# (axnet run --serve), and wait until its axnet is up (at most 180 s).
# Sets VM_BOOT_S (seconds from qemu's start to "AXVM: ready") and VM_IPV6
# (on when the guest's axnet took its IPv6 address).
vm_boot() {
	local serve=${1:-} t0
	mkdir -p build/vm
	VM_KERNEL=$(vm_kernel)
	vm/mkinitramfs.sh "$AXNET_GUEST" "$KVER" "$INITRD" || fail "initramfs"
	ip netns add "$NS_A" || fail "netns add"
	ip -n "$NS_A" tuntap add dev "$TAP" mode tap multi_queue || fail "tuntap"
	ip -n "$NS_A" addr add "$KERNEL_A/24" dev "$TAP"
	ip -n "$NS_A" addr add "$KERNEL6_A/64" dev "$TAP" nodad
	# VM_DUP6: an address the host holds and the guest's axnet is given
	# too (its duplicate address detection must refuse it).
	[ -z "${VM_DUP6:-}" ] || ip -n "$NS_A" addr add "$VM_DUP6/64" dev "$TAP" nodad
	ip -n "$NS_A" link set "$TAP" up
	mkfifo "$CTL.in" "$CTL.out"
	# Held open (read-write: never blocks) for the guest's whole life, so
	# the guest never sees its input end.
	exec 7<>"$CTL.in"
	t0=$(date +%s.%N)
	ip netns exec "$NS_A" timeout -k 5 ${VM_TIMEOUT:-600} qemu-system-x86_64 \
		"${VM_ACCEL_ARGS[@]}" -smp 2 -m 512 -no-reboot \
		-display none -monitor none -pidfile "$VM_DIR/qemu.pid" -serial "file:$SERIAL" -serial "pipe:$CTL" \
		-kernel "$VM_KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet panic=-1 axnet.addr=$AXNET_IP/24 axnet.addr6=$AXNET6_IP/64${VM_DUP6:+,$VM_DUP6/64} ${serve:+axnet.serve=$serve}" \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off,queues=4" \
		-device virtio-net-pci,netdev=n0,mq=on,vectors=10 &
	QEMU_PID=$!
	vm_wait "AXVM: (ready|done)" 180 || fail "guest did not come up"
	grep -q "AXVM: ready" "$SERIAL" || fail "guest axnet did not come up"
	VM_BOOT_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	VM_IPV6=$(vm_line 'AXVM: ipv6 ' | tail -1)
	pass "guest booted ($(basename "$VM_KERNEL"), $VM_ACCEL), axnet up in ${VM_BOOT_S} s ($(vm_line 'AXVM: driver '); IPv6 $VM_IPV6)"
}

# vm_line PREFIX: the rest of the console's lines starting with PREFIX.
vm_line() { tr -d '\r' 2>/dev/null <"$SERIAL" | sed -n "s/^$1//p"; }

# vm_wait REGEX SECS: until a console line matches REGEX (extended), at
# most SECS; 1 on timeout or when the guest is gone.
vm_wait() {
	local i
	for i in $(seq $(( $2 * 10 ))); do
		tr -d '\r' 2>/dev/null <"$SERIAL" | grep -qE "$1" && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || { tr -d '\r' 2>/dev/null <"$SERIAL" | grep -qE "$1"; return; }
		sleep 0.1
	done
	return 1
}

# vm_cmd [-t SECS] CMD: run the shell command line CMD in the guest
# (vm/init: its functions bg and sha, start_axnet, stop_axnet), wait (at
# most SECS, default 60) for it to end; its output in VM_OUT, its exit
# status returned.
vm_cmd() {
	local secs=60
	[ "$1" = -t ] && { secs=$2; shift 2; }
	local line=$*
	VM_N=$((VM_N + 1))
	# One line each: the guest reads lines.
	line=${line//$'\n'/ }
	echo "$VM_N $line" >&7
	vm_wait "^AXVM: $VM_N rc=" "$secs" || fail "guest: no answer to '$*' within $secs s"
	VM_OUT=$(vm_line "AXVM: $VM_N> ")
	return "$(vm_line "AXVM: $VM_N rc=")"
}

# vm_ok [-t SECS] CMD: vm_cmd that must succeed (output in VM_OUT). Not in
# a pipe or $(...): the command counter lives in this shell.
vm_ok() {
	local rc
	vm_cmd "$@"
	rc=$?
	[ $rc -eq 0 ] || { echo "$VM_OUT" >&2; fail "guest: '$*' exited with $rc"; }
}

# sockaddr ADDR: ADDR as socat takes it (IPv6 in brackets).
sockaddr() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }

# vm_bg_wait NAME SECS: wait for the guest's `bg NAME ...` to end; its exit
# status returned.
vm_bg_wait() {
	vm_wait "^AXVM: bg $1 rc=" "$2" || fail "guest: $1 did not end within $2 s"
	return "$(vm_line "AXVM: bg $1 rc=" | tail -1)"
}

# vm_iperf3_listening NAME N: until the guest's `bg NAME iperf3 -s
# --forceflush` has said "Server listening" N times (at most 10 s); 1 if
# not. iperf3 -s closes its listener during a test and opens it again
# after: a client that comes before that is refused.
vm_iperf3_listening() {
	vm_cmd "for i in \$(seq 100); do [ \$(grep -c 'Server listening' /tmp/$1.out) -ge $2 ] && exit 0;
		sleep 0.1; done; cat /tmp/$1.out; exit 1"
}

# vm_dad_done ADDR...: until the guest's axnet has finished duplicate
# address detection for each ADDR (not tentative; at most 10 s).
vm_dad_done() {
	local a
	for a in "$@"; do
		vm_cmd "for i in \$(seq 100); do axnet addr | grep -F '$a' | grep -qv tentative && exit 0;
			sleep 0.1; done; axnet addr; exit 1" || { echo "$VM_OUT"; fail "guest: DAD of $a did not end"; }
	done
}

# vm_quit: the guest stops axnet (its exit status must be 0) and powers
# off (at most 60 s).
vm_quit() {
	echo quit >&7
	vm_wait "AXVM: done" 60 || fail "guest did not finish"
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
	expect_eq "guest axnet exit status" "$(vm_line 'AXVM: axnet exit ')" 0
}

# vm_stat GROUP NAME: a counter of the guest's final `axnet stats --all`
# (after vm_quit).
vm_stat() { vm_line 'AXVM: stats: ' | awk -v g="$1" -v n="$2" '$1 == g && $2 == n { print $3 }'; }
