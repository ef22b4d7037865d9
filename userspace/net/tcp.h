/*
 * tcp.h - TCP (RFC 9293) for the engine: the connection API.
 *
 * Event-driven and non-blocking: the application registers callbacks and
 * reads/writes when told it can. A connection (struct tcp_pcb) is owned by
 * the TCP module; the application holds a pointer until its `closed`
 * callback runs (or until it calls tcp_close()/tcp_abort(), after which no
 * callback comes and the pointer must not be used).
 *
 * Costs: a connection allocates its control block when it is created and
 * two rings (sizes in opt.h) when it is established; segment processing
 * allocates nothing. A SYN answered with a SYN cookie allocates nothing.
 * Thread rules: those of the stack (single-threaded).
 */
#ifndef AX_TCP_H
#define AX_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"
#include "timer.h"

struct ax_stack;
struct tcp_pcb;
struct tcp_cc_ops;

/* The connection table: part of struct ax_stack, private to tcp*.c. */
struct tcp_table {
	struct tcp_pcb *bucket[AX_TCP_HASH_BUCKETS];
	struct tcp_pcb *listeners;
	struct ax_timer_wheel wheel;
	struct tcp_pcb *dead; /* freed during this input or tick, see tcp_reap */
	uint64_t isn_key[2];
	uint64_t hash_key[2];  /* the 4-tuple hash's SipHash key */
	uint32_t time_wait_ms; /* 2*MSL; AX_TCP_TIME_WAIT_MS unless changed */
	const struct tcp_cc_ops *cc; /* for new connections; CUBIC unless changed */
	/* Keepalive for new connections (0: off), see tcp_set_keepalive. */
	uint32_t ka_idle_ms, ka_intvl_ms, ka_probes;
	uint64_t chack_sec;      /* challenge ACKs: the current second, */
	uint32_t chack_count;    /* how many are left in it */
	uint64_t chack_key[2];   /* keys the per-second budget */
	/* User timeout for new connections (RFC 9293 3.8.3; 0: only the
	 * retry limit), AX_TCP_USER_TIMEOUT_MS unless changed. */
	uint32_t user_timeout_ms;
	unsigned int count;
	const struct tcp_admit_ops *admit; /* NULL: every connection may open */
	void *admit_arg;
	/* Resets for segments of no connection (tcp_reset_noconn): one
	 * bucket stack-wide, one per source slot (opt.h AX_TCP_RST_*). */
	struct tcp_rst_bucket {
		uint32_t addr;    /* the source a slot holds; 0: free */
		uint64_t tokens;  /* thousandths of a RST */
		uint64_t last_ms; /* of the last refill */
	} rst_all, rst_src[AX_TCP_RST_SOURCES];
	/* SYN cookies (tcp_cookie.c): the mode, the cookies' SipHash key,
	 * and the half-open connections of all listeners. */
	int syncookies; /* enum tcp_syncookies */
	uint64_t cookie_key[2];
	unsigned int halfopen;
};

/*
 * Admission of new connections: a generic, asynchronous hook (see
 * tcp_set_admit) through which a layer above (axnet's authorizer) decides
 * whether a connection may open; the engine knows nothing of why.
 * request() is asked once per connection, before anything is sent for it:
 * for an inbound one when its SYN arrives (before the SYN-ACK), for an
 * outbound one in tcp_connect (before the SYN); for one made from a SYN
 * cookie, when the ACK that returns the cookie arrives (its SYN-ACK, and
 * nothing else, has left: see check below). It returns 0 (go on now),
 * -EACCES (refused: inbound, the SYN is dropped without a word; outbound,
 * tcp_connect fails with -EACCES) or -EINPROGRESS (the answer comes later
 * through tcp_admit_done; nothing is sent until then). forget() is called
 * when a connection request() saw is freed, whatever its state, so the
 * hook's owner can drop its pointer and record the end.
 */
struct tcp_admit_ops {
	int (*request)(void *arg, struct tcp_pcb *pcb, int inbound);
	void (*forget)(void *arg, struct tcp_pcb *pcb);
	/*
	 * SYN cookies (optional: without check, no SYN is answered with a
	 * cookie while these hooks are installed). check() decides an
	 * inbound SYN that will be answered with a cookie: 0 (the SYN-ACK
	 * leaves, nothing is kept) or -EACCES (dropped without a word); it
	 * must allocate nothing and commit nothing. request(pcb, 1) comes
	 * later, when an ACK returns a valid cookie (the peer proved its
	 * address; the SYN-ACK has left, nothing else): until its answer
	 * nothing leaves and no data is taken; -EACCES then, or a later
	 * tcp_admit_done(-EACCES), resets the connection. Addresses network
	 * order, ports host order.
	 */
	int (*check)(void *arg, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
	/* Optional: nonzero while the admitter's commits queue up; new
	 * inbound connections then get SYN cookies. */
	int (*busy)(void *arg);
};

/* When a listener answers SYNs with SYN cookies (RFC 4987 3.6). AUTO:
 * under pressure (opt.h AX_TCP_SYNCOOKIE_*: the listener's half-open
 * queue, all listeners', the admitter's busy()), and for a while after. */
enum tcp_syncookies {
	TCP_SYNCOOKIES_AUTO = 0,
	TCP_SYNCOOKIES_NEVER,  /* a full half-open queue evicts its oldest */
	TCP_SYNCOOKIES_ALWAYS, /* every SYN */
};
void tcp_set_syncookies(struct ax_stack *s, enum tcp_syncookies mode);


enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

struct tcp_callbacks {
	/* Listener: a new connection is established. Set its callbacks with
	 * tcp_set_callbacks() here, or it is closed. */
	void (*accepted)(void *arg, struct tcp_pcb *pcb);
	/* Active open finished: err 0, -ECONNREFUSED, -ETIMEDOUT or -EACCES
	 * (the admitter said no). */
	void (*connected)(void *arg, struct tcp_pcb *pcb, int err);
	/* Data (or the peer's FIN: tcp_read() returns 0) can be read. */
	void (*readable)(void *arg, struct tcp_pcb *pcb);
	/* Send space was freed. */
	void (*writable)(void *arg, struct tcp_pcb *pcb);
	/* The connection is gone (err: 0, -ECONNRESET, -ETIMEDOUT); the
	 * pointer is invalid after this returns. */
	void (*closed)(void *arg, struct tcp_pcb *pcb, int err);
};

/* Install (or, with NULL, remove) the admission hooks. */
void tcp_set_admit(struct ax_stack *s, const struct tcp_admit_ops *ops, void *arg);
/* The answer to a request() that returned -EINPROGRESS: 0 with a tag
 * the admitter gives it (axnet's: the Axiom entry; the connection goes
 * on: SYN or SYN-ACK now), or -EACCES (inbound: freed silently; outbound:
 * connected(-EACCES), then freed). */
void tcp_admit_done(struct tcp_pcb *pcb, int err, uint64_t seq);
/* The admission of a connection: the tag it was admitted with (0: none
 * yet), and an opaque pointer the admitter may keep with it. */
uint64_t tcp_admit_tag(const struct tcp_pcb *pcb);
void *tcp_admit_ctx(const struct tcp_pcb *pcb);
void tcp_set_admit_ctx(struct tcp_pcb *pcb, void *ctx);

/* Summary of a connection, for `axnet conns`. */
struct tcp_info_ax {
	uint32_t laddr, raddr; /* network order */
	uint16_t lport, rport; /* host order */
	enum tcp_state state;
	uint32_t snd_queued, rcv_queued; /* bytes in the send/receive rings */
	uint32_t cwnd, ssthresh, snd_wnd, mss;
	uint32_t srtt_us, rto_ms;
	uint64_t bytes_in, bytes_out, retransmits;
	uint64_t admit_tag; /* tcp_admit_done's tag (axnet: the Axiom entry), 0: none */
	int admit_pending;  /* waiting for its admission */
};

const char *tcp_state_name(enum tcp_state st);

/* Listen on port (host order) on the stack's address. backlog bounds the
 * connections not yet established plus those not yet accepted. NULL and
 * errno (EADDRINUSE, ENOMEM) on failure. */
struct tcp_pcb *tcp_listen(struct ax_stack *s, uint16_t port, unsigned int backlog,
			   const struct tcp_callbacks *cb, void *arg);

/* Open a connection to raddr (network order):rport (host order). The
 * connected callback tells how it went. 0 or -errno. */
int tcp_connect(struct ax_stack *s, uint32_t raddr, uint16_t rport,
		const struct tcp_callbacks *cb, void *arg, struct tcp_pcb **out);

void tcp_set_callbacks(struct tcp_pcb *pcb, const struct tcp_callbacks *cb, void *arg);

/* Queue up to len bytes for sending; returns how many were taken (0 when
 * the send ring is full) or -ENOTCONN / -EPIPE. */
int tcp_write(struct tcp_pcb *pcb, const void *buf, size_t len);
/* Free space in the send ring. */
uint32_t tcp_sndbuf(const struct tcp_pcb *pcb);
/* Read up to len bytes: the count, 0 at end of stream, -EAGAIN when
 * nothing is there yet. */
int tcp_read(struct tcp_pcb *pcb, void *buf, size_t len);
/* Send FIN once the queued data is out (half-close). 0 or -ENOTCONN. */
int tcp_shutdown(struct tcp_pcb *pcb);
/* Shutdown and let go: TCP finishes the close on its own. */
void tcp_close(struct tcp_pcb *pcb);
/* Send RST and free now. */
void tcp_abort(struct tcp_pcb *pcb);
void tcp_set_nodelay(struct tcp_pcb *pcb, int on);
/* Keepalive (RFC 1122 4.2.3.6): after idle_ms without a segment from the
 * peer, probe every intvl_ms; after `probes` unanswered probes the
 * connection is dropped with closed(-ETIMEDOUT). idle_ms 0 turns it off. */
void tcp_set_keepalive(struct tcp_pcb *pcb, uint32_t idle_ms, uint32_t intvl_ms,
		       unsigned int probes);
/* User timeout (RFC 9293 3.8.3): drop the connection with -ETIMEDOUT when
 * sent data stays unacknowledged this long, or when the peer answers none
 * of our zero-window probes this long (a peer that answers them may keep
 * its window shut for ever, RFC 1122 4.2.2.17); 0 = only the retry limit
 * (AX_TCP_MAX_RETRIES retransmissions, or unanswered probes). New
 * connections take the stack's tcp_table.user_timeout_ms,
 * AX_TCP_USER_TIMEOUT_MS (5 minutes) unless changed. */
void tcp_set_user_timeout(struct tcp_pcb *pcb, uint32_t ms);

void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_info_ax *info);
/* Call fn for every connection and listener. */
void tcp_foreach(struct ax_stack *s, void (*fn)(void *arg, const struct tcp_pcb *pcb),
		 void *arg);
/*
 * The same walk in steps, for a caller that cannot take it all at once:
 * *pos is 0 at the start; each call visits the listeners (the first step)
 * or up to `buckets` hash buckets, whole, and moves *pos on. Returns 1 when
 * the walk is complete. No pointer is kept between steps, so connections
 * may come and go meanwhile: one that lives through the walk is visited
 * exactly once; others may or may not be.
 */
int tcp_foreach_from(struct ax_stack *s, uint32_t *pos, unsigned int buckets,
		     void (*fn)(void *arg, const struct tcp_pcb *pcb), void *arg);

/* Engine-internal: set-up, input from IPv4, timers. */
int tcp_init(struct ax_stack *s);
void tcp_fini(struct ax_stack *s);
void tcp_input(struct ax_stack *s, uint32_t src, uint32_t dst, const uint8_t *seg,
	       size_t len);
void tcp_timers(struct ax_stack *s);
/*
 * ICMP "fragmentation needed" (RFC 792 type 3 code 4) quoting a TCP segment
 * we sent to raddr (network order) from lport to rport (host order) with
 * sequence number seq, next-hop MTU mtu (host order). RFC 5927 4: acted
 * upon only when it names a connection and seq lies in SND.UNA..SND.MAX-1
 * (data still unacknowledged); then the path MTU drops to mtu (never below
 * AX_PMTU_MIN), the connection's MSS with it, and what was in flight goes
 * again at the new size (RFC 1191 6.4; Linux tcp_simple_retransmit).
 * Returns 1 lowered, 0 valid but nothing lower (a later copy for the same
 * burst), -EINVAL rejected (no such connection, sequence, MTU 0).
 */
int tcp_icmp_frag_needed(struct ax_stack *s, uint32_t raddr, uint16_t lport,
			 uint16_t rport, uint32_t seq, uint16_t mtu);

#endif /* AX_TCP_H */
