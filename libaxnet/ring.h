/*
 * ring.h - arithmetic on the shared rings (include/axnet/ipc.h): copies in
 * and out across the wrap, iovec cursors, and the UDP record layout.
 * Pure functions of their arguments, no I/O and no allocation, so
 * tests/unit/test_libaxnet_ring.c checks them without a daemon.
 *
 * Indices are 32-bit free-running byte counts; a position is
 * index & (size - 1), size a power of two. Unsigned subtraction gives the
 * bytes between two indices across the 2^32 wrap.
 */
#ifndef AX_LIBAXNET_RING_H
#define AX_LIBAXNET_RING_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "axnet/ipc.h"

/* A walk over an iovec array: the next byte is iov[i].iov_base + off. */
struct ax_iovcur {
	const struct iovec *iov;
	int cnt, i;
	size_t off;
};

static inline void ax_iovcur_init(struct ax_iovcur *c, const struct iovec *iov, int cnt)
{
	c->iov = iov;
	c->cnt = cnt;
	c->i = 0;
	c->off = 0;
}

/* Total bytes of an iovec array; SIZE_MAX when it overflows ssize_t. */
static inline size_t ax_iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - t)
			return SIZE_MAX;
		t += iov[i].iov_len;
	}
	return t;
}

/* Copy n bytes from the cursor to dst (n <= what the cursor holds). */
static inline void ax_iov_to_mem(struct ax_iovcur *c, uint8_t *dst, size_t n)
{
	while (n && c->i < c->cnt) {
		size_t k = c->iov[c->i].iov_len - c->off;
		if (k > n)
			k = n;
		memcpy(dst, (const uint8_t *)c->iov[c->i].iov_base + c->off, k);
		dst += k;
		n -= k;
		c->off += k;
		if (c->off == c->iov[c->i].iov_len) {
			c->i++;
			c->off = 0;
		}
	}
}

/* Copy n bytes from src to the cursor's buffers (n <= their room). */
static inline void ax_mem_to_iov(struct ax_iovcur *c, const uint8_t *src, size_t n)
{
	while (n && c->i < c->cnt) {
		size_t k = c->iov[c->i].iov_len - c->off;
		if (k > n)
			k = n;
		memcpy((uint8_t *)c->iov[c->i].iov_base + c->off, src, k);
		src += k;
		n -= k;
		c->off += k;
		if (c->off == c->iov[c->i].iov_len) {
			c->i++;
			c->off = 0;
		}
	}
}

/* n bytes from the cursor into the ring at index idx, across the wrap. */
static inline void ax_ring_put(uint8_t *ring, uint32_t size, uint32_t idx, struct ax_iovcur *c,
			       uint32_t n)
{
	uint32_t pos = idx & (size - 1), first = size - pos;

	if (first > n)
		first = n;
	ax_iov_to_mem(c, ring + pos, first);
	ax_iov_to_mem(c, ring, n - first);
}

/* n bytes from the ring at index idx to the cursor, across the wrap. */
static inline void ax_ring_get(const uint8_t *ring, uint32_t size, uint32_t idx,
			       struct ax_iovcur *c, uint32_t n)
{
	uint32_t pos = idx & (size - 1), first = size - pos;

	if (first > n)
		first = n;
	ax_mem_to_iov(c, ring + pos, first);
	ax_mem_to_iov(c, ring, n - first);
}

/*
 * UDP tx: where a record of len payload bytes goes when the ring's
 * producer is at prod and its consumer at cons. Returns the bytes prod
 * advances by (a pad up to the ring's end when the record would not fit
 * before it, plus the record), or 0 when there is not that much free
 * space (wait for the daemon to consume). *rec is the record's index;
 * *pad the pad's length in bytes (0 none; < sizeof(struct axipc_dgram):
 * nothing written, the consumer skips it; else a pad record is written
 * at prod).
 */
static inline uint32_t ax_dgram_tx_place(uint32_t size, uint32_t prod, uint32_t cons,
					 uint32_t len, uint32_t *rec, uint32_t *pad)
{
	uint32_t space = AXIPC_DGRAM_SPACE(len), pos = prod & (size - 1), to_end = size - pos;
	uint32_t need = space, free = size - (prod - cons);

	*pad = 0;
	if (space > to_end) {
		*pad = to_end;
		need += to_end;
	}
	if (space > size || need > free)
		return 0;
	*rec = prod + *pad;
	return need;
}

/*
 * UDP rx: the next record between cons and prod (daemon-written; the
 * library trusts its daemon but still never reads outside the ring).
 * Skips pads: returns the bytes to advance cons past pads and the record,
 * with *hdr filled and *payload the payload's index; 0 when the ring holds
 * no record (only pads: *skip says how far to move cons anyway); -1 on a
 * record that does not fit the ring (a broken daemon).
 */
static inline long ax_dgram_rx_next(const uint8_t *ring, uint32_t size, uint32_t cons,
				    uint32_t prod, struct axipc_dgram *hdr, uint32_t *payload,
				    uint32_t *skip)
{
	uint32_t adv = 0;

	*skip = 0;
	while (prod - cons - adv >= 8) {
		uint32_t idx = cons + adv, pos = idx & (size - 1), to_end = size - pos;
		uint32_t avail = prod - cons - adv;

		if (to_end < sizeof(*hdr)) {
			if (avail < to_end)
				return -1;
			adv += to_end;
			continue;
		}
		if (avail < sizeof(*hdr))
			return -1;
		memcpy(hdr, ring + pos, sizeof(*hdr));
		if (hdr->family == AXIPC_DGRAM_PAD) {
			if (avail < to_end)
				return -1;
			adv += to_end;
			continue;
		}
		if (hdr->len > AXIPC_DGRAM_MAX || AXIPC_DGRAM_SPACE(hdr->len) > to_end ||
		    AXIPC_DGRAM_SPACE(hdr->len) > avail)
			return -1;
		*payload = idx + (uint32_t)sizeof(*hdr);
		return adv + AXIPC_DGRAM_SPACE(hdr->len);
	}
	*skip = adv;
	return 0;
}

#endif /* AX_LIBAXNET_RING_H */
