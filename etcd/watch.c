/*
 * watch.c - etcd_watch (etcd.h): POST /v3/watch, whose answer is a stream
 * of JSON messages, cut by json.c's splitter and handed out event by
 * event; the transfer driven by a multi handle polled every 100 ms.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/client.h"
#include "etcd/etcd.h"
#include "etcd/json.h"
#include "util/mono.h"

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
	etcdc_set_err(w->c, fmt, w->c->member, what, etcdc_errno_name(err));
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
		err = etcdc_put_b64(cr, "key", key, klen);
	if (!err && range_end)
		err = etcdc_put_b64(cr, "range_end", range_end, relen);
	if (!err && start_rev)
		err = etcdc_put_i64(cr, "start_revision", start_rev);
	if (!err)
		err = etcdc_put_new(cr, "progress_notify", json_true());
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
	etcdc_base_opts(c, url, c->connect_timeout_ms);
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
	if (!status && etcdc_classify(c, rc) == ETCDC_NOT_SENT) {
		etcdc_transport_err(c, ep, rc, one, sizeof(one));
		etcdc_set_err(c, "%s", one);
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
		etcdc_set_err(c, "etcd: bad watch arguments (EINVAL)");
		return -EINVAL;
	}
	req = watch_req(key, klen, range_end, relen, start_rev);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		etcdc_set_err(c, "etcd: out of memory");
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
		etcdc_appendf(unreached, sizeof(unreached), "%s%s", unreached[0] ? ", " : "", c->err);
	}
	free(body);
	etcdj_split_free(&w.split);
	if (next_rev)
		*next_rev = w.next_rev;
	if (k == c->neps) {
		etcdc_set_err(c, "etcd: no member reachable (%s) (EAGAIN)", unreached);
		return -EAGAIN;
	}
	if (!w.stopping)
		c->err[0] = 0;  /* *stop */
	return w.stopping ? w.result : 0;
}
