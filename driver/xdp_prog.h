/*
 * xdp_prog.h - load, attach, pin and detach bpf/axnet_xdp.bpf.c.
 *
 * The program is attached with libbpf directly, not through libxdp's
 * dispatcher (which cannot load here: see README, "Platform notes"). Its
 * maps are pinned under AX_PIN_ROOT/<ifname>/ (stats, addrs, xsks) so that
 * `bpftool map dump pinned ...` shows them while axnet runs. The pin
 * directory is flock()ed for the life of the handle: a second axnet on the
 * same interface name is refused, and pins left by a killed instance are
 * replaced, never shared.
 */
#ifndef AX_XDP_PROG_H
#define AX_XDP_PROG_H

#include "axnet/xdp_shared.h"

struct xdp_prog;

/*
 * Mount bpffs if needed, load the program, pin its maps and attach it to
 * ifindex in native mode (generic mode when skb_mode is set). Refuses with
 * EBUSY an interface that carries another program. Returns NULL and sets
 * errno on failure.
 */
struct xdp_prog *xdp_prog_attach(const char *ifname, int ifindex, int skb_mode);

/* Detach, unpin, remove the pin directory, free. NULL is fine. */
void xdp_prog_detach(struct xdp_prog *p);

/* The XSKMAP that AF_XDP sockets register in (queue id -> socket). */
int xdp_prog_xsks_fd(const struct xdp_prog *p);

/* The `garps` ring buffer (copies of gratuitous ARPs, struct ax_garp). */
int xdp_prog_garps_fd(const struct xdp_prog *p);

/* Add an address to the `addrs` map. 0 or -errno. An IPv6 group's
 * link-layer address is joined on the interface too (the NIC's multicast
 * filter passes it) until it is removed or the program detaches. */
int xdp_prog_add_addr(struct xdp_prog *p, const struct ax_addr_key *key);
/* Remove one: 0, -ENOENT (not there) or -errno. */
int xdp_prog_del_addr(struct xdp_prog *p, const struct ax_addr_key *key);

/* Sum the per-CPU counters. 0 or -errno. */
int xdp_prog_read_stats(const struct xdp_prog *p, struct ax_xdp_stats *sum);

/* "native" or "generic". */
const char *xdp_prog_mode(const struct xdp_prog *p);

/* The `config` slot (enforcement on/off, slow-path rate). 0 or -errno. */
int xdp_prog_set_config(struct xdp_prog *p, const struct ax_xdp_config *cfg);
/* One flow's verdict in `flows`: set (insert or replace), delete (-ENOENT
 * when absent), read (with XDP's packet and byte counts). A delete is
 * synchronous: once it returns, XDP no longer lets that flow through. */
int xdp_prog_flow_set(struct xdp_prog *p, const struct ax_flow_key *k,
		      const struct ax_flow_val *v);
int xdp_prog_flow_del(struct xdp_prog *p, const struct ax_flow_key *k);
int xdp_prog_flow_get(const struct xdp_prog *p, const struct ax_flow_key *k,
		      struct ax_flow_val *v);
/* Delete every flow with this verdict; returns how many. */
int xdp_prog_flow_flush(struct xdp_prog *p, __u32 verdict);

#endif /* AX_XDP_PROG_H */
