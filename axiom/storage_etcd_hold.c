/*
 * storage_etcd_hold.c - the writer's hold on an etcd log (storage_etcd.h):
 * P/owner on a lease, taken at open (fencing the writer before by
 * re-putting P/head), kept by a thread with its own client, taken again
 * after a lapse only while P/head is still ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "axiom/storage_etcd_int.h"
#include "etcd/etcd.h"

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

	ol = axiom_es_key_of(s, ok, sizeof(ok), "owner");
	hl = axiom_es_key_of(s, hk, sizeof(hk), "head");
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

			axiom_es_kv_text(&o, who, sizeof(who));
			err = o.kvs[0].lease == lease;
			etcd_range_free(&o);
			if (err)
				goto ours;
			axiom_es_mark_stale(s, "P/owner is held by \"%s\"", who);
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
			err = axiom_es_head_parse(h.kvs[0].value, h.kvs[0].value_len, seg, &off, id);
			if (err < 0 || strcmp(id, s->id) != 0) {
				char ht[ES_HEAD_MAX + 1];

				axiom_es_kv_text(&h, ht, sizeof(ht));
				etcd_range_free(&h);
				axiom_es_mark_stale(s, "the hold lapsed and P/head was written by another "
					   "writer (\"%s\")", ht);
				return;
			}
		}
		etcd_range_free(&h);
		if (hm == 0 && rev != 0) {
			axiom_es_mark_stale(s, "the hold lapsed and P/head is gone");
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

void *axiom_es_keeper_main(void *arg)
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
	ol = axiom_es_key_of(s, ok, sizeof(ok), "owner");
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

			axiom_es_kv_text(&o, who, sizeof(who));
			axiom_es_mark_stale(s, "P/owner is held by \"%s\"", who);
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
int axiom_es_take_hold(struct es_store *s, int wait_ms)
{
	char ok[ES_KEY_MAX], hk[ES_KEY_MAX], hv[ES_HEAD_MAX], seg[AXIOM_SEG_NAME_SIZE];
	char id[ES_ID_LEN + 1], who[256] = "";
	struct etcd_cmp cmp[2];
	struct etcd_op ops[2], fail;
	struct etcd_txn_result res;
	struct etcd_range h;
	int64_t deadline = axiom_es_now_ms() + (wait_ms > 0 ? wait_ms : 0), hm, holder_lease = 0, ttl;
	uint64_t off = 0;
	int ol, hl, err, have_head, moved = 0;

	ol = axiom_es_key_of(s, ok, sizeof(ok), "owner");
	hl = axiom_es_key_of(s, hk, sizeof(hk), "head");
	if (ol < 0 || hl < 0)
		return -ENAMETOOLONG;
	for (;;) {
		if ((err = etcd_get(s->c, hk, &h)) < 0)
			return axiom_es_req_failed(s, s->c, err, "read head");
		have_head = h.n == 1;
		hm = have_head ? h.kvs[0].mod_rev : 0;
		if (have_head && axiom_es_head_parse(h.kvs[0].value, h.kvs[0].value_len, seg, &off, id) < 0) {
			etcd_range_free(&h);
			axiom_es_set_err(s, "%s: P/head does not parse", s->where);
			return -EBADMSG;
		}
		etcd_range_free(&h);
		if (have_head)
			axiom_es_head_format(hv, sizeof(hv), seg, off, s->id);
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
			return axiom_es_req_failed(s, s->c, err, "take the hold");
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
			axiom_es_kv_text(&res.ranges[0], who, sizeof(who));
			holder_lease = res.ranges[0].kvs[0].lease;
		}
		etcd_txn_free(&res);
		if (!who[0] && ++moved < ES_CAS_TRIES)
			continue; /* P/head moved between the read and the txn */
		if (axiom_es_now_ms() >= deadline)
			break;
		axiom_es_sleep_ms(ES_POLL_MS);
		who[0] = '\0';
		/* Our own lease runs out too while we wait: keep it. */
		err = etcd_lease_keepalive(s->c, s->lease, &ttl);
		if (err == -ENOENT)
			err = etcd_lease_grant(s->c, s->ttl_s, &s->lease, &ttl);
		if (err < 0)
			return axiom_es_req_failed(s, s->c, err, "keep the lease");
	}
	{
		int64_t left = -1;

		if (holder_lease)
			etcd_lease_ttl(s->c, holder_lease, &left);
		axiom_es_set_err(s, "%s is held by another writer: %s (lease %" PRIx64 ", %" PRId64 " s left)",
			s->where, who, holder_lease, left);
	}
	return -EBUSY;
}
