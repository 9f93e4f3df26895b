/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_COMPARE_H
#define TLSMEM_COMPARE_H

/*
 * `tlsmem compare`: runs saved with tlsmem --json, side by side against the
 * first (BASE), with their sites matched by OpenSSL file:line and caller and
 * normalized per connection, and a budget for CI. The reading, matching,
 * normalization and budget below are pure (text in, structs out); only
 * compare_main reads files and prints. Plain libc; no libbpf, no curses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "jsonr.h"

#define CMP_FORMAT	1	/* the "format" key of tlsmem --json this reads */
#define CMP_MAX_RUNS	16

/* A figure a run's JSON may lack ("-" in the table, null in the JSON). */
struct cmp_val {
	double v;
	bool ok;
};

struct cmp_site {
	const char *file;		/* strings live in the run's document */
	const char *caller;
	long line;
	double live_bytes;
	double live_blocks;
	struct cmp_val alloc_bytes;	/* bytes allocated here since attach */
};

struct cmp_run {
	const char *path;
	struct jsonr *doc;
	const struct jsonr_node *targets;
	char target[96];		/* "gt_server (PID 42)", "node +2 more" */
	char openssl[96];		/* "OpenSSL 3.0.19 shared" */
	char object[64];		/* the object that carries it: "libcrypto.so.3", "node" */
	double duration_s;
	struct cmp_val ssl_live, ssl_peak_live, ssl_created, ssl_freed;
	struct cmp_val live_bytes, peak_live_bytes, allocs;
	struct cmp_val bytes_per_live_ssl;	/* OpenSSL bytes owned per live SSL */
	struct cmp_val closed_mean_peak;	/* ssl_cost.closed.mean_peak_bytes */
	struct cmp_val all_mean_peak;		/* ssl_cost.all.mean_peak_bytes */
	struct cmp_val rss_slope;		/* estimate.rss_per_ssl_bytes */
	double events_lost;
	bool complete;
	struct cmp_site *sites;
	size_t nsites;
};

/* What a site's bytes are divided by: the same for every run of a comparison. */
enum cmp_basis {
	CMP_BASIS_LIVE,		/* live_bytes / ssl.live: what a live connection holds */
	CMP_BASIS_ALLOC,	/* alloc_bytes / ssl.created: what a connection allocated */
};

enum cmp_match {
	CMP_EXACT,		/* file, line and caller */
	CMP_LINE_MOVED,		/* file and caller, on another line */
	CMP_CALLER_UNNAMED,	/* file and line; the callers are addresses in other builds */
};

/* One site across runs; per[k] is meaningful only when has[k]. */
struct cmp_row {
	const char *file;
	const char *caller;
	long line[CMP_MAX_RUNS];	/* the site's line in run k (when in[k]) */
	bool in[CMP_MAX_RUNS];		/* the run lists this site */
	bool has[CMP_MAX_RUNS];		/* per[k] is defined (the run normalizes) */
	double per[CMP_MAX_RUNS];	/* bytes per connection; 0 when !in[k] */
	double delta[CMP_MAX_RUNS];	/* per[k] - per[0]; 0 for k = 0 */
	enum cmp_match match;
	double sort;			/* the largest |delta| */
};

struct cmp {
	struct cmp_run run[CMP_MAX_RUNS];
	int nruns;
	enum cmp_basis basis;
	struct cmp_row *rows;		/* sorted by the largest |delta| first */
	size_t nrows;
};

/* A run's failures of the budget. */
struct cmp_verdict {
	bool incomplete;		/* this run or BASE lost events */
	bool no_figure;			/* bytes per connection undefined here or in BASE */
	bool over_pct;
	bool over_site;
	double change_pct;		/* of bytes per connection against BASE */
};

/*
 * Reads the JSON text of one tlsmem --json run into r (r->path names it in
 * messages). Returns 0; -EINVAL when it is not tlsmem's JSON, -EPROTO for
 * another format version, -ENOMEM; the reason is in err. On failure r holds
 * nothing to free; on success cmp_run_free releases it.
 */
int cmp_run_parse(struct cmp_run *r, const char *text, size_t len, char *err, size_t errcap);
void cmp_run_free(struct cmp_run *r);		/* NULL-safe; r itself is not freed */

/* Chooses the basis, matches the sites of c->run[0..nruns) and fills c->rows. 0 or -ENOMEM. */
int cmp_build(struct cmp *c);
void cmp_free(struct cmp *c);			/* rows and runs */

/*
 * A source file from OpenSSL's tree root: "../deps/openssl/openssl/ssl/s3_lib.c"
 * (node) and "../ssl/s3_lib.c" (Debian) both give "ssl/s3_lib.c". A path
 * with no top directory of OpenSSL's (ssl/, crypto/, providers/, include/,
 * engines/) is returned whole. The result points into f.
 */
const char *cmp_norm_file(const char *f);

/* Bytes per connection of a site, on a basis; ok false when the run cannot say. */
struct cmp_val cmp_site_per_conn(const struct cmp_run *r, const struct cmp_site *s,
				 enum cmp_basis b);
/* The run's OpenSSL bytes per connection on the basis (what the budget compares). */
struct cmp_val cmp_conn_bytes(const struct cmp_run *r, enum cmp_basis b);

/*
 * The budget for run k >= 1 against BASE: pct < 0 and site_bytes < 0 mean
 * "not set". Returns true when the run passes; an incomplete run never does
 * while a budget is set.
 */
bool cmp_judge(const struct cmp *c, int k, double pct, double site_bytes, struct cmp_verdict *v);

/* The last component of path; path itself when it has none (no '/', or one at the end). */
const char *cmp_base_name(const char *path);
/* s (NULL: "?") into buf, control bytes shown as '?': names from a file reach a terminal. */
void cmp_clean_copy(char *buf, size_t cap, const char *s);
/* A caller that is an unnamed address ("0x..."), not a function name. */
bool cmp_is_address(const char *caller);

/* argv[0] is "compare". Returns the exit status: 0, 1, 2 (bad input), 3 (over budget). */
int compare_main(int argc, char **argv);

/*
 * Reads the run in path for tlsmem plot: 0, or the exit status (2) after a
 * message. *is_run is false, with nothing read, when the file does not start
 * with '{' (a CSV, say).
 */
int cmp_run_load(struct cmp_run *r, const char *path, bool *is_run);

#endif /* TLSMEM_COMPARE_H */
