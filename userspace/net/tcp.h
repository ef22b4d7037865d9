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
 * two rings (sizes in opt.h, or SO_SNDBUF/SO_RCVBUF) when it is
 * established, never at the SYN; large rings are mmap'd, so pages the
 * peer never filled cost nothing (the receive window starts at 64 KiB and
 * grows as the application reads, see tcp_set_bufsize); the rings go back
 * when the connection is freed, or in TIME_WAIT once the application let
 * go. Segment processing allocates nothing. A SYN answered with a SYN
 * cookie allocates nothing.
 * Thread rules: those of the stack (single-threaded).
 */
#ifndef AX_TCP_H
#define AX_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"
#include "opt.h"
#include "timer.h"

struct ax_stack;
struct ip_rx;
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
		struct ip_addr addr; /* the source a slot holds; :: free */
		uint64_t tokens;  /* thousandths of a RST */
		uint64_t last_ms; /* of the last refill */
	} rst_all, rst_src[AX_TCP_RST_SOURCES];
	/* SYN cookies (tcp_cookie.c): the mode, the cookies' SipHash key,
	 * and the half-open connections of all listeners. */
	int syncookies; /* enum tcp_syncookies */
	uint64_t cookie_key[2];
	unsigned int halfopen;
	/* Bytes allocated for data held by cookie connections waiting for
	 * their admission (tcp_cookie.c), at most AX_TCP_ADMIT_HOLD_ALL. */
	uint64_t held_bytes;
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
	 * tcp_admit_done(-EACCES), resets the connection. Addresses of
	 * either family (ipaddr.h: IPv4 as ::ffff:a.b.c.d), ports host
	 * order. owner: the listener's (tcp_owner), which the connection
	 * will inherit.
	 */
	int (*check)(void *arg, const struct ip_addr *laddr, uint16_t lport,
		     const struct ip_addr *raddr, uint16_t rport, const void *owner);
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
	/* The connection is gone (err: 0, -ECONNRESET, -ETIMEDOUT; -EPIPE
	 * for a RST in CLOSE_WAIT, as Linux); the pointer is invalid after
	 * this returns. */
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
	struct ip_addr laddr, raddr; /* either family */
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

/* Listen on port (host order) on all our addresses, both families.
 * backlog bounds the connections not yet established plus those not yet
 * accepted. NULL and errno (EADDRINUSE, ENOMEM) on failure. */
struct tcp_pcb *tcp_listen(struct ax_stack *s, uint16_t port, unsigned int backlog,
			   const struct tcp_callbacks *cb, void *arg);

/* Open a connection to raddr:rport (host order) from the source address
 * stack_src_select picks. The connected callback tells how it went. 0 or
 * -errno (-EADDRNOTAVAIL: no usable address of raddr's family). */
int tcp_connect(struct ax_stack *s, const struct ip_addr *raddr, uint16_t rport,
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
/* Reset a connection on another's behalf (the admitter revoking it): RST
 * to the peer, and its application told through closed(-ECONNRESET)
 * (unless it let go already), so the socket above sees ECONNRESET. */
void tcp_reset_conn(struct tcp_pcb *pcb);
void tcp_set_nodelay(struct tcp_pcb *pcb, int on);
/* TCP_CORK (Linux tcp(7)): while on, a segment shorter than the MSS is
 * not sent, whatever Nagle and TCP_NODELAY say, until more data fills it,
 * the cork is pulled (off: what waits goes, Nagle permitting), TCP_NODELAY
 * is set, a FIN follows it, or it has waited AX_TCP_CORK_MS. */
void tcp_set_cork(struct tcp_pcb *pcb, int on);
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

/* --- for the socket layer (sock/) ------------------------------------- */

/*
 * Who owns a connection (opaque to the engine; axnet: const struct ax_cred
 * *). Inherited by the connections a listener makes (half-open ones and
 * those made from SYN cookies too). The owner must outlive its use: set
 * NULL before it goes.
 */
void tcp_set_owner(struct tcp_pcb *pcb, const void *owner);
const void *tcp_owner(const struct tcp_pcb *pcb);

/*
 * Ring memory: by default malloc'd (mmap'd from 64 KiB up, so that a
 * closed connection gives its pages back) by the engine when the
 * connection is established, never at the SYN. A layer above may supply
 * it (the socket layer: a program's shared memory). alloc returns NULL
 * when out of memory (the connection is then reset, as for ENOMEM:
 * connected(-ENOMEM) for an active open). free is called once for each
 * successful alloc, when the connection's memory is released: after its
 * closed callback, or when it enters TIME_WAIT after tcp_close, so from
 * inside tcp_close, input or timer processing; it must not call into the
 * engine. Inherited by a listener's connections. size is a power of two.
 * ops and arg must outlive every connection using them. Set it before
 * establishment: once the rings have memory, tcp_set_mem changes nothing.
 */
struct tcp_mem_ops {
	void *(*alloc)(void *arg, struct tcp_pcb *pcb, uint32_t size, int is_rcv);
	void (*free)(void *arg, struct tcp_pcb *pcb, void *mem, uint32_t size, int is_rcv);
};
void tcp_set_mem(struct tcp_pcb *pcb, const struct tcp_mem_ops *ops, void *arg);

/*
 * SO_SNDBUF / SO_RCVBUF (bytes; 0 leaves that side as it is), rounded up
 * to a power of two and clamped to AX_TCP_BUF_MIN..AX_TCP_BUF_MAX (opt.h).
 * Before establishment they size the rings; after it the rings stay, and
 * rcv only sets the receive window's limit (at most the ring). 0 or
 * -EINVAL (a listener passes them on to its connections). Defaults
 * AX_TCP_SNDBUF / AX_TCP_RCVBUF.
 *
 * Receive-window autotuning (Linux tcp_rcv_space_adjust, Dynamic Right-
 * Sizing): the advertised window starts at AX_TCP_RCVWND_INIT and grows
 * toward the ring size as the application drains it fast enough (twice
 * what it read in the last round trip); off once SO_RCVBUF was set
 * (as Linux: the user's size is the window). tcp_get_bufsize reports the
 * send ring's size and the receive buffer's current limit (the user's
 * size, or the autotuned one, as Linux's SO_RCVBUF grows); Linux's
 * getsockopt doubles them: the caller's business.
 */
int tcp_set_bufsize(struct tcp_pcb *pcb, uint32_t snd, uint32_t rcv);
void tcp_get_bufsize(const struct tcp_pcb *pcb, uint32_t *snd, uint32_t *rcv);

/*
 * Zero-copy access for the socket layer (rings live in memory it
 * supplied): the send ring's unsent-or-unacked bytes [head, head+len) and
 * the free space after them; the receive ring's readable bytes [head,
 * head+len). Offsets are 32-bit stream offsets (wrap like sequence
 * numbers); byte x is at buf[x & (size - 1)]. buf is NULL (and size,
 * len 0) before the rings exist (not yet established).
 */
struct tcp_ringview {
	uint8_t *buf;
	uint32_t size, head, len;
};
void tcp_snd_view(const struct tcp_pcb *pcb, struct tcp_ringview *v);
void tcp_rcv_view(const struct tcp_pcb *pcb, struct tcp_ringview *v);
/* Someone wrote n more bytes at the send ring's tail (after head+len):
 * take them, send when allowed. 0, -EINVAL when n > free space (nothing
 * changes), -EPIPE / -ENOTCONN as tcp_write. */
int tcp_snd_produced(struct tcp_pcb *pcb, uint32_t n);
/* The application consumed n bytes at the receive ring's head: window
 * update as tcp_read does. 0, or -EINVAL when n > len (nothing changes). */
int tcp_rcv_consumed(struct tcp_pcb *pcb, uint32_t n);

/*
 * Local endpoints. tcp_listen2 listens on (laddr, port). laddr (NULL is
 * ::) decides which SYNs it takes, as Linux's sockets: :: (ip_addr_any6)
 * both families, unless flags has TCP_LISTEN_V6ONLY (IPV6_V6ONLY);
 * ::ffff:0.0.0.0 (ip_addr_any4) IPv4 only; one of our addresses, SYNs to
 * that address (another is -EADDRNOTAVAIL). A SYN goes to the listener
 * bound to its very destination, else to a wildcard one (an IPv4 one
 * before a dual-stack one, as Linux's compute_score). Two listeners on a
 * port may not take a SYN in common (-EADDRINUSE) unless both set
 * TCP_LISTEN_REUSEPORT (SO_REUSEPORT; flags 1 is that, for callers
 * passing a boolean); those bound to the same address make a reuse-port
 * group, and a SYN goes to one of them chosen by a keyed SipHash of its
 * 4-tuple (as Linux's reuseport group). NULL and errno (EADDRINUSE,
 * EADDRNOTAVAIL, ENOMEM) on failure. tcp_listen is tcp_listen2(s, NULL,
 * port, backlog, 0, cb, arg).
 */
#define TCP_LISTEN_REUSEPORT 0x1
#define TCP_LISTEN_V6ONLY 0x2
struct tcp_pcb *tcp_listen2(struct ax_stack *s, const struct ip_addr *laddr, uint16_t port,
			    unsigned int backlog, int flags, const struct tcp_callbacks *cb,
			    void *arg);
/* Connect from local port lport (host order; the socket layer chose it,
 * RFC 6056) and the address stack_src_select picks for raddr. 0 or
 * -errno: -EADDRINUSE when the 4-tuple is busy (tcp_tuple_busy), -EINVAL
 * for port 0, -EADDRNOTAVAIL (no source of raddr's family), -EACCES
 * (admitter), -ENOMEM. tcp_connect picks an ephemeral port itself and
 * calls this. It is tcp_new + tcp_connect_pcb. */
int tcp_connect2(struct ax_stack *s, uint16_t lport, const struct ip_addr *raddr,
		 uint16_t rport,
		 const struct tcp_callbacks *cb, void *arg, struct tcp_pcb **out);
/*
 * The same in two steps (lwIP's tcp_new + tcp_connect), for a caller that
 * must set things before the SYN: the owner (the admitter's request() is
 * asked inside the connect and may look at tcp_owner), ring memory,
 * buffer sizes (the SYN's window), TCP_MAXSEG (the SYN's MSS),
 * congestion control. tcp_new: a CLOSED connection, in no table, NULL and
 * errno ENOMEM; let go of it with tcp_abort (or tcp_close) if it is never
 * connected: it costs nothing else and sends nothing.
 * tcp_connect_pcb: as tcp_connect2, from the address tcp_bind_addr gave
 * (a socket bound to one of ours), else the one stack_src_select picks;
 * on an error return pcb is freed (but for a pcb that is not tcp_new's,
 * unconnected: -EISCONN if it is connected, -EINVAL otherwise, and it is
 * left as it is). tcp_bind_addr: the local address of a tcp_new
 * connection: one of our usable addresses (-EADDRNOTAVAIL otherwise), or
 * any (NULL, ::, ::ffff:0.0.0.0: chosen at the connect); -EINVAL when pcb
 * is not a fresh tcp_new one.
 */
struct tcp_pcb *tcp_new(struct ax_stack *s);
int tcp_bind_addr(struct tcp_pcb *pcb, const struct ip_addr *laddr);
int tcp_connect_pcb(struct tcp_pcb *pcb, uint16_t lport, const struct ip_addr *raddr,
		    uint16_t rport, const struct tcp_callbacks *cb, void *arg);
/* Is this 4-tuple (laddr, lport, raddr, rport) used by a connection,
 * TIME_WAIT included? laddr NULL or any: the address a connect to raddr
 * would start from (stack_src_select; 0 when there is none). 1 or 0
 * (RFC 6056 collision check). */
int tcp_tuple_busy(struct ax_stack *s, const struct ip_addr *laddr, uint16_t lport,
		   const struct ip_addr *raddr, uint16_t rport);
/* The local and remote endpoints (the listener's: its bound address). */
const struct ip_addr *tcp_laddr(const struct tcp_pcb *pcb);
const struct ip_addr *tcp_raddr(const struct tcp_pcb *pcb);

/*
 * Per-connection options. TCP_MAXSEG: before the handshake it clamps the
 * MSS we announce and use: 0 (no clamp) or 88..32767 (Linux's TCP_MIN_MSS
 * and MAX_TCP_WINDOW), else -EINVAL; after the handshake it is taken and
 * has no effect (as Linux). tcp_get_maxseg: the MSS in use once
 * established; before, the user's value or 536 (Linux's answers).
 * TCP_CONGESTION by name (tcp_cc.h: "cubic", "reno"/"newreno"): 0 or
 * -ENOENT (Linux's errno for an unknown one); tcp_get_congestion gives
 * Linux's names ("reno" for RFC 5681's). A listener passes both on (its
 * algorithm only if one was set on it, else its connections take the
 * stack's default, as Linux; so do keepalive, the user timeout and
 * TCP_NODELAY set on a listener). SO_LINGER {1,0} is the caller's
 * tcp_abort.
 */
int tcp_set_maxseg(struct tcp_pcb *pcb, uint32_t mss);
uint32_t tcp_get_maxseg(const struct tcp_pcb *pcb);
int tcp_set_congestion(struct tcp_pcb *pcb, const char *name);
const char *tcp_get_congestion(const struct tcp_pcb *pcb);
enum tcp_state tcp_get_state(const struct tcp_pcb *pcb);

/*
 * TCP_INFO in Linux's layout. NOTE: <netinet/tcp.h> cannot be included
 * next to this header (its TCP_ESTABLISHED, TCP_LISTEN, ... enumerators
 * clash with enum tcp_state): take TCP_NODELAY, TCP_INFO, ..., and struct
 * tcp_info from <linux/tcp.h>, the kernel's layout, of which glibc's
 * struct tcp_info is the first 104 bytes. tcp_get_linux_info fills the
 * whole kernel struct (as this system's <linux/tcp.h> has it);
 * tcp_get_linux_info_len fills the first len bytes of it (getsockopt's
 * min(len, sizeof)) and returns how many it wrote. (The level is
 * IPPROTO_TCP: SOL_TCP, the same 6, is netinet/tcp.h's.)
 */
struct tcp_info;
void tcp_get_linux_info(const struct tcp_pcb *pcb, struct tcp_info *out);
size_t tcp_get_linux_info_len(const struct tcp_pcb *pcb, void *out, size_t len);

/* Engine-internal: set-up, input from the IP layer (either family),
 * timers. */
int tcp_init(struct ax_stack *s);
void tcp_fini(struct ax_stack *s);
void tcp_input(struct ax_stack *s, const struct ip_rx *rx);
void tcp_timers(struct ax_stack *s);
/*
 * ICMP "fragmentation needed" (RFC 792 type 3 code 4) or ICMPv6 "packet
 * too big" (RFC 4443 3.2) quoting a TCP segment we sent from laddr:lport
 * to raddr:rport (ports host order) with sequence number seq, next-hop
 * MTU mtu (host order). RFC 5927 4: acted upon only when it names a
 * connection and seq lies in SND.UNA..SND.MAX-1 (data still
 * unacknowledged); then the path MTU drops to mtu (never below
 * AX_PMTU_MIN, IPv6's AX_PMTU_MIN6: RFC 8201 4), the connection's MSS with
 * it, and what was in flight goes again at the new size (RFC 1191 6.4;
 * Linux tcp_simple_retransmit). Returns 1 lowered, 0 valid but nothing
 * lower (a later copy for the same burst), -EINVAL rejected (no such
 * connection, sequence, MTU 0).
 */
int tcp_icmp_frag_needed(struct ax_stack *s, const struct ip_addr *laddr,
			 const struct ip_addr *raddr, uint16_t lport, uint16_t rport,
			 uint32_t seq, uint32_t mtu);

#endif /* AX_TCP_H */
