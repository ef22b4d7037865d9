/*
 * fuzz_frag.c - libFuzzer target for reassembly (frag.c): each input is a
 * run of fragments for frag_input(), both families, on a stack that lives
 * across inputs (so queues, dead datagrams, the pool and timeouts see long
 * histories).
 *
 * The input is records of 6 bytes:
 *
 *   byte 0  bit 0     family (0: IPv4, 1: IPv6)
 *           bit 1     M / MF
 *           bits 2-3  source (four; sources 2 and 3 share an IPv6 /64)
 *           bits 4-5  advance the clock by 0, 1 ms, 10 s or 31 s first
 *           bit 6     the l4_filter refuses
 *           bit 7     protocol TCP (else UDP)
 *   byte 1  identification (few values: collisions are the point)
 *   2-3     offset in 8-byte units (13 bits)
 *   4-5     data length (14 bits), the data a fixed pattern
 *
 * Beyond "no crash, no sanitizer report", after every fragment it checks
 * that the pool's books balance (free + used buffers = AX_FRAG_BUFS, each
 * buffer held once), no source holds more than its share, and a
 * reassembled datagram's header says its length and its bytes are the
 * pattern's at their offsets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_netif.h"
#include "net/frag.h"

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const uint64_t step_ms[4] = { 0, 1, 10000, 31000 };

static struct fake_host H;
static int ready, refuse;
static uint8_t pattern[65536 + 64];
static uint8_t hdr[64];

static int l4_filter(void *arg, const struct ip_rx *rx, uint16_t sport, uint16_t dport,
		     int syn)
{
	(void)arg;
	(void)sport;
	(void)dport;
	(void)syn;
	if (rx->l4_len && rx->l4[rx->l4_len - 1] != pattern[rx->l4_len - 1])
		abort();
	return !refuse;
}

static void setup(void)
{
	size_t i;

	if (fake_host_init(&H))
		abort();
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 131 + (i >> 8));
	H.s.l4_filter = l4_filter;
	ready = 1;
}

static struct ip_addr source(unsigned int k, int v6)
{
	struct ip_addr a;

	if (!v6)
		return ip_addr_v4(FAKE_IP(10, 0, 0, 10 + k));
	memset(&a, 0, sizeof(a));
	a.b[0] = 0xfd;
	a.b[7] = (uint8_t)(k < 2 ? k : 2); /* 2 and 3: one /64 */
	a.b[15] = (uint8_t)(k + 1);
	return a;
}

static void check_books(void)
{
	const struct frag_table *t = &H.s.frag;
	unsigned int held[AX_FRAG_BUFS] = { 0 };
	unsigned int i, used = 0;

	if (t->nfree + t->used != AX_FRAG_BUFS)
		abort();
	for (i = 0; i < t->nfree; i++)
		held[t->free_bufs[i]]++;
	for (i = 0; i < AX_FRAG_QUEUES; i++) {
		const struct frag_queue *q = &t->q[i];
		unsigned int j, same = 0;

		if (q->buf < 0)
			continue;
		used++;
		held[q->buf]++;
		for (j = 0; j < AX_FRAG_QUEUES; j++) {
			const struct frag_queue *o = &t->q[j];

			if (o->buf >= 0 && o->family == q->family &&
			    memcmp(o->src.b, q->src.b, q->family == 4 ? 16 : 8) == 0)
				same++;
		}
		if (same > AX_FRAG_PER_SRC)
			abort();
	}
	if (used != t->used)
		abort();
	for (i = 0; i < AX_FRAG_BUFS; i++)
		if (held[i] != 1)
			abort();
}

static void check_rx(const struct ip_rx *rx)
{
	size_t i;

	if (rx->l4 != rx->net + (rx->net_len - rx->l4_len))
		abort();
	if (rx->family == 4) {
		if ((size_t)(rx->net[2] << 8 | rx->net[3]) != rx->net_len || rx->net[6] || rx->net[7])
			abort();
	} else if ((size_t)(rx->net[4] << 8 | rx->net[5]) + 40 != rx->net_len) {
		abort();
	}
	for (i = 0; i < rx->l4_len; i++)
		if (rx->l4[i] != pattern[i])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	for (; size >= 6; data += 6, size -= 6) {
		struct frag_in f;
		struct ip_rx rx;
		int v6 = data[0] & 1;
		size_t len = (size_t)((data[4] << 8 | data[5]) & 0x3fff);

		stack_set_time(&H.s, H.s.now_ns + MS_TO_NS(step_ms[(data[0] >> 4) & 3]));
		refuse = (data[0] >> 6) & 1;
		memset(&f, 0, sizeof(f));
		f.family = v6 ? 6 : 4;
		f.src = source((data[0] >> 2) & 3, v6);
		f.dst = v6 ? source(0, 1) : ip_addr_v4(FAKE_OUR_IP);
		f.dst.b[15] ^= 0x80;
		f.id = data[1] & 7;
		f.offset = (uint32_t)((data[2] << 8 | data[3]) & 0x1fff) * 8;
		f.more = (data[0] >> 1) & 1;
		f.proto = (data[0] & 0x80) ? 6 : 17;
		memset(hdr, 0, sizeof(hdr));
		if (v6) {
			hdr[0] = 0x60;
			hdr[6] = 44;
			f.hdr_len = 40;
			f.nh_off = 6;
		} else {
			hdr[0] = 0x45;
			hdr[9] = f.proto;
			f.hdr_len = 20;
		}
		f.hdr = hdr;
		f.data = pattern + f.offset;
		if (f.offset + len > 65536)
			len = 65536 - f.offset;
		f.len = len;
		if (frag_input(&H.s, &f, &rx))
			check_rx(&rx);
		check_books();
	}
	return 0;
}
