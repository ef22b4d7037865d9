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
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "axiom/opt.h"
#include "policy/authz.h"
#include "fake_netif.h"
#include "testlib.h"

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

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void on_recv(void *arg, uint32_t src, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	(void)arg;
	(void)src;
	(void)sport;
	(void)dport;
	(void)data;
	(void)len;
	delivered++;
}

/* A datagram from the peer, no checksum (legal over IPv4, RFC 768). */
static size_t udp_frame(uint16_t sport, uint16_t dport, const char *payload)
{
	size_t plen = strlen(payload), off = fake_eth(f, FAKE_OUR_MAC, FAKE_PEER_MAC, 0x0800);
	uint8_t *u;

	off += fake_ipv4(f + off, FAKE_PEER_IP, FAKE_OUR_IP, 17, 0, 8 + plen);
	u = f + off;
	fake_put16(u, sport);
	fake_put16(u + 2, dport);
	fake_put16(u + 4, (uint16_t)(8 + plen));
	fake_put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	return off + 8 + plen;
}

/* Run Axiom's callbacks until cond holds (at most 5 s). */
#define DISPATCH_UNTIL(ax, cond)                                                   \
	do {                                                                       \
		for (int i_ = 0; i_ < 500 && !(cond); i_++) {                      \
			struct pollfd p_ = { .fd = axiom_event_fd(ax), .events = POLLIN }; \
			poll(&p_, 1, 10);                                          \
			axiom_dispatch(ax);                                        \
		}                                                                  \
	} while (0)

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
	char dir[] = "/tmp/axnet-test-authz-full-XXXXXX", err[256], cmd[128];
	struct axiom_config xc = { .storage = &wrap_ops, .log = quiet };
	struct authz_config ac = { 0 };
	struct pol_policy *p = NULL;
	struct pol_error pe;
	struct authz_stats st;
	struct axiom_stats xs;
	struct axiom *ax = NULL;
	struct authz *a = NULL;

	wrap_ops = axiom_storage_file;
	wrap_ops.pwrite = w_pwrite;
	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE(fake_host_init(&H) == 0);
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	REQUIRE(fake_pin_neighbour(&H, FAKE_PEER_IP) == 0);
	REQUIRE(udp_bind(&H.s, 7, on_recv, NULL) == 0);
	xc.dir = dir;
	REQUIRE(axiom_open(&ax, &xc, err, sizeof(err)) == 0);
	REQUIRE(pol_parse(pol, sizeof(pol) - 1, "test", &p, &pe) == 0);
	ac.stack = &H.s;
	ac.ax = ax;
	ac.state_dir = dir;
	ac.policy = p;
	ac.policy_source = "test";
	REQUIRE(authz_open(&a, &ac, err, sizeof(err)) == 0);

	__atomic_store_n(&fail_pwrite, ENOSPC, __ATOMIC_SEQ_CST);
	/* The first flow goes to the writer, which finds the disk full. */
	fake_rx(&H, f, udp_frame(40000, 7, "one"));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.pending == 0));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.refused_full, 1);
	CHECK_EQ(st.failed, 0);
	CHECK_EQ(st.authorized, 0);
	/* The next, within the retry interval, is refused at once. */
	fake_rx(&H, f, udp_frame(40001, 7, "two"));
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
	fake_rx(&H, f, udp_frame(40002, 7, "three"));
	DISPATCH_UNTIL(ax, delivered == 1);
	CHECK_EQ(delivered, 1);
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.refused_full, 2);
	CHECK_EQ(st.failed, 0);

	authz_stop(a);
	axiom_close(ax);
	authz_close(a);
	stack_fini(&H.s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

TEST_MAIN(T(udp_refused_for_a_full_disk_is_counted_as_such))
