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
 *
 * Owners (docs/detection.md): a block belongs to an SSL object when it was
 * allocated inside a call on it (SSL_new included), by the same thread just
 * after its SSL_new returned (at most MODEL_AFTER_BLOCKS blocks within
 * MODEL_AFTER_NS, before the thread calls on another SSL object), or when the
 * application hangs it on the object (SSL_set_ex_data). A block belongs to an
 * SSL_SESSION when it was allocated inside SSL_SESSION_new or
 * SSL_CTX_add_session, or hung on it. When an SSL object dies while the
 * session it put in a cache lives, the blocks allocated inside its calls go
 * to that session (they are the session's pieces: its lock, peer chain,
 * ticket). A session dies when its own memory is freed. A block whose owner
 * died is an orphan. Each dead owner is weighed once, MODEL_MATURE_NS after
 * its death (so frees that follow it closely count): per site, how many dead
 * owners had a block there (freed) and how many still have one (left).
 */
#include <linux/types.h>
#include <stddef.h>

struct model;

/* Returns the id (dense, from 0) of the site (file, line, caller) in pid. */
typedef __u32 (*model_site_fn)(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller);

#define MODEL_AFTER_NS		50000000ull	/* after SSL_new: time bound */
#define MODEL_AFTER_BLOCKS	16		/* after SSL_new: count bound */
#define MODEL_MATURE_NS		500000000ull	/* a dead owner is weighed this late */

enum model_owner_kind {
	MODEL_OWNER_SSL,
	MODEL_OWNER_SESSION,
	MODEL_OWNER_KINDS,
};

struct model_totals {
	__u64 live_bytes, live_blocks;
	__u64 allocs;			/* allocations since attach, reallocs of unknown blocks included */
	__u64 frees;			/* frees of tracked blocks */
	__u64 unknown_frees;		/* frees of blocks allocated before attach */
	__u64 ssl_live, ssl_created, ssl_freed, ssl_adopted;
	__u64 ssl_new_live;		/* live SSL objects created since attach */
	__u64 ssl_new_bytes;		/* live bytes attributed to those */
	__u64 ssl_bytes, ssl_blocks;	/* live bytes/blocks attributed to any live SSL object */
	__u64 orphan_bytes, orphan_blocks; /* owned by an SSL object or session already freed */
	__u64 peak_live_bytes;		/* highest live_bytes since attach */
	__u64 peak_ssl_live;		/* highest ssl_live since attach */
	__u64 sess_live, sess_created, sess_freed, sess_adopted;
	__u64 sess_cached;		/* live sessions in a session cache */
	__u64 sess_bytes;		/* live bytes owned by live sessions */
	__u64 sess_orphans;		/* live sessions out of any cache whose SSL object was freed */
	__u64 ssl_weighed;		/* freed SSL objects weighed (MODEL_MATURE_NS after death) */
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
	__u64 alloc_bytes;		/* bytes allocated since attach */
	__u64 owned_allocs;		/* allocations that had an owner */
	__u64 after_allocs;		/* ... given to the SSL object just made (after SSL_new) */
	__u64 linked_allocs;		/* blocks hung on an owner by the application */
	__u64 orphan_bytes, orphan_blocks; /* live blocks whose owner died */
	/* per enum model_owner_kind: dead owners weighed that had a block here, and
	 * how many of them still have one (N of M) */
	__u64 owners_freed[MODEL_OWNER_KINDS], owners_left[MODEL_OWNER_KINDS];
};

struct ssl_stats {
	__u64 ssl;			/* SSL * in its process */
	__u64 created_ns;		/* SSL_new, or first sight when adopted */
	__u64 live_bytes, live_blocks;	/* owned and not freed */
	__u64 peak_bytes;		/* highest live_bytes */
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

/* Live figures of one process. */
struct pid_stats {
	__u32 pid;
	__u32 pad;
	__u64 live_bytes, live_blocks;	/* OpenSSL blocks it holds */
	__u64 ssl_live;			/* its live SSL objects */
	__u64 ssl_created, ssl_freed;	/* SSL_new and SSL_free since attach (or since its fork) */
};

/*
 * The live figures per process, for at most cap processes (those seen
 * first in the tables); returns how many were filled. Walks every tracked
 * block: once per interval at most.
 */
size_t model__pid_stats(const struct model *m, struct pid_stats *out, size_t cap);
/*
 * The live figures of pid's own blocks per site (sites are shared between
 * processes that map the same code): out[id] for every site id < cap
 * (model__nsites()), zeroed first. Only live_bytes, live_blocks, oldest_ns,
 * orphan_bytes and orphan_blocks are filled: allocations and frees are not
 * kept per process. Returns the number of sites where pid holds a block.
 * Walks every tracked block: once per interval at most.
 */
size_t model__pid_sites(const struct model *m, __u32 pid, struct site_stats *out, size_t cap);

/* The live blocks of one process at one site. */
struct pid_site {
	__u32 pid;
	__u32 site;
	__u64 live_bytes, live_blocks;
};

/*
 * Which processes hold live blocks at the given sites (a growth flag's, say):
 * one entry per (pid, site) pair with a block, at most cap (the pairs found
 * first are kept), *n of them. 0, or -ENOMEM (*n pairs kept so far). Walks
 * every tracked block: once per interval at most.
 */
int model__pid_site_stats(const struct model *m, const __u32 *sites, size_t nsites,
			  struct pid_site *out, size_t cap, size_t *n);
/*
 * Weighs the owners that died at least MODEL_MATURE_NS before now_ns (the
 * records' clock): they count in their sites' owners_freed and owners_left
 * from then on. Call it at every tick, and once more at the end.
 */
void model__mature(struct model *m, __u64 now_ns);
/* When every owner dead so far will have been weighed (records' clock); 0 if none waits. */
__u64 model__mature_at(const struct model *m);

/* What closed SSL objects (created since attach) cost. */
struct model_closed {
	__u64 n;			/* SSL objects closed */
	__u64 sum_peak, max_peak;	/* bytes owned at their peak */
	__u64 sum_at_free;		/* bytes owned when freed */
	const __u32 *peaks;		/* a sample of peak bytes (all while n <= MODEL_PEAKS_MAX) */
	size_t npeaks;
};

#define MODEL_PEAKS_MAX		(1u << 20)

void model__closed(const struct model *m, struct model_closed *out);

/* Bytes of memory the model holds, and the number of tracked blocks. */
size_t model__bytes(const struct model *m);

#endif /* TLSMEM_MODEL_H */
