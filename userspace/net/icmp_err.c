/*
 * icmp_err.c - see icmp_err.h and ip_send_error() in ip.h.
 */
#include "icmp_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "csum.h"
#include "icmp6.h"
#include "ip.h"
#include "ipv4.h"
#include "ipv6.h"
#include "proto.h"
#include "stack.h"

/* ICMP (IPv4) types of RFC 792 / RFC 950 that are queries, not errors:
 * echo reply, echo, timestamp (and reply), information request (and reply),
 * address mask request (and reply). Any other type is taken for an error
 * (Linux: icmp_pointers[].error, unknown types never answered). */
static int icmp4_is_query(uint8_t type)
{
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

/* RFC 1122 3.2.2 for IPv4: 0 when an error may be sent about rx. */
static int may_send4(const struct ax_stack *s, const struct ip_rx *rx)
{
	uint32_t src = ip_addr_get_v4(&rx->src), dst = ip_addr_get_v4(&rx->dst);
	uint8_t sfirst = rx->src.b[12], dfirst = rx->dst.b[12];

	/* not about a datagram sent to a broadcast or multicast address,
	 * IP or link-layer */
	if (rx->l2_mcast || dst == 0xffffffffu || (dfirst >= 224 && dfirst <= 239) ||
	    stack_addr_is_bcast4(s, dst))
		return -EPERM;
	/* nor one whose source is not a single host: zero, loopback,
	 * broadcast, multicast or class E */
	if (sfirst == 0 || sfirst == 127 || sfirst >= 224 || stack_addr_is_bcast4(s, src))
		return -EPERM;
	/* nor a fragment other than the first */
	if (!rx->reassembled && rx->net_len >= 20 &&
	    ((rx->net[6] << 8 | rx->net[7]) & IP_OFFMASK))
		return -EPERM;
	/* nor an ICMP error */
	if (rx->proto == IP_PROTO_ICMP && (rx->l4_len < 1 || !icmp4_is_query(rx->l4[0])))
		return -EPERM;
	return 0;
}

/*
 * Walk rx's extension headers to its upper-layer header, as Linux's
 * is_ineligible (ipv6_skip_exthdr): -EPERM when rx is a fragment other
 * than the first (a fragment header with a non-zero offset), or when what
 * follows the chain is an ICMPv6 error or redirect (RFC 4443 2.4(e.1,
 * e.2)). The IP layer calls ip_send_error about a bad extension header
 * before it knows the upper-layer protocol (rx->proto not yet set), so
 * the chain is read here rather than rx->proto trusted.
 */
static int v6_ineligible(const struct ip_rx *rx)
{
	size_t off = IP6_HLEN;
	uint8_t nh;
	int n;

	if (rx->net_len < IP6_HLEN)
		return 0;
	nh = rx->net[6];
	for (n = 0; n <= AX_IP6_EXT_MAX; n++) {
		if (nh == IP6_NH_ICMPV6) {
			/* No type byte: Linux takes it for an error too. */
			if (off >= rx->net_len || rx->net[off] < 128 || rx->net[off] == 137)
				return -EPERM;
			return 0;
		}
		if (off + 8 > rx->net_len)
			return 0;
		if (nh == IP6_NH_FRAGMENT) {
			/* A reassembled packet (or frag.c's quote of a first
			 * fragment) is never "a later one". */
			if (!rx->reassembled &&
			    ((rx->net[off + 2] << 8 | rx->net[off + 3]) & 0xfff8) != 0)
				return -EPERM;
			nh = rx->net[off];
			off += 8;
			continue;
		}
		if (nh != IP6_NH_HOPOPTS && nh != IP6_NH_ROUTING && nh != IP6_NH_DSTOPTS)
			return 0;
		nh = rx->net[off];
		off += ((size_t)rx->net[off + 1] + 1) * 8;
	}
	return 0;
}

/* RFC 4443 2.4(e) for IPv6. param_code2: a parameter problem of code 2
 * (an option whose type says "send even to multicast", RFC 8200 4.2),
 * which 2.4(e.3) lets through for multicast destinations. */
static int may_send6(const struct ip_rx *rx, int param_code2)
{
	static const struct ip_addr loop6 = { { [15] = 1 } };

	/* (e.1, e.2) not about an ICMPv6 error or a redirect */
	if (rx->proto == IP6_NH_ICMPV6 &&
	    (rx->l4_len < 1 || rx->l4[0] < 128 || rx->l4[0] == 137))
		return -EPERM;
	/* (e.3, e.4) not about a packet to a group, IPv6 or link-layer */
	if ((ip_addr_is_multicast6(&rx->dst) || rx->l2_mcast) && !param_code2)
		return -EPERM;
	/* (e.6) not to a source that is not one node */
	if (ip_addr_eq(&rx->src, &ip_addr_any6) || ip_addr_is_multicast6(&rx->src) ||
	    ip_addr_eq(&rx->src, &loop6) || ip_addr_is_v4(&rx->src))
		return -EPERM;
	/* RFC 8200 4.5: only the first fragment draws an error (and the
	 * reassembly timeout, which frag.c sends about the first); (e.1,
	 * e.2) again for an ICMPv6 message behind extension headers. */
	if (v6_ineligible(rx))
		return -EPERM;
	return 0;
}

/* Refill b (burst messages, rate a second) and take one; 0 or -EAGAIN. */
static int bucket_take(struct icmp_err_bucket *b, uint64_t now_ms, uint32_t rate,
		       uint32_t burst)
{
	uint64_t full = (uint64_t)burst * 1000;

	if (!b->used) {
		b->used = 1;
		b->tokens = full;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		uint64_t ms = now_ms - b->last_ms;

		if (ms > UINT32_MAX)
			ms = UINT32_MAX;
		b->tokens = b->tokens + ms * rate > full ? full : b->tokens + ms * rate;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1000)
		return -EAGAIN;
	b->tokens -= 1000;
	return 0;
}

/* Both buckets must have a token; the destination's is charged only when
 * the family's has one too (and given back otherwise), so a flood to one
 * destination cannot drain what the others are owed beyond its share. */
static int rate_ok(struct ax_stack *s, const struct ip_addr *dst, int fam6)
{
	struct icmp_err_limits *l = &s->icmp_err;
	uint64_t now_ms = s->now_ns / 1000000u;
	struct icmp_err_bucket *d = &l->dst[ip_addr_hash(dst) % AX_ICMP_ERR_SOURCES];

	if (d->used && !ip_addr_eq(&d->dst, dst))
		d->used = 0; /* a new destination takes the slot, with a full bucket */
	d->dst = *dst;
	if (bucket_take(d, now_ms, AX_ICMP_ERR_SRC_RATE, AX_ICMP_ERR_SRC_BURST))
		return -EAGAIN;
	if (bucket_take(&l->all[fam6], now_ms, AX_ICMP_ERR_RATE, AX_ICMP_ERR_BURST)) {
		d->tokens += 1000;
		return -EAGAIN;
	}
	return 0;
}

/*
 * An ICMP error (IPv4) of type/code about rx, back to its source: the
 * 4-byte word after the checksum holds param's low byte first as RFC 792's
 * pointer (parameter problem) and is otherwise zero; then as much of the
 * datagram as fits in 576 bytes (RFC 1812 4.3.2.3, as Linux).
 */
static int send4(struct ax_stack *s, const struct ip_rx *rx, uint8_t type, uint8_t code,
		 uint32_t param)
{
	struct icmp_hdr h = { .type = type, .code = code };
	size_t cap, iplen = rx->net_len, max = 576 - sizeof(struct ipv4_hdr) - sizeof(h);
	struct ipv4_tx tx;
	uint8_t *buf;
	uint16_t c;
	int err = 0;

	buf = ipv4_tx_begin(s, ip_addr_get_v4(&rx->src), IP_PROTO_ICMP, &tx, &cap, &err);
	if (!buf)
		return err;
	if (cap < sizeof(h) + 28) {
		ipv4_tx_abort(s, &tx);
		return -EMSGSIZE;
	}
	if (cap - sizeof(h) < max)
		max = cap - sizeof(h);
	if (iplen > max)
		iplen = max;
	/* From the address the datagram was sent to (as Linux's icmp_send
	 * for a local destination). */
	if (stack_addr_local(s, &rx->dst))
		tx.src = ip_addr_get_v4(&rx->dst);
	memcpy(buf, &h, sizeof(h));
	if (type == ICMP_PARAM_PROBLEM)
		buf[4] = (uint8_t)param; /* RFC 792: the pointer */
	memcpy(buf + sizeof(h), rx->net, iplen);
	c = csum_fold(csum_partial(buf, sizeof(h) + iplen, 0));
	memcpy(buf + offsetof(struct icmp_hdr, csum), &c, sizeof(c));
	return ipv4_tx_commit(s, &tx, sizeof(h) + iplen);
}

int ip_send_error(struct ax_stack *s, const struct ip_rx *rx, enum ip_err e, uint32_t param)
{
	int v6 = rx->family == 6, err;
	uint8_t type, code;

	if (v6) {
		switch (e) {
		case IP_ERR_PORT_UNREACH: type = ICMP6_DEST_UNREACH, code = 4; break;
		/* RFC 8200 4: an unknown next header is a parameter problem
		 * code 1 pointing at it (param: its offset). */
		case IP_ERR_PROTO_UNREACH: type = ICMP6_PARAM_PROBLEM, code = 1; break;
		case IP_ERR_REASM_TIMEOUT: type = ICMP6_TIME_EXCEEDED, code = 1; param = 0; break;
		case IP_ERR_PARAM_PROBLEM:
			type = ICMP6_PARAM_PROBLEM, code = (uint8_t)(param >> 16);
			param &= 0xffff;
			break;
		case IP_ERR_NO_ROUTE: type = ICMP6_DEST_UNREACH, code = 0; param = 0; break;
		default: return -EINVAL;
		}
		if (e == IP_ERR_PORT_UNREACH)
			param = 0;
		err = may_send6(rx, type == ICMP6_PARAM_PROBLEM && code == 2);
	} else {
		switch (e) {
		case IP_ERR_PORT_UNREACH: type = ICMP_DEST_UNREACH, code = ICMP_PORT_UNREACH; break;
		case IP_ERR_PROTO_UNREACH: type = ICMP_DEST_UNREACH, code = ICMP_PROTO_UNREACH; break;
		case IP_ERR_REASM_TIMEOUT: type = ICMP_TIME_EXCEEDED, code = 1; break;
		case IP_ERR_PARAM_PROBLEM: type = ICMP_PARAM_PROBLEM, code = 0; break;
		case IP_ERR_NO_ROUTE: type = ICMP_DEST_UNREACH, code = 0; break;
		default: return -EINVAL;
		}
		err = may_send4(s, rx);
	}
	if (err) {
		stack_count(s, AX_C_icmp_err_suppressed);
		return err;
	}
	if (rate_ok(s, &rx->src, v6)) {
		stack_count(s, v6 ? AX_C_icmp6_err_rate_limited : AX_C_icmp_err_rate_limited);
		return -EAGAIN;
	}
	err = v6 ? icmp6_send_error(s, rx, type, code, param) : send4(s, rx, type, code, param);
	if (!err)
		stack_count(s, v6 ? AX_C_icmp6_err_tx : AX_C_icmp_err_tx);
	return err;
}
