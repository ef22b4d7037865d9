/*
 * services.c - see services.h. Both services are event-driven: they read
 * when TCP says data is there, and the echo service writes only what the
 * send ring can take, so a slow reader throttles the writer through TCP's
 * own windows (nothing is buffered here).
 */
#include "services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/log.h"
#include "net/stack.h"
#include "net/tcp.h"

enum svc_kind { SVC_ECHO, SVC_DISCARD };

struct service {
	enum svc_kind kind;
	uint16_t port;
	struct tcp_pcb *listener;
};

#define MAX_SERVICES 8
static struct service services[MAX_SERVICES];
static unsigned int n_services;
static uint8_t scratch[65536];

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
			tcp_close(pcb); /* the peer is done; so are we */
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

static void on_accepted(void *arg, struct tcp_pcb *pcb)
{
	tcp_set_callbacks(pcb, &conn_cb, arg);
}

static const struct tcp_callbacks listen_cb = {
	.accepted = on_accepted,
};

int services_start(struct ax_stack *s, const char *spec)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
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
		} else {
			fprintf(stderr, "axnet run: unknown service '%s' (echo, discard)\n", tok);
			return -EINVAL;
		}
		svc->port = (uint16_t)port;
		svc->listener = tcp_listen(s, svc->port, 1024, &listen_cb, svc);
		if (!svc->listener)
			return log_err(-errno, "cannot listen on TCP port %lu: %s", port,
				       strerror(errno));
		n_services++;
		log_info("serving %s on TCP port %lu", tok, port);
	}
	return 0;
}

void services_stop(void)
{
	unsigned int i;

	for (i = 0; i < n_services; i++)
		if (services[i].listener)
			tcp_close(services[i].listener);
	n_services = 0;
}
