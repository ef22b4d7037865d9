/*
 * opt.h - Axiom's tunables, one place, each with its default and why.
 * Override with -D at build time.
 */
#ifndef AXIOM_OPT_H
#define AXIOM_OPT_H

/* Segment size when the config gives none: big enough that rollover (one
 * extra file sync and directory sync) is rare, small enough to copy or
 * inspect one file by hand. */
#ifndef AXIOM_SEGMENT_SIZE_DEFAULT
#define AXIOM_SEGMENT_SIZE_DEFAULT (16u * 1024 * 1024)
#endif
/* Smallest accepted segment size: a header and a small record. */
#ifndef AXIOM_SEGMENT_SIZE_MIN
#define AXIOM_SEGMENT_SIZE_MIN 256u
#endif

/* Group commit: most entries and bytes written under one fdatasync. Bounds
 * the latency the first entry of a batch sees behind the others, and the
 * writer's buffer (4 MiB plus one record). */
#ifndef AXIOM_BATCH_MAX_ENTRIES
#define AXIOM_BATCH_MAX_ENTRIES 1024u
#endif
#ifndef AXIOM_BATCH_MAX_BYTES
#define AXIOM_BATCH_MAX_BYTES (4u * 1024 * 1024)
#endif

/* Proposals waiting for the writer, at most: past this axiom_propose()
 * says -ENOBUFS instead of eating memory while a disk stalls. 64k
 * proposals of 64 KiB would be 4 GiB, so bytes are bounded too. */
#ifndef AXIOM_QUEUE_MAX_ENTRIES
#define AXIOM_QUEUE_MAX_ENTRIES 65536u
#endif
#ifndef AXIOM_QUEUE_MAX_BYTES
#define AXIOM_QUEUE_MAX_BYTES (256u * 1024 * 1024)
#endif

/* A disk found full is tried again this often (ms): how long an entry
 * owed to the log (AXIOM_KEEP) waits after space returns, at most; each
 * try on a still-full disk is one write that fails at once. */
#ifndef AXIOM_FULL_RETRY_MS
#define AXIOM_FULL_RETRY_MS 100u
#endif

/* A store that cannot take writes (-EAGAIN: etcd without a quorum) or a
 * write in doubt (-ETIMEDOUT) is tried again this often (ms). Each try
 * may wait for the store's own timeout (etcd: timeout_ms), so this is the
 * pause between tries, not their period. */
#ifndef AXIOM_UNAVAIL_RETRY_MS
#define AXIOM_UNAVAIL_RETRY_MS 250u
#endif

/* The writer signs a checkpoint whenever the head passes a multiple of
 * this many entries (and at close). */
#ifndef AXIOM_CHECKPOINT_EVERY
#define AXIOM_CHECKPOINT_EVERY 1000u
#endif

/* Readers read segments through a window this big (at least one record
 * of the largest size): recovery and verify cost a pread per window, not
 * per record. */
#ifndef AXIOM_READ_WINDOW
#define AXIOM_READ_WINDOW (256u * 1024)
#endif

#endif /* AXIOM_OPT_H */
