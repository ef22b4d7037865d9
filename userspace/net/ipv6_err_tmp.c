/*
 * ipv6_err_tmp.c - TEMPORARY weak stand-ins, until the "engine" part's
 * ip.c (ip_l4_csum) is merged: its strong definition replaces this at
 * link time. Delete this file then. (ip_send_error is icmp_err.c's.)
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
