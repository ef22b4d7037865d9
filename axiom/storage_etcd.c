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
 *
 * The hold (P/owner, the lease, its keeper) is storage_etcd_hold.c; keys
 * and checkpoints are storage_etcd_meta.c.
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

#include "axiom/format.h"
#include "axiom/storage_etcd_int.h"
#include "etcd/etcd.h"
#include "util/durable.h"

/* An open segment: its committed bytes (and, writable, those pwrite gave
 * since), in memory. */
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


void axiom_es_set_err(struct es_store *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->lock);
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&s->lock);
}

int64_t axiom_es_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void axiom_es_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* P/<rest>; the length, or -ENAMETOOLONG. */

int axiom_es_key_of(const struct es_store *s, char *buf, size_t len, const char *fmt, ...)
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
int axiom_es_head_format(char *buf, size_t len, const char *seg, uint64_t off, const char *id)
{
	return snprintf(buf, len, "seg=%s off=%" PRIu64 " w=%s", seg, off, id);
}

int axiom_es_head_parse(const uint8_t *v, size_t vlen, char seg[AXIOM_SEG_NAME_SIZE], uint64_t *off,
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
int axiom_es_req_failed(struct es_store *s, struct etcd_client *c, int err, const char *what)
{
	axiom_es_set_err(s, "%s %s: %s", s->where, what, c ? etcd_error(c) : strerror(-err));
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
	blen = axiom_es_key_of(s, base, sizeof(base), "seg/%s/", f->name);
	if (blen < 0 || etcd_prefix_end(base, (size_t)blen, end) < 0)
		return -ENAMETOOLONG;
	while (f->loaded < size) {
		uint64_t before = f->loaded;

		klen = axiom_es_key_of(s, key, sizeof(key), "seg/%s/%016" PRIx64, f->name, f->loaded);
		if (klen < 0)
			return klen;
		err = etcd_range(s->c, key, (size_t)klen, end, (size_t)blen, limit, 0, 0, &r);
		if (err < 0)
			return axiom_es_req_failed(s, s->c, err, "read segment");
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
			axiom_es_set_err(s, "%s: segment %s: no chunk at offset %" PRIu64 " (its size is %"
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

	hl = axiom_es_key_of(s, hk, sizeof(hk), "head");
	sl = axiom_es_key_of(s, sk, sizeof(sk), "size/%s", name);
	if (hl < 0 || sl < 0)
		return -ENAMETOOLONG;
	ops[0] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = hk, .klen = (size_t)hl };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = sk, .klen = (size_t)sl };
	err = etcd_txn(s->c, NULL, 0, ops, 2, NULL, 0, &res);
	if (err < 0)
		return axiom_es_req_failed(s, s->c, err, "read head");
	err = -ENOENT;
	if (res.nranges == 2 && res.ranges[1].n == 1) {
		err = parse_u64(res.ranges[1].kvs[0].value, res.ranges[1].kvs[0].value_len, size);
		*sealed = 1;
	} else if (res.nranges == 2 && res.ranges[0].n == 1) {
		err = axiom_es_head_parse(res.ranges[0].kvs[0].value, res.ranges[0].kvs[0].value_len, seg,
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
		axiom_es_set_err(s, "%s: P/head or P/size/%s does not parse", s->where, name);
	return err;
}

/* --- writes ----------------------------------------------------------------- */


/* The log went to another writer: every later write fails. The text
 * says why (axiom.c prefixes "another writer took the log: "). */
int axiom_es_mark_stale(struct es_store *s, const char *fmt, ...)
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

int axiom_es_is_stale(struct es_store *s)
{
	int st;

	pthread_mutex_lock(&s->lock);
	st = s->stale;
	pthread_mutex_unlock(&s->lock);
	return st;
}

void axiom_es_kv_text(const struct etcd_range *r, char *buf, size_t len)
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

	axiom_es_kv_text(head, htext, sizeof(htext));
	axiom_es_kv_text(owner, otext, sizeof(otext));
	if (!head || head->n != 1 || strcmp(htext, want) != 0)
		return axiom_es_mark_stale(s, "P/head is \"%s\" (this write makes \"%s\"); P/owner is \"%s\"",
				  htext, want, otext);
	kl = axiom_es_key_of(s, key, sizeof(key), "seg/%s/%016" PRIx64, name, off);
	el = axiom_es_key_of(s, kend, sizeof(kend), "seg/%s/%016" PRIx64, name, end);
	if (kl < 0 || el < 0)
		return -ENAMETOOLONG;
	while (pos < end && same) {
		uint64_t before = pos;

		kl = axiom_es_key_of(s, key, sizeof(key), "seg/%s/%016" PRIx64, name, pos);
		err = etcd_range(s->c, key, (size_t)kl, kend, (size_t)el, ES_PAGE, 0, 0, &r);
		if (err < 0) {
			axiom_es_req_failed(s, s->c, err, "read back a write in doubt");
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
		return axiom_es_mark_stale(s, "P/head is \"%s\" but segment %s at offset %" PRIu64
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
	axiom_es_req_failed(s, s->c, err, "write");
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

	if (axiom_es_is_stale(s))
		return -ESTALE;
	pthread_mutex_lock(&s->lock);
	base = s->head_rev;
	memcpy(prev, s->head_seg, sizeof(prev));
	prev_off = s->head_off;
	pthread_mutex_unlock(&s->lock);
	hl = axiom_es_key_of(s, hk, sizeof(hk), "head");
	ol = axiom_es_key_of(s, ok, sizeof(ok), "owner");
	if (hl < 0 || ol < 0)
		return -ENAMETOOLONG;
	axiom_es_head_format(want, sizeof(want), name, end, s->id);
	cmp = (struct etcd_cmp){ .target = ETCD_CMP_MOD, .op = ETCD_EQUAL, .key = hk,
				 .klen = (size_t)hl, .num = base };
	fail[0] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = hk, .klen = (size_t)hl };
	fail[1] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = ok, .klen = (size_t)ol };
	do {
		uint64_t plen = end - pos > ES_CHUNK_MAX ? ES_CHUNK_MAX : end - pos;
		int last = pos + plen == end;
		size_t nops = 0;

		cl = axiom_es_key_of(s, ck, sizeof(ck), "seg/%s/%016" PRIx64, name, pos);
		if (cl < 0)
			return cl;
		ops[nops++] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = ck, .klen = (size_t)cl,
					       .value = data + pos, .vlen = (size_t)plen };
		if (last) {
			ops[nops++] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = hk,
						       .klen = (size_t)hl, .value = want,
						       .vlen = strlen(want) };
			if (create && prev[0] && strcmp(prev, name) != 0) {
				sl = axiom_es_key_of(s, sk, sizeof(sk), "size/%s", prev);
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
				axiom_es_kv_text(h, ht, sizeof(ht));
				axiom_es_kv_text(o, ot, sizeof(ot));
				err = axiom_es_mark_stale(s, "P/head changed under this writer (now \"%s\"); "
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
		rnd = (uint64_t)axiom_es_now_ms() ^ ((uint64_t)getpid() << 32);
	snprintf(s->id, sizeof(s->id), "%016" PRIx64, rnd);
	ec.endpoints = s->endpoints;
	ec.timeout_ms = cfg->timeout_ms;
	if ((err = etcd_open(&s->c, &ec, errbuf, sizeof(errbuf))) < 0 ||
	    (err = etcd_open(&s->mc, &ec, errbuf, sizeof(errbuf))) < 0 ||
	    (writable && (err = etcd_open(&s->kc, &ec, errbuf, sizeof(errbuf))) < 0)) {
		axiom_es_set_err(s, "%s: %s", s->where, errbuf);
		store_free(s);
		return err;
	}
	if (!writable) {
		hl = axiom_es_key_of(s, hk, sizeof(hk), "head");
		if (hl < 0) {
			store_free(s);
			return hl;
		}
		err = etcd_get(s->c, hk, &h);
		if (err < 0) {
			axiom_es_req_failed(s, s->c, err, "read head");
		} else {
			err = h.n == 1 ? 0 : -ENOENT;
			etcd_range_free(&h);
			if (err < 0)
				axiom_es_set_err(s, "no log at %s (no %s)", s->where, hk);
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
		axiom_es_req_failed(s, s->c, err, "grant a lease");
		store_free(s);
		return err;
	}
	/* etcd may raise a TTL below its minimum (1.5 election timeouts). */
	if (granted > (int64_t)s->ttl_s && granted < 3600)
		s->ttl_s = (unsigned int)granted;
	wait_ms = cfg->wait_ms < 0 ? (int)s->ttl_s * 1000 + 1000 : cfg->wait_ms;
	err = axiom_es_take_hold(s, wait_ms);
	if (err == 0) {
		err = -pthread_create(&s->keeper, NULL, axiom_es_keeper_main, s);
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

int axiom_es_add_name(char ***v, size_t *n, size_t *cap, const char *name, size_t len)
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

	hl = axiom_es_key_of(s, hk, sizeof(hk), "head");
	zl = axiom_es_key_of(s, zk, sizeof(zk), "size/");
	if (hl < 0 || zl < 0 || etcd_prefix_end(zk, (size_t)zl, zend) < 0)
		return -ENAMETOOLONG;
	ops[0] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = hk, .klen = (size_t)hl };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = zk, .klen = (size_t)zl,
				   .range_end = zend, .relen = (size_t)zl, .limit = 1000 };
	err = etcd_txn(s->c, NULL, 0, ops, 2, NULL, 0, &res);
	if (err < 0)
		return axiom_es_req_failed(s, s->c, err, "list segments");
	if (res.nranges != 2) {
		etcd_txn_free(&res);
		return -EPROTO;
	}
	rev = res.revision;
	if (res.ranges[0].n == 1) {
		if (axiom_es_head_parse(res.ranges[0].kvs[0].value, res.ranges[0].kvs[0].value_len, seg, &off,
			       id) < 0) {
			etcd_txn_free(&res);
			axiom_es_set_err(s, "%s: P/head does not parse", s->where);
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
			err = axiom_es_add_name(&v, &cnt, &cap, name, page->kvs[i].key_len - (size_t)zl);
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
			axiom_es_req_failed(s, s->c, err, "list segments");
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
			err = axiom_es_add_name(&v, &cnt, &cap, seg, strlen(seg));
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
		axiom_es_set_err(s, "%s: segment %s is sealed: only the last one takes writes", s->where,
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
		axiom_es_set_err(s, "%s: create %s while the create of %s is in doubt", s->where, name,
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
			axiom_es_set_err(f->s, "%s: segment %s shrank from %" PRIu64 " to %" PRIu64 " bytes",
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
		axiom_es_set_err(f->s, "%s: write to %s while a write is in doubt", f->s->where, f->name);
		return -EBUSY;
	}
	if (off < f->loaded || off > f->bsize) {
		axiom_es_set_err(f->s, "%s: write to %s at offset %" PRIu64 ": committed up to %" PRIu64
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
		axiom_es_set_err(f->s, "%s: cut %s to %" PRIu64 " bytes: committed up to %" PRIu64
			", written up to %" PRIu64, f->s->where, f->name, len, f->loaded, f->bsize);
		return -EINVAL;
	}
	if (f->doubt && len < f->bsize) {
		axiom_es_set_err(f->s, "%s: cut %s to %" PRIu64 " bytes: the write up to %" PRIu64
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
	.keys_get = axiom_es_keys_get,
	.keys_add = axiom_es_keys_add,
	.ckpt_append = axiom_es_ckpt_append,
	.ckpt_load = axiom_es_ckpt_load,
	.error = es_error,
	.where = es_where,
};
