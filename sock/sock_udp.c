/*
 * sock_udp.c - datagram sockets over the engine's UDP: the receive queue
 * (a ring of records, the layout libaxnet reads from shared memory),
 * connect/disconnect, readiness (Linux datagram_poll), sendto/recvfrom
 * with message boundaries and MSG_TRUNC, ICMP errors on connected
 * sockets. See sock.h.
 */
#include "sock_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "net/route.h"

/*
 * A record in the receive ring: the layout of include/axnet/ipc.h's
 * struct axipc_dgram (sockserv's wire), repeated here so that the socket
 * layer does not depend on the daemon's wire header.
 */
struct dgram_rec {
	uint32_t len;
	uint16_t port;   /* network order */
	uint16_t family; /* AF_INET (addr[0..3]), AF_INET6, or DGRAM_PAD */
	uint8_t addr[16];
};
_Static_assert(sizeof(struct dgram_rec) == 24, "the axipc_dgram layout");
#define DGRAM_PAD 0xffffu
#define DGRAM_SPACE(len) (((uint32_t)sizeof(struct dgram_rec) + (uint32_t)(len) + 7u) & ~7u)
#define DGRAM_MAX 65507u /* IPv4: 65535 - 20 - 8 */

static uint32_t pow2_clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	uint32_t p = lo;

	if (v > hi)
		v = hi;
	while (p < v)
		p <<= 1;
	return p;
}

uint32_t udp_sock_rcvbuf(const struct sock *so)
{
	if (so->rq)
		return so->rq_size;
	return so->rcvbuf ? pow2_clamp(so->rcvbuf, AX_UDP_RCVBUF_MIN, AX_UDP_RCVBUF_MAX)
			  : AX_UDP_RCVBUF;
}

static int rq_alloc(struct sock *so)
{
	uint32_t size = udp_sock_rcvbuf(so);

	so->rq = so->mem ? so->mem->alloc(so->mem_arg, NULL, size, 1) : malloc(size);
	if (!so->rq)
		return -ENOMEM;
	so->rq_size = size;
	so->rq_head = so->rq_tail = 0;
	return 0;
}

static void rq_free(struct sock *so)
{
	if (!so->rq)
		return;
	if (so->mem)
		so->mem->free(so->mem_arg, NULL, so->rq, so->rq_size, 1);
	else
		free(so->rq);
	so->rq = NULL;
	so->rq_size = so->rq_head = so->rq_tail = 0;
}

/* Append a record; 0, or -ENOBUFS when it does not fit (a full receive
 * buffer drops the datagram, as Linux's sk_rmem_alloc check). */
static int rq_put(struct sock *so, const struct ip_addr *src, uint16_t sport, const uint8_t *data,
		  size_t len)
{
	uint32_t need = DGRAM_SPACE(len), mask, pos, to_end, used;
	struct dgram_rec r = { .len = (uint32_t)len, .port = htons(sport), .family = AF_INET };

	/* ipc.h: IPv4 senders as AF_INET, even to an AF_INET6 socket (the
	 * library maps them); IPv6 ones with their 16 bytes. */
	if (ip_addr_is_v4(src))
		memcpy(r.addr, src->b + 12, 4);
	else {
		r.family = AF_INET6;
		memcpy(r.addr, src->b, 16);
	}

	if (!so->rq && rq_alloc(so))
		return -ENOBUFS;
	if (need > so->rq_size)
		return -ENOBUFS;
	mask = so->rq_size - 1;
	pos = so->rq_tail & mask;
	to_end = so->rq_size - pos;
	used = so->rq_tail - so->rq_head;
	if (to_end < need) {
		/* Records never wrap: pad to the end (ipc.h's rule). */
		if (so->rq_size - used < to_end + need)
			return -ENOBUFS;
		if (to_end >= sizeof(r)) {
			struct dgram_rec pad = { .len = to_end - (uint32_t)sizeof(r),
						 .family = DGRAM_PAD };

			memcpy(so->rq + pos, &pad, sizeof(pad));
		}
		so->rq_tail += to_end;
		pos = 0;
	} else if (so->rq_size - used < need) {
		return -ENOBUFS;
	}
	memcpy(so->rq + pos, &r, sizeof(r));
	if (len)
		memcpy(so->rq + pos + sizeof(r), data, len);
	so->rq_tail += need;
	return 0;
}

/* The next record at the head, pads and short tails skipped (their bytes
 * consumed). NULL when the queue is empty. The memory may be a program's
 * (shared): the record's length is checked against what was queued. */
static const struct dgram_rec *rq_peek(struct sock *so, struct dgram_rec *r)
{
	while (so->rq && so->rq_head != so->rq_tail) {
		uint32_t pos = so->rq_head & (so->rq_size - 1), to_end = so->rq_size - pos;

		if (to_end < sizeof(*r)) {
			so->rq_head += to_end;
			continue;
		}
		memcpy(r, so->rq + pos, sizeof(*r));
		if (r->family == DGRAM_PAD) {
			so->rq_head += to_end;
			continue;
		}
		if (DGRAM_SPACE(r->len) > to_end || DGRAM_SPACE(r->len) > so->rq_tail - so->rq_head) {
			so->rq_head = so->rq_tail; /* nonsense: drop what is queued */
			return NULL;
		}
		return r;
	}
	return NULL;
}

/* --- engine callbacks --------------------------------------------------------- */

static void on_recv(void *arg, const struct ip_addr *src, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	struct sock *so = arg;

	(void)dport;
	if (so->shut & SHUT_RD_F)
		return;
	sock_enter(so->l);
	if (rq_put(so, src, sport, data, len))
		stack_count(so->l->s, AX_C_udp_rcvbuf_drops);
	else
		sock_notify(so);
	sock_leave(so->l);
}

/* An ICMP error for the connected peer (udp.c only reports it then). */
static void on_err(void *arg, int err)
{
	struct sock *so = arg;

	sock_enter(so->l);
	so->err = err;
	sock_notify(so);
	sock_leave(so->l);
}

void udp_sock_init(struct sock *so)
{
	udp_pcb_init(&so->upcb, on_recv, on_err, so);
	so->upcb.owner = so->owner;
}

/* --- calls ----------------------------------------------------------------------- */

/* A destination UDP cannot send to from this socket: broadcast without
 * SO_BROADCAST (EACCES, as Linux), any or no route (ENETUNREACH). */
static int udp_dest_ok(struct sock *so, const struct ip_addr *d)
{
	struct ip_addr nh;

	if (ip_addr_is_v4(d) && ip_addr_get_v4(d) == INADDR_BROADCAST)
		return -EACCES; /* no SO_BROADCAST */
	if (ip_addr_is_any(d) || route_lookup(&so->l->s->routes, d, so->l->s->now_ns, &nh))
		return -ENETUNREACH;
	return 0;
}

int udp_sock_connect(struct sock *so, const struct sockaddr *sa, socklen_t len)
{
	struct ip_addr d;
	uint16_t port;
	int err;

	/* inet_dgram_connect: AF_UNSPEC dissolves the association (and an
	 * autobound port goes with it, as udp_disconnect). */
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_UNSPEC) {
		so->raddr = so->upcb.raddr = ip_addr_any6;
		so->rport = so->upcb.rport = 0;
		if (port_unbind_auto(so))
			so->state = SS_NEW;
		return 0;
	}
	err = sock_addr_get(so, sa, len, SOCK_ADDR_CONNECT_UDP, &d, &port);
	if (err)
		return err;
	err = udp_dest_ok(so, &d);
	if (err)
		return err;
	err = port_autobind(so);
	if (err)
		return err;
	so->raddr = so->upcb.raddr = d;
	so->rport = so->upcb.rport = port;
	return 0;
}

int udp_sock_shutdown(struct sock *so, int how)
{
	so->shut |= how;
	sock_notify(so);
	return ip_addr_is_any(&so->raddr) ? -ENOTCONN : 0;
}

void udp_sock_close(struct sock *so)
{
	rq_free(so);
}

/* Linux datagram_poll. */
uint32_t udp_sock_poll(const struct sock *so)
{
	uint32_t m = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

	if (so->err)
		m |= EPOLLERR;
	if (so->shut & SHUT_RD_F)
		m |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (so->shut == (SHUT_RD_F | SHUT_WR_F))
		m |= EPOLLHUP;
	/* A pad is always followed by a record: bytes queued = a datagram. */
	if (so->rq_tail != so->rq_head)
		m |= EPOLLIN | EPOLLRDNORM;
	return m;
}

/* Linux udp_sendmsg's order: past 64 KiB, the address, the association,
 * past what IPv4 can carry (ip_append_data), the pending error (an ICMP
 * error is told to the next call) and the shut write side
 * (sock_alloc_send_pskb). */
ssize_t udp_sock_send(struct sock *so, const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen)
{
	struct ip_addr dst;
	uint16_t dport;
	int err = 1;

	(void)flags;
	if (len > 0xffff)
		return -EMSGSIZE;
	if (to) {
		err = sock_addr_get(so, to, tolen, SOCK_ADDR_SENDTO, &dst, &dport);
		if (err < 0)
			return err;
		if (!err && !dport)
			return -EINVAL;
	}
	if (err == 1) { /* no address, or AF_UNSPEC on AF_INET6: the peer's */
		if (ip_addr_is_any(&so->raddr))
			return -EDESTADDRREQ;
		dst = so->raddr;
		dport = so->rport;
	}
	if (len > DGRAM_MAX)
		return -EMSGSIZE;
	if (so->err)
		return sock_error(so);
	if (so->shut & SHUT_WR_F)
		return -EPIPE;
	err = udp_dest_ok(so, &dst);
	if (err)
		return err;
	err = port_autobind(so);
	if (err)
		return err;
	err = udp_send(so->l->s, &so->upcb, &dst, dport, buf, len);
	return err < 0 ? err : (ssize_t)len;
}

/* Linux udp_recvmsg: the pending error first, then a datagram (one per
 * call, the rest of it dropped unless MSG_PEEK; MSG_TRUNC returns its
 * real length). */
ssize_t udp_sock_recv(struct sock *so, void *buf, size_t len, int flags, struct sockaddr *from,
		      socklen_t *fromlen)
{
	struct dgram_rec r;
	struct ip_addr src;
	uint32_t pos;
	size_t n;

	if (so->err)
		return sock_error(so);
	if (!rq_peek(so, &r)) {
		/* A shut read side ends a blocking read (0); non-blocking,
		 * Linux still says EAGAIN. */
		if ((so->shut & SHUT_RD_F) && !(flags & MSG_DONTWAIT))
			return 0;
		return -EAGAIN;
	}
	pos = so->rq_head & (so->rq_size - 1);
	n = r.len < len ? r.len : len;
	if (n && buf)
		memcpy(buf, so->rq + pos + sizeof(r), n);
	if (r.family == AF_INET6) {
		memcpy(src.b, r.addr, 16);
	} else {
		uint32_t v4;

		memcpy(&v4, r.addr, 4);
		src = ip_addr_v4(v4);
	}
	if (from || fromlen)
		sock_addr_put(so, &src, ntohs(r.port), from, fromlen);
	if (!(flags & MSG_PEEK))
		so->rq_head += DGRAM_SPACE(r.len);
	return (flags & MSG_TRUNC) ? (ssize_t)r.len : (ssize_t)n;
}

void sock_dgram_rx_view(const struct sock *so, struct tcp_ringview *v)
{
	v->buf = so->rq;
	v->size = so->rq ? so->rq_size : 0;
	v->head = so->rq_head;
	v->len = so->rq_tail - so->rq_head;
}

int sock_dgram_rx_consumed(struct sock *so, uint32_t n)
{
	if (n > so->rq_tail - so->rq_head)
		return -EINVAL;
	so->rq_head += n;
	return 0;
}
