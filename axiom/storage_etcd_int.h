/*
 * storage_etcd_int.h - what the parts of the etcd store share (internal to
 * axiom/): the store's state and the helpers of storage_etcd.c (segments,
 * the ops), storage_etcd_hold.c (P/owner, the lease and its keeper) and
 * storage_etcd_meta.c (P/keys, P/ckpt/). The promises are storage_etcd.h's.
 */
#ifndef AXIOM_STORAGE_ETCD_INT_H
#define AXIOM_STORAGE_ETCD_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "axiom/format.h"
#include "etcd/etcd.h"

/* Raw bytes in one chunk: base64 makes 4/3 of it, which with the rest of
 * a transaction stays under ETCD_REQUEST_MAX. */
#define ES_CHUNK_MAX (640u * 1024)
_Static_assert(ES_CHUNK_MAX / 3 * 4 + 64 * 1024 < ETCD_REQUEST_MAX, "a chunk fits a request");
/* Chunks per range when loading a segment: the first range takes
 * ES_PAGE, the next ones as many as make about ES_PAGE_BYTES at the
 * size of the chunks seen so far (a batch is a few hundred bytes, a big
 * write's pieces 640 KiB). */
#define ES_PAGE 64
#define ES_PAGE_BYTES (4u * 1024 * 1024)
#define ES_KEY_MAX 640
/* How often a writable open looks again at a held P/owner. */
#define ES_POLL_MS 200
/* Retries of a compare-and-swap lost to a concurrent change (P/keys, the
 * keeper's re-take). */
#define ES_CAS_TRIES 8
#define ES_ID_LEN 16
#define ES_HEAD_MAX 128

struct es_store {
	struct etcd_client *c;  /* segments: the log's one thread at a time */
	struct etcd_client *mc; /* keys and checkpoints, under mlock */
	struct etcd_client *kc; /* the keeper's */
	pthread_mutex_t mlock;
	char *prefix;
	char *endpoints;
	char *holder;
	char where[512];
	int writable;
	unsigned int ttl_s;
	char id[ES_ID_LEN + 1]; /* this open's writer id: P/head's w= */

	pthread_mutex_t lock;   /* the fields below */
	int64_t lease;
	int64_t head_rev;       /* P/head's mod_revision, ours; 0: no head yet */
	char head_seg[AXIOM_SEG_NAME_SIZE];
	uint64_t head_off;
	int stale;              /* the log went to another writer */
	char err[1024];
	char err_out[1024];      /* what error() returned last */

	/* the keeper thread */
	pthread_t keeper;
	int keeper_on;
	int stop;
	pthread_cond_t kcond;

	/* a create() in doubt: the same one is sent again */
	int cdoubt;
	char cname[AXIOM_SEG_NAME_SIZE];
	uint8_t *cdata;
	size_t clen;
};

/* The last failure, for error(). */
void axiom_es_set_err(struct es_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record a failed request's reason (the client's words); err passes through. */
int axiom_es_req_failed(struct es_store *s, struct etcd_client *c, int err, const char *what);
/* The log went to another writer: every later write fails -ESTALE
 * (returned), and why is the store's error. */
int axiom_es_mark_stale(struct es_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int axiom_es_is_stale(struct es_store *s);
/* P/<rest> into buf; the length, or -ENAMETOOLONG. */
int axiom_es_key_of(const struct es_store *s, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* P/head's value "seg=NAME off=N w=ID": write, parse (0 or -EBADMSG). */
int axiom_es_head_format(char *buf, size_t len, const char *seg, uint64_t off, const char *id);
int axiom_es_head_parse(const uint8_t *v, size_t vlen, char seg[AXIOM_SEG_NAME_SIZE], uint64_t *off,
			char id[ES_ID_LEN + 1]);
/* A range's one value as text ("(none)" when there is none). */
void axiom_es_kv_text(const struct etcd_range *r, char *buf, size_t len);
/* Append a malloc'd copy of name[0..len) to a growing list. */
int axiom_es_add_name(char ***v, size_t *n, size_t *cap, const char *name, size_t len);
int64_t axiom_es_now_ms(void);
void axiom_es_sleep_ms(int64_t ms);

/* storage_etcd_hold.c: take P/owner at open (waiting up to wait_ms), and
 * the keeper thread's body (arg: the store). */
int axiom_es_take_hold(struct es_store *s, int wait_ms);
void *axiom_es_keeper_main(void *arg);

/* storage_etcd_meta.c: the ops keys_get, keys_add, ckpt_append, ckpt_load. */
int axiom_es_keys_get(void *store, char **text);
int axiom_es_keys_add(void *store, const char *hex);
int axiom_es_ckpt_append(void *store, const char *line);
int axiom_es_ckpt_load(void *store, char ***lines, size_t *n);

#endif /* AXIOM_STORAGE_ETCD_INT_H */
