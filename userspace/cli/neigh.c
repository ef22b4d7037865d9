/*
 * neigh.c - `axnet neigh`: the neighbour (ARP) cache of the running
 * instance, like `ip neigh`. Both ends of the control request live here:
 * neigh_dump() makes the lines the instance sends, cmd_neigh() reads them.
 *
 * Wire format, one line per entry, then "end":
 *   neigh ADDR MAC|- STATE UPDATED_MS CONFIRMED_MS|-1 USED_MS|-1 PROBES QUEUED GW
 * times are milliseconds ago; GW is 1 for a route's gateway.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "net/arp.h"
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
	const struct arp_table *t = &s->arp;
	char line[160], ip[16], mac[18];
	unsigned int i, k;

	for (i = 0; i < AX_ARP_ENTRIES; i++) {
		const struct arp_entry *e = &t->e[i];
		int gw = 0;

		if (e->state == ARP_FREE)
			continue;
		for (k = 0; k < s->routes.n; k++)
			gw |= s->routes.r[k].gw == e->ip;
		inet_ntop(AF_INET, &e->ip, ip, sizeof(ip));
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

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet neigh [--state-dir DIR | --ifname IF] [--json]\n"
		"\n"
		"List the neighbour (ARP) cache, like `ip neigh`: address, link-layer\n"
		"address, state (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), seconds\n"
		"since it was last updated, confirmed and used, requests sent for it\n"
		"(resolving or probing), frames waiting for it, and whether it is a\n"
		"gateway.\n");
}

/* "12.3s", or "-" for never (ms < 0). */
static const char *secs(char *buf, size_t len, long long ms)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld.%llds", ms / 1000, (ms % 1000) / 100);
	return buf;
}

/* JSON number or null. */
static const char *num(char *buf, size_t len, long long v)
{
	if (v < 0)
		snprintf(buf, len, "null");
	else
		snprintf(buf, len, "%lld", v);
	return buf;
}

static void begin(struct cli_ask *q)
{
	if (q->json)
		printf("[");
	else
		printf("%-15s %-17s %-10s %8s %9s %8s %6s %6s %s\n", "address", "lladdr",
		       "state", "updated", "confirmed", "used", "probes", "queued", "flags");
}

static int line(struct cli_ask *q, const char *line)
{
	char ip[16], mac[18], st[16], b1[24], b2[24], b3[24];
	long long upd, conf, used;
	unsigned int probes, queued;
	int gw;

	if (sscanf(line, "neigh %15s %17s %15s %lld %lld %lld %u %u %d", ip, mac, st, &upd,
		   &conf, &used, &probes, &queued, &gw) != 9)
		return -1;
	if (q->json) {
		char lladdr[24];

		if (strcmp(mac, "-") == 0)
			snprintf(lladdr, sizeof(lladdr), "null");
		else
			snprintf(lladdr, sizeof(lladdr), "\"%s\"", mac);
		printf("%s{\"dst\": \"%s\", \"lladdr\": %s, \"state\": \"%s\", "
		       "\"updated_ms\": %lld, \"confirmed_ms\": %s, \"used_ms\": %s, "
		       "\"probes\": %u, \"queued\": %u, \"gateway\": %s}",
		       q->n ? ", " : "", ip, lladdr, st, upd, num(b1, sizeof(b1), conf),
		       num(b2, sizeof(b2), used), probes, queued, gw ? "true" : "false");
	} else {
		printf("%-15s %-17s %-10s %8s %9s %8s %6u %6u %s\n", ip, mac, st,
		       secs(b1, sizeof(b1), upd), secs(b2, sizeof(b2), conf),
		       secs(b3, sizeof(b3), used), probes, queued, gw ? "gateway" : "");
	}
	return 0;
}

static void end(struct cli_ask *q)
{
	if (q->json)
		printf("]\n");
}

int cmd_neigh(int argc, char **argv)
{
	struct cli_ask q = {
		.cmd = "neigh",
		.request = "neigh",
		.cut_short = "the instance closed the connection early",
		.usage = usage,
		.begin = begin,
		.line = line,
		.end = end,
	};

	return cli_ask(argc, argv, &q);
}
