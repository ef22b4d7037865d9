/*
 * addr.c - see addr.h.
 */
#include "util/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int addr_parse4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

int addr_parse_prefix4(const char *s, uint32_t *addr, uint8_t *plen)
{
	char buf[64];
	char *slash, *end;
	long n;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || n < 0 || n > 32)
		return -EINVAL;
	*plen = (uint8_t)n;
	return addr_parse4(buf, addr);
}
