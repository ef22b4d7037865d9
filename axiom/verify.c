/*
 * verify.c - reading the log from outside the writer: iterators (axnet
 * log, the authorizer's rebuild) and the full check (axnet log verify).
 * Both open the directory read-only and never change a byte.
 */
#include "axiom/axiom.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "axiom/checkpoint.h"
#include "axiom/errmsg.h"
#include "axiom/reader.h"

struct axiom_iter {
	void *store;
	struct axiom_reader *r;
	char err[320];
};


static int open_store(const char *dir, char logdir[PATH_MAX], void **store, char *err,
		      size_t errlen)
{
	int rc;

	if (sodium_init() < 0)
		return axiom_fail(err, errlen, -EIO, "libsodium failed to initialise");
	if ((size_t)snprintf(logdir, PATH_MAX, "%s/axiom", dir) >= PATH_MAX)
		return axiom_fail(err, errlen, -ENAMETOOLONG, "%s: path too long", dir);
	rc = axiom_storage_file.open_dir(NULL, logdir, 0, store);
	if (rc == -ENOENT)
		return axiom_fail(err, errlen, rc, "no log in %s", logdir);
	if (rc < 0)
		return axiom_fail(err, errlen, rc, "%s: %s", logdir, strerror(-rc));
	return 0;
}

int axiom_iter_open(struct axiom_iter **out, const char *dir, uint64_t since_seq, char *err,
		    size_t errlen)
{
	char logdir[PATH_MAX];
	struct axiom_iter *it;
	int rc;

	*out = NULL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return axiom_fail(err, errlen, -ENOMEM, "out of memory");
	rc = open_store(dir, logdir, &it->store, err, errlen);
	if (rc < 0) {
		free(it);
		return rc;
	}
	rc = axiom_reader_open(&it->r, &axiom_storage_file, it->store, since_seq,
			       AXIOM_READER_SHARED);
	if (rc < 0) {
		axiom_storage_file.close_dir(it->store);
		free(it);
		return axiom_fail(err, errlen, rc, "out of memory");
	}
	*out = it;
	return 0;
}

int axiom_iter_next(struct axiom_iter *it, struct axiom_entry *e)
{
	int rc = axiom_reader_next(it->r, e);

	if (rc < 0)
		snprintf(it->err, sizeof(it->err), "%s", it->r->msg);
	return rc;
}

const char *axiom_iter_error(const struct axiom_iter *it)
{
	return it->err;
}

void axiom_iter_close(struct axiom_iter *it)
{
	if (!it)
		return;
	axiom_reader_close(it->r);
	axiom_storage_file.close_dir(it->store);
	free(it);
}

/* --- verify --------------------------------------------------------------- */

/* A checkpoint to hold the log against, and where it came from. */
struct ck_ref {
	struct axiom_checkpoint c;
	char from[48];
};

static int cmp_ck(const void *a, const void *b)
{
	const struct ck_ref *x = a, *y = b;

	return x->c.seq < y->c.seq ? -1 : x->c.seq > y->c.seq;
}

static int report(struct axiom_verify_report *rep, int rc, const char *seg, uint64_t off,
		  uint64_t seq, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int report(struct axiom_verify_report *rep, int rc, const char *seg, uint64_t off,
		  uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->what, sizeof(rep->what), fmt, ap);
	va_end(ap);
	snprintf(rep->segment, sizeof(rep->segment), "%s", seg ? seg : "");
	rep->offset = off;
	rep->seq = seq;
	if (seg && seg[0])
		snprintf(rep->message, sizeof(rep->message),
			 "segment %s offset %" PRIu64 " (seq %" PRIu64 "): %s", seg, off, seq,
			 rep->what);
	else
		snprintf(rep->message, sizeof(rep->message), "%s", rep->what);
	return rc;
}

/* The file's checkpoints and the extra ones, signatures checked, sorted
 * by seq. */
static int load_checkpoints(const char *logdir, const struct axiom_verify_opts *opts,
			    struct ck_ref **out, size_t *nout, struct axiom_verify_report *rep)
{
	struct axiom_checkpoint *file = NULL;
	uint8_t pk[AXIOM_PUBKEY_SIZE];
	size_t nfile = 0, nextra = opts ? opts->ncheckpoints : 0, n, i;
	struct ck_ref *v;
	char msg[300];
	int rc;

	*out = NULL;
	*nout = 0;
	rc = axiom_checkpoints_load(logdir, &file, &nfile, msg, sizeof(msg));
	if (rc < 0)
		return report(rep, rc, NULL, 0, 0, "%s", msg);
	n = nfile + nextra;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v) {
		free(file);
		return report(rep, -ENOMEM, NULL, 0, 0, "out of memory");
	}
	for (i = 0; i < nfile; i++) {
		v[i].c = file[i];
		snprintf(v[i].from, sizeof(v[i].from), "checkpoints line %zu", i + 1);
	}
	free(file);
	for (i = 0; i < nextra; i++) {
		snprintf(v[nfile + i].from, sizeof(v[nfile + i].from), "given checkpoint %zu", i + 1);
		if (axiom_checkpoint_parse(opts->checkpoints[i], &v[nfile + i].c) < 0) {
			free(v);
			return report(rep, -EINVAL, NULL, 0, 0, "given checkpoint %zu: not a "
				      "checkpoint line", i + 1);
		}
	}
	if (opts && opts->pubkey) {
		memcpy(pk, opts->pubkey, sizeof(pk));
	} else if ((rc = axiom_pubkey_load(logdir, pk)) < 0) {
		free(v);
		return report(rep, rc, NULL, 0, 0, "cannot check checkpoints: %s/%s: %s", logdir,
			      AXIOM_PUBKEY_FILE, rc == -EINVAL ? "not a public key" : strerror(-rc));
	}
	for (i = 0; i < n; i++) {
		if (axiom_checkpoint_check_sig(&v[i].c, pk) < 0) {
			rc = report(rep, -EKEYREJECTED, NULL, 0, v[i].c.seq, "%s (seq %" PRIu64
				    "): bad checkpoint signature", v[i].from, v[i].c.seq);
			free(v);
			return rc;
		}
	}
	qsort(v, n, sizeof(*v), cmp_ck);
	*out = v;
	*nout = n;
	return 0;
}

int axiom_verify(const char *dir, const struct axiom_verify_opts *opts,
		 struct axiom_verify_report *rep)
{
	static const uint8_t zero[AXIOM_HASH_SIZE];
	struct axiom_reader *r = NULL;
	struct ck_ref *ck = NULL;
	char logdir[PATH_MAX];
	struct axiom_entry e;
	void *store = NULL;
	size_t nck = 0, j = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = open_store(dir, logdir, &store, rep->what, sizeof(rep->what));
	if (rc < 0)
		return report(rep, rc, NULL, 0, 0, "%s", rep->what);
	/* Checkpoints before entries: one appended while we scan covers
	 * entries that were there before it was signed, so we see them. The
	 * other way round, it could point past what we scanned. */
	rc = load_checkpoints(logdir, opts, &ck, &nck, rep);
	if (rc < 0)
		goto out;
	for (; j < nck && ck[j].c.seq == 0; j++) {
		if (memcmp(ck[j].c.head, zero, sizeof(zero)) != 0) {
			rc = report(rep, -ESTALE, NULL, 0, 0, "%s: seq 0 with a nonzero head",
				    ck[j].from);
			goto out;
		}
		rep->checkpoints++;
	}
	rc = axiom_reader_open(&r, &axiom_storage_file, store, 1, AXIOM_READER_SHARED);
	if (rc < 0) {
		report(rep, rc, NULL, 0, 0, "out of memory");
		goto out;
	}
	while ((rc = axiom_reader_next(r, &e)) > 0) {
		rep->entries = e.seq;
		memcpy(rep->head, e.hash, sizeof(rep->head));
		for (; j < nck && ck[j].c.seq == e.seq; j++) {
			if (memcmp(ck[j].c.head, e.hash, AXIOM_HASH_SIZE) != 0) {
				rc = report(rep, -ESTALE, e.segment, e.offset, e.seq,
					    "hash differs from %s: the log was rewritten",
					    ck[j].from);
				goto out;
			}
			rep->checkpoints++;
		}
	}
	rep->segments = r->nsegs;
	if (rc < 0) {
		report(rep, rc, r->err_seg, r->err_off, r->err_seq, "%s", r->err_what);
		goto out;
	}
	if (r->torn) {
		snprintf(rep->torn_segment, sizeof(rep->torn_segment), "%s",
			 axiom_reader_segment(r));
		rep->torn_offset = r->torn_off;
		rep->torn_bytes = r->torn_bytes;
		snprintf(rep->torn_what, sizeof(rep->torn_what), "%s", r->torn_what);
	}
	if (j < nck) {
		rc = report(rep, -ESTALE, NULL, 0, ck[j].c.seq, "%s covers seq %" PRIu64 " but the "
			    "log has %" PRIu64 " entries: committed entries are missing",
			    ck[j].from, ck[j].c.seq, rep->entries);
		goto out;
	}
	rc = 0;
out:
	axiom_reader_close(r);
	free(ck);
	axiom_storage_file.close_dir(store);
	return rc;
}
