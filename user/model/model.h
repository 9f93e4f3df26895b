/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_MODEL_H
#define TLSMEM_MODEL_H

/*
 * The model: every outstanding OpenSSL allocation, every live SSL object and
 * the per-site aggregates, fed with the wire records of bpf/tlsmem.h in the
 * order the ring buffer delivers them. Pure C: no libbpf, no I/O, no clock;
 * time comes from the records. Sites are named by the caller through a
 * callback, so tests can feed synthetic streams.
 *
 * Accounting rules (DESIGN.md): accounting starts at attach; a free of a
 * pointer never seen is counted in unknown_frees and changes nothing else;
 * realloc of a known block moves it and keeps its site; realloc of an unknown
 * block counts its result as a new allocation at the realloc's site; SSL
 * objects that existed before attach are adopted when first seen in a call.
 * Invariant: live_blocks == allocs - frees.
 */
#include <linux/types.h>
#include <stddef.h>

struct model;

/* Returns the id (dense, from 0) of the site (file, line, caller) in pid. */
typedef __u32 (*model_site_fn)(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller);

struct model_totals {
	__u64 live_bytes, live_blocks;
	__u64 allocs;			/* allocations since attach, reallocs of unknown blocks included */
	__u64 frees;			/* frees of tracked blocks */
	__u64 unknown_frees;		/* frees of blocks allocated before attach */
	__u64 ssl_live, ssl_created, ssl_freed, ssl_adopted;
	__u64 ssl_new_live;		/* live SSL objects created since attach */
	__u64 ssl_new_bytes;		/* live bytes attributed to those */
	__u64 ssl_bytes, ssl_blocks;	/* live bytes/blocks attributed to any live SSL object */
	__u64 orphan_bytes, orphan_blocks; /* attributed to an SSL object already freed */
	__u64 records;			/* records accepted */
	__u64 bad_records;		/* short or unknown records, ignored */
	__u64 replaced;			/* allocation at an address still tracked: the free was lost */
	__u64 exit_blocks;		/* of frees: blocks released by their process's exit */
	__u64 ssl_exited;		/* live SSL objects whose process exited (not SSL_free) */
	__u64 last_ts_ns;		/* newest record's timestamp */
};

struct site_stats {
	__u64 live_bytes, live_blocks;
	__u64 allocs, frees;
	__u64 oldest_ns;		/* allocation time of the oldest block still live, approx. */
};

struct ssl_stats {
	__u64 ssl;			/* SSL * in its process */
	__u64 created_ns;		/* SSL_new, or first sight when adopted */
	__u64 live_bytes, live_blocks;	/* allocated in its calls and not freed */
	__u32 pid;
	__u32 adopted;			/* existed before attach */
};

/* NULL + errno on failure. site_fn is called for every new block's site. */
struct model *model__new(model_site_fn site_fn, void *ctx);
void model__free(struct model *m);	/* NULL-safe */

/*
 * Feeds one wire record. 0; -EINVAL for a short or unknown record (counted in
 * bad_records, nothing else changes); -ENOMEM when a table cannot grow (the
 * record is lost and the model is no longer exact).
 */
int model__feed(struct model *m, const void *rec, size_t size);

void model__totals(const struct model *m, struct model_totals *out);
/*
 * Moves last_ts_ns on to now_ns (CLOCK_MONOTONIC, the BPF side's clock) if
 * it is behind: frees carry no time, so quiet stretches still age blocks.
 */
void model__advance_clock(struct model *m, __u64 now_ns);
/* Number of site ids seen so far; ids are < this. */
__u32 model__nsites(const struct model *m);
/* Copy of the figures of one site; zeroes for an id never used. */
void model__site(const struct model *m, __u32 id, struct site_stats *out);
/*
 * Copies up to cap live SSL objects into out and returns how many there are
 * in all (which may exceed cap).
 */
size_t model__ssl_list(const struct model *m, struct ssl_stats *out, size_t cap);
/*
 * Live bytes and blocks per site that were attributed to an SSL object
 * already freed (orphans), for site ids < n. Walks every tracked block:
 * call it once per interval at most. 0.
 */
int model__orphans_by_site(const struct model *m, __u64 *bytes, __u64 *blocks, __u32 n);
/* Bytes of memory the model holds, and the number of tracked blocks. */
size_t model__bytes(const struct model *m);

#endif /* TLSMEM_MODEL_H */
