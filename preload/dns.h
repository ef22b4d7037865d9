/*
 * dns.h - the DNS messages of the preload library's resolver (resolve.c):
 * an A or AAAA query, and the addresses in its answer (RFC 1035; AAAA:
 * RFC 3596). Pure: no I/O,
 * no allocation; the answer is the network's word, so every length and
 * compression pointer is checked (tests/unit/test_preload_dns.c, fuzzed by
 * tests/fuzz/fuzz_dns.c).
 */
#ifndef AX_PRELOAD_DNS_H
#define AX_PRELOAD_DNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define AXP_DNS_NAME_MAX 256 /* a name in text, with its NUL */
#define AXP_DNS_MSG_MAX 512  /* RFC 1035 4.2.1: UDP messages */
#define AXP_DNS_A 1          /* qtype: IPv4 addresses */
#define AXP_DNS_AAAA 28      /* qtype: IPv6 addresses (RFC 3596 2.1) */

/* An address of either family, as the resolver passes them around. */
struct axp_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

/* A standard query (RD set) for name's records of qtype (AXP_DNS_A or
 * AXP_DNS_AAAA) in buf. Returns its length, or -EINVAL (a label empty or
 * over 63 bytes, the name over 255, another qtype). */
int axp_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, int qtype);

/*
 * The answer to that query: the addresses of name (IPv4 for AXP_DNS_A,
 * IPv6 for AXP_DNS_AAAA: records of the other type or a wrong length are
 * skipped), following CNAME records in the answer section (up to 8), at
 * most max of them into out;
 * canon (AXP_DNS_NAME_MAX bytes, may be NULL) gets the name they belong to.
 * Returns how many (0: the name has no such record), -ENOENT (NXDOMAIN),
 * -EAGAIN (the server failed or the answer was truncated: ask another),
 * -EPROTO (not the answer to this query: id, flags, question; or
 * malformed).
 */
int axp_dns_answer(const uint8_t *msg, size_t n, uint16_t id, const char *name, int qtype,
		   struct axp_addr *out, int max, char *canon);

#endif /* AX_PRELOAD_DNS_H */
