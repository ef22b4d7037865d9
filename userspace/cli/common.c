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

#include "control.h"

int cli_state_dir(const char *dir, const char *ifname, char out[PATH_MAX])
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (dir) {
		snprintf(out, PATH_MAX, "%s", dir);
		return 0;
	}
	if (ifname) {
		snprintf(out, PATH_MAX, "%s/%s", AX_RUN_ROOT, ifname);
		return 0;
	}
	d = opendir(AX_RUN_ROOT);
	if (!d) {
		fprintf(stderr, "axnet: no instance is running (%s is missing); "
				"give --state-dir or --ifname\n", AX_RUN_ROOT);
		return -ENOENT;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (found++ == 0)
			snprintf(out, PATH_MAX, "%s/%s", AX_RUN_ROOT, de->d_name);
	}
	closedir(d);
	if (found == 1)
		return 0;
	fprintf(stderr, "axnet: %s instances under %s; give --state-dir or --ifname\n",
		found ? "several" : "no", AX_RUN_ROOT);
	return found ? -EINVAL : -ENOENT;
}

int cli_parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

int cli_parse_prefix(const char *s, uint32_t *addr, uint8_t *plen)
{
	char buf[64];
	char *slash, *end;
	long n;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || n < 0 || n > 32)
		return -EINVAL;
	*plen = (uint8_t)n;
	return cli_parse_addr(buf, addr);
}

int cli_enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
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
