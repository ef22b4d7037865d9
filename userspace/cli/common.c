/*
 * common.c - see common.h.
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "util/instance.h"

int cli_state_dir(const char *dir, const char *ifname, char out[PATH_MAX])
{
	int n, err = instance_state_dir(dir, ifname, out, &n);

	if (err == -ENOENT)
		fprintf(stderr, "axnet: no instance is running (nothing under %s); "
				"give --state-dir or --ifname\n", AX_RUN_ROOT);
	else if (err)
		fprintf(stderr, "axnet: %d instances under %s; give --state-dir or --ifname\n",
			n, AX_RUN_ROOT);
	return err;
}

static int ask_line(void *arg, const char *line)
{
	struct cli_ask *q = arg;
	int rc = q->line(q, line);

	if (rc == 0)
		q->n++;
	return rc;
}

int cli_ask(int argc, char **argv, struct cli_ask *q)
{
	struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	char state[PATH_MAX];
	int opt, rc;
	FILE *f;

	if (!q->takes_all)
		opts[4] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'j': q->json = 1; break;
		case 'a': q->all = 1; break;
		case 'h': q->usage(); return 0;
		default: q->usage(); return 2;
		}
	}
	if (optind != argc) {
		q->usage();
		return 2;
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	f = ctl_request(state, q->request);
	if (!f)
		return 1;
	if (q->begin)
		q->begin(q);
	rc = ctl_reply(f, q->cmd, ask_line, q);
	if (rc > 0)
		return 1;
	if (q->end)
		q->end(q);
	if (rc < 0) {
		fprintf(stderr, "axnet %s: %s\n", q->cmd, q->cut_short);
		return 1;
	}
	return 0;
}
