/*
 * test_authz_udp.c - the authorizer's UDP flows (authz/authz.c) with a
 * real Axiom log in a temporary directory and the engine on a fake
 * device: the datagrams of an allowed flow wait until its
 * connection-authorize entry commits, then are delivered in the order
 * they came, within the caps of authz.h (per flow: AUTHZ_UDP_PENDING_MAX
 * datagrams, AUTHZ_UDP_PENDING_BYTES; over all waiting flows:
 * AUTHZ_UDP_PENDING_TOTAL), each cap counted and what it drops counted in
 * udp_pending_dropped; after the commit the flow's datagrams pass at once.
 * Outbound, the sender is told to wait (-EAGAIN) meanwhile instead.
 */
#include <stdint.h>

#include "authz_helper.h"

static struct fake_host H;
static uint8_t f[2048];

/* What the socket got, in order: the last one's bytes, and each one's
 * source, port, length and sequence number (its first 4 bytes). */
#define GOT_MAX 16384
static struct {
	unsigned int n;
	uint16_t sport;
	size_t len;
	uint8_t data[64];
	struct {
		uint32_t src, seq;
		uint16_t sport;
		size_t len;
	} log[GOT_MAX];
} got;

static void on_recv(void *arg, const struct ip_addr *src6, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	uint32_t src = ip_addr_get_v4(src6);

	(void)arg;
	(void)dport;
	if (got.n < GOT_MAX) {
		got.log[got.n].src = src;
		got.log[got.n].sport = sport;
		got.log[got.n].len = len;
		got.log[got.n].seq = 0;
		if (len >= 4)
			memcpy(&got.log[got.n].seq, data, 4);
	}
	got.n++;
	got.sport = sport;
	got.len = len;
	memcpy(got.data, data, len < sizeof(got.data) ? len : sizeof(got.data));
}

/* A UDP datagram from src:sport to our dport carrying seq then len - 4
 * bytes of a pattern (len >= 4). */
static size_t seq_frame(uint8_t *fr, uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq,
			size_t len)
{
	uint8_t p[sizeof(f)];

	memcpy(p, &seq, 4);
	for (size_t i = 4; i < len && i < sizeof(p); i++)
		p[i] = (uint8_t)(seq + i);
	return udp_helper_frame_from(fr, src, sport, dport, p, len);
}

/* The datagrams got from src:sport are seq 0..n-1 in order, each of len
 * bytes: 1, else 0. */
static int got_in_order(uint32_t src, uint16_t sport, uint32_t n, size_t len)
{
	uint32_t next = 0;

	for (unsigned int i = 0; i < got.n && i < GOT_MAX; i++) {
		if (got.log[i].src != src || got.log[i].sport != sport)
			continue;
		if (got.log[i].seq != next || got.log[i].len != len)
			return 0;
		next++;
	}
	return next == n;
}

TEST(udp_datagrams_before_commit_delivered_in_order)
{
	static const char pol[] = "default allow\n";
	static const char *const word[] = { "first", "second", "third", "4th", "fifth!" };
	char dir[] = "/tmp/axnet-test-authz-udp-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	size_t cost = 0;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	memset(&got, 0, sizeof(got));
	REQUIRE(udp_bind(&H.s, 7, on_recv, NULL) == 0);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax); /* whatever opening proposed */

	/* Five datagrams arrive before the commit is dispatched (the commit
	 * cannot run in between: same thread): all wait. */
	fake_mark(&H);
	for (int i = 0; i < 5; i++) {
		fake_rx(&H, f, authz_udp_frame(f, 40000, 7, word[i]));
		cost += AUTHZ_UDP_HELD_COST(strlen(word[i]));
	}
	CHECK_EQ(got.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	CHECK_EQ(st.udp_held, 5);
	CHECK_EQ(st.udp_held_bytes, cost);
	CHECK_EQ(st.udp_pending_dropped, 0);

	/* The commit delivers them all, in the order they came. */
	DISPATCH_UNTIL(ax, got.n == 5);
	CHECK_EQ(got.n, 5);
	for (unsigned int i = 0; i < 5 && i < got.n; i++)
		CHECK_EQ(got.log[i].len, strlen(word[i]));
	CHECK_MEM(got.data, "fifth!", 6);
	authz_stats(a, &st);
	CHECK_EQ(st.authorized, 1);
	CHECK_EQ(st.udp_pending_delivered, 5);
	CHECK_EQ(st.udp_held, 0);
	CHECK_EQ(st.udp_held_bytes, 0);
	CHECK_EQ(st.udp_pending_dropped, 0);
	/* And the flow is open: the next one passes at once. */
	fake_rx(&H, f, authz_udp_frame(f, 40000, 7, "sixth"));
	CHECK_EQ(got.n, 6);
	CHECK_MEM(got.data, "sixth", 5);
	CHECK_CNT(&H, { AX_C_eth_rx, 6 }, { AX_C_ip_rx, 6 }, { AX_C_udp_rx, 6 },
		  { AX_C_udp_delivered, 6 });

	/* A flow from source port 0 is a flow like any other (RFC 768). */
	authz_drain(ax);
	fake_rx(&H, f, authz_udp_frame(f, 0, 7, "zero"));
	fake_rx(&H, f, authz_udp_frame(f, 0, 7, "zero2"));
	DISPATCH_UNTIL(ax, got.n == 8);
	CHECK_EQ(got.n, 8);
	CHECK_EQ(got.sport, 0);
	CHECK_EQ(got.log[6].len, 4);
	CHECK_MEM(got.data, "zero2", 5);
	authz_stats(a, &st);
	CHECK_EQ(st.udp_pending_dropped, 0);
	CHECK_EQ(st.udp_pending_delivered, 7);

	authz_teardown(ax, a);
	stack_fini(&H.s);
	CHECK_EQ(authz_rmdir(dir), 0);
}

/* One flow holds at most AUTHZ_UDP_PENDING_MAX datagrams and
 * AUTHZ_UDP_PENDING_BYTES of them; the rest are dropped, each cap
 * counted; what was held goes at the commit, in order. */
TEST(udp_pending_flow_caps_hold)
{
	static const char pol[] = "default allow\n";
	char dir[] = "/tmp/axnet-test-authz-udp-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	const uint32_t big = 1400, nbig = AUTHZ_UDP_PENDING_BYTES / AUTHZ_UDP_HELD_COST(1400);

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	memset(&got, 0, sizeof(got));
	REQUIRE(udp_bind(&H.s, 7, on_recv, NULL) == 0);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);

	/* Small ones: the count cap. */
	for (uint32_t i = 0; i < AUTHZ_UDP_PENDING_MAX + 3; i++)
		fake_rx(&H, f, seq_frame(f, FAKE_PEER_IP, 40001, 7, i, 8));
	/* Big ones: the byte cap. */
	for (uint32_t i = 0; i < nbig + 2; i++)
		fake_rx(&H, f, seq_frame(f, FAKE_PEER_IP, 40002, 7, i, big));
	CHECK_EQ(got.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 2);
	CHECK_EQ(st.udp_held, AUTHZ_UDP_PENDING_MAX + nbig);
	CHECK_EQ(st.udp_held_bytes, AUTHZ_UDP_PENDING_MAX * AUTHZ_UDP_HELD_COST(8) +
					    nbig * AUTHZ_UDP_HELD_COST(big));
	CHECK_EQ(st.udp_pending_cap_dgrams, 3);
	CHECK_EQ(st.udp_pending_cap_bytes, 2);
	CHECK_EQ(st.udp_pending_cap_total, 0);
	CHECK_EQ(st.udp_pending_dropped, 5);

	DISPATCH_UNTIL(ax, got.n == AUTHZ_UDP_PENDING_MAX + nbig);
	CHECK_EQ(got.n, AUTHZ_UDP_PENDING_MAX + nbig);
	CHECK(got_in_order(FAKE_PEER_IP, 40001, AUTHZ_UDP_PENDING_MAX, 8));
	CHECK(got_in_order(FAKE_PEER_IP, 40002, nbig, big));
	authz_stats(a, &st);
	CHECK_EQ(st.udp_pending_delivered, AUTHZ_UDP_PENDING_MAX + nbig);
	CHECK_EQ(st.udp_held, 0);
	CHECK_EQ(st.udp_held_bytes, 0);

	authz_teardown(ax, a);
	stack_fini(&H.s);
	CHECK_EQ(authz_rmdir(dir), 0);
}

/*
 * A flood from many (spoofed) sources: all waiting flows together hold at
 * most AUTHZ_UDP_PENDING_TOTAL; past it datagrams are dropped and counted,
 * and a new source's makes no flow (no entry); a program's first datagram
 * that does not fit waits (-EAGAIN). What was held is delivered,
 * per source in order, at the commits; what flows still waiting at the
 * stop held is freed. Memory comes back (gauges at 0; ASan's leak check).
 */
#define FLOOD_SRC(i) FAKE_IP(10, 1 + (i) / 200, 0, 1 + (i) % 200)

TEST(udp_pending_flood_from_many_sources_capped)
{
	static const char pol[] = "default allow\n";
	char dir[] = "/tmp/axnet-test-authz-udp-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	const uint32_t nsrc = 256, per = 64, len = 1400;
	const uint64_t fit = AUTHZ_UDP_PENDING_TOTAL / AUTHZ_UDP_HELD_COST(len);
	const uint64_t drop = (uint64_t)nsrc * per - fit;
	uint64_t authorized;
	struct udp_pcb pcb;
	static const uint8_t query[1400];

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	memset(&got, 0, sizeof(got));
	REQUIRE(udp_bind(&H.s, 7, on_recv, NULL) == 0);
	udp_pcb_init(&pcb, on_recv, NULL, NULL);
	pcb.lport = 5000;
	REQUIRE(udp_pcb_insert(&H.s, &pcb) == 0);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	REQUIRE((uint64_t)nsrc * per * AUTHZ_UDP_HELD_COST(len) > AUTHZ_UDP_PENDING_TOTAL);
	REQUIRE(per * AUTHZ_UDP_HELD_COST(len) <= AUTHZ_UDP_PENDING_BYTES);

	/* Interleaved, as a flood comes: every source's first, second, ... */
	for (uint32_t i = 0; i < per; i++)
		for (uint32_t s = 0; s < nsrc; s++)
			fake_rx(&H, f, seq_frame(f, FLOOD_SRC(s), 5000, 7, i, len));
	/* One more source, past the cap: dropped, no flow made. */
	fake_rx(&H, f, seq_frame(f, FAKE_IP(10, 9, 9, 9), 5000, 7, 0, len));
	CHECK_EQ(got.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, nsrc);
	CHECK_EQ(st.udp_held, fit);
	CHECK_EQ(st.udp_held_bytes, fit * AUTHZ_UDP_HELD_COST(len));
	CHECK(st.udp_held_bytes <= AUTHZ_UDP_PENDING_TOTAL);
	CHECK_EQ(st.udp_pending_cap_total, drop + 1);
	CHECK_EQ(st.udp_pending_cap_dgrams, 0);
	CHECK_EQ(st.udp_pending_cap_bytes, 0);
	CHECK_EQ(st.udp_pending_dropped, drop + 1);
	/* A program's first datagram to a new peer does not fit either: its
	 * sender waits (-EAGAIN, nothing dropped, no flow made). */
	REQUIRE(AUTHZ_UDP_PENDING_TOTAL - st.udp_held_bytes < AUTHZ_UDP_HELD_COST(sizeof(query)));
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_V4(FAKE_PEER_IP), 53, query, sizeof(query)), -EAGAIN);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, nsrc);
	CHECK_EQ(st.udp_pending_cap_total, drop + 2);
	CHECK_EQ(st.udp_pending_dropped, drop + 1);
	CHECK_EQ(H.nif.n, 0);

	/* The commits deliver what was held: each source's from 0, in order
	 * (the cap was reached in round fit / nsrc, so each source lost its
	 * tail only). */
	DISPATCH_UNTIL(ax, got.n == fit);
	CHECK_EQ(got.n, fit);
	for (uint32_t s = 0; s < nsrc; s++)
		CHECK(got_in_order(FLOOD_SRC(s), 5000,
				   (uint32_t)(fit / nsrc + (s < fit % nsrc)), len));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.udp_pending_delivered, fit);
	CHECK_EQ(st.udp_held, 0);
	CHECK_EQ(st.udp_held_bytes, 0);
	/* Room again: the program's datagram is held, and sent at its commit. */
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_V4(FAKE_PEER_IP), 53, query, sizeof(query)), 0);
	DISPATCH_UNTIL(ax, H.nif.n == 1);
	CHECK_EQ(H.nif.n, 1);
	authz_stats(a, &st);
	authorized = st.authorized;
	CHECK_EQ(st.udp_pending_delivered, fit + 1);

	/* Flows still waiting when the instance stops: what they held is
	 * freed, never delivered. */
	for (uint32_t s = 0; s < 8; s++)
		for (uint32_t i = 0; i < 3; i++)
			fake_rx(&H, f, seq_frame(f, FAKE_IP(10, 0, 1, 10 + s), 5001, 7, i, len));
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 8);
	CHECK_EQ(st.udp_held, 24);
	authz_stop(a);
	axiom_close(ax);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.authorized, authorized + 8);
	CHECK_EQ(st.udp_held, 0);
	CHECK_EQ(st.udp_held_bytes, 0);
	CHECK_EQ(st.udp_pending_discarded, 24);
	CHECK_EQ(st.udp_pending_delivered, fit + 1);
	CHECK_EQ(got.n, fit);
	udp_pcb_remove(&H.s, &pcb);
	authz_close(a);
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
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_V4(FAKE_PEER_IP), 53, "first", 5), 0); /* held */
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_V4(FAKE_PEER_IP), 53, "second", 6), -EAGAIN);
	CHECK_EQ(H.nif.n, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.udp_pending_dropped, 0);
	DISPATCH_UNTIL(ax, H.nif.n == 1); /* the held one goes */
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(udp_send(&H.s, &pcb, FAKE_V4(FAKE_PEER_IP), 53, "second", 6), 0);
	CHECK_EQ(H.nif.n, 2);

	udp_pcb_remove(&H.s, &pcb);
	authz_teardown(ax, a);
	stack_fini(&H.s);
	CHECK_EQ(authz_rmdir(dir), 0);
}

TEST_MAIN(T(udp_datagrams_before_commit_delivered_in_order), T(udp_pending_flow_caps_hold),
	  T(udp_pending_flood_from_many_sources_capped), T(udp_outbound_waits_while_its_flow_commits))
