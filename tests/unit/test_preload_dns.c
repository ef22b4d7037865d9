/*
 * test_preload_dns.c - the stub resolver's DNS messages (preload/dns.c):
 * the query on the wire, and what an answer yields, whatever a server (or
 * a forger) sends: A records of the name and of its CNAME chain only,
 * compression followed and bounded, foreign or malformed answers refused.
 */
#include <arpa/inet.h>

#include "preload/dns.h"
#include "testlib.h"

/* An answer under construction: header, question for qname (type A). */
struct msg {
	uint8_t b[DNS_MSG_MAX];
	size_t n;
};

static void put8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void put16(struct msg *m, uint16_t v) { put8(m, (uint8_t)(v >> 8)); put8(m, (uint8_t)v); }

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (uint8_t)l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot != NULL);
	}
	put8(m, 0);
}

static void answer_start(struct msg *m, uint16_t id, uint16_t flags, uint16_t ancount,
			 const char *qname)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, 1);
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, DNS_TYPE_A);
	put16(m, DNS_CLASS_IN);
}

/* A record header with the owner a pointer to offset ptr. */
static void rr_hdr(struct msg *m, uint16_t ptr, uint16_t type, uint16_t rdlen)
{
	put16(m, (uint16_t)(0xc000 | ptr));
	put16(m, type);
	put16(m, DNS_CLASS_IN);
	put16(m, 0);
	put16(m, 60);
	put16(m, rdlen);
}

static void rr_a(struct msg *m, uint16_t ptr, const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	rr_hdr(m, ptr, DNS_TYPE_A, 4);
	memcpy(m->b + m->n, &a, 4);
	m->n += 4;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

TEST(a_query_is_rfc_1035_with_rd_and_one_question)
{
	uint8_t b[DNS_MSG_MAX];
	static const uint8_t want[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					3, 'w', 'w', 'w', 2, 'e', 'x', 0, 0, 1, 0, 1 };

	CHECK_EQ(dns_query(b, sizeof(b), 0x1234, "www.ex", DNS_TYPE_A), (int)sizeof(want));
	CHECK(memcmp(b, want, sizeof(want)) == 0);
}

TEST(a_name_that_cannot_be_sent_is_refused)
{
	uint8_t b[DNS_MSG_MAX];
	char longlabel[80], longname[300];

	memset(longlabel, 'a', 64);
	longlabel[64] = '\0';
	for (int i = 0; i < 299; i++)
		longname[i] = i % 10 == 9 ? '.' : 'b';
	longname[299] = '\0';
	CHECK_EQ(dns_query(b, sizeof(b), 1, "", DNS_TYPE_A), -1);
	CHECK_EQ(dns_query(b, sizeof(b), 1, "a..b", DNS_TYPE_A), -1);
	CHECK_EQ(dns_query(b, sizeof(b), 1, ".a", DNS_TYPE_A), -1);
	CHECK_EQ(dns_query(b, sizeof(b), 1, "a.", DNS_TYPE_A), -1);
	CHECK_EQ(dns_query(b, sizeof(b), 1, longlabel, DNS_TYPE_A), -1);
	CHECK_EQ(dns_query(b, sizeof(b), 1, longname, DNS_TYPE_A), -1);
	CHECK_EQ(dns_query(b, 20, 1, "www.example", DNS_TYPE_A), -1); /* buffer */
	longlabel[63] = '\0';
	CHECK(dns_query(b, sizeof(b), 1, longlabel, DNS_TYPE_A) > 0);
}

TEST(the_a_records_of_the_name_and_its_cname_chain_in_order)
{
	struct msg m;
	uint32_t addrs[4];
	char canon[DNS_NAME_MAX];
	int rcode = -1, tc = -1;
	uint16_t alias;

	answer_start(&m, 7, 0x8180, 5, "www.Example.test");
	/* www.example.test CNAME web.example.test (web + pointer to
	 * "example.test" in the question, offset 16). */
	rr_hdr(&m, 12, DNS_TYPE_CNAME, 6);
	alias = (uint16_t)m.n;
	put8(&m, 3);
	memcpy(m.b + m.n, "web", 3);
	m.n += 3;
	put16(&m, 0xc000 | 16);
	/* An A record of another name: not ours. */
	rr_a(&m, 16, "192.0.2.99");
	rr_a(&m, alias, "192.0.2.1");
	rr_a(&m, alias, "192.0.2.2");
	/* An A record of the name itself after the CNAME: not followed. */
	rr_a(&m, 12, "192.0.2.98");
	CHECK_EQ(dns_answer_a(m.b, m.n, 7, "www.example.test", addrs, 4, canon, &rcode, &tc), 2);
	CHECK_EQ(addrs[0], ip("192.0.2.1"));
	CHECK_EQ(addrs[1], ip("192.0.2.2"));
	CHECK(strcmp(canon, "web.example.test") == 0);
	CHECK_EQ(rcode, 0);
	CHECK_EQ(tc, 0);
	/* max bounds what is kept. */
	CHECK_EQ(dns_answer_a(m.b, m.n, 7, "www.example.test", addrs, 1, canon, &rcode, &tc), 1);
}

TEST(nxdomain_and_truncation_are_told)
{
	struct msg m;
	uint32_t addrs[4];
	char canon[DNS_NAME_MAX];
	int rcode, tc;

	answer_start(&m, 9, 0x8183, 0, "nope.test");
	CHECK_EQ(dns_answer_a(m.b, m.n, 9, "nope.test", addrs, 4, canon, &rcode, &tc), 0);
	CHECK_EQ(rcode, DNS_RCODE_NXDOMAIN);
	answer_start(&m, 9, 0x8380, 0, "big.test");
	CHECK_EQ(dns_answer_a(m.b, m.n, 9, "big.test", addrs, 4, canon, &rcode, &tc), 0);
	CHECK_EQ(tc, 1);
}

TEST(an_answer_to_another_query_is_not_taken)
{
	struct msg m;
	uint32_t addrs[4];
	char canon[DNS_NAME_MAX];
	int rcode, tc;

	answer_start(&m, 5, 0x8180, 1, "a.test");
	rr_a(&m, 12, "192.0.2.1");
	CHECK_EQ(dns_answer_a(m.b, m.n, 6, "a.test", addrs, 4, canon, &rcode, &tc), -1); /* id */
	CHECK_EQ(dns_answer_a(m.b, m.n, 5, "b.test", addrs, 4, canon, &rcode, &tc), -1); /* name */
	m.b[2] &= 0x7f; /* QR clear: a query, not an answer */
	CHECK_EQ(dns_answer_a(m.b, m.n, 5, "a.test", addrs, 4, canon, &rcode, &tc), -1);
	m.b[2] |= 0x80;
	CHECK_EQ(dns_answer_a(m.b, m.n, 5, "a.test", addrs, 4, canon, &rcode, &tc), 1);
}

TEST(malformed_answers_are_refused_within_their_bytes)
{
	struct msg m;
	uint32_t addrs[4];
	char canon[DNS_NAME_MAX];
	int rcode, tc;
	size_t full;

	answer_start(&m, 5, 0x8180, 1, "a.test");
	rr_a(&m, 12, "192.0.2.1");
	full = m.n;
	/* Every cut: refused, never read past. */
	for (size_t cut = 0; cut < full; cut++)
		CHECK_EQ(dns_answer_a(m.b, cut, 5, "a.test", addrs, 4, canon, &rcode, &tc), -1);
	/* A pointer to itself: a loop, ended. */
	answer_start(&m, 5, 0x8180, 1, "a.test");
	put16(&m, (uint16_t)(0xc000 | m.n));
	put16(&m, DNS_TYPE_A);
	CHECK_EQ(dns_answer_a(m.b, m.n + 10, 5, "a.test", addrs, 4, canon, &rcode, &tc), -1);
	/* A pointer past the end. */
	answer_start(&m, 5, 0x8180, 1, "a.test");
	rr_a(&m, 500, "192.0.2.1");
	CHECK_EQ(dns_answer_a(m.b, m.n, 5, "a.test", addrs, 4, canon, &rcode, &tc), -1);
	/* An rdlength past the end. */
	answer_start(&m, 5, 0x8180, 1, "a.test");
	rr_hdr(&m, 12, DNS_TYPE_A, 40);
	put16(&m, 0);
	CHECK_EQ(dns_answer_a(m.b, m.n, 5, "a.test", addrs, 4, canon, &rcode, &tc), -1);
	/* An A record of 5 bytes: not an address. */
	answer_start(&m, 5, 0x8180, 1, "a.test");
	rr_hdr(&m, 12, DNS_TYPE_A, 5);
	put16(&m, 0);
	put16(&m, 0);
	put8(&m, 0);
	CHECK_EQ(dns_answer_a(m.b, m.n, 5, "a.test", addrs, 4, canon, &rcode, &tc), 0);
}

TEST(a_cname_loop_ends)
{
	struct msg m;
	uint32_t addrs[4];
	char canon[DNS_NAME_MAX];
	int rcode, tc;
	uint16_t b;

	/* a.test CNAME b.test, b.test CNAME a.test. */
	answer_start(&m, 3, 0x8180, 2, "a.test");
	rr_hdr(&m, 12, DNS_TYPE_CNAME, 4);
	b = (uint16_t)m.n;
	put8(&m, 1);
	put8(&m, 'b');
	put16(&m, 0xc000 | 14); /* "test" */
	rr_hdr(&m, b, DNS_TYPE_CNAME, 2);
	put16(&m, 0xc000 | 12);
	CHECK_EQ(dns_answer_a(m.b, m.n, 3, "a.test", addrs, 4, canon, &rcode, &tc), 0);
}

TEST_MAIN(T(a_query_is_rfc_1035_with_rd_and_one_question),
	  T(a_name_that_cannot_be_sent_is_refused),
	  T(the_a_records_of_the_name_and_its_cname_chain_in_order),
	  T(nxdomain_and_truncation_are_told),
	  T(an_answer_to_another_query_is_not_taken),
	  T(malformed_answers_are_refused_within_their_bytes),
	  T(a_cname_loop_ends))
