#!/usr/bin/env bash
# Install the Debian packages axnet needs to build and test, when missing.
# Fast when nothing is missing (one dpkg-query), so `make` runs it each time.
set -euo pipefail

PKGS=(
	make gcc clang llvm libclang-rt-14-dev     # build, sanitizers, libFuzzer
	libbpf-dev libxdp-dev bpftool xdp-tools    # XDP and AF_XDP
	libelf-dev zlib1g-dev pkg-config           # libbpf's own needs
	libsodium-dev                              # Axiom: SHA-256 chain, Ed25519 checkpoints
	libcurl4-openssl-dev libjansson-dev        # Axiom on etcd: the v3 JSON gateway
	etcd-server etcd-client                    # ...the etcd clusters the tests make
	iproute2 iputils-ping ethtool tcpdump      # namespaces, peers, captures
	netcat-openbsd procps psmisc python3       # test helpers
	iperf3                                     # make bench: the kernel's goodput
	hping3 python3-scapy                       # SYN floods, crafted hostile frames
	qemu-system-x86 linux-image-amd64          # the virtio-net guest test
	busybox-static cpio xz-utils               # ...its initramfs, its vmlinux (xz)
	nginx-light redis-server redis-tools       # stock programs under `axnet exec`
	wrk socat curl strace                      # ...their kernel-side peers and probes
	libcap2-bin                                # setcap: axnet exec refuses file capabilities
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]} (run 'sudo make deps')" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx and redis-server start their services on install where the init
# system lets them, which would hold ports 80 and 6379 on the host (the
# tests run their own, in namespaces): a policy-rc.d that refuses (exit
# 101) keeps them stopped, unless the machine has one already.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	own_policy=1
fi
rc=0
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
[ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d

# systemd ignores policy-rc.d on some set-ups: a service this install
# started anyway is stopped and disabled; one that was there before is not
# touched.
for pair in nginx-light:nginx redis-server:redis-server etcd-server:etcd; do
	pkg=${pair%%:*} svc=${pair#*:}
	case " ${missing[*]} " in *" $pkg "*) ;; *) continue ;; esac
	if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
		echo "deps: $pkg started the $svc service: stopping and disabling it" >&2
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ] && "/etc/init.d/$svc" status >/dev/null 2>&1; then
		echo "deps: $pkg started the $svc service: stopping and disabling it" >&2
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
	fi
done
exit "$rc"
