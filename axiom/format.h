/*
 * format.h - Axiom's on-disk format, version 1.
 *
 * All integers are little-endian. The structs below are the exact byte
 * layout (no implicit padding: the static asserts check every offset), but
 * code never writes them with memcpy: record.c converts each field, so a
 * log written on one host reads on any other.
 *
 * Directory <state_dir>/axiom/ holds:
 *
 *   00000000000000000001.seg  segments, each named by the seq of its first
 *                             entry in 20 decimal digits (sorts by name)
 *   key, key.pub              the checkpoint signing key (checkpoint.h)
 *   checkpoints               signed checkpoint lines (checkpoint.h)
 *
 * Segment: a struct axiom_seg_hdr at offset 0, then records back to back
 * from offset AXIOM_SEG_HDR_SIZE. A segment file appears under its name
 * only with its complete header (it is written to NAME.tmp, synced, and
 * renamed; the directory is then synced), so a header is never torn.
 * The writer starts a new segment when the next record would take the
 * current one past the configured size and the current one already holds
 * a record (so a record larger than the segment size still has a home).
 * Only the last segment may hold no record yet.
 *
 * Record: a struct axiom_rec_hdr, then len payload bytes, then zero bytes
 * up to the next multiple of 8, so every record starts 8-byte aligned:
 *
 *   size = AXIOM_REC_HDR_SIZE + align8(len),  len <= AXIOM_PAYLOAD_MAX
 *
 * Integrity, per record (H = the 64 header bytes with crc set to 0):
 *
 *   crc        = CRC32C(H || payload || padding)   torn-write detection
 *   hash       = SHA-256(H || payload)             the chain
 *   prev_hash  = hash of entry seq-1; 32 zero bytes for entry 1
 *
 * and per segment, seg_hdr.prev_hash = hash of the entry before first_seq
 * (zeros for the first segment), seg_hdr.crc = CRC32C of its 64 bytes with
 * crc set to 0. The hash of the last entry is the log's head hash; a log
 * of no entries has a zero head hash.
 *
 * Seqs start at 1 and rise by exactly 1 across records and segments.
 *
 * Flags: 0 (logs written before the flag existed), or AXIOM_REC_F_BATCH
 * with the low 15 bits saying how many records before this one the write
 * it was part of began (0: the first of its write; capped at
 * AXIOM_REC_BATCH_POS_MAX, which only makes the write look shorter). Every
 * record before the first of a write was synced before that write began:
 * seq - pos - 1 is the last entry this record's writer had promised. A
 * reader rejects any other flags.
 *
 * What recovery makes of damage (reader.c): a record that does not decode
 * (cut short, bad magic, zero bytes, bad CRC) in the last segment is a
 * torn tail, the remains of a write that never completed, and is cut off,
 * when nothing after it says it was promised: either no decodable record
 * follows it, or every record that follows belongs to one write that
 * began at or before it (its flags say so), so it and they are the last
 * write, whose pages a power cut let reach the disk in any order (only
 * entries at or before the last fdatasync were promised). Anything else -
 * junk followed by a record of a later write (or one without the flag),
 * junk in any segment but the last, or a record whose CRC is good but
 * whose seq or prev_hash is wrong - is corruption: the log is not opened.
 * So is a "torn tail" that starts at or below the seq of the last signed
 * checkpoint (checkpoint.h): that entry was synced before it was signed,
 * so its damage is not a write cut short.
 */
#ifndef AXIOM_FORMAT_H
#define AXIOM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define AXIOM_FORMAT_VERSION 1u

/* "AXIOMSEG" */
#define AXIOM_SEG_MAGIC "AXIOMSEG"
/* "AXRC" read as a little-endian u32: recognisable in a hex dump, and
 * never zero, so a zero-filled tail never passes for a header. */
#define AXIOM_REC_MAGIC 0x43525841u

/* Record flags: the record says where its write began (see above). */
#define AXIOM_REC_F_BATCH 0x8000u
#define AXIOM_REC_BATCH_POS_MAX 0x7fffu

#define AXIOM_SEG_HDR_SIZE 64u
#define AXIOM_REC_HDR_SIZE 64u
#define AXIOM_HASH_SIZE 32u
#define AXIOM_PAYLOAD_MAX 65536u
#define AXIOM_REC_ALIGN 8u
#define AXIOM_REC_MAX_SIZE (AXIOM_REC_HDR_SIZE + AXIOM_PAYLOAD_MAX)

/* Segment file names: 20 digits and ".seg", plus the NUL. */
#define AXIOM_SEG_NAME_LEN 24u
#define AXIOM_SEG_NAME_SIZE 25u

struct axiom_seg_hdr {
	uint8_t magic[8];            /* AXIOM_SEG_MAGIC, no NUL */
	uint32_t version;            /* AXIOM_FORMAT_VERSION */
	uint32_t hdr_size;           /* AXIOM_SEG_HDR_SIZE */
	uint64_t first_seq;          /* seq of the first record, = the name */
	uint8_t prev_hash[32];       /* hash of entry first_seq - 1 */
	uint32_t crc;                /* CRC32C of these 64 bytes, crc = 0 */
	uint32_t reserved;           /* 0 */
};

struct axiom_rec_hdr {
	uint32_t magic;              /* AXIOM_REC_MAGIC */
	uint32_t crc;                /* CRC32C(H || payload || padding) */
	uint64_t seq;
	uint64_t ts_ns;              /* CLOCK_REALTIME when written */
	uint16_t type;               /* enum axiom_type */
	uint16_t flags;              /* 0 or AXIOM_REC_F_BATCH | pos */
	uint32_t len;                /* payload bytes, <= AXIOM_PAYLOAD_MAX */
	uint8_t prev_hash[32];
};

_Static_assert(sizeof(struct axiom_seg_hdr) == AXIOM_SEG_HDR_SIZE, "segment header size");
_Static_assert(offsetof(struct axiom_seg_hdr, magic) == 0, "seg magic");
_Static_assert(offsetof(struct axiom_seg_hdr, version) == 8, "seg version");
_Static_assert(offsetof(struct axiom_seg_hdr, hdr_size) == 12, "seg hdr_size");
_Static_assert(offsetof(struct axiom_seg_hdr, first_seq) == 16, "seg first_seq");
_Static_assert(offsetof(struct axiom_seg_hdr, prev_hash) == 24, "seg prev_hash");
_Static_assert(offsetof(struct axiom_seg_hdr, crc) == 56, "seg crc");
_Static_assert(offsetof(struct axiom_seg_hdr, reserved) == 60, "seg reserved");

_Static_assert(sizeof(struct axiom_rec_hdr) == AXIOM_REC_HDR_SIZE, "record header size");
_Static_assert(offsetof(struct axiom_rec_hdr, magic) == 0, "rec magic");
_Static_assert(offsetof(struct axiom_rec_hdr, crc) == 4, "rec crc");
_Static_assert(offsetof(struct axiom_rec_hdr, seq) == 8, "rec seq");
_Static_assert(offsetof(struct axiom_rec_hdr, ts_ns) == 16, "rec ts_ns");
_Static_assert(offsetof(struct axiom_rec_hdr, type) == 24, "rec type");
_Static_assert(offsetof(struct axiom_rec_hdr, flags) == 26, "rec flags");
_Static_assert(offsetof(struct axiom_rec_hdr, len) == 28, "rec len");
_Static_assert(offsetof(struct axiom_rec_hdr, prev_hash) == 32, "rec prev_hash");
_Static_assert(AXIOM_SEG_HDR_SIZE % AXIOM_REC_ALIGN == 0, "records start aligned");

/* Bytes a record with a payload of len bytes takes on disk. */
static inline uint64_t axiom_rec_size(uint32_t len)
{
	uint64_t pad = (AXIOM_REC_ALIGN - len % AXIOM_REC_ALIGN) % AXIOM_REC_ALIGN;

	return AXIOM_REC_HDR_SIZE + len + pad;
}

#endif /* AXIOM_FORMAT_H */
