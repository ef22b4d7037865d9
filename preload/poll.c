/*
 * poll.c - readiness under libc's names: poll, ppoll, select, pselect and
 * the epoll calls are libaxnet's (which hand a call over kernel fds only
 * to the kernel's, and keep an epoll set pure until it holds an axnet
 * socket), plus glibc's _chk variants.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "axnet/socket.h"
#include "preload.h"

extern void __chk_fail(void) __attribute__((noreturn));

AXP_EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	return ax_poll(fds, n, ms);
}

AXP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *m)
{
	return ax_ppoll(fds, n, t, m);
}

AXP_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ax_poll(fds, n, ms);
}

AXP_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
			   const sigset_t *m, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ax_ppoll(fds, n, t, m);
}

AXP_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
	return ax_select(n, r, w, e, t);
}

AXP_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
		       const sigset_t *m)
{
	return ax_pselect(n, r, w, e, t, m);
}

AXP_EXPORT int epoll_create(int size)
{
	/* Linux: size is only checked, then ignored. */
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return ax_epoll_create1(0);
}

AXP_EXPORT int epoll_create1(int flags)
{
	return ax_epoll_create1(flags);
}

AXP_EXPORT int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	return ax_epoll_ctl(ep, op, fd, ev);
}

AXP_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int n, int ms)
{
	return ax_epoll_wait(ep, ev, n, ms);
}

AXP_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int n, int ms, const sigset_t *m)
{
	return ax_epoll_pwait(ep, ev, n, ms, m);
}

AXP_EXPORT int epoll_pwait2(int ep, struct epoll_event *ev, int n, const struct timespec *t,
			    const sigset_t *m)
{
	return ax_epoll_pwait2(ep, ev, n, t, m);
}
