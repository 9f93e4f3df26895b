// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Leak-per-connection and cache flags by fit, for sites whose blocks have no
 * owner to judge them by (docs/detection.md, 4): a site's blocks regressed on
 * SSL objects freed and live over the window. See growth_int.h. Pure C.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "growth_int.h"

#define LEAK_K_MIN		0.02	/* blocks per connection */
#define LEAK_MIN_BLOCKS		8.0	/* growth the fit must account for in the window */
#define LEAK_R2_MIN		0.95
#define LEAK_PARTIAL_MIN	0.8	/* share of what ssl_live leaves that ssl_freed explains */
#define LEAK_VS_TIME		0.8	/* our residual at most this share of time's */
#define LEAK_QUARTER_RAISE	0.5	/* each quarter over the previous, share of k * freed */
#define LEAK_QUARTER_KEEP	0.25	/* last quarter over the first, likewise */
#define LEAK_T_MIN		10.0	/* t-statistic of k, corrected for autocorrelation */

/* ---- leak-per-connection and cache by fit (docs/detection.md, 4) ---- */

static bool blocks_rise(struct growth *g, __u32 id, double k, double frac, bool every)
{
	__u32 i;

	for (i = 0; i < g->nrows; i++) {
		const struct row *r = growth_row_at(g, i);

		g->resid[i] = growth_ent_blocks(r, id);
		g->xs[i] = r->freed;
	}
	return growth_rises(g->resid, g->xs, g->nrows, k, frac, every);
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

	c->yy = growth_cov(n, s->yy, s->y, s->y);
	c->ay = growth_cov(n, s->ya, gs->a, s->y);
	c->by = growth_cov(n, s->yb, gs->b, s->y);
	c->ty = growth_cov(n, s->yt, gs->t, s->y);
	c->zz = growth_cov(n, s->zz, s->z, s->z);
	c->az = growth_cov(n, s->za, gs->a, s->z);
	c->bz = growth_cov(n, s->zb, gs->b, s->z);
	c->tz = growth_cov(n, s->zt, gs->t, s->z);
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
		const struct row *r = growth_row_at(g, i);

		g->resid[i] = growth_ent_blocks(r, id) - ybar - f->cu * (r->ssl_live - abar) -
			      f->cv * (r->freed - bbar);
	}
	return f->cv / f->se_v * growth_lrv_factor(g->resid, g->nrows);
}

/* The regression part of the leak test: on success f is the fit and *r2 its R^2. */
static bool leak_fit(const struct win *w, const struct scov *c, struct fit *f, double *r2)
{
	double sse_u, partial;
	struct fit ft;

	if (c->yy <= 0)
		return false;
	growth_fit2(w->aa, w->bb, w->ab, c->ay, c->by, c->yy, w->n, f);
	if (f->collinear || f->cv < LEAK_K_MIN || f->cv * w->freed < LEAK_MIN_BLOCKS)
		return false;
	*r2 = 1 - f->sse / c->yy;
	sse_u = w->aa > 0 ? fmax(c->yy - c->ay * c->ay / w->aa, 0) : c->yy;
	partial = sse_u > 0 ? (sse_u - f->sse) / sse_u : 0;
	if (*r2 < LEAK_R2_MIN || partial < LEAK_PARTIAL_MIN)
		return false;
	/* per connection only if the frees fit clearly better than the clock */
	growth_fit2(w->aa, w->tt, w->at, c->ay, c->ty, c->yy, w->n, &ft);
	return f->sse <= LEAK_VS_TIME * ft.sse + 1e-9 * c->yy;
}

static int leak_raise(struct growth *g, const struct win *w, __u32 id, const struct scov *c,
		      double k, double r2, double t_s)
{
	struct site *st = &g->sites[id];
	enum growth_kind kind = st->cache ? GROWTH_CACHE : GROWTH_LEAK_PER_CONN;
	struct growth_flag *f = growth_flag_get(g, kind, id, t_s, &st->flag);
	double bpb = st->blocks ? (double)st->bytes / st->blocks : 0;
	struct fit fz;

	if (!f)
		return -ENOMEM;
	/* the same fit on bytes: its slope over k is the size of the blocks that pile up */
	growth_fit2(w->aa, w->bb, w->ab, c->az, c->bz, c->zz, w->n, &fz);
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

int growth_leak_detect(struct growth *g, const struct win *w, double t_s)
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
		if (growth_cov(g->nrows, st->s.yy, st->s.y, st->s.y) <= 0 &&
		    !growth_flag_active(g, st->flag)) {
			st->pass = 0;
			continue;
		}
		site_cov(g, id, &c);
		if (leak_fit(w, &c, &f, &r2) && leak_tstat(g, id, &f) >= LEAK_T_MIN &&
		    blocks_rise(g, id, f.cv, LEAK_QUARTER_RAISE, true)) {
			if (st->pass < UINT32_MAX)
				st->pass++;
			if ((st->pass >= g->min_samples || growth_flag_active(g, st->flag)) &&
			    leak_raise(g, w, id, &c, f.cv, r2, t_s))
				err = -ENOMEM;
			continue;
		}
		st->pass = 0;
		if (growth_flag_active(g, st->flag) &&
		    !blocks_rise(g, id, g->flags[st->flag].blocks_per_conn, LEAK_QUARTER_KEEP,
				 false))
			g->flags[st->flag].active = false;
	}
	return err;
}
