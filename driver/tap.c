/*
 * tap.c - the TAP backend, for hosts without XDP.
 *
 * axnet is the host on the far side of a TAP device: the kernel's side is
 * the tap interface (give it an address with `ip addr add`), axnet's side is
 * the file descriptor. axnet therefore uses its own MAC address, a random
 * locally administered one unless one is given. The device is created when
 * it does not exist (and is then gone when axnet exits) and brought up.
 *
 * One read() or write() per frame: simple and slow next to AF_XDP, which is
 * the point of having both.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "ifinfo.h"
#include "util/log.h"
#include "netdev.h"

struct tap_dev {
	struct netdev base;
	int fd;
	uint64_t rx_frames, tx_frames, tx_errors;
	uint8_t rxbuf[65536];
	uint8_t txbuf[AX_FRAME_MAX];
};

static uint8_t *tap_tx_begin(void *ctx, size_t *cap)
{
	struct tap_dev *d = ctx;

	*cap = sizeof(d->txbuf);
	return d->txbuf;
}

static int tap_tx_commit(void *ctx, size_t len)
{
	struct tap_dev *d = ctx;

	if (len > sizeof(d->txbuf))
		return -EINVAL;
	if (write(d->fd, d->txbuf, len) != (ssize_t)len) {
		d->tx_errors++;
		return -errno;
	}
	d->tx_frames++;
	return 0;
}

static int tap_poll_fds(struct netdev *nd, struct pollfd *fds, int max)
{
	struct tap_dev *d = (struct tap_dev *)nd;

	if (max < 1)
		return 0;
	fds[0] = (struct pollfd){ .fd = d->fd, .events = POLLIN };
	return 1;
}

static int tap_rx(struct netdev *nd, netdev_rx_fn fn, void *arg, int budget)
{
	struct tap_dev *d = (struct tap_dev *)nd;
	int n = 0;

	while (n < budget) {
		ssize_t len = read(d->fd, d->rxbuf, sizeof(d->rxbuf));

		if (len <= 0)
			break; /* EAGAIN: nothing more now */
		fn(arg, d->rxbuf, (size_t)len);
		d->rx_frames++;
		n++;
	}
	return n;
}

static void tap_flush(struct netdev *nd)
{
	(void)nd; /* every frame was written at commit */
}

static int tap_tx_pending(struct netdev *nd)
{
	(void)nd; /* write() either sent the frame or failed */
	return 0;
}

static void tap_stats(struct netdev *nd, netdev_stat_fn fn, void *arg)
{
	struct tap_dev *d = (struct tap_dev *)nd;

	fn(arg, "tap.rx_frames", d->rx_frames);
	fn(arg, "tap.tx_frames", d->tx_frames);
	fn(arg, "tap.tx_errors", d->tx_errors);
}

static void tap_close(struct netdev *nd)
{
	struct tap_dev *d = (struct tap_dev *)nd;

	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

static const struct netdev_ops tap_ops = {
	.poll_fds = tap_poll_fds,
	.rx = tap_rx,
	.flush = tap_flush,
	.tx_pending = tap_tx_pending,
	.stats = tap_stats,
	.close = tap_close,
};

struct netdev *netdev_open_tap(const struct netdev_opts *o)
{
	struct ifinfo info;
	struct ifreq ifr;
	struct tap_dev *d;
	int err;

	if (strlen(o->ifname) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->fd < 0) {
		err = log_err(-errno, "tap: cannot open /dev/net/tun: %s",
			      strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, o->ifname, IFNAMSIZ - 1);
	if (ioctl(d->fd, TUNSETIFF, &ifr) < 0) {
		err = log_err(-errno, "tap: cannot attach to %s: %s", o->ifname,
			      strerror(errno));
		goto fail;
	}
	err = ifinfo_set_up(o->ifname);
	if (!err)
		err = ifinfo_get(o->ifname, &info);
	if (err) {
		log_err(err, "tap: %s: %s", o->ifname, strerror(-err));
		goto fail;
	}
	d->base.ops = &tap_ops;
	d->base.kind = "tap";
	d->base.ifindex = info.ifindex;
	strncpy(d->base.ifname, o->ifname, sizeof(d->base.ifname) - 1);
	if (o->mac) {
		memcpy(d->base.netif.mac, o->mac, 6);
	} else {
		if (getrandom(d->base.netif.mac, 6, 0) != 6) {
			err = -EIO;
			goto fail;
		}
		/* Unicast, locally administered (IEEE 802 U/L bit). */
		d->base.netif.mac[0] = (uint8_t)((d->base.netif.mac[0] & 0xfe) | 0x02);
	}
	d->base.netif.mtu = info.mtu > 1500 ? 1500 : info.mtu;
	d->base.netif.ctx = d;
	d->base.netif.tx_begin = tap_tx_begin;
	d->base.netif.tx_commit = tap_tx_commit;
	log_info("tap: attached to %s (ifindex %d)", o->ifname, info.ifindex);
	return &d->base;
fail:
	tap_close(&d->base);
	errno = -err;
	return NULL;
}
