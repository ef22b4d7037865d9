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
#include "netif.h"
#include "pmtu.h"
#include "route.h"
#include "tcp.h"
#include "udp.h"

struct ax_stack;

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

/* Hand a finished frame to the device, counting it. Internal to the
 * engine's layers. */
int stack_xmit(struct ax_stack *s, size_t len);

#endif /* AX_STACK_H */
