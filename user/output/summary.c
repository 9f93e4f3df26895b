// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The figures every output reads from a summary; see summary.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "growth.h"
#include "history.h"
#include "target.h"
#include "summary.h"

double summary_bytes_per_ssl(const struct summary *s)
{
	if (!s->tot.ssl_new_live)
		return 0;
	return (double)s->tot.ssl_new_bytes / (double)s->tot.ssl_new_live;
}

double summary_hits_per_s(const struct summary *s)
{
	return s->duration_s > 0 ? (double)s->probe_hits / s->duration_s : 0;
}

double summary_cpu_pct(const struct summary *s)
{
	return summary_hits_per_s(s) * PROBE_HIT_NS / 1e9 * 100;
}

double summary_other_hits_per_s(const struct summary *s)
{
	return s->duration_s > 0 ? (double)s->probe_hits_other / s->duration_s : 0;
}

double summary_other_cpu_pct(const struct summary *s)
{
	return summary_other_hits_per_s(s) * PROBE_HIT_NS / 1e9 * 100;
}

/* See note_late in session.c. */
double summary_unobserved_ms(const struct summary *s)
{
	double ms = 0;
	size_t i, j;

	for (i = 0; i < s->ntargets; i++)
		for (j = 0; j < s->targets[i].nobjs; j++)
			ms += (double)s->targets[i].objs[j].unobserved_ns / 1e6;
	return ms;
}

bool summary_complete(const struct summary *s)
{
	return !s->events_lost && !s->tot.bad_records && !s->tot.replaced &&
	       !summary_unobserved_ms(s);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

void summary_ssl_cost(const struct summary *s, struct ssl_cost *c)
{
	size_t n = model__ssl_list(s->model, NULL, 0), got, i, k = 0;
	struct ssl_stats *v = n ? calloc(n, sizeof(*v)) : NULL;
	__u64 *b = n ? calloc(n, sizeof(*b)) : NULL, sum = 0;

	memset(c, 0, sizeof(*c));
	if (!v || !b)
		goto out;
	got = model__ssl_list(s->model, v, n);
	for (i = 0; i < got && i < n; i++)
		if (!v[i].adopted)
			b[k++] = v[i].live_bytes;
	if (!k)
		goto out;
	qsort(b, k, sizeof(*b), cmp_u64);
	for (i = 0; i < k; i++)
		sum += b[i];
	c->objects = k;
	c->mean = (double)sum / (double)k;
	/* nearest rank: the smallest value with at least p of the objects at or below it */
	c->p50 = b[(k + 1) / 2 - 1];
	c->p99 = b[(size_t)ceil((double)k * 0.99) - 1];
	c->max = b[k - 1];
out:
	free(v);
	free(b);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

void summary_closed_cost(const struct summary *s, struct closed_cost *c)
{
	struct model_closed mc;
	__u32 *v;
	size_t k;

	memset(c, 0, sizeof(*c));
	if (!s->model)
		return;
	model__closed(s->model, &mc);
	if (!mc.n)
		return;
	c->objects = mc.n;
	c->mean_peak = (double)mc.sum_peak / (double)mc.n;
	c->mean_at_free = (double)mc.sum_at_free / (double)mc.n;
	c->max = mc.max_peak;
	k = mc.npeaks;
	v = k ? malloc(k * sizeof(*v)) : NULL;
	if (!v)
		return;
	memcpy(v, mc.peaks, k * sizeof(*v));
	qsort(v, k, sizeof(*v), cmp_u32);
	c->p50 = v[(k + 1) / 2 - 1];
	c->p99 = v[(size_t)ceil((double)k * 0.99) - 1];
	free(v);
}

void summary_all_cost(const struct summary *s, const struct closed_cost *cc, struct all_cost *c)
{
	size_t n = model__ssl_list(s->model, NULL, 0), got, i, k = 0;
	struct ssl_stats *v = n ? calloc(n, sizeof(*v)) : NULL;
	struct model_closed mc;
	__u64 *b, sum = 0, objs = cc->objects, max = cc->max;

	model__closed(s->model, &mc);
	b = calloc(n + mc.npeaks + 1, sizeof(*b));
	if (n && v && b) {
		got = model__ssl_list(s->model, v, n);
		for (i = 0; i < got && i < n; i++) {
			if (v[i].adopted)
				continue;
			b[k++] = v[i].peak_bytes;
			sum += v[i].peak_bytes;
			objs++;
			if (v[i].peak_bytes > max)
				max = v[i].peak_bytes;
		}
	}
	for (i = 0; b && i < mc.npeaks; i++)
		b[k++] = mc.peaks[i];
	sum += mc.sum_peak;
	if (b && k)
		qsort(b, k, sizeof(*b), cmp_u64);
	c->objects = objs;
	c->mean_peak = objs ? (double)sum / (double)objs : 0;
	c->p50 = k ? b[(k + 1) / 2 - 1] : 0;
	c->p99 = k ? b[(size_t)ceil((double)k * 0.99) - 1] : 0;
	c->max = max;
	free(v);
	free(b);
}

size_t summary_rss_slope(const struct summary *s, double *slope, double *se, double *share,
			 double *r2)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, n, vx, vy, cxy, lo = INFINITY, hi = 0;
	size_t i, len = s->hist ? history__len(s->hist) : 0;

	*slope = *se = *share = *r2 = 0;
	for (i = 0; i < len; i++) {
		const struct hist_point *p = history__at(s->hist, i);
		double x = (double)p->ssl_live, y = (double)p->rss_bytes;

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		syy += y * y;
		lo = fmin(lo, x);
		hi = fmax(hi, x);
	}
	n = (double)len;
	/* the count must have moved: by 10 objects at least, over 3 points or more */
	if (len < 3 || hi - lo < 10)
		return 0;
	vx = sxx - sx * sx / n;
	vy = syy - sy * sy / n;
	cxy = sxy - sx * sy / n;
	if (vx <= 0)
		return 0;
	*slope = cxy / vx;
	*se = sqrt(fmax(vy - *slope * cxy, 0) / (n - 2) / vx);
	*r2 = vy > 0 ? cxy * cxy / (vx * vy) : 0;
	if (*slope > 0)
		*share = summary_bytes_per_ssl(s) / *slope;
	return len;
}

struct growth_flag *summary_flags(const struct summary *s, size_t *n)
{
	struct growth_flag *v;

	*n = s->growth ? growth__flags(s->growth, NULL, 0) : 0;
	if (!*n)
		return NULL;
	v = calloc(*n, sizeof(*v));
	if (!v) {
		*n = 0;
		return NULL;
	}
	growth__flags(s->growth, v, *n);
	return v;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct site_stats *x = &((const struct site_fig *)a)->st;
	const struct site_stats *y = &((const struct site_fig *)b)->st;

	if (x->live_bytes != y->live_bytes)
		return x->live_bytes < y->live_bytes ? 1 : -1;
	if (x->allocs != y->allocs)
		return x->allocs < y->allocs ? 1 : -1;
	return 0;
}

struct site_fig *summary_sites_sorted(const struct summary *s, size_t *n)
{
	__u32 i, ns = model__nsites(s->model);
	struct site_fig *v = calloc(ns ? ns : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < ns; i++) {
		v[i].id = i;
		model__site(s->model, i, &v[i].st);
	}
	qsort(v, ns, sizeof(*v), cmp_rows);
	*n = ns;
	return v;
}
