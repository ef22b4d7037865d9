/*
 * reader.h - the segment scanner under recovery (axiom_open), iteration
 * and verification. Internal to axiom/; the fuzz target drives it too.
 *
 * It walks the segments of one store in seq order, checks every header,
 * record CRC, seq and prev hash, and classifies where reading stops:
 *
 *   the end            the last segment ends exactly after a record
 *   a torn tail        the last segment has bytes at the end that are not
 *                      a record, and nothing after them was promised: no
 *                      decodable record follows, or all that follow are
 *                      of the one write the bad bytes began (format.h):
 *                      the remains of an interrupted write (torn = 1)
 *   corruption         anything else (err < 0, err_* and msg say where)
 *
 * With AXIOM_READER_SHARED a writer may be appending at the same time:
 * before the reader calls something the end, a tail or corruption it looks
 * again (new size, new segments, fresh bytes), so a write in progress is
 * never mistaken for damage; and reading on after the end picks up what
 * was appended since. Without it the reader assumes the log is still
 * (recovery, which holds the writer's lock).
 *
 * Costs: one read window of AXIOM_READ_WINDOW bytes; a pread per window
 * and a SHA-256 over every record. Single-threaded.
 */
#ifndef AXIOM_READER_H
#define AXIOM_READER_H

#include <stddef.h>
#include <stdint.h>

#include "axiom/axiom.h"
#include "axiom/format.h"
#include "axiom/storage.h"

#define AXIOM_READER_SHARED 1u

struct axiom_reader_seg {
	uint64_t first;
	char name[AXIOM_SEG_NAME_SIZE];
};

struct axiom_reader {
	const struct axiom_storage_ops *ops;
	void *store;
	unsigned int flags;
	uint64_t since;

	struct axiom_reader_seg *segs; /* sorted by first seq */
	size_t nsegs;
	size_t cur;             /* index of the segment being read */
	void *file;             /* segs[cur] open, or NULL */
	uint64_t size;          /* its size, when last looked */
	uint64_t off;           /* where its next record starts */

	/* The chain so far: the seq the next record must carry and the hash
	 * it must point back to. next_seq - 1 and chain are the head. */
	int started;
	uint64_t next_seq;
	uint8_t chain[AXIOM_HASH_SIZE];

	uint8_t *win;           /* read window */
	uint64_t win_off;
	size_t win_len;

	/* Set when next() returned 0 at a torn tail. */
	int torn;
	uint64_t torn_off, torn_bytes;
	const char *torn_what;

	/* Set once next() has failed; every later call fails the same. */
	int err;
	char err_seg[AXIOM_SEG_NAME_SIZE];
	uint64_t err_off, err_seq;
	char err_what[160];
	char msg[320];
};

/* Start at the segment holding since (0 or 1: the first, which must then
 * begin the log at seq 1). The store stays the caller's. 0, or -ENOMEM;
 * a failure to list the segments is the first next()'s error. */
int axiom_reader_open(struct axiom_reader **out, const struct axiom_storage_ops *ops,
		      void *store, uint64_t since, unsigned int flags);
/* 1 and an entry with seq >= since; 0 at the end or a torn tail (see
 * r->torn); < 0 on corruption or I/O error (r->msg). */
int axiom_reader_next(struct axiom_reader *r, struct axiom_entry *e);
void axiom_reader_close(struct axiom_reader *r);

/* The segment being read ("" when there is none). */
const char *axiom_reader_segment(const struct axiom_reader *r);

#endif /* AXIOM_READER_H */
