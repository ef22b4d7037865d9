/*
 * authz_helper.h - the harness the authorizer's unit tests share: the
 * engine on a fake device (fake_netif.h) that knows the peer, a real Axiom
 * log in a directory of the test's own, the authorizer opened on both, the
 * log's callbacks run until a commit, its entries read back, and the
 * teardown in run.c's order (as tcp_helper.h does for the TCP tests).
 *
 * What differs between tests stays in the test: the log's storage backend
 * and logger (axiom_config), the authorizer's options (authz_config:
 * reject_rate, sink, start_text), the policy text, the order of stack_fini.
 *
 * The AUTHZ_* macros REQUIRE as the test's own lines would (each REQUIRE is
 * one check in the "# N checks" summary, and a failure returns from the
 * test), so they are used in a TEST body only.
 */
#ifndef AX_TEST_AUTHZ_HELPER_H
#define AX_TEST_AUTHZ_HELPER_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axiom/axiom.h"
#include "authz/authz.h"
#include "policy/policy.h"
#include "fake_netif.h"
#include "testlib.h"
#include "udp_helper.h"

/* A fresh host h whose neighbour entry for the peer is pinned (the
 * authorizer's frames go out without ARP). Two checks. */
#define AUTHZ_HOST(h)                                                 \
	do {                                                          \
		REQUIRE(fake_host_init(h) == 0);                      \
		fake_learn(h, FAKE_PEER_IP, FAKE_PEER_MAC);           \
		REQUIRE(fake_pin_neighbour(h, FAKE_PEER_IP) == 0);    \
	} while (0)

/* The log in dir (xc: its storage and logger; xc.dir set here) into ax,
 * and the authorizer on h's stack into a with policy text pol (source
 * "test") and ac's other fields as the test set them. Three checks. */
#define AUTHZ_OPEN(h, dir, xc, ac, pol, ax, a)                                    \
	do {                                                                      \
		struct pol_policy *p_ = NULL;                                     \
		struct pol_error pe_;                                             \
		char err_[256];                                                   \
                                                                                  \
		(xc).dir = (dir);                                                 \
		REQUIRE(axiom_open(&(ax), &(xc), err_, sizeof(err_)) == 0);       \
		REQUIRE(pol_parse(pol, strlen(pol), "test", &p_, &pe_) == 0);     \
		(ac).stack = &(h)->s;                                             \
		(ac).ax = (ax);                                                   \
		(ac).state_dir = (dir);                                           \
		(ac).policy = p_;                                                 \
		(ac).policy_source = "test";                                      \
		REQUIRE(authz_open(&(a), &(ac), err_, sizeof(err_)) == 0);        \
	} while (0)

/* Run Axiom's callbacks until cond holds (at most 5 s). */
#define DISPATCH_UNTIL(ax, cond)                                                   \
	do {                                                                       \
		for (int i_ = 0; i_ < 500 && !(cond); i_++) {                      \
			struct pollfd p_ = { .fd = axiom_event_fd(ax), .events = POLLIN }; \
			poll(&p_, 1, 10);                                          \
			axiom_dispatch(ax);                                        \
		}                                                                  \
	} while (0)

/* Run what the log has finished, until it is quiet for 100 ms. */
static inline void authz_drain(struct axiom *ax)
{
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = axiom_event_fd(ax), .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			return;
		axiom_dispatch(ax);
	}
}

/* The stop in run.c's order, once the engine is done with: the authorizer
 * stops, the log commits what is queued (its last callbacks run), then the
 * authorizer is freed. */
static inline void authz_teardown(struct axiom *ax, struct authz *a)
{
	authz_stop(a);
	axiom_close(ax);
	authz_close(a);
}

/* Remove dir and what is in it: system()'s status, 0 when done. */
static inline int authz_rmdir(const char *dir)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* An axiom_config.log that says nothing (the tests provoke the errors). */
static inline void authz_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* How many entries dir's log holds; -1 when it cannot be read. */
static inline long authz_log_count(const char *dir)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	char err[320];
	long n = 0;

	if (axiom_iter_open(&it, dir, 0, err, sizeof(err)) < 0)
		return -1;
	while (axiom_iter_next(it, &e) > 0)
		n++;
	axiom_iter_close(it);
	return n;
}

/* Entry seq of dir's log: its type and payload (NUL-terminated into
 * text); 1 found, 0 not, < 0 error. */
static inline int authz_log_entry(const char *dir, uint64_t seq, uint16_t *type, char *text,
				  size_t len)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	char err[320];
	int rc;

	if (axiom_iter_open(&it, dir, 0, err, sizeof(err)) < 0)
		return -1;
	while ((rc = axiom_iter_next(it, &e)) == 1) {
		if (e.seq != seq)
			continue;
		*type = e.type;
		snprintf(text, len, "%.*s", (int)e.len, (const char *)e.payload);
		break;
	}
	axiom_iter_close(it);
	return rc;
}

/* p's sha256 in hex, as a push entry names it ("" if it cannot hash). */
static inline void authz_hash_hex(const struct pol_policy *p, char out[65])
{
	uint8_t h[32];

	out[0] = '\0';
	if (pol_hash(p, h) == 0)
		for (int i = 0; i < 32; i++)
			snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* A SYN from the peer's port sport to our lport, ISN 0x1000, with Linux's
 * options (MSS 1460, WS 7, SACK, TSval 100); p set up for its connection. */
static inline void authz_syn(struct fake_tcp_peer *p, struct fake_host *h, uint16_t sport,
			     uint16_t lport)
{
	uint8_t o[40];
	size_t n = fake_tcp_syn_opts(o, 1460, 7, 1, 1, 100);

	fake_tcp_peer_init(p, h, sport, lport, 0x1000);
	fake_tcp_rx(p, 0x1000, 0, TH_SYN, 65535, o, n, NULL, 0);
}

/* What authz_push()'s callback was told, recorded by authz_on_push (its
 * arg): how many calls, and the last one's result. */
struct authz_push_log {
	unsigned int calls;
	int err;
	uint64_t seq;
	unsigned int revoked;
};

static inline void authz_on_push(void *arg, const struct authz_push_result *res)
{
	struct authz_push_log *l = arg;

	l->calls++;
	l->err = res->err;
	l->seq = res->seq;
	l->revoked = res->revoked;
}

/* A UDP receive callback (udp_recv_fn) that counts the datagrams it is
 * given into the unsigned int at arg. */
static inline void authz_udp_count(void *arg, const struct ip_addr *src, uint16_t sport,
				   uint16_t dport, const uint8_t *data, size_t len)
{
	(void)src;
	(void)sport;
	(void)dport;
	(void)data;
	(void)len;
	(*(unsigned int *)arg)++;
}

/* Into f: a UDP datagram from the peer's sport to our dport carrying
 * payload, no checksum (legal over IPv4, RFC 768); its length. */
static inline size_t authz_udp_frame(uint8_t *f, uint16_t sport, uint16_t dport,
				     const char *payload)
{
	return udp_helper_frame(f, sport, dport, payload, strlen(payload));
}

#endif /* AX_TEST_AUTHZ_HELPER_H */
