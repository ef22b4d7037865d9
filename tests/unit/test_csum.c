/*
 * test_csum.c - the Internet checksum (csum.c) against RFC 1071 and a
 * plain reference implementation (fake_csum in fake_netif.h).
 */
#include "fake_netif.h"
#include "testlib.h"

#include "net/csum.h"

/* The value to store, as host-order number: csum_fold() works in memory
 * (network) order. */
static uint16_t engine_csum(const void *p, size_t len)
{
	return ntohs(csum_fold(csum_partial(p, len, 0)));
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint8_t)((rng * 0x2545f4914f6cdd1dull) >> 56);
}

/* RFC 1071 3: the worked example, 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
TEST(rfc1071_example)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = csum_fold(csum_partial(b, sizeof(b), 0));
	uint8_t wire[2];

	memcpy(wire, &c, 2);
	/* ~0xddf2 = 0x220d, stored big-endian. */
	CHECK_EQ(wire[0], 0x22);
	CHECK_EQ(wire[1], 0x0d);
	CHECK_EQ(fake_csum(b, sizeof(b)), 0x220d);
}

/* A real IPv4 header (192.168.0.1 -> 192.168.0.199, UDP): checksum b861. */
TEST(ipv4_header_vector)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			0xc0, 0xa8, 0x00, 0xc7 };

	CHECK_EQ(engine_csum(h, sizeof(h)), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	/* RFC 1071 1: the sum over data and its checksum is all ones. */
	CHECK_EQ(csum_fold(csum_partial(h, sizeof(h), 0)), 0);
}

/* RFC 1071 4.1: an odd trailing byte is padded with a zero byte on the
 * right, i.e. it is the high byte of the last word. */
TEST(odd_lengths)
{
	static const uint8_t one[] = { 0x01 };
	static const uint8_t three[] = { 0x01, 0x02, 0x03 };
	static const uint8_t nine[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4,
					0xf5, 0xf6, 0xf7, 0x80 };

	CHECK_EQ(engine_csum(one, 1), 0xfeff);        /* ~0x0100 */
	CHECK_EQ(engine_csum(three, 3), 0xfbfd);      /* ~(0x0102 + 0x0300) */
	CHECK_EQ(engine_csum(nine, 9), 0xa20c); /* ~(0xddf2 + 0x8000) */
	CHECK_EQ(fake_csum(nine, 9), 0xa20c);
}

/* Degenerate sums: nothing, all zeros, all ones (carries all the way). */
TEST(edge_values)
{
	static uint8_t big[65536];
	uint8_t z[2] = { 0 };

	CHECK_EQ(csum_partial(z, 0, 0), 0);
	CHECK_EQ(csum_fold(0), 0xffff);
	CHECK_EQ(csum_fold(0xffffffffu), 0);
	CHECK_EQ(csum_fold(0x0001fffeu), 0);
	CHECK_EQ(engine_csum(z, 2), 0xffff);
	memset(big, 0xff, sizeof(big));
	CHECK_EQ(engine_csum(big, sizeof(big)), 0);
	CHECK_EQ(engine_csum(big, sizeof(big) - 1), 0x00ff);
	CHECK_EQ(fake_csum(big, sizeof(big) - 1), 0x00ff);
	/* A running sum carried in is added like data. */
	CHECK_EQ(csum_fold(csum_partial(z, 0, 0xffffffffu)), 0);
}

/* Any length, any alignment: the engine's word-at-a-time loop agrees with
 * the textbook loop. */
TEST(matches_reference)
{
	static uint8_t buf[2048 + 8];
	size_t off, len, i;
	int bad = 0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rnd8();
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 2048; len += (len < 80 ? 1 : 37))
			if (engine_csum(buf + off, len) !=
			    fake_csum(buf + off, len)) {
				if (!bad++)
					printf("  first mismatch: off %zu len %zu\n",
					       off, len);
			}
	CHECK_EQ(bad, 0);
}

/* A buffer carrying its own checksum folds to 0, whatever its length and
 * wherever the checksum field sits (even offset). */
TEST(self_check_folds_to_zero)
{
	uint8_t buf[301];
	size_t len, i;
	int bad = 0;

	for (len = 2; len <= sizeof(buf); len++) {
		size_t at = ((len - 2) / 2) & ~(size_t)1;
		uint16_t c;

		for (i = 0; i < len; i++)
			buf[i] = rnd8();
		buf[at] = buf[at + 1] = 0;
		c = csum_fold(csum_partial(buf, len, 0));
		memcpy(buf + at, &c, 2);
		if (csum_fold(csum_partial(buf, len, 0)) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

/* Chaining: summing in two pieces split at an even offset equals summing
 * at once (how a pseudo-header is added). */
TEST(partial_chaining)
{
	uint8_t buf[1000];
	size_t split, i;
	int bad = 0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rnd8();
	for (split = 0; split <= 998; split += 2) {
		uint32_t a = csum_partial(buf, split, 0);

		if (csum_fold(csum_partial(buf + split, 999 - split, a)) !=
		    csum_fold(csum_partial(buf, 999, 0)))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

TEST_MAIN(T(rfc1071_example), T(ipv4_header_vector), T(odd_lengths),
	  T(edge_values), T(matches_reference), T(self_check_folds_to_zero),
	  T(partial_chaining))
