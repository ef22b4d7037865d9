/*
 * control.c - the control server's side: see control.h.
 */
#include "control.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/instance.h"

int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, err = instance_sockaddr(path, &sa);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Only root talks to an instance: the socket can push policies and
	 * make the instance read files, whatever the umask was. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ctl_out_printf(struct ctl_out *o, size_t max, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return ctl_out_write(o, max, line, (size_t)n);
}

int ctl_out_write(struct ctl_out *o, size_t max, const void *data, size_t n)
{
	if (ctl_out_pending(o) + n > max)
		return -ENOBUFS;
	if (o->off && o->len + n > o->cap) {
		/* Sent bytes make room first. */
		memmove(o->buf, o->buf + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
	}
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (cap < o->len + n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b)
			return -ENOMEM;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
	return 0;
}

int ctl_out_flush(struct ctl_out *o, int fd, uint64_t now_ns)
{
	size_t before = ctl_out_pending(o);

	while (ctl_out_pending(o)) {
		ssize_t n = send(fd, o->buf + o->off, ctl_out_pending(o),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		o->off += (size_t)n;
	}
	if (!ctl_out_pending(o)) {
		o->off = o->len = 0;
		o->stalled_ns = 0;
		/* A big table's buffer is not kept for the client's life. */
		if (o->cap > CTL_OUT_LINES) {
			free(o->buf);
			o->buf = NULL;
			o->cap = 0;
		}
	} else if (ctl_out_pending(o) < before || !o->stalled_ns) {
		o->stalled_ns = now_ns;
	}
	return 0;
}

void ctl_out_free(struct ctl_out *o)
{
	free(o->buf);
	*o = (struct ctl_out){ 0 };
}
