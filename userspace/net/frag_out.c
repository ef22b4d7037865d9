/*
 * frag_out.c - sending a datagram larger than the path MTU in fragments:
 * see frag.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "frag.h"
#include "ipv4.h"
#include "ipv6.h"
#include "pmtu.h"
#include "proto.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_priv.h"

uint8_t *frag_tx_buf(struct ax_stack *s)
{
	return s->frag.txbuf;
}

/* RFC 791 3.2: every fragment carries the header (no options here), the
 * same identification, its offset in 8-byte units and MF but the last;
 * its data is a multiple of 8 bytes but the last's. */
static int send4(struct ax_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
		 const uint8_t *l4, size_t len)
{
	struct ip_addr d = ip_addr_v4(dst);
	uint16_t id = htons(s->ip_id++);
	size_t off = 0, mtu = pmtu_get(s, &d);
	int err = 0, n = 0;

	if (len > 65535u - sizeof(struct ipv4_hdr)) {
		stack_count(s, AX_C_frag_tx_too_big);
		return -EMSGSIZE;
	}
	while (off < len) {
		struct ipv4_tx tx;
		struct ipv4_hdr ip;
		size_t cap, chunk;
		uint8_t *buf = ipv4_tx_begin_src(s, src, dst, proto, &tx, &cap, &err);
		int more;

		if (!buf)
			return err;
		/* Cut at the path MTU; a device buffer smaller than that
		 * is the device's limit (netif.h), not a reason for more,
		 * smaller fragments. */
		chunk = len - off;
		more = chunk > mtu - sizeof(ip);
		if (more)
			chunk = (mtu - sizeof(ip)) & ~(size_t)7;
		if (chunk == 0 || chunk > cap) {
			ipv4_tx_abort(s, &tx);
			return -EMSGSIZE;
		}
		memcpy(buf, l4 + off, chunk);
		memset(&ip, 0, sizeof(ip));
		ip.ver_ihl = 0x45;
		ip.tot_len = htons((uint16_t)(sizeof(ip) + chunk));
		ip.id = id;
		ip.frag_off = htons((uint16_t)((more ? IP_FLAG_MF : 0) | (off / 8)));
		ip.ttl = AX_IP_DEFAULT_TTL;
		ip.proto = proto;
		ip.src = src;
		ip.dst = dst;
		ip.csum = csum_fold(csum_partial(&ip, sizeof(ip), 0));
		memcpy(tx.ip, &ip, sizeof(ip));
		stack_count(s, AX_C_ip_tx);
		stack_count(s, AX_C_frag_tx);
		err = arp_tx_commit(s, &tx.l2, sizeof(ip) + chunk);
		if (err)
			return err;
		off += chunk;
		n++;
	}
	if (n > 1)
		stack_count(s, AX_C_frag_tx_datagrams);
	return 0;
}

/* RFC 8200 4.5: the fragment header (Next Header, offset, M, a 32-bit
 * identification) after the IPv6 header in every fragment; each carries a
 * multiple of 8 bytes but the last. Only the source fragments; the link
 * MTU (or the RA's) bounds each frame (ipv6_tx_begin's capacity). */
static int send6(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
		 uint8_t proto, const uint8_t *l4, size_t len)
{
	/* RFC 7739 4.3: identifications nobody off the path can predict,
	 * or it slips its own fragment into our datagrams to a third party.
	 * A keyed hash of the addresses (secret, frag_init) plus a counter:
	 * what a peer sees of its own tells nothing of another
	 * destination's (Linux's ipv6_select_ident hashes the same way). */
	uint64_t m[4];
	uint32_t id;
	size_t off = 0, mtu = pmtu_get(s, dst);
	int err = 0, n = 0;

	if (src)
		memcpy(m, src->b, 16);
	else
		memset(m, 0, 16); /* ipv6_tx_begin picks the source */
	memcpy(m + 2, dst->b, 16);
	id = (uint32_t)tcp_siphash(s->frag.id_key, m, 4) + ++s->frag.tx_id6;
	if (!id)
		id = 1;

	if (len > 65535u - 8u) {
		stack_count(s, AX_C_frag_tx_too_big);
		return -EMSGSIZE;
	}
	while (off < len) {
		struct ip_tx tx;
		size_t cap, chunk;
		uint8_t *b = ipv6_tx_begin(s, src, dst, IP6_NH_FRAGMENT, &tx, &cap, &err);
		uint16_t fo;
		int more;

		if (!b)
			return err;
		if (cap > mtu - 40u)
			cap = mtu - 40u; /* the path's, when narrower (RFC 8201) */
		chunk = len - off;
		more = chunk > cap - 8;
		if (more)
			chunk = (cap - 8) & ~(size_t)7;
		if (cap < 16 || chunk == 0) {
			ipv6_tx_abort(s, &tx);
			return -EMSGSIZE;
		}
		fo = (uint16_t)(off | (more ? 1u : 0u));
		b[0] = proto;
		b[1] = 0;
		b[2] = (uint8_t)(fo >> 8);
		b[3] = (uint8_t)fo;
		b[4] = (uint8_t)(id >> 24);
		b[5] = (uint8_t)(id >> 16);
		b[6] = (uint8_t)(id >> 8);
		b[7] = (uint8_t)id;
		memcpy(b + 8, l4 + off, chunk);
		stack_count(s, AX_C_frag_tx);
		err = ipv6_tx_commit(s, &tx, 8 + chunk);
		if (err)
			return err;
		off += chunk;
		n++;
	}
	if (n > 1)
		stack_count(s, AX_C_frag_tx_datagrams);
	return 0;
}

int frag_send(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
	      uint8_t proto, const uint8_t *l4, size_t len)
{
	if (proto == IP_PROTO_TCP)
		return -EMSGSIZE; /* DF and path MTU discovery, never fragments */
	if (ip_addr_is_v4(dst))
		return send4(s, src && !ip_addr_is_any(src) ? ip_addr_get_v4(src) : s->addr,
			     ip_addr_get_v4(dst), proto, l4, len);
	return send6(s, src, dst, proto, l4, len);
}

int frag_pmtu_ptb6(struct ax_stack *s, uint32_t mtu, const uint8_t *q, size_t qlen,
		   int proto, const uint8_t *l4, size_t l4_len)
{
	struct ip_addr src, dst;

	/* RFC 4443 3.2 / RFC 5927: the quote must be a packet we sent:
	 * from one of our addresses. */
	if (qlen < 40 || proto < 0)
		goto reject;
	memcpy(src.b, q + 8, 16);
	memcpy(dst.b, q + 24, 16);
	if (!stack_addr_local(s, &src) || ip_addr_is_multicast6(&dst))
		goto reject;
	if (proto == IP_PROTO_TCP) {
		/* TCP's quote must name a live connection and a byte in
		 * flight (RFC 5927 4.1); TCP lowers its MSS and the table
		 * (tcp_pmtu.c, IPv6's floor 1280) and counts. */
		uint32_t seq;

		if (!l4 || l4_len < 8)
			goto reject;
		seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
		if (tcp_icmp_frag_needed(s, &src, &dst, (uint16_t)(l4[0] << 8 | l4[1]),
					 (uint16_t)(l4[2] << 8 | l4[3]), seq, mtu) < 0)
			goto reject;
		return 1;
	}
	/* RFC 8201 4: never below the IPv6 minimum link MTU (and RFC 8021:
	 * no atomic fragments instead). */
	if (mtu < AX_PMTU_MIN6)
		mtu = AX_PMTU_MIN6;
	if (mtu >= pmtu_get(s, &dst))
		return 0;
	pmtu_set(s, &dst, (uint16_t)mtu);
	stack_count(s, AX_C_frag_pmtu_lowered);
	return 1;
reject:
	stack_count(s, AX_C_frag_pmtu_rejected);
	return -EINVAL;
}
