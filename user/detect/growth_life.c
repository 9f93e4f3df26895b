// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The detectors that run on every sample, kept in the history or not:
 * lifecycle verdicts through sprt.h (docs/detection.md, 3) and
 * ssl-outlives-socket. See growth_int.h. Pure C.
 */
#include <errno.h>
#include <stdint.h>
#include "growth_int.h"

#define SOCK_FACTOR		2
#define SOCK_SLACK		16
#define SOCK_HOLD_S		30.0

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
			if (growth_flag_active(g, st->flag) && g->flags[st->flag].lifecycle &&
			    g->flags[st->flag].owner_kind == (__u32)kind && sprt_llr(n, k) < 0)
				g->flags[st->flag].active = false;	/* its blocks were freed after all */
			continue;
		}
		if (st->flag != NO_FLAG && !g->flags[st->flag].lifecycle)
			st->flag = NO_FLAG;	/* the fit's flag stays as it was; this one is proven */
		f = growth_flag_get(g, GROWTH_LEAK_PER_CONN, id, t_s, &st->flag);
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

int growth_life_detect(struct growth *g, const struct growth_sample *s)
{
	struct growth_flag *f;
	__u64 n0, k0;
	__u32 id;

	for (id = 0; id < s->nsites; id++)
		if (life_site(g, s, id, s->t_s))
			return -ENOMEM;
	sprt_hist__note(&g->sess_hist, s->ssl_weighed, s->sess_orphans, &n0, &k0);
	if (sprt_leak(s->ssl_weighed, s->sess_orphans, n0, k0)) {
		f = growth_flag_get(g, GROWTH_SESSION_LEAK, UINT32_MAX, s->t_s, &g->sess_flag);
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
	} else if (growth_flag_active(g, g->sess_flag) &&
		   sprt_llr(s->ssl_weighed, s->sess_orphans) < 0) {
		g->flags[g->sess_flag].active = false;
	}
	if (s->sess_cached) {
		f = growth_flag_get(g, GROWTH_CACHE, UINT32_MAX, s->t_s, &g->cache_flag);
		if (!f)
			return -ENOMEM;
		f->lifecycle = true;
		f->active = true;
		f->last_s = s->t_s;
		f->held = s->sess_cached;
		f->held_bytes = s->sess_bytes;
	} else if (growth_flag_active(g, g->cache_flag)) {
		g->flags[g->cache_flag].active = false;
	}
	return 0;
}

/* ---- ssl-outlives-socket: on every sample, kept in history or not ---- */

int growth_sock_detect(struct growth *g, const struct growth_sample *s)
{
	struct growth_flag *f;

	if (s->open_sockets == UINT64_MAX) {
		g->sock_run = false;
		return 0;
	}
	if ((__int128)s->ssl_live <= (__int128)SOCK_FACTOR * s->open_sockets + SOCK_SLACK) {
		g->sock_run = false;
		if (growth_flag_active(g, g->sock_flag))
			g->flags[g->sock_flag].active = false;
		return 0;
	}
	if (!g->sock_run) {
		g->sock_run = true;
		g->sock_since = s->t_s;
	}
	if (s->t_s - g->sock_since < SOCK_HOLD_S)
		return 0;
	f = growth_flag_get(g, GROWTH_SSL_OUTLIVES_SOCKET, UINT32_MAX, s->t_s, &g->sock_flag);
	if (!f)
		return -ENOMEM;
	f->active = true;
	f->last_s = s->t_s;
	f->ssl_live = s->ssl_live;
	f->sockets = s->open_sockets;
	return 0;
}
