/*
 * fake_etcd.h - etcd/etcd.h served from memory, for unit tests of what is
 * built on the client (axiom/storage_etcd.c): one keyspace with revisions
 * and leases shared by every client, transactions applied atomically, and
 * faults injected per call: the next N requests of a kind fail with an
 * errno, after being applied or not (an answer lost in doubt).
 *
 * Include it in exactly one test program, which links it in place of
 * etcd/etcd.c (its own Makefile rule). Thread-safe (the store's keeper
 * thread calls it too).
 */
#ifndef FAKE_ETCD_H
#define FAKE_ETCD_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/etcd.h"

struct fake_kv {
	uint8_t *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
	int64_t create, mod, version, lease;
};

enum fake_kind { FAKE_TXN, FAKE_RANGE, FAKE_KINDS };

static struct {
	pthread_mutex_t lock;
	struct fake_kv *kv;
	size_t n;
	int64_t rev;
	int64_t next_lease;
	int64_t dead_leases[64];
	size_t ndead;
	/* faults: the next fail_n[kind] calls fail with fail_err[kind],
	 * applied first when fail_apply[kind] */
	int fail_skip[FAKE_KINDS], fail_n[FAKE_KINDS], fail_err[FAKE_KINDS], fail_apply[FAKE_KINDS];
	uint64_t calls[FAKE_KINDS];
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER, .rev = 1, .next_lease = 0x100 };

struct etcd_client {
	char err[128];
};

/* After skip calls of kind k go through, the next n fail with err. */
static void fake_fail_after(enum fake_kind k, int skip, int n, int err, int apply)
{
	pthread_mutex_lock(&fake.lock);
	fake.fail_skip[k] = skip;
	fake.fail_n[k] = n;
	fake.fail_err[k] = err;
	fake.fail_apply[k] = apply;
	pthread_mutex_unlock(&fake.lock);
}

static void fake_fail(enum fake_kind k, int n, int err, int apply)
{
	fake_fail_after(k, 0, n, err, apply);
}

static int fake_cmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al < bl ? -1 : al > bl);
}

/* The index of key, or where it would go (*found 0). Locked. */
static size_t fake_find(const void *key, size_t klen, int *found)
{
	size_t lo = 0, hi = fake.n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = fake_cmp(fake.kv[mid].key, fake.kv[mid].klen, key, klen);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static void fake_put_locked(const void *key, size_t klen, const void *val, size_t vlen,
			    int64_t lease, int64_t rev)
{
	int found;
	size_t i = fake_find(key, klen, &found);
	struct fake_kv *kv;

	if (!found) {
		fake.kv = realloc(fake.kv, (fake.n + 1) * sizeof(*fake.kv));
		memmove(&fake.kv[i + 1], &fake.kv[i], (fake.n - i) * sizeof(*fake.kv));
		fake.n++;
		kv = &fake.kv[i];
		memset(kv, 0, sizeof(*kv));
		kv->key = malloc(klen + 1);
		memcpy(kv->key, key, klen);
		kv->key[klen] = 0;
		kv->klen = klen;
		kv->create = rev;
	} else {
		kv = &fake.kv[i];
		free(kv->val);
	}
	kv->val = malloc(vlen + 1);
	memcpy(kv->val, val, vlen);
	kv->val[vlen] = 0;
	kv->vlen = vlen;
	kv->mod = rev;
	kv->version++;
	kv->lease = lease;
}

static void fake_del_at(size_t i)
{
	free(fake.kv[i].key);
	free(fake.kv[i].val);
	memmove(&fake.kv[i], &fake.kv[i + 1], (fake.n - i - 1) * sizeof(*fake.kv));
	fake.n--;
}

static int fake_in(size_t i, const void *key, size_t klen, const void *end, size_t elen)
{
	if (!end)
		return fake_cmp(fake.kv[i].key, fake.kv[i].klen, key, klen) == 0;
	return fake_cmp(fake.kv[i].key, fake.kv[i].klen, key, klen) >= 0 &&
	       fake_cmp(fake.kv[i].key, fake.kv[i].klen, end, elen) < 0;
}

static int64_t fake_del_locked(const void *key, size_t klen, const void *end, size_t elen)
{
	int64_t d = 0;
	size_t i = 0;

	while (i < fake.n) {
		if (fake_in(i, key, klen, end, elen)) {
			fake_del_at(i);
			d++;
		} else {
			i++;
		}
	}
	return d;
}

static void fake_range_locked(const void *key, size_t klen, const void *end, size_t elen,
			      int64_t limit, unsigned int flags, struct etcd_range *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->revision = fake.rev;
	for (i = 0; i < fake.n; i++) {
		struct etcd_kv *kv;

		if (!fake_in(i, key, klen, end, elen))
			continue;
		out->count++;
		if (limit && (int64_t)out->n >= limit) {
			out->more = 1;
			continue;
		}
		out->kvs = realloc(out->kvs, (out->n + 1) * sizeof(*out->kvs));
		kv = &out->kvs[out->n++];
		memset(kv, 0, sizeof(*kv));
		kv->key = malloc(fake.kv[i].klen + 1);
		memcpy(kv->key, fake.kv[i].key, fake.kv[i].klen + 1);
		kv->key_len = fake.kv[i].klen;
		if (!(flags & ETCD_KEYS_ONLY)) {
			kv->value = malloc(fake.kv[i].vlen + 1);
			memcpy(kv->value, fake.kv[i].val, fake.kv[i].vlen + 1);
			kv->value_len = fake.kv[i].vlen;
		}
		kv->create_rev = fake.kv[i].create;
		kv->mod_rev = fake.kv[i].mod;
		kv->version = fake.kv[i].version;
		kv->lease = fake.kv[i].lease;
	}
}

/* A fault for this call: 0 none, else the errno; *apply whether to do it first. */
static int fake_fault(enum fake_kind k, int *apply)
{
	fake.calls[k]++;
	if (fake.fail_skip[k] > 0) {
		fake.fail_skip[k]--;
		return 0;
	}
	if (fake.fail_n[k] <= 0)
		return 0;
	fake.fail_n[k]--;
	*apply = fake.fail_apply[k];
	return fake.fail_err[k];
}

static void fake_reset(void)
{
	pthread_mutex_lock(&fake.lock);
	while (fake.n)
		fake_del_at(fake.n - 1);
	memset(fake.fail_n, 0, sizeof(fake.fail_n));
	memset(fake.fail_skip, 0, sizeof(fake.fail_skip));
	memset(fake.calls, 0, sizeof(fake.calls));
	fake.ndead = 0;
	pthread_mutex_unlock(&fake.lock);
}

/* Expire a lease now, as etcd does when it is not renewed: its keys go. */
static void fake_expire(int64_t lease)
{
	size_t i = 0;

	pthread_mutex_lock(&fake.lock);
	while (i < fake.n) {
		if (fake.kv[i].lease == lease)
			fake_del_at(i);
		else
			i++;
	}
	if (fake.ndead < 64)
		fake.dead_leases[fake.ndead++] = lease;
	fake.rev++;
	pthread_mutex_unlock(&fake.lock);
}

static int fake_lease_dead(int64_t id)
{
	size_t i;

	for (i = 0; i < fake.ndead; i++)
		if (fake.dead_leases[i] == id)
			return 1;
	return id >= fake.next_lease;
}

/* --- etcd.h ------------------------------------------------------------- */

int etcd_open(struct etcd_client **out, const struct etcd_config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	(void)err;
	(void)errlen;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void etcd_close(struct etcd_client *c)
{
	free(c);
}

const char *etcd_error(const struct etcd_client *c)
{
	return c->err;
}

const char *etcd_member(const struct etcd_client *c)
{
	(void)c;
	return "fake:2379";
}

int etcd_parse_url(const char *url, char *endpoints, size_t len)
{
	if (strncmp(url, "etcd://", 7) != 0)
		return -EINVAL;
	snprintf(endpoints, len, "%s", url + 7);
	return 0;
}

void etcd_range_free(struct etcd_range *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].value);
	}
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

int etcd_prefix_end(const void *prefix, size_t plen, uint8_t *out)
{
	memcpy(out, prefix, plen);
	while (plen) {
		if (out[plen - 1] < 0xff) {
			out[plen - 1]++;
			return 0;
		}
		plen--;
	}
	return -EINVAL;
}

static void fake_set_err(struct etcd_client *c, int err)
{
	snprintf(c->err, sizeof(c->err), "fake etcd: %s", err ? strerror(-err) : "");
	if (!err)
		c->err[0] = 0;
}

int etcd_range(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
	       size_t relen, int64_t limit, int64_t rev, unsigned int flags,
	       struct etcd_range *out)
{
	int apply = 0, err;

	(void)rev;
	pthread_mutex_lock(&fake.lock);
	err = fake_fault(FAKE_RANGE, &apply);
	if (!err)
		fake_range_locked(key, klen, range_end, relen, limit, flags, out);
	pthread_mutex_unlock(&fake.lock);
	fake_set_err(c, err);
	return err;
}

int etcd_get(struct etcd_client *c, const char *key, struct etcd_range *out)
{
	return etcd_range(c, key, strlen(key), NULL, 0, 0, 0, 0, out);
}

int etcd_put(struct etcd_client *c, const void *key, size_t klen, const void *val, size_t vlen,
	     int64_t lease, int64_t *rev)
{
	struct etcd_op op = { .type = ETCD_OP_PUT, .key = key, .klen = klen, .value = val,
			      .vlen = vlen, .lease = lease };
	struct etcd_txn_result res;
	int err = etcd_txn(c, NULL, 0, &op, 1, NULL, 0, &res);

	if (!err) {
		if (rev)
			*rev = res.revision;
		etcd_txn_free(&res);
	}
	return err;
}

int etcd_delete(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
		size_t relen, int64_t *deleted)
{
	struct etcd_op op = { .type = ETCD_OP_DELETE, .key = key, .klen = klen,
			      .range_end = range_end, .relen = relen };
	struct etcd_txn_result res;
	int err = etcd_txn(c, NULL, 0, &op, 1, NULL, 0, &res);

	if (!err) {
		if (deleted)
			*deleted = -1;
		etcd_txn_free(&res);
	}
	return err;
}

static int fake_cmp_holds(const struct etcd_cmp *c)
{
	int found;
	size_t i = fake_find(c->key, c->klen, &found);
	int64_t v = 0;
	int r;

	if (c->target == ETCD_CMP_VALUE) {
		if (!found)
			return 0;
		r = fake_cmp(fake.kv[i].val, fake.kv[i].vlen, c->value, c->vlen);
	} else {
		if (found)
			v = c->target == ETCD_CMP_VERSION ? fake.kv[i].version :
			    c->target == ETCD_CMP_CREATE  ? fake.kv[i].create :
			    c->target == ETCD_CMP_MOD     ? fake.kv[i].mod : fake.kv[i].lease;
		r = v < c->num ? -1 : v > c->num;
	}
	switch (c->op) {
	case ETCD_EQUAL: return r == 0;
	case ETCD_GREATER: return r > 0;
	case ETCD_LESS: return r < 0;
	default: return r != 0;
	}
}

int etcd_txn(struct etcd_client *c, const struct etcd_cmp *cmp, size_t ncmp,
	     const struct etcd_op *succ, size_t nsucc, const struct etcd_op *fail, size_t nfail,
	     struct etcd_txn_result *res)
{
	const struct etcd_op *ops;
	size_t i, n, bytes = 0;
	int ok = 1, apply = 0, err, writes = 0;

	for (i = 0; i < nsucc; i++)
		bytes += succ[i].klen + succ[i].vlen;
	if (bytes / 3 * 4 > ETCD_REQUEST_MAX)
		return -EMSGSIZE;
	pthread_mutex_lock(&fake.lock);
	err = fake_fault(FAKE_TXN, &apply);
	if (err && !apply) {
		pthread_mutex_unlock(&fake.lock);
		fake_set_err(c, err);
		return err;
	}
	memset(res, 0, sizeof(*res));
	for (i = 0; i < ncmp; i++)
		ok &= fake_cmp_holds(&cmp[i]);
	ops = ok ? succ : fail;
	n = ok ? nsucc : nfail;
	for (i = 0; i < n; i++)
		writes |= ops[i].type != ETCD_OP_RANGE;
	if (writes)
		fake.rev++;
	for (i = 0; i < n; i++) {
		if (ops[i].type == ETCD_OP_PUT) {
			if (ops[i].lease && fake_lease_dead(ops[i].lease))
				continue; /* etcd refuses the txn; rare enough here */
			fake_put_locked(ops[i].key, ops[i].klen, ops[i].value, ops[i].vlen,
					ops[i].lease, fake.rev);
		} else if (ops[i].type == ETCD_OP_DELETE) {
			fake_del_locked(ops[i].key, ops[i].klen, ops[i].range_end, ops[i].relen);
		} else {
			res->ranges = realloc(res->ranges, (res->nranges + 1) * sizeof(*res->ranges));
			fake_range_locked(ops[i].key, ops[i].klen, ops[i].range_end, ops[i].relen,
					  ops[i].limit, 0, &res->ranges[res->nranges++]);
		}
	}
	res->succeeded = ok;
	res->revision = fake.rev;
	pthread_mutex_unlock(&fake.lock);
	if (err) {
		etcd_txn_free(res);
		fake_set_err(c, err);
		return err;
	}
	fake_set_err(c, 0);
	return 0;
}

void etcd_txn_free(struct etcd_txn_result *r)
{
	size_t i;

	for (i = 0; i < r->nranges; i++)
		etcd_range_free(&r->ranges[i]);
	free(r->ranges);
	memset(r, 0, sizeof(*r));
}

int etcd_lease_grant(struct etcd_client *c, int64_t ttl_s, int64_t *id, int64_t *granted)
{
	(void)c;
	pthread_mutex_lock(&fake.lock);
	*id = fake.next_lease++;
	pthread_mutex_unlock(&fake.lock);
	*granted = ttl_s;
	return 0;
}

int etcd_lease_keepalive(struct etcd_client *c, int64_t id, int64_t *ttl)
{
	int dead;

	(void)c;
	pthread_mutex_lock(&fake.lock);
	dead = fake_lease_dead(id);
	pthread_mutex_unlock(&fake.lock);
	*ttl = 5;
	return dead ? -ENOENT : 0;
}

int etcd_lease_revoke(struct etcd_client *c, int64_t id)
{
	(void)c;
	fake_expire(id);
	return 0;
}

int etcd_lease_ttl(struct etcd_client *c, int64_t id, int64_t *ttl)
{
	return etcd_lease_keepalive(c, id, ttl);
}

int etcd_watch(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
	       size_t relen, int64_t start_rev, etcd_watch_fn fn, void *arg,
	       const volatile int *stop, int64_t *next_rev)
{
	(void)c; (void)key; (void)klen; (void)range_end; (void)relen; (void)start_rev;
	(void)fn; (void)arg; (void)stop; (void)next_rev;
	return -EAGAIN;
}

#endif /* FAKE_ETCD_H */
