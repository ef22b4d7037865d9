/*
 * nd.h - IPv6 neighbor discovery (RFC 4861) and stateless address
 * autoconfiguration (RFC 4862): the IPv6 resolver of the neighbour cache
 * (neigh.h), duplicate address detection, router advertisements.
 *
 * Every ND message must arrive with hop limit 255 and code 0, carry no
 * option of length 0, and have its type's minimum length (RFC 4861 6.1,
 * 7.1); others are ignored and counted. A neighbor advertisement changes
 * the cache only when we solicited it (the entry is INCOMPLETE or PROBE):
 * an unsolicited one names no binding we will use (counted
 * nd_na_unsolicited), so a spoofed advertisement cannot redirect our
 * traffic. Redirects are ignored (counted): the only router we take is an
 * advertising one, and RFC 4861 8.1's checks protect less than taking
 * none. Router advertisements are taken only from link-local sources
 * (6.1.2): the default router with its lifetime, the current hop limit,
 * the MTU (1280 up to the device's), prefixes with the L flag as on-link,
 * with the A flag (and a /64) as SLAAC addresses from our EUI-64
 * interface identifier (RFC 4862 5.5.3).
 *
 * DAD (RFC 4862 5.4): each IPv6 address starts TENTATIVE; nd sends
 * AX_ND_DAD_TRANSMITS solicitations from :: to its solicited-node group,
 * AX_ND_DAD_WAIT_MS apart, and the address becomes PREFERRED when nobody
 * answered; an advertisement for it, or another node's DAD solicitation
 * for it, makes it DUPLICATE for good (logged once, counted).
 */
#ifndef AX_ND_H
#define AX_ND_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "ipaddr.h"
#include "opt.h"

struct ax_stack;
struct stack_addr;

#define ND_RS 133
#define ND_RA 134
#define ND_NS 135
#define ND_NA 136
#define ND_REDIRECT 137

#define ND_OPT_SLLAO 1
#define ND_OPT_TLLAO 2
#define ND_OPT_PREFIX 3
#define ND_OPT_MTU 5

#define ND_NA_F_ROUTER 0x80
#define ND_NA_F_SOLICITED 0x40
#define ND_NA_F_OVERRIDE 0x20

/* What router advertisements taught (RFC 4861 6.3.4) besides routes:
 * the default router and on-link prefixes go into the routing table
 * (ROUTE_RA, with their lifetimes). */
struct nd_state {
	struct ip_addr router;    /* the last default router (link-local) */
	uint64_t router_until_ns; /* 0: none */
	uint8_t cur_hop_limit;    /* 0: AX_IP6_DEFAULT_HOPS */
	uint16_t mtu;             /* 0: the device's */
};

void nd_init(struct ax_stack *s);

/* ICMPv6 types 133..137 (rx: the whole ICMPv6 message, checksum checked). */
void nd_input(struct ax_stack *s, const struct ip_rx *rx);

/* A neighbor solicitation for target: to its solicited-node group
 * (dst_mac NULL) or to dst_mac (a PROBE, RFC 4861 7.3.3). 0 or -errno. */
int nd_send_ns(struct ax_stack *s, const struct ip_addr *target, const uint8_t *dst_mac);

/* Start duplicate address detection of a (TENTATIVE): the stack address
 * table calls it for every IPv6 address it adds. */
void nd_dad_start(struct ax_stack *s, struct stack_addr *a);

/* DAD retransmissions and verdicts, router and prefix lifetimes. */
void nd_timers(struct ax_stack *s);
uint64_t nd_next_deadline(const struct ax_stack *s);

/* fe80::/64 with the modified EUI-64 interface identifier of mac
 * (RFC 4291 appendix A, RFC 4862 5.3). */
void nd_linklocal(const uint8_t mac[6], struct ip_addr *a);

#endif /* AX_ND_H */
