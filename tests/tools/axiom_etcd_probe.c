/*
 * axiom_etcd_probe.c - drives Axiom on etcd (axiom_storage_etcd) for
 * tests/e2e/test-axiom-etcd-store.sh. The store's ops are wrapped to count
 * and time every datasync and create (one transaction each when it
 * succeeds), and to judge them against marker files the test creates
 * while etcd members are down.
 *
 *   axiom_etcd_probe -e ENDPOINTS -p PREFIX [-d DIR] [-s SEGSIZE] [-T TTL]
 *                    [-W WAIT_MS] [-m MARKDIR] CMD ARGS
 *
 *   write N BYTES TAG  N entries proposed at once ("TAG-i" padded with 'x'
 *                      to BYTES), all must commit; prints figures
 *   read               read-only, no directory: every entry checked (CRC,
 *                      seq, chain); "entries=N last=S segments=K
 *                      sha256=H" where H covers the probe's entries'
 *                      payloads, each followed by '\n', in seq order
 *   ckpt               the checkpoints in the store, each checked: its
 *                      signature under a key of P/keys, and entry SEQ's
 *                      hash in the log equal to its head
 *   verify             axiom_verify_cfg on the store (no directory):
 *                      "verified entries=N segments=K checkpoints=C"
 *   hold SECS          open for writing, print "held", sleep, close
 *   open               open for writing (waits -W) and close: "opened
 *                      ms=T" (exit 0) or "busy ms=T: REASON" (exit 3)
 *   fork               writer A writes A-1..3, P/owner is deleted behind
 *                      its back, writer B opens and writes B-1..3, A's
 *                      next entry must be refused
 *   stream TAG         entries "TAG-1", "TAG-2", ... one at a time until
 *                      MARKDIR/stop exists; a refused one is proposed again
 *                      (after reopening the log when it failed, checking
 *                      whether the one in doubt landed), so the log must
 *                      end up with TAG-1..TAG-K exactly once each;
 *                      "committed SEQ" per entry on stdout
 *
 * Syncs that start and end while MARKDIR/down exists (a quorum is gone)
 * are counted by result: none may return 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "axiom/axiom.h"
#include "axiom/checkpoint.h"
#include "axiom/reader.h"
#include "axiom/storage_etcd.h"
#include "etcd/etcd.h"

static struct axiom_storage_ops ops;
static struct axiom_etcd_config ecfg = { .wait_ms = -1 };
static const char *dir = "/tmp";
static const char *markdir;
static uint64_t segsize;

static uint64_t n_sync, n_sync_ok, n_create, lat_n;
static uint64_t down_syncs, down_ok, down_eagain, down_etimedout, down_other;
static uint64_t lat_us[1 << 16];

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int marker(const char *name)
{
	char p[512];

	if (!markdir)
		return 0;
	snprintf(p, sizeof(p), "%s/%s", markdir, name);
	return access(p, F_OK) == 0;
}

static int w_datasync(void *file)
{
	int down0 = marker("down"), rc;
	uint64_t t0 = now_us();

	rc = axiom_storage_etcd.datasync(file);
	n_sync++;
	if (rc == 0) {
		n_sync_ok++;
		if (lat_n < sizeof(lat_us) / sizeof(lat_us[0]))
			lat_us[lat_n++] = now_us() - t0;
	}
	if (down0 && marker("down")) {
		down_syncs++;
		if (rc == 0)
			down_ok++;
		else if (rc == -EAGAIN)
			down_eagain++;
		else if (rc == -ETIMEDOUT)
			down_etimedout++;
		else
			down_other++;
	}
	return rc;
}

static int w_create(void *store, const char *name, const void *data, size_t len, void **file)
{
	int rc = axiom_storage_etcd.create(store, name, data, len, file);

	if (rc == 0)
		n_create++;
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_latency(void)
{
	if (!lat_n)
		return;
	qsort(lat_us, lat_n, sizeof(lat_us[0]), cmp_u64);
	printf("txn_us n=%" PRIu64 " p50=%" PRIu64 " p99=%" PRIu64 " max=%" PRIu64 "\n", lat_n,
	       lat_us[lat_n / 2], lat_us[lat_n * 99 / 100], lat_us[lat_n - 1]);
}

static void quiet_log(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "axiom: %s\n", msg);
}

static int open_log(struct axiom **ax, const char *sub, int wait_ms, unsigned int ttl, char *err,
		    size_t errlen)
{
	struct axiom_etcd_config e = ecfg;
	struct axiom_config cfg = {
		.segment_size = segsize, .storage = &ops, .storage_arg = &e,
		.log = quiet_log,
	};
	char path[512];

	snprintf(path, sizeof(path), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	cfg.dir = path;
	if (wait_ms != -2)
		e.wait_ms = wait_ms;
	if (ttl)
		e.lease_ttl_s = ttl;
	return axiom_open(ax, &cfg, err, errlen);
}

static void payload(char *buf, size_t cap, const char *tag, uint64_t i, size_t bytes, uint32_t *len)
{
	size_t n = (size_t)snprintf(buf, cap, "%s-%" PRIu64, tag, i);

	while (n < bytes && n < cap - 1)
		buf[n++] = 'x';
	buf[n] = '\0';
	*len = (uint32_t)n;
}

struct waiter {
	uint64_t done, committed, first, last;
	int err;
	char reason[256];
};

static void on_done(void *arg, const struct axiom_result *res)
{
	struct waiter *w = arg;

	w->done++;
	if (res->committed) {
		w->committed++;
		if (!w->first || res->seq < w->first)
			w->first = res->seq;
		if (res->seq > w->last)
			w->last = res->seq;
	} else if (!w->err) {
		w->err = res->err;
		snprintf(w->reason, sizeof(w->reason), "%s", res->reason);
	}
}

static int cmd_write(uint64_t n, size_t bytes, const char *tag)
{
	struct axiom *ax;
	struct axiom_stats st;
	struct waiter w = { 0 };
	char err[512], buf[AXIOM_PAYLOAD_MAX];
	uint64_t i, t0, dt;
	uint32_t len;
	int rc;

	if ((rc = open_log(&ax, NULL, -2, 0, err, sizeof(err))) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	t0 = now_us();
	for (i = 1; i <= n; i++) {
		payload(buf, sizeof(buf), tag, i, bytes, &len);
		rc = axiom_propose(ax, AXIOM_CONN_AUTHORIZE, buf, len, on_done, &w);
		if (rc < 0) {
			fprintf(stderr, "propose %" PRIu64 ": %s\n", i, strerror(-rc));
			axiom_close(ax);
			return 1;
		}
	}
	while (w.done < n) {
		struct pollfd p = { .fd = axiom_event_fd(ax), .events = POLLIN };

		poll(&p, 1, 1000);
		axiom_dispatch(ax);
	}
	dt = now_us() - t0;
	axiom_stats(ax, &st);
	axiom_close(ax);
	printf("committed %" PRIu64 " first=%" PRIu64 " last=%" PRIu64 " batches=%" PRIu64
	       " syncs=%" PRIu64 " creates=%" PRIu64 " ms=%" PRIu64 " per_s=%" PRIu64 "\n",
	       w.committed, w.first, w.last, st.batches, n_sync_ok, n_create, dt / 1000,
	       dt ? w.committed * 1000000u / dt : 0);
	print_latency();
	if (w.committed != n) {
		fprintf(stderr, "rejected: %s\n", w.reason);
		return 1;
	}
	return 0;
}

static int cmd_read(void)
{
	struct axiom_reader *r;
	struct axiom_entry e;
	crypto_hash_sha256_state h;
	uint8_t sum[32];
	char hex[65];
	void *store;
	uint64_t entries = 0, last = 0, mine = 0;
	int rc;

	rc = ops.open_dir(&ecfg, NULL, 0, &store);
	if (rc < 0) {
		fprintf(stderr, "open: %s: %s\n", strerror(-rc), ops.error(NULL));
		return rc == -ENOENT ? 2 : 1;
	}
	if ((rc = axiom_reader_open(&r, &ops, store, 1, AXIOM_READER_SHARED)) < 0) {
		ops.close_dir(store);
		return 1;
	}
	crypto_hash_sha256_init(&h);
	while ((rc = axiom_reader_next(r, &e)) == 1) {
		entries++;
		last = e.seq;
		if (e.type == AXIOM_CONN_AUTHORIZE) {
			mine++;
			crypto_hash_sha256_update(&h, e.payload, e.len);
			crypto_hash_sha256_update(&h, (const uint8_t *)"\n", 1);
		}
	}
	if (rc < 0 || r->torn) {
		fprintf(stderr, "read: %s%s\n", r->msg, r->torn ? "torn tail" : "");
		axiom_reader_close(r);
		ops.close_dir(store);
		return 1;
	}
	crypto_hash_sha256_final(&h, sum);
	sodium_bin2hex(hex, sizeof(hex), sum, sizeof(sum));
	printf("entries=%" PRIu64 " last=%" PRIu64 " probe=%" PRIu64 " segments=%zu sha256=%s\n",
	       entries, last, mine, r->nsegs, hex);
	axiom_reader_close(r);
	ops.close_dir(store);
	return 0;
}

/* Each checkpoint in the store: signed by a key of P/keys, and its head
 * the hash of entry SEQ in the log read now. */
static int cmd_ckpt(void)
{
	struct axiom_reader *r;
	struct axiom_entry e;
	char **lines = NULL, *keys = NULL;
	size_t n = 0, i, good = 0;
	void *store;
	int rc, bad = 0;

	if ((rc = ops.open_dir(&ecfg, NULL, 0, &store)) < 0) {
		fprintf(stderr, "open: %s\n", ops.error(NULL));
		return 1;
	}
	if ((rc = ops.ckpt_load(store, &lines, &n)) < 0 || (rc = ops.keys_get(store, &keys)) < 0) {
		fprintf(stderr, "ckpt/keys: %s\n", strerror(-rc));
		ops.close_dir(store);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct axiom_checkpoint c;
		const char *k = keys;
		int signed_ok = 0, found = 0;

		if (axiom_checkpoint_parse(lines[i], &c) < 0) {
			bad = 1;
			continue;
		}
		while (*k) {
			uint8_t pk[AXIOM_PUBKEY_SIZE];
			char hex[65];

			snprintf(hex, sizeof(hex), "%.64s", k);
			if (axiom_pubkey_parse(hex, pk) == 0 && axiom_checkpoint_check_sig(&c, pk) == 0)
				signed_ok = 1;
			k = strchr(k, '\n');
			if (!k)
				break;
			k++;
		}
		if (axiom_reader_open(&r, &ops, store, c.seq, AXIOM_READER_SHARED) == 0) {
			while (axiom_reader_next(r, &e) == 1) {
				if (e.seq == c.seq) {
					found = memcmp(e.hash, c.head, 32) == 0;
					break;
				}
			}
			axiom_reader_close(r);
		}
		if (signed_ok && found)
			good++;
		else
			bad = 1;
		printf("checkpoint seq=%" PRIu64 " signed=%d head=%d\n", c.seq, signed_ok, found);
	}
	printf("checkpoints=%zu verified=%zu\n", n, good);
	axiom_storage_free_names(lines, n);
	free(keys);
	ops.close_dir(store);
	return bad || n == 0;
}

/* axiom_verify_cfg on the store, no directory: every entry, every
 * checkpoint under the keys of P/keys. */
static int cmd_verify(void)
{
	struct axiom_config cfg = { .storage = &ops, .storage_arg = &ecfg, .read_only = 1 };
	struct axiom_verify_report rep;
	int rc = axiom_verify_cfg(&cfg, NULL, &rep);

	if (rc < 0) {
		printf("verify failed: %s\n", rep.message);
		return 1;
	}
	printf("verified entries=%" PRIu64 " segments=%" PRIu64 " checkpoints=%" PRIu64 "\n",
	       rep.entries, rep.segments, rep.checkpoints);
	return 0;
}

static int cmd_hold(unsigned int secs)
{
	struct axiom *ax;
	char err[512];

	if (open_log(&ax, NULL, -2, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	printf("held pid=%d\n", (int)getpid());
	fflush(stdout);
	sleep(secs);
	axiom_close(ax);
	return 0;
}

static int cmd_open(void)
{
	struct axiom *ax;
	char err[512];
	uint64_t t0 = now_us();
	int rc = open_log(&ax, NULL, -2, 0, err, sizeof(err));

	if (rc == -EBUSY) {
		printf("busy ms=%" PRIu64 ": %s\n", (now_us() - t0) / 1000, err);
		return 3;
	}
	if (rc < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	printf("opened ms=%" PRIu64 "\n", (now_us() - t0) / 1000);
	axiom_close(ax);
	return 0;
}

static int submit(struct axiom *ax, const char *tag, uint64_t i, struct axiom_result *res)
{
	char buf[256];
	uint32_t len;

	payload(buf, sizeof(buf), tag, i, 0, &len);
	return axiom_submit(ax, AXIOM_CONN_AUTHORIZE, buf, len, res);
}

static int cmd_fork(void)
{
	struct axiom *a, *b;
	struct axiom_result res;
	struct etcd_client *c;
	struct etcd_config ec = { .endpoints = ecfg.endpoints };
	char err[512], key[512];
	int i, rc;

	/* A's keeper looks every 10 s: B comes in between. */
	if (open_log(&a, "a", 0, 30, err, sizeof(err)) < 0) {
		fprintf(stderr, "open A: %s\n", err);
		return 1;
	}
	for (i = 1; i <= 3; i++) {
		if (submit(a, "A", (uint64_t)i, &res) < 0 || !res.committed) {
			fprintf(stderr, "A-%d: %s\n", i, res.reason);
			return 1;
		}
	}
	if (etcd_open(&c, &ec, err, sizeof(err)) < 0)
		return 1;
	snprintf(key, sizeof(key), "%s/owner", ecfg.prefix);
	rc = etcd_delete(c, key, strlen(key), NULL, 0, NULL);
	etcd_close(c);
	if (rc < 0) {
		fprintf(stderr, "delete %s: %s\n", key, strerror(-rc));
		return 1;
	}
	if ((rc = open_log(&b, "b", 0, 0, err, sizeof(err))) < 0) {
		fprintf(stderr, "open B: %s\n", err);
		return 1;
	}
	printf("B opened\n");
	for (i = 1; i <= 3; i++) {
		if (submit(b, "B", (uint64_t)i, &res) < 0 || !res.committed) {
			fprintf(stderr, "B-%d: %s\n", i, res.reason);
			return 1;
		}
	}
	rc = submit(a, "A", 4, &res);
	printf("A-4 committed=%d err=%d reason=%s\n", res.committed, res.err, res.reason);
	if (rc < 0 || res.committed)
		return 1;
	axiom_close(b);
	axiom_close(a);
	printf("fork refused\n");
	return 0;
}

/* Reopen a log that failed, as a careful client does: wait for etcd, and
 * tell whether the entry in doubt (seq prev + 1) landed. */
static int reopen(struct axiom **ax, uint64_t prev, uint64_t *landed)
{
	char err[512];
	int tries;

	axiom_close(*ax);
	*ax = NULL;
	for (tries = 0; tries < 300; tries++) {
		if (open_log(ax, NULL, -2, 0, err, sizeof(err)) == 0) {
			uint64_t head = axiom_head_seq(*ax);

			if (head != prev && head != prev + 1) {
				fprintf(stderr, "reopen: head %" PRIu64 ", expected %" PRIu64 " or %"
					PRIu64 "\n", head, prev, prev + 1);
				return -EUCLEAN;
			}
			*landed = head == prev + 1;
			return 0;
		}
		usleep(200000);
	}
	fprintf(stderr, "reopen: %s\n", err);
	return -ETIMEDOUT;
}

static int cmd_stream(const char *tag)
{
	struct axiom *ax;
	struct axiom_result res;
	char err[512];
	uint64_t i = 1, last = 0, reopens = 0, refused = 0, landed;
	int rc;

	if (open_log(&ax, NULL, -2, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	last = axiom_head_seq(ax);
	while (!marker("stop")) {
		rc = submit(ax, tag, i, &res);
		if (rc == 0 && res.committed) {
			if (res.seq != last + 1) {
				fprintf(stderr, "%s-%" PRIu64 " committed at seq %" PRIu64
					" after %" PRIu64 "\n", tag, i, res.seq, last);
				return 1;
			}
			last = res.seq;
			printf("committed %" PRIu64 " %s-%" PRIu64 "\n", res.seq, tag, i);
			fflush(stdout);
			i++;
			usleep(20000);
			continue;
		}
		refused++;
		if (rc == 0 && res.err == -EIO) {
			/* The log failed (a write it could not finish): the
			 * entry may or may not be in it. */
			reopens++;
			if (reopen(&ax, last, &landed) < 0)
				return 1;
			if (landed) {
				last++;
				printf("committed %" PRIu64 " %s-%" PRIu64 " (found at reopen)\n", last,
				       tag, i);
				i++;
			}
			continue;
		}
		usleep(100000);
	}
	axiom_close(ax);
	printf("stream entries=%" PRIu64 " last=%" PRIu64 " refused=%" PRIu64 " reopens=%" PRIu64
	       " syncs=%" PRIu64 " down_syncs=%" PRIu64 " down_ok=%" PRIu64 " down_eagain=%" PRIu64
	       " down_etimedout=%" PRIu64 " down_other=%" PRIu64 "\n", i - 1, last, refused, reopens,
	       n_sync, down_syncs, down_ok, down_eagain, down_etimedout, down_other);
	print_latency();
	return down_ok || down_other ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: axiom_etcd_probe -e ENDPOINTS -p PREFIX [-d DIR] [-s SEGSIZE] "
		"[-T TTL] [-W WAIT_MS] [-m MARKDIR] write N BYTES TAG | read | ckpt | verify | "
		"hold SECS | "
		"open | fork | stream TAG\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd;
	int opt;

	while ((opt = getopt(argc, argv, "e:p:d:s:T:W:m:")) != -1) {
		switch (opt) {
		case 'e': ecfg.endpoints = optarg; break;
		case 'p': ecfg.prefix = optarg; break;
		case 'd': dir = optarg; break;
		case 's': segsize = strtoull(optarg, NULL, 0); break;
		case 'T': ecfg.lease_ttl_s = (unsigned int)atoi(optarg); break;
		case 'W': ecfg.wait_ms = atoi(optarg); break;
		case 'm': markdir = optarg; break;
		default: usage();
		}
	}
	if (!ecfg.endpoints || !ecfg.prefix || optind >= argc)
		usage();
	if (sodium_init() < 0)
		return 1;
	ops = axiom_storage_etcd;
	ops.datasync = w_datasync;
	ops.create = w_create;
	setvbuf(stdout, NULL, _IOLBF, 0);
	cmd = argv[optind++];
	if (strcmp(cmd, "write") == 0 && optind + 3 == argc)
		return cmd_write(strtoull(argv[optind], NULL, 0),
				 (size_t)strtoull(argv[optind + 1], NULL, 0), argv[optind + 2]);
	if (strcmp(cmd, "read") == 0)
		return cmd_read();
	if (strcmp(cmd, "ckpt") == 0)
		return cmd_ckpt();
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify();
	if (strcmp(cmd, "hold") == 0 && optind + 1 == argc)
		return cmd_hold((unsigned int)atoi(argv[optind]));
	if (strcmp(cmd, "open") == 0)
		return cmd_open();
	if (strcmp(cmd, "fork") == 0)
		return cmd_fork();
	if (strcmp(cmd, "stream") == 0 && optind + 1 == argc)
		return cmd_stream(argv[optind]);
	usage();
	return 2;
}
