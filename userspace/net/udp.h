/*
 * udp.h - UDP (RFC 768) for the engine: ports bound to receive callbacks,
 * and datagrams sent from them.
 *
 * A datagram for a bound port is handed to the port's callback; one for no
 * port is counted and dropped (no ICMP port unreachable yet). When an
 * admitter is installed (udp_set_admit), every datagram for a bound
 * port goes through it first: it answers 1 (deliver now) or 0 (it keeps
 * or drops the datagram; a kept one comes back later through
 * udp_deliver, once its flow is authorized).
 *
 * Costs: nothing allocated; a linear scan of at most AX_UDP_MAX_BINDS
 * bindings per datagram. Thread rules: those of the stack.
 */
#ifndef AX_UDP_H
#define AX_UDP_H

#include <stddef.h>
#include <stdint.h>

struct ax_stack;

#define AX_UDP_MAX_BINDS 16

/* src is network order, ports host order. data is valid during the call. */
typedef void (*udp_recv_fn)(void *arg, uint32_t src, uint16_t sport, uint16_t dport,
			    const uint8_t *data, size_t len);
typedef int (*udp_admit_fn)(void *arg, uint32_t src, uint16_t sport, uint32_t dst,
			    uint16_t dport, const uint8_t *data, size_t len);

struct udp_table {
	struct {
		uint16_t port; /* 0: free slot */
		udp_recv_fn fn;
		void *arg;
	} b[AX_UDP_MAX_BINDS];
	udp_admit_fn admit;
	void *admit_arg;
};

/* 0, -EADDRINUSE, -ENOSPC (all slots taken) or -EINVAL (port 0). */
int udp_bind(struct ax_stack *s, uint16_t port, udp_recv_fn fn, void *arg);
void udp_unbind(struct ax_stack *s, uint16_t port);
/* Is port bound? */
int udp_bound(const struct ax_stack *s, uint16_t port);
/* Send len bytes from our sport to dst:dport (network order dst). 0 or
 * -errno (-EMSGSIZE past the MTU: no fragmentation; -EINVAL to port 0). */
int udp_sendto(struct ax_stack *s, uint32_t dst, uint16_t sport, uint16_t dport,
	       const void *data, size_t len);
void udp_set_admit(struct ax_stack *s, udp_admit_fn fn, void *arg);
/* Hand a datagram to dport's callback without asking the admitter. */
void udp_deliver(struct ax_stack *s, uint32_t src, uint16_t sport, uint16_t dport,
		 const uint8_t *data, size_t len);
/* From ipv4.c: a UDP datagram of len bytes (header included). */
void udp_input(struct ax_stack *s, uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);

#endif /* AX_UDP_H */
