/*
 * services.c - see services.h. The services are event-driven: they read
 * when TCP says data is there, and the echo and chargen services write only
 * what the send ring can take, so a slow reader throttles the writer
 * through TCP's own windows (nothing is buffered here).
 */
#include "services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

enum svc_kind { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_UDP_ECHO };

struct service {
	enum svc_kind kind;
	uint16_t port;
	struct tcp_pcb *listener;
	struct ax_stack *udp_stack;   /* UDP services: bound on this stack */
	const char *name;
};

#define MAX_SERVICES 8
static struct service services[MAX_SERVICES];
static unsigned int n_services;
static uint8_t scratch[65536];

/*
 * RFC 864's pattern: lines of 72 of the 95 printable ASCII characters,
 * each line starting one character further on, ended by CR LF; it repeats
 * every 95 lines. Every chargen write is a whole number of periods, so
 * each connection's stream is the pattern from its first byte on without
 * any per-connection state (a client can check it).
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

/* Fill the send ring: on accept and whenever ACKs free space. */
static void chargen_fill(void *arg, struct tcp_pcb *pcb)
{
	uint32_t room;

	(void)arg;
	while ((room = tcp_sndbuf(pcb)) >= CHARGEN_PERIOD) {
		size_t n = room - room % CHARGEN_PERIOD;

		if (n > sizeof(chargen_buf))
			n = sizeof(chargen_buf);
		/* n <= tcp_sndbuf(): taken whole, or not at all (closing). */
		if (tcp_write(pcb, chargen_buf, n) <= 0)
			return;
	}
}

static void pump(void *arg, struct tcp_pcb *pcb)
{
	struct service *svc = arg;

	for (;;) {
		size_t want = sizeof(scratch);
		int n;

		if (svc->kind == SVC_ECHO) {
			uint32_t room = tcp_sndbuf(pcb);

			if (room == 0)
				return; /* writable will call again */
			if (room < want)
				want = room;
		}
		n = tcp_read(pcb, scratch, want);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			/* The peer is done; so are we. Chargen stops here
			 * too (a reset ends it through `closed`). */
			tcp_close(pcb);
			return;
		}
		if (n < 0)
			return;
		if (svc->kind == SVC_ECHO)
			tcp_write(pcb, scratch, (size_t)n);
	}
}

static void on_closed(void *arg, struct tcp_pcb *pcb, int err)
{
	(void)arg;
	(void)pcb;
	(void)err;
}

static const struct tcp_callbacks conn_cb = {
	.readable = pump,
	.writable = pump,
	.closed = on_closed,
};

/* Chargen reads like discard (RFC 864: what the user sends is thrown
 * away) and writes whenever there is room. */
static const struct tcp_callbacks chargen_cb = {
	.readable = pump,
	.writable = chargen_fill,
	.closed = on_closed,
};

static void on_accepted(void *arg, struct tcp_pcb *pcb)
{
	struct service *svc = arg;

	if (svc->kind == SVC_CHARGEN) {
		tcp_set_callbacks(pcb, &chargen_cb, arg);
		chargen_fill(arg, pcb);
		return;
	}
	tcp_set_callbacks(pcb, &conn_cb, arg);
}

static const struct tcp_callbacks listen_cb = {
	.accepted = on_accepted,
};

/* UDP echo (RFC 862 4): each datagram back to where it came from. */
static void udp_echo(void *arg, uint32_t src, uint16_t sport, uint16_t dport,
		     const uint8_t *data, size_t len)
{
	struct service *svc = arg;

	udp_sendto(svc->udp_stack, src, dport, sport, data, len);
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
		svc->listener = NULL;
		n_services++;
	}
	return 0;
}

int services_start(struct ax_stack *s)
{
	unsigned int i;

	for (i = 0; i < n_services; i++) {
		struct service *svc = &services[i];
		int err;

		if (svc->kind == SVC_UDP_ECHO) {
			svc->udp_stack = s;
			err = udp_bind(s, svc->port, udp_echo, svc);
			if (err)
				return log_err(err, "cannot bind UDP port %u: %s", svc->port,
					       strerror(-err));
			log_info("serving echo on UDP port %u", svc->port);
			continue;
		}
		svc->listener = tcp_listen(s, svc->port, 1024, &listen_cb, svc);
		if (!svc->listener)
			return log_err(-errno, "cannot listen on TCP port %u: %s", svc->port,
				       strerror(errno));
		log_info("serving %s on TCP port %u", svc->name, svc->port);
	}
	return 0;
}

void services_stop(void)
{
	unsigned int i;

	for (i = 0; i < n_services; i++) {
		if (services[i].listener)
			tcp_close(services[i].listener);
		if (services[i].udp_stack)
			udp_unbind(services[i].udp_stack, services[i].port);
	}
	n_services = 0;
}
