/*
 * test_tcp_table.c - the TCP connection table at scale (tcp.c): 100,000
 * passive connections from fake peers (fewer with big rings: see
 * TABLE_CONNS), each found by its 4-tuple and given its own data; segments
 * for tuples that do not exist answered with RST (RFC 9293 3.10.7.1); hash
 * chains that stay short for sequential ports, sequential addresses and
 * scattered peers alike; and a table that empties, and frees everything
 * (LeakSanitizer checks at exit), when the connections are closed or
 * aborted.
 *
 * Speed is not measured here (house rule: benchmarks do that, see
 * tests/bench/tcp_table_bench.c); this test checks that the table is
 * right, and that its shape is what keeps lookups cheap.
 *
 * The peers are off-link (10.1.0.0 and up; we are 10.0.0.1/24), so every
 * answer goes through the gateway, which is resolved once and pinned.
 */
#include <math.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "fake_netif.h"
#include "testlib.h"

/*
 * How many connections. The aim is 100,000, but the engine allocates both
 * rings of a connection when it creates it (opt.h AX_TCP_SNDBUF +
 * AX_TCP_RCVBUF: 512 KiB by default, 51 GB of address space for 100k),
 * and under ASan every ring also costs about size/8 of shadow memory as it
 * is allocated: 100k connections with the default rings take ~9 GB RSS
 * and ~45 s here. So the count is what fits TABLE_RING_BUDGET of rings:
 * 16,384 with the default rings, 100,000 once each is 32 KiB or less
 * (the Makefile may build this test against an engine with small rings:
 * the table is under test here, not the buffers).
 */
#define TABLE_WANTED 100000u
#define TABLE_RING_BUDGET (8ull << 30)
#define TABLE_RING_FIT (TABLE_RING_BUDGET / ((unsigned long long)AX_TCP_SNDBUF + AX_TCP_RCVBUF))
#ifndef TABLE_CONNS
#define TABLE_CONNS \
	(TABLE_RING_FIT < TABLE_WANTED ? (unsigned int)TABLE_RING_FIT : TABLE_WANTED)
#endif

#define PORT 80     /* our listener */
#define NOPORT 81   /* no listener here */
#define PDATA 32u   /* payload bytes sent to each connection */

/*
 * The peers, in three populations that stress a hash in different ways:
 *   SEQPORT: one address (10.1.0.1), sequential ports from 1024;
 *   SEQADDR: sequential addresses from 10.2.0.1, one port (50000);
 *   SCATTER: pseudo-random addresses in 10.16.0.0-10.239.255.255 and
 *            ports 1024-65535 (what clients across a network look like).
 */
#define N_SEQPORT (TABLE_CONNS * 2 / 5)
#define N_SEQADDR (TABLE_CONNS * 2 / 5)
#define N_SCATTER (TABLE_CONNS - N_SEQPORT - N_SEQADDR)
enum { POP_SEQPORT, POP_SEQADDR, POP_SCATTER, POP_MAX };
static const char *const pop_name[POP_MAX] = { "sequential ports", "sequential addresses",
					       "scattered peers" };

/* Longest chain allowed. For 100k entries in 65536 buckets a uniform hash
 * gives chains of Poisson(1.53): the longest is about 9, and one of 14 or
 * more turns up in 1 run of 15,000 (should the hash become keyed and so
 * differ from run to run). */
#define MAX_CHAIN 14u

struct conn {
	struct tcp_pcb *pcb;
	uint32_t ip;      /* network order */
	uint16_t port;
	uint32_t seq;     /* the peer's next sequence number */
	uint32_t ack;     /* ours (what the peer acknowledges) */
};

static struct fake_host H;
static struct fake_tcp_app A;
static struct conn C[TABLE_CONNS];
static uint16_t chain[POP_MAX + 1][AX_TCP_HASH_BUCKETS]; /* [POP_MAX]: all */

static int pop_of(uint32_t ip)
{
	uint8_t b = (uint8_t)(ntohl(ip) >> 16);

	return b == 1 ? POP_SEQPORT : b == 2 ? POP_SEQADDR : POP_SCATTER;
}

static void peer_of(const struct conn *c, struct fake_tcp_peer *p)
{
	fake_tcp_peer_init(p, &H, c->port, PORT, c->seq);
	p->ip = c->ip;
	memcpy(p->mac, FAKE_GW_MAC, 6); /* off-link: through the gateway */
	p->ack = c->ack;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Connection i's payload: PDATA bytes naming it. */
static void payload(unsigned int i, uint8_t *msg)
{
	char s[64];
	int n = snprintf(s, sizeof(s), "conn %06u %08x:%05u", i, (unsigned int)ntohl(C[i].ip),
			 C[i].port);

	memset(s + n, '.', sizeof(s) - (size_t)n);
	memcpy(msg, s, PDATA);
}

static int setup(void)
{
	if (fake_host_reset(&H, FAKE_GW_IP, FAKE_GW_MAC))
		return -1;
	memset(&A, 0, sizeof(A));
	memset(C, 0, sizeof(C));
	fake_mark(&H);
	return 0;
}

/* Connection i's peer address and port. SCATTER draws from an LCG (the
 * same sequence every run) and skips tuples already taken. */
static void pick_tuple(unsigned int i, uint32_t *ip, uint16_t *port)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	if (i < N_SEQPORT) {
		*ip = FAKE_IP(10, 1, 0, 1);
		*port = (uint16_t)(1024 + i);
		return;
	}
	if (i < N_SEQPORT + N_SEQADDR) {
		uint32_t k = i - N_SEQPORT + 1;

		*ip = FAKE_IP(10, 2, k >> 8, k & 0xff);
		*port = 50000;
		return;
	}
	do {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		*ip = FAKE_IP(10, 16 + (x >> 56) % 224, (x >> 48) & 0xff, (x >> 40) & 0xff);
		*port = (uint16_t)(1024 + (x >> 16) % 64512);
	} while (tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(*ip), *port));
}

struct census {
	unsigned int listen, established, time_wait, other;
};

static void count_pcb(void *arg, const struct tcp_pcb *pcb)
{
	struct census *c = arg;
	struct tcp_info_ax i;

	tcp_get_info(pcb, &i);
	if (i.state == TCP_LISTEN)
		c->listen++;
	else if (i.state == TCP_ESTABLISHED)
		c->established++;
	else if (i.state == TCP_TIME_WAIT)
		c->time_wait++;
	else
		c->other++;
}

/* Open all TABLE_CONNS connections. 0, or the index that failed + 1. */
static unsigned int open_all(void)
{
	struct fake_tcp_peer p;
	unsigned int i;

	for (i = 0; i < TABLE_CONNS; i++) {
		struct conn *c = &C[i];

		pick_tuple(i, &c->ip, &c->port);
		c->seq = 0x10000000u + i * 7919u;
		peer_of(c, &p);
		c->pcb = fake_tcp_accept(&p, &A, NULL, 0, 65535);
		if (!c->pcb)
			return i + 1;
		c->seq = p.seq;
		c->ack = p.ack;
	}
	return 0;
}

/* Walk the hash table: every connection in the bucket chain its own
 * lookup searches, the chain links consistent, lengths per population in
 * chain[]. Returns the number of entries seen (-1: a broken link). */
static long walk_buckets(void)
{
	const struct tcp_table *t = H.s.tcp;
	long n = 0;
	unsigned int b;

	memset(chain, 0, sizeof(chain));
	for (b = 0; b < AX_TCP_HASH_BUCKETS; b++) {
		struct tcp_pcb *const *pp = &t->bucket[b];
		const struct tcp_pcb *p;

		for (p = *pp; p; pp = &p->hnext, p = p->hnext) {
			if (p->hpprev != pp || n > TABLE_CONNS)
				return -1;
			chain[pop_of(ip_addr_get_v4(&p->raddr))][b]++;
			chain[POP_MAX][b]++;
			n++;
		}
	}
	return n;
}

/* The chain statistics of one population of n entries (pop POP_MAX: all
 * of them) against a uniform hash's: buckets used (expected B(1 - e^-l),
 * l = n/B) and the mean length of a successful search (expected 1 + l/2). */
static void check_spread(int pop, unsigned int n)
{
	double lam = (double)n / AX_TCP_HASH_BUCKETS;
	double want_used = AX_TCP_HASH_BUCKETS * (1.0 - exp(-lam));
	double want_search = 1.0 + lam / 2.0;
	unsigned long used = 0, sq = 0, max = 0;
	double search;
	unsigned int b;

	for (b = 0; b < AX_TCP_HASH_BUCKETS; b++) {
		unsigned long k = chain[pop][b];

		used += k != 0;
		sq += k * k;
		if (k > max)
			max = k;
	}
	/* A search for entry e walks the chain up to e: over all entries
	 * that is sum k(k+1)/2, over n. */
	search = n ? ((double)sq + (double)n) / 2.0 / n : 0;
	printf("# %-20s %6u entries: %6lu buckets used (uniform: %.0f), longest chain %lu, "
	       "mean search %.3f (uniform: %.3f)\n",
	       pop == POP_MAX ? "all" : pop_name[pop], n, used, want_used, max, search,
	       want_search);
	CHECK(max <= MAX_CHAIN);
	CHECK(used >= 0.97 * want_used);
	CHECK(search <= 1.05 * want_search);
}

TEST(table_at_scale)
{
	struct fake_tcp_peer p;
	struct tcp_pcb *l;
	struct census cen = { 0 };
	struct fake_tcp_view v;
	uint8_t msg[PDATA], got[PDATA + 8];
	unsigned int i, bad, failed_at;
	long rss0, rss1, n;
	double t0 = now_s(), t1;

	if (TABLE_CONNS < TABLE_WANTED)
		printf("# NOTE: %u connections, not %u: rings of %u+%u bytes are allocated "
		       "up front per connection (opt.h)\n",
		       TABLE_CONNS, TABLE_WANTED, AX_TCP_SNDBUF, AX_TCP_RCVBUF);
	REQUIRE(setup() == 0);
	rss0 = rss_kb();
	l = tcp_listen(&H.s, PORT, 16, fake_tcp_app_cb(), &A);
	REQUIRE(l != NULL);

	/* RFC 9293 3.5: each handshake completes and is accepted. */
	fake_mark(&H);
	failed_at = open_all();
	if (failed_at)
		printf("  connection %u of %u did not establish (no_memory %llu)\n",
		       failed_at - 1, TABLE_CONNS,
		       (unsigned long long)H.s.cnt[AX_C_tcp_no_memory]);
	REQUIRE(failed_at == 0);
	t1 = now_s();
	rss1 = rss_kb();
	printf("# %u connections established in %.2f s; RSS +%ld kB (%.1f kB each)\n",
	       TABLE_CONNS, t1 - t0, rss1 - rss0, (double)(rss1 - rss0) / TABLE_CONNS);
	CHECK_EQ(A.accepted, TABLE_CONNS);
	CHECK_EQ(H.s.tcp->count, TABLE_CONNS);
	CHECK_EQ(H.s.cnt[AX_C_tcp_conns_opened], TABLE_CONNS);
	CHECK_EQ(H.s.cnt[AX_C_tcp_passive_opens], TABLE_CONNS);
	CHECK_EQ(H.s.cnt[AX_C_tcp_rst_tx], 0);
	CHECK_EQ(H.s.cnt[AX_C_tcp_backlog_drops] + H.s.cnt[AX_C_tcp_syn_evicted] +
			 H.s.cnt[AX_C_tcp_no_memory],
		 0);
	CHECK_EQ(l->pending, 0);
	tcp_foreach(&H.s, count_pcb, &cen);
	CHECK_EQ(cen.listen, 1);
	CHECK_EQ(cen.established, TABLE_CONNS);
	CHECK_EQ(cen.time_wait + cen.other, 0);

	/* Every connection is the one its 4-tuple finds, and says so. */
	bad = 0;
	for (i = 0; i < TABLE_CONNS; i++) {
		struct tcp_info_ax info;

		tcp_get_info(C[i].pcb, &info);
		if (tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(C[i].ip), C[i].port) != C[i].pcb ||
		    !ip_addr_eq(&info.raddr, FAKE_V4(C[i].ip)) || info.rport != C[i].port ||
		    info.lport != PORT || !ip_addr_eq(&info.laddr, FAKE_V4(FAKE_OUR_IP)) ||
		    info.state != TCP_ESTABLISHED)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* The chains: all entries there, and short, for each population. */
	n = walk_buckets();
	CHECK_EQ(n, TABLE_CONNS);
	check_spread(POP_SEQPORT, N_SEQPORT);
	check_spread(POP_SEQADDR, N_SEQADDR);
	check_spread(POP_SCATTER, N_SCATTER);
	check_spread(POP_MAX, TABLE_CONNS);

	/* Data to every connection, all of it sent before any is read: a
	 * segment given to the wrong connection would show as wrong bytes
	 * there. Each is acknowledged at once (quick ACKs after the
	 * handshake) to its own peer through the gateway. */
	bad = 0;
	for (i = 0; i < TABLE_CONNS; i++) {
		payload(i, msg);
		peer_of(&C[i], &p);
		fake_mark(&H);
		fake_tcp_send(&p, TH_ACK | TH_PSH, msg, PDATA);
		C[i].seq = p.seq;
		if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &v) || v.flags != TH_ACK ||
		    v.dst != C[i].ip || v.dport != C[i].port || v.sport != PORT ||
		    v.ack != p.seq || v.seq != C[i].ack || !v.tcp_csum_ok ||
		    memcmp(v.eth_dst, FAKE_GW_MAC, 6))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(A.readable, TABLE_CONNS);
	CHECK_EQ(H.s.cnt[AX_C_tcp_rx_bytes], (uint64_t)TABLE_CONNS * PDATA);
	bad = 0;
	for (i = 0; i < TABLE_CONNS; i++) {
		payload(i, msg);
		if (tcp_read(C[i].pcb, got, sizeof(got)) != (int)PDATA ||
		    memcmp(got, msg, PDATA) || tcp_read(C[i].pcb, got, sizeof(got)) != -EAGAIN)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* RFC 9293 3.10.7.1: a segment for a tuple with no connection gets
	 * RST, seq = its ACK; the connections next to it are untouched. */
	{
		const struct {
			uint32_t ip;
			uint16_t port, lport;
			int no_port; /* no listener on lport either */
		} ghost[] = {
			/* a port the sequential-port peer never used */
			{ FAKE_IP(10, 1, 0, 1), 1024 + N_SEQPORT, PORT, 0 },
			/* a sequential address's port on another address */
			{ FAKE_IP(10, 1, 0, 1), 50000, PORT, 0 },
			/* an address of the population, a port of the other */
			{ FAKE_IP(10, 2, 0, 1), 1024, PORT, 0 },
			/* one past the last sequential address */
			{ FAKE_IP(10, 2, (N_SEQADDR + 1) >> 8, (N_SEQADDR + 1) & 0xff), 50000,
			  PORT, 0 },
			/* an existing tuple, but to a port nobody listens on */
			{ FAKE_IP(10, 1, 0, 1), 1024, NOPORT, 1 },
			{ FAKE_IP(10, 2, 0, 1), 50000, NOPORT, 1 },
		};
		unsigned int g;

		for (g = 0; g < sizeof(ghost) / sizeof(ghost[0]); g++) {
			struct conn gc = { .ip = ghost[g].ip, .port = ghost[g].port,
					   .seq = 0x5000, .ack = 0xabcd0000u + g };

			peer_of(&gc, &p);
			p.lport = ghost[g].lport;
			fake_mark(&H);
			fake_tcp_send(&p, TH_ACK | TH_PSH, "ghost", 5);
			CHECK_EQ(H.nif.n, 1);
			if (H.nif.n == 1 && fake_tcp_sent(&H, 0, &v) == 0) {
				CHECK_EQ(v.flags, TH_RST);
				CHECK_EQ(v.seq, gc.ack);
				CHECK_EQ(v.dst, gc.ip);
				CHECK_EQ(v.dport, gc.port);
				CHECK_EQ(v.sport, ghost[g].lport);
				CHECK(v.tcp_csum_ok);
			}
			CHECK_EQ(H.s.cnt[AX_C_tcp_rst_tx] - H.mark[AX_C_tcp_rst_tx], 1);
			CHECK_EQ(H.s.cnt[AX_C_tcp_no_port] - H.mark[AX_C_tcp_no_port],
				 ghost[g].no_port);
		}
		CHECK_EQ(H.s.tcp->count, TABLE_CONNS);
		CHECK_EQ(H.s.cnt[AX_C_tcp_conns_opened], TABLE_CONNS);
		CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(C[0].ip), C[0].port) == C[0].pcb);
		CHECK(tcp_lookup(&H.s, FAKE_V4(FAKE_OUR_IP), PORT, FAKE_V4(C[N_SEQPORT].ip), C[N_SEQPORT].port) ==
		      C[N_SEQPORT].pcb);
	}

	/* Tear down: even connections close in order (RFC 9293 3.6: our FIN,
	 * the peer's FIN+ACK, our ACK, TIME_WAIT for 2 MSL), odd ones are
	 * aborted (RST, freed at once). */
	fake_mark(&H);
	bad = 0;
	for (i = 0; i < TABLE_CONNS; i++) {
		struct tcp_pcb *pcb = C[i].pcb;

		fake_mark(&H);
		if (i & 1) {
			tcp_abort(pcb);
			if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &v) ||
			    v.flags != (TH_RST | TH_ACK) || v.seq != C[i].ack ||
			    v.dst != C[i].ip || v.dport != C[i].port)
				bad++;
			continue;
		}
		tcp_close(pcb);
		if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &v) || !(v.flags & TH_FIN) ||
		    v.seq != C[i].ack || v.dst != C[i].ip || v.dport != C[i].port) {
			bad++;
			continue;
		}
		peer_of(&C[i], &p);
		p.ack = v.seq + 1;
		fake_mark(&H);
		fake_tcp_send(&p, TH_FIN | TH_ACK, NULL, 0);
		if (H.nif.n != 1 || fake_tcp_sent(&H, 0, &v) || v.flags != TH_ACK ||
		    v.ack != p.seq || v.dport != C[i].port)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(A.closed, 0); /* closed/aborted by us: no callback */
	CHECK_EQ(H.s.tcp->count, (TABLE_CONNS + 1) / 2);
	memset(&cen, 0, sizeof(cen));
	tcp_foreach(&H.s, count_pcb, &cen);
	CHECK_EQ(cen.time_wait, (TABLE_CONNS + 1) / 2);
	CHECK_EQ(cen.established + cen.other, 0);

	fake_advance(&H, H.s.tcp->time_wait_ms + 1);
	CHECK_EQ(H.s.tcp->count, 0);
	CHECK_EQ(H.s.cnt[AX_C_tcp_conns_closed], TABLE_CONNS);
	CHECK(H.s.tcp->dead == NULL); /* reaped: the memory went back */
	CHECK_EQ(walk_buckets(), 0);
	CHECK_EQ(H.s.tcp->wheel.armed, 0);
	CHECK_EQ(l->pending, 0);
	memset(&cen, 0, sizeof(cen));
	tcp_foreach(&H.s, count_pcb, &cen);
	CHECK_EQ(cen.listen, 1);
	CHECK_EQ(cen.established + cen.time_wait + cen.other, 0);
	tcp_close(l);
	stack_fini(&H.s);
	printf("# whole test %.2f s, RSS at the end %+ld kB from the start\n", now_s() - t0,
	       rss_kb() - rss0);
}

TEST_MAIN(T(table_at_scale))
