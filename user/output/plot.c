// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* `tlsmem plot`: CSV time series -> gnuplot -> PNG, SVG or text; see plot.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "compare.h"
#include "csvcols.h"
#include "log.h"
#include "plot.h"

#define LABEL_MAX	64

enum plot_col { C_TIME, C_BYTES, C_RSS, C_SSL, C_FLAGS, C__COUNT };

/* The columns read, by header name; all but flags are required. */
static const enum csvcol_id cols[C__COUNT] = {
	[C_TIME] = CSVCOL_TIME_S, [C_BYTES] = CSVCOL_LIVE_BYTES, [C_RSS] = CSVCOL_RSS_BYTES,
	[C_SSL] = CSVCOL_LIVE_SSL, [C_FLAGS] = CSVCOL_FLAGS,
};

enum out_kind { OUT_PNG, OUT_SVG, OUT_TEXT };

/* One run: its rows, and the flag kinds of every row ("" when none). */
struct series {
	const char *path;
	double *v[C_FLAGS];		/* indexed by enum plot_col */
	char **flags;
	size_t n, cap;
	size_t skipped;			/* malformed rows */
};

/* Bars of bytes per connection, one cluster per run saved with tlsmem --json. */
enum bar_fig { B_PER_LIVE, B_ALL_PEAK, B_SLOPE, B__COUNT };

struct plot {
	struct series s[2];
	int ns;
	struct cmp_run *runs;
	int nruns;
	bool bar_has[B__COUNT];		/* some run has this figure */
	int panels;
	char **files;
	int nfiles;
	const char *out;
	enum out_kind kind;
	double tdiv;			/* seconds per x unit */
	const char *tunit;
	double ydiv;			/* bytes per y unit */
	const char *yunit;
	double tmax, ymax, y2max;
};

static const char usage_text[] =
"Usage: tlsmem plot [FILE.csv [FILE2.csv]] [RUN.json...] [-o OUT.png|OUT.svg|-]\n"
"\n"
"Draws the time series that tlsmem -o FILE.csv wrote, with gnuplot (Debian:\n"
"gnuplot-nox): OpenSSL's live bytes and the process RSS on the left axis,\n"
"live SSL objects on the right axis; intervals with a growth or leak flag are\n"
"shaded and marked with the flag kinds. Two files are drawn side by side on\n"
"the same scales, to compare runs. Runs saved with tlsmem --json (as for\n"
"tlsmem compare) are drawn next to them as bars of bytes per connection, one\n"
"cluster per run: OpenSSL bytes per live SSL, and where the JSON has them the\n"
"mean peak bytes of all connections and the RSS slope per connection.\n"
"\n"
"  -o, --output FILE   FILE.png or FILE.svg (default: the first file's name\n"
"                      with .png); - draws text on stdout\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 ok, 1 gnuplot missing or failed, 2 bad arguments or input.\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help",   no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

/* ---- reading the time series ---- */

static bool parse_num(const char *s, double *v)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return *end == '\0' && !errno && isfinite(*v);
}

static int series_grow(struct series *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	void *p;
	int i;

	for (i = 0; i < C_FLAGS; i++) {
		p = realloc(s->v[i], cap * sizeof(double));
		if (!p)
			return -ENOMEM;
		s->v[i] = p;
	}
	p = realloc(s->flags, cap * sizeof(char *));
	if (!p)
		return -ENOMEM;
	s->flags = p;
	s->cap = cap;
	return 0;
}

/* Appends the row in r; a malformed row is counted and skipped. 0 or -ENOMEM. */
static int series_add(struct series *s, const struct csv_rec *r, const long *idx)
{
	double v[C_FLAGS];
	int i;

	for (i = 0; i < C__COUNT; i++)
		if (idx[i] >= (long)r->nf) {
			s->skipped++;
			return 0;
		}
	for (i = 0; i < C_FLAGS; i++)
		if (!parse_num(csv_rec__get(r, idx[i]), &v[i])) {
			s->skipped++;
			return 0;
		}
	if (s->n == s->cap && series_grow(s))
		return -ENOMEM;
	for (i = 0; i < C_FLAGS; i++)
		s->v[i][s->n] = v[i];
	s->flags[s->n] = strdup(idx[C_FLAGS] >= 0 ? csv_rec__get(r, idx[C_FLAGS]) : "");
	if (!s->flags[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

/* The header's columns into idx (-1: absent); 0, or 2 after a message. */
static int find_columns(const struct series *s, const struct csv_rec *r, long *idx)
{
	char missing[256] = "";
	size_t i;
	int c;

	for (c = 0; c < C__COUNT; c++) {
		idx[c] = -1;
		for (i = 0; i < r->nf && idx[c] < 0; i++)
			if (!strcmp(csv_rec__get(r, i), csvcols[cols[c]].name))
				idx[c] = (long)i;
		if (idx[c] < 0 && c != C_FLAGS)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", missing[0] ? ", " : "", csvcols[cols[c]].name);
	}
	if (!missing[0])
		return 0;
	p_err("%s: not a tlsmem time series: no column %s (expected the CSV of tlsmem -o)",
	      s->path, missing);
	return 2;
}

/* Reads s->path; 0, or the exit status after a message. */
static int series_load(struct series *s)
{
	struct csv_rec r = { 0 };
	long idx[C__COUNT];
	FILE *f;
	int rc = 0, err;

	f = fopen(s->path, "r");
	if (!f) {
		p_err("cannot read %s: %s", s->path, strerror(errno));
		return 2;
	}
	err = csv_rec__read(f, &r);
	if (err == 0) {
		p_err("%s: empty file (expected the CSV of tlsmem -o)", s->path);
		rc = 2;
	} else if (err > 0) {
		rc = find_columns(s, &r, idx);
		while (!rc && (err = csv_rec__read(f, &r)) > 0)
			err = series_add(s, &r, idx) ? -ENOMEM : 1;
	}
	if (!rc && err < 0) {
		p_err("cannot read %s: %s", s->path,
		      err == -E2BIG ? "a record longer than 1 MiB (not a tlsmem CSV)" :
				      strerror(-err));
		rc = err == -E2BIG ? 2 : 1;
	}
	if (!rc && !s->n) {
		p_err("%s: no rows to plot%s", s->path, s->skipped ? " (all malformed)" : "");
		rc = 2;
	}
	if (!rc && s->skipped)
		p_warn("%s: %zu malformed rows skipped", s->path, s->skipped);
	csv_rec__free(&r);
	fclose(f);
	return rc;
}

static void series_free(struct series *s)
{
	size_t i;
	int c;

	for (c = 0; c < C_FLAGS; c++)
		free(s->v[c]);
	for (i = 0; i < s->n; i++)
		free(s->flags[i]);
	free(s->flags);
}

/* ---- the gnuplot script ---- */

/* A gnuplot string in single quotes ('' is a quote; no other escapes). */
static void put_sq(FILE *f, const char *s)
{
	putc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			putc('\'', f);
		putc((unsigned char)*s < 0x20 ? '?' : *s, f);
	}
	putc('\'', f);
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* The flag kinds of a row as a label: "growth, cache"; only [a-z0-9_-] kept. */
static void flag_label(const char *flags, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *flags && n + 3 < cap; flags++) {
		char c = *flags;

		if (c == ';') {
			buf[n++] = ',';
			buf[n++] = ' ';
		} else {
			buf[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				   c == '_' ? c : '?';
		}
	}
	buf[n] = '\0';
}

static void put_data(FILE *f, const struct plot *p, const struct series *s, int k)
{
	size_t i;

	fprintf(f, "$data%d << EOD\n", k);
	for (i = 0; i < s->n; i++)
		fprintf(f, "%.10g %.10g %.10g %.10g\n", s->v[C_TIME][i] / p->tdiv,
			s->v[C_BYTES][i] / p->ydiv, s->v[C_RSS][i] / p->ydiv, s->v[C_SSL][i]);
	fputs("EOD\n", f);
}

/* Flagged rows as points on the live bytes. Returns their number. */
static size_t put_flag_data(FILE *f, const struct plot *p, const struct series *s, int k)
{
	size_t i, n = 0;

	fprintf(f, "$flags%d << EOD\n", k);
	for (i = 0; i < s->n; i++) {
		if (!s->flags[i][0])
			continue;
		n++;
		fprintf(f, "%.10g %.10g\n", s->v[C_TIME][i] / p->tdiv, s->v[C_BYTES][i] / p->ydiv);
	}
	fputs("EOD\n", f);
	return n;
}

/* The flag kinds, at the top of the graph where they change; staggered. */
static void put_labels(FILE *f, const struct plot *p, const struct series *s)
{
	char text[LABEL_MAX];
	size_t i;
	int n = 0;

	fputs("unset label\n", f);
	for (i = 0; i < s->n; i++) {
		if (!s->flags[i][0] || (i && !strcmp(s->flags[i], s->flags[i - 1])))
			continue;
		flag_label(s->flags[i], text, sizeof(text));
		fprintf(f, "set label %d '%s' at %.10g, graph %.2f %s offset %s,0 front "
			"textcolor rgb '#d62728'\n", n + 1, text, s->v[C_TIME][i] / p->tdiv,
			0.95 - 0.06 * (n % 4), s->v[C_TIME][i] > 0.7 * p->tmax ? "right" : "left",
			s->v[C_TIME][i] > 0.7 * p->tmax ? "-0.5" : "0.5");
		n++;
	}
}

/* Shades the intervals that ended with a flag raised: (t[i-1], t[i]]. */
static void put_spans(FILE *f, const struct plot *p, const struct series *s)
{
	size_t i = 0, j;
	int obj = 1;

	fputs("unset object\n", f);
	while (i < s->n) {
		if (!s->flags[i][0]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < s->n && s->flags[j + 1][0]; j++)
			;
		fprintf(f, "set object %d rect from %.10g, graph 0 to %.10g, graph 1 behind "
			"fillcolor rgb '#fcdede' fillstyle solid 1.0 noborder\n", obj++,
			(i ? s->v[C_TIME][i - 1] : s->v[C_TIME][i]) / p->tdiv,
			s->v[C_TIME][j] / p->tdiv);
		i = j + 1;
	}
	put_labels(f, p, s);
}

static void put_terminal(FILE *f, const struct plot *p)
{
	int w = p->panels >= 2 ? 700 * p->panels + 400 : 1100, h = 560;

	switch (p->kind) {
	case OUT_PNG:
		fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
			"  set terminal pngcairo size %d,%d font 'sans,10'\n"
			"} else {\n  set terminal png size %d,%d\n}\n", w, h, w, h);
		break;
	case OUT_SVG:
		fprintf(f, "set terminal svg size %d,%d dynamic font 'sans,10' "
			"background rgb 'white'\n", w, h);
		break;
	case OUT_TEXT:
		fprintf(f, "set terminal dumb size %d,32\n", p->panels >= 2 ? 200 : 110);
		break;
	}
	fputs("set termoption noenhanced\n", f);
}

static void put_axes(FILE *f, const struct plot *p)
{
	fprintf(f, "set xlabel '%s since attach'\nset ylabel '%s'\n", p->tunit, p->yunit);
	fputs("set y2label 'live SSL objects'\nset format y '%g'\nset format y2 '%.0f'\n"
	      "set ytics nomirror\nset y2tics\nset grid xtics ytics\n"
	      "set key below horizontal\nset bmargin 6\nset style data lines\n", f);
	fprintf(f, "set xrange [0:%.10g]\nset yrange [0:%.10g]\nset y2range [0:%.10g]\n",
		p->tmax > 0 ? p->tmax / p->tdiv : 1, p->ymax > 0 ? p->ymax / p->ydiv * 1.1 : 1,
		p->y2max > 0 ? p->y2max * 1.1 : 1);
	if (p->y2max < 5)
		fputs("set y2tics 1\n", f);
}

static void put_panel(FILE *f, const struct plot *p, int k, size_t nflags)
{
	const struct series *s = &p->s[k];

	fputs("set title ", f);
	put_sq(f, base_name(s->path));
	putc('\n', f);
	put_spans(f, p, s);
	fprintf(f, "plot $data%d using 1:2 linewidth 2 linecolor rgb '#1f77b4' "
		"title 'OpenSSL live bytes', \\\n"
		"  $data%d using 1:3 linewidth 2 linecolor rgb '#ff7f0e' title 'RSS', \\\n"
		"  $data%d using 1:4 axes x1y2 linewidth 2 linecolor rgb '#2ca02c' "
		"title 'live SSL objects (right axis)'", k, k, k);
	if (nflags)
		fprintf(f, ", \\\n  $flags%d using 1:2 with points pointtype 7 pointsize 1.2 "
			"linecolor rgb '#d62728' title 'growth or leak flag'", k);
	putc('\n', f);
}

static struct cmp_val bar_value(const struct cmp_run *r, int b)
{
	switch (b) {
	case B_PER_LIVE:
		return r->bytes_per_live_ssl;
	case B_ALL_PEAK:
		return r->all_mean_peak;
	default:
		return r->rss_slope;
	}
}

static const char *const bar_titles[B__COUNT] = {
	[B_PER_LIVE] = "OpenSSL bytes per live SSL",
	[B_ALL_PEAK] = "all connections, mean peak bytes",
	[B_SLOPE] = "RSS slope per live SSL",
};

/* One row per run: its name, then each figure some run has ("-" where it has not). */
static const char *const bar_colors[B__COUNT] = {
	[B_PER_LIVE] = "#1f77b4", [B_ALL_PEAK] = "#9467bd", [B_SLOPE] = "#ff7f0e",
};

/* A string in a gnuplot data block: double quotes; a quote or control byte as '?'. */
static void put_dq(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++)
		putc((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' ? '?' : *s, f);
	putc('"', f);
}

static void put_bar_data(FILE *f, const struct plot *p)
{
	double ymax = 0, div;
	int k, b, u;

	for (k = 0; k < p->nruns; k++)
		for (b = 0; b < B__COUNT; b++)
			if (bar_value(&p->runs[k], b).ok)
				ymax = fmax(ymax, bar_value(&p->runs[k], b).v);
	for (u = 0; u < 3 && ymax >= 2 * pow(1024, u + 1); u++)
		;
	div = pow(1024, u);
	fprintf(f, "bar_unit = '%s'\n$bars << EOD\n",
		(const char *const[]){ "bytes", "KiB", "MiB", "GiB" }[u]);
	for (k = 0; k < p->nruns; k++) {
		put_dq(f, base_name(p->runs[k].path));
		for (b = 0; b < B__COUNT; b++) {
			struct cmp_val v = bar_value(&p->runs[k], b);

			if (!p->bar_has[b])
				continue;
			if (v.ok)
				fprintf(f, " %.10g", v.v / div);
			else
				fputs(" -", f);
		}
		putc('\n', f);
	}
	fputs("EOD\n", f);
}

static void put_bars(FILE *f, const struct plot *p)
{
	int b, col = 2;

	fputs("unset object\nunset label\nunset y2tics\nunset y2label\nset xtics nomirror\n"
	      "set ytics mirror\nset xrange [*:*]\nset yrange [0:*]\nset xlabel ''\n"
	      "set ylabel bar_unit.' per connection'\nset datafile missing '-'\n"
	      "set style data histograms\nset style histogram clustered gap 1\n"
	      "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset grid ytics\n"
	      "set key below horizontal\nset title 'bytes per connection per run'\nplot ", f);
	for (b = 0; b < B__COUNT; b++) {
		if (!p->bar_has[b])
			continue;
		fprintf(f, "%s$bars using %d%s linecolor rgb '%s' title '%s'", col > 2 ? ", " : "",
			col, col == 2 ? ":xtic(1)" : "", bar_colors[b], bar_titles[b]);
		col++;
	}
	putc('\n', f);
}

/* The whole script in a malloc'd buffer; 0 or -ENOMEM. */
static int build_script(const struct plot *p, char **text, size_t *len)
{
	size_t nflags[2] = { 0, 0 };
	FILE *f = open_memstream(text, len);
	int k;

	if (!f)
		return -ENOMEM;
	put_terminal(f, p);
	for (k = 0; k < p->ns; k++) {
		put_data(f, p, &p->s[k], k);
		nflags[k] = put_flag_data(f, p, &p->s[k], k);
	}
	if (p->nruns)
		put_bar_data(f, p);
	if (p->panels >= 2)
		fprintf(f, "set multiplot layout 1,%d\n", p->panels);
	if (p->ns)
		put_axes(f, p);
	for (k = 0; k < p->ns; k++)
		put_panel(f, p, k, nflags[k]);
	if (p->nruns)
		put_bars(f, p);
	if (p->panels >= 2)
		fputs("unset multiplot\n", f);
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Common scales, so that two runs compare at a glance. */
static void scales(struct plot *p)
{
	size_t i;
	int k;

	for (k = 0; k < p->ns; k++) {
		const struct series *s = &p->s[k];

		for (i = 0; i < s->n; i++) {
			p->tmax = fmax(p->tmax, s->v[C_TIME][i]);
			p->ymax = fmax(p->ymax, fmax(s->v[C_BYTES][i], s->v[C_RSS][i]));
			p->y2max = fmax(p->y2max, s->v[C_SSL][i]);
		}
	}
	p->tdiv = p->tmax >= 7200 ? 3600 : p->tmax >= 600 ? 60 : 1;
	p->tunit = p->tdiv == 3600 ? "hours" : p->tdiv == 60 ? "minutes" : "seconds";
	for (k = 0; k < 4 && p->ymax >= 2 * pow(1024, k + 1); k++)
		;
	p->ydiv = pow(1024, k);
	p->yunit = (const char *const[]){ "bytes", "KiB", "MiB", "GiB", "TiB" }[k];
}

/* ---- running gnuplot ---- */

static void write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* gnuplot gone (EPIPE): its status says why */
		p += w;
		n -= (size_t)w;
	}
}

static void child(int in, int out, int report)
{
	char *const argv[] = { "gnuplot", "-d", NULL };	/* -d: no init files */
	int err;

	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0) {
		err = errno;
	} else {
		execvp(argv[0], argv);
		err = errno;
	}
	if (write(report, &err, sizeof(err)) != sizeof(err))
		_exit(126);
	_exit(127);
}

/*
 * Runs gnuplot with script on its stdin and out as its stdout. 0; -errno
 * when it could not be started (-ENOENT: not installed); or a positive
 * status: its exit status, or 128 + the signal that killed it.
 */
static int run_gnuplot(const char *script, size_t len, int out)
{
	int in[2], rep[2] = { -1, -1 }, err = 0, st;
	pid_t pid;
	ssize_t n;

	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(rep, O_CLOEXEC)) {
		err = -errno;
		goto close_in;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto close_rep;
	}
	if (pid == 0)
		child(in[0], out, rep[1]);
	close(rep[1]);
	rep[1] = -1;
	while ((n = read(rep[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	if (n == sizeof(err))
		err = -err;		/* exec failed */
	else
		write_all(in[1], script, len);
	close(in[1]);
	in[1] = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!err)
		err = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
close_rep:
	close(rep[0]);
	if (rep[1] >= 0)
		close(rep[1]);
close_in:
	close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	return err;
}

/* ---- output ---- */

/* A new file beside out, to rename over it; fd, or -1 after a message. */
static int open_tmp(const char *out, char *tmp, size_t cap)
{
	mode_t mask = umask(0);
	struct stat st;
	int fd;

	umask(mask);
	if (!stat(out, &st) && S_ISDIR(st.st_mode)) {
		p_err("cannot write %s: it is a directory", out);
		return -1;
	}
	if (snprintf(tmp, cap, "%s.XXXXXX", out) >= (int)cap) {
		p_err("cannot write %s: %s", out, strerror(ENAMETOOLONG));
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		p_err("cannot write %s: %s", out, strerror(errno));
		return -1;
	}
	fchmod(fd, 0666 & ~mask);
	return fd;
}

static int draw(const struct plot *p, const char *script, size_t len)
{
	char tmp[PATH_MAX];
	int fd = STDOUT_FILENO, err;

	if (p->kind != OUT_TEXT) {
		fd = open_tmp(p->out, tmp, sizeof(tmp));
		if (fd < 0)
			return 2;
	}
	err = run_gnuplot(script, len, fd);
	if (err == -ENOENT)
		p_err("gnuplot not found: install it (Debian: apt-get install gnuplot-nox)");
	else if (err < 0)
		p_err("cannot run gnuplot: %s", strerror(-err));
	else if (err > 0)
		p_err("gnuplot failed (status %d); its messages are above", err);
	if (p->kind == OUT_TEXT)
		return err ? 1 : 0;
	if (close(fd) && !err) {
		p_err("cannot write %s: %s", p->out, strerror(errno));
		err = 1;
	}
	if (!err && rename(tmp, p->out)) {
		p_err("cannot write %s: %s", p->out, strerror(errno));
		err = 1;
	}
	if (err)
		unlink(tmp);
	return err ? 1 : 0;
}

/* The default output: FILE.png for FILE.csv or FILE.json; A-vs-B.png for two. */
static char *default_out(const struct plot *p)
{
	const char *a = p->ns ? p->s[0].path : p->runs[0].path;
	const char *b = p->ns == 2 ? base_name(p->s[1].path) : p->ns == 0 && p->nruns > 1 ?
			base_name(p->runs[p->nruns - 1].path) : NULL;
	int la = (int)strlen(a) - (ends_with(a, ".csv") ? 4 : ends_with(a, ".json") ? 5 : 0);
	int lb = b ? (int)strlen(b) - (ends_with(b, ".csv") ? 4 : ends_with(b, ".json") ? 5 : 0) :
		     0;
	char *out = NULL;

	if (b && asprintf(&out, "%.*s-vs-%.*s.png", la, a, lb, b) < 0)
		return NULL;
	if (!b && asprintf(&out, "%.*s.png", la, a) < 0)
		return NULL;
	return out;
}

/* Options and operands into p; 0, or the exit status. */
static int parse_args(int argc, char **argv, struct plot *p)
{
	int c;

	optind = 0;	/* GNU getopt: start afresh */
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			p->out = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	p->files = argv + optind;
	p->nfiles = argc - optind;
	if (p->nfiles < 1) {
		p_err("plot: expected one or two CSV files, or runs saved with --json");
		fputs(usage_text, stderr);
		return 2;
	}
	if (!p->out || !strcmp(p->out, "-") || ends_with(p->out, ".png") || ends_with(p->out, ".svg"))
		return 0;
	p_err("plot: -o %s: expected a name ending in .png or .svg, or - for text", p->out);
	return 2;
}

/* Adds file i as a run (JSON) or a time series (CSV); 0, or the exit status. */
static int add_input(struct plot *p, const char *path)
{
	struct cmp_run r;
	bool is_run = false;
	int rc, b;

	if (!ends_with(path, ".csv")) {
		rc = cmp_run_load(&r, path, &is_run);
		if (rc)
			return rc;
	}
	if (is_run) {
		if (p->nruns == CMP_MAX_RUNS) {
			cmp_run_free(&r);
			p_err("plot: more than %d runs", CMP_MAX_RUNS);
			return 2;
		}
		for (b = 0; b < B__COUNT; b++)
			p->bar_has[b] |= bar_value(&r, b).ok;
		p->runs[p->nruns++] = r;
		return 0;
	}
	if (p->ns == 2) {
		p_err("plot: more than two CSV time series (%s)", path);
		return 2;
	}
	p->s[p->ns].path = path;
	return series_load(&p->s[p->ns++]);
}

static int load_inputs(struct plot *p)
{
	int k, rc = 0;

	p->runs = calloc(CMP_MAX_RUNS, sizeof(*p->runs));
	if (!p->runs) {
		p_err("out of memory");
		return 1;
	}
	for (k = 0; !rc && k < p->nfiles; k++)
		rc = add_input(p, p->files[k]);
	if (!rc && p->nruns && !p->bar_has[B_PER_LIVE] && !p->bar_has[B_ALL_PEAK] &&
	    !p->bar_has[B_SLOPE]) {
		p_err("plot: no bytes per connection in %s%s (no live SSL object created since "
		      "attach)", p->runs[0].path, p->nruns > 1 ? " or the other runs" : "");
		rc = 2;
	}
	p->panels = p->ns + (p->nruns ? 1 : 0);
	return rc;
}

int plot_main(int argc, char **argv)
{
	struct plot p = { 0 };
	char *script = NULL, *out = NULL;
	size_t len;
	int rc, k;

	rc = parse_args(argc, argv, &p);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = load_inputs(&p);
	if (rc)
		goto cleanup;
	if (!p.out) {
		p.out = out = default_out(&p);
		if (!out) {
			rc = 1;
			goto cleanup;
		}
	}
	p.kind = !strcmp(p.out, "-") ? OUT_TEXT : ends_with(p.out, ".svg") ? OUT_SVG : OUT_PNG;
	scales(&p);
	if (build_script(&p, &script, &len)) {
		p_err("out of memory");
		rc = 1;
		goto cleanup;
	}
	signal(SIGPIPE, SIG_IGN);	/* a gnuplot that dies early: EPIPE, not death */
	rc = draw(&p, script, len);
	if (!rc && p.kind != OUT_TEXT)
		p_info("plot written to %s", p.out);
cleanup:
	free(script);
	free(out);
	for (k = 0; k < 2; k++)
		series_free(&p.s[k]);
	for (k = 0; k < p.nruns; k++)
		cmp_run_free(&p.runs[k]);
	free(p.runs);
	return rc;
}
