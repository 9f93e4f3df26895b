/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_METRICS_H
#define TLSMEM_METRICS_H

/*
 * The figures of a struct summary in the Prometheus text exposition format
 * (version 0.0.4): rendered to a FILE, or written atomically for
 * node_exporter's textfile collector (--metrics-file); metrics_srv.h serves
 * it over HTTP. Plain libc; no libbpf, no curses.
 *
 * Labels stay bounded: the figures of the whole run (counters since attach,
 * events, tlsmem's own cost, flags) carry none; the live figures of the
 * processes (live SSL objects, OpenSSL's live bytes and blocks, bytes per
 * live SSL, memory) are summed per (exe, container), or given per process
 * with pid and comm labels when summary.metrics_per_pid is set;
 * tlsmem_target_info names each process (pid, comm, exe, container, pod).
 * Per-site series are the top sites by live bytes, with file, line, caller,
 * module and build_id labels. Each of these families (per group or process,
 * target_info, sites) holds at most summary.metrics_max_series series;
 * tlsmem_series_dropped counts the label sets left out. Label values are
 * escaped, and bytes that are not UTF-8 become U+FFFD. No timestamps: the
 * scraper stamps samples.
 */
#include <stddef.h>
#include <stdio.h>

struct summary;

#define METRICS_TOP_SITES	20	/* top_sites when summary.metrics_top_sites is 0 */
#define METRICS_MAX_SERIES	500	/* series per family when summary.metrics_max_series is 0 */

/*
 * Writes every metric family (HELP, TYPE, samples) of s to f; per-site
 * series for the top_sites sites with the most live bytes (none when
 * s->sites or s->model is NULL, or top_sites is 0). 0, -ENOMEM, or -EIO when
 * f reports an error.
 */
int metrics_render(FILE *f, const struct summary *s, size_t top_sites);

/* The top_sites s asks for (--metrics-top-sites), or METRICS_TOP_SITES. */
size_t metrics_top_sites(const struct summary *s);

/*
 * Replaces path atomically with the metrics of s: writes path.tmp (a symbolic
 * link there is not followed) and renames it over path. 0 or -errno; on
 * failure path is unchanged and path.tmp removed.
 */
int metrics_write_file(const char *path, const struct summary *s, size_t top_sites);

/*
 * Before attaching: can metrics_write_file(path) work? Creates and removes
 * path.tmp, leaves path alone. 0, -EISDIR when path is a directory, or the
 * -errno of creating path.tmp (-ENOENT, -EACCES, -EROFS ...).
 */
int metrics_file_check(const char *path);

#endif /* TLSMEM_METRICS_H */
