/*
 * services.c - see services.h. The services are event-driven: they read
 * when the socket layer says data is there (its readiness events), and
 * the echo and chargen services write only what the send buffer takes, so
 * a slow reader throttles the writer through TCP's own windows (nothing is
 * buffered here).
 */
#include "services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "sock/sock.h"
#include "util/log.h"

enum svc_kind { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_UDP_ECHO };

struct service {
	enum svc_kind kind;
	uint16_t port;
	struct sock *so;   /* the listening (TCP) or bound (UDP) socket */
	const char *name;
};

/* One accepted connection: where chargen's pattern goes on, and the list
 * services_stop() closes. */
struct svc_conn {
	struct service *svc;
	struct sock *so;
	uint32_t off;      /* chargen: bytes sent, modulo the period */
	struct svc_conn *prev, *next;
};

#define MAX_SERVICES 8
static struct service services[MAX_SERVICES];
static unsigned int n_services;
static struct svc_conn *conns;
static uint8_t scratch[65536];

/*
 * RFC 864's pattern: lines of 72 of the 95 printable ASCII characters,
 * each line starting one character further on, ended by CR LF; it repeats
 * every 95 lines. A connection's stream is the pattern from its first byte
 * on (a client can check it): each connection remembers where it is in
 * the period, and the buffer holds whole periods, so a write from that
 * offset continues the pattern.
 */
#define CHARGEN_LINE 74                    /* 72 characters, CR, LF */
#define CHARGEN_PERIOD (95 * CHARGEN_LINE) /* 7030 bytes */
static uint8_t chargen_buf[8 * CHARGEN_PERIOD];

static void chargen_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(chargen_buf); i++) {
		size_t line = i / CHARGEN_LINE, col = i % CHARGEN_LINE;

		if (col < 72)
			chargen_buf[i] = (uint8_t)(' ' + (line + col) % 95);
		else
			chargen_buf[i] = col == 72 ? '\r' : '\n';
	}
}

static void conn_close(struct svc_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sock_close(c->so);
	free(c);
}

/* Fill the send buffer as far as it takes: on accept and whenever ACKs
 * free space. */
static void chargen_fill(struct svc_conn *c)
{
	for (;;) {
		ssize_t n = sock_send(c->so, chargen_buf + c->off, sizeof(chargen_buf) - c->off,
				      MSG_NOSIGNAL, NULL, 0);

		if (n <= 0)
			return;
		c->off = (uint32_t)((c->off + (size_t)n) % CHARGEN_PERIOD);
	}
}

/*
 * Read what came. Echo peeks, sends what the send buffer takes and only
 * then consumes that much, so a slow reader throttles the writer through
 * TCP's own windows (nothing is buffered here). Discard and chargen throw
 * it away unread (RFC 863, RFC 864). 1 when the connection was closed.
 */
static int pump(struct svc_conn *c)
{
	for (;;) {
		ssize_t n, w;

		if (c->svc->kind != SVC_ECHO) {
			n = sock_recv(c->so, NULL, SIZE_MAX, MSG_TRUNC, NULL, NULL);
		} else {
			n = sock_recv(c->so, scratch, sizeof(scratch), MSG_PEEK, NULL, NULL);
			if (n > 0) {
				w = sock_send(c->so, scratch, (size_t)n, MSG_NOSIGNAL, NULL, 0);
				if (w <= 0)
					return 0; /* room comes with an EPOLLOUT event */
				sock_recv(c->so, NULL, (size_t)w, MSG_TRUNC, NULL, NULL);
				continue;
			}
		}
		if (n == -EAGAIN)
			return 0;
		if (n <= 0) {
			/* The peer is done (0), or the connection is gone
			 * (reset, timed out): so are we. Chargen stops here
			 * too. */
			conn_close(c);
			return 1;
		}
	}
}

static void conn_event(void *arg, struct sock *so, uint32_t events)
{
	struct svc_conn *c = arg;

	(void)so;
	if (pump(c))
		return;
	if (c->svc->kind == SVC_CHARGEN && (events & EPOLLOUT))
		chargen_fill(c);
}

static void listen_event(void *arg, struct sock *so, uint32_t events)
{
	struct service *svc = arg;
	struct sock *nso;

	(void)events;
	while (sock_accept(so, &nso) == 0) {
		struct svc_conn *c = calloc(1, sizeof(*c));

		if (!c) {
			sock_close(nso);
			continue;
		}
		c->svc = svc;
		c->so = nso;
		c->next = conns;
		if (conns)
			conns->prev = c;
		conns = c;
		sock_set_event(nso, conn_event, c);
		conn_event(c, nso, sock_poll(nso));
	}
}

/* UDP echo (RFC 862 4): each datagram back to where it came from. */
static void udp_echo(void *arg, struct sock *so, uint32_t events)
{
	(void)arg;
	(void)events;
	for (;;) {
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t n = sock_recv(so, scratch, sizeof(scratch), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		sock_send(so, scratch, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

int services_parse(const char *spec)
{
	char buf[256], *tok, *save = NULL;

	n_services = 0;
	if (strlen(spec) >= sizeof(buf)) {
		fprintf(stderr, "axnet run: --serve list too long\n");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct service *svc;
		char *colon = strchr(tok, ':'), *end;
		unsigned long port;

		if (n_services == MAX_SERVICES || !colon) {
			fprintf(stderr, "axnet run: --serve wants NAME:PORT[,NAME:PORT], got '%s'\n", tok);
			return -EINVAL;
		}
		*colon = '\0';
		port = strtoul(colon + 1, &end, 10);
		if (*end || port == 0 || port > 65535) {
			fprintf(stderr, "axnet run: bad port in --serve: '%s'\n", colon + 1);
			return -EINVAL;
		}
		svc = &services[n_services];
		if (strcmp(tok, "echo") == 0) {
			svc->kind = SVC_ECHO;
		} else if (strcmp(tok, "discard") == 0) {
			svc->kind = SVC_DISCARD;
		} else if (strcmp(tok, "chargen") == 0) {
			svc->kind = SVC_CHARGEN;
			chargen_init();
		} else if (strcmp(tok, "udp-echo") == 0) {
			svc->kind = SVC_UDP_ECHO;
		} else {
			fprintf(stderr, "axnet run: unknown service '%s' (echo, discard, chargen, "
					"udp-echo)\n", tok);
			return -EINVAL;
		}
		svc->port = (uint16_t)port;
		svc->name = svc->kind == SVC_ECHO	     ? "echo"
			    : svc->kind == SVC_DISCARD   ? "discard"
			    : svc->kind == SVC_CHARGEN   ? "chargen"
							 : "udp-echo";
		svc->so = NULL;
		n_services++;
	}
	return 0;
}

int services_start(struct sock_layer *l, const struct ax_cred *owner)
{
	unsigned int i;
	int one = 1;

	for (i = 0; i < n_services; i++) {
		struct service *svc = &services[i];
		int udp = svc->kind == SVC_UDP_ECHO;
		/* [::] without V6ONLY: one socket serves both families. */
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(svc->port) };
		int err;

		err = sock_create_af(l, AF_INET6, udp ? SOCK_DGRAM : SOCK_STREAM, owner, &svc->so);
		if (err)
			return log_err(err, "cannot make a socket for %s: %s", svc->name,
				       strerror(-err));
		sock_setsockopt(svc->so, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sock_set_event(svc->so, udp ? udp_echo : listen_event, svc);
		err = sock_bind(svc->so, (struct sockaddr *)&sin6, sizeof(sin6));
		if (!err && !udp)
			err = sock_listen(svc->so, 1024);
		if (err)
			return log_err(err, "cannot %s %s port %u: %s", udp ? "bind" : "listen on",
				       udp ? "UDP" : "TCP", svc->port, strerror(-err));
		if (udp)
			log_info("serving echo on UDP port %u", svc->port);
		else
			log_info("serving %s on TCP port %u", svc->name, svc->port);
	}
	return 0;
}

void services_stop(void)
{
	unsigned int i;

	while (conns)
		conn_close(conns);
	for (i = 0; i < n_services; i++) {
		sock_close(services[i].so);
		services[i].so = NULL;
	}
	n_services = 0;
}
