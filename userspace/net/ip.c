/*
 * ip.c - see ip.h: the IP layer's entry points for L4, dispatching on the
 * destination's family to ipv4.c or ipv6.c, and the checksum over either
 * family's pseudo-header.
 */
#include "ip.h"

#include <errno.h>

#include "csum.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack.h"

uint8_t *ip_tx_begin(struct ax_stack *s, const struct ip_addr *src,
		     const struct ip_addr *dst, uint8_t proto, struct ip_tx *tx,
		     size_t *cap, int *err)
{
	struct ipv4_tx t4;
	struct ip_addr from;
	uint8_t *p;

	if (ip_addr_family(dst) == 6)
		return ipv6_tx_begin(s, src, dst, proto, tx, cap, err);
	/* IPv4: the source is one of our IPv4 addresses, given or chosen
	 * for dst (stack_src_select, from the route's subnet). */
	if (src && !ip_addr_is_any(src)) {
		if (!ip_addr_is_v4(src) || !stack_addr_local(s, src)) {
			*err = -EADDRNOTAVAIL;
			return NULL;
		}
		from = *src;
	} else if (stack_src_select(s, dst, &from) < 0) {
		*err = -EADDRNOTAVAIL;
		return NULL;
	}
	p = ipv4_tx_begin_src(s, ip_addr_get_v4(&from), ip_addr_get_v4(dst), proto, &t4, cap,
			      err);
	if (!p)
		return NULL;
	tx->l2 = t4.l2;
	tx->ip = t4.ip;
	tx->src = from;
	tx->dst = *dst;
	tx->proto = proto;
	tx->family = 4;
	tx->hop_limit = 0;
	return p;
}

/* The IPv4 half's own handle, rebuilt from tx. */
static void v4_of(const struct ip_tx *tx, struct ipv4_tx *t4)
{
	t4->l2 = tx->l2;
	t4->ip = tx->ip;
	t4->src = ip_addr_get_v4(&tx->src);
	t4->dst = ip_addr_get_v4(&tx->dst);
	t4->proto = tx->proto;
}

int ip_tx_commit(struct ax_stack *s, struct ip_tx *tx, size_t l4_len)
{
	struct ipv4_tx t4;

	if (tx->family == 6)
		return ipv6_tx_commit(s, tx, l4_len);
	v4_of(tx, &t4);
	return ipv4_tx_commit(s, &t4, l4_len);
}

void ip_tx_abort(struct ax_stack *s, struct ip_tx *tx)
{
	struct ipv4_tx t4;

	if (tx->family == 6) {
		ipv6_tx_abort(s, tx);
		return;
	}
	v4_of(tx, &t4);
	ipv4_tx_abort(s, &t4);
}

uint16_t ip_l4_csum(const struct ip_addr *src, const struct ip_addr *dst, uint8_t proto,
		    const void *l4, size_t len)
{
	uint8_t tail[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			    (uint8_t)len, 0, 0, 0, proto };
	uint32_t sum;

	if (ip_addr_is_v4(src))
		return csum_l4(ip_addr_get_v4(src), ip_addr_get_v4(dst), proto, l4, len);
	/* RFC 8200 8.1: source, destination, the upper-layer length (32
	 * bits), three zero bytes and the next header. */
	sum = csum_partial(src->b, 16, 0);
	sum = csum_partial(dst->b, 16, sum);
	sum = csum_partial(tail, sizeof(tail), sum);
	return csum_fold(csum_partial(l4, len, sum));
}
