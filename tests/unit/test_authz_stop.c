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
#include <stdint.h>

#include "authz_helper.h"

static struct fake_host H;

static struct authz_push_log PUSH;

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
	char dir[] = "/tmp/axnet-test-authz-stop-XXXXXX", err[256];
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
	authz_drain(ax);
	CHECK_EQ(authz_log_count(dir), 1); /* the push of one.pol */

	memset(&PUSH, 0, sizeof(PUSH));
	REQUIRE(authz_push(a, pol2, sizeof(pol2) - 1, "two.pol", authz_on_push, &PUSH, &pe) == 0);
	/* The stop, before the loop dispatched the commit. */
	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(PUSH.calls, 1);
	CHECK_EQ(PUSH.err, 0);
	CHECK_EQ(PUSH.seq, 2);
	CHECK_EQ(authz_log_count(dir), 2);

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
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
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
	char dir[] = "/tmp/axnet-test-authz-stop-XXXXXX", text[256];
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct fake_tcp_app app = { 0 };
	struct fake_tcp_peer peer;
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	uint16_t type = 0;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	tcp_set_syncookies(&H.s, TCP_SYNCOOKIES_NEVER);
	REQUIRE(tcp_listen(&H.s, 80, 16, fake_tcp_app_cb(), &app) != NULL);

	authz_syn(&peer, &H, 40000, 80);
	authz_stats(a, &st);
	CHECK_EQ(st.pending, 1);
	/* The stop, before the loop dispatched the commit. */
	stack_fini(&H.s);
	authz_stop(a);
	CHECK_EQ(axiom_close(ax), 0);
	authz_close(a);
	CHECK_EQ(authz_log_count(dir), 3);
	CHECK_EQ(authz_log_entry(dir, 2, &type, text, sizeof(text)), 1);
	CHECK_EQ(type, AXIOM_CONN_AUTHORIZE);
	CHECK_EQ(authz_log_entry(dir, 3, &type, text, sizeof(text)), 1);
	CHECK_EQ(type, AXIOM_CONN_CLOSE);
	CHECK(strcmp(text, "auth=2 reason=gone-before-commit") == 0);
	CHECK_EQ(authz_rmdir(dir), 0);
}

TEST_MAIN(T(push_committing_at_stop), T(authorization_committing_at_stop_is_closed))
