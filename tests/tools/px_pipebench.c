/*
 * px_pipebench.c - what the preload library costs a kernel descriptor: N
 * write+read pairs of 64 bytes on a pipe, run with and without
 * LD_PRELOAD=libaxnet-preload.so. Prints "pipe pairs=N ns_per_pair=X".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec a, b;
	char buf[64] = { 0 };
	int p[2];

	if (pipe(p) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		if (write(p[1], buf, sizeof(buf)) != sizeof(buf) ||
		    read(p[0], buf, sizeof(buf)) != sizeof(buf))
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("pipe pairs=%ld ns_per_pair=%.1f\n", n,
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
	return 0;
}
