/*
 * sock.h - the socket layer: a socket table with BSD semantics over the
 * engine (TCP and UDP), in the daemon only. Programs reach it through
 * daemon/sockserv.c and libaxnet; the built-in services call it directly.
 *
 * Promises: negative errno everywhere, the same errno as Linux for the
 * same misuse (probed against the kernel: see tests/unit/test_sock.c's
 * errno table). Event-driven and non-blocking: the daemon's loop calls it;
 * nothing here blocks or sleeps (a "blocking" call is the caller's loop).
 *
 * Ownership: a struct sock belongs to the caller from sock_create or
 * sock_accept until sock_close (after which the pointer is invalid; the
 * connection may live on as the kernel's orphans do). The owner cred must
 * outlive the socket. sock_layer_close closes every socket.
 *
 * Ports (port.c): ephemeral ports from cfg's port_lo..port_hi chosen as
 * RFC 6056 algorithm 3 (a keyed hash of the 3-tuple plus a counter), each
 * candidate checked against bound sockets and the engine's connections
 * (TIME_WAIT included); -EADDRINUSE on a conflicting bind (and a bind to
 * port 0 with the range used up, as Linux), -EADDRNOTAVAIL when connect
 * finds no free port; at most one pass over the range (never a hang).
 * SO_REUSEADDR as Linux (a socket that is not listening, or a connection
 * in TIME_WAIT, does not block a bind), SO_REUSEPORT groups of one uid.
 * Ports below 1024 need uid 0 (Linux's ip_unprivileged_port_start).
 *
 * Costs: a socket is one allocation (plus, for UDP, its receive ring when
 * the first datagram comes); bind on an explicit TCP port without
 * SO_REUSEADDR walks the engine's connections once (TIME_WAIT check);
 * everything else is hashed. Thread rules: those of the stack.
 */
#ifndef AX_SOCK_H
#define AX_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "net/ipaddr.h"

struct ax_stack;
struct ax_cred;
struct tcp_pcb;
struct tcp_mem_ops;
struct tcp_ringview;

struct sock_layer;
struct sock;

struct sock_config {
	struct ax_stack *stack;
	uint16_t port_lo, port_hi; /* --ports; 0, 0: AX_PORT_LO..AX_PORT_HI */
	uint32_t ifindex;          /* the interface's: link-local scope ids
	                            * (sin6_scope_id); 0: any nonzero one */
};

/* 0, -EINVAL (lo > hi, lo 0), -ENOMEM. */
int sock_layer_open(struct sock_layer **out, const struct sock_config *cfg);
void sock_layer_close(struct sock_layer *l); /* closes every socket */

/*
 * A socket's owner is told of readiness changes (EPOLLIN/OUT/ERR/HUP/RDHUP
 * bits from <sys/epoll.h>): called on every transition and on every new
 * data/space, from inside the engine's callbacks. The callee may call
 * sock_close on this socket (the memory stays valid until the engine's
 * callback returns); other sockets it may use freely.
 */
typedef void (*sock_event_fn)(void *arg, struct sock *so, uint32_t events);

/* type SOCK_STREAM or SOCK_DGRAM (SOCK_NONBLOCK/SOCK_CLOEXEC ignored:
 * always non-blocking); others -ESOCKTNOSUPPORT as Linux. -ENOMEM. */
int sock_create(struct sock_layer *l, int type, const struct ax_cred *owner, struct sock **out);
/* The same for domain AF_INET or AF_INET6 (else -EAFNOSUPPORT); sock_create
 * is AF_INET. An AF_INET6 socket takes and gives sockaddr_in6 and, unless
 * IPV6_V6ONLY, IPv4 too (as ::ffff:a.b.c.d), as Linux's dual-stack ones. */
int sock_create_af(struct sock_layer *l, int domain, int type, const struct ax_cred *owner,
		   struct sock **out);
void sock_set_event(struct sock *so, sock_event_fn fn, void *arg);
void *sock_event_arg(const struct sock *so);
/* -EINVAL (bound already, short address), -EAFNOSUPPORT, -EADDRNOTAVAIL
 * (not our address), -EADDRINUSE, -EACCES (port < 1024, uid not 0). */
int sock_bind(struct sock *so, const struct sockaddr *sa, socklen_t len);
/* -EOPNOTSUPP (UDP), -EINVAL (connected), -EADDRINUSE. Backlog clamped to
 * 1..AX_SOMAXCONN; listen again changes it. Unbound: an ephemeral port. */
int sock_listen(struct sock *so, int backlog);
/* -EAGAIN; -EINVAL not listening; -EOPNOTSUPP UDP. The new socket
 * inherits owner, event function (arg too) and memory ops. */
int sock_accept(struct sock *so, struct sock **out);
/*
 * TCP: -EINPROGRESS, completion = EPOLLOUT (ok) or EPOLLERR (sock_error:
 * -EACCES policy, -ECONNREFUSED, -ETIMEDOUT, -ENETUNREACH); -EALREADY,
 * -EISCONN as Linux; 0 once it completed; after a failure the next call
 * returns the error (or -ECONNABORTED once read) and the one after starts
 * over. -ENETUNREACH (no route), -EADDRNOTAVAIL (no free port).
 * UDP: sets the default peer (0), AF_UNSPEC dissolves it.
 */
int sock_connect(struct sock *so, const struct sockaddr *sa, socklen_t len);
/* SHUT_RD/WR/RDWR; -EINVAL how; -ENOTCONN not connected (flags set
 * anyway, as Linux). A listener shut for reading stops listening. */
int sock_shutdown(struct sock *so, int how);
/* Linux: unread data -> RST; SO_LINGER{1,0} -> RST; else FIN after queued
 * data; the pcb lives on (orphan) as the kernel's. */
void sock_close(struct sock *so);
/* SOL_SOCKET: SO_ERROR (get), SO_TYPE, SO_ACCEPTCONN, SO_DOMAIN,
 * SO_PROTOCOL (get), SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF (get
 * doubles, as Linux), SO_KEEPALIVE, SO_LINGER, SO_RCVTIMEO, SO_SNDTIMEO
 * (kept for the library), IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_MAXSEG, TCP_INFO
 * (get), TCP_CONGESTION. -ENOPROTOOPT unknown (and TCP options on UDP),
 * -EINVAL short or bad value, -ENOENT unknown congestion control. */
int sock_setsockopt(struct sock *so, int level, int name, const void *val, socklen_t len);
int sock_getsockopt(struct sock *so, int level, int name, void *val, socklen_t *len);
/* The socket's family's sockaddr (sockaddr_in6 for AF_INET6, IPv4 as
 * ::ffff:a.b.c.d); *len set to its size, copy truncated to the caller's
 * *len as Linux. getpeername: -ENOTCONN. */
int sock_getsockname(struct sock *so, struct sockaddr *sa, socklen_t *len);
int sock_getpeername(struct sock *so, struct sockaddr *sa, socklen_t *len);
uint32_t sock_poll(const struct sock *so); /* current EPOLL* mask (tcp_poll, datagram_poll) */
int sock_error(struct sock *so);           /* SO_ERROR: -errno or 0, cleared */
int sock_error_peek(const struct sock *so); /* the same, left pending */
int sock_type(const struct sock *so);
uint32_t sock_ifindex(const struct sock *so); /* sock_config's ifindex */
uint32_t sock_layer_ifindex(const struct sock_layer *l); /* the same, per layer */
/*
 * Copying data path (built-in services, unit tests). flags: MSG_PEEK,
 * MSG_TRUNC (TCP: discard; UDP recv: return the datagram's length),
 * MSG_DONTWAIT (always non-blocking anyway), MSG_NOSIGNAL (the caller
 * raises SIGPIPE, not this layer). send: bytes taken (TCP: maybe fewer,
 * -EAGAIN when none fit), -EPIPE, -ENOTCONN... as Linux; UDP: the whole
 * datagram or an error (-EMSGSIZE past 65507 bytes or past the MTU: the
 * engine does not fragment; -EDESTADDRREQ; -EACCES: the policy said no).
 * A pending error (sock_error) is returned first by send and recv.
 */
ssize_t sock_send(struct sock *so, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen);
ssize_t sock_recv(struct sock *so, void *buf, size_t len, int flags, struct sockaddr *from,
		  socklen_t *fromlen); /* -EAGAIN, 0 at EOF */
/*
 * Zero-copy path (sockserv): memory for this socket's buffers, inherited
 * by accepted sockets. TCP: passed to tcp_set_mem; then sockserv uses
 * tcp_snd_view/tcp_snd_produced/... on sock_pcb(so). UDP: the receive
 * queue is a ring of records (include/axnet/ipc.h struct axipc_dgram +
 * payload, 8-byte aligned, never wrapping: a pad record (family 0xffff)
 * or, when fewer than 24 bytes are left before the end, nothing, and the
 * consumer skips to the start) in memory from the same ops (alloc with
 * pcb NULL, is_rcv 1), sized by SO_RCVBUF; sock_dgram_rx_view() and
 * sock_dgram_rx_consumed() as for TCP (free-running byte offsets, pads and
 * skipped tails included); sending goes through sock_send.
 */
void sock_set_mem(struct sock *so, const struct tcp_mem_ops *ops, void *arg);
struct tcp_pcb *sock_pcb(struct sock *so); /* NULL unless connected TCP */
void sock_dgram_rx_view(const struct sock *so, struct tcp_ringview *v);
int sock_dgram_rx_consumed(struct sock *so, uint32_t n); /* -EINVAL n > len */
/*
 * The table, for `axnet conns`: every socket, listening and connected,
 * TCP and UDP, with owner, queues and the Axiom entry. Stepwise walk as
 * tcp_foreach_from: *pos 0 at the start, up to n table slots a call,
 * returns 1 when complete. Sockets closed (orphans) are the engine's.
 */
struct sock_info {
	int type;
	int family; /* AF_INET, AF_INET6 */
	int state; /* TCP state (enum tcp_state) or -1 */
	struct ip_addr laddr, raddr; /* raddr any: no peer */
	uint16_t lport, rport;       /* host order */
	uint32_t rx_queued, tx_queued;
	uint64_t admit_tag;
	int admit_pending;
	const struct ax_cred *owner;
};
int sock_foreach_from(struct sock_layer *l, uint32_t *pos, unsigned int n,
		      void (*fn)(void *arg, const struct sock_info *si), void *arg);

#endif /* AX_SOCK_H */
