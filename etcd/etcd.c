/*
 * etcd.c - etcd's v3 API as JSON over HTTP/1.1 (etcd.h): the client, its
 * transport and the request builders (client.h). One libcurl easy handle
 * per client, kept between requests (its connection to the member that
 * answered last stays open); answers decoded by json.c. The requests are
 * in kv.c (keys, txns, leases) and watch.c.
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

#include "etcd/client.h"
#include "etcd/json.h"
#include "util/mono.h"

/* --- set-up ----------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void etcdc_set_err(struct etcd_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Append to a string buffer, cut at its size. */
void etcdc_appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

const char *etcdc_errno_name(int err)
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

/* Whether any byte of the request left: curl tells its debug callback
 * (CURLINFO_HEADER_OUT) as it writes the headers. Counted across the
 * whole transfer: curl sends a request again by itself when a reused
 * connection dies before any answer, and a retry then refused must not
 * pass for "never sent" (the first copy may have been applied). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct etcd_client *c = arg;

	(void)h;
	(void)data;
	(void)size;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT)
		c->sent = 1;
	return 0;
}

/* The options every request sets, on the handle reused from the last
 * one (curl_easy_reset keeps its connections). */
void etcdc_base_opts(struct etcd_client *c, const char *url, unsigned int left_ms)
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
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  /* for on_debug; it prints nothing */
	c->curl_err[0] = 0;
	c->sent = 0;
}

enum etcdc_attempt etcdc_classify(struct etcd_client *c, CURLcode rc)
{
	if (rc == CURLE_OK)
		return ETCDC_SENT_ANSWERED;
	return c->sent ? ETCDC_SENT_NO_ANSWER : ETCDC_NOT_SENT;
}
/* "10.1.0.2:2379: Connection refused" into buf. */
void etcdc_transport_err(struct etcd_client *c, const char *ep, CURLcode rc, char *buf, size_t len)
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
static enum etcdc_attempt post_once(struct etcd_client *c, const char *ep, const char *path,
			      const char *body, size_t blen, unsigned int left_ms, long *status,
			      CURLcode *rcp)
{
	char url[ETCD_EP_MAX + 64];
	CURLcode rc;

	snprintf(url, sizeof(url), "http://%s%s", ep, path);
	etcdc_base_opts(c, url, left_ms);
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
	return etcdc_classify(c, rc);
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
		etcdc_set_err(c, "etcd %s: HTTP %ld, answer is not JSON: %s (EPROTO)", ep, status,
			jerr.text);
		json_decref(j);
		return -EPROTO;
	}
	if (etcdj_error(j, &msg, &code)) {
		err = etcdj_errno(msg, write);
		etcdc_set_err(c, "etcd %s: %s (%s)", ep, msg, etcdc_errno_name(err));
		json_decref(j);
		return err;
	}
	if (status != 200) {
		etcdc_set_err(c, "etcd %s: HTTP %ld without an error (EPROTO)", ep, status);
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
int etcdc_call(struct etcd_client *c, const char *path, json_t *req, int write, json_t **out)
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
		etcdc_set_err(c, "etcd: out of memory");
		return -ENOMEM;
	}
	blen = strlen(body);
	if (blen > ETCD_REQUEST_MAX) {
		etcdc_set_err(c, "etcd: request of %zu bytes over %u (EMSGSIZE)", blen,
			ETCD_REQUEST_MAX);
		free(body);
		return -EMSGSIZE;
	}
	deadline = mono_ns() + (uint64_t)c->timeout_ms * 1000000u;
	for (k = 0; k < c->neps; k++) {
		unsigned int left = ms_left(deadline);
		enum etcdc_attempt a;
		long status;
		CURLcode rc;

		m = (c->cur + k) % c->neps;
		if (!left) {
			etcdc_appendf(unreached, sizeof(unreached), "%sno time left for %s",
				unreached[0] ? ", " : "", c->eps[m]);
			break;
		}
		a = post_once(c, c->eps[m], path, body, blen, left, &status, &rc);
		if (a == ETCDC_SENT_ANSWERED) {
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
		etcdc_transport_err(c, c->eps[m], rc, one, sizeof(one));
		if (a == ETCDC_SENT_NO_ANSWER) {
			/* In doubt: a write is not sent again elsewhere. */
			etcdc_set_err(c, "etcd %s: request sent, no answer (ETIMEDOUT)", one);
			if (write) {
				free(body);
				return -ETIMEDOUT;
			}
			memcpy(doubt, c->err, sizeof(doubt));
			continue;
		}
		etcdc_appendf(unreached, sizeof(unreached), "%s%s", unreached[0] ? ", " : "", one);
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
	etcdc_set_err(c, "etcd: no member reachable (%s) (EAGAIN)", unreached);
	return -EAGAIN;
}

/* --- request builders ------------------------------------------------------ */

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
int etcdc_put_new(json_t *obj, const char *name, json_t *value)
{
	if (!value)
		return -ENOMEM;
	return json_object_set_new(obj, name, value) ? -ENOMEM : 0;
}

int etcdc_put_i64(json_t *obj, const char *name, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return etcdc_put_new(obj, name, json_string(s));
}

int etcdc_put_b64(json_t *obj, const char *name, const void *p, size_t n)
{
	return etcdc_put_new(obj, name, b64(p, n));
}

/* key, range_end, limit, revision, flags of a RangeRequest into obj. */
int etcdc_range_req(json_t *o, const void *key, size_t klen, const void *range_end, size_t relen,
		     int64_t limit, int64_t rev, unsigned int flags)
{
	int err = etcdc_put_b64(o, "key", key, klen);

	if (!err && range_end)
		err = etcdc_put_b64(o, "range_end", range_end, relen);
	if (!err && limit)
		err = etcdc_put_i64(o, "limit", limit);
	if (!err && rev)
		err = etcdc_put_i64(o, "revision", rev);
	if (!err && (flags & ETCD_KEYS_ONLY))
		err = etcdc_put_new(o, "keys_only", json_true());
	if (!err && (flags & ETCD_SERIALIZABLE))
		err = etcdc_put_new(o, "serializable", json_true());
	return err;
}
