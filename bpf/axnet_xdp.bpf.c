// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * axnet_xdp.bpf.c - early demux on the interface axnet is attached to.
 *
 * For every frame: parse Ethernet (up to two 802.1Q/802.1ad tags), then
 * ARP, IPv4 or IPv6 and the first L4 header (TCP, UDP, ICMP, ICMPv6), each
 * with a bounds check against data_end. Frames whose destination (ARP:
 * target protocol address) is one of axnet's addresses (the `addrs` map,
 * filled by user space) are redirected to the AF_XDP socket bound to the
 * receiving queue (`xsks`). Everything else goes to the kernel. Frames whose
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

/* What the parser decided about one frame. */
enum verdict { V_PASS, V_OURS, V_MALFORMED };

static __always_inline int addr_is_ours(__u8 family, __u16 vlan,
					const void *addr, int len)
{
	struct ax_addr_key key = {};

	key.family = family;
	key.vlan = vlan;
	__builtin_memcpy(key.addr, addr, 16);
	if (len == 4)
		__builtin_memset(key.addr + 4, 0, 12);
	return bpf_map_lookup_elem(&addrs, &key) != NULL;
}

/*
 * The L4 header must be whole when present (first fragment only): inside the
 * frame (checked against data_end, which the verifier needs) and inside the
 * IP payload of l4_len bytes (which the protocol needs).
 */
static __always_inline int l4_ok(void *l4, void *end, __u32 l4_len, __u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || l4_len < sizeof(*th))
			return 0;
		return th->doff >= 5 && (__u32)th->doff * 4 <= l4_len;
	}
	case IPPROTO_UDP:
		return l4 + sizeof(struct udphdr) <= end &&
		       l4_len >= sizeof(struct udphdr);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return l4 + sizeof(struct ax_icmphdr) <= end &&
		       l4_len >= sizeof(struct ax_icmphdr);
	default:
		return 1;
	}
}

static __always_inline enum verdict parse_arp(void *p, void *end, __u16 vlan)
{
	struct ax_arphdr *arp = p;

	if ((void *)(arp + 1) > end)
		return V_MALFORMED;
	/* Only Ethernet/IPv4 ARP is ours to answer; the rest is the kernel's. */
	if (arp->htype != bpf_htons(1) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != 6 || arp->plen != 4)
		return V_PASS;
	return addr_is_ours(AX_AF_INET, vlan, arp->tpa, 4) ? V_OURS : V_PASS;
}

static __always_inline enum verdict parse_ipv4(void *p, void *end, __u16 vlan)
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
	/* Only a first fragment carries the L4 header. */
	if (!(ip->frag_off & bpf_htons(0x1fff)) &&
	    !l4_ok(p + hlen, end, tot - hlen, ip->protocol))
		return V_MALFORMED;
	return addr_is_ours(AX_AF_INET, vlan, &ip->daddr, 4) ? V_OURS : V_PASS;
}

static __always_inline enum verdict parse_ipv6(void *p, void *end, __u16 vlan)
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
	if (!l4_ok(l4, end, plen, ip6->nexthdr))
		return V_MALFORMED;
	return addr_is_ours(AX_AF_INET6, vlan, &ip6->daddr, 16) ? V_OURS
								: V_PASS;
}

SEC("xdp")
int axnet_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	enum verdict v = V_PASS;
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
		v = parse_arp(p, end, vlan);
	else if (proto == bpf_htons(ETH_P_IP))
		v = parse_ipv4(p, end, vlan);
	else if (proto == bpf_htons(ETH_P_IPV6))
		v = parse_ipv6(p, end, vlan);

out:
	switch (v) {
	case V_MALFORMED:
		st->malformed++;
		st->dropped++;
		return XDP_DROP;
	case V_OURS:
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
