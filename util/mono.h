/*
 * mono.h - the monotonic clock in nanoseconds, the one time base of the
 * daemon's timers, Axiom's retry deadlines (its condition variables wait
 * on CLOCK_MONOTONIC) and the authorizer's rate limits. Ground floor:
 * libc only.
 */
#ifndef UTIL_MONO_H
#define UTIL_MONO_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* UTIL_MONO_H */
