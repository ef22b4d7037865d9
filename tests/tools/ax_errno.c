/*
 * ax_errno - the socket calls' contract, told by example: a list of calls,
 * misuses among them, each printed with what it returned (a value, an
 * errno name, poll/epoll masks). Built on libaxnet and, with -DAX_KERNEL,
 * on the kernel's sockets: the test runs both against the same kernel peer
 * and the outputs must be the same line for line (Linux is the reference).
 *
 *   ax_errno [-D DIR] LOCAL PEER SILENT
 *
 * LOCAL: the address this stack owns. PEER: the kernel peer, with
 *   TCP 5101: sends "hello" on accept, then echoes until EOF, then closes;
 *   TCP 5102: accepts and closes at once;
 *   TCP 5199 and UDP 5198: nothing listens (RST, ICMP port unreachable);
 *   UDP 5103: echoes each datagram.
 * SILENT: an address on PEER's network that nobody answers (a connect to
 * it stays in progress).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifdef AX_KERNEL
#include "ax_kernel.h"
#else
#include <axnet/socket.h>
#endif

static struct sockaddr_in local, peer, silent;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Print a call's outcome: "case value" or "case -1 ENAME". */
static long say(const char *what, long rc)
{
	if (rc < 0)
		printf("%-40s -1 %s\n", what, ename(errno));
	else
		printf("%-40s %ld\n", what, rc);
	fflush(stdout);
	return rc;
}

static struct sockaddr_in at(const struct sockaddr_in *base, int port)
{
	struct sockaddr_in a = *base;

	a.sin_port = htons((uint16_t)port);
	return a;
}

#define SA(a) ((struct sockaddr *)&(a)), sizeof(a)

static int tcp(void) { return ax_socket(AF_INET, SOCK_STREAM, 0); }
static int udp(void) { return ax_socket(AF_INET, SOCK_DGRAM, 0); }

static int poll1(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n = ax_poll(&p, 1, ms);

	return n < 0 ? n : p.revents;
}

static void print_mask(const char *what, int m)
{
	printf("%-40s 0x%x\n", what, m);
	fflush(stdout);
}

static int sockerr(int fd)
{
	int e = -1;
	socklen_t l = sizeof(e);

	if (ax_getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return -errno;
	return e;
}

static void print_soerr(const char *what, int fd)
{
	int e = sockerr(fd);

	printf("%-40s %s\n", what, e == 0 ? "0" : e < 0 ? "getsockopt failed" : ename(e));
	fflush(stdout);
}

/* Wait (bounded) until fd has these poll bits. */
static int wait_bits(int fd, short ev, int ms)
{
	int m = poll1(fd, ev, ms);

	return m;
}

static void socket_calls(void)
{
	int s, one = 1, v;
	socklen_t l;
	struct sockaddr_in a;

	say("socket(STREAM, IPPROTO_UDP)", ax_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	say("socket(DGRAM, IPPROTO_TCP)", ax_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));

	s = tcp();
	a = at(&local, 0);
	say("bind(local:0)", ax_bind(s, SA(a)));
	say("bind again", ax_bind(s, SA(a)));
	say("bind short addrlen", ax_bind(tcp(), (struct sockaddr *)&a, 4));
	a.sin_addr.s_addr = inet_addr("192.0.2.1");
	say("bind(192.0.2.1) not ours", ax_bind(tcp(), SA(a)));
	ax_close(s);

	/* Ports: a bound port, SO_REUSEADDR, SO_REUSEPORT (as Linux). */
	{
		int s1 = tcp(), s2 = tcp(), s3, s4;
		struct sockaddr_in p = at(&local, 40111);

		say("bind 40111", ax_bind(s1, SA(p)));
		say("bind 40111 again, other socket", ax_bind(s2, SA(p)));
		ax_close(s1);
		ax_close(s2);
		s1 = tcp();
		s2 = tcp();
		ax_setsockopt(s1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ax_setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		p = at(&local, 40112);
		say("REUSEADDR bind 40112", ax_bind(s1, SA(p)));
		say("REUSEADDR bind 40112, other socket", ax_bind(s2, SA(p)));
		say("listen first", ax_listen(s1, 4));
		say("listen second", ax_listen(s2, 4));
		s3 = tcp();
		ax_setsockopt(s3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		say("REUSEADDR bind to a listening port", ax_bind(s3, SA(p)));
		ax_close(s1);
		ax_close(s2);
		ax_close(s3);
		s3 = tcp();
		s4 = tcp();
		ax_setsockopt(s3, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		ax_setsockopt(s4, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		p = at(&local, 40113);
		say("REUSEPORT bind 40113", ax_bind(s3, SA(p)));
		say("REUSEPORT bind 40113, other socket", ax_bind(s4, SA(p)));
		say("REUSEPORT listen first", ax_listen(s3, 4));
		say("REUSEPORT listen second", ax_listen(s4, 4));
		ax_close(s3);
		ax_close(s4);
	}

	s = udp();
	say("listen(UDP)", ax_listen(s, 4));
	ax_close(s);
	s = tcp();
	say("accept(not listening)", ax_accept(s, NULL, NULL));
	say("recv(unconnected TCP)", ax_recv(s, &v, sizeof(v), MSG_DONTWAIT));
	say("shutdown(unconnected TCP)", ax_shutdown(s, SHUT_WR));
	l = sizeof(a);
	say("getpeername(unconnected)", ax_getpeername(s, (struct sockaddr *)&a, &l));
	print_mask("poll(new TCP socket)", poll1(s, POLLIN | POLLOUT, 0));
	v = 1;
	say("setsockopt short optlen", ax_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
	say("setsockopt unknown option", ax_setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)));
	say("setsockopt TCP_CONGESTION nosuch", ax_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "nosuch", 6));
	l = sizeof(v);
	ax_getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l);
	printf("%-40s %d\n", "SO_TYPE", v);
	v = 4096;
	ax_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	l = sizeof(v);
	ax_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l);
	printf("%-40s %d\n", "SO_RCVBUF after setting 4096", v);
	say("shutdown(bad how)", ax_shutdown(s, 7));
	ax_close(s);

	s = tcp();
	ax_listen(s, 4);
	l = sizeof(v);
	ax_getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
	printf("%-40s %d\n", "SO_ACCEPTCONN on a listener", v);
	{
		int fl = ax_fcntl(s, F_GETFL);

		ax_fcntl(s, F_SETFL, fl | O_NONBLOCK);
	}
	say("accept(non-blocking, none pending)", ax_accept(s, NULL, NULL));
	print_mask("poll(idle listener)", poll1(s, POLLIN | POLLOUT, 0));
	ax_close(s);
}

static void tcp_calls(void)
{
	struct sockaddr_in p = at(&peer, 5101), closed = at(&peer, 5199), shut = at(&peer, 5102);
	char buf[64];
	int s, n, m, ep;
	struct epoll_event ev;

	s = tcp();
	say("connect(closed port)", ax_connect(s, SA(closed)));
	ax_close(s);

	s = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	{
		struct sockaddr_in q = at(&silent, 5101);

		say("connect non-blocking, silent peer", ax_connect(s, SA(q)));
		say("connect again while in progress", ax_connect(s, SA(q)));
		print_mask("poll while in progress", poll1(s, POLLIN | POLLOUT, 100));
		ax_close(s);
	}
	s = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	say("connect non-blocking", ax_connect(s, SA(p)));
	m = wait_bits(s, POLLOUT, 5000);
	print_mask("poll after connect", m & ~POLLIN); /* "hello" may be there already */
	print_soerr("SO_ERROR after connect", s);
	say("connect once connected (reports it)", ax_connect(s, SA(p)));
	say("connect once more", ax_connect(s, SA(p)));
	m = wait_bits(s, POLLIN, 5000);
	print_mask("poll with hello waiting", m);
	usleep(100000);
	n = 0;
	ax_ioctl(s, FIONREAD, &n);
	printf("%-40s %d\n", "FIONREAD", n);
	n = (int)say("recv MSG_PEEK", ax_recv(s, buf, sizeof(buf), MSG_PEEK));
	n = (int)say("recv", ax_recv(s, buf, sizeof(buf), 0));
	say("recv again (nothing)", ax_recv(s, buf, sizeof(buf), MSG_DONTWAIT));

	/* Edge-triggered: one report per edge; a new edge after new data. */
	ep = ax_epoll_create1(0);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = s;
	say("epoll_ctl ADD EPOLLET", ax_epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	say("epoll_ctl ADD again", ax_epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	say("ET wait, nothing", ax_epoll_wait(ep, &ev, 1, 100));
	ax_send(s, "a", 1, MSG_NOSIGNAL);
	say("ET wait after the echo", ax_epoll_wait(ep, &ev, 1, 5000));
	say("ET wait again, same data", ax_epoll_wait(ep, &ev, 1, 100));
	say("recv echo", ax_recv(s, buf, sizeof(buf), 0));
	/* One-shot: disarmed after one report until EPOLL_CTL_MOD. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	say("epoll_ctl MOD ONESHOT", ax_epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev));
	ax_send(s, "b", 1, MSG_NOSIGNAL);
	say("ONESHOT wait", ax_epoll_wait(ep, &ev, 1, 5000));
	usleep(50000);
	say("ONESHOT wait, disarmed", ax_epoll_wait(ep, &ev, 1, 100));
	say("epoll_ctl MOD re-arm", ax_epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev));
	n = ax_epoll_wait(ep, &ev, 1, 5000);
	say("ONESHOT wait, re-armed", n);
	if (n == 1)
		printf("%-40s 0x%x\n", "ONESHOT event", ev.events);
	say("recv", ax_recv(s, buf, sizeof(buf), 0));
	/* Level-triggered: reported while the data is there. */
	ev.events = EPOLLIN;
	ax_epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	ax_send(s, "c", 1, MSG_NOSIGNAL);
	say("LT wait", ax_epoll_wait(ep, &ev, 1, 5000));
	say("LT wait again", ax_epoll_wait(ep, &ev, 1, 100));
	say("recv", ax_recv(s, buf, sizeof(buf), 0));
	say("epoll_ctl DEL", ax_epoll_ctl(ep, EPOLL_CTL_DEL, s, &ev));
	say("epoll_ctl DEL again", ax_epoll_ctl(ep, EPOLL_CTL_DEL, s, &ev));
	ax_close(ep);

	/* Our FIN: the peer echoes what is left, then closes. */
	say("shutdown(SHUT_WR)", ax_shutdown(s, SHUT_WR));
	say("send after SHUT_WR", ax_send(s, "x", 1, MSG_NOSIGNAL));
	m = wait_bits(s, POLLIN, 5000);
	print_mask("poll after the peer's FIN", poll1(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	say("recv at EOF", ax_recv(s, buf, sizeof(buf), 0));
	ax_close(s);

	/* The peer closes first: EOF, POLLRDHUP; sends then meet its RST. */
	s = tcp();
	say("connect(closing peer)", ax_connect(s, SA(shut)));
	wait_bits(s, POLLIN, 5000);
	print_mask("poll after the peer closed", poll1(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	say("recv at EOF", ax_recv(s, buf, sizeof(buf), 0));
	say("send to a closed peer", ax_send(s, "x", 1, MSG_NOSIGNAL));
	usleep(300000); /* its RST */
	print_mask("poll after the RST", poll1(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	/* A RST in CLOSE_WAIT: recv still says 0, the EPIPE stays for send. */
	say("recv after the RST", ax_recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	print_mask("poll after that recv", poll1(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	say("send after the RST", ax_send(s, "x", 1, MSG_NOSIGNAL));
	print_soerr("SO_ERROR after the RST", s);
	ax_close(s);

	/* Non-blocking connect refused: POLLERR and SO_ERROR, once. */
	s = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	say("connect non-blocking, closed port", ax_connect(s, SA(closed)));
	wait_bits(s, POLLOUT, 5000);
	print_mask("poll after the refusal", poll1(s, POLLIN | POLLOUT | POLLRDHUP, 0));
	print_soerr("SO_ERROR", s);
	print_soerr("SO_ERROR again", s);
	ax_close(s);
}

static void udp_calls(void)
{
	struct sockaddr_in echo = at(&peer, 5103), closed = at(&peer, 5198), from;
	static char big[65600];
	char buf[64];
	socklen_t l;
	int s, n;

	s = udp();
	say("send(UDP, no peer)", ax_send(s, "x", 1, 0));
	say("sendto 65508 bytes", ax_sendto(s, big, 65508, 0, SA(echo)));
	say("sendto echo", ax_sendto(s, "ping", 4, 0, SA(echo)));
	wait_bits(s, POLLIN, 5000);
	n = 0;
	ax_ioctl(s, FIONREAD, &n);
	printf("%-40s %d\n", "FIONREAD (UDP)", n);
	say("recv MSG_TRUNC 2 bytes", ax_recv(s, buf, 2, MSG_TRUNC | MSG_PEEK));
	l = sizeof(from);
	n = (int)say("recvfrom, 2 bytes", ax_recvfrom(s, buf, 2, 0, (struct sockaddr *)&from, &l));
	printf("%-40s %s\n", "from the echo's port", ntohs(from.sin_port) == 5103 ? "yes" : "no");
	say("recv again (nothing)", ax_recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	say("shutdown(unconnected UDP)", ax_shutdown(s, SHUT_RD));
	ax_close(s);

	s = udp();
	say("connect(UDP closed port)", ax_connect(s, SA(closed)));
	say("send to a closed port", ax_send(s, "x", 1, 0));
	usleep(300000); /* the ICMP port unreachable */
	say("recv after port unreachable", ax_recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	say("recv again", ax_recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	{
		struct sockaddr un = { .sa_family = AF_UNSPEC };

		say("connect(AF_UNSPEC) dissolves", ax_connect(s, &un, sizeof(un)));
	}
	say("send, no peer any more", ax_send(s, "x", 1, 0));
	ax_close(s);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "D:")) != -1) {
		if (opt != 'D' || ax_init(optarg) < 0) {
			fprintf(stderr, "usage: ax_errno [-D DIR] LOCAL PEER SILENT\n");
			return 2;
		}
	}
	if (optind != argc - 3 || inet_pton(AF_INET, argv[optind], &local.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 1], &peer.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 2], &silent.sin_addr) != 1) {
		fprintf(stderr, "usage: ax_errno [-D DIR] LOCAL PEER SILENT\n");
		return 2;
	}
	local.sin_family = peer.sin_family = silent.sin_family = AF_INET;
	socket_calls();
	tcp_calls();
	udp_calls();
	return 0;
}
