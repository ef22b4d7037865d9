/*
 * etcd.c - etcd's v3 API as JSON over HTTP/1.1 (etcd.h). One libcurl easy
 * handle per client, kept between requests (its connection to the member
 * that answered last stays open); answers decoded by json.c.
 */
#include "etcd/etcd.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/json.h"
#include "util/mono.h"

#define ETCD_MEMBERS_MAX 16
#define ETCD_EP_MAX 128

struct etcd_client {
	CURL *curl;
	struct curl_slist *hdrs;
	char eps[ETCD_MEMBERS_MAX][ETCD_EP_MAX];
	size_t neps;
	size_t cur;                 /* the member that answered last */
	unsigned int timeout_ms, connect_timeout_ms;
	char err[512];
	char member[ETCD_EP_MAX];
	char curl_err[CURL_ERROR_SIZE];
	/* The answer being received (unary requests). */
	char *resp;
	size_t resp_len, resp_cap;
};

/* --- set-up ----------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void set_err(struct etcd_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Append to a string buffer, cut at its size. */
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static const char *errno_name(int err)
{
	switch (err) {
	case -EAGAIN: return "EAGAIN";
	case -ETIMEDOUT: return "ETIMEDOUT";
	case -EPROTO: return "EPROTO";
	case -EMSGSIZE: return "EMSGSIZE";
	case -ECANCELED: return "ECANCELED";
	case -ENOENT: return "ENOENT";
	case -EINVAL: return "EINVAL";
	case -ENOMEM: return "ENOMEM";
	default: return "error";
	}
}

/* One "host:port" or "[v6]:port": host nonempty, port 1..65535. */
static int valid_ep(const char *s, size_t n)
{
	const char *colon;
	size_t i, plen;
	long port = 0;

	if (!n || n >= ETCD_EP_MAX)
		return 0;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb || rb == s + 1 || rb + 1 >= s + n || rb[1] != ':')
			return 0;
		colon = rb + 1;
	} else {
		colon = memchr(s, ':', n);
		if (!colon || colon == s || memchr(colon + 1, ':', (size_t)(s + n - colon - 1)))
			return 0;
	}
	plen = (size_t)(s + n - colon - 1);
	if (!plen || plen > 5)
		return 0;
	for (i = 0; i < plen; i++) {
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return 0;
		port = port * 10 + (colon[1 + i] - '0');
	}
	for (i = 0; i < (size_t)(colon - s); i++)
		if (s[i] == '/' || s[i] == ' ' || s[i] == '@')
			return 0;
	return port >= 1 && port <= 65535;
}

static int split_eps(struct etcd_client *c, const char *eps)
{
	const char *p = eps, *comma;
	size_t n;

	c->neps = 0;
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!valid_ep(p, n) || c->neps == ETCD_MEMBERS_MAX)
			return -EINVAL;
		memcpy(c->eps[c->neps], p, n);
		c->eps[c->neps][n] = 0;
		c->neps++;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

int etcd_parse_url(const char *url, char *endpoints, size_t len)
{
	static const char scheme[] = "etcd://";
	struct etcd_client probe;
	size_t n;

	if (!url || strncmp(url, scheme, sizeof(scheme) - 1))
		return -EINVAL;
	url += sizeof(scheme) - 1;
	n = strlen(url);
	if (n && url[n - 1] == '/')
		n--;
	if (!n || n >= len)
		return -EINVAL;
	memcpy(endpoints, url, n);
	endpoints[n] = 0;
	if (split_eps(&probe, endpoints)) {
		endpoints[0] = 0;
		return -EINVAL;
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct etcd_client *c = arg;
	size_t n = size * nmemb, cap;
	char *nb;

	if (c->resp_len + n + 1 > c->resp_cap) {
		if (c->resp_len + n + 1 > ETCDJ_STREAM_MAX)
			return 0;  /* aborts: CURLE_WRITE_ERROR */
		cap = c->resp_cap ? c->resp_cap : 4096;
		while (cap < c->resp_len + n + 1)
			cap *= 2;
		nb = realloc(c->resp, cap);
		if (!nb)
			return 0;
		c->resp = nb;
		c->resp_cap = cap;
	}
	memcpy(c->resp + c->resp_len, p, n);
	c->resp_len += n;
	c->resp[c->resp_len] = 0;
	return n;
}

int etcd_open(struct etcd_client **out, const struct etcd_config *cfg, char *err, size_t errlen)
{
	struct etcd_client *c;

	*out = NULL;
	if (!cfg || !cfg->endpoints) {
		snprintf(err, errlen, "etcd: no endpoints");
		return -EINVAL;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "etcd: curl_global_init: %s", curl_easy_strerror(curl_init_rc));
		return -ENOMEM;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "etcd: out of memory");
		return -ENOMEM;
	}
	if (split_eps(c, cfg->endpoints)) {
		snprintf(err, errlen, "etcd: bad endpoint list \"%s\" (want host:port[,host:port...])",
			 cfg->endpoints);
		free(c);
		return -EINVAL;
	}
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 2000;
	c->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 500;
	c->curl = curl_easy_init();
	c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
	if (c->hdrs)
		c->hdrs = curl_slist_append(c->hdrs, "Expect:");
	if (!c->curl || !c->hdrs) {
		snprintf(err, errlen, "etcd: out of memory");
		etcd_close(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void etcd_close(struct etcd_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->hdrs);
	free(c->resp);
	free(c);
}

const char *etcd_error(const struct etcd_client *c)
{
	return c->err;
}

const char *etcd_member(const struct etcd_client *c)
{
	return c->member;
}

/* --- one request ------------------------------------------------------------ */

enum attempt { SENT_ANSWERED, NOT_SENT, SENT_NO_ANSWER };

/* The options every request sets, on the handle reused from the last
 * one (curl_easy_reset keeps its connections). */
static void base_opts(struct etcd_client *c, const char *url, unsigned int left_ms)
{
	CURL *h = c->curl;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);       /* threads: no SIGALRM */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");        /* never http_proxy */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(left_ms < c->connect_timeout_ms ? left_ms : c->connect_timeout_ms));
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	c->curl_err[0] = 0;
}

/* Whether the request left us: a failed transfer that sent no byte of it
 * did not reach etcd (connect refused or timed out, no route). */
static enum attempt classify(struct etcd_client *c, CURLcode rc)
{
	long sent = 0;

	if (rc == CURLE_OK)
		return SENT_ANSWERED;
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		return NOT_SENT;
	curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &sent);
	return sent > 0 ? SENT_NO_ANSWER : NOT_SENT;
}

/* "10.1.0.2:2379: Connection refused" into buf. */
static void transport_err(struct etcd_client *c, const char *ep, CURLcode rc, char *buf, size_t len)
{
	long oserr = 0;

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
	if (oserr && rc != CURLE_OPERATION_TIMEDOUT)
		snprintf(buf, len, "%.64s: %.80s", ep, strerror((int)oserr));
	else
		snprintf(buf, len, "%.64s: %.80s", ep,
			 c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc));
}

static unsigned int ms_left(uint64_t deadline)
{
	uint64_t now = mono_ns();

	return now >= deadline ? 0 : (unsigned int)((deadline - now) / 1000000u);
}

/* One POST to member ep; the answer decoded into *ans (or NULL). */
static enum attempt post_once(struct etcd_client *c, const char *ep, const char *path,
			      const char *body, size_t blen, unsigned int left_ms, long *status,
			      CURLcode *rcp)
{
	char url[ETCD_EP_MAX + 64];
	CURLcode rc;

	snprintf(url, sizeof(url), "http://%s%s", ep, path);
	base_opts(c, url, left_ms);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)left_ms);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)blen);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	c->resp_len = 0;
	if (c->resp)
		c->resp[0] = 0;
	rc = curl_easy_perform(c->curl);
	*rcp = rc;
	*status = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return classify(c, rc);
}

/* An answer: 0 and *out, or the errno of etcd's error (c->err set). */
static int decode_answer(struct etcd_client *c, const char *ep, long status, int write,
			 json_t **out)
{
	json_error_t jerr;
	const char *msg;
	json_t *j;
	int code, err;

	j = json_loadb(c->resp ? c->resp : "", c->resp_len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		set_err(c, "etcd %s: HTTP %ld, answer is not JSON: %s (EPROTO)", ep, status,
			jerr.text);
		json_decref(j);
		return -EPROTO;
	}
	if (etcdj_error(j, &msg, &code)) {
		err = etcdj_errno(msg, write);
		set_err(c, "etcd %s: %s (%s)", ep, msg, errno_name(err));
		json_decref(j);
		return err;
	}
	if (status != 200) {
		set_err(c, "etcd %s: HTTP %ld without an error (EPROTO)", ep, status);
		json_decref(j);
		return -EPROTO;
	}
	*out = j;
	return 0;
}

/*
 * POST req (JSON) to path: first to the member that answered last, then
 * to the others, each once, within one deadline (timeout_ms). A member
 * is left for the next when the request did not reach it, when it
 * answered that it did not apply it (-EAGAIN), or, for a read, when it
 * did not answer. 0 and *out (json_decref it), or -errno with c->err.
 */
static int call(struct etcd_client *c, const char *path, json_t *req, int write, json_t **out)
{
	char unreached[384] = "", doubt[sizeof(c->err)] = "", refused[sizeof(c->err)] = "";
	char one[160];
	uint64_t deadline;
	size_t k, blen, m;
	char *body;
	int err;

	*out = NULL;
	body = json_dumps(req, JSON_COMPACT);
	if (!body) {
		set_err(c, "etcd: out of memory");
		return -ENOMEM;
	}
	blen = strlen(body);
	if (blen > ETCD_REQUEST_MAX) {
		set_err(c, "etcd: request of %zu bytes over %u (EMSGSIZE)", blen,
			ETCD_REQUEST_MAX);
		free(body);
		return -EMSGSIZE;
	}
	deadline = mono_ns() + (uint64_t)c->timeout_ms * 1000000u;
	for (k = 0; k < c->neps; k++) {
		unsigned int left = ms_left(deadline);
		enum attempt a;
		long status;
		CURLcode rc;

		m = (c->cur + k) % c->neps;
		if (!left) {
			appendf(unreached, sizeof(unreached), "%sno time left for %s",
				unreached[0] ? ", " : "", c->eps[m]);
			break;
		}
		a = post_once(c, c->eps[m], path, body, blen, left, &status, &rc);
		if (a == SENT_ANSWERED) {
			snprintf(c->member, sizeof(c->member), "%s", c->eps[m]);
			err = decode_answer(c, c->eps[m], status, write, out);
			if (err == 0) {
				c->cur = m;
				c->err[0] = 0;
				free(body);
				return 0;
			}
			if (err == -EAGAIN) {
				memcpy(refused, c->err, sizeof(refused));
				continue;
			}
			if (err == -ETIMEDOUT && !write) {
				memcpy(doubt, c->err, sizeof(doubt));
				continue;
			}
			free(body);
			return err;
		}
		transport_err(c, c->eps[m], rc, one, sizeof(one));
		if (a == SENT_NO_ANSWER) {
			/* In doubt: a write is not sent again elsewhere. */
			set_err(c, "etcd %s: request sent, no answer (ETIMEDOUT)", one);
			if (write) {
				free(body);
				return -ETIMEDOUT;
			}
			memcpy(doubt, c->err, sizeof(doubt));
			continue;
		}
		appendf(unreached, sizeof(unreached), "%s%s", unreached[0] ? ", " : "", one);
	}
	free(body);
	if (doubt[0]) {
		memcpy(c->err, doubt, sizeof(doubt));
		return -ETIMEDOUT;
	}
	if (refused[0]) {
		memcpy(c->err, refused, sizeof(refused));
		return -EAGAIN;
	}
	set_err(c, "etcd: no member reachable (%s) (EAGAIN)", unreached);
	return -EAGAIN;
}

/* --- requests ------------------------------------------------------------- */

static json_t *b64(const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(cap);
	json_t *j;

	if (!s)
		return NULL;
	sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(s);
	free(s);
	return j;
}

/* obj[name] = value (stolen); 0 or -ENOMEM (value NULL or set failed). */
static int put_new(json_t *obj, const char *name, json_t *value)
{
	if (!value)
		return -ENOMEM;
	return json_object_set_new(obj, name, value) ? -ENOMEM : 0;
}

static int put_i64(json_t *obj, const char *name, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return put_new(obj, name, json_string(s));
}

static int put_b64(json_t *obj, const char *name, const void *p, size_t n)
{
	return put_new(obj, name, b64(p, n));
}

/* key, range_end, limit, revision, flags of a RangeRequest into obj. */
static int range_req(json_t *o, const void *key, size_t klen, const void *range_end, size_t relen,
		     int64_t limit, int64_t rev, unsigned int flags)
{
	int err = put_b64(o, "key", key, klen);

	if (!err && range_end)
		err = put_b64(o, "range_end", range_end, relen);
	if (!err && limit)
		err = put_i64(o, "limit", limit);
	if (!err && rev)
		err = put_i64(o, "revision", rev);
	if (!err && (flags & ETCD_KEYS_ONLY))
		err = put_new(o, "keys_only", json_true());
	if (!err && (flags & ETCD_SERIALIZABLE))
		err = put_new(o, "serializable", json_true());
	return err;
}

/* Build with fill(req) then call; the common shape of every request. */
static int request(struct etcd_client *c, const char *path, json_t *req, int write, json_t **ans)
{
	int err;

	if (!req) {
		set_err(c, "etcd: out of memory");
		return -ENOMEM;
	}
	err = call(c, path, req, write, ans);
	json_decref(req);
	return err;
}

static int built(struct etcd_client *c, json_t *req, int err)
{
	if (err) {
		json_decref(req);
		set_err(c, "etcd: out of memory");
	}
	return err;
}

static int decoded(struct etcd_client *c, json_t *ans, int err)
{
	if (err)
		set_err(c, "etcd %s: answer does not decode (EPROTO)", c->member);
	json_decref(ans);
	return err;
}

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
		set_err(c, "etcd: bad range arguments (EINVAL)");
		return -EINVAL;
	}
	if (req && (err = built(c, req, range_req(req, key, klen, range_end, relen, limit, rev,
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
		set_err(c, "etcd: bad put arguments (EINVAL)");
		return -EINVAL;
	}
	if (req) {
		err = put_b64(req, "key", key, klen);
		if (!err)
			err = put_b64(req, "value", val, vlen);
		if (!err && lease)
			err = put_i64(req, "lease", lease);
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
		set_err(c, "etcd: bad delete arguments (EINVAL)");
		return -EINVAL;
	}
	if (req) {
		err = put_b64(req, "key", key, klen);
		if (!err && range_end)
			err = put_b64(req, "range_end", range_end, relen);
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
	err = put_new(o, "target", json_string(cmp_targets[cmp->target]));
	if (!err)
		err = put_new(o, "result", json_string(cmp_ops[cmp->op]));
	if (!err)
		err = put_b64(o, "key", cmp->key, cmp->klen);
	if (!err && cmp->target == ETCD_CMP_VALUE)
		err = put_b64(o, "value", cmp->value, cmp->vlen);
	else if (!err)
		err = put_i64(o, cmp_fields[cmp->target], cmp->num);
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
		err = put_b64(inner, "key", op->key, op->klen);
		if (!err)
			err = put_b64(inner, "value", op->value, op->vlen);
		if (!err && op->lease)
			err = put_i64(inner, "lease", op->lease);
	} else if (!err && op->type == ETCD_OP_DELETE) {
		name = "request_delete_range";
		err = put_b64(inner, "key", op->key, op->klen);
		if (!err && op->range_end)
			err = put_b64(inner, "range_end", op->range_end, op->relen);
	} else if (!err) {
		name = "request_range";
		err = range_req(inner, op->key, op->klen, op->range_end, op->relen, op->limit, 0, 0);
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
	return put_new(req, name, a);
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
	set_err(c, "etcd: bad txn arguments (EINVAL)");
	return -EINVAL;
}

/* --- leases ------------------------------------------------------------------ */

static int lease_call(struct etcd_client *c, const char *path, const char *idname, int64_t id,
		      const char *ttlname, int64_t ttl, int write, json_t **ans)
{
	json_t *req = json_object();
	int err = 0;

	if (req) {
		err = put_i64(req, idname, id);
		if (!err && ttlname)
			err = put_i64(req, ttlname, ttl);
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
		set_err(c, "etcd: lease TTL %lld (EINVAL)", (long long)ttl_s);
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
		set_err(c, "etcd %s: lease %llx is gone (ENOENT)", c->member, (unsigned long long)id);
		return err;
	}
	if (err) {
		set_err(c, "etcd %s: answer does not decode (EPROTO)", c->member);
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

/* --- watches ---------------------------------------------------------------- */

/* A watch in progress: the stream cut into messages, the caller's
 * callback, where a new watch would start. */
struct watch {
	struct etcd_client *c;
	struct etcdj_split split;
	etcd_watch_fn fn;
	void *arg;
	int64_t start_rev, next_rev;
	int created;
	int result;         /* why it stops: fn's nonzero, or -errno */
	int stopping;
	uint64_t last_rx;   /* when bytes last came (mono ns) */
	uint64_t last_progress, progress_gap;
};

static void watch_fail(struct watch *w, int err, const char *fmt, const char *what)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	w->result = err;
	set_err(w->c, fmt, w->c->member, what, errno_name(err));
}

/* The events of one message, in order; next_rev after each revision
 * (all events of one revision come in one message). */
static void watch_events(struct watch *w, const struct etcdj_watch_msg *m)
{
	size_t i;
	int rc;

	for (i = 0; i < m->nevents && !w->stopping; i++) {
		const struct etcd_event *ev = &m->events[i];

		rc = w->fn(w->arg, ev);
		if (i + 1 == m->nevents || m->events[i + 1].kv.mod_rev != ev->kv.mod_rev)
			w->next_rev = ev->kv.mod_rev + 1;
		if (rc) {
			w->stopping = 1;
			w->result = rc;
		}
	}
}

/* One message of the stream. */
static void watch_msg(struct watch *w, const char *p, size_t n)
{
	struct etcdj_watch_msg m;
	json_error_t jerr;
	const char *msg;
	json_t *j = json_loadb(p, n, 0, &jerr);
	int code;

	if (!j) {
		watch_fail(w, -EPROTO, "etcd %s: watch message is not JSON: %s (%s)", jerr.text);
		return;
	}
	if (etcdj_error(j, &msg, &code)) {
		watch_fail(w, etcdj_errno(msg, 0), "etcd %s: watch: %s (%s)", msg);
	} else if (etcdj_watch_msg(j, &m)) {
		watch_fail(w, -EPROTO, "etcd %s: watch message does not decode%s (%s)", "");
	} else {
		if (m.canceled && m.compact_revision)
			watch_fail(w, -ECANCELED, "etcd %s: watch: revision compacted%s (%s)", "");
		else if (m.canceled)
			watch_fail(w, -EAGAIN, "etcd %s: watch canceled: %s (%s)", m.cancel_reason);
		else if (m.created) {
			w->created = 1;
			if (!w->start_rev)
				w->next_rev = m.header_rev + 1;
		} else if (m.nevents) {
			watch_events(w, &m);
		} else if (w->created) {
			/* A progress notification: etcd sends them only to a
			 * watcher that has every event up to header.revision. */
			uint64_t now = mono_ns();

			if (m.header_rev + 1 > w->next_rev)
				w->next_rev = m.header_rev + 1;
			if (w->last_progress)
				w->progress_gap = now - w->last_progress;
			w->last_progress = now;
		}
		etcdj_watch_msg_free(&m);
	}
	json_decref(j);
}

static size_t on_watch_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;
	size_t n = size * nmemb, len;
	const char *obj;
	int rc;

	w->last_rx = mono_ns();
	if (w->stopping)
		return 0;
	rc = etcdj_split_feed(&w->split, p, n);
	if (rc) {
		watch_fail(w, rc == -EMSGSIZE ? -EPROTO : rc, "etcd %s: watch stream: %s (%s)",
			   rc == -ENOMEM ? "out of memory" : "message too large");
		return 0;
	}
	while (!w->stopping && (rc = etcdj_split_next(&w->split, &obj, &len)) == 1)
		watch_msg(w, obj, len);
	if (rc < 0)
		watch_fail(w, -EPROTO, "etcd %s: watch stream: %s (%s)", "bytes between messages");
	return w->stopping ? 0 : n;
}

static json_t *watch_req(const void *key, size_t klen, const void *range_end, size_t relen,
			 int64_t start_rev)
{
	json_t *req = json_object(), *cr = json_object();
	int err = (req && cr) ? 0 : -ENOMEM;

	if (!err)
		err = put_b64(cr, "key", key, klen);
	if (!err && range_end)
		err = put_b64(cr, "range_end", range_end, relen);
	if (!err && start_rev)
		err = put_i64(cr, "start_revision", start_rev);
	if (!err)
		err = put_new(cr, "progress_notify", json_true());
	if (!err) {
		err = json_object_set_new(req, "create_request", cr) ? -ENOMEM : 0;
		cr = NULL;
	}
	json_decref(cr);
	if (err) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/* The watch's transfer on member ep, driven by a multi handle polled
 * every 100 ms so that *stop is seen in time whatever curl's own timers
 * do. 1 when the member was not reached (try the next), else 0 with
 * w->result set. */
static int watch_run(struct watch *w, const char *ep, const char *body, const volatile int *stop)
{
	struct etcd_client *c = w->c;
	char url[ETCD_EP_MAX + 16], one[160];
	CURLM *multi = curl_multi_init();
	CURLcode rc = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left;
	long status = 0;

	if (!multi) {
		watch_fail(w, -ENOMEM, "etcd %s: watch: %s (%s)", "out of memory");
		return 0;
	}
	snprintf(url, sizeof(url), "http://%s/v3/watch", ep);
	base_opts(c, url, c->connect_timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_watch_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, w);
	/* A member that vanishes (no FIN, no RST) is found by TCP keepalive. */
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPIDLE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_multi_add_handle(multi, c->curl);
	snprintf(c->member, sizeof(c->member), "%s", ep);
	w->last_rx = mono_ns();
	while (running && !w->stopping) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		if (!running || w->stopping)
			break;
		if (stop && *stop)
			break;
		/* Silent for longer than a progress gap and the timeout. */
		if (w->progress_gap &&
		    mono_ns() - w->last_rx > w->progress_gap + (uint64_t)c->timeout_ms * 1000000u) {
			watch_fail(w, -ETIMEDOUT, "etcd %s: watch: %s (%s)",
				   "no progress notification in time");
			break;
		}
		curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	while ((msg = curl_multi_info_read(multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(multi, c->curl);
	curl_multi_cleanup(multi);
	if (w->stopping || (stop && *stop))
		return 0;
	if (running) {
		watch_fail(w, -EPROTO, "etcd %s: watch: %s (%s)", "curl_multi_perform failed");
		return 0;
	}
	if (!status && classify(c, rc) == NOT_SENT) {
		transport_err(c, ep, rc, one, sizeof(one));
		set_err(c, "%s", one);
		return 1;
	}
	if (rc == CURLE_OK && status != 200)
		watch_fail(w, -EPROTO, "etcd %s: watch: %s (%s)", "HTTP error without a message");
	else
		watch_fail(w, w->created ? -EAGAIN : -ETIMEDOUT, "etcd %s: watch stream ended: %s (%s)",
			   rc == CURLE_OK ? "closed by the member" : curl_easy_strerror(rc));
	return 0;
}

int etcd_watch(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
	       size_t relen, int64_t start_rev, etcd_watch_fn fn, void *arg,
	       const volatile int *stop, int64_t *next_rev)
{
	char unreached[384] = "";
	struct watch w;
	json_t *req;
	char *body;
	size_t k;

	if ((!key && klen) || (!range_end && relen) || start_rev < 0 || !fn) {
		set_err(c, "etcd: bad watch arguments (EINVAL)");
		return -EINVAL;
	}
	req = watch_req(key, klen, range_end, relen, start_rev);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		set_err(c, "etcd: out of memory");
		return -ENOMEM;
	}
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.fn = fn;
	w.arg = arg;
	w.start_rev = w.next_rev = start_rev;
	etcdj_split_init(&w.split);
	for (k = 0; k < c->neps; k++) {
		size_t m = (c->cur + k) % c->neps;

		if (!watch_run(&w, c->eps[m], body, stop)) {
			if (w.created)
				c->cur = m;
			break;
		}
		appendf(unreached, sizeof(unreached), "%s%s", unreached[0] ? ", " : "", c->err);
	}
	free(body);
	etcdj_split_free(&w.split);
	if (next_rev)
		*next_rev = w.next_rev;
	if (k == c->neps) {
		set_err(c, "etcd: no member reachable (%s) (EAGAIN)", unreached);
		return -EAGAIN;
	}
	if (!w.stopping)
		c->err[0] = 0;  /* *stop */
	return w.stopping ? w.result : 0;
}
