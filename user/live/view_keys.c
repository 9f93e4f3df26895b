// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The live view's keys: the display order of the current table (sorted,
 * filtered), the selection that follows a site or an SSL object by
 * identity, and the key table (keys -> actions -> view_action bits). See view.h and view_int.h. Pure C: no curses, no I/O, no clock.
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

/* ---- sorting, filtering, selection ---- */

bool view_site_text_col(int c)
{
	return c == SC_SITE || c == SC_CALLER || c == SC_MODULE;
}

const struct site_stats *view_site_st(const struct view *v, const struct site_row *r)
{
	static const struct site_stats none;

	if (!v->pid)
		return &r->st;
	if (v->psites_pid != v->pid || r->id >= v->s.npsites)
		return &none;		/* not walked yet */
	return &v->s.psites[r->id];
}

const struct proc_row *view_proc(const struct view *v, int pid)
{
	size_t i;

	for (i = 0; i < v->s.nprocs; i++)
		if (v->s.procs[i].pid == pid)
			return &v->s.procs[i];
	return NULL;
}

__u64 view_ssl_live(const struct view *v)
{
	const struct proc_row *p;

	if (!v->pid)
		return v->s.tot.ssl_live;
	p = view_proc(v, v->pid);
	return p ? p->ssl_live : 0;
}

char *view_filter(struct view *v)
{
	return v->mode == VIEW_PROCS ? v->pfilter : v->filter;
}

bool view_multi(const struct view *v)
{
	return v->s.ntg > 1;
}

long long view_site_age(const struct view *v, const struct site_row *r)
{
	const struct site_stats *st = view_site_st(v, r);

	if (!st->live_blocks || st->oldest_ns > v->s.tot.last_ts_ns)
		return -1;
	return (long long)(v->s.tot.last_ts_ns - st->oldest_ns);
}

double view_site_delta(const struct view *v, const struct site_row *r)
{
	/* the growth detectors follow whole sites, not one process's share */
	if (!r->has_delta || v->pid)
		return -1e300;
	return v->s.baseline_s >= 0 ? (double)r->d_bytes : r->per_min;
}

static int cmp_site_col(const struct view *v, int col, const struct site_row *a,
			const struct site_row *b)
{
	const struct site_stats *x = view_site_st(v, a), *y = view_site_st(v, b);

	switch (col) {
	case SC_BYTES:
	case SC_PER_SSL:
		return SPACESHIP(x->live_bytes, y->live_bytes);
	case SC_BLOCKS:
		return SPACESHIP(x->live_blocks, y->live_blocks);
	case SC_DELTA:
		return SPACESHIP(view_site_delta(v, a), view_site_delta(v, b));
	case SC_AGE:
		return SPACESHIP(view_site_age(v, a), view_site_age(v, b));
	case SC_ORPHANS:
		return SPACESHIP(x->orphan_blocks, y->orphan_blocks);
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

	if (!view_site_text_col(col))
		c = -c;
	if (!c)
		c = -SPACESHIP(view_site_st(v, a)->live_bytes, view_site_st(v, b)->live_bytes);
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

/* Bytes per live SSL object of a process; -1 without any. */
static double proc_per_ssl(const struct proc_row *p)
{
	return p->ssl_live ? (double)p->live_bytes / (double)p->ssl_live : -1;
}

static int cmp_proc_col(int col, const struct proc_row *a, const struct proc_row *b)
{
	switch (col) {
	case PC_PID:
		return SPACESHIP(a->pid, b->pid);
	case PC_NAME:
		return strcmp(a->name, b->name);
	case PC_CONTAINER:
		return strcmp(a->container, b->container);
	case PC_SSL:
		return SPACESHIP(a->ssl_live, b->ssl_live);
	case PC_BYTES:
		return SPACESHIP(a->live_bytes, b->live_bytes);
	case PC_PER_SSL:
		return SPACESHIP(proc_per_ssl(a), proc_per_ssl(b));
	default:
		return SPACESHIP(a->nflags, b->nflags);
	}
}

/* Pid and text A to Z, numbers biggest first; then by bytes, then by pid. */
static int cmp_procs(const void *pa, const void *pb, void *ctx)
{
	const struct view *v = ctx;
	const struct proc_row *a = &v->s.procs[*(const size_t *)pa];
	const struct proc_row *b = &v->s.procs[*(const size_t *)pb];
	int col = v->sort[VIEW_PROCS];
	int c = cmp_proc_col(col, a, b);

	if (!view_proc_text_col(col))
		c = -c;
	if (!c)
		c = -SPACESHIP(a->live_bytes, b->live_bytes);
	if (!c)
		c = SPACESHIP(a->pid, b->pid);
	return v->rev[VIEW_PROCS] ? -c : c;
}

bool view_proc_text_col(int c)
{
	return c == PC_PID || c == PC_NAME || c == PC_CONTAINER;
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

static bool proc_matches(const struct view *v, const struct proc_row *p)
{
	const char *f = v->pfilter;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", p->pid);
	return !f[0] || contains_ci(p->name, f) || contains_ci(p->container, f) || !strcmp(pid, f);
}

/* A site is listed once it allocated; for one process, while that process holds a block there. */
static bool site_listed(const struct view *v, const struct site_row *r)
{
	return (v->pid ? view_site_st(v, r)->live_blocks : r->st.allocs) && site_matches(v, r);
}

static size_t table_rows(const struct view *v)
{
	switch (v->mode) {
	case VIEW_SSL:
		return v->s.nssl;
	case VIEW_PROCS:
		return v->s.nprocs;
	default:
		return v->s.nsites;
	}
}

/* Fills v->order for the current view: the rows, filtered and sorted. */
int view_build_order(struct view *v)
{
	size_t i, n = table_rows(v);

	if (view_grow((void **)&v->order, &v->order_cap, n ? n : 1, sizeof(*v->order)))
		return -ENOMEM;
	v->norder = 0;
	if (v->mode == VIEW_SSL) {
		for (i = 0; i < n; i++)
			if (!v->pid || (int)v->s.ssl[i].pid == v->pid)
				v->order[v->norder++] = i;
		qsort_r(v->order, v->norder, sizeof(*v->order), cmp_ssls, v);
		return 0;
	}
	if (v->mode == VIEW_PROCS) {
		for (i = 0; i < n; i++)
			if (proc_matches(v, &v->s.procs[i]))
				v->order[v->norder++] = i;
		qsort_r(v->order, v->norder, sizeof(*v->order), cmp_procs, v);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (site_listed(v, &v->s.sites[i]))
			v->order[v->norder++] = i;
	qsort_r(v->order, v->norder, sizeof(*v->order), cmp_sites, v);
	return 0;
}

static bool row_is_selected(const struct view *v, size_t ix)
{
	const struct ssl_stats *x;

	if (v->mode == VIEW_SITES)
		return v->s.sites[ix].id == v->sel_site;
	if (v->mode == VIEW_PROCS)
		return v->s.procs[ix].pid == v->sel_proc;
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
	} else if (v->mode == VIEW_PROCS) {
		v->sel_proc = v->s.procs[ix].pid;
	} else {
		v->sel_pid = v->s.ssl[ix].pid;
		v->sel_ssl = v->s.ssl[ix].ssl;
	}
}

/*
 * Finds the selected row again after a re-sort; a row that left (filtered
 * out, freed) hands the selection to whichever row now sits at its place.
 */
void view_follow_selection(struct view *v)
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
void view_clamp_scroll(struct view *v, int page)
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
	if (view_build_order(v)) {
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

int view__pid(const struct view *v)
{
	return v->pid;
}

int view__selected_proc(const struct view *v)
{
	return v->sel_proc;
}

/* ---- keys ---- */

static int ncols(const struct view *v)
{
	if (v->mode == VIEW_PROCS)
		return PC__COUNT;
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

/* The process table, its cursor on the process that was open. */
static unsigned int to_procs(struct view *v)
{
	if (v->pid)
		v->sel_proc = v->pid;
	v->pid = 0;
	v->mode = VIEW_PROCS;
	return VIEW_REDRAW;
}

/* The views in turn; the process table only when there are several processes. */
static unsigned int step_view(struct view *v, int by)
{
	enum view_mode m = (v->mode + VIEW__COUNT + by) % VIEW__COUNT;

	if (m == VIEW_PROCS && !view_multi(v))
		m = (m + VIEW__COUNT + by) % VIEW__COUNT;
	if (m == VIEW_PROCS)
		return to_procs(v);
	v->mode = m;
	return VIEW_REDRAW;
}

static unsigned int act_next_view(struct view *v)
{
	return step_view(v, 1);
}

static unsigned int act_prev_view(struct view *v)
{
	return step_view(v, -1);
}

static unsigned int act_procs(struct view *v)
{
	return view_multi(v) ? to_procs(v) : VIEW_NONE;
}

/* Enter on a process row: that process's sites (and SSL objects, with v). */
static unsigned int act_open(struct view *v)
{
	if (v->mode != VIEW_PROCS || view_build_order(v))
		return VIEW_NONE;
	view_follow_selection(v);
	if (v->sel[VIEW_PROCS] >= v->norder)
		return VIEW_NONE;
	v->pid = v->s.procs[v->order[v->sel[VIEW_PROCS]]].pid;
	v->mode = VIEW_SITES;
	v->sel_site = NONE;
	v->sel[VIEW_SITES] = v->top[VIEW_SITES] = 0;
	v->sel[VIEW_SSL] = v->top[VIEW_SSL] = 0;
	return VIEW_REDRAW;
}

static unsigned int act_back(struct view *v)
{
	return v->pid ? to_procs(v) : VIEW_NONE;
}

static unsigned int act_filter(struct view *v)
{
	v->prompt = true;
	snprintf(v->pbuf, sizeof(v->pbuf), "%s", view_filter(v));
	return VIEW_REDRAW;
}

/* Esc: out of one process's sites, else the filter goes. */
static unsigned int act_escape(struct view *v)
{
	if (v->pid)
		return to_procs(v);
	view_filter(v)[0] = '\0';
	return VIEW_REDRAW;
}

static unsigned int move_sel(struct view *v, long long by)
{
	long long pos;

	if (v->mode == VIEW_TIMELINE)
		return VIEW_NONE;
	if (view_build_order(v))
		return VIEW_NONE;
	view_follow_selection(v);
	pos = (long long)v->sel[v->mode] + by;
	if (pos >= (long long)v->norder)
		pos = (long long)v->norder - 1;
	if (pos < 0)
		pos = 0;
	remember_selection(v, (size_t)pos);
	view_clamp_scroll(v, v->page);
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

const struct view_keybinding view_keymap[] = {
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
	{ 'v',		act_next_view,	  "v  Tab",	"next view: sites, SSL objects, time line (processes)" },
	{ '\t',		act_next_view,	  NULL,		NULL },
	{ VK_BTAB,	act_prev_view,	  NULL,		NULL },
	{ 'P',		act_procs,	  "P",		"process table, when several processes are observed" },
	{ VK_ENTER,	act_open,	  "Enter",	"process table: that process's sites and SSL objects" },
	{ VK_BACKSPACE,	act_back,	  "Esc  Bksp",	"back to the process table (else Esc clears the filter)" },
	{ '/',		act_filter,	  "/",		"filter sites or processes by text (Enter applies)" },
	{ VK_ESC,	act_escape,	  NULL,		NULL },
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

const size_t view_nkeys = sizeof(view_keymap) / sizeof(view_keymap[0]);

/* Keys typed into the filter prompt. */
static unsigned int prompt_key(struct view *v, int key)
{
	size_t len = strlen(v->pbuf);

	if (key == VK_ENTER || key == '\n' || key == '\r') {
		snprintf(view_filter(v), FILTER_MAX, "%s", v->pbuf);
		v->prompt = false;
		v->sel[VIEW_SITES] = v->sel[VIEW_PROCS] = 0;
		v->top[VIEW_SITES] = v->top[VIEW_PROCS] = 0;
	} else if (key == VK_ESC) {
		view_filter(v)[0] = v->pbuf[0] = '\0';
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
	for (i = 0; i < view_nkeys; i++)
		if (view_keymap[i].key == key)
			return view_keymap[i].fn(v);
	return VIEW_NONE;
}
