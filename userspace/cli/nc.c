/*
 * nc.c - `axnet nc`: netcat on axnet's sockets. An ordinary libaxnet
 * program (include/axnet/socket.h) in its own process: its connections
 * are the running instance's (its address, its TCP/UDP), authorized by the
 * policy as this program (uid, executable) like any other's.
 *
 *   axnet nc [-u] [-w SECS] HOST PORT   connect (HOST IPv4 or IPv6, [v6]
 *                                       and fe80::1%IF too); stdin to the
 *                                       peer, the peer's data to stdout
 *   axnet nc [-u] [-4|-6] [-w SECS] -l PORT   listen, on both families
 *                                       (an AF_INET6 socket on [::], as
 *                                       ncat), -4 IPv4 only, -6 IPv6 only
 *                                       (TCP: accept one connection; UDP:
 *                                       answer whoever sent the first
 *                                       datagram)
 * TCP: end of stdin shuts down writing (FIN); nc exits when the peer has
 * closed. UDP: each read from stdin is one datagram; nc exits after SECS
 * (-w) without traffic once stdin ended, else when killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <axnet/socket.h>

#include "common.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet nc [--state-dir DIR | --ifname IF] [-u] [-w SECS] HOST PORT\n"
		"       axnet nc [--state-dir DIR | --ifname IF] [-u] [-4|-6] [-w SECS] -l PORT\n"
		"\n"
		"netcat through the running axnet instance, as an ordinary program of\n"
		"its (libaxnet): connect to HOST:PORT (an IPv4 or IPv6 address; a\n"
		"link-local one as fe80::1%%IF), or with -l listen on PORT and take one\n"
		"connection (both families: IPv4 peers on [::]; -4 IPv4 only, -6 IPv6\n"
		"only); send stdin (TCP: a FIN at its end) and copy what\n"
		"comes to stdout until the peer closes. -u: UDP, one datagram per read\n"
		"of stdin, answering the first sender with -l. -w SECS: with -u, quit\n"
		"SECS after stdin ended and nothing came. The policy sees this program\n"
		"(its uid and executable) like any other. Exit status 0 on a clean\n"
		"close, 1 on an error (said on stderr), 2 on bad usage.\n");
}

/* "axnet nc: WHERE: strerror", and for EACCES what denied it. */
static int fail(const char *where, int err)
{
	fprintf(stderr, "axnet nc: %s: %s%s\n", where, strerror(err),
		err == EACCES ? " (authorization denied by the instance's policy)" : "");
	return 1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TCP: take one connection on a listener. */
static int accept_one(int ls, const char *where)
{
	int fd;

	do
		fd = ax_accept(ls, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		fail(where, errno);
		return -1;
	}
	ax_close(ls);
	return fd;
}

/* Both directions at once until the stream ends (TCP) or -w (UDP). */
static int pump(int fd, int udp, int connected, double wait_s)
{
	static char inbuf[65507], outbuf[65536];
	size_t inlen = 0, inoff = 0;
	int in_eof = 0;
	double last = now();

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = (!in_eof && inoff == inlen && connected) ? 0 : -1, .events = POLLIN },
			{ .fd = fd, .events = POLLIN | (inoff < inlen ? POLLOUT : 0) },
		};
		int timeout = -1;

		if (udp && in_eof && wait_s > 0) {
			double left = wait_s - (now() - last);

			if (left <= 0)
				return 0;
			timeout = (int)(left * 1000) + 1;
		}
		if (ax_poll(p, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll", errno);
		}
		if (p[0].revents) {
			ssize_t n = read(0, inbuf, sizeof(inbuf));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_eof = 1;
				last = now();
				if (!udp && ax_shutdown(fd, SHUT_WR) < 0)
					return fail("shutdown", errno);
			} else {
				inlen = (size_t)n;
				inoff = 0;
			}
		}
		if ((p[1].revents & (POLLOUT | POLLERR)) && inoff < inlen) {
			ssize_t n = ax_send(fd, inbuf + inoff, inlen - inoff, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n >= 0)
				inoff = udp ? inlen : inoff + (size_t)n;
			else if (errno != EAGAIN && errno != EINTR)
				return fail("send", errno);
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct sockaddr_in6 from;
			socklen_t fl = sizeof(from);
			ssize_t n = ax_recvfrom(fd, outbuf, sizeof(outbuf), MSG_DONTWAIT,
						(struct sockaddr *)&from, &fl);

			if (n == 0 && !udp)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail("recv", errno);
			if (n >= 0) {
				last = now();
				/* UDP -l: the first sender becomes the peer, as nc -u -l. */
				if (udp && !connected) {
					if (ax_connect(fd, (struct sockaddr *)&from, fl) < 0)
						return fail("connect to the first sender", errno);
					connected = 1;
				}
				if (write_all(1, outbuf, (size_t)n) < 0)
					return fail("stdout", errno);
			}
		}
	}
}

/* HOST as a socket address: a.b.c.d, an IPv6 address (brackets allowed),
 * fe80::1%IF (or %N) for a link-local one. 0 or -1. */
static int host_parse(const char *host, int port, struct sockaddr_in6 *sa, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 4], *pct;
	size_t n = strlen(host);

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (n >= sizeof(buf))
		return -1;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']')
		snprintf(buf, sizeof(buf), "%.*s", (int)(n - 2), host + 1);
	else
		snprintf(buf, sizeof(buf), "%s", host);
	pct = strchr(buf, '%');
	if (pct) {
		*pct++ = 0;
		sa->sin6_scope_id = if_nametoindex(pct);
		if (!sa->sin6_scope_id)
			sa->sin6_scope_id = (uint32_t)strtoul(pct, NULL, 10);
		if (!sa->sin6_scope_id)
			return -1;
	}
	if (inet_pton(AF_INET6, buf, &sa->sin6_addr) != 1)
		return -1;
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	*len = sizeof(*sa);
	return 0;
}

int cmd_nc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL, *lport = NULL;
	char state[PATH_MAX], where[128];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	socklen_t salen = sizeof(sa);
	int opt, udp = 0, fd, port, one = 1, rc, only = 0;
	double wait_s = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hu46l:w:", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'u': udp = 1; break;
		case '4': only = 4; break;
		case '6': only = 6; break;
		case 'l': lport = optarg; break;
		case 'w': wait_s = atof(optarg); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (lport ? optind != argc : optind != argc - 2) {
		usage();
		return 2;
	}
	port = atoi(lport ? lport : argv[optind + 1]);
	if (port <= 0 || port > 65535 || wait_s < 0 ||
	    (!lport && host_parse(argv[optind], port, &sa, &salen) < 0)) {
		usage();
		return 2;
	}
	/* The instance: as the other commands find it, unless the
	 * environment names one (AXNET_STATE_DIR, libaxnet's own lookup). */
	if (dir || ifname || !getenv("AXNET_STATE_DIR")) {
		if (cli_state_dir(dir, ifname, state) < 0)
			return 1;
		if (ax_init(state) < 0)
			return fail(state, errno);
	}
	if (lport) {
		snprintf(where, sizeof(where), "port %d", port);
		if (only == 4) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&sa;

			memset(&sa, 0, sizeof(sa));
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)port);
			salen = sizeof(*sin);
		} else {
			sa.sin6_port = htons((uint16_t)port);
		}
	} else {
		snprintf(where, sizeof(where), "%s:%d", argv[optind], port);
	}
	fd = ax_socket(sa.sin6_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket", errno);
	if (lport) {
		int v6only = only == 6;

		if (ax_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    (sa.sin6_family == AF_INET6 &&
		     ax_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) ||
		    ax_bind(fd, (struct sockaddr *)&sa, salen) < 0 ||
		    (!udp && ax_listen(fd, 1) < 0)) {
			rc = fail(where, errno);
			ax_close(fd);
			return rc;
		}
		if (!udp && (fd = accept_one(fd, where)) < 0)
			return 1;
	} else {
		if (ax_connect(fd, (struct sockaddr *)&sa, salen) < 0) {
			rc = fail(where, errno);
			ax_close(fd);
			return rc;
		}
	}
	rc = pump(fd, udp, !lport || !udp, wait_s);
	ax_close(fd);
	return rc;
}
