/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_REPORT_H
#define TLSMEM_REPORT_H

/*
 * The end-of-run summaries: text for people, JSON for programs (the keys of
 * the product contract). Both are rendered from one struct summary, filled by
 * the session; nothing here touches BPF or the target.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>
#include "model.h"

struct target;
struct sites;

struct summary {
	const struct target *targets;
	size_t ntargets;
	double duration_s;
	struct model_totals tot;
	__u64 rss_bytes;		/* summed over live targets */
	__u64 events_received;
	__u64 events_lost;
	const struct model *model;
	const struct sites *sites;
	size_t max_sites;		/* rows in the text report; JSON has all */
};

/* OpenSSL bytes per live SSL object created since attach; 0 when none. */
double summary_bytes_per_ssl(const struct summary *s);
/* No event lost or rejected: the figures are exact. */
bool summary_complete(const struct summary *s);
void report_text(FILE *f, const struct summary *s);
/* The site table as CSV with a header row; 0 or -EIO. */
int report_sites_csv(FILE *f, const struct summary *s);
/* 0 or -EIO. */
int report_json(FILE *f, const struct summary *s);

#endif /* TLSMEM_REPORT_H */
