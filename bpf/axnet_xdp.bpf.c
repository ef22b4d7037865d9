// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * axnet_xdp.bpf.c - early demux on the interface axnet is attached to.
 *
 * For every frame: parse Ethernet (up to two 802.1Q/802.1ad tags), then
 * ARP, IPv4 or IPv6 and the first L4 header (TCP, UDP, ICMP, ICMPv6), each
 * with a bounds check against data_end. Frames whose destination (ARP:
 * target protocol address) is one of axnet's addresses (the `addrs` map,
 * filled by user space) are redirected to the AF_XDP socket bound to the
 * receiving queue (`xsks`), once their flow passes the verdict check
 * (flow_check: `flows`, filled by axnet's authorizer after each Axiom
 * commit). IPv4 fragments and protocols other than TCP, UDP and ICMP for
 * axnet are dropped; ICMP for axnet shares the per-source limit of first
 * frames. Everything else goes to the kernel. Frames whose
 * headers are truncated or insane are counted as malformed and dropped: no
 * stack could use them, and the kernel would drop them too.
 *
 * Counters live in `stats`, one slot per CPU; see include/axnet/xdp_shared.h
 * for their meaning and the invariant they keep.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "axnet/xdp_shared.h"

/* <linux/if_arp.h> and <linux/icmp.h> drag in libc headers that do not
 * build for -target bpf; the few fields we read are declared here. */
struct ax_arphdr {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 oper;
	__u8 sha[6];
	__u8 spa[4];
	__u8 tha[6];
	__u8 tpa[4];
} __attribute__((packed));

struct ax_icmphdr {
	__u8 type;
	__u8 code;
	__be16 checksum;
	__be32 rest;
};

struct ax_vlanhdr {
	__be16 tci;
	__be16 proto;
};

#define AX_MAX_VLAN_TAGS 2

/*
 * No frame an XDP program sees is longer than this. Lengths read from
 * headers are checked against it before they touch a packet pointer:
 * older verifiers (the 6.1 of Debian guests) treat a byte-swapped length as
 * unbounded and refuse "pkt + len" otherwise.
 */
#define AX_MAX_FRAME 16384

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, AX_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AX_MAX_ADDRS);
	__type(key, struct ax_addr_key);
	__type(value, struct ax_addr_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ax_xdp_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AX_MAX_FLOWS);
	__type(key, struct ax_flow_key);
	__type(value, struct ax_flow_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AX_MAX_SYN_SOURCES);
	__type(key, struct ax_src_key);
	__type(value, struct ax_src_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} syn_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ax_xdp_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

/* Copies of gratuitous ARPs for axnet (struct ax_garp); not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} garps SEC(".maps");

/* What the parser decided about one frame. */
enum verdict { V_PASS, V_OURS, V_MALFORMED };

/* What the parser learnt of an IP frame for us, for the flow check. */
struct pkt {
	__u8 family;       /* 0: not IP (ARP), no flow */
	__u8 proto;
	__u8 has_l4;       /* an unfragmented packet with a whole L4 header */
	__u8 syn;          /* TCP: SYN without ACK */
	__u8 frag;         /* IPv4: a fragment (MF set or offset not 0) */
	__be16 sport, dport;
	const void *saddr; /* into the frame */
	const void *daddr;
};

static __always_inline int addr_is_ours(__u8 family, __u16 vlan,
					const void *addr, int len)
{
	struct ax_addr_key key = {};

	key.family = family;
	key.vlan = vlan;
	/* Exactly the address's bytes: an IPv4 address is a 4-byte field of
	 * the frame (the key's other 12 bytes stay 0). */
	if (len == 4)
		__builtin_memcpy(key.addr, addr, 4);
	else
		__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&addrs, &key) != NULL;
}

/*
 * The L4 header must be whole when present (first fragment only): inside the
 * frame (checked against data_end, which the verifier needs) and inside the
 * IP payload of l4_len bytes (which the protocol needs).
 */
static __always_inline int l4_ok(void *l4, void *end, __u32 l4_len, __u8 proto,
				 struct pkt *pk)
{
	switch (proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || l4_len < sizeof(*th))
			return 0;
		pk->has_l4 = 1;
		pk->sport = th->source;
		pk->dport = th->dest;
		pk->syn = th->syn && !th->ack;
		return th->doff >= 5 && (__u32)th->doff * 4 <= l4_len;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end || l4_len < sizeof(*uh))
			return 0;
		pk->has_l4 = 1;
		pk->sport = uh->source;
		pk->dport = uh->dest;
		return 1;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return l4 + sizeof(struct ax_icmphdr) <= end &&
		       l4_len >= sizeof(struct ax_icmphdr);
	default:
		return 1;
	}
}

static __always_inline enum verdict parse_arp(struct ethhdr *eth, void *p, void *end,
					      __u16 vlan, struct ax_xdp_stats *st)
{
	struct ax_arphdr *arp = p;
	struct ax_garp *g;

	if ((void *)(arp + 1) > end)
		return V_MALFORMED;
	/* Only Ethernet/IPv4 ARP is ours to answer; the rest is the kernel's. */
	if (arp->htype != bpf_htons(1) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != 6 || arp->plen != 4)
		return V_PASS;
	if (addr_is_ours(AX_AF_INET, vlan, arp->tpa, 4))
		return V_OURS;
	/* A gratuitous ARP (spa == tpa) is the kernel's frame, but axnet's
	 * news too: XDP cannot clone, so it passes and a copy goes to the
	 * `garps` ring (the engine keeps only what updates a known
	 * neighbour). */
	if (vlan == 0 && arp->spa[0] == arp->tpa[0] && arp->spa[1] == arp->tpa[1] &&
	    arp->spa[2] == arp->tpa[2] && arp->spa[3] == arp->tpa[3] &&
	    (arp->spa[0] | arp->spa[1] | arp->spa[2] | arp->spa[3])) {
		g = bpf_ringbuf_reserve(&garps, sizeof(*g), 0);
		if (!g) {
			st->garp_lost++;
			return V_PASS;
		}
		__builtin_memcpy(g->eth_src, eth->h_source, 6);
		__builtin_memcpy(g->arp, arp, sizeof(g->arp));
		g->pad[0] = g->pad[1] = 0;
		bpf_ringbuf_submit(g, 0);
		st->garp_copied++;
	}
	return V_PASS;
}

static __always_inline enum verdict parse_ipv4(void *p, void *end, __u16 vlan,
					       struct pkt *pk)
{
	struct iphdr *ip = p;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > end)
		return V_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return V_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot > AX_MAX_FRAME)
		return V_MALFORMED;
	if (p + hlen > end || tot < hlen || p + tot > end)
		return V_MALFORMED;
	pk->family = AX_AF_INET;
	pk->proto = ip->protocol;
	pk->saddr = &ip->saddr;
	pk->daddr = &ip->daddr;
	/* A fragment's L4 header, when it carries one, may be cut anywhere
	 * (RFC 791): only a reassembler can judge it. Fragments for axnet
	 * are dropped (axnet_xdp); for others the kernel reassembles. */
	pk->frag = !!(ip->frag_off & bpf_htons(0x3fff));
	if (!pk->frag && !l4_ok(p + hlen, end, tot - hlen, ip->protocol, pk))
		return V_MALFORMED;
	return addr_is_ours(AX_AF_INET, vlan, &ip->daddr, 4) ? V_OURS : V_PASS;
}

static __always_inline enum verdict parse_ipv6(void *p, void *end, __u16 vlan,
					       struct pkt *pk)
{
	struct ipv6hdr *ip6 = p;
	void *l4 = ip6 + 1;
	__u32 plen;

	if ((void *)(ip6 + 1) > end)
		return V_MALFORMED;
	if (ip6->version != 6)
		return V_MALFORMED;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen > AX_MAX_FRAME || l4 + plen > end)
		return V_MALFORMED;
	/* Extension headers are left to the engine; a direct L4 header is
	 * checked here. */
	pk->family = AX_AF_INET6;
	pk->proto = ip6->nexthdr;
	pk->saddr = &ip6->saddr;
	pk->daddr = &ip6->daddr;
	if (!l4_ok(l4, end, plen, ip6->nexthdr, pk))
		return V_MALFORMED;
	/*
	 * To a group: only ICMPv6 is axnet's, and only for the groups user
	 * space put in `addrs` (RFC 4861, RFC 4862): the solicited-node
	 * groups of its addresses, tentative ones included, and all-nodes
	 * (ff02::1), from which only router advertisements (134) and
	 * neighbor advertisements (136: answers to DAD) are axnet's.
	 * Everything else to a group stays the kernel's.
	 */
	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff) {
		struct ax_icmphdr *ih = l4;

		if (ip6->nexthdr != IPPROTO_ICMPV6 || (void *)(ih + 1) > end ||
		    !addr_is_ours(AX_AF_INET6, vlan, &ip6->daddr, 16))
			return V_PASS;
		if (ip6->daddr.in6_u.u6_addr32[3] == bpf_htonl(1) &&
		    ip6->daddr.in6_u.u6_addr32[2] == 0 && ih->type != 134 && ih->type != 136)
			return V_PASS;
		return V_OURS;
	}
	return addr_is_ours(AX_AF_INET6, vlan, &ip6->daddr, 16) ? V_OURS
								: V_PASS;
}

/*
 * A token bucket per source for first frames of unknown flows: refill at
 * rate per second up to burst, take one. Per-CPU races can let a few extra
 * through; that only costs the authorizer a little work.
 */
static __always_inline int slow_path_ok(const struct pkt *pk, const struct ax_xdp_config *cfg)
{
	struct ax_src_key key = {};
	struct ax_src_bucket *b, nb;
	__u64 now = bpf_ktime_get_ns(), full = (__u64)cfg->slow_burst * 1000;

	key.family = pk->family;
	if (pk->family == AX_AF_INET)
		__builtin_memcpy(key.addr, pk->saddr, 4);
	else
		__builtin_memcpy(key.addr, pk->saddr, 16);
	b = bpf_map_lookup_elem(&syn_rate, &key);
	if (!b) {
		nb.last_ns = now;
		nb.tokens = full - 1000;
		bpf_map_update_elem(&syn_rate, &key, &nb, BPF_ANY);
		return full >= 1000;
	}
	if (now > b->last_ns) {
		/* rate frames/s = rate thousandths per ms. */
		__u64 add = (now - b->last_ns) / 1000000 * cfg->slow_rate;

		if (add) {
			b->tokens = b->tokens + add > full ? full : b->tokens + add;
			b->last_ns = now;
		}
	}
	if (b->tokens < 1000)
		return 0;
	b->tokens -= 1000;
	return 1;
}

/*
 * An IP frame for us: 1 = to axnet, 0 = drop. Fragments and protocols the
 * engine does not run are dropped whatever the configuration: the engine
 * would drop them too, and a fragment carries no port to check a verdict
 * against (until the engine reassembles, and checks after reassembly).
 * With enforcement on, ICMP takes a token of its source's bucket (the
 * engine answers echo requests, each authorized by the authorizer), and
 * TCP and UDP go by their flow's verdict.
 */
static __always_inline int flow_check(const struct pkt *pk, __u32 len, struct ax_xdp_stats *st)
{
	struct ax_flow_key key = {};
	struct ax_flow_val *fv;
	struct ax_xdp_config *cfg;
	__u32 zero = 0;
	int icmp = pk->proto == IPPROTO_ICMP || pk->proto == IPPROTO_ICMPV6;

	if (pk->frag) {
		st->frag_dropped++;
		return 0;
	}
	if (pk->proto != IPPROTO_TCP && pk->proto != IPPROTO_UDP && !icmp) {
		st->proto_dropped++;
		return 0;
	}
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || !cfg->enforce)
		return 1;
	if (icmp) {
		if (!slow_path_ok(pk, cfg)) {
			st->slow_path_limited++;
			return 0;
		}
		st->icmp++;
		return 1;
	}
	if (!pk->has_l4)
		return 0; /* cannot happen (unfragmented TCP and UDP are parsed
			   * whole or malformed); fail closed all the same */
	key.family = pk->family;
	key.proto = pk->proto;
	key.lport = pk->dport;
	key.rport = pk->sport;
	if (pk->family == AX_AF_INET) {
		__builtin_memcpy(key.laddr, pk->daddr, 4);
		__builtin_memcpy(key.raddr, pk->saddr, 4);
	} else {
		__builtin_memcpy(key.laddr, pk->daddr, 16);
		__builtin_memcpy(key.raddr, pk->saddr, 16);
	}
	fv = bpf_map_lookup_elem(&flows, &key);
	if (fv) {
		if (fv->verdict != AX_VERDICT_ALLOW) {
			st->flow_denied++;
			return 0;
		}
		__sync_fetch_and_add(&fv->packets, 1);
		__sync_fetch_and_add(&fv->bytes, len);
		st->flow_allowed++;
		return 1;
	}
	/*
	 * Unknown flow. A first frame (TCP SYN, UDP datagram) may ask the
	 * authorizer; any other TCP segment goes to the engine too, so that a
	 * peer of a connection axnet forgot gets its RST (RFC 9293 3.10.7.1)
	 * and a SYN cookie's ACK can be checked. Both take a token of the
	 * same per-source bucket: no source gets more engine work than that.
	 */
	if (!slow_path_ok(pk, cfg)) {
		st->slow_path_limited++;
		return 0;
	}
	if (pk->proto == IPPROTO_TCP && !pk->syn)
		st->flow_unknown++;
	else
		st->slow_path++;
	return 1;
}

SEC("xdp")
int axnet_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	enum verdict v = V_PASS;
	struct pkt pk = {};
	struct ax_xdp_stats *st;
	__u32 zero = 0;
	__u16 proto, vlan = 0;
	void *p;
	int i, action;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS; /* cannot happen: array slot 0 always exists */
	st->rx_packets++;
	st->rx_bytes += end - data;

	if ((void *)(eth + 1) > end) {
		v = V_MALFORMED;
		goto out;
	}
	proto = eth->h_proto;
	p = eth + 1;

#pragma unroll
	for (i = 0; i < AX_MAX_VLAN_TAGS; i++) {
		struct ax_vlanhdr *vh = p;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end) {
			v = V_MALFORMED;
			goto out;
		}
		/* The innermost tag names the VLAN the frame belongs to. */
		vlan = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->proto;
		p = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_ARP))
		v = parse_arp(eth, p, end, vlan, st);
	else if (proto == bpf_htons(ETH_P_IP))
		v = parse_ipv4(p, end, vlan, &pk);
	else if (proto == bpf_htons(ETH_P_IPV6))
		v = parse_ipv6(p, end, vlan, &pk);

out:
	switch (v) {
	case V_MALFORMED:
		st->malformed++;
		st->dropped++;
		return XDP_DROP;
	case V_OURS:
		if (pk.family && !flow_check(&pk, end - data, st)) {
			st->dropped++;
			return XDP_DROP;
		}
		/* No socket on this queue: the kernel gets it (XDP_PASS). */
		action = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
		if (action == XDP_REDIRECT) {
			st->redirected++;
		} else {
			st->passed++;
			st->no_xsk++;
		}
		return action;
	default:
		st->passed++;
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
