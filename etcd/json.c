/*
 * json.c - etcd's v3 gateway answers decoded (json.h).
 */
#include "etcd/json.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int etcdj_error(json_t *j, const char **msg, int *code)
{
	json_t *e = json_object_get(j, "error");
	json_t *c;

	if (!e)
		return 0;
	if (json_is_string(e)) {
		/* Unary: {"error":"etcdserver: no leader","message":...,"code":14}. */
		*msg = json_string_value(e);
		c = json_object_get(j, "code");
	} else if (json_is_object(e)) {
		/* Streams: {"error":{"grpc_code":14,"http_code":503,"message":...}}. */
		json_t *m = json_object_get(e, "message");
		*msg = json_is_string(m) ? json_string_value(m) : "";
		c = json_object_get(e, "grpc_code");
	} else {
		return 0;
	}
	*code = json_is_integer(c) ? (int)json_integer_value(c) : 0;
	return 1;
}

/*
 * etcd 3.4's error messages (etcdserver/api/v3rpc/rpctypes/error.go) and
 * what each says about a request. The gRPC code alone does not tell: 14
 * (Unavailable) is both "no leader" (not applied) and "request timed out"
 * (in doubt). Measured on Debian's etcd 3.4.23 in namespaces (3 members,
 * heartbeat 100 ms, election 1000 ms, the gateway's HTTP status in []):
 *
 * - The leader's followers killed, a put sent to it at once: after 7 s
 *   (etcd's request timeout, 5 s + 2 election timeouts) "etcdserver:
 *   request timed out" code 14 [503]. The proposal was in the leader's
 *   log: once a member came back the put was there. In doubt: -ETIMEDOUT.
 *   A linearizable range at that time: the same answer after 7 s.
 * - A lone member (2 of 3 killed), a few seconds later: put, txn and
 *   lease grant answer "context deadline exceeded" code 2 [500] after 7 s
 *   (no leader: the proposal waits in the member); a linearizable range
 *   "request timed out" after 7 s; a serializable range answers at once;
 *   lease keepalive and timetolive "etcdserver: no leader" code 14 [503]
 *   after 7 s (refused, never forwarded). So with a quorum lost and a
 *   member up a write is -ETIMEDOUT (in doubt, after the caller's timeout,
 *   2 s by default, before etcd's 7 s), never success.
 * - A linearizable range on a member whose leader went away: "etcdserver:
 *   leader changed" code 14 [503] at once. Reads apply nothing: -EAGAIN.
 * - Every member killed: connect() refused at once: -EAGAIN (etcd.c).
 * - "etcdserver: no leader" (code 14) comes only to clients that ask
 *   for it (gRPC metadata "hasleader", never set by the gateway), and
 *   "not enough started members", "too many requests" are refused before
 *   anything is proposed: -EAGAIN. "raft proposal dropped" (a follower
 *   with no leader drops the proposal) likewise.
 * - "server stopped" comes after the proposal: in doubt.
 * - Lease keepalive of a lease etcd does not have: {"result":{"ID":..}}
 *   with no TTL; timetolive: "TTL":"-1"; revoke: "requested lease not
 *   found" code 5 [404]. All -ENOENT.
 * - "request is too large" (code 3): -EMSGSIZE; "required revision has
 *   been compacted" (code 11): -ECANCELED; "requested lease not found"
 *   (code 5): -ENOENT; "required revision is a future revision", duplicate
 *   keys or too many ops in a txn (code 3/11): -EINVAL, nothing applied.
 * - "database space exceeded" (the quota alarm) refuses writes: -EAGAIN.
 * Anything else: -EPROTO (in doubt for writers).
 */
static const struct {
	const char *msg;   /* a substring of etcd's message */
	int err;           /* for a write */
	int read_err;      /* for a read */
} err_table[] = {
	{ "request timed out", -ETIMEDOUT, -ETIMEDOUT },
	{ "context deadline exceeded", -ETIMEDOUT, -ETIMEDOUT },
	{ "server stopped", -ETIMEDOUT, -EAGAIN },
	{ "request cancelled", -ETIMEDOUT, -EAGAIN },
	{ "leader changed", -ETIMEDOUT, -EAGAIN },
	{ "no leader", -EAGAIN, -EAGAIN },
	{ "not enough started members", -EAGAIN, -EAGAIN },
	{ "too many requests", -EAGAIN, -EAGAIN },
	{ "proposal dropped", -EAGAIN, -EAGAIN },
	{ "unhealthy cluster", -EAGAIN, -EAGAIN },
	{ "database space exceeded", -EAGAIN, -EAGAIN },
	{ "request is too large", -EMSGSIZE, -EMSGSIZE },
	{ "has been compacted", -ECANCELED, -ECANCELED },
	{ "lease not found", -ENOENT, -ENOENT },
	{ "future revision", -EINVAL, -EINVAL },
	{ "duplicate key", -EINVAL, -EINVAL },
	{ "too many operations", -EINVAL, -EINVAL },
	{ "key is not provided", -EINVAL, -EINVAL },
};

int etcdj_errno(const char *msg, int write)
{
	size_t i;

	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (strstr(msg, err_table[i].msg))
			return write ? err_table[i].err : err_table[i].read_err;
	return -EPROTO;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EPROTO;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EPROTO;
	*out = v;
	return 0;
}

int etcdj_i64(json_t *obj, const char *name, int64_t *out)
{
	json_t *v = json_object_get(obj, name);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return parse_i64(json_string_value(v), out);
	return -EPROTO;
}

int etcdj_bool(json_t *obj, const char *name, int *out)
{
	json_t *v = json_object_get(obj, name);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return -EPROTO;
	*out = json_is_true(v);
	return 0;
}

int etcdj_bytes(json_t *obj, const char *name, uint8_t **out, size_t *len)
{
	json_t *v = json_object_get(obj, name);
	const char *s = "";
	size_t slen = 0, n = 0;
	uint8_t *buf;

	*out = NULL;
	*len = 0;
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return -EPROTO;
		s = json_string_value(v);
		slen = json_string_length(v);
	}
	buf = malloc(slen / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	if (slen && sodium_base642bin(buf, slen / 4 * 3 + 3, s, slen, NULL, &n, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(buf);
		return -EPROTO;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

void etcdj_kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

int etcdj_kv(json_t *j, struct etcd_kv *kv)
{
	uint8_t *key = NULL;
	int err;

	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(j))
		return -EPROTO;
	if ((err = etcdj_i64(j, "create_revision", &kv->create_rev)) ||
	    (err = etcdj_i64(j, "mod_revision", &kv->mod_rev)) ||
	    (err = etcdj_i64(j, "version", &kv->version)) ||
	    (err = etcdj_i64(j, "lease", &kv->lease)))
		return err;
	err = etcdj_bytes(j, "key", &key, &kv->key_len);
	if (err)
		return err;
	kv->key = (char *)key;
	err = etcdj_bytes(j, "value", &kv->value, &kv->value_len);
	if (err)
		etcdj_kv_free(kv);
	return err;
}

int etcdj_header_rev(json_t *j, int64_t *rev)
{
	json_t *h = json_object_get(j, "header");

	*rev = 0;
	if (!h)
		return 0;
	if (!json_is_object(h))
		return -EPROTO;
	return etcdj_i64(h, "revision", rev);
}

/* etcd.h's frees live here, with what they free. */
void etcd_range_free(struct etcd_range *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		etcdj_kv_free(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

void etcd_txn_free(struct etcd_txn_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nranges; i++)
		etcd_range_free(&r->ranges[i]);
	free(r->ranges);
	memset(r, 0, sizeof(*r));
}

int etcdj_range(json_t *j, struct etcd_range *out)
{
	json_t *kvs, *kv;
	size_t i, n;
	int err;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return -EPROTO;
	if ((err = etcdj_header_rev(j, &out->revision)) ||
	    (err = etcdj_i64(j, "count", &out->count)) ||
	    (err = etcdj_bool(j, "more", &out->more)))
		return err;
	kvs = json_object_get(j, "kvs");
	if (!kvs || json_is_null(kvs))
		return 0;
	if (!json_is_array(kvs))
		return -EPROTO;
	n = json_array_size(kvs);
	if (!n)
		return 0;
	out->kvs = calloc(n, sizeof(*out->kvs));
	if (!out->kvs)
		return -ENOMEM;
	json_array_foreach(kvs, i, kv) {
		err = etcdj_kv(kv, &out->kvs[i]);
		if (err) {
			etcd_range_free(out);
			return err;
		}
		out->n = i + 1;
	}
	return 0;
}

/* A txn's "responses": [{"response_range":{...}}, {"response_put":{...}}, ...]:
 * the ranges kept, in order. */
static int txn_ranges(json_t *resps, struct etcd_txn_result *out)
{
	json_t *r, *rr;
	size_t i, n = 0;
	int err;

	if (!resps || json_is_null(resps))
		return 0;
	if (!json_is_array(resps))
		return -EPROTO;
	json_array_foreach(resps, i, r) {
		if (!json_is_object(r))
			return -EPROTO;
		if (json_object_get(r, "response_range"))
			n++;
	}
	if (!n)
		return 0;
	out->ranges = calloc(n, sizeof(*out->ranges));
	if (!out->ranges)
		return -ENOMEM;
	json_array_foreach(resps, i, r) {
		rr = json_object_get(r, "response_range");
		if (!rr)
			continue;
		err = etcdj_range(rr, &out->ranges[out->nranges]);
		if (err)
			return err;
		out->nranges++;
	}
	return 0;
}

int etcdj_txn(json_t *j, struct etcd_txn_result *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return -EPROTO;
	if ((err = etcdj_header_rev(j, &out->revision)) ||
	    (err = etcdj_bool(j, "succeeded", &out->succeeded)))
		return err;
	err = txn_ranges(json_object_get(j, "responses"), out);
	if (err)
		etcd_txn_free(out);
	return err;
}

int etcdj_lease_grant(json_t *j, int64_t *id, int64_t *ttl)
{
	json_t *e;
	int err;

	if (!json_is_object(j))
		return -EPROTO;
	if ((err = etcdj_i64(j, "ID", id)) || (err = etcdj_i64(j, "TTL", ttl)))
		return err;
	e = json_object_get(j, "error");
	if (e && (!json_is_string(e) || json_string_length(e)))
		return -EPROTO;
	return *id ? 0 : -EPROTO;
}

int etcdj_lease_ttl(json_t *j, int64_t *ttl)
{
	json_t *r = json_object_get(j, "result");
	int err;

	if (r)
		j = r;
	if (!json_is_object(j))
		return -EPROTO;
	err = etcdj_i64(j, "TTL", ttl);
	if (err)
		return err;
	/* etcd answers a lease it does not have with TTL -1 (timetolive) or
	 * no TTL at all (keepalive: 0). */
	return *ttl > 0 ? 0 : -ENOENT;
}

static int watch_event(json_t *e, struct etcd_event *ev)
{
	json_t *t;
	int err;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(e))
		return -EPROTO;
	t = json_object_get(e, "type");
	if (!t || json_is_null(t) || (json_is_string(t) && !strcmp(json_string_value(t), "PUT")))
		ev->type = ETCD_EV_PUT;  /* proto3 leaves out PUT, the default */
	else if (json_is_string(t) && !strcmp(json_string_value(t), "DELETE"))
		ev->type = ETCD_EV_DELETE;
	else if (json_is_integer(t) && json_integer_value(t) == 0)
		ev->type = ETCD_EV_PUT;
	else if (json_is_integer(t) && json_integer_value(t) == 1)
		ev->type = ETCD_EV_DELETE;
	else
		return -EPROTO;
	err = etcdj_kv(json_object_get(e, "kv"), &ev->kv);
	return err;
}

void etcdj_watch_msg_free(struct etcdj_watch_msg *m)
{
	size_t i;

	for (i = 0; i < m->nevents; i++)
		etcdj_kv_free(&m->events[i].kv);
	free(m->events);
	memset(m, 0, sizeof(*m));
}

static int watch_events(json_t *evs, struct etcdj_watch_msg *m)
{
	json_t *e;
	size_t i, n;
	int err;

	if (!evs || json_is_null(evs))
		return 0;
	if (!json_is_array(evs))
		return -EPROTO;
	n = json_array_size(evs);
	if (!n)
		return 0;
	m->events = calloc(n, sizeof(*m->events));
	if (!m->events)
		return -ENOMEM;
	json_array_foreach(evs, i, e) {
		err = watch_event(e, &m->events[i]);
		if (err)
			return err;
		m->nevents = i + 1;
	}
	return 0;
}

int etcdj_watch_msg(json_t *j, struct etcdj_watch_msg *m)
{
	json_t *r = json_object_get(j, "result"), *reason;
	int err;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(r))
		return -EPROTO;
	if ((err = etcdj_bool(r, "created", &m->created)) ||
	    (err = etcdj_bool(r, "canceled", &m->canceled)) ||
	    (err = etcdj_i64(r, "compact_revision", &m->compact_revision)) ||
	    (err = etcdj_header_rev(r, &m->header_rev)))
		return err;
	reason = json_object_get(r, "cancel_reason");
	m->cancel_reason = json_is_string(reason) ? json_string_value(reason) : "";
	err = watch_events(json_object_get(r, "events"), m);
	if (err)
		etcdj_watch_msg_free(m);
	return err;
}

/* --- the stream splitter ------------------------------------------------ */

void etcdj_split_init(struct etcdj_split *s)
{
	memset(s, 0, sizeof(*s));
}

void etcdj_split_free(struct etcdj_split *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int etcdj_split_feed(struct etcdj_split *s, const void *p, size_t n)
{
	size_t keep, cap;
	char *nb;

	/* Drop what was handed out: from the current object's start, or all
	 * scanned bytes between objects. */
	keep = s->in_obj ? s->start : s->scan;
	if (keep) {
		memmove(s->buf, s->buf + keep, s->len - keep);
		s->len -= keep;
		s->scan -= keep;
		s->start -= s->in_obj ? keep : s->start;
	}
	if (n > ETCDJ_STREAM_MAX || s->len + n > ETCDJ_STREAM_MAX)
		return -EMSGSIZE;
	if (s->len + n > s->cap) {
		cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->cap = cap;
	}
	if (n)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

int etcdj_split_next(struct etcdj_split *s, const char **obj, size_t *len)
{
	char ch;

	while (s->scan < s->len) {
		ch = s->buf[s->scan++];
		if (!s->in_obj) {
			if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
				continue;
			if (ch != '{')
				return -EPROTO;
			s->in_obj = 1;
			s->depth = 1;
			s->kinds = 0;
			s->start = s->scan - 1;
			continue;
		}
		if (s->in_str) {
			if (s->esc)
				s->esc = 0;
			else if (ch == '\\')
				s->esc = 1;
			else if (ch == '"')
				s->in_str = 0;
			continue;
		}
		if (ch == '"') {
			s->in_str = 1;
		} else if (ch == '{' || ch == '[') {
			if (s->depth == ETCDJ_DEPTH_MAX)
				return -EPROTO;
			/* Bit d: the opener at depth d is '['. */
			if (ch == '[')
				s->kinds |= 1ull << s->depth;
			else
				s->kinds &= ~(1ull << s->depth);
			s->depth++;
		} else if (ch == '}' || ch == ']') {
			if (!(s->kinds >> (s->depth - 1) & 1) != (ch == '}'))
				return -EPROTO;  /* "{]" or "[}" */
			if (--s->depth == 0) {
				s->in_obj = 0;
				*obj = s->buf + s->start;
				*len = s->scan - s->start;
				return 1;
			}
		}
	}
	return 0;
}
