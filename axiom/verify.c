/*
 * verify.c - reading the log from outside the writer: iterators (axnet
 * log, the authorizer's rebuild) and the full check (axnet log verify).
 * Both open the directory read-only and never change a byte.
 */
#include "axiom/axiom.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "axiom/checkpoint.h"
#include "axiom/errmsg.h"
#include "axiom/reader.h"

struct axiom_iter {
	const struct axiom_storage_ops *ops;
	void *store;
	struct axiom_reader *r;
	char err[320];
};

/* Open cfg's store read-only. logdir: dir/axiom ("" without a dir);
 * where: the store's where(), else logdir (in messages). */
static int open_store(const struct axiom_config *cfg, const struct axiom_storage_ops **ops,
		      char logdir[PATH_MAX], char where[PATH_MAX], void **store, char *err,
		      size_t errlen)
{
	sigset_t all, old;
	int rc;

	*ops = cfg->storage ? cfg->storage : &axiom_storage_file;
	logdir[0] = '\0';
	if (sodium_init() < 0)
		return axiom_fail(err, errlen, -EIO, "libsodium failed to initialise");
	if (cfg->dir && cfg->dir[0]) {
		if ((size_t)snprintf(logdir, PATH_MAX, "%s/axiom", cfg->dir) >= PATH_MAX)
			return axiom_fail(err, errlen, -ENAMETOOLONG, "%s: path too long", cfg->dir);
	} else if (!(*ops)->keys_get) {
		/* Its key.pub is in the directory. */
		return axiom_fail(err, errlen, -EINVAL, "no state directory given");
	}
	snprintf(where, PATH_MAX, "%s", logdir[0] ? logdir : "the log store");
	/* No thread a store starts takes the owner's signals (axiom.c). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = (*ops)->open_dir(cfg->storage_arg, logdir[0] ? logdir : NULL, 0, store);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* The store's own word on it (storage.h: error(NULL)). */
	if (rc < 0 && (*ops)->error && (*ops)->error(NULL) && (*ops)->error(NULL)[0])
		return axiom_fail(err, errlen, rc, "%s", (*ops)->error(NULL));
	if (rc == -ENOENT)
		return axiom_fail(err, errlen, rc, "no log in %s", where);
	if (rc < 0)
		return axiom_fail(err, errlen, rc, "%s: %s", where, strerror(-rc));
	if ((*ops)->where && (*ops)->where(*store))
		snprintf(where, PATH_MAX, "%s", (*ops)->where(*store));
	return 0;
}

int axiom_iter_open_cfg(struct axiom_iter **out, const struct axiom_config *cfg, uint64_t since,
			char *err, size_t errlen)
{
	char logdir[PATH_MAX], where[PATH_MAX];
	struct axiom_iter *it;
	int rc;

	*out = NULL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return axiom_fail(err, errlen, -ENOMEM, "out of memory");
	rc = open_store(cfg, &it->ops, logdir, where, &it->store, err, errlen);
	if (rc < 0) {
		free(it);
		return rc;
	}
	rc = axiom_reader_open(&it->r, it->ops, it->store, since, AXIOM_READER_SHARED);
	if (rc < 0) {
		it->ops->close_dir(it->store);
		free(it);
		return axiom_fail(err, errlen, rc, "out of memory");
	}
	*out = it;
	return 0;
}

int axiom_iter_open(struct axiom_iter **out, const char *dir, uint64_t since_seq, char *err,
		    size_t errlen)
{
	struct axiom_config cfg = { .dir = dir };

	if (!dir) {
		*out = NULL;
		return axiom_fail(err, errlen, -EINVAL, "no state directory given");
	}
	return axiom_iter_open_cfg(out, &cfg, since_seq, err, errlen);
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
	it->ops->close_dir(it->store);
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

/* Where checkpoints and keys come from: the files in logdir, or a store
 * with ckpt_load / keys_get. */
struct src {
	const struct axiom_storage_ops *ops;
	void *store;
	const char *logdir;
	const char *where;
};

/* The keys checkpoints must verify under: opts->pubkey alone when given,
 * else the store's list (keys_get), else logdir/key.pub. */
static int load_keys(const struct src *s, const struct axiom_verify_opts *opts,
		     uint8_t (**keys)[AXIOM_PUBKEY_SIZE], size_t *nkeys,
		     struct axiom_verify_report *rep)
{
	char msg[300];
	int rc;

	*keys = NULL;
	*nkeys = 0;
	if (!(opts && opts->pubkey) && s->ops->keys_get) {
		rc = axiom_keys_load_store(s->ops, s->store, s->where, keys, nkeys, msg, sizeof(msg));
		if (rc < 0)
			return report(rep, rc, NULL, 0, 0, "cannot check checkpoints: %s", msg);
		return 0;
	}
	*keys = calloc(1, sizeof(**keys));
	if (!*keys)
		return report(rep, -ENOMEM, NULL, 0, 0, "out of memory");
	*nkeys = 1;
	if (opts && opts->pubkey) {
		memcpy((*keys)[0], opts->pubkey, AXIOM_PUBKEY_SIZE);
	} else if ((rc = axiom_pubkey_load(s->logdir, (*keys)[0])) < 0) {
		free(*keys);
		*keys = NULL;
		return report(rep, rc, NULL, 0, 0, "cannot check checkpoints: %s/%s: %s", s->logdir,
			      AXIOM_PUBKEY_FILE, rc == -EINVAL ? "not a public key" : strerror(-rc));
	}
	return 0;
}

/* The stored checkpoints and the extra ones, signatures checked, sorted
 * by seq. */
static int load_checkpoints(const struct src *s, const struct axiom_verify_opts *opts,
			    struct ck_ref **out, size_t *nout, struct axiom_verify_report *rep)
{
	uint8_t (*keys)[AXIOM_PUBKEY_SIZE] = NULL;
	struct axiom_checkpoint *file = NULL;
	size_t nfile = 0, nextra = opts ? opts->ncheckpoints : 0, n, i, k, nkeys = 0;
	struct ck_ref *v;
	char msg[300];
	int rc;

	*out = NULL;
	*nout = 0;
	if (s->ops->ckpt_load)
		rc = axiom_checkpoints_load_store(s->ops, s->store, s->where, &file, &nfile, msg,
						  sizeof(msg));
	else
		rc = axiom_checkpoints_load(s->logdir, &file, &nfile, msg, sizeof(msg));
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
		snprintf(v[i].from, sizeof(v[i].from), "%s %zu",
			 s->ops->ckpt_load ? "stored checkpoint" : "checkpoints line", i + 1);
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
	if ((rc = load_keys(s, opts, &keys, &nkeys, rep)) < 0) {
		free(v);
		return rc;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < nkeys && axiom_checkpoint_check_sig(&v[i].c, keys[k]) < 0; k++)
			;
		if (k < nkeys)
			continue;
		if (!s->ops->keys_get || (opts && opts->pubkey))
			rc = report(rep, -EKEYREJECTED, NULL, 0, v[i].c.seq, "%s (seq %" PRIu64
				    "): bad checkpoint signature", v[i].from, v[i].c.seq);
		else
			rc = report(rep, -EKEYREJECTED, NULL, 0, v[i].c.seq, "%s (seq %" PRIu64
				    "): bad checkpoint signature: signed by none of the %zu keys "
				    "of %s", v[i].from, v[i].c.seq, nkeys, s->where);
		free(keys);
		free(v);
		return rc;
	}
	free(keys);
	qsort(v, n, sizeof(*v), cmp_ck);
	*out = v;
	*nout = n;
	return 0;
}

int axiom_verify_cfg(const struct axiom_config *cfg, const struct axiom_verify_opts *opts,
		     struct axiom_verify_report *rep)
{
	static const uint8_t zero[AXIOM_HASH_SIZE];
	const struct axiom_storage_ops *ops;
	struct axiom_reader *r = NULL;
	char logdir[PATH_MAX], where[PATH_MAX];
	struct ck_ref *ck = NULL;
	struct axiom_entry e;
	struct src src;
	void *store = NULL;
	size_t nck = 0, j = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = open_store(cfg, &ops, logdir, where, &store, rep->what, sizeof(rep->what));
	if (rc < 0)
		return report(rep, rc, NULL, 0, 0, "%s", rep->what);
	src = (struct src){ .ops = ops, .store = store, .logdir = logdir, .where = where };
	/* Checkpoints before entries: one appended while we scan covers
	 * entries that were there before it was signed, so we see them. The
	 * other way round, it could point past what we scanned. */
	rc = load_checkpoints(&src, opts, &ck, &nck, rep);	if (rc < 0)
		goto out;
	for (; j < nck && ck[j].c.seq == 0; j++) {
		if (memcmp(ck[j].c.head, zero, sizeof(zero)) != 0) {
			rc = report(rep, -ESTALE, NULL, 0, 0, "%s: seq 0 with a nonzero head",
				    ck[j].from);
			goto out;
		}
		rep->checkpoints++;
	}
	rc = axiom_reader_open(&r, ops, store, 1, AXIOM_READER_SHARED);
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
	ops->close_dir(store);
	return rc;
}

int axiom_verify(const char *dir, const struct axiom_verify_opts *opts,
		 struct axiom_verify_report *rep)
{
	struct axiom_config cfg = { .dir = dir };

	if (!dir) {
		memset(rep, 0, sizeof(*rep));
		return report(rep, -EINVAL, NULL, 0, 0, "no state directory given");
	}
	return axiom_verify_cfg(&cfg, opts, rep);
}
