/*
 * testlib.h - a tiny header-only unit test framework.
 *
 *   TEST(name) { CHECK(x > 0); CHECK_EQ(a, b); REQUIRE(p != NULL); }
 *   TEST_MAIN(T(name), T(other))
 *
 * A failed CHECK prints file:line with the expression (and both values for
 * CHECK_EQ), marks the current test failed and carries on, so one run shows
 * every broken expectation. REQUIRE also returns from the test: use it
 * where carrying on would only print noise (an index into a frame that was
 * never sent). Each test prints "ok NAME" or "FAIL NAME"; the last line is
 * "N passed, N failed", which tests/unit/run.sh sums across binaries.
 *
 * Every test program is one translation unit, so the state below is simply
 * static.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct testlib_case {
	const char *name;
	void (*fn)(void);
};

struct testlib_state {
	int failed;           /* the current test */
	unsigned long checks; /* all tests, for the summary */
};

static struct testlib_state testlib __attribute__((unused));

static inline int testlib_check(int ok, const char *file, int line,
				const char *expr)
{
	testlib.checks++;
	if (!ok) {
		printf("  %s:%d: CHECK(%s) failed\n", file, line, expr);
		testlib.failed = 1;
	}
	return ok;
}

/* Values are compared and shown as long long: wide enough for the
 * counters, addresses and errnos the tests compare. */
static inline int testlib_check_eq(long long a, long long b, const char *file,
				   int line, const char *ea, const char *eb)
{
	testlib.checks++;
	if (a != b) {
		printf("  %s:%d: CHECK_EQ(%s, %s) failed: %lld (0x%llx) != %lld (0x%llx)\n",
		       file, line, ea, eb, a, (unsigned long long)a, b,
		       (unsigned long long)b);
		testlib.failed = 1;
	}
	return a == b;
}

static inline int testlib_check_mem(const void *a, const void *b, size_t n,
				    const char *file, int line, const char *ea,
				    const char *eb)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	testlib.checks++;
	for (i = 0; i < n; i++) {
		if (x[i] != y[i]) {
			printf("  %s:%d: CHECK_MEM(%s, %s, %zu) failed at byte %zu: 0x%02x != 0x%02x\n",
			       file, line, ea, eb, n, i, x[i], y[i]);
			testlib.failed = 1;
			return 0;
		}
	}
	return 1;
}

#define TEST(name) static void test_##name(void)
#define T(name) { #name, test_##name }

#define CHECK(cond) testlib_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ(a, b)                                                     \
	testlib_check_eq((long long)(a), (long long)(b), __FILE__, __LINE__, \
			 #a, #b)
#define CHECK_MEM(a, b, n) \
	testlib_check_mem((a), (b), (n), __FILE__, __LINE__, #a, #b)
#define REQUIRE(cond)           \
	do {                    \
		if (!CHECK(cond)) \
			return; \
	} while (0)

static inline int testlib_run(const struct testlib_case *cases, size_t n)
{
	unsigned int passed = 0, failed = 0;
	size_t i;

	/* The sanitizers write to stderr; keep our lines in order with
	 * theirs when both go to the same pipe. */
	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < n; i++) {
		testlib.failed = 0;
		cases[i].fn();
		if (testlib.failed) {
			printf("FAIL %s\n", cases[i].name);
			failed++;
		} else {
			printf("ok %s\n", cases[i].name);
			passed++;
		}
	}
	printf("# %lu checks\n", testlib.checks);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                  \
	int main(void)                                                  \
	{                                                               \
		static const struct testlib_case cases[] = { __VA_ARGS__ }; \
		return testlib_run(cases, sizeof(cases) / sizeof(cases[0])); \
	}

#endif /* TESTLIB_H */
