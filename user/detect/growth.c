// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Growth detection; see growth.h for the API. The history is a ring of rows,
 * one per kept sample, each with the global figures and an array of
 * (blocks, bytes - base) per site. Sums over the rows in the window (of each
 * series, of squares and of cross products) are kept exactly in 128-bit
 * integers: added when a row enters, subtracted when it leaves, so they never
 * drift, and each least-squares fit costs O(1) per site, O(sites) a sample
 * whatever the window. Pure C; no I/O, no clock, no globals.
 *
 * The method (lifecycle verdicts through sprt.h, fits for what has no
 * owner) is described in docs/detection.md; each detector says which part it
 * implements. The growth fit is here; leak-per-connection and cache by fit
 * are in growth_leak.c, lifecycles and ssl-outlives-socket in growth_life.c,
 * sharing the state through growth_int.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "growth.h"
#include "sprt.h"
#include "growth_int.h"

#define DEF_WINDOW_S		300.0
#define DEF_MIN_CONNS		200
#define DEF_MIN_SAMPLES		10
#define MIN_SAMPLES_FLOOR	4	/* a fit with 3 coefficients needs one more */

#define GROWTH_T_RAISE		6.0
#define GROWTH_T_KEEP		3.0
#define GROWTH_REL_PER_H	0.01	/* of the live bytes */
#define GROWTH_MIN_PER_H	(32.0 * 1024)
#define GROWTH_HALF_RAISE	0.3	/* latest half's slope, as a share of the window's */
#define GROWTH_HALF_KEEP	0.1
#define GROWTH_QUARTER_RAISE	0.25	/* each quarter over the previous, as a share of g */
#define GROWTH_CONFIRM		1.0	/* windows of weaker evidence before a first raise */
#define GROWTH_T_FAST		12.0	/* ... unless t >= this */
#define GROWTH_FAST		4.0	/* ... and the growth >= this many floors */
#define CONTRIB_T_MIN		3.0
#define CONTRIB_MIN_PER_H	1024.0	/* bytes per hour below which a site is not a contributor */

struct growth *growth__new(const struct growth_params *p)
{
	struct growth_params d = { 0 };
	struct growth *g;

	if (p)
		d = *p;
	if (!d.window_s)
		d.window_s = DEF_WINDOW_S;
	if (!d.min_conns)
		d.min_conns = DEF_MIN_CONNS;
	if (!d.min_samples)
		d.min_samples = DEF_MIN_SAMPLES;
	if (!isfinite(d.window_s) || d.window_s <= 0 || d.window_s > 1e9 ||
	    d.min_samples < MIN_SAMPLES_FLOOR || d.min_samples > GROWTH_ROWS_PER_WINDOW) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->window_ms = llround(d.window_s * 1000);
	g->spacing_ms = g->window_ms / GROWTH_ROWS_PER_WINDOW;
	g->min_conns = d.min_conns;
	g->min_samples = d.min_samples;
	g->growth_flag = NO_FLAG;
	g->sock_flag = NO_FLAG;
	g->sess_flag = NO_FLAG;
	g->cache_flag = NO_FLAG;
	return g;
}

struct row *growth_row_at(const struct growth *g, __u32 i)
{
	return (struct row *)&g->rows[(g->head + i) % GROWTH_HIST_MAX];
}

void growth__free(struct growth *g)
{
	__u32 i;

	if (!g)
		return;
	for (i = 0; i < g->nrows; i++)
		free(growth_row_at(g, i)->e);
	free(g->spare);
	free(g->sites);
	free(g->flags);
	free(g->expl);
	free(g);
}

static __s32 clamp32(__int128 v)
{
	if (v > INT32_MAX)
		return INT32_MAX;
	if (v < INT32_MIN)
		return INT32_MIN;
	return (__s32)v;
}

__s64 growth_ent_blocks(const struct row *r, __u32 id)
{
	return id < r->n ? r->e[id].blocks : 0;
}

static __s64 ent_dbytes(const struct row *r, __u32 id, __u64 base)
{
	return id < r->n ? r->e[id].dbytes : clamp32(-(__int128)base);
}

static void site_account(struct site *st, const struct row *r, __u32 id, int sign)
{
	__int128 y = growth_ent_blocks(r, id), z = ent_dbytes(r, id, st->base);
	__int128 a = r->ssl_live, b = r->freed, t = r->t_ms;
	struct ssums *s = &st->s;

	if (!y && !z)
		return;
	y *= sign;
	z *= sign;
	s->y += y;
	s->yy += y * growth_ent_blocks(r, id);
	s->ya += y * a;
	s->yb += y * b;
	s->yt += y * t;
	s->z += z;
	s->zz += z * ent_dbytes(r, id, st->base);
	s->za += z * a;
	s->zb += z * b;
	s->zt += z * t;
}

static void account(struct growth *g, const struct row *r, int sign)
{
	__int128 a = r->ssl_live * sign, b = r->freed * sign, t = r->t_ms * sign;
	struct gsums *s = &g->gs;
	__u32 id;

	s->a += a;
	s->b += b;
	s->t += t;
	s->aa += a * r->ssl_live;
	s->bb += b * r->freed;
	s->tt += t * r->t_ms;
	s->ab += a * r->freed;
	s->at += a * r->t_ms;
	s->bt += b * r->t_ms;
	for (id = 0; id < g->nsites; id++)
		site_account(&g->sites[id], r, id, sign);
}

/*
 * Moves a site's bytes offset to v, rewriting its history (clamped) and
 * recomputing its sums: its bytes moved more than 2 GiB from the base.
 */
static void rebase(struct growth *g, __u32 id, __u64 v)
{
	struct site *st = &g->sites[id];
	__u32 i;

	for (i = 0; i < g->nrows; i++) {
		struct row *r = growth_row_at(g, i);

		if (id < r->n)
			r->e[id].dbytes = clamp32((__int128)st->base + r->e[id].dbytes - v);
	}
	st->base = v;
	memset(&st->s, 0, sizeof(st->s));
	for (i = 0; i < g->nrows; i++)
		site_account(st, growth_row_at(g, i), id, 1);
}

static int sites_reserve(struct growth *g, __u32 n)
{
	struct site *v;
	__u32 cap;

	if (n <= g->sites_cap)
		return 0;
	cap = g->sites_cap ? g->sites_cap : 64;
	while (cap < n)
		cap *= 2;
	v = realloc(g->sites, (size_t)cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	g->sites = v;
	g->sites_cap = cap;
	return 0;
}

static void sites_update(struct growth *g, const struct growth_sample *s)
{
	__u32 id;

	for (id = g->nsites; id < s->nsites; id++) {
		struct site *st = &g->sites[id];
		bool first = !g->started && !g->baseline_set;

		memset(st, 0, sizeof(*st));
		st->flag = NO_FLAG;
		st->ref_bytes = first ? s->sites[id].live_bytes : 0;
		st->ref_blocks = first ? s->sites[id].live_blocks : 0;
	}
	g->nsites = s->nsites;
	for (id = 0; id < s->nsites; id++) {
		struct site *st = &g->sites[id];

		st->bytes = s->sites[id].live_bytes;
		st->blocks = s->sites[id].live_blocks;
		st->cache = s->site_is_cache && s->site_is_cache[id];
		st->owned = s->sites[id].owned_allocs * 2 > s->sites[id].allocs;
		if (st->cache && st->flag != NO_FLAG &&
		    g->flags[st->flag].kind == GROWTH_LEAK_PER_CONN)
			g->flags[st->flag].kind = GROWTH_CACHE;
	}
}

static void evict_oldest(struct growth *g)
{
	struct row *r = growth_row_at(g, 0);

	account(g, r, -1);
	if (!g->spare) {
		g->spare = r->e;
		g->spare_cap = r->cap;
	} else {
		free(r->e);
	}
	r->e = NULL;
	g->head = (g->head + 1) % GROWTH_HIST_MAX;
	g->nrows--;
}

static void row_fill(struct growth *g, struct row *r, const struct growth_sample *s, __s64 t_ms)
{
	__u32 id;

	r->t_ms = t_ms;
	r->ssl_live = s->ssl_live;
	r->freed = s->ssl_freed - g->freed0;
	r->live_bytes = s->live_bytes;
	r->sess_bytes = s->sess_bytes;
	r->n = s->nsites;
	for (id = 0; id < s->nsites; id++) {
		struct site *st = &g->sites[id];
		__int128 d = (__int128)st->bytes - st->base;

		if (d > INT32_MAX || d < INT32_MIN) {
			rebase(g, id, st->bytes);
			d = 0;
		}
		r->e[id].blocks = st->blocks > UINT32_MAX ? UINT32_MAX : st->blocks;
		r->e[id].dbytes = d;
	}
}

/* ---- fits ---- */

double growth_cov(__int128 n, __int128 sxy, __int128 sx, __int128 sy)
{
	return (double)(n * sxy - sx * sy) / (double)n;
}

void growth_fit2(double uu, double vv, double uv, double uy, double vy, double yy, double n,
		 struct fit *f)
{
	double det = uu * vv - uv * uv;

	memset(f, 0, sizeof(*f));
	if (vv <= 0 || (uu > 0 && det <= COLLINEAR * uu * vv)) {
		f->collinear = true;
		f->cu = uu > 0 ? uy / uu : 0;
		f->sse = yy - f->cu * uy;
	} else if (uu <= 0) {
		f->cv = vy / vv;
		f->sse = yy - f->cv * vy;
		if (n > 2)
			f->se_v = sqrt(fmax(f->sse, 0) / (n - 2) / vv);
	} else {
		f->cu = (vv * uy - uv * vy) / det;
		f->cv = (uu * vy - uv * uy) / det;
		f->sse = yy - f->cu * uy - f->cv * vy;
		if (n > 3)
			f->se_v = sqrt(fmax(f->sse, 0) / (n - 3) * uu / det);
	}
	if (f->sse < 0)
		f->sse = 0;
}

/*
 * The means of v over the four quarters of the window rise by >= frac * c
 * times the rise of the means of x: from each quarter to the next (every),
 * or from the first to the last; and the last is above the first.
 */
bool growth_rises(const double *v, const double *x, __u32 n, double c, double frac, bool every)
{
	double vm[4] = { 0 }, xm[4] = { 0 };
	__u32 q, i;

	if (n < 4)
		return false;
	for (q = 0; q < 4; q++) {
		__u32 lo = q * n / 4, hi = (q + 1) * n / 4;

		for (i = lo; i < hi; i++) {
			vm[q] += v[i];
			xm[q] += x[i];
		}
		vm[q] /= hi - lo;
		xm[q] /= hi - lo;
	}
	if (vm[3] <= vm[0])
		return false;
	if (!every)
		return vm[3] - vm[0] >= frac * c * (xm[3] - xm[0]);
	for (q = 1; q < 4; q++)
		if (vm[q] - vm[q - 1] < frac * c * (xm[q] - xm[q - 1]))
			return false;
	return true;
}

/* growth_rises() for a site's blocks against ssl_freed. */
/*
 * What a t-statistic is worth when the residuals e[0..n) of its fit are
 * autocorrelated: sqrt(gamma0 / lrv), lrv the long-run variance by the
 * Bartlett kernel (Newey-West) over lags up to n / 4, never above 1. A site
 * drifting at random sits above or below any line for long stretches, and
 * its plain t-statistic grows with the window however little it means.
 */
double growth_lrv_factor(const double *e, __u32 n)
{
	__u32 lags = n / 4, i, j;
	double g0 = 0, lrv;

	for (i = 0; i < n; i++)
		g0 += e[i] * e[i];
	if (g0 <= 0)
		return 1;
	lrv = g0;
	for (j = 1; j <= lags; j++) {
		double gj = 0;

		for (i = j; i < n; i++)
			gj += e[i] * e[i - j];
		lrv += 2 * (1 - (double)j / (lags + 1)) * gj;
	}
	return lrv > g0 ? sqrt(g0 / lrv) : 1;
}

static void win_stats(const struct growth *g, struct win *w)
{
	const struct gsums *s = &g->gs;
	__int128 n = g->nrows;

	w->n = g->nrows;
	w->aa = growth_cov(n, s->aa, s->a, s->a);
	w->bb = growth_cov(n, s->bb, s->b, s->b);
	w->tt = growth_cov(n, s->tt, s->t, s->t);
	w->ab = growth_cov(n, s->ab, s->a, s->b);
	w->at = growth_cov(n, s->at, s->a, s->t);
	w->bt = growth_cov(n, s->bt, s->b, s->t);
	w->freed = growth_row_at(g, g->nrows - 1)->freed - growth_row_at(g, 0)->freed;
	w->span_ms = growth_row_at(g, g->nrows - 1)->t_ms - growth_row_at(g, 0)->t_ms;
}

/* ---- flags ---- */

static struct growth_flag *flag_new(struct growth *g, enum growth_kind kind, __u32 site,
				    double t_s, __u32 *ix)
{
	struct growth_flag *f;
	__u32 i;

	if (g->nflags == g->flags_cap) {
		size_t cap = g->flags_cap ? 2 * g->flags_cap : 8;
		__u32 *e = realloc(g->expl, cap * sizeof(*e));

		if (!e)
			return NULL;
		g->expl = e;
		f = realloc(g->flags, cap * sizeof(*f));
		if (!f)
			return NULL;
		g->flags = f;
		g->flags_cap = cap;
	}
	f = &g->flags[g->nflags];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->site = site;
	f->since_s = t_s;
	for (i = 0; i < 3; i++)
		f->top_sites[i] = UINT32_MAX;
	*ix = g->nflags++;
	return f;
}

/* The flag at *ix, created if there is none. NULL when memory runs out. */
struct growth_flag *growth_flag_get(struct growth *g, enum growth_kind kind, __u32 site,
				    double t_s, __u32 *ix)
{
	if (*ix != NO_FLAG)
		return &g->flags[*ix];
	return flag_new(g, kind, site, t_s, ix);
}

bool growth_flag_active(const struct growth *g, __u32 ix)
{
	return ix != NO_FLAG && g->flags[ix].active;
}

/* ---- growth (docs/detection.md, 4) ---- */

struct gfit {
	double g_ms;			/* bytes per ms that ssl_live does not explain */
	double tstat, r2;
	double half_ms;			/* the same slope over the latest half of the window */
	double mean;			/* mean bytes fitted */
	bool steady;			/* rising from quarter to quarter of the window */
};

/*
 * Live bytes of a row, less what an active flag explains: the sites of a leak
 * or cache flag, and the sessions' bytes while a session cache holds some.
 */
static double row_unexplained(const struct growth *g, const struct row *r)
{
	double y = r->live_bytes;
	size_t i;

	if (g->sess_expl)
		y -= (double)r->sess_bytes;
	for (i = 0; i < g->nexpl; i++) {
		const struct site *st = &g->sites[g->expl[i]];

		y -= (double)st->base + ent_dbytes(r, g->expl[i], st->base);
	}
	return y;
}

/* Slope in bytes per ms of y - cu * ssl_live over rows [from, nrows). */
static double half_slope(const struct growth *g, __u32 from, double cu)
{
	double m = g->nrows - from, tbar = 0, ybar = 0, ty = 0, tt = 0;
	__u32 i;

	for (i = from; i < g->nrows; i++) {
		const struct row *r = growth_row_at(g, i);

		tbar += r->t_ms;
		ybar += row_unexplained(g, r) - cu * r->ssl_live;
	}
	tbar /= m;
	ybar /= m;
	for (i = from; i < g->nrows; i++) {
		const struct row *r = growth_row_at(g, i);
		double dt = r->t_ms - tbar;

		ty += dt * (row_unexplained(g, r) - cu * r->ssl_live - ybar);
		tt += dt * dt;
	}
	return tt > 0 ? ty / tt : 0;
}

static void growth_fit(struct growth *g, const struct win *w, struct gfit *out)
{
	double abar = (double)g->gs.a / w->n, tbar = (double)g->gs.t / w->n;
	double ybar = 0, yy = 0, ay = 0, ty = 0, sse_u;
	struct fit f;
	__u32 i;

	for (i = 0; i < g->nrows; i++)
		ybar += row_unexplained(g, growth_row_at(g, i));
	ybar /= w->n;
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = growth_row_at(g, i);
		double dy = row_unexplained(g, r) - ybar;

		yy += dy * dy;
		ay += (r->ssl_live - abar) * dy;
		ty += (r->t_ms - tbar) * dy;
	}
	growth_fit2(w->aa, w->tt, w->at, ay, ty, yy, w->n, &f);
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = growth_row_at(g, i);

		g->resid[i] = row_unexplained(g, r) - ybar - f.cu * (r->ssl_live - abar) -
			      f.cv * (r->t_ms - tbar);
	}
	out->g_ms = f.cv;
	out->tstat = f.se_v > 0 ? f.cv / f.se_v * growth_lrv_factor(g->resid, g->nrows) :
		     (f.cv > 0 ? INFINITY : 0);
	sse_u = w->aa > 0 ? fmax(yy - ay * ay / w->aa, 0) : yy;
	out->r2 = sse_u > 0 ? (sse_u - f.sse) / sse_u : 0;
	out->mean = ybar;
	out->half_ms = half_slope(g, g->nrows / 2, f.cu);
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = growth_row_at(g, i);

		g->resid[i] = row_unexplained(g, r) - f.cu * r->ssl_live;
		g->xs[i] = r->t_ms;
	}
	out->steady = growth_rises(g->resid, g->xs, g->nrows, f.cv, GROWTH_QUARTER_RAISE, true);
}

/* The three sites growing fastest beyond their ssl_live share, among those not explained. */
static void top_sites(const struct growth *g, const struct win *w, struct growth_flag *f)
{
	__u32 id, i, j;

	for (i = 0; i < 3; i++) {
		f->top_sites[i] = UINT32_MAX;
		f->top_rates[i] = 0;
	}
	for (id = 0; id < g->nsites; id++) {
		const struct ssums *s = &g->sites[id].s;
		__int128 n = g->nrows;
		double zz, rate;
		struct fit fz;

		if (growth_flag_active(g, g->sites[id].flag))
			continue;
		zz = growth_cov(n, s->zz, s->z, s->z);
		if (zz <= 0)
			continue;
		growth_fit2(w->aa, w->tt, w->at, growth_cov(n, s->za, g->gs.a, s->z),
		     growth_cov(n, s->zt, g->gs.t, s->z), zz, w->n, &fz);
		if (fz.cv <= 0 || (fz.se_v > 0 && fz.cv / fz.se_v < CONTRIB_T_MIN))
			continue;
		rate = fz.cv * MS_PER_H;
		/* an exact fit (se 0) lets rounding noise through: ask for a real rate */
		if (rate < CONTRIB_MIN_PER_H)
			continue;
		for (i = 0; i < 3 && f->top_sites[i] != UINT32_MAX && f->top_rates[i] >= rate; i++)
			;
		if (i == 3)
			continue;
		for (j = 2; j > i; j--) {
			f->top_sites[j] = f->top_sites[j - 1];
			f->top_rates[j] = f->top_rates[j - 1];
		}
		f->top_sites[i] = id;
		f->top_rates[i] = rate;
	}
}

static int growth_detect(struct growth *g, const struct win *w, double t_s)
{
	struct growth_flag *f;
	double per_h, floor_h;
	bool weak, strong;
	struct gfit gf;
	size_t i;

	/*
	 * A session cache filling up is the cache flag's (bounded by its size),
	 * not growth: its sessions' bytes are left out, and with them the
	 * session sites a fit called a cache.
	 */
	g->sess_expl = growth_flag_active(g, g->cache_flag);
	g->nexpl = 0;
	for (i = 0; i < g->nflags; i++) {
		f = &g->flags[i];
		if (f->active && f->site != UINT32_MAX &&
		    (f->kind == GROWTH_LEAK_PER_CONN ||
		     (f->kind == GROWTH_CACHE && !g->sess_expl)))
			g->expl[g->nexpl++] = f->site;
	}
	growth_fit(g, w, &gf);
	per_h = gf.g_ms * MS_PER_H;
	floor_h = fmax(GROWTH_MIN_PER_H, GROWTH_REL_PER_H * gf.mean);
	weak = gf.g_ms > 0 && per_h >= 0.5 * floor_h && gf.tstat >= GROWTH_T_KEEP &&
	       gf.half_ms >= GROWTH_HALF_KEEP * gf.g_ms;
	strong = per_h >= floor_h && gf.tstat >= GROWTH_T_RAISE && gf.steady &&
		 gf.half_ms >= GROWTH_HALF_RAISE * gf.g_ms;
	if (!weak) {
		g->growth_pass = 0;
		if (growth_flag_active(g, g->growth_flag))
			g->flags[g->growth_flag].active = false;
		return 0;
	}
	if (!g->growth_pass)
		g->growth_pass_s = t_s;
	if (g->growth_pass < UINT32_MAX)
		g->growth_pass++;
	if (!strong)
		return 0;
	/* a first raise needs weak evidence held for a window, unless it is overwhelming */
	if (!growth_flag_active(g, g->growth_flag) &&
	    (g->growth_pass < g->min_samples ||
	     (t_s - g->growth_pass_s < GROWTH_CONFIRM * g->window_ms / 1000.0 &&
	      (gf.tstat < GROWTH_T_FAST || per_h < GROWTH_FAST * floor_h))))
		return 0;
	f = growth_flag_get(g, GROWTH_GROWTH, UINT32_MAX, t_s, &g->growth_flag);
	if (!f)
		return -ENOMEM;
	f->active = true;
	f->last_s = t_s;
	f->conns = w->freed;
	f->bytes_per_hour = per_h;
	f->r2 = gf.r2;
	f->tstat = gf.tstat;
	f->ssl_live = g->ssl_live;
	top_sites(g, w, f);
	return 0;
}

/* ---- the API ---- */

/* Makes the spare buffer hold n sites, for the next row. */
static int row_buf(struct growth *g, __u32 n)
{
	__u32 cap = (n + 63) & ~63u;
	struct ent *e;

	if (g->spare && g->spare_cap >= n)
		return 0;
	e = realloc(g->spare, (size_t)(cap ? cap : 64) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	g->spare = e;
	g->spare_cap = cap ? cap : 64;
	return 0;
}

/* Appends a row for s at t_ms, evicting the rows that left the window. */
static void row_push(struct growth *g, const struct growth_sample *s, __s64 t_ms)
{
	struct ent *e = g->spare;
	__u32 cap = g->spare_cap;
	struct row *r;

	g->spare = NULL;
	g->spare_cap = 0;
	while (g->nrows && (g->nrows == GROWTH_HIST_MAX ||
			    (growth_row_at(g, 0)->t_ms < t_ms - g->window_ms &&
			     g->nrows >= g->min_samples)))
		evict_oldest(g);
	r = growth_row_at(g, g->nrows);
	r->e = e;
	r->cap = cap;
	row_fill(g, r, s, t_ms);
	g->nrows++;
	account(g, r, 1);
}

int growth__add(struct growth *g, const struct growth_sample *s)
{
	bool first = !g->started;
	int err, err2 = 0;
	struct win w;
	__s64 t_ms;
	bool due;

	if (!isfinite(s->t_s) || (!first && s->t_s <= g->last_t) || s->nsites < g->nsites ||
	    (s->nsites && !s->sites) || s->ssl_freed < g->freed0)
		return -EINVAL;
	if (sites_reserve(g, s->nsites))
		return -ENOMEM;
	t_ms = first ? 0 : llround((s->t_s - g->t0) * 1000);
	due = !g->nrows || t_ms - growth_row_at(g, g->nrows - 1)->t_ms >= g->spacing_ms || s->final;
	if (due && row_buf(g, s->nsites))
		return -ENOMEM;
	sites_update(g, s);
	if (first) {
		g->started = true;
		g->t0 = s->t_s;
		g->freed0 = s->ssl_freed;
	}
	g->last_t = s->t_s;
	g->ssl_live = s->ssl_live;
	err = growth_sock_detect(g, s);
	if (!err)
		err = growth_life_detect(g, s);
	if (!due)
		return err;
	row_push(g, s, t_ms);
	if (g->nrows < g->min_samples)
		return err;
	win_stats(g, &w);
	if (w.span_ms <= 0)
		return err;
	if (growth_leak_detect(g, &w, s->t_s))
		err2 = -ENOMEM;
	if (growth_detect(g, &w, s->t_s))
		err2 = -ENOMEM;
	return err ? err : err2;
}

size_t growth__flags(const struct growth *g, struct growth_flag *out, size_t cap)
{
	size_t n = g->nflags < cap ? g->nflags : cap;

	if (n)
		memcpy(out, g->flags, n * sizeof(*out));
	return g->nflags;
}

bool growth__any(const struct growth *g)
{
	size_t i;

	for (i = 0; i < g->nflags; i++)
		if (g->flags[i].active && g->flags[i].kind != GROWTH_CACHE)
			return true;
	return false;
}

void growth__set_baseline(struct growth *g)
{
	__u32 id;

	for (id = 0; id < g->nsites; id++) {
		g->sites[id].ref_bytes = g->sites[id].bytes;
		g->sites[id].ref_blocks = g->sites[id].blocks;
	}
	g->baseline_set = true;
}

int growth__site_delta(const struct growth *g, __u32 site, long long *bytes, long long *blocks,
		       double *per_min)
{
	const struct site *st;
	__int128 n = g->nrows;
	double tt;

	if (site >= g->nsites)
		return -ENOENT;
	st = &g->sites[site];
	if (bytes)
		*bytes = (long long)(st->bytes - st->ref_bytes);
	if (blocks)
		*blocks = (long long)(st->blocks - st->ref_blocks);
	if (!per_min)
		return 0;
	*per_min = 0;
	if (n < 2)
		return 0;
	tt = growth_cov(n, g->gs.tt, g->gs.t, g->gs.t);
	if (tt > 0)
		*per_min = growth_cov(n, st->s.zt, g->gs.t, st->s.z) / tt * 60000;
	return 0;
}

size_t growth__bytes(const struct growth *g)
{
	size_t sum = sizeof(*g);
	__u32 i;

	for (i = 0; i < g->nrows; i++)
		sum += (size_t)growth_row_at(g, i)->cap * sizeof(struct ent);
	sum += (size_t)g->spare_cap * sizeof(struct ent);
	sum += (size_t)g->sites_cap * sizeof(struct site);
	sum += g->flags_cap * (sizeof(struct growth_flag) + sizeof(*g->expl));
	return sum;
}
