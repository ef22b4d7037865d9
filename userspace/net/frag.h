/*
 * frag.h - IP reassembly, both families (RFC 791 3.2, RFC 8200 4.5), in a
 * fixed pool: nothing is allocated after stack_init().
 *
 * ipv4_input and ipv6_input hand every fragment for us to frag_input(),
 * already checked as a packet (header, checksum, destination). A fragment
 * is held until its datagram is whole; then frag_input() rebuilds the
 * packet without fragmentation (IPv4: offset and MF cleared, total length
 * and header checksum set; IPv6: the fragment header removed, the Next
 * Header that named it and the Payload Length set), asks the stack's
 * l4_filter (stack.h) whether it may reach L4, and returns it to the
 * caller, which demuxes it as any packet. So no fragment of a flow XDP
 * would deny reaches TCP or UDP: XDP cannot see the ports of a non-first
 * fragment and lets fragments through under its per-source bucket only.
 *
 * Rules (each drop counted, counters.h AX_COUNTERS_FRAG):
 * - RFC 5722: a fragment overlapping one held drops the whole datagram,
 *   and the fragments of it still to come (the queue stays, without its
 *   buffer, until its timeout); the same for IPv4. An exact duplicate
 *   (same offset, length, and bytes) is not an overlap: it is dropped
 *   alone and counted (RFC 5722 4 allows this; Linux does the same).
 * - A first fragment without the whole L4 header (TCP 20 bytes, UDP and
 *   ICMP 8; for IPv6 also the extension headers after the fragment
 *   header, RFC 7112 5) drops the datagram (RFC 3128 for IPv4, RFC 8200
 *   4.5 for IPv6).
 * - More than AX_FRAG_MAX_FRAGS fragments, or a datagram over 65535 bytes
 *   (IPv4 total length, IPv6 payload length), drops the datagram.
 * - A datagram not whole after AX_FRAG_TIMEOUT_V4_MS / _V6_MS is dropped;
 *   when its first fragment came, the source hears of it (time exceeded,
 *   code 1: RFC 792, RFC 8200 4.5) through ip_send_error's limits.
 * - Buffers: AX_FRAG_BUFS of ~64 KiB. One source (an IPv4 address, an
 *   IPv6 /64) holds at most AX_FRAG_PER_SRC: beyond, its own oldest
 *   reassembly makes room; when the pool is full, the oldest reassembly of
 *   the source holding most buffers does. A flood from one source so
 *   never evicts another source's reassemblies.
 *
 * Cost: per fragment, a look-up over AX_FRAG_QUEUES queues and a check
 * against the fragments held (at most AX_FRAG_MAX_FRAGS), one copy.
 */
#ifndef AX_FRAG_H
#define AX_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "ipaddr.h"
#include "opt.h"

struct ax_stack;

/* One fragment as the IP layer parsed it. */
struct frag_in {
	struct ip_addr src, dst;
	uint32_t id;          /* IPv4: the 16-bit identification; IPv6: 32 bits */
	uint32_t offset;      /* of the data, in bytes (the field times 8) */
	uint8_t more;         /* MF / M flag */
	uint8_t family;       /* 4 or 6 */
	uint8_t proto;        /* IPv4: Protocol; IPv6: the fragment header's
			       * Next Header */
	uint8_t l2_mcast;     /* the frame was Ethernet broadcast/multicast */
	/* The unfragmentable part as received: the IPv4 header with its
	 * options, or the IPv6 header and the extension headers before the
	 * fragment header. Kept from the first fragment (offset 0). */
	const uint8_t *hdr;
	size_t hdr_len;
	/* IPv6: the offset in hdr of the Next Header byte that names the
	 * fragment header (6 when it follows the fixed header). */
	size_t nh_off;
	const uint8_t *data;  /* the fragment's data (after the fragment
			       * header for IPv6) */
	size_t len;
};

/* A datagram being reassembled (private to frag.c). */
struct frag_queue {
	struct ip_addr src, dst;
	uint32_t id;
	uint8_t family;
	uint8_t proto;
	uint8_t state;        /* free, live, dead (dropped, waiting out its
			       * timeout to discard its late fragments) */
	uint8_t have_last;    /* the fragment without MF came */
	uint8_t have_first;
	uint8_t l2_mcast;
	int16_t buf;          /* index into the pool, -1 none */
	uint16_t nfrags;
	uint16_t hdr_len;     /* of the first fragment's unfragmentable part */
	uint16_t nh_off;
	uint32_t total;       /* data bytes, known once have_last */
	uint32_t have;        /* data bytes held */
	uint64_t born_ns;     /* the first fragment's arrival: age and deadline */
	uint64_t deadline_ns;
	struct { uint32_t start, end; } frags[AX_FRAG_MAX_FRAGS]; /* sorted */
};

/* One buffer: the first fragment's headers end at AX_FRAG_HDR_MAX, where
 * the data starts, so fragments land in place whatever their order. */
#define FRAG_BUF_SIZE (AX_FRAG_HDR_MAX + 65535u)
/* The largest L4 payload sent in fragments: 65535 less the IPv4 header
 * (IPv6's payload may be 65535, less the fragment header: 65527). */
#define FRAG_TX_MAX (65535u - 20u)

struct frag_table {
	struct frag_queue q[AX_FRAG_QUEUES];
	int16_t free_bufs[AX_FRAG_BUFS]; /* stack of free buffer indexes */
	uint16_t nfree;
	uint16_t used;                   /* buffers held */
	uint8_t bufs[AX_FRAG_BUFS][FRAG_BUF_SIZE];
	uint8_t txbuf[FRAG_TX_MAX]; /* frag_tx_buf(): one datagram out */
	uint32_t tx_id6;            /* IPv6 identifications: a counter... */
	uint64_t id_key[2];         /* ...plus SipHash(src, dst) under this
				     * secret (RFC 7739 4.3) */
};

/* Set up an empty table (stack_init does). */
void frag_init(struct frag_table *t);

/*
 * Take one fragment. Returns 1 when it completed a datagram that passed
 * the l4_filter: *rx describes the rebuilt packet (net: from the IP
 * header; l4 and proto: what followed the fragment header, for IPv6
 * possibly further extension headers the caller walks as for any packet),
 * valid until the next frag_input() or frag_timers() call. Returns 0 when
 * the fragment was held, or dropped and counted.
 */
int frag_input(struct ax_stack *s, const struct frag_in *f, struct ip_rx *rx);

/* Drop reassemblies past their deadline (stack_timers calls it). */
void frag_timers(struct ax_stack *s);

/* The earliest deadline of a reassembly held, or UINT64_MAX. */
uint64_t frag_next_deadline(const struct ax_stack *s);

/* Buffers held now (for tests and `axnet stats`). */
unsigned int frag_bufs_used(const struct ax_stack *s);

/*
 * The L4 ports and "TCP SYN without ACK" of a whole L4 header l4/len of
 * protocol proto (0s for other protocols): what the l4_filter is given.
 * -EINVAL when the header is not whole.
 */
int frag_l4_ports(uint8_t proto, const uint8_t *l4, size_t len,
		  uint16_t *sport, uint16_t *dport, int *syn);

/*
 * Output (frag_out.c): an L4 payload larger than the path MTU leaves in
 * fragments (RFC 791 3.2; RFC 8200 4.5 for IPv6, from the source only),
 * for UDP and ICMP; TCP never (it sets DF and finds the path MTU, RFC
 * 1191 / RFC 8201). The caller builds the payload, checksum included, in
 * frag_tx_buf() (FRAG_TX_MAX bytes, one datagram at a time: the engine
 * is single-threaded) and calls frag_send(), which cuts it at the path
 * MTU (pmtu.h, else the device's) in multiples of 8, one identification
 * for all. src: the source the payload's checksum covers (IPv4: the
 * stack's address is used; IPv6: every fragment from it). 0, -EMSGSIZE
 * (over 65535 with the header), -ENETUNREACH, -EADDRNOTAVAIL, -ENOBUFS
 * (a fragment found no buffer: the rest are not sent).
 */
uint8_t *frag_tx_buf(struct ax_stack *s);
int frag_send(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
	      uint8_t proto, const uint8_t *l4, size_t len);

/*
 * An ICMPv6 packet too big (RFC 4443 3.2) saying mtu, quoting q/qlen (the
 * packet we sent, from its IPv6 header) whose L4 protocol is proto (-1
 * unknown) and L4 header l4/l4_len: when the quote is from one of our
 * addresses, TCP's goes to tcp_icmp_frag_needed (a live connection and a
 * byte in flight, RFC 5927; the MSS follows), anything else lowers the
 * path MTU to the quote's destination (RFC 8201), never below 1280
 * (frag_pmtu_lowered). 1 lowered, 0 nothing to lower, -EINVAL rejected
 * (frag_pmtu_rejected).
 */
int frag_pmtu_ptb6(struct ax_stack *s, uint32_t mtu, const uint8_t *q, size_t qlen,
		   int proto, const uint8_t *l4, size_t l4_len);

#endif /* AX_FRAG_H */
