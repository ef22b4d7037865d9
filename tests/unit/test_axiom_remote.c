/*
 * test_axiom_remote.c - Axiom on a remote store (storage.h's remote
 * errors and its keys/checkpoint ops), without etcd: an in-memory store
 * that behaves as a remote one does (a write is stored by its datasync, as
 * one compare-and-swap on the segment's end, and only then visible) and
 * can be told to fail its next operations with -EAGAIN (nothing stored),
 * -ETIMEDOUT (in doubt: stored or not, as the test says) or -ESTALE.
 *
 * Only the secret key is in the test's directory; segments, public keys
 * and checkpoints live in the store.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "axiom/axiom.h"
#include "axiom/checkpoint.h"
#include "axiom/opt.h"
#include "testlib.h"
#include "tmpdir.h"

/* --- the in-memory store ------------------------------------------------------ */

#define MAXSEG 64
#define MAXCK 64
#define MAXFAULT 8
#define WHERE "mem://10.0.0.1:2379/axnet/log/test"

struct mseg {
	char name[AXIOM_SEG_NAME_SIZE];
	uint8_t *data;
	size_t size;
};

/* The next n datasyncs (creates, pwrites, reads) fail with err; landed:
 * the first of them (a sync or create) is stored all the same, as when a
 * reply is lost after the cluster committed the write. */
struct fault {
	int err;
	int n;
	int landed;
};

enum { F_SYNC, F_CREATE, F_PWRITE, F_READ, F_KINDS };

static struct {
	pthread_mutex_t mu;
	int exists, held;
	struct mseg segs[MAXSEG];
	size_t nsegs;
	char keys[1024];
	char *ckpts[MAXCK];
	size_t nckpts;
	struct fault fq[F_KINDS][MAXFAULT];
	char err[160];
	/* Counters. */
	int syncs, pwrites, truncates, creates;
	int appends;    /* writes stored (a landed write counts once) */
	int resent_ok;  /* a write sent again and found stored already */
} M = { .mu = PTHREAD_MUTEX_INITIALIZER };

struct mstore {
	int writable;
};

struct mfile {
	size_t seg;
	uint8_t *pend;          /* written, not yet synced */
	size_t pend_off, pend_len;
};

static void mem_reset(void)
{
	size_t i;

	pthread_mutex_lock(&M.mu);
	for (i = 0; i < M.nsegs; i++)
		free(M.segs[i].data);
	for (i = 0; i < M.nckpts; i++)
		free(M.ckpts[i]);
	M.exists = M.held = 0;
	M.nsegs = M.nckpts = 0;
	M.keys[0] = '\0';
	memset(M.fq, 0, sizeof(M.fq));
	M.err[0] = '\0';
	M.syncs = M.pwrites = M.truncates = M.creates = M.appends = M.resent_ok = 0;
	pthread_mutex_unlock(&M.mu);
}

/* Queue a fault of kind k. */
static void arm(int k, int err, int n, int landed)
{
	int i;

	pthread_mutex_lock(&M.mu);
	for (i = 0; i < MAXFAULT && M.fq[k][i].n; i++)
		;
	if (i < MAXFAULT)
		M.fq[k][i] = (struct fault){ .err = err, .n = n, .landed = landed };
	pthread_mutex_unlock(&M.mu);
}

static void disarm(void)
{
	pthread_mutex_lock(&M.mu);
	memset(M.fq, 0, sizeof(M.fq));
	pthread_mutex_unlock(&M.mu);
}

/* The fault the next op of kind k takes (0: none); M.mu held. */
static int take_locked(int k, int *landed)
{
	struct fault *f = &M.fq[k][0];
	int err;

	*landed = 0;
	if (!f->n)
		return 0;
	err = f->err;
	*landed = f->landed;
	f->landed = 0;
	if (--f->n == 0) {
		memmove(f, f + 1, (MAXFAULT - 1) * sizeof(*f));
		memset(&M.fq[k][MAXFAULT - 1], 0, sizeof(*f));
	}
	switch (err) {
	case EAGAIN:
		snprintf(M.err, sizeof(M.err), "mem 10.0.0.1:2379: etcdserver: no leader");
		break;
	case ETIMEDOUT:
		snprintf(M.err, sizeof(M.err), "mem 10.0.0.1:2379: etcdserver: request timed out");
		break;
	case ESTALE:
		snprintf(M.err, sizeof(M.err), "mem 10.0.0.1:2379: head moved (another writer)");
		break;
	default:
		snprintf(M.err, sizeof(M.err), "mem 10.0.0.1:2379: %s", strerror(err));
	}
	return -err;
}

/* Why the last open_dir failed: error(NULL) (storage.h). */
static char open_err[160];

/* A writable open starts a thread, as etcd's lease keeper does; it says
 * whether it would take a SIGTERM (1: blocked, as it must be). */
static pthread_t keeper;
static int keeper_blocks_sigterm = -1;

static void *keeper_main(void *arg)
{
	sigset_t cur;

	(void)arg;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	keeper_blocks_sigterm = sigismember(&cur, SIGTERM) && sigismember(&cur, SIGINT);
	return NULL;
}

static int m_open_dir(void *arg, const char *dir, int writable, void **store)
{
	struct mstore *s;

	(void)arg;
	(void)dir;
	pthread_mutex_lock(&M.mu);
	open_err[0] = '\0';
	if (writable && M.held) {
		snprintf(open_err, sizeof(open_err), WHERE " is held by another writer: host=h pid=1");
		pthread_mutex_unlock(&M.mu);
		return -EBUSY;
	}
	if (!writable && !M.exists) {
		pthread_mutex_unlock(&M.mu);
		return -ENOENT;
	}
	if (writable)
		M.held = M.exists = 1;
	pthread_mutex_unlock(&M.mu);
	if (writable)
		pthread_create(&keeper, NULL, keeper_main, NULL);
	s = calloc(1, sizeof(*s));
	s->writable = writable;
	*store = s;
	return 0;
}

static void m_close_dir(void *store)
{
	struct mstore *s = store;

	if (s->writable)
		pthread_join(keeper, NULL);
	pthread_mutex_lock(&M.mu);
	if (s->writable)
		M.held = 0;
	pthread_mutex_unlock(&M.mu);
	free(s);
}

static int m_list(void *store, char ***names, size_t *n)
{
	int landed, err;
	size_t i;

	(void)store;
	pthread_mutex_lock(&M.mu);
	if ((err = take_locked(F_READ, &landed)) < 0) {
		pthread_mutex_unlock(&M.mu);
		return err;
	}
	*names = calloc(M.nsegs + 1, sizeof(char *));
	for (i = 0; i < M.nsegs; i++)
		(*names)[i] = strdup(M.segs[i].name);
	*n = M.nsegs;
	pthread_mutex_unlock(&M.mu);
	return 0;
}

static struct mfile *new_file(size_t seg)
{
	struct mfile *f = calloc(1, sizeof(*f));

	f->seg = seg;
	return f;
}

static int m_open(void *store, const char *name, int writable, void **file)
{
	size_t i;

	(void)store;
	(void)writable;
	pthread_mutex_lock(&M.mu);
	for (i = 0; i < M.nsegs && strcmp(M.segs[i].name, name) != 0; i++)
		;
	if (i == M.nsegs) {
		pthread_mutex_unlock(&M.mu);
		return -ENOENT;
	}
	pthread_mutex_unlock(&M.mu);
	*file = new_file(i);
	return 0;
}

/* Create is atomic; made again with the same bytes (after a create in
 * doubt that landed) it is found there and succeeds. */
static int m_create(void *store, const char *name, const void *data, size_t len, void **file)
{
	int landed, err;
	size_t i;

	(void)store;
	pthread_mutex_lock(&M.mu);
	M.creates++;
	err = take_locked(F_CREATE, &landed);
	for (i = 0; i < M.nsegs && strcmp(M.segs[i].name, name) != 0; i++)
		;
	if (i < M.nsegs) {
		if (M.segs[i].size != len || memcmp(M.segs[i].data, data, len) != 0)
			err = err ? err : -EEXIST;
	} else if ((err == 0 || landed) && M.nsegs < MAXSEG) {
		snprintf(M.segs[i].name, sizeof(M.segs[i].name), "%s", name);
		M.segs[i].data = malloc(len);
		memcpy(M.segs[i].data, data, len);
		M.segs[i].size = len;
		M.nsegs++;
	}
	pthread_mutex_unlock(&M.mu);
	if (err < 0)
		return err;
	*file = new_file(i);
	return 0;
}

static int m_size(void *file, uint64_t *size)
{
	struct mfile *f = file;
	int landed, err;

	pthread_mutex_lock(&M.mu);
	err = take_locked(F_READ, &landed);
	*size = M.segs[f->seg].size;
	pthread_mutex_unlock(&M.mu);
	return err;
}

static ssize_t m_pread(void *file, void *buf, size_t len, uint64_t off)
{
	struct mfile *f = file;
	struct mseg *s = &M.segs[f->seg];
	int landed, err;
	size_t n = 0;

	pthread_mutex_lock(&M.mu);
	err = take_locked(F_READ, &landed);
	if (!err && off < s->size) {
		n = s->size - off < len ? s->size - off : len;
		memcpy(buf, s->data + off, n);
	}
	pthread_mutex_unlock(&M.mu);
	return err ? err : (ssize_t)n;
}

static int m_pwrite(void *file, const void *buf, size_t len, uint64_t off)
{
	struct mfile *f = file;
	int landed, err;

	pthread_mutex_lock(&M.mu);
	M.pwrites++;
	err = take_locked(F_PWRITE, &landed);
	pthread_mutex_unlock(&M.mu);
	if (err < 0)
		return err;
	if (!f->pend_len)
		f->pend_off = off;
	if (off != f->pend_off + f->pend_len)
		return -EINVAL;
	f->pend = realloc(f->pend, f->pend_len + len);
	memcpy(f->pend + f->pend_len, buf, len);
	f->pend_len += len;
	return 0;
}

/* Store the pending write where it was meant to go (compare-and-swap on
 * the segment's end), or find it there already; M.mu held. */
static int send_locked(struct mfile *f)
{
	struct mseg *s = &M.segs[f->seg];

	if (s->size == f->pend_off) {
		s->data = realloc(s->data, s->size + f->pend_len);
		memcpy(s->data + s->size, f->pend, f->pend_len);
		s->size += f->pend_len;
		M.appends++;
		return 0;
	}
	if (s->size == f->pend_off + f->pend_len &&
	    memcmp(s->data + f->pend_off, f->pend, f->pend_len) == 0) {
		M.resent_ok++;
		return 0;
	}
	snprintf(M.err, sizeof(M.err), "mem 10.0.0.1:2379: head moved (another writer)");
	return -ESTALE;
}

static int m_datasync(void *file)
{
	struct mfile *f = file;
	int landed, err;

	pthread_mutex_lock(&M.mu);
	M.syncs++;
	if (!f->pend_len) {
		pthread_mutex_unlock(&M.mu);
		return 0;
	}
	err = take_locked(F_SYNC, &landed);
	if (err == -ETIMEDOUT && landed)
		send_locked(f);
	if (!err)
		err = send_locked(f);
	if (!err)
		f->pend_len = 0;
	pthread_mutex_unlock(&M.mu);
	return err;
}

static int m_truncate(void *file, uint64_t len)
{
	struct mfile *f = file;

	pthread_mutex_lock(&M.mu);
	M.truncates++;
	if (M.segs[f->seg].size > len)
		M.segs[f->seg].size = (size_t)len;
	pthread_mutex_unlock(&M.mu);
	f->pend_len = 0;
	return 0;
}

static void m_close(void *file)
{
	struct mfile *f = file;

	free(f->pend);
	free(f);
}

static int m_keys_get(void *store, char **text)
{
	(void)store;
	pthread_mutex_lock(&M.mu);
	*text = M.keys[0] ? strdup(M.keys) : NULL;
	pthread_mutex_unlock(&M.mu);
	return *text ? 0 : -ENOENT;
}

static int m_keys_add(void *store, const char *hex)
{
	(void)store;
	pthread_mutex_lock(&M.mu);
	if (!strstr(M.keys, hex)) {
		strcat(M.keys, hex);
		strcat(M.keys, "\n");
	}
	pthread_mutex_unlock(&M.mu);
	return 0;
}

static int m_ckpt_append(void *store, const char *line)
{
	(void)store;
	pthread_mutex_lock(&M.mu);
	if (M.nckpts < MAXCK)
		M.ckpts[M.nckpts++] = strdup(line);
	pthread_mutex_unlock(&M.mu);
	return 0;
}

static int m_ckpt_load(void *store, char ***lines, size_t *n)
{
	size_t i;

	(void)store;
	pthread_mutex_lock(&M.mu);
	*lines = calloc(M.nckpts + 1, sizeof(char *));
	for (i = 0; i < M.nckpts; i++)
		(*lines)[i] = strdup(M.ckpts[i]);
	*n = M.nckpts;
	pthread_mutex_unlock(&M.mu);
	return 0;
}

static const char *m_error(void *store)
{
	return store ? M.err : open_err;
}

static const char *m_where(void *store)
{
	(void)store;
	return WHERE;
}

static const struct axiom_storage_ops mem_ops = {
	.open_dir = m_open_dir,
	.close_dir = m_close_dir,
	.list = m_list,
	.open = m_open,
	.create = m_create,
	.size = m_size,
	.pread = m_pread,
	.pwrite = m_pwrite,
	.datasync = m_datasync,
	.truncate = m_truncate,
	.close = m_close,
	.keys_get = m_keys_get,
	.keys_add = m_keys_add,
	.ckpt_append = m_ckpt_append,
	.ckpt_load = m_ckpt_load,
	.error = m_error,
	.where = m_where,
};

static int mget(int *p)
{
	int v;

	pthread_mutex_lock(&M.mu);
	v = *p;
	pthread_mutex_unlock(&M.mu);
	return v;
}

/* --- helpers ---------------------------------------------------------------- */

static char logbuf[16384];
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_capture(void *arg, const char *msg)
{
	size_t n;

	(void)arg;
	pthread_mutex_lock(&log_mu);
	n = strlen(logbuf);
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
	pthread_mutex_unlock(&log_mu);
}

static int logged(const char *what)
{
	int yes;

	pthread_mutex_lock(&log_mu);
	yes = strstr(logbuf, what) != NULL;
	pthread_mutex_unlock(&log_mu);
	return yes;
}

static void log_clear(void)
{
	pthread_mutex_lock(&log_mu);
	logbuf[0] = '\0';
	pthread_mutex_unlock(&log_mu);
}

static struct axiom_config remote_cfg(const char *dir, uint64_t segsize)
{
	return (struct axiom_config){
		.dir = dir,
		.segment_size = segsize,
		.storage = &mem_ops,
		.log = log_capture,
	};
}

static int open_remote(struct axiom **ax, const char *dir, uint64_t segsize, char *err,
		       size_t errlen)
{
	struct axiom_config cfg = remote_cfg(dir, segsize);

	return axiom_open(ax, &cfg, err, errlen);
}

static uint64_t put(struct axiom *ax, const char *text)
{
	struct axiom_result res;

	if (axiom_submit(ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text), &res) < 0)
		return 0;
	return res.committed ? res.seq : 0;
}

/* The store's log read back with no state directory: the count, seqs
 * 1..n in order (else -2), and entry i's payload in texts[i - 1]. */
static long read_store(char texts[][48], size_t max)
{
	struct axiom_config cfg = { .storage = &mem_ops };
	struct axiom_iter *it;
	struct axiom_entry e;
	char err[320];
	long n = 0;
	int rc;

	if (axiom_iter_open_cfg(&it, &cfg, 0, err, sizeof(err)) < 0)
		return -1;
	while ((rc = axiom_iter_next(it, &e)) > 0) {
		if ((uint64_t)n + 1 != e.seq) {
			n = -2;
			break;
		}
		if (texts && (size_t)n < max)
			snprintf(texts[n], 48, "%.*s", (int)(e.len < 47 ? e.len : 47),
				 (const char *)e.payload);
		n++;
	}
	if (rc < 0)
		n = rc;
	axiom_iter_close(it);
	return n;
}

static int verify_store(const struct axiom_verify_opts *opts, struct axiom_verify_report *rep)
{
	struct axiom_config cfg = { .storage = &mem_ops };

	return axiom_verify_cfg(&cfg, opts, rep);
}

static struct axiom_result cb_res;
static int cb_calls;
static uint64_t owed_seqs[8];
static int owed_n, owed_calls;
static struct axiom_result owed_res;
static int group_calls, group_err[4];

static void on_result(void *arg, const struct axiom_result *res)
{
	(void)arg;
	cb_res = *res;
	cb_calls++;
}

static void on_owed(void *arg, const struct axiom_result *res)
{
	(void)arg;
	owed_calls++;
	owed_res = *res;
	if (res->committed && owed_n < 8)
		owed_seqs[owed_n++] = res->seq;
}

static void on_group(void *arg, const struct axiom_result *res)
{
	int i = (int)(intptr_t)arg;

	group_err[i] = res->committed ? 0 : res->err;
	group_calls++;
}

static void reset_cbs(void)
{
	cb_calls = owed_n = owed_calls = group_calls = 0;
	memset(&cb_res, 0, sizeof(cb_res));
	memset(group_err, 0, sizeof(group_err));
}

/* Dispatch until *counter reaches want or ms pass. */
static void dispatch_until(struct axiom *ax, int *counter, int want, int ms)
{
	struct pollfd pfd = { .fd = axiom_event_fd(ax), .events = POLLIN };

	for (int i = 0; i < ms / 5 && *counter < want; i++) {
		poll(&pfd, 1, 5);
		axiom_dispatch(ax);
	}
}

/* Wait (up to ms) until the log's stats say it holds a write in doubt
 * count times. */
static int wait_doubt_events(struct axiom *ax, uint64_t count, int ms)
{
	struct axiom_stats st;

	for (int i = 0; i < ms / 5; i++) {
		axiom_stats(ax, &st);
		if (st.doubt_events >= count)
			return 1;
		usleep(5000);
	}
	return 0;
}

static void hex_of(const uint8_t pk[AXIOM_PUBKEY_SIZE], char hex[2 * AXIOM_PUBKEY_SIZE + 1])
{
	sodium_bin2hex(hex, 2 * AXIOM_PUBKEY_SIZE + 1, pk, AXIOM_PUBKEY_SIZE);
}

/* --- the store cannot take writes (-EAGAIN) -------------------------------------- */

/*
 * Like a full disk: the write is cut back (nothing of it stored), what may
 * be refused is refused with -EAGAIN and the store's reason, new refusable
 * proposals are refused at once, owed ones wait at the head of the queue
 * and go out (in one write) by themselves once the store takes writes.
 */
TEST(unavailable_store_holds_like_a_full_disk)
{
	char *dir = tmpdir_make("axiom-remote"), err[320], texts[10][48];
	const char *no_leader = "mem 10.0.0.1:2379: etcdserver: no leader";
	struct axiom_verify_report rep;
	struct axiom_result res;
	struct axiom_stats st;
	struct axiom *ax;
	size_t size5;
	int i, appends5;

	REQUIRE(dir);
	mem_reset();
	log_clear();
	reset_cbs();
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 5; i++)
		CHECK_EQ(put(ax, "before the outage"), i);
	size5 = M.segs[0].size;
	appends5 = mget(&M.appends);
	arm(F_SYNC, EAGAIN, 1000000, 0);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "refused", 7, &res), 0);
	CHECK(!res.committed);
	CHECK_EQ(res.err, -EAGAIN);
	CHECK_EQ(res.seq, 0);
	CHECK(strcmp(res.reason, no_leader) == 0);
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 1);
	CHECK(strcmp(err, no_leader) == 0);
	CHECK(logged("mem 10.0.0.1:2379: etcdserver: no leader: new authorizations are refused "
		     "until the store takes writes again"));
	/* Refused at once while it lasts. */
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "at once", 7, on_result, NULL), -EAGAIN);
	for (i = 0; i < 3; i++)
		CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed close", 10, AXIOM_KEEP, on_owed,
					  NULL), 0);
	dispatch_until(ax, &owed_calls, 1, 3 * AXIOM_UNAVAIL_RETRY_MS);
	CHECK_EQ(owed_calls, 0);
	axiom_stats(ax, &st);
	CHECK_EQ(st.owed, 3);
	CHECK_EQ(st.unavailable, 1);
	CHECK_EQ(st.unavail_events, 1);
	CHECK(st.unavail_retries >= 1); /* the owed ones, every 250 ms */
	CHECK_EQ(st.refused_unavail, 1);
	CHECK_EQ(st.doubt_events, 0);
	CHECK_EQ(st.full, 0);
	CHECK_EQ(st.full_events, 0);
	CHECK_EQ(st.refused_full, 0);
	CHECK_EQ(st.committed, 5);
	CHECK_EQ(st.rejected, 1);
	CHECK_EQ(M.segs[0].size, size5);
	CHECK_EQ(mget(&M.appends), appends5);
	CHECK(mget(&M.truncates) >= 2); /* every failed write cut back */
	/* The store is back: the owed entries go out in order, one write. */
	disarm();
	dispatch_until(ax, &owed_calls, 3, 3000);
	CHECK_EQ(owed_calls, 3);
	CHECK_EQ(owed_n, 3);
	CHECK(owed_seqs[0] == 6 && owed_seqs[1] == 7 && owed_seqs[2] == 8);
	CHECK_EQ(mget(&M.appends), appends5 + 1);
	CHECK(logged("the store takes writes again: writing resumed at seq 6"));
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 0);
	CHECK_EQ(put(ax, "after the outage"), 9);
	axiom_stats(ax, &st);
	CHECK_EQ(st.unavailable, 0);
	CHECK_EQ(st.owed, 0);
	CHECK_EQ(st.committed, 9);
	CHECK_EQ(st.rejected, 1);
	CHECK_EQ(axiom_close(ax), 0);
	CHECK_EQ(read_store(texts, 10), 9);
	CHECK(strcmp(texts[5], "owed close") == 0 && strcmp(texts[8], "after the outage") == 0);
	CHECK_EQ(verify_store(NULL, &rep), 0);
	CHECK_EQ(rep.entries, 9);
	tmpdir_remove(dir);
}

/* Nothing owed: a refusable proposal after the retry interval goes to the
 * store as a probe, so writing resumes by itself. */
TEST(unavailable_store_probe_resumes)
{
	char *dir = tmpdir_make("axiom-remote"), err[320];
	struct axiom *ax;

	REQUIRE(dir);
	mem_reset();
	log_clear();
	reset_cbs();
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	arm(F_SYNC, EAGAIN, 1, 0);
	CHECK_EQ(put(ax, "refused"), 0);
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "x", 1, NULL, NULL), -EAGAIN);
	usleep((AXIOM_UNAVAIL_RETRY_MS + 30) * 1000);
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "probe", 5, on_result, NULL), 0);
	dispatch_until(ax, &cb_calls, 1, 2000);
	CHECK(cb_calls == 1 && cb_res.committed && cb_res.seq == 2);
	CHECK(logged("the store takes writes again: writing resumed at seq 2"));
	CHECK_EQ(put(ax, "two"), 3);
	axiom_close(ax);
	CHECK_EQ(read_store(NULL, 0), 3);
	tmpdir_remove(dir);
}

/* --- a write in doubt (-ETIMEDOUT) ------------------------------------------------ */

/*
 * The sync of entry 6 times out (stored or not: landed), and twice more
 * when sent again. The writer holds that very write - no cut, no new
 * encoding - and syncs it again every AXIOM_UNAVAIL_RETRY_MS; meanwhile a
 * refusable proposal is refused at once, a group is rejected (-EAGAIN), an
 * owed one queues behind it. Then entry 6 commits with seq 6, exactly
 * once in the store, and the owed one follows as 7.
 */
static void doubt_case(int landed)
{
	char *dir = tmpdir_make("axiom-remote"), err[320], texts[10][48];
	const char *in_doubt = "mem 10.0.0.1:2379: etcdserver: request timed out (in doubt, "
			       "retrying)";
	struct axiom_item items[2] = {
		{ .type = AXIOM_POLICY_PUSH, .payload = "g0", .len = 2, .cb = on_group,
		  .arg = (void *)(intptr_t)0 },
		{ .type = AXIOM_POLICY_TEXT, .payload = "g1", .len = 2, .cb = on_group,
		  .arg = (void *)(intptr_t)1 },
	};
	struct axiom_verify_report rep;
	struct axiom_stats st;
	struct axiom *ax;
	int i, appends5, pwrites5;

	REQUIRE(dir);
	mem_reset();
	log_clear();
	reset_cbs();
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 5; i++)
		CHECK_EQ(put(ax, "before"), i);
	appends5 = mget(&M.appends);
	pwrites5 = mget(&M.pwrites);
	arm(F_SYNC, ETIMEDOUT, 3, landed);
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "in doubt", 8, on_result, NULL), 0);
	REQUIRE(wait_doubt_events(ax, 1, 2000));
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "refused", 7, NULL, NULL), -EAGAIN);
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 1);
	CHECK(strcmp(err, in_doubt) == 0);
	CHECK(logged("request timed out (in doubt, retrying): new authorizations are refused "
		     "until the store takes writes again; entries 6..6 are held"));
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed", 4, AXIOM_KEEP, on_owed, NULL), 0);
	CHECK_EQ(axiom_propose_group(ax, items, 2), 0);
	dispatch_until(ax, &cb_calls, 1, 3000);
	dispatch_until(ax, &owed_calls, 1, 1000);
	dispatch_until(ax, &group_calls, 2, 1000);
	CHECK_EQ(cb_calls, 1);
	CHECK(cb_res.committed);
	CHECK_EQ(cb_res.seq, 6);
	CHECK_EQ(owed_n, 1);
	CHECK_EQ(owed_seqs[0], 7);
	CHECK_EQ(group_calls, 2);
	CHECK(group_err[0] == -EAGAIN && group_err[1] == -EAGAIN);
	axiom_stats(ax, &st);
	CHECK_EQ(st.doubt_events, 1);
	CHECK_EQ(st.unavail_retries, 3); /* two more timeouts, then stored */
	CHECK_EQ(st.unavail_events, 0);
	CHECK_EQ(st.refused_unavail, 1);
	CHECK_EQ(st.unavailable, 0);
	CHECK_EQ(st.committed, 7);
	CHECK_EQ(st.rejected, 2);
	CHECK(logged("the store takes writes again: writing resumed at seq 6"));
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 0);
	/* Held as it was: written once, never cut, stored once. */
	CHECK_EQ(mget(&M.truncates), 0);
	CHECK_EQ(mget(&M.pwrites), pwrites5 + 2); /* entry 6, then entry 7 */
	CHECK_EQ(mget(&M.appends), appends5 + 2);
	CHECK_EQ(mget(&M.resent_ok), landed ? 1 : 0);
	CHECK_EQ(put(ax, "after"), 8);
	CHECK_EQ(axiom_close(ax), 0);
	CHECK_EQ(read_store(texts, 10), 8);
	CHECK(strcmp(texts[5], "in doubt") == 0 && strcmp(texts[6], "owed") == 0);
	CHECK_EQ(verify_store(NULL, &rep), 0);
	CHECK_EQ(rep.entries, 8);
	tmpdir_remove(dir);
}

TEST(doubt_that_landed_commits_once)
{
	doubt_case(1);
}

TEST(doubt_that_did_not_land_is_sent_again)
{
	doubt_case(0);
}

/*
 * Closing with a write still in doubt: one last try, then the entry is
 * rejected (-ETIMEDOUT), the log says it may be in the log, and nothing
 * is written after it (an owed entry behind it is lost and counted). At
 * the next open the store says: the entry is there (landed) or not, and
 * the chain goes on from what is there.
 */
static void doubt_at_close_case(int landed)
{
	char *dir = tmpdir_make("axiom-remote"), err[320], texts[10][48];
	struct axiom_verify_report rep;
	struct axiom *ax;
	int i, syncs;

	REQUIRE(dir);
	mem_reset();
	log_clear();
	reset_cbs();
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	for (i = 1; i <= 5; i++)
		CHECK_EQ(put(ax, "before"), i);
	arm(F_SYNC, ETIMEDOUT, 1000000, landed);
	CHECK_EQ(axiom_propose(ax, AXIOM_CONN_AUTHORIZE, "in doubt", 8, on_result, NULL), 0);
	REQUIRE(wait_doubt_events(ax, 1, 2000));
	CHECK_EQ(axiom_propose_ex(ax, AXIOM_CONN_CLOSE, "owed", 4, AXIOM_KEEP, on_owed, NULL), 0);
	syncs = mget(&M.syncs);
	CHECK_EQ(axiom_close(ax), 1);
	CHECK(mget(&M.syncs) >= syncs + 1); /* the last try */
	CHECK_EQ(cb_calls, 1);
	CHECK(!cb_res.committed);
	CHECK_EQ(cb_res.err, -ETIMEDOUT);
	CHECK(strstr(cb_res.reason, "entries 6..6 were in doubt at close: they may be in the log"));
	CHECK(logged("entries 6..6 were in doubt at close: they may be in the log"));
	CHECK_EQ(owed_calls, 1);
	CHECK(!owed_res.committed);
	disarm();
	CHECK_EQ(read_store(texts, 10), 5 + landed);
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 5 + landed);
	CHECK_EQ(put(ax, "next"), 6 + landed);
	CHECK_EQ(axiom_close(ax), 0);
	CHECK_EQ(read_store(texts, 10), 6 + landed);
	if (landed)
		CHECK(strcmp(texts[5], "in doubt") == 0);
	CHECK(strcmp(texts[5 + landed], "next") == 0);
	CHECK_EQ(verify_store(NULL, &rep), 0);
	CHECK_EQ(rep.entries, 6 + landed);
	tmpdir_remove(dir);
}

TEST(doubt_at_close_landed)
{
	doubt_at_close_case(1);
}

TEST(doubt_at_close_not_landed)
{
	doubt_at_close_case(0);
}

/* --- another writer (-ESTALE) ------------------------------------------------------ */

TEST(stale_store_fails_the_log)
{
	char *dir = tmpdir_make("axiom-remote"), err[320];
	const char *stale = "another writer took the log: mem 10.0.0.1:2379: head moved "
			    "(another writer)";
	struct axiom_result res;
	struct axiom *ax;
	int syncs;

	REQUIRE(dir);
	mem_reset();
	log_clear();
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	arm(F_SYNC, ESTALE, 1, 0);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "two", 3, &res), 0);
	CHECK(!res.committed);
	CHECK_EQ(res.err, -EIO);
	CHECK(strcmp(res.reason, stale) == 0);
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 2);
	CHECK(strcmp(err, stale) == 0);
	CHECK(logged(stale));
	/* Failed until reopened: not even tried. */
	syncs = mget(&M.syncs);
	CHECK_EQ(put(ax, "three"), 0);
	CHECK_EQ(mget(&M.syncs), syncs);
	axiom_close(ax);
	CHECK_EQ(read_store(NULL, 0), 1);

	/* -ESTALE while a write is in doubt: the log fails, and says the
	 * entries may be in it. */
	log_clear();
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	arm(F_SYNC, ETIMEDOUT, 1, 0);
	arm(F_SYNC, ESTALE, 1, 0);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, "two", 3, &res), 0);
	CHECK(!res.committed);
	CHECK_EQ(res.err, -EIO);
	CHECK(strcmp(res.reason, stale) == 0);
	CHECK(logged("entries 2..2 were in doubt when the log failed: they may be in the log"));
	CHECK_EQ(axiom_error(ax, err, sizeof(err)), 2);
	axiom_close(ax);
	CHECK_EQ(read_store(NULL, 0), 1);
	tmpdir_remove(dir);
}

/* --- a new segment on a store out of reach ------------------------------------------- */

TEST(create_unavailable_and_in_doubt)
{
	char *dir = tmpdir_make("axiom-remote"), err[320], text[48];
	struct axiom_verify_report rep;
	struct axiom_result res;
	struct axiom_stats st;
	struct axiom *ax;
	int i;

	REQUIRE(dir);
	mem_reset();
	log_clear();
	REQUIRE(open_remote(&ax, dir, 512, err, sizeof(err)) == 0);
	for (i = 1; i <= 4; i++) {
		snprintf(text, sizeof(text), "rollover entry %03d padded to forty....", i);
		CHECK_EQ(put(ax, text), i);
	}
	CHECK_EQ(M.nsegs, 1);
	arm(F_CREATE, EAGAIN, 1, 0);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text), &res), 0);
	CHECK(!res.committed && res.err == -EAGAIN);
	CHECK(strcmp(res.reason, "mem 10.0.0.1:2379: etcdserver: no leader") == 0);
	CHECK_EQ(M.nsegs, 1);
	usleep((AXIOM_UNAVAIL_RETRY_MS + 30) * 1000);
	/* The create lands but its answer is lost: the entries were not
	 * written, so they are refused; the next try makes the same segment
	 * again and finds it made. */
	arm(F_CREATE, ETIMEDOUT, 1, 1);
	CHECK_EQ(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text), &res), 0);
	CHECK(!res.committed && res.err == -EAGAIN);
	CHECK(strcmp(res.reason, "mem 10.0.0.1:2379: etcdserver: request timed out (in doubt, "
		     "retrying)") == 0);
	CHECK_EQ(M.nsegs, 2);
	axiom_stats(ax, &st);
	CHECK_EQ(st.doubt_events, 1);
	CHECK_EQ(st.unavail_events, 1);
	usleep((AXIOM_UNAVAIL_RETRY_MS + 30) * 1000);
	CHECK_EQ(put(ax, text), 5);
	CHECK_EQ(M.nsegs, 2);
	for (i = 6; i <= 9; i++)
		CHECK_EQ(put(ax, text), i);
	CHECK_EQ(axiom_close(ax), 0);
	CHECK_EQ(read_store(NULL, 0), 9);
	CHECK_EQ(verify_store(NULL, &rep), 0);
	CHECK_EQ(rep.entries, 9);
	CHECK_EQ(rep.segments, M.nsegs);
	tmpdir_remove(dir);
}

/* --- keys and checkpoints in the store ------------------------------------------------ */

/*
 * The secret key stays in the state directory; the public key is listed
 * in the store, checkpoints are appended there (no checkpoints file
 * here). A lost state directory makes a new key, which joins the list:
 * recovery holds the log to the checkpoints of either key, and verify
 * (with no directory at all) accepts a checkpoint signed by any listed
 * key, or only by --pubkey's when one is given, and names the one that
 * fails.
 */
TEST(keys_and_checkpoints_in_the_store)
{
	char *dir1 = tmpdir_make("axiom-remote"), *dir2 = tmpdir_make("axiom-remote");
	char err[320], path[600], hex1[65], hex2[65], keys[200], line[AXIOM_CKPT_LINE_MAX];
	uint8_t sk1[AXIOM_SECKEY_SIZE], sk2[AXIOM_SECKEY_SIZE], pk1[32], pk2[32];
	struct axiom_verify_opts opts = { 0 };
	struct axiom_verify_report rep;
	struct axiom_checkpoint c;
	struct stat sb;
	struct axiom *ax;

	REQUIRE(dir1 && dir2);
	mem_reset();
	log_clear();
	REQUIRE(open_remote(&ax, dir1, 0, err, sizeof(err)) == 0);
	for (int i = 1; i <= 3; i++)
		CHECK_EQ(put(ax, "first key"), i);
	CHECK_EQ(axiom_checkpoint(ax), 0);
	CHECK_EQ(axiom_close(ax), 0);
	snprintf(path, sizeof(path), "%s/axiom", dir1);
	REQUIRE(axiom_key_load(path, 0, sk1, err, sizeof(err)) == 0);
	crypto_sign_ed25519_sk_to_pk(pk1, sk1);
	hex_of(pk1, hex1);
	snprintf(keys, sizeof(keys), "%s\n", hex1);
	CHECK(strcmp(M.keys, keys) == 0);
	CHECK_EQ(M.nckpts, 1);
	REQUIRE(axiom_checkpoint_parse(M.ckpts[0], &c) == 0);
	CHECK_EQ(c.seq, 3);
	snprintf(path, sizeof(path), "%s/axiom/%s", dir1, AXIOM_CHECKPOINTS_FILE);
	CHECK(stat(path, &sb) < 0 && errno == ENOENT);
	CHECK_EQ(verify_store(NULL, &rep), 0);
	CHECK_EQ(rep.entries, 3);
	CHECK_EQ(rep.checkpoints, 1);

	/* The state directory is lost: a new key. */
	REQUIRE(open_remote(&ax, dir2, 0, err, sizeof(err)) == 0);
	CHECK(!logged("bad signatures"));
	CHECK_EQ(axiom_head_seq(ax), 3);
	CHECK_EQ(put(ax, "second key"), 4);
	CHECK_EQ(axiom_close(ax), 0); /* and a checkpoint at seq 4 */
	snprintf(path, sizeof(path), "%s/axiom", dir2);
	REQUIRE(axiom_key_load(path, 0, sk2, err, sizeof(err)) == 0);
	crypto_sign_ed25519_sk_to_pk(pk2, sk2);
	hex_of(pk2, hex2);
	snprintf(keys, sizeof(keys), "%s\n%s\n", hex1, hex2);
	CHECK(strcmp(M.keys, keys) == 0);
	CHECK_EQ(M.nckpts, 2);
	CHECK_EQ(verify_store(NULL, &rep), 0);
	CHECK_EQ(rep.entries, 4);
	CHECK_EQ(rep.checkpoints, 2);
	/* Only the old key: the new key's checkpoint fails, and is named. */
	opts.pubkey = pk1;
	CHECK_EQ(verify_store(&opts, &rep), -EKEYREJECTED);
	CHECK(strcmp(rep.message, "stored checkpoint 2 (seq 4): bad checkpoint signature") == 0);
	opts.pubkey = pk2;
	CHECK_EQ(verify_store(&opts, &rep), -EKEYREJECTED);
	CHECK(strcmp(rep.message, "stored checkpoint 1 (seq 3): bad checkpoint signature") == 0);
	/* A key missing from the store's list. */
	snprintf(M.keys, sizeof(M.keys), "%s\n", hex2);
	CHECK_EQ(verify_store(NULL, &rep), -EKEYREJECTED);
	CHECK(strcmp(rep.message, "stored checkpoint 1 (seq 3): bad checkpoint signature: signed "
		     "by none of the 1 keys of " WHERE) == 0);
	snprintf(M.keys, sizeof(M.keys), "%s", keys);

	/* Recovery holds the log to the store's last checkpoint: one that
	 * covers entries the store does not have stops the open. */
	c = (struct axiom_checkpoint){ .seq = 100, .ts_ns = 1 };
	axiom_checkpoint_sign(&c, sk2);
	axiom_checkpoint_format(&c, line);
	m_ckpt_append(NULL, line);
	CHECK_EQ(open_remote(&ax, dir2, 0, err, sizeof(err)), -EUCLEAN);
	CHECK(strstr(err, WHERE ": the log ends at seq 4 but a signed checkpoint covers seq 100"));
	CHECK_EQ(verify_store(NULL, &rep), -ESTALE);
	CHECK(strstr(rep.message, "stored checkpoint 3 covers seq 100"));
	sodium_memzero(sk1, sizeof(sk1));
	sodium_memzero(sk2, sizeof(sk2));
	tmpdir_remove(dir1);
	tmpdir_remove(dir2);
}

/* No state directory: fine for a reader of a store that lists its keys,
 * not for the file store (its key.pub is in the directory) nor for a
 * writer (its secret key is). */
TEST(no_state_directory)
{
	char *dir = tmpdir_make("axiom-remote"), err[320];
	struct axiom_config cfg = { .storage = &mem_ops, .read_only = 1, .log = log_capture };
	struct axiom_config file_cfg = { 0 };
	struct axiom_verify_report rep;
	struct axiom_iter *it;
	struct axiom *ax;

	REQUIRE(dir);
	mem_reset();
	CHECK_EQ(axiom_iter_open_cfg(&it, &cfg, 0, err, sizeof(err)), -ENOENT);
	CHECK(strcmp(err, "no log in the log store") == 0);
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	CHECK_EQ(put(ax, "two"), 2);
	CHECK_EQ(axiom_close(ax), 0);
	/* A second writer: refused, in the store's words (error(NULL)). */
	{
		struct axiom *ax2;

		REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
		CHECK_EQ(open_remote(&ax2, dir, 0, err, sizeof(err)), -EBUSY);
		CHECK(strcmp(err, WHERE " is held by another writer: host=h pid=1") == 0);
		axiom_close(ax);
	}
	REQUIRE(axiom_open(&ax, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_head_seq(ax), 2);
	CHECK_EQ(axiom_propose(ax, AXIOM_START, "x", 1, NULL, NULL), -EROFS);
	axiom_close(ax);
	cfg.read_only = 0;
	CHECK_EQ(axiom_open(&ax, &cfg, err, sizeof(err)), -EINVAL);
	CHECK_EQ(axiom_iter_open_cfg(&it, &file_cfg, 0, err, sizeof(err)), -EINVAL);
	CHECK_EQ(axiom_verify_cfg(&file_cfg, NULL, &rep), -EINVAL);
	CHECK_EQ(axiom_iter_open(&it, NULL, 0, err, sizeof(err)), -EINVAL);
	tmpdir_remove(dir);
}

/*
 * A thread the store starts at open (etcd's lease keeper) must not take
 * the owner's signals: the daemon blocks SIGTERM to read it from a
 * signalfd, and the kernel then hands a SIGTERM to a thread that does not
 * block it, whose default action ends the process.
 * BUG (fixed): open_dir ran with the owner's mask (nothing blocked yet),
 * so `axnet run --axiom etcd://...` died of a SIGTERM (exit 143) instead
 * of stopping cleanly.
 */
TEST(store_threads_take_no_signals)
{
	char *dir = tmpdir_make("axiom-remote"), err[320];
	sigset_t none, before;
	struct axiom *ax;

	REQUIRE(dir);
	mem_reset();
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, &before);
	keeper_blocks_sigterm = -1;
	REQUIRE(open_remote(&ax, dir, 0, err, sizeof(err)) == 0);
	CHECK_EQ(put(ax, "one"), 1);
	CHECK_EQ(axiom_close(ax), 0);
	CHECK_EQ(keeper_blocks_sigterm, 1);
	/* The owner's own mask is left as it was. */
	{
		sigset_t now;

		pthread_sigmask(SIG_SETMASK, NULL, &now);
		CHECK(!sigismember(&now, SIGTERM));
	}
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	tmpdir_remove(dir);
}

/* --- following a remote log ---------------------------------------------------------- */

/*
 * A follower (axnet log --follow) of a store whose list and sizes change
 * under it: entries appear when their sync stores them, segments appear
 * at rollover, and a store out of reach for a moment (-EAGAIN from list,
 * size or read) is an error of that call only: the next call goes on at
 * the same entry, none skipped, none twice.
 * BUG (fixed): the error stuck to the iterator, so `axnet log --follow`
 * of a remote log ended at the first lost request.
 */
TEST(follow_a_store_that_changes)
{
	char *dir = tmpdir_make("axiom-remote"), err[320], text[48];
	struct axiom_config cfg = { .storage = &mem_ops };
	struct axiom_iter *it;
	struct axiom_entry e;
	struct axiom *ax;
	uint64_t next = 1;
	int i, rc, fails = 0;

	REQUIRE(dir);
	mem_reset();
	REQUIRE(open_remote(&ax, dir, 512, err, sizeof(err)) == 0);
	REQUIRE(axiom_iter_open_cfg(&it, &cfg, 0, err, sizeof(err)) == 0);
	CHECK_EQ(axiom_iter_next(it, &e), 0);
	for (i = 1; i <= 12; i++) {
		snprintf(text, sizeof(text), "followed entry %03d padded to forty....", i);
		CHECK_EQ(put(ax, text), i);
		if (i % 3 == 0) /* a request lost: list, size or read */
			arm(F_READ, EAGAIN, 1, 0);
		for (int tries = 0; tries < 4; tries++) {
			while ((rc = axiom_iter_next(it, &e)) > 0) {
				CHECK_EQ(e.seq, next);
				next++;
			}
			if (rc == 0)
				break;
			CHECK_EQ(rc, -EAGAIN);
			CHECK(strstr(axiom_iter_error(it), ": mem 10.0.0.1:2379: etcdserver: no leader"));
			fails++;
		}
		CHECK_EQ(next, (uint64_t)i + 1);
	}
	CHECK_EQ(fails, 4);
	CHECK(M.nsegs >= 3);
	axiom_iter_close(it);
	axiom_close(ax);
	tmpdir_remove(dir);
}

TEST_MAIN(T(unavailable_store_holds_like_a_full_disk), T(unavailable_store_probe_resumes),
	  T(doubt_that_landed_commits_once), T(doubt_that_did_not_land_is_sent_again),
	  T(doubt_at_close_landed), T(doubt_at_close_not_landed), T(stale_store_fails_the_log),
	  T(create_unavailable_and_in_doubt), T(keys_and_checkpoints_in_the_store),
	  T(no_state_directory), T(store_threads_take_no_signals), T(follow_a_store_that_changes))
