// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus text exposition: rendering and the textfile; see metrics.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "csv.h"
#include "flags.h"
#include "growth.h"
#include "model.h"
#include "procs.h"
#include "report.h"
#include "sites.h"
#include "target.h"
#include "metrics.h"

struct scalar {
	const char *name;
	const char *type;		/* "gauge" or "counter" (name ends in _total) */
	const char *help;
	__u64 u;
	double d;
	bool is_double;
};

/* One sample being written: its name, then labels, then the value. */
struct smp {
	FILE *f;
	int nl;
};

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	__u32 c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;		/* overlong, out of range, or a surrogate */
	return len;
}

/* A label value: backslash, quote and newline escaped; invalid UTF-8 as U+FFFD. */
static void put_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	while (n) {
		len = utf8_len(p, n);
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			len = 1;
		} else if (*p == '\\') {
			fputs("\\\\", f);
		} else if (*p == '"') {
			fputs("\\\"", f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
		n -= len;
	}
}

static void smp_open(struct smp *p, FILE *f, const char *name)
{
	p->f = f;
	p->nl = 0;
	fputs(name, f);
}

static void smp_label(struct smp *p, const char *name, const char *value)
{
	fprintf(p->f, "%c%s=\"", p->nl++ ? ',' : '{', name);
	put_value(p->f, value);
	putc('"', p->f);
}

static void put_double(FILE *f, double v)
{
	char buf[64];

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

static void smp_u64(struct smp *p, __u64 v)
{
	fprintf(p->f, "%s %llu\n", p->nl ? "}" : "", (unsigned long long)v);
}

static void smp_double(struct smp *p, double v)
{
	fputs(p->nl ? "} " : " ", p->f);
	put_double(p->f, v);
	putc('\n', p->f);
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static struct scalar num(const char *name, const char *type, const char *help, __u64 v)
{
	return (struct scalar){ .name = name, .type = type, .help = help, .u = v };
}

static struct scalar dbl(const char *name, const char *type, const char *help, double v)
{
	return (struct scalar){ .name = name, .type = type, .help = help, .d = v,
				.is_double = true };
}

/* The figures of the whole run: no per-process label. */
static void put_scalars(FILE *f, const struct summary *s)
{
	const struct model_totals *t = &s->tot;
	const struct scalar v[] = {
		num("tlsmem_ssl_created_total", "counter", "SSL objects created since attach.",
		    t->ssl_created),
		num("tlsmem_ssl_freed_total", "counter", "SSL objects freed since attach.",
		    t->ssl_freed),
		num("tlsmem_ssl_adopted_total", "counter",
		    "SSL objects created before attach, adopted when first seen in a call.",
		    t->ssl_adopted),
		num("tlsmem_heap_allocs_total", "counter", "OpenSSL allocations since attach.",
		    t->allocs),
		num("tlsmem_heap_frees_total", "counter", "Frees of blocks allocated since attach.",
		    t->frees),
		num("tlsmem_heap_unknown_frees_total", "counter",
		    "Frees of blocks allocated before attach (in no other figure).",
		    t->unknown_frees),
		num("tlsmem_events_received_total", "counter", "Events received from the kernel.",
		    s->events_received),
		num("tlsmem_events_lost_total", "counter",
		    "Events the kernel could not deliver; when > 0 counts are lower bounds and live figures approximate.",
		    s->events_lost),
		num("tlsmem_complete", "gauge",
		    "1 when no event was lost or rejected: the figures are exact.",
		    summary_complete(s)),
		dbl("tlsmem_observed_seconds", "gauge", "Seconds since the probes were live.",
		    s->duration_s),
		num("tlsmem_self_rss_bytes", "gauge",
		    "tlsmem's own resident memory, the ring buffer (mapped twice) included.",
		    s->tlsmem_rss),
		num("tlsmem_self_ringbuf_bytes", "gauge", "Size of tlsmem's ring buffer.",
		    s->ringbuf_bytes),
		dbl("tlsmem_self_cpu_seconds_total", "counter",
		    "CPU time tlsmem used (user and system, all its threads).", s->tlsmem_cpu_s),
	};
	struct smp p;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		put_family(f, v[i].name, v[i].type, v[i].help);
		smp_open(&p, f, v[i].name);
		if (v[i].is_double)
			smp_double(&p, v[i].d);
		else
			smp_u64(&p, v[i].u);
	}
}

/* One sample per flag kind, so that an alert on "> 0" has a series to watch. */
static int put_flags(FILE *f, const struct summary *s)
{
	struct growth_flag *v = NULL;
	size_t n = s->growth ? growth__flags(s->growth, NULL, 0) : 0, i, k;
	struct smp p;

	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return -ENOMEM;
		n = growth__flags(s->growth, v, n);
	}
	put_family(f, "tlsmem_flags_active", "gauge",
		   "Growth and leak flags active now, by kind (see the JSON report).");
	for (k = 0; k < flags_nkinds; k++) {
		__u64 active = 0;

		for (i = 0; i < n; i++)
			active += v[i].active && v[i].kind == flags_kinds[k].kind;
		smp_open(&p, f, "tlsmem_flags_active");
		smp_label(&p, "kind", flags_kinds[k].name);
		smp_u64(&p, active);
	}
	free(v);
	return 0;
}

/* ---- per (program, container), or per process with metrics_per_pid ---- */

enum gfig {
	G_PROCESSES,
	G_SSL_LIVE,
	G_LIVE_BYTES,
	G_LIVE_BLOCKS,
	G_BYTES_PER_SSL,
	G_MEMORY,
};

static const struct gfamily {
	enum gfig fig;
	const char *name;
	const char *help;
} gfamilies[] = {
	{ G_PROCESSES, "tlsmem_processes", "Processes observed now." },
	{ G_SSL_LIVE, "tlsmem_ssl_live", "SSL objects live now." },
	{ G_LIVE_BYTES, "tlsmem_heap_live_bytes",
	  "Bytes OpenSSL allocated since attach and still holds." },
	{ G_LIVE_BLOCKS, "tlsmem_heap_live_blocks",
	  "Blocks OpenSSL allocated since attach and still holds." },
	{ G_BYTES_PER_SSL, "tlsmem_heap_per_live_ssl_bytes",
	  "Live bytes attributed to the SSL objects created since attach, per object." },
	{ G_MEMORY, "tlsmem_process_memory_bytes",
	  "Memory of the processes: RSS when one process is observed, PSS summed otherwise "
	  "(label measure)." },
};

static void group_labels(struct smp *p, const struct proc_fig *g, bool per_pid)
{
	char pid[24];

	if (per_pid) {
		snprintf(pid, sizeof(pid), "%d", g->t->pid);
		smp_label(p, "pid", pid);
		smp_label(p, "comm", g->t->comm);
	}
	smp_label(p, "exe", procs_exe(g->t));
	smp_label(p, "container", g->t->container);
}

static void put_group_fig(FILE *f, const struct summary *s, const struct gfamily *fam,
			  const struct proc_fig *g)
{
	struct smp p;

	smp_open(&p, f, fam->name);
	group_labels(&p, g, s->metrics_per_pid);
	switch (fam->fig) {
	case G_PROCESSES:
		smp_u64(&p, g->nprocs);
		break;
	case G_SSL_LIVE:
		smp_u64(&p, g->ssl_live);
		break;
	case G_LIVE_BYTES:
		smp_u64(&p, g->live_bytes);
		break;
	case G_LIVE_BLOCKS:
		smp_u64(&p, g->live_blocks);
		break;
	case G_BYTES_PER_SSL:
		smp_double(&p, procs_bytes_per_ssl(g));
		break;
	case G_MEMORY:
		smp_label(&p, "measure", s->mem_pss ? "pss" : "rss");
		smp_u64(&p, g->mem_bytes);
		break;
	}
}

/* The groups (or processes), the heaviest first, at most max; returns how many were left out. */
static size_t put_groups(FILE *f, const struct summary *s, struct proc_fig *v, size_t n,
			 size_t max)
{
	size_t ng = procs_group(v, n, s->metrics_per_pid), shown = ng < max ? ng : max, i, k;

	if (!shown)
		return ng;
	for (k = 0; k < sizeof(gfamilies) / sizeof(gfamilies[0]); k++) {
		put_family(f, gfamilies[k].name, "gauge", gfamilies[k].help);
		for (i = 0; i < shown; i++)
			put_group_fig(f, s, &gfamilies[k], &v[i]);
	}
	return ng - shown;
}

/*
 * One series per live process, value 1, naming it: pid, comm, exe,
 * container, pod, so that the figures of a group can be traced to its
 * processes. At most max; returns how many were left out.
 */
static size_t put_targets(FILE *f, const struct proc_fig *v, size_t n, size_t max)
{
	size_t i, shown = n < max ? n : max;
	struct smp p;
	char pid[24];

	if (!shown)
		return n;
	put_family(f, "tlsmem_target_info", "gauge",
		   "A process observed now (1), with its identity in the labels.");
	for (i = 0; i < shown; i++) {
		const struct target *t = v[i].t;

		snprintf(pid, sizeof(pid), "%d", t->pid);
		smp_open(&p, f, "tlsmem_target_info");
		smp_label(&p, "pid", pid);
		smp_label(&p, "comm", t->comm);
		smp_label(&p, "exe", procs_exe(t));
		smp_label(&p, "container", t->container);
		smp_label(&p, "pod", t->pod);
		smp_u64(&p, 1);
	}
	return n - shown;
}

/* ---- sites: the top N by live bytes, labelled by names (no process) ---- */

struct named_site {
	struct site_name nm;
	__u64 live_bytes, live_blocks;
};

static bool same_name(const struct site_name *a, const struct site_name *b)
{
	return a->line == b->line && !strcmp(a->file, b->file) && !strcmp(a->caller, b->caller) &&
	       !strcmp(a->module, b->module) && !strcmp(a->build_id, b->build_id);
}

static void put_site(FILE *f, const char *name, const struct named_site *ns, __u64 v)
{
	char line[16];
	struct smp p;

	snprintf(line, sizeof(line), "%d", ns->nm.line);
	smp_open(&p, f, name);
	smp_label(&p, "file", ns->nm.file);
	smp_label(&p, "line", line);
	smp_label(&p, "caller", ns->nm.caller);
	smp_label(&p, "module", ns->nm.module);
	smp_label(&p, "build_id", ns->nm.build_id);
	smp_u64(&p, v);
}

/*
 * Sites by live bytes, named; two ids that came to the same names (a name
 * learnt late) are one series, summed. At most top; *dropped counts the
 * named sites left out.
 */
static int put_sites(FILE *f, const struct summary *s, size_t top, size_t *dropped)
{
	struct named_site *out = NULL;
	size_t n = 0, k, j, nsites = 0;
	struct site_fig *v = NULL;
	struct site_name nm;

	*dropped = 0;
	if (s->model && s->sites && model__nsites(s->model))
		v = summary_sites_sorted(s, &nsites);
	if (!nsites)
		return 0;	/* none, or no memory for the list: no site series */
	out = calloc(top ? top : 1, sizeof(*out));
	if (!out) {
		free(v);
		return -ENOMEM;
	}
	for (k = 0; k < nsites; k++) {
		if (sites__name(s->sites, v[k].id, &nm))
			continue;
		for (j = 0; j < n && !same_name(&out[j].nm, &nm); j++)
			;
		if (j == n && n == top) {
			(*dropped)++;
			continue;
		}
		if (j == n)
			out[n++].nm = nm;
		out[j].live_bytes += v[k].st.live_bytes;
		out[j].live_blocks += v[k].st.live_blocks;
	}
	if (n) {
		put_family(f, "tlsmem_site_live_bytes", "gauge",
			   "Live bytes of an allocation site (the top sites by live bytes).");
		for (k = 0; k < n; k++)
			put_site(f, "tlsmem_site_live_bytes", &out[k], out[k].live_bytes);
		put_family(f, "tlsmem_site_live_blocks", "gauge",
			   "Live blocks of an allocation site (the top sites by live bytes).");
		for (k = 0; k < n; k++)
			put_site(f, "tlsmem_site_live_blocks", &out[k], out[k].live_blocks);
	}
	free(out);
	free(v);
	return 0;
}

static void put_dropped(FILE *f, const size_t dropped[3])
{
	static const char *const what[3] = { "groups", "target_info", "sites" };
	struct smp p;
	size_t i;

	put_family(f, "tlsmem_series_dropped", "gauge",
		   "Label sets left out of this exposition over the series limit: groups (processes "
		   "with --metrics-per-pid), tlsmem_target_info, sites (beyond the top N).");
	for (i = 0; i < 3; i++) {
		smp_open(&p, f, "tlsmem_series_dropped");
		smp_label(&p, "series", what[i]);
		smp_u64(&p, dropped[i]);
	}
}

size_t metrics_top_sites(const struct summary *s)
{
	return s->metrics_top_sites ? s->metrics_top_sites : METRICS_TOP_SITES;
}

int metrics_render(FILE *f, const struct summary *s, size_t top_sites)
{
	size_t max = s->metrics_max_series ? s->metrics_max_series : METRICS_MAX_SERIES;
	size_t n, dropped[3] = { 0 };
	struct proc_fig *v;
	int err = 0;

	errno = 0;
	v = procs_list(s, &n);
	if (!v && errno == ENOMEM)
		return -ENOMEM;
	put_scalars(f, s);
	dropped[1] = put_targets(f, v, n, max);
	dropped[0] = put_groups(f, s, v, n, max);	/* sorts v */
	free(v);
	err = put_flags(f, s);
	if (!err)
		err = put_sites(f, s, top_sites < max ? top_sites : max, &dropped[2]);
	put_dropped(f, dropped);
	if (fflush(f) || ferror(f))
		return -EIO;
	return err;
}

static int tmp_name(const char *path, char *buf, size_t cap)
{
	if (snprintf(buf, cap, "%s.tmp", path) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

int metrics_write_file(const char *path, const struct summary *s, size_t top_sites)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	err = tmp_name(path, tmp, sizeof(tmp));
	if (err)
		return err;
	f = csv_open(tmp);
	if (!f)
		return -errno;
	err = metrics_render(f, s, top_sites);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int metrics_file_check(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, err;

	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	err = tmp_name(path, tmp, sizeof(tmp));
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(tmp);
	return 0;
}
