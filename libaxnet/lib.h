/*
 * lib.h - libaxnet's private declarations, shared by its files (never
 * installed). The library includes only include/axnet/socket.h,
 * include/axnet/ipc.h (the wire) and util/instance.h; nothing of the
 * daemon or the engine.
 *
 * Objects. Every descriptor the library knows (an axnet socket: the
 * socket's eventfd; an epoll set: a kernel epoll fd) maps to a struct
 * ax_obj in the descriptor table (fdtab.c). Objects are reference counted
 * and type-stable (a freed object goes to a free list, never back to
 * malloc), so a call racing ax_close on the same descriptor never touches
 * freed memory; it sees EBADF or the object it looked up.
 *
 * Errors inside the library are negative errnos; the public wrappers turn
 * them into -1 and errno (ax_ret()).
 */
#ifndef AX_LIBAXNET_LIB_H
#define AX_LIBAXNET_LIB_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "axnet/ipc.h"

/* The public calls: exported from libaxnet.so; hidden in the preload
 * library, which exports libc's names only (preload/preload.h). */
#ifdef AX_PRELOAD
#define AX_API __attribute__((visibility("hidden")))
#else
#define AX_API __attribute__((visibility("default")))
#endif

/* ---- session (session.c): the connection to the instance ---- */

/*
 * Waiting across processes (after fork the family shares each socket's
 * eventfd): one thread of the whole family polls a socket's eventfd at a
 * time (poller: its pid), the others sleep on gen (a process-shared
 * futex), which every drain of the eventfd bumps. See wait.c.
 */
struct ax_slot_wake {
	uint32_t gen;    /* +1 after every drain of the eventfd */
	uint32_t nsleep; /* threads (any process) in futex_wait on gen */
	int32_t poller;  /* pid of the process whose thread polls, or 0 */
	uint32_t pad;
};
struct ax_session {
	int ctl;                      /* api.sock connection, -1 before init */
	int doorbell;                 /* eventfd: program -> daemon */
	uint8_t *seg;                 /* the shared segment (MAP_SHARED) */
	size_t seg_size;
	struct axipc_seg_hdr *hdr;
	struct axipc_slot *slots;
	uint32_t nslots;
	pthread_mutex_t *locks;       /* per slot: rx and tx locks (robust,
	                               * process-shared, in MAP_SHARED anonymous
	                               * memory: shared with forked children) */
	struct ax_slot_wake *wake;    /* per slot, shared the same way (wait.c) */
	int shared;                   /* 1 after a fork: sockets may have other
	                               * users, want bits are never cleared */
	int broken;                   /* a forked child that could not attach */
	int gone;                     /* the instance closed our session (it
	                               * stopped or died): every socket is reset */
	uint32_t next_id;             /* request ids */
	pthread_mutex_t mu;           /* one request at a time on ctl */
	char dir[PATH_MAX];
};
extern struct ax_session ax_sess;

/* The instance went away: say so once, for every socket. */
static inline int ax_sess_gone(void)
{
	return __atomic_load_n(&ax_sess.gone, __ATOMIC_ACQUIRE);
}
void ax_sess_set_gone(void);
/* Did the session's connection hang up (revents of a pollfd on it)? */
int ax_sess_check_hup(short revents);

/* Register with the instance unless done (thread-safe). 0 or -errno. */
int ax_session_get(void);
/*
 * One request and its reply. body/blen: the request's body; rbody/rblen:
 * where the reply's body goes (its size for the type). fd: where a
 * descriptor passed with the reply goes (-1 if none came), or NULL.
 * Returns the reply's err (>= 0 or -errno), -ECONNRESET when the instance
 * went away, -EPROTO on a reply that does not fit the wire.
 */
int ax_call(uint16_t type, uint32_t sock, const void *body, size_t blen, void *rbody,
	    size_t rblen, int *fd);

/* ---- descriptor table (fdtab.c) ---- */
enum { AX_OBJ_SOCK = 1, AX_OBJ_EPOLL = 2 };

/*
 * Several descriptors may name one object (dup, dup2, dup3, F_DUPFD: kernel
 * dups of its descriptor, sharing one open file as Linux's dups share one
 * socket). fd is the one the library itself polls and registers (any of
 * them: when the program closes it, another takes its place); dups holds
 * the others. All under the table's lock; fd is read without it (atomic).
 */
struct ax_obj {
	int kind;
	int fd;
	uint32_t refs; /* one per descriptor in the table + one per call in progress */
	uint32_t dead; /* 0 installed, 1 removed (no descriptor left), 2 on the free list */
	uint32_t nfds; /* descriptors in the table naming it (fd and dups) */
	uint32_t ndups, capdups;
	int *dups;     /* the descriptors other than fd (kept across reuse) */
	struct ax_obj *free_next;
};

/* The object's first descriptor. 0 or -EBADF/-EMFILE/-ENOMEM. The table
 * takes the caller's reference (from ax_obj_alloc). */
int ax_fd_install(int fd, struct ax_obj *o);
/* One more descriptor (a kernel dup of o's) for an installed object: the
 * table takes a reference of its own. 0, -EBADF (o has no descriptor left:
 * closed meanwhile), -EMFILE (beyond the table), -ENOMEM. */
int ax_fd_dup(int fd, struct ax_obj *o);
/* The object at fd with a reference taken, or NULL (a kernel fd, or none). */
struct ax_obj *ax_fd_get(int fd);
/* Whether fd names an object now (no reference: a hint for fast paths). */
int ax_fd_peek(int fd);
/* newfd, a kernel dup of o's descriptor, becomes one of o's (sock.c):
 * newfd, or -errno with newfd closed. */
int ax_obj_dup_install(struct ax_obj *o, int newfd);
/* Remove fd from the table: the object it named (the table's reference
 * for fd is the caller's now), NULL when none. *last: 1 when it was the
 * object's last descriptor (it is dead now), else 0 and o->fd, if it was
 * fd, is another of its descriptors. */
struct ax_obj *ax_fd_remove(int fd, int *last);
void ax_obj_put(struct ax_obj *o);
/* Is fd an axnet socket? No reference, no lock, no atomic operation: the
 * preload's fast path for kernel fds (the answer may be stale when another
 * thread closes or opens fd meanwhile, as for any fd number). */
int ax_fd_is_sock(int fd);
/* fn(fd, arg) for every descriptor that is an axnet socket now (exec:
 * close-on-exec). No lock held during fn. */
void ax_fd_each_sock(void (*fn)(int fd, void *arg), void *arg);
/* Drop an object that was never installed. */
void ax_obj_discard(struct ax_obj *o);
/* A zeroed object of the given size (per kind free lists). NULL: ENOMEM. */
struct ax_obj *ax_obj_alloc(int kind, size_t size);

/* ---- sockets (sock.c) ---- */
enum ax_state {
	AXS_NEW = 0,    /* created (maybe bound) */
	AXS_LISTEN,
	AXS_CONNECTING,
	AXS_CONNECTED,  /* TCP established (or was); UDP with a default peer */
};

struct ax_epitem;

struct ax_sock {
	struct ax_obj o;
	uint32_t id;          /* slot id */
	int type;             /* SOCK_STREAM or SOCK_DGRAM */
	int domain;           /* AF_INET or AF_INET6 (accepted: the listener's) */
	int v6only;           /* IPV6_V6ONLY as last set (sendto checks it) */
	int state;            /* enum ax_state */
	int nonblock;
	int connecting;       /* a connect() is in progress for the program
	                       * (Linux SS_CONNECTING), reported or not */
	int shut_rd, shut_wr; /* this process shut them down */
	long rcvtimeo_ms, sndtimeo_ms; /* 0: forever, < 0: none (optenc.h) */
	struct axipc_slot *slot;
	/* Waiting (wait.c): one thread polls the eventfd at a time, the
	 * others sleep on gen (a private futex) which the poller bumps. */
	pthread_mutex_t wmu;
	int poller;
	uint32_t gen;
	uint32_t nsleep;      /* threads in futex_wait on gen */
	uint32_t nwait[2];    /* blocked waiters for IN, OUT */
	uint32_t ep_want;     /* union of the epoll items' interest */
	struct ax_epitem *items; /* epoll sets holding it (epoll.c, under wmu) */
	/* The descriptor this process's poller is in poll(2) on, or -1 (under
	 * wmu): a close of it waits (pollcv) until the poller has left it, so
	 * that no poll sleeps on a number the kernel may have reused. */
	int pollfd;
	pthread_t pollthread; /* the poller, when pollfd >= 0 */
	uint32_t pollwait;
	pthread_cond_t pollcv;
};

/* Closed (by another thread) since it was looked up: never touch its
 * slot again, the daemon may have given it to another socket. */
static inline int ax_sock_dead(const struct ax_sock *s)
{
	return __atomic_load_n(&s->o.dead, __ATOMIC_ACQUIRE) != 0;
}

static inline struct ax_sock *ax_sock_of(struct ax_obj *o)
{
	return o && o->kind == AX_OBJ_SOCK ? (struct ax_sock *)o : NULL;
}

/* The axnet socket behind fd with a reference taken, or NULL: a kernel
 * fd (or an epoll set) the caller passes to the kernel's call. */
struct ax_sock *ax_sock_get(int fd);
/* Where a ring is (dir 0 rx, 1 tx): 1 with *m filled when the daemon has
 * made it (TCP: while established; UDP: tx from the start, rx once the
 * socket layer made it), else 0. */
struct ax_ringmem {
	uint8_t *base;
	uint32_t size;
};
int ax_sock_ring(struct ax_sock *s, int dir, struct ax_ringmem *m);

/* Readiness as POLL/EPOLL bits, from the slot and the rings, as Linux
 * reports it (sock.c). */
uint32_t ax_sock_events(struct ax_sock *s);
/* SO_ERROR from the daemon (reads and clears): 0 or -errno. */
int ax_sock_take_error(struct ax_sock *s);
/* The slot's so_error hint says an error is pending. */
int ax_sock_error_pending(struct ax_sock *s);
/* Tell the daemon we moved a ring index (kick set, doorbell if asked). */
void ax_kick(struct ax_sock *s);
/* Recompute slot->want from the waiters and epoll items (under s->wmu). */
void ax_sock_update_want(struct ax_sock *s);

/* ---- waiting (wait.c) ---- */
/* A deadline ms from now in CLOCK_MONOTONIC ns: ms 0 (and the result 0)
 * is forever, ms < 0 is already past (a zero SO_RCVTIMEO). */
uint64_t ax_deadline(long ms);
/* Start/stop waiting for dir (0: IN, 1: OUT): sets want bits. */
void ax_wait_begin(struct ax_sock *s, int dir);
void ax_wait_end(struct ax_sock *s, int dir);
/*
 * Sleep until the socket's eventfd fires, another waiter saw it fire
 * since gen0 was read, the deadline passes (-EAGAIN) or a signal handler
 * runs: -EINTR, or -AX_ERESTART when the call is to start its wait again
 * as Linux restarts it (no deadline, i.e. no SO_RCVTIMEO/SO_SNDTIMEO for
 * the direction, and the interrupt hook says every handler that ran had
 * SA_RESTART); a call that already moved data returns that count instead
 * (Linux tcp_sendmsg/tcp_recvmsg). Read gen0 = ax_wait_gen(s) before
 * checking the state. Called between ax_wait_begin(s, dir) and
 * ax_wait_end(s, dir), holding one reference to s (from ax_sock_get).
 *
 * A cancellation point (pthread_cancel): the thread sleeps in poll(2), a
 * libc cancellation point, or on a futex with asynchronous cancellation
 * enabled for the system call alone. When the thread is cancelled there,
 * cleanup handlers give up its poller place or sleeper count, end its
 * wait (ax_wait_end(s, dir)) and drop the caller's reference to s: a
 * cancelled call leaks nothing and the socket can be closed.
 */
#define AX_ERESTART 512 /* Linux's ERESTARTSYS, never seen outside the library */
uint32_t ax_wait_gen(struct ax_sock *s);
int ax_wait_sleep(struct ax_sock *s, int dir, uint32_t gen0, uint64_t deadline);

/*
 * Signals. hook() is asked when a blocking wait is interrupted by a signal
 * handler (EINTR): 1 when the call should start its wait again (SA_RESTART),
 * 0 for EINTR. NULL (libaxnet.so and .a: no sigaction of ours to know the
 * flags) is always EINTR. The LD_PRELOAD library installs one
 * (preload/signal.c). ax_wait_seq moves as each sleep begins, in the
 * sleeping thread, so the hook can tell the handlers that ran since.
 */
void ax_set_intr_hook(int (*hook)(void));
extern __thread uint32_t ax_wait_seq __attribute__((tls_model("initial-exec")));

/*
 * Cancellation (pthread_cancel) acts only where the library sleeps
 * (ax_wait_sleep, poll.c, epoll.c); elsewhere, where a libc call of ours
 * is a cancellation point (the requests to the instance, eventfd reads and
 * writes, close), it is held off, so that no lock or half-done request is
 * left behind. ax_nocancel() returns the state to give back.
 */
static inline int ax_nocancel(void)
{
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	return old;
}
static inline void ax_cancel_restore(int old)
{
	pthread_setcancelstate(old, NULL);
}
/* Drain a socket's eventfd and wake its local waiters (poll, epoll). */
void ax_sock_drained(struct ax_sock *s);
/* fd (no longer s->o.fd: ax_fd_remove moved it) is about to be closed:
 * returns once no poller of this process is in poll(2) on it. */
void ax_sock_fd_retire(struct ax_sock *s, int fd);

/* Per-slot locks (shared with forked children), one per direction (0 rx,
 * 1 tx): consumers of a ring take turns. Robust: a process that dies
 * holding one (killed, or faulting on its buffer mid-copy) releases it;
 * the ring is consistent then, as an index moves only after its copy.
 * ax_slot_lock_init before a new socket's slot is used. */
void ax_slot_lock_init(uint32_t id);
void ax_slot_lock(uint32_t id, int dir);
void ax_slot_unlock(uint32_t id, int dir);

/* ---- epoll (epoll.c) ---- */
/* The socket is going away: drop it from every epoll set. */
void ax_epoll_forget(struct ax_sock *s);

/* -errno -> -1 + errno; >= 0 unchanged. */
static inline long ax_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#endif /* AX_LIBAXNET_LIB_H */
