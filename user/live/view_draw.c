// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The live view laid out into a grid of cells: a header that always comes
 * first, then the current table or chart, then a footer. Columns have fixed
 * widths that depend on the terminal's width only, so nothing moves between
 * refreshes. See view.h and view_int.h. Pure C: no curses, no I/O, no clock.
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
	if (sn->ntg > 2)	/* they are in the process table */
		c = putf(v, r, c, VS_NORMAL, " - %zu processes (%zu running)", sn->ntg, sn->nprocs);
	for (i = 0; sn->ntg <= 2 && i < sn->ntg; i++)
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
	char a[32], b[32], d[32], e[32];

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
	/* its own RSS, with the ring buffer (mapped twice) and the model in it */
	piece_add(&ps, 3, VS_DIM, "   tlsmem RSS %s (ring %s x2, model %s)",
		  fmt_bytes(a, sizeof(a), (double)(sn->tlsmem_rss ? sn->tlsmem_rss : sn->tlsmem_bytes)),
		  fmt_bytes(b, sizeof(b), (double)sn->ringbuf_bytes),
		  fmt_bytes(e, sizeof(e), (double)sn->tlsmem_bytes));
	piece_add(&ps, 4, VS_DIM, ", %llu probes%s, %s hits/s ~%.1f%% CPU",
		  (unsigned long long)sn->probes, sn->light ? " (light)" : "",
		  fmt_count(d, sizeof(d), sn->hits_per_s), sn->cpu_pct);
	if (sn->other_hits_per_s > 0)
		piece_add(&ps, 4, VS_WARN, ", %s hits/s in processes not observed",
			  fmt_count(d, sizeof(d), sn->other_hits_per_s));
	pieces_put(v, r, 0, &ps);
	if (ps.p[0].shown)
		put(v, r, 0, VS_LABEL, "allocs");	/* the line's label, as on the others */
	return r + 1;
}

/* Baseline, filter, the process shown: only when set. */
static int hdr_state(struct view *v, int r)
{
	const struct snap *sn = &v->s;
	const struct proc_row *p;
	char a[32];
	int c = 0;

	if (v->pid) {
		p = view_proc(v, v->pid);
		c = putf(v, r, 0, VS_WARN, "process %d (%s)", v->pid, p ? p->name : "exited");
		c = putf(v, r, c, VS_NORMAL, " only   %s live SSL   Esc: all processes   ",
			 p ? fmt_count(a, sizeof(a), (double)p->ssl_live) : "0");
	}
	if (sn->baseline_s >= 0)
		c = putf(v, r, c, VS_NORMAL, "baseline at %s: CHANGE is since then   ",
			 fmt_hms(a, sizeof(a), sn->baseline_s));
	else if (v->baseline_req)
		c = put(v, r, c, VS_NORMAL, "baseline requested   ");
	if (view_filter(v)[0])
		c = putf(v, r, c, VS_NORMAL, "filter \"%s\"", view_filter(v));
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
	const struct site_stats *x = view_site_st(v, s);
	__u64 ssl_live = view_ssl_live(v);
	char b[32];
	long long age = view_site_age(v, s);
	double d = view_site_delta(v, s);
	int st = VS_NORMAL;

	put_field(v, r, L->x[SC_BYTES], L->w[SC_BYTES], st,
		  fmt_bytes(b, sizeof(b), (double)x->live_bytes), true, false);
	put_field(v, r, L->x[SC_BLOCKS], L->w[SC_BLOCKS], st,
		  fmt_count(b, sizeof(b), (double)x->live_blocks), true, false);
	if (d > -1e300)
		fmt_delta(b, sizeof(b), d);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_DELTA], L->w[SC_DELTA], st, b, true, false);
	if (ssl_live)
		fmt_bytes(b, sizeof(b), (double)x->live_bytes / (double)ssl_live);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_PER_SSL], L->w[SC_PER_SSL], st, b, true, false);
	if (age >= 0)
		fmt_age(b, sizeof(b), (double)age / 1e9);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_AGE], L->w[SC_AGE], st, b, true, false);
	if (x->orphan_blocks)
		fmt_count(b, sizeof(b), (double)x->orphan_blocks);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, L->x[SC_ORPHANS], L->w[SC_ORPHANS], st, b, true, false);
	put_field(v, r, L->x[SC_SITE], L->w[SC_SITE], st, s->site, false, true);
	/* "module+0xOFF": the offset tells callers apart, the module has its column */
	put_field(v, r, L->x[SC_CALLER], L->w[SC_CALLER], st, s->caller, false,
		  strstr(s->caller, "+0x") != NULL);
	put_field(v, r, L->x[SC_MODULE], L->w[SC_MODULE], st, s->module, false, false);
}

static const char *empty_sites(const struct view *v)
{
	if (v->pid && v->psites_pid != v->pid)
		return "reading the process's sites ...";
	if (v->filter[0])
		return "no site matches the filter";
	return v->pid ? "no live block in this process" : "no allocation seen yet";
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
		     view_site_text_col(sort) == v->rev[VIEW_SITES]);
	for (k = v->top[VIEW_SITES]; k < v->norder && (int)(k - v->top[VIEW_SITES]) < rows - 1;
	     k++) {
		int row = r + 1 + (int)(k - v->top[VIEW_SITES]);

		site_cells(v, row, &L, &v->s.sites[v->order[k]]);
		if (k == v->sel[VIEW_SITES])
			style_row(v, row, VS_SEL);
	}
	if (!v->norder && rows > 1)
		put(v, r + 1, 2, VS_DIM, empty_sites(v));
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
		put(v, r + 1, 2, VS_DIM, v->pid ? "no live SSL object in this process" :
		    "no live SSL object");
}

/* ---- process table ---- */

/*
 * Column positions for a width (never for the data): the program column
 * takes what the figures leave, up to 32; the container column goes below
 * 72 columns, PER SSL below 62.
 */
static void proc_layout(int cols, int *x, int *w)
{
	static const int fixed[PC__COUNT] = {
		[PC_PID] = 7, [PC_CONTAINER] = 12, [PC_SSL] = 9, [PC_BYTES] = 11, [PC_PER_SSL] = 10,
	};
	int i, c = 0, rest = cols;

	memcpy(w, fixed, sizeof(fixed));
	if (cols < 72)
		w[PC_CONTAINER] = 0;
	if (cols < 62)
		w[PC_PER_SSL] = 0;
	for (i = 0; i < PC__COUNT; i++)
		rest -= w[i] ? w[i] + 1 : 0;
	w[PC_NAME] = clampi(rest - 13, 6, 32);
	rest -= w[PC_NAME] + 1;
	w[PC_FLAGS] = rest > 0 ? rest : 0;
	for (i = 0; i < PC__COUNT; i++) {
		x[i] = c;
		c += w[i] ? w[i] + 1 : 0;
	}
}

static void proc_cells(struct view *v, int r, const int *x, const int *w, const struct proc_row *p)
{
	char b[32];

	snprintf(b, sizeof(b), "%d", p->pid);
	put_field(v, r, x[PC_PID], w[PC_PID], VS_NORMAL, b, true, false);
	put_field(v, r, x[PC_NAME], w[PC_NAME], VS_NORMAL, p->name, false, false);
	put_field(v, r, x[PC_CONTAINER], w[PC_CONTAINER], VS_NORMAL, p->container, false, false);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)p->ssl_live);
	put_field(v, r, x[PC_SSL], w[PC_SSL], VS_NORMAL, b, true, false);
	put_field(v, r, x[PC_BYTES], w[PC_BYTES], VS_NORMAL,
		  fmt_bytes(b, sizeof(b), (double)p->live_bytes), true, false);
	if (p->ssl_live)
		fmt_bytes(b, sizeof(b), (double)p->live_bytes / (double)p->ssl_live);
	else
		snprintf(b, sizeof(b), "-");
	put_field(v, r, x[PC_PER_SSL], w[PC_PER_SSL], VS_NORMAL, b, true, false);
	put_field(v, r, x[PC_FLAGS], w[PC_FLAGS], p->nflags ? VS_FLAG : VS_NORMAL, p->flags, false,
		  false);
}

static void proc_table(struct view *v, int r, int rows)
{
	static const char *const title[PC__COUNT] = { "PID", "PROGRAM", "CONTAINER", "LIVE SSL",
						      "LIVE BYTES", "PER SSL", "FLAGS" };
	static const bool right[PC__COUNT] = { true, false, false, true, true, true, false };
	int x[PC__COUNT], w[PC__COUNT];
	size_t k, top = v->top[VIEW_PROCS];

	proc_layout(v->cols, x, w);
	table_titles(v, r, PC__COUNT, x, w, title, right, v->sort[VIEW_PROCS], !v->rev[VIEW_PROCS]);
	for (k = top; k < v->norder && (int)(k - top) < rows - 1; k++) {
		int row = r + 1 + (int)(k - top);

		proc_cells(v, row, x, w, &v->s.procs[v->order[k]]);
		if (k == v->sel[VIEW_PROCS])
			style_row(v, row, VS_SEL);
	}
	if (!v->norder && rows > 1)
		put(v, r + 1, 2, VS_DIM, v->pfilter[0] ? "no process matches the filter" :
		    "no running process");
}

/* ---- help and footer ---- */

/* Puts text from column c0, wrapped at spaces to the width; returns the rows used. */
static int put_wrapped(struct view *v, int r, int c0, int style, const char *s, int rows)
{
	int width = v->cols - c0, n = 0;

	if (width < 8)
		width = 8;
	while (*s && n < rows) {
		int len = (int)strlen(s), cut = len;

		if (len > width) {
			for (cut = width; cut > 0 && s[cut] != ' '; cut--)
				;
			if (!cut)
				cut = width;
		}
		putf(v, r + n++, c0, style, "%.*s", cut, s);
		s += cut;
		while (*s == ' ')
			s++;
	}
	return n;
}

/* The whole screen above the footer: the keys first, then what the columns mean. */
static void help(struct view *v, int r, int rows)
{
	static const char *const notes[] = {
		"Sites: LIVE BYTES and BLOCKS still held, CHG/MIN their trend (SINCE BL after b), "
		"PER SSL the site's bytes over the live SSL objects, OLDEST the age of its oldest block.",
		"Processes (P): each one's live SSL objects and OpenSSL bytes at the latest interval, "
		"and the flags at whose sites it holds blocks.",
	};
	size_t i;
	int n = 0;

	put(v, r + n++, 0, VS_LABEL, "Keys");
	for (i = 0; i < view_nkeys && n < rows; i++) {
		if (!view_keymap[i].keys)
			continue;
		put(v, r + n, 2, VS_LABEL, view_keymap[i].keys);
		n += put_wrapped(v, r + n, 16, VS_NORMAL, view_keymap[i].help, rows - n);
	}
	for (i = 0; i < sizeof(notes) / sizeof(notes[0]) && n + 1 < rows; i++) {
		n++;	/* a blank line before each note */
		n += put_wrapped(v, r + n, 0, VS_DIM, notes[i], rows - n);
	}
}

/* A key hint of the footer; higher prio: dropped earlier when the width is short. */
struct hint {
	const char *key, *text;
	int prio;
};

static int hint_width(const struct hint *h)
{
	return (int)(strlen(h->key) + 1 + strlen(h->text) + 2);
}

/* The key hints that fit before the view's name (w columns); the rest of the keys are in ?. */
static int hints_put(struct view *v, int r, struct hint *h, int n, int w)
{
	int i, c = 0, total = 0;

	for (i = 0; i < n; i++)
		total += hint_width(&h[i]);
	while (total > v->cols - w) {
		int drop = -1;

		for (i = 0; i < n; i++)
			if (h[i].prio > 0 && (drop < 0 || h[i].prio >= h[drop].prio))
				drop = i;
		if (drop < 0)
			break;
		total -= hint_width(&h[drop]);
		h[drop].prio = -1;	/* dropped */
	}
	for (i = 0; i < n; i++) {
		if (h[i].prio < 0)
			continue;
		c = put(v, r, c, VS_HEAD, h[i].key);
		c = putf(v, r, c, VS_NORMAL, " %s  ", h[i].text);
	}
	return c;
}

/* The last message, whole, or cut at a word with "..." when at least two words fit. */
static void put_message(struct view *v, int r, int c, const char *msg)
{
	int room = v->cols - c, cut;

	if ((int)strlen(msg) <= room) {
		put(v, r, c, VS_DIM, msg);
		return;
	}
	for (cut = room - 3; cut > 0 && msg[cut] != ' '; cut--)
		;
	if (cut <= 0 || !memchr(msg, ' ', (size_t)cut))
		return;
	putf(v, r, c, VS_DIM, "%.*s...", cut, msg);
}

static void footer(struct view *v, int r)
{
	static const char *const names[VIEW__COUNT] = { "sites", "SSL objects", "time line",
							 "processes" };
	struct hint h[9] = {
		{ "q", "quit", 0 }, { "?", "help", 0 }, { "< >", "sort", 1 }, { "r", "reverse", 3 },
		{ "b", "baseline", 4 }, { "p", "pause", 3 }, { "v", "view", 1 }, { "/", "filter", 2 },
	};
	char name[48];
	int c, n = 8;

	if (v->prompt) {
		c = put(v, r, 0, VS_LABEL, "filter: ");
		c = put(v, r, c, VS_NORMAL, v->pbuf);
		putch(v, r, c, VS_SEL, ' ');
		put(v, r, c + 2, VS_DIM, "(Enter applies, Esc clears)");
		return;
	}
	/* the way in to the process table, into one process, and back */
	if (v->pid)
		h[n++] = (struct hint){ "Esc", "back", 0 };
	else if (view_multi(v) && v->mode == VIEW_PROCS)
		h[n++] = (struct hint){ "Enter", "open", 0 };
	else if (view_multi(v))
		h[n++] = (struct hint){ "P", "procs", 0 };
	if (v->pid && v->mode != VIEW_TIMELINE)	/* the time line is the session's */
		snprintf(name, sizeof(name), "[%s of %d]", names[v->mode], v->pid);
	else
		snprintf(name, sizeof(name), "[%s]", names[v->mode]);
	c = hints_put(v, r, h, n, (int)strlen(name) + 1);
	c = put(v, r, c + 1, VS_DIM, name);
	if (v->msg[0])
		put_message(v, r, c + 2, v->msg);
}

/* ---- render ---- */

static void body(struct view *v, int r, int rows)
{
	if (rows <= 0)
		return;
	if (v->mode == VIEW_TIMELINE) {
		timeline(v, r, rows);
		return;
	}
	if (rows < 2) {
		put(v, r, 0, VS_DIM, "(terminal too small for the table)");
		return;
	}
	v->page = rows - 1;
	if (view_build_order(v))
		return;
	view_follow_selection(v);
	view_clamp_scroll(v, v->page);
	if (v->mode == VIEW_SITES)
		site_table(v, r, rows);
	else if (v->mode == VIEW_PROCS)
		proc_table(v, r, rows);
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
	if (view_grow((void **)&v->cells, &v->cells_cap, n ? n : 1, sizeof(*v->cells)))
		return -ENOMEM;
	v->rows = rows;
	v->cols = cols;
	for (i = 0; i < n; i++)
		v->cells[i] = (struct view_cell){ ' ', VS_NORMAL };
	if (v->help && rows > 1) {	/* the help takes the screen, as in top */
		footer(v, rows - 1);
		help(v, 0, rows - 1);
		return 0;
	}
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
