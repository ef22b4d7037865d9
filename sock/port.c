/*
 * port.c - local ports: bind conflicts (SO_REUSEADDR, SO_REUSEPORT as
 * Linux) and ephemeral ports chosen as RFC 6056 3.3.3 (algorithm 3,
 * "simple hash-based"): offset = F(local, remote, remote port, secret),
 * candidates min + (next + offset) % n with next moving on by one per
 * candidate tried, so a peer cannot guess the ports of other flows and
 * consecutive connections to one peer still spread over the range. Every
 * candidate is checked; at most n are tried, so exhaustion is an error,
 * never a hang.
 */
#include "sock_priv.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "util/cred.h"

static struct sock **chain(struct sock_layer *l, int type, uint16_t port)
{
	return &l->bhash[type == SOCK_DGRAM][port & (SOCK_BHASH - 1)];
}

static uint32_t uid_of(const struct sock *so)
{
	return so->owner ? so->owner->uid : 0;
}

/* Which addresses a socket bound to laddr takes: its IPv4 ones (bound to
 * one, to ::ffff:0.0.0.0, or to :: without V6ONLY), its IPv6 ones; and
 * whether all of that family (a wildcard). */
static int takes4(const struct sock *so, const struct ip_addr *a)
{
	return ip_addr_is_v4(a) || (ip_addr_eq(a, &ip_addr_any6) && !so->v6only);
}

static int wild4(const struct sock *so, const struct ip_addr *a)
{
	return ip_addr_eq(a, &ip_addr_any4) || (ip_addr_eq(a, &ip_addr_any6) && !so->v6only);
}

/* Linux inet_rcv_saddr_equal (ipv6_rcv_saddr_equal for AF_INET6): do the
 * two bindings share an address? A dual-stack [::] overlaps every IPv4
 * binding, a V6ONLY one none. */
static int addr_overlap(const struct sock *a, const struct ip_addr *la, const struct sock *b,
			const struct ip_addr *lb)
{
	if (takes4(a, la) && takes4(b, lb) && (wild4(a, la) || wild4(b, lb) || ip_addr_eq(la, lb)))
		return 1;
	return !ip_addr_is_v4(la) && !ip_addr_is_v4(lb) &&
	       (ip_addr_is_any(la) || ip_addr_is_any(lb) || ip_addr_eq(la, lb));
}

/* Linux inet_csk_bind_conflict / udp_lib_lport_inuse for one pair. */
static int conflicts(const struct sock *so, const struct sock *o, const struct ip_addr *laddr)
{
	if (!addr_overlap(so, laddr, o, &o->laddr))
		return 0;
	/* SO_REUSEPORT: both set it, same user (so that another user cannot
	 * steal a share of someone's traffic). */
	if (so->reuseport && o->reuseport && uid_of(so) == uid_of(o))
		return 0;
	if (so->reuseaddr && o->reuseaddr) {
		/* UDP: both set it, shared. TCP: only with a socket that is
		 * not listening. */
		if (so->type == SOCK_DGRAM || o->state != SS_LISTEN)
			return 0;
	}
	return 1;
}

static int port_busy(struct sock *so, const struct ip_addr *laddr, uint16_t port)
{
	for (struct sock *o = *chain(so->l, so->type, port); o; o = o->bnext)
		if (o != so && o->lport == port && conflicts(so, o, laddr))
			return 1;
	return 0;
}

/* Connections of the engine on the port, orphans and TIME_WAIT included:
 * they block a bind without SO_REUSEADDR, as Linux's bind buckets do. */
struct lport_walk {
	uint16_t port;
	int found;
};

static void lport_fn(void *arg, const struct tcp_pcb *pcb)
{
	struct lport_walk *w = arg;
	struct tcp_info_ax i;

	if (w->found)
		return;
	tcp_get_info(pcb, &i);
	if (i.lport == w->port)
		w->found = 1;
}

static int engine_uses(struct sock_layer *l, uint16_t port)
{
	struct lport_walk w = { .port = port };

	tcp_foreach(l->s, lport_fn, &w);
	return w.found;
}

static void hash_in(struct sock *so, const struct ip_addr *laddr, uint16_t port,
		    int explicit_bind)
{
	struct sock **c = chain(so->l, so->type, port);

	so->laddr = *laddr;
	so->lport = port;
	so->bound = 1;
	so->explicit_bind = explicit_bind;
	so->bnext = *c;
	*c = so;
	if (so->state == SS_NEW)
		so->state = SS_BOUND;
	if (so->type == SOCK_DGRAM) {
		so->upcb.laddr = *laddr;
		so->upcb.v6only = so->v6only;
		so->upcb.lport = port;
		udp_pcb_insert(so->l->s, &so->upcb);
	}
}

void port_unbind(struct sock *so)
{
	struct sock **pp;

	if (!so->bound)
		return;
	for (pp = chain(so->l, so->type, so->lport); *pp; pp = &(*pp)->bnext)
		if (*pp == so) {
			*pp = so->bnext;
			break;
		}
	so->bnext = NULL;
	so->bound = 0;
	if (so->type == SOCK_DGRAM)
		udp_pcb_remove(so->l->s, &so->upcb);
}

/* A port connect (or an autobind) chose goes back with the address, so
 * bind may be called again; one bind chose stays (Linux tcp_set_state(CLOSE),
 * udp_disconnect). Returns 1 when it went. */
int port_unbind_auto(struct sock *so)
{
	if (!so->bound || so->explicit_bind)
		return 0;
	port_unbind(so);
	so->lport = 0;
	so->laddr = sock_any(so);
	return 1;
}

/* RFC 6056 F(): keyed SipHash-2-4 of (local, remote, remote port). */
static uint32_t offset_of(struct sock_layer *l, const struct ip_addr *laddr,
			  const struct ip_addr *raddr, uint16_t rport, int type)
{
	uint8_t in[36], out[crypto_shorthash_BYTES];
	uint32_t r;

	memcpy(in, laddr->b, 16);
	memcpy(in + 16, raddr->b, 16);
	in[32] = (uint8_t)(rport >> 8);
	in[33] = (uint8_t)rport;
	in[34] = (uint8_t)type;
	in[35] = 0;
	crypto_shorthash(out, in, sizeof(in), (const unsigned char *)l->port_key);
	memcpy(&r, out, 4);
	return r;
}

/* Algorithm 3's loop; ok() says whether a port fits. 0 when none does. */
static uint16_t choose(struct sock *so, uint32_t offset,
		       int (*ok)(struct sock *so, uint16_t port, const void *ctx), const void *ctx)
{
	struct sock_layer *l = so->l;
	uint32_t n = (uint32_t)l->port_hi - l->port_lo + 1;

	for (uint32_t count = n; count > 0; count--) {
		uint16_t port = (uint16_t)(l->port_lo + (l->port_next + offset) % n);

		l->port_next++;
		if (ok(so, port, ctx))
			return port;
	}
	stack_count(l->s, AX_C_sock_ports_exhausted);
	return 0;
}

/* bind(0), listen or UDP send without bind: a port nobody has bound. */
static int free_for_bind(struct sock *so, uint16_t port, const void *ctx)
{
	(void)ctx;
	for (struct sock *o = *chain(so->l, so->type, port); o; o = o->bnext)
		if (o->lport == port)
			return 0;
	return 1;
}

int port_bind(struct sock *so, const struct ip_addr *laddr, uint16_t port)
{
	if (!port) {
		port = choose(so, offset_of(so->l, laddr, &ip_addr_any6, 0, so->type), free_for_bind,
			      NULL);
		/* Linux: an exhausted range makes bind fail with EADDRINUSE. */
		if (!port)
			return -EADDRINUSE;
		hash_in(so, laddr, port, 1);
		return 0;
	}
	if (port_busy(so, laddr, port))
		return -EADDRINUSE;
	if (so->type == SOCK_STREAM && !so->reuseaddr && engine_uses(so->l, port))
		return -EADDRINUSE;
	hash_in(so, laddr, port, 1);
	return 0;
}

int port_autobind(struct sock *so)
{
	struct ip_addr any = sock_any(so);
	uint16_t port;

	if (so->bound)
		return 0;
	port = choose(so, offset_of(so->l, &any, &ip_addr_any6, 0, so->type), free_for_bind, NULL);
	if (!port)
		return so->type == SOCK_DGRAM ? -EAGAIN : -EADDRINUSE; /* Linux's answers */
	hash_in(so, &any, port, 0);
	return 0;
}

struct conn_ctx {
	const struct ip_addr *raddr;
	uint16_t rport;
};

/* connect without bind: a port no socket bound explicitly (listeners
 * included) whose 4-tuple with this peer is free (TIME_WAIT included);
 * ports other connects use are shared, as Linux's inet_hash_connect. */
static int free_for_connect(struct sock *so, uint16_t port, const void *ctx)
{
	const struct conn_ctx *c = ctx;

	for (struct sock *o = *chain(so->l, so->type, port); o; o = o->bnext)
		if (o->lport == port && (o->explicit_bind || o->state == SS_LISTEN))
			return 0;
	return !tcp_tuple_busy(so->l->s, &so->laddr, port, c->raddr, c->rport);
}

int port_for_connect(struct sock *so, const struct ip_addr *raddr, uint16_t rport,
		     uint16_t *out)
{
	struct conn_ctx c = { raddr, rport };

	if (so->bound) {
		if (tcp_tuple_busy(so->l->s, &so->laddr, so->lport, raddr, rport))
			return -EADDRNOTAVAIL;
		*out = so->lport;
		return 0;
	}
	*out = choose(so, offset_of(so->l, &so->laddr, raddr, rport, so->type), free_for_connect,
		      &c);
	return *out ? 0 : -EADDRNOTAVAIL;
}

void port_connect_bound(struct sock *so, uint16_t port)
{
	struct ip_addr any = sock_any(so);

	if (!so->bound)
		hash_in(so, &any, port, 0);
}
