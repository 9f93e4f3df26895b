// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The model of outstanding OpenSSL allocations and live SSL objects; see
 * model.h. Blocks and SSL objects live in slabs indexed by hash tables keyed
 * by (address, pid). A block refers to its SSL object by slab index plus a
 * serial number, so a block that outlives its SSL object (or whose SSL slot
 * was reused) is recognised as an orphan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "htab.h"
#include "slab.h"
#include "model.h"

#define NO_SSL		0xffffffffu	/* block allocated outside any SSL call */
#define PENDING_SSL	0xfffffffeu	/* allocated inside SSL_new, object not known yet */

struct block {
	__u64 ptr;			/* first: overwritten by the slab's free list */
	__u64 size;
	__u64 ts_ns;
	__u32 pid;
	__u32 site;
	__u32 ssl_slot;
	__u32 ssl_serial;
};

struct sslrec {
	__u32 next_free;		/* slab link while free */
	__u32 serial;			/* 0 while free */
	__u32 pid;
	__u32 adopted;
	__u64 ssl;
	__u64 created_ns;
	__u64 live_bytes, live_blocks;
};

/* Per-thread state that spans several records. */
struct thread {
	__u32 next_free;
	__u32 tid;
	__u32 pid;
	__u32 has_stash;		/* 1: a block is between REALLOC_ENTER and REALLOC; 2: an unknown one */
	struct block stash;
	__u64 *pending;			/* blocks allocated inside the current SSL_new */
	size_t npending, cap;
};

struct model {
	model_site_fn site_fn;
	void *site_ctx;
	struct htab blocks_ix;		/* (ptr, pid) -> block index */
	struct slab blocks;
	struct htab ssl_ix;		/* (SSL *, pid) -> sslrec index */
	struct slab ssls;
	struct htab thr_ix;		/* (tid, 0) -> thread index */
	struct slab thrs;
	struct site_stats *sites;
	__u32 nsites, sites_cap;
	__u32 next_serial;
	struct model_totals t;
};

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
	htab__clear(&m->blocks_ix);
	htab__clear(&m->ssl_ix);
	htab__clear(&m->thr_ix);
	slab__clear(&m->blocks);
	slab__clear(&m->ssls);
	slab__clear(&m->thrs);
	free(m->sites);
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

static struct thread *thread_of(struct model *m, __u32 pid, __u32 tid)
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
		return t;
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

static struct sslrec *ssl_find(const struct model *m, __u32 pid, __u64 ssl, __u32 *slot)
{
	__u32 *ix = htab__find(&m->ssl_ix, ssl, pid);

	if (!ix)
		return NULL;
	if (slot)
		*slot = *ix;
	return slab__at(&m->ssls, *ix);
}

/* The SSL object a block counts against, or NULL when none or already freed. */
static struct sslrec *ssl_of_block(const struct model *m, const struct block *b)
{
	struct sslrec *r;

	if (b->ssl_slot == NO_SSL || b->ssl_slot == PENDING_SSL)
		return NULL;
	r = slab__at(&m->ssls, b->ssl_slot);
	return r->serial == b->ssl_serial ? r : NULL;
}

static void add_live(struct model *m, const struct block *b)
{
	struct site_stats *s = &m->sites[b->site];
	struct sslrec *r = ssl_of_block(m, b);

	m->t.live_bytes += b->size;
	m->t.live_blocks++;
	s->live_bytes += b->size;
	s->live_blocks++;
	if (!s->oldest_ns || b->ts_ns < s->oldest_ns)
		s->oldest_ns = b->ts_ns;
	if (r) {
		r->live_bytes += b->size;
		r->live_blocks++;
		m->t.ssl_bytes += b->size;
		m->t.ssl_blocks++;
		if (!r->adopted)
			m->t.ssl_new_bytes += b->size;
	} else if (b->ssl_slot != NO_SSL && b->ssl_slot != PENDING_SSL) {
		m->t.orphan_bytes += b->size;
		m->t.orphan_blocks++;
	}
}

static void sub_live(struct model *m, const struct block *b)
{
	struct site_stats *s = &m->sites[b->site];
	struct sslrec *r = ssl_of_block(m, b);

	m->t.live_bytes -= b->size;
	m->t.live_blocks--;
	s->live_bytes -= b->size;
	s->live_blocks--;
	if (!s->live_blocks)
		s->oldest_ns = 0;
	if (r) {
		r->live_bytes -= b->size;
		r->live_blocks--;
		m->t.ssl_bytes -= b->size;
		m->t.ssl_blocks--;
		if (!r->adopted)
			m->t.ssl_new_bytes -= b->size;
	} else if (b->ssl_slot != NO_SSL && b->ssl_slot != PENDING_SSL) {
		m->t.orphan_bytes -= b->size;
		m->t.orphan_blocks--;
	}
}

static struct sslrec *ssl_create(struct model *m, __u32 pid, __u64 ssl, __u64 ts, int adopted,
				 __u32 *slot)
{
	struct sslrec *r;
	__u32 i = slab__get(&m->ssls);

	if (i == SLAB_NONE)
		return NULL;
	if (htab__put(&m->ssl_ix, ssl, pid, i)) {
		slab__put(&m->ssls, i);
		return NULL;
	}
	r = slab__at(&m->ssls, i);
	r->serial = m->next_serial++;
	if (!m->next_serial)
		m->next_serial = 1;
	r->pid = pid;
	r->ssl = ssl;
	r->adopted = adopted;
	r->created_ns = ts;
	m->t.ssl_live++;
	if (adopted)
		m->t.ssl_adopted++;
	else
		m->t.ssl_new_live++;
	if (slot)
		*slot = i;
	return r;
}

/* The SSL object is gone: what it still holds becomes orphaned. */
static void ssl_destroy(struct model *m, __u32 pid, __u64 ssl)
{
	struct sslrec *r;
	__u32 slot;

	if (htab__del(&m->ssl_ix, ssl, pid, &slot))
		return;
	r = slab__at(&m->ssls, slot);
	m->t.ssl_live--;
	m->t.ssl_bytes -= r->live_bytes;
	m->t.ssl_blocks -= r->live_blocks;
	m->t.orphan_bytes += r->live_bytes;
	m->t.orphan_blocks += r->live_blocks;
	if (!r->adopted) {
		m->t.ssl_new_live--;
		m->t.ssl_new_bytes -= r->live_bytes;
	}
	r->serial = 0;
	slab__put(&m->ssls, slot);
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

static int attribute(struct model *m, struct block *b, const struct tlsmem_hdr *h, __u64 ssl)
{
	struct thread *t;
	struct sslrec *r;
	__u32 slot;

	b->ssl_slot = NO_SSL;
	if (h->flags & TLSMEM_F_IN_SSL_NEW) {
		t = thread_of(m, h->pid, h->tid);
		if (!t)
			return -ENOMEM;
		if (pending_push(t, b->ptr))
			return -ENOMEM;
		b->ssl_slot = PENDING_SSL;
		b->ssl_serial = h->tid;		/* the thread inside SSL_new */
		return 0;
	}
	if (!ssl)
		return 0;
	r = ssl_find(m, h->pid, ssl, &slot);
	if (!r)
		r = ssl_create(m, h->pid, ssl, h->ts_ns, 1, &slot);	/* announcement lost */
	if (!r)
		return -ENOMEM;
	b->ssl_slot = slot;
	b->ssl_serial = r->serial;
	return 0;
}

static void retire(struct model *m, const struct block *b)
{
	sub_live(m, b);
	m->t.frees++;
	m->sites[b->site].frees++;
}

/* Inserts a block that is already filled in; accounts it as live. */
static int insert_block(struct model *m, const struct block *src)
{
	__u32 old, i = slab__get(&m->blocks);
	struct block *b;

	if (i == SLAB_NONE)
		return -ENOMEM;
	if (!htab__del(&m->blocks_ix, src->ptr, src->pid, &old)) {
		/* its free was lost: retire the stale block */
		retire(m, slab__at(&m->blocks, old));
		slab__put(&m->blocks, old);
		m->t.replaced++;
	}
	if (htab__put(&m->blocks_ix, src->ptr, src->pid, i)) {
		slab__put(&m->blocks, i);
		return -ENOMEM;
	}
	b = slab__at(&m->blocks, i);
	*b = *src;
	add_live(m, b);
	return 0;
}

/* Removes a block from the table; its bytes stay accounted. */
static int take_block(struct model *m, __u32 pid, __u64 ptr, struct block *out)
{
	__u32 i;

	if (htab__del(&m->blocks_ix, ptr, pid, &i))
		return -ENOENT;
	*out = *(struct block *)slab__at(&m->blocks, i);
	slab__put(&m->blocks, i);
	return 0;
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
	int err;

	b.site = m->site_fn(m->site_ctx, e->h.pid, e->file, e->line, e->caller);
	s = site_at(m, b.site);
	if (!s)
		return -ENOMEM;
	err = attribute(m, &b, &e->h, e->ssl);
	if (err)
		return err;
	err = insert_block(m, &b);
	if (err)
		return err;
	m->t.allocs++;
	m->sites[b.site].allocs++;
	return 0;
}

static int on_free(struct model *m, const struct tlsmem_short *e)
{
	struct block b;

	if (take_block(m, e->h.pid, e->ptr, &b)) {
		m->t.unknown_frees++;
		return 0;
	}
	retire(m, &b);
	return 0;
}

static int on_realloc_enter(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t = thread_of(m, e->h.pid, e->h.tid);

	if (!t)
		return -ENOMEM;
	if (t->has_stash == 1) {
		/* the end of the previous realloc was lost: put its block back */
		sub_live(m, &t->stash);
		t->has_stash = 0;
		insert_block(m, &t->stash);
	}
	t->has_stash = 0;
	if (!take_block(m, e->h.pid, e->ptr, &t->stash)) {
		t->has_stash = 1;
	} else if (e->ptr) {
		t->stash.ptr = e->ptr;	/* entered with a block never seen */
		t->has_stash = 2;
	}
	return 0;
}

static int on_realloc(struct model *m, const struct tlsmem_alloc *e)
{
	struct thread *t = thread_of(m, e->h.pid, e->h.tid);
	struct block b;
	int known, entered;

	if (!t)
		return -ENOMEM;
	entered = t->has_stash && t->stash.ptr == e->old_ptr;
	known = entered && t->has_stash == 1;
	if (known) {
		b = t->stash;
	} else if (t->has_stash == 1) {
		/* the end of the previous realloc was lost: put its block back */
		sub_live(m, &t->stash);
		insert_block(m, &t->stash);
	}
	t->has_stash = 0;
	if (!entered && e->old_ptr && !take_block(m, e->h.pid, e->old_ptr, &b))
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
			retire(m, &b);
		else
			m->t.unknown_frees++;
		return 0;
	}
	if (!known)
		return new_block(m, e);
	sub_live(m, &b);
	b.ptr = e->ptr;
	if (b.ssl_slot == PENDING_SSL && e->ptr != e->old_ptr) {
		struct thread *o = thread_of(m, e->h.pid, b.ssl_serial);

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

static int on_ssl_new(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t = thread_of(m, e->h.pid, e->h.tid);
	struct sslrec *r = NULL;
	__u32 slot = 0;
	size_t i;

	if (!t)
		return -ENOMEM;
	if (e->ptr) {
		ssl_destroy(m, e->h.pid, e->ptr);	/* a stale object at that address */
		r = ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 0, &slot);
		if (!r)
			return -ENOMEM;
		m->t.ssl_created++;
	}
	for (i = 0; i < t->npending; i++) {
		__u32 *ix = htab__find(&m->blocks_ix, t->pending[i], e->h.pid);
		struct block *b;

		if (!ix)
			continue;
		b = slab__at(&m->blocks, *ix);
		if (b->ssl_slot != PENDING_SSL || b->ssl_serial != e->h.tid)
			continue;
		sub_live(m, b);
		b->ssl_slot = r ? slot : NO_SSL;
		b->ssl_serial = r ? r->serial : 0;
		add_live(m, b);
	}
	t->npending = 0;
	return 0;
}

static int on_ssl_free(struct model *m, const struct tlsmem_short *e)
{
	if (!e->h.aux)
		return 0;		/* a reference dropped; the object lives on */
	ssl_destroy(m, e->h.pid, e->ptr);
	m->t.ssl_freed++;
	return 0;
}

static int on_ssl_adopt(struct model *m, const struct tlsmem_short *e)
{
	if (ssl_find(m, e->h.pid, e->ptr, NULL))
		return 0;
	return ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 1, NULL) ? 0 : -ENOMEM;
}

/* Collects the k1 of every entry of h whose k2 is pid into *out (free it). 0 or -ENOMEM. */
static int keys_of_pid(const struct htab *h, __u32 pid, __u64 **out, size_t *n)
{
	__u64 *v = NULL, *nv;
	size_t i, cap = 0;

	*n = 0;
	*out = NULL;
	for (i = 0; i < h->cap; i++) {
		if (h->v[i].val == HTAB_EMPTY || h->v[i].k2 != pid)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				*n = 0;
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = h->v[i].k1;
	}
	*out = v;
	return 0;
}

/*
 * A process exited: the kernel took back its heap. Its blocks count as
 * freed (exit_blocks says how many went that way) and its SSL objects as
 * gone (ssl_exited), so that churning children do not look like growth.
 */
static int on_proc_exit(struct model *m, const struct tlsmem_short *e)
{
	__u32 pid = e->h.pid;
	struct block b;
	size_t i, n;
	__u64 *v;

	if (keys_of_pid(&m->blocks_ix, pid, &v, &n))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (take_block(m, pid, v[i], &b))
			continue;
		retire(m, &b);
		m->t.exit_blocks++;
	}
	free(v);
	if (keys_of_pid(&m->ssl_ix, pid, &v, &n))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!ssl_find(m, pid, v[i], NULL))
			continue;
		ssl_destroy(m, pid, v[i]);
		m->t.ssl_exited++;
	}
	free(v);
	return 0;
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
		return on_ssl_new(m, rec);
	case TLSMEM_EV_SSL_FREE:
		return on_ssl_free(m, rec);
	case TLSMEM_EV_SSL_ADOPT:
		return on_ssl_adopt(m, rec);
	case TLSMEM_EV_EXIT:
		return on_proc_exit(m, rec);
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
		if (n < cap) {
			out[n].ssl = r->ssl;
			out[n].created_ns = r->created_ns;
			out[n].live_bytes = r->live_bytes;
			out[n].live_blocks = r->live_blocks;
			out[n].pid = r->pid;
			out[n].adopted = r->adopted;
		}
		n++;
	}
	return n;
}

int model__orphans_by_site(const struct model *m, __u64 *bytes, __u64 *blocks, __u32 n)
{
	size_t i;

	memset(bytes, 0, n * sizeof(*bytes));
	memset(blocks, 0, n * sizeof(*blocks));
	for (i = 0; i < m->blocks_ix.cap; i++) {
		const struct hent *e = &m->blocks_ix.v[i];
		const struct block *b;

		if (e->val == HTAB_EMPTY)
			continue;
		b = slab__at(&m->blocks, e->val);
		if (b->ssl_slot == NO_SSL || b->ssl_slot == PENDING_SSL || ssl_of_block(m, b) ||
		    b->site >= n)
			continue;
		bytes[b->site] += b->size;
		blocks[b->site]++;
	}
	return 0;
}

size_t model__bytes(const struct model *m)
{
	return sizeof(*m) + htab__bytes(&m->blocks_ix) + slab__bytes(&m->blocks) +
	       htab__bytes(&m->ssl_ix) + slab__bytes(&m->ssls) + htab__bytes(&m->thr_ix) +
	       slab__bytes(&m->thrs) + (size_t)m->sites_cap * sizeof(struct site_stats);
}
