/*
 * test_segalloc.c - the daemon's allocator of ring memory in a program's
 * shared segment (daemon/segalloc.h): sizes and alignment, reuse, splits,
 * exhaustion, refused frees, and freed blocks punched out of the memfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/segalloc.h"
#include "testlib.h"

TEST(sizes_round_up_to_pages_and_powers_of_two)
{
	CHECK_EQ(segalloc_size(1), 4096);
	CHECK_EQ(segalloc_size(4096), 4096);
	CHECK_EQ(segalloc_size(4097), 8192);
	CHECK_EQ(segalloc_size(200000), 262144);
	CHECK_EQ(segalloc_size(1u << 30), 1u << 30);
	CHECK_EQ(segalloc_size((1u << 30) + 1), 0);
}

TEST(blocks_are_aligned_disjoint_and_reused)
{
	struct segalloc a;
	int64_t x, y, z, w;

	segalloc_init(&a, -1, 4096, 4096 + (1u << 20));
	x = segalloc_alloc(&a, 4096);
	y = segalloc_alloc(&a, 65536); /* skips to 64 KiB alignment */
	z = segalloc_alloc(&a, 4096);  /* from the piece the alignment skipped */
	CHECK_EQ(x, 4096);
	CHECK_EQ(y, 65536);
	CHECK_EQ(z, 8192);
	CHECK_EQ(a.live, 3);
	CHECK_EQ(a.live_bytes, 4096 + 65536 + 4096);
	CHECK_EQ(segalloc_free(&a, (uint64_t)y, 65536), 0);
	w = segalloc_alloc(&a, 60000);
	CHECK_EQ(w, y); /* the freed block of that size comes back */
	segalloc_fini(&a);
}

TEST(exhaustion_is_enomem_and_larger_free_blocks_split)
{
	struct segalloc a;
	int64_t big, s1, s2;

	segalloc_init(&a, -1, 0, 1u << 20);
	big = segalloc_alloc(&a, 1u << 20);
	CHECK_EQ(big, 0);
	CHECK_EQ(segalloc_alloc(&a, 4096), -ENOMEM);
	CHECK_EQ(segalloc_free(&a, 0, 1u << 20), 0);
	s1 = segalloc_alloc(&a, 4096);
	s2 = segalloc_alloc(&a, 4096);
	CHECK_EQ(s1, 0);
	CHECK_EQ(s2, 4096); /* the split's halves went onto the lists */
	CHECK_EQ(segalloc_alloc(&a, 1u << 19), 1 << 19);
	CHECK_EQ(segalloc_alloc(&a, 1u << 19), -ENOMEM);
	CHECK_EQ(segalloc_alloc(&a, (1u << 30) + 1), -ENOMEM);
	segalloc_fini(&a);
}

TEST(bad_frees_change_nothing)
{
	struct segalloc a;
	int64_t x;

	segalloc_init(&a, -1, 0, 1u << 20);
	x = segalloc_alloc(&a, 8192);
	CHECK_EQ(segalloc_free(&a, (uint64_t)x + 4096, 8192), -EINVAL); /* misaligned */
	CHECK_EQ(segalloc_free(&a, 1u << 19, 8192), -EINVAL);            /* never handed out */
	CHECK_EQ(a.live, 1);
	CHECK_EQ(segalloc_free(&a, (uint64_t)x, 8192), 0);
	CHECK_EQ(a.live, 0);
	CHECK_EQ(a.live_bytes, 0);
	segalloc_fini(&a);
}

TEST(freed_blocks_are_punched_out_of_the_memfd)
{
	struct segalloc a;
	struct stat st;
	uint8_t *m;
	int64_t x;
	int fd = memfd_create("segalloc-test", MFD_CLOEXEC);

	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, 4 << 20) == 0);
	m = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(m != MAP_FAILED);
	segalloc_init(&a, fd, 0, 4 << 20);
	x = segalloc_alloc(&a, 1 << 20);
	REQUIRE(x >= 0);
	memset(m + x, 0xab, 1 << 20);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK(st.st_blocks * 512 >= (1 << 20));
	CHECK_EQ(segalloc_free(&a, (uint64_t)x, 1 << 20), 0);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_blocks, 0);
	CHECK_EQ(m[x + 12345], 0); /* the next user sees zeros */
	x = segalloc_alloc(&a, 1 << 20);
	CHECK_EQ(m[x], 0);
	segalloc_fini(&a);
	munmap(m, 4 << 20);
	close(fd);
}

TEST_MAIN(T(sizes_round_up_to_pages_and_powers_of_two), T(blocks_are_aligned_disjoint_and_reused),
	  T(exhaustion_is_enomem_and_larger_free_blocks_split), T(bad_frees_change_nothing),
	  T(freed_blocks_are_punched_out_of_the_memfd))
