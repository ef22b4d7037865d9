/*
 * ax_scribble - a hostile program: it moves data through libaxnet while it
 * writes nonsense over its own shared-memory segment, to show the daemon
 * trusts nothing there (include/axnet/ipc.h, "Trust"). Other programs must
 * not notice; the daemon must keep serving; sockserv.bad_index must move.
 * Built against <axnet/socket.h> and -laxnet; it reads <axnet/ipc.h> only
 * to aim (a real attacker reads it too).
 *
 *   ax_scribble [-D DIR] [-n ROUNDS] [-S SEED] HOST PORT
 *
 * HOST:PORT is a TCP sink (it reads and discards). The segment is found in
 * /proc/self/maps: the shared mapping that starts with AXIPC_MAGIC.
 *  1. Aimed: a connection sends 64 KiB, then its tx producer index is set
 *     beyond the free space (more bytes "written" than the ring holds), and
 *     a call on the socket (which syncs its rings) makes the daemon look:
 *     it must abort that connection. The same for the rx consumer index
 *     (ahead of the producer) on a second connection. Prints
 *     "aimed tx: ..." and "aimed rx: ..." with what the socket said after.
 *  2. Random: ROUNDS rounds (default 2000) of: new connections now and
 *     then, a send on each, and 64 random bytes written at random offsets
 *     over the segment's header, its slots in use and its rings; every
 *     100th round a random value in one index of every slot in use, then a
 *     call on every socket (each a sync: the daemon reads them).
 * Prints "scribbled N bytes" at the end. Whatever the library does with
 * its corrupted state (errors, even a crash) is the scribbler's own
 * business: the test looks at the daemon and the other programs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <axnet/ipc.h>
#include <axnet/socket.h>

static uint8_t *seg;
static uint64_t seg_size;
static uint64_t rnd = 88172645463325252ull;

static uint64_t next(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

static void die(const char *what)
{
	int e = errno;

	fprintf(stderr, "ax_scribble: %s: %s (%s)\n", what, strerror(e),
		strerrorname_np(e) ? strerrorname_np(e) : "?");
	exit(1);
}

/* The segment: a shared mapping of ours that starts with the magic. */
static int find_segment(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[3] != 's' ||
		    perms[1] != 'w' || hi - lo < sizeof(struct axipc_seg_hdr))
			continue;
		if (((struct axipc_seg_hdr *)lo)->magic == AXIPC_MAGIC) {
			seg = (uint8_t *)lo;
			seg_size = hi - lo;
			break;
		}
	}
	fclose(f);
	return seg ? 0 : -1;
}

static struct axipc_slot *slot(uint32_t id)
{
	const struct axipc_seg_hdr *h = (const void *)seg;

	return (struct axipc_slot *)(seg + h->slot_off) + id;
}

/* The slot of the established TCP connection whose tx ring holds `sent`
 * bytes so far that no other slot in `skip` is: the newest one with a tx
 * ring. Slot ids are the library's business, so look. */
static int find_conn_slot(int skip)
{
	const struct axipc_seg_hdr *h = (const void *)seg;
	int id, found = -1;

	for (id = 0; id < (int)h->nslots && id < 4096; id++) {
		struct axipc_slot *s = slot((uint32_t)id);

		if (id != skip && __atomic_load_n(&s->type, __ATOMIC_ACQUIRE) == SOCK_STREAM &&
		    s->tx.size && s->rx.size)
			found = id;
	}
	return found;
}

static int connect_to(const struct sockaddr_in *sa)
{
	int fd = ax_socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (ax_connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("connect");
	return fd;
}

/* What the socket says after its slot was spoiled: a send, then SO_ERROR. */
static void after(const char *what, int fd)
{
	static uint8_t buf[4096];
	int err = 0, i, e = 0;
	socklen_t l = sizeof(err);
	ssize_t n = 0;

	/* A socket request syncs the rings: the daemon reads the bad index. */
	ax_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
	for (i = 0; i < 50 && n >= 0; i++) {
		n = ax_send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
		e = errno;
		usleep(10000);
	}
	printf("aimed %s: SO_ERROR %s, send %s\n", what, err ? strerrorname_np(err) : "0",
	       n < 0 ? strerrorname_np(e) : "ok");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int opt, rounds = 2000, fd, fd2, id, id2, r, fds[16], nfds = 0;
	uint64_t scribbled = 0, sends_ok = 0, sends_err[134] = { 0 };

	while ((opt = getopt(argc, argv, "D:n:S:")) != -1) {
		switch (opt) {
		case 'D':
			if (ax_init(optarg) < 0)
				die("init");
			break;
		case 'n': rounds = atoi(optarg); break;
		case 'S': rnd = strtoull(optarg, NULL, 0) | 1; break;
		default: goto usage;
		}
	}
	if (optind != argc - 2 || inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1)
		goto usage;
	sa.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	memset(buf, 'x', sizeof(buf));

	/* 1. Aimed: the tx producer past the free space. */
	fd = connect_to(&sa);
	if (ax_send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0)
		die("send");
	if (find_segment() < 0) {
		fprintf(stderr, "ax_scribble: no segment in /proc/self/maps\n");
		return 1;
	}
	printf("segment %llu bytes\n", (unsigned long long)seg_size);
	id = find_conn_slot(-1);
	if (id < 0) {
		fprintf(stderr, "ax_scribble: no established connection among the slots\n");
		return 1;
	}
	{
		struct axipc_slot *s = slot((uint32_t)id);
		uint32_t cons = __atomic_load_n(&s->tx_ring.cons, __ATOMIC_ACQUIRE);

		/* Twice the ring past the consumer we read: past the free space
		 * however far the peer's acks moved the daemon's consumer since
		 * (at most a ring), not just 4 KiB past a stale one. */
		__atomic_store_n(&s->tx_ring.prod, cons + 2 * s->tx.size + 4096, __ATOMIC_RELEASE);
	}
	after("tx", fd);

	/* ... and the rx consumer ahead of the producer. */
	fd2 = connect_to(&sa);
	if (ax_send(fd2, buf, 1024, MSG_NOSIGNAL) < 0)
		die("send");
	id2 = find_conn_slot(id);
	if (id2 < 0 || id2 == id) {
		fprintf(stderr, "ax_scribble: the second connection's slot not found\n");
		return 1;
	}
	{
		struct axipc_slot *s = slot((uint32_t)id2);
		uint32_t prod = __atomic_load_n(&s->rx_ring.prod, __ATOMIC_ACQUIRE);

		__atomic_store_n(&s->rx_ring.cons, prod + 100000, __ATOMIC_RELEASE);
	}
	after("rx", fd2);

	/* 2. Random bytes over the header, the slots in use and the rings. */
	for (r = 0; r < rounds; r++) {
		const struct axipc_seg_hdr *h = (const void *)seg;
		uint64_t lim = h->slot_off + 64 * sizeof(struct axipc_slot), off;
		int k;

		if (nfds < 16 && r % 100 == 0) {
			int c = ax_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			if (c >= 0) {
				ax_connect(c, (struct sockaddr *)&sa, sizeof(sa));
				fds[nfds++] = c;
			}
		}
		for (k = 0; k < nfds; k++) {
			if (ax_send(fds[k], buf, 1 + next() % 8192, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
				sends_ok++;
			else if (errno > 0 && errno < 134)
				sends_err[errno]++;
		}
		for (k = 0; k < 64; k++) {
			if (next() % 2 && lim < seg_size) {
				off = next() % lim;
			} else { /* somewhere in a ring of a slot in use */
				struct axipc_slot *s = slot((uint32_t)(next() % 64));
				struct axipc_ringdesc d = next() % 2 ? s->rx : s->tx;

				if (!d.size || d.off >= seg_size || d.size > seg_size - d.off)
					continue;
				off = d.off + next() % d.size;
			}
			seg[off] = (uint8_t)next();
			scribbled++;
		}
		if (r % 100 == 99) {
			for (k = 0; k < 64; k++) {
				struct axipc_slot *s = slot((uint32_t)k);
				uint32_t *idx = next() % 2 ? &s->tx_ring.prod : &s->rx_ring.cons;

				if (__atomic_load_n(&s->type, __ATOMIC_ACQUIRE))
					__atomic_store_n(idx, (uint32_t)next(), __ATOMIC_RELEASE);
			}
			for (k = 0; k < nfds; k++) {
				int err;
				socklen_t l = sizeof(err);

				ax_getsockopt(fds[k], SOL_SOCKET, SO_ERROR, &err, &l);
			}
		}
		if (r % 50 == 0)
			usleep(1000);
	}
	printf("scribbled %llu bytes; sends: %llu ok", (unsigned long long)scribbled,
	       (unsigned long long)sends_ok);
	for (r = 1; r < 134; r++)
		if (sends_err[r])
			printf(", %llu %s", (unsigned long long)sends_err[r], strerrorname_np(r));
	printf("\n");
	fflush(stdout);
	return 0;
usage:
	fprintf(stderr, "usage: ax_scribble [-D DIR] [-n ROUNDS] [-S SEED] HOST PORT\n");
	return 2;
}
