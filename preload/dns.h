/*
 * dns.h - the DNS messages of the preload library's resolver (resolve.c):
 * an A query, and the addresses in its answer (RFC 1035). Pure: no I/O,
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

/* A standard query (RD set) for name's A records in buf. Returns its
 * length, or -EINVAL (a label empty or over 63 bytes, the name over 255). */
int axp_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name);

/*
 * The answer to that query: the IPv4 addresses of name, following CNAME
 * records in the answer section (up to 8), at most max of them into out;
 * canon (AXP_DNS_NAME_MAX bytes, may be NULL) gets the name they belong to.
 * Returns how many (0: the name has no A record), -ENOENT (NXDOMAIN),
 * -EAGAIN (the server failed or the answer was truncated: ask another),
 * -EPROTO (not the answer to this query: id, flags, question; or
 * malformed).
 */
int axp_dns_answer(const uint8_t *msg, size_t n, uint16_t id, const char *name,
		   struct in_addr *out, int max, char *canon);

#endif /* AX_PRELOAD_DNS_H */
