/*
 * sock_priv.h - the socket layer's insides, shared by sock.c (table,
 * common calls), sock_tcp.c, sock_udp.c and port.c. Nothing outside sock/
 * includes it.
 */
#ifndef AX_SOCK_PRIV_H
#define AX_SOCK_PRIV_H

#include <stdint.h>
#include <sys/time.h>

#include "sock.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

/* Bound sockets by (protocol, port): conflict checks and port choice. */
#define SOCK_BHASH 1024u

enum sock_state {
	SS_NEW,        /* no port */
	SS_BOUND,      /* a port, no connection (TCP), or a UDP socket */
	SS_LISTEN,     /* TCP listener */
	SS_CONNECTING, /* TCP SYN sent (or its admission pending) */
	SS_CONNECTED,  /* TCP: the connection is established or later */
	SS_FAILED,     /* TCP: the connect failed; the next connect says so */
	SS_DONE,       /* TCP: the connection is gone (reset, closed) */
};

enum { SHUT_RD_F = 1, SHUT_WR_F = 2 };

struct sock {
	struct sock_layer *l;
	int type;             /* SOCK_STREAM, SOCK_DGRAM */
	int family;           /* AF_INET or AF_INET6 (addr.c speaks it) */
	int v6only;           /* IPV6_V6ONLY: AF_INET6 without IPv4 */
	enum sock_state state;
	const struct ax_cred *owner;
	sock_event_fn ev;
	void *ev_arg;
	uint32_t slot;        /* index in the layer's table */
	int closed;           /* sock_close ran: freed when the callbacks unwind */
	struct sock *dead_next;

	/* Addresses (IPv4 mapped, whatever the socket's family); ports host
	 * order. laddr unbound: the family's any (sock_any); raddr: any when
	 * there is no peer. */
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;
	int bound;            /* in the bind hash */
	int explicit_bind;    /* bind() chose the port (not connect's autobind) */
	struct sock *bnext;

	int err;              /* pending SO_ERROR, -errno */
	int shut;             /* SHUT_RD_F | SHUT_WR_F */
	int reuseaddr, reuseport, keepalive, nodelay;
	int cork;                  /* TCP_CORK */
	uint32_t ka_idle, ka_intvl, ka_cnt, user_timeout, maxseg;
	char cc[16];
	uint32_t sndbuf, rcvbuf; /* user's SO_SNDBUF/SO_RCVBUF, 0 unset */
	struct linger linger;
	struct timeval rcvtimeo, sndtimeo;
	const struct tcp_mem_ops *mem;
	void *mem_arg;

	/* TCP */
	struct tcp_pcb *pcb;  /* listener or connection; NULL when gone */
	int was_connected;    /* recv returns 0 (not -ENOTCONN) once gone */
	int fin_seen;         /* the peer's FIN came (Linux SOCK_DONE): recv
	                       * says 0 before a later RST's error */
	struct sock *aq_first, *aq_last; /* listener: established, not yet accepted */
	unsigned int aq_len, backlog;
	struct sock *aq_next;
	struct sock *listener; /* an accepted socket still in its listener's queue */

	/* UDP */
	struct udp_pcb upcb;
	uint8_t *rq;          /* receive ring of records (sock_udp.c) */
	uint32_t rq_size, rq_head, rq_tail; /* free-running offsets */
};

struct sock_layer {
	struct ax_stack *s;
	uint32_t ifindex;       /* sock_config's: link-local scope ids */
	uint16_t port_lo, port_hi;
	uint64_t port_key[2];   /* RFC 6056 F(): SipHash key */
	uint32_t port_next;     /* RFC 6056 algorithm 3's next_ephemeral */
	struct sock **tab;      /* the table; NULL: free slot */
	uint32_t ntab, cap;
	uint32_t *free_slots;
	uint32_t nfree;
	struct sock *bhash[2][SOCK_BHASH]; /* [0] TCP, [1] UDP */
	unsigned int depth;     /* inside engine callbacks */
	struct sock *dead;      /* closed inside callbacks: freed on unwind */
};

/* sock.c */
void sock_notify(struct sock *so);
void sock_enter(struct sock_layer *l);
void sock_leave(struct sock_layer *l);
struct sock *sock_alloc(struct sock_layer *l, int type, const struct ax_cred *owner);
void sock_free(struct sock *so);
/* The any address of so's family: :: for AF_INET6 (both families unless
 * V6ONLY), ::ffff:0.0.0.0 for AF_INET. */
static inline struct ip_addr sock_any(const struct sock *so)
{
	return so->family == AF_INET6 ? ip_addr_any6 : ip_addr_any4;
}
/* An int option value: -EINVAL unless val holds one. */
int sock_opt_int(const void *val, socklen_t len, int *out);

/* port.c */
int port_bind(struct sock *so, const struct ip_addr *laddr, uint16_t port);
int port_autobind(struct sock *so);
int port_for_connect(struct sock *so, const struct ip_addr *raddr, uint16_t rport,
		     uint16_t *out);
void port_connect_bound(struct sock *so, uint16_t port);
void port_unbind(struct sock *so);
int port_unbind_auto(struct sock *so);

/* sock_tcp.c */
int tcp_sock_listen(struct sock *so, int backlog);
int tcp_sock_accept(struct sock *so, struct sock **out);
int tcp_sock_connect(struct sock *so, const struct ip_addr *raddr, uint16_t rport);
int tcp_sock_shutdown(struct sock *so, int how);
void tcp_sock_close(struct sock *so);
uint32_t tcp_sock_poll(const struct sock *so);
ssize_t tcp_sock_send(struct sock *so, const void *buf, size_t len, int flags);
ssize_t tcp_sock_recv(struct sock *so, void *buf, size_t len, int flags);
int tcp_sock_setopt(struct sock *so, int name, const void *val, socklen_t len);
int tcp_sock_getopt(struct sock *so, int name, void *val, socklen_t *len);
void tcp_sock_bufsize(struct sock *so);

/* sock_udp.c */
void udp_sock_init(struct sock *so);
int udp_sock_connect(struct sock *so, const struct sockaddr *sa, socklen_t len);
int udp_sock_shutdown(struct sock *so, int how);
void udp_sock_close(struct sock *so);
uint32_t udp_sock_poll(const struct sock *so);
ssize_t udp_sock_send(struct sock *so, const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen);
ssize_t udp_sock_recv(struct sock *so, void *buf, size_t len, int flags, struct sockaddr *from,
		      socklen_t *fromlen);
uint32_t udp_sock_rcvbuf(const struct sock *so);

/* addr.c: a user address for so (its family's sockaddr) as an engine
 * address and a host-order port: 0, 1 (AF_UNSPEC where Linux takes it as
 * no address: sendto on AF_INET6) or -errno as Linux answers op. */
enum { SOCK_ADDR_BIND, SOCK_ADDR_CONNECT_TCP, SOCK_ADDR_CONNECT_UDP, SOCK_ADDR_SENDTO };
int sock_addr_get(const struct sock *so, const struct sockaddr *sa, socklen_t len, int op,
		  struct ip_addr *a, uint16_t *port);
/* a:port as so's family shows it (IPv4 mapped on AF_INET6, a link-local
 * address with our ifindex as its scope), truncated to *len as Linux;
 * *len set to the full size. */
void sock_addr_put(const struct sock *so, const struct ip_addr *a, uint16_t port,
		   struct sockaddr *sa, socklen_t *len);

#endif /* AX_SOCK_PRIV_H */
