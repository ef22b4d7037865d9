/*
 * test_authz_udp.c - the authorizer's UDP flows (authz/authz.c) with a
 * real Axiom log in a temporary directory and the engine on a fake
 * device: the first datagram of an allowed flow is held until its
 * connection-authorize entry commits, then delivered; the datagrams that
 * arrive meanwhile are dropped and counted (authz.udp_pending_dropped),
 * and after the commit the flow's datagrams pass uncounted. Outbound, the
 * sender is told to wait (-EAGAIN) meanwhile instead.
 */
#include <stdint.h>

#include "authz_helper.h"

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

TEST(udp_pending_drops_counted)
{
	static const char pol[] = "default allow\n";
	char dir[] = "/tmp/axnet-test-authz-udp-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	memset(&got, 0, sizeof(got));
	REQUIRE(udp_bind(&H.s, 7, on_recv, NULL) == 0);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax); /* whatever opening proposed */

	/* The first datagram is held; two more arrive before the commit is
	 * dispatched (the commit cannot run in between: same thread). */
	fake_mark(&H);
	fake_rx(&H, f, authz_udp_frame(f, 40000, 7, "first"));
	fake_rx(&H, f, authz_udp_frame(f, 40000, 7, "second"));
	fake_rx(&H, f, authz_udp_frame(f, 40000, 7, "third"));
	CHECK_EQ(got.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	CHECK_EQ(st.udp_pending_dropped, 2);

	/* The commit delivers the held one, and the flow is open. */
	DISPATCH_UNTIL(ax, got.n == 1);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.len, 5);
	CHECK_MEM(got.data, "first", 5);
	fake_rx(&H, f, authz_udp_frame(f, 40000, 7, "fourth"));
	CHECK_EQ(got.n, 2);
	CHECK_MEM(got.data, "fourth", 6);
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.udp_pending_dropped, 2);
	CHECK_CNT(&H, { AX_C_eth_rx, 4 }, { AX_C_ip_rx, 4 }, { AX_C_udp_rx, 4 },
		  { AX_C_udp_delivered, 2 });

	/* A flow from source port 0 is a flow like any other (RFC 768). */
	authz_drain(ax);
	fake_rx(&H, f, authz_udp_frame(f, 0, 7, "zero"));
	fake_rx(&H, f, authz_udp_frame(f, 0, 7, "zero2"));
	authz_stats(a, &st);
	CHECK_EQ(st.udp_pending_dropped, 3);
	DISPATCH_UNTIL(ax, got.n == 3);
	CHECK_EQ(got.n, 3);
	CHECK_EQ(got.sport, 0);
	CHECK_MEM(got.data, "zero", 4);

	authz_teardown(ax, a);
	stack_fini(&H.s);
	CHECK_EQ(authz_rmdir(dir), 0);
}

/* Outbound, a sender is told to wait while its flow's first datagram
 * commits (-EAGAIN, as on a full socket buffer): nothing is dropped. */
TEST(udp_outbound_waits_while_its_flow_commits)
{
	static const char pol[] = "default allow\n";
	char dir[] = "/tmp/axnet-test-authz-udp-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	struct udp_pcb pcb;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	udp_pcb_init(&pcb, on_recv, NULL, NULL);
	pcb.lport = 5000;
	REQUIRE(udp_pcb_insert(&H.s, &pcb) == 0);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);

	fake_mark(&H);
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_PEER_IP, 53, "first", 5), 0); /* held */
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_PEER_IP, 53, "second", 6), -EAGAIN);
	CHECK_EQ(H.nif.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.udp_pending_dropped, 0);
	DISPATCH_UNTIL(ax, H.nif.n == 1); /* the held one goes */
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_PEER_IP, 53, "second", 6), 0);
	CHECK_EQ(H.nif.n, 2);

	udp_pcb_remove(&H.s, &pcb);
	authz_teardown(ax, a);
	stack_fini(&H.s);
	CHECK_EQ(authz_rmdir(dir), 0);
}

TEST_MAIN(T(udp_pending_drops_counted), T(udp_outbound_waits_while_its_flow_commits))
