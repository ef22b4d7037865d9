/*
 * pmtu.c - see pmtu.h.
 */
#include "pmtu.h"

#include "stack.h"

static uint64_t now_ms(const struct ax_stack *s)
{
	return s->now_ns / 1000000u;
}

/* The link's MTU for dst's family: IPv6 takes the router advertisement's
 * when lower (RFC 4861 6.3.4). */
static uint16_t link_mtu(const struct ax_stack *s, const struct ip_addr *dst)
{
	uint32_t mtu = s->netif->mtu;

	if (!ip_addr_is_v4(dst) && s->nd.mtu && s->nd.mtu < mtu)
		mtu = s->nd.mtu;
	return (uint16_t)mtu;
}

uint16_t pmtu_get_addr(struct ax_stack *s, const struct ip_addr *dst)
{
	uint16_t link = link_mtu(s, dst);
	unsigned int i;

	for (i = 0; i < AX_PMTU_ENTRIES; i++) {
		struct pmtu_entry *e = &s->pmtu.e[i];

		if (!e->used || !ip_addr_eq(&e->dst, dst))
			continue;
		if (now_ms(s) >= e->expires_ms) {
			e->used = 0; /* aged out (RFC 1191 6.3, RFC 8201 4) */
			break;
		}
		return e->mtu < link ? e->mtu : link;
	}
	return link;
}

void pmtu_set_addr(struct ax_stack *s, const struct ip_addr *dst, uint16_t mtu)
{
	struct pmtu_entry *same = NULL, *free_e = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < AX_PMTU_ENTRIES && !same; i++) {
		struct pmtu_entry *e = &s->pmtu.e[i];

		if (e->used && ip_addr_eq(&e->dst, dst))
			same = e;
		else if (!e->used || now_ms(s) >= e->expires_ms)
			free_e = free_e ? free_e : e;
		else if (!oldest || e->expires_ms < oldest->expires_ms)
			oldest = e;
	}
	/* Full: the entry nearest its end goes. */
	if (!same)
		same = free_e ? free_e : oldest;
	same->dst = *dst;
	same->used = 1;
	same->mtu = mtu;
	same->expires_ms = now_ms(s) + AX_PMTU_AGE_MS;
}

uint16_t pmtu_get(struct ax_stack *s, uint32_t dst)
{
	struct ip_addr a = ip_addr_v4(dst);

	if (!dst)
		return (uint16_t)s->netif->mtu;
	return pmtu_get_addr(s, &a);
}

void pmtu_set(struct ax_stack *s, uint32_t dst, uint16_t mtu)
{
	struct ip_addr a = ip_addr_v4(dst);

	pmtu_set_addr(s, &a, mtu);
}
