/*
 * axiom_stress.c - load for Axiom: N entries from T threads into the log
 * in DIR/axiom/, printing "committed SEQ" on stdout as each commit is
 * reported (one write(2) per line, so nothing sits in a buffer when the
 * process is killed). For crash tests: kill -9 it anywhere, then every
 * printed seq must be in the log (`axnet log verify`, `axnet log`).
 *
 *   axiom_stress [-n N] [-t T] [-w W] [-p BYTES] [-s SEGSIZE] [-q] DIR
 *
 *   -n N        entries in all (default 10000), split over the threads
 *   -t T        threads (default 4)
 *   -w W        asynchronous: each thread keeps up to W proposals in
 *               flight (axiom_propose), results come to the main thread
 *               through the event fd as in an event loop; default 0:
 *               each thread waits for each entry (axiom_submit)
 *   -p BYTES    payload size (default 64; text, padded with 'x')
 *   -s SEGSIZE  segment size in bytes (default: the log's, 16 MiB)
 *   -q          do not print the commits (for throughput figures)
 *
 * On stderr at the end: entries per second, batches, syncs per entry.
 * Exit status 1 if an entry was rejected or the log would not open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "axiom/axiom.h"

struct worker {
	struct axiom *ax;
	pthread_t tid;
	int id;
	uint64_t count;
	sem_t window; /* async: free slots */
	int failed;
	/* async: how many it proposed, set when it has finished proposing */
	uint64_t proposed;
	int finished;
};

static uint32_t payload_len = 64;
static int quiet;
static uint64_t done_total, rejected_total;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void print_result(const struct axiom_result *res)
{
	char line[160];
	int n;

	if (res->committed) {
		if (quiet)
			return;
		n = snprintf(line, sizeof(line), "committed %" PRIu64 "\n", res->seq);
	} else {
		n = snprintf(line, sizeof(line), "rejected %s\n", res->reason);
	}
	/* One write per line: whole lines even from many threads, and on
	 * their way out before the next commit is waited for. */
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		perror("axiom_stress: stdout");
}

static void make_payload(char *buf, int thread, uint64_t i)
{
	int n = snprintf(buf, payload_len + 1, "stress t=%d i=%" PRIu64 " ", thread, i);

	if (n < 0)
		n = 0;
	if ((uint32_t)n < payload_len)
		memset(buf + n, 'x', payload_len - (uint32_t)n);
}

static void on_done(void *arg, const struct axiom_result *res)
{
	struct worker *w = arg;

	print_result(res);
	done_total++;
	if (!res->committed) {
		rejected_total++;
		w->failed = 1;
	}
	sem_post(&w->window);
}

static void *run_sync(void *arg)
{
	struct worker *w = arg;
	struct axiom_result res;
	char *buf = malloc(payload_len + 1);
	uint64_t i;
	int err;

	for (i = 0; buf && i < w->count; i++) {
		make_payload(buf, w->id, i);
		err = axiom_submit(w->ax, AXIOM_CONN_AUTHORIZE, buf, payload_len, &res);
		if (err < 0) {
			fprintf(stderr, "axiom_stress: submit: %s\n", strerror(-err));
			w->failed = 1;
			break;
		}
		print_result(&res);
		if (!res.committed)
			w->failed = 1;
	}
	free(buf);
	return NULL;
}

static void *run_async(void *arg)
{
	struct worker *w = arg;
	char *buf = malloc(payload_len + 1);
	uint64_t i;
	int err;

	for (i = 0; buf && i < w->count; i++) {
		while (sem_wait(&w->window) < 0 && errno == EINTR)
			;
		make_payload(buf, w->id, i);
		err = axiom_propose(w->ax, AXIOM_CONN_AUTHORIZE, buf, payload_len, on_done, w);
		if (err < 0) {
			fprintf(stderr, "axiom_stress: propose: %s\n", strerror(-err));
			w->failed = 1;
			break;
		}
	}
	free(buf);
	__atomic_store_n(&w->proposed, i, __ATOMIC_RELAXED);
	__atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: axiom_stress [-n N] [-t T] [-w W] [-p BYTES] [-s SEGSIZE] [-q] DIR\n");
}

int main(int argc, char **argv)
{
	uint64_t n = 10000, segsize = 0, t0, t1, proposed = 0;
	struct axiom_config cfg = { 0 };
	struct worker *ws;
	struct axiom_stats st;
	struct axiom *ax;
	char err[320];
	int opt, threads = 4, window = 0, i, rc, failed = 0;

	while ((opt = getopt(argc, argv, "n:t:w:p:s:q")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 't': threads = atoi(optarg); break;
		case 'w': window = atoi(optarg); break;
		case 'p': payload_len = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 's': segsize = strtoull(optarg, NULL, 10); break;
		case 'q': quiet = 1; break;
		default: usage(); return 2;
		}
	}
	if (optind + 1 != argc || threads < 1 || window < 0 || payload_len > AXIOM_PAYLOAD_MAX) {
		usage();
		return 2;
	}
	cfg.dir = argv[optind];
	cfg.segment_size = segsize;
	rc = axiom_open(&ax, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "axiom_stress: %s\n", err);
		return 1;
	}
	ws = calloc((size_t)threads, sizeof(*ws));
	if (!ws)
		return 1;
	t0 = now_ns();
	for (i = 0; i < threads; i++) {
		ws[i].ax = ax;
		ws[i].id = i;
		ws[i].count = n / (uint64_t)threads + ((uint64_t)i < n % (uint64_t)threads);
		sem_init(&ws[i].window, 0, (unsigned int)window);
		if (pthread_create(&ws[i].tid, NULL, window ? run_async : run_sync, &ws[i]) != 0) {
			fprintf(stderr, "axiom_stress: cannot start a thread\n");
			return 1;
		}
	}
	if (window) {
		/* The owner's event loop: results arrive on the event fd. */
		struct pollfd pfd = { .fd = axiom_event_fd(ax), .events = POLLIN };

		for (;;) {
			int all = 1;

			proposed = 0;
			for (i = 0; i < threads; i++) {
				all &= __atomic_load_n(&ws[i].finished, __ATOMIC_ACQUIRE);
				proposed += __atomic_load_n(&ws[i].proposed, __ATOMIC_RELAXED);
			}
			if (all && done_total == proposed)
				break;
			if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
				break;
			axiom_dispatch(ax);
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(ws[i].tid, NULL);
		failed |= ws[i].failed;
	}
	axiom_dispatch(ax);
	t1 = now_ns();
	axiom_stats(ax, &st);
	axiom_close(ax);
	fprintf(stderr,
		"axiom_stress: %" PRIu64 " entries, %d thread%s (%s) in %.3f s: %.0f entries/s; "
		"%" PRIu64 " batches, %" PRIu64 " syncs, %.4f syncs/entry, %" PRIu64 " rejected\n",
		st.committed, threads, threads == 1 ? "" : "s", window ? "async" : "blocking",
		(double)(t1 - t0) / 1e9, (double)st.committed * 1e9 / (double)(t1 - t0),
		st.batches, st.syncs, st.committed ? (double)st.syncs / (double)st.committed : 0.0,
		st.rejected);
	for (i = 0; i < threads; i++)
		sem_destroy(&ws[i].window);
	free(ws);
	return failed || st.rejected ? 1 : 0;
}
