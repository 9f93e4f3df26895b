// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The columns of the -o time series; see csvcols.h. */
#include <stddef.h>
#include "flags.h"
#include "csvcols.h"

static void time_s(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__double(w, in->s->duration_s);
}

static void allocs_per_s(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__double(w, in->allocs_per_s);
}

static void frees_per_s(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__double(w, in->frees_per_s);
}

static void bytes_per_live_ssl(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__double(w, summary_bytes_per_ssl(in->s));
}

static void rss_bytes(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__u64(w, in->s->rss_bytes);
}

static void events_lost(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__u64(w, in->s->events_lost);
}

static void flags(struct csv_writer *w, const struct csvcols_in *in)
{
	char buf[256];

	flags_field(in->s, buf, sizeof(buf));
	csv_writer__field(w, buf);
}

static void events_received(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__u64(w, in->s->events_received);
}

static void complete(struct csv_writer *w, const struct csvcols_in *in)
{
	csv_writer__u64(w, summary_complete(in->s));
}

/* A column that is one of the model's totals. */
#define TOT(field)	NULL, offsetof(struct model_totals, field)

const struct csvcol csvcols[CSVCOL__COUNT] = {
	[CSVCOL_TIME_S] = { "time_s", time_s },
	[CSVCOL_LIVE_SSL] = { "live_ssl", TOT(ssl_live) },
	[CSVCOL_SSL_CREATED] = { "ssl_created", TOT(ssl_created) },
	[CSVCOL_SSL_FREED] = { "ssl_freed", TOT(ssl_freed) },
	[CSVCOL_LIVE_BYTES] = { "live_bytes", TOT(live_bytes) },
	[CSVCOL_LIVE_BLOCKS] = { "live_blocks", TOT(live_blocks) },
	[CSVCOL_ALLOCS_PER_S] = { "allocs_per_s", allocs_per_s },
	[CSVCOL_FREES_PER_S] = { "frees_per_s", frees_per_s },
	[CSVCOL_BYTES_PER_LIVE_SSL] = { "bytes_per_live_ssl", bytes_per_live_ssl },
	[CSVCOL_RSS_BYTES] = { "rss_bytes", rss_bytes },
	[CSVCOL_EVENTS_LOST] = { "events_lost", events_lost },
	[CSVCOL_FLAGS] = { "flags", flags },
	[CSVCOL_EVENTS_RECEIVED] = { "events_received", events_received },
	[CSVCOL_SSL_ADOPTED] = { "ssl_adopted", TOT(ssl_adopted) },
	[CSVCOL_UNKNOWN_FREES] = { "unknown_frees", TOT(unknown_frees) },
	[CSVCOL_ORPHAN_BYTES] = { "orphan_bytes", TOT(orphan_bytes) },
	[CSVCOL_COMPLETE] = { "complete", complete },
	[CSVCOL_PEAK_LIVE_SSL] = { "peak_live_ssl", TOT(peak_ssl_live) },
	[CSVCOL_PEAK_LIVE_BYTES] = { "peak_live_bytes", TOT(peak_live_bytes) },
	[CSVCOL_SESSIONS_CACHED] = { "sessions_cached", TOT(sess_cached) },
};

void csvcols_header(struct csv_writer *w)
{
	size_t i;

	for (i = 0; i < CSVCOL__COUNT; i++)
		csv_writer__field(w, csvcols[i].name);
	csv_writer__end_row(w);
}

int csvcols_row(struct csv_writer *w, const struct csvcols_in *in)
{
	const char *tot = (const char *)&in->s->tot;
	size_t i;

	for (i = 0; i < CSVCOL__COUNT; i++) {
		if (csvcols[i].put)
			csvcols[i].put(w, in);
		else
			csv_writer__u64(w, *(const __u64 *)(tot + csvcols[i].tot_off));
	}
	return csv_writer__end_row(w);
}
