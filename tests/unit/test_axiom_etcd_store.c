/*
 * test_axiom_etcd_store.c - axiom/storage_etcd.c against an etcd served
 * from memory (fake_etcd.h) with faults injected per request: commits,
 * group commit, writes in doubt that landed or not, definite failures,
 * writers that lost the log, chunks left past head by failed big writes,
 * shared readers, the hold, keys and checkpoints, and Axiom on top.
 * The real cluster is tests/e2e/test-axiom-etcd-store.sh.
 */
#define _GNU_SOURCE
#include "fake_etcd.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "axiom/checkpoint.h"
#include "axiom/reader.h"
#include "axiom/record.h"
#include "axiom/storage_etcd.h"
#include "testlib.h"
#include "tmpdir.h"

static const struct axiom_storage_ops *E = &axiom_storage_etcd;

static struct axiom_etcd_config cfg(int wait_ms)
{
	return (struct axiom_etcd_config){ .endpoints = "fake:2379", .prefix = "t/log",
					   .holder = "host=unit pid=1", .lease_ttl_s = 30,
					   .wait_ms = wait_ms };
}

static void *open_store(int writable, int wait_ms, int *rc)
{
	struct axiom_etcd_config c = cfg(wait_ms);
	void *s = NULL;

	*rc = E->open_dir(&c, "/nonexistent", writable, &s);
	return *rc == 0 ? s : NULL;
}

static void get(const char *key, char *buf, size_t len, int64_t *mod)
{
	struct etcd_client *c;
	struct etcd_range r;

	etcd_open(&c, NULL, NULL, 0);
	buf[0] = 0;
	if (etcd_get(c, key, &r) == 0) {
		if (r.n == 1) {
			snprintf(buf, len, "%s", (const char *)r.kvs[0].value);
			if (mod)
				*mod = r.kvs[0].mod_rev;
		}
		etcd_range_free(&r);
	}
	etcd_close(c);
}

static void del(const char *key)
{
	struct etcd_client *c;

	etcd_open(&c, NULL, NULL, 0);
	etcd_delete(c, key, strlen(key), NULL, 0, NULL);
	etcd_close(c);
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* What a read-only store sees of segment name: size and bytes. */
static uint64_t read_seg(const char *name, uint8_t *buf, size_t cap)
{
	void *s, *f;
	uint64_t size = 0;
	int rc;

	s = open_store(0, 0, &rc);
	if (!s)
		return 0;
	if (E->open(s, name, 0, &f) == 0) {
		E->size(f, &size);
		if (size <= cap)
			E->pread(f, buf, (size_t)size, 0);
		E->close(f);
	}
	E->close_dir(s);
	return size;
}

static void seg1(char name[AXIOM_SEG_NAME_SIZE], uint8_t hdr[64])
{
	axiom_seg_name(name, 1);
	fill(hdr, 64, 0);
}

TEST(commit_group_and_read_back)
{
	char name[AXIOM_SEG_NAME_SIZE], head[128];
	uint8_t hdr[64], a[100], b[50], got[256];
	void *s, *f;
	char **names;
	size_t n;
	uint64_t txns;
	int rc;

	fake_reset();
	s = open_store(1, 0, &rc);
	REQUIRE(s);
	CHECK_EQ(E->list(s, &names, &n), 0);
	CHECK_EQ(n, 0);
	axiom_storage_free_names(names, n);
	seg1(name, hdr);
	REQUIRE(E->create(s, name, hdr, 64, &f) == 0);
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	txns = fake.calls[FAKE_TXN];
	/* Group commit: two pwrites, one datasync, one transaction. */
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 64), 0);
	CHECK_EQ(E->pwrite(f, b, sizeof(b), 164), 0);
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(fake.calls[FAKE_TXN] - txns, 1);
	CHECK_EQ(E->datasync(f), 0); /* nothing pending: no request */
	CHECK_EQ(fake.calls[FAKE_TXN] - txns, 1);
	get("t/log/head", head, sizeof(head), NULL);
	CHECK(strncmp(head, "seg=00000000000000000001", 24) == 0 || strstr(head, " off=214 w="));
	CHECK(strstr(head, " off=214 w=") != NULL);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 214);
	CHECK_MEM(got, hdr, 64);
	CHECK_MEM(got + 64, a, sizeof(a));
	CHECK_MEM(got + 164, b, sizeof(b));
	/* Committed bytes cannot be rewritten or cut. */
	CHECK_EQ(E->pwrite(f, a, 10, 100), -EINVAL);
	CHECK_EQ(E->truncate(f, 100), -EINVAL);
	E->close(f);
	E->close_dir(s);
}

TEST(in_doubt_that_landed_counts_once)
{
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], a[100], got[256];
	void *s, *f;
	int rc;

	fake_reset();
	s = open_store(1, 0, &rc);
	REQUIRE(s);
	seg1(name, hdr);
	REQUIRE(E->create(s, name, hdr, 64, &f) == 0);
	fill(a, sizeof(a), 3);
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 64), 0);
	fake_fail(FAKE_TXN, 1, -ETIMEDOUT, 1); /* applied, answer lost */
	CHECK_EQ(E->datasync(f), -ETIMEDOUT);
	/* The writer may not cut or add to a write in doubt. */
	CHECK_EQ(E->truncate(f, 64), -EBUSY);
	CHECK_EQ(E->pwrite(f, a, 10, 164), -EBUSY);
	fake_fail(FAKE_TXN, 1, -EAGAIN, 0); /* the retry refused: still in doubt */
	CHECK_EQ(E->datasync(f), -ETIMEDOUT);
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 164);
	CHECK_MEM(got + 64, a, sizeof(a));
	/* It adopted the head it found: the next write commits. */
	CHECK_EQ(E->pwrite(f, a, 20, 164), 0);
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 184);
	E->close(f);
	E->close_dir(s);
}

TEST(in_doubt_that_did_not_land_is_sent_again)
{
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], a[100], got[256];
	void *s, *f;
	int rc;

	fake_reset();
	s = open_store(1, 0, &rc);
	REQUIRE(s);
	seg1(name, hdr);
	REQUIRE(E->create(s, name, hdr, 64, &f) == 0);
	fill(a, sizeof(a), 4);
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 64), 0);
	fake_fail(FAKE_TXN, 1, -EPROTO, 0);
	CHECK_EQ(E->datasync(f), -ETIMEDOUT);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 64);
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 164);
	CHECK_MEM(got + 64, a, sizeof(a));
	E->close(f);
	E->close_dir(s);
}

TEST(unavailable_write_is_cut_back_and_written_anew)
{
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], a[100], b[40], got[256];
	void *s, *f;
	int rc;

	fake_reset();
	s = open_store(1, 0, &rc);
	REQUIRE(s);
	seg1(name, hdr);
	REQUIRE(E->create(s, name, hdr, 64, &f) == 0);
	fill(a, sizeof(a), 5);
	fill(b, sizeof(b), 6);
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 64), 0);
	fake_fail(FAKE_TXN, 1, -EAGAIN, 0);
	CHECK_EQ(E->datasync(f), -EAGAIN);
	CHECK(strstr(E->error(s), "fake etcd") != NULL);
	CHECK_EQ(E->truncate(f, 64), 0);
	CHECK_EQ(E->pwrite(f, b, sizeof(b), 64), 0);
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 104);
	CHECK_MEM(got + 64, b, sizeof(b));
	E->close(f);
	E->close_dir(s);
}

TEST(big_write_in_pieces_and_chunks_left_past_head_are_never_read)
{
	enum { BIG = 2 * 1024 * 1024 + 1000 };
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], *a = malloc(BIG), *b = malloc(BIG), *got = malloc(2 * BIG + 256);
	uint8_t small[100];
	uint64_t txns;
	void *s, *f;
	int rc;

	fake_reset();
	s = open_store(1, 0, &rc);
	REQUIRE(s && a && b && got);
	seg1(name, hdr);
	REQUIRE(E->create(s, name, hdr, 64, &f) == 0);
	fill(a, BIG, 7);
	fill(b, BIG, 8);
	fill(small, sizeof(small), 9);
	/* The pieces go, the last transaction (with head) fails for certain:
	 * the pieces stay in etcd past head. */
	CHECK_EQ(E->pwrite(f, a, BIG, 64), 0);
	fake_fail_after(FAKE_TXN, 3, 1, -EAGAIN, 0);
	CHECK_EQ(E->datasync(f), -EAGAIN);
	CHECK_EQ(read_seg(name, got, 2 * BIG + 256), 64);
	CHECK_EQ(E->truncate(f, 64), 0);
	/* A small write over the first piece's key, then a big one whose
	 * chain crosses the offsets of the pieces left over. */
	CHECK_EQ(E->pwrite(f, small, sizeof(small), 64), 0);
	CHECK_EQ(E->datasync(f), 0);
	txns = fake.calls[FAKE_TXN];
	CHECK_EQ(E->pwrite(f, b, BIG, 164), 0);
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(fake.calls[FAKE_TXN] - txns, 4); /* 2 MiB in 640 KiB pieces */
	CHECK_EQ(read_seg(name, got, 2 * BIG + 256), 164 + BIG);
	CHECK_MEM(got + 64, small, sizeof(small));
	CHECK_MEM(got + 164, b, BIG);
	E->close(f);
	E->close_dir(s);
	free(a);
	free(b);
	free(got);
}

TEST(writer_that_lost_the_log_changes_nothing)
{
	enum { BIG = 1500 * 1024 };
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], a[100], b[30], got[512], *big = malloc(BIG);
	void *s1, *s2, *f1, *f2;
	int rc;

	fake_reset();
	s1 = open_store(1, 0, &rc);
	REQUIRE(s1 && big);
	seg1(name, hdr);
	REQUIRE(E->create(s1, name, hdr, 64, &f1) == 0);
	fill(a, sizeof(a), 10);
	fill(b, sizeof(b), 14);
	fill(big, BIG, 15);
	CHECK_EQ(E->pwrite(f1, a, sizeof(a), 64), 0);
	CHECK_EQ(E->datasync(f1), 0);
	/* Behind its back: P/owner deleted, a second writer takes the log
	 * and commits. */
	del("t/log/owner");
	s2 = open_store(1, 0, &rc);
	CHECK_EQ(rc, 0);
	REQUIRE(s2);
	REQUIRE(E->open(s2, name, 1, &f2) == 0);
	CHECK_EQ(E->pwrite(f2, b, sizeof(b), 164), 0);
	CHECK_EQ(E->datasync(f2), 0);
	/* The first writer's next write fails, and not even the first piece
	 * of a big one lands on the chunk the second committed at 164. */
	CHECK_EQ(E->pwrite(f1, big, BIG, 164), 0);
	CHECK_EQ(E->datasync(f1), -ESTALE);
	CHECK(strstr(E->error(s1), "P/head changed under this writer") != NULL);
	CHECK_EQ(E->datasync(f1), -ESTALE);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 194);
	CHECK_MEM(got + 64, a, sizeof(a));
	CHECK_MEM(got + 164, b, sizeof(b));
	E->close(f1);
	E->close_dir(s1);
	E->close(f2);
	E->close_dir(s2);
	free(big);
}

TEST(in_doubt_write_found_after_another_writer_took_over_is_stale)
{
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], a[100], got[512];
	void *s1, *s2, *f1;
	int rc;

	fake_reset();
	s1 = open_store(1, 0, &rc);
	REQUIRE(s1);
	seg1(name, hdr);
	REQUIRE(E->create(s1, name, hdr, 64, &f1) == 0);
	fill(a, sizeof(a), 11);
	CHECK_EQ(E->pwrite(f1, a, sizeof(a), 64), 0);
	fake_fail(FAKE_TXN, 1, -ETIMEDOUT, 1); /* it landed */
	CHECK_EQ(E->datasync(f1), -ETIMEDOUT);
	del("t/log/owner");
	s2 = open_store(1, 0, &rc);
	REQUIRE(s2);
	/* Head still ends where the write made it, but the new writer owns
	 * it now (w= changed): the first must not carry on. */
	CHECK_EQ(E->datasync(f1), -ESTALE);
	CHECK_EQ(read_seg(name, got, sizeof(got)), 164);
	E->close(f1);
	E->close_dir(s1);
	E->close_dir(s2);
}

static void *expire_later(void *arg)
{
	usleep(150000);
	fake_expire(*(int64_t *)arg);
	return NULL;
}

TEST(second_writer_is_refused_then_waits_for_the_lease)
{
	struct etcd_client *c;
	struct etcd_range r;
	struct timespec t0, t1;
	pthread_t th;
	int64_t lease = 0;
	void *s1, *s2;
	int rc;

	fake_reset();
	s1 = open_store(1, 0, &rc);
	REQUIRE(s1);
	s2 = open_store(1, 0, &rc);
	CHECK_EQ(rc, -EBUSY);
	CHECK(s2 == NULL);
	CHECK(strstr(E->error(NULL), "held by another writer: host=unit pid=1") != NULL);
	/* Read-only opens are never refused. */
	s2 = open_store(0, 0, &rc);
	CHECK(s2 == NULL);
	CHECK_EQ(rc, -ENOENT); /* no segment yet: no log */
	etcd_open(&c, NULL, NULL, 0);
	REQUIRE(etcd_get(c, "t/log/owner", &r) == 0 && r.n == 1);
	lease = r.kvs[0].lease;
	etcd_range_free(&r);
	etcd_close(c);
	/* The holder's lease lapses while the second waits. */
	pthread_create(&th, NULL, expire_later, &lease);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s2 = open_store(1, 3000, &rc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	CHECK_EQ(rc, 0);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 100);
	E->close_dir(s2);
	/* A clean close revokes: the next open needs no wait. */
	s2 = open_store(1, 0, &rc);
	CHECK_EQ(rc, 0);
	E->close_dir(s2);
	E->close_dir(s1);
}

TEST(shared_reader_follows_head_and_segments)
{
	char n1[AXIOM_SEG_NAME_SIZE], n2[AXIOM_SEG_NAME_SIZE], size[32];
	uint8_t hdr[64], a[100], buf[256];
	void *w, *r, *f, *f2, *rf;
	char **names;
	size_t n;
	uint64_t sz;
	int rc;

	fake_reset();
	w = open_store(1, 0, &rc);
	REQUIRE(w);
	seg1(n1, hdr);
	REQUIRE(E->create(w, n1, hdr, 64, &f) == 0);
	r = open_store(0, 0, &rc);
	REQUIRE(r);
	REQUIRE(E->open(r, n1, 0, &rf) == 0);
	CHECK_EQ(E->size(rf, &sz), 0);
	CHECK_EQ(sz, 64);
	fill(a, sizeof(a), 12);
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 64), 0);
	CHECK_EQ(E->size(rf, &sz), 0);
	CHECK_EQ(sz, 64); /* not committed: not seen */
	CHECK_EQ(E->datasync(f), 0);
	CHECK_EQ(E->size(rf, &sz), 0);
	CHECK_EQ(sz, 164);
	CHECK_EQ(E->pread(rf, buf, sizeof(buf), 64), 100);
	CHECK_MEM(buf, a, 100);
	/* A new segment seals the first at its size. */
	axiom_seg_name(n2, 2);
	REQUIRE(E->create(w, n2, hdr, 64, &f2) == 0);
	get("t/log/size/00000000000000000001.seg", size, sizeof(size), NULL);
	CHECK_EQ(E->list(r, &names, &n), 0);
	CHECK_EQ(n, 2);
	axiom_storage_free_names(names, n);
	CHECK_EQ(E->size(rf, &sz), 0);
	CHECK_EQ(sz, 164);
	CHECK_EQ(E->open(w, n1, 1, &f), -EINVAL); /* sealed: read-only */
	E->close(f);
	E->close(f2);
	E->close(rf);
	E->close_dir(r);
	E->close_dir(w);
}

TEST(keys_and_checkpoints)
{
	struct axiom_checkpoint c = { 0 };
	char line[AXIOM_CKPT_LINE_MAX], line2[AXIOM_CKPT_LINE_MAX], **lines, *text;
	size_t n;
	void *s;
	int rc;

	fake_reset();
	s = open_store(1, 0, &rc);
	REQUIRE(s);
	CHECK_EQ(E->keys_get(s, &text), -ENOENT);
	CHECK_EQ(E->keys_add(s, "aa"), 0);
	CHECK_EQ(E->keys_add(s, "bb"), 0);
	CHECK_EQ(E->keys_add(s, "aa"), 0);
	REQUIRE(E->keys_get(s, &text) == 0);
	CHECK(strcmp(text, "aa\nbb\n") == 0);
	free(text);
	c.seq = 1000;
	c.ts_ns = 5;
	axiom_checkpoint_format(&c, line);
	c.seq = 2000;
	c.ts_ns = 4;
	axiom_checkpoint_format(&c, line2);
	CHECK_EQ(E->ckpt_append(s, line), 0);
	CHECK_EQ(E->ckpt_append(s, line2), 0);
	CHECK_EQ(E->ckpt_append(s, "not a checkpoint"), -EINVAL);
	REQUIRE(E->ckpt_load(s, &lines, &n) == 0);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK(strcmp(lines[0], line) == 0);
		CHECK(strcmp(lines[1], line2) == 0);
	}
	axiom_storage_free_names(lines, n);
	CHECK(strcmp(E->where(s), "etcd://fake:2379/t/log") == 0);
	E->close_dir(s);
}

TEST(keeper_takes_a_lapsed_hold_back_only_while_head_is_ours)
{
	struct axiom_etcd_config c = cfg(0);
	struct etcd_client *ec;
	struct etcd_range r;
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t hdr[64], a[10];
	int64_t lease = 0, lease2 = 0;
	void *s, *f;
	int i, rc;

	fake_reset();
	c.lease_ttl_s = 1; /* the keeper looks every 300 ms */
	REQUIRE(E->open_dir(&c, "/x", 1, &s) == 0);
	seg1(name, hdr);
	REQUIRE(E->create(s, name, hdr, 64, &f) == 0);
	etcd_open(&ec, NULL, NULL, 0);
	REQUIRE(etcd_get(ec, "t/log/owner", &r) == 0 && r.n == 1);
	lease = r.kvs[0].lease;
	etcd_range_free(&r);
	fake_expire(lease); /* P/owner goes with it */
	for (i = 0; i < 30 && !lease2; i++) {
		usleep(100000);
		if (etcd_get(ec, "t/log/owner", &r) == 0) {
			if (r.n == 1)
				lease2 = r.kvs[0].lease;
			etcd_range_free(&r);
		}
	}
	CHECK(lease2 != 0 && lease2 != lease);
	fill(a, sizeof(a), 13);
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 64), 0);
	CHECK_EQ(E->datasync(f), 0);
	/* Now another writer's hold: the keeper gives up, writes fail. */
	fake_expire(lease2);
	rc = etcd_put(ec, "t/log/owner", 11, "host=other", 10, 0, NULL);
	CHECK_EQ(rc, 0);
	for (i = 0; i < 30; i++) {
		usleep(100000);
		if (strstr(E->error(s), "held by"))
			break;
	}
	CHECK(strstr(E->error(s), "held by \"host=other\"") != NULL);
	CHECK_EQ(E->pwrite(f, a, sizeof(a), 74), 0);
	CHECK_EQ(E->datasync(f), -ESTALE);
	etcd_close(ec);
	E->close(f);
	E->close_dir(s);
}

TEST(axiom_on_the_store_reopens_and_continues)
{
	struct axiom_etcd_config c = cfg(0);
	struct axiom_config ac = { .storage = &axiom_storage_etcd, .storage_arg = &c,
				   .segment_size = 1024 };
	struct axiom_result res;
	struct axiom_reader *r;
	struct axiom_entry e;
	struct axiom *ax;
	char err[256], *dir = tmpdir_make("axetcd");
	uint64_t seen = 0;
	void *s;
	int i, rc;

	fake_reset();
	REQUIRE(dir);
	ac.dir = dir;
	rc = axiom_open(&ax, &ac, err, sizeof(err));
	if (rc < 0)
		printf("  axiom_open: %s\n", err);
	if (rc < 0)
		tmpdir_remove(dir);
	REQUIRE(rc == 0);
	for (i = 0; i < 40; i++) {
		CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "0123456789abcdef", 16, &res), 0);
		CHECK(res.committed && res.seq == (uint64_t)i + 1);
	}
	axiom_close(ax);
	tmpdir_remove(dir);
	dir = tmpdir_make("axetcd");
	ac.dir = dir;
	REQUIRE(axiom_open(&ax, &ac, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 40);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "x", 1, &res), 0);
	CHECK_EQ(res.seq, 41);
	axiom_close(ax);
	s = open_store(0, 0, &rc);
	REQUIRE(s);
	REQUIRE(axiom_reader_open(&r, E, s, 1, AXIOM_READER_SHARED) == 0);
	while ((rc = axiom_reader_next(r, &e)) == 1)
		CHECK_EQ(e.seq, ++seen);
	CHECK_EQ(rc, 0);
	CHECK_EQ(seen, 41);
	CHECK(r->nsegs >= 4);
	axiom_reader_close(r);
	E->close_dir(s);
	tmpdir_remove(dir);
}

TEST(create_in_doubt_made_again_with_the_same_bytes)
{
	char n1[AXIOM_SEG_NAME_SIZE], n2[AXIOM_SEG_NAME_SIZE], size[32], head[128];
	uint8_t hdr[64], other[64], got[128];
	void *s, *f1, *f2 = NULL;
	int apply, rc;

	for (apply = 0; apply <= 1; apply++) {
		fake_reset();
		s = open_store(1, 0, &rc);
		REQUIRE(s);
		seg1(n1, hdr);
		REQUIRE(E->create(s, n1, hdr, 64, &f1) == 0);
		CHECK_EQ(E->pwrite(f1, hdr, 40, 64), 0);
		CHECK_EQ(E->datasync(f1), 0);
		axiom_seg_name(n2, 5);
		fill(other, sizeof(other), 16);
		/* Landed (apply) or not, the answer is lost. */
		fake_fail(FAKE_TXN, 1, -ETIMEDOUT, apply);
		CHECK_EQ(E->create(s, n2, hdr, 64, &f2), -ETIMEDOUT);
		/* Only the same create may come next. */
		CHECK_EQ(E->create(s, n2, other, 64, &f2), -EINVAL);
		REQUIRE(E->create(s, n2, hdr, 64, &f2) == 0);
		get("t/log/head", head, sizeof(head), NULL);
		CHECK(strncmp(head, "seg=00000000000000000005.seg off=64 w=", 38) == 0);
		get("t/log/size/00000000000000000001.seg", size, sizeof(size), NULL);
		CHECK(strcmp(size, "104") == 0);
		CHECK_EQ(read_seg(n2, got, sizeof(got)), 64);
		CHECK_MEM(got, hdr, 64);
		E->close(f1);
		E->close(f2);
		E->close_dir(s);
	}
}

TEST_MAIN(T(commit_group_and_read_back), T(in_doubt_that_landed_counts_once),
	  T(in_doubt_that_did_not_land_is_sent_again),
	  T(unavailable_write_is_cut_back_and_written_anew),
	  T(big_write_in_pieces_and_chunks_left_past_head_are_never_read),
	  T(writer_that_lost_the_log_changes_nothing),
	  T(in_doubt_write_found_after_another_writer_took_over_is_stale),
	  T(second_writer_is_refused_then_waits_for_the_lease),
	  T(shared_reader_follows_head_and_segments), T(keys_and_checkpoints),
	  T(keeper_takes_a_lapsed_hold_back_only_while_head_is_ours),
	  T(create_in_doubt_made_again_with_the_same_bytes),
	  T(axiom_on_the_store_reopens_and_continues))
