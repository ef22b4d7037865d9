/*
 * ring.h - a byte ring of power-of-two size, addressed by 32-bit stream
 * offsets so that TCP can map sequence numbers onto it directly.
 *
 * The ring holds bytes [head, head + size) of a stream. `len` of them,
 * from head, are valid; the TCP receive side also writes ahead of len
 * (out-of-order data) at any offset inside the ring. All offsets wrap
 * modulo 2^32 like sequence numbers.
 *
 * The ring does not own its memory: whoever allocated buf (TCP's own
 * allocator, or a layer above through tcp_mem_ops: a program's shared
 * memory) attaches it and frees it after ring_detach(). Nothing here
 * allocates or frees.
 */
#ifndef AX_RING_H
#define AX_RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ring {
	uint8_t *buf;  /* NULL until memory is attached */
	uint32_t size; /* power of two */
	uint32_t head; /* stream offset of buf's first valid byte */
	uint32_t len;  /* valid bytes from head */
};

/* Give the ring mem of r->size bytes (a power of two); head and len
 * stay (the stream offsets set before the memory came). */
static inline void ring_attach(struct ring *r, void *mem)
{
	r->buf = (uint8_t *)mem;
}

/* Take the memory back for its owner to free; the ring is empty. */
static inline void *ring_detach(struct ring *r)
{
	void *mem = r->buf;

	r->buf = NULL;
	r->len = 0;
	return mem;
}

static inline uint32_t ring_space(const struct ring *r)
{
	return r->size - r->len;
}

/* Copy n bytes in at stream offset off (head <= off, off + n <= head +
 * size), without changing len. */
static inline void ring_write_at(struct ring *r, uint32_t off, const void *src,
				 uint32_t n)
{
	uint32_t pos = off & (r->size - 1);
	uint32_t first = r->size - pos < n ? r->size - pos : n;

	memcpy(r->buf + pos, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

/* Copy n bytes out from stream offset off, without consuming them. */
static inline void ring_read_at(const struct ring *r, uint32_t off, void *dst,
				uint32_t n)
{
	uint32_t pos = off & (r->size - 1);
	uint32_t first = r->size - pos < n ? r->size - pos : n;

	memcpy(dst, r->buf + pos, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

/* Append up to n bytes; returns how many fit. */
static inline uint32_t ring_append(struct ring *r, const void *src, uint32_t n)
{
	if (n > ring_space(r))
		n = ring_space(r);
	ring_write_at(r, r->head + r->len, src, n);
	r->len += n;
	return n;
}

/* Drop n bytes from the head. */
static inline void ring_consume(struct ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->head += n;
	r->len -= n;
}

#endif /* AX_RING_H */
