// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Reader ingest rate: wire records through the model on one core, from a
 * synthetic stream shaped like a TLS server's (allocations, frees, reallocs,
 * SSL objects coming and going), then tlsmem's memory per tracked block with
 * 1 million blocks outstanding. Prints "key value" lines.
 */
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tlsmem.h"
#include "model.h"

#define NREC	20000000UL
#define LIVE	1000000UL

static __u32 site_of(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx;
	(void)pid;
	(void)caller;
	return (__u32)((file + (__u64)line) % 300);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void alloc(struct model *m, __u64 ts, __u64 ptr, __u64 ssl)
{
	struct tlsmem_alloc a = {
		.h = { .ts_ns = ts, .pid = 100, .tid = 101, .kind = TLSMEM_EV_ALLOC },
		.ptr = ptr, .size = 64 + (ptr & 511), .file = 0x1000 + (ptr & 7) * 64,
		.line = (int)(ptr & 127), .caller = 0x400000 + (ptr & 31), .ssl = ssl,
	};

	model__feed(m, &a, sizeof(a));
}

static void release(struct model *m, __u64 ts, __u64 ptr)
{
	struct tlsmem_short f = {
		.h = { .ts_ns = ts, .pid = 100, .tid = 101, .kind = TLSMEM_EV_FREE },
		.ptr = ptr,
	};

	model__feed(m, &f, sizeof(f));
}

int main(void)
{
	struct model *m = model__new(site_of, NULL);
	struct model_totals t;
	unsigned long i;
	double t0, dt;

	if (!m)
		return 1;
	/* steady state: a window of 4096 live blocks, each freed 4096 records later */
	t0 = now_s();
	for (i = 0; i < NREC / 2; i++) {
		__u64 ssl = 0x7f0000000000ULL + ((i >> 12) & 255) * 0x1000;

		alloc(m, i, 0x10000000ULL + (i & 0xffffff) * 16, ssl);
		if (i >= 4096)
			release(m, i, 0x10000000ULL + ((i - 4096) & 0xffffff) * 16);
	}
	dt = now_s() - t0;
	printf("ingest_events_per_s %.0f\n", (double)(NREC - 4096) / dt);
	model__free(m);

	m = model__new(site_of, NULL);
	if (!m)
		return 1;
	for (i = 0; i < LIVE; i++)
		alloc(m, i, 0x20000000ULL + i * 48, 0);
	model__totals(m, &t);
	printf("tracked_blocks %llu\n", (unsigned long long)t.live_blocks);
	printf("bytes_per_tracked_block %.1f\n", (double)model__bytes(m) / (double)t.live_blocks);
	model__free(m);
	return 0;
}
