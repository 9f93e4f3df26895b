// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unit tests for user/detect/growth.c, on synthetic sample streams at one sample a
 * second. A small simulator (fixed seeds) churns connections: every second
 * about `rate` SSL objects are created, `held` stay open and the others live
 * `life_s` on average, so ssl_live is held plus a Poisson number in flight
 * and ssl_freed = ssl_created - ssl_live. The "normal" sites of a server
 * follow ssl_live with noise of their own; tests add a leaking, caching or
 * growing site on top, and check that each detector fires on its pattern and
 * stays silent on the others. The times and connections it took to fire are
 * printed for the README.
 */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "model.h"
#include "growth.h"
#include "test.h"

#define NSITES_MAX	16
#define NORMAL_SITES	5	/* sites 0..4: a server without a problem */
#define SITE_X		5	/* the site under test */

struct sim {
	__u64 rng;
	double t;
	__u64 created, freed, live, held;
	__u64 sockets;
	__u64 sess_cached, sess_bytes;	/* sessions a cache holds, bytes of live sessions */
	double ar;			/* state of the mean-reverting site */
	__u32 nsites;
	struct site_stats st[NSITES_MAX];
	__u8 cache[NSITES_MAX];
	struct growth *g;
	int err;			/* first error of growth__add */
};

static double urand(struct sim *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return ((m->rng >> 11) + 0.5) / 9007199254740992.0;
}

static double nrand(struct sim *m)
{
	return sqrt(-2 * log(urand(m))) * cos(2 * M_PI * urand(m));
}

static __u64 poisson(struct sim *m, double mean)
{
	double v = round(mean + sqrt(mean) * nrand(m));

	return v > 0 ? (__u64)v : 0;
}

static bool sim_init(struct sim *m, __u64 seed, const struct growth_params *p)
{
	memset(m, 0, sizeof(*m));
	m->rng = 0x9e3779b97f4a7c15ULL ^ (seed * 0xbf58476d1ce4e5b9ULL);
	m->sockets = UINT64_MAX;
	m->ar = 100;
	m->nsites = NORMAL_SITES;
	m->g = growth__new(p);
	return ASSERT_TRUE(m->g != NULL, "growth__new");
}

static void set_site(struct sim *m, __u32 id, long long blocks, __u64 size)
{
	if (blocks < 0)
		blocks = 0;
	m->st[id].live_blocks = blocks;
	m->st[id].live_bytes = blocks * size;
	if (id >= m->nsites)
		m->nsites = id + 1;
}

/* One second of traffic; held_delta opens (or closes) long-lived connections. */
static void conns(struct sim *m, double rate, double life_s, long long held_delta)
{
	__u64 created = m->created + (rate > 0 ? poisson(m, rate) : 0);
	__u64 live;

	if (held_delta < 0 && (__u64)-held_delta > m->held)
		held_delta = -(long long)m->held;
	m->held += held_delta;
	live = m->held + (rate > 0 ? poisson(m, rate * life_s) : 0);
	if (created < m->freed + live)
		created = m->freed + live;
	m->created = created;
	m->freed = created - live;
	m->live = live;
}

/*
 * Sites 0..4 of a healthy server: init-time allocations, per-connection
 * records and buffers that follow ssl_live with noise of their own, and a
 * mean-reverting site unrelated to connections. Residual noise (what
 * ssl_live does not explain) is about 3 KB per sample.
 */
static void normal_sites(struct sim *m)
{
	m->ar = 100 + 0.9 * (m->ar - 100) + 3 * nrand(m);
	set_site(m, 0, 200, 64);
	set_site(m, 1, 3 * m->live + lround(0.7 * nrand(m)), 4096);
	set_site(m, 2, 2 * m->live, 17408);
	set_site(m, 3, 10 * m->live + lround(3 * nrand(m)), 48);
	set_site(m, 4, lround(m->ar), 128);
}

static void push(struct sim *m)
{
	struct growth_sample s = {
		.t_s = m->t,
		.ssl_live = m->live,
		.ssl_created = m->created,
		.ssl_freed = m->freed,
		.open_sockets = m->sockets,
		.nsites = m->nsites,
		.sites = m->st,
		.site_is_cache = m->cache,
		.sess_cached = m->sess_cached,
		.sess_bytes = m->sess_bytes,
	};
	__u32 i;
	int err;

	for (i = 0; i < m->nsites; i++) {
		s.live_bytes += m->st[i].live_bytes;
		s.live_blocks += m->st[i].live_blocks;
	}
	err = growth__add(m->g, &s);
	if (err && !m->err)
		m->err = err;
	m->t += 1;
}

static size_t get_flags(struct sim *m, struct growth_flag *f, size_t cap)
{
	size_t n = growth__flags(m->g, f, cap);

	return n < cap ? n : cap;
}

/* Index of the first flag of kind (and site, unless UINT32_MAX), or -1. */
static int find_flag(const struct growth_flag *f, size_t n, enum growth_kind kind, __u32 site)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].kind == kind && (site == UINT32_MAX || f[i].site == site))
			return i;
	return -1;
}

static void print_flags(const char *what, const struct growth_flag *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "  %s: flag kind %d site %u active %d since %.0f k %.4f bpb %.1f "
			"conns %.0f bph %.0f r2 %.3f t %.1f top %u/%u/%u\n", what, f[i].kind,
			f[i].site, f[i].active, f[i].since_s, f[i].blocks_per_conn,
			f[i].bytes_per_block, f[i].conns, f[i].bytes_per_hour, f[i].r2,
			f[i].tstat, f[i].top_sites[0], f[i].top_sites[1], f[i].top_sites[2]);
}

/* ---- (1) steady churn: nothing ---- */

static void test_steady_churn_is_silent(void)
{
	struct growth_flag f[8];
	__u64 seed;

	for (seed = 1; seed <= 5; seed++) {
		struct sim m;
		int i;

		if (!sim_init(&m, seed, NULL))
			return;
		for (i = 0; i < 600; i++) {
			conns(&m, 100, 0.5, i < 5 ? 10 : 0);
			normal_sites(&m);
			push(&m);
		}
		ASSERT_EQ(m.err, 0, "growth__add");
		if (!ASSERT_EQ(get_flags(&m, f, 8), 0, "no flag in 10 min of churn"))
			print_flags("churn", f, get_flags(&m, f, 8));
		ASSERT_TRUE(!growth__any(m.g), "growth__any");
		growth__free(m.g);
	}
}

/* ---- (2) the Netty leak ---- */

/*
 * Normal churn at ~50 conns/s plus site X leaking per_leak blocks of 32
 * bytes every `every` connections freed. Returns the seconds to the leak
 * flag, or -1; *conns_out gets the connections freed by then.
 */
static double run_netty(__u64 seed, int every, double *conns_out, struct growth_flag *out)
{
	struct growth_flag f[8];
	double fired = -1;
	struct sim m;
	size_t n;
	int i, ix;

	if (!sim_init(&m, seed, NULL))
		return -1;
	for (i = 0; i < 300; i++) {
		conns(&m, 50, 0.4, i < 5 ? 10 : 0);
		normal_sites(&m);
		set_site(&m, SITE_X, 7 + m.freed / every, 32);
		push(&m);
		n = get_flags(&m, f, 8);
		ix = find_flag(f, n, GROWTH_LEAK_PER_CONN, SITE_X);
		if (fired < 0 && ix >= 0) {
			fired = m.t - 1;
			*conns_out = m.freed;
		}
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	if (!ASSERT_EQ(n, 1, "exactly one flag"))
		print_flags("netty", f, n);
	ix = find_flag(f, n, GROWTH_LEAK_PER_CONN, SITE_X);
	if (ASSERT_TRUE(ix >= 0, "leak flag on the leaking site")) {
		*out = f[ix];
		ASSERT_TRUE(f[ix].active, "still active");
		ASSERT_TRUE(growth__any(m.g), "growth__any");
	}
	growth__free(m.g);
	return fired;
}

static void test_netty_leak_found(void)
{
	struct growth_flag f;
	double conns1 = 0, t;
	__u64 seed;

	for (seed = 1; seed <= 3; seed++) {
		memset(&f, 0, sizeof(f));
		t = run_netty(seed, 1, &conns1, &f);
		if (!ASSERT_TRUE(t >= 0 && t <= 60, "fired within 60 s"))
			continue;
		ASSERT_TRUE(fabs(f.blocks_per_conn - 1) < 0.05, "k within 5% of 1");
		ASSERT_TRUE(fabs(f.bytes_per_block - 32) < 0.5, "32-byte blocks");
		ASSERT_TRUE(fabs(f.bytes_per_hour / (32.0 * 50 * 3600) - 1) < 0.1,
			    "bytes per hour");
		ASSERT_TRUE(f.r2 > 0.99, "r2");
		printf("  netty leak (1 block/conn, seed %llu): fired after %.0f s and %.0f "
		       "connections freed; k %.4f, %.1f B/block, %.0f B/h (expected %.0f), "
		       "r2 %.4f\n", (unsigned long long)seed, t, conns1, f.blocks_per_conn,
		       f.bytes_per_block, f.bytes_per_hour, 32.0 * 50 * 3600, f.r2);
	}
}

static void test_slow_leak_one_in_ten(void)
{
	struct growth_flag f = { 0 };
	double conns1 = 0, t;

	t = run_netty(7, 10, &conns1, &f);
	if (!ASSERT_TRUE(t >= 0 && t <= 60, "fired within 60 s"))
		return;
	ASSERT_TRUE(fabs(f.blocks_per_conn - 0.1) < 0.005, "k within 5% of 0.1");
	ASSERT_TRUE(fabs(f.bytes_per_block - 32) < 1, "32-byte blocks");
	ASSERT_TRUE(fabs(f.bytes_per_hour / (3.2 * 50 * 3600) - 1) < 0.1, "bytes per hour");
	printf("  leak of 1 block per 10 connections: fired after %.0f s and %.0f connections "
	       "freed; k %.4f, %.1f B/block, %.0f B/h\n", t, conns1, f.blocks_per_conn,
	       f.bytes_per_block, f.bytes_per_hour);
}

/* ---- (3) a bounded cache: fills with connections, then flat at 1000 blocks ---- */

static void run_cache(bool marked)
{
	double leak_on = -1, leak_off = -1;
	struct growth_flag f[8];
	__u64 freed0 = 0;
	bool any_ever = false;
	struct sim m;
	size_t n;
	int i, ix;

	if (!sim_init(&m, 11, NULL))
		return;
	m.cache[SITE_X] = marked;
	for (i = 0; i < 480; i++) {
		long long b;

		conns(&m, 50, 0.4, i < 5 ? 10 : 0);
		if (!i)
			freed0 = m.freed;
		normal_sites(&m);
		b = m.freed - freed0;
		set_site(&m, SITE_X, b < 1000 ? b : 1000, 200);
		push(&m);
		any_ever |= growth__any(m.g);
		n = get_flags(&m, f, 8);
		ix = find_flag(f, n, GROWTH_LEAK_PER_CONN, SITE_X);
		if (ix >= 0 && leak_on < 0)
			leak_on = m.t - 1;
		if (ix >= 0 && !f[ix].active && leak_off < 0)
			leak_off = m.t - 1;
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	ASSERT_TRUE(!growth__any(m.g), "no active flag at the end");
	ASSERT_TRUE(find_flag(f, n, GROWTH_GROWTH, UINT32_MAX) < 0, "no growth flag");
	if (marked) {
		ix = find_flag(f, n, GROWTH_CACHE, SITE_X);
		ASSERT_TRUE(!any_ever, "a marked cache never raises a growth flag");
		ASSERT_TRUE(find_flag(f, n, GROWTH_LEAK_PER_CONN, UINT32_MAX) < 0, "never a leak");
		if (ASSERT_TRUE(ix >= 0, "reported as a cache")) {
			ASSERT_TRUE(!f[ix].active, "inactive once flat");
			printf("  marked cache: GROWTH_CACHE from %.0f s (k %.2f), inactive at the "
			       "end; no leak flag\n", f[ix].since_s, f[ix].blocks_per_conn);
		}
	} else {
		ix = find_flag(f, n, GROWTH_LEAK_PER_CONN, SITE_X);
		if (ix >= 0) {
			ASSERT_TRUE(!f[ix].active, "leak flag inactive once flat");
			ASSERT_TRUE(leak_off >= 0 && leak_off <= 20 + 300,
				    "cleared within a window");
		}
		printf("  unmarked bounded cache (full at ~20 s): leak flag raised at %.0f s, "
		       "inactive from %.0f s\n", leak_on, leak_off);
	}
	if (test_failures)
		print_flags(marked ? "cache" : "bounded", f, n);
	growth__free(m.g);
}

static void test_cache_marked(void)
{
	run_cache(true);
}

static void test_bounded_unmarked(void)
{
	run_cache(false);
}

/*
 * ---- (3b) a session cache filling up in a short run ----
 * stunnel's default cache in a run of 40 s: every closed connection leaves
 * its session (1108 B, owned) in the cache, which never fills. With the
 * sessions reported cached, that is the cache flag's and never growth; the
 * same bytes in sessions no cache holds are growth.
 */
static void run_session_cache(bool cached, struct growth_flag *out, bool *any_ever)
{
	struct growth_flag f[8];
	__u64 freed0 = 0;
	struct sim m;
	size_t n;
	int i, ix;

	*any_ever = false;
	memset(out, 0, sizeof(*out));
	if (!sim_init(&m, 41, NULL))
		return;
	m.cache[SITE_X] = 1;		/* ssl_sess.c */
	for (i = 0; i < 40; i++) {
		long long b;

		conns(&m, 25, 0.2, 0);
		if (!i)
			freed0 = m.freed;
		normal_sites(&m);
		b = m.freed - freed0;
		set_site(&m, SITE_X, b, 1108);
		m.st[SITE_X].allocs = m.st[SITE_X].owned_allocs = b;
		m.sess_cached = cached ? b : 0;
		m.sess_bytes = m.st[SITE_X].live_bytes;
		push(&m);
		*any_ever |= growth__any(m.g);
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	ix = find_flag(f, n, GROWTH_GROWTH, UINT32_MAX);
	if (ix >= 0)
		*out = f[ix];
	if (test_failures)
		print_flags(cached ? "session cache" : "sessions uncached", f, n);
	growth__free(m.g);
}

static void test_session_cache_is_not_growth(void)
{
	struct growth_flag g;
	bool any;

	run_session_cache(true, &g, &any);
	ASSERT_TRUE(!any, "a filling session cache never fails --fail-on-growth");
	ASSERT_EQ(g.kind, 0, "no growth flag");
	run_session_cache(false, &g, &any);
	if (ASSERT_EQ(g.kind, GROWTH_GROWTH, "the same bytes in uncached sessions are growth"))
		printf("  session cache filling for 40 s: no growth flag; uncached, growth "
		       "from %.0f s at %.0f B/h\n", g.since_s, g.bytes_per_hour);
}

/* ---- (4) a burst of 500 connections, then release ---- */

static void test_burst_is_silent(void)
{
	struct growth_flag f[8];
	struct sim m;
	size_t n;
	int i;

	if (!sim_init(&m, 21, NULL))
		return;
	for (i = 0; i < 400; i++) {
		long long d = 0;

		if (i >= 10 && i < 20)
			d = 50;
		else if (i >= 40 && i < 50)
			d = -50;
		conns(&m, 2, 0.5, d);
		normal_sites(&m);
		push(&m);
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	ASSERT_TRUE(m.freed >= 500, "500 connections freed");
	n = get_flags(&m, f, 8);
	if (!ASSERT_EQ(n, 0, "no flag"))
		print_flags("burst", f, n);
	growth__free(m.g);
}

/* ---- (5) slow real growth with a flat connection count ---- */

static void test_slow_growth_flagged(void)
{
	struct growth_flag f[8];
	double fired = -1;
	struct sim m;
	size_t n;
	int i, ix = -1;

	if (!sim_init(&m, 31, NULL))
		return;
	for (i = 0; i < 600; i++) {
		conns(&m, 100, 0.5, i < 5 ? 10 : 0);
		normal_sites(&m);
		/* a global cache: one 256-byte entry every 7.5 s, +2 KiB/min */
		set_site(&m, SITE_X, 50 + (long long)(i / 7.5), 256);
		push(&m);
		n = get_flags(&m, f, 8);
		ix = find_flag(f, n, GROWTH_GROWTH, UINT32_MAX);
		if (ix >= 0 && fired < 0)
			fired = m.t - 1;
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	if (!ASSERT_EQ(n, 1, "one flag"))
		print_flags("slow", f, n);
	ix = find_flag(f, n, GROWTH_GROWTH, UINT32_MAX);
	if (!ASSERT_TRUE(ix >= 0, "growth flagged"))
		return;
	ASSERT_TRUE(f[ix].active, "active");
	ASSERT_EQ(f[ix].site, UINT32_MAX, "about the process");
	ASSERT_EQ(f[ix].top_sites[0], SITE_X, "the growing site first");
	ASSERT_TRUE(fabs(f[ix].top_rates[0] / (2048.0 * 60) - 1) < 0.25, "its rate");
	ASSERT_TRUE(fabs(f[ix].bytes_per_hour / (2048.0 * 60) - 1) < 0.25, "the growth rate");
	printf("  slow growth (+2 KiB/min, ~3 KB of noise per sample): fired after %.0f s; "
	       "%.0f B/h (expected %.0f), t %.1f, top site %u at %.0f B/h\n", fired,
	       f[ix].bytes_per_hour, 2048.0 * 60, f[ix].tstat, f[ix].top_sites[0],
	       f[ix].top_rates[0]);
	growth__free(m.g);
}

/* Faster growth (+64 KiB/min) is flagged at once; when it stops, the flag turns inactive. */
static void test_fast_growth_then_stop(void)
{
	double fired = -1, off = -1;
	struct growth_flag f[8];
	struct sim m;
	size_t n;
	int i, ix;

	if (!sim_init(&m, 32, NULL))
		return;
	for (i = 0; i < 900; i++) {
		conns(&m, 100, 0.5, i < 5 ? 10 : 0);
		normal_sites(&m);
		set_site(&m, SITE_X, 50 + (i < 300 ? i : 300) * 4, 256);	/* 1 KiB/s */
		push(&m);
		n = get_flags(&m, f, 8);
		ix = find_flag(f, n, GROWTH_GROWTH, UINT32_MAX);
		if (ix >= 0 && fired < 0)
			fired = m.t - 1;
		if (ix >= 0 && !f[ix].active && off < 0)
			off = m.t - 1;
		if (i == 299 && ASSERT_TRUE(ix >= 0, "flagged while growing")) {
			ASSERT_TRUE(f[ix].active, "active while growing");
			ASSERT_EQ(f[ix].top_sites[0], SITE_X, "the growing site first");
			ASSERT_TRUE(fabs(f[ix].bytes_per_hour / (1024.0 * 3600) - 1) < 0.1, "rate");
		}
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	if (!ASSERT_EQ(n, 1, "one flag"))
		print_flags("fast", f, n);
	ASSERT_TRUE(fired >= 0 && fired <= 60, "fired within a minute");
	ASSERT_TRUE(off > 300 && off <= 600, "inactive within a window of the stop");
	ASSERT_TRUE(!growth__any(m.g), "growth__any once flat");
	printf("  fast growth (+64 KiB/min): fired after %.0f s; stopped at 300 s, inactive "
	       "from %.0f s\n", fired, off);
	growth__free(m.g);
}

/* Growth with time at 5 conns/s: k would pass the floor, but time explains it better. */
static void test_time_growth_is_not_per_conn(void)
{
	struct growth_flag f[8];
	double fired = -1;
	struct sim m;
	size_t n;
	int i, ix;

	if (!sim_init(&m, 33, NULL))
		return;
	for (i = 0; i < 600; i++) {
		conns(&m, 5, 0.5, i < 5 ? 10 : 0);
		normal_sites(&m);
		set_site(&m, SITE_X, 50 + (long long)(i * 200 / 256.0), 256);	/* 200 B/s */
		push(&m);
		n = get_flags(&m, f, 8);
		if (fired < 0 && find_flag(f, n, GROWTH_GROWTH, UINT32_MAX) >= 0)
			fired = m.t - 1;
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	ix = find_flag(f, n, GROWTH_GROWTH, UINT32_MAX);
	ASSERT_TRUE(find_flag(f, n, GROWTH_LEAK_PER_CONN, UINT32_MAX) < 0, "no leak flag");
	if (ASSERT_TRUE(ix >= 0, "growth flagged"))
		ASSERT_EQ(f[ix].top_sites[0], SITE_X, "the growing site first");
	else
		print_flags("time", f, n);
	printf("  growth with time at 5 conns/s (+200 B/s, k would be 0.16): GROWTH after "
	       "%.0f s, no leak flag\n", fired);
	growth__free(m.g);
}

/* ---- (6) SSL objects outliving their sockets ---- */

static double run_sockets(__u64 live, __u64 sockets, struct growth_flag *out, size_t *n)
{
	struct growth_flag f[8];
	double fired = -1;
	struct sim m;
	int i;

	*n = 0;
	if (!sim_init(&m, 41, NULL))
		return -1;
	m.held = live;
	m.sockets = sockets;
	for (i = 0; i < 61; i++) {
		conns(&m, 0, 0, 0);
		normal_sites(&m);
		push(&m);
		if (fired < 0 && get_flags(&m, f, 8))
			fired = m.t - 1;
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	*n = get_flags(&m, out, 8);
	growth__free(m.g);
	return fired;
}

static void test_ssl_outlives_socket(void)
{
	struct growth_flag f[8];
	double t;
	size_t n;

	t = run_sockets(500, 20, f, &n);
	if (ASSERT_EQ(n, 1, "one flag") &&
	    ASSERT_EQ(f[0].kind, GROWTH_SSL_OUTLIVES_SOCKET, "kind")) {
		ASSERT_TRUE(f[0].active, "active");
		ASSERT_TRUE(f[0].ssl_live == 500 && f[0].sockets == 20, "figures");
		ASSERT_TRUE(t >= 30 && t <= 31, "after 30 s");
		printf("  ssl-outlives-socket (500 SSL, 20 sockets): fired after %.0f s\n", t);
	}
	run_sockets(500, 480, f, &n);
	ASSERT_EQ(n, 0, "500 SSL on 480 sockets: silent");
	run_sockets(500, UINT64_MAX, f, &n);
	ASSERT_EQ(n, 0, "unknown sockets: silent");
}

static void test_socket_flag_clears(void)
{
	struct growth_flag f[2];
	struct sim m;
	int i;

	if (!sim_init(&m, 42, NULL))
		return;
	m.held = 500;
	m.sockets = 20;
	for (i = 0; i < 80; i++) {
		if (i == 60)
			m.sockets = 480;
		conns(&m, 0, 0, 0);
		normal_sites(&m);
		push(&m);
		if (i == 59)
			ASSERT_TRUE(growth__any(m.g), "raised");
	}
	if (ASSERT_EQ(get_flags(&m, f, 2), 1, "kept in the list"))
		ASSERT_TRUE(!f[0].active, "inactive once the sockets are back");
	ASSERT_TRUE(!growth__any(m.g), "growth__any");
	growth__free(m.g);
}

/* ---- (7) the demo: churn while the held-open count grows ---- */

static void test_demo_held_open_growth_is_no_leak(void)
{
	struct growth_flag f[8];
	__u64 seed;

	for (seed = 1; seed <= 3; seed++) {
		struct sim m;
		size_t n;
		int i;

		if (!sim_init(&m, 50 + seed, NULL))
			return;
		for (i = 0; i < 600; i++) {
			conns(&m, 40, 0.3, 1);
			normal_sites(&m);
			push(&m);
		}
		ASSERT_EQ(m.err, 0, "growth__add");
		n = get_flags(&m, f, 8);
		if (!ASSERT_EQ(n, 0, "no flag: memory follows ssl_live"))
			print_flags("demo", f, n);
		growth__free(m.g);
	}
}

/* The demo's pattern plus a real leak: the leak is found, the per-connection sites are not. */
static void test_leak_while_held_open_grows(void)
{
	struct growth_flag f[8];
	double fired = -1;
	struct sim m;
	size_t n;
	int i, ix;

	if (!sim_init(&m, 55, NULL))
		return;
	for (i = 0; i < 300; i++) {
		conns(&m, 40, 0.3, 1);
		normal_sites(&m);
		set_site(&m, SITE_X, 7 + m.freed, 32);
		push(&m);
		n = get_flags(&m, f, 8);
		if (fired < 0 && find_flag(f, n, GROWTH_LEAK_PER_CONN, SITE_X) >= 0)
			fired = m.t - 1;
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	n = get_flags(&m, f, 8);
	if (!ASSERT_EQ(n, 1, "one flag"))
		print_flags("held+leak", f, n);
	ix = find_flag(f, n, GROWTH_LEAK_PER_CONN, SITE_X);
	if (ASSERT_TRUE(ix >= 0, "leak on the leaking site"))
		ASSERT_TRUE(fabs(f[ix].blocks_per_conn - 1) < 0.05, "k");
	printf("  leak while the held-open count grows: fired after %.0f s\n", fired);
	growth__free(m.g);
}

/* ---- (8) baseline deltas ---- */

static void test_baseline_deltas(void)
{
	long long bytes, blocks;
	double per_min;
	struct sim m;
	int i;

	if (!sim_init(&m, 61, NULL))
		return;
	m.nsites = 2;
	for (i = 0; i < 100; i++) {
		set_site(&m, 0, 10 + i, 100);		/* +100 B/s */
		set_site(&m, 1, 5, 64);
		if (i >= 60)
			set_site(&m, 2, i - 59, 10);	/* appears after the baseline */
		push(&m);
		if (i == 49) {
			ASSERT_EQ(growth__site_delta(m.g, 0, &bytes, &blocks, NULL), 0, "delta");
			ASSERT_EQ(bytes, 4900, "since the first sample: bytes");
			ASSERT_EQ(blocks, 49, "since the first sample: blocks");
			growth__set_baseline(m.g);
		}
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	ASSERT_EQ(growth__site_delta(m.g, 0, &bytes, &blocks, &per_min), 0, "site 0");
	ASSERT_EQ(bytes, 5000, "site 0 bytes since the baseline");
	ASSERT_EQ(blocks, 50, "site 0 blocks since the baseline");
	ASSERT_TRUE(fabs(per_min - 6000) < 1, "site 0: 6000 B/min");
	ASSERT_EQ(growth__site_delta(m.g, 1, &bytes, &blocks, &per_min), 0, "site 1");
	ASSERT_TRUE(bytes == 0 && blocks == 0 && per_min == 0, "site 1 flat");
	ASSERT_EQ(growth__site_delta(m.g, 2, &bytes, &blocks, NULL), 0, "site 2");
	ASSERT_EQ(blocks, 40, "a site born after the baseline counts from zero");
	ASSERT_EQ(bytes, 400, "site 2 bytes");
	ASSERT_EQ(growth__site_delta(m.g, 3, &bytes, &blocks, &per_min), -ENOENT, "unknown id");
	ASSERT_EQ(growth__site_delta(m.g, 0, NULL, NULL, NULL), 0, "NULL outputs");
	growth__free(m.g);
}

/*
 * A site above 2 GiB that moves by 4 GiB in all, 1.2 GiB per window: its
 * history is rebased on the way and the figures stay exact.
 */
static void test_huge_site(void)
{
	struct growth_params p = { .window_s = 60 };
	long long bytes, blocks;
	double per_min;
	struct sim m;
	int i;

	if (!sim_init(&m, 62, &p))
		return;
	m.nsites = 1;
	for (i = 0; i < 200; i++) {
		m.st[0].live_blocks = 1000 + i;
		m.st[0].live_bytes = 3ULL * 1024 * 1024 * 1024 + (__u64)i * 20 * 1024 * 1024;
		push(&m);
	}
	ASSERT_EQ(m.err, 0, "growth__add");
	ASSERT_EQ(growth__site_delta(m.g, 0, &bytes, &blocks, &per_min), 0, "delta");
	ASSERT_EQ(bytes, 199LL * 20 * 1024 * 1024, "bytes");
	ASSERT_EQ(blocks, 199, "blocks");
	ASSERT_TRUE(fabs(per_min / (20.0 * 1024 * 1024 * 60) - 1) < 1e-9, "per_min");
	growth__free(m.g);
}

/* ---- (9) memory stays bounded ---- */

static void test_memory_bounded(void)
{
	enum { NS = 2000 };
	struct site_stats *st = calloc(NS, sizeof(*st));
	struct growth_sample s = { .open_sockets = UINT64_MAX, .nsites = NS };
	size_t at5k = 0, bound;
	struct growth *g = growth__new(NULL);
	int i, err = 0;
	__u32 id;

	if (!ASSERT_TRUE(st && g, "alloc"))
		goto out;
	s.sites = st;
	for (i = 0; i < 15000; i++) {
		/* 10,000 samples a second apart, then 5,000 ten a second */
		s.t_s = i < 10000 ? i : 10000 + (i - 10000) * 0.1;
		s.ssl_live = 100 + i % 7;
		s.ssl_freed = 50ULL * i;
		s.ssl_created = s.ssl_freed + s.ssl_live;
		for (id = 0; id < NS; id++) {
			st[id].live_blocks = (id + i) % 13 + (id & 1 ? i / 100 : 0);
			st[id].live_bytes = st[id].live_blocks * (16 + id % 64);
		}
		if (!err)
			err = growth__add(g, &s);
		if (i == 4999)
			at5k = growth__bytes(g);
	}
	ASSERT_EQ(err, 0, "growth__add");
	/*
	 * Bound: at most GROWTH_HIST_MAX rows of history plus one spare, each
	 * GROWTH_SITE_SAMPLE_BYTES per site (rounded up to 64 sites), the
	 * per-site sums and figures (<= 256 bytes a site, 2048 slots), and
	 * 64 KiB for the ring, the flags and the object: 7.1 MB for 2,000 sites.
	 */
	bound = (GROWTH_HIST_MAX + 1) * 2048UL * GROWTH_SITE_SAMPLE_BYTES + 2048UL * 256 + 65536;
	ASSERT_TRUE(growth__bytes(g) <= bound, "below the bound");
	ASSERT_TRUE(at5k <= bound, "below the bound at 5,000 samples");
	printf("  memory: %zu bytes with 2,000 sites after 5,000 samples at 1/s, %zu after "
	       "15,000 (the last 5,000 at 10/s); bound %zu\n", at5k, growth__bytes(g), bound);
out:
	growth__free(g);
	free(st);
}

/* ---- API edges ---- */

static void test_params_and_errors(void)
{
	struct growth_params p = { .min_samples = 2 };
	struct site_stats st[2] = { { 0 } };
	struct growth_sample s = { .t_s = 1, .open_sockets = UINT64_MAX, .nsites = 2, .sites = st };
	struct growth_flag f;
	struct growth *g;

	errno = 0;
	ASSERT_TRUE(growth__new(&p) == NULL && errno == EINVAL, "min_samples too small");
	p = (struct growth_params){ .window_s = -1 };
	errno = 0;
	ASSERT_TRUE(growth__new(&p) == NULL && errno == EINVAL, "negative window");
	p = (struct growth_params){ .window_s = 60, .min_samples = 20, .min_conns = 10 };
	g = growth__new(&p);
	if (!ASSERT_TRUE(g != NULL, "growth__new"))
		return;
	ASSERT_EQ(growth__add(g, &s), 0, "first sample");
	ASSERT_EQ(growth__add(g, &s), -EINVAL, "same time");
	s.t_s = 2;
	s.nsites = 1;
	ASSERT_EQ(growth__add(g, &s), -EINVAL, "nsites shrinks");
	s.nsites = 2;
	ASSERT_EQ(growth__add(g, &s), 0, "second sample");
	ASSERT_EQ(growth__flags(g, NULL, 0), 0, "no flags");
	ASSERT_EQ(growth__flags(g, &f, 1), 0, "no flags");
	ASSERT_TRUE(!growth__any(g), "growth__any");
	ASSERT_TRUE(growth__bytes(g) > sizeof(struct growth_flag), "growth__bytes");
	growth__free(g);
	growth__free(NULL);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_steady_churn_is_silent),
		TEST(test_netty_leak_found),
		TEST(test_slow_leak_one_in_ten),
		TEST(test_cache_marked),
		TEST(test_bounded_unmarked),
		TEST(test_session_cache_is_not_growth),
		TEST(test_burst_is_silent),
		TEST(test_slow_growth_flagged),
		TEST(test_fast_growth_then_stop),
		TEST(test_time_growth_is_not_per_conn),
		TEST(test_ssl_outlives_socket),
		TEST(test_socket_flag_clears),
		TEST(test_demo_held_open_growth_is_no_leak),
		TEST(test_leak_while_held_open_grows),
		TEST(test_baseline_deltas),
		TEST(test_huge_site),
		TEST(test_memory_bounded),
		TEST(test_params_and_errors),
	};

	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
