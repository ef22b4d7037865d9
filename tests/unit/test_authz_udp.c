/*
 * test_authz_udp.c - the authorizer's UDP flows (policy/authz.c) with a
 * real Axiom log in a temporary directory and the engine on a fake
 * device: the first datagram of an allowed flow is held until its
 * connection-authorize entry commits, then delivered; the datagrams that
 * arrive meanwhile are dropped and counted (authz.udp_pending_dropped),
 * and after the commit the flow's datagrams pass uncounted.
 */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "policy/authz.h"
#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;
static uint8_t f[256];

static struct {
	unsigned int n;
	uint16_t sport;
	size_t len;
	uint8_t data[64];
} got;

static void on_recv(void *arg, uint32_t src, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	(void)arg;
	(void)src;
	(void)dport;
	got.n++;
	got.sport = sport;
	got.len = len;
	memcpy(got.data, data, len < sizeof(got.data) ? len : sizeof(got.data));
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

/* Run what the log has finished, until it is quiet for 100 ms. */
static void drain(struct axiom *ax)
{
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = axiom_event_fd(ax), .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			return;
		axiom_dispatch(ax);
	}
}

TEST(udp_pending_drops_counted)
{
	static const char pol[] = "default allow\n";
	char dir[] = "/tmp/axnet-test-authz-udp-XXXXXX", err[256], cmd[128];
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct pol_policy *p = NULL;
	struct pol_error pe;
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;

	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE(fake_host_init(&H) == 0);
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	REQUIRE(fake_pin_neighbour(&H, FAKE_PEER_IP) == 0);
	memset(&got, 0, sizeof(got));
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
	drain(ax); /* whatever opening proposed */

	/* The first datagram is held; two more arrive before the commit is
	 * dispatched (the commit cannot run in between: same thread). */
	fake_mark(&H);
	fake_rx(&H, f, udp_frame(40000, 7, "first"));
	fake_rx(&H, f, udp_frame(40000, 7, "second"));
	fake_rx(&H, f, udp_frame(40000, 7, "third"));
	CHECK_EQ(got.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	CHECK_EQ(st.udp_pending_dropped, 2);

	/* The commit delivers the held one, and the flow is open. */
	DISPATCH_UNTIL(ax, got.n == 1);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.len, 5);
	CHECK_MEM(got.data, "first", 5);
	fake_rx(&H, f, udp_frame(40000, 7, "fourth"));
	CHECK_EQ(got.n, 2);
	CHECK_MEM(got.data, "fourth", 6);
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.udp_pending_dropped, 2);
	CHECK_CNT(&H, { AX_C_eth_rx, 4 }, { AX_C_ip_rx, 4 }, { AX_C_udp_rx, 4 },
		  { AX_C_udp_delivered, 2 });

	/* A flow from source port 0 is a flow like any other (RFC 768). */
	drain(ax);
	fake_rx(&H, f, udp_frame(0, 7, "zero"));
	fake_rx(&H, f, udp_frame(0, 7, "zero2"));
	authz_stats(a, &st);
	CHECK_EQ(st.udp_pending_dropped, 3);
	DISPATCH_UNTIL(ax, got.n == 3);
	CHECK_EQ(got.n, 3);
	CHECK_EQ(got.sport, 0);
	CHECK_MEM(got.data, "zero", 4);

	authz_stop(a);
	axiom_close(ax);
	authz_close(a);
	stack_fini(&H.s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

TEST_MAIN(T(udp_pending_drops_counted))
