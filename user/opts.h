/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_OPTS_H
#define TLSMEM_OPTS_H

/* Command line -> struct opts; usage text. No libbpf, no I/O beyond printing. */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define OPTS_MAX_PIDS	64

enum opts_status {
	OPTS_RUN,
	OPTS_EXIT_OK,			/* -h, -V: done */
	OPTS_EXIT_USAGE,		/* message printed; exit 2 */
};

struct opts {
	int pids[OPTS_MAX_PIDS];
	size_t npids;
	char **cmd;			/* argv after "--", NULL-terminated, or NULL */
	__u64 interval_ms;
	__u64 duration_ms;		/* 0: until q, a signal or the targets exit */
	const char *csv;
	const char *sites_csv;
	const char *procs_csv;		/* --procs-csv: one row per live process per interval */
	const char *metrics_listen;	/* ADDR:PORT for /metrics */
	const char *metrics_file;	/* textfile collector output */
	bool metrics_per_pid;		/* --metrics-per-pid: a pid label, one series per process */
	__u64 metrics_max_series;	/* --metrics-max-series; 0: METRICS_MAX_SERIES */
	__u64 metrics_top_sites;	/* --metrics-top-sites; 0: METRICS_TOP_SITES */
	bool report;			/* text summary at the end */
	bool json;			/* JSON summary at the end */
	const char *report_path;	/* --report=FILE; NULL: stdout (stderr if stdout is taken) */
	const char *json_path;		/* --json=FILE; NULL or "-": stdout */
	bool fail_on_growth;
	bool no_color;
	bool no_debuginfod;		/* --no-debuginfod */
	int verbose;
	__u64 baseline_after_ms;	/* 0: no automatic baseline */
	bool light;			/* --light */
	bool empty_programs;		/* --empty-programs: measure the probes' own cost */
	bool children;			/* --children: follow processes forked by the targets */
	bool all;			/* -a: every OpenSSL process on the host */
	const char *exe;		/* --exe: with -a, only processes of this program */
	const char *container;		/* --container: with -a, only this container (id prefix) */
	bool wait;			/* -p: wait for OpenSSL to be loaded */
	bool hold_loads;		/* -p: stop a target at each loader event until probed */
	bool entry_probes;		/* --entry-probes: no probe placement (benchmarks) */
	__u64 ringbuf_bytes;		/* 0: the default built into the BPF object */
};

enum opts_status opts_parse(int argc, char **argv, struct opts *o);
/* A path that means stdout: "-". */
bool opts_is_stdout(const char *path);
/*
 * The outputs written to stdout (-o -, --procs-csv -, --sites-csv -, --metrics-file -,
 * --json without FILE), named in buf; returns how many.
 */
int opts_stdout_outputs(const struct opts *o, char *buf, size_t cap);
/* The text report goes to stdout: asked for or by default, and stdout not taken. */
bool opts_report_on_stdout(const struct opts *o, bool stdout_tty);
/* Parses a decimal in [min, max]. Returns 0, -EINVAL or -ERANGE. */
int opts_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out);
/* Parses seconds with an optional fraction ("0.5") into ms in [min_ms, max_ms]. */
int opts_parse_seconds(const char *s, __u64 min_ms, __u64 max_ms, __u64 *out_ms);
/* Parses "PID[,PID...]" into o->pids; 0 or -EINVAL / -ERANGE / -E2BIG. */
int opts_parse_pids(const char *s, struct opts *o);

#endif /* TLSMEM_OPTS_H */
