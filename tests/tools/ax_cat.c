/*
 * ax_cat.c - cat over an axnet TCP connection, a program built only
 * against include/axnet/socket.h and libaxnet: stdin goes to the peer
 * (then SHUT_WR), what the peer sends goes to stdout, until its end.
 *
 *   ax_cat [-f] [-m threads|poll|epoll] HOST PORT
 *
 * threads: blocking calls, a writer thread and a reader (the socket shared
 * by two threads); poll: one thread, a non-blocking socket and the kernel's
 * stdin/stdout in one ax_poll; epoll: the same in one ax_epoll set.
 * -f: fork after connecting; the child moves the data, the parent closes
 * its descriptor at once (the socket must live on in the child, as the
 * kernel's does) and exits with the child's status.
 * Exit 0 when all of stdin was sent and the peer's end was read; 1 with a
 * message on stderr otherwise. tests/e2e/test-libaxnet-lib.sh runs it
 * against a kernel echo server and compares SHA-256.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "axnet/socket.h"

#define BUF (256 * 1024)

static int sock;

static void die(const char *what)
{
	fprintf(stderr, "ax_cat: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = ax_write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *writer(void *arg)
{
	static char buf[BUF];
	ssize_t n;

	(void)arg;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write_all(sock, buf, (size_t)n))
			die("send");
	if (n < 0)
		die("stdin");
	if (ax_shutdown(sock, SHUT_WR))
		die("shutdown");
	return NULL;
}

static void run_threads(void)
{
	static char buf[BUF];
	pthread_t th;
	ssize_t n;

	pthread_create(&th, NULL, writer, NULL);
	while ((n = ax_read(sock, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		if (write_all(1, buf, (size_t)n))
			die("stdout");
	}
	pthread_join(th, NULL);
}

/* One thread: stdin -> pending -> socket; socket -> stdout. */
static void run_events(int use_epoll)
{
	static char in[BUF], out[BUF];
	size_t in_len = 0, in_off = 0;
	int in_eof = 0, shut = 0, sock_eof = 0, ep = -1;
	int fl = ax_fcntl(sock, F_GETFL);

	if (ax_fcntl(sock, F_SETFL, fl | O_NONBLOCK))
		die("fcntl");
	if (use_epoll) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = sock };
		ep = ax_epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || ax_epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev))
			die("epoll");
		ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = 0 };
		if (ax_epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev))
			die("epoll stdin");
	}
	while (!sock_eof) {
		ssize_t n;

		if (use_epoll) {
			struct epoll_event evs[4];
			if (ax_epoll_wait(ep, evs, 4, 10000) < 0 && errno != EINTR)
				die("epoll_wait");
		} else {
			struct pollfd p[2] = {
				{ .fd = sock, .events = POLLIN | (in_len > in_off ? POLLOUT : 0) },
				{ .fd = in_eof || in_len > in_off ? -1 : 0, .events = POLLIN },
			};
			if (ax_poll(p, 2, 10000) < 0 && errno != EINTR)
				die("poll");
		}
		/* Everything that can move, until it would block (edge). */
		if (!in_eof && in_off == in_len) {
			n = read(0, in, sizeof(in));
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("stdin");
			if (n == 0) {
				in_eof = 1;
				if (use_epoll)
					ax_epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
			}
			if (n > 0) {
				in_len = (size_t)n;
				in_off = 0;
			}
		}
		while (in_off < in_len) {
			n = ax_send(sock, in + in_off, in_len - in_off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("send");
			}
			in_off += (size_t)n;
		}
		if (in_eof && in_off == in_len && !shut) {
			if (ax_shutdown(sock, SHUT_WR))
				die("shutdown");
			shut = 1;
		}
		for (;;) {
			n = ax_recv(sock, out, sizeof(out), 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("recv");
			}
			if (n == 0) {
				sock_eof = 1;
				break;
			}
			if (write_all(1, out, (size_t)n))
				die("stdout");
		}
	}
	if (!shut)
		die("peer ended before our input did");
	if (ep >= 0)
		ax_close(ep);
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	const char *mode = "threads";
	int opt, do_fork = 0;

	while ((opt = getopt(argc, argv, "fm:")) != -1) {
		if (opt == 'm')
			mode = optarg;
		else if (opt == 'f')
			do_fork = 1;
		else
			return 2;
	}
	if (argc - optind != 2 || inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: ax_cat [-f] [-m threads|poll|epoll] HOST PORT\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	sock = ax_socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0)
		die("socket");
	if (ax_connect(sock, (struct sockaddr *)&to, sizeof(to)))
		die("connect");
	if (do_fork) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			die("fork");
		if (pid > 0) {
			/* Our reference goes; the child's keeps the socket. */
			if (ax_close(sock))
				die("close in the parent");
			if (waitpid(pid, &st, 0) != pid)
				die("waitpid");
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
	}
	if (!strcmp(mode, "threads"))
		run_threads();
	else if (!strcmp(mode, "poll") || !strcmp(mode, "epoll"))
		run_events(!strcmp(mode, "epoll"));
	else
		return 2;
	if (ax_close(sock))
		die("close");
	return 0;
}
