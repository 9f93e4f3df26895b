/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SESSION_INT_H
#define TLSMEM_SESSION_INT_H

/*
 * Inside the session, shared by session.c (start, the loop, the end),
 * session_check.c (preflight checks), session_targets.c (finding and
 * attaching the targets, the child of -- COMMAND, followed processes,
 * loader events), session_all.c (-a) and session_out.c (the outputs):
 * struct session, one run's resources. Other modules use session.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "opts.h"

struct target;
struct summary;

struct session {
	const struct opts *o;
	struct target *targets;		/* the -p processes or COMMAND, then what they forked */
	size_t ntargets, targets_cap;
	bool follow;			/* --children, -- COMMAND, -a: forks followed in the kernel */
	struct htab verdicts;		/* -a: file (dev, inode) -> enum verdict */
	int *cands;			/* -a: processes to look at (an exec, a loader event) */
	size_t ncands, cands_cap;
	struct probe *probe;
	struct reader *rd;
	struct model *m;
	struct symcache *sc;
	struct sites *sites;
	struct dinfod *dinfod;		/* NULL: no debuginfod */
	pid_t child;			/* -- COMMAND, or 0 */
	bool child_execed;		/* COMMAND ran its first exec */
	__u64 nforks;			/* forks followed */
	int child_gate;			/* write end of the pipe the child waits on */
	__u64 attach_ns;		/* CLOCK_MONOTONIC when the probes were live */
	__u64 rss_bytes;
	bool mem_pss;			/* rss_bytes sums PSS over several processes */
	struct pid_stats *pstats;	/* the model's figures per process (per_process) */
	size_t npstats, pstats_cap;
	bool live_text;			/* print the text report every interval */
	struct sampler *sp;		/* growth detectors and the time line */
	struct tui *tui;		/* the live view, on a terminal */
	struct metrics_srv *msrv;	/* --metrics-listen */
	__u64 sockets;			/* open TCP sockets of the live targets */
	bool baseline_done;
	bool had_tui;
	bool metrics_failed;
	FILE *csv;			/* -o: time series */
	struct csv_writer *csv_w;
	__u64 prev_allocs, prev_frees, prev_ns;
	bool csv_failed;
	bool sites_failed;
	FILE *procs_f;			/* --procs-csv */
	bool procs_header;		/* its header row was written */
	bool procs_failed;
	FILE *json_f;			/* --json=FILE */
	FILE *report_f;			/* --report=FILE */
	int out_err;			/* an output could not be written: exit 1 */
	/* established TCP sockets at attach (inodes, sorted), and how many are still open */
	__u64 *pre_socks;
	size_t npre_socks;
	__u64 pre_open;
	int held[OPTS_MAX_PIDS];	/* --hold-loads, -- COMMAND: processes watched for a stop at a load */
	__u64 held_until[OPTS_MAX_PIDS];
};

/* ---- session.c: the loop ---- */

/* CLOCK_MONOTONIC in ns. */
__u64 session_now_ns(void);

/* tlsmem's own CPU time so far, user and system, every thread: seconds. */
double session_cpu_s(void);

/* The snapshot every output reads, at this moment; pointers borrowed from s. */
void session_fill_summary(struct session *s, struct summary *sum);

/* ---- session_check.c: preflight checks ---- */

/* Root, capabilities, BTF, uprobes: what loading the probes needs. 0 or 1 (said why). */
int session_check_system(void);

/*
 * A thread id given as -p names its process: observed as that process (the
 * probes and the figures are per process). Returns the process id.
 */
int session_thread_to_process(int pid);

/* Usage-level problems with a PID: exit 2. */
int session_check_pid(int pid);

/* ---- session_targets.c: targets, the child, followed processes ---- */

/* Attaches what is found in t and not attached yet. */
int session_attach_target(struct session *s, struct target *t);

/* A new target for pid, zeroed; NULL without memory. Pointers to targets die. */
struct target *session_add_target(struct session *s, int pid);

/* The -p targets: checked, and their OpenSSL found. 0 or the exit status (said why). */
int session_setup_pids(struct session *s);

/* -- COMMAND: forked and held at a gate until the probes are attached. 0 or the exit status. */
int session_setup_cmd(struct session *s);

/* Attaches every target found so far. 0 or the exit status (said why). */
int session_attach_all(struct session *s);

/* One line on stderr: what was probed, in how many processes, since t0. */
void session_say_attached(struct session *s, __u64 t0);

/*
 * The target running as pid. A pid reused after a target exited is another
 * process: the newest target with that pid counts, and only while it runs
 * (COMMAND itself until it is reaped).
 */
struct target *session_target_of(struct session *s, int pid);

/* Puts the targets in the BPF side's filter, then what they forked already. */
int session_follow_start(struct session *s);

/*
 * After loader events (the maps-changed records): probes what each target
 * mapped since, lets the processes held at the load go on, and looks at the
 * child.
 */
void session_rescan(struct session *s);

/*
 * Whether t still runs. Under -- COMMAND a process of the tree found
 * stopped (its loader record was lost) is examined and let go on.
 */
bool session_target_alive(struct session *s, struct target *t);

/* -- COMMAND still running when tlsmem ends: SIGTERM, then SIGKILL after 2 s. */
void session_stop_child(struct session *s);

/* --hold-loads: no probe can stop a target any more; one stopped at a load goes on. */
void session_release_held(struct session *s);

/* ---- session_all.c: -a, every OpenSSL process on the host ---- */

/* Queues pid for all_consider() (an exec or a loader event of a process not observed). */
void session_all_candidate(struct session *s, int pid);

/* Looks at the queued processes, a bounded number per pass. */
void session_all_pass(struct session *s);

/* -a at start: the processes there are; --container must name one that exists. */
int session_all_start(struct session *s);

/* ---- session_out.c: the outputs ---- */

/* Output files are opened before attaching: a bad path costs the target nothing. */
int session_open_outputs(struct session *s);

/* One row of the -o time series, with the rates since the previous row. */
void session_csv_row(struct session *s);

/* Rewritten whole every interval, through a rename: a reader never sees half a file. */
void session_sites_csv(struct session *s);

/* --procs-csv: one row per live process, every interval. */
void session_procs_row(struct session *s);

/* --procs-csv closed (unless stdout): 0, or 1 when it could not be written (said why). */
int session_close_procs(struct session *s);

/* The text report every interval when there is no live view: screen cleared, then stdout. */
void session_print_live(struct session *s);

/* The outputs of the end of the run; 0, 1 (one could not be written) or 3 (--fail-on-growth). */
int session_outputs(struct session *s);

#endif /* TLSMEM_SESSION_INT_H */
