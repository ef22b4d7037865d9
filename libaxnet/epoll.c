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
 * A new set starts pure: kernel fds only, registered with the program's
 * own data, and a wait is the kernel's call untouched (a program under
 * the preload library whose epoll sets never see an axnet socket pays
 * nothing). The first axnet socket added makes it mixed (set_mix): the
 * set re-registers every kernel fd it holds with our tag (every
 * epoll_ctl went through it, so it knows them and their events), adds
 * its kick eventfd, and waits from then on go through the ready list. A
 * wait already asleep in the kernel when the set turns mixed may come
 * back with tagged events: untag() translates them.
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
	uint32_t kevents;        /* a kernel fd's events */
	uint64_t data;           /* a kernel fd's data */
	struct ax_epitem *item;
};

struct ax_ep {
	struct ax_obj o;
	pthread_mutex_t mu;
	int mixed;               /* 0 pure: kernel fds with their own data,
	                          * waits are the kernel's; 1 axnet sockets
	                          * (ever): tagged (set_mix) */
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
	ep->kick = -1; /* pure until the first axnet socket (set_mix) */
	err = ax_fd_install(fd, &ep->o);
	if (err) {
		ax_obj_discard(&ep->o);
		ax_sys_close(fd);
		return (int)ax_ret(err);
	}
	return fd;
}

/* A pure set becomes mixed: the kick eventfd in, every kernel fd
 * re-registered with our tag. Caller holds ep->mu. */
static int set_mix(struct ax_ep *ep)
{
	struct epoll_event kev = { .events = EPOLLIN, .data.u64 = TAG_KICK };
	int err;

	ep->kick = ax_sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ep->kick < 0)
		return -errno;
	if (ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_ADD, ep->kick, &kev) < 0) {
		err = -errno;
		ax_sys_close(ep->kick);
		ep->kick = -1;
		return err;
	}
	for (int fd = 0; fd < ep->nents; fd++) {
		struct epoll_event t;

		if (ep->ents[fd].used != 1)
			continue;
		/* A kernel fd closed since it was added leaves its entry (no
		 * close tells the set): the number may now be ours. */
		if (fd == ep->kick || fd == ax_sess.ctl || fd == ax_sess.doorbell) {
			ep->ents[fd].used = 0;
			continue;
		}
		t.events = ep->ents[fd].kevents;
		t.data.u64 = TAG_KERNEL | (uint32_t)fd;
		/* MOD re-polls the fd, as the kernel's MOD does (a pending
		 * EPOLLET edge is reported again, a fired EPOLLONESHOT item
		 * re-armed); EPOLLEXCLUSIVE items refuse MOD: again afresh. */
		if (ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_MOD, fd, &t) < 0 &&
		    (ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_DEL, fd, NULL) < 0 ||
		     ax_sys_epoll_ctl(ep->o.fd, EPOLL_CTL_ADD, fd, &t) < 0))
			ep->ents[fd].used = 0; /* closed meanwhile: gone from the set */
	}
	__atomic_store_n(&ep->mixed, 1, __ATOMIC_RELEASE);
	return 0;
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

/*
 * Unlink an item from its socket and its set; the caller holds ep->mu.
 * kdel: take the eventfd out of the kernel's set too. Not when the socket
 * or the set is only being closed and the process has forked: the
 * kernel's epoll set is then shared with the family (a forked child
 * closing its copies, as redis' BGSAVE child closes the listeners, must
 * not take them out of the parent's set); as in Linux, the registration
 * goes when the last copy of the file closes, and events for an fd the
 * set no longer holds are ignored (ents).
 */
static void item_drop(struct ax_ep *ep, struct ax_epitem *it, int kdel)
{
	struct ax_sock *s = it->s;

	ax_rdlist_del(&ep->rdl, &it->rd);
	if (kdel)
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
		if (!ep->mixed && (err = set_mix(ep)) < 0)
			return err;
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
		item_drop(ep, it, 1);
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
		if (ep->mixed)
			kev.data.u64 = TAG_KERNEL | (uint32_t)fd;
	}
	if (ax_sys_epoll_ctl(ep->o.fd, op, fd, ev ? &kev : NULL) < 0)
		return -errno;
	if (op == EPOLL_CTL_DEL) {
		ep->ents[fd].used = 0;
	} else {
		ep->ents[fd].used = 1;
		ep->ents[fd].kevents = ev->events;
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

/* Events a wait that slept in a pure set brought back after the set
 * turned mixed (set_mix ran meanwhile): the kernel fds' to the program's
 * data, the sockets' onto the ready list, ours dropped; those without a
 * tag of ours came before the switch and are the program's own. Returns
 * how many are left. Caller holds ep->mu. */
static int untag(struct ax_ep *ep, struct epoll_event *ev, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		uint32_t fd = (uint32_t)ev[i].data.u64;
		uint64_t tag = ev[i].data.u64 & ~0xffffffffull;
		struct ax_epent *e = (int)fd < ep->nents ? &ep->ents[fd] : NULL;

		if (tag == TAG_KERNEL && e && e->used == 1) {
			ev[k].events = ev[i].events;
			ev[k++].data.u64 = e->data;
		} else if (tag == TAG_AXNET && e && e->used == 2) {
			if (!e->item->disabled)
				ax_rdlist_add(&ep->rdl, &e->item->rd);
		} else if (tag != TAG_KICK && tag != TAG_CTL && tag != TAG_KERNEL &&
			   tag != TAG_AXNET) {
			ev[k++] = ev[i];
		}
	}
	return k;
}

static void ep_put(void *ep)
{
	ax_obj_put(&((struct ax_ep *)ep)->o);
}

/* epoll_pwait2(2), the one cancellation point of a mixed wait (glibc acts
 * on a deferred cancel there), with the caller's cancel state oc; the
 * set's reference goes should it act. */
static int pwait2_cancellable(struct ax_ep *ep, struct epoll_event *kev, int n,
			      const struct timespec *tl, const sigset_t *mask, int oc)
{
	int r, st;

	pthread_cleanup_push(ep_put, ep);
	pthread_setcancelstate(oc, &st);
	r = ax_sys_epoll_pwait2(ep->o.fd, kev, n, tl, mask);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &st);
	pthread_cleanup_pop(0);
	return r;
}

/* The kernel's own call for a set that is not ours or pure, dropping the
 * set's reference (ep, when not NULL) should the thread be cancelled in it. */
static int kernel_wait(struct ax_ep *ep, int epfd, struct epoll_event *events, int maxevents,
		       int ms, const struct timespec *ts, const sigset_t *mask, int pwait)
{
	int r;

	pthread_cleanup_push(ep_put, ep);
	r = pwait == 0 ? ax_sys_epoll_wait(epfd, events, maxevents, ms) :
	    pwait == 1 ? ax_sys_epoll_pwait(epfd, events, maxevents, ms, mask) :
			 ax_sys_epoll_pwait2(epfd, events, maxevents, ts, mask);
	pthread_cleanup_pop(0);
	return r;
}

/*
 * Every wait. end: the deadline in CLOCK_MONOTONIC ns (0 forever, 1 do
 * not sleep); mask: the signal mask while asleep (NULL: the thread's).
 * Returns the count or -errno.
 */
static int wait_mixed(struct ax_ep *ep, struct epoll_event *events, int maxevents, uint64_t end,
		      const sigset_t *mask)
{
	struct epoll_event kev[WAIT_BATCH];
	/* Cancellation acts in the kernel's wait alone: not while the set's
	 * lock is held around its eventfd reads and writes. */
	int ret, oc = ax_nocancel();

	for (;;) {
		struct timespec left = { 0, 0 }, *tl = NULL;
		int n, k = 0, forced = 0;
		int cap = maxevents < WAIT_BATCH ? maxevents : WAIT_BATCH;

		if (end) {
			uint64_t now = mono_ns(), ns = now >= end ? 0 : end - now;

			left.tv_sec = (time_t)(ns / 1000000000ull);
			left.tv_nsec = (long)(ns % 1000000000ull);
			tl = &left;
		}
		/* Items left on the ready list (level-triggered) are looked at
		 * without sleeping; if none is ready any more, sleep after. */
		pthread_mutex_lock(&ep->mu);
		if (!ax_rdlist_empty(&ep->rdl) && (!tl || tl->tv_sec || tl->tv_nsec)) {
			left.tv_sec = 0;
			left.tv_nsec = 0;
			tl = &left;
			forced = 1;
		}
		pthread_mutex_unlock(&ep->mu);
		n = pwait2_cancellable(ep, kev, cap, tl, mask, oc);
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
		if (k || (tl && !tl->tv_sec && !tl->tv_nsec && !forced)) {
			ret = k;
			break;
		}
		/* Only eventfds that fired for nothing asked: again. */
	}
	ax_cancel_restore(oc);
	return ret;
}

/* The four calls. ms: epoll_wait's timeout; ts: epoll_pwait2's (then ms
 * is ignored); pwait: 0 epoll_wait, 1 epoll_pwait, 2 epoll_pwait2. */
static int wait_any(int epfd, struct epoll_event *events, int maxevents, int ms,
		    const struct timespec *ts, const sigset_t *mask, int pwait)
{
	struct ax_ep *ep;
	uint64_t end;
	int ret;

	ep = ep_get(epfd);
	if (!ep || !__atomic_load_n(&ep->mixed, __ATOMIC_ACQUIRE)) {
		/* Not ours, or pure: the kernel's call untouched. */
		if (!ep)
			return pwait == 0 ? ax_sys_epoll_wait(epfd, events, maxevents, ms) :
			       pwait == 1 ? ax_sys_epoll_pwait(epfd, events, maxevents, ms, mask) :
					    ax_sys_epoll_pwait2(epfd, events, maxevents, ts, mask);
		ret = kernel_wait(ep, epfd, events, maxevents, ms, ts, mask, pwait);
		if (ret <= 0 || !__atomic_load_n(&ep->mixed, __ATOMIC_ACQUIRE)) {
			ax_obj_put(&ep->o);
			return ret;
		}
		/* It turned mixed while we slept. */
		pthread_mutex_lock(&ep->mu);
		ret = untag(ep, events, ret);
		pthread_mutex_unlock(&ep->mu);
		if (ret) {
			ax_obj_put(&ep->o);
			return ret;
		}
		/* All it brought was ours: wait again, now as a mixed set
		 * (the timeout starts afresh: a rare, one-off case). */
	}
	if (maxevents <= 0) {
		ax_obj_put(&ep->o);
		return (int)ax_ret(-EINVAL);
	}
	if (pwait == 2 && ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
			ax_obj_put(&ep->o);
			return (int)ax_ret(-EINVAL);
		}
		end = mono_ns() + (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec + 1;
	} else if (pwait != 2 && ms >= 0) {
		end = mono_ns() + (uint64_t)ms * 1000000ull + 1;
	} else {
		end = 0;
	}
	ret = wait_mixed(ep, events, maxevents, end, mask);
	ax_obj_put(&ep->o);
	return (int)ax_ret(ret);
}

AX_API int ax_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	return wait_any(epfd, events, maxevents, timeout, NULL, NULL, 0);
}

AX_API int ax_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
			  const sigset_t *mask)
{
	return wait_any(epfd, events, maxevents, timeout, NULL, mask, 1);
}

AX_API int ax_epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			   const struct timespec *timeout, const sigset_t *mask)
{
	return wait_any(epfd, events, maxevents, -1, timeout, mask, 2);
}

void ax_epoll_close(struct ax_obj *o)
{
	struct ax_ep *ep = (struct ax_ep *)o;

	pthread_mutex_lock(&ep->mu);
	for (int fd = 0; fd < ep->nents; fd++)
		if (ep->ents[fd].used == 2)
			item_drop(ep, ep->ents[fd].item, 0); /* the set closes next */
	free(ep->ents);
	ep->ents = NULL;
	ep->nents = 0;
	if (ep->kick >= 0)
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
			item_drop(ep, it, !__atomic_load_n(&ax_sess.shared, __ATOMIC_RELAXED));
		pthread_mutex_unlock(&ep->mu);
		ax_obj_put(&ep->o);
	}
}
