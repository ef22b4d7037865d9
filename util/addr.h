/*
 * addr.h - IPv4 addresses as command lines give them.
 */
#ifndef AX_UTIL_ADDR_H
#define AX_UTIL_ADDR_H

#include <stdint.h>

/* "A.B.C.D/P" -> address (network order) and prefix. 0 or -EINVAL. */
int addr_parse_prefix4(const char *s, uint32_t *addr, uint8_t *plen);
/* "A.B.C.D" -> address (network order). 0 or -EINVAL. */
int addr_parse4(const char *s, uint32_t *addr);

#endif /* AX_UTIL_ADDR_H */
