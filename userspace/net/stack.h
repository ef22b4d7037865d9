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
#include "nd.h"
#include "neigh.h"
#include "counters.h"
#include "frag.h"
#include "icmp_err.h"
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

/* STACK_ADDR_DAD_START: an IPv6 address entered the table TENTATIVE (its
 * solicited-node group is joined: XDP must pass it, RFC 4862 5.4.2). */
enum stack_addr_event { STACK_ADDR_USABLE, STACK_ADDR_DAD_FAILED, STACK_ADDR_GONE,
			STACK_ADDR_DAD_START };
typedef void (*stack_addr_event_fn)(void *arg, const struct stack_addr *a,
				    enum stack_addr_event ev);

/* An echo reply that matched nothing but its id: the owner decides. */
struct icmp_echo_reply {
	uint32_t src;     /* network order (IPv4) */
	uint8_t family;   /* 0 or 4: IPv4, from src; 6: IPv6, from src6 */
	struct ip_addr src6;
	uint16_t id;      /* host order */
	uint16_t seq;     /* host order */
	uint8_t ttl;
	size_t data_len;  /* ICMP payload bytes after the 8-byte header */
	const uint8_t *data;
};

typedef void (*stack_echo_reply_fn)(void *arg, const struct icmp_echo_reply *r);

struct ax_stack {
	struct ax_netif *netif;
	/* The first usable IPv4 address and its prefix (network order; 0
	 * when none), kept by stack_addr.c for code that knows one address
	 * only (ARP's announcement). Everything else asks the table. */
	uint32_t addr;
	uint8_t prefix_len;
	struct stack_addr addrs[AX_ADDRS_MAX]; /* STACK_ADDR_FREE: unused */
	stack_addr_event_fn addr_event;        /* NULL: nobody listens */
	void *addr_event_arg;
	uint16_t ip_id;      /* next IPv4 identification */
	uint64_t now_ns;     /* CLOCK_MONOTONIC, set by the caller */
	struct route_table routes;
	struct neigh_table neigh; /* both families (neigh.h) */
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
	/* The same for ICMPv6 echo requests (NULL: always answered). */
	int (*icmp6_filter)(void *arg, const struct ip_addr *src, const struct ip_addr *dst);
	void *icmp6_filter_arg;
	struct nd_state nd; /* what router advertisements taught (nd.h) */
	const uint8_t *rx_eth_src; /* during stack_input: the frame's source MAC */
	/* A reassembled datagram reaches L4 only when this says 1 (NULL:
	 * always): the check XDP makes on whole packets (flows map, verdict
	 * or admission path), made by the owner on the whole datagram, since
	 * XDP could not see a non-first fragment's ports. Ports in host
	 * order; tcp_syn: a TCP SYN without ACK. 0 drops (frag_filtered). */
	int (*l4_filter)(void *arg, const struct ip_rx *rx, uint16_t sport,
			 uint16_t dport, int tcp_syn);
	void *l4_filter_arg;
	struct frag_table frag; /* reassembly (frag.h): ~1 MiB of buffers */
	struct icmp_err_limits icmp_err; /* ip_send_error()'s buckets (icmp_err.c) */
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

/* Announce our IPv4 addresses (gratuitous ARP requests, RFC 5227 2.4). */
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

/*
 * More of the address table (stack_addr.c).
 * stack_setup: the stack with no address and no route (stack_init is
 * stack_setup, stack_addr_add and stack_gw_add). -EINVAL for an MTU
 * outside 68..AX_FRAME_MAX-14.
 * stack_addr_add_linklocal: fe80::/64 with the EUI-64 interface id from
 * the MAC (RFC 4291 appendix A, RFC 4862 5.3), TENTATIVE until DAD.
 * stack_addr_del: forget an address (its connected route too); GONE is
 * told when it was usable. 0 or -ENOENT.
 * stack_addr_find: the entry for a, whatever its state, or NULL.
 * stack_addr_set_state: DAD's verdict (nd.c): TENTATIVE to PREFERRED
 * (USABLE told) or DUPLICATE (DAD_FAILED told; not usable, kept listed).
 * stack_addr_on_link: is ip inside the prefix of one of our addresses (of
 * its family; an IPv6 link-local address always is), and for IPv4 not that
 * subnet's network or broadcast address?
 * stack_addr_is_bcast4: is be (network order) the directed broadcast of
 * one of our IPv4 subnets (prefix shorter than 31)?
 * stack_gw_add: the default route of gw's family through gw (replacing
 * that family's default); stack_route_add: a static route. Both want the
 * gateway on the link: -ENETUNREACH when it is not, -EINVAL for a gateway
 * that is one of ours or of the other family, -ENOSPC.
 */
int stack_setup(struct ax_stack *s, struct ax_netif *netif);
int stack_addr_add_linklocal(struct ax_stack *s);
int stack_addr_del(struct ax_stack *s, const struct ip_addr *a);
struct stack_addr *stack_addr_find(struct ax_stack *s, const struct ip_addr *a);
void stack_addr_set_state(struct ax_stack *s, struct stack_addr *a,
			  enum stack_addr_state st);
int stack_addr_on_link(const struct ax_stack *s, const struct ip_addr *ip);
int stack_addr_is_bcast4(const struct ax_stack *s, uint32_t be);
int stack_gw_add(struct ax_stack *s, const struct ip_addr *gw);
int stack_route_add(struct ax_stack *s, const struct ip_addr *dst, uint8_t plen,
		    const struct ip_addr *gw);

/* Whether an entry of the table is in use and usable. */
static inline int stack_addr_usable(const struct stack_addr *a)
{
	return a->state == STACK_ADDR_PREFERRED;
}

/*
 * Duplicate address detection for a TENTATIVE IPv6 address (nd.c, RFC
 * 4862 5.4): one solicitation from :: to its solicited-node group, then
 * PREFERRED after a second without an answer, or DUPLICATE.
 */
void nd_dad_start(struct ax_stack *s, struct stack_addr *a);

/* Hand a finished frame to the device, counting it. Internal to the
 * engine's layers. */
int stack_xmit(struct ax_stack *s, size_t len);

#endif /* AX_STACK_H */
