/*
 * storage_etcd.c - Axiom's segments on etcd (see storage_etcd.h for the
 * keys and the guarantees, storage.h for the ops).
 *
 * Every change to P/seg/, P/head and P/size/ is a transaction comparing
 * P/head's mod_revision with the one this writer made or saw last, so a
 * writer that lost the log (another took it) can change nothing, not even
 * a chunk past head. Readers assemble a segment as the chain of chunks
 * from offset 0, each starting where the one before ended, up to the
 * committed size: a chunk off that chain (left by a write that failed) is
 * skipped, one past the size is never read.
 */
#define _GNU_SOURCE
#include "axiom/storage_etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "axiom/checkpoint.h"
#include "axiom/format.h"
#include "etcd/etcd.h"
#include "util/durable.h"

/* Raw bytes in one chunk: base64 makes 4/3 of it, which with the rest of
 * a transaction stays under ETCD_REQUEST_MAX. */
#define ES_CHUNK_MAX (640u * 1024)
_Static_assert(ES_CHUNK_MAX / 3 * 4 + 64 * 1024 < ETCD_REQUEST_MAX, "a chunk fits a request");
/* Chunks per range when loading a segment: the first range takes
 * ES_PAGE, the next ones as many as make about ES_PAGE_BYTES at the
 * size of the chunks seen so far (a batch is a few hundred bytes, a big
 * write's pieces 640 KiB). */
#define ES_PAGE 64
#define ES_PAGE_BYTES (4u * 1024 * 1024)
#define ES_KEY_MAX 640
/* How often a writable open looks again at a held P/owner. */
#define ES_POLL_MS 200
/* Retries of a compare-and-swap lost to a concurrent change (P/keys, the
 * keeper's re-take). */
#define ES_CAS_TRIES 8
#define ES_ID_LEN 16
#define ES_HEAD_MAX 128

struct es_store {
	struct etcd_client *c;  /* segments: the log's one thread at a time */
	struct etcd_client *mc; /* keys and checkpoints, under mlock */
	struct etcd_client *kc; /* the keeper's */
	pthread_mutex_t mlock;
	char *prefix;
	char *endpoints;
	char *holder;
	char where[512];
	int writable;
	unsigned int ttl_s;
	char id[ES_ID_LEN + 1]; /* this open's writer id: P/head's w= */

	pthread_mutex_t lock;   /* the fields below */
	int64_t lease;
	int64_t head_rev;       /* P/head's mod_revision, ours; 0: no head yet */
	char head_seg[AXIOM_SEG_NAME_SIZE];
	uint64_t head_off;
	int stale;              /* the log went to another writer */
	char err[1024];
	char err_out[1024];      /* what error() returned last */

	/* the keeper thread */
	pthread_t keeper;
	int keeper_on;
	int stop;
	pthread_cond_t kcond;

	/* a create() in doubt: the same one is sent again */
	int cdoubt;
	char cname[AXIOM_SEG_NAME_SIZE];
	uint8_t *cdata;
	size_t clen;
};

struct es_file {
	struct es_store *s;
	char name[AXIOM_SEG_NAME_SIZE];
	int writable;
	int sealed;             /* its size is final (P/size/NAME) */
	uint8_t *data;
	size_t cap;
	uint64_t loaded;        /* committed bytes held in data */
	uint64_t bsize;         /* writable: the end of what pwrite gave */
	int doubt;              /* [loaded, bsize) was sent and is in doubt */
};

/* Why the last open_dir of this thread failed: error(NULL) (the store
 * is gone by then). */
static __thread char open_err[1024];

static void set_err(struct es_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct es_store *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->lock);
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&s->lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* P/<rest>; the length, or -ENAMETOOLONG. */
static int key_of(const struct es_store *s, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int key_of(const struct es_store *s, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, len, "%s/", s->prefix);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= len)
		return -ENAMETOOLONG;
	return n + m;
}

/* P/head's value: "seg=NAME off=N w=ID". */
static int head_format(char *buf, size_t len, const char *seg, uint64_t off, const char *id)
{
	return snprintf(buf, len, "seg=%s off=%" PRIu64 " w=%s", seg, off, id);
}

static int head_parse(const uint8_t *v, size_t vlen, char seg[AXIOM_SEG_NAME_SIZE], uint64_t *off,
		      char id[ES_ID_LEN + 1])
{
	char buf[ES_HEAD_MAX + 1], s[ES_HEAD_MAX], w[ES_HEAD_MAX];
	unsigned long long o;

	if (vlen > ES_HEAD_MAX)
		return -EBADMSG;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	if (sscanf(buf, "seg=%127s off=%llu w=%127s", s, &o, w) != 3 ||
	    strlen(s) >= AXIOM_SEG_NAME_SIZE || strlen(w) > ES_ID_LEN)
		return -EBADMSG;
	strcpy(seg, s);
	*off = o;
	strcpy(id, w);
	return 0;
}

/* A chunk key's offset: the 16 hex digits after its last '/'. */
static int chunk_off(const struct etcd_kv *kv, uint64_t *off)
{
	const char *p = strrchr(kv->key, '/');
	char *end;

	if (!p || strlen(p + 1) != 16)
		return -EBADMSG;
	*off = strtoull(p + 1, &end, 16);
	return *end ? -EBADMSG : 0;
}

static int parse_u64(const uint8_t *v, size_t len, uint64_t *out)
{
	char buf[24], *end;

	if (len == 0 || len >= sizeof(buf))
		return -EBADMSG;
	memcpy(buf, v, len);
	buf[len] = '\0';
	*out = strtoull(buf, &end, 10);
	return *end ? -EBADMSG : 0;
}

/* Record a failed request's reason; err passes through. */
static int req_failed(struct es_store *s, struct etcd_client *c, int err, const char *what)
{
	set_err(s, "%s %s: %s", s->where, what, c ? etcd_error(c) : strerror(-err));
	return err;
}

static int ensure_cap(struct es_file *f, uint64_t need)
{
	size_t cap = f->cap ? f->cap : 4096;
	uint8_t *p;

	if (need <= f->cap)
		return 0;
	if (need > SIZE_MAX / 2)
		return -ENOMEM;
	while (cap < need)
		cap *= 2;
	p = realloc(f->data, cap);
	if (!p)
		return -ENOMEM;
	f->data = p;
	f->cap = cap;
	return 0;
}

/*
 * Append the chunks of segment f->name from f->loaded up to size: the
 * chain from f->loaded, each chunk starting where the last ended (chunks
 * off the chain are what failed writes left, see the top of the file).
 */
static int load_chunks(struct es_store *s, struct es_file *f, uint64_t size)
{
	char key[ES_KEY_MAX], base[ES_KEY_MAX];
	uint8_t end[ES_KEY_MAX];
	struct etcd_range r;
	int blen, klen, err;
	int64_t limit = ES_PAGE;
	size_t i;

	if (size <= f->loaded)
		return 0;
	if ((err = ensure_cap(f, size)) < 0)
		return err;
	blen = key_of(s, base, sizeof(base), "seg/%s/", f->name);
	if (blen < 0 || etcd_prefix_end(base, (size_t)blen, end) < 0)
		return -ENAMETOOLONG;
	while (f->loaded < size) {
		uint64_t before = f->loaded;

		klen = key_of(s, key, sizeof(key), "seg/%s/%016" PRIx64, f->name, f->loaded);
		if (klen < 0)
			return klen;
		err = etcd_range(s->c, key, (size_t)klen, end, (size_t)blen, limit, 0, 0, &r);
		if (err < 0)
			return req_failed(s, s->c, err, "read segment");
		if (r.n) {
			uint64_t bytes = 0, avg;

			for (i = 0; i < r.n; i++)
				bytes += r.kvs[i].value_len;
			avg = bytes / r.n + 1;
			limit = (int64_t)(ES_PAGE_BYTES / avg);
			if (limit < 4)
				limit = 4;
			if (limit > 4096)
				limit = 4096;
		}
		for (i = 0; i < r.n && f->loaded < size; i++) {
			uint64_t off, take;

			if (chunk_off(&r.kvs[i], &off) < 0 || off < f->loaded ||
			    r.kvs[i].value_len == 0)
				continue;
			if (off > f->loaded)
				break;
			take = r.kvs[i].value_len;
			if (take > size - f->loaded)
				take = size - f->loaded;
			memcpy(f->data + f->loaded, r.kvs[i].value, (size_t)take);
			f->loaded += take;
		}
		etcd_range_free(&r);
		if (f->loaded == before) {
			set_err(s, "%s: segment %s: no chunk at offset %" PRIu64 " (its size is %"
				PRIu64 ")", s->where, f->name, f->loaded, size);
			return -EIO;
		}
	}
	return 0;
}

/* Where segment name ends now: *size and *sealed, from P/head and
 * P/size/name read at one revision. -ENOENT: no such segment. */
static int seg_extent(struct es_store *s, const char *name, uint64_t *size, int *sealed)
{
	char hk[ES_KEY_MAX], sk[ES_KEY_MAX], seg[AXIOM_SEG_NAME_SIZE], id[ES_ID_LEN + 1];
	struct etcd_op ops[2] = { { 0 } };
	struct etcd_txn_result res;
	int hl, sl, err;
	uint64_t off;

	hl = key_of(s, hk, sizeof(hk), "head");
	sl = key_of(s, sk, sizeof(sk), "size/%s", name);
	if (hl < 0 || sl < 0)
		return -ENAMETOOLONG;
	ops[0] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = hk, .klen = (size_t)hl };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = sk, .klen = (size_t)sl };
	err = etcd_txn(s->c, NULL, 0, ops, 2, NULL, 0, &res);
	if (err < 0)
		return req_failed(s, s->c, err, "read head");
	err = -ENOENT;
	if (res.nranges == 2 && res.ranges[1].n == 1) {
		err = parse_u64(res.ranges[1].kvs[0].value, res.ranges[1].kvs[0].value_len, size);
		*sealed = 1;
	} else if (res.nranges == 2 && res.ranges[0].n == 1) {
		err = head_parse(res.ranges[0].kvs[0].value, res.ranges[0].kvs[0].value_len, seg,
				 &off, id);
		if (err == 0 && strcmp(seg, name) == 0) {
			*size = off;
			*sealed = 0;
		} else if (err == 0) {
			err = -ENOENT;
		}
	}
	etcd_txn_free(&res);
	if (err == -EBADMSG)
		set_err(s, "%s: P/head or P/size/%s does not parse", s->where, name);
	return err;
}

/* --- writes ----------------------------------------------------------------- */

static int mark_stale(struct es_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The log went to another writer: every later write fails. The text
 * says why (axiom.c prefixes "another writer took the log: "). */
static int mark_stale(struct es_store *s, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->lock);
	if (!s->stale)
		snprintf(s->err, sizeof(s->err), "%s: %s", s->where, why);
	s->stale = 1;
	pthread_mutex_unlock(&s->lock);
	return -ESTALE;
}

static int is_stale(struct es_store *s)
{
	int st;

	pthread_mutex_lock(&s->lock);
	st = s->stale;
	pthread_mutex_unlock(&s->lock);
	return st;
}

static void kv_text(const struct etcd_range *r, char *buf, size_t len)
{
	if (r && r->n == 1)
		snprintf(buf, len, "%.*s", (int)r->kvs[0].value_len, (const char *)r->kvs[0].value);
	else
		snprintf(buf, len, "(none)");
}

/*
 * A write sent before in doubt met a head it did not expect: did it land?
 * Yes when P/head is exactly what it makes (w= names this open, which no
 * other writer can write) and its chunks hold its bytes; then adopt that
 * head. Otherwise the log moved on without it: -ESTALE.
 */
static int check_landed(struct es_store *s, const char *name, const uint8_t *data, uint64_t off,
			uint64_t end, const char *want, const struct etcd_range *head,
			const struct etcd_range *owner)
{
	char key[ES_KEY_MAX], kend[ES_KEY_MAX], htext[ES_HEAD_MAX + 1], otext[256];
	struct etcd_range r;
	uint64_t pos = off, koff;
	int kl, el, err, same = 1;
	size_t i;

	kv_text(head, htext, sizeof(htext));
	kv_text(owner, otext, sizeof(otext));
	if (!head || head->n != 1 || strcmp(htext, want) != 0)
		return mark_stale(s, "P/head is \"%s\" (this write makes \"%s\"); P/owner is \"%s\"",
				  htext, want, otext);
	kl = key_of(s, key, sizeof(key), "seg/%s/%016" PRIx64, name, off);
	el = key_of(s, kend, sizeof(kend), "seg/%s/%016" PRIx64, name, end);
	if (kl < 0 || el < 0)
		return -ENAMETOOLONG;
	while (pos < end && same) {
		uint64_t before = pos;

		kl = key_of(s, key, sizeof(key), "seg/%s/%016" PRIx64, name, pos);
		err = etcd_range(s->c, key, (size_t)kl, kend, (size_t)el, ES_PAGE, 0, 0, &r);
		if (err < 0) {
			req_failed(s, s->c, err, "read back a write in doubt");
			return err == -ENOMEM ? err : -ETIMEDOUT;
		}
		for (i = 0; i < r.n && pos < end; i++) {
			if (chunk_off(&r.kvs[i], &koff) < 0 || koff != pos)
				continue;
			if (r.kvs[i].value_len > end - pos ||
			    memcmp(r.kvs[i].value, data + pos, r.kvs[i].value_len) != 0) {
				same = 0;
				break;
			}
			pos += r.kvs[i].value_len;
		}
		etcd_range_free(&r);
		if (pos == before)
			same = 0;
	}
	if (!same)
		return mark_stale(s, "P/head is \"%s\" but segment %s at offset %" PRIu64
				  " does not hold this write's bytes", htext, name, pos);
	pthread_mutex_lock(&s->lock);
	s->head_rev = head->kvs[0].mod_rev;
	snprintf(s->head_seg, sizeof(s->head_seg), "%s", name);
	s->head_off = end;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* A request of a write failed: what the writer may conclude (storage.h). */
static int write_failed(struct es_store *s, int err, int *doubt)
{
	req_failed(s, s->c, err, "write");
	if (err == -ETIMEDOUT || err == -EPROTO) {
		*doubt = 1;
		return -ETIMEDOUT;
	}
	/* Nothing of this request was applied, but one sent before it may
	 * have been: the write stays in doubt. */
	if (*doubt)
		return -ETIMEDOUT;
	return err;
}

/*
 * Commit data[off, end) of segment name: pieces of ES_CHUNK_MAX as
 * transactions of their own, then the last one with the new P/head (and,
 * for a create, P/size of the segment it seals), each comparing P/head's
 * mod_revision with ours. *doubt is the write's in-doubt flag: set, the
 * call is a retry of the same write, and a compare that fails is checked
 * (check_landed) rather than taken as lost.
 */
static int commit(struct es_store *s, const char *name, const uint8_t *data, uint64_t off,
		  uint64_t end, int create, int *doubt)
{
	char hk[ES_KEY_MAX], ok[ES_KEY_MAX], ck[ES_KEY_MAX], sk[ES_KEY_MAX];
	char want[ES_HEAD_MAX], prev[AXIOM_SEG_NAME_SIZE], size_txt[24];
	struct etcd_op ops[4], fail[2];
	struct etcd_txn_result res;
	struct etcd_cmp cmp;
	uint64_t pos = off, prev_off;
	int hl, ol, cl, sl, err;
	int64_t base;

	if (is_stale(s))
		return -ESTALE;
	pthread_mutex_lock(&s->lock);
	base = s->head_rev;
	memcpy(prev, s->head_seg, sizeof(prev));
	prev_off = s->head_off;
	pthread_mutex_unlock(&s->lock);
	hl = key_of(s, hk, sizeof(hk), "head");
	ol = key_of(s, ok, sizeof(ok), "owner");
	if (hl < 0 || ol < 0)
		return -ENAMETOOLONG;
	head_format(want, sizeof(want), name, end, s->id);
	cmp = (struct etcd_cmp){ .target = ETCD_CMP_MOD, .op = ETCD_EQUAL, .key = hk,
				 .klen = (size_t)hl, .num = base };
	fail[0] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = hk, .klen = (size_t)hl };
	fail[1] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = ok, .klen = (size_t)ol };
	do {
		uint64_t plen = end - pos > ES_CHUNK_MAX ? ES_CHUNK_MAX : end - pos;
		int last = pos + plen == end;
		size_t nops = 0;

		cl = key_of(s, ck, sizeof(ck), "seg/%s/%016" PRIx64, name, pos);
		if (cl < 0)
			return cl;
		ops[nops++] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = ck, .klen = (size_t)cl,
					       .value = data + pos, .vlen = (size_t)plen };
		if (last) {
			ops[nops++] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = hk,
						       .klen = (size_t)hl, .value = want,
						       .vlen = strlen(want) };
			if (create && prev[0] && strcmp(prev, name) != 0) {
				sl = key_of(s, sk, sizeof(sk), "size/%s", prev);
				if (sl < 0)
					return sl;
				snprintf(size_txt, sizeof(size_txt), "%" PRIu64, prev_off);
				ops[nops++] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = sk,
							       .klen = (size_t)sl,
							       .value = size_txt,
							       .vlen = strlen(size_txt) };
			}
		}
		err = etcd_txn(s->c, &cmp, 1, ops, nops, fail, 2, &res);
		if (err < 0)
			return write_failed(s, err, doubt);
		if (!res.succeeded) {
			const struct etcd_range *h = res.nranges > 0 ? &res.ranges[0] : NULL;
			const struct etcd_range *o = res.nranges > 1 ? &res.ranges[1] : NULL;
			char ht[ES_HEAD_MAX + 1], ot[256];

			if (*doubt) {
				err = check_landed(s, name, data, off, end, want, h, o);
				if (err == 0)
					*doubt = 0;
			} else {
				kv_text(h, ht, sizeof(ht));
				kv_text(o, ot, sizeof(ot));
				err = mark_stale(s, "P/head changed under this writer (now \"%s\"); "
						 "P/owner is \"%s\"", ht, ot);
			}
			etcd_txn_free(&res);
			return err;
		}
		if (last) {
			pthread_mutex_lock(&s->lock);
			s->head_rev = res.revision;
			snprintf(s->head_seg, sizeof(s->head_seg), "%s", name);
			s->head_off = end;
			pthread_mutex_unlock(&s->lock);
		}
		etcd_txn_free(&res);
		pos += plen;
	} while (pos < end);
	*doubt = 0;
	return 0;
}

/* --- the hold on the log ------------------------------------------------------ */

/*
 * Keep the hold: renew the lease every TTL/3 and check that P/owner is
 * still ours. A lease found expired, or P/owner found gone, is taken again
 * only when nobody else holds P/owner and P/head is still this writer's
 * (w= names this open); otherwise the store is stale.
 */
static void retake(struct es_store *s, int lease_gone)
{
	char ok[ES_KEY_MAX], hk[ES_KEY_MAX], seg[AXIOM_SEG_NAME_SIZE], id[ES_ID_LEN + 1];
	struct etcd_cmp cmp[2];
	struct etcd_op put;
	struct etcd_txn_result res;
	struct etcd_range o, h;
	int64_t lease, granted, hm, rev;
	uint64_t off;
	int tries, ol, hl, err;

	ol = key_of(s, ok, sizeof(ok), "owner");
	hl = key_of(s, hk, sizeof(hk), "head");
	if (ol < 0 || hl < 0)
		return;
	pthread_mutex_lock(&s->lock);
	lease = s->lease;
	pthread_mutex_unlock(&s->lock);
	if (lease_gone) {
		if (etcd_lease_grant(s->kc, s->ttl_s, &lease, &granted) < 0)
			return;
	}
	for (tries = 0; tries < ES_CAS_TRIES; tries++) {
		if (etcd_get(s->kc, ok, &o) < 0)
			return;
		if (o.n == 1) {
			char who[256];

			kv_text(&o, who, sizeof(who));
			err = o.kvs[0].lease == lease;
			etcd_range_free(&o);
			if (err)
				goto ours;
			mark_stale(s, "P/owner is held by \"%s\"", who);
			return;
		}
		etcd_range_free(&o);
		if (etcd_get(s->kc, hk, &h) < 0)
			return;
		pthread_mutex_lock(&s->lock);
		rev = s->head_rev;
		pthread_mutex_unlock(&s->lock);
		hm = 0;
		if (h.n == 1) {
			hm = h.kvs[0].mod_rev;
			err = head_parse(h.kvs[0].value, h.kvs[0].value_len, seg, &off, id);
			if (err < 0 || strcmp(id, s->id) != 0) {
				char ht[ES_HEAD_MAX + 1];

				kv_text(&h, ht, sizeof(ht));
				etcd_range_free(&h);
				mark_stale(s, "the hold lapsed and P/head was written by another "
					   "writer (\"%s\")", ht);
				return;
			}
		}
		etcd_range_free(&h);
		if (hm == 0 && rev != 0) {
			mark_stale(s, "the hold lapsed and P/head is gone");
			return;
		}
		cmp[0] = (struct etcd_cmp){ .target = ETCD_CMP_CREATE, .op = ETCD_EQUAL, .key = ok,
					    .klen = (size_t)ol, .num = 0 };
		cmp[1] = (struct etcd_cmp){ .target = ETCD_CMP_MOD, .op = ETCD_EQUAL, .key = hk,
					    .klen = (size_t)hl, .num = hm };
		put = (struct etcd_op){ .type = ETCD_OP_PUT, .key = ok, .klen = (size_t)ol,
					.value = s->holder, .vlen = strlen(s->holder), .lease = lease };
		if (etcd_txn(s->kc, cmp, 2, &put, 1, NULL, 0, &res) < 0)
			return;
		err = res.succeeded;
		etcd_txn_free(&res);
		if (err)
			goto ours;
	}
	return;
ours:
	pthread_mutex_lock(&s->lock);
	s->lease = lease;
	pthread_mutex_unlock(&s->lock);
}

static void *keeper_main(void *arg)
{
	struct es_store *s = arg;
	char ok[ES_KEY_MAX];
	struct timespec ts;
	struct etcd_range o;
	int64_t lease, ttl;
	int ol, err, stop = 0;
	long every_ms = (long)s->ttl_s * 1000 / 3;

	if (every_ms < 300)
		every_ms = 300;
	ol = key_of(s, ok, sizeof(ok), "owner");
	while (!stop && ol > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += every_ms / 1000;
		ts.tv_nsec += (every_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&s->lock);
		while (!s->stop && pthread_cond_timedwait(&s->kcond, &s->lock, &ts) != ETIMEDOUT)
			;
		stop = s->stop || s->stale;
		lease = s->lease;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		err = etcd_lease_keepalive(s->kc, lease, &ttl);
		if (err == -ENOENT) {
			retake(s, 1);
			continue;
		}
		if (err < 0)
			continue; /* no quorum: the head compare still guards writes */
		if (etcd_get(s->kc, ok, &o) < 0)
			continue;
		if (o.n == 1 && o.kvs[0].lease != lease) {
			char who[256];

			kv_text(&o, who, sizeof(who));
			mark_stale(s, "P/owner is held by \"%s\"", who);
		}
		err = o.n == 0;
		etcd_range_free(&o);
		if (err)
			retake(s, 0);
	}
	return NULL;
}

/* Take P/owner on our lease, bumping P/head (same place, w= ours) in the
 * same transaction, so that a writer that held the log before can change
 * nothing more: its next compare fails. Waits up to wait_ms for a held
 * P/owner to go. */
static int take_hold(struct es_store *s, int wait_ms)
{
	char ok[ES_KEY_MAX], hk[ES_KEY_MAX], hv[ES_HEAD_MAX], seg[AXIOM_SEG_NAME_SIZE];
	char id[ES_ID_LEN + 1], who[256] = "";
	struct etcd_cmp cmp[2];
	struct etcd_op ops[2], fail;
	struct etcd_txn_result res;
	struct etcd_range h;
	int64_t deadline = now_ms() + (wait_ms > 0 ? wait_ms : 0), hm, holder_lease = 0, ttl;
	uint64_t off = 0;
	int ol, hl, err, have_head, moved = 0;

	ol = key_of(s, ok, sizeof(ok), "owner");
	hl = key_of(s, hk, sizeof(hk), "head");
	if (ol < 0 || hl < 0)
		return -ENAMETOOLONG;
	for (;;) {
		if ((err = etcd_get(s->c, hk, &h)) < 0)
			return req_failed(s, s->c, err, "read head");
		have_head = h.n == 1;
		hm = have_head ? h.kvs[0].mod_rev : 0;
		if (have_head && head_parse(h.kvs[0].value, h.kvs[0].value_len, seg, &off, id) < 0) {
			etcd_range_free(&h);
			set_err(s, "%s: P/head does not parse", s->where);
			return -EBADMSG;
		}
		etcd_range_free(&h);
		if (have_head)
			head_format(hv, sizeof(hv), seg, off, s->id);
		cmp[0] = (struct etcd_cmp){ .target = ETCD_CMP_CREATE, .op = ETCD_EQUAL, .key = ok,
					    .klen = (size_t)ol, .num = 0 };
		cmp[1] = (struct etcd_cmp){ .target = ETCD_CMP_MOD, .op = ETCD_EQUAL, .key = hk,
					    .klen = (size_t)hl, .num = hm };
		ops[0] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = ok, .klen = (size_t)ol,
					   .value = s->holder, .vlen = strlen(s->holder),
					   .lease = s->lease };
		ops[1] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = hk, .klen = (size_t)hl,
					   .value = hv, .vlen = strlen(hv) };
		fail = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = ok, .klen = (size_t)ol };
		err = etcd_txn(s->c, cmp, 2, ops, have_head ? 2 : 1, &fail, 1, &res);
		if (err < 0)
			return req_failed(s, s->c, err, "take the hold");
		if (res.succeeded) {
			s->head_rev = have_head ? res.revision : 0;
			if (have_head) {
				snprintf(s->head_seg, sizeof(s->head_seg), "%s", seg);
				s->head_off = off;
			}
			etcd_txn_free(&res);
			return 0;
		}
		if (res.nranges == 1 && res.ranges[0].n == 1) {
			kv_text(&res.ranges[0], who, sizeof(who));
			holder_lease = res.ranges[0].kvs[0].lease;
		}
		etcd_txn_free(&res);
		if (!who[0] && ++moved < ES_CAS_TRIES)
			continue; /* P/head moved between the read and the txn */
		if (now_ms() >= deadline)
			break;
		sleep_ms(ES_POLL_MS);
		who[0] = '\0';
		/* Our own lease runs out too while we wait: keep it. */
		err = etcd_lease_keepalive(s->c, s->lease, &ttl);
		if (err == -ENOENT)
			err = etcd_lease_grant(s->c, s->ttl_s, &s->lease, &ttl);
		if (err < 0)
			return req_failed(s, s->c, err, "keep the lease");
	}
	{
		int64_t left = -1;

		if (holder_lease)
			etcd_lease_ttl(s->c, holder_lease, &left);
		set_err(s, "%s is held by another writer: %s (lease %" PRIx64 ", %" PRId64 " s left)",
			s->where, who, holder_lease, left);
	}
	return -EBUSY;
}

/* --- the ops -------------------------------------------------------------- */

static void store_free(struct es_store *s)
{
	if (!s)
		return;
	if (s->err[0])
		snprintf(open_err, sizeof(open_err), "%s", s->err);
	if (s->c)
		etcd_close(s->c);
	if (s->mc)
		etcd_close(s->mc);
	if (s->kc)
		etcd_close(s->kc);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->mlock);
	pthread_cond_destroy(&s->kcond);
	free(s->prefix);
	free(s->endpoints);
	free(s->holder);
	free(s->cdata);
	free(s);
}

static int open_dir(void *arg, int writable, void **store);

static int es_open_dir(void *arg, const char *dir, int writable, void **store)
{
	int err;

	open_err[0] = '\0';
	/* Only the secret key stays local (storage.h): its directory is made
	 * as the file store makes it (0700: it holds the key). */
	if (writable && dir && dir[0] && (err = durable_mkdirs(dir, 0700)) < 0) {
		snprintf(open_err, sizeof(open_err), "%s: %s", dir, strerror(-err));
		return err;
	}
	err = open_dir(arg, writable, store);
	if (err < 0 && !open_err[0])
		snprintf(open_err, sizeof(open_err), "etcd: %s", strerror(-err));
	return err;
}

static int open_dir(void *arg, int writable, void **store)
{
	const struct axiom_etcd_config *cfg = arg;
	struct etcd_config ec = { 0 };
	struct es_store *s;
	char errbuf[256], hk[ES_KEY_MAX];
	struct etcd_range h;
	uint64_t rnd;
	int64_t granted = 0;
	int err, wait_ms, hl;
	size_t plen;

	if (!cfg || !cfg->endpoints || !cfg->prefix || !cfg->prefix[0])
		return -EINVAL;
	plen = strlen(cfg->prefix);
	if (cfg->prefix[plen - 1] == '/' || plen > 256)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->mlock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->kcond, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->writable = writable;
	s->ttl_s = cfg->lease_ttl_s ? cfg->lease_ttl_s : AXIOM_ETCD_LEASE_TTL_S;
	s->prefix = strdup(cfg->prefix);
	s->endpoints = strdup(cfg->endpoints);
	if (cfg->holder) {
		s->holder = strdup(cfg->holder);
	} else {
		char host[128] = "?";

		gethostname(host, sizeof(host) - 1);
		if (asprintf(&s->holder, "host=%s pid=%d", host, (int)getpid()) < 0)
			s->holder = NULL;
	}
	if (!s->prefix || !s->endpoints || !s->holder) {
		store_free(s);
		return -ENOMEM;
	}
	snprintf(s->where, sizeof(s->where), "etcd://%s/%s", s->endpoints, s->prefix);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	snprintf(s->id, sizeof(s->id), "%016" PRIx64, rnd);
	ec.endpoints = s->endpoints;
	ec.timeout_ms = cfg->timeout_ms;
	if ((err = etcd_open(&s->c, &ec, errbuf, sizeof(errbuf))) < 0 ||
	    (err = etcd_open(&s->mc, &ec, errbuf, sizeof(errbuf))) < 0 ||
	    (writable && (err = etcd_open(&s->kc, &ec, errbuf, sizeof(errbuf))) < 0)) {
		set_err(s, "%s: %s", s->where, errbuf);
		store_free(s);
		return err;
	}
	if (!writable) {
		hl = key_of(s, hk, sizeof(hk), "head");
		if (hl < 0) {
			store_free(s);
			return hl;
		}
		err = etcd_get(s->c, hk, &h);
		if (err < 0) {
			req_failed(s, s->c, err, "read head");
		} else {
			err = h.n == 1 ? 0 : -ENOENT;
			etcd_range_free(&h);
			if (err < 0)
				set_err(s, "no log at %s (no %s)", s->where, hk);
		}
		if (err < 0) {
			store_free(s);
			return err;
		}
		*store = s;
		return 0;
	}
	err = etcd_lease_grant(s->c, s->ttl_s, &s->lease, &granted);
	if (err < 0) {
		req_failed(s, s->c, err, "grant a lease");
		store_free(s);
		return err;
	}
	/* etcd may raise a TTL below its minimum (1.5 election timeouts). */
	if (granted > (int64_t)s->ttl_s && granted < 3600)
		s->ttl_s = (unsigned int)granted;
	wait_ms = cfg->wait_ms < 0 ? (int)s->ttl_s * 1000 + 1000 : cfg->wait_ms;
	err = take_hold(s, wait_ms);
	if (err == 0) {
		err = -pthread_create(&s->keeper, NULL, keeper_main, s);
		s->keeper_on = err == 0;
	}
	if (err < 0) {
		etcd_lease_revoke(s->c, s->lease);
		store_free(s);
		return err;
	}
	*store = s;
	return 0;
}


static void es_close_dir(void *store)
{
	struct es_store *s = store;

	if (!s)
		return;
	if (s->keeper_on) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_signal(&s->kcond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->keeper, NULL);
	}
	/* Revoking deletes P/owner: a restart needs no wait. */
	if (s->writable)
		etcd_lease_revoke(s->c, s->lease);
	s->err[0] = '\0';
	store_free(s);
}

static int add_name(char ***v, size_t *n, size_t *cap, const char *name, size_t len)
{
	char **nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nv = realloc(*v, *cap * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[*n] = strndup(name, len);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/*
 * The segments: every sealed one has P/size/NAME, the last one is named
 * by P/head; both read in one transaction (one revision), so a create in
 * between cannot hide the segment it sealed. More than a page of sealed
 * segments is paged at that same revision.
 */
static int es_list(void *store, char ***names, size_t *n)
{
	struct es_store *s = store;
	char hk[ES_KEY_MAX], zk[ES_KEY_MAX], seg[AXIOM_SEG_NAME_SIZE], id[ES_ID_LEN + 1];
	uint8_t zend[ES_KEY_MAX];
	struct etcd_op ops[2];
	struct etcd_txn_result res;
	struct etcd_range more = { 0 };
	char **v = NULL;
	size_t cnt = 0, cap = 0, i;
	int hl, zl, err = 0, have_head = 0;
	uint64_t off;
	int64_t rev;
	const struct etcd_range *page;

	hl = key_of(s, hk, sizeof(hk), "head");
	zl = key_of(s, zk, sizeof(zk), "size/");
	if (hl < 0 || zl < 0 || etcd_prefix_end(zk, (size_t)zl, zend) < 0)
		return -ENAMETOOLONG;
	ops[0] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = hk, .klen = (size_t)hl };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = zk, .klen = (size_t)zl,
				   .range_end = zend, .relen = (size_t)zl, .limit = 1000 };
	err = etcd_txn(s->c, NULL, 0, ops, 2, NULL, 0, &res);
	if (err < 0)
		return req_failed(s, s->c, err, "list segments");
	if (res.nranges != 2) {
		etcd_txn_free(&res);
		return -EPROTO;
	}
	rev = res.revision;
	if (res.ranges[0].n == 1) {
		if (head_parse(res.ranges[0].kvs[0].value, res.ranges[0].kvs[0].value_len, seg, &off,
			       id) < 0) {
			etcd_txn_free(&res);
			set_err(s, "%s: P/head does not parse", s->where);
			return -EBADMSG;
		}
		have_head = 1;
	}
	page = &res.ranges[1];
	for (;;) {
		char last[ES_KEY_MAX];
		size_t lastlen = 0;

		for (i = 0; i < page->n && err == 0; i++) {
			const char *name = page->kvs[i].key + zl;

			if (page->kvs[i].key_len <= (size_t)zl)
				continue;
			err = add_name(&v, &cnt, &cap, name, page->kvs[i].key_len - (size_t)zl);
		}
		if (page->n) {
			lastlen = page->kvs[page->n - 1].key_len;
			if (lastlen + 1 > sizeof(last))
				err = -ENAMETOOLONG;
			else
				memcpy(last, page->kvs[page->n - 1].key, lastlen);
		}
		if (err < 0 || !page->more || page->n == 0)
			break;
		/* The next page starts just after the last key. */
		last[lastlen++] = '\0';
		etcd_range_free(&more);
		err = etcd_range(s->c, last, lastlen, zend, (size_t)zl, 1000, rev, 0, &more);
		if (err < 0) {
			req_failed(s, s->c, err, "list segments");
			break;
		}
		page = &more;
	}
	etcd_range_free(&more);
	etcd_txn_free(&res);
	if (err == 0 && have_head) {
		for (i = 0; i < cnt && strcmp(v[i], seg) != 0; i++)
			;
		if (i == cnt)
			err = add_name(&v, &cnt, &cap, seg, strlen(seg));
	}
	if (err < 0) {
		axiom_storage_free_names(v, cnt);
		return err;
	}
	*names = v;
	*n = cnt;
	return 0;
}

static int es_open(void *store, const char *name, int writable, void **file)
{
	struct es_store *s = store;
	struct es_file *f;
	uint64_t size;
	int sealed, err;

	if (writable && !s->writable)
		return -EROFS;
	if (strlen(name) >= AXIOM_SEG_NAME_SIZE || strchr(name, '/'))
		return -ENOENT;
	if ((err = seg_extent(s, name, &size, &sealed)) < 0)
		return err;
	if (writable && sealed) {
		set_err(s, "%s: segment %s is sealed: only the last one takes writes", s->where,
			name);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->s = s;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->writable = writable;
	f->sealed = sealed;
	if ((err = load_chunks(s, f, size)) < 0) {
		free(f->data);
		free(f);
		return err;
	}
	f->bsize = f->loaded;
	*file = f;
	return 0;
}

static int es_create(void *store, const char *name, const void *data, size_t len, void **file)
{
	struct es_store *s = store;
	struct es_file *f;
	int err;

	if (!s->writable)
		return -EROFS;
	if (len == 0 || strlen(name) >= AXIOM_SEG_NAME_SIZE || strchr(name, '/'))
		return -EINVAL;
	if (s->cdoubt && (strcmp(s->cname, name) != 0 || s->clen != len ||
			  memcmp(s->cdata, data, len) != 0)) {
		set_err(s, "%s: create %s while the create of %s is in doubt", s->where, name,
			s->cname);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || ensure_cap(f, len) < 0) {
		free(f);
		return -ENOMEM;
	}
	memcpy(f->data, data, len);
	err = commit(s, name, f->data, 0, len, 1, &s->cdoubt);
	if (err < 0) {
		if (s->cdoubt && !s->cdata) {
			s->cdata = malloc(len);
			if (s->cdata) {
				memcpy(s->cdata, data, len);
				s->clen = len;
				snprintf(s->cname, sizeof(s->cname), "%s", name);
			} else {
				/* Cannot keep it to compare: a retry with
				 * other bytes would not be caught. */
				s->cdoubt = 0;
			}
		}
		free(f->data);
		free(f);
		return err;
	}
	free(s->cdata);
	s->cdata = NULL;
	s->clen = 0;
	f->s = s;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->writable = 1;
	f->loaded = len;
	f->bsize = len;
	*file = f;
	return 0;
}

static int es_size(void *file, uint64_t *size)
{
	struct es_file *f = file;
	uint64_t sz;
	int sealed, err;

	if (f->writable) {
		*size = f->bsize;
		return 0;
	}
	if (!f->sealed) {
		/* A shared reader: the writer may have moved head on. */
		if ((err = seg_extent(f->s, f->name, &sz, &sealed)) < 0)
			return err;
		if (sz < f->loaded) {
			set_err(f->s, "%s: segment %s shrank from %" PRIu64 " to %" PRIu64 " bytes",
				f->s->where, f->name, f->loaded, sz);
			return -EUCLEAN;
		}
		if ((err = load_chunks(f->s, f, sz)) < 0)
			return err;
		f->sealed = sealed;
	}
	*size = f->loaded;
	return 0;
}

static ssize_t es_pread(void *file, void *buf, size_t len, uint64_t off)
{
	struct es_file *f = file;
	uint64_t end = f->writable ? f->bsize : f->loaded;

	if (off >= end)
		return 0;
	if (len > end - off)
		len = (size_t)(end - off);
	memcpy(buf, f->data + off, len);
	return (ssize_t)len;
}

static int es_pwrite(void *file, const void *buf, size_t len, uint64_t off)
{
	struct es_file *f = file;
	int err;

	if (!f->writable)
		return -EROFS;
	if (f->doubt) {
		set_err(f->s, "%s: write to %s while a write is in doubt", f->s->where, f->name);
		return -EBUSY;
	}
	if (off < f->loaded || off > f->bsize) {
		set_err(f->s, "%s: write to %s at offset %" PRIu64 ": committed up to %" PRIu64
			", written up to %" PRIu64, f->s->where, f->name, off, f->loaded, f->bsize);
		return -EINVAL;
	}
	if ((err = ensure_cap(f, off + len)) < 0)
		return err;
	memcpy(f->data + off, buf, len);
	if (off + len > f->bsize)
		f->bsize = off + len;
	return 0;
}

static int es_datasync(void *file)
{
	struct es_file *f = file;
	int err;

	if (!f->writable || (f->bsize == f->loaded && !f->doubt))
		return 0;
	err = commit(f->s, f->name, f->data, f->loaded, f->bsize, 0, &f->doubt);
	if (err == 0)
		f->loaded = f->bsize;
	return err;
}

static int es_truncate(void *file, uint64_t len)
{
	struct es_file *f = file;

	if (!f->writable)
		return -EROFS;
	/* Committed bytes stay: etcd never holds a torn tail to cut. */
	if (len < f->loaded || len > f->bsize) {
		set_err(f->s, "%s: cut %s to %" PRIu64 " bytes: committed up to %" PRIu64
			", written up to %" PRIu64, f->s->where, f->name, len, f->loaded, f->bsize);
		return -EINVAL;
	}
	if (f->doubt && len < f->bsize) {
		set_err(f->s, "%s: cut %s to %" PRIu64 " bytes: the write up to %" PRIu64
			" is in doubt", f->s->where, f->name, len, f->bsize);
		return -EBUSY;
	}
	f->bsize = len;
	return 0;
}

static void es_close(void *file)
{
	struct es_file *f = file;

	if (!f)
		return;
	free(f->data);
	free(f);
}

/* --- keys and checkpoints ------------------------------------------------------ */

static int es_keys_get(void *store, char **text)
{
	struct es_store *s = store;
	char kk[ES_KEY_MAX];
	struct etcd_range r;
	int kl, err;

	if ((kl = key_of(s, kk, sizeof(kk), "keys")) < 0)
		return kl;
	pthread_mutex_lock(&s->mlock);
	err = etcd_get(s->mc, kk, &r);
	if (err < 0) {
		req_failed(s, s->mc, err, "read P/keys");
	} else {
		err = -ENOENT;
		if (r.n == 1 && r.kvs[0].value_len) {
			*text = strndup((const char *)r.kvs[0].value, r.kvs[0].value_len);
			err = *text ? 0 : -ENOMEM;
		}
		etcd_range_free(&r);
	}
	pthread_mutex_unlock(&s->mlock);
	return err;
}

/* Whether text holds hex as a whole line. */
static int has_line(const char *text, size_t len, const char *hex)
{
	size_t hl = strlen(hex), i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i;

		if (l == hl && memcmp(text + i, hex, hl) == 0)
			return 1;
		i += l + 1;
	}
	return 0;
}

static int es_keys_add(void *store, const char *hex)
{
	struct es_store *s = store;
	char kk[ES_KEY_MAX];
	struct etcd_range r;
	struct etcd_cmp cmp;
	struct etcd_op put;
	struct etcd_txn_result res;
	char *text = NULL;
	size_t tlen, hl = strlen(hex);
	int kl, err = -EAGAIN, tries;

	if (!s->writable)
		return -EROFS;
	if (hl == 0 || strchr(hex, '\n'))
		return -EINVAL;
	if ((kl = key_of(s, kk, sizeof(kk), "keys")) < 0)
		return kl;
	pthread_mutex_lock(&s->mlock);
	for (tries = 0; tries < ES_CAS_TRIES; tries++) {
		int64_t mod;

		if ((err = etcd_get(s->mc, kk, &r)) < 0) {
			req_failed(s, s->mc, err, "read P/keys");
			break;
		}
		tlen = r.n == 1 ? r.kvs[0].value_len : 0;
		mod = r.n == 1 ? r.kvs[0].mod_rev : 0;
		if (tlen && has_line((const char *)r.kvs[0].value, tlen, hex)) {
			etcd_range_free(&r);
			err = 0;
			break;
		}
		text = malloc(tlen + hl + 2);
		if (!text) {
			etcd_range_free(&r);
			err = -ENOMEM;
			break;
		}
		if (tlen)
			memcpy(text, r.kvs[0].value, tlen);
		etcd_range_free(&r);
		if (tlen && text[tlen - 1] != '\n')
			text[tlen++] = '\n';
		memcpy(text + tlen, hex, hl);
		tlen += hl;
		text[tlen++] = '\n';
		cmp = (struct etcd_cmp){ .target = ETCD_CMP_MOD, .op = ETCD_EQUAL, .key = kk,
					 .klen = (size_t)kl, .num = mod };
		put = (struct etcd_op){ .type = ETCD_OP_PUT, .key = kk, .klen = (size_t)kl,
					.value = text, .vlen = tlen };
		err = etcd_txn(s->mc, &cmp, 1, &put, 1, NULL, 0, &res);
		free(text);
		text = NULL;
		if (err < 0) {
			req_failed(s, s->mc, err, "add to P/keys");
			break;
		}
		err = res.succeeded ? 0 : -EAGAIN;
		etcd_txn_free(&res);
		if (err == 0)
			break;
	}
	pthread_mutex_unlock(&s->mlock);
	return err;
}

static int es_ckpt_append(void *store, const char *line)
{
	struct es_store *s = store;
	struct axiom_checkpoint c;
	char kk[ES_KEY_MAX];
	int kl, err;

	if (!s->writable)
		return -EROFS;
	if (is_stale(s))
		return -ESTALE;
	if (axiom_checkpoint_parse(line, &c) < 0)
		return -EINVAL;
	kl = key_of(s, kk, sizeof(kk), "ckpt/%020" PRIu64 "-%020" PRIu64, c.seq, c.ts_ns);
	if (kl < 0)
		return kl;
	pthread_mutex_lock(&s->mlock);
	err = etcd_put(s->mc, kk, (size_t)kl, line, strlen(line), 0, NULL);
	if (err < 0)
		req_failed(s, s->mc, err, "append a checkpoint");
	pthread_mutex_unlock(&s->mlock);
	return err;
}

static int es_ckpt_load(void *store, char ***lines, size_t *n)
{
	struct es_store *s = store;
	char kk[ES_KEY_MAX], from[ES_KEY_MAX];
	uint8_t kend[ES_KEY_MAX];
	struct etcd_range r;
	char **v = NULL;
	size_t cnt = 0, cap = 0, i, flen;
	int kl, err = 0;
	int64_t rev = 0;

	if ((kl = key_of(s, kk, sizeof(kk), "ckpt/")) < 0 ||
	    etcd_prefix_end(kk, (size_t)kl, kend) < 0)
		return -ENAMETOOLONG;
	memcpy(from, kk, (size_t)kl);
	flen = (size_t)kl;
	pthread_mutex_lock(&s->mlock);
	for (;;) {
		err = etcd_range(s->mc, from, flen, kend, (size_t)kl, 1000, rev, 0, &r);
		if (err < 0) {
			req_failed(s, s->mc, err, "read checkpoints");
			break;
		}
		rev = r.revision;
		for (i = 0; i < r.n && err == 0; i++)
			err = add_name(&v, &cnt, &cap, (const char *)r.kvs[i].value,
				       r.kvs[i].value_len);
		if (err == 0 && r.more && r.n && r.kvs[r.n - 1].key_len + 1 < sizeof(from)) {
			flen = r.kvs[r.n - 1].key_len;
			memcpy(from, r.kvs[r.n - 1].key, flen);
			from[flen++] = '\0';
			etcd_range_free(&r);
			continue;
		}
		etcd_range_free(&r);
		break;
	}
	pthread_mutex_unlock(&s->mlock);
	if (err < 0) {
		axiom_storage_free_names(v, cnt);
		return err;
	}
	*lines = v;
	*n = cnt;
	return 0;
}

static const char *es_error(void *store)
{
	struct es_store *s = store;

	if (!s)
		return open_err;
	pthread_mutex_lock(&s->lock);
	memcpy(s->err_out, s->err, sizeof(s->err_out));
	pthread_mutex_unlock(&s->lock);
	return s->err_out;
}

static const char *es_where(void *store)
{
	struct es_store *s = store;

	return s->where;
}

const struct axiom_storage_ops axiom_storage_etcd = {
	.open_dir = es_open_dir,
	.close_dir = es_close_dir,
	.list = es_list,
	.open = es_open,
	.create = es_create,
	.size = es_size,
	.pread = es_pread,
	.pwrite = es_pwrite,
	.datasync = es_datasync,
	.truncate = es_truncate,
	.close = es_close,
	.keys_get = es_keys_get,
	.keys_add = es_keys_add,
	.ckpt_append = es_ckpt_append,
	.ckpt_load = es_ckpt_load,
	.error = es_error,
	.where = es_where,
};
