/*
 * ipv4.c - see ipv4.h.
 */
#include "ipv4.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "icmp.h"
#include "proto.h"
#include "stack.h"
#include "udp.h"
#include "tcp.h"

static int is_martian_src(const struct ax_stack *s, uint32_t src)
{
	uint8_t first = (uint8_t)(ntohl(src) >> 24);

	/* RFC 1122 3.2.1.3: a source may not be broadcast, multicast,
	 * "this network" (0/8) or loopback (127/8); and a packet claiming
	 * to come from us did not. */
	return src == 0xffffffffu || (first >= 224 && first <= 239) ||
	       first == 0 || first == 127 || src == s->addr;
}

void ipv4_input(struct ax_stack *s, const uint8_t *p, size_t len, int l2_bcast)
{
	struct ipv4_hdr ip;
	size_t hlen, tot;
	uint32_t bcast = s->addr | ~route_mask(s->prefix_len);
	int to_bcast;

	stack_count(s, AX_C_ip_rx);
	if (len < sizeof(ip)) {
		stack_count(s, AX_C_ip_malformed);
		return;
	}
	memcpy(&ip, p, sizeof(ip));
	hlen = (size_t)(ip.ver_ihl & 0x0f) * 4;
	tot = ntohs(ip.tot_len);
	if ((ip.ver_ihl >> 4) != 4 || hlen < sizeof(ip) || tot < hlen ||
	    tot > len) {
		stack_count(s, AX_C_ip_malformed);
		return;
	}
	/* Options (hlen > 20) are covered by the checksum and skipped. */
	if (csum_fold(csum_partial(p, hlen, 0)) != 0) {
		stack_count(s, AX_C_ip_bad_csum);
		return;
	}
	to_bcast = ip.dst == 0xffffffffu || (s->prefix_len < 31 && ip.dst == bcast);
	if (ip.dst != s->addr && !to_bcast) {
		stack_count(s, AX_C_ip_not_ours);
		return;
	}
	if (is_martian_src(s, ip.src) || (s->prefix_len < 31 && ip.src == bcast)) {
		stack_count(s, AX_C_ip_martian);
		return;
	}
	/* RFC 1122 3.3.6: a unicast datagram in a link-layer broadcast
	 * SHOULD be discarded. */
	if (l2_bcast && !to_bcast) {
		stack_count(s, AX_C_ip_l2_bcast);
		return;
	}
	if (ntohs(ip.frag_off) & (IP_FLAG_MF | IP_OFFMASK)) {
		stack_count(s, AX_C_ip_frag_dropped);
		return;
	}
	/* Ethernet padding past tot_len is not payload. */
	switch (ip.proto) {
	case IP_PROTO_ICMP:
		icmp_input(s, &ip, p + hlen, tot - hlen, to_bcast);
		break;
	case IP_PROTO_TCP:
		if (to_bcast) { /* RFC 1122 4.2.3.10: no TCP to broadcast */
			stack_count(s, AX_C_tcp_malformed);
			break;
		}
		tcp_input(s, ip.src, ip.dst, p + hlen, tot - hlen);
		break;
	case IP_PROTO_UDP:
		if (to_bcast) { /* no broadcast service here */
			stack_count(s, AX_C_udp_no_port);
			break;
		}
		udp_input(s, ip.src, ip.dst, p + hlen, tot - hlen);
		break;
	default:
		stack_count(s, AX_C_ip_unknown_proto);
		break;
	}
}

uint8_t *ipv4_tx_begin(struct ax_stack *s, uint32_t dst, uint8_t proto,
		       struct ipv4_tx *tx, size_t *cap, int *err)
{
	uint32_t next_hop;
	uint8_t *l3;
	size_t c;

	if (route_lookup(&s->routes, dst, &next_hop) < 0) {
		stack_count(s, AX_C_ip_no_route);
		*err = -ENETUNREACH;
		return NULL;
	}
	l3 = arp_tx_begin(s, next_hop, ETHTYPE_IPV4, &tx->l2, &c);
	if (!l3) {
		*err = -ENOBUFS;
		return NULL;
	}
	if (c > s->netif->mtu)
		c = s->netif->mtu;
	if (c < sizeof(struct ipv4_hdr)) {
		/* A device buffer (or MTU) too small for our header: *cap
		 * would wrap around and the caller write past the buffer. */
		arp_tx_abort(s, &tx->l2);
		stack_count(s, AX_C_tx_no_buffer);
		*err = -ENOBUFS;
		return NULL;
	}
	tx->ip = l3;
	tx->dst = dst;
	tx->proto = proto;
	*cap = c - sizeof(struct ipv4_hdr);
	return l3 + sizeof(struct ipv4_hdr);
}

int ipv4_tx_commit(struct ax_stack *s, struct ipv4_tx *tx, size_t l4_len)
{
	struct ipv4_hdr ip = {
		.ver_ihl = 0x45,
		.tot_len = htons((uint16_t)(sizeof(ip) + l4_len)),
		.id = htons(s->ip_id++),
		.frag_off = htons(IP_FLAG_DF),
		.ttl = AX_IP_DEFAULT_TTL,
		.proto = tx->proto,
		.src = s->addr,
		.dst = tx->dst,
	};

	ip.csum = csum_fold(csum_partial(&ip, sizeof(ip), 0));
	memcpy(tx->ip, &ip, sizeof(ip));
	stack_count(s, AX_C_ip_tx);
	return arp_tx_commit(s, &tx->l2, sizeof(ip) + l4_len);
}

void ipv4_tx_abort(struct ax_stack *s, struct ipv4_tx *tx)
{
	arp_tx_abort(s, &tx->l2);
}
