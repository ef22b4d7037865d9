/*
 * csum.h - the Internet checksum (RFC 1071), in network byte order.
 *
 * csum_partial() folds a buffer into a 32-bit running sum; csum_fold()
 * finishes it. A buffer that carries its own correct checksum folds to 0.
 */
#ifndef AX_CSUM_H
#define AX_CSUM_H

#include <stddef.h>
#include <stdint.h>

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* Fold and complement: the value to store in a checksum field. */
uint16_t csum_fold(uint32_t sum);
/* The TCP/UDP checksum over the IPv4 pseudo-header (RFC 793 3.1, RFC 768)
 * and len bytes of segment; addresses network order. 0 when a received
 * segment's own checksum is right. */
uint16_t csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *seg, size_t len);

#endif /* AX_CSUM_H */
