/*
 * test_authz_owner.c - the connection's owner in authorization (authz.c
 * with a real Axiom log): the listener's owner decides inbound connections
 * by program, uid and group (the same port allowed to one program and
 * refused to another); the connection-authorize and connection-reject
 * entries name the owner (uid= gid= pid= exe=, exe escaped as a policy's
 * `program` path), and carry none when there is none; a connection is
 * re-checked after a push as the owner it was authorized for, whatever
 * became of its listener's since. UDP the same, both ways: the socket's
 * owner (struct udp_pcb) decides its flows and is named in their entries.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>

#include "authz_helper.h"
#include "net/udp.h"
#include "tcp_check.h"
#include "util/cred.h"

static struct fake_host H;
static struct fake_tcp_app A;
static struct fake_tcp_peer P;

static const char pol[] = "default deny in\n"
			  "default allow out\n"
			  "allow in tcp to port 80 program /usr/sbin/nginx\n"      /* 1 */
			  "allow in tcp to port 81 user 1000 group 100\n";         /* 2 */

static struct ax_cred cred(uint32_t uid, uint32_t gid, uint32_t pid, const char *exe)
{
	struct ax_cred c;

	memset(&c, 0, sizeof(c));
	c.uid = uid;
	c.gid = gid;
	c.pid = pid;
	snprintf(c.exe, sizeof(c.exe), "%s", exe);
	return c;
}

/* The text an entry about the flow between the peer's rport and our
 * lport starts with (kind: its direction and protocol). */
static void tuple(char *buf, size_t size, const char *kind, uint16_t rport, uint16_t lport,
		  unsigned int rule, uint64_t policy)
{
	char la[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN];
	uint32_t l = FAKE_OUR_IP, r = FAKE_PEER_IP;

	inet_ntop(AF_INET, &l, la, sizeof(la));
	inet_ntop(AF_INET, &r, ra, sizeof(ra));
	snprintf(buf, size, "%s local=%s:%u remote=%s:%u rule=%u policy=%" PRIu64, kind, la, lport,
		 ra, rport, rule, policy);
}

/* Entry seq's type and text, checked against want exactly. */
static int entry_is(const char *dir, uint64_t seq, uint16_t type, const char *want)
{
	char text[2048];
	uint16_t t = 0;

	if (authz_log_entry(dir, seq, &t, text, sizeof(text)) != 1)
		return printf("  entry %" PRIu64 " not found\n", seq), 0;
	if (t != type || strcmp(text, want) != 0)
		return printf("  entry %" PRIu64 ": type %u \"%s\"\n  want   type %u \"%s\"\n", seq,
			      t, text, type, want), 0;
	return 1;
}

TEST(same_port_by_program_and_owner_in_entries)
{
	char dir[] = "/tmp/axnet-test-authz-owner-XXXXXX";
	struct ax_cred nginx = cred(33, 33, 4242, "/usr/sbin/nginx");
	struct ax_cred apache = cred(33, 33, 4343, "/usr/sbin/apache2");
	struct ax_cred app = cred(1000, 100, 77, "/opt/my app/srv,1");
	struct ax_cred app_other_group = cred(1000, 101, 78, "/opt/my app/srv,1");
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct tcp_pcb *l80, *l81, *pcb;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	char want[1024], head[512];
	uint64_t pol_seq, seq;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	authz_policy(a, &pol_seq);
	memset(&A, 0, sizeof(A));
	l80 = tcp_listen(&H.s, 80, 16, fake_tcp_app_cb(), &A);
	l81 = tcp_listen(&H.s, 81, 16, fake_tcp_app_cb(), &A);
	REQUIRE(l80 && l81);

	/* nginx's port 80: authorized, the entry names nginx */
	tcp_set_owner(l80, &nginx);
	authz_syn(&P, &H, 40000, 80);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.authorized == 1));
	REQUIRE(st.authorized == 1);
	pcb = tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 80, FAKE_V4(FAKE_PEER_IP), 40000);
	REQUIRE(pcb != NULL);
	seq = tcp_admit_tag(pcb);
	tuple(head, sizeof(head), "dir=in proto=tcp", 40000, 80, 1, pol_seq);
	snprintf(want, sizeof(want), "%s uid=33 gid=33 pid=4242 exe=/usr/sbin/nginx", head);
	CHECK(entry_is(dir, seq, AXIOM_CONN_AUTHORIZE, want));

	/* the same port, apache's: refused, the reject entry names apache */
	tcp_set_owner(l80, &apache);
	authz_syn(&P, &H, 40001, 80);
	authz_drain(ax);
	authz_stats(a, &st);
	CHECK_EQ(st.rejected, 1);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 80, FAKE_V4(FAKE_PEER_IP), 40001) == NULL);
	tuple(head, sizeof(head), "dir=in proto=tcp", 40001, 80, 0, pol_seq);
	snprintf(want, sizeof(want), "%s uid=33 gid=33 pid=4343 exe=/usr/sbin/apache2", head);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_REJECT, want));

	/* nobody's: a rule with an owner condition never matches; no owner
	 * fields in the entry */
	tcp_set_owner(l80, NULL);
	authz_syn(&P, &H, 40002, 80);
	authz_drain(ax);
	authz_stats(a, &st);
	CHECK_EQ(st.rejected, 2);
	tuple(head, sizeof(head), "dir=in proto=tcp", 40002, 80, 0, pol_seq);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_REJECT, head));

	/* by uid and group; the path escaped as a `program` condition */
	tcp_set_owner(l81, &app);
	authz_syn(&P, &H, 40003, 81);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.authorized == 2));
	REQUIRE(st.authorized == 2);
	pcb = tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 81, FAKE_V4(FAKE_PEER_IP), 40003);
	REQUIRE(pcb != NULL);
	tuple(head, sizeof(head), "dir=in proto=tcp", 40003, 81, 2, pol_seq);
	snprintf(want, sizeof(want), "%s uid=1000 gid=100 pid=77 exe=/opt/my%%20app/srv%%2c1",
		 head);
	CHECK(entry_is(dir, tcp_admit_tag(pcb), AXIOM_CONN_AUTHORIZE, want));
	tcp_set_owner(l81, &app_other_group);
	authz_syn(&P, &H, 40004, 81);
	authz_drain(ax);
	authz_stats(a, &st);
	CHECK_EQ(st.rejected, 3);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 81, FAKE_V4(FAKE_PEER_IP), 40004) == NULL);

	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
}

static struct authz_push_log PUSH;

/* Push the policy text (a static array) under source name, run the log
 * until its callback, and check that it revoked n connections. Three
 * checks; a macro, as REQUIRE returns from the test. */
#define PUSH_REVOKES(ax, a, text, name, n)                                                \
	do {                                                                              \
		struct pol_error pe_;                                                     \
                                                                                          \
		memset(&PUSH, 0, sizeof(PUSH));                                           \
		REQUIRE(authz_push(a, text, sizeof(text) - 1, name, authz_on_push, &PUSH, \
				   &pe_) == 0);                                           \
		DISPATCH_UNTIL(ax, PUSH.calls);                                           \
		REQUIRE(PUSH.calls);                                                      \
		CHECK_EQ(PUSH.revoked, n);                                                \
	} while (0)

/*
 * After a push, a live connection is judged as the owner its entry names:
 * its listener now belonging to someone else (or no one) changes nothing;
 * a policy that no longer allows that program revokes it.
 */
TEST(push_rechecks_the_authorized_owner)
{
	static const char keep[] = "default deny in\nallow in tcp to port 80 program /usr/sbin/nginx\n"
				   "allow in icmp\n";
	static const char by_uid[] = "default deny in\nallow in tcp to port 80 user 33\n";
	static const char drop[] = "default deny in\nallow in tcp to port 80 user 34\n";
	char dir[] = "/tmp/axnet-test-authz-owner-XXXXXX";
	struct ax_cred nginx = cred(33, 33, 4242, "/usr/sbin/nginx");
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct authz_stats st;
	struct tcp_pcb *l80;
	struct axiom *ax = NULL;
	struct authz *a = NULL;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	memset(&A, 0, sizeof(A));
	l80 = tcp_listen(&H.s, 80, 16, fake_tcp_app_cb(), &A);
	REQUIRE(l80);
	tcp_set_owner(l80, &nginx);
	authz_syn(&P, &H, 40000, 80);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.authorized == 1));
	REQUIRE(st.authorized == 1);
	tcp_set_owner(l80, NULL);
	memset(&nginx, 0, sizeof(nginx)); /* the original is gone too */

	PUSH_REVOKES(ax, a, keep, "keep.pol", 0);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 80, FAKE_V4(FAKE_PEER_IP), 40000) != NULL);

	/* by uid: its entry's uid 33 still holds ... */
	PUSH_REVOKES(ax, a, by_uid, "uid.pol", 0);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 80, FAKE_V4(FAKE_PEER_IP), 40000) != NULL);

	/* ... another's does not: revoked */
	PUSH_REVOKES(ax, a, drop, "drop.pol", 1);
	CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), 80, FAKE_V4(FAKE_PEER_IP), 40000) == NULL);

	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
}

static unsigned int udp_got;

/*
 * UDP: a datagram for dig's socket on port 53 is allowed by program (the
 * first held until its flow commits), the same port's datagram for
 * another program's socket refused; outbound, one user's socket may send
 * to port 123 and another's gets -EACCES. Every entry names the socket's
 * owner; a socket with none matches no owner rule.
 */
TEST(udp_by_owner_both_ways)
{
	static const char upol[] = "default deny\n"
				   "allow in udp to port 53 program /usr/bin/dig\n"   /* 1 */
				   "allow out udp to port 123 user 107\n";            /* 2 */
	char dir[] = "/tmp/axnet-test-authz-owner-XXXXXX";
	struct ax_cred dig = cred(0, 0, 900, "/usr/bin/dig");
	struct ax_cred nslookup = cred(0, 0, 901, "/usr/bin/nslookup");
	struct ax_cred ntp = cred(107, 112, 902, "/usr/sbin/ntpd");
	struct ax_cred other = cred(1000, 1000, 903, "/usr/sbin/ntpd");
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct udp_pcb u53, u123;
	struct authz_stats st;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	char want[1024], head[512];
	uint64_t pol_seq;
	uint8_t f[256];

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, upol, ax, a);
	authz_drain(ax);
	authz_policy(a, &pol_seq);
	udp_got = 0;
	udp_pcb_init(&u53, authz_udp_count, NULL, &udp_got);
	u53.lport = 53;
	u53.owner = &dig;
	REQUIRE(udp_pcb_insert(&H.s, &u53) == 0);

	fake_rx(&H, f, authz_udp_frame(f, 40000, 53, "query"));
	DISPATCH_UNTIL(ax, udp_got == 1);
	CHECK_EQ(udp_got, 1);
	tuple(head, sizeof(head), "dir=in proto=udp", 40000, 53, 1, pol_seq);
	snprintf(want, sizeof(want), "%s uid=0 gid=0 pid=900 exe=/usr/bin/dig", head);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_AUTHORIZE, want));

	/* the same port, another program's socket: refused, named */
	u53.owner = &nslookup;
	fake_rx(&H, f, authz_udp_frame(f, 40001, 53, "query"));
	authz_drain(ax);
	CHECK_EQ(udp_got, 1);
	tuple(head, sizeof(head), "dir=in proto=udp", 40001, 53, 0, pol_seq);
	snprintf(want, sizeof(want), "%s uid=0 gid=0 pid=901 exe=/usr/bin/nslookup", head);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_REJECT, want));
	/* nobody's: refused, no owner in the entry */
	u53.owner = NULL;
	fake_rx(&H, f, authz_udp_frame(f, 40002, 53, "query"));
	authz_drain(ax);
	CHECK_EQ(udp_got, 1);
	tuple(head, sizeof(head), "dir=in proto=udp", 40002, 53, 0, pol_seq);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_REJECT, head));

	/* outbound by user */
	udp_pcb_init(&u123, authz_udp_count, NULL, &udp_got);
	u123.lport = 5123;
	u123.owner = &ntp;
	REQUIRE(udp_pcb_insert(&H.s, &u123) == 0);
	CHECK_EQ(udp_send(&H.s, &u123, FAKE_V4(FAKE_PEER_IP), 123, "tick", 4), 0);
	DISPATCH_UNTIL(ax, (authz_stats(a, &st), st.authorized == 2));
	CHECK_EQ(st.authorized, 2);
	tuple(head, sizeof(head), "dir=out proto=udp", 123, 5123, 2, pol_seq);
	snprintf(want, sizeof(want), "%s uid=107 gid=112 pid=902 exe=/usr/sbin/ntpd", head);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_AUTHORIZE, want));
	u123.lport = 5124; /* another flow, another user's socket */
	udp_pcb_remove(&H.s, &u123);
	u123.owner = &other;
	REQUIRE(udp_pcb_insert(&H.s, &u123) == 0);
	CHECK_EQ(udp_send(&H.s, &u123, FAKE_V4(FAKE_PEER_IP), 123, "tick", 4), -EACCES);
	authz_drain(ax);
	tuple(head, sizeof(head), "dir=out proto=udp", 123, 5124, 0, pol_seq);
	snprintf(want, sizeof(want), "%s uid=1000 gid=1000 pid=903 exe=/usr/sbin/ntpd", head);
	CHECK(entry_is(dir, axiom_head_seq(ax), AXIOM_CONN_REJECT, want));

	udp_pcb_remove(&H.s, &u123);
	udp_pcb_remove(&H.s, &u53);
	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
}

TEST_MAIN(T(same_port_by_program_and_owner_in_entries), T(push_rechecks_the_authorized_owner),
	  T(udp_by_owner_both_ways))
