/*
 * session.c - finding the instance, registering with it (HELLO), the
 * shared segment, control requests, and fork.
 *
 * Fork: the child must hold references on the parent's sockets before
 * the parent may close them (fork(); close(conn) in the parent is the
 * classic server). So the child handler opens its own connection and
 * sends ATTACH with the segment's token, and the parent's handler waits
 * until the child says it is done (a pipe: a byte, or its end closing
 * when the child dies first). fork() in a registered process thus costs
 * one round trip to the daemon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "axnet/socket.h"
#include "lib.h"
#include "sys.h"
#include "util/instance.h"

struct ax_session ax_sess = {
	.ctl = -1,
	.doorbell = -1,
	.mu = PTHREAD_MUTEX_INITIALIZER,
};
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
static int fork_pipe[2] = { -1, -1 };
static int atfork_done;

static int sendmsg_all(int fd, const void *buf, size_t n)
{
	for (;;) {
		ssize_t r = ax_sys_send(fd, buf, n, MSG_NOSIGNAL);
		if (r == (ssize_t)n)
			return 0;
		if (r >= 0)
			return -EPROTO; /* SEQPACKET: whole or nothing */
		if (errno != EINTR)
			return errno == EPIPE ? -ECONNRESET : -errno;
	}
}

/* One reply packet; fd receives a passed descriptor (else -1). Extra
 * descriptors are closed. Returns its length or -errno; *ctrunc 1 when a
 * descriptor sent to us was dropped (our table was full). */
static ssize_t recv_reply(int fd, void *buf, size_t n, int *fds, int maxfds, int *ctrunc)
{
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { buf, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
			    .msg_controllen = sizeof(cbuf.b) };
	struct cmsghdr *c;
	ssize_t r;
	int got = 0;

	for (int i = 0; i < maxfds; i++)
		fds[i] = -1;
	do
		r = ax_sys_recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int nf = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *p = (int *)CMSG_DATA(c);
		for (int i = 0; i < nf; i++) {
			if (got < maxfds)
				fds[got++] = p[i];
			else
				ax_sys_close(p[i]);
		}
	}
	if (r == 0)
		return -ECONNRESET;
	if (m.msg_flags & MSG_TRUNC)
		return -EPROTO;
	*ctrunc = !!(m.msg_flags & MSG_CTRUNC);
	return r;
}

/* A request on ctl and its reply, the caller holding ax_sess.mu (or
 * being alone: init, the fork child). The daemon's answer (0, a result or
 * -errno), or -errno when the session itself failed: then *lost is 1. */
static int call_locked(int ctl, uint16_t type, uint32_t sock, const void *body, size_t blen,
		       void *rbody, size_t rblen, int *fds, int maxfds, int *lost)
{
	uint8_t buf[AXIPC_MSG_MAX] __attribute__((aligned(8)));
	struct axipc_hdr h = { .type = type, .len = (uint32_t)(sizeof(h) + blen), .sock = sock };
	struct axipc_rep rep;
	int tmpfd[2], *fdp = fds ? fds : tmpfd, nf = fds ? maxfds : 0;
	ssize_t r;
	int err, ctrunc = 0;

	if (sizeof(h) + blen > sizeof(buf))
		return -EINVAL;
	h.id = ++ax_sess.next_id;
	memcpy(buf, &h, sizeof(h));
	if (blen)
		memcpy(buf + sizeof(h), body, blen);
	*lost = 0;
	err = sendmsg_all(ctl, buf, sizeof(h) + blen);
	if (err) {
		*lost = 1;
		return err;
	}
	r = recv_reply(ctl, buf, sizeof(buf), fdp, nf, &ctrunc);
	if (r < 0) {
		*lost = 1;
		return (int)r;
	}
	if ((size_t)r < sizeof(rep))
		goto proto;
	memcpy(&rep, buf, sizeof(rep));
	if (rep.h.type != type || rep.h.id != h.id || rep.h.len != (uint32_t)r)
		goto proto;
	if (rep.err < 0) {
		if ((size_t)r != sizeof(rep))
			goto proto;
		return rep.err;
	}
	if ((size_t)r != sizeof(rep) + (size_t)axipc_rep_body_len(type))
		goto proto;
	if (ctrunc) {
		/* Our descriptor table was full when the reply came (another
		 * thread took the number sock.c's fd_room saw free): the session
		 * is fine; the socket the daemon made for us goes back, and
		 * the call fails as Linux's would. */
		for (int i = 0; i < nf; i++)
			if (fdp[i] >= 0) {
				ax_sys_close(fdp[i]);
				fdp[i] = -1;
			}
		if (type == AXIPC_SOCKET || type == AXIPC_ACCEPT) {
			struct axipc_sock_rep sr;
			int l2;

			memcpy(&sr, buf + sizeof(rep), sizeof(sr));
			(void)call_locked(ctl, AXIPC_CLOSE, sr.sock, NULL, 0, NULL, 0, NULL, 0, &l2);
			*lost = l2;
		}
		return -EMFILE;
	}
	if (rbody)
		memcpy(rbody, buf + sizeof(rep), rblen < (size_t)r - sizeof(rep) ?
		       rblen : (size_t)r - sizeof(rep));
	return rep.err;
proto:
	for (int i = 0; i < nf; i++)
		if (fdp[i] >= 0) {
			ax_sys_close(fdp[i]);
			fdp[i] = -1;
		}
	return -EPROTO;
}

void ax_sess_set_gone(void)
{
	__atomic_store_n(&ax_sess.gone, 1, __ATOMIC_RELEASE);
}

int ax_sess_check_hup(short revents)
{
	if (revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) {
		ax_sess_set_gone();
		return 1;
	}
	return 0;
}

int ax_call(uint16_t type, uint32_t sock, const void *body, size_t blen, void *rbody,
	    size_t rblen, int *fd)
{
	int err, lost, oc;

	if (ax_sess.broken || ax_sess_gone())
		return -ECONNRESET;
	/* sendmsg/recvmsg are cancellation points: a thread cancelled
	 * there would leave the session locked and a request half-done. */
	oc = ax_nocancel();
	pthread_mutex_lock(&ax_sess.mu);
	err = call_locked(ax_sess.ctl, type, sock, body, blen, rbody, rblen, fd, fd ? 1 : 0,
			  &lost);
	pthread_mutex_unlock(&ax_sess.mu);
	ax_cancel_restore(oc);
	/* The instance closed the session (stopped, died): every socket of
	 * ours is reset from now on. A socket's own ECONNRESET, answered by
	 * the daemon, is that socket's only. */
	if (lost)
		ax_sess_set_gone();
	return err;
}

/*
 * The session's own descriptors live high (below 1024, where select can
 * still see them, and below RLIMIT_NOFILE), not at the lowest free
 * numbers: those are the program's. A program expects its first socket
 * to be the lowest free number (as under the kernel), and so does one
 * that closed fd 0 to have its next socket land there (inetd style). fd
 * is replaced by its copy (close-on-exec); left as it is when no room.
 */
static int fd_high(int fd)
{
	struct rlimit rl;
	long top = 1024;
	int hi;

	if (fd < 0)
		return fd;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)top)
		top = (long)rl.rlim_cur;
	if (top <= 64 || fd >= top - 32)
		return fd;
	hi = ax_sys_fcntl(fd, F_DUPFD_CLOEXEC, (void *)(top - 32));
	if (hi < 0)
		return fd;
	ax_sys_close(fd);
	return hi;
}

static int open_ctl(void)
{
	struct sockaddr_un sa;
	char path[PATH_MAX + 16];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", ax_sess.dir, AX_API_SOCK) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = instance_sockaddr(path, &sa);
	if (err)
		return err;
	fd = ax_sys_socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (ax_sys_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		err = errno == ENOENT ? -ENOENT : -ECONNREFUSED;
		ax_sys_close(fd);
		return err;
	}
	return fd_high(fd);
}

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

static int session_open(const char *dir)
{
	struct axipc_hello hello = { .version = AXIPC_VERSION };
	struct axipc_hello_rep rep;
	struct axipc_seg_hdr *hdr;
	int fds[2], ctl, err, count, lost;
	void *seg, *locks, *wake;

	if (!dir)
		dir = getenv("AXNET_STATE_DIR");
	if (dir && !*dir)
		dir = NULL;
	err = instance_state_dir(dir, NULL, ax_sess.dir, &count);
	if (err)
		return err == -EINVAL ? -ENOENT : err;
	ctl = open_ctl();
	if (ctl < 0)
		return ctl;
	err = call_locked(ctl, AXIPC_HELLO, 0, &hello, sizeof(hello), &rep, sizeof(rep), fds, 2,
			  &lost);
	if (err < 0)
		goto out_ctl;
	err = -EPROTO;
	if (fds[0] < 0 || fds[1] < 0 || rep.version != AXIPC_VERSION || rep.nslots == 0 ||
	    rep.nslots > AXIPC_SLOTS || rep.seg_size < sizeof(*hdr) || rep.seg_size > (1ull << 40))
		goto out_fds;
	seg = mmap(NULL, rep.seg_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (seg == MAP_FAILED) {
		err = -errno;
		goto out_fds;
	}
	hdr = seg;
	if (hdr->magic != AXIPC_MAGIC || hdr->version != AXIPC_VERSION ||
	    hdr->nslots != rep.nslots || hdr->slot_off % AXIPC_CACHELINE ||
	    hdr->slot_off < sizeof(*hdr) ||
	    hdr->slot_off + (uint64_t)rep.nslots * sizeof(struct axipc_slot) > rep.seg_size) {
		munmap(seg, rep.seg_size);
		err = -EPROTO;
		goto out_fds;
	}
	/* Per-slot locks shared with forked children (never with other
	 * programs): 2 mutexes per slot, pages touched only when used. */
	locks = mmap(NULL, (size_t)rep.nslots * 2 * sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (locks == MAP_FAILED) {
		err = -errno;
		munmap(seg, rep.seg_size);
		goto out_fds;
	}
	wake = mmap(NULL, (size_t)rep.nslots * sizeof(struct ax_slot_wake), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (wake == MAP_FAILED) {
		err = -errno;
		munmap(locks, (size_t)rep.nslots * 2 * sizeof(pthread_mutex_t));
		munmap(seg, rep.seg_size);
		goto out_fds;
	}
	ax_sys_close(fds[0]); /* the mapping keeps the segment */
	ax_sess.seg = seg;
	ax_sess.seg_size = rep.seg_size;
	ax_sess.hdr = hdr;
	ax_sess.slots = (struct axipc_slot *)((uint8_t *)seg + hdr->slot_off);
	ax_sess.nslots = rep.nslots;
	ax_sess.locks = locks;
	ax_sess.wake = wake;
	ax_sess.doorbell = fd_high(fds[1]);
	__atomic_store_n(&ax_sess.ctl, ctl, __ATOMIC_RELEASE);
	if (!atfork_done) {
		pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
		atfork_done = 1;
	}
	return 0;
out_fds:
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			ax_sys_close(fds[i]);
out_ctl:
	ax_sys_close(ctl);
	return err;
}

int ax_session_get(void)
{
	int err = 0;

	int oc;

	if (__atomic_load_n(&ax_sess.ctl, __ATOMIC_ACQUIRE) >= 0)
		return 0;
	oc = ax_nocancel();
	pthread_mutex_lock(&init_mu);
	if (ax_sess.ctl < 0)
		err = session_open(NULL);
	pthread_mutex_unlock(&init_mu);
	ax_cancel_restore(oc);
	return err;
}

AX_API int ax_init(const char *state_dir)
{
	int err = 0, oc = ax_nocancel();

	pthread_mutex_lock(&init_mu);
	if (ax_sess.ctl >= 0) {
		char want[PATH_MAX];
		int count;

		if (state_dir && (instance_state_dir(state_dir, NULL, want, &count) ||
				  strcmp(want, ax_sess.dir)))
			err = -EALREADY;
	} else {
		err = session_open(state_dir);
	}
	pthread_mutex_unlock(&init_mu);
	ax_cancel_restore(oc);
	return (int)ax_ret(err);
}

/* ---- fork ---- */

/* The handlers' reads and writes are cancellation points, and a thread
 * cancelled in them would leave both locks held: held off from prepare to
 * the parent's or child's handler (the state travels in the child too). */
static __thread int fork_cancel_state;

static void atfork_prepare(void)
{
	fork_cancel_state = ax_nocancel();
	/* No request may be half-sent when the child copies the session. */
	pthread_mutex_lock(&init_mu);
	pthread_mutex_lock(&ax_sess.mu);
	if (ax_sess.ctl >= 0 && pipe2(fork_pipe, O_CLOEXEC) < 0)
		fork_pipe[0] = fork_pipe[1] = -1;
}

static void atfork_parent(void)
{
	if (fork_pipe[0] >= 0) {
		char c;

		ax_sys_close(fork_pipe[1]);
		/* Until the child holds its references (or died). */
		while (ax_sys_read(fork_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		ax_sys_close(fork_pipe[0]);
		fork_pipe[0] = fork_pipe[1] = -1;
		/* The sockets now have users in another process. */
		ax_sess.shared = 1;
	}
	pthread_mutex_unlock(&ax_sess.mu);
	pthread_mutex_unlock(&init_mu);
	ax_cancel_restore(fork_cancel_state);
}

static void atfork_child(void)
{
	struct axipc_attach at = { .version = AXIPC_VERSION };
	struct axipc_hello_rep rep;
	int ctl, lost, err = -EPROTO;

	/* The child's own mutexes: whatever other threads held is gone. */
	pthread_mutex_init(&ax_sess.mu, NULL);
	pthread_mutex_init(&init_mu, NULL);
	if (ax_sess.ctl < 0) {
		ax_cancel_restore(fork_cancel_state);
		return;
	}
	ax_sys_close(fork_pipe[0]);
	memcpy(at.token, ax_sess.hdr->token, sizeof(at.token));
	ctl = open_ctl();
	if (ctl >= 0) {
		err = call_locked(ctl, AXIPC_ATTACH, 0, &at, sizeof(at), &rep, sizeof(rep), NULL, 0,
				  &lost);
		if (err < 0)
			ax_sys_close(ctl);
	}
	ax_sys_close(ax_sess.ctl); /* the parent's connection: never ours to use */
	if (err < 0) {
		/* The child cannot use the sockets; their calls fail with
		 * ECONNRESET (the instance went away, from its point of view). */
		ax_sess.broken = 1;
		ax_sess.ctl = open("/dev/null", O_RDONLY | O_CLOEXEC);
	} else {
		ax_sess.ctl = ctl;
	}
	ax_sess.shared = 1;
	if (fork_pipe[1] >= 0) {
		char c = 1;
		ssize_t r = ax_sys_write(fork_pipe[1], &c, 1);
		(void)r;
		ax_sys_close(fork_pipe[1]);
	}
	fork_pipe[0] = fork_pipe[1] = -1;
	ax_cancel_restore(fork_cancel_state);
}
