/*
 * etcd.h - a client for etcd's v3 API (etcd 3.4, Debian's etcd-server),
 * spoken as JSON over HTTP/1.1 to the gRPC gateway every member serves on
 * its client port (POST /v3/kv/range, /v3/kv/txn, /v3/lease/..., /v3/watch),
 * with libcurl; keys and values are base64 in the JSON, binary-safe here.
 * Why not gRPC: see README ("Axiom on etcd").
 *
 * One client talks to one cluster: a list of members "host:port,...".
 * A request goes to the member that answered last; when that one cannot
 * be reached it tries the next ones, each once, in order.
 *
 * Errors (negative errno), and what a caller may conclude from each:
 *
 *   -EAGAIN      NOT applied, for certain: no member could be reached
 *                (connect failed on every one), or a member answered that it
 *                did not apply it (no leader, not enough started members,
 *                too many requests). etcd_error() says which.
 *   -ETIMEDOUT   IN DOUBT: a request was sent and no answer came in time
 *                (or etcd said "request timed out"): it may or may not be
 *                applied, now or later. Only a later read can tell.
 *   -EPROTO      the answer did not decode (not JSON, fields of the wrong
 *                type): treated as in doubt by writers.
 *   -EINVAL      bad arguments; -ENOMEM; -EMSGSIZE (request over
 *                ETCD_REQUEST_MAX).
 *   -ENOENT      etcd_lease_keepalive/ttl: the lease is gone.
 *   -ECANCELED   etcd_watch: the start revision was compacted.
 *
 * Thread rules: a client is used by one thread at a time. Threads that
 * need etcd at once (a writer and a lease keeper) open a client each.
 * Nothing here keeps global state beyond curl_global_init (done once,
 * thread-safely, by the first etcd_open).
 */
#ifndef ETCD_ETCD_H
#define ETCD_ETCD_H

#include <stddef.h>
#include <stdint.h>

/* etcd's default --max-request-bytes is 1.5 MiB; a request (JSON, base64)
 * we build is refused above this, before it is sent. */
#define ETCD_REQUEST_MAX (1400u * 1024)

struct etcd_client;

struct etcd_config {
	const char *endpoints;  /* "host:port[,host:port...]"; IPv6 as [addr]:port */
	unsigned int timeout_ms;         /* whole request; 0: 2000 */
	unsigned int connect_timeout_ms; /* per member; 0: 500 */
};

/* 0 and *out, or -EINVAL (no endpoint, bad host:port) / -ENOMEM with err
 * filled. Does not connect. */
int etcd_open(struct etcd_client **out, const struct etcd_config *cfg, char *err, size_t errlen);
void etcd_close(struct etcd_client *c);

/* One line about the last failure: "etcd 10.1.0.2:2379: etcdserver: no
 * leader (EAGAIN)", "etcd: no member reachable (10.1.0.2:2379: Connection
 * refused, ...)". "" when the last call succeeded. */
const char *etcd_error(const struct etcd_client *c);
/* The member "host:port" that answered last ("" before any). */
const char *etcd_member(const struct etcd_client *c);

/* Parse "etcd://host:port[,host:port...]" (a trailing "/" allowed) into
 * endpoints (the part after "etcd://"). 0 or -EINVAL. */
int etcd_parse_url(const char *url, char *endpoints, size_t len);

/* A key-value pair as etcd keeps it. key and value are malloc'd, each
 * with a NUL after its bytes (for text keys). */
struct etcd_kv {
	char *key;
	size_t key_len;
	uint8_t *value;
	size_t value_len;
	int64_t create_rev, mod_rev, version, lease;
};

/* What a range (or a txn's get) returned. revision: the store's revision
 * when it was read (the response header's). */
struct etcd_range {
	struct etcd_kv *kvs;
	size_t n;
	int more;       /* more keys matched than limit allowed */
	int64_t count;  /* keys matched in all */
	int64_t revision;
};
void etcd_range_free(struct etcd_range *r);

/* The end of the range of every key starting with prefix (etcd's
 * "prefix + 1"): out gets plen bytes; 0 or -EINVAL (prefix of 0xff). */
int etcd_prefix_end(const void *prefix, size_t plen, uint8_t *out);

#define ETCD_KEYS_ONLY 1u     /* values not returned */
#define ETCD_SERIALIZABLE 2u  /* read the member's copy, no quorum needed */

/*
 * Range [key, range_end) (range_end NULL: the one key) at revision rev
 * (0: now), at most limit keys (0: all) in key order. Linearizable unless
 * ETCD_SERIALIZABLE. 0 and *out (free with etcd_range_free), or -errno.
 */
int etcd_range(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
	       size_t relen, int64_t limit, int64_t rev, unsigned int flags,
	       struct etcd_range *out);
/* One key: 0 with *out filled (out->n 0 when missing). */
int etcd_get(struct etcd_client *c, const char *key, struct etcd_range *out);

/* Put; lease 0 for none. *rev (may be NULL): the revision it made. */
int etcd_put(struct etcd_client *c, const void *key, size_t klen, const void *val, size_t vlen,
	     int64_t lease, int64_t *rev);
/* Delete [key, range_end) (range_end NULL: the one key); *deleted may be
 * NULL. */
int etcd_delete(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
		size_t relen, int64_t *deleted);

/* --- transactions ----------------------------------------------------------- */

enum etcd_cmp_target { ETCD_CMP_VERSION, ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VALUE,
		       ETCD_CMP_LEASE };
enum etcd_cmp_op { ETCD_EQUAL, ETCD_GREATER, ETCD_LESS, ETCD_NOT_EQUAL };

/* "target(key) op number" (VERSION, CREATE, MOD, LEASE) or "value(key) op
 * value" (VALUE). A missing key has version, create and mod 0. */
struct etcd_cmp {
	enum etcd_cmp_target target;
	enum etcd_cmp_op op;
	const void *key;
	size_t klen;
	int64_t num;
	const void *value;
	size_t vlen;
};

enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE, ETCD_OP_RANGE };

/* PUT key=value (lease 0: none); DELETE [key, range_end); RANGE as
 * etcd_range() with range_end and limit (values included). */
struct etcd_op {
	enum etcd_op_type type;
	const void *key;
	size_t klen;
	const void *value;
	size_t vlen;
	int64_t lease;
	const void *range_end;
	size_t relen;
	int64_t limit;
};

struct etcd_txn_result {
	int succeeded;          /* the compares held: the success ops ran */
	int64_t revision;       /* the store's revision after the txn */
	/* The RANGE ops of the branch that ran, in order. */
	struct etcd_range *ranges;
	size_t nranges;
};
void etcd_txn_free(struct etcd_txn_result *r);

/* If every cmp holds, run succ, else fail: atomically, one revision.
 * 0 with *res (free with etcd_txn_free) whichever branch ran, or -errno
 * (nothing known ran: see the error list). */
int etcd_txn(struct etcd_client *c, const struct etcd_cmp *cmp, size_t ncmp,
	     const struct etcd_op *succ, size_t nsucc, const struct etcd_op *fail, size_t nfail,
	     struct etcd_txn_result *res);

/* --- leases --------------------------------------------------------------- */

/* A lease of ttl_s seconds: *id, *granted (the TTL etcd gave). */
int etcd_lease_grant(struct etcd_client *c, int64_t ttl_s, int64_t *id, int64_t *granted);
/* Renew once: 0 and *ttl (seconds left, refreshed), or -ENOENT when the
 * lease has expired or was revoked. */
int etcd_lease_keepalive(struct etcd_client *c, int64_t id, int64_t *ttl);
int etcd_lease_revoke(struct etcd_client *c, int64_t id);
/* Seconds left: 0 and *ttl, or -ENOENT. */
int etcd_lease_ttl(struct etcd_client *c, int64_t id, int64_t *ttl);

/* --- watches -------------------------------------------------------------- */

enum etcd_event_type { ETCD_EV_PUT, ETCD_EV_DELETE };

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;      /* for DELETE: key and mod_rev only */
};

/* Return 0 to go on watching, nonzero to stop (etcd_watch returns it). */
typedef int (*etcd_watch_fn)(void *arg, const struct etcd_event *ev);

/*
 * Watch [key, range_end) from revision start_rev (0: from now): blocks,
 * calling fn for each event in revision order, until fn returns nonzero
 * (returned), *stop becomes nonzero (checked at least every 200 ms:
 * returns 0), or the stream fails: -EAGAIN / -ETIMEDOUT (a member
 * unreachable, or silent for longer than the client's timeout while
 * progress notifications were due), -ECANCELED (start_rev compacted).
 * *next_rev (may be NULL) is where a new watch must start to miss
 * nothing: the last event's mod_rev + 1, or the last progress
 * notification's revision + 1.
 */
int etcd_watch(struct etcd_client *c, const void *key, size_t klen, const void *range_end,
	       size_t relen, int64_t start_rev, etcd_watch_fn fn, void *arg,
	       const volatile int *stop, int64_t *next_rev);

#endif /* ETCD_ETCD_H */
