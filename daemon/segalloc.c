/*
 * segalloc.c - see segalloc.h. No merging of freed neighbours: rings come
 * in few sizes (opt.h's defaults and what SO_RCVBUF/SO_SNDBUF round to), a
 * freed block is reused for the next ring of its size, and address space
 * in the segment is virtual (the pages of free blocks are punched out).
 */
#define _GNU_SOURCE
#include "daemon/segalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

void segalloc_init(struct segalloc *a, int fd, uint64_t start, uint64_t end)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->start = (start + SEGALLOC_MIN - 1) & ~(uint64_t)(SEGALLOC_MIN - 1);
	a->end = end & ~(uint64_t)(SEGALLOC_MIN - 1);
	if (a->end < a->start)
		a->end = a->start;
	a->bump = a->start;
}

void segalloc_fini(struct segalloc *a)
{
	unsigned i;

	for (i = 0; i < SEGALLOC_CLASSES; i++)
		free(a->free[i].off);
	memset(a->free, 0, sizeof(a->free));
}

uint32_t segalloc_size(uint32_t size)
{
	uint32_t s = SEGALLOC_MIN;

	if (size > (1u << SEGALLOC_MAX_SHIFT))
		return 0;
	while (s < size)
		s <<= 1;
	return s;
}

static unsigned class_of(uint32_t size)
{
	return (unsigned)__builtin_ctz(size) - SEGALLOC_MIN_SHIFT;
}

/* Push a free block; -ENOMEM when its list cannot grow (the block is then
 * lost to this segment: address space, not memory, as it is punched). */
static int push(struct segalloc *a, unsigned c, uint64_t off)
{
	if (a->free[c].n == a->free[c].cap) {
		uint32_t cap = a->free[c].cap ? a->free[c].cap * 2 : 16;
		uint64_t *p = realloc(a->free[c].off, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		a->free[c].off = p;
		a->free[c].cap = cap;
	}
	a->free[c].off[a->free[c].n++] = off;
	return 0;
}

static void punch(struct segalloc *a, uint64_t off, uint64_t len)
{
	if (a->fd >= 0)
		(void)fallocate(a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				(off_t)len);
}

int64_t segalloc_alloc(struct segalloc *a, uint32_t size)
{
	uint32_t s = segalloc_size(size);
	unsigned c, k;
	uint64_t off, aligned;

	if (!s)
		return -ENOMEM;
	c = class_of(s);
	if (a->free[c].n) {
		off = a->free[c].off[--a->free[c].n];
		goto got;
	}
	/* Split a larger free block: keep its first part, free the halves. */
	for (k = c + 1; k < SEGALLOC_CLASSES; k++)
		if (a->free[k].n)
			break;
	if (k < SEGALLOC_CLASSES) {
		off = a->free[k].off[--a->free[k].n];
		while (k > c) {
			k--;
			if (push(a, k, off + ((uint64_t)SEGALLOC_MIN << k)) < 0)
				break; /* the half is lost (see push) */
		}
		goto got;
	}
	/* From the bump pointer, aligned to the size; what alignment skips
	 * goes onto the free lists in the largest aligned pieces. */
	aligned = (a->bump + s - 1) & ~(uint64_t)(s - 1);
	if (aligned + s <= a->end) {
		uint64_t p = a->bump;

		while (p < aligned) {
			uint64_t piece = p & -p; /* largest power of two p is aligned to */

			while (p + piece > aligned)
				piece >>= 1;
			if (piece > (1u << SEGALLOC_MAX_SHIFT))
				piece = 1u << SEGALLOC_MAX_SHIFT;
			(void)push(a, class_of((uint32_t)piece), p);
			p += piece;
		}
		off = aligned;
		a->bump = aligned + s;
		goto got;
	}
	return -ENOMEM;
got:
	a->live++;
	a->live_bytes += s;
	return (int64_t)off;
}

int segalloc_free(struct segalloc *a, uint64_t off, uint32_t size)
{
	uint32_t s = segalloc_size(size);

	if (!s || off < a->start || off + s > a->bump || (off & (s - 1)) || !a->live)
		return -EINVAL;
	punch(a, off, s);
	a->live--;
	a->live_bytes -= s;
	(void)push(a, class_of(s), off);
	return 0;
}
