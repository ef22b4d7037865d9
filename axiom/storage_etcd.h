/*
 * storage_etcd.h - Axiom's segments on an etcd cluster (etcd/etcd.h), so
 * that the log outlives the host it describes. Behind the same storage
 * ops as files (storage.h): the log's format, seqs, hash chain, CRCs and
 * checkpoints are unchanged; only where the bytes live differs.
 *
 * Keys, under the prefix P (axiom_etcd_config.prefix, no trailing '/'):
 *
 *   P/head              "seg=NAME off=N w=ID": the committed end of the log
 *                       (the last segment and the offset after its last
 *                       record) and the writer that put it (ID: 16 hex
 *                       digits, random per writable open). Every change
 *                       under P/seg/, P/size/ and P/head is a transaction
 *                       that compares head's mod_revision with the one the
 *                       writer last saw (compare-and-swap), so two writers
 *                       can never fork the chain: the loser gets -ESTALE.
 *   P/seg/NAME/OFF      the bytes one datasync (or create) made durable at
 *                       offset OFF (16 hex digits) of segment NAME. A
 *                       segment is the chain of its chunks from offset 0,
 *                       each starting where the one before ended, up to its
 *                       committed size: chunks off that chain or past the
 *                       size (a write that failed, a big write's first
 *                       pieces) are never read.
 *   P/size/NAME         a segment's final size, put by the create of the
 *                       next one (same transaction).
 *   P/owner             the writer's hold: the holder text on a lease of
 *                       lease_ttl_s, kept alive by a thread of the store
 *                       with a client of its own (renewed every TTL/3). A
 *                       writable open finds it held: it waits up to wait_ms
 *                       for it to go (a killed writer's lease lapses within
 *                       lease_ttl_s), then -EBUSY. Taking it re-puts P/head
 *                       (same place, w= the new writer) in the same
 *                       transaction, so the writer before can change
 *                       nothing more. close_dir revokes the lease.
 *   P/keys              the public keys that signed (storage.h keys_*)
 *   P/ckpt/SEQ-TS       one checkpoint line each (SEQ, TS 20 digits)
 *
 * A batch is one transaction (group commit): its records as one chunk plus
 * the new head. A write bigger than fits one request (ETCD_REQUEST_MAX)
 * is sent as chunks of 640 KiB first, each a transaction under the same
 * head compare (a plain put from a writer that lost the log could
 * overwrite a committed chunk), then the last with the new head.
 *
 * list() reads P/size/ and P/head in one transaction (one request, not one
 * per segment); open() loads a segment into memory up to its committed
 * size; size() of a read-only file of the last segment reads head again
 * (a shared reader follows the writer), never past it. truncate() drops
 * what is not committed; below the committed size it is -EINVAL (etcd
 * never holds a torn tail to cut).
 *
 * A write is Committed (datasync returns 0) only once etcd has committed
 * it: a quorum of members has it on disk. Errors follow storage.h:
 * -EAGAIN (certainly not stored: the writer holds and retries), -ETIMEDOUT
 * (in doubt: the same write is sent again until its fate is known; a
 * retry whose compare fails reads head: exactly what this write makes,
 * w= included, with its bytes in the chunks, is success; anything else is
 * -ESTALE; while in doubt pwrite and a truncate into it are -EBUSY, and
 * a refused retry is still -ETIMEDOUT), -ESTALE (head moved otherwise, or
 * the hold went to another writer). While the lease cannot be renewed (no
 * quorum) the store keeps writing under the head compare; a lease found
 * expired, or P/owner found gone, is taken again when no other writer
 * holds P/owner and head is still this writer's (w=); P/owner held by
 * another: every later write fails -ESTALE.
 *
 * open_dir(dir): dir (may be NULL) is only where the secret key lives; a
 * writable open makes it (0700). error(NULL) is why the last open_dir of
 * the calling thread failed ("etcd://.../P is held by another writer:
 * host=H pid=P (lease 1a2b, 4 s left)"), since no store exists then.
 *
 * Costs: one request per batch (two or more past 640 KiB), a segment's
 * committed bytes in memory per open file, three etcd clients per
 * writable store (writer, keys/checkpoints, keeper), two per read-only.
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
