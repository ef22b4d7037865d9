/*
 * client.h - what etcd.c, kv.c and watch.c share (internal to etcd/):
 * the client, its transport (one libcurl easy handle, the members, the
 * last error) and the JSON request builders.
 */
#ifndef ETCD_CLIENT_H
#define ETCD_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcd.h"

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
	int sent;                   /* a byte of this request went out */
	/* The answer being received (unary requests). */
	char *resp;
	size_t resp_len, resp_cap;
};


/* How far a request got: answered; never left us (connect refused or
 * timed out, no byte sent: certainly not applied); sent, no answer. */
enum etcdc_attempt { ETCDC_SENT_ANSWERED, ETCDC_NOT_SENT, ETCDC_SENT_NO_ANSWER };

/* c->err, printf-style. */
void etcdc_set_err(struct etcd_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append to a string buffer, cut at its size. */
void etcdc_appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "EAGAIN" for -EAGAIN, and the others etcd.h lists. */
const char *etcdc_errno_name(int err);

/* The options every transfer sets on c->curl (reset first; its
 * connections are kept): url, headers, no signals, no proxy, HTTP/1.1,
 * connect timeout min(left_ms, the client's). */
void etcdc_base_opts(struct etcd_client *c, const char *url, unsigned int left_ms);
/* What a finished transfer's result says about the request: a failed
 * one that sent no byte of it did not reach etcd (connect refused or
 * timed out, no route). */
enum etcdc_attempt etcdc_classify(struct etcd_client *c, CURLcode rc);
/* "host:port: Connection refused" (or curl's words) into buf. */
void etcdc_transport_err(struct etcd_client *c, const char *ep, CURLcode rc, char *buf,
			 size_t len);

/* POST req to path on the members (etcd.c says in which order and when
 * the next one is tried); write: the request changes the store. 0 and
 * *out (json_decref it), or -errno with c->err set. */
int etcdc_call(struct etcd_client *c, const char *path, json_t *req, int write, json_t **out);

/* obj[name] = value (stolen; NULL is -ENOMEM), an int64 as etcd's
 * gateway takes it (a decimal string), bytes as base64. 0 or -ENOMEM. */
int etcdc_put_new(json_t *obj, const char *name, json_t *value);
int etcdc_put_i64(json_t *obj, const char *name, int64_t v);
int etcdc_put_b64(json_t *obj, const char *name, const void *p, size_t n);
/* A RangeRequest's fields into o. 0 or -ENOMEM. */
int etcdc_range_req(json_t *o, const void *key, size_t klen, const void *range_end, size_t relen,
		    int64_t limit, int64_t rev, unsigned int flags);

#endif /* ETCD_CLIENT_H */
