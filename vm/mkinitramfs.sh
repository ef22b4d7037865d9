#!/usr/bin/env bash
# Build the test guest's initramfs: busybox, the axnet binary with the
# shared libraries it links, the virtio-net modules of Debian's kernel,
# and vm/init. Usage: vm/mkinitramfs.sh AXNET_BINARY KERNEL_VERSION OUT
set -euo pipefail
axnet=$1 kver=$2 out=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,proc,sys,dev,run,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$axnet" "$root/bin/axnet"
# The dynamic loader and every library axnet links, at their own paths.
for lib in $(ldd "$axnet" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	 virtio_pci failover net_failover virtio_net; do
	cp "$(find "/lib/modules/$kver" -name "$m.ko" | head -1)" "$root/lib/modules/"
done
cp "$(dirname "$0")/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
