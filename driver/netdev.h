/*
 * netdev.h - packet I/O backends behind one interface.
 *
 * A netdev moves Ethernet frames between a device and the engine. Two
 * backends exist: AF_XDP (driver/xsk.c, with the XDP program of bpf/ doing
 * the demux, see driver/xdp_prog.h) and TAP (driver/tap.c, for hosts without
 * XDP). The event loop sees only this header; the engine sees only
 * struct ax_netif, which every netdev embeds.
 *
 * Costs: rx() and tx_*() never allocate and never block. Frames passed to
 * the rx callback are valid only during the call (they go back to the
 * device right after).
 *
 * Thread rules: one thread drives a netdev.
 */
#ifndef AX_NETDEV_H
#define AX_NETDEV_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "axnet/xdp_shared.h"
#include "netif.h"

struct netdev;
struct xdp_prog;

typedef void (*netdev_rx_fn)(void *arg, const uint8_t *frame, size_t len);

/* Called with each named counter of the backend. */
typedef void (*netdev_stat_fn)(void *arg, const char *name, uint64_t value);

struct netdev_ops {
	/* Fill up to max pollfds the loop must wait on (POLLIN). */
	int (*poll_fds)(struct netdev *d, struct pollfd *fds, int max);
	/* Deliver up to budget received frames to fn; returns how many. */
	int (*rx)(struct netdev *d, netdev_rx_fn fn, void *arg, int budget);
	/* Push committed frames to the device and reap completions. */
	void (*flush)(struct netdev *d);
	/* Frames are waiting for the device to take them: flush again soon
	 * rather than sleep. */
	int (*tx_pending)(struct netdev *d);
	/* Backend counters (ring drops, mode, ...). */
	void (*stats)(struct netdev *d, netdev_stat_fn fn, void *arg);
	void (*close)(struct netdev *d);
};

struct netdev {
	const struct netdev_ops *ops;
	struct ax_netif netif; /* what the engine transmits through */
	char ifname[16];
	int ifindex;
	const char *kind; /* "xdp" or "tap" */
};

/* Options common to the backends. */
struct netdev_opts {
	const char *ifname;
	uint32_t queues;     /* AF_XDP: 0 = every RX queue of the device */
	int force_copy;      /* AF_XDP: do not try zero-copy */
	int skb_mode;        /* AF_XDP: attach XDP in generic (SKB) mode */
	const uint8_t *mac;  /* TAP: our MAC; NULL = a random local one */
};

/*
 * Open a backend. Return NULL and set errno on failure (with a logged
 * reason). The AF_XDP backend also loads and attaches the XDP program and
 * pins its maps; netdev_close() detaches and unpins.
 */
struct netdev *netdev_open_xsk(const struct netdev_opts *o);
struct netdev *netdev_open_tap(const struct netdev_opts *o);

/* AF_XDP only: publish an IPv4 address (network order) as ours to the
 * XDP program. 0 or -errno; -EOPNOTSUPP on other backends. */
int netdev_add_addr4(struct netdev *d, uint32_t addr);

/* AF_XDP only (NULL on other backends): the XDP program in front of the
 * device, whose maps hold the flow verdicts it enforces (xdp_prog.h). The
 * netdev keeps it; it goes with netdev_close(). */
struct xdp_prog *netdev_xdp(struct netdev *d);

static inline void netdev_close(struct netdev *d)
{
	if (d)
		d->ops->close(d);
}

#endif /* AX_NETDEV_H */
