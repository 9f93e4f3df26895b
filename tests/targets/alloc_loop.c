// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark target: N OPENSSL_malloc/OPENSSL_free pairs in a tight loop,
 * timed by itself; prints "ns_per_pair X" on stderr (stdout may carry
 * tlsmem's JSON when run under it).
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec a, b;
	void *p;

	if (n <= 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		p = OPENSSL_malloc(64);
		OPENSSL_free(p);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "ns_per_pair %.1f\n",
		((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n);
	return 0;
}
