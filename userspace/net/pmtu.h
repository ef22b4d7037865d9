/*
 * pmtu.h - path MTUs learned per destination (RFC 1191), so that a new
 * connection to a host behind a narrower link starts with the right MSS.
 *
 * Only TCP writes here, and only after validating the ICMP message that
 * taught it against a live connection (tcp_icmp_frag_needed, RFC 5927):
 * an off-path sender cannot fill the table. A learned value is forgotten
 * after AX_PMTU_AGE_MS (RFC 1191 6.3: ten minutes), so a path that widened
 * is used again by later connections; connections already open keep their
 * lowered MSS. The table is a fixed array of AX_PMTU_ENTRIES, searched
 * linearly: it is read when a connection starts and written on a
 * validated ICMP, never per segment. Full, the entry closest to expiry
 * goes. Thread rules: the stack's.
 */
#ifndef AX_PMTU_H
#define AX_PMTU_H

#include <stdint.h>

#include "ipaddr.h"
#include "opt.h"

struct ax_stack;

struct pmtu_entry {
	struct ip_addr dst;  /* either family; :: (all zero): free */
	uint16_t mtu;
	uint64_t expires_ms;
};

struct pmtu_table {
	struct pmtu_entry e[AX_PMTU_ENTRIES];
};

/* The path MTU to dst (either family): the learned one while it lasts,
 * else the device's. */
uint16_t pmtu_get(struct ax_stack *s, const struct ip_addr *dst);
/* Remember mtu (the family's minimum, AX_PMTU_MIN or AX_PMTU_MIN6,
 * ..device MTU; the caller checked) for dst. */
void pmtu_set(struct ax_stack *s, const struct ip_addr *dst, uint16_t mtu);

#endif /* AX_PMTU_H */
