// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The live view without the terminal; see view.h. view__update copies a
 * summary into a snapshot the view owns; view__key is the key table (keys ->
 * actions -> tui_action bits); view__render lays the snapshot out into a
 * grid of cells: a header that always comes first, then the current table or
 * chart, then a footer. Columns have fixed widths that depend on the
 * terminal's width only, so nothing moves between refreshes, and the
 * selection follows a site (or an SSL object) by identity, not by row.
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

#define SPACESHIP(a, b)	(((a) > (b)) - ((a) < (b)))	/* never subtract u64s */

#define FILTER_MAX	64
#define MSG_MAX		256
#define HDR_OBJS_MAX	3		/* OpenSSL object lines in the header */
#define HDR_FLAGS_MAX	3		/* flag lines in the header */
#define SPARK_W		24		/* the header's sparkline */
#define NONE		UINT32_MAX

struct site_row {
	__u32 id;
	struct site_stats st;
	long long d_bytes;		/* since the baseline (or the first sample) */
	double per_min;			/* slope of live bytes over the growth window */
	bool has_delta;
	char site[176];			/* "file:line" */
	char caller[160];
	char module[96];		/* basename of the module [where its names came from] */
};

struct obj_row {
	int pid;
	char text[256];			/* "libcrypto.so.3  shared  OpenSSL 3.0.19 ...  9 probes" */
};

struct tgt_row {
	int pid;
	char comm[32];
	bool exited;
};

struct flag_row {
	bool active;
	char text[560];
};

/* Everything shown, copied out of one struct summary. */
struct snap {
	bool valid;
	double duration_s, interval_s, baseline_s;
	struct model_totals tot;
	__u64 rss_bytes, open_sockets, events_received, events_lost, probes;
	__u64 pre_attach_waiting;	/* connections open before attach, SSL not seen yet */
	double hits_per_s, cpu_pct;
	bool light;
	size_t tlsmem_bytes;
	double bytes_per_ssl;
	struct ssl_cost cost;		/* per SSL object: p50, p99, max */
	bool complete, has_growth;
	bool rates;			/* the four rates below are known */
	double ssl_new_s, ssl_free_s, alloc_s, free_s;
	struct tgt_row *tg;
	size_t ntg, tg_cap;
	struct obj_row *objs;
	size_t nobjs, objs_cap;
	struct site_row *sites;
	size_t nsites, sites_cap;
	struct ssl_stats *ssl;
	size_t nssl, ssl_cap;
	struct hist_point *hist;
	size_t nhist, hist_cap;
	struct flag_row *flags;
	size_t nflags, flags_cap;
};

struct layout {
	int x[SC__COUNT], w[SC__COUNT];	/* w == 0: hidden */
};

struct view {
	bool utf8, paused, gone, help, prompt, baseline_req;
	enum view_mode mode;
	int sort[VIEW__COUNT];
	bool rev[VIEW__COUNT];
	char filter[FILTER_MAX], pbuf[FILTER_MAX];
	char msg[MSG_MAX];
	view_name_fn name_fn;
	void *name_ctx;
	struct snap s;
	/* display order of the current table: indices into s.sites or s.ssl */
	size_t *order, order_cap, norder;
	__u32 sel_site;			/* selection by identity */
	__u32 sel_pid;
	__u64 sel_ssl;
	size_t sel[VIEW__COUNT], top[VIEW__COUNT];
	int page;			/* table rows at the last render */
	struct view_cell *cells;
	size_t cells_cap;
	int rows, cols;
};

/* ---- snapshot ---- */

static int grow(void **p, size_t *cap, size_t n, size_t size)
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
	if (grow((void **)&sn->tg, &sn->tg_cap, s->ntargets, sizeof(*sn->tg)) ||
	    grow((void **)&sn->objs, &sn->objs_cap, nobj, sizeof(*sn->objs)))
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

static int snap_sites(struct view *v, const struct summary *s)
{
	struct snap *sn = &v->s;
	__u32 i, n = s->model ? model__nsites(s->model) : 0;

	if (grow((void **)&sn->sites, &sn->sites_cap, n, sizeof(*sn->sites)))
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

	if (grow((void **)&sn->ssl, &sn->ssl_cap, n, sizeof(*sn->ssl)))
		return -ENOMEM;
	sn->nssl = n ? model__ssl_list(s->model, sn->ssl, n) : 0;
	if (sn->nssl > n)
		sn->nssl = n;
	return 0;
}

static int snap_hist(struct snap *sn, const struct summary *s)
{
	size_t i, n = s->hist ? history__len(s->hist) : 0;

	if (grow((void **)&sn->hist, &sn->hist_cap, n, sizeof(*sn->hist)))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		sn->hist[i] = *history__at(s->hist, i);
	sn->nhist = n;
	return 0;
}

static int snap_flags(struct view *v, const struct summary *s)
{
	struct snap *sn = &v->s;
	struct growth_flag *f;
	size_t i, n = s->growth ? growth__flags(s->growth, NULL, 0) : 0;

	if (!n) {
		sn->nflags = 0;
		return 0;
	}
	f = calloc(n, sizeof(*f));
	if (!f || grow((void **)&sn->flags, &sn->flags_cap, n, sizeof(*sn->flags))) {
		free(f);
		return -ENOMEM;
	}
	n = growth__flags(s->growth, f, n);
	for (i = 0; i < n; i++) {
		sn->flags[i].active = f[i].active;
		flag_text(v, s, &f[i], sn->flags[i].text, sizeof(sn->flags[i].text));
	}
	sn->nflags = n;
	free(f);
	return 0;
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
	sn->light = s->light;
	sn->tlsmem_bytes = s->tlsmem_bytes;
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
		return 0;
	}
	err = snap_targets(&v->s, s);
	if (!err)
		err = snap_sites(v, s);
	if (!err)
		err = snap_ssl(&v->s, s);
	if (!err)
		err = snap_hist(&v->s, s);
	if (!err)
		err = snap_flags(v, s);
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

/* ---- sorting, filtering, selection ---- */

static bool site_text_col(int c)
{
	return c == SC_SITE || c == SC_CALLER || c == SC_MODULE;
}

static long long site_age(const struct view *v, const struct site_row *r)
{
	if (!r->st.live_blocks || r->st.oldest_ns > v->s.tot.last_ts_ns)
		return -1;
	return (long long)(v->s.tot.last_ts_ns - r->st.oldest_ns);
}

static double site_delta(const struct view *v, const struct site_row *r)
{
	if (!r->has_delta)
		return -1e300;
	return v->s.baseline_s >= 0 ? (double)r->d_bytes : r->per_min;
}

static int cmp_site_col(const struct view *v, int col, const struct site_row *a,
			const struct site_row *b)
{
	switch (col) {
	case SC_BYTES:
	case SC_PER_SSL:
		return SPACESHIP(a->st.live_bytes, b->st.live_bytes);
	case SC_BLOCKS:
		return SPACESHIP(a->st.live_blocks, b->st.live_blocks);
	case SC_DELTA:
		return SPACESHIP(site_delta(v, a), site_delta(v, b));
	case SC_AGE:
		return SPACESHIP(site_age(v, a), site_age(v, b));
	case SC_ORPHANS:
		return SPACESHIP(a->st.orphan_blocks, b->st.orphan_blocks);
	case SC_SITE:
		return strcmp(a->site, b->site);
	case SC_CALLER:
		return strcmp(a->caller, b->caller);
	default:
		return strcmp(a->module, b->module);
	}
}

/* Numbers sort biggest first and text A to Z; r reverses either. */
static int cmp_sites(const void *pa, const void *pb, void *ctx)
{
	const struct view *v = ctx;
	const struct site_row *a = &v->s.sites[*(const size_t *)pa];
	const struct site_row *b = &v->s.sites[*(const size_t *)pb];
	int col = v->sort[VIEW_SITES];
	int c = cmp_site_col(v, col, a, b);

	if (!site_text_col(col))
		c = -c;
	if (!c)
		c = -SPACESHIP(a->st.live_bytes, b->st.live_bytes);
	if (!c)
		c = SPACESHIP(a->id, b->id);
	return v->rev[VIEW_SITES] ? -c : c;
}

static int cmp_ssl_col(const struct view *v, int col, const struct ssl_stats *a,
		       const struct ssl_stats *b)
{
	(void)v;
	switch (col) {
	case LC_PID:
		return SPACESHIP(a->pid, b->pid);
	case LC_ADDR:
		return SPACESHIP(a->ssl, b->ssl);
	case LC_AGE:	/* older first when biggest first */
		return SPACESHIP(b->created_ns, a->created_ns);
	case LC_BYTES:
		return SPACESHIP(a->live_bytes, b->live_bytes);
	case LC_BLOCKS:
		return SPACESHIP(a->live_blocks, b->live_blocks);
	default:
		return SPACESHIP(a->adopted, b->adopted);
	}
}

static int cmp_ssls(const void *pa, const void *pb, void *ctx)
{
	const struct view *v = ctx;
	const struct ssl_stats *a = &v->s.ssl[*(const size_t *)pa];
	const struct ssl_stats *b = &v->s.ssl[*(const size_t *)pb];
	int col = v->sort[VIEW_SSL];
	int c = cmp_ssl_col(v, col, a, b);

	if (col != LC_PID && col != LC_ADDR)
		c = -c;
	if (!c)
		c = -SPACESHIP(a->live_bytes, b->live_bytes);
	if (!c)
		c = SPACESHIP(a->pid, b->pid);
	if (!c)
		c = SPACESHIP(a->ssl, b->ssl);
	return v->rev[VIEW_SSL] ? -c : c;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t i, j, n = strlen(needle);

	for (i = 0; hay[i]; i++) {
		for (j = 0; j < n && hay[i + j]; j++) {
			char a = hay[i + j], b = needle[j];

			if (a >= 'A' && a <= 'Z')
				a += 'a' - 'A';
			if (b >= 'A' && b <= 'Z')
				b += 'a' - 'A';
			if (a != b)
				break;
		}
		if (j == n)
			return true;
	}
	return !n;
}

static bool site_matches(const struct view *v, const struct site_row *r)
{
	const char *f = v->filter;

	return !f[0] || contains_ci(r->site, f) || contains_ci(r->caller, f) ||
	       contains_ci(r->module, f);
}

/* Fills v->order for the current view: the rows, filtered and sorted. */
static int build_order(struct view *v)
{
	size_t i, n = v->mode == VIEW_SSL ? v->s.nssl : v->s.nsites;

	if (grow((void **)&v->order, &v->order_cap, n ? n : 1, sizeof(*v->order)))
		return -ENOMEM;
	v->norder = 0;
	if (v->mode == VIEW_SSL) {
		for (i = 0; i < n; i++)
			v->order[v->norder++] = i;
		qsort_r(v->order, v->norder, sizeof(*v->order), cmp_ssls, v);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (v->s.sites[i].st.allocs && site_matches(v, &v->s.sites[i]))
			v->order[v->norder++] = i;
	qsort_r(v->order, v->norder, sizeof(*v->order), cmp_sites, v);
	return 0;
}

static bool row_is_selected(const struct view *v, size_t ix)
{
	const struct ssl_stats *x;

	if (v->mode == VIEW_SITES)
		return v->s.sites[ix].id == v->sel_site;
	x = &v->s.ssl[ix];
	return x->pid == v->sel_pid && x->ssl == v->sel_ssl;
}

static void remember_selection(struct view *v, size_t pos)
{
	size_t ix;

	v->sel[v->mode] = pos;
	if (pos >= v->norder)
		return;
	ix = v->order[pos];
	if (v->mode == VIEW_SITES) {
		v->sel_site = v->s.sites[ix].id;
	} else {
		v->sel_pid = v->s.ssl[ix].pid;
		v->sel_ssl = v->s.ssl[ix].ssl;
	}
}

/*
 * Finds the selected row again after a re-sort; a row that left (filtered
 * out, freed) hands the selection to whichever row now sits at its place.
 */
static void follow_selection(struct view *v)
{
	size_t i, pos = v->sel[v->mode];

	for (i = 0; i < v->norder; i++) {
		if (row_is_selected(v, v->order[i])) {
			pos = i;
			break;
		}
	}
	if (pos >= v->norder)
		pos = v->norder ? v->norder - 1 : 0;
	remember_selection(v, pos);
}

/* Keeps the selection within the page: scrolls as little as needed. */
static void clamp_scroll(struct view *v, int page)
{
	size_t *top = &v->top[v->mode], pos = v->sel[v->mode];
	size_t pg = page > 0 ? (size_t)page : 1;

	if (pos < *top)
		*top = pos;
	if (pos >= *top + pg)
		*top = pos - pg + 1;
	if (v->norder <= pg)
		*top = 0;
	else if (*top > v->norder - pg)
		*top = v->norder - pg;
}

size_t view__site_ids(struct view *v, __u32 *ids, size_t cap)
{
	enum view_mode m = v->mode;
	size_t i;

	v->mode = VIEW_SITES;
	if (build_order(v)) {
		v->mode = m;
		return 0;
	}
	for (i = 0; i < v->norder && i < cap; i++)
		ids[i] = v->s.sites[v->order[i]].id;
	v->mode = m;
	return v->norder;
}

__u32 view__selected_site(const struct view *v)
{
	return v->sel_site;
}

size_t view__top(const struct view *v)
{
	return v->top[v->mode];
}

enum view_mode view__mode(const struct view *v)
{
	return v->mode;
}

bool view__paused(const struct view *v)
{
	return v->paused;
}

bool view__prompting(const struct view *v)
{
	return v->prompt;
}

/* ---- keys ---- */

static int ncols(const struct view *v)
{
	return v->mode == VIEW_SSL ? LC__COUNT : SC__COUNT;
}

static unsigned int act_quit(struct view *v)
{
	(void)v;
	return VIEW_QUIT;
}

static unsigned int act_help(struct view *v)
{
	v->help = !v->help;
	return VIEW_REDRAW;
}

static unsigned int act_sort_next(struct view *v)
{
	if (v->mode != VIEW_TIMELINE)
		v->sort[v->mode] = (v->sort[v->mode] + 1) % ncols(v);
	return VIEW_REDRAW;
}

static unsigned int act_sort_prev(struct view *v)
{
	if (v->mode != VIEW_TIMELINE)
		v->sort[v->mode] = (v->sort[v->mode] + ncols(v) - 1) % ncols(v);
	return VIEW_REDRAW;
}

static unsigned int act_reverse(struct view *v)
{
	v->rev[v->mode] = !v->rev[v->mode];
	return VIEW_REDRAW;
}

static unsigned int act_baseline(struct view *v)
{
	v->baseline_req = true;
	return VIEW_BASELINE | VIEW_REDRAW;
}

static unsigned int act_pause(struct view *v)
{
	v->paused = !v->paused;
	return VIEW_REDRAW;
}

static unsigned int act_next_view(struct view *v)
{
	v->mode = (v->mode + 1) % VIEW__COUNT;
	return VIEW_REDRAW;
}

static unsigned int act_prev_view(struct view *v)
{
	v->mode = (v->mode + VIEW__COUNT - 1) % VIEW__COUNT;
	return VIEW_REDRAW;
}

static unsigned int act_filter(struct view *v)
{
	v->prompt = true;
	snprintf(v->pbuf, sizeof(v->pbuf), "%s", v->filter);
	return VIEW_REDRAW;
}

static unsigned int act_clear_filter(struct view *v)
{
	v->filter[0] = '\0';
	return VIEW_REDRAW;
}

static unsigned int move_sel(struct view *v, long long by)
{
	long long pos;

	if (v->mode == VIEW_TIMELINE)
		return VIEW_NONE;
	if (build_order(v))
		return VIEW_NONE;
	follow_selection(v);
	pos = (long long)v->sel[v->mode] + by;
	if (pos >= (long long)v->norder)
		pos = (long long)v->norder - 1;
	if (pos < 0)
		pos = 0;
	remember_selection(v, (size_t)pos);
	clamp_scroll(v, v->page);
	return VIEW_REDRAW;
}

static unsigned int act_up(struct view *v)
{
	return move_sel(v, -1);
}

static unsigned int act_down(struct view *v)
{
	return move_sel(v, 1);
}

static unsigned int act_pgup(struct view *v)
{
	return move_sel(v, -(long long)v->page);
}

static unsigned int act_pgdn(struct view *v)
{
	return move_sel(v, v->page);
}

static unsigned int act_home(struct view *v)
{
	return move_sel(v, -(LLONG_MAX / 4));
}

static unsigned int act_end(struct view *v)
{
	return move_sel(v, LLONG_MAX / 4);
}

static unsigned int act_redraw(struct view *v)
{
	(void)v;
	return VIEW_REDRAW;
}

static const struct keybinding {
	int key;
	unsigned int (*fn)(struct view *v);
	const char *keys;		/* as the help lists them; NULL: not listed */
	const char *help;
} keymap[] = {
	{ 'q',		act_quit,	  "q",		"quit" },
	{ '?',		act_help,	  "?",		"this help (any key closes it)" },
	{ 's',		act_sort_next,	  "s  >  <",	"sort by the next / previous column" },
	{ '>',		act_sort_next,	  NULL,		NULL },
	{ '.',		act_sort_next,	  NULL,		NULL },
	{ '<',		act_sort_prev,	  NULL,		NULL },
	{ ',',		act_sort_prev,	  NULL,		NULL },
	{ 'r',		act_reverse,	  "r",		"reverse the sort order" },
	{ 'b',		act_baseline,	  "b",		"set a baseline: CHANGE counts from now" },
	{ 'p',		act_pause,	  "p",		"pause the display (figures keep being collected)" },
	{ 'v',		act_next_view,	  "v  Tab",	"next view: sites, SSL objects, time line" },
	{ '\t',		act_next_view,	  NULL,		NULL },
	{ VK_BTAB,	act_prev_view,	  NULL,		NULL },
	{ '/',		act_filter,	  "/",		"filter sites by text (Enter applies, Esc clears)" },
	{ VK_ESC,	act_clear_filter, NULL,		NULL },
	{ VK_UP,	act_up,		  "Up  Down",	"move the selection" },
	{ VK_DOWN,	act_down,	  NULL,		NULL },
	{ 'k',		act_up,		  NULL,		NULL },
	{ 'j',		act_down,	  NULL,		NULL },
	{ VK_PGUP,	act_pgup,	  "PgUp  PgDn",	"scroll a page" },
	{ VK_PGDN,	act_pgdn,	  NULL,		NULL },
	{ ' ',		act_pgdn,	  NULL,		NULL },
	{ VK_HOME,	act_home,	  "Home  End",	"first / last row" },
	{ VK_END,	act_end,	  NULL,		NULL },
	{ VK_RESIZE,	act_redraw,	  NULL,		NULL },
	{ 'L' - '@',	act_redraw,	  "Ctrl-L",	"repaint the screen" },
};

#define NKEYS	(sizeof(keymap) / sizeof(keymap[0]))

/* Keys typed into the filter prompt. */
static unsigned int prompt_key(struct view *v, int key)
{
	size_t len = strlen(v->pbuf);

	if (key == VK_ENTER || key == '\n' || key == '\r') {
		snprintf(v->filter, sizeof(v->filter), "%s", v->pbuf);
		v->prompt = false;
		v->sel[VIEW_SITES] = 0;
		v->top[VIEW_SITES] = 0;
	} else if (key == VK_ESC) {
		v->filter[0] = v->pbuf[0] = '\0';
		v->prompt = false;
	} else if (key == VK_BACKSPACE || key == 127 || key == 8) {
		if (len)
			v->pbuf[len - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(v->pbuf)) {
		v->pbuf[len] = (char)key;
		v->pbuf[len + 1] = '\0';
	} else {
		return VIEW_NONE;
	}
	return VIEW_REDRAW;
}

unsigned int view__key(struct view *v, int key)
{
	size_t i;

	if (v->prompt)
		return prompt_key(v, key);
	if (v->help && key != 'q' && key != VK_RESIZE) {
		v->help = false;
		return VIEW_REDRAW;
	}
	for (i = 0; i < NKEYS; i++)
		if (keymap[i].key == key)
			return keymap[i].fn(v);
	return VIEW_NONE;
}

/* ---- cells ---- */

static struct view_cell *cell(struct view *v, int r, int c)
{
	return &v->cells[(size_t)r * (size_t)v->cols + (size_t)c];
}

/* Writes s at (r, c), clipped to the screen; returns the column after it. */
static int put(struct view *v, int r, int c, int style, const char *s)
{
	for (; *s; s++, c++) {
		if (r < 0 || r >= v->rows || c < 0)
			continue;
		if (c >= v->cols)
			break;
		cell(v, r, c)->ch = (unsigned char)*s;
		cell(v, r, c)->style = (__u8)style;
	}
	return c;
}

static int putch(struct view *v, int r, int c, int style, __u32 ch)
{
	if (r >= 0 && r < v->rows && c >= 0 && c < v->cols) {
		cell(v, r, c)->ch = ch;
		cell(v, r, c)->style = (__u8)style;
	}
	return c + 1;
}

static int putf(struct view *v, int r, int c, int style, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int putf(struct view *v, int r, int c, int style, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(v, r, c, style, buf);
}

static void style_row(struct view *v, int r, int style)
{
	int c;

	for (c = 0; r >= 0 && r < v->rows && c < v->cols; c++)
		cell(v, r, c)->style = (__u8)style;
}

/* s into a field of w columns: right-aligned, or left-aligned and cut with "...". */
static void put_field(struct view *v, int r, int x, int w, int style, const char *s, bool right,
		      bool keep_end)
{
	char buf[512];
	int len = (int)strlen(s);

	if (w <= 0)
		return;
	if (w >= (int)sizeof(buf))
		w = (int)sizeof(buf) - 1;
	if (len <= w)
		snprintf(buf, sizeof(buf), right ? "%*s" : "%-*s", w, s);
	else if (w < 4)
		snprintf(buf, sizeof(buf), "%.*s", w, keep_end ? s + len - w : s);
	else if (keep_end)
		snprintf(buf, sizeof(buf), "...%s", s + len - (w - 3));
	else
		snprintf(buf, sizeof(buf), "%.*s...", w - 3, s);
	put(v, r, x, style, buf);
}

/* ---- number formats ---- */

static char *fmt_rate(char *buf, size_t cap, double per_s)
{
	char n[32];

	snprintf(buf, cap, "%s/s", fmt_count(n, sizeof(n), per_s));
	return buf;
}

static char *fmt_age(char *buf, size_t cap, double s)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	if (t < 60)
		snprintf(buf, cap, "%llus", t);
	else if (t < 3600)
		snprintf(buf, cap, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, cap, "%lluh%02llum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, cap, "%llud%02lluh", t / 86400, t / 3600 % 24);
	return buf;
}

static char *fmt_hms(char *buf, size_t cap, double s)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	snprintf(buf, cap, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

static char *fmt_delta(char *buf, size_t cap, double bytes)
{
	char b[24];

	fmt_bytes(b, sizeof(b), bytes);
	snprintf(buf, cap, "%s%s", bytes >= 0.5 ? "+" : "", b);
	return buf;
}

/* ---- sparklines and charts ---- */

static const char ascii_levels[] = "_.:-=+*#";	/* 8 levels, like U+2581..U+2588 */

static __u64 hist_value(const struct hist_point *p, int which)
{
	switch (which) {
	case 0:
		return p->live_bytes;
	case 1:
		return p->ssl_live;
	default:
		return p->rss_bytes;
	}
}

static void hist_range(const struct snap *sn, size_t from, int which, __u64 *lo, __u64 *hi)
{
	size_t i;

	*lo = UINT64_MAX;
	*hi = 0;
	for (i = from; i < sn->nhist; i++) {
		__u64 x = hist_value(&sn->hist[i], which);

		if (x < *lo)
			*lo = x;
		if (x > *hi)
			*hi = x;
	}
	if (*lo > *hi)
		*lo = *hi;
}

/* Height of x in [0, steps]: the minimum still shows as 1 (0 when everything is 0). */
static int level(__u64 x, __u64 lo, __u64 hi, int steps)
{
	if (!hi)
		return 0;
	if (hi == lo)
		return steps / 2 ? steps / 2 : 1;
	return 1 + (int)((double)(x - lo) / (double)(hi - lo) * (steps - 1) + 0.5);
}

/* The newest w points of a series as one line of eighth blocks; returns the end column. */
static int sparkline(struct view *v, int r, int c, int w, int which)
{
	const struct snap *sn = &v->s;
	size_t from = sn->nhist > (size_t)w ? sn->nhist - (size_t)w : 0, i;
	__u64 lo, hi;

	hist_range(sn, from, which, &lo, &hi);
	c += w - (int)(sn->nhist - from);
	for (i = from; i < sn->nhist; i++) {
		int l = level(hist_value(&sn->hist[i], which), lo, hi, 8);
		__u32 ch = v->utf8 ? 0x2580 + (__u32)(l ? l : 1) : (__u32)ascii_levels[l ? l - 1 : 0];

		c = putch(v, r, c, VS_GRAPH, ch);
	}
	return c;
}

/* One cell of a bar chart: fill in eighths, 0 to 8. */
static __u32 bar_glyph(const struct view *v, int fill)
{
	static const char ascii[] = " ..::||##";

	if (fill <= 0)
		return ' ';
	if (fill >= 8)
		return v->utf8 ? 0x2588 : '#';
	return v->utf8 ? 0x2580 + (__u32)fill : (__u32)ascii[fill];
}

static void fmt_value(char *buf, size_t cap, int which, double x)
{
	if (which == 1)
		fmt_count(buf, cap, x);
	else
		fmt_bytes(buf, cap, x);
}

/* A chart of h rows under a title line, starting at row r; returns the next row. */
static int chart(struct view *v, int r, int h, int which)
{
	static const char *const title[] = { "OpenSSL live bytes", "live SSL objects",
					      "process RSS" };
	const struct snap *sn = &v->s;
	int w = v->cols - 12, y;
	size_t from, i;
	char a[32], b[32], c[32];
	__u64 lo, hi;

	if (w < 1)
		w = 1;
	from = sn->nhist > (size_t)w ? sn->nhist - (size_t)w : 0;
	hist_range(sn, from, which, &lo, &hi);
	fmt_value(a, sizeof(a), which, sn->nhist ? (double)hist_value(&sn->hist[sn->nhist - 1],
									which) : 0);
	fmt_value(b, sizeof(b), which, (double)lo);
	fmt_value(c, sizeof(c), which, (double)hi);
	putf(v, r, 0, VS_LABEL, "%s", title[which]);
	putf(v, r, 20, VS_NORMAL, "now %s   min %s   max %s", a, b, c);
	for (y = 0; y < h; y++) {
		int row = r + 1 + y;

		if (y == 0)
			put_field(v, row, 0, 10, VS_DIM, c, true, false);
		if (y == h - 1)
			put_field(v, row, 0, 10, VS_DIM, b, true, false);
		putch(v, row, 11, VS_DIM, '|');
		for (i = from; i < sn->nhist; i++) {
			int l = level(hist_value(&sn->hist[i], which), lo, hi, h * 8);
			int x = 12 + w - (int)(sn->nhist - i);

			putch(v, row, x, VS_GRAPH, bar_glyph(v, l - (h - 1 - y) * 8));
		}
	}
	return r + 1 + h;
}

static void timeline(struct view *v, int r, int rows)
{
	const struct snap *sn = &v->s;
	int h = (rows - 1) / 3 - 1, which, w = v->cols - 12;
	double iv = sn->interval_s > 0 ? sn->interval_s : 1;
	char a[32];

	if (!sn->nhist) {
		put(v, r, 0, VS_DIM, "no history yet");
		return;
	}
	if (h < 1) {
		for (which = 0; which < 3 && which < rows; which++) {
			put(v, r + which, 0, VS_LABEL, which == 0 ? "live bytes" :
			    which == 1 ? "live SSL" : "RSS");
			sparkline(v, r + which, 12, w > 0 ? w : 1, which);
		}
		return;
	}
	for (which = 0; which < 3; which++)
		r = chart(v, r, h, which);
	if (w < 1)
		w = 1;
	put(v, r, 11, VS_DIM, "|");
	putf(v, r, 13, VS_DIM, "-%s", fmt_age(a, sizeof(a), (double)w * iv));
	put_field(v, r, 12 + w - 3, 3, VS_DIM, "now", true, false);
}

/* ---- header ---- */

static int hdr_title(struct view *v, int r)
{
	const struct snap *sn = &v->s;
	char a[32];
	int c;
	size_t i;

	c = put(v, r, 0, VS_LABEL, "tlsmem");
	for (i = 0; i < sn->ntg; i++)
		c = putf(v, r, c, VS_NORMAL, "%s pid %d (%s)%s", i ? "," : " -", sn->tg[i].pid,
			 sn->tg[i].comm, sn->tg[i].exited ? " exited" : "");
	c = putf(v, r, c, VS_NORMAL, "  up %s", fmt_hms(a, sizeof(a), sn->duration_s));
	c = putf(v, r, c, VS_NORMAL, "  every %gs", sn->interval_s > 0 ? sn->interval_s : 1);
	if (v->gone)
		c = put(v, r, c + 2, VS_WARN, "TARGET EXITED: last figures kept, q quits");
	if (v->paused)
		put(v, r, c + 2, VS_WARN, "PAUSED");
	return r + 1;
}

static int hdr_objs(struct view *v, int r, int max)
{
	const struct snap *sn = &v->s;
	size_t i, shown = sn->nobjs > (size_t)max ? (size_t)max - 1 : sn->nobjs;

	for (i = 0; i < shown; i++) {
		int c = put(v, r, 0, VS_NORMAL, "  ");

		if (sn->ntg > 1)
			c = putf(v, r, c, VS_NORMAL, "%d: ", sn->objs[i].pid);
		put(v, r++, c, VS_NORMAL, sn->objs[i].text);
	}
	if (shown < sn->nobjs)
		putf(v, r++, 2, VS_DIM, "... and %zu more OpenSSL objects", sn->nobjs - shown);
	return r;
}

/*
 * A header line is a row of pieces shown in order; when they do not all fit
 * the width, the least important go first (higher prio: dropped earlier),
 * so that at 80 columns the key figures (live SSL, sockets, OpenSSL bytes,
 * bytes per SSL, RSS, lost events) stay whole.
 */
#define PIECES_MAX	10
#define PIECE_SPARK	"\x01"		/* text of the sparkline's piece */

struct piece {
	char text[160];
	int style, prio;
	bool shown;
};

struct pieces {
	struct piece p[PIECES_MAX];
	int n;
};

static void piece_add(struct pieces *ps, int prio, int style, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void piece_add(struct pieces *ps, int prio, int style, const char *fmt, ...)
{
	struct piece *p;
	va_list ap;

	if (ps->n == PIECES_MAX)
		return;
	p = &ps->p[ps->n++];
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	p->style = style;
	p->prio = prio;
	p->shown = true;
}

static int piece_width(const struct piece *p)
{
	return strcmp(p->text, PIECE_SPARK) ? (int)strlen(p->text) : SPARK_W;
}

/* Drops the least important pieces until the rest fit from column c; draws them. */
static int pieces_put(struct view *v, int r, int c, struct pieces *ps)
{
	int i, w = c;

	for (i = 0; i < ps->n; i++)
		w += piece_width(&ps->p[i]);
	while (w > v->cols) {
		int drop = -1;

		for (i = 0; i < ps->n; i++)
			if (ps->p[i].shown && ps->p[i].prio > 0 &&
			    (drop < 0 || ps->p[i].prio >= ps->p[drop].prio))
				drop = i;
		if (drop < 0)
			break;		/* only key pieces left: clipped at the edge */
		ps->p[drop].shown = false;
		w -= piece_width(&ps->p[drop]);
	}
	for (i = 0; i < ps->n; i++) {
		if (!ps->p[i].shown)
			continue;
		if (!strcmp(ps->p[i].text, PIECE_SPARK))
			c = v->s.nhist ? sparkline(v, r, c, SPARK_W, 0) : c;
		else
			c = put(v, r, c, ps->p[i].style, ps->p[i].text);
	}
	return c;
}

static int hdr_ssl(struct view *v, int r)
{
	const struct snap *sn = &v->s;
	struct pieces ps = { .n = 0 };
	char a[32], b[32];

	put(v, r, 0, VS_LABEL, "SSL");
	piece_add(&ps, 0, VS_NORMAL, "%llu live", (unsigned long long)sn->tot.ssl_live);
	if (sn->rates)
		piece_add(&ps, 3, VS_NORMAL, "  %s new  %s freed",
			  fmt_rate(a, sizeof(a), sn->ssl_new_s), fmt_rate(b, sizeof(b), sn->ssl_free_s));
	piece_add(&ps, 4, VS_NORMAL, "  (%llu created, %llu freed, %llu adopted)",
		  (unsigned long long)sn->tot.ssl_created, (unsigned long long)sn->tot.ssl_freed,
		  (unsigned long long)sn->tot.ssl_adopted);
	if (sn->open_sockets == UINT64_MAX)
		piece_add(&ps, 0, VS_NORMAL, "   sockets ?");
	else
		piece_add(&ps, 0, VS_NORMAL, "   sockets %llu", (unsigned long long)sn->open_sockets);
	if (sn->pre_attach_waiting)
		piece_add(&ps, 1, VS_WARN, "   %llu opened before attach, not seen yet",
			  (unsigned long long)sn->pre_attach_waiting);
	pieces_put(v, r, 9, &ps);
	return r + 1;
}

static int hdr_heap(struct view *v, int r)
{
	const struct snap *sn = &v->s;
	struct pieces ps = { .n = 0 };
	char a[32], b[32], d[32], e[32];

	put(v, r, 0, VS_LABEL, "OpenSSL");
	if (sn->light) {
		piece_add(&ps, 0, VS_NORMAL, "not measured (--light)  ");
	} else {
		piece_add(&ps, 0, VS_NORMAL, "%s live", fmt_bytes(a, sizeof(a), (double)sn->tot.live_bytes));
		piece_add(&ps, 2, VS_NORMAL, " in %s blocks", fmt_count(b, sizeof(b), (double)sn->tot.live_blocks));
		piece_add(&ps, 1, VS_NORMAL, "  ");
		if (sn->nhist)
			piece_add(&ps, 3, VS_NORMAL, PIECE_SPARK);
		piece_add(&ps, 0, VS_NORMAL, "  %s per live SSL", fmt_bytes(a, sizeof(a), sn->bytes_per_ssl));
		if (sn->cost.objects)
			piece_add(&ps, 4, VS_DIM, " (p50 %s p99 %s max %s)",
				  fmt_bytes(b, sizeof(b), (double)sn->cost.p50),
				  fmt_bytes(d, sizeof(d), (double)sn->cost.p99),
				  fmt_bytes(e, sizeof(e), (double)sn->cost.max));
	}
	piece_add(&ps, 0, VS_NORMAL, "   RSS %s", fmt_bytes(d, sizeof(d), (double)sn->rss_bytes));
	pieces_put(v, r, 9, &ps);
	return r + 1;
}

static int hdr_events(struct view *v, int r)
{
	const struct snap *sn = &v->s;
	struct pieces ps = { .n = 0 };
	char a[32], b[32], d[32];

	if (sn->rates)
		piece_add(&ps, 2, VS_NORMAL, "allocs   %s  frees %s   ",
			  fmt_rate(a, sizeof(a), sn->alloc_s), fmt_rate(b, sizeof(b), sn->free_s));
	else
		piece_add(&ps, 2, VS_NORMAL, "allocs   -/s  frees -/s   ");
	piece_add(&ps, 1, VS_NORMAL, "events %s, ",
		  fmt_count(d, sizeof(d), (double)sn->events_received));
	if (sn->events_lost) {
		piece_add(&ps, 0, VS_WARN, "lost %llu", (unsigned long long)sn->events_lost);
		piece_add(&ps, 1, VS_WARN, ": counts are lower bounds, live figures approximate");
	} else {
		piece_add(&ps, 0, VS_NORMAL, "lost 0");
	}
	if (!sn->events_lost && !sn->complete)
		piece_add(&ps, 1, VS_WARN, " (figures approximate: see the report)");
	piece_add(&ps, 3, VS_DIM, "   tlsmem %s, %llu probes%s, %s hits/s ~%.1f%% CPU",
		  fmt_bytes(a, sizeof(a), (double)sn->tlsmem_bytes), (unsigned long long)sn->probes,
		  sn->light ? " (light)" : "", fmt_count(d, sizeof(d), sn->hits_per_s), sn->cpu_pct);
	pieces_put(v, r, 0, &ps);
	if (ps.p[0].shown)
		put(v, r, 0, VS_LABEL, "allocs");	/* the line's label, as on the others */
	return r + 1;
}

/* Baseline, filter: shown only when set. */
static int hdr_state(struct view *v, int r)
{
	const struct snap *sn = &v->s;
	char a[32];
	int c = 0;

	if (sn->baseline_s >= 0)
		c = putf(v, r, 0, VS_NORMAL, "baseline at %s: CHANGE is since then   ",
			 fmt_hms(a, sizeof(a), sn->baseline_s));
	else if (v->baseline_req)
		c = put(v, r, 0, VS_NORMAL, "baseline requested   ");
	if (v->filter[0])
		c = putf(v, r, c, VS_NORMAL, "filter \"%s\"", v->filter);
	return c ? r + 1 : r;
}

static int hdr_flags(struct view *v, int r, int max)
{
	const struct snap *sn = &v->s;
	size_t i;
	int n = 0;

	if (!sn->nflags) {
		put(v, r, 0, VS_LABEL, "flags");
		put(v, r, 9, VS_NORMAL, sn->has_growth ? "none" : "(no growth detection)");
		return r + 1;
	}
	for (i = 0; i < sn->nflags && n < max; i++, n++) {
		if (n + 1 == max && sn->nflags > (size_t)max) {
			putf(v, r + n, 9, VS_DIM, "... and %zu more flags", sn->nflags - i);
			n++;
			break;
		}
		if (!n)
			put(v, r, 0, VS_LABEL, "flags");
		put(v, r + n, 9, sn->flags[i].active ? VS_FLAG : VS_DIM, sn->flags[i].text);
	}
	return r + n;
}

/* The header's lines, in order; returns the first row after it. */
static int header(struct view *v)
{
	int r = 0;

	if (!v->s.valid) {
		hdr_title(v, r);
		put(v, 1, 0, VS_DIM, "waiting for the first figures ...");
		return 2;
	}
	r = hdr_title(v, r);
	r = hdr_objs(v, r, HDR_OBJS_MAX);
	r = hdr_ssl(v, r);
	r = hdr_heap(v, r);
	r = hdr_events(v, r);
	r = hdr_state(v, r);
	r = hdr_flags(v, r, HDR_FLAGS_MAX);
	return r;
}

/* ---- site table ---- */

static const int site_w[SC__COUNT] = {
	[SC_BYTES] = 11, [SC_BLOCKS] = 8, [SC_DELTA] = 11, [SC_PER_SSL] = 10, [SC_AGE] = 7,
	[SC_ORPHANS] = 8,
};

static int clampi(int x, int lo, int hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

#define MODULE_W	30	/* the module column's width, when the file column can spare it */
#define SITE_MIN_W	24

/* Column positions for a width: they depend on cols only, never on the data. */
static void site_layout(int cols, struct layout *L)
{
	int i, x = 0, rest, fixed = 0, give;
	bool narrow, wide;

	for (i = 0; i <= SC_AGE; i++)
		fixed += site_w[i] + 1;
	narrow = cols - fixed - 3 < 60;	/* below about 110 columns */
	wide = cols - fixed - site_w[SC_ORPHANS] - 4 >= 60;
	memset(L, 0, sizeof(*L));
	for (i = 0; i <= SC_ORPHANS; i++) {
		if ((narrow && (i == SC_PER_SSL || i == SC_AGE)) || (!wide && i == SC_ORPHANS))
			continue;
		L->x[i] = x;
		L->w[i] = site_w[i];
		x += site_w[i] + 1;
	}
	x++;
	rest = cols - x - 2;
	if (rest < 20) {
		L->x[SC_SITE] = x;
		L->w[SC_SITE] = rest > 0 ? rest + 2 : 0;
		return;
	}
	L->w[SC_SITE] = clampi(rest * 45 / 100, 12, 56);
	L->w[SC_CALLER] = clampi(rest * 35 / 100, 8, 48);
	L->w[SC_MODULE] = rest - L->w[SC_SITE] - L->w[SC_CALLER];
	/* room for where the module's names came from: "libcrypto.so.3 [eh_frame only]" */
	give = clampi(MODULE_W - L->w[SC_MODULE], 0, L->w[SC_SITE] - SITE_MIN_W);
	if (give < 0)
		give = 0;	/* the file column is below SITE_MIN_W already */
	L->w[SC_SITE] -= give;
	L->w[SC_MODULE] += give;
	L->x[SC_SITE] = x;
	L->x[SC_CALLER] = x + L->w[SC_SITE] + 1;
	L->x[SC_MODULE] = L->x[SC_CALLER] + L->w[SC_CALLER] + 1;
}

static const char *site_title(const struct view *v, int col)
{
	static const char *const t[SC__COUNT] = {
		[SC_BYTES] = "LIVE BYTES", [SC_BLOCKS] = "BLOCKS", [SC_DELTA] = "CHG/MIN",
		[SC_PER_SSL] = "PER SSL", [SC_AGE] = "OLDEST", [SC_ORPHANS] = "ORPHANS",
		[SC_SITE] = "FILE:LINE",
		[SC_CALLER] = "CALLER", [SC_MODULE] = "MODULE",
	};

	if (col == SC_DELTA && v->s.baseline_s >= 0)
		return "SINCE BL";
	return t[col];
}

/* The title row; the sort column carries an arrow (down: biggest or A first). */
static void table_titles(struct view *v, int r, int ncol, const int *x, const int *w,
			 const char *const *title, const bool *right, int sort, bool down)
{
	int i;

	style_row(v, r, VS_HEAD);
	for (i = 0; i < ncol; i++) {
		bool s = i == sort;
		__u32 arrow = v->utf8 ? (down ? 0x25bc : 0x25b2) : (down ? 'v' : '^');
		int len = (int)strlen(title[i]);

		if (!w[i])
			continue;
		put_field(v, r, x[i], w[i], s ? VS_SORT : VS_HEAD, title[i], right[i], false);
		if (!s)
			continue;
		if (right[i] && w[i] > len)
			putch(v, r, x[i] + w[i] - len - 1, VS_SORT, arrow);
		else if (!right[i] && w[i] > len)
			putch(v, r, x[i] + len, VS_SORT, arrow);
	}
}

static void site_cells(struct view *v, int r, const struct layout *L, const struct site_row *s)
{
	char b[32];
	long long age = site_age(v, s);
	int st = VS_NORMAL;

	put_field(v, r, L->x[SC_BYTES], L->w[SC_BYTES], st,
		  fmt_bytes(b, sizeof(b), (double)s->st.live_bytes), true, false);
	put_field(v, r, L->x[SC_BLOCKS], L->w[SC_BLOCKS], st,
		  fmt_count(b, sizeof(b), (double)s->st.live_blocks), true, false);
	if (s->has_delta)
		fmt_delta(b, sizeof(b), site_delta(v, s));
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_DELTA], L->w[SC_DELTA], st, b, true, false);
	if (v->s.tot.ssl_live)
		fmt_bytes(b, sizeof(b), (double)s->st.live_bytes / (double)v->s.tot.ssl_live);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_PER_SSL], L->w[SC_PER_SSL], st, b, true, false);
	if (age >= 0)
		fmt_age(b, sizeof(b), (double)age / 1e9);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_AGE], L->w[SC_AGE], st, b, true, false);
	if (s->st.orphan_blocks)
		fmt_count(b, sizeof(b), (double)s->st.orphan_blocks);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_ORPHANS], L->w[SC_ORPHANS], st, b, true, false);
	put_field(v, r, L->x[SC_SITE], L->w[SC_SITE], st, s->site, false, true);
	/* "module+0xOFF": the offset tells callers apart, the module has its column */
	put_field(v, r, L->x[SC_CALLER], L->w[SC_CALLER], st, s->caller, false,
		  strstr(s->caller, "+0x") != NULL);
	put_field(v, r, L->x[SC_MODULE], L->w[SC_MODULE], st, s->module, false, false);
}

static void site_table(struct view *v, int r, int rows)
{
	static const bool right[SC__COUNT] = { true, true, true, true, true, true, false, false,
						 false };
	const char *title[SC__COUNT];
	struct layout L;
	int i, sort = v->sort[VIEW_SITES];
	size_t k;

	site_layout(v->cols, &L);
	for (i = 0; i < SC__COUNT; i++)
		title[i] = site_title(v, i);
	/* down: biggest first, or Z to A */
	table_titles(v, r, SC__COUNT, L.x, L.w, title, right, sort,
		     site_text_col(sort) == v->rev[VIEW_SITES]);
	for (k = v->top[VIEW_SITES]; k < v->norder && (int)(k - v->top[VIEW_SITES]) < rows - 1;
	     k++) {
		int row = r + 1 + (int)(k - v->top[VIEW_SITES]);

		site_cells(v, row, &L, &v->s.sites[v->order[k]]);
		if (k == v->sel[VIEW_SITES])
			style_row(v, row, VS_SEL);
	}
	if (!v->norder && rows > 1)
		put(v, r + 1, 2, VS_DIM, v->filter[0] ? "no site matches the filter" :
		    "no allocation seen yet");
}

/* ---- SSL table ---- */

static void ssl_table(struct view *v, int r, int rows)
{
	static const char *const title[LC__COUNT] = { "PID", "SSL", "AGE", "BYTES", "BLOCKS",
						      "ADOPTED" };
	static const bool right[LC__COUNT] = { true, false, true, true, true, false };
	static const int x[LC__COUNT] = { 0, 9, 28, 38, 50, 60 };
	static const int w[LC__COUNT] = { 7, 18, 9, 11, 9, 8 };
	int sort = v->sort[VIEW_SSL];
	bool down = (sort == LC_PID || sort == LC_ADDR) == v->rev[VIEW_SSL];
	size_t k;
	char b[64];

	table_titles(v, r, LC__COUNT, x, w, title, right, sort, down);
	for (k = v->top[VIEW_SSL]; k < v->norder && (int)(k - v->top[VIEW_SSL]) < rows - 1; k++) {
		const struct ssl_stats *s = &v->s.ssl[v->order[k]];
		int row = r + 1 + (int)(k - v->top[VIEW_SSL]);
		__u64 now = v->s.tot.last_ts_ns;

		snprintf(b, sizeof(b), "%u", s->pid);
		put_field(v, row, x[LC_PID], w[LC_PID], VS_NORMAL, b, true, false);
		snprintf(b, sizeof(b), "0x%llx", (unsigned long long)s->ssl);
		put_field(v, row, x[LC_ADDR], w[LC_ADDR], VS_NORMAL, b, false, false);
		fmt_age(b, sizeof(b), now > s->created_ns ? (double)(now - s->created_ns) / 1e9 : 0);
		put_field(v, row, x[LC_AGE], w[LC_AGE], VS_NORMAL, b, true, false);
		fmt_bytes(b, sizeof(b), (double)s->live_bytes);
		put_field(v, row, x[LC_BYTES], w[LC_BYTES], VS_NORMAL, b, true, false);
		fmt_count(b, sizeof(b), (double)s->live_blocks);
		put_field(v, row, x[LC_BLOCKS], w[LC_BLOCKS], VS_NORMAL, b, true, false);
		put_field(v, row, x[LC_ADOPTED], w[LC_ADOPTED], VS_NORMAL,
			  s->adopted ? "adopted" : "", false, false);
		if (k == v->sel[VIEW_SSL])
			style_row(v, row, VS_SEL);
	}
	if (!v->norder && rows > 1)
		put(v, r + 1, 2, VS_DIM, "no live SSL object");
}

/* ---- help and footer ---- */

static void help(struct view *v, int r, int rows)
{
	static const char *const notes[] = {
		"",
		"Sites: LIVE BYTES and BLOCKS still held, CHG/MIN their trend (SINCE BL after b),",
		"PER SSL the site's bytes over the live SSL objects, OLDEST the age of its oldest block.",
	};
	size_t i;
	int n = 0;

	put(v, r + n++, 0, VS_LABEL, "Keys");
	for (i = 0; i < NKEYS && n < rows; i++) {
		if (!keymap[i].keys)
			continue;
		put(v, r + n, 2, VS_LABEL, keymap[i].keys);
		put(v, r + n++, 16, VS_NORMAL, keymap[i].help);
	}
	for (i = 0; i < sizeof(notes) / sizeof(notes[0]) && n < rows; i++)
		put(v, r + n++, 0, VS_DIM, notes[i]);
}

static void footer(struct view *v, int r)
{
	static const char *const hint[][2] = {
		{ "q", "quit" }, { "?", "help" }, { "< >", "sort" }, { "r", "reverse" },
		{ "b", "baseline" }, { "p", "pause" }, { "v", "view" }, { "/", "filter" },
	};
	static const char *const names[VIEW__COUNT] = { "sites", "SSL objects", "time line" };
	size_t i;
	int c = 0;

	if (v->prompt) {
		c = put(v, r, 0, VS_LABEL, "filter: ");
		c = put(v, r, c, VS_NORMAL, v->pbuf);
		putch(v, r, c, VS_SEL, ' ');
		put(v, r, c + 2, VS_DIM, "(Enter applies, Esc clears)");
		return;
	}
	for (i = 0; i < sizeof(hint) / sizeof(hint[0]); i++) {
		c = put(v, r, c, VS_HEAD, hint[i][0]);
		c = putf(v, r, c, VS_NORMAL, " %s  ", hint[i][1]);
	}
	c = putf(v, r, c + 1, VS_DIM, "[%s]", names[v->mode]);
	if (v->msg[0])
		put(v, r, c + 2, VS_DIM, v->msg);
}

/* ---- render ---- */

static void body(struct view *v, int r, int rows)
{
	if (rows <= 0)
		return;
	if (v->help) {
		help(v, r, rows);
		return;
	}
	if (v->mode == VIEW_TIMELINE) {
		timeline(v, r, rows);
		return;
	}
	if (rows < 2) {
		put(v, r, 0, VS_DIM, "(terminal too small for the table)");
		return;
	}
	v->page = rows - 1;
	if (build_order(v))
		return;
	follow_selection(v);
	clamp_scroll(v, v->page);
	if (v->mode == VIEW_SITES)
		site_table(v, r, rows);
	else
		ssl_table(v, r, rows);
}

int view__render(struct view *v, int rows, int cols)
{
	size_t n, i;
	int r;

	if (rows < 0)
		rows = 0;
	if (cols < 0)
		cols = 0;
	n = (size_t)rows * (size_t)cols;
	if (grow((void **)&v->cells, &v->cells_cap, n ? n : 1, sizeof(*v->cells)))
		return -ENOMEM;
	v->rows = rows;
	v->cols = cols;
	for (i = 0; i < n; i++)
		v->cells[i] = (struct view_cell){ ' ', VS_NORMAL };
	r = header(v);
	if (r >= rows)
		return 0;
	footer(v, rows - 1);
	body(v, r + 1, rows - 1 - (r + 1));
	return 0;
}

const struct view_cell *view__row(const struct view *v, int r)
{
	if (r < 0 || r >= v->rows)
		return NULL;
	return &v->cells[(size_t)r * (size_t)v->cols];
}

int view__rows(const struct view *v)
{
	return v->rows;
}

int view__cols(const struct view *v)
{
	return v->cols;
}

/* One code point as UTF-8; returns its length. */
static size_t utf8(__u32 ch, char *out)
{
	if (ch < 0x80) {
		out[0] = (char)ch;
		return 1;
	}
	if (ch < 0x800) {
		out[0] = (char)(0xc0 | (ch >> 6));
		out[1] = (char)(0x80 | (ch & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | (ch >> 12));
	out[1] = (char)(0x80 | ((ch >> 6) & 0x3f));
	out[2] = (char)(0x80 | (ch & 0x3f));
	return 3;
}

char *view__row_text(const struct view *v, int r, char *buf, size_t cap)
{
	const struct view_cell *row = view__row(v, r);
	size_t len = 0;
	int c;

	if (!cap)
		return buf;
	for (c = 0; row && c < v->cols; c++) {
		char u[4];
		size_t k = utf8(row[c].ch, u);

		if (len + k >= cap)
			break;
		memcpy(buf + len, u, k);
		len += k;
	}
	buf[len] = '\0';
	return buf;
}
