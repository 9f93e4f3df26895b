/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PROCS_H
#define TLSMEM_PROCS_H

/*
 * The figures of each live process (a target joined with the model's
 * figures for its pid and its live SSL objects), and the same summed per
 * group of processes that run the same program in the same container: what
 * the per-process CSV (--procs-csv) and the metrics show. Pure C: reads a
 * struct summary, nothing else.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct summary;
struct target;

/* One process, or the sum over a group of them. */
struct proc_fig {
	const struct target *t;		/* the process; of a group, its first member */
	size_t nprocs;			/* processes summed (1 for a process) */
	__u64 ssl_live;			/* live SSL objects, adopted ones included */
	__u64 ssl_created, ssl_freed;	/* SSL_new, SSL_free since attach (freed: adopted too) */
	__u64 live_bytes, live_blocks;	/* OpenSSL blocks held */
	__u64 ssl_new_live;		/* live SSL objects created since attach */
	__u64 ssl_new_bytes;		/* live bytes attributed to those */
	__u64 mem_bytes;		/* RSS, or PSS when several are observed (summary.mem_pss) */
};

/*
 * One entry per live target (not exited), in the order of s->targets.
 * Caller frees; NULL with *n 0 when there is none, or no memory (errno).
 */
struct proc_fig *procs_list(const struct summary *s, size_t *n);

/*
 * The program of a process as labels and columns show it: its executable's
 * path, or its comm when the path could not be read.
 */
const char *procs_exe(const struct target *t);

/*
 * Sums v (from procs_list) per (program, container) in place, unless
 * per_pid; then sorts by live bytes, most first (ties by program, container,
 * pid), so that the ones a limit keeps are the heaviest. Returns the number
 * of entries left in v.
 */
size_t procs_group(struct proc_fig *v, size_t n, bool per_pid);

/* OpenSSL bytes per live SSL object created since attach; 0 when none. */
double procs_bytes_per_ssl(const struct proc_fig *p);

/*
 * --procs-csv: the header row (with_header), then one row per live process,
 * stamped t_s. 0, -ENOMEM, or -EIO when f reports an error.
 */
int procs_csv(FILE *f, const struct summary *s, bool with_header);

#endif /* TLSMEM_PROCS_H */
