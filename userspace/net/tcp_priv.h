/*
 * tcp_priv.h - TCP internals shared by tcp.c (control blocks, table,
 * API, timers), tcp_in.c (segment arrival) and tcp_out.c (segment
 * departure). Not for use outside userspace/net/tcp*.c.
 */
#ifndef AX_TCP_PRIV_H
#define AX_TCP_PRIV_H

#include <stdint.h>

#include "ip.h"
#include "opt.h"
#include "ring.h"
#include "tcp_cc.h"
#include "tcp.h"
#include "timer.h"

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t off;   /* data offset in the high nibble */
	uint8_t flags;
	uint16_t win, csum, urp;
} __attribute__((packed));

/* Options of one segment, as parsed. */
struct tcp_opts {
	uint16_t mss;       /* 0: absent */
	uint8_t ws;         /* shift, when ws_ok */
	uint8_t ws_ok, sack_ok, ts_ok;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct { uint32_t start, end; } sack[4];
};

/* Parse the options of a header of hlen bytes (hlen >= 20). Malformed
 * options (a length running past the header, a bad length for a known
 * kind) return -EINVAL; unknown kinds are skipped. */
int tcp_parse_opts(const uint8_t *hdr, size_t hlen, int syn, struct tcp_opts *o);

/* Our options, as every segment lays them out (tcp_out.c, and the SYN-ACK
 * of a SYN cookie): a SYN's MSS, then SACK-permitted and window scale
 * when sack / ws; the timestamps option (12 bytes). Each returns the
 * bytes written at o. */
size_t tcp_put_syn_opts(uint8_t *o, uint16_t mss, int sack, int ws);
size_t tcp_put_ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr);

/* Out-of-order ranges held (the first few go out as SACK blocks). Each
 * reordered or lost segment can open one; a burst of reordering opens
 * many, and a forgotten range is data the peer must send again. */
#define AX_TCP_MAX_OOO 32
#define AX_TCP_MAX_SACKED 16 /* ranges the peer SACKed that we remember */

enum {
	TF_ACK_NOW = 1 << 0,     /* send an ACK at the next output */
	TF_FIN_QUEUED = 1 << 1,  /* the application shut down its side */
	TF_NODELAY = 1 << 2,     /* Nagle off */
	TF_DETACHED = 1 << 3,    /* the application let go (tcp_close) */
	TF_RCVD_FIN = 1 << 4,    /* the peer's FIN is in */
	TF_LISTENER = 1 << 5,
	TF_ACCEPTED = 1 << 6,    /* the accepted callback ran */
	TF_DEAD = 1 << 7,        /* freed; memory goes at the next reap */
	TF_AUTH_ASKED = 1 << 8,  /* the admitter knows it (forget on free) */
	TF_AUTH_PENDING = 1 << 9,/* nothing goes out until tcp_admit_done */
	TF_COOKIE = 1 << 10,     /* made from a SYN cookie's ACK (tcp_cookie.c) */
	TF_USER_RCVBUF = 1 << 11,/* SO_RCVBUF was set: no autotuning */
	TF_REUSEPORT = 1 << 12,  /* listener in a reuse-port group */
	TF_RINGS = 1 << 13,      /* the rings have their memory */
	TF_USER_CC = 1 << 14,    /* TCP_CONGESTION was set (tcp_inherit) */
	TF_USER_KA = 1 << 15,    /* keepalive was set (tcp_inherit) */
	TF_USER_UTO = 1 << 16,   /* the user timeout was set (tcp_inherit) */
	TF_CORK = 1 << 17,       /* TCP_CORK: partial segments wait */
	TF_CORK_PUSH = 1 << 18,  /* one output lets them go (Linux TCP_NAGLE_PUSH) */
	TF_V6ONLY = 1 << 19,     /* listener on :: taking IPv6 only (TCP_LISTEN_V6ONLY) */
};

struct tcp_pcb {
	struct tcp_pcb *hnext, **hpprev; /* hash chain (or listener list) */
	struct ax_stack *s;
	/* Either family (IPv4 as ::ffff:a.b.c.d). A listener's laddr is
	 * what it is bound to (:: or ::ffff:0.0.0.0 for any). */
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;           /* host order */
	enum tcp_state state;
	uint32_t flags;

	/* Negotiated options. */
	uint8_t ws_ok, ts_ok, sack_ok, snd_wscale, rcv_wscale;
	uint16_t mss;                    /* payload bytes per segment */
	uint16_t pmtu;                   /* path MTU (RFC 1191, pmtu.h) */

	/* Send side: the ring holds bytes from snd.head == the sequence
	 * number of the first unacked data byte (after the SYN). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd, fin_seq;
	struct ring snd;
	/* The peer's SACKs (tcp_sack.h): sorted, disjoint, above snd_una. */
	struct { uint32_t start, end; } sacked[AX_TCP_MAX_SACKED];
	uint8_t n_sacked;
	uint32_t sacked_bytes;
	uint32_t high_rxt;               /* SACK recovery: holes below went again */

	/* Receive side: rcv.head is the first byte not yet read by the
	 * application, rcv.head + rcv.len == rcv_nxt; out-of-order bytes
	 * are written ahead in the same ring, their ranges in ooo[]. */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
	struct ring rcv;
	struct { uint32_t start, end; } ooo[AX_TCP_MAX_OOO];
	uint8_t n_ooo;
	/* A FIN that came ahead of a gap: taken when RCV.NXT reaches
	 * ooo_fin_seq (RFC 9293 3.10.7.4, eighth step). */
	uint8_t ooo_fin;
	uint32_t ooo_fin_seq;
	uint8_t unacked_segs;            /* full segments since our last ACK */
	uint16_t quickacks;              /* ACK every segment while > 0 */
	uint32_t ts_recent;

	/* Round trip (RFC 6298) and congestion (RFC 5681, RFC 6582). */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint8_t backoff, dupacks, in_recovery, rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start_ms;
	uint32_t cwnd, ssthresh, recover;
	const struct tcp_cc_ops *cc;
	struct tcp_cc_state cc_state;
	/* Congestion window validation (RFC 7661; Linux's
	 * tcp_cwnd_validate): whether the flight filled cwnd in the window
	 * ending at cwnd_usage_seq, the largest flight in it, the largest
	 * flight while not cwnd-limited and since when (cwnd_stamp_ms), and
	 * when data last went out (idle restart, RFC 5681 4.1). */
	uint8_t cwnd_limited;
	uint32_t cwnd_usage_seq, max_flight, cwnd_used;
	uint64_t cwnd_stamp_ms, last_send_ms;

	struct ax_timer rto_t;   /* retransmission, persist, SYN */
	struct ax_timer dack_t;  /* delayed ACK */
	struct ax_timer misc_t;  /* TIME_WAIT, FIN_WAIT_2 */
	struct ax_timer ka_t;    /* keepalive */
	struct ax_timer cork_t;  /* TCP_CORK's ceiling on a held partial segment */

	/* Keepalive (RFC 1122 4.2.3.6) and user timeout (RFC 9293 3.8.3). */
	uint32_t ka_idle_ms, ka_intvl_ms, user_timeout_ms;
	uint8_t ka_probes, ka_sent;
	uint8_t probes_out;      /* zero-window probes since the peer last spoke */
	uint64_t last_chack_ms;  /* our last challenge ACK (+1; 0: none yet) */
	uint64_t last_rx_ms;     /* an acceptable segment last came */
	uint64_t una_since_ms;   /* the oldest unacked data went out */

	const struct tcp_callbacks *cb;
	void *arg;
	struct tcp_pcb *listener;        /* until accepted */
	/* Half-open children of a listener, oldest first: the listener's
	 * hq_head/hq_tail, each child's hq_prev/hq_next. */
	struct tcp_pcb *hq_head, *hq_tail, *hq_prev, *hq_next;
	unsigned int backlog, pending;   /* listener only */
	/* Listener only, SYN cookies: the last one sent (0: never), and
	 * until when every SYN gets one (tcp_cookie.c). */
	uint64_t cookie_sent_ms, cookie_until_ms;

	uint64_t bytes_in, bytes_out, retransmits;
	uint64_t admit_tag;               /* tcp.h tcp_admit_tag */
	void *admit_ctx;
	/* The admitter that was asked: it is the one told at the end,
	 * even if the hooks changed meanwhile. */
	const struct tcp_admit_ops *admit_ops;
	void *admit_arg;

	/* The socket layer's (tcp.h): who owns it, where its rings' memory
	 * comes from (NULL: the engine's own, tcp_pcb_rings), the user's
	 * TCP_MAXSEG (0: none). */
	const void *owner;
	const struct tcp_mem_ops *mem_ops;
	void *mem_arg;
	uint16_t user_mss;
	uint16_t rcv_mss;        /* largest segment the peer sent (TCP_INFO) */
	/* The receive buffer: the window offers at most rcv_buf minus what
	 * is queued (rcv_buf <= rcv.size). Autotuned (Linux's DRS,
	 * tcp_rcv_space_adjust) unless TF_USER_RCVBUF: rcvq_space is what
	 * the application read in the last measured round trip, counted
	 * from stream offset rcvq_seq since rcvq_us. */
	uint32_t rcv_buf;
	uint32_t rcvq_space, rcvq_seq;
	uint64_t rcvq_us;
	/* A cookie connection's data that came while its admission was
	 * pending (tcp_cookie.c): in order from rcv_nxt, not acknowledged,
	 * at most AX_TCP_ADMIT_HOLD bytes and the window the SYN-ACK
	 * offered; taken in at the commit, freed with the connection. */
	uint8_t *held;
	uint32_t held_len, held_cap;
	uint8_t held_fin;
	/* For TCP_INFO. */
	uint64_t bytes_acked, last_data_rx_ms;
	uint32_t segs_in, segs_out, min_rtt_us;
};


/* Largest congestion window: the largest window TCP can use (RFC 7323
 * 2.3: 2^30 bytes); cwnd never grows past it, nor wraps. */
#define AX_TCP_CWND_MAX (1u << 30)

/* cwnd += inc, saturating at AX_TCP_CWND_MAX. */
static inline void tcp_cwnd_add(struct tcp_pcb *pcb, uint32_t inc)
{
	pcb->cwnd = pcb->cwnd >= AX_TCP_CWND_MAX || inc > AX_TCP_CWND_MAX - pcb->cwnd
			    ? AX_TCP_CWND_MAX
			    : pcb->cwnd + inc;
}

/* Was the flight limited by cwnd (so an ACK may grow it)? Linux's
 * tcp_is_cwnd_limited: it filled cwnd in the last window, or, in slow
 * start, cwnd is under twice the largest flight (slow start may double
 * what was used, no more). */
static inline int tcp_is_cwnd_limited(const struct tcp_pcb *pcb)
{
	if (pcb->cwnd_limited)
		return 1;
	return pcb->cwnd < pcb->ssthresh && pcb->cwnd / 2 < pcb->max_flight;
}

/* tcp.c */
struct tcp_table *tcp_tab(struct ax_stack *s);
struct tcp_pcb *tcp_lookup(struct ax_stack *s, const struct ip_addr *laddr, uint16_t lport,
			   const struct ip_addr *raddr, uint16_t rport);
struct tcp_pcb *tcp_lookup_listener(struct ax_stack *s, uint16_t lport);
struct tcp_pcb *tcp_pcb_new(struct ax_stack *s, const struct ip_addr *laddr,
			    const struct ip_addr *raddr, uint16_t lport, uint16_t rport);
/* SipHash-2-4 of n 64-bit words, for keys holding 16-byte addresses. */
uint64_t tcp_siphash(const uint64_t key[2], const uint64_t *m, unsigned int n);
/* Bytes of IP and TCP header in front of each segment's payload (no
 * options): 40 over IPv4, 60 over IPv6 (RFC 8200: a 40-byte header). */
static inline uint16_t tcp_hdrs_len(const struct ip_addr *raddr)
{
	return ip_addr_is_v4(raddr) ? 40 : 60;
}
/* Unhash, cancel timers, tell the application (closed, err) unless it let
 * go, and mark it TF_DEAD with state CLOSED. Its memory is released by
 * tcp_reap() once the current input or timer tick is over, so code up the
 * call chain may still look at pcb->state after a callback. */
void tcp_pcb_free(struct tcp_pcb *pcb, int err);
/* Allocate the rings (sizes set by tcp_pcb_new) if not yet: done when the
 * connection is established. 0 or -ENOMEM. */
int tcp_pcb_rings(struct tcp_pcb *pcb);
/* Give the rings' memory back (at the end, or in TIME_WAIT once the
 * application let go); the rings are then empty, with no buffer. */
void tcp_rings_release(struct tcp_pcb *pcb);
/* SipHash-2-4 of 16 bytes (the ISN's and the table's). */
uint64_t tcp_siphash16(const uint64_t key[2], uint64_t m0, uint64_t m1);
/* A listener's half-open queue: add a new child, take one out (it became
 * established or is freed). */
void tcp_halfopen_add(struct tcp_pcb *l, struct tcp_pcb *pcb);
void tcp_halfopen_del(struct tcp_pcb *pcb);
void tcp_reap(struct ax_stack *s);
/* Ask the admitter about a new connection (tcp.h struct
 * tcp_admit_ops): 0 go on, -EINPROGRESS wait (TF_AUTH_PENDING set), or
 * -EACCES. */
int tcp_admit_request(struct tcp_pcb *pcb, int inbound);
/* (Re)arm the TIME_WAIT / FIN_WAIT_2 timer: when it fires, pcb is freed. */
void tcp_arm_misc(struct tcp_pcb *pcb, uint32_t ms);
void tcp_delack_fired(struct ax_timer *tm);
void tcp_cork_fired(struct ax_timer *tm);
/* Start keepalive timing once a connection is established. */
void tcp_keepalive_start(struct tcp_pcb *pcb);
uint32_t tcp_isn(struct ax_stack *s, const struct tcp_pcb *pcb);
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st);
void tcp_arm_rto(struct tcp_pcb *pcb);
void tcp_enter_time_wait(struct tcp_pcb *pcb);
uint64_t tcp_now_ms(const struct tcp_pcb *pcb);
/* May a challenge ACK go to pcb now (RFC 5961 7 and what Linux does since
 * CVE-2016-5696: at most one per connection every
 * AX_TCP_INVALID_RATELIMIT_MS, and a stack-wide budget per second drawn
 * at random around the limit)? Counts what it refuses. */
int tcp_challenge_ack_allowed(struct tcp_pcb *pcb);

/* tcp_in.c, for tcp_cookie.c: a SYN's options applied to a new
 * connection; a connection becomes established (accepted, connected). */
void tcp_in_take_syn_opts(struct tcp_pcb *pcb, const struct tcp_opts *o);
void tcp_in_established(struct tcp_pcb *pcb);
/* An established connection takes data (and a FIN) that waited for its
 * admission at rcv_nxt, and acknowledges it at once. */
void tcp_in_take_held(struct tcp_pcb *pcb, const uint8_t *data, uint32_t len, int fin);

/* tcp_cookie.c: SYN cookies (RFC 4987 3.6). */
/* Should listener l answer this SYN with a cookie? */
int tcp_syncookie_wanted(struct ax_stack *s, struct tcp_pcb *l);
/* Answer a SYN with a cookie SYN-ACK (after the admitter's check()),
 * keeping nothing. */
void tcp_syncookie_syn(struct ax_stack *s, struct tcp_pcb *l, const struct ip_rx *rx,
		       const struct tcp_hdr *th, const uint8_t *seg, size_t hlen);
/* A segment that found no connection: 0 when it is no cookie's ACK (go on
 * as before); 1 when it returned a valid cookie: *out is then the new
 * connection, to take this segment as its handshake's ACK (or, waiting
 * for the admitter, to hold its data: tcp_syncookie_hold), or NULL when
 * nothing more is to be done with it (denied, no memory). */
int tcp_syncookie_ack(struct ax_stack *s, const struct ip_rx *rx, const struct tcp_hdr *th,
		      const uint8_t *seg, size_t hlen, struct tcp_pcb **out);
/* A segment for a cookie connection whose admission is pending: its
 * in-order data (and FIN) kept unacknowledged, bounded (tcp_cookie.c). */
void tcp_syncookie_hold(struct tcp_pcb *pcb, const struct tcp_hdr *th, const uint8_t *seg,
			size_t hlen, size_t len);
/* Free what tcp_syncookie_hold kept (at the commit, or with pcb). */
void tcp_syncookie_hold_free(struct tcp_pcb *pcb);
/* tcp_admit_done for a cookie connection. */
void tcp_syncookie_done(struct tcp_pcb *pcb, int err, uint64_t seq);

/* tcp_out.c */
/* Send what window and congestion allow, and an ACK if one is due. */
void tcp_output(struct tcp_pcb *pcb);
int tcp_send_ack(struct tcp_pcb *pcb);
int tcp_send_syn(struct tcp_pcb *pcb);  /* SYN or SYN-ACK, by state */
/* Resend one segment's worth from snd_una. */
void tcp_retransmit_first(struct tcp_pcb *pcb);
void tcp_send_rst(struct tcp_pcb *pcb);
/* RST in answer to a segment from src to dst (ours) with no connection
 * (RFC 9293 3.10.7.1). 0 when it left (or waits for ARP), else -errno. */
int tcp_reset_reply(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
		    const struct tcp_hdr *th, size_t datalen);
/* The same for a segment that no connection of ours has (a closed port,
 * an ACK to a listener), within the rate limits (opt.h AX_TCP_RST_*),
 * counted; never to a RST. Asks nobody (no admitter, no log). */
void tcp_reset_noconn(struct ax_stack *s, const struct ip_addr *src,
		      const struct ip_addr *dst, const struct tcp_hdr *th, size_t datalen);
/* tcp.c: the slot (0..n-1, n a power of two) of a remote address in a
 * table keyed by the stack's secret, so nobody can aim at one slot. */
unsigned int tcp_source_slot(const struct tcp_table *t, const struct ip_addr *raddr,
			     unsigned int n);
/* Window to advertise, in bytes, with receiver SWS avoidance. */
uint32_t tcp_rcv_window(struct tcp_pcb *pcb);
/* Free receive space the window may offer: the ring's, within rcv_buf. */
static inline uint32_t tcp_rcv_space(const struct tcp_pcb *pcb)
{
	return pcb->rcv_buf > pcb->rcv.len ? pcb->rcv_buf - pcb->rcv.len : 0;
}
/* tcp.c: the MSS we announce in a SYN to raddr (the interface's MTU less
 * the family's headers, or TCP_MAXSEG). */
uint16_t tcp_adv_mss(const struct tcp_pcb *pcb, const struct ip_addr *raddr);
/* tcp.c: a listener's settings passed on to a connection it makes. */
void tcp_inherit(struct tcp_pcb *pcb, const struct tcp_pcb *l);
/* The listener to take a SYN from raddr:rport to laddr:lport (the best
 * bound one, tcp_listen2; one of a reuse-port group by a keyed hash of
 * the 4-tuple), NULL if none. */
struct tcp_pcb *tcp_select_listener(struct ax_stack *s, const struct ip_addr *laddr,
				    uint16_t lport, const struct ip_addr *raddr, uint16_t rport);

#endif /* AX_TCP_PRIV_H */
