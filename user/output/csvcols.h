/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_CSVCOLS_H
#define TLSMEM_CSVCOLS_H

/*
 * The columns of the -o time series, in one table of {name, getter}: the
 * writer's header and rows, `tlsmem plot` and the README's column table all
 * follow it. A column is added here, and nowhere else. Pure C.
 */
#include "csv.h"
#include "summary.h"

/* What one row is written from. */
struct csvcols_in {
	const struct summary *s;
	double allocs_per_s, frees_per_s;	/* over the interval */
};

enum csvcol_id {
	CSVCOL_TIME_S,
	CSVCOL_LIVE_SSL,
	CSVCOL_SSL_CREATED,
	CSVCOL_SSL_FREED,
	CSVCOL_LIVE_BYTES,
	CSVCOL_LIVE_BLOCKS,
	CSVCOL_ALLOCS_PER_S,
	CSVCOL_FREES_PER_S,
	CSVCOL_BYTES_PER_LIVE_SSL,
	CSVCOL_RSS_BYTES,
	CSVCOL_EVENTS_LOST,
	CSVCOL_FLAGS,
	CSVCOL_EVENTS_RECEIVED,
	CSVCOL_SSL_ADOPTED,
	CSVCOL_UNKNOWN_FREES,
	CSVCOL_ORPHAN_BYTES,
	CSVCOL_COMPLETE,
	CSVCOL_PEAK_LIVE_SSL,
	CSVCOL_PEAK_LIVE_BYTES,
	CSVCOL_SESSIONS_CACHED,
	CSVCOL__COUNT,
};

struct csvcol {
	const char *name;		/* the header, lower_snake_case: part of the interface */
	void (*put)(struct csv_writer *w, const struct csvcols_in *in);
	size_t tot_off;			/* put NULL: this __u64 of struct model_totals */
};

/* Indexed by enum csvcol_id, in the order of the file's columns. */
extern const struct csvcol csvcols[CSVCOL__COUNT];

/* The header row, ended (an error shows at the next csvcols_row). */
void csvcols_header(struct csv_writer *w);
/* One row from in, ended: 0, or -EIO once any write failed. */
int csvcols_row(struct csv_writer *w, const struct csvcols_in *in);

#endif /* TLSMEM_CSVCOLS_H */
