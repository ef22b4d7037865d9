/*
 * sock_tcp.c - stream sockets over the engine's TCP: the accept queue,
 * connect's states, readiness (Linux tcp_poll), the copying data path and
 * the IPPROTO_TCP options. See sock.h.
 */
#include "sock_priv.h"

#include <errno.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "net/route.h"
#include "net/tcp_cc.h"

static const struct tcp_callbacks conn_cb;

/* Linux's defaults for keepalive (tcp_keepalive_time, _intvl, _probes). */
#define KA_IDLE_S 7200u
#define KA_INTVL_S 75u
#define KA_CNT 9u

/* The options a connection takes from its socket (and a listener's
 * connections from the listener), before the SYN where they matter. */
static void apply_opts(struct sock *so, struct tcp_pcb *pcb)
{
	if (so->nodelay)
		tcp_set_nodelay(pcb, 1);
	if (so->cork)
		tcp_set_cork(pcb, 1);
	if (so->keepalive)
		tcp_set_keepalive(pcb, (so->ka_idle ? so->ka_idle : KA_IDLE_S) * 1000u,
				  (so->ka_intvl ? so->ka_intvl : KA_INTVL_S) * 1000u,
				  so->ka_cnt ? so->ka_cnt : KA_CNT);
	if (so->user_timeout)
		tcp_set_user_timeout(pcb, so->user_timeout);
}

/* A new pcb (listen, connect) takes what was set on its socket before it
 * had one: the owner, the memory, buffer sizes, MSS, congestion control. */
static void give_settings(const struct sock *so, struct tcp_pcb *pcb)
{
	tcp_set_owner(pcb, so->owner);
	if (so->mem)
		tcp_set_mem(pcb, so->mem, so->mem_arg);
	if (so->sndbuf || so->rcvbuf)
		tcp_set_bufsize(pcb, so->sndbuf, so->rcvbuf);
	if (so->maxseg)
		tcp_set_maxseg(pcb, so->maxseg);
	if (so->cc[0])
		tcp_set_congestion(pcb, so->cc);
}

void tcp_sock_bufsize(struct sock *so)
{
	if (so->pcb && (so->sndbuf || so->rcvbuf))
		tcp_set_bufsize(so->pcb, so->sndbuf, so->rcvbuf);
	if (so->pcb && (so->state == SS_CONNECTED || so->state == SS_LISTEN))
		apply_opts(so, so->pcb);
}

/* --- engine callbacks --------------------------------------------------------- */

static void on_accepted(void *arg, struct tcp_pcb *pcb)
{
	struct sock *l = arg, *so;
	struct tcp_info_ax i;

	sock_enter(l->l);
	if (l->aq_len >= l->backlog || !(so = sock_alloc(l->l, SOCK_STREAM, l->owner))) {
		/* Not set: the engine resets it (nobody took it). */
		stack_count(l->l->s, AX_C_sock_accept_overflow);
		goto out;
	}
	tcp_get_info(pcb, &i);
	so->state = SS_CONNECTED;
	so->was_connected = 1;
	so->pcb = pcb;
	so->laddr = i.laddr;
	so->lport = i.lport;
	so->raddr = i.raddr;
	so->rport = i.rport;
	so->family = l->family;
	so->v6only = l->v6only;
	so->mem = l->mem;
	so->mem_arg = l->mem_arg;
	so->nodelay = l->nodelay;
	so->cork = l->cork;
	so->keepalive = l->keepalive;
	so->ka_idle = l->ka_idle;
	so->ka_intvl = l->ka_intvl;
	so->ka_cnt = l->ka_cnt;
	so->user_timeout = l->user_timeout;
	so->sndbuf = l->sndbuf;
	so->rcvbuf = l->rcvbuf;
	so->linger = l->linger;
	so->listener = l;
	apply_opts(so, pcb);
	tcp_set_callbacks(pcb, &conn_cb, so);
	if (l->aq_last)
		l->aq_last->aq_next = so;
	else
		l->aq_first = so;
	l->aq_last = so;
	l->aq_len++;
	sock_notify(l);
out:
	sock_leave(l->l);
}

static void on_connected(void *arg, struct tcp_pcb *pcb, int err)
{
	struct sock *so = arg;

	(void)pcb;
	sock_enter(so->l);
	if (err) {
		so->pcb = NULL; /* the engine frees it */
		so->err = err;
		so->state = SS_FAILED;
		so->shut = SHUT_RD_F | SHUT_WR_F;
		port_unbind_auto(so); /* Linux tcp_set_state(CLOSE) */
	} else {
		so->state = SS_CONNECTED;
		so->was_connected = 1;
	}
	sock_notify(so);
	sock_leave(so->l);
}

static int fin_rcvd(const struct tcp_pcb *pcb);

static void on_data(void *arg, struct tcp_pcb *pcb)
{
	struct sock *so = arg;

	sock_enter(so->l);
	if (fin_rcvd(pcb))
		so->fin_seen = 1;
	sock_notify(so);
	sock_leave(so->l);
}

static void on_closed(void *arg, struct tcp_pcb *pcb, int err)
{
	struct sock *so = arg;

	(void)pcb;
	sock_enter(so->l);
	so->pcb = NULL;
	if (err)
		so->err = err; /* a RST: -EPIPE in CLOSE_WAIT (tcp_in.c, Linux tcp_reset) */
	if (err == -EPIPE)
		so->fin_seen = 1;
	/* Linux tcp_done: both directions shut, the state CLOSE. */
	so->shut = SHUT_RD_F | SHUT_WR_F;
	so->state = SS_DONE;
	port_unbind_auto(so); /* Linux tcp_set_state(CLOSE) */
	sock_notify(so);
	sock_leave(so->l);
}

static const struct tcp_callbacks conn_cb = {
	.connected = on_connected,
	.readable = on_data,
	.writable = on_data,
	.closed = on_closed,
};

static const struct tcp_callbacks listen_cb = {
	.accepted = on_accepted,
};

/* --- calls ----------------------------------------------------------------------- */

int tcp_sock_listen(struct sock *so, int backlog)
{
	struct tcp_pcb *pcb;
	int err;

	if (backlog < 1)
		backlog = 1; /* Linux: a backlog of 0 still takes one */
	if ((unsigned int)backlog > AX_SOMAXCONN)
		backlog = AX_SOMAXCONN;
	if (so->state == SS_LISTEN) {
		so->backlog = (unsigned int)backlog;
		return 0;
	}
	if (so->state != SS_NEW && so->state != SS_BOUND)
		return -EINVAL;
	err = port_autobind(so);
	if (err)
		return err;
	pcb = tcp_listen2(so->l->s, &so->laddr, so->lport, (unsigned int)backlog,
			  (so->reuseport ? TCP_LISTEN_REUSEPORT : 0) |
				  (so->v6only ? TCP_LISTEN_V6ONLY : 0),
			  &listen_cb, so);
	if (!pcb)
		return -errno;
	give_settings(so, pcb);
	so->pcb = pcb;
	so->backlog = (unsigned int)backlog;
	so->state = SS_LISTEN;
	return 0;
}

int tcp_sock_accept(struct sock *so, struct sock **out)
{
	struct sock *c;

	if (so->state != SS_LISTEN)
		return -EINVAL;
	c = so->aq_first;
	if (!c)
		return -EAGAIN;
	so->aq_first = c->aq_next;
	if (!so->aq_first)
		so->aq_last = NULL;
	so->aq_len--;
	c->aq_next = NULL;
	c->listener = NULL;
	*out = c;
	return 0;
}

/* Linux tcp_v4_connect / tcp_v6_connect: no route, or an address TCP
 * cannot reach (any, broadcast, multicast of either family). */
static int reachable(struct sock_layer *l, const struct ip_addr *raddr)
{
	struct ip_addr nh;

	if (ip_addr_is_any(raddr))
		return 0;
	if (ip_addr_is_v4(raddr)) {
		uint32_t a = ip_addr_get_v4(raddr);

		if (a == INADDR_BROADCAST || (ntohl(a) >> 28) == 0xe || stack_addr_is_bcast4(l->s, a))
			return 0;
	} else if (ip_addr_is_multicast6(raddr)) {
		return 0;
	}
	return route_lookup(&l->s->routes, raddr, l->s->now_ns, &nh) == 0;
}

int tcp_sock_connect(struct sock *so, const struct ip_addr *raddr, uint16_t rport)
{
	struct sock_layer *l = so->l;
	struct tcp_pcb *pcb;
	uint16_t lport;
	int err;

	switch (so->state) {
	case SS_CONNECTED:
	case SS_LISTEN:
	case SS_DONE:
		return -EISCONN;
	case SS_CONNECTING:
		return -EALREADY;
	case SS_FAILED:
		/* inet_stream_connect: the failure is told once (or, read
		 * already, ECONNABORTED); the next call starts over. */
		err = sock_error(so);
		so->state = so->bound ? SS_BOUND : SS_NEW;
		so->shut = 0;
		return err ? err : -ECONNABORTED;
	default:
		break;
	}
	if (!reachable(l, raddr))
		return -ENETUNREACH;
	err = port_for_connect(so, raddr, rport, &lport);
	if (err)
		return err;
	pcb = tcp_new(l->s);
	if (!pcb)
		return -ENOMEM;
	/* A socket bound to one of our addresses sends from it. */
	if (!ip_addr_is_any(&so->laddr) && (err = tcp_bind_addr(pcb, &so->laddr))) {
		tcp_abort(pcb);
		return err;
	}
	give_settings(so, pcb);
	apply_opts(so, pcb);
	so->pcb = pcb;
	so->raddr = *raddr;
	so->rport = rport;
	so->state = SS_CONNECTING;
	so->shut = 0;
	err = tcp_connect_pcb(pcb, lport, raddr, rport, &conn_cb, so);
	if (err) {
		/* pcb is freed; a refusal by the admitter (policy) is
		 * EACCES, as the kernel's firewall hook would say. */
		so->pcb = NULL;
		so->raddr = ip_addr_any6;
		so->rport = 0;
		so->state = so->bound ? SS_BOUND : SS_NEW;
		return err == -EADDRINUSE ? -EADDRNOTAVAIL : err;
	}
	port_connect_bound(so, lport);
	so->state = SS_CONNECTING;
	return -EINPROGRESS;
}

/* Stop listening: the connections not yet accepted are reset (Linux
 * inet_csk_listen_stop). */
static void stop_listening(struct sock *so)
{
	while (so->aq_first) {
		struct sock *c = so->aq_first;

		so->aq_first = c->aq_next;
		c->listener = NULL;
		c->linger.l_onoff = 1; /* reset, not closed */
		c->linger.l_linger = 0;
		sock_close(c);
	}
	so->aq_last = NULL;
	so->aq_len = 0;
	if (so->pcb) {
		tcp_set_owner(so->pcb, NULL);
		tcp_close(so->pcb);
		so->pcb = NULL;
	}
}

int tcp_sock_shutdown(struct sock *so, int how)
{
	switch (so->state) {
	case SS_LISTEN:
		if (!(how & SHUT_RD_F))
			return 0;
		stop_listening(so);
		so->state = SS_BOUND;
		sock_notify(so);
		return 0;
	case SS_CONNECTING:
		/* Linux: disconnect; the socket is unconnected again. */
		tcp_abort(so->pcb);
		so->pcb = NULL;
		so->raddr = ip_addr_any6;
		so->rport = 0;
		so->state = SS_BOUND;
		sock_notify(so);
		return 0;
	case SS_CONNECTED:
		if ((how & SHUT_WR_F) && !(so->shut & SHUT_WR_F) && so->pcb)
			tcp_shutdown(so->pcb);
		so->shut |= how;
		sock_notify(so);
		return 0;
	default:
		so->shut |= how;
		return -ENOTCONN;
	}
}

void tcp_sock_close(struct sock *so)
{
	struct tcp_pcb *pcb = so->pcb;

	if (so->listener) {
		/* Still in its listener's queue (the listener closes it). */
		struct sock **pp = &so->listener->aq_first, *prev = NULL;

		for (; *pp; prev = *pp, pp = &(*pp)->aq_next)
			if (*pp == so) {
				*pp = so->aq_next;
				if (so->listener->aq_last == so)
					so->listener->aq_last = prev;
				so->listener->aq_len--;
				break;
			}
		so->listener = NULL;
	}
	if (so->state == SS_LISTEN) {
		stop_listening(so);
		return;
	}
	so->pcb = NULL;
	if (!pcb)
		return;
	/* The orphan must not point at an owner that may go before it. */
	tcp_set_owner(pcb, NULL);
	if (so->state == SS_CONNECTING || (so->linger.l_onoff && so->linger.l_linger == 0))
		tcp_abort(pcb); /* SO_LINGER {1, 0}: RST now (SYN_SENT: nothing) */
	else
		tcp_close(pcb); /* RST if unread data (RFC 2525 2.17), else FIN */
}

static int fin_rcvd(const struct tcp_pcb *pcb)
{
	switch (tcp_get_state(pcb)) {
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		return 1;
	default:
		return 0;
	}
}

static uint32_t rcv_len(const struct tcp_pcb *pcb)
{
	struct tcp_ringview v;

	tcp_rcv_view(pcb, &v);
	return v.buf ? v.len : 0;
}

/* Linux tcp_poll. */
uint32_t tcp_sock_poll(const struct sock *so)
{
	uint32_t m = 0;
	int closed = so->state != SS_CONNECTING && so->state != SS_CONNECTED;

	if (so->state == SS_LISTEN)
		return so->aq_len ? EPOLLIN | EPOLLRDNORM : 0;
	if (so->shut == (SHUT_RD_F | SHUT_WR_F) || closed)
		m |= EPOLLHUP;
	if (so->shut & SHUT_RD_F)
		m |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (so->state != SS_CONNECTING) {
		if (so->pcb && (rcv_len(so->pcb) || fin_rcvd(so->pcb)))
			m |= EPOLLIN | EPOLLRDNORM;
		if (so->pcb && fin_rcvd(so->pcb))
			m |= EPOLLRDHUP;
		if (so->shut & SHUT_WR_F)
			m |= EPOLLOUT | EPOLLWRNORM;
		else if (!so->pcb || tcp_sndbuf(so->pcb) > 0)
			m |= EPOLLOUT | EPOLLWRNORM;
	}
	if (so->err)
		m |= EPOLLERR;
	return m;
}

/* Linux tcp_sendmsg: not connected, the pending error or EPIPE (a
 * connect in progress: EAGAIN, non-blocking). */
ssize_t tcp_sock_send(struct sock *so, const void *buf, size_t len, int flags)
{
	int n;

	(void)flags;
	if (so->state != SS_CONNECTED) {
		if (so->err)
			return sock_error(so);
		return so->state == SS_CONNECTING ? -EAGAIN : -EPIPE;
	}
	if ((so->shut & SHUT_WR_F) || !so->pcb)
		return -EPIPE;
	if (len == 0)
		return 0;
	n = tcp_write(so->pcb, buf, len);
	if (n == 0)
		return -EAGAIN;
	if (n < 0)
		return n == -ENOTCONN ? -EPIPE : n;
	return n;
}

/* Linux tcp_recvmsg: data first, then end of stream (FIN), the pending
 * error, a shut read side, never connected (ENOTCONN), else EAGAIN. */
ssize_t tcp_sock_recv(struct sock *so, void *buf, size_t len, int flags)
{
	struct tcp_ringview v = { 0 };
	uint32_t n, i;

	if (so->state == SS_LISTEN)
		return -ENOTCONN;
	if (so->pcb && so->state == SS_CONNECTED)
		tcp_rcv_view(so->pcb, &v);
	/* SHUT_RD does not hide what is queued (Linux reads it out). */
	if (v.buf && v.len) {
		n = v.len < len ? v.len : (uint32_t)len;
		if (!(flags & MSG_TRUNC) || (flags & MSG_PEEK))
			for (i = 0; i < n;) {
				uint32_t off = (v.head + i) & (v.size - 1);
				uint32_t run = v.size - off < n - i ? v.size - off : n - i;

				if (buf)
					memcpy((uint8_t *)buf + i, v.buf + off, run);
				i += run;
			}
		if (!(flags & MSG_PEEK))
			tcp_rcv_consumed(so->pcb, n);
		return n;
	}
	/* Linux tcp_recvmsg: after the peer's FIN (SOCK_DONE) the end of
	 * stream, even when a RST came since: its error stays for send and
	 * SO_ERROR. */
	if (so->fin_seen || (so->pcb && fin_rcvd(so->pcb)))
		return 0;
	if (so->err)
		return sock_error(so);
	if (so->shut & SHUT_RD_F)
		return 0;
	if (so->state != SS_CONNECTING && so->state != SS_CONNECTED)
		return so->was_connected ? 0 : -ENOTCONN;
	return -EAGAIN;
}

/* --- IPPROTO_TCP options -------------------------------------------------------- */

int tcp_sock_setopt(struct sock *so, int name, const void *val, socklen_t len)
{
	int v, err;

	if (name == TCP_CONGESTION) {
		char cc[sizeof(so->cc)] = { 0 };

		if (!val || len < 1)
			return -EINVAL;
		memcpy(cc, val, len < sizeof(cc) - 1 ? len : sizeof(cc) - 1);
		if (!tcp_cc_find(cc))
			return -ENOENT;
		memcpy(so->cc, cc, sizeof(cc));
		return so->pcb ? tcp_set_congestion(so->pcb, cc) : 0;
	}
	switch (name) {
	case TCP_NODELAY:
	case TCP_CORK:
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_USER_TIMEOUT:
	case TCP_MAXSEG:
		break;
	default:
		return -ENOPROTOOPT;
	}
	err = sock_opt_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case TCP_NODELAY:
		so->nodelay = !!v;
		if (so->pcb && so->state == SS_CONNECTED)
			tcp_set_nodelay(so->pcb, so->nodelay);
		return 0;
	case TCP_CORK:
		so->cork = !!v;
		if (so->pcb && so->state == SS_CONNECTED)
			tcp_set_cork(so->pcb, so->cork);
		return 0;
	case TCP_KEEPIDLE: /* Linux: 1..MAX_TCP_KEEPIDLE (32767) seconds */
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (name == TCP_KEEPIDLE)
			so->ka_idle = (uint32_t)v;
		else
			so->ka_intvl = (uint32_t)v;
		break;
	case TCP_KEEPCNT: /* 1..MAX_TCP_KEEPCNT (127) */
		if (v < 1 || v > 127)
			return -EINVAL;
		so->ka_cnt = (uint32_t)v;
		break;
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		so->user_timeout = (uint32_t)v;
		if (so->pcb && so->state == SS_CONNECTED)
			tcp_set_user_timeout(so->pcb, so->user_timeout);
		return 0;
	case TCP_MAXSEG:
		/* Linux: 0 (no clamp) or TCP_MIN_MSS (88) .. MAX_TCP_WINDOW */
		if (v != 0 && (v < 88 || v > 32767))
			return -EINVAL;
		so->maxseg = (uint32_t)v;
		if (so->pcb)
			tcp_set_maxseg(so->pcb, so->maxseg);
		return 0;
	}
	if (so->pcb && so->keepalive && so->state == SS_CONNECTED)
		apply_opts(so, so->pcb);
	return 0;
}

int tcp_sock_getopt(struct sock *so, int name, void *val, socklen_t *len)
{
	int v;

	if (!len || (int)*len < 0)
		return -EINVAL;
	switch (name) {
	case TCP_INFO:
		if (so->pcb && so->state == SS_CONNECTED) {
			*len = (socklen_t)tcp_get_linux_info_len(so->pcb, val, *len);
		} else {
			struct tcp_info ti;
			size_t n = *len < sizeof(ti) ? *len : sizeof(ti);

			memset(&ti, 0, sizeof(ti));
			/* Linux's state numbers: 10 LISTEN, 2 SYN_SENT, 7 CLOSE */
			ti.tcpi_state = so->state == SS_LISTEN       ? 10
					: so->state == SS_CONNECTING ? 2
								     : 7;
			memcpy(val, &ti, n);
			*len = (socklen_t)n;
		}
		return 0;
	case TCP_CONGESTION: {
		const char *cc = so->pcb ? tcp_get_congestion(so->pcb) : so->cc[0] ? so->cc : "cubic";
		char out[16] = { 0 }; /* TCP_CA_NAME_MAX */
		size_t n = *len < sizeof(out) ? *len : sizeof(out);

		snprintf(out, sizeof(out), "%s", cc);
		memcpy(val, out, n);
		*len = (socklen_t)n;
		return 0;
	}
	case TCP_NODELAY:
		v = so->nodelay;
		break;
	case TCP_CORK:
		v = so->cork;
		break;
	case TCP_KEEPIDLE:
		v = (int)(so->ka_idle ? so->ka_idle : KA_IDLE_S);
		break;
	case TCP_KEEPINTVL:
		v = (int)(so->ka_intvl ? so->ka_intvl : KA_INTVL_S);
		break;
	case TCP_KEEPCNT:
		v = (int)(so->ka_cnt ? so->ka_cnt : KA_CNT);
		break;
	case TCP_USER_TIMEOUT:
		v = (int)so->user_timeout;
		break;
	case TCP_MAXSEG:
		v = so->pcb && so->state == SS_CONNECTED ? (int)tcp_get_maxseg(so->pcb)
			: so->maxseg				? (int)so->maxseg
								: 536; /* Linux's TCP_MSS_DEFAULT */
		break;
	default:
		return -ENOPROTOOPT;
	}
	{
		size_t n = *len < sizeof(v) ? *len : sizeof(v);

		memcpy(val, &v, n);
		*len = (socklen_t)n;
	}
	return 0;
}
