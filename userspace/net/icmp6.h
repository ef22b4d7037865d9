/*
 * icmp6.h - ICMPv6 (RFC 4443): echo requests answered (unicast and
 * multicast, as Linux), echo replies to the stack's echo_reply_cb, errors
 * received matched to what they quote and counted (RFC 4443 2.4), ND
 * messages (types 133..137) to nd.c. Every message's checksum covers the
 * IPv6 pseudo-header (RFC 4443 2.3).
 */
#ifndef AX_ICMP6_H
#define AX_ICMP6_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"

struct ax_stack;

#define ICMP6_DEST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

void icmp6_input(struct ax_stack *s, const struct ip_rx *rx);

/* An echo request to dst. 0 (sent or queued), -ENETUNREACH,
 * -EADDRNOTAVAIL, -ENOBUFS, -EMSGSIZE. */
int icmp6_send_echo(struct ax_stack *s, const struct ip_addr *dst, uint16_t id,
		    uint16_t seq, const void *data, size_t data_len);

/*
 * An error of type/code about the received packet rx, with param (the
 * pointer of a parameter problem, the MTU of a packet too big), quoting
 * as much of rx as fits in the minimum MTU (RFC 4443 2.4(c)). Checks none
 * of RFC 4443 2.4(e)'s conditions and no rate: the caller's (ip_send_error).
 * 0 or -errno.
 */
int icmp6_send_error(struct ax_stack *s, const struct ip_rx *rx, uint8_t type,
		     uint8_t code, uint32_t param);

#endif /* AX_ICMP6_H */
