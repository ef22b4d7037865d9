/*
 * netcfg.h - `axnet run`'s addresses and routes: --addr A/P (repeatable,
 * either family), --route PREFIX via ADDR (repeatable, either family) and
 * --gw ADDR (repeatable, one default per family), parsed, checked and
 * applied to the stack; and the XDP `addrs` map kept in step with the
 * stack's address events (usable addresses in, duplicate or gone out).
 *
 * Parse errors are printed to stderr naming the option and the value
 * ("axnet run: --gw wants an address, got 'x'"); the caller exits 2.
 */
#ifndef AX_DAEMON_NETCFG_H
#define AX_DAEMON_NETCFG_H

#include <stdint.h>

#include "net/ipaddr.h"
#include "net/opt.h"
#include "net/stack.h"

struct xdp_prog;

struct netcfg {
	struct {
		struct ip_addr a;
		uint8_t plen;
		const char *text;
	} addr[AX_ADDRS_MAX];
	unsigned int naddr;
	struct {
		struct ip_addr dst, via;
		uint8_t plen;
		const char *text, *via_text;
	} route[AX_ROUTES_MAX];
	unsigned int nroute;
	struct ip_addr gw[2]; /* [0] IPv4, [1] IPv6 */
	const char *gw_text[2];
};

/* Each: 0, or -EINVAL with the reason printed. */
int netcfg_add_addr(struct netcfg *c, const char *text);
int netcfg_add_gw(struct netcfg *c, const char *text);
int netcfg_add_route(struct netcfg *c, const char *prefix, const char *via);

/*
 * Give the stack (after stack_setup) its addresses, the link-local one, the
 * gateways and the static routes, in that order. 0, or the first error,
 * logged with the option and value that caused it.
 */
int netcfg_apply(const struct netcfg *c, struct ax_stack *s);

/* The stack's addr_event for the daemon: arg is the struct xdp_prog (NULL:
 * no map, e.g. the TAP backend). */
void netcfg_addr_event(void *arg, const struct stack_addr *a,
		       enum stack_addr_event ev);

/* Put every usable address of s into the map (for addresses made usable
 * before the callback was set). 0 or -errno. */
int netcfg_publish(struct ax_stack *s, struct xdp_prog *p);

#endif /* AX_DAEMON_NETCFG_H */
