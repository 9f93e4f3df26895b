// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The model of outstanding OpenSSL allocations and live SSL objects; see
 * model.h. Blocks and SSL objects live in slabs indexed by hash tables keyed
 * by (address, pid). A block refers to its SSL object by slab index plus a
 * serial number, so a block that outlives its SSL object (or whose SSL slot
 * was reused) is recognised as an orphan.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "htab.h"
#include "slab.h"
#include "model.h"
#include "model_int.h"

struct model *model__new(model_site_fn site_fn, void *ctx)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->site_fn = site_fn;
	m->site_ctx = ctx;
	slab__init(&m->blocks, sizeof(struct block));
	slab__init(&m->ssls, sizeof(struct sslrec));
	slab__init(&m->thrs, sizeof(struct thread));
	m->next_serial = 1;
	m->rng = 0x9e3779b97f4a7c15ull;
	return m;
}

void model__free(struct model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->thr_ix.cap; i++) {
		struct hent *e = &m->thr_ix.v[i];

		if (e->val != HTAB_EMPTY)
			free(((struct thread *)slab__at(&m->thrs, e->val))->pending);
	}
	for (i = 0; i < m->ssls.n; i++) {
		struct sslrec *r = slab__at(&m->ssls, (__u32)i);

		if (r->serial)
			free(r->ents);
	}
	htab__clear(&m->blocks_ix);
	htab__clear(&m->ssl_ix);
	htab__clear(&m->thr_ix);
	htab__clear(&m->pid_ix);
	slab__clear(&m->blocks);
	slab__clear(&m->ssls);
	slab__clear(&m->thrs);
	free(m->sites);
	free(m->dead);
	free(m->dead_serial);
	free(m->peaks);
	free(m);
}

static struct site_stats *site_at(struct model *m, __u32 id)
{
	if (id >= m->sites_cap) {
		__u32 cap = m->sites_cap ? m->sites_cap : 64;
		struct site_stats *v;

		while (cap <= id)
			cap *= 2;
		v = realloc(m->sites, cap * sizeof(*v));
		if (!v)
			return NULL;
		memset(v + m->sites_cap, 0, (cap - m->sites_cap) * sizeof(*v));
		m->sites = v;
		m->sites_cap = cap;
	}
	if (id >= m->nsites)
		m->nsites = id + 1;
	return &m->sites[id];
}

/* Idle thread records are dropped when this many exist (threads per connection come and go). */
#define THREADS_SWEEP	4096

/* Nothing in flight: no realloc half seen, no SSL_new open, no owner for what follows. */
static bool thread_idle(const struct model *m, const struct thread *t)
{
	return !t->has_stash && !t->npending &&
	       (!t->after_ssl || m->t.last_ts_ns > t->after_ns + MODEL_AFTER_NS);
}

static void threads_sweep(struct model *m)
{
	size_t i, n = 0;
	__u32 *tids = malloc(m->thrs.live * sizeof(*tids)), slot;

	if (!tids)
		return;
	for (i = 0; i < m->thr_ix.cap && n < m->thrs.live; i++) {
		const struct hent *e = &m->thr_ix.v[i];

		if (e->val != HTAB_EMPTY && thread_idle(m, slab__at(&m->thrs, e->val)))
			tids[n++] = (__u32)e->k1;
	}
	for (i = 0; i < n; i++) {
		struct thread *t;

		if (htab__del(&m->thr_ix, tids[i], 0, &slot))
			continue;
		t = slab__at(&m->thrs, slot);
		free(t->pending);
		memset(t, 0, sizeof(*t));
		slab__put(&m->thrs, slot);
	}
	free(tids);
}

struct thread *model_thread_of(struct model *m, __u32 pid, __u32 tid)
{
	__u32 *ix = htab__find(&m->thr_ix, tid, 0);
	struct thread *t;
	__u32 i;

	if (ix) {
		t = slab__at(&m->thrs, *ix);
		if (t->pid == pid)
			return t;
		t->pid = pid;		/* tid reused by another process */
		t->has_stash = 0;
		t->npending = 0;
		t->after_ssl = 0;
		return t;
	}
	if (m->thrs.live >= m->thr_sweep_at) {
		threads_sweep(m);
		m->thr_sweep_at = m->thrs.live * 2 > THREADS_SWEEP ? m->thrs.live * 2 : THREADS_SWEEP;
	}
	i = slab__get(&m->thrs);
	if (i == SLAB_NONE)
		return NULL;
	if (htab__put(&m->thr_ix, tid, 0, i)) {
		slab__put(&m->thrs, i);
		return NULL;
	}
	t = slab__at(&m->thrs, i);
	t->tid = tid;
	t->pid = pid;
	return t;
}

struct sslrec *model_ssl_find(const struct model *m, __u32 pid, __u64 ssl, __u32 *slot)
{
	__u32 *ix = htab__find(&m->ssl_ix, ssl, pid);

	if (!ix)
		return NULL;
	if (slot)
		*slot = *ix;
	return slab__at(&m->ssls, *ix);
}

struct sslrec *model_owner_find(const struct model *m, __u32 pid, __u64 ptr, int kind,
				 __u32 *slot)
{
	struct sslrec *r = ptr ? model_ssl_find(m, pid, ptr, slot) : NULL;

	return r && r->kind == kind ? r : NULL;
}

/* The owner record (alive or dead) a block counts against, or NULL when none. */
static struct sslrec *owner_of_block(const struct model *m, const struct block *b)
{
	struct sslrec *r;

	if (b->ssl_slot == NO_SSL || b->ssl_slot == PENDING_SSL || b->ssl_slot == PENDING_SESSION)
		return NULL;
	r = slab__at(&m->ssls, b->ssl_slot);
	return r->serial == b->ssl_serial ? r : NULL;
}

struct sslrec *model_rec_at(const struct model *m, __u32 slot, __u32 serial)
{
	struct sslrec *r;

	if (!serial || slot >= m->ssls.n)
		return NULL;
	r = slab__at(&m->ssls, slot);
	return r->serial == serial ? r : NULL;
}

static struct oent *ent_find(struct sslrec *r, __u32 site)
{
	__u32 mask, i;

	if (!r->ents_cap)
		return NULL;
	mask = r->ents_cap - 1;
	for (i = (site * 2654435761u) & mask; r->ents[i].site != NO_SITE; i = (i + 1) & mask)
		if (r->ents[i].site == site)
			return &r->ents[i];
	return NULL;
}

static int ents_grow(struct sslrec *r)
{
	__u32 cap = r->ents_cap ? r->ents_cap * 2 : 16, i, j, mask = cap - 1;
	struct oent *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		v[i].site = NO_SITE;
	for (i = 0; i < r->ents_cap; i++) {
		if (r->ents[i].site == NO_SITE)
			continue;
		for (j = (r->ents[i].site * 2654435761u) & mask; v[j].site != NO_SITE;
		     j = (j + 1) & mask)
			;
		v[j] = r->ents[i];
	}
	free(r->ents);
	r->ents = v;
	r->ents_cap = cap;
	return 0;
}

/* The owner's entry for a site, made on first use; NULL when memory runs out. */
static struct oent *ent_get(struct sslrec *r, __u32 site)
{
	struct oent *e = ent_find(r, site);
	__u32 mask, i;

	if (e)
		return e;
	if ((r->nents + 1) * 2 > r->ents_cap && ents_grow(r))
		return NULL;
	mask = r->ents_cap - 1;
	for (i = (site * 2654435761u) & mask; r->ents[i].site != NO_SITE; i = (i + 1) & mask)
		;
	r->ents[i].site = site;
	r->ents[i].live = 0;
	r->nents++;
	return &r->ents[i];
}

static void add_live(struct model *m, const struct block *b)
{
	struct site_stats *s = &m->sites[b->site];
	struct sslrec *r = owner_of_block(m, b);
	struct oent *e;

	m->t.live_bytes += b->size;
	m->t.live_blocks++;
	if (m->t.live_bytes > m->t.peak_live_bytes)
		m->t.peak_live_bytes = m->t.live_bytes;
	s->live_bytes += b->size;
	s->live_blocks++;
	if (!s->oldest_ns || b->ts_ns < s->oldest_ns)
		s->oldest_ns = b->ts_ns;
	if (!r)
		return;
	r->live_bytes += b->size;
	r->live_blocks++;
	if (r->live_bytes > r->peak_bytes)
		r->peak_bytes = r->live_bytes;
	e = ent_get(r, b->site);
	if (e && !e->live++ && r->weighed)
		s->owners_left[r->kind]++;
	if (r->dead) {
		m->t.orphan_bytes += b->size;
		m->t.orphan_blocks++;
		s->orphan_bytes += b->size;
		s->orphan_blocks++;
	} else if (r->kind == MODEL_OWNER_SSL) {
		m->t.ssl_bytes += b->size;
		m->t.ssl_blocks++;
		if (!r->adopted)
			m->t.ssl_new_bytes += b->size;
	} else {
		m->t.sess_bytes += b->size;
	}
}

static void sub_live(struct model *m, const struct block *b)
{
	struct site_stats *s = &m->sites[b->site];
	struct sslrec *r = owner_of_block(m, b);
	struct oent *e;

	m->t.live_bytes -= b->size;
	m->t.live_blocks--;
	s->live_bytes -= b->size;
	s->live_blocks--;
	if (!s->live_blocks)
		s->oldest_ns = 0;
	if (!r)
		return;
	r->live_bytes -= b->size;
	r->live_blocks--;
	e = ent_find(r, b->site);
	if (e && e->live && !--e->live && r->weighed)
		s->owners_left[r->kind]--;
	if (r->dead) {
		m->t.orphan_bytes -= b->size;
		m->t.orphan_blocks--;
		s->orphan_bytes -= b->size;
		s->orphan_blocks--;
	} else if (r->kind == MODEL_OWNER_SSL) {
		m->t.ssl_bytes -= b->size;
		m->t.ssl_blocks--;
		if (!r->adopted)
			m->t.ssl_new_bytes -= b->size;
	} else {
		m->t.sess_bytes -= b->size;
	}
}

/* Links block i into its owner's list; the owner must exist. */
static void list_add(struct model *m, __u32 i, struct block *b)
{
	struct sslrec *r = owner_of_block(m, b);

	b->prev = b->next = NO_BLOCK;
	if (!r)
		return;
	b->next = r->head;
	if (r->head != NO_BLOCK)
		((struct block *)slab__at(&m->blocks, r->head))->prev = i;
	r->head = i;
}

static void list_del(struct model *m, __u32 i, struct block *b)
{
	struct sslrec *r = owner_of_block(m, b);

	if (!r)
		return;
	if (b->prev != NO_BLOCK)
		((struct block *)slab__at(&m->blocks, b->prev))->next = b->next;
	else if (r->head == i)
		r->head = b->next;
	if (b->next != NO_BLOCK)
		((struct block *)slab__at(&m->blocks, b->next))->prev = b->prev;
	b->prev = b->next = NO_BLOCK;
}

void model_reown(struct model *m, __u32 i, __u32 slot, __u32 serial, enum how how)
{
	struct block *b = slab__at(&m->blocks, i);
	struct sslrec *old = owner_of_block(m, b);
	__u32 oslot = b->ssl_slot;

	sub_live(m, b);
	list_del(m, i, b);
	b->ssl_slot = slot;
	b->ssl_serial = serial;
	b->how = how;
	list_add(m, i, b);
	add_live(m, b);
	if (old && old->dead && !old->live_blocks && old->weighed)
		model_release_owner(m, oslot);
}

__u64 model__mature_at(const struct model *m)
{
	size_t last;
	struct sslrec *r;

	if (!m->dead_n)
		return 0;
	last = (m->dead_head + m->dead_n - 1) % m->dead_cap;
	r = model_rec_at(m, m->dead[last], m->dead_serial[last]);
	return r ? r->died_ns + MODEL_MATURE_NS : 0;
}

static int pending_push(struct thread *t, __u64 ptr)
{
	if (t->npending == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		__u64 *v = realloc(t->pending, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->pending = v;
		t->cap = cap;
	}
	t->pending[t->npending++] = ptr;
	return 0;
}

/* Owner of a new block; b->ptr, pid and site are set. */
static int attribute(struct model *m, struct block *b, const struct tlsmem_hdr *h, __u64 owner)
{
	struct thread *t;
	struct sslrec *r;
	__u32 slot;

	b->ssl_slot = NO_SSL;
	b->how = HOW_NONE;
	if (h->flags & (TLSMEM_F_IN_SSL_NEW | TLSMEM_F_IN_SESSION_NEW)) {
		t = model_thread_of(m, h->pid, h->tid);
		if (!t)
			return -ENOMEM;
		if (pending_push(t, b->ptr))
			return -ENOMEM;
		b->ssl_slot = h->flags & TLSMEM_F_IN_SSL_NEW ? PENDING_SSL : PENDING_SESSION;
		b->ssl_serial = h->tid;		/* the thread inside SSL_new */
		return 0;
	}
	if (!owner)
		return 0;
	if (h->flags & TLSMEM_F_IN_CACHE_ADD) {
		r = model_owner_find(m, h->pid, owner, MODEL_OWNER_SESSION, &slot);
		if (!r)
			return 0;	/* a session from before attach: told at the end of the call */
		b->how = HOW_CACHE;
	} else if (h->flags & TLSMEM_F_AFTER_SSL_NEW) {
		t = model_thread_of(m, h->pid, h->tid);
		if (!t)
			return -ENOMEM;
		if (t->after_ssl != owner || h->ts_ns > t->after_ns + MODEL_AFTER_NS ||
		    t->after_n >= MODEL_AFTER_BLOCKS)
			return 0;
		r = model_owner_find(m, h->pid, owner, MODEL_OWNER_SSL, &slot);
		if (!r)
			return 0;
		t->after_n++;
		b->how = HOW_AFTER;
	} else {
		r = model_owner_find(m, h->pid, owner, MODEL_OWNER_SSL, &slot);
		if (!r)
			r = model_ssl_create(m, h->pid, owner, h->ts_ns, 1, MODEL_OWNER_SSL, &slot);
		if (!r)
			return -ENOMEM;	/* announcement lost: adopted */
		b->how = HOW_CALL;
	}
	b->ssl_slot = slot;
	b->ssl_serial = r->serial;
	return 0;
}

void model_retire(struct model *m, const struct block *b)
{
	sub_live(m, b);
	m->t.frees++;
	m->sites[b->site].frees++;
}

/* Takes block i out of the table and its owner's list; its bytes stay accounted. */
static void unlink_block(struct model *m, __u32 i, struct block *out)
{
	struct block *b = slab__at(&m->blocks, i);

	list_del(m, i, b);
	*out = *b;
	slab__put(&m->blocks, i);
}

void model_maybe_release(struct model *m, const struct block *b)
{
	struct sslrec *r = owner_of_block(m, b);

	if (r && r->dead && r->weighed && !r->live_blocks)
		model_release_owner(m, b->ssl_slot);
}

/* A session ends when its own memory is freed. */
static void free_owner_at(struct model *m, __u32 pid, __u64 ptr, __u64 ts)
{
	if (model_owner_find(m, pid, ptr, MODEL_OWNER_SESSION, NULL))
		model_owner_destroy(m, pid, ptr, ts);
}

/* Inserts a block that is already filled in; accounts it as live. */
static int insert_block(struct model *m, const struct block *src)
{
	__u32 old, i = slab__get(&m->blocks);
	struct block *b, gone;

	if (i == SLAB_NONE)
		return -ENOMEM;
	if (!htab__del(&m->blocks_ix, src->ptr, src->pid, &old)) {
		/* its free was lost: retire the stale block */
		unlink_block(m, old, &gone);
		model_retire(m, &gone);
		model_maybe_release(m, &gone);
		m->t.replaced++;
	}
	if (htab__put(&m->blocks_ix, src->ptr, src->pid, i)) {
		slab__put(&m->blocks, i);
		return -ENOMEM;
	}
	b = slab__at(&m->blocks, i);
	*b = *src;
	list_add(m, i, b);
	add_live(m, b);
	return 0;
}

int model_take_block(struct model *m, __u32 pid, __u64 ptr, struct block *out)
{
	__u32 i;

	if (htab__del(&m->blocks_ix, ptr, pid, &i))
		return -ENOENT;
	unlink_block(m, i, out);
	return 0;
}

/* Retires a block taken out of the table, and the session it was the memory of. */
static void block_gone(struct model *m, const struct block *b)
{
	struct sslrec *r = owner_of_block(m, b);

	model_retire(m, b);
	if (r && !r->dead && r->kind == MODEL_OWNER_SESSION) {
		if (b->how == HOW_CACHE && r->cached) {
			r->cached = 0;		/* its cache entry went: out of the cache */
			m->t.sess_cached--;
		}
		if (b->how == HOW_SELF) {
			model_owner_destroy(m, b->pid, r->ssl, m->t.last_ts_ns);
			return;
		}
	}
	model_maybe_release(m, b);
}

static int new_block(struct model *m, const struct tlsmem_alloc *e)
{
	struct block b = {
		.ptr = e->ptr,
		.size = e->size,
		.ts_ns = e->h.ts_ns,
		.pid = e->h.pid,
	};
	struct site_stats *s;
	__u32 id;
	int err;

	id = m->site_fn(m->site_ctx, e->h.pid, e->file, e->line, e->caller);
	s = site_at(m, id);
	if (!s)
		return -ENOMEM;
	b.site = id;
	err = attribute(m, &b, &e->h, e->ssl);
	if (err)
		return err;
	err = insert_block(m, &b);
	if (err)
		return err;
	m->t.allocs++;
	s = &m->sites[id];
	s->allocs++;
	s->alloc_bytes += b.size;
	if (b.how != HOW_NONE)
		s->owned_allocs++;
	if (b.how == HOW_AFTER)
		s->after_allocs++;
	return 0;
}

static int on_free(struct model *m, const struct tlsmem_short *e)
{
	struct block b;

	if (model_take_block(m, e->h.pid, e->ptr, &b)) {
		m->t.unknown_frees++;
		free_owner_at(m, e->h.pid, e->ptr, m->t.last_ts_ns);	/* a session from before attach */
		return 0;
	}
	block_gone(m, &b);
	return 0;
}

/* Puts a stashed block back: the end of its realloc was lost. */
static void unstash(struct model *m, struct thread *t)
{
	struct block b = t->stash;

	t->has_stash = 0;
	sub_live(m, &b);
	insert_block(m, &b);
}

static int on_realloc_enter(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t = model_thread_of(m, e->h.pid, e->h.tid);

	if (!t)
		return -ENOMEM;
	if (t->has_stash == 1)
		unstash(m, t);
	t->has_stash = 0;
	if (!model_take_block(m, e->h.pid, e->ptr, &t->stash)) {
		t->has_stash = 1;
	} else if (e->ptr) {
		t->stash.ptr = e->ptr;	/* entered with a block never seen */
		t->has_stash = 2;
	}
	return 0;
}

static int on_realloc(struct model *m, const struct tlsmem_alloc *e)
{
	struct thread *t = model_thread_of(m, e->h.pid, e->h.tid);
	struct block b;
	int known, entered;

	if (!t)
		return -ENOMEM;
	entered = t->has_stash && t->stash.ptr == e->old_ptr;
	known = entered && t->has_stash == 1;
	if (known)
		b = t->stash;
	else if (t->has_stash == 1)
		unstash(m, t);
	t->has_stash = 0;
	if (!entered && e->old_ptr && !model_take_block(m, e->h.pid, e->old_ptr, &b))
		known = 1;		/* REALLOC_ENTER was lost */

	if (!e->old_ptr)
		return e->ptr ? new_block(m, e) : 0;
	if (!e->ptr) {
		if (e->size) {		/* failed: the old block stays */
			if (known) {
				sub_live(m, &b);
				return insert_block(m, &b);
			}
			return 0;
		}
		if (known)
			block_gone(m, &b);
		else
			m->t.unknown_frees++;
		return 0;
	}
	if (!known)
		return new_block(m, e);
	sub_live(m, &b);
	b.ptr = e->ptr;
	if ((b.ssl_slot == PENDING_SSL || b.ssl_slot == PENDING_SESSION) && e->ptr != e->old_ptr) {
		struct thread *o = model_thread_of(m, e->h.pid, b.ssl_serial);

		if (!o || pending_push(o, e->ptr)) {
			insert_block(m, &b);
			return -ENOMEM;
		}
	}
	/* CRYPTO_clear_realloc shrinking in place keeps the allocation as it is */
	if (!(e->h.aux == TLSMEM_FN_CLEAR_REALLOC && e->ptr == e->old_ptr && e->size <= b.size))
		b.size = e->size;
	return insert_block(m, &b);
}

void model_resolve_pending(struct model *m, struct thread *t, __u32 pid, __u32 marker,
			    const struct sslrec *r, __u32 slot, __u64 self)
{
	size_t i, k = 0;

	for (i = 0; i < t->npending; i++) {
		__u32 *ix = htab__find(&m->blocks_ix, t->pending[i], pid);
		struct block *b;
		enum how how;

		if (!ix)
			continue;
		b = slab__at(&m->blocks, *ix);
		if (b->ssl_slot != marker || b->ssl_serial != t->tid) {
			if ((b->ssl_slot == PENDING_SSL || b->ssl_slot == PENDING_SESSION) &&
			    b->ssl_serial == t->tid)
				t->pending[k++] = t->pending[i];
			continue;
		}
		how = marker == PENDING_SSL ? HOW_CALL : HOW_SESSION;
		if (r && self && b->ptr == self)
			how = HOW_SELF;
		model_reown(m, *ix, r ? slot : NO_SSL, r ? r->serial : 0, r ? how : HOW_NONE);
	}
	t->npending = k;
}

static size_t record_size(__u16 kind)
{
	switch (kind) {
	case TLSMEM_EV_ALLOC:
	case TLSMEM_EV_REALLOC:
		return sizeof(struct tlsmem_alloc);
	case TLSMEM_EV_FREE:
	case TLSMEM_EV_REALLOC_ENTER:
	case TLSMEM_EV_SSL_NEW:
	case TLSMEM_EV_SSL_FREE:
	case TLSMEM_EV_SSL_ADOPT:
	case TLSMEM_EV_MAPS_CHANGED:
	case TLSMEM_EV_LINK:
	case TLSMEM_EV_SESSION_NEW:
	case TLSMEM_EV_SESSION_CACHE:
	case TLSMEM_EV_SESSION_REF:
	case TLSMEM_EV_FORK:
	case TLSMEM_EV_EXEC:
	case TLSMEM_EV_EXIT:
		return sizeof(struct tlsmem_short);
	default:
		return 0;
	}
}

int model__feed(struct model *m, const void *rec, size_t size)
{
	const struct tlsmem_hdr *h = rec;
	size_t need;

	if (size < sizeof(*h) || !(need = record_size(h->kind)) || size < need) {
		m->t.bad_records++;
		return -EINVAL;
	}
	m->t.records++;
	if (h->ts_ns > m->t.last_ts_ns)
		m->t.last_ts_ns = h->ts_ns;
	switch (h->kind) {
	case TLSMEM_EV_ALLOC:
		return new_block(m, rec);
	case TLSMEM_EV_FREE:
		return on_free(m, rec);
	case TLSMEM_EV_REALLOC_ENTER:
		return on_realloc_enter(m, rec);
	case TLSMEM_EV_REALLOC:
		return on_realloc(m, rec);
	case TLSMEM_EV_SSL_NEW:
		return model_on_ssl_new(m, rec);
	case TLSMEM_EV_SSL_FREE:
		return model_on_ssl_free(m, rec);
	case TLSMEM_EV_SSL_ADOPT:
		return model_on_ssl_adopt(m, rec);
	case TLSMEM_EV_LINK:
		return model_on_link(m, rec);
	case TLSMEM_EV_SESSION_NEW:
		return model_on_session_new(m, rec);
	case TLSMEM_EV_SESSION_CACHE:
		return model_on_session_cache(m, rec);
	case TLSMEM_EV_SESSION_REF:
		return model_on_session_ref(m, rec);
	case TLSMEM_EV_EXIT:
		return model_on_proc_exit(m, rec);
	default:
		return 0;		/* MAPS_CHANGED, FORK, EXEC: for the reader */
	}
}

void model__advance_clock(struct model *m, __u64 now_ns)
{
	if (now_ns > m->t.last_ts_ns)
		m->t.last_ts_ns = now_ns;
}

void model__totals(const struct model *m, struct model_totals *out)
{
	*out = m->t;
}

__u32 model__nsites(const struct model *m)
{
	return m->nsites;
}

void model__site(const struct model *m, __u32 id, struct site_stats *out)
{
	if (id < m->nsites)
		*out = m->sites[id];
	else
		memset(out, 0, sizeof(*out));
}

size_t model__ssl_list(const struct model *m, struct ssl_stats *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < m->ssl_ix.cap; i++) {
		const struct hent *e = &m->ssl_ix.v[i];
		const struct sslrec *r;

		if (e->val == HTAB_EMPTY)
			continue;
		r = slab__at(&m->ssls, e->val);
		if (r->kind != MODEL_OWNER_SSL)
			continue;
		if (n < cap) {
			out[n].ssl = r->ssl;
			out[n].created_ns = r->created_ns;
			out[n].live_bytes = r->live_bytes;
			out[n].live_blocks = r->live_blocks;
			out[n].peak_bytes = r->peak_bytes;
			out[n].pid = r->pid;
			out[n].adopted = r->adopted;
		}
		n++;
	}
	return n;
}

void model__closed(const struct model *m, struct model_closed *out)
{
	*out = m->closed;
	out->peaks = m->peaks;
	out->npeaks = m->npeaks;
}

size_t model__bytes(const struct model *m)
{
	return sizeof(*m) + htab__bytes(&m->blocks_ix) + slab__bytes(&m->blocks) +
	       htab__bytes(&m->ssl_ix) + slab__bytes(&m->ssls) + htab__bytes(&m->thr_ix) +
	       htab__bytes(&m->pid_ix) +
	       slab__bytes(&m->thrs) + (size_t)m->sites_cap * sizeof(struct site_stats) +
	       m->dead_cap * 2 * sizeof(__u32) + m->peaks_cap * sizeof(__u32) +
	       m->ssls.n * 16 * sizeof(struct oent);	/* site entries, about */
}
