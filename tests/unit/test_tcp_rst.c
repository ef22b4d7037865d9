/*
 * test_tcp_rst.c - RSTs for segments of no connection (RFC 9293 3.10.7.1
 * for a closed port, 3.10.7.2 for a listener): their sequence numbers,
 * never one for a RST, none asked of the authorizer, one for each later
 * segment of a connection a RST ended, and the rate limits, per source
 * and stack-wide (opt.h AX_TCP_RST_*), to the RST.
 *
 * The clock stands still unless a test moves it, so a bucket refills only
 * when the test says: every count here is exact.
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"
#include "tcp_helper.h"

#define CLOSED 81 /* no listener */

/* An authorizer that counts what it is asked and lets everything in. */
static struct tcp_helper_admit FA;

/* A listener on PORT (backlog 16), the gateway known too, the counting
 * authorizer installed. */
static int setup(void)
{
	/* FA after the last test's teardown: its forget() calls are not ours. */
	if (tcp_helper_host(PISN))
		return -1;
	memset(&FA, 0, sizeof(FA));
	fake_learn(&H, FAKE_GW_IP, FAKE_GW_MAC);
	if (fake_pin_neighbour(&H, FAKE_GW_IP))
		return -1;
	tcp_set_admit(&H.s, &tcp_helper_admit_ops, &FA);
	return tcp_helper_listen(16);
}

/* n bare ACKs from the peer at ip (behind the gateway unless it is the
 * peer) to a closed port: each one is a segment of no connection. */
static void acks_from(uint32_t ip, unsigned int n)
{
	struct fake_tcp_peer q;

	fake_tcp_peer_init(&q, &H, PPORT, CLOSED, PISN);
	q.ip = ip;
	if (ip != FAKE_PEER_IP)
		memcpy(q.mac, FAKE_GW_MAC, 6);
	for (unsigned int i = 0; i < n; i++)
		fake_tcp_rx(&q, PISN, 0x9000u + i, TH_ACK, 512, NULL, 0, NULL, 0);
}

/* RFC 9293 3.10.7.2: in LISTEN an ACK draws <SEQ=SEG.ACK><CTL=RST>,
 * whatever else it carries; a RST is never answered; neither SYN nor ACK
 * is dropped. No connection is made, nobody is asked. */
TEST(listener_nonsyn)
{
	REQUIRE(setup() == 0);
	fake_tcp_rx(&P, PISN, 0x2000, TH_ACK | TH_PSH, 512, NULL, 0, "data", 4);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rst_tx, 1 }, { AX_C_tcp_rst_noconn, 1 });
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_RST, 0x2000, 0, 0);
	CHECK_EQ(V.hlen, 20);
	CHECK_EQ(V.win, 0);

	fake_mark(&H);
	fake_tcp_rx(&P, PISN, 0x3000, TH_FIN | TH_ACK, 512, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, PISN, 0x4000, TH_SYN | TH_ACK, 512, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(2), TX(2), { AX_C_tcp_rst_tx, 2 }, { AX_C_tcp_rst_noconn, 2 });
	REQUIRE(H.nif.n == 2);
	CHECK_SEG(0, TH_RST, 0x3000, 0, 0);
	CHECK_SEG(1, TH_RST, 0x4000, 0, 0);

	fake_mark(&H);
	fake_tcp_rx(&P, PISN, 0, TH_RST, 0, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, PISN, 0x5000, TH_RST | TH_ACK, 0, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, PISN, 0, TH_FIN, 0, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, PISN, 0, TH_PSH, 0, NULL, 0, "x", 1);
	CHECK_CNT(&H, RX(4));
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(L->pending, 0);
	CHECK_EQ(FA.requests, 0);
	CHECK_EQ(A.accepted, 0);
	stack_fini(&H.s);
}

/* RFC 9293 3.10.7.1 at a closed port: ACK off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK> (SYN and FIN count in SEG.LEN); ACK on, <SEQ=SEG.ACK>
 * <CTL=RST>; a RST, nothing (and it is not counted as held back). */
TEST(closed_port)
{
	REQUIRE(setup() == 0);
	P.lport = CLOSED;
	fake_tcp_rx(&P, 0x7000, 0, TH_SYN | TH_FIN, 512, NULL, 0, "abc", 3);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_no_port, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	CHECK_SEG(0, TH_RST | TH_ACK, 0, 0x7005, 0);

	fake_mark(&H);
	fake_tcp_rx(&P, 0x7000, 0xfffffffeu, TH_ACK, 512, NULL, 0, "abc", 3);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_no_port, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	CHECK_SEG(0, TH_RST, 0xfffffffeu, 0, 0);

	fake_mark(&H);
	fake_tcp_rx(&P, 0x7000, 0, TH_RST, 0, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, 0x7000, 1, TH_RST | TH_ACK, 0, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(2), { AX_C_tcp_no_port, 2 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(FA.requests, 0);
	stack_fini(&H.s);
}

/* A connection ended by the peer's exact RST is forgotten: its later
 * segments meet the listener and each draws a RST, and the authorizer
 * hears of nothing new (one request, one forget, for the connection). */
TEST(forgotten_after_rst)
{
	struct tcp_pcb *pcb;
	uint32_t our_nxt;

	REQUIRE(setup() == 0);
	pcb = fake_tcp_accept(&P, &A, NULL, 0, 65535);
	REQUIRE(pcb != NULL);
	CHECK_EQ(FA.requests, 1);
	our_nxt = P.ack;
	fake_mark(&H);
	fake_tcp_rx(&P, P.seq, 0, TH_RST, 0, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), { AX_C_tcp_rst_rx, 1 }, { AX_C_tcp_conns_closed, 1 });
	CHECK_EQ(FA.forgets, 1);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT) == NULL);

	/* The peer did not see it (a RST forged in its name): it goes on. */
	fake_mark(&H);
	for (int i = 0; i < 3; i++)
		fake_tcp_rx(&P, P.seq + 5u * (uint32_t)i, our_nxt, TH_ACK | TH_PSH, 512, NULL, 0,
			    "hello", 5);
	CHECK_CNT(&H, RX(3), TX(3), { AX_C_tcp_rst_tx, 3 }, { AX_C_tcp_rst_noconn, 3 });
	REQUIRE(H.nif.n == 3);
	for (unsigned int i = 0; i < 3; i++)
		CHECK_SEG(i, TH_RST, our_nxt, 0, 0);
	CHECK_EQ(FA.requests, 1);
	CHECK_EQ(FA.forgets, 1);
	stack_fini(&H.s);
}

/* Per source: a burst of AX_TCP_RST_SRC_BURST, then AX_TCP_RST_SRC_RATE a
 * second; another source is not held back by it. */
/* A source of 198.51.100.0/24 whose per-source slot (keyed hash, a
 * random key per stack) is (same != 0) or is not (same == 0) ip's: the
 * tests below must not depend on the key (two fixed sources share a slot
 * once in AX_TCP_RST_SOURCES runs). 0 when there is none. */
static uint32_t source_slotted(uint32_t ip, int same)
{
	unsigned int slot = tcp_source_slot(H.s.tcp, FAKE_V4(ip), AX_TCP_RST_SOURCES);

	for (uint32_t i = 0; i < 256 * 254; i++) {
		uint32_t cand = FAKE_IP(198, 51, i / 254, 1 + i % 254);

		if (cand != ip &&
		    (tcp_source_slot(H.s.tcp, FAKE_V4(cand), AX_TCP_RST_SOURCES) == slot) == !!same)
			return cand;
	}
	return 0;
}

TEST(rate_limit_per_source)
{
	const unsigned int burst = AX_TCP_RST_SRC_BURST, rate = AX_TCP_RST_SRC_RATE;
	uint32_t other;

	REQUIRE(setup() == 0);
	acks_from(FAKE_PEER_IP, burst + 5);
	CHECK_CNT(&H, RX(burst + 5), TX(burst), { AX_C_tcp_no_port, burst + 5 },
		  { AX_C_tcp_rst_tx, burst }, { AX_C_tcp_rst_noconn, burst },
		  { AX_C_tcp_rst_limited_src, 5 });
	CHECK_EQ(H.nif.n, burst);

	/* The time of one token: exactly one more. */
	fake_advance(&H, 1000 / rate);
	fake_mark(&H);
	acks_from(FAKE_PEER_IP, 3);
	CHECK_CNT(&H, RX(3), TX(1), { AX_C_tcp_no_port, 3 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 }, { AX_C_tcp_rst_limited_src, 2 });

	/* Another source (in another slot) meanwhile has its own bucket. */
	other = source_slotted(FAKE_PEER_IP, 0);
	REQUIRE(other != 0);
	fake_mark(&H);
	acks_from(other, 2);
	CHECK_CNT(&H, RX(2), TX(2), { AX_C_tcp_no_port, 2 }, { AX_C_tcp_rst_tx, 2 },
		  { AX_C_tcp_rst_noconn, 2 });

	/* A second: rate more. */
	fake_advance(&H, 1000);
	fake_mark(&H);
	acks_from(FAKE_PEER_IP, rate + 1);
	CHECK_CNT(&H, RX(rate + 1), TX(rate), { AX_C_tcp_no_port, rate + 1 },
		  { AX_C_tcp_rst_tx, rate }, { AX_C_tcp_rst_noconn, rate },
		  { AX_C_tcp_rst_limited_src, 1 });

	/* A long silence fills the bucket to the burst, no further. */
	fake_advance(&H, 3600 * 1000);
	fake_mark(&H);
	acks_from(FAKE_PEER_IP, burst + 1);
	CHECK_CNT(&H, RX(burst + 1), TX(burst), { AX_C_tcp_no_port, burst + 1 },
		  { AX_C_tcp_rst_tx, burst }, { AX_C_tcp_rst_noconn, burst },
		  { AX_C_tcp_rst_limited_src, 1 });
	CHECK_EQ(FA.requests, 0);
	stack_fini(&H.s);
}

/* Sources that share a slot (opt.h AX_TCP_RST_SOURCES): the newcomer
 * takes it with a full bucket, and so does the first one when it comes
 * back; the stack-wide bucket is then the bound. */
TEST(rate_limit_sources_sharing_a_slot)
{
	const unsigned int burst = AX_TCP_RST_SRC_BURST;
	uint32_t other;

	REQUIRE(setup() == 0);
	other = source_slotted(FAKE_PEER_IP, 1);
	REQUIRE(other != 0);
	acks_from(FAKE_PEER_IP, burst + 1);
	CHECK_CNT(&H, RX(burst + 1), TX(burst), { AX_C_tcp_no_port, burst + 1 },
		  { AX_C_tcp_rst_tx, burst }, { AX_C_tcp_rst_noconn, burst },
		  { AX_C_tcp_rst_limited_src, 1 });
	fake_mark(&H);
	acks_from(other, 2);
	CHECK_CNT(&H, RX(2), TX(2), { AX_C_tcp_no_port, 2 }, { AX_C_tcp_rst_tx, 2 },
		  { AX_C_tcp_rst_noconn, 2 });
	fake_mark(&H);
	acks_from(FAKE_PEER_IP, 2);
	CHECK_CNT(&H, RX(2), TX(2), { AX_C_tcp_no_port, 2 }, { AX_C_tcp_rst_tx, 2 },
		  { AX_C_tcp_rst_noconn, 2 });
	CHECK_EQ(FA.requests, 0);
	stack_fini(&H.s);
}

/* Stack-wide: AX_TCP_RST_BURST, then AX_TCP_RST_RATE a second, whatever
 * the sources; a source held back stack-wide keeps its own tokens. */
TEST(rate_limit_stack_wide)
{
	const unsigned int burst = AX_TCP_RST_BURST, rate = AX_TCP_RST_RATE;
	const unsigned int per = AX_TCP_RST_SRC_BURST / 2; /* under each source's burst */
	unsigned int sources = burst / per, i;

	REQUIRE(setup() == 0);
	REQUIRE(burst % per == 0 && rate % 1000 == 0);
	for (i = 0; i < sources; i++)
		acks_from(FAKE_IP(198, 51, 100, 1 + i), per);
	CHECK_CNT(&H, RX(burst), TX(burst), { AX_C_tcp_no_port, burst },
		  { AX_C_tcp_rst_tx, burst }, { AX_C_tcp_rst_noconn, burst });

	/* The bucket is empty: every source is held back now. */
	fake_mark(&H);
	acks_from(FAKE_IP(198, 51, 100, 1), 3);
	acks_from(FAKE_IP(203, 0, 113, 1), 3);
	CHECK_CNT(&H, RX(6), { AX_C_tcp_no_port, 6 }, { AX_C_tcp_rst_limited_all, 6 });
	CHECK_EQ(H.nif.n, 0);

	/* One millisecond: rate / 1000 more, to whoever asks first. */
	fake_advance(&H, 1);
	fake_mark(&H);
	acks_from(FAKE_IP(203, 0, 113, 1), rate / 1000 + 2);
	CHECK_CNT(&H, RX(rate / 1000 + 2), TX(rate / 1000), { AX_C_tcp_no_port, rate / 1000 + 2 },
		  { AX_C_tcp_rst_tx, rate / 1000 }, { AX_C_tcp_rst_noconn, rate / 1000 },
		  { AX_C_tcp_rst_limited_all, 2 });
	CHECK_EQ(FA.requests, 0);
	stack_fini(&H.s);
}

TEST_MAIN(T(listener_nonsyn), T(closed_port), T(forgotten_after_rst), T(rate_limit_per_source),
	  T(rate_limit_sources_sharing_a_slot),
	  T(rate_limit_stack_wide))
