/*
 * ip.h - the IP layer seen from above: one interface for both families.
 *
 * TCP, UDP and ICMP build and receive packets through these calls and never
 * look at the family themselves; ipv4.c and ipv6.c implement them. A
 * received packet reaches L4 as a struct ip_rx, after the IP layer checked
 * its header, walked its options or extension headers, and reassembled it
 * (frag.h) and passed the stack's l4_filter when it was a fragment: nothing
 * reaches TCP or UDP that XDP's verdict check could not have seen whole.
 *
 * Sending: ip_tx_begin() picks the route (route.h) and the source address
 * when src is NULL or any (stack_src_select), and returns a buffer for the
 * L4 payload whose capacity respects the device MTU; ip_tx_commit() fills
 * the IPv4 or IPv6 header and hands the frame to neighbour resolution.
 */
#ifndef AX_IP_H
#define AX_IP_H

#include <stddef.h>
#include <stdint.h>

#include "arp.h"
#include "ipaddr.h"

struct ax_stack;

/* A packet for L4, as received (and reassembled). */
struct ip_rx {
	struct ip_addr src, dst;
	const uint8_t *net;  /* the IP header as received (reassembled: rebuilt) */
	size_t net_len;      /* IP header(s) + L4, padding excluded */
	const uint8_t *l4;   /* the L4 header */
	size_t l4_len;
	uint8_t family;      /* 4 or 6 */
	uint8_t proto;       /* L4 protocol (IPv6: the last Next Header) */
	uint8_t ttl;         /* TTL / hop limit */
	uint8_t l2_mcast;    /* sent to Ethernet broadcast or multicast */
	uint8_t reassembled; /* made of fragments */
};

/* A packet being built. Opaque to callers. */
struct ip_tx {
	struct neigh_tx l2;    /* the neighbour layer's handle */
	uint8_t *ip;         /* the IP header being built */
	struct ip_addr src, dst;
	uint8_t proto;
	uint8_t family;
	uint8_t hop_limit;   /* 0: the default (64) */
};

/*
 * Start a packet of protocol proto from src (NULL or any: chosen by
 * stack_src_select) to dst. Returns the buffer for the L4 payload and its
 * capacity, or NULL with *err set: -ENETUNREACH (no route), -EADDRNOTAVAIL
 * (no usable source of dst's family, or src not ours), -ENOBUFS.
 */
uint8_t *ip_tx_begin(struct ax_stack *s, const struct ip_addr *src,
		     const struct ip_addr *dst, uint8_t proto, struct ip_tx *tx,
		     size_t *cap, int *err);
/* Fill the IP header for l4_len bytes of payload and send. 0 or -errno. */
int ip_tx_commit(struct ax_stack *s, struct ip_tx *tx, size_t l4_len);
/* Give the buffer back unsent. */
void ip_tx_abort(struct ax_stack *s, struct ip_tx *tx);

/* The TCP/UDP/ICMPv6 checksum over the family's pseudo-header (RFC 793,
 * RFC 768, RFC 8200 8.1) and len bytes of l4. 0 when a received packet's
 * own checksum is right. */
uint16_t ip_l4_csum(const struct ip_addr *src, const struct ip_addr *dst,
		    uint8_t proto, const void *l4, size_t len);

/* Errors the stack sends about a received packet (icmp.c, icmp6.c map them
 * to their family's type and code), rate-limited. */
enum ip_err {
	IP_ERR_PORT_UNREACH,   /* ICMP 3/3, ICMPv6 1/4 */
	IP_ERR_PROTO_UNREACH,  /* ICMP 3/2, ICMPv6 4/1 (param: the offset) */
	IP_ERR_REASM_TIMEOUT,  /* ICMP 11/1, ICMPv6 3/1 */
	IP_ERR_PARAM_PROBLEM,  /* ICMP 12/0, ICMPv6 4/code (param: code<<16 | offset) */
	IP_ERR_NO_ROUTE,       /* ICMPv6 1/0 (no forwarding here: unused) */
};
int ip_send_error(struct ax_stack *s, const struct ip_rx *rx, enum ip_err e,
		  uint32_t param);

#endif /* AX_IP_H */
