/*
 * record.h - encoding and decoding of Axiom records and segment headers
 * (layouts in format.h). Pure functions over memory: no I/O, no state,
 * thread-safe; the fuzz target drives axiom_decode_record() directly.
 */
#ifndef AXIOM_RECORD_H
#define AXIOM_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "axiom/format.h"

/* A record's fields in host order. payload points into the buffer it was
 * decoded from (or, for encoding, the caller's bytes). */
struct axiom_record {
	uint64_t seq;
	uint64_t ts_ns;
	uint16_t type;
	uint16_t flags;         /* 0, or AXIOM_REC_F_BATCH | position */
	uint32_t len;
	uint8_t prev_hash[AXIOM_HASH_SIZE];
	const uint8_t *payload;
};

/*
 * Write r as a record at buf, which has room for axiom_rec_size(r->len)
 * bytes (len <= AXIOM_PAYLOAD_MAX: the caller checks). Fills the CRC and
 * the padding; stores the record's hash in hash if not NULL. Returns the
 * bytes written.
 */
size_t axiom_encode_record(uint8_t *buf, const struct axiom_record *r,
			   uint8_t hash[AXIOM_HASH_SIZE]);

/*
 * Decode the record at the start of buf[0..len).
 *
 *   > 0       a whole record, CRC good, that many bytes long (padding
 *             included); *r filled, r->payload points into buf
 *   0         buf ends inside what may still become a record (fewer bytes
 *             than a header, or a sane header whose payload is cut short)
 *   -EBADMSG  not a record: bad magic, length over the limit, unknown
 *             flags, CRC mismatch
 *
 * In the last two cases *why (if why is not NULL) says what, in a few
 * words: "partial header", "partial payload", "zero-filled", "bad magic",
 * "length over the limit", "unknown flags", "crc mismatch".
 * Seq and chain are not checked here: that needs the records before.
 */
int axiom_decode_record(const uint8_t *buf, size_t len, struct axiom_record *r,
			const char **why);

/* SHA-256 over the record's header (crc zeroed) and payload: the hash the
 * next record carries as prev_hash. rec is a record that decoded. */
void axiom_record_hash(const uint8_t *rec, uint8_t hash[AXIOM_HASH_SIZE]);

/* A segment header at buf (AXIOM_SEG_HDR_SIZE bytes). */
void axiom_encode_seg_hdr(uint8_t *buf, uint64_t first_seq,
			  const uint8_t prev_hash[AXIOM_HASH_SIZE]);

/* 0, or -EBADMSG with *why: "short", "bad magic", "unsupported version",
 * "bad header size", "crc mismatch", "nonzero reserved field". */
int axiom_decode_seg_hdr(const uint8_t *buf, size_t len, uint64_t *first_seq,
			 uint8_t prev_hash[AXIOM_HASH_SIZE], const char **why);

/* "00000000000000000042.seg" for 42, into AXIOM_SEG_NAME_SIZE bytes. */
void axiom_seg_name(char name[AXIOM_SEG_NAME_SIZE], uint64_t first_seq);
/* The reverse: 0 and *first_seq, or -EINVAL for any other name. */
int axiom_seg_parse_name(const char *name, uint64_t *first_seq);

#endif /* AXIOM_RECORD_H */
