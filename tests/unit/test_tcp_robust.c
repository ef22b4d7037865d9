/*
 * test_tcp_robust.c - TCP against unlucky and hostile peers: a FIN that
 * arrives ahead of a gap (RFC 9293 3.10.7.4, eighth step), a peer that
 * goes silent behind a zero window (RFC 1122 4.2.2.17, RFC 9293 3.8.3),
 * cwnd while the application limits sending (RFC 7661), ssthresh across
 * consecutive timeouts (RFC 5681 3.1), the stack-wide challenge ACK budget
 * (RFC 5961 7, CVE-2016-5696), the window update guard and the ACK of a
 * segment met by our zero window (RFC 9293 3.10.7.4), TS.Recent (RFC 7323
 * 4.3) and NewReno's recovery entry (RFC 6582 3.2).
 *
 * Each test is the regression test of a defect found on a review; each
 * failed on the code before its fix.
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"
#include "net/tcp_cc.h"
#include "tcp_helper.h"

/* A listener on PORT (backlog 4096), connections with congestion control
 * cc. */
static int setup_cc(const struct tcp_cc_ops *cc)
{
	stream_fill();
	if (tcp_helper_host(PISN))
		return -1;
	H.s.tcp->cc = cc;
	return tcp_helper_listen(4096);
}

static int setup(void)
{
	return setup_cc(&tcp_cc_newreno);
}

/* Set up with cc, open a connection with the full options into pcb, and
 * put in s our first sequence number; the test stops if either fails. */
#define ESTABLISH(cc, pcb, s)                   \
	do {                                    \
		REQUIRE(setup_cc(cc) == 0);     \
		(pcb) = establish_full();       \
		REQUIRE((pcb) != NULL);         \
		(s) = P.ack;                    \
	} while (0)

/* --- a FIN ahead of a gap ------------------------------------------------------- */

/* RFC 9293 3.10.7.4, eighth step: a FIN is taken when RCV.NXT reaches it.
 * One that arrives out of order, on the last data or alone, waits with
 * the held data; when the gap fills, the ACK covers it and the connection
 * is in CLOSE_WAIT, the application reads everything and then the end.
 * BUG (fixed, tcp_in.c input): the early FIN was forgotten; after the gap
 * filled, the ACK stopped one short of it and the state stayed
 * ESTABLISHED until the peer sent the FIN again. */
TEST(fin_after_gap_closes_the_connection)
{
	unsigned int bare;

	for (bare = 0; bare < 2; bare++) {
		struct tcp_pcb *pcb;
		uint32_t s;

		ESTABLISH(&tcp_cc_newreno, pcb, s);

		/* Bytes 1000..2000 with the FIN (or those bytes, then a bare
		 * FIN at 2000), while 0..1000 is lost. */
		if (bare) {
			send_flags(1000, 1000, TH_ACK);
			send_flags(2000, 0, TH_ACK | TH_FIN);
		} else {
			send_flags(1000, 1000, TH_ACK | TH_FIN);
		}
		CHECK_EQ(pcb->state, TCP_ESTABLISHED);
		CHECK_EQ(A.readable, 0);
		/* One duplicate ACK per segment (not two for data + FIN:
		 * the peer would count a second duplicate). */
		REQUIRE(H.nif.n == 1 + bare);
		CHECK_SEG(0, TH_ACK, s, R0, 0);
		CHECK_EQ(V.o.nsack, 1);
		CHECK_SEG(bare, TH_ACK, s, R0, 0);

		/* The gap fills: all of it, and the FIN. */
		fake_mark(&H);
		send_flags(0, 1000, TH_ACK);
		CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rx_bytes, 2000 });
		REQUIRE(H.nif.n == 1);
		CHECK_SEG(0, TH_ACK, s, R0 + 2001, 0);
		CHECK_EQ(pcb->state, TCP_CLOSE_WAIT);
		CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), 2000);
		CHECK_MEM(rd, pat, 2000);
		CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), 0);

		/* Our side closes: FIN, the peer's ACK, gone. */
		fake_mark(&H);
		tcp_close(pcb);
		REQUIRE(H.nif.n == 1);
		CHECK_SEG(0, TH_ACK | TH_PSH | TH_FIN, s, R0 + 2001, 0);
		P.seq = R0 + 2001;
		ack_with(s + 1, 2048, V.o.tsval);
		CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT) == NULL);
		stack_fini(&H.s);
	}
}

/* --- a silent peer behind a zero window ---------------------------------------- */

/* RFC 1122 4.2.2.17 keeps probing a zero window while the peer answers
 * (test_tcp_data.c zero_window_persist); a peer that answers nothing is
 * dead. With the default user timeout (RFC 9293 3.8.3, 5 minutes) the
 * connection is dropped 5 minutes after the peer last spoke - exactly
 * then: the backed-off probe interval is cut to it - with a RST and
 * closed(-ETIMEDOUT).
 * BUG (fixed, tcp.c rto_fired): the probe branch checked neither the user
 * timeout nor a retry limit, and keepalive waits while the probe byte is
 * out: after 6 simulated hours of silence the connection was still
 * ESTABLISHED, probing every minute. */
TEST(zero_window_dead_peer_times_out)
{
	struct tcp_pcb *pcb;
	uint64_t heard, t;
	unsigned int probes = 0;

	REQUIRE(setup() == 0);
	pcb = establish_full_win(0);
	REQUIRE(pcb != NULL);
	heard = H.s.now_ns / 1000000u;
	CHECK_EQ(tcp_write(pcb, pat, 3000), 3000);
	CHECK_EQ(H.nif.n, 0);
	for (t = 0; t < 6ull * 3600 * 1000 && A.closed == 0; t += 10) {
		fake_mark(&H);
		fake_advance(&H, 10);
		probes += (unsigned int)(H.s.cnt[AX_C_tcp_window_probes] -
					 H.mark[AX_C_tcp_window_probes]);
	}
	CHECK_EQ(A.closed, 1);
	CHECK_EQ(A.close_err, -ETIMEDOUT);
	CHECK_EQ(H.s.now_ns / 1000000u - heard, AX_TCP_USER_TIMEOUT_MS);
	/* 1, 3, 7, 15, 31, 63, 123, 183 and 243 s, then 300 s: gone. */
	CHECK_EQ(probes, 9);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_rst_tx, 1 }, { AX_C_tcp_timeouts, 1 },
		  { AX_C_tcp_conns_closed, 1 });
	REQUIRE(H.nif.n == 1);
	/* At SND.UNA + SND.WND (Linux tcp_acceptable_seq), not after the
	 * probe byte the peer never took. */
	CHECK_SEG(0, TH_RST | TH_ACK, P.ack, R0, 0);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(FAKE_PEER_IP), PPORT) == NULL);
	stack_fini(&H.s);
}

/* Without a user timeout, AX_TCP_MAX_RETRIES unanswered probes end it
 * (Linux: tcp_retries2 probes); an answer in between starts the count
 * over (the peer is alive: RFC 1122 4.2.2.17). */
TEST(zero_window_probes_unanswered_give_up)
{
	struct tcp_pcb *pcb;
	unsigned int k, interval = AX_TCP_RTO_INIT_MS;

	REQUIRE(setup() == 0);
	pcb = establish_full_win(0);
	REQUIRE(pcb != NULL);
	tcp_set_user_timeout(pcb, 0);
	CHECK_EQ(tcp_write(pcb, pat, 3000), 3000);
	/* Two probes, the second answered (window still shut). */
	for (k = 0; k < 2; k++) {
		fake_mark(&H);
		fake_advance(&H, interval);
		CHECK_CNT(&H, TX(1), { AX_C_tcp_window_probes, 1 }, { AX_C_tcp_tx_bytes, !k });
		interval *= 2;
	}
	ack_with(P.ack, 0, 0);
	/* Then AX_TCP_MAX_RETRIES more, unanswered; the next timeout
	 * ends it. */
	for (k = 0; k < AX_TCP_MAX_RETRIES; k++) {
		fake_mark(&H);
		fake_advance(&H, interval);
		CHECK_CNT(&H, TX(1), { AX_C_tcp_window_probes, 1 });
		interval = interval * 2 > AX_TCP_RTO_MAX_MS ? AX_TCP_RTO_MAX_MS : interval * 2;
	}
	CHECK_EQ(A.closed, 0);
	fake_mark(&H);
	fake_advance(&H, interval);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_rst_tx, 1 }, { AX_C_tcp_timeouts, 1 },
		  { AX_C_tcp_conns_closed, 1 });
	CHECK_EQ(A.closed, 1);
	CHECK_EQ(A.close_err, -ETIMEDOUT);
	stack_fini(&H.s);
}

/* --- cwnd while the application limits sending ----------------------------------- */

/* RFC 7661 (and Linux's tcp_is_cwnd_limited): an ACK grows cwnd only when
 * the flight used it. A request-response trickle (one segment at a time)
 * leaves cwnd at the initial window, with CUBIC and NewReno alike; a flow
 * that fills cwnd grows it. After idling for more than an RTO the window
 * restarts from at most the initial one (RFC 5681 4.1).
 * BUG (fixed, tcp_in.c new_ack): every ACK grew cwnd in slow start
 * (ssthresh starts at UINT32_MAX) whatever was in flight: +1 MSS per
 * segment acked, without bound, until the 32-bit cwnd wrapped to a few
 * hundred bytes after about 4 GiB without loss. */
TEST(cwnd_grows_only_when_used)
{
	const struct tcp_cc_ops *ccs[2] = { &tcp_cc_cubic, &tcp_cc_newreno };
	unsigned int c, k;

	for (c = 0; c < 2; c++) {
		struct tcp_pcb *pcb;
		uint32_t s, iw = AX_TCP_INIT_CWND * MSS_TS;

		ESTABLISH(ccs[c], pcb, s);
		CHECK_EQ(pcb->cwnd, iw);
		for (k = 0; k < 300; k++) {
			fake_mark(&H);
			CHECK_EQ(tcp_write(pcb, pat, MSS_TS), MSS_TS);
			REQUIRE(H.nif.n == 1);
			fake_advance(&H, 1);
			s += MSS_TS;
			ack_with(s, 2048, P.tsecr);
		}
		CHECK_EQ(pcb->cwnd, iw);

		/* A window's worth and more: cwnd-limited, it grows by what
		 * the ACK covers (slow start, RFC 3465 L = 2). */
		fake_mark(&H);
		CHECK_EQ(tcp_write(pcb, pat, 20 * MSS_TS), 20 * MSS_TS);
		CHECK_EQ(H.nif.n, AX_TCP_INIT_CWND);
		ack_with(s + 2 * MSS_TS, 2048, P.tsecr);
		CHECK_EQ(pcb->cwnd, iw + 2 * MSS_TS);
		CHECK_EQ(H.nif.n, AX_TCP_INIT_CWND + 4);
		ack_with(s + 14 * MSS_TS, 2048, P.tsecr);
		CHECK_EQ(pcb->cwnd, iw + 4 * MSS_TS);
		CHECK_EQ(H.nif.n, AX_TCP_INIT_CWND + 4 + 6);
		ack_with(s + 20 * MSS_TS, 2048, P.tsecr);
		s += 20 * MSS_TS;
		CHECK(pcb->cwnd >= iw + 4 * MSS_TS);
		CHECK(pcb->cwnd <= 2 * 14 * MSS_TS);

		/* Idle for 10 RTOs: back to the initial window. */
		fake_advance(&H, 10 * pcb->rto_ms + 1);
		fake_mark(&H);
		CHECK_EQ(tcp_write(pcb, pat, 30 * MSS_TS), 30 * MSS_TS);
		CHECK_EQ(pcb->cwnd, iw);
		CHECK_EQ(H.nif.n, AX_TCP_INIT_CWND);
		stack_fini(&H.s);
	}
}

/* --- ssthresh across consecutive timeouts --------------------------------------- */

/* RFC 5681 3.1: ssthresh is set when a segment times out that "has not
 * yet been resent by way of the retransmission timer": the second and
 * later timeouts of the same segment keep it (CUBIC: 0.7 of the cwnd
 * before the loss). The timeout after new data was acked sets it again.
 * BUG (fixed, tcp.c rto_fired): every timeout recomputed it, from the
 * one-segment cwnd the first had left (CUBIC: down to 2 SMSS), so a
 * second lost retransmission threw away what the path was known to hold. */
TEST(ssthresh_kept_on_consecutive_rtos)
{
	struct tcp_pcb *pcb;
	struct tcp_info_ax info;
	uint32_t s, ss = (uint32_t)(AX_TCP_INIT_CWND * MSS_TS * 0.7);

	ESTABLISH(&tcp_cc_cubic, pcb, s);
	CHECK_EQ(tcp_write(pcb, pat, 20 * MSS_TS), 20 * MSS_TS);
	fake_mark(&H);
	fake_advance(&H, AX_TCP_RTO_INIT_MS);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_retransmits, 1 }, { AX_C_tcp_rto_fired, 1 });
	tcp_get_info(pcb, &info);
	CHECK_EQ(info.ssthresh, ss);
	CHECK_EQ(info.cwnd, MSS_TS);
	fake_mark(&H);
	fake_advance(&H, 2 * AX_TCP_RTO_INIT_MS);
	fake_advance(&H, 4 * AX_TCP_RTO_INIT_MS);
	CHECK_CNT(&H, TX(2), { AX_C_tcp_retransmits, 2 }, { AX_C_tcp_rto_fired, 2 });
	tcp_get_info(pcb, &info);
	CHECK_EQ(info.ssthresh, ss);
	CHECK_EQ(info.cwnd, MSS_TS);

	/* The first segment gets through; the next times out: a new
	 * loss, ssthresh from the cwnd of now (2 SMSS after the ACK). */
	ack_with(s + MSS_TS, 2048, P.tsecr);
	tcp_get_info(pcb, &info);
	CHECK_EQ(info.cwnd, 2 * MSS_TS);
	fake_mark(&H);
	fake_advance(&H, info.rto_ms);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_retransmits, 1 }, { AX_C_tcp_rto_fired, 1 });
	tcp_get_info(pcb, &info);
	CHECK_EQ(info.ssthresh, 2 * MSS_TS);
	stack_fini(&H.s);
}

/* --- the challenge ACK budget ------------------------------------------------- */

/* RFC 5961 7 with what Linux did after CVE-2016-5696: the stack-wide
 * budget of challenge ACKs is drawn anew each second from [limit/2,
 * 3 limit/2) with a secret key, so an off-path attacker counting the
 * challenge ACKs it gets in a second learns nothing about the ones other
 * connections took. 1500 connections each send one bad RST a second (the
 * per-connection limit lets one through every 500 ms): every second the
 * budget is spent, within the bounds, and it varies.
 * BUG (fixed, tcp_in.c challenge_ack): a fixed budget of exactly 1000 a
 * second, the side channel of CVE-2016-5696. */
TEST(challenge_ack_budget_is_random)
{
	enum { CONNS = 1500, SECS = 12 };
	static struct tcp_pcb *pcbs[CONNS];
	uint64_t seen_min = UINT64_MAX, seen_max = 0, total = 0;
	unsigned int i, sec, distinct = 0;
	uint64_t prev = 0;

	REQUIRE(setup() == 0);
	for (i = 0; i < CONNS; i++) {
		fake_tcp_peer_init(&P, &H, (uint16_t)(20000 + i), PORT, PISN + i * 7919u);
		pcbs[i] = fake_tcp_accept(&P, &A, NULL, 0, 65535);
		REQUIRE(pcbs[i] != NULL);
	}
	/* Start at a second's boundary. */
	fake_advance(&H, 1000 - (H.s.now_ns / 1000000u) % 1000);
	for (sec = 0; sec < SECS; sec++) {
		uint64_t n;

		fake_mark(&H);
		for (i = 0; i < CONNS; i++) {
			P.port = (uint16_t)(20000 + i);
			fake_tcp_rx(&P, pcbs[i]->rcv_nxt + 100, 0, TH_RST, 0, NULL, 0, NULL, 0);
		}
		n = H.s.cnt[AX_C_tcp_challenge_acks] - H.mark[AX_C_tcp_challenge_acks];
		CHECK_EQ(n + H.s.cnt[AX_C_tcp_challenge_acks_limited] -
				 H.mark[AX_C_tcp_challenge_acks_limited],
			 CONNS);
		CHECK_EQ(H.s.cnt[AX_C_tcp_challenge_acks_skipped] -
				 H.mark[AX_C_tcp_challenge_acks_skipped],
			 0);
		CHECK(n >= AX_TCP_CHALLENGE_ACK_LIMIT / 2);
		CHECK(n < AX_TCP_CHALLENGE_ACK_LIMIT * 3 / 2);
		if (n < seen_min)
			seen_min = n;
		if (n > seen_max)
			seen_max = n;
		distinct += sec == 0 || n != prev;
		prev = n;
		total += n;
		fake_advance(&H, 1000);
	}
	/* 12 draws from 1000 values: all different but for bad luck. */
	CHECK(distinct >= SECS - 2);
	CHECK(seen_max - seen_min >= 50);
	/* The mean stays near the limit (12 uniform draws: within 30%). */
	CHECK(total / SECS > AX_TCP_CHALLENGE_ACK_LIMIT * 7 / 10);
	CHECK(total / SECS < AX_TCP_CHALLENGE_ACK_LIMIT * 13 / 10);
	stack_fini(&H.s);
}

/* --- window update, zero window, TS.Recent ------------------------------------ */

/* RFC 9293 3.10.7.4, fifth check: the send window is updated only by an
 * ACK with SND.UNA =< SEG.ACK. A reordered segment that carries newer data
 * but an older ACK (and the window of its time, here 0) leaves it.
 * BUG (fixed, tcp_in.c input): the guard was missing; such a segment shut
 * our window and stalled sending until a probe. */
TEST(window_update_ignores_older_ack)
{
	struct tcp_pcb *pcb;
	uint32_t s;

	ESTABLISH(&tcp_cc_newreno, pcb, s);
	CHECK_EQ(tcp_write(pcb, pat, 2 * MSS_TS), 2 * MSS_TS);
	ack_with(s + 2 * MSS_TS, 2048, P.tsecr);
	CHECK_EQ(pcb->snd_wnd, 2048u << 7);

	/* Data from the peer (SND.WL1 moves to it), then more data with a
	 * newer SEG.SEQ but an ACK one segment old, and window 0. */
	fake_tcp_rx(&P, R0, s + 2 * MSS_TS, TH_ACK, 2048, O, fake_tcp_ts_opt(O, P.tsval, P.tsecr),
		    pat, 100);
	fake_mark(&H);
	fake_tcp_rx(&P, R0 + 100, s + MSS_TS, TH_ACK, 0, O, fake_tcp_ts_opt(O, P.tsval, P.tsecr),
		    pat + 100, 100);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rx_bytes, 100 });
	CHECK_EQ(pcb->snd_wnd, 2048u << 7);
	fake_mark(&H);
	CHECK_EQ(tcp_write(pcb, pat, MSS_TS), MSS_TS);
	CHECK_CNT(&H, TX(1), { AX_C_tcp_tx_bytes, MSS_TS });
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_ACK | TH_PSH, s + 2 * MSS_TS, R0 + 200, MSS_TS);
	stack_fini(&H.s);
}

/* RFC 9293 3.10.7.4: "If the RCV.WND is zero, no segments will be
 * acceptable, but special allowance should be made to accept valid ACKs".
 * Our receive buffer is full; the peer's next data segment (at RCV.NXT)
 * also acknowledges our data: its data is dropped and answered with an
 * ACK offering window 0, its ACK frees our send buffer.
 * BUG (fixed, tcp_in.c input): the whole segment was dropped, ACK
 * included: two peers with full buffers would wait on each other. */
TEST(zero_window_still_takes_acks)
{
	struct tcp_pcb *pcb;
	uint32_t s, k, full = AX_TCP_RCVWND_INIT;

	ESTABLISH(&tcp_cc_newreno, pcb, s);
	CHECK_EQ(tcp_write(pcb, pat, 1000), 1000);
	for (k = 0; k < full / 1024; k++)
		send_flags(k * 1024, 1024, TH_ACK);
	CHECK_EQ(pcb->rcv_nxt, R0 + full);
	CHECK_EQ(tcp_sndbuf(pcb), AX_TCP_SNDBUF - 1000);

	fake_mark(&H);
	A.writable = 0;
	fake_tcp_rx(&P, R0 + full, s + 1000, TH_ACK, 2048, O, fake_tcp_ts_opt(O, P.tsval, P.tsecr),
		    pat + full, 500);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_out_of_window, 1 });
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_ACK, s + 1000, R0 + full, 0);
	CHECK_EQ(V.win, 0);
	CHECK_EQ(pcb->snd_una, s + 1000);
	CHECK_EQ(tcp_sndbuf(pcb), AX_TCP_SNDBUF);
	CHECK_EQ(A.writable, 1);
	CHECK_EQ(pcb->rcv_nxt, R0 + full);
	stack_fini(&H.s);
}

/* RFC 7323 4.3: TS.Recent takes the TSval of a segment only once it is
 * found acceptable (the ACK checks included). An ACK for data never sent
 * is dropped (RFC 9293 3.10.7.4, RFC 5961 5.2), so its TSval - here a
 * forged one far ahead - must not become TS.Recent: the peer's real
 * segments that follow would fail PAWS and be dropped.
 * BUG (fixed, tcp_in.c input): TS.Recent was updated before the ACK
 * checks. */
TEST(ts_recent_only_from_acceptable_segments)
{
	struct tcp_pcb *pcb;
	uint32_t s;

	ESTABLISH(&tcp_cc_newreno, pcb, s);
	fake_tcp_rx(&P, R0, s + 5000, TH_ACK, 2048, O, fake_tcp_ts_opt(O, 0x40000000u, P.tsecr),
		    NULL, 0);
	CHECK_CNT(&H, RX(1), TX(1));
	CHECK_EQ(pcb->ts_recent, 100);

	fake_mark(&H);
	P.tsval = 101;
	send_flags(0, 100, TH_ACK | TH_PSH);
	CHECK_CNT(&H, RX(1), TX(1), { AX_C_tcp_rx_bytes, 100 });
	CHECK_EQ(pcb->ts_recent, 101);
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_ACK, s, R0 + 100, 0);
	CHECK_EQ(V.o.tsecr, 101);
	CHECK_EQ(tcp_read(pcb, rd, sizeof(rd)), 100);
	CHECK_MEM(rd, pat, 100);
	stack_fini(&H.s);
}

/* --- NewReno's recovery entry ------------------------------------------------- */

/* RFC 6582 3.2 step 2: three duplicate ACKs start fast retransmit only if
 * the cumulative ACK "covers more than recover". After a timeout recover
 * is the highest byte sent then; duplicates of an ACK exactly at recover
 * belong to that episode and start nothing. Once the ACK is past it,
 * three duplicates do.
 * BUG (fixed, tcp_in.c dup_ack): `ack == recover` entered fast
 * retransmit. */
TEST(newreno_no_fast_retransmit_at_recover)
{
	struct tcp_pcb *pcb;
	uint32_t s, m, rec, k;

	REQUIRE(setup() == 0);
	pcb = establish_plain();
	REQUIRE(pcb != NULL);
	m = pcb->mss;
	s = P.ack;
	CHECK_EQ(tcp_write(pcb, pat, 2 * m), 2 * m);
	fake_advance(&H, AX_TCP_RTO_INIT_MS);
	rec = s + 2 * m;
	CHECK_EQ(pcb->recover, rec);
	/* All of it acked: SND.UNA == recover. */
	ack_with(rec, 65535, 0);
	CHECK_EQ(pcb->snd_una, rec);
	CHECK_EQ(tcp_write(pcb, pat, 6 * m), 6 * m);

	fake_mark(&H);
	for (k = 0; k < 4; k++)
		ack_with(rec, 65535, 0);
	CHECK_EQ(H.s.cnt[AX_C_tcp_dupacks_rx] - H.mark[AX_C_tcp_dupacks_rx], 4);
	CHECK_EQ(H.s.cnt[AX_C_tcp_fast_retransmits] - H.mark[AX_C_tcp_fast_retransmits], 0);
	CHECK_EQ(pcb->in_recovery, 0);

	/* Past recover: three duplicates are a new loss. */
	ack_with(rec + m, 65535, 0);
	fake_mark(&H);
	for (k = 0; k < 3; k++)
		ack_with(rec + m, 65535, 0);
	CHECK_EQ(H.s.cnt[AX_C_tcp_fast_retransmits] - H.mark[AX_C_tcp_fast_retransmits], 1);
	CHECK_EQ(pcb->in_recovery, 1);
	stack_fini(&H.s);
}

TEST_MAIN(T(fin_after_gap_closes_the_connection), T(zero_window_dead_peer_times_out),
	  T(zero_window_probes_unanswered_give_up), T(cwnd_grows_only_when_used),
	  T(ssthresh_kept_on_consecutive_rtos), T(challenge_ack_budget_is_random),
	  T(window_update_ignores_older_ack), T(zero_window_still_takes_acks),
	  T(ts_recent_only_from_acceptable_segments), T(newreno_no_fast_retransmit_at_recover))
