/* SPDX-License-Identifier: MIT */
/*
 * xdp_shared.h - layouts shared by the XDP program (bpf/) and user space.
 *
 * Everything a map holds is defined here, once, with fixed-width kernel
 * types so that clang -target bpf and gcc agree on every offset. The maps
 * carry BTF, so `bpftool map dump pinned /sys/fs/bpf/axnet/<ifname>/stats`
 * prints these field names.
 */
#ifndef AXNET_XDP_SHARED_H
#define AXNET_XDP_SHARED_H

#include <linux/types.h>

/* Pin root: maps live in AX_PIN_ROOT "/<ifname>/<map name>". */
#define AX_PIN_ROOT "/sys/fs/bpf/axnet"

/* Upper bound on RX queues (and so AF_XDP sockets) per interface. */
#define AX_MAX_QUEUES 64
/* Upper bound on local addresses axnet owns on one interface. */
#define AX_MAX_ADDRS 64

/*
 * Per-CPU XDP counters (one PERCPU_ARRAY slot). Invariant, per CPU and so
 * in the sum: rx_packets == redirected + passed + dropped. `malformed` is
 * the subset of `dropped` whose headers failed a bounds or sanity check;
 * `no_xsk` the subset of `passed` that was ours but found no socket.
 */
struct ax_xdp_stats {
	__u64 rx_packets;  /* every frame the program saw */
	__u64 rx_bytes;    /* their bytes, Ethernet header included */
	__u64 redirected;  /* handed to an AF_XDP socket (ours) */
	__u64 passed;      /* given to the kernel's stack (not ours) */
	__u64 dropped;     /* dropped in XDP, malformed included */
	__u64 malformed;   /* truncated or insane headers */
	__u64 no_xsk;      /* ours, but no AF_XDP socket on that queue: part
			    * of `passed`; a queue axnet is not bound to */
};

/* Address families as stored in struct ax_addr_key.family. */
#define AX_AF_INET 4
#define AX_AF_INET6 6

/*
 * A local address owned by axnet. vlan is the 802.1Q VLAN id the address
 * lives on, 0 for untagged; a frame for the same IP on another VLAN is not
 * ours and goes to the kernel.
 */
struct ax_addr_key {
	__u8 family;    /* AX_AF_INET or AX_AF_INET6 */
	__u8 pad;
	__u16 vlan;     /* host byte order, 0 = untagged */
	__u8 addr[16];  /* network byte order; IPv4 uses the first 4 bytes */
};

struct ax_addr_val {
	__u32 flags; /* reserved, 0 */
};

#endif /* AXNET_XDP_SHARED_H */
