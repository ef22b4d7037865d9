/*
 * test_axiom.c - Axiom, the commit log: codec, group commit, recovery
 * from every kind of torn tail, corruption reports, rollover,
 * checkpoints, failure injection.
 *
 * Every test works in its own directory under /tmp (mkdtemp) and removes
 * it. Storage goes through a wrapper of the file backend that counts
 * syncs and writes and can be told to fail them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "axiom/checkpoint.h"
#include "axiom/crc32c.h"
#include "axiom/opt.h"
#include "axiom/record.h"
#include "testlib.h"
#include "tmpdir.h"

#define SEG1 "00000000000000000001.seg"

/* --- helpers ---------------------------------------------------------------- */

/* The storage wrapper's counters and switches. The writer thread touches
 * them while tests read them: atomics. */
static struct {
	int syncs, pwrites, creates;
	int fail_pwrite;  /* errno: write half the bytes, then fail */
	int fail_sync;    /* errno: write fine, then fail the sync */
	int fail_create;  /* errno */
	int sync_us;      /* each sync takes at least this long */
	/* Zero page tear_page (0: the page the write starts in) of the next
	 * write's bytes, as if a power cut let the other pages of that write
	 * reach the disk but not this one (tear_page >= 0 arms it). */
	int tear_page;
	uint64_t torn_from, torn_to; /* the bytes it zeroed */
} W;

static int w_get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int w_pwrite(void *f, const void *buf, size_t len, uint64_t off)
{
	int e = w_get(&W.fail_pwrite);

	__atomic_add_fetch(&W.pwrites, 1, __ATOMIC_SEQ_CST);
	if (e) {
		axiom_storage_file.pwrite(f, buf, len / 2, off);
		return -e;
	}
	if (W.tear_page >= 0) {
		static const uint8_t zeros[4096];
		uint64_t from = (off / 4096 + (uint64_t)W.tear_page) * 4096, to = from + 4096;
		int err = axiom_storage_file.pwrite(f, buf, len, off);

		if (from < off)
			from = off;
		if (to > off + len)
			to = off + len;
		W.tear_page = -1;
		if (err || from >= to)
			return err ? err : -EINVAL;
		W.torn_from = from;
		W.torn_to = to;
		return axiom_storage_file.pwrite(f, zeros, (size_t)(to - from), from);
	}
	return axiom_storage_file.pwrite(f, buf, len, off);
}

static int w_datasync(void *f)
{
	int e = w_get(&W.fail_sync);

	__atomic_add_fetch(&W.syncs, 1, __ATOMIC_SEQ_CST);
	if (e)
		return -e;
	if (W.sync_us)
		usleep((useconds_t)W.sync_us);
	return axiom_storage_file.datasync(f);
}

static int w_create(void *store, const char *name, const void *data, size_t len, void **file)
{
	int e = w_get(&W.fail_create);

	__atomic_add_fetch(&W.creates, 1, __ATOMIC_SEQ_CST);
	if (e)
		return -e;
	return axiom_storage_file.create(store, name, data, len, file);
}

static struct axiom_storage_ops wrap_ops;

static void wrap_reset(void)
{
	memset(&W, 0, sizeof(W));
	W.tear_page = -1;
	wrap_ops = axiom_storage_file;
	wrap_ops.pwrite = w_pwrite;
	wrap_ops.datasync = w_datasync;
	wrap_ops.create = w_create;
}

/* What the log said through cfg->log, all of it. */
static char logbuf[16384];

static void log_capture(void *arg, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)arg;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static int open_log(struct axiom **ax, const char *dir, uint64_t segsize, int ro, char *err,
		    size_t errlen)
{
	struct axiom_config cfg = {
		.dir = dir,
		.segment_size = segsize,
		.storage = &wrap_ops,
		.log = log_capture,
		.read_only = ro,
	};

	return axiom_open(ax, &cfg, err, errlen);
}

static void path_of(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/axiom/%s", dir, name);
}

/* A whole file into a malloc'd buffer; *len its size. NULL if missing. */
static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	struct stat st;
	uint8_t *buf;
	int fd;

	path_of(path, sizeof(path), dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	fstat(fd, &st);
	buf = malloc((size_t)st.st_size + 1);
	*len = (size_t)pread(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	return buf;
}

static void spit(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[512];
	int fd;

	path_of(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return;
	if (write(fd, buf, len) != (ssize_t)len)
		perror("spit");
	close(fd);
}

static void unlink_in(const char *dir, const char *name)
{
	char path[512];

	path_of(path, sizeof(path), dir, name);
	unlink(path);
}

static uint64_t file_size(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	path_of(path, sizeof(path), dir, name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Submit a text entry; its seq, or 0 if it did not commit. */
static uint64_t put(struct axiom *ax, const char *text)
{
	struct axiom_result res;

	if (axiom_submit(ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text), &res) < 0)
		return 0;
	return res.committed ? res.seq : 0;
}

/* Every entry of the log in dir: count, and the hash of each (hashes[i]
 * is entry i + 1's, up to max). -errno if iteration failed. */
static long read_all(const char *dir, uint8_t (*hashes)[AXIOM_HASH_SIZE], size_t max)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	char err[320];
	long n = 0;
	int rc;

	if (axiom_iter_open(&it, dir, 0, err, sizeof(err)) < 0)
		return -1;
	while ((rc = axiom_iter_next(it, &e)) > 0) {
		if ((uint64_t)n + 1 != e.seq) {
			n = -2;
			break;
		}
		if (hashes && (size_t)n < max)
			memcpy(hashes[n], e.hash, AXIOM_HASH_SIZE);
		n++;
	}
	if (rc < 0)
		n = rc;
	axiom_iter_close(it);
	return n;
}

/* --- codec ------------------------------------------------------------------- */

TEST(type_names)
{
	int t;

	CHECK(strcmp(axiom_type_name(AXIOM_START), "start") == 0);
	CHECK(strcmp(axiom_type_name(AXIOM_POLICY_PUSH), "policy-push") == 0);
	CHECK(strcmp(axiom_type_name(AXIOM_CONN_AUTHORIZE), "connection-authorize") == 0);
	CHECK(strcmp(axiom_type_name(AXIOM_CONN_REJECT), "connection-reject") == 0);
	CHECK(strcmp(axiom_type_name(AXIOM_CONN_CLOSE), "connection-close") == 0);
	CHECK(strcmp(axiom_type_name(AXIOM_REVOKE), "revoke") == 0);
	CHECK(strcmp(axiom_type_name(AXIOM_POLICY_TEXT), "policy-text") == 0);
	CHECK(axiom_type_name(0) == NULL);
	CHECK(axiom_type_name(AXIOM_POLICY_TEXT + 1) == NULL);
	CHECK(axiom_type_name(0xffff) == NULL);
	for (t = AXIOM_START; t <= AXIOM_POLICY_TEXT; t++)
		CHECK_EQ(axiom_type_from_name(axiom_type_name((uint16_t)t)), t);
	CHECK_EQ(axiom_type_from_name("bogus"), -EINVAL);
	CHECK_EQ(axiom_type_from_name(""), -EINVAL);
}

TEST(crc32c)
{
	static uint8_t buf[1031];
	size_t i, len;

	CHECK_EQ(axiom_crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ(axiom_crc32c_sw(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ(axiom_crc32c(0, "", 0), 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	/* Every alignment and tail length, hardware against table, and a
	 * split anywhere gives the same as one call. */
	for (i = 0; i < 9; i++)
		for (len = 0; len < 40; len++) {
			uint32_t one = axiom_crc32c(0, buf + i, len);

			CHECK_EQ(one, axiom_crc32c_sw(0, buf + i, len));
			CHECK_EQ(axiom_crc32c(axiom_crc32c(0, buf + i, len / 3), buf + i + len / 3,
					      len - len / 3), one);
		}
	CHECK_EQ(axiom_crc32c(0, buf, sizeof(buf)), axiom_crc32c_sw(0, buf, sizeof(buf)));
}

TEST(record_codec)
{
	static uint8_t buf[AXIOM_REC_MAX_SIZE], copy[AXIOM_REC_MAX_SIZE];
	struct axiom_record r = { .seq = 42, .ts_ns = 123456789, .type = AXIOM_REVOKE, .len = 13 };
	struct axiom_record d;
	uint8_t h1[32], h2[32];
	const char *why;
	size_t size, i;

	memset(r.prev_hash, 0xab, sizeof(r.prev_hash));
	r.payload = (const uint8_t *)"hello, axiom!";
	size = axiom_encode_record(buf, &r, h1);
	CHECK_EQ(size, 64 + 16);
	CHECK_EQ(size % 8, 0);
	CHECK_EQ(axiom_decode_record(buf, size, &d, NULL), (int)size);
	CHECK_EQ(d.seq, 42);
	CHECK_EQ(d.ts_ns, 123456789);
	CHECK_EQ(d.type, AXIOM_REVOKE);
	CHECK_EQ(d.len, 13);
	CHECK_MEM(d.payload, "hello, axiom!", 13);
	CHECK_MEM(d.prev_hash, r.prev_hash, 32);
	axiom_record_hash(buf, h2);
	CHECK_MEM(h1, h2, 32);
	/* Decoding more than the record reads just the record. */
	CHECK_EQ(axiom_decode_record(buf, sizeof(buf), &d, NULL), (int)size);
	/* Every prefix is "not yet", never a record. */
	for (i = 0; i < size; i++)
		CHECK(axiom_decode_record(buf, i, &d, NULL) == 0);
	CHECK(axiom_decode_record(buf, 10, &d, &why) == 0 && strcmp(why, "partial header") == 0);
	CHECK(axiom_decode_record(buf, 70, &d, &why) == 0 && strcmp(why, "partial payload") == 0);
	/* Every flipped bit of every byte is caught. */
	for (i = 0; i < size; i++) {
		int bit;

		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, buf, size);
			copy[i] ^= (uint8_t)(1u << bit);
			CHECK(axiom_decode_record(copy, size, &d, NULL) <= 0);
		}
	}
	memset(copy, 0, 64);
	CHECK(axiom_decode_record(copy, 64, &d, &why) == -EBADMSG && strcmp(why, "zero-filled") == 0);
	/* Largest payload, and one byte over. */
	r.len = AXIOM_PAYLOAD_MAX;
	r.payload = copy;
	size = axiom_encode_record(buf, &r, NULL);
	CHECK_EQ(size, AXIOM_REC_MAX_SIZE);
	CHECK_EQ(axiom_decode_record(buf, size, &d, NULL), (int)size);
	/* Flags: 0 (older logs) and AXIOM_REC_F_BATCH | position decode;
	 * anything else is refused. */
	r.len = 13;
	r.payload = (const uint8_t *)"hello, axiom!";
	r.flags = AXIOM_REC_F_BATCH | 3;
	size = axiom_encode_record(buf, &r, NULL);
	CHECK(axiom_decode_record(buf, size, &d, NULL) == (int)size && d.flags == (AXIOM_REC_F_BATCH | 3));
	r.flags = 0;
	size = axiom_encode_record(buf, &r, NULL);
	CHECK(axiom_decode_record(buf, size, &d, NULL) == (int)size && d.flags == 0);
	r.flags = 0x0003;
	size = axiom_encode_record(buf, &r, NULL);
	CHECK(axiom_decode_record(buf, size, &d, &why) == -EBADMSG &&
	      strcmp(why, "unknown flags") == 0);
	r.flags = 0;
	r.len = AXIOM_PAYLOAD_MAX;
	r.payload = copy;
	size = axiom_encode_record(buf, &r, NULL);
	buf[28] = 1; /* len = 65537 */
	buf[29] = 0;
	buf[30] = 1;
	CHECK(axiom_decode_record(buf, size, &d, &why) == -EBADMSG &&
	      strcmp(why, "length over the limit") == 0);
}

TEST(segment_header)
{
	uint8_t hdr[AXIOM_SEG_HDR_SIZE], prev[32], got[32];
	char name[AXIOM_SEG_NAME_SIZE];
	const char *why;
	uint64_t first;

	memset(prev, 7, sizeof(prev));
	axiom_encode_seg_hdr(hdr, 1234, prev);
	CHECK_EQ(axiom_decode_seg_hdr(hdr, sizeof(hdr), &first, got, &why), 0);
	CHECK_EQ(first, 1234);
	CHECK_MEM(got, prev, 32);
	CHECK_MEM(hdr, "AXIOMSEG", 8);
	hdr[20] ^= 1;
	CHECK(axiom_decode_seg_hdr(hdr, sizeof(hdr), &first, got, &why) == -EBADMSG &&
	      strcmp(why, "crc mismatch") == 0);
	CHECK_EQ(axiom_decode_seg_hdr(hdr, 63, &first, got, &why), -EBADMSG);
	axiom_seg_name(name, 42);
	CHECK(strcmp(name, "00000000000000000042.seg") == 0);
	CHECK_EQ(axiom_seg_parse_name(name, &first), 0);
	CHECK_EQ(first, 42);
	CHECK_EQ(axiom_seg_parse_name("42.seg", &first), -EINVAL);
	CHECK_EQ(axiom_seg_parse_name("0000000000000000004a.seg", &first), -EINVAL);
	CHECK_EQ(axiom_seg_parse_name("99999999999999999999.seg", &first), -EINVAL);
}

/* --- writing and reopening --------------------------------------------------- */

TEST(reopen_keeps_entries)
{
	char *dir = tmpdir_make("axiom-test"), err[320], text[32];
	uint8_t head[32], head2[32], hashes[12][32];
	struct axiom_iter *it;
	struct axiom_entry e;
	struct axiom *ax;
	int i;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 0);
	for (i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "entry %d", i);
		CHECK_EQ(put(ax, text), i);
	}
	CHECK_EQ(axiom_head_seq(ax), 10);
	axiom_head_hash(ax, head);
	axiom_close(ax);

	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 10);
	axiom_head_hash(ax, head2);
	CHECK_MEM(head, head2, 32);
	CHECK_EQ(put(ax, "entry 11"), 11);
	axiom_head_hash(ax, head);
	axiom_close(ax);

	CHECK_EQ(read_all(dir, hashes, 12), 11);
	CHECK_MEM(hashes[10], head, 32);
	REQUIRE(axiom_iter_open(&it, dir, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 11; i++) {
		REQUIRE(axiom_iter_next(it, &e) == 1);
		snprintf(text, sizeof(text), "entry %d", i);
		CHECK_EQ(e.seq, i);
		CHECK_EQ(e.type, AXIOM_CONN_AUTHORIZE);
		CHECK_EQ(e.len, strlen(text));
		CHECK_MEM(e.payload, text, e.len);
		CHECK(strcmp(e.segment, SEG1) == 0);
		CHECK(e.ts_ns > 1600000000ull * 1000000000ull);
		if (i > 1)
			CHECK_MEM(e.prev_hash, hashes[i - 2], 32);
	}
	CHECK_EQ(axiom_iter_next(it, &e), 0);
	axiom_iter_close(it);
	/* From the middle: the chain is anchored at the segment header and
	 * the entries before are read but not returned. */
	REQUIRE(axiom_iter_open(&it, dir, 7, err, sizeof(err)) == 0);
	REQUIRE(axiom_iter_next(it, &e) == 1);
	CHECK_EQ(e.seq, 7);
	CHECK_MEM(e.hash, hashes[6], 32);
	axiom_iter_close(it);
	tmpdir_remove(dir);
}

struct gc_thread {
	struct axiom *ax;
	int id;
};

#define GC_THREADS 4
#define GC_PER_THREAD 250

static struct {
	int calls[GC_THREADS * GC_PER_THREAD];
	int seen_seq[GC_THREADS * GC_PER_THREAD + 1];
	uint64_t last_seq[GC_THREADS];
	int order_ok, wrong_thread, rejected;
	pthread_t owner;
	int done;
} G;

static void gc_done(void *arg, const struct axiom_result *res)
{
	int idx = (int)(intptr_t)arg, t = idx / GC_PER_THREAD;

	G.calls[idx]++;
	G.done++;
	if (!pthread_equal(pthread_self(), G.owner))
		G.wrong_thread++;
	if (!res->committed) {
		G.rejected++;
		return;
	}
	if (res->seq >= 1 && res->seq <= GC_THREADS * GC_PER_THREAD)
		G.seen_seq[res->seq]++;
	/* One thread's proposals commit in the order it made them. */
	if (res->seq <= G.last_seq[t])
		G.order_ok = 0;
	G.last_seq[t] = res->seq;
}

static void *gc_proposer(void *arg)
{
	struct gc_thread *t = arg;
	char text[48];
	int i;

	for (i = 0; i < GC_PER_THREAD; i++) {
		int idx = t->id * GC_PER_THREAD + i;

		snprintf(text, sizeof(text), "thread %d proposal %d", t->id, i);
		while (axiom_propose(t->ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text),
				     gc_done, (void *)(intptr_t)idx) == -ENOBUFS)
			usleep(100);
	}
	return NULL;
}

TEST(group_commit)
{
	struct gc_thread th[GC_THREADS];
	pthread_t tid[GC_THREADS];
	struct axiom_verify_report rep;
	struct axiom_stats st;
	struct axiom *ax;
	struct pollfd pfd;
	char *dir = tmpdir_make("axiom-test"), err[320];
	int i, total = GC_THREADS * GC_PER_THREAD, once = 0, spins = 0;

	REQUIRE(dir);
	wrap_reset();
	/* A sync as slow as a real disk's, whatever /tmp is (tmpfs syncs
	 * take no time, and then there is nothing to group). */
	W.sync_us = 1000;
	memset(&G, 0, sizeof(G));
	G.order_ok = 1;
	G.owner = pthread_self();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	for (i = 0; i < GC_THREADS; i++) {
		th[i].ax = ax;
		th[i].id = i;
		pthread_create(&tid[i], NULL, gc_proposer, &th[i]);
	}
	/* The owner's event loop. */
	pfd.fd = axiom_event_fd(ax);
	pfd.events = POLLIN;
	while (G.done < total && spins++ < 10000) {
		poll(&pfd, 1, 10);
		axiom_dispatch(ax);
	}
	for (i = 0; i < GC_THREADS; i++)
		pthread_join(tid[i], NULL);
	axiom_stats(ax, &st);
	axiom_close(ax);

	CHECK_EQ(G.done, total);
	CHECK_EQ(G.rejected, 0);
	CHECK_EQ(G.wrong_thread, 0);
	CHECK(G.order_ok);
	for (i = 0; i < total; i++)
		once += G.calls[i] == 1;
	CHECK_EQ(once, total);
	for (i = 1, once = 0; i <= total; i++)
		once += G.seen_seq[i] == 1;
	CHECK_EQ(once, total);
	CHECK_EQ(st.committed, total);
	CHECK_EQ(st.syncs, w_get(&W.syncs));
	/* Group commit: proposals that queue behind one sync share the
	 * next. Far fewer syncs than entries. */
	printf("  group_commit: %d entries, %d syncs\n", total, w_get(&W.syncs));
	CHECK(w_get(&W.syncs) <= total / 10);
	CHECK_EQ(st.batches, w_get(&W.pwrites));
	/* The writer signed a checkpoint passing 1000 (after completing
	 * that batch, so it is certain only once the log is closed). */
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, total);
	CHECK(rep.checkpoints >= 1);
	tmpdir_remove(dir);
}

struct sub_thread {
	struct axiom *ax;
	int id, ok;
	uint64_t last;
};

static void *submitter(void *arg)
{
	struct sub_thread *t = arg;
	struct axiom_result res;
	char text[48];
	int i;

	t->ok = 1;
	for (i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "submitter %d entry %d", t->id, i);
		if (axiom_submit(t->ax, AXIOM_START, text, (uint32_t)strlen(text), &res) < 0 ||
		    !res.committed || res.seq <= t->last)
			t->ok = 0;
		t->last = res.seq;
	}
	return NULL;
}

/* axiom_submit from threads that never dispatch: each waits on its own
 * result, and the waits still share syncs. */
TEST(blocking_submit_threads)
{
	struct sub_thread th[8];
	pthread_t tid[8];
	struct axiom *ax;
	char *dir = tmpdir_make("axiom-test"), err[320];
	int i;

	REQUIRE(dir);
	wrap_reset();
	W.sync_us = 1000;
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	for (i = 0; i < 8; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].ax = ax;
		th[i].id = i;
		pthread_create(&tid[i], NULL, submitter, &th[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(tid[i], NULL);
		CHECK(th[i].ok);
	}
	CHECK_EQ(axiom_head_seq(ax), 400);
	/* Nothing was proposed with a callback: no dispatch needed. */
	CHECK_EQ(axiom_dispatch(ax), 0);
	axiom_close(ax);
	printf("  blocking_submit_threads: 400 entries, %d syncs\n", w_get(&W.syncs));
	CHECK(w_get(&W.syncs) < 400 / 2);
	CHECK_EQ(read_all(dir, NULL, 0), 400);
	tmpdir_remove(dir);
}

TEST(propose_errors)
{
	static uint8_t big[AXIOM_PAYLOAD_MAX + 1];
	struct axiom_result res;
	struct axiom *ax, *ax2, *ro;
	char *dir = tmpdir_make("axiom-test"), err[320];

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_propose(ax, 0, "x", 1, NULL, NULL), -EINVAL);
	CHECK_EQ(axiom_propose(ax, AXIOM_POLICY_TEXT + 1, "x", 1, NULL, NULL), -EINVAL);
	CHECK_EQ(axiom_propose(ax, AXIOM_START, NULL, 1, NULL, NULL), -EINVAL);
	CHECK_EQ(axiom_propose(ax, AXIOM_START, big, AXIOM_PAYLOAD_MAX + 1, NULL, NULL), -EMSGSIZE);
	CHECK_EQ(axiom_submit(ax, AXIOM_START, big, AXIOM_PAYLOAD_MAX + 1, &res), -EMSGSIZE);
	/* The largest entry, and an empty one. */
	CHECK_EQ(axiom_submit(ax, AXIOM_START, big, AXIOM_PAYLOAD_MAX, &res), 0);
	CHECK(res.committed && res.seq == 1);
	CHECK_EQ(axiom_submit(ax, AXIOM_START, NULL, 0, &res), 0);
	CHECK(res.committed && res.seq == 2);
	/* One writer at a time. */
	CHECK_EQ(open_log(&ax2, dir, 0, 0, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "another process") != NULL);
	/* Readers alongside it. */
	REQUIRE(open_log(&ro, dir, 0, 1, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ro), 2);
	CHECK_EQ(axiom_propose(ro, AXIOM_START, "x", 1, NULL, NULL), -EROFS);
	CHECK_EQ(axiom_checkpoint(ro), -EROFS);
	axiom_close(ro);
	axiom_close(ax);
	CHECK_EQ(read_all(dir, NULL, 0), 2);
	tmpdir_remove(dir);

	CHECK_EQ(open_log(&ro, "/tmp/axiom-test-does-not-exist", 0, 1, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no log") != NULL);
	CHECK_EQ(open_log(&ro, "/tmp", 10, 0, err, sizeof(err)), -EINVAL);
}

/* --- recovery ----------------------------------------------------------------- */

/*
 * A log of three entries; then, for every byte offset from the end of
 * the first record to the end of the file, a tear of each kind: the file
 * cut there, zeros from there on (size kept), garbage from there on. Each
 * time: the open succeeds, says what it dropped, keeps every whole record
 * before the tear, and the next entry continues seq and chain.
 */
TEST(torn_tail_every_offset)
{
	static const char *texts[3] = { "first entry", "second, a bit longer entry", "third" };
	uint8_t hashes[3][32], head[32];
	uint64_t ends[3], cut;
	size_t len, i;
	uint8_t *pristine, *buf;
	char *dir = tmpdir_make("axiom-test"), err[320], want[128];
	struct axiom_verify_report rep;
	struct axiom *ax;
	int kind, bad = 0;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(put(ax, texts[i]), i + 1);
		axiom_head_hash(ax, hashes[i]);
		ends[i] = file_size(dir, SEG1);
	}
	axiom_close(ax);
	pristine = slurp(dir, SEG1, &len);
	REQUIRE(pristine && len == ends[2]);
	buf = malloc(len);
	REQUIRE(buf);

	for (cut = ends[0]; cut < ends[2]; cut++) {
		for (kind = 0; kind < 3; kind++) {
			static const uint8_t fill[3] = { 0, 0x00, 0xa5 };
			uint64_t keep, boundary, damage = cut;
			struct axiom_iter *it;
			struct axiom_entry e;
			size_t wlen = kind == 0 ? (size_t)cut : len;
			int ok = 1;

			memcpy(buf, pristine, len);
			if (kind)
				memset(buf + cut, fill[kind], len - cut);
			/* Zeros over padding change nothing: the damage
			 * starts at the first byte that differs. */
			while (kind && damage < len && pristine[damage] == fill[kind])
				damage++;
			for (keep = 0; keep < 3 && ends[keep] <= damage; keep++)
				;
			boundary = ends[keep - 1];
			spit(dir, SEG1, buf, wlen);
			/* The close signed seq 3; this test is about tears, not
			 * about the checkpoint check (test recovery_respects_
			 * checkpoints). */
			unlink_in(dir, AXIOM_CHECKPOINTS_FILE);
			logbuf[0] = '\0';
			if (open_log(&ax, dir, 0, 0, err, sizeof(err)) != 0) {
				printf("  cut %" PRIu64 " kind %d: open failed: %s\n", cut, kind, err);
				bad++;
				continue;
			}
			ok &= axiom_head_seq(ax) == keep;
			axiom_head_hash(ax, head);
			ok &= memcmp(head, hashes[keep - 1], 32) == 0;
			if (boundary < wlen) {
				snprintf(want, sizeof(want), "segment " SEG1 ": torn tail at offset %"
					 PRIu64, boundary);
				ok &= strstr(logbuf, want) != NULL;
				snprintf(want, sizeof(want), "dropped %" PRIu64 " bytes",
					 (uint64_t)wlen - boundary);
				ok &= strstr(logbuf, want) != NULL;
			} else {
				ok &= logbuf[0] == '\0';
			}
			ok &= file_size(dir, SEG1) == boundary;
			ok &= put(ax, "after the tear") == keep + 1;
			axiom_close(ax);
			ok &= axiom_verify(dir, NULL, &rep) == 0 && rep.entries == keep + 1 &&
			      rep.torn_bytes == 0;
			/* The new entry points back at the last kept one. */
			if (axiom_iter_open(&it, dir, keep + 1, err, sizeof(err)) == 0) {
				ok &= axiom_iter_next(it, &e) == 1 && e.seq == keep + 1 &&
				      memcmp(e.prev_hash, hashes[keep - 1], 32) == 0 &&
				      e.len == strlen("after the tear");
				axiom_iter_close(it);
			} else {
				ok = 0;
			}
			if (!ok) {
				printf("  cut %" PRIu64 " kind %d: wrong recovery; log: %s", cut, kind,
				       logbuf);
				bad++;
			}
		}
	}
	CHECK_EQ(bad, 0);
	free(buf);
	free(pristine);
	tmpdir_remove(dir);
}

/* Three entries, each its own write; returns the record offsets. */
static void three_entries(const char *dir, uint64_t off[3])
{
	struct axiom *ax;
	char err[320];

	wrap_reset();
	if (open_log(&ax, dir, 0, 0, err, sizeof(err)) != 0)
		return;
	off[0] = file_size(dir, SEG1);
	put(ax, "one");
	off[1] = file_size(dir, SEG1);
	put(ax, "two: the middle one");
	off[2] = file_size(dir, SEG1);
	put(ax, "three");
	axiom_close(ax);
}

TEST(corruption_in_the_middle)
{
	uint64_t off[3];
	struct axiom_verify_report rep;
	struct axiom_record r;
	struct axiom *ax;
	uint8_t *seg, *orig;
	size_t len;
	char *dir = tmpdir_make("axiom-test"), err[320], want[96];

	REQUIRE(dir);
	three_entries(dir, off);
	orig = slurp(dir, SEG1, &len);
	REQUIRE(orig);
	seg = malloc(len);
	REQUIRE(seg);
	snprintf(want, sizeof(want), "segment " SEG1 " offset %" PRIu64 " (seq 2)", off[1]);

	/* A flipped payload byte in the middle record: followed by a valid
	 * record, so not a torn tail. */
	memcpy(seg, orig, len);
	seg[off[1] + 70] ^= 0x20;
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, want) != NULL);
	CHECK(strstr(err, "crc mismatch") != NULL);
	CHECK_EQ(file_size(dir, SEG1), len); /* nothing cut */
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -EBADMSG);
	CHECK_EQ(rep.seq, 2);
	CHECK_EQ(rep.offset, off[1]);
	CHECK(strcmp(rep.segment, SEG1) == 0);
	CHECK(strstr(rep.what, "crc mismatch") != NULL);
	CHECK(strstr(rep.message, want) != NULL);
	CHECK_EQ(read_all(dir, NULL, 0), -EBADMSG);

	/* The middle record zeroed: a hole, then a valid record. */
	memcpy(seg, orig, len);
	memset(seg + off[1], 0, off[2] - off[1]);
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, want) != NULL && strstr(err, "zero-filled") != NULL);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -EBADMSG);
	CHECK_EQ(rep.seq, 2);

	/* A good CRC on a wrong prev hash: a chain break, whatever follows. */
	memcpy(seg, orig, len);
	REQUIRE(axiom_decode_record(seg + off[1], len - off[1], &r, NULL) > 0);
	r.prev_hash[0] ^= 1;
	axiom_encode_record(seg + off[1], &r, NULL);
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EUCLEAN);
	CHECK(strstr(err, want) != NULL && strstr(err, "chain break") != NULL);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -EUCLEAN);
	CHECK_EQ(rep.seq, 2);
	CHECK(strstr(rep.what, "chain break") != NULL);

	/* A good CRC on a wrong seq. */
	memcpy(seg, orig, len);
	REQUIRE(axiom_decode_record(seg + off[1], len - off[1], &r, NULL) > 0);
	r.seq = 5;
	axiom_encode_record(seg + off[1], &r, NULL);
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EUCLEAN);
	CHECK(strstr(err, "seq gap") != NULL);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -EUCLEAN);
	CHECK_EQ(rep.seq, 2);

	/* Even the last record: a good CRC and a broken chain is no tear. */
	memcpy(seg, orig, len);
	REQUIRE(axiom_decode_record(seg + off[2], len - off[2], &r, NULL) > 0);
	r.prev_hash[31] ^= 1;
	axiom_encode_record(seg + off[2], &r, NULL);
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EUCLEAN);

	/* A bad segment header. */
	memcpy(seg, orig, len);
	seg[20] ^= 1;
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "bad segment header") != NULL);

	free(seg);
	free(orig);
	tmpdir_remove(dir);
}

/* A damaged last record is a torn tail only if nothing says it was
 * committed: a signed checkpoint covering it does. */
TEST(recovery_respects_checkpoints)
{
	uint64_t off[3];
	struct axiom *ax;
	uint8_t *seg;
	size_t len;
	char *dir = tmpdir_make("axiom-test"), err[320];

	REQUIRE(dir);
	three_entries(dir, off); /* the close signed seq 3 */
	seg = slurp(dir, SEG1, &len);
	REQUIRE(seg);
	seg[len - 1] ^= 0xff;
	spit(dir, SEG1, seg, len);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EUCLEAN);
	CHECK(strstr(err, "checkpoint covers seq 3") != NULL);
	CHECK_EQ(file_size(dir, SEG1), len);
	/* Without the checkpoint it is what a torn write looks like. */
	unlink_in(dir, AXIOM_CHECKPOINTS_FILE);
	logbuf[0] = '\0';
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 2);
	CHECK(strstr(logbuf, "crc mismatch") != NULL);
	axiom_close(ax);
	free(seg);
	tmpdir_remove(dir);
}

/* Read-only opens and verify never change the log; a torn tail is a
 * warning there (a writer may be mid-write), reported all the same. */
TEST(read_only_leaves_tail)
{
	struct axiom_verify_report rep;
	uint64_t off[3];
	struct axiom *ax;
	uint8_t *seg;
	size_t len;
	char *dir = tmpdir_make("axiom-test"), err[320];

	REQUIRE(dir);
	three_entries(dir, off);
	seg = slurp(dir, SEG1, &len);
	REQUIRE(seg);
	spit(dir, SEG1, seg, len - 5);
	logbuf[0] = '\0';
	REQUIRE(open_log(&ax, dir, 0, 1, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 2);
	CHECK(strstr(logbuf, "left alone") != NULL);
	axiom_close(ax);
	CHECK_EQ(file_size(dir, SEG1), len - 5);
	/* The checkpoint at seq 3 now points past the log: that is an error
	 * for verify; without it the tail is only a warning. */
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -ESTALE);
	unlink_in(dir, AXIOM_CHECKPOINTS_FILE);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, 2);
	CHECK_EQ(rep.torn_offset, off[2]);
	CHECK_EQ(rep.torn_bytes, len - 5 - off[2]);
	CHECK(strcmp(rep.torn_segment, SEG1) == 0);
	CHECK_EQ(file_size(dir, SEG1), len - 5);
	free(seg);
	tmpdir_remove(dir);
}

/* --- segments ------------------------------------------------------------------ */

static int count_segments(const char *dir)
{
	char path[512], **names;
	void *store;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/axiom", dir);
	if (axiom_storage_file.open_dir(NULL, path, 0, &store) < 0)
		return -1;
	if (axiom_storage_file.list(store, &names, &n) < 0)
		n = 0;
	else
		axiom_storage_free_names(names, n);
	axiom_storage_file.close_dir(store);
	return (int)n;
}

TEST(rollover)
{
	static uint8_t big[1000];
	uint8_t hashes[61][32], head[32];
	struct axiom_verify_report rep;
	struct axiom_iter *it;
	struct axiom_entry e;
	struct axiom_stats st;
	struct axiom *ax;
	char *dir = tmpdir_make("axiom-test"), err[320], text[48], name[AXIOM_SEG_NAME_SIZE];
	uint64_t seq, prev_seg_first = 0;
	int i, nseg;

	REQUIRE(dir);
	wrap_reset();
	/* 512-byte segments, 104-byte records: four per segment. */
	REQUIRE(open_log(&ax, dir, 512, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 30; i++) {
		snprintf(text, sizeof(text), "rollover entry %03d padded to forty....", i);
		CHECK_EQ(put(ax, text), i);
	}
	/* Bigger than a segment: a segment of its own. */
	CHECK_EQ(axiom_submit(ax, AXIOM_POLICY_PUSH, big, sizeof(big),
			      &(struct axiom_result){ 0 }), 0);
	axiom_stats(ax, &st);
	axiom_close(ax);
	nseg = count_segments(dir);
	CHECK(nseg >= 8);
	CHECK_EQ(st.segments, nseg); /* the first one too, made at open */

	REQUIRE(open_log(&ax, dir, 512, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 31);
	for (i = 32; i <= 60; i++) {
		snprintf(text, sizeof(text), "rollover entry %03d padded to forty....", i);
		CHECK_EQ(put(ax, text), i);
	}
	axiom_head_hash(ax, head);
	axiom_close(ax);

	CHECK_EQ(read_all(dir, hashes, 61), 60);
	CHECK_MEM(hashes[59], head, 32);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, 60);
	CHECK_EQ(rep.segments, count_segments(dir));
	/* Segments are named by their first seq, hold at most the segment
	 * size (but for the big record), and chain to each other. */
	REQUIRE(axiom_iter_open(&it, dir, 0, err, sizeof(err)) == 0);
	while (axiom_iter_next(it, &e) == 1) {
		uint64_t first;

		CHECK_EQ(axiom_seg_parse_name(e.segment, &first), 0);
		if (first != prev_seg_first) {
			CHECK_EQ(first, e.seq);
			CHECK_EQ(e.offset, AXIOM_SEG_HDR_SIZE);
			CHECK(e.seq == 31 || file_size(dir, e.segment) <= 512);
			prev_seg_first = first;
		}
	}
	axiom_iter_close(it);
	/* From the middle of a middle segment. */
	REQUIRE(axiom_iter_open(&it, dir, 23, err, sizeof(err)) == 0);
	for (seq = 23; seq <= 60; seq++) {
		REQUIRE(axiom_iter_next(it, &e) == 1);
		CHECK_EQ(e.seq, seq);
		CHECK_MEM(e.prev_hash, hashes[seq - 2], 32);
	}
	CHECK_EQ(axiom_iter_next(it, &e), 0);
	axiom_iter_close(it);

	/* A segment gone from the middle: a seq gap at the next one. */
	axiom_seg_name(name, 5);
	{
		size_t len;
		uint8_t *saved = slurp(dir, name, &len);

		REQUIRE(saved);
		unlink_in(dir, name);
		CHECK_EQ(open_log(&ax, dir, 512, 0, err, sizeof(err)), -EUCLEAN);
		CHECK(strstr(err, "seq gap") != NULL);
		CHECK_EQ(axiom_verify(dir, NULL, &rep), -EUCLEAN);
		CHECK_EQ(rep.seq, 5);
		/* Its last record damaged: not the last segment, so not a
		 * tear. */
		saved[len - 1] ^= 0x40;
		spit(dir, name, saved, len);
		CHECK_EQ(open_log(&ax, dir, 512, 0, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, name) != NULL && strstr(err, "crc mismatch") != NULL);
		CHECK_EQ(axiom_verify(dir, NULL, &rep), -EBADMSG);
		CHECK(strcmp(rep.segment, name) == 0);
		CHECK_EQ(rep.seq, 8);
		free(saved);
	}
	tmpdir_remove(dir);
}

/* An iterator follows a log being written, across segments. */
TEST(follow)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	struct axiom *ax;
	char *dir = tmpdir_make("axiom-test"), err[320], text[48];
	uint64_t next = 1;
	int i, rc;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 512, 0, err, sizeof(err)) == 0);
	REQUIRE(axiom_iter_open(&it, dir, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_iter_next(it, &e), 0);
	for (i = 0; i < 3; i++)
		put(ax, "early");
	while ((rc = axiom_iter_next(it, &e)) == 1)
		CHECK_EQ(e.seq, next++);
	CHECK_EQ(rc, 0);
	CHECK_EQ(next, 4);
	for (i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "later entry %d, with some padding....", i);
		put(ax, text);
	}
	while ((rc = axiom_iter_next(it, &e)) == 1)
		CHECK_EQ(e.seq, next++);
	CHECK_EQ(rc, 0);
	CHECK_EQ(next, 24);
	axiom_close(ax);
	axiom_iter_close(it);
	tmpdir_remove(dir);
}

/* --- checkpoints --------------------------------------------------------------- */

static int latest_line(const char *dir, char line[AXIOM_CKPT_LINE_MAX])
{
	struct axiom_checkpoint *v;
	char logdir[512], err[320];
	size_t n;

	snprintf(logdir, sizeof(logdir), "%s/axiom", dir);
	if (axiom_checkpoints_load(logdir, &v, &n, err, sizeof(err)) < 0 || !n)
		return -1;
	axiom_checkpoint_format(&v[n - 1], line);
	free(v);
	return (int)n;
}

static void copy_key(const char *from, const char *to)
{
	char path[512];
	size_t len;
	uint8_t *k;

	snprintf(path, sizeof(path), "%s/axiom", to);
	mkdir(path, 0700);
	k = slurp(from, AXIOM_KEY_FILE, &len);
	if (k)
		spit(to, AXIOM_KEY_FILE, k, len);
	free(k);
	k = slurp(from, AXIOM_PUBKEY_FILE, &len);
	if (k)
		spit(to, AXIOM_PUBKEY_FILE, k, len);
	free(k);
}

TEST(checkpoints)
{
	char *dir = tmpdir_make("axiom-test"), *dir2 = tmpdir_make("axiom-test"),
	     *dir3 = tmpdir_make("axiom-test");
	char err[320], line[AXIOM_CKPT_LINE_MAX], bad[AXIOM_CKPT_LINE_MAX], text[32];
	const char *lines[1] = { line };
	struct axiom_verify_opts vo = { .checkpoints = lines, .ncheckpoints = 1 };
	struct axiom_verify_report rep;
	struct axiom_checkpoint c;
	uint8_t pk[32], head[32], other[32];
	struct stat st;
	struct axiom *ax;
	size_t len;
	uint8_t *file;
	int i, n;

	REQUIRE(dir && dir2 && dir3);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 5; i++) {
		snprintf(text, sizeof(text), "checkpointed %d", i);
		put(ax, text);
	}
	CHECK_EQ(axiom_checkpoint(ax), 0);
	axiom_head_hash(ax, head);
	REQUIRE(latest_line(dir, line) == 1);
	put(ax, "after the checkpoint");
	axiom_close(ax); /* signs seq 6 */
	CHECK_EQ(latest_line(dir, bad), 2);

	/* The key: private, and its public half published. */
	{
		char path[512];

		path_of(path, sizeof(path), dir, AXIOM_KEY_FILE);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 64);
	}
	REQUIRE(axiom_checkpoint_parse(line, &c) == 0);
	CHECK_EQ(c.seq, 5);
	CHECK_MEM(c.head, head, 32);
	snprintf(err, sizeof(err), "%s/axiom", dir);
	REQUIRE(axiom_pubkey_load(err, pk) == 0);
	CHECK_EQ(axiom_checkpoint_check_sig(&c, pk), 0);

	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.checkpoints, 2);
	CHECK_EQ(rep.entries, 6);
	CHECK_EQ(axiom_verify(dir, &vo, &rep), 0);
	CHECK_EQ(rep.checkpoints, 3);

	/* A tampered line: one digit of the head. */
	snprintf(bad, sizeof(bad), "%s", line);
	{
		char *h = strstr(bad, "head=") + 5;

		*h = *h == '0' ? '1' : '0';
	}
	lines[0] = bad;
	CHECK_EQ(axiom_verify(dir, &vo, &rep), -EKEYREJECTED);
	CHECK(strstr(rep.message, "bad checkpoint signature") != NULL);
	lines[0] = line;

	/* A different key. */
	memset(other, 0x11, sizeof(other));
	vo.pubkey = other;
	CHECK_EQ(axiom_verify(dir, &vo, &rep), -EKEYREJECTED);
	vo.pubkey = pk;
	CHECK_EQ(axiom_verify(dir, &vo, &rep), 0);
	vo.pubkey = NULL;

	/* A tampered file: seq=5 made seq=4. */
	file = slurp(dir, AXIOM_CHECKPOINTS_FILE, &len);
	REQUIRE(file);
	file[4] = '4';
	spit(dir, AXIOM_CHECKPOINTS_FILE, file, len);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -EKEYREJECTED);
	CHECK(strstr(rep.message, "checkpoints line 1") != NULL);
	file[4] = '5';
	/* A torn last line (no newline) is skipped, not an error. */
	spit(dir, AXIOM_CHECKPOINTS_FILE, file, len - 7);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.checkpoints, 1);
	/* ...and the next append cuts it. */
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_checkpoint(ax), 0);
	axiom_close(ax);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.checkpoints, 2);
	free(file);

	/* The same key over a rewritten history: same length, other
	 * entries. The old checkpoint catches it. */
	copy_key(dir, dir2);
	REQUIRE(open_log(&ax, dir2, 0, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 6; i++)
		put(ax, "rewritten");
	axiom_close(ax);
	CHECK_EQ(axiom_verify(dir2, NULL, &rep), 0);
	CHECK_EQ(axiom_verify(dir2, &vo, &rep), -ESTALE);
	CHECK_EQ(rep.seq, 5);
	CHECK(strstr(rep.what, "hash differs") != NULL);
	/* A shorter history. */
	copy_key(dir, dir3);
	REQUIRE(open_log(&ax, dir3, 0, 0, err, sizeof(err)) == 0);
	put(ax, "only one");
	axiom_close(ax);
	CHECK_EQ(axiom_verify(dir3, &vo, &rep), -ESTALE);
	CHECK(strstr(rep.what, "covers seq 5") != NULL);

	/* A lost key is not replaced behind the checkpoints' back. */
	unlink_in(dir3, AXIOM_KEY_FILE);
	CHECK_EQ(open_log(&ax, dir3, 0, 0, err, sizeof(err)), -ENOKEY);
	CHECK(strstr(err, "restore the key") != NULL);
	CHECK_EQ(open_log(&ax, dir3, 0, 1, err, sizeof(err)), 0); /* readers need none */
	axiom_close(ax);

	/* A line that is not one. */
	lines[0] = "seq=5 head=00";
	CHECK_EQ(axiom_verify(dir, &vo, &rep), -EINVAL);
	n = axiom_checkpoint_parse("seq=1 head=zz", &c);
	CHECK_EQ(n, -EINVAL);
	tmpdir_remove(dir);
	tmpdir_remove(dir2);
	tmpdir_remove(dir3);
}

/* --- failures ---------------------------------------------------------------- */

static struct axiom_result cb_res;
static int cb_calls;
static int cb_err;

static void on_result(void *arg, const struct axiom_result *res)
{
	(void)arg;
	cb_res = *res;
	cb_calls++;
}

/* An I/O error that is not a full disk fails the log until it is
 * reopened: nothing may commit after the hole the rejection left. */
static void failure_case(int which)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom_verify_report rep;
	struct axiom_result res;
	struct pollfd pfd;
	struct axiom *ax;
	uint64_t size5;
	int i, pw;

	if (!dir)
		return;
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 5; i++)
		CHECK_EQ(put(ax, "before the disk broke"), i);
	size5 = file_size(dir, SEG1);
	if (which == 0)
		__atomic_store_n(&W.fail_pwrite, EIO, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&W.fail_sync, EIO, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "lost", 4, &res), 0);
	CHECK(!res.committed);
	CHECK_EQ(res.seq, 0);
	CHECK(strstr(res.reason, "Input/output error (EIO)"));
	CHECK(strstr(res.reason, SEG1) != NULL && strstr(res.reason, dir) != NULL);
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 2);
	/* The disk is fine again, but the log stays failed. It does not
	 * even try. */
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&W.fail_sync, 0, __ATOMIC_SEQ_CST);
	pw = w_get(&W.pwrites);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "also lost", 9, &res), 0);
	CHECK(!res.committed);
	cb_calls = 0;
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "lost too", 8, AXIOM_KEEP, on_result, NULL), 0);
	pfd.fd = axiom_event_fd(ax);
	pfd.events = POLLIN;
	for (i = 0; i < 100 && !cb_calls; i++) {
		poll(&pfd, 1, 10);
		axiom_dispatch(ax);
	}
	CHECK_EQ(cb_calls, 1);
	CHECK(!cb_res.committed && cb_res.reason[0]);
	CHECK_EQ(w_get(&W.pwrites), pw);
	CHECK_EQ(axiom_head_seq(ax), 5);
	axiom_close(ax);
	/* The failed write was taken back off the file. */
	CHECK_EQ(file_size(dir, SEG1), size5);

	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 5);
	CHECK_EQ(put(ax, "after reopening"), 6);
	axiom_close(ax);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, 6);
	tmpdir_remove(dir);
}

TEST(write_error_rejects_until_reopen)
{
	failure_case(0);
}

TEST(sync_failure_rejects_until_reopen)
{
	failure_case(1);
}

/* Dispatch until cb_calls reaches want or ms pass. */
static void dispatch_until(struct axiom *ax, int want, int ms)
{
	struct pollfd pfd = { .fd = axiom_event_fd(ax), .events = POLLIN };

	for (int i = 0; i < ms / 5 && cb_calls < want; i++) {
		poll(&pfd, 1, 5);
		axiom_dispatch(ax);
	}
}

static uint64_t owed_seqs[8];
static int owed_n;

static void on_owed(void *arg, const struct axiom_result *res)
{
	(void)arg;
	cb_calls++;
	cb_res = *res;
	if (res->committed && owed_n < 8)
		owed_seqs[owed_n++] = res->seq;
}

/*
 * The disk fills up: what may be refused is refused (at once, naming the
 * file and ENOSPC), what is owed (AXIOM_KEEP) waits and is retried, and
 * once space returns it is written in order and the log takes everything
 * again, without a reopen. The failed write is taken back off the file.
 * BUG (fixed): after one ENOSPC the log rejected every later proposal
 * until it was reopened, and an owed close entry was lost.
 */
TEST(disk_full_retries_owed_entries)
{
	char *dir = tmpdir_make("axiom-test"), err[320], want[512];
	struct axiom_verify_report rep;
	struct axiom_result res;
	struct axiom_stats st;
	struct axiom *ax;
	uint64_t size5;
	int i, pw;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 5; i++)
		CHECK_EQ(put(ax, "before the disk filled up"), i);
	size5 = file_size(dir, SEG1);
	logbuf[0] = '\0';
	__atomic_store_n(&W.fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	snprintf(want, sizeof(want), "write %s/axiom/" SEG1 ": No space left on device (ENOSPC)",
		 dir);
	/* A refusable entry: rejected, the reason names the file. */
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "refused", 7, &res), 0);
	CHECK(!res.committed && strcmp(res.reason, want) == 0);
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 1);
	CHECK(strcmp(err, want) == 0);
	CHECK(strstr(logbuf, want) != NULL);
	/* While full, a new refusable proposal is refused at once. */
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "at once", 7, on_result, NULL), -ENOSPC);
	/* Owed entries wait and are retried. */
	cb_calls = 0;
	owed_n = 0;
	for (i = 0; i < 3; i++)
		CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed close", 10, AXIOM_KEEP, on_owed,
					  NULL), 0);
	dispatch_until(ax, 1, 350);
	CHECK_EQ(cb_calls, 0);
	axiom_stats(ax, &st);
	CHECK_EQ(st.owed, 3);
	CHECK_EQ(st.full, 1);
	CHECK_EQ(st.full_events, 1);
	CHECK(st.full_retries >= 3); /* the refused one, then every 100 ms */
	CHECK_EQ(st.refused_full, 1);
	CHECK_EQ(st.committed, 5);
	CHECK_EQ(file_size(dir, SEG1), size5); /* every failed write taken back */
	/* Space returns: the owed entries go out in order, by themselves. */
	pw = w_get(&W.pwrites);
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	dispatch_until(ax, 3, 1000);
	CHECK_EQ(cb_calls, 3);
	CHECK_EQ(owed_n, 3);
	CHECK(owed_seqs[0] == 6 && owed_seqs[1] == 7 && owed_seqs[2] == 8);
	CHECK_EQ(w_get(&W.pwrites), pw + 1); /* all three in one write */
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 0);
	CHECK(strstr(logbuf, "there is space again: writing resumed at seq 6") != NULL);
	CHECK_EQ(put(ax, "and new ones too"), 9);
	axiom_stats(ax, &st);
	CHECK_EQ(st.owed, 0);
	CHECK_EQ(st.full, 0);
	CHECK_EQ(st.committed, 9);
	CHECK_EQ(st.rejected, 1);
	axiom_close(ax);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, 9);
	tmpdir_remove(dir);
}

/* A refusable proposal after the retry interval goes to the disk as a
 * probe, so a log with nothing owed also resumes when space returns. */
TEST(disk_full_probe_resumes)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom_result res;
	struct axiom *ax;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	__atomic_store_n(&W.fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	CHECK_EQ(put(ax, "refused"), 0);
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "x", 1, NULL, NULL), -ENOSPC);
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	usleep((AXIOM_FULL_RETRY_MS + 20) * 1000);
	cb_calls = 0;
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "probe", 5, on_result, NULL), 0);
	dispatch_until(ax, 1, 1000);
	CHECK(cb_calls == 1 && cb_res.committed && cb_res.seq == 2);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "two", 3, &res), 0);
	CHECK(res.committed && res.seq == 3);
	axiom_close(ax);
	tmpdir_remove(dir);
}

/* Closing while the disk is still full: what is owed cannot be written;
 * it is rejected and said, never waited for forever. */
TEST(disk_full_close_does_not_hang)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom *ax;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	__atomic_store_n(&W.fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	logbuf[0] = '\0';
	cb_calls = 0;
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed", 4, AXIOM_KEEP, on_result, NULL), 0);
	axiom_close(ax);
	CHECK_EQ(cb_calls, 1);
	CHECK(!cb_res.committed && strstr(cb_res.reason, "(ENOSPC)"));
	CHECK(strstr(logbuf, "closing with the disk still full: 1 owed entries were not written"));
	CHECK_EQ(read_all(dir, NULL, 0), 1);
	tmpdir_remove(dir);
}

/* A group: one write, one sync, consecutive seqs; on a full disk none of
 * it is written. */
TEST(group_all_or_nothing)
{
	struct axiom_item items[300];
	struct axiom_result res[300];
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom_stats st0, st;
	struct axiom *ax;
	uint64_t size1;
	int i, ok = 1;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	for (i = 0; i < 300; i++)
		items[i] = (struct axiom_item){ .type = AXIOM_CONN_CLOSE, .payload = "group member",
						.len = 12 };
	axiom_stats(ax, &st0);
	CHECK_EQ(axiom_submit_group(ax, items, 300, res), 0);
	for (i = 0; i < 300; i++)
		ok &= res[i].committed && res[i].seq == (uint64_t)i + 2;
	CHECK(ok);
	axiom_stats(ax, &st);
	CHECK_EQ(st.syncs - st0.syncs, 1);
	size1 = file_size(dir, SEG1);
	__atomic_store_n(&W.fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_submit_group(ax, items, 3, res), 0);
	CHECK(!res[0].committed && !res[1].committed && !res[2].committed);
	CHECK(strstr(res[2].reason, "(ENOSPC)") != NULL);
	CHECK_EQ(file_size(dir, SEG1), size1);
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_head_seq(ax), 301);
	axiom_close(ax);
	CHECK_EQ(read_all(dir, NULL, 0), 301);
	tmpdir_remove(dir);
}

TEST(segment_create_failure)
{
	char *dir = tmpdir_make("axiom-test"), err[320], text[48], want[400];
	struct axiom_result res;
	struct axiom *ax;
	int i;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 512, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 4; i++) {
		snprintf(text, sizeof(text), "rollover entry %03d padded to forty....", i);
		CHECK_EQ(put(ax, text), i);
	}
	/* A full disk at rollover: refused, and taken again later. */
	__atomic_store_n(&W.fail_create, ENOSPC, __ATOMIC_SEQ_CST);
	snprintf(want, sizeof(want), "create %s/axiom/00000000000000000005.seg: No space left on "
		 "device (ENOSPC)", dir);
	CHECK_EQ(axiom_submit(ax, AXIOM_START, text, (uint32_t)strlen(text), &res), 0);
	CHECK(!res.committed && strcmp(res.reason, want) == 0);
	__atomic_store_n(&W.fail_create, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(put(ax, text), 5);
	/* Any other error fails the log until it is reopened. */
	for (i = 6; i <= 8; i++)
		CHECK_EQ(put(ax, text), i);
	__atomic_store_n(&W.fail_create, EIO, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_submit(ax, AXIOM_START, text, (uint32_t)strlen(text), &res), 0);
	CHECK(!res.committed && strstr(res.reason, "create ") && strstr(res.reason, "(EIO)"));
	__atomic_store_n(&W.fail_create, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_submit(ax, AXIOM_START, text, (uint32_t)strlen(text), &res), 0);
	CHECK(!res.committed);
	axiom_close(ax);
	REQUIRE(open_log(&ax, dir, 512, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, text), 9);
	axiom_close(ax);
	CHECK_EQ(read_all(dir, NULL, 0), 9);
	tmpdir_remove(dir);
}

/* --- a power cut in the middle of a write ------------------------------------- */

static struct axiom_item batch_items[120];

/* Five entries each synced, then a group of n (one write) with page
 * tear_page of it torn if tear_page >= 0; the log closed as a power cut
 * would leave it (the last checkpoint not written). Returns the offset of
 * the group's first record and its record size. */
static void log_with_last_write(const char *dir, int groups, int tear_page, uint64_t *start,
				size_t *recsize)
{
	static struct axiom_result res[120];
	static const char text[] = "a connection entry, 48 bytes of payload text ..";
	struct axiom *ax;
	char err[320];
	int i, g;

	wrap_reset();
	if (open_log(&ax, dir, 0, 0, err, sizeof(err)) != 0)
		return;
	for (i = 1; i <= 5; i++)
		put(ax, "synced one by one");
	for (i = 0; i < 120; i++)
		batch_items[i] = (struct axiom_item){ .type = AXIOM_CONN_AUTHORIZE,
						      .payload = text, .len = 48 };
	*recsize = (size_t)axiom_rec_size(48);
	for (g = 0; g < groups; g++) {
		if (g == 0)
			*start = file_size(dir, SEG1);
		if (g == groups - 1)
			W.tear_page = tear_page;
		axiom_submit_group(ax, batch_items, 120, res);
	}
	axiom_close(ax);
	/* The power cut came before that write's sync returned: no
	 * checkpoint says it was committed. */
	unlink_in(dir, AXIOM_CHECKPOINTS_FILE);
}

/*
 * The pages of the last write reached the disk out of order: one of them
 * (the first, which the write shares with synced records, or one in the
 * middle) is zeros, records of the same write follow it. Nothing of that
 * write was promised: recovery cuts the log after the last whole record
 * before the hole, says so, and the log goes on from there.
 * BUG (fixed): junk followed by a record with a good CRC was called
 * damage, and the restart refused.
 */
TEST(torn_last_write_is_cut)
{
	static const int pages[2] = { 0, 2 };

	for (int t = 0; t < 2; t++) {
		char *dir = tmpdir_make("axiom-test"), err[320], want[160];
		struct axiom_verify_report rep;
		struct axiom *ax;
		uint64_t start = 0, keep_off;
		size_t rs = 0;
		long keep;

		REQUIRE(dir);
		log_with_last_write(dir, 1, pages[t], &start, &rs);
		REQUIRE(W.torn_to > W.torn_from);
		/* Records of the write from the one the hole starts in. */
		keep = (long)((W.torn_from - start) / rs);
		keep_off = start + (uint64_t)keep * rs;
		REQUIRE(W.torn_to < start + 120 * rs); /* whole records follow */
		logbuf[0] = '\0';
		if (open_log(&ax, dir, 0, 0, err, sizeof(err)) != 0) {
			printf("  page %d: open failed: %s\n", pages[t], err);
			CHECK(0);
			tmpdir_remove(dir);
			continue;
		}
		CHECK_EQ(axiom_head_seq(ax), 5 + (uint64_t)keep);
		snprintf(want, sizeof(want), "segment " SEG1 ": torn tail at offset %" PRIu64,
			 keep_off);
		CHECK(strstr(logbuf, want) != NULL);
		CHECK_EQ(file_size(dir, SEG1), keep_off);
		CHECK_EQ(put(ax, "after the power cut"), 6 + (uint64_t)keep);
		axiom_close(ax);
		CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
		CHECK_EQ(rep.entries, 6 + (uint64_t)keep);
		tmpdir_remove(dir);
	}
}

/* The same hole in a write that was synced before the last one began is
 * damage: the log is not opened, and nothing is cut. */
TEST(hole_in_synced_write_is_damage)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom_verify_report rep;
	struct axiom *ax;
	uint64_t start = 0, size;
	size_t rs = 0;
	uint8_t zeros[4096] = { 0 };
	char path[512];
	int fd;

	REQUIRE(dir);
	log_with_last_write(dir, 2, -1, &start, &rs);
	size = file_size(dir, SEG1);
	/* A page in the middle of the first group (synced before the
	 * second was written) goes to zeros. */
	path_of(path, sizeof(path), dir, SEG1);
	fd = open(path, O_WRONLY);
	REQUIRE(fd >= 0);
	CHECK_EQ(pwrite(fd, zeros, sizeof(zeros), (off_t)((start / 4096 + 2) * 4096)), 4096);
	close(fd);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "followed by a valid record") != NULL);
	CHECK_EQ(file_size(dir, SEG1), size);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), -EBADMSG);
	tmpdir_remove(dir);
}

/* Close commits what was proposed before it, and runs the callbacks. */
TEST(close_drains)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom *ax;
	int i;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	cb_calls = 0;
	for (i = 0; i < 100; i++)
		CHECK_EQ(axiom_propose(ax, AXIOM_CONN_CLOSE, "bye", 3, on_result, NULL), 0);
	axiom_close(ax);
	CHECK_EQ(cb_calls, 100);
	CHECK(cb_res.committed && cb_res.seq == 100);
	CHECK_EQ(read_all(dir, NULL, 0), 100);
	tmpdir_remove(dir);
}

/*
 * A log written before records said where their write began (flags 0):
 * it still opens, verifies and grows; and a hole followed by such a record
 * is still damage, since nothing says the two were one unsynced write.
 */
TEST(old_log_without_write_marks)
{
	static uint8_t seg[4096];
	uint8_t chain[AXIOM_HASH_SIZE] = { 0 };
	uint64_t off[6];
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom_verify_report rep;
	struct axiom *ax;
	size_t len = AXIOM_SEG_HDR_SIZE;
	int i;

	REQUIRE(dir);
	wrap_reset();
	/* The directory and key as a first open makes them. */
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	axiom_close(ax);
	axiom_encode_seg_hdr(seg, 1, chain);
	for (i = 0; i < 5; i++) {
		struct axiom_record r = { .seq = (uint64_t)i + 1, .ts_ns = 1, .type = AXIOM_START,
					  .len = 24, .payload = (const uint8_t *)"an entry of an old log.." };

		memcpy(r.prev_hash, chain, sizeof(chain));
		off[i] = len;
		len += axiom_encode_record(seg + len, &r, chain);
	}
	off[5] = len;
	spit(dir, SEG1, seg, len);
	unlink_in(dir, AXIOM_CHECKPOINTS_FILE);
	CHECK_EQ(axiom_verify(dir, NULL, &rep), 0);
	CHECK_EQ(rep.entries, 5);
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 5);
	CHECK_EQ(put(ax, "a new entry"), 6);
	axiom_close(ax);
	CHECK_EQ(read_all(dir, NULL, 0), 6);
	/* Record 3 zeroed, 4 and 5 after it. */
	memset(seg + off[2], 0, (size_t)(off[3] - off[2]));
	spit(dir, SEG1, seg, len);
	unlink_in(dir, AXIOM_CHECKPOINTS_FILE);
	CHECK_EQ(open_log(&ax, dir, 0, 0, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "followed by a valid record") != NULL);
	CHECK_EQ(file_size(dir, SEG1), len);
	tmpdir_remove(dir);
}

/*
 * axiom_close() says how many entries owed to the log (AXIOM_KEEP) were
 * never written: those still waiting for a full disk at the close, and
 * those a failed log rejected. 0 when every one was written.
 * BUG (fixed): it said nothing (void), so its owner called such a stop
 * clean (exit 0, "stopped cleanly") though the log lacked closes.
 */
TEST(close_counts_owed_entries_never_written)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom_stats st;
	struct axiom *ax;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed", 4, AXIOM_KEEP, NULL, NULL), 0);
	CHECK_EQ(axiom_close(ax), 0);
	CHECK_EQ(read_all(dir, NULL, 0), 1);

	/* Two owed entries still waiting for a full disk at the close. */
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	__atomic_store_n(&W.fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed", 4, AXIOM_KEEP, NULL, NULL), 0);
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_REVOKE, "owed", 4, AXIOM_KEEP, NULL, NULL), 0);
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_REJECT, "may go", 6, NULL, NULL), 0);
	CHECK_EQ(axiom_close(ax), 2);
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(read_all(dir, NULL, 0), 1);

	/* One rejected by a failed log (EIO), counted as it happens. */
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	__atomic_store_n(&W.fail_pwrite, EIO, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed", 4, AXIOM_KEEP, NULL, NULL), 0);
	for (int i = 0; i < 500; i++) {
		axiom_stats(ax, &st);
		if (st.owed_lost)
			break;
		usleep(10000);
	}
	CHECK_EQ(st.owed_lost, 1);
	__atomic_store_n(&W.fail_pwrite, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(axiom_close(ax), 1);
	CHECK_EQ(read_all(dir, NULL, 0), 1);
	tmpdir_remove(dir);
}

/* A callback that owes the log an entry (as the authorizer's does for a
 * connection that went before its authorization committed). */
static void owe_close(void *arg, const struct axiom_result *res)
{
	struct axiom *ax = arg;

	(void)res;
	cb_calls++;
	cb_err = axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed late", 9, AXIOM_KEEP, NULL, NULL);
}

/*
 * An entry owed to the log proposed while it closes (from a callback that
 * axiom_close() runs, the last commits' ones) is refused (-ESHUTDOWN) and
 * never written: axiom_close() counts it with the others it lost.
 * BUG (fixed): not counted; a stop whose last authorizations committed
 * as it closed lost their closes and still returned 0.
 */
TEST(close_counts_owed_entries_refused_while_closing)
{
	char *dir = tmpdir_make("axiom-test"), err[320];
	struct axiom *ax;

	REQUIRE(dir);
	wrap_reset();
	REQUIRE(open_log(&ax, dir, 0, 0, err, sizeof(err)) == 0);
	cb_calls = 0;
	cb_err = 0;
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "late", 4, owe_close, ax), 0);
	CHECK_EQ(axiom_close(ax), 1);
	CHECK_EQ(cb_calls, 1);
	CHECK_EQ(cb_err, -ESHUTDOWN);
	CHECK_EQ(read_all(dir, NULL, 0), 1);
	tmpdir_remove(dir);
}

TEST_MAIN(T(type_names), T(crc32c), T(record_codec), T(segment_header),
	  T(reopen_keeps_entries), T(group_commit), T(blocking_submit_threads),
	  T(propose_errors), T(torn_tail_every_offset), T(corruption_in_the_middle),
	  T(recovery_respects_checkpoints), T(read_only_leaves_tail), T(rollover), T(follow),
	  T(checkpoints), T(write_error_rejects_until_reopen), T(sync_failure_rejects_until_reopen),
	  T(disk_full_retries_owed_entries), T(disk_full_probe_resumes),
	  T(disk_full_close_does_not_hang), T(group_all_or_nothing), T(segment_create_failure),
	  T(torn_last_write_is_cut), T(hole_in_synced_write_is_damage), T(old_log_without_write_marks),
	  T(close_drains), T(close_counts_owed_entries_never_written),
	  T(close_counts_owed_entries_refused_while_closing))
