/*
 * impair.c - a seeded impairment relay for the end-to-end tests. This
 * kernel has no tc netem (PLATFORM.md), so loss, delay, jitter, reordering,
 * duplication and corruption between two hosts come from here: a process in
 * a middle network namespace that forwards Ethernet frames between two of
 * its interfaces and mistreats them on the way.
 *
 *   impair --netns NS --left IF1 --right IF2 [--seed N] [--loss PCT]
 *          [--dup PCT] [--reorder PCT] [--delay MS] [--jitter MS]
 *          [--corrupt PCT] [--rate MBIT] [--mtu BYTES --router ADDR]
 *          [--duration SEC] [--stats-file F]
 *
 * Percentages and milliseconds may be fractional. Each direction (l2r: read
 * on IF1, sent on IF2; r2l the other way) has its own PRNG stream derived
 * from the seed and draws the same number of values for every frame, so the
 * k-th frame of a direction meets the same fate for the same seed, whatever
 * the timing and whatever the other direction carries.
 *
 * Per frame, in this order:
 *   loss      dropped (counted as dropped);
 *   dup       a second copy follows the first (duplicated);
 * then per copy:
 *   corrupt   one random bit flipped after the Ethernet header (after the
 *             802.1Q tag if there is one), so the frame still reaches the
 *             host it was meant for and its checksums have to catch it;
 *   delay     DELAY plus uniform jitter in [-JITTER, +JITTER], never below
 *             zero; with jitter, copies overtake each other (netem does too);
 *   rate      serialised at MBIT per direction after the delay, tail-dropped
 *             beyond RATE_BACKLOG_NS of backlog (rate_dropped);
 *   reorder   held back until the next copy of the same direction is queued,
 *             then released just behind it (reordered); a held copy whose
 *             successor does not come within REORDER_HOLD_NS leaves late but
 *             in order, and is not counted. A copy that arrives while another
 *             is held overtakes it and is not itself held.
 *
 * --mtu makes the link between the two sides narrower than the interfaces,
 * as a router in the middle would see it: an IPv4 packet longer than BYTES
 * (after loss, before everything else) is not forwarded (too_big). When it
 * carries DF, the relay answers its sender at once, on the interface it came
 * from, with ICMP destination unreachable, fragmentation needed (RFC 792,
 * next-hop MTU BYTES as RFC 1191 4 says) from the address --router gives,
 * quoting the packet's header and the first bytes after it up to 576 bytes
 * in all (RFC 1812 4.3.2.3), as Linux does (frag_needed_sent). Without DF a
 * router would fragment; the relay only counts it. Frames that are not
 * IPv4 pass whatever their size.
 *
 * Frames wait in one pool of QUEUE_FRAMES slots shared by both directions;
 * when it is full, a copy is dropped and counted (queue_full).
 *
 * Frames longer than 1514 bytes (plus a VLAN tag) cannot have come off a
 * 1500-byte-MTU wire: they are GRO/GSO super-frames the kernel merged,
 * which the next hop would refuse. They are dropped and counted (oversize);
 * tests turn GRO, GSO and TSO off on every veth end so this stays 0. Tests
 * also turn TX checksum offload off: a veth peer with it on hands over
 * frames with partial TCP/UDP checksums, which are forwarded as they are
 * (the receiver then drops them) and counted (csum_partial).
 *
 * On SIGINT, SIGTERM or after --duration, the counters are printed to stdout
 * (and written atomically to --stats-file) as "name value" lines, e.g.
 * "l2r_forwarded 20", and the exit status is 0. For each direction:
 *
 *   received + duplicated == forwarded + dropped + queue_full + oversize +
 *                            rate_dropped + tx_error + unsent + too_big
 *
 * (unsent: still queued at exit). kernel_drops are frames the kernel could
 * not queue to our socket; they were never received. Exit status 2: bad
 * arguments; 1: setup or run-time failure.
 *
 * SIGUSR1 writes the counters so far to --stats-file and carries on, unsent
 * then being the frames queued at that moment: a test polls it to know the
 * relay has gone quiet before it stops it, rather than sleeping and hoping.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/csum.h"

#define NSEC_PER_MS 1000000ull

/* Tunables. */
#define QUEUE_FRAMES 8192 /* both directions: ~12 MiB, seconds of a slow link */
#define ETH_HDR 14
#define VLAN_HDR 4
#define FRAME_MAX (ETH_HDR + 1500) /* MTU 1500; a VLAN tag comes on top */
#define RX_BUF 65536 /* big enough to hold a GRO super-frame and notice it */
#define RX_BATCH 64 /* frames per socket per turn: neither direction starves */
#define SOCK_RCVBUF (16 << 20) /* bursts of thousands of frames while we sleep */
#define REORDER_HOLD_NS (5 * NSEC_PER_MS) /* longest wait for an overtaker */
#define RATE_BACKLOG_NS (100 * NSEC_PER_MS) /* a rate-limited link's buffer */

struct config {
	double loss, dup, reorder, corrupt; /* percent */
	uint64_t delay_ns, jitter_ns;
	double rate_bps; /* 0: unlimited */
	uint64_t duration_ns; /* 0: until a signal */
	uint64_t seed;
	uint32_t mtu; /* 0: no narrower link */
	uint32_t router; /* network order: the ICMP's source */
};

struct slot {
	uint64_t when; /* release time, CLOCK_MONOTONIC */
	uint64_t seq; /* equal release times leave in the order queued */
	uint32_t len;
	uint8_t data[FRAME_MAX + VLAN_HDR];
};

struct counters {
	uint64_t received, forwarded, dropped, duplicated, reordered, corrupted;
	uint64_t queue_full, oversize, rate_dropped, tx_error, unsent;
	uint64_t csum_partial, rx_error, kernel_drops;
	uint64_t too_big, frag_needed_sent;
};

struct dir {
	const char *name;
	int in, out;
	uint8_t in_mac[6]; /* the relay's address on the in side (its ICMP's source) */
	uint64_t rng;
	uint32_t heap[QUEUE_FRAMES]; /* slot numbers, min-heap on (when, seq) */
	uint32_t nheap;
	int32_t held; /* slot waiting to be overtaken, or -1 */
	uint64_t held_until;
	uint64_t link_free; /* --rate: when the link is next idle */
	bool blocked; /* the out socket said EAGAIN: wait for POLLOUT */
	struct counters c;
};

/* What the PRNG decided for one frame; see decide(). */
struct verdict {
	bool drop, dup;
	struct {
		bool corrupt, reorder;
		uint64_t bit;
		uint64_t delay_ns;
	} copy[2];
};

static struct config cfg;
static struct slot pool[QUEUE_FRAMES];
static uint32_t free_slots[QUEUE_FRAMES];
static uint32_t nfree;
static uint64_t next_seq;
static struct dir dirs[2];
static uint8_t rxbuf[VLAN_HDR + RX_BUF];
static volatile sig_atomic_t stop, dump;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* splitmix64: one 64-bit state per direction, fine statistics, no tables. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) /* [0, 1) */
{
	return (double)(rng_next(s) >> 11) * 0x1p-53;
}

static bool pct_hit(struct dir *d, double pct)
{
	return rng_unit(&d->rng) * 100.0 < pct;
}

/* Always the same number of draws, so that frame k's fate does not depend
 * on the fates (or lengths) of the frames before it. */
static void decide(struct dir *d, struct verdict *v)
{
	int i;

	v->drop = pct_hit(d, cfg.loss);
	v->dup = pct_hit(d, cfg.dup);
	for (i = 0; i < 2; i++) {
		double j = rng_unit(&d->rng) * 2.0 - 1.0;
		double delay = (double)cfg.delay_ns + j * (double)cfg.jitter_ns;

		v->copy[i].corrupt = pct_hit(d, cfg.corrupt);
		v->copy[i].bit = rng_next(&d->rng);
		v->copy[i].reorder = pct_hit(d, cfg.reorder);
		v->copy[i].delay_ns = delay > 0 ? (uint64_t)delay : 0;
	}
}

static bool slot_before(uint32_t a, uint32_t b)
{
	if (pool[a].when != pool[b].when)
		return pool[a].when < pool[b].when;
	return pool[a].seq < pool[b].seq;
}

static void heap_push(struct dir *d, uint32_t s)
{
	uint32_t i = d->nheap++;

	pool[s].seq = next_seq++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!slot_before(s, d->heap[parent]))
			break;
		d->heap[i] = d->heap[parent];
		i = parent;
	}
	d->heap[i] = s;
}

static void heap_pop(struct dir *d)
{
	uint32_t last = d->heap[--d->nheap];
	uint32_t i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= d->nheap)
			break;
		if (c + 1 < d->nheap && slot_before(d->heap[c + 1], d->heap[c]))
			c++;
		if (!slot_before(d->heap[c], last))
			break;
		d->heap[i] = d->heap[c];
		i = c;
	}
	if (d->nheap)
		d->heap[i] = last;
}

static void release_held(struct dir *d, uint64_t not_before)
{
	struct slot *h = &pool[d->held];

	if (h->when < not_before)
		h->when = not_before;
	heap_push(d, (uint32_t)d->held);
	d->held = -1;
}

static void queue_copy(struct dir *d, const uint8_t *frame, uint32_t len, uint32_t hdr,
		       const struct verdict *v, int i, uint64_t now)
{
	uint64_t when = now + v->copy[i].delay_ns;
	struct slot *s;
	uint32_t n;

	if (!nfree) {
		d->c.queue_full++;
		return;
	}
	if (cfg.rate_bps > 0) {
		uint64_t start = when > d->link_free ? when : d->link_free;

		if (start - when > RATE_BACKLOG_NS) {
			d->c.rate_dropped++;
			return;
		}
		when = start + (uint64_t)((double)len * 8.0 * 1e9 / cfg.rate_bps);
		d->link_free = when;
	}
	n = free_slots[--nfree];
	s = &pool[n];
	memcpy(s->data, frame, len);
	s->len = len;
	s->when = when;
	if (v->copy[i].corrupt && len > hdr) {
		uint64_t bit = hdr * 8 + v->copy[i].bit % ((uint64_t)(len - hdr) * 8);

		s->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		d->c.corrupted++;
	}
	if (d->held >= 0) {
		heap_push(d, n);
		release_held(d, s->when);
		d->c.reordered++;
	} else if (v->copy[i].reorder) {
		d->held = (int32_t)n;
		d->held_until = now + REORDER_HOLD_NS;
	} else {
		heap_push(d, n);
	}
}

/*
 * --mtu: the IPv4 packet at frame + hdr (an Ethernet frame of len bytes)
 * is longer than the narrow link. Returns true when it is (and it was
 * dealt with: answered with frag-needed if DF, counted either way).
 */
static bool too_big(struct dir *d, const uint8_t *frame, uint32_t len, uint32_t hdr)
{
	uint8_t out[ETH_HDR + VLAN_HDR + 576];
	const uint8_t *ip = frame + hdr;
	uint32_t tot, ihl, quote, n;
	uint8_t *oip, *icmp;

	if (!cfg.mtu || len < hdr + 20 || frame[hdr - 2] != 0x08 || frame[hdr - 1] != 0x00 ||
	    (ip[0] >> 4) != 4)
		return false;
	tot = (uint32_t)(ip[2] << 8 | ip[3]);
	if (tot <= cfg.mtu)
		return false;
	d->c.too_big++;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	/* DF, and a first fragment (never an error about an error: RFC
	 * 1812 4.3.2.7, which an ICMP error this long could not be anyway). */
	if (!(ip[6] & 0x40) || ihl < 20 || len < hdr + ihl)
		return true;
	quote = len - hdr < tot ? len - hdr : tot;
	if (quote > 576 - 20 - 8)
		quote = 576 - 20 - 8;
	/* Ethernet: back to the sender, from the relay's own address, in
	 * the packet's VLAN if it had one. */
	memcpy(out, frame, hdr);
	memcpy(out, frame + 6, 6);
	memcpy(out + 6, d->in_mac, 6);
	oip = out + hdr;
	n = 20 + 8 + quote;
	memset(oip, 0, 28);
	oip[0] = 0x45;
	oip[2] = (uint8_t)(n >> 8);
	oip[3] = (uint8_t)n;
	oip[8] = 64;
	oip[9] = 1; /* ICMP */
	memcpy(oip + 12, &cfg.router, 4);
	memcpy(oip + 16, ip + 12, 4); /* to the packet's source */
	icmp = oip + 20;
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed and DF set */
	icmp[6] = (uint8_t)(cfg.mtu >> 8);
	icmp[7] = (uint8_t)cfg.mtu;
	memcpy(icmp + 8, ip, quote);
	/* The engine's RFC 1071 checksum, network order as stored. */
	n = csum_fold(csum_partial(icmp, 8 + quote, 0));
	memcpy(icmp + 2, &n, 2);
	n = csum_fold(csum_partial(oip, 20, 0));
	memcpy(oip + 10, &n, 2);
	/* Lost like any router's ICMP when the socket is full: not counted. */
	if (send(d->in, out, hdr + 28 + quote, MSG_DONTWAIT) == (ssize_t)(hdr + 28 + quote))
		d->c.frag_needed_sent++;
	return true;
}

/* Read one frame from d->in and queue what the PRNG lets through.
 * Returns 0, or -errno (-EAGAIN: nothing to read). */
static int rx_one(struct dir *d, uint64_t now)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct iovec iov = { .iov_base = rxbuf + VLAN_HDR, .iov_len = RX_BUF };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
	};
	struct tpacket_auxdata *aux = NULL;
	struct cmsghdr *cm;
	struct verdict v;
	uint8_t *frame = rxbuf + VLAN_HDR;
	uint32_t len, hdr = ETH_HDR;
	ssize_t r;

	/* MSG_TRUNC: the real length, so that even a frame beyond RX_BUF is
	 * seen as oversize rather than forwarded cut. */
	r = recvmsg(d->in, &msg, MSG_TRUNC | MSG_DONTWAIT);
	if (r < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA)
			aux = (struct tpacket_auxdata *)CMSG_DATA(cm);
	d->c.received++;
	decide(d, &v);
	if (aux && (aux->tp_status & TP_STATUS_CSUMNOTREADY))
		d->c.csum_partial++;
	if (r > FRAME_MAX) {
		d->c.oversize++;
		return 0;
	}
	len = (uint32_t)r;
	/* The kernel moved the 802.1Q tag into metadata; put it back where
	 * the wire had it, or the relay would strip VLANs. */
	if (aux && (aux->tp_status & TP_STATUS_VLAN_VALID) && len >= 12) {
		uint16_t tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
					aux->tp_vlan_tpid : ETH_P_8021Q;

		memmove(rxbuf, frame, 12);
		frame = rxbuf;
		frame[12] = (uint8_t)(tpid >> 8);
		frame[13] = (uint8_t)tpid;
		frame[14] = (uint8_t)(aux->tp_vlan_tci >> 8);
		frame[15] = (uint8_t)aux->tp_vlan_tci;
		len += VLAN_HDR;
		hdr += VLAN_HDR;
	}
	if (v.drop) {
		d->c.dropped++;
		return 0;
	}
	if (too_big(d, frame, len, hdr))
		return 0;
	queue_copy(d, frame, len, hdr, &v, 0, now);
	if (v.dup) {
		d->c.duplicated++;
		queue_copy(d, frame, len, hdr, &v, 1, now);
	}
	return 0;
}

static void rx_batch(struct dir *d)
{
	uint64_t now = now_ns();
	int i, err;

	for (i = 0; i < RX_BATCH; i++) {
		err = rx_one(d, now);
		if (err == -EAGAIN || err == -EWOULDBLOCK)
			break;
		if (err == -EINTR)
			continue;
		if (err) {
			/* e.g. ENETDOWN once when a link goes down; the
			 * error is cleared by reading it. */
			d->c.rx_error++;
			break;
		}
	}
}

static void tx_due(struct dir *d, uint64_t now)
{
	if (d->held >= 0 && now >= d->held_until)
		release_held(d, now);
	while (d->nheap && !d->blocked) {
		uint32_t n = d->heap[0];
		struct slot *s = &pool[n];
		ssize_t r;

		if (s->when > now)
			break;
		r = send(d->out, s->data, s->len, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			d->blocked = true;
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r == (ssize_t)s->len)
			d->c.forwarded++;
		else
			d->c.tx_error++; /* ENOBUFS: the peer's backlog was full */
		heap_pop(d);
		free_slots[nfree++] = n;
	}
}

static int open_port(const char *ifname, uint8_t mac[6])
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	struct ifreq ifr = { 0 };
	int fd, one = 1, rcvbuf = SOCK_RCVBUF;

	if (strlen(ifname) >= IFNAMSIZ) {
		fprintf(stderr, "impair: %s: interface name too long\n", ifname);
		return -1;
	}
	/* Protocol 0: the socket sees nothing until bind() names the
	 * interface, so no frame of another interface slips in first. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "impair: AF_PACKET socket: %s\n", strerror(errno));
		return -1;
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "impair: no interface %s in the namespace\n", ifname);
		goto fail;
	}
	/* Frames over 1514 bytes count as GRO super-frames: only true if
	 * the wire cannot carry them. */
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu > 1500) {
		fprintf(stderr, "impair: %s: MTU must be at most 1500 (%d)\n", ifname,
			ifr.ifr_mtu);
		goto fail;
	}
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "impair: %s: hardware address: %s\n", ifname, strerror(errno));
		goto fail;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		fprintf(stderr, "impair: %s: packet options: %s\n", ifname, strerror(errno));
		goto fail;
	}
	/* FORCE lifts rmem_max, which would otherwise cap us at 4 MiB. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "impair: bind to %s: %s\n", ifname, strerror(errno));
		goto fail;
	}
	/* Frames for the hosts' MACs are not ours: without promiscuous mode
	 * a real NIC would filter them (veth delivers them anyway). */
	mr.mr_ifindex = sll.sll_ifindex;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		fprintf(stderr, "impair: %s: promiscuous mode: %s\n", ifname, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static void print_stats(FILE *f)
{
	int i;

	fprintf(f, "seed %llu\n", (unsigned long long)cfg.seed);
	for (i = 0; i < 2; i++) {
		const struct dir *d = &dirs[i];
		const struct {
			const char *name;
			uint64_t v;
		} c[] = {
			{ "received", d->c.received },
			{ "forwarded", d->c.forwarded },
			{ "dropped", d->c.dropped },
			{ "duplicated", d->c.duplicated },
			{ "reordered", d->c.reordered },
			{ "corrupted", d->c.corrupted },
			{ "queue_full", d->c.queue_full },
			{ "oversize", d->c.oversize },
			{ "rate_dropped", d->c.rate_dropped },
			{ "tx_error", d->c.tx_error },
			{ "unsent", d->c.unsent },
			{ "csum_partial", d->c.csum_partial },
			{ "rx_error", d->c.rx_error },
			{ "kernel_drops", d->c.kernel_drops },
			{ "too_big", d->c.too_big },
			{ "frag_needed_sent", d->c.frag_needed_sent },
		};
		size_t j;

		for (j = 0; j < sizeof(c) / sizeof(c[0]); j++)
			fprintf(f, "%s_%s %llu\n", d->name, c[j].name,
				(unsigned long long)c[j].v);
	}
}

/* Written under a temporary name and renamed, so that a reader never sees
 * half a file. */
static int write_stats_file(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "impair: %s: path too long\n", path);
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "impair: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	print_stats(f);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "impair: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else
		stop = 1;
}

/* Bring unsent and kernel_drops up to date before the counters are shown. */
static void update_counters(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct dir *d = &dirs[i];
		struct tpacket_stats st;
		socklen_t sl = sizeof(st);

		d->c.unsent = d->nheap + (d->held >= 0);
		/* Reading resets the kernel's count, hence the sum. */
		if (getsockopt(d->in, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0)
			d->c.kernel_drops += st.tp_drops;
	}
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "impair: --%s %s: want a number from %g to %g\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: impair --netns NS --left IF1 --right IF2 [--seed N] [--loss PCT]\n"
		"              [--dup PCT] [--reorder PCT] [--delay MS] [--jitter MS]\n"
		"              [--corrupt PCT] [--rate MBIT] [--mtu BYTES --router ADDR]\n"
		"              [--duration SEC] [--stats-file F]\n");
}

static int parse_args(int argc, char **argv, const char **netns, const char **left,
		      const char **right, const char **stats_file)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "left", required_argument, NULL, 'l' },
		{ "right", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "loss", required_argument, NULL, 'L' },
		{ "dup", required_argument, NULL, 'D' },
		{ "reorder", required_argument, NULL, 'R' },
		{ "delay", required_argument, NULL, 'd' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 't' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "router", required_argument, NULL, 'a' },
		{ "stats-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': *netns = optarg; break;
		case 'l': *left = optarg; break;
		case 'r': *right = optarg; break;
		case 'f': *stats_file = optarg; break;
		case 's':
			errno = 0;
			cfg.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-') {
				fprintf(stderr, "impair: --seed %s: want an unsigned integer\n",
					optarg);
				return -1;
			}
			break;
		case 'L':
			if (parse_num("loss", optarg, 0, 100, &cfg.loss))
				return -1;
			break;
		case 'D':
			if (parse_num("dup", optarg, 0, 100, &cfg.dup))
				return -1;
			break;
		case 'R':
			if (parse_num("reorder", optarg, 0, 100, &cfg.reorder))
				return -1;
			break;
		case 'c':
			if (parse_num("corrupt", optarg, 0, 100, &cfg.corrupt))
				return -1;
			break;
		case 'd':
			if (parse_num("delay", optarg, 0, 60000, &v))
				return -1;
			cfg.delay_ns = (uint64_t)(v * NSEC_PER_MS);
			break;
		case 'j':
			if (parse_num("jitter", optarg, 0, 60000, &v))
				return -1;
			cfg.jitter_ns = (uint64_t)(v * NSEC_PER_MS);
			break;
		case 'b':
			if (parse_num("rate", optarg, 0.001, 1e6, &v))
				return -1;
			cfg.rate_bps = v * 1e6;
			break;
		case 'm':
			if (parse_num("mtu", optarg, 68, 1500, &v))
				return -1;
			cfg.mtu = (uint32_t)v;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &cfg.router) != 1) {
				fprintf(stderr, "impair: --router %s: want an IPv4 address\n", optarg);
				return -1;
			}
			break;
		case 't':
			if (parse_num("duration", optarg, 0.001, 1e7, &v))
				return -1;
			cfg.duration_ns = (uint64_t)(v * 1e9);
			break;
		default:
			usage();
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "impair: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (!*netns || !*left || !*right) {
		usage();
		return -1;
	}
	if (!!cfg.mtu != !!cfg.router) {
		fprintf(stderr, "impair: --mtu and --router go together\n");
		return -1;
	}
	if (!strcmp(*left, *right)) {
		fprintf(stderr, "impair: --left and --right must differ\n");
		return -1;
	}
	return 0;
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (strchr(name, '/') ||
	    snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path)) {
		fprintf(stderr, "impair: bad namespace name %s\n", name);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "impair: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "impair: setns %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *netns = NULL, *left = NULL, *right = NULL, *stats_file = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	uint64_t end = UINT64_MAX;
	uint8_t lmac[6], rmac[6];
	int lfd, rfd, i, rc = 0;

	if (parse_args(argc, argv, &netns, &left, &right, &stats_file))
		return 2;
	if (enter_netns(netns))
		return 1;
	lfd = open_port(left, lmac);
	if (lfd < 0)
		return 1;
	rfd = open_port(right, rmac);
	if (rfd < 0) {
		close(lfd);
		return 1;
	}
	for (i = 0; i < QUEUE_FRAMES; i++)
		free_slots[nfree++] = (uint32_t)(QUEUE_FRAMES - 1 - i);
	dirs[0] = (struct dir){ .name = "l2r", .in = lfd, .out = rfd, .held = -1 };
	dirs[1] = (struct dir){ .name = "r2l", .in = rfd, .out = lfd, .held = -1 };
	memcpy(dirs[0].in_mac, lmac, 6);
	memcpy(dirs[1].in_mac, rmac, 6);
	for (i = 0; i < 2; i++) {
		/* Two unrelated streams from one seed. */
		uint64_t s = cfg.seed ^ (0x6a09e667f3bcc909ull * (uint64_t)(i + 1));

		dirs[i].rng = rng_next(&s);
	}

	/* Signals are blocked except inside ppoll(), so a stop request is
	 * never lost between the check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	if (cfg.duration_ns)
		end = now_ns() + cfg.duration_ns;
	/* Tests wait for this line before sending. */
	fprintf(stderr, "impair: relaying %s <-> %s in %s, seed %llu\n", left, right, netns,
		(unsigned long long)cfg.seed);

	while (!stop) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = rfd, .events = POLLIN },
		};
		uint64_t now = now_ns(), next = end;
		struct timespec ts;
		int n;

		if (now >= end)
			break;
		if (dump) {
			dump = 0;
			update_counters();
			if (stats_file)
				write_stats_file(stats_file);
		}
		for (i = 0; i < 2; i++) {
			struct dir *d = &dirs[i];

			tx_due(d, now);
			if (d->held >= 0 && d->held_until < next)
				next = d->held_until;
			if (!d->blocked && d->nheap && pool[d->heap[0]].when < next)
				next = pool[d->heap[0]].when;
		}
		/* dirs[1] sends on lfd, dirs[0] on rfd. */
		if (dirs[1].blocked)
			pfd[0].events |= POLLOUT;
		if (dirs[0].blocked)
			pfd[1].events |= POLLOUT;
		if (next != UINT64_MAX) {
			uint64_t wait = next > now ? next - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000000ull);
			ts.tv_nsec = (long)(wait % 1000000000ull);
		}
		n = ppoll(pfd, 2, next == UINT64_MAX ? NULL : &ts, &waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "impair: poll: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[0].revents & POLLOUT)
			dirs[1].blocked = false;
		if (pfd[1].revents & POLLOUT)
			dirs[0].blocked = false;
		if (pfd[0].revents & (POLLIN | POLLERR))
			rx_batch(&dirs[0]);
		if (pfd[1].revents & (POLLIN | POLLERR))
			rx_batch(&dirs[1]);
	}

	update_counters();
	print_stats(stdout);
	fflush(stdout);
	if (stats_file && write_stats_file(stats_file))
		rc = 1;
	close(lfd);
	close(rfd);
	return rc;
}
