// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The live view without the terminal; see view.h. This file holds its state:
 * view__update copies a summary into a snapshot the view owns, so a paused
 * or orphaned view keeps its figures. view_keys.c turns keys into actions
 * (sorting, filtering, selection by identity) and view_draw.c lays the
 * snapshot out into a grid of cells.
 * Pure C: no curses, no I/O, no clock.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flags.h"
#include "growth.h"
#include "history.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "target.h"
#include "fmt.h"
#include "view.h"
#include "view_int.h"

/* ---- snapshot ---- */

int view_grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Printable ASCII only, so that one byte is one column. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < cap; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static const char *base_name(const char *path)
{
	const char *p = path ? strrchr(path, '/') : NULL;

	return p ? p + 1 : (path ? path : "?");
}

static int default_names(void *ctx, __u32 id, struct site_name *out)
{
	return ctx ? sites__name(ctx, id, out) : -ENOENT;
}

static void site_names(struct view *v, const struct summary *s, struct site_row *r)
{
	struct site_name nm = { "", 0, "?", "?", "", "none" };
	char buf[sizeof(r->site)];

	if (v->name_fn)
		v->name_fn(v->name_ctx, r->id, &nm);
	else
		default_names((void *)s->sites, r->id, &nm);
	if (nm.file && nm.file[0])
		snprintf(buf, sizeof(buf), "%s:%d", nm.file, nm.line);
	else
		snprintf(buf, sizeof(buf), "-");
	copy_text(r->site, sizeof(r->site), buf);
	copy_text(r->caller, sizeof(r->caller), nm.caller ? nm.caller : "?");
	/* the module, and where its names came from ("libcrypto.so.3 [eh_frame only]") */
	if (nm.names_from && strcmp(nm.names_from, "none"))
		snprintf(buf, sizeof(buf), "%s [%s]", base_name(nm.module), nm.names_from);
	else
		snprintf(buf, sizeof(buf), "%s", base_name(nm.module));
	copy_text(r->module, sizeof(r->module), buf);
}

/* "file:line caller (module)" of a site id, for flag lines. */
static void site_label(struct view *v, const struct summary *s, __u32 id, char *buf, size_t cap)
{
	struct site_row r = { .id = id };

	if (id == NONE) {
		snprintf(buf, cap, "?");
		return;
	}
	site_names(v, s, &r);
	snprintf(buf, cap, "%s %s (%s)", r.site, r.caller, r.module);
}

static void flag_text(struct view *v, const struct summary *s, const struct growth_flag *f,
		      char *buf, size_t cap)
{
	char site[448], a[32], b[32];

	if (f->lifecycle && f->kind == GROWTH_LEAK_PER_CONN) {
		site_label(v, s, f->site, site, sizeof(site));
		snprintf(buf, cap, "%s %s: %llu of %llu freed %s left a %s block",
			 flags_word(f->kind), site, (unsigned long long)f->left, (unsigned long long)f->freed,
			 f->owner_kind ? "sessions" : "SSL", fmt_bytes(a, sizeof(a), f->bytes_per_block));
	} else if (f->kind == GROWTH_SESSION_LEAK) {
		snprintf(buf, cap, "%s %llu of %llu freed SSL left a session nobody frees",
			 flags_word(f->kind), (unsigned long long)f->left, (unsigned long long)f->freed);
	} else if (f->lifecycle && f->kind == GROWTH_CACHE) {
		snprintf(buf, cap, "%s session cache holds %llu sessions, %s (bounded)",
			 flags_word(f->kind), (unsigned long long)f->held,
			 fmt_bytes(a, sizeof(a), (double)f->held_bytes));
	} else switch (f->kind) {
	case GROWTH_LEAK_PER_CONN:
	case GROWTH_CACHE:
		site_label(v, s, f->site, site, sizeof(site));
		snprintf(buf, cap, "%s %s: %.2f blocks/conn x %s, +%s/h",
			 flags_word(f->kind), site, f->blocks_per_conn,
			 fmt_bytes(a, sizeof(a), f->bytes_per_block),
			 fmt_bytes(b, sizeof(b), f->bytes_per_hour));
		break;
	case GROWTH_GROWTH:
		site_label(v, s, f->top_sites[0], site, sizeof(site));
		snprintf(buf, cap, "%s +%s/h with %.0f live SSL, most from %s",
			 flags_word(f->kind), fmt_bytes(a, sizeof(a), f->bytes_per_hour), f->ssl_live,
			 site);
		break;
	case GROWTH_SSL_OUTLIVES_SOCKET:
		snprintf(buf, cap, "%s %.0f live SSL objects for %.0f open sockets",
			 flags_word(f->kind), f->ssl_live, f->sockets);
		break;
	default:
		snprintf(buf, cap, "FLAG %d", (int)f->kind);
	}
	if (!f->active) {
		size_t len = strlen(buf);

		snprintf(buf + len, cap - len, " (no longer)");
	}
}

static int snap_targets(struct snap *sn, const struct summary *s)
{
	size_t i, j, nobj = 0;

	for (i = 0; i < s->ntargets; i++)
		nobj += s->targets[i].nobjs;
	if (view_grow((void **)&sn->tg, &sn->tg_cap, s->ntargets, sizeof(*sn->tg)) ||
	    view_grow((void **)&sn->objs, &sn->objs_cap, nobj, sizeof(*sn->objs)))
		return -ENOMEM;
	sn->ntg = s->ntargets;
	sn->nobjs = 0;
	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		sn->tg[i].pid = t->pid;
		sn->tg[i].exited = t->exited;
		copy_text(sn->tg[i].comm, sizeof(sn->tg[i].comm), t->comm);
		for (j = 0; j < t->nobjs; j++) {
			const struct ssl_obj *o = &t->objs[j];
			struct obj_row *r = &sn->objs[sn->nobjs++];
			char buf[sizeof(r->text)];

			r->pid = t->pid;
			snprintf(buf, sizeof(buf), "%s  %s  %s  %d probes", base_name(o->path),
				 target_obj_kind_name(o->kind), o->version ? o->version : "version unknown",
				 o->nprobes);
			copy_text(r->text, sizeof(r->text), buf);
		}
	}
	return 0;
}

/*
 * What identifies an interval: the time of the latest point of the time line
 * (one a tick), else the duration. The per-process walks run once for each.
 */
static double interval_key(const struct summary *s)
{
	const struct hist_point *p = s->hist ? history__last(s->hist) : NULL;

	return p ? p->t_s : s->duration_s;
}

/* The running targets, with their figures of the latest interval. */
static int snap_procs(struct snap *sn, const struct summary *s)
{
	size_t i, j, n = 0;

	if (view_grow((void **)&sn->procs, &sn->procs_cap, s->ntargets ? s->ntargets : 1,
		       sizeof(*sn->procs)))
		return -ENOMEM;
	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];
		struct proc_row *r;

		if (t->exited)
			continue;
		r = &sn->procs[n++];
		memset(r, 0, sizeof(*r));
		r->pid = t->pid;
		copy_text(r->name, sizeof(r->name), t->exe[0] ? base_name(t->exe) : t->comm);
		copy_text(r->container, 13, t->container);	/* the short id: 12 characters */
		for (j = 0; j < s->npids; j++) {
			if ((int)s->pids[j].pid != t->pid)
				continue;
			r->ssl_live = s->pids[j].ssl_live;
			r->live_bytes = s->pids[j].live_bytes;
			r->live_blocks = s->pids[j].live_blocks;
			break;
		}
	}
	sn->nprocs = n;
	return 0;
}

/* Process v->pid's own blocks per site, walked once an interval (or when another is opened). */
static int snap_pid_sites(struct view *v, const struct summary *s)
{
	struct snap *sn = &v->s;
	double key = interval_key(s);

	if (!v->pid || !s->model)
		return 0;
	if (v->psites_pid == v->pid && v->psites_key == key)
		return 0;
	if (view_grow((void **)&sn->psites, &sn->psites_cap, sn->nsites ? sn->nsites : 1,
		       sizeof(*sn->psites)))
		return -ENOMEM;
	model__pid_sites(s->model, (__u32)v->pid, sn->psites, sn->nsites);
	sn->npsites = sn->nsites;
	v->psites_pid = v->pid;
	v->psites_key = key;
	return 0;
}

/* Adds a flag's word to a process row, once. */
static void proc_flag(struct proc_row *r, int kind)
{
	const char *w = flags_word(kind);
	size_t len = strlen(r->flags);
	char *p = strstr(r->flags, w);

	if (p && (p[strlen(w)] == ' ' || !p[strlen(w)]))
		return;
	r->nflags++;
	snprintf(r->flags + len, sizeof(r->flags) - len, "%s%s", len ? " " : "", w);
}

static int cmp_pair_pid(const void *pa, const void *pb)
{
	const struct pid_site *a = pa, *b = pb;

	return SPACESHIP(a->pid, b->pid);
}

/* Who holds blocks at the flags' sites (cap pairs at most), by pid. 0 or -ENOMEM. */
static int walk_flag_sites(struct snap *sn, const struct summary *s, size_t cap)
{
	__u32 *ids = calloc(sn->nfsites, sizeof(*ids));
	size_t i;
	int err;

	if (!ids || view_grow((void **)&sn->pairs, &sn->pairs_cap, cap, sizeof(*sn->pairs))) {
		free(ids);
		return -ENOMEM;
	}
	for (i = 0; i < sn->nfsites; i++)
		ids[i] = sn->fsites[i].site;
	err = model__pid_site_stats(s->model, ids, sn->nfsites, sn->pairs, cap, &sn->npairs);
	free(ids);
	qsort(sn->pairs, sn->npairs, sizeof(*sn->pairs), cmp_pair_pid);
	return err;
}

/*
 * The flags of each process: those at whose sites it holds live blocks.
 * Only for the process table, walked once an interval.
 */
static int snap_proc_flags(struct view *v, const struct summary *s)
{
	struct snap *sn = &v->s;
	double key = interval_key(s);
	size_t i, j, k;

	if (v->mode != VIEW_PROCS || !sn->nfsites || !sn->nprocs || !s->model)
		return 0;
	if (!v->pairs_valid || v->pairs_key != key) {
		if (walk_flag_sites(sn, s, sn->nprocs * sn->nfsites))
			return -ENOMEM;
		v->pairs_key = key;
		v->pairs_valid = true;
	}
	for (i = 0; i < sn->nprocs; i++) {
		struct pid_site key_ps = { .pid = (__u32)sn->procs[i].pid };
		const struct pid_site *p = bsearch(&key_ps, sn->pairs, sn->npairs,
						   sizeof(*sn->pairs), cmp_pair_pid);

		/* back to the first pair of this pid, then each of its sites */
		for (k = p ? (size_t)(p - sn->pairs) : sn->npairs;
		     k > 0 && sn->pairs[k - 1].pid == key_ps.pid; k--)
			;
		for (; k < sn->npairs && sn->pairs[k].pid == key_ps.pid; k++)
			for (j = 0; j < sn->nfsites; j++)
				if (sn->pairs[k].site == sn->fsites[j].site)
					proc_flag(&sn->procs[i], sn->fsites[j].kind);
	}
	return 0;
}

static int snap_sites(struct view *v, const struct summary *s)
{
	struct snap *sn = &v->s;
	__u32 i, n = s->model ? model__nsites(s->model) : 0;

	if (view_grow((void **)&sn->sites, &sn->sites_cap, n, sizeof(*sn->sites)))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct site_row *r = &sn->sites[i];

		memset(r, 0, sizeof(*r));
		r->id = i;
		model__site(s->model, i, &r->st);
		if (s->growth)
			r->has_delta = !growth__site_delta(s->growth, i, &r->d_bytes, NULL,
							   &r->per_min);
		site_names(v, s, r);
	}
	sn->nsites = n;
	return 0;
}

static int snap_ssl(struct snap *sn, const struct summary *s)
{
	size_t n = s->model ? model__ssl_list(s->model, NULL, 0) : 0;

	if (view_grow((void **)&sn->ssl, &sn->ssl_cap, n, sizeof(*sn->ssl)))
		return -ENOMEM;
	sn->nssl = n ? model__ssl_list(s->model, sn->ssl, n) : 0;
	if (sn->nssl > n)
		sn->nssl = n;
	return 0;
}

static int snap_hist(struct snap *sn, const struct summary *s)
{
	size_t i, n = s->hist ? history__len(s->hist) : 0;

	if (view_grow((void **)&sn->hist, &sn->hist_cap, n, sizeof(*sn->hist)))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		sn->hist[i] = *history__at(s->hist, i);
	sn->nhist = n;
	return 0;
}

/* The sites of the active flags, for the flags column of the process table. */
static int flag_sites(struct snap *sn, const struct growth_flag *f, size_t n)
{
	size_t i, j;

	/* a flag names one site, a growth flag up to three */
	if (view_grow((void **)&sn->fsites, &sn->fsites_cap, n * 3 + 1, sizeof(*sn->fsites)))
		return -ENOMEM;
	sn->nfsites = 0;
	for (i = 0; i < n; i++) {
		if (!f[i].active)
			continue;
		if (f[i].site != NONE)
			sn->fsites[sn->nfsites++] = (struct flag_site){ f[i].site, (int)f[i].kind };
		for (j = 0; f[i].kind == GROWTH_GROWTH && j < 3; j++)
			if (f[i].top_sites[j] != NONE && f[i].top_sites[j] != f[i].site)
				sn->fsites[sn->nfsites++] =
					(struct flag_site){ f[i].top_sites[j], (int)f[i].kind };
	}
	return 0;
}

static int snap_flags(struct view *v, const struct summary *s)
{
	struct snap *sn = &v->s;
	struct growth_flag *f;
	size_t i, n = s->growth ? growth__flags(s->growth, NULL, 0) : 0;
	int err;

	if (!n) {
		sn->nflags = 0;
		sn->nfsites = 0;
		return 0;
	}
	f = calloc(n, sizeof(*f));
	if (!f || view_grow((void **)&sn->flags, &sn->flags_cap, n, sizeof(*sn->flags))) {
		free(f);
		return -ENOMEM;
	}
	n = growth__flags(s->growth, f, n);
	for (i = 0; i < n; i++) {
		sn->flags[i].active = f[i].active;
		flag_text(v, s, &f[i], sn->flags[i].text, sizeof(sn->flags[i].text));
	}
	sn->nflags = n;
	err = flag_sites(sn, f, n);
	free(f);
	return err;
}

/* Rates over the latest interval: from the history, else from the previous snapshot. */
static void snap_rates(struct snap *sn, const struct summary *s)
{
	const struct hist_point *a, *b;
	double dt;

	if (s->hist && history__len(s->hist) >= 2) {
		a = history__at(s->hist, history__len(s->hist) - 2);
		b = history__last(s->hist);
		dt = b->t_s - a->t_s;
		if (dt > 0) {
			sn->ssl_new_s = (double)(b->ssl_created - a->ssl_created) / dt;
			sn->ssl_free_s = (double)(b->ssl_freed - a->ssl_freed) / dt;
			sn->alloc_s = (double)(b->allocs - a->allocs) / dt;
			sn->free_s = (double)(b->frees - a->frees) / dt;
			sn->rates = true;
		}
		return;
	}
	dt = s->duration_s - sn->duration_s;
	if (!sn->valid || dt < 0.2 || s->tot.allocs < sn->tot.allocs)
		return;
	sn->ssl_new_s = (double)(s->tot.ssl_created - sn->tot.ssl_created) / dt;
	sn->ssl_free_s = (double)(s->tot.ssl_freed - sn->tot.ssl_freed) / dt;
	sn->alloc_s = (double)(s->tot.allocs - sn->tot.allocs) / dt;
	sn->free_s = (double)(s->tot.frees - sn->tot.frees) / dt;
	sn->rates = true;
}

static void snap_figures(struct snap *sn, const struct summary *s)
{
	sn->duration_s = s->duration_s;
	sn->interval_s = s->interval_s;
	sn->baseline_s = s->baseline_s;
	sn->tot = s->tot;
	sn->rss_bytes = s->rss_bytes;
	sn->open_sockets = s->open_sockets;
	sn->pre_attach_waiting = s->pre_attach_waiting;
	sn->events_received = s->events_received;
	sn->events_lost = s->events_lost;
	sn->probes = s->probes;
	sn->hits_per_s = summary_hits_per_s(s);
	sn->cpu_pct = summary_cpu_pct(s);
	sn->other_hits_per_s = summary_other_hits_per_s(s);
	sn->light = s->light;
	sn->tlsmem_bytes = s->tlsmem_bytes;
	sn->tlsmem_rss = s->tlsmem_rss;
	sn->ringbuf_bytes = s->ringbuf_bytes;
	sn->bytes_per_ssl = summary_bytes_per_ssl(s);
	if (s->model)
		summary_ssl_cost(s, &sn->cost);
	sn->complete = summary_complete(s);
	sn->has_growth = s->growth != NULL;
	sn->valid = true;
}

int view__update(struct view *v, const struct summary *s)
{
	int err;

	/* paused, or the targets are gone: the figures on screen stay */
	if (v->s.valid && (v->paused || v->gone)) {
		v->s.baseline_s = s->baseline_s;
		/* but a process opened meanwhile needs its own */
		return v->psites_pid != v->pid ? snap_pid_sites(v, s) : 0;
	}
	err = snap_targets(&v->s, s);
	if (!err)
		err = snap_procs(&v->s, s);
	if (!err)
		err = snap_sites(v, s);
	if (!err)
		err = snap_pid_sites(v, s);
	if (!err)
		err = snap_ssl(&v->s, s);
	if (!err)
		err = snap_hist(&v->s, s);
	if (!err)
		err = snap_flags(v, s);
	if (!err)
		err = snap_proc_flags(v, s);
	if (err)
		return err;
	snap_rates(&v->s, s);
	snap_figures(&v->s, s);
	if (s->baseline_s >= 0)
		v->baseline_req = false;
	return 0;
}

/* ---- life cycle ---- */

struct view *view__new(bool utf8)
{
	struct view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->utf8 = utf8;
	v->sort[VIEW_SITES] = SC_BYTES;
	v->sort[VIEW_SSL] = LC_BYTES;
	v->sort[VIEW_PROCS] = PC_BYTES;
	v->sel_site = NONE;
	v->s.baseline_s = -1;
	v->page = 1;
	return v;
}

void view__free(struct view *v)
{
	if (!v)
		return;
	free(v->s.tg);
	free(v->s.objs);
	free(v->s.sites);
	free(v->s.ssl);
	free(v->s.hist);
	free(v->s.flags);
	free(v->s.procs);
	free(v->s.psites);
	free(v->s.fsites);
	free(v->s.pairs);
	free(v->order);
	free(v->cells);
	free(v);
}

void view__set_names(struct view *v, view_name_fn fn, void *ctx)
{
	v->name_fn = fn;
	v->name_ctx = ctx;
}

void view__targets_gone(struct view *v)
{
	v->gone = true;
}

void view__set_message(struct view *v, const char *msg)
{
	copy_text(v->msg, sizeof(v->msg), msg ? msg : "");
}
