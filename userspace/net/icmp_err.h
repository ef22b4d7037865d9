/*
 * icmp_err.h - the ICMP errors the stack sends, both families: the rules
 * of when never to send one (RFC 1122 3.2.2, RFC 4443 2.4(e)), a token
 * bucket per family and one per destination (RFC 4443 2.4(f); Linux's
 * icmp_msgs_per_sec/icmp_msgs_burst and icmp_ratelimit), and the IPv4
 * message; ip_send_error() (ip.h) is the entry point. IPv6 messages are
 * built by icmp6_send_error() (icmp6.c).
 *
 * State lives in struct ax_stack (icmp_err); no allocation.
 */
#ifndef AX_ICMP_ERR_H
#define AX_ICMP_ERR_H

#include <stdint.h>

#include "ipaddr.h"
#include "opt.h"

struct icmp_err_bucket {
	struct ip_addr dst; /* the slot's destination (per-destination slots) */
	uint64_t tokens;    /* thousandths of a message */
	uint64_t last_ms;
	uint8_t used;
};

struct icmp_err_limits {
	struct icmp_err_bucket all[2]; /* [0] IPv4, [1] IPv6 */
	struct icmp_err_bucket dst[AX_ICMP_ERR_SOURCES];
};

#endif /* AX_ICMP_ERR_H */
