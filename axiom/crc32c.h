/*
 * crc32c.h - CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected), as in
 * iSCSI (RFC 3720 B.4) and ext4: crc32c("123456789") = 0xE3069283.
 *
 * Uses the SSE4.2 crc32 instruction when the CPU has it, a table
 * otherwise; both give the same result. Pure, thread-safe.
 */
#ifndef AXIOM_CRC32C_H
#define AXIOM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0, feed the pieces in order. */
uint32_t axiom_crc32c(uint32_t crc, const void *buf, size_t len);

/* The table-driven version alone, so tests can hold the two against each
 * other on a machine with SSE4.2. */
uint32_t axiom_crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif /* AXIOM_CRC32C_H */
