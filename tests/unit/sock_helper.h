/*
 * sock_helper.h - what the socket layer's unit tests (sock/) share: the
 * daemon's credentials, an owner's event callback that logs what it was
 * told, and IPv4 socket addresses for the calls.
 */
#ifndef AX_TEST_SOCK_HELPER_H
#define AX_TEST_SOCK_HELPER_H

#include <netinet/in.h>
#include <stdint.h>

#include "sock/sock.h"
#include "util/cred.h"

static const struct ax_cred ROOT = { .uid = 0, .gid = 0, .pid = 1, .exe = "/usr/sbin/axnetd" };

/* The last events a socket's owner was told of (on_event's arg). */
struct evlog {
	unsigned int n;
	uint32_t last;
};

static inline void on_event(void *arg, struct sock *so, uint32_t events)
{
	struct evlog *e = arg;

	(void)so;
	e->n++;
	e->last = events;
}

static inline struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	s.sin_addr.s_addr = addr;
	return s;
}

/* A sockaddr_in as a call's (address, length) arguments. */
#define SA(x) (const struct sockaddr *)&(x), sizeof(x)

#endif /* AX_TEST_SOCK_HELPER_H */
