/*
 * dns.h - the DNS messages of the preload library's stub resolver
 * (resolv.c): a query for a name's A records, and the answer's A records
 * (RFC 1035 4.1). Pure functions on buffers, no I/O, no allocation; the
 * answer is untrusted: every read is bounded, compression pointers are
 * followed at most DNS_MAX_PTRS times (a loop ends there).
 */
#ifndef AX_PRELOAD_DNS_H
#define AX_PRELOAD_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 254 /* a dotted name with its NUL (RFC 1035 2.3.4: 255 octets on the wire) */
#define DNS_MSG_MAX 512  /* over UDP without EDNS (RFC 1035 4.2.1) */
#define DNS_MAX_PTRS 32
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_CLASS_IN 1
#define DNS_RCODE_NXDOMAIN 3

/*
 * A query (RD set) for name's qtype records into buf: its length, or -1
 * when name is no valid name (empty label, a label over 63 octets, too
 * long) or buf too small. name is dotted, without the final dot.
 */
int dns_query(uint8_t *buf, size_t size, uint16_t id, const char *name, uint16_t qtype);

/*
 * The A records of an answer to dns_query(id, qname, A): those whose owner
 * is qname or a name a CNAME in the answer leads to from it, in order, at
 * most max into addrs (network order); the last name of that chain into
 * canon (DNS_NAME_MAX). *rcode: the header's RCODE, *tc: its TC bit.
 * Returns how many, or -1 when msg is not an answer to that query (id,
 * QR, the question) or is malformed.
 */
int dns_answer_a(const uint8_t *msg, size_t len, uint16_t id, const char *qname, uint32_t *addrs,
		 int max, char canon[DNS_NAME_MAX], int *rcode, int *tc);

#endif /* AX_PRELOAD_DNS_H */
