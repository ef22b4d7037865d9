/*
 * xsk.c - the AF_XDP backend (libxdp's xsk API).
 *
 * One AF_XDP socket per RX queue, each with its own UMEM of XSK_FRAMES
 * frames: the first half circulates through the fill and RX rings, the
 * second half through the TX and completion rings via a free stack. RX
 * frames go straight back to the fill ring once the engine has seen them,
 * so the fill ring can never overflow (it is as large as the RX half).
 *
 * Zero-copy is asked for first; when the driver refuses (veth and
 * virtio_net here do), the socket is bound in copy mode and the log says
 * which mode was obtained. need_wakeup is on: RX is woken by the loop's
 * poll(), TX by a sendto() kick once per batch.
 *
 * Frames are sent on the socket of queue 0. The XDP program is loaded
 * with libbpf (xdp_prog.c), so the sockets are created with
 * XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD and registered in its XSKMAP.
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "ifinfo.h"
#include "util/log.h"
#include "netdev.h"
#include "xdp_prog.h"

#define XSK_FRAMES 4096u
#define XSK_FRAME_SIZE 2048u /* power of two, >= the largest frame */
#define XSK_RING 2048u       /* each ring; XSK_FRAMES / 2 */
#define XSK_TX_BATCH 64u     /* kick the kernel at least this often */
#define ETH_ZLEN_AX 60u      /* minimum frame, FCS excluded */

struct xsk_queue {
	struct xsk_umem *umem;
	void *area;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	uint64_t tx_free[XSK_FRAMES / 2];
	uint32_t n_tx_free;
	uint32_t tx_unkicked;
	uint64_t rx_frames, tx_frames, tx_kicks, tx_kick_retries, tx_ring_full;
};

struct xsk_dev {
	struct netdev base;
	struct xdp_prog *prog;
	uint32_t nq;
	int zerocopy;
	struct xsk_queue *q; /* nq queues */
	/* Copies of gratuitous ARPs the XDP program passed to the kernel
	 * (xdp_shared.h: struct ax_garp), delivered as received frames. */
	struct ring_buffer *garps;
	netdev_rx_fn garp_fn;
	void *garp_arg;
	int garp_left, garp_done; /* this drain's budget, copies taken */
};

static void reap_completions(struct xsk_queue *q)
{
	uint32_t idx, i, n;

	n = xsk_ring_cons__peek(&q->cq, XSK_RING, &idx);
	for (i = 0; i < n; i++)
		q->tx_free[q->n_tx_free++] = *xsk_ring_cons__comp_addr(&q->cq, idx + i);
	if (n)
		xsk_ring_cons__release(&q->cq, n);
}

static void kick_tx(struct xsk_queue *q)
{
	if (!q->tx_unkicked)
		return;
	q->tx_unkicked = 0;
	if (!xsk_ring_prod__needs_wakeup(&q->tx))
		return;
	q->tx_kicks++;
	if (sendto(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
	    (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS)) {
		/* The device is busy: the frames stay in the TX ring and
		 * must be kicked again, or they would wait for the next
		 * frame we send. netdev_ops.tx_pending tells the loop. */
		q->tx_unkicked = 1;
		q->tx_kick_retries++;
	}
}

static uint8_t *xsk_tx_begin(void *ctx, size_t *cap)
{
	struct xsk_dev *d = ctx;
	struct xsk_queue *q = &d->q[0];

	if (!q->n_tx_free) {
		reap_completions(q);
		if (!q->n_tx_free) {
			kick_tx(q);
			reap_completions(q);
			if (!q->n_tx_free)
				return NULL;
		}
	}
	*cap = XSK_FRAME_SIZE;
	return xsk_umem__get_data(q->area, q->tx_free[q->n_tx_free - 1]);
}

static int xsk_tx_commit(void *ctx, size_t len)
{
	struct xsk_dev *d = ctx;
	struct xsk_queue *q = &d->q[0];
	struct xdp_desc *desc;
	uint64_t addr;
	uint32_t idx;

	if (!q->n_tx_free || len > XSK_FRAME_SIZE)
		return -EINVAL;
	if (xsk_ring_prod__reserve(&q->tx, 1, &idx) != 1) {
		q->tx_ring_full++;
		kick_tx(q);
		return -ENOBUFS;
	}
	addr = q->tx_free[--q->n_tx_free];
	if (len < ETH_ZLEN_AX) {
		/* Pad runts: AF_XDP copy mode sends what it is given. */
		memset((uint8_t *)xsk_umem__get_data(q->area, addr) + len, 0,
		       ETH_ZLEN_AX - len);
		len = ETH_ZLEN_AX;
	}
	desc = xsk_ring_prod__tx_desc(&q->tx, idx);
	desc->addr = addr;
	desc->len = (uint32_t)len;
	desc->options = 0;
	xsk_ring_prod__submit(&q->tx, 1);
	q->tx_frames++;
	if (++q->tx_unkicked >= XSK_TX_BATCH)
		kick_tx(q);
	return 0;
}

static int xsk_poll_fds(struct netdev *nd, struct pollfd *fds, int max)
{
	struct xsk_dev *d = (struct xsk_dev *)nd;
	int i, n = 0;

	for (i = 0; i < (int)d->nq && n < max; i++) {
		fds[n].fd = xsk_socket__fd(d->q[i].xsk);
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		n++;
	}
	if (d->garps && n < max) {
		fds[n].fd = ring_buffer__epoll_fd(d->garps);
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		n++;
	}
	return n;
}

static int rx_queue(struct xsk_queue *q, netdev_rx_fn fn, void *arg, int budget)
{
	uint32_t idx_rx, idx_fq, i, n;

	n = xsk_ring_cons__peek(&q->rx, (uint32_t)budget, &idx_rx);
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&q->rx, idx_rx + i);

		fn(arg, xsk_umem__get_data(q->area, desc->addr), desc->len);
	}
	/* Every RX frame goes back to the fill ring; it has room for all of
	 * them, so this reserve cannot come up short. */
	if (xsk_ring_prod__reserve(&q->fq, n, &idx_fq) == n) {
		for (i = 0; i < n; i++) {
			uint64_t a = xsk_ring_cons__rx_desc(&q->rx, idx_rx + i)->addr;

			*xsk_ring_prod__fill_addr(&q->fq, idx_fq + i) =
				a - (a % XSK_FRAME_SIZE);
		}
		xsk_ring_prod__submit(&q->fq, n);
	}
	xsk_ring_cons__release(&q->rx, n);
	q->rx_frames += n;
	return (int)n;
}

/* One gratuitous ARP copy, rebuilt as the broadcast frame it came in. */
static int garp_frame(void *ctx, void *data, size_t size)
{
	struct xsk_dev *d = ctx;
	const struct ax_garp *g = data;
	uint8_t f[ETH_ZLEN_AX];

	if (size < sizeof(*g))
		return 0;
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, g->eth_src, 6);
	f[12] = 0x08; /* ETH_P_ARP */
	f[13] = 0x06;
	memcpy(f + 14, g->arp, sizeof(g->arp));
	d->garp_fn(d->garp_arg, f, 14 + sizeof(g->arp));
	/* libbpf keeps consuming while XDP keeps producing; a negative
	 * return stops it (this record is already consumed), so a flood of
	 * gratuitous ARPs cannot hold the loop past its budget. */
	return ++d->garp_done < d->garp_left ? 0 : -EAGAIN;
}

static int xsk_rx(struct netdev *nd, netdev_rx_fn fn, void *arg, int budget)
{
	struct xsk_dev *d = (struct xsk_dev *)nd;
	int total = 0;
	uint32_t i;

	for (i = 0; i < d->nq && total < budget; i++)
		total += rx_queue(&d->q[i], fn, arg, budget - total);
	if (d->garps && total < budget) {
		/* At most the rest of the budget; what is left waits for the
		 * next round (the ring's epoll fd stays readable). */
		d->garp_fn = fn;
		d->garp_arg = arg;
		d->garp_left = budget - total;
		d->garp_done = 0;
		ring_buffer__consume(d->garps);
		total += d->garp_done;
	}
	return total;
}

static void xsk_flush(struct netdev *nd)
{
	struct xsk_dev *d = (struct xsk_dev *)nd;

	kick_tx(&d->q[0]);
	reap_completions(&d->q[0]);
}

static int xsk_tx_pending(struct netdev *nd)
{
	struct xsk_dev *d = (struct xsk_dev *)nd;

	return d->q[0].tx_unkicked != 0;
}

static void xsk_stats(struct netdev *nd, netdev_stat_fn fn, void *arg)
{
	struct xsk_dev *d = (struct xsk_dev *)nd;
	struct xdp_statistics sum = { 0 };
	struct ax_xdp_stats xs;
	uint64_t rx = 0, tx = 0, kicks = 0, retries = 0, full = 0;
	uint32_t i;

	for (i = 0; i < d->nq; i++) {
		struct xdp_statistics st;
		socklen_t len = sizeof(st);

		rx += d->q[i].rx_frames;
		tx += d->q[i].tx_frames;
		kicks += d->q[i].tx_kicks;
		retries += d->q[i].tx_kick_retries;
		full += d->q[i].tx_ring_full;
		if (getsockopt(xsk_socket__fd(d->q[i].xsk), SOL_XDP,
			       XDP_STATISTICS, &st, &len) == 0) {
			sum.rx_dropped += st.rx_dropped;
			sum.rx_invalid_descs += st.rx_invalid_descs;
			sum.tx_invalid_descs += st.tx_invalid_descs;
			sum.rx_ring_full += st.rx_ring_full;
			sum.rx_fill_ring_empty_descs += st.rx_fill_ring_empty_descs;
			sum.tx_ring_empty_descs += st.tx_ring_empty_descs;
		}
	}
	if (xdp_prog_read_stats(d->prog, &xs) == 0) {
		fn(arg, "xdp.rx_packets", xs.rx_packets);
		fn(arg, "xdp.rx_bytes", xs.rx_bytes);
		fn(arg, "xdp.redirected", xs.redirected);
		fn(arg, "xdp.passed", xs.passed);
		fn(arg, "xdp.dropped", xs.dropped);
		fn(arg, "xdp.malformed", xs.malformed);
		fn(arg, "xdp.no_xsk", xs.no_xsk);
		fn(arg, "xdp.flow_allowed", xs.flow_allowed);
		fn(arg, "xdp.flow_denied", xs.flow_denied);
		fn(arg, "xdp.flow_unknown", xs.flow_unknown);
		fn(arg, "xdp.slow_path", xs.slow_path);
		fn(arg, "xdp.slow_path_limited", xs.slow_path_limited);
		fn(arg, "xdp.frag_dropped", xs.frag_dropped);
		fn(arg, "xdp.proto_dropped", xs.proto_dropped);
		fn(arg, "xdp.icmp", xs.icmp);
		fn(arg, "xdp.garp_copied", xs.garp_copied);
		fn(arg, "xdp.garp_lost", xs.garp_lost);
		fn(arg, "xdp.frag", xs.frag);
	}
	fn(arg, "xsk.queues", d->nq);
	fn(arg, "xsk.zerocopy", (uint64_t)d->zerocopy);
	fn(arg, "xsk.rx_frames", rx);
	fn(arg, "xsk.tx_frames", tx);
	fn(arg, "xsk.tx_kicks", kicks);
	fn(arg, "xsk.tx_kick_retries", retries);
	fn(arg, "xsk.tx_ring_full", full);
	fn(arg, "xsk.rx_dropped", sum.rx_dropped);
	fn(arg, "xsk.rx_invalid_descs", sum.rx_invalid_descs);
	fn(arg, "xsk.tx_invalid_descs", sum.tx_invalid_descs);
	fn(arg, "xsk.rx_ring_full", sum.rx_ring_full);
	fn(arg, "xsk.rx_fill_ring_empty", sum.rx_fill_ring_empty_descs);
	fn(arg, "xsk.tx_ring_empty", sum.tx_ring_empty_descs);
}

static void queue_close(struct xsk_queue *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	memset(q, 0, sizeof(*q));
}

static void xsk_close(struct netdev *nd)
{
	struct xsk_dev *d = (struct xsk_dev *)nd;
	uint32_t i;

	for (i = 0; i < d->nq; i++)
		queue_close(&d->q[i]);
	free(d->q);
	ring_buffer__free(d->garps);
	xdp_prog_detach(d->prog);
	free(d);
}

static int bind_socket(struct xsk_queue *q, const char *ifname, uint32_t qid,
		       uint16_t mode)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING,
		.tx_size = XSK_RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = (uint16_t)(XDP_USE_NEED_WAKEUP | mode),
	};
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	int err, tries;

	/* A queue whose socket was just closed stays busy for about a
	 * second: retry, bounded. */
	for (tries = 0; tries < 30; tries++) {
		err = xsk_socket__create(&q->xsk, ifname, qid, q->umem, &q->rx,
					 &q->tx, &cfg);
		if (err != -EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	if (err)
		q->xsk = NULL;
	return err;
}

static int queue_open(struct xsk_dev *d, struct xsk_queue *q, uint32_t qid,
		      int force_copy, int probing)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING,
		.comp_size = XSK_RING,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0,
	};
	size_t size = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	struct xdp_options opts;
	socklen_t optlen = sizeof(opts);
	uint32_t idx, i;
	int err;

	q->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return log_err(-errno, "xsk: cannot map %zu bytes of UMEM", size);
	}
	err = xsk_umem__create(&q->umem, q->area, size, &q->fq, &q->cq, &ucfg);
	if (err) {
		q->umem = NULL;
		return log_err(err, "xsk: cannot create UMEM: %s", strerror(-err));
	}
	err = force_copy ? -EOPNOTSUPP
			 : bind_socket(q, d->base.ifname, qid, XDP_ZEROCOPY);
	if (err && !force_copy && qid == 0)
		log_info("xsk: zero-copy refused on %s (%s); trying copy mode",
			 d->base.ifname, strerror(-err));
	if (err)
		err = bind_socket(q, d->base.ifname, qid, XDP_COPY);
	if (err == -EINVAL && probing)
		return err; /* past the last queue; the caller stops here */
	if (err)
		return log_err(err, "xsk: cannot bind a socket to %s queue %u: %s",
			       d->base.ifname, qid, strerror(-err));
	if (getsockopt(xsk_socket__fd(q->xsk), SOL_XDP, XDP_OPTIONS, &opts,
		       &optlen) == 0 && (opts.flags & XDP_OPTIONS_ZEROCOPY))
		d->zerocopy = 1;
	err = xsk_socket__update_xskmap(q->xsk, xdp_prog_xsks_fd(d->prog));
	if (err)
		return log_err(err, "xsk: cannot register queue %u in the XSKMAP: %s",
			       qid, strerror(-err));

	/* First half of the frames to the fill ring, second half free for TX. */
	if (xsk_ring_prod__reserve(&q->fq, XSK_RING, &idx) != XSK_RING)
		return log_err(-EIO, "xsk: fill ring shorter than expected");
	for (i = 0; i < XSK_RING; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = (uint64_t)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&q->fq, XSK_RING);
	for (i = 0; i < XSK_FRAMES / 2; i++)
		q->tx_free[i] = (uint64_t)(XSK_RING + i) * XSK_FRAME_SIZE;
	q->n_tx_free = XSK_FRAMES / 2;
	return 0;
}

static const struct netdev_ops xsk_ops = {
	.poll_fds = xsk_poll_fds,
	.rx = xsk_rx,
	.flush = xsk_flush,
	.tx_pending = xsk_tx_pending,
	.stats = xsk_stats,
	.close = xsk_close,
};

struct netdev *netdev_open_xsk(const struct netdev_opts *o)
{
	struct ifinfo info;
	struct xsk_dev *d;
	uint32_t i;
	int err;

	err = ifinfo_get(o->ifname, &info);
	if (err) {
		log_err(err, "xsk: interface %s: %s", o->ifname, strerror(-err));
		errno = -err;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->base.ops = &xsk_ops;
	d->base.kind = "xdp";
	d->base.ifindex = info.ifindex;
	strncpy(d->base.ifname, o->ifname, sizeof(d->base.ifname) - 1);
	memcpy(d->base.netif.mac, info.mac, 6);
	d->base.netif.mtu = info.mtu > 1500 ? 1500 : info.mtu;
	d->base.netif.ctx = d;
	d->base.netif.tx_begin = xsk_tx_begin;
	d->base.netif.tx_commit = xsk_tx_commit;

	/*
	 * Without --queues, bind every RX queue there is. ethtool's channel
	 * count is not enough: virtio_net adds queue pairs for XDP when the
	 * program is attached, and the host then steers frames to them too.
	 * So try up to the device's maximum; the kernel refuses (EINVAL) a
	 * queue that does not exist, and there we stop.
	 */
	d->nq = o->queues ? o->queues : info.max_queues;
	if (d->nq > AX_MAX_QUEUES && !o->queues)
		d->nq = AX_MAX_QUEUES;
	if (d->nq > info.max_queues || d->nq > AX_MAX_QUEUES) {
		log_err(-EINVAL, "xsk: %u queues asked, %s has %u (max %u)", d->nq,
			o->ifname, info.rx_queues, AX_MAX_QUEUES);
		free(d);
		errno = EINVAL;
		return NULL;
	}
	d->q = calloc(d->nq, sizeof(*d->q));
	d->prog = d->q ? xdp_prog_attach(o->ifname, info.ifindex, o->skb_mode)
		       : NULL;
	if (!d->prog) {
		err = errno ? -errno : -ENOMEM;
		d->nq = 0;
		goto fail;
	}
	for (i = 0; i < d->nq; i++) {
		err = queue_open(d, &d->q[i], i, o->force_copy, !o->queues && i > 0);
		if (err == -EINVAL && !o->queues && i > 0) {
			queue_close(&d->q[i]);
			d->nq = i; /* no such queue: that was all of them */
			break;
		}
		if (err) {
			d->nq = i + 1;
			goto fail;
		}
	}
	/* Without it only gratuitous ARPs go unheard: say so, carry on. */
	d->garps = ring_buffer__new(xdp_prog_garps_fd(d->prog), garp_frame, d, NULL);
	if (!d->garps)
		log_warn("xsk: no gratuitous ARP ring (%s): moved neighbours are learned "
			 "only when they answer", strerror(errno));
	log_info("xsk: %u AF_XDP socket(s) on %s in %s mode, %u frames of %u bytes per queue",
		 d->nq, o->ifname, d->zerocopy ? "zero-copy" : "copy", XSK_FRAMES,
		 XSK_FRAME_SIZE);
	return &d->base;
fail:
	xsk_close(&d->base);
	errno = -err;
	return NULL;
}

int netdev_add_addr4(struct netdev *nd, uint32_t addr)
{
	struct ax_addr_key key = { .family = AX_AF_INET };

	if (strcmp(nd->kind, "xdp") != 0)
		return -EOPNOTSUPP;
	memcpy(key.addr, &addr, 4);
	return xdp_prog_add_addr(((struct xsk_dev *)nd)->prog, &key);
}

struct xdp_prog *netdev_xdp(struct netdev *nd)
{
	return strcmp(nd->kind, "xdp") == 0 ? ((struct xsk_dev *)nd)->prog : NULL;
}
