/*
 * test_libaxnet_sem.c - the descriptor and blocking semantics programs
 * rely on, against test_libaxnet.c's fake daemon: dup/dup2/dup3/F_DUPFD
 * (several descriptors, one socket, closed with the last, blocked threads
 * undisturbed by another descriptor's close), SA_RESTART through the
 * interrupt hook (Linux's rules), and pthread_cancel of threads blocked in
 * every kind of wait, leaking nothing.
 */
#define TEST_LIBAXNET_FAKE_ONLY
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_libaxnet.c"
#pragma GCC diagnostic warning "-Wunused-function"

#include "libaxnet/lib.h"

/* The library's references to fd's socket, beyond the one we take to look. */
static int refs_of(int fd)
{
	struct ax_obj *o = ax_fd_get(fd);
	int r;

	if (!o)
		return -1;
	r = (int)__atomic_load_n(&o->refs, __ATOMIC_ACQUIRE) - 1;
	ax_obj_put(o);
	return r;
}

static int blocking_pair(uint32_t *id)
{
	int fd = tcp_pair(id), off = 0;

	if (fd >= 0)
		ax_ioctl(fd, FIONBIO, &off);
	return fd;
}

/* ---- dup ---- */

TEST(dup_shares_the_socket_and_only_the_last_close_tells_the_daemon)
{
	uint32_t id;
	int fd = tcp_pair(&id), d, d2, off = 0;
	char b[8];

	REQUIRE(fd >= 0);
	d = ax_dup(fd);
	REQUIRE(d >= 0);
	CHECK(d != fd);
	CHECK_EQ(refs_of(fd), 2); /* one per descriptor */
	/* One open file: O_NONBLOCK is the socket's, as Linux's dups share it. */
	CHECK(ax_fcntl(d, F_GETFL) & O_NONBLOCK);
	ax_ioctl(d, FIONBIO, &off);
	CHECK_EQ(ax_fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	/* F_DUPFD_CLOEXEC: the lowest from arg, close-on-exec; dup's is not. */
	d2 = ax_fcntl(fd, F_DUPFD_CLOEXEC, 200);
	CHECK(d2 >= 200);
	CHECK(fcntl(d2, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(fcntl(d, F_GETFD) & FD_CLOEXEC, 0);
	CHECK_EQ(refs_of(fd), 3);

	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 0);
	CHECK_EQ(refs_of(d), 2);
	deliver(id, "hello", 5, 1);
	CHECK_EQ(ax_recv(d2, b, sizeof(b), 0), 5);
	CHECK_MEM(b, "hello", 5);
	CHECK_EQ(ax_close(d2), 0);
	CHECK_EQ(F.closed[id], 0);
	CHECK_EQ(ax_send(d, "x", 1, 0), 1);
	CHECK_EQ(ax_close(d), 0);
	CHECK_EQ(F.closed[id], 1);
	/* All gone from the table: the kernel's answers now. */
	CHECK_EQ(ax_dup(d), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(ax_fcntl(d, F_DUPFD, 0), -1);
	CHECK_EQ(errno, EBADF);
}

TEST(dup2_and_dup3_check_and_replace_as_linux)
{
	uint32_t id, id2;
	int fd = tcp_pair(&id), fd2 = tcp_pair(&id2), p[2], r;
	char b[8];

	REQUIRE(fd >= 0 && fd2 >= 0);
	REQUIRE(pipe(p) == 0);
	/* Linux's errors. */
	CHECK_EQ(ax_dup3(fd, fd, 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(ax_dup3(fd, p[0], O_NONBLOCK), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(ax_dup2(fd, fd), fd);
	CHECK_EQ(ax_dup2(-1, fd), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(ax_dup2(fd, -1), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(ax_dup2(fd, 1 << 30), -1);
	CHECK_EQ(errno, EBADF);
	/* A closed oldfd leaves an axnet newfd alone. */
	r = dup(p[0]);
	close(r);
	CHECK_EQ(ax_dup2(r, fd2), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(F.closed[id2], 0);
	CHECK_EQ(refs_of(fd2), 1);

	/* A pipe onto a socket: the socket closes (its only descriptor) and
	 * the number is the pipe's. */
	CHECK_EQ(ax_dup2(p[1], fd2), fd2);
	CHECK_EQ(F.closed[id2], 1);
	CHECK_EQ(refs_of(fd2), -1);
	CHECK_EQ(ax_write(fd2, "pipe", 4), 4);
	CHECK_EQ(read(p[0], b, sizeof(b)), 4);
	ax_close(fd2);

	/* A socket onto a pipe's end (dup3, close-on-exec): the number is the
	 * socket's, the pipe's end is closed. */
	CHECK_EQ(ax_dup3(fd, p[1], O_CLOEXEC), p[1]);
	CHECK(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(refs_of(fd), 2);
	deliver(id, "sock", 4, 1);
	CHECK_EQ(ax_recv(p[1], b, sizeof(b), 0), 4);
	CHECK_MEM(b, "sock", 4);
	/* A socket onto its own other descriptor: nothing closes. */
	CHECK_EQ(ax_dup2(fd, p[1]), p[1]);
	CHECK_EQ(F.closed[id], 0);
	CHECK_EQ(refs_of(fd), 2);
	CHECK_EQ(fcntl(p[1], F_GETFD) & FD_CLOEXEC, 0); /* dup2 clears it */
	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 0);
	CHECK_EQ(ax_close(p[1]), 0);
	CHECK_EQ(F.closed[id], 1);
	close(p[0]);
}

/* A reader asleep on one descriptor: the other's close (and its number
 * going to another file) leaves it reading, and it wakes on data. */
TEST(a_reader_blocked_on_a_dup_keeps_reading_when_the_other_is_closed)
{
	for (int which = 0; which < 2; which++) {
		uint32_t id;
		int fd = blocking_pair(&id), d, p[2];
		struct thr t;
		pthread_t th;

		struct timeval tv = { 3, 0 }; /* bounded, should it sleep on */

		REQUIRE(fd >= 0);
		ax_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		d = ax_dup(fd);
		REQUIRE(d >= 0);
		t = (struct thr){ .fd = which ? d : fd };
		pthread_create(&th, NULL, recv_thread, &t);
		usleep(100 * 1000);
		/* Close the descriptor the library polls (the first), or the
		 * one the reader named: the kernel gives the number to a pipe. */
		CHECK_EQ(ax_close(which ? d : fd), 0);
		REQUIRE(pipe(p) == 0);
		CHECK_EQ(F.closed[id], 0);
		usleep(50 * 1000);
		deliver(id, "after", 5, 1);
		pthread_join(th, NULL);
		CHECK_EQ(t.r, 5);
		CHECK_MEM(t.buf, "after", 5);
		CHECK(t.ms < 2000);
		CHECK_EQ(F.slots[id].want, 0);
		CHECK_EQ(ax_close(which ? fd : d), 0);
		CHECK_EQ(F.closed[id], 1);
		close(p[0]);
		close(p[1]);
	}
}

/* ---- SA_RESTART ---- */

static volatile sig_atomic_t sem_sigs;
static void sem_on_sig(int sig)
{
	(void)sig;
	sem_sigs++;
}

static int restart_yes(void)
{
	return 1;
}

static int restart_no(void)
{
	return 0;
}

static void *sem_connect_thread(void *arg)
{
	struct thr *t = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(0x0a000002) };

	t->r = ax_connect(t->fd, (struct sockaddr *)&to, sizeof(to));
	t->err = errno;
	return NULL;
}

static void *waitall_thread(void *arg)
{
	struct thr *t = arg;

	t->r = ax_recv(t->fd, t->buf, 8, MSG_WAITALL);
	t->err = errno;
	return NULL;
}

TEST(sa_restart_restarts_blocking_calls_as_linux)
{
	struct sigaction sa = { .sa_handler = sem_on_sig };
	struct timeval tv = { 5, 0 };
	uint32_t id;
	int fd = blocking_pair(&id);
	struct thr t = { .fd = fd };
	pthread_t th;

	REQUIRE(fd >= 0);
	sigaction(SIGUSR1, &sa, NULL);

	/* The hook says restart: recv sleeps on through the handler. */
	ax_set_intr_hook(restart_yes);
	sem_sigs = 0;
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th, SIGUSR1);
	usleep(100 * 1000);
	CHECK_EQ(sem_sigs, 1);
	CHECK(F.slots[id].want & EPOLLIN); /* still waiting */
	deliver(id, "later", 5, 1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, 5);
	CHECK_MEM(t.buf, "later", 5);

	/* Some bytes already taken (MSG_WAITALL): their count, as Linux. */
	t = (struct thr){ .fd = fd };
	deliver(id, "abc", 3, 1);
	pthread_create(&th, NULL, waitall_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, 3);

	/* SO_RCVTIMEO set: EINTR whatever the handler's flags (Linux
	 * sock_intr_errno). */
	ax_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t = (struct thr){ .fd = fd };
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, -1);
	CHECK_EQ(t.err, EINTR);
	CHECK(t.ms < 2000);
	tv.tv_sec = 0;
	ax_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* The hook says no (a handler without SA_RESTART): EINTR. */
	ax_set_intr_hook(restart_no);
	t = (struct thr){ .fd = fd };
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, -1);
	CHECK_EQ(t.err, EINTR);
	CHECK_EQ(F.slots[id].want, 0);
	ax_close(fd);

	/* connect: restarted, it waits on for its connection (Linux). */
	ax_set_intr_hook(restart_yes);
	t = (struct thr){ .fd = ax_socket(AF_INET, SOCK_STREAM, 0) };
	REQUIRE(t.fd >= 0);
	id = last_id();
	pthread_create(&th, NULL, sem_connect_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th, SIGUSR1);
	usleep(100 * 1000);
	CHECK(F.slots[id].want & EPOLLOUT);
	establish(id);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, 0);
	ax_close(t.fd);
	ax_set_intr_hook(NULL);
}

/* A handler closing the socket its own thread is blocked on (alarm() to
 * abort a connect): no hang; EINTR as Linux, the descriptor gone. */
static int handler_fd = -1;
static void close_on_sig(int sig)
{
	(void)sig;
	ax_close(handler_fd);
}

TEST(a_handler_closing_the_socket_its_thread_waits_on_interrupts_it)
{
	struct sigaction sa = { .sa_handler = close_on_sig };
	struct thr t;
	pthread_t th;
	uint32_t id;

	for (int dup_first = 0; dup_first < 2; dup_first++) {
		int d = -1;

		t = (struct thr){ .fd = ax_socket(AF_INET, SOCK_STREAM, 0) };
		REQUIRE(t.fd >= 0);
		id = last_id();
		if (dup_first)
			d = ax_dup(t.fd); /* the close is then not the last */
		handler_fd = t.fd;
		sigaction(SIGUSR2, &sa, NULL);
		pthread_create(&th, NULL, sem_connect_thread, &t);
		usleep(100 * 1000);
		pthread_kill(th, SIGUSR2);
		pthread_join(th, NULL);
		CHECK_EQ(t.r, -1);
		CHECK_EQ(t.err, EINTR);
		CHECK_EQ(F.closed[id], !dup_first);
		CHECK_EQ(refs_of(t.fd), -1);
		if (d >= 0) {
			CHECK_EQ(refs_of(d), 1);
			CHECK_EQ(ax_close(d), 0);
			CHECK_EQ(F.closed[id], 1);
		}
	}
}

/* ---- pthread_cancel ---- */

struct cthr {
	int fd, kind;
	void *res;
};

static void *cancel_thread(void *arg)
{
	struct cthr *c = arg;
	char b[64];

	switch (c->kind) {
	case 0:
		ax_recv(c->fd, b, sizeof(b), 0);
		break;
	case 1: {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ax_poll(&p, 1, -1);
		break;
	}
	case 2: {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(c->fd, &r);
		ax_select(c->fd + 1, &r, NULL, NULL, NULL);
		break;
	}
	case 3: {
		struct epoll_event ev;
		ax_epoll_wait(c->fd, &ev, 1, -1);
		break;
	}
	case 4:
		ax_accept(c->fd, NULL, NULL);
		break;
	}
	return NULL;
}

static int cancel_join(pthread_t th)
{
	void *res = NULL;

	pthread_cancel(th);
	pthread_join(th, &res);
	return res == PTHREAD_CANCELED;
}

TEST(a_thread_cancelled_in_recv_leaks_nothing)
{
	uint32_t id;
	int fd = blocking_pair(&id);
	struct cthr c[2] = { { .fd = fd }, { .fd = fd } };
	pthread_t th[2];
	struct thr t = { .fd = fd };

	REQUIRE(fd >= 0);
	/* One: it polls the eventfd. */
	pthread_create(&th[0], NULL, cancel_thread, &c[0]);
	usleep(100 * 1000);
	CHECK(F.slots[id].want & EPOLLIN);
	CHECK(cancel_join(th[0]));
	CHECK_EQ(F.slots[id].want, 0);
	CHECK_EQ(refs_of(fd), 1);
	/* Two: the second sleeps on the first's futex; both cancelled, the
	 * sleeper first, then the poller. */
	pthread_create(&th[0], NULL, cancel_thread, &c[0]);
	usleep(50 * 1000);
	pthread_create(&th[1], NULL, cancel_thread, &c[1]);
	usleep(100 * 1000);
	CHECK(cancel_join(th[1]));
	CHECK(F.slots[id].want & EPOLLIN);
	CHECK(cancel_join(th[0]));
	CHECK_EQ(F.slots[id].want, 0);
	CHECK_EQ(refs_of(fd), 1);
	/* The socket still works: a reader takes the poller's place. */
	pthread_create(&th[0], NULL, recv_thread, &t);
	usleep(100 * 1000);
	deliver(id, "fine", 4, 1);
	pthread_join(th[0], NULL);
	CHECK_EQ(t.r, 4);
	CHECK(t.ms < 2000);
	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 1);
}

TEST(threads_cancelled_in_poll_select_epoll_and_accept_leak_nothing)
{
	uint32_t id;
	int fd = blocking_pair(&id), ep;
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t th;
	struct cthr c = { .fd = fd };

	REQUIRE(fd >= 0);
	for (c.kind = 1; c.kind <= 2; c.kind++) {
		pthread_create(&th, NULL, cancel_thread, &c);
		usleep(100 * 1000);
		CHECK(F.slots[id].want & EPOLLIN);
		CHECK(cancel_join(th));
		CHECK_EQ(F.slots[id].want, 0);
		CHECK_EQ(refs_of(fd), 1);
	}
	ep = ax_epoll_create1(0);
	REQUIRE(ep >= 0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	c = (struct cthr){ .fd = ep, .kind = 3 };
	pthread_create(&th, NULL, cancel_thread, &c);
	usleep(100 * 1000);
	CHECK(cancel_join(th));
	CHECK_EQ(refs_of(ep), 1);
	CHECK_EQ(ax_close(ep), 0);
	CHECK_EQ(refs_of(fd), 1);
	CHECK_EQ(F.slots[id].want, 0);
	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 1);

	/* accept: the fake answers EAGAIN until a connection is queued. */
	fd = ax_socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	id = last_id();
	F.accept_id = -1;
	c = (struct cthr){ .fd = fd, .kind = 4 };
	pthread_create(&th, NULL, cancel_thread, &c);
	usleep(100 * 1000);
	CHECK(F.slots[id].want & EPOLLIN);
	CHECK(cancel_join(th));
	CHECK_EQ(F.slots[id].want, 0);
	CHECK_EQ(refs_of(fd), 1);
	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 1);
}

/* After a fork the family shares each socket's waits (the poller is one
 * process's thread, the others sleep on a shared futex): cancelled there
 * too, nothing stays held; SA_RESTART the same. Last: the session stays
 * shared from here on. */
TEST(after_fork_cancelled_and_restarted_waits_leave_the_family_waits_clean)
{
	struct sigaction sa = { .sa_handler = sem_on_sig };
	uint32_t id;
	int fd = blocking_pair(&id), st;
	struct cthr c[2] = { { .fd = fd }, { .fd = fd } };
	struct thr t = { .fd = fd };
	pthread_t th[2];
	pid_t pid;

	REQUIRE(fd >= 0);
	pid = fork();
	if (pid == 0)
		_exit(0);
	REQUIRE(pid > 0);
	waitpid(pid, &st, 0);
	REQUIRE(ax_sess.shared);

	pthread_create(&th[0], NULL, cancel_thread, &c[0]);
	usleep(50 * 1000);
	pthread_create(&th[1], NULL, cancel_thread, &c[1]);
	usleep(100 * 1000);
	CHECK_EQ(ax_sess.wake[id].poller, getpid());
	CHECK_EQ(ax_sess.wake[id].nsleep, 1);
	CHECK(cancel_join(th[1]));
	CHECK_EQ(ax_sess.wake[id].nsleep, 0);
	CHECK(cancel_join(th[0]));
	CHECK_EQ(ax_sess.wake[id].poller, 0);
	CHECK_EQ(refs_of(fd), 1);

	/* SA_RESTART: the reader sleeps on through the handler. */
	sigaction(SIGUSR1, &sa, NULL);
	ax_set_intr_hook(restart_yes);
	pthread_create(&th[0], NULL, recv_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th[0], SIGUSR1);
	usleep(100 * 1000);
	deliver(id, "again", 5, 1);
	pthread_join(th[0], NULL);
	CHECK_EQ(t.r, 5);
	CHECK_MEM(t.buf, "again", 5);
	ax_set_intr_hook(NULL);
	CHECK_EQ(ax_sess.wake[id].poller, 0);
	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 1);
}

TEST_MAIN(T(dup_shares_the_socket_and_only_the_last_close_tells_the_daemon),
	  T(dup2_and_dup3_check_and_replace_as_linux),
	  T(a_reader_blocked_on_a_dup_keeps_reading_when_the_other_is_closed),
	  T(sa_restart_restarts_blocking_calls_as_linux),
	  T(a_handler_closing_the_socket_its_thread_waits_on_interrupts_it),
	  T(a_thread_cancelled_in_recv_leaks_nothing),
	  T(threads_cancelled_in_poll_select_epoll_and_accept_leak_nothing),
	  T(after_fork_cancelled_and_restarted_waits_leave_the_family_waits_clean))
