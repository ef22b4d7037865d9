/*
 * ax_idle - hold N idle TCP connections through libaxnet and say what
 * they cost this process: the pages of the shared segment it touched
 * (the rings and slots the daemon handed it), for the bench's "memory per
 * idle connection". Built only against <axnet/socket.h> and -laxnet.
 *
 *   ax_idle [-n N] [-D DIR] HOST PORT
 *
 * Connects N times (default 1000) to HOST:PORT (blocking: each connect
 * waits for its authorization to commit), then prints
 *   held conns=N seg_rss_kb=K
 * where K is the resident size of the mapping of the daemon's segment
 * (/proc/self/smaps, the "memfd:" mapping), and waits until stdin closes,
 * then closes everything. Exit 1 with a message on any failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <axnet/socket.h>

/* Resident kB of the memfd mappings (the segment), -1 when none. */
static long seg_rss_kb(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long total = -1;
	int in_seg = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long kb;

		if (strncmp(line, "Rss:", 4) == 0) {
			if (in_seg && sscanf(line + 4, "%ld", &kb) == 1)
				total = (total < 0 ? 0 : total) + kb;
			continue;
		}
		/* A mapping's header: "start-end perms offset dev inode path";
		 * the fields' lines ("Name:   value") start with a capital. */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))
			in_seg = strstr(line, "/memfd:") != NULL;
	}
	fclose(f);
	return total;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *dir = NULL;
	long n = 1000, i;
	int c, *fds;
	char buf[64];

	while ((c = getopt(argc, argv, "n:D:")) != -1) {
		if (c == 'n')
			n = strtol(optarg, NULL, 0);
		else if (c == 'D')
			dir = optarg;
		else
			return 2;
	}
	if (argc - optind != 2 || n <= 0 || inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: ax_idle [-n N] [-D DIR] HOST PORT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	if (dir && ax_init(dir) < 0) {
		fprintf(stderr, "ax_idle: ax_init: %s\n", strerror(errno));
		return 1;
	}
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = ax_socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || ax_connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "ax_idle: connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("held conns=%ld seg_rss_kb=%ld\n", n, seg_rss_kb());
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (i = 0; i < n; i++)
		ax_close(fds[i]);
	return 0;
}
