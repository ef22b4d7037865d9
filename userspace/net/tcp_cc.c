/*
 * tcp_cc.c - NewReno and CUBIC congestion avoidance (see tcp_cc.h).
 */
#include "tcp_cc.h"

#include <math.h>
#include <string.h>

#include "tcp_priv.h"

/* --- NewReno (RFC 5681 3.1) ------------------------------------------- */

static void reno_cong_avoid(struct tcp_pcb *pcb, uint32_t acked)
{
	uint32_t inc = (uint32_t)((uint64_t)pcb->mss * pcb->mss / pcb->cwnd);

	(void)acked;
	tcp_cwnd_add(pcb, inc ? inc : 1); /* about one MSS per round trip */
}

static uint32_t reno_ssthresh(struct tcp_pcb *pcb)
{
	uint32_t flight = pcb->snd_max - pcb->snd_una;

	/* RFC 5681 eq. (4). */
	return flight / 2 > 2u * pcb->mss ? flight / 2 : 2u * pcb->mss;
}

static void reno_on_rto(struct tcp_pcb *pcb)
{
	(void)pcb;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.cong_avoid = reno_cong_avoid,
	.ssthresh = reno_ssthresh,
	.on_rto = reno_on_rto,
};

/* --- CUBIC (RFC 9438) ----------------------------------------------------- */

#define CUBIC_C 0.4    /* RFC 9438 4.1 */
#define CUBIC_BETA 0.7 /* RFC 9438 4.6 */

static void cubic_cong_avoid(struct tcp_pcb *pcb, uint32_t acked)
{
	struct tcp_cc_state *c = &pcb->cc_state;
	double mss = pcb->mss, cwnd = pcb->cwnd / mss, t, target, rtt;
	uint64_t now = tcp_now_ms(pcb);

	/* RFC 9438 5.8: time the flow was application-limited or idle (no
	 * growth asked for a whole RTT: tcp_in.c grows cwnd only when it
	 * was used) is not part of t, or the curve would have run on
	 * meanwhile and cwnd jump when sending resumes (Linux shifts
	 * epoch_start the same way on CA_EVENT_TX_START). */
	{
		uint64_t rtt_ms = pcb->srtt_us ? pcb->srtt_us / 1000 : 100;

		/* Less the round trip the first ACK after the pause took. */
		if (c->epoch_ms && c->last_ms && now - c->last_ms > rtt_ms) {
			c->epoch_ms += now - c->last_ms - rtt_ms;
			if (c->epoch_ms > now)
				c->epoch_ms = now;
		}
	}
	c->last_ms = now;
	if (c->epoch_ms == 0) {
		/* A new congestion-avoidance epoch (RFC 9438 4.2). */
		c->epoch_ms = now;
		c->cwnd_epoch = cwnd;
		c->w_est = cwnd;
		if (c->w_max < cwnd) {
			c->w_max = cwnd; /* no loss yet: grow from here */
			c->k = 0;
		} else {
			c->k = cbrt((c->w_max - cwnd) / CUBIC_C);
		}
	}
	rtt = pcb->srtt_us ? pcb->srtt_us / 1e6 : 0.1;
	t = (double)(now - c->epoch_ms) / 1000.0;
	/* W_cubic(t + RTT) (RFC 9438 4.2, eq. 1), the target for the next
	 * round trip. */
	target = CUBIC_C * pow(t + rtt - c->k, 3) + c->w_max;
	if (target < cwnd)
		target = cwnd;
	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd; /* RFC 9438 4.2: at most +50% per RTT */
	/* Reno-friendly estimate (RFC 9438 4.3, eq. 4). */
	c->w_est += 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA) * (acked / mss) / cwnd;
	if (c->w_est > target) {
		target = c->w_est;
	}
	/* Grow by (target - cwnd) / cwnd segments per segment ACKed. */
	c->acked_bytes = c->acked_bytes + acked < acked ? UINT32_MAX : c->acked_bytes + acked;
	{
		double inc = (target - cwnd) / cwnd * (c->acked_bytes / mss);

		if (inc * mss >= 1.0) {
			/* Saturating: a double past 2^32 has no uint32_t. */
			double add = inc * mss;

			tcp_cwnd_add(pcb, add >= AX_TCP_CWND_MAX ? AX_TCP_CWND_MAX : (uint32_t)add);
			c->acked_bytes = 0;
		}
	}
}

static uint32_t cubic_ssthresh(struct tcp_pcb *pcb)
{
	struct tcp_cc_state *c = &pcb->cc_state;
	double cwnd = pcb->cwnd / (double)pcb->mss;
	uint32_t ss;

	/* Fast convergence (RFC 9438 4.7): give way to newer flows. */
	if (cwnd < c->w_last_max)
		c->w_last_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	else
		c->w_last_max = cwnd;
	c->w_max = c->w_last_max;
	c->epoch_ms = 0;
	ss = (uint32_t)(pcb->cwnd * CUBIC_BETA);
	return ss > 2u * pcb->mss ? ss : 2u * pcb->mss;
}

static void cubic_on_rto(struct tcp_pcb *pcb)
{
	struct tcp_cc_state *c = &pcb->cc_state;

	c->epoch_ms = 0; /* RFC 9438 4.8 */
	c->w_est = 0;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.cong_avoid = cubic_cong_avoid,
	.ssthresh = cubic_ssthresh,
	.on_rto = cubic_on_rto,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	if (strcmp(name, "cubic") == 0)
		return &tcp_cc_cubic;
	if (strcmp(name, "newreno") == 0 || strcmp(name, "reno") == 0)
		return &tcp_cc_newreno;
	return NULL;
}
