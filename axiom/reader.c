/*
 * reader.c - the segment scanner, see reader.h and format.h.
 */
#include "axiom/reader.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axiom/opt.h"
#include "axiom/record.h"

_Static_assert(AXIOM_READ_WINDOW >= AXIOM_REC_MAX_SIZE, "a window holds any record");

static const uint8_t zero_hash[AXIOM_HASH_SIZE];

static void pick_start(struct axiom_reader *r);

static int fail(struct axiom_reader *r, int err, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A remote store out of reach (storage.h): the log is not at fault, and
 * a reader beside a writer (AXIOM_READER_SHARED) may go on once it is
 * back. */
static int transient(const struct axiom_reader *r, int err)
{
	return (r->flags & AXIOM_READER_SHARED) && (err == -EAGAIN || err == -ETIMEDOUT);
}

/* Record the first problem and where it is: the segment being read, the
 * offset, and the seq the entry there should have had. Transient errors
 * are said but not kept: the next call tries again from the same place,
 * since nothing is consumed before a read succeeds. */
static int fail(struct axiom_reader *r, int err, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err_what, sizeof(r->err_what), fmt, ap);
	va_end(ap);
	snprintf(r->err_seg, sizeof(r->err_seg), "%s", axiom_reader_segment(r));
	r->err_off = off;
	r->err_seq = r->next_seq;
	if (r->err_seg[0])
		snprintf(r->msg, sizeof(r->msg), "segment %s offset %" PRIu64 " (seq %" PRIu64 "): %s",
			 r->err_seg, off, r->err_seq, r->err_what);
	else
		snprintf(r->msg, sizeof(r->msg), "%s", r->err_what);
	if (!transient(r, err))
		r->err = err;
	return err;
}

/* What went wrong, in the store's words when it has them (a remote
 * store's error(): "etcd 10.1.0.2:2379: etcdserver: no leader"). */
static const char *store_why(const struct axiom_reader *r, int err)
{
	const char *e = r->ops->error ? r->ops->error(r->store) : NULL;

	return e && e[0] ? e : strerror(-err);
}

const char *axiom_reader_segment(const struct axiom_reader *r)
{
	return r->cur < r->nsegs ? r->segs[r->cur].name : "";
}

static int cmp_seg(const void *a, const void *b)
{
	const struct axiom_reader_seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Read the segment names again (new segments appear while a writer
 * runs), keeping our place in the one being read. */
static int relist(struct axiom_reader *r)
{
	struct axiom_reader_seg *v = NULL;
	char **names = NULL;
	size_t n = 0, i, cur;
	int err;

	err = r->ops->list(r->store, &names, &n);
	if (err < 0)
		return fail(r, err, 0, "cannot list the log directory: %s", store_why(r, err));
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v) {
			axiom_storage_free_names(names, n);
			return fail(r, -ENOMEM, 0, "out of memory");
		}
	}
	for (i = 0; i < n; i++) {
		if (axiom_seg_parse_name(names[i], &v[i].first) < 0) {
			err = fail(r, -EUCLEAN, 0, "unexpected file %s in the log directory",
				   names[i]);
			free(v);
			axiom_storage_free_names(names, n);
			return err;
		}
		axiom_seg_name(v[i].name, v[i].first);
	}
	axiom_storage_free_names(names, n);
	if (n)
		qsort(v, n, sizeof(*v), cmp_seg);
	cur = n;
	if (r->cur < r->nsegs) {
		for (cur = 0; cur < n && v[cur].first != r->segs[r->cur].first; cur++)
			;
		if (cur == n) {
			err = fail(r, -EUCLEAN, r->off, "segment disappeared");
			free(v);
			return err;
		}
	}
	free(r->segs);
	r->segs = v;
	r->nsegs = n;
	r->cur = cur;
	return 0;
}

/* A pointer to the bytes at off, with at least need of them in the window
 * when the file has them; *avail says how many there are. */
static int fetch(struct axiom_reader *r, uint64_t off, size_t need, const uint8_t **p,
		 size_t *avail)
{
	ssize_t n;

	if (!(off >= r->win_off && off + need <= r->win_off + r->win_len)) {
		n = r->ops->pread(r->file, r->win, AXIOM_READ_WINDOW, off);
		if (n < 0)
			return fail(r, (int)n, off, "read: %s", store_why(r, (int)n));
		r->win_off = off;
		r->win_len = (size_t)n;
	}
	*p = r->win + (off - r->win_off);
	*avail = (size_t)(r->win_off + r->win_len - off);
	return 0;
}

static void drop_window(struct axiom_reader *r)
{
	r->win_off = 0;
	r->win_len = 0;
}

static int restat(struct axiom_reader *r)
{
	uint64_t size;
	int err = r->ops->size(r->file, &size);

	if (err < 0)
		return fail(r, err, r->off, "cannot stat: %s", store_why(r, err));
	if (size < r->off)
		return fail(r, -EUCLEAN, r->off, "segment shrank to %" PRIu64 " bytes", size);
	r->size = size;
	drop_window(r);
	return 0;
}

static void close_seg(struct axiom_reader *r)
{
	if (r->file)
		r->ops->close(r->file);
	r->file = NULL;
	drop_window(r);
}

static int open_seg(struct axiom_reader *r)
{
	const struct axiom_reader_seg *s = &r->segs[r->cur];
	uint8_t prev[AXIOM_HASH_SIZE];
	const uint8_t *p;
	const char *why = "";
	uint64_t first;
	size_t avail;
	int err;

	r->off = 0;
	err = r->ops->open(r->store, s->name, 0, &r->file);
	if (err < 0) {
		r->file = NULL;
		return fail(r, err, 0, "cannot open: %s", store_why(r, err));
	}
	if ((err = restat(r)) < 0 || (err = fetch(r, 0, AXIOM_SEG_HDR_SIZE, &p, &avail)) < 0) {
		/* Opened again, header and all, at the next try. */
		if (transient(r, err))
			close_seg(r);
		return err;
	}
	if (avail > r->size)
		avail = (size_t)r->size;
	/* Segments appear whole (storage.h: create), so a bad header is
	 * damage even in the last segment. */
	if (axiom_decode_seg_hdr(p, avail, &first, prev, &why) < 0)
		return fail(r, -EBADMSG, 0, "bad segment header: %s", why);
	if (first != s->first)
		return fail(r, -EUCLEAN, 0, "segment header says it starts at seq %" PRIu64, first);
	if (!r->started) {
		if (r->cur == 0 && first != 1)
			return fail(r, -EUCLEAN, 0, "the first segment starts at seq %" PRIu64
				    ", not 1", first);
		if (r->cur == 0 && memcmp(prev, zero_hash, sizeof(prev)) != 0)
			return fail(r, -EUCLEAN, 0, "the first segment has a nonzero prev hash");
		r->next_seq = first;
		memcpy(r->chain, prev, sizeof(prev));
		r->started = 1;
	} else {
		if (first != r->next_seq)
			return fail(r, -EUCLEAN, 0, "seq gap: segment starts at seq %" PRIu64, first);
		if (memcmp(prev, r->chain, sizeof(prev)) != 0)
			return fail(r, -EUCLEAN, 0, "chain break: segment header's prev hash "
				    "is not the hash of entry %" PRIu64, r->next_seq - 1);
	}
	r->off = AXIOM_SEG_HDR_SIZE;
	return 0;
}

enum at { AT_RECORD, AT_END, AT_JUNK };

/* What is at off in the open segment: a record (*rec, its bytes at *p,
 * *size long), the end of the file, or junk (*why). 0 or -errno. */
static int look(struct axiom_reader *r, uint64_t off, enum at *at, struct axiom_record *rec,
		const uint8_t **p, size_t *size, const char **why)
{
	uint64_t rest = r->size - off;
	size_t need, avail;
	int n, err;

	if (rest == 0) {
		*at = AT_END;
		return 0;
	}
	need = rest < AXIOM_REC_MAX_SIZE ? (size_t)rest : AXIOM_REC_MAX_SIZE;
	if ((err = fetch(r, off, need, p, &avail)) < 0)
		return err;
	/* Never past the size we judge by, even if the file grew since. */
	if (avail > rest)
		avail = (size_t)rest;
	n = axiom_decode_record(*p, avail, rec, why);
	if (n > 0) {
		*at = AT_RECORD;
		*size = (size_t)n;
	} else {
		*at = AT_JUNK;
	}
	return 0;
}

/* The offset of the first decodable record at or after pos (stepping by
 * AXIOM_REC_ALIGN) in the open segment, or 0; *rec and *size are that
 * record. Only its CRC is checked: any whole record after junk means the
 * junk was written before something that completed, so it is not the
 * remains of the last write. */
static int next_record(struct axiom_reader *r, uint64_t pos, uint64_t *found,
		       struct axiom_record *rec, int *size)
{
	const uint8_t *p;
	size_t avail;
	int err;

	*found = 0;
	for (; pos + AXIOM_REC_HDR_SIZE <= r->size; pos += AXIOM_REC_ALIGN) {
		uint64_t rest = r->size - pos;
		size_t need = rest < AXIOM_REC_MAX_SIZE ? (size_t)rest : AXIOM_REC_MAX_SIZE;
		uint32_t magic;

		if ((err = fetch(r, pos, need, &p, &avail)) < 0)
			return err;
		if (avail > rest)
			avail = (size_t)rest;
		if (avail < 4)
			break;
		memcpy(&magic, p, 4);
		if (le32toh(magic) != AXIOM_REC_MAGIC)
			continue;
		if ((*size = axiom_decode_record(p, avail, rec, NULL)) > 0) {
			*found = pos;
			return 0;
		}
	}
	return 0;
}

/*
 * Junk at off, then decodable records: is it all one write that never
 * finished (torn), or damage? Only entries up to the last fdatasync were
 * promised, and each record says where its write began (format.h). So it
 * is a torn write when every decodable record after off belongs to a write
 * that began at or before the entry expected at off (r->next_seq): then
 * the junk and those records are the pages of the last write, which a
 * power cut let reach the disk in any order. A record without the flag
 * (an older writer) or of a later write means something after the junk
 * was written once the junk's write had been synced: damage.
 * BUG (fixed): junk followed by any record with a good CRC was called
 * damage, so a restart after a power cut refused a valid log.
 */
static int torn_write_after(struct axiom_reader *r, uint64_t off, int *torn)
{
	struct axiom_record rec;
	uint64_t pos = off + AXIOM_REC_ALIGN, start;
	int n, err;

	*torn = 0;
	for (;;) {
		if ((err = next_record(r, pos, &pos, &rec, &n)) < 0)
			return err;
		if (!pos)
			break;
		if (!(rec.flags & AXIOM_REC_F_BATCH) || rec.seq <= r->next_seq)
			return 0;
		start = rec.seq - (rec.flags & AXIOM_REC_BATCH_POS_MAX);
		if (start > r->next_seq)
			return 0;
		pos += (uint64_t)n;
	}
	*torn = 1;
	return 0;
}

/* Look again before judging: with a writer at work, the file may have
 * grown, a segment may have been added, and bytes read a moment ago may
 * have been half-written then. */
static int refresh(struct axiom_reader *r)
{
	int err;

	if (r->cur + 1 >= r->nsegs && (err = relist(r)) < 0)
		return err;
	return r->file ? restat(r) : 0;
}

int axiom_reader_next(struct axiom_reader *r, struct axiom_entry *e)
{
	int refreshed = 0, rechecked = 0, torn_write, vsize;
	struct axiom_record rec;
	const uint8_t *p;
	const char *why = "";
	uint64_t valid;
	size_t size = 0;
	enum at at;
	int err;

	for (;;) {
		if (r->err)
			return r->err;
		if (!r->file) {
			if (r->cur >= r->nsegs) {
				/* No segment at all (yet). */
				if (!(r->flags & AXIOM_READER_SHARED) || refreshed)
					return 0;
				if ((err = relist(r)) < 0)
					return err;
				refreshed = 1;
				pick_start(r);
				continue;
			}
			if ((err = open_seg(r)) < 0)
				return err;
		}
		if ((err = look(r, r->off, &at, &rec, &p, &size, &why)) < 0)
			return err;
		if (at == AT_RECORD) {
			/* The CRC is good, so this is what some writer wrote:
			 * a wrong seq or prev hash is never a torn write. */
			if (rec.seq != r->next_seq)
				return fail(r, -EUCLEAN, r->off, "seq gap (found seq %" PRIu64 ")",
					    rec.seq);
			if (memcmp(rec.prev_hash, r->chain, AXIOM_HASH_SIZE) != 0)
				return fail(r, -EUCLEAN, r->off, "chain break (prev hash is not the "
					    "hash of entry %" PRIu64 ")", r->next_seq - 1);
			e->seq = rec.seq;
			e->ts_ns = rec.ts_ns;
			e->type = rec.type;
			e->len = rec.len;
			e->payload = rec.payload;
			memcpy(e->prev_hash, rec.prev_hash, AXIOM_HASH_SIZE);
			axiom_record_hash(p, e->hash);
			e->segment = r->segs[r->cur].name;
			e->offset = r->off;
			r->off += size;
			r->next_seq++;
			memcpy(r->chain, e->hash, AXIOM_HASH_SIZE);
			r->torn = 0;
			if (e->seq >= r->since)
				return 1;
			continue;
		}
		if ((r->flags & AXIOM_READER_SHARED) && !refreshed) {
			if ((err = refresh(r)) < 0)
				return err;
			refreshed = 1;
			continue;
		}
		if (at == AT_END) {
			if (r->cur + 1 < r->nsegs) {
				close_seg(r);
				r->cur++;
				refreshed = 0;
				continue;
			}
			r->torn = 0;
			return 0;
		}
		/* Junk. A segment with a successor was finished before the
		 * successor was made, so only the last can hold a write that
		 * was cut short. */
		if (r->cur + 1 < r->nsegs)
			return fail(r, -EBADMSG, r->off, "%s", why);
		if ((err = next_record(r, r->off + AXIOM_REC_ALIGN, &valid, &rec, &vsize)) < 0)
			return err;
		if (valid) {
			if ((r->flags & AXIOM_READER_SHARED) && !rechecked) {
				/* The junk may have been a record being
				 * written when we read it: read it again. */
				drop_window(r);
				rechecked = 1;
				continue;
			}
			if ((err = torn_write_after(r, r->off, &torn_write)) < 0)
				return err;
			if (!torn_write)
				return fail(r, -EBADMSG, r->off, "%s, followed by a valid record "
					    "at offset %" PRIu64, why, valid);
		}
		r->torn = 1;
		r->torn_off = r->off;
		r->torn_bytes = r->size - r->off;
		r->torn_what = why;
		return 0;
	}
}

/* Before the first segment is opened: start at the last segment that
 * begins at or before since. From the start (since 0 or 1) it is always
 * the first segment, whatever its name says: a segment named for seq 0
 * must be met and refused, not skipped.
 * BUG (fixed, found by fuzz_axiom_record): with since 1, a bogus segment
 * 0 followed by a segment 1 was skipped, so recovery (which reads from 1)
 * accepted a log the reader and `axnet log verify` refused. */
static void pick_start(struct axiom_reader *r)
{
	size_t i;

	if (!r->nsegs)
		return;
	for (i = 0; r->since > 1 && i + 1 < r->nsegs && r->segs[i + 1].first <= r->since; i++)
		;
	r->cur = i;
}

int axiom_reader_open(struct axiom_reader **out, const struct axiom_storage_ops *ops,
		      void *store, uint64_t since, unsigned int flags)
{
	struct axiom_reader *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->win = malloc(AXIOM_READ_WINDOW);
	if (!r->win) {
		free(r);
		return -ENOMEM;
	}
	r->ops = ops;
	r->store = store;
	r->flags = flags;
	r->since = since;
	r->next_seq = 1;
	if (relist(r) == 0)
		pick_start(r);
	*out = r;
	return 0;
}

void axiom_reader_close(struct axiom_reader *r)
{
	if (!r)
		return;
	close_seg(r);
	free(r->segs);
	free(r->win);
	free(r);
}
