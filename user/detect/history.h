/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_HISTORY_H
#define TLSMEM_HISTORY_H

/*
 * The recent time line: one point per interval in a bounded ring, oldest
 * first, for sparklines, the time-line view and rates. Pure C.
 */
#include <linux/types.h>
#include <stddef.h>

struct hist_point {
	double t_s;			/* seconds since attach */
	__u64 live_bytes, live_blocks;
	__u64 ssl_live, ssl_created, ssl_freed;
	__u64 allocs, frees;		/* cumulative */
	__u64 rss_bytes;
	__u64 open_sockets;		/* UINT64_MAX: unknown */
};

struct history;

struct history *history__new(size_t cap);	/* NULL + errno; cap >= 1 */
void history__free(struct history *h);		/* NULL-safe */
/* Appends p, dropping the oldest point when full. */
void history__push(struct history *h, const struct hist_point *p);
size_t history__len(const struct history *h);
/* Point i, 0 the oldest; NULL when i >= len. */
const struct hist_point *history__at(const struct history *h, size_t i);
/* The newest point, or NULL when empty. */
const struct hist_point *history__last(const struct history *h);

#endif /* TLSMEM_HISTORY_H */
