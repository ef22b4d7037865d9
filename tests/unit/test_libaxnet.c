/*
 * test_libaxnet.c - the library's calls against a fake daemon in this
 * process: a thread serving api.sock in a temporary state directory
 * (HELLO with a memfd segment and a doorbell, SOCKET with an eventfd,
 * the other requests with answers the test sets), while the test plays
 * the daemon's data side on the shared segment (rings, readiness, want
 * bits, eventfd writes). No engine, no namespace: the library's own
 * logic, exactly (blocking and waking, EOF and error order, EPIPE and
 * SIGPIPE, poll/select over a mix, epoll level/edge/one-shot and its
 * ready list with 10,000 sockets, UDP records, fork attach).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "axnet/ipc.h"
#include "axnet/socket.h"

#define NSLOTS 16384
#define SEG_SIZE (64u << 20)
#define SLOT_OFF ((sizeof(struct axipc_seg_hdr) + 4095) & ~(size_t)4095)
#define RING_BASE (8u << 20)
#define RING_SIZE 65536u
#define START_IDX 0xFFFFF000u /* indices wrap 4 KiB into each stream */

static struct fake {
	char dir[64];
	int lfd, memfd, bell;
	uint8_t *seg;
	struct axipc_seg_hdr *hdr;
	struct axipc_slot *slots;
	int efd[NSLOTS];
	int type[NSLOTS];
	int closed[NSLOTS];
	int so_err[NSLOTS];      /* positive errno for SO_ERROR */
	int connect_ret;         /* CONNECT's answer for streams */
	int accept_id;           /* a socket to hand out on ACCEPT, or -1;
	                          * -2: a new one for every ACCEPT */
	int naccept;             /* sockets handed out by ACCEPT */
	uint32_t next_id;
	uint64_t ring_next;
	int nattach, nbad;
	int last_type;
	int drop_efd;            /* close our eventfd copy after SOCKET (fd limit) */
	int conns[8], nconns;
	int reset_id, reset_ret; /* answer reset_ret to reset_id's requests (not CLOSE) */
	pthread_t th;
	volatile int stop;
	volatile int hangup;     /* close every session: the daemon goes away */
	pthread_mutex_t mu;
} F;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void reply(int fd, const struct axipc_hdr *h, int err, const void *body, size_t blen,
		  const int *fds, int nfds)
{
	uint8_t buf[AXIPC_MSG_MAX];
	struct axipc_rep r = { .h = *h, .err = err };
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr a;
	} cm;
	struct iovec iov = { buf, sizeof(r) + (err < 0 ? 0 : blen) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	r.h.len = (uint32_t)iov.iov_len;
	memcpy(buf, &r, sizeof(r));
	if (err >= 0 && blen)
		memcpy(buf + sizeof(r), body, blen);
	if (nfds && err >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.b;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
		F.nbad++;
}

static uint32_t new_sock(int type)
{
	uint32_t id = F.next_id++;
	struct axipc_slot *sl = &F.slots[id];

	F.efd[id] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	F.type[id] = type;
	F.closed[id] = 0;
	memset(sl, 0, sizeof(*sl));
	sl->type = (uint32_t)type;
	if (type == SOCK_DGRAM) {
		/* UDP: both rings at SOCKET, indices from 0. */
		sl->tx.off = F.ring_next;
		sl->tx.size = RING_SIZE;
		sl->rx.off = F.ring_next + RING_SIZE;
		sl->rx.size = RING_SIZE;
		F.ring_next += 2 * RING_SIZE;
	}
	return id;
}

static void serve(int fd)
{
	uint8_t buf[AXIPC_MSG_MAX] __attribute__((aligned(8)));
	struct axipc_req q;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n <= 0) {
		for (int i = 0; i < F.nconns; i++)
			if (F.conns[i] == fd)
				F.conns[i] = F.conns[--F.nconns];
		close(fd);
		return;
	}
	memset(&q, 0, sizeof(q));
	memcpy(&q, buf, (size_t)n < sizeof(q) ? (size_t)n : sizeof(q));
	if ((size_t)n != sizeof(q.h) + (size_t)axipc_req_body_len(q.h.type) || q.h.len != n) {
		F.nbad++;
		return;
	}
	pthread_mutex_lock(&F.mu);
	F.last_type = q.h.type;
	if (F.reset_ret && q.h.type != AXIPC_HELLO && q.h.type != AXIPC_ATTACH &&
	    q.h.type != AXIPC_SOCKET && q.h.type != AXIPC_CLOSE && q.h.sock == (uint32_t)F.reset_id) {
		reply(fd, &q.h, F.reset_ret, NULL, 0, NULL, 0);
		pthread_mutex_unlock(&F.mu);
		return;
	}
	switch (q.h.type) {
	case AXIPC_HELLO: {
		struct axipc_hello_rep r = { AXIPC_VERSION, NSLOTS, SEG_SIZE };
		int fds[2] = { F.memfd, F.bell };
		reply(fd, &q.h, 0, &r, sizeof(r), fds, 2);
		break;
	}
	case AXIPC_ATTACH: {
		struct axipc_hello_rep r = { AXIPC_VERSION, NSLOTS, SEG_SIZE };
		int ok = !memcmp(q.u.attach.token, F.hdr->token, AXIPC_TOKEN_LEN);
		F.nattach += ok;
		reply(fd, &q.h, ok ? 0 : -EPERM, &r, sizeof(r), NULL, 0);
		break;
	}
	case AXIPC_SOCKET: {
		struct axipc_sock_rep r = { 0 };
		r.sock = new_sock(q.u.socket.type);
		reply(fd, &q.h, 0, &r, sizeof(r), &F.efd[r.sock], 1);
		if (F.drop_efd) {
			close(F.efd[r.sock]);
			F.efd[r.sock] = -1;
		}
		break;
	}
	case AXIPC_ACCEPT: {
		struct axipc_sock_rep r = { 0 };
		struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4242),
					    .sin_addr.s_addr = htonl(0x0a000002) };
		if (F.accept_id == -2) {
			r.sock = new_sock(SOCK_STREAM);
		} else if (F.accept_id < 0) {
			reply(fd, &q.h, -EAGAIN, NULL, 0, NULL, 0);
			break;
		} else {
			r.sock = (uint32_t)F.accept_id;
			F.accept_id = -1;
		}
		F.naccept++;
		r.peer.len = sizeof(peer);
		memcpy(r.peer.addr, &peer, sizeof(peer));
		reply(fd, &q.h, 0, &r, sizeof(r), &F.efd[r.sock], 1);
		break;
	}
	case AXIPC_CONNECT:
		reply(fd, &q.h, F.type[q.h.sock] == SOCK_DGRAM ? 0 : F.connect_ret, NULL, 0, NULL,
		      0);
		break;
	case AXIPC_GETSOCKOPT: {
		struct axipc_getopt_rep r = { .len = sizeof(int) };
		int v = 0;
		if (q.u.getopt.level == SOL_SOCKET && q.u.getopt.name == SO_ERROR) {
			v = F.so_err[q.h.sock];
			F.so_err[q.h.sock] = 0;
			__atomic_store_n(&F.slots[q.h.sock].so_error, 0, __ATOMIC_RELEASE);
		} else if (q.u.getopt.level == SOL_SOCKET && q.u.getopt.name == SO_RCVBUF) {
			v = 131072;
		} else {
			reply(fd, &q.h, -ENOPROTOOPT, NULL, 0, NULL, 0);
			break;
		}
		memcpy(r.val, &v, sizeof(v));
		reply(fd, &q.h, 0, &r, sizeof(r), NULL, 0);
		break;
	}
	case AXIPC_GETNAME: {
		struct axipc_addr a = { .len = sizeof(struct sockaddr_in) };
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1234),
					   .sin_addr.s_addr = htonl(0x0a000001) };
		memcpy(a.addr, &sin, sizeof(sin));
		reply(fd, &q.h, 0, &a, sizeof(a), NULL, 0);
		break;
	}
	case AXIPC_CLOSE:
		F.closed[q.h.sock] = 1;
		reply(fd, &q.h, 0, NULL, 0, NULL, 0);
		break;
	default: /* BIND, LISTEN, SHUTDOWN, SETSOCKOPT */
		reply(fd, &q.h, 0, NULL, 0, NULL, 0);
		break;
	}
	pthread_mutex_unlock(&F.mu);
}

static void *fake_main(void *arg)
{
	(void)arg;
	while (!F.stop) {
		struct pollfd p[9];
		int n = 0;

		if (F.hangup) {
			while (F.nconns)
				close(F.conns[--F.nconns]);
			F.hangup = 0;
		}

		p[n++] = (struct pollfd){ .fd = F.lfd, .events = POLLIN };
		for (int i = 0; i < F.nconns; i++)
			p[n++] = (struct pollfd){ .fd = F.conns[i], .events = POLLIN };
		if (poll(p, (nfds_t)n, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept4(F.lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0 && F.nconns < 8)
				F.conns[F.nconns++] = c;
		}
		for (int i = 1; i < n; i++)
			if (p[i].revents)
				serve(p[i].fd);
	}
	return NULL;
}

static void fake_start(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(&F, 0, sizeof(F));
	pthread_mutex_init(&F.mu, NULL);
	F.accept_id = -1;
	F.connect_ret = -EINPROGRESS;
	strcpy(F.dir, "/tmp/axnet-libtest-XXXXXX");
	if (!mkdtemp(F.dir))
		abort();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/api.sock", F.dir);
	F.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (bind(F.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(F.lfd, 8))
		abort();
	F.memfd = memfd_create("axnet-test", MFD_CLOEXEC);
	if (ftruncate(F.memfd, SEG_SIZE))
		abort();
	F.seg = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, F.memfd, 0);
	F.hdr = (struct axipc_seg_hdr *)F.seg;
	F.hdr->magic = AXIPC_MAGIC;
	F.hdr->version = AXIPC_VERSION;
	F.hdr->seg_size = SEG_SIZE;
	F.hdr->slot_off = SLOT_OFF;
	F.hdr->nslots = NSLOTS;
	F.hdr->ifindex = 2;
	memset(F.hdr->token, 0x5a, AXIPC_TOKEN_LEN);
	F.slots = (struct axipc_slot *)(F.seg + SLOT_OFF);
	F.ring_next = RING_BASE;
	F.bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_create(&F.th, NULL, fake_main, NULL);
	setenv("AXNET_STATE_DIR", F.dir, 1);
}

/* ---- the daemon's data side, played by the test ---- */

/* The id of the last socket the fake made. */
static uint32_t last_id(void)
{
	return F.next_id - 1;
}

static void publish(uint32_t id, uint32_t ready, int wake)
{
	struct axipc_slot *sl = &F.slots[id];
	uint64_t one = 1;

	__atomic_store_n(&sl->ready, ready, __ATOMIC_RELEASE);
	__atomic_fetch_add(&sl->seq, 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (wake && write(F.efd[id], &one, sizeof(one)) != sizeof(one))
		abort();
}

/* TCP established: rings appear, indices near the 2^32 wrap. */
static void establish(uint32_t id)
{
	struct axipc_slot *sl = &F.slots[id];

	sl->rx_ring.cons = sl->rx_ring.prod = START_IDX;
	sl->tx_ring.cons = sl->tx_ring.prod = START_IDX;
	sl->rx.off = F.ring_next;
	sl->tx.off = F.ring_next + RING_SIZE;
	F.ring_next += 2 * RING_SIZE;
	__atomic_store_n(&sl->rx.size, RING_SIZE, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->tx.size, RING_SIZE, __ATOMIC_RELEASE);
	publish(id, EPOLLOUT | EPOLLWRNORM, 1);
}

/* Data from the peer into the rx ring. */
static void deliver(uint32_t id, const void *data, uint32_t n, int wake)
{
	struct axipc_slot *sl = &F.slots[id];
	uint32_t prod = sl->rx_ring.prod;
	uint8_t *ring = F.seg + sl->rx.off;

	for (uint32_t i = 0; i < n; i++)
		ring[(prod + i) & (sl->rx.size - 1)] = ((const uint8_t *)data)[i];
	__atomic_store_n(&sl->rx_ring.prod, prod + n, __ATOMIC_RELEASE);
	publish(id, (sl->ready | EPOLLIN) & ~0u, wake);
}

static int kicked(uint32_t id)
{
	return !!(__atomic_load_n(&F.hdr->kick_bits[id / 64], __ATOMIC_ACQUIRE) &
		  (1ull << (id % 64)));
}

static void kick_clear(void)
{
	memset(F.hdr->kick_bits, 0, sizeof(F.hdr->kick_bits));
	memset(F.hdr->kick_sum, 0, sizeof(F.hdr->kick_sum));
}

/* A connected TCP socket: its fd and id. */
static int tcp_pair(uint32_t *id)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(0x0a000002) };
	int fd = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	*id = last_id();
	if (ax_connect(fd, (struct sockaddr *)&to, sizeof(to)) != -1 || errno != EINPROGRESS)
		return -1;
	establish(*id);
	return fd;
}

struct thr {
	int fd;
	char buf[256];
	ssize_t r;
	int err;
	uint64_t ms;
	int flags;
};

static void *recv_thread(void *arg)
{
	struct thr *t = arg;
	uint64_t t0 = now_ms();

	t->r = ax_recv(t->fd, t->buf, sizeof(t->buf), t->flags);
	t->err = errno;
	t->ms = now_ms() - t0;
	return NULL;
}

/* test_libaxnet_sem.c takes the fake daemon above and has tests of its own. */
#ifndef TEST_LIBAXNET_FAKE_ONLY
/* ---- tests ---- */

TEST(socket_is_an_eventfd_descriptor_and_close_tells_the_daemon)
{
	int fd = ax_socket(AF_INET, SOCK_STREAM, 0), fl;
	uint32_t id = last_id();

	REQUIRE(fd >= 0);
	fl = fcntl(fd, F_GETFD);
	CHECK_EQ(fl & FD_CLOEXEC, 0); /* not asked for */
	CHECK_EQ(ax_fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	CHECK_EQ(F.slots[id].type, SOCK_STREAM);
	CHECK_EQ(ax_close(fd), 0);
	CHECK_EQ(F.closed[id], 1);
	/* Gone from the table: the next call on the number is the kernel's. */
	CHECK_EQ(ax_listen(fd, 1), -1);
	CHECK_EQ(errno, EBADF);

	fd = ax_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	REQUIRE(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(ax_fcntl(fd, F_GETFL) & O_NONBLOCK);
	ax_close(fd);

	CHECK_EQ(ax_socket(AF_UNIX, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, EAFNOSUPPORT);
	CHECK_EQ(ax_socket(AF_INET, SOCK_STREAM | 0x100000, 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(ax_socket(AF_INET, SOCK_RAW, 0), -1);
	CHECK_EQ(errno, ESOCKTNOSUPPORT);
}

TEST(recv_takes_data_across_the_index_wrap_and_kicks)
{
	uint32_t id;
	int fd = tcp_pair(&id);
	char big[6000], got[6000];

	REQUIRE(fd >= 0);
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 31);
	deliver(id, big, sizeof(big), 1);
	kick_clear();
	CHECK_EQ(ax_recv(fd, got, 1000, MSG_PEEK), 1000);
	CHECK(!kicked(id)); /* a peek moves nothing */
	CHECK_EQ(ax_recv(fd, got, sizeof(got), 0), (ssize_t)sizeof(big));
	CHECK_MEM(got, big, sizeof(big));
	CHECK_EQ(F.slots[id].rx_ring.cons, (uint32_t)(START_IDX + sizeof(big)));
	CHECK(kicked(id));
	CHECK_EQ(ax_recv(fd, got, sizeof(got), 0), -1);
	CHECK_EQ(errno, EAGAIN);
	ax_close(fd);
}

TEST(blocking_recv_sleeps_with_want_set_and_wakes_on_data)
{
	uint32_t id;
	int fd = tcp_pair(&id);
	struct thr t = { .fd = fd };
	pthread_t th;
	int flags = 0;

	REQUIRE(fd >= 0);
	CHECK_EQ(ax_ioctl(fd, FIONBIO, &flags), 0);
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(100 * 1000);
	/* Asleep, having asked for input. */
	CHECK(F.slots[id].want & EPOLLIN);
	deliver(id, "hello", 5, 1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, 5);
	CHECK_MEM(t.buf, "hello", 5);
	CHECK(t.ms >= 90);
	/* Awake: the bits are cleared again (no wake-ups it did not ask for). */
	CHECK_EQ(F.slots[id].want, 0);
	ax_close(fd);
}

TEST(rcvtimeo_bounds_a_blocking_recv_with_eagain)
{
	uint32_t id;
	int fd = tcp_pair(&id), off = 0;
	struct timeval tv = { 0, 150 * 1000 }, back;
	socklen_t len = sizeof(back);
	char b[4];
	uint64_t t0;

	REQUIRE(fd >= 0);
	ax_ioctl(fd, FIONBIO, &off);
	CHECK_EQ(ax_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	CHECK_EQ(ax_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
	CHECK_EQ(len, sizeof(back));
	CHECK_EQ(back.tv_usec, 150000);
	t0 = now_ms();
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(now_ms() - t0 >= 140);
	CHECK(now_ms() - t0 < 1000);
	tv.tv_usec = 1000000;
	CHECK_EQ(ax_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), -1);
	CHECK_EQ(errno, EDOM);
	ax_close(fd);
}

static volatile sig_atomic_t got_sig;
static void on_sig(int sig)
{
	(void)sig;
	got_sig++;
}

TEST(a_signal_interrupts_a_blocking_recv_with_eintr)
{
	struct sigaction sa = { .sa_handler = on_sig }; /* no SA_RESTART */
	uint32_t id;
	int fd = tcp_pair(&id), off = 0;
	struct thr t = { .fd = fd };
	pthread_t th;

	REQUIRE(fd >= 0);
	ax_ioctl(fd, FIONBIO, &off);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(100 * 1000);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, -1);
	CHECK_EQ(t.err, EINTR);
	ax_close(fd);
}

TEST(data_then_eof_then_error_in_linux_order)
{
	uint32_t id;
	int fd = tcp_pair(&id);
	char b[16];

	REQUIRE(fd >= 0);
	deliver(id, "abc", 3, 0);
	publish(id, EPOLLIN | EPOLLRDHUP | EPOLLOUT, 1); /* FIN after the data */
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 3);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 0);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 0);
	/* A reset: the error once, then the end. */
	F.so_err[id] = ECONNRESET;
	F.slots[id].so_error = -ECONNRESET;
	publish(id, EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR, 1);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), -1);
	CHECK_EQ(errno, ECONNRESET);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 0);
	ax_close(fd);
}

TEST(send_fills_the_ring_then_eagain_and_epipe_raises_sigpipe)
{
	struct sigaction sa = { .sa_handler = on_sig };
	static char buf[RING_SIZE + 1000];
	uint32_t id;
	int fd = tcp_pair(&id);

	REQUIRE(fd >= 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	kick_clear();
	CHECK_EQ(ax_send(fd, buf, sizeof(buf), 0), RING_SIZE); /* non-blocking: partial */
	CHECK_EQ(F.slots[id].tx_ring.prod, (uint32_t)(START_IDX + RING_SIZE));
	CHECK(kicked(id));
	CHECK_MEM(F.seg + F.slots[id].tx.off + (START_IDX & (RING_SIZE - 1)), buf, 4096);
	CHECK_EQ(ax_send(fd, buf, 10, 0), -1);
	CHECK_EQ(errno, EAGAIN);
	/* The daemon takes 100 bytes: 100 fit again. */
	F.slots[id].tx_ring.cons = START_IDX + 100;
	CHECK_EQ(ax_send(fd, buf, 1000, MSG_DONTWAIT), 100);

	sigaction(SIGPIPE, &sa, NULL);
	got_sig = 0;
	CHECK_EQ(ax_shutdown(fd, SHUT_WR), 0);
	CHECK_EQ(ax_send(fd, buf, 1, MSG_NOSIGNAL), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(got_sig, 0);
	CHECK_EQ(ax_write(fd, buf, 1), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(got_sig, 1);
	ax_close(fd);

	/* Never connected: EPIPE too (Linux). */
	fd = ax_socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(ax_send(fd, buf, 1, MSG_NOSIGNAL), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(ax_recv(fd, buf, 1, 0), -1);
	CHECK_EQ(errno, ENOTCONN);
	ax_close(fd);
	signal(SIGPIPE, SIG_DFL);
}

static void *connect_thread(void *arg)
{
	struct thr *t = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(0x0a000002) };

	t->r = ax_connect(t->fd, (struct sockaddr *)&to, sizeof(to));
	t->err = errno;
	return NULL;
}

TEST(blocking_connect_waits_for_completion_or_its_error)
{
	struct thr t;
	pthread_t th;
	uint32_t id;

	t.fd = ax_socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(t.fd >= 0);
	id = last_id();
	pthread_create(&th, NULL, connect_thread, &t);
	usleep(100 * 1000);
	CHECK(F.slots[id].want & EPOLLOUT);
	establish(id);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, 0);
	ax_close(t.fd);

	t.fd = ax_socket(AF_INET, SOCK_STREAM, 0);
	id = last_id();
	pthread_create(&th, NULL, connect_thread, &t);
	usleep(50 * 1000);
	F.so_err[id] = ECONNREFUSED;
	F.slots[id].so_error = -ECONNREFUSED;
	publish(id, EPOLLERR | EPOLLHUP, 1);
	pthread_join(th, NULL);
	CHECK_EQ(t.r, -1);
	CHECK_EQ(t.err, ECONNREFUSED);
	ax_close(t.fd);

	/* Denied by policy: EACCES the same way. */
	t.fd = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	id = last_id();
	connect_thread(&t);
	CHECK_EQ(t.r, -1);
	CHECK_EQ(t.err, EINPROGRESS);
	F.so_err[id] = EACCES;
	F.slots[id].so_error = -EACCES;
	publish(id, EPOLLERR | EPOLLHUP, 1);
	{
		struct pollfd p = { .fd = t.fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);
		CHECK_EQ(ax_poll(&p, 1, 1000), 1);
		CHECK(p.revents & POLLERR);
		CHECK_EQ(ax_getsockopt(t.fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
		CHECK_EQ(err, EACCES);
	}
	ax_close(t.fd);
}

TEST(poll_and_select_mix_sockets_and_kernel_fds)
{
	uint32_t id;
	int fd = tcp_pair(&id), pfd[2];
	struct pollfd p[2];
	fd_set rd;
	struct timeval tv = { 0, 0 };
	char b[8];

	REQUIRE(fd >= 0);
	REQUIRE(pipe(pfd) == 0);
	p[0] = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(ax_poll(p, 2, 0), 0);
	CHECK_EQ(write(pfd[1], "x", 1), 1);
	CHECK_EQ(ax_poll(p, 2, 0), 1);
	CHECK_EQ(p[0].revents, POLLIN);
	CHECK_EQ(p[1].revents, 0);
	CHECK_EQ(ax_read(pfd[0], b, 1), 1); /* passed through to read(2) */
	/* A blocking poll wakes when the daemon signals the socket. */
	{
		uint64_t t0 = now_ms();
		deliver(id, "yz", 2, 1);
		CHECK_EQ(ax_poll(p, 2, 2000), 1);
		CHECK(now_ms() - t0 < 1000);
		CHECK(p[1].revents & POLLIN);
	}
	FD_ZERO(&rd);
	FD_SET(pfd[0], &rd);
	FD_SET(fd, &rd);
	CHECK_EQ(ax_select((fd > pfd[0] ? fd : pfd[0]) + 1, &rd, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(fd, &rd));
	CHECK(!FD_ISSET(pfd[0], &rd));
	/* Writable: the tx ring is empty. */
	p[1].events = POLLOUT;
	CHECK_EQ(ax_poll(&p[1], 1, 0), 1);
	CHECK_EQ(p[1].revents, POLLOUT);
	ax_close(fd);
	ax_close(pfd[0]);
	ax_close(pfd[1]);
}

TEST(epoll_level_edge_and_oneshot)
{
	uint32_t a, b, c;
	int fa = tcp_pair(&a), fb = tcp_pair(&b), fc = tcp_pair(&c), ep, pfd[2];
	struct epoll_event ev, out[8];
	char buf[16];

	REQUIRE(fa >= 0 && fb >= 0 && fc >= 0);
	REQUIRE(pipe(pfd) == 0);
	ep = ax_epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(ep >= 0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0xA };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev), 0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev), -1);
	CHECK_EQ(errno, EEXIST);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 0xB };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fb, &ev), 0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 0xC };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fc, &ev), 0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0xFFFFFFFFFFFFull };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev), 0);
	/* The want bits follow the interest. */
	CHECK(F.slots[a].want & EPOLLIN);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 0);

	deliver(a, "1", 1, 1);
	deliver(b, "2", 1, 1);
	deliver(c, "3", 1, 1);
	CHECK_EQ(write(pfd[1], "p", 1), 1);
	{
		int n = ax_epoll_wait(ep, out, 8, 1000), seen = 0;
		CHECK_EQ(n, 4);
		for (int i = 0; i < n; i++) {
			if (out[i].data.u64 == 0xFFFFFFFFFFFFull)
				seen |= 8; /* the program's own data for a kernel fd */
			else if (out[i].data.u64 >= 0xA && out[i].data.u64 <= 0xC)
				seen |= 1 << (out[i].data.u64 - 0xA);
			CHECK(out[i].events & EPOLLIN);
		}
		CHECK_EQ(seen, 15);
	}
	CHECK_EQ(ax_read(pfd[0], buf, 1), 1);
	/* Nothing read from the sockets: level reports a again, edge and
	 * one-shot do not. */
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].data.u64, 0xA);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	/* Level: once read, it is off the list. */
	CHECK_EQ(ax_recv(fa, buf, sizeof(buf), 0), 1);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 0);
	/* Edge: new data, a new report. */
	deliver(b, "4", 1, 1);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 100), 1);
	CHECK_EQ(out[0].data.u64, 0xB);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 0);
	/* One-shot: silent until re-armed, then reported (still readable). */
	deliver(c, "5", 1, 1);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 50), 0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 0xC };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_MOD, fc, &ev), 0);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].data.u64, 0xC);
	/* RDHUP only when asked; HUP always. */
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 0xA };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_MOD, fa, &ev), 0);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	publish(a, EPOLLIN | EPOLLRDHUP | EPOLLOUT, 1);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP, .data.u64 = 0xA };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_MOD, fa, &ev), 0);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP);
	/* EPOLLEXCLUSIVE: not with ONESHOT, not on MOD. */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, pfd[1], &ev), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_DEL, fb, NULL), 0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_DEL, fb, NULL), -1);
	CHECK_EQ(errno, ENOENT);
	/* Closing a socket takes it out of the set. */
	ax_close(fa);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 0);
	ax_close(fb);
	ax_close(fc);
	ax_close(ep);
	close(pfd[0]);
	close(pfd[1]);
}

TEST(epoll_with_10000_idle_sockets_costs_what_one_does)
{
	enum { N = 10000 };
	static int fds[N];
	static uint32_t ids[N];
	struct epoll_event ev, out[4];
	int ep = ax_epoll_create1(0), n = 0;
	uint64_t t_many, t_one;

	REQUIRE(ep >= 0);
	/* 10,000 eventfds here and 10,000 in the fake would pass the fd
	 * limit: the fake keeps none, and wakes 7777 through ours (the same
	 * eventfd). */
	F.drop_efd = 1;
	for (int i = 0; i < N; i++) {
		fds[i] = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0)
			break;
		ids[i] = last_id();
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (ax_epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			break;
		n++;
	}
	F.drop_efd = 0;
	REQUIRE(n == N);
	F.efd[ids[7777]] = fds[7777];
	/* One active (level-triggered, stays ready): each wait returns it. */
	establish(ids[7777]);
	deliver(ids[7777], "z", 1, 1);
	t_many = now_us();
	for (int i = 0; i < 20000; i++) {
		if (ax_epoll_wait(ep, out, 4, 0) != 1 || out[0].data.u32 != 7777) {
			CHECK(0);
			break;
		}
	}
	t_many = now_us() - t_many;
	/* The same with one socket in its own set. */
	{
		int ep1 = ax_epoll_create1(0);
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 7777 };
		ax_epoll_ctl(ep, EPOLL_CTL_DEL, fds[7777], NULL);
		CHECK_EQ(ax_epoll_ctl(ep1, EPOLL_CTL_ADD, fds[7777], &ev), 0);
		t_one = now_us();
		for (int i = 0; i < 20000; i++)
			if (ax_epoll_wait(ep1, out, 4, 0) != 1) {
				CHECK(0);
				break;
			}
		t_one = now_us() - t_one;
		ax_close(ep1);
	}
	printf("  20000 waits: %llu us with 10,000 sockets in the set, %llu us with 1\n",
	       (unsigned long long)t_many, (unsigned long long)t_one);
	/* Looking at each of 10,000 slots per wait would cost 200M slot
	 * reads here (seconds); the ready list costs what one socket does. */
	CHECK(t_many <= 3 * t_one + 20000);
	F.efd[ids[7777]] = -1;
	ax_close(ep);
	for (int i = 0; i < N; i++)
		ax_close(fds[i]);
}

TEST(udp_records_out_and_in_with_addresses_and_trunc)
{
	int fd = ax_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	uint32_t id = last_id();
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53),
				  .sin_addr.s_addr = htonl(0x0a000002) }, from;
	socklen_t flen = sizeof(from);
	struct axipc_slot *sl = &F.slots[id];
	struct axipc_dgram d;
	char b[64];
	int n;

	REQUIRE(fd >= 0);
	CHECK_EQ(ax_send(fd, "x", 1, 0), -1);
	CHECK_EQ(errno, EDESTADDRREQ);
	CHECK_EQ(ax_sendto(fd, "query", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	CHECK_EQ(sl->tx_ring.prod, AXIPC_DGRAM_SPACE(5));
	memcpy(&d, F.seg + sl->tx.off, sizeof(d));
	CHECK_EQ(d.len, 5);
	CHECK_EQ(d.family, AF_INET);
	CHECK_EQ(d.port, htons(53));
	CHECK_MEM(d.addr, &to.sin_addr, 4);
	CHECK_MEM(F.seg + sl->tx.off + sizeof(d), "query", 5);
	to.sin_port = 0;
	CHECK_EQ(ax_sendto(fd, "q", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EINVAL);

	/* The daemon delivers a 10-byte datagram from 10.0.0.2:53. */
	d = (struct axipc_dgram){ .len = 10, .port = htons(53), .family = AF_INET };
	memcpy(d.addr, "\x0a\x00\x00\x02", 4);
	memcpy(F.seg + sl->rx.off, &d, sizeof(d));
	memcpy(F.seg + sl->rx.off + sizeof(d), "0123456789", 10);
	__atomic_store_n(&sl->rx_ring.prod, AXIPC_DGRAM_SPACE(10), __ATOMIC_RELEASE);
	publish(id, EPOLLIN | EPOLLOUT, 1);
	CHECK_EQ(ax_ioctl(fd, FIONREAD, &n), 0);
	CHECK_EQ(n, 10);
	CHECK_EQ(ax_recvfrom(fd, b, 4, MSG_PEEK | MSG_TRUNC, (struct sockaddr *)&from, &flen), 10);
	{
		struct iovec iov = { b, 4 };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1 };
		CHECK_EQ(ax_recvmsg(fd, &m, 0), 4);
		CHECK(m.msg_flags & MSG_TRUNC);
		CHECK_MEM(b, "0123", 4);
		CHECK_EQ(m.msg_namelen, sizeof(from));
		CHECK_EQ(from.sin_port, htons(53));
		CHECK_EQ(from.sin_addr.s_addr, htonl(0x0a000002));
	}
	/* The rest of that datagram is gone with it (message boundaries). */
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(sl->rx_ring.cons, AXIPC_DGRAM_SPACE(10));
	ax_close(fd);
}

/* An AF_INET6 UDP socket: sendto takes sockaddr_in6 (a mapped address and
 * a sockaddr_in go out as IPv4 records), the errnos are Linux's
 * udpv6_sendmsg's (probed), and IPv4 senders come back as ::ffff:a.b.c.d. */
TEST(udp6_records_carry_ipv6_and_show_ipv4_peers_mapped)
{
	int fd = ax_socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0), v = 0;
	uint32_t id = last_id(), at = 0;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(53) }, from;
	struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = htons(54),
				   .sin_addr.s_addr = htonl(0x0a000002) };
	socklen_t flen = sizeof(from), vl = sizeof(v);
	struct axipc_slot *sl = &F.slots[id];
	struct axipc_dgram d;
	char b[64];

	REQUIRE(fd >= 0);
	CHECK_EQ(ax_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl), 0);
	CHECK_EQ(v, AF_INET6);
	inet_pton(AF_INET6, "fd00::2", &to.sin6_addr);
	CHECK_EQ(ax_sendto(fd, "six", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	memcpy(&d, F.seg + sl->tx.off, sizeof(d));
	CHECK_EQ(d.len, 3);
	CHECK_EQ(d.family, AF_INET6);
	CHECK_EQ(d.port, htons(53));
	CHECK_MEM(d.addr, &to.sin6_addr, 16);
	at += AXIPC_DGRAM_SPACE(3);
	/* ::ffff:10.0.0.2 and a plain sockaddr_in: IPv4 records. */
	inet_pton(AF_INET6, "::ffff:10.0.0.2", &to.sin6_addr);
	CHECK_EQ(ax_sendto(fd, "m", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	memcpy(&d, F.seg + sl->tx.off + at, sizeof(d));
	CHECK_EQ(d.family, AF_INET);
	CHECK_MEM(d.addr, "\x0a\x00\x00\x02", 4);
	at += AXIPC_DGRAM_SPACE(1);
	CHECK_EQ(ax_sendto(fd, "4", 1, 0, (struct sockaddr *)&to4, sizeof(to4)), 1);
	memcpy(&d, F.seg + sl->tx.off + at, sizeof(d));
	CHECK_EQ(d.family, AF_INET);
	CHECK_EQ(d.port, htons(54));
	at += AXIPC_DGRAM_SPACE(1);
	CHECK_EQ(sl->tx_ring.prod, at);
	/* Linux's answers: short, port 0, unknown family, AF_UNSPEC
	 * (unconnected), link-local without a scope. */
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, 23), -1);
	CHECK_EQ(errno, EINVAL);
	to.sin6_port = 0;
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EINVAL);
	to.sin6_port = htons(53);
	to.sin6_family = 99;
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EINVAL);
	to.sin6_family = AF_UNSPEC;
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EDESTADDRREQ);
	to.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fe80::2", &to.sin6_addr);
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EADDRNOTAVAIL);
	to.sin6_scope_id = 2;
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	at += AXIPC_DGRAM_SPACE(1);
	/* V6ONLY: no IPv4 at all (ENETUNREACH, as udpv6_sendmsg). */
	v = 1;
	CHECK_EQ(ax_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)), 0);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", &to.sin6_addr);
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, ENETUNREACH);
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to4, sizeof(to4)), -1);
	CHECK_EQ(errno, ENETUNREACH);
	CHECK_EQ(sl->tx_ring.prod, at);

	/* The daemon delivers one datagram from 10.0.0.2:53, one from fd00::2:7. */
	d = (struct axipc_dgram){ .len = 2, .port = htons(53), .family = AF_INET };
	memcpy(d.addr, "\x0a\x00\x00\x02", 4);
	memcpy(F.seg + sl->rx.off, &d, sizeof(d));
	memcpy(F.seg + sl->rx.off + sizeof(d), "v4", 2);
	d = (struct axipc_dgram){ .len = 2, .port = htons(7), .family = AF_INET6 };
	inet_pton(AF_INET6, "fd00::2", d.addr);
	memcpy(F.seg + sl->rx.off + AXIPC_DGRAM_SPACE(2), &d, sizeof(d));
	memcpy(F.seg + sl->rx.off + AXIPC_DGRAM_SPACE(2) + sizeof(d), "v6", 2);
	__atomic_store_n(&sl->rx_ring.prod, 2 * AXIPC_DGRAM_SPACE(2), __ATOMIC_RELEASE);
	publish(id, EPOLLIN | EPOLLOUT, 1);
	CHECK_EQ(ax_recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &flen), 2);
	CHECK_EQ(flen, sizeof(struct sockaddr_in6));
	CHECK_EQ(from.sin6_family, AF_INET6);
	CHECK_EQ(from.sin6_port, htons(53));
	inet_pton(AF_INET6, "::ffff:10.0.0.2", &to.sin6_addr);
	CHECK_MEM(&from.sin6_addr, &to.sin6_addr, 16);
	flen = sizeof(from);
	CHECK_EQ(ax_recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &flen), 2);
	CHECK_MEM(b, "v6", 2);
	CHECK_EQ(from.sin6_port, htons(7));
	inet_pton(AF_INET6, "fd00::2", &to.sin6_addr);
	CHECK_MEM(&from.sin6_addr, &to.sin6_addr, 16);
	CHECK_EQ(from.sin6_scope_id, 0);
	/* A link-local sender comes with our interface's index as its scope
	 * (udpv6_recvmsg), so that an answer to it can go out. */
	d = (struct axipc_dgram){ .len = 2, .port = htons(7), .family = AF_INET6 };
	inet_pton(AF_INET6, "fe80::2", d.addr);
	memcpy(F.seg + sl->rx.off + 2 * AXIPC_DGRAM_SPACE(2), &d, sizeof(d));
	memcpy(F.seg + sl->rx.off + 2 * AXIPC_DGRAM_SPACE(2) + sizeof(d), "ll", 2);
	__atomic_store_n(&sl->rx_ring.prod, 3 * AXIPC_DGRAM_SPACE(2), __ATOMIC_RELEASE);
	publish(id, EPOLLIN | EPOLLOUT, 1);
	flen = sizeof(from);
	CHECK_EQ(ax_recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &flen), 2);
	CHECK_MEM(b, "ll", 2);
	CHECK_EQ(from.sin6_scope_id, 2);
	CHECK_EQ(ax_sendto(fd, "re", 2, 0, (struct sockaddr *)&from, flen), 2);
	memcpy(&d, F.seg + sl->tx.off + at, sizeof(d));
	CHECK_EQ(d.family, AF_INET6);
	CHECK_MEM(d.addr, &from.sin6_addr, 16);
	ax_close(fd);

	/* An AF_INET socket refuses sockaddr_in6 (EAFNOSUPPORT, as udp_sendmsg). */
	fd = ax_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	REQUIRE(fd >= 0);
	v = 0;
	vl = sizeof(v);
	CHECK_EQ(ax_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl), 0);
	CHECK_EQ(v, AF_INET);
	to.sin6_port = htons(53);
	CHECK_EQ(ax_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EAFNOSUPPORT);
	ax_close(fd);
}

TEST(accept_hands_out_the_new_socket_and_its_peer)
{
	int l = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), c;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	uint32_t nid;

	REQUIRE(l >= 0);
	CHECK_EQ(ax_listen(l, 16), 0);
	CHECK_EQ(ax_accept(l, NULL, NULL), -1);
	CHECK_EQ(errno, EAGAIN);
	pthread_mutex_lock(&F.mu);
	nid = new_sock(SOCK_STREAM);
	F.accept_id = (int)nid;
	pthread_mutex_unlock(&F.mu);
	establish(nid);
	c = ax_accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
	REQUIRE(c >= 0);
	CHECK_EQ(plen, sizeof(peer));
	CHECK_EQ(peer.sin_port, htons(4242));
	CHECK(ax_fcntl(c, F_GETFL) & O_NONBLOCK);
	deliver(nid, "hi", 2, 1);
	{
		char b[4];
		CHECK_EQ(ax_read(c, b, sizeof(b)), 2);
	}
	CHECK_EQ(ax_getsockname(c, (struct sockaddr *)&peer, &plen), 0);
	CHECK_EQ(peer.sin_port, htons(1234));
	ax_close(c);
	ax_close(l);
}

TEST(fork_attaches_the_child_before_the_parent_goes_on)
{
	int fd = ax_socket(AF_INET, SOCK_STREAM, 0), st;
	int before = F.nattach;
	pid_t pid;

	REQUIRE(fd >= 0);
	pid = fork();
	if (pid == 0) {
		/* The child's calls go over its own connection. */
		int v = 0;
		socklen_t len = sizeof(v);
		_exit(ax_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 131072 ? 0 : 1);
	}
	REQUIRE(pid > 0);
	/* fork() returned in the parent only after the child attached. */
	CHECK_EQ(F.nattach, before + 1);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ax_close(fd);
}

static void lock_hang(int sig)
{
	static const char m[] = "  a recv hung on a lock its dead holder kept\n";

	(void)sig;
	(void)!write(2, m, sizeof(m) - 1);
	_exit(1);
}

/* A forked child that dies inside recv (here: its buffer is unmapped, so
 * it faults while copying out of the ring, the ring's lock held) leaves
 * the socket usable: the parent's recv takes the data, nothing lost, no
 * hang (the lock is robust: its owner's death releases it). */
TEST(a_child_dying_inside_recv_leaves_the_socket_to_the_parent)
{
	uint32_t id;
	int fd = tcp_pair(&id), st;
	char data[3000], got[4000];
	pid_t pid;

	REQUIRE(fd >= 0);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 1);
	deliver(id, data, sizeof(data), 1);
	pid = fork();
	if (pid == 0) {
		char *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		signal(SIGSEGV, SIG_DFL);
		(void)ax_recv(fd, bad, sizeof(data), 0);
		_exit(0); /* not reached: the copy faults */
	}
	REQUIRE(pid > 0);
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	signal(SIGALRM, lock_hang);
	alarm(10);
	CHECK_EQ(ax_recv(fd, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizeof(data));
	CHECK_MEM(got, data, sizeof(data));
	CHECK_EQ(ax_send(fd, "x", 1, MSG_DONTWAIT), 1);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	ax_close(fd);
}

/* The child's half of the next test: its descriptor table full, a socket
 * is EMFILE as on Linux (and an accept leaves the connection queued);
 * its session and sockets live on. Exit 0, or the step that failed. */
static int at_fd_limit(int fd, int lfd)
{
	struct rlimit rl;
	int top = 0, *fill, n = 0, r, e, v = 0;
	socklen_t len = sizeof(v);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > 1000000)
		return 10;
	for (int i = 0; i < (int)rl.rlim_cur; i++)
		if (fcntl(i, F_GETFD) >= 0)
			top = i;
	fill = malloc((size_t)(top + 16) * sizeof(*fill));
	rl.rlim_cur = rl.rlim_max = (rlim_t)top + 16;
	if (!fill || setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 10;
	/* Every free number below the limit taken. */
	while (n < top + 16 && (fill[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		n++;
	if (n == top + 16 || errno != EMFILE)
		return 11;
	r = ax_socket(AF_INET, SOCK_STREAM, 0);
	e = errno;
	if (r != -1 || e != EMFILE)
		return 1;
	r = ax_accept(lfd, NULL, NULL);
	e = errno;
	if (r != -1 || e != EMFILE)
		return 2;
	while (n > 0)
		close(fill[--n]);
	free(fill);
	if (ax_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) != 0)
		return 3;
	r = ax_socket(AF_INET, SOCK_DGRAM, 0);
	if (r < 0)
		return 4;
	ax_close(r);
	/* The connection stayed queued: taken now. */
	r = ax_accept(lfd, NULL, NULL);
	if (r < 0)
		return 5;
	ax_close(r);
	return 0;
}

TEST(at_the_programs_descriptor_limit_socket_and_accept_are_emfile_and_the_session_lives)
{
	int fd = ax_socket(AF_INET, SOCK_STREAM, 0), lfd, st, before;
	pid_t pid;

	REQUIRE(fd >= 0);
	lfd = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	REQUIRE(lfd >= 0);
	CHECK_EQ(ax_listen(lfd, 16), 0);
	pthread_mutex_lock(&F.mu);
	F.accept_id = -2; /* a connection for every ACCEPT */
	before = F.naccept;
	pthread_mutex_unlock(&F.mu);
	pid = fork();
	if (pid == 0)
		_exit(at_fd_limit(fd, lfd));
	REQUIRE(pid > 0);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	pthread_mutex_lock(&F.mu);
	/* The EMFILE accept took no connection: only the last one did. */
	CHECK_EQ(F.naccept, before + 1);
	F.accept_id = -1;
	pthread_mutex_unlock(&F.mu);
	ax_close(lfd);
	ax_close(fd);
}

TEST(kernel_fds_pass_through)
{
	int sv[2];
	char b[4];

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK_EQ(ax_send(sv[0], "ab", 2, 0), 2);
	CHECK_EQ(ax_recv(sv[1], b, sizeof(b), 0), 2);
	CHECK_EQ(ax_shutdown(sv[0], SHUT_WR), 0);
	CHECK_EQ(ax_read(sv[1], b, sizeof(b)), 0);
	CHECK_EQ(ax_close(sv[0]), 0);
	CHECK_EQ(ax_close(sv[1]), 0);
	CHECK_EQ(ax_close(sv[1]), -1);
	CHECK_EQ(errno, EBADF);
}


TEST(recv_on_a_never_connected_socket_is_enotconn_whatever_its_mask)
{
	int fd = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	uint32_t id = last_id();
	char b[4];

	REQUIRE(fd >= 0);
	/* A closed TCP socket polls as OUT|HUP (Linux tcp_poll). */
	publish(id, EPOLLOUT | EPOLLHUP, 0);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), -1);
	CHECK_EQ(errno, ENOTCONN);
	ax_close(fd);
}

TEST(connect_again_after_completion_reports_0_then_eisconn)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(0x0a000002) };
	uint32_t id;
	int fd = tcp_pair(&id);

	REQUIRE(fd >= 0);
	F.connect_ret = -EISCONN; /* what the socket layer says now */
	CHECK_EQ(ax_connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	CHECK_EQ(ax_connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	CHECK_EQ(errno, EISCONN);
	F.connect_ret = -EINPROGRESS;
	ax_close(fd);
}

TEST(our_shut_wr_and_the_peers_fin_make_pollhup)
{
	uint32_t id;
	int fd = tcp_pair(&id);
	struct pollfd p = { .events = POLLIN | POLLOUT | POLLRDHUP };

	REQUIRE(fd >= 0);
	p.fd = fd;
	CHECK_EQ(ax_shutdown(fd, SHUT_WR), 0);
	CHECK_EQ(ax_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents & POLLHUP, 0);
	publish(id, EPOLLIN | EPOLLRDHUP | EPOLLOUT, 1);
	CHECK_EQ(ax_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	ax_close(fd);
}

/* A RST in CLOSE_WAIT leaves EPIPE pending (the slot's hint says so):
 * recv keeps saying 0 after the peer's FIN and leaves the error to send
 * (Linux tcp_recvmsg: SOCK_DONE first; probed). */
TEST(recv_after_a_reset_in_close_wait_says_eof_and_leaves_epipe)
{
	uint32_t id;
	int fd = tcp_pair(&id), err = 0;
	socklen_t len = sizeof(err);
	char b[8];

	REQUIRE(fd >= 0);
	publish(id, EPOLLIN | EPOLLRDHUP | EPOLLOUT, 1); /* the peer's FIN */
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 0);
	F.so_err[id] = EPIPE;
	F.slots[id].so_error = -EPIPE;
	publish(id, EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLOUT, 1);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 0);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), MSG_DONTWAIT), 0);
	CHECK_EQ(F.so_err[id], EPIPE); /* still pending */
	CHECK_EQ(ax_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, EPIPE);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 0);
	ax_close(fd);
}

TEST(a_pending_epipe_raises_sigpipe_as_linux)
{
	struct sigaction sa = { .sa_handler = on_sig };
	uint32_t id;
	int fd = tcp_pair(&id);

	REQUIRE(fd >= 0);
	sigaction(SIGPIPE, &sa, NULL);
	got_sig = 0;
	/* A RST in CLOSE_WAIT leaves EPIPE pending (Linux tcp_reset). */
	F.so_err[id] = EPIPE;
	F.slots[id].so_error = -EPIPE;
	publish(id, EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLOUT, 1);
	CHECK_EQ(ax_send(fd, "x", 1, 0), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(got_sig, 1);
	signal(SIGPIPE, SIG_DFL);
	ax_close(fd);
}


TEST(closing_a_socket_wakes_its_blocked_readers_with_ebadf)
{
	uint32_t id;
	int fd = tcp_pair(&id), off = 0;
	struct thr t[2] = { { .fd = fd }, { .fd = fd } };
	pthread_t th[2];

	struct timeval tv = { 3, 0 }; /* bounded, should the close not wake them */

	REQUIRE(fd >= 0);
	ax_ioctl(fd, FIONBIO, &off);
	ax_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* One polls the eventfd, the other sleeps on the generation. */
	pthread_create(&th[0], NULL, recv_thread, &t[0]);
	pthread_create(&th[1], NULL, recv_thread, &t[1]);
	usleep(100 * 1000);
	CHECK_EQ(ax_close(fd), 0);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(t[i].r, -1);
		CHECK_EQ(t[i].err, EBADF);
		CHECK(t[i].ms < 2000);
	}
}


TEST(epoll_wait_sleeps_its_timeout_when_a_level_item_is_no_longer_ready)
{
	uint32_t id;
	int fd = tcp_pair(&id), ep = ax_epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 }, out[2];
	struct pollfd p = { .fd = ep, .events = POLLIN };
	char b[8];
	uint64_t t0;

	REQUIRE(fd >= 0 && ep >= 0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	CHECK_EQ(poll(&p, 1, 0), 0); /* the set's own fd: nothing ready */
	deliver(id, "ab", 2, 1);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(ax_epoll_wait(ep, out, 2, 1000), 1);
	/* Still ready (level): the set's fd stays readable, as Linux's. */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(ax_recv(fd, b, sizeof(b), 0), 2);
	/* Not ready any more: a wait sleeps its whole timeout, never 0 at once. */
	t0 = now_ms();
	CHECK_EQ(ax_epoll_wait(ep, out, 2, 200), 0);
	CHECK(now_ms() - t0 >= 190);
	CHECK_EQ(poll(&p, 1, 0), 0);
	ax_close(ep);
	ax_close(fd);
}



static void *deliver_later(void *arg)
{
	uint32_t id = *(uint32_t *)arg;

	usleep(50 * 1000);
	deliver(id, "world", 5, 1);
	return NULL;
}

TEST(waitall_readv_writev_and_tcp_trunc)
{
	uint32_t id;
	int fd = tcp_pair(&id), off = 0;
	char a[3], b[4], got[16];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct axipc_slot *sl;
	pthread_t th;

	REQUIRE(fd >= 0);
	sl = &F.slots[id];
	/* writev: both buffers, in order, into the tx ring. */
	memcpy(a, "abc", 3);
	memcpy(b, "defg", 4);
	CHECK_EQ(ax_writev(fd, iov, 2), 7);
	CHECK_MEM(F.seg + sl->tx.off + (START_IDX & (RING_SIZE - 1)), "abcdefg", 7);
	/* readv: split over both. */
	deliver(id, "1234567", 7, 1);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ(ax_readv(fd, iov, 2), 7);
	CHECK_MEM(a, "123", 3);
	CHECK_MEM(b, "4567", 4);
	/* MSG_TRUNC on TCP: discarded, counted. */
	deliver(id, "xyz", 3, 1);
	CHECK_EQ(ax_recv(fd, NULL, 2, MSG_TRUNC), 2);
	CHECK_EQ(ax_recv(fd, got, sizeof(got), 0), 1);
	CHECK_EQ(got[0], 'z');
	/* MSG_WAITALL: blocks for all 10 across two arrivals. */
	ax_ioctl(fd, FIONBIO, &off);
	deliver(id, "hello", 5, 1);
	pthread_create(&th, NULL, deliver_later, &id);
	CHECK_EQ(ax_recv(fd, got, 10, MSG_WAITALL), 10);
	CHECK_MEM(got, "helloworld", 10);
	pthread_join(th, NULL);
	ax_close(fd);
}

/* The daemon answers ECONNRESET for a socket it reset (a RST, a bad ring
 * index): that is the socket's error, not the session's. The process's
 * other sockets and its next socket() go on working. */
TEST(a_sockets_own_econnreset_leaves_the_session_and_other_sockets_alone)
{
	uint32_t a, b;
	int fa = tcp_pair(&a), fb = tcp_pair(&b), one = 1, fc;
	struct pollfd p;

	REQUIRE(fa >= 0 && fb >= 0);
	pthread_mutex_lock(&F.mu);
	F.reset_id = (int)b;
	F.reset_ret = -ECONNRESET;
	pthread_mutex_unlock(&F.mu);
	CHECK_EQ(ax_setsockopt(fb, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), -1);
	CHECK_EQ(errno, ECONNRESET);
	CHECK_EQ(ax_shutdown(fb, SHUT_WR), -1);
	CHECK_EQ(errno, ECONNRESET);
	pthread_mutex_lock(&F.mu);
	F.reset_ret = 0;
	pthread_mutex_unlock(&F.mu);
	/* The session lives: a new socket, the other socket's calls and data. */
	fc = ax_socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fc >= 0);
	CHECK_EQ(ax_setsockopt(fa, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	CHECK_EQ(ax_send(fa, "x", 1, MSG_NOSIGNAL), 1);
	p = (struct pollfd){ .fd = fa, .events = POLLIN | POLLOUT };
	CHECK_EQ(ax_poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	if (fc >= 0)
		ax_close(fc);
	ax_close(fa);
	ax_close(fb);
}

/* Last: it ends the session. */
TEST(the_instance_going_away_resets_every_socket_and_wakes_its_waiters)
{
	uint32_t a, b, c;
	int fa = tcp_pair(&a), fb = tcp_pair(&b), fc = tcp_pair(&c), off = 0, ep;
	struct thr t = { .fd = fa };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 3 }, out[2] = { { 0 } };
	struct pollfd p;
	pthread_t th;

	REQUIRE(fa >= 0 && fb >= 0 && fc >= 0);
	ep = ax_epoll_create1(0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fc, &ev), 0);
	ax_ioctl(fa, FIONBIO, &off);
	{
		struct timeval tv = { 3, 0 }; /* bounded, should nothing wake it */
		ax_setsockopt(fa, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(100 * 1000);
	F.hangup = 1; /* the daemon's end of the session closes */
	pthread_join(th, NULL);
	CHECK_EQ(t.r, -1);
	CHECK_EQ(t.err, ECONNRESET);
	CHECK(t.ms < 2000);
	p = (struct pollfd){ .fd = fb, .events = POLLIN };
	CHECK_EQ(ax_poll(&p, 1, 1000), 1);
	CHECK_EQ(p.revents, POLLIN | POLLERR | POLLHUP);
	CHECK_EQ(ax_epoll_wait(ep, out, 2, 1000), 1);
	CHECK_EQ(out[0].data.u32, 3);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLERR | EPOLLHUP);
	CHECK_EQ(ax_send(fb, "x", 1, MSG_NOSIGNAL), -1);
	CHECK_EQ(errno, ECONNRESET);
	CHECK_EQ(ax_socket(AF_INET, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, ECONNRESET);
	ax_close(ep);
	ax_close(fa);
	ax_close(fb);
	ax_close(fc);
}

static void *send_thread(void *arg)
{
	struct thr *t = arg;

	t->r = ax_send(t->fd, "y", 1, MSG_NOSIGNAL);
	t->err = errno;
	return NULL;
}

static void child_hang(int sig)
{
	(void)sig;
	_exit(3);
}

/* After fork the parent and the child poll the same eventfd: a reader in
 * the child, a writer (its send ring full) in the parent. The event for
 * one must not be swallowed by the other draining the eventfd while the
 * first re-checks (or has checked and not yet slept): each round both
 * calls return, within a bounded time (a lost wake-up leaves one asleep
 * for good). Rounds in both orders, with and without a gap. */
TEST(a_reader_and_a_writer_in_two_processes_both_wake_on_one_socket)
{
	uint32_t id;
	int fd = tcp_pair(&id), off = 0, hung = 0;
	struct axipc_slot *sl;

	REQUIRE(fd >= 0);
	sl = &F.slots[id];
	ax_ioctl(fd, FIONBIO, &off);
	for (int i = 0; i < 300 && !hung; i++) {
		struct thr t = { .fd = fd, .r = -2 };
		struct timespec until;
		pthread_t th;
		pid_t pid;
		int st = -1;

		/* The send ring full: the writer has to wait for space. */
		__atomic_store_n(&sl->tx_ring.prod, sl->tx_ring.cons + RING_SIZE,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&sl->ready, EPOLLOUT | EPOLLWRNORM, __ATOMIC_RELEASE);
		pid = fork();
		if (pid == 0) {
			char b[4];
			ssize_t r;

			signal(SIGALRM, child_hang);
			alarm(3);
			r = ax_recv(fd, b, sizeof(b), 0);
			_exit(r == 1 && b[0] == 'x' ? 0 : 1);
		}
		REQUIRE(pid > 0);
		pthread_create(&th, NULL, send_thread, &t);
		/* Both asked to be woken (their last checks come after). */
		for (int k = 0; k < 2000 && (__atomic_load_n(&sl->want, __ATOMIC_ACQUIRE) &
					     (EPOLLIN | EPOLLOUT)) != (EPOLLIN | EPOLLOUT); k++)
			usleep(500);
		usleep((useconds_t)(i % 5) * 50);
		if (i & 1) {
			__atomic_fetch_add(&sl->tx_ring.cons, 1, __ATOMIC_RELEASE);
			publish(id, EPOLLOUT | EPOLLWRNORM, 1);
			deliver(id, "x", 1, 1);
		} else {
			deliver(id, "x", 1, 1);
			__atomic_fetch_add(&sl->tx_ring.cons, 1, __ATOMIC_RELEASE);
			publish(id, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM, 1);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 2;
		if (pthread_timedjoin_np(th, NULL, &until) != 0) {
			printf("  round %d: the parent's send slept through its wake-up\n", i);
			hung = 1;
			ax_close(fd); /* wakes it (EBADF) */
			fd = -1;
			pthread_join(th, NULL);
		} else {
			CHECK_EQ(t.r, 1);
		}
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("  round %d: the child's recv %s\n", i,
			       WIFEXITED(st) && WEXITSTATUS(st) == 3 ? "slept through its wake-up"
								     : "failed");
			hung = 1;
		}
	}
	CHECK_EQ(hung, 0);
	if (fd >= 0)
		ax_close(fd);
}

/* After fork one thread of the family polls a socket's eventfd, the
 * others sleep until it wakes. Killed in its poll (and not yet reaped: a
 * zombie), it must not leave them asleep: within the second a sleep is
 * bounded by, the parent's reader sees it dead and polls in its place. */
TEST(a_child_killed_while_it_polls_leaves_the_parents_recv_to_wake)
{
	uint32_t id;
	int fd = tcp_pair(&id), off = 0, st;
	struct thr t = { .fd = fd, .r = -2 };
	struct timespec until;
	pthread_t th;
	uint64_t t0;
	pid_t pid;

	REQUIRE(fd >= 0);
	ax_ioctl(fd, FIONBIO, &off);
	pid = fork();
	if (pid == 0) {
		char b[4];

		alarm(5);
		(void)ax_recv(fd, b, sizeof(b), 0);
		_exit(1); /* not reached: killed */
	}
	REQUIRE(pid > 0);
	/* The child polls first; then the parent's reader sleeps. */
	for (int k = 0; k < 2000 && !(__atomic_load_n(&F.slots[id].want, __ATOMIC_ACQUIRE) &
				      EPOLLIN); k++)
		usleep(500);
	usleep(50 * 1000);
	pthread_create(&th, NULL, recv_thread, &t);
	usleep(50 * 1000);
	kill(pid, SIGKILL);
	/* Past the sleep's bound: the reader has found its poller dead and
	 * polls itself by now, so the data wakes it at once. */
	usleep(1300 * 1000);
	t0 = now_ms();
	deliver(id, "hello", 5, 1);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	if (pthread_timedjoin_np(th, NULL, &until) != 0) {
		CHECK(!"the parent's recv slept on after its poller died");
		ax_close(fd);
		fd = -1;
		pthread_join(th, NULL);
	} else {
		CHECK_EQ(t.r, 5);
		CHECK_MEM(t.buf, "hello", 5);
		CHECK(now_ms() - t0 < 400);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	if (fd >= 0)
		ax_close(fd);
}

#endif /* TEST_LIBAXNET_FAKE_ONLY */

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	fake_start();
}

#ifndef TEST_LIBAXNET_FAKE_ONLY
/* Descriptors open in this process. */
static int nfds_open(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

struct pure_waiter {
	int ep, n;
	struct epoll_event out[4];
};

static void *pure_wait_thread(void *arg)
{
	struct pure_waiter *w = arg;

	w->n = ax_epoll_wait(w->ep, w->out, 4, 5000);
	return NULL;
}

TEST(an_epoll_set_of_kernel_fds_is_the_kernels_until_its_first_axnet_socket)
{
	struct epoll_event ev, out[8];
	struct pure_waiter w = { 0 };
	pthread_t th;
	int p1[2], p2[2], p3[2], ep, fa, before, seen = 0;
	uint32_t a;
	char c;

	REQUIRE(pipe(p1) == 0 && pipe(p2) == 0 && pipe(p3) == 0);
	fa = tcp_pair(&a);
	REQUIRE(fa >= 0);
	before = nfds_open();
	ep = ax_epoll_create1(0);
	REQUIRE(ep >= 0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0xF1F1F1F1F1F1F1F1ull };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, p1[0], &ev), 0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = 0x2222 };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, p2[0], &ev), 0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 0x3333 };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, p3[0], &ev), 0);
	/* Pure: the epoll fd alone (no helper eventfd), and the kernel's own
	 * epoll_wait gives the program's data. */
	CHECK_EQ(nfds_open(), before + 1);
	CHECK_EQ(write(p1[1], "a", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 8, 1000), 1);
	CHECK_EQ(out[0].data.u64, 0xF1F1F1F1F1F1F1F1ull);
	CHECK_EQ(ax_epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].data.u64, 0xF1F1F1F1F1F1F1F1ull);
	CHECK_EQ(read(p1[0], &c, 1), 1);

	/* A wait asleep in the kernel while the set turns mixed still gets
	 * the program's data. */
	w.ep = ep;
	REQUIRE(pthread_create(&th, NULL, pure_wait_thread, &w) == 0);
	usleep(100 * 1000);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0xAAAA };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev), 0);
	CHECK_EQ(nfds_open(), before + 2); /* + the set's eventfd */
	CHECK_EQ(write(p1[1], "b", 1), 1);
	pthread_join(th, NULL);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(w.out[0].data.u64, 0xF1F1F1F1F1F1F1F1ull);
	CHECK_EQ(read(p1[0], &c, 1), 1);

	/* Mixed: every kernel fd (the EPOLLEXCLUSIVE one too) and the socket
	 * report with the program's data; the kernel's own call sees tags. */
	CHECK_EQ(write(p2[1], "c", 1), 1);
	CHECK_EQ(write(p3[1], "d", 1), 1);
	deliver(a, "x", 1, 1);
	{
		int n = ax_epoll_wait(ep, out, 8, 1000);

		CHECK_EQ(n, 3);
		for (int i = 0; i < n; i++) {
			if (out[i].data.u64 == 0x2222)
				seen |= 1;
			else if (out[i].data.u64 == 0x3333)
				seen |= 2;
			else if (out[i].data.u64 == 0xAAAA)
				seen |= 4;
		}
		CHECK_EQ(seen, 7);
	}
	CHECK_EQ(epoll_wait(ep, out, 8, 0) >= 1, 1);
	CHECK(out[0].data.u64 != 0x2222 && out[0].data.u64 != 0xAAAA);
	ax_close(fa);
	before = nfds_open();
	ax_close(ep);
	CHECK_EQ(nfds_open(), before - 2); /* the set and its eventfd */
	for (int i = 0; i < 2; i++) {
		close(p1[i]);
		close(p2[i]);
		close(p3[i]);
	}
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

TEST(ppoll_pselect_and_epoll_pwait_sleep_under_the_callers_mask)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec ts = { 2, 0 };
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	sigset_t block, open_mask, now;
	uint32_t a;
	int fa = tcp_pair(&a), ep = ax_epoll_create1(0);
	fd_set rd;

	REQUIRE(fa >= 0 && ep >= 0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev), 0);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &open_mask);
	sigdelset(&open_mask, SIGUSR1);
	for (int call = 0; call < 4; call++) {
		struct pollfd p = { .fd = fa, .events = POLLIN };
		int r = 0;

		got_usr1 = 0;
		raise(SIGUSR1); /* pending: blocked */
		CHECK_EQ(got_usr1, 0);
		FD_ZERO(&rd);
		FD_SET(fa, &rd);
		switch (call) {
		case 0:
			r = ax_ppoll(&p, 1, &ts, &open_mask);
			break;
		case 1:
			r = ax_pselect(fa + 1, &rd, NULL, NULL, &ts, &open_mask);
			break;
		case 2:
			r = ax_epoll_pwait(ep, out, 2, 2000, &open_mask);
			break;
		default:
			r = ax_epoll_pwait2(ep, out, 2, &ts, &open_mask);
			break;
		}
		/* The mask let the signal in while asleep: EINTR at once. */
		CHECK_EQ(r, -1);
		CHECK_EQ(errno, EINTR);
		CHECK_EQ(got_usr1, 1);
		/* And the caller's mask is back. */
		pthread_sigmask(SIG_BLOCK, NULL, &now);
		CHECK(sigismember(&now, SIGUSR1));
	}
	CHECK_EQ(ts.tv_sec, 2); /* pselect leaves it */
	/* A ready socket: no sleep, whatever the timeout. */
	deliver(a, "r", 1, 1);
	{
		struct pollfd p = { .fd = fa, .events = POLLIN };
		CHECK_EQ(ax_epoll_pwait2(ep, out, 2, NULL, NULL), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(ax_ppoll(&p, 1, NULL, NULL), 1);
		CHECK_EQ(p.revents, POLLIN);
	}
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGUSR1, SIG_DFL);
	ax_close(fa);
	ax_close(ep);
}


TEST(a_forked_child_closing_its_copies_leaves_the_parents_epoll_set_whole)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xB0B }, out[4];
	uint32_t a;
	int fa = tcp_pair(&a), ep = ax_epoll_create1(0), st;
	pid_t pid;

	REQUIRE(fa >= 0 && ep >= 0);
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev), 0);
	pid = fork();
	if (pid == 0) {
		/* As redis' BGSAVE child: closes the listeners, the set too. */
		_exit(ax_close(fa) == 0 && ax_close(ep) == 0 ? 0 : 1);
	}
	REQUIRE(pid > 0);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The kernel's set is the family's: the parent's registration stays. */
	deliver(a, "z", 1, 1);
	CHECK_EQ(ax_epoll_wait(ep, out, 4, 1000), 1);
	CHECK_EQ(out[0].data.u64, 0xB0B);
	ax_close(fa);
	ax_close(ep);
}

TEST(a_closed_kernel_fds_number_reused_by_the_sets_own_eventfd_is_not_reported)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xDEAD }, out[4];
	uint32_t a;
	int fa = tcp_pair(&a), ep = ax_epoll_create1(0), p[2];

	REQUIRE(fa >= 0 && ep >= 0 && pipe(p) == 0);
	/* nginx's EPOLLRDHUP probe: a kernel fd in the set, then closed. */
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	close(p[1]);
	close(p[0]);
	/* The set turns mixed; its eventfd takes the lowest free number. */
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0xF00D };
	CHECK_EQ(ax_epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev), 0);
	CHECK_EQ(fcntl(p[0], F_GETFD) >= 0, 1); /* the number is taken again */
	deliver(a, "q", 1, 1);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(ax_epoll_wait(ep, out, 4, 1000), 1);
		CHECK_EQ(out[0].data.u64, 0xF00D);
	}
	ax_close(fa);
	ax_close(ep);
}

TEST_MAIN(T(socket_is_an_eventfd_descriptor_and_close_tells_the_daemon),
	  T(recv_takes_data_across_the_index_wrap_and_kicks),
	  T(blocking_recv_sleeps_with_want_set_and_wakes_on_data),
	  T(rcvtimeo_bounds_a_blocking_recv_with_eagain),
	  T(a_signal_interrupts_a_blocking_recv_with_eintr),
	  T(data_then_eof_then_error_in_linux_order),
	  T(send_fills_the_ring_then_eagain_and_epipe_raises_sigpipe),
	  T(blocking_connect_waits_for_completion_or_its_error),
	  T(poll_and_select_mix_sockets_and_kernel_fds),
	  T(epoll_level_edge_and_oneshot),
	  T(epoll_with_10000_idle_sockets_costs_what_one_does),
	  T(udp_records_out_and_in_with_addresses_and_trunc),
	  T(udp6_records_carry_ipv6_and_show_ipv4_peers_mapped),
	  T(accept_hands_out_the_new_socket_and_its_peer),
	  T(fork_attaches_the_child_before_the_parent_goes_on),
	  T(a_child_dying_inside_recv_leaves_the_socket_to_the_parent),
	  T(a_reader_and_a_writer_in_two_processes_both_wake_on_one_socket),
	  T(a_child_killed_while_it_polls_leaves_the_parents_recv_to_wake),
	  T(at_the_programs_descriptor_limit_socket_and_accept_are_emfile_and_the_session_lives),
	  T(kernel_fds_pass_through),
	  T(recv_on_a_never_connected_socket_is_enotconn_whatever_its_mask),
	  T(connect_again_after_completion_reports_0_then_eisconn),
	  T(our_shut_wr_and_the_peers_fin_make_pollhup),
	  T(recv_after_a_reset_in_close_wait_says_eof_and_leaves_epipe),
	  T(a_pending_epipe_raises_sigpipe_as_linux),
	  T(closing_a_socket_wakes_its_blocked_readers_with_ebadf),
	  T(epoll_wait_sleeps_its_timeout_when_a_level_item_is_no_longer_ready),
	  T(waitall_readv_writev_and_tcp_trunc),
	  T(a_sockets_own_econnreset_leaves_the_session_and_other_sockets_alone),
	  T(an_epoll_set_of_kernel_fds_is_the_kernels_until_its_first_axnet_socket),
	  T(ppoll_pselect_and_epoll_pwait_sleep_under_the_callers_mask),
	  T(a_closed_kernel_fds_number_reused_by_the_sets_own_eventfd_is_not_reported),
	  T(a_forked_child_closing_its_copies_leaves_the_parents_epoll_set_whole),
	  T(the_instance_going_away_resets_every_socket_and_wakes_its_waiters))
#endif
