/*
 * fuzz_axiom_record.c - libFuzzer target for Axiom's readers: the record
 * decoder on its own, the checkpoint line parser, and the segment scan
 * under recovery, iteration and verify, over segments served from memory
 * (no file, no sync, nothing kept between inputs).
 *
 * The input's first byte steers:
 *
 *   bits 0-1  segments - 1 (one to four)
 *   bit 2     fix up before scanning: segment headers get their magic,
 *             version, size and CRC, and records - laid out by their own
 *             length fields - their magic, no flags, a length that fits
 *             and a right CRC, so the fuzzer gets past the CRCs to the
 *             seq and chain checks
 *   bit 3     with bit 2, also give them the right seqs and prev hashes,
 *             segment headers included: a valid log
 *   bit 4     scan as a reader beside a running writer would
 *             (AXIOM_READER_SHARED)
 *
 * The second byte is K: fix-ups stop at the K-th record of the input
 * (counting across segments), so a valid log can end in, or be broken
 * by, the fuzzer's own bytes. Then, for every segment but the last, two
 * bytes of little-endian length; the segments' bytes follow, the last
 * taking what is left. A segment is named by its header's first seq when
 * that decodes (and is not taken), else by its position.
 *
 * Beyond "no crash, no sanitizer report", it checks: a decoded record
 * re-encodes to the same bytes and hashes the same; a checkpoint line
 * that parses formats back to an equivalent one; the scan returns
 * consecutive seqs, records inside their segment, a torn tail that ends
 * at the end of the last segment, a message with every error; and a
 * read-only axiom_open() over the same segments agrees with the scan on
 * the outcome and the head.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "axiom/axiom.h"
#include "axiom/checkpoint.h"
#include "axiom/reader.h"
#include "axiom/record.h"

/* The Makefile builds with plain -fsanitize=undefined, which reports and
 * carries on: make a UBSan report a crash the fuzzer keeps. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define MAX_SEGS 4

struct mem_seg {
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t *data;
	size_t len;
};

static struct mem_store {
	struct mem_seg seg[MAX_SEGS];
	size_t n;
} M;

/* --- segments from memory: read-only storage ops ----------------------------- */

static int mem_open_dir(void *arg, const char *dir, int writable, void **store)
{
	(void)arg;
	(void)dir;
	if (writable)
		return -EROFS;
	*store = &M;
	return 0;
}

static void mem_close_dir(void *store)
{
	(void)store;
}

static int mem_list(void *store, char ***names, size_t *n)
{
	struct mem_store *s = store;
	char **v = calloc(s->n ? s->n : 1, sizeof(*v));
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		v[i] = strdup(s->seg[i].name);
		if (!v[i]) {
			axiom_storage_free_names(v, i);
			return -ENOMEM;
		}
	}
	*names = v;
	*n = s->n;
	return 0;
}

static int mem_open(void *store, const char *name, int writable, void **file)
{
	struct mem_store *s = store;
	size_t i;

	if (writable)
		return -EROFS;
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->seg[i].name, name) == 0) {
			*file = &s->seg[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int mem_create(void *store, const char *name, const void *data, size_t len, void **file)
{
	(void)store, (void)name, (void)data, (void)len, (void)file;
	return -EROFS;
}

static int mem_size(void *file, uint64_t *size)
{
	*size = ((struct mem_seg *)file)->len;
	return 0;
}

static ssize_t mem_pread(void *file, void *buf, size_t len, uint64_t off)
{
	struct mem_seg *f = file;

	if (off >= f->len)
		return 0;
	if (len > f->len - off)
		len = (size_t)(f->len - off);
	memcpy(buf, f->data + off, len);
	return (ssize_t)len;
}

static int mem_pwrite(void *file, const void *buf, size_t len, uint64_t off)
{
	(void)file, (void)buf, (void)len, (void)off;
	return -EROFS;
}

static int mem_datasync(void *file)
{
	(void)file;
	return -EROFS;
}

static int mem_truncate(void *file, uint64_t len)
{
	(void)file, (void)len;
	return -EROFS;
}

static void mem_close(void *file)
{
	(void)file;
}

static const struct axiom_storage_ops mem_ops = {
	.open_dir = mem_open_dir,
	.close_dir = mem_close_dir,
	.list = mem_list,
	.open = mem_open,
	.create = mem_create,
	.size = mem_size,
	.pread = mem_pread,
	.pwrite = mem_pwrite,
	.datasync = mem_datasync,
	.truncate = mem_truncate,
	.close = mem_close,
};

/* --- checks ------------------------------------------------------------------- */

/* A broken invariant: say which (the line), then abort for libFuzzer. */
#define check(ok) check_at((ok), __LINE__)
static void check_at(int ok, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz_axiom_record: invariant at line %d broken\n", line);
		abort();
	}
}

static void fuzz_decoder(const uint8_t *data, size_t size)
{
	static uint8_t out[AXIOM_REC_MAX_SIZE];
	struct axiom_record r;
	uint8_t h1[32], h2[32];
	int n = axiom_decode_record(data, size, &r, NULL);

	check(n <= 0 || ((size_t)n <= size && n == (int)axiom_rec_size(r.len) &&
			 r.len <= AXIOM_PAYLOAD_MAX && r.payload == data + AXIOM_REC_HDR_SIZE));
	if (n <= 0)
		return;
	/* Same fields, same bytes (but the CRC, which also covers padding
	 * that encoding zeroes), same hash. */
	axiom_encode_record(out, &r, h1);
	axiom_record_hash(data, h2);
	check(memcmp(out, data, 4) == 0);
	check(memcmp(out + 8, data + 8, AXIOM_REC_HDR_SIZE - 8 + r.len) == 0);
	check(memcmp(h1, h2, 32) == 0);
}

static void fuzz_checkpoint_line(const uint8_t *data, size_t size)
{
	char line[AXIOM_CKPT_LINE_MAX + 64], again[AXIOM_CKPT_LINE_MAX];
	struct axiom_checkpoint c, d;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (axiom_checkpoint_parse(line, &c) < 0)
		return;
	axiom_checkpoint_format(&c, again);
	check(axiom_checkpoint_parse(again, &d) == 0);
	check(memcmp(&c, &d, sizeof(c)) == 0);
}

/* --- building the segments -------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* The fix-ups of bits 2 and 3 (see the top). */
static void fix_up(int chain, unsigned int limit)
{
	uint8_t prev[AXIOM_HASH_SIZE] = { 0 };
	uint64_t next_seq = 1, first;
	unsigned int rec = 0;
	size_t i;

	for (i = 0; i < M.n; i++) {
		struct mem_seg *s = &M.seg[i];
		uint8_t hdrprev[AXIOM_HASH_SIZE];
		uint64_t off = AXIOM_SEG_HDR_SIZE;
		const char *why;

		if (s->len < AXIOM_SEG_HDR_SIZE || rec >= limit)
			return;
		if (chain) {
			axiom_encode_seg_hdr(s->data, next_seq, prev);
		} else {
			memcpy(&first, s->data + 16, 8);
			memcpy(hdrprev, s->data + 24, 32);
			axiom_encode_seg_hdr(s->data, le64toh(first), hdrprev);
		}
		check(axiom_decode_seg_hdr(s->data, s->len, &first, hdrprev, &why) == 0);
		while (off + AXIOM_REC_HDR_SIZE <= s->len && rec < limit) {
			uint8_t *p = s->data + off;
			uint64_t room = s->len - off - AXIOM_REC_HDR_SIZE;
			struct axiom_record r;
			uint32_t len = get32(p + 28);

			if (room > AXIOM_PAYLOAD_MAX)
				room = AXIOM_PAYLOAD_MAX;
			len = (uint32_t)(len % (room + 1));
			put32(p, AXIOM_REC_MAGIC);
			put32(p + 28, len);
			memset(p + 26, 0, 2); /* flags */
			if (axiom_rec_size(len) > s->len - off)
				break; /* the padding would not fit: leave it torn */
			/* Decode the header fields, then write the record back
			 * with its CRC (and chain) made right. */
			memcpy(&r.seq, p + 8, 8);
			r.seq = le64toh(r.seq);
			memcpy(&r.ts_ns, p + 16, 8);
			r.ts_ns = le64toh(r.ts_ns);
			memcpy(&r.type, p + 24, 2);
			r.type = le16toh(r.type);
			r.flags = 0;
			r.len = len;
			memcpy(r.prev_hash, p + 32, 32);
			r.payload = p + AXIOM_REC_HDR_SIZE;
			if (chain) {
				r.seq = next_seq++;
				memcpy(r.prev_hash, prev, 32);
			}
			axiom_encode_record(p, &r, prev);
			off += axiom_rec_size(len);
			rec++;
		}
	}
}

static void name_segments(void)
{
	size_t i, j;

	for (i = 0; i < M.n; i++) {
		uint8_t prev[AXIOM_HASH_SIZE];
		uint64_t first;
		int taken = 0;

		if (axiom_decode_seg_hdr(M.seg[i].data, M.seg[i].len, &first, prev, NULL) < 0)
			first = 1 + i * 1000000;
		axiom_seg_name(M.seg[i].name, first);
		for (j = 0; j < i; j++)
			taken |= strcmp(M.seg[j].name, M.seg[i].name) == 0;
		if (taken)
			axiom_seg_name(M.seg[i].name, 1 + i * 1000000 + 999999);
	}
}

/* --- the scan ---------------------------------------------------------------------- */

/* Recovery's reports of torn tails: expected here, not worth printing. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void scan(unsigned int flags)
{
	struct axiom_config cfg = {
		.dir = "/nonexistent", /* the storage ignores it */
		.storage = &mem_ops,
		.log = quiet,
		.read_only = 1,
	};
	struct axiom_reader *r;
	struct axiom_entry e;
	struct axiom *ax;
	uint64_t last = 0, head = 0;
	char err[320];
	int rc, orc;

	if (axiom_reader_open(&r, &mem_ops, &M, 0, flags) < 0)
		return;
	while ((rc = axiom_reader_next(r, &e)) > 0) {
		struct mem_seg *s = NULL;
		size_t i;

		check(last == 0 || e.seq == last + 1);
		last = e.seq;
		for (i = 0; i < M.n; i++)
			if (strcmp(M.seg[i].name, e.segment) == 0)
				s = &M.seg[i];
		check(s && e.offset >= AXIOM_SEG_HDR_SIZE &&
		      e.offset + axiom_rec_size(e.len) <= s->len);
	}
	check(rc <= 0);
	if (rc < 0)
		check(r->msg[0] != '\0' && r->err == rc);
	if (rc == 0 && r->torn)
		check(r->nsegs && r->torn_off >= AXIOM_SEG_HDR_SIZE && r->torn_bytes &&
		      r->torn_off + r->torn_bytes == M.seg[M.n - 1].len);
	if (r->started)
		head = r->next_seq - 1;
	/* Recovery, read-only, sees the same log. */
	orc = axiom_open(&ax, &cfg, err, sizeof(err));
	check((orc < 0) == (rc < 0));
	if (orc == 0) {
		check(axiom_head_seq(ax) == head);
		axiom_close(ax);
	}
	axiom_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *copy;
	static size_t cap;
	size_t nseg, i, pos, lens[MAX_SEGS];
	unsigned int steer, limit;

	fuzz_decoder(data, size);
	fuzz_checkpoint_line(data, size);
	if (size < 2)
		return 0;
	steer = data[0];
	limit = data[1];
	nseg = (steer & 3) + 1;
	pos = 2 + 2 * (nseg - 1);
	if (size < pos)
		return 0;
	for (i = 0; i + 1 < nseg; i++)
		lens[i] = (size_t)data[2 + 2 * i] | (size_t)data[3 + 2 * i] << 8;
	/* One private, writable copy of the segment bytes (fix-ups write),
	 * reused across inputs. */
	if (!copy || size - pos > cap) {
		free(copy);
		cap = size - pos > 4096 ? size - pos : 4096;
		copy = malloc(cap);
		if (!copy) {
			cap = 0;
			return 0;
		}
	}
	memcpy(copy, data + pos, size - pos);
	memset(&M, 0, sizeof(M));
	for (i = 0, pos = 0; i < nseg; i++) {
		size_t rest = (size - (2 + 2 * (nseg - 1))) - pos;
		size_t len = i + 1 < nseg ? (lens[i] < rest ? lens[i] : rest) : rest;

		M.seg[i].data = copy + pos;
		M.seg[i].len = len;
		pos += len;
	}
	M.n = nseg;
	if (steer & 4)
		fix_up(!!(steer & 8), limit ? limit : 256);
	name_segments();
	scan(steer & 16 ? AXIOM_READER_SHARED : 0);
	return 0;
}
