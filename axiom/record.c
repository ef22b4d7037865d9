/*
 * record.c - see record.h and format.h.
 */
#include "axiom/record.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "axiom/crc32c.h"

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

#define REC_OFF(f) offsetof(struct axiom_rec_hdr, f)
#define SEG_OFF(f) offsetof(struct axiom_seg_hdr, f)

/* The header as hashed and CRC'd: the crc field reads as zero. */
static void header_for_digest(uint8_t out[AXIOM_REC_HDR_SIZE], const uint8_t *rec)
{
	memcpy(out, rec, AXIOM_REC_HDR_SIZE);
	memset(out + REC_OFF(crc), 0, 4);
}

static void hash_parts(const uint8_t *hdr, const uint8_t *payload, uint32_t len,
		       uint8_t hash[AXIOM_HASH_SIZE])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hdr, AXIOM_REC_HDR_SIZE);
	if (len)
		crypto_hash_sha256_update(&st, payload, len);
	crypto_hash_sha256_final(&st, hash);
}

size_t axiom_encode_record(uint8_t *buf, const struct axiom_record *r,
			   uint8_t hash[AXIOM_HASH_SIZE])
{
	size_t size = (size_t)axiom_rec_size(r->len);
	size_t pad = size - AXIOM_REC_HDR_SIZE - r->len;
	uint32_t crc;

	put32(buf + REC_OFF(magic), AXIOM_REC_MAGIC);
	put32(buf + REC_OFF(crc), 0);
	put64(buf + REC_OFF(seq), r->seq);
	put64(buf + REC_OFF(ts_ns), r->ts_ns);
	put16(buf + REC_OFF(type), r->type);
	put16(buf + REC_OFF(flags), r->flags);
	put32(buf + REC_OFF(len), r->len);
	memcpy(buf + REC_OFF(prev_hash), r->prev_hash, AXIOM_HASH_SIZE);
	if (r->len)
		memmove(buf + AXIOM_REC_HDR_SIZE, r->payload, r->len);
	memset(buf + AXIOM_REC_HDR_SIZE + r->len, 0, pad);
	/* Both digests see the crc field as zero: hash first, then fill it. */
	if (hash)
		hash_parts(buf, buf + AXIOM_REC_HDR_SIZE, r->len, hash);
	crc = axiom_crc32c(0, buf, size);
	put32(buf + REC_OFF(crc), crc);
	return size;
}

static int set_why(const char **why, const char *what)
{
	if (why)
		*why = what;
	return 0;
}

int axiom_decode_record(const uint8_t *buf, size_t len, struct axiom_record *r,
			const char **why)
{
	uint8_t hdr[AXIOM_REC_HDR_SIZE];
	uint32_t plen, crc;
	uint64_t size;
	uint16_t flags;
	size_t i;

	if (len < 4) {
		/* Too short to tell: nothing here yet or a cut header. */
		for (i = 0; i < len && buf[i] == 0; i++)
			;
		set_why(why, len && i == len ? "zero-filled" : "partial header");
		return 0;
	}
	if (get32(buf + REC_OFF(magic)) != AXIOM_REC_MAGIC) {
		size_t n = len < AXIOM_REC_HDR_SIZE ? len : AXIOM_REC_HDR_SIZE;

		for (i = 0; i < n && buf[i] == 0; i++)
			;
		set_why(why, i == n ? "zero-filled" : "bad magic");
		return -EBADMSG;
	}
	if (len < AXIOM_REC_HDR_SIZE) {
		set_why(why, "partial header");
		return 0;
	}
	plen = get32(buf + REC_OFF(len));
	if (plen > AXIOM_PAYLOAD_MAX) {
		set_why(why, "length over the limit");
		return -EBADMSG;
	}
	flags = get16(buf + REC_OFF(flags));
	if (flags && !(flags & AXIOM_REC_F_BATCH)) {
		set_why(why, "unknown flags");
		return -EBADMSG;
	}
	size = axiom_rec_size(plen);
	if (len < size) {
		set_why(why, "partial payload");
		return 0;
	}
	header_for_digest(hdr, buf);
	crc = axiom_crc32c(0, hdr, sizeof(hdr));
	crc = axiom_crc32c(crc, buf + AXIOM_REC_HDR_SIZE, (size_t)size - AXIOM_REC_HDR_SIZE);
	if (crc != get32(buf + REC_OFF(crc))) {
		set_why(why, "crc mismatch");
		return -EBADMSG;
	}
	r->seq = get64(buf + REC_OFF(seq));
	r->ts_ns = get64(buf + REC_OFF(ts_ns));
	r->type = get16(buf + REC_OFF(type));
	r->flags = flags;
	r->len = plen;
	memcpy(r->prev_hash, buf + REC_OFF(prev_hash), AXIOM_HASH_SIZE);
	r->payload = buf + AXIOM_REC_HDR_SIZE;
	return (int)size;
}

void axiom_record_hash(const uint8_t *rec, uint8_t hash[AXIOM_HASH_SIZE])
{
	uint8_t hdr[AXIOM_REC_HDR_SIZE];

	header_for_digest(hdr, rec);
	hash_parts(hdr, rec + AXIOM_REC_HDR_SIZE, get32(rec + REC_OFF(len)), hash);
}

void axiom_encode_seg_hdr(uint8_t *buf, uint64_t first_seq,
			  const uint8_t prev_hash[AXIOM_HASH_SIZE])
{
	memcpy(buf + SEG_OFF(magic), AXIOM_SEG_MAGIC, 8);
	put32(buf + SEG_OFF(version), AXIOM_FORMAT_VERSION);
	put32(buf + SEG_OFF(hdr_size), AXIOM_SEG_HDR_SIZE);
	put64(buf + SEG_OFF(first_seq), first_seq);
	memcpy(buf + SEG_OFF(prev_hash), prev_hash, AXIOM_HASH_SIZE);
	put32(buf + SEG_OFF(crc), 0);
	put32(buf + SEG_OFF(reserved), 0);
	put32(buf + SEG_OFF(crc), axiom_crc32c(0, buf, AXIOM_SEG_HDR_SIZE));
}

int axiom_decode_seg_hdr(const uint8_t *buf, size_t len, uint64_t *first_seq,
			 uint8_t prev_hash[AXIOM_HASH_SIZE], const char **why)
{
	uint8_t hdr[AXIOM_SEG_HDR_SIZE];

	if (len < AXIOM_SEG_HDR_SIZE) {
		set_why(why, "short");
		return -EBADMSG;
	}
	if (memcmp(buf + SEG_OFF(magic), AXIOM_SEG_MAGIC, 8) != 0) {
		set_why(why, "bad magic");
		return -EBADMSG;
	}
	memcpy(hdr, buf, sizeof(hdr));
	memset(hdr + SEG_OFF(crc), 0, 4);
	if (axiom_crc32c(0, hdr, sizeof(hdr)) != get32(buf + SEG_OFF(crc))) {
		set_why(why, "crc mismatch");
		return -EBADMSG;
	}
	/* Checked after the CRC: a good CRC means these are what a writer
	 * wrote, so a mismatch is a format we do not know, not damage. */
	if (get32(buf + SEG_OFF(version)) != AXIOM_FORMAT_VERSION) {
		set_why(why, "unsupported version");
		return -EBADMSG;
	}
	if (get32(buf + SEG_OFF(hdr_size)) != AXIOM_SEG_HDR_SIZE) {
		set_why(why, "bad header size");
		return -EBADMSG;
	}
	if (get32(buf + SEG_OFF(reserved)) != 0) {
		set_why(why, "nonzero reserved field");
		return -EBADMSG;
	}
	*first_seq = get64(buf + SEG_OFF(first_seq));
	memcpy(prev_hash, buf + SEG_OFF(prev_hash), AXIOM_HASH_SIZE);
	return 0;
}

void axiom_seg_name(char name[AXIOM_SEG_NAME_SIZE], uint64_t first_seq)
{
	snprintf(name, AXIOM_SEG_NAME_SIZE, "%020" PRIu64 ".seg", first_seq);
}

int axiom_seg_parse_name(const char *name, uint64_t *first_seq)
{
	uint64_t v = 0;
	size_t i;

	if (strlen(name) != AXIOM_SEG_NAME_LEN || strcmp(name + 20, ".seg") != 0)
		return -EINVAL;
	for (i = 0; i < 20; i++) {
		unsigned int d;

		if (name[i] < '0' || name[i] > '9')
			return -EINVAL;
		d = (unsigned int)(name[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*first_seq = v;
	return 0;
}
