/*
 * xdp_testrun.c - regression tests of bpf/axnet_xdp.bpf.c with
 * BPF_PROG_TEST_RUN: no interface, no namespace, no AF_XDP socket.
 *
 *   xdp_testrun OBJECT   (build/axnet_xdp.bpf.o)
 *
 * Loads the object with libbpf without pinning its maps, puts one address
 * in `addrs`, turns enforcement on in `config`, then runs crafted frames
 * through the program one BPF_PROG_TEST_RUN at a time and checks the
 * action of every run and the exact movement of the `stats` counters.
 * With no socket in `xsks`, a frame the program hands to axnet comes back
 * as XDP_PASS and counts in no_xsk: that is how "reached axnet" shows here.
 * Prints one line per case; exits 1 when any failed.
 *
 * The stats map is read with the object's own value size as the per-CPU
 * stride, so an object built before a counter existed still runs (and
 * fails the cases that need the counter, reading it as 0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "axnet/xdp_shared.h"

#define OUR_IP "10.9.8.2"
#define OTHER_IP "10.9.8.3"
#define RUNS 1000

static int prog_fd, stats_fd, config_fd;
static size_t stats_vsz;
static int failures;

struct stats_sum {
	uint64_t v[sizeof(struct ax_xdp_stats) / 8];
};

#define FIELD(f) (offsetof(struct ax_xdp_stats, f) / 8)

static int read_stats(struct stats_sum *out)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride = (stats_vsz + 7) & ~(size_t)7;
	uint8_t *buf;
	__u32 key = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -1;
	buf = calloc((size_t)ncpu, stride);
	if (!buf || bpf_map_lookup_elem(stats_fd, &key, buf) < 0) {
		free(buf);
		return -1;
	}
	for (int c = 0; c < ncpu; c++)
		for (size_t f = 0; f < sizeof(out->v) / 8 && (f + 1) * 8 <= stats_vsz; f++) {
			uint64_t x;

			memcpy(&x, buf + (size_t)c * stride + f * 8, 8);
			out->v[f] += x;
		}
	free(buf);
	return 0;
}

static int set_config(uint32_t rate, uint32_t burst)
{
	struct ax_xdp_config cfg = { .enforce = 1, .slow_rate = rate, .slow_burst = burst };
	__u32 key = 0;

	return bpf_map_update_elem(config_fd, &key, &cfg, BPF_ANY);
}

/* --- frames ------------------------------------------------------------------ */

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/*
 * An Ethernet/IPv4 frame from src to dst: proto, fragment field frag
 * (host order: flags and offset in 8-byte units), l4 bytes of payload.
 * Returns its length.
 */
static size_t ipv4_frame(uint8_t *f, const char *src, const char *dst, uint8_t proto,
			 uint16_t frag, const uint8_t *l4, size_t l4len)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	uint8_t *ip = f + sizeof(*eth);
	uint16_t v;

	memset(f, 0, sizeof(*eth) + 20);
	memcpy(eth->h_dest, "\x02\0\0\0\0\x01", 6);
	memcpy(eth->h_source, "\x02\0\0\0\0\x02", 6);
	eth->h_proto = htons(ETH_P_IP);
	ip[0] = 0x45;
	v = htons((uint16_t)(20 + l4len));
	memcpy(ip + 2, &v, 2);
	v = htons(0x4242);
	memcpy(ip + 4, &v, 2);
	v = htons(frag);
	memcpy(ip + 6, &v, 2);
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	v = csum(ip, 20);
	memcpy(ip + 10, &v, 2);
	memcpy(ip + 20, l4, l4len);
	return sizeof(*eth) + 20 + l4len;
}

#define IP_MF 0x2000

/* A 20-byte TCP header (ports 40000 -> 7) with flags, then pad bytes. */
static size_t tcp_seg(uint8_t *t, uint8_t flags, size_t pad)
{
	memset(t, 0, 20 + pad);
	t[0] = 40000 >> 8;
	t[1] = 40000 & 0xff;
	t[3] = 7;
	t[4] = 0x12;            /* seq */
	t[8] = 0x34;            /* ack */
	t[12] = 5 << 4;
	t[13] = flags;
	t[14] = 0xff;           /* window */
	for (size_t i = 0; i < pad; i++)
		t[20 + i] = (uint8_t)('a' + i % 26);
	return 20 + pad;
}

/*
 * An Ethernet/IPv6 frame to group (or unicast) dst from src, next header
 * nh, hop limit 255, l4 bytes of payload. Returns its length.
 */
static size_t ipv6_frame(uint8_t *f, const char *src, const char *dst, uint8_t nh,
			 const uint8_t *l4, size_t l4len)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	uint8_t *ip = f + sizeof(*eth);
	uint16_t v;

	memset(f, 0, sizeof(*eth) + 40);
	inet_pton(AF_INET6, dst, ip + 24);
	if (ip[24] == 0xff)
		memcpy(eth->h_dest, (uint8_t[]){ 0x33, 0x33, ip[36], ip[37], ip[38], ip[39] }, 6);
	else
		memcpy(eth->h_dest, "\x02\0\0\0\0\x01", 6);
	memcpy(eth->h_source, "\x02\0\0\0\0\x02", 6);
	eth->h_proto = htons(ETH_P_IPV6);
	ip[0] = 0x60;
	v = htons((uint16_t)l4len);
	memcpy(ip + 4, &v, 2);
	ip[6] = nh;
	ip[7] = 255;
	inet_pton(AF_INET6, src, ip + 8);
	memcpy(ip + 40, l4, l4len);
	return sizeof(*eth) + 40 + l4len;
}

/* --- running and checking --------------------------------------------------------- */

struct outcome {
	unsigned int pass, drop, other;
	struct stats_sum d; /* counter deltas */
};

static void run(const uint8_t *frame, size_t len, unsigned int n, struct outcome *o)
{
	struct stats_sum a, b;

	memset(o, 0, sizeof(*o));
	read_stats(&a);
	for (unsigned int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = (__u32)len,
			    .repeat = 1);

		if (bpf_prog_test_run_opts(prog_fd, &t) < 0) {
			fprintf(stderr, "xdp_testrun: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			exit(2);
		}
		if (t.retval == XDP_PASS)
			o->pass++;
		else if (t.retval == XDP_DROP)
			o->drop++;
		else
			o->other++;
	}
	read_stats(&b);
	for (size_t f = 0; f < sizeof(a.v) / 8; f++)
		o->d.v[f] = b.v[f] - a.v[f];
}

static void expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want) {
		printf("ok: %s = %llu\n", what, (unsigned long long)want);
		return;
	}
	printf("FAIL: %s: got %llu, want %llu\n", what, (unsigned long long)got,
	       (unsigned long long)want);
	failures++;
}

/* Every run of a case must leave rx = redirected + passed + dropped. */
static void expect_balanced(const char *name, const struct outcome *o)
{
	char what[160];

	snprintf(what, sizeof(what), "%s: rx_packets - (redirected + passed + dropped)", name);
	expect(what, o->d.v[FIELD(rx_packets)] - o->d.v[FIELD(redirected)] -
			     o->d.v[FIELD(passed)] - o->d.v[FIELD(dropped)], 0);
}

/* A fragment for axnet goes to it (no_xsk here) and counts in `frag`: the
 * engine reassembles and checks the whole datagram's flow. */
static void case_fragment_to_axnet(const char *name, const uint8_t *f, size_t len)
{
	struct outcome o;
	char what[160];

	run(f, len, RUNS, &o);
	snprintf(what, sizeof(what), "%s: xdp no_xsk (reached axnet) in %u runs", name, RUNS);
	expect(what, o.d.v[FIELD(no_xsk)], RUNS);
	snprintf(what, sizeof(what), "%s: xdp frag", name);
	expect(what, o.d.v[FIELD(frag)], RUNS);
	snprintf(what, sizeof(what), "%s: xdp flow_unknown + slow_path (no verdict looked up)", name);
	expect(what, o.d.v[FIELD(flow_unknown)] + o.d.v[FIELD(slow_path)], 0);
	expect_balanced(name, &o);
}

/*
 * ICMPv6 to groups: only ND for axnet's groups reaches it (the
 * solicited-node group of its address, published in `addrs`; from
 * all-nodes, also published, router and neighbor advertisements only);
 * the rest of the multicast is the kernel's.
 */
static void ipv6_group_cases(int addrs_fd)
{
	static const char *const groups[] = { "ff02::1:ff00:1", "ff02::1" };
	struct ax_addr_key k = { .family = AX_AF_INET6 };
	struct ax_addr_val av = { 0 };
	uint8_t frame[256], l4[64] = { 0 };
	struct outcome o;
	size_t len;

	for (size_t i = 0; i < 2; i++) {
		inet_pton(AF_INET6, groups[i], k.addr);
		if (bpf_map_update_elem(addrs_fd, &k, &av, BPF_ANY) < 0) {
			fprintf(stderr, "xdp_testrun: cannot add %s: %s\n", groups[i], strerror(errno));
			exit(2);
		}
	}
	struct {
		const char *what, *src, *dst;
		uint8_t nh, type;
		int ours;
	} c[] = {
		{ "NS to our solicited-node group (DAD from ::)", "::", "ff02::1:ff00:1", 58, 135, 1 },
		{ "NA to all-nodes", "fe80::2", "ff02::1", 58, 136, 1 },
		{ "RA to all-nodes", "fe80::2", "ff02::1", 58, 134, 1 },
		{ "echo request to all-nodes", "fe80::2", "ff02::1", 58, 128, 0 },
		{ "NS to another solicited-node group", "fe80::2", "ff02::1:ff00:2", 58, 135, 0 },
		{ "MLD report to ff02::16", "fe80::2", "ff02::16", 58, 143, 0 },
		{ "UDP to our solicited-node group", "fe80::2", "ff02::1:ff00:1", 17, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char what[200];

		l4[0] = c[i].type;
		l4[4] = 0; /* UDP: length 32 below */
		l4[5] = c[i].nh == 17 ? 32 : 0;
		len = ipv6_frame(frame, c[i].src, c[i].dst, c[i].nh, l4, 32);
		run(frame, len, 10, &o);
		snprintf(what, sizeof(what), "%s: %s", c[i].what,
			 c[i].ours ? "reached axnet (no_xsk)" : "XDP_PASS to the kernel");
		expect(what, c[i].ours ? o.d.v[FIELD(no_xsk)] : o.pass, 10);
		expect_balanced(c[i].what, &o);
	}
}

/* An Ethernet/IPv6 frame from src to dst whose fixed header is followed by
 * a fragment header (Next Header nh, offset in 8-byte units, M flag), then
 * l4len bytes. */
static size_t ipv6_frag_frame(uint8_t *f, const char *src, const char *dst, uint8_t nh,
			      uint16_t off, int more, const uint8_t *l4, size_t l4len)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	uint8_t *ip = f + sizeof(*eth), *fh = ip + 40;
	uint16_t v;

	memset(f, 0, sizeof(*eth) + 48);
	memcpy(eth->h_dest, "\x02\0\0\0\0\x01", 6);
	memcpy(eth->h_source, "\x02\0\0\0\0\x02", 6);
	eth->h_proto = htons(ETH_P_IPV6);
	ip[0] = 0x60;
	v = htons((uint16_t)(8 + l4len));
	memcpy(ip + 4, &v, 2);
	ip[6] = 44;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	fh[0] = nh;
	v = htons((uint16_t)(off << 3 | (more ? 1 : 0)));
	memcpy(fh + 2, &v, 2);
	memcpy(fh + 4, "\x12\x34\x56\x78", 4);
	memcpy(fh + 8, l4, l4len);
	return sizeof(*eth) + 48 + l4len;
}

int main(int argc, char **argv)
{
	struct ax_addr_key ak = { .family = AX_AF_INET };
	struct ax_addr_val av = { 0 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *m;
	uint8_t frame[256], l4[128];
	struct outcome o;
	size_t n, len;

	if (argc != 2) {
		fprintf(stderr, "usage: xdp_testrun OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "xdp_testrun: cannot open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* Private maps: nothing pinned, nothing shared with a running axnet. */
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "xdp_testrun: cannot load %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	prog = bpf_object__find_program_by_name(obj, "axnet_xdp");
	m = bpf_object__find_map_by_name(obj, "stats");
	if (!prog || !m) {
		fprintf(stderr, "xdp_testrun: %s has no axnet_xdp program or stats map\n", argv[1]);
		return 2;
	}
	prog_fd = bpf_program__fd(prog);
	stats_fd = bpf_map__fd(m);
	stats_vsz = bpf_map__value_size(m);
	config_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "config"));
	inet_pton(AF_INET, OUR_IP, ak.addr);
	if (bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "addrs")), &ak, &av,
				BPF_ANY) < 0 ||
	    set_config(1000000, 1000000) < 0) {
		fprintf(stderr, "xdp_testrun: cannot fill the maps: %s\n", strerror(errno));
		return 2;
	}

	/* A non-first fragment carries no ports: it may not skip the
	 * verdict check. It goes to the engine, which checks the whole
	 * datagram after reassembly (frag.c, the l4_filter). Here the tail
	 * of an ACK of an unknown flow (offset 8 bytes, last fragment). */
	n = tcp_seg(l4, 0x10, 12);
	len = ipv4_frame(frame, "10.9.8.10", OUR_IP, IPPROTO_TCP, 1, l4 + 8, n - 8);
	case_fragment_to_axnet("non-first fragment of an unknown-flow ACK", frame, len);
	len = ipv4_frame(frame, "10.9.8.11", OUR_IP, IPPROTO_TCP, IP_MF, l4, 8 * 2);
	case_fragment_to_axnet("first fragment of an unknown-flow ACK", frame, len);
	n = tcp_seg(l4, 0x02, 20);
	len = ipv4_frame(frame, "10.9.8.12", OUR_IP, IPPROTO_TCP, IP_MF, l4, 8);
	case_fragment_to_axnet("tiny first fragment of a SYN (8 bytes of TCP)", frame, len);
	len = ipv4_frame(frame, "10.9.8.12", OUR_IP, IPPROTO_UDP, 2, l4, 16);
	case_fragment_to_axnet("non-first fragment of a UDP datagram", frame, len);

	/* Each fragment spends a token of its source's bucket: a burst of
	 * 10 at 1 a second lets exactly 10 of 100 through (IPv4 and IPv6). */
	if (set_config(1, 10) < 0)
		return 2;
	len = ipv4_frame(frame, "10.9.8.17", OUR_IP, IPPROTO_UDP, 2, l4, 16);
	run(frame, len, 100, &o);
	expect("IPv4 fragments, burst 10: reached axnet", o.d.v[FIELD(no_xsk)], 10);
	expect("IPv4 fragments, burst 10: xdp frag", o.d.v[FIELD(frag)], 10);
	expect("IPv4 fragments, burst 10: XDP_DROP", o.drop, 90);
	expect("IPv4 fragments, burst 10: xdp frag_dropped", o.d.v[FIELD(frag_dropped)], 90);
	expect_balanced("IPv4 fragments over the rate", &o);
	{
		struct ax_addr_key ak6 = { .family = AX_AF_INET6 };

		inet_pton(AF_INET6, "fd00:9::2", ak6.addr);
		if (bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "addrs")),
					&ak6, &av, BPF_ANY) < 0)
			return 2;
	}
	len = ipv6_frag_frame(frame, "fd00:9::10", "fd00:9::2", IPPROTO_UDP, 1, 0, l4, 16);
	run(frame, len, 100, &o);
	expect("IPv6 fragments, burst 10: reached axnet", o.d.v[FIELD(no_xsk)], 10);
	expect("IPv6 fragments, burst 10: xdp frag", o.d.v[FIELD(frag)], 10);
	expect("IPv6 fragments, burst 10: xdp frag_dropped", o.d.v[FIELD(frag_dropped)], 90);
	expect_balanced("IPv6 fragments over the rate", &o);
	len = ipv6_frag_frame(frame, "fd00:9::11", "fd00:9::2", 47, 0, 1, l4, 16);
	run(frame, len, 10, &o);
	expect("IPv6 fragment of GRE: xdp proto_dropped", o.d.v[FIELD(proto_dropped)], 10);
	if (set_config(1000000, 1000000) < 0)
		return 2;

	/* Fragments for another address are the kernel's to reassemble. */
	len = ipv4_frame(frame, "10.9.8.13", OTHER_IP, IPPROTO_TCP, 1, l4 + 8, n - 8);
	run(frame, len, RUNS, &o);
	expect("fragment for another address: XDP_PASS", o.pass, RUNS);
	expect("fragment for another address: xdp passed - no_xsk (the kernel's)",
	       o.d.v[FIELD(passed)] - o.d.v[FIELD(no_xsk)], RUNS);
	expect("fragment for another address: xdp frag", o.d.v[FIELD(frag)], 0);

	/* A protocol the engine does not run (GRE) for axnet: dropped. */
	len = ipv4_frame(frame, "10.9.8.14", OUR_IP, 47, 0, l4, 24);
	run(frame, len, RUNS, &o);
	expect("GRE for axnet: XDP_DROP", o.drop, RUNS);
	expect("GRE for axnet: xdp proto_dropped", o.d.v[FIELD(proto_dropped)], RUNS);
	expect_balanced("GRE for axnet", &o);

	/* An unfragmented ACK of an unknown flow still goes to the engine
	 * (for its RST), within its source's limit. */
	n = tcp_seg(l4, 0x10, 0);
	len = ipv4_frame(frame, "10.9.8.15", OUR_IP, IPPROTO_TCP, 0, l4, n);
	run(frame, len, RUNS, &o);
	expect("unknown-flow ACK, unfragmented: reached axnet (no_xsk)", o.d.v[FIELD(no_xsk)],
	       RUNS);
	expect("unknown-flow ACK, unfragmented: xdp flow_unknown", o.d.v[FIELD(flow_unknown)],
	       RUNS);

	ipv6_group_cases(bpf_map__fd(bpf_object__find_map_by_name(obj, "addrs")));

	/* ICMP takes a token of its source's bucket: a burst of 10 at 1 a
	 * second, so of 100 echo requests in well under a second exactly 10
	 * reach axnet. */
	if (set_config(1, 10) < 0)
		return 2;
	l4[0] = 8; /* echo request */
	memset(l4 + 1, 0, 15);
	len = ipv4_frame(frame, "10.9.8.16", OUR_IP, IPPROTO_ICMP, 0, l4, 16);
	run(frame, len, 100, &o);
	expect("ICMP echo, burst 10: reached axnet", o.d.v[FIELD(no_xsk)], 10);
	expect("ICMP echo, burst 10: xdp icmp", o.d.v[FIELD(icmp)], 10);
	expect("ICMP echo, burst 10: XDP_DROP", o.drop, 90);
	expect("ICMP echo, burst 10: xdp slow_path_limited", o.d.v[FIELD(slow_path_limited)], 90);
	expect_balanced("ICMP echo", &o);

	bpf_object__close(obj);
	printf("%s\n", failures ? "xdp_testrun: FAILED" : "xdp_testrun: all cases passed");
	return failures ? 1 : 0;
}
