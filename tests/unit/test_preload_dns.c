/*
 * test_preload_dns.c - the preload resolver's DNS messages
 * (preload/dns.c): the A and AAAA queries byte for byte, and answers: A
 * and AAAA records,
 * CNAME chains, compression pointers, NXDOMAIN, truncation, and hostile
 * messages (pointer loops, forward pointers, lengths past the end, a
 * question not ours).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "testlib.h"

#include "preload/dns.h"

/* An answer built by hand: header, the question, then records. */
struct msg {
	uint8_t b[512];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

static void name(struct msg *m, const char *s)
{
	while (*s) {
		size_t l = strcspn(s, ".");
		uint8_t c = (uint8_t)l;

		put(m, &c, 1);
		put(m, s, l);
		s += l + (s[l] == '.');
	}
	put(m, "", 1);
}

static void answer_start_t(struct msg *m, uint16_t id, uint16_t flags, uint16_t an,
			   const char *q, uint16_t qtype)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	name(m, q);
	put16(m, qtype);
	put16(m, 1);
}

static void answer_start(struct msg *m, uint16_t id, uint16_t flags, uint16_t an, const char *q)
{
	answer_start_t(m, id, flags, an, q, AXP_DNS_A);
}

static void rr_aaaa(struct msg *m, const char *owner, const char *ip)
{
	struct in6_addr a;

	inet_pton(AF_INET6, ip, &a);
	name(m, owner);
	put16(m, AXP_DNS_AAAA);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, 16);
	put(m, &a, 16);
}

static void rr_a(struct msg *m, const char *owner, const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	name(m, owner);
	put16(m, 1);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, 4);
	put(m, &a, 4);
}

TEST(the_query_is_rfc_1035s_a_question_with_recursion_desired)
{
	static const uint8_t want[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					3, 'w', 'w', 'w', 2, 'a', 'x', 0, 0, 1, 0, 1 };
	uint8_t b[512];
	char big[300];

	CHECK_EQ(axp_dns_query(b, sizeof(b), 0x1234, "www.ax", AXP_DNS_A), (int)sizeof(want));
	CHECK(!memcmp(b, want, sizeof(want)));
	CHECK_EQ(axp_dns_query(b, sizeof(b), 0x1234, "www.ax.", AXP_DNS_A), (int)sizeof(want));
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, "a..b", AXP_DNS_A), -EINVAL);
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, "", AXP_DNS_A), -EINVAL);
	memset(big, 'a', 64);
	big[64] = 0;
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, big, AXP_DNS_A), -EINVAL); /* label > 63 */
	for (int i = 0; i < 299; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[299] = 0;
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, big, AXP_DNS_A), -EINVAL); /* name > 255 */
}

TEST(a_records_cnames_and_compression)
{
	struct axp_addr out[4];
	char canon[AXP_DNS_NAME_MAX];
	struct msg m;

	answer_start(&m, 7, 0x8180, 2, "WWW.ax");
	rr_a(&m, "www.ax", "10.0.0.1");
	/* The second owner as a pointer to the question's name (offset 12). */
	put16(&m, 0xC00C);
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 4);
	put(&m, "\x0a\x00\x00\x02", 4);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 7, "www.AX.", AXP_DNS_A, out, 4, canon), 2);
	CHECK_EQ(out[0].u.v4.s_addr, htonl(0x0a000001));
	CHECK_EQ(out[1].u.v4.s_addr, htonl(0x0a000002));
	CHECK(!strcmp(canon, "www.ax"));
	/* max bounds what is written. */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 7, "www.ax", AXP_DNS_A, out, 1, NULL), 1);

	/* alias -> mid -> host, records out of order. */
	answer_start(&m, 9, 0x8180, 3, "alias.ax");
	rr_a(&m, "host.ax", "10.0.0.9");
	name(&m, "mid.ax");
	put16(&m, 5);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 9);
	name(&m, "host.ax");
	name(&m, "alias.ax");
	put16(&m, 5);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 8);
	name(&m, "mid.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 9, "alias.ax", AXP_DNS_A, out, 4, canon), 1);
	CHECK_EQ(out[0].u.v4.s_addr, htonl(0x0a000009));
	CHECK(!strcmp(canon, "host.ax"));
	/* An A record of another name is not ours. */
	answer_start(&m, 9, 0x8180, 1, "a.ax");
	rr_a(&m, "b.ax", "10.0.0.3");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 9, "a.ax", AXP_DNS_A, out, 4, NULL), 0);
}

TEST(rcodes_truncation_and_answers_not_ours)
{
	struct axp_addr out[2];
	struct msg m;

	answer_start(&m, 5, 0x8183, 0, "x.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", AXP_DNS_A, out, 2, NULL), -ENOENT);
	answer_start(&m, 5, 0x8182, 0, "x.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", AXP_DNS_A, out, 2, NULL), -EAGAIN);
	answer_start(&m, 5, 0x8380, 0, "x.ax"); /* TC */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", AXP_DNS_A, out, 2, NULL), -EAGAIN);
	answer_start(&m, 5, 0x8180, 0, "x.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 6, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO); /* id */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "y.ax", AXP_DNS_A, out, 2, NULL), -EPROTO); /* question */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", AXP_DNS_A, out, 2, NULL), 0);
	m.b[2] = 0x01; /* a query, not a response */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO);
	CHECK_EQ(axp_dns_answer(m.b, 11, 5, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO);
}

TEST(hostile_pointers_and_lengths_are_refused)
{
	struct axp_addr out[2];
	struct msg m;

	/* An answer whose owner points at itself. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	put16(&m, (uint16_t)(0xC000 | m.n));
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 4);
	put(&m, "\1\2\3\4", 4);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO);
	/* Forward pointer. */
	m.b[m.n - 16] = 0xC0;
	m.b[m.n - 15] = 0xF0;
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO);
	/* rdlength past the end. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	rr_a(&m, "x.ax", "1.2.3.4");
	m.b[m.n - 5] = 200;
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO);
	/* A label running past the end. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	put(&m, "\x3fzz", 3);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", AXP_DNS_A, out, 2, NULL), -EPROTO);
	/* An A record of 3 bytes: not an address. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	name(&m, "x.ax");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 3);
	put(&m, "\1\2\3", 3);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", AXP_DNS_A, out, 2, NULL), 0);
}

/* RFC 3596: AAAA (type 28) questions and 16-byte records; an answer to
 * one type never yields addresses of the other, nor passes as its answer. */
TEST(aaaa_queries_and_answers)
{
	static const uint8_t want[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					3, 'w', 'w', 'w', 2, 'a', 'x', 0, 0, 28, 0, 1 };
	struct axp_addr out[4];
	struct in6_addr a;
	char canon[AXP_DNS_NAME_MAX];
	uint8_t b[512];
	struct msg m;

	CHECK_EQ(axp_dns_query(b, sizeof(b), 0x1234, "www.ax", AXP_DNS_AAAA), (int)sizeof(want));
	CHECK_MEM(b, want, sizeof(want));
	CHECK_EQ(axp_dns_query(b, sizeof(b), 0x1234, "www.ax", 5), -EINVAL);

	/* www -> host (CNAME), an A record mixed in, one AAAA. */
	answer_start_t(&m, 3, 0x8180, 3, "www.ax", AXP_DNS_AAAA);
	name(&m, "www.ax");
	put16(&m, 5);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 9);
	name(&m, "host.ax");
	rr_a(&m, "host.ax", "10.0.0.7");
	rr_aaaa(&m, "host.ax", "fd00::7");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 3, "www.ax", AXP_DNS_AAAA, out, 4, canon), 1);
	CHECK_EQ(out[0].family, AF_INET6);
	inet_pton(AF_INET6, "fd00::7", &a);
	CHECK_MEM(&out[0].u.v6, &a, 16);
	CHECK(!strcmp(canon, "host.ax"));
	/* The question was AAAA: not the answer to an A query. */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 3, "www.ax", AXP_DNS_A, out, 4, NULL), -EPROTO);
	/* An AAAA record of 4 bytes is no address. */
	answer_start_t(&m, 3, 0x8180, 1, "x.ax", AXP_DNS_AAAA);
	name(&m, "x.ax");
	put16(&m, AXP_DNS_AAAA);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 4);
	put(&m, "\1\2\3\4", 4);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 3, "x.ax", AXP_DNS_AAAA, out, 4, NULL), 0);
	/* An A answer's A records come back as AF_INET. */
	answer_start(&m, 4, 0x8180, 1, "x.ax");
	rr_a(&m, "x.ax", "10.0.0.8");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 4, "x.ax", AXP_DNS_A, out, 4, NULL), 1);
	CHECK_EQ(out[0].family, AF_INET);
}

TEST_MAIN(T(the_query_is_rfc_1035s_a_question_with_recursion_desired),
	  T(aaaa_queries_and_answers),
	  T(a_records_cnames_and_compression), T(rcodes_truncation_and_answers_not_ours),
	  T(hostile_pointers_and_lengths_are_refused))
