/*
 * route.c - see route.h.
 */
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t route_mask(uint8_t len)
{
	return len == 0 ? 0 : htonl(~0u << (32 - len));
}

/* The prefix length in 128-bit terms (an IPv4 prefix covers the 96 bits of
 * the ::ffff:0:0/96 mapping first), so one comparison serves both. */
static unsigned int bits(const struct ip_addr *a, uint8_t plen)
{
	return ip_addr_is_v4(a) ? 96u + plen : plen;
}

static unsigned int max_plen(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? 32u : 128u;
}

struct ip_addr route_prefix(const struct ip_addr *dst, uint8_t plen)
{
	struct ip_addr p = *dst;
	unsigned int n = bits(dst, plen), i;

	for (i = 0; i < 16; i++) {
		if (n >= 8 * (i + 1))
			continue;
		if (n > 8 * i)
			p.b[i] &= (uint8_t)(0xff << (8 * (i + 1) - n));
		else
			p.b[i] = 0;
	}
	return p;
}

void route_init(struct route_table *t)
{
	t->n = 0;
}

static struct route *find_exact(struct route_table *t, const struct ip_addr *dst,
				uint8_t plen, enum route_proto proto)
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		struct route *r = &t->r[i];

		if (r->plen == plen && r->proto == proto && ip_addr_eq(&r->dst, dst))
			return r;
	}
	return NULL;
}

int route_add(struct route_table *t, const struct ip_addr *dst, uint8_t plen,
	      const struct ip_addr *gw, enum route_proto proto,
	      const struct ip_addr *prefsrc, uint64_t expires_ns)
{
	struct route *r, nr;
	struct ip_addr pfx;

	if (plen > max_plen(dst) || proto > ROUTE_RA)
		return -EINVAL;
	pfx = route_prefix(dst, plen);
	if (!ip_addr_eq(&pfx, dst))
		return -EINVAL;
	if (gw && ip_addr_is_any(gw))
		gw = NULL;
	if (gw && ip_addr_family(gw) != ip_addr_family(dst))
		return -EINVAL;
	memset(&nr, 0, sizeof(nr));
	nr.dst = *dst;
	nr.gw = gw ? *gw : ip_addr_any6;
	nr.prefsrc = prefsrc ? *prefsrc : ip_addr_any6;
	nr.expires_ns = expires_ns;
	nr.plen = plen;
	nr.family = (uint8_t)ip_addr_family(dst);
	nr.proto = (uint8_t)proto;
	r = find_exact(t, dst, plen, proto);
	if (!r) {
		if (t->n == AX_ROUTES_MAX)
			return -ENOSPC;
		r = &t->r[t->n++];
	}
	*r = nr;
	return 0;
}

int route_del(struct route_table *t, const struct ip_addr *dst, uint8_t plen,
	      enum route_proto proto)
{
	struct route *r = find_exact(t, dst, plen, proto);

	if (!r)
		return -ENOENT;
	*r = t->r[--t->n];
	return 0;
}

static int expired(const struct route *r, uint64_t now_ns)
{
	return r->expires_ns && now_ns >= r->expires_ns;
}

const struct route *route_find(const struct route_table *t,
			       const struct ip_addr *dst, uint64_t now_ns)
{
	const struct route *best = NULL;
	int fam = ip_addr_family(dst);
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		const struct route *r = &t->r[i];

		/* The family check first: ::/0 would otherwise hold every
		 * mapped IPv4 address. */
		if (r->family != fam || expired(r, now_ns) ||
		    !ip_addr_prefix_eq(dst, &r->dst, bits(dst, r->plen)))
			continue;
		if (!best || r->plen > best->plen ||
		    (r->plen == best->plen && r->proto < best->proto))
			best = r;
	}
	return best;
}

int route_lookup(const struct route_table *t, const struct ip_addr *dst,
		 uint64_t now_ns, struct ip_addr *next_hop)
{
	const struct route *r = route_find(t, dst, now_ns);

	if (!r)
		return -ENETUNREACH;
	*next_hop = ip_addr_is_any(&r->gw) ? *dst : r->gw;
	return 0;
}

int route_is_gateway(const struct route_table *t, const struct ip_addr *ip)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (!ip_addr_is_any(&t->r[i].gw) && ip_addr_eq(&t->r[i].gw, ip))
			return 1;
	return 0;
}

unsigned int route_expire(struct route_table *t, uint64_t now_ns)
{
	unsigned int i = 0, n = 0;

	while (i < t->n) {
		if (expired(&t->r[i], now_ns)) {
			t->r[i] = t->r[--t->n];
			n++;
		} else {
			i++;
		}
	}
	return n;
}

int route_parse_prefix(const char *text, int fam, struct ip_addr *dst, uint8_t *plen)
{
	char buf[IP_ADDR_STRLEN + 8];
	const char *slash;
	struct ip_addr a, p;
	unsigned long n;
	char *end;

	if (strcmp(text, "default") == 0) {
		if (fam != 4 && fam != 6)
			return -EINVAL;
		*dst = fam == 4 ? ip_addr_any4 : ip_addr_any6;
		*plen = 0;
		return 0;
	}
	slash = strchr(text, '/');
	if (!slash || (size_t)(slash - text) >= sizeof(buf) || !slash[1])
		return -EINVAL;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	if (ip_addr_parse(buf, &a))
		return -EINVAL;
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno || *end || slash[1] < '0' || slash[1] > '9' || n > max_plen(&a))
		return -EINVAL;
	p = route_prefix(&a, (uint8_t)n);
	if (!ip_addr_eq(&p, &a))
		return -EINVAL;
	*dst = a;
	*plen = (uint8_t)n;
	return 0;
}

const char *route_fmt(const struct route *r, uint64_t now_ns, char *buf, size_t len)
{
	static const char *const protos[] = { "kernel", "static", "ra" };
	char d[IP_ADDR_STRLEN], g[IP_ADDR_STRLEN], src[IP_ADDR_STRLEN];
	int n;

	if (r->plen == 0)
		snprintf(d, sizeof(d), "default");
	else
		ip_addr_fmt(&r->dst, d, sizeof(d));
	n = snprintf(buf, len, "%s", d);
	if (r->plen && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%u", r->plen);
	if (!ip_addr_is_any(&r->gw) && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " via %s",
			      ip_addr_fmt(&r->gw, g, sizeof(g)));
	if (n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " proto %s",
			      r->proto <= ROUTE_RA ? protos[r->proto] : "?");
	if (ip_addr_is_any(&r->gw) && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " scope link");
	if (!ip_addr_is_any(&r->prefsrc) && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " src %s",
			      ip_addr_fmt(&r->prefsrc, src, sizeof(src)));
	if (r->expires_ns && n >= 0 && (size_t)n < len) {
		uint64_t left = r->expires_ns > now_ns ? r->expires_ns - now_ns : 0;

		snprintf(buf + n, len - (size_t)n, " expires %llusec",
			 (unsigned long long)(left / 1000000000u));
	}
	return buf;
}
