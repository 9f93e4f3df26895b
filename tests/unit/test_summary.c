// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/output/summary.c: the figures every output reads, on a
 * summary around a real model fed synthetic records (as in test_model.c)
 * and a real time line. Every expected figure is worked out by hand below.
 */
#define TEST_IMPLEMENTATION
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "history.h"
#include "model.h"
#include "summary.h"
#include "target.h"
#include "test.h"

#define PID	4242
#define CLOSE(a, b)	(fabs((a) - (b)) < 1e-9)

static __u64 clock_ns = 1000000000ULL;

/* A record's file is (site + 1) << 12: the site id comes back from it. */
static __u32 site_cb(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx;
	(void)pid;
	(void)line;
	(void)caller;
	return (__u32)(file >> 12) - 1;
}

static struct tlsmem_hdr hdr(__u16 kind, __u32 aux)
{
	clock_ns += 1000;
	return (struct tlsmem_hdr){ .ts_ns = clock_ns, .pid = PID, .tid = PID, .kind = kind,
				    .aux = aux };
}

static void alloc(struct model *m, __u32 site, __u64 ptr, __u64 size, __u64 ssl)
{
	struct tlsmem_alloc e = {
		.h = hdr(TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC),
		.ptr = ptr, .size = size, .file = (__u64)(site + 1) << 12,
		.line = 1, .caller = 0x5000, .ssl = ssl,
	};

	ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed alloc");
}

static void ev(struct model *m, __u16 kind, __u64 ptr, __u64 ssl, __u32 aux)
{
	struct tlsmem_short e = { .h = hdr(kind, aux), .ptr = ptr, .ssl = ssl };

	ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed short");
}

#define SSL_A	0xa000000
#define SSL_B	0xb000000
#define SSL_C	0xc000000
#define SSL_D	0xd000000
#define SSL_E	0xe000000

/*
 * Five SSL objects created since attach:
 *   A: 100 + 200 bytes at site 0, live      B: 1000 at site 1, live
 *   C: 50 + 50 at site 2, live              D: 400 at site 3, freed, then SSL_free
 *   E: 600 at site 4, SSL_free with the block still held (an orphan)
 * and one block of 100 bytes at site 5 outside any SSL object.
 */
static struct model *five_ssls(void)
{
	struct model *m = model__new(site_cb, NULL);

	if (!ASSERT_TRUE(m != NULL, "model__new"))
		return NULL;
	ev(m, TLSMEM_EV_SSL_NEW, SSL_A, 0, TLSMEM_FN_SSL_NEW);
	alloc(m, 0, 0x1000, 100, SSL_A);
	alloc(m, 0, 0x2000, 200, SSL_A);
	ev(m, TLSMEM_EV_SSL_NEW, SSL_B, 0, TLSMEM_FN_SSL_NEW);
	alloc(m, 1, 0x3000, 1000, SSL_B);
	ev(m, TLSMEM_EV_SSL_NEW, SSL_C, 0, TLSMEM_FN_SSL_NEW);
	alloc(m, 2, 0x4000, 50, SSL_C);
	alloc(m, 2, 0x5000, 50, SSL_C);
	ev(m, TLSMEM_EV_SSL_NEW, SSL_D, 0, TLSMEM_FN_SSL_NEW);
	alloc(m, 3, 0x6000, 400, SSL_D);
	ev(m, TLSMEM_EV_FREE, 0x6000, 0, TLSMEM_FN_FREE);
	ev(m, TLSMEM_EV_SSL_FREE, SSL_D, SSL_D, 1);
	ev(m, TLSMEM_EV_SSL_NEW, SSL_E, 0, TLSMEM_FN_SSL_NEW);
	alloc(m, 4, 0x7000, 600, SSL_E);
	ev(m, TLSMEM_EV_SSL_FREE, SSL_E, SSL_E, 1);
	alloc(m, 5, 0x8000, 100, 0);
	return m;
}

static void fill(struct summary *s, struct model *m, struct history *h)
{
	memset(s, 0, sizeof(*s));
	s->model = m;
	s->hist = h;
	s->duration_s = 1.5;
	s->interval_s = 1;
	s->baseline_s = -1;
	model__totals(m, &s->tot);
	s->events_received = s->tot.records;
}

static void test_bytes_per_ssl(void)
{
	struct model *m = five_ssls();
	struct summary s;

	if (!m)
		return;
	fill(&s, m, NULL);
	/* A, B, C live: (300 + 1000 + 100) / 3 */
	ASSERT_EQ(s.tot.ssl_new_live, 3, "live SSL objects created since attach");
	ASSERT_EQ(s.tot.ssl_new_bytes, 1400, "their bytes");
	ASSERT_TRUE(CLOSE(summary_bytes_per_ssl(&s), 1400.0 / 3), "bytes per SSL");
	memset(&s.tot, 0, sizeof(s.tot));
	ASSERT_TRUE(summary_bytes_per_ssl(&s) == 0, "none live: 0, not a division by zero");
	model__free(m);
}

static void test_ssl_cost(void)
{
	struct model *m = five_ssls();
	struct ssl_cost c;
	struct summary s;

	if (!m)
		return;
	fill(&s, m, NULL);
	summary_ssl_cost(&s, &c);
	/* live bytes sorted: 100 300 1000; nearest rank p50 = 2nd, p99 = 3rd */
	ASSERT_EQ(c.objects, 3, "objects");
	ASSERT_TRUE(CLOSE(c.mean, 1400.0 / 3), "mean");
	ASSERT_EQ(c.p50, 300, "p50");
	ASSERT_EQ(c.p99, 1000, "p99");
	ASSERT_EQ(c.max, 1000, "max");
	model__free(m);
}

static void test_closed_and_all_cost(void)
{
	struct model *m = five_ssls();
	struct closed_cost cc;
	struct all_cost a;
	struct summary s;

	if (!m)
		return;
	fill(&s, m, NULL);
	summary_closed_cost(&s, &cc);
	/* D peaked at 400 and held 0 when freed, E peaked at 600 and held 600 */
	ASSERT_EQ(cc.objects, 2, "closed objects");
	ASSERT_TRUE(CLOSE(cc.mean_peak, 500), "mean peak");
	ASSERT_TRUE(CLOSE(cc.mean_at_free, 300), "mean at free");
	ASSERT_EQ(cc.p50, 400, "p50 of the peak");
	ASSERT_EQ(cc.p99, 600, "p99 of the peak");
	ASSERT_EQ(cc.max, 600, "max peak");
	summary_all_cost(&s, &cc, &a);
	/* peaks of all five: 100 300 400 600 1000 */
	ASSERT_EQ(a.objects, 5, "all objects");
	ASSERT_TRUE(CLOSE(a.mean_peak, 480), "all: mean peak");
	ASSERT_EQ(a.p50, 400, "all: p50");
	ASSERT_EQ(a.p99, 1000, "all: p99");
	ASSERT_EQ(a.max, 1000, "all: max");
	s.model = NULL;
	summary_closed_cost(&s, &cc);
	ASSERT_EQ(cc.objects, 0, "no model: nothing closed");
	model__free(m);
}

static void test_sites_sorted(void)
{
	static const __u32 want[] = { 1, 4, 0, 2, 5, 3 };
	struct model *m = five_ssls();
	struct site_fig *v;
	struct summary s;
	size_t n, i;

	if (!m)
		return;
	fill(&s, m, NULL);
	v = summary_sites_sorted(&s, &n);
	/* by live bytes: 1000 600 300 100 100 0; sites 2 and 5 tie, 2 has two allocations */
	if (ASSERT_TRUE(v != NULL, "sorted") && ASSERT_EQ(n, 6, "every site"))
		for (i = 0; i < n; i++)
			ASSERT_EQ(v[i].id, want[i], "site order");
	if (v) {
		ASSERT_EQ(v[0].st.live_bytes, 1000, "first: live bytes");
		ASSERT_EQ(v[5].st.allocs, 1, "last: its one allocation");
	}
	free(v);
	model__free(m);
}

static void test_hits_and_complete(void)
{
	struct ssl_obj objs[2];
	struct target tg;
	struct summary s;

	memset(&s, 0, sizeof(s));
	ASSERT_TRUE(summary_hits_per_s(&s) == 0, "no duration: 0 hits/s");
	s.duration_s = 1.5;
	s.probe_hits = 3000;
	ASSERT_TRUE(CLOSE(summary_hits_per_s(&s), 2000), "hits per second");
	/* 2000 hits/s at PROBE_HIT_NS (1 us) each: 0.2% of one CPU */
	ASSERT_TRUE(CLOSE(summary_cpu_pct(&s), 0.2), "CPU share");
	ASSERT_TRUE(summary_complete(&s), "nothing lost: complete");
	s.events_lost = 1;
	ASSERT_TRUE(!summary_complete(&s), "a lost event");
	s.events_lost = 0;
	s.tot.bad_records = 1;
	ASSERT_TRUE(!summary_complete(&s), "a bad record");
	s.tot.bad_records = 0;
	s.tot.replaced = 1;
	ASSERT_TRUE(!summary_complete(&s), "a replaced block");
	s.tot.replaced = 0;
	memset(objs, 0, sizeof(objs));
	memset(&tg, 0, sizeof(tg));
	objs[1].unobserved_ns = 2500000;
	tg.objs = objs;
	tg.nobjs = 2;
	s.targets = &tg;
	s.ntargets = 1;
	ASSERT_TRUE(CLOSE(summary_unobserved_ms(&s), 2.5), "2.5 ms unprobed");
	ASSERT_TRUE(!summary_complete(&s), "a library that ran unprobed");
	objs[1].unobserved_ns = 0;
	ASSERT_TRUE(summary_complete(&s), "every library probed from its load");
}

static struct history *line(const double *x, const double *y, size_t n)
{
	struct history *h = history__new(16);
	size_t i;

	if (!ASSERT_TRUE(h != NULL, "history__new"))
		return NULL;
	for (i = 0; i < n; i++) {
		struct hist_point p = { .t_s = (double)i, .ssl_live = (__u64)x[i],
					.rss_bytes = (__u64)y[i] };

		history__push(h, &p);
	}
	return h;
}

static void test_rss_exact_line(void)
{
	static const double x[] = { 0, 10, 20, 30 };
	static const double y[] = { 1000000, 1050000, 1100000, 1150000 };
	struct history *h = line(x, y, 4);
	struct model *m = five_ssls();
	double slope, se, share, r2;
	struct summary s;

	if (!h || !m)
		goto out;
	fill(&s, m, h);
	/* RSS = 1 MB + 5000 B per live SSL, exactly */
	ASSERT_EQ(summary_rss_slope(&s, &slope, &se, &share, &r2), 4, "points used");
	ASSERT_TRUE(CLOSE(slope, 5000), "slope");
	ASSERT_TRUE(CLOSE(se, 0), "no scatter: no error");
	ASSERT_TRUE(CLOSE(share, 1400.0 / 3 / 5000), "OpenSSL's share");
	ASSERT_TRUE(CLOSE(r2, 1), "R^2");
out:
	history__free(h);
	model__free(m);
}

static void test_rss_scatter(void)
{
	static const double x[] = { 0, 10, 20 };
	static const double y[] = { 0, 12000, 20000 };
	struct history *h = line(x, y, 3);
	double slope, se, share, r2;
	struct summary s;

	if (!h)
		return;
	memset(&s, 0, sizeof(s));
	s.hist = h;
	/*
	 * vx = 500 - 30^2/3 = 200, cxy = 520000 - 30 * 32000 / 3 = 200000: slope 1000;
	 * vy = 544e6 - 32000^2/3; se = sqrt((vy - 1000 * cxy) / (3 - 2) / vx)
	 */
	ASSERT_EQ(summary_rss_slope(&s, &slope, &se, &share, &r2), 3, "points used");
	ASSERT_TRUE(CLOSE(slope, 1000), "slope");
	ASSERT_TRUE(CLOSE(se, sqrt((544e6 - 32000.0 * 32000 / 3 - 200e6) / 200)), "standard error");
	ASSERT_TRUE(CLOSE(share, 0), "no live SSL bytes: no share");
	ASSERT_TRUE(CLOSE(r2, 200000.0 * 200000 / (200 * (544e6 - 32000.0 * 32000 / 3))), "R^2");
	history__free(h);
}

static void test_rss_too_little_movement(void)
{
	static const double x[] = { 0, 3, 6 };
	static const double y[] = { 0, 3000, 6000 };
	struct history *h = line(x, y, 3);
	double slope, se, share, r2;
	struct summary s;

	if (!h)
		return;
	memset(&s, 0, sizeof(s));
	s.hist = h;
	/* the fit wants the count to move by 10 at least */
	ASSERT_EQ(summary_rss_slope(&s, &slope, &se, &share, &r2), 0, "moved by 6: no fit");
	ASSERT_TRUE(slope == 0 && se == 0 && share == 0 && r2 == 0, "zeroes");
	s.hist = NULL;
	ASSERT_EQ(summary_rss_slope(&s, &slope, &se, &share, &r2), 0, "no time line: no fit");
	history__free(h);
}

static const struct test_case tests[] = {
	TEST(test_bytes_per_ssl),
	TEST(test_ssl_cost),
	TEST(test_closed_and_all_cost),
	TEST(test_sites_sorted),
	TEST(test_hits_and_complete),
	TEST(test_rss_exact_line),
	TEST(test_rss_scatter),
	TEST(test_rss_too_little_movement),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
