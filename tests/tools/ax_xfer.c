/*
 * ax_xfer - move bytes over TCP or UDP through libaxnet (or, built with
 * -DAX_KERNEL and tests/tools/ax_kernel.h, through the kernel's sockets:
 * the same program on both stacks), and say what moved: byte and datagram
 * counts and the SHA-256 of what was sent and of what was received.
 * Built only against <axnet/socket.h> and -laxnet: a program of a user's.
 *
 *   ax_xfer [OPTIONS] -c HOST PORT     connect to HOST:PORT
 *   ax_xfer [OPTIONS] -l PORT          TCP: accept one connection on PORT;
 *                                      UDP: receive on PORT
 *   -u          UDP (default TCP)
 *   -s BYTES    send BYTES (K, M, G suffixes) of a seeded random stream
 *               (TCP: then shut down writing, and without -r wait
 *               until the peer closed: secs then covers delivery)
 *   -r          receive: TCP until end of stream, UDP until -x bytes came
 *               or nothing came for -i ms; at the same time as -s
 *   -x BYTES    stop receiving after BYTES (TCP: then close)
 *   -i MS       UDP: stop receiving after MS ms of silence (default 3000)
 *   -d SIZE     UDP datagram size (default 1400)
 *   -R RATE     send (or, with -r only, read) at most RATE bytes/s
 *   -S SEED     the random stream's seed (default 1)
 *   -e          non-blocking sockets and ax_epoll_wait (level-triggered);
 *               -E the same, edge-triggered; default: blocking calls, a
 *               thread receiving while the main one sends
 *   -P          plain: do not hash (a goodput figure is not the hash's)
 *   -b SIZE     bytes per call (default 65536)
 *   -B SIZE     SO_SNDBUF and SO_RCVBUF (TCP; default: the stack's)
 *   -C COUNT    connect and close COUNT times in a row (TCP), print the
 *               connections per second; nothing else moves. With -l:
 *               accept and close COUNT connections (the other side of it)
 *   -D DIR      the instance's state directory (ax_init), else
 *               $AXNET_STATE_DIR or the only instance
 *
 * Prints, one line each, flushed as they happen:
 *   listening PORT / bound PORT               (-l, ready for the peer)
 *   connected                                 (the connection is up)
 *   sent bytes=N dgrams=N sha256=HEX secs=S
 *   received bytes=N dgrams=N sha256=HEX secs=S [intact=N bad=N dup=N
 *            reordered=N]                    (UDP: see udp_pattern)
 *   conns=N secs=S per_sec=R                  (-C)
 * Errors go to stderr as "ax_xfer: CALL: strerror (ENAME)"; exit 1 then,
 * 2 for bad usage, 0 when everything asked for moved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef AX_KERNEL
#include "ax_kernel.h"
#else
#include <axnet/socket.h>
#endif
#include "sha256.h"

static struct {
	int udp, listen, recv, epoll, edge, plain, conns;
	uint64_t send, expect, rate;
	unsigned int idle_ms, dgram, chunk, bufsize;
	uint64_t seed;
	const char *dir;
	struct sockaddr_in peer;
	uint16_t port;
} o = { .idle_ms = 3000, .dgram = 1400, .chunk = 65536, .seed = 1 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	int e = errno;

	fprintf(stderr, "ax_xfer: %s: %s (%s)\n", what, strerror(e),
		strerrorname_np(e) ? strerrorname_np(e) : "?");
	exit(1);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	default: break;
	}
	if (*end) {
		fprintf(stderr, "ax_xfer: not a size: %s\n", s);
		exit(2);
	}
	return v;
}

/*
 * UDP datagrams check themselves, so a test can tell lost from damaged:
 * datagram i carries i (8 bytes, little-endian), then bytes of a fixed
 * pattern from an offset i gives (tests/tools/kpeer.py makes and checks
 * the same). The receiver counts intact and bad datagrams, duplicates and
 * ones that came after a later one.
 */
#define UDP_PAT_LEN (65536 + 256)
static uint8_t udp_pat[UDP_PAT_LEN];

static void udp_pattern_init(void)
{
	uint32_t j;

	for (j = 0; j < UDP_PAT_LEN; j++)
		udp_pat[j] = (uint8_t)(j * 167 + 13);
}

static void udp_make(uint8_t *buf, size_t n, uint64_t seq)
{
	size_t k;

	for (k = 0; k < 8 && k < n; k++)
		buf[k] = (uint8_t)(seq >> (8 * k));
	if (n > 8)
		memcpy(buf + 8, udp_pat + (seq * 61) % 251, n - 8);
}

struct udp_check {
	uint64_t intact, bad, dup, reordered, max_seq;
	uint8_t *seen; /* a bit per sequence number */
	uint64_t nseen;
	int any;
};

static void udp_check(struct udp_check *c, const uint8_t *buf, size_t n)
{
	uint64_t seq = 0;
	size_t k;

	if (n < 8) {
		c->bad++;
		return;
	}
	for (k = 0; k < 8; k++)
		seq |= (uint64_t)buf[k] << (8 * k);
	if (seq >= c->nseen || memcmp(buf + 8, udp_pat + (seq * 61) % 251, n - 8) != 0) {
		c->bad++;
		return;
	}
	if (c->seen[seq / 8] & (1u << (seq % 8))) {
		c->dup++;
		return;
	}
	c->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	c->intact++;
	if (c->any && seq < c->max_seq)
		c->reordered++;
	if (!c->any || seq > c->max_seq)
		c->max_seq = seq;
	c->any = 1;
}

/* --- the sending side: a seeded stream (xorshift64*), paced ------------- */

struct tx {
	uint64_t x, done, dgrams;
	struct sha256 h;
	uint8_t *buf;
	size_t len, off; /* bytes of buf not yet sent: [off, len) */
	double t0;
};

static void tx_fill(struct tx *t, size_t n)
{
	size_t i;

	if (o.plain && t->len) { /* one fixed block over and over */
		t->len = n;
		t->off = 0;
		return;
	}
	if (o.udp) {
		udp_make(t->buf, n, t->dgrams);
		if (!o.plain)
			sha256_update(&t->h, t->buf, n);
		t->len = n;
		t->off = 0;
		return;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v;

		t->x ^= t->x >> 12;
		t->x ^= t->x << 25;
		t->x ^= t->x >> 27;
		v = t->x * 0x2545f4914f6cdd1dull;
		memcpy(t->buf + i, &v, 8);
	}
	for (; i < n; i++)
		t->buf[i] = (uint8_t)(t->x >> (8 * (i & 7)));
	if (!o.plain)
		sha256_update(&t->h, t->buf, n);
	t->len = n;
	t->off = 0;
}

/* The next piece to send (UDP: one datagram); 0 when all was sent. */
static size_t tx_next(struct tx *t)
{
	uint64_t left = o.send - t->done;

	if (t->off < t->len)
		return t->len - t->off;
	if (!left)
		return 0;
	tx_fill(t, (size_t)(left < (o.udp ? o.dgram : o.chunk) ? left : (o.udp ? o.dgram : o.chunk)));
	return t->len;
}

/* The socket took k bytes of the piece tx_next gave (UDP: the datagram). */
static void tx_sent(struct tx *t, size_t k)
{
	t->off += k;
	t->done += (uint64_t)k;
	t->dgrams++;
}

/* Sleep while we are ahead of -R. */
static void pace(double t0, uint64_t done)
{
	double ahead;

	if (!o.rate)
		return;
	ahead = (double)done / (double)o.rate - (now() - t0);
	if (ahead > 0) {
		struct timespec ts = { (time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

/* How long a paced sender may wait for the clock: for epoll timeouts. */
static int pace_ms(double t0, uint64_t done)
{
	double ahead;

	if (!o.rate)
		return 0;
	ahead = (double)done / (double)o.rate - (now() - t0);
	return ahead > 0 ? (int)(ahead * 1000) + 1 : 0;
}

/* --- the receiving side -------------------------------------------------- */

struct rx {
	uint64_t done, dgrams;
	struct udp_check uc;
	struct sha256 h;
	uint8_t *buf;
	int eof;
	double t0, last;
};

static void rx_got(struct rx *r, size_t n)
{
	if (!r->done && !r->dgrams) /* the clock starts with the first byte */
		r->t0 = now();
	if (!o.plain)
		sha256_update(&r->h, r->buf, n);
	if (o.udp)
		udp_check(&r->uc, r->buf, n);
	r->done += n;
	r->dgrams++;
	r->last = now();
	if (o.expect && r->done >= o.expect)
		r->eof = 1;
}

static void report(const char *what, uint64_t bytes, uint64_t dgrams, struct sha256 *h, double secs,
		   const struct udp_check *c)
{
	char hex[65] = "-";

	if (!o.plain)
		sha256_hex(h, hex);
	printf("%s bytes=%llu dgrams=%llu sha256=%s secs=%.3f", what, (unsigned long long)bytes,
	       (unsigned long long)(o.udp ? dgrams : 0), hex, secs);
	if (c)
		printf(" intact=%llu bad=%llu dup=%llu reordered=%llu", (unsigned long long)c->intact,
		       (unsigned long long)c->bad, (unsigned long long)c->dup,
		       (unsigned long long)c->reordered);
	printf("\n");
	fflush(stdout);
}

/* --- setting up ---------------------------------------------------------- */

static int open_socket(int nonblock)
{
	int fd = ax_socket(AF_INET, (o.udp ? SOCK_DGRAM : SOCK_STREAM) | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		die("socket");
	if (o.udp) { /* a burst of datagrams must fit while we hash */
		int sz = 4 << 20;

		if (ax_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
			die("setsockopt SO_RCVBUF");
	} else if (o.bufsize) {
		int sz = (int)o.bufsize;

		if (ax_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0 ||
		    ax_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
			die("setsockopt SO_SNDBUF/SO_RCVBUF");
	}
	return fd;
}

/* Wait for one event on fd (epoll mode, for connect and accept). */
static void wait_one(int fd, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.fd = fd };
	int ep = ax_epoll_create1(0), n;

	if (ep < 0)
		die("epoll_create1");
	if (ax_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
		die("epoll_ctl ADD");
	do
		n = ax_epoll_wait(ep, &e, 1, 60000);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("epoll_wait");
	if (n == 0) {
		errno = ETIMEDOUT;
		die("epoll_wait (60 s)");
	}
	ax_close(ep);
}

static int setup(void)
{
	int fd, one = 1;

	if (!o.listen) {
		fd = open_socket(o.epoll);
		if (ax_connect(fd, (struct sockaddr *)&o.peer, sizeof(o.peer)) < 0) {
			int err;
			socklen_t l = sizeof(err);

			if (errno != EINPROGRESS || !o.epoll)
				die("connect");
			wait_one(fd, EPOLLOUT);
			if (ax_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
				die("getsockopt SO_ERROR");
			if (err) {
				errno = err;
				die("connect (SO_ERROR)");
			}
		}
		if (!o.udp) {
			printf("connected\n");
			fflush(stdout);
		}
		return fd;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o.port) };

	fd = open_socket(o.epoll);
	if (ax_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("setsockopt SO_REUSEADDR");
	if (ax_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (o.udp) {
		printf("bound %u\n", o.port);
		fflush(stdout);
		return fd;
	}
	if (ax_listen(fd, 16) < 0)
		die("listen");
	printf("listening %u\n", o.port);
	fflush(stdout);
	for (;;) {
		int c = ax_accept4(fd, NULL, NULL, o.epoll ? SOCK_NONBLOCK : 0);

		if (c >= 0) {
			ax_close(fd);
			printf("connected\n");
			fflush(stdout);
			return c;
		}
		if (errno == EAGAIN && o.epoll)
			wait_one(fd, EPOLLIN);
		else if (errno != EINTR)
			die("accept");
	}
}

/* How much to ask for: no more than -x still wants (TCP). */
static size_t rx_want(const struct rx *r)
{
	if (o.udp)
		return 65536;
	if (o.expect && o.expect - r->done < o.chunk)
		return (size_t)(o.expect - r->done);
	return o.chunk;
}

/* TCP, sending only: after our FIN, wait for the peer's (reading and
 * dropping what it sends), so the time covers delivery. */
static void await_close(int fd)
{
	static uint8_t sink[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (ax_poll(&p, 1, 60000) == 0) {
			errno = ETIMEDOUT;
			die("waiting for the peer to close (60 s)");
		}
		n = ax_recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0)
			return;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("recv (waiting for the peer to close)");
	}
}

/* All was sent: TCP's FIN (then, sending only, the peer's), the report. */
static void tx_finish(int fd, struct tx *t)
{
	if (!o.udp && ax_shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	if (!o.udp && !o.recv)
		await_close(fd);
	report("sent", t->done, t->dgrams, &t->h, now() - t->t0, NULL);
}

/* What was received, as tx_finish reports what was sent. */
static void rx_report(struct rx *r)
{
	report("received", r->done, r->dgrams, &r->h, r->last - r->t0, o.udp ? &r->uc : NULL);
}

/* UDP receiving ends on -x bytes, or after -i ms without a datagram. */
static int rx_idle_over(struct rx *r)
{
	return o.udp && (now() - r->last) * 1000 >= o.idle_ms;
}

/* --- blocking mode: a thread receives while the main thread sends -------- */

struct rxarg {
	struct rx *r;
	int fd;
};

static void *rx_run(void *arg)
{
	struct rxarg *a = arg;
	struct rx *r = a->r;

	if (o.udp) {
		struct timeval tv = { 0, 200000 };

		if (ax_setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			die("setsockopt SO_RCVTIMEO");
	}
	r->t0 = r->last = now();
	while (!r->eof) {
		ssize_t n = ax_recv(a->fd, r->buf, rx_want(r), 0);

		if (n > 0) {
			rx_got(r, (size_t)n);
			if (!o.send)
				pace(r->t0, r->done);
		} else if (n == 0 && !o.udp) {
			r->eof = 1;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (rx_idle_over(r))
				break;
		} else if (n < 0) {
			die("recv");
		}
	}
	return NULL;
}

static void run_blocking(int fd, struct tx *t, struct rx *r)
{
	pthread_t th;
	struct rxarg a = { r, fd };

	if (o.recv && pthread_create(&th, NULL, rx_run, &a) != 0) {
		fprintf(stderr, "ax_xfer: pthread_create failed\n");
		exit(1);
	}
	if (o.send) {
		size_t n;

		t->t0 = now();
		while ((n = tx_next(t)) > 0) {
			ssize_t k = ax_send(fd, t->buf + t->off, n, MSG_NOSIGNAL);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				die("send");
			tx_sent(t, (size_t)k);
			pace(t->t0, t->done);
		}
		tx_finish(fd, t);
	}
	if (o.recv) {
		pthread_join(th, NULL);
		rx_report(r);
	}
}

/* --- epoll mode: one thread, non-blocking sockets ------------------------ */

static void run_epoll(int fd, struct tx *t, struct rx *r)
{
	struct epoll_event ev = { .data.fd = fd };
	int ep = ax_epoll_create1(0), sending = o.send > 0, et = o.edge ? EPOLLET : 0;
	uint32_t want = 0;

	if (ep < 0)
		die("epoll_create1");
	t->t0 = r->t0 = r->last = now();
	for (;;) {
		uint32_t w = (o.recv && !r->eof ? EPOLLIN : 0) | (sending ? EPOLLOUT : 0);
		int n, timeout = 200;

		if (!w)
			break;
		if (w != want) {
			ev.events = w | et;
			if (ax_epoll_ctl(ep, want ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
				die("epoll_ctl");
			want = w;
		}
		if (sending && o.rate) {
			int p = pace_ms(t->t0, t->done);

			if (p > 0) { /* ahead of the rate: only receive meanwhile */
				timeout = p < 200 ? p : 200;
				if (!(want & EPOLLIN)) {
					struct timespec ts = { 0, (long)timeout * 1000000 };

					nanosleep(&ts, NULL);
					continue;
				}
			}
		}
		n = ax_epoll_wait(ep, &ev, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		if (n == 0) {
			if (o.recv && !r->eof && rx_idle_over(r))
				r->eof = 1;
			if (!sending || pace_ms(t->t0, t->done) > 0)
				continue;
			ev.events = EPOLLOUT; /* paced: the clock, not the socket, held us */
		}
		if (ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP) && o.recv && !r->eof) {
			/* Edge-triggered: drain to EAGAIN, or no new edge comes. */
			for (;;) {
				ssize_t k = ax_recv(fd, r->buf, rx_want(r), 0);

				if (k > 0) {
					rx_got(r, (size_t)k);
					if (r->eof)
						break;
				} else if (k == 0 && !o.udp) {
					r->eof = 1;
					break;
				} else if (k < 0 && errno == EAGAIN) {
					break;
				} else if (k < 0) {
					die("recv");
				}
				if (!et)
					break;
			}
		}
		if (ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP) && sending) {
			for (;;) {
				size_t m = tx_next(t);
				ssize_t k;

				if (!m) {
					sending = 0;
					tx_finish(fd, t);
					break;
				}
				if (pace_ms(t->t0, t->done) > 0)
					break;
				k = ax_send(fd, t->buf + t->off, m, MSG_NOSIGNAL);
				if (k < 0 && errno == EAGAIN)
					break;
				if (k < 0)
					die("send");
				tx_sent(t, (size_t)k);
				if (!et && (size_t)k < m)
					break;
			}
		}
	}
	if (o.recv)
		rx_report(r);
	ax_close(ep);
}

/* --- -C: connections per second ----------------------------------------- */

static void run_conns(void)
{
	double t0 = now();
	int i;

	for (i = 0; i < o.conns; i++) {
		int fd = ax_socket(AF_INET, SOCK_STREAM, 0);
		struct linger lg = { 1, 0 }; /* RST: no TIME_WAIT left on our side */

		if (fd < 0)
			die("socket");
		if (ax_connect(fd, (struct sockaddr *)&o.peer, sizeof(o.peer)) < 0) {
			fprintf(stderr, "ax_xfer: connection %d of %d:\n", i + 1, o.conns);
			die("connect");
		}
		if (ax_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			die("setsockopt SO_LINGER");
		if (ax_close(fd) < 0)
			die("close");
	}
	double s = now() - t0;
	printf("conns=%d secs=%.3f per_sec=%.1f\n", o.conns, s, o.conns / s);
}

/* -l -C: accept and close, COUNT times. */
static void run_accepts(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o.port) };
	int ls = ax_socket(AF_INET, SOCK_STREAM, 0), one = 1, i;
	double t0 = 0;

	if (ls < 0)
		die("socket");
	if (ax_setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("setsockopt SO_REUSEADDR");
	if (ax_bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (ax_listen(ls, 4096) < 0)
		die("listen");
	printf("listening %u\n", o.port);
	fflush(stdout);
	for (i = 0; i < o.conns; i++) {
		int c = ax_accept(ls, NULL, NULL);

		if (c < 0 && errno == EINTR) {
			i--;
			continue;
		}
		if (c < 0)
			die("accept");
		if (!i)
			t0 = now();
		ax_close(c);
	}
	double s = now() - t0;
	printf("conns=%d secs=%.3f per_sec=%.1f\n", o.conns, s, o.conns / (s > 0 ? s : 1e-9));
	ax_close(ls);
}

static void usage(void)
{
	fprintf(stderr, "usage: ax_xfer [-u] [-s BYTES] [-r] [-x BYTES] [-i MS] [-d SIZE] [-R RATE] "
			"[-S SEED] [-e|-E] [-P] [-b SIZE] [-C COUNT] [-D DIR] (-c HOST PORT | -l PORT)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct tx t;
	static struct rx r;
	int opt, fd, connect = 0;

	while ((opt = getopt(argc, argv, "cl:us:rx:i:d:R:S:eEPb:B:C:D:")) != -1) {
		switch (opt) {
		case 'c': connect = 1; break;
		case 'l': o.listen = 1; o.port = (uint16_t)atoi(optarg); break;
		case 'u': o.udp = 1; break;
		case 's': o.send = parse_size(optarg); break;
		case 'r': o.recv = 1; break;
		case 'x': o.expect = parse_size(optarg); break;
		case 'i': o.idle_ms = (unsigned int)atoi(optarg); break;
		case 'd': o.dgram = (unsigned int)parse_size(optarg); break;
		case 'R': o.rate = parse_size(optarg); break;
		case 'S': o.seed = strtoull(optarg, NULL, 0); break;
		case 'e': o.epoll = 1; break;
		case 'E': o.epoll = o.edge = 1; break;
		case 'P': o.plain = 1; break;
		case 'b': o.chunk = (unsigned int)parse_size(optarg); break;
		case 'B': o.bufsize = (unsigned int)parse_size(optarg); break;
		case 'C': o.conns = atoi(optarg); break;
		case 'D': o.dir = optarg; break;
		default: usage();
		}
	}
	if (connect == o.listen)
		usage();
	if (connect) {
		if (optind != argc - 2 || inet_pton(AF_INET, argv[optind], &o.peer.sin_addr) != 1)
			usage();
		o.peer.sin_family = AF_INET;
		o.peer.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	} else if (optind != argc) {
		usage();
	}
	if (!o.chunk || !o.dgram || o.dgram > 65507 || (!o.send && !o.recv && !o.conns) ||
	    (o.conns && o.udp))
		usage();
	if (o.dir && ax_init(o.dir) < 0)
		die("init");
	if (o.conns) {
		if (o.listen)
			run_accepts();
		else
			run_conns();
		return 0;
	}
	t.x = o.seed * 0x9e3779b97f4a7c15ull + 1;
	if (o.udp) { /* room for a bit per datagram that could come */
		udp_pattern_init();
		r.uc.nseen = 1ull << 26;
		r.uc.seen = calloc(r.uc.nseen / 8, 1);
		if (!r.uc.seen)
			die("calloc");
	}
	sha256_init(&t.h);
	sha256_init(&r.h);
	t.buf = malloc(o.udp ? o.dgram : o.chunk);
	r.buf = malloc(o.udp ? 65536 : o.chunk);
	if (!t.buf || !r.buf)
		die("malloc");
	fd = setup();
	if (o.epoll)
		run_epoll(fd, &t, &r);
	else
		run_blocking(fd, &t, &r);
	if (ax_close(fd) < 0)
		die("close");
	free(t.buf);
	free(r.buf);
	free(r.uc.seen);
	return 0;
}
