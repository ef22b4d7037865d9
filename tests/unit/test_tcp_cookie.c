/*
 * test_tcp_cookie.c - SYN cookies (tcp_cookie.c; RFC 4987 3.6): a cookie
 * SYN gets its SYN-ACK and costs nothing (no connection, no ring, no
 * question to the authorizer beyond check(), no entry); the ACK that
 * returns a valid cookie makes the connection with the options the cookie
 * carries (MSS from the table; window scale and SACK in the timestamp when
 * the peer sent one); a forged or expired cookie's ACK is reset as any ACK
 * in LISTEN (RFC 9293 3.10.7.2); with an authorizer, the connection is
 * asked about at the ACK and, until its commit, nothing leaves and no data
 * is acknowledged or delivered; after it, the data the peer sends again is.
 * When cookies start (the half-open queue's pressure), and stop.
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"
#include "tcp_helper.h"

/* --- a fake authorizer with check() ----------------------------------------------- */

static struct {
	int check_ret, request_ret, busy;
	unsigned int checks, requests, forgets;
	struct tcp_pcb *pcb;       /* the last request()'s */
	enum tcp_state state;      /* its state then */
	unsigned int sent;         /* frames sent in that step before it */
	uint32_t laddr, raddr;     /* the last check()'s */
	uint16_t lport, rport;
	const void *owner;
	const void *req_owner;     /* the last request()'s connection's owner */
} FA;

static int fa_request(void *arg, struct tcp_pcb *pcb, int inbound)
{
	struct tcp_info_ax i;

	(void)arg;
	(void)inbound;
	tcp_get_info(pcb, &i);
	FA.requests++;
	FA.pcb = pcb;
	FA.req_owner = tcp_owner(pcb);
	FA.state = i.state;
	FA.sent = H.nif.n;
	return FA.request_ret;
}

static void fa_forget(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	(void)pcb;
	FA.forgets++;
}

static int fa_check(void *arg, const struct ip_addr *laddr, uint16_t lport,
		    const struct ip_addr *raddr, uint16_t rport, const void *owner)
{
	(void)arg;
	FA.checks++;
	FA.owner = owner;
	FA.laddr = ip_addr_get_v4(laddr);
	FA.lport = lport;
	FA.raddr = ip_addr_get_v4(raddr);
	FA.rport = rport;
	return FA.check_ret;
}

static int fa_busy(void *arg)
{
	(void)arg;
	return FA.busy;
}

static const struct tcp_admit_ops fa_ops = {
	.request = fa_request,
	.forget = fa_forget,
	.check = fa_check,
	.busy = fa_busy,
};

/* Without check(): such an authorizer gets no cookie SYNs. */
static const struct tcp_admit_ops fa_ops_nocheck = {
	.request = fa_request,
	.forget = fa_forget,
};

/* --- helpers ------------------------------------------------------------------------ */

/* A listener on PORT (backlog 16), cookies in mode `mode`, the fake
 * authorizer installed when ops is not NULL. */
static int setup(enum tcp_syncookies mode, const struct tcp_admit_ops *ops)
{
	/* FA after the last test's teardown: its forget() calls are not ours. */
	if (tcp_helper_host(PISN))
		return -1;
	memset(&FA, 0, sizeof(FA));
	tcp_set_syncookies(&H.s, mode);
	if (ops)
		tcp_set_admit(&H.s, ops, &FA);
	return tcp_helper_listen(16);
}

/* The peer's SYN with options (Linux's order: MSS, SACK, TS, WS; ws < 0
 * none). On return, if one SYN-ACK came: P.ack is its ISN + 1, P.seq
 * PISN + 1, P.ts/P.tsecr what it said about timestamps. Returns the
 * number of frames sent. Starts a new step. */
static unsigned int peer_syn(uint16_t mss, int ws, int sack, int ts)
{
	size_t n = fake_tcp_syn_opts(O, mss, ws, sack, ts, 100);

	fake_mark(&H);
	P.seq = PISN;
	P.tsval = 100;
	fake_tcp_rx(&P, PISN, 0, TH_SYN, 65535, O, n, NULL, 0);
	if (H.nif.n == 1 && fake_tcp_sent(&H, 0, &V) == 0) {
		P.seq = PISN + 1;
		P.ack = V.seq + 1;
		P.ts = V.o.ts_ok;
		P.tsecr = V.o.tsval;
		P.tsval = 101;
	}
	return H.nif.n;
}

static const uint8_t hello[] = "hello, cookie";
#define HLEN ((uint32_t)sizeof(hello))

/* --- the cookie's round trip ---------------------------------------------------------- */

/*
 * A SYN with Linux's options (MSS 1460, SACK, TS, WS 7): the SYN-ACK is
 * the only thing that happens, with our MSS, SACK-permitted, our window
 * scale and a timestamp echoing the peer's, whose TSval's low six bits
 * hold the peer's window scale (7) and SACK (0x10) and which is not ahead
 * of our clock; nothing is created. The ACK of that ISN + 1 (TS echoing
 * it) makes the connection: established and accepted, nothing sent, with
 * MSS 1460 (the cookie's table) less the timestamp option, the peer's
 * window scale 7, SACK and timestamps on. Data then flows both ways.
 */
TEST(cookie_round_trip_full_options)
{
	struct tcp_pcb *pcb;
	struct tcp_info_ax i;
	uint8_t got[64];
	uint32_t now = 1000;

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, NULL) == 0);
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_sent, 1 });
	CHECK_SEG(0, TH_SYN | TH_ACK, P.ack - 1, PISN + 1, 0);
	CHECK_EQ(V.win, 65535);
	CHECK_EQ(V.o.mss, 1460);
	CHECK_EQ(V.o.sack_ok, 1);
	CHECK_EQ(V.o.ws_ok, 1);
	CHECK_EQ(V.o.ws, AX_TCP_RCV_WSCALE);
	CHECK_EQ(V.o.ts_ok, 1);
	CHECK_EQ(V.o.tsecr, 100);
	CHECK_EQ(V.o.tsval & 0x3f, 0x10 | 7);
	CHECK(V.o.tsval <= now && now - V.o.tsval < 64);
	CHECK(conn() == NULL);
	CHECK_EQ(H.s.tcp->count, 0);
	CHECK_EQ(L->pending, 0);

	fake_mark(&H);
	P.win = 2048;
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	CHECK_CNT(&H, RX(1), { AX_C_tcp_syncookies_recv, 1 }, { AX_C_tcp_passive_opens, 1 },
		  { AX_C_tcp_conns_opened, 1 });
	CHECK_EQ(H.nif.n, 0);
	pcb = conn();
	REQUIRE(pcb != NULL);
	CHECK(A.pcb == pcb);
	CHECK_EQ(A.accepted, 1);
	i = info(pcb);
	CHECK_EQ(i.state, TCP_ESTABLISHED);
	CHECK_EQ(i.mss, 1460 - 12);
	CHECK_EQ(i.snd_wnd, 2048u << 7);
	CHECK_EQ(pcb->ws_ok, 1);
	CHECK_EQ(pcb->snd_wscale, 7);
	CHECK_EQ(pcb->rcv_wscale, AX_TCP_RCV_WSCALE);
	CHECK_EQ(pcb->sack_ok, 1);
	CHECK_EQ(pcb->ts_ok, 1);
	CHECK_EQ(pcb->ts_recent, 101);
	CHECK_EQ(L->pending, 0);

	/* Data in: delivered and acknowledged (quick-ack), window scaled. */
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rx_bytes, HLEN });
	CHECK_SEG(0, TH_ACK, P.ack, PISN + 1 + HLEN, 0);
	CHECK_EQ(V.o.ts_ok, 1);
	CHECK_EQ(V.o.tsecr, 101);
	CHECK_EQ(tcp_read(pcb, got, sizeof(got)), (int)HLEN);
	CHECK_MEM(got, hello, HLEN);
	/* Data out. */
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, hello, HLEN), (int)HLEN);
	CHECK_SEG(0, TH_ACK | TH_PSH, P.ack, PISN + 1 + HLEN, HLEN);
	CHECK_MEM(V.data, hello, HLEN);
	stack_fini(&H.s);
}

/*
 * Without timestamps the cookie carries the MSS only: the SYN-ACK offers
 * MSS alone (no window scale, no SACK: a peer that used them would be
 * misread), and the connection runs with the largest MSS of the cookie's
 * table not above the peer's (1400 -> 1300), unscaled, without SACK.
 * Each MSS the table holds comes back whole.
 */
TEST(cookie_without_timestamps)
{
	static const uint16_t sent[] = { 1400, 536, 1300, 1440, 1460, 9000, 100 };
	static const uint16_t want[] = { 1300, 536, 1300, 1440, 1460, 1460, 536 };
	struct tcp_pcb *pcb;
	unsigned int k;

	for (k = 0; k < sizeof(sent) / sizeof(sent[0]); k++) {
		REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, NULL) == 0);
		REQUIRE(peer_syn(sent[k], 7, 1, 0) == 1);
		CHECK_SEG(0, TH_SYN | TH_ACK, P.ack - 1, PISN + 1, 0);
		CHECK_EQ(V.hlen, 24); /* MSS, nothing else */
		CHECK_EQ(V.o.mss, 1460);
		CHECK_EQ(V.o.ws_ok, 0);
		CHECK_EQ(V.o.sack_ok, 0);
		CHECK_EQ(V.o.ts_ok, 0);
		fake_mark(&H);
		P.win = 1000;
		fake_tcp_send(&P, TH_ACK, NULL, 0);
		CHECK_EQ(H.nif.n, 0);
		pcb = conn();
		REQUIRE(pcb != NULL);
		CHECK_EQ(info(pcb).state, TCP_ESTABLISHED);
		if (!CHECK_EQ(info(pcb).mss, want[k]))
			printf("  (peer's MSS %u)\n", sent[k]);
		CHECK_EQ(info(pcb).snd_wnd, 1000);
		CHECK_EQ(pcb->ws_ok, 0);
		CHECK_EQ(pcb->rcv_wscale, 0);
		CHECK_EQ(pcb->sack_ok, 0);
		CHECK_EQ(pcb->ts_ok, 0);
	}
	stack_fini(&H.s);
}

/* Timestamps without window scale or SACK: the TSval says so (0xf: no
 * scale) and the connection has neither. */
TEST(cookie_timestamps_only)
{
	struct tcp_pcb *pcb;

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, NULL) == 0);
	REQUIRE(peer_syn(1460, -1, 0, 1) == 1);
	CHECK_SEG(0, TH_SYN | TH_ACK, P.ack - 1, PISN + 1, 0);
	CHECK_EQ(V.o.ws_ok, 0);
	CHECK_EQ(V.o.sack_ok, 0);
	CHECK_EQ(V.o.ts_ok, 1);
	CHECK_EQ(V.o.tsval & 0x3f, 0xf);
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	pcb = conn();
	REQUIRE(pcb != NULL);
	CHECK_EQ(info(pcb).state, TCP_ESTABLISHED);
	CHECK_EQ(info(pcb).mss, 1460 - 12);
	CHECK_EQ(pcb->ws_ok, 0);
	CHECK_EQ(pcb->sack_ok, 0);
	CHECK_EQ(pcb->ts_ok, 1);
	stack_fini(&H.s);
}

/*
 * RFC 9293 3.10.7.2: an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>, and a
 * cookie that does not check out is no more than that: an ACK one above
 * the cookie, one with the peer's sequence number moved (by 2^16: moved
 * by a few it reads as another MSS index, as in Linux, and still proves
 * the address, which is what the cookie is for), one from another
 * port, and a cookie two periods old (one period old still opens) are
 * each reset and counted; nothing is created.
 */
TEST(cookie_forged_or_expired)
{
	uint32_t cookie_ack;

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, NULL) == 0);
	REQUIRE(peer_syn(1460, 7, 1, 0) == 1);
	cookie_ack = P.ack;

	fake_mark(&H);
	fake_tcp_rx(&P, PISN + 1, cookie_ack + 1, TH_ACK, 1000, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_failed, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	CHECK_SEG(0, TH_RST, cookie_ack + 1, 0, 0);

	fake_mark(&H);
	fake_tcp_rx(&P, PISN + 1 + 0x10000, cookie_ack, TH_ACK, 1000, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_failed, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	CHECK_SEG(0, TH_RST, cookie_ack, 0, 0);

	fake_mark(&H);
	P.port = PPORT + 1;
	fake_tcp_rx(&P, PISN + 1, cookie_ack, TH_ACK, 1000, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_failed, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	CHECK_SEG(0, TH_RST, cookie_ack, 0, 0);
	P.port = PPORT;
	CHECK_EQ(H.s.tcp->count, 0);

	/* Age: the clock is at 1 s (period 0). At 119.999 s (period 1) the
	 * cookie still opens; another one sent then keeps the listener
	 * checking ACKs. At 120 s (period 2) the first is too old. */
	fake_advance(&H, 118999);
	P.port = PPORT + 2;
	REQUIRE(peer_syn(1460, 7, 1, 0) == 1);
	P.port = PPORT;
	fake_mark(&H);
	fake_tcp_rx(&P, PISN + 1, cookie_ack, TH_ACK, 1000, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), { AX_C_tcp_syncookies_recv, 1 }, { AX_C_tcp_passive_opens, 1 },
		  { AX_C_tcp_conns_opened, 1 });
	REQUIRE(conn() != NULL);
	tcp_abort(conn());
	fake_advance(&H, 1);
	fake_mark(&H);
	fake_tcp_rx(&P, PISN + 1, cookie_ack, TH_ACK, 1000, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_failed, 1 }, { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	CHECK_SEG(0, TH_RST, cookie_ack, 0, 0);
	CHECK(conn() == NULL);
	stack_fini(&H.s);
}

/* A RST, a SYN-ACK or a bare data segment without ACK never makes a
 * connection out of a cookie; a stray ACK to a listener that sent no
 * cookie lately is not even hashed (no failed count), only reset. */
TEST(cookie_only_from_an_ack)
{
	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, NULL) == 0);
	fake_tcp_rx(&P, PISN + 1, 1234, TH_ACK, 1000, NULL, 0, NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rst_tx, 1 },
		  { AX_C_tcp_rst_noconn, 1 });
	REQUIRE(peer_syn(1460, 7, 1, 0) == 1);
	fake_mark(&H);
	fake_tcp_rx(&P, PISN + 1, P.ack, TH_ACK | TH_RST, 1000, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, PISN + 1, P.ack, TH_ACK | TH_SYN, 1000, NULL, 0, NULL, 0);
	fake_tcp_rx(&P, PISN + 1, P.ack, TH_PSH, 1000, NULL, 0, hello, HLEN);
	CHECK(conn() == NULL);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syncookies_recv], 0);
	CHECK_EQ(H.s.tcp->count, 0);
	stack_fini(&H.s);
}

/* --- with an authorizer ------------------------------------------------------------ */

/*
 * Authorized at the ACK, the commit later. The SYN: check() asked (our
 * address and port, the peer's), nothing else happens until the ACK:
 * nothing asked of request(), nothing allocated. The ACK, carrying data,
 * proves the address: request() is asked then, with the connection in
 * SYN-RECEIVED and nothing sent for it; while it waits nothing leaves, no
 * byte is acknowledged or delivered (no ring, the application has not
 * heard of it), but the ACK's data is kept (once: the peer's retransmission
 * adds nothing). tcp_admit_done(0) establishes it (accepted, the entry's
 * seq kept) and acknowledges the kept data at once, in one ACK, before any
 * RTO of the peer's: readable, delivered.
 * BUG (fixed, tcp_cookie.c): the data was dropped and acknowledged only
 * when the peer sent it again, after its RTO (Linux: 200 ms at least), so
 * every cookie connection of a burst stalled that long.
 */
TEST(cookie_authorized_at_the_ack)
{
	struct tcp_pcb *pcb;
	uint8_t got[64];

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
	FA.request_ret = -EINPROGRESS;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_sent, 1 });
	CHECK_EQ(FA.checks, 1);
	CHECK_EQ(FA.laddr, FAKE_OUR_IP);
	CHECK_EQ(FA.lport, PORT);
	CHECK_EQ(FA.raddr, FAKE_PEER_IP);
	CHECK_EQ(FA.rport, PPORT);
	CHECK_EQ(FA.requests, 0);
	CHECK_EQ(H.s.tcp->count, 0);

	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
	CHECK_CNT(&H, RX(1), { AX_C_tcp_syncookies_recv, 1 }, { AX_C_tcp_passive_opens, 1 },
		  { AX_C_tcp_conns_opened, 1 }, { AX_C_tcp_admit_held, 1 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(FA.requests, 1);
	CHECK_EQ(FA.state, TCP_SYN_RECEIVED);
	CHECK_EQ(FA.sent, 0);
	pcb = conn();
	REQUIRE(pcb == FA.pcb);
	CHECK_EQ(info(pcb).admit_pending, 1);
	CHECK_EQ(info(pcb).rcv_queued, 0);
	CHECK_EQ(pcb->rcv_nxt, PISN + 1);
	CHECK_EQ(A.accepted, 0);
	CHECK(pcb->rcv.buf == NULL); /* no ring before it is established */
	CHECK_EQ(pcb->held_len, HLEN);

	/* The peer retransmits; timers run: still nothing, nothing more kept. */
	fake_mark(&H);
	P.seq = PISN + 1;
	fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
	fake_advance(&H, 3000);
	CHECK_CNT(&H, RX(1));
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(info(pcb).rcv_queued, 0);
	CHECK_EQ(A.readable, 0);
	CHECK_EQ(pcb->held_len, HLEN);

	fake_mark(&H);
	tcp_admit_done(pcb, 0, 42);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_rx_bytes, HLEN });
	CHECK_SEG(0, TH_ACK, P.ack, PISN + 1 + HLEN, 0);
	CHECK_EQ(V.o.tsecr, 101);
	CHECK_EQ(A.accepted, 1);
	CHECK(A.pcb == pcb);
	CHECK_EQ(A.readable, 1);
	CHECK_EQ(info(pcb).state, TCP_ESTABLISHED);
	CHECK_EQ(info(pcb).admit_pending, 0);
	CHECK_EQ(tcp_admit_tag(pcb), 42);
	CHECK(pcb->rcv.buf != NULL);
	CHECK(pcb->held == NULL);
	CHECK_EQ(info(pcb).mss, 1460 - 12);
	CHECK_EQ(tcp_read(pcb, got, sizeof(got)), (int)HLEN);
	CHECK_MEM(got, hello, HLEN);
	stack_fini(&H.s);
	CHECK_EQ(FA.forgets, 1);
}

/*
 * The case of a client's request (wrk, a browser): the cookie's ACK bare,
 * the request in the next segments at once, then the FIN (an HTTP/1.0
 * client that half-closes), all while the commit is pending: nothing goes
 * out and nothing is delivered; the commit brings one ACK covering every
 * byte and the FIN (echoing the TSval of the first segment it acknowledges,
 * RFC 7323 4.3, as a delayed ACK does), the bytes readable in
 * order, then the end of the stream; the connection in CLOSE_WAIT; later
 * nothing more leaves (the peer has nothing to retransmit).
 */
TEST(cookie_data_after_the_ack_held_until_admitted)
{
	static const uint8_t more[] = "GET / HTTP/1.0\r\n\r\n";
	const uint32_t mlen = (uint32_t)sizeof(more);
	struct tcp_pcb *pcb;
	uint8_t got[128];

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
	FA.request_ret = -EINPROGRESS;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	pcb = FA.pcb;
	REQUIRE(pcb != NULL);
	CHECK_EQ(info(pcb).admit_pending, 1);
	P.tsval = 102;
	fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
	P.tsval = 103;
	fake_tcp_send(&P, TH_ACK | TH_PSH | TH_FIN, more, mlen);
	CHECK_CNT(&H, RX(3), { AX_C_tcp_syncookies_recv, 1 }, { AX_C_tcp_passive_opens, 1 },
		  { AX_C_tcp_conns_opened, 1 }, { AX_C_tcp_admit_held, 2 });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(A.accepted, 0);
	CHECK_EQ(A.readable, 0);
	CHECK_EQ(pcb->rcv_nxt, PISN + 1);
	CHECK_EQ(info(pcb).state, TCP_SYN_RECEIVED);

	fake_advance(&H, 50); /* the commit takes a while */
	fake_mark(&H);
	tcp_admit_done(pcb, 0, 7);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_rx_bytes, HLEN + mlen });
	CHECK_SEG(0, TH_ACK, P.ack, PISN + 1 + HLEN + mlen + 1, 0);
	CHECK_EQ(V.o.tsecr, 102);
	CHECK_EQ(A.accepted, 1);
	CHECK(A.readable >= 1);
	CHECK_EQ(info(pcb).state, TCP_CLOSE_WAIT);
	CHECK_EQ(tcp_read(pcb, got, sizeof(got)), (int)(HLEN + mlen));
	CHECK_MEM(got, hello, HLEN);
	CHECK_MEM(got + HLEN, more, mlen);
	CHECK_EQ(tcp_read(pcb, got, sizeof(got)), 0);
	fake_mark(&H);
	fake_advance(&H, 1000);
	CHECK_EQ(H.nif.n, 0);
	stack_fini(&H.s);
	CHECK_EQ(FA.forgets, 1);
}

/*
 * Denied while data waits (the commit failed, or the policy changed): the
 * peer gets its RST (RST|ACK at our ISN + 1, acknowledging only its ISN +
 * 1: not one byte was taken), the application hears of nothing, no byte
 * is counted received, and the kept data goes with the connection (ASan:
 * nothing leaks). The same when the peer resets it (at its next sequence
 * number, past the data it sent: exact for the peer), or the stack stops,
 * while it waits.
 */
TEST(cookie_data_discarded_when_denied)
{
	int how;

	for (how = 0; how < 3; how++) {
		struct tcp_pcb *pcb;

		REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
		FA.request_ret = -EINPROGRESS;
		REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
		fake_mark(&H);
		fake_tcp_send(&P, TH_ACK, NULL, 0);
		fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
		pcb = FA.pcb;
		REQUIRE(pcb != NULL);
		CHECK_EQ(pcb->held_len, HLEN);
		CHECK_EQ(H.nif.n, 0);
		fake_mark(&H);
		if (how == 0) {
			tcp_admit_done(pcb, -EACCES, 0);
			CHECK_CNT(&H, TX(1), { AX_C_tcp_rst_tx, 1 }, { AX_C_tcp_auth_denied, 1 },
				  { AX_C_tcp_conns_closed, 1 });
			CHECK_SEG(0, TH_RST | TH_ACK, P.ack, PISN + 1, 0);
		} else if (how == 1) {
			/* At its SND.NXT, past what it sent (held): exact. */
			fake_tcp_send(&P, TH_RST, NULL, 0);
			CHECK_CNT(&H, RX(1), { AX_C_tcp_rst_rx, 1 }, { AX_C_tcp_conns_closed, 1 });
			CHECK_EQ(H.nif.n, 0);
		} else {
			stack_fini(&H.s);
			CHECK_EQ(H.nif.n, 0);
		}
		CHECK_EQ(H.s.cnt[AX_C_tcp_rx_bytes], 0);
		CHECK_EQ(A.accepted, 0);
		CHECK_EQ(A.readable, 0);
		CHECK_EQ(FA.forgets, 1);
		if (how < 2) {
			CHECK(conn() == NULL);
			CHECK_EQ(L->pending, 0);
			stack_fini(&H.s);
		}
	}
}

/*
 * A hostile peer, its connection pending, sends far more than the
 * window, and out of order: the engine keeps at most AX_TCP_ADMIT_HOLD
 * bytes (within the 65535 its SYN-ACK offered), allocates no more than
 * that, sends nothing; the rest and the segment past a gap are dropped,
 * counted. Admitted, exactly the bytes kept are acknowledged and read, in
 * order, intact; the peer sends the rest again as for any loss.
 */
TEST(cookie_hold_bounded_while_pending)
{
	const uint32_t seg = 1000, nsegs = 100;
	uint32_t cap = AX_TCP_ADMIT_HOLD < 65535u ? AX_TCP_ADMIT_HOLD : 65535u;
	uint32_t i, full = cap / seg;
	struct tcp_pcb *pcb;

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
	FA.request_ret = -EINPROGRESS;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	pcb = FA.pcb;
	REQUIRE(pcb != NULL);
	REQUIRE(pcb->rcv.size >= cap);
	stream_fill();
	R0 = PISN + 1;
	fake_mark(&H);
	/* Past a gap first: dropped, nothing kept. */
	send_at(seg, seg);
	CHECK_EQ(pcb->held_len, 0);
	CHECK(pcb->held == NULL);
	for (i = 0; i < nsegs; i++)
		send_at(i * seg, seg);
	CHECK_CNT(&H, RX(nsegs + 1), { AX_C_tcp_admit_held, full + 1 },
		  { AX_C_tcp_admit_held_dropped, 1 + nsegs - full });
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(pcb->held_len, cap);
	CHECK(pcb->held_cap <= cap);
	CHECK_EQ(pcb->rcv_nxt, PISN + 1);

	fake_mark(&H);
	tcp_admit_done(pcb, 0, 9);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_rx_bytes, cap });
	CHECK_SEG(0, TH_ACK, P.ack, PISN + 1 + cap, 0);
	CHECK_EQ(info(pcb).rcv_queued, cap);
	CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), (int)cap);
	CHECK_MEM(rd, pat, cap);
	stack_fini(&H.s);
}

/*
 * Many connections pending at once (a commit that stalls, many sources),
 * each sending its whole hold: together they keep at most
 * AX_TCP_ADMIT_HOLD_ALL; the next one's data is dropped (counted) and it
 * holds nothing; the stack's account goes back to 0 as they go (ASan:
 * nothing leaks).
 */
TEST(cookie_hold_bounded_stack_wide)
{
	uint32_t cap = AX_TCP_ADMIT_HOLD < 65535u ? AX_TCP_ADMIT_HOLD : 65535u;
	unsigned int k, n = (unsigned int)(AX_TCP_ADMIT_HOLD_ALL / cap) + 1;
	uint8_t chunk[1024];
	uint32_t off;
	struct tcp_pcb *first = NULL;

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
	FA.request_ret = -EINPROGRESS;
	memset(chunk, 0x5a, sizeof(chunk));
	for (k = 0; k < n; k++) {
		P.port = (uint16_t)(PPORT + k);
		REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
		fake_tcp_send(&P, TH_ACK, NULL, 0);
		REQUIRE(FA.requests == k + 1);
		if (k == 0)
			first = FA.pcb;
		for (off = 0; off < cap; off += sizeof(chunk))
			fake_tcp_send(&P, TH_ACK, chunk, sizeof(chunk));
		if (k + 1 < n)
			CHECK_EQ(FA.pcb->held_len, cap);
	}
	CHECK_EQ(H.s.tcp->held_bytes, (uint64_t)AX_TCP_ADMIT_HOLD_ALL);
	CHECK_EQ(FA.pcb->held_len, 0);
	CHECK(FA.pcb->held == NULL);
	CHECK_EQ(H.s.cnt[AX_C_tcp_admit_held], (uint64_t)(n - 1) * (cap / sizeof(chunk)));
	CHECK_EQ(H.s.cnt[AX_C_tcp_admit_held_dropped], cap / sizeof(chunk));
	/* The first admitted: its hold goes to its ring, and out of the
	 * account; the last, admitted, has nothing to deliver. */
	tcp_admit_done(first, 0, 1);
	CHECK_EQ(H.s.tcp->held_bytes, (uint64_t)AX_TCP_ADMIT_HOLD_ALL - cap);
	CHECK(A.pcb == first);
	CHECK_EQ(info(first).rcv_queued, cap);
	tcp_admit_done(FA.pcb, 0, 2);
	CHECK_EQ(H.s.tcp->held_bytes, (uint64_t)AX_TCP_ADMIT_HOLD_ALL - cap);
	CHECK_EQ(info(FA.pcb).rcv_queued, 0);
	stack_fini(&H.s);
	CHECK_EQ(FA.forgets, n);
}

/* Denied at the SYN: nothing goes back (as without cookies), counted;
 * nothing is created and request() is never asked. */
TEST(cookie_denied_at_the_syn)
{
	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
	FA.check_ret = -EACCES;
	CHECK_EQ(peer_syn(1460, 7, 1, 1), 0);
	CHECK_CNT(&H, RX(1), { AX_C_tcp_auth_denied, 1 });
	CHECK_EQ(FA.checks, 1);
	CHECK_EQ(FA.requests, 0);
	CHECK_EQ(H.s.tcp->count, 0);
	stack_fini(&H.s);
}

/*
 * Denied at the ACK (the policy changed after the SYN), at once or when
 * the commit fails: the peer believes it is connected, so it is reset
 * (RST|ACK at our ISN + 1, acknowledging its ISN + 1: the data was never
 * taken); the connection is gone, forgotten once, never accepted.
 */
TEST(cookie_denied_at_the_ack)
{
	int late;

	for (late = 0; late < 2; late++) {
		REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
		FA.request_ret = late ? -EINPROGRESS : -EACCES;
		REQUIRE(peer_syn(1460, 7, 1, 0) == 1);
		fake_mark(&H);
		fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
		if (late) {
			CHECK_EQ(H.nif.n, 0);
			REQUIRE(FA.pcb != NULL);
			fake_mark(&H);
			tcp_admit_done(FA.pcb, -EACCES, 0);
			CHECK_CNT(&H, TX(1), { AX_C_tcp_rst_tx, 1 }, { AX_C_tcp_auth_denied, 1 },
				  { AX_C_tcp_conns_closed, 1 });
		} else {
			CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rst_tx, 1 },
				  { AX_C_tcp_auth_denied, 1 }, { AX_C_tcp_syncookies_recv, 1 },
				  { AX_C_tcp_passive_opens, 1 }, { AX_C_tcp_conns_opened, 1 },
				  { AX_C_tcp_conns_closed, 1 });
		}
		CHECK_SEG(0, TH_RST | TH_ACK, P.ack, PISN + 1, 0);
		CHECK_EQ(FA.requests, 1);
		CHECK_EQ(FA.forgets, 1);
		CHECK(conn() == NULL);
		CHECK_EQ(A.accepted, 0);
		CHECK_EQ(L->pending, 0);
	}
	stack_fini(&H.s);
}

/* An authorizer without check() cannot decide at the SYN: no cookies,
 * even when asked for always; the SYN goes the old way (request()). */
TEST(cookie_needs_check)
{
	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops_nocheck) == 0);
	FA.request_ret = 0;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_passive_opens, 1 }, { AX_C_tcp_conns_opened, 1 });
	CHECK_EQ(FA.requests, 1);
	CHECK(conn() != NULL);
	stack_fini(&H.s);
	CHECK_EQ(FA.forgets, 1);
}

/* --- when ----------------------------------------------------------------------------- */

/*
 * TCP_SYNCOOKIES_AUTO: SYNs make connections (each asked of request(),
 * i.e. an authorize entry) until AX_TCP_SYNCOOKIE_HALFOPEN of them wait
 * half-open; from then on every SYN gets a cookie and nothing else (no
 * connection, no request(), the count of connections unchanged), also
 * after the queue drained, for AX_TCP_SYNCOOKIE_HOLD_MS after the last
 * pressure seen; then a SYN makes a connection again. No half-open entry
 * is evicted meanwhile.
 */
TEST(cookies_under_pressure)
{
	unsigned int i;

	REQUIRE(setup(TCP_SYNCOOKIES_AUTO, &fa_ops) == 0);
	FA.request_ret = 0;
	for (i = 0; i < AX_TCP_SYNCOOKIE_HALFOPEN; i++) {
		P.port = (uint16_t)(50000 + i);
		REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	}
	CHECK_EQ(FA.requests, AX_TCP_SYNCOOKIE_HALFOPEN);
	CHECK_EQ(L->pending, AX_TCP_SYNCOOKIE_HALFOPEN);
	CHECK_EQ(H.s.tcp->count, AX_TCP_SYNCOOKIE_HALFOPEN);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syncookies_sent], 0);

	for (i = 0; i < 1000; i++) {
		P.port = (uint16_t)(51000 + i);
		fake_tcp_rx(&P, PISN, 0, TH_SYN, 65535, O, fake_tcp_syn_opts(O, 1460, 7, 1, 1, 1),
			    NULL, 0);
	}
	CHECK_EQ(H.s.cnt[AX_C_tcp_syncookies_sent], 1000);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syn_evicted], 0);
	CHECK_EQ(H.s.cnt[AX_C_tcp_conns_opened], AX_TCP_SYNCOOKIE_HALFOPEN);
	CHECK_EQ(FA.requests, AX_TCP_SYNCOOKIE_HALFOPEN);
	CHECK_EQ(H.s.tcp->count, AX_TCP_SYNCOOKIE_HALFOPEN);

	/* The half-open ones go (their peer resets them): cookies still,
	 * for the hold time after the last pressure... */
	for (i = 0; i < AX_TCP_SYNCOOKIE_HALFOPEN; i++) {
		struct tcp_pcb *p = tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP),
					       (uint16_t)(50000 + i));

		REQUIRE(p != NULL);
		P.port = (uint16_t)(50000 + i);
		fake_tcp_rx(&P, PISN + 1, 0, TH_RST, 0, NULL, 0, NULL, 0);
	}
	CHECK_EQ(L->pending, 0);
	CHECK_EQ(H.s.tcp->count, 0);
	fake_advance(&H, AX_TCP_SYNCOOKIE_HOLD_MS - 1);
	P.port = 52000;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_sent, 1 });
	/* ... and then the old way again. */
	fake_advance(&H, 1);
	P.port = 52001;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_passive_opens, 1 }, { AX_C_tcp_conns_opened, 1 });
	CHECK_EQ(FA.requests, AX_TCP_SYNCOOKIE_HALFOPEN + 1);
	stack_fini(&H.s);
}

/* An authorizer whose commits queue up (busy()) gets no new questions
 * at SYNs: cookies, even with an empty half-open queue; once it is no
 * longer busy (and the hold time is over), SYNs make connections again. */
TEST(cookies_while_the_authorizer_is_busy)
{
	REQUIRE(setup(TCP_SYNCOOKIES_AUTO, &fa_ops) == 0);
	FA.busy = 1;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_syncookies_sent, 1 });
	CHECK_EQ(FA.checks, 1);
	CHECK_EQ(FA.requests, 0);
	FA.busy = 0;
	fake_advance(&H, AX_TCP_SYNCOOKIE_HOLD_MS);
	P.port = PPORT + 1;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_passive_opens, 1 }, { AX_C_tcp_conns_opened, 1 });
	CHECK_EQ(FA.requests, 1);
	stack_fini(&H.s);
}

/* A listener with a backlog below AX_TCP_SYNCOOKIE_HALFOPEN answers with
 * cookies once its backlog is half-open, instead of evicting. */
TEST(cookies_at_a_small_backlog)
{
	struct tcp_pcb *l2;
	unsigned int i;

	REQUIRE(setup(TCP_SYNCOOKIES_AUTO, NULL) == 0);
	l2 = tcp_listen(&H.s, 8080, 2, fake_tcp_app_cb(), &A);
	REQUIRE(l2 != NULL);
	P.lport = 8080;
	for (i = 0; i < 4; i++) {
		P.port = (uint16_t)(50000 + i);
		REQUIRE(peer_syn(0, -1, 0, 0) == 1);
	}
	CHECK_EQ(l2->pending, 2);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syncookies_sent], 2);
	CHECK_EQ(H.s.cnt[AX_C_tcp_syn_evicted], 0);
	/* The last cookie's ACK (MSS 536: the peer sent none) opens. */
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	REQUIRE(conn() != NULL);
	CHECK_EQ(info(conn()).state, TCP_ESTABLISHED);
	CHECK_EQ(info(conn()).mss, 536);
	stack_fini(&H.s);
}

/* Rings come when a connection is established, not at its SYN: a
 * half-open connection holds no ring memory. */
TEST(rings_at_establishment)
{
	struct tcp_pcb *pcb;

	REQUIRE(setup(TCP_SYNCOOKIES_NEVER, NULL) == 0);
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	pcb = conn();
	REQUIRE(pcb != NULL);
	CHECK_EQ(info(pcb).state, TCP_SYN_RECEIVED);
	CHECK(pcb->snd.buf == NULL);
	CHECK(pcb->rcv.buf == NULL);
	fake_mark(&H);
	fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
	CHECK_EQ(info(pcb).state, TCP_ESTABLISHED);
	CHECK(pcb->snd.buf != NULL);
	CHECK(pcb->rcv.buf != NULL);
	CHECK_EQ(info(pcb).rcv_queued, HLEN);
	stack_fini(&H.s);
}

/*
 * Denied at the ACK, the ACK advertising a zero window: the RST still goes
 * at our ISN + 1, the peer's RCV.NXT (its ACK took our SYN), or the peer
 * drops it as out of window (RFC 5961 3.2) and stays connected.
 * BUG (fixed, tcp_cookie.c): SND.UNA was still our ISN when the RST left,
 * so tcp_send_rst's window clamp (SND.UNA + SND.WND) put it at the ISN.
 */
TEST(cookie_denied_rst_in_zero_window)
{
	int late;

	for (late = 0; late < 2; late++) {
		REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
		FA.request_ret = late ? -EINPROGRESS : -EACCES;
		REQUIRE(peer_syn(1460, 7, 1, 0) == 1);
		fake_mark(&H);
		P.win = 0;
		fake_tcp_send(&P, TH_ACK, NULL, 0);
		if (late) {
			REQUIRE(FA.pcb != NULL);
			fake_mark(&H);
			tcp_admit_done(FA.pcb, -EACCES, 0);
		}
		REQUIRE(H.nif.n == 1);
		CHECK_SEG(0, TH_RST | TH_ACK, P.ack, PISN + 1, 0);
		CHECK(conn() == NULL);
	}
	stack_fini(&H.s);
}

/*
 * The listener's owner (whose socket it is: the policy may ask) reaches
 * check() at the cookie SYN, and the connection the cookie makes, like one
 * from the half-open queue, has it before request() is asked.
 */
TEST(owner_inherited_by_cookie_and_syn)
{
	static const int owner_cookie, owner_syn;

	REQUIRE(setup(TCP_SYNCOOKIES_ALWAYS, &fa_ops) == 0);
	tcp_set_owner(L, &owner_cookie);
	CHECK(tcp_owner(L) == &owner_cookie);
	FA.request_ret = -EINPROGRESS;
	REQUIRE(peer_syn(1460, 7, 1, 1) == 1);
	CHECK_EQ(FA.checks, 1);
	CHECK(FA.owner == &owner_cookie);
	fake_tcp_send(&P, TH_ACK | TH_PSH, hello, HLEN);
	REQUIRE(FA.requests == 1);
	CHECK(FA.req_owner == &owner_cookie);
	CHECK(tcp_owner(FA.pcb) == &owner_cookie);
	stack_fini(&H.s);

	REQUIRE(setup(TCP_SYNCOOKIES_NEVER, &fa_ops) == 0);
	tcp_set_owner(L, &owner_syn);
	FA.request_ret = -EINPROGRESS;
	peer_syn(1460, 7, 1, 1);
	CHECK_EQ(FA.checks, 0);
	REQUIRE(FA.requests == 1);
	CHECK(FA.req_owner == &owner_syn);
	/* the listener's owner changing later is not the connection's */
	tcp_set_owner(L, NULL);
	CHECK(tcp_owner(FA.pcb) == &owner_syn);
	stack_fini(&H.s);
}

TEST_MAIN(T(cookie_round_trip_full_options), T(cookie_without_timestamps),
	  T(cookie_timestamps_only), T(cookie_forged_or_expired), T(cookie_only_from_an_ack),
	  T(cookie_authorized_at_the_ack), T(cookie_data_after_the_ack_held_until_admitted),
	  T(cookie_data_discarded_when_denied), T(cookie_hold_bounded_while_pending),
	  T(cookie_hold_bounded_stack_wide),
	  T(cookie_denied_at_the_syn),
	  T(cookie_denied_at_the_ack), T(cookie_needs_check), T(cookies_under_pressure),
	  T(cookies_while_the_authorizer_is_busy), T(cookies_at_a_small_backlog),
	  T(rings_at_establishment), T(cookie_denied_rst_in_zero_window),
	  T(owner_inherited_by_cookie_and_syn))
