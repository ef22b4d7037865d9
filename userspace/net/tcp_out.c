/*
 * tcp_out.c - TCP segment departure: building segments with their
 * options, sending data as window and congestion allow (Nagle included),
 * ACKs, SYNs, RSTs and retransmissions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "ip.h"
#include "proto.h"
#include "stack.h"
#include "tcp_priv.h"
#include "tcp_sack.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACK_OK 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8


uint32_t tcp_rcv_window(struct tcp_pcb *pcb)
{
	uint32_t space = tcp_rcv_space(pcb);
	uint32_t edge = pcb->rcv_nxt + space;
	uint32_t thresh = pcb->rcv_buf / 2 < pcb->mss ? pcb->rcv_buf / 2 : pcb->mss;

	/* RFC 9293 3.8.6.2.2 (receiver SWS avoidance): move the right
	 * edge only by at least min(half the buffer, one MSS); never
	 * shrink it (RFC 9293 3.8.6). */
	if (SEQ_GT(pcb->rcv_adv, pcb->rcv_nxt) &&
	    (SEQ_LT(edge, pcb->rcv_adv) || edge - pcb->rcv_adv < thresh))
		return pcb->rcv_adv - pcb->rcv_nxt;
	if (space < thresh && SEQ_LEQ(pcb->rcv_adv, pcb->rcv_nxt))
		return 0;
	return space;
}

size_t tcp_put_syn_opts(uint8_t *o, uint16_t mss, int sack, int ws)
{
	size_t n = 0;

	mss = htons(mss);
	o[n++] = TCPOPT_MSS;
	o[n++] = 4;
	memcpy(o + n, &mss, 2);
	n += 2;
	if (sack) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK_OK;
		o[n++] = 2;
	}
	if (ws) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WS;
		o[n++] = 3;
		o[n++] = AX_TCP_RCV_WSCALE;
	}
	return n;
}

size_t tcp_put_ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	tsval = htonl(tsval);
	tsecr = htonl(tsecr);
	o[0] = TCPOPT_NOP;
	o[1] = TCPOPT_NOP;
	o[2] = TCPOPT_TS;
	o[3] = 10;
	memcpy(o + 4, &tsval, 4);
	memcpy(o + 8, &tsecr, 4);
	return 12;
}

/* Write our options for a segment with flags and len bytes of data;
 * returns their length. */
static size_t put_opts(struct tcp_pcb *pcb, uint8_t *o, uint8_t flags, uint32_t len)
{
	size_t n = 0;

	/* In a SYN-ACK, only what the peer offered (RFC 7323 1.3, 2.2;
	 * RFC 2018 2). */
	if (flags & TH_SYN)
		n = tcp_put_syn_opts(o, tcp_adv_mss(pcb, &pcb->raddr),
				     pcb->state == TCP_SYN_SENT || pcb->sack_ok,
				     pcb->state == TCP_SYN_SENT || pcb->ws_ok);
	if (pcb->ts_ok || (flags & TH_SYN && pcb->state == TCP_SYN_SENT))
		n += tcp_put_ts_opt(o + n, (uint32_t)tcp_now_ms(pcb), pcb->ts_recent);
	/* SACK blocks for what we hold out of order (RFC 2018 4), the most
	 * recent first: as many as fit the 40 bytes of options and, beside
	 * len bytes of data, the path MTU (RFC 1191). A full-sized segment
	 * has room for none; the bare duplicate ACKs sent for out-of-order
	 * data always do. */
	if (pcb->sack_ok && pcb->n_ooo && !(flags & TH_SYN)) {
		unsigned int i, nb = pcb->n_ooo;
		size_t hdrs = tcp_hdrs_len(&pcb->raddr);
		size_t max = pcb->pmtu - hdrs > len ? pcb->pmtu - hdrs - len : 0;
		unsigned int room;

		if (max > 40)
			max = 40;
		room = max >= n + 2 ? (unsigned int)((max - n - 2) / 8) : 0;

		if (nb > room)
			nb = room;
		if (nb) {
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_SACK;
			o[n++] = (uint8_t)(2 + 8 * nb);
			for (i = 0; i < nb; i++) {
				uint32_t a = htonl(pcb->ooo[i].start);
				uint32_t b = htonl(pcb->ooo[i].end);

				memcpy(o + n, &a, 4);
				memcpy(o + n + 4, &b, 4);
				n += 8;
			}
		}
	}
	return n;
}

/* Build and send one segment: seq, flags and len bytes of data read from
 * the send ring at seq. 0 or -errno. */
static int send_segment(struct tcp_pcb *pcb, uint32_t seq, uint8_t flags, uint32_t len)
{
	struct ax_stack *s = pcb->s;
	struct ip_tx tx;
	struct tcp_hdr th;
	uint8_t opts[40];
	size_t cap, olen, hlen;
	uint32_t win;
	int err = 0;
	uint8_t *buf;

	olen = put_opts(pcb, opts, flags, len);
	hlen = sizeof(th) + olen;
	buf = ip_tx_begin(s, &pcb->laddr, &pcb->raddr, IP_PROTO_TCP, &tx, &cap, &err);
	if (!buf)
		return err;
	if (hlen + len > cap) {
		ip_tx_abort(s, &tx);
		return -EMSGSIZE;
	}
	win = (flags & TH_SYN) ? tcp_rcv_space(pcb) : tcp_rcv_window(pcb);
	if (!(flags & TH_SYN))
		win >>= pcb->rcv_wscale;
	if (win > 65535)
		win = 65535;
	memset(&th, 0, sizeof(th));
	th.sport = htons(pcb->lport);
	th.dport = htons(pcb->rport);
	th.seq = htonl(seq);
	th.off = (uint8_t)((hlen / 4) << 4);
	th.flags = flags;
	th.win = htons((uint16_t)win);
	if (flags & TH_ACK) {
		/* The right edge we offer; a SYN-ACK's window is not scaled
		 * (RFC 7323 2.2) and is what the peer may fill first. */
		uint32_t adv = pcb->rcv_nxt + ((flags & TH_SYN) ? win : win << pcb->rcv_wscale);

		th.ack = htonl(pcb->rcv_nxt);
		pcb->last_ack_sent = pcb->rcv_nxt;
		if (SEQ_GT(adv, pcb->rcv_adv))
			pcb->rcv_adv = adv;
	}
	memcpy(buf, &th, sizeof(th));
	memcpy(buf + sizeof(th), opts, olen);
	if (len)
		ring_read_at(&pcb->snd, seq, buf + hlen, len);
	th.csum = ip_l4_csum(&tx.src, &pcb->raddr, IP_PROTO_TCP, buf, hlen + len);
	memcpy(buf + offsetof(struct tcp_hdr, csum), &th.csum, 2);
	stack_count(s, AX_C_tcp_tx);
	pcb->segs_out++;
	/* An ACK goes out with this segment: no delayed one is owed. */
	if (flags & TH_ACK) {
		pcb->flags &= ~(uint32_t)TF_ACK_NOW;
		pcb->unacked_segs = 0;
		timer_cancel(&s->tcp->wheel, &pcb->dack_t);
	}
	return ip_tx_commit(s, &tx, hlen + len);
}

int tcp_send_ack(struct tcp_pcb *pcb)
{
	return send_segment(pcb, pcb->snd_nxt, TH_ACK, 0);
}

int tcp_send_syn(struct tcp_pcb *pcb)
{
	uint8_t flags = pcb->state == TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;
	int err = send_segment(pcb, pcb->iss, flags, 0);

	pcb->snd_nxt = pcb->iss + 1;
	if (SEQ_GT(pcb->snd_nxt, pcb->snd_max))
		pcb->snd_max = pcb->snd_nxt;
	return err;
}

void tcp_send_rst(struct tcp_pcb *pcb)
{
	/* At SND.NXT if the peer's window reaches it, else at its right
	 * edge (Linux tcp_acceptable_seq): after a zero-window probe the
	 * peer never took, SND.NXT is past what it accepts. */
	uint32_t edge = pcb->snd_una + pcb->snd_wnd;

	send_segment(pcb, SEQ_LEQ(pcb->snd_nxt, edge) ? pcb->snd_nxt : edge, TH_RST | TH_ACK, 0);
	stack_count(pcb->s, AX_C_tcp_rst_tx);
}

int tcp_reset_reply(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
		    const struct tcp_hdr *in, size_t datalen)
{
	struct ip_tx tx;
	struct tcp_hdr th;
	size_t cap;
	int err;
	uint8_t *buf;

	if (in->flags & TH_RST)
		return -EINVAL;
	/* From the address the segment came to. */
	buf = ip_tx_begin(s, dst, src, IP_PROTO_TCP, &tx, &cap, &err);
	if (!buf)
		return err;
	memset(&th, 0, sizeof(th));
	th.sport = in->dport;
	th.dport = in->sport;
	th.off = 5 << 4;
	if (in->flags & TH_ACK) {
		th.seq = in->ack;
		th.flags = TH_RST;
	} else {
		uint32_t seglen = (uint32_t)datalen + !!(in->flags & TH_SYN) +
				  !!(in->flags & TH_FIN);

		th.ack = htonl(ntohl(in->seq) + seglen);
		th.flags = TH_RST | TH_ACK;
	}
	memcpy(buf, &th, sizeof(th));
	th.csum = ip_l4_csum(&tx.src, src, IP_PROTO_TCP, buf, sizeof(th));
	memcpy(buf + offsetof(struct tcp_hdr, csum), &th.csum, 2);
	stack_count(s, AX_C_tcp_tx);
	stack_count(s, AX_C_tcp_rst_tx);
	return ip_tx_commit(s, &tx, sizeof(th));
}

/* Refill a bucket of burst RSTs at rate a second; 1 when it holds one. */
static int rst_bucket_ok(struct tcp_rst_bucket *b, uint64_t now_ms, uint32_t rate,
			 uint32_t burst)
{
	uint64_t full = (uint64_t)burst * 1000;

	if (now_ms > b->last_ms) {
		uint64_t ms = now_ms - b->last_ms;

		if (ms > UINT32_MAX)
			ms = UINT32_MAX; /* no overflow below; any bucket is full */
		/* rate RSTs a second: rate thousandths a millisecond. */
		b->tokens = b->tokens + ms * rate > full ? full : b->tokens + ms * rate;
		b->last_ms = now_ms;
	}
	return b->tokens >= 1000;
}

void tcp_reset_noconn(struct ax_stack *s, const struct ip_addr *src,
		      const struct ip_addr *dst, const struct tcp_hdr *in, size_t datalen)
{
	struct tcp_table *t = s->tcp;
	uint64_t now_ms = s->now_ns / 1000000u;
	struct tcp_rst_bucket *b;

	/* RFC 9293 3.10.7.1: a RST is never answered (not counted either:
	 * nothing was held back). */
	if (in->flags & TH_RST)
		return;
	b = &t->rst_src[tcp_source_slot(t, src, AX_TCP_RST_SOURCES)];
	if (!ip_addr_eq(&b->addr, src)) {
		b->addr = *src;
		b->tokens = (uint64_t)AX_TCP_RST_SRC_BURST * 1000;
		b->last_ms = now_ms;
	}
	if (!rst_bucket_ok(b, now_ms, AX_TCP_RST_SRC_RATE, AX_TCP_RST_SRC_BURST)) {
		stack_count(s, AX_C_tcp_rst_limited_src);
		return;
	}
	if (!rst_bucket_ok(&t->rst_all, now_ms, AX_TCP_RST_RATE, AX_TCP_RST_BURST)) {
		stack_count(s, AX_C_tcp_rst_limited_all);
		return;
	}
	b->tokens -= 1000;
	t->rst_all.tokens -= 1000;
	if (tcp_reset_reply(s, src, dst, in, datalen) == 0)
		stack_count(s, AX_C_tcp_rst_noconn);
}

void tcp_retransmit_first(struct tcp_pcb *pcb)
{
	uint32_t data_end = pcb->snd.head + pcb->snd.len;
	uint32_t len = SEQ_LT(pcb->snd_una, data_end) ? data_end - pcb->snd_una : 0;
	uint8_t flags = TH_ACK;

	if (len > pcb->mss)
		len = pcb->mss;
	if (len == 0 && (pcb->flags & TF_FIN_QUEUED) && pcb->snd_una == pcb->fin_seq)
		flags |= TH_FIN;
	if (len == 0 && !(flags & TH_FIN))
		return;
	pcb->retransmits++;
	stack_count(pcb->s, AX_C_tcp_retransmits);
	pcb->rtt_timing = 0;
	if (SEQ_GT(pcb->snd_una + len, pcb->high_rxt))
		pcb->high_rxt = pcb->snd_una + len;
	send_segment(pcb, pcb->snd_una, flags, len);
}

/* SACK recovery (RFC 6675 5 step C): while cwnd leaves a segment's room
 * over pipe, resend the lowest lost hole. 1 if one went out. */
static int sack_retransmit(struct tcp_pcb *pcb)
{
	uint32_t data_end = pcb->snd.head + pcb->snd.len;
	uint32_t pipe = tcp_sack_pipe(pcb);
	uint32_t seq, len;

	if (pipe + pcb->mss > pcb->cwnd || !tcp_sack_next_hole(pcb, &seq, &len))
		return 0;
	if (len > pcb->mss)
		len = pcb->mss;
	if (SEQ_GT(seq + len, data_end))
		len = SEQ_GT(data_end, seq) ? data_end - seq : 0;
	if (len == 0)
		return 0;
	if (send_segment(pcb, seq, TH_ACK, len) < 0)
		return 0;
	pcb->high_rxt = seq + len;
	pcb->retransmits++;
	pcb->rtt_timing = 0; /* Karn */
	stack_count(pcb->s, AX_C_tcp_retransmits);
	stack_count(pcb->s, AX_C_tcp_sack_retransmits);
	return 1;
}

/* The restart window after idle (RFC 5681 4.1; Linux tcp_cwnd_restart):
 * nothing in flight and nothing sent for more than an RTO, so the ACK
 * clock is gone: cwnd halves for every RTO of idleness, down to the
 * initial window, and ssthresh keeps 3/4 of what cwnd was. */
static void cwnd_restart(struct tcp_pcb *pcb)
{
	uint64_t now = tcp_now_ms(pcb), idle = now - pcb->last_send_ms;
	uint32_t rw = AX_TCP_INIT_CWND * pcb->mss, cwnd = pcb->cwnd, ss;

	if (!pcb->last_send_ms || pcb->snd_max != pcb->snd_una || idle <= pcb->rto_ms ||
	    pcb->in_recovery || pcb->snd.len == 0)
		return;
	ss = cwnd / 4 * 3;
	if (pcb->ssthresh < ss)
		pcb->ssthresh = ss;
	if (rw > cwnd)
		rw = cwnd;
	while (idle > pcb->rto_ms && cwnd > rw) {
		idle -= pcb->rto_ms;
		cwnd >>= 1;
	}
	pcb->cwnd = cwnd > rw ? cwnd : rw;
	pcb->last_send_ms = now; /* once per idle period, even if nothing can go */
	pcb->cwnd_stamp_ms = now;
	pcb->cwnd_used = 0;
	pcb->cwnd_limited = 0;
	pcb->max_flight = 0;
}

/* After sending (Linux tcp_cwnd_validate; RFC 7661): remember whether
 * this window was cwnd-limited and its largest flight (new_ack grows cwnd
 * only then), and when the application has not filled cwnd for an RTO,
 * bring cwnd halfway down to what it used (RFC 2861 as Linux's
 * tcp_cwnd_application_limited does). */
static void cwnd_validate(struct tcp_pcb *pcb, int limited)
{
	uint32_t flight = pcb->snd_nxt - pcb->snd_una;
	uint64_t now = tcp_now_ms(pcb);

	if (SEQ_GEQ(pcb->snd_una, pcb->cwnd_usage_seq) || limited ||
	    (!pcb->cwnd_limited && flight > pcb->max_flight)) {
		pcb->cwnd_limited = (uint8_t)limited;
		pcb->max_flight = flight;
		pcb->cwnd_usage_seq = pcb->snd_nxt;
	}
	if (tcp_is_cwnd_limited(pcb)) {
		pcb->cwnd_used = 0;
		pcb->cwnd_stamp_ms = now;
		return;
	}
	if (flight > pcb->cwnd_used)
		pcb->cwnd_used = flight;
	if (now - pcb->cwnd_stamp_ms >= pcb->rto_ms && !pcb->in_recovery && !pcb->dupacks) {
		uint32_t used = pcb->cwnd_used, iw = AX_TCP_INIT_CWND * pcb->mss;

		if (used < iw)
			used = iw;
		if (used < pcb->cwnd) {
			uint32_t ss = pcb->cwnd / 4 * 3;

			if (pcb->ssthresh < ss)
				pcb->ssthresh = ss;
			pcb->cwnd = (uint32_t)(((uint64_t)pcb->cwnd + used) / 2);
		}
		pcb->cwnd_used = 0;
		pcb->cwnd_stamp_ms = now;
	}
}

void tcp_output(struct tcp_pcb *pcb)
{
	int sent = 0;

	if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED ||
	    pcb->state == TCP_LISTEN || pcb->state == TCP_CLOSED)
		return;
	cwnd_restart(pcb);
	for (;;) {
		uint32_t data_end, unsent, flight, pipe, cwnd, usable, len;
		uint8_t flags = TH_ACK;
		int fin_now, probe = 0, err;

		if (pcb->in_recovery && pcb->sack_ok) {
			if (sack_retransmit(pcb)) {
				sent = 1;
				continue;
			}
		} else if (SEQ_LT(pcb->snd_nxt, pcb->snd_max) && pcb->n_sacked) {
			/* Going back after a timeout: skip what the peer
			 * SACKed (RFC 6675 5.1). */
			uint32_t room = UINT32_MAX;

			pcb->snd_nxt = tcp_sack_skip(pcb, pcb->snd_nxt, &room);
		}
		data_end = pcb->snd.head + pcb->snd.len;
		unsent = SEQ_LT(pcb->snd_nxt, data_end) ? data_end - pcb->snd_nxt : 0;
		flight = pcb->snd_nxt - pcb->snd_una;
		/* The congestion window holds pipe (RFC 6675) in SACK
		 * recovery, the flight otherwise; the first two duplicate
		 * ACKs each let one new segment out (RFC 3042). */
		if (pcb->in_recovery && pcb->sack_ok)
			pipe = tcp_sack_pipe(pcb);
		else if (SEQ_LT(pcb->snd_nxt, pcb->snd_max) && pcb->n_sacked)
			pipe = flight - tcp_sack_below(pcb, pcb->snd_nxt);
		else
			pipe = flight;
		cwnd = pcb->cwnd;
		if (!pcb->in_recovery && pcb->dupacks && pcb->dupacks < 3)
			cwnd += pcb->dupacks * pcb->mss;
		usable = cwnd > pipe ? cwnd - pipe : 0;
		if (pcb->snd_wnd < flight)
			usable = 0;
		else if (usable > pcb->snd_wnd - flight)
			usable = pcb->snd_wnd - flight;
		len = unsent < pcb->mss ? unsent : pcb->mss;
		if (SEQ_LT(pcb->snd_nxt, pcb->snd_max) && pcb->n_sacked)
			tcp_sack_skip(pcb, pcb->snd_nxt, &len);

		/* Persist: a zero window with nothing in flight gets probed
		 * by one byte when the RTO timer fires (rto_fired). */
		if (pcb->snd_wnd == 0 && flight == 0 && unsent) {
			if (!timer_armed(&pcb->rto_t))
				tcp_arm_rto(pcb);
			if (pcb->backoff == 0)
				break;
			usable = 1; /* the probe */
			probe = 1;
		}
		if (len > usable)
			len = usable;
		fin_now = (pcb->flags & TF_FIN_QUEUED) && pcb->snd_nxt + len == pcb->fin_seq &&
			  SEQ_LEQ(pcb->snd_nxt, pcb->fin_seq);
		if (len == 0 && !(fin_now && unsent == 0))
			break;
		/* Nagle (RFC 896, RFC 1122 4.2.3.4): a short segment waits
		 * while data is unacknowledged, unless it is the last. */
		if (len < pcb->mss && len == unsent && flight > 0 &&
		    !(pcb->flags & TF_NODELAY) && !fin_now && SEQ_GEQ(pcb->snd_nxt, pcb->snd_max))
			break;
		/* TCP_CORK (Linux tcp(7)): a short last segment waits for
		 * more, with or without data in flight, at most
		 * AX_TCP_CORK_MS (tcp_cork_fired pushes it). */
		if ((pcb->flags & TF_CORK) && !(pcb->flags & TF_CORK_PUSH) && len < pcb->mss &&
		    len == unsent && !fin_now && SEQ_GEQ(pcb->snd_nxt, pcb->snd_max)) {
			if (!timer_armed(&pcb->cork_t))
				timer_arm(&pcb->s->tcp->wheel, &pcb->cork_t,
					  tcp_now_ms(pcb) + AX_TCP_CORK_MS, tcp_cork_fired);
			break;
		}
		/* Sender SWS avoidance: no tiny segment while more waits
		 * (a resend cut short by a SACKed range is not one). */
		if (len < pcb->mss && len < unsent && flight > 0 &&
		    SEQ_GEQ(pcb->snd_nxt, pcb->snd_max))
			break;
		if (fin_now)
			flags |= TH_FIN;
		if (len == unsent)
			flags |= TH_PSH;
		if (pcb->snd_max == pcb->snd_una)
			pcb->una_since_ms = tcp_now_ms(pcb); /* first unacked byte */
		err = send_segment(pcb, pcb->snd_nxt, flags, len);
		if (err < 0 && err != -ENOBUFS)
			break;
		if (SEQ_LT(pcb->snd_nxt, pcb->snd_max)) {
			/* Go-back-N after an RTO; the same probe byte again
			 * is no retransmission. */
			if (!probe) {
				pcb->retransmits++;
				stack_count(pcb->s, AX_C_tcp_retransmits);
			}
		} else if (!pcb->rtt_timing && len) {
			pcb->rtt_timing = 1;
			pcb->rtt_seq = pcb->snd_nxt;
			pcb->rtt_start_ms = tcp_now_ms(pcb);
		}
		/* Bytes past snd_max go out for the first time, also at the
		 * end of a segment that begins with old ones. */
		if (SEQ_GT(pcb->snd_nxt + len, pcb->snd_max)) {
			uint32_t fresh = pcb->snd_nxt + len - pcb->snd_max;

			pcb->bytes_out += fresh;
			pcb->s->cnt[AX_C_tcp_tx_bytes] += fresh;
		}
		pcb->snd_nxt += len + (fin_now ? 1 : 0);
		if (SEQ_GT(pcb->snd_nxt, pcb->snd_max))
			pcb->snd_max = pcb->snd_nxt;
		sent = 1;
		if (len)
			pcb->last_send_ms = tcp_now_ms(pcb);
		if (!timer_armed(&pcb->rto_t))
			tcp_arm_rto(pcb);
		/* A segment the device or the ARP queue had no room for
		 * counts as sent and lost (as Linux counts what its neighbour
		 * queue drops): the RTO resends it, where a segment left
		 * unsent would wait for an event that may never come (a FIN
		 * in LAST_ACK). Stop here: the next would fare no better. */
		if (fin_now || err < 0)
			break;
	}
	{
		/* cwnd-limited: no room for another full segment (Linux:
		 * packets in flight >= cwnd). */
		uint32_t flight = pcb->snd_nxt - pcb->snd_una;
		int limited = (uint64_t)flight + pcb->mss > pcb->cwnd;

		if (sent || limited)
			cwnd_validate(pcb, limited);
	}
	if (!sent && (pcb->flags & TF_ACK_NOW))
		tcp_send_ack(pcb);
}
