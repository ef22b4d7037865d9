/*
 * test_ringown.c - the daemon's map from a ring's offset to the socket
 * showing it (daemon/ringown.h): against a plain array under random churn
 * (backward-shift deletion keeps every entry findable), reservation
 * before setting, and memory that follows the live rings, not the
 * segment's size (the flat table it replaced cost a page per connection).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon/ringown.h"
#include "testlib.h"

#define RINGS 4096u

/* Ring i at a 4 KiB-aligned offset, spread as a segment spreads them. */
static uint64_t off_of(uint32_t i)
{
	return 16384 + (uint64_t)i * 4096 * 3;
}

TEST(set_get_del_against_a_reference_under_churn)
{
	static void *ref[RINGS];
	struct ringown m = { 0 };
	uint64_t seed = 1, live = 0;
	uint32_t step, i;
	int bad = 0;

	for (step = 0; step < 200000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		i = (uint32_t)(seed >> 33) % RINGS;
		if (ref[i]) {
			ringown_del(&m, off_of(i));
			ref[i] = NULL;
			live--;
		} else {
			REQUIRE(ringown_reserve(&m, live + 1) == 0);
			ref[i] = (void *)(uintptr_t)(step + 1);
			REQUIRE(ringown_set(&m, off_of(i), ref[i]) == 0);
			live++;
		}
		if (step % 997 == 0)
			for (i = 0; i < RINGS; i++)
				bad += ringown_get(&m, off_of(i)) != ref[i];
	}
	for (i = 0; i < RINGS; i++)
		bad += ringown_get(&m, off_of(i)) != ref[i];
	CHECK_EQ(bad, 0);
	CHECK_EQ(m.n, live);
	CHECK(m.cap >= 2 * live);
	/* Replacing an owner adds no entry. */
	for (i = 0; i < RINGS && !ref[i]; i++)
		;
	REQUIRE(i < RINGS);
	CHECK_EQ(ringown_set(&m, off_of(i), &m), 0);
	CHECK_EQ(m.n, live);
	CHECK(ringown_get(&m, off_of(i)) == &m);
	ringown_fini(&m);
}

TEST(set_needs_reserved_room)
{
	struct ringown m = { 0 };
	uint32_t i;

	CHECK_EQ(ringown_set(&m, 4096, &m), -ENOSPC); /* nothing reserved */
	CHECK(ringown_get(&m, 4096) == NULL);
	REQUIRE(ringown_reserve(&m, 3) == 0);
	CHECK_EQ(m.cap, 64); /* the first table */
	for (i = 0; i < 32; i++)
		CHECK_EQ(ringown_set(&m, off_of(i), &m), 0);
	/* Half full: one more would need a reserve first. */
	CHECK_EQ(ringown_set(&m, off_of(32), &m), -ENOSPC);
	CHECK(ringown_get(&m, off_of(32)) == NULL);
	CHECK_EQ(ringown_set(&m, 0, &m), -ENOSPC); /* 0 marks an empty entry */
	ringown_del(&m, off_of(99)); /* not there: nothing changes */
	CHECK_EQ(m.n, 32);
	REQUIRE(ringown_reserve(&m, 33) == 0);
	CHECK_EQ(m.cap, 128);
	CHECK_EQ(ringown_set(&m, off_of(32), &m), 0);
	for (i = 0; i <= 32; i++)
		CHECK(ringown_get(&m, off_of(i)) == &m);
	ringown_fini(&m);
	CHECK(ringown_get(&m, off_of(0)) == NULL);
}

/* 10,000 connections of two 1 MiB rings each in a 32 GiB segment: the
 * map's memory is what they need (16 bytes an entry, at most half full),
 * not a table over the whole segment (8 bytes per 4 KiB: 64 MiB of
 * address space and a touched page per connection). */
TEST(memory_follows_live_rings_not_segment_size)
{
	struct ringown m = { 0 };
	uint32_t i, n = 20000;

	for (i = 0; i < n; i++) {
		REQUIRE(ringown_reserve(&m, i + 1) == 0);
		REQUIRE(ringown_set(&m, 1048576 + (uint64_t)i * 1048576, &m) == 0);
	}
	CHECK(m.cap <= 4 * n);
	CHECK((uint64_t)m.cap * sizeof(*m.t) <= (uint64_t)n * 64); /* <= 128 B a connection */
	for (i = 0; i < n; i++)
		CHECK(ringown_get(&m, 1048576 + (uint64_t)i * 1048576) == &m);
	ringown_fini(&m);
}

TEST_MAIN(T(set_get_del_against_a_reference_under_churn), T(set_needs_reserved_room),
	  T(memory_follows_live_rings_not_segment_size))
