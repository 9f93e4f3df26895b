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
#include "report.h"
#include "sites.h"
#include "target.h"
#include "metrics.h"

/* The labels every series carries. */
struct who {
	char pid[24];
	const char *comm;
};

struct scalar {
	const char *name;
	const char *type;		/* "gauge" or "counter" (name ends in _total) */
	const char *help;
	__u64 u;
	double d;
	bool is_double;
};


static void who_of(const struct summary *s, struct who *w)
{
	w->comm = s->ntargets ? s->targets[0].comm : "";
	if (s->ntargets == 1)
		snprintf(w->pid, sizeof(w->pid), "%d", s->targets[0].pid);
	else
		snprintf(w->pid, sizeof(w->pid), "%s", s->ntargets ? "all" : "");
}

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

static void put_label(FILE *f, const char *name, const char *value)
{
	fprintf(f, ",%s=\"", name);
	put_value(f, value);
	putc('"', f);
}

/* "name{pid="..",comm=".."" without the closing brace. */
static void open_sample(FILE *f, const char *name, const struct who *w)
{
	fprintf(f, "%s{pid=\"", name);
	put_value(f, w->pid);
	fputs("\",comm=\"", f);
	put_value(f, w->comm);
	putc('"', f);
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

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_scalar(FILE *f, const struct scalar *c, const struct who *w)
{
	put_family(f, c->name, c->type, c->help);
	open_sample(f, c->name, w);
	fputs("} ", f);
	if (c->is_double)
		put_double(f, c->d);
	else
		fprintf(f, "%llu", (unsigned long long)c->u);
	putc('\n', f);
}

static struct scalar num(const char *name, const char *type, const char *help, __u64 v)
{
	return (struct scalar){ .name = name, .type = type, .help = help, .u = v };
}

static struct scalar dbl(const char *name, const char *help, double v)
{
	return (struct scalar){ .name = name, .type = "gauge", .help = help, .d = v,
				.is_double = true };
}

static void put_scalars(FILE *f, const struct summary *s, const struct who *w)
{
	const struct model_totals *t = &s->tot;
	const struct scalar v[] = {
		num("tlsmem_ssl_live", "gauge", "SSL objects live now.", t->ssl_live),
		num("tlsmem_ssl_created_total", "counter", "SSL objects created since attach.",
		    t->ssl_created),
		num("tlsmem_ssl_freed_total", "counter", "SSL objects freed since attach.",
		    t->ssl_freed),
		num("tlsmem_ssl_adopted_total", "counter",
		    "SSL objects created before attach, adopted when first seen in a call.",
		    t->ssl_adopted),
		num("tlsmem_heap_live_bytes", "gauge",
		    "Bytes OpenSSL allocated since attach and still holds.", t->live_bytes),
		num("tlsmem_heap_live_blocks", "gauge",
		    "Blocks OpenSSL allocated since attach and still holds.", t->live_blocks),
		num("tlsmem_heap_allocs_total", "counter", "OpenSSL allocations since attach.",
		    t->allocs),
		num("tlsmem_heap_frees_total", "counter", "Frees of blocks allocated since attach.",
		    t->frees),
		num("tlsmem_heap_unknown_frees_total", "counter",
		    "Frees of blocks allocated before attach (in no other figure).",
		    t->unknown_frees),
		dbl("tlsmem_bytes_per_live_ssl",
		    "Live bytes attributed to the SSL objects created since attach, per object.",
		    summary_bytes_per_ssl(s)),
		num("tlsmem_process_rss_bytes", "gauge", "Resident set size of the targets.",
		    s->rss_bytes),
		num("tlsmem_events_received_total", "counter", "Events received from the kernel.",
		    s->events_received),
		num("tlsmem_events_lost_total", "counter",
		    "Events the kernel could not deliver; when > 0 counts are lower bounds and live figures approximate.",
		    s->events_lost),
		num("tlsmem_complete", "gauge",
		    "1 when no event was lost or rejected: the figures are exact.",
		    summary_complete(s)),
		dbl("tlsmem_observed_seconds", "Seconds since the probes were live.",
		    s->duration_s),
		num("tlsmem_self_rss_bytes", "gauge",
		    "tlsmem's own resident memory, the ring buffer (mapped twice) included.",
		    s->tlsmem_rss),
		num("tlsmem_self_ringbuf_bytes", "gauge", "Size of tlsmem's ring buffer.",
		    s->ringbuf_bytes),
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		put_scalar(f, &v[i], w);
}

/* One sample per flag kind, so that an alert on "> 0" has a series to watch. */
static int put_flags(FILE *f, const struct summary *s, const struct who *w)
{
	struct growth_flag *v = NULL;
	size_t n = s->growth ? growth__flags(s->growth, NULL, 0) : 0, i, k;

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
		open_sample(f, "tlsmem_flags_active", w);
		put_label(f, "kind", flags_kinds[k].name);
		fprintf(f, "} %llu\n", (unsigned long long)active);
	}
	free(v);
	return 0;
}


static void put_site(FILE *f, const char *name, const struct who *w, const struct site_name *nm,
		     __u64 v)
{
	char line[16];

	snprintf(line, sizeof(line), "%d", nm->line);
	open_sample(f, name, w);
	put_label(f, "file", nm->file);
	put_label(f, "line", line);
	put_label(f, "caller", nm->caller);
	put_label(f, "module", nm->module);
	put_label(f, "build_id", nm->build_id);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

static int put_sites(FILE *f, const struct summary *s, const struct who *w, size_t top)
{
	__u32 ns = s->model && s->sites && top ? model__nsites(s->model) : 0;
	struct site_fig *v;
	struct site_name nm;
	size_t n, k;

	if (!ns)
		return 0;
	v = summary_sites_sorted(s, &k);
	if (!v)
		return -ENOMEM;
	ns = (__u32)k;
	n = ns < top ? ns : top;
	put_family(f, "tlsmem_site_live_bytes", "gauge",
		   "Live bytes of an allocation site (the top sites by live bytes).");
	for (k = 0; k < n; k++)
		if (!sites__name(s->sites, v[k].id, &nm))
			put_site(f, "tlsmem_site_live_bytes", w, &nm, v[k].st.live_bytes);
	put_family(f, "tlsmem_site_live_blocks", "gauge",
		   "Live blocks of an allocation site (the top sites by live bytes).");
	for (k = 0; k < n; k++)
		if (!sites__name(s->sites, v[k].id, &nm))
			put_site(f, "tlsmem_site_live_blocks", w, &nm, v[k].st.live_blocks);
	free(v);
	return 0;
}

/*
 * One series per live target, value 1, naming it: pid, comm, exe,
 * container, pod (the other series stay without these labels, so that
 * their number does not grow with the processes). At most
 * METRICS_MAX_TARGETS; the rest are counted as dropped.
 */
static void put_targets(FILE *f, const struct summary *s, const struct who *w)
{
	size_t i, n = 0, dropped = 0;
	char pid[24];

	put_family(f, "tlsmem_target_info", "gauge",
		   "A process observed now (1), with its identity in the labels.");
	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		if (t->exited)
			continue;
		if (n++ >= METRICS_MAX_TARGETS) {
			dropped++;
			continue;
		}
		snprintf(pid, sizeof(pid), "%d", t->pid);
		open_sample(f, "tlsmem_target_info", w);
		put_label(f, "target_pid", pid);
		put_label(f, "target_comm", t->comm);
		put_label(f, "exe", t->exe);
		put_label(f, "container", t->container);
		put_label(f, "pod", t->pod);
		fputs("} 1\n", f);
	}
	put_family(f, "tlsmem_target_info_dropped", "gauge",
		   "Live processes left out of tlsmem_target_info (over its series limit).");
	open_sample(f, "tlsmem_target_info_dropped", w);
	fprintf(f, "} %zu\n", dropped);
}

int metrics_render(FILE *f, const struct summary *s, size_t top_sites)
{
	struct who w;
	int err;

	who_of(s, &w);
	put_scalars(f, s, &w);
	put_targets(f, s, &w);
	err = put_flags(f, s, &w);
	if (!err)
		err = put_sites(f, s, &w, top_sites);
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
