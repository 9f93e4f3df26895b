// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unit tests for user/live/view.c: a real model fed with synthetic wire records
 * (as in test_model.c), a summary around it, and the screen the view lays
 * out from them, read back as text and styles.
 */
#define TEST_IMPLEMENTATION
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "growth.h"
#include "history.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "target.h"
#include "view.h"
#include "test.h"

#define PID	4242

/* Site i: file address (i + 1) << 12; its names come from this table. */
struct name {
	const char *file;
	int line;
	const char *caller;
	const char *module;
};

static const struct name names[] = {
	{ "ssl/ssl_lib.c", 735, "SSL_new", "/usr/lib/x86_64-linux-gnu/libssl.so.3" },
	{ "crypto/buffer/buffer.c", 100, "BUF_MEM_grow", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3" },
	{ "ssl/record/rec_layer_s3.c", 182, "ssl3_setup_read_buffer", "/usr/lib/libssl.so.3" },
	{ "leak.c", 12, "leak_state", "/tmp/libleak.so (deleted)" },
	{ "crypto/evp/a/very/long/directory/name/that/does/not/fit/anywhere/digest.c", 4321,
	  "a_very_long_caller_function_name_that_does_not_fit_in_the_caller_column_either",
	  "/opt/some/where/libwithaverylongname_that_goes_on_and_on.so.3" },
	{ "", 0, "libfoo.so+0x1234", "/usr/lib/libfoo.so" },
};

/* Where site i's module got its names; the others: "none". */
static const char *const names_from[] = { [1] = "symtab", [5] = "dynsym only" };

#define NNAMES	(sizeof(names) / sizeof(names[0]))
#define MANY	200			/* sites for the scroll tests: ids >= NNAMES */

static __u32 site_cb(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx;
	(void)pid;
	(void)line;
	(void)caller;
	return (__u32)(file >> 12) - 1;
}

static char name_file[64];

static int name_cb(void *ctx, __u32 id, struct site_name *out)
{
	(void)ctx;
	if (id < NNAMES) {
		out->file = names[id].file;
		out->line = names[id].line;
		out->caller = names[id].caller;
		out->module = names[id].module;
		if (id < sizeof(names_from) / sizeof(names_from[0]) && names_from[id])
			out->names_from = names_from[id];
		return 0;
	}
	snprintf(name_file, sizeof(name_file), "gen/site%03u.c", id);
	out->file = name_file;
	out->line = (__s32)id;
	out->caller = "gen_caller";
	out->module = "/lib/libgen.so";
	return 0;
}

/* ---- records ---- */

static __u64 clock_ns = 1000000000ULL;
static __u32 cur_pid = PID;		/* the process the records come from */

static struct tlsmem_hdr hdr(__u16 kind, __u16 flags, __u32 aux)
{
	clock_ns += 1000;
	return (struct tlsmem_hdr){ .ts_ns = clock_ns, .pid = cur_pid, .tid = cur_pid,
				    .kind = kind, .flags = flags, .aux = aux };
}

static void feed_alloc(struct model *m, __u32 site, __u64 ptr, __u64 size, __u64 ssl)
{
	struct tlsmem_alloc e = {
		.h = hdr(TLSMEM_EV_ALLOC, 0, TLSMEM_FN_MALLOC),
		.ptr = ptr, .size = size, .file = (__u64)(site + 1) << 12,
		.line = 1, .caller = 0x5000, .ssl = ssl,
	};

	ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed alloc");
}

static void feed_short(struct model *m, __u16 kind, __u64 ptr, __u64 ssl, __u32 aux)
{
	struct tlsmem_short e = { .h = hdr(kind, 0, aux), .ptr = ptr, .ssl = ssl };

	ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed short");
}

static void feed_free(struct model *m, __u64 ptr)
{
	feed_short(m, TLSMEM_EV_FREE, ptr, 0, TLSMEM_FN_FREE);
}

static void ssl_new(struct model *m, __u64 ssl)
{
	feed_short(m, TLSMEM_EV_SSL_NEW, ssl, 0, TLSMEM_FN_SSL_NEW);
}

/* ---- fixture ---- */

struct fx {
	struct model *m;
	struct view *v;
	struct history *h;
	struct growth *g;
	struct target tg;
	struct ssl_obj obj;
	struct summary s;
	__u64 next_ptr;
};

static bool fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->m = model__new(site_cb, NULL);
	f->v = view__new(false);
	f->h = history__new(600);
	if (!ASSERT_TRUE(f->m && f->v && f->h, "new"))
		return false;
	view__set_names(f->v, name_cb, NULL);
	f->tg.pid = PID;
	snprintf(f->tg.comm, sizeof(f->tg.comm), "gt_server");
	f->obj.path = "/usr/lib/x86_64-linux-gnu/libcrypto.so.3";
	f->obj.kind = OBJ_SHARED;
	f->obj.version = "OpenSSL 3.0.19 27 Jan 2026";
	f->obj.nprobes = 9;
	f->tg.objs = &f->obj;
	f->tg.nobjs = 1;
	f->next_ptr = 0x10000000;
	return true;
}

static void fx_fini(struct fx *f)
{
	view__free(f->v);
	model__free(f->m);
	history__free(f->h);
	growth__free(f->g);
}

/* n blocks of size bytes at site, optionally inside an SSL object. */
static void allocs(struct fx *f, __u32 site, int n, __u64 size, __u64 ssl)
{
	int i;

	for (i = 0; i < n; i++) {
		feed_alloc(f->m, site, f->next_ptr, size, ssl);
		f->next_ptr += 0x1000;
	}
}

/* Fills the summary as the session does and pushes a history point (a tick). */
static void fill(struct fx *f, double t_s)
{
	struct hist_point p = { 0 };

	memset(&f->s, 0, sizeof(f->s));
	f->s.targets = &f->tg;
	f->s.ntargets = 1;
	f->s.duration_s = t_s;
	f->s.interval_s = 1;
	model__totals(f->m, &f->s.tot);
	f->s.rss_bytes = 50ULL << 20;
	f->s.open_sockets = f->s.tot.ssl_live;
	f->s.events_received = f->s.tot.records;
	f->s.model = f->m;
	f->s.growth = f->g;
	f->s.hist = f->h;
	f->s.baseline_s = -1;
	p.t_s = t_s;
	p.live_bytes = f->s.tot.live_bytes;
	p.live_blocks = f->s.tot.live_blocks;
	p.ssl_live = f->s.tot.ssl_live;
	p.ssl_created = f->s.tot.ssl_created;
	p.ssl_freed = f->s.tot.ssl_freed;
	p.allocs = f->s.tot.allocs;
	p.frees = f->s.tot.frees;
	p.rss_bytes = f->s.rss_bytes + f->s.tot.live_bytes;
	history__push(f->h, &p);
}

/* A tick: the summary handed to the view. */
static void publish(struct fx *f, double t_s)
{
	fill(f, t_s);
	ASSERT_EQ(view__update(f->v, &f->s), 0, "view__update");
}

static void render(struct fx *f, int rows, int cols)
{
	ASSERT_EQ(view__render(f->v, rows, cols), 0, "view__render");
}

static char *row(struct fx *f, int r)
{
	static char buf[4096];

	return view__row_text(f->v, r, buf, sizeof(buf));
}

/* The first row containing s, or -1. */
static int find_row(struct fx *f, const char *s)
{
	int r;

	for (r = 0; r < view__rows(f->v); r++)
		if (strstr(row(f, r), s))
			return r;
	return -1;
}

static int col_of(struct fx *f, int r, const char *s)
{
	char *p, *t = row(f, r);

	p = strstr(t, s);
	return p ? (int)(p - t) : -1;
}

static void keys(struct fx *f, const char *s)
{
	for (; *s; s++)
		view__key(f->v, *s);
}

/* Six sites with distinct figures in every column. */
static void six_sites(struct fx *f)
{
	ssl_new(f->m, 0xa000);
	ssl_new(f->m, 0xb000);
	allocs(f, 0, 3, 1000, 0xa000);	/* 3000 B, 3 blocks */
	allocs(f, 1, 10, 100, 0);	/* 1000 B, 10 blocks */
	allocs(f, 2, 1, 17000, 0xb000);	/* 17000 B, 1 block */
	allocs(f, 3, 5, 32, 0);		/* 160 B, 5 blocks */
	allocs(f, 4, 2, 5000, 0);	/* 10000 B, 2 blocks */
	allocs(f, 5, 1, 1, 0);		/* 1 B */
}

/* ---- tests ---- */

static void test_header_figures(void)
{
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 83);
	render(&f, 50, 160);
	ASSERT_TRUE(strncmp(row(&f, 0), "tlsmem - pid 4242 (gt_server)  up 0:01:23", 41) == 0,
		    row(&f, 0));
	ASSERT_TRUE(find_row(&f, "libcrypto.so.3  shared  OpenSSL 3.0.19 27 Jan 2026  9 probes") == 1,
		    "object line");
	r = find_row(&f, "SSL      2 live");
	ASSERT_TRUE(r > 0, "SSL line");
	ASSERT_TRUE(strstr(row(&f, r), "sockets 2") != NULL, "sockets");
	r = find_row(&f, "OpenSSL  30.4 KiB live in 22 blocks");
	ASSERT_TRUE(r > 0, "heap line");
	ASSERT_TRUE(strstr(row(&f, r), "RSS 50.0 MiB") != NULL, "rss");
	/* bytes per live SSL: 3000 + 17000 over the 2 SSL objects created since attach */
	ASSERT_TRUE(strstr(row(&f, r), "9.8 KiB per live SSL") != NULL, row(&f, r));
	/* the distribution over those two: 2.9 KiB and 16.6 KiB */
	ASSERT_TRUE(strstr(row(&f, r), "(p50 2.9 KiB p99 16.6 KiB max 16.6 KiB)") != NULL,
		    row(&f, r));
	r = find_row(&f, "lost 0");
	ASSERT_TRUE(r > 0, "lost 0");
	ASSERT_TRUE(find_row(&f, "flags    (no growth detection)") > 0, "flags line");
	fx_fini(&f);
}

/* At 80 columns the key figures stay whole and the less important ones go first. */
static void test_header_at_80_columns(void)
{
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 83);
	f.s.events_lost = 12;
	f.s.pre_attach_waiting = 7;
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	render(&f, 24, 80);
	r = find_row(&f, "SSL      2 live");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "sockets 2"), row(&f, r));
	ASSERT_TRUE(strstr(row(&f, r), "(2 created") == NULL, "totals dropped at 80 columns");
	r = find_row(&f, "OpenSSL  30.4 KiB live");
	ASSERT_TRUE(r > 0, "heap line");
	ASSERT_TRUE(strstr(row(&f, r), "9.8 KiB per live SSL") != NULL, row(&f, r));
	ASSERT_TRUE(strstr(row(&f, r), "RSS 50.0 MiB") != NULL, row(&f, r));
	ASSERT_TRUE(strstr(row(&f, r), "p50") == NULL, "distribution dropped");
	ASSERT_TRUE(find_row(&f, "lost 12") > 0, "lost");
	ASSERT_TRUE(find_row(&f, "flags") > 0, "flags");
	/* at 200 columns nothing is dropped */
	render(&f, 50, 200);
	r = find_row(&f, "SSL      2 live");
	ASSERT_TRUE(strstr(row(&f, r), "(2 created, 0 freed, 0 adopted)") != NULL, row(&f, r));
	ASSERT_TRUE(strstr(row(&f, r), "7 opened before attach, not seen yet") != NULL, row(&f, r));
	r = find_row(&f, "OpenSSL  30.4 KiB live in 22 blocks");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "(p50 2.9 KiB"), row(&f, r));
	ASSERT_TRUE(find_row(&f, "lost 12: counts are lower bounds") > 0, "lost in words");
	fx_fini(&f);
}

/* --light: the heap is not measured, and says so instead of zeros */
static void test_light_not_measured(void)
{
	struct fx f;

	if (!fx_init(&f))
		return;
	publish(&f, 5);
	f.s.light = true;
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	render(&f, 24, 80);
	ASSERT_TRUE(find_row(&f, "OpenSSL  not measured (--light)") > 0, row(&f, 2));
	ASSERT_TRUE(find_row(&f, "0 B live") < 0, "no zero heap figure");
	fx_fini(&f);
}

static void test_lost_events_highlighted(void)
{
	const struct view_cell *c;
	struct fx f;
	int r, x;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 2);
	f.s.events_lost = 12;
	view__update(f.v, &f.s);
	render(&f, 40, 160);
	r = find_row(&f, "lost 12: counts are lower bounds, live figures approximate");
	if (!ASSERT_TRUE(r > 0, "lost line"))
		goto out;
	x = col_of(&f, r, "lost 12");
	c = view__row(f.v, r);
	ASSERT_EQ(c[x].style, VS_WARN, "lost is highlighted");
	ASSERT_EQ(c[0].style, VS_LABEL, "label style");
out:
	fx_fini(&f);
}

/* Every row is exactly cols wide; numbers end in the same column on every row. */
static void test_widths_and_alignment(void)
{
	struct fx f;
	int r, t, end, n = 0;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 1);
	render(&f, 40, 160);
	for (r = 0; r < 40; r++)
		ASSERT_EQ(strlen(row(&f, r)), 160, "row width");
	t = find_row(&f, "LIVE BYTES");
	if (!ASSERT_TRUE(t > 0, "title row"))
		goto out;
	end = col_of(&f, t, "LIVE BYTES") + 10;	/* one past the title */
	for (r = t + 1; r < 39 && row(&f, r)[end - 1] != ' '; r++, n++)
		ASSERT_EQ(row(&f, r)[end], ' ', "right-aligned bytes");
	ASSERT_EQ(n, 6, "six site rows");
	ASSERT_TRUE(strstr(row(&f, t + 1), "16.6 KiB") != NULL, row(&f, t + 1));
	/* the footer is the last row */
	ASSERT_TRUE(strncmp(row(&f, 39), "q quit  ? help", 14) == 0, row(&f, 39));
out:
	fx_fini(&f);
}

/* Column positions depend on the width only, never on the data. */
static void test_columns_fixed(void)
{
	struct fx f;
	int t, x1, x2, y1, y2;

	if (!fx_init(&f))
		return;
	allocs(&f, 0, 1, 10, 0);
	publish(&f, 1);
	render(&f, 40, 160);
	t = find_row(&f, "LIVE BYTES");
	x1 = col_of(&f, t, "CALLER");
	y1 = col_of(&f, t, "MODULE");
	allocs(&f, 4, 1, 123456789, 0);
	publish(&f, 2);
	render(&f, 40, 160);
	t = find_row(&f, "LIVE BYTES");
	x2 = col_of(&f, t, "CALLER");
	y2 = col_of(&f, t, "MODULE");
	ASSERT_EQ(x2, x1, "CALLER column stays");
	ASSERT_EQ(y2, y1, "MODULE column stays");
	ASSERT_EQ(col_of(&f, t + 1, "a_very_long"), x1, "caller under its title");
	fx_fini(&f);
}

static void test_truncation(void)
{
	struct fx f;
	char *s;
	int t, xs, xc, xm;

	if (!fx_init(&f))
		return;
	allocs(&f, 4, 1, 100, 0);
	publish(&f, 1);
	render(&f, 30, 120);
	t = find_row(&f, "LIVE BYTES");
	xs = col_of(&f, t, "FILE:LINE");
	xc = col_of(&f, t, "CALLER");
	xm = col_of(&f, t, "MODULE");
	s = row(&f, t + 1);
	/* the file keeps its end (name and line), the caller its start */
	ASSERT_TRUE(strncmp(s + xs, "...", 3) == 0, s);
	ASSERT_TRUE(strncmp(s + xc - 14, "digest.c:4321 ", 14) == 0, s);
	ASSERT_EQ(s[xc - 1], ' ', "a blank before the caller");
	ASSERT_TRUE(strncmp(s + xc, "a_very_long_caller", 18) == 0, s);
	ASSERT_TRUE(strncmp(s + xm - 4, "... ", 4) == 0, s);
	ASSERT_TRUE(strncmp(s + xm, "libwithaverylong...", 19) == 0, "module: a basename, cut");
	ASSERT_TRUE(strncmp(s + 117, "...", 3) == 0, s);
	fx_fini(&f);
}

static void test_units_at_boundaries(void)
{
	static const struct {
		__u64 size;
		const char *bytes;
	} c[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 1048575, "1.0 MiB" }, { 1536ULL << 20, "1.5 GiB" },
	};
	struct fx f;
	size_t i;
	int t;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char want[32];

		if (!fx_init(&f))
			return;
		allocs(&f, 0, 1, c[i].size, 0);
		publish(&f, 1);
		render(&f, 20, 160);
		t = find_row(&f, "LIVE BYTES");
		snprintf(want, sizeof(want), "%11s", c[i].bytes);
		ASSERT_TRUE(strncmp(row(&f, t + 1), want, 11) == 0, row(&f, t + 1));
		fx_fini(&f);
	}
	if (!fx_init(&f))
		return;
	allocs(&f, 0, 999, 1, 0);
	allocs(&f, 1, 1000, 1, 0);
	publish(&f, 1);
	render(&f, 20, 160);
	t = find_row(&f, "LIVE BYTES");
	ASSERT_TRUE(strncmp(row(&f, t + 1) + 12, "    1.0k", 8) == 0, row(&f, t + 1));
	ASSERT_TRUE(strncmp(row(&f, t + 2) + 12, "     999", 8) == 0, row(&f, t + 2));
	fx_fini(&f);
}

/* The key of site id under column col, as a comparable number or string. */
static bool in_order(struct fx *f, int col, const __u32 *ids, size_t n, bool rev)
{
	size_t i;

	for (i = 1; i < n; i++) {
		struct site_stats a, b;
		struct site_name na, nb;
		int c;

		model__site(f->m, ids[i - 1], &a);
		model__site(f->m, ids[i], &b);
		name_cb(NULL, ids[i - 1], &na);
		name_cb(NULL, ids[i], &nb);
		switch (col) {
		case SC_BLOCKS:
			c = (b.live_blocks > a.live_blocks) - (b.live_blocks < a.live_blocks);
			break;
		case SC_AGE:	/* older first: smaller allocation time */
			c = (a.oldest_ns > b.oldest_ns) - (a.oldest_ns < b.oldest_ns);
			break;
		case SC_SITE:
			c = strcmp(na.file, nb.file);
			break;
		case SC_CALLER:
			c = strcmp(na.caller, nb.caller);
			break;
		case SC_MODULE:
			c = strcmp(strrchr(na.module, '/'), strrchr(nb.module, '/'));
			break;
		default:	/* bytes, per SSL, change (no growth: ties, then bytes) */
			c = (b.live_bytes > a.live_bytes) - (b.live_bytes < a.live_bytes);
		}
		if (rev)
			c = -c;
		if (c > 0)
			return CHECK_(false, "order", "col %d: ids %u before %u", col, ids[i - 1],
				      ids[i]);
	}
	return true;
}

static void test_sort_every_column(void)
{
	__u32 ids[16];
	struct fx f;
	int col;
	size_t n;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 1);
	render(&f, 40, 160);
	n = view__site_ids(f.v, ids, 16);
	ASSERT_EQ(n, 6, "six sites");
	ASSERT_EQ(ids[0], 2, "by live bytes: 17000 B first");
	ASSERT_EQ(ids[5], 5, "1 B last");
	for (col = 0; col < SC__COUNT; col++) {
		n = view__site_ids(f.v, ids, 16);
		in_order(&f, col, ids, n, false);
		view__key(f.v, 'r');
		n = view__site_ids(f.v, ids, 16);
		in_order(&f, col, ids, n, true);
		view__key(f.v, 'r');
		view__key(f.v, col % 2 ? '>' : 's');
	}
	/* back at live bytes after a full turn; '<' goes the other way */
	n = view__site_ids(f.v, ids, 16);
	ASSERT_EQ(ids[0], 2, "a full turn");
	view__key(f.v, '<');
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "MODULE^") > 0, "text sort column marked ascending");
	view__key(f.v, '>');
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "vLIVE BYTES") > 0, "bytes marked descending");
	fx_fini(&f);
}

static void test_filter(void)
{
	__u32 ids[16];
	struct fx f;
	size_t n;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 1);
	ASSERT_EQ(view__key(f.v, '/'), VIEW_REDRAW, "/ opens the prompt");
	ASSERT_TRUE(view__prompting(f.v), "prompting");
	keys(&f, "SSL_x");
	view__key(f.v, VK_BACKSPACE);
	render(&f, 40, 160);
	ASSERT_TRUE(strncmp(row(&f, 39), "filter: SSL_", 12) == 0, row(&f, 39));
	n = view__site_ids(f.v, ids, 16);
	ASSERT_EQ(n, 6, "not applied before Enter");
	view__key(f.v, VK_ENTER);
	ASSERT_TRUE(!view__prompting(f.v), "closed");
	n = view__site_ids(f.v, ids, 16);
	/* case-insensitive: "ssl/" in files, "SSL_new", "libssl" modules */
	ASSERT_EQ(n, 1, "only SSL_ (case-insensitive) matches");
	ASSERT_EQ(ids[0], 0, "SSL_new's site");
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "filter \"SSL_\"") > 0, "header shows the filter");
	keys(&f, "/");
	keys(&f, "\b\b\b\b");
	view__key(f.v, VK_BACKSPACE);
	keys(&f, "deleted\r");
	n = view__site_ids(f.v, ids, 16);
	ASSERT_EQ(n, 1, "module text matches");
	ASSERT_EQ(ids[0], 3, "the deleted library");
	view__key(f.v, VK_ESC);
	ASSERT_EQ(view__site_ids(f.v, ids, 16), 6, "Esc clears");
	keys(&f, "/nothing");
	view__key(f.v, VK_ENTER);
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "no site matches the filter") > 0, "empty result said");
	fx_fini(&f);
}

static void test_scroll_limits(void)
{
	struct fx f;
	__u32 i, ids[MANY];
	int t, page;

	if (!fx_init(&f))
		return;
	for (i = 0; i < MANY; i++)
		allocs(&f, NNAMES + i, 1, 1000 + i, 0);
	publish(&f, 1);
	render(&f, 30, 120);
	t = find_row(&f, "LIVE BYTES");
	page = 30 - 1 - (t + 1);
	ASSERT_EQ(view__top(f.v), 0, "starts at the top");
	view__key(f.v, VK_UP);
	ASSERT_EQ(view__top(f.v), 0, "no scrolling above the top");
	view__site_ids(f.v, ids, MANY);
	ASSERT_EQ(view__selected_site(f.v), ids[0], "first row selected");
	view__key(f.v, VK_PGDN);
	render(&f, 30, 120);
	ASSERT_EQ(view__selected_site(f.v), ids[page], "a page down");
	view__key(f.v, VK_END);
	render(&f, 30, 120);
	ASSERT_EQ(view__selected_site(f.v), ids[MANY - 1], "End: the last");
	ASSERT_EQ(view__top(f.v), MANY - page, "the last page is full");
	view__key(f.v, VK_PGDN);
	view__key(f.v, VK_DOWN);
	render(&f, 30, 120);
	ASSERT_EQ(view__top(f.v), MANY - page, "no scrolling past the end");
	ASSERT_TRUE(strstr(row(&f, 28), "gen/site") != NULL, "the last row is a site");
	ASSERT_EQ(view__row(f.v, 28)[0].style, VS_SEL, "the selected row is the last");
	view__key(f.v, VK_HOME);
	render(&f, 30, 120);
	ASSERT_EQ(view__top(f.v), 0, "Home");
	/* a taller terminal: the offset shrinks so the page stays full */
	view__key(f.v, VK_END);
	render(&f, 30, 120);
	render(&f, 60, 120);
	ASSERT_EQ(view__top(f.v), MANY - (60 - 1 - (t + 1)), "resize keeps the page full");
	fx_fini(&f);
}

/* The selection follows a site when the sort moves it. */
static void test_selection_by_identity(void)
{
	__u32 ids[16];
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 1);
	render(&f, 40, 160);
	view__key(f.v, VK_DOWN);
	view__key(f.v, VK_DOWN);
	view__key(f.v, VK_DOWN);
	view__key(f.v, VK_DOWN);
	view__site_ids(f.v, ids, 16);
	ASSERT_EQ(view__selected_site(f.v), ids[4], "fifth row");
	ASSERT_EQ(ids[4], 3, "leak_state's site");
	allocs(&f, 3, 1, 100000, 0);	/* now the biggest */
	publish(&f, 2);
	render(&f, 40, 160);
	ASSERT_EQ(view__selected_site(f.v), 3, "still selected");
	r = find_row(&f, "leak_state");
	ASSERT_EQ(r, find_row(&f, "LIVE BYTES") + 1, "moved to the top");
	ASSERT_EQ(view__row(f.v, r)[5].style, VS_SEL, "highlighted there");
	fx_fini(&f);
}

static void test_small_terminal_keeps_header(void)
{
	struct fx f;
	int hdr, r;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 1);
	render(&f, 40, 160);
	hdr = find_row(&f, "LIVE BYTES");
	render(&f, hdr, 160);		/* room for the header only */
	ASSERT_TRUE(strncmp(row(&f, 0), "tlsmem", 6) == 0, "title");
	ASSERT_TRUE(find_row(&f, "lost 0") > 0, "figures");
	ASSERT_EQ(find_row(&f, "LIVE BYTES"), -1, "no table");
	render(&f, 3, 160);
	ASSERT_TRUE(strncmp(row(&f, 0), "tlsmem", 6) == 0, "title at 3 rows");
	ASSERT_TRUE(strstr(row(&f, 2), "SSL ") == row(&f, 2), "header's first lines");
	render(&f, hdr + 2, 160);	/* the table's title and the footer */
	ASSERT_TRUE(find_row(&f, "terminal too small") > 0, "says so");
	render(&f, hdr + 3, 160);
	ASSERT_EQ(find_row(&f, "LIVE BYTES"), hdr, "one row of table");
	render(&f, 12, 30);
	ASSERT_EQ(strlen(row(&f, 0)), 30, "narrow");
	render(&f, 0, 0);
	render(&f, 1, 1);
	ASSERT_EQ(view__rows(f.v), 1, "one cell");
	for (r = 5; r < 60; r += 7)
		render(&f, r, r * 3);
	fx_fini(&f);
}

static void test_views_keys_and_pause(void)
{
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	allocs(&f, 0, 2, 64, 0xa000);
	publish(&f, 1);
	ASSERT_EQ(view__key(f.v, 'q'), VIEW_QUIT, "q");
	ASSERT_EQ(view__key(f.v, 'b'), VIEW_BASELINE | VIEW_REDRAW, "b");
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "baseline requested") > 0, "b acknowledged");
	f.s.baseline_s = 1;
	view__update(f.v, &f.s);
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "baseline at 0:00:01") > 0, "baseline shown");
	ASSERT_TRUE(find_row(&f, "SINCE BL") > 0, "change since the baseline");
	ASSERT_EQ(view__key(f.v, 'x'), VIEW_NONE, "unknown key");
	ASSERT_EQ(view__key(f.v, 'v'), VIEW_REDRAW, "v");
	ASSERT_EQ(view__mode(f.v), VIEW_SSL, "SSL view");
	render(&f, 40, 160);
	r = find_row(&f, "ADOPTED");
	ASSERT_TRUE(r > 0, "SSL table");
	ASSERT_TRUE(strstr(row(&f, r + 1), "0xb000") != NULL, "biggest first");
	ASSERT_TRUE(strstr(row(&f, r + 1), "16.6 KiB") != NULL, row(&f, r + 1));
	ASSERT_TRUE(strstr(row(&f, r + 2), "0xa000") != NULL, "then");
	ASSERT_TRUE(strstr(row(&f, r + 2), "3.1 KiB") != NULL, row(&f, r + 2));
	view__key(f.v, '\t');
	ASSERT_EQ(view__mode(f.v), VIEW_TIMELINE, "time line");
	view__key(f.v, VK_BTAB);
	ASSERT_EQ(view__mode(f.v), VIEW_SSL, "shift-Tab goes back");
	view__key(f.v, 'v');
	view__key(f.v, 'v');
	ASSERT_EQ(view__mode(f.v), VIEW_SITES, "round");
	/* pause: the next summary is not shown */
	render(&f, 40, 160);
	r = find_row(&f, "OpenSSL  30.6 KiB live");
	ASSERT_TRUE(r > 0, "figures before the pause");
	view__key(f.v, 'p');
	ASSERT_TRUE(view__paused(f.v), "paused");
	allocs(&f, 1, 1, 1 << 20, 0);
	publish(&f, 2);
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "PAUSED") == 0, "says paused");
	ASSERT_EQ(find_row(&f, "OpenSSL  30.6 KiB live"), r, "figures held");
	view__key(f.v, 'p');
	publish(&f, 3);
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "OpenSSL  1.0 MiB live") > 0, "figures move again");
	/* help: listed keys; any key closes it, q still quits */
	view__key(f.v, '?');
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "reverse the sort order") > 0, "help");
	ASSERT_TRUE(find_row(&f, "filter sites or processes by text") > 0, "help lists /");
	/* at 80x24 every key and every note fits, notes wrapped at words */
	render(&f, 24, 80);
	ASSERT_TRUE(find_row(&f, "repaint the screen") > 0, "last key at 80x24");
	ASSERT_TRUE(find_row(&f, "OLDEST the age of its") > 0, "site note at 80x24");
	ASSERT_TRUE(find_row(&f, "holds blocks.") > 0, "the last note whole at 80x24");
	ASSERT_EQ(find_row(&f, "q quit"), 23, "footer kept at 80x24");
	render(&f, 40, 160);
	view__key(f.v, 'z');
	render(&f, 40, 160);
	ASSERT_EQ(find_row(&f, "reverse the sort order"), -1, "closed");
	view__key(f.v, '?');
	ASSERT_EQ(view__key(f.v, 'q'), VIEW_QUIT, "q in help");
	fx_fini(&f);
}

static void test_timeline(void)
{
	struct fx f;
	int i, r, filled = 0;

	if (!fx_init(&f))
		return;
	for (i = 0; i < 40; i++) {
		allocs(&f, 0, 1, 1000, 0);
		publish(&f, i + 1);
	}
	keys(&f, "vv");
	render(&f, 40, 100);
	ASSERT_TRUE(find_row(&f, "OpenSSL live bytes") > 0, "bytes chart");
	ASSERT_TRUE(find_row(&f, "live SSL objects") > 0, "SSL chart");
	ASSERT_TRUE(find_row(&f, "process RSS") > 0, "RSS chart");
	r = find_row(&f, "OpenSSL live bytes");
	ASSERT_TRUE(strstr(row(&f, r), "now 39.1 KiB   min 1000 B   max 39.1 KiB") != NULL,
		    row(&f, r));
	ASSERT_TRUE(strncmp(row(&f, r + 1), "  39.1 KiB |", 12) == 0, row(&f, r + 1));
	/* a rising series: the newest column is full, the oldest nearly empty */
	for (i = r + 1; i < find_row(&f, "live SSL objects"); i++)
		filled += row(&f, i)[99] == '#';
	ASSERT_TRUE(filled >= 3, "newest column full");
	ASSERT_TRUE(find_row(&f, "now") > 0, "time axis");
	render(&f, 14, 60);	/* too low for charts: sparklines */
	ASSERT_TRUE(find_row(&f, "live bytes") > 0, "sparkline fallback");
	fx_fini(&f);
}

static void test_sparkline_and_gone(void)
{
	struct fx f;
	int i, r;

	if (!fx_init(&f))
		return;
	for (i = 0; i < 30; i++) {
		allocs(&f, 0, 1, 1000, 0);
		publish(&f, i + 1);
	}
	render(&f, 40, 160);
	r = find_row(&f, "OpenSSL  29.3 KiB live in 30 blocks  ");
	if (ASSERT_TRUE(r > 0, row(&f, 3)))
		ASSERT_TRUE(strstr(row(&f, r), "blocks  __...::::---===++++***##  0 B") != NULL, row(&f, r));
	ASSERT_TRUE(strstr(row(&f, find_row(&f, "allocs ")), "allocs   1/s  frees 0/s") != NULL,
		    "rates from the history");
	f.tg.exited = true;
	publish(&f, 31);
	view__targets_gone(f.v);
	render(&f, 40, 160);
	ASSERT_TRUE(strstr(row(&f, 0), "exited") != NULL, "target marked exited");
	ASSERT_TRUE(strstr(row(&f, 0), "TARGET EXITED: last figures kept, q quits") != NULL,
		    row(&f, 0));
	ASSERT_TRUE(strstr(row(&f, 0), "up 0:00:31") != NULL, "the last figures");
	publish(&f, 40);
	render(&f, 40, 160);
	ASSERT_TRUE(strstr(row(&f, 0), "up 0:00:31") != NULL, "kept after the exit");
	fx_fini(&f);
}

/* Rates over the latest interval, in human units; block glyphs when utf8. */
static void test_rates_and_utf8(void)
{
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	view__free(f.v);
	f.v = view__new(true);
	if (!ASSERT_TRUE(f.v != NULL, "utf8 view"))
		goto out;
	view__set_names(f.v, name_cb, NULL);
	allocs(&f, 0, 10, 8, 0);
	publish(&f, 1);
	allocs(&f, 1, 1500, 8, 0);
	ssl_new(f.m, 0xa000);
	ssl_new(f.m, 0xb000);
	feed_free(f.m, 0x10000000);
	feed_free(f.m, 0x10001000);
	feed_free(f.m, 0x10002000);
	feed_free(f.m, 0x10003000);
	publish(&f, 3);
	render(&f, 40, 160);
	r = find_row(&f, "allocs   750/s  frees 2/s");
	ASSERT_TRUE(r > 0, row(&f, 4));
	ASSERT_TRUE(find_row(&f, "SSL      2 live  1/s new  0/s freed") > 0, row(&f, 3));
	allocs(&f, 1, 3000, 8, 0);
	publish(&f, 4);
	render(&f, 40, 160);
	ASSERT_TRUE(find_row(&f, "allocs   3.0k/s  frees 0/s") > 0, row(&f, 4));
	/* U+25BC on the sort column; U+2581..U+2588 in the sparkline */
	ASSERT_TRUE(find_row(&f, "\xe2\x96\xbcLIVE BYTES") > 0, "arrow");
	ASSERT_TRUE(find_row(&f, "\xe2\x96\x81\xe2\x96\x83\xe2\x96\x88  ") > 0, row(&f, 3));
	r = find_row(&f, "LIVE BYTES");
	ASSERT_EQ(view__row(f.v, r)[0].ch, 0x25bc, "one cell");
out:
	fx_fini(&f);
}

/* A leak per connection found by the real detector, shown in words. */
/*
 * Connections of process cur_pid that each leave a 32-byte block at site 3
 * (leak.c), 64 samples 10 s apart, fed to a growth detector; returns the
 * number of flags it raised.
 */
static size_t leak_flag(struct fx *f)
{
	static const int churn[] = { 5, 40, 10, 30, 2, 25, 60, 8, 15, 45, 3, 35, 20, 50, 12, 28 };
	struct growth_params gp = { .window_s = 300, .min_conns = 50, .min_samples = 4 };
	struct growth_sample gs;
	__u64 ssl = 0x100000;
	size_t i, k;

	f->g = growth__new(&gp);
	if (!ASSERT_TRUE(f->g != NULL, "growth__new"))
		return 0;
	for (i = 0; i < 64; i++) {
		struct site_stats st[NNAMES];
		__u32 j;

		for (k = 0; k < (size_t)churn[i % 16]; k++, ssl += 0x100) {
			ssl_new(f->m, ssl);
			allocs(f, 3, 1, 32, ssl);		/* leaked */
			allocs(f, 0, 1, 2000, ssl);		/* freed below */
			feed_free(f->m, f->next_ptr - 0x1000);
			feed_short(f->m, TLSMEM_EV_SSL_FREE, ssl, ssl, 1);
		}
		model__mature(f->m, UINT64_MAX / 2);	/* every freed owner weighed */
		for (j = 0; j < NNAMES; j++)
			model__site(f->m, j, &st[j]);
		publish(f, 10.0 * (double)(i + 1));
		gs = (struct growth_sample){
			.t_s = 10.0 * (double)(i + 1), .live_bytes = f->s.tot.live_bytes,
			.live_blocks = f->s.tot.live_blocks, .ssl_live = f->s.tot.ssl_live,
			.ssl_created = f->s.tot.ssl_created, .ssl_freed = f->s.tot.ssl_freed,
			.open_sockets = UINT64_MAX, .nsites = model__nsites(f->m), .sites = st,
			.ssl_weighed = f->s.tot.ssl_weighed,
		};
		ASSERT_EQ(growth__add(f->g, &gs), 0, "growth__add");
	}
	return growth__flags(f->g, NULL, 0);
}

static void test_flag_line(void)
{
	struct fx f;
	size_t nflags;
	int r;

	if (!fx_init(&f))
		return;
	nflags = leak_flag(&f);
	publish(&f, 700);
	render(&f, 40, 200);
	if (!ASSERT_TRUE(nflags > 0, "the detector flags the leak"))
		goto out;
	r = find_row(&f, "LEAK leak.c:12 leak_state (libleak.so (deleted)): ");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "freed SSL left a 32 B block"), row(&f, r));
	ASSERT_TRUE(r > 0, row(&f, 6));
	if (r > 0)
		ASSERT_EQ(view__row(f.v, r)[9].style, VS_FLAG, "flag style");
	ASSERT_TRUE(find_row(&f, "CHG/MIN") > 0, "per minute without a baseline");
out:
	fx_fini(&f);
}

/* The module column says where the module's names came from, when known. */
static void test_module_names_from(void)
{
	struct fx f;

	if (!fx_init(&f))
		return;
	allocs(&f, 5, 1, 100, 0);
	allocs(&f, 1, 1, 200, 0);
	allocs(&f, 0, 1, 300, 0);
	publish(&f, 1);
	render(&f, 30, 160);
	ASSERT_TRUE(find_row(&f, "libfoo.so [dynsym only]") >= 0, "dynsym only");
	ASSERT_TRUE(find_row(&f, "libcrypto.so.3 [symtab]") >= 0, "symtab");
	ASSERT_TRUE(find_row(&f, "libssl.so.3 [") < 0, "nothing said when unknown");
	fx_fini(&f);
}


/* ---- the process table ---- */

#define PID2	5001
#define PID3	5002

/* gt_server (PID) on the host, nginx (PID2) in a container, a third (PID3) exited. */
static void procs_targets(struct target *tg)
{
	memset(tg, 0, 3 * sizeof(*tg));
	tg[0].pid = PID;
	snprintf(tg[0].comm, sizeof(tg[0].comm), "gt_server");
	tg[1].pid = PID2;
	snprintf(tg[1].comm, sizeof(tg[1].comm), "nginx: worker");
	snprintf(tg[1].exe, sizeof(tg[1].exe), "/usr/sbin/nginx");
	snprintf(tg[1].container, sizeof(tg[1].container), "%s",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	tg[2].pid = PID3;
	snprintf(tg[2].comm, sizeof(tg[2].comm), "gone");
	tg[2].exited = true;
}

/* A tick of a session of several processes, with the model's figures per process. */
static void publish_procs(struct fx *f, double t_s, struct target *tg, struct pid_stats *ps)
{
	fill(f, t_s);
	f->s.targets = tg;
	f->s.ntargets = 3;
	f->s.pids = ps;
	f->s.npids = model__pid_stats(f->m, ps, 8);
	ASSERT_EQ(view__update(f->v, &f->s), 0, "view__update");
}

/* PID: six_sites (30.4 KiB, 2 SSL). PID2: 3 SSL, 2 x 100000 B at site 0 and 32 B at site 3. */
static void two_processes(struct fx *f)
{
	six_sites(f);
	cur_pid = PID2;
	ssl_new(f->m, 0xc000);
	ssl_new(f->m, 0xd000);
	ssl_new(f->m, 0xe000);
	allocs(f, 0, 2, 100000, 0xc000);
	allocs(f, 3, 1, 32, 0);
	cur_pid = PID;
}

/* The first column of the table's rows under the title row r: their pids, in order. */
static bool rows_are(struct fx *f, int r, const int *pids, int n)
{
	char want[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%7d ", pids[i]);
		if (!CHECK_(strncmp(row(f, r + 1 + i), want, strlen(want)) == 0, "row order",
			    "row %d: \"%s\", want pid %d", i, row(f, r + 1 + i), pids[i]))
			return false;
	}
	return true;
}

static void test_procs_table(void)
{
	static const int by_bytes[] = { PID2, PID }, by_pid[] = { PID, PID2 };
	struct pid_stats ps[8];
	struct target tg[3];
	struct fx f;
	int r, c, i;

	if (!fx_init(&f))
		return;
	procs_targets(tg);
	two_processes(&f);
	publish_procs(&f, 1, tg, ps);
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, 0), "tlsmem - 3 processes (2 running)  up") == row(&f, 0),
		    row(&f, 0));
	ASSERT_TRUE(strstr(row(&f, 23), "P procs") != NULL, row(&f, 23));
	ASSERT_EQ(view__key(f.v, 'P'), VIEW_REDRAW, "P");
	ASSERT_EQ(view__mode(f.v), VIEW_PROCS, "the process table");
	render(&f, 24, 80);
	r = find_row(&f, "PROGRAM");
	if (!ASSERT_TRUE(r > 0, "title row"))
		goto out;
	ASSERT_TRUE(strstr(row(&f, r), "    PID PROGRAM       CONTAINER     LIVE SSL "
				       "vLIVE BYTES    PER SSL FLAGS") == row(&f, r), row(&f, r));
	/* sorted by OpenSSL bytes: nginx's 195.3 KiB (200032 B), then gt_server's 30.4 KiB */
	rows_are(&f, r, by_bytes, 2);
	ASSERT_TRUE(strstr(row(&f, r + 1), "   5001 nginx         0123456789ab         3 "
					   "  195.3 KiB   65.1 KiB") == row(&f, r + 1),
		    row(&f, r + 1));
	ASSERT_TRUE(strstr(row(&f, r + 2), "   4242 gt_server                          2 "
					   "   30.4 KiB   15.2 KiB") == row(&f, r + 2),
		    row(&f, r + 2));
	ASSERT_EQ(find_row(&f, "5002"), -1, "an exited process is not listed");
	ASSERT_TRUE(strstr(row(&f, 23), "Enter open") && strstr(row(&f, 23), "[processes]"),
		    row(&f, 23));
	for (i = 0; i < 24; i++)
		ASSERT_TRUE(strlen(row(&f, i)) <= 80, "80 columns");
	/* the sort keys: < goes left through the columns, r reverses */
	view__key(f.v, '<');
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, r), "vLIVE SSL") != NULL, row(&f, r));
	rows_are(&f, r, by_bytes, 2);
	view__key(f.v, '<');
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, r), "CONTAINERv") != NULL, row(&f, r));
	rows_are(&f, r, by_pid, 2);		/* "" before a container id */
	view__key(f.v, '<');
	view__key(f.v, '<');
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, r), "vPID") != NULL, row(&f, r));
	rows_are(&f, r, by_pid, 2);
	view__key(f.v, 'r');
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, r), "^PID") != NULL, row(&f, r));
	rows_are(&f, r, by_bytes, 2);
	/* wide: the program column grows, the figures stay */
	render(&f, 50, 200);
	r = find_row(&f, "PROGRAM");
	c = col_of(&f, r, "FLAGS");
	ASSERT_TRUE(c > 60 && c < 100, row(&f, r));
	ASSERT_TRUE(strlen(row(&f, r)) <= 200, "200 columns");
	/* a filter keeps matching programs, containers or a pid */
	keys(&f, "/nginx");
	view__key(f.v, VK_ENTER);
	render(&f, 24, 80);
	r = find_row(&f, "PROGRAM");
	ASSERT_TRUE(strstr(row(&f, r + 1), "5001") && !strstr(row(&f, r + 2), "4242"),
		    row(&f, r + 2));
	/* the sites have their own filter: the process's are all listed */
	view__key(f.v, VK_ENTER);
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	render(&f, 24, 80);
	ASSERT_TRUE(find_row(&f, "ssl/ssl_lib.c:735") > 0, "nginx's sites, not filtered");
	ASSERT_EQ(find_row(&f, "filter \"nginx\""), -1, "no site filter");
	view__key(f.v, VK_ESC);
	render(&f, 24, 80);
	ASSERT_TRUE(find_row(&f, "filter \"nginx\"") > 0, "the table's filter kept");
	view__key(f.v, VK_ESC);
	render(&f, 24, 80);
	ASSERT_TRUE(find_row(&f, "   4242 gt_server") > 0, "Esc clears the filter");
out:
	fx_fini(&f);
}

/* Enter opens the selected process's sites and SSL objects; Esc or Backspace come back. */
static void test_procs_open_one(void)
{
	struct pid_stats ps[8];
	struct target tg[3];
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	procs_targets(tg);
	two_processes(&f);
	publish_procs(&f, 1, tg, ps);
	view__key(f.v, 'P');
	view__key(f.v, VK_HOME);
	ASSERT_EQ(view__selected_proc(f.v), PID2, "the top row");
	ASSERT_EQ(view__key(f.v, VK_ENTER), VIEW_REDRAW, "Enter");
	ASSERT_EQ(view__pid(f.v), PID2, "nginx opened");
	ASSERT_EQ(view__mode(f.v), VIEW_SITES, "its sites");
	render(&f, 24, 80);
	ASSERT_TRUE(find_row(&f, "reading the process's sites") > 0, "until the next summary");
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	render(&f, 24, 80);
	r = find_row(&f, "process 5001 (nginx) only   3 live SSL   Esc: all processes");
	ASSERT_TRUE(r > 0, "the header says which process");
	ASSERT_TRUE(strstr(row(&f, 23), "Esc back") && strstr(row(&f, 23), "[sites of 5001]"),
		    row(&f, 23));
	render(&f, 30, 160);
	r = find_row(&f, "FILE:LINE");
	if (!ASSERT_TRUE(r > 0, "site table"))
		goto out;
	/* site 0 is shared: 3000 B of gt_server's are not nginx's; no per-process trend */
	ASSERT_TRUE(strstr(row(&f, r + 1), "  195.3 KiB        2           -   65.1 KiB") ==
		    row(&f, r + 1), row(&f, r + 1));
	ASSERT_TRUE(strstr(row(&f, r + 1), "ssl/ssl_lib.c:735") != NULL, row(&f, r + 1));
	ASSERT_TRUE(strstr(row(&f, r + 2), "       32 B        1") == row(&f, r + 2) &&
		    strstr(row(&f, r + 2), "leak.c:12"), row(&f, r + 2));
	ASSERT_TRUE(strstr(row(&f, r + 3), " B ") == NULL, "nothing else is nginx's");
	ASSERT_EQ(find_row(&f, "BUF_MEM_grow"), -1, "gt_server's own site is not listed");
	/* its SSL objects */
	view__key(f.v, 'v');
	render(&f, 24, 80);
	r = find_row(&f, "ADOPTED");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r + 1), "5001  0xc000"), row(&f, r + 1));
	ASSERT_TRUE(strstr(row(&f, r + 3), "5001  0x") != NULL, row(&f, r + 3));
	ASSERT_TRUE(strstr(row(&f, r + 4), "4242") == NULL, "gt_server's are not listed");
	/* Esc: back to the table, the cursor on nginx; Backspace too */
	ASSERT_EQ(view__key(f.v, VK_ESC), VIEW_REDRAW, "Esc");
	ASSERT_EQ(view__mode(f.v), VIEW_PROCS, "back to the table");
	ASSERT_EQ(view__pid(f.v), 0, "all processes");
	ASSERT_EQ(view__selected_proc(f.v), PID2, "on nginx");
	view__key(f.v, VK_DOWN);
	view__key(f.v, VK_ENTER);
	ASSERT_EQ(view__pid(f.v), PID, "gt_server opened");
	ASSERT_EQ(view__key(f.v, VK_BACKSPACE), VIEW_REDRAW, "Backspace");
	ASSERT_EQ(view__mode(f.v), VIEW_PROCS, "back again");
	ASSERT_EQ(view__key(f.v, VK_BACKSPACE), VIEW_NONE, "nothing to go back to");
	/* v and Tab pass through the table when there are several processes */
	view__key(f.v, 'v');
	ASSERT_EQ(view__mode(f.v), VIEW_SITES, "after the table, the sites");
	view__key(f.v, VK_BTAB);
	ASSERT_EQ(view__mode(f.v), VIEW_PROCS, "shift-Tab back to the table");
out:
	fx_fini(&f);
}

/* One process's sites are walked once an interval, and when another process is opened. */
static void test_procs_walk_once_an_interval(void)
{
	struct pid_stats ps[8];
	struct target tg[3];
	struct fx f;
	int r;

	if (!fx_init(&f))
		return;
	procs_targets(tg);
	two_processes(&f);
	publish_procs(&f, 1, tg, ps);
	view__key(f.v, 'P');
	view__key(f.v, VK_HOME);
	view__key(f.v, VK_ENTER);
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	cur_pid = PID2;
	allocs(&f, 3, 9, 32, 0);
	cur_pid = PID;
	/* a key between ticks: the same interval, the same walk */
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	render(&f, 24, 80);
	r = find_row(&f, "leak.c:12");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "       32 B        1") == row(&f, r), row(&f, r));
	publish_procs(&f, 2, tg, ps);
	render(&f, 24, 80);
	r = find_row(&f, "leak.c:12");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "      320 B       10") == row(&f, r), row(&f, r));
	/* paused: the figures stay, but a process opened meanwhile gets its own */
	view__key(f.v, 'p');
	view__key(f.v, VK_ESC);
	view__key(f.v, VK_END);
	view__key(f.v, VK_ENTER);
	ASSERT_EQ(view__pid(f.v), PID, "gt_server opened while paused");
	publish_procs(&f, 3, tg, ps);
	render(&f, 30, 120);
	r = find_row(&f, "BUF_MEM_grow");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "     1000 B       10") == row(&f, r), row(&f, r));
	fx_fini(&f);
}

/* One process: no table, no P, the title names it. */
static void test_procs_single_process(void)
{
	struct fx f;

	if (!fx_init(&f))
		return;
	six_sites(&f);
	publish(&f, 1);
	ASSERT_EQ(view__key(f.v, 'P'), VIEW_NONE, "P");
	ASSERT_EQ(view__key(f.v, VK_ENTER), VIEW_NONE, "Enter");
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, 23), "procs") == NULL, row(&f, 23));
	view__key(f.v, 'v');
	view__key(f.v, 'v');
	view__key(f.v, 'v');
	ASSERT_EQ(view__mode(f.v), VIEW_SITES, "three views");
	fx_fini(&f);
}

/* The flags column: the flags at whose sites a process holds blocks. */
static void test_procs_flags(void)
{
	struct pid_stats ps[8];
	struct target tg[3];
	struct fx f;
	size_t nflags;
	int r, c;

	if (!fx_init(&f))
		return;
	procs_targets(tg);
	nflags = leak_flag(&f);		/* gt_server's connections leak at leak.c */
	cur_pid = PID2;
	ssl_new(f.m, 0xc000);
	allocs(&f, 1, 1, 1 << 20, 0xc000);
	cur_pid = PID;
	if (!ASSERT_TRUE(nflags > 0, "the detector flags the leak"))
		goto out;
	publish_procs(&f, 700, tg, ps);
	ASSERT_EQ(view__key(f.v, 'P'), VIEW_REDRAW, "P");
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");	/* as the session does */
	render(&f, 24, 80);
	r = find_row(&f, "   4242 gt_server");
	c = col_of(&f, find_row(&f, "PROGRAM"), "FLAGS");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "LEAK") == row(&f, r) + c, row(&f, r));
	if (r > 0)
		ASSERT_EQ(view__row(f.v, r)[c].style, VS_FLAG, "flag style");
	r = find_row(&f, "   5001 nginx");
	ASSERT_TRUE(r > 0 && strstr(row(&f, r), "LEAK") == NULL, row(&f, r));
	/* sorted by flags: the flagged first */
	view__key(f.v, '>');
	view__key(f.v, '>');
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, find_row(&f, "PROGRAM")), "FLAGSv") != NULL, "by flags");
	ASSERT_EQ(find_row(&f, "   4242 gt_server"), find_row(&f, "PROGRAM") + 1, "flagged first");
out:
	fx_fini(&f);
}

/* Forty processes: the site table's keys scroll, the cursor stays on a process as it re-sorts. */
static void test_procs_scroll(void)
{
	struct pid_stats ps[48];
	struct target tg[40];
	struct fx f;
	int i, r, last;

	if (!fx_init(&f))
		return;
	memset(tg, 0, sizeof(tg));
	for (i = 0; i < 40; i++) {
		tg[i].pid = 6000 + i;
		snprintf(tg[i].comm, sizeof(tg[i].comm), "worker%d", i);
		cur_pid = 6000 + i;
		allocs(&f, 0, i + 1, 1000, 0);	/* process 6000 + i: (i + 1) kB */
	}
	cur_pid = PID;
	fill(&f, 1);
	f.s.targets = tg;
	f.s.ntargets = 40;
	f.s.pids = ps;
	f.s.npids = model__pid_stats(f.m, ps, 48);
	ASSERT_EQ(f.s.npids, 40, "forty processes");
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	view__key(f.v, 'P');
	render(&f, 24, 80);
	r = find_row(&f, "PROGRAM");
	ASSERT_TRUE(strstr(row(&f, r + 1), "   6039 worker39") == row(&f, r + 1), row(&f, r + 1));
	ASSERT_EQ(view__selected_proc(f.v), 6039, "the top row");
	last = 22;	/* the footer is row 23 */
	view__key(f.v, VK_END);
	render(&f, 24, 80);
	ASSERT_EQ(view__selected_proc(f.v), 6000, "End: the smallest");
	ASSERT_TRUE(strstr(row(&f, last), "   6000 worker0 ") == row(&f, last), row(&f, last));
	ASSERT_EQ(view__top(f.v), 40 - (size_t)(last - r), "scrolled to the end");
	view__key(f.v, VK_HOME);
	view__key(f.v, VK_PGDN);
	render(&f, 24, 80);
	ASSERT_EQ(view__selected_proc(f.v), 6039 - (last - r), "PgDn: a page down");
	view__key(f.v, 'k');
	ASSERT_EQ(view__selected_proc(f.v), 6039 - (last - r) + 1, "k: up");
	/* worker5 grows to the top: the cursor follows it */
	view__key(f.v, VK_END);
	for (i = 0; i < 5; i++)
		view__key(f.v, VK_UP);
	ASSERT_EQ(view__selected_proc(f.v), 6005, "on worker5");
	cur_pid = 6005;
	allocs(&f, 0, 1, 1 << 20, 0);
	cur_pid = PID;
	fill(&f, 2);
	f.s.targets = tg;
	f.s.ntargets = 40;
	f.s.pids = ps;
	f.s.npids = model__pid_stats(f.m, ps, 48);
	ASSERT_EQ(view__update(f.v, &f.s), 0, "view__update");
	render(&f, 24, 80);
	ASSERT_EQ(view__selected_proc(f.v), 6005, "still on worker5");
	ASSERT_EQ(view__top(f.v), 0, "scrolled back to it");
	ASSERT_TRUE(strstr(row(&f, r + 1), "   6005 worker5 ") == row(&f, r + 1), row(&f, r + 1));
	ASSERT_EQ(view__row(f.v, r + 1)[0].style, VS_SEL, "selected");
	fx_fini(&f);
}

static void test_footer_message(void)
{
	const char *msg = "attached to 2 processes (PIDs 1234, 1235 nginx): libcrypto.so.3, "
			  "libssl.so.3; 34 probes in 187 ms";
	struct fx f;
	char *t, *m;
	size_t n;

	if (!fx_init(&f))
		return;
	view__set_message(f.v, msg);
	render(&f, 30, 200);
	ASSERT_TRUE(strstr(row(&f, 29), msg) != NULL, "whole message at 200 columns");
	/* at 80 columns the key hints leave no room: no fragment of a word */
	render(&f, 24, 80);
	ASSERT_TRUE(strstr(row(&f, 23), "att") == NULL, row(&f, 23));
	/* at 120 columns: cut after a whole word, with "..." */
	render(&f, 24, 120);
	t = row(&f, 23);
	m = strstr(t, "attached to");
	ASSERT_TRUE(m != NULL, t);
	if (!m)
		goto out;
	n = strlen(m);
	while (n && m[n - 1] == ' ')
		n--;
	ASSERT_TRUE(n > 3 && !strncmp(m + n - 3, "...", 3), t);
	ASSERT_TRUE(n > 3 && !strncmp(m, msg, n - 3) && msg[n - 3] == ' ', t);
out:
	fx_fini(&f);
}

static const struct test_case tests[] = {
	TEST(test_module_names_from),
	TEST(test_header_figures),
	TEST(test_header_at_80_columns),
	TEST(test_light_not_measured),
	TEST(test_lost_events_highlighted),
	TEST(test_widths_and_alignment),
	TEST(test_columns_fixed),
	TEST(test_truncation),
	TEST(test_units_at_boundaries),
	TEST(test_sort_every_column),
	TEST(test_filter),
	TEST(test_scroll_limits),
	TEST(test_selection_by_identity),
	TEST(test_small_terminal_keeps_header),
	TEST(test_views_keys_and_pause),
	TEST(test_footer_message),
	TEST(test_timeline),
	TEST(test_sparkline_and_gone),
	TEST(test_rates_and_utf8),
	TEST(test_flag_line),
	TEST(test_procs_table),
	TEST(test_procs_open_one),
	TEST(test_procs_walk_once_an_interval),
	TEST(test_procs_single_process),
	TEST(test_procs_flags),
	TEST(test_procs_scroll),
};

int main(int argc, char **argv)
{
	struct fx f;
	int r;

	/* test_view --show: print a screen for a look */
	if (argc > 1 && !strcmp(argv[1], "--show") && fx_init(&f)) {
		six_sites(&f);
		publish(&f, 83);
		render(&f, 30, 160);
		for (r = 0; r < 30; r++)
			printf("%s|\n", row(&f, r));
		fx_fini(&f);
		return 0;
	}
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
