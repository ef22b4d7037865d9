/*
 * test_policy.c - the policy language, parser and matchers.
 *
 * The example lines of the language; a table of flows against a policy
 * that exercises every dimension at its edges; the corpora of good and bad
 * files in tests/policy/ (paths relative to the repository root, where
 * `make unit` runs); canonical text as a fixed point; and the compiled
 * matcher held to the linear one on seeded random policies and flows.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sodium.h>

#include "testlib.h"
#include "policy/policy.h"

#define GOOD_DIR "tests/policy/good"
#define BAD_DIR "tests/policy/bad"

static struct pol_policy *parse(const char *text)
{
	struct pol_policy *p = NULL;
	struct pol_error err;

	if (pol_parse(text, strlen(text), "t.pol", &p, &err)) {
		printf("  unexpected parse error: ");
		pol_error_print(&err, stdout);
		return NULL;
	}
	return p;
}

static int addr_is(const struct pol_prefix *p, int family, const char *a, unsigned int len)
{
	uint8_t b[16] = { 0 };

	if (inet_pton(family, a, b) != 1)
		return 0;
	return p->family == family && p->len == len && memcmp(p->addr, b, 16) == 0;
}

/* A flow from a compact description. */
static struct pol_flow flow(unsigned int dir, unsigned int proto, const char *src,
			    unsigned int sport, const char *dst, unsigned int dport)
{
	struct pol_flow f;

	memset(&f, 0, sizeof(f));
	f.dir = (uint8_t)dir;
	f.proto = (uint8_t)proto;
	f.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(f.family, src, f.src) != 1 || inet_pton(f.family, dst, f.dst) != 1)
		abort();
	f.sport = (uint16_t)sport;
	f.dport = (uint16_t)dport;
	return f;
}

/* --- the language ------------------------------------------------------- */

TEST(example_lines)
{
	struct pol_policy *p;
	const struct pol_rule *r;
	uint32_t line;

	p = parse("default deny");
	REQUIRE(p);
	CHECK_EQ(pol_nrules(p), 0);
	CHECK_EQ(pol_default(p, POL_IN, &line), 0);
	CHECK_EQ(line, 1);
	CHECK_EQ(pol_default(p, POL_OUT, &line), 0);
	CHECK_EQ(line, 1);
	pol_free(p);

	p = parse("default allow");
	REQUIRE(p);
	CHECK_EQ(pol_default(p, POL_IN, NULL), 1);
	CHECK_EQ(pol_default(p, POL_OUT, NULL), 1);
	pol_free(p);

	p = parse("allow in tcp from 10.0.0.0/24 to port 80,443");
	REQUIRE(p);
	REQUIRE(pol_nrules(p) == 1);
	r = pol_rule(p, 1);
	CHECK_EQ(r->allow, 1);
	CHECK_EQ(r->dir, POL_IN);
	CHECK_EQ(r->proto, POL_PROTO_TCP);
	REQUIRE(r->from.naddr == 1);
	CHECK(addr_is(&r->from.addr[0], AF_INET, "10.0.0.0", 24));
	CHECK_EQ(r->from.nport, 0);
	CHECK_EQ(r->to.naddr, 0);
	REQUIRE(r->to.nport == 2);
	CHECK_EQ(r->to.port[0].lo, 80);
	CHECK_EQ(r->to.port[0].hi, 80);
	CHECK_EQ(r->to.port[1].lo, 443);
	CHECK_EQ(r->to.port[1].hi, 443);
	CHECK_EQ(r->line, 1);
	/* no default in the file: deny in, allow out, from no line */
	CHECK_EQ(pol_default(p, POL_IN, &line), 0);
	CHECK_EQ(line, 0);
	CHECK_EQ(pol_default(p, POL_OUT, &line), 1);
	CHECK_EQ(line, 0);
	CHECK(pol_rule(p, 0) == NULL);
	CHECK(pol_rule(p, 2) == NULL);
	pol_free(p);

	p = parse("allow out tcp to 10.0.0.1 port 5201");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->allow, 1);
	CHECK_EQ(r->dir, POL_OUT);
	CHECK_EQ(r->proto, POL_PROTO_TCP);
	CHECK_EQ(r->from.naddr + r->from.nport, 0);
	REQUIRE(r->to.naddr == 1 && r->to.nport == 1);
	CHECK(addr_is(&r->to.addr[0], AF_INET, "10.0.0.1", 32));
	CHECK_EQ(r->to.port[0].lo, 5201);
	CHECK_EQ(r->to.port[0].hi, 5201);
	pol_free(p);

	p = parse("allow in tcp to port 8000-8080");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->dir, POL_IN);
	CHECK_EQ(r->to.naddr, 0);
	REQUIRE(r->to.nport == 1);
	CHECK_EQ(r->to.port[0].lo, 8000);
	CHECK_EQ(r->to.port[0].hi, 8080);
	pol_free(p);

	p = parse("deny in any from 10.0.0.66");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->allow, 0);
	CHECK_EQ(r->dir, POL_IN);
	CHECK_EQ(r->proto, POL_PROTO_ANY);
	REQUIRE(r->from.naddr == 1);
	CHECK(addr_is(&r->from.addr[0], AF_INET, "10.0.0.66", 32));
	CHECK_EQ(r->from.nport + r->to.naddr + r->to.nport, 0);
	pol_free(p);

	p = parse("allow in icmp");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->allow, 1);
	CHECK_EQ(r->dir, POL_IN);
	CHECK_EQ(r->proto, POL_PROTO_ICMP);
	CHECK_EQ(r->from.naddr + r->from.nport + r->to.naddr + r->to.nport, 0);
	pol_free(p);

	p = parse("allow out udp to fd00::/64 port 53");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->dir, POL_OUT);
	CHECK_EQ(r->proto, POL_PROTO_UDP);
	REQUIRE(r->to.naddr == 1 && r->to.nport == 1);
	CHECK(addr_is(&r->to.addr[0], AF_INET6, "fd00::", 64));
	CHECK_EQ(r->to.port[0].lo, 53);
	pol_free(p);

	/* direction omitted: both; protocol omitted: any */
	{
		struct pol_error err;

		/* ports need a protocol that has them */
		CHECK_EQ(pol_parse("deny from port 1", 16, "t.pol", &p, &err), -EINVAL);
	}
	p = parse("  deny   udp   from port 1 to any  # both ways");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->dir, POL_BOTH);
	CHECK_EQ(r->proto, POL_PROTO_UDP);
	CHECK_EQ(r->to.naddr + r->to.nport, 0);
	pol_free(p);
	p = parse("allow");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->dir, POL_BOTH);
	CHECK_EQ(r->proto, POL_PROTO_ANY);
	pol_free(p);
}

TEST(lists_are_normalized)
{
	struct pol_policy *p;
	const struct pol_rule *r;

	p = parse("allow in tcp from 10.1.0.0/16 , 10.0.0.0/8, fd00::1, 9.0.0.1 ,10.0.0.0/8 "
		  "to port 443,80, 81-90,85 ,91");
	REQUIRE(p);
	r = pol_rule(p, 1);
	REQUIRE(r->from.naddr == 3);
	CHECK(addr_is(&r->from.addr[0], AF_INET, "9.0.0.1", 32));
	CHECK(addr_is(&r->from.addr[1], AF_INET, "10.0.0.0", 8));
	CHECK(addr_is(&r->from.addr[2], AF_INET6, "fd00::1", 128));
	REQUIRE(r->to.nport == 2);
	CHECK_EQ(r->to.port[0].lo, 80);
	CHECK_EQ(r->to.port[0].hi, 91);
	CHECK_EQ(r->to.port[1].lo, 443);
	pol_free(p);
}

/* The examples of messages the language promises, and the rule that a
 * failed parse leaves the caller's pointer alone. */
TEST(error_messages)
{
	static const struct {
		const char *text;
		unsigned int line, col;
		const char *msg;
	} cases[] = {
		{ "default deny\n\nallow tcp to port 70000", 3, 19,
		  "expected a port (1-65535), got '70000'" },
		{ "allow tcpp", 1, 7,
		  "expected 'in', 'out', a protocol, 'from', 'to', 'user', 'group', 'program' or "
		  "end of line, got 'tcpp'" },
		{ "allow in from 10.0.0.0/33", 1, 24, "bad prefix length 33 for an IPv4 address" },
		{ "allow in from 10.0.0.1/24", 1, 15, "host bits set in 10.0.0.1/24" },
		{ "allow in tcp from", 1, 18, "got end of line" },
		{ "allow in tcp from   # truncated", 1, 18, "got end of line" },
		{ "allow in tcp to port 8000-8080 ", 0, 0, NULL },
		{ "allow in tcp to port 1-65535,1", 0, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_policy *p = (struct pol_policy *)&cases[i];
		struct pol_error err;
		int rc = pol_parse(cases[i].text, strlen(cases[i].text), "p.pol", &p, &err);

		if (!cases[i].msg) {
			CHECK_EQ(rc, 0);
			if (rc == 0)
				pol_free(p);
			continue;
		}
		CHECK_EQ(rc, -EINVAL);
		CHECK(p == (struct pol_policy *)&cases[i]);
		CHECK(strcmp(err.file, "p.pol") == 0);
		CHECK_EQ(err.line, cases[i].line);
		CHECK_EQ(err.col, cases[i].col);
		if (!CHECK(strstr(err.msg, cases[i].msg)))
			printf("  %s: got \"%s\"\n", cases[i].text, err.msg);
	}
}

TEST(limits)
{
	size_t n = (size_t)(POL_RULES_MAX + 1) * 6;
	char *text = malloc(n + POL_LINE_MAX + 2);
	struct pol_policy *p = NULL;
	struct pol_error err;
	size_t i;

	REQUIRE(text);
	for (i = 0; i < (size_t)POL_RULES_MAX + 1; i++)
		memcpy(text + 6 * i, "allow\n", 6);
	CHECK_EQ(pol_parse(text, n - 6, "big", &p, &err), 0);
	if (p) {
		CHECK_EQ(pol_nrules(p), POL_RULES_MAX);
		CHECK_EQ(pol_compile(p), 0);
		pol_free(p);
	}
	p = NULL;
	CHECK_EQ(pol_parse(text, n, "big", &p, &err), -EINVAL);
	CHECK_EQ(err.line, POL_RULES_MAX + 1);
	CHECK_EQ(err.col, 1);
	CHECK(strstr(err.msg, "more than 65536 rules"));
	CHECK(p == NULL);

	/* a line of exactly POL_LINE_MAX bytes is fine, one more is not */
	memset(text, ' ', POL_LINE_MAX + 1);
	memcpy(text, "allow", 5);
	CHECK_EQ(pol_parse(text, POL_LINE_MAX, "long", &p, &err), 0);
	pol_free(p);
	p = NULL;
	text[POL_LINE_MAX] = '\n';
	CHECK_EQ(pol_parse(text, POL_LINE_MAX + 1, "long", &p, &err), 0);
	pol_free(p);
	p = NULL;
	text[POL_LINE_MAX] = ' ';
	CHECK_EQ(pol_parse(text, POL_LINE_MAX + 1, "long", &p, &err), -EINVAL);
	CHECK_EQ(err.col, POL_LINE_MAX + 1);
	CHECK(strstr(err.msg, "line longer than 4096 bytes"));
	free(text);
}

TEST(parse_file_errors)
{
	struct pol_policy *p = NULL;
	struct pol_error err;

	CHECK_EQ(pol_parse_file("tests/policy/no-such-file.pol", &p, &err), -ENOENT);
	CHECK_EQ(err.line, 0);
	CHECK(strstr(err.msg, "cannot open"));
	CHECK_EQ(pol_parse_file(GOOD_DIR, &p, &err), -EISDIR);
	CHECK(p == NULL);
}

/* --- verdicts ------------------------------------------------------------ */

static const char verdict_policy[] =
	"default deny in\n"                                           /* line 1 */
	"default allow out\n"                                         /* line 2 */
	"deny in any from 10.0.0.66\n"                                /* 1 */
	"allow in tcp from 10.0.0.0/24 to port 80,443\n"              /* 2 */
	"allow in tcp to port 8000-8080\n"                            /* 3 */
	"allow in icmp\n"                                             /* 4 */
	"allow out tcp to 10.0.0.1 port 5201\n"                       /* 5 */
	"allow out udp to fd00::/64 port 53\n"                        /* 6 */
	"deny out any to 192.0.2.0/24\n"                              /* 7 */
	"allow in tcp from 203.0.113.255 to 198.51.100.0 port 22\n"   /* 8 */
	"allow in udp from ::/0 port 1-1023 to 2001:db8::1 port 5353\n" /* 9 */
	"allow in tcp from 0.0.0.0/0 to port 9000\n"                  /* 10 */
	"allow in tcp from 172.16.0.0/12, 2001:db8:1::/48 to port 7000-7001,7003\n" /* 11 */
	"deny in tcp to port 7000\n"                                  /* 12 */
	"allow in tcp to port 7000\n"                                 /* 13 */
	"allow tcp from 100.64.0.0/10 to port 65535\n";               /* 14 */

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ICMP IPPROTO_ICMP
#define ICMP6 IPPROTO_ICMPV6
#define SCTP IPPROTO_SCTP

static const struct {
	unsigned int dir, proto;
	const char *src;
	unsigned int sport;
	const char *dst;
	unsigned int dport;
	unsigned int rule, allow;
} verdicts[] = {
	/* first match wins: .66 is in 10.0.0.0/24 too */
	{ POL_IN, TCP, "10.0.0.66", 1234, "10.0.0.2", 80, 1, 0 },
	{ POL_IN, ICMP, "10.0.0.66", 0, "10.0.0.2", 0, 1, 0 },
	/* the /24: first and last address, and just outside */
	{ POL_IN, TCP, "10.0.0.5", 1234, "10.0.0.2", 80, 2, 1 },
	{ POL_IN, TCP, "10.0.0.5", 1234, "10.0.0.2", 443, 2, 1 },
	{ POL_IN, TCP, "10.0.0.5", 1234, "10.0.0.2", 444, 0, 0 },
	{ POL_IN, TCP, "10.0.0.0", 1, "10.0.0.2", 80, 2, 1 },
	{ POL_IN, TCP, "10.0.0.255", 65535, "10.0.0.2", 80, 2, 1 },
	{ POL_IN, TCP, "10.0.1.0", 1234, "10.0.0.2", 80, 0, 0 },
	{ POL_IN, TCP, "9.255.255.255", 1234, "10.0.0.2", 80, 0, 0 },
	{ POL_IN, UDP, "10.0.0.5", 1234, "10.0.0.2", 80, 0, 0 },
	/* the same addresses outbound are another matter */
	{ POL_OUT, TCP, "10.0.0.5", 1234, "10.0.0.2", 80, 0, 1 },
	/* port range edges */
	{ POL_IN, TCP, "192.0.2.1", 1234, "10.0.0.2", 7999, 0, 0 },
	{ POL_IN, TCP, "192.0.2.1", 1234, "10.0.0.2", 8000, 3, 1 },
	{ POL_IN, TCP, "2001:db8::7", 1234, "2001:db8::2", 8080, 3, 1 },
	{ POL_IN, TCP, "192.0.2.1", 1234, "10.0.0.2", 8081, 0, 0 },
	/* icmp: ICMP in IPv4, ICMPv6 in IPv6, nothing else */
	{ POL_IN, ICMP, "192.0.2.1", 0, "10.0.0.2", 0, 4, 1 },
	{ POL_IN, ICMP6, "2001:db8::7", 0, "2001:db8::2", 0, 4, 1 },
	{ POL_IN, ICMP6, "192.0.2.1", 0, "10.0.0.2", 0, 0, 0 },
	{ POL_IN, ICMP, "2001:db8::7", 0, "2001:db8::2", 0, 0, 0 },
	{ POL_IN, ICMP, "192.0.2.1", 0, "10.0.0.2", 80, 4, 1 }, /* ports ignored */
	{ POL_OUT, ICMP, "10.0.0.2", 0, "198.51.100.9", 0, 0, 1 },
	/* outbound */
	{ POL_OUT, TCP, "10.0.0.2", 40000, "10.0.0.1", 5201, 5, 1 },
	{ POL_IN, TCP, "10.0.0.1", 40000, "10.0.0.2", 5201, 0, 0 },
	{ POL_OUT, TCP, "10.0.0.2", 40000, "10.0.0.3", 5201, 0, 1 },
	{ POL_OUT, UDP, "10.0.0.2", 40000, "10.0.0.1", 5201, 0, 1 },
	{ POL_OUT, UDP, "fd00::2", 40000, "fd00::1", 53, 6, 1 },
	{ POL_OUT, UDP, "fd00::2", 40000, "fd00::ffff:ffff:ffff:ffff", 53, 6, 1 },
	{ POL_OUT, UDP, "fd00::2", 40000, "fd00:0:0:1::", 53, 0, 1 },
	{ POL_OUT, UDP, "fd00::2", 40000, "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 53, 0, 1 },
	{ POL_OUT, TCP, "fd00::2", 40000, "fd00::1", 53, 0, 1 },
	/* any: every protocol, including unnamed ones */
	{ POL_OUT, TCP, "10.0.0.2", 1, "192.0.2.7", 80, 7, 0 },
	{ POL_OUT, SCTP, "10.0.0.2", 1, "192.0.2.255", 80, 7, 0 },
	{ POL_OUT, SCTP, "10.0.0.2", 1, "192.0.3.0", 80, 0, 1 },
	{ POL_IN, SCTP, "192.0.2.7", 1, "10.0.0.2", 80, 0, 0 },
	/* /32 and single ports exactly */
	{ POL_IN, TCP, "203.0.113.255", 1, "198.51.100.0", 22, 8, 1 },
	{ POL_IN, TCP, "203.0.113.254", 1, "198.51.100.0", 22, 0, 0 },
	{ POL_IN, TCP, "203.0.113.255", 1, "198.51.100.1", 22, 0, 0 },
	{ POL_IN, TCP, "203.0.113.255", 1, "198.51.100.0", 23, 0, 0 },
	/* ::/0 and /128; source ports */
	{ POL_IN, UDP, "::", 1023, "2001:db8::1", 5353, 9, 1 },
	{ POL_IN, UDP, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "2001:db8::1", 5353, 9, 1 },
	{ POL_IN, UDP, "::1", 1024, "2001:db8::1", 5353, 0, 0 },
	{ POL_IN, UDP, "::1", 1000, "2001:db8::2", 5353, 0, 0 },
	{ POL_IN, UDP, "::1", 1000, "2001:db8::", 5353, 0, 0 },
	/* 0.0.0.0/0 is every IPv4 address and no IPv6 one */
	{ POL_IN, TCP, "1.2.3.4", 5, "10.0.0.2", 9000, 10, 1 },
	{ POL_IN, TCP, "255.255.255.255", 5, "10.0.0.2", 9000, 10, 1 },
	{ POL_IN, TCP, "2001:db8::7", 5, "2001:db8::2", 9000, 0, 0 },
	/* nor is 10.0.0.66 ::ffff:10.0.0.66 */
	{ POL_IN, TCP, "::ffff:10.0.0.66", 1, "::ffff:10.0.0.2", 80, 0, 0 },
	/* lists, of both families; partial shadowing */
	{ POL_IN, TCP, "172.16.0.1", 1, "10.0.0.2", 7000, 11, 1 },
	{ POL_IN, TCP, "172.31.255.255", 1, "10.0.0.2", 7003, 11, 1 },
	{ POL_IN, TCP, "172.16.0.1", 1, "10.0.0.2", 7002, 0, 0 },
	{ POL_IN, TCP, "172.32.0.0", 1, "10.0.0.2", 7000, 12, 0 },
	{ POL_IN, TCP, "172.15.255.255", 1, "10.0.0.2", 7001, 0, 0 },
	{ POL_IN, TCP, "2001:db8:1:ffff::9", 1, "2001:db8::2", 7001, 11, 1 },
	{ POL_IN, TCP, "2001:db8:2::", 1, "2001:db8::2", 7000, 12, 0 },
	/* a rule without direction holds both ways; port 65535 */
	{ POL_IN, TCP, "100.64.0.1", 1, "10.0.0.2", 65535, 14, 1 },
	{ POL_OUT, TCP, "100.127.255.255", 1, "10.0.0.2", 65535, 14, 1 },
	{ POL_OUT, TCP, "100.128.0.0", 1, "10.0.0.2", 65535, 0, 1 },
	{ POL_IN, TCP, "100.64.0.1", 1, "10.0.0.2", 65534, 0, 0 },
};

TEST(verdict_table)
{
	static const unsigned int blocks[] = { POL_BLOCK_RULES, 1, 3 };
	struct pol_policy *p = parse(verdict_policy);
	size_t i, b;

	REQUIRE(p);
	REQUIRE(pol_nrules(p) == 14);
	for (b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		REQUIRE(pol_compile_blocks(p, blocks[b]) == 0);
		for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
			struct pol_flow f = flow(verdicts[i].dir, verdicts[i].proto,
						 verdicts[i].src, verdicts[i].sport,
						 verdicts[i].dst, verdicts[i].dport);
			struct pol_verdict v = { 9, 99, 99 }, l = { 9, 99, 99 };
			uint32_t line;

			CHECK_EQ(pol_match(p, &f, &v), 0);
			CHECK_EQ(pol_match_linear(p, &f, &l), 0);
			if (!CHECK_EQ(v.rule, verdicts[i].rule) ||
			    !CHECK_EQ(v.allow, verdicts[i].allow))
				printf("  case %zu (blocks of %u)\n", i, blocks[b]);
			CHECK_EQ(l.rule, verdicts[i].rule);
			CHECK_EQ(l.allow, verdicts[i].allow);
			if (v.rule)
				line = pol_rule(p, v.rule)->line;
			else
				pol_default(p, f.dir, &line);
			CHECK_EQ(v.line, line);
			CHECK_EQ(l.line, line);
		}
	}
	pol_free(p);
}

TEST(bad_flows)
{
	struct pol_policy *p = parse("allow");
	struct pol_flow f = flow(POL_IN, TCP, "10.0.0.1", 1, "10.0.0.2", 2);
	struct pol_verdict v;

	REQUIRE(p);
	CHECK_EQ(pol_match(p, &f, &v), -EINVAL); /* not compiled */
	CHECK_EQ(pol_match_linear(p, &f, &v), 0);
	REQUIRE(pol_compile(p) == 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	f.dir = POL_BOTH;
	CHECK_EQ(pol_match(p, &f, &v), -EINVAL);
	CHECK_EQ(pol_match_linear(p, &f, &v), -EINVAL);
	f.dir = 0;
	CHECK_EQ(pol_match(p, &f, &v), -EINVAL);
	f.dir = POL_IN;
	f.family = AF_UNIX;
	CHECK_EQ(pol_match(p, &f, &v), -EINVAL);
	CHECK_EQ(pol_compile_blocks(p, 0), -EINVAL);
	pol_free(p);
}

TEST(builtin_default)
{
	static const char canon[] = "default deny in\ndefault allow out\nallow in icmp\n";
	struct pol_policy *p = NULL;
	struct pol_flow f;
	struct pol_verdict v;
	char *text;
	size_t len;

	REQUIRE(pol_builtin_default(&p) == 0);
	CHECK_EQ(pol_nrules(p), 1);
	REQUIRE(pol_canonical(p, &text, &len) == 0);
	CHECK(len == strlen(canon) && strcmp(text, canon) == 0);
	free(text);
	f = flow(POL_IN, ICMP, "192.0.2.1", 0, "10.0.0.2", 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK(v.allow == 1 && v.rule == 1);
	f = flow(POL_IN, ICMP6, "2001:db8::1", 0, "2001:db8::2", 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK(v.allow == 1 && v.rule == 1);
	f = flow(POL_IN, TCP, "192.0.2.1", 1, "10.0.0.2", 22);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK(v.allow == 0 && v.rule == 0);
	f = flow(POL_IN, UDP, "2001:db8::1", 1, "2001:db8::2", 53);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK(v.allow == 0 && v.rule == 0);
	f = flow(POL_OUT, TCP, "10.0.0.2", 1, "192.0.2.1", 443);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK(v.allow == 1 && v.rule == 0);
	f = flow(POL_OUT, ICMP, "10.0.0.2", 0, "192.0.2.1", 0);
	CHECK_EQ(pol_match(p, &f, &v), 0);
	CHECK(v.allow == 1 && v.rule == 0);
	pol_free(p);
}

/* --- canonical text --------------------------------------------------- */

static char *format_text(const struct pol_policy *p)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		abort();
	if (pol_format(p, f))
		abort();
	fclose(f);
	return buf;
}

/* parse -> format -> parse -> format -> parse: the policies are equal,
 * the last two listings and the canonical texts identical, hashes too. */
static void check_fixed_point(struct pol_policy *p1, const char *what)
{
	struct pol_policy *p2, *p3;
	char *f1, *f2, *f3, *c1, *c2;
	size_t n1, n2;
	uint8_t h1[32], h2[32];

	f1 = format_text(p1);
	p2 = parse(f1);
	if (!CHECK(p2)) {
		printf("  %s:\n%s", what, f1);
		free(f1);
		return;
	}
	f2 = format_text(p2);
	p3 = parse(f2);
	if (!CHECK(p3)) {
		free(f1);
		free(f2);
		pol_free(p2);
		return;
	}
	f3 = format_text(p3);
	if (!CHECK(pol_equal(p1, p2) && pol_equal(p2, p3)) || !CHECK(strcmp(f2, f3) == 0))
		printf("  %s:\n%s---\n%s---\n%s", what, f1, f2, f3);
	CHECK_EQ(pol_canonical(p1, &c1, &n1), 0);
	CHECK_EQ(pol_canonical(p2, &c2, &n2), 0);
	CHECK(n1 == n2 && memcmp(c1, c2, n1) == 0);
	CHECK_EQ(pol_hash(p1, h1), 0);
	CHECK_EQ(pol_hash(p2, h2), 0);
	CHECK_MEM(h1, h2, 32);
	free(c1);
	free(c2);
	free(f1);
	free(f2);
	free(f3);
	pol_free(p2);
	pol_free(p3);
}

TEST(format_fixed_point)
{
	struct pol_policy *p = parse(verdict_policy);

	REQUIRE(p);
	check_fixed_point(p, "verdict policy");
	pol_free(p);
}

TEST(format_listing)
{
	struct pol_policy *p =
		parse("default deny in\n\nallow in tcp from 10.0.0.0/24 to port 443,80\n");
	char *text;

	REQUIRE(p);
	text = format_text(p);
	CHECK(strcmp(text,
		     "default deny in                             # line 1\n"
		     "default allow out                           "
		     "# implied: no default in the file\n"
		     "allow in tcp from 10.0.0.0/24 to port 80,443   # rule 1 (line 3)\n") == 0);
	free(text);
	pol_free(p);
}

TEST(hash)
{
	/* b differs in comments, spacing, list order, an implied default */
	struct pol_policy *a = parse("allow in tcp to port 80,443\n"),
			  *b = parse("# same\r\ndefault deny in\n  allow in tcp to port 443 , 80 "),
			  *c = parse("allow in tcp to port 80,444\n");
	uint8_t ha[32], hb[32], hc[32], want[32];
	char *text;
	size_t len;

	REQUIRE(a && b && c);
	CHECK_EQ(pol_hash(a, ha), 0);
	CHECK_EQ(pol_hash(b, hb), 0);
	CHECK_EQ(pol_hash(c, hc), 0);
	CHECK_MEM(ha, hb, 32);
	CHECK(memcmp(ha, hc, 32) != 0);
	REQUIRE(pol_canonical(a, &text, &len) == 0);
	crypto_hash_sha256(want, (const unsigned char *)text, len);
	CHECK_MEM(ha, want, 32);
	free(text);
	pol_free(a);
	pol_free(b);
	pol_free(c);
}

/* --- the corpora --------------------------------------------------------- */

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

TEST(good_corpus)
{
	struct dirent *de;
	DIR *d = opendir(GOOD_DIR);
	unsigned int files = 0;

	REQUIRE(d);
	while ((de = readdir(d)) != NULL) {
		char path[512];
		struct pol_policy *p;
		struct pol_error err;

		if (!has_suffix(de->d_name, ".pol"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", GOOD_DIR, de->d_name);
		files++;
		if (!CHECK_EQ(pol_parse_file(path, &p, &err), 0)) {
			pol_error_print(&err, stdout);
			continue;
		}
		CHECK_EQ(pol_compile(p), 0);
		check_fixed_point(p, path);
		pol_free(p);
	}
	closedir(d);
	CHECK(files >= 5);
}

/* Every bad file is listed in expected.txt and fails just as it says. */
TEST(bad_corpus)
{
	char line[1024], listed[128][96];
	unsigned int n = 0, i, files = 0;
	struct dirent *de;
	FILE *f = fopen(BAD_DIR "/expected.txt", "r");
	DIR *d;

	REQUIRE(f);
	while (fgets(line, sizeof(line), f)) {
		char name[96], path[256], *msg;
		unsigned int ln, col;
		struct pol_policy *p = NULL;
		struct pol_error err;
		int off = 0, rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (!CHECK(sscanf(line, "%95s %u:%u %n", name, &ln, &col, &off) == 3 && off > 0)) {
			printf("  expected.txt: bad line: %s\n", line);
			continue;
		}
		msg = line + off;
		REQUIRE(n < sizeof(listed) / sizeof(listed[0]));
		snprintf(listed[n++], sizeof(listed[0]), "%s", name);
		snprintf(path, sizeof(path), "%s/%s", BAD_DIR, name);
		rc = pol_parse_file(path, &p, &err);
		if (!CHECK_EQ(rc, -EINVAL) || !CHECK(p == NULL)) {
			printf("  %s was accepted\n", path);
			pol_free(p);
			continue;
		}
		if (!CHECK(err.line == ln && err.col == col && strstr(err.msg, msg) &&
			   strcmp(err.file, path) == 0)) {
			printf("  want %s:%u:%u: %s\n  got  ", path, ln, col, msg);
			pol_error_print(&err, stdout);
		}
	}
	fclose(f);
	CHECK(n >= 25);

	d = opendir(BAD_DIR);
	REQUIRE(d);
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".pol"))
			continue;
		files++;
		for (i = 0; i < n && strcmp(listed[i], de->d_name) != 0; i++)
			;
		if (!CHECK(i < n))
			printf("  %s/%s is not in expected.txt\n", BAD_DIR, de->d_name);
	}
	closedir(d);
	CHECK_EQ(files, n);
}


/* --- owners ---------------------------------------------------------------- */

static struct ax_cred cred(uint32_t uid, uint32_t gid, const char *exe)
{
	struct ax_cred c;

	memset(&c, 0, sizeof(c));
	c.uid = uid;
	c.gid = gid;
	c.pid = 4242;
	snprintf(c.exe, sizeof(c.exe), "%s", exe);
	return c;
}

TEST(owner_parse_and_canonical)
{
	struct passwd *pw = getpwnam("www-data");
	struct pol_policy *p, *q;
	const struct pol_rule *r;
	char *text, want[256];
	size_t len;
	uint8_t h1[32], h2[32];

	REQUIRE(pw);
	p = parse("allow in tcp to port 80 program /usr/sbin/nginx user www-data\n"
		  "allow out group root program /opt/my%20app/bin%2C1/*\n"
		  "deny out user 1000 group 4294967294 program /a%25b%2a\n");
	REQUIRE(p);
	r = pol_rule(p, 1);
	CHECK_EQ(r->owner, POL_OWN_UID | POL_OWN_PROG);
	CHECK_EQ(r->uid, pw->pw_uid);
	CHECK(r->prog && strcmp(r->prog, "/usr/sbin/nginx") == 0);
	CHECK_EQ(r->prog_len, 15);
	CHECK_EQ(r->prog_dir, 0);
	r = pol_rule(p, 2);
	CHECK_EQ(r->owner, POL_OWN_GID | POL_OWN_PROG);
	CHECK_EQ(r->gid, 0);
	CHECK(r->prog && strcmp(r->prog, "/opt/my app/bin,1/") == 0);
	CHECK_EQ(r->prog_dir, 1);
	r = pol_rule(p, 3);
	CHECK_EQ(r->owner, POL_OWN_UID | POL_OWN_GID | POL_OWN_PROG);
	CHECK_EQ(r->uid, 1000);
	CHECK_EQ(r->gid, 4294967294u);
	CHECK(r->prog && strcmp(r->prog, "/a%b*") == 0);
	CHECK_EQ(r->prog_dir, 0);

	/* numbers, user-group-program order, lowercase %XX for what a word
	 * cannot hold or would read otherwise */
	REQUIRE(pol_canonical(p, &text, &len) == 0);
	snprintf(want, sizeof(want),
		 "default deny in\n"
		 "default allow out\n"
		 "allow in tcp to port 80 user %u program /usr/sbin/nginx\n"
		 "allow out any group 0 program /opt/my%%20app/bin%%2c1/*\n"
		 "deny out any user 1000 group 4294967294 program /a%%25b%%2a\n",
		 (unsigned int)pw->pw_uid);
	if (!CHECK(strcmp(text, want) == 0))
		printf("  got:\n%s", text);
	q = parse(text);
	REQUIRE(q);
	CHECK(pol_equal(p, q));
	free(text);
	pol_free(q);

	/* an owner condition is part of the rule: another hash, unequal */
	q = parse("allow in tcp to port 80\n"
		  "allow out group root program /opt/my%20app/bin%2C1/*\n"
		  "deny out user 1000 group 4294967294 program /a%25b%2a\n");
	REQUIRE(q);
	CHECK(!pol_equal(p, q));
	REQUIRE(pol_hash(p, h1) == 0 && pol_hash(q, h2) == 0);
	CHECK(memcmp(h1, h2, 32) != 0);
	pol_free(q);
	/* the name and the number are the same rule */
	snprintf(want, sizeof(want),
		 "allow in tcp to port 80 user %u program /usr/sbin/nginx\n"
		 "allow out group 0 program /opt/my%%20app/bin%%2c1/*\n"
		 "deny out user 1000 group 4294967294 program /a%%25b%%2A\n",
		 (unsigned int)pw->pw_uid);
	q = parse(want);
	REQUIRE(q);
	CHECK(pol_equal(p, q));
	REQUIRE(pol_hash(q, h2) == 0);
	CHECK(memcmp(h1, h2, 32) == 0);
	pol_free(q);
	pol_free(p);
}

static const char owner_policy[] =
	"default deny in\n"
	"default allow out\n"
	"allow in tcp to port 80 program /usr/sbin/nginx\n"   /* 1 */
	"deny out tcp to port 443 program /usr/bin/curl\n"    /* 2 */
	"allow out tcp to port 443 user 33\n"                 /* 3 */
	"deny out tcp to port 443\n"                          /* 4 */
	"allow out udp to port 53 group 1\n"                  /* 5 */
	"deny out udp to port 53\n"                           /* 6 */
	"allow in tcp to port 8000 program /opt/app/*\n"      /* 7 */
	"allow in tcp to port 8000 program /opt/app\n"        /* 8: an exact path inside a dir's */
	"deny in tcp to port 9000 user 0 group 0 program /usr/bin/x\n"  /* 9 */
	"allow in tcp to port 9000 user 0\n";                 /* 10 */

TEST(owner_verdicts)
{
	static const struct {
		unsigned int dir, proto, dport;
		int has_owner;
		uint32_t uid, gid;
		const char *exe;
		unsigned int allow, rule;
	} cases[] = {
		/* the same port: allowed to one program, denied to another */
		{ POL_IN, TCP, 80, 1, 33, 33, "/usr/sbin/nginx", 1, 1 },
		{ POL_IN, TCP, 80, 1, 33, 33, "/usr/sbin/apache2", 0, 0 },
		{ POL_IN, TCP, 80, 1, 33, 33, "/usr/sbin/nginx2", 0, 0 },
		{ POL_IN, TCP, 80, 1, 33, 33, "/usr/sbin/ngin", 0, 0 },
		{ POL_IN, TCP, 80, 1, 33, 33, "", 0, 0 },       /* exe unknown */
		{ POL_IN, TCP, 80, 0, 0, 0, NULL, 0, 0 },       /* no owner at all */
		/* by program before by user, by user before the catch-all */
		{ POL_OUT, TCP, 443, 1, 33, 33, "/usr/bin/curl", 0, 2 },
		{ POL_OUT, TCP, 443, 1, 33, 33, "/usr/bin/wget", 1, 3 },
		{ POL_OUT, TCP, 443, 1, 1000, 33, "/usr/bin/wget", 0, 4 },
		{ POL_OUT, TCP, 443, 0, 0, 0, NULL, 0, 4 },
		/* by group */
		{ POL_OUT, UDP, 53, 1, 1000, 1, "/usr/bin/dig", 1, 5 },
		{ POL_OUT, UDP, 53, 1, 1, 1000, "/usr/bin/dig", 0, 6 },
		{ POL_OUT, UDP, 53, 0, 0, 0, NULL, 0, 6 },
		{ POL_OUT, UDP, 54, 0, 0, 0, NULL, 1, 0 },
		/* a directory: everything under it, not itself nor a sibling */
		{ POL_IN, TCP, 8000, 1, 1, 1, "/opt/app/bin/server", 1, 7 },
		{ POL_IN, TCP, 8000, 1, 1, 1, "/opt/app/x", 1, 7 },
		{ POL_IN, TCP, 8000, 1, 1, 1, "/opt/app", 1, 8 },
		{ POL_IN, TCP, 8000, 1, 1, 1, "/opt/apps/x", 0, 0 },
		{ POL_IN, TCP, 8000, 1, 1, 1, "/opt/ap", 0, 0 },
		{ POL_IN, TCP, 8000, 1, 1, 1, "/opt/app.x", 0, 0 },
		/* all conditions of a rule at once */
		{ POL_IN, TCP, 9000, 1, 0, 0, "/usr/bin/x", 0, 9 },
		{ POL_IN, TCP, 9000, 1, 0, 1, "/usr/bin/x", 1, 10 },
		{ POL_IN, TCP, 9000, 1, 0, 0, "/usr/bin/y", 1, 10 },
		{ POL_IN, TCP, 9000, 1, 1, 0, "/usr/bin/x", 0, 0 },
	};
	static const unsigned int blocks[] = { 1, 2, 3, POL_BLOCK_RULES };
	struct pol_policy *p = parse(owner_policy);
	size_t i, b;

	REQUIRE(p);
	for (b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		REQUIRE(pol_compile_blocks(p, blocks[b]) == 0);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct pol_flow f = flow(cases[i].dir, cases[i].proto, "10.0.0.1", 40000,
						 "10.0.0.2", cases[i].dport);
			struct ax_cred c = cred(cases[i].uid, cases[i].gid,
						cases[i].exe ? cases[i].exe : "");
			struct pol_verdict v, l;

			f.owner = cases[i].has_owner ? &c : NULL;
			CHECK_EQ(pol_match(p, &f, &v), 0);
			CHECK_EQ(pol_match_linear(p, &f, &l), 0);
			if (!CHECK(v.allow == cases[i].allow && v.rule == cases[i].rule) ||
			    !CHECK(l.allow == cases[i].allow && l.rule == cases[i].rule))
				printf("  case %zu (block %u): compiled %u/rule %u, linear %u/rule %u, "
				       "want %u/rule %u\n", i, blocks[b], v.allow, v.rule, l.allow,
				       l.rule, cases[i].allow, cases[i].rule);
		}
	}
	pol_free(p);
}

/* --- random policies: compiled against linear ------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: seeded, so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

/*
 * Addresses come from a small pool so prefixes nest and overlap: bytes
 * from a handful of values, lengths around byte boundaries and the ends.
 */
static void rand_addr(int v6, uint8_t *a)
{
	static const uint8_t bytes[] = { 0, 1, 2, 10, 127, 128, 254, 255 };
	unsigned int i, n = v6 ? 16 : 4;

	memset(a, 0, 16);
	for (i = 0; i < n; i++)
		a[i] = (i < 2 || i >= n - 2 || pick(4) == 0) ? bytes[pick(sizeof(bytes))] : 0;
}

static unsigned int rand_len(int v6)
{
	static const uint8_t l4[] = { 0, 1, 7, 8, 9, 16, 23, 24, 25, 31, 32, 32, 32 };
	static const uint8_t l6[] = { 0, 1, 8, 16, 48, 63, 64, 65, 120, 127, 128, 128, 128 };

	return v6 ? l6[pick(sizeof(l6))] : l4[pick(sizeof(l4))];
}

static const uint16_t port_points[] = { 1, 2, 21, 22, 23, 79, 80, 443, 1023, 1024, 8080,
					65534, 65535 };

static uint16_t rand_port(void)
{
	if (pick(4) == 0)
		return (uint16_t)(1 + pick(65535));
	return port_points[pick(sizeof(port_points) / sizeof(port_points[0]))];
}

static void append(char **s, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char **s, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(*s, *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= *n)
		abort();
	*s += k;
	*n -= (size_t)k;
}

/* fams: 1 IPv4, 2 IPv6, 3 both (each list then holds both) */
static void rand_end(char **s, size_t *n, const char *side, int ports, unsigned int fams)
{
	unsigned int i, k, want = 1 + (pick(3) == 0 ? pick(4) : 0);
	int addrs = pick(3) != 0;

	if (!addrs && !ports)
		return;
	append(s, n, " %s", side);
	for (i = 0; addrs && (i < want || i < (fams == 3 ? 2u : 1u)); i++) {
		int v6 = fams == 3 ? (int)(i % 2) : fams == 2;
		uint8_t a[16];
		char t[INET6_ADDRSTRLEN];
		unsigned int len = rand_len(v6), max = v6 ? 128 : 32;

		rand_addr(v6, a);
		for (k = len; k < max; k++)
			a[k / 8] &= (uint8_t) ~(0x80u >> (k % 8));
		inet_ntop(v6 ? AF_INET6 : AF_INET, a, t, sizeof(t));
		append(s, n, "%s%s/%u", i ? "," : " ", t, len);
	}
	if (!ports)
		return;
	append(s, n, " port");
	want = 1 + (pick(3) == 0 ? pick(5) : 0);
	for (i = 0; i < want; i++) {
		uint16_t a = rand_port(), b = pick(2) ? a : rand_port();

		if (a > b) {
			uint16_t t = a;

			a = b;
			b = t;
		}
		if (a == b)
			append(s, n, "%s%u", i ? "," : " ", a);
		else
			append(s, n, "%s%u-%u", i ? "," : " ", a, b);
	}
}

/*
 * Owners from small pools, so rules and flows meet: ids at the ends of
 * their range, paths that are prefixes of one another, directories and
 * exact paths inside them, bytes below '/' and above 0x7f (strncmp
 * compares unsigned), the empty (unknown) executable.
 */
static const uint32_t id_pool[] = { 0, 1, 33, 1000, 4294967294u };
static const char *const prog_pool[] = {
	"/usr/bin/a", "/usr/bin/ab", "/usr/bin/a/*", "/usr/bin/*", "/usr/*", "/*",
	"/usr/bin/a%21", "/usr/bin/a%ff", "/usr/bin/a%ff/*", "/opt/x%20y", "/usr/sbin/a",
};
static const char *const exe_pool[] = {
	"/usr/bin/a", "/usr/bin/ab", "/usr/bin/a/b", "/usr/bin/a/", "/usr/bin/b", "/usr/bin",
	"/usr", "/usr/sbin/a", "/usr/bin/a!", "/usr/bin/a\xff", "/usr/bin/a\xff/c",
	"/opt/x y", "/opt/x", "", "/usr/bin/a\x01", "/u",
};

static void rand_owner(char **s, size_t *n)
{
	unsigned int k = 1 + pick(7), i;

	for (i = 0; i < 3; i++) {
		unsigned int which = (i + k) % 3;

		if (!(k & (1u << which)))
			continue;
		if (which == 0)
			append(s, n, " user %u", id_pool[pick(5)]);
		else if (which == 1)
			append(s, n, " group %u", id_pool[pick(5)]);
		else
			append(s, n, " program %s",
			       prog_pool[pick(sizeof(prog_pool) / sizeof(prog_pool[0]))]);
	}
}

/* A random policy with nrules rules, as text (so the parser is in the
 * loop too); buf must be large. */
static void rand_policy(char *buf, size_t size, unsigned int nrules)
{
	static const char *const dirs[] = { "", " in", " out" };
	static const char *const protos[] = { "", " tcp", " udp", " icmp", " any" };
	char *s = buf;
	size_t n = size;
	unsigned int i;

	if (pick(2))
		append(&s, &n, "default %s in\n", pick(2) ? "allow" : "deny");
	if (pick(2))
		append(&s, &n, "default %s out\n", pick(2) ? "allow" : "deny");
	for (i = 0; i < nrules; i++) {
		unsigned int proto = pick(5), fams = 1 + pick(3);
		int ports = proto == 1 || proto == 2;

		append(&s, &n, "%s%s%s", pick(2) ? "allow" : "deny", dirs[pick(3)], protos[proto]);
		if (pick(3))
			rand_end(&s, &n, "from", ports && pick(4) == 0, fams);
		if (pick(4))
			rand_end(&s, &n, "to", ports && pick(3) != 0, fams);
		if (pick(3) == 0)
			rand_owner(&s, &n);
		append(&s, &n, "\n");
	}
}

/* a +/- 1 on a big-endian number of n bytes, wrapping */
static void addr_step(uint8_t *a, unsigned int n, int up)
{
	int i;

	for (i = (int)n - 1; i >= 0; i--) {
		a[i] = (uint8_t)(a[i] + (up ? 1 : -1));
		if (a[i] != (up ? 0 : 0xff))
			break;
	}
}

/* An address near a random rule's prefix edges, or anywhere. */
static void rand_flow_addr(const struct pol_policy *p, int v6, uint8_t *a, int from)
{
	unsigned int n = v6 ? 16 : 4, max = v6 ? 128 : 32, i, k;
	const struct pol_rule *r;
	const struct pol_end *e;

	if (pol_nrules(p) == 0 || pick(4) == 0) {
		rand_addr(v6, a);
		return;
	}
	r = pol_rule(p, 1 + pick(pol_nrules(p)));
	e = from ? &r->from : &r->to;
	for (i = 0; i < e->naddr; i++) {
		const struct pol_prefix *q = &e->addr[(i + pick(e->naddr)) % e->naddr];

		if (q->family != (v6 ? AF_INET6 : AF_INET))
			continue;
		memcpy(a, q->addr, 16);
		switch (pick(5)) {
		case 0: /* first */
			break;
		case 1: /* just before */
			addr_step(a, n, 0);
			break;
		case 2: /* last, or just after */
		case 3:
			for (k = q->len; k < max; k++)
				a[k / 8] |= (uint8_t)(0x80u >> (k % 8));
			if (pick(2))
				addr_step(a, n, 1);
			break;
		default: /* somewhere inside */
			for (k = q->len; k < max; k++)
				if (pick(2))
					a[k / 8] |= (uint8_t)(0x80u >> (k % 8));
		}
		if (!v6)
			memset(a + 4, 0, 12);
		return;
	}
	rand_addr(v6, a);
}

static uint16_t rand_flow_port(void)
{
	uint16_t p = rand_port();

	switch (pick(4)) {
	case 0: return (uint16_t)(p + 1);
	case 1: return (uint16_t)(p - 1);
	default: return p;
	}
}

static struct ax_cred owner_pool[64];

static void rand_flow(const struct pol_policy *p, struct pol_flow *f)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
					  IPPROTO_ICMPV6, IPPROTO_SCTP };
	int v6 = (int)pick(2);

	memset(f, 0, sizeof(*f));
	f->dir = pick(2) ? POL_IN : POL_OUT;
	f->proto = protos[pick(sizeof(protos))];
	f->family = v6 ? AF_INET6 : AF_INET;
	rand_flow_addr(p, v6, f->src, 1);
	rand_flow_addr(p, v6, f->dst, 0);
	f->sport = rand_flow_port();
	f->dport = rand_flow_port();
	f->owner = pick(4) == 0 ? NULL : &owner_pool[pick(64)];
}

static void fill_owner_pool(void)
{
	unsigned int i;

	for (i = 0; i < 64; i++)
		owner_pool[i] = cred(id_pool[pick(5)], id_pool[pick(5)],
				     exe_pool[pick(sizeof(exe_pool) / sizeof(exe_pool[0]))]);
}

static unsigned int cross_check(struct pol_policy *p, unsigned int flows, const char *text)
{
	unsigned int i, bad = 0;

	for (i = 0; i < flows; i++) {
		struct pol_flow f;
		struct pol_verdict v, l;

		rand_flow(p, &f);
		if (pol_match(p, &f, &v) || pol_match_linear(p, &f, &l) || v.allow != l.allow ||
		    v.rule != l.rule || v.line != l.line) {
			if (bad++ == 0)
				printf("  compiled rule %u, linear rule %u; policy:\n%s", v.rule,
				       l.rule, text);
		}
	}
	return bad;
}

TEST(random_cross_check)
{
	static const unsigned int blocks[] = { 1, 2, 7, 64, 65, 200, POL_BLOCK_RULES };
	static char text[1 << 20];
	unsigned int round, cases = 0, bad = 0;

	rng_state = 0x9e3779b97f4a7c15ULL;
	fill_owner_pool();
	for (round = 0; cases < 100000; round++) {
		unsigned int nrules = pick(8) == 0 ? pick(600) : pick(60);
		unsigned int b = blocks[pick(sizeof(blocks) / sizeof(blocks[0]))];
		struct pol_policy *p;

		rand_policy(text, sizeof(text), nrules);
		p = parse(text);
		if (!CHECK(p)) {
			printf("%s", text);
			return;
		}
		REQUIRE(pol_compile_blocks(p, b) == 0);
		bad += cross_check(p, 1000, text);
		cases += 1000;
		if (round % 10 == 0)
			check_fixed_point(p, "random policy");
		pol_free(p);
	}
	CHECK_EQ(bad, 0);
	printf("  %u cases over %u policies\n", cases, round);
}

/* Several full blocks with the default block size. */
TEST(random_large_policy)
{
	static char text[4 << 20];
	struct pol_policy *p;
	struct pol_stats st;

	rng_state = 42;
	fill_owner_pool();
	rand_policy(text, sizeof(text), 3000);
	p = parse(text);
	REQUIRE(p);
	REQUIRE(pol_compile(p) == 0);
	pol_stats(p, &st);
	CHECK(st.blocks >= 4);
	CHECK(st.bytes > 0);
	CHECK_EQ(cross_check(p, 20000, "(3000 random rules)\n"), 0);
	pol_free(p);
}

#if defined(__SANITIZE_ADDRESS__)
/* ASan calls these on every malloc and free: count them. */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *));
static volatile unsigned long mallocs;

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	mallocs++;
}

static void on_free(const volatile void *p)
{
	(void)p;
}
#endif

TEST(match_allocates_nothing)
{
#if defined(__SANITIZE_ADDRESS__)
	static char text[1 << 20];
	struct pol_policy *p;
	struct pol_flow f[256];
	struct pol_verdict v;
	unsigned int i;
	unsigned long before;

	rng_state = 7;
	rand_policy(text, sizeof(text), 500);
	p = parse(text);
	REQUIRE(p);
	REQUIRE(pol_compile_blocks(p, 64) == 0);
	for (i = 0; i < 256; i++)
		rand_flow(p, &f[i]);
	REQUIRE(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free));
	before = mallocs;
	for (i = 0; i < 20000; i++)
		pol_match(p, &f[i % 256], &v);
	CHECK_EQ(mallocs - before, 0);
	pol_free(p);
#endif
}

TEST_MAIN(T(example_lines), T(lists_are_normalized), T(error_messages), T(limits),
	  T(parse_file_errors), T(verdict_table), T(bad_flows), T(builtin_default),
	  T(format_fixed_point), T(format_listing), T(hash), T(good_corpus), T(bad_corpus),
	  T(owner_parse_and_canonical), T(owner_verdicts),
	  T(random_cross_check), T(random_large_policy), T(match_allocates_nothing))
