/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SUMMARY_H
#define TLSMEM_SUMMARY_H

/*
 * The snapshot every output reads (the report, the JSON, the live view, the
 * metrics, the CSV time series), filled by the session once an interval, and
 * the figures computed from it. Pure C: reads the model and the time line,
 * nothing else.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "model.h"

struct target;
struct sites;
struct growth;
struct history;

/* Everything a view or an output shows, at one moment. All pointers borrowed. */
struct summary {
	const struct target *targets;
	size_t ntargets;
	double duration_s;		/* since the probes were live */
	double interval_s;
	struct model_totals tot;
	const struct pid_stats *pids;	/* live figures per process, at the last interval */
	size_t npids;
	__u64 rss_bytes;		/* RSS of one live target, or summed PSS of several */
	bool mem_pss;			/* rss_bytes is a sum of PSS */
	__u64 open_sockets;		/* TCP/TCP6 sockets of the targets; UINT64_MAX unknown */
	__u64 pre_attach_conns;		/* established TCP connections at attach */
	__u64 pre_attach_waiting;	/* of those, still open with no SSL object seen yet */
	__u64 events_received;
	__u64 events_lost;
	__u64 probes;			/* probes attached */
	__u64 probe_hits;		/* probe hits in the target since attach */
	__u64 probe_hits_other;		/* and in processes not observed (following) */
	bool light;			/* --light: SSL_new/SSL_free only */
	size_t tlsmem_bytes;		/* tlsmem's own memory for the model */
	__u64 tlsmem_rss;		/* tlsmem's own resident memory (VmRSS), 0 unknown */
	__u64 ringbuf_bytes;		/* the ring buffer, mapped twice in that RSS */
	double tlsmem_cpu_s;		/* tlsmem's own CPU time (user + system), all threads */
	const struct model *model;
	const struct sites *sites;
	const struct growth *growth;	/* flags and per-site deltas; may be NULL */
	const struct history *hist;	/* recent points, oldest first; may be NULL */
	double baseline_s;		/* when the baseline was set, < 0 if never */
	size_t max_sites;		/* rows in the text report; JSON has all */
	bool metrics_per_pid;		/* metrics: one series per process, not per group */
	size_t metrics_max_series;	/* metrics: series per family at most; 0 the default */
	size_t metrics_top_sites;	/* metrics: sites with series; 0 the default */
};

/* Live bytes held per SSL object created since attach (adopted ones left out). */
struct ssl_cost {
	__u64 objects;
	double mean;
	__u64 p50, p99, max;
};

void summary_ssl_cost(const struct summary *s, struct ssl_cost *c);

/* What closed SSL objects cost (bytes owned at their peak, and when freed). */
struct closed_cost {
	__u64 objects;
	double mean_peak, mean_at_free;
	__u64 p50, p99, max;		/* of the peak */
};

void summary_closed_cost(const struct summary *s, struct closed_cost *c);

/* Peak bytes over closed and live SSL objects created since attach (adopted ones left out). */
struct all_cost {
	__u64 objects;
	double mean_peak;
	__u64 p50, p99, max;
};

void summary_all_cost(const struct summary *s, const struct closed_cost *cc, struct all_cost *c);

/*
 * The whole process's memory per connection: least-squares slope of RSS on
 * live SSL objects over the time line, with its standard error; *share is
 * OpenSSL's exact bytes per live SSL over the slope. Returns the number of
 * points used, 0 when the live SSL count did not move enough for a fit.
 */
size_t summary_rss_slope(const struct summary *s, double *slope, double *se, double *share,
			 double *r2);

/* Cost of one probe hit in the target, as measured by make bench on x86-64 VMs. */
#define PROBE_HIT_NS	1000.0

/* Probe hits per second since attach, and the share of one CPU they take (estimate). */
double summary_hits_per_s(const struct summary *s);
/* The same for the hits in processes not observed. */
double summary_other_hits_per_s(const struct summary *s);
double summary_other_cpu_pct(const struct summary *s);
double summary_cpu_pct(const struct summary *s);

/* A site id with its figures; summary_sites_sorted() hands out arrays of them. */
struct site_fig {
	__u32 id;
	struct site_stats st;
};

/* Every site, by live bytes then allocations; caller frees; NULL + *n 0 when none or no memory. */
struct site_fig *summary_sites_sorted(const struct summary *s, size_t *n);

/* OpenSSL bytes per live SSL object created since attach; 0 when none. */
double summary_bytes_per_ssl(const struct summary *s);

struct growth_flag;

/* The growth flags, raised and cleared; caller frees; NULL + *n 0 when none or no memory. */
struct growth_flag *summary_flags(const struct summary *s, size_t *n);

/* Milliseconds a late-loaded object ran unprobed, summed over the targets' objects. */
double summary_unobserved_ms(const struct summary *s);

/* No event lost or rejected, no object that ran unprobed: the figures are exact. */
bool summary_complete(const struct summary *s);

#endif /* TLSMEM_SUMMARY_H */
