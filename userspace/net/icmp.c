/*
 * icmp.c - see icmp.h.
 */
#include "icmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "ipv4.h"
#include "proto.h"
#include "stack.h"
#include "tcp.h"
#include "udp.h"

/* Build and send an echo message of type type with the given data, from
 * src (network order; 0: the stack's first IPv4 address). */
static int send_echo(struct ax_stack *s, uint8_t type, uint32_t src, uint32_t dst,
		     uint16_t id_be, uint16_t seq_be, const void *data,
		     size_t data_len)
{
	struct ipv4_tx tx;
	struct icmp_hdr h = { .type = type, .id = id_be, .seq = seq_be };
	size_t cap;
	int err = 0;
	uint8_t *buf = ipv4_tx_begin_src(s, src ? src : s->addr, dst, IP_PROTO_ICMP, &tx, &cap,
					 &err);

	if (!buf)
		return err;
	if (sizeof(h) + data_len > cap) {
		ipv4_tx_abort(s, &tx);
		return -EMSGSIZE;
	}
	memcpy(buf, &h, sizeof(h));
	/* stack_ping(..., NULL, 0) is fine: memcpy from NULL is not. */
	if (data_len)
		memcpy(buf + sizeof(h), data, data_len);
	h.csum = csum_fold(csum_partial(buf, sizeof(h) + data_len, 0));
	memcpy(buf + offsetof(struct icmp_hdr, csum), &h.csum, sizeof(h.csum));
	return ipv4_tx_commit(s, &tx, sizeof(h) + data_len);
}

int icmp_send_echo(struct ax_stack *s, uint32_t dst, uint16_t id,
		   uint16_t seq, const void *data, size_t data_len)
{
	const size_t hdrs = sizeof(struct icmp_hdr) + sizeof(struct ipv4_hdr);
	int err;

	/* Subtract rather than add: data_len + hdrs can wrap around. */
	if (s->netif->mtu < hdrs || data_len > s->netif->mtu - hdrs)
		return -EMSGSIZE;
	err = send_echo(s, ICMP_ECHO_REQUEST, 0, dst, htons(id), htons(seq), data,
			data_len);
	if (err == 0)
		stack_count(s, AX_C_icmp_echo_tx);
	return err;
}

/*
 * Destination unreachable, fragmentation needed (RFC 792; RFC 1191 4: the
 * next-hop MTU in the low 16 bits of the second word). The quote is the
 * IP header we sent and at least 8 bytes of what followed: for TCP, ports
 * and sequence number, which TCP checks against the connection.
 */
/* A quoted source that is one of our usable IPv4 addresses. */
static int ours(const struct ax_stack *s, uint32_t be)
{
	struct ip_addr a = ip_addr_v4(be);

	return stack_addr_local(s, &a) != NULL;
}

static void frag_needed(struct ax_stack *s, const uint8_t *p, size_t len)
{
	const uint8_t *q = p + sizeof(struct icmp_hdr);
	size_t qlen = len - sizeof(struct icmp_hdr), qhlen;
	struct ipv4_hdr qip;
	struct ip_addr qsrc, qdst;
	uint16_t mtu, sport, dport;
	uint32_t seq;

	stack_count(s, AX_C_icmp_frag_needed_rx);
	if (qlen < sizeof(qip))
		goto reject;
	memcpy(&qip, q, sizeof(qip));
	qhlen = (size_t)(qip.ver_ihl & 0x0f) * 4;
	/* Ours: from our address, TCP, a first fragment (the only one with
	 * a TCP header), and the 8 bytes RFC 792 promises. */
	if ((qip.ver_ihl >> 4) != 4 || qhlen < sizeof(qip) || qlen < qhlen + 8 ||
	    !ours(s, qip.src) || qip.proto != IP_PROTO_TCP ||
	    (ntohs(qip.frag_off) & IP_OFFMASK))
		goto reject;
	memcpy(&mtu, p + 6, 2);
	memcpy(&sport, q + qhlen, 2);
	memcpy(&dport, q + qhlen + 2, 2);
	memcpy(&seq, q + qhlen + 4, 4);
	qsrc = ip_addr_v4(qip.src);
	qdst = ip_addr_v4(qip.dst);
	if (tcp_icmp_frag_needed(s, &qsrc, &qdst, ntohs(sport), ntohs(dport), ntohl(seq),
				 ntohs(mtu)) >= 0)
		return;
reject:
	stack_count(s, AX_C_icmp_frag_needed_rejected);
}

/*
 * Destination unreachable other than frag-needed (RFC 792) quoting a UDP
 * datagram we sent: the quote's IP header and first 8 bytes give the
 * flow; UDP decides whether a socket hears of it (RFC 1122 4.1.3.3).
 */
static void unreach(struct ax_stack *s, const uint8_t *p, size_t len, uint8_t code)
{
	const uint8_t *q = p + sizeof(struct icmp_hdr);
	size_t qlen = len - sizeof(struct icmp_hdr), qhlen;
	struct ipv4_hdr qip;
	struct ip_addr qsrc, qdst;
	uint16_t sport, dport;

	stack_count(s, AX_C_icmp_unreach_rx);
	if (qlen < sizeof(qip))
		return;
	memcpy(&qip, q, sizeof(qip));
	qhlen = (size_t)(qip.ver_ihl & 0x0f) * 4;
	if ((qip.ver_ihl >> 4) != 4 || qhlen < sizeof(qip) || qlen < qhlen + 8 ||
	    !ours(s, qip.src) || qip.proto != IP_PROTO_UDP || (ntohs(qip.frag_off) & IP_OFFMASK))
		return;
	memcpy(&sport, q + qhlen, 2);
	memcpy(&dport, q + qhlen + 2, 2);
	qsrc = ip_addr_v4(qip.src);
	qdst = ip_addr_v4(qip.dst);
	udp_icmp_unreach(s, &qsrc, &qdst, ntohs(sport), ntohs(dport), code);
}

void icmp_input(struct ax_stack *s, const struct ipv4_hdr *ip,
		const uint8_t *p, size_t len, int to_bcast)
{
	struct icmp_hdr h;

	stack_count(s, AX_C_icmp_rx);
	if (len < sizeof(h)) {
		stack_count(s, AX_C_icmp_malformed);
		return;
	}
	if (csum_fold(csum_partial(p, len, 0)) != 0) {
		stack_count(s, AX_C_icmp_bad_csum);
		return;
	}
	memcpy(&h, p, sizeof(h));
	switch (h.type) {
	case ICMP_ECHO_REQUEST:
		stack_count(s, AX_C_icmp_echo_rx);
		/* RFC 792: same identifier, sequence and data. A request
		 * larger than our MTU (it came with a larger one) is not
		 * answered: we do not fragment. */
		if (to_bcast || h.code != 0 ||
		    len + sizeof(struct ipv4_hdr) > s->netif->mtu) {
			stack_count(s, AX_C_icmp_echo_ignored);
			return;
		}
		/* The policy decides on ICMP per packet (no flow, no entry). */
		if (s->icmp_filter && !s->icmp_filter(s->icmp_filter_arg, ip->src, ip->dst)) {
			stack_count(s, AX_C_icmp_echo_denied);
			return;
		}
		/* From the address that was pinged (RFC 1122 3.2.2.6). */
		if (send_echo(s, ICMP_ECHO_REPLY, ip->dst, ip->src, h.id, h.seq,
			      p + sizeof(h), len - sizeof(h)) == 0)
			stack_count(s, AX_C_icmp_echo_reply_tx);
		return;
	case ICMP_ECHO_REPLY: {
		struct icmp_echo_reply r = {
			.src = ip->src,
			.id = ntohs(h.id),
			.seq = ntohs(h.seq),
			.ttl = ip->ttl,
			.data_len = len - sizeof(h),
			.data = p + sizeof(h),
		};

		stack_count(s, AX_C_icmp_echo_reply_rx);
		if (s->echo_reply_cb)
			s->echo_reply_cb(s->echo_reply_arg, &r);
		return;
	}
	case ICMP_DEST_UNREACH:
		if (h.code == ICMP_FRAG_NEEDED) {
			frag_needed(s, p, len);
			return;
		}
		unreach(s, p, len, h.code);
		return;
	default:
		stack_count(s, AX_C_icmp_other_rx);
		return;
	}
}
