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
 * owner) is described in docs/detection.md; each detector below says which
 * part it implements.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "growth.h"
#include "sprt.h"

#define DEF_WINDOW_S		300.0
#define DEF_MIN_CONNS		200
#define DEF_MIN_SAMPLES		10
#define MIN_SAMPLES_FLOOR	4	/* a fit with 3 coefficients needs one more */

#define LEAK_K_MIN		0.02	/* blocks per connection */
#define LEAK_MIN_BLOCKS		8.0	/* growth the fit must account for in the window */
#define LEAK_R2_MIN		0.95
#define LEAK_PARTIAL_MIN	0.8	/* share of what ssl_live leaves that ssl_freed explains */
#define LEAK_VS_TIME		0.8	/* our residual at most this share of time's */
#define LEAK_QUARTER_RAISE	0.5	/* each quarter over the previous, share of k * freed */
#define LEAK_QUARTER_KEEP	0.25	/* last quarter over the first, likewise */
#define LEAK_T_MIN		10.0	/* t-statistic of k, corrected for autocorrelation */

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

#define SOCK_FACTOR		2
#define SOCK_SLACK		16
#define SOCK_HOLD_S		30.0

#define COLLINEAR		1e-9	/* 1 - r^2 of two regressors below this: one regressor */
#define NO_FLAG			UINT32_MAX
#define MS_PER_H		3.6e6

struct ent {
	__u32 blocks;			/* saturated at UINT32_MAX */
	__s32 dbytes;			/* live bytes - the site's base, clamped */
};

struct row {
	__s64 t_ms;			/* since the first sample */
	__s64 ssl_live;
	__s64 freed;			/* ssl_freed - the first sample's */
	__u64 live_bytes;
	__u32 n;			/* sites in e[]; a site id >= n had nothing live then */
	__u32 cap;
	struct ent *e;
};

/* Over the rows in the window: a = ssl_live, b = freed, t = t_ms. */
struct gsums {
	__int128 a, b, t, aa, bb, tt, ab, at, bt;
};

/* Over the rows in the window: y = the site's blocks, z = its bytes - base. */
struct ssums {
	__int128 y, yy, ya, yb, yt;
	__int128 z, zz, za, zb, zt;
};

struct site {
	struct ssums s;
	__u64 base;			/* bytes offset of its history */
	__u64 bytes, blocks;		/* at the latest sample */
	__u64 ref_bytes, ref_blocks;	/* at the baseline */
	__u32 flag;			/* its leak or cache flag, or NO_FLAG */
	__u32 pass;			/* consecutive samples passing the leak test */
	__u8 cache;
	__u8 owned;			/* most of its blocks have owners: judged by lifecycles */
	struct sprt_hist hist[MODEL_OWNER_KINDS];
};

struct growth {
	__s64 window_ms, spacing_ms;
	__u64 min_conns;
	__u32 min_samples;
	bool started, baseline_set;
	double t0, last_t;
	__u64 freed0;
	__u64 ssl_live;			/* at the latest sample */
	struct row rows[GROWTH_HIST_MAX];
	__u32 head, nrows;
	struct ent *spare;		/* the buffer of the last row that left */
	__u32 spare_cap;
	struct gsums gs;
	double resid[GROWTH_HIST_MAX];	/* scratch: residuals or series of the fit under test */
	double xs[GROWTH_HIST_MAX];	/* scratch: its regressor */
	struct site *sites;
	__u32 nsites, sites_cap;
	struct growth_flag *flags;
	size_t nflags, flags_cap;
	__u32 *expl;			/* sites an active leak or cache flag explains */
	size_t nexpl;			/* holds flags_cap ids */
	__u32 growth_flag, sock_flag, sess_flag, cache_flag;
	struct sprt_hist sess_hist;
	__u32 growth_pass;		/* consecutive samples passing the growth test */
	double growth_pass_s;		/* since when */
	bool sock_run;
	double sock_since;
};

/* Centered figures of the window shared by every fit. */
struct win {
	double n;
	double aa, bb, tt, ab, at, bt;
	double freed;			/* SSL objects freed across the window */
	double span_ms;
};

/* Least squares of y on (u, v); v is the regressor under test. */
struct fit {
	double cu, cv;
	double sse;
	double se_v;			/* standard error of cv; 0 when not known */
	bool collinear;			/* v cannot be told apart from u (or is constant): cv = 0 */
};

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

static struct row *row_at(const struct growth *g, __u32 i)
{
	return (struct row *)&g->rows[(g->head + i) % GROWTH_HIST_MAX];
}

void growth__free(struct growth *g)
{
	__u32 i;

	if (!g)
		return;
	for (i = 0; i < g->nrows; i++)
		free(row_at(g, i)->e);
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

static __s64 ent_blocks(const struct row *r, __u32 id)
{
	return id < r->n ? r->e[id].blocks : 0;
}

static __s64 ent_dbytes(const struct row *r, __u32 id, __u64 base)
{
	return id < r->n ? r->e[id].dbytes : clamp32(-(__int128)base);
}

static void site_account(struct site *st, const struct row *r, __u32 id, int sign)
{
	__int128 y = ent_blocks(r, id), z = ent_dbytes(r, id, st->base);
	__int128 a = r->ssl_live, b = r->freed, t = r->t_ms;
	struct ssums *s = &st->s;

	if (!y && !z)
		return;
	y *= sign;
	z *= sign;
	s->y += y;
	s->yy += y * ent_blocks(r, id);
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
		struct row *r = row_at(g, i);

		if (id < r->n)
			r->e[id].dbytes = clamp32((__int128)st->base + r->e[id].dbytes - v);
	}
	st->base = v;
	memset(&st->s, 0, sizeof(st->s));
	for (i = 0; i < g->nrows; i++)
		site_account(st, row_at(g, i), id, 1);
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
	struct row *r = row_at(g, 0);

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

static double cov(__int128 n, __int128 sxy, __int128 sx, __int128 sy)
{
	return (double)(n * sxy - sx * sy) / (double)n;
}

static void fit2(double uu, double vv, double uv, double uy, double vy, double yy, double n,
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

static void win_stats(const struct growth *g, struct win *w)
{
	const struct gsums *s = &g->gs;
	__int128 n = g->nrows;

	w->n = g->nrows;
	w->aa = cov(n, s->aa, s->a, s->a);
	w->bb = cov(n, s->bb, s->b, s->b);
	w->tt = cov(n, s->tt, s->t, s->t);
	w->ab = cov(n, s->ab, s->a, s->b);
	w->at = cov(n, s->at, s->a, s->t);
	w->bt = cov(n, s->bt, s->b, s->t);
	w->freed = row_at(g, g->nrows - 1)->freed - row_at(g, 0)->freed;
	w->span_ms = row_at(g, g->nrows - 1)->t_ms - row_at(g, 0)->t_ms;
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
static struct growth_flag *flag_get(struct growth *g, enum growth_kind kind, __u32 site,
				    double t_s, __u32 *ix)
{
	if (*ix != NO_FLAG)
		return &g->flags[*ix];
	return flag_new(g, kind, site, t_s, ix);
}

static bool flag_active(const struct growth *g, __u32 ix)
{
	return ix != NO_FLAG && g->flags[ix].active;
}

/* ---- leak-per-connection and cache by fit (docs/detection.md, 4) ---- */

/*
 * The means of v over the four quarters of the window rise by >= frac * c
 * times the rise of the means of x: from each quarter to the next (every),
 * or from the first to the last; and the last is above the first.
 */
static bool rises(const double *v, const double *x, __u32 n, double c, double frac, bool every)
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

/* rises() for a site's blocks against ssl_freed. */
static bool blocks_rise(struct growth *g, __u32 id, double k, double frac, bool every)
{
	__u32 i;

	for (i = 0; i < g->nrows; i++) {
		const struct row *r = row_at(g, i);

		g->resid[i] = ent_blocks(r, id);
		g->xs[i] = r->freed;
	}
	return rises(g->resid, g->xs, g->nrows, k, frac, every);
}

/* Centered figures of one site: y its blocks, z its bytes, against the window's a, b, t. */
struct scov {
	double yy, ay, by, ty;
	double zz, az, bz, tz;
};

static void site_cov(const struct growth *g, __u32 id, struct scov *c)
{
	const struct ssums *s = &g->sites[id].s;
	const struct gsums *gs = &g->gs;
	__int128 n = g->nrows;

	c->yy = cov(n, s->yy, s->y, s->y);
	c->ay = cov(n, s->ya, gs->a, s->y);
	c->by = cov(n, s->yb, gs->b, s->y);
	c->ty = cov(n, s->yt, gs->t, s->y);
	c->zz = cov(n, s->zz, s->z, s->z);
	c->az = cov(n, s->za, gs->a, s->z);
	c->bz = cov(n, s->zb, gs->b, s->z);
	c->tz = cov(n, s->zt, gs->t, s->z);
}

/*
 * What a t-statistic is worth when the residuals e[0..n) of its fit are
 * autocorrelated: sqrt(gamma0 / lrv), lrv the long-run variance by the
 * Bartlett kernel (Newey-West) over lags up to n / 4, never above 1. A site
 * drifting at random sits above or below any line for long stretches, and
 * its plain t-statistic grows with the window however little it means.
 */
static double lrv_factor(const double *e, __u32 n)
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

/* t-statistic of the slope on ssl_freed of fit f of a site's blocks, corrected. */
static double leak_tstat(struct growth *g, __u32 id, const struct fit *f)
{
	double n = g->nrows, abar = (double)g->gs.a / n, bbar = (double)g->gs.b / n;
	double ybar = (double)g->sites[id].s.y / n;
	__u32 i;

	if (f->se_v <= 0)
		return INFINITY;
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = row_at(g, i);

		g->resid[i] = ent_blocks(r, id) - ybar - f->cu * (r->ssl_live - abar) -
			      f->cv * (r->freed - bbar);
	}
	return f->cv / f->se_v * lrv_factor(g->resid, g->nrows);
}

/* The regression part of the leak test: on success f is the fit and *r2 its R^2. */
static bool leak_fit(const struct win *w, const struct scov *c, struct fit *f, double *r2)
{
	double sse_u, partial;
	struct fit ft;

	if (c->yy <= 0)
		return false;
	fit2(w->aa, w->bb, w->ab, c->ay, c->by, c->yy, w->n, f);
	if (f->collinear || f->cv < LEAK_K_MIN || f->cv * w->freed < LEAK_MIN_BLOCKS)
		return false;
	*r2 = 1 - f->sse / c->yy;
	sse_u = w->aa > 0 ? fmax(c->yy - c->ay * c->ay / w->aa, 0) : c->yy;
	partial = sse_u > 0 ? (sse_u - f->sse) / sse_u : 0;
	if (*r2 < LEAK_R2_MIN || partial < LEAK_PARTIAL_MIN)
		return false;
	/* per connection only if the frees fit clearly better than the clock */
	fit2(w->aa, w->tt, w->at, c->ay, c->ty, c->yy, w->n, &ft);
	return f->sse <= LEAK_VS_TIME * ft.sse + 1e-9 * c->yy;
}

static int leak_raise(struct growth *g, const struct win *w, __u32 id, const struct scov *c,
		      double k, double r2, double t_s)
{
	struct site *st = &g->sites[id];
	enum growth_kind kind = st->cache ? GROWTH_CACHE : GROWTH_LEAK_PER_CONN;
	struct growth_flag *f = flag_get(g, kind, id, t_s, &st->flag);
	double bpb = st->blocks ? (double)st->bytes / st->blocks : 0;
	struct fit fz;

	if (!f)
		return -ENOMEM;
	/* the same fit on bytes: its slope over k is the size of the blocks that pile up */
	fit2(w->aa, w->bb, w->ab, c->az, c->bz, c->zz, w->n, &fz);
	if (!fz.collinear && fz.cv > 0)
		bpb = fz.cv / k;
	f->kind = kind;
	f->active = true;
	f->last_s = t_s;
	f->blocks_per_conn = k;
	f->bytes_per_block = bpb;
	f->conns = w->freed;
	f->bytes_per_hour = bpb * k * w->freed / w->span_ms * MS_PER_H;
	f->r2 = r2;
	return 0;
}

static int leak_detect(struct growth *g, const struct win *w, double t_s)
{
	int err = 0;
	__u32 id;

	if (w->freed < g->min_conns)
		return 0;
	for (id = 0; id < g->nsites; id++) {
		struct site *st = &g->sites[id];
		double r2 = 0;
		struct scov c;
		struct fit f;

		if (st->owned || (st->flag != NO_FLAG && g->flags[st->flag].lifecycle))
			continue;	/* judged by its owners' lifecycles */
		if (cov(g->nrows, st->s.yy, st->s.y, st->s.y) <= 0 && !flag_active(g, st->flag)) {
			st->pass = 0;
			continue;
		}
		site_cov(g, id, &c);
		if (leak_fit(w, &c, &f, &r2) && leak_tstat(g, id, &f) >= LEAK_T_MIN &&
		    blocks_rise(g, id, f.cv, LEAK_QUARTER_RAISE, true)) {
			if (st->pass < UINT32_MAX)
				st->pass++;
			if ((st->pass >= g->min_samples || flag_active(g, st->flag)) &&
			    leak_raise(g, w, id, &c, f.cv, r2, t_s))
				err = -ENOMEM;
			continue;
		}
		st->pass = 0;
		if (flag_active(g, st->flag) &&
		    !blocks_rise(g, id, g->flags[st->flag].blocks_per_conn, LEAK_QUARTER_KEEP,
				 false))
			g->flags[st->flag].active = false;
	}
	return err;
}

/* ---- growth (docs/detection.md, 4) ---- */

struct gfit {
	double g_ms;			/* bytes per ms that ssl_live does not explain */
	double tstat, r2;
	double half_ms;			/* the same slope over the latest half of the window */
	double mean;			/* mean bytes fitted */
	bool steady;			/* rising from quarter to quarter of the window */
};

/* Live bytes of a row, less the sites an active leak or cache flag explains. */
static double row_unexplained(const struct growth *g, const struct row *r)
{
	double y = r->live_bytes;
	size_t i;

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
		const struct row *r = row_at(g, i);

		tbar += r->t_ms;
		ybar += row_unexplained(g, r) - cu * r->ssl_live;
	}
	tbar /= m;
	ybar /= m;
	for (i = from; i < g->nrows; i++) {
		const struct row *r = row_at(g, i);
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
		ybar += row_unexplained(g, row_at(g, i));
	ybar /= w->n;
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = row_at(g, i);
		double dy = row_unexplained(g, r) - ybar;

		yy += dy * dy;
		ay += (r->ssl_live - abar) * dy;
		ty += (r->t_ms - tbar) * dy;
	}
	fit2(w->aa, w->tt, w->at, ay, ty, yy, w->n, &f);
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = row_at(g, i);

		g->resid[i] = row_unexplained(g, r) - ybar - f.cu * (r->ssl_live - abar) -
			      f.cv * (r->t_ms - tbar);
	}
	out->g_ms = f.cv;
	out->tstat = f.se_v > 0 ? f.cv / f.se_v * lrv_factor(g->resid, g->nrows) :
		     (f.cv > 0 ? INFINITY : 0);
	sse_u = w->aa > 0 ? fmax(yy - ay * ay / w->aa, 0) : yy;
	out->r2 = sse_u > 0 ? (sse_u - f.sse) / sse_u : 0;
	out->mean = ybar;
	out->half_ms = half_slope(g, g->nrows / 2, f.cu);
	for (i = 0; i < g->nrows; i++) {
		const struct row *r = row_at(g, i);

		g->resid[i] = row_unexplained(g, r) - f.cu * r->ssl_live;
		g->xs[i] = r->t_ms;
	}
	out->steady = rises(g->resid, g->xs, g->nrows, f.cv, GROWTH_QUARTER_RAISE, true);
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

		if (flag_active(g, g->sites[id].flag))
			continue;
		zz = cov(n, s->zz, s->z, s->z);
		if (zz <= 0)
			continue;
		fit2(w->aa, w->tt, w->at, cov(n, s->za, g->gs.a, s->z),
		     cov(n, s->zt, g->gs.t, s->z), zz, w->n, &fz);
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

	g->nexpl = 0;
	for (i = 0; i < g->nflags; i++) {
		f = &g->flags[i];
		if (f->active && f->site != UINT32_MAX &&
		    (f->kind == GROWTH_LEAK_PER_CONN || f->kind == GROWTH_CACHE))
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
		if (flag_active(g, g->growth_flag))
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
	if (!flag_active(g, g->growth_flag) &&
	    (g->growth_pass < g->min_samples ||
	     (t_s - g->growth_pass_s < GROWTH_CONFIRM * g->window_ms / 1000.0 &&
	      (gf.tstat < GROWTH_T_FAST || per_h < GROWTH_FAST * floor_h))))
		return 0;
	f = flag_get(g, GROWTH_GROWTH, UINT32_MAX, t_s, &g->growth_flag);
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

/* ---- ssl-outlives-socket: on every sample, kept in history or not ---- */

static int sock_detect(struct growth *g, const struct growth_sample *s)
{
	struct growth_flag *f;

	if (s->open_sockets == UINT64_MAX) {
		g->sock_run = false;
		return 0;
	}
	if ((__int128)s->ssl_live <= (__int128)SOCK_FACTOR * s->open_sockets + SOCK_SLACK) {
		g->sock_run = false;
		if (flag_active(g, g->sock_flag))
			g->flags[g->sock_flag].active = false;
		return 0;
	}
	if (!g->sock_run) {
		g->sock_run = true;
		g->sock_since = s->t_s;
	}
	if (s->t_s - g->sock_since < SOCK_HOLD_S)
		return 0;
	f = flag_get(g, GROWTH_SSL_OUTLIVES_SOCKET, UINT32_MAX, s->t_s, &g->sock_flag);
	if (!f)
		return -ENOMEM;
	f->active = true;
	f->last_s = s->t_s;
	f->ssl_live = s->ssl_live;
	f->sockets = s->open_sockets;
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
			    (row_at(g, 0)->t_ms < t_ms - g->window_ms &&
			     g->nrows >= g->min_samples)))
		evict_oldest(g);
	r = row_at(g, g->nrows);
	r->e = e;
	r->cap = cap;
	row_fill(g, r, s, t_ms);
	g->nrows++;
	account(g, r, 1);
}

/* ---- lifecycles (docs/detection.md, 3) ---- */

static int life_site(struct growth *g, const struct growth_sample *s, __u32 id, double t_s)
{
	const struct site_stats *x = &s->sites[id];
	struct site *st = &g->sites[id];
	struct growth_flag *f;
	__u64 n0, k0;
	int kind;

	for (kind = 0; kind < MODEL_OWNER_KINDS; kind++) {
		__u64 n = x->owners_freed[kind], k = x->owners_left[kind];

		if (!n)
			continue;
		sprt_hist__note(&st->hist[kind], n, k, &n0, &k0);
		if (!sprt_leak(n, k, n0, k0)) {
			if (flag_active(g, st->flag) && g->flags[st->flag].lifecycle &&
			    g->flags[st->flag].owner_kind == (__u32)kind && sprt_llr(n, k) < 0)
				g->flags[st->flag].active = false;	/* its blocks were freed after all */
			continue;
		}
		if (st->flag != NO_FLAG && !g->flags[st->flag].lifecycle)
			st->flag = NO_FLAG;	/* the fit's flag stays as it was; this one is proven */
		f = flag_get(g, GROWTH_LEAK_PER_CONN, id, t_s, &st->flag);
		if (!f)
			return -ENOMEM;
		f->kind = GROWTH_LEAK_PER_CONN;
		f->lifecycle = true;
		f->active = true;
		f->last_s = t_s;
		f->left = k;
		f->freed = n;
		if (!f->freed_at_raise)
			f->freed_at_raise = n;
		f->owner_kind = (__u32)kind;
		f->conns = (double)n;
		f->blocks_per_conn = x->orphan_blocks ? (double)x->orphan_blocks / n : (double)k / n;
		f->bytes_per_block = x->orphan_blocks ? (double)x->orphan_bytes / x->orphan_blocks : 0;
		f->bytes_per_hour = t_s > g->t0 ? (double)x->orphan_bytes / (t_s - g->t0) * 3600 : 0;
		return 0;
	}
	return 0;
}

static int life_detect(struct growth *g, const struct growth_sample *s)
{
	struct growth_flag *f;
	__u64 n0, k0;
	__u32 id;

	for (id = 0; id < s->nsites; id++)
		if (life_site(g, s, id, s->t_s))
			return -ENOMEM;
	sprt_hist__note(&g->sess_hist, s->ssl_weighed, s->sess_orphans, &n0, &k0);
	if (sprt_leak(s->ssl_weighed, s->sess_orphans, n0, k0)) {
		f = flag_get(g, GROWTH_SESSION_LEAK, UINT32_MAX, s->t_s, &g->sess_flag);
		if (!f)
			return -ENOMEM;
		f->lifecycle = true;
		f->active = true;
		f->last_s = s->t_s;
		f->left = s->sess_orphans;
		f->freed = s->ssl_weighed;
		if (!f->freed_at_raise)
			f->freed_at_raise = s->ssl_weighed;
		f->conns = (double)s->ssl_weighed;
	} else if (flag_active(g, g->sess_flag) && sprt_llr(s->ssl_weighed, s->sess_orphans) < 0) {
		g->flags[g->sess_flag].active = false;
	}
	if (s->sess_cached) {
		f = flag_get(g, GROWTH_CACHE, UINT32_MAX, s->t_s, &g->cache_flag);
		if (!f)
			return -ENOMEM;
		f->lifecycle = true;
		f->active = true;
		f->last_s = s->t_s;
		f->held = s->sess_cached;
		f->held_bytes = s->sess_bytes;
	} else if (flag_active(g, g->cache_flag)) {
		g->flags[g->cache_flag].active = false;
	}
	return 0;
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
	due = !g->nrows || t_ms - row_at(g, g->nrows - 1)->t_ms >= g->spacing_ms || s->final;
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
	err = sock_detect(g, s);
	if (!err)
		err = life_detect(g, s);
	if (!due)
		return err;
	row_push(g, s, t_ms);
	if (g->nrows < g->min_samples)
		return err;
	win_stats(g, &w);
	if (w.span_ms <= 0)
		return err;
	if (leak_detect(g, &w, s->t_s))
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
	tt = cov(n, g->gs.tt, g->gs.t, g->gs.t);
	if (tt > 0)
		*per_min = cov(n, st->s.zt, g->gs.t, st->s.z) / tt * 60000;
	return 0;
}

size_t growth__bytes(const struct growth *g)
{
	size_t sum = sizeof(*g);
	__u32 i;

	for (i = 0; i < g->nrows; i++)
		sum += (size_t)row_at(g, i)->cap * sizeof(struct ent);
	sum += (size_t)g->spare_cap * sizeof(struct ent);
	sum += (size_t)g->sites_cap * sizeof(struct site);
	sum += g->flags_cap * (sizeof(struct growth_flag) + sizeof(*g->expl));
	return sum;
}
