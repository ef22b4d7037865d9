/*
 * test_tcp_cc.c - congestion avoidance (tcp_cc.c): NewReno's one MSS per
 * round trip (RFC 5681 3.1) and CUBIC's curve (RFC 9438): the reduction to
 * beta = 0.7, the concave climb back to W_max in about K seconds, the
 * convex probing beyond it, fast convergence, and the RTO reset.
 */
#include <math.h>
#include <stdio.h>

#include "testlib.h"
#include "net/stack.h"
#include "net/tcp_cc.h"
#include "net/tcp_priv.h"

#define MSS 1000u
#define RTT_MS 100u

static struct ax_stack S;
static struct tcp_pcb P;

static void setup(const struct tcp_cc_ops *cc, uint32_t cwnd_segs)
{
	memset(&P, 0, sizeof(P));
	S.now_ns = 1000ull * 1000000u;
	P.s = &S;
	P.mss = MSS;
	P.cc = cc;
	P.cwnd = cwnd_segs * MSS;
	P.ssthresh = P.cwnd; /* in congestion avoidance */
	P.srtt_us = RTT_MS * 1000u;
	P.snd_una = 1;
	P.snd_max = 1 + P.cwnd; /* a full window in flight */
}

/* One round trip: a window's worth of ACKs, one segment each. */
static void round_trip(void)
{
	uint32_t segs = P.cwnd / MSS, i;

	for (i = 0; i < segs; i++)
		P.cc->cong_avoid(&P, MSS);
	S.now_ns += RTT_MS * 1000000ull;
}

/* RFC 5681 3.1: about one MSS per RTT; ssthresh is half the flight. */
TEST(newreno_linear)
{
	setup(&tcp_cc_newreno, 100);
	round_trip();
	/* 100 ACKs of mss^2/cwnd bytes each: 10 for the first (cwnd is
	 * 100000), then 9: 901 bytes in all, about one MSS. */
	CHECK_EQ(P.cwnd, 100 * MSS + 901);
	CHECK_EQ(P.cc->ssthresh(&P), 50 * MSS);
	P.snd_max = P.snd_una + 3 * MSS; /* small flight: floor of 2 MSS */
	CHECK_EQ(P.cc->ssthresh(&P), 2 * MSS);
}

/* RFC 9438 4.6: ssthresh = 0.7 cwnd. 4.2: then cwnd follows
 * W_cubic(t) = C (t - K)^3 + W_max, K = cbrt(W_max (1 - beta) / C): concave
 * up to W_max (reached at t = K), flat around it, convex beyond. Checked
 * every half second for 2K against the formula, within 5%. */
TEST(cubic_follows_the_curve)
{
	double k = cbrt(100.0 * 0.3 / 0.4); /* 4.22 s */
	unsigned int r, checks = 0;
	uint32_t ss;

	setup(&tcp_cc_cubic, 100);
	ss = P.cc->ssthresh(&P);
	CHECK_EQ(ss, 70 * MSS);
	P.cwnd = ss;
	for (r = 1; r * RTT_MS <= (unsigned int)(2 * k * 1000); r++) {
		double t = r * RTT_MS / 1000.0;
		double w = 0.4 * pow(t - k, 3) + 100.0, got;

		round_trip();
		if (r % 5)
			continue;
		got = P.cwnd / (double)MSS;
		if (fabs(got - w) > 0.05 * w)
			printf("  t=%.1f s: cwnd %.1f, W_cubic %.1f\n", t, got, w);
		CHECK(fabs(got - w) <= 0.05 * w);
		checks++;
	}
	CHECK(checks >= 16);
	CHECK(P.cwnd > 125 * MSS); /* convex: well past W_max at 2K */
}

/* RFC 9438 4.7: a second loss below the previous W_max lowers W_max
 * further (fast convergence) so a newer flow gets room. */
TEST(cubic_fast_convergence)
{
	setup(&tcp_cc_cubic, 100);
	P.cwnd = P.cc->ssthresh(&P); /* W_max 100 */
	CHECK(fabs(P.cc_state.w_max - 100.0) < 0.01);
	P.cwnd = 80 * MSS;
	P.cc->ssthresh(&P);
	CHECK(fabs(P.cc_state.w_max - 80.0 * 1.7 / 2.0) < 0.01);
}

/* RFC 9438 4.3: with a short RTT and small windows CUBIC is at least as
 * fast as Reno would be (the Reno-friendly region). */
TEST(cubic_reno_friendly)
{
	uint32_t start;
	unsigned int i;

	setup(&tcp_cc_cubic, 10);
	P.cc->ssthresh(&P); /* W_max 10 */
	P.cwnd = 7 * MSS;
	start = P.cwnd;
	for (i = 0; i < 20; i++)
		round_trip();
	/* Reno-friendly: 3(1-b)/(1+b) ~ 0.53 segment per RTT at least. */
	CHECK(P.cwnd >= start + 10 * MSS * 53 / 100 - MSS);
}

/* RFC 9438 4.8: after an RTO the epoch starts over. */
TEST(cubic_rto_resets_epoch)
{
	setup(&tcp_cc_cubic, 50);
	round_trip();
	CHECK(P.cc_state.epoch_ms != 0);
	P.cc->on_rto(&P);
	CHECK_EQ(P.cc_state.epoch_ms, 0);
	CHECK(tcp_cc_find("cubic") == &tcp_cc_cubic);
	CHECK(tcp_cc_find("newreno") == &tcp_cc_newreno);
	CHECK(tcp_cc_find("bbr") == NULL);
}

/* RFC 9438 5.8: time spent application-limited (no growth asked for:
 * tcp_in.c grows cwnd only when the flight used it) is not counted in t.
 * After 10 s of it, a round trip grows cwnd as much as one right after
 * the last growth would have, instead of jumping by the +50% cap.
 * BUG (fixed, tcp_cc.c cubic_cong_avoid): the epoch ran on, so the first
 * round trip after a pause met a curve 10 s further on. */
TEST(cubic_app_limited_time_not_counted)
{
	uint32_t base, paused;

	setup(&tcp_cc_cubic, 100);
	P.cwnd = P.cc->ssthresh(&P); /* W_max 100, cwnd 70: K = 4.2 s */
	round_trip();
	round_trip();
	base = P.cwnd;
	round_trip();
	base = P.cwnd - base; /* growth in the next round trip */

	setup(&tcp_cc_cubic, 100);
	P.cwnd = P.cc->ssthresh(&P);
	round_trip();
	round_trip();
	paused = P.cwnd;
	S.now_ns += 10000ull * 1000000u; /* 10 s application-limited */
	round_trip();
	paused = P.cwnd - paused;
	CHECK(paused <= base + base / 10 + MSS);
	CHECK(paused >= base - base / 10);
}

/* cwnd is 32 bits: growth saturates at the largest window TCP can use
 * (2^30 bytes, RFC 7323 2.3) instead of wrapping, for both algorithms,
 * also from a value already past it, and also for CUBIC's convex region
 * with huge ACKs (a double step past 2^32 has no uint32_t).
 * BUG (fixed, tcp_cc.c): `cwnd += inc` wrapped a large cwnd to a few
 * hundred bytes. */
TEST(cwnd_never_wraps)
{
	static const uint32_t starts[] = { (1u << 30) - 10, 1u << 30, UINT32_MAX - 100 };
	const struct tcp_cc_ops *ccs[2] = { &tcp_cc_newreno, &tcp_cc_cubic };
	unsigned int c, i, k;

	for (c = 0; c < 2; c++) {
		for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
			setup(ccs[c], 10);
			P.cwnd = starts[i];
			P.ssthresh = 1000; /* congestion avoidance */
			for (k = 0; k < 50; k++) {
				P.cc->cong_avoid(&P, 1u << 26);
				S.now_ns += 50ull * 1000000u; /* within an RTT */
			}
			CHECK_EQ(P.cwnd, 1u << 30);
		}
	}
}

TEST_MAIN(T(newreno_linear), T(cubic_follows_the_curve), T(cubic_fast_convergence),
	  T(cubic_reno_friendly), T(cubic_rto_resets_epoch), T(cubic_app_limited_time_not_counted),
	  T(cwnd_never_wraps))
