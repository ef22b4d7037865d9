/*
 * pmtu.c - see pmtu.h.
 */
#include "pmtu.h"

#include "stack.h"

static uint64_t now_ms(const struct ax_stack *s)
{
	return s->now_ns / 1000000u;
}

uint16_t pmtu_get(struct ax_stack *s, uint32_t dst)
{
	unsigned int i;

	for (i = 0; i < AX_PMTU_ENTRIES; i++) {
		struct pmtu_entry *e = &s->pmtu.e[i];

		if (e->dst != dst || !dst)
			continue;
		if (now_ms(s) >= e->expires_ms) {
			e->dst = 0; /* aged out (RFC 1191 6.3) */
			break;
		}
		return e->mtu < s->netif->mtu ? e->mtu : (uint16_t)s->netif->mtu;
	}
	return (uint16_t)s->netif->mtu;
}

void pmtu_set(struct ax_stack *s, uint32_t dst, uint16_t mtu)
{
	struct pmtu_entry *same = NULL, *free_e = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < AX_PMTU_ENTRIES && !same; i++) {
		struct pmtu_entry *e = &s->pmtu.e[i];

		if (e->dst == dst)
			same = e;
		else if (!e->dst || now_ms(s) >= e->expires_ms)
			free_e = free_e ? free_e : e;
		else if (!oldest || e->expires_ms < oldest->expires_ms)
			oldest = e;
	}
	/* Full: the entry nearest its end goes. */
	if (!same)
		same = free_e ? free_e : oldest;
	same->dst = dst;
	same->mtu = mtu;
	same->expires_ms = now_ms(s) + AX_PMTU_AGE_MS;
}
