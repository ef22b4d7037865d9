/*
 * tcp_table_bench.c - what one received segment costs the engine when the
 * connection table holds 1,000, 10,000 or 100,000 connections, and what a
 * connection costs in memory.
 *
 *   tcp_table_bench            the three sizes, then the ratios 100k/1k,
 *                              then the hash under striped peers
 *   tcp_table_bench N...       those sizes only (no ratio unless 1000 and
 *                              100000 are among them)
 *
 * No device, no kernel: the stack runs on a null netif (tx_begin hands out
 * one static buffer, tx_commit counts), frames are built beforehand, and
 * the timed loop is nothing but stack_input() calls. The engine's clock is
 * virtual: 1 us per segment, timers run every 256 segments as an event
 * loop would run them. Each size runs in a child process of its own, so
 * that its RSS figures start from a clean heap.
 *
 * Per size, the median of ROUNDS rounds of SEGS segments, each to a
 * connection drawn at random:
 *   ack      a pure ACK (nothing new: lookup, checks, no answer), to any
 *            connection - the lookup-heavy path;
 *   ack-hot  the same, to a fixed random 1,000 of them: the table size
 *            changes, the working set does not;
 *   data     64 bytes of data, the engine's ACK when due (every second
 *            segment, RFC 5681 4.2; quick ACKs are used up beforehand) and
 *            the application's tcp_read() in its readable callback.
 * Memory: RSS and virtual size added per connection once established, RSS
 * after the data rounds, and the RSS not given back after every
 * connection is closed and the stack torn down. "setup" is the time per
 * handshake, building its two frames included: a rough figure only.
 *
 * Peers are off-link (through the gateway) at pseudo-random addresses in
 * 10.16.0.0-10.239.255.255 and ports 1024-65535 ("scattered"). The
 * "striped" set - hosts 10.16.0.1 ... 10.31.0.1 with sequential ports, as
 * 16 load generators or proxies would open them - shows how the hash
 * copes with structure in the tuples.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_netif.h"

#define PORT 80
#define ROUNDS 7
#define SEGS 200000u   /* segments per round */
#define HOT 1000u      /* the ack-hot working set */
#define DLEN 64u       /* payload of a data segment */
#define ACK_LEN (ETH_HLEN_AX + 20 + 20)
#define DATA_LEN (ACK_LEN + DLEN)
#define TIMER_EVERY 256u

enum pop { SCATTERED, STRIPED };

struct result {
	int ok;
	unsigned int n;
	double ack_ns, hot_ns, data_ns, setup_ns;
	double rss_kb, rss_data_kb, vsz_kb, kept_mb;
	unsigned int max_chain;
	double mean_search;
	unsigned long long stray_tx; /* frames sent during the ack rounds */
};

struct bconn {
	struct tcp_pcb *pcb;
	uint32_t ip;
	uint16_t port;
	uint32_t seq, ack;
};

/* --- the null device and the stack ------------------------------------- */

static struct {
	struct ax_netif netif;
	uint8_t buf[AX_FRAME_MAX];
	size_t len;
	unsigned long long sent;
} nif;

static uint8_t *nif_begin(void *ctx, size_t *cap)
{
	(void)ctx;
	*cap = sizeof(nif.buf);
	return nif.buf;
}

static int nif_commit(void *ctx, size_t len)
{
	(void)ctx;
	nif.len = len;
	nif.sent++;
	return 0;
}

static struct ax_stack S;
static struct bconn *C;
static struct tcp_pcb *accepted;
static uint8_t scratch[65536];

static void on_readable(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	while (tcp_read(pcb, scratch, sizeof(scratch)) > 0)
		;
}

static const struct tcp_callbacks conn_cb = { .readable = on_readable };

static void on_accepted(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	accepted = pcb;
	tcp_set_callbacks(pcb, &conn_cb, NULL);
}

static const struct tcp_callbacks listen_cb = { .accepted = on_accepted };

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static double mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Resident and virtual size in kB. */
static void mem_kb(double *rss, double *vsz)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			pages = res = 0;
		fclose(f);
	}
	*rss = (double)res * (double)sysconf(_SC_PAGESIZE) / 1024.0;
	*vsz = (double)pages * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

static void tick(void)
{
	stack_set_time(&S, S.now_ns + 1000u);
}

static size_t seg_frame(uint8_t *buf, const struct bconn *c, uint8_t flags, uint32_t seq,
			uint32_t ack, const uint8_t *opts, size_t optlen, const void *data,
			size_t len)
{
	struct fake_tcp_seg sg = {
		.src = c->ip, .dst = FAKE_OUR_IP, .sport = c->port, .dport = PORT,
		.seq = seq, .ack = ack, .flags = flags, .win = 1024, /* << 7: 128 KiB */
		.opts = opts, .optlen = optlen, .data = data, .len = len,
	};

	return fake_tcp_frame(buf, FAKE_GW_MAC, &sg);
}

static int setup_stack(void)
{
	uint8_t f[64];
	size_t n;
	unsigned int i;

	ax_log_set_level(AX_LOG_ERROR);
	memcpy(nif.netif.mac, FAKE_OUR_MAC, 6);
	nif.netif.mtu = 1500;
	nif.netif.tx_begin = nif_begin;
	nif.netif.tx_commit = nif_commit;
	if (stack_init(&S, &nif.netif, FAKE_OUR_IP, FAKE_PREFIX, FAKE_GW_IP))
		return -1;
	stack_set_time(&S, 1000000000ull);
	/* The gateway, learnt from its ARP request and kept for good. */
	n = fake_arp(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_GW_MAC, FAKE_GW_IP, FAKE_ZERO_MAC,
		     FAKE_OUR_IP);
	stack_input(&S, f, n);
	for (i = 0; i < AX_ARP_ENTRIES; i++)
		if (S.neigh.e[i].state != ARP_FREE && S.neigh.e[i].state != ARP_INCOMPLETE &&
		    ip_addr_get_v4(&S.neigh.e[i].ip) == FAKE_GW_IP && ip_addr_is_v4(&S.neigh.e[i].ip)) {
			/* Learnt from a request it is STALE (RFC 4861 7.2.3);
			 * pinned REACHABLE, as the unit tests' fake_pin_neighbour. */
			S.neigh.e[i].state = ARP_REACHABLE;
			S.neigh.e[i].deadline_ns = UINT64_MAX;
			return 0;
		}
	return -1;
}

static void pick(enum pop pop, unsigned int i, unsigned int n, uint32_t *ip, uint16_t *port)
{
	if (pop == STRIPED) {
		unsigned int per = (n + 15) / 16;

		*ip = FAKE_IP(10, 16 + i / per, 0, 1);
		*port = (uint16_t)(1024 + i % per);
		return;
	}
	do {
		uint32_t a = rnd(), b = rnd();

		*ip = FAKE_IP(10, 16 + a % 224, (a >> 8) & 0xff, b & 0xff);
		*port = (uint16_t)(1024 + (b >> 8) % 64512);
	} while (tcp_lookup(&S, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(*ip), *port));
}

/* The handshake for connection i. 0 or -1. */
static int establish(struct bconn *c)
{
	static uint8_t f[256];
	uint8_t o[20];
	size_t olen = fake_tcp_syn_opts(o, 1460, 7, 1, 0, 0);
	const uint8_t *t = nif.buf + ETH_HLEN_AX + 20;
	uint32_t iss;

	nif.len = 0;
	stack_input(&S, f, seg_frame(f, c, TH_SYN, c->seq, 0, o, olen, NULL, 0));
	if (nif.len < ACK_LEN || t[13] != (TH_SYN | TH_ACK))
		return -1;
	iss = fake_get32(t + 4);
	c->seq++;
	c->ack = iss + 1;
	accepted = NULL;
	stack_input(&S, f, seg_frame(f, c, TH_ACK, c->seq, c->ack, NULL, 0, NULL, 0));
	c->pcb = accepted;
	return c->pcb ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Feed SEGS prebuilt frames of len bytes at the offsets frames[idx[k]];
 * returns ns per segment. */
static double feed(const uint8_t *frames, size_t stride, size_t len, const uint32_t *idx,
		   unsigned int count)
{
	double t0 = mono_ns();
	unsigned int k;

	for (k = 0; k < count; k++) {
		stack_input(&S, frames + (size_t)idx[k] * stride, len);
		tick();
		if (k % TIMER_EVERY == TIMER_EVERY - 1)
			stack_timers(&S);
	}
	return (mono_ns() - t0) / count;
}

static void chain_stats(struct result *r)
{
	unsigned long long sq = 0;
	unsigned int b;

	r->max_chain = 0;
	for (b = 0; b < AX_TCP_HASH_BUCKETS; b++) {
		unsigned int k = 0;
		const struct tcp_pcb *p;

		for (p = S.tcp->bucket[b]; p; p = p->hnext)
			k++;
		sq += (unsigned long long)k * k;
		if (k > r->max_chain)
			r->max_chain = k;
	}
	r->mean_search = ((double)sq + r->n) / 2.0 / r->n;
}

static void run(unsigned int n, enum pop pop, struct result *r)
{
	double rss0, vsz0, rss1, vsz1, rss2, vsz2, t[ROUNDS], t0;
	uint8_t *acks, *data;
	uint32_t *idx, hot[HOT];
	unsigned int i, k, round;
	uint8_t payload[DLEN];

	memset(r, 0, sizeof(*r));
	r->n = n;
	C = calloc(n, sizeof(*C));
	acks = malloc((size_t)n * ACK_LEN);
	data = malloc((size_t)SEGS * DATA_LEN);
	idx = malloc(SEGS * sizeof(*idx));
	if (!C || !acks || !data || !idx || setup_stack() ||
	    !tcp_listen(&S, PORT, 128, &listen_cb, NULL))
		return;
	memset(payload, 'x', sizeof(payload));
	/* Touch what the bench itself uses, so that RSS deltas are the
	 * engine's. */
	memset(acks, 0, (size_t)n * ACK_LEN);
	memset(data, 0, (size_t)SEGS * DATA_LEN);
	memset(idx, 0, SEGS * sizeof(*idx));
	mem_kb(&rss0, &vsz0);

	t0 = mono_ns();
	for (i = 0; i < n; i++) {
		pick(pop, i, n, &C[i].ip, &C[i].port);
		C[i].seq = rnd();
		if (establish(&C[i])) {
			fprintf(stderr, "tcp_table_bench: connection %u of %u failed (no_memory %" PRIu64
				")\n", i, n, S.cnt[AX_C_tcp_no_memory]);
			return;
		}
		tick();
	}
	r->setup_ns = (mono_ns() - t0) / n;
	mem_kb(&rss1, &vsz1);
	r->rss_kb = (rss1 - rss0) / n;
	r->vsz_kb = (vsz1 - vsz0) / n;
	chain_stats(r);
	if (S.tcp->count != n)
		return;

	/* Pure ACKs: one prebuilt frame per connection. */
	for (i = 0; i < n; i++)
		seg_frame(acks + (size_t)i * ACK_LEN, &C[i], TH_ACK, C[i].seq, C[i].ack, NULL, 0,
			  NULL, 0);
	for (i = 0; i < HOT; i++)
		hot[i] = rnd() % n;
	nif.sent = 0;
	for (round = 0; round < ROUNDS; round++) {
		for (k = 0; k < SEGS; k++)
			idx[k] = rnd() % n;
		t[round] = feed(acks, ACK_LEN, ACK_LEN, idx, SEGS);
	}
	r->ack_ns = median(t, ROUNDS);
	for (round = 0; round < ROUNDS; round++) {
		for (k = 0; k < SEGS; k++)
			idx[k] = hot[rnd() % HOT];
		t[round] = feed(acks, ACK_LEN, ACK_LEN, idx, SEGS);
	}
	r->hot_ns = median(t, ROUNDS);
	r->stray_tx = nif.sent;

	/* Data: use up the quick ACKs first (untimed), so that every size
	 * sees the steady ACK-every-second-segment rule. */
	for (i = 0; i < n; i++)
		for (k = 0; k < AX_TCP_QUICKACKS + 1; k++) {
			uint8_t f[DATA_LEN];

			stack_input(&S, f, seg_frame(f, &C[i], TH_ACK | TH_PSH, C[i].seq, C[i].ack,
						     NULL, 0, payload, DLEN));
			C[i].seq += DLEN;
			tick();
		}
	stack_timers(&S);
	for (round = 0; round < ROUNDS; round++) {
		for (k = 0; k < SEGS; k++) {
			struct bconn *c = &C[rnd() % n];

			seg_frame(data + (size_t)k * DATA_LEN, c, TH_ACK | TH_PSH, c->seq, c->ack,
				  NULL, 0, payload, DLEN);
			c->seq += DLEN;
			idx[k] = k;
		}
		t[round] = feed(data, DATA_LEN, DATA_LEN, idx, SEGS);
	}
	r->data_ns = median(t, ROUNDS);
	mem_kb(&rss2, &vsz2);
	r->rss_data_kb = (rss2 - rss0) / n;
	if (S.cnt[AX_C_tcp_rx_bytes] != (uint64_t)n * (AX_TCP_QUICKACKS + 1) * DLEN +
						 (uint64_t)ROUNDS * SEGS * DLEN ||
	    S.tcp->count != n) {
		fprintf(stderr, "tcp_table_bench: data went astray (%" PRIu64 " bytes in, %u conns)\n",
			S.cnt[AX_C_tcp_rx_bytes], S.tcp->count);
		return;
	}

	/* Close everything; what RSS is left is memory not given back. */
	for (i = 0; i < n; i++)
		tcp_abort(C[i].pcb);
	stack_timers(&S);
	stack_fini(&S);
	mem_kb(&rss2, &vsz2);
	r->kept_mb = (rss2 - rss0) / 1024.0;
	r->ok = 1;
}

/* Run one size in a child; its result comes back through a pipe. */
static int run_child(unsigned int n, enum pop pop, struct result *r)
{
	int fd[2], st;
	pid_t pid;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct result mine;

		close(fd[0]);
		run(n, pop, &mine);
		if (write(fd[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	got = read(fd[0], r, sizeof(*r));
	close(fd[0]);
	if (waitpid(pid, &st, 0) < 0 || got != (ssize_t)sizeof(*r) || !WIFEXITED(st) ||
	    WEXITSTATUS(st) || !r->ok)
		return -1;
	return 0;
}

static void print(const char *what, const struct result *r)
{
	printf("%-9s N=%-6u ack %6.1f ns/seg  ack-hot %6.1f ns/seg  data %6.1f ns/seg  | "
	       "setup %6.0f ns/conn  RSS %5.1f KiB/conn (%5.1f after data)  virt %5.0f KiB/conn  "
	       "kept after close %6.1f MiB  | chain max %u, mean search %.2f\n",
	       what, r->n, r->ack_ns, r->hot_ns, r->data_ns, r->setup_ns, r->rss_kb,
	       r->rss_data_kb, r->vsz_kb, r->kept_mb, r->max_chain, r->mean_search);
	if (r->stray_tx)
		printf("          (%llu frames sent during the ack rounds: expected none)\n",
		       r->stray_tx);
}

int main(int argc, char **argv)
{
	static const unsigned int def[] = { 1000, 10000, 100000 };
	unsigned int sizes[16], nsizes = 0, i;
	struct result res[16], *small = NULL, *big = NULL;
	int fail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < (unsigned int)argc && nsizes < 16; i++)
		sizes[nsizes++] = (unsigned int)strtoul(argv[i], NULL, 10);
	if (!nsizes)
		for (i = 0; i < 3; i++)
			sizes[nsizes++] = def[i];
	printf("tcp_table_bench: %u buckets, rings %u+%u bytes per connection, median of %d "
	       "rounds of %u segments\n",
	       AX_TCP_HASH_BUCKETS, AX_TCP_SNDBUF, AX_TCP_RCVBUF, ROUNDS, SEGS);
	for (i = 0; i < nsizes; i++) {
		if (!sizes[i] || run_child(sizes[i], SCATTERED, &res[i])) {
			printf("scattered N=%u: FAILED\n", sizes[i]);
			fail = 1;
			continue;
		}
		print("scattered", &res[i]);
		if (sizes[i] == 1000)
			small = &res[i];
		if (sizes[i] == 100000)
			big = &res[i];
	}
	if (small && big)
		printf("ratio 100k/1k: ack %.2fx  ack-hot %.2fx  data %.2fx  RSS/conn %.2fx\n",
		       big->ack_ns / small->ack_ns, big->hot_ns / small->hot_ns,
		       big->data_ns / small->data_ns, big->rss_kb / small->rss_kb);
	if (argc == 1) {
		struct result sc, st;

		/* The same number of connections, tuples with and without
		 * structure. */
		if (run_child(65536, SCATTERED, &sc) || run_child(65536, STRIPED, &st)) {
			printf("hash stress: FAILED\n");
			fail = 1;
		} else {
			print("scattered", &sc);
			print("striped", &st);
			printf("striped/scattered at 64k: ack %.2fx  ack-hot %.2fx  data %.2fx\n",
			       st.ack_ns / sc.ack_ns, st.hot_ns / sc.hot_ns, st.data_ns / sc.data_ns);
		}
	}
	return fail;
}
