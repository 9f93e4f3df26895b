/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_MODEL_INT_H
#define TLSMEM_MODEL_INT_H

/*
 * Inside the model, shared by model.c (records in, blocks and their sites,
 * the figures out) and model_owners.c (SSL objects and sessions: created,
 * linked, dead, weighed): the model's state. Other modules use model.h.
 * Pure C.
 */
#include <stdbool.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "htab.h"
#include "slab.h"
#include "model.h"

#define NO_SSL		0xffffffffu	/* block without an owner */
#define PENDING_SSL	0xfffffffeu	/* allocated inside SSL_new, object not known yet */
#define PENDING_SESSION	0xfffffffdu	/* allocated inside SSL_SESSION_new, likewise */
#define NO_BLOCK	0xffffffffu
#define NO_SITE		0xffffffffu

/* How a block came to its owner. */
enum how {
	HOW_NONE,			/* no owner */
	HOW_CALL,			/* allocated inside a call on its SSL object */
	HOW_AFTER,			/* allocated just after its SSL_new */
	HOW_LINK,			/* hung on its owner by the application */
	HOW_SESSION,			/* a session's: its functions, or handed over */
	HOW_CACHE,			/* a session's entry in a session cache */
	HOW_SELF,			/* the owner's own memory (a session) */
};

struct block {
	__u64 ptr;			/* first: overwritten by the slab's free list */
	__u64 size;
	__u64 ts_ns;
	__u32 pid;
	__u32 site : 28;
	__u32 how : 4;			/* enum how */
	__u32 ssl_slot;			/* owner's slot, NO_SSL or PENDING_* */
	__u32 ssl_serial;		/* owner's serial; the thread's tid while pending */
	__u32 prev, next;		/* the owner's list of blocks */
};

/* A site an owner had blocks at, and how many it has now. */
struct oent {
	__u32 site;			/* NO_SITE: empty slot */
	__u32 live;
};

/* An SSL object or a session; a dead one is kept while it still owns blocks. */
struct sslrec {
	__u32 next_free;		/* slab link while free */
	__u32 serial;			/* 0 while free */
	__u32 pid;
	__u8 kind;			/* enum model_owner_kind */
	__u8 adopted;
	__u8 dead;
	__u8 weighed;			/* counted in its sites' owners_freed/left */
	__u8 cached;			/* session: in a session cache */
	__u8 orphaned;			/* session: counted in sess_orphans */
	__u16 pad;
	__u32 head;			/* first block it owns, or NO_BLOCK */
	__u64 ssl;
	__u64 created_ns, died_ns;
	__u64 live_bytes, live_blocks, peak_bytes;
	__u32 link_slot, link_serial;	/* SSL: the session it made or cached; session: its SSL */
	struct oent *ents;		/* open addressing, cap a power of two */
	__u32 nents, ents_cap;
};

/* Per-thread state that spans several records. */
struct thread {
	__u32 next_free;
	__u32 tid;
	__u32 pid;
	__u32 has_stash;		/* 1: a block is between REALLOC_ENTER and REALLOC; 2: an unknown one */
	struct block stash;
	__u64 *pending;			/* blocks allocated inside the current SSL_new or SSL_SESSION_new */
	size_t npending, cap;
	__u64 after_ssl, after_ns;	/* the SSL object its last SSL_new returned, and when */
	__u32 after_n;			/* blocks given to it since */
};

struct model {
	model_site_fn site_fn;
	void *site_ctx;
	struct htab blocks_ix;		/* (ptr, pid) -> block index */
	struct slab blocks;
	struct htab ssl_ix;		/* (SSL * or SSL_SESSION *, pid) -> live sslrec index */
	struct slab ssls;
	struct htab thr_ix;		/* (tid, 0) -> thread index */
	struct htab pid_ix;		/* (pid, PID_CREATED or PID_FREED) -> SSL objects, while it runs */
	struct slab thrs;
	__u32 thr_sweep_at;		/* records in thrs at which idle ones are dropped */
	struct site_stats *sites;
	__u32 nsites, sites_cap;
	__u32 next_serial;
	struct model_totals t;
	__u32 *dead;			/* FIFO of dead owners' slots, in order of death */
	__u32 *dead_serial;
	size_t dead_head, dead_n, dead_cap;
	__u64 dead_last_ns;		/* died_ns of the latest one pushed */
	__u32 *peaks;			/* closed SSL objects' peak bytes (a sample past the cap) */
	size_t npeaks, peaks_cap;
	__u64 rng;
	struct model_closed closed;
};

enum { PID_CREATED, PID_FREED };

/* One more SSL object created (what PID_CREATED) or freed (PID_FREED) by pid. */
void model_pid_count(struct model *m, __u32 pid, __u32 what);
/* Thread tid of pid, created (or reset: the tid reused) as needed; NULL without memory. */
struct thread *model_thread_of(struct model *m, __u32 pid, __u32 tid);
/* The owner (SSL object or session) at ssl in pid, and its slot; NULL when none. */
struct sslrec *model_ssl_find(const struct model *m, __u32 pid, __u64 ssl, __u32 *slot);
/* A live owner of the given kind at that address. */
struct sslrec *model_owner_find(const struct model *m, __u32 pid, __u64 ptr, int kind,
				 __u32 *slot);
/* The owner record at (slot, serial) if it still exists. */
struct sslrec *model_rec_at(const struct model *m, __u32 slot, __u32 serial);
/* Gives block i (in the table) another owner. */
void model_reown(struct model *m, __u32 i, __u32 slot, __u32 serial, enum how how);
/* A block freed: out of the live figures, counted as a free of its site. */
void model_retire(struct model *m, const struct block *b);
/* A dead owner whose last block went is released once weighed. */
void model_maybe_release(struct model *m, const struct block *b);
/* Removes a block from the table; its bytes stay accounted. */
int model_take_block(struct model *m, __u32 pid, __u64 ptr, struct block *out);
/*
 * The pending blocks of the thread's SSL_new (or SSL_SESSION_new) go to the
 * object it returned, or to nobody when it failed. Blocks of the other kind
 * stay pending.
 */
void model_resolve_pending(struct model *m, struct thread *t, __u32 pid, __u32 marker,
			    const struct sslrec *r, __u32 slot, __u64 self);
/* A new owner record for ssl in pid, indexed; NULL without memory. */
struct sslrec *model_ssl_create(struct model *m, __u32 pid, __u64 ssl, __u64 ts, int adopted,
				 int kind, __u32 *slot);
/* The record goes back to the slab; nothing may refer to it any more. */
void model_release_owner(struct model *m, __u32 slot);
/* The owner is gone: what it still holds becomes orphaned. */
void model_owner_destroy(struct model *m, __u32 pid, __u64 ptr, __u64 ts);
/* Record handlers (see model__feed): 0 or -errno. */
int model_on_ssl_new(struct model *m, const struct tlsmem_short *e);
int model_on_ssl_free(struct model *m, const struct tlsmem_short *e);
int model_on_ssl_adopt(struct model *m, const struct tlsmem_short *e);
int model_on_session_new(struct model *m, const struct tlsmem_short *e);
int model_on_session_ref(struct model *m, const struct tlsmem_short *e);
int model_on_session_cache(struct model *m, const struct tlsmem_short *e);
/* The application hung a block on an owner (SSL_set_ex_data). */
int model_on_link(struct model *m, const struct tlsmem_short *e);
/*
 * A process exited: the kernel took back its heap. Its blocks count as
 * freed (exit_blocks says how many went that way) and its SSL objects as
 * gone (ssl_exited), so that churning children do not look like growth.
 */
int model_on_proc_exit(struct model *m, const struct tlsmem_short *e);

#endif /* TLSMEM_MODEL_INT_H */
