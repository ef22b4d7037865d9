/*
 * tcp_in.c - TCP segment arrival (RFC 9293 3.10.7): validation, option
 * parsing, the LISTEN and SYN-SENT cases, and for synchronized states the
 * sequence check, RST and SYN handling (with RFC 5961 challenge ACKs),
 * ACK processing (RTT, congestion control, fast retransmit), data with
 * out-of-order reassembly, and FIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "proto.h"
#include "stack.h"
#include "tcp_priv.h"
#include "tcp_sack.h"

int tcp_parse_opts(const uint8_t *hdr, size_t hlen, int syn, struct tcp_opts *o)
{
	size_t i = sizeof(struct tcp_hdr);

	memset(o, 0, sizeof(*o));
	while (i < hlen) {
		uint8_t kind = hdr[i], len;

		if (kind == 0) /* EOL */
			break;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			return -EINVAL;
		len = hdr[i + 1];
		if (len < 2 || i + len > hlen)
			return -EINVAL;
		switch (kind) {
		case 2: /* MSS, SYN only (RFC 9293 3.7.1) */
			if (len != 4)
				return -EINVAL;
			if (syn)
				o->mss = (uint16_t)(hdr[i + 2] << 8 | hdr[i + 3]);
			break;
		case 3: /* window scale, SYN only (RFC 7323 2.2) */
			if (len != 3)
				return -EINVAL;
			if (syn) {
				o->ws_ok = 1;
				/* RFC 7323 2.3: a shift over 14 is used as 14. */
				o->ws = hdr[i + 2] > 14 ? 14 : hdr[i + 2];
			}
			break;
		case 4: /* SACK permitted (RFC 2018 2) */
			if (len != 2)
				return -EINVAL;
			if (syn)
				o->sack_ok = 1;
			break;
		case 5: { /* SACK blocks */
			unsigned int nb, b;

			if (len < 10 || (len - 2) % 8)
				return -EINVAL;
			nb = (unsigned int)(len - 2) / 8;
			for (b = 0; b < nb && b < 4; b++) {
				const uint8_t *p = hdr + i + 2 + 8 * b;

				o->sack[b].start = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
						   (uint32_t)p[2] << 8 | p[3];
				o->sack[b].end = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
						 (uint32_t)p[6] << 8 | p[7];
			}
			o->nsack = (uint8_t)b;
			break;
		}
		case 8: /* timestamps (RFC 7323 3) */
			if (len != 10)
				return -EINVAL;
			o->ts_ok = 1;
			o->tsval = (uint32_t)hdr[i + 2] << 24 | (uint32_t)hdr[i + 3] << 16 |
				   (uint32_t)hdr[i + 4] << 8 | hdr[i + 5];
			o->tsecr = (uint32_t)hdr[i + 6] << 24 | (uint32_t)hdr[i + 7] << 16 |
				   (uint32_t)hdr[i + 8] << 8 | hdr[i + 9];
			break;
		default:
			break; /* unknown: skipped by its length */
		}
		i += len;
	}
	return 0;
}

/* Apply the options of a SYN (or SYN-ACK) to a new connection. */
static void take_syn_opts(struct tcp_pcb *pcb, const struct tcp_opts *o, int we_offered)
{
	/* the path's, RFC 1191 (IPv6's header is 20 bytes more) */
	uint16_t ours = (uint16_t)(pcb->pmtu - tcp_hdrs_len(&pcb->raddr));
	uint16_t theirs = o->mss ? o->mss : 536; /* RFC 9293 3.7.1 */

	if (pcb->user_mss && pcb->user_mss < ours)
		ours = pcb->user_mss; /* TCP_MAXSEG */

	if (theirs < 64)
		theirs = 64; /* a silly MSS must not make us spin */
	pcb->mss = theirs < ours ? theirs : ours;
	pcb->ws_ok = o->ws_ok && we_offered;
	pcb->snd_wscale = pcb->ws_ok ? o->ws : 0;
	pcb->rcv_wscale = pcb->ws_ok ? AX_TCP_RCV_WSCALE : 0;
	pcb->sack_ok = o->sack_ok && we_offered;
	pcb->ts_ok = o->ts_ok && we_offered;
	if (pcb->ts_ok) {
		pcb->ts_recent = o->tsval;
		pcb->mss -= 12; /* every segment carries the option */
	}
	pcb->cwnd = AX_TCP_INIT_CWND * pcb->mss;
}

/* RFC 6298 2.2-2.4: the RTO from the estimators, without backoff (the
 * initial one before any sample). */
static void rto_restore(struct tcp_pcb *pcb)
{
	uint32_t rto = pcb->srtt_us ? (pcb->srtt_us + 4 * pcb->rttvar_us) / 1000
				    : AX_TCP_RTO_INIT_MS;

	if (rto < AX_TCP_RTO_MIN_MS)
		rto = AX_TCP_RTO_MIN_MS;
	if (rto > AX_TCP_RTO_MAX_MS)
		rto = AX_TCP_RTO_MAX_MS;
	pcb->rto_ms = rto;
}

/* RFC 6298 2.2-2.3: a round-trip sample of r microseconds. */
static void rtt_sample(struct tcp_pcb *pcb, uint32_t r)
{
	if (r == 0)
		r = 1;
	if (pcb->min_rtt_us == 0 || r < pcb->min_rtt_us)
		pcb->min_rtt_us = r;
	if (pcb->srtt_us == 0) {
		pcb->srtt_us = r;
		pcb->rttvar_us = r / 2;
	} else {
		uint32_t delta = pcb->srtt_us > r ? pcb->srtt_us - r : r - pcb->srtt_us;

		pcb->rttvar_us = (3 * pcb->rttvar_us + delta) / 4;
		pcb->srtt_us = (7 * pcb->srtt_us + r) / 8;
	}
	rto_restore(pcb);
}

static void notify_readable(struct tcp_pcb *pcb)
{
	if (!(pcb->flags & TF_DETACHED) && pcb->cb && pcb->cb->readable)
		pcb->cb->readable(pcb->arg, pcb);
}

static void schedule_ack(struct tcp_pcb *pcb, int now)
{
	struct tcp_table *t = pcb->s->tcp;

	/* RFC 1122 4.2.3.2 / RFC 5681 4.2: at least every second full
	 * segment, within 500 ms (we use AX_TCP_DELACK_MS); at once for
	 * out-of-order data or while quick-acking a young connection. */
	if (now || pcb->quickacks || ++pcb->unacked_segs >= 2) {
		if (pcb->quickacks)
			pcb->quickacks--;
		pcb->flags |= TF_ACK_NOW;
	} else if (!timer_armed(&pcb->dack_t)) {
		timer_arm(&t->wheel, &pcb->dack_t, tcp_now_ms(pcb) + AX_TCP_DELACK_MS,
			  tcp_delack_fired);
	}
}

void tcp_delack_fired(struct ax_timer *tm)
{
	struct tcp_pcb *pcb = ax_container_of(tm, struct tcp_pcb, dack_t);

	stack_count(pcb->s, AX_C_tcp_delayed_acks);
	tcp_send_ack(pcb);
}

/* Remember [start, end) as held out of order; merge overlaps, most recent
 * first (RFC 2018 4: the first SACK block reports the newest data). */
static void ooo_add(struct tcp_pcb *pcb, uint32_t start, uint32_t end)
{
	unsigned int i, j;

	for (i = 0; i < pcb->n_ooo;) {
		if (SEQ_LEQ(start, pcb->ooo[i].end) && SEQ_GEQ(end, pcb->ooo[i].start)) {
			if (SEQ_LT(pcb->ooo[i].start, start))
				start = pcb->ooo[i].start;
			if (SEQ_GT(pcb->ooo[i].end, end))
				end = pcb->ooo[i].end;
			for (j = i; j + 1 < pcb->n_ooo; j++)
				pcb->ooo[j] = pcb->ooo[j + 1];
			pcb->n_ooo--;
		} else {
			i++;
		}
	}
	if (pcb->n_ooo == AX_TCP_MAX_OOO) {
		/* Full: forget the oldest range; its bytes will come again. */
		pcb->n_ooo--;
		stack_count(pcb->s, AX_C_tcp_ooo_dropped);
	}
	for (j = pcb->n_ooo; j > 0; j--)
		pcb->ooo[j] = pcb->ooo[j - 1];
	pcb->ooo[0].start = start;
	pcb->ooo[0].end = end;
	pcb->n_ooo++;
}

/* rcv_nxt moved: take in the out-of-order ranges it reached. */
static void ooo_advance(struct tcp_pcb *pcb)
{
	unsigned int i, j;
	int again = 1;

	while (again) {
		again = 0;
		for (i = 0; i < pcb->n_ooo; i++) {
			if (SEQ_GT(pcb->ooo[i].start, pcb->rcv_nxt))
				continue;
			if (SEQ_GT(pcb->ooo[i].end, pcb->rcv_nxt)) {
				uint32_t n = pcb->ooo[i].end - pcb->rcv_nxt;

				pcb->rcv.len += n;
				pcb->rcv_nxt += n;
				pcb->bytes_in += n;
				pcb->s->cnt[AX_C_tcp_rx_bytes] += n;
			}
			for (j = i; j + 1 < pcb->n_ooo; j++)
				pcb->ooo[j] = pcb->ooo[j + 1];
			pcb->n_ooo--;
			again = 1;
			break;
		}
	}
}

/* Data of an acceptable segment: seq..seq+len, already trimmed to the
 * window. Returns 1 when it was in order. */
static int take_data(struct tcp_pcb *pcb, uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (len == 0)
		return 1;
	pcb->last_data_rx_ms = tcp_now_ms(pcb);
	if (len > pcb->rcv_mss)
		pcb->rcv_mss = (uint16_t)(len < pcb->mss ? len : pcb->mss);
	if (seq == pcb->rcv_nxt) {
		ring_write_at(&pcb->rcv, seq, data, len);
		pcb->rcv.len += len;
		pcb->rcv_nxt += len;
		pcb->bytes_in += len;
		pcb->s->cnt[AX_C_tcp_rx_bytes] += len;
		if (pcb->n_ooo)
			ooo_advance(pcb);
		return 1;
	}
	ring_write_at(&pcb->rcv, seq, data, len);
	ooo_add(pcb, seq, seq + len);
	stack_count(pcb->s, AX_C_tcp_ooo_segs);
	return 0;
}

static void on_established(struct tcp_pcb *pcb)
{
	struct tcp_pcb *l = pcb->listener;

	if (tcp_pcb_rings(pcb) < 0) {
		/* No memory for its rings: the peer is told (RST), and so is
		 * our application if it opened this connection. */
		stack_count(pcb->s, AX_C_tcp_no_memory);
		if (!l && pcb->cb && pcb->cb->connected && !(pcb->flags & TF_DETACHED)) {
			pcb->flags |= TF_DETACHED;
			pcb->cb->connected(pcb->arg, pcb, -ENOMEM);
		}
		tcp_send_rst(pcb);
		pcb->flags |= TF_DETACHED;
		tcp_pcb_free(pcb, -ENOMEM);
		return;
	}
	tcp_set_state(pcb, TCP_ESTABLISHED);
	tcp_keepalive_start(pcb);
	if (l) {
		/* Hand it to the listener's application. */
		tcp_halfopen_del(pcb);
		pcb->flags |= TF_ACCEPTED;
		pcb->cb = NULL;
		if (l->cb && l->cb->accepted)
			l->cb->accepted(l->arg, pcb);
		if (!pcb->cb) {
			/* Nobody took it. */
			tcp_abort(pcb);
			return;
		}
	} else if (pcb->cb && pcb->cb->connected) {
		pcb->cb->connected(pcb->arg, pcb, 0);
	}
}

/*
 * RFC 9293 3.10.7.2, LISTEN, a segment that opens nothing: a RST is
 * ignored (it cannot answer anything of this incarnation); an ACK
 * (SYN-ACK included) belongs to no connection of ours and draws
 * <SEQ=SEG.ACK><CTL=RST>, within the limits of tcp_reset_noconn; a segment
 * with neither SYN nor ACK is dropped (RFC 9293: it "must have an ACK";
 * Linux drops it too). No connection is made and nobody is asked.
 */
static void listen_reject_nonsyn(struct ax_stack *s, const struct ip_rx *rx,
				 const struct tcp_hdr *th)
{
	if (th->flags & TH_RST)
		return;
	if (th->flags & TH_ACK)
		tcp_reset_noconn(s, &rx->src, &rx->dst, th, 0);
}

static void listen_input(struct ax_stack *s, struct tcp_pcb *l, const struct ip_rx *rx,
			 const struct tcp_hdr *th, const uint8_t *seg, size_t hlen)
{
	struct tcp_opts o;
	struct tcp_pcb *pcb;

	if ((th->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN) {
		listen_reject_nonsyn(s, rx, th);
		return;
	}
	if (tcp_syncookie_wanted(s, l)) {
		tcp_syncookie_syn(s, l, rx, th, seg, hlen);
		return;
	}
	if (l->pending >= l->backlog) {
		/*
		 * SYN flood survival: a full half-open queue makes room by
		 * dropping its oldest entry (Linux's behaviour with
		 * syncookies off). A real client completes its handshake in
		 * one round trip, long before a flood pushes it out; a
		 * spoofed entry would never complete anyway.
		 */
		struct tcp_pcb *old = l->hq_head;

		if (!old) {
			stack_count(s, AX_C_tcp_backlog_drops);
			return;
		}
		old->flags |= TF_DETACHED;
		tcp_pcb_free(old, 0);
		stack_count(s, AX_C_tcp_syn_evicted);
	}
	if (tcp_parse_opts(seg, hlen, 1, &o) < 0) {
		stack_count(s, AX_C_tcp_bad_opts);
		return;
	}
	pcb = tcp_pcb_new(s, &rx->dst, &rx->src, l->lport, ntohs(th->sport));
	if (!pcb) {
		stack_count(s, AX_C_tcp_no_memory);
		return;
	}
	tcp_inherit(pcb, l);
	tcp_halfopen_add(l, pcb);
	pcb->irs = ntohl(th->seq);
	pcb->rcv_nxt = pcb->irs + 1;
	pcb->rcv.head = pcb->rcv_nxt;
	pcb->rcv_adv = pcb->rcv_nxt; /* nothing offered yet: see send_segment */
	pcb->iss = tcp_isn(s, pcb);
	pcb->snd_una = pcb->snd_nxt = pcb->snd_max = pcb->iss;
	pcb->recover = pcb->iss; /* RFC 6582 3.2 step 1 */
	pcb->snd.head = pcb->iss + 1;
	pcb->snd_wnd = ntohs(th->win); /* never scaled in a SYN */
	pcb->max_snd_wnd = pcb->snd_wnd;
	pcb->snd_wl1 = pcb->irs;
	pcb->snd_wl2 = pcb->iss;
	tcp_set_state(pcb, TCP_SYN_RECEIVED);
	take_syn_opts(pcb, &o, 1);
	stack_count(s, AX_C_tcp_passive_opens);
	switch (tcp_admit_request(pcb, 1)) {
	case 0:
		break;
	case -EINPROGRESS:
		return; /* the SYN-ACK waits for the commit (tcp_admit_done) */
	default:
		/* Denied: no SYN-ACK, no RST; the peer's connect times out
		 * and learns nothing about what is here. */
		pcb->flags |= TF_DETACHED;
		tcp_pcb_free(pcb, 0);
		return;
	}
	tcp_send_syn(pcb);
	tcp_arm_rto(pcb);
}

static void syn_sent_input(struct tcp_pcb *pcb, const struct tcp_hdr *th,
			   const uint8_t *seg, size_t hlen)
{
	struct ax_stack *s = pcb->s;
	uint32_t seq = ntohl(th->seq), ack = ntohl(th->ack);
	struct tcp_opts o;

	if ((th->flags & TH_ACK) && (SEQ_LEQ(ack, pcb->iss) || SEQ_GT(ack, pcb->snd_max))) {
		if (!(th->flags & TH_RST))
			tcp_reset_reply(s, &pcb->raddr, &pcb->laddr, th, 0);
		return;
	}
	if (th->flags & TH_RST) {
		if (!(th->flags & TH_ACK))
			return;
		stack_count(s, AX_C_tcp_conn_refused);
		if (pcb->cb && pcb->cb->connected && !(pcb->flags & TF_DETACHED)) {
			pcb->flags |= TF_DETACHED;
			pcb->cb->connected(pcb->arg, pcb, -ECONNREFUSED);
		}
		tcp_pcb_free(pcb, -ECONNREFUSED);
		return;
	}
	if (!(th->flags & TH_SYN))
		return;
	if (tcp_parse_opts(seg, hlen, 1, &o) < 0) {
		stack_count(s, AX_C_tcp_bad_opts);
		return;
	}
	pcb->irs = seq;
	pcb->rcv_nxt = seq + 1;
	pcb->rcv.head = pcb->rcv_nxt;
	pcb->rcv_adv = pcb->rcv_nxt; /* nothing offered yet: see send_segment */
	take_syn_opts(pcb, &o, 1);
	pcb->snd_wnd = ntohs(th->win);
	pcb->max_snd_wnd = pcb->snd_wnd;
	pcb->snd_wl1 = seq;
	pcb->snd_wl2 = ack;
	if (th->flags & TH_ACK) {
		pcb->snd_una = ack;
		pcb->backoff = 0;
		timer_cancel(&s->tcp->wheel, &pcb->rto_t);
		stack_count(s, AX_C_tcp_active_opens);
		tcp_send_ack(pcb);
		on_established(pcb);
	} else {
		/* Simultaneous open (RFC 9293 3.5, figure 8). */
		tcp_set_state(pcb, TCP_SYN_RECEIVED);
		tcp_send_syn(pcb);
	}
}

/* RFC 9293 3.10.7.4, first check: is the segment in the window? */
static uint32_t rcv_wnd(const struct tcp_pcb *pcb)
{
	uint32_t wnd = SEQ_GT(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;

	if (wnd < tcp_rcv_space(pcb) && pcb->state == TCP_SYN_RECEIVED)
		wnd = tcp_rcv_space(pcb); /* nothing advertised since the SYN-ACK */
	return wnd;
}

static int acceptable(const struct tcp_pcb *pcb, uint32_t seq, uint32_t seglen)
{
	uint32_t wnd = rcv_wnd(pcb);

	if (seglen == 0) {
		if (wnd == 0)
			return seq == pcb->rcv_nxt;
		return SEQ_LEQ(pcb->rcv_nxt, seq) && SEQ_LT(seq, pcb->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return 0;
	return (SEQ_LEQ(pcb->rcv_nxt, seq) && SEQ_LT(seq, pcb->rcv_nxt + wnd)) ||
	       (SEQ_LEQ(pcb->rcv_nxt, seq + seglen - 1) &&
		SEQ_LT(seq + seglen - 1, pcb->rcv_nxt + wnd));
}

static void challenge_ack(struct tcp_pcb *pcb)
{
	/* RFC 5961 3.2, 4.2, 5.2; and 7: rate-limited per connection and
	 * stack-wide (tcp.c), so that spoofed segments cannot make us flood
	 * the wire nor, by counting, learn about other connections. */
	if (!tcp_challenge_ack_allowed(pcb))
		return;
	stack_count(pcb->s, AX_C_tcp_challenge_acks);
	tcp_send_ack(pcb);
}

/* ACK of new data: bytes acked, window, RTT, congestion window. */
static void new_ack(struct tcp_pcb *pcb, uint32_t ack, const struct tcp_opts *o)
{
	uint32_t acked = ack - pcb->snd_una;
	uint32_t data_acked;

	/* Bytes of the ring acked: not the SYN, not the FIN. */
	{
		uint32_t from = SEQ_GT(pcb->snd_una, pcb->snd.head) ? pcb->snd_una : pcb->snd.head;
		uint32_t to = ack;
		uint32_t end = pcb->snd.head + pcb->snd.len;

		if (SEQ_GT(to, end))
			to = end;
		data_acked = SEQ_GT(to, from) ? to - from : 0;
		ring_consume(&pcb->snd, data_acked);
	}
	pcb->snd_una = ack;
	pcb->bytes_acked += data_acked;
	tcp_sack_acked(pcb, ack);
	pcb->una_since_ms = tcp_now_ms(pcb); /* the user timeout restarts */
	if (SEQ_LT(pcb->snd_nxt, pcb->snd_una))
		pcb->snd_nxt = pcb->snd_una;
	pcb->backoff = 0;

	/* RTT: from the timestamp echo (RFC 7323 4), else Karn's timed
	 * segment (RFC 6298 3). */
	if (pcb->ts_ok && o->ts_ok && o->tsecr) {
		uint32_t r = (uint32_t)tcp_now_ms(pcb) - o->tsecr;

		if (r < 60000)
			rtt_sample(pcb, r * 1000);
		pcb->rtt_timing = 0;
	} else if (pcb->rtt_timing && SEQ_GT(ack, pcb->rtt_seq)) {
		rtt_sample(pcb, (uint32_t)(tcp_now_ms(pcb) - pcb->rtt_start_ms) * 1000);
		pcb->rtt_timing = 0;
	}

	/* Congestion control: SACK recovery (RFC 6675) or NewReno (RFC
	 * 5681, RFC 6582). */
	if (pcb->in_recovery) {
		if (SEQ_GEQ(ack, pcb->recover)) {
			pcb->in_recovery = 0;
			pcb->cwnd = pcb->ssthresh; /* full ACK: deflate */
		} else if (pcb->sack_ok) {
			/* Partial ACK: cwnd stays; tcp_output sends the
			 * holes as pipe allows (RFC 6675 5 step C). */
			tcp_arm_rto(pcb);
		} else {
			/* Partial ACK: the next hole is lost too. */
			tcp_retransmit_first(pcb);
			pcb->cwnd = pcb->cwnd > acked ? pcb->cwnd - acked + pcb->mss : pcb->mss;
			tcp_arm_rto(pcb);
		}
	} else if (!tcp_is_cwnd_limited(pcb)) {
		/* The application (or the peer's window), not cwnd, limited
		 * what was in flight: an ACK then says nothing about how much
		 * more the path takes, so cwnd does not grow (RFC 7661,
		 * Linux tcp_is_cwnd_limited). It used to grow by every ACK of
		 * a trickle, without bound, until it wrapped. */
	} else if (pcb->cwnd < pcb->ssthresh) {
		/* Slow start, appropriate byte counting (RFC 3465, L=2). */
		tcp_cwnd_add(pcb, acked < 2u * pcb->mss ? acked : 2u * pcb->mss);
	} else {
		pcb->cc->cong_avoid(pcb, acked);
	}
	pcb->dupacks = 0;
	/* Out of recovery, keep `recover` just below SND.UNA: dup_ack asks
	 * SEG.ACK > recover (RFC 6582 3.2), which must keep its meaning
	 * after 2^31 bytes without a loss. */
	if (!pcb->in_recovery && SEQ_GT(ack - 1, pcb->recover))
		pcb->recover = ack - 1;

	if (pcb->snd_una == pcb->snd_max)
		timer_cancel(&pcb->s->tcp->wheel, &pcb->rto_t);
	else
		tcp_arm_rto(pcb); /* RFC 6298 5.3 */

	if (data_acked && !(pcb->flags & TF_DETACHED) && pcb->cb && pcb->cb->writable)
		pcb->cb->writable(pcb->arg, pcb);
}

/* A duplicate ACK: the classic kind (RFC 5681 2), or, with SACK, one
 * that SACKs new data (RFC 6675 2). */
static void dup_ack(struct tcp_pcb *pcb)
{
	stack_count(pcb->s, AX_C_tcp_dupacks_rx);
	if (pcb->in_recovery) {
		if (!pcb->sack_ok)
			tcp_cwnd_add(pcb, pcb->mss); /* inflate (RFC 5681 3.2 step 4) */
		return;
	}
	if (pcb->dupacks < 255)
		pcb->dupacks++;
	/* Below DupThresh, limited transmit (RFC 3042, in tcp_output) sends
	 * new data; with SACK, enough SACKed above SND.UNA also starts
	 * recovery (RFC 6675 5 step 2). */
	if (pcb->dupacks < 3 && !(pcb->sack_ok && tcp_sack_is_lost(pcb, pcb->snd_una)))
		return;
	if (pcb->dupacks > 3)
		return; /* recovery already ran for this loss */
	/* Fast retransmit (RFC 5681 3.2; RFC 6582 3.2 step 2: only when the
	 * cumulative ACK "covers more than recover", i.e. is greater: one at
	 * recover still belongs to the last recovery's window. With SACK,
	 * RFC 6675 5.1: not "until HighACK is greater than or equal to" it).
	 * new_ack keeps recover just below SND.UNA meanwhile, so the
	 * comparison holds across 2^31 bytes without loss. */
	if (pcb->sack_ok ? SEQ_LT(pcb->snd_una, pcb->recover)
			 : !SEQ_GT(pcb->snd_una, pcb->recover))
		return;
	pcb->dupacks = 3;
	pcb->ssthresh = pcb->cc->ssthresh(pcb);
	pcb->recover = pcb->snd_max;
	pcb->in_recovery = 1;
	stack_count(pcb->s, AX_C_tcp_fast_retransmits);
	if (pcb->sack_ok) {
		/* RFC 6675 5 steps 4.1-4.3: cwnd = ssthresh, resend the
		 * first segment now, then pipe decides (tcp_output). */
		stack_count(pcb->s, AX_C_tcp_sack_recoveries);
		pcb->cwnd = pcb->ssthresh;
		pcb->high_rxt = pcb->snd_una;
		tcp_retransmit_first(pcb);
	} else {
		tcp_retransmit_first(pcb);
		pcb->cwnd = pcb->ssthresh;
		tcp_cwnd_add(pcb, 3u * pcb->mss);
	}
	tcp_arm_rto(pcb);
}

static void fin_acked(struct tcp_pcb *pcb)
{
	switch (pcb->state) {
	case TCP_FIN_WAIT_1:
		tcp_set_state(pcb, TCP_FIN_WAIT_2);
		/* An orphan does not wait forever for the peer's FIN. */
		if (pcb->flags & TF_DETACHED)
			tcp_arm_misc(pcb, AX_TCP_FIN_WAIT2_MS);
		break;
	case TCP_CLOSING:
		tcp_enter_time_wait(pcb);
		break;
	case TCP_LAST_ACK:
		/* RFC 9293 3.10.7.8: our FIN acknowledged, the TCB goes. But
		 * an application still attached may not have read what came
		 * before the peer's FIN (it shut down its side first): as in
		 * TIME_WAIT (tcp_enter_time_wait), the connection and its
		 * rings stay for it until it reads to the end and closes.
		 * Freed here, the rings went with the data in them, and a
		 * recv in progress saw the end of stream early (Linux keeps
		 * the receive queue of a socket in CLOSE until close()). */
		if (!(pcb->flags & TF_DETACHED) && pcb->rcv.len)
			tcp_enter_time_wait(pcb);
		else
			tcp_pcb_free(pcb, 0);
		break;
	default:
		break;
	}
}

static void input(struct ax_stack *s, const struct ip_rx *rx);

void tcp_input(struct ax_stack *s, const struct ip_rx *rx)
{
	input(s, rx);
	tcp_reap(s);
}

static void input(struct ax_stack *s, const struct ip_rx *rx)
{
	const struct ip_addr *src = &rx->src, *dst = &rx->dst;
	const uint8_t *seg = rx->l4;
	size_t len = rx->l4_len;
	struct tcp_hdr th;
	struct tcp_opts o;
	struct tcp_pcb *pcb;
	size_t hlen;
	uint32_t seq, ack, datalen, seglen, win;
	const uint8_t *data;
	int in_order, handshake_ack, sack_new, fin, drop_text = 0;

	stack_count(s, AX_C_tcp_rx);
	if (len < sizeof(th)) {
		stack_count(s, AX_C_tcp_malformed);
		return;
	}
	memcpy(&th, seg, sizeof(th));
	hlen = (size_t)(th.off >> 4) * 4;
	if (hlen < sizeof(th) || hlen > len) {
		stack_count(s, AX_C_tcp_malformed);
		return;
	}
	if (ip_l4_csum(src, dst, IP_PROTO_TCP, seg, len) != 0) {
		stack_count(s, AX_C_tcp_bad_csum);
		return;
	}
	if (!s->tcp)
		return;
	seq = ntohl(th.seq);
	ack = ntohl(th.ack);
	win = ntohs(th.win);
	data = seg + hlen;
	datalen = (uint32_t)(len - hlen);

	pcb = tcp_lookup(s, dst, ntohs(th.dport), src, ntohs(th.sport));
	/* An ACK that returns a valid SYN cookie makes its connection here
	 * (tcp_cookie.c), which takes it below as its handshake's ACK. */
	if (!pcb && tcp_syncookie_ack(s, rx, &th, seg, hlen, &pcb) && !pcb)
		return;
	if (!pcb) {
		struct tcp_pcb *l =
			tcp_select_listener(s, dst, ntohs(th.dport), src, ntohs(th.sport));

		if (l) {
			listen_input(s, l, rx, &th, seg, hlen);
		} else {
			stack_count(s, AX_C_tcp_no_port);
			tcp_reset_noconn(s, src, dst, &th, datalen);
		}
		return;
	}
	pcb->segs_in++;
	/* Waiting for its authorization, a connection says nothing: no ACK,
	 * no SYN-ACK, not even to a SYN of the peer's, or the peer would
	 * learn the port is served (or, outbound, get a connection nobody
	 * authorized). Only an exact RST ends it. */
	if (pcb->flags & TF_AUTH_PENDING) {
		/* (Past data held unacknowledged, the peer's next sequence
		 * number is its exact RST's, RFC 5961 3.2.) */
		if ((th.flags & TH_RST) && pcb->state == TCP_SYN_RECEIVED &&
		    (seq == pcb->rcv_nxt || seq == pcb->rcv_nxt + pcb->held_len + pcb->held_fin)) {
			stack_count(s, AX_C_tcp_rst_rx);
			tcp_pcb_free(pcb, 0);
		} else if (pcb->flags & TF_COOKIE) {
			/* Its peer is connected and may send: kept, unacked. */
			tcp_syncookie_hold(pcb, &th, seg, hlen, len);
		}
		return;
	}
	if (pcb->state == TCP_SYN_SENT) {
		syn_sent_input(pcb, &th, seg, hlen);
		return;
	}
	if (tcp_parse_opts(seg, hlen, !!(th.flags & TH_SYN), &o) < 0) {
		stack_count(s, AX_C_tcp_bad_opts);
		return;
	}

	seglen = datalen + !!(th.flags & TH_SYN) + !!(th.flags & TH_FIN);

	/* A SYN for a tuple in TIME_WAIT opens a new incarnation when it
	 * cannot be taken for part of the old one (RFC 9293 3.6.1, RFC 6191):
	 * its timestamp is newer than the last seen, or, without timestamps
	 * on both, its ISN is above what we received. The old one goes and
	 * the listener takes the SYN; otherwise it is an old duplicate and
	 * the checks below answer it with an ACK. */
	if (pcb->state == TCP_TIME_WAIT && (th.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		struct tcp_pcb *l =
			tcp_select_listener(s, dst, ntohs(th.dport), src, ntohs(th.sport));
		int newer = pcb->ts_ok && o.ts_ok ? (int32_t)(o.tsval - pcb->ts_recent) > 0
						  : SEQ_GT(seq, pcb->rcv_nxt);

		if (newer && l) {
			stack_count(s, AX_C_tcp_time_wait_reused);
			tcp_pcb_free(pcb, 0);
			listen_input(s, l, rx, &th, seg, hlen);
			return;
		}
	}

	/* PAWS (RFC 7323 5.3): an old timestamp marks an old duplicate. */
	if (pcb->ts_ok && o.ts_ok && !(th.flags & TH_RST) &&
	    (int32_t)(o.tsval - pcb->ts_recent) < 0) {
		stack_count(s, AX_C_tcp_paws_drops);
		tcp_send_ack(pcb);
		return;
	}

	/* In SYN-RECEIVED, a retransmitted SYN (our SYN-ACK was lost) gets
	 * the SYN-ACK again. The sequence check would answer it with a bare
	 * ACK, which a peer in SYN-SENT drops (RFC 9293 3.10.7.3). */
	if (pcb->state == TCP_SYN_RECEIVED && seq == pcb->irs &&
	    (th.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		if (!(pcb->flags & TF_AUTH_PENDING))
			tcp_send_syn(pcb);
		return;
	}

	if (!acceptable(pcb, seq, seglen)) {
		stack_count(s, AX_C_tcp_out_of_window);
		/* RFC 9293 3.10.7.4: "If the RCV.WND is zero, no segments
		 * will be acceptable, but special allowance should be made
		 * to accept valid ACKs, URGs, and RSTs": a segment at
		 * RCV.NXT loses its data and FIN (answered with an ACK
		 * below), not its ACK, which may be the one that frees our
		 * send window (two peers both with full windows would
		 * otherwise deadlock). Linux does the same. */
		if (seq != pcb->rcv_nxt || rcv_wnd(pcb) != 0 || (th.flags & TH_SYN)) {
			if (!(th.flags & TH_RST))
				tcp_send_ack(pcb);
			return;
		}
		/* A bare FIN is taken even so (as Linux does): it needs no
		 * buffer. */
		drop_text = datalen != 0;
		pcb->flags |= TF_ACK_NOW;
	}

	/* The peer is alive: keepalive starts its idle time over; the
	 * zero-window probes it answered do not count against it. */
	pcb->last_rx_ms = tcp_now_ms(pcb);
	pcb->ka_sent = 0;
	pcb->probes_out = 0;

	/* RST (RFC 5961 3.2): only an exact match resets. */
	if (th.flags & TH_RST) {
		if (seq != pcb->rcv_nxt) {
			challenge_ack(pcb);
			return;
		}
		stack_count(s, AX_C_tcp_rst_rx);
		/* The error as Linux's tcp_reset gives it: EPIPE in
		 * CLOSE_WAIT (the peer's FIN already ended its stream),
		 * ECONNRESET in the other synchronized states. */
		if (pcb->state == TCP_SYN_RECEIVED && pcb->listener)
			tcp_pcb_free(pcb, 0);
		else
			tcp_pcb_free(pcb, pcb->state == TCP_CLOSE_WAIT ? -EPIPE : -ECONNRESET);
		return;
	}

	/* A SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
	if (th.flags & TH_SYN) {
		challenge_ack(pcb);
		return;
	}
	if (!(th.flags & TH_ACK))
		return;

	handshake_ack = pcb->state == TCP_SYN_RECEIVED;
	if (pcb->state == TCP_SYN_RECEIVED) {
		if (SEQ_LEQ(ack, pcb->snd_una) || SEQ_GT(ack, pcb->snd_max)) {
			tcp_reset_reply(s, src, dst, &th, datalen);
			return;
		}
		pcb->snd_wnd = win << pcb->snd_wscale;
		pcb->max_snd_wnd = pcb->snd_wnd;
		pcb->snd_wl1 = seq;
		pcb->snd_wl2 = ack;
		pcb->snd_una = ack;
		pcb->backoff = 0;
		timer_cancel(&s->tcp->wheel, &pcb->rto_t);
		on_established(pcb);
		if (pcb->state == TCP_CLOSED)
			return; /* aborted: nobody accepted it (freed at reap) */
	}

	/* RFC 5961 5.2: an ACK for data never sent is answered, not used;
	 * one from too far back is challenged. */
	if (SEQ_GT(ack, pcb->snd_max)) {
		tcp_send_ack(pcb);
		return;
	}
	if (SEQ_LT(ack, pcb->snd_una - pcb->max_snd_wnd)) {
		challenge_ack(pcb);
		return;
	}

	/* Timestamps: remember the newest TSval (RFC 7323 4.3), only from
	 * a segment found acceptable, ACK checks included (a segment
	 * dropped above must not move TS.Recent: a forged one with a huge
	 * TSval would make PAWS drop everything the peer sends after), and
	 * with SEG.SEQ <= Last.ACK.sent. PAWS above saw TSval >= TS.Recent. */
	if (pcb->ts_ok && o.ts_ok && SEQ_LEQ(seq, pcb->last_ack_sent))
		pcb->ts_recent = o.tsval;

	sack_new = tcp_sack_update(pcb, &o, ack);
	if (SEQ_GT(ack, pcb->snd_una)) {
		new_ack(pcb, ack, &o);
		if (pcb->state == TCP_CLOSED)
			return; /* the writable callback aborted it */
	} else if (!handshake_ack && ack == pcb->snd_una && pcb->snd_max != pcb->snd_una &&
		   (sack_new || (datalen == 0 && !(th.flags & TH_FIN) && o.nsack == 0 &&
				 (win << pcb->snd_wscale) == pcb->snd_wnd && pcb->snd_wnd))) {
		/* (Not the answers to zero-window probes: no loss there.
		 * An ACK with SACK blocks counts only when they are news: a
		 * D-SACK for a duplicated segment is no sign of loss.) */
		dup_ack(pcb);
	}
	/* Window update (RFC 9293 3.10.7.4, fifth check): "If SND.UNA =<
	 * SEG.ACK =< SND.NXT, the send window should be updated"; an older
	 * ACK (a reordered segment) carries an older window. */
	if (SEQ_LEQ(pcb->snd_una, ack) &&
	    (SEQ_LT(pcb->snd_wl1, seq) ||
	     (pcb->snd_wl1 == seq && SEQ_LEQ(pcb->snd_wl2, ack)))) {
		/* A zero window opens while the probe byte is out, not
		 * accepted: send from SND.UNA again, or that byte is a hole
		 * only a (backed-off) RTO would fill. */
		if (pcb->snd_wnd == 0 && win && pcb->snd.len && pcb->snd_max - pcb->snd_una == 1)
			pcb->snd_nxt = pcb->snd_una;
		/* The window opens after probing: the probes' backoff is the
		 * persist timer's, not a retransmission's (Linux
		 * tcp_ack_probe clears icsk_backoff). Kept, the next RTO of
		 * real data would fire up to AX_TCP_RTO_MAX_MS late, find
		 * backoff past AX_TCP_MAX_RETRIES and drop the connection at
		 * its first loss, and leave ssthresh unset (rto_fired sets it
		 * at backoff 0 only). Nor is the time spent probing data
		 * left unacknowledged: the user timeout of what goes now
		 * starts now (the probes answered had their own). */
		if (pcb->snd_wnd == 0 && win && pcb->backoff && pcb->snd.len &&
		    pcb->snd_max - pcb->snd_una <= 1) {
			pcb->backoff = 0;
			pcb->probes_out = 0;
			pcb->una_since_ms = tcp_now_ms(pcb);
			rto_restore(pcb);
			tcp_arm_rto(pcb);
		}
		pcb->snd_wnd = win << pcb->snd_wscale;
		if (pcb->snd_wnd > pcb->max_snd_wnd)
			pcb->max_snd_wnd = pcb->snd_wnd;
		pcb->snd_wl1 = seq;
		pcb->snd_wl2 = ack;
	}
	if ((pcb->flags & TF_FIN_QUEUED) && SEQ_GT(pcb->snd_una, pcb->fin_seq)) {
		fin_acked(pcb);
		/* LAST_ACK freed it; CLOSING went to TIME_WAIT. */
		if (pcb->state == TCP_CLOSED)
			return;
	}
	if (pcb->state == TCP_TIME_WAIT) {
		/* A retransmitted FIN: ACK it and restart 2MSL (RFC 9293
		 * 3.10.7.4). */
		if (th.flags & TH_FIN) {
			tcp_send_ack(pcb);
			tcp_arm_misc(pcb, s->tcp->time_wait_ms);
		}
		return;
	}

	/* Data, in the states that still receive. */
	in_order = 1;
	fin = !drop_text && (th.flags & TH_FIN) && !(pcb->flags & TF_RCVD_FIN);
	if (datalen && !drop_text &&
	    (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_FIN_WAIT_1 ||
	     pcb->state == TCP_FIN_WAIT_2)) {
		uint32_t skip = SEQ_LT(seq, pcb->rcv_nxt) ? pcb->rcv_nxt - seq : 0;
		/* The buffer's end, never before the window's edge (both
		 * only move forward): the rest of the ring is not offered. */
		uint32_t right = pcb->rcv.head + pcb->rcv_buf;
		uint32_t n = datalen - skip;

		if (skip >= datalen || SEQ_GEQ(seq + skip, right)) {
			n = 0; /* old, or past our buffer */
			fin = fin && skip >= datalen;
		} else if (SEQ_GT(seq + skip + n, right)) {
			n = right - (seq + skip); /* beyond our buffer */
			fin = 0; /* and so is the FIN */
		}
		if (n)
			in_order = take_data(pcb, seq + skip, data + skip, n);
		if (n && in_order)
			notify_readable(pcb);
		if (pcb->state == TCP_CLOSED)
			return;
		/* RFC 5681 4.2: out-of-order data gets an immediate duplicate
		 * ACK, and a bare one: riding on our data it would not count
		 * as a duplicate at the sender (RFC 5681 2). */
		if (!in_order)
			tcp_send_ack(pcb);
		else
			schedule_ack(pcb, pcb->n_ooo || skip);
	}

	/* RFC 9293 3.10.7.4, eighth step: the FIN counts when RCV.NXT
	 * reaches it. One ahead of a gap is remembered with the
	 * out-of-order data and taken when the gap fills (here or with a
	 * later segment), or the ACK would stop a byte short of it and the
	 * state stay ESTABLISHED until the peer sent it again. */
	if (fin && SEQ_GT(seq + datalen, pcb->rcv_nxt)) {
		pcb->ooo_fin = 1;
		pcb->ooo_fin_seq = seq + datalen;
	}
	if (pcb->ooo_fin && SEQ_GT(pcb->rcv_nxt, pcb->ooo_fin_seq))
		pcb->ooo_fin = 0; /* data past a FIN: that FIN was bogus */
	if ((fin && seq + datalen == pcb->rcv_nxt) ||
	    (pcb->ooo_fin && pcb->ooo_fin_seq == pcb->rcv_nxt && !(pcb->flags & TF_RCVD_FIN) &&
	     (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_FIN_WAIT_1 ||
	      pcb->state == TCP_FIN_WAIT_2))) {
		pcb->ooo_fin = 0;
		pcb->rcv_nxt++;
		pcb->flags |= TF_RCVD_FIN;
		pcb->flags |= TF_ACK_NOW;
		switch (pcb->state) {
		case TCP_ESTABLISHED:
			tcp_set_state(pcb, TCP_CLOSE_WAIT);
			break;
		case TCP_FIN_WAIT_1:
			tcp_set_state(pcb, TCP_CLOSING);
			break;
		case TCP_FIN_WAIT_2:
			tcp_send_ack(pcb);
			tcp_enter_time_wait(pcb);
			/* tcp.h: the FIN is readable (tcp_read returns 0); the
			 * application learns of the end from nothing else. */
			notify_readable(pcb);
			return;
		default:
			break;
		}
		notify_readable(pcb);
		if (pcb->state == TCP_CLOSED)
			return;
	} else if (fin && in_order) {
		/* An early FIN: say where we are (once: out-of-order data
		 * with it was answered above). */
		pcb->flags |= TF_ACK_NOW;
	}
	tcp_output(pcb);
}

void tcp_in_take_syn_opts(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	take_syn_opts(pcb, o, 1);
}

void tcp_in_established(struct tcp_pcb *pcb)
{
	on_established(pcb);
}

void tcp_in_take_held(struct tcp_pcb *pcb, const uint8_t *data, uint32_t len, int fin)
{
	if (len)
		take_data(pcb, pcb->rcv_nxt, data, len);
	if (fin) {
		/* RFC 9293 3.10.7.4, eighth step, in ESTABLISHED. */
		pcb->rcv_nxt++;
		pcb->flags |= TF_RCVD_FIN;
		tcp_set_state(pcb, TCP_CLOSE_WAIT);
	}
	/* At once: the peer has waited for the commit already. */
	pcb->flags |= TF_ACK_NOW;
	notify_readable(pcb);
	if (pcb->state == TCP_CLOSED)
		return;
	tcp_output(pcb);
}
