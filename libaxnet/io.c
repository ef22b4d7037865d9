/*
 * io.c - the data path: send/recv and their variants, on the socket's
 * rings in the shared segment. One copy from the caller's buffers into a
 * ring (the daemon frames it from there) and one out of a ring; no system
 * call while data flows, except the doorbell when the daemon sleeps and
 * the kernel sleep when a ring is full or empty (wait.c).
 *
 * Linux's order of checks is kept where users see it: data before errors
 * before end of stream on receive (tcp_recvmsg); a pending error before
 * EPIPE on send, and SIGPIPE only with EPIPE (sk_stream_error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "lib.h"
#include "sys.h"
#include "ring.h"

static int epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE); /* the calling thread, as Linux's send_sig */
	return -EPIPE;
}

static inline uint32_t ready_of(struct ax_sock *s)
{
	return __atomic_load_n(&s->slot->ready, __ATOMIC_ACQUIRE);
}

/* A pending SO_ERROR, taken (0 if none): the slot's hint spares the
 * look-up on the hot path. */
static inline int pending_error(struct ax_sock *s)
{
	return ax_sock_error_pending(s) ? ax_sock_take_error(s) : 0;
}

/* A call's wait on one ring (dir 0: rx, 1: tx) while it is empty or full,
 * shared by the four loops below. */
struct ring_wait {
	int dir, nonblock, waiting;
	uint64_t deadline;
};

static inline struct ring_wait ring_wait_init(struct ax_sock *s, int dir, int flags)
{
	return (struct ring_wait){ .dir = dir,
				   .nonblock = s->nonblock || (flags & MSG_DONTWAIT) };
}

/* Nothing to do on the ring now: 0 to look again (the wait is armed, or
 * the sleep ended, or a handler with SA_RESTART interrupted it before any
 * byte moved: the call starts again, as Linux restarts it), else the
 * negative errno (-EAGAIN, -EINTR, -EBADF). Arming first and looking
 * again before sleeping closes the race with a wake-up sent between the
 * look and the want bits. done: bytes the call moved so far. */
static int ring_wait(struct ax_sock *s, struct ring_wait *w, uint32_t gen, size_t done)
{
	int err;

	if (w->nonblock)
		return -EAGAIN;
	if (!w->waiting) {
		ax_wait_begin(s, w->dir);
		w->waiting = 1;
		w->deadline = ax_deadline(w->dir ? s->sndtimeo_ms : s->rcvtimeo_ms);
		return 0;
	}
	err = ax_wait_sleep(s, w->dir, gen, w->deadline);
	/* Linux tcp_sendmsg/tcp_recvmsg: a signal after some bytes returns
	 * their count, SA_RESTART or not. */
	if (err == -AX_ERESTART)
		err = done ? -EINTR : 0;
	return err;
}

static inline void ring_wait_end(struct ax_sock *s, struct ring_wait *w)
{
	if (w->waiting)
		ax_wait_end(s, w->dir);
}

/* ---- the rings ---- */

/* Take dir's ring lock (0: rx, 1: tx) and read its indices: ours relaxed
 * (only lock holders move it), the daemon's acquire (its copy is seen). */
static inline struct axipc_ring *ring_lock(struct ax_sock *s, int dir, uint32_t *prod,
					   uint32_t *cons)
{
	struct axipc_ring *r = dir ? &s->slot->tx_ring : &s->slot->rx_ring;

	ax_slot_lock(s->id, dir);
	if (dir) {
		*prod = __atomic_load_n(&r->prod, __ATOMIC_RELAXED);
		*cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	} else {
		*prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
		*cons = __atomic_load_n(&r->cons, __ATOMIC_RELAXED);
	}
	return r;
}

/*
 * One pass on a TCP ring: up to want bytes copied into tx (dir 1) or out
 * of rx (dir 0), the index moved and the daemon kicked; the caller's
 * buffers are copied once, straight to or from the ring. On rx MSG_PEEK
 * leaves the index (and no kick) and MSG_TRUNC copies nothing (Linux
 * discards). The bytes moved, or -ECONNRESET for indices no ring has.
 */
static long stream_pass(struct ax_sock *s, int dir, const struct ax_ringmem *m,
			struct ax_iovcur *c, size_t want, int flags)
{
	uint32_t prod, cons, n;
	struct axipc_ring *r = ring_lock(s, dir, &prod, &cons);

	if (prod - cons > m->size) {
		ax_slot_unlock(s->id, dir);
		return -ECONNRESET;
	}
	n = dir ? m->size - (prod - cons) : prod - cons;
	if (n > want)
		n = (uint32_t)want;
	if (n && dir) {
		ax_ring_put(m->base, m->size, prod, c, n);
		__atomic_store_n(&r->prod, prod + n, __ATOMIC_RELEASE);
	} else if (n) {
		if (!(flags & MSG_TRUNC))
			ax_ring_get(m->base, m->size, cons, c, n);
		if (!(flags & MSG_PEEK))
			__atomic_store_n(&r->cons, cons + n, __ATOMIC_RELEASE);
	}
	ax_slot_unlock(s->id, dir);
	if (n && (dir || !(flags & MSG_PEEK)))
		ax_kick(s); /* data to send, or the window may open */
	return n;
}

/* ---- TCP ---- */

static ssize_t stream_send(struct ax_sock *s, struct ax_iovcur *c, size_t total, int flags)
{
	struct ring_wait w = ring_wait_init(s, 1, flags);
	struct ax_ringmem m;
	size_t done = 0;
	ssize_t ret;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	for (;;) {
		uint32_t gen = ax_wait_gen(s), ready;

		if (ax_sock_dead(s)) {
			ret = -EBADF;
			break;
		}

		err = pending_error(s);
		if (err) {
			/* sk_stream_error: a pending EPIPE (a RST in CLOSE_WAIT)
			 * raises SIGPIPE as ours does. */
			ret = done ? (ssize_t)done : err == -EPIPE ? epipe(flags) : err;
			break;
		}
		ready = ready_of(s);
		if (s->shut_wr || (ready & EPOLLHUP)) {
			ret = done ? (ssize_t)done : epipe(flags);
			break;
		}
		if (ax_sock_ring(s, 1, &m)) {
			long n = stream_pass(s, 1, &m, c, total - done, flags);

			if (n < 0) {
				ret = done ? (ssize_t)done : n;
				break;
			}
			if (n) {
				done += (size_t)n;
				if (done == total) {
					ret = (ssize_t)done;
					break;
				}
				continue;
			}
		} else if (s->state != AXS_CONNECTING && s->state != AXS_CONNECTED) {
			/* Linux: sending on a socket that is not connected or
			 * connecting is EPIPE (sk_stream_wait_connect). */
			ret = epipe(flags);
			break;
		}
		/* Full (or not yet established): wait for space. */
		err = ring_wait(s, &w, gen, done);
		if (err) {
			ret = done ? (ssize_t)done : err;
			break;
		}
	}
	ring_wait_end(s, &w);
	return ret;
}

static ssize_t stream_recv(struct ax_sock *s, struct ax_iovcur *c, size_t total, int flags)
{
	int waitall = (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
	struct ring_wait w = ring_wait_init(s, 0, flags);
	struct ax_ringmem m;
	size_t done = 0;
	ssize_t ret;
	int err;

	if (flags & MSG_OOB)
		return -EINVAL; /* no urgent data, ever */
	if (s->state == AXS_LISTEN)
		return -ENOTCONN;
	for (;;) {
		uint32_t gen = ax_wait_gen(s), ready;

		if (ax_sock_dead(s)) {
			ret = -EBADF;
			break;
		}

		if (total == 0 && ax_sock_ring(s, 0, &m)) {
			ret = 0;
			break;
		}
		if (ax_sock_ring(s, 0, &m)) {
			long n = stream_pass(s, 0, &m, c, total - done, flags);

			if (n < 0) {
				ret = done ? (ssize_t)done : n;
				break;
			}
			if (n) {
				done += (size_t)n;
				if (done == total || !waitall) {
					ret = (ssize_t)done;
					break;
				}
				continue;
			}
		}
		if (done && !waitall) {
			ret = (ssize_t)done;
			break;
		}
		/* Linux tcp_recvmsg: after the peer's FIN (SOCK_DONE) the end
		 * of stream comes first; the EPIPE a RST leaves in CLOSE_WAIT
		 * (tcp_reset, after that FIN) stays for send and SO_ERROR. */
		if (!ax_sess_gone() &&
		    __atomic_load_n(&s->slot->so_error, __ATOMIC_ACQUIRE) == -EPIPE) {
			ret = (ssize_t)done;
			break;
		}
		err = pending_error(s);
		if (err) {
			ret = done ? (ssize_t)done : err;
			break;
		}
		/* Linux tcp_recvmsg: never connected (or its connect failed):
		 * ENOTCONN, whatever a closed socket's poll mask says. */
		if (s->state == AXS_NEW) {
			ret = done || s->shut_rd ? (ssize_t)done : -ENOTCONN;
			break;
		}
		ready = ready_of(s);
		if (s->shut_rd || (ready & (EPOLLRDHUP | EPOLLHUP))) {
			/* The end, unless data came just before it: the daemon
			 * publishes the ring before readiness. */
			if (ax_sock_ring(s, 0, &m) &&
			    __atomic_load_n(&s->slot->rx_ring.prod, __ATOMIC_ACQUIRE) !=
				    __atomic_load_n(&s->slot->rx_ring.cons, __ATOMIC_RELAXED) &&
			    !(flags & MSG_PEEK && done))
				continue;
			ret = (ssize_t)done;
			break;
		}
		err = ring_wait(s, &w, gen, done);
		if (err) {
			ret = done ? (ssize_t)done : err;
			break;
		}
	}
	ring_wait_end(s, &w);
	return ret;
}

/* ---- UDP ---- */

/* An IPv4 destination into a record (family AF_INET, addr[0..3]). */
static int dgram_dest4(struct axipc_dgram *d, const struct sockaddr *to, socklen_t tolen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;

	if (tolen < sizeof(*sin))
		return -EINVAL;
	/* Linux udp_sendmsg: AF_UNSPEC is taken as AF_INET. */
	if (sin->sin_family != AF_INET && sin->sin_family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	if (sin->sin_port == 0)
		return -EINVAL;
	d->family = AF_INET;
	d->port = sin->sin_port;
	memcpy(d->addr, &sin->sin_addr, 4);
	return 0;
}

/*
 * A sendto address into a record: 0, 1 (no address: AF_UNSPEC on an
 * AF_INET6 socket, as Linux, which then wants a connected peer) or -errno.
 * The order of the checks is Linux's udpv6_sendmsg: a sockaddr_in is taken
 * as udp_sendmsg takes it; a mapped IPv6 address goes out as IPv4 (a record
 * of family AF_INET), or -ENETUNREACH on a V6ONLY socket; a link-local
 * destination needs sin6_scope_id (-EADDRNOTAVAIL without, as the kernel's
 * route lookup answers).
 */
static int dgram_dest(const struct ax_sock *s, struct axipc_dgram *d, const struct sockaddr *to,
		      socklen_t tolen)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)to;

	if (s->domain != AF_INET6)
		return dgram_dest4(d, to, tolen);
	if (tolen < offsetof(struct sockaddr, sa_data))
		return -EINVAL;
	if (sin6->sin6_family == AF_INET)
		return s->v6only ? -ENETUNREACH : dgram_dest4(d, to, tolen);
	if (sin6->sin6_family == AF_UNSPEC)
		return 1;
	if (sin6->sin6_family != AF_INET6 || tolen < 24 /* SIN6_LEN_RFC2133 */)
		return -EINVAL;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		if (s->v6only)
			return -ENETUNREACH;
		if (sin6->sin6_port == 0)
			return -EINVAL;
		d->family = AF_INET;
		d->port = sin6->sin6_port;
		memcpy(d->addr, &sin6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	if (sin6->sin6_port == 0)
		return -EINVAL;
	if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) &&
	    (tolen < sizeof(*sin6) || sin6->sin6_scope_id == 0))
		return -EADDRNOTAVAIL;
	d->family = AF_INET6;
	d->port = sin6->sin6_port;
	memcpy(d->addr, &sin6->sin6_addr, 16);
	return 0;
}

static ssize_t dgram_send(struct ax_sock *s, struct ax_iovcur *c, size_t total, int flags,
			  const struct sockaddr *to, socklen_t tolen)
{
	struct ring_wait w = ring_wait_init(s, 1, flags);
	struct axipc_dgram d = { 0 };
	struct ax_ringmem m;
	ssize_t ret;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = to ? dgram_dest(s, &d, to, tolen) : 1;
	if (err < 0)
		return err;
	if (err == 1 && s->state != AXS_CONNECTED) {
		return -EDESTADDRREQ;
	}
	if (total > AXIPC_DGRAM_MAX)
		return -EMSGSIZE;
	d.len = (uint32_t)total;
	for (;;) {
		uint32_t gen = ax_wait_gen(s);

		if (ax_sock_dead(s)) {
			ret = -EBADF;
			break;
		}

		err = pending_error(s);
		if (err) {
			ret = err;
			break;
		}
		if (s->shut_wr) {
			ret = epipe(flags);
			break;
		}
		if (ax_sock_ring(s, 1, &m)) {
			struct axipc_ring *r;
			uint32_t prod, cons, rec, pad, need;

			if (AXIPC_DGRAM_SPACE(total) > m.size) {
				ret = -EMSGSIZE;
				break;
			}
			r = ring_lock(s, 1, &prod, &cons);
			need = ax_dgram_tx_place(m.size, prod, cons, (uint32_t)total, &rec, &pad);
			if (need) {
				if (pad >= sizeof(struct axipc_dgram)) {
					struct axipc_dgram p = {
						.len = pad - (uint32_t)sizeof(p),
						.family = AXIPC_DGRAM_PAD,
					};
					memcpy(m.base + (prod & (m.size - 1)), &p, sizeof(p));
				}
				memcpy(m.base + (rec & (m.size - 1)), &d, sizeof(d));
				ax_ring_put(m.base, m.size, rec + (uint32_t)sizeof(d), c,
					    (uint32_t)total);
				__atomic_store_n(&r->prod, prod + need, __ATOMIC_RELEASE);
			}
			ax_slot_unlock(s->id, 1);
			if (need) {
				ax_kick(s);
				ret = (ssize_t)total;
				break;
			}
		}
		err = ring_wait(s, &w, gen, 0);
		if (err) {
			ret = err;
			break;
		}
	}
	ring_wait_end(s, &w);
	return ret;
}

/* The sender as the socket's family gives it: an AF_INET6 socket sees
 * IPv4 senders as ::ffff:a.b.c.d (Linux, dual stack). */
static void dgram_src(const struct ax_sock *s, const struct axipc_dgram *d,
		      struct sockaddr *from, socklen_t *fromlen)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} u;
	socklen_t n, len;

	if (!from || !fromlen)
		return;
	memset(&u, 0, sizeof(u));
	if (s->domain == AF_INET6) {
		u.v6.sin6_family = AF_INET6;
		u.v6.sin6_port = d->port;
		if (d->family == AF_INET6) {
			memcpy(&u.v6.sin6_addr, d->addr, 16);
			/* udpv6_recvmsg: a link-local sender's scope is the
			 * interface it came in on (ours), so that sendto()
			 * to it works. */
			if (IN6_IS_ADDR_LINKLOCAL(&u.v6.sin6_addr))
				u.v6.sin6_scope_id = ax_sess.hdr->ifindex;
		} else {
			u.v6.sin6_addr.s6_addr[10] = 0xff;
			u.v6.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&u.v6.sin6_addr.s6_addr[12], d->addr, 4);
		}
		len = sizeof(u.v6);
	} else {
		u.v4.sin_family = AF_INET;
		u.v4.sin_port = d->port;
		memcpy(&u.v4.sin_addr, d->addr, 4);
		len = sizeof(u.v4);
	}
	n = *fromlen < len ? *fromlen : len;
	memcpy(from, &u, n);
	*fromlen = len;
}

static ssize_t dgram_recv(struct ax_sock *s, struct ax_iovcur *c, size_t total, int flags,
			  struct sockaddr *from, socklen_t *fromlen, int *mflags)
{
	struct ring_wait w = ring_wait_init(s, 0, flags);
	struct ax_ringmem m;
	ssize_t ret;
	int err;

	if (flags & MSG_OOB)
		return -EINVAL;
	for (;;) {
		uint32_t gen = ax_wait_gen(s);

		if (ax_sock_dead(s)) {
			ret = -EBADF;
			break;
		}

		if (ax_sock_ring(s, 0, &m)) {
			uint32_t prod, cons, payload, skip;
			struct axipc_ring *r = ring_lock(s, 0, &prod, &cons);
			struct axipc_dgram d;
			long adv;

			adv = prod - cons > m.size ? -1 :
			      ax_dgram_rx_next(m.base, m.size, cons, prod, &d, &payload,
					       &skip);
			if (adv < 0) {
				ax_slot_unlock(s->id, 0);
				ret = -ECONNRESET;
				break;
			}
			if (adv > 0) {
				uint32_t n = d.len < total ? d.len : (uint32_t)total;

				ax_ring_get(m.base, m.size, payload, c, n);
				dgram_src(s, &d, from, fromlen);
				if (d.len > total && mflags)
					*mflags |= MSG_TRUNC;
				if (!(flags & MSG_PEEK))
					__atomic_store_n(&r->cons, cons + (uint32_t)adv,
							 __ATOMIC_RELEASE);
				ax_slot_unlock(s->id, 0);
				if (!(flags & MSG_PEEK))
					ax_kick(s);
				/* MSG_TRUNC: the datagram's real length (Linux). */
				ret = (flags & MSG_TRUNC) ? (ssize_t)d.len : (ssize_t)n;
				break;
			}
			if (skip && !(flags & MSG_PEEK))
				__atomic_store_n(&r->cons, cons + skip, __ATOMIC_RELEASE);
			ax_slot_unlock(s->id, 0);
		}
		err = pending_error(s);
		if (err) {
			ret = err;
			break;
		}
		if (s->shut_rd) {
			ret = 0;
			break;
		}
		err = ring_wait(s, &w, gen, 0);
		if (err) {
			ret = err;
			break;
		}
	}
	ring_wait_end(s, &w);
	return ret;
}

/* ---- the calls ---- */

/* A cursor over m's buffers and their total length; 0 or -errno. */
static int msg_iov(const struct msghdr *m, struct ax_iovcur *c, size_t *total)
{
	if (m->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	*total = ax_iov_total(m->msg_iov, (int)m->msg_iovlen);
	if (*total == SIZE_MAX)
		return -EINVAL;
	ax_iovcur_init(c, m->msg_iov, (int)m->msg_iovlen);
	return 0;
}

/*
 * The one path of every send call (sendmsg, sendto, send, writev, write)
 * once fd is ours: err is an argument error the call found itself, s's
 * reference is the caller's and dropped here, the result is as the libc
 * call returns it. TCP ignores the address (Linux tcp_sendmsg).
 */
static ssize_t send_put(struct ax_sock *s, const struct msghdr *m, int flags, int err)
{
	struct ax_iovcur c;
	size_t total;
	ssize_t r = err ? err : msg_iov(m, &c, &total);

	if (!r)
		r = s->type == SOCK_DGRAM ?
			    dgram_send(s, &c, total, flags, m->msg_name, m->msg_namelen) :
			    stream_send(s, &c, total, flags);
	ax_obj_put(&s->o);
	return ax_ret(r);
}

/* The same for the receive calls (recvmsg, recvfrom, recv, readv, read):
 * on success m's msg_namelen, msg_controllen and msg_flags are set. */
static ssize_t recv_put(struct ax_sock *s, struct msghdr *m, int flags, int err)
{
	struct ax_iovcur c;
	size_t total;
	ssize_t r = err ? err : msg_iov(m, &c, &total);
	int mflags = 0;

	if (r)
		goto out;
	if (s->type == SOCK_DGRAM) {
		socklen_t fl = m->msg_name ? m->msg_namelen : 0;

		r = dgram_recv(s, &c, total, flags, m->msg_name, m->msg_name ? &fl : NULL,
			       &mflags);
		if (r >= 0 && m->msg_name)
			m->msg_namelen = fl;
	} else {
		r = stream_recv(s, &c, total, flags);
		if (r >= 0)
			m->msg_namelen = 0;
	}
	if (r >= 0) {
		m->msg_controllen = 0;
		m->msg_flags = mflags;
	}
out:
	ax_obj_put(&s->o);
	return ax_ret(r);
}

AX_API ssize_t ax_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_sendmsg(fd, msg, flags);
	return send_put(s, msg, flags, 0);
}

AX_API ssize_t ax_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_recvmsg(fd, msg, flags);
	return recv_put(s, msg, flags, 0);
}

AX_API ssize_t ax_sendto(int fd, const void *buf, size_t len, int flags,
			 const struct sockaddr *dest, socklen_t destlen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_name = (void *)dest, .msg_namelen = dest ? destlen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_sendto(fd, buf, len, flags, dest, destlen);
	return send_put(s, &m, flags, 0);
}

AX_API ssize_t ax_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *src,
			   socklen_t *srclen)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_name = src && srclen ? src : NULL,
			    .msg_namelen = src && srclen ? *srclen : 0, .msg_iov = &iov,
			    .msg_iovlen = 1 };
	struct ax_sock *s = ax_sock_get(fd);
	ssize_t r;

	if (!s)
		return ax_sys_recvfrom(fd, buf, len, flags, src, srclen);
	r = recv_put(s, &m, flags, src && srclen && (int)*srclen < 0 ? -EINVAL : 0);
	if (r >= 0 && src && srclen)
		*srclen = m.msg_namelen;
	return r;
}

AX_API ssize_t ax_send(int fd, const void *buf, size_t len, int flags)
{
	return ax_sendto(fd, buf, len, flags, NULL, 0);
}

AX_API ssize_t ax_recv(int fd, void *buf, size_t len, int flags)
{
	return ax_recvfrom(fd, buf, len, flags, NULL, NULL);
}

AX_API ssize_t ax_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_writev(fd, iov, iovcnt);
	return send_put(s, &m, 0, iovcnt < 0 || iovcnt > IOV_MAX ? -EINVAL : 0);
}

AX_API ssize_t ax_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_readv(fd, iov, iovcnt);
	return recv_put(s, &m, 0, iovcnt < 0 || iovcnt > IOV_MAX ? -EINVAL : 0);
}

AX_API ssize_t ax_write(int fd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_write(fd, buf, len);
	return send_put(s, &m, 0, 0);
}

AX_API ssize_t ax_read(int fd, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct ax_sock *s = ax_sock_get(fd);

	if (!s)
		return ax_sys_read(fd, buf, len);
	return recv_put(s, &m, 0, 0);
}
