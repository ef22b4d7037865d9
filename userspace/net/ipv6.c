/*
 * ipv6.c - see ipv6.h.
 */
#include "ipv6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "icmp6.h"
#include "nd.h"
#include "neigh.h"
#include "proto.h"
#include "stack.h"

static const struct ip_addr all_nodes = { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };

void ipv6_solicited_node(const struct ip_addr *a, struct ip_addr *group)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	memcpy(group->b, pfx, 13);
	memcpy(group->b + 13, a->b + 13, 3);
}

/* Our IPv6 addresses whose groups we are in: every one not FREE or
 * DUPLICATE (RFC 4862 5.4.2 joins a tentative address's group). */
static int joined(const struct stack_addr *a)
{
	return !ip_addr_is_v4(&a->a) &&
	       (a->state == STACK_ADDR_TENTATIVE || a->state == STACK_ADDR_PREFERRED);
}

int ipv6_in_group(const struct ax_stack *s, const struct ip_addr *group)
{
	unsigned int i;

	if (ip_addr_eq(group, &all_nodes))
		return 1;
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		struct ip_addr sn;

		if (!joined(&s->addrs[i]))
			continue;
		ipv6_solicited_node(&s->addrs[i].a, &sn);
		if (ip_addr_eq(group, &sn))
			return 1;
	}
	return 0;
}

int ipv6_l2_mcast_ours(const struct ax_stack *s, const uint8_t *mac)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	unsigned int i;

	if (memcmp(mac, all_nodes_mac, 6) == 0)
		return 1;
	if (mac[0] != 0x33 || mac[1] != 0x33 || mac[2] != 0xff)
		return 0;
	for (i = 0; i < AX_ADDRS_MAX; i++)
		if (joined(&s->addrs[i]) && memcmp(s->addrs[i].a.b + 13, mac + 3, 3) == 0)
			return 1;
	return 0;
}

static int is_loopback6(const struct ip_addr *a)
{
	return memcmp(a->b, ip_addr_any6.b, 15) == 0 && a->b[15] == 1;
}

/*
 * The options of a hop-by-hop or destination options header (RFC 8200
 * 4.2): o/len the options area, off its offset in the packet. 0 to go on;
 * -1 to drop (counted, and a parameter problem sent when the type says
 * so: code 2, pointing at the option's type).
 */
static int walk_options(struct ax_stack *s, const struct ip_rx *rx,
			const uint8_t *o, size_t len, size_t off, int mcast_dst)
{
	size_t i = 0;

	while (i < len) {
		uint8_t type = o[i];
		size_t olen;

		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (len - i < 2 || (olen = 2u + o[i + 1]) > len - i) {
			stack_count(s, AX_C_ip6_bad_ext);
			return -1;
		}
		/* PadN, Router Alert (RFC 2711), Tunnel Encapsulation Limit
		 * (RFC 2473) need nothing of a host; everything else is
		 * unknown to us and its top two bits say what to do. */
		if (type != 1 && type != 5 && type != 4) {
			switch (type >> 6) {
			case 0: /* skip */
				break;
			case 1: /* discard */
				stack_count(s, AX_C_ip6_bad_option);
				return -1;
			case 3: /* discard; report unless to multicast */
				if (mcast_dst) {
					stack_count(s, AX_C_ip6_bad_option);
					return -1;
				}
				/* fall through */
			case 2: /* discard and report even to multicast */
				stack_count(s, AX_C_ip6_bad_option);
				ip_send_error(s, rx, IP_ERR_PARAM_PROBLEM,
					      (2u << 16) | (uint32_t)(off + i));
				return -1;
			}
		}
		i += olen;
	}
	return 0;
}

/* Hand the packet to L4 (the IP layer's demux). */
static void deliver(struct ax_stack *s, struct ip_rx *rx)
{
	switch (rx->proto) {
	case IP6_NH_ICMPV6:
		icmp6_input(s, rx);
		break;
	case IP6_NH_TCP:
		/* No TCP to a group (as IPv4's to a broadcast, RFC 1122
		 * 4.2.3.10). */
		if (ip_addr_is_multicast6(&rx->dst)) {
			stack_count(s, AX_C_tcp_malformed);
			break;
		}
		tcp_input(s, rx);
		break;
	case IP6_NH_UDP:
		/* No multicast service here (as IPv4's broadcast). */
		if (ip_addr_is_multicast6(&rx->dst)) {
			stack_count(s, AX_C_udp_no_port);
			break;
		}
		udp_input(s, rx);
		break;
	default:
		break;
	}
}

void ipv6_input(struct ax_stack *s, const uint8_t *p, size_t len, int l2_mcast)
{
	struct ipv6_hdr h;
	struct ip_rx rx;
	size_t off, nh_off;
	uint8_t nh;
	unsigned int n;
	int mcast_dst;
	const struct stack_addr *mine;

	stack_count(s, AX_C_ip6_rx);
	if (len < sizeof(h)) {
		stack_count(s, AX_C_ip6_malformed);
		return;
	}
	memcpy(&h, p, sizeof(h));
	if ((p[0] >> 4) != 6 || sizeof(h) + ntohs(h.plen) > len ||
	    h.plen == 0 /* a jumbogram (RFC 2675): we take none */) {
		stack_count(s, AX_C_ip6_malformed);
		return;
	}
	len = sizeof(h) + ntohs(h.plen); /* Ethernet padding is not payload */
	memset(&rx, 0, sizeof(rx));
	memcpy(rx.src.b, h.src, 16);
	memcpy(rx.dst.b, h.dst, 16);
	rx.net = p;
	rx.net_len = len;
	rx.family = 6;
	rx.ttl = h.hops;
	rx.l2_mcast = (uint8_t)l2_mcast;

	/* RFC 4291 2.7: a multicast address is never a source; ::1 never
	 * arrives on a link (RFC 4291 2.5.3); a mapped address is not an
	 * IPv6 node's (RFC 4291 2.5.5.2, as Linux drops it). */
	if (ip_addr_is_multicast6(&rx.src) || is_loopback6(&rx.src) ||
	    ip_addr_is_v4(&rx.src)) {
		stack_count(s, AX_C_ip6_martian);
		return;
	}
	mcast_dst = ip_addr_is_multicast6(&rx.dst);
	if (mcast_dst) {
		if (!ipv6_in_group(s, &rx.dst)) {
			stack_count(s, AX_C_ip6_not_ours);
			return;
		}
	} else {
		/* Our IPv4 addresses are in the table in their mapped form;
		 * as an IPv6 destination that form is nobody's (RFC 4291
		 * 2.5.5.2: never on the wire). */
		if (ip_addr_is_v4(&rx.dst) || !stack_addr_local(s, &rx.dst)) {
			stack_count(s, AX_C_ip6_not_ours);
			return;
		}
		/* Unicast in a link-layer multicast frame: dropped as IPv4
		 * does (RFC 1122 3.3.6); Linux can (its
		 * drop_unicast_in_l2_multicast, off by default). */
		if (l2_mcast) {
			stack_count(s, AX_C_ip6_l2_mcast);
			return;
		}
	}

	/* RFC 8200 4.1: the extension headers, in the order they come. */
	nh = h.nh;
	nh_off = offsetof(struct ipv6_hdr, nh);
	off = sizeof(h);
	for (n = 0;; n++) {
		size_t elen;

		if (nh == IP6_NH_ICMPV6 || nh == IP6_NH_TCP || nh == IP6_NH_UDP)
			break;
		if (nh == IP6_NH_NONE)
			return; /* RFC 8200 4.7: nothing follows */
		if (n >= AX_IP6_EXT_MAX) {
			stack_count(s, AX_C_ip6_ext_too_many);
			return;
		}
		switch (nh) {
		case IP6_NH_HOPOPTS:
		case IP6_NH_DSTOPTS:
		case IP6_NH_ROUTING:
			if (len - off < 8 || (elen = 8u * (1u + p[off + 1])) > len - off) {
				stack_count(s, AX_C_ip6_bad_ext);
				return;
			}
			break;
		case IP6_NH_FRAGMENT:
			if (len - off < 8) {
				stack_count(s, AX_C_ip6_bad_ext);
				return;
			}
			elen = 8;
			break;
		default:
			/* RFC 8200 4: an unknown next header is a parameter
			 * problem, code 1, pointing at the field naming it. */
			stack_count(s, AX_C_ip6_unknown_nh);
			rx.proto = nh;
			rx.l4 = p + off;
			rx.l4_len = len - off;
			ip_send_error(s, &rx, IP_ERR_PARAM_PROBLEM, (1u << 16) | (uint32_t)nh_off);
			return;
		}
		switch (nh) {
		case IP6_NH_HOPOPTS:
			/* RFC 8200 4.3: only right after the IPv6 header;
			 * elsewhere Linux answers as for an unknown next
			 * header. */
			if (n != 0) {
				stack_count(s, AX_C_ip6_bad_ext);
				ip_send_error(s, &rx, IP_ERR_PARAM_PROBLEM,
					      (1u << 16) | (uint32_t)nh_off);
				return;
			}
			/* fall through */
		case IP6_NH_DSTOPTS:
			if (walk_options(s, &rx, p + off + 2, elen - 2, off + 2, mcast_dst) < 0)
				return;
			break;
		case IP6_NH_ROUTING:
			/* RFC 8200 4.4: with segments left we would have to
			 * forward; a host forwards nothing (and type 0 is
			 * gone, RFC 5095): parameter problem at the type. */
			if (p[off + 3] != 0) {
				stack_count(s, AX_C_ip6_routing_hdr);
				ip_send_error(s, &rx, IP_ERR_PARAM_PROBLEM, (uint32_t)(off + 2));
				return;
			}
			break;
		case IP6_NH_FRAGMENT: {
			uint16_t fo = (uint16_t)(p[off + 2] << 8 | p[off + 3]);

			/* RFC 8021: nobody should send atomic fragments
			 * and we never ask for them (RFC 8201 4 has no
			 * PTB below 1280): one is a forgery meant to
			 * reach a reassembly the attacker controls. */
			if ((fo & 0xfff9) == 0) {
				stack_count(s, AX_C_ip6_atomic_frag);
				return;
			}
			/* RFC 8200 4.5: reassemble (frag.h). The packet
			 * comes back whole, its fragment header gone and the
			 * Next Header at nh_off naming what followed it; the
			 * walk goes on there. A second fragment header in a
			 * reassembled packet is not one we take (its data
			 * would be read from the buffer it is copied into). */
			struct frag_in f = {
				.src = rx.src,
				.dst = rx.dst,
				.id = (uint32_t)p[off + 4] << 24 | (uint32_t)p[off + 5] << 16 |
				      (uint32_t)p[off + 6] << 8 | p[off + 7],
				.offset = fo & 0xfff8u,
				.more = fo & 1,
				.family = 6,
				.proto = p[off],
				.l2_mcast = (uint8_t)l2_mcast,
				.hdr = p,
				.hdr_len = off,
				.nh_off = nh_off,
				.data = p + off + 8,
				.len = len - off - 8,
			};
			struct ip_rx whole;

			if (rx.reassembled) {
				stack_count(s, AX_C_ip6_bad_ext);
				return;
			}
			if (!frag_input(s, &f, &whole))
				return;
			p = whole.net;
			len = whole.net_len;
			rx.net = p;
			rx.net_len = len;
			rx.reassembled = 1;
			nh = whole.proto;
			/* The first fragment's unfragmentable part, which
			 * may differ from this one's. */
			off = (size_t)(whole.l4 - whole.net);
			continue;
		}
		}
		nh_off = off;
		nh = p[off];
		off += elen;
	}
	rx.proto = nh;
	rx.l4 = p + off;
	rx.l4_len = len - off;
	/* The unspecified source is ND's alone (RFC 4862 5.4: DAD
	 * solicitations); our own usable address as source is a
	 * reflection or a spoof, except in ND (a DAD defence names the
	 * address under test). icmp6/nd check the rest. */
	mine = stack_addr_local(s, &rx.src);
	if (nh != IP6_NH_ICMPV6 && (ip_addr_is_any(&rx.src) || mine)) {
		stack_count(s, AX_C_ip6_martian);
		return;
	}
	deliver(s, &rx);
}

/* RFC 4861 5.2 without the destination cache: multicast goes to its
 * group's MAC; unicast by the routing table (connected prefixes, fe80::/64,
 * on-link prefixes and the default router of router advertisements,
 * static routes). */
int ipv6_next_hop(const struct ax_stack *s, const struct ip_addr *dst,
		  struct ip_addr *nh)
{
	if (ip_addr_is_multicast6(dst) || ip_addr_is_linklocal6(dst)) {
		*nh = *dst;
		return 0;
	}
	return route_lookup(&s->routes, dst, s->now_ns, nh);
}

uint8_t *ipv6_tx_begin_from(struct ax_stack *s, const struct ip_addr *src,
			    const struct ip_addr *dst, uint8_t proto, struct ip_tx *tx,
			    size_t *cap, int *err)
{
	struct ip_addr nh;
	uint8_t *l3;
	size_t c, mtu = s->netif->mtu;

	if (ipv6_next_hop(s, dst, &nh) < 0) {
		stack_count(s, AX_C_ip6_no_route);
		stack_count(s, AX_C_route_no_route);
		*err = -ENETUNREACH;
		return NULL;
	}
	l3 = neigh_tx_begin(s, &nh, ETHTYPE_IPV6, &tx->l2, &c);
	if (!l3) {
		*err = -ENOBUFS;
		return NULL;
	}
	/* RFC 4861 6.3.4: an advertised MTU lowers the link's. */
	if (s->nd.mtu && s->nd.mtu < mtu)
		mtu = s->nd.mtu;
	if (c > mtu)
		c = mtu;
	if (c < IP6_HLEN) {
		neigh_tx_abort(s, &tx->l2);
		stack_count(s, AX_C_tx_no_buffer);
		*err = -ENOBUFS;
		return NULL;
	}
	tx->ip = l3;
	tx->src = *src;
	tx->dst = *dst;
	tx->proto = proto;
	tx->family = 6;
	tx->hop_limit = 0;
	*cap = c - IP6_HLEN;
	return l3 + IP6_HLEN;
}

uint8_t *ipv6_tx_begin(struct ax_stack *s, const struct ip_addr *src,
		       const struct ip_addr *dst, uint8_t proto, struct ip_tx *tx,
		       size_t *cap, int *err)
{
	struct ip_addr from;

	if (src && !ip_addr_is_any(src)) {
		if (!stack_addr_local(s, src)) {
			stack_count(s, AX_C_ip6_no_src);
			*err = -EADDRNOTAVAIL;
			return NULL;
		}
		from = *src;
	} else if (stack_src_select(s, dst, &from) < 0) {
		stack_count(s, AX_C_ip6_no_src);
		*err = -EADDRNOTAVAIL;
		return NULL;
	}
	return ipv6_tx_begin_from(s, &from, dst, proto, tx, cap, err);
}

int ipv6_tx_commit(struct ax_stack *s, struct ip_tx *tx, size_t l4_len)
{
	struct ipv6_hdr h;

	h.ver_tc_flow = htonl(6u << 28);
	h.plen = htons((uint16_t)l4_len);
	h.nh = tx->proto;
	h.hops = tx->hop_limit ? tx->hop_limit
		 : s->nd.cur_hop_limit ? s->nd.cur_hop_limit : AX_IP6_DEFAULT_HOPS;
	memcpy(h.src, tx->src.b, 16);
	memcpy(h.dst, tx->dst.b, 16);
	memcpy(tx->ip, &h, sizeof(h));
	stack_count(s, AX_C_ip6_tx);
	return neigh_tx_commit(s, &tx->l2, sizeof(h) + l4_len);
}

void ipv6_tx_abort(struct ax_stack *s, struct ip_tx *tx)
{
	neigh_tx_abort(s, &tx->l2);
}
