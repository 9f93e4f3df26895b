/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_GROWTH_H
#define TLSMEM_GROWTH_H

/*
 * Growth detection: fed one sample of the model per interval (totals, live
 * SSL objects, open sockets and every site's live blocks and bytes), it keeps
 * a bounded window of history and raises flags: a site leaking per
 * connection, OpenSSL memory growing beyond what the live SSL objects
 * explain, SSL objects outliving their sockets, and (informational) caches
 * filling with connections. It also reports every site's growth since a
 * baseline, like a heap-profile diff. Pure C: no libbpf, no I/O, no clock
 * (time comes from the samples), no globals.
 *
 * The method is described in docs/detection.md.
 *
 * leak-per-connection is proven from lifecycles where the site's blocks have
 * owners (sprt.h: N of M freed owners left a block here), and fitted as
 * below only for sites whose blocks mostly have none. session-leak: freed
 * SSL objects leave sessions that no cache holds. cache (informational):
 * sessions held by a session cache.
 *
 * Flags are never removed: a flag stays in the list with the figures of the
 * last sample its evidence held, and is marked inactive when the window
 * contradicts it: a leak or cache site whose last quarter is not above its
 * first by a quarter of what k predicts while >= min_conns were freed,
 * growth without its weak evidence, sockets back in line. So a bounded
 * cache that is not marked can be flagged as a leak while it fills (it
 * cannot be told apart then); its flag turns inactive once the site has been
 * flat for about a window, and growth__any() reports active flags only.
 *
 * Memory: at most GROWTH_HIST_MAX samples of history (samples closer than
 * window_s / GROWTH_ROWS_PER_WINDOW apart are not kept in it), each holding
 * GROWTH_SITE_SAMPLE_BYTES per site, plus about 220 bytes of running sums and
 * figures per site. Within a window a site's bytes are kept as a 32-bit
 * offset from a per-site base: a site whose live bytes swing by more than
 * 2 GiB within one window is clamped.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "model.h"

#define GROWTH_HIST_MAX			400	/* samples of history kept, at most */
#define GROWTH_ROWS_PER_WINDOW		360	/* history samples per window_s, at most */
#define GROWTH_SITE_SAMPLE_BYTES	8	/* history per site per kept sample */

struct growth;

/* Zero fields take the defaults. */
struct growth_params {
	double window_s;		/* history the detectors use (default 300) */
	__u64 min_conns;		/* SSL objects freed within the window before
					 * leak-per-connection may fire (default 200) */
	__u32 min_samples;		/* samples in the window before any fit (default 10,
					 * at least 4, at most GROWTH_ROWS_PER_WINDOW) */
};

struct growth_sample {
	double t_s;			/* seconds since attach, increasing */
	__u64 live_bytes, live_blocks;	/* OpenSSL's outstanding allocations */
	__u64 ssl_live, ssl_created, ssl_freed;
	__u64 open_sockets;		/* UINT64_MAX: unknown */
	__u32 nsites;			/* sites[0..nsites), indexed by site id; never shrinks */
	const struct site_stats *sites;
	const __u8 *site_is_cache;	/* per site id, non-zero: OpenSSL's session cache;
					 * may be NULL */
	/* lifecycles (model.h): freed SSL objects weighed, sessions nobody holds,
	 * sessions in a cache and the bytes they own */
	__u64 ssl_weighed, sess_orphans, sess_cached, sess_bytes;
	bool final;			/* the last sample: every detector runs on all the data */
};

/* A new kind gets its words in user/output/flags.c. */
enum growth_kind {
	GROWTH_LEAK_PER_CONN = 1,
	GROWTH_GROWTH,
	GROWTH_SSL_OUTLIVES_SOCKET,
	GROWTH_CACHE,
	GROWTH_SESSION_LEAK,
};

struct growth_flag {
	enum growth_kind kind;
	__u32 site;			/* site id, or UINT32_MAX for the whole process */
	bool active;			/* not contradicted by the latest window */
	double since_s;			/* when first raised */
	double last_s;			/* latest sample at which its evidence held */
	double blocks_per_conn;		/* leak, cache: slope k */
	double bytes_per_block;		/* leak, cache: size of the blocks that pile up */
	double conns;			/* SSL objects freed within the evidence's window */
	double bytes_per_hour;		/* leak, cache, growth: projected growth at the
					 * observed rate */
	double r2;			/* leak, cache: R^2 of the fit; growth: share of the
					 * variance left by ssl_live that time explains */
	double tstat;			/* growth: t-statistic of the slope */
	__u32 top_sites[3];		/* growth: biggest contributors, UINT32_MAX when fewer */
	double top_rates[3];		/* their bytes per hour */
	double ssl_live, sockets;	/* ssl-outlives-socket; ssl_live also for growth */
	/* leak-per-connection from lifecycles (left of freed owners of owner_kind),
	 * session-leak (sessions nobody holds of SSL objects freed); cache of
	 * sessions: held sessions and their bytes */
	__u64 left, freed;
	__u64 freed_at_raise;		/* lifecycle: freed owners weighed when first raised */
	__u32 owner_kind;		/* enum model_owner_kind */
	bool lifecycle;			/* raised from lifecycles, not from a fit */
	__u64 held, held_bytes;
};

/*
 * Returns a detector with no history, or NULL + errno (EINVAL for bad params,
 * ENOMEM). p may be NULL: defaults.
 */
struct growth *growth__new(const struct growth_params *p);
/* Frees g and everything it holds. NULL-safe. */
void growth__free(struct growth *g);

/*
 * Adds one sample (copies what it needs from s, which the caller keeps
 * owning) and runs the detectors. A sample closer than window_s /
 * GROWTH_ROWS_PER_WINDOW to the last one kept in the history only updates
 * the sites' figures and the socket detector. 0; -EINVAL (nothing changes)
 * when t_s is not finite or does not increase, nsites shrinks, sites is NULL
 * with nsites > 0, or ssl_freed is below the first sample's; -ENOMEM when
 * memory runs out (the sample is dropped, or a new flag is not recorded; the
 * state stays consistent).
 */
int growth__add(struct growth *g, const struct growth_sample *s);

/*
 * Copies up to cap flags, in the order they were first raised, into out and
 * returns how many there are in all (which may exceed cap). out may be NULL
 * when cap is 0.
 */
size_t growth__flags(const struct growth *g, struct growth_flag *out, size_t cap);

/* True when an active flag of a kind other than GROWTH_CACHE exists (--fail-on-growth). */
bool growth__any(const struct growth *g);

/* Records every site's figures at the latest sample as the baseline. */
void growth__set_baseline(struct growth *g);

/*
 * Growth of one site since the baseline (or since the first sample when no
 * baseline was set; a site first seen later counts from zero): *bytes and
 * *blocks as signed deltas, *per_min as the least-squares slope of its live
 * bytes over the window, in bytes per minute (0 with fewer than 2 samples).
 * Any pointer may be NULL. 0, or -ENOENT for a site id never seen.
 */
int growth__site_delta(const struct growth *g, __u32 site, long long *bytes, long long *blocks,
		       double *per_min);

/* Bytes of memory g holds. */
size_t growth__bytes(const struct growth *g);

#endif /* TLSMEM_GROWTH_H */
