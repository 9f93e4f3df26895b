/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_GROWTH_INT_H
#define TLSMEM_GROWTH_INT_H

/*
 * Inside the growth module, shared by growth.c (the history, its sums, the
 * growth fit and the API), growth_leak.c (leak-per-connection and cache by
 * fit) and growth_life.c (lifecycle verdicts and ssl-outlives-socket, on
 * every sample). Other modules use growth.h. Pure C.
 */
#include <stdbool.h>
#include <linux/types.h>
#include "growth.h"
#include "sprt.h"

#define COLLINEAR		1e-9	/* 1 - r^2 of two regressors below this: one regressor */
#define NO_FLAG			UINT32_MAX
#define MS_PER_H		3.6e6

struct ent {
	__u32 blocks;			/* saturated at UINT32_MAX */
	__s32 dbytes;			/* live bytes - the site's base, clamped */
};

struct row {
	__s64 t_ms;			/* since the first sample */
	__s64 ssl_live;
	__s64 freed;			/* ssl_freed - the first sample's */
	__u64 live_bytes;
	__u64 sess_bytes;		/* owned by live sessions */
	__u32 n;			/* sites in e[]; a site id >= n had nothing live then */
	__u32 cap;
	struct ent *e;
};

/* Over the rows in the window: a = ssl_live, b = freed, t = t_ms. */
struct gsums {
	__int128 a, b, t, aa, bb, tt, ab, at, bt;
};

/* Over the rows in the window: y = the site's blocks, z = its bytes - base. */
struct ssums {
	__int128 y, yy, ya, yb, yt;
	__int128 z, zz, za, zb, zt;
};

struct site {
	struct ssums s;
	__u64 base;			/* bytes offset of its history */
	__u64 bytes, blocks;		/* at the latest sample */
	__u64 ref_bytes, ref_blocks;	/* at the baseline */
	__u32 flag;			/* its leak or cache flag, or NO_FLAG */
	__u32 pass;			/* consecutive samples passing the leak test */
	__u8 cache;
	__u8 owned;			/* most of its blocks have owners: judged by lifecycles */
	struct sprt_hist hist[MODEL_OWNER_KINDS];
};

struct growth {
	__s64 window_ms, spacing_ms;
	__u64 min_conns;
	__u32 min_samples;
	bool started, baseline_set;
	double t0, last_t;
	__u64 freed0;
	__u64 ssl_live;			/* at the latest sample */
	struct row rows[GROWTH_HIST_MAX];
	__u32 head, nrows;
	struct ent *spare;		/* the buffer of the last row that left */
	__u32 spare_cap;
	struct gsums gs;
	double resid[GROWTH_HIST_MAX];	/* scratch: residuals or series of the fit under test */
	double xs[GROWTH_HIST_MAX];	/* scratch: its regressor */
	struct site *sites;
	__u32 nsites, sites_cap;
	struct growth_flag *flags;
	size_t nflags, flags_cap;
	__u32 *expl;			/* sites an active leak or cache flag explains */
	size_t nexpl;			/* holds flags_cap ids */
	bool sess_expl;			/* the cache flag explains the sessions' bytes */
	__u32 growth_flag, sock_flag, sess_flag, cache_flag;
	struct sprt_hist sess_hist;
	__u32 growth_pass;		/* consecutive samples passing the growth test */
	double growth_pass_s;		/* since when */
	bool sock_run;
	double sock_since;
};

/* Centered figures of the window shared by every fit. */
struct win {
	double n;
	double aa, bb, tt, ab, at, bt;
	double freed;			/* SSL objects freed across the window */
	double span_ms;
};

/* Least squares of y on (u, v); v is the regressor under test. */
struct fit {
	double cu, cv;
	double sse;
	double se_v;			/* standard error of cv; 0 when not known */
	bool collinear;			/* v cannot be told apart from u (or is constant): cv = 0 */
};

/* Row i of the history, 0 the oldest (i may be nrows: the next row). */
struct row *growth_row_at(const struct growth *g, __u32 i);
/* n times the covariance of x and y from their sums. */
double growth_cov(__int128 n, __int128 sxy, __int128 sx, __int128 sy);
/* Least squares of y on (u, v) from centered sums (uu = sum of u*u ...) over n rows. */
void growth_fit2(double uu, double vv, double uv, double uy, double vy, double yy, double n,
		 struct fit *f);
/* Blocks of site id in row r (0 when the row has no entry for it). */
__s64 growth_ent_blocks(const struct row *r, __u32 id);
/*
 * The means of v over the four quarters of the window rise by >= frac * c
 * times the rise of the means of x: from each quarter to the next (every),
 * or from the first to the last; and the last is above the first.
 */
bool growth_rises(const double *v, const double *x, __u32 n, double c, double frac, bool every);
/* What a t-statistic is worth when the residuals e[0..n) are autocorrelated (<= 1). */
double growth_lrv_factor(const double *e, __u32 n);
/* The flag at *ix, created if there is none. NULL when memory runs out. */
struct growth_flag *growth_flag_get(struct growth *g, enum growth_kind kind, __u32 site,
				    double t_s, __u32 *ix);
/* The flag at ix exists and is active. */
bool growth_flag_active(const struct growth *g, __u32 ix);

/* Leak-per-connection and cache flags by fit over the window w. 0 or -ENOMEM. */
int growth_leak_detect(struct growth *g, const struct win *w, double t_s);
/* Lifecycle verdicts (leaks, session leaks, the session cache) on sample s. 0 or -ENOMEM. */
int growth_life_detect(struct growth *g, const struct growth_sample *s);
/* ssl-outlives-socket on sample s, kept in the history or not. 0 or -ENOMEM. */
int growth_sock_detect(struct growth *g, const struct growth_sample *s);

#endif /* TLSMEM_GROWTH_INT_H */
