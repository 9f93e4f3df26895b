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
#include "summary.h"

struct growth_flag;

/* The end-of-run text report. */
void report_text(FILE *f, const struct summary *s);
/* One sentence saying what the flag found, with the site's names and figures. */
void report_flag_message(const struct summary *s, const struct growth_flag *f, char *buf, size_t cap);
/* The site table as CSV with a header row; 0 or -EIO. */
int report_sites_csv(FILE *f, const struct summary *s);
/* 0 or -EIO. */
int report_json(FILE *f, const struct summary *s);

#endif /* TLSMEM_REPORT_H */
