/*
 * test_authz_full.c - the authorizer while the log's disk is full: new
 * authorizations fail closed and are counted as refused for a full disk
 * (authz.refused_full), UDP flows as TCP connections, never as failures
 * (authz.failed is for a log that refused an entry for any other reason).
 *
 * A real Axiom log in a temporary directory, its file backend wrapped to
 * fail every write with ENOSPC on demand; the engine on a fake device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "axiom/opt.h"
#include "authz_helper.h"

static struct fake_host H;
static uint8_t f[256];
static unsigned int delivered;

static int fail_pwrite; /* errno for every write, 0: none */

static int w_pwrite(void *file, const void *buf, size_t len, uint64_t off)
{
	int e = __atomic_load_n(&fail_pwrite, __ATOMIC_SEQ_CST);

	return e ? -e : axiom_storage_file.pwrite(file, buf, len, off);
}

static struct axiom_storage_ops wrap_ops;

/*
 * A UDP flow's first datagram on a full disk: its authorization is tried
 * (the writer finds the disk full) and refused, and the next flow within
 * the retry interval is refused at once. Both are refusals for a full
 * disk, as for TCP; nothing is delivered; once space returns a flow is
 * authorized again.
 * BUG (fixed): both counted as authz.failed, refused_full stayed 0.
 */
TEST(udp_refused_for_a_full_disk_is_counted_as_such)
{
	static const char pol[] = "default allow\n";
	char dir[] = "/tmp/axnet-test-authz-full-XXXXXX";
	struct axiom_config xc = { .storage = &wrap_ops, .log = authz_quiet };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom_stats xs;
	struct axiom *ax = NULL;
	struct authz *a = NULL;

	wrap_ops = axiom_storage_file;
	wrap_ops.pwrite = w_pwrite;
	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	REQUIRE(udp_bind(&H.s, 7, authz_udp_count, &delivered) == 0);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);

	__atomic_store_n(&fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	/* The first flow goes to the writer, which finds the disk full. */
	fake_rx(&H, f, authz_udp_frame(f, 40000, 7, "one"));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.pending == 0));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.refused_full, 1);
	CHECK_EQ(st.failed, 0);
	CHECK_EQ(st.authorized, 0);
	/* The next, within the retry interval, is refused at once. */
	fake_rx(&H, f, authz_udp_frame(f, 40001, 7, "two"));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.refused_full, 2);
	CHECK_EQ(st.failed, 0);
	axiom_stats(ax, &xs);
	CHECK_EQ(xs.refused_full, 1);
	CHECK_EQ(delivered, 0);

	/* Space returns: after the retry interval a flow is tried again,
	 * authorized, and its datagram delivered. */
	__atomic_store_n(&fail_pwrite, 0, __ATOMIC_SEQ_CST);
	usleep((AXIOM_FULL_RETRY_MS + 20) * 1000);
	fake_rx(&H, f, authz_udp_frame(f, 40002, 7, "three"));
	DISPATCH_UNTIL(ax, delivered == 1);
	CHECK_EQ(delivered, 1);
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.refused_full, 2);
	CHECK_EQ(st.failed, 0);

	authz_teardown(ax, a);
	stack_fini(&H.s);
	CHECK_EQ(authz_rmdir(dir), 0);
}

TEST_MAIN(T(udp_refused_for_a_full_disk_is_counted_as_such))
