/*
 * axiom.h - Axiom, the commit log: append-only, sequenced, hash-chained,
 * crash-safe. Every connection decision and policy change is an entry;
 * an entry is committed once it is on stable storage, and only then is
 * its proposer told.
 *
 * Writing. axiom_propose() queues an entry from any thread and returns at
 * once. One writer thread per log takes everything queued (at most
 * AXIOM_BATCH_MAX_ENTRIES / _BYTES, opt.h), gives the entries their seqs,
 * writes them with one pwrite and makes them durable with one fdatasync
 * (group commit), then completes them all: Committed{seq}, or
 * Rejected{reason} when the log could not take them. Results reach the
 * owner's thread, never the writer's: the owner polls axiom_event_fd()
 * and calls axiom_dispatch(), which runs the callbacks. So a
 * single-threaded event loop never waits for a disk. axiom_submit() is
 * the blocking form, for threads that may wait (CLI, tests).
 *
 * A full disk (ENOSPC, EDQUOT) passes: the writer cuts the failed write
 * back off the segment (freeing what it took), rejects the proposals of
 * that write that may be refused, keeps those proposed with AXIOM_KEEP
 * (entries owed to the log, e.g. a connection's close) at the head of the
 * queue, and tries them again every AXIOM_FULL_RETRY_MS until the disk
 * takes them. Meanwhile a new refusable proposal is refused at once
 * (-ENOSPC) - except one per retry interval, which goes to the disk as a
 * probe, so writing resumes by itself when space returns. The reason
 * (axiom_error()) names the file and the error: "write
 * DIR/axiom/SEG: No space left on device (ENOSPC)".
 *
 * A remote store (storage.h) that cannot take writes (-EAGAIN) is held the
 * same way, tried again every AXIOM_UNAVAIL_RETRY_MS, refusals -EAGAIN,
 * the reason its error() line. A write in doubt (-ETIMEDOUT) is held whole
 * (same bytes, seqs and chain) and synced again every
 * AXIOM_UNAVAIL_RETRY_MS until the store knows, then completes as any
 * commit; meanwhile every refusable proposal is refused (-EAGAIN) and owed
 * ones queue behind it. Still in doubt at close, its entries are Rejected
 * (-ETIMEDOUT) and the log says they may be in the log. -ESTALE (another
 * writer took the store) fails the log. Messages name the store by its
 * where() instead of the directory.
 *
 * Failure. After any other I/O error (EIO, ...) the log takes nothing
 * more until it is reopened: every later proposal is Rejected with the
 * first error's reason, so no later entry can commit past a gap. The
 * writer cuts a failed batch back off the segment, so a Rejected entry
 * does not reappear at reopen (unless that cut fails too, which is
 * reported through the config's log function, and then fails the log
 * even for a full disk).
 *
 * Opening. axiom_open() scans every segment, recomputing CRCs, seqs and
 * the hash chain (time linear in the log's size). A torn tail of the last
 * segment - what an interrupted write leaves, including the last write
 * whose pages a power cut let reach the disk out of order (a hole, then
 * more records of that same write) - is cut off after the last whole
 * record before it and reported through cfg->log; any other damage stops the open (format.h has the
 * rules), as does a log that no longer reaches, or no longer matches, its
 * last signed checkpoint: nothing committed is cut. One writable open per
 * log at a time (-EBUSY otherwise); any number of read-only opens,
 * iterators and verifiers alongside it.
 *
 * Files: <dir>/axiom/ (dir is the instance's state directory); the format
 * is in format.h, keys and checkpoints in checkpoint.h.
 *
 * Thread rules: axiom_propose(), axiom_submit(), axiom_head_*(),
 * axiom_checkpoint() and axiom_stats() may be called from any thread.
 * axiom_dispatch() and axiom_close() belong to one thread, the owner's.
 * No call may be in progress or begin once axiom_close() has started,
 * except those it waits for (see there).
 */
#ifndef AXIOM_AXIOM_H
#define AXIOM_AXIOM_H

#include <stddef.h>
#include <stdint.h>

#include "axiom/format.h"
#include "axiom/storage.h"

enum axiom_type {
	AXIOM_START = 1,        /* an instance started; payload: text */
	AXIOM_POLICY_PUSH,      /* a policy was installed */
	AXIOM_CONN_AUTHORIZE,   /* a connection was allowed */
	AXIOM_CONN_REJECT,      /* a connection was refused */
	AXIOM_CONN_CLOSE,       /* an allowed connection ended */
	AXIOM_REVOKE,           /* an authorization was withdrawn */
	AXIOM_POLICY_TEXT,      /* part of a policy too big for its push entry */
};

/* "start", "policy-push", "connection-authorize", "connection-reject",
 * "connection-close", "revoke", "policy-text"; NULL for a type this version does not
 * know (readers still show such entries). */
const char *axiom_type_name(uint16_t type);
/* The reverse: the type, or -EINVAL. */
int axiom_type_from_name(const char *name);

/* Committed{seq} (committed = 1) or Rejected{reason} (committed = 0,
 * seq = 0, err: -ENOSPC/-EDQUOT for a full disk, -EAGAIN for a remote
 * store that cannot take writes (or holds one in doubt), -ETIMEDOUT for
 * an entry still in doubt when the log closed (it may be in the log),
 * -EIO for a failed log, -ENOMEM). */
struct axiom_result {
	int committed;
	int err;
	uint64_t seq;
	char reason[256];
};

/* Runs in the owner's thread, from axiom_dispatch() (or axiom_close()).
 * res is valid during the call only. May call axiom_propose(); must not
 * call axiom_dispatch() or axiom_close(). */
typedef void (*axiom_done_fn)(void *arg, const struct axiom_result *res);

struct axiom_config {
	/* State directory; the log is dir/axiom/ (with a remote store only
	 * the secret key is there). May be NULL for a read-only open, an
	 * iterator or a verify of a store with keys_get (storage.h). */
	const char *dir;
	uint64_t segment_size;  /* 0: AXIOM_SEGMENT_SIZE_DEFAULT (16 MiB) */
	/* Where segments live: NULL for files (axiom_storage_file). */
	const struct axiom_storage_ops *storage;
	void *storage_arg;
	/* Messages about recovery and failures (one line, no newline), from
	 * the opening thread or the writer. NULL: stderr. */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	/* Read the log without changing it: no writer, no key, a torn tail
	 * reported and left alone; proposals fail with -EROFS. */
	int read_only;
};

struct axiom;

/*
 * Open (creating when missing, unless read-only) the log, recover it, and
 * start its writer thread. 0 and *out, or a negative errno with err
 * filled: -EBADMSG (a record or header that does not decode where a torn
 * tail cannot be), -EUCLEAN (a record that decodes but breaks the seq or
 * hash chain, or a log that does not reach or match its last signed
 * checkpoint), -EBUSY (another writer has it), -EINVAL (bad config),
 * -ENOENT (read-only and no log), or an I/O error. Corruption messages
 * read "segment S offset O (seq N): what".
 */
int axiom_open(struct axiom **out, const struct axiom_config *cfg, char *err, size_t errlen);

/*
 * Commit what is queued (proposals made before this call are written,
 * not dropped), write a checkpoint if the head moved since the last one,
 * stop the writer, run the callbacks still pending in this thread, wait
 * for axiom_submit() calls in other threads to return, and free the log.
 * Blocks for the writer's last fdatasync. NULL is a no-op (0).
 * Returns how many entries owed to the log (AXIOM_KEEP) were never
 * written in its life: rejected by a failed log, still waiting for a
 * full disk at the close, or proposed once the close had begun (e.g. by
 * a callback it runs) (the stats' owed_lost). Nonzero means the log
 * lacks entries its owner promised it: not a clean close.
 */
unsigned int axiom_close(struct axiom *ax);

/*
 * Queue an entry. payload (len bytes, at most AXIOM_PAYLOAD_MAX) is
 * copied. cb (may be NULL: nobody is told) later gets the result through
 * axiom_dispatch(). Proposals from one thread are committed in the order
 * they were made. 0, or at once: -EINVAL (unknown type, NULL payload with
 * len > 0), -EMSGSIZE (too long), -ESHUTDOWN (closing), -EROFS
 * (read-only), -ENOBUFS (AXIOM_QUEUE_MAX_* proposals already wait),
 * -ENOMEM.
 */
int axiom_propose(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		  axiom_done_fn cb, void *arg);

/*
 * axiom_propose() with flags: AXIOM_KEEP for an entry owed to the log (a
 * close, a revocation: something that already happened). When the disk
 * is full it waits and is retried instead of being rejected, and the
 * queue limits do not apply to it: the caller bounds how many it can owe
 * (one close per live authorization). It is rejected only by an I/O error
 * other than a full disk, or by axiom_close() while the disk is still
 * full (said through cfg->log, counted in owed_lost, and returned by
 * axiom_close()).
 */
#define AXIOM_KEEP 1u
int axiom_propose_ex(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		     unsigned int flags, axiom_done_fn cb, void *arg);

/*
 * Several entries as one: proposed together, written with one write and
 * one sync (even past AXIOM_BATCH_MAX_*, and into a new segment of their
 * own when the current one cannot take them all), so they commit together
 * with consecutive seqs, or none of them does. Waits like axiom_submit();
 * res[i] is item i's result. Refused only when closing (-ESHUTDOWN) or
 * out of memory; a full disk rejects the whole group (res[i] say so).
 */
struct axiom_item {
	uint16_t type;
	const void *payload;
	uint32_t len;
	axiom_done_fn cb;       /* axiom_propose_group() only */
	void *arg;
};
int axiom_submit_group(struct axiom *ax, const struct axiom_item *items, size_t n,
		       struct axiom_result *res);
/* The same without waiting: each item's cb (may be NULL) gets its result
 * through axiom_dispatch(), as with axiom_propose(); a full disk is tried
 * (the callbacks then say Rejected and why), not assumed. 0, or at once
 * -ENOBUFS, -ESHUTDOWN, -EINVAL, -EMSGSIZE, -EROFS, -ENOMEM: then nothing
 * of it is proposed. */
int axiom_propose_group(struct axiom *ax, const struct axiom_item *items, size_t n);

/* What stops the log from writing, as text into buf: 0 when nothing does,
 * 1 while the disk is full or a remote store cannot take writes or holds
 * a write in doubt (the reason of the last failed write: "etcd
 * 10.1.0.2:2379: etcdserver: request timed out (in doubt, retrying)"),
 * 2 once the log has failed (until reopened). New refusable proposals are
 * refused with -ENOSPC (disk full) or -EAGAIN (store unavailable) while
 * it is 1. */
int axiom_error(const struct axiom *ax, char *buf, size_t len);

/* Readable (EPOLLIN) when results wait for axiom_dispatch(). Owned by the
 * log; do not read or close it. */
int axiom_event_fd(const struct axiom *ax);

/* Run the callbacks of the results that are ready, in the caller's
 * thread, in seq order (rejections where they fell). Returns how many;
 * never blocks. */
int axiom_dispatch(struct axiom *ax);

/*
 * Propose and wait for the result, which lands in *res (not through the
 * event fd: this works from any thread, whether or not it also
 * dispatches). Returns -EINVAL, -EMSGSIZE, -EROFS, -ESHUTDOWN or -ENOMEM
 * as axiom_propose() would, or 0 with *res filled (which may say
 * Rejected). It is not held to the queue limits, and always reaches the
 * writer (a full disk is tried, not assumed).
 */
int axiom_submit(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		 struct axiom_result *res);

/* The last committed entry's seq (0: none) and hash (zeros: none). */
uint64_t axiom_head_seq(const struct axiom *ax);
void axiom_head_hash(const struct axiom *ax, uint8_t out[AXIOM_HASH_SIZE]);

/*
 * Sign a checkpoint of the current head and append it to the checkpoints
 * file (checkpoint.h), durably. The writer does this by itself every
 * AXIOM_CHECKPOINT_EVERY entries and at close. 0, -EROFS, or an I/O
 * error.
 */
int axiom_checkpoint(struct axiom *ax);

/* Counters since open, for tests and tuning. */
struct axiom_stats {
	uint64_t committed;     /* entries */
	uint64_t rejected;      /* proposals completed as Rejected */
	uint64_t batches;       /* group commits: one write + one sync each */
	uint64_t syncs;         /* segment datasyncs */
	uint64_t bytes;         /* record bytes written */
	uint64_t segments;      /* segments created */
	uint64_t checkpoints;   /* checkpoints written */
	uint64_t full_events;   /* times the disk was found full */
	uint64_t full_retries;  /* writes that found it full */
	uint64_t refused_full;  /* proposals refused at once: disk full */
	uint64_t owed;          /* AXIOM_KEEP entries waiting to be written */
	uint64_t owed_lost;     /* AXIOM_KEEP entries rejected, never written */
	unsigned int full;      /* 1 while the disk is full */
	/* A remote store (storage.h): times it was found unable to take
	 * writes (-EAGAIN), writes found in doubt (-ETIMEDOUT), retries of
	 * either, proposals refused at once meanwhile; 1 while it is so. */
	uint64_t unavail_events;
	uint64_t doubt_events;
	uint64_t unavail_retries;
	uint64_t refused_unavail;
	unsigned int unavailable;
};
void axiom_stats(const struct axiom *ax, struct axiom_stats *st);

/* --- reading ------------------------------------------------------------ */

/* One entry, as read back. Pointers are valid until the next call on the
 * iterator. */
struct axiom_entry {
	uint64_t seq;
	uint64_t ts_ns;
	uint16_t type;
	uint32_t len;
	const uint8_t *payload;
	uint8_t prev_hash[AXIOM_HASH_SIZE];
	uint8_t hash[AXIOM_HASH_SIZE];
	const char *segment;    /* file name */
	uint64_t offset;        /* of the record in it */
};

struct axiom_iter;

/*
 * Read the log in dir/axiom/ from entry since_seq on (0 or 1: from the
 * start), read-only, alongside a writer or not. Checks CRCs, seqs and the
 * chain as it goes; the chain is anchored at the header of the segment
 * holding since_seq. 0, or -ENOENT (no log) / -errno with err filled.
 *
 * Beside a running writer, an entry shows up once it is written, which
 * is a moment before its sync completes: a reader can see an entry that
 * a failed sync then takes back (Rejected) or a power cut then loses.
 * What the writer reported Committed is never missing.
 */
int axiom_iter_open(struct axiom_iter **it, const char *dir, uint64_t since_seq, char *err,
		    size_t errlen);
/*
 * 1 and the next entry in *e; 0 at the end (call again later to follow a
 * log being written: new entries and new segments are picked up); < 0 on
 * corruption or I/O error, with axiom_iter_error() saying where. A torn
 * tail ends the iteration like the end of the log does (a writer may be
 * in the middle of that write). -EAGAIN or -ETIMEDOUT: a remote store is
 * out of reach; nothing was consumed, and a later call goes on from the
 * same entry (a follower waits and calls again).
 */
int axiom_iter_next(struct axiom_iter *it, struct axiom_entry *e);
/* The same on any store: cfg's storage, storage_arg and dir (see
 * axiom_config); read-only whatever cfg->read_only says. */
int axiom_iter_open_cfg(struct axiom_iter **it, const struct axiom_config *cfg, uint64_t since,
			char *err, size_t errlen);
const char *axiom_iter_error(const struct axiom_iter *it);
void axiom_iter_close(struct axiom_iter *it);

/* --- verification --------------------------------------------------------- */

struct axiom_verify_opts {
	/* Check these checkpoint lines too (an auditor's old ones). */
	const char *const *checkpoints;
	size_t ncheckpoints;
	/* Check signatures with this key rather than dir/axiom/key.pub. */
	const uint8_t *pubkey;
};

struct axiom_verify_report {
	uint64_t entries;       /* entries that verified (the head seq when ok) */
	uint64_t segments;
	uint64_t checkpoints;   /* checkpoints that verified, file and extra */
	uint8_t head[AXIOM_HASH_SIZE];
	/* The first problem, when axiom_verify() fails. segment is "" and
	 * seq/offset 0 when it is not about one entry (a checkpoint line). */
	char segment[AXIOM_SEG_NAME_SIZE];
	uint64_t offset;
	uint64_t seq;
	char what[160];
	char message[320];      /* all of it, in one line */
	/* A torn tail: not an error in a read-only check, since a writer may
	 * be in the middle of it, but worth saying. torn_bytes = 0: none. */
	char torn_segment[AXIOM_SEG_NAME_SIZE];
	uint64_t torn_offset;
	uint64_t torn_bytes;
	char torn_what[48];
};

/*
 * Check the whole log in dir/axiom/ read-only: segment headers, every
 * record's CRC, seq continuity, the hash chain, and every checkpoint (the
 * file's and opts'): signature, and that entry seq N still hashes to the
 * checkpoint's head. opts may be NULL. 0 when all holds; otherwise
 * -EBADMSG / -EUCLEAN (the log), -EKEYREJECTED (a signature), -ESTALE (a
 * checkpoint the log no longer matches: entry N changed, or the log has
 * fewer than N entries), -EINVAL (an unreadable checkpoint), -ENOENT (no
 * log) or an I/O error, with rep saying where.
 */
int axiom_verify(const char *dir, const struct axiom_verify_opts *opts,
		 struct axiom_verify_report *rep);
/* The same on any store (cfg as for axiom_iter_open_cfg). With a store
 * that has keys_get, each checkpoint must verify under one of its keys
 * (or under opts->pubkey alone, when given). */
int axiom_verify_cfg(const struct axiom_config *cfg, const struct axiom_verify_opts *opts,
		     struct axiom_verify_report *rep);

#endif /* AXIOM_AXIOM_H */
