/*
 * udp.h - UDP (RFC 768) for the engine: sockets (struct udp_pcb) hashed by
 * local port, datagrams in and out, ICMP errors both ways.
 *
 * Input: a datagram goes to the best socket on its port (Linux's
 * compute_score): one connected to exactly its source first, then one
 * bound to its destination address, then one bound to any; among equals
 * (a SO_REUSEPORT group) a hash of the 4-tuple picks. Addresses are of
 * either family (ipaddr.h); a socket bound to :: takes both unless
 * v6only, one bound to ::ffff:0.0.0.0 IPv4 only (DESIGN point 2, as
 * Linux's dual-stack sockets). A datagram for no
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

#include "ipaddr.h"
#include "opt.h"

struct ax_stack;
struct ax_cred;
struct ip_rx;

/* The old fixed bindings of udp_bind() (tests, simple users). */
#define AX_UDP_MAX_BINDS 16

/* src of either family, ports host order. data is valid during the call. */
typedef void (*udp_recv_fn)(void *arg, const struct ip_addr *src, uint16_t sport,
			    uint16_t dport, const uint8_t *data, size_t len);
/* An ICMP error for a connected socket's flow: -ECONNREFUSED, -EHOSTUNREACH... */
typedef void (*udp_err_fn)(void *arg, int err);
/*
 * inbound 1: a datagram from raddr:rport to laddr:lport for a socket of
 * owner; inbound 0: one owner's socket sends from laddr:lport to
 * raddr:rport (laddr: the source the datagram leaves from). owner NULL:
 * none known. Ports host order. 1 go, 0 kept or dropped, -errno
 * (outbound) refused.
 */
typedef int (*udp_admit_fn)(void *arg, int inbound, const struct ax_cred *owner,
			    const struct ip_addr *raddr, uint16_t rport,
			    const struct ip_addr *laddr, uint16_t lport, const uint8_t *data,
			    size_t len);

/* A socket, embedded in its owner's structure. Fields other than next
 * may be read by the owner; change them only through the calls below. */
struct udp_pcb {
	struct udp_pcb *next;   /* hash chain */
	/* laddr: :: (all zero, udp_pcb_init's) any of both families,
	 * ::ffff:0.0.0.0 any IPv4; raddr :: not connected. */
	struct ip_addr laddr, raddr;
	uint16_t lport, rport;  /* host order */
	int reuseport;          /* in a SO_REUSEPORT group */
	int v6only;             /* bound to :: with IPV6_V6ONLY: IPv6 only */
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
/* Which socket a datagram from raddr:rport to laddr:lport would reach. */
struct udp_pcb *udp_lookup(struct ax_stack *s, const struct ip_addr *laddr,
			   const struct ip_addr *raddr, uint16_t rport, uint16_t lport);
/* Send from pcb (its bound address, else the source stack_src_select
 * picks) to dst:dport through the admitter (outbound). 0 (sent, or
 * held/dropped by the admitter), -EMSGSIZE (past the MTU: no
 * fragmentation), -EINVAL (port 0; a bound address of the other
 * family), -EADDRNOTAVAIL (no source of dst's family), -ENETUNREACH,
 * -ENOBUFS, or the admitter's -errno. */
int udp_send(struct ax_stack *s, struct udp_pcb *pcb, const struct ip_addr *dst,
	     uint16_t dport, const void *data, size_t len);

/* 0, -EADDRINUSE, -ENOSPC (all slots taken) or -EINVAL (port 0). */
int udp_bind(struct ax_stack *s, uint16_t port, udp_recv_fn fn, void *arg);
void udp_unbind(struct ax_stack *s, uint16_t port);
/* Is a socket bound to port? */
int udp_bound(struct ax_stack *s, uint16_t port);
/* Send len bytes from src:sport (src NULL or any: stack_src_select's
 * pick) to dst:dport, without asking the admitter (it releases held
 * datagrams through this). 0 or -errno (-EMSGSIZE past the MTU: no
 * fragmentation; -EINVAL to port 0; -EADDRNOTAVAIL). */
int udp_sendto(struct ax_stack *s, const struct ip_addr *src, const struct ip_addr *dst,
	       uint16_t sport, uint16_t dport, const void *data, size_t len);
void udp_set_admit(struct ax_stack *s, udp_admit_fn fn, void *arg);
/* Hand a datagram from src:sport to dst:dport to its socket without
 * asking the admitter. */
void udp_deliver(struct ax_stack *s, const struct ip_addr *src, uint16_t sport,
		 const struct ip_addr *dst, uint16_t dport, const uint8_t *data, size_t len);
/* From the IP layer: rx->l4 is the UDP datagram (header included). A
 * zero checksum is "none" over IPv4, invalid over IPv6 (RFC 8200 8.1). */
void udp_input(struct ax_stack *s, const struct ip_rx *rx);
/* From icmp.c: a destination unreachable (code, ICMPv4's) quoting a
 * datagram we sent from laddr:lport to raddr:rport. 1 handed to a socket,
 * 0 nobody's. udp_icmp_error: the same with the errno already chosen
 * (icmp6.c maps ICMPv6's codes; 0: a soft error, not reported). */
int udp_icmp_unreach(struct ax_stack *s, const struct ip_addr *laddr,
		     const struct ip_addr *raddr, uint16_t lport, uint16_t rport, uint8_t code);
int udp_icmp_error(struct ax_stack *s, const struct ip_addr *laddr,
		   const struct ip_addr *raddr, uint16_t lport, uint16_t rport, int err);

#endif /* AX_UDP_H */
