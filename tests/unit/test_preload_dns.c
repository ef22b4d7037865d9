/*
 * test_preload_dns.c - the preload resolver's DNS messages
 * (preload/dns.c): the A query byte for byte, and answers: A records,
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

static void answer_start(struct msg *m, uint16_t id, uint16_t flags, uint16_t an, const char *q)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	name(m, q);
	put16(m, 1);
	put16(m, 1);
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

	CHECK_EQ(axp_dns_query(b, sizeof(b), 0x1234, "www.ax"), (int)sizeof(want));
	CHECK(!memcmp(b, want, sizeof(want)));
	CHECK_EQ(axp_dns_query(b, sizeof(b), 0x1234, "www.ax."), (int)sizeof(want));
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, "a..b"), -EINVAL);
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, ""), -EINVAL);
	memset(big, 'a', 64);
	big[64] = 0;
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, big), -EINVAL); /* label > 63 */
	for (int i = 0; i < 299; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[299] = 0;
	CHECK_EQ(axp_dns_query(b, sizeof(b), 1, big), -EINVAL); /* name > 255 */
}

TEST(a_records_cnames_and_compression)
{
	struct in_addr out[4];
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
	CHECK_EQ(axp_dns_answer(m.b, m.n, 7, "www.AX.", out, 4, canon), 2);
	CHECK_EQ(out[0].s_addr, htonl(0x0a000001));
	CHECK_EQ(out[1].s_addr, htonl(0x0a000002));
	CHECK(!strcmp(canon, "www.ax"));
	/* max bounds what is written. */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 7, "www.ax", out, 1, NULL), 1);

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
	CHECK_EQ(axp_dns_answer(m.b, m.n, 9, "alias.ax", out, 4, canon), 1);
	CHECK_EQ(out[0].s_addr, htonl(0x0a000009));
	CHECK(!strcmp(canon, "host.ax"));
	/* An A record of another name is not ours. */
	answer_start(&m, 9, 0x8180, 1, "a.ax");
	rr_a(&m, "b.ax", "10.0.0.3");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 9, "a.ax", out, 4, NULL), 0);
}

TEST(rcodes_truncation_and_answers_not_ours)
{
	struct in_addr out[2];
	struct msg m;

	answer_start(&m, 5, 0x8183, 0, "x.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", out, 2, NULL), -ENOENT);
	answer_start(&m, 5, 0x8182, 0, "x.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", out, 2, NULL), -EAGAIN);
	answer_start(&m, 5, 0x8380, 0, "x.ax"); /* TC */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", out, 2, NULL), -EAGAIN);
	answer_start(&m, 5, 0x8180, 0, "x.ax");
	CHECK_EQ(axp_dns_answer(m.b, m.n, 6, "x.ax", out, 2, NULL), -EPROTO); /* id */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "y.ax", out, 2, NULL), -EPROTO); /* question */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", out, 2, NULL), 0);
	m.b[2] = 0x01; /* a query, not a response */
	CHECK_EQ(axp_dns_answer(m.b, m.n, 5, "x.ax", out, 2, NULL), -EPROTO);
	CHECK_EQ(axp_dns_answer(m.b, 11, 5, "x.ax", out, 2, NULL), -EPROTO);
}

TEST(hostile_pointers_and_lengths_are_refused)
{
	struct in_addr out[2];
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
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", out, 2, NULL), -EPROTO);
	/* Forward pointer. */
	m.b[m.n - 16] = 0xC0;
	m.b[m.n - 15] = 0xF0;
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", out, 2, NULL), -EPROTO);
	/* rdlength past the end. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	rr_a(&m, "x.ax", "1.2.3.4");
	m.b[m.n - 5] = 200;
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", out, 2, NULL), -EPROTO);
	/* A label running past the end. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	put(&m, "\x3fzz", 3);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", out, 2, NULL), -EPROTO);
	/* An A record of 3 bytes: not an address. */
	answer_start(&m, 1, 0x8180, 1, "x.ax");
	name(&m, "x.ax");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 3);
	put(&m, "\1\2\3", 3);
	CHECK_EQ(axp_dns_answer(m.b, m.n, 1, "x.ax", out, 2, NULL), 0);
}

TEST_MAIN(T(the_query_is_rfc_1035s_a_question_with_recursion_desired),
	  T(a_records_cnames_and_compression), T(rcodes_truncation_and_answers_not_ours),
	  T(hostile_pointers_and_lengths_are_refused))
