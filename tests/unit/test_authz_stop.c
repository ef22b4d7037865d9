/*
 * test_authz_stop.c - the authorizer while the instance stops, in run.c's
 * order: the engine's connections end (stack_fini), authz_stop(), then
 * axiom_close() commits what is queued and runs the last callbacks, then
 * authz_close(). What was in flight then (a policy push, an authorization)
 * commits and its callback runs against an engine that is gone.
 *
 * A real Axiom log in a temporary directory; the engine on a fake device.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "axiom/axiom.h"
#include "policy/authz.h"
#include "fake_netif.h"
#include "testlib.h"

static struct fake_host H;

static struct {
	int calls, err;
	uint64_t seq;
} PUSH;

static void on_push(void *arg, const struct authz_push_result *res)
{
	(void)arg;
	PUSH.calls++;
	PUSH.err = res->err;
	PUSH.seq = res->seq;
}

/* Run what the log has finished, until it is quiet for 100 ms. */
static void drain(struct axiom *ax)
{
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = axiom_event_fd(ax), .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			return;
		axiom_dispatch(ax);
	}
}

/* Entries in dir's log. */
static long entries(const char *dir)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	char err[256];
	long n = 0;

	if (axiom_iter_open(&it, dir, 0, err, sizeof(err)) < 0)
		return -1;
	while (axiom_iter_next(it, &e) > 0)
		n++;
	axiom_iter_close(it);
	return n;
}

/*
 * A policy push proposed just before the stop commits during
 * axiom_close(): its callback (revoking what the new policy no longer
 * allows) runs once the engine's connection table is gone, and must find
 * nothing to revoke rather than walk a table that is not there. The push
 * is in the log and in force at the next start.
 * BUG (fixed): the revocation walk read the freed engine's table (NULL):
 * SIGSEGV at stop.
 */
TEST(push_committing_at_stop)
{
	static const char pol1[] = "default deny in\ndefault allow out\nallow in tcp to port 80\n";
	static const char pol2[] = "default deny in\ndefault allow out\n";
	char dir[] = "/tmp/axnet-test-authz-stop-XXXXXX", err[256], cmd[128];
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct pol_policy *p = NULL;
	struct pol_error pe;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	uint64_t seq = 0;

	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE(fake_host_init(&H) == 0);
	xc.dir = dir;
	REQUIRE(axiom_open(&ax, &xc, err, sizeof(err)) == 0);
	REQUIRE(pol_parse(pol1, sizeof(pol1) - 1, "one.pol", &p, &pe) == 0);
	ac.stack = &H.s;
	ac.ax = ax;
	ac.state_dir = dir;
	ac.policy = p;
	ac.policy_source = "one.pol";
	REQUIRE(authz_open(&a, &ac, err, sizeof(err)) == 0);
	drain(ax);
	CHECK_EQ(entries(dir), 1); /* the push of one.pol */

	memset(&PUSH, 0, sizeof(PUSH));
	REQUIRE(authz_push(a, pol2, sizeof(pol2) - 1, "two.pol", on_push, NULL, &pe) == 0);
	/* The stop, before the loop dispatched the commit. */
	stack_fini(&H.s);
	authz_stop(a);
	axiom_close(ax);
	authz_close(a);
	CHECK_EQ(PUSH.calls, 1);
	CHECK_EQ(PUSH.err, 0);
	CHECK_EQ(PUSH.seq, 2);
	CHECK_EQ(entries(dir), 2);

	/* The next start has two.pol in force. */
	REQUIRE(fake_host_init(&H) == 0);
	REQUIRE(axiom_open(&ax, &xc, err, sizeof(err)) == 0);
	ac.ax = ax;
	ac.policy = NULL;
	ac.policy_source = NULL;
	REQUIRE(authz_open(&a, &ac, err, sizeof(err)) == 0);
	authz_policy(a, &seq);
	CHECK_EQ(seq, 2);
	CHECK_EQ(pol_nrules(authz_policy(a, NULL)), 0);
	stack_fini(&H.s);
	authz_stop(a);
	axiom_close(ax);
	authz_close(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

/* Entry seq of dir's log: its type and text; 1 found. */
static int entry_at(const char *dir, uint64_t seq, uint16_t *type, char *text, size_t len)
{
	struct axiom_iter *it;
	struct axiom_entry e;
	char err[256];
	int rc;

	if (axiom_iter_open(&it, dir, 0, err, sizeof(err)) < 0)
		return -1;
	while ((rc = axiom_iter_next(it, &e)) == 1)
		if (e.seq == seq) {
			*type = e.type;
			snprintf(text, len, "%.*s", (int)e.len, (const char *)e.payload);
			break;
		}
	axiom_iter_close(it);
	return rc;
}

/*
 * An inbound connection whose authorization is still committing when the
 * instance stops: the engine forgets it (stack_fini), the entry commits,
 * and its close ("gone-before-commit") is written too, before the log
 * closes; nothing owed is lost (axiom_close() returns 0).
 * BUG (fixed): the commit's callback ran inside axiom_close(), whose log
 * no longer took entries: the authorization stayed open in the log until
 * the next start closed it as instance-restarted.
 */
TEST(authorization_committing_at_stop_is_closed)
{
	static const char pol[] = "default deny in\ndefault allow out\nallow in tcp to port 80\n";
	char dir[] = "/tmp/axnet-test-authz-stop-XXXXXX", err[256], cmd[128], text[256];
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct fake_tcp_app app = { 0 };
	struct fake_tcp_peer peer;
	struct pol_policy *p = NULL;
	struct pol_error pe;
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	uint8_t o[40];
	uint16_t type = 0;
	size_t n;

	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE(fake_host_init(&H) == 0);
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	REQUIRE(fake_pin_neighbour(&H, FAKE_PEER_IP) == 0);
	xc.dir = dir;
	REQUIRE(axiom_open(&ax, &xc, err, sizeof(err)) == 0);
	REQUIRE(pol_parse(pol, sizeof(pol) - 1, "test", &p, &pe) == 0);
	ac.stack = &H.s;
	ac.ax = ax;
	ac.state_dir = dir;
	ac.policy = p;
	ac.policy_source = "test";
	REQUIRE(authz_open(&a, &ac, err, sizeof(err)) == 0);
	drain(ax);
	tcp_set_syncookies(&H.s, TCP_SYNCOOKIES_NEVER);
	REQUIRE(tcp_listen(&H.s, 80, 16, fake_tcp_app_cb(), &app) != NULL);

	fake_tcp_peer_init(&peer, &H, 40000, 80, 0x1000);
	n = fake_tcp_syn_opts(o, 1460, 7, 1, 1, 100);
	fake_tcp_rx(&peer, 0x1000, 0, TH_SYN, 65535, o, n, NULL, 0);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	/* The stop, before the loop dispatched the commit. */
	stack_fini(&H.s);
	authz_stop(a);
	CHECK_EQ(axiom_close(ax), 0);
	authz_close(a);
	CHECK_EQ(entries(dir), 3);
	CHECK_EQ(entry_at(dir, 2, &type, text, sizeof(text)), 1);
	CHECK_EQ(type, AXIOM_CONN_AUTHORIZE);
	CHECK_EQ(entry_at(dir, 3, &type, text, sizeof(text)), 1);
	CHECK_EQ(type, AXIOM_CONN_CLOSE);
	CHECK(strcmp(text, "auth=2 reason=gone-before-commit") == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

TEST_MAIN(T(push_committing_at_stop), T(authorization_committing_at_stop_is_closed))
