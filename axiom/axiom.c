/*
 * axiom.c - the log: open and recovery, the writer thread and its group
 * commit, completions to the owner's thread, checkpoints (see axiom.h).
 *
 * Locking: ax->lock guards the queue, the completion list, the head, the
 * failure state, the counters and the closing flag. The writer drops it
 * while it encodes, writes and syncs, so proposals queue up behind a sync
 * and go out together in the next batch. ax->ckpt_lock serialises
 * checkpoint appends (writer and owner may both sign one); it is taken
 * before ax->lock, never inside it.
 */
#define _GNU_SOURCE
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
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "axiom/checkpoint.h"
#include "axiom/errmsg.h"
#include "axiom/opt.h"
#include "axiom/reader.h"
#include "axiom/record.h"
#include "util/durable.h"
#include "util/mono.h"

static const char *const type_names[] = {
	[AXIOM_START] = "start",
	[AXIOM_POLICY_PUSH] = "policy-push",
	[AXIOM_CONN_AUTHORIZE] = "connection-authorize",
	[AXIOM_CONN_REJECT] = "connection-reject",
	[AXIOM_CONN_CLOSE] = "connection-close",
	[AXIOM_REVOKE] = "revoke",
	[AXIOM_POLICY_TEXT] = "policy-text",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *axiom_type_name(uint16_t type)
{
	return type < NTYPES ? type_names[type] : NULL;
}

int axiom_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (type_names[i] && strcmp(type_names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

/* Waits in axiom_submit()'s stack frame for its proposals (one, or a
 * group): each result lands in its prop's out. */
struct waiter {
	pthread_cond_t cv;
	size_t pending;
};

/* A proposal, from axiom_propose() until its callback has run. */
struct prop {
	struct prop *next;
	axiom_done_fn cb;
	void *arg;
	struct waiter *waiter;
	struct axiom_result *out;       /* the waiter's copy of res */
	struct axiom_result res;
	unsigned int flags;             /* AXIOM_KEEP */
	size_t group_n;                 /* first of a group: its size; else 0 */
	uint16_t type;
	uint32_t len;
	uint8_t payload[];
};

struct axiom {
	/* Fixed at open. */
	char logdir[PATH_MAX];
	/* Where the log is, in messages: the store's where() (a remote
	 * store), else logdir. */
	char where[PATH_MAX];
	uint64_t segment_size;
	const struct axiom_storage_ops *ops;
	void *store;
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	int read_only;
	int efd;
	uint8_t sk[AXIOM_SECKEY_SIZE];

	pthread_mutex_t lock;
	pthread_cond_t wake;            /* the writer: work, or closing */
	pthread_cond_t idle;            /* axiom_close: submitters gone */
	struct prop *q_head, **q_tail;  /* waiting for the writer */
	size_t q_count, q_bytes;
	size_t q_keep;                  /* of which AXIOM_KEEP */
	struct prop *done_head, **done_tail; /* waiting for axiom_dispatch */
	int closing;
	int failed;
	char fail_reason[sizeof(((struct axiom_result *)0)->reason)];
	/* The disk was full at the last write (ENOSPC/EDQUOT): refusable
	 * proposals are refused at once until full_retry_ns, AXIOM_KEEP ones
	 * wait and the writer tries again then. */
	int full;
	uint64_t full_retry_ns;
	char full_reason[sizeof(((struct axiom_result *)0)->reason)];
	/* The same for a remote store that cannot take writes (-EAGAIN,
	 * storage.h): refused with -EAGAIN until unavail_retry_ns. doubt:
	 * the writer holds a write in doubt (-ETIMEDOUT) and retries it;
	 * every refusable proposal is refused meanwhile. unavail and full
	 * are never both set: the last failure is the one that counts. */
	int unavail;
	int doubt;
	uint64_t unavail_retry_ns;
	char unavail_reason[sizeof(((struct axiom_result *)0)->reason)];
	uint64_t head_seq;
	uint8_t head_hash[AXIOM_HASH_SIZE];
	unsigned int submitters;
	struct axiom_stats stats;

	pthread_mutex_t ckpt_lock;
	uint64_t ckpt_seq;              /* head of the last checkpoint */

	/* The writer's own (the opener's until the thread starts). */
	pthread_t writer;
	int writer_started;
	void *seg;                      /* the segment being appended to */
	char seg_name[AXIOM_SEG_NAME_SIZE];
	uint64_t seg_off;               /* where its next record goes */
	uint8_t *wbuf;
	size_t wcap;
	struct prop **batch;            /* grows for a group */
	size_t batch_cap;
};

static void say(const struct axiom *ax, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct axiom *ax, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ax->log)
		ax->log(ax->log_arg, msg);
	else
		fprintf(stderr, "axiom: %s\n", msg);
}


/* ENOSPC and EDQUOT: the disk is full, which passes when space is freed;
 * anything else is an I/O error that needs a person. */
static int is_full_err(int err)
{
	return err == -ENOSPC || err == -EDQUOT;
}

static const char *errno_name(int err)
{
	switch (-err) {
	case ENOSPC: return " (ENOSPC)";
	case EDQUOT: return " (EDQUOT)";
	case EIO: return " (EIO)";
	case EAGAIN: return " (EAGAIN)";
	case ETIMEDOUT: return " (ETIMEDOUT)";
	case ESTALE: return " (ESTALE)";
	default: return "";
	}
}

/* "write DIR/NAME: No space left on device (ENOSPC)"; a long path is cut
 * short rather than the message refused. */
static void io_reason(char *buf, size_t len, const char *what, const char *dir, const char *name,
		      int err)
{
	if (snprintf(buf, len, "%s %s/%s: %s%s", what, dir, name, strerror(-err),
		     errno_name(err)) >= (int)len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

/* A remote store's word on its last failure ("etcd 10.1.0.2:2379:
 * etcdserver: no leader"), else what io_reason() says. */
static void store_reason(const struct axiom *ax, char *buf, size_t len, const char *what,
			 const char *name, int err)
{
	const char *e = ax->ops->error ? ax->ops->error(ax->store) : NULL;

	if (e && e[0])
		snprintf(buf, len, "%s", e);
	else
		io_reason(buf, len, what, ax->where, name, err);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- completions ---------------------------------------------------------- */

static void notify(struct axiom *ax)
{
	uint64_t one = 1;

	if (write(ax->efd, &one, sizeof(one)) < 0) {
		/* Only at counter overflow: it is readable already. */
	}
}

/* Hand p its result; ax->lock held. Returns 1 when the owner's event fd
 * must be made readable. */
static int complete_locked(struct axiom *ax, struct prop *p, const struct axiom_result *res)
{
	if (res->committed)
		ax->stats.committed++;
	else
		ax->stats.rejected++;
	/* An entry owed to the log that will never be in it: its owner
	 * learns of it from axiom_close(). */
	if (!res->committed && (p->flags & AXIOM_KEEP))
		ax->stats.owed_lost++;
	if (p->waiter) {
		*p->out = *res;
		if (--p->waiter->pending == 0)
			pthread_cond_signal(&p->waiter->cv);
		free(p);
		return 0;
	}
	if (!p->cb) {
		free(p);
		return 0;
	}
	p->res = *res;
	p->next = NULL;
	*ax->done_tail = p;
	ax->done_tail = &p->next;
	return 1;
}

static void reject(struct axiom *ax, struct prop **v, size_t n, int err, const char *reason)
{
	struct axiom_result res = { .committed = 0, .err = err };
	int wake = 0;
	size_t i;

	snprintf(res.reason, sizeof(res.reason), "%s", reason);
	pthread_mutex_lock(&ax->lock);
	for (i = 0; i < n; i++)
		wake |= complete_locked(ax, v[i], &res);
	pthread_mutex_unlock(&ax->lock);
	if (wake)
		notify(ax);
}

int axiom_event_fd(const struct axiom *ax)
{
	return ax->efd;
}

int axiom_dispatch(struct axiom *ax)
{
	struct prop *p, *next;
	uint64_t cnt;
	int n = 0;

	/* Drain the fd before taking the list: a result pushed after we
	 * take it makes the fd readable again, so none is left unseen. */
	if (read(ax->efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: not signalled yet, but a result pushed just
		 * before its signal is still taken below. */
	}
	pthread_mutex_lock(&ax->lock);
	p = ax->done_head;
	ax->done_head = NULL;
	ax->done_tail = &ax->done_head;
	pthread_mutex_unlock(&ax->lock);
	for (; p; p = next) {
		next = p->next;
		p->cb(p->arg, &p->res);
		free(p);
		n++;
	}
	return n;
}

/* --- proposing ------------------------------------------------------------ */

static int make_prop(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		     struct prop **out)
{
	struct prop *p;

	if (!axiom_type_name(type) || (!payload && len))
		return -EINVAL;
	if (len > AXIOM_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (ax->read_only)
		return -EROFS;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->len = len;
	if (len)
		memcpy(p->payload, payload, len);
	*out = p;
	return 0;
}

/* Put p at the end of the queue; ax->lock held. */
static void append_locked(struct axiom *ax, struct prop *p)
{
	p->next = NULL;
	*ax->q_tail = p;
	ax->q_tail = &p->next;
	ax->q_count++;
	ax->q_bytes += p->len;
	if (p->flags & AXIOM_KEEP)
		ax->q_keep++;
}

/* admit_locked(): a full disk is tried, not assumed (a group: one
 * operator's request, which deserves the writer's own answer). */
#define ADMIT_TRY 0x100u

/* May n more proposals of bytes payload bytes queue up? ax->lock held.
 * AXIOM_KEEP ones always may: their callers bound them (axiom.h). */
static int admit_locked(struct axiom *ax, unsigned int flags, size_t n, size_t bytes)
{
	if (ax->closing)
		return -ESHUTDOWN;
	if (flags & AXIOM_KEEP)
		return 0;
	if (!(flags & ADMIT_TRY) && ax->full && mono_ns() < ax->full_retry_ns) {
		ax->stats.refused_full++;
		return -ENOSPC;
	}
	/* In doubt nothing new can be tried: the writer holds that write
	 * until the store knows its fate. A group (ADMIT_TRY) queues and is
	 * rejected by the writer meanwhile (reject_refusable_locked). */
	if (!(flags & ADMIT_TRY) && ax->unavail &&
	    (ax->doubt || mono_ns() < ax->unavail_retry_ns)) {
		ax->stats.refused_unavail++;
		return -EAGAIN;
	}
	if (ax->q_count + n > AXIOM_QUEUE_MAX_ENTRIES || ax->q_bytes + bytes > AXIOM_QUEUE_MAX_BYTES)
		return -ENOBUFS;
	return 0;
}

int axiom_propose_ex(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		     unsigned int flags, axiom_done_fn cb, void *arg)
{
	struct prop *p;
	int err;

	if (flags & ~AXIOM_KEEP)
		return -EINVAL;
	err = make_prop(ax, type, payload, len, &p);
	if (err < 0)
		return err;
	p->cb = cb;
	p->arg = arg;
	p->flags = flags;
	pthread_mutex_lock(&ax->lock);
	err = admit_locked(ax, flags, 1, len);
	if (!err) {
		append_locked(ax, p);
		pthread_cond_signal(&ax->wake);
	} else if (flags & AXIOM_KEEP) {
		/* Owed and refused (the log is closing): never written,
		 * which axiom_close() reports. */
		ax->stats.owed_lost++;
	}
	pthread_mutex_unlock(&ax->lock);
	if (err < 0)
		free(p);
	return err;
}

int axiom_propose(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		  axiom_done_fn cb, void *arg)
{
	return axiom_propose_ex(ax, type, payload, len, 0, cb, arg);
}

/* Free v, an array from make_group(), and its first n props: those no
 * queue holds. */
static void free_group(struct prop **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* Queue a group's props in order and wake the writer; ax->lock held. */
static void append_group_locked(struct axiom *ax, struct prop **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		append_locked(ax, v[i]);
	pthread_cond_signal(&ax->wake);
}

/* The props of items[0..n), marked as one group; *out is a malloc'd
 * array of them. 0 or -errno (nothing allocated). */
static int make_group(struct axiom *ax, const struct axiom_item *items, size_t n,
		      struct prop ***out, size_t *bytes)
{
	struct prop **v;
	size_t i;
	int err = 0;

	if (n == 0)
		return -EINVAL;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*bytes = 0;
	for (i = 0; i < n; i++) {
		err = make_prop(ax, items[i].type, items[i].payload, items[i].len, &v[i]);
		if (err < 0)
			break;
		*bytes += items[i].len;
	}
	if (err < 0) {
		free_group(v, i);
		return err;
	}
	v[0]->group_n = n;
	*out = v;
	return 0;
}

int axiom_propose_group(struct axiom *ax, const struct axiom_item *items, size_t n)
{
	struct prop **v;
	size_t i, bytes;
	int err;

	err = make_group(ax, items, n, &v, &bytes);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++) {
		v[i]->cb = items[i].cb;
		v[i]->arg = items[i].arg;
	}
	pthread_mutex_lock(&ax->lock);
	err = admit_locked(ax, ADMIT_TRY, n, bytes);
	if (!err)
		append_group_locked(ax, v, n);
	pthread_mutex_unlock(&ax->lock);
	free_group(v, err < 0 ? n : 0);
	return err;
}

int axiom_submit_group(struct axiom *ax, const struct axiom_item *items, size_t n,
		       struct axiom_result *res)
{
	struct waiter w = { .pending = n };
	struct prop **v;
	size_t i, bytes;
	int err;

	err = make_group(ax, items, n, &v, &bytes);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++) {
		v[i]->waiter = &w;
		v[i]->out = &res[i];
	}
	pthread_cond_init(&w.cv, NULL);
	pthread_mutex_lock(&ax->lock);
	/* A blocking group is refused only when the log is closing: it is
	 * one caller's one request, and the writer says whether it fits. */
	err = ax->closing ? -ESHUTDOWN : 0;
	if (err == 0) {
		append_group_locked(ax, v, n);
		ax->submitters++;
		while (w.pending)
			pthread_cond_wait(&w.cv, &ax->lock);
		/* axiom_close() frees the log only once we are out. */
		if (--ax->submitters == 0)
			pthread_cond_broadcast(&ax->idle);
	}
	pthread_mutex_unlock(&ax->lock);
	pthread_cond_destroy(&w.cv);
	free_group(v, err < 0 ? n : 0);
	return err;
}

int axiom_submit(struct axiom *ax, uint16_t type, const void *payload, uint32_t len,
		 struct axiom_result *res)
{
	struct axiom_item it = { .type = type, .payload = payload, .len = len };

	return axiom_submit_group(ax, &it, 1, res);
}

int axiom_error(const struct axiom *ax, char *buf, size_t len)
{
	struct axiom *m = (struct axiom *)ax;
	int state = 0;

	pthread_mutex_lock(&m->lock);
	if (m->failed) {
		state = 2;
		snprintf(buf, len, "%s", m->fail_reason);
	} else if (m->full || m->unavail) {
		state = 1;
		snprintf(buf, len, "%s", m->full ? m->full_reason : m->unavail_reason);
	} else if (len) {
		buf[0] = '\0';
	}
	pthread_mutex_unlock(&m->lock);
	return state;
}

uint64_t axiom_head_seq(const struct axiom *ax)
{
	struct axiom *m = (struct axiom *)ax; /* the lock is not the state */
	uint64_t seq;

	pthread_mutex_lock(&m->lock);
	seq = m->head_seq;
	pthread_mutex_unlock(&m->lock);
	return seq;
}

void axiom_head_hash(const struct axiom *ax, uint8_t out[AXIOM_HASH_SIZE])
{
	struct axiom *m = (struct axiom *)ax;

	pthread_mutex_lock(&m->lock);
	memcpy(out, m->head_hash, AXIOM_HASH_SIZE);
	pthread_mutex_unlock(&m->lock);
}

void axiom_stats(const struct axiom *ax, struct axiom_stats *st)
{
	struct axiom *m = (struct axiom *)ax;

	pthread_mutex_lock(&m->lock);
	*st = m->stats;
	st->full = (unsigned int)m->full;
	st->unavailable = (unsigned int)m->unavail;
	st->owed = m->q_keep;
	pthread_mutex_unlock(&m->lock);
}

/* --- checkpoints -------------------------------------------------------------- */

/* Sign the head as it is now: only committed entries are in it, since the
 * head moves after their sync. only_if_moved: skip when the last
 * checkpoint already says this. */
static int write_checkpoint(struct axiom *ax, int only_if_moved)
{
	struct axiom_checkpoint c;
	int err = 0;

	pthread_mutex_lock(&ax->ckpt_lock);
	pthread_mutex_lock(&ax->lock);
	c.seq = ax->head_seq;
	memcpy(c.head, ax->head_hash, sizeof(c.head));
	pthread_mutex_unlock(&ax->lock);
	if (!(only_if_moved && c.seq == ax->ckpt_seq)) {
		c.ts_ns = realtime_ns();
		axiom_checkpoint_sign(&c, ax->sk);
		if (ax->ops->ckpt_append) {
			char line[AXIOM_CKPT_LINE_MAX], why[256];

			axiom_checkpoint_format(&c, line);
			err = ax->ops->ckpt_append(ax->store, line);
			if (err < 0) {
				store_reason(ax, why, sizeof(why), "append", "checkpoints", err);
				say(ax, "cannot write a checkpoint at seq %" PRIu64 " to %s: %s", c.seq,
				    ax->where, why);
			}
		} else {
			err = axiom_checkpoint_append(ax->logdir, &c);
			if (err < 0)
				say(ax, "cannot write a checkpoint at seq %" PRIu64 " to %s/%s: %s",
				    c.seq, ax->logdir, AXIOM_CHECKPOINTS_FILE, strerror(-err));
		}
		if (err == 0) {
			ax->ckpt_seq = c.seq;
			pthread_mutex_lock(&ax->lock);
			ax->stats.checkpoints++;
			pthread_mutex_unlock(&ax->lock);
		}
	}
	pthread_mutex_unlock(&ax->ckpt_lock);
	return err;
}

int axiom_checkpoint(struct axiom *ax)
{
	if (ax->read_only)
		return -EROFS;
	return write_checkpoint(ax, 0);
}

/* --- the writer ------------------------------------------------------------- */

static void set_failed(struct axiom *ax, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* From now on the log takes nothing: a later entry committing after one
 * that was rejected would leave a hole in what the proposers saw. */
static void set_failed(struct axiom *ax, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&ax->lock);
	va_start(ap, fmt);
	vsnprintf(ax->fail_reason, sizeof(ax->fail_reason), fmt, ap);
	va_end(ap);
	ax->failed = 1;
	pthread_mutex_unlock(&ax->lock);
	say(ax, "log failed, rejecting every proposal until reopened: %s", ax->fail_reason);
}

/* Start the segment of the next entry. The create is atomic and durable
 * (storage.h), so no torn header can be left behind. */
static int new_segment(struct axiom *ax, uint64_t first, const uint8_t prev[AXIOM_HASH_SIZE])
{
	uint8_t hdr[AXIOM_SEG_HDR_SIZE];
	char name[AXIOM_SEG_NAME_SIZE];
	void *file;
	int err;

	axiom_seg_name(name, first);
	axiom_encode_seg_hdr(hdr, first, prev);
	err = ax->ops->create(ax->store, name, hdr, sizeof(hdr), &file);
	if (err < 0)
		return err;
	if (ax->seg)
		ax->ops->close(ax->seg);
	ax->seg = file;
	memcpy(ax->seg_name, name, sizeof(name));
	ax->seg_off = AXIOM_SEG_HDR_SIZE;
	pthread_mutex_lock(&ax->lock);
	ax->stats.segments++;
	pthread_mutex_unlock(&ax->lock);
	return 0;
}

/* The disk is full (ENOSPC/EDQUOT), or a remote store cannot take writes
 * (-EAGAIN, storage.h; doubt: it was a create found in doubt, which the
 * next try makes again, same name and bytes): refuse what may be refused
 * and put what is owed (AXIOM_KEEP) back at the head of the queue, in
 * order, for the writer to try again in AXIOM_FULL_RETRY_MS
 * (AXIOM_UNAVAIL_RETRY_MS). reason names the file (or is the store's
 * error) and the error. A log that is closing tries no more: what is owed
 * is then rejected, and said so. */
static void hold(struct axiom *ax, struct prop **v, size_t n, int err, int doubt,
		 const char *reason)
{
	struct axiom_result res = { .committed = 0, .err = err };
	struct prop *kept = NULL, **tail = &kept;
	size_t i, nkept = 0, lost = 0;
	int wake = 0, was, unavail = !is_full_err(err);

	snprintf(res.reason, sizeof(res.reason), "%s", reason);
	pthread_mutex_lock(&ax->lock);
	if (unavail) {
		was = ax->unavail;
		ax->unavail = 1;
		ax->full = 0;
		ax->unavail_retry_ns = mono_ns() + (uint64_t)AXIOM_UNAVAIL_RETRY_MS * 1000000u;
		snprintf(ax->unavail_reason, sizeof(ax->unavail_reason), "%s", reason);
		if (doubt)
			ax->stats.doubt_events++;
		else if (!was)
			ax->stats.unavail_events++;
		if (was)
			ax->stats.unavail_retries++;
	} else {
		was = ax->full;
		ax->full = 1;
		ax->unavail = 0;
		ax->full_retry_ns = mono_ns() + (uint64_t)AXIOM_FULL_RETRY_MS * 1000000u;
		snprintf(ax->full_reason, sizeof(ax->full_reason), "%s", reason);
		if (!was)
			ax->stats.full_events++;
		ax->stats.full_retries++;
	}
	for (i = 0; i < n; i++)
		nkept += (v[i]->flags & AXIOM_KEEP) && !ax->closing;
	pthread_mutex_unlock(&ax->lock);
	/* Said before anyone is told: whoever learns of the refusal can
	 * find the reason in the log already. */
	if (!was && unavail)
		say(ax, "%s: new authorizations are refused until the store takes writes again; "
			"%zu owed entries wait and are retried every %u ms", reason, nkept,
		    AXIOM_UNAVAIL_RETRY_MS);
	else if (!was)
		say(ax, "%s: new entries are refused, %zu owed entries wait and are retried every "
			"%u ms until there is space", reason, nkept, AXIOM_FULL_RETRY_MS);
	nkept = 0;
	pthread_mutex_lock(&ax->lock);
	for (i = 0; i < n; i++) {
		struct prop *p = v[i];

		if ((p->flags & AXIOM_KEEP) && !ax->closing) {
			p->next = NULL;
			*tail = p;
			tail = &p->next;
			ax->q_count++;
			ax->q_bytes += p->len;
			ax->q_keep++;
			nkept++;
			continue;
		}
		if (p->flags & AXIOM_KEEP)
			lost++;
		wake |= complete_locked(ax, p, &res);
	}
	if (kept) {
		*tail = ax->q_head;
		if (!ax->q_head)
			ax->q_tail = tail;
		ax->q_head = kept;
	}
	pthread_mutex_unlock(&ax->lock);
	if (wake)
		notify(ax);
	if (lost)
		say(ax, "%s: closing with %s: %zu owed entries were not written", reason,
		    unavail ? "the store unavailable" : "the disk still full", lost);
}

/* The disk (the store) took a write again. */
static void clear_hold(struct axiom *ax, uint64_t seq)
{
	int was_full, was_unavail;

	pthread_mutex_lock(&ax->lock);
	was_full = ax->full;
	was_unavail = ax->unavail;
	ax->full = 0;
	ax->unavail = 0;
	ax->doubt = 0;
	pthread_mutex_unlock(&ax->lock);
	if (was_full)
		say(ax, "there is space again: writing resumed at seq %" PRIu64, seq);
	if (was_unavail)
		say(ax, "the store takes writes again: writing resumed at seq %" PRIu64, seq);
}

/* Take every proposal that may be refused off the queue and reject it,
 * keeping the AXIOM_KEEP ones in order; ax->lock held. Returns 1 when the
 * owner's event fd must be made readable. */
static int reject_refusable_locked(struct axiom *ax, int err, const char *reason)
{
	struct axiom_result res = { .committed = 0, .err = err };
	struct prop **pp = &ax->q_head, *p;
	int wake = 0;

	snprintf(res.reason, sizeof(res.reason), "%s", reason);
	while ((p = *pp) != NULL) {
		if (p->flags & AXIOM_KEEP) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		ax->q_count--;
		ax->q_bytes -= p->len;
		wake |= complete_locked(ax, p, &res);
	}
	ax->q_tail = pp;
	return wake;
}

/* "REASON (in doubt, retrying)" for the write in the current segment. */
static void doubt_reason(const struct axiom *ax, char *buf, size_t len, const char *what,
			 const char *name)
{
	char why[200];

	store_reason(ax, why, sizeof(why), what, name, -ETIMEDOUT);
	snprintf(buf, len, "%s (in doubt, retrying)", why);
}

/*
 * The sync of entries first..first+n-1 (v) came back in doubt (-ETIMEDOUT):
 * they may be in the store or not. The write is held as it is - not cut
 * back, not encoded again: the same bytes, seqs and chain - and datasync()
 * of the same file, which sends that very write again (storage.h), is
 * called every AXIOM_UNAVAIL_RETRY_MS until the store knows. Meanwhile
 * refusable proposals are refused (admit_locked) or, queued before, rejected
 * with -EAGAIN; AXIOM_KEEP ones queue behind. 0: it is stored (the caller
 * commits it); -EIO: v rejected and the log failed (another error, -ESTALE,
 * or still in doubt at close after one last try).
 */
static int wait_doubt(struct axiom *ax, struct prop **v, size_t n, uint64_t first, char *reason,
		      size_t rlen)
{
	uint64_t last = first + n - 1, deadline;
	int err, closing, was;

	doubt_reason(ax, reason, rlen, "write", ax->seg_name);
	pthread_mutex_lock(&ax->lock);
	was = ax->unavail;
	ax->unavail = 1;
	ax->doubt = 1;
	ax->full = 0;
	ax->stats.doubt_events++;
	snprintf(ax->unavail_reason, sizeof(ax->unavail_reason), "%s", reason);
	pthread_mutex_unlock(&ax->lock);
	if (!was)
		say(ax, "%s: new authorizations are refused until the store takes writes again; "
			"entries %" PRIu64 "..%" PRIu64 " are held and sent again every %u ms", reason,
		    first, last, AXIOM_UNAVAIL_RETRY_MS);
	for (;;) {
		pthread_mutex_lock(&ax->lock);
		deadline = mono_ns() + (uint64_t)AXIOM_UNAVAIL_RETRY_MS * 1000000u;
		for (;;) {
			struct timespec ts = {
				.tv_sec = (time_t)(deadline / 1000000000u),
				.tv_nsec = (long)(deadline % 1000000000u),
			};

			if (reject_refusable_locked(ax, -EAGAIN, reason))
				notify(ax);
			/* Closing: one last try at once. */
			if (ax->closing || mono_ns() >= deadline)
				break;
			pthread_cond_timedwait(&ax->wake, &ax->lock, &ts);
		}
		closing = ax->closing;
		ax->stats.unavail_retries++;
		ax->stats.syncs++;
		pthread_mutex_unlock(&ax->lock);
		err = ax->ops->datasync(ax->seg);
		if (err == 0)
			return 0;
		if ((err == -ETIMEDOUT || err == -EAGAIN) && !closing) {
			doubt_reason(ax, reason, rlen, "write", ax->seg_name);
			pthread_mutex_lock(&ax->lock);
			snprintf(ax->unavail_reason, sizeof(ax->unavail_reason), "%s", reason);
			pthread_mutex_unlock(&ax->lock);
			continue;
		}
		/* Nothing may be written after a write whose fate is unknown
		 * (it would fork the chain if that write is in): the log
		 * fails, and a reopen reads what the store has. */
		if (err == -ETIMEDOUT || err == -EAGAIN) {
			set_failed(ax, "entries %" PRIu64 "..%" PRIu64 " were in doubt at close: they "
				   "may be in the log (%s)", first, last, reason);
			reject(ax, v, n, -ETIMEDOUT, ax->fail_reason);
		} else {
			char why[200];

			store_reason(ax, why, sizeof(why), "write", ax->seg_name, err);
			if (err == -ESTALE)
				set_failed(ax, "another writer took the log: %s", why);
			else
				set_failed(ax, "write %s/%s: %s%s", ax->where, ax->seg_name,
					   strerror(-err), errno_name(err));
			say(ax, "entries %" PRIu64 "..%" PRIu64 " were in doubt when the log failed: "
				"they may be in the log", first, last);
			reject(ax, v, n, -EIO, ax->fail_reason);
		}
		pthread_mutex_lock(&ax->lock);
		ax->unavail = 0;
		ax->doubt = 0;
		pthread_mutex_unlock(&ax->lock);
		return -EIO;
	}
}

/* v[0..n), entries first.., len bytes ending in chain, are durable: move
 * the head past them and complete them Committed. */
static void commit_done(struct axiom *ax, struct prop **v, size_t n, uint64_t first,
			const uint8_t chain[AXIOM_HASH_SIZE], size_t len)
{
	struct axiom_result res = { .committed = 1 };
	uint64_t old_head;
	int wake = 0;
	size_t i;

	clear_hold(ax, first);
	ax->seg_off += len;
	pthread_mutex_lock(&ax->lock);
	old_head = ax->head_seq;
	ax->head_seq = first + n - 1;
	memcpy(ax->head_hash, chain, AXIOM_HASH_SIZE);
	ax->stats.batches++;
	ax->stats.bytes += len;
	for (i = 0; i < n; i++) {
		res.seq = first + i;
		wake |= complete_locked(ax, v[i], &res);
	}
	pthread_mutex_unlock(&ax->lock);
	if (wake)
		notify(ax);
	if (old_head / AXIOM_CHECKPOINT_EVERY != (first + n - 1) / AXIOM_CHECKPOINT_EVERY)
		write_checkpoint(ax, 1);
}

/* Write v[0..n) into the current segment with one pwrite and one
 * fdatasync, then complete them. 0; or -ENOSPC/-EDQUOT/-EAGAIN (nothing
 * written: the write was taken back; reason filled; v untouched, for the
 * caller to hold); or -EIO after any other failure (v completed, rejected,
 * the log failed). A sync in doubt is settled here (wait_doubt). */
static int write_chunk(struct axiom *ax, struct prop **v, size_t n, char *reason, size_t rlen)
{
	uint8_t chain[AXIOM_HASH_SIZE];
	uint64_t first, ts;
	size_t i, len = 0, need = 0;
	int err;

	for (i = 0; i < n; i++)
		need += (size_t)axiom_rec_size(v[i]->len);
	if (need > ax->wcap) {
		uint8_t *nb = realloc(ax->wbuf, need);

		if (!nb) {
			reject(ax, v, n, -ENOMEM, "out of memory");
			return 0;
		}
		ax->wbuf = nb;
		ax->wcap = need;
	}
	/* head_seq and head_hash change only here, in this thread. */
	first = ax->head_seq + 1;
	memcpy(chain, ax->head_hash, sizeof(chain));
	ts = realtime_ns();
	for (i = 0; i < n; i++) {
		/* Each record says where its write began (format.h): after a
		 * power cut, a reader can tell the pages of this unsynced
		 * write from damage to what was synced before it. */
		struct axiom_record r = {
			.seq = first + i,
			.ts_ns = ts,
			.type = v[i]->type,
			.flags = (uint16_t)(AXIOM_REC_F_BATCH |
					    (i < AXIOM_REC_BATCH_POS_MAX ? i : AXIOM_REC_BATCH_POS_MAX)),
			.len = v[i]->len,
			.payload = v[i]->payload,
		};

		memcpy(r.prev_hash, chain, sizeof(chain));
		len += axiom_encode_record(ax->wbuf + len, &r, chain);
	}
	err = ax->ops->pwrite(ax->seg, ax->wbuf, len, ax->seg_off);
	if (!err) {
		pthread_mutex_lock(&ax->lock);
		ax->stats.syncs++;
		pthread_mutex_unlock(&ax->lock);
		err = ax->ops->datasync(ax->seg);
		if (err == -ETIMEDOUT && wait_doubt(ax, v, n, first, reason, rlen) < 0)
			return -EIO;
		if (err == -ETIMEDOUT)
			err = 0;
	} else if (err == -ETIMEDOUT) {
		/* Not durable until datasync (storage.h): a pwrite stored
		 * nothing for certain, whatever it says. */
		err = -EAGAIN;
	}
	if (err == -ESTALE) {
		char why[200];

		store_reason(ax, why, sizeof(why), "write", ax->seg_name, err);
		set_failed(ax, "another writer took the log: %s", why);
		reject(ax, v, n, -EIO, ax->fail_reason);
		return -EIO;
	}
	if (err < 0) {
		int undo;

		/* Take back what may have reached the file, so that entries
		 * reported Rejected do not come back at the next open (and a
		 * full disk gets its partial write back). */
		undo = ax->ops->truncate(ax->seg, ax->seg_off);
		if (undo == 0 && is_full_err(err)) {
			io_reason(reason, rlen, "write", ax->where, ax->seg_name, err);
			return err;
		}
		if (undo == 0 && err == -EAGAIN) {
			store_reason(ax, reason, rlen, "write", ax->seg_name, err);
			return err;
		}
		set_failed(ax, "write %s/%s: %s%s", ax->where, ax->seg_name, strerror(-err),
			   errno_name(err));
		if (undo < 0)
			say(ax, "cannot cut the failed write off %s at offset %" PRIu64 ": %s; "
				"entries %" PRIu64 "..%" PRIu64 " were rejected but may be found "
				"at the next open", ax->seg_name, ax->seg_off, strerror(-undo),
			    first, first + n - 1);
		reject(ax, v, n, -EIO, ax->fail_reason);
		return -EIO;
	}
	commit_done(ax, v, n, first, chain, len);
	return 0;
}

/* The proposals of the unit (one proposal, or a whole group) at v[i]. */
static size_t unit_len(struct prop **v, size_t i)
{
	return v[i]->group_n ? v[i]->group_n : 1;
}

static uint64_t unit_bytes(struct prop **v, size_t i)
{
	uint64_t b = 0;

	for (size_t k = 0; k < unit_len(v, i); k++)
		b += axiom_rec_size(v[i + k]->len);
	return b;
}

/* A new segment could not be made: hold v[0..n) or fail the log. */
static void create_failed(struct axiom *ax, struct prop **v, size_t n, int err)
{
	char reason[sizeof(((struct axiom_result *)0)->reason)], name[AXIOM_SEG_NAME_SIZE];
	char why[200];

	axiom_seg_name(name, ax->head_seq + 1);
	if (is_full_err(err)) {
		io_reason(reason, sizeof(reason), "create", ax->where, name, err);
		hold(ax, v, n, err, 0, reason);
		return;
	}
	if (err == -EAGAIN || err == -ETIMEDOUT) {
		/* None of v was written; a create in doubt is made again,
		 * same name and bytes, at the next try (storage.h). */
		if (err == -ETIMEDOUT)
			doubt_reason(ax, reason, sizeof(reason), "create", name);
		else
			store_reason(ax, reason, sizeof(reason), "create", name, err);
		hold(ax, v, n, -EAGAIN, err == -ETIMEDOUT, reason);
		return;
	}
	if (err == -ESTALE) {
		store_reason(ax, why, sizeof(why), "create", name, err);
		set_failed(ax, "another writer took the log: %s", why);
	} else {
		set_failed(ax, "create %s/%s: %s%s", ax->where, name, strerror(-err), errno_name(err));
	}
	reject(ax, v, n, -EIO, ax->fail_reason);
}

/* One batch off the queue: split where a segment fills up, so each piece
 * is one write and one sync. A group is never split: when it does not
 * fit what is left of the segment, a new segment holds it, however big. */
static void commit_batch(struct axiom *ax, struct prop **v, size_t n)
{
	char reason[sizeof(((struct axiom_result *)0)->reason)];
	size_t i = 0, k;
	uint64_t end;
	int err;

	while (i < n) {
		if (ax->failed) {
			reject(ax, v + i, n - i, -EIO, ax->fail_reason);
			return;
		}
		/* A segment holds at least one record (or group), so a
		 * record bigger than the segment size still has a home. */
		if (ax->seg_off > AXIOM_SEG_HDR_SIZE &&
		    ax->seg_off + unit_bytes(v, i) > ax->segment_size) {
			err = new_segment(ax, ax->head_seq + 1, ax->head_hash);
			if (err < 0) {
				create_failed(ax, v + i, n - i, err);
				return;
			}
		}
		end = ax->seg_off + unit_bytes(v, i);
		k = unit_len(v, i);
		while (i + k < n && end + unit_bytes(v, i + k) <= ax->segment_size) {
			end += unit_bytes(v, i + k);
			k += unit_len(v, i + k);
		}
		err = write_chunk(ax, v + i, k, reason, sizeof(reason));
		if (is_full_err(err) || err == -EAGAIN) {
			hold(ax, v + i, n - i, err, 0, reason);
			return;
		}
		i += k;
	}
}

/* Take the first n proposals off the queue and reject them; ax->lock
 * held. */
static void reject_head_locked(struct axiom *ax, size_t n, const char *reason)
{
	struct axiom_result res = { .committed = 0, .err = -ENOMEM };
	int wake = 0;

	snprintf(res.reason, sizeof(res.reason), "%s", reason);
	while (n-- && ax->q_head) {
		struct prop *p = ax->q_head;

		ax->q_head = p->next;
		ax->q_count--;
		ax->q_bytes -= p->len;
		if (p->flags & AXIOM_KEEP)
			ax->q_keep--;
		wake |= complete_locked(ax, p, &res);
	}
	if (!ax->q_head)
		ax->q_tail = &ax->q_head;
	if (wake)
		notify(ax);
}

/* Room for n proposals in the writer's batch array. */
static int batch_room(struct axiom *ax, size_t n)
{
	struct prop **nv;
	size_t cap;

	if (n <= ax->batch_cap)
		return 0;
	cap = ax->batch_cap ? ax->batch_cap : AXIOM_BATCH_MAX_ENTRIES;
	while (cap < n)
		cap *= 2;
	nv = realloc(ax->batch, cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	ax->batch = nv;
	ax->batch_cap = cap;
	return 0;
}

static void *writer_main(void *arg)
{
	struct axiom *ax = arg;
	struct prop **v;
	size_t n, bytes;

	for (;;) {
		pthread_mutex_lock(&ax->lock);
		while (!ax->closing) {
			if (!ax->q_head) {
				pthread_cond_wait(&ax->wake, &ax->lock);
			} else if ((ax->full && mono_ns() < ax->full_retry_ns) ||
				   (ax->unavail && mono_ns() < ax->unavail_retry_ns)) {
				/* The disk was full (the store unavailable): try
				 * again later, not in a loop (closing tries once
				 * more at once). */
				uint64_t until = ax->full ? ax->full_retry_ns : ax->unavail_retry_ns;
				struct timespec ts = {
					.tv_sec = (time_t)(until / 1000000000u),
					.tv_nsec = (long)(until % 1000000000u),
				};

				pthread_cond_timedwait(&ax->wake, &ax->lock, &ts);
			} else {
				break;
			}
		}
		if (!ax->q_head) {
			pthread_mutex_unlock(&ax->lock);
			break; /* closing, and everything queued is done */
		}
		/* Everything that queued up while the last batch synced; a
		 * group whole or not at all. */
		n = 0;
		bytes = 0;
		while (ax->q_head && n < AXIOM_BATCH_MAX_ENTRIES) {
			struct prop *p = ax->q_head;
			size_t units = p->group_n ? p->group_n : 1, sz = 0, k;

			for (k = 0; k < units; k++, p = p->next)
				sz += (size_t)axiom_rec_size(p->len);
			if (n && (n + units > AXIOM_BATCH_MAX_ENTRIES || bytes + sz > AXIOM_BATCH_MAX_BYTES))
				break;
			if (batch_room(ax, n + units) < 0) {
				if (n)
					break;
				/* No memory for the group's batch: refuse it
				 * whole rather than wait for memory. */
				reject_head_locked(ax, units, "out of memory");
				continue;
			}
			v = ax->batch;
			for (k = 0; k < units; k++) {
				p = ax->q_head;
				ax->q_head = p->next;
				ax->q_count--;
				ax->q_bytes -= p->len;
				if (p->flags & AXIOM_KEEP)
					ax->q_keep--;
				v[n++] = p;
			}
			bytes += sz;
		}
		if (!ax->q_head)
			ax->q_tail = &ax->q_head;
		pthread_mutex_unlock(&ax->lock);
		if (n == 0)
			continue;
		commit_batch(ax, ax->batch, n);
	}
	write_checkpoint(ax, 1);
	return NULL;
}

/* --- open and close ------------------------------------------------------- */

/* Does c's signature hold under pk or, for a store with keys_get (whose
 * log a lost key may have handed to a new one), under any key it lists? */
static int ck_sig_ok(const struct axiom_checkpoint *c, const uint8_t pk[AXIOM_PUBKEY_SIZE],
		     uint8_t (*keys)[AXIOM_PUBKEY_SIZE], size_t nkeys)
{
	size_t i;

	if (axiom_checkpoint_check_sig(c, pk) == 0)
		return 1;
	for (i = 0; i < nkeys; i++)
		if (axiom_checkpoint_check_sig(c, keys[i]) == 0)
			return 1;
	return 0;
}

/* The checkpoint recovery must not undercut: the last one (in the file,
 * or the store's) whose signature holds. Problems with them are for
 * verify to report; here they only cost that check. */
static int last_checkpoint(struct axiom *ax, struct axiom_checkpoint *out)
{
	uint8_t pk[AXIOM_PUBKEY_SIZE], (*keys)[AXIOM_PUBKEY_SIZE] = NULL;
	struct axiom_checkpoint *v;
	size_t n, i, nkeys = 0;
	char msg[256];
	int err;

	crypto_sign_ed25519_sk_to_pk(pk, ax->sk);
	if (ax->ops->ckpt_load)
		err = axiom_checkpoints_load_store(ax->ops, ax->store, ax->where, &v, &n, msg,
						   sizeof(msg));
	else
		err = axiom_checkpoints_load(ax->logdir, &v, &n, msg, sizeof(msg));
	if (err < 0) {
		say(ax, "checkpoints not used at open: %s", msg);
		return 0;
	}
	if (n && ax->ops->keys_get &&
	    axiom_keys_load_store(ax->ops, ax->store, ax->where, &keys, &nkeys, msg,
				  sizeof(msg)) < 0)
		say(ax, "checkpoints checked with this instance's key only: %s", msg);
	for (i = n; i > 0 && !ck_sig_ok(&v[i - 1], pk, keys, nkeys); i--)
		;
	if (i < n && ax->ops->ckpt_load)
		say(ax, "%s: the last %zu checkpoint(s) have bad signatures; ignored at open",
		    ax->where, n - i);
	else if (i < n)
		say(ax, "%s/%s: the last %zu checkpoint(s) have bad signatures; ignored at open",
		    ax->logdir, AXIOM_CHECKPOINTS_FILE, n - i);
	if (i > 0)
		*out = v[i - 1];
	free(keys);
	free(v);
	return i > 0;
}

/*
 * Scan the log, establish the head, and (writable) cut a torn tail and
 * open the segment to append to. Nothing committed may be cut: a tail at
 * or below a signed checkpoint's seq was synced before that checkpoint
 * was signed, so it is damage, not a torn write.
 */
static int recover(struct axiom *ax, char *err, size_t errlen)
{
	struct axiom_checkpoint ck = { .seq = 0 };
	struct axiom_reader *r = NULL;
	struct axiom_entry e;
	int rc, have_ck = 0, ck_ok = 0;
	const char *last;

	if (!ax->read_only)
		have_ck = last_checkpoint(ax, &ck);
	ax->ckpt_seq = have_ck ? ck.seq : 0;
	rc = axiom_reader_open(&r, ax->ops, ax->store, 1, ax->read_only ? AXIOM_READER_SHARED : 0);
	if (rc < 0)
		return axiom_fail(err, errlen, rc, "%s: out of memory", ax->where);
	while ((rc = axiom_reader_next(r, &e)) > 0) {
		if (have_ck && e.seq == ck.seq) {
			if (memcmp(e.hash, ck.head, AXIOM_HASH_SIZE) != 0) {
				rc = axiom_fail(err, errlen, -EUCLEAN, "%s: segment %s offset %" PRIu64
					  " (seq %" PRIu64 "): hash differs from the signed checkpoint",
					  ax->where, e.segment, e.offset, e.seq);
				goto out;
			}
			ck_ok = 1;
		}
	}
	if (rc < 0) {
		axiom_fail(err, errlen, rc, "%s: %s", ax->where, r->msg);
		goto out;
	}
	if (r->started) {
		ax->head_seq = r->next_seq - 1;
		memcpy(ax->head_hash, r->chain, AXIOM_HASH_SIZE);
	}
	if (have_ck && ck.seq && !ck_ok) {
		rc = axiom_fail(err, errlen, -EUCLEAN, "%s: the log ends at seq %" PRIu64 " but a signed "
			  "checkpoint covers seq %" PRIu64 "%s", ax->where, ax->head_seq, ck.seq,
			  r->torn ? " (past a damaged tail)" : ": committed entries are missing");
		goto out;
	}
	last = axiom_reader_segment(r);
	if (r->torn && ax->read_only) {
		say(ax, "segment %s: %" PRIu64 " bytes at offset %" PRIu64 " are not a record (%s): "
			"a torn tail, or a write in progress; left alone (read-only)",
		    last, r->torn_bytes, r->torn_off, r->torn_what);
	}
	if (ax->read_only) {
		rc = 0;
		goto out;
	}
	if (r->nsegs == 0) {
		rc = new_segment(ax, 1, ax->head_hash);
		if (rc < 0)
			axiom_fail(err, errlen, rc, "%s: cannot create the first segment: %s", ax->where,
			     strerror(-rc));
		goto out;
	}
	rc = ax->ops->open(ax->store, last, 1, &ax->seg);
	if (rc < 0) {
		ax->seg = NULL;
		axiom_fail(err, errlen, rc, "%s/%s: %s", ax->where, last, strerror(-rc));
		goto out;
	}
	snprintf(ax->seg_name, sizeof(ax->seg_name), "%s", last);
	ax->seg_off = r->torn ? r->torn_off : r->off;
	if (r->torn) {
		rc = ax->ops->truncate(ax->seg, r->torn_off);
		if (rc < 0) {
			axiom_fail(err, errlen, rc, "%s/%s: cannot cut the torn tail at offset %" PRIu64
			     ": %s", ax->where, last, r->torn_off, strerror(-rc));
			goto out;
		}
		say(ax, "segment %s: torn tail at offset %" PRIu64 " (%s): dropped %" PRIu64
			" bytes; the log ends at seq %" PRIu64, last, r->torn_off, r->torn_what,
		    r->torn_bytes, ax->head_seq);
	}
	rc = 0;
out:
	axiom_reader_close(r);
	return rc;
}

static void free_log(struct axiom *ax)
{
	if (ax->seg)
		ax->ops->close(ax->seg);
	if (ax->store)
		ax->ops->close_dir(ax->store);
	if (ax->efd >= 0)
		close(ax->efd);
	sodium_memzero(ax->sk, sizeof(ax->sk));
	pthread_mutex_destroy(&ax->lock);
	pthread_mutex_destroy(&ax->ckpt_lock);
	pthread_cond_destroy(&ax->wake);
	pthread_cond_destroy(&ax->idle);
	free(ax->wbuf);
	free(ax->batch);
	free(ax);
}

/* Register this instance's public key with a store that keeps keys, so
 * that a verifier without our disk can check what we sign. */
static int add_key(struct axiom *ax, char *err, size_t errlen)
{
	uint8_t pk[AXIOM_PUBKEY_SIZE];
	char hex[2 * AXIOM_PUBKEY_SIZE + 1], why[200];
	int rc;

	crypto_sign_ed25519_sk_to_pk(pk, ax->sk);
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	rc = ax->ops->keys_add(ax->store, hex);
	if (rc < 0) {
		store_reason(ax, why, sizeof(why), "add a key to", "keys", rc);
		return axiom_fail(err, errlen, rc, "%s: cannot add the public key %s: %s", ax->where,
				  hex, why);
	}
	return 0;
}

int axiom_open(struct axiom **out, const struct axiom_config *cfg, char *err, size_t errlen)
{
	sigset_t all, old;
	struct axiom *ax;
	int rc;

	*out = NULL;
	/* The key lives in dir even with a remote store; a reader of a store
	 * that lists its keys needs none. */
	if (!cfg || ((!cfg->dir || !cfg->dir[0]) &&
		     !(cfg->read_only && cfg->storage && cfg->storage->keys_get)))
		return axiom_fail(err, errlen, -EINVAL, "no state directory given");
	if (cfg->segment_size && cfg->segment_size < AXIOM_SEGMENT_SIZE_MIN)
		return axiom_fail(err, errlen, -EINVAL, "segment size %" PRIu64 " is below %u bytes",
			    cfg->segment_size, AXIOM_SEGMENT_SIZE_MIN);
	if (sodium_init() < 0)
		return axiom_fail(err, errlen, -EIO, "libsodium failed to initialise");
	ax = calloc(1, sizeof(*ax));
	if (!ax)
		return axiom_fail(err, errlen, -ENOMEM, "out of memory");
	ax->efd = -1;
	pthread_mutex_init(&ax->lock, NULL);
	pthread_mutex_init(&ax->ckpt_lock, NULL);
	{
		pthread_condattr_t ca;

		/* The writer's retry waits are on the monotonic clock. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ax->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_cond_init(&ax->idle, NULL);
	ax->q_tail = &ax->q_head;
	ax->done_tail = &ax->done_head;
	ax->segment_size = cfg->segment_size ? cfg->segment_size : AXIOM_SEGMENT_SIZE_DEFAULT;
	ax->ops = cfg->storage ? cfg->storage : &axiom_storage_file;
	ax->log = cfg->log;
	ax->log_arg = cfg->log_arg;
	ax->read_only = cfg->read_only;
	if (cfg->dir && cfg->dir[0] &&
	    (size_t)snprintf(ax->logdir, sizeof(ax->logdir), "%s/axiom", cfg->dir) >=
	    sizeof(ax->logdir)) {
		rc = axiom_fail(err, errlen, -ENAMETOOLONG, "%s: path too long", cfg->dir);
		goto bad;
	}
	/* Before the store is open it has no where(): the directory, or
	 * (a remote store's reader without one) "the log store". */
	snprintf(ax->where, sizeof(ax->where), "%s", ax->logdir[0] ? ax->logdir : "the log store");
	/* Signals are the owner's business: a thread the store starts (a
	 * remote store's lease keeper) inherits a mask that blocks them all,
	 * or a SIGTERM the owner blocks to read from a signalfd would kill
	 * the process there instead. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = ax->ops->open_dir(cfg->storage_arg, ax->logdir[0] ? ax->logdir : NULL, !ax->read_only,
			       &ax->store);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		const char *why = ax->ops->error ? ax->ops->error(NULL) : NULL;

		ax->store = NULL;
		if (why && why[0])
			axiom_fail(err, errlen, rc, "%s", why);
		else if (rc == -EBUSY)
			axiom_fail(err, errlen, rc, "%s: another process has the log open for writing",
			     ax->where);
		else if (rc == -ENOENT && ax->read_only)
			axiom_fail(err, errlen, rc, "no log in %s", ax->where);
		else
			axiom_fail(err, errlen, rc, "%s: %s", ax->where, strerror(-rc));
		goto bad;
	}
	if (ax->ops->where && ax->ops->where(ax->store))
		snprintf(ax->where, sizeof(ax->where), "%s", ax->ops->where(ax->store));
	/* A remote store keeps only the key here: make the directory. */
	if (!ax->read_only && (rc = durable_mkdirs(ax->logdir, 0700)) < 0) {
		axiom_fail(err, errlen, rc, "%s: %s", ax->logdir, strerror(-rc));
		goto bad;
	}
	if (!ax->read_only && (rc = axiom_key_load(ax->logdir, 1, ax->sk, err, errlen)) < 0)
		goto bad;
	if (!ax->read_only && ax->ops->keys_add && (rc = add_key(ax, err, errlen)) < 0)
		goto bad;
	if ((rc = recover(ax, err, errlen)) < 0)
		goto bad;
	if (!ax->read_only && batch_room(ax, AXIOM_BATCH_MAX_ENTRIES) < 0) {
		rc = axiom_fail(err, errlen, -ENOMEM, "out of memory");
		goto bad;
	}
	ax->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ax->efd < 0) {
		rc = axiom_fail(err, errlen, -errno, "eventfd: %s", strerror(errno));
		goto bad;
	}
	if (!ax->read_only) {
		/* Signals are the owner's business: the writer never takes
		 * one, so a handler never interrupts a sync. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = -pthread_create(&ax->writer, NULL, writer_main, ax);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc < 0) {
			axiom_fail(err, errlen, rc, "cannot start the writer thread: %s", strerror(-rc));
			goto bad;
		}
		ax->writer_started = 1;
	}
	*out = ax;
	return 0;
bad:
	free_log(ax);
	return rc;
}

unsigned int axiom_close(struct axiom *ax)
{
	uint64_t lost;

	if (!ax)
		return 0;
	pthread_mutex_lock(&ax->lock);
	ax->closing = 1;
	pthread_cond_signal(&ax->wake);
	pthread_mutex_unlock(&ax->lock);
	if (ax->writer_started)
		pthread_join(ax->writer, NULL);
	/* The writer completed everything; what has a callback waits here. */
	axiom_dispatch(ax);
	pthread_mutex_lock(&ax->lock);
	while (ax->submitters)
		pthread_cond_wait(&ax->idle, &ax->lock);
	lost = ax->stats.owed_lost;
	pthread_mutex_unlock(&ax->lock);
	free_log(ax);
	return lost > UINT_MAX ? UINT_MAX : (unsigned int)lost;
}
