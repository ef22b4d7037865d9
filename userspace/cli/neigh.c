/*
 * neigh.c - `axnet neigh`: the neighbour (ARP) cache of the running
 * instance, like `ip neigh`. The lines are made by the daemon's
 * neigh_dump() (daemon/dump.c).
 *
 * Wire format, one line per entry, then "end":
 *   neigh ADDR MAC|- STATE UPDATED_MS CONFIRMED_MS|-1 USED_MS|-1 PROBES QUEUED GW
 * times are milliseconds ago; GW is 1 for a route's gateway.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common.h"


static void usage(void)
{
	fprintf(stderr,
		"usage: axnet neigh [--state-dir DIR | --ifname IF] [--json]\n"
		"\n"
		"List the neighbour cache of both families (ARP for IPv4, neighbor\n"
		"discovery for IPv6), like `ip neigh`: address, link-layer\n"
		"address, state (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), seconds\n"
		"since it was last updated, confirmed and used, requests sent for it\n"
		"(resolving or probing), frames waiting for it, and whether it is a\n"
		"gateway (or, for IPv6, a router).\n");
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
	char ip[46], mac[18], st[16], b1[24], b2[24], b3[24];
	long long upd, conf, used;
	unsigned int probes, queued;
	int gw;

	if (sscanf(line, "neigh %45s %17s %15s %lld %lld %lld %u %u %d", ip, mac, st, &upd,
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
