/*
 * policy_bench.c - how fast the compiled policy matcher decides, what it
 * costs to build, and how much memory it takes, for policies of 10, 1,000
 * and 10,000 random rules (and, with --max, 65,536: the language's limit).
 *
 *   build/tests/policy_bench [--flows N] [--blocks B] [--max] [--sweep]
 *
 * Per size: parse and compile time, the matcher's heap bytes, and ns per
 * pol_match(): the median and 99th percentile of N (default 1,000,000)
 * single matches timed one by one (less the timer's own median cost), and
 * the mean of one untimed pass. The linear reference is timed on a few
 * flows for comparison. --sweep repeats the 10,000-rule case over block
 * sizes. Not a unit test: no pass/fail, numbers for policy/README.md.
 *
 * The rules look like a firewall's: mostly inbound TCP/UDP to a port or a
 * short range, half with a source prefix (/8 to /32, a fifth IPv6), some
 * outbound, a few for ICMP or any protocol. Half the flows are made to
 * fall inside a random rule, half are random.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "policy/policy.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put(char **s, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char **s, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(*s, *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= *n) {
		fprintf(stderr, "policy_bench: text buffer too small\n");
		exit(1);
	}
	*s += k;
	*n -= (size_t)k;
}

static void prefix(char **s, size_t *n, int v6)
{
	static const uint8_t l4[] = { 8, 12, 16, 20, 24, 24, 24, 28, 32, 32, 32, 32 };
	static const uint8_t l6[] = { 32, 48, 56, 64, 64, 64, 96, 128, 128 };
	unsigned int len = v6 ? l6[pick(sizeof(l6))] : l4[pick(sizeof(l4))], i;
	unsigned int max = v6 ? 128 : 32;
	uint8_t a[16] = { 0 };
	char t[INET6_ADDRSTRLEN];

	for (i = 0; i < 16; i++)
		a[i] = (uint8_t)rnd();
	if (v6)
		a[0] = 0xfd; /* unique local */
	else
		a[0] = (uint8_t)(10 + pick(4)); /* a few /8s, so prefixes overlap */
	for (i = len; i < max; i++)
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	inet_ntop(v6 ? AF_INET6 : AF_INET, a, t, sizeof(t));
	put(s, n, " %s/%u", t, len);
}

static void ports(char **s, size_t *n)
{
	unsigned int k = pick(10), lo = 1 + pick(65535), i;

	put(s, n, " port");
	if (k < 6) {
		put(s, n, " %u", lo);
	} else if (k < 8) {
		unsigned int hi = lo + pick(100);

		put(s, n, " %u-%u", lo, hi > 65535 ? 65535 : hi);
	} else {
		for (i = 0; i < 3; i++)
			put(s, n, "%s%u", i ? "," : " ", 1 + pick(65535));
	}
}

static char *random_policy(unsigned int nrules)
{
	size_t size = (size_t)nrules * 160 + 64, n = size;
	char *text = malloc(size), *s = text;
	unsigned int i;

	if (!text)
		exit(1);
	put(&s, &n, "default deny in\ndefault allow out\n");
	for (i = 0; i < nrules; i++) {
		unsigned int d = pick(10), p = pick(20);
		int has_ports = p < 17;
		int from_addr = pick(2), from_ports = has_ports && pick(20) == 0;
		int to_ports = has_ports && pick(10), to_addr = has_ports ? pick(3) == 0 : pick(2);
		int v6 = pick(5) == 0; /* both ends: a rule of two families never matches */

		/* Nothing open-ended: a rule that says only "allow in tcp" would
		 * decide every later flow, and the benchmark would measure the
		 * first few rules of every policy. */
		if (!from_addr && !from_ports && !to_addr && !to_ports) {
			if (has_ports)
				to_ports = 1;
			else
				to_addr = 1;
		}

		put(&s, &n, "%s%s %s", pick(4) ? "allow" : "deny",
		    d < 6 ? " in" : d < 9 ? " out" : "",
		    p < 12 ? "tcp" : p < 17 ? "udp" : p < 18 ? "icmp" : "any");
		if (from_addr || from_ports) {
			put(&s, &n, " from");
			if (from_addr)
				prefix(&s, &n, v6);
			if (from_ports)
				ports(&s, &n);
		}
		if (to_addr || to_ports) {
			put(&s, &n, " to");
			if (to_addr)
				prefix(&s, &n, v6);
			if (to_ports)
				ports(&s, &n);
		}
		put(&s, &n, "\n");
	}
	return text;
}

static void addr_in(const struct pol_prefix *p, uint8_t *a)
{
	unsigned int max = p->family == AF_INET ? 32 : 128, i;

	memcpy(a, p->addr, 16);
	for (i = p->len; i < max; i++)
		if (rnd() & 1)
			a[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

static void random_flow(const struct pol_policy *p, struct pol_flow *f)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP,
					  IPPROTO_UDP, IPPROTO_ICMP };
	const struct pol_rule *r = pol_rule(p, 1 + pick(pol_nrules(p)));
	unsigned int i;

	memset(f, 0, sizeof(f[0]));
	f->dir = pick(3) ? POL_IN : POL_OUT;
	f->family = pick(5) ? AF_INET : AF_INET6;
	f->proto = protos[pick(sizeof(protos))];
	for (i = 0; i < 16; i++) {
		f->src[i] = (uint8_t)rnd();
		f->dst[i] = (uint8_t)rnd();
	}
	f->src[0] = f->dst[0] = f->family == AF_INET ? (uint8_t)(10 + pick(4)) : 0xfd;
	f->sport = (uint16_t)(1024 + pick(64512));
	f->dport = (uint16_t)(1 + pick(65535));
	if (r && pick(2)) {
		/* inside this rule, as far as it says */
		if (r->dir != POL_BOTH)
			f->dir = r->dir;
		if (r->proto == POL_PROTO_TCP)
			f->proto = IPPROTO_TCP;
		else if (r->proto == POL_PROTO_UDP)
			f->proto = IPPROTO_UDP;
		if (r->from.naddr) {
			f->family = r->from.addr[0].family;
			addr_in(&r->from.addr[0], f->src);
		}
		if (r->to.naddr) {
			f->family = r->to.addr[0].family;
			addr_in(&r->to.addr[0], f->dst);
		}
		if (r->to.nport)
			f->dport = r->to.port[0].lo;
		if (r->from.nport)
			f->sport = r->from.port[0].hi;
	}
	if (f->proto == IPPROTO_ICMP && f->family == AF_INET6)
		f->proto = IPPROTO_ICMPV6;
	if (f->family == AF_INET) {
		memset(f->src + 4, 0, 12);
		memset(f->dst + 4, 0, 12);
	}
}

/* A flow no rule matches: rules use 10.0.0.0/6 and fd00::/8, and ports
 * from 1. The matcher searches every block of the flow's class. */
static void miss_flow(struct pol_flow *f)
{
	unsigned int i;

	memset(f, 0, sizeof(f[0]));
	f->dir = pick(3) ? POL_IN : POL_OUT;
	f->family = pick(5) ? AF_INET : AF_INET6;
	f->proto = pick(2) ? IPPROTO_TCP : IPPROTO_UDP;
	for (i = 0; i < (f->family == AF_INET ? 4u : 16u); i++) {
		f->src[i] = (uint8_t)rnd();
		f->dst[i] = (uint8_t)rnd();
	}
	f->src[0] = f->dst[0] = f->family == AF_INET ? 192 : 0xfe;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median cost of the timer itself, to take off each measurement. */
static uint64_t timer_cost(uint64_t *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t a = now_ns();

		t[i] = now_ns() - a;
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	return t[n / 2];
}

static volatile uint32_t sink;

struct timing {
	double median, p99, mean; /* ns per match */
	uint32_t depth;           /* median rule number that decided, 0: default */
};

/* One untimed pass (warms the caches, gives the mean), then every match
 * timed on its own. t has room for n values. */
static void measure(const struct pol_policy *p, const struct pol_flow *flows, size_t n,
		    uint64_t *t, struct timing *out)
{
	uint64_t t0, base;
	size_t i;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		struct pol_verdict v;

		pol_match(p, &flows[i], &v);
		t[i] = v.rule;
	}
	out->mean = (double)(now_ns() - t0) / (double)n;
	qsort(t, n, sizeof(*t), cmp_u64);
	out->depth = (uint32_t)t[n / 2];

	base = timer_cost(t, n < 100000 ? n : 100000);
	for (i = 0; i < n; i++) {
		struct pol_verdict v;
		uint64_t a = now_ns();

		pol_match(p, &flows[i], &v);
		t[i] = now_ns() - a;
		sink += v.rule;
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	out->median = t[n / 2] > base ? (double)(t[n / 2] - base) : 0;
	out->p99 = t[n * 99 / 100] > base ? (double)(t[n * 99 / 100] - base) : 0;
}

static void run(unsigned int nrules, unsigned int block_rules, size_t nflows, int linear)
{
	struct pol_policy *p;
	struct pol_error err;
	struct pol_stats st;
	struct pol_flow *flows = malloc(nflows * sizeof(*flows));
	uint64_t *t = malloc(nflows * sizeof(*t)), t0, t_parse, t_comp;
	struct timing mix, miss;
	double lin = 0;
	char *text;
	size_t i, nlin = nflows < 20000 ? nflows : 20000;

	if (!flows || !t)
		exit(1);
	text = random_policy(nrules);
	t0 = now_ns();
	if (pol_parse(text, strlen(text), "bench.pol", &p, &err)) {
		pol_error_print(&err, stderr);
		exit(1);
	}
	t_parse = now_ns() - t0;
	t0 = now_ns();
	if (pol_compile_blocks(p, block_rules)) {
		fprintf(stderr, "policy_bench: compile: out of memory\n");
		exit(1);
	}
	t_comp = now_ns() - t0;
	pol_stats(p, &st);

	for (i = 0; i < nflows; i++)
		random_flow(p, &flows[i]);
	measure(p, flows, nflows, t, &mix);
	if (linear) {
		t0 = now_ns();
		for (i = 0; i < nlin; i++) {
			struct pol_verdict v;

			pol_match_linear(p, &flows[i], &v);
			sink += v.rule;
		}
		lin = (double)(now_ns() - t0) / (double)nlin;
	}
	for (i = 0; i < nflows; i++)
		miss_flow(&flows[i]);
	measure(p, flows, nflows, t, &miss);

	printf("%6u rules B=%-5u | parse %7.2f ms | compile %7.2f ms %9.1f KiB %4u blocks | "
	       "mixed: median %4.0f p99 %4.0f mean %4.0f ns (median rule %5u) | "
	       "no match: median %5.0f p99 %5.0f ns",
	       nrules, block_rules, t_parse / 1e6, t_comp / 1e6, st.bytes / 1024.0, st.blocks,
	       mix.median, mix.p99, mix.mean, mix.depth, miss.median, miss.p99);
	if (linear)
		printf(" | linear, mixed: mean %6.0f ns", lin);
	printf("\n");
	pol_free(p);
	free(text);
	free(flows);
	free(t);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 10, 1000, 10000 };
	static const unsigned int sweep[] = { 64, 256, 512, 1024, 2048, 4096 };
	unsigned int block_rules = POL_BLOCK_RULES, i;
	size_t nflows = 1000000;
	int max = 0, do_sweep = 0;
	struct rusage ru;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--flows") && i + 1 < (unsigned int)argc)
			nflows = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--blocks") && i + 1 < (unsigned int)argc)
			block_rules = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--max"))
			max = 1;
		else if (!strcmp(argv[i], "--sweep"))
			do_sweep = 1;
		else {
			fprintf(stderr, "usage: policy_bench [--flows N] [--blocks B] "
					"[--max] [--sweep]\n");
			return 2;
		}
	}
	if (nflows < 100)
		nflows = 100;
	printf("policy_bench: %zu flows per size; times per pol_match(), less the timer's "
	       "own cost\n", nflows);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run(sizes[i], block_rules, nflows, 1);
	if (max)
		run(POL_RULES_MAX, block_rules, nflows, 0);
	if (do_sweep)
		for (i = 0; i < sizeof(sweep) / sizeof(sweep[0]); i++)
			run(10000, sweep[i], nflows, 0);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %.1f MiB\n", ru.ru_maxrss / 1024.0);
	return 0;
}
