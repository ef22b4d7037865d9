/*
 * dump.c - the daemon's side of `axnet neigh` (userspace/cli/neigh.c reads
 * it): one line per neighbour.
 *
 * Wire format, one line per entry, then "end":
 *   neigh ADDR MAC|- STATE UPDATED_MS CONFIRMED_MS|-1 USED_MS|-1 PROBES QUEUED GW
 * times are milliseconds ago; GW is 1 for a route's gateway (IPv6: a
 * router). ADDR is dotted quad for IPv4, RFC 5952 text for IPv6.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "daemon/dump.h"
#include "net/arp.h"
#include "net/neigh.h"
#include "net/stack.h"

static long long ms_ago(const struct ax_stack *s, uint64_t t_ns)
{
	if (!t_ns)
		return -1;
	return t_ns > s->now_ns ? 0 : (long long)((s->now_ns - t_ns) / 1000000u);
}

void neigh_dump(const struct ax_stack *s, void (*say)(void *arg, const char *line),
		void *arg)
{
	const struct neigh_table *t = &s->neigh;
	char line[200], ip[IP_ADDR_STRLEN], mac[18];
	unsigned int i;

	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		const struct neigh_entry *e = &t->e[i];
		int gw = 0;

		if (e->state == ARP_FREE)
			continue;
		/* A route's gateway; an IPv6 router (RA, NA R flag) too. */
		gw = route_is_gateway(&s->routes, &e->ip) || e->router;
		ip_addr_fmt(&e->ip, ip, sizeof(ip));
		if (e->state == ARP_INCOMPLETE)
			snprintf(mac, sizeof(mac), "-");
		else
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0],
				 e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		snprintf(line, sizeof(line), "neigh %s %s %s %lld %lld %lld %u %u %d", ip, mac,
			 arp_state_name(e->state), ms_ago(s, e->updated_ns),
			 ms_ago(s, e->confirmed_ns), ms_ago(s, e->used_ns),
			 e->state == ARP_INCOMPLETE || e->state == ARP_PROBE ? e->tries : 0,
			 e->nqueued, gw);
		say(arg, line);
	}
}
