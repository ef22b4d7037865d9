/*
 * ipaddr.h - one address type for both families.
 *
 * An IPv4 address a.b.c.d is held as the IPv4-mapped IPv6 address
 * ::ffff:a.b.c.d (RFC 4291 2.5.5.2), so one 16-byte copy, compare and hash
 * serve both families everywhere above the IP layer: connection tables,
 * the socket layer, the authorizer. Only the IP layer (ipv4.c, ipv6.c),
 * ARP and ND look at the family. The bytes are in network order.
 *
 * The two "any" addresses differ: ip_addr_any6 (::) and ip_addr_any4
 * (::ffff:0.0.0.0). A listener or UDP socket bound to :: without
 * IPV6_V6ONLY takes both families, as Linux's dual-stack sockets do.
 */
#ifndef AX_IPADDR_H
#define AX_IPADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ip_addr {
	uint8_t b[16];
} __attribute__((aligned(4)));

#define IP_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

static const struct ip_addr ip_addr_any6 = { { 0 } };
static const struct ip_addr ip_addr_any4 = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 } };

/* a.b.c.d (network order) as ::ffff:a.b.c.d. */
static inline struct ip_addr ip_addr_v4(uint32_t be)
{
	struct ip_addr a = ip_addr_any4;

	memcpy(a.b + 12, &be, 4);
	return a;
}

static inline int ip_addr_is_v4(const struct ip_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, pfx, 12) == 0;
}

/* The IPv4 address (network order) of a mapped address. */
static inline uint32_t ip_addr_get_v4(const struct ip_addr *a)
{
	uint32_t be;

	memcpy(&be, a->b + 12, 4);
	return be;
}

static inline int ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

/* :: or ::ffff:0.0.0.0. */
static inline int ip_addr_is_any(const struct ip_addr *a)
{
	return ip_addr_eq(a, &ip_addr_any6) || ip_addr_eq(a, &ip_addr_any4);
}

/* 4 (AX_AF_INET) or 6 (AX_AF_INET6), as in include/axnet/xdp_shared.h. */
static inline int ip_addr_family(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? 4 : 6;
}

/* IPv6 classes (RFC 4291 2.4); false for every mapped IPv4 address. */
static inline int ip_addr_is_multicast6(const struct ip_addr *a)
{
	return a->b[0] == 0xff;
}

static inline int ip_addr_is_linklocal6(const struct ip_addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* A 32-bit mix of the 16 bytes, for hash tables (not keyed). */
static inline uint32_t ip_addr_hash(const struct ip_addr *a)
{
	uint32_t w[4], h;

	memcpy(w, a->b, 16);
	h = w[0] * 0x9e3779b1u ^ w[1];
	h = h * 0x85ebca77u ^ w[2];
	h = h * 0xc2b2ae3du ^ w[3];
	return h ^ (h >> 16);
}

/* Do the first len bits of a and p agree? len 0..128. */
static inline int ip_addr_prefix_eq(const struct ip_addr *a, const struct ip_addr *p,
				    unsigned int len)
{
	unsigned int full = len / 8, rest = len % 8;

	if (memcmp(a->b, p->b, full) != 0)
		return 0;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (a->b[full] & m) == (p->b[full] & m);
	}
	return 1;
}

/*
 * Text forms. ip_addr_fmt writes dotted quad for a mapped IPv4 address,
 * RFC 5952 text for IPv6; returns buf. ip_addr_parse takes either form
 * (IPv4 becomes mapped); 0 or -EINVAL. Defined in ipaddr.c.
 */
const char *ip_addr_fmt(const struct ip_addr *a, char *buf, size_t len);
int ip_addr_parse(const char *s, struct ip_addr *a);

#endif /* AX_IPADDR_H */
