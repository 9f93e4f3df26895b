// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `tlsmem compare`, its pure part: one run read back from its JSON, sites
 * matched across runs and normalized per connection, the budget; see
 * compare.h. compare_cmd.c prints the table and the JSON and runs the
 * command.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"


/* ---- reading one run ---- */

static struct cmp_val val_at(const struct jsonr_node *obj, const char *key)
{
	struct cmp_val v = { 0, false };

	v.ok = jsonr_num(jsonr_get(obj, key), &v.v);
	return v;
}

/* The path of keys under root, e.g. "ssl_cost", "closed", "mean_peak_bytes". */
static struct cmp_val val_path(const struct jsonr_node *n, const char *a, const char *b,
			       const char *key)
{
	n = jsonr_get(n, a);
	if (b)
		n = jsonr_get(n, b);
	return val_at(n, key);
}

const char *cmp_base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

/* Shows every control byte of s as '?': names from a JSON file reach a terminal. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void cmp_clean_copy(char *buf, size_t cap, const char *s)
{
	snprintf(buf, cap, "%s", s ? s : "?");
	clean(buf);
}

/* "OpenSSL 3.0.19 27 Jan 2026" -> "OpenSSL 3.0.19": the first two words. */
static void short_version(char *buf, size_t cap, const char *v)
{
	const char *sp = strchr(v, ' ');

	if (sp)
		sp = strchr(sp + 1, ' ');
	snprintf(buf, cap, "%.*s", sp ? (int)(sp - v) : (int)strlen(v), v);
}

/* Who was observed: the first target's comm and pid, how many more; its OpenSSL. */
static void describe_targets(struct cmp_run *r)
{
	const struct jsonr_node *t = jsonr_first(r->targets), *o;
	char comm[40] = "?", ver[48] = "version unknown";
	const char *kind = "?", *path = NULL;
	double pid = 0;

	if (t) {
		cmp_clean_copy(comm, sizeof(comm), jsonr_str(jsonr_get(t, "comm")));
		jsonr_num(jsonr_get(t, "pid"), &pid);
	}
	for (o = jsonr_first(jsonr_get(t, "openssl")); o; o = jsonr_next(o)) {
		if (!strcmp(kind, "?") && jsonr_str(jsonr_get(o, "kind")))
			kind = jsonr_str(jsonr_get(o, "kind"));
		if (!path)
			path = jsonr_str(jsonr_get(o, "path"));
		if (jsonr_str(jsonr_get(o, "version"))) {
			path = jsonr_str(jsonr_get(o, "path")) ? jsonr_str(jsonr_get(o, "path")) : path;
			short_version(ver, sizeof(ver), jsonr_str(jsonr_get(o, "version")));
			kind = jsonr_str(jsonr_get(o, "kind")) ? jsonr_str(jsonr_get(o, "kind")) : kind;
			break;
		}
	}
	if (!t)
		snprintf(r->target, sizeof(r->target), "no target");
	else if (r->targets->count > 1)
		snprintf(r->target, sizeof(r->target), "%s +%u more", comm, r->targets->count - 1);
	else
		snprintf(r->target, sizeof(r->target), "%s (PID %.0f)", comm, pid);
	snprintf(r->openssl, sizeof(r->openssl), "%s %s", ver, kind);
	clean(r->openssl);
	cmp_clean_copy(r->object, sizeof(r->object), path ? cmp_base_name(path) : "-");
}

const char *cmp_norm_file(const char *f)
{
	static const char *const top[] = { "ssl/", "crypto/", "providers/", "include/", "engines/" };
	const char *p = f;
	size_t i;

	for (;;) {
		for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
			if (!strncmp(p, top[i], strlen(top[i])))
				return p;
		p = strchr(p, '/');
		if (!p)
			return f;
		p++;
	}
}

static int read_sites(struct cmp_run *r, const struct jsonr_node *arr, char *err, size_t errcap)
{
	const struct jsonr_node *e;
	size_t n = 0;
	double line;

	r->sites = calloc(arr->count ? arr->count : 1, sizeof(*r->sites));
	if (!r->sites) {
		snprintf(err, errcap, "out of memory");
		return -ENOMEM;
	}
	for (e = jsonr_first(arr); e; e = jsonr_next(e), n++) {
		struct cmp_site *s = &r->sites[n];

		s->file = jsonr_str(jsonr_get(e, "file"));
		s->caller = jsonr_str(jsonr_get(e, "caller"));
		if (!s->file || !s->caller || !jsonr_num(jsonr_get(e, "line"), &line) ||
		    !jsonr_num(jsonr_get(e, "live_bytes"), &s->live_bytes) || fabs(line) > 1e9) {
			snprintf(err, errcap, "not tlsmem's JSON: sites[%zu] lacks file, line, caller "
				 "or live_bytes", n);
			return -EINVAL;
		}
		s->line = (long)line;
		s->file = cmp_norm_file(s->file);
		jsonr_num(jsonr_get(e, "live_blocks"), &s->live_blocks);
		s->alloc_bytes = val_at(e, "alloc_bytes");
	}
	r->nsites = n;
	return 0;
}

/* The keys every tlsmem --json has had; 0 or -EINVAL with the reason. */
static int check_shape(const struct jsonr_node *root, char *err, size_t errcap)
{
	static const struct { const char *key; enum jsonr_type t; } need[] = {
		{ "targets", JSONR_ARR }, { "ssl", JSONR_OBJ }, { "heap", JSONR_OBJ },
		{ "events", JSONR_OBJ }, { "sites", JSONR_ARR },
	};
	const struct jsonr_node *n;
	size_t i;

	if (!root || root->type != JSONR_OBJ) {
		snprintf(err, errcap, "not tlsmem's JSON: not an object");
		return -EINVAL;
	}
	if (jsonr_get(root, "runs") && jsonr_get(root, "basis")) {
		snprintf(err, errcap, "the output of tlsmem compare, not of one run");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		n = jsonr_get(root, need[i].key);
		if (!n || n->type != need[i].t) {
			snprintf(err, errcap, "not tlsmem's JSON: no \"%s\" %s", need[i].key,
				 need[i].t == JSONR_ARR ? "array" : "object");
			return -EINVAL;
		}
	}
	return 0;
}

/* A "format" other than ours; files written before the key existed are format 1. */
static int check_format(const struct jsonr_node *root, char *err, size_t errcap)
{
	const struct jsonr_node *f = jsonr_get(root, "format");
	double v;

	if (!f)
		return 0;
	if (!jsonr_num(f, &v)) {
		snprintf(err, errcap, "not tlsmem's JSON: \"format\" is not a number");
		return -EINVAL;
	}
	if (v == CMP_FORMAT)
		return 0;
	snprintf(err, errcap, "format %g of tlsmem's JSON, this tlsmem reads format %d "
		 "(compare runs saved by the same tlsmem version)", v, CMP_FORMAT);
	return -EPROTO;
}

static void read_figures(struct cmp_run *r, const struct jsonr_node *root)
{
	const struct jsonr_node *ssl = jsonr_get(root, "ssl"), *heap = jsonr_get(root, "heap");
	struct cmp_val objects = val_path(root, "ssl_cost", NULL, "objects");
	struct cmp_val closed = val_path(root, "ssl_cost", "closed", "objects");
	struct cmp_val all = val_path(root, "ssl_cost", "all", "objects");

	jsonr_num(jsonr_get(root, "duration_s"), &r->duration_s);
	r->ssl_live = val_at(ssl, "live");
	r->ssl_peak_live = val_at(ssl, "peak_live");
	r->ssl_created = val_at(ssl, "created");
	r->ssl_freed = val_at(ssl, "freed");
	r->live_bytes = val_at(heap, "live_bytes");
	r->peak_live_bytes = val_at(heap, "peak_live_bytes");
	r->allocs = val_at(heap, "allocs");
	r->bytes_per_live_ssl = val_at(heap, "bytes_per_live_ssl");
	/* 0 with no SSL object created since attach is no figure */
	if (objects.ok && objects.v <= 0)
		r->bytes_per_live_ssl.ok = false;
	if (!objects.ok && r->bytes_per_live_ssl.v <= 0)
		r->bytes_per_live_ssl.ok = false;
	r->closed_mean_peak = val_path(root, "ssl_cost", "closed", "mean_peak_bytes");
	r->closed_mean_peak.ok &= closed.ok && closed.v > 0;
	r->all_mean_peak = val_path(root, "ssl_cost", "all", "mean_peak_bytes");
	r->all_mean_peak.ok &= all.ok && all.v > 0;
	r->rss_slope = val_path(root, "estimate", NULL, "rss_per_ssl_bytes");
	jsonr_num(jsonr_get(jsonr_get(root, "events"), "lost"), &r->events_lost);
	r->complete = r->events_lost == 0;
	if (jsonr_get(root, "complete"))
		jsonr_bool(jsonr_get(root, "complete"), &r->complete);
}

int cmp_run_parse(struct cmp_run *r, const char *text, size_t len, char *err, size_t errcap)
{
	const struct jsonr_node *root;
	char why[160];
	int rc;

	r->doc = jsonr__parse(text, len, why, sizeof(why));
	if (!r->doc) {
		rc = -errno;
		if (rc == -EINVAL)
			snprintf(err, errcap, "not JSON (%s)", why);
		else
			snprintf(err, errcap, "%s", strerror(-rc));
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	root = jsonr__root(r->doc);
	rc = check_shape(root, err, errcap);
	if (!rc)
		rc = check_format(root, err, errcap);
	if (!rc) {
		r->targets = jsonr_get(root, "targets");
		describe_targets(r);
		read_figures(r, root);
		rc = read_sites(r, jsonr_get(root, "sites"), err, errcap);
	}
	if (rc)
		cmp_run_free(r);
	return rc;
}

void cmp_run_free(struct cmp_run *r)
{
	if (!r)
		return;
	jsonr__free(r->doc);
	free(r->sites);
	r->doc = NULL;
	r->sites = NULL;
	r->nsites = 0;
}

/* ---- normalization ---- */

struct cmp_val cmp_site_per_conn(const struct cmp_run *r, const struct cmp_site *s,
				 enum cmp_basis b)
{
	struct cmp_val v = { 0, false };

	if (b == CMP_BASIS_LIVE && r->ssl_live.ok && r->ssl_live.v > 0) {
		v.v = s->live_bytes / r->ssl_live.v;
		v.ok = true;
	} else if (b == CMP_BASIS_ALLOC && s->alloc_bytes.ok && r->ssl_created.ok &&
		   r->ssl_created.v > 0) {
		v.v = s->alloc_bytes.v / r->ssl_created.v;
		v.ok = true;
	}
	return v;
}

/* The run can normalize its sites on the basis (a site absent from it counts 0). */
static bool run_normalizes(const struct cmp_run *r, enum cmp_basis b)
{
	if (b == CMP_BASIS_LIVE)
		return r->ssl_live.ok && r->ssl_live.v > 0;
	if (!r->ssl_created.ok || r->ssl_created.v <= 0)
		return false;
	return !r->nsites || r->sites[0].alloc_bytes.ok;
}

struct cmp_val cmp_conn_bytes(const struct cmp_run *r, enum cmp_basis b)
{
	return b == CMP_BASIS_LIVE ? r->bytes_per_live_ssl : r->all_mean_peak;
}

/* Live connections in every run: what they hold. Otherwise what each allocated. */
static enum cmp_basis choose_basis(const struct cmp *c)
{
	int k;

	for (k = 0; k < c->nruns; k++)
		if (!run_normalizes(&c->run[k], CMP_BASIS_LIVE))
			break;
	if (k == c->nruns)
		return CMP_BASIS_LIVE;
	for (k = 0; k < c->nruns; k++)
		if (!run_normalizes(&c->run[k], CMP_BASIS_ALLOC))
			return CMP_BASIS_LIVE;
	return CMP_BASIS_ALLOC;
}

/* ---- matching ---- */

struct ref {
	int run;
	const struct cmp_site *s;
};

/* By file, caller, line: a site's lines in other versions sort next to it. */
static int ref_cmp(const void *a, const void *b)
{
	const struct cmp_site *x = ((const struct ref *)a)->s, *y = ((const struct ref *)b)->s;
	int d = strcmp(x->file, y->file);

	if (!d)
		d = strcmp(x->caller, y->caller);
	if (!d)
		d = (x->line > y->line) - (x->line < y->line);
	if (!d)
		d = (((const struct ref *)a)->run > ((const struct ref *)b)->run) -
		    (((const struct ref *)a)->run < ((const struct ref *)b)->run);
	return d;
}

static bool same_key(const struct cmp_site *x, const struct cmp_site *y, bool line)
{
	return !strcmp(x->file, y->file) && !strcmp(x->caller, y->caller) &&
	       (!line || x->line == y->line);
}

/* Adds a site of run k to row w (the same site listed twice is summed). */
static void row_add(const struct cmp *c, struct cmp_row *w, int k, const struct cmp_site *s)
{
	struct cmp_val v = cmp_site_per_conn(&c->run[k], s, c->basis);

	w->file = s->file;
	w->caller = s->caller;
	w->line[k] = s->line;
	w->in[k] = true;
	if (v.ok)
		w->per[k] += v.v;
}

/*
 * Rows of one (file, caller) group that no run lists together are one site
 * whose line moved between versions: merged into the first.
 */
static size_t merge_moved(struct cmp_row *g, size_t n, int nruns)
{
	size_t i;
	int k;

	if (n < 2)
		return n;
	for (k = 0; k < nruns; k++) {
		int seen = 0;

		for (i = 0; i < n; i++)
			seen += g[i].in[k];
		if (seen > 1)
			return n;
	}
	for (i = 1; i < n; i++) {
		for (k = 0; k < nruns; k++) {
			if (!g[i].in[k])
				continue;
			g[0].in[k] = true;
			g[0].line[k] = g[i].line[k];
			g[0].per[k] = g[i].per[k];
		}
	}
	g[0].match = CMP_LINE_MOVED;
	return 1;
}

static int row_cmp(const void *a, const void *b)
{
	const struct cmp_row *x = a, *y = b;
	int d = (x->sort < y->sort) - (x->sort > y->sort);

	if (!d)
		d = strcmp(x->file, y->file);
	if (!d)
		d = strcmp(x->caller, y->caller);
	return d;
}

/* per[] defined where the run normalizes; deltas against BASE; largest change first. */
static void finish_rows(struct cmp *c)
{
	bool norm[CMP_MAX_RUNS];
	size_t i;
	int k;

	for (k = 0; k < c->nruns; k++)
		norm[k] = run_normalizes(&c->run[k], c->basis);
	for (i = 0; i < c->nrows; i++) {
		struct cmp_row *w = &c->rows[i];

		w->sort = 0;
		for (k = 0; k < c->nruns; k++) {
			w->has[k] = norm[k];
			w->delta[k] = k && norm[k] && norm[0] ? w->per[k] - w->per[0] : 0;
			w->sort = fmax(w->sort, fabs(w->delta[k]));
		}
	}
	qsort(c->rows, c->nrows, sizeof(*c->rows), row_cmp);
}

bool cmp_is_address(const char *caller)
{
	return strstr(caller, "0x") != NULL;
}

static long first_line(const struct cmp_row *w)
{
	int k;

	for (k = 0; k < CMP_MAX_RUNS - 1 && !w->in[k]; k++)
		;
	return w->line[k];
}

static int row_line_cmp(const void *a, const void *b)
{
	const struct cmp_row *x = a, *y = b;
	int d = strcmp(x->file, y->file);

	if (!d)
		d = (first_line(x) > first_line(y)) - (first_line(x) < first_line(y));
	if (!d)
		d = strcmp(x->caller, y->caller);
	return d;
}

/*
 * Rows of one file:line whose callers are addresses but for one name at most
 * (a stripped build beside one with symbols), no run listing two of them.
 * *name: that name, or NULL.
 */
static bool unnamed_group(const struct cmp_row *g, size_t n, int nruns, const char **name)
{
	size_t i;
	int k, seen;

	*name = NULL;
	for (i = 0; i < n; i++) {
		if (g[i].match != CMP_EXACT)
			return false;
		if (cmp_is_address(g[i].caller))
			continue;
		if (*name && strcmp(*name, g[i].caller))
			return false;
		*name = g[i].caller;
	}
	for (k = 0; k < nruns; k++) {
		for (i = 0, seen = 0; i < n; i++)
			seen += g[i].in[k];
		if (seen > 1)
			return false;
	}
	return true;
}

/*
 * Sites whose callers have no name (an address in a stripped build) are
 * matched by file:line alone when that is unambiguous. Returns the new count.
 */
static size_t merge_unnamed(struct cmp_row *rows, size_t n, int nruns)
{
	size_t i = 0, j, m, out = 0;
	const char *name;
	int k;

	qsort(rows, n, sizeof(*rows), row_line_cmp);
	while (i < n) {
		for (j = i + 1; j < n && !strcmp(rows[j].file, rows[i].file) &&
		     first_line(&rows[j]) == first_line(&rows[i]); j++)
			;
		if (j - i > 1 && unnamed_group(&rows[i], j - i, nruns, &name)) {
			for (m = i + 1; m < j; m++)
				for (k = 0; k < nruns; k++) {
					if (!rows[m].in[k])
						continue;
					rows[i].in[k] = true;
					rows[i].line[k] = rows[m].line[k];
					rows[i].per[k] = rows[m].per[k];
				}
			rows[i].match = CMP_CALLER_UNNAMED;
			rows[i].caller = name ? name : rows[i].caller;
			rows[out++] = rows[i];
		} else {
			for (m = i; m < j; m++)
				rows[out++] = rows[m];
		}
		i = j;
	}
	return out;
}

/* Groups sorted refs into rows: one per (file, line, caller), then moved lines merged. */
static size_t group_rows(struct cmp *c, const struct ref *v, size_t n)
{
	size_t i = 0, nrows = 0, g, gn;

	while (i < n) {
		size_t j = i;

		while (j < n && same_key(v[j].s, v[i].s, false))
			j++;
		/* [i, j): one (file, caller); rows by line */
		g = nrows;
		for (; i < j; i++) {
			if (i == 0 || nrows == g || !same_key(v[i].s, v[i - 1].s, true))
				nrows++;
			row_add(c, &c->rows[nrows - 1], v[i].run, v[i].s);
		}
		gn = merge_moved(&c->rows[g], nrows - g, c->nruns);
		if (gn < nrows - g)
			memset(&c->rows[g + gn], 0, (nrows - g - gn) * sizeof(*c->rows));
		nrows = g + gn;
	}
	return nrows;
}

int cmp_build(struct cmp *c)
{
	struct ref *v;
	size_t n = 0, i;
	int k;

	c->basis = choose_basis(c);
	for (k = 0; k < c->nruns; k++)
		n += c->run[k].nsites;
	v = calloc(n ? n : 1, sizeof(*v));
	c->rows = calloc(n ? n : 1, sizeof(*c->rows));
	if (!v || !c->rows) {
		free(v);
		return -ENOMEM;
	}
	n = 0;
	for (k = 0; k < c->nruns; k++)
		for (i = 0; i < c->run[k].nsites; i++)
			v[n++] = (struct ref){ k, &c->run[k].sites[i] };
	qsort(v, n, sizeof(*v), ref_cmp);
	c->nrows = group_rows(c, v, n);
	c->nrows = merge_unnamed(c->rows, c->nrows, c->nruns);
	free(v);
	finish_rows(c);
	return 0;
}

void cmp_free(struct cmp *c)
{
	int k;

	if (!c)
		return;
	free(c->rows);
	c->rows = NULL;
	for (k = 0; k < c->nruns; k++)
		cmp_run_free(&c->run[k]);
}

/* ---- the budget ---- */

bool cmp_judge(const struct cmp *c, int k, double pct, double site_bytes, struct cmp_verdict *v)
{
	struct cmp_val b = cmp_conn_bytes(&c->run[0], c->basis);
	struct cmp_val r = cmp_conn_bytes(&c->run[k], c->basis);
	size_t i;

	memset(v, 0, sizeof(*v));
	v->change_pct = NAN;
	if (b.ok && r.ok && b.v > 0)
		v->change_pct = (r.v - b.v) / b.v * 100;
	if (pct < 0 && site_bytes < 0)
		return true;
	v->incomplete = !c->run[0].complete || !c->run[k].complete;
	if (pct >= 0) {
		v->no_figure = isnan(v->change_pct);
		v->over_pct = !v->no_figure && v->change_pct > pct;
	}
	if (site_bytes >= 0) {
		if (!run_normalizes(&c->run[0], c->basis) || !run_normalizes(&c->run[k], c->basis))
			v->no_figure = true;
		for (i = 0; i < c->nrows; i++)
			if (c->rows[i].delta[k] > site_bytes)
				v->over_site = true;
	}
	return !v->incomplete && !v->no_figure && !v->over_pct && !v->over_site;
}
