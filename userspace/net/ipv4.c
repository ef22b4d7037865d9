/*
 * ipv4.c - see ipv4.h.
 */
#include "ipv4.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "icmp.h"
#include "ip.h"
#include "proto.h"
#include "stack.h"
#include "udp.h"
#include "tcp.h"

static int is_martian_src(const struct ax_stack *s, uint32_t src)
{
	uint8_t first = (uint8_t)(ntohl(src) >> 24);
	struct ip_addr a = ip_addr_v4(src);

	/* RFC 1122 3.2.1.3: a source may not be broadcast, multicast,
	 * "this network" (0/8) or loopback (127/8); and a packet claiming
	 * to come from us did not. */
	return src == 0xffffffffu || (first >= 224 && first <= 239) ||
	       first == 0 || first == 127 || stack_addr_local(s, &a) != NULL;
}

/* RFC 791 3.1 option kinds (copied flag, class and number in one byte). */
#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_RR 7
#define IPOPT_TS 68
#define IPOPT_LSRR 131
#define IPOPT_CIPSO 134
#define IPOPT_SSRR 137
#define IPOPT_RA 148

/*
 * Validate the options of a received datagram (o/len: the bytes between
 * the fixed header and IHL) the way Linux's ip_options_compile does for
 * one: 0 when acceptable, -EINVAL when malformed, -EPERM when well formed
 * but carrying a source route.
 *
 * RFC 791 3.1: EOL ends the list, NOP is one byte, every other option is
 * kind, length (counting both), data; a length below 2 or past the header
 * is malformed. Record route and timestamp need a pointer inside (or just
 * past, when full) their data, room for the slot it points to, and may
 * appear once; a full timestamp whose overflow counter would wrap is bad
 * (RFC 791, RFC 1812 5.2.4.2). Router alert is 4 bytes (RFC 2113).
 * Two source routes are an error (RFC 1812 5.2.4.1). CIPSO is refused:
 * no DOI is configured (as Linux without netlabel rules). Other kinds
 * with a sane length are ignored (RFC 1122 3.2.1.8).
 */
static int ipv4_opts_check(const uint8_t *o, size_t len)
{
	int srr = 0, rr = 0, ts = 0;
	size_t i = 0;

	while (i < len) {
		size_t olen;
		uint8_t kind = o[i], ptr;

		if (kind == IPOPT_EOL)
			break; /* the rest is padding (Linux rewrites it to EOL) */
		if (kind == IPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EINVAL;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return -EINVAL;
		ptr = olen > 2 ? o[i + 2] : 0;
		switch (kind) {
		case IPOPT_LSRR:
		case IPOPT_SSRR:
			if (olen < 3 || ptr < 4 || srr++)
				return -EINVAL;
			break;
		case IPOPT_RR:
			if (rr++ || olen < 3 || ptr < 4 || (ptr <= olen && ptr + 3u > olen))
				return -EINVAL;
			break;
		case IPOPT_TS: {
			uint8_t flags;

			if (ts++ || olen < 4 || ptr < 5)
				return -EINVAL;
			flags = o[i + 3] & 0x0f;
			if (ptr <= olen) {
				/* Room for the next slot: 4 bytes, or 8 with
				 * an address (flags 1 and 3). */
				if (ptr + 3u > olen ||
				    ((flags == 1 || flags == 3) && ptr + 7u > olen))
					return -EINVAL;
			} else if (flags != 3 && (o[i + 3] >> 4) == 15) {
				return -EINVAL;
			}
			break;
		}
		case IPOPT_RA:
			if (olen < 4)
				return -EINVAL;
			break;
		case IPOPT_CIPSO:
			return -EINVAL;
		default:
			break;
		}
		i += olen;
	}
	/* RFC 1812 5.2.4.1 lets a host refuse source routes; Linux does by
	 * default (accept_source_route=0): they steer replies around
	 * address-based filtering. */
	return srr ? -EPERM : 0;
}

void ipv4_input(struct ax_stack *s, const uint8_t *p, size_t len, int l2_bcast)
{
	struct ipv4_hdr ip;
	size_t hlen, tot;
	struct ip_addr dst;
	struct ip_rx rx;
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
	/* Options (hlen > 20) are covered by the checksum. */
	if (csum_fold(csum_partial(p, hlen, 0)) != 0) {
		stack_count(s, AX_C_ip_bad_csum);
		return;
	}
	if (hlen > sizeof(ip)) {
		int r = ipv4_opts_check(p + sizeof(ip), hlen - sizeof(ip));

		if (r) {
			stack_count(s, r == -EPERM ? AX_C_ip_source_route : AX_C_ip_bad_options);
			return;
		}
	}
	/* Ours: any of our usable IPv4 addresses, or a broadcast. */
	dst = ip_addr_v4(ip.dst);
	to_bcast = ip.dst == 0xffffffffu || stack_addr_is_bcast4(s, ip.dst);
	if (!stack_addr_local(s, &dst) && !to_bcast) {
		stack_count(s, AX_C_ip_not_ours);
		return;
	}
	if (is_martian_src(s, ip.src) || stack_addr_is_bcast4(s, ip.src)) {
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
	rx.src = ip_addr_v4(ip.src);
	rx.dst = dst;
	rx.net = p;
	rx.net_len = tot;
	rx.l4 = p + hlen;
	rx.l4_len = tot - hlen;
	rx.family = 4;
	rx.proto = ip.proto;
	rx.ttl = ip.ttl;
	rx.l2_mcast = (uint8_t)!!l2_bcast;
	rx.reassembled = 0;
	switch (ip.proto) {
	case IP_PROTO_ICMP:
		icmp_input(s, &ip, p + hlen, tot - hlen, to_bcast);
		break;
	case IP_PROTO_TCP:
		if (to_bcast) { /* RFC 1122 4.2.3.10: no TCP to broadcast */
			stack_count(s, AX_C_tcp_malformed);
			break;
		}
		tcp_input(s, &rx);
		break;
	case IP_PROTO_UDP:
		if (to_bcast) { /* no broadcast service here */
			stack_count(s, AX_C_udp_no_port);
			break;
		}
		udp_input(s, &rx);
		break;
	default: {
		/* RFC 1122 3.2.2.1: a protocol nobody speaks here draws a
		 * protocol unreachable (as Linux's ip_local_deliver_finish);
		 * ip_send_error keeps broadcasts and the rate out of it. */
		stack_count(s, AX_C_ip_unknown_proto);
		ip_send_error(s, &rx, IP_ERR_PROTO_UNREACH, 0);
		break;
	}
	}
}

uint8_t *ipv4_tx_begin(struct ax_stack *s, uint32_t dst, uint8_t proto,
		       struct ipv4_tx *tx, size_t *cap, int *err)
{
	return ipv4_tx_begin_src(s, s->addr, dst, proto, tx, cap, err);
}

uint8_t *ipv4_tx_begin_src(struct ax_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
			   struct ipv4_tx *tx, size_t *cap, int *err)
{
	struct ip_addr d = ip_addr_v4(dst), nh;
	uint32_t next_hop;
	uint8_t *l3;
	size_t c;

	if (route_lookup(&s->routes, &d, s->now_ns, &nh) < 0) {
		stack_count(s, AX_C_ip_no_route);
		stack_count(s, AX_C_route_no_route);
		*err = -ENETUNREACH;
		return NULL;
	}
	next_hop = ip_addr_get_v4(&nh);
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
	tx->src = src;
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
		/* DF on TCP only: TCP finds the path MTU (RFC 1191, see
		 * tcp_icmp_frag_needed); we cannot fragment, so other
		 * datagrams (echo replies, UDP) leave without DF and a router
		 * on a narrower path fragments them (Linux sends echo replies
		 * without DF too). */
		.frag_off = tx->proto == IP_PROTO_TCP ? htons(IP_FLAG_DF) : 0,
		.ttl = AX_IP_DEFAULT_TTL,
		.proto = tx->proto,
		.src = tx->src,
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
