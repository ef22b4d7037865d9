/*
 * ipv4.h - IPv4 input (validation, demux to ICMP) and output (routing,
 * header, hand-off to ARP). RFC 791, RFC 1122 3.2.1.
 *
 * Input checks version, IHL, total length against the frame, the header
 * checksum and the destination; options are validated as Linux's
 * ip_options_compile does (a malformed one drops the datagram, counted
 * ip_bad_options) and a source route (LSRR, SSRR) drops it too
 * (ip_source_route, RFC 1812 5.2.4.1); no option is acted upon.
 * Fragments are counted and dropped: there is no reassembly yet.
 * Output sets DF on TCP only (TCP does path MTU discovery, RFC 1191).
 */
#ifndef AX_IPV4_H
#define AX_IPV4_H

#include <stddef.h>
#include <stdint.h>

#include "arp.h"

struct ax_stack;

struct ipv4_tx {
	struct neigh_tx l2;
	uint8_t *ip; /* the IPv4 header being built */
	uint32_t dst;
	uint32_t src; /* the primary address (stack.h); a caller may set another of ours */
	uint8_t proto;
};

/* p/len: the IPv4 packet after the Ethernet header (may carry padding). */
/* l2_bcast: the frame was sent to the Ethernet broadcast address. */
void ipv4_input(struct ax_stack *s, const uint8_t *p, size_t len, int l2_bcast);

/*
 * Start a datagram of protocol proto to dst (network order). Returns the
 * buffer for the L4 payload and its capacity (bounded by the MTU), or NULL
 * with *err set to -ENETUNREACH or -ENOBUFS.
 */
uint8_t *ipv4_tx_begin(struct ax_stack *s, uint32_t dst, uint8_t proto,
		       struct ipv4_tx *tx, size_t *cap, int *err);
/* The same from src (network order; the caller checked it is ours):
 * ip_tx_begin's IPv4 half. ipv4_tx_begin sends from s->addr. */
uint8_t *ipv4_tx_begin_src(struct ax_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
			   struct ipv4_tx *tx, size_t *cap, int *err);
/* Give the buffer back unsent. */
void ipv4_tx_abort(struct ax_stack *s, struct ipv4_tx *tx);
/* Fill the header (checksum included) for l4_len bytes and send. */
int ipv4_tx_commit(struct ax_stack *s, struct ipv4_tx *tx, size_t l4_len);

#endif /* AX_IPV4_H */
