/*
 * relay.c - see relay.h.
 */
#include "relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/log.h"
#include "net/stack.h"
#include "net/tcp.h"

#define RELAY_BUF 65536

struct relay {
	struct tcp_pcb *pcb; /* NULL once TCP closed it */
	int fd;
	int connected;
	int failed;        /* connect failed or connection reset */
	int in_eof;        /* the client half-closed: FIN sent */
	int peer_eof;      /* the peer's FIN came and was passed on */
	uint32_t olen, ooff; /* bytes for the client in obuf */
	uint8_t obuf[RELAY_BUF];
};

static void flush_out(struct relay *r)
{
	while (r->ooff < r->olen) {
		ssize_t n = send(r->fd, r->obuf + r->ooff, r->olen - r->ooff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				r->failed = 1; /* the client went away */
				r->olen = r->ooff = 0;
			}
			return;
		}
		r->ooff += (uint32_t)n;
	}
	r->olen = r->ooff = 0;
}

static void say(struct relay *r, const char *line)
{
	size_t n = strlen(line);

	if (n > RELAY_BUF - r->olen)
		n = RELAY_BUF - r->olen;
	memcpy(r->obuf + r->olen, line, n);
	r->olen += (uint32_t)n;
	flush_out(r);
}

/* Move what TCP received to the client, as far as the buffer allows. */
static void pull(struct relay *r)
{
	while (r->pcb && !r->peer_eof && r->olen < RELAY_BUF) {
		int n = tcp_read(r->pcb, r->obuf + r->olen, RELAY_BUF - r->olen);

		if (n == -EAGAIN)
			break;
		if (n == 0) {
			r->peer_eof = 1;
			break;
		}
		if (n < 0)
			break;
		r->olen += (uint32_t)n;
	}
	flush_out(r);
	if (r->peer_eof && r->olen == 0)
		shutdown(r->fd, SHUT_WR);
}

static void on_connected(void *arg, struct tcp_pcb *pcb, int err)
{
	struct relay *r = arg;
	char line[128];

	(void)pcb;
	if (err) {
		/* EACCES here is the authorizer's refusal, not a
		 * file permission: say it in those words. */
		snprintf(line, sizeof(line), "error %s\n",
			 err == -EACCES ? "authorization denied" : strerror(-err));
		r->failed = 1;
		r->pcb = NULL; /* TCP frees it */
		say(r, line);
		return;
	}
	r->connected = 1;
	say(r, "connected\n");
}

static void on_readable(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	pull(arg);
}

static void on_writable(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	(void)pcb; /* the loop polls the client again: relay_events */
}

static void on_closed(void *arg, struct tcp_pcb *pcb, int err)
{
	struct relay *r = arg;

	(void)pcb;
	r->pcb = NULL;
	if (err) {
		log_info("nc: connection closed: %s", strerror(-err));
		r->failed = 1;
	}
}

static const struct tcp_callbacks relay_cb = {
	.connected = on_connected,
	.readable = on_readable,
	.writable = on_writable,
	.closed = on_closed,
};

struct relay *relay_start(struct ax_stack *s, int fd, uint32_t dst, uint16_t port)
{
	struct relay *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->fd = fd;
	err = tcp_connect(s, dst, port, &relay_cb, r, &r->pcb);
	if (err) {
		free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

short relay_events(const struct relay *r)
{
	short ev = 0;

	if (r->olen)
		ev |= POLLOUT;
	/* Read from the client only what TCP can take now. */
	if (r->connected && r->pcb && !r->in_eof && tcp_sndbuf(r->pcb) > 0)
		ev |= POLLIN;
	return ev;
}

void relay_io(struct relay *r, short revents)
{
	uint8_t buf[RELAY_BUF];

	if (revents & POLLOUT) {
		flush_out(r);
		pull(r); /* room again: take more from TCP */
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && r->connected && r->pcb &&
	    !r->in_eof) {
		uint32_t room = tcp_sndbuf(r->pcb);
		ssize_t n;

		if (room > sizeof(buf))
			room = sizeof(buf);
		if (room == 0)
			return;
		n = recv(r->fd, buf, room, MSG_DONTWAIT);
		if (n == 0) {
			r->in_eof = 1;
			tcp_shutdown(r->pcb);
		} else if (n > 0) {
			tcp_write(r->pcb, buf, (size_t)n); /* fits: room */
		} else if (errno != EAGAIN && errno != EINTR) {
			r->failed = 1;
		}
	}
}

int relay_done(const struct relay *r)
{
	if (r->failed)
		return r->olen == 0 || !r->connected;
	return r->in_eof && r->peer_eof && r->olen == 0;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	if (r->pcb) {
		if (r->failed)
			tcp_abort(r->pcb);
		else
			tcp_close(r->pcb);
	}
	free(r);
}
