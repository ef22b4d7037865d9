/*
 * dump_route.c - the daemon's side of `axnet route` and `axnet addr`
 * (userspace/cli/route.c reads it); the wire format is in dump.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dump.h"
#include "net/stack.h"

/* `ip route` order: IPv4 before IPv6, defaults first, then by prefix. */
static int cmp_route(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->dst.b, b->dst.b, 16);
	if (c)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return a->proto - b->proto;
}

void route_dump(const struct ax_stack *s, void (*say)(void *arg, const char *line),
		void *arg)
{
	static const char *const protos[] = { "kernel", "static", "ra" };
	static const char *const states[] = { "free", "tentative", "preferred", "duplicate" };
	struct route r[AX_ROUTES_MAX];
	char line[256], d[IP_ADDR_STRLEN], g[IP_ADDR_STRLEN], src[IP_ADDR_STRLEN];
	unsigned int i, n = 0;

	for (i = 0; i < s->routes.n; i++) {
		const struct route *e = &s->routes.r[i];

		/* An expired RA route no longer routes; stack_timers drops it. */
		if (e->expires_ns && s->now_ns >= e->expires_ns)
			continue;
		r[n++] = *e;
	}
	qsort(r, n, sizeof(r[0]), cmp_route);
	for (i = 0; i < n; i++) {
		long long exp = -1;

		if (r[i].expires_ns)
			exp = (long long)((r[i].expires_ns - s->now_ns) / 1000000000u);
		snprintf(line, sizeof(line), "route %s %u %s %s %s %lld",
			 ip_addr_fmt(&r[i].dst, d, sizeof(d)), r[i].plen,
			 ip_addr_is_any(&r[i].gw) ? "-" : ip_addr_fmt(&r[i].gw, g, sizeof(g)),
			 r[i].proto <= ROUTE_RA ? protos[r[i].proto] : "?",
			 ip_addr_is_any(&r[i].prefsrc) ? "-"
						       : ip_addr_fmt(&r[i].prefsrc, src, sizeof(src)),
			 exp);
		say(arg, line);
	}
	for (i = 0; i < AX_ADDRS_MAX; i++) {
		const struct stack_addr *a = &s->addrs[i];
		char flags[64] = "";

		if (a->state == STACK_ADDR_FREE || a->state > STACK_ADDR_DUPLICATE)
			continue;
		if (a->flags & STACK_ADDR_F_STATIC)
			strcat(flags, ",static");
		if (a->flags & STACK_ADDR_F_LINKLOCAL)
			strcat(flags, ",linklocal");
		if (a->flags & STACK_ADDR_F_AUTOCONF)
			strcat(flags, ",autoconf");
		snprintf(line, sizeof(line), "addr %s %u %s %s", ip_addr_fmt(&a->a, d, sizeof(d)),
			 a->plen, states[a->state], flags[0] ? flags + 1 : "-");
		say(arg, line);
	}
}
