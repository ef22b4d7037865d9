/*
 * px_preload.c - a program written against the kernel's socket calls only
 * (no axnet header), run under libaxnet-preload.so by
 * tests/e2e/test-exec-preload.sh to check what the library promises an
 * unmodified program. Built with -O2 -D_FORTIFY_SOURCE=2, so its read,
 * recv, recvfrom and poll are glibc's __read_chk, __recv_chk,
 * __recvfrom_chk and __poll_chk (the test checks the binary calls them).
 *
 *   px_preload recv HOST PORT     connect to a sender, check the
 *       descriptor (the lowest free number, < FD_SETSIZE), select and a
 *       mixed epoll set (a pipe and the socket, the program's own data),
 *       then read to the end alternating read/recv/recvfrom with poll:
 *       "received bytes=N sha256=HEX"
 *   px_preload sendfile HOST PORT FILE   sendfile(2) FILE to a receiver,
 *       half with an offset, half from the file position:
 *       "sendfile bytes=N"
 *   px_preload pure     an epoll set of pipes only stays the kernel's: one
 *       descriptor (no helper eventfd), the program's data back
 *   px_preload inet6    AF_INET6 TCP and UDP: axnet's, sockaddr_in6 names
 *   px_preload mmsg-recv PORT N   recvmmsg (MSG_WAITFORONE) until N
 *       datagrams came: "recvmmsg calls=C most=M dgrams=N bytes=B sha256=X"
 *   px_preload mmsg-send HOST PORT   sendmmsg of 5 datagrams:
 *       "sendmmsg dgrams=5 bytes=B sha256=X"
 *   px_preload resolve NAME...   getaddrinfo (TCP port 80) of each:
 *       "resolved NAME addrs=A,B canon=C" or "resolved NAME error=E"
 *   px_preload noinst   (AXNET_STATE_DIR naming no instance) AF_INET
 *       sockets fail with ENOENT, AF_UNIX ones work
 *   px_preload exec HOST PORT    an axnet socket, then execve and
 *       posix_spawn of "px_preload child FD" with an environment without
 *       LD_PRELOAD or AXNET_STATE_DIR: the child must have both back and
 *       see FD closed (EBADF); the parent's FD keeps its flags; vfork too
 *
 * Each check prints "ok WHAT"; a failure prints "FAIL WHAT: detail" and
 * exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sha256.h"

static const char *self;

#define FAIL(...)                                                                              \
	do {                                                                                   \
		printf("FAIL " __VA_ARGS__);                                                   \
		printf("\n");                                                                  \
		exit(1);                                                                       \
	} while (0)
#define OK(what) printf("ok %s\n", what)

static int connect_to(const char *host, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		FAIL("socket: %s", strerror(errno));
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		FAIL("connect %s:%s: %s", host, port, strerror(errno));
	return fd;
}

/* The lowest descriptor number free now. */
static int lowest_free(void)
{
	int fd = fcntl(0, F_DUPFD, 0);

	close(fd);
	return fd;
}

/* Descriptors open in this process. */
static int nfds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static void do_recv(const char *host, const char *port)
{
	struct epoll_event ev, out[4];
	struct sha256 h;
	char buf[16384], hex[65];
	volatile size_t vlen = sizeof(buf);
	volatile nfds_t vone = 1;
	size_t len = vlen;
	nfds_t one = vone;
	uint64_t total = 0;
	int pfd[2], low, fd, ep, n, got_pipe = 0, got_sock = 0;
	fd_set rd;
	struct timeval tv = { 10, 0 };

	if (pipe(pfd) < 0)
		FAIL("pipe");
	low = lowest_free();
	fd = connect_to(host, port);
	if (fd != low || fd >= FD_SETSIZE)
		FAIL("placeholder fd: %d, lowest free was %d", fd, low);
	OK("placeholder fd is the lowest free number");

	/* select: the socket turns readable (the peer sends), the pipe not. */
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	FD_SET(pfd[0], &rd);
	n = select((fd > pfd[0] ? fd : pfd[0]) + 1, &rd, NULL, NULL, &tv);
	if (n != 1 || !FD_ISSET(fd, &rd) || FD_ISSET(pfd[0], &rd))
		FAIL("select: %d (%s), socket %d pipe %d", n, strerror(errno), FD_ISSET(fd, &rd),
		     FD_ISSET(pfd[0], &rd));
	OK("select reports the socket readable and the empty pipe not");

	/* A mixed epoll set: both reported, with the program's own data. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.u64 = 0xfeedface00000001ull;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev) < 0)
		FAIL("epoll_ctl pipe: %s", strerror(errno));
	ev.data.u64 = 0x1234567800000002ull;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		FAIL("epoll_ctl socket: %s", strerror(errno));
	if (write(pfd[1], "x", 1) != 1)
		FAIL("write pipe");
	for (int tries = 0; tries < 50 && !(got_pipe && got_sock); tries++) {
		n = epoll_wait(ep, out, 4, 200);
		for (int i = 0; i < n; i++) {
			if (out[i].data.u64 == 0xfeedface00000001ull && (out[i].events & EPOLLIN))
				got_pipe = 1;
			else if (out[i].data.u64 == 0x1234567800000002ull &&
				 (out[i].events & EPOLLIN))
				got_sock = 1;
			else
				FAIL("epoll mixed: unexpected data %#llx events %#x",
				     (unsigned long long)out[i].data.u64, out[i].events);
		}
	}
	if (!got_pipe || !got_sock)
		FAIL("epoll mixed: pipe %d socket %d", got_pipe, got_sock);
	OK("epoll set of a pipe and an axnet socket reports both with the program's data");
	close(ep);

	/* Read to the end: read, recv, recvfrom in turn (their _chk forms:
	 * lengths the compiler cannot check, so glibc checks at run time),
	 * poll (__poll_chk) before each. */
	sha256_init(&h);
	for (int i = 0;; i++) {
		struct pollfd p[1] = { { .fd = fd, .events = POLLIN } };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r;

		if (poll(p, one, 10000) != 1)
			FAIL("poll: %s", strerror(errno));
		switch (i % 3) {
		case 0:
			r = read(fd, buf, len);
			break;
		case 1:
			r = recv(fd, buf, len, 0);
			break;
		default:
			r = recvfrom(fd, buf, len, 0, (struct sockaddr *)&from, &fl);
			break;
		}
		if (r < 0)
			FAIL("read: %s", strerror(errno));
		if (r == 0)
			break;
		sha256_update(&h, buf, (size_t)r);
		total += (uint64_t)r;
	}
	sha256_hex(&h, hex);
	printf("received bytes=%llu sha256=%s\n", (unsigned long long)total, hex);
	close(fd);
}

static void do_sendfile(const char *host, const char *port, const char *file)
{
	int in = open(file, O_RDONLY), fd;
	struct stat st;
	off_t off = 0, half;
	uint64_t total = 0;

	if (in < 0 || fstat(in, &st) < 0)
		FAIL("open %s", file);
	fd = connect_to(host, port);
	half = st.st_size / 2;
	/* First half with an offset (the file position stays at 0)... */
	while (off < half) {
		ssize_t r = sendfile(fd, in, &off, (size_t)(half - off));
		if (r <= 0)
			FAIL("sendfile (offset): %zd %s", r, strerror(errno));
		total += (uint64_t)r;
	}
	if (lseek(in, 0, SEEK_CUR) != 0)
		FAIL("sendfile with an offset moved the file position");
	/* ...then from the file position, moved there. */
	lseek(in, half, SEEK_SET);
	for (;;) {
		ssize_t r = sendfile(fd, in, NULL, 1 << 20);
		if (r < 0)
			FAIL("sendfile: %s", strerror(errno));
		if (r == 0)
			break;
		total += (uint64_t)r;
	}
	if (lseek(in, 0, SEEK_CUR) != st.st_size)
		FAIL("sendfile left the file position at %lld", (long long)lseek(in, 0, SEEK_CUR));
	/* in_fd a socket: EINVAL, as Linux. */
	if (sendfile(fd, fd, NULL, 1) != -1 || errno != EINVAL)
		FAIL("sendfile from a socket: not EINVAL");
	printf("sendfile bytes=%llu\n", (unsigned long long)total);
	close(fd);
	close(in);
}

static void do_pure(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xdeadbeefcafe0042ull }, out[2];
	int before = nfds_open(), pfd[2], ep, n;

	ep = epoll_create1(0);
	if (pipe(pfd) < 0 || ep < 0)
		FAIL("pipe/epoll_create1");
	if (epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev) < 0)
		FAIL("epoll_ctl: %s", strerror(errno));
	if (nfds_open() != before + 3)
		FAIL("pure epoll: %d descriptors more, not 3 (epoll fd, pipe)", nfds_open() - before);
	if (write(pfd[1], "y", 1) != 1)
		FAIL("write");
	n = epoll_wait(ep, out, 2, 1000);
	if (n != 1 || out[0].data.u64 != 0xdeadbeefcafe0042ull || out[0].events != EPOLLIN)
		FAIL("pure epoll: n=%d data %#llx", n, (unsigned long long)out[0].data.u64);
	n = epoll_wait(ep, out, 2, 0);
	if (n != 1)
		FAIL("pure epoll, level-triggered again: %d", n);
	OK("epoll set of kernel fds only is the kernel's, with the program's data");
	close(ep);
	close(pfd[0]);
	close(pfd[1]);
}

static void do_inet6(void)
{
	int t[2] = { SOCK_STREAM, SOCK_DGRAM };

	for (int i = 0; i < 2; i++) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
		socklen_t len = sizeof(sa), vl = sizeof(int);
		int fd = socket(AF_INET6, t[i], 0), v = -1;
		char path[64], link[64];
		ssize_t n;

		if (fd < 0)
			FAIL("AF_INET6 type %d: %s", t[i], strerror(errno));
		/* axnet's descriptor is its eventfd; a kernel socket's is "socket:[N]". */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		if (strcmp(link, "anon_inode:[eventfd]"))
			FAIL("AF_INET6 type %d: not an axnet socket (%s)", t[i], link);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl) || v != AF_INET6)
			FAIL("AF_INET6 type %d: SO_DOMAIN %d", t[i], v);
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl) || v != 0)
			FAIL("AF_INET6 type %d: IPV6_V6ONLY %d (Linux: 0)", t[i], v);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    getsockname(fd, (struct sockaddr *)&sa, &len))
			FAIL("AF_INET6 type %d: bind [::]:0: %s", t[i], strerror(errno));
		if (len != sizeof(sa) || sa.sin6_family != AF_INET6 || !sa.sin6_port ||
		    !IN6_IS_ADDR_UNSPECIFIED(&sa.sin6_addr))
			FAIL("AF_INET6 type %d: getsockname len %u family %d port %d", t[i],
			     (unsigned)len, sa.sin6_family, ntohs(sa.sin6_port));
		close(fd);
	}
	OK("AF_INET6 TCP and UDP: axnet sockets, bound to [::] with sockaddr_in6");
}

/* No instance: every AF_INET socket() fails with ENOENT (the library
 * says why once, on stderr); other sockets are the kernel's as ever. */
static void do_noinst(void)
{
	int sv[2];

	for (int i = 0; i < 2; i++) {
		int fd = socket(AF_INET, i ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd != -1 || errno != ENOENT)
			FAIL("no instance: socket gave %d (%s), not ENOENT", fd, strerror(errno));
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		FAIL("no instance: socketpair: %s", strerror(errno));
	OK("no instance: AF_INET sockets fail with ENOENT, AF_UNIX ones work");
}

/* recvmmsg on a UDP socket bound to port until count datagrams came:
 * "recvmmsg calls=C most=M dgrams=N bytes=B sha256=X" (most: the most
 * one call took). */
static void do_mmsg_recv(const char *port, int count)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	static char bufs[16][2048];
	struct mmsghdr v[16];
	struct iovec iov[16];
	struct sha256 h;
	char hex[65];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), n = 0, calls = 0, most = 0;
	uint64_t bytes = 0;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		FAIL("mmsg: socket/bind: %s", strerror(errno));
	printf("bound %s\n", port);
	sha256_init(&h);
	while (n < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int k;

		if (poll(&p, 1, 10000) != 1)
			FAIL("mmsg: poll: nothing after %d datagrams", n);
		usleep(200 * 1000); /* let several queue */
		memset(v, 0, sizeof(v));
		for (int i = 0; i < 16; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			v[i].msg_hdr.msg_iov = &iov[i];
			v[i].msg_hdr.msg_iovlen = 1;
		}
		k = recvmmsg(fd, v, 16, MSG_WAITFORONE, NULL);
		if (k <= 0)
			FAIL("recvmmsg: %d %s", k, strerror(errno));
		calls++;
		most = k > most ? k : most;
		for (int i = 0; i < k; i++) {
			sha256_update(&h, bufs[i], v[i].msg_len);
			bytes += v[i].msg_len;
		}
		n += k;
	}
	sha256_hex(&h, hex);
	printf("recvmmsg calls=%d most=%d dgrams=%d bytes=%llu sha256=%s\n", calls, most, n,
	       (unsigned long long)bytes, hex);
	close(fd);
}

/* sendmmsg of 5 datagrams of 100..500 bytes to HOST:PORT, connected:
 * "sendmmsg dgrams=N bytes=B sha256=X". */
static void do_mmsg_send(const char *host, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	static char bufs[5][500];
	struct mmsghdr v[5];
	struct iovec iov[5];
	struct sha256 h;
	char hex[65];
	uint64_t bytes = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), k;

	inet_pton(AF_INET, host, &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		FAIL("mmsg: socket/connect: %s", strerror(errno));
	memset(v, 0, sizeof(v));
	sha256_init(&h);
	for (int i = 0; i < 5; i++) {
		memset(bufs[i], 'a' + i, sizeof(bufs[i]));
		iov[i] = (struct iovec){ bufs[i], (size_t)(i + 1) * 100 };
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
		sha256_update(&h, bufs[i], iov[i].iov_len);
		bytes += iov[i].iov_len;
	}
	k = sendmmsg(fd, v, 5, 0);
	if (k != 5)
		FAIL("sendmmsg: %d %s", k, strerror(errno));
	for (int i = 0; i < 5; i++)
		if (v[i].msg_len != iov[i].iov_len)
			FAIL("sendmmsg: msg_len[%d] = %u", i, v[i].msg_len);
	sha256_hex(&h, hex);
	printf("sendmmsg dgrams=%d bytes=%llu sha256=%s\n", k, (unsigned long long)bytes, hex);
	/* Closing at once loses the datagrams still queued while the flow's
	 * authorization commits (an instance-side defect, not sendmmsg's):
	 * give them a second. */
	sleep(1);
	close(fd);
}

/* getaddrinfo of each name (TCP, AI_CANONNAME): "resolved NAME
 * addrs=A,B canon=C" or "resolved NAME error=TEXT". A prefix picks the
 * family: "4:NAME" AF_INET, "6:NAME" AF_INET6, "6m:NAME" AF_INET6 with
 * AI_V4MAPPED, none AF_UNSPEC. */
static void do_resolve(int n, char **names)
{
	for (int i = 0; i < n; i++) {
		struct addrinfo h = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_CANONNAME }, *r;
		char a[INET6_ADDRSTRLEN], list[1024] = "";
		const char *name = names[i];
		int e;

		if (!strncmp(name, "4:", 2)) {
			h.ai_family = AF_INET;
			name += 2;
		} else if (!strncmp(name, "6:", 2)) {
			h.ai_family = AF_INET6;
			name += 2;
		} else if (!strncmp(name, "6m:", 3)) {
			h.ai_family = AF_INET6;
			h.ai_flags |= AI_V4MAPPED;
			name += 3;
		}
		e = getaddrinfo(name, "80", &h, &r);
		if (e) {
			printf("resolved %s error=%s\n", names[i],
			       e == EAI_NONAME ? "EAI_NONAME" : e == EAI_AGAIN ? "EAI_AGAIN" : "other");
			continue;
		}
		for (struct addrinfo *p = r; p; p = p->ai_next) {
			struct sockaddr_in *sin = (struct sockaddr_in *)p->ai_addr;
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)p->ai_addr;
			int six = p->ai_family == AF_INET6;

			if ((p->ai_family != AF_INET && !six) ||
			    (h.ai_family && p->ai_family != h.ai_family) ||
			    p->ai_addrlen != (six ? sizeof(*sin6) : sizeof(*sin)) ||
			    ntohs(six ? sin6->sin6_port : sin->sin_port) != 80 ||
			    p->ai_socktype != SOCK_STREAM)
				FAIL("resolve %s: an entry of family %d port %d type %d", names[i],
				     p->ai_family, ntohs(sin->sin_port), p->ai_socktype);
			if (six)
				inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
			else
				inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? "," : "", a);
			if (six && sin6->sin6_scope_id) /* "%index" */
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%%%u",
					 sin6->sin6_scope_id);
		}
		printf("resolved %s addrs=%s canon=%s\n", names[i], list,
		       r->ai_canonname ? r->ai_canonname : "-");
		freeaddrinfo(r);
	}
}

/* The exec'd image: FD gone, the library and the instance back. */
static int do_child(const char *fdstr)
{
	const char *lp = getenv("LD_PRELOAD"), *dir = getenv("AXNET_STATE_DIR");
	Dl_info di;

	if (fcntl(atoi(fdstr), F_GETFD) != -1 || errno != EBADF)
		FAIL("child: the axnet socket %s is still open", fdstr);
	if (!lp || !strstr(lp, "libaxnet-preload.so"))
		FAIL("child: LD_PRELOAD is %s", lp ? lp : "unset");
	if (!dir || !*dir)
		FAIL("child: AXNET_STATE_DIR unset");
	/* The library is loaded: socket is its. */
	if (!dladdr((void *)socket, &di) || !strstr(di.dli_fname, "libaxnet-preload.so"))
		FAIL("child: socket() is %s's", di.dli_fname);
	printf("child ok\n");
	return 0;
}

static void wait_child(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("%s: child status %#x", what, st);
}

static void do_exec(const char *host, const char *port)
{
	char fdstr[16];
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	int fd = connect_to(host, port);
	pid_t pid;

	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	char *argv[] = { (char *)self, "child", fdstr, NULL };

	if (fcntl(fd, F_GETFD) != 0)
		FAIL("exec: FD_CLOEXEC set on a new socket");
	/* A failed exec leaves the descriptor's flags as they were. */
	if (execve("/nonexistent/px", argv, envp) != -1 || errno != ENOENT)
		FAIL("exec of a missing file: %s", strerror(errno));
	if (fcntl(fd, F_GETFD) != 0)
		FAIL("exec: FD_CLOEXEC left on after a failed exec");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(99);
	}
	wait_child(pid, "execve");
	OK("execve with a cleared environment: the child has LD_PRELOAD and the socket is gone");
	/* vfork is fork under the library: the child may call it freely. */
	pid = vfork();
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(99);
	}
	wait_child(pid, "vfork");
	OK("vfork and execve: the same");
	if (posix_spawn(&pid, self, NULL, NULL, argv, envp) != 0)
		FAIL("posix_spawn: %s", strerror(errno));
	wait_child(pid, "posix_spawn");
	if (fcntl(fd, F_GETFD) != 0)
		FAIL("posix_spawn: FD_CLOEXEC left on in the parent");
	OK("posix_spawn with a cleared environment: the same, and the parent's socket untouched");
	/* The socket still works in the parent. */
	if (write(fd, "after-exec\n", 11) != 11)
		FAIL("write after the exec: %s", strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	self = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "recv"))
		do_recv(argv[2], argv[3]);
	else if (argc >= 5 && !strcmp(argv[1], "sendfile"))
		do_sendfile(argv[2], argv[3], argv[4]);
	else if (argc >= 2 && !strcmp(argv[1], "pure"))
		do_pure();
	else if (argc >= 4 && !strcmp(argv[1], "mmsg-recv"))
		do_mmsg_recv(argv[2], atoi(argv[3]));
	else if (argc >= 4 && !strcmp(argv[1], "mmsg-send"))
		do_mmsg_send(argv[2], argv[3]);
	else if (argc >= 3 && !strcmp(argv[1], "resolve"))
		do_resolve(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "noinst"))
		do_noinst();
	else if (argc >= 2 && !strcmp(argv[1], "inet6"))
		do_inet6();
	else if (argc >= 4 && !strcmp(argv[1], "exec"))
		do_exec(argv[2], argv[3]);
	else if (argc >= 3 && !strcmp(argv[1], "child"))
		return do_child(argv[2]);
	else {
		fprintf(stderr, "usage: px_preload recv|sendfile|pure|inet6|noinst|mmsg-recv|mmsg-send|resolve|exec|child ...\n");
		return 2;
	}
	return 0;
}
