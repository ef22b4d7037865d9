/*
 * udp.h - UDP (RFC 768) for the engine: sockets (struct udp_pcb) hashed by
 * local port, datagrams in and out, ICMP errors both ways.
 *
 * Input: a datagram goes to the best socket on its port (Linux's
 * compute_score): one connected to exactly its source first, then one
 * bound to our address, then one bound to any; among equals (a
 * SO_REUSEPORT group) a hash of the 4-tuple picks. A datagram for no
 * socket draws an ICMP port unreachable (RFC 1122 4.1.3.1), within the
 * token buckets of opt.h (AX_ICMP_ERR_*), as TCP's resets for no
 * connection are limited. An ICMP destination unreachable received for
 * a connected socket's flow is handed to its err callback (-ECONNREFUSED
 * for port unreachable: Linux reports hard errors on connected sockets
 * only, unless IP_RECVERR).
 *
 * Admission: when an admitter is installed (udp_set_admit), every datagram
 * for a socket (inbound) and every one a socket sends (udp_send, outbound)
 * goes through it first, with the socket's owner. It answers 1 (go now),
 * 0 (it keeps or drops the datagram; a kept one comes back later through
 * udp_deliver or udp_sendto once its flow is authorized) or, outbound
 * only, a negative errno the send fails with (-EACCES: the policy said no).
 *
 * Costs: nothing allocated (the caller embeds struct udp_pcb); a hash
 * bucket per port, chains as long as the sockets sharing a port.
 * Thread rules: those of the stack.
 */
#ifndef AX_UDP_H
#define AX_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"

struct ax_stack;
struct ax_cred;

/* The old fixed bindings of udp_bind() (tests, simple users). */
#define AX_UDP_MAX_BINDS 16

/* src is network order, ports host order. data is valid during the call. */
typedef void (*udp_recv_fn)(void *arg, uint32_t src, uint16_t sport, uint16_t dport,
			    const uint8_t *data, size_t len);
/* An ICMP error for a connected socket's flow: -ECONNREFUSED, -EHOSTUNREACH... */
typedef void (*udp_err_fn)(void *arg, int err);
/*
 * inbound 1: a datagram from raddr:rport to laddr:lport for a socket of
 * owner; inbound 0: one owner's socket sends from laddr:lport to
 * raddr:rport. owner NULL: none known. Addresses network order, ports host
 * order. 1 go, 0 kept or dropped, -errno (outbound) refused.
 */
typedef int (*udp_admit_fn)(void *arg, int inbound, const struct ax_cred *owner, uint32_t raddr,
			    uint16_t rport, uint32_t laddr, uint16_t lport, const uint8_t *data,
			    size_t len);

/* A socket, embedded in its owner's structure. Fields other than next
 * may be read by the owner; change them only through the calls below. */
struct udp_pcb {
	struct udp_pcb *next;   /* hash chain */
	uint32_t laddr, raddr;  /* network order; laddr 0 any, raddr 0 not connected */
	uint16_t lport, rport;  /* host order */
	int reuseport;          /* in a SO_REUSEPORT group */
	int hashed;
	udp_recv_fn recv;
	udp_err_fn err;         /* may be NULL */
	void *arg;
	const struct ax_cred *owner;
};

struct udp_table {
	struct udp_pcb *bucket[AX_UDP_HASH_BUCKETS];
	unsigned int count;
	struct udp_pcb legacy[AX_UDP_MAX_BINDS]; /* udp_bind's sockets */
	udp_admit_fn admit;
	void *admit_arg;
	uint64_t key; /* hashes source slots and reuse-port picks; 0 until first use */
};

/* Socket calls. udp_pcb_insert: lport set (not 0), put in the table (no
 * conflict check: that is the socket layer's, sock/port.c). */
void udp_pcb_init(struct udp_pcb *pcb, udp_recv_fn recv, udp_err_fn err, void *arg);
int udp_pcb_insert(struct ax_stack *s, struct udp_pcb *pcb);
void udp_pcb_remove(struct ax_stack *s, struct udp_pcb *pcb);
/* Sockets bound to lport (any address): the first, then the next after
 * prev (NULL at the end). For the socket layer's conflict checks. */
struct udp_pcb *udp_pcb_first(struct ax_stack *s, uint16_t lport);
struct udp_pcb *udp_pcb_next(struct udp_pcb *prev);
/* Which socket a datagram from raddr:rport to lport would reach. */
struct udp_pcb *udp_lookup(struct ax_stack *s, uint32_t raddr, uint16_t rport, uint16_t lport);
/* Send from pcb to dst:dport through the admitter (outbound). 0 (sent,
 * or held/dropped by the admitter), -EMSGSIZE (past the MTU: no
 * fragmentation), -EINVAL (port 0), -ENETUNREACH, -ENOBUFS, or the
 * admitter's -errno. */
int udp_send(struct ax_stack *s, struct udp_pcb *pcb, uint32_t dst, uint16_t dport,
	     const void *data, size_t len);

/* 0, -EADDRINUSE, -ENOSPC (all slots taken) or -EINVAL (port 0). */
int udp_bind(struct ax_stack *s, uint16_t port, udp_recv_fn fn, void *arg);
void udp_unbind(struct ax_stack *s, uint16_t port);
/* Is a socket bound to port? */
int udp_bound(struct ax_stack *s, uint16_t port);
/* Send len bytes from our sport to dst:dport (network order dst), without
 * asking the admitter (it releases held datagrams through this). 0 or
 * -errno (-EMSGSIZE past the MTU: no fragmentation; -EINVAL to port 0). */
int udp_sendto(struct ax_stack *s, uint32_t dst, uint16_t sport, uint16_t dport,
	       const void *data, size_t len);
void udp_set_admit(struct ax_stack *s, udp_admit_fn fn, void *arg);
/* Hand a datagram to the socket for dport without asking the admitter. */
void udp_deliver(struct ax_stack *s, uint32_t src, uint16_t sport, uint16_t dport,
		 const uint8_t *data, size_t len);
/* From ipv4.c: ip is the IPv4 packet (header hlen bytes), then a UDP
 * datagram of len bytes (header included). */
void udp_input(struct ax_stack *s, const uint8_t *ip, size_t hlen, size_t len);
/* From icmp.c: a destination unreachable (code) quoting a datagram we sent
 * from lport to raddr:rport. 1 handed to a socket, 0 nobody's. */
int udp_icmp_unreach(struct ax_stack *s, uint32_t raddr, uint16_t lport, uint16_t rport,
		     uint8_t code);

#endif /* AX_UDP_H */
