/*
 * wait.c - sleeping in the kernel until a socket's readiness may have
 * changed, and the per-slot locks.
 *
 * The daemon writes a socket's eventfd on an event that matches the
 * slot's want bits (ipc.h). A waiter sets its bits, re-checks the slot,
 * and only then sleeps, so no event falls between check and sleep.
 * Several threads may wait on one socket (a reader and a writer): were
 * each to poll and drain the one eventfd, one could swallow the wake-up
 * meant for the other. So one thread at a time polls the eventfd (the
 * poller); the others sleep on the socket's generation counter (a futex),
 * which the poller bumps whenever it wakes. A waiter reads the generation
 * before it checks the slot and sleeps only if it has not moved since.
 *
 * After fork the family's processes share each eventfd, and the same
 * holds between them: a process draining the eventfd would swallow the
 * wake-up of another that has checked the slot but not yet polled (or
 * whose poll re-checks the count after the drain: it sleeps on). So in a
 * shared session the poller is one thread of the whole family (its pid in
 * the slot's struct ax_slot_wake, in memory shared with the children) and
 * the others sleep on that struct's gen, a process-shared futex, which
 * every drain bumps. The generation a waiter reads is then the shared
 * one. A poller killed in its poll would leave the others asleep: a
 * sleeper whose poller is another process wakes once a second to see
 * whether it still lives, and takes its place if not. A single process
 * keeps the private futex (the family's generation moves along with its
 * own: see poller_done).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"
#include "sys.h"

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ax_deadline(long ms)
{
	if (ms < 0)
		return 1; /* a zero timeout: long passed */
	if (ms == 0)
		return 0;
	return now_ns() + (uint64_t)ms * 1000000ull;
}

/* ms left until deadline for poll(2): -1 forever, 0 passed. */
static int left_ms(uint64_t deadline)
{
	uint64_t now;

	if (!deadline)
		return -1;
	now = now_ns();
	if (now >= deadline)
		return 0;
	if ((deadline - now + 999999) / 1000000 > INT_MAX)
		return INT_MAX;
	return (int)((deadline - now + 999999) / 1000000);
}

void ax_sock_update_want(struct ax_sock *s)
{
	uint32_t w = s->ep_want;

	if (s->nwait[0])
		w |= EPOLLIN | EPOLLRDHUP;
	if (s->nwait[1])
		w |= EPOLLOUT;
	if (w)
		w |= EPOLLERR | EPOLLHUP;
	/* After fork other processes may wait on this socket too and we
	 * cannot see their bits: only add. */
	if (ax_sess.shared)
		__atomic_or_fetch(&s->slot->want, w, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&s->slot->want, w, __ATOMIC_SEQ_CST);
	/* The daemon publishes, fences, then reads want; we store want,
	 * fence, then read what it published (ipc.h). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void ax_wait_begin(struct ax_sock *s, int dir)
{
	pthread_mutex_lock(&s->wmu);
	s->nwait[dir]++;
	ax_sock_update_want(s);
	pthread_mutex_unlock(&s->wmu);
}

void ax_wait_end(struct ax_sock *s, int dir)
{
	pthread_mutex_lock(&s->wmu);
	s->nwait[dir]--;
	ax_sock_update_want(s);
	pthread_mutex_unlock(&s->wmu);
}

static inline struct ax_slot_wake *wake_of(struct ax_sock *s)
{
	return &ax_sess.wake[s->id];
}

uint32_t ax_wait_gen(struct ax_sock *s)
{
	if (__atomic_load_n(&ax_sess.shared, __ATOMIC_RELAXED))
		return __atomic_load_n(&wake_of(s)->gen, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
}

static void drain(int fd)
{
	uint64_t v;
	ssize_t r = ax_sys_read(fd, &v, sizeof(v)); /* the eventfd is O_NONBLOCK */
	(void)r;
}

/* The family's generation moves with every drain. seq_cst against the
 * sleeper's nsleep increment: it either sees the generation move or is
 * woken. */
static void bump_shared(struct ax_slot_wake *w)
{
	__atomic_add_fetch(&w->gen, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->nsleep, __ATOMIC_SEQ_CST))
		futex(&w->gen, FUTEX_WAKE, INT_MAX, NULL);
}

/* Under s->wmu. */
static void bump(struct ax_sock *s)
{
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
	if (s->nsleep)
		futex(&s->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	bump_shared(wake_of(s));
}

/*
 * The poller is done (under s->wmu): the generation moves before its place
 * is free, so that a thread taking the place finds the drain it missed,
 * and again after, so that one asleep since it found the place taken
 * wakes (bump). The family's generation so moves at least as often as
 * the process's own, both from 0: a waiter that read its own before a
 * fork and compares it with the family's after never misses a drain.
 */
static void poller_done(struct ax_sock *s)
{
	struct ax_slot_wake *w = wake_of(s);

	__atomic_add_fetch(&w->gen, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->poller, 0, __ATOMIC_SEQ_CST);
	bump(s);
}

void ax_sock_drained(struct ax_sock *s)
{
	pthread_mutex_lock(&s->wmu);
	bump(s);
	pthread_mutex_unlock(&s->wmu);
}

/* Is the process pid gone (or a zombie: killed, not yet reaped)? */
static int pid_gone(pid_t pid)
{
	char path[32], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = ax_sys_read(fd, buf, sizeof(buf) - 1);
	ax_sys_close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* ---- signals and cancellation ---- */

static int (*intr_hook)(void);
__thread uint32_t ax_wait_seq __attribute__((tls_model("initial-exec")));

void ax_set_intr_hook(int (*hook)(void))
{
	__atomic_store_n(&intr_hook, hook, __ATOMIC_RELEASE);
}

/* A sleep ended with EINTR: start again? Linux sock_intr_errno: a socket
 * with a timeout for the direction (SO_RCVTIMEO/SO_SNDTIMEO) gives EINTR
 * whatever the handler's SA_RESTART; without one, -ERESTARTSYS, which the
 * kernel turns into a restart when the handler has SA_RESTART. */
static int interrupted(uint64_t deadline)
{
	int (*hook)(void) = __atomic_load_n(&intr_hook, __ATOMIC_ACQUIRE);

	return deadline == 0 && hook && hook() ? -AX_ERESTART : -EINTR;
}

/* What a sleeping thread holds, for its cancellation cleanup. */
enum { HOLD_POLLER, HOLD_SHARED_POLLER, HOLD_SLEEPER, HOLD_SHARED_SLEEPER };
struct sleep_hold {
	struct ax_sock *s;
	int dir, what;
};

/* The poller leaves (under s->wmu): its descriptor is free to close. */
static void poller_leave(struct ax_sock *s, int shared)
{
	s->pollfd = -1;
	if (s->pollwait)
		pthread_cond_broadcast(&s->pollcv);
	if (!shared)
		s->poller = 0;
	poller_done(s); /* the others re-check; one of them polls next */
}

/* The thread was cancelled asleep: give back what it held, end its wait
 * and drop the call's reference, as the call would have on its way out. */
static void sleep_cancelled(void *arg)
{
	struct sleep_hold *h = arg;
	struct ax_sock *s = h->s;

	pthread_mutex_lock(&s->wmu);
	switch (h->what) {
	case HOLD_POLLER:
	case HOLD_SHARED_POLLER:
		poller_leave(s, h->what == HOLD_SHARED_POLLER);
		break;
	case HOLD_SLEEPER:
		s->nsleep--;
		break;
	case HOLD_SHARED_SLEEPER:
		__atomic_sub_fetch(&wake_of(s)->nsleep, 1, __ATOMIC_SEQ_CST);
		break;
	}
	pthread_mutex_unlock(&s->wmu);
	ax_wait_end(s, h->dir);
	ax_obj_put(&s->o);
}

/*
 * FUTEX_WAIT as a cancellation point: glibc (2.36) acts on a deferred
 * cancel only inside its own cancellation points, which enable
 * asynchronous cancellation around their system call; so does this one.
 * -errno or 0.
 */
static int futex_wait_cancellable(uint32_t *uaddr, int op, uint32_t val,
				  const struct timespec *ts)
{
	int old, r;

	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	r = (int)futex(uaddr, op, val, ts);
	if (r < 0)
		r = -errno;
	pthread_setcanceltype(old, NULL);
	return r < 0 ? r : 0;
}

/* poll(2) on the socket's descriptor fd and the session's connection;
 * drains the eventfd when it fired. 0, -EAGAIN, -EINTR, -EBADF. */
static int poll_eventfd(struct ax_sock *s, int fd, int ms)
{
	struct pollfd q[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = ax_sess.ctl, .events = 0 } };
	int r = ax_sys_poll(q, 2, ms);

	r = r < 0 ? -errno : r == 0 ? -EAGAIN : 0;
	if (r == 0)
		ax_sess_check_hup(q[1].revents);
	/* Closed meanwhile: EBADF, but EINTR when a handler did it (Linux:
	 * the call, holding its file, returns EINTR; a restart finds EBADF). */
	if (__atomic_load_n(&s->o.dead, __ATOMIC_ACQUIRE) && r != -EINTR)
		r = -EBADF;
	else if (r == 0 && (q[0].revents & POLLIN))
		drain(fd);
	return r;
}

/* The two sleeps with their cancellation cleanup (functions of their own:
 * pthread_cleanup_push is a setjmp, which wants few live locals). */
static int poll_held(struct sleep_hold *h, int fd, int ms)
{
	int r;

	pthread_cleanup_push(sleep_cancelled, h);
	r = poll_eventfd(h->s, fd, ms);
	pthread_cleanup_pop(0);
	return r;
}

static int futex_held(struct sleep_hold *h, uint32_t *uaddr, int op, uint32_t val,
		      const struct timespec *ts)
{
	int r;

	pthread_cleanup_push(sleep_cancelled, h);
	r = futex_wait_cancellable(uaddr, op, val, ts);
	pthread_cleanup_pop(0);
	return r;
}

void ax_sock_fd_retire(struct ax_sock *s, int fd)
{
	pthread_mutex_lock(&s->wmu);
	/* Not when the poller is this thread: a signal handler closing the
	 * socket its thread is blocked on (alarm() to abort a connect); that
	 * poll ends with EINTR when the handler returns. */
	while (s->pollfd == fd && !pthread_equal(s->pollthread, pthread_self())) {
		uint64_t one = 1;
		ssize_t r = ax_sys_write(fd, &one, sizeof(one)); /* the poller wakes */

		(void)r;
		s->pollwait++;
		pthread_cond_wait(&s->pollcv, &s->wmu);
		s->pollwait--;
	}
	pthread_mutex_unlock(&s->wmu);
}

/* The sleeper after fork: the same as below across the family. */
static int shared_sleep(struct ax_sock *s, int dir, uint32_t gen0, uint64_t deadline, int ms)
{
	struct ax_slot_wake *w = wake_of(s);
	int32_t me = (int32_t)getpid(), p = 0;
	struct timespec ts, *tsp = NULL;
	int r;

	if (__atomic_compare_exchange_n(&w->poller, &p, me, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST)) {
		struct sleep_hold h = { s, dir, HOLD_SHARED_POLLER };
		int fd;

		pthread_mutex_lock(&s->wmu);
		fd = s->pollfd = __atomic_load_n(&s->o.fd, __ATOMIC_ACQUIRE);
		s->pollthread = pthread_self();
		pthread_mutex_unlock(&s->wmu);
		/* A drain since gen0 (the poller before us): re-check. */
		if (__atomic_load_n(&w->gen, __ATOMIC_SEQ_CST) != gen0) {
			r = 0;
		} else {
			r = poll_held(&h, fd, ms);
		}
		pthread_mutex_lock(&s->wmu);
		poller_leave(s, 1);
		pthread_mutex_unlock(&s->wmu);
		return r == -EINTR ? interrupted(deadline) : r;
	}
	/* p: the poller. Bounded when it is another process (it may die). */
	if (p != me && (ms < 0 || ms > 1000))
		ms = 1000;
	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		tsp = &ts;
	}
	__atomic_add_fetch(&w->nsleep, 1, __ATOMIC_SEQ_CST);
	{
		struct sleep_hold h = { s, dir, HOLD_SHARED_SLEEPER };

		r = futex_held(&h, &w->gen, FUTEX_WAIT, gen0, tsp);
	}
	__atomic_sub_fetch(&w->nsleep, 1, __ATOMIC_SEQ_CST);
	if (r == -EINTR)
		return interrupted(deadline);
	if (r != -ETIMEDOUT)
		return 0;
	if (left_ms(deadline) == 0)
		return -EAGAIN;
	/* Its poller died polling: free the place (the others wake). */
	if (p != me && __atomic_load_n(&w->poller, __ATOMIC_SEQ_CST) == p) {
		int oc = ax_nocancel(); /* pid_gone opens and reads /proc */
		int gone = pid_gone(p);

		ax_cancel_restore(oc);
		if (gone && __atomic_compare_exchange_n(&w->poller, &p, 0, 0, __ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST))
			bump_shared(w);
	}
	return 0;
}

int ax_wait_sleep(struct ax_sock *s, int dir, uint32_t gen0, uint64_t deadline)
{
	int ms, r;

	ax_wait_seq++; /* the interrupt hook's "since the wait began" */
	/* Closed by another thread while we waited: its slot may already be
	 * another socket's, so never look at it again. */
	if (__atomic_load_n(&s->o.dead, __ATOMIC_ACQUIRE))
		return -EBADF;
	if (ax_sess_gone())
		return 0; /* the caller finds the socket reset */
	if (__atomic_load_n(&ax_sess.shared, __ATOMIC_RELAXED)) {
		if (__atomic_load_n(&wake_of(s)->gen, __ATOMIC_ACQUIRE) != gen0)
			return 0;
		ms = left_ms(deadline);
		return ms == 0 ? -EAGAIN : shared_sleep(s, dir, gen0, deadline, ms);
	}
	pthread_mutex_lock(&s->wmu);
	if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != gen0) {
		pthread_mutex_unlock(&s->wmu);
		return 0;
	}
	ms = left_ms(deadline);
	if (ms == 0) {
		pthread_mutex_unlock(&s->wmu);
		return -EAGAIN;
	}
	if (!s->poller) {
		/* The session's connection too (no events asked: only its
		 * hang-up), so that a daemon that stops or dies does not leave
		 * us asleep: its sockets are then reset. */
		struct sleep_hold h = { s, dir, HOLD_POLLER };
		int fd = __atomic_load_n(&s->o.fd, __ATOMIC_ACQUIRE);

		s->poller = 1;
		s->pollfd = fd;
		s->pollthread = pthread_self();
		/* Were the process to fork now, its family sees our poll. */
		__atomic_store_n(&wake_of(s)->poller, (int32_t)getpid(), __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&s->wmu);
		r = poll_held(&h, fd, ms);
		pthread_mutex_lock(&s->wmu);
		poller_leave(s, 0);
		pthread_mutex_unlock(&s->wmu);
		return r == -EINTR ? interrupted(deadline) : r;
	}
	s->nsleep++;
	pthread_mutex_unlock(&s->wmu);
	{
		struct sleep_hold h = { s, dir, HOLD_SLEEPER };
		struct timespec ts, *tsp = NULL;

		if (ms > 0) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (long)(ms % 1000) * 1000000L;
			tsp = &ts;
		}
		r = futex_held(&h, &s->gen, FUTEX_WAIT_PRIVATE, gen0, tsp);
		r = r == -EINTR ? -EINTR : r == -ETIMEDOUT ? -EAGAIN : 0;
	}
	pthread_mutex_lock(&s->wmu);
	s->nsleep--;
	pthread_mutex_unlock(&s->wmu);
	return r == -EINTR ? interrupted(deadline) : r;
}

/* ---- per-slot locks: robust mutexes shared with forked children ---- */

/* Robust (the kernel releases a dead owner's lock: its robust list), so
 * that a forked child killed or crashing mid-copy cannot leave its
 * family's socket locked forever; process-shared, as the memory is. */
void ax_slot_lock_init(uint32_t id)
{
	pthread_mutexattr_t a;
	int dir;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (dir = 0; dir < 2; dir++)
		pthread_mutex_init(&ax_sess.locks[id * 2 + (uint32_t)dir], &a);
	pthread_mutexattr_destroy(&a);
	/* The generation starts where a new socket's own does (0). */
	__atomic_store_n(&ax_sess.wake[id].gen, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ax_sess.wake[id].nsleep, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ax_sess.wake[id].poller, 0, __ATOMIC_RELEASE);
}

void ax_slot_lock(uint32_t id, int dir)
{
	pthread_mutex_t *m = &ax_sess.locks[id * 2 + (uint32_t)dir];

	/* EOWNERDEAD: its holder died between lock and unlock; the ring's
	 * indices are as it last published them (a copy not yet published
	 * is simply redone), so the lock is good as it is. */
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

void ax_slot_unlock(uint32_t id, int dir)
{
	pthread_mutex_unlock(&ax_sess.locks[id * 2 + (uint32_t)dir]);
}
