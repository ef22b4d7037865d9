/*
 * ringown.h - which socket shows a ring: ring offset in a segment -> owner.
 * The engine frees a ring by its address (tcp_mem_ops.free); the server
 * for programs must find the socket whose slot shows it. A table by 4 KiB
 * block (8 bytes each) cost the daemon a page per connection once rings
 * were 1 MiB and kept every page it ever touched; this one costs 16 bytes
 * per entry, at most half full, and shrinks with nothing (it is freed with
 * its segment). Open addressing, linear probing, deletion by backward
 * shift (no tombstones, so lookups stay short after any churn).
 *
 * Offsets are nonzero (0 marks an empty entry: a segment's rings start
 * after its header). No allocation but in ringown_reserve, so a caller
 * reserves where it may fail (allocating the ring) and sets where it may
 * not (showing it).
 */
#ifndef AX_DAEMON_RINGOWN_H
#define AX_DAEMON_RINGOWN_H

#include <stdint.h>

struct ringown {
	struct ringown_ent {
		uint64_t off; /* 0: empty */
		void *owner;
	} *t;
	uint32_t cap, n; /* cap: a power of two, or 0 before the first reserve */
};

/* Room for n entries in all (the table stays at most half full). 0 or
 * -ENOMEM (the table is as it was). */
int ringown_reserve(struct ringown *m, uint64_t n);
/* off's owner, NULL when none. */
void *ringown_get(const struct ringown *m, uint64_t off);
/* off's owner becomes owner (off != 0); room must have been reserved:
 * -ENOSPC when not (nothing recorded), else 0. */
int ringown_set(struct ringown *m, uint64_t off, void *owner);
/* off has no owner any more. */
void ringown_del(struct ringown *m, uint64_t off);
void ringown_fini(struct ringown *m);

#endif /* AX_DAEMON_RINGOWN_H */
