/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SPRT_H
#define TLSMEM_SPRT_H

/*
 * Wald's sequential probability ratio test on lifecycles: of n owners that
 * died (SSL objects, sessions), k still leave something behind (a block at a
 * site, a session nobody holds). H1: an owner leaves one with probability
 * SPRT_P1 or more (a leak); H0: SPRT_P0 or less (what a thread's or a
 * process's one-off state looks like). The test decides H1 once the log
 * likelihood ratio reaches log((1 - beta) / alpha), H0 once it falls to
 * log(beta / (1 - alpha)). Pure C.
 *
 * A pool of T threads that each keep one block of the first connection they
 * served leaves k = T whatever n: early on, k / n looks like a leak. So a
 * leak needs n >= SPRT_MIN_FREED, and must also show in the latest half of
 * the evidence, after a checkpoint (n0, k0) with n0 close to n / 2: pools of
 * up to about SPRT_MIN_FREED / 2.3 threads are never taken for a leak.
 */
#include <linux/types.h>
#include <stdbool.h>

#define SPRT_P0		0.01
#define SPRT_P1		0.10
#define SPRT_ALPHA	1e-4		/* a healthy site called a leak */
#define SPRT_BETA	1e-2		/* a leak missed, at the decision */
#define SPRT_MIN_LEFT	8		/* owners that left something, at least */
#define SPRT_MIN_FREED	100		/* owners weighed, at least */
#define SPRT_HIST	16		/* checkpoints kept, one per 1/8 growth of n */

/* Log likelihood ratio of H1 against H0 for k of n. */
double sprt_llr(__u64 n, __u64 k);
/* The threshold for H1. */
double sprt_accept(void);
/*
 * True when k of n is a leak: n >= SPRT_MIN_FREED, k >= SPRT_MIN_LEFT, and
 * the whole evidence and what came since the checkpoint (n0, k0) both reach
 * the threshold.
 */
bool sprt_leak(__u64 n, __u64 k, __u64 n0, __u64 k0);

/* Past (n, k) pairs, one each time n grew by an eighth. Zero it to start. */
struct sprt_hist {
	__u64 n[SPRT_HIST], k[SPRT_HIST];
	__u32 head, cnt;
};

/* Notes the evidence; sets *n0, *k0 to the newest checkpoint with n0 <= n / 2 (0, 0 if none). */
void sprt_hist__note(struct sprt_hist *h, __u64 n, __u64 k, __u64 *n0, __u64 *k0);

#endif /* TLSMEM_SPRT_H */
