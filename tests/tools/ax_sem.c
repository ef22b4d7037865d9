/*
 * ax_sem - blocking calls against signals and pthread_cancel, told
 * by example. Built on libaxnet and, with -DAX_KERNEL, on the kernel's
 * sockets; the kernel build is also a stock program to run under the
 * LD_PRELOAD library. The test compares its outputs line by line (Linux is
 * the reference).
 *
 *   ax_sem matrix LOCAL PEER SILENT
 *   ax_sem cancel LOCAL PEER
 *   ax_sem handlers
 *   ax_sem dup LOCAL PEER
 *
 * PEER: tests/tools/errno_peer.py (TCP 5101 sends "hello" then echoes;
 * TCP 5104 accepts and holds the connection, never reading). SILENT: an
 * address nobody answers (a connect to it stays in progress).
 *
 * matrix: each blocking call (recv, read, send, write, accept, connect,
 * poll, select, epoll_wait; with and without SO_RCVTIMEO/SO_SNDTIMEO) is
 * interrupted by SIGALRM after 100 ms, its handler installed with or
 * without SA_RESTART, then by SIGUSR1 (no SA_RESTART) after 400 ms. A line
 * says what the call returned and how many handlers ran before it did:
 * "handlers=2 EINTR" is a call SIGALRM restarted, "handlers=1 EINTR" one
 * it interrupted. After an interrupted connect, a second connect says what
 * a restart would have found.
 *
 * cancel: a thread blocked in recv (then two on one socket, then one in
 * accept, connect, send, poll, select, epoll_wait) is cancelled and
 * joined (PTHREAD_CANCELED), the sockets are closed; it prints the lines
 * and then "closed" and waits for a line on stdin, so the test can look
 * at `axnet conns` before it exits.
 *
 * handlers: what sigaction, signal, sysv_signal and siginterrupt report
 * and do (old actions, flags, SA_SIGINFO arguments, SA_RESETHAND), so
 * that a library interposing them can be held to libc's answers.
 *
 * dup: dup, dup2, dup3 and F_DUPFD_CLOEXEC of a connected socket: the
 * errors, one socket behind every descriptor (O_NONBLOCK shared, data on
 * any), dup2 onto a pipe's end and a pipe's end onto a socket's
 * descriptor, a reader blocked on one descriptor while another is closed
 * and its number reused, and the socket closed with its last descriptor.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifdef AX_KERNEL
#include "ax_kernel.h"
#else
#include <axnet/socket.h>
#endif

static struct sockaddr_in local, peer, silent;
static pthread_t main_th;
static volatile sig_atomic_t handlers;

#define SA(a) ((struct sockaddr *)&(a)), sizeof(a)

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static struct sockaddr_in at(const struct sockaddr_in *base, int port)
{
	struct sockaddr_in a = *base;

	a.sin_port = htons((uint16_t)port);
	return a;
}

static void on_signal(int sig)
{
	(void)sig;
	handlers++;
}

static void install(int sig, int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0) {
		perror("sigaction");
		exit(2);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGALRM at 100 ms, SIGUSR1 at 400 ms, to the main thread. */
static void *killer(void *arg)
{
	(void)arg;
	sleep_ms(100);
	pthread_kill(main_th, SIGALRM);
	sleep_ms(300);
	pthread_kill(main_th, SIGUSR1);
	return NULL;
}

static void say(const char *what, int restart, long rc, int err, int nh)
{
	char line[128];

	snprintf(line, sizeof(line), "%s %s", what, restart ? "SA_RESTART" : "no-SA_RESTART");
	if (rc < 0)
		printf("%-44s handlers=%d -1 %s\n", line, nh, ename(err));
	else
		printf("%-44s handlers=%d %s\n", line, nh, rc > 0 ? ">0" : "0");
	fflush(stdout);
}

static int connected(int port)
{
	struct sockaddr_in a = at(&peer, port);
	int s = ax_socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || ax_connect(s, SA(a)) < 0) {
		fprintf(stderr, "connect to %d: %s\n", port, strerror(errno));
		exit(2);
	}
	return s;
}

/* A connection whose receive side is idle (the peer's hello read). */
static int idle_conn(void)
{
	char b[5];
	int s = connected(5101);
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = ax_recv(s, b + got, sizeof(b) - got, 0);
		if (n <= 0) {
			fprintf(stderr, "hello: %s\n", n ? strerror(errno) : "EOF");
			exit(2);
		}
		got += (size_t)n;
	}
	return s;
}

/* A connection whose send side is full (the peer never reads). */
static int full_conn(void)
{
	static char junk[65536];
	int s = connected(5104), idle = 0;

	/* Until the buffers are full and stay so for a while. */
	while (idle < 20) {
		if (ax_send(s, junk, sizeof(junk), MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN) {
				fprintf(stderr, "fill: %s\n", strerror(errno));
				exit(2);
			}
			idle++;
			sleep_ms(10);
		} else {
			idle = 0;
		}
	}
	return s;
}

static int listener(void)
{
	static int port = 40300;
	struct sockaddr_in a = at(&local, port++);
	int one = 1, s = ax_socket(AF_INET, SOCK_STREAM, 0);

	ax_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ax_bind(s, SA(a)) < 0 || ax_listen(s, 8) < 0) {
		fprintf(stderr, "listen: %s\n", strerror(errno));
		exit(2);
	}
	return s;
}

static void set_timeo(int s, int name)
{
	struct timeval tv = { 2, 0 };

	ax_setsockopt(s, SOL_SOCKET, name, &tv, sizeof(tv));
}

enum op { RECV, READ, SEND, WRITE, ACCEPT, CONNECT, UDPRECV, POLL, SELECT, EPOLL, NOPS };
static const char *op_names[] = { "recv", "read", "send", "write", "accept", "connect",
				  "recvfrom(udp)", "poll", "select", "epoll_wait" };

/* A bound UDP socket nobody sends to. */
static int udp_idle(void)
{
	static int port = 40400;
	struct sockaddr_in a = at(&local, port++);
	int s = ax_socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || ax_bind(s, SA(a)) < 0) {
		fprintf(stderr, "udp bind: %s\n", strerror(errno));
		exit(2);
	}
	return s;
}

/* One blocking call under the two signals. */
static void one_case(enum op op, int restart, int timeo)
{
	static char buf[65536];
	char what[64];
	pthread_t th;
	long rc = 0;
	int s, err, nh, ep = -1;

	switch (op) {
	case RECV: case READ: case POLL: case SELECT: case EPOLL:
		s = idle_conn();
		break;
	case SEND: case WRITE:
		s = full_conn();
		break;
	case ACCEPT:
		s = listener();
		break;
	case UDPRECV:
		s = udp_idle();
		break;
	default:
		s = ax_socket(AF_INET, SOCK_STREAM, 0);
		break;
	}
	if (timeo)
		set_timeo(s, op == SEND || op == WRITE || op == CONNECT ? SO_SNDTIMEO : SO_RCVTIMEO);
	if (op == EPOLL) {
		struct epoll_event ev = { .events = EPOLLIN };
		ep = ax_epoll_create1(0);
		ax_epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	}
	install(SIGALRM, restart);
	handlers = 0;
	pthread_create(&th, NULL, killer, NULL);
	switch (op) {
	case RECV: rc = ax_recv(s, buf, sizeof(buf), 0); break;
	case READ: rc = ax_read(s, buf, sizeof(buf)); break;
	case SEND: rc = ax_send(s, buf, 1000, 0); break;
	case WRITE: rc = ax_write(s, buf, 1000); break;
	case ACCEPT: rc = ax_accept(s, NULL, NULL); break;
	case UDPRECV: rc = ax_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL); break;
	case CONNECT: {
		struct sockaddr_in a = at(&silent, 5101);
		rc = ax_connect(s, SA(a));
		break;
	}
	case POLL: {
		struct pollfd p = { .fd = s, .events = POLLIN };
		rc = ax_poll(&p, 1, timeo ? 2000 : -1);
		break;
	}
	case SELECT: {
		fd_set r;
		struct timeval tv = { 2, 0 };
		FD_ZERO(&r);
		FD_SET(s, &r);
		rc = ax_select(s + 1, &r, NULL, NULL, timeo ? &tv : NULL);
		break;
	}
	case EPOLL: {
		struct epoll_event ev;
		rc = ax_epoll_wait(ep, &ev, 1, timeo ? 2000 : -1);
		break;
	}
	default:
		break;
	}
	err = errno;
	nh = handlers;
	pthread_join(th, NULL);
	snprintf(what, sizeof(what), "%s%s", op_names[op],
		 !timeo ? "" : op >= POLL ? "+timeout" :
		 op == SEND || op == WRITE || op == CONNECT ? "+SNDTIMEO" : "+RCVTIMEO");
	say(what, restart, rc, err, nh);
	if (op == CONNECT && rc < 0) {
		struct sockaddr_in a = at(&silent, 5101);
		snprintf(what, sizeof(what), "  connect again%s", timeo ? "+SNDTIMEO" : "");
		handlers = 0;
		/* Non-blocking, so that it cannot wait: what a restart finds. */
		ax_fcntl(s, F_SETFL, O_NONBLOCK);
		rc = ax_connect(s, SA(a));
		say(what, restart, rc, errno, 0);
	}
	if (ep >= 0)
		ax_close(ep);
	ax_close(s);
}

static void matrix(void)
{
	install(SIGUSR1, 0);
	for (int op = 0; op < NOPS; op++)
		for (int timeo = 0; timeo < 2; timeo++)
			for (int restart = 0; restart < 2; restart++)
				one_case((enum op)op, restart, timeo);
}

/* ---- cancel ---- */

struct blocked {
	enum op op;
	int fd, ep;
	long rc;
};

static void *blocker(void *arg)
{
	struct blocked *b = arg;
	static char buf[65536];

	switch (b->op) {
	case RECV: b->rc = ax_recv(b->fd, buf, sizeof(buf), 0); break;
	case READ: b->rc = ax_read(b->fd, buf, sizeof(buf)); break;
	case SEND: b->rc = ax_send(b->fd, buf, 1000, 0); break;
	case WRITE: b->rc = ax_write(b->fd, buf, 1000); break;
	case ACCEPT: b->rc = ax_accept(b->fd, NULL, NULL); break;
	case CONNECT: {
		struct sockaddr_in a = at(&silent, 5101);
		b->rc = ax_connect(b->fd, SA(a));
		break;
	}
	case POLL: {
		struct pollfd p = { .fd = b->fd, .events = POLLIN };
		b->rc = ax_poll(&p, 1, -1);
		break;
	}
	case SELECT: {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(b->fd, &r);
		b->rc = ax_select(b->fd + 1, &r, NULL, NULL, NULL);
		break;
	}
	case EPOLL: {
		struct epoll_event ev;
		b->rc = ax_epoll_wait(b->ep, &ev, 1, -1);
		break;
	}
	default:
		break;
	}
	return NULL; /* not cancelled: the join says so */
}

/* nthreads threads blocked in op on one socket, cancelled, joined. */
static void cancel_case(enum op op, int nthreads)
{
	struct blocked b[2];
	pthread_t th[2];
	int s, ep = -1, ok = 1;

	switch (op) {
	case SEND: case WRITE:
		s = full_conn();
		break;
	case ACCEPT:
		s = listener();
		break;
	case CONNECT:
		s = ax_socket(AF_INET, SOCK_STREAM, 0);
		break;
	default:
		s = idle_conn();
		break;
	}
	if (op == EPOLL) {
		struct epoll_event ev = { .events = EPOLLIN };
		ep = ax_epoll_create1(0);
		ax_epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	}
	for (int i = 0; i < nthreads; i++) {
		b[i] = (struct blocked){ .op = op, .fd = s, .ep = ep, .rc = -2 };
		pthread_create(&th[i], NULL, blocker, &b[i]);
	}
	sleep_ms(200); /* all asleep in the call */
	for (int i = 0; i < nthreads; i++) {
		void *res = NULL;

		pthread_cancel(th[i]);
		pthread_join(th[i], &res);
		if (res != PTHREAD_CANCELED)
			ok = 0;
	}
	if (ep >= 0)
		ax_close(ep);
	printf("cancel %-10s threads=%d %s close=%d\n", op_names[op], nthreads,
	       ok ? "PTHREAD_CANCELED" : "not-cancelled", ax_close(s));
	fflush(stdout);
}

static void cancel_all(void)
{
	char line[16];

	cancel_case(RECV, 1);
	cancel_case(RECV, 2); /* the second sleeps on the first's wake-ups */
	cancel_case(READ, 1);
	cancel_case(SEND, 1);
	cancel_case(ACCEPT, 1);
	cancel_case(CONNECT, 1);
	cancel_case(POLL, 1);
	cancel_case(SELECT, 1);
	cancel_case(EPOLL, 1);
	/* After all that, a socket still works: a round trip. */
	{
		int s = idle_conn();
		char b[4];
		ax_send(s, "ping", 4, 0);
		printf("after: echo %s\n", ax_recv(s, b, 4, MSG_WAITALL) == 4 && !memcmp(b, "ping", 4)
						   ? "ok" : "FAILED");
		ax_close(s);
	}
	printf("closed\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return;
}

/* ---- handlers ---- */

static volatile sig_atomic_t last_sig, last_code, info_calls;

static void h_plain(int sig)
{
	last_sig = sig;
}

static void h_other(int sig)
{
	last_sig = -sig;
}

static void h_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	info_calls++;
	last_sig = si->si_signo == sig ? sig : -1;
	last_code = si->si_code;
}

static const char *hname(void *h)
{
	return h == (void *)h_plain ? "h_plain" : h == (void *)h_other ? "h_other" :
	       h == (void *)h_info ? "h_info" : h == (void *)SIG_DFL ? "SIG_DFL" :
	       h == (void *)SIG_IGN ? "SIG_IGN" : h == (void *)SIG_ERR ? "SIG_ERR" : "other";
}

static void show(const char *what, int sig)
{
	struct sigaction o;

	memset(&o, 0, sizeof(o));
	if (sigaction(sig, NULL, &o) < 0) {
		printf("%-36s -1 %s\n", what, ename(errno));
		return;
	}
	printf("%-36s %s flags=0x%x mask(sig)=%d mask(SIGHUP)=%d\n", what,
	       hname((void *)o.sa_handler), (unsigned)o.sa_flags, sigismember(&o.sa_mask, sig),
	       sigismember(&o.sa_mask, SIGHUP));
}

static void handler_calls(void)
{
	struct sigaction a, o;
	void (*prev)(int);

	memset(&a, 0, sizeof(a));
	a.sa_handler = h_plain;
	a.sa_flags = SA_RESTART;
	sigemptyset(&a.sa_mask);
	sigaddset(&a.sa_mask, SIGHUP);
	printf("%-36s %d\n", "sigaction(USR1, h_plain, RESTART)", sigaction(SIGUSR1, &a, &o));
	printf("%-36s %s\n", "  old", hname((void *)o.sa_handler));
	show("  now", SIGUSR1);
	raise(SIGUSR1);
	printf("%-36s %d\n", "  raise: handler saw", (int)last_sig);

	a.sa_sigaction = h_info;
	a.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGUSR1, &a, &o);
	printf("%-36s %s flags=0x%x\n", "sigaction(USR1, h_info, SIGINFO) old", hname((void *)o.sa_handler),
	       (unsigned)o.sa_flags);
	show("  now", SIGUSR1);
	raise(SIGUSR1);
	printf("%-36s calls=%d signo=%d code=%d\n", "  raise: info handler", (int)info_calls,
	       (int)last_sig, (int)last_code);

	a.sa_handler = h_other;
	a.sa_flags = SA_RESETHAND;
	sigaction(SIGUSR2, &a, NULL);
	show("sigaction(USR2, h_other, RESETHAND)", SIGUSR2);
	raise(SIGUSR2);
	printf("%-36s %d\n", "  raise: handler saw", (int)last_sig);
	show("  after delivery", SIGUSR2);

	prev = signal(SIGUSR2, h_plain);
	printf("%-36s %s\n", "signal(USR2, h_plain) returned", hname((void *)prev));
	show("  now", SIGUSR2);
	prev = signal(SIGUSR2, SIG_IGN);
	printf("%-36s %s\n", "signal(USR2, SIG_IGN) returned", hname((void *)prev));
	show("  now", SIGUSR2);
	prev = signal(SIGUSR2, SIG_ERR);
	printf("%-36s %s %s\n", "signal(USR2, SIG_ERR) returned", hname((void *)prev), ename(errno));
	prev = signal(0, h_plain);
	printf("%-36s %s %s\n", "signal(0, h_plain) returned", hname((void *)prev), ename(errno));
	printf("%-36s %d %s\n", "sigaction(SIGKILL, h_plain)", sigaction(SIGKILL, &a, NULL),
	       ename(errno));
	show("sigaction(SIGKILL) query", SIGKILL);

	prev = sysv_signal(SIGALRM, h_other);
	printf("%-36s %s\n", "sysv_signal(ALRM, h_other) returned", hname((void *)prev));
	show("  now", SIGALRM);
	raise(SIGALRM);
	show("  after delivery", SIGALRM);

	/* signal() in a program built for strict ISO C / POSIX. */
	prev = __sysv_signal(SIGALRM, h_plain);
	printf("%-36s %s\n", "__sysv_signal(ALRM, h_plain) returned", hname((void *)prev));
	show("  now", SIGALRM);
	prev = ssignal(SIGALRM, h_other);
	printf("%-36s %s\n", "ssignal(ALRM, h_other) returned", hname((void *)prev));
	show("  now", SIGALRM);

	signal(SIGALRM, h_plain);
	/* Deprecated, still called by programs (the preload interposes it). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	printf("%-36s %d\n", "siginterrupt(ALRM, 1)", siginterrupt(SIGALRM, 1));
	show("  now", SIGALRM);
	printf("%-36s %d\n", "siginterrupt(ALRM, 0)", siginterrupt(SIGALRM, 0));
#pragma GCC diagnostic pop
	show("  now", SIGALRM);
	fflush(stdout);
}

/* ---- dup ---- */

static void fact(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fact(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%-44s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* "-1 ENAME" (errno read after the call) or the value. */
static void val_fact(const char *what, long rc)
{
	if (rc < 0)
		fact(what, "-1 %s", ename(errno));
	else
		fact(what, "%ld", rc);
}

static void rc_fact(const char *what, long rc)
{
	if (rc < 0)
		fact(what, "-1 %s", ename(errno));
	else
		fact(what, "ok");
}

static void *dup_reader(void *arg)
{
	struct blocked *b = arg;
	char buf[16];

	b->rc = ax_recv(b->fd, buf, 4, MSG_WAITALL);
	if (b->rc == 4 && memcmp(buf, "wake", 4))
		b->rc = -3;
	if (b->rc < 0 && b->rc != -3)
		b->rc = -errno;
	return NULL;
}

static void dup_calls(void)
{
	struct timeval tv = { 5, 0 };
	char b[16];
	int s = connected(5101), d, d2, p[2], q[2], fl;
	struct blocked rb = { .rc = -2 };
	pthread_t th;

	signal(SIGPIPE, SIG_IGN);
	d = ax_dup(s);
	fact("dup(sock)", "%s", d >= 0 && d != s ? "a new descriptor" : ename(errno));
	rc_fact("close(first)", ax_close(s));
	fact("recv(dup) hello", "%ld", (long)ax_recv(d, b, 5, MSG_WAITALL));
	d2 = ax_fcntl(d, F_DUPFD_CLOEXEC, 50);
	fact("fcntl(dup, F_DUPFD_CLOEXEC, 50)", "%s cloexec=%d", d2 >= 50 ? ">= 50" : ename(errno),
	     !!(ax_fcntl(d2, F_GETFD) & FD_CLOEXEC));
	ax_fcntl(d, F_SETFL, O_NONBLOCK);
	fact("O_NONBLOCK set on one, seen on the other", "%d", !!(ax_fcntl(d2, F_GETFL) & O_NONBLOCK));
	val_fact("recv(other) with nothing there", (long)ax_recv(d2, b, 1, 0));
	ax_fcntl(d, F_SETFL, 0);
	rc_fact("dup3(d, d, 0)", ax_dup3(d, d, 0));
	rc_fact("dup3(d, 60, O_NONBLOCK)", ax_dup3(d, 60, O_NONBLOCK));
	fact("dup2(d, d)", "%s", ax_dup2(d, d) == d ? "d" : ename(errno));
	rc_fact("dup2(closed, 61)", ax_dup2(s, 61));
	rc_fact("dup2(d, -1)", ax_dup2(d, -1));
	rc_fact("dup(closed)", ax_dup(s));

	/* The socket onto a pipe's read end: that number is the socket now. */
	if (pipe(p) < 0)
		exit(2);
	fact("dup2(d, pipe's read end)", "%s", ax_dup2(d, p[0]) == p[0] ? "its number" : ename(errno));
	val_fact("write(pipe's write end): no reader", (long)ax_write(p[1], "x", 1));
	fact("send(on that number) ping", "%ld", (long)ax_send(p[0], "ping", 4, 0));
	memset(b, 0, sizeof(b));
	val_fact("recv(F_DUPFD one) echo", (long)ax_recv(d2, b, 4, MSG_WAITALL));
	fact("  bytes", "%s", b);
	/* A pipe's end onto a socket's descriptor: that one is the pipe's. */
	fact("dup2(pipe's write end, d2)", "%s", ax_dup2(p[1], d2) == d2 ? "its number" : ename(errno));
	fact("send(d) still works", "%ld", (long)ax_send(d, "abcd", 4, 0));
	fact("recv(d) echo", "%ld", (long)ax_recv(d, b, 4, MSG_WAITALL));
	ax_close(p[1]);
	ax_close(d2);

	/* A reader blocked on d while p[0] (the same socket) is closed and
	 * its number goes to a new pipe; then data comes. */
	ax_setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rb.fd = d;
	pthread_create(&th, NULL, dup_reader, &rb);
	sleep_ms(200);
	rc_fact("close(the other descriptor)", ax_close(p[0]));
	if (pipe(q) < 0)
		exit(2);
	fact("a new pipe takes its number", "%d", q[0] == p[0]);
	sleep_ms(100);
	fact("send(d) wake", "%ld", (long)ax_send(d, "wake", 4, 0));
	pthread_join(th, NULL);
	fact("blocked reader", "%s", rb.rc == 4 ? "got wake" : rb.rc == -3 ? "wrong bytes" :
				     rb.rc == -2 ? "?" : ename((int)-rb.rc));
	close(q[0]);
	close(q[1]);
	rc_fact("close(last)", ax_close(d));
	fl = (int)ax_recv(d, b, 1, MSG_DONTWAIT);
	val_fact("recv after the last close", fl);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "handlers")) {
		handler_calls();
		return 0;
	}
	if (argc < 4 || (strcmp(argv[1], "matrix") && strcmp(argv[1], "cancel") &&
			 strcmp(argv[1], "dup")) ||
	    (!strcmp(argv[1], "matrix") && argc < 5)) {
		fprintf(stderr, "usage: ax_sem matrix LOCAL PEER SILENT | cancel LOCAL PEER | "
				"handlers | dup LOCAL PEER\n");
		return 2;
	}
	main_th = pthread_self();
	local.sin_family = peer.sin_family = silent.sin_family = AF_INET;
	inet_pton(AF_INET, argv[2], &local.sin_addr);
	inet_pton(AF_INET, argv[3], &peer.sin_addr);
	if (argc > 4)
		inet_pton(AF_INET, argv[4], &silent.sin_addr);
	if (ax_init(NULL) < 0) {
		perror("ax_init");
		return 2;
	}
	if (!strcmp(argv[1], "matrix"))
		matrix();
	else if (!strcmp(argv[1], "dup"))
		dup_calls();
	else
		cancel_all();
	return 0;
}
