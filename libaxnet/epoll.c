/*
 * epoll.c - epoll sets over axnet sockets and kernel fds (the kernel's
 * design, fs/eventpoll.c, one level up).
 *
 * A set is a kernel epoll fd (the program's descriptor: it may put it in
 * its own poll/epoll). Kernel fds are registered in it as they are, with
 * our own tag as data (the program's data is kept in the set, by fd),
 * because an event's data is all the kernel gives back and the program's
 * data may be anything. An axnet socket is registered as its eventfd,
 * edge-triggered: the kernel reports each write the daemon makes (on an
 * event matching the socket's want bits, which hold the union of the
 * items' interest). A report puts the socket's item on the set's ready
 * list; ax_epoll_wait walks only that list, taking each item's readiness
 * from its slot (ax_sock_events): level-triggered items stay on the list
 * while ready (as the kernel re-queues them), edge-triggered and
 * EPOLLONESHOT ones leave it. So a wait costs O(ready items): 10,000
 * idle sockets in a set cost nothing. The set's own fd, in a program's
 * poll or epoll, is readable while the ready list holds items as the
 * kernel's is (ep_poll_readyevents_proc): a private eventfd in the set is
 * kept signalled while it does (a write when the list fills, a read when
 * it empties).
 *
 * Locks: a set's mu, then a socket's wmu (never the other way round).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "lib.h"
#include "sys.h"
#include "rdlist.h"

#define TAG_KERNEL (1ull << 32)
#define TAG_AXNET (2ull << 32)
#define TAG_KICK (3ull << 32)
#define TAG_CTL (4ull << 32)
#define WAIT_BATCH 64

struct ax_epitem {
	struct ax_rdnode rd;     /* on the set's ready list (first: rdlist.h) */
	struct ax_ep *ep;
	struct ax_sock *s;       /* a reference */
	int fd;
	uint32_t events;         /* interest + EPOLLET/ONESHOT/EXCLUSIVE */
	uint64_t data;
	int disabled;            /* EPOLLONESHOT fired: until EPOLL_CTL_MOD */
	struct ax_epitem *s_next; /* the socket's items (under s->wmu) */
};

struct ax_epent {
	int used;                /* 1 kernel fd, 2 axnet item */
	uint64_t data;           /* a kernel fd's data */
	struct ax_epitem *item;
};

struct ax_ep {
	struct ax_obj o;
	pthread_mutex_t mu;
	int kick;                /* eventfd, level-triggered in the set: set
	                          * while the ready list holds items */
	int kicked;
	int ctl_added;           /* the session's connection is in the set (for
	                          * its hang-up: the instance went away) */
	struct ax_epent *ents;   /* by fd */
	int nents;
	struct ax_rdlist rdl;
};

static struct ax_ep *ep_get(int epfd)
{
	struct ax_obj *o = ax_fd_get(epfd);

	if (o && o->kind == AX_OBJ_EPOLL)
		return (struct ax_ep *)o;
	if (o)
		ax_obj_put(o);
	return NULL;
}

AX_API int ax_epoll_create1(int flags)
{
	struct ax_ep *ep;
	int fd, err;

	if (flags & ~EPOLL_CLOEXEC)
		return (int)ax_ret(-EINVAL);
	fd = ax_sys_epoll_create1(flags);
	if (fd < 0)
		return -1;
	ep = (struct ax_ep *)ax_obj_alloc(AX_OBJ_EPOLL, sizeof(*ep));
	if (!ep) {
		ax_sys_close(fd);
		return (int)ax_ret(-ENOMEM);
	}
	pthread_mutex_init(&ep->mu, NULL);
	ax_rdlist_init(&ep->rdl);
	ep->kick = ax_sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ep->kick < 0) {
		err = -errno;
		goto fail;
	}
	{
		struct epoll_event kev = { .events = EPOLLIN, .data.u64 = TAG_KICK };
		if (ax_sys_epoll_ctl(fd, EPOLL_CTL_ADD, ep->kick, &kev) < 0) {
			err = -errno;
			goto fail;
		}
	}
	err = ax_fd_install(fd, &ep->o);
	if (err)
		goto fail;
	return fd;
fail:
	if (ep->kick >= 0)
		ax_sys_close(ep->kick);
	ax_obj_discard(&ep->o);
	ax_sys_close(fd);
	return (int)ax_ret(err);
}

static int ents_grow(struct ax_ep *ep, int fd)
{
	struct ax_epent *n;
	int cap;

	if (fd < ep->nents)
		return 0;
	cap = ep->nents ? ep->nents : 64;
	while (cap <= fd)
		cap *= 2;
	n = realloc(ep->ents, (size_t)cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + ep->nents, 0, (size_t)(cap - ep->nents) * sizeof(*n));
	ep->ents = n;
	ep->nents = cap;
	return 0;
}

/* The set's fd readable while the ready list holds items. Caller holds
 * ep->mu. */
static void kick_sync(struct ax_ep *ep)
{
	int want = !ax_rdlist_empty(&ep->rdl);
	uint64_t v = 1;
	ssize_t r;

	if (want == ep->kicked)
		return;
	r = want ? ax_sys_write(ep->kick, &v, sizeof(v)) : ax_sys_read(ep->kick, &v, sizeof(v));
	(void)r;
	ep->kicked = want;
}

static void want_recompute(struct ax_sock *s)
{
	uint32_t w = 0;

	for (struct ax_epitem *it = s->items; it; it = it->s_next)
		if (!it->disabled)
			w |= it->events & (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI);
	s->ep_want = w;
	ax_sock_update_want(s);
}

/* Queue the item if its socket is ready for it now (ep_insert/ep_modify
 * poll the file once). Caller holds ep->mu. */
static void item_check(struct ax_epitem *it)
{
	if (!it->disabled && (ax_sock_events(it->s) & (it->events | EPOLLERR | EPOLLHUP)))
		ax_rdlist_add(&it->ep->rdl, &it->rd);
}

/* Unlink an item from its socket and its set; the caller holds ep->mu. */
static void item_drop(struct ax_ep *ep, struct ax_epitem *it)
{
	struct ax_sock *s = it->s;

	ax_rdlist_del(&ep->rdl, &it->rd);
	ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_DEL, it->fd, NULL);
	pthread_mutex_lock(&s->wmu);
	for (struct ax_epitem **pp = &s->items; *pp; pp = &(*pp)->s_next) {
		if (*pp == it) {
			*pp = it->s_next;
			break;
		}
	}
	want_recompute(s);
	pthread_mutex_unlock(&s->wmu);
	ep->ents[it->fd].used = 0;
	ep->ents[it->fd].item = NULL;
	ax_obj_put(&s->o);
	free(it);
}

#define EXCL_OK (EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | \
		 EPOLLWRBAND | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

static int ctl_sock(struct ax_ep *ep, int op, struct ax_sock *s, struct epoll_event *ev)
{
	struct ax_epent *e;
	struct ax_epitem *it;
	int fd = s->o.fd, err;

	err = ents_grow(ep, fd);
	if (err)
		return err;
	e = &ep->ents[fd];
	it = e->used == 2 ? e->item : NULL;
	switch (op) {
	case EPOLL_CTL_ADD: {
		struct epoll_event kev = { .data.u64 = TAG_AXNET | (uint32_t)fd };

		if (it)
			return -EEXIST;
		if ((ev->events & EPOLLEXCLUSIVE) && (ev->events & ~EXCL_OK))
			return -EINVAL;
		if (!ep->ctl_added) {
			struct epoll_event cev = { .events = 0, .data.u64 = TAG_CTL };
			if (ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_ADD, ax_sess.ctl, &cev) == 0)
				ep->ctl_added = 1;
		}
		kev.events = EPOLLIN | EPOLLET | (ev->events & EPOLLEXCLUSIVE);
		/* Old wake-ups would make the set look ready at once: drain
		 * them (local waiters re-check); item_check below says whether
		 * it is. */
		{
			uint64_t v;
			ssize_t r = ax_sys_read(fd, &v, sizeof(v));
			(void)r;
			ax_sock_drained(s);
		}
		if (ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_ADD, fd, &kev) < 0)
			return -errno;
		it = calloc(1, sizeof(*it));
		if (!it) {
			ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_DEL, fd, NULL);
			return -ENOMEM;
		}
		__atomic_add_fetch(&s->o.refs, 1, __ATOMIC_ACQ_REL);
		it->ep = ep;
		it->s = s;
		it->fd = fd;
		it->events = ev->events;
		it->data = ev->data.u64;
		e->used = 2;
		e->item = it;
		pthread_mutex_lock(&s->wmu);
		it->s_next = s->items;
		s->items = it;
		want_recompute(s);
		pthread_mutex_unlock(&s->wmu);
		item_check(it);
		return 0;
	}
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if ((ev->events & EPOLLEXCLUSIVE) || (it->events & EPOLLEXCLUSIVE))
			return -EINVAL;
		pthread_mutex_lock(&s->wmu);
		it->events = ev->events;
		it->data = ev->data.u64;
		it->disabled = 0;
		want_recompute(s);
		pthread_mutex_unlock(&s->wmu);
		ax_rdlist_del(&ep->rdl, &it->rd);
		item_check(it);
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_drop(ep, it);
		return 0;
	}
	return -EINVAL;
}

static int ctl_kernel(struct ax_ep *ep, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event kev;
	int err;

	if (fd < 0)
		return -EBADF;
	err = ents_grow(ep, fd);
	if (err)
		return err;
	if (ep->ents[fd].used == 2)
		return op == EPOLL_CTL_ADD ? -EEXIST : -ENOENT; /* cannot be: it is ours */
	if (ev) {
		kev = *ev;
		kev.data.u64 = TAG_KERNEL | (uint32_t)fd;
	}
	if (ax_sys_epoll_ctl(ep->o.fd, op, fd, ev ? &kev : NULL) < 0)
		return -errno;
	if (op == EPOLL_CTL_DEL) {
		ep->ents[fd].used = 0;
	} else {
		ep->ents[fd].used = 1;
		ep->ents[fd].data = ev->data.u64;
	}
	return 0;
}

AX_API int ax_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct ax_ep *ep;
	struct ax_sock *s;
	int err;

	ep = ep_get(epfd);
	s = ax_sock_get(fd);
	if (!ep) {
		if (s) {
			/* An axnet socket in a set we do not know: its eventfd
			 * alone would not say what the socket is ready for. */
			ax_obj_put(&s->o);
			return (int)ax_ret(-EINVAL);
		}
		return ax_sys_epoll_ctl(epfd, op, fd, event);
	}
	if (fd == epfd)
		err = -EINVAL;
	else if (op != EPOLL_CTL_DEL && !event)
		err = -EFAULT;
	else if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		err = -EINVAL;
	else if (op != EPOLL_CTL_DEL && (event->events & EPOLLEXCLUSIVE) &&
		 (op == EPOLL_CTL_MOD || (event->events & EPOLLONESHOT)))
		err = -EINVAL;
	else {
		/* Its eventfd reads and writes under the set's lock are
		 * cancellation points: not here. */
		int oc = ax_nocancel();

		pthread_mutex_lock(&ep->mu);
		err = s ? ctl_sock(ep, op, s, event) : ctl_kernel(ep, op, fd, event);
		kick_sync(ep);
		pthread_mutex_unlock(&ep->mu);
		ax_cancel_restore(oc);
	}
	if (s)
		ax_obj_put(&s->o);
	ax_obj_put(&ep->o);
	return (int)ax_ret(err);
}

static void ep_put(void *ep)
{
	ax_obj_put(&((struct ax_ep *)ep)->o);
}

/* epoll_wait(2), the one cancellation point of a wait (glibc acts on a
 * deferred cancel there), with the caller's cancel state oc; the set's
 * reference goes should it act. */
static int epoll_wait_cancellable(struct ax_ep *ep, struct epoll_event *kev, int n, int ms,
				  int oc)
{
	int r, st;

	pthread_cleanup_push(ep_put, ep);
	pthread_setcancelstate(oc, &st);
	r = ax_sys_epoll_wait(ep->o.fd, kev, n, ms);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &st);
	pthread_cleanup_pop(0);
	return r;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Take ready items off the list into out (ep_send_events). Caller holds
 * ep->mu. Returns how many were reported. */
static int send_events(struct ax_ep *ep, struct epoll_event *out, int max)
{
	struct ax_rdlist again;
	struct ax_rdnode *n;
	int k = 0;

	ax_rdlist_init(&again);
	while (k < max && (n = ax_rdlist_pop(&ep->rdl)) != NULL) {
		struct ax_epitem *it = (struct ax_epitem *)n;
		uint32_t ev;

		if (it->disabled)
			continue;
		ev = ax_sock_events(it->s) & (it->events | EPOLLERR | EPOLLHUP) &
		     ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP);
		if (!ev)
			continue; /* not ready (any more): off the list */
		out[k].events = ev;
		out[k].data.u64 = it->data;
		k++;
		if (it->events & EPOLLONESHOT) {
			pthread_mutex_lock(&it->s->wmu);
			it->disabled = 1;
			want_recompute(it->s);
			pthread_mutex_unlock(&it->s->wmu);
		} else if (!(it->events & EPOLLET)) {
			ax_rdlist_add(&again, &it->rd); /* level: look again next time */
		}
	}
	ax_rdlist_splice(&ep->rdl, &again);
	return k;
}

AX_API int ax_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	struct epoll_event kev[WAIT_BATCH];
	uint64_t end = timeout > 0 ? mono_ms() + (uint64_t)timeout : 0;
	struct ax_ep *ep;
	int ret, oc;

	ep = ep_get(epfd);
	if (!ep)
		return ax_sys_epoll_wait(epfd, events, maxevents, timeout);
	if (maxevents <= 0) {
		ax_obj_put(&ep->o);
		return (int)ax_ret(-EINVAL);
	}
	/* Cancellation acts in the kernel's epoll_wait alone: not while the
	 * set's lock is held around its eventfd reads and writes. */
	oc = ax_nocancel();
	for (;;) {
		int ms = timeout < 0 ? -1 : timeout, n, k = 0, forced = 0;
		int cap = maxevents < WAIT_BATCH ? maxevents : WAIT_BATCH;

		if (timeout > 0) {
			uint64_t now = mono_ms();
			ms = now >= end ? 0 : (int)(end - now);
		}
		/* Items left on the ready list (level-triggered) are looked at
		 * without sleeping; if none is ready any more, sleep after. */
		pthread_mutex_lock(&ep->mu);
		if (!ax_rdlist_empty(&ep->rdl) && ms != 0) {
			ms = 0;
			forced = 1;
		}
		pthread_mutex_unlock(&ep->mu);
		n = epoll_wait_cancellable(ep, kev, cap, ms, oc);
		if (n < 0) {
			ret = -errno;
			break;
		}
		pthread_mutex_lock(&ep->mu);
		for (int i = 0; i < n; i++) {
			uint32_t fd = (uint32_t)kev[i].data.u64;
			uint64_t tag = kev[i].data.u64 & ~0xffffffffull;
			struct ax_epent *e = (int)fd < ep->nents ? &ep->ents[fd] : NULL;

			if (!e)
				continue;
			if (tag == TAG_KERNEL && e->used == 1) {
				events[k].events = kev[i].events;
				events[k].data.u64 = e->data;
				k++;
			} else if (tag == TAG_AXNET && e->used == 2 && !e->item->disabled) {
				ax_rdlist_add(&ep->rdl, &e->item->rd);
			}
		}
		for (int i = 0; i < n; i++) {
			if (kev[i].data.u64 != TAG_CTL || !ax_sess_check_hup((short)kev[i].events))
				continue;
			/* The instance went away: every socket is reset; once. */
			ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_DEL, ax_sess.ctl, NULL);
			for (int f = 0; f < ep->nents; f++)
				if (ep->ents[f].used == 2 && !ep->ents[f].item->disabled)
					ax_rdlist_add(&ep->rdl, &ep->ents[f].item->rd);
		}
		k += send_events(ep, events + k, maxevents - k);
		kick_sync(ep);
		pthread_mutex_unlock(&ep->mu);
		if (k || (ms == 0 && !forced)) {
			ret = k;
			break;
		}
		/* Only eventfds that fired for nothing asked: again. */
	}
	ax_cancel_restore(oc);
	ax_obj_put(&ep->o);
	return (int)ax_ret(ret);
}

void ax_epoll_close(struct ax_obj *o)
{
	struct ax_ep *ep = (struct ax_ep *)o;

	pthread_mutex_lock(&ep->mu);
	for (int fd = 0; fd < ep->nents; fd++)
		if (ep->ents[fd].used == 2)
			item_drop(ep, ep->ents[fd].item);
	free(ep->ents);
	ep->ents = NULL;
	ep->nents = 0;
	ax_sys_close(ep->kick);
	ep->kick = -1;
	pthread_mutex_unlock(&ep->mu);
	ax_sys_close(o->fd);
	ax_obj_put(o);
}

void ax_epoll_forget(struct ax_sock *s)
{
	for (;;) {
		struct ax_epitem *it;
		struct ax_ep *ep;

		pthread_mutex_lock(&s->wmu);
		it = s->items;
		ep = it ? it->ep : NULL;
		if (ep)
			__atomic_add_fetch(&ep->o.refs, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&s->wmu);
		if (!ep)
			return;
		pthread_mutex_lock(&ep->mu);
		/* Still the same item? (The set may have dropped it.) */
		pthread_mutex_lock(&s->wmu);
		int still = 0;
		for (struct ax_epitem *i = s->items; i; i = i->s_next)
			if (i == it)
				still = 1;
		pthread_mutex_unlock(&s->wmu);
		if (still)
			item_drop(ep, it);
		pthread_mutex_unlock(&ep->mu);
		ax_obj_put(&ep->o);
	}
}
