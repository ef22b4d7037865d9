/*
 * test_tcp_persist_exit.c - what a long zero window leaves behind when it
 * opens (tcp.c rto_fired, tcp_in.c input's window update): the persist
 * timer's backoff is not the retransmission timer's (RFC 9293 3.8.6.1,
 * RFC 1122 4.2.2.17; Linux tcp_ack_probe clears icsk_backoff when the
 * window opens). After it, a lost segment gets an ordinary RTO, counts
 * against AX_TCP_MAX_RETRIES from zero, and sets ssthresh (RFC 5681 3.1).
 */
#include <stdint.h>

#include "fake_netif.h"
#include "testlib.h"
#include "tcp_check.h"
#include "tcp_helper.h"
#include "net/tcp_cc.h"

#define DELTA(c) (H.s.cnt[c] - H.mark[c])

/* NewReno: its ssthresh after a timeout is RFC 5681's eq. 4. */
static int setup(void)
{
	stream_fill();
	if (tcp_helper_host(PISN))
		return -1;
	H.s.tcp->cc = &tcp_cc_newreno;
	return tcp_helper_listen(16);
}

/*
 * The peer keeps its window shut through AX_TCP_MAX_RETRIES + 2 probes,
 * answering each, then opens it: two segments leave. The peer then goes
 * quiet (the segments were lost). The first RTO must resend them, at the
 * connection's own RTO (here AX_TCP_RTO_INIT_MS at most: no sample beyond
 * the handshake), not at the probes' backed-off 60 s; it must not drop the
 * connection as if AX_TCP_MAX_RETRIES retransmissions had failed; and it
 * sets ssthresh (RFC 5681 3.1: the first timeout of this data).
 * BUG (fixed, tcp_in.c): the probes' backoff stayed: the next RTO fired up
 * to AX_TCP_RTO_MAX_MS late, found backoff >= AX_TCP_MAX_RETRIES and reset
 * the connection (-ETIMEDOUT) at its first loss; ssthresh stayed at its
 * initial UINT32_MAX since backoff was not 0. And the user timeout counted
 * the probing time (since the first probe byte left) as unacknowledged
 * data: after 5 minutes of an answered zero window, the first RTO of the
 * data sent when it opened dropped the connection too.
 */
TEST(zero_window_open_resets_backoff)
{
	struct tcp_pcb *pcb;
	uint32_t s, interval = AX_TCP_RTO_INIT_MS, k;

	REQUIRE(setup() == 0);
	pcb = establish_full_win(0);
	REQUIRE(pcb != NULL);
	s = P.ack;
	CHECK_EQ(tcp_write(pcb, pat, 3000), 3000);
	CHECK_EQ(H.nif.n, 0);

	for (k = 1; k <= AX_TCP_MAX_RETRIES + 2; k++) {
		fake_mark(&H);
		fake_advance(&H, interval);
		REQUIRE(H.nif.n == 1);
		CHECK_SEG(0, TH_ACK, s, R0, 1);
		fake_mark(&H);
		ack_with(s, 0, V.o.tsval);
		CHECK_EQ(H.nif.n, 0);
		interval = interval * 2 > AX_TCP_RTO_MAX_MS ? AX_TCP_RTO_MAX_MS : interval * 2;
	}
	REQUIRE(conn() == pcb);

	/* It opens: two full segments from SND.UNA. */
	fake_mark(&H);
	ack_with(s, 2048, 0);
	REQUIRE(H.nif.n == 2);
	CHECK_SEG(0, TH_ACK, s, R0, MSS_TS);
	CHECK_EQ(pcb->ssthresh, UINT32_MAX);

	/* Both lost: the RTO resends the first, within the connection's own
	 * RTO, and the connection stays. */
	fake_mark(&H);
	fake_advance(&H, AX_TCP_RTO_INIT_MS);
	CHECK_EQ(A.closed, 0);
	REQUIRE(conn() == pcb);
	CHECK_EQ(pcb->state, TCP_ESTABLISHED);
	CHECK_EQ(DELTA(AX_C_tcp_rto_fired), 1);
	CHECK_EQ(DELTA(AX_C_tcp_timeouts), 0);
	REQUIRE(H.nif.n == 1);
	CHECK_SEG(0, TH_ACK, s, R0, MSS_TS);
	/* RFC 5681 3.1 eq. 4 (NewReno): max(FlightSize / 2, 2 SMSS). */
	CHECK_EQ(pcb->ssthresh, 2 * MSS_TS);
	CHECK_EQ(pcb->cwnd, MSS_TS);

	/* And it goes on retransmitting, backing off, as any connection. */
	fake_mark(&H);
	fake_advance(&H, 2 * AX_TCP_RTO_INIT_MS);
	CHECK_EQ(A.closed, 0);
	CHECK_EQ(H.nif.n, 1);
	stack_fini(&H.s);
}

TEST_MAIN(T(zero_window_open_resets_backoff))
