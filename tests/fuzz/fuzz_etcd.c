/*
 * fuzz_etcd.c - libFuzzer target for the etcd client's answer decoders
 * (etcd/json.h): ranges, txns, leases, errors and the watch stream cut
 * into messages. The first byte picks the decoder (its low 3 bits: 0
 * range, 1 txn, 2 lease grant, 3 lease TTL, 4 error, 5/6 watch message,
 * 7 a watch stream; bit 3: a write, for the error), the rest is the answer.
 *
 * Whatever the bytes: no crash, no leak, and
 *   - a decoded key or value has a NUL after its bytes;
 *   - a txn's ranges are all decoded (nranges as many as it says);
 *   - a lease TTL that decodes is positive;
 *   - the watch stream gives the same messages, in the same order and
 *     with the same bytes, whether fed at once or in pieces the input
 *     chooses, and each message that parses decodes or is refused with
 *     -EPROTO, never anything else.
 * Any failure aborts, so libFuzzer keeps the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/json.h"

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define ASSERT(c) do { if (!(c)) { fprintf(stderr, "fuzz_etcd: %s\n", #c); abort(); } } while (0)

static void check_kv(const struct etcd_kv *kv)
{
	ASSERT(kv->key && kv->key[kv->key_len] == 0);
	ASSERT(kv->value && kv->value[kv->value_len] == 0);
}

static void check_range(const struct etcd_range *r)
{
	size_t i;

	ASSERT(r->n == 0 || r->kvs);
	for (i = 0; i < r->n; i++)
		check_kv(&r->kvs[i]);
}

static void one_json(int which, int write, const char *p, size_t n)
{
	json_t *j = json_loadb(p, n, 0, NULL);
	struct etcd_txn_result t;
	struct etcdj_watch_msg m;
	struct etcd_range r;
	const char *msg;
	int64_t a, b;
	size_t i;
	int code, rc;

	if (!j)
		return;
	switch (which) {
	case 0:
		if (etcdj_range(j, &r) == 0) {
			check_range(&r);
			etcd_range_free(&r);
		}
		break;
	case 1:
		if (etcdj_txn(j, &t) == 0) {
			for (i = 0; i < t.nranges; i++)
				check_range(&t.ranges[i]);
			etcd_txn_free(&t);
		}
		break;
	case 2:
		rc = etcdj_lease_grant(j, &a, &b);
		ASSERT(rc == 0 || rc == -EPROTO);
		ASSERT(rc || a != 0);
		break;
	case 3:
		rc = etcdj_lease_ttl(j, &a);
		ASSERT(rc == -ENOENT || rc == -EPROTO || (rc == 0 && a > 0));
		break;
	case 4:
		if (etcdj_error(j, &msg, &code)) {
			rc = etcdj_errno(msg, write);
			ASSERT(rc < 0);
		}
		break;
	default:  /* 5, 6 */
		rc = etcdj_watch_msg(j, &m);
		ASSERT(rc == 0 || rc == -EPROTO || rc == -ENOMEM);
		if (rc == 0) {
			for (i = 0; i < m.nevents; i++) {
				ASSERT(m.events[i].type == ETCD_EV_PUT ||
				       m.events[i].type == ETCD_EV_DELETE);
				check_kv(&m.events[i].kv);
			}
			ASSERT(m.cancel_reason);
			etcdj_watch_msg_free(&m);
		}
		break;
	}
	json_decref(j);
}

/* The stream fed whole, and in pieces of sizes taken from the input:
 * the same messages. */
#define MSGS_MAX 256
struct cut {
	size_t n;
	size_t off[MSGS_MAX], len[MSGS_MAX];
	uint32_t sum[MSGS_MAX];
	int err;
};

static uint32_t fnv(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

static void split_all(const uint8_t *p, size_t n, const uint8_t *sizes, size_t nsizes,
		      struct cut *out, int decode)
{
	struct etcdj_split s;
	const char *obj;
	size_t pos = 0, k = 0, len;
	int rc;

	memset(out, 0, sizeof(*out));
	etcdj_split_init(&s);
	while (pos < n && !out->err) {
		size_t step = nsizes ? 1 + sizes[k++ % nsizes] : n;

		if (step > n - pos)
			step = n - pos;
		rc = etcdj_split_feed(&s, p + pos, step);
		ASSERT(rc == 0);
		pos += step;
		while ((rc = etcdj_split_next(&s, &obj, &len)) == 1) {
			ASSERT(len >= 2 && obj[0] == '{' && obj[len - 1] == '}');
			if (out->n < MSGS_MAX) {
				out->len[out->n] = len;
				out->sum[out->n] = fnv(obj, len);
			}
			out->n++;
			if (decode)
				one_json(5, 0, obj, len);
		}
		if (rc < 0) {
			ASSERT(rc == -EPROTO);
			out->err = rc;
		}
	}
	etcdj_split_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cut whole, pieces;
	size_t nsizes, i;

	if (size < 1)
		return 0;
	if ((data[0] & 7) != 7) {
		one_json(data[0] & 7, data[0] & 8, (const char *)data + 1, size - 1);
		return 0;
	}
	/* 7: a stream; its second byte: how many piece sizes follow. */
	if (size < 2)
		return 0;
	nsizes = data[1] % 16;
	if (size < 2 + nsizes)
		return 0;
	split_all(data + 2 + nsizes, size - 2 - nsizes, NULL, 0, &whole, 1);
	split_all(data + 2 + nsizes, size - 2 - nsizes, data + 2, nsizes, &pieces, 0);
	ASSERT(whole.err == pieces.err);
	if (!whole.err) {
		ASSERT(whole.n == pieces.n);
		for (i = 0; i < whole.n && i < MSGS_MAX; i++)
			ASSERT(whole.len[i] == pieces.len[i] && whole.sum[i] == pieces.sum[i]);
	}
	return 0;
}
