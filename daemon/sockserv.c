/*
 * sockserv.c - the control half of the server for programs (see
 * sockserv.h; the wire is include/axnet/ipc.h): the api.sock listener,
 * sessions and their requests, segments (memfd, doorbell, token), and the
 * loop's calls. Sockets, rings and wake-ups are sockserv_data.c's.
 *
 * Private state (never in shared memory): per segment the allocator, the
 * socket table by slot id, and which socket owns which ring block; per
 * session the sockets it holds references on.
 */
#define _GNU_SOURCE
#include "daemon/sockserv_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ipc_decode.h"
#include "net/opt.h"
#include "net/tcp.h"
#include "sock/sock.h"
#include "util/instance.h"
#include "util/log.h"

/* ---- segments ---- */

void ss_seg_free(struct ss_seg *g)
{
	struct sockserv *ss = g->ss;
	struct ss_cred *c, *n;

	if (g->prev)
		g->prev->next = g->next;
	else
		ss->segs = g->next;
	if (g->next)
		g->next->prev = g->prev;
	if (g->bell >= 0) {
		/* The program holds the same eventfd: without this its
		 * writes would still report our freed pointer. */
		if (ss->ep >= 0)
			epoll_ctl(ss->ep, EPOLL_CTL_DEL, g->bell, NULL);
		close(g->bell);
	}
	if (g->base && g->base != MAP_FAILED)
		munmap(g->base, g->size);
	if (g->memfd >= 0)
		close(g->memfd);
	segalloc_fini(&g->alloc);
	for (c = g->creds; c; c = n) {
		n = c->next;
		ss->st.creds--;
		free(c);
	}
	free(g->socks);
	free(g->free_ids);
	ringown_fini(&g->own);
	ss->st.segments--;
	free(g);
}

static int seg_new(struct sockserv *ss, struct ss_seg **out)
{
	struct ss_seg *g = calloc(1, sizeof(*g));
	uint64_t slot_off, ring_start;
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!g)
		return -ENOMEM;
	g->kind = SS_BELL;
	g->ss = ss;
	g->memfd = g->bell = -1;
	g->next = ss->segs;
	if (ss->segs)
		ss->segs->prev = g;
	ss->segs = g;
	ss->st.segments++;
	g->size = ss->seg_size;
	slot_off = (sizeof(struct axipc_seg_hdr) + 4095) & ~4095ull;
	ring_start = (slot_off + (uint64_t)AXIPC_SLOTS * sizeof(struct axipc_slot) + 4095) &
		     ~4095ull;
	if (ring_start + SEGALLOC_MIN > g->size) {
		err = -EINVAL;
		goto fail;
	}
	g->memfd = memfd_create("axnet-api", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (g->memfd < 0 || ftruncate(g->memfd, (off_t)g->size) < 0) {
		err = -errno;
		goto fail;
	}
	/* A program that shrank the file would make our mapping fault:
	 * the size is sealed (holes may still be punched, ours or its). */
	if (fcntl(g->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		err = -errno;
		goto fail;
	}
	g->base = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       g->memfd, 0);
	if (g->base == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	g->socks = calloc(AXIPC_SLOTS, sizeof(*g->socks));
	g->free_ids = calloc(AXIPC_SLOTS, sizeof(*g->free_ids));
	if (!g->socks || !g->free_ids) {
		err = -ENOMEM;
		goto fail;
	}
	if (getrandom(g->token, sizeof(g->token), 0) != sizeof(g->token)) {
		err = -EIO;
		goto fail;
	}
	segalloc_init(&g->alloc, g->memfd, ring_start, g->size);
	g->hdr = (struct axipc_seg_hdr *)g->base;
	g->slots = (struct axipc_slot *)(g->base + slot_off);
	g->hdr->version = AXIPC_VERSION;
	g->hdr->seg_size = g->size;
	g->hdr->slot_off = slot_off;
	g->hdr->nslots = AXIPC_SLOTS;
	g->hdr->ifindex = sock_layer_ifindex(ss->socks);
	memcpy(g->hdr->token, g->token, sizeof(g->token));
	__atomic_store_n(&g->hdr->magic, AXIPC_MAGIC, __ATOMIC_RELEASE);
	g->bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ev.data.ptr = g;
	if (g->bell < 0 || epoll_ctl(ss->ep, EPOLL_CTL_ADD, g->bell, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	*out = g;
	return 0;
fail:
	ss_seg_free(g);
	return err;
}

/* ---- per-uid accounts and the daemon's descriptors ---- */

static struct ss_acct *acct_get(struct sockserv *ss, uint32_t uid)
{
	struct ss_acct *a;

	for (a = ss->accts; a; a = a->next)
		if (a->uid == uid)
			return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->uid = uid;
	a->next = ss->accts;
	ss->accts = a;
	return a;
}

static void acct_maybe_free(struct sockserv *ss, struct ss_acct *a)
{
	struct ss_acct **pp;

	if (a->sessions || a->sockets)
		return;
	for (pp = &ss->accts; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			free(a);
			return;
		}
	}
}

void ss_acct_sock_put(struct sockserv *ss, struct ss_acct *a)
{
	if (!a)
		return;
	a->sockets--;
	acct_maybe_free(ss, a);
}

/* Room for need more descriptors of ours (a session may hold a reply's
 * duplicate too) within the budget; a new segment may use half the
 * reserve, so programs at the sockets' limit do not lock out the next
 * program's registration. */
static int fd_room(const struct sockserv *ss, uint64_t need, int segment)
{
	return 2 * ss->st.sessions + 2 * ss->st.segments + ss->st.sockets + need <=
	       ss->fd_budget + (segment ? ss->fd_reserve / 2 : 0);
}

/* May e's uid have one more socket? 0, -EMFILE (its cap, as a process at
 * RLIMIT_NOFILE) or -ENFILE (the daemon's own descriptors, as a full
 * system file table). */
static int sock_admit(const struct ss_sess *e)
{
	if (e->acct->sockets >= e->ss->max_uid_sockets)
		return -EMFILE;
	if (!fd_room(e->ss, 1, 0))
		return -ENFILE;
	return 0;
}

/* ---- sessions ---- */

static void sess_end(struct ss_sess *e)
{
	struct sockserv *ss = e->ss;
	unsigned w;

	if (e->seg) {
		for (w = 0; w < AXIPC_SLOTS / 64; w++) {
			while (e->refs[w]) {
				uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(e->refs[w]);

				e->refs[w] &= e->refs[w] - 1;
				if (e->seg->socks[id])
					ss_sock_unref(e->seg->socks[id]);
			}
		}
		e->seg->sessions--;
		ss->reap = 1;
		if (!e->cred->used) {
			/* Owner of nothing (a forked child that only used
			 * its parent's sockets): it goes now, not with the
			 * segment, or a server forking per connection would
			 * grow us by one cred per fork. */
			struct ss_cred **pp;

			for (pp = &e->seg->creds; *pp; pp = &(*pp)->next) {
				if (*pp == e->cred) {
					*pp = e->cred->next;
					free(e->cred);
					ss->st.creds--;
					break;
				}
			}
		}
	}
	e->acct->sessions--;
	acct_maybe_free(ss, e->acct);
	if (e->outfd >= 0)
		close(e->outfd);
	epoll_ctl(ss->ep, EPOLL_CTL_DEL, e->fd, NULL);
	close(e->fd);
	if (e->prev)
		e->prev->next = e->next;
	else
		ss->sessions = e->next;
	if (e->next)
		e->next->prev = e->prev;
	ss->st.sessions--;
	free(e);
}

static void sess_bad(struct ss_sess *e, const char *why)
{
	e->ss->st.bad_msg++;
	if (ss_log_ok(e->ss))
		log_info("sockserv: session of pid %u ended: %s", e->peer.pid, why);
	e->ending = 1;
}

/* fd rides mh as SCM_RIGHTS in cm, the caller's aligned control space of
 * cmlen bytes (CMSG_SPACE(sizeof(int)) at the least). */
static void attach_fd(struct msghdr *mh, void *cm, size_t cmlen, int fd)
{
	struct cmsghdr *c;

	memset(cm, 0, cmlen);
	mh->msg_control = cm;
	mh->msg_controllen = CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

/* Send a reply (with fd passed along unless -1). One that does not fit
 * waits in the session (with a duplicate of fd) and reading stops. */
static void sess_reply(struct ss_sess *e, const struct axipc_hdr *rq, int32_t err,
		       const void *body, size_t blen, int fd)
{
	struct axipc_rep r = { .h = *rq, .err = err };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint8_t out[AXIPC_MSG_MAX];
	ssize_t n;

	if (err < 0)
		blen = 0;
	r.h.len = (uint32_t)(sizeof(r) + blen);
	r.h.flags = 0;
	memcpy(out, &r, sizeof(r));
	if (blen)
		memcpy(out + sizeof(r), body, blen);
	iov.iov_base = out;
	iov.iov_len = sizeof(r) + blen;
	if (fd >= 0)
		attach_fd(&mh, &cm, sizeof(cm), fd);
	if (e->outlen)
		goto wait; /* keep the order */
	n = sendmsg(e->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)iov.iov_len)
		return;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		e->ending = 1; /* gone */
		return;
	}
wait:
	if (e->outlen) {
		/* A second waiting reply: the program sends requests
		 * without reading replies. */
		sess_bad(e, "requests sent without reading the replies");
		return;
	}
	memcpy(e->out, out, iov.iov_len);
	e->outlen = iov.iov_len;
	e->outfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	{
		struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = e };

		epoll_ctl(e->ss->ep, EPOLL_CTL_MOD, e->fd, &ev);
	}
}

static void sess_send_waiting(struct ss_sess *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = e->out, .iov_len = e->outlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = e };
	ssize_t n;

	if (e->outfd >= 0)
		attach_fd(&mh, &cm, sizeof(cm), e->outfd);
	n = sendmsg(e->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n != (ssize_t)e->outlen) {
		e->ending = 1;
		return;
	}
	e->outlen = 0;
	if (e->outfd >= 0)
		close(e->outfd);
	e->outfd = -1;
	epoll_ctl(e->ss->ep, EPOLL_CTL_MOD, e->fd, &ev);
}

static int holds(const struct ss_sess *e, uint32_t id)
{
	return id < AXIPC_SLOTS && (e->refs[id / 64] >> (id % 64) & 1);
}

static void hold(struct ss_sess *e, uint32_t id)
{
	e->refs[id / 64] |= 1ull << (id % 64);
}

static void let_go(struct ss_sess *e, uint32_t id)
{
	e->refs[id / 64] &= ~(1ull << (id % 64));
}

/* The session, in e's segment, of the process that forked e's (its
 * parent in /proc/PID/stat); NULL when there is none. */
static const struct ss_sess *parent_session(const struct ss_sess *e)
{
	const struct ss_sess *p;
	char path[32], buf[512], *r;
	unsigned long ppid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", e->peer.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything, ")" too. */
	r = strrchr(buf, ')');
	if (!r || sscanf(r + 1, " %*c %lu", &ppid) != 1)
		return NULL;
	for (p = e->ss->sessions; p; p = p->next)
		if (p != e && p->seg == e->seg && p->peer.pid == ppid && !p->ending)
			return p;
	return NULL;
}

/*
 * shutdown(how). Linux sends a UDP datagram within send(), so a later
 * SHUT_WR cannot stop it; ours wait in the tx ring while their flow's
 * authorization commits (sock_send -EAGAIN). A SHUT_WR that finds records
 * still there waits for them (udp_take_tx applies it when tx_cons reaches
 * the index it found) and says now what Linux would: 0, or -ENOTCONN
 * unconnected. The library refuses sends after it itself (EPIPE).
 */
static int do_shutdown(struct ss_sock *s, int how)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	uint32_t prod;

	if (s->type != SOCK_DGRAM || !s->tx_buf || (how != SHUT_WR && how != SHUT_RDWR))
		return sock_shutdown(s->so, how);
	prod = __atomic_load_n(&s->seg->slots[s->id].tx_ring.prod, __ATOMIC_ACQUIRE);
	if (prod == s->tx_cons)
		return sock_shutdown(s->so, how);
	s->tx_shut_wr = 1;
	s->tx_shut_at = prod;
	if (how == SHUT_RDWR)
		return sock_shutdown(s->so, SHUT_RD);
	return sock_getpeername(s->so, (struct sockaddr *)&sa, &salen) ? -ENOTCONN : 0;
}

static void do_hello(struct ss_sess *e, const struct axipc_req *q)
{
	struct sockserv *ss = e->ss;
	struct axipc_hello_rep rep = { .version = AXIPC_VERSION, .nslots = AXIPC_SLOTS };
	struct ss_cred *c;
	struct ss_seg *g = NULL;
	int err, fds[2];

	if (q->u.hello.version != AXIPC_VERSION) {
		sess_reply(e, &q->h, -EPROTONOSUPPORT, NULL, 0, -1);
		e->ending = 1;
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		sess_reply(e, &q->h, -ENOMEM, NULL, 0, -1);
		return;
	}
	c->c = e->peer;
	if (q->h.type == AXIPC_HELLO) {
		err = fd_room(ss, 2, 1) ? seg_new(ss, &g) : -ENFILE;
		if (err) {
			free(c);
			if (ss_log_ok(ss))
				log_warn("sockserv: no segment for pid %u: %s", e->peer.pid,
					 strerror(-err));
			sess_reply(e, &q->h, err, NULL, 0, -1);
			return;
		}
	} else {
		for (g = ss->segs; g; g = g->next) {
			/* Constant time: how long a wrong guess takes must
			 * not say how much of it was right. */
			uint8_t diff = 0;
			unsigned i;

			for (i = 0; i < sizeof(g->token); i++)
				diff |= (uint8_t)(g->token[i] ^ q->u.attach.token[i]);
			if (!diff)
				break;
		}
		if (!g) {
			free(c);
			sess_bad(e, "ATTACH with an unknown token");
			return;
		}
	}
	c->next = g->creds;
	g->creds = c;
	ss->st.creds++;
	e->cred = c;
	e->seg = g;
	g->sessions++;
	rep.seg_size = g->size;
	if (q->h.type == AXIPC_ATTACH) {
		const struct ss_sess *parent = parent_session(e);
		uint32_t id;

		/* The child holds what its parent held (the descriptors
		 * came with fork): its parent's session's sockets, or, the
		 * parent not found in this segment, every socket of it. */
		for (id = 0; id < g->next_id; id++) {
			struct ss_sock *s = g->socks[id];

			if (s && (!parent || holds(parent, id))) {
				s->refs++;
				hold(e, id);
			}
		}
		sess_reply(e, &q->h, 0, &rep, sizeof(rep), -1);
		return;
	}
	/* Two descriptors: the memfd, then the doorbell. */
	fds[0] = g->memfd;
	fds[1] = g->bell;
	{
		struct axipc_rep r = { .h = q->h };
		uint8_t out[sizeof(r) + sizeof(rep)];
		union {
			char buf[CMSG_SPACE(2 * sizeof(int))];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { .iov_base = out, .iov_len = sizeof(out) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
		struct cmsghdr *cmh;

		r.h.len = sizeof(out);
		memcpy(out, &r, sizeof(r));
		memcpy(out + sizeof(r), &rep, sizeof(rep));
		memset(&cm, 0, sizeof(cm));
		cmh = CMSG_FIRSTHDR(&mh);
		cmh->cmsg_level = SOL_SOCKET;
		cmh->cmsg_type = SCM_RIGHTS;
		cmh->cmsg_len = CMSG_LEN(2 * sizeof(int));
		memcpy(CMSG_DATA(cmh), fds, sizeof(fds));
		/* The first reply on a fresh socket: its buffer is empty. */
		if (sendmsg(e->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(out))
			e->ending = 1;
	}
}

/*
 * A new socket (made or accepted) becomes the session's: a slot, charged to
 * its account, held and published. Returns NULL having closed so and
 * answered q with the error.
 */
static struct ss_sock *sess_adopt(struct ss_sess *e, struct sock *so, int type,
				  const struct axipc_req *q)
{
	struct ss_sock *s;
	int err;

	s = ss_sock_new(e->seg, so, type, &err);
	if (!s) {
		sock_close(so);
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return NULL;
	}
	s->acct = e->acct;
	e->acct->sockets++;
	hold(e, s->id);
	ss_sock_publish(s);
	return s;
}

static void do_socket(struct ss_sess *e, const struct axipc_req *q)
{
	struct ss_seg *g = e->seg;
	struct axipc_sock_rep rep = { 0 };
	int type = q->u.socket.type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int proto = q->u.socket.protocol, err = 0;
	struct sock *so;
	struct ss_sock *s;

	if (q->u.socket.domain != AF_INET && q->u.socket.domain != AF_INET6) {
		sess_reply(e, &q->h, -EAFNOSUPPORT, NULL, 0, -1);
		return;
	}
	if (proto && !(type == SOCK_STREAM && proto == IPPROTO_TCP) &&
	    !(type == SOCK_DGRAM && proto == IPPROTO_UDP)) {
		sess_reply(e, &q->h, -EPROTONOSUPPORT, NULL, 0, -1);
		return;
	}
	err = sock_admit(e);
	if (err) {
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	e->cred->used = 1;
	err = sock_create_af(e->ss->socks, q->u.socket.domain, type, &e->cred->c, &so);
	if (err) {
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	sock_set_mem(so, &ss_mem_ops, g);
	s = sess_adopt(e, so, type, q);
	if (!s)
		return;
	rep.sock = s->id;
	sess_reply(e, &q->h, 0, &rep, sizeof(rep), s->efd);
}

static void do_accept(struct ss_sess *e, struct ss_sock *l, const struct axipc_req *q)
{
	struct ss_seg *g = e->seg;
	struct axipc_sock_rep rep = { 0 };
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	struct sock *so;
	struct ss_sock *s;
	int err;

	/* As the kernel: no descriptor to give, the connection stays
	 * queued (EMFILE). */
	err = !g->nfree && g->next_id >= AXIPC_SLOTS ? -EMFILE : sock_admit(e);
	if (err) {
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	err = sock_accept(l->so, &so);
	ss_sock_publish(l); /* its queue changed: the reply finds it so */
	if (err) {
		sess_reply(e, &q->h, err, NULL, 0, -1);
		return;
	}
	s = sess_adopt(e, so, SOCK_STREAM, q);
	if (!s)
		return;
	if (sock_getpeername(so, (struct sockaddr *)&sa, &salen) == 0 &&
	    salen <= AXIPC_SOCKADDR_MAX) {
		rep.peer.len = salen;
		memcpy(rep.peer.addr, &sa, salen);
	}
	rep.sock = s->id;
	sess_reply(e, &q->h, 0, &rep, sizeof(rep), s->efd);
}

static void do_getopt(struct ss_sess *e, struct ss_sock *s, const struct axipc_req *q)
{
	struct axipc_getopt_rep rep = { 0 };
	socklen_t len = q->u.getopt.len;
	int err;

	if (q->u.getopt.level == SOL_SOCKET && q->u.getopt.name == SO_ERROR &&
	    (s->err || !s->so) && len >= sizeof(int)) {
		/* Our own pending error (an aborted connection, a failed
		 * datagram) first, as the kernel's sk_err; read clears. */
		int v = -s->err;

		s->err = 0;
		memcpy(rep.val, &v, sizeof(v));
		rep.len = sizeof(v);
		ss_sock_publish(s);
		sess_reply(e, &q->h, 0, &rep, sizeof(rep), -1);
		return;
	}
	if (!s->so) {
		sess_reply(e, &q->h, -ENOTCONN, NULL, 0, -1);
		return;
	}
	err = sock_getsockopt(s->so, q->u.getopt.level, q->u.getopt.name, rep.val, &len);
	if (!err && len > AXIPC_OPT_MAX)
		err = -EINVAL;
	rep.len = len;
	ss_sock_publish(s); /* SO_ERROR clears: readiness may change */
	sess_reply(e, &q->h, err, &rep, sizeof(rep), -1);
}

/*
 * A socket we aborted (a bad ring index) answers as a Linux socket whose
 * connection was reset: its error once through SO_ERROR (do_getopt), its
 * local name still, no peer, nothing to shut down or listen on. Never
 * -ECONNRESET for the request itself: to a library that reads as its
 * session to the daemon being gone.
 */
static void dead_reply(struct ss_sess *e, struct ss_sock *s, const struct axipc_req *q)
{
	int err;

	switch (q->h.type) {
	case AXIPC_GETNAME:
		if (q->u.i.val || !s->local.len) {
			err = -ENOTCONN;
			break;
		}
		sess_reply(e, &q->h, 0, &s->local, sizeof(s->local), -1);
		return;
	case AXIPC_SETSOCKOPT:
		err = 0; /* taken, to no effect */
		break;
	case AXIPC_CONNECT:
		err = -ECONNABORTED;
		break;
	case AXIPC_SHUTDOWN:
		err = -ENOTCONN;
		break;
	default: /* BIND, LISTEN, ACCEPT */
		err = -EINVAL;
		break;
	}
	sess_reply(e, &q->h, err, NULL, 0, -1);
}

static void do_sockreq(struct ss_sess *e, const struct axipc_req *q)
{
	struct ss_sock *s = holds(e, q->h.sock) ? e->seg->socks[q->h.sock] : NULL;
	struct sockaddr_storage sa;
	socklen_t salen;
	int err = 0;

	if (!s) {
		sess_reply(e, &q->h, -EBADF, NULL, 0, -1);
		return;
	}
	/* What the program wrote before this request goes first. */
	ss_sock_take(s);
	if (q->h.type == AXIPC_CLOSE) {
		let_go(e, s->id);
		ss_sock_unref(s);
		sess_reply(e, &q->h, 0, NULL, 0, -1);
		return;
	}
	if (q->h.type == AXIPC_GETSOCKOPT) {
		do_getopt(e, s, q);
		return;
	}
	if (!s->so) {
		dead_reply(e, s, q);
		return;
	}
	switch (q->h.type) {
	case AXIPC_BIND:
	case AXIPC_CONNECT:
		memset(&sa, 0, sizeof(sa));
		memcpy(&sa, q->u.addr.addr, q->u.addr.len);
		err = q->h.type == AXIPC_BIND
			      ? sock_bind(s->so, (struct sockaddr *)&sa, q->u.addr.len)
			      : sock_connect(s->so, (struct sockaddr *)&sa, q->u.addr.len);
		break;
	case AXIPC_LISTEN:
		err = sock_listen(s->so, q->u.i.val);
		break;
	case AXIPC_ACCEPT:
		do_accept(e, s, q);
		return;
	case AXIPC_SHUTDOWN:
		err = do_shutdown(s, q->u.i.val);
		break;
	case AXIPC_SETSOCKOPT:
		err = sock_setsockopt(s->so, q->u.setopt.level, q->u.setopt.name, q->u.setopt.val,
				      q->u.setopt.len);
		break;
	case AXIPC_GETNAME: {
		struct axipc_addr a = { 0 };

		salen = sizeof(sa);
		err = q->u.i.val ? sock_getpeername(s->so, (struct sockaddr *)&sa, &salen)
				 : sock_getsockname(s->so, (struct sockaddr *)&sa, &salen);
		if (!err) {
			a.len = salen < AXIPC_SOCKADDR_MAX ? salen : AXIPC_SOCKADDR_MAX;
			memcpy(a.addr, &sa, a.len);
		}
		ss_sock_publish(s);
		sess_reply(e, &q->h, err, &a, sizeof(a), -1);
		return;
	}
	default:
		err = -EINVAL;
		break;
	}
	ss_sock_publish(s);
	sess_reply(e, &q->h, err, NULL, 0, -1);
}

static void sess_request(struct ss_sess *e, const struct axipc_req *q)
{
	e->ss->st.requests++;
	if (e->refused) {
		/* Its uid holds AX_IPC_MAX_SESSIONS_UID sessions already. */
		sess_reply(e, &q->h, -EMFILE, NULL, 0, -1);
		e->ending = 1;
		return;
	}
	if (q->h.type == AXIPC_HELLO || q->h.type == AXIPC_ATTACH) {
		if (e->seg) {
			sess_bad(e, "a second HELLO or ATTACH");
			return;
		}
		do_hello(e, q);
		return;
	}
	if (!e->seg) {
		sess_bad(e, "a request before HELLO");
		return;
	}
	if (q->h.type == AXIPC_SOCKET)
		do_socket(e, q);
	else
		do_sockreq(e, q);
}

static void sess_read(struct ss_sess *e)
{
	int i;

	for (i = 0; i < SS_REQ_BUDGET && !e->ending && !e->outlen; i++) {
		uint8_t buf[AXIPC_MSG_MAX + 1];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct axipc_req q;
		ssize_t n = recvmsg(e->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				e->ending = 1;
			return;
		}
		if (n == 0) {
			e->ending = 1; /* the program closed or exited */
			return;
		}
		/* Descriptors sent to us were dropped by the kernel (no
		 * control buffer): a program has no reason to send any. */
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			sess_bad(e, "oversized message or descriptors sent");
			return;
		}
		if (ipc_decode_req(buf, (size_t)n, &q) < 0) {
			sess_bad(e, "malformed request");
			return;
		}
		sess_request(e, &q);
	}
}

static void accept_sessions(struct sockserv *ss)
{
	int fd, i;

	for (i = 0; i < 64; i++) {
		struct ss_sess *e;
		struct ucred uc;
		socklen_t len = sizeof(uc);
		struct epoll_event ev = { .events = EPOLLIN };

		fd = accept4(ss->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("sockserv: cannot accept a session: %s", strerror(errno));
			return;
		}
		if (ss->st.sessions >= AX_IPC_MAX_SESSIONS) {
			close(fd); /* the program sees its connection end */
			continue;
		}
		e = calloc(1, sizeof(*e));
		if (!e || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 ||
		    !(e->acct = acct_get(ss, uc.uid))) {
			free(e);
			close(fd);
			continue;
		}
		/* Over its uid's cap a session is told EMFILE at its first
		 * request; a few more over, the connection just ends (they
		 * would hold global sessions unanswered, had they no limit). */
		if (e->acct->sessions >= ss->max_uid_sessions + SS_REFUSED_MAX) {
			acct_maybe_free(ss, e->acct);
			free(e);
			close(fd);
			continue;
		}
		e->refused = e->acct->sessions >= ss->max_uid_sessions;
		e->kind = SS_SESSION;
		e->ss = ss;
		e->fd = fd;
		e->outfd = -1;
		cred_of_pid(&e->peer, (uint32_t)uc.pid, uc.uid, uc.gid);
		ev.data.ptr = e;
		if (epoll_ctl(ss->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			acct_maybe_free(ss, e->acct);
			free(e);
			close(fd);
			continue;
		}
		e->acct->sessions++;
		e->next = ss->sessions;
		if (ss->sessions)
			ss->sessions->prev = e;
		ss->sessions = e;
		ss->st.sessions++;
		ss->st.sessions_total++;
	}
}

/* ---- the loop's calls ---- */

int sockserv_fd(const struct sockserv *ss)
{
	return ss ? ss->ep : -1;
}

int sockserv_before_sleep(struct sockserv *ss, int timeout)
{
	struct ss_seg *g;
	int kicked = 0;

	if (!ss || timeout == 0)
		return timeout;
	for (g = ss->segs; g; g = g->next) {
		__atomic_store_n(&g->hdr->need_wakeup, 1, __ATOMIC_RELAXED);
		g->sleeping = 1;
	}
	/* Dekker with the program's "kick, fence, look at need_wakeup":
	 * a kick that did not see the flag is seen here. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (g = ss->segs; g && !kicked; g = g->next)
		kicked = ss_seg_pending(g);
	return kicked ? 0 : timeout;
}

void sockserv_io(struct sockserv *ss, short revents)
{
	struct epoll_event evs[SS_EVENTS];
	struct ss_sess *e, *en;
	struct ss_seg *g;
	int n, i;

	if (!ss)
		return;
	for (g = ss->segs; g; g = g->next) {
		if (g->sleeping) {
			__atomic_store_n(&g->hdr->need_wakeup, 0, __ATOMIC_RELAXED);
			g->sleeping = 0;
		}
	}
	n = revents ? epoll_wait(ss->ep, evs, SS_EVENTS, 0) : 0;
	for (i = 0; i < n; i++) {
		enum ss_kind *k = evs[i].data.ptr;

		if (*k == SS_LISTENER) {
			accept_sessions(ss);
		} else if (*k == SS_BELL) {
			uint64_t v;

			g = evs[i].data.ptr;
			if (read(g->bell, &v, sizeof(v)) == sizeof(v))
				ss->st.doorbells++;
		} else {
			e = evs[i].data.ptr;
			if (e->outlen && (evs[i].events & EPOLLOUT))
				sess_send_waiting(e);
			if (!e->outlen && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				sess_read(e);
			else if (evs[i].events & (EPOLLHUP | EPOLLERR))
				e->ending = 1;
		}
	}
	for (g = ss->segs; g; g = g->next)
		ss_seg_kicks(g);
	for (e = ss->sessions; e; e = en) {
		en = e->next;
		if (e->ending)
			sess_end(e);
	}
}

void sockserv_flush(struct sockserv *ss)
{
	struct ss_sock *s, *next;
	struct ss_seg *g, *gn;

	if (!ss)
		return;
	/* Kicks that came while we worked, waiting senders, then what the
	 * engine did. */
	for (g = ss->segs; g; g = g->next)
		ss_seg_kicks(g);
	ss_retry_blocked(ss);
	while ((s = ss->dirty)) {
		ss->dirty = NULL;
		for (; s; s = next) {
			next = s->dirty_next;
			s->dirty = 0;
			if (s->released) {
				s->dirty_next = ss->dead;
				ss->dead = s;
				continue;
			}
			ss_sock_publish(s);
		}
	}
	for (s = ss->dead; s; s = next) {
		next = s->dirty_next;
		free(s);
	}
	ss->dead = NULL;
	if (ss->reap) {
		ss->reap = 0;
		for (g = ss->segs; g; g = gn) {
			gn = g->next;
			if (!g->sessions && !g->nsocks && !g->alloc.live)
				ss_seg_free(g);
		}
	}
}

int sockserv_open(struct sockserv **out, const struct sockserv_config *cfg)
{
	struct sockserv *ss = calloc(1, sizeof(*ss));
	struct sockaddr_un sa;
	struct epoll_event ev = { .events = EPOLLIN };
	struct rlimit rl;
	int err;

	if (!ss)
		return -ENOMEM;
	ss->kind = SS_LISTENER;
	ss->lfd = -1;
	ss->socks = cfg->socks;
	ss->seg_size = cfg->seg_size ? cfg->seg_size : AX_IPC_SEG_SIZE;
	ss->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ss->ep < 0) {
		err = -errno;
		goto fail;
	}
	err = instance_sockaddr(cfg->path, &sa);
	if (err)
		goto fail;
	snprintf(ss->path, sizeof(ss->path), "%s", cfg->path);
	/* One eventfd per socket: programs with many sockets need the
	 * daemon's descriptor limit raised to what it may be. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	ss->max_uid_sessions = cfg->max_uid_sessions ? cfg->max_uid_sessions
						     : AX_IPC_MAX_SESSIONS_UID;
	ss->max_uid_sockets = cfg->max_uid_sockets ? cfg->max_uid_sockets : AX_IPC_MAX_SOCKETS_UID;
	{
		uint64_t reserve = cfg->fd_reserve ? cfg->fd_reserve : AX_IPC_FD_RESERVE;

		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = 1024;
		ss->fd_reserve = reserve;
		ss->fd_budget = rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 0;
	}
	ss->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ss->lfd < 0) {
		err = -errno;
		goto fail;
	}
	unlink(cfg->path);
	if (bind(ss->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(cfg->path, 0666) < 0 || listen(ss->lfd, SS_LISTEN_BACKLOG) < 0) {
		err = -errno;
		goto fail;
	}
	ev.data.ptr = ss;
	if (epoll_ctl(ss->ep, EPOLL_CTL_ADD, ss->lfd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	*out = ss;
	return 0;
fail:
	sockserv_close(ss);
	return err;
}

void sockserv_close(struct sockserv *ss)
{
	struct ss_seg *g, *gn;

	if (!ss)
		return;
	while (ss->sessions)
		sess_end(ss->sessions);
	sockserv_flush(ss);
	while (ss->accts) { /* none left: every socket went with its sessions */
		struct ss_acct *a = ss->accts;

		ss->accts = a->next;
		free(a);
	}
	if (ss->lfd >= 0) {
		close(ss->lfd);
		unlink(ss->path);
	}
	for (g = ss->segs; g; g = gn) {
		gn = g->next;
		if (!g->alloc.live)
			ss_seg_free(g);
	}
	if (ss->ep >= 0)
		close(ss->ep);
	ss->ep = -1;
	if (!ss->segs) {
		free(ss);
		return;
	}
	/* Connections that linger (FIN_WAIT, TIME_WAIT) hold rings in
	 * these segments: the engine frees them when the socket layer and
	 * the stack stop, and the last free frees us (mem_free). */
	ss->closing = 1;
}

void sockserv_stats(const struct sockserv *ss,
		    void (*fn)(void *arg, const char *name, uint64_t value), void *arg)
{
	if (!ss)
		return;
	fn(arg, "sockserv.sessions", ss->st.sessions);
	fn(arg, "sockserv.sessions_total", ss->st.sessions_total);
	fn(arg, "sockserv.segments", ss->st.segments);
	fn(arg, "sockserv.sockets", ss->st.sockets);
	fn(arg, "sockserv.ring_bytes", ss->st.ring_bytes);
	fn(arg, "sockserv.creds", ss->st.creds);
	fn(arg, "sockserv.requests", ss->st.requests);
	fn(arg, "sockserv.kicks", ss->st.kicks);
	fn(arg, "sockserv.doorbells", ss->st.doorbells);
	fn(arg, "sockserv.wakeups", ss->st.wakeups);
	fn(arg, "sockserv.bad_msg", ss->st.bad_msg);
	fn(arg, "sockserv.bad_index", ss->st.bad_index);
	fn(arg, "sockserv.no_memory", ss->st.no_memory);
}
