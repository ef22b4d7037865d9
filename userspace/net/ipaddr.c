/*
 * ipaddr.c - see ipaddr.h: the text forms.
 */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>

const char *ip_addr_fmt(const struct ip_addr *a, char *buf, size_t len)
{
	if (ip_addr_is_v4(a)) {
		uint32_t be = ip_addr_get_v4(a);

		if (!inet_ntop(AF_INET, &be, buf, (socklen_t)len) && len)
			buf[0] = '\0';
	} else if (!inet_ntop(AF_INET6, a->b, buf, (socklen_t)len) && len) {
		buf[0] = '\0';
	}
	return buf;
}

int ip_addr_parse(const char *s, struct ip_addr *a)
{
	uint32_t be;

	if (inet_pton(AF_INET, s, &be) == 1) {
		*a = ip_addr_v4(be);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return 0;
	return -EINVAL;
}
