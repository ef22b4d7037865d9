/*
 * ipv6.h - IPv6 input (RFC 8200) and output.
 *
 * Input checks the version, the payload length against the frame, the
 * source (never multicast or loopback; the unspecified address only on
 * ICMPv6, where ND's duplicate address detection uses it, RFC 4862 5.4)
 * and the destination: one of our usable addresses, or a multicast group
 * we are in (all-nodes ff02::1, the solicited-node group of each of our
 * addresses, tentative ones included: RFC 4862 5.4.2). It walks the
 * extension headers in order (RFC 8200 4.1): hop-by-hop options only first,
 * destination options, a routing header ignored when no segments are left
 * (else parameter problem: we forward nothing), fragments to reassembly or
 * dropped, options acted on by their type's top bits (4.2). A chain longer
 * than AX_IP6_EXT_MAX headers is dropped; an unknown next header gets a
 * parameter problem (code 1) through ip_send_error. Atomic fragments (a
 * fragment header with offset 0 and no more fragments) are dropped: we
 * never ask for them (RFC 8021), so one is forged.
 *
 * Output: ipv6_tx_begin picks the next hop (on-link: link-local and
 * multicast destinations, our prefixes and those a router advertised;
 * else the default router) and the source (stack_src_select), then hands
 * the frame to the neighbour cache; the hop limit is 64 or the one the
 * last router advertisement set, 255 for ND (tx->hop_limit).
 */
#ifndef AX_IPV6_H
#define AX_IPV6_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"

struct ax_stack;

#define IP6_HLEN 40

/* Next header values (IANA, RFC 8200 4). */
#define IP6_NH_HOPOPTS 0
#define IP6_NH_TCP 6
#define IP6_NH_UDP 17
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_ICMPV6 58
#define IP6_NH_NONE 59
#define IP6_NH_DSTOPTS 60

struct ipv6_hdr {
	uint32_t ver_tc_flow; /* version 6 in the top 4 bits */
	uint16_t plen;
	uint8_t nh;
	uint8_t hops;
	uint8_t src[16];
	uint8_t dst[16];
} __attribute__((packed));

/* p/len: the IPv6 packet after the Ethernet header (may carry padding).
 * l2_mcast: the frame was sent to an Ethernet multicast address. */
void ipv6_input(struct ax_stack *s, const uint8_t *p, size_t len, int l2_mcast);

/* ip_tx_begin() etc. for an IPv6 destination (ip.h). */
uint8_t *ipv6_tx_begin(struct ax_stack *s, const struct ip_addr *src,
		       const struct ip_addr *dst, uint8_t proto, struct ip_tx *tx,
		       size_t *cap, int *err);
int ipv6_tx_commit(struct ax_stack *s, struct ip_tx *tx, size_t l4_len);
void ipv6_tx_abort(struct ax_stack *s, struct ip_tx *tx);
/* ipv6_tx_begin with src taken as it is, unchecked: ND's own messages
 * (:: for DAD, RFC 4862 5.4.2; the target of a solicitation). */
uint8_t *ipv6_tx_begin_from(struct ax_stack *s, const struct ip_addr *src,
			    const struct ip_addr *dst, uint8_t proto, struct ip_tx *tx,
			    size_t *cap, int *err);

/* The next hop for dst: dst itself when on-link (multicast, link-local,
 * a connected or advertised prefix), else the route's gateway. 0, or
 * -ENETUNREACH. */
int ipv6_next_hop(const struct ax_stack *s, const struct ip_addr *dst,
		  struct ip_addr *nh);

/* The solicited-node multicast address of a (RFC 4291 2.7.1). */
void ipv6_solicited_node(const struct ip_addr *a, struct ip_addr *group);

/* Is group (multicast) one we are in? ff02::1 and the solicited-node
 * groups of our addresses (tentative too). */
int ipv6_in_group(const struct ax_stack *s, const struct ip_addr *group);

/* An Ethernet destination the stack takes: 33:33:00:00:00:01, or
 * 33:33:ff:xx:xx:xx of one of our addresses (RFC 2464 7). */
int ipv6_l2_mcast_ours(const struct ax_stack *s, const uint8_t *mac);

#endif /* AX_IPV6_H */
