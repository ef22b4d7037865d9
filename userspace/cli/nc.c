/*
 * nc.c - `axnet nc HOST PORT`: a netcat-like client whose TCP connection
 * is opened by the running axnet instance (its address, its TCP), with
 * stdin streamed to the connection and the connection's data to stdout.
 * See relay.h for the protocol on the control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "ctl_client.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: axnet nc [--state-dir DIR | --ifname IF] HOST PORT\n"
		"\n"
		"Open a TCP connection from the running axnet instance to HOST:PORT,\n"
		"send stdin into it (a FIN at end of input) and copy what comes back\n"
		"to stdout until the peer closes. Exit status 0 on a clean close, 1 if\n"
		"the connection could not be made.\n");
}

/* Write all of buf to a (blocking) fd. */
static int write_all(int fd, const uint8_t *buf, size_t len)
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

int cmd_nc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ifname = NULL;
	char state[PATH_MAX], req[128], line[256];
	static uint8_t inbuf[65536], outbuf[65536];
	size_t inlen = 0, inoff = 0, ll = 0;
	int opt, fd, in_eof = 0, out_eof = 0;
	uint32_t addr;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': dir = optarg; break;
		case 'i': ifname = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc - 2 || addr_parse4(argv[optind], &addr) < 0 ||
	    atoi(argv[optind + 1]) <= 0 || atoi(argv[optind + 1]) > 65535) {
		usage();
		return 2;
	}
	if (cli_state_dir(dir, ifname, state) < 0)
		return 1;
	snprintf(req, sizeof(req), "nc %s %s\n", argv[optind], argv[optind + 1]);
	fd = ctl_connect(state);
	if (fd < 0)
		return 1;
	if (write_all(fd, (const uint8_t *)req, strlen(req)) < 0) {
		fprintf(stderr, "axnet nc: cannot talk to the instance\n");
		close(fd);
		return 1;
	}
	/* The status line, byte by byte: what follows is the stream. */
	while (ll < sizeof(line) - 1) {
		char ch;
		ssize_t n = read(fd, &ch, 1);

		if (n <= 0)
			break;
		if (ch == '\n')
			break;
		line[ll++] = ch;
	}
	line[ll] = '\0';
	if (strcmp(line, "connected") != 0) {
		fprintf(stderr, "axnet nc: %s:%s: %s\n", argv[optind], argv[optind + 1],
			strncmp(line, "error ", 6) == 0 ? line + 6 : "no answer");
		close(fd);
		return 1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!out_eof) {
		struct pollfd p[2] = {
			{ .fd = (!in_eof && inoff == inlen) ? 0 : -1, .events = POLLIN },
			{ .fd = fd, .events = POLLIN | (inoff < inlen ? POLLOUT : 0) },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(0, inbuf, sizeof(inbuf));

			if (n <= 0) {
				in_eof = 1;
				shutdown(fd, SHUT_WR); /* the instance sends FIN */
			} else {
				inlen = (size_t)n;
				inoff = 0;
			}
		}
		if ((p[1].revents & POLLOUT) && inoff < inlen) {
			ssize_t n = send(fd, inbuf + inoff, inlen - inoff, MSG_NOSIGNAL);

			if (n > 0)
				inoff += (size_t)n;
			else if (errno != EAGAIN)
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, outbuf, sizeof(outbuf), 0);

			if (n == 0)
				out_eof = 1;
			else if (n > 0 && write_all(1, outbuf, (size_t)n) < 0)
				break;
			else if (n < 0 && errno != EAGAIN)
				break;
		}
	}
	close(fd);
	return out_eof ? 0 : 1;
}
