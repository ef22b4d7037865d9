/*
 * axnet/socket.h - the BSD socket API for programs, served by a running
 * axnet instance (libaxnet: link with -laxnet).
 *
 * Every call is POSIX's with an ax_ prefix and POSIX's conventions: it
 * returns -1 and sets errno on failure, takes the standard structures
 * (struct sockaddr_in / sockaddr_in6, struct msghdr, struct iovec,
 * struct pollfd, fd_set, struct epoll_event) and the system headers'
 * constants (AF_INET, SOCK_STREAM, MSG_*, SO_*, TCP_*, EPOLL*, O_NONBLOCK,
 * FIONBIO ...). Porting a program is a rename.
 *
 * Descriptors. An axnet socket IS a kernel file descriptor (an eventfd the
 * instance signals on readiness changes it was asked about): it is small
 * and fits FD_SETSIZE. To wait on axnet sockets and a program's own fds
 * together, pass them all to ax_poll/ax_select/ax_epoll_*, or put an
 * ax_epoll_create1 set (a kernel epoll fd) in the program's own loop: it
 * is readable while ax_epoll_wait has something to report (as a nested
 * Linux epoll set; it may also turn readable for a socket event that
 * ax_epoll_wait then finds to be nothing asked for).
 * Every call given a descriptor that is not an axnet socket passes it to
 * the kernel's call of the same name (ax_read on a pipe reads the pipe,
 * ax_close closes it, ax_connect on a kernel socket connects it), so a
 * ported program may use ax_* everywhere. Do not close(2), read(2),
 * write(2) or dup(2) an axnet socket's descriptor directly (ax_dup does).
 *
 * Instance. The library connects to an instance lazily on the first call:
 * the state directory given to ax_init(), else $AXNET_STATE_DIR, else the
 * only instance running under /run/axnet. Calls fail with ENOENT when there
 * is none (or several and none was chosen), ECONNREFUSED when its api.sock
 * does not answer, EPROTO when it speaks another version of the wire.
 *
 * Blocking. Blocking calls sleep in the kernel (poll(2) on the socket's
 * descriptor), honour SO_RCVTIMEO/SO_SNDTIMEO (EAGAIN on expiry, as Linux)
 * and return EINTR when a signal handler runs, whatever its SA_RESTART
 * (programs under the LD_PRELOAD library, `axnet exec`, get Linux's
 * restarts). Blocking calls are cancellation points (pthread_cancel): a
 * thread cancelled in one leaves the socket as it was, to be closed.
 * A socket is non-blocking with SOCK_NONBLOCK, ax_fcntl(F_SETFL, O_NONBLOCK)
 * or ax_ioctl(FIONBIO); one call is with MSG_DONTWAIT.
 *
 * Threads and fork. Every call is thread-safe; calls on one socket from
 * several threads (or processes sharing it after fork) are serialized per
 * direction as the kernel's are. After fork() the child shares the parent's
 * sockets (reference counted: a socket closes on its last ax_close or when
 * the last process holding it exits); fork() returns in the parent once
 * the child holds its references (one round trip to the instance), so the
 * parent may close its copies at once. A child of vfork/posix_spawn holds
 * none (it is to exec). Sockets also close when the process
 * exits or is killed, as the kernel's do (RST where unread data remains).
 *
 * Errors common to every call on a socket: EBADF (not a descriptor),
 * ENOTSOCK (a descriptor the call cannot apply to), ENOMEM, and those of
 * the instance above (ENOENT, ECONNREFUSED, EPROTO). When the instance
 * stops or dies, every socket is reset: blocked calls wake, poll/epoll
 * report POLLERR|POLLHUP, calls fail with ECONNRESET (new sockets too: a
 * program reaches a new instance by restarting). Policy: a connection the
 * instance's policy denies fails with EACCES; one revoked by a policy push
 * gets ECONNRESET.
 */
#ifndef AXNET_SOCKET_H
#define AXNET_SOCKET_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Choose the instance by its state directory (NULL: $AXNET_STATE_DIR, else
 * the only running instance) and register with it now. Optional: the first
 * call does it. 0, or -1 with errno ENOENT (no instance, or several and
 * none chosen), ENAMETOOLONG, ECONNREFUSED, EPROTO (wire version), EMFILE,
 * ENOMEM; EALREADY when already registered with a different directory.
 */
int ax_init(const char *state_dir);

/*
 * domain AF_INET or AF_INET6 (sockaddr_in6; without IPV6_V6ONLY, which is
 * off by default as Linux's, it takes IPv4 too and shows IPv4 peers as
 * ::ffff:a.b.c.d), type SOCK_STREAM or
 * SOCK_DGRAM, optionally | SOCK_NONBLOCK | SOCK_CLOEXEC (CLOEXEC applies to
 * the descriptor: the socket then is not inherited by exec'd programs);
 * protocol 0 or IPPROTO_TCP / IPPROTO_UDP to match.
 * Errors: EAFNOSUPPORT, EINVAL (unknown type flags), EPROTONOSUPPORT
 * (protocol does not match type), ESOCKTNOSUPPORT/EPROTOTYPE (other types),
 * EMFILE, ENFILE, ENOBUFS/ENOMEM (the instance's socket table is full).
 */
int ax_socket(int domain, int type, int protocol);

/*
 * Errors: EINVAL (already bound, or addrlen too short; an AF_INET6 socket:
 * a mapped address with IPV6_V6ONLY, a link-local one without
 * sin6_scope_id), EAFNOSUPPORT (not the socket's family), ENODEV (a scope
 * that is not the instance's interface), EADDRINUSE (port taken: SO_REUSEADDR/SO_REUSEPORT as Linux),
 * EADDRNOTAVAIL (not an address of the instance; or port 0 and the
 * ephemeral range is exhausted), EACCES (port < 1024 and the caller lacks
 * CAP_NET_BIND_SERVICE, as the kernel), EFAULT.
 */
int ax_bind(int fd, const struct sockaddr *addr, socklen_t addrlen);

/*
 * SOCK_STREAM only; binds an ephemeral port when unbound. backlog is clamped
 * as the kernel's somaxconn. Errors: EOPNOTSUPP (datagram socket),
 * EINVAL (connected or connecting), EADDRINUSE (ephemeral range exhausted,
 * or a listener already holds the port without SO_REUSEPORT).
 */
int ax_listen(int fd, int backlog);

/*
 * Returns the new connection's descriptor. Blocks unless the listener is
 * non-blocking (then EAGAIN). ax_accept4 takes SOCK_NONBLOCK|SOCK_CLOEXEC.
 * SO_RCVTIMEO bounds a blocking accept (then EAGAIN).
 * Errors: EAGAIN/EWOULDBLOCK, EINVAL (not listening; bad flags),
 * EOPNOTSUPP (datagram socket), EINTR, ECONNABORTED, EMFILE, ENFILE,
 * ENOBUFS/ENOMEM, EFAULT.
 */
int ax_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int ax_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/*
 * TCP: the connection is authorized (policy, then committed to the log)
 * before its SYN leaves; a non-blocking connect returns EINPROGRESS and
 * completes with POLLOUT (success) or POLLERR (SO_ERROR holds the cause);
 * a blocking one waits (EINTR leaves it in progress, as Linux; SO_SNDTIMEO
 * bounds the wait: then EINPROGRESS).
 * UDP: sets the default peer; AF_UNSPEC dissolves it.
 * Errors: EINPROGRESS, EALREADY (one already in progress), EISCONN,
 * EACCES (policy denies), ECONNREFUSED, ETIMEDOUT, ENETUNREACH,
 * EHOSTUNREACH, EADDRNOTAVAIL (no ephemeral port left for this peer),
 * EAFNOSUPPORT, EINVAL (addrlen), EINTR, EFAULT, EOPNOTSUPP (listening).
 */
int ax_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

/*
 * Data. flags: MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK (receive), MSG_TRUNC
 * (receive: UDP returns the datagram's real length; TCP discards),
 * MSG_WAITALL (receive, TCP). Sending on a connection that is shut down for
 * writing or reset raises SIGPIPE unless MSG_NOSIGNAL, and fails with EPIPE.
 * A blocking send returns once all bytes are queued (or a signal/timeout
 * interrupts it after some were: then the count so far).
 * Send errors: EAGAIN/EWOULDBLOCK, EPIPE (also TCP never connected, as
 * Linux), ECONNRESET (the pending error of a reset connection, once, then
 * EPIPE), EDESTADDRREQ (UDP without a peer and no address), EMSGSIZE
 * (datagram larger than 65507 bytes or the send buffer), EACCES (UDP flow
 * denied by policy), ECONNREFUSED (connected UDP after an ICMP port
 * unreachable), EAFNOSUPPORT/EINVAL (UDP destination: family, length,
 * port 0), EINTR, EOPNOTSUPP (MSG_OOB). TCP ignores a sendto address.
 * Receive errors: EAGAIN/EWOULDBLOCK (also on SO_RCVTIMEO expiry),
 * ENOTCONN (TCP never connected, or listening), ECONNRESET, ETIMEDOUT,
 * ECONNREFUSED, EINVAL (MSG_OOB), EINTR. 0 means end of stream (or a
 * zero-length datagram). Data queued before an error or the end is
 * returned first.
 */
ssize_t ax_send(int fd, const void *buf, size_t len, int flags);
ssize_t ax_recv(int fd, void *buf, size_t len, int flags);
ssize_t ax_sendto(int fd, const void *buf, size_t len, int flags,
                  const struct sockaddr *dest, socklen_t destlen);
ssize_t ax_recvfrom(int fd, void *buf, size_t len, int flags,
                    struct sockaddr *src, socklen_t *srclen);
/* msg_control is not supported: msg_controllen is returned 0; MSG_TRUNC in
 * msg_flags when a datagram was longer than the buffers. Also EMSGSIZE when
 * msg_iovlen > IOV_MAX. */
ssize_t ax_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t ax_recvmsg(int fd, struct msghdr *msg, int flags);
/* As ax_recv/ax_send with flags 0 (kernel fds: read(2)/write(2)...). */
ssize_t ax_read(int fd, void *buf, size_t len);
ssize_t ax_write(int fd, const void *buf, size_t len);
ssize_t ax_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t ax_writev(int fd, const struct iovec *iov, int iovcnt);

/*
 * how: SHUT_RD, SHUT_WR, SHUT_RDWR. Errors: EINVAL (how), ENOTCONN (not
 * connected: TCP, or UDP without a peer, as Linux).
 */
int ax_shutdown(int fd, int how);

/*
 * Drops this descriptor; with this process's last descriptor for the
 * socket (see ax_dup) its reference goes, and the socket closes on the
 * last one (TCP: FIN after queued data, RST when unread data remains or
 * SO_LINGER {1,0}). Then it leaves this process's epoll sets and threads
 * of this process blocked on it return EBADF (unlike Linux, where they
 * sleep on: its slot in the instance may go to the next socket); EINTR
 * for the thread whose signal handler closed it. Never blocks (SO_LINGER
 * with a timeout does not wait, unlike Linux). Errors: EBADF. Kernel fds
 * and epoll sets: close(2).
 */
int ax_close(int fd);

/*
 * Options. SOL_SOCKET: SO_ERROR (get, clears), SO_TYPE, SO_REUSEADDR,
 * SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE, SO_LINGER (struct
 * linger), SO_RCVTIMEO, SO_SNDTIMEO (struct timeval), SO_ACCEPTCONN.
 * IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
 * TCP_USER_TIMEOUT, TCP_MAXSEG, TCP_INFO (struct tcp_info, Linux layout,
 * get only), TCP_CONGESTION (a name: "reno", "cubic", ...).
 * int options take an int (a shorter optlen: EINVAL); values are returned
 * as Linux does (SO_RCVBUF/SO_SNDBUF report the doubled value), truncated
 * to *optlen, which returns the bytes written. SO_RCVTIMEO/SO_SNDTIMEO:
 * ms resolution (rounded up); {0,0} waits forever; a negative tv_sec makes
 * every call return EAGAIN at once (Linux); tv_usec outside [0, 1e6): EDOM.
 * Errors: ENOPROTOOPT (unknown level/option), EINVAL (bad optlen or
 * value), ENOENT (TCP_CONGESTION: unknown algorithm), EFAULT, EISCONN
 * (options that only apply before connecting, as Linux), EBADF, ENOTSOCK.
 */
int ax_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
int ax_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);

/*
 * Errors: ENOTCONN (getpeername: no peer), EINVAL (*addrlen negative),
 * EFAULT. The address is truncated to *addrlen, which returns its full size.
 */
int ax_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);
int ax_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen);

/*
 * Another descriptor for the same socket (or epoll set), as dup(2),
 * dup2(2), dup3(2): a kernel dup of its descriptor. The descriptors share
 * the socket as Linux's share one open file (O_NONBLOCK included); the
 * socket closes when the last of them is closed (ax_close); threads
 * blocked on one keep going when another is closed. dup2/dup3 onto a
 * descriptor that is an axnet socket close that one first, as the kernel
 * does; ax_dup2(fd, fd) returns fd. Kernel fds: the kernel's calls.
 * Errors: EBADF (oldfd not open; newfd out of range), EINVAL (dup3:
 * oldfd == newfd, flags other than O_CLOEXEC), EMFILE, ENOMEM.
 */
int ax_dup(int oldfd);
int ax_dup2(int oldfd, int newfd);
int ax_dup3(int oldfd, int newfd, int flags);

/*
 * axnet sockets: F_GETFL (O_RDWR plus O_NONBLOCK when set), F_SETFL
 * (O_NONBLOCK; other flags ignored as Linux ignores them), F_GETFD/F_SETFD
 * (FD_CLOEXEC, on the descriptor), F_DUPFD/F_DUPFD_CLOEXEC (as ax_dup, the
 * lowest descriptor >= arg). Other commands: EINVAL.
 * O_NONBLOCK belongs to this process's descriptor: after fork the
 * child's copy changes apart from the parent's (unlike Linux, where the
 * open file is shared). Kernel fds: passed to fcntl(2).
 */
int ax_fcntl(int fd, int cmd, ...);

/*
 * axnet sockets: FIONBIO (int *: non-blocking on/off), FIONREAD/SIOCINQ
 * (int *: bytes readable; UDP: the next datagram's size), SIOCOUTQ (int *:
 * bytes not yet acknowledged / not yet sent). Others: ENOTTY.
 * Kernel fds: passed to ioctl(2).
 */
int ax_ioctl(int fd, unsigned long request, ...);

/*
 * Readiness over any mix of axnet sockets and kernel fds, in one kernel
 * sleep. axnet sockets report POLLIN (data, EOF, a connection to accept),
 * POLLOUT (space; connect completed), POLLERR (SO_ERROR set), POLLHUP
 * (both directions closed or reset), POLLRDHUP (peer shut down writing),
 * POLLNVAL (not open) exactly as Linux. timeout in ms (-1: forever).
 * Errors: EINTR, EINVAL (nfds > RLIMIT_NOFILE, or nfds > FD_SETSIZE /
 * negative for select), EFAULT, ENOMEM. select: EBADF for a closed fd.
 */
int ax_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int ax_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
              struct timeval *timeout);
/*
 * As ppoll(2) and pselect(2): the signal mask (NULL: the thread's) is in
 * force while the call sleeps, set and restored atomically with the
 * sleep. timeout NULL: forever. Errors as above, and EINVAL for a
 * timeout with tv_sec < 0 or tv_nsec outside [0, 1e9). pselect does not
 * change *timeout.
 */
int ax_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
             const sigset_t *sigmask);
int ax_pselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
               const struct timespec *timeout, const sigset_t *sigmask);

/*
 * An epoll set is a kernel epoll descriptor (flags: EPOLL_CLOEXEC) that a
 * program may itself put in another poll/epoll set; close it with ax_close.
 * Kernel fds in it behave as in epoll(7). axnet sockets: EPOLLIN, EPOLLOUT,
 * EPOLLRDHUP, EPOLLERR, EPOLLHUP (the last two always reported),
 * level-triggered by default, EPOLLET, EPOLLONESHOT (disarmed after one
 * report until EPOLL_CTL_MOD), EPOLLEXCLUSIVE (EPOLL_CTL_ADD only; passed
 * to the kernel). A wait costs O(ready sockets), not O(sockets in the set).
 * ax_epoll_create1 errors: EINVAL (flags), EMFILE, ENFILE, ENOMEM.
 * ax_epoll_ctl errors: EBADF, EEXIST (ADD of a present fd), ENOENT
 * (MOD/DEL of an absent fd), EINVAL (epfd not an epoll set from
 * ax_epoll_create1, fd == epfd, bad op, EPOLLEXCLUSIVE with MOD or with
 * EPOLLONESHOT), EPERM (fd does not support epoll, e.g. a regular file),
 * ELOOP, ENOMEM, ENOSPC.
 * ax_epoll_wait errors: EBADF, EINVAL (not an epoll set, maxevents <= 0),
 * EINTR, EFAULT.
 */
int ax_epoll_create1(int flags);
int ax_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int ax_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
/* As epoll_pwait(2) and epoll_pwait2(2): sigmask in force while asleep;
 * epoll_pwait2's timeout in ns (NULL: forever). A set that never held an
 * axnet socket waits in the kernel's call itself, with the program's own
 * data (so a program may use the ax_epoll_* calls on every set at no
 * cost). */
int ax_epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
                   const sigset_t *sigmask);
int ax_epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
                    const struct timespec *timeout, const sigset_t *sigmask);

#ifdef __cplusplus
}
#endif

#endif /* AXNET_SOCKET_H */
