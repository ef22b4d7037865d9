/*
 * ip6_helper.h - IPv6 and ICMPv6 frames for unit tests through
 * fake_netif.h: addresses of the host under test and its peers, frame
 * builders with checksums computed here (the textbook way, not the
 * engine's), and a view of captured IPv6 frames.
 */
#ifndef IP6_HELPER_H
#define IP6_HELPER_H

#include "fake_netif.h"
#include "net/ipv6.h"
#include "net/nd.h"
#include "net/icmp6.h"

/* fd00::1/64 ours, fd00::2 the peer's; link-local addresses from the MACs. */
static const struct ip_addr ip6_our_g = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
static const struct ip_addr ip6_peer_g = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } };
static const struct ip_addr ip6_far = { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 } };
static const struct ip_addr ip6_all_nodes = { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };

static inline struct ip_addr ip6_ll(const uint8_t *mac)
{
	struct ip_addr a;

	nd_linklocal(mac, &a);
	return a;
}

/* ff02::1:ffXX:XXXX of a. */
static inline struct ip_addr ip6_sn(const struct ip_addr *a)
{
	struct ip_addr g = { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff } };

	memcpy(g.b + 13, a->b + 13, 3);
	return g;
}

static inline void ip6_mcast_mac(const struct ip_addr *g, uint8_t *mac)
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, g->b + 12, 4);
}

/* The ICMPv6 checksum over the pseudo-header, RFC 8200 8.1 spelt out. */
static inline uint16_t ip6_csum(const struct ip_addr *src, const struct ip_addr *dst,
				uint8_t nh, const uint8_t *l4, size_t len)
{
	uint8_t *b = malloc(40 + len);
	uint16_t c;

	if (!b)
		abort();
	memcpy(b, src->b, 16);
	memcpy(b + 16, dst->b, 16);
	fake_put32(b + 32, (uint32_t)len);
	b[36] = b[37] = b[38] = 0;
	b[39] = nh;
	memcpy(b + 40, l4, len);
	c = fake_csum(b, 40 + len);
	free(b);
	return c;
}

/*
 * An Ethernet frame eth_dst <- eth_src carrying IPv6 src -> dst, hop limit
 * hops, first next header nh, payload pl/plen (extension headers and L4,
 * as given). Returns the frame length.
 */
static inline size_t ip6_frame(uint8_t *buf, const uint8_t *eth_dst, const uint8_t *eth_src,
			       const struct ip_addr *src, const struct ip_addr *dst, uint8_t nh,
			       uint8_t hops, const uint8_t *pl, size_t plen)
{
	uint8_t *ip = buf + ETH_HLEN_AX;

	memcpy(buf, eth_dst, 6);
	memcpy(buf + 6, eth_src, 6);
	fake_put16(buf + 12, ETHTYPE_IPV6);
	fake_put32(ip, 6u << 28);
	fake_put16(ip + 4, (uint16_t)plen);
	ip[6] = nh;
	ip[7] = hops;
	memcpy(ip + 8, src->b, 16);
	memcpy(ip + 24, dst->b, 16);
	memcpy(ip + 40, pl, plen);
	return ETH_HLEN_AX + 40 + plen;
}

/* Fill the checksum of the ICMPv6 message m (len bytes) for src -> dst. */
static inline void ip6_icmp_fix(uint8_t *m, size_t len, const struct ip_addr *src,
				const struct ip_addr *dst)
{
	m[2] = m[3] = 0;
	fake_put16(m + 2, ip6_csum(src, dst, IP6_NH_ICMPV6, m, len));
}

/* An echo request (type 128) with id, seq and n bytes of data 0..n-1. */
static inline size_t ip6_echo(uint8_t *m, uint8_t type, uint16_t id, uint16_t seq, size_t n)
{
	size_t i;

	m[0] = type;
	m[1] = 0;
	m[2] = m[3] = 0;
	fake_put16(m + 4, id);
	fake_put16(m + 6, seq);
	for (i = 0; i < n; i++)
		m[8 + i] = (uint8_t)i;
	return 8 + n;
}

/* A captured IPv6 frame taken apart. */
struct ip6_view {
	const uint8_t *eth_dst, *eth_src;
	uint16_t ethtype, plen;
	uint8_t nh, hops;
	struct ip_addr src, dst;
	const uint8_t *pl; /* after the IPv6 header */
	int csum_ok;       /* the ICMPv6 checksum, when nh is 58 */
};

static inline int ip6_parse(const struct fake_frame *fr, struct ip6_view *v)
{
	const uint8_t *ip;

	memset(v, 0, sizeof(*v));
	if (!fr || fr->len < ETH_HLEN_AX + 40)
		return -1;
	ip = fr->data + ETH_HLEN_AX;
	v->eth_dst = fr->data;
	v->eth_src = fr->data + 6;
	v->ethtype = fake_get16(fr->data + 12);
	if (v->ethtype != ETHTYPE_IPV6 || (ip[0] >> 4) != 6)
		return -1;
	v->plen = fake_get16(ip + 4);
	if (fr->len < ETH_HLEN_AX + 40u + v->plen)
		return -1;
	v->nh = ip[6];
	v->hops = ip[7];
	memcpy(v->src.b, ip + 8, 16);
	memcpy(v->dst.b, ip + 24, 16);
	v->pl = ip + 40;
	if (v->nh == IP6_NH_ICMPV6)
		v->csum_ok = ip6_csum(&v->src, &v->dst, 58, v->pl, v->plen) == 0;
	return 0;
}

/* ND messages: NS/NA with an optional link-layer address option. */
static inline size_t ip6_ns(uint8_t *m, const struct ip_addr *target, const uint8_t *sll)
{
	memset(m, 0, 32);
	m[0] = ND_NS;
	memcpy(m + 8, target->b, 16);
	if (!sll)
		return 24;
	m[24] = ND_OPT_SLLAO;
	m[25] = 1;
	memcpy(m + 26, sll, 6);
	return 32;
}

static inline size_t ip6_na(uint8_t *m, uint8_t flags, const struct ip_addr *target,
			    const uint8_t *tll)
{
	memset(m, 0, 32);
	m[0] = ND_NA;
	m[4] = flags;
	memcpy(m + 8, target->b, 16);
	if (!tll)
		return 24;
	m[24] = ND_OPT_TLLAO;
	m[25] = 1;
	memcpy(m + 26, tll, 6);
	return 32;
}

/* A host with its link-local address and fd00::1/64, both past DAD, the
 * frames and counters of that forgotten. */
static inline int ip6_host_init(struct fake_host *h)
{
	struct ip_addr ll = ip6_ll(FAKE_OUR_MAC);

	if (fake_host_init(h) || stack_addr_add(&h->s, &ll, 64, STACK_ADDR_F_LINKLOCAL) ||
	    stack_addr_add(&h->s, &ip6_our_g, 64, STACK_ADDR_F_STATIC))
		return -1;
	fake_advance(h, AX_ND_DAD_WAIT_MS);
	if (!stack_addr_local(&h->s, &ll) || !stack_addr_local(&h->s, &ip6_our_g))
		return -1;
	fake_mark(h);
	return 0;
}

/* Send an ICMPv6 message m from the peer (eth_src mac, address src) to
 * dst, at hop limit hops, to eth_dst. */
static inline void ip6_rx_icmp(struct fake_host *h, const uint8_t *eth_dst, const uint8_t *mac,
			       const struct ip_addr *src, const struct ip_addr *dst, uint8_t hops,
			       uint8_t *m, size_t len)
{
	uint8_t f[1600];

	ip6_icmp_fix(m, len, src, dst);
	fake_rx(h, f, ip6_frame(f, eth_dst, mac, src, dst, IP6_NH_ICMPV6, hops, m, len));
}

/* Make the peer (ip, mac) a REACHABLE neighbour: solicited by us, answered. */
static inline void ip6_learn(struct fake_host *h, const struct ip_addr *ip, const uint8_t *mac)
{
	struct neigh_entry *e = neigh_create(&h->s, ip);

	if (!e)
		abort();
	memcpy(e->mac, mac, 6);
	e->state = NEIGH_REACHABLE;
	e->confirmed_ns = h->s.now_ns;
	e->deadline_ns = h->s.now_ns + MS_TO_NS(AX_ARP_REACHABLE_MS);
}

#endif /* IP6_HELPER_H */
