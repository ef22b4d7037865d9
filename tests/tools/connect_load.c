/*
 * connect_load.c - the kernel's side of the authorization bench
 * (tests/bench/axiom_bench.sh): connections opened and closed as fast as
 * the peer takes them, each connect() timed.
 *
 *   connect_load connect ADDR PORT --conns N [--conc K] [--timeout-ms T]
 *                [--max-secs S] [--port-span P] [--gap-us G]
 *       N connections to ADDR:PORT from K threads (default 1: one after the
 *       other, so each connect() is timed alone); each is socket(),
 *       connect() (timed, CLOCK_MONOTONIC), close(). The close is an abort
 *       (SO_LINGER 0: one RST, no TIME_WAIT), so a long run never runs out
 *       of ephemeral ports and the peer spends nothing on a FIN handshake:
 *       what is measured is the handshake. Prints one line
 *         conns=N ok=N failed=N secs=S rate=R p50_us=U p99_us=U max_us=U
 *       (rate: connections that connected a second, the whole run's wall
 *       time) and, if any failed, "errors: NAME=N ...". Stops early after S
 *       seconds (default 120), counting what it did. Exit 0 when every
 *       connection connected, 1 otherwise. --gap-us G: each thread
 *       sleeps G us after each close (connections spaced out: the peer is
 *       idle when each SYN comes).
 *   connect_load listen ADDR PORT [--secs S] [--port-span P]
 *       The kernel's own listener, the bench's baseline: a backlog of 4096
 *       and LISTEN_THREADS accept loops a port that close at once, so the
 *       kernel's handshake is measured, not a slow server. Prints
 *       "listening", exits after S seconds (default 600) or on SIGTERM.
 *   --port-span P: ports PORT .. PORT+P-1 (at most 64): a listener on each;
 *       connecting, thread t uses PORT + t % P (so a server that limits
 *       half-open connections a listener sees K/P of them on each).
 *
 * Percentiles are nearest-rank on the sorted samples (index n*q), as
 * authz_latency() computes the daemon's own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_THREADS 4

static struct sockaddr_in dst;
static long port_span = 1;        /* ports PORT .. PORT + port_span - 1 */
static long conns, timeout_ms = 5000, gap_us;
static double max_secs = 120;
static uint32_t *lat_us;          /* one per connection; UINT32_MAX: failed or not run */
static long next_conn;            /* atomic: the next connection to open */
static uint64_t t_start_ns;
/* errno counts of failed connects (atomic), the few that happen. */
static long err_count[160];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	uint64_t deadline = t_start_ns + (uint64_t)(max_secs * 1e9);
	struct sockaddr_in to = dst;
	long i;

	/* Thread t connects to PORT + t % port_span. */
	to.sin_port = htons((uint16_t)(ntohs(dst.sin_port) + (long)(intptr_t)arg % port_span));
	while ((i = __atomic_fetch_add(&next_conn, 1, __ATOMIC_RELAXED)) < conns) {
		uint64_t t0, t1;
		int fd, e = 0;

		if (now_ns() > deadline)
			break;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			e = errno;
		} else {
			/* connect() on a blocking socket gives up after SO_SNDTIMEO. */
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			t0 = now_ns();
			if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0) {
				t1 = now_ns();
				lat_us[i] = (uint32_t)((t1 - t0 + 500) / 1000);
			} else {
				e = errno;
			}
			close(fd);
		}
		if (e)
			__atomic_fetch_add(&err_count[e < 160 ? e : 0], 1, __ATOMIC_RELAXED);
		if (gap_us) {
			struct timespec gap = { .tv_sec = gap_us / 1000000,
						.tv_nsec = (gap_us % 1000000) * 1000 };

			nanosleep(&gap, NULL);
		}
	}
	return NULL;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int run_connect(long k)
{
	pthread_t *th = calloc((size_t)k, sizeof(*th));
	long i, ok = 0, failed = 0;
	double secs;

	lat_us = malloc((size_t)conns * sizeof(*lat_us));
	if (!th || !lat_us) {
		perror("connect_load: malloc");
		return 2;
	}
	memset(lat_us, 0xff, (size_t)conns * sizeof(*lat_us));
	t_start_ns = now_ns();
	for (i = 0; i < k; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i)) {
			perror("connect_load: pthread_create");
			return 2;
		}
	for (i = 0; i < k; i++)
		pthread_join(th[i], NULL);
	secs = (double)(now_ns() - t_start_ns) / 1e9;
	for (i = 0; i < conns; i++)
		if (lat_us[i] != UINT32_MAX)
			lat_us[ok++] = lat_us[i];
	for (i = 0; i < 160; i++)
		failed += err_count[i];
	qsort(lat_us, (size_t)ok, sizeof(*lat_us), cmp_u32);
#define PCT(q) (ok ? lat_us[(long)(ok * (q)) < ok ? (long)(ok * (q)) : ok - 1] : 0)
	printf("conns=%ld ok=%ld failed=%ld secs=%.3f rate=%.0f p50_us=%u p99_us=%u max_us=%u\n",
	       conns, ok, failed, secs, secs > 0 ? (double)ok / secs : 0.0, PCT(0.5), PCT(0.99),
	       ok ? lat_us[ok - 1] : 0);
	if (failed) {
		printf("errors:");
		for (i = 0; i < 160; i++)
			if (err_count[i])
				printf(" %s=%ld", i ? strerrorname_np((int)i) : "other", err_count[i]);
		printf("\n");
	}
	free(th);
	free(lat_us);
	return ok == conns ? 0 : 1;
}

static void *acceptor(void *arg)
{
	int l = *(int *)arg;

	for (;;) {
		int c = accept(l, NULL, NULL);

		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			perror("connect_load: accept"), exit(2);
	}
	return NULL;
}

static int run_listen(long secs)
{
	static int ls[64];
	struct sockaddr_in a = dst;
	pthread_t th;
	int one = 1, i, j;

	for (j = 0; j < port_span; j++) {
		ls[j] = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_port = htons((uint16_t)(ntohs(dst.sin_port) + j));
		if (ls[j] < 0 || setsockopt(ls[j], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(ls[j], (struct sockaddr *)&a, sizeof(a)) || listen(ls[j], 4096)) {
			perror("connect_load: listen");
			return 2;
		}
	}
	alarm((unsigned int)secs); /* bounded: SIGALRM ends it */
	/* Several acceptors a port: one alone falls behind a client of 8
	 * threads (100k+ connections/s), the accept queue overflows and the
	 * dropped SYNs come back a second later, measuring the listener. */
	for (j = 0; j < port_span; j++)
		for (i = 0; i < LISTEN_THREADS; i++)
			if (pthread_create(&th, NULL, acceptor, &ls[j]))
				return perror("connect_load: pthread_create"), 2;
	printf("listening\n");
	fflush(stdout);
	for (;;)
		pause();
}

static void usage(void)
{
	fprintf(stderr, "usage: connect_load connect ADDR PORT --conns N [--conc K] [--timeout-ms T]"
			" [--max-secs S] [--port-span P] [--gap-us G]\n"
			"       connect_load listen ADDR PORT [--secs S] [--port-span P]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conns", required_argument, NULL, 'n' },
		{ "conc", required_argument, NULL, 'k' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "max-secs", required_argument, NULL, 'm' },
		{ "secs", required_argument, NULL, 's' },
		{ "port-span", required_argument, NULL, 'p' },
		{ "gap-us", required_argument, NULL, 'g' },
		{ 0 },
	};
	long k = 1, secs = 600;
	int c, listening;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': conns = atol(optarg); break;
		case 'k': k = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 'm': max_secs = atof(optarg); break;
		case 's': secs = atol(optarg); break;
		case 'p': port_span = atol(optarg); break;
		case 'g': gap_us = atol(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	listening = strcmp(argv[optind], "listen") == 0;
	if (!listening && strcmp(argv[optind], "connect") != 0)
		usage();
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[optind + 2]));
	if (inet_pton(AF_INET, argv[optind + 1], &dst.sin_addr) != 1 || port_span < 1 ||
	    port_span > 64 || ntohs(dst.sin_port) + port_span - 1 > 65535)
		usage();
	if (listening)
		return run_listen(secs > 0 ? secs : 600);
	if (conns <= 0 || k <= 0 || k > 1024 || timeout_ms <= 0 || max_secs <= 0 || gap_us < 0)
		usage();
	return run_connect(k < conns ? k : conns);
}
