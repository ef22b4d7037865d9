/*
 * sock.c - the socket table and the calls common to TCP and UDP, see
 * sock.h. Protocol specifics live in sock_tcp.c and sock_udp.c, ports in
 * port.c.
 */
#include "sock_priv.h"

#include <errno.h>
#include <linux/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sodium.h>

#include "util/cred.h"

int sock_layer_open(struct sock_layer **out, const struct sock_config *cfg)
{
	struct sock_layer *l;
	uint16_t lo = cfg->port_lo, hi = cfg->port_hi;

	if (!lo && !hi) {
		lo = AX_PORT_LO;
		hi = AX_PORT_HI;
	}
	if (!lo || lo > hi || !cfg->stack)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->s = cfg->stack;
	l->port_lo = lo;
	l->ifindex = cfg->ifindex;
	l->port_hi = hi;
	randombytes_buf(l->port_key, sizeof(l->port_key));
	*out = l;
	return 0;
}

void sock_layer_close(struct sock_layer *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->ntab; i++)
		if (l->tab[i])
			sock_close(l->tab[i]);
	free(l->tab);
	free(l->free_slots);
	free(l);
}

/* --- callbacks from the engine ------------------------------------------------- */

/* Engine callbacks run between sock_enter and sock_leave, so a socket
 * closed from an event function stays allocated until they unwind. */
void sock_enter(struct sock_layer *l)
{
	l->depth++;
}

void sock_leave(struct sock_layer *l)
{
	if (--l->depth)
		return;
	while (l->dead) {
		struct sock *so = l->dead;

		l->dead = so->dead_next;
		free(so);
	}
}

void sock_notify(struct sock *so)
{
	if (so->ev && !so->closed)
		so->ev(so->ev_arg, so, sock_poll(so));
}

/* --- the table ------------------------------------------------------------------- */

struct sock *sock_alloc(struct sock_layer *l, int type, const struct ax_cred *owner)
{
	struct sock *so = calloc(1, sizeof(*so));
	uint32_t slot;

	if (!so)
		return NULL;
	if (l->nfree) {
		slot = l->free_slots[--l->nfree];
	} else {
		if (l->ntab == l->cap) {
			uint32_t cap = l->cap ? l->cap * 2 : 64;
			struct sock **t = realloc(l->tab, cap * sizeof(*t));
			uint32_t *f;

			if (!t) {
				free(so);
				return NULL;
			}
			l->tab = t;
			f = realloc(l->free_slots, cap * sizeof(*f));
			if (!f) {
				free(so);
				return NULL;
			}
			l->free_slots = f;
			l->cap = cap;
		}
		slot = l->ntab++;
	}
	l->tab[slot] = so;
	so->slot = slot;
	so->l = l;
	so->type = type;
	so->family = AF_INET;
	so->laddr = ip_addr_any4;
	so->raddr = ip_addr_any6;
	so->owner = owner;
	so->state = SS_NEW;
	if (type == SOCK_DGRAM)
		udp_sock_init(so);
	return so;
}

void sock_free(struct sock *so)
{
	struct sock_layer *l = so->l;

	l->tab[so->slot] = NULL;
	l->free_slots[l->nfree++] = so->slot;
	so->closed = 1;
	so->ev = NULL;
	if (l->depth) {
		so->dead_next = l->dead;
		l->dead = so;
	} else {
		free(so);
	}
}

int sock_create_af(struct sock_layer *l, int domain, int type, const struct ax_cred *owner,
		   struct sock **out)
{
	struct sock *so;

	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	so = sock_alloc(l, type, owner);
	if (!so)
		return -ENOMEM;
	so->family = domain;
	so->laddr = sock_any(so);
	*out = so;
	return 0;
}

int sock_create(struct sock_layer *l, int type, const struct ax_cred *owner, struct sock **out)
{
	return sock_create_af(l, AF_INET, type, owner, out);
}

void sock_set_event(struct sock *so, sock_event_fn fn, void *arg)
{
	so->ev = fn;
	so->ev_arg = arg;
}

void *sock_event_arg(const struct sock *so)
{
	return so->ev_arg;
}

int sock_type(const struct sock *so)
{
	return so->type;
}

uint32_t sock_ifindex(const struct sock *so)
{
	return so->l->ifindex;
}

uint32_t sock_layer_ifindex(const struct sock_layer *l)
{
	return l->ifindex;
}

int sock_error_peek(const struct sock *so)
{
	return so->err;
}

int sock_error(struct sock *so)
{
	int e = so->err;

	so->err = 0;
	return e;
}

/* --- addresses ------------------------------------------------------------------- */

int sock_getsockname(struct sock *so, struct sockaddr *sa, socklen_t *len)
{
	struct ip_addr a = so->laddr;

	/* A connected socket bound to any shows the address it sends from
	 * (RFC 6724 source selection, the engine's). */
	if (ip_addr_is_any(&a) && (!ip_addr_is_any(&so->raddr) || so->state == SS_CONNECTED ||
				   so->state == SS_CONNECTING)) {
		if (so->pcb && so->type == SOCK_STREAM) {
			struct tcp_info_ax i;

			tcp_get_info(so->pcb, &i);
			a = i.laddr;
		} else if (stack_src_select(so->l->s, &so->raddr, &a)) {
			a = so->laddr;
		}
	}
	sock_addr_put(so, &a, so->lport, sa, len);
	return 0;
}

int sock_getpeername(struct sock *so, struct sockaddr *sa, socklen_t *len)
{
	if (so->type == SOCK_STREAM ? so->state != SS_CONNECTED : ip_addr_is_any(&so->raddr))
		return -ENOTCONN;
	sock_addr_put(so, &so->raddr, so->rport, sa, len);
	return 0;
}

/* --- calls ------------------------------------------------------------------------- */

int sock_bind(struct sock *so, const struct sockaddr *sa, socklen_t len)
{
	struct ip_addr a;
	uint16_t port;
	int err = sock_addr_get(so, sa, len, SOCK_ADDR_BIND, &a, &port);

	if (err)
		return err;
	/* One of our usable addresses (a tentative one is not, RFC 4862
	 * 5.4: Linux says EADDRNOTAVAIL too). */
	if (!ip_addr_is_any(&a) && !stack_addr_local(so->l->s, &a))
		return -EADDRNOTAVAIL;
	/* Linux: ports below ip_unprivileged_port_start (1024) need
	 * CAP_NET_BIND_SERVICE; here uid 0 (no owner: the daemon's own). */
	if (port && port < 1024 && so->owner && so->owner->uid != 0)
		return -EACCES;
	/* Linux: a socket whose connection failed or ended gave its
	 * (connect-chosen) port back and may be bound again. */
	if (so->bound || (so->state != SS_NEW && so->state != SS_FAILED && so->state != SS_DONE))
		return -EINVAL;
	return port_bind(so, &a, port);
}

int sock_listen(struct sock *so, int backlog)
{
	if (so->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	return tcp_sock_listen(so, backlog);
}

int sock_accept(struct sock *so, struct sock **out)
{
	if (so->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	return tcp_sock_accept(so, out);
}

int sock_connect(struct sock *so, const struct sockaddr *sa, socklen_t len)
{
	struct ip_addr a;
	uint16_t port;
	int err;

	if (so->type == SOCK_DGRAM)
		return udp_sock_connect(so, sa, len);
	err = sock_addr_get(so, sa, len, SOCK_ADDR_CONNECT_TCP, &a, &port);
	if (err)
		return err;
	return tcp_sock_connect(so, &a, port);
}

int sock_shutdown(struct sock *so, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	return so->type == SOCK_STREAM ? tcp_sock_shutdown(so, how + 1)
				       : udp_sock_shutdown(so, how + 1);
}

void sock_close(struct sock *so)
{
	if (!so || so->closed)
		return;
	so->closed = 1;
	if (so->type == SOCK_STREAM)
		tcp_sock_close(so);
	else
		udp_sock_close(so);
	port_unbind(so);
	sock_free(so);
}

uint32_t sock_poll(const struct sock *so)
{
	return so->type == SOCK_STREAM ? tcp_sock_poll(so) : udp_sock_poll(so);
}

ssize_t sock_send(struct sock *so, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen)
{
	if (so->type == SOCK_DGRAM)
		return udp_sock_send(so, buf, len, flags, to, tolen);
	/* TCP ignores the address (Linux, without Fast Open). */
	return tcp_sock_send(so, buf, len, flags);
}

ssize_t sock_recv(struct sock *so, void *buf, size_t len, int flags, struct sockaddr *from,
		  socklen_t *fromlen)
{
	ssize_t n;

	if (so->type == SOCK_DGRAM)
		return udp_sock_recv(so, buf, len, flags, from, fromlen);
	n = tcp_sock_recv(so, buf, len, flags);
	/* TCP leaves the address alone (msg_namelen 0). */
	if (n >= 0 && fromlen)
		*fromlen = 0;
	return n;
}

void sock_set_mem(struct sock *so, const struct tcp_mem_ops *ops, void *arg)
{
	so->mem = ops;
	so->mem_arg = arg;
	if (so->type == SOCK_STREAM && so->pcb)
		tcp_set_mem(so->pcb, ops, arg);
}

struct tcp_pcb *sock_pcb(struct sock *so)
{
	return so->type == SOCK_STREAM && so->state == SS_CONNECTED ? so->pcb : NULL;
}

/* --- options --------------------------------------------------------------------- */

int sock_opt_int(const void *val, socklen_t len, int *out)
{
	if (!val || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put(void *val, socklen_t *len, const void *v, size_t vlen)
{
	size_t n;

	if (!len || (int)*len < 0)
		return -EINVAL;
	n = *len < vlen ? *len : vlen;
	if (n)
		memcpy(val, v, n);
	*len = (socklen_t)n;
	return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
	return put(val, len, &v, sizeof(v));
}

/* Linux's sock_set_timeout: EINVAL short, EDOM for a bad usec. */
static int set_timeo(struct timeval *tv, const void *val, socklen_t len)
{
	struct timeval t;

	if (!val || len < (socklen_t)sizeof(t))
		return -EINVAL;
	memcpy(&t, val, sizeof(t));
	if (t.tv_usec < 0 || t.tv_usec >= 1000000)
		return -EDOM;
	if (t.tv_sec < 0)
		t.tv_sec = t.tv_usec = 0;
	*tv = t;
	return 0;
}

static int sol_socket_set(struct sock *so, int name, const void *val, socklen_t len)
{
	int v, err;

	switch (name) {
	case SO_LINGER:
		if (!val || len < (socklen_t)sizeof(struct linger))
			return -EINVAL;
		memcpy(&so->linger, val, sizeof(so->linger));
		return 0;
	case SO_RCVTIMEO:
		return set_timeo(&so->rcvtimeo, val, len);
	case SO_SNDTIMEO:
		return set_timeo(&so->sndtimeo, val, len);
	case SO_REUSEADDR:
	case SO_REUSEPORT:
	case SO_KEEPALIVE:
	case SO_RCVBUF:
	case SO_SNDBUF:
		break;
	default:
		return -ENOPROTOOPT;
	}
	err = sock_opt_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case SO_REUSEADDR:
		so->reuseaddr = !!v;
		if (so->type == SOCK_DGRAM)
			so->upcb.reuseport = so->reuseport || so->reuseaddr;
		return 0;
	case SO_REUSEPORT:
		so->reuseport = !!v;
		if (so->type == SOCK_DGRAM)
			so->upcb.reuseport = so->reuseport || so->reuseaddr;
		return 0;
	case SO_KEEPALIVE:
		so->keepalive = !!v;
		/* Off on a live connection: the probes stop (the stack's
		 * --tcp-keepalive default is not this socket's choice). */
		if (!v && so->type == SOCK_STREAM && so->pcb && so->state == SS_CONNECTED)
			tcp_set_keepalive(so->pcb, 0, 0, 0);
		break;
	case SO_RCVBUF:
		so->rcvbuf = v < 0 ? 0 : (uint32_t)v;
		break;
	case SO_SNDBUF:
		so->sndbuf = v < 0 ? 0 : (uint32_t)v;
		break;
	}
	if (so->type == SOCK_STREAM)
		tcp_sock_bufsize(so);
	return 0;
}

static int sol_socket_get(struct sock *so, int name, void *val, socklen_t *len)
{
	switch (name) {
	case SO_ERROR:
		return put_int(val, len, -sock_error(so));
	case SO_TYPE:
		return put_int(val, len, so->type);
	case SO_DOMAIN:
		return put_int(val, len, so->family);
	case SO_PROTOCOL:
		return put_int(val, len, so->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	case SO_ACCEPTCONN:
		return put_int(val, len, so->state == SS_LISTEN);
	case SO_REUSEADDR:
		return put_int(val, len, so->reuseaddr);
	case SO_REUSEPORT:
		return put_int(val, len, so->reuseport);
	case SO_KEEPALIVE:
		return put_int(val, len, so->keepalive);
	case SO_LINGER:
		return put(val, len, &so->linger, sizeof(so->linger));
	case SO_RCVTIMEO:
		return put(val, len, &so->rcvtimeo, sizeof(so->rcvtimeo));
	case SO_SNDTIMEO:
		return put(val, len, &so->sndtimeo, sizeof(so->sndtimeo));
	case SO_RCVBUF:
	case SO_SNDBUF: {
		/* Linux reports twice what was set (its bookkeeping
		 * overhead); unset, the size in use. */
		uint32_t set = name == SO_RCVBUF ? so->rcvbuf : so->sndbuf;
		uint32_t snd = AX_TCP_SNDBUF, rcv = AX_TCP_RCVBUF;

		if (set)
			return put_int(val, len, set > INT32_MAX / 2 ? INT32_MAX : (int)(set * 2));
		if (so->type == SOCK_DGRAM)
			return put_int(val, len, (int)(name == SO_RCVBUF ? udp_sock_rcvbuf(so)
									: AX_UDP_RCVBUF));
		if (so->pcb)
			tcp_get_bufsize(so->pcb, &snd, &rcv);
		return put_int(val, len, (int)(name == SO_RCVBUF ? rcv : snd));
	}
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * IPPROTO_IPV6 on an AF_INET6 socket. IPV6_V6ONLY is ours (before bind
 * only, as Linux: EINVAL after). The others are answered as Linux answers
 * a new socket (hop limit 64, traffic class 0, no ancillary data), their
 * ranges checked as Linux does; setting one to anything but that default
 * is -ENOPROTOOPT: the engine has no per-socket hop limit, traffic class
 * or IPV6_PKTINFO (an error, never a value silently not applied).
 */
static int ipv6_set(struct sock *so, int name, const void *val, socklen_t len)
{
	int v, err;

	if (so->family != AF_INET6)
		return -ENOPROTOOPT; /* ip_setsockopt: not its level */
	switch (name) {
	case IPV6_V6ONLY:
	case IPV6_UNICAST_HOPS:
	case IPV6_TCLASS:
	case IPV6_RECVPKTINFO:
	case IPV6_RECVTCLASS:
	case IPV6_RECVHOPLIMIT:
		break;
	default:
		return -ENOPROTOOPT;
	}
	err = sock_opt_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case IPV6_V6ONLY:
		/* do_ipv6_setsockopt: not once a port (or a peer) is set. */
		if (so->bound || so->state != SS_NEW)
			return -EINVAL;
		so->v6only = !!v;
		return 0;
	case IPV6_UNICAST_HOPS:
		if (v > 255 || v < -1)
			return -EINVAL;
		return v == -1 || v == AX_IP6_DEFAULT_HOPS ? 0 : -ENOPROTOOPT;
	case IPV6_TCLASS:
		if (v < -1 || v > 0xff)
			return -EINVAL;
		return v <= 0 ? 0 : -ENOPROTOOPT;
	default:
		return v ? -ENOPROTOOPT : 0;
	}
}

static int ipv6_get(struct sock *so, int name, void *val, socklen_t *len)
{
	if (so->family != AF_INET6)
		/* Linux: V6ONLY of an AF_INET socket is EOPNOTSUPP. */
		return name == IPV6_V6ONLY ? -EOPNOTSUPP : -ENOPROTOOPT;
	switch (name) {
	case IPV6_V6ONLY:
		return put_int(val, len, so->v6only);
	case IPV6_UNICAST_HOPS:
		return put_int(val, len, AX_IP6_DEFAULT_HOPS);
	case IPV6_MULTICAST_HOPS:
		return put_int(val, len, 1);
	case IPV6_TCLASS:
	case IPV6_RECVPKTINFO:
	case IPV6_RECVTCLASS:
	case IPV6_RECVHOPLIMIT:
		return put_int(val, len, 0);
	default:
		return -ENOPROTOOPT;
	}
}

int sock_setsockopt(struct sock *so, int level, int name, const void *val, socklen_t len)
{
	if (level == SOL_SOCKET)
		return sol_socket_set(so, name, val, len);
	if (level == IPPROTO_IPV6)
		return ipv6_set(so, name, val, len);
	if (level == IPPROTO_TCP && so->type == SOCK_STREAM)
		return tcp_sock_setopt(so, name, val, len);
	return -ENOPROTOOPT;
}

int sock_getsockopt(struct sock *so, int level, int name, void *val, socklen_t *len)
{
	if (level == SOL_SOCKET)
		return sol_socket_get(so, name, val, len);
	if (level == IPPROTO_IPV6)
		return ipv6_get(so, name, val, len);
	if (level == IPPROTO_TCP && so->type == SOCK_STREAM)
		return tcp_sock_getopt(so, name, val, len);
	return -ENOPROTOOPT;
}

/* --- the table walk -------------------------------------------------------------- */

static void info_of(const struct sock *so, struct sock_info *si)
{
	memset(si, 0, sizeof(*si));
	si->type = so->type;
	si->family = so->family;
	si->state = -1;
	si->owner = so->owner;
	si->laddr = so->laddr;
	si->lport = so->lport;
	si->raddr = so->raddr;
	si->rport = so->rport;
	if (so->type == SOCK_DGRAM) {
		si->rx_queued = so->rq_tail - so->rq_head;
		return;
	}
	if (so->pcb) {
		struct tcp_info_ax i;

		tcp_get_info(so->pcb, &i);
		si->state = (int)i.state;
		si->laddr = i.laddr;
		si->rx_queued = i.rcv_queued;
		si->tx_queued = i.snd_queued;
		si->admit_tag = i.admit_tag;
		si->admit_pending = i.admit_pending;
		if (so->state == SS_LISTEN) {
			si->laddr = so->laddr;
			si->rx_queued = so->aq_len; /* ss: the accept queue */
			si->tx_queued = so->backlog;
		}
	} else {
		si->state = TCP_CLOSED;
	}
}

int sock_foreach_from(struct sock_layer *l, uint32_t *pos, unsigned int n,
		      void (*fn)(void *arg, const struct sock_info *si), void *arg)
{
	struct sock_info si;

	while (n-- && *pos < l->ntab) {
		struct sock *so = l->tab[(*pos)++];

		if (!so || so->closed)
			continue;
		info_of(so, &si);
		fn(arg, &si);
	}
	return *pos >= l->ntab;
}
