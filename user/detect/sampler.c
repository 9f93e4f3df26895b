// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Per-interval samples for the detectors and the time line; see sampler.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "growth.h"
#include "history.h"
#include "model.h"
#include "sites.h"
#include "sampler.h"

#define HISTORY_POINTS	3600		/* an hour at the default interval */

struct sampler {
	const struct model *m;
	const struct sites *names;
	struct growth *g;
	struct history *h;
	struct site_stats *sites;	/* reused between samples */
	__u8 *cache;
	__u32 cap;
	__u32 named;			/* site ids whose cache bit is known */
	double last_s;
	double baseline_s;
};

struct sampler *sampler__new(const struct model *m, const struct sites *names)
{
	struct sampler *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return NULL;
	sp->m = m;
	sp->names = names;
	sp->baseline_s = -1;
	sp->g = growth__new(NULL);
	sp->h = sp->g ? history__new(HISTORY_POINTS) : NULL;
	if (!sp->h) {
		sampler__free(sp);
		errno = ENOMEM;
		return NULL;
	}
	return sp;
}

void sampler__free(struct sampler *sp)
{
	if (!sp)
		return;
	growth__free(sp->g);
	history__free(sp->h);
	free(sp->sites);
	free(sp->cache);
	free(sp);
}

int sampler_site_is_session_cache(const char *file)
{
	const char *b = strrchr(file, '/');

	return !strcmp(b ? b + 1 : file, "ssl_sess.c");
}

static int grow(struct sampler *sp, __u32 n)
{
	struct site_stats *v;
	__u8 *c;

	if (n <= sp->cap)
		return 0;
	v = realloc(sp->sites, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sp->sites = v;
	c = realloc(sp->cache, n);
	if (!c)
		return -ENOMEM;
	sp->cache = c;
	sp->cap = n;
	return 0;
}

enum pass {
	PASS_TICK,			/* a point of the time line, and the detectors */
	PASS_EVIDENCE,			/* the detectors only */
	PASS_FINAL,			/* both, every detector on all the data */
};

static int sample(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets, enum pass pass)
{
	struct growth_sample gs = { .t_s = t_s, .open_sockets = sockets };
	struct model_totals t;
	struct hist_point p;
	__u32 i, n = model__nsites(sp->m);

	if (t_s <= sp->last_s)
		return -EINVAL;
	sp->last_s = t_s;
	model__totals(sp->m, &t);
	p = (struct hist_point){
		.t_s = t_s, .live_bytes = t.live_bytes, .live_blocks = t.live_blocks,
		.ssl_live = t.ssl_live, .ssl_created = t.ssl_created, .ssl_freed = t.ssl_freed,
		.allocs = t.allocs, .frees = t.frees, .rss_bytes = rss_bytes,
		.open_sockets = sockets,
	};
	if (pass != PASS_EVIDENCE)
		history__push(sp->h, &p);
	if (grow(sp, n))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		model__site(sp->m, i, &sp->sites[i]);
	for (; sp->named < n; sp->named++) {
		struct site_name nm;

		sp->cache[sp->named] = sp->names && !sites__name(sp->names, sp->named, &nm) &&
				       sampler_site_is_session_cache(nm.file);
	}
	gs.live_bytes = t.live_bytes;
	gs.live_blocks = t.live_blocks;
	gs.ssl_live = t.ssl_live;
	gs.ssl_created = t.ssl_created;
	gs.ssl_freed = t.ssl_freed;
	gs.nsites = n;
	gs.sites = sp->sites;
	gs.site_is_cache = sp->cache;
	gs.ssl_weighed = t.ssl_weighed;
	gs.sess_orphans = t.sess_orphans;
	gs.sess_cached = t.sess_cached;
	gs.sess_bytes = t.sess_bytes;
	gs.final = pass == PASS_FINAL;
	return growth__add(sp->g, &gs);
}

int sampler__tick(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets)
{
	return sample(sp, t_s, rss_bytes, sockets, PASS_TICK);
}

int sampler__evidence(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets)
{
	return sample(sp, t_s, rss_bytes, sockets, PASS_EVIDENCE);
}

int sampler__final(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets)
{
	return sample(sp, t_s, rss_bytes, sockets, PASS_FINAL);
}

void sampler__baseline(struct sampler *sp)
{
	growth__set_baseline(sp->g);
	sp->baseline_s = sp->last_s;
}

double sampler__baseline_s(const struct sampler *sp)
{
	return sp->baseline_s;
}

const struct growth *sampler__growth(const struct sampler *sp)
{
	return sp->g;
}

const struct history *sampler__history(const struct sampler *sp)
{
	return sp->h;
}

size_t sampler__bytes(const struct sampler *sp)
{
	return growth__bytes(sp->g) + HISTORY_POINTS * sizeof(struct hist_point) +
	       sp->cap * (sizeof(struct site_stats) + 1);
}
