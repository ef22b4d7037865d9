/*
 * ax_epoll_many - many axnet sockets in one epoll set, one of them active:
 * a wait returns that one, and costs what it costs with a set of ten (the
 * library keeps a ready list, as the kernel does: it must not scan the
 * idle sockets). Built only against <axnet/socket.h> and -laxnet (or,
 * with -DAX_KERNEL, on the kernel's epoll: the reference).
 *
 *   ax_epoll_many [-n IDLE] [-w WAITS] [-D DIR] PORT
 *
 * Opens IDLE UDP sockets (default 10000; the file limit is raised to fit)
 * and one UDP socket bound to PORT, all in one epoll set for EPOLLIN;
 * prints "ready N" and waits (at most 20 s) for a datagram to PORT from
 * anywhere. The wait must return exactly that socket, EPOLLIN. The
 * datagram stays unread, so the socket stays ready (level-triggered): then
 *   - WAITS waits (default 20000) on the big set, each must return it;
 *   - the same on a set of 9 idle sockets and the active one;
 *   - WAITS waits with timeout 0 on IDLE idle sockets alone, and on 9,
 *     each must return nothing;
 * each the best of 5 rounds, printed as
 *   got fd=N events=0x1 payload=...
 *   wait_ns big=B small=S ratio=R          (one ready)
 *   idle_ns big=B small=S ratio=R          (none ready)
 * Exit 0, or 1 with a message when a wait returned something else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef AX_KERNEL
#include "ax_kernel.h"
#else
#include <axnet/socket.h>
#endif

static void die(const char *what)
{
	int e = errno;

	fprintf(stderr, "ax_epoll_many: %s: %s (%s)\n", what, strerror(e),
		strerrorname_np(e) ? strerrorname_np(e) : "?");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (ax_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl ADD");
}

/* ns per wait over `waits` waits on ep, the best of 5 rounds; every wait
 * must return `want` (the active fd), or nothing when want < 0. */
static double time_waits(int ep, int want, int waits)
{
	double best = 1e30;
	int round, i;

	for (round = 0; round < 5; round++) {
		double t0 = now(), t;

		for (i = 0; i < waits; i++) {
			struct epoll_event ev[4];
			int n = ax_epoll_wait(ep, ev, 4, 0);

			if (n < 0)
				die("epoll_wait");
			if ((want < 0 && n != 0) ||
			    (want >= 0 && (n != 1 || ev[0].data.fd != want || ev[0].events != EPOLLIN))) {
				fprintf(stderr, "ax_epoll_many: wait %d returned %d events (fd %d, 0x%x), "
						"want %s\n", i, n, n > 0 ? ev[0].data.fd : -1,
					n > 0 ? ev[0].events : 0, want < 0 ? "none" : "the active socket");
				exit(1);
			}
		}
		t = (now() - t0) / waits * 1e9;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	int idle = 10000, waits = 20000, opt, i, n, active, big, small, none_big, none_small;
	struct rlimit rl;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev;
	char buf[64] = "";
	int *fds;
	double wb, ws, ib, is;

	while ((opt = getopt(argc, argv, "n:w:D:")) != -1) {
		switch (opt) {
		case 'n': idle = atoi(optarg); break;
		case 'w': waits = atoi(optarg); break;
		case 'D':
			if (ax_init(optarg) < 0)
				die("init");
			break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || idle < 9 || waits < 1)
		goto usage;
	sa.sin_port = htons((uint16_t)atoi(argv[optind]));
	/* A socket is a descriptor: IDLE of them need the limit raised. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit");
	if (rl.rlim_cur < (rlim_t)idle + 64) {
		rl.rlim_cur = (rlim_t)idle + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit RLIMIT_NOFILE");
	}
	fds = calloc((size_t)idle, sizeof(*fds));
	if (!fds)
		die("calloc");
	big = ax_epoll_create1(0);
	small = ax_epoll_create1(0);
	none_big = ax_epoll_create1(0);
	none_small = ax_epoll_create1(0);
	if (big < 0 || small < 0 || none_big < 0 || none_small < 0)
		die("epoll_create1");
	for (i = 0; i < idle; i++) {
		fds[i] = ax_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0) {
			fprintf(stderr, "ax_epoll_many: socket %d of %d:\n", i + 1, idle);
			die("socket");
		}
		add(big, fds[i]);
		add(none_big, fds[i]);
		if (i < 9) {
			add(small, fds[i]);
			add(none_small, fds[i]);
		}
	}
	active = ax_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (active < 0)
		die("socket (active)");
	if (ax_bind(active, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	add(big, active);
	add(small, active);
	printf("ready %d\n", idle + 1);
	fflush(stdout);

	n = ax_epoll_wait(big, &ev, 1, 20000);
	if (n < 0)
		die("epoll_wait");
	if (n != 1 || ev.data.fd != active || !(ev.events & EPOLLIN)) {
		fprintf(stderr, "ax_epoll_many: the first wait returned %d (fd %d, 0x%x), want fd %d\n",
			n, n ? ev.data.fd : -1, n ? ev.events : 0, active);
		return 1;
	}
	n = (int)ax_recv(active, buf, sizeof(buf) - 1, MSG_PEEK);
	if (n < 0)
		die("recv MSG_PEEK");
	buf[n] = '\0';
	printf("got fd=%d events=0x%x payload=%s\n", ev.data.fd, ev.events, buf);
	fflush(stdout);

	wb = time_waits(big, active, waits);
	ws = time_waits(small, active, waits);
	ib = time_waits(none_big, -1, waits);
	is = time_waits(none_small, -1, waits);
	printf("wait_ns big=%.0f small=%.0f ratio=%.2f\n", wb, ws, wb / ws);
	printf("idle_ns big=%.0f small=%.0f ratio=%.2f\n", ib, is, ib / is);
	fflush(stdout);
	for (i = 0; i < idle; i++)
		ax_close(fds[i]);
	ax_close(active);
	ax_close(big);
	ax_close(small);
	ax_close(none_big);
	ax_close(none_small);
	free(fds);
	return 0;
usage:
	fprintf(stderr, "usage: ax_epoll_many [-n IDLE] [-w WAITS] [-D DIR] PORT\n");
	return 2;
}
