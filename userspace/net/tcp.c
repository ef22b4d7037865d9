/*
 * tcp.c - TCP control blocks, the connection table, the application API
 * and the timers. Segment arrival is in tcp_in.c, departure in tcp_out.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "pmtu.h"
#include "stack.h"
#include "tcp_priv.h"
#include "tcp_sack.h"

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

const char *tcp_state_name(enum tcp_state st)
{
	return (unsigned int)st < sizeof(state_names) / sizeof(state_names[0])
		       ? state_names[st]
		       : "?";
}

struct tcp_table *tcp_tab(struct ax_stack *s)
{
	return s->tcp;
}

uint64_t tcp_now_ms(const struct tcp_pcb *pcb)
{
	return pcb->s->now_ns / 1000000u;
}

int tcp_init(struct ax_stack *s)
{
	struct tcp_table *t = &s->tcp_storage;

	memset(t, 0, sizeof(*t));
	/* The ISN secret (RFC 6528 3): random, per stack instance. */
	if (getrandom(t->isn_key, sizeof(t->isn_key), 0) != sizeof(t->isn_key) ||
	    getrandom(t->hash_key, sizeof(t->hash_key), 0) != sizeof(t->hash_key) ||
	    getrandom(t->cookie_key, sizeof(t->cookie_key), 0) != sizeof(t->cookie_key) ||
	    getrandom(t->chack_key, sizeof(t->chack_key), 0) != sizeof(t->chack_key))
		return -EIO;
	timer_wheel_init(&t->wheel, s->now_ns / 1000000u);
	t->time_wait_ms = AX_TCP_TIME_WAIT_MS;
	t->cc = &tcp_cc_cubic;
	t->rst_all.tokens = (uint64_t)AX_TCP_RST_BURST * 1000;
	t->rst_all.last_ms = s->now_ns / 1000000u;
	t->chack_sec = UINT64_MAX;
	t->user_timeout_ms = AX_TCP_USER_TIMEOUT_MS;
	s->tcp = t;
	return 0;
}

void tcp_fini(struct ax_stack *s)
{
	struct tcp_table *t = s->tcp;
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < AX_TCP_HASH_BUCKETS; i++)
		while (t->bucket[i]) {
			t->bucket[i]->flags |= TF_DETACHED;
			tcp_pcb_free(t->bucket[i], 0);
		}
	while (t->listeners) {
		t->listeners->flags |= TF_DETACHED;
		tcp_pcb_free(t->listeners, 0);
	}
	tcp_reap(s);
	s->tcp = NULL;
}

void tcp_timers(struct ax_stack *s)
{
	if (s->tcp) {
		timer_wheel_advance(&s->tcp->wheel, s->now_ns / 1000000u);
		tcp_reap(s);
	}
}

/* --- ISN: RFC 6528, M + F(4-tuple, secret), F = SipHash-2-4 ------------ */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                       \
	do {                                                           \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                 \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                 \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* SipHash-2-4 of two 64-bit words (16 bytes of input). */
static uint64_t siphash16(const uint64_t key[2], uint64_t m0, uint64_t m1)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	uint64_t b = 16ull << 56;

	v3 ^= m0; SIPROUND; SIPROUND; v0 ^= m0;
	v3 ^= m1; SIPROUND; SIPROUND; v0 ^= m1;
	v3 ^= b; SIPROUND; SIPROUND; v0 ^= b;
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t tcp_siphash16(const uint64_t key[2], uint64_t m0, uint64_t m1)
{
	return siphash16(key, m0, m1);
}

uint64_t tcp_siphash(const uint64_t key[2], const uint64_t *m, unsigned int n)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	uint64_t b = (uint64_t)(8u * n) << 56;
	unsigned int i;

	for (i = 0; i < n; i++) {
		v3 ^= m[i]; SIPROUND; SIPROUND; v0 ^= m[i];
	}
	v3 ^= b; SIPROUND; SIPROUND; v0 ^= b;
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* An address as two words for the hashes (the same bytes either way:
 * nothing of it folded away). */
static void addr_words(const struct ip_addr *a, uint64_t *w)
{
	memcpy(w, a->b, 16);
}

uint32_t tcp_isn(struct ax_stack *s, const struct tcp_pcb *pcb)
{
	uint64_t m[5];

	addr_words(&pcb->laddr, m);
	addr_words(&pcb->raddr, m + 2);
	m[4] = ((uint64_t)pcb->lport << 16) | pcb->rport;
	/* M: a 4-microsecond clock (RFC 6528 3; RFC 9293 3.4.1). */
	return (uint32_t)(s->now_ns / 4000u) + (uint32_t)tcp_siphash(s->tcp->isn_key, m, 5);
}

unsigned int tcp_source_slot(const struct tcp_table *t, const struct ip_addr *raddr,
			     unsigned int n)
{
	uint64_t m[3];

	/* m[2] above any tuple_hash input: a different function of the key. */
	addr_words(raddr, m);
	m[2] = 1ull << 48;
	return (unsigned int)tcp_siphash(t->hash_key, m, 3) & (n - 1);
}

/* --- challenge ACK limits ---------------------------------------------- */

/* The stack-wide challenge ACK budget of second sec: in [limit/2,
 * limit + limit/2), keyed, unpredictable from outside. */
static uint32_t challenge_ack_budget(const struct tcp_table *t, uint64_t sec)
{
	uint32_t limit = AX_TCP_CHALLENGE_ACK_LIMIT, half = (limit + 1) / 2;

	/* Linux (tcp_send_challenge_ack): get_random_u32_inclusive(half,
	 * limit + half - 1). Here a keyed hash of the second, so it costs
	 * no system call and nobody outside can predict it. */
	return half + (uint32_t)(siphash16(t->chack_key, sec, 0x6368616b) % limit);
}

int tcp_challenge_ack_allowed(struct tcp_pcb *pcb)
{
	struct tcp_table *t = pcb->s->tcp;
	uint64_t now = tcp_now_ms(pcb), sec = now / 1000;

	/* Per connection first (Linux __tcp_oow_rate_limited): a peer, or
	 * an attacker, gets at most one every AX_TCP_INVALID_RATELIMIT_MS,
	 * so one connection cannot drain the stack-wide budget. */
	if (pcb->last_chack_ms && now + 1 - pcb->last_chack_ms < AX_TCP_INVALID_RATELIMIT_MS) {
		stack_count(pcb->s, AX_C_tcp_challenge_acks_skipped);
		return 0;
	}
	pcb->last_chack_ms = now + 1;
	/* Then the stack (RFC 5961 7): a budget a second, drawn anew each
	 * second; a fixed one is the CVE-2016-5696 side channel (an
	 * off-path attacker counts the challenge ACKs it gets in a second
	 * and learns how many went to a connection it is guessing at). */
	if (sec != t->chack_sec) {
		t->chack_sec = sec;
		t->chack_count = challenge_ack_budget(t, sec);
	}
	if (t->chack_count == 0) {
		stack_count(pcb->s, AX_C_tcp_challenge_acks_limited);
		return 0;
	}
	t->chack_count--;
	return 1;
}

/* --- the connection table --------------------------------------------- */

/* Bucket of a 4-tuple: SipHash with a key of our own (as Linux keys its
 * connection hash), so nobody outside can aim tuples at one bucket, and
 * the whole tuple goes in unfolded (a peer's address and ports cannot
 * cancel each other out). */
static unsigned int tuple_hash(const struct tcp_table *t, const struct ip_addr *raddr,
			       uint16_t lport, uint16_t rport)
{
	uint64_t m[3];

	addr_words(raddr, m);
	m[2] = (uint64_t)lport << 16 | rport;
	return (unsigned int)tcp_siphash(t->hash_key, m, 3) & (AX_TCP_HASH_BUCKETS - 1);
}

static void hash_insert(struct tcp_pcb **head, struct tcp_pcb *pcb)
{
	pcb->hnext = *head;
	if (pcb->hnext)
		pcb->hnext->hpprev = &pcb->hnext;
	*head = pcb;
	pcb->hpprev = head;
}

static void hash_remove(struct tcp_pcb *pcb)
{
	if (!pcb->hpprev)
		return;
	*pcb->hpprev = pcb->hnext;
	if (pcb->hnext)
		pcb->hnext->hpprev = pcb->hpprev;
	pcb->hnext = NULL;
	pcb->hpprev = NULL;
}

struct tcp_pcb *tcp_lookup(struct ax_stack *s, const struct ip_addr *laddr, uint16_t lport,
			   const struct ip_addr *raddr, uint16_t rport)
{
	struct tcp_pcb *p = s->tcp->bucket[tuple_hash(s->tcp, raddr, lport, rport)];

	for (; p; p = p->hnext)
		if (p->lport == lport && p->rport == rport && ip_addr_eq(&p->raddr, raddr) &&
		    ip_addr_eq(&p->laddr, laddr))
			return p;
	return NULL;
}

struct tcp_pcb *tcp_lookup_listener(struct ax_stack *s, uint16_t lport)
{
	struct tcp_pcb *p;

	for (p = s->tcp->listeners; p; p = p->hnext)
		if (p->lport == lport)
			return p;
	return NULL;
}

/*
 * How well a listener bound to b (v6only: IPV6_V6ONLY) matches a SYN to
 * laddr: 0 not at all, else higher is better (Linux's compute_score): its
 * very address 3; for IPv4, 0.0.0.0 (::ffff:0.0.0.0) 2 before a
 * dual-stack :: 1; for IPv6, :: 2.
 */
static int listener_score(const struct ip_addr *b, int v6only, const struct ip_addr *laddr)
{
	int v4 = ip_addr_is_v4(laddr);

	if (ip_addr_eq(b, laddr))
		return 3;
	if (ip_addr_eq(b, &ip_addr_any4))
		return v4 ? 2 : 0;
	if (ip_addr_eq(b, &ip_addr_any6))
		return v4 ? (v6only ? 0 : 1) : 2;
	return 0;
}

struct tcp_pcb *tcp_select_listener(struct ax_stack *s, const struct ip_addr *laddr,
				    uint16_t lport, const struct ip_addr *raddr, uint16_t rport)
{
	struct tcp_pcb *p, *first = NULL;
	unsigned int n = 0, k;
	int best = 0;
	uint64_t m[3];

	for (p = s->tcp->listeners; p; p = p->hnext) {
		int sc;

		if (p->lport != lport)
			continue;
		sc = listener_score(&p->laddr, !!(p->flags & TF_V6ONLY), laddr);
		if (sc > best) {
			best = sc;
			first = p;
			n = 1;
		} else if (sc && sc == best) {
			n++;
		}
	}
	if (n <= 1)
		return first;
	/* A reuse-port group (only reuse-port listeners share a port and
	 * an address): one member per 4-tuple, by a keyed hash (as Linux's
	 * reuseport_select_sock), so the SYN, its retransmissions and the
	 * ACK that returns a cookie all find the same listener while the
	 * group stays as it is. m[2] above any tuple_hash input: another
	 * function of the key. */
	addr_words(raddr, m);
	m[2] = 2ull << 48 | (uint64_t)lport << 16 | rport;
	k = (unsigned int)(tcp_siphash(s->tcp->hash_key, m, 3) % n);
	for (p = first; p; p = p->hnext)
		if (p->lport == lport &&
		    listener_score(&p->laddr, !!(p->flags & TF_V6ONLY), laddr) == best &&
		    k-- == 0)
			return p;
	return first;
}

static struct tcp_pcb *pcb_alloc(struct ax_stack *s)
{
	struct tcp_pcb *pcb = calloc(1, sizeof(*pcb));

	if (!pcb)
		return NULL;
	pcb->s = s;
	pcb->rto_ms = AX_TCP_RTO_INIT_MS;
	pcb->ssthresh = UINT32_MAX;
	pcb->mss = 536; /* RFC 9293 3.7.1 default until told otherwise */
	pcb->pmtu = (uint16_t)s->netif->mtu;
	pcb->cc = s->tcp->cc;
	pcb->una_since_ms = s->now_ns / 1000000u;
	pcb->ka_idle_ms = s->tcp->ka_idle_ms;
	pcb->ka_intvl_ms = s->tcp->ka_intvl_ms;
	pcb->ka_probes = (uint8_t)s->tcp->ka_probes;
	pcb->user_timeout_ms = s->tcp->user_timeout_ms;
	pcb->quickacks = AX_TCP_QUICKACKS;
	pcb->cwnd_stamp_ms = pcb->una_since_ms;
	/* The rings' memory comes when the connection is established
	 * (tcp_pcb_rings): until then a connection costs its control block
	 * only, whatever a flood of SYNs leaves half-open. */
	pcb->snd.size = AX_TCP_SNDBUF;
	pcb->rcv.size = AX_TCP_RCVBUF;
	pcb->rcv_buf = AX_TCP_RCVWND_INIT < AX_TCP_RCVBUF ? AX_TCP_RCVWND_INIT : AX_TCP_RCVBUF;
	return pcb;
}

/* Put a new connection in the table under its 4-tuple (laddr set). */
static void pcb_hash(struct tcp_pcb *pcb, const struct ip_addr *raddr, uint16_t lport,
		     uint16_t rport)
{
	struct ax_stack *s = pcb->s;

	pcb->raddr = *raddr;
	pcb->lport = lport;
	pcb->rport = rport;
	pcb->pmtu = pmtu_get(s, raddr); /* what an earlier connection learned */
	hash_insert(&s->tcp->bucket[tuple_hash(s->tcp, raddr, lport, rport)], pcb);
	s->tcp->count++;
	stack_count(s, AX_C_tcp_conns_opened);
}

struct tcp_pcb *tcp_pcb_new(struct ax_stack *s, const struct ip_addr *laddr,
			    const struct ip_addr *raddr, uint16_t lport, uint16_t rport)
{
	struct tcp_pcb *pcb = pcb_alloc(s);

	if (!pcb)
		return NULL;
	pcb->laddr = *laddr;
	pcb_hash(pcb, raddr, lport, rport);
	return pcb;
}

/* --- ring memory ------------------------------------------------------- */

/* A ring's memory: the layer above's (tcp_set_mem), else ours: mmap'd
 * when large, so that it goes back to the system when freed (glibc keeps
 * freed heap chunks, opt.h AX_TCP_RING_MMAP_MIN), and untouched pages
 * cost nothing (the window, autotuned, says how much of it the peer may
 * fill). */
static void *ring_mem_get(struct tcp_pcb *pcb, uint32_t size, int is_rcv)
{
	void *p;

	if (pcb->mem_ops)
		return pcb->mem_ops->alloc(pcb->mem_arg, pcb, size, is_rcv);
	if (size < AX_TCP_RING_MMAP_MIN)
		return malloc(size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void ring_mem_put(struct tcp_pcb *pcb, void *mem, uint32_t size, int is_rcv)
{
	if (!mem)
		return;
	if (pcb->mem_ops)
		pcb->mem_ops->free(pcb->mem_arg, pcb, mem, size, is_rcv);
	else if (size < AX_TCP_RING_MMAP_MIN)
		free(mem);
	else
		munmap(mem, size);
}

int tcp_pcb_rings(struct tcp_pcb *pcb)
{
	void *snd, *rcv;

	if (pcb->flags & TF_RINGS)
		return 0;
	snd = ring_mem_get(pcb, pcb->snd.size, 0);
	rcv = snd ? ring_mem_get(pcb, pcb->rcv.size, 1) : NULL;
	if (!rcv) {
		ring_mem_put(pcb, snd, pcb->snd.size, 0);
		return -ENOMEM;
	}
	ring_attach(&pcb->snd, snd);
	ring_attach(&pcb->rcv, rcv);
	pcb->flags |= TF_RINGS;
	if (pcb->rcv_buf > pcb->rcv.size)
		pcb->rcv_buf = pcb->rcv.size;
	/* Autotuning's first measurement (Linux tcp_init_buffer_space):
	 * ten segments' worth, or what the window offers if less. */
	pcb->rcvq_space = 10u * pcb->mss < pcb->rcv_buf ? 10u * pcb->mss : pcb->rcv_buf;
	pcb->rcvq_seq = pcb->rcv.head;
	pcb->rcvq_us = pcb->s->now_ns / 1000u;
	return 0;
}

void tcp_rings_release(struct tcp_pcb *pcb)
{
	if (!(pcb->flags & TF_RINGS))
		return;
	pcb->flags &= ~(uint32_t)TF_RINGS;
	ring_mem_put(pcb, ring_detach(&pcb->snd), pcb->snd.size, 0);
	ring_mem_put(pcb, ring_detach(&pcb->rcv), pcb->rcv.size, 1);
}

void tcp_pcb_free(struct tcp_pcb *pcb, int err)
{
	struct tcp_table *t = pcb->s->tcp;

	if (pcb->flags & TF_DEAD)
		return;
	hash_remove(pcb);
	timer_cancel(&t->wheel, &pcb->rto_t);
	timer_cancel(&t->wheel, &pcb->dack_t);
	timer_cancel(&t->wheel, &pcb->misc_t);
	timer_cancel(&t->wheel, &pcb->ka_t);
	timer_cancel(&t->wheel, &pcb->cork_t);
	if (pcb->listener)
		tcp_halfopen_del(pcb);
	if (!(pcb->flags & TF_LISTENER)) {
		t->count--;
		stack_count(pcb->s, AX_C_tcp_conns_closed);
	}
	/* Children of a listener that goes away lose their parent. */
	while (pcb->hq_head)
		tcp_halfopen_del(pcb->hq_head);
	pcb->state = TCP_CLOSED;
	pcb->listener = NULL;
	if (!(pcb->flags & TF_DETACHED) && pcb->cb && pcb->cb->closed) {
		pcb->flags |= TF_DETACHED;
		pcb->cb->closed(pcb->arg, pcb, err);
	}
	if ((pcb->flags & TF_AUTH_ASKED) && pcb->admit_ops)
		pcb->admit_ops->forget(pcb->admit_arg, pcb);
	pcb->flags &= ~(uint32_t)(TF_AUTH_ASKED | TF_AUTH_PENDING);
	tcp_syncookie_hold_free(pcb); /* data that waited for a denied admission */
	pcb->flags |= TF_DETACHED | TF_DEAD;
	pcb->hnext = t->dead;
	t->dead = pcb;
}

void tcp_reap(struct ax_stack *s)
{
	struct tcp_table *t = s->tcp;

	while (t && t->dead) {
		struct tcp_pcb *pcb = t->dead;

		t->dead = pcb->hnext;
		tcp_rings_release(pcb);
		free(pcb);
	}
}

void tcp_halfopen_add(struct tcp_pcb *l, struct tcp_pcb *pcb)
{
	pcb->listener = l;
	pcb->hq_next = NULL;
	pcb->hq_prev = l->hq_tail;
	if (l->hq_tail)
		l->hq_tail->hq_next = pcb;
	else
		l->hq_head = pcb;
	l->hq_tail = pcb;
	l->pending++;
	pcb->s->tcp->halfopen++;
}

void tcp_halfopen_del(struct tcp_pcb *pcb)
{
	struct tcp_pcb *l = pcb->listener;

	if (!l)
		return;
	if (pcb->hq_prev)
		pcb->hq_prev->hq_next = pcb->hq_next;
	else
		l->hq_head = pcb->hq_next;
	if (pcb->hq_next)
		pcb->hq_next->hq_prev = pcb->hq_prev;
	else
		l->hq_tail = pcb->hq_prev;
	pcb->hq_next = pcb->hq_prev = NULL;
	pcb->listener = NULL;
	l->pending--;
	pcb->s->tcp->halfopen--;
}

void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st)
{
	pcb->state = st;
}

/* --- timers --------------------------------------------------------------- */

static void rto_fired(struct ax_timer *tm)
{
	struct tcp_pcb *pcb = ax_container_of(tm, struct tcp_pcb, rto_t);
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	unsigned int limit = pcb->state == TCP_SYN_SENT ||
					     pcb->state == TCP_SYN_RECEIVED
				     ? AX_TCP_SYN_RETRIES
				     : AX_TCP_MAX_RETRIES;
	int probing = flight <= 1 && pcb->snd_wnd == 0 && pcb->snd.len;

	if (probing) {
		/* Persist: probe a zero window with one byte (RFC 9293
		 * 3.8.6.1), backing off like a retransmission; that byte out
		 * is the last probe, not data to give up on (RFC 1122
		 * 4.2.2.17: probe for as long as the peer answers). A peer
		 * that answers none is dead: after AX_TCP_MAX_RETRIES
		 * unanswered probes, or a user timeout of silence, give up
		 * (Linux tcp_probe_timer: probes_out against tcp_retries2,
		 * and the user timeout). Any segment from the peer resets
		 * both (tcp_in.c). */
		if (pcb->probes_out >= AX_TCP_MAX_RETRIES ||
		    (pcb->user_timeout_ms &&
		     tcp_now_ms(pcb) - pcb->last_rx_ms >= pcb->user_timeout_ms)) {
			stack_count(pcb->s, AX_C_tcp_timeouts);
			tcp_send_rst(pcb);
			tcp_pcb_free(pcb, -ETIMEDOUT);
			return;
		}
		pcb->probes_out++;
		pcb->snd_nxt = pcb->snd_una;
		stack_count(pcb->s, AX_C_tcp_window_probes);
	} else if (flight == 0) {
		return;
	} else {
		int user_timeout = pcb->user_timeout_ms &&
				   tcp_now_ms(pcb) - pcb->una_since_ms >= pcb->user_timeout_ms;

		if (pcb->backoff >= limit || user_timeout) {
			stack_count(pcb->s, AX_C_tcp_timeouts);
			if (pcb->state == TCP_SYN_SENT && pcb->cb && pcb->cb->connected &&
			    !(pcb->flags & TF_DETACHED)) {
				pcb->flags |= TF_DETACHED;
				pcb->cb->connected(pcb->arg, pcb, -ETIMEDOUT);
			}
			tcp_send_rst(pcb);
			tcp_pcb_free(pcb, -ETIMEDOUT);
			return;
		}
		/* RFC 5681 3.1 eq. 4; RFC 6298 5.5-5.7: back off, go back
		 * to the first unacked byte, restart slow start. */
		/* The scoreboard stays, so going back skips what the peer
		 * holds; a second timeout in a row forgets it, in case the
		 * peer reneged (RFC 2018 8). */
		if (pcb->backoff)
			tcp_sack_clear(pcb);
		/* RFC 5681 3.1: ssthresh is set when the segment "has not
		 * yet been resent by way of the retransmission timer": on
		 * the first timeout only. Later ones would compute it from
		 * the one-segment cwnd the first left (CUBIC: 2 SMSS) and
		 * forget the path's capacity. */
		if (pcb->backoff == 0) {
			pcb->ssthresh = pcb->cc->ssthresh(pcb);
			pcb->cc->on_rto(pcb);
		}
		pcb->cwnd = pcb->mss;
		pcb->in_recovery = 0;
		pcb->dupacks = 0;
		pcb->recover = pcb->snd_max;
		pcb->rtt_timing = 0; /* Karn: no sample from a retransmission */
		pcb->snd_nxt = pcb->snd_una;
		stack_count(pcb->s, AX_C_tcp_rto_fired);
	}
	pcb->backoff++;
	pcb->rto_ms = pcb->rto_ms * 2 > AX_TCP_RTO_MAX_MS ? AX_TCP_RTO_MAX_MS
							  : pcb->rto_ms * 2;
	if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED) {
		pcb->retransmits++;
		stack_count(pcb->s, AX_C_tcp_retransmits);
		tcp_send_syn(pcb);
	} else {
		tcp_output(pcb); /* counts each segment it sends again */
	}
	tcp_arm_rto(pcb);
	if (probing && pcb->user_timeout_ms) {
		/* The next probe no later than the user timeout (Linux
		 * tcp_clamp_probe0_to_user_timeout): a backed-off interval
		 * of up to AX_TCP_RTO_MAX_MS would overshoot it. */
		uint64_t now = tcp_now_ms(pcb), end = pcb->last_rx_ms + pcb->user_timeout_ms;

		if (end < now + pcb->rto_ms)
			timer_arm(&pcb->s->tcp->wheel, &pcb->rto_t, end > now ? end : now + 1,
				  rto_fired);
	}
}

void tcp_arm_rto(struct tcp_pcb *pcb)
{
	timer_arm(&pcb->s->tcp->wheel, &pcb->rto_t, tcp_now_ms(pcb) + pcb->rto_ms,
		  rto_fired);
}

static void misc_fired(struct ax_timer *tm)
{
	struct tcp_pcb *pcb = ax_container_of(tm, struct tcp_pcb, misc_t);

	/* TIME_WAIT is over, or an orphan sat in FIN_WAIT_2 too long. */
	tcp_pcb_free(pcb, 0);
}

void tcp_arm_misc(struct tcp_pcb *pcb, uint32_t ms)
{
	timer_arm(&pcb->s->tcp->wheel, &pcb->misc_t, tcp_now_ms(pcb) + ms, misc_fired);
}

void tcp_enter_time_wait(struct tcp_pcb *pcb)
{
	struct tcp_table *t = pcb->s->tcp;

	tcp_set_state(pcb, TCP_TIME_WAIT);
	timer_cancel(&t->wheel, &pcb->rto_t);
	timer_cancel(&t->wheel, &pcb->dack_t);
	timer_cancel(&t->wheel, &pcb->cork_t);
	tcp_arm_misc(pcb, pcb->s->tcp->time_wait_ms);
	/* The application keeps the connection until it has read up to the
	 * end (tcp_read returns 0) and let go with tcp_close(): data that
	 * arrived before the FIN must not be lost to it. One that let go
	 * needs its rings no more: everything we sent is acknowledged, and
	 * nothing more is taken in; 2MSL of 100k connections must not keep
	 * their pages. */
	if (pcb->flags & TF_DETACHED)
		tcp_rings_release(pcb);
}

/* --- the API ---------------------------------------------------------- */

/* Could listeners bound to a and b (v6only: a :: one's IPV6_V6ONLY)
 * both take some SYN? */
static int listeners_overlap(const struct ip_addr *a, int a6only, const struct ip_addr *b,
			     int b6only)
{
	int a_any6 = ip_addr_eq(a, &ip_addr_any6), b_any6 = ip_addr_eq(b, &ip_addr_any6);

	if (ip_addr_eq(a, b))
		return 1;
	if (a_any6 && b_any6)
		return 1;
	if (a_any6)
		return ip_addr_is_v4(b) ? !a6only : 1;
	if (b_any6)
		return ip_addr_is_v4(a) ? !b6only : 1;
	/* ::ffff:0.0.0.0 against an IPv4 address. */
	return ip_addr_is_v4(a) && ip_addr_is_v4(b) &&
	       (ip_addr_eq(a, &ip_addr_any4) || ip_addr_eq(b, &ip_addr_any4));
}

struct tcp_pcb *tcp_listen2(struct ax_stack *s, const struct ip_addr *laddr, uint16_t port,
			    unsigned int backlog, int flags, const struct tcp_callbacks *cb,
			    void *arg)
{
	struct tcp_pcb *pcb, *p;
	int reuseport = !!(flags & TCP_LISTEN_REUSEPORT);
	int v6only = (flags & TCP_LISTEN_V6ONLY) && ip_addr_eq(laddr ? laddr : &ip_addr_any6,
							       &ip_addr_any6);

	if (!laddr)
		laddr = &ip_addr_any6;
	if (!ip_addr_is_any(laddr) && !stack_addr_local(s, laddr)) {
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	/* A port is one listener's per address, or reuse-port listeners'
	 * that all asked for it (SO_REUSEPORT on each, as Linux); those bound
	 * to the same address make one group (tcp_select_listener). */
	for (p = s->tcp->listeners; p; p = p->hnext)
		if (p->lport == port &&
		    listeners_overlap(&p->laddr, !!(p->flags & TF_V6ONLY), laddr, v6only) &&
		    (!reuseport || !(p->flags & TF_REUSEPORT))) {
			errno = EADDRINUSE;
			return NULL;
		}
	pcb = pcb_alloc(s);
	if (!pcb) {
		errno = ENOMEM;
		return NULL;
	}
	pcb->laddr = *laddr;
	pcb->lport = port;
	pcb->state = TCP_LISTEN;
	pcb->flags = TF_LISTENER | (reuseport ? TF_REUSEPORT : 0) | (v6only ? TF_V6ONLY : 0);
	pcb->backlog = backlog ? backlog : 128;
	pcb->cb = cb;
	pcb->arg = arg;
	hash_insert(&s->tcp->listeners, pcb);
	return pcb;
}

struct tcp_pcb *tcp_listen(struct ax_stack *s, uint16_t port, unsigned int backlog,
			   const struct tcp_callbacks *cb, void *arg)
{
	return tcp_listen2(s, NULL, port, backlog, 0, cb, arg);
}

struct tcp_pcb *tcp_new(struct ax_stack *s)
{
	struct tcp_pcb *pcb = pcb_alloc(s);

	if (!pcb)
		errno = ENOMEM;
	return pcb; /* CLOSED, in no table: see pcb_fresh */
}

/* Made by tcp_new and not connected (yet): in no table, not counted. */
static int pcb_fresh(const struct tcp_pcb *pcb)
{
	return pcb->state == TCP_CLOSED && !(pcb->flags & (TF_DEAD | TF_LISTENER));
}

/* Let go of a tcp_new connection that never connected. */
static void pcb_drop_fresh(struct tcp_pcb *pcb)
{
	pcb->flags |= TF_DETACHED | TF_DEAD;
	pcb->hnext = pcb->s->tcp->dead;
	pcb->s->tcp->dead = pcb;
}

int tcp_bind_addr(struct tcp_pcb *pcb, const struct ip_addr *laddr)
{
	if (!pcb_fresh(pcb))
		return -EINVAL;
	if (!laddr || ip_addr_is_any(laddr)) {
		pcb->laddr = ip_addr_any6;
		return 0;
	}
	if (!stack_addr_local(pcb->s, laddr))
		return -EADDRNOTAVAIL;
	pcb->laddr = *laddr;
	return 0;
}

/* The source of a connection to raddr from laddr (NULL or any: the one
 * stack_src_select picks). 0 or -EADDRNOTAVAIL, -EINVAL (families differ). */
static int conn_src(struct ax_stack *s, const struct ip_addr *laddr, const struct ip_addr *raddr,
		    struct ip_addr *out)
{
	if (laddr && !ip_addr_is_any(laddr)) {
		if (ip_addr_family(laddr) != ip_addr_family(raddr))
			return -EINVAL;
		*out = *laddr;
		return 0;
	}
	return stack_src_select(s, raddr, out) < 0 ? -EADDRNOTAVAIL : 0;
}

int tcp_connect_pcb(struct tcp_pcb *pcb, uint16_t lport, const struct ip_addr *raddr,
		    uint16_t rport, const struct tcp_callbacks *cb, void *arg)
{
	struct ax_stack *s = pcb->s;
	struct ip_addr src;
	int err;

	if (!pcb_fresh(pcb))
		return pcb->state == TCP_CLOSED ? -EINVAL : -EISCONN;
	if (lport == 0 || rport == 0 || ip_addr_is_any(raddr)) {
		pcb_drop_fresh(pcb);
		return -EINVAL;
	}
	err = conn_src(s, &pcb->laddr, raddr, &src);
	if (err) {
		pcb_drop_fresh(pcb);
		return err;
	}
	if (tcp_lookup(s, &src, lport, raddr, rport)) {
		pcb_drop_fresh(pcb);
		return -EADDRINUSE;
	}
	pcb->laddr = src;
	pcb_hash(pcb, raddr, lport, rport);
	pcb->cb = cb;
	pcb->arg = arg;
	pcb->iss = tcp_isn(s, pcb);
	pcb->snd_una = pcb->snd_nxt = pcb->snd_max = pcb->iss;
	pcb->recover = pcb->iss; /* RFC 6582 3.2 step 1 */
	pcb->snd.head = pcb->iss + 1;
	pcb->mss = (uint16_t)(pcb->pmtu - tcp_hdrs_len(&pcb->raddr));
	if (pcb->user_mss && pcb->user_mss < pcb->mss)
		pcb->mss = pcb->user_mss;
	tcp_set_state(pcb, TCP_SYN_SENT);
	switch (tcp_admit_request(pcb, 0)) {
	case 0:
		tcp_send_syn(pcb);
		tcp_arm_rto(pcb);
		break;
	case -EINPROGRESS:
		break; /* the SYN waits for the commit (tcp_admit_done) */
	default:
		pcb->flags |= TF_DETACHED;
		tcp_pcb_free(pcb, 0);
		return -EACCES;
	}
	return 0;
}

int tcp_connect2(struct ax_stack *s, uint16_t lport, const struct ip_addr *raddr,
		 uint16_t rport, const struct tcp_callbacks *cb, void *arg, struct tcp_pcb **out)
{
	struct tcp_pcb *pcb;
	int err;

	if (lport == 0)
		return -EINVAL;
	if (tcp_tuple_busy(s, NULL, lport, raddr, rport))
		return -EADDRINUSE;
	pcb = tcp_new(s);
	if (!pcb)
		return -ENOMEM;
	err = tcp_connect_pcb(pcb, lport, raddr, rport, cb, arg);
	if (err == 0 && out)
		*out = pcb;
	return err;
}

int tcp_connect(struct ax_stack *s, const struct ip_addr *raddr, uint16_t rport,
		const struct tcp_callbacks *cb, void *arg, struct tcp_pcb **out)
{
	struct ip_addr src;
	uint32_t r;
	unsigned int i;
	uint16_t port = 0;

	if (stack_src_select(s, raddr, &src) < 0)
		return -EADDRNOTAVAIL;
	/* An ephemeral port (Linux range 32768..60999) from a random start,
	 * the first whose 4-tuple is free (RFC 6056 algorithm 1). The
	 * socket layer chooses its own (tcp_connect2). */
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)s->now_ns;
	for (i = 0; i < 28232; i++) {
		uint16_t p = (uint16_t)(32768 + (r + i) % 28232);

		if (!tcp_lookup(s, &src, p, raddr, rport) && !tcp_lookup_listener(s, p)) {
			port = p;
			break;
		}
	}
	if (!port)
		return -EADDRNOTAVAIL;
	return tcp_connect2(s, port, raddr, rport, cb, arg, out);
}

int tcp_tuple_busy(struct ax_stack *s, const struct ip_addr *laddr, uint16_t lport,
		   const struct ip_addr *raddr, uint16_t rport)
{
	struct ip_addr src;

	if (conn_src(s, laddr, raddr, &src) < 0)
		return 0; /* no connection can have it: the connect fails later */
	return tcp_lookup(s, &src, lport, raddr, rport) != NULL;
}

const struct ip_addr *tcp_laddr(const struct tcp_pcb *pcb)
{
	return &pcb->laddr;
}

const struct ip_addr *tcp_raddr(const struct tcp_pcb *pcb)
{
	return &pcb->raddr;
}

void tcp_set_syncookies(struct ax_stack *s, enum tcp_syncookies mode)
{
	s->tcp->syncookies = mode;
}

void tcp_set_admit(struct ax_stack *s, const struct tcp_admit_ops *ops, void *arg)
{
	s->tcp->admit = ops;
	s->tcp->admit_arg = arg;
}

int tcp_admit_request(struct tcp_pcb *pcb, int inbound)
{
	struct tcp_table *t = pcb->s->tcp;
	int r;

	if (!t->admit)
		return 0;
	pcb->flags |= TF_AUTH_ASKED;
	pcb->admit_ops = t->admit;
	pcb->admit_arg = t->admit_arg;
	r = t->admit->request(t->admit_arg, pcb, inbound);
	if (r == -EINPROGRESS) {
		pcb->flags |= TF_AUTH_PENDING;
		return r;
	}
	if (r < 0) {
		stack_count(pcb->s, AX_C_tcp_auth_denied);
		return -EACCES;
	}
	return 0;
}

void tcp_admit_done(struct tcp_pcb *pcb, int err, uint64_t seq)
{
	if ((pcb->flags & TF_DEAD) || !(pcb->flags & TF_AUTH_PENDING))
		return;
	pcb->flags &= ~(uint32_t)TF_AUTH_PENDING;
	if (pcb->flags & TF_COOKIE) {
		tcp_syncookie_done(pcb, err, seq); /* its SYN-ACK left long ago */
		return;
	}
	if (err) {
		stack_count(pcb->s, AX_C_tcp_auth_denied);
		if (pcb->state == TCP_SYN_SENT && pcb->cb && pcb->cb->connected &&
		    !(pcb->flags & TF_DETACHED)) {
			pcb->flags |= TF_DETACHED;
			pcb->cb->connected(pcb->arg, pcb, -EACCES);
		}
		pcb->flags |= TF_DETACHED;
		tcp_pcb_free(pcb, -EACCES);
		return;
	}
	pcb->admit_tag = seq;
	tcp_send_syn(pcb); /* SYN or SYN-ACK, by state */
	tcp_arm_rto(pcb);
}

uint64_t tcp_admit_tag(const struct tcp_pcb *pcb)
{
	return pcb->admit_tag;
}

void *tcp_admit_ctx(const struct tcp_pcb *pcb)
{
	return pcb->admit_ctx;
}

void tcp_set_admit_ctx(struct tcp_pcb *pcb, void *ctx)
{
	pcb->admit_ctx = ctx;
}

void tcp_set_callbacks(struct tcp_pcb *pcb, const struct tcp_callbacks *cb, void *arg)
{
	pcb->cb = cb;
	pcb->arg = arg;
}

uint32_t tcp_sndbuf(const struct tcp_pcb *pcb)
{
	return ring_space(&pcb->snd);
}

int tcp_write(struct tcp_pcb *pcb, const void *buf, size_t len)
{
	uint32_t n;

	if (pcb->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT)
		return -ENOTCONN;
	n = ring_append(&pcb->snd, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	if (n)
		tcp_output(pcb);
	return (int)n;
}

/*
 * Receive-window autotuning, Linux's tcp_rcv_space_adjust (Dynamic Right-
 * Sizing, Fisk and Feng 2001): once a round trip, look at what the
 * application read in it; when that beat the last measure, let the
 * window offer twice as much plus headroom (16 segments), more while the
 * rate is still rising, up to the ring. A reader that keeps up grows its
 * window to what the path carries; a slow one keeps the small first
 * window and its ring's pages stay untouched. Never shrinks (RFC 9293
 * 3.8.6: the right edge must not move back).
 */
static void rcv_space_adjust(struct tcp_pcb *pcb)
{
	uint64_t now = pcb->s->now_ns / 1000u;
	uint32_t rtt = pcb->srtt_us > AX_TCP_RCVQ_MIN_US ? pcb->srtt_us : AX_TCP_RCVQ_MIN_US;
	uint32_t copied = pcb->rcv.head - pcb->rcvq_seq;
	uint64_t win;

	if ((pcb->flags & TF_USER_RCVBUF) || now - pcb->rcvq_us < rtt)
		return;
	if (copied > pcb->rcvq_space && pcb->rcv_buf < pcb->rcv.size) {
		win = 2ull * copied + 16ull * pcb->mss;
		/* Linux: the rate rose by (copied - space) / space this
		 * round trip; assume it goes on rising as much. */
		win += 2ull * win * (copied - pcb->rcvq_space) / pcb->rcvq_space;
		if (win > pcb->rcv.size)
			win = pcb->rcv.size;
		if (win > pcb->rcv_buf) {
			pcb->rcv_buf = (uint32_t)win;
			stack_count(pcb->s, AX_C_tcp_rcvbuf_grown);
		}
	}
	if (copied > pcb->rcvq_space)
		pcb->rcvq_space = copied;
	pcb->rcvq_seq = pcb->rcv.head;
	pcb->rcvq_us = now;
}

/* The application took n bytes from the receive ring's head. */
static void rcv_taken(struct tcp_pcb *pcb, uint32_t n)
{
	uint32_t before = tcp_rcv_window(pcb);

	ring_consume(&pcb->rcv, n);
	rcv_space_adjust(pcb);
	/* Tell the peer when the window opened enough to matter (the SWS
	 * rule in tcp_rcv_window decides what "enough" is). */
	if (tcp_rcv_window(pcb) > before && before < 2u * pcb->mss)
		tcp_send_ack(pcb);
}

int tcp_read(struct tcp_pcb *pcb, void *buf, size_t len)
{
	uint32_t n = pcb->rcv.len < len ? pcb->rcv.len : (uint32_t)len;

	if (n == 0)
		return (pcb->flags & TF_RCVD_FIN) ? 0 : -EAGAIN;
	ring_read_at(&pcb->rcv, pcb->rcv.head, buf, n);
	rcv_taken(pcb, n);
	return (int)n;
}

/* --- for the socket layer ------------------------------------------------ */

void tcp_set_owner(struct tcp_pcb *pcb, const void *owner)
{
	pcb->owner = owner;
}

const void *tcp_owner(const struct tcp_pcb *pcb)
{
	return pcb->owner;
}

void tcp_set_mem(struct tcp_pcb *pcb, const struct tcp_mem_ops *ops, void *arg)
{
	/* Rings that have memory keep it, and the ops that gave it free it. */
	if (pcb->flags & TF_RINGS)
		return;
	pcb->mem_ops = ops;
	pcb->mem_arg = arg;
}

/* SO_SNDBUF/SO_RCVBUF's bytes as a ring size: clamped, a power of two. */
static uint32_t buf_size(uint32_t v)
{
	uint32_t r = AX_TCP_BUF_MIN;

	if (v >= AX_TCP_BUF_MAX)
		return AX_TCP_BUF_MAX;
	while (r < v)
		r <<= 1;
	return r;
}

int tcp_set_bufsize(struct tcp_pcb *pcb, uint32_t snd, uint32_t rcv)
{
	if (pcb->flags & TF_DEAD)
		return -EINVAL;
	if (!(pcb->flags & TF_RINGS)) {
		if (snd)
			pcb->snd.size = buf_size(snd);
		if (rcv) {
			pcb->rcv.size = buf_size(rcv);
			pcb->rcv_buf = pcb->rcv.size;
			pcb->flags |= TF_USER_RCVBUF;
		}
		return 0;
	}
	/* Established: the rings stay; the user's receive size is the
	 * window's limit from now on (no autotuning, as Linux), never below
	 * what was offered already. */
	if (rcv) {
		uint32_t b = buf_size(rcv);

		if (b > pcb->rcv.size)
			b = pcb->rcv.size;
		if (b > pcb->rcv_buf)
			pcb->rcv_buf = b;
		pcb->flags |= TF_USER_RCVBUF;
	}
	return 0;
}

void tcp_get_bufsize(const struct tcp_pcb *pcb, uint32_t *snd, uint32_t *rcv)
{
	if (snd)
		*snd = pcb->snd.size;
	if (rcv)
		*rcv = pcb->rcv_buf;
}

void tcp_snd_view(const struct tcp_pcb *pcb, struct tcp_ringview *v)
{
	v->buf = pcb->snd.buf;
	v->size = pcb->snd.buf ? pcb->snd.size : 0;
	v->head = pcb->snd.head;
	v->len = pcb->snd.buf ? pcb->snd.len : 0;
}

void tcp_rcv_view(const struct tcp_pcb *pcb, struct tcp_ringview *v)
{
	v->buf = pcb->rcv.buf;
	v->size = pcb->rcv.buf ? pcb->rcv.size : 0;
	v->head = pcb->rcv.head;
	v->len = pcb->rcv.buf ? pcb->rcv.len : 0;
}

int tcp_snd_produced(struct tcp_pcb *pcb, uint32_t n)
{
	if (pcb->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if ((pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT) || !pcb->snd.buf)
		return -ENOTCONN;
	/* n comes from memory a program writes: never more than the room
	 * the ring has, whatever it says. */
	if (n > ring_space(&pcb->snd))
		return -EINVAL;
	if (n) {
		pcb->snd.len += n;
		tcp_output(pcb);
	}
	return 0;
}

int tcp_rcv_consumed(struct tcp_pcb *pcb, uint32_t n)
{
	if (n > pcb->rcv.len || (n && !pcb->rcv.buf))
		return -EINVAL;
	if (n)
		rcv_taken(pcb, n);
	return 0;
}

int tcp_set_maxseg(struct tcp_pcb *pcb, uint32_t mss)
{
	/* Linux do_tcp_setsockopt TCP_MAXSEG: 0, or TCP_MIN_MSS (88) to
	 * MAX_TCP_WINDOW (32767). */
	if (mss && (mss < 88 || mss > 32767))
		return -EINVAL;
	pcb->user_mss = (uint16_t)mss;
	return 0;
}

uint32_t tcp_get_maxseg(const struct tcp_pcb *pcb)
{
	switch (pcb->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		/* Linux: the user's value, else mss_cache, 536 (TCP_MSS_DEFAULT)
		 * until a handshake set it. */
		return pcb->user_mss ? pcb->user_mss : 536;
	default:
		return pcb->mss;
	}
}

uint16_t tcp_adv_mss(const struct tcp_pcb *pcb, const struct ip_addr *raddr)
{
	uint16_t mss = (uint16_t)(pcb->s->netif->mtu - tcp_hdrs_len(raddr));

	return pcb->user_mss && pcb->user_mss < mss ? pcb->user_mss : mss;
}

int tcp_set_congestion(struct tcp_pcb *pcb, const char *name)
{
	const struct tcp_cc_ops *cc = tcp_cc_find(name);

	if (!cc)
		return -ENOENT; /* Linux's answer for an algorithm it lacks */
	pcb->flags |= TF_USER_CC;
	if (cc != pcb->cc) {
		/* Linux tcp_reinit_congestion_control: the new one starts
		 * from nothing of the old one's. */
		pcb->cc = cc;
		memset(&pcb->cc_state, 0, sizeof(pcb->cc_state));
	}
	return 0;
}

const char *tcp_get_congestion(const struct tcp_pcb *pcb)
{
	/* Linux calls RFC 5681's algorithm "reno". */
	return pcb->cc == &tcp_cc_newreno ? "reno" : pcb->cc->name;
}

enum tcp_state tcp_get_state(const struct tcp_pcb *pcb)
{
	return pcb->state;
}

void tcp_inherit(struct tcp_pcb *pcb, const struct tcp_pcb *l)
{
	pcb->owner = l->owner;
	pcb->mem_ops = l->mem_ops;
	pcb->mem_arg = l->mem_arg;
	pcb->snd.size = l->snd.size;
	pcb->rcv.size = l->rcv.size;
	pcb->rcv_buf = l->rcv_buf;
	pcb->user_mss = l->user_mss;
	/* Linux: the listener's algorithm if one was set on it, else the
	 * stack's default of the moment (tcp_init_congestion_control). */
	if (l->flags & TF_USER_CC)
		pcb->cc = l->cc;
	/* The same for keepalive and the user timeout (Linux clones them
	 * with the socket when they were set on the listener). */
	if (l->flags & TF_USER_KA) {
		pcb->ka_idle_ms = l->ka_idle_ms;
		pcb->ka_intvl_ms = l->ka_intvl_ms;
		pcb->ka_probes = l->ka_probes;
	}
	if (l->flags & TF_USER_UTO)
		pcb->user_timeout_ms = l->user_timeout_ms;
	pcb->flags |= l->flags & (TF_USER_RCVBUF | TF_NODELAY | TF_USER_CC | TF_USER_KA |
				  TF_USER_UTO);
}

int tcp_shutdown(struct tcp_pcb *pcb)
{
	switch (pcb->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		tcp_set_state(pcb, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		tcp_set_state(pcb, TCP_LAST_ACK);
		break;
	default:
		return pcb->flags & TF_FIN_QUEUED ? 0 : -ENOTCONN;
	}
	pcb->flags |= TF_FIN_QUEUED;
	pcb->fin_seq = pcb->snd.head + pcb->snd.len;
	tcp_output(pcb);
	return 0;
}

void tcp_close(struct tcp_pcb *pcb)
{
	if (pcb_fresh(pcb)) {
		pcb_drop_fresh(pcb);
		return;
	}
	pcb->flags |= TF_DETACHED;
	if (pcb->state == TCP_LISTEN || pcb->state == TCP_SYN_SENT) {
		tcp_pcb_free(pcb, 0);
		return;
	}
	if (pcb->rcv.len) {
		/* RFC 2525 2.17: unread data is lost, say so with RST. */
		tcp_abort(pcb);
		return;
	}
	tcp_shutdown(pcb);
	if (pcb->state == TCP_FIN_WAIT_2)
		tcp_arm_misc(pcb, AX_TCP_FIN_WAIT2_MS);
	else if (pcb->state == TCP_TIME_WAIT)
		tcp_rings_release(pcb); /* see tcp_enter_time_wait */
}

void tcp_reset_conn(struct tcp_pcb *pcb)
{
	if (pcb->flags & TF_DEAD)
		return;
	if (pcb->state != TCP_LISTEN && pcb->state != TCP_SYN_SENT &&
	    pcb->state != TCP_TIME_WAIT)
		tcp_send_rst(pcb);
	tcp_pcb_free(pcb, -ECONNRESET);
}

void tcp_abort(struct tcp_pcb *pcb)
{
	if (pcb_fresh(pcb)) {
		pcb_drop_fresh(pcb);
		return;
	}
	pcb->flags |= TF_DETACHED;
	if (pcb->state != TCP_LISTEN && pcb->state != TCP_SYN_SENT &&
	    pcb->state != TCP_TIME_WAIT)
		tcp_send_rst(pcb);
	tcp_pcb_free(pcb, 0);
}

static void ka_fired(struct ax_timer *tm)
{
	struct tcp_pcb *pcb = ax_container_of(tm, struct tcp_pcb, ka_t);
	uint64_t now = tcp_now_ms(pcb);

	if (!pcb->ka_idle_ms || (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT))
		return;
	/* Heard from the peer lately, or data in flight (the RTO watches
	 * that): wait for the idle time to run out. */
	if (now - pcb->last_rx_ms < pcb->ka_idle_ms || pcb->snd_max != pcb->snd_una) {
		pcb->ka_sent = 0;
		timer_arm(&pcb->s->tcp->wheel, &pcb->ka_t,
			  (now - pcb->last_rx_ms < pcb->ka_idle_ms ? pcb->last_rx_ms : now) +
				  pcb->ka_idle_ms,
			  ka_fired);
		return;
	}
	if (pcb->ka_sent >= pcb->ka_probes) {
		stack_count(pcb->s, AX_C_tcp_keepalive_drops);
		tcp_send_rst(pcb);
		tcp_pcb_free(pcb, -ETIMEDOUT);
		return;
	}
	/* RFC 1122 4.2.3.6: an ACK for a byte already acknowledged (SEG.SEQ
	 * = SND.NXT - 1), with no data, makes the peer answer. */
	pcb->ka_sent++;
	stack_count(pcb->s, AX_C_tcp_keepalive_probes);
	pcb->snd_nxt--;
	tcp_send_ack(pcb);
	pcb->snd_nxt++;
	timer_arm(&pcb->s->tcp->wheel, &pcb->ka_t, now + pcb->ka_intvl_ms, ka_fired);
}

void tcp_keepalive_start(struct tcp_pcb *pcb)
{
	pcb->last_rx_ms = tcp_now_ms(pcb);
	if (pcb->ka_idle_ms)
		timer_arm(&pcb->s->tcp->wheel, &pcb->ka_t, pcb->last_rx_ms + pcb->ka_idle_ms,
			  ka_fired);
}

void tcp_set_keepalive(struct tcp_pcb *pcb, uint32_t idle_ms, uint32_t intvl_ms,
		       unsigned int probes)
{
	pcb->flags |= TF_USER_KA;
	pcb->ka_idle_ms = idle_ms;
	pcb->ka_intvl_ms = intvl_ms ? intvl_ms : 1000;
	pcb->ka_probes = (uint8_t)(probes > 255 ? 255 : probes);
	pcb->ka_sent = 0;
	if (!idle_ms)
		timer_cancel(&pcb->s->tcp->wheel, &pcb->ka_t);
	else if (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT)
		tcp_keepalive_start(pcb);
}

void tcp_set_user_timeout(struct tcp_pcb *pcb, uint32_t ms)
{
	pcb->flags |= TF_USER_UTO;
	pcb->user_timeout_ms = ms;
}

/* One output that lets a corked partial segment go (Linux's
 * TCP_NAGLE_PUSH): the cork stays in for what comes after. */
static void cork_push(struct tcp_pcb *pcb)
{
	if (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT)
		return;
	pcb->flags |= TF_CORK_PUSH;
	tcp_output(pcb);
	pcb->flags &= ~(uint32_t)TF_CORK_PUSH;
}

void tcp_set_nodelay(struct tcp_pcb *pcb, int on)
{
	if (on) {
		pcb->flags |= TF_NODELAY;
		/* What Nagle held goes now, and what a cork holds (Linux
		 * __tcp_sock_set_nodelay pushes even when corked). */
		cork_push(pcb);
	} else {
		pcb->flags &= ~(uint32_t)TF_NODELAY;
	}
}

void tcp_cork_fired(struct ax_timer *tm)
{
	cork_push(ax_container_of(tm, struct tcp_pcb, cork_t));
}

void tcp_set_cork(struct tcp_pcb *pcb, int on)
{
	if (on) {
		pcb->flags |= TF_CORK;
		return;
	}
	pcb->flags &= ~(uint32_t)TF_CORK;
	timer_cancel(&pcb->s->tcp->wheel, &pcb->cork_t);
	if (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT)
		tcp_output(pcb); /* Nagle permitting (Linux __tcp_sock_set_cork) */
}

void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_info_ax *i)
{
	memset(i, 0, sizeof(*i));
	i->laddr = pcb->laddr;
	i->raddr = pcb->raddr;
	i->lport = pcb->lport;
	i->rport = pcb->rport;
	i->state = pcb->state;
	i->snd_queued = pcb->snd.len;
	i->rcv_queued = pcb->rcv.len;
	i->cwnd = pcb->cwnd;
	i->ssthresh = pcb->ssthresh;
	i->snd_wnd = pcb->snd_wnd;
	i->mss = pcb->mss;
	i->srtt_us = pcb->srtt_us;
	i->rto_ms = pcb->rto_ms;
	i->bytes_in = pcb->bytes_in;
	i->bytes_out = pcb->bytes_out;
	i->retransmits = pcb->retransmits;
	i->admit_tag = pcb->admit_tag;
	i->admit_pending = !!(pcb->flags & TF_AUTH_PENDING);
}

void tcp_foreach(struct ax_stack *s, void (*fn)(void *arg, const struct tcp_pcb *pcb),
		 void *arg)
{
	struct tcp_pcb *p;
	unsigned int i;

	for (p = s->tcp->listeners; p; p = p->hnext)
		fn(arg, p);
	for (i = 0; i < AX_TCP_HASH_BUCKETS; i++)
		for (p = s->tcp->bucket[i]; p; p = p->hnext)
			fn(arg, p);
}

int tcp_foreach_from(struct ax_stack *s, uint32_t *pos, unsigned int buckets,
		     void (*fn)(void *arg, const struct tcp_pcb *pcb), void *arg)
{
	struct tcp_pcb *p;
	uint32_t i, end;

	/* *pos: 0 the listeners, then 1 + the next bucket. */
	if (*pos == 0) {
		for (p = s->tcp->listeners; p; p = p->hnext)
			fn(arg, p);
		*pos = 1;
		return 0;
	}
	end = *pos - 1 + buckets;
	if (end > AX_TCP_HASH_BUCKETS || buckets == 0)
		end = AX_TCP_HASH_BUCKETS;
	for (i = *pos - 1; i < end; i++)
		for (p = s->tcp->bucket[i]; p; p = p->hnext)
			fn(arg, p);
	*pos = end + 1;
	return end == AX_TCP_HASH_BUCKETS;
}
