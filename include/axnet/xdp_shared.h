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

/* Upper bound on flow verdicts held in XDP (an LRU hash: when full, the
 * least recently used verdict goes, and that flow's next frames go to the
 * engine as unknown, through their source's limit, where only a
 * connection the engine holds takes them; size it above the connections
 * you expect). */
#define AX_MAX_FLOWS 131072
/* Sources whose SYN rate XDP tracks (LRU). */
#define AX_MAX_SYN_SOURCES 16384

/*
 * Per-CPU XDP counters (one PERCPU_ARRAY slot). Invariant, per CPU and so
 * in the sum: rx_packets == redirected + passed + dropped. `malformed` is
 * the subset of `dropped` whose headers failed a bounds or sanity check;
 * `no_xsk` the subset of `passed` that was ours but found no socket.
 * Of TCP and UDP frames for axnet's addresses: flow_allowed, slow_path
 * and flow_unknown are parts of `redirected`; flow_denied and
 * slow_path_limited parts of `dropped`. Of the other IP frames for
 * axnet's addresses (with enforcement on): icmp and frag are parts of
 * `redirected`; frag_dropped, proto_dropped and slow_path_limited (ICMP
 * over its source's rate) parts of `dropped`.
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
	__u64 flow_allowed;      /* a flow with an allow verdict */
	__u64 flow_denied;       /* a flow with a deny verdict */
	__u64 flow_unknown;      /* no verdict and not a flow's first frame
				  * (a TCP segment other than a SYN): to the
				  * engine, which answers with a RST or takes
				  * it as a SYN cookie's ACK */
	__u64 slow_path;         /* first frame of an unknown flow (a TCP
				  * SYN, a UDP datagram): to the authorizer */
	__u64 slow_path_limited; /* either of the two above, or ICMP, over
				  * its source's rate: dropped */
	__u64 frag_dropped;      /* fragments for axnet over their source's
				  * rate (with enforcement on): dropped */
	__u64 proto_dropped;     /* IP protocols the engine does not run
				  * (not TCP, UDP, ICMP) for axnet: dropped */
	__u64 icmp;              /* ICMP for axnet within its source's rate
				  * (the same bucket as first frames): to
				  * the engine */
	__u64 garp_copied; /* gratuitous ARPs passed to the kernel and also
			    * copied to axnet (the `garps` ring) */
	__u64 garp_lost;   /* ...whose copy found the ring full */
	__u64 frag;        /* fragments for axnet (IPv4; IPv6 with a fragment
			    * header first) to the engine, which reassembles
			    * and checks the whole datagram's flow; with
			    * enforcement on, each took a token of its
			    * source's bucket */
};

/*
 * The `garps` ring buffer: a copy of each untagged gratuitous ARP (sender
 * and target address the same, not one of axnet's) that XDP passes to the
 * kernel, so axnet's neighbour cache also hears of a neighbour that moved
 * (RFC 5227 3) while the kernel, sharing the interface, keeps the frame.
 */
struct ax_garp {
	__u8 eth_src[6];
	__u8 arp[28];    /* the Ethernet/IPv4 ARP packet as received */
	__u8 pad[2];
};

/*
 * The `flows` map: one verdict per flow, keyed from axnet's side (l =
 * local, r = remote), written by the authorizer only after the flow's
 * Axiom entry committed, read by XDP for every TCP/UDP frame to an axnet
 * address.
 */
struct ax_flow_key {
	__u8 family;     /* AX_AF_INET or AX_AF_INET6 */
	__u8 proto;      /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 pad;       /* 0 */
	__be16 lport;    /* network byte order */
	__be16 rport;
	__u8 laddr[16];  /* network byte order; IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

#define AX_VERDICT_ALLOW 1
#define AX_VERDICT_DENY 2

struct ax_flow_val {
	__u32 verdict;   /* AX_VERDICT_* */
	__u32 rule;      /* the policy rule that decided (1-based), 0 = default */
	__u64 seq;       /* the Axiom entry that authorized (or denied) it */
	__u64 packets;   /* frames XDP saw for this flow, inbound */
	__u64 bytes;     /* their bytes */
};

/* The `syn_rate` map: per remote source, a token bucket for first frames
 * of unknown flows (so one source cannot make the authorizer write). */
struct ax_src_key {
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};

struct ax_src_bucket {
	__u64 last_ns;   /* bpf_ktime_get_ns() of the last refill */
	__u64 tokens;    /* in thousandths of a frame */
};

/* The `config` map (one ARRAY slot), written by the loader. */
struct ax_xdp_config {
	__u32 enforce;      /* 0: every frame for an axnet address goes to it
			     * (no verdicts); 1: verdicts enforced */
	__u32 slow_rate;    /* first frames per second per source */
	__u32 slow_burst;   /* bucket depth, frames */
	__u32 pad;
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
