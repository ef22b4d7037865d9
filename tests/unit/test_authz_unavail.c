/*
 * test_authz_unavail.c - the authorizer on a log whose store is remote
 * (storage.h: etcd): while the store cannot take writes (-EAGAIN: no
 * quorum) or holds a write in doubt (-ETIMEDOUT), new connections fail
 * closed and are counted as refused for that (authz.refused_unavail), never
 * as failures and never let through; they are authorized again once the
 * store takes writes, without a restart. And the start reads the log back
 * from the store it is written to, not from files in the state directory.
 *
 * A real Axiom log, its file backend wrapped: datasync fails on demand,
 * and open_dir can put the segments in a directory of their own (a store
 * that is not the state directory's files); the engine on a fake device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "axiom/opt.h"
#include "authz_helper.h"

static struct fake_host H;
static struct fake_tcp_app A;
static struct fake_tcp_peer P;

static int fail_sync;            /* errno for every datasync, 0: none */
static char store_dir[PATH_MAX]; /* "": segments in the state directory */

static int w_datasync(void *file)
{
	int e = __atomic_load_n(&fail_sync, __ATOMIC_SEQ_CST);

	return e ? -e : axiom_storage_file.datasync(file);
}

static int w_open_dir(void *arg, const char *dir, int writable, void **store)
{
	return axiom_storage_file.open_dir(arg, store_dir[0] ? store_dir : dir, writable, store);
}

static struct axiom_storage_ops wrap_ops;

static const char pol[] = "default deny in\nallow in tcp to port 80\n";

static int setup(void)
{
	wrap_ops = axiom_storage_file;
	wrap_ops.datasync = w_datasync;
	wrap_ops.open_dir = w_open_dir;
	__atomic_store_n(&fail_sync, 0, __ATOMIC_SEQ_CST);
	store_dir[0] = '\0';
	memset(&A, 0, sizeof(A));
	return 0;
}

static int conn_exists(uint16_t sport)
{
	return tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 80, FAKE_V4(FAKE_PEER_IP), sport) != NULL;
}

/*
 * The store cannot take writes (-EAGAIN, nothing stored): the connection
 * whose entry found it so is refused, the next one at once, both counted
 * as refused_unavail (the log's own refusals in axiom.refused_unavail);
 * none is a failure, none is let through. The store back, after the retry
 * interval a connection is authorized again.
 * BUG (fixed): such refusals counted as authz.failed, with a warning per
 * connection.
 */
TEST(refused_while_the_store_cannot_take_writes)
{
	char dir[] = "/tmp/axnet-test-authz-unavail-XXXXXX";
	struct axiom_config xc = { .storage = &wrap_ops, .log = authz_quiet };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom_stats xs;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	char why[256];

	REQUIRE(setup() == 0);
	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	REQUIRE(tcp_listen(&H.s, 80, 16, fake_tcp_app_cb(), &A) != NULL);

	__atomic_store_n(&fail_sync, EAGAIN, __ATOMIC_SEQ_CST);
	/* The first goes to the writer, which finds the store unavailable. */
	authz_syn(&P, &H, 40000, 80);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.pending == 0));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.refused_unavail, 1);
	CHECK_EQ(st.failed, 0);
	CHECK_EQ(st.authorized, 0);
	CHECK(!conn_exists(40000));
	CHECK_EQ(axiom_error(ax, why, sizeof(why)), 1);
	/* The next, within the retry interval, is refused at once. */
	authz_syn(&P, &H, 40001, 80);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.refused_unavail, 2);
	CHECK_EQ(st.failed, 0);
	CHECK_EQ(st.refused_full, 0);
	CHECK(!conn_exists(40001));
	axiom_stats(ax, &xs);
	CHECK_EQ(xs.unavailable, 1);
	CHECK_EQ(xs.refused_unavail, 1);
	CHECK_EQ(xs.full, 0);

	/* The store back: after the retry interval, authorized again. */
	__atomic_store_n(&fail_sync, 0, __ATOMIC_SEQ_CST);
	usleep((AXIOM_UNAVAIL_RETRY_MS + 50) * 1000);
	authz_syn(&P, &H, 40002, 80);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.authorized == 1));
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.refused_unavail, 2);
	CHECK_EQ(st.failed, 0);
	CHECK(conn_exists(40002));
	axiom_stats(ax, &xs);
	CHECK_EQ(xs.unavailable, 0);

	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
}

/*
 * A write in doubt (-ETIMEDOUT: it may be stored): the connection in it
 * waits, neither refused nor let through, while new ones are refused at
 * once (refused_unavail); when the store answers, the one in doubt is
 * authorized with the entry it was given, exactly once.
 */
TEST(in_doubt_holds_its_connection_and_refuses_new_ones)
{
	char dir[] = "/tmp/axnet-test-authz-unavail-XXXXXX";
	struct axiom_config xc = { .storage = &wrap_ops, .log = authz_quiet };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	uint64_t head;
	long n;

	REQUIRE(setup() == 0);
	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	REQUIRE(tcp_listen(&H.s, 80, 16, fake_tcp_app_cb(), &A) != NULL);
	head = axiom_head_seq(ax);

	__atomic_store_n(&fail_sync, ETIMEDOUT, __ATOMIC_SEQ_CST);
	authz_syn(&P, &H, 40000, 80);
	/* Its write is in doubt for a few retries: still pending. */
	for (int i = 0; i < 20; i++) {
		struct axiom_stats xs;

		axiom_stats(ax, &xs);
		if (xs.unavailable && xs.unavail_retries >= 2)
			break;
		usleep(AXIOM_UNAVAIL_RETRY_MS * 1000 / 2);
	}
	authz_drain(ax);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	CHECK_EQ(st.authorized, 0);
	CHECK(conn_exists(40000));
	authz_syn(&P, &H, 40001, 80);
	authz_stats(a, &st);
	CHECK_EQ(st.refused_unavail, 1);
	CHECK_EQ(st.failed, 0);
	CHECK(!conn_exists(40001));

	/* The store answers: the held write is stored, once. */
	__atomic_store_n(&fail_sync, 0, __ATOMIC_SEQ_CST);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.authorized == 1));
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.failed, 0);
	CHECK_EQ(axiom_head_seq(ax), head + 1);
	stack_fini(&H.s);
	authz_teardown(ax, a);
	/* Its authorization, written once, and its close at the stop; the
	 * refused one wrote nothing. */
	n = authz_log_count(dir);
	CHECK_EQ(n, (long)head + 2);
	CHECK_EQ(authz_rmdir(dir), 0);
}

/*
 * The log's segments live in a store of their own (here another
 * directory; in production etcd), not in the state directory. A killed
 * instance left three authorizations open there: the next start reads
 * that store and closes all three (instance-restarted) in its start group.
 * BUG (fixed): the start read files in the state directory, found no log,
 * and left the three open forever.
 */
TEST(start_reads_the_log_from_its_store)
{
	char dir[] = "/tmp/axnet-test-authz-unavail-XXXXXX";
	char sdir[] = "/tmp/axnet-test-authz-store-XXXXXX";
	struct axiom_config xc = { .storage = &wrap_ops, .log = authz_quiet };
	struct authz_config ac = { 0 };
	struct axiom_result res;
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	char text[256];
	int i;

	REQUIRE(setup() == 0);
	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE(mkdtemp(sdir) != NULL);
	snprintf(store_dir, sizeof(store_dir), "%s", sdir);
	xc.dir = dir;
	REQUIRE(axiom_open(&ax, &xc, text, sizeof(text)) == 0);
	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "dir=in proto=tcp local=10.0.0.1:80 remote=10.0.0.2:%d "
			 "rule=1 policy=0", 1000 + i);
		REQUIRE(axiom_submit(ax, AXIOM_CONN_AUTHORIZE, text, (uint32_t)strlen(text), &res) == 0);
		REQUIRE(res.committed);
	}
	axiom_close(ax);
	ax = NULL;

	AUTHZ_HOST(&H);
	ac.log_cfg = &xc;
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_stats(a, &st);
	CHECK_EQ(st.closed, 3);
	/* 3 authorizations, then the start's group: 3 closes, the push */
	CHECK_EQ(axiom_head_seq(ax), 3 + 3 + 1);
	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
	CHECK_EQ(authz_rmdir(sdir), 0);
}

TEST_MAIN(T(refused_while_the_store_cannot_take_writes),
	  T(in_doubt_holds_its_connection_and_refuses_new_ones),
	  T(start_reads_the_log_from_its_store))
