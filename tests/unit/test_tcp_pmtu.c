/*
 * test_tcp_pmtu.c - path MTU discovery for TCP (RFC 1191) through ICMP
 * "fragmentation needed" (icmp.c frag_needed, tcp_pmtu.c), the checks that
 * keep a forged one from doing anything (RFC 5927), and the per-destination
 * memory of what was learned (pmtu.c).
 *
 * BUG (fixed): ICMP type 3 code 4 was counted as "other" and ignored while
 * every TCP segment carried DF: behind a link narrower than ours, every
 * full-sized segment was dropped by the router and retransmitted at the
 * same size until the connection timed out (a black hole).
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"
#include "net/tcp_cc.h"
#include "tcp_helper.h"

static uint8_t F[2048];

/* The counters an ICMP error to a TCP connection moves: it reaches IP
 * (IP_RX), then ICMP. */
#define IP_RX(n) { AX_C_eth_rx, n }, { AX_C_ip_rx, n }
#define ICMP_RX(n) IP_RX(n), { AX_C_icmp_rx, n }, { AX_C_icmp_frag_needed_rx, n }

/* A listener on PORT (backlog 16), NewReno. */
static int setup(void)
{
	stream_fill();
	if (tcp_helper_host(PISN))
		return -1;
	H.s.tcp->cc = &tcp_cc_newreno;
	return tcp_helper_listen(16);
}

/* Passive open from the peer's port pport with MSS 1460, SACK, TS, WS 7. */
static struct tcp_pcb *establish(uint16_t pport)
{
	fake_tcp_peer_init(&P, &H, pport, PORT, PISN);
	return establish_full();
}

/*
 * ICMP destination unreachable, fragmentation needed, next-hop MTU mtu,
 * from the gateway, quoting the IPv4 packet of the captured frame fr: its
 * header and qdata bytes after it (RFC 792: at least 8). seq, when not
 * ~0, replaces the quoted TCP sequence number; edit() may change the
 * quote further. Returns the frame length.
 */
static size_t frag_needed(const struct fake_frame *fr, uint16_t mtu, size_t qdata,
			  uint32_t seq, void (*edit)(uint8_t *q))
{
	const uint8_t *ip;
	uint8_t *icmp, *q;
	size_t ihl, qlen, hl;

	ip = fr->data + ETH_HLEN_AX;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	qlen = ihl + qdata;
	hl = fake_ipv4(F + fake_eth(F, FAKE_OUR_MAC, FAKE_GW_MAC, ETHTYPE_IPV4), FAKE_GW_IP,
		       FAKE_OUR_IP, IP_PROTO_ICMP, 0, 8 + qlen);
	icmp = F + ETH_HLEN_AX + hl;
	q = icmp + 8;
	memset(icmp, 0, 8);
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	fake_put16(icmp + 6, mtu);
	memcpy(q, ip, qlen);
	if (seq != ~0u)
		fake_put32(q + ihl + 4, seq);
	if (edit)
		edit(q);
	fake_put16(icmp + 2, fake_csum(icmp, 8 + qlen));
	return ETH_HLEN_AX + hl + 8 + qlen;
}

static void quote_other_port(uint8_t *q)
{
	fake_put16(q + 20 + 2, PPORT + 1);
}

static void quote_other_src(uint8_t *q)
{
	uint32_t a = FAKE_OTHER_IP;

	memcpy(q + 12, &a, 4);
}

static void quote_udp(uint8_t *q)
{
	q[9] = IP_PROTO_UDP;
}

/* RFC 5927 4.1, 5.2: a frag-needed whose quote names no connection of ours,
 * or a sequence number outside SND.UNA..SND.MAX-1 (acknowledged, or never
 * sent), or that carries no MTU, changes nothing: not the MSS, not the
 * path MTU remembered for the peer, and nothing is sent. A blind attacker
 * would have to guess the window to shrink our segments. */
#define AS_SENT INT64_MIN
TEST(frag_needed_outside_window_ignored)
{
	static const struct {
		const char *what;
		uint16_t mtu;
		size_t qdata;
		int64_t seq_off; /* from the first unacked byte; AS_SENT: as sent */
		void (*edit)(uint8_t *q);
	} c[] = {
		{ "acknowledged sequence", 1400, 8, -1, NULL },
		{ "sequence not yet sent", 1400, 8, 3 * MSS_TS, NULL },
		{ "sequence far away", 1400, 8, 0x40000000u, NULL },
		{ "no such connection", 1400, 8, AS_SENT, quote_other_port },
		{ "not from our address", 1400, 8, AS_SENT, quote_other_src },
		{ "not TCP", 1400, 8, AS_SENT, quote_udp },
		{ "next-hop MTU 0", 0, 8, AS_SENT, NULL },
		{ "quote shorter than 8 bytes", 1400, 7, AS_SENT, NULL },
	};
	static struct fake_frame first;
	struct tcp_pcb *pcb;
	unsigned int i, k;
	uint32_t s;

	REQUIRE(setup() == 0);
	pcb = establish(PPORT);
	REQUIRE(pcb != NULL);
	s = P.ack;
	/* One acked segment, then three in flight. */
	CHECK_EQ(tcp_write(pcb, pat, MSS_TS), MSS_TS);
	fake_tcp_rx(&P, P.seq, s + MSS_TS, TH_ACK, 2048, O, fake_tcp_ts_opt(O, 101, 1000),
		    NULL, 0);
	s += MSS_TS;
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, pat, 3 * MSS_TS), 3 * MSS_TS);
	REQUIRE(H.nif.n == 3);
	first = H.nif.frames[0];
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t seq = c[i].seq_off == AS_SENT ? ~0u : s + (uint32_t)c[i].seq_off;
		size_t len = frag_needed(&first, c[i].mtu, c[i].qdata, seq, c[i].edit);
		int ok;

		fake_mark(&H);
		fake_rx(&H, F, len);
		ok = CHECK_CNT(&H, ICMP_RX(1), { AX_C_icmp_frag_needed_rejected, 1 });
		ok &= CHECK_EQ(H.nif.n, 0);
		ok &= CHECK_EQ(pcb->mss, MSS_TS);
		if (!ok)
			printf("  (case: %s)\n", c[i].what);
	}
	/* The next segments are still full-sized. */
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, pat, 2 * MSS_TS), 2 * MSS_TS);
	REQUIRE(H.nif.n == 2);
	for (k = 0; k < 2; k++) {
		CHECK_SEG(k, TH_ACK | (k ? TH_PSH : 0), s + (3 + k) * MSS_TS, P.seq, MSS_TS);
		CHECK_EQ(V.tot_len, 1500);
	}
	/* Nothing was remembered for the peer either. */
	pcb = establish(PPORT + 1);
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->mss, MSS_TS);
	stack_fini(&H.s);
}

/* RFC 1191 6.4 (Linux tcp_v4_mtu_reduced + tcp_simple_retransmit): a valid
 * frag-needed with next-hop MTU 1400 lowers the MSS to 1400 - 40 - 12 and
 * everything in flight (dropped by the router: all of it was full-sized)
 * goes again at once at the new size, without waiting for the RTO and
 * without shrinking cwnd. Later segments fit 1400 bytes too, and another
 * copy for the same burst changes nothing. */
TEST(frag_needed_lowers_mss)
{
	const uint32_t mss = 1400 - 40 - 12;
	const uint32_t flight = 5 * MSS_TS; /* 7240 = 5 * 1348 + 500 */
	static struct fake_frame sent[5];
	struct tcp_info_ax info;
	struct tcp_pcb *pcb;
	uint32_t s, k, cwnd;

	REQUIRE(setup() == 0);
	pcb = establish(PPORT);
	REQUIRE(pcb != NULL);
	s = P.ack;
	CHECK_EQ(tcp_write(pcb, pat, flight), flight);
	REQUIRE(H.nif.n == 5);
	memcpy(sent, H.nif.frames, sizeof(sent));
	cwnd = pcb->cwnd;

	/* The router quotes the first (a full 1500 bytes, as RFC 1812
	 * 4.3.2.3 allows it to quote up to 576). */
	fake_mark(&H);
	fake_rx(&H, F, frag_needed(&sent[0], 1400, 28, ~0u, NULL));
	CHECK_CNT(&H, ICMP_RX(1), { AX_C_tcp_pmtu_lowered, 1 }, TX(6),
		  { AX_C_tcp_retransmits, 6 });
	CHECK_EQ(pcb->mss, mss);
	CHECK_EQ(pcb->cwnd, cwnd);
	tcp_get_info(pcb, &info);
	CHECK_EQ(info.mss, mss);
	REQUIRE(H.nif.n == 6);
	for (k = 0; k < 5; k++) {
		CHECK_SEG(k, TH_ACK, s + k * mss, P.seq, mss);
		CHECK_EQ(V.tot_len, 1400);
		CHECK_EQ(V.frag_off, IP_FLAG_DF);
		CHECK_MEM(V.data, pat + k * mss, mss);
	}
	CHECK_SEG(5, TH_ACK | TH_PSH, s + 5 * mss, P.seq, flight - 5 * mss);
	CHECK_MEM(V.data, pat + 5 * mss, flight - 5 * mss);

	/* The same router's message about the second segment: the path MTU
	 * is already 1400, nothing to do. */
	fake_mark(&H);
	fake_rx(&H, F, frag_needed(&sent[1], 1400, 8, ~0u, NULL));
	CHECK_CNT(&H, ICMP_RX(1));
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(pcb->mss, mss);

	/* More data: full segments of the new size (the 304 bytes left wait
	 * for Nagle). */
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, pat + flight, 3000), 3000);
	CHECK_CNT(&H, TX(2), { AX_C_tcp_tx_bytes, 2 * mss });
	REQUIRE(H.nif.n == 2);
	for (k = 0; k < 2; k++) {
		CHECK_SEG(k, TH_ACK, s + flight + k * mss, P.seq, mss);
		CHECK_EQ(V.tot_len, 1400);
	}

	/* All acked: the rest goes, and the timer has nothing left. */
	fake_mark(&H);
	fake_tcp_rx(&P, P.seq, s + flight + 2 * mss, TH_ACK, 2048, O,
		    fake_tcp_ts_opt(O, 101, 1000), NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_tx_bytes, 3000 - 2 * mss });
	CHECK_SEG(0, TH_ACK | TH_PSH, s + flight + 2 * mss, P.seq, 3000 - 2 * mss);
	fake_tcp_rx(&P, P.seq, s + flight + 3000, TH_ACK, 2048, O,
		    fake_tcp_ts_opt(O, 102, 1000), NULL, 0);
	fake_mark(&H);
	fake_advance(&H, 100000);
	CHECK_EQ(H.nif.n, 0);
	stack_fini(&H.s);
}

/* Linux's min_pmtu: a claimed MTU below 552 is raised to 552 (a lie that
 * would make us send 28-byte segments cannot); one above ours, or above
 * what the path already has, changes nothing. */
TEST(frag_needed_floor_and_larger_mtu)
{
	static struct fake_frame first;
	struct tcp_pcb *pcb;

	REQUIRE(setup() == 0);
	pcb = establish(PPORT);
	REQUIRE(pcb != NULL);
	CHECK_EQ(tcp_write(pcb, pat, 2 * MSS_TS), 2 * MSS_TS);
	REQUIRE(H.nif.n == 2);
	first = H.nif.frames[0];

	fake_mark(&H);
	fake_rx(&H, F, frag_needed(&first, 1600, 8, ~0u, NULL));
	CHECK_CNT(&H, ICMP_RX(1));
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(pcb->mss, MSS_TS);

	fake_mark(&H);
	fake_rx(&H, F, frag_needed(&first, 68, 8, ~0u, NULL));
	CHECK_CNT(&H, ICMP_RX(1), { AX_C_tcp_pmtu_lowered, 1 }, TX(6),
		  { AX_C_tcp_retransmits, 6 });
	CHECK_EQ(pcb->mss, AX_PMTU_MIN - 52);

	fake_mark(&H);
	fake_rx(&H, F, frag_needed(&first, 1000, 8, ~0u, NULL));
	CHECK_CNT(&H, ICMP_RX(1));
	CHECK_EQ(pcb->mss, AX_PMTU_MIN - 52);
	stack_fini(&H.s);
}

/* The path MTU is remembered per destination (RFC 1191 5): the next
 * connection to the same host starts with the lowered MSS, until the
 * entry ages out (RFC 1191 6.3: 10 minutes); another host is unaffected. */
TEST(path_mtu_remembered_then_aged)
{
	static struct fake_frame first;
	struct tcp_pcb *pcb;

	REQUIRE(setup() == 0);
	pcb = establish(PPORT);
	REQUIRE(pcb != NULL);
	CHECK_EQ(tcp_write(pcb, pat, MSS_TS), MSS_TS);
	REQUIRE(H.nif.n == 1);
	first = H.nif.frames[0];
	fake_rx(&H, F, frag_needed(&first, 1280, 8, ~0u, NULL));
	CHECK_EQ(pcb->mss, 1280 - 52);

	pcb = establish(PPORT + 1);
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->mss, 1280 - 52);

	/* Another host: its own path. */
	fake_learn(&H, FAKE_OTHER_IP, FAKE_OTHER_MAC);
	REQUIRE(fake_pin_neighbour(&H, FAKE_OTHER_IP) == 0);
	fake_tcp_peer_init(&P, &H, PPORT, PORT, PISN);
	P.ip = FAKE_OTHER_IP;
	memcpy(P.mac, FAKE_OTHER_MAC, 6);
	P.tsval = 100;
	pcb = fake_tcp_accept(&P, &A, O, fake_tcp_syn_opts(O, 1460, 7, 1, 1, 100), 2048);
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->mss, MSS_TS);

	/* Just before ten minutes, still remembered; then forgotten. */
	fake_advance(&H, AX_PMTU_AGE_MS - 1000);
	pcb = establish(PPORT + 2);
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->mss, 1280 - 52);
	fake_advance(&H, 1000);
	pcb = establish(PPORT + 3);
	REQUIRE(pcb != NULL);
	CHECK_EQ(pcb->mss, MSS_TS);
	stack_fini(&H.s);
}

/* Our SYN quoted (seq = ISS, the one byte in flight): the path MTU is
 * taken before the handshake ends, and the MSS agreed with the SYN-ACK
 * is the path's, not the device's. */
TEST(frag_needed_before_established)
{
	static struct fake_frame syn;
	struct tcp_pcb *pcb = NULL;
	uint32_t iss;

	REQUIRE(setup() == 0);
	REQUIRE(tcp_connect(&H.s, FAKE_V4(FAKE_PEER_IP), 443, fake_tcp_app_cb(), &A, &pcb) == 0);
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_tcp_sent(&H, 0, &V) == 0);
	syn = H.nif.frames[0];
	iss = V.seq;
	fake_tcp_peer_init(&P, &H, 443, V.sport, 0x5000);

	fake_mark(&H);
	fake_rx(&H, F, frag_needed(&syn, 1000, 8, ~0u, NULL));
	CHECK_CNT(&H, ICMP_RX(1), { AX_C_tcp_pmtu_lowered, 1 });
	CHECK_EQ(H.nif.n, 0);

	fake_mark(&H);
	fake_tcp_rx(&P, 0x5000, iss + 1, TH_SYN | TH_ACK, 65535, O,
		    fake_tcp_syn_opts(O, 1460, 7, 1, 1, 100), NULL, 0);
	CHECK_EQ(A.connected, 1);
	CHECK_EQ(pcb->mss, 1000 - 52);
	stack_fini(&H.s);
}

/* SACK blocks ride on a data segment only where the path MTU leaves room
 * (RFC 2018 4 with RFC 1191): with data held out of order, a full
 * segment at the lowered MSS still fits 1400 bytes.
 * BUG (fixed, tcp_out.c put_opts): the room was reckoned against the
 * device MTU, so after the MSS was lowered each full segment carried a
 * 12-byte SACK option, came to 1412 bytes, and the router dropped it. */
TEST(sack_blocks_fit_the_path_mtu)
{
	static struct fake_frame first;
	const uint32_t mss = 1400 - 40 - 12;
	struct tcp_pcb *pcb;
	uint32_t s, k;

	REQUIRE(setup() == 0);
	pcb = establish(PPORT);
	REQUIRE(pcb != NULL);
	s = P.ack;
	CHECK_EQ(tcp_write(pcb, pat, MSS_TS), MSS_TS);
	REQUIRE(H.nif.n == 1);
	first = H.nif.frames[0];
	fake_rx(&H, F, frag_needed(&first, 1400, 8, ~0u, NULL));
	REQUIRE(pcb->mss == mss);
	/* All acked, and the peer's data arrives with a hole. */
	fake_tcp_rx(&P, P.seq + 1000, s + MSS_TS, TH_ACK, 2048, O, fake_tcp_ts_opt(O, 101, 1000),
		    pat, 500);
	REQUIRE(pcb->n_ooo == 1);
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, pat, 3 * mss), 3 * mss);
	REQUIRE(H.nif.n == 3);
	for (k = 0; k < 3; k++) {
		CHECK_SEG(k, TH_ACK | (k == 2 ? TH_PSH : 0), s + MSS_TS + k * mss, P.seq, mss);
		CHECK(V.tot_len <= 1400);
	}
	stack_fini(&H.s);
}

TEST_MAIN(T(frag_needed_outside_window_ignored), T(frag_needed_lowers_mss),
	  T(frag_needed_floor_and_larger_mtu), T(path_mtu_remembered_then_aged),
	  T(frag_needed_before_established), T(sack_blocks_fit_the_path_mtu))
