/*
 * test_libaxnet_pure.c - libaxnet's pure pieces, no daemon: ring copies
 * across the wrap (and the 2^32 index wrap) from and to iovecs, UDP
 * records as the library lays them out and as the daemon's decoder
 * (daemon/ipc_decode.c, the other side of the wire) reads them back, the
 * epoll ready list, and the option encodings (SO_RCVTIMEO/SO_SNDTIMEO,
 * getsockopt's copy-out).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "testlib.h"

#include "libaxnet/optenc.h"
#include "libaxnet/rdlist.h"
#include "libaxnet/ring.h"
/* The daemon's reader of tx records: what we write, it must accept. */
#include "daemon/ipc_decode.h" /* linked with the engine objects */

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

TEST(ring_copies_across_the_wrap_and_the_index_wrap)
{
	enum { SIZE = 64 };
	uint8_t ring[SIZE], src[100], dst[100];
	uint8_t a[7], b[13], c[40];
	struct iovec in[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	struct iovec out[2] = { { dst, 21 }, { dst + 21, 79 } };
	struct ax_iovcur cur;
	uint32_t idx = 0xFFFFFFF0u; /* 16 bytes before the index wraps; pos 48 */

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	memcpy(a, src, 7);
	memcpy(b, src + 7, 13);
	memcpy(c, src + 20, 40);
	memset(ring, 0, sizeof(ring));
	ax_iovcur_init(&cur, in, 3);
	ax_ring_put(ring, SIZE, idx, &cur, 60);
	/* 16 bytes at the ring's end, 44 from its start. */
	CHECK_MEM(ring + 48, src, 16);
	CHECK_MEM(ring, src + 16, 44);
	CHECK_EQ(cur.i, 3);

	memset(dst, 0, sizeof(dst));
	ax_iovcur_init(&cur, out, 2);
	ax_ring_get(ring, SIZE, idx, &cur, 60);
	CHECK_MEM(dst, src, 60);
	CHECK_EQ(cur.i, 1);
	CHECK_EQ(cur.off, 39);
	/* Free-running indices: the count between them across the wrap. */
	CHECK_EQ((uint32_t)(idx + 60) - idx, 60);
	CHECK_EQ(ax_iov_total(in, 3), 60);
	{
		struct iovec big[2] = { { a, SSIZE_MAX }, { b, 2 } };
		CHECK_EQ(ax_iov_total(big, 2), SIZE_MAX);
	}
}

TEST(dgram_tx_place_pads_to_the_end_or_waits)
{
	uint32_t rec, pad;

	/* Fits where it is. */
	CHECK_EQ(ax_dgram_tx_place(1024, 0, 0, 100, &rec, &pad), AXIPC_DGRAM_SPACE(100));
	CHECK_EQ(rec, 0);
	CHECK_EQ(pad, 0);
	/* 64 bytes left before the end, needs 128: a pad record, then at 0. */
	CHECK_EQ(ax_dgram_tx_place(1024, 960, 900, 100, &rec, &pad), 64 + 128);
	CHECK_EQ(pad, 64);
	CHECK_EQ(rec, 1024);
	/* 16 bytes left: too few for a header, skipped without a record. */
	CHECK_EQ(ax_dgram_tx_place(1024, 1008, 1000, 0, &rec, &pad), 16 + 24);
	CHECK_EQ(pad, 16);
	/* Not enough room: wait. */
	CHECK_EQ(ax_dgram_tx_place(1024, 1000, 100, 100, &rec, &pad), 0);
	/* Larger than the ring: never. */
	CHECK_EQ(ax_dgram_tx_place(1024, 0, 0, 2000, &rec, &pad), 0);
	/* A record that fills the ring exactly, across the index wrap. */
	CHECK_EQ(ax_dgram_tx_place(1024, 0xFFFFFC00u, 0xFFFFFC00u, 1000, &rec, &pad), 1024);
}

/* Write what dgram_send writes (io.c), for the round trip below. */
static uint32_t put_record(uint8_t *ring, uint32_t size, uint32_t prod, uint32_t cons,
			   const uint8_t *payload, uint32_t len, uint16_t port)
{
	struct axipc_dgram d = { .len = len, .port = port, .family = AF_INET };
	struct iovec iov = { (void *)payload, len };
	struct ax_iovcur cur;
	uint32_t rec, pad, need = ax_dgram_tx_place(size, prod, cons, len, &rec, &pad);

	if (!need)
		return 0;
	if (pad >= sizeof(struct axipc_dgram)) {
		struct axipc_dgram p = { .len = pad - (uint32_t)sizeof(p),
					 .family = AXIPC_DGRAM_PAD };
		memcpy(ring + (prod & (size - 1)), &p, sizeof(p));
	}
	memcpy(ring + (rec & (size - 1)), &d, sizeof(d));
	ax_iovcur_init(&cur, &iov, 1);
	ax_ring_put(ring, size, rec + (uint32_t)sizeof(d), &cur, len);
	return need;
}

TEST(dgram_records_round_trip_through_the_daemons_decoder_and_ours)
{
	enum { SIZE = 4096 };
	uint8_t *ring = calloc(1, SIZE), payload[1500], got[1500];
	uint32_t prod = 0xFFFFF000u, cons = prod, dprod = prod;
	unsigned sent = 0, recvd = 0, pads = 0;

	REQUIRE(ring);
	for (int round = 0; round < 3000; round++) {
		uint32_t len = rnd() % 1400, n;

		if (rnd() % 3) {
			for (uint32_t i = 0; i < len; i++)
				payload[i] = (uint8_t)(sent + i);
			n = put_record(ring, SIZE, prod, cons, payload, len, htons(53));
			if (n) {
				prod += n;
				sent++;
			}
			continue;
		}
		/* The daemon reads what the library wrote (tx side) ... */
		while (dprod != prod) {
			struct axipc_dgram d;
			uint32_t off;
			long r = ipc_dgram_next(ring, SIZE, dprod, prod, &d, &off);

			REQUIRE(r > 0);
			dprod += (uint32_t)r;
			if (d.family == AXIPC_DGRAM_PAD)
				continue;
		}
		/* ... and the library's reader (rx side, same layout) agrees. */
		while (cons != prod) {
			struct axipc_dgram d;
			uint32_t pl, skip;
			long r = ax_dgram_rx_next(ring, SIZE, cons, prod, &d, &pl, &skip);

			REQUIRE(r > 0);
			if ((uint32_t)r != AXIPC_DGRAM_SPACE(d.len))
				pads++;
			memcpy(got, ring + (pl & (SIZE - 1)), d.len);
			for (uint32_t i = 0; i < d.len; i++)
				if (got[i] != (uint8_t)(recvd + i)) {
					CHECK_EQ(got[i], (uint8_t)(recvd + i));
					break;
				}
			CHECK_EQ(d.port, htons(53));
			cons += (uint32_t)r;
			recvd++;
		}
	}
	CHECK(sent > 1000);
	CHECK(pads > 10);
	CHECK(prod < 0x1000000u); /* the indices wrapped */
	free(ring);
}

TEST(dgram_rx_skips_pads_and_refuses_a_record_past_prod)
{
	uint8_t ring[256] __attribute__((aligned(8)));
	struct axipc_dgram d = { .len = 16, .family = AF_INET }, got;
	uint32_t pl, skip;

	memset(ring, 0, sizeof(ring));
	/* Only a skip (16 bytes at the end): nothing to read yet, but the
	 * consumer moves past it. */
	CHECK_EQ(ax_dgram_rx_next(ring, 256, 240, 256, &got, &pl, &skip), 0);
	CHECK_EQ(skip, 16);
	/* A record at 0 after that skip. */
	memcpy(ring, &d, sizeof(d));
	CHECK_EQ(ax_dgram_rx_next(ring, 256, 240, 256 + 40, &got, &pl, &skip), 16 + 40);
	CHECK_EQ(pl, 256 + 24);
	CHECK_EQ(got.len, 16);
	/* The record claims more than was produced. */
	CHECK_EQ(ax_dgram_rx_next(ring, 256, 256, 256 + 32, &got, &pl, &skip), -1);
	/* A length past the ring's end. */
	d.len = 1000;
	memcpy(ring, &d, sizeof(d));
	CHECK_EQ(ax_dgram_rx_next(ring, 256, 0, 256, &got, &pl, &skip), -1);
}

struct node {
	struct ax_rdnode rd;
	int id;
};

TEST(ready_list_adds_once_removes_safely_and_splices_in_order)
{
	struct node n[5];
	struct ax_rdlist l, t;
	struct ax_rdnode *p;

	memset(n, 0, sizeof(n));
	ax_rdlist_init(&l);
	ax_rdlist_init(&t);
	for (int i = 0; i < 5; i++)
		n[i].id = i;
	CHECK(ax_rdlist_empty(&l));
	ax_rdlist_add(&l, &n[0].rd);
	ax_rdlist_add(&l, &n[1].rd);
	ax_rdlist_add(&l, &n[0].rd); /* again: no change */
	ax_rdlist_add(&l, &n[2].rd);
	CHECK_EQ(l.len, 3);
	ax_rdlist_del(&l, &n[1].rd);
	ax_rdlist_del(&l, &n[1].rd); /* not there: no change */
	ax_rdlist_del(&l, &n[3].rd); /* never there */
	CHECK_EQ(l.len, 2);
	CHECK(!ax_rdnode_linked(&n[1].rd));
	ax_rdlist_add(&t, &n[3].rd);
	ax_rdlist_add(&t, &n[4].rd);
	ax_rdlist_splice(&l, &t);
	CHECK(ax_rdlist_empty(&t));
	CHECK_EQ(l.len, 4);
	{
		int want[] = { 0, 2, 3, 4 }, k = 0;
		while ((p = ax_rdlist_pop(&l)) != NULL) {
			REQUIRE(k < 4);
			CHECK_EQ(((struct node *)p)->id, want[k]);
			CHECK(!ax_rdnode_linked(p));
			k++;
		}
		CHECK_EQ(k, 4);
	}
	CHECK_EQ(l.len, 0);
	CHECK(ax_rdlist_pop(&l) == NULL);
}

TEST(timeouts_decode_and_encode_as_linux)
{
	struct timeval tv = { 1, 500 }, back;
	long ms = 99;

	CHECK_EQ(ax_timeo_decode(&tv, sizeof(tv), &ms), 0);
	CHECK_EQ(ms, 1001); /* rounded up */
	ax_timeo_encode(ms, &back);
	CHECK_EQ(back.tv_sec, 1);
	CHECK_EQ(back.tv_usec, 1000);
	tv = (struct timeval){ 0, 0 };
	CHECK_EQ(ax_timeo_decode(&tv, sizeof(tv), &ms), 0);
	CHECK_EQ(ms, 0); /* forever */
	tv = (struct timeval){ -1, 0 };
	CHECK_EQ(ax_timeo_decode(&tv, sizeof(tv), &ms), 0);
	CHECK_EQ(ms, -1); /* never waits */
	ax_timeo_encode(-1, &back);
	CHECK_EQ(back.tv_sec, 0);
	CHECK_EQ(back.tv_usec, 0);
	tv = (struct timeval){ 0, 1000000 };
	CHECK_EQ(ax_timeo_decode(&tv, sizeof(tv), &ms), -EDOM);
	tv = (struct timeval){ 0, -1 };
	CHECK_EQ(ax_timeo_decode(&tv, sizeof(tv), &ms), -EDOM);
	CHECK_EQ(ax_timeo_decode(&tv, sizeof(tv) - 1, &ms), -EINVAL);
	CHECK(ax_opt_is_timeo(SO_RCVTIMEO) && ax_opt_is_rcvtimeo(SO_RCVTIMEO));
	CHECK(ax_opt_is_timeo(SO_SNDTIMEO) && !ax_opt_is_rcvtimeo(SO_SNDTIMEO));
	CHECK(ax_opt_is_timeo(SO_RCVTIMEO_NEW) && !ax_opt_is_timeo(SO_RCVBUF));
}

TEST(getsockopt_copy_out_truncates_and_says_how_much)
{
	int v = 0x11223344;
	uint8_t out[8];
	socklen_t len = 2;

	memset(out, 0, sizeof(out));
	ax_opt_out(&v, sizeof(v), out, &len);
	CHECK_EQ(len, 2);
	CHECK_EQ(out[0], 0x44);
	CHECK_EQ(out[2], 0);
	len = 8;
	ax_opt_out(&v, sizeof(v), out, &len);
	CHECK_EQ(len, 4);
	CHECK_MEM(out, &v, 4);
}

TEST_MAIN(T(ring_copies_across_the_wrap_and_the_index_wrap),
	  T(dgram_tx_place_pads_to_the_end_or_waits),
	  T(dgram_records_round_trip_through_the_daemons_decoder_and_ours),
	  T(dgram_rx_skips_pads_and_refuses_a_record_past_prod),
	  T(ready_list_adds_once_removes_safely_and_splices_in_order),
	  T(timeouts_decode_and_encode_as_linux),
	  T(getsockopt_copy_out_truncates_and_says_how_much))
