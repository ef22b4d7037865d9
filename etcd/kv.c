/*
 * kv.c - keys, ranges, transactions and leases (etcd.h): each one POST
 * through etcdc_call, its answer decoded by json.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/client.h"
#include "etcd/etcd.h"
#include "etcd/json.h"

/* req (NULL: building it ran out of memory) sent and dropped. */
static int request(struct etcd_client *c, const char *path, json_t *req, int write, json_t **ans)
{
	int err;

	if (!req) {
		etcdc_set_err(c, "etcd: out of memory");
		return -ENOMEM;
	}
	err = etcdc_call(c, path, req, write, ans);
	json_decref(req);
	return err;
}

/* After building req: on err, req dropped and c->err says so. */
static int built(struct etcd_client *c, json_t *req, int err)
{
	if (err) {
		json_decref(req);
		etcdc_set_err(c, "etcd: out of memory");
	}
	return err;
}

/* After decoding ans: ans dropped, on err c->err says so. */
static int decoded(struct etcd_client *c, json_t *ans, int err)
{
	if (err)
		etcdc_set_err(c, "etcd %s: answer does not decode (EPROTO)", c->member);
	json_decref(ans);
	return err;
}

int etcd_prefix_end(const void *prefix, size_t plen, uint8_t *out)
{
	/* etcd's end of a prefix ending in 0xff is a shorter key ("a\xff" ->
	 * "b"): none of plen bytes is right, so those are refused too. */
	if (!plen || ((const uint8_t *)prefix)[plen - 1] == 0xff)
		return -EINVAL;
	memcpy(out, prefix, plen);
	out[plen - 1]++;
	return 0;
}

int etcd_range(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
	       size_t relen, int64_t limit, int64_t rev, unsigned int flags,
	       struct etcd_range *out)
{
	json_t *req = json_object(), *ans;
	int err;

	memset(out, 0, sizeof(*out));
	if ((!key && klen) || (!range_end && relen) || limit < 0 || rev < 0) {
		json_decref(req);
		etcdc_set_err(c, "etcd: bad range arguments (EINVAL)");
		return -EINVAL;
	}
	if (req && (err = built(c, req, etcdc_range_req(req, key, klen, range_end, relen, limit, rev,
						  flags))))
		return err;
	err = request(c, "/v3/kv/range", req, 0, &ans);
	if (err)
		return err;
	return decoded(c, ans, etcdj_range(ans, out));
}

int etcd_get(struct etcd_client *c, const char *key, struct etcd_range *out)
{
	return etcd_range(c, key, strlen(key), NULL, 0, 0, 0, 0, out);
}

int etcd_put(struct etcd_client *c, const void *key, size_t klen, const void *val, size_t vlen,
	     int64_t lease, int64_t *rev)
{
	json_t *req = json_object(), *ans;
	int64_t r;
	int err = 0;

	if ((!key && klen) || (!val && vlen)) {
		json_decref(req);
		etcdc_set_err(c, "etcd: bad put arguments (EINVAL)");
		return -EINVAL;
	}
	if (req) {
		err = etcdc_put_b64(req, "key", key, klen);
		if (!err)
			err = etcdc_put_b64(req, "value", val, vlen);
		if (!err && lease)
			err = etcdc_put_i64(req, "lease", lease);
		if ((err = built(c, req, err)))
			return err;
	}
	err = request(c, "/v3/kv/put", req, 1, &ans);
	if (err)
		return err;
	err = etcdj_header_rev(ans, &r);
	if (!err && rev)
		*rev = r;
	return decoded(c, ans, err);
}

int etcd_delete(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
		size_t relen, int64_t *deleted)
{
	json_t *req = json_object(), *ans;
	int64_t d;
	int err = 0;

	if ((!key && klen) || (!range_end && relen)) {
		json_decref(req);
		etcdc_set_err(c, "etcd: bad delete arguments (EINVAL)");
		return -EINVAL;
	}
	if (req) {
		err = etcdc_put_b64(req, "key", key, klen);
		if (!err && range_end)
			err = etcdc_put_b64(req, "range_end", range_end, relen);
		if ((err = built(c, req, err)))
			return err;
	}
	err = request(c, "/v3/kv/deleterange", req, 1, &ans);
	if (err)
		return err;
	err = etcdj_i64(ans, "deleted", &d);
	if (!err && deleted)
		*deleted = d;
	return decoded(c, ans, err);
}

/* --- transactions ------------------------------------------------------------ */

static const char *const cmp_targets[] = { "VERSION", "CREATE", "MOD", "VALUE", "LEASE" };
static const char *const cmp_fields[] = { "version", "create_revision", "mod_revision", "value",
					  "lease" };
static const char *const cmp_ops[] = { "EQUAL", "GREATER", "LESS", "NOT_EQUAL" };

static json_t *cmp_json(const struct etcd_cmp *cmp)
{
	json_t *o = json_object();
	int err;

	if (!o)
		return NULL;
	err = etcdc_put_new(o, "target", json_string(cmp_targets[cmp->target]));
	if (!err)
		err = etcdc_put_new(o, "result", json_string(cmp_ops[cmp->op]));
	if (!err)
		err = etcdc_put_b64(o, "key", cmp->key, cmp->klen);
	if (!err && cmp->target == ETCD_CMP_VALUE)
		err = etcdc_put_b64(o, "value", cmp->value, cmp->vlen);
	else if (!err)
		err = etcdc_put_i64(o, cmp_fields[cmp->target], cmp->num);
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *op_json(const struct etcd_op *op)
{
	json_t *o = json_object(), *inner = json_object();
	const char *name = "request_put";
	int err = (!o || !inner) ? -ENOMEM : 0;

	if (!err && op->type == ETCD_OP_PUT) {
		err = etcdc_put_b64(inner, "key", op->key, op->klen);
		if (!err)
			err = etcdc_put_b64(inner, "value", op->value, op->vlen);
		if (!err && op->lease)
			err = etcdc_put_i64(inner, "lease", op->lease);
	} else if (!err && op->type == ETCD_OP_DELETE) {
		name = "request_delete_range";
		err = etcdc_put_b64(inner, "key", op->key, op->klen);
		if (!err && op->range_end)
			err = etcdc_put_b64(inner, "range_end", op->range_end, op->relen);
	} else if (!err) {
		name = "request_range";
		err = etcdc_range_req(inner, op->key, op->klen, op->range_end, op->relen, op->limit, 0, 0);
	}
	if (!err) {
		err = json_object_set_new(o, name, inner) ? -ENOMEM : 0;
		inner = NULL;
	}
	json_decref(inner);
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int valid_op(const struct etcd_op *op)
{
	return op->type <= ETCD_OP_RANGE && (op->key || !op->klen) &&
	       (op->value || !op->vlen) && (op->range_end || !op->relen) && op->limit >= 0;
}

static int valid_cmp(const struct etcd_cmp *cmp)
{
	return cmp->target <= ETCD_CMP_LEASE && cmp->op <= ETCD_NOT_EQUAL &&
	       (cmp->key || !cmp->klen) && (cmp->value || !cmp->vlen);
}

static int ops_json(json_t *req, const char *name, const struct etcd_op *ops, size_t n)
{
	json_t *a;
	size_t i;

	if (!n)
		return 0;
	a = json_array();
	if (!a)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, op_json(&ops[i]))) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	return etcdc_put_new(req, name, a);
}

static json_t *txn_json(const struct etcd_cmp *cmp, size_t ncmp, const struct etcd_op *succ,
			size_t nsucc, const struct etcd_op *fail, size_t nfail)
{
	json_t *req = json_object(), *a = NULL;
	size_t i;
	int err = req ? 0 : -ENOMEM;

	if (!err && ncmp) {
		a = json_array();
		err = a ? 0 : -ENOMEM;
		for (i = 0; !err && i < ncmp; i++)
			err = json_array_append_new(a, cmp_json(&cmp[i])) ? -ENOMEM : 0;
		if (!err)
			err = json_object_set(req, "compare", a) ? -ENOMEM : 0;
		json_decref(a);
	}
	if (!err)
		err = ops_json(req, "success", succ, nsucc);
	if (!err)
		err = ops_json(req, "failure", fail, nfail);
	if (err) {
		json_decref(req);
		return NULL;
	}
	return req;
}

int etcd_txn(struct etcd_client *c, const struct etcd_cmp *cmp, size_t ncmp,
	     const struct etcd_op *succ, size_t nsucc, const struct etcd_op *fail, size_t nfail,
	     struct etcd_txn_result *res)
{
	json_t *ans;
	size_t i;
	int err, write = 0;

	memset(res, 0, sizeof(*res));
	if ((ncmp && !cmp) || (nsucc && !succ) || (nfail && !fail))
		goto inval;
	for (i = 0; i < ncmp; i++)
		if (!valid_cmp(&cmp[i]))
			goto inval;
	for (i = 0; i < nsucc + nfail; i++) {
		const struct etcd_op *op = i < nsucc ? &succ[i] : &fail[i - nsucc];

		if (!valid_op(op))
			goto inval;
		write |= op->type != ETCD_OP_RANGE;
	}
	err = request(c, "/v3/kv/txn", txn_json(cmp, ncmp, succ, nsucc, fail, nfail), write, &ans);
	if (err)
		return err;
	return decoded(c, ans, etcdj_txn(ans, res));
inval:
	etcdc_set_err(c, "etcd: bad txn arguments (EINVAL)");
	return -EINVAL;
}

/* --- leases ------------------------------------------------------------------ */

static int lease_call(struct etcd_client *c, const char *path, const char *idname, int64_t id,
		      const char *ttlname, int64_t ttl, int write, json_t **ans)
{
	json_t *req = json_object();
	int err = 0;

	if (req) {
		err = etcdc_put_i64(req, idname, id);
		if (!err && ttlname)
			err = etcdc_put_i64(req, ttlname, ttl);
		if ((err = built(c, req, err)))
			return err;
	}
	return request(c, path, req, write, ans);
}

int etcd_lease_grant(struct etcd_client *c, int64_t ttl_s, int64_t *id, int64_t *granted)
{
	json_t *ans;
	int64_t i, t;
	int err;

	if (ttl_s <= 0) {
		etcdc_set_err(c, "etcd: lease TTL %lld (EINVAL)", (long long)ttl_s);
		return -EINVAL;
	}
	err = lease_call(c, "/v3/lease/grant", "ID", 0, "TTL", ttl_s, 1, &ans);
	if (err)
		return err;
	err = etcdj_lease_grant(ans, &i, &t);
	if (!err) {
		*id = i;
		if (granted)
			*granted = t;
	}
	return decoded(c, ans, err);
}

static int lease_ttl_answer(struct etcd_client *c, json_t *ans, int64_t id, int64_t *ttl)
{
	int64_t t;
	int err = etcdj_lease_ttl(ans, &t);

	json_decref(ans);
	if (err == -ENOENT) {
		etcdc_set_err(c, "etcd %s: lease %llx is gone (ENOENT)", c->member, (unsigned long long)id);
		return err;
	}
	if (err) {
		etcdc_set_err(c, "etcd %s: answer does not decode (EPROTO)", c->member);
		return err;
	}
	if (ttl)
		*ttl = t;
	return 0;
}

/* The keepalive is a stream in etcd's API; the gateway takes one
 * request as a stream of one and answers {"result":{...}}. */
int etcd_lease_keepalive(struct etcd_client *c, int64_t id, int64_t *ttl)
{
	json_t *ans;
	int err = lease_call(c, "/v3/lease/keepalive", "ID", id, NULL, 0, 1, &ans);

	if (err)
		return err;
	return lease_ttl_answer(c, ans, id, ttl);
}

int etcd_lease_revoke(struct etcd_client *c, int64_t id)
{
	json_t *ans;
	int err = lease_call(c, "/v3/lease/revoke", "ID", id, NULL, 0, 1, &ans);

	if (err)
		return err;
	json_decref(ans);
	return 0;
}

int etcd_lease_ttl(struct etcd_client *c, int64_t id, int64_t *ttl)
{
	json_t *ans;
	int err = lease_call(c, "/v3/lease/timetolive", "ID", id, NULL, 0, 0, &ans);

	if (err)
		return err;
	return lease_ttl_answer(c, ans, id, ttl);
}
