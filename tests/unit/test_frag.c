/*
 * test_frag.c - reassembly (frag.c), both families: order, overlaps at each
 * edge (RFC 5722), duplicates, tiny first fragments, oversize, too many,
 * timeouts, the pool under a one-source flood, the l4_filter, and an
 * IPv4 fragmented echo request through the whole stack.
 *
 * Fragments are fed through frag_input() with headers built here (the
 * IPv6 input that calls it is another module's); every case checks the
 * exact counters and the rebuilt packet's bytes.
 */
#include "ip6_helper.h"
#include "testlib.h"

#include "net/frag.h"

static struct fake_host H;
static uint8_t dgram[70000]; /* the L4 payload being cut */
static uint8_t hdr[64];

#define SRC_A FAKE_PEER_IP
#define SRC_B FAKE_OTHER_IP

static int setup(void)
{
	size_t i;

	if (fake_host_init(&H))
		return -1;
	for (i = 0; i < sizeof(dgram); i++)
		dgram[i] = (uint8_t)(i * 7 + 3);
	/* A UDP header at the start: ports 4000 -> 53. */
	fake_put16(dgram, 4000);
	fake_put16(dgram + 2, 53);
	fake_mark(&H);
	return 0;
}

static struct ip_addr v6addr(uint8_t last)
{
	struct ip_addr a = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last } };

	return a;
}

/* An IPv4 fragment of dgram: data [off, off+len) of a datagram id from
 * src, protocol proto. Returns frag_input()'s result. */
static int feed4(uint32_t src, uint16_t id, uint8_t proto, uint32_t off, size_t len,
		 int more, struct ip_rx *rx)
{
	struct frag_in f = { 0 };

	fake_ipv4(hdr, src, FAKE_OUR_IP, proto, 0, len);
	fake_put16(hdr + 4, id);
	fake_put16(hdr + 6, (uint16_t)((more ? IP_FLAG_MF : 0) | (off / 8)));
	fake_ipv4_fix_csum(hdr);
	f.src = ip_addr_v4(src);
	f.dst = ip_addr_v4(FAKE_OUR_IP);
	f.id = id;
	f.offset = off;
	f.more = (uint8_t)more;
	f.family = 4;
	f.proto = proto;
	f.hdr = hdr;
	f.hdr_len = 20;
	f.data = dgram + off;
	f.len = len;
	return frag_input(&H.s, &f, rx);
}

/* An IPv6 fragment: fixed header (Next Header 44) then the fragment. */
static int feed6(uint8_t src, uint32_t id, uint8_t proto, uint32_t off, size_t len,
		 int more, struct ip_rx *rx)
{
	struct frag_in f = { 0 };
	struct ip_addr s6 = v6addr(src), d6 = v6addr(1);

	memset(hdr, 0, 40);
	hdr[0] = 0x60;
	fake_put16(hdr + 4, (uint16_t)(8 + len));
	hdr[6] = 44;
	hdr[7] = 64;
	memcpy(hdr + 8, s6.b, 16);
	memcpy(hdr + 24, d6.b, 16);
	f.src = s6;
	f.dst = d6;
	f.id = id;
	f.offset = off;
	f.more = (uint8_t)more;
	f.family = 6;
	f.proto = proto;
	f.hdr = hdr;
	f.hdr_len = 40;
	f.nh_off = 6;
	f.data = dgram + off;
	f.len = len;
	return frag_input(&H.s, &f, rx);
}

/* 4008 bytes in 1480-byte fragments (Ethernet's), in order: one datagram
 * whose header says so and whose bytes are the sent ones. */
TEST(v4_in_order)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed4(SRC_A, 7, 17, 0, 1480, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 7, 17, 1480, 1480, 1, &rx), 0);
	CHECK_EQ(frag_bufs_used(&H.s), 1);
	REQUIRE(feed4(SRC_A, 7, 17, 2960, 1048, 0, &rx) == 1);
	CHECK_EQ(rx.family, 4);
	CHECK_EQ(rx.proto, 17);
	CHECK_EQ(rx.reassembled, 1);
	CHECK_EQ(rx.net_len, 20 + 4008);
	CHECK_EQ(rx.l4_len, 4008);
	CHECK(rx.l4 == rx.net + 20);
	CHECK_EQ(fake_get16(rx.net + 2), 20 + 4008);
	CHECK_EQ(fake_get16(rx.net + 6), 0);
	CHECK_EQ(fake_get16(rx.net + 4), 7);
	CHECK_EQ(fake_csum(rx.net, 20), 0);
	CHECK(ip_addr_is_v4(&rx.src));
	CHECK_EQ(ip_addr_get_v4(&rx.src), SRC_A);
	CHECK_EQ(ip_addr_get_v4(&rx.dst), FAKE_OUR_IP);
	CHECK_MEM(rx.l4, dgram, 4008);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 3 }, { AX_C_frag_reassembled, 1 },
		  { AX_C_frag_bufs_peak, 1 });
}

/* The same in reverse order over IPv6: the fragment header is gone, the
 * fixed header's Next Header is the fragment's, Payload Length the sum. */
TEST(v6_reverse)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed6(2, 0xdeadbeef, 17, 2464, 1544, 0, &rx), 0);
	CHECK_EQ(feed6(2, 0xdeadbeef, 17, 1232, 1232, 1, &rx), 0);
	REQUIRE(feed6(2, 0xdeadbeef, 17, 0, 1232, 1, &rx) == 1);
	CHECK_EQ(rx.family, 6);
	CHECK_EQ(rx.proto, 17);
	CHECK_EQ(rx.net_len, 40 + 4008);
	CHECK_EQ(rx.net[6], 17);
	CHECK_EQ(fake_get16(rx.net + 4), 4008);
	CHECK_EQ(rx.ttl, 64);
	CHECK_MEM(rx.l4, dgram, 4008);
	CHECK_CNT(&H, { AX_C_frag_rx, 3 }, { AX_C_frag_reassembled, 1 },
		  { AX_C_frag_bufs_peak, 1 });
}

/*
 * RFC 5722: a fragment overlapping a held one by a single 8-byte unit at
 * its start, at its end, inside it, around it, or on it with other bytes
 * drops the datagram and every fragment of it still to come; the buffer
 * goes back to the pool. Fragments that only touch are not overlaps.
 */
TEST(overlap_each_edge)
{
	static const struct { uint32_t off, len; } bad[] = {
		{ 1472, 16 },   /* across the held fragment's start */
		{ 2952, 16 },   /* across its end */
		{ 1600, 64 },   /* inside */
		{ 1472, 1496 }, /* around */
		{ 1480, 1480 }, /* the same range, other bytes */
	};
	struct ip_rx rx;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t id = (uint16_t)(100 + i);

		REQUIRE(setup() == 0);
		CHECK_EQ(feed4(SRC_A, id, 17, 1480, 1480, 1, &rx), 0);
		if (i == 4)
			dgram[1500] ^= 0xff;
		CHECK_EQ(feed4(SRC_A, id, 17, bad[i].off, bad[i].len, 1, &rx), 0);
		if (i == 4)
			dgram[1500] ^= 0xff;
		CHECK_EQ(frag_bufs_used(&H.s), 0);
		/* The rest, exactly fitting, comes too late. */
		CHECK_EQ(feed4(SRC_A, id, 17, 0, 1480, 1, &rx), 0);
		CHECK_EQ(feed4(SRC_A, id, 17, 2960, 1048, 0, &rx), 0);
		CHECK_CNT(&H, { AX_C_frag_rx, 4 }, { AX_C_frag_overlap, 1 },
			  { AX_C_frag_dead, 2 }, { AX_C_frag_bufs_peak, 1 });
	}
	/* Touching at both edges: whole. */
	REQUIRE(setup() == 0);
	CHECK_EQ(feed4(SRC_A, 9, 17, 1480, 1480, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 9, 17, 2960, 1048, 0, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 9, 17, 0, 1480, 1, &rx), 1);
	CHECK_CNT(&H, { AX_C_frag_rx, 3 }, { AX_C_frag_reassembled, 1 },
		  { AX_C_frag_bufs_peak, 1 });
}

/* A last fragment that disagrees with one held: ending before data held,
 * or a second last one elsewhere, is an overlap too (IPv6 here). */
TEST(v6_inconsistent_last)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed6(3, 1, 17, 1232, 1232, 1, &rx), 0);
	CHECK_EQ(feed6(3, 1, 17, 0, 1232, 0, &rx), 0);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_overlap, 1 },
		  { AX_C_frag_bufs_peak, 1 });

	fake_mark(&H);
	CHECK_EQ(feed6(3, 2, 17, 2464, 16, 0, &rx), 0);
	CHECK_EQ(feed6(3, 2, 17, 2464, 24, 0, &rx), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_overlap, 1 });
}

/* RFC 5722 4: an exact duplicate (same range, same bytes) is dropped
 * alone and counted; the datagram completes. */
TEST(duplicate_tolerated)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed4(SRC_A, 11, 17, 0, 1480, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 11, 17, 0, 1480, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 11, 17, 1480, 520, 0, &rx), 0 + 1);
	CHECK_MEM(rx.l4, dgram, 2000);
	CHECK_CNT(&H, { AX_C_frag_rx, 3 }, { AX_C_frag_duplicate, 1 },
		  { AX_C_frag_reassembled, 1 }, { AX_C_frag_bufs_peak, 1 });
}

/* RFC 3128 / RFC 7112: a first fragment that cuts the L4 header (TCP in
 * 16 bytes; IPv6 with a destination options header and no L4 header)
 * drops the datagram; 8 bytes hold a UDP header whole. */
TEST(tiny_first_dropped)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed4(SRC_A, 12, 6, 0, 16, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 12, 6, 16, 40, 0, &rx), 0);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_tiny, 1 },
		  { AX_C_frag_dead, 1 }, { AX_C_frag_bufs_peak, 1 });

	fake_mark(&H);
	dgram[0] = 17; /* destination options: next UDP, 8 bytes */
	dgram[1] = 0;
	CHECK_EQ(feed6(4, 5, 60, 0, 8, 1, &rx), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 1 }, { AX_C_frag_tiny, 1 });
	/* With the UDP header in the first fragment, past the options. */
	fake_mark(&H);
	CHECK_EQ(feed6(4, 6, 60, 0, 16, 1, &rx), 0);
	REQUIRE(feed6(4, 6, 60, 16, 40, 0, &rx) == 1);
	CHECK_EQ(rx.proto, 60);
	CHECK_EQ(rx.net[6], 60);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_reassembled, 1 });

	fake_mark(&H);
	CHECK_EQ(feed4(SRC_A, 13, 17, 0, 8, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 13, 17, 8, 8, 0, &rx), 1);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_reassembled, 1 });
}

/* Over 65535 bytes (the ping of death), both families: dropped, with the
 * datagram when it was held. */
TEST(oversize_dropped)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed4(SRC_A, 14, 1, 0, 1480, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 14, 1, 65512, 8, 0, &rx), 0); /* 20+65520 */
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_EQ(feed6(5, 14, 58, 65528, 8, 0, &rx), 0);    /* 8 + 65536 */
	CHECK_CNT(&H, { AX_C_frag_rx, 3 }, { AX_C_frag_oversize, 2 },
		  { AX_C_frag_bufs_peak, 1 });
	/* The largest legal: 20 + 65512 + 3 = 65535 is whole. */
	fake_mark(&H);
	CHECK_EQ(feed4(SRC_A, 15, 17, 65512, 3, 0, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 15, 17, 0, 65512, 1, &rx), 1);
	CHECK_EQ(rx.net_len, 65535);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_reassembled, 1 });
}

/* More than AX_FRAG_MAX_FRAGS fragments: the datagram goes. Malformed
 * fragments (a non-last one not a multiple of 8, an empty one) go alone. */
TEST(too_many_and_malformed)
{
	struct ip_rx rx;
	unsigned int i;

	REQUIRE(setup() == 0);
	for (i = 0; i <= AX_FRAG_MAX_FRAGS; i++)
		CHECK_EQ(feed4(SRC_A, 16, 17, 8 * i, 8, 1, &rx), 0);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, AX_FRAG_MAX_FRAGS + 1 },
		  { AX_C_frag_too_many, 1 }, { AX_C_frag_bufs_peak, 1 });
	fake_mark(&H);
	CHECK_EQ(feed4(SRC_A, 17, 17, 0, 12, 1, &rx), 0);
	CHECK_EQ(feed6(6, 17, 17, 8, 0, 0, &rx), 0);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_malformed, 2 });
}

/* 30 s for IPv4, 60 s for IPv6, from the first fragment; then the
 * buffer is free, the deadline gone, and the source told with a time
 * exceeded (code 1) quoting its first fragment as it came (RFC 792,
 * RFC 8200 4.5: for IPv6 with its fragment header). A reassembly that
 * never had its first fragment times out silently. */
TEST(timeouts)
{
	struct fake_icmp_view v;
	struct ip6_view v6;
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	fake_learn(&H, SRC_A, FAKE_PEER_MAC);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_mark(&H);
	CHECK_EQ(feed4(SRC_A, 18, 17, 0, 8, 1, &rx), 0);
	CHECK_EQ(feed6(2, 0x01020304, 17, 0, 8, 1, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 19, 17, 8, 8, 0, &rx), 0); /* no first fragment */
	CHECK_EQ(frag_next_deadline(&H.s), H.s.now_ns + MS_TO_NS(AX_FRAG_TIMEOUT_V4_MS));
	fake_advance(&H, AX_FRAG_TIMEOUT_V4_MS - 1);
	CHECK_EQ(frag_bufs_used(&H.s), 3);
	CHECK_EQ(H.nif.n, 0);
	fake_advance(&H, 1);
	CHECK_EQ(frag_bufs_used(&H.s), 1);
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_icmp(&H.nif.frames[0], &v) == 0);
	CHECK_EQ(v.type, 11);
	CHECK_EQ(v.code, 1);
	CHECK_EQ(v.dst, SRC_A);
	CHECK(v.icmp_csum_ok);
	CHECK_EQ(v.data_len, 20 + 8);
	CHECK_EQ(fake_get16(v.data + 4), 18);
	CHECK_EQ(fake_get16(v.data + 6), IP_FLAG_MF);
	CHECK_MEM(v.data + 20, dgram, 8);
	fake_mark(&H);
	fake_advance(&H, AX_FRAG_TIMEOUT_V6_MS - AX_FRAG_TIMEOUT_V4_MS);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_EQ(frag_next_deadline(&H.s), UINT64_MAX);
	/* (The IPv4 neighbour, quiet for 60 s, is probed meanwhile.) */
	CHECK_CNT(&H, { AX_C_frag_timeout, 1 }, { AX_C_icmp6_err_tx, 1 }, { AX_C_ip6_tx, 1 },
		  { AX_C_eth_tx, 2 }, { AX_C_arp_requests_tx, 1 }, { AX_C_arp_probes_tx, 1 });
	REQUIRE(H.nif.n == 2);
	REQUIRE(ip6_parse(fake_frame(&H.nif, fake_get16(H.nif.frames[0].data + 12) == 0x86dd ? 0 : 1),
			  &v6) == 0);
	CHECK(v6.csum_ok);
	CHECK(ip_addr_eq(&v6.dst, &ip6_peer_g));
	CHECK_EQ(v6.pl[0], 3);
	CHECK_EQ(v6.pl[1], 1);
	CHECK_EQ(v6.plen, 8 + 40 + 8 + 8);
	CHECK_EQ(v6.pl[8 + 6], 44);                       /* the quote's Next Header */
	CHECK_EQ(v6.pl[8 + 40], 17);                      /* its fragment header */
	CHECK_EQ(fake_get32(v6.pl + 8 + 44), 0x01020304);
	CHECK_MEM(v6.pl + 8 + 48, dgram, 8);
	/* A late last fragment starts afresh, and waits. */
	fake_mark(&H);
	CHECK_EQ(feed4(SRC_A, 18, 17, 8, 8, 0, &rx), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 1 });
}

/*
 * One source floods first fragments of new datagrams: it holds at most
 * AX_FRAG_PER_SRC buffers, evicting only its own oldest; another
 * source's reassembly, started before the flood, completes after it.
 */
TEST(flood_keeps_other_source)
{
	struct ip_rx rx;
	unsigned int i;

	REQUIRE(setup() == 0);
	CHECK_EQ(feed4(SRC_B, 1, 17, 0, 1480, 1, &rx), 0);
	for (i = 0; i < 1000; i++) {
		CHECK_EQ(feed4(SRC_A, (uint16_t)i, 17, 0, 8, 1, &rx), 0);
		if (frag_bufs_used(&H.s) > AX_FRAG_PER_SRC + 1)
			break;
	}
	CHECK_EQ(frag_bufs_used(&H.s), AX_FRAG_PER_SRC + 1);
	REQUIRE(feed4(SRC_B, 1, 17, 1480, 8, 0, &rx) == 1);
	CHECK_MEM(rx.l4, dgram, 1488);
	CHECK_CNT(&H, { AX_C_frag_rx, 1002 }, { AX_C_frag_reassembled, 1 },
		  { AX_C_frag_evicted, 1000 - AX_FRAG_PER_SRC },
		  { AX_C_frag_bufs_peak, AX_FRAG_PER_SRC + 1 });
}

/* A full pool of sources within their share: the new reassembly takes
 * the oldest buffer of the source holding most. */
TEST(pool_full_evicts_biggest_holder)
{
	struct ip_rx rx;
	unsigned int i, k;

	REQUIRE(setup() == 0);
	/* Sources 10.0.0.10.. hold their full share; the first holds it
	 * from the earliest time. */
	for (k = 0; k < AX_FRAG_BUFS / AX_FRAG_PER_SRC; k++)
		for (i = 0; i < AX_FRAG_PER_SRC; i++) {
			stack_set_time(&H.s, H.s.now_ns + 1000);
			CHECK_EQ(feed4(FAKE_IP(10, 0, 0, 10 + k), (uint16_t)i, 17, 0, 8, 1, &rx), 0);
		}
	CHECK_EQ(frag_bufs_used(&H.s), AX_FRAG_BUFS);
	CHECK_EQ(feed4(SRC_B, 1, 17, 0, 8, 1, &rx), 0);
	CHECK_EQ(frag_bufs_used(&H.s), AX_FRAG_BUFS);
	/* 10.0.0.10's first datagram was the one to go: its last fragment
	 * starts a new reassembly, which takes the oldest of a source now
	 * holding more than 10.0.0.10 (10.0.0.11's first). */
	CHECK_EQ(feed4(FAKE_IP(10, 0, 0, 10), 0, 17, 8, 8, 0, &rx), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, AX_FRAG_BUFS + 2 }, { AX_C_frag_evicted, 2 },
		  { AX_C_frag_bufs_peak, AX_FRAG_BUFS });
}

static struct {
	unsigned int calls;
	uint16_t sport, dport;
	int syn;
	int verdict;
	uint8_t proto;
} filt;

static int l4_filter(void *arg, const struct ip_rx *rx, uint16_t sport, uint16_t dport,
		     int syn)
{
	(void)arg;
	filt.proto = rx->proto;
	filt.calls++;
	filt.sport = sport;
	filt.dport = dport;
	filt.syn = syn;
	return filt.verdict;
}

/* The whole datagram meets the l4_filter with its ports: refused, it is
 * dropped and counted; a TCP SYN is told as one. */
TEST(l4_filter_after_reassembly)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	H.s.l4_filter = l4_filter;
	memset(&filt, 0, sizeof(filt));
	CHECK_EQ(feed4(SRC_A, 20, 17, 8, 8, 0, &rx), 0);
	CHECK_EQ(feed4(SRC_A, 20, 17, 0, 8, 1, &rx), 0);
	CHECK_EQ(filt.calls, 1);
	CHECK_EQ(filt.sport, 4000);
	CHECK_EQ(filt.dport, 53);
	CHECK_EQ(filt.syn, 0);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_filtered, 1 },
		  { AX_C_frag_bufs_peak, 1 });

	fake_mark(&H);
	filt.verdict = 1;
	dgram[13] = 0x02; /* SYN */
	CHECK_EQ(feed6(8, 21, 6, 0, 24, 1, &rx), 0);
	CHECK_EQ(feed6(8, 21, 6, 24, 8, 0, &rx), 1);
	CHECK_EQ(filt.calls, 2);
	CHECK_EQ(filt.syn, 1);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_reassembled, 1 });
	H.s.l4_filter = NULL;
}

/* RFC 8200 4.1: a Destination Options header may follow the fragment
 * header. The l4_filter is asked about the upper-layer protocol whose
 * ports it is given (UDP here), not about the options header: a filter
 * that lets non-TCP/UDP protocols pass (the daemon's) must not wave a
 * UDP datagram through because of the header in front of it. */
TEST(l4_filter_sees_l4_behind_dest_opts)
{
	struct ip_rx rx;

	REQUIRE(setup() == 0);
	H.s.l4_filter = l4_filter;
	memset(&filt, 0, sizeof(filt));
	dgram[0] = 17; /* Destination Options: Next Header UDP, 8 bytes */
	dgram[1] = 0;
	dgram[2] = 1; /* PadN, 4 bytes */
	dgram[3] = 4;
	memset(dgram + 4, 0, 4);
	fake_put16(dgram + 8, 4000);
	fake_put16(dgram + 10, 53);
	CHECK_EQ(feed6(9, 30, 60, 16, 16, 0, &rx), 0);
	CHECK_EQ(feed6(9, 30, 60, 0, 16, 1, &rx), 0);
	CHECK_EQ(filt.calls, 1);
	CHECK_EQ(filt.proto, 17);
	CHECK_EQ(filt.sport, 4000);
	CHECK_EQ(filt.dport, 53);
	CHECK_EQ(frag_bufs_used(&H.s), 0);
	CHECK_CNT(&H, { AX_C_frag_rx, 2 }, { AX_C_frag_filtered, 1 },
		  { AX_C_frag_bufs_peak, 1 });
	H.s.l4_filter = NULL;
}

/* Through the stack: an echo request of 1200 bytes in two IPv4 fragments
 * (the second first) is answered, whole, once. */
TEST(v4_echo_through_stack)
{
	static uint8_t f[2048], icmp[1300];
	struct fake_icmp_view v;
	size_t n, hl;

	REQUIRE(setup() == 0);
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	n = fake_icmp_echo(icmp, ICMP_ECHO_REQUEST, 0x77, 3, dgram, 1192);
	CHECK_EQ(n, 1200);
	/* second: bytes 800..1199 */
	hl = fake_eth(f, FAKE_OUR_MAC, FAKE_PEER_MAC, ETHTYPE_IPV4);
	fake_ipv4(f + hl, FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 0, 400);
	fake_put16(f + hl + 6, 800 / 8);
	fake_ipv4_fix_csum(f + hl);
	memcpy(f + hl + 20, icmp + 800, 400);
	fake_rx(&H, f, hl + 420);
	CHECK_EQ(H.nif.n, 0);
	fake_ipv4(f + hl, FAKE_PEER_IP, FAKE_OUR_IP, IP_PROTO_ICMP, 0, 800);
	fake_put16(f + hl + 6, IP_FLAG_MF);
	fake_ipv4_fix_csum(f + hl);
	memcpy(f + hl + 20, icmp, 800);
	fake_rx(&H, f, hl + 820);
	REQUIRE(H.nif.n == 1);
	REQUIRE(fake_parse_icmp(&H.nif.frames[0], &v) == 0);
	CHECK_EQ(v.type, ICMP_ECHO_REPLY);
	CHECK_EQ(v.id, 0x77);
	CHECK_EQ(v.data_len, 1192);
	CHECK_MEM(v.data, dgram, 1192);
	CHECK(v.icmp_csum_ok);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip_rx, 2 }, { AX_C_frag_rx, 2 },
		  { AX_C_frag_reassembled, 1 }, { AX_C_frag_bufs_peak, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_icmp_echo_reply_tx, 1 }, { AX_C_ip_tx, 1 }, { AX_C_eth_tx, 1 });
}

static struct fake_host P; /* a peer running axnet too */
static struct {
	unsigned int calls;
	size_t len;
	uint8_t data[8192];
} echo;

static void on_echo_reply(void *arg, const struct icmp_echo_reply *r)
{
	(void)arg;
	echo.calls++;
	echo.len = r->data_len;
	if (r->data_len <= sizeof(echo.data))
		memcpy(echo.data, r->data, r->data_len);
}

/* Hand every frame one host sent to the other. */
static void wire(struct fake_host *from, struct fake_host *to)
{
	unsigned int i, n = from->nif.n;

	for (i = 0; i < n && i < FAKE_MAX_FRAMES; i++)
		fake_rx(to, from->nif.frames[i].data, from->nif.frames[i].len);
	fake_netif_clear(&from->nif);
}

/* `axnet ping -s 4000` at MTU 1500 between two stacks: the request
 * leaves in three fragments (1480, 1480, 1048 bytes, one id, MF on the
 * first two), the peer reassembles it and answers in fragments, and
 * the reply, reassembled, carries the 4000 bytes sent. */
TEST(v4_ping_4000_both_ways)
{
	static uint8_t arp[64];
	const uint8_t *ip;
	size_t n;

	REQUIRE(setup() == 0);
	fake_learn(&H, FAKE_PEER_IP, FAKE_PEER_MAC);
	fake_netif_init(&P.nif, FAKE_PEER_MAC);
	REQUIRE(stack_init(&P.s, &P.nif.netif, FAKE_PEER_IP, FAKE_PREFIX, 0) == 0);
	stack_set_time(&P.s, MS_TO_NS(1000));
	n = fake_arp(arp, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_OUR_MAC, FAKE_OUR_IP,
		     FAKE_ZERO_MAC, FAKE_PEER_IP);
	fake_rx(&P, arp, n);
	fake_netif_clear(&P.nif);
	fake_mark(&P);
	memset(&echo, 0, sizeof(echo));
	H.s.echo_reply_cb = on_echo_reply;

	REQUIRE(stack_ping(&H.s, FAKE_PEER_IP, 9, 1, dgram, 4000) == 0);
	REQUIRE(H.nif.n == 3);
	ip = H.nif.frames[0].data + ETH_HLEN_AX;
	CHECK_EQ(fake_get16(ip + 2), 1500);
	CHECK_EQ(fake_get16(ip + 6), IP_FLAG_MF);
	ip = H.nif.frames[1].data + ETH_HLEN_AX;
	CHECK_EQ(fake_get16(ip + 2), 1500);
	CHECK_EQ(fake_get16(ip + 6), IP_FLAG_MF | 185);
	ip = H.nif.frames[2].data + ETH_HLEN_AX;
	CHECK_EQ(fake_get16(ip + 2), 20 + 4008 - 2960);
	CHECK_EQ(fake_get16(ip + 6), 370);
	CHECK_EQ(fake_get16(ip + 4), fake_get16(H.nif.frames[0].data + ETH_HLEN_AX + 4));
	CHECK_EQ(fake_csum(ip, 20), 0);
	CHECK_CNT(&H, { AX_C_ip_tx, 3 }, { AX_C_eth_tx, 3 }, { AX_C_frag_tx, 3 },
		  { AX_C_frag_tx_datagrams, 1 }, { AX_C_icmp_echo_tx, 1 });
	wire(&H, &P);
	fake_mark(&H);
	CHECK_EQ(P.nif.n, 3);
	CHECK_CNT(&P, { AX_C_eth_rx, 3 }, { AX_C_ip_rx, 3 }, { AX_C_frag_rx, 3 },
		  { AX_C_frag_reassembled, 1 }, { AX_C_frag_bufs_peak, 1 },
		  { AX_C_icmp_rx, 1 }, { AX_C_icmp_echo_rx, 1 },
		  { AX_C_icmp_echo_reply_tx, 1 }, { AX_C_ip_tx, 3 }, { AX_C_eth_tx, 3 },
		  { AX_C_frag_tx, 3 }, { AX_C_frag_tx_datagrams, 1 });
	wire(&P, &H);
	CHECK_EQ(echo.calls, 1);
	CHECK_EQ(echo.len, 4000);
	CHECK_MEM(echo.data, dgram, 4000);
	H.s.echo_reply_cb = NULL;
	stack_fini(&P.s);
}

/* The same over IPv6 (RFC 8200 4.5): the request leaves in fragments
 * of the link MTU with a fragment header each (1232 + 1448 ... bytes of
 * data: 1500 - 40 - 8 rounded down to 8 is 1448), the peer reassembles
 * and answers in fragments, and the reply carries the 4000 bytes. */
TEST(v6_ping_4000_both_ways)
{
	struct ip_addr ll = ip6_ll(FAKE_PEER_MAC);
	unsigned int i;
	size_t total = 0;

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_netif_init(&P.nif, FAKE_PEER_MAC);
	REQUIRE(stack_init(&P.s, &P.nif.netif, FAKE_PEER_IP, FAKE_PREFIX, 0) == 0);
	stack_set_time(&P.s, MS_TO_NS(1000));
	REQUIRE(stack_addr_add(&P.s, &ll, 64, STACK_ADDR_F_LINKLOCAL) == 0);
	REQUIRE(stack_addr_add(&P.s, &ip6_peer_g, 64, STACK_ADDR_F_STATIC) == 0);
	fake_advance(&P, AX_ND_DAD_WAIT_MS);
	REQUIRE(stack_addr_local(&P.s, &ip6_peer_g) != NULL);
	ip6_learn(&P, &ip6_our_g, FAKE_OUR_MAC);
	fake_mark(&P);
	fake_mark(&H);
	memset(&echo, 0, sizeof(echo));
	H.s.echo_reply_cb = on_echo_reply;

	REQUIRE(icmp6_send_echo(&H.s, &ip6_peer_g, 9, 1, dgram, 4000) == 0);
	REQUIRE(H.nif.n == 3);
	for (i = 0; i < 3; i++) {
		const uint8_t *ip = H.nif.frames[i].data + ETH_HLEN_AX;
		uint16_t fo = fake_get16(ip + 42);

		CHECK_EQ(ip[6], 44);
		CHECK_EQ(ip[40], 58);
		CHECK_EQ(fo & 0xfff8, total);
		CHECK_EQ(fo & 1, i < 2);
		CHECK_EQ(fake_get32(ip + 44), fake_get32(H.nif.frames[0].data + ETH_HLEN_AX + 44));
		total += fake_get16(ip + 4) - 8u;
		if (i < 2)
			CHECK_EQ(fake_get16(ip + 4), 8 + 1448);
	}
	CHECK_EQ(total, 4008);
	CHECK_CNT(&H, { AX_C_ip6_tx, 3 }, { AX_C_eth_tx, 3 }, { AX_C_frag_tx, 3 },
		  { AX_C_frag_tx_datagrams, 1 }, { AX_C_icmp6_echo_tx, 1 });
	wire(&H, &P);
	fake_mark(&H);
	CHECK_EQ(P.nif.n, 3);
	CHECK_EQ(P.s.cnt[AX_C_frag_reassembled], 1);
	CHECK_EQ(P.s.cnt[AX_C_icmp6_echo_reply_tx], 1);
	wire(&P, &H);
	CHECK_EQ(echo.calls, 1);
	CHECK_EQ(echo.len, 4000);
	CHECK_MEM(echo.data, dgram, 4000);
	CHECK_EQ(H.s.cnt[AX_C_frag_reassembled] - H.mark[AX_C_frag_reassembled], 1);
	H.s.echo_reply_cb = NULL;
	stack_fini(&P.s);
}

/* An ICMPv6 packet too big from a router saying mtu, quoting the IPv6
 * packet q/qlen (cut at 1232 bytes, as RFC 4443 3.2 has it). */
static void rx_ptb(uint32_t mtu, const uint8_t *q, size_t qlen)
{
	static uint8_t m[1300];
	struct ip_addr router = v6addr(0xfe);

	if (qlen > 1232)
		qlen = 1232;
	memset(m, 0, 8);
	m[0] = 2;
	fake_put32(m + 4, mtu);
	memcpy(m + 8, q, qlen);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_GW_MAC, &router, &ip6_our_g, 64, m, 8 + qlen);
}

/*
 * RFC 8201 with RFC 4443 3.2: a packet too big quoting an echo request we
 * sent lowers the path MTU to its destination (never below 1280, even when
 * it says 600), and the next large echo leaves in fragments of it; a
 * larger MTU changes nothing; a quote from an address not ours, or of TCP
 * (no IPv6 connection to check it against, RFC 5927), is ignored and
 * counted.
 */
TEST(v6_packet_too_big_lowers_path_mtu)
{
	static uint8_t q[1500];
	size_t qlen;

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_mark(&H);
	REQUIRE(icmp6_send_echo(&H.s, &ip6_peer_g, 5, 1, dgram, 1400) == 0);
	REQUIRE(H.nif.n == 1);
	CHECK_EQ(H.nif.frames[0].len, 14 + 40 + 8 + 1400);
	qlen = H.nif.frames[0].len - 14;
	memcpy(q, H.nif.frames[0].data + 14, qlen);
	CHECK_EQ(pmtu_get(&H.s, &ip6_peer_g), 1500);

	fake_mark(&H);
	rx_ptb(600, q, qlen);
	CHECK_EQ(H.s.cnt[AX_C_frag_pmtu_lowered] - H.mark[AX_C_frag_pmtu_lowered], 1);
	CHECK_EQ(H.s.cnt[AX_C_icmp6_ptb_rx] - H.mark[AX_C_icmp6_ptb_rx], 1);
	CHECK_EQ(pmtu_get(&H.s, &ip6_peer_g), 1280);
	CHECK_EQ(H.nif.n, 0);
	fake_mark(&H);
	REQUIRE(icmp6_send_echo(&H.s, &ip6_peer_g, 5, 2, dgram, 1400) == 0);
	REQUIRE(H.nif.n == 2);
	CHECK_EQ(H.nif.frames[0].len, 14 + 1280);
	CHECK_EQ(H.nif.frames[0].data[14 + 6], 44);
	CHECK_CNT(&H, { AX_C_ip6_tx, 2 }, { AX_C_eth_tx, 2 }, { AX_C_frag_tx, 2 },
		  { AX_C_frag_tx_datagrams, 1 }, { AX_C_icmp6_echo_tx, 1 });

	/* Larger: nothing. Not from us, or TCP: rejected. */
	fake_mark(&H);
	rx_ptb(1400, q, qlen);
	CHECK_EQ(pmtu_get(&H.s, &ip6_peer_g), 1280);
	CHECK_EQ(H.s.cnt[AX_C_frag_pmtu_lowered] - H.mark[AX_C_frag_pmtu_lowered], 0);
	q[8 + 15] ^= 0x55; /* the quote's source: not one of ours */
	rx_ptb(1300, q, qlen);
	q[8 + 15] ^= 0x55;
	q[6] = 6; /* TCP */
	rx_ptb(1300, q, qlen);
	CHECK_EQ(H.s.cnt[AX_C_frag_pmtu_rejected] - H.mark[AX_C_frag_pmtu_rejected], 2);
	CHECK_EQ(H.s.cnt[AX_C_frag_pmtu_lowered] - H.mark[AX_C_frag_pmtu_lowered], 0);
	CHECK_EQ(pmtu_get(&H.s, &ip6_peer_g), 1280);
}

/* RFC 6980 5: a neighbor solicitation for our address that came in two
 * fragments is reassembled, then ignored (counted), never answered; the
 * same solicitation whole is answered. */
TEST(v6_nd_in_fragments_ignored)
{
	static uint8_t ns[64], pl[64], f[256];
	size_t n, len;

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	n = ip6_ns(ns, &ip6_our_g, FAKE_PEER_MAC);
	ip6_icmp_fix(ns, n, &ip6_peer_g, &ip6_our_g);
	/* fragment header (Next Header 58, id 77), the first 16 bytes */
	memset(pl, 0, 8);
	pl[0] = 58;
	pl[3] = 1;
	fake_put32(pl + 4, 77);
	memcpy(pl + 8, ns, 16);
	len = ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 44, 255, pl, 24);
	fake_rx(&H, f, len);
	pl[3] = 16; /* offset 16, last */
	memcpy(pl + 8, ns + 16, n - 16);
	len = ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 44, 255, pl,
			8 + n - 16);
	fake_rx(&H, f, len);
	CHECK_EQ(H.nif.n, 0);
	CHECK_CNT(&H, { AX_C_eth_rx, 2 }, { AX_C_ip6_rx, 2 }, { AX_C_frag_rx, 2 },
		  { AX_C_frag_reassembled, 1 }, { AX_C_frag_bufs_peak, 1 }, { AX_C_icmp6_rx, 1 },
		  { AX_C_frag_nd_ignored, 1 });
	fake_mark(&H);
	ip6_rx_icmp(&H, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 255, ns, n);
	CHECK_EQ(H.nif.n, 1);
}

/* RFC 8200 4.5: the reassembled packet's unfragmentable part is the first
 * fragment's. Here the first fragment carries a destination options
 * header before its fragment header and the last (arriving last) does
 * not: the echo request is still found after the first fragment's
 * headers, and answered. */
TEST(v6_first_fragment_headers_kept)
{
	static uint8_t icmp[64], pl[128], f[256];
	size_t n, len;

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_mark(&H);
	n = ip6_echo(icmp, ICMP6_ECHO_REQUEST, 0x1234, 7, 24);
	ip6_icmp_fix(icmp, n, &ip6_peer_g, &ip6_our_g);
	REQUIRE(n == 32);
	/* destination options (Next Header 44, PadN), fragment header */
	memset(pl, 0, 16);
	pl[0] = 44;
	pl[2] = 1;
	pl[3] = 4;
	pl[8] = 58;
	pl[11] = 1;
	fake_put32(pl + 12, 99);
	memcpy(pl + 16, icmp, 16);
	len = ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 60, 64, pl, 32);
	fake_rx(&H, f, len);
	memset(pl, 0, 8);
	pl[0] = 58;
	pl[3] = 16;
	fake_put32(pl + 4, 99);
	memcpy(pl + 8, icmp + 16, 16);
	len = ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 44, 64, pl, 24);
	fake_rx(&H, f, len);
	CHECK_EQ(H.s.cnt[AX_C_frag_reassembled] - H.mark[AX_C_frag_reassembled], 1);
	CHECK_EQ(H.s.cnt[AX_C_icmp6_echo_reply_tx] - H.mark[AX_C_icmp6_echo_reply_tx], 1);
	CHECK_EQ(H.nif.n, 1);
}

/* A TCP segment from the peer (fd00::2:40000) to our port 80 over IPv6,
 * with opts (a multiple of 4 bytes). */
static void rx_tcp6(uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opts,
		    size_t olen)
{
	static uint8_t t[64], f[256];
	size_t n = 20 + olen;

	memset(t, 0, 20);
	fake_put16(t, 40000);
	fake_put16(t + 2, 80);
	fake_put32(t + 4, seq);
	fake_put32(t + 8, ack);
	t[12] = (uint8_t)((n / 4) << 4);
	t[13] = flags;
	fake_put16(t + 14, 65535);
	if (olen)
		memcpy(t + 20, opts, olen);
	fake_put16(t + 16, ip6_csum(&ip6_peer_g, &ip6_our_g, 6, t, n));
	fake_rx(&H, f, ip6_frame(f, FAKE_OUR_MAC, FAKE_PEER_MAC, &ip6_peer_g, &ip6_our_g, 6, 64, t,
				 n));
}

/*
 * RFC 8201 with RFC 5927 for TCP over IPv6: a packet too big quoting a
 * segment in flight of a live connection lowers the connection's MSS to
 * the path's (1280 - 40 - 20) and what was in flight leaves again at
 * that size; the same message quoting a sequence number not in flight
 * changes nothing and is counted rejected.
 */
TEST(v6_tcp_packet_too_big_lowers_mss)
{
	static const uint8_t mss1440[4] = { 2, 4, 0x05, 0xa0 };
	static struct fake_tcp_app app;
	static uint8_t q[1600];
	struct tcp_pcb *l;
	uint32_t iss;
	size_t qlen;
	unsigned int i;

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	memset(&app, 0, sizeof(app));
	l = tcp_listen(&H.s, 80, 8, fake_tcp_app_cb(), &app);
	REQUIRE(l != NULL);
	fake_mark(&H);
	rx_tcp6(1000, 0, TH_SYN, mss1440, 4);
	REQUIRE(H.nif.n == 1);
	iss = fake_get32(H.nif.frames[0].data + 14 + 40 + 4);
	fake_mark(&H);
	rx_tcp6(1001, iss + 1, TH_ACK, NULL, 0);
	REQUIRE(app.pcb != NULL);
	CHECK_EQ(app.pcb->mss, 1440);
	fake_mark(&H);
	CHECK_EQ(tcp_write(app.pcb, dgram, 3000), 3000);
	REQUIRE(H.nif.n == 2); /* two full segments; Nagle holds the tail */
	CHECK_EQ(H.nif.frames[0].len, 14 + 40 + 20 + 1440);
	qlen = H.nif.frames[0].len - 14;
	memcpy(q, H.nif.frames[0].data + 14, qlen);

	/* Quoting a sequence number not in flight: nothing. */
	fake_put32(q + 40 + 4, iss + 100000);
	fake_mark(&H);
	rx_ptb(1280, q, qlen);
	CHECK_EQ(H.s.cnt[AX_C_frag_pmtu_rejected] - H.mark[AX_C_frag_pmtu_rejected], 1);
	CHECK_EQ(app.pcb->mss, 1440);
	CHECK_EQ(H.nif.n, 0);
	/* The real quote. */
	fake_put32(q + 40 + 4, iss + 1);
	fake_mark(&H);
	rx_ptb(1280, q, qlen);
	CHECK_EQ(H.s.cnt[AX_C_tcp_pmtu_lowered] - H.mark[AX_C_tcp_pmtu_lowered], 1);
	CHECK_EQ(H.s.cnt[AX_C_frag_pmtu_rejected] - H.mark[AX_C_frag_pmtu_rejected], 0);
	CHECK_EQ(app.pcb->mss, 1280 - 40 - 20);
	CHECK_EQ(pmtu_get(&H.s, &ip6_peer_g), 1280);
	CHECK(H.nif.n >= 3);
	for (i = 0; i < H.nif.n; i++) {
		CHECK(H.nif.frames[i].len <= 14 + 1280);
		CHECK_EQ(H.nif.frames[i].data[14 + 6], 6); /* TCP never fragments */
	}
	CHECK_EQ(fake_get32(H.nif.frames[0].data + 14 + 40 + 4), iss + 1);
	tcp_close(app.pcb);
	tcp_close(l);
	stack_fini(&H.s);
}

static struct {
	unsigned int calls;
	size_t len;
	uint16_t sport;
	int same;
} urx;

static void on_udp(void *arg, const struct ip_addr *src, uint16_t sport, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	(void)arg;
	(void)dport;
	urx.calls++;
	urx.len = len;
	urx.sport = sport;
	urx.same = ip_addr_eq(src, &ip6_our_g) && len <= sizeof(dgram) &&
		   memcmp(data, dgram, len) == 0;
}

/* UDP larger than the MTU over IPv6 leaves in fragments (the checksum over
 * the whole datagram, RFC 8200 8.1), and a peer stack reassembles and
 * delivers all 4000 bytes to its bound port. */
TEST(v6_udp_4000_fragmented)
{
	struct ip_addr ll = ip6_ll(FAKE_PEER_MAC);

	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	fake_netif_init(&P.nif, FAKE_PEER_MAC);
	REQUIRE(stack_init(&P.s, &P.nif.netif, FAKE_PEER_IP, FAKE_PREFIX, 0) == 0);
	stack_set_time(&P.s, MS_TO_NS(1000));
	REQUIRE(stack_addr_add(&P.s, &ll, 64, STACK_ADDR_F_LINKLOCAL) == 0);
	REQUIRE(stack_addr_add(&P.s, &ip6_peer_g, 64, STACK_ADDR_F_STATIC) == 0);
	fake_advance(&P, AX_ND_DAD_WAIT_MS);
	REQUIRE(udp_bind(&P.s, 5353, on_udp, NULL) == 0);
	fake_mark(&P);
	fake_mark(&H);
	memset(&urx, 0, sizeof(urx));
	REQUIRE(udp_sendto(&H.s, NULL, &ip6_peer_g, 4444, 5353, dgram, 4000) == 0);
	REQUIRE(H.nif.n == 3);
	CHECK_EQ(H.nif.frames[0].data[14 + 6], 44);
	CHECK_EQ(H.nif.frames[0].data[14 + 40], 17);
	CHECK_CNT(&H, { AX_C_udp_tx, 1 }, { AX_C_ip6_tx, 3 }, { AX_C_eth_tx, 3 },
		  { AX_C_frag_tx, 3 }, { AX_C_frag_tx_datagrams, 1 });
	wire(&H, &P);
	CHECK_EQ(urx.calls, 1);
	CHECK_EQ(urx.len, 4000);
	CHECK_EQ(urx.sport, 4444);
	CHECK(urx.same);
	CHECK_EQ(P.s.cnt[AX_C_frag_reassembled] - P.mark[AX_C_frag_reassembled], 1);
	CHECK_EQ(P.s.cnt[AX_C_udp_bad_csum] - P.mark[AX_C_udp_bad_csum], 0);
	stack_fini(&P.s);
}

/* The identification of the IPv6 datagram fragmented toward dst by a
 * freshly started stack (stack_fini'd after). */
static void first_id6_to(const struct ip_addr *dst, uint32_t *idp)
{
	uint32_t id;

	*idp = 0;
	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, dst, FAKE_PEER_MAC);
	REQUIRE(udp_sendto(&H.s, NULL, dst, 4444, 5353, dgram, 4000) == 0);
	REQUIRE(H.nif.n == 3);
	REQUIRE(H.nif.frames[0].data[14 + 6] == 44);
	id = fake_get32(H.nif.frames[0].data + 14 + 40 + 4);
	CHECK_EQ(fake_get32(H.nif.frames[2].data + 14 + 40 + 4), id);
	stack_fini(&H.s);
	*idp = id;
}

/* RFC 7739 (and RFC 8200 4.5's note): an IPv6 fragment identification an
 * off-path host cannot predict, or it can slip its own fragment into our
 * datagrams to a third party. Two stacks started at the same clock must
 * not pick the same identification for the same destination (a secret
 * goes into it, as Linux's ipv6_select_ident), and a peer learning the
 * identification we use toward it learns nothing of the next one toward
 * another destination. */
TEST(v6_frag_id_unpredictable)
{
	uint32_t a, b, c, d;

	first_id6_to(&ip6_peer_g, &a);
	first_id6_to(&ip6_peer_g, &b);
	CHECK(a != b);
	/* One stack: toward the peer, then toward another host. */
	REQUIRE(setup() == 0);
	REQUIRE(ip6_host_init(&H) == 0);
	ip6_learn(&H, &ip6_peer_g, FAKE_PEER_MAC);
	ip6_learn(&H, &ip6_far, FAKE_PEER_MAC);
	REQUIRE(stack_route_add(&H.s, &ip6_far, 128, &ip6_peer_g) == 0);
	REQUIRE(udp_sendto(&H.s, NULL, &ip6_peer_g, 4444, 5353, dgram, 4000) == 0);
	REQUIRE(udp_sendto(&H.s, NULL, &ip6_far, 4444, 5353, dgram, 4000) == 0);
	REQUIRE(H.nif.n == 6);
	c = fake_get32(H.nif.frames[0].data + 14 + 40 + 4);
	d = fake_get32(H.nif.frames[3].data + 14 + 40 + 4);
	CHECK(d != c + 0x9e3779b1u && d != c + 1 && d != c);
	stack_fini(&H.s);
}

TEST_MAIN(T(v4_in_order), T(v6_reverse), T(overlap_each_edge), T(v6_inconsistent_last),
	  T(duplicate_tolerated), T(tiny_first_dropped), T(oversize_dropped),
	  T(too_many_and_malformed), T(timeouts), T(flood_keeps_other_source),
	  T(pool_full_evicts_biggest_holder), T(l4_filter_after_reassembly),
	  T(l4_filter_sees_l4_behind_dest_opts),
	  T(v4_echo_through_stack), T(v4_ping_4000_both_ways),
	  T(v6_ping_4000_both_ways), T(v6_packet_too_big_lowers_path_mtu),
	  T(v6_nd_in_fragments_ignored), T(v6_first_fragment_headers_kept),
	  T(v6_tcp_packet_too_big_lowers_mss), T(v6_udp_4000_fragmented),
	  T(v6_frag_id_unpredictable))
