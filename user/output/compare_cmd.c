// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `tlsmem compare`, the command: the runs' files read, the table and the
 * JSON written, the budget said; see compare.h.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "compare.h"
#include "jsonw.h"
#include "log.h"
#include "fmt.h"

#define FILE_MAX	(64u << 20)	/* bytes in one run's JSON: more is not ours */
#define GREW_MAX	5		/* sites named in a budget message */

/* ---- the table ---- */

#define LABEL_W	30
#define COL_W	22

static char *fmt_val(char *buf, size_t cap, struct cmp_val v, bool bytes)
{
	if (!v.ok)
		snprintf(buf, cap, "-");
	else if (bytes)
		fmt_bytes(buf, cap, v.v);
	else
		snprintf(buf, cap, "%.0f", v.v);
	return buf;
}

/* "+1.2 KiB", "-32 B", "0 B" */
static char *delta_text(char *buf, size_t cap, double d)
{
	char t[24];

	fmt_bytes(t, sizeof(t), fabs(d));
	snprintf(buf, cap, "%s%s", d > 0 && strcmp(t, "0 B") ? "+" : d < 0 && strcmp(t, "0 B") ?
		 "-" : "", t);
	return buf;
}

static const char *basis_words(enum cmp_basis b)
{
	return b == CMP_BASIS_LIVE ? "live bytes / live SSL" : "bytes allocated / SSL created";
}

typedef void (*cell_fn)(const struct cmp *c, int k, char *buf, size_t cap);

static void cell_file(const struct cmp *c, int k, char *b, size_t n)
{
	cmp_clean_copy(b, n, cmp_base_name(c->run[k].path));
}

static void cell_target(const struct cmp *c, int k, char *b, size_t n)
{
	snprintf(b, n, "%s", c->run[k].target);
}

static void cell_openssl(const struct cmp *c, int k, char *b, size_t n)
{
	snprintf(b, n, "%s", c->run[k].openssl);
}

static void cell_object(const struct cmp *c, int k, char *b, size_t n)
{
	snprintf(b, n, "%s", c->run[k].object);
}

static void cell_duration(const struct cmp *c, int k, char *b, size_t n)
{
	snprintf(b, n, "%.1f s", c->run[k].duration_s);
}

static void cell_live(const struct cmp *c, int k, char *b, size_t n)
{
	char t[32];

	fmt_val(b, n, c->run[k].ssl_live, false);
	snprintf(b + strlen(b), n - strlen(b), " (%s)",
		 fmt_val(t, sizeof(t), c->run[k].ssl_peak_live, false));
}

static void cell_created(const struct cmp *c, int k, char *b, size_t n)
{
	char x[32], y[32];

	snprintf(b, n, "%s / %s", fmt_val(x, sizeof(x), c->run[k].ssl_created, false),
		 fmt_val(y, sizeof(y), c->run[k].ssl_freed, false));
}

static void cell_live_bytes(const struct cmp *c, int k, char *b, size_t n)
{
	char x[32], y[32];

	snprintf(b, n, "%s (%s)", fmt_val(x, sizeof(x), c->run[k].live_bytes, true),
		 fmt_val(y, sizeof(y), c->run[k].peak_live_bytes, true));
}

/* A figure, and its change against BASE in runs after it. */
static void with_change(const struct cmp *c, int k, struct cmp_val v, struct cmp_val b,
			char *buf, size_t n)
{
	fmt_val(buf, n, v, true);
	if (k && v.ok && b.ok && b.v > 0)
		snprintf(buf + strlen(buf), n - strlen(buf), " %+.1f%%", (v.v - b.v) / b.v * 100);
	(void)c;
}

static void cell_per_live(const struct cmp *c, int k, char *b, size_t n)
{
	with_change(c, k, c->run[k].bytes_per_live_ssl, c->run[0].bytes_per_live_ssl, b, n);
}

static void cell_closed(const struct cmp *c, int k, char *b, size_t n)
{
	with_change(c, k, c->run[k].closed_mean_peak, c->run[0].closed_mean_peak, b, n);
}

static void cell_all(const struct cmp *c, int k, char *b, size_t n)
{
	with_change(c, k, c->run[k].all_mean_peak, c->run[0].all_mean_peak, b, n);
}

static void cell_slope(const struct cmp *c, int k, char *b, size_t n)
{
	with_change(c, k, c->run[k].rss_slope, c->run[0].rss_slope, b, n);
}

static struct cmp_val allocs_per_ssl(const struct cmp_run *r)
{
	struct cmp_val v = { 0, false };

	if (r->allocs.ok && r->ssl_created.ok && r->ssl_created.v > 0) {
		v.v = r->allocs.v / r->ssl_created.v;
		v.ok = true;
	}
	return v;
}

static void cell_allocs(const struct cmp *c, int k, char *b, size_t n)
{
	struct cmp_val v = allocs_per_ssl(&c->run[k]);

	if (v.ok)
		snprintf(b, n, "%.1f", v.v);
	else
		snprintf(b, n, "-");
}

static void cell_lost(const struct cmp *c, int k, char *b, size_t n)
{
	snprintf(b, n, "%.0f%s", c->run[k].events_lost, c->run[k].complete ? "" : " INCOMPLETE");
}

static const struct {
	const char *label;
	cell_fn fn;
} table_rows[] = {
	{ "", cell_file },
	{ "target", cell_target },
	{ "OpenSSL", cell_openssl },
	{ "OpenSSL in", cell_object },
	{ "duration", cell_duration },
	{ "live SSL (peak)", cell_live },
	{ "SSL created / freed", cell_created },
	{ "OpenSSL live bytes (peak)", cell_live_bytes },
	{ "OpenSSL bytes per live SSL", cell_per_live },
	{ "closed conn., mean peak", cell_closed },
	{ "all conn., mean peak", cell_all },
	{ "RSS slope per SSL", cell_slope },
	{ "allocations per SSL created", cell_allocs },
	{ "events lost", cell_lost },
};

static void print_runs(FILE *f, const struct cmp *c)
{
	char cell[128];
	size_t i;
	int k;

	fprintf(f, "%-*s", LABEL_W, "");
	for (k = 0; k < c->nruns; k++) {
		snprintf(cell, sizeof(cell), k ? "RUN %d" : "BASE", k);
		fprintf(f, " %-*s", COL_W, cell);
	}
	putc('\n', f);
	for (i = 0; i < sizeof(table_rows) / sizeof(table_rows[0]); i++) {
		fprintf(f, "%-*s", LABEL_W, table_rows[i].label);
		for (k = 0; k < c->nruns; k++) {
			table_rows[i].fn(c, k, cell, sizeof(cell));
			fprintf(f, " %-*.*s", COL_W, COL_W, cell);
		}
		putc('\n', f);
	}
}

/* "file:line caller"; "file:* caller" when the line differs between runs. */
static void site_name(const struct cmp_row *w, char *buf, size_t cap)
{
	char file[64], caller[40];
	int k;

	cmp_clean_copy(file, sizeof(file), w->file);
	cmp_clean_copy(caller, sizeof(caller), w->caller);
	for (k = 0; k < CMP_MAX_RUNS - 1 && !w->in[k]; k++)
		;
	if (w->match == CMP_LINE_MOVED)
		snprintf(buf, cap, "%s:* %s", file, caller);
	else if (w->match == CMP_CALLER_UNNAMED)
		snprintf(buf, cap, "%s:%ld %s%s", file, w->line[k], cmp_is_address(w->caller) ? "" : caller,
			 cmp_is_address(w->caller) ? "(callers unnamed)" : "~");
	else
		snprintf(buf, cap, "%s:%ld %s", file, w->line[k], caller);
}

static void print_sites(FILE *f, const struct cmp *c, size_t max)
{
	char name[160], t[32];
	size_t i, shown = 0, same = 0;
	int k;

	fprintf(f, "\nsites by change in bytes per connection (%s) against BASE:\n",
		basis_words(c->basis));
	fprintf(f, "%-64s %10s", "SITE (file:line caller)", "BASE");
	for (k = 1; k < c->nruns; k++) {
		snprintf(name, sizeof(name), "RUN %d", k);
		fprintf(f, " %10s", name);
		snprintf(name, sizeof(name), "CHANGE %d", k);
		fprintf(f, " %10s", name);
	}
	putc('\n', f);
	for (i = 0; i < c->nrows; i++) {
		const struct cmp_row *w = &c->rows[i];

		if (w->sort < 0.5) {		/* prints as 0 B in every run */
			same++;
			continue;
		}
		if (max && shown == max)
			continue;
		shown++;
		site_name(w, name, sizeof(name));
		fprintf(f, "%-64.64s", name);
		for (k = 0; k < c->nruns; k++) {
			fprintf(f, " %10s", !w->has[k] ? "-" : !w->in[k] ? "absent" :
				fmt_bytes(t, sizeof(t), w->per[k]));
			if (k)
				fprintf(f, " %10s", w->has[k] && w->has[0] ?
					delta_text(t, sizeof(t), w->delta[k]) : "-");
		}
		putc('\n', f);
	}
	if (c->nrows - same > shown)
		fprintf(f, "(%zu more changed sites; -n 0 shows all)\n", c->nrows - same - shown);
	if (same)
		fprintf(f, "(%zu sites changed by less than 0.5 B per connection)\n", same);
}

/* Sites a run lists that BASE does not, and the reverse; line-moved sites said so. */
static void print_unmatched(FILE *f, const struct cmp *c)
{
	size_t i, base_only, run_only, moved = 0, unnamed = 0;
	int k;

	for (i = 0; i < c->nrows; i++) {
		moved += c->rows[i].match == CMP_LINE_MOVED;
		unnamed += c->rows[i].match == CMP_CALLER_UNNAMED;
	}
	for (k = 1; k < c->nruns; k++) {
		base_only = run_only = 0;
		for (i = 0; i < c->nrows; i++) {
			base_only += c->rows[i].in[0] && !c->rows[i].in[k];
			run_only += !c->rows[i].in[0] && c->rows[i].in[k];
		}
		if (base_only || run_only)
			fprintf(f, "not matched: %zu sites only in BASE, %zu only in RUN %d "
				"(\"absent\" above)\n", base_only, run_only, k);
	}
	if (moved)
		fprintf(f, "%zu sites matched by file and caller with another line (\"*\"); "
			"the lines are in --json\n", moved);
	if (unnamed)
		fprintf(f, "%zu sites matched by file and line (\"~\"), their callers unnamed in "
			"some runs\n", unnamed);
}

/* ---- the JSON ---- */

static void json_val(struct jsonw *w, const char *key, struct cmp_val v)
{
	jsonw__key(w, key);
	if (v.ok)
		jsonw__double(w, v.v);
	else
		jsonw__null(w);
}

/* A value read from a run, written back as it was. */
static void json_copy(struct jsonw *w, const struct jsonr_node *n)
{
	const struct jsonr_node *c;

	switch (n->type) {
	case JSONR_NULL:
		jsonw__null(w);
		break;
	case JSONR_BOOL:
		jsonw__bool(w, n->b);
		break;
	case JSONR_NUM:
		jsonw__double(w, n->num);
		break;
	case JSONR_STR:
		jsonw__str(w, n->str);
		break;
	case JSONR_ARR:
	case JSONR_OBJ:
		if (n->type == JSONR_ARR)
			jsonw__arr_open(w);
		else
			jsonw__obj_open(w);
		for (c = jsonr_first(n); c; c = jsonr_next(c)) {
			if (c->key)
				jsonw__key(w, c->key);
			json_copy(w, c);
		}
		if (n->type == JSONR_ARR)
			jsonw__arr_close(w);
		else
			jsonw__obj_close(w);
		break;
	}
}

static void json_run(struct jsonw *w, const struct cmp *c, int k, const struct cmp_verdict *v)
{
	const struct cmp_run *r = &c->run[k];
	struct cmp_val pct = { v->change_pct, !isnan(v->change_pct) };

	jsonw__obj_open(w);
	jsonw__key(w, "file");
	jsonw__str(w, r->path);
	jsonw__key(w, "targets");
	json_copy(w, r->targets);
	jsonw__key(w, "duration_s");
	jsonw__double(w, r->duration_s);
	json_val(w, "ssl_live", r->ssl_live);
	json_val(w, "ssl_peak_live", r->ssl_peak_live);
	json_val(w, "ssl_created", r->ssl_created);
	json_val(w, "ssl_freed", r->ssl_freed);
	json_val(w, "live_bytes", r->live_bytes);
	json_val(w, "peak_live_bytes", r->peak_live_bytes);
	json_val(w, "bytes_per_live_ssl", r->bytes_per_live_ssl);
	json_val(w, "closed_mean_peak_bytes", r->closed_mean_peak);
	json_val(w, "all_mean_peak_bytes", r->all_mean_peak);
	json_val(w, "rss_per_ssl_bytes", r->rss_slope);
	json_val(w, "allocs_per_ssl", allocs_per_ssl(r));
	json_val(w, "bytes_per_conn", cmp_conn_bytes(r, c->basis));
	json_val(w, "bytes_per_conn_change_pct", k ? pct : (struct cmp_val){ 0, false });
	jsonw__key(w, "events_lost");
	jsonw__double(w, r->events_lost);
	jsonw__key(w, "complete");
	jsonw__bool(w, r->complete);
	jsonw__obj_close(w);
}

static void json_row(struct jsonw *w, const struct cmp *c, const struct cmp_row *r)
{
	int k;

	jsonw__obj_open(w);
	jsonw__key(w, "file");
	jsonw__str(w, r->file);
	jsonw__key(w, "line");
	for (k = 0; k < c->nruns && !r->in[k]; k++)
		;
	jsonw__s64(w, r->line[k < c->nruns ? k : 0]);
	jsonw__key(w, "caller");
	jsonw__str(w, r->caller);
	jsonw__key(w, "matched");
	for (k = 0; k < c->nruns && r->in[k]; k++)
		;
	jsonw__str(w, k < c->nruns ? "unmatched" : r->match == CMP_LINE_MOVED ? "file_caller" :
		   r->match == CMP_CALLER_UNNAMED ? "file_line" : "file_line_caller");
	jsonw__key(w, "lines");
	jsonw__arr_open(w);
	for (k = 0; k < c->nruns; k++)
		r->in[k] ? jsonw__s64(w, r->line[k]) : jsonw__null(w);
	jsonw__arr_close(w);
	jsonw__key(w, "per_ssl");
	jsonw__arr_open(w);
	for (k = 0; k < c->nruns; k++)
		r->has[k] ? jsonw__double(w, r->per[k]) : jsonw__null(w);
	jsonw__arr_close(w);
	jsonw__key(w, "delta_per_ssl");
	jsonw__arr_open(w);
	for (k = 0; k < c->nruns; k++)
		r->has[k] && r->has[0] ? jsonw__double(w, r->delta[k]) : jsonw__null(w);
	jsonw__arr_close(w);
	jsonw__obj_close(w);
}

/* ---- the command ---- */

struct cmp_opts {
	const char *json;		/* NULL: the table; "-": JSON on stdout */
	double pct, site_bytes;		/* < 0: not set */
	size_t max_sites;
};

static const char usage_text[] =
"Usage: tlsmem compare [--json[=FILE]] [--fail-above PCT] [--fail-above-site BYTES]\n"
"                      [-n N] BASE.json RUN.json...\n"
"\n"
"Compares runs saved with tlsmem --json against the first (BASE): what was\n"
"observed, OpenSSL's bytes per connection, then the sites whose bytes per\n"
"connection changed most, matched by OpenSSL file:line and caller.\n"
"\n"
"      --json[=FILE]          the comparison as one JSON object, on stdout or in\n"
"                             FILE (- is stdout; then no table)\n"
"      --fail-above PCT       exit 3 when a run's OpenSSL bytes per connection\n"
"                             exceed BASE's by more than PCT percent\n"
"      --fail-above-site BYTES\n"
"                             exit 3 when any site grew by more than BYTES per\n"
"                             connection against BASE\n"
"  -n, --sites N              sites in the table (default 20, 0: all)\n"
"  -h, --help                 this text\n"
"\n"
"A run that lost events never passes a budget.\n"
"Exit status: 0 ok, 1 runtime error, 2 bad arguments or input, 3 over budget.\n";

enum { OPT_JSON = 256, OPT_FAIL_ABOVE, OPT_FAIL_ABOVE_SITE };

static const struct option longopts[] = {
	{ "json",            optional_argument, NULL, OPT_JSON },
	{ "fail-above",      required_argument, NULL, OPT_FAIL_ABOVE },
	{ "fail-above-site", required_argument, NULL, OPT_FAIL_ABOVE_SITE },
	{ "sites",           required_argument, NULL, 'n' },
	{ "help",            no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A finite number >= 0, nothing after it. */
static int parse_amount(const char *opt, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (end != s && !*end && !errno && isfinite(*out) && *out >= 0 && !strchr(s, '-'))
		return 0;
	p_err("compare: %s %s: expected a number >= 0", opt, s);
	return 2;
}

static int parse_sites(const char *s, size_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || errno || strchr(s, '-') || v > 1000000) {
		p_err("compare: -n %s: expected a count from 0 to 1000000", s);
		return 2;
	}
	*out = v;
	return 0;
}

static int parse_one(int ch, struct cmp_opts *o)
{
	switch (ch) {
	case OPT_JSON:
		o->json = optarg && *optarg ? optarg : "-";
		return 0;
	case OPT_FAIL_ABOVE:
		return parse_amount("--fail-above", optarg, &o->pct);
	case OPT_FAIL_ABOVE_SITE:
		return parse_amount("--fail-above-site", optarg, &o->site_bytes);
	case 'n':
		return parse_sites(optarg, &o->max_sites);
	case 'h':
		fputs(usage_text, stdout);
		return -1;
	default:
		fputs(usage_text, stderr);
		return 2;
	}
}

/* Options into o, operands from *first; 0, -1 (help shown) or 2. */
static int parse_args(int argc, char **argv, struct cmp_opts *o, int *first)
{
	int ch, rc;

	o->pct = o->site_bytes = -1;
	o->max_sites = 20;
	optind = 0;	/* GNU getopt: start afresh */
	while ((ch = getopt_long(argc, argv, "hn:", longopts, NULL)) != -1) {
		rc = parse_one(ch, o);
		if (rc)
			return rc;
	}
	if (argc - optind < 2 || argc - optind > CMP_MAX_RUNS) {
		p_err("compare: expected BASE.json and 1 to %d RUN.json, got %d file%s",
		      CMP_MAX_RUNS - 1, argc - optind, argc - optind == 1 ? "" : "s");
		fputs(usage_text, stderr);
		return 2;
	}
	*first = optind;
	return 0;
}

/* The whole file, bounded; malloc'd into *buf. 0 or -errno (-EFBIG when too long). */
static int slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, n = 0, got;
	char *p;
	int err = 0;

	*buf = NULL;
	if (!f)
		return -errno;
	do {
		if (n == cap) {
			if (cap >= FILE_MAX) {
				err = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			p = realloc(*buf, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			*buf = p;
		}
		got = fread(*buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	fclose(f);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	*len = n;
	return err;
}

/* Reads and parses one file into r; 0 or the exit status after a message. */
static int load_text(struct cmp_run *r, const char *path, char *text, size_t len)
{
	char err[256];
	int rc;

	r->path = path;
	rc = cmp_run_parse(r, text, len, err, sizeof(err));
	if (!rc)
		return 0;
	if (rc == -ENOMEM) {
		p_err("%s: out of memory", path);
		return 1;
	}
	p_err("%s: %s%s", path, err, rc == -EPROTO ? "" :
	      "; expected the output of tlsmem --json");
	return 2;
}

static int read_error(const char *path, int err)
{
	p_err("cannot read %s: %s", path, err == -EFBIG ? "larger than 64 MiB (not one run's "
	      "JSON)" : strerror(-err));
	return err == -ENOMEM ? 1 : 2;
}

int cmp_run_load(struct cmp_run *r, const char *path, bool *is_run)
{
	size_t len, i = 0;
	char *text;
	int err, rc;

	memset(r, 0, sizeof(*r));
	err = slurp(path, &text, &len);
	if (err)
		return read_error(path, err);
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	*is_run = i < len && text[i] == '{';
	rc = *is_run ? load_text(r, path, text, len) : 0;
	free(text);
	return rc;
}

/* Refuses a file given twice, by name or by content; 0 or 2. */
static int check_distinct(char **paths, int n, char **texts, size_t *lens)
{
	struct stat st[CMP_MAX_RUNS];
	bool have[CMP_MAX_RUNS];
	int i, j;

	for (i = 0; i < n; i++)
		have[i] = !stat(paths[i], &st[i]);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			if (have[i] && have[j] && st[i].st_dev == st[j].st_dev &&
			    st[i].st_ino == st[j].st_ino) {
				p_err("compare: %s and %s are the same file: give two different runs",
				      paths[i], paths[j]);
				return 2;
			}
			if (lens[i] == lens[j] && !memcmp(texts[i], texts[j], lens[i])) {
				p_err("compare: %s and %s hold the same run (identical content): "
				      "give two different runs", paths[i], paths[j]);
				return 2;
			}
		}
	return 0;
}

static int load_all(struct cmp *c, char **paths, int n)
{
	char *texts[CMP_MAX_RUNS] = { NULL };
	size_t lens[CMP_MAX_RUNS];
	int k, err, rc = 0;

	for (k = 0; k < n && !rc; k++) {
		err = slurp(paths[k], &texts[k], &lens[k]);
		if (err)
			rc = read_error(paths[k], err);
	}
	if (!rc)
		rc = check_distinct(paths, n, texts, lens);
	for (k = 0; k < n && !rc; k++) {
		rc = load_text(&c->run[k], paths[k], texts[k], lens[k]);
		if (!rc)
			c->nruns++;
	}
	for (k = 0; k < n; k++)
		free(texts[k]);
	return rc;
}

/* Names the sites that grew most in run k; the budget's evidence. */
static void name_grown(const struct cmp *c, int k, double above, char *buf, size_t cap)
{
	char name[160], d[32];
	size_t i, n = 0, len;

	buf[0] = '\0';
	for (i = 0; i < c->nrows && n < GREW_MAX; i++) {
		const struct cmp_row *w = &c->rows[i];

		if (!(w->delta[k] > above) || !w->has[k] || !w->has[0])
			continue;
		site_name(w, name, sizeof(name));
		len = strlen(buf);
		snprintf(buf + len, cap - len, "%s%s (%s)", n ? ", " : "", name,
			 delta_text(d, sizeof(d), w->delta[k]));
		n++;
	}
	if (!n)
		snprintf(buf, cap, "no site grew");
}

static void say_verdict(const struct cmp *c, int k, const struct cmp_opts *o,
			const struct cmp_verdict *v)
{
	const struct cmp_run *r = &c->run[k], *b = &c->run[0];
	char grown[1024];

	if (v->incomplete)
		p_err("budget: %s: %s lost events, its figures are lower bounds: the budget "
		      "cannot pass", r->path, r->complete ? b->path : r->path);
	if (v->no_figure)
		p_err("budget: %s against %s: no bytes per connection to compare (%s)", r->path,
		      b->path, c->basis == CMP_BASIS_LIVE ?
		      "no live SSL object created since attach" : "no cost of connections in the JSON");
	if (v->over_pct) {
		name_grown(c, k, 0, grown, sizeof(grown));
		p_err("budget: %s: OpenSSL bytes per connection %+.1f%% against %s, above %g%%; "
		      "grew: %s", r->path, v->change_pct, b->path, o->pct, grown);
	}
	if (v->over_site) {
		name_grown(c, k, o->site_bytes, grown, sizeof(grown));
		p_err("budget: %s: sites grew by more than %g bytes per connection against %s: %s",
		      r->path, o->site_bytes, b->path, grown);
	}
}

static void say_passed(const struct cmp *c, int k, const struct cmp_opts *o,
		       const struct cmp_verdict *v)
{
	char pct[96] = "", site[96] = "";

	if (o->pct >= 0)
		snprintf(pct, sizeof(pct), "bytes per connection %+.1f%% (at most %g%%)",
			 v->change_pct, o->pct);
	if (o->site_bytes >= 0)
		snprintf(site, sizeof(site), "no site grew by more than %g B per connection",
			 o->site_bytes);
	p_info("budget met: %s: %s%s%s", c->run[k].path, pct, pct[0] && site[0] ? ", " : "", site);
}

static void json_budget(struct jsonw *w, const struct cmp *c, const struct cmp_opts *o,
			const struct cmp_verdict *v, bool passed)
{
	int k;

	jsonw__key(w, "budget");
	jsonw__obj_open(w);
	json_val(w, "fail_above_pct", (struct cmp_val){ o->pct, o->pct >= 0 });
	json_val(w, "fail_above_site_bytes", (struct cmp_val){ o->site_bytes, o->site_bytes >= 0 });
	jsonw__key(w, "passed");
	jsonw__bool(w, passed);
	jsonw__key(w, "failures");
	jsonw__arr_open(w);
	for (k = 1; k < c->nruns; k++) {
		static const char *const why[] = { "incomplete", "no_figure", "over_pct", "over_site" };
		bool f[] = { v[k].incomplete, v[k].no_figure, v[k].over_pct, v[k].over_site };
		size_t i;

		for (i = 0; i < 4; i++) {
			if (!f[i])
				continue;
			jsonw__obj_open(w);
			jsonw__key(w, "file");
			jsonw__str(w, c->run[k].path);
			jsonw__key(w, "reason");
			jsonw__str(w, why[i]);
			jsonw__obj_close(w);
		}
	}
	jsonw__arr_close(w);
	jsonw__obj_close(w);
}

static int write_json(FILE *f, const struct cmp *c, const struct cmp_opts *o,
		      const struct cmp_verdict *v, bool passed)
{
	struct jsonw *w = jsonw__new(f);
	size_t i;
	int k;

	if (!w)
		return -ENOMEM;
	jsonw__obj_open(w);
	jsonw__key(w, "format");
	jsonw__u64(w, CMP_FORMAT);
	jsonw__key(w, "basis");
	jsonw__str(w, c->basis == CMP_BASIS_LIVE ? "live_bytes_per_live_ssl" :
		   "alloc_bytes_per_ssl_created");
	jsonw__key(w, "runs");
	jsonw__arr_open(w);
	for (k = 0; k < c->nruns; k++)
		json_run(w, c, k, &v[k]);
	jsonw__arr_close(w);
	jsonw__key(w, "sites");
	jsonw__arr_open(w);
	for (i = 0; i < c->nrows; i++)
		json_row(w, c, &c->rows[i]);
	jsonw__arr_close(w);
	json_budget(w, c, o, v, passed);
	jsonw__obj_close(w);
	return jsonw__free(w);
}

/* The JSON into o->json ("-": stdout); 0 or 1 after a message. */
static int emit_json(const struct cmp *c, const struct cmp_opts *o, const struct cmp_verdict *v,
		     bool passed)
{
	bool out = !strcmp(o->json, "-");
	FILE *f = out ? stdout : fopen(o->json, "w");
	int err;

	if (!f) {
		p_err("cannot write %s: %s", o->json, strerror(errno));
		return 1;
	}
	err = write_json(f, c, o, v, passed);
	if (!out && fclose(f) && !err)
		err = -EIO;
	if (err)
		p_err("cannot write %s: %s", out ? "stdout" : o->json, strerror(-err));
	return err ? 1 : 0;
}

static void print_table(FILE *f, const struct cmp *c, const struct cmp_opts *o)
{
	print_runs(f, c);
	print_sites(f, c, o->max_sites);
	print_unmatched(f, c);
	fflush(f);
}

int compare_main(int argc, char **argv)
{
	struct cmp_verdict v[CMP_MAX_RUNS];
	struct cmp *c = calloc(1, sizeof(*c));
	struct cmp_opts o = { 0 };
	bool passed = true;
	int first = 0, rc, k;

	if (!c) {
		p_err("out of memory");
		return 1;
	}
	rc = parse_args(argc, argv, &o, &first);
	if (!rc)
		rc = load_all(c, argv + first, argc - first);
	if (!rc && cmp_build(c)) {
		p_err("out of memory");
		rc = 1;
	}
	if (rc)
		goto cleanup;
	memset(v, 0, sizeof(v));
	for (k = 0; k < c->nruns; k++)
		if (!c->run[k].complete)
			p_warn("%s is incomplete (%.0f events lost): its counts are lower bounds",
			       c->run[k].path, c->run[k].events_lost);
	for (k = 1; k < c->nruns; k++)
		if (!cmp_judge(c, k, o.pct, o.site_bytes, &v[k])) {
			say_verdict(c, k, &o, &v[k]);
			passed = false;
		} else if (o.pct >= 0 || o.site_bytes >= 0) {
			say_passed(c, k, &o, &v[k]);
		}
	if (!o.json || strcmp(o.json, "-"))
		print_table(stdout, c, &o);
	if (o.json)
		rc = emit_json(c, &o, v, passed);
	if (!rc && !passed)
		rc = 3;
cleanup:
	cmp_free(c);
	free(c);
	return rc < 0 ? 0 : rc;
}
