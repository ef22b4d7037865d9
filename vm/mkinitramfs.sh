#!/usr/bin/env bash
# Build the test guest's initramfs: busybox, the axnet binary and the
# preload library beside it (for `axnet exec`), iperf3, with the shared
# libraries they link, the virtio-net modules of Debian's kernel, the
# allow-all policy, and vm/init.
# Usage: vm/mkinitramfs.sh AXNET_BINARY KERNEL_VERSION OUT
# The preload library is $AXNET_PRELOAD, else libaxnet-preload.so beside
# AXNET_BINARY.
set -euo pipefail
axnet=$1 kver=$2 out=$3
preload=${AXNET_PRELOAD:-$(dirname "$axnet")/libaxnet-preload.so}
[ -f "$preload" ] || { echo "mkinitramfs: no $preload (make libaxnet)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,proc,sys,dev,run,tmp,lib/modules,etc/axnet}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$axnet" "$root/bin/axnet"
# axnet exec finds the library beside the axnet binary.
cp "$preload" "$root/bin/libaxnet-preload.so"
# At the path the host has it: the policy's "program" rules and the log
# name the same executable on both.
mkdir -p "$root/usr/bin"
cp /usr/bin/iperf3 "$root/usr/bin/iperf3"
# The dynamic loader and every library they link, at their own paths.
for bin in "$axnet" "$preload" /usr/bin/iperf3; do
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	 virtio_pci failover net_failover virtio_net; do
	cp "$(find "/lib/modules/$kver" -name "$m.ko" | head -1)" "$root/lib/modules/"
done
here=$(dirname "$0")
cp "$here/../tests/e2e/allow-all.pol" "$root/etc/axnet/allow-all.pol"
cp "$here/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
