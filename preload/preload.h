/*
 * preload.h - libaxnet-preload.so's private declarations (never installed).
 *
 * The preload library is libaxnet built with AX_PRELOAD plus the files of
 * preload/: functions with libc's names (socket, read, poll, execve...)
 * that an unmodified, dynamically linked program calls instead of libc's
 * when the library is in LD_PRELOAD. Each calls the ax_* function of the
 * same name, which passes a kernel descriptor on to the kernel's call
 * (ax_sys_NAME: libc's own, dlsym(RTLD_NEXT)); so a pipe's read costs one
 * table lookup more than libc's. AF_INET and AF_INET6 sockets become axnet sockets;
 * everything else stays the kernel's.
 *
 * Only the interposers are exported (AXP_EXPORT, every other symbol is
 * hidden: -fvisibility=hidden, and AX_API is hidden under AX_PRELOAD), so
 * the library adds nothing to a program's namespace but libc's names.
 * Includes only libaxnet/, include/axnet/ and util/instance.h.
 */
#ifndef AX_PRELOAD_PRELOAD_H
#define AX_PRELOAD_PRELOAD_H

#include <netdb.h>
#include <spawn.h>
#include <sys/sendfile.h>
#include <sys/types.h>

#include "libaxnet/sys.h"

#define AXP_EXPORT __attribute__((visibility("default")))

/* libc's functions the interposers need beyond libaxnet's (sys.h): the
 * next definitions, resolved with those of sys.h by ax_sys_resolve(). */
#define AXP_REAL_CALLS(X)                                                                      \
	X(int, accept, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al))               \
	X(ssize_t, recv, (int fd, void *b, size_t n, int fl), (fd, b, n, fl))                  \
	X(int, epoll_create, (int size), (size))                                               \
	X(ssize_t, sendfile, (int o, int i, off_t *off, size_t n), (o, i, off, n))             \
	X(int, recvmmsg, (int fd, struct mmsghdr *v, unsigned int n, int fl,                   \
			  struct timespec *t), (fd, v, n, fl, t))                               \
	X(int, sendmmsg, (int fd, struct mmsghdr *v, unsigned int n, int fl), (fd, v, n, fl))  \
	X(int, getaddrinfo, (const char *n, const char *s, const struct addrinfo *h,           \
			     struct addrinfo **r), (n, s, h, r))                                \
	X(void, freeaddrinfo, (struct addrinfo * ai), (ai))                                    \
	X(int, execve, (const char *p, char *const a[], char *const e[]), (p, a, e))           \
	X(int, execvpe, (const char *p, char *const a[], char *const e[]), (p, a, e))          \
	X(int, fexecve, (int fd, char *const a[], char *const e[]), (fd, a, e))                \
	X(int, posix_spawn, (pid_t * pid, const char *p, const posix_spawn_file_actions_t *fa, \
			     const posix_spawnattr_t *at, char *const a[], char *const e[]),    \
	  (pid, p, fa, at, a, e))                                                              \
	X(int, posix_spawnp, (pid_t * pid, const char *p, const posix_spawn_file_actions_t *fa,\
			      const posix_spawnattr_t *at, char *const a[], char *const e[]),   \
	  (pid, p, fa, at, a, e))

#define AXP_REAL_PTR(ret, name, params, args) extern ret(*ax_real_##name) params;
AXP_REAL_CALLS(AXP_REAL_PTR)
#undef AXP_REAL_PTR

#endif /* AX_PRELOAD_PRELOAD_H */
