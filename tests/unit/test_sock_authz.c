/*
 * test_sock_authz.c - the socket layer with the authorizer (authz/) and a
 * real Axiom log: a connection a policy push revokes reads ECONNRESET on
 * its socket (and closing it afterwards is safe); an outbound UDP flow is
 * authorized like an inbound one (its first datagram held until the
 * connection-authorize entry commits, the entry says dir=out), a flow
 * the policy denies fails with EACCES.
 */
#include <stdint.h>
#include <sys/epoll.h>

#include "authz_helper.h"
#include "sock_helper.h"

static struct fake_host H;

static struct authz_push_log PUSH;

TEST(revoked_connection_reads_econnreset)
{
	static const char pol[] = "default deny in\nallow in tcp to port 8080\n";
	static const char pol2[] = "default deny in\n";
	char dir[] = "/tmp/axnet-test-sock-authz-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct sockaddr_in a8080 = sin_of(0, 8080);
	struct sock_config sc = { 0 };
	struct sock_layer *l = NULL;
	struct sock *ls = NULL, *c = NULL;
	struct fake_tcp_peer p;
	struct fake_tcp_view v;
	struct evlog e = { 0 };
	struct pol_error pe;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	char b[8];
	int rst = 0;

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	sc.stack = &H.s;
	REQUIRE(sock_layer_open(&l, &sc) == 0);
	REQUIRE(sock_create(l, SOCK_STREAM, &ROOT, &ls) == 0);
	REQUIRE(sock_bind(ls, SA(a8080)) == 0);
	REQUIRE(sock_listen(ls, 4) == 0);

	/* The SYN waits for its commit, then the handshake completes. */
	fake_tcp_peer_init(&p, &H, 40000, 8080, 1000);
	fake_mark(&H);
	fake_tcp_send(&p, TH_SYN, NULL, 0);
	CHECK_EQ(H.nif.n, 0);
	DISPATCH_UNTIL(ax, H.nif.n == 1);
	REQUIRE(fake_tcp_sent(&H, 0, &v) == 0);
	REQUIRE(v.flags == (TH_SYN | TH_ACK));
	p.ack = v.seq + 1;
	fake_tcp_send(&p, TH_ACK, NULL, 0);
	REQUIRE(sock_accept(ls, &c) == 0);
	sock_set_event(c, on_event, &e);
	CHECK_EQ(tcp_admit_tag(sock_pcb(c)), 2); /* entry 1: the start's push */

	/* A push that no longer allows it: RST to the peer, ECONNRESET here. */
	memset(&PUSH, 0, sizeof(PUSH));
	fake_mark(&H);
	REQUIRE(authz_push(a, pol2, sizeof(pol2) - 1, "two.pol", authz_on_push, &PUSH, &pe) == 0);
	DISPATCH_UNTIL(ax, PUSH.calls == 1);
	CHECK_EQ(PUSH.err, 0);
	for (unsigned int i = 0; fake_tcp_sent(&H, i, &v) == 0; i++)
		rst |= (v.flags & TH_RST) && v.dport == 40000;
	CHECK(rst);
	CHECK_EQ(e.n, 1);
	CHECK_EQ(e.last & (EPOLLERR | EPOLLHUP), EPOLLERR | EPOLLHUP);
	CHECK(sock_pcb(c) == NULL);
	CHECK_EQ(sock_recv(c, b, sizeof(b), 0, NULL, NULL), -ECONNRESET);
	CHECK_EQ(sock_send(c, "x", 1, MSG_NOSIGNAL, NULL, 0), -EPIPE);
	sock_close(c); /* the pcb is gone: nothing of it is touched */
	sock_close(ls);
	sock_layer_close(l);
	authz_drain(ax);
	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
}

static int find_entry(const char *dir, const char *needle)
{
	char text[512];
	uint16_t type;

	for (uint64_t seq = 1; seq < 64; seq++) {
		if (authz_log_entry(dir, seq, &type, text, sizeof(text)) != 1)
			return 0;
		if (strstr(text, needle))
			return 1;
	}
	return 0;
}

TEST(outbound_udp_held_until_its_commit)
{
	static const char pol[] = "default allow out\ndeny out udp to port 54\n";
	char dir[] = "/tmp/axnet-test-sock-authz-XXXXXX";
	struct axiom_config xc = { 0 };
	struct authz_config ac = { 0 };
	struct sockaddr_in dns = sin_of(FAKE_PEER_IP, 53), other = sin_of(FAKE_PEER_IP, 54),
			   from;
	socklen_t fl = sizeof(from);
	struct sock_config sc = { 0 };
	struct sock_layer *l = NULL;
	struct sock *u = NULL;
	struct axiom *ax = NULL;
	struct authz *a = NULL;
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	uint8_t f[128];
	char b[16], needle[128];

	REQUIRE(mkdtemp(dir) != NULL);
	AUTHZ_HOST(&H);
	AUTHZ_OPEN(&H, dir, xc, ac, pol, ax, a);
	authz_drain(ax);
	sc.stack = &H.s;
	REQUIRE(sock_layer_open(&l, &sc) == 0);
	REQUIRE(sock_create(l, SOCK_DGRAM, &ROOT, &u) == 0);

	fake_mark(&H);
	CHECK_EQ(sock_send(u, "query", 5, 0, SA(dns)), 5);
	CHECK_EQ(H.nif.n, 0); /* held */
	DISPATCH_UNTIL(ax, H.nif.n == 1);
	CHECK_EQ(H.nif.n, 1);
	CHECK_EQ(H.s.cnt[AX_C_udp_tx] - H.mark[AX_C_udp_tx], 1);
	sock_getsockname(u, (struct sockaddr *)&me, &ml);
	snprintf(needle, sizeof(needle), "dir=out proto=udp local=10.0.0.1:%u remote=10.0.0.2:53",
		 ntohs(me.sin_port));
	CHECK(find_entry(dir, needle));
	/* The flow is open both ways: the next datagram leaves at once, the
	 * answer comes in without another entry. */
	CHECK_EQ(sock_send(u, "again", 5, 0, SA(dns)), 5);
	CHECK_EQ(H.nif.n, 2);
	fake_rx(&H, f, authz_udp_frame(f, 53, ntohs(me.sin_port), "answer"));
	CHECK_EQ(sock_recv(u, b, sizeof(b), 0, (struct sockaddr *)&from, &fl), 6);
	CHECK_MEM(b, "answer", 6);
	/* Denied: EACCES, nothing sent. */
	fake_mark(&H);
	CHECK_EQ(sock_send(u, "x", 1, 0, SA(other)), -EACCES);
	CHECK_EQ(H.nif.n, 0);
	sock_close(u);
	sock_layer_close(l);
	authz_drain(ax);
	stack_fini(&H.s);
	authz_teardown(ax, a);
	CHECK_EQ(authz_rmdir(dir), 0);
}

TEST_MAIN(T(revoked_connection_reads_econnreset), T(outbound_udp_held_until_its_commit))
