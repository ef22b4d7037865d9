/*
 * json.h - etcd's v3 gateway answers decoded (internal to etcd/; the
 * fuzz target tests/fuzz/fuzz_etcd.c drives it with arbitrary bytes).
 *
 * The gateway prints proto3 messages as JSON: int64 fields as strings
 * ("revision":"12"), bytes as base64, and leaves out every field that has
 * its default (0, false, "", []). Each decoder accepts an int64 as a
 * string or a number, takes a missing field as its default, and returns
 * -EPROTO for anything else (wrong type, bad base64, a number out of
 * range). Decoders fill their output completely or free what they made
 * and leave it empty: the caller frees only after 0.
 */
#ifndef ETCD_JSON_H
#define ETCD_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcd.h"

/* An error answer: {"error":"etcdserver: ...","message":...,"code":N}
 * (unary), or {"error":{"grpc_code":N,"message":...}} (in a stream).
 * 1 with *msg (borrowed from j) and *code when j is one, else 0. */
int etcdj_error(json_t *j, const char **msg, int *code);

/* The errno an etcd error message stands for (etcd.h's list), for a
 * request that changes the store (write nonzero) or only reads. The
 * table and the evidence for each line are in json.c. */
int etcdj_errno(const char *msg, int write);

/* obj[name] as int64 (string or number; missing: 0). 0 or -EPROTO. */
int etcdj_i64(json_t *obj, const char *name, int64_t *out);
/* obj[name] as a bool (missing: 0). 0 or -EPROTO. */
int etcdj_bool(json_t *obj, const char *name, int *out);

/* obj[name], base64, decoded into a malloc'd buffer with a NUL after its
 * bytes (missing: an empty one). 0, -EPROTO or -ENOMEM. */
int etcdj_bytes(json_t *obj, const char *name, uint8_t **out, size_t *len);

/* A mvccpb.KeyValue. */
int etcdj_kv(json_t *j, struct etcd_kv *kv);
void etcdj_kv_free(struct etcd_kv *kv);

/* A RangeResponse (the answer to /v3/kv/range, or a txn's response_range). */
int etcdj_range(json_t *j, struct etcd_range *out);
/* A TxnResponse. */
int etcdj_txn(json_t *j, struct etcd_txn_result *out);
/* header.revision of any answer. */
int etcdj_header_rev(json_t *j, int64_t *rev);

/* LeaseGrantResponse: ID, TTL. A nonempty "error" field is -EPROTO. */
int etcdj_lease_grant(json_t *j, int64_t *id, int64_t *ttl);
/* LeaseKeepAliveResponse ({"result":{...}} or bare) and
 * LeaseTimeToLiveResponse: TTL; -ENOENT when TTL <= 0 (etcd's "gone"). */
int etcdj_lease_ttl(json_t *j, int64_t *ttl);

/* One message of a watch stream, decoded. */
struct etcdj_watch_msg {
	int created, canceled;
	int64_t compact_revision;  /* canceled because compacted: nonzero */
	int64_t header_rev;        /* progress: the store's revision */
	struct etcd_event *events;
	size_t nevents;
	const char *cancel_reason; /* borrowed from the message's JSON */
};
/* {"result":{WatchResponse}}; -EPROTO otherwise (an {"error":...} message
 * is for etcdj_error first). */
int etcdj_watch_msg(json_t *j, struct etcdj_watch_msg *m);
void etcdj_watch_msg_free(struct etcdj_watch_msg *m);

/*
 * The watch stream cut into its messages: the gateway writes one JSON
 * object per message (with a newline, which is not relied upon). Bytes go
 * in as they come; etcdj_split_next hands out each complete top-level
 * object. Strings (and escaped quotes in them) are tracked, so braces in
 * keys or values do not cut. A message over ETCDJ_STREAM_MAX is -EMSGSIZE;
 * bytes outside an object other than white space, a closer that does not
 * match its opener, or nesting deeper than ETCDJ_DEPTH_MAX are -EPROTO.
 */
#define ETCDJ_STREAM_MAX (8u << 20)
#define ETCDJ_DEPTH_MAX 64
struct etcdj_split {
	char *buf;
	size_t len, cap;
	size_t scan;      /* bytes of buf already scanned */
	size_t start;     /* where the current object began */
	uint64_t kinds;   /* per depth: opened by '[' (1) or '{' (0) */
	int depth, in_str, esc, in_obj;
};
void etcdj_split_init(struct etcdj_split *s);
void etcdj_split_free(struct etcdj_split *s);
/* Append n bytes. 0, -ENOMEM or -EMSGSIZE. */
int etcdj_split_feed(struct etcdj_split *s, const void *p, size_t n);
/* 1 with *obj, *len (valid until the next feed or next call) for the next
 * complete object; 0 when none is complete yet; -EPROTO. */
int etcdj_split_next(struct etcdj_split *s, const char **obj, size_t *len);

#endif /* ETCD_JSON_H */
