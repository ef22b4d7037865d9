/*
 * main.c - the `axnet` command: a table of subcommands, one file each.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "daemon/daemon.h"

static const struct cli_cmd cmds[] = {
	{ "run", daemon_main, "attach to an interface and run the stack" },
	{ "stats", cmd_stats, "counters of a running instance" },
	{ "ping", cmd_ping, "ICMP echo from a running instance" },
	{ "conns", cmd_conns, "TCP connections of a running instance" },
	{ "neigh", cmd_neigh, "the neighbour (ARP) cache of a running instance" },
	{ "route", cmd_route, "the routing table of a running instance, both families" },
	{ "addr", cmd_addr, "the addresses of a running instance and their state" },
	{ "nc", cmd_nc, "a TCP connection from a running instance, on stdin/stdout" },
	{ "exec", cmd_exec, "run an unmodified program with its sockets on a running instance" },
	{ "demo", cmd_demo, "namespaces, a veth pair, pings both ways; cleans up" },
	{ "log", cmd_log, "print, follow or verify the commit log (Axiom)" },
	{ "policy", cmd_policy, "connection policies: check a file" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: axnet COMMAND [OPTIONS]  (axnet COMMAND --help for more)\n\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "axnet: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
