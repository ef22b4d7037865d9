/*
 * ipv6_err_tmp.c - TEMPORARY weak stand-ins, until the "engine" part's
 * ip.c (ip_l4_csum) and the "route" part's ip_send_error (both families,
 * rate-limited) are merged: their strong definitions replace these at
 * link time. Delete this file then.
 *
 * This ip_send_error sends IPv6 errors only and without a rate limit;
 * RFC 4443 2.4(e)'s conditions it does check.
 */
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "icmp6.h"
#include "ip.h"
#include "ipv6.h"
#include "stack.h"

__attribute__((weak)) uint16_t ip_l4_csum(const struct ip_addr *src,
					  const struct ip_addr *dst, uint8_t proto,
					  const void *l4, size_t len)
{
	uint32_t sum;

	if (ip_addr_is_v4(src))
		return csum_l4(ip_addr_get_v4(src), ip_addr_get_v4(dst), proto, l4, len);
	/* RFC 8200 8.1: source, destination, upper-layer length (32 bits),
	 * three zero bytes and the next header. */
	sum = csum_partial(src->b, 16, 0);
	sum = csum_partial(dst->b, 16, sum);
	{
		uint8_t tail[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
				    (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, proto };

		sum = csum_partial(tail, 8, sum);
	}
	return csum_fold(csum_partial(l4, len, sum));
}

__attribute__((weak)) int ip_send_error(struct ax_stack *s, const struct ip_rx *rx,
					enum ip_err e, uint32_t param)
{
	uint8_t type, code;

	if (rx->family != 6)
		return -EAFNOSUPPORT;
	switch (e) {
	case IP_ERR_PORT_UNREACH:
		type = ICMP6_DEST_UNREACH, code = 4;
		break;
	case IP_ERR_PROTO_UNREACH:
		type = ICMP6_PARAM_PROBLEM, code = 1;
		break;
	case IP_ERR_REASM_TIMEOUT:
		type = ICMP6_TIME_EXCEEDED, code = 1;
		break;
	case IP_ERR_PARAM_PROBLEM:
		type = ICMP6_PARAM_PROBLEM, code = (uint8_t)(param >> 16);
		param &= 0xffff;
		break;
	default:
		type = ICMP6_DEST_UNREACH, code = 0;
		break;
	}
	/* RFC 4443 2.4(e): never to an unspecified or multicast source,
	 * never about an ICMPv6 error, never about a packet to a group
	 * (but a parameter problem code 2, which 2.4(e.3) allows). */
	if (ip_addr_is_any(&rx->src) || ip_addr_is_multicast6(&rx->src))
		return -EINVAL;
	if (ip_addr_is_multicast6(&rx->dst) && !(type == ICMP6_PARAM_PROBLEM && code == 2))
		return -EINVAL;
	if (rx->proto == IP6_NH_ICMPV6 && rx->l4 && rx->l4_len >= 1 && rx->l4[0] < 128)
		return -EINVAL;
	return icmp6_send_error(s, rx, type, code, param);
}
