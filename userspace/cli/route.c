/*
 * route.c - `axnet route` and `axnet addr`: the routing table and the
 * addresses of the running instance, like `ip route` + `ip -6 route` and
 * `ip addr`. The lines come from the daemon's route_dump()
 * (daemon/dump_route.c, wire format in daemon/dump.h); one request serves
 * both commands, each keeps its own kind of line.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "net/route.h"

struct view {
	int addrs;           /* `axnet addr` */
	unsigned long shown; /* lines printed */
};

static void usage_route(void)
{
	fprintf(stderr,
		"usage: axnet route [--state-dir DIR | --ifname IF] [--json]\n"
		"\n"
		"List the routing table of a running instance, IPv4 then IPv6, like\n"
		"`ip route` and `ip -6 route`: connected routes (proto kernel) from its\n"
		"addresses, --route and --gw routes (proto static), default routers\n"
		"from router advertisements (proto ra, with the seconds they have left).\n"
		"--json: an array of {\"dst\", \"gateway\" (absent on-link), \"protocol\",\n"
		"\"prefsrc\" (when set), \"expires\" (seconds, when set)}.\n");
}

static void usage_addr(void)
{
	fprintf(stderr,
		"usage: axnet addr [--state-dir DIR | --ifname IF] [--json]\n"
		"\n"
		"List the addresses of a running instance and their state: preferred\n"
		"(in use), tentative (IPv6, duplicate address detection running) or\n"
		"duplicate (another node holds it: not used). --json: an array of\n"
		"{\"local\", \"prefixlen\", \"family\", \"state\", \"flags\"}.\n");
}

static void begin(struct cli_ask *q)
{
	if (q->json)
		printf("[");
}

static int route_line(struct cli_ask *q, struct view *v, const char *line)
{
	char d[IP_ADDR_STRLEN], g[IP_ADDR_STRLEN], p[16], src[IP_ADDR_STRLEN], buf[256];
	unsigned int plen;
	long long exp;
	struct route r;

	if (sscanf(line, "route %45s %u %45s %15s %45s %lld", d, &plen, g, p, src, &exp) != 6)
		return -1;
	memset(&r, 0, sizeof(r));
	if (ip_addr_parse(d, &r.dst) || (strcmp(g, "-") && ip_addr_parse(g, &r.gw)) ||
	    (strcmp(src, "-") && ip_addr_parse(src, &r.prefsrc)) || plen > 128)
		return -1;
	r.plen = (uint8_t)plen;
	r.family = (uint8_t)ip_addr_family(&r.dst);
	r.proto = strcmp(p, "kernel") == 0 ? ROUTE_KERNEL
		  : strcmp(p, "static") == 0 ? ROUTE_STATIC : ROUTE_RA;
	/* route_fmt counts down from expires_ns to now: give it the seconds. */
	r.expires_ns = exp >= 0 ? (uint64_t)exp * 1000000000u + 1 : 0;
	if (!q->json) {
		printf("%s\n", route_fmt(&r, 1, buf, sizeof(buf)));
		return 0;
	}
	if (plen)
		snprintf(buf, sizeof(buf), "%s/%u", d, plen);
	else
		snprintf(buf, sizeof(buf), "default");
	printf("%s{\"dst\": \"%s\"", v->shown ? ", " : "", buf);
	if (strcmp(g, "-"))
		printf(", \"gateway\": \"%s\"", g);
	printf(", \"protocol\": \"%s\"", p);
	if (strcmp(src, "-"))
		printf(", \"prefsrc\": \"%s\"", src);
	if (exp >= 0)
		printf(", \"expires\": %lld", exp);
	printf("}");
	return 0;
}

static int addr_line(struct cli_ask *q, struct view *v, const char *line)
{
	char a[IP_ADDR_STRLEN], st[16], fl[64];
	struct ip_addr ip;
	unsigned int plen;

	if (sscanf(line, "addr %45s %u %15s %63s", a, &plen, st, fl) != 4 || ip_addr_parse(a, &ip))
		return -1;
	if (!q->json) {
		printf("inet%s %s/%u %s%s%s\n", ip_addr_is_v4(&ip) ? "" : "6", a, plen, st,
		       strcmp(fl, "-") ? " " : "", strcmp(fl, "-") ? fl : "");
		return 0;
	}
	printf("%s{\"local\": \"%s\", \"prefixlen\": %u, \"family\": \"inet%s\", "
	       "\"state\": \"%s\", \"flags\": [", v->shown ? ", " : "", a, plen,
	       ip_addr_is_v4(&ip) ? "" : "6", st);
	if (strcmp(fl, "-")) {
		char *save = NULL, *t;
		int k = 0;

		for (t = strtok_r(fl, ",", &save); t; t = strtok_r(NULL, ",", &save))
			printf("%s\"%s\"", k++ ? ", " : "", t);
	}
	printf("]}");
	return 0;
}

static int line(struct cli_ask *q, const char *l)
{
	struct view *v = q->arg;
	int err;

	if (strncmp(l, "route ", 6) == 0) {
		if (v->addrs)
			return 0;
		err = route_line(q, v, l);
	} else if (strncmp(l, "addr ", 5) == 0) {
		if (!v->addrs)
			return 0;
		err = addr_line(q, v, l);
	} else {
		return -1;
	}
	if (!err)
		v->shown++;
	return err;
}

static void end(struct cli_ask *q)
{
	if (q->json)
		printf("]\n");
}

static int ask(int argc, char **argv, int addrs)
{
	struct view v = { .addrs = addrs };
	struct cli_ask q = {
		.cmd = addrs ? "addr" : "route",
		.request = "route",
		.cut_short = "the instance closed the connection early",
		.usage = addrs ? usage_addr : usage_route,
		.begin = begin,
		.line = line,
		.end = end,
		.arg = &v,
	};

	return cli_ask(argc, argv, &q);
}

int cmd_route(int argc, char **argv)
{
	return ask(argc, argv, 0);
}

int cmd_addr(int argc, char **argv)
{
	return ask(argc, argv, 1);
}
