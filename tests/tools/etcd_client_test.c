/*
 * etcd_client_test.c - etcd/etcd.c against a real etcd cluster
 * (tests/e2e/test-etcd-client.sh runs it in the cluster's namespace).
 *
 *   etcd_client_test ENDPOINTS kv        keys, values, ranges, txns, size limit
 *   etcd_client_test ENDPOINTS lease     grant, keepalive, ttl, revoke, expiry
 *   etcd_client_test ENDPOINTS watch     order, progress, stop, resume, compaction
 *   etcd_client_test ENDPOINTS failover FILE [leader]  puts before and
 *                                        after FILE appears (the test kills
 *                                        member 1, a follower: failover in
 *                                        1 s; or the leader: puts retried
 *                                        until the election is over)
 *   etcd_client_test ENDPOINTS partition FILE  a watch and puts while member 1
 *                                        is cut off (its link down) after FILE
 *   etcd_client_test ENDPOINTS down      every member down: -EAGAIN at once
 *   etcd_client_test ENDPOINTS minority  2 of 3 down: writes -ETIMEDOUT
 *   etcd_client_test ENDPOINTS latency N put and txn latency, p50/p99
 *
 * Prints "ok: ..." per check, "FAIL: ..." and exits 1 at the first that
 * fails. Keys live under "ect/<pid>/" so runs do not meet.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etcd/etcd.h"
#include "sha256.h"

static struct etcd_client *cli;
static const char *endpoints;
static char pfx[64];
static size_t pfxlen;

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fprintf(stderr, " [%s]\n", \
	etcd_error(cli)); exit(1); } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)
#define OK(...) do { printf("ok: " __VA_ARGS__); printf("\n"); fflush(stdout); } while (0)
#define EQ(what, got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) FAIL("%s: got %lld, want %lld", what, g_, w_); } while (0)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct etcd_client *open_client(unsigned int timeout_ms)
{
	struct etcd_config cfg = { .endpoints = endpoints, .timeout_ms = timeout_ms };
	struct etcd_client *c;
	char err[256];

	if (etcd_open(&c, &cfg, err, sizeof(err))) {
		fprintf(stderr, "FAIL: etcd_open: %s\n", err);
		exit(1);
	}
	return c;
}

/* pfx + name into buf; its length. */
static size_t key(char *buf, const char *name)
{
	return (size_t)snprintf(buf, 256, "%s%s", pfx, name);
}

static uint64_t rnd_state;
static uint8_t rnd8(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint8_t)(rnd_state >> 56);
}

static void sha_hex(const void *p, size_t n, char out[65])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_hex(&s, out);
}

/* --- kv -------------------------------------------------------------------- */

/* Binary keys "pfx b/ NN <bytes>" and values with NUL and 0xff; the
 * range of the prefix returns them in key order, bytes checksummed. */
static void kv_binary(void)
{
	enum { N = 20 };
	uint8_t k[N][40], v[N][300], end[64];
	size_t klen[N], vlen[N], i, j, bl;
	struct sha256 put_sum, got_sum;
	char hp[65], hg[65], base[64];
	struct etcd_range r;
	int64_t rev = 0, rv;

	bl = key(base, "b/");
	sha256_init(&put_sum);
	for (i = 0; i < N; i++) {
		memcpy(k[i], base, bl);
		k[i][bl] = (uint8_t)i;          /* key order = i */
		klen[i] = bl + 1 + i % 7 + 1;
		for (j = bl + 1; j < klen[i]; j++)
			k[i][j] = rnd8();
		k[i][bl + 1] = (i & 1) ? 0xff : 0x00;
		vlen[i] = 1 + (size_t)rnd8() + i;
		for (j = 0; j < vlen[i]; j++)
			v[i][j] = rnd8();
		v[i][0] = 0;
		v[i][vlen[i] - 1] = 0xff;
		CHECK(etcd_put(cli, k[i], klen[i], v[i], vlen[i], 0, &rv) == 0, "put %zu", i);
		CHECK(rv > rev, "put %zu: revision %lld after %lld", i, (long long)rv, (long long)rev);
		rev = rv;
		sha256_update(&put_sum, k[i], klen[i]);
		sha256_update(&put_sum, v[i], vlen[i]);
	}
	OK("%d binary keys put, revisions rising to %lld", N, (long long)rev);

	CHECK(etcd_prefix_end(base, bl, end) == 0, "prefix_end");
	CHECK(etcd_range(cli, base, bl, end, bl, 0, 0, 0, &r) == 0, "range prefix");
	EQ("range n", r.n, N);
	EQ("range count", r.count, N);
	EQ("range more", r.more, 0);
	CHECK(r.revision >= rev, "range revision %lld < %lld", (long long)r.revision, (long long)rev);
	sha256_init(&got_sum);
	for (i = 0; i < r.n; i++) {
		CHECK(r.kvs[i].key_len == klen[i] && !memcmp(r.kvs[i].key, k[i], klen[i]),
		      "key %zu differs", i);
		CHECK(r.kvs[i].value_len == vlen[i] && !memcmp(r.kvs[i].value, v[i], vlen[i]),
		      "value %zu differs", i);
		EQ("version", r.kvs[i].version, 1);
		CHECK(r.kvs[i].mod_rev == r.kvs[i].create_rev, "mod_rev == create_rev");
		EQ("NUL after value", r.kvs[i].value[r.kvs[i].value_len], 0);
		sha256_update(&got_sum, r.kvs[i].key, r.kvs[i].key_len);
		sha256_update(&got_sum, r.kvs[i].value, r.kvs[i].value_len);
	}
	sha256_hex(&put_sum, hp);
	sha256_hex(&got_sum, hg);
	CHECK(!strcmp(hp, hg), "checksum put %s got %s", hp, hg);
	etcd_range_free(&r);
	OK("range of the prefix: %d keys in order, sha256 %.16s... equal", N, hp);

	CHECK(etcd_range(cli, base, bl, end, bl, 5, 0, 0, &r) == 0, "range limit");
	EQ("limit n", r.n, 5);
	EQ("limit more", r.more, 1);
	EQ("limit count", r.count, N);
	CHECK(r.kvs[4].key_len == klen[4] && !memcmp(r.kvs[4].key, k[4], klen[4]), "5th key");
	etcd_range_free(&r);
	OK("limit 5: n 5, more 1, count %d", N);

	CHECK(etcd_range(cli, base, bl, end, bl, 0, 0, ETCD_KEYS_ONLY | ETCD_SERIALIZABLE, &r) == 0,
	      "keys only");
	EQ("keys-only n", r.n, N);
	EQ("keys-only value_len", r.kvs[3].value_len, 0);
	etcd_range_free(&r);
	OK("keys only, serializable: %d keys, no values", N);

	/* The range at an old revision sees only the first 10. */
	CHECK(etcd_range(cli, base, bl, end, bl, 0, rev - (N - 10), 0, &r) == 0, "range at rev");
	EQ("range at old revision n", r.n, 10);
	etcd_range_free(&r);
	OK("range at revision %lld: 10 keys", (long long)(rev - (N - 10)));

	int64_t del = -1;
	CHECK(etcd_delete(cli, k[0], klen[0], NULL, 0, &del) == 0, "delete one");
	EQ("deleted one", del, 1);
	CHECK(etcd_delete(cli, base, bl, end, bl, &del) == 0, "delete prefix");
	EQ("deleted prefix", del, N - 1);
	CHECK(etcd_range(cli, base, bl, end, bl, 0, 0, 0, &r) == 0, "range after delete");
	EQ("after delete n", r.n, 0);
	EQ("after delete count", r.count, 0);
	etcd_range_free(&r);
	OK("delete: 1, then %d by prefix, none left", N - 1);
	(void)sha_hex;
}

static void txn_cmp(struct etcd_cmp *c, enum etcd_cmp_target t, enum etcd_cmp_op op, const char *k,
		    int64_t num, const char *val)
{
	memset(c, 0, sizeof(*c));
	c->target = t;
	c->op = op;
	c->key = k;
	c->klen = strlen(k);
	c->num = num;
	c->value = val;
	c->vlen = val ? strlen(val) : 0;
}

static struct etcd_op op_put(const char *k, const char *v)
{
	return (struct etcd_op){ .type = ETCD_OP_PUT, .key = k, .klen = strlen(k), .value = v,
				 .vlen = strlen(v) };
}

static struct etcd_op op_range(const char *k)
{
	return (struct etcd_op){ .type = ETCD_OP_RANGE, .key = k, .klen = strlen(k) };
}

/* Run one txn of one compare; succeeded must be want; returns the result. */
static void txn1(const struct etcd_cmp *cmp, const struct etcd_op *s, size_t ns,
		 const struct etcd_op *f, size_t nf, int want, struct etcd_txn_result *res,
		 const char *what)
{
	int rc = etcd_txn(cli, cmp, cmp ? 1 : 0, s, ns, f, nf, res);

	CHECK(rc == 0, "txn %s: %d", what, rc);
	EQ(what, res->succeeded, want);
}

static void kv_txn(void)
{
	char k[256], k2[256], v1[] = "value-1";
	struct etcd_txn_result res;
	struct etcd_cmp cmp;
	struct etcd_op s[2], f[1];
	int64_t created, rev;

	key(k, "t/head");
	key(k2, "t/other");
	/* A missing key: version 0, create 0, mod 0. */
	txn_cmp(&cmp, ETCD_CMP_VERSION, ETCD_EQUAL, k, 0, NULL);
	s[0] = op_put(k, v1);
	s[1] = op_put(k2, "x");
	f[0] = op_range(k);
	txn1(&cmp, s, 2, f, 1, 1, &res, "version(missing) == 0");
	EQ("success branch of puts: ranges", res.nranges, 0);
	created = res.revision;
	etcd_txn_free(&res);

	txn1(&cmp, s, 2, f, 1, 0, &res, "version == 0 once it exists");
	EQ("failure branch: ranges", res.nranges, 1);
	EQ("failure range n", res.ranges[0].n, 1);
	CHECK(res.ranges[0].kvs[0].value_len == strlen(v1) &&
	      !memcmp(res.ranges[0].kvs[0].value, v1, strlen(v1)), "failure range value");
	EQ("failure range mod_rev", res.ranges[0].kvs[0].mod_rev, created);
	EQ("failed txn leaves the revision", res.revision, created);
	etcd_txn_free(&res);
	OK("txn: version compare, success puts, failure range reads %s at %lld", v1,
	   (long long)created);

	txn_cmp(&cmp, ETCD_CMP_MOD, ETCD_EQUAL, k, created, NULL);
	s[0] = op_put(k, "value-2");
	s[1] = op_range(k);
	txn1(&cmp, s, 2, NULL, 0, 1, &res, "mod == created");
	rev = res.revision;
	EQ("revision +1", rev, created + 1);
	EQ("success ranges", res.nranges, 1);
	EQ("range in txn sees the put", res.ranges[0].kvs[0].mod_rev, rev);
	EQ("version 2", res.ranges[0].kvs[0].version, 2);
	etcd_txn_free(&res);

	txn1(&cmp, s, 1, NULL, 0, 0, &res, "mod == old rev (stale CAS)");
	EQ("stale CAS revision", res.revision, rev);
	etcd_txn_free(&res);
	OK("txn: compare-and-swap on mod_revision %lld wins once, then loses", (long long)created);

	txn_cmp(&cmp, ETCD_CMP_CREATE, ETCD_EQUAL, k, created, NULL);
	txn1(&cmp, NULL, 0, NULL, 0, 1, &res, "create == created");
	etcd_txn_free(&res);
	txn_cmp(&cmp, ETCD_CMP_CREATE, ETCD_GREATER, k, created, NULL);
	txn1(&cmp, NULL, 0, NULL, 0, 0, &res, "create > created");
	etcd_txn_free(&res);
	txn_cmp(&cmp, ETCD_CMP_VERSION, ETCD_GREATER, k, 1, NULL);
	txn1(&cmp, NULL, 0, NULL, 0, 1, &res, "version > 1");
	etcd_txn_free(&res);
	txn_cmp(&cmp, ETCD_CMP_VERSION, ETCD_LESS, k, 2, NULL);
	txn1(&cmp, NULL, 0, NULL, 0, 0, &res, "version < 2");
	etcd_txn_free(&res);
	txn_cmp(&cmp, ETCD_CMP_VALUE, ETCD_EQUAL, k, 0, "value-2");
	txn1(&cmp, NULL, 0, NULL, 0, 1, &res, "value == value-2");
	etcd_txn_free(&res);
	txn_cmp(&cmp, ETCD_CMP_VALUE, ETCD_NOT_EQUAL, k, 0, "value-2");
	txn1(&cmp, NULL, 0, NULL, 0, 0, &res, "value != value-2");
	etcd_txn_free(&res);
	txn_cmp(&cmp, ETCD_CMP_LEASE, ETCD_EQUAL, k, 0, NULL);
	txn1(&cmp, NULL, 0, NULL, 0, 1, &res, "lease == 0");
	etcd_txn_free(&res);
	OK("txn compares on create, version, value, lease with =, >, <, !=");

	/* Duplicate keys in one txn: etcd refuses it, nothing applied. */
	s[0] = op_put(k, "dup");
	s[1] = op_put(k, "dup");
	EQ("duplicate key txn", etcd_txn(cli, NULL, 0, s, 2, NULL, 0, &res), -EINVAL);
	OK("txn with a key twice: -EINVAL (%s)", etcd_error(cli));
}

static void kv_size(void)
{
	size_t big = 1000 * 1000, huge = 1100 * 1000;
	uint8_t *v = malloc(huge);
	struct etcd_range r;
	char k[256], h1[65], h2[65];
	size_t i;

	for (i = 0; i < huge; i++)
		v[i] = rnd8();
	key(k, "big");
	CHECK(etcd_put(cli, k, strlen(k), v, big, 0, NULL) == 0, "put 1,000,000 bytes");
	CHECK(etcd_get(cli, k, &r) == 0, "get big");
	EQ("big n", r.n, 1);
	EQ("big len", r.kvs[0].value_len, big);
	sha_hex(v, big, h1);
	sha_hex(r.kvs[0].value, r.kvs[0].value_len, h2);
	CHECK(!strcmp(h1, h2), "big value sha256 %s != %s", h1, h2);
	etcd_range_free(&r);
	OK("a value of 1,000,000 bytes round trips (sha256 %.16s...)", h1);
	EQ("put 1,100,000 bytes", etcd_put(cli, k, strlen(k), v, huge, 0, NULL), -EMSGSIZE);
	OK("a value of 1,100,000 bytes: -EMSGSIZE before sending (%s)", etcd_error(cli));
	free(v);
	EQ("delete big", etcd_delete(cli, k, strlen(k), NULL, 0, NULL), 0);
}

static void kv_args(void)
{
	struct etcd_client *c;
	struct etcd_config cfg = { .endpoints = "10.0.0.1" };
	char eps[128], err[128];
	uint8_t end[4];

	EQ("open without port", etcd_open(&c, &cfg, err, sizeof(err)), -EINVAL);
	cfg.endpoints = "10.0.0.1:2379,:2379";
	EQ("open with empty host", etcd_open(&c, &cfg, err, sizeof(err)), -EINVAL);
	EQ("parse_url", etcd_parse_url("etcd://a:1,[::1]:2379/", eps, sizeof(eps)), 0);
	CHECK(!strcmp(eps, "a:1,[::1]:2379"), "parse_url gave %s", eps);
	EQ("parse_url http", etcd_parse_url("http://a:1", eps, sizeof(eps)), -EINVAL);
	EQ("parse_url port 0", etcd_parse_url("etcd://a:0", eps, sizeof(eps)), -EINVAL);
	EQ("prefix_end a\\xff", etcd_prefix_end("a\xff", 2, end), -EINVAL);
	EQ("prefix_end ab", etcd_prefix_end("ab", 2, end), 0);
	CHECK(end[0] == 'a' && end[1] == 'c', "prefix_end ab -> ac");
	OK("endpoint lists, URLs and prefix ends checked");
}

/* --- leases ------------------------------------------------------------------ */

static void lease(void)
{
	int64_t id, id2, granted, ttl, rev;
	struct etcd_range r;
	char k[256], k2[256];
	double t0;
	size_t n = 0;
	int rc, i;

	key(k, "l/a");
	key(k2, "l/b");
	CHECK(etcd_lease_grant(cli, 5, &id, &granted) == 0, "grant 5");
	EQ("granted", granted, 5);
	CHECK(etcd_put(cli, k, strlen(k), "x", 1, id, &rev) == 0, "put on lease");
	CHECK(etcd_get(cli, k, &r) == 0 && r.n == 1, "get leased");
	EQ("kv lease", r.kvs[0].lease, id);
	etcd_range_free(&r);
	CHECK(etcd_lease_keepalive(cli, id, &ttl) == 0, "keepalive");
	EQ("keepalive ttl", ttl, 5);
	CHECK(etcd_lease_ttl(cli, id, &ttl) == 0, "ttl");
	CHECK(ttl >= 4 && ttl <= 5, "ttl %lld", (long long)ttl);
	CHECK(etcd_lease_revoke(cli, id) == 0, "revoke");
	CHECK(etcd_get(cli, k, &r) == 0, "get after revoke");
	EQ("key deleted with its revoked lease", r.n, 0);
	etcd_range_free(&r);
	EQ("keepalive of a revoked lease", etcd_lease_keepalive(cli, id, &ttl), -ENOENT);
	EQ("ttl of a revoked lease", etcd_lease_ttl(cli, id, &ttl), -ENOENT);
	EQ("revoke of a revoked lease", etcd_lease_revoke(cli, id), -ENOENT);
	OK("lease %llx: grant 5 s, key on it, keepalive 5, revoke deletes the key, then -ENOENT",
	   (unsigned long long)id);

	/* Expiry: etcd's shortest TTL is 1.5 election timeouts (2 s here). */
	CHECK(etcd_lease_grant(cli, 1, &id2, &granted) == 0, "grant 1");
	CHECK(granted >= 1 && granted <= 2, "granted %lld for 1", (long long)granted);
	CHECK(etcd_put(cli, k2, strlen(k2), "y", 1, id2, NULL) == 0, "put on short lease");
	/* Gone when etcd has revoked it (the leader, through raft): the
	 * key is deleted then. A member's timetolive may say -1 earlier. */
	t0 = now_ms();
	for (i = 0; i < 80; i++) {
		CHECK(etcd_get(cli, k2, &r) == 0, "get while alive");
		n = r.n;
		etcd_range_free(&r);
		if (!n)
			break;
		usleep(100 * 1000);
	}
	EQ("key deleted with its expired lease", n, 0);
	EQ("ttl after expiry", etcd_lease_ttl(cli, id2, &ttl), -ENOENT);
	rc = etcd_lease_keepalive(cli, id2, &ttl);
	if (rc != -ENOENT)
		FAIL("keepalive after expiry: %d, ttl %lld", rc, (long long)ttl);
	OK("lease of %lld s expired after %.1f s: ttl and keepalive -ENOENT, key gone",
	   (long long)granted, (now_ms() - t0) / 1e3);
}

/* --- watch ------------------------------------------------------------------ */

struct seen {
	int n, stop_after;
	int64_t rev[64];
	char val[64][16];
	int type[64];
};

static int on_event(void *arg, const struct etcd_event *ev)
{
	struct seen *s = arg;

	if (s->n < 64) {
		s->rev[s->n] = ev->kv.mod_rev;
		s->type[s->n] = ev->type;
		snprintf(s->val[s->n], sizeof(s->val[0]), "%.*s", (int)ev->kv.value_len,
			 (const char *)ev->kv.value);
	}
	s->n++;
	return s->n >= s->stop_after ? 7 : 0;
}

struct stopper {
	volatile int flag;
	unsigned int after_ms;
	double set_at;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;

	usleep(s->after_ms * 1000);
	s->set_at = now_ms();
	s->flag = 1;
	return NULL;
}

static void watch(void)
{
	char base[256], end[256], k[256], v[16], other[256];
	int64_t first = 0, rev, next = 0;
	struct seen s = { 0 };
	struct stopper st = { 0 };
	pthread_t th;
	size_t bl;
	int i, rc;
	double lat;

	bl = key(base, "w/");
	CHECK(etcd_prefix_end(base, bl, (uint8_t *)end) == 0, "prefix end");
	for (i = 0; i < 5; i++) {
		key(k, "w/k");
		snprintf(v, sizeof(v), "v%d", i);
		CHECK(etcd_put(cli, k, strlen(k), v, strlen(v), 0, &rev) == 0, "put w %d", i);
		if (!first)
			first = rev;
	}
	key(k, "w/k");
	CHECK(etcd_delete(cli, k, strlen(k), NULL, 0, NULL) == 0, "delete w/k");
	s.stop_after = 6;
	rc = etcd_watch(cli, base, bl, end, bl, first, on_event, &s, NULL, &next);
	EQ("watch returns fn's value", rc, 7);
	EQ("events", s.n, 6);
	for (i = 0; i < 5; i++) {
		char want[16];

		snprintf(want, sizeof(want), "v%d", i);
		EQ("event rev", s.rev[i], first + i);
		CHECK(!strcmp(s.val[i], want) && s.type[i] == ETCD_EV_PUT, "event %d is %s", i, want);
	}
	EQ("delete event", s.type[5], ETCD_EV_DELETE);
	EQ("next_rev after events", next, first + 6);
	OK("watch from %lld: 5 puts and a delete in order, next_rev %lld", (long long)first,
	   (long long)next);

	/* Resume: what happened while nobody watched comes first. */
	for (i = 5; i < 8; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		CHECK(etcd_put(cli, k, strlen(k), v, strlen(v), 0, &rev) == 0, "put w %d", i);
	}
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	rc = etcd_watch(cli, base, bl, end, bl, next, on_event, &s, NULL, &next);
	EQ("resumed watch", rc, 7);
	for (i = 0; i < 3; i++) {
		snprintf(v, sizeof(v), "v%d", i + 5);
		CHECK(!strcmp(s.val[i], v), "resumed event %d: %s, want %s", i, s.val[i], v);
	}
	EQ("next_rev after resume", next, rev + 1);
	OK("watch resumed from next_rev: v5 v6 v7, none missed, next_rev %lld", (long long)next);

	/* Progress: a key outside the range moves the store's revision; a
	 * progress notification (1 s in the test cluster) tells the watcher,
	 * which stops on the flag in time. */
	key(other, "unwatched");
	CHECK(etcd_put(cli, other, strlen(other), "z", 1, 0, &rev) == 0, "put unwatched");
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	st.after_ms = 2500;
	pthread_create(&th, NULL, stop_later, &st);
	rc = etcd_watch(cli, base, bl, end, bl, next, on_event, &s, &st.flag, &next);
	lat = now_ms() - st.set_at;
	pthread_join(th, NULL);
	EQ("watch stopped by the flag", rc, 0);
	EQ("no events", s.n, 0);
	EQ("next_rev after progress", next, rev + 1);
	CHECK(lat < 250, "stop flag took %.0f ms", lat);
	OK("progress notification: next_rev %lld past the unwatched put; stop flag seen in %.0f ms",
	   (long long)next, lat);

	/* Compaction: a watch from a compacted revision is -ECANCELED. */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "ETCDCTL_API=3 etcdctl --endpoints=%s compact %lld >/dev/null", endpoints,
		 (long long)rev);
	CHECK(system(cmd) == 0, "etcdctl compact");
	memset(&s, 0, sizeof(s));
	s.stop_after = 100;
	rc = etcd_watch(cli, base, bl, end, bl, first, on_event, &s, NULL, &next);
	EQ("watch from a compacted revision", rc, -ECANCELED);
	EQ("no events", s.n, 0);
	OK("watch from compacted %lld: -ECANCELED (%s)", (long long)first, etcd_error(cli));
	struct etcd_range r;
	EQ("range at a compacted revision", etcd_range(cli, base, bl, end, bl, 0, first, 0, &r),
	   -ECANCELED);
}

/* --- failures ------------------------------------------------------------------ */

/* A watch on its own client, in a thread: what it saw and how it ended. */
struct watcher {
	struct etcd_client *c;
	char base[256], end[256];
	size_t bl;
	int64_t start, next;
	struct seen s;
	int rc;
	double ended;
	volatile int stop;
};

static void *watch_thread(void *arg)
{
	struct watcher *w = arg;

	w->rc = etcd_watch(w->c, w->base, w->bl, w->end, w->bl, w->start, on_event, &w->s,
			   &w->stop, &w->next);
	w->ended = now_ms();
	return NULL;
}

static void watcher_start(struct watcher *w, pthread_t *th, const char *name, int64_t start)
{
	memset(w, 0, sizeof(*w));
	w->c = open_client(2000);
	w->bl = key(w->base, name);
	CHECK(etcd_prefix_end(w->base, w->bl, (uint8_t *)w->end) == 0, "prefix end");
	w->start = start;
	w->s.stop_after = 1000;
	pthread_create(th, NULL, watch_thread, w);
}

/* Wait for FILE (the test's signal that it did something), at most 10 s. */
static void wait_file(const char *file)
{
	int i;

	for (i = 0; i < 200 && access(file, F_OK); i++)
		usleep(50 * 1000);
	CHECK(!access(file, F_OK), "no %s", file);
}

static void failover(const char *file, int leader)
{
	char k[256], first[128];
	struct watcher w;
	struct etcd_range r;
	pthread_t th;
	int64_t rev, rev1;
	double t0, t;

	key(k, "f/k");
	CHECK(etcd_put(cli, k, strlen(k), "1", 1, 0, &rev1) == 0, "put before");
	snprintf(first, sizeof(first), "%s", etcd_member(cli));
	CHECK(!strncmp(endpoints, first, strlen(first)), "first answer from %s", first);
	watcher_start(&w, &th, "f/", rev1);
	usleep(300 * 1000);
	EQ("the watch saw the first put", w.s.n, 1);
	printf("answered by %s; waiting for %s\n", first, file);
	fflush(stdout);
	wait_file(file);
	t0 = now_ms();
	if (leader) {
		/* Until a new leader is elected a follower forwards proposals
		 * to the dead one, where they are lost: such a put ends
		 * -ETIMEDOUT (in doubt, in fact not applied). Retried, it
		 * succeeds once the election is over. */
		int rc, tries = 0, first_rc = 1;

		do {
			rc = etcd_put(cli, k, strlen(k), "2", 1, 0, &rev);
			CHECK(rc == 0 || rc == -ETIMEDOUT || rc == -EAGAIN, "put after the kill: %d", rc);
			if (first_rc == 1)
				first_rc = rc;
			tries++;
		} while (rc && now_ms() - t0 < 15000);
		t = now_ms() - t0;
		EQ("put after the leader's death, retried", rc, 0);
		OK("leader %s killed: first put %s, writes resumed on %s after %.0f ms (%d tries)",
		   first, first_rc ? "-ETIMEDOUT (in doubt)" : "0", etcd_member(cli), t, tries);
	} else {
		CHECK(etcd_put(cli, k, strlen(k), "2", 1, 0, &rev) == 0, "put after the kill");
		t = now_ms() - t0;
		CHECK(t < 1000, "failover took %.0f ms", t);
		OK("member %s killed: the put went to %s in %.0f ms", first, etcd_member(cli), t);
	}
	CHECK(strcmp(etcd_member(cli), first), "answered by the killed member");
	snprintf(first, sizeof(first), "%s", etcd_member(cli));
	t0 = now_ms();
	CHECK(etcd_get(cli, k, &r) == 0 && r.n == 1 && r.kvs[0].value[0] == '2', "get after");
	etcd_range_free(&r);
	t = now_ms() - t0;
	CHECK(!strcmp(etcd_member(cli), first), "next request to %s", etcd_member(cli));
	OK("the next request went to the same member first (%.1f ms)", t);

	/* The watch on the killed member ended; resumed elsewhere from its
	 * next_rev it gets the put made meanwhile, and nothing twice. */
	pthread_join(th, NULL);
	EQ("watch on the killed member", w.rc, -EAGAIN);
	EQ("its next_rev", w.next, rev1 + 1);
	OK("the watch on the killed member returned -EAGAIN (%s)", etcd_error(w.c));
	w.s.n = 0;
	w.s.stop_after = 1;
	EQ("resumed watch", etcd_watch(w.c, w.base, w.bl, w.end, w.bl, w.next, on_event, &w.s,
				       NULL, &w.next), 7);
	EQ("resumed: the put of the failover", w.s.rev[0], rev);
	CHECK(!strcmp(w.s.val[0], "2"), "resumed value %s", w.s.val[0]);
	OK("resumed on %s from next_rev: the put made meanwhile (rev %lld), once",
	   etcd_member(w.c), (long long)rev);
	etcd_close(w.c);
}

/* Member 1 cut off (its link down: no FIN, no RST). A watch on it ends
 * -ETIMEDOUT once progress notifications stop; a new client's put waits
 * the connect timeout (500 ms) on it, then goes to the next. */
static void partition(const char *file)
{
	struct etcd_client *c2;
	struct watcher w;
	pthread_t th;
	double t0, t, cut;
	char k[256];

	key(k, "p/k");
	watcher_start(&w, &th, "p/", 0);
	usleep(2500 * 1000);  /* two progress notifications: their gap known */
	CHECK(w.rc == 0 && !w.ended, "watch still running");
	printf("watching on %.*s; waiting for %s\n", (int)strcspn(endpoints, ","), endpoints, file);
	fflush(stdout);
	wait_file(file);
	cut = now_ms();
	pthread_join(th, NULL);
	t = w.ended - cut;
	EQ("watch on the cut member", w.rc, -ETIMEDOUT);
	CHECK(t < 6000, "took %.0f ms", t);
	OK("watch on the cut member: -ETIMEDOUT %.1f s after the cut (%s)", t / 1e3,
	   etcd_error(w.c));
	etcd_close(w.c);
	c2 = open_client(2000);
	t0 = now_ms();
	CHECK(etcd_put(c2, k, strlen(k), "x", 1, 0, NULL) == 0, "put with member 1 cut off");
	t = now_ms() - t0;
	CHECK(t >= 450 && t < 1500, "put took %.0f ms", t);
	CHECK(strncmp(endpoints, etcd_member(c2), strlen(etcd_member(c2))), "answered by the cut");
	OK("a new client's put: member 1 not reached in 500 ms, %s answered; %.0f ms in all",
	   etcd_member(c2), t);
	etcd_close(c2);
}

static void down(void)
{
	struct etcd_txn_result res;
	struct etcd_range r;
	int64_t id, ttl, next;
	char k[256];
	double t0, t;

	key(k, "d");
	t0 = now_ms();
	EQ("put, all down", etcd_put(cli, k, 1, "x", 1, 0, NULL), -EAGAIN);
	t = now_ms() - t0;
	CHECK(strstr(etcd_error(cli), "no member reachable"), "error says so");
	CHECK(t < 500, "took %.0f ms", t);
	OK("every member down: put -EAGAIN in %.0f ms (%s)", t, etcd_error(cli));
	EQ("get, all down", etcd_get(cli, k, &r), -EAGAIN);
	EQ("txn, all down", etcd_txn(cli, NULL, 0, NULL, 0, NULL, 0, &res), -EAGAIN);
	EQ("grant, all down", etcd_lease_grant(cli, 5, &id, &ttl), -EAGAIN);
	EQ("watch, all down", etcd_watch(cli, k, 1, NULL, 0, 0, on_event, NULL, NULL, &next),
	   -EAGAIN);
	t = now_ms() - t0;
	CHECK(t < 1500, "five requests took %.0f ms", t);
	OK("get, txn, lease grant and watch -EAGAIN too: %.0f ms for all five", t);
}

static void minority(void)
{
	struct etcd_txn_result res;
	struct etcd_range r;
	struct etcd_cmp cmp;
	struct etcd_op op;
	char k[256];
	double t0, t;
	int rc;

	key(k, "m");
	t0 = now_ms();
	rc = etcd_put(cli, k, strlen(k), "in-doubt", 8, 0, NULL);
	t = now_ms() - t0;
	CHECK(rc == -ETIMEDOUT || rc == -EAGAIN, "put with 2 of 3 down: %d", rc);
	OK("2 of 3 members down: put %s after %.0f ms (%s)", rc == -ETIMEDOUT ? "-ETIMEDOUT" :
	   "-EAGAIN", t, etcd_error(cli));
	txn_cmp(&cmp, ETCD_CMP_VERSION, ETCD_EQUAL, k, 0, NULL);
	op = op_put(k, "txn");
	rc = etcd_txn(cli, &cmp, 1, &op, 1, NULL, 0, &res);
	CHECK(rc == -ETIMEDOUT || rc == -EAGAIN, "txn with 2 of 3 down: %d", rc);
	OK("txn: %d (%s)", rc, etcd_error(cli));
	rc = etcd_get(cli, k, &r);
	CHECK(rc == -ETIMEDOUT || rc == -EAGAIN, "linearizable get: %d", rc);
	OK("linearizable get: %d (%s)", rc, etcd_error(cli));
	rc = etcd_range(cli, k, strlen(k), NULL, 0, 0, 0, ETCD_SERIALIZABLE, &r);
	EQ("serializable get from the member left", rc, 0);
	etcd_range_free(&r);
	OK("serializable get answered by %s", etcd_member(cli));
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void latency(int n)
{
	double *put = calloc((size_t)n, sizeof(double)), *txn = calloc((size_t)n, sizeof(double));
	struct etcd_txn_result res;
	struct etcd_cmp cmp;
	struct etcd_op op;
	char k[256];
	int64_t rev = 0;
	int i;

	key(k, "lat");
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		CHECK(etcd_put(cli, k, strlen(k), "v", 1, 0, &rev) == 0, "put");
		put[i] = now_ms() - t0;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		txn_cmp(&cmp, ETCD_CMP_MOD, ETCD_EQUAL, k, rev, NULL);
		op = op_put(k, "w");
		CHECK(etcd_txn(cli, &cmp, 1, &op, 1, NULL, 0, &res) == 0 && res.succeeded, "txn");
		rev = res.revision;
		etcd_txn_free(&res);
		txn[i] = now_ms() - t0;
	}
	qsort(put, (size_t)n, sizeof(double), cmpd);
	qsort(txn, (size_t)n, sizeof(double), cmpd);
	printf("latency: put p50 %.2f ms p99 %.2f ms; CAS txn p50 %.2f ms p99 %.2f ms (%d each)\n",
	       put[n / 2], put[n * 99 / 100], txn[n / 2], txn[n * 99 / 100], n);
	free(put);
	free(txn);
}

int main(int argc, char **argv)
{
	const char *what;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ENDPOINTS kv|lease|watch|failover FILE|down|minority|"
			"latency N\n", argv[0]);
		return 2;
	}
	endpoints = argv[1];
	what = argv[2];
	rnd_state = (uint64_t)getpid();
	pfxlen = (size_t)snprintf(pfx, sizeof(pfx), "ect/%d/", (int)getpid());
	(void)pfxlen;
	cli = open_client(2000);
	if (!strcmp(what, "kv")) {
		kv_args();
		kv_binary();
		kv_txn();
		kv_size();
	} else if (!strcmp(what, "lease")) {
		lease();
	} else if (!strcmp(what, "watch")) {
		watch();
	} else if (!strcmp(what, "failover") && argc > 3) {
		failover(argv[3], argc > 4 && !strcmp(argv[4], "leader"));
	} else if (!strcmp(what, "partition") && argc > 3) {
		partition(argv[3]);
	} else if (!strcmp(what, "down")) {
		down();
	} else if (!strcmp(what, "minority")) {
		minority();
	} else if (!strcmp(what, "latency") && argc > 3) {
		latency(atoi(argv[3]));
	} else {
		fprintf(stderr, "unknown case %s\n", what);
		return 2;
	}
	etcd_close(cli);
	return 0;
}
