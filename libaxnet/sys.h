/*
 * sys.h - the kernel's calls as libaxnet makes them.
 *
 * libaxnet passes kernel descriptors to the kernel (ax_read on a pipe is
 * read(2)) and makes its own calls on its eventfds, epoll fds and the
 * instance's socket. In libaxnet.so and libaxnet.a these are libc's own
 * functions. In libaxnet-preload.so (built with AX_PRELOAD) libc's names
 * are the preload's interposers, which would send the library's own calls
 * back into itself; there ax_sys_NAME calls the next definition of NAME
 * (libc's, dlsym(RTLD_NEXT)), looked up on first use by ax_sys_resolve()
 * (preload/real.c), which is safe to call from any thread at any time,
 * even before constructors ran.
 *
 * Only calls the preload interposes are here; mmap, futex and the like go
 * straight to libc in every build.
 */
#ifndef AX_LIBAXNET_SYS_H
#define AX_LIBAXNET_SYS_H

#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>

/* X(return type, name, parameters, arguments) */
#define AX_SYS_CALLS(X)                                                                        \
	X(int, close, (int fd), (fd))                                                          \
	X(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n))                              \
	X(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))                       \
	X(ssize_t, readv, (int fd, const struct iovec *v, int n), (fd, v, n))                  \
	X(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n))                 \
	X(int, poll, (struct pollfd * p, nfds_t n, int ms), (p, n, ms))                        \
	X(int, select, (int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t),            \
	  (n, r, w, e, t))                                                                     \
	X(int, epoll_create1, (int fl), (fl))                                                  \
	X(int, epoll_ctl, (int ep, int op, int fd, struct epoll_event *e), (ep, op, fd, e))    \
	X(int, epoll_wait, (int ep, struct epoll_event *e, int n, int ms), (ep, e, n, ms))     \
	X(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl))                   \
	X(ssize_t, sendmsg, (int fd, const struct msghdr *m, int fl), (fd, m, fl))             \
	X(ssize_t, send, (int fd, const void *b, size_t n, int fl), (fd, b, n, fl))            \
	X(ssize_t, recvfrom, (int fd, void *b, size_t n, int fl, struct sockaddr *a,           \
			      socklen_t *al), (fd, b, n, fl, a, al))                            \
	X(ssize_t, sendto, (int fd, const void *b, size_t n, int fl, const struct sockaddr *a, \
			    socklen_t al), (fd, b, n, fl, a, al))                               \
	X(int, socket, (int d, int t, int p), (d, t, p))                                       \
	X(int, connect, (int fd, const struct sockaddr *a, socklen_t al), (fd, a, al))         \
	X(int, bind, (int fd, const struct sockaddr *a, socklen_t al), (fd, a, al))            \
	X(int, listen, (int fd, int bl), (fd, bl))                                             \
	X(int, accept4, (int fd, struct sockaddr *a, socklen_t *al, int fl), (fd, a, al, fl))  \
	X(int, shutdown, (int fd, int how), (fd, how))                                         \
	X(int, getsockopt, (int fd, int lv, int nm, void *v, socklen_t *l), (fd, lv, nm, v, l)) \
	X(int, setsockopt, (int fd, int lv, int nm, const void *v, socklen_t l),               \
	  (fd, lv, nm, v, l))                                                                  \
	X(int, getsockname, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al))          \
	X(int, getpeername, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al))          \
	X(int, eventfd, (unsigned int v, int fl), (v, fl))                                     \
	X(int, fcntl, (int fd, int cmd, void *arg), (fd, cmd, arg))                            \
	X(int, dup, (int fd), (fd))                                                            \
	X(int, dup2, (int fd, int nfd), (fd, nfd))                                             \
	X(int, dup3, (int fd, int nfd, int fl), (fd, nfd, fl))                                 \
	X(int, ioctl, (int fd, unsigned long req, void *arg), (fd, req, arg))                  \
	X(int, ppoll, (struct pollfd * p, nfds_t n, const struct timespec *t,                  \
		       const sigset_t *m), (p, n, t, m))                                        \
	X(int, pselect, (int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,     \
			 const sigset_t *m), (n, r, w, e, t, m))                                \
	X(int, epoll_pwait, (int ep, struct epoll_event *e, int n, int ms, const sigset_t *m), \
	  (ep, e, n, ms, m))                                                                   \
	X(int, epoll_pwait2, (int ep, struct epoll_event *e, int n, const struct timespec *t,  \
			      const sigset_t *m), (ep, e, n, t, m))

#ifdef AX_PRELOAD
/* The next definitions (libc's), filled by ax_sys_resolve(). */
#define AX_SYS_PTR(ret, name, params, args) extern ret(*ax_real_##name) params;
AX_SYS_CALLS(AX_SYS_PTR)
#undef AX_SYS_PTR
void ax_sys_resolve(void);
#define AX_SYS_FN(ret, name, params, args)                                                     \
	static inline ret ax_sys_##name params                                                 \
	{                                                                                      \
		return ax_real_##name args;                                                    \
	}
#else
#define AX_SYS_FN(ret, name, params, args)                                                     \
	static inline ret ax_sys_##name params                                                 \
	{                                                                                      \
		return name args;                                                              \
	}
#endif
AX_SYS_CALLS(AX_SYS_FN)
#undef AX_SYS_FN

#endif /* AX_LIBAXNET_SYS_H */
