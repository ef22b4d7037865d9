/*
 * test_sockserv.c - the daemon's server for programs (daemon/sockserv.h)
 * over the engine on the fake device, with a program played by this test
 * speaking include/axnet/ipc.h on a real api.sock: registration (memfd
 * sealed, doorbell), sockets with their eventfds, a connection's data
 * through the shared rings both ways, wake-ups only when asked, bad ring
 * indices aborting only that connection, malformed requests ending only
 * that session, sessions ending as a process exit does (unread data: RST;
 * else FIN), and ATTACH after fork keeping sockets open until the last
 * session goes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "axnet/ipc.h"
#include "daemon/sockserv.h"
#include "fake_netif.h"
#include "net/opt.h"
#include "net/udp.h"
#include "sock/sock.h"
#include "testlib.h"
#include "tmpdir.h"
#include "udp_helper.h"

#define LPORT 80
#define PPORT 40000

static struct fake_host H;
static struct fake_tcp_peer P;
static struct sock_layer *SL;
static struct sockserv *SS;
static char *DIR_;
static char PATH_[100];
static struct sockserv_config LIMITS; /* the next setup's limits (0: opt.h's) */

struct stats {
	uint64_t sessions, sockets, bad_msg, bad_index, wakeups, kicks, segments, creds;
};

static void stat_cb(void *arg, const char *name, uint64_t v)
{
	static const struct {
		const char *name;
		size_t off;
	} field[] = {
#define F(x) { "sockserv." #x, offsetof(struct stats, x) }
		F(sessions), F(sockets), F(bad_msg), F(bad_index),
		F(wakeups), F(kicks), F(segments), F(creds),
#undef F
	};

	for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++)
		if (!strcmp(name, field[i].name)) {
			*(uint64_t *)((char *)arg + field[i].off) = v;
			return;
		}
}

static struct stats stats(void)
{
	struct stats st = { 0 };

	sockserv_stats(SS, stat_cb, &st);
	return st;
}

/* One round of the daemon's loop, as far as the server is concerned. */
static void pump(void)
{
	int i;

	for (i = 0; i < 3; i++) {
		sockserv_io(SS, POLLIN);
		sockserv_flush(SS);
	}
}

static int setup(void)
{
	struct sock_config sc = { .stack = &H.s, .port_lo = 32768, .port_hi = 60999 };
	struct sockserv_config cc = { 0 };

	if (fake_host_reset(&H, FAKE_PEER_IP, FAKE_PEER_MAC))
		return -1;
	DIR_ = tmpdir_make("test_sockserv");
	if (!DIR_)
		return -1;
	if (strlen(DIR_) + sizeof("/api.sock") > sizeof(PATH_))
		return -1;
	memcpy(PATH_, DIR_, strlen(DIR_));
	memcpy(PATH_ + strlen(DIR_), "/api.sock", sizeof("/api.sock"));
	if (sock_layer_open(&SL, &sc))
		return -1;
	cc.path = PATH_;
	cc.socks = SL;
	cc.seg_size = 256ull << 20; /* smaller than the default: ASan's shadow */
	cc.max_uid_sessions = LIMITS.max_uid_sessions;
	cc.max_uid_sockets = LIMITS.max_uid_sockets;
	cc.fd_reserve = LIMITS.fd_reserve;
	if (sockserv_open(&SS, &cc))
		return -1;
	fake_mark(&H);
	return 0;
}

static void teardown(void)
{
	sockserv_close(SS);
	SS = NULL;
	sock_layer_close(SL);
	SL = NULL;
	stack_fini(&H.s);
	tmpdir_remove(DIR_);

	DIR_ = NULL;
}

/* ---- the program's side ---- */

struct prog {
	int fd;      /* api.sock */
	int memfd, bell;
	uint8_t *seg;
	uint64_t size;
	struct axipc_seg_hdr *hdr;
	struct axipc_slot *slots;
	uint32_t id;
};

static int prog_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, PATH_, sizeof(PATH_));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Send a request, run the daemon, take the reply: its err (or -1000 when
 * none came), body into rb, descriptors into fds (up to 2, -1 if none). */
static int request(struct prog *p, uint16_t type, uint32_t sock, const void *body, size_t blen,
		   void *rb, size_t rblen, int *fds)
{
	uint8_t out[AXIPC_MSG_MAX], in[AXIPC_MSG_MAX];
	struct axipc_hdr h = { .type = type, .len = (uint32_t)(sizeof(h) + blen), .id = ++p->id,
			       .sock = sock };
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = in, .iov_len = sizeof(in) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct axipc_rep r;
	struct cmsghdr *c;
	ssize_t n;

	memcpy(out, &h, sizeof(h));
	if (blen)
		memcpy(out + sizeof(h), body, blen);
	if (send(p->fd, out, sizeof(h) + blen, 0) != (ssize_t)(sizeof(h) + blen))
		return -1001;
	/* Only the round's io: what the request changed must be in the slot
	 * when its reply comes, not at the end of the round (a program reads
	 * the slot as soon as it has the reply). */
	for (n = 0; n < 3; n++) {
		/* A new session's first request is seen one round later. */
		sockserv_io(SS, POLLIN);
		if (recv(p->fd, in, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			break;
	}
	n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < (ssize_t)sizeof(r))
		return -1000;
	memcpy(&r, in, sizeof(r));
	if (r.h.id != h.id || r.h.type != type || r.h.len != (uint32_t)n)
		return -1002;
	if (rb && (size_t)n > sizeof(r))
		memcpy(rb, in + sizeof(r), (size_t)n - sizeof(r) < rblen ? (size_t)n - sizeof(r)
									 : rblen);
	if (fds) {
		fds[0] = fds[1] = -1;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_type == SCM_RIGHTS)
				memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
	}
	return r.err;
}

static int prog_hello(struct prog *p)
{
	struct axipc_hello hb = { .version = AXIPC_VERSION };
	struct axipc_hello_rep rep;
	int fds[2], err;

	memset(p, 0, sizeof(*p));
	p->fd = prog_connect();
	if (p->fd < 0)
		return -1;
	err = request(p, AXIPC_HELLO, 0, &hb, sizeof(hb), &rep, sizeof(rep), fds);
	if (err || fds[0] < 0 || fds[1] < 0)
		return -1;
	p->memfd = fds[0];
	p->bell = fds[1];
	p->size = rep.seg_size;
	p->seg = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, p->memfd, 0);
	if (p->seg == MAP_FAILED)
		return -1;
	p->hdr = (struct axipc_seg_hdr *)p->seg;
	p->slots = (struct axipc_slot *)(p->seg + p->hdr->slot_off);
	return 0;
}

static void prog_end(struct prog *p)
{
	if (p->seg && p->seg != MAP_FAILED)
		munmap(p->seg, p->size);
	if (p->memfd > 0)
		close(p->memfd);
	if (p->bell > 0)
		close(p->bell);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->seg = NULL;
}

/* A socket: its id, its eventfd in *efd. */
static int prog_socket(struct prog *p, int type, int *efd)
{
	struct axipc_socket b = { .domain = AF_INET, .type = type };
	struct axipc_sock_rep rep;
	int fds[2], err = request(p, AXIPC_SOCKET, 0, &b, sizeof(b), &rep, sizeof(rep), fds);

	if (err)
		return err;
	*efd = fds[0];
	return (int)rep.sock;
}

static int prog_int(struct prog *p, uint16_t type, uint32_t sock, int v)
{
	struct axipc_int b = { .val = v };

	return request(p, type, sock, &b, sizeof(b), NULL, 0, NULL);
}

static int prog_bind(struct prog *p, uint32_t sock, uint16_t port)
{
	struct axipc_addr a = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	memcpy(a.addr, &sin, sizeof(sin));
	return request(p, AXIPC_BIND, sock, &a, sizeof(a), NULL, 0, NULL);
}

static void kick(struct prog *p, uint32_t id)
{
	__atomic_fetch_or(&p->hdr->kick_bits[id / 64], 1ull << (id % 64), __ATOMIC_RELEASE);
	__atomic_fetch_or(&p->hdr->kick_sum[id / 4096], 1ull << ((id / 64) % 64),
			  __ATOMIC_SEQ_CST);
}

/* A connection from the peer's port pport to the listener lid, accepted
 * through the API: the accepted socket's id (its eventfd in *efd). */
static int accept_from(struct prog *p, int lid, uint16_t pport, int *efd)
{
	struct axipc_sock_rep rep;
	struct fake_tcp_view v;
	int fds[2], err;

	fake_tcp_peer_init(&P, &H, pport, LPORT, 0x1000);
	fake_mark(&H);
	fake_tcp_rx(&P, P.seq, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &v) || v.flags != (TH_SYN | TH_ACK))
		return -2;
	P.seq++;
	P.ack = v.seq + 1;
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	pump();
	if (!(__atomic_load_n(&p->slots[lid].ready, __ATOMIC_ACQUIRE) & EPOLLIN))
		return -3;
	{
		struct axipc_int b = { 0 };

		err = request(p, AXIPC_ACCEPT, (uint32_t)lid, &b, sizeof(b), &rep, sizeof(rep), fds);
	}
	if (err)
		return err;
	*efd = fds[0];
	fake_mark(&H);
	return (int)rep.sock;
}

/* A listener on LPORT and a first connection to it. */
static int listen_and_accept(struct prog *p, int *lid, int *efd)
{
	int lefd;

	*lid = prog_socket(p, SOCK_STREAM, &lefd);
	if (*lid < 0 || prog_bind(p, (uint32_t)*lid, LPORT) ||
	    prog_int(p, AXIPC_LISTEN, (uint32_t)*lid, 8))
		return -1;
	close(lefd);
	return accept_from(p, *lid, PPORT, efd);
}

static int prog_close(struct prog *p, uint32_t sock)
{
	return request(p, AXIPC_CLOSE, sock, NULL, 0, NULL, 0, NULL);
}

static int efd_count(int efd)
{
	uint64_t v = 0;

	return read(efd, &v, sizeof(v)) == sizeof(v) ? (int)v : 0;
}

/* The last frame we sent, as TCP (flags -1 when none). */
static int last_flags(void)
{
	struct fake_tcp_view v;

	if (!H.nif.n || fake_tcp_sent(&H, H.nif.n - 1, &v))
		return -1;
	return v.flags;
}

/* ---- tests ---- */

TEST(hello_hands_over_a_sealed_segment_and_a_doorbell)
{
	struct prog p;
	int seals;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	CHECK_EQ(p.hdr->magic, AXIPC_MAGIC);
	CHECK_EQ(p.hdr->version, AXIPC_VERSION);
	CHECK_EQ(p.hdr->nslots, AXIPC_SLOTS);
	CHECK_EQ(p.hdr->seg_size, 256ull << 20);
	seals = fcntl(p.memfd, F_GET_SEALS);
	CHECK_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	/* A program cannot make the daemon's mapping fault. */
	CHECK_EQ(ftruncate(p.memfd, 4096), -1);
	CHECK_EQ(errno, EPERM);
	CHECK_EQ(stats().sessions, 1);
	CHECK_EQ(stats().segments, 1);
	/* need_wakeup: set while the loop sleeps, cleared when it wakes. */
	CHECK_EQ(sockserv_before_sleep(SS, 100), 100);
	CHECK_EQ(p.hdr->need_wakeup, 1);
	sockserv_io(SS, 0);
	CHECK_EQ(p.hdr->need_wakeup, 0);
	/* A kick already there: the loop does not sleep. */
	kick(&p, 5);
	CHECK_EQ(sockserv_before_sleep(SS, 100), 0);
	sockserv_io(SS, 0);
	prog_end(&p);
	pump();
	CHECK_EQ(stats().sessions, 0);
	CHECK_EQ(stats().segments, 0);
	teardown();
}

TEST(requests_before_hello_and_malformed_ones_end_only_that_session)
{
	struct prog p, q;
	uint8_t junk[40];
	int efd;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	/* Another program: a request before HELLO. */
	q.fd = prog_connect();
	q.id = 0;
	{
		struct axipc_socket b = { .domain = AF_INET, .type = SOCK_STREAM };

		CHECK_EQ(request(&q, AXIPC_SOCKET, 0, &b, sizeof(b), NULL, 0, NULL), -1000);
	}
	CHECK_EQ(recv(q.fd, junk, sizeof(junk), MSG_DONTWAIT), 0); /* EOF */
	close(q.fd);
	CHECK_EQ(stats().bad_msg, 1);
	/* A third: garbage after its HELLO. */
	REQUIRE(prog_hello(&q) == 0);
	memset(junk, 0x5a, sizeof(junk));
	CHECK_EQ(send(q.fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	pump();
	CHECK_EQ(recv(q.fd, junk, sizeof(junk), MSG_DONTWAIT), 0);
	CHECK_EQ(stats().bad_msg, 2);
	prog_end(&q);
	/* The first is still served. */
	CHECK(prog_socket(&p, SOCK_STREAM, &efd) >= 0);
	close(efd);
	/* A socket it does not hold: EBADF. */
	CHECK_EQ(prog_int(&p, AXIPC_LISTEN, 77, 1), -EBADF);
	CHECK_EQ(prog_int(&p, AXIPC_LISTEN, 1u << 30, 1), -EBADF);
	prog_end(&p);
	pump();
	teardown();
}

TEST(data_moves_through_the_shared_rings_both_ways)
{
	struct prog p;
	struct axipc_slot *sl;
	struct fake_tcp_view v;
	uint8_t data[1000], *rx, *tx;
	uint32_t prod, cons, i;
	int lid, id, efd;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	REQUIRE(sl->rx.size != 0 && sl->tx.size != 0);
	CHECK(sl->ready & EPOLLOUT);
	rx = p.seg + sl->rx.off;
	tx = p.seg + sl->tx.off;
	/* The peer sends: the bytes are in our rx ring, the producer moved. */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	cons = sl->rx_ring.cons;
	fake_tcp_send(&P, TH_ACK | TH_PSH, data, sizeof(data));
	pump();
	prod = __atomic_load_n(&sl->rx_ring.prod, __ATOMIC_ACQUIRE);
	REQUIRE(prod - cons == sizeof(data));
	for (i = 0; i < sizeof(data); i++)
		if (rx[(cons + i) & (sl->rx.size - 1)] != data[i])
			break;
	CHECK_EQ(i, sizeof(data));
	CHECK(sl->ready & EPOLLIN);
	/* The program consumes and writes 500 bytes; one kick. */
	for (i = 0; i < 500; i++)
		tx[(sl->tx_ring.prod + i) & (sl->tx.size - 1)] = (uint8_t)(i ^ 0x55);
	__atomic_store_n(&sl->rx_ring.cons, prod, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->tx_ring.prod, sl->tx_ring.prod + 500, __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(stats().kicks, 1);
	REQUIRE(H.nif.n >= 1);
	REQUIRE(fake_tcp_sent(&H, 0, &v) == 0);
	CHECK_EQ(v.len, 500);
	CHECK_EQ(v.data[0], 0x55);
	CHECK_EQ(v.data[499], (uint8_t)(499 ^ 0x55));
	/* The peer acknowledges: tx.cons moves up to tx.prod. */
	P.ack += 500;
	fake_tcp_send(&P, TH_ACK, NULL, 0);
	pump();
	CHECK_EQ(sl->tx_ring.cons, sl->tx_ring.prod);
	close(efd);
	prog_end(&p);
	pump();
	teardown();
}

TEST(the_eventfd_is_written_only_for_what_the_program_wants)
{
	struct prog p;
	struct axipc_slot *sl;
	int lid, id, efd;
	uint8_t b[10] = { 0 };

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	while (efd_count(efd))
		;
	/* Not asked: data comes, no write. */
	__atomic_store_n(&sl->want, 0, __ATOMIC_SEQ_CST);
	fake_tcp_send(&P, TH_ACK | TH_PSH, b, sizeof(b));
	pump();
	CHECK_EQ(efd_count(efd), 0);
	/* Asked for EPOLLIN: the next data wakes it. */
	__atomic_store_n(&sl->want, EPOLLIN, __ATOMIC_SEQ_CST);
	fake_tcp_send(&P, TH_ACK | TH_PSH, b, sizeof(b));
	pump();
	CHECK(efd_count(efd) >= 1);
	close(efd);
	prog_end(&p);
	pump();
	teardown();
}

TEST(a_bad_ring_index_aborts_that_connection_only)
{
	struct prog p;
	struct axipc_slot *sl;
	int lid, id, efd, lefd2, other;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	other = prog_socket(&p, SOCK_STREAM, &lefd2);
	REQUIRE(other >= 0);
	sl = &p.slots[id];
	/* tx producer beyond the free space. */
	__atomic_store_n(&sl->tx_ring.prod, sl->tx_ring.cons + sl->tx.size + 1, __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(stats().bad_index, 1);
	CHECK(last_flags() >= 0 && (last_flags() & TH_RST));
	CHECK((sl->ready & (EPOLLERR | EPOLLHUP)) == (EPOLLERR | EPOLLHUP));
	CHECK_EQ(sl->so_error, -ECONNRESET);
	CHECK_EQ(sl->rx.size, 0); /* its rings are gone */
	/* The session and its other sockets go on. */
	CHECK_EQ(prog_bind(&p, (uint32_t)other, 81), 0);
	/* The aborted socket answers as a reset one: its error once, its
	 * name, no peer; never -ECONNRESET for a request (a library reads
	 * that as its session gone). */
	CHECK_EQ(prog_int(&p, AXIPC_LISTEN, (uint32_t)id, 1), -EINVAL);
	CHECK_EQ(prog_int(&p, AXIPC_SHUTDOWN, (uint32_t)id, SHUT_WR), -ENOTCONN);
	{
		struct axipc_getopt g = { .level = SOL_SOCKET, .name = SO_ERROR, .len = 4 };
		struct axipc_getopt_rep r;
		struct axipc_addr a;
		struct sockaddr_in sin;

		CHECK_EQ(request(&p, AXIPC_GETSOCKOPT, (uint32_t)id, &g, sizeof(g), &r, sizeof(r),
				 NULL), 0);
		CHECK_EQ(*(int *)r.val, ECONNRESET);
		CHECK_EQ(request(&p, AXIPC_GETSOCKOPT, (uint32_t)id, &g, sizeof(g), &r, sizeof(r),
				 NULL), 0);
		CHECK_EQ(*(int *)r.val, 0);
		CHECK_EQ(prog_int(&p, AXIPC_GETNAME, (uint32_t)id, 1), -ENOTCONN);
		{
			struct axipc_int b = { .val = 0 };

			CHECK_EQ(request(&p, AXIPC_GETNAME, (uint32_t)id, &b, sizeof(b), &a,
					 sizeof(a), NULL), 0);
		}
		memcpy(&sin, a.addr, sizeof(sin));
		CHECK_EQ(ntohs(sin.sin_port), LPORT);
	}
	CHECK_EQ(prog_close(&p, (uint32_t)id), 0);
	close(efd);
	/* An rx consumer past the producer: the same, for another one. */
	id = accept_from(&p, lid, PPORT + 1, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	__atomic_store_n(&sl->rx_ring.cons, sl->rx_ring.prod + 1, __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(stats().bad_index, 2);
	CHECK(last_flags() >= 0 && (last_flags() & TH_RST));
	close(efd);
	prog_end(&p);
	pump();
	close(lefd2);
	teardown();
}

TEST(a_session_ending_with_unread_data_resets_and_without_finishes)
{
	struct prog p;
	uint8_t b[100] = { 1 };
	int lid, id, efd;

	/* Unread data at exit: RST (as the kernel's close). */
	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	fake_tcp_send(&P, TH_ACK | TH_PSH, b, sizeof(b));
	pump();
	fake_mark(&H);
	close(efd);
	prog_end(&p);
	pump();
	CHECK(last_flags() >= 0 && (last_flags() & TH_RST));
	CHECK_EQ(stats().sockets, 0);
	teardown();

	/* Everything read (the consumer moved, no kick): FIN. */
	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	fake_tcp_send(&P, TH_ACK | TH_PSH, b, sizeof(b));
	pump();
	__atomic_store_n(&p.slots[id].rx_ring.cons, p.slots[id].rx_ring.prod, __ATOMIC_RELEASE);
	fake_mark(&H);
	close(efd);
	prog_end(&p);
	pump();
	CHECK(last_flags() >= 0 && (last_flags() & TH_FIN) && !(last_flags() & TH_RST));
	/* The program is gone, its connection lingers in FIN_WAIT with its
	 * rings: the segment stays mapped until they are freed. */
	CHECK_EQ(stats().sessions, 0);
	CHECK_EQ(stats().segments, 1);
	{
		struct fake_tcp_view v;

		REQUIRE(fake_tcp_sent(&H, H.nif.n - 1, &v) == 0);
		P.ack = v.seq + v.len + 1;
	}
	fake_tcp_send(&P, TH_ACK | TH_FIN, NULL, 0); /* TIME_WAIT: rings go */
	pump();
	fake_advance(&H, 1);
	pump();
	CHECK_EQ(stats().segments, 0);
	teardown();
}

TEST(an_attached_child_keeps_sockets_open_until_the_last_session_goes)
{
	struct prog p, c;
	struct axipc_attach ab = { .version = AXIPC_VERSION };
	struct axipc_hello_rep rep;
	int lid, id, efd;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	/* The "child": its own connection, the token it inherited. */
	memset(&c, 0, sizeof(c));
	c.fd = prog_connect();
	REQUIRE(c.fd >= 0);
	memcpy(ab.token, p.hdr->token, sizeof(ab.token));
	CHECK_EQ(request(&c, AXIPC_ATTACH, 0, &ab, sizeof(ab), &rep, sizeof(rep), NULL), 0);
	CHECK_EQ(rep.seg_size, p.size);
	/* A wrong token ends that session. */
	{
		struct prog w = { .fd = prog_connect() };

		ab.token[0] ^= 1;
		CHECK_EQ(request(&w, AXIPC_ATTACH, 0, &ab, sizeof(ab), &rep, sizeof(rep), NULL),
			 -1000);
		close(w.fd);
	}
	/* The parent exits: nothing is closed. */
	fake_mark(&H);
	prog_end(&p);
	pump();
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(stats().sockets, 2);
	/* The child uses the socket, then closes it: FIN. */
	CHECK_EQ(prog_int(&c, AXIPC_SHUTDOWN, (uint32_t)id, SHUT_WR), 0);
	CHECK(last_flags() >= 0 && (last_flags() & TH_FIN));
	CHECK_EQ(prog_close(&c, (uint32_t)id), 0);
	CHECK_EQ(stats().sockets, 1); /* the listener is left */
	close(efd);
	close(c.fd);
	pump();
	CHECK_EQ(stats().sockets, 0);
	CHECK_EQ(stats().sessions, 0);
	teardown();
}

/* A datagram from the peer's port sport to our dport, UDP checksum 0
 * (none, allowed over IPv4). */
static void peer_datagram(uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	static uint8_t f[ETH_HLEN_AX + 20 + 8 + 2048];

	fake_rx(&H, f, udp_helper_frame(f, sport, dport, data, len));
}

/* Captured frame i as UDP: its destination port and payload. */
static int sent_datagram(unsigned int i, uint16_t *dport, const uint8_t **data, size_t *len)
{
	const struct fake_frame *fr = fake_frame(&H.nif, i);
	const uint8_t *ip, *u;

	if (!fr || fr->len < ETH_HLEN_AX + 28)
		return -1;
	ip = fr->data + ETH_HLEN_AX;
	if (ip[9] != 17)
		return -1;
	u = ip + (ip[0] & 15) * 4;
	*dport = fake_get16(u + 2);
	*len = fake_get16(u + 4) - 8u;
	*data = u + 8;
	return 0;
}

TEST(datagrams_move_through_record_rings_both_ways)
{
	struct prog p;
	struct axipc_slot *sl;
	struct axipc_dgram d;
	uint8_t *rx, *tx;
	const uint8_t *data;
	uint16_t dport;
	size_t len;
	uint32_t cons, prod;
	int id, efd, i;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = prog_socket(&p, SOCK_DGRAM, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	CHECK_EQ(sl->type, SOCK_DGRAM);
	CHECK_EQ(sl->tx.size, 256 * 1024); /* ours, from SOCKET on */
	CHECK_EQ(sl->rx.size, 0);          /* the socket layer's, lazily */
	CHECK_EQ(prog_bind(&p, (uint32_t)id, 5353), 0);
	/* Two datagrams in: two records, boundaries kept. */
	peer_datagram(PPORT, 5353, "hello", 5);
	peer_datagram(PPORT + 1, 5353, "hi", 2);
	pump();
	REQUIRE(sl->rx.size != 0);
	rx = p.seg + sl->rx.off;
	cons = sl->rx_ring.cons;
	prod = __atomic_load_n(&sl->rx_ring.prod, __ATOMIC_ACQUIRE);
	CHECK_EQ(prod - cons, AXIPC_DGRAM_SPACE(5) + AXIPC_DGRAM_SPACE(2));
	memcpy(&d, rx + (cons & (sl->rx.size - 1)), sizeof(d));
	CHECK_EQ(d.len, 5);
	CHECK_EQ(d.family, AF_INET);
	CHECK_EQ(ntohs(d.port), PPORT);
	CHECK_EQ(fake_get_ip(d.addr), FAKE_PEER_IP);
	CHECK_MEM(rx + (cons & (sl->rx.size - 1)) + sizeof(d), "hello", 5);
	memcpy(&d, rx + ((cons + AXIPC_DGRAM_SPACE(5)) & (sl->rx.size - 1)), sizeof(d));
	CHECK_EQ(d.len, 2);
	CHECK_EQ(ntohs(d.port), PPORT + 1);
	/* The program takes both and sends one to port 7000. */
	__atomic_store_n(&sl->rx_ring.cons, prod, __ATOMIC_RELEASE);
	tx = p.seg + sl->tx.off;
	memset(&d, 0, sizeof(d));
	d.len = 5;
	d.family = AF_INET;
	d.port = htons(7000);
	memcpy(d.addr, &(uint32_t){ FAKE_PEER_IP }, 4);
	memcpy(tx, &d, sizeof(d));
	memcpy(tx + sizeof(d), "world", 5);
	__atomic_store_n(&sl->tx_ring.prod, AXIPC_DGRAM_SPACE(5), __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(sl->tx_ring.cons, AXIPC_DGRAM_SPACE(5));
	REQUIRE(H.nif.n == 1);
	REQUIRE(sent_datagram(0, &dport, &data, &len) == 0);
	CHECK_EQ(dport, 7000);
	CHECK_EQ(len, 5);
	CHECK_MEM(data, "world", 5);
	/* A record of no known family: the socket is aborted, alone. */
	d.family = 7;
	memcpy(tx + AXIPC_DGRAM_SPACE(5), &d, sizeof(d));
	__atomic_store_n(&sl->tx_ring.prod, 2 * AXIPC_DGRAM_SPACE(5), __ATOMIC_RELEASE);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(stats().bad_index, 1);
	CHECK_EQ(sl->so_error, -ECONNRESET);
	CHECK_EQ(sl->tx.size, 0);
	for (i = 0; i < 2; i++)
		CHECK(prog_socket(&p, SOCK_DGRAM, &efd) >= 0); /* still served */
	prog_end(&p);
	pump();
	CHECK_EQ(stats().sockets, 0);
	teardown();
}

TEST(the_slot_shows_a_requests_outcome_when_its_reply_comes)
{
	struct prog p;
	struct axipc_addr a = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5001),
				   .sin_addr.s_addr = FAKE_PEER_IP };
	int id, efd;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = prog_socket(&p, SOCK_STREAM, &efd);
	REQUIRE(id >= 0);
	/* A fresh socket polls as Linux's: EPOLLOUT | EPOLLHUP. */
	CHECK_EQ(p.slots[id].ready & (EPOLLOUT | EPOLLHUP), EPOLLOUT | EPOLLHUP);
	memcpy(a.addr, &sin, sizeof(sin));
	CHECK_EQ(request(&p, AXIPC_CONNECT, (uint32_t)id, &a, sizeof(a), NULL, 0, NULL),
		 -EINPROGRESS);
	/* Connecting: no hang-up, no error, not writable yet (a library
	 * waiting for the connect reads exactly this). */
	CHECK_EQ(p.slots[id].ready & (EPOLLHUP | EPOLLERR | EPOLLOUT), 0);
	close(efd);
	prog_end(&p);
	pump();
	teardown();
}

/* xorshift: a reproducible stream of scribbles. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

TEST(random_scribbles_over_the_segment_never_reach_the_daemon)
{
	struct prog p;
	struct axipc_slot *sl;
	uint8_t b[300];
	int lid, id, efd, uefd, uid, i, ok;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = listen_and_accept(&p, &lid, &efd);
	REQUIRE(id >= 0);
	uid = prog_socket(&p, SOCK_DGRAM, &uefd);
	REQUIRE(uid >= 0);
	REQUIRE(prog_bind(&p, (uint32_t)uid, 5353) == 0);
	sl = &p.slots[id];
	memset(b, 0x42, sizeof(b));
	for (i = 0; i < 3000; i++) {
		uint64_t r = rnd();
		uint32_t v = (uint32_t)(r >> 32);
		uint8_t *where;

		switch (r % 6) {
		case 0: /* the connection's slot, anywhere */
			where = (uint8_t *)sl + (v % sizeof(*sl));
			break;
		case 1: /* the datagram socket's slot */
			where = (uint8_t *)&p.slots[uid] + (v % sizeof(*sl));
			break;
		case 2: /* the segment header and kick set */
			where = p.seg + (v % sizeof(struct axipc_seg_hdr));
			break;
		case 3: /* an index nudged a little (the likelier bug) */
			where = (uint8_t *)(v & 1 ? &sl->tx_ring.prod : &sl->rx_ring.cons);
			v = *(uint32_t *)where + (v % 64) - 16;
			break;
		default: /* a random slot, a kick for it */
			where = (uint8_t *)&p.slots[v % 64];
			kick(&p, v % AXIPC_SLOTS);
			break;
		}
		memcpy(where, &v, (size_t)((uintptr_t)where & 3 ? 1 : 4));
		kick(&p, r & 1 ? (uint32_t)id : (uint32_t)uid);
		if (i % 10 == 0)
			fake_tcp_send(&P, TH_ACK | TH_PSH, b, sizeof(b));
		if (i % 7 == 0)
			peer_datagram(PPORT, 5353, "x", 1);
		pump();
		fake_advance(&H, 1);
		fake_mark(&H);
	}
	/* The daemon is whole: it answers, makes sockets, closes them. */
	ok = prog_socket(&p, SOCK_STREAM, &lid);
	CHECK(ok >= 0);
	CHECK(stats().bad_index >= 1);
	close(lid);
	close(efd);
	close(uefd);
	prog_end(&p);
	pump();
	CHECK_EQ(stats().sockets, 0);
	CHECK_EQ(stats().sessions, 0);
	teardown();
}

/* An admission hook for outbound UDP that says "wait" until told. */
static int udp_live;
static unsigned udp_asked;
static int hold_hook(void *arg, int inbound, const struct ax_cred *owner,
		     const struct ip_addr *raddr, uint16_t rport, const struct ip_addr *laddr,
		     uint16_t lport, const uint8_t *data, size_t len)
{
	(void)arg; (void)owner; (void)raddr; (void)rport; (void)laddr; (void)lport;
	(void)data; (void)len;
	if (inbound)
		return 1;
	udp_asked++;
	return udp_live ? 1 : -EAGAIN;
}

/* A datagram record (header d, n bytes of b) written at *off of the tx
 * ring tx, as the library writes it; *off moves past it. The producer
 * index is the caller's to publish. */
static void put_dgram(uint8_t *tx, uint32_t *off, struct axipc_dgram *d, const void *b, uint16_t n)
{
	d->len = n;
	memcpy(tx + *off, d, sizeof(*d));
	memcpy(tx + *off + sizeof(*d), b, n);
	*off += AXIPC_DGRAM_SPACE(n);
}

TEST(datagrams_held_by_admission_stay_in_the_ring_and_go_in_order)
{
	struct prog p;
	struct axipc_slot *sl;
	struct axipc_dgram d = { .family = AF_INET };
	const uint8_t *data;
	uint16_t dport;
	size_t len;
	uint32_t off = 0;
	uint8_t *tx;
	int id, efd, i;

	REQUIRE(setup() == 0);
	udp_set_admit(&H.s, hold_hook, NULL);
	udp_live = 0;
	udp_asked = 0;
	REQUIRE(prog_hello(&p) == 0);
	id = prog_socket(&p, SOCK_DGRAM, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	tx = p.seg + sl->tx.off;
	d.port = htons(7000);
	memcpy(d.addr, &(uint32_t){ FAKE_PEER_IP }, 4);
	for (i = 0; i < 3; i++) {
		put_dgram(tx, &off, &d, (char[]){ 'a', 'b', (char)('0' + i) }, 3);
	}
	__atomic_store_n(&sl->tx_ring.prod, off, __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	/* Pending: nothing sent, nothing taken, nothing lost. */
	CHECK_EQ(H.nif.n, 0);
	CHECK_EQ(sl->tx_ring.cons, 0);
	CHECK(udp_asked >= 1);
	/* The flow goes live: the next rounds send all three, in order,
	 * with no kick from the program. */
	udp_live = 1;
	pump();
	REQUIRE(H.nif.n == 3);
	for (i = 0; i < 3; i++) {
		REQUIRE(sent_datagram((unsigned)i, &dport, &data, &len) == 0);
		CHECK_EQ(dport, 7000);
		CHECK_EQ(len, 3);
		CHECK_EQ(data[2], '0' + i);
	}
	CHECK_EQ(sl->tx_ring.cons, off);
	close(efd);
	prog_end(&p);
	pump();
	udp_set_admit(&H.s, NULL, NULL);
	teardown();
}

/* Linux sends a UDP datagram within send(): a shutdown(SHUT_WR) after it
 * cannot stop it. Here send() only fills the ring, so datagrams still in
 * it (their flow's authorization committing) must go before the shutdown
 * takes effect, and only the records written after it are refused. */
TEST(a_udp_shutdown_for_writing_lets_the_datagrams_sent_before_it_go)
{
	struct prog p;
	struct axipc_slot *sl;
	struct axipc_dgram d = { .family = AF_UNSPEC };
	struct axipc_addr a = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7000) };
	const uint8_t *data;
	uint16_t dport;
	size_t len;
	uint32_t off = 0;
	uint8_t *tx;
	int id, efd, i;

	REQUIRE(setup() == 0);
	udp_set_admit(&H.s, hold_hook, NULL);
	udp_live = 0;
	REQUIRE(prog_hello(&p) == 0);
	id = prog_socket(&p, SOCK_DGRAM, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	tx = p.seg + sl->tx.off;
	sin.sin_addr.s_addr = FAKE_PEER_IP;
	memcpy(a.addr, &sin, sizeof(sin));
	REQUIRE(request(&p, AXIPC_CONNECT, (uint32_t)id, &a, sizeof(a), NULL, 0, NULL) == 0);
	for (i = 0; i < 3; i++) {
		put_dgram(tx, &off, &d, (char[]){ 'a', 'b', (char)('0' + i) }, 3);
	}
	__atomic_store_n(&sl->tx_ring.prod, off, __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(H.nif.n, 0); /* held */
	/* shutdown(SHUT_WR) says 0 at once (connected), as Linux. */
	CHECK_EQ(prog_int(&p, AXIPC_SHUTDOWN, (uint32_t)id, SHUT_WR), 0);
	udp_live = 1;
	pump();
	REQUIRE(H.nif.n == 3);
	for (i = 0; i < 3; i++) {
		REQUIRE(sent_datagram((unsigned)i, &dport, &data, &len) == 0);
		CHECK_EQ(dport, 7000);
		CHECK_EQ(len, 3);
		CHECK_EQ(data[2], '0' + i);
	}
	CHECK_EQ(sl->tx_ring.cons, off);
	CHECK_EQ(sl->so_error, 0);
	/* A record written after the shutdown does not leave (the library
	 * refuses such a send itself with EPIPE). */
	put_dgram(tx, &off, &d, "zzz", 3);
	__atomic_store_n(&sl->tx_ring.prod, off, __ATOMIC_RELEASE);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(H.nif.n, 3);
	CHECK_EQ(sl->tx_ring.cons, off);
	close(efd);
	prog_end(&p);
	pump();
	udp_set_admit(&H.s, NULL, NULL);
	teardown();
}

/* Linux queues a datagram for a neighbour being resolved (dropping the
 * oldest past unres_qlen_bytes) and send() succeeds; none of it becomes a
 * socket error. The engine holds 8 frames per entry (AX_ARP_QUEUE_PER_ENTRY):
 * what comes after stays in the program's ring, as on a full buffer, and
 * goes once the neighbour answers, in order, with no error for the program. */
TEST(datagrams_to_a_neighbour_being_resolved_wait_and_go_in_order)
{
	struct prog p;
	struct axipc_slot *sl;
	struct axipc_dgram d = { .family = AF_UNSPEC };
	struct axipc_addr a = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7000),
				   .sin_addr = { FAKE_OTHER_IP } };
	uint8_t f[128];
	const uint8_t *data;
	uint16_t dport;
	size_t len;
	uint32_t off = 0;
	uint8_t *tx;
	unsigned int i, udp = 0;
	int id, efd;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = prog_socket(&p, SOCK_DGRAM, &efd);
	REQUIRE(id >= 0);
	sl = &p.slots[id];
	tx = p.seg + sl->tx.off;
	memcpy(a.addr, &sin, sizeof(sin));
	REQUIRE(request(&p, AXIPC_CONNECT, (uint32_t)id, &a, sizeof(a), NULL, 0, NULL) == 0);
	for (i = 0; i < 12; i++) {
		put_dgram(tx, &off, &d, (char[]){ 'a', 'b', (char)('A' + i) }, 3);
	}
	__atomic_store_n(&sl->tx_ring.prod, off, __ATOMIC_RELEASE);
	fake_mark(&H);
	kick(&p, (uint32_t)id);
	pump();
	CHECK_EQ(H.nif.n, 1); /* the ARP request only */
	CHECK_EQ(sl->so_error, 0);
	fake_rx(&H, f, fake_arp(f, FAKE_OUR_MAC, ARP_OP_REPLY, FAKE_OTHER_MAC, FAKE_OTHER_IP,
				FAKE_OUR_MAC, FAKE_OUR_IP));
	pump();
	for (i = 0; i < H.nif.n; i++) {
		if (sent_datagram(i, &dport, &data, &len) < 0)
			continue;
		CHECK_EQ(dport, 7000);
		CHECK_EQ(len, 3);
		CHECK_EQ(data[2], 'A' + udp);
		udp++;
	}
	CHECK_EQ(udp, 12);
	CHECK_EQ(sl->tx_ring.cons, off);
	CHECK_EQ(sl->so_error, 0);
	close(efd);
	prog_end(&p);
	pump();
	teardown();
}

/* A forked child of this process: its own connection, ATTACH with tok,
 * then (mk) one SOCKET; it says "1" on done once through, and exits when
 * quit is closed. Returns its pid. */
static pid_t child_attach(const uint8_t *tok, int mk, int done, int quit)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct axipc_attach ab = { .version = AXIPC_VERSION };
		struct axipc_socket sb = { .domain = AF_INET, .type = SOCK_STREAM };
		uint8_t out[AXIPC_MSG_MAX], in[AXIPC_MSG_MAX];
		struct axipc_hdr h = { .type = AXIPC_ATTACH, .len = sizeof(h) + sizeof(ab), .id = 1 };
		struct prog c;
		char x;
		int fd;

		/* What a child does not inherit in use: the parent's session,
		 * its sibling's pipes (it opens its own connection). */
		for (fd = 3; fd < 1024; fd++)
			if (fd != done && fd != quit)
				close(fd);
		c.fd = prog_connect();
		memcpy(ab.token, tok, sizeof(ab.token));
		memcpy(out, &h, sizeof(h));
		memcpy(out + sizeof(h), &ab, sizeof(ab));
		if (c.fd < 0 || send(c.fd, out, h.len, 0) < 0 || recv(c.fd, in, sizeof(in), 0) <= 0)
			_exit(1);
		if (mk) {
			h.type = AXIPC_SOCKET;
			h.len = sizeof(h) + sizeof(sb);
			h.id = 2;
			memcpy(out, &h, sizeof(h));
			memcpy(out + sizeof(h), &sb, sizeof(sb));
			if (send(c.fd, out, h.len, 0) < 0 || recv(c.fd, in, sizeof(in), 0) <= 0)
				_exit(1);
		}
		if (write(done, "1", 1) != 1)
			_exit(1);
		(void)!read(quit, &x, 1);
		_exit(0);
	}
	return pid;
}

/* Run the daemon until fd is readable (at most ~2 s). */
static int pump_until(int fd)
{
	int i;

	for (i = 0; i < 2000; i++) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		pump();
		if (poll(&pf, 1, 1) == 1) {
			char x;

			return read(fd, &x, 1) == 1 ? 0 : -1;
		}
	}
	return -1;
}

TEST(an_attached_child_holds_what_its_parent_held_not_its_siblings_sockets)
{
	struct prog p;
	int done[2], quit1[2], quit2[2], efd, s1, st;
	pid_t c1, c2;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	s1 = prog_socket(&p, SOCK_STREAM, &efd);
	REQUIRE(s1 >= 0);
	REQUIRE(pipe(done) == 0 && pipe(quit1) == 0 && pipe(quit2) == 0);
	/* The first child attaches (holds s1) and makes a socket of its own. */
	c1 = child_attach(p.hdr->token, 1, done[1], quit1[0]);
	REQUIRE(c1 > 0);
	REQUIRE(pump_until(done[0]) == 0);
	CHECK_EQ(stats().sockets, 2);
	/* The second child of ours attaches: it holds s1, not its sibling's. */
	c2 = child_attach(p.hdr->token, 0, done[1], quit2[0]);
	REQUIRE(c2 > 0);
	REQUIRE(pump_until(done[0]) == 0);
	close(quit1[1]); /* the first child exits: its socket closes */
	waitpid(c1, &st, 0);
	pump();
	pump();
	CHECK_EQ(stats().sockets, 1);
	close(efd);
	prog_end(&p); /* the parent exits: s1 lives on in the second child */
	pump();
	CHECK_EQ(stats().sockets, 1);
	close(quit2[1]);
	waitpid(c2, &st, 0);
	pump();
	pump();
	CHECK_EQ(stats().sockets, 0);
	CHECK_EQ(stats().sessions, 0);
	close(done[0]);
	close(done[1]);
	close(quit1[0]);
	close(quit2[0]);
	teardown();
}

TEST(a_program_that_does_not_read_its_replies_stalls_only_itself)
{
	struct prog p, q;
	struct axipc_hdr h = { .type = AXIPC_CLOSE, .len = sizeof(h), .sock = 999 };
	struct axipc_rep r;
	uint32_t sent = 0, got = 0;
	int i, efd;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	REQUIRE(prog_hello(&q) == 0);
	fcntl(q.fd, F_SETFL, O_NONBLOCK);
	/* q streams requests (each answered -EBADF) and reads nothing: the
	 * daemon stops reading q once a reply does not fit. */
	for (i = 0; i < 20000; i++) {
		h.id = sent;
		if (send(q.fd, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h))
			sent++;
		if (i % 64 == 0)
			pump();
	}
	pump();
	CHECK(sent < 20000); /* q was made to wait */
	CHECK_EQ(stats().sessions, 2);
	/* p is served meanwhile. */
	CHECK(prog_socket(&p, SOCK_STREAM, &efd) >= 0);
	close(efd);
	/* q reads: every reply comes, in order, none lost. */
	for (i = 0; i < 100000 && got < sent; i++) {
		ssize_t n = recv(q.fd, &r, sizeof(r), MSG_DONTWAIT);

		if (n < 0) {
			pump();
			continue;
		}
		if (n != sizeof(r) || r.h.id != got || r.err != -EBADF)
			break;
		got++;
	}
	CHECK_EQ(got, sent);
	CHECK_EQ(stats().bad_msg, 0);
	prog_end(&q);
	prog_end(&p);
	pump();
	teardown();
}

/* Sockets of one uid are capped across its sessions (EMFILE, as a process
 * at RLIMIT_NOFILE), and so are its sessions (HELLO answered EMFILE):
 * one user's programs cannot take what the others need. */
TEST(a_uids_sockets_and_sessions_are_capped_with_emfile)
{
	struct axipc_hello hb = { .version = AXIPC_VERSION };
	struct prog p, q, r;
	int a, b, c, efd, fds[2];

	LIMITS = (struct sockserv_config){ .max_uid_sockets = 3, .max_uid_sessions = 2 };
	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	REQUIRE(prog_hello(&q) == 0);
	a = prog_socket(&p, SOCK_STREAM, &efd);
	CHECK(a >= 0);
	close(efd);
	b = prog_socket(&p, SOCK_DGRAM, &efd);
	CHECK(b >= 0);
	close(efd);
	c = prog_socket(&q, SOCK_STREAM, &efd);
	CHECK(c >= 0);
	close(efd);
	/* The uid's fourth, from either of its sessions. */
	CHECK_EQ(prog_socket(&p, SOCK_STREAM, &efd), -EMFILE);
	CHECK_EQ(prog_socket(&q, SOCK_DGRAM, &efd), -EMFILE);
	CHECK_EQ(stats().sockets, 3);
	/* One closed, one may come (from the other session). */
	CHECK_EQ(prog_close(&p, (uint32_t)a), 0);
	a = prog_socket(&q, SOCK_STREAM, &efd);
	CHECK(a >= 0);
	if (a >= 0)
		close(efd);
	/* A third session of the uid: its HELLO is EMFILE, then it ends. */
	memset(&r, 0, sizeof(r));
	r.fd = prog_connect();
	REQUIRE(r.fd >= 0);
	CHECK_EQ(request(&r, AXIPC_HELLO, 0, &hb, sizeof(hb), NULL, 0, fds), -EMFILE);
	CHECK_EQ(fds[0], -1);
	pump();
	CHECK_EQ(stats().sessions, 2);
	CHECK_EQ(stats().segments, 2);
	close(r.fd);
	/* p gone, its sockets with it: the uid's count follows. */
	prog_end(&p);
	pump();
	CHECK_EQ(stats().sockets, 2);
	b = prog_socket(&q, SOCK_STREAM, &efd);
	CHECK(b >= 0);
	if (b >= 0)
		close(efd);
	prog_end(&q);
	pump();
	CHECK_EQ(stats().sockets, 0);
	teardown();
	LIMITS = (struct sockserv_config){ 0 };
}

/* A server that forks a child per connection: each child ATTACHes, uses
 * its parent's sockets, exits. What the daemon keeps for it goes with it
 * (its cred stays only if it made a socket: a lingering connection of
 * that socket still names it). */
TEST(attached_sessions_that_made_no_socket_leave_nothing_behind)
{
	struct axipc_attach at = { .version = AXIPC_VERSION };
	struct axipc_hello_rep rep;
	struct prog p, c;
	int i, efd, id;

	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	id = prog_socket(&p, SOCK_STREAM, &efd);
	REQUIRE(id >= 0);
	close(efd);
	memcpy(at.token, p.hdr->token, sizeof(at.token));
	CHECK_EQ(stats().creds, 1);
	for (i = 0; i < 300; i++) {
		memset(&c, 0, sizeof(c));
		c.fd = prog_connect();
		REQUIRE(c.fd >= 0);
		CHECK_EQ(request(&c, AXIPC_ATTACH, 0, &at, sizeof(at), &rep, sizeof(rep), NULL), 0);
		close(c.fd);
		pump();
	}
	CHECK_EQ(stats().sessions, 1);
	CHECK_EQ(stats().sockets, 1);
	CHECK_EQ(stats().creds, 1);
	/* One that made a socket of its own: its cred stays with the segment. */
	memset(&c, 0, sizeof(c));
	c.fd = prog_connect();
	REQUIRE(c.fd >= 0);
	CHECK_EQ(request(&c, AXIPC_ATTACH, 0, &at, sizeof(at), &rep, sizeof(rep), NULL), 0);
	CHECK(prog_socket(&c, SOCK_DGRAM, &efd) >= 0);
	close(efd);
	close(c.fd);
	pump();
	CHECK_EQ(stats().creds, 2);
	prog_end(&p);
	pump();
	CHECK_EQ(stats().segments, 0);
	CHECK_EQ(stats().creds, 0);
	teardown();
}

/* One uid's connections, even ones that never send a request, cannot take
 * every session: past its cap (and a few kept to be told EMFILE) they are
 * closed at once, and another user's program still registers. */
TEST(one_uids_silent_connections_leave_sessions_for_other_users)
{
	enum { N = AX_IPC_MAX_SESSIONS_UID + 600 };
	static int fds[N];
	int k, st = -1;
	pid_t pid;

	REQUIRE(setup() == 0);
	for (k = 0; k < N; k++) {
		fds[k] = prog_connect();
		if (k % 50 == 0)
			pump();
	}
	pump();
	CHECK_EQ(stats().sessions, AX_IPC_MAX_SESSIONS_UID + 16);
	if (geteuid() == 0) {
		/* Another user: registers. */
		REQUIRE(chmod(DIR_, 0755) == 0);
		pid = fork();
		if (pid == 0) {
			struct axipc_hello hb = { .version = AXIPC_VERSION };
			struct prog p;
			int fd2[2];

			if (setgid(65534) || setuid(65534))
				_exit(2);
			memset(&p, 0, sizeof(p));
			p.fd = prog_connect();
			if (p.fd < 0)
				_exit(3);
			/* The parent runs the daemon: wait for the reply. */
			{
				struct axipc_hdr h = { .type = AXIPC_HELLO,
						       .len = sizeof(h) + sizeof(hb), .id = 1 };
				uint8_t out[sizeof(h) + sizeof(hb)], in[AXIPC_MSG_MAX];
				struct axipc_rep r;
				struct pollfd pf = { .fd = p.fd, .events = POLLIN };

				memcpy(out, &h, sizeof(h));
				memcpy(out + sizeof(h), &hb, sizeof(hb));
				if (send(p.fd, out, sizeof(out), 0) != (ssize_t)sizeof(out))
					_exit(4);
				if (poll(&pf, 1, 10000) != 1 ||
				    recv(p.fd, in, sizeof(in), 0) < (ssize_t)sizeof(r))
					_exit(5);
				memcpy(&r, in, sizeof(r));
				(void)fd2;
				_exit(r.err == 0 ? 0 : 6);
			}
		}
		REQUIRE(pid > 0);
		for (k = 0; k < 5000; k++) {
			pump();
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			usleep(1000);
		}
		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), 0);
	}
	for (k = 0; k < N; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	for (k = 0; k < 100 && stats().sessions; k++)
		pump();
	CHECK_EQ(stats().sessions, 0);
	teardown();
}

/* A program that makes sockets and drops its copies of their eventfds
 * (each still costs the daemon one) is told ENFILE while the daemon keeps
 * AX_IPC_FD_RESERVE descriptors: another program can still register and
 * make a socket. Runs last: it lowers this process's descriptor limit. */
TEST(sockets_stop_with_enfile_before_the_daemon_runs_out_of_descriptors)
{
	struct rlimit rl, low;
	struct prog p, q;
	int i, efd, err = 0, made = 0;

	REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	/* The default reserve (512) and room for a few hundred sockets
	 * above what is open now. */
	low.rlim_cur = low.rlim_max = 1000;
	REQUIRE(low.rlim_max <= rl.rlim_max);
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	REQUIRE(setup() == 0);
	REQUIRE(prog_hello(&p) == 0);
	for (i = 0; i < 2000; i++) {
		err = prog_socket(&p, SOCK_STREAM, &efd);
		if (err < 0)
			break;
		close(efd);
		made++;
	}
	CHECK_EQ(err, -ENFILE);
	CHECK(made > 100);
	CHECK(made < 1000 - 512);
	CHECK_EQ(stats().sockets, (uint64_t)made);
	/* The daemon still has descriptors of its own: a new session, its
	 * segment and doorbell; a socket once p let a few go. */
	REQUIRE(prog_hello(&q) == 0);
	CHECK_EQ(stats().sessions, 2);
	CHECK_EQ(prog_socket(&q, SOCK_DGRAM, &efd), -ENFILE);
	for (i = 0; i < 8; i++)
		CHECK_EQ(prog_close(&p, (uint32_t)i), 0);
	err = prog_socket(&q, SOCK_DGRAM, &efd);
	CHECK(err >= 0);
	if (err >= 0)
		close(efd);
	prog_end(&q);
	prog_end(&p);
	pump();
	CHECK_EQ(stats().sockets, 0);
	teardown();
}

TEST_MAIN(T(hello_hands_over_a_sealed_segment_and_a_doorbell),
	  T(requests_before_hello_and_malformed_ones_end_only_that_session),
	  T(data_moves_through_the_shared_rings_both_ways),
	  T(the_eventfd_is_written_only_for_what_the_program_wants),
	  T(a_bad_ring_index_aborts_that_connection_only),
	  T(a_session_ending_with_unread_data_resets_and_without_finishes),
	  T(an_attached_child_keeps_sockets_open_until_the_last_session_goes),
	  T(datagrams_move_through_record_rings_both_ways),
	  T(the_slot_shows_a_requests_outcome_when_its_reply_comes),
	  T(random_scribbles_over_the_segment_never_reach_the_daemon),
	  T(datagrams_held_by_admission_stay_in_the_ring_and_go_in_order),
	  T(a_udp_shutdown_for_writing_lets_the_datagrams_sent_before_it_go),
	  T(datagrams_to_a_neighbour_being_resolved_wait_and_go_in_order),
	  T(an_attached_child_holds_what_its_parent_held_not_its_siblings_sockets),
	  T(a_program_that_does_not_read_its_replies_stalls_only_itself),
	  T(a_uids_sockets_and_sessions_are_capped_with_emfile),
	  T(attached_sessions_that_made_no_socket_leave_nothing_behind),
	  T(one_uids_silent_connections_leave_sessions_for_other_users),
	  T(sockets_stop_with_enfile_before_the_daemon_runs_out_of_descriptors))
