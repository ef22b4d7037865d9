/*
 * test_sock6.c - AF_INET6 sockets in the socket layer (sock/): the errnos
 * Linux gives for each misuse (probed on Linux 6.x in a namespace with
 * 10.0.0.1/24 and fd00::1/64 on a veth: AF mismatches, short addresses,
 * V6ONLY and mapped addresses, link-local scope ids, no route), the
 * IPPROTO_IPV6 options as Linux answers them, sockaddr_in6 out of
 * getsockname/getpeername/accept, dual stack (an IPv4 peer of a socket on
 * [::] seen as ::ffff:a.b.c.d, a V6ONLY one not taking IPv4), and ports
 * shared between the families as Linux shares them.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "fake_netif.h"
#include "testlib.h"
#include "sock_helper.h"

#define IFINDEX 7u /* the interface's, as the daemon gives it */

static struct fake_host H;
static struct sock_layer *L;
static struct ip_addr OUR6, OUR_LL;

static int setup(void)
{
	struct sock_config c = { .ifindex = IFINDEX };
	struct stack_addr *a;

	if (L)
		sock_layer_close(L);
	L = NULL;
	if (fake_host_reset(&H, FAKE_PEER_IP, FAKE_PEER_MAC))
		return -1;
	ip_addr_parse("fd00::2", &OUR6);
	ip_addr_parse("fe80::2", &OUR_LL);
	if (stack_addr_add(&H.s, &OUR6, 64, STACK_ADDR_F_STATIC) ||
	    stack_addr_add(&H.s, &OUR_LL, 64, STACK_ADDR_F_LINKLOCAL))
		return -1;
	/* DAD is nd.c's business: these are ours already. */
	if (!(a = stack_addr_find(&H.s, &OUR6)))
		return -1;
	stack_addr_set_state(&H.s, a, STACK_ADDR_PREFERRED);
	if (!(a = stack_addr_find(&H.s, &OUR_LL)))
		return -1;
	stack_addr_set_state(&H.s, a, STACK_ADDR_PREFERRED);
	c.stack = &H.s;
	if (sock_layer_open(&L, &c))
		return -1;
	fake_mark(&H);
	return 0;
}

static struct sock *mk(int family, int type)
{
	struct sock *so = NULL;

	if (sock_create_af(L, family, type, &ROOT, &so))
		return NULL;
	return so;
}

static struct sockaddr_in6 s6(const char *a, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_scope_id = scope };

	inet_pton(AF_INET6, a, &s.sin6_addr);
	return s;
}

/* A sockaddr_in in a 28-byte buffer (Linux looks at the family then). */
struct padded {
	struct sockaddr_in sin;
	uint8_t pad[12];
};

static struct padded padded(uint32_t addr, uint16_t port)
{
	struct padded p = { .sin = sin_of(addr, port) };

	return p;
}

static int setopt(struct sock *so, int name, int v)
{
	return sock_setsockopt(so, IPPROTO_IPV6, name, &v, sizeof(v));
}

static long getopt_v(struct sock *so, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	int err = sock_getsockopt(so, level, name, &v, &len);

	return err ? err : v;
}

/* One call on a fresh socket: each row of the table below. */
enum op { BIND, CONNECT, SENDTO };
struct row {
	const char *what;
	int family, type, v6only;
	enum op op;
	const void *sa;
	socklen_t len;
	long want; /* Linux's answer */
};

TEST(errnos_as_linux)
{
	struct sockaddr_in6 any = s6("::", 6000, 0), ours = s6("fd00::2", 6001, 0),
			    not_ours = s6("fd00::99", 6002, 0), m_not_ours = s6("::ffff:10.9.9.9", 6003, 0),
			    m_ours = s6("::ffff:10.0.0.1", 6004, 0), m_any = s6("::ffff:0.0.0.0", 6005, 0),
			    ll = s6("fe80::2", 6006, 0), ll_bad = s6("fe80::2", 6007, 999),
			    ll_ok = s6("fe80::2", 6008, IFINDEX), peer = s6("fd00::1", 80, 0),
			    peer_ll = s6("fe80::1", 80, 0), peer_ll_bad = s6("fe80::1", 80, 999),
			    noroute = s6("2001:db8::2", 80, 0), m_peer = s6("::ffff:10.0.0.2", 80, 0),
			    peer0 = s6("fd00::1", 0, 0), weird = s6("fd00::1", 80, 0),
			    unspec = s6("fd00::1", 80, 0);
	struct sockaddr_in sin = sin_of(FAKE_PEER_IP, 80);
	struct padded pad = padded(FAKE_PEER_IP, 80);

	weird.sin6_family = 99;
	unspec.sin6_family = AF_UNSPEC;
	const struct row rows[] = {
		/* bind */
		{ "tcp4 bind sin6", AF_INET, SOCK_STREAM, 0, BIND, &any, sizeof(any), -EAFNOSUPPORT },
		{ "udp4 bind sin6", AF_INET, SOCK_DGRAM, 0, BIND, &any, sizeof(any), -EAFNOSUPPORT },
		{ "tcp6 bind sin (16)", AF_INET6, SOCK_STREAM, 0, BIND, &sin, sizeof(sin), -EINVAL },
		{ "tcp6 bind sin (28)", AF_INET6, SOCK_STREAM, 0, BIND, &pad, sizeof(pad), -EAFNOSUPPORT },
		{ "udp6 bind sin (28)", AF_INET6, SOCK_DGRAM, 0, BIND, &pad, sizeof(pad), -EAFNOSUPPORT },
		{ "tcp6 bind [::] len 24", AF_INET6, SOCK_STREAM, 0, BIND, &any, 24, 0 },
		{ "tcp6 bind [::] len 23", AF_INET6, SOCK_STREAM, 0, BIND, &any, 23, -EINVAL },
		{ "tcp6 bind ours", AF_INET6, SOCK_STREAM, 0, BIND, &ours, sizeof(ours), 0 },
		{ "tcp6 bind not ours", AF_INET6, SOCK_STREAM, 0, BIND, &not_ours, sizeof(not_ours),
		  -EADDRNOTAVAIL },
		{ "udp6 bind mapped not ours", AF_INET6, SOCK_DGRAM, 0, BIND, &m_not_ours,
		  sizeof(m_not_ours), -EADDRNOTAVAIL },
		{ "tcp6 bind mapped ours", AF_INET6, SOCK_STREAM, 0, BIND, &m_ours, sizeof(m_ours), 0 },
		{ "tcp6 v6only bind mapped ours", AF_INET6, SOCK_STREAM, 1, BIND, &m_ours,
		  sizeof(m_ours), -EINVAL },
		{ "udp6 v6only bind mapped any", AF_INET6, SOCK_DGRAM, 1, BIND, &m_any, sizeof(m_any),
		  -EINVAL },
		{ "tcp6 bind link-local, no scope", AF_INET6, SOCK_STREAM, 0, BIND, &ll, sizeof(ll),
		  -EINVAL },
		{ "udp6 bind link-local, scope 999", AF_INET6, SOCK_DGRAM, 0, BIND, &ll_bad,
		  sizeof(ll_bad), -ENODEV },
		{ "tcp6 bind link-local, our scope", AF_INET6, SOCK_STREAM, 0, BIND, &ll_ok,
		  sizeof(ll_ok), 0 },
		/* connect */
		{ "tcp4 connect sin6", AF_INET, SOCK_STREAM, 0, CONNECT, &peer, sizeof(peer),
		  -EAFNOSUPPORT },
		{ "udp4 connect sin6", AF_INET, SOCK_DGRAM, 0, CONNECT, &peer, sizeof(peer),
		  -EAFNOSUPPORT },
		{ "tcp6 connect sin (16)", AF_INET6, SOCK_STREAM, 0, CONNECT, &sin, sizeof(sin), -EINVAL },
		{ "tcp6 connect sin (28)", AF_INET6, SOCK_STREAM, 0, CONNECT, &pad, sizeof(pad),
		  -EAFNOSUPPORT },
		{ "udp6 connect sin (16)", AF_INET6, SOCK_DGRAM, 0, CONNECT, &sin, sizeof(sin), 0 },
		{ "udp6 v6only connect sin", AF_INET6, SOCK_DGRAM, 1, CONNECT, &sin, sizeof(sin),
		  -EAFNOSUPPORT },
		{ "tcp6 v6only connect mapped", AF_INET6, SOCK_STREAM, 1, CONNECT, &m_peer,
		  sizeof(m_peer), -ENETUNREACH },
		{ "udp6 v6only connect mapped", AF_INET6, SOCK_DGRAM, 1, CONNECT, &m_peer,
		  sizeof(m_peer), -ENETUNREACH },
		{ "tcp6 connect link-local, no scope", AF_INET6, SOCK_STREAM, 0, CONNECT, &peer_ll,
		  sizeof(peer_ll), -EINVAL },
		{ "udp6 connect link-local, no scope", AF_INET6, SOCK_DGRAM, 0, CONNECT, &peer_ll,
		  sizeof(peer_ll), -EINVAL },
		{ "tcp6 connect link-local, scope 999", AF_INET6, SOCK_STREAM, 0, CONNECT, &peer_ll_bad,
		  sizeof(peer_ll_bad), -ENETUNREACH },
		{ "tcp6 connect no route", AF_INET6, SOCK_STREAM, 0, CONNECT, &noroute, sizeof(noroute),
		  -ENETUNREACH },
		{ "udp6 connect no route", AF_INET6, SOCK_DGRAM, 0, CONNECT, &noroute, sizeof(noroute),
		  -ENETUNREACH },
		{ "tcp6 connect len 23", AF_INET6, SOCK_STREAM, 0, CONNECT, &peer, 23, -EINVAL },
		{ "udp6 connect len 23", AF_INET6, SOCK_DGRAM, 0, CONNECT, &peer, 23, -EINVAL },
		{ "tcp6 connect", AF_INET6, SOCK_STREAM, 0, CONNECT, &peer, sizeof(peer), -EINPROGRESS },
		{ "tcp6 connect len 24", AF_INET6, SOCK_STREAM, 0, CONNECT, &peer, 24, -EINPROGRESS },
		{ "tcp6 connect mapped", AF_INET6, SOCK_STREAM, 0, CONNECT, &m_peer, sizeof(m_peer),
		  -EINPROGRESS },
		/* sendto */
		{ "udp4 sendto sin6", AF_INET, SOCK_DGRAM, 0, SENDTO, &peer, sizeof(peer),
		  -EAFNOSUPPORT },
		{ "udp6 v6only sendto sin", AF_INET6, SOCK_DGRAM, 1, SENDTO, &sin, sizeof(sin),
		  -ENETUNREACH },
		{ "udp6 sendto link-local, no scope", AF_INET6, SOCK_DGRAM, 0, SENDTO, &peer_ll,
		  sizeof(peer_ll), -EADDRNOTAVAIL },
		{ "udp6 sendto port 0", AF_INET6, SOCK_DGRAM, 0, SENDTO, &peer0, sizeof(peer0), -EINVAL },
		{ "udp6 sendto family 99", AF_INET6, SOCK_DGRAM, 0, SENDTO, &weird, sizeof(weird),
		  -EINVAL },
		{ "udp6 sendto len 20", AF_INET6, SOCK_DGRAM, 0, SENDTO, &peer, 20, -EINVAL },
		{ "udp6 sendto no route", AF_INET6, SOCK_DGRAM, 0, SENDTO, &noroute, sizeof(noroute),
		  -ENETUNREACH },
		{ "udp6 sendto AF_UNSPEC, unconnected", AF_INET6, SOCK_DGRAM, 0, SENDTO, &unspec,
		  sizeof(unspec), -EDESTADDRREQ },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct sock *so;
		long got;

		REQUIRE(setup() == 0);
		so = mk(r->family, r->type);
		REQUIRE(so != NULL);
		if (r->v6only)
			CHECK_EQ(setopt(so, IPV6_V6ONLY, 1), 0);
		if (r->op == BIND)
			got = sock_bind(so, r->sa, r->len);
		else if (r->op == CONNECT)
			got = sock_connect(so, r->sa, r->len);
		else
			got = sock_send(so, "x", 1, MSG_NOSIGNAL, r->sa, r->len);
		if (!CHECK_EQ(got, r->want))
			printf("  %s: %ld, Linux says %ld\n", r->what, got, r->want);
		sock_close(so);
	}
}

/* A socket bound to one family's address, then aimed at the other's
 * (probed: Linux 6.18, fd00::1 and 127.0.0.1 local): an IPv6-bound one
 * cannot reach a mapped address (ENETUNREACH), a mapped-bound one an IPv6
 * address (EAFNOSUPPORT: tcp_v6_connect, ip6_datagram_connect,
 * udpv6_sendmsg). */
TEST(bound_family_limits_the_peer_as_linux)
{
	struct sockaddr_in6 ours = s6("fd00::2", 0, 0), m_ours = s6("::ffff:10.0.0.1", 0, 0),
			    peer = s6("fd00::1", 80, 0), m_peer = s6("::ffff:10.0.0.2", 80, 0);
	const struct {
		const char *what;
		int type;
		const struct sockaddr_in6 *bind;
		enum op op;
		const struct sockaddr_in6 *to;
		long want;
	} rows[] = {
		{ "tcp6 on fd00::2 connect mapped", SOCK_STREAM, &ours, CONNECT, &m_peer, -ENETUNREACH },
		{ "tcp6 on mapped connect fd00::1", SOCK_STREAM, &m_ours, CONNECT, &peer, -EAFNOSUPPORT },
		{ "udp6 on fd00::2 connect mapped", SOCK_DGRAM, &ours, CONNECT, &m_peer, -ENETUNREACH },
		{ "udp6 on fd00::2 sendto mapped", SOCK_DGRAM, &ours, SENDTO, &m_peer, -ENETUNREACH },
		{ "udp6 on mapped connect fd00::1", SOCK_DGRAM, &m_ours, CONNECT, &peer, -EAFNOSUPPORT },
		{ "udp6 on mapped sendto fd00::1", SOCK_DGRAM, &m_ours, SENDTO, &peer, -EAFNOSUPPORT },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sock *so;
		long got;

		REQUIRE(setup() == 0);
		so = mk(AF_INET6, rows[i].type);
		REQUIRE(so != NULL);
		REQUIRE(sock_bind(so, (const struct sockaddr *)rows[i].bind, sizeof(ours)) == 0);
		if (rows[i].op == CONNECT)
			got = sock_connect(so, (const struct sockaddr *)rows[i].to, sizeof(peer));
		else
			got = sock_send(so, "x", 1, MSG_NOSIGNAL, (const struct sockaddr *)rows[i].to,
					sizeof(peer));
		if (!CHECK_EQ(got, rows[i].want))
			printf("  %s: %ld, Linux says %ld\n", rows[i].what, got, rows[i].want);
		sock_close(so);
	}
}

TEST(ipv6_options_as_linux)
{
	struct sock *so, *s4;
	char one = 1;

	REQUIRE(setup() == 0);
	so = mk(AF_INET6, SOCK_STREAM);
	s4 = mk(AF_INET, SOCK_DGRAM);
	REQUIRE(so && s4);
	CHECK_EQ(getopt_v(so, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	CHECK_EQ(getopt_v(s4, SOL_SOCKET, SO_DOMAIN), AF_INET);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 64);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 1);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, IPV6_TCLASS), 0);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, IPV6_RECVPKTINFO), 0);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, 1000), -ENOPROTOOPT);
	CHECK_EQ(sock_setsockopt(so, IPPROTO_IPV6, IPV6_V6ONLY, &one, 1), -EINVAL);
	CHECK_EQ(setopt(so, IPV6_V6ONLY, 5), 0);
	CHECK_EQ(getopt_v(so, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	CHECK_EQ(setopt(so, IPV6_UNICAST_HOPS, 300), -EINVAL);
	CHECK_EQ(setopt(so, IPV6_UNICAST_HOPS, -2), -EINVAL);
	CHECK_EQ(setopt(so, IPV6_UNICAST_HOPS, -1), 0);
	CHECK_EQ(setopt(so, IPV6_UNICAST_HOPS, 64), 0);
	CHECK_EQ(setopt(so, IPV6_UNICAST_HOPS, 7), -ENOPROTOOPT); /* not supported: said */
	CHECK_EQ(setopt(so, IPV6_TCLASS, 256), -EINVAL);
	CHECK_EQ(setopt(so, IPV6_TCLASS, -1), 0);
	CHECK_EQ(setopt(so, IPV6_TCLASS, 0x20), -ENOPROTOOPT);
	CHECK_EQ(setopt(so, IPV6_RECVPKTINFO, 0), 0);
	CHECK_EQ(setopt(so, IPV6_RECVPKTINFO, 1), -ENOPROTOOPT);
	/* An AF_INET socket: not its level (V6ONLY: EOPNOTSUPP, as Linux). */
	CHECK_EQ(getopt_v(s4, IPPROTO_IPV6, IPV6_V6ONLY), -EOPNOTSUPP);
	CHECK_EQ(setopt(s4, IPV6_TCLASS, 1), -ENOPROTOOPT);
	/* Once bound, V6ONLY is fixed. */
	{
		struct sockaddr_in6 a = s6("::", 0, 0);

		CHECK_EQ(sock_bind(so, SA(a)), 0);
		CHECK_EQ(setopt(so, IPV6_V6ONLY, 0), -EINVAL);
	}
	sock_close(so);
	sock_close(s4);
}

TEST(names_are_sockaddr_in6)
{
	struct sockaddr_in6 a = s6("::", 0, 0), got, ll = s6("fe80::2", 6100, IFINDEX),
			    m = s6("::ffff:10.0.0.2", 80, 0), want;
	socklen_t len = sizeof(got);
	struct sock *so;

	REQUIRE(setup() == 0);
	so = mk(AF_INET6, SOCK_DGRAM);
	REQUIRE(so);
	/* Unbound: [::]:0, 28 bytes. */
	CHECK_EQ(sock_getsockname(so, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, sizeof(got));
	CHECK_EQ(got.sin6_family, AF_INET6);
	CHECK(IN6_IS_ADDR_UNSPECIFIED(&got.sin6_addr));
	CHECK_EQ(got.sin6_port, 0);
	CHECK_EQ(sock_getpeername(so, (struct sockaddr *)&got, &len), -ENOTCONN);
	CHECK_EQ(sock_bind(so, SA(a)), 0);
	len = sizeof(got);
	CHECK_EQ(sock_getsockname(so, (struct sockaddr *)&got, &len), 0);
	CHECK(got.sin6_port != 0);
	/* Connected to an IPv4 peer: it is ::ffff:10.0.0.2, we are ::ffff:10.0.0.1. */
	CHECK_EQ(sock_connect(so, SA(m)), 0);
	len = sizeof(got);
	CHECK_EQ(sock_getpeername(so, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, sizeof(got));
	CHECK_MEM(&got.sin6_addr, &m.sin6_addr, 16);
	CHECK_EQ(got.sin6_port, htons(80));
	len = sizeof(got);
	CHECK_EQ(sock_getsockname(so, (struct sockaddr *)&got, &len), 0);
	want = s6("::ffff:10.0.0.1", 0, 0);
	CHECK_MEM(&got.sin6_addr, &want.sin6_addr, 16);
	/* Truncated as Linux: *len is the full size. */
	len = 8;
	CHECK_EQ(sock_getpeername(so, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, sizeof(got));
	sock_close(so);

	/* A link-local name carries its scope. */
	so = mk(AF_INET6, SOCK_STREAM);
	REQUIRE(so);
	CHECK_EQ(sock_bind(so, SA(ll)), 0);
	len = sizeof(got);
	CHECK_EQ(sock_getsockname(so, (struct sockaddr *)&got, &len), 0);
	CHECK_MEM(&got.sin6_addr, &ll.sin6_addr, 16);
	CHECK_EQ(got.sin6_scope_id, IFINDEX);
	sock_close(so);
}

/* Linux: a dual-stack [::] holds the port for IPv4 too; a V6ONLY one
 * does not (probed: bind 0.0.0.0:P next to each). */
TEST(ports_shared_between_families_as_linux)
{
	struct sockaddr_in6 any6 = s6("::", 6200, 0);
	struct sockaddr_in any4 = sin_of(0, 6200);
	struct sock *a, *b;

	REQUIRE(setup() == 0);
	a = mk(AF_INET, SOCK_STREAM);
	b = mk(AF_INET6, SOCK_STREAM);
	CHECK_EQ(sock_bind(a, SA(any4)), 0);
	CHECK_EQ(sock_bind(b, SA(any6)), -EADDRINUSE);
	CHECK_EQ(setopt(b, IPV6_V6ONLY, 1), 0);
	CHECK_EQ(sock_bind(b, SA(any6)), 0);
	sock_close(a);
	sock_close(b);
	a = mk(AF_INET6, SOCK_DGRAM);
	b = mk(AF_INET, SOCK_DGRAM);
	CHECK_EQ(sock_bind(a, SA(any6)), 0);
	CHECK_EQ(sock_bind(b, SA(any4)), -EADDRINUSE);
	sock_close(a);
	sock_close(b);
	a = mk(AF_INET6, SOCK_DGRAM);
	b = mk(AF_INET, SOCK_DGRAM);
	CHECK_EQ(setopt(a, IPV6_V6ONLY, 1), 0);
	CHECK_EQ(sock_bind(a, SA(any6)), 0);
	CHECK_EQ(sock_bind(b, SA(any4)), 0);
	sock_close(a);
	sock_close(b);
}

/* A connection from an IPv4 peer to a listener on [::]: accepted, its
 * peer ::ffff:10.0.0.2; a V6ONLY listener answers the same SYN with RST. */
TEST(dual_stack_listener_takes_ipv4_as_mapped)
{
	struct sockaddr_in6 any6 = s6("::", 7000, 0), got, want = s6("::ffff:10.0.0.2", 0, 0);
	socklen_t len = sizeof(got);
	struct fake_tcp_peer p;
	struct fake_tcp_view v;
	struct sock *l, *c = NULL;

	REQUIRE(setup() == 0);
	l = mk(AF_INET6, SOCK_STREAM);
	REQUIRE(l);
	CHECK_EQ(sock_bind(l, SA(any6)), 0);
	CHECK_EQ(sock_listen(l, 4), 0);
	fake_tcp_peer_init(&p, &H, 40000, 7000, 7000);
	fake_mark(&H);
	fake_tcp_send(&p, TH_SYN, NULL, 0);
	REQUIRE(fake_tcp_sent(&H, 0, &v) == 0);
	CHECK_EQ(v.flags, TH_SYN | TH_ACK);
	p.ack = v.seq + 1;
	fake_tcp_send(&p, TH_ACK, NULL, 0);
	CHECK_EQ(sock_accept(l, &c), 0);
	REQUIRE(c);
	CHECK_EQ(getopt_v(c, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	CHECK_EQ(sock_getpeername(c, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, sizeof(got));
	CHECK_EQ(got.sin6_family, AF_INET6);
	CHECK_EQ(got.sin6_port, htons(40000));
	CHECK_MEM(&got.sin6_addr, &want.sin6_addr, 16);
	sock_close(c);
	sock_close(l);

	/* (Port 7001: the closed connection still holds 7000, as Linux's.) */
	any6.sin6_port = htons(7001);
	l = mk(AF_INET6, SOCK_STREAM);
	REQUIRE(l);
	CHECK_EQ(setopt(l, IPV6_V6ONLY, 1), 0);
	CHECK_EQ(sock_bind(l, SA(any6)), 0);
	CHECK_EQ(sock_listen(l, 4), 0);
	fake_tcp_peer_init(&p, &H, 40001, 7001, 9000);
	fake_mark(&H);
	fake_tcp_send(&p, TH_SYN, NULL, 0);
	REQUIRE(fake_tcp_sent(&H, 0, &v) == 0);
	CHECK(v.flags & TH_RST);
	CHECK_EQ(sock_accept(l, &c), -EAGAIN);
	sock_close(l);
}

TEST(zz_teardown)
{
	if (L)
		sock_layer_close(L);
	L = NULL;
	if (H.s.tcp)
		stack_fini(&H.s);
}

TEST_MAIN(T(errnos_as_linux), T(bound_family_limits_the_peer_as_linux), T(ipv6_options_as_linux), T(names_are_sockaddr_in6),
	  T(ports_shared_between_families_as_linux), T(dual_stack_listener_takes_ipv4_as_mapped),
	  T(zz_teardown))
