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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

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

uint32_t ax_wait_gen(struct ax_sock *s)
{
	return __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
}

static void drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v)); /* the eventfd is O_NONBLOCK */
	(void)r;
}

static void bump(struct ax_sock *s)
{
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
	if (s->nsleep)
		futex(&s->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

void ax_sock_drained(struct ax_sock *s)
{
	pthread_mutex_lock(&s->wmu);
	bump(s);
	pthread_mutex_unlock(&s->wmu);
}

int ax_wait_sleep(struct ax_sock *s, uint32_t gen0, uint64_t deadline)
{
	int ms, r;

	/* Closed by another thread while we waited: its slot may already be
	 * another socket's, so never look at it again. */
	if (__atomic_load_n(&s->o.dead, __ATOMIC_ACQUIRE))
		return -EBADF;
	if (ax_sess_gone())
		return 0; /* the caller finds the socket reset */
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
		struct pollfd p[2] = { { .fd = s->o.fd, .events = POLLIN },
				       { .fd = ax_sess.ctl, .events = 0 } };

		s->poller = 1;
		pthread_mutex_unlock(&s->wmu);
		r = poll(p, 2, ms);
		r = r < 0 ? -errno : r == 0 ? -EAGAIN : 0;
		if (r == 0)
			ax_sess_check_hup(p[1].revents);
		if (__atomic_load_n(&s->o.dead, __ATOMIC_ACQUIRE))
			r = -EBADF;
		else if (r == 0 && (p[0].revents & POLLIN))
			drain(s->o.fd);
		pthread_mutex_lock(&s->wmu);
		s->poller = 0;
		bump(s); /* the others re-check; one of them polls next */
		pthread_mutex_unlock(&s->wmu);
		return r;
	}
	s->nsleep++;
	pthread_mutex_unlock(&s->wmu);
	{
		struct timespec ts, *tsp = NULL;

		if (ms > 0) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (long)(ms % 1000) * 1000000L;
			tsp = &ts;
		}
		r = (int)futex(&s->gen, FUTEX_WAIT_PRIVATE, gen0, tsp);
		r = r < 0 && errno == EINTR ? -EINTR : r < 0 && errno == ETIMEDOUT ? -EAGAIN : 0;
	}
	pthread_mutex_lock(&s->wmu);
	s->nsleep--;
	pthread_mutex_unlock(&s->wmu);
	return r;
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
