/*
 * storage_etcd_meta.c - the public keys and checkpoints of an etcd log
 * (storage.h keys_*, ckpt_*): P/keys, one line per key, grown by
 * compare-and-swap; P/ckpt/SEQ-TS, one line each. Serialised on the
 * store's meta client (the writer and the owner both append checkpoints).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axiom/checkpoint.h"
#include "axiom/storage.h"
#include "axiom/storage_etcd_int.h"
#include "etcd/etcd.h"

int axiom_es_keys_get(void *store, char **text)
{
	struct es_store *s = store;
	char kk[ES_KEY_MAX];
	struct etcd_range r;
	int kl, err;

	if ((kl = axiom_es_key_of(s, kk, sizeof(kk), "keys")) < 0)
		return kl;
	pthread_mutex_lock(&s->mlock);
	err = etcd_get(s->mc, kk, &r);
	if (err < 0) {
		axiom_es_req_failed(s, s->mc, err, "read P/keys");
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

int axiom_es_keys_add(void *store, const char *hex)
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
	if ((kl = axiom_es_key_of(s, kk, sizeof(kk), "keys")) < 0)
		return kl;
	pthread_mutex_lock(&s->mlock);
	for (tries = 0; tries < ES_CAS_TRIES; tries++) {
		int64_t mod;

		if ((err = etcd_get(s->mc, kk, &r)) < 0) {
			axiom_es_req_failed(s, s->mc, err, "read P/keys");
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
			axiom_es_req_failed(s, s->mc, err, "add to P/keys");
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

int axiom_es_ckpt_append(void *store, const char *line)
{
	struct es_store *s = store;
	struct axiom_checkpoint c;
	char kk[ES_KEY_MAX];
	int kl, err;

	if (!s->writable)
		return -EROFS;
	if (axiom_es_is_stale(s))
		return -ESTALE;
	if (axiom_checkpoint_parse(line, &c) < 0)
		return -EINVAL;
	kl = axiom_es_key_of(s, kk, sizeof(kk), "ckpt/%020" PRIu64 "-%020" PRIu64, c.seq, c.ts_ns);
	if (kl < 0)
		return kl;
	pthread_mutex_lock(&s->mlock);
	err = etcd_put(s->mc, kk, (size_t)kl, line, strlen(line), 0, NULL);
	if (err < 0)
		axiom_es_req_failed(s, s->mc, err, "append a checkpoint");
	pthread_mutex_unlock(&s->mlock);
	return err;
}

int axiom_es_ckpt_load(void *store, char ***lines, size_t *n)
{
	struct es_store *s = store;
	char kk[ES_KEY_MAX], from[ES_KEY_MAX];
	uint8_t kend[ES_KEY_MAX];
	struct etcd_range r;
	char **v = NULL;
	size_t cnt = 0, cap = 0, i, flen;
	int kl, err = 0;
	int64_t rev = 0;

	if ((kl = axiom_es_key_of(s, kk, sizeof(kk), "ckpt/")) < 0 ||
	    etcd_prefix_end(kk, (size_t)kl, kend) < 0)
		return -ENAMETOOLONG;
	memcpy(from, kk, (size_t)kl);
	flen = (size_t)kl;
	pthread_mutex_lock(&s->mlock);
	for (;;) {
		err = etcd_range(s->mc, from, flen, kend, (size_t)kl, 1000, rev, 0, &r);
		if (err < 0) {
			axiom_es_req_failed(s, s->mc, err, "read checkpoints");
			break;
		}
		rev = r.revision;
		for (i = 0; i < r.n && err == 0; i++)
			err = axiom_es_add_name(&v, &cnt, &cap, (const char *)r.kvs[i].value,
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
