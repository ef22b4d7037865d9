/*
 * storage_etcd.h - Axiom's segments on an etcd cluster (etcd/etcd.h), so
 * that the log outlives the host it describes. Behind the same storage
 * ops as files (storage.h): the log's format, seqs, hash chain, CRCs and
 * checkpoints are unchanged; only where the bytes live differs.
 *
 * Keys, under the prefix P (axiom_etcd_config.prefix, no trailing '/'):
 *
 *   P/head              "seg=NAME off=N": the committed end of the log (the
 *                       last segment and the offset after its last record).
 *                       Every write is a transaction that compares head's
 *                       mod_revision with the one the writer last saw
 *                       (compare-and-swap), so two writers can never fork
 *                       the chain: the loser gets -ESTALE.
 *   P/seg/NAME/OFF      the bytes one datasync (or create) made durable at
 *                       offset OFF (16 hex digits) of segment NAME; a
 *                       segment is its chunks in offset order, up to its
 *                       size. Chunks past head (a write that lost, or a big
 *                       write's first pieces) are never read.
 *   P/size/NAME         a segment's final size, once the next one is made.
 *   P/owner             the writer's hold: "host=H pid=P ..." on a lease of
 *                       lease_ttl_s, kept alive by a thread of the store. A
 *                       writable open finds it held: it waits up to wait_ms
 *                       for the holder's lease to lapse (a killed writer's
 *                       does within lease_ttl_s), then -EBUSY.
 *   P/keys              the public keys that signed (storage.h keys_*)
 *   P/ckpt/SEQ-TS       one checkpoint line each (SEQ, TS 20 digits)
 *
 * A batch is one transaction (group commit): its records as one chunk plus
 * the new head. A write bigger than fits one request is sent as chunks
 * first (invisible past head), then the transaction.
 *
 * A write is Committed (datasync returns 0) only once etcd has committed
 * it: a quorum of members has it on disk. Errors follow storage.h:
 * -EAGAIN (certainly not stored: the writer holds and retries), -ETIMEDOUT
 * (in doubt: the same write is sent again until its fate is known; a
 * retry that finds head moved to exactly what this write makes is
 * success), -ESTALE (head moved otherwise, or the hold went to another
 * writer). While the lease cannot be renewed (no quorum) the store keeps
 * writing under the head compare; a lease found expired is taken again
 * when no other writer holds P/owner and head is still ours.
 */
#ifndef AXIOM_STORAGE_ETCD_H
#define AXIOM_STORAGE_ETCD_H

#include "axiom/storage.h"

/* The writer's hold, in seconds, when the config gives none. */
#define AXIOM_ETCD_LEASE_TTL_S 5u

/* axiom_config.storage_arg for axiom_storage_etcd. */
struct axiom_etcd_config {
	const char *endpoints;  /* "host:port[,host:port...]" (etcd.h) */
	const char *prefix;     /* key prefix, no trailing '/' */
	const char *holder;     /* text for P/owner; NULL: "host=H pid=P" */
	unsigned int lease_ttl_s; /* 0: AXIOM_ETCD_LEASE_TTL_S */
	unsigned int timeout_ms;  /* per request; 0: etcd.h's default */
	int wait_ms;            /* open waits this long for a held prefix;
				 * < 0: lease_ttl_s + 1 s */
};

extern const struct axiom_storage_ops axiom_storage_etcd;

#endif /* AXIOM_STORAGE_ETCD_H */
