/*
 * route.h - the routing table, both families: longest prefix match over a
 * fixed array of routes (a handful: a scan beats a trie until there are
 * many). Prefixes are struct ip_addr (ipaddr.h) with a length in the
 * family's own terms (0..32 for IPv4, 0..128 for IPv6): an IPv4 /0 matches
 * every IPv4 address and no IPv6 one, and the reverse (a route never
 * matches across families).
 *
 * A route whose gateway is any (ip_addr_is_any) is on-link: the
 * destination itself is the next hop. Routes come from our addresses
 * (ROUTE_KERNEL, `proto kernel` in `ip route`), from the command line
 * (ROUTE_STATIC: --route, --gw) and from router advertisements (ROUTE_RA,
 * with an expiry: RFC 4861 6.3.4's router lifetime). Expired routes stop
 * matching at once and are dropped by route_expire().
 *
 * No allocation; single-threaded as the stack.
 */
#ifndef AX_ROUTE_H
#define AX_ROUTE_H

#include <stdint.h>

#include "ipaddr.h"
#include "opt.h"

enum route_proto {
	ROUTE_KERNEL = 0, /* connected: from one of our addresses */
	ROUTE_STATIC,     /* --route, --gw */
	ROUTE_RA,         /* a router advertisement's default router */
};

struct route {
	struct ip_addr dst;     /* prefix, host bits zero */
	struct ip_addr gw;      /* any: on-link */
	struct ip_addr prefsrc; /* connected routes: the address; else any */
	uint64_t expires_ns;    /* 0: never (stack clock) */
	uint8_t plen;           /* 0..32 (IPv4), 0..128 (IPv6) */
	uint8_t family;         /* 4 or 6 */
	uint8_t proto;          /* enum route_proto */
};

struct route_table {
	struct route r[AX_ROUTES_MAX];
	unsigned int n;
};

void route_init(struct route_table *t);

/*
 * Add a route, or replace the one with the same prefix, length and
 * protocol (a static route and a connected one for the same prefix live
 * side by side; lookup prefers the connected one). gw NULL or any:
 * on-link; otherwise gw must be of dst's family. prefsrc may be NULL.
 * 0, -EINVAL (host bits set, length past the family, gateway of the other
 * family), -ENOSPC.
 */
int route_add(struct route_table *t, const struct ip_addr *dst, uint8_t plen,
	      const struct ip_addr *gw, enum route_proto proto,
	      const struct ip_addr *prefsrc, uint64_t expires_ns);

/* Remove the route with this prefix, length and protocol: 0 or -ENOENT. */
int route_del(struct route_table *t, const struct ip_addr *dst, uint8_t plen,
	      enum route_proto proto);

/*
 * The best route for dst at time now_ns: the longest prefix of dst's
 * family that has not expired; between equal prefixes a connected route
 * before a static one before an RA one. NULL when nothing matches.
 */
const struct route *route_find(const struct route_table *t,
			       const struct ip_addr *dst, uint64_t now_ns);

/*
 * route_find(), giving the next hop: dst itself for an on-link route, else
 * the gateway. 0 or -ENETUNREACH (nothing matches).
 */
int route_lookup(const struct route_table *t, const struct ip_addr *dst,
		 uint64_t now_ns, struct ip_addr *next_hop);

/* Is ip the gateway of some route (the neighbour cache keeps it)? */
int route_is_gateway(const struct route_table *t, const struct ip_addr *ip);

/* Drop the routes expired at now_ns; returns how many. */
unsigned int route_expire(struct route_table *t, uint64_t now_ns);

/* Host bits of dst past plen cleared (plen in dst's family's terms). */
struct ip_addr route_prefix(const struct ip_addr *dst, uint8_t plen);

/* Netmask of an IPv4 prefix length, network order. */
uint32_t route_mask(uint8_t len);

/*
 * Parse "PREFIX/LEN" (either family; "default" is /0 of family fam when
 * fam is 4 or 6) into a prefix with host bits zero. 0 or -EINVAL (bad text,
 * length past the family, host bits set).
 */
int route_parse_prefix(const char *text, int fam, struct ip_addr *dst, uint8_t *plen);

/*
 * One route as `ip route` / `ip -6 route` prints it, e.g.
 * "default via 10.0.0.1 proto static",
 * "10.0.0.0/24 proto kernel scope link src 10.0.0.2",
 * "default via fe80::1 proto ra expires 1799sec". Returns buf.
 */
const char *route_fmt(const struct route *r, uint64_t now_ns, char *buf, size_t len);

#endif /* AX_ROUTE_H */
