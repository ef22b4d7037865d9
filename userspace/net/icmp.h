/*
 * icmp.h - ICMP for IPv4 (RFC 792): echo requests are answered, echo
 * replies are handed to the stack's echo_reply_cb, "fragmentation needed"
 * quoting a TCP segment goes to TCP's path MTU discovery
 * (tcp_icmp_frag_needed, which validates it), other destination
 * unreachables quoting a UDP datagram of ours go to UDP
 * (udp_icmp_unreach: -ECONNREFUSED on a connected socket), everything else
 * counted.
 */
#ifndef AX_ICMP_H
#define AX_ICMP_H

#include <stddef.h>
#include <stdint.h>

struct ax_stack;
struct ipv4_hdr;

/* p/len: the ICMP message (IP payload). to_bcast: sent to a broadcast
 * address; such echo requests are not answered (RFC 1122 3.2.2.6 allows
 * it, and Linux does the same by default). */
void icmp_input(struct ax_stack *s, const struct ipv4_hdr *ip,
		const uint8_t *p, size_t len, int to_bcast);

/* See stack_ping(). */
int icmp_send_echo(struct ax_stack *s, uint32_t dst, uint16_t id,
		   uint16_t seq, const void *data, size_t data_len);

#endif /* AX_ICMP_H */
