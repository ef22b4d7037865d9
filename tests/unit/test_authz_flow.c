/*
 * test_authz_flow.c - the authorizer's view of a connection in both
 * families (authz/flow.c): an IPv4 connection's policy flow, verdict key
 * and log text exactly as before IPv6 came (the Axiom entries and the
 * XDP map's keys must not change), an IPv6 one with family 6, all 16
 * bytes and [addr]:port; and the policy's IPv6 prefixes deciding it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "testlib.h"

#include "authz/flow.h"
#include "util/cred.h"

static struct ip_addr A(const char *s)
{
	struct ip_addr a;

	ip_addr_parse(s, &a);
	return a;
}

TEST(ipv4_flows_are_as_they_were)
{
	struct ip_addr l = A("10.0.0.2"), r = A("10.0.0.1");
	struct pol_flow f;
	struct ax_flow_key k;
	char t[AUTHZ_TUPLE_MAX];
	uint8_t want_l[16] = { 10, 0, 0, 2 }, want_r[16] = { 10, 0, 0, 1 };

	authz_flow_of(&l, 7, &r, 40000, IPPROTO_TCP, 1, NULL, &f, &k, t, sizeof(t));
	CHECK(!strcmp(t, "local=10.0.0.2:7 remote=10.0.0.1:40000"));
	CHECK_EQ(k.family, AX_AF_INET);
	CHECK_EQ(k.proto, IPPROTO_TCP);
	CHECK_EQ(k.pad, 0);
	CHECK_EQ(k.lport, htons(7));
	CHECK_EQ(k.rport, htons(40000));
	CHECK_MEM(k.laddr, want_l, 16);
	CHECK_MEM(k.raddr, want_r, 16);
	CHECK_EQ(f.family, AF_INET);
	CHECK_EQ(f.dir, POL_IN);
	CHECK_MEM(f.src, want_r, 16);
	CHECK_MEM(f.dst, want_l, 16);
	CHECK_EQ(f.sport, 40000);
	CHECK_EQ(f.dport, 7);
	/* Outbound: we are the source. */
	authz_flow_of(&l, 40001, &r, 5001, IPPROTO_UDP, 0, NULL, &f, &k, t, sizeof(t));
	CHECK(!strcmp(t, "local=10.0.0.2:40001 remote=10.0.0.1:5001"));
	CHECK_EQ(f.dir, POL_OUT);
	CHECK_MEM(f.src, want_l, 16);
	CHECK_EQ(f.dport, 5001);
	CHECK_EQ(k.proto, IPPROTO_UDP);
}

TEST(ipv6_flows_carry_16_bytes_and_brackets)
{
	struct ip_addr l = A("fd00:1::2"), r = A("fd00:1::abcd");
	struct pol_flow f;
	struct ax_flow_key k;
	char t[AUTHZ_TUPLE_MAX];

	authz_flow_of(&l, 80, &r, 65535, IPPROTO_TCP, 1, NULL, &f, &k, t, sizeof(t));
	CHECK(!strcmp(t, "local=[fd00:1::2]:80 remote=[fd00:1::abcd]:65535"));
	CHECK_EQ(k.family, AX_AF_INET6);
	CHECK_MEM(k.laddr, l.b, 16);
	CHECK_MEM(k.raddr, r.b, 16);
	CHECK_EQ(f.family, AF_INET6);
	CHECK_MEM(f.src, r.b, 16);
	CHECK_MEM(f.dst, l.b, 16);
	/* The longest tuple fits. */
	l = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	r = A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd");
	authz_flow_of(&l, 65535, &r, 65535, IPPROTO_TCP, 0, NULL, NULL, NULL, t, sizeof(t));
	CHECK(!strcmp(t, "local=[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535 "
			 "remote=[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd]:65535"));
}

TEST(ipv6_prefixes_decide_ipv6_flows)
{
	static const char text[] = "default deny\n"
				   "allow in tcp from fd00:1::1/128 to port 7\n"
				   "allow in tcp from 10.0.0.0/8 to port 7\n";
	struct pol_policy *p = NULL;
	struct pol_error err;
	struct pol_verdict v;
	struct pol_flow f;
	struct ip_addr l = A("fd00:1::2"), ok = A("fd00:1::1"), no = A("fd00:1::99"),
		       v4 = A("10.0.0.1"), mapped_any = A("::ffff:10.0.0.1");

	REQUIRE(pol_parse(text, sizeof(text) - 1, "t.pol", &p, &err) == 0);
	REQUIRE(pol_compile(p) == 0);
	authz_flow_of(&l, 7, &ok, 1234, IPPROTO_TCP, 1, NULL, &f, NULL, NULL, 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK_EQ(v.allow, 1);
	CHECK_EQ(v.rule, 1);
	authz_flow_of(&l, 7, &no, 1234, IPPROTO_TCP, 1, NULL, &f, NULL, NULL, 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK_EQ(v.allow, 0);
	/* An IPv4 peer (of a dual-stack socket too: it is mapped) meets the
	 * IPv4 rule, never the IPv6 one. */
	l = A("10.0.0.2");
	authz_flow_of(&l, 7, &v4, 1234, IPPROTO_TCP, 1, NULL, &f, NULL, NULL, 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK_EQ(v.allow, 1);
	CHECK_EQ(v.rule, 2);
	authz_flow_of(&l, 7, &mapped_any, 1234, IPPROTO_TCP, 1, NULL, &f, NULL, NULL, 0);
	CHECK_EQ(f.family, AF_INET);
	pol_free(p);
}

TEST_MAIN(T(ipv4_flows_are_as_they_were), T(ipv6_flows_carry_16_bytes_and_brackets),
	  T(ipv6_prefixes_decide_ipv6_flows))
