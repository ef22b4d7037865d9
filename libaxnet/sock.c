/*
 * sock.c - the socket calls that are control requests: socket, bind,
 * listen, accept, connect, shutdown, close, getsockname/getpeername; and a
 * socket's readiness as Linux reports it, from its slot and rings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "lib.h"
#include "sys.h"

/* ---- readiness ---- */

uint32_t ax_sock_events(struct ax_sock *s)
{
	struct axipc_slot *sl = s->slot;
	struct ax_ringmem rx, tx;
	uint32_t ready, ev;
	int has_rx, has_tx;

	/* The instance went away: as a reset socket (Linux tcp_poll after
	 * tcp_done). */
	if (ax_sess_gone())
		return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP |
		       EPOLLRDHUP;
	ready = __atomic_load_n(&sl->ready, __ATOMIC_ACQUIRE);
	if (s->state == AXS_LISTEN)
		return ready;
	has_rx = ax_sock_ring(s, 0, &rx);
	has_tx = ax_sock_ring(s, 1, &tx);
	if (s->type == SOCK_STREAM && !(has_rx && has_tx))
		return ready; /* not established, or gone: the daemon's word */
	/* Data the program already consumed still shows in `ready` until the
	 * daemon publishes again: the rings are the truth for IN and OUT. */
	ev = ready & (EPOLLERR | EPOLLHUP | EPOLLRDHUP | EPOLLPRI);
	if (has_rx && __atomic_load_n(&sl->rx_ring.prod, __ATOMIC_ACQUIRE) !=
			      __atomic_load_n(&sl->rx_ring.cons, __ATOMIC_RELAXED))
		ev |= EPOLLIN | EPOLLRDNORM;
	if (ready & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		ev |= EPOLLIN | EPOLLRDNORM;
	if (s->shut_rd)
		ev |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	/* Linux tcp_poll: HUP once both directions are shut, whichever side
	 * shut each (our SHUT_WR and the peer's FIN). */
	if (s->type == SOCK_STREAM && s->shut_wr && (ev & EPOLLRDHUP))
		ev |= EPOLLHUP;
	if (s->type == SOCK_STREAM && (s->shut_wr || (ready & EPOLLHUP))) {
		/* Linux: a socket shut for sending is writable (send fails). */
		ev |= EPOLLOUT | EPOLLWRNORM;
	} else if (has_tx) {
		uint32_t used = __atomic_load_n(&sl->tx_ring.prod, __ATOMIC_RELAXED) -
				__atomic_load_n(&sl->tx_ring.cons, __ATOMIC_ACQUIRE);
		/* Linux: TCP is writable when free space is at least half
		 * the queued bytes (sk_stream_is_writeable), UDP while less
		 * than half the buffer is used (sock_writeable). */
		if (used <= tx.size &&
		    (s->type == SOCK_STREAM ? tx.size - used >= used / 2 : used < tx.size / 2))
			ev |= EPOLLOUT | EPOLLWRNORM;
	}
	return ev;
}

int ax_sock_error_pending(struct ax_sock *s)
{
	return ax_sess_gone() || __atomic_load_n(&s->slot->so_error, __ATOMIC_ACQUIRE) != 0 ||
	       (__atomic_load_n(&s->slot->ready, __ATOMIC_ACQUIRE) & EPOLLERR);
}

int ax_sock_take_error(struct ax_sock *s)
{
	struct axipc_getopt q = { .level = SOL_SOCKET, .name = SO_ERROR, .len = sizeof(int) };
	struct axipc_getopt_rep rep;
	int err, v = 0;

	err = ax_call(AXIPC_GETSOCKOPT, s->id, &q, sizeof(q), &rep, sizeof(rep), NULL);
	if (err < 0)
		return err;
	if (rep.len >= sizeof(int))
		memcpy(&v, rep.val, sizeof(v));
	return v > 0 ? -v : 0;
}

void ax_kick(struct ax_sock *s)
{
	struct axipc_seg_hdr *h = ax_sess.hdr;
	uint32_t id = s->id;

	__atomic_or_fetch(&h->kick_bits[id / 64], 1ull << (id % 64), __ATOMIC_RELEASE);
	__atomic_or_fetch(&h->kick_sum[id / 4096], 1ull << ((id / 64) % 64), __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->need_wakeup, __ATOMIC_RELAXED)) {
		uint64_t one = 1;
		int oc = ax_nocancel(); /* write(2) is a cancellation point */
		ssize_t r = ax_sys_write(ax_sess.doorbell, &one, sizeof(one));

		(void)r;
		ax_cancel_restore(oc);
	}
}

/* ---- objects ---- */

struct ax_sock *ax_sock_get(int fd)
{
	struct ax_obj *o = ax_fd_get(fd);

	if (o && o->kind == AX_OBJ_SOCK)
		return (struct ax_sock *)o;
	if (o)
		ax_obj_put(o);
	return NULL;
}

int ax_sock_ring(struct ax_sock *s, int dir, struct ax_ringmem *m)
{
	struct axipc_ringdesc *d = dir ? &s->slot->tx : &s->slot->rx;
	uint64_t off;
	uint32_t size;

	__atomic_load_n(&s->slot->seq, __ATOMIC_ACQUIRE);
	/* Read every time: the daemon sets it at establishment and takes it
	 * back (size 0) when the connection is gone. */
	size = __atomic_load_n(&d->size, __ATOMIC_ACQUIRE);
	off = __atomic_load_n(&d->off, __ATOMIC_RELAXED);
	/* Our daemon's word, but never a pointer outside the mapping. */
	if (!size || (size & (size - 1)) || off > ax_sess.seg_size || ax_sess.seg_size - off < size)
		return 0;
	m->base = ax_sess.seg + off;
	m->size = size;
	if (dir && s->type == SOCK_STREAM && s->state == AXS_CONNECTING)
		s->state = AXS_CONNECTED; /* the rings come with establishment */
	return 1;
}

/* A socket object for a slot id and its eventfd (from SOCKET/ACCEPT);
 * installs it as fd. On failure the daemon's socket is closed. */
static int sock_install(uint32_t id, int efd, int domain, int type, int flags, int state)
{
	struct ax_sock *s;
	int err;

	if (id >= ax_sess.nslots) {
		err = -EPROTO;
		goto fail;
	}
	/* The eventfd is drained without blocking whatever the socket's
	 * mode; close-on-exec as asked (it came with MSG_CMSG_CLOEXEC). */
	if (ax_sys_fcntl(efd, F_SETFL, (void *)(long)O_NONBLOCK) < 0 ||
	    (!(flags & SOCK_CLOEXEC) && ax_sys_fcntl(efd, F_SETFD, (void *)0L) < 0)) {
		err = -errno;
		goto fail;
	}
	s = (struct ax_sock *)ax_obj_alloc(AX_OBJ_SOCK, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto fail;
	}
	s->id = id;
	s->type = type;
	s->domain = domain;
	s->state = state;
	s->nonblock = !!(flags & SOCK_NONBLOCK);
	s->slot = &ax_sess.slots[id];
	/* A new slot (or one every user has closed): no one else holds
	 * its locks. */
	ax_slot_lock_init(id);
	pthread_mutex_init(&s->wmu, NULL);
	pthread_cond_init(&s->pollcv, NULL);
	s->pollfd = -1;
	err = ax_fd_install(efd, &s->o);
	if (err) {
		ax_obj_discard(&s->o);
		goto fail;
	}
	return efd;
fail:
	ax_call(AXIPC_CLOSE, id, NULL, 0, NULL, 0, NULL);
	if (efd >= 0)
		ax_sys_close(efd);
	return err;
}

/* Room in our descriptor table for the eventfd a SOCKET or ACCEPT brings:
 * 0, or -EMFILE/-ENFILE before the daemon is asked (so that, as on Linux,
 * a full table fails the call and an accept leaves its connection queued,
 * rather than the descriptor being dropped in flight). */
static int fd_room(void)
{
	int fd = ax_sys_fcntl(ax_sess.ctl, F_DUPFD_CLOEXEC, (void *)0L), oc;

	if (fd < 0)
		return errno == EBADF ? 0 : -errno;
	oc = ax_nocancel();
	ax_sys_close(fd);
	ax_cancel_restore(oc);
	return 0;
}

AX_API int ax_socket(int domain, int type, int protocol)
{
	struct axipc_socket q = { .domain = domain, .protocol = protocol };
	struct axipc_sock_rep rep;
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC), base = type & ~flags, efd = -1, err;

	/* Linux: unknown flag bits above the type are EINVAL. */
	if (base & ~0xf)
		return (int)ax_ret(-EINVAL);
	if (domain != AF_INET && domain != AF_INET6)
		return (int)ax_ret(-EAFNOSUPPORT);
	if (base != SOCK_STREAM && base != SOCK_DGRAM)
		return (int)ax_ret(-ESOCKTNOSUPPORT);
	err = ax_session_get();
	if (err)
		return (int)ax_ret(err);
	q.type = base;
	err = fd_room();
	if (err)
		return (int)ax_ret(err);
	err = ax_call(AXIPC_SOCKET, 0, &q, sizeof(q), &rep, sizeof(rep), &efd);
	if (err < 0)
		return (int)ax_ret(err);
	if (efd < 0)
		return (int)ax_ret(-EPROTO);
	return (int)ax_ret(sock_install(rep.sock, efd, domain, base, flags, AXS_NEW));
}

/* A user address for the wire: Linux's checks on the length first. */
static int addr_in(struct axipc_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if ((int)len < 0 || len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (len && !sa)
		return -EFAULT;
	a->len = len < AXIPC_SOCKADDR_MAX ? len : AXIPC_SOCKADDR_MAX;
	if (a->len)
		memcpy(a->addr, sa, a->len);
	return 0;
}

/* Copy a wire address out as Linux does: truncated to *len, *len the
 * full size. */
static int addr_out(const struct axipc_addr *a, struct sockaddr *sa, socklen_t *len)
{
	socklen_t n;

	if (!sa || !len)
		return 0;
	if ((int)*len < 0)
		return -EINVAL;
	n = a->len < *len ? a->len : *len;
	if (n)
		memcpy(sa, a->addr, n);
	*len = a->len;
	return 0;
}

AX_API int ax_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct axipc_addr a;
	struct ax_sock *s;
	int err;

	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_bind(fd, addr, addrlen);
	err = addr_in(&a, addr, addrlen);
	if (!err)
		err = ax_call(AXIPC_BIND, s->id, &a, sizeof(a), NULL, 0, NULL);
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

AX_API int ax_listen(int fd, int backlog)
{
	struct axipc_int q = { .val = backlog };
	struct ax_sock *s;
	int err;

	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_listen(fd, backlog);
	err = ax_call(AXIPC_LISTEN, s->id, &q, sizeof(q), NULL, 0, NULL);
	if (err >= 0)
		s->state = AXS_LISTEN;
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

AX_API int ax_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	struct axipc_int q = { 0 };
	struct axipc_sock_rep rep;
	struct ax_sock *s;
	uint64_t deadline;
	int err, efd = -1, waiting = 0;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return (int)ax_ret(-EINVAL);
	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_accept4(fd, addr, addrlen, flags);
	if (addr && addrlen && (int)*addrlen < 0) {
		err = -EINVAL;
		goto out;
	}
	deadline = ax_deadline(s->rcvtimeo_ms);
	for (;;) {
		uint32_t gen = ax_wait_gen(s);

		if (ax_sock_dead(s)) {
			err = -EBADF;
			break;
		}
		err = fd_room();
		if (err)
			break;
		err = ax_call(AXIPC_ACCEPT, s->id, &q, sizeof(q), &rep, sizeof(rep), &efd);
		if (err != -EAGAIN || s->nonblock)
			break;
		if (!waiting) {
			ax_wait_begin(s, 0);
			waiting = 1;
			continue; /* re-check with want set */
		}
		err = ax_wait_sleep(s, 0, gen, deadline);
		if (err == -AX_ERESTART)
			continue; /* SA_RESTART: accept(2) starts again */
		if (err < 0)
			break;
	}
	if (waiting)
		ax_wait_end(s, 0);
	if (err >= 0) {
		if (efd < 0) {
			err = -EPROTO;
			goto out;
		}
		err = sock_install(rep.sock, efd, s->domain, SOCK_STREAM, flags, AXS_CONNECTED);
		if (err >= 0)
			addr_out(&rep.peer, addr, addrlen);
	}
out:
	ax_obj_put(&s->o);
	return (int)ax_ret(err);
}

AX_API int ax_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return ax_accept4(fd, addr, addrlen, 0);
}

/* Wait for a connection in progress to complete: 0 connected, or its
 * error; -EINPROGRESS when SO_SNDTIMEO passed, -EINTR. */
static int connect_wait(struct ax_sock *s)
{
	uint64_t deadline = ax_deadline(s->sndtimeo_ms);
	int err, waiting = 0;

	for (;;) {
		uint32_t gen = ax_wait_gen(s);
		uint32_t ready = __atomic_load_n(&s->slot->ready, __ATOMIC_ACQUIRE);

		if (ax_sock_dead(s)) {
			err = -EBADF;
			break;
		}
		if (ready & (EPOLLERR | EPOLLHUP) || ax_sock_error_pending(s)) {
			err = ax_sock_take_error(s);
			if (!err)
				err = -ECONNRESET;
			s->state = AXS_NEW;
			break;
		}
		if (ready & EPOLLOUT) {
			s->state = AXS_CONNECTED;
			err = 0;
			break;
		}
		if (!waiting) {
			ax_wait_begin(s, 1);
			waiting = 1;
			continue;
		}
		err = ax_wait_sleep(s, 1, gen, deadline);
		/* SA_RESTART: Linux's connect(2) starts again and, finding its
		 * connection in progress, waits for it on (inet_stream_connect). */
		if (err == -AX_ERESTART)
			continue;
		if (err == -EAGAIN)
			err = -EINPROGRESS;
		if (err < 0)
			break;
	}
	if (waiting)
		ax_wait_end(s, 1);
	return err;
}

AX_API int ax_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct axipc_addr a;
	struct ax_sock *s;
	int err;

	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_connect(fd, addr, addrlen);
	err = addr_in(&a, addr, addrlen);
	if (err)
		goto out;
	err = ax_call(AXIPC_CONNECT, s->id, &a, sizeof(a), NULL, 0, NULL);
	if (s->type == SOCK_DGRAM) {
		if (err >= 0)
			s->state = addrlen >= sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC
					   ? AXS_NEW : AXS_CONNECTED;
		goto out;
	}
	if (err >= 0) {
		s->state = AXS_CONNECTED;
		s->connecting = 0;
	} else if (err == -EINPROGRESS || err == -EALREADY) {
		if (s->state != AXS_CONNECTED)
			s->state = AXS_CONNECTING;
		s->connecting = 1;
		/* Linux: a blocking connect waits, also a second one. */
		if (!s->nonblock) {
			err = connect_wait(s);
			if (err != -EINTR && err != -EINPROGRESS)
				s->connecting = 0;
		}
	} else if (err == -EISCONN) {
		s->state = AXS_CONNECTED;
		/* Linux inet_stream_connect: the first connect after a
		 * non-blocking one completed reports success (0), the next
		 * ones EISCONN. */
		if (s->connecting)
			err = 0;
		s->connecting = 0;
	} else if (s->connecting) {
		/* The connection in progress failed: its error, once. */
		s->connecting = 0;
		s->state = AXS_NEW;
	}
out:
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

AX_API int ax_shutdown(int fd, int how)
{
	struct axipc_int q = { .val = how };
	struct ax_sock *s;
	int err;

	s = ax_sock_get(fd);
	if (!s)
		return ax_sys_shutdown(fd, how);
	err = ax_call(AXIPC_SHUTDOWN, s->id, &q, sizeof(q), NULL, 0, NULL);
	if (err >= 0) {
		if (how == SHUT_RD || how == SHUT_RDWR)
			s->shut_rd = 1;
		if (how == SHUT_WR || how == SHUT_RDWR)
			s->shut_wr = 1;
		/* Blocked readers see the end now. */
		ax_sock_drained(s);
	}
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

void ax_epoll_close(struct ax_obj *o);

/*
 * fd leaves the table. Its object, when fd was its last descriptor, closes
 * (a socket: AXIPC_CLOSE; its blocked threads wake with EBADF); otherwise
 * the others carry on, blocked threads included, as Linux's dups do. The
 * kernel descriptor is closed too unless keep_fd (dup2/dup3 onto it: the
 * kernel replaces it). 0, or -ENOENT when fd is not ours.
 */
static int fd_release(int fd, int keep_fd)
{
	struct ax_obj *o;
	struct ax_sock *s;
	int last;

	o = ax_fd_remove(fd, &last);
	if (!o)
		return -ENOENT;
	if (!last) {
		/* The library polls another of its descriptors from now on
		 * (ax_fd_remove moved o->fd); a poll still on this one ends
		 * before the number can go to another file. */
		if (o->kind == AX_OBJ_SOCK)
			ax_sock_fd_retire((struct ax_sock *)o, fd);
		if (!keep_fd)
			ax_sys_close(fd);
		ax_obj_put(o);
		return 0;
	}
	if (o->kind == AX_OBJ_EPOLL) {
		/* ax_epoll_close closes the kernel descriptor: for keep_fd a
		 * dup of it goes in its place, which dup2 then replaces. */
		if (keep_fd) {
			int tmp = ax_sys_fcntl(fd, F_DUPFD_CLOEXEC, (void *)0L);

			if (tmp >= 0) {
				o->fd = tmp;
				ax_epoll_close(o);
				return 0;
			}
		}
		ax_epoll_close(o);
		return 0;
	}
	s = (struct ax_sock *)o;
	ax_epoll_forget(s);
	/* Threads blocked on it wake (the eventfd fires, the generation
	 * moves) and find it dead: EBADF, before the daemon may give its
	 * slot to another socket. */
	{
		uint64_t one = 1;
		ssize_t r = ax_sys_write(fd, &one, sizeof(one));
		(void)r;
	}
	ax_sock_drained(s);
	/* A poller of ours still in poll(2) on fd: out before it closes. */
	ax_sock_fd_retire(s, fd);
	if (!keep_fd)
		ax_sys_close(fd);
	ax_call(AXIPC_CLOSE, s->id, NULL, 0, NULL, 0, NULL);
	ax_obj_put(o);
	return 0;
}

AX_API int ax_close(int fd)
{
	int oc, r;

	if (!ax_fd_peek(fd))
		return ax_sys_close(fd);
	/* Not a blocking call for an axnet socket: never cancelled halfway
	 * (a socket left open in the instance). */
	oc = ax_nocancel();
	r = fd_release(fd, 0);
	ax_cancel_restore(oc);
	return r == -ENOENT ? ax_sys_close(fd) : 0;
}

/* newfd, a kernel dup of o's descriptor, becomes one of o's. newfd or
 * -errno (newfd closed then). */
int ax_obj_dup_install(struct ax_obj *o, int newfd)
{
	int err = ax_fd_dup(newfd, o);

	if (err) {
		ax_sys_close(newfd);
		return err;
	}
	return newfd;
}

AX_API int ax_dup(int fd)
{
	struct ax_obj *o = ax_fd_get(fd);
	int nfd;

	if (!o)
		return ax_sys_dup(fd);
	nfd = ax_sys_dup(fd);
	if (nfd >= 0)
		nfd = (int)ax_ret(ax_obj_dup_install(o, nfd));
	ax_obj_put(o);
	return nfd;
}

/* dup2 (dup3 0) and dup3 (dup3 1). */
static int dup_onto(int oldfd, int newfd, int flags, int dup3)
{
	struct ax_obj *oo, *on;
	int r, oc;

	if (dup3 && (flags & ~O_CLOEXEC))
		return (int)ax_ret(-EINVAL);
	if (oldfd == newfd) /* dup2: newfd if it is open; dup3: EINVAL */
		return dup3 ? (int)ax_ret(-EINVAL) : ax_sys_dup2(oldfd, newfd);
	oo = ax_fd_get(oldfd);
	on = ax_fd_get(newfd);
	if (!oo && !on)
		return dup3 ? ax_sys_dup3(oldfd, newfd, flags) : ax_sys_dup2(oldfd, newfd);
	if (on)
		ax_obj_put(on);
	/* Linux checks oldfd before it touches newfd. */
	if (!oo && ax_sys_fcntl(oldfd, F_GETFD, (void *)0L) < 0)
		return -1;
	oc = ax_nocancel();
	/* newfd an axnet socket: closed first, as the kernel closes what
	 * newfd was (the socket itself only with its last descriptor). */
	if (on)
		fd_release(newfd, 1);
	r = ax_sys_dup3(oldfd, newfd, dup3 ? flags : 0);
	if (r < 0) {
		int e = errno;

		/* newfd's socket is gone from the table: its number is not
		 * to name a stray eventfd. */
		if (on)
			ax_sys_close(newfd);
		errno = e;
	} else if (oo) {
		r = (int)ax_ret(ax_obj_dup_install(oo, newfd));
	}
	ax_cancel_restore(oc);
	if (oo)
		ax_obj_put(oo);
	return r;
}

AX_API int ax_dup2(int oldfd, int newfd)
{
	return dup_onto(oldfd, newfd, 0, 0);
}

AX_API int ax_dup3(int oldfd, int newfd, int flags)
{
	return dup_onto(oldfd, newfd, flags, 1);
}

static int getname(int fd, struct sockaddr *addr, socklen_t *addrlen, int peer)
{
	struct axipc_int q = { .val = peer };
	struct axipc_addr a;
	struct ax_sock *s;
	int err;

	s = ax_sock_get(fd);
	if (!s)
		return peer ? ax_sys_getpeername(fd, addr, addrlen) : ax_sys_getsockname(fd, addr, addrlen);
	if (!addrlen) {
		err = -EFAULT;
	} else if ((int)*addrlen < 0) {
		err = -EINVAL;
	} else {
		err = ax_call(AXIPC_GETNAME, s->id, &q, sizeof(q), &a, sizeof(a), NULL);
		if (err >= 0)
			err = addr_out(&a, addr, addrlen);
	}
	ax_obj_put(&s->o);
	return (int)ax_ret(err < 0 ? err : 0);
}

AX_API int ax_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return getname(fd, addr, addrlen, 0);
}

AX_API int ax_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return getname(fd, addr, addrlen, 1);
}
