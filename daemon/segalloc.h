/*
 * segalloc.h - the allocator of ring memory inside a program's shared
 * segment. Its metadata is private to the daemon (nothing a program can
 * write steers it). Blocks are powers of two from SEGALLOC_MIN (a page, so
 * a freed block can be punched out of the memfd) to SEGALLOC_MAX, aligned
 * to their size, carved from a bump pointer and kept on one free list per
 * size; a size with none free splits a larger free block. Freed blocks are
 * returned to the kernel at once (fallocate PUNCH_HOLE): an idle segment
 * costs its page tables, not its rings. Single-threaded (the daemon's
 * loop); alloc and free are O(1) but for growing a free list.
 */
#ifndef AX_DAEMON_SEGALLOC_H
#define AX_DAEMON_SEGALLOC_H

#include <stdint.h>

#define SEGALLOC_MIN_SHIFT 12u
#define SEGALLOC_MAX_SHIFT 30u
#define SEGALLOC_MIN (1u << SEGALLOC_MIN_SHIFT)
#define SEGALLOC_CLASSES (SEGALLOC_MAX_SHIFT - SEGALLOC_MIN_SHIFT + 1)

struct segalloc {
	int fd;            /* the memfd (hole punching), or -1: none */
	uint64_t start;    /* the managed range [start, end), SEGALLOC_MIN aligned */
	uint64_t end;
	uint64_t bump;     /* never handed out from here on */
	struct {
		uint64_t *off; /* free blocks of this class */
		uint32_t n, cap;
	} free[SEGALLOC_CLASSES];
	uint64_t live_bytes; /* handed out and not freed */
	uint32_t live;       /* blocks handed out */
};

/* Manage [start, end) of the file fd (offsets as the file's). */
void segalloc_init(struct segalloc *a, int fd, uint64_t start, uint64_t end);
/* Free the metadata (not the file's range). */
void segalloc_fini(struct segalloc *a);
/* A block of size bytes (rounded up to a power of two >= SEGALLOC_MIN):
 * its offset, or -ENOMEM (range exhausted, or size over the maximum). The
 * block reads as zeros the first time (never used, or punched). */
int64_t segalloc_alloc(struct segalloc *a, uint32_t size);
/* Give back the block at off of that size (as allocated): punched out of
 * the file now. -EINVAL for an offset that is not a block of that size
 * in the range (nothing changes). */
int segalloc_free(struct segalloc *a, uint64_t off, uint32_t size);
/* The size a request of size bytes takes (0: too large). */
uint32_t segalloc_size(uint32_t size);

#endif /* AX_DAEMON_SEGALLOC_H */
