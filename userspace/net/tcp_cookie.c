/*
 * tcp_cookie.c - SYN cookies (RFC 4987 3.6), in the encoding of Linux's
 * net/ipv4/syncookies.c.
 *
 * Under pressure (tcp_syncookie_wanted) a listener answers a SYN with a
 * SYN-ACK whose ISN carries what the connection needs and keeps nothing:
 * no control block, no ring, no authorization entry. The ISN is
 *
 *   H0(tuple) + peer's ISN + (count << 24) + ((H1(tuple, count) + mss) mod 2^24)
 *
 * with H0, H1 SipHash-2-4 under a key of the stack's own and count a clock
 * that ticks every AX_TCP_SYNCOOKIE_PERIOD_MS: the peer's ACK of ISN + 1
 * (and its sequence number, which must be its ISN + 1) gives back the MSS
 * index and the cookie's age; older than two periods, or any other value,
 * it is no cookie. A cookie holds 2 bits of MSS; when the peer sent
 * timestamps, the low 6 bits of our TSval hold its window scale (0xf:
 * none) and SACK-permitted, and come back in its TSecr. Without
 * timestamps the SYN-ACK offers neither window scaling nor SACK: the
 * cookie could not remember them (Linux does the same).
 *
 * What leaves before the connection exists is the SYN-ACK and nothing
 * else. The ACK that returns a valid cookie proved the peer's address: the
 * connection is created then, in SYN-RECEIVED, and the admitter is asked
 * (request, inbound). Until it answers nothing leaves and nothing is
 * delivered; but the peer, told it is connected, sends its request at
 * once (a client's first flight), and dropped, that waits for the peer's
 * RTO (Linux: 200 ms at least) after the commit. So the in-order data
 * (the ACK's included) and a FIN are kept, unacknowledged (RFC 9293 3.10.7.4
 * lets a receiver withhold its ACK), in a buffer of the engine's, not the
 * ring the program may map, at most AX_TCP_ADMIT_HOLD bytes and the window
 * the SYN-ACK offered; past that, or out of order, a segment is dropped
 * (Linux too queues the data that follows a cookie's ACK on the child
 * socket, tcp_child_process). Allowed, the connection is established at
 * the commit and the kept data taken in and acknowledged at once; denied,
 * it is reset and the data goes with it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "ip.h"
#include "proto.h"
#include "stack.h"
#include "tcp_priv.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define COOKIE_MAX_AGE 2 /* periods */

/* MSS values a cookie can say (Linux's tables, msstab and msstab_v6):
 * the largest not above the peer's goes in. IPv6's: 1280, 1480, 1500
 * and 9000 byte paths less 60 bytes of headers. */
static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };
static const uint16_t msstab6[] = { 1220, 1420, 1440, 8940 };
#define MSSTAB_LEN 4

static const uint16_t *msstab_of(const struct ip_addr *raddr)
{
	return ip_addr_is_v4(raddr) ? msstab : msstab6;
}

/* TSval's low bits: the peer's window scale (0xf: none) and SACK. */
#define TS_BITS 6
#define TS_WSCALE_MASK 0xfu
#define TS_SACK 0x10u

static uint64_t now_ms(const struct ax_stack *s)
{
	return s->now_ns / 1000000u;
}

static uint32_t cookie_count(const struct ax_stack *s)
{
	return (uint32_t)(now_ms(s) / AX_TCP_SYNCOOKIE_PERIOD_MS);
}

/* c 0: H0 (no count, so that the count can be read back); c 1: H1. */
/* Over both 16-byte addresses (either family, nothing folded away), the
 * ports and c's count. */
static uint32_t cookie_hash(const struct ax_stack *s, const struct ip_addr *laddr,
			    uint16_t lport, const struct ip_addr *raddr, uint16_t rport,
			    uint32_t count, int c)
{
	uint64_t m[5];

	memcpy(m, laddr->b, 16);
	memcpy(m + 2, raddr->b, 16);
	m[4] = (uint64_t)lport << 48 | (uint64_t)rport << 32 |
	       (uint64_t)(c ? count & 0x7fffffffu : 0) << 1 | (uint64_t)c;
	return (uint32_t)tcp_siphash(s->tcp->cookie_key, m, 5);
}

static uint32_t cookie_make(const struct ax_stack *s, const struct ip_addr *laddr,
			    uint16_t lport, const struct ip_addr *raddr, uint16_t rport,
			    uint32_t sseq, uint32_t data)
{
	uint32_t count = cookie_count(s);

	return cookie_hash(s, laddr, lport, raddr, rport, 0, 0) + sseq + (count << COOKIE_BITS) +
	       ((cookie_hash(s, laddr, lport, raddr, rport, count, 1) + data) & COOKIE_MASK);
}

/* The MSS index the cookie carries, or -1: forged, or too old. */
static int cookie_check(const struct ax_stack *s, uint32_t cookie, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *raddr, uint16_t rport, uint32_t sseq)
{
	uint32_t count = cookie_count(s), diff, data;

	cookie -= cookie_hash(s, laddr, lport, raddr, rport, 0, 0) + sseq;
	diff = (count - (cookie >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);
	if (diff >= COOKIE_MAX_AGE)
		return -1;
	data = (cookie - cookie_hash(s, laddr, lport, raddr, rport, count - diff, 1)) &
	       COOKIE_MASK;
	return data < MSSTAB_LEN ? (int)data : -1;
}

int tcp_syncookie_wanted(struct ax_stack *s, struct tcp_pcb *l)
{
	struct tcp_table *t = s->tcp;
	unsigned int thresh = l->backlog < AX_TCP_SYNCOOKIE_HALFOPEN ? l->backlog
								    : AX_TCP_SYNCOOKIE_HALFOPEN;
	uint64_t now = now_ms(s);

	/* An admitter that cannot decide at the SYN without keeping
	 * state gets every SYN the old way. */
	if (t->syncookies == TCP_SYNCOOKIES_NEVER || (t->admit && !t->admit->check))
		return 0;
	if (t->syncookies == TCP_SYNCOOKIES_ALWAYS)
		return 1;
	if (l->pending >= thresh || t->halfopen >= AX_TCP_SYNCOOKIE_HALFOPEN_ALL ||
	    (t->admit && t->admit->busy && t->admit->busy(t->admit_arg))) {
		l->cookie_until_ms = now + AX_TCP_SYNCOOKIE_HOLD_MS;
		return 1;
	}
	return now < l->cookie_until_ms;
}

/* The window a cookie's SYN-ACK offers: what listener l's connections
 * offer first (never scaled in a SYN, RFC 7323 2.2). */
static uint32_t synack_window(const struct tcp_pcb *l)
{
	return l->rcv_buf > 65535 ? 65535 : l->rcv_buf;
}

/* The SYN-ACK of a cookie: built from the SYN alone (o: its options, the
 * ones the cookie cannot carry already cleared) and listener l's
 * settings (window, TCP_MAXSEG). */
static void send_synack(struct ax_stack *s, const struct tcp_pcb *l, const struct ip_rx *rx,
			const struct tcp_hdr *in, const struct tcp_opts *o, uint32_t iss,
			uint32_t tsval)
{
	struct ip_tx tx;
	struct tcp_hdr th;
	uint8_t opt[40];
	size_t cap, n;
	uint32_t win = synack_window(l);
	int err;
	uint8_t *buf;

	/* Only what the peer offered (RFC 7323 1.3, 2.2; RFC 2018 2). */
	n = tcp_put_syn_opts(opt, tcp_adv_mss(l, &rx->src), o->sack_ok, o->ws_ok);
	if (o->ts_ok)
		n += tcp_put_ts_opt(opt + n, tsval, o->tsval);
	buf = ip_tx_begin(s, &rx->dst, &rx->src, IP_PROTO_TCP, &tx, &cap, &err);
	if (!buf)
		return;
	if (sizeof(th) + n > cap) {
		ip_tx_abort(s, &tx);
		return;
	}
	memset(&th, 0, sizeof(th));
	th.sport = in->dport;
	th.dport = in->sport;
	th.seq = htonl(iss);
	th.ack = htonl(ntohl(in->seq) + 1);
	th.off = (uint8_t)(((sizeof(th) + n) / 4) << 4);
	th.flags = TH_SYN | TH_ACK;
	th.win = htons((uint16_t)win); /* never scaled in a SYN (RFC 7323 2.2) */
	memcpy(buf, &th, sizeof(th));
	memcpy(buf + sizeof(th), opt, n);
	th.csum = ip_l4_csum(&tx.src, &rx->src, IP_PROTO_TCP, buf, sizeof(th) + n);
	memcpy(buf + offsetof(struct tcp_hdr, csum), &th.csum, 2);
	stack_count(s, AX_C_tcp_tx);
	ip_tx_commit(s, &tx, sizeof(th) + n);
}

void tcp_syncookie_syn(struct ax_stack *s, struct tcp_pcb *l, const struct ip_rx *rx,
		       const struct tcp_hdr *th, const uint8_t *seg, size_t hlen)
{
	struct tcp_table *t = s->tcp;
	const uint16_t *tab = msstab_of(&rx->src);
	struct tcp_opts o;
	uint16_t sport = ntohs(th->sport);
	uint32_t theirs, iss, tsval = 0;
	int i;

	if (tcp_parse_opts(seg, hlen, 1, &o) < 0) {
		stack_count(s, AX_C_tcp_bad_opts);
		return;
	}
	/* The policy decides now; a denied SYN gets nothing, as without
	 * cookies. Nothing is kept either way. */
	if (t->admit &&
	    t->admit->check(t->admit_arg, &rx->dst, l->lport, &rx->src, sport, l->owner) < 0) {
		stack_count(s, AX_C_tcp_auth_denied);
		return;
	}
	theirs = o.mss ? o.mss : 536; /* RFC 9293 3.7.1 */
	for (i = MSSTAB_LEN - 1; i > 0; i--)
		if (theirs >= tab[i])
			break;
	if (o.ts_ok) {
		/* Our TSval, its low bits the options (rounded down so that
		 * it is never ahead of our clock). */
		uint64_t now = now_ms(s);
		uint64_t ts = (now >> TS_BITS << TS_BITS) |
			      (o.ws_ok ? o.ws : TS_WSCALE_MASK) | (o.sack_ok ? TS_SACK : 0);

		if (ts > now)
			ts -= 1u << TS_BITS;
		tsval = (uint32_t)ts;
	} else {
		o.ws_ok = 0;
		o.sack_ok = 0;
	}
	iss = cookie_make(s, &rx->dst, l->lport, &rx->src, sport, ntohl(th->seq), (uint32_t)i);
	send_synack(s, l, rx, th, &o, iss, tsval);
	l->cookie_sent_ms = now_ms(s);
	stack_count(s, AX_C_tcp_syncookies_sent);
}

int tcp_syncookie_ack(struct ax_stack *s, const struct ip_rx *rx, const struct tcp_hdr *th,
		      const uint8_t *seg, size_t hlen, struct tcp_pcb **out)
{
	const struct ip_addr *src = &rx->src, *dst = &rx->dst;
	struct tcp_table *t = s->tcp;
	struct tcp_pcb *l, *pcb;
	struct tcp_opts o, syn;
	uint16_t sport = ntohs(th->sport), dport = ntohs(th->dport);
	uint32_t seq = ntohl(th->seq), ack = ntohl(th->ack);
	int idx;

	*out = NULL;
	if ((th->flags & (TH_ACK | TH_SYN | TH_RST)) != TH_ACK ||
	    t->syncookies == TCP_SYNCOOKIES_NEVER)
		return 0;
	l = tcp_select_listener(s, dst, dport, src, sport);
	/* Only a listener that sent cookies lately hashes ACKs (as Linux's
	 * tcp_synq_no_recent_overflow): any other ACK gets its RST without
	 * the work. */
	if (!l || !l->cookie_sent_ms ||
	    now_ms(s) - l->cookie_sent_ms >= COOKIE_MAX_AGE * (uint64_t)AX_TCP_SYNCOOKIE_PERIOD_MS)
		return 0;
	idx = cookie_check(s, ack - 1, dst, dport, src, sport, seq - 1);
	if (idx < 0 || tcp_parse_opts(seg, hlen, 0, &o) < 0) {
		stack_count(s, AX_C_tcp_syncookies_failed);
		return 0; /* RFC 9293 3.10.7.2: an ACK in LISTEN gets a RST */
	}
	/* What the SYN said, as far as the cookie remembers. */
	memset(&syn, 0, sizeof(syn));
	syn.mss = msstab_of(src)[idx];
	if (o.ts_ok) {
		uint32_t bits = o.tsecr & ((1u << TS_BITS) - 1);

		syn.ts_ok = 1;
		syn.tsval = o.tsval;
		syn.sack_ok = !!(bits & TS_SACK);
		if ((bits & TS_WSCALE_MASK) != TS_WSCALE_MASK) {
			if ((bits & TS_WSCALE_MASK) > 14) {
				stack_count(s, AX_C_tcp_syncookies_failed);
				return 0;
			}
			syn.ws_ok = 1;
			syn.ws = (uint8_t)(bits & TS_WSCALE_MASK);
		}
	}
	pcb = tcp_pcb_new(s, dst, src, dport, sport);
	if (!pcb) {
		stack_count(s, AX_C_tcp_no_memory);
		return 1; /* the peer sends again */
	}
	stack_count(s, AX_C_tcp_syncookies_recv);
	stack_count(s, AX_C_tcp_passive_opens);
	tcp_inherit(pcb, l);
	tcp_halfopen_add(l, pcb);
	pcb->flags |= TF_COOKIE;
	pcb->irs = seq - 1;
	pcb->rcv_nxt = seq;
	pcb->rcv.head = seq;
	/* What the SYN-ACK offered (send_synack). */
	pcb->rcv_adv = seq + synack_window(l);
	pcb->last_ack_sent = seq;
	pcb->iss = ack - 1;
	pcb->snd_una = pcb->iss;
	pcb->snd_nxt = pcb->snd_max = ack; /* the SYN-ACK is out */
	pcb->recover = pcb->iss; /* RFC 6582 3.2 step 1 */
	pcb->snd.head = ack;
	tcp_set_state(pcb, TCP_SYN_RECEIVED);
	tcp_in_take_syn_opts(pcb, &syn);
	/* The ACK's window is scaled (RFC 7323 2.2), unlike a SYN's. */
	pcb->snd_wnd = (uint32_t)ntohs(th->win) << pcb->snd_wscale;
	pcb->max_snd_wnd = pcb->snd_wnd;
	pcb->snd_wl1 = seq;
	pcb->snd_wl2 = ack;
	switch (tcp_admit_request(pcb, 1)) {
	case 0:
		*out = pcb; /* established by this very ACK */
		return 1;
	case -EINPROGRESS:
		*out = pcb; /* its data is held (tcp_syncookie_hold) */
		return 1;
	default:
		/* The policy changed since the SYN: the peer thinks it is
		 * connected, so it is told (its ACK took our SYN: the RST
		 * goes at ISN + 1 whatever window it offered; SYN-RECEIVED,
		 * so tcp_abort sends it). */
		pcb->snd_una = pcb->snd_max;
		tcp_abort(pcb);
		return 1;
	}
}

/* How many bytes pcb may hold while pending: AX_TCP_ADMIT_HOLD, within
 * the window the SYN-ACK offered and the ring they go to. */
static uint32_t hold_cap(const struct tcp_pcb *pcb)
{
	uint32_t cap = AX_TCP_ADMIT_HOLD;
	uint32_t wnd = SEQ_GT(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;

	if (cap > wnd)
		cap = wnd;
	if (cap > pcb->rcv.size)
		cap = pcb->rcv.size;
	return cap;
}

void tcp_syncookie_hold(struct tcp_pcb *pcb, const struct tcp_hdr *th, const uint8_t *seg,
			size_t hlen, size_t len)
{
	struct tcp_opts o;
	uint32_t seq = ntohl(th->seq), datalen = (uint32_t)(len - hlen);
	uint32_t next = pcb->rcv_nxt + pcb->held_len, skip, n, cap;
	int fin = !!(th->flags & TH_FIN);

	/* Only what follows the handshake on this path: an ACK of our
	 * SYN-ACK, no SYN, no RST (handled by the caller). */
	if (!(pcb->flags & TF_COOKIE) || pcb->state != TCP_SYN_RECEIVED ||
	    (th->flags & (TH_SYN | TH_RST | TH_ACK)) != TH_ACK || ntohl(th->ack) != pcb->snd_max ||
	    (datalen == 0 && !fin) || pcb->held_fin)
		return;
	if (tcp_parse_opts(seg, hlen, 0, &o) < 0) {
		stack_count(pcb->s, AX_C_tcp_bad_opts);
		return;
	}
	/* PAWS (RFC 7323 5.3), as for an established connection. */
	if (pcb->ts_ok && o.ts_ok && (int32_t)(o.tsval - pcb->ts_recent) < 0) {
		stack_count(pcb->s, AX_C_tcp_paws_drops);
		return;
	}
	/* In order only: a gap would need the ring's out-of-order map, and
	 * the peer resends what we never acknowledged. */
	if (SEQ_GT(seq, next) || SEQ_GEQ(next, seq + datalen + (uint32_t)fin)) {
		if (SEQ_GT(seq, next))
			stack_count(pcb->s, AX_C_tcp_admit_held_dropped);
		return; /* a gap, or all of it already held */
	}
	skip = next - seq;
	n = skip < datalen ? datalen - skip : 0;
	cap = hold_cap(pcb);
	if (n > cap - pcb->held_len) {
		n = cap - pcb->held_len; /* the rest comes again once acked */
		fin = 0;
		stack_count(pcb->s, AX_C_tcp_admit_held_dropped);
		if (!n)
			return;
	}
	if (pcb->held_len + n > pcb->held_cap) {
		/* Grows by doubling, from one segment's room to cap, within
		 * what all waiting connections may hold together. */
		struct tcp_table *t = pcb->s->tcp;
		uint32_t want = pcb->held_cap ? pcb->held_cap : 2048u;
		uint8_t *p;

		while (want < pcb->held_len + n)
			want *= 2;
		if (want > cap)
			want = cap;
		if (t->held_bytes + (want - pcb->held_cap) > AX_TCP_ADMIT_HOLD_ALL) {
			stack_count(pcb->s, AX_C_tcp_admit_held_dropped);
			return;
		}
		p = realloc(pcb->held, want);
		if (!p) {
			stack_count(pcb->s, AX_C_tcp_no_memory);
			return;
		}
		t->held_bytes += want - pcb->held_cap;
		pcb->held = p;
		pcb->held_cap = want;
	}
	if (n)
		memcpy(pcb->held + pcb->held_len, seg + hlen + skip, n);
	pcb->held_len += n;
	pcb->held_fin = (uint8_t)fin;
	/* RFC 7323 4.3: its TSval is the one our ACK will echo. */
	if (pcb->ts_ok && o.ts_ok && SEQ_LEQ(seq, pcb->last_ack_sent))
		pcb->ts_recent = o.tsval;
	pcb->last_rx_ms = tcp_now_ms(pcb);
	stack_count(pcb->s, AX_C_tcp_admit_held);
}

void tcp_syncookie_hold_free(struct tcp_pcb *pcb)
{
	pcb->s->tcp->held_bytes -= pcb->held_cap;
	free(pcb->held);
	pcb->held = NULL;
	pcb->held_len = pcb->held_cap = 0;
	pcb->held_fin = 0;
}

void tcp_syncookie_done(struct tcp_pcb *pcb, int err, uint64_t seq)
{
	if (err) {
		stack_count(pcb->s, AX_C_tcp_auth_denied);
		/* At ISN + 1, the peer's RCV.NXT: tcp_send_rst keeps a RST
		 * within SND.UNA + SND.WND, and SND.UNA is still our ISN
		 * (an ACK advertising a zero window would put it there,
		 * out of the peer's window). */
		pcb->snd_una = pcb->snd_max;
		tcp_send_rst(pcb);
		pcb->flags |= TF_DETACHED;
		tcp_pcb_free(pcb, -EACCES);
		return;
	}
	/* Its handshake's ACK came before the commit: it is established now,
	 * and the data held meanwhile is taken in and acknowledged at once
	 * (after the accept, so that the program hears of it). */
	pcb->admit_tag = seq;
	pcb->snd_una = pcb->snd_max;
	pcb->backoff = 0;
	tcp_in_established(pcb);
	if (pcb->state != TCP_CLOSED && (pcb->held_len || pcb->held_fin))
		tcp_in_take_held(pcb, pcb->held, pcb->held_len, pcb->held_fin);
	tcp_syncookie_hold_free(pcb);
}
