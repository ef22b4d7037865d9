/*
 * pmtu.c - see pmtu.h.
 */
#include "pmtu.h"

#include "stack.h"

static uint64_t now_ms(const struct ax_stack *s)
{
	return s->now_ns / 1000000u;
}

static int is_free(const struct pmtu_entry *e)
{
	return ip_addr_eq(&e->dst, &ip_addr_any6);
}

uint16_t pmtu_get(struct ax_stack *s, const struct ip_addr *dst)
{
	unsigned int i;

	for (i = 0; i < AX_PMTU_ENTRIES; i++) {
		struct pmtu_entry *e = &s->pmtu.e[i];

		if (!ip_addr_eq(&e->dst, dst) || is_free(e))
			continue;
		if (now_ms(s) >= e->expires_ms) {
			e->dst = ip_addr_any6; /* aged out (RFC 1191 6.3) */
			break;
		}
		return e->mtu < s->netif->mtu ? e->mtu : (uint16_t)s->netif->mtu;
	}
	return (uint16_t)s->netif->mtu;
}

void pmtu_set(struct ax_stack *s, const struct ip_addr *dst, uint16_t mtu)
{
	struct pmtu_entry *same = NULL, *free_e = NULL, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < AX_PMTU_ENTRIES && !same; i++) {
		struct pmtu_entry *e = &s->pmtu.e[i];

		if (ip_addr_eq(&e->dst, dst))
			same = e;
		else if (is_free(e) || now_ms(s) >= e->expires_ms)
			free_e = free_e ? free_e : e;
		else if (!oldest || e->expires_ms < oldest->expires_ms)
			oldest = e;
	}
	/* Full: the entry nearest its end goes. */
	if (!same)
		same = free_e ? free_e : oldest;
	same->dst = *dst;
	same->mtu = mtu;
	same->expires_ms = now_ms(s) + AX_PMTU_AGE_MS;
}
