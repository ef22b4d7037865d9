/*
 * poll.c - ax_poll and ax_select over any mix of axnet sockets and kernel
 * fds, in one kernel poll(2): kernel fds go in as they are, an axnet
 * socket as its eventfd (POLLIN), after its want bits are set so the
 * daemon writes that eventfd on the events asked for. An axnet socket's
 * revents come from its slot and rings (ax_sock_events), never from the
 * eventfd, which only says "look again".
 *
 * A call whose fds are all kernel fds is the kernel's call itself (a
 * program under the preload library polling its pipes pays one table
 * lookup per fd). The sigmask variants (ppoll, pselect) sleep in ppoll(2)
 * with the caller's mask, so the mask swap and the sleep are one atomic
 * step as the kernel's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "lib.h"
#include "sys.h"

#define POLL_STACK 64

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A timeout as a deadline in CLOCK_MONOTONIC ns; 0: none (forever). */
static uint64_t ts_deadline(const struct timespec *ts)
{
	uint64_t ns;

	if (!ts)
		return 0;
	if ((uint64_t)ts->tv_sec > (UINT64_MAX >> 2) / 1000000000ull)
		return 0; /* centuries: forever */
	ns = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
	return mono_ns() + ns + 1; /* + 1: never 0 */
}

/* The time left to a deadline (NULL: forever). */
static struct timespec *ts_left(uint64_t end, struct timespec *out)
{
	uint64_t now;

	if (!end)
		return NULL;
	now = mono_ns();
	now = now >= end ? 0 : end - now;
	out->tv_sec = (time_t)(now / 1000000000ull);
	out->tv_nsec = (long)(now % 1000000000ull);
	return out;
}

static int ts_valid(const struct timespec *ts)
{
	return !ts || (ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L);
}

static int dirs_of(short events, int dir[2])
{
	dir[0] = !!(events & (POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI | POLLRDHUP));
	dir[1] = !!(events & (POLLOUT | POLLWRNORM | POLLWRBAND));
	return dir[0] || dir[1];
}

/* Is any of the fds an axnet socket? */
static int any_sock(const struct pollfd *fds, nfds_t nfds)
{
	for (nfds_t i = 0; i < nfds; i++)
		if (ax_fd_is_sock(fds[i].fd))
			return 1;
	return 0;
}

/* What a poll holds: the sockets' waits and references, its arrays. */
struct poll_hold {
	struct pollfd *fds;
	nfds_t nfds;
	struct ax_sock **socks, **stack_socks;
	struct pollfd *k;
	int oc; /* the caller's cancel state */
};

/* The end of a poll, also when the thread is cancelled in it: every
 * socket's wait ends and its reference goes (nothing leaks). */
static void poll_release(void *arg)
{
	struct poll_hold *h = arg;

	for (nfds_t i = 0; i < h->nfds; i++) {
		int dir[2];

		if (!h->socks[i])
			continue;
		dirs_of(h->fds[i].events, dir);
		ax_wait_end(h->socks[i], dir[1] && !dir[0] ? 1 : 0);
		if (dir[0] && dir[1])
			ax_wait_end(h->socks[i], 1);
		ax_obj_put(&h->socks[i]->o);
	}
	if (h->socks != h->stack_socks) {
		free(h->socks);
		free(h->k);
	}
}

/* ppoll(2), the one cancellation point of a poll (glibc acts on a
 * deferred cancel there): the caller's cancel state for the call, the
 * release above should it act. */
static int poll_cancellable(struct poll_hold *h, struct pollfd *k, nfds_t n,
			    const struct timespec *tl, const sigset_t *mask)
{
	int r, st;

	pthread_cleanup_push(poll_release, h);
	pthread_setcancelstate(h->oc, &st);
	r = ax_sys_ppoll(k, n, tl, mask);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &st);
	pthread_cleanup_pop(0);
	return r;
}

/* The core of every call: -errno or the number of entries with revents.
 * ts: the timeout (NULL: forever); mask: the signal mask while asleep
 * (NULL: the thread's). */
static int poll_mixed(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		      const sigset_t *mask)
{
	struct ax_sock *stack_socks[POLL_STACK], **socks = stack_socks;
	struct pollfd stack_k[POLL_STACK], *k = stack_k;
	uint64_t end = ts_deadline(ts);
	struct poll_hold hold;
	nfds_t i, nax = 0;
	int ret;

	/* One more entry at the end: the session's connection, for its
	 * hang-up (the instance going away resets every socket). */
	if (nfds + 1 > POLL_STACK) {
		socks = calloc(nfds + 1, sizeof(*socks));
		k = calloc(nfds + 1, sizeof(*k));
		if (!socks || !k) {
			free(socks != stack_socks ? socks : NULL);
			free(k != stack_k ? k : NULL);
			return -ENOMEM;
		}
	}
	for (i = 0; i < nfds; i++) {
		int dir[2];

		socks[i] = fds[i].fd >= 0 ? ax_sock_get(fds[i].fd) : NULL;
		k[i] = fds[i];
		if (!socks[i])
			continue;
		nax++;
		k[i].events = POLLIN;
		dirs_of(fds[i].events, dir);
		/* Errors and hang-ups are always reported: wait for them. */
		ax_wait_begin(socks[i], dir[1] && !dir[0] ? 1 : 0);
		if (dir[0] && dir[1])
			ax_wait_begin(socks[i], 1);
	}
	/* Cancellation acts in the kernel's ppoll alone (its eventfd reads
	 * are cancellation points too, with nothing to release there). */
	hold = (struct poll_hold){ fds, nfds, socks, stack_socks, k, ax_nocancel() };
	for (;;) {
		struct timespec left, *tl = NULL, zero = { 0, 0 };
		int n = 0;

		/* Readiness first (want is set: nothing falls in between). */
		for (i = 0; i < nfds; i++) {
			if (!socks[i])
				continue;
			fds[i].revents = (short)(ax_sock_events(socks[i]) &
						 ((uint32_t)(uint16_t)fds[i].events | POLLERR | POLLHUP));
			if (fds[i].revents)
				n++;
		}
		if (n)
			tl = &zero;
		else if (ts)
			tl = ts_left(end, &left);
		k[nfds] = (struct pollfd){ .fd = nax ? ax_sess.ctl : -1, .events = 0 };
		ret = poll_cancellable(&hold, k, nfds + 1, tl, mask);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		if (nax && ax_sess_check_hup(k[nfds].revents)) {
			/* Every socket is reset now: report them all. */
			for (i = 0; i < nfds; i++)
				if (socks[i] && !fds[i].revents) {
					fds[i].revents = (short)(ax_sock_events(socks[i]) &
								 ((uint32_t)(uint16_t)fds[i].events |
								  POLLERR | POLLHUP));
					if (fds[i].revents)
						n++;
				}
		}
		for (i = 0; i < nfds; i++) {
			if (!socks[i]) {
				fds[i].revents = k[i].revents;
				if (k[i].revents)
					n++;
				continue;
			}
			if (k[i].revents & POLLIN) {
				uint64_t v;
				ssize_t r = ax_sys_read(k[i].fd, &v, sizeof(v));
				(void)r;
				ax_sock_drained(socks[i]);
				if (!fds[i].revents) {
					fds[i].revents = (short)(ax_sock_events(socks[i]) &
								 ((uint32_t)(uint16_t)fds[i].events |
								  POLLERR | POLLHUP));
					if (fds[i].revents)
						n++;
				}
			}
		}
		if (n || (tl && !tl->tv_sec && !tl->tv_nsec) || nax == 0) {
			ret = n;
			break;
		}
		/* An eventfd fired for something not asked for: again. */
	}
	poll_release(&hold);
	ax_cancel_restore(hold.oc);
	return ret;
}

/* poll_mixed for select, whose array p (from the heap when heap) goes
 * when the thread is cancelled in it. */
static void free_arg(void *p)
{
	free(p);
}

static int poll_mixed_owned(struct pollfd *p, nfds_t n, const struct timespec *ts,
			    const sigset_t *mask, int heap)
{
	int r;

	pthread_cleanup_push(free_arg, heap ? p : NULL);
	r = poll_mixed(p, n, ts, mask);
	pthread_cleanup_pop(0);
	return r;
}

AX_API int ax_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000L };

	if (!any_sock(fds, nfds))
		return ax_sys_poll(fds, nfds, timeout);
	return (int)ax_ret(poll_mixed(fds, nfds, timeout < 0 ? NULL : &ts, NULL));
}

AX_API int ax_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		    const sigset_t *mask)
{
	if (!any_sock(fds, nfds))
		return ax_sys_ppoll(fds, nfds, ts, mask);
	if (!ts_valid(ts))
		return (int)ax_ret(-EINVAL);
	return (int)ax_ret(poll_mixed(fds, nfds, ts, mask));
}

/* The poll events select's sets ask of fd i. */
static short select_events(int i, fd_set *rd, fd_set *wr, fd_set *ex)
{
	return (short)((rd && FD_ISSET(i, rd) ? POLLIN : 0) |
		       (wr && FD_ISSET(i, wr) ? POLLOUT : 0) | (ex && FD_ISSET(i, ex) ? POLLPRI : 0));
}

/* Any axnet socket in select's sets? */
static int any_sock_set(int nfds, fd_set *rd, fd_set *wr, fd_set *ex)
{
	for (int i = 0; i < nfds && i < FD_SETSIZE; i++)
		if (select_events(i, rd, wr, ex) && ax_fd_is_sock(i))
			return 1;
	return 0;
}

/* select and pselect: -errno or the count of bits set. */
static int select_mixed(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
			const sigset_t *mask)
{
	struct pollfd stack_p[POLL_STACK], *p = stack_p;
	int i, n = 0, r, count = 0;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return -EINVAL;
	for (i = 0; i < nfds; i++)
		if (select_events(i, rd, wr, ex))
			n++;
	if (n > POLL_STACK) {
		p = calloc((size_t)n, sizeof(*p));
		if (!p)
			return -ENOMEM;
	}
	n = 0;
	for (i = 0; i < nfds; i++) {
		short ev = select_events(i, rd, wr, ex);

		if (ev) {
			p[n].fd = i;
			p[n].events = ev;
			p[n].revents = 0;
			n++;
		}
	}
	r = poll_mixed_owned(p, (nfds_t)n, ts, mask, p != stack_p);
	if (r >= 0) {
		for (i = 0; i < n; i++) {
			if (p[i].revents & POLLNVAL) {
				r = -EBADF;
				break;
			}
		}
	}
	if (r >= 0) {
		if (rd)
			FD_ZERO(rd);
		if (wr)
			FD_ZERO(wr);
		if (ex)
			FD_ZERO(ex);
		for (i = 0; i < n; i++) {
			short re = p[i].revents;

			/* Linux's select masks (fs/select.c). */
			if ((p[i].events & POLLIN) && (re & (POLLIN | POLLRDNORM | POLLRDBAND |
							     POLLHUP | POLLERR))) {
				FD_SET(p[i].fd, rd);
				count++;
			}
			if ((p[i].events & POLLOUT) && (re & (POLLOUT | POLLWRNORM | POLLWRBAND |
							      POLLERR))) {
				FD_SET(p[i].fd, wr);
				count++;
			}
			if ((p[i].events & POLLPRI) && (re & POLLPRI)) {
				FD_SET(p[i].fd, ex);
				count++;
			}
		}
		r = count;
	}
	if (p != stack_p)
		free(p);
	return r;
}

AX_API int ax_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct timespec ts;
	uint64_t start = 0, end;
	int r;

	if (!any_sock_set(nfds, rd, wr, ex))
		return ax_sys_select(nfds, rd, wr, ex, tv);
	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
			return (int)ax_ret(-EINVAL);
		ts.tv_sec = tv->tv_sec;
		ts.tv_nsec = tv->tv_usec * 1000L;
		start = mono_ns();
	}
	r = select_mixed(nfds, rd, wr, ex, tv ? &ts : NULL, NULL);
	if (tv && r != -EINVAL) {
		/* Linux writes back the time left. */
		uint64_t el = mono_ns() - start;

		end = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		end = el >= end ? 0 : (end - el) / 1000;
		tv->tv_sec = (time_t)(end / 1000000);
		tv->tv_usec = (suseconds_t)(end % 1000000);
	}
	return (int)ax_ret(r);
}

AX_API int ax_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
		      const sigset_t *mask)
{
	if (!any_sock_set(nfds, rd, wr, ex))
		return ax_sys_pselect(nfds, rd, wr, ex, ts, mask);
	if (!ts_valid(ts))
		return (int)ax_ret(-EINVAL);
	/* pselect leaves the timeout as it was (glibc hides pselect6's
	 * update). */
	return (int)ax_ret(select_mixed(nfds, rd, wr, ex, ts, mask));
}
