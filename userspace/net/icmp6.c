/*
 * icmp6.c - see icmp6.h.
 */
#include "icmp6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "frag.h"
#include "ipv6.h"
#include "nd.h"
#include "pmtu.h"
#include "stack.h"
#include "udp.h"

/* RFC 4443 2.4(c): an error quotes as much of the offending packet as
 * fits in the minimum IPv6 MTU. */
#define ICMP6_ERR_MAX 1280u

static void echo_reply(struct ax_stack *s, const struct ip_rx *rx)
{
	struct ip_tx tx;
	const struct ip_addr *src = NULL;
	size_t cap;
	int err;
	uint8_t *b;
	uint16_t c;

	/* A request to a group is answered from a unicast address of ours
	 * (RFC 4443 4.2), chosen as for any packet to its sender. */
	if (!ip_addr_is_multicast6(&rx->dst))
		src = &rx->dst;
	b = ipv6_tx_begin(s, src, &rx->src, IP6_NH_ICMPV6, &tx, &cap, &err);
	if (!b)
		return;
	if (rx->l4_len > cap || rx->l4_len + IP6_HLEN > pmtu_get(s, &rx->src)) {
		/* Larger than the path MTU: in fragments (frag_out.c),
		 * from the source this tx chose. */
		struct ip_addr from = tx.src;

		ipv6_tx_abort(s, &tx);
		if (rx->l4_len > FRAG_TX_MAX) {
			stack_count(s, AX_C_icmp6_echo_ignored);
			return;
		}
		b = frag_tx_buf(s);
		memcpy(b, rx->l4, rx->l4_len);
		b[0] = ICMP6_ECHO_REPLY;
		b[2] = b[3] = 0;
		c = ip_l4_csum(&from, &rx->src, IP6_NH_ICMPV6, b, rx->l4_len);
		memcpy(b + 2, &c, 2);
		if (frag_send(s, &from, &rx->src, IP6_NH_ICMPV6, b, rx->l4_len) == 0)
			stack_count(s, AX_C_icmp6_echo_reply_tx);
		return;
	}
	memcpy(b, rx->l4, rx->l4_len);
	b[0] = ICMP6_ECHO_REPLY;
	b[2] = b[3] = 0;
	c = ip_l4_csum(&tx.src, &tx.dst, IP6_NH_ICMPV6, b, rx->l4_len);
	memcpy(b + 2, &c, 2);
	stack_count(s, AX_C_icmp6_echo_reply_tx);
	ipv6_tx_commit(s, &tx, rx->l4_len);
}

/*
 * An error about a packet we sent (RFC 4443 2.4(d)): find what it quotes
 * (the invoking packet's header, its extension headers skipped) and hand
 * it to the layer that sent it. Returns the quoted L4 protocol, or -1.
 */
static int quoted_proto(const uint8_t *q, size_t len, const uint8_t **l4, size_t *l4_len)
{
	size_t off = IP6_HLEN;
	uint8_t nh;
	unsigned int n;

	if (len < IP6_HLEN || (q[0] >> 4) != 6)
		return -1;
	nh = q[6];
	for (n = 0; n < AX_IP6_EXT_MAX; n++) {
		if (nh == IP6_NH_HOPOPTS || nh == IP6_NH_DSTOPTS || nh == IP6_NH_ROUTING) {
			if (len - off < 8)
				return -1;
			nh = q[off];
			off += 8u * (1u + q[off + 1]);
			if (off > len)
				return -1;
			continue;
		}
		if (nh == IP6_NH_FRAGMENT) {
			if (len - off < 8)
				return -1;
			nh = q[off];
			off += 8;
			continue;
		}
		*l4 = q + off;
		*l4_len = len - off;
		return nh;
	}
	return -1;
}

/*
 * The errno an ICMPv6 error gives a UDP socket without IPV6_RECVERR, as
 * Linux's icmpv6_err_convert and __udp6_lib_err: only the fatal ones (RFC
 * 4443 3.1 codes 1, 5, 6 EACCES, 4 ECONNREFUSED, codes past its table and
 * parameter problems EPROTO); the rest (no route, beyond scope, address
 * unreachable, time exceeded, packet too big) are soft: 0.
 */
static int err6(uint8_t type, uint8_t code)
{
	if (type == ICMP6_PARAM_PROBLEM)
		return -EPROTO;
	if (type != ICMP6_DEST_UNREACH)
		return 0;
	switch (code) {
	case 1: /* administratively prohibited */
	case 5: /* source address failed ingress/egress policy */
	case 6: /* reject route to destination */
		return -EACCES;
	case 4: /* port unreachable */
		return -ECONNREFUSED;
	case 0: /* no route */
	case 2: /* beyond the scope of the source address */
	case 3: /* address unreachable */
		return 0;
	default: /* past tab_unreach: fatal, EPROTO */
		return -EPROTO;
	}
}

/* q: the quoted IPv6 header; u: the quoted UDP header. 1 when a socket
 * was told. The quote's source must be one of our addresses. */
static int unreach_to_udp(struct ax_stack *s, int err, const uint8_t *q, const uint8_t *u)
{
	struct ip_addr qsrc, qdst;

	memcpy(qsrc.b, q + 8, 16);
	memcpy(qdst.b, q + 24, 16);
	if (!stack_addr_local(s, &qsrc))
		return 0;
	return udp_icmp_error(s, &qsrc, &qdst, (uint16_t)(u[0] << 8 | u[1]),
			      (uint16_t)(u[2] << 8 | u[3]), err);
}

static void error_input(struct ax_stack *s, const struct ip_rx *rx, uint8_t type)
{
	const uint8_t *l4 = NULL;
	size_t l4_len = 0;
	int proto;

	switch (type) {
	case ICMP6_DEST_UNREACH:
		stack_count(s, AX_C_icmp6_unreach_rx);
		break;
	case ICMP6_PACKET_TOO_BIG:
		stack_count(s, AX_C_icmp6_ptb_rx);
		break;
	case ICMP6_TIME_EXCEEDED:
		stack_count(s, AX_C_icmp6_time_exceeded_rx);
		break;
	default:
		stack_count(s, AX_C_icmp6_param_problem_rx);
		break;
	}
	proto = quoted_proto(rx->l4 + 8, rx->l4_len - 8, &l4, &l4_len);
	/* A destination unreachable quoting a UDP datagram we sent: UDP
	 * decides (a connected socket of that very flow hears of it, RFC
	 * 4443 3.1 / Linux __udp6_lib_err). */
	if ((type == ICMP6_DEST_UNREACH || type == ICMP6_PARAM_PROBLEM) &&
	    proto == IP6_NH_UDP && l4_len >= 8 &&
	    unreach_to_udp(s, err6(type, rx->l4[1]), rx->l4 + 8, l4))
		return;
	if (type == ICMP6_PACKET_TOO_BIG) {
		/* RFC 8201: path MTU discovery (frag_out.c). */
		uint32_t mtu = (uint32_t)rx->l4[4] << 24 | (uint32_t)rx->l4[5] << 16 |
			       (uint32_t)rx->l4[6] << 8 | rx->l4[7];

		frag_pmtu_ptb6(s, mtu, rx->l4 + 8, rx->l4_len - 8, proto, l4, l4_len);
		return;
	}
	stack_count(s, AX_C_icmp6_err_unused);
}

void icmp6_input(struct ax_stack *s, const struct ip_rx *rx)
{
	const uint8_t *p = rx->l4;
	size_t len = rx->l4_len;

	stack_count(s, AX_C_icmp6_rx);
	if (len < 4) {
		stack_count(s, AX_C_icmp6_malformed);
		return;
	}
	/* RFC 4443 2.3: the checksum covers the pseudo-header. */
	if (ip_l4_csum(&rx->src, &rx->dst, IP6_NH_ICMPV6, p, len) != 0) {
		stack_count(s, AX_C_icmp6_bad_csum);
		return;
	}
	/* Only ND may come from :: (RFC 4862 5.4, ipv6_input let it by). */
	if (ip_addr_is_any(&rx->src) && p[0] != ND_NS) {
		stack_count(s, AX_C_ip6_martian);
		return;
	}
	switch (p[0]) {
	case ICMP6_ECHO_REQUEST:
		stack_count(s, AX_C_icmp6_echo_rx);
		if (len < 8 || p[1] != 0) {
			stack_count(s, AX_C_icmp6_echo_ignored);
			return;
		}
		if (s->icmp6_filter && !s->icmp6_filter(s->icmp6_filter_arg, &rx->src, &rx->dst)) {
			stack_count(s, AX_C_icmp6_echo_denied);
			return;
		}
		echo_reply(s, rx);
		return;
	case ICMP6_ECHO_REPLY: {
		struct icmp_echo_reply r;

		if (len < 8) {
			stack_count(s, AX_C_icmp6_malformed);
			return;
		}
		memset(&r, 0, sizeof(r));
		r.family = 6;
		r.src6 = rx->src;
		r.id = (uint16_t)(p[4] << 8 | p[5]);
		r.seq = (uint16_t)(p[6] << 8 | p[7]);
		r.ttl = rx->ttl;
		r.data_len = len - 8;
		r.data = p + 8;
		stack_count(s, AX_C_icmp6_echo_reply_rx);
		if (s->echo_reply_cb)
			s->echo_reply_cb(s->echo_reply_arg, &r);
		return;
	}
	case ICMP6_DEST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROBLEM:
		if (len < 8 + IP6_HLEN) {
			stack_count(s, AX_C_icmp6_malformed);
			return;
		}
		error_input(s, rx, p[0]);
		return;
	case ND_RS:
	case ND_RA:
	case ND_NS:
	case ND_NA:
	case ND_REDIRECT:
		/* RFC 6980 5: ND in fragments is ignored (a fragment header
		 * hides its options from RA guards and the like). */
		if (rx->reassembled) {
			stack_count(s, AX_C_frag_nd_ignored);
			return;
		}
		nd_input(s, rx);
		return;
	default:
		/* RFC 4443 2.4(a), (b): unknown errors go up, unknown
		 * informational messages are dropped; none is ours. */
		stack_count(s, AX_C_icmp6_unknown_type);
		return;
	}
}

/* An echo request (RFC 4443 4.1) from src to dst into b, checksum
 * included; its length. */
static size_t put_echo(uint8_t *b, const struct ip_addr *src, const struct ip_addr *dst,
		       uint16_t id, uint16_t seq, const void *data, size_t data_len)
{
	uint16_t c;

	b[0] = ICMP6_ECHO_REQUEST;
	b[1] = 0;
	b[2] = b[3] = 0;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	if (data_len)
		memcpy(b + 8, data, data_len);
	c = ip_l4_csum(src, dst, IP6_NH_ICMPV6, b, 8 + data_len);
	memcpy(b + 2, &c, 2);
	return 8 + data_len;
}

int icmp6_send_echo(struct ax_stack *s, const struct ip_addr *dst, uint16_t id,
		    uint16_t seq, const void *data, size_t data_len)
{
	struct ip_tx tx;
	size_t cap, len;
	int err;
	uint8_t *b = ipv6_tx_begin(s, NULL, dst, IP6_NH_ICMPV6, &tx, &cap, &err);

	if (!b)
		return err;
	if (8 + data_len > cap || 8 + data_len + IP6_HLEN > pmtu_get(s, dst)) {
		/* Larger than the path MTU: in fragments (frag_out.c). */
		struct ip_addr from = tx.src;

		ipv6_tx_abort(s, &tx);
		if (data_len > 65535u - 8u - 8u)
			return -EMSGSIZE;
		b = frag_tx_buf(s);
		len = put_echo(b, &from, dst, id, seq, data, data_len);
		err = frag_send(s, &from, dst, IP6_NH_ICMPV6, b, len);
		if (err == 0)
			stack_count(s, AX_C_icmp6_echo_tx);
		return err;
	}
	len = put_echo(b, &tx.src, &tx.dst, id, seq, data, data_len);
	stack_count(s, AX_C_icmp6_echo_tx);
	return ipv6_tx_commit(s, &tx, len);
}

int icmp6_send_error(struct ax_stack *s, const struct ip_rx *rx, uint8_t type,
		     uint8_t code, uint32_t param)
{
	struct ip_tx tx;
	const struct ip_addr *src = NULL;
	size_t cap, q;
	int err;
	uint8_t *b;
	uint16_t c;

	/* From the address the packet was sent to when it is ours and
	 * unicast (RFC 4443 2.2). */
	if (!ip_addr_is_multicast6(&rx->dst) && stack_addr_local(s, &rx->dst))
		src = &rx->dst;
	b = ipv6_tx_begin(s, src, &rx->src, IP6_NH_ICMPV6, &tx, &cap, &err);
	if (!b)
		return err;
	if (cap > ICMP6_ERR_MAX - IP6_HLEN)
		cap = ICMP6_ERR_MAX - IP6_HLEN;
	if (cap < 8) {
		ipv6_tx_abort(s, &tx);
		return -ENOBUFS;
	}
	q = rx->net_len < cap - 8 ? rx->net_len : cap - 8;
	b[0] = type;
	b[1] = code;
	b[2] = b[3] = 0;
	b[4] = (uint8_t)(param >> 24);
	b[5] = (uint8_t)(param >> 16);
	b[6] = (uint8_t)(param >> 8);
	b[7] = (uint8_t)param;
	memcpy(b + 8, rx->net, q);
	c = ip_l4_csum(&tx.src, &tx.dst, IP6_NH_ICMPV6, b, 8 + q);
	memcpy(b + 2, &c, 2);
	return ipv6_tx_commit(s, &tx, 8 + q);
}
