/*
 * stack.h - the engine: one instance of the TCP/IP stack on one interface.
 *
 * The stack owns no thread and no file descriptor. Its caller (the event
 * loop in daemon/run.c, or a unit test) feeds it frames with
 * stack_input(), tells it the time with stack_set_time(), and runs its timers
 * with stack_timers(). The stack answers through the struct ax_netif it was
 * given. Nothing here allocates after stack_init(): every table is a fixed
 * array sized in opt.h.
 *
 * Thread rules: single-threaded; one caller at a time.
 */
#ifndef AX_STACK_H
#define AX_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "arp.h"
#include "counters.h"
#include "frag.h"
#include "ipaddr.h"
#include "netif.h"
#include "pmtu.h"
#include "route.h"
#include "tcp.h"
#include "udp.h"

struct ax_stack;

/*
 * The stack's addresses, both families (ipaddr.h). An IPv4 address is
 * usable at once; an IPv6 one is TENTATIVE until duplicate address
 * detection (RFC 4862 5.4, nd.c) passes, and DUPLICATE for good when it
 * fails. Only usable (PREFERRED) addresses receive, send or appear in
 * XDP's `addrs` map; the stack tells its owner of each change through
 * addr_event (the daemon updates the map and logs DAD failures).
 */
enum stack_addr_state {
	STACK_ADDR_FREE = 0,
	STACK_ADDR_TENTATIVE,
	STACK_ADDR_PREFERRED,
	STACK_ADDR_DUPLICATE,
};

#define STACK_ADDR_F_STATIC 0x1    /* given with --addr */
#define STACK_ADDR_F_LINKLOCAL 0x2 /* fe80::/64 from the MAC (RFC 4862 5.3) */
#define STACK_ADDR_F_AUTOCONF 0x4  /* from a router advertisement's prefix */

struct stack_addr {
	struct ip_addr a;
	uint8_t plen;             /* on-link prefix, in the family's terms (0..32, 0..128) */
	uint8_t state;            /* enum stack_addr_state */
	uint8_t flags;            /* STACK_ADDR_F_* */
	uint8_t dad_left;         /* DAD solicitations still to send */
	uint64_t deadline_ns;     /* DAD: next solicitation, or the verdict */
	uint64_t valid_until_ns;  /* 0: forever (autoconf: the prefix's lifetime) */
};

enum stack_addr_event { STACK_ADDR_USABLE, STACK_ADDR_DAD_FAILED, STACK_ADDR_GONE };
typedef void (*stack_addr_event_fn)(void *arg, const struct stack_addr *a,
				    enum stack_addr_event ev);

/* An echo reply that matched nothing but its id: the owner decides. */
struct icmp_echo_reply {
	uint32_t src;     /* network order */
	uint16_t id;      /* host order */
	uint16_t seq;     /* host order */
	uint8_t ttl;
	size_t data_len;  /* ICMP payload bytes after the 8-byte header */
	const uint8_t *data;
};

typedef void (*stack_echo_reply_fn)(void *arg, const struct icmp_echo_reply *r);

struct ax_stack {
	struct ax_netif *netif;
	uint32_t addr;       /* our IPv4 address, network order */
	uint8_t prefix_len;  /* of the on-link subnet */
	uint16_t ip_id;      /* next IPv4 identification */
	uint64_t now_ns;     /* CLOCK_MONOTONIC, set by the caller */
	struct route_table routes;
	struct arp_table arp;
	struct tcp_table *tcp; /* &tcp_storage once tcp_init() ran */
	struct tcp_table tcp_storage;
	struct udp_table udp;
	struct pmtu_table pmtu; /* path MTUs learned (pmtu.h) */
	stack_echo_reply_fn echo_reply_cb;
	void *echo_reply_arg;
	/* Inbound echo requests are answered only when this says 1 (NULL:
	 * always): the admitter's policy check. Addresses network order. */
	int (*icmp_filter)(void *arg, uint32_t src, uint32_t dst);
	void *icmp_filter_arg;
	/* A reassembled datagram reaches L4 only when this says 1 (NULL:
	 * always): the check XDP makes on whole packets (flows map, verdict
	 * or admission path), made by the owner on the whole datagram, since
	 * XDP could not see a non-first fragment's ports. Ports in host
	 * order; tcp_syn: a TCP SYN without ACK. 0 drops (frag_filtered). */
	int (*l4_filter)(void *arg, const struct ip_rx *rx, uint16_t sport,
			 uint16_t dport, int tcp_syn);
	void *l4_filter_arg;
	struct frag_table frag; /* reassembly (frag.h): ~1 MiB of buffers */
	uint64_t cnt[AX_C_MAX];
};

/*
 * Set up the stack on netif with address addr/prefix_len (network order)
 * and, when gw is not 0, a default route through gw. Adds the on-link
 * route. Returns 0 or -EINVAL (bad prefix, gateway not on link, an MTU
 * outside 68..AX_FRAME_MAX-14).
 */
int stack_init(struct ax_stack *s, struct ax_netif *netif, uint32_t addr,
	       uint8_t prefix_len, uint32_t gw);

static inline void stack_set_time(struct ax_stack *s, uint64_t now_ns)
{
	s->now_ns = now_ns;
}

/* Free every TCP connection (sending nothing). */
void stack_fini(struct ax_stack *s);

/* Process one received frame. Never fails: bad frames are counted. */
void stack_input(struct ax_stack *s, const uint8_t *frame, size_t len);

/* Run due timers (ARP retries and expiry). */
void stack_timers(struct ax_stack *s);

/*
 * When stack_timers() next has work (TCP's delayed ACKs, retransmissions,
 * keepalives, TIME_WAIT; ARP's retries and expiry): a time on the stack's
 * clock (ns), at most limit_ns; limit_ns when nothing is due before. Never
 * in the past of the last stack_timers() run, so a caller that sleeps
 * until then and runs the timers cannot spin. Costs a scan bounded by the
 * limit (1 ms slots) and the ARP table: keep the limit short.
 */
uint64_t stack_next_deadline(const struct ax_stack *s, uint64_t limit_ns);

/* Announce our address (gratuitous ARP request, RFC 5227 2.4). */
void stack_announce(struct ax_stack *s);

/*
 * Send an ICMP echo request to dst (network order) with identifier id,
 * sequence seq and data_len bytes of data. Returns 0 (sent or queued for
 * address resolution), -ENETUNREACH (no route), -ENOBUFS (no buffer) or
 * -EMSGSIZE.
 */
int stack_ping(struct ax_stack *s, uint32_t dst, uint16_t id, uint16_t seq,
	       const void *data, size_t data_len);

static inline void stack_count(struct ax_stack *s, enum ax_counter c)
{
	s->cnt[c]++;
}

/*
 * Addresses (stack_addr.c). stack_addr_add: 0, -EEXIST, -ENOSPC (more than
 * AX_ADDRS_MAX), -EINVAL (any, multicast, loopback, bad prefix length); it
 * adds the connected route and starts DAD for IPv6. stack_addr_local: the
 * address when it is one of ours and usable, else NULL. stack_src_select:
 * the source for dst (RFC 6724 in short: same family, link-local for a
 * link-local destination, the address whose prefix holds dst or the
 * next hop's, else the first usable global); -EADDRNOTAVAIL when none.
 */
int stack_addr_add(struct ax_stack *s, const struct ip_addr *a, uint8_t plen,
		   unsigned int flags);
const struct stack_addr *stack_addr_local(const struct ax_stack *s,
					  const struct ip_addr *a);
int stack_src_select(const struct ax_stack *s, const struct ip_addr *dst,
		     struct ip_addr *src);

/* Hand a finished frame to the device, counting it. Internal to the
 * engine's layers. */
int stack_xmit(struct ax_stack *s, size_t len);

#endif /* AX_STACK_H */
