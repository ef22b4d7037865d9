/*
 * sock.c - the socket and I/O calls under libc's names: each is the ax_*
 * call (which hands a kernel fd to the kernel's call), plus what libaxnet
 * has no call for: which sockets are axnet's (socket()), glibc's _chk
 * variants, sendfile, recvmmsg/sendmmsg.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "libaxnet/lib.h"
#include "preload.h"
#include "util/instance.h"

/* glibc's: a buffer overflow caught by a _chk variant. */
extern void __chk_fail(void) __attribute__((noreturn));

/* ---- socket ---- */

/* Is (domain, type, protocol) a socket axnet makes? TCP and UDP over IP
 * only: raw, ICMP datagram (ping), SCTP, MPTCP... stay the kernel's. */
static int is_inet(int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (base == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP;
	if (base == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP;
	return 0;
}

AXP_EXPORT int socket(int domain, int type, int protocol)
{
	static int told;
	int fd, err;

	if ((domain != AF_INET && domain != AF_INET6) || !is_inet(type, protocol))
		return ax_sys_socket(domain, type, protocol);
	fd = ax_socket(domain, type, protocol);
	if (fd < 0 && (errno == ENOENT || errno == ECONNREFUSED || errno == EPROTO) &&
	    ax_sess.ctl < 0 && !__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED)) {
		const char *dir = getenv("AXNET_STATE_DIR");

		err = errno;
		fprintf(stderr, "axnet: no instance (%s): %s\n",
			dir && *dir ? dir : AX_RUN_ROOT, strerror(err));
		errno = err;
	}
	return fd;
}

AXP_EXPORT int bind(int fd, const struct sockaddr *a, socklen_t al)
{
	return ax_bind(fd, a, al);
}

AXP_EXPORT int listen(int fd, int backlog)
{
	return ax_listen(fd, backlog);
}

AXP_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *al)
{
	if (!ax_fd_is_sock(fd))
		return ax_real_accept(fd, a, al);
	return ax_accept(fd, a, al);
}

AXP_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *al, int flags)
{
	return ax_accept4(fd, a, al, flags);
}

AXP_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t al)
{
	return ax_connect(fd, a, al);
}

AXP_EXPORT int shutdown(int fd, int how)
{
	return ax_shutdown(fd, how);
}

AXP_EXPORT int close(int fd)
{
	/* The session's own descriptors are not the program's: a program
	 * closing every fd it did not open (daemons do) must not cut us off. */
	if (fd >= 0 && (fd == ax_sess.ctl || fd == ax_sess.doorbell)) {
		errno = EBADF;
		return -1;
	}
	return ax_close(fd);
}

AXP_EXPORT int getsockname(int fd, struct sockaddr *a, socklen_t *al)
{
	return ax_getsockname(fd, a, al);
}

AXP_EXPORT int getpeername(int fd, struct sockaddr *a, socklen_t *al)
{
	return ax_getpeername(fd, a, al);
}

AXP_EXPORT int getsockopt(int fd, int level, int name, void *v, socklen_t *l)
{
	return ax_getsockopt(fd, level, name, v, l);
}

AXP_EXPORT int setsockopt(int fd, int level, int name, const void *v, socklen_t l)
{
	return ax_setsockopt(fd, level, name, v, l);
}

/* fcntl's third argument is one word whatever the command (as glibc
 * reads it). fcntl64: what programs built with _FILE_OFFSET_BITS=64 or
 * _TIME_BITS=64 call (the same function on x86-64). */
AXP_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ax_fcntl(fd, cmd, arg);
}

AXP_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

AXP_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ax_ioctl(fd, req, arg);
}

/* ---- data ---- */

AXP_EXPORT ssize_t read(int fd, void *b, size_t n)
{
	return ax_read(fd, b, n);
}

AXP_EXPORT ssize_t write(int fd, const void *b, size_t n)
{
	return ax_write(fd, b, n);
}

AXP_EXPORT ssize_t readv(int fd, const struct iovec *v, int n)
{
	return ax_readv(fd, v, n);
}

AXP_EXPORT ssize_t writev(int fd, const struct iovec *v, int n)
{
	return ax_writev(fd, v, n);
}

AXP_EXPORT ssize_t recv(int fd, void *b, size_t n, int fl)
{
	if (!ax_fd_is_sock(fd))
		return ax_real_recv(fd, b, n, fl);
	return ax_recv(fd, b, n, fl);
}

AXP_EXPORT ssize_t recvfrom(int fd, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *al)
{
	return ax_recvfrom(fd, b, n, fl, a, al);
}

AXP_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int fl)
{
	return ax_recvmsg(fd, m, fl);
}

AXP_EXPORT ssize_t send(int fd, const void *b, size_t n, int fl)
{
	return ax_send(fd, b, n, fl);
}

AXP_EXPORT ssize_t sendto(int fd, const void *b, size_t n, int fl, const struct sockaddr *a,
			  socklen_t al)
{
	return ax_sendto(fd, b, n, fl, a, al);
}

AXP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int fl)
{
	return ax_sendmsg(fd, m, fl);
}

/* ---- glibc's _FORTIFY_SOURCE variants: its checks, then the call ---- */

AXP_EXPORT ssize_t __read_chk(int fd, void *b, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return ax_read(fd, b, n);
}

AXP_EXPORT ssize_t __recv_chk(int fd, void *b, size_t n, size_t buflen, int fl)
{
	if (n > buflen)
		__chk_fail();
	return recv(fd, b, n, fl);
}

AXP_EXPORT ssize_t __recvfrom_chk(int fd, void *b, size_t n, size_t buflen, int fl,
				  struct sockaddr *a, socklen_t *al)
{
	if (n > buflen)
		__chk_fail();
	return ax_recvfrom(fd, b, n, fl, a, al);
}

/* ---- sendfile ---- */

#define SENDFILE_BUF 65536

/*
 * sendfile(2) to an axnet socket: the file's bytes through a buffer
 * (per thread, allocated once) into ax_send. With offset: pread at
 * *offset, which moves by what was sent; without: read at the file's
 * position, and what was read but not sent is given back (lseek). A
 * blocking socket takes all count bytes (or up to the end of the file);
 * a non-blocking one what fits, EAGAIN when nothing does. As Linux: an
 * in_fd that is a socket is EINVAL.
 */
static ssize_t sendfile_ax(int out, int in, off_t *offset, size_t count)
{
	static __thread char *buf;
	size_t done = 0;
	int err = 0;

	if (ax_fd_is_sock(in)) {
		errno = EINVAL;
		return -1;
	}
	if (!buf && !(buf = malloc(SENDFILE_BUF))) {
		errno = ENOMEM;
		return -1;
	}
	while (done < count) {
		size_t want = count - done < SENDFILE_BUF ? count - done : SENDFILE_BUF;
		ssize_t r, w;

		r = offset ? pread(in, buf, want, *offset) : ax_sys_read(in, buf, want);
		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0)
			break;
		w = ax_send(out, buf, (size_t)r, 0);
		if (w < 0) {
			err = errno;
			w = 0;
		}
		if (offset)
			*offset += w;
		else if (w < r && lseek(in, (off_t)w - r, SEEK_CUR) < 0 && !err)
			err = errno;
		done += (size_t)w;
		if (err || w < r)
			break;
	}
	if (done)
		return (ssize_t)done;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

AXP_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
	if (!ax_fd_is_sock(out)) {
		if (ax_fd_is_sock(in)) {
			errno = EINVAL;
			return -1;
		}
		return ax_real_sendfile(out, in, offset, count);
	}
	return sendfile_ax(out, in, offset, count);
}

AXP_EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
	return sendfile(out, in, offset, count);
}

/* ---- recvmmsg, sendmmsg: one message at a time ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * As Linux's do_recvmmsg: blocks (unless MSG_DONTWAIT) for the first
 * message, MSG_WAITFORONE makes the rest non-blocking; the timeout is
 * looked at after each message (so a blocking call may wait past it, as
 * the man page says). An error after some messages ends the call with
 * their count (Linux keeps the error for the next call; here the next
 * call finds it again).
 */
AXP_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int fl, struct timespec *t)
{
	uint64_t end = 0;
	unsigned int i;

	if (!ax_fd_is_sock(fd))
		return ax_real_recvmmsg(fd, v, n, fl, t);
	if (t) {
		if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000L) {
			errno = EINVAL;
			return -1;
		}
		end = now_ns() + (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
	}
	if (n > IOV_MAX)
		n = IOV_MAX; /* UIO_MAXIOV, as Linux */
	for (i = 0; i < n; i++) {
		ssize_t r = ax_recvmsg(fd, &v[i].msg_hdr, fl & ~MSG_WAITFORONE);

		if (r < 0)
			return i ? (int)i : -1;
		v[i].msg_len = (unsigned int)r;
		if (fl & MSG_WAITFORONE)
			fl |= MSG_DONTWAIT;
		if (t && now_ns() >= end) {
			i++;
			break;
		}
	}
	return (int)i;
}

AXP_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int fl)
{
	unsigned int i;

	if (!ax_fd_is_sock(fd))
		return ax_real_sendmmsg(fd, v, n, fl);
	if (n > IOV_MAX)
		n = IOV_MAX;
	for (i = 0; i < n; i++) {
		ssize_t r = ax_sendmsg(fd, &v[i].msg_hdr, fl);

		if (r < 0)
			return i ? (int)i : -1;
		v[i].msg_len = (unsigned int)r;
	}
	return (int)i;
}

/* ---- dup ---- */

/* libaxnet's: an axnet socket's copy is entered in the table for the
 * same socket; onto an axnet socket closes that one first. */
AXP_EXPORT int dup(int fd)
{
	return ax_dup(fd);
}

AXP_EXPORT int dup2(int fd, int fd2)
{
	return ax_dup2(fd, fd2);
}

AXP_EXPORT int dup3(int fd, int fd2, int flags)
{
	return ax_dup3(fd, fd2, flags);
}
