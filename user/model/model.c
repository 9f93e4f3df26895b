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
	struct slab thrs;
	struct site_stats *sites;
	__u32 nsites, sites_cap;
	__u32 next_serial;
	struct model_totals t;
	__u32 *dead;			/* FIFO of dead owners' slots, in order of death */
	__u32 *dead_serial;
	size_t dead_head, dead_n, dead_cap;
	__u32 *peaks;			/* closed SSL objects' peak bytes (a sample past the cap) */
	size_t npeaks, peaks_cap;
	__u64 rng;
	struct model_closed closed;
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
		t->after_ssl = 0;
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

/* A live owner of the given kind at that address. */
static struct sslrec *owner_find(const struct model *m, __u32 pid, __u64 ptr, int kind,
				 __u32 *slot)
{
	struct sslrec *r = ptr ? ssl_find(m, pid, ptr, slot) : NULL;

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

/* The owner record at (slot, serial) if it still exists. */
static struct sslrec *rec_at(const struct model *m, __u32 slot, __u32 serial)
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

static void release_owner(struct model *m, __u32 slot);

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

/* Gives block i (in the table) another owner. */
static void reown(struct model *m, __u32 i, __u32 slot, __u32 serial, enum how how)
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
		release_owner(m, oslot);
}

static struct sslrec *ssl_create(struct model *m, __u32 pid, __u64 ssl, __u64 ts, int adopted,
				 int kind, __u32 *slot)
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
	r->kind = (__u8)kind;
	r->adopted = (__u8)adopted;
	r->created_ns = ts;
	r->head = NO_BLOCK;
	if (kind == MODEL_OWNER_SESSION) {
		m->t.sess_live++;
		if (adopted)
			m->t.sess_adopted++;
		else
			m->t.sess_created++;
	} else {
		m->t.ssl_live++;
		if (m->t.ssl_live > m->t.peak_ssl_live)
			m->t.peak_ssl_live = m->t.ssl_live;
		if (adopted)
			m->t.ssl_adopted++;
		else
			m->t.ssl_new_live++;
	}
	if (slot)
		*slot = i;
	return r;
}

/* The record goes back to the slab; nothing may refer to it any more. */
static void release_owner(struct model *m, __u32 slot)
{
	struct sslrec *r = slab__at(&m->ssls, slot);

	free(r->ents);
	r->ents = NULL;
	r->serial = 0;
	slab__put(&m->ssls, slot);
}

static void note_closed(struct model *m, const struct sslrec *r)
{
	__u64 peak = r->peak_bytes;
	__u32 v = peak > UINT32_MAX ? UINT32_MAX : (__u32)peak;

	m->closed.n++;
	m->closed.sum_peak += peak;
	m->closed.sum_at_free += r->live_bytes;
	if (peak > m->closed.max_peak)
		m->closed.max_peak = peak;
	if (m->npeaks < MODEL_PEAKS_MAX) {
		if (m->npeaks == m->peaks_cap) {
			size_t cap = m->peaks_cap ? m->peaks_cap * 2 : 1024;
			__u32 *p = realloc(m->peaks, cap * sizeof(*p));

			if (!p)
				return;
			m->peaks = p;
			m->peaks_cap = cap;
		}
		m->peaks[m->npeaks++] = v;
		return;
	}
	/* reservoir sampling: every closed object is equally likely to be kept */
	m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
	if ((m->rng >> 11) % m->closed.n < MODEL_PEAKS_MAX)
		m->peaks[(m->rng >> 33) % MODEL_PEAKS_MAX] = v;
}

/*
 * An SSL object died while its session lives (a cache or the application
 * holds it): what it allocated in its calls and still holds is the
 * session's now.
 */
static void hand_over(struct model *m, struct sslrec *r)
{
	struct sslrec *heir = rec_at(m, r->link_slot, r->link_serial);
	__u32 i, next;

	if (!heir || heir->dead || heir->kind != MODEL_OWNER_SESSION)
		return;
	for (i = r->head; i != NO_BLOCK; i = next) {
		struct block *b = slab__at(&m->blocks, i);

		next = b->next;
		if (b->how == HOW_CALL)
			reown(m, i, r->link_slot, r->link_serial, HOW_SESSION);
	}
}

static int dead_push(struct model *m, __u32 slot, __u32 serial)
{
	if (m->dead_n == m->dead_cap) {
		size_t cap = m->dead_cap ? m->dead_cap * 2 : 256, i;
		__u32 *a = malloc(cap * sizeof(*a)), *b = malloc(cap * sizeof(*b));

		if (!a || !b) {
			free(a);
			free(b);
			return -ENOMEM;
		}
		for (i = 0; i < m->dead_n; i++) {
			a[i] = m->dead[(m->dead_head + i) % m->dead_cap];
			b[i] = m->dead_serial[(m->dead_head + i) % m->dead_cap];
		}
		free(m->dead);
		free(m->dead_serial);
		m->dead = a;
		m->dead_serial = b;
		m->dead_cap = cap;
		m->dead_head = 0;
	}
	m->dead[(m->dead_head + m->dead_n) % m->dead_cap] = slot;
	m->dead_serial[(m->dead_head + m->dead_n) % m->dead_cap] = serial;
	m->dead_n++;
	return 0;
}

/* A live session stops counting as an orphan (it died, or a cache took it). */
static void sess_unorphan(struct model *m, struct sslrec *r)
{
	if (r->orphaned) {
		r->orphaned = 0;
		m->t.sess_orphans--;
	}
}

/* The owner is gone: what it still holds becomes orphaned. */
static void owner_destroy(struct model *m, __u32 pid, __u64 ptr, __u64 ts)
{
	struct sslrec *r;
	__u32 slot;

	if (htab__del(&m->ssl_ix, ptr, pid, &slot))
		return;
	r = slab__at(&m->ssls, slot);
	if (r->kind == MODEL_OWNER_SSL) {
		m->t.ssl_live--;
		if (!r->adopted) {
			m->t.ssl_new_live--;
			note_closed(m, r);
		}
		hand_over(m, r);
		m->t.ssl_bytes -= r->live_bytes;
		m->t.ssl_blocks -= r->live_blocks;
		if (!r->adopted)
			m->t.ssl_new_bytes -= r->live_bytes;
	} else {
		m->t.sess_live--;
		m->t.sess_freed++;
		m->t.sess_bytes -= r->live_bytes;
		if (r->cached)
			m->t.sess_cached--;
		sess_unorphan(m, r);
	}
	m->t.orphan_bytes += r->live_bytes;
	m->t.orphan_blocks += r->live_blocks;
	r->dead = 1;
	r->died_ns = ts;
	for (__u32 i = r->head; i != NO_BLOCK;) {
		struct block *b = slab__at(&m->blocks, i);

		m->sites[b->site].orphan_bytes += b->size;
		m->sites[b->site].orphan_blocks++;
		i = b->next;
	}
	if (dead_push(m, slot, r->serial)) {
		/* cannot be weighed: weigh it now rather than keep it forever */
		r->weighed = 1;
		if (!r->live_blocks)
			release_owner(m, slot);
	}
}

static void weigh(struct model *m, __u32 slot)
{
	struct sslrec *r = slab__at(&m->ssls, slot);
	__u32 i;

	r->weighed = 1;
	for (i = 0; i < r->ents_cap; i++) {
		struct site_stats *s;

		if (r->ents[i].site == NO_SITE)
			continue;
		s = &m->sites[r->ents[i].site];
		s->owners_freed[r->kind]++;
		if (r->ents[i].live)
			s->owners_left[r->kind]++;
	}
	if (r->kind == MODEL_OWNER_SSL && !r->adopted) {
		struct sslrec *sess = rec_at(m, r->link_slot, r->link_serial);

		m->t.ssl_weighed++;
		/* its session outlived it, and no cache holds it: nobody will free it */
		if (sess && !sess->dead && sess->kind == MODEL_OWNER_SESSION && !sess->cached &&
		    !sess->orphaned) {
			sess->orphaned = 1;
			m->t.sess_orphans++;
		}
	}
	if (!r->live_blocks)
		release_owner(m, slot);
}

void model__mature(struct model *m, __u64 now_ns)
{
	while (m->dead_n) {
		__u32 slot = m->dead[m->dead_head], serial = m->dead_serial[m->dead_head];
		struct sslrec *r = rec_at(m, slot, serial);

		if (r && r->died_ns + MODEL_MATURE_NS > now_ns)
			break;
		m->dead_head = (m->dead_head + 1) % m->dead_cap;
		m->dead_n--;
		if (r && !r->weighed)
			weigh(m, slot);
	}
}

__u64 model__mature_at(const struct model *m)
{
	size_t last;
	struct sslrec *r;

	if (!m->dead_n)
		return 0;
	last = (m->dead_head + m->dead_n - 1) % m->dead_cap;
	r = rec_at(m, m->dead[last], m->dead_serial[last]);
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
		t = thread_of(m, h->pid, h->tid);
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
		r = owner_find(m, h->pid, owner, MODEL_OWNER_SESSION, &slot);
		if (!r)
			return 0;	/* a session from before attach: told at the end of the call */
		b->how = HOW_CACHE;
	} else if (h->flags & TLSMEM_F_AFTER_SSL_NEW) {
		t = thread_of(m, h->pid, h->tid);
		if (!t)
			return -ENOMEM;
		if (t->after_ssl != owner || h->ts_ns > t->after_ns + MODEL_AFTER_NS ||
		    t->after_n >= MODEL_AFTER_BLOCKS)
			return 0;
		r = owner_find(m, h->pid, owner, MODEL_OWNER_SSL, &slot);
		if (!r)
			return 0;
		t->after_n++;
		b->how = HOW_AFTER;
	} else {
		r = owner_find(m, h->pid, owner, MODEL_OWNER_SSL, &slot);
		if (!r)
			r = ssl_create(m, h->pid, owner, h->ts_ns, 1, MODEL_OWNER_SSL, &slot);
		if (!r)
			return -ENOMEM;	/* announcement lost: adopted */
		b->how = HOW_CALL;
	}
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

/* Takes block i out of the table and its owner's list; its bytes stay accounted. */
static void unlink_block(struct model *m, __u32 i, struct block *out)
{
	struct block *b = slab__at(&m->blocks, i);

	list_del(m, i, b);
	*out = *b;
	slab__put(&m->blocks, i);
}

/* A dead owner whose last block went is released once weighed. */
static void maybe_release(struct model *m, const struct block *b)
{
	struct sslrec *r = owner_of_block(m, b);

	if (r && r->dead && r->weighed && !r->live_blocks)
		release_owner(m, b->ssl_slot);
}

/* A session ends when its own memory is freed. */
static void free_owner_at(struct model *m, __u32 pid, __u64 ptr, __u64 ts)
{
	if (owner_find(m, pid, ptr, MODEL_OWNER_SESSION, NULL))
		owner_destroy(m, pid, ptr, ts);
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
		retire(m, &gone);
		maybe_release(m, &gone);
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

/* Removes a block from the table; its bytes stay accounted. */
static int take_block(struct model *m, __u32 pid, __u64 ptr, struct block *out)
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

	retire(m, b);
	if (r && !r->dead && r->kind == MODEL_OWNER_SESSION) {
		if (b->how == HOW_CACHE && r->cached) {
			r->cached = 0;		/* its cache entry went: out of the cache */
			m->t.sess_cached--;
		}
		if (b->how == HOW_SELF) {
			owner_destroy(m, b->pid, r->ssl, m->t.last_ts_ns);
			return;
		}
	}
	maybe_release(m, b);
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

	if (take_block(m, e->h.pid, e->ptr, &b)) {
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
	struct thread *t = thread_of(m, e->h.pid, e->h.tid);

	if (!t)
		return -ENOMEM;
	if (t->has_stash == 1)
		unstash(m, t);
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
	if (known)
		b = t->stash;
	else if (t->has_stash == 1)
		unstash(m, t);
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

/*
 * The pending blocks of the thread's SSL_new (or SSL_SESSION_new) go to the
 * object it returned, or to nobody when it failed. Blocks of the other kind
 * stay pending.
 */
static void resolve_pending(struct model *m, struct thread *t, __u32 pid, __u32 marker,
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
		reown(m, *ix, r ? slot : NO_SSL, r ? r->serial : 0, r ? how : HOW_NONE);
	}
	t->npending = k;
}

/*
 * SSL_new or SSL_SESSION_new returned e->ptr (0: it failed): a new owner of
 * that kind, which takes the blocks allocated inside the call. *out is the
 * owner and its slot, NULL without one.
 */
static int owner_new(struct model *m, const struct tlsmem_short *e, int kind, struct thread **pt,
		     struct sslrec **out, __u32 *slot)
{
	struct thread *t = thread_of(m, e->h.pid, e->h.tid);
	struct sslrec *r = NULL;

	*slot = 0;
	if (!t)
		return -ENOMEM;
	if (e->ptr) {
		owner_destroy(m, e->h.pid, e->ptr, e->h.ts_ns);	/* a stale object at that address */
		r = ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 0, kind, slot);
		if (!r)
			return -ENOMEM;
	}
	*pt = t;
	*out = r;
	return 0;
}

static int on_ssl_new(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t;
	struct sslrec *r;
	__u32 slot;
	int err = owner_new(m, e, MODEL_OWNER_SSL, &t, &r, &slot);

	if (err)
		return err;
	if (r)
		m->t.ssl_created++;
	resolve_pending(m, t, e->h.pid, PENDING_SSL, r, slot, 0);
	t->after_ssl = e->ptr;
	t->after_ns = e->h.ts_ns;
	t->after_n = 0;
	return 0;
}

static int on_ssl_free(struct model *m, const struct tlsmem_short *e)
{
	if (!e->h.aux)
		return 0;		/* a reference dropped; the object lives on */
	owner_destroy(m, e->h.pid, e->ptr, e->h.ts_ns ? e->h.ts_ns : m->t.last_ts_ns);
	m->t.ssl_freed++;
	return 0;
}

static int on_ssl_adopt(struct model *m, const struct tlsmem_short *e)
{
	if (ssl_find(m, e->h.pid, e->ptr, NULL))
		return 0;
	return ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 1, MODEL_OWNER_SSL, NULL) ? 0 : -ENOMEM;
}

/* The SSL object a session function ran for, if it is known and alive: it links to sess. */
static void link_ssl(struct model *m, __u32 pid, __u64 ssl, __u32 sslot, struct sslrec *sess)
{
	__u32 slot;
	struct sslrec *r = owner_find(m, pid, ssl, MODEL_OWNER_SSL, &slot);

	if (!r)
		return;
	r->link_slot = sslot;
	r->link_serial = sess->serial;
	sess->link_slot = slot;
	sess->link_serial = r->serial;
}

static int on_session_new(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t;
	struct sslrec *r;
	__u32 slot;
	int err = owner_new(m, e, MODEL_OWNER_SESSION, &t, &r, &slot);

	if (err)
		return err;
	if (r)
		link_ssl(m, e->h.pid, e->ssl, slot, r);
	resolve_pending(m, t, e->h.pid, PENDING_SESSION, r, slot, e->ptr);
	return 0;
}

/*
 * A session made inside an SSL call (a copy for a ticket) is first seen when
 * a cache or the application takes it: its own block becomes its memory.
 */
static struct sslrec *session_seen(struct model *m, const struct tlsmem_short *e, __u32 *pslot)
{
	__u32 slot, *ix;
	struct sslrec *r = owner_find(m, e->h.pid, e->ptr, MODEL_OWNER_SESSION, &slot);

	if (!r) {
		owner_destroy(m, e->h.pid, e->ptr, e->h.ts_ns);
		r = ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 1, MODEL_OWNER_SESSION, &slot);
		if (!r)
			return NULL;
		ix = htab__find(&m->blocks_ix, e->ptr, e->h.pid);
		if (ix)
			reown(m, *ix, slot, r->serial, HOW_SELF);
	}
	*pslot = slot;
	return r;
}

static int on_session_ref(struct model *m, const struct tlsmem_short *e)
{
	__u32 slot;
	struct sslrec *r = session_seen(m, e, &slot);

	if (!r)
		return -ENOMEM;
	link_ssl(m, e->h.pid, e->ssl, slot, r);
	return 0;
}

static int on_session_cache(struct model *m, const struct tlsmem_short *e)
{
	__u32 slot;
	struct sslrec *r = session_seen(m, e, &slot);

	if (!r)
		return -ENOMEM;
	if (!r->cached) {
		r->cached = 1;
		m->t.sess_cached++;
	}
	sess_unorphan(m, r);
	link_ssl(m, e->h.pid, e->ssl, slot, r);
	return 0;
}

/* The application hung a block on an owner (SSL_set_ex_data). */
static int on_link(struct model *m, const struct tlsmem_short *e)
{
	int kind = e->h.aux == TLSMEM_OWNER_SESSION ? MODEL_OWNER_SESSION : MODEL_OWNER_SSL;
	__u32 *ix = htab__find(&m->blocks_ix, e->ptr, e->h.pid), slot;
	struct sslrec *r;
	struct block *b;

	if (!ix)
		return 0;		/* not an OpenSSL block we track */
	r = owner_find(m, e->h.pid, e->ssl, kind, &slot);
	if (!r && kind == MODEL_OWNER_SSL)
		r = ssl_create(m, e->h.pid, e->ssl, e->h.ts_ns, 1, kind, &slot);
	if (!r)
		return 0;
	b = slab__at(&m->blocks, *ix);
	if (b->how == HOW_SELF || b->ssl_slot == PENDING_SSL || b->ssl_slot == PENDING_SESSION)
		return 0;
	if (b->ssl_slot == slot && b->ssl_serial == r->serial && b->how == HOW_LINK)
		return 0;
	if (b->how == HOW_NONE)
		m->sites[b->site].owned_allocs++;
	m->sites[b->site].linked_allocs++;
	reown(m, *ix, slot, r->serial, HOW_LINK);
	return 0;
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
		maybe_release(m, &b);
		m->t.exit_blocks++;
	}
	free(v);
	if (keys_of_pid(&m->ssl_ix, pid, &v, &n))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct sslrec *r = ssl_find(m, pid, v[i], NULL);
		bool ssl;

		if (!r)
			continue;
		ssl = r->kind == MODEL_OWNER_SSL;
		owner_destroy(m, pid, v[i], m->t.last_ts_ns);
		if (ssl)
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
		return on_ssl_new(m, rec);
	case TLSMEM_EV_SSL_FREE:
		return on_ssl_free(m, rec);
	case TLSMEM_EV_SSL_ADOPT:
		return on_ssl_adopt(m, rec);
	case TLSMEM_EV_LINK:
		return on_link(m, rec);
	case TLSMEM_EV_SESSION_NEW:
		return on_session_new(m, rec);
	case TLSMEM_EV_SESSION_CACHE:
		return on_session_cache(m, rec);
	case TLSMEM_EV_SESSION_REF:
		return on_session_ref(m, rec);
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

/* The entry of pid in out (n used of cap), added when new; NULL when out is full. */
static struct pid_stats *pid_slot(struct htab *ix, struct pid_stats *out, size_t *n, size_t cap,
				  __u32 pid)
{
	__u32 *i = htab__find(ix, pid, 0);

	if (i)
		return &out[*i];
	if (*n == cap || htab__put(ix, pid, 0, (__u32)*n))
		return NULL;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].pid = pid;
	return &out[(*n)++];
}

size_t model__pid_stats(const struct model *m, struct pid_stats *out, size_t cap)
{
	struct htab ix = { 0 };
	struct pid_stats *p;
	size_t i, n = 0;

	for (i = 0; i < m->blocks_ix.cap; i++) {
		const struct hent *e = &m->blocks_ix.v[i];
		const struct block *b;

		if (e->val == HTAB_EMPTY)
			continue;
		b = slab__at(&m->blocks, e->val);
		p = pid_slot(&ix, out, &n, cap, b->pid);
		if (p) {
			p->live_bytes += b->size;
			p->live_blocks++;
		}
	}
	for (i = 0; i < m->ssl_ix.cap; i++) {
		const struct hent *e = &m->ssl_ix.v[i];
		const struct sslrec *r;

		if (e->val == HTAB_EMPTY)
			continue;
		r = slab__at(&m->ssls, e->val);
		if (r->kind != MODEL_OWNER_SSL)
			continue;
		p = pid_slot(&ix, out, &n, cap, r->pid);
		if (p)
			p->ssl_live++;
	}
	htab__clear(&ix);
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
	       slab__bytes(&m->thrs) + (size_t)m->sites_cap * sizeof(struct site_stats) +
	       m->dead_cap * 2 * sizeof(__u32) + m->peaks_cap * sizeof(__u32) +
	       m->ssls.n * 16 * sizeof(struct oent);	/* site entries, about */
}
