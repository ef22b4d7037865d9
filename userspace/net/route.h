/*
 * route.h - the IPv4 routing table: longest prefix match over a fixed
 * array of routes. A route with gw == 0 is on-link (the destination itself
 * is the next hop).
 */
#ifndef AX_ROUTE_H
#define AX_ROUTE_H

#include <stdint.h>

#include "opt.h"

struct route {
	uint32_t prefix; /* network order, host bits zero */
	uint8_t len;     /* 0..32 */
	uint32_t gw;     /* network order; 0 = on-link */
};

struct route_table {
	struct route r[AX_ROUTES_MAX];
	unsigned int n;
};

void route_init(struct route_table *t);
/* Add (or replace the route with the same prefix/len). 0, -EINVAL, -ENOSPC. */
int route_add(struct route_table *t, uint32_t prefix, uint8_t len, uint32_t gw);
/*
 * Longest prefix match for dst. On success stores the next hop (dst itself
 * for on-link routes) and returns 0; -ENETUNREACH when nothing matches.
 */
int route_lookup(const struct route_table *t, uint32_t dst, uint32_t *next_hop);

/* Netmask of a prefix length, network order. */
uint32_t route_mask(uint8_t len);

#endif /* AX_ROUTE_H */
