#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>

uint32_t route_mask(uint8_t len)
{
	return len == 0 ? 0 : htonl(~0u << (32 - len));
}

void route_init(struct route_table *t)
{
	t->n = 0;
}

int route_add(struct route_table *t, uint32_t prefix, uint8_t len, uint32_t gw)
{
	unsigned int i;

	if (len > 32 || (prefix & ~route_mask(len)))
		return -EINVAL;
	for (i = 0; i < t->n; i++) {
		if (t->r[i].prefix == prefix && t->r[i].len == len) {
			t->r[i].gw = gw;
			return 0;
		}
	}
	if (t->n == AX_ROUTES_MAX)
		return -ENOSPC;
	t->r[t->n++] = (struct route){ .prefix = prefix, .len = len, .gw = gw };
	return 0;
}

int route_lookup(const struct route_table *t, uint32_t dst, uint32_t *next_hop)
{
	const struct route *best = NULL;
	unsigned int i;

	/* A handful of routes: a scan beats a trie until there are many. */
	for (i = 0; i < t->n; i++) {
		const struct route *r = &t->r[i];

		if ((dst & route_mask(r->len)) != r->prefix)
			continue;
		if (!best || r->len > best->len)
			best = r;
	}
	if (!best)
		return -ENETUNREACH;
	*next_hop = best->gw ? best->gw : dst;
	return 0;
}
