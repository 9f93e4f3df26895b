// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unit tests for user/model/model_pids.c: the figures of one process, from a
 * synthetic stream of wire records (as in test_model.c) in which two
 * processes share their sites, as processes mapping the same libcrypto do.
 */
#define TEST_IMPLEMENTATION
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "model.h"
#include "test.h"

#define P1	100
#define P2	200

/* Sites keyed by line only, whatever the process: shared, as the symbolizer's are. */
static __u32 site_cb(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx;
	(void)pid;
	(void)file;
	(void)caller;
	return (__u32)line;
}

static __u64 clock_ns = 1000000;

static struct tlsmem_hdr hdr(__u16 kind, __u32 pid, __u32 aux)
{
	clock_ns += 10;
	return (struct tlsmem_hdr){ .ts_ns = clock_ns, .pid = pid, .tid = pid, .kind = kind,
				    .aux = aux };
}

static bool alloc(struct model *m, __u32 pid, __u32 site, __u64 ptr, __u64 size, __u64 ssl)
{
	struct tlsmem_alloc e = {
		.h = hdr(TLSMEM_EV_ALLOC, pid, TLSMEM_FN_MALLOC),
		.ptr = ptr, .size = size, .file = 0x7f0000001000ULL, .line = (__s32)site,
		.caller = 0x7f00000a0010ULL, .ssl = ssl,
	};

	return ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed alloc");
}

static bool shortrec(struct model *m, __u16 kind, __u32 pid, __u64 ptr, __u64 ssl, __u32 aux)
{
	struct tlsmem_short e = { .h = hdr(kind, pid, aux), .ptr = ptr, .ssl = ssl };

	if (kind == TLSMEM_EV_FREE)
		e.h.ts_ns = 0;		/* frees carry no time, as the BPF side sends them */
	return ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed short");
}

/*
 * Site 0: P1 has 3 blocks of 100 B (one freed again), P2 has 1 of 7 B.
 * Site 1: only P2, 2 blocks of 50 B inside SSL 0x9000, whose SSL_free leaves
 * them orphans. Site 2: P1's, 1 block of 1000 B, then freed. Site 3: P1, 64 B.
 */
static struct model *stream(void)
{
	struct model *m = model__new(site_cb, NULL);

	if (!ASSERT_TRUE(m != NULL, "model__new"))
		return NULL;
	alloc(m, P1, 0, 0x1000, 100, 0);
	alloc(m, P1, 0, 0x2000, 100, 0);
	alloc(m, P1, 0, 0x3000, 100, 0);
	shortrec(m, TLSMEM_EV_FREE, P1, 0x2000, 0, TLSMEM_FN_FREE);
	/* the same address in the other process is another block */
	alloc(m, P2, 0, 0x1000, 7, 0);
	shortrec(m, TLSMEM_EV_SSL_NEW, P2, 0x9000, 0, TLSMEM_FN_SSL_NEW);
	alloc(m, P2, 1, 0x4000, 50, 0x9000);
	alloc(m, P2, 1, 0x5000, 50, 0x9000);
	shortrec(m, TLSMEM_EV_SSL_FREE, P2, 0x9000, 0x9000, 1);
	alloc(m, P1, 2, 0x6000, 1000, 0);
	shortrec(m, TLSMEM_EV_FREE, P1, 0x6000, 0, TLSMEM_FN_FREE);
	alloc(m, P1, 3, 0x7000, 64, 0);
	return m;
}

/* Each process's figures at a shared site are its own; together they make the site's. */
/*
 * A block between its REALLOC_ENTER and its REALLOC is out of the model's
 * table but still live: the figures per process add up to the totals then
 * too (the metrics' groups are built from them).
 */
static void test_pid_stats_realloc_in_flight(void)
{
	struct model *m = model__new(site_cb, NULL);
	struct model_totals tot;
	struct pid_stats ps[4];
	struct site_stats ss[1], whole;
	struct pid_site pairs[4];
	const __u32 site0 = 0;
	size_t n, i;
	__u64 bytes = 0, blocks = 0;

	if (!ASSERT_TRUE(m != NULL, "model"))
		return;
	alloc(m, P1, 0, 0x1000, 100, 0);
	alloc(m, P1, 0, 0x2000, 50, 0);
	alloc(m, P2, 0, 0x1000, 7, 0);
	shortrec(m, TLSMEM_EV_REALLOC_ENTER, P1, 0x2000, 0, 0);
	model__totals(m, &tot);
	n = model__pid_stats(m, ps, 4);
	for (i = 0; i < n; i++) {
		bytes += ps[i].live_bytes;
		blocks += ps[i].live_blocks;
		if (ps[i].pid == P1)
			ASSERT_EQ(ps[i].live_bytes, 150, "P1 keeps the block in its realloc");
	}
	ASSERT_EQ(bytes, tot.live_bytes, "bytes add up to the totals");
	ASSERT_EQ(blocks, tot.live_blocks, "blocks add up to the totals");
	/* the process's site table and the (process, site) pairs keep it too */
	ASSERT_EQ(model__pid_sites(m, P1, ss, 1), 1, "P1 holds blocks at site 0");
	ASSERT_EQ(ss[0].live_bytes, 150, "P1's site 0 keeps the block in its realloc");
	ASSERT_EQ(ss[0].live_blocks, 2, "P1's site 0 blocks");
	model__site(m, 0, &whole);
	ASSERT_EQ(whole.live_bytes, 157, "the site's own figure");
	ASSERT_EQ(model__pid_site_stats(m, &site0, 1, pairs, 4, &n), 0, "pairs");
	for (i = 0, bytes = 0; i < n; i++)
		bytes += pairs[i].live_bytes;
	ASSERT_EQ(bytes, whole.live_bytes, "the pairs add up to the site");
	model__free(m);
}

static void test_pid_sites_split_shared_sites(void)
{
	struct model *m = stream();
	struct site_stats a[8], b[8], s;
	__u32 i, n;

	if (!m)
		return;
	n = model__nsites(m);
	if (!ASSERT_EQ(n, 4, "four sites"))
		goto out;
	ASSERT_EQ(model__pid_sites(m, P1, a, n), 2, "P1 holds blocks at two sites");
	ASSERT_EQ(model__pid_sites(m, P2, b, n), 2, "P2 holds blocks at two sites");
	ASSERT_EQ(a[0].live_bytes, 200, "P1 site 0 bytes");
	ASSERT_EQ(a[0].live_blocks, 2, "P1 site 0 blocks");
	ASSERT_EQ(b[0].live_bytes, 7, "P2 site 0 bytes");
	ASSERT_EQ(b[0].live_blocks, 1, "P2 site 0 blocks");
	ASSERT_EQ(a[1].live_blocks, 0, "P1 has nothing at site 1");
	ASSERT_EQ(b[1].live_bytes, 100, "P2 site 1 bytes");
	ASSERT_EQ(b[1].orphan_blocks, 2, "P2 site 1: orphans of the freed SSL");
	ASSERT_EQ(b[1].orphan_bytes, 100, "P2 site 1 orphan bytes");
	ASSERT_EQ(a[0].orphan_blocks, 0, "no orphan at site 0");
	ASSERT_EQ(a[2].live_blocks, 0, "site 2 freed");
	ASSERT_EQ(a[2].oldest_ns, 0, "no oldest block at site 2");
	ASSERT_EQ(a[3].live_bytes, 64, "P1 site 3");
	ASSERT_EQ(a[0].allocs, 0, "allocations are not per process");
	for (i = 0; i < n; i++) {
		model__site(m, i, &s);
		ASSERT_EQ(a[i].live_bytes + b[i].live_bytes, s.live_bytes, "bytes add up");
		ASSERT_EQ(a[i].live_blocks + b[i].live_blocks, s.live_blocks, "blocks add up");
		ASSERT_EQ(a[i].orphan_blocks + b[i].orphan_blocks, s.orphan_blocks, "orphans");
		/* the site's oldest block is the older of the two processes' */
		if (a[i].oldest_ns && (!b[i].oldest_ns || a[i].oldest_ns < b[i].oldest_ns))
			ASSERT_EQ(a[i].oldest_ns, s.oldest_ns, "oldest block: P1's");
		else
			ASSERT_EQ(b[i].oldest_ns, s.oldest_ns, "oldest block: P2's");
	}
	/* the oldest of P1's site 0 blocks is the first one, whose time is older than P2's */
	ASSERT_TRUE(a[0].oldest_ns && a[0].oldest_ns < b[0].oldest_ns, "oldest per process");
out:
	model__free(m);
}

/* A process never seen, and a table smaller than the sites. */
static void test_pid_sites_edges(void)
{
	struct model *m = stream();
	struct site_stats a[8];

	if (!m)
		return;
	memset(a, 0xff, sizeof(a));
	ASSERT_EQ(model__pid_sites(m, 999, a, 4), 0, "unknown pid: no site");
	ASSERT_EQ(a[3].live_bytes, 0, "zeroed");
	ASSERT_EQ(model__pid_sites(m, P1, a, 1), 1, "only site 0 fits");
	ASSERT_EQ(a[0].live_bytes, 200, "site 0 still counted");
	ASSERT_EQ(model__pid_sites(m, P1, a, 0), 0, "no table");
	/* the process's exit releases its blocks */
	shortrec(m, TLSMEM_EV_EXIT, P1, 0, 0, 0);
	ASSERT_EQ(model__pid_sites(m, P1, a, 4), 0, "nothing after exit");
	ASSERT_EQ(model__pid_sites(m, P2, a, 4), 2, "the other process keeps its blocks");
	model__free(m);
}

static const struct pid_site *find(const struct pid_site *v, size_t n, __u32 pid, __u32 site)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid && v[i].site == site)
			return &v[i];
	return NULL;
}

/* Who holds blocks at a few sites: a pair per process and site, none for the others. */
static void test_pid_site_stats(void)
{
	struct model *m = stream();
	const __u32 want[] = { 0, 1, 2, 77 };	/* 2: freed; 77: not a site */
	struct pid_site v[8];
	const struct pid_site *p;
	size_t n;

	if (!m)
		return;
	ASSERT_EQ(model__pid_site_stats(m, want, 4, v, 8, &n), 0, "walk");
	ASSERT_EQ(n, 3, "P1 and P2 at site 0, P2 at site 1");
	p = find(v, n, P1, 0);
	if (ASSERT_TRUE(p != NULL, "P1 at site 0"))
		ASSERT_EQ(p->live_bytes, 200, "P1 bytes at site 0");
	p = find(v, n, P2, 0);
	if (ASSERT_TRUE(p != NULL, "P2 at site 0"))
		ASSERT_EQ(p->live_blocks, 1, "P2 blocks at site 0");
	p = find(v, n, P2, 1);
	if (ASSERT_TRUE(p != NULL, "P2 at site 1"))
		ASSERT_EQ(p->live_bytes, 100, "P2 bytes at site 1");
	ASSERT_TRUE(find(v, n, P1, 3) == NULL, "site 3 was not asked for");
	ASSERT_EQ(model__pid_site_stats(m, want, 4, v, 1, &n), 0, "a table of one");
	ASSERT_EQ(n, 1, "one pair kept");
	ASSERT_EQ(model__pid_site_stats(m, want, 0, v, 8, &n), 0, "no site asked");
	ASSERT_EQ(n, 0, "no pair");
	model__free(m);
}

static const struct test_case tests[] = {
	TEST(test_pid_stats_realloc_in_flight),
	TEST(test_pid_sites_split_shared_sites),
	TEST(test_pid_sites_edges),
	TEST(test_pid_site_stats),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
