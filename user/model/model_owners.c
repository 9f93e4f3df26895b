// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The model's owners: SSL objects and sessions created (SSL_new,
 * SSL_SESSION_new, first seen in a call), linked (ex_data, a session taken
 * or cached), dead (SSL_free, the process's exit) and weighed once matured:
 * what they still held then is orphaned. See model.h and model_int.h.
 * Pure C.
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

struct sslrec *model_ssl_create(struct model *m, __u32 pid, __u64 ssl, __u64 ts, int adopted,
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

void model_release_owner(struct model *m, __u32 slot)
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
	struct sslrec *heir = model_rec_at(m, r->link_slot, r->link_serial);
	__u32 i, next;

	if (!heir || heir->dead || heir->kind != MODEL_OWNER_SESSION)
		return;
	for (i = r->head; i != NO_BLOCK; i = next) {
		struct block *b = slab__at(&m->blocks, i);

		next = b->next;
		if (b->how == HOW_CALL)
			model_reown(m, i, r->link_slot, r->link_serial, HOW_SESSION);
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

void model_owner_destroy(struct model *m, __u32 pid, __u64 ptr, __u64 ts)
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
	/*
	 * The FIFO is weighed in order, so its times never go back: a death fed
	 * after one stamped later (a free carries no time of its own and takes
	 * the model's clock, which the session moves on while records wait to
	 * be read) waits for it rather than be held up behind it unweighed.
	 */
	r->died_ns = ts > m->dead_last_ns ? ts : m->dead_last_ns;
	m->dead_last_ns = r->died_ns;
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
			model_release_owner(m, slot);
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
		struct sslrec *sess = model_rec_at(m, r->link_slot, r->link_serial);

		m->t.ssl_weighed++;
		/* its session outlived it, and no cache holds it: nobody will free it */
		if (sess && !sess->dead && sess->kind == MODEL_OWNER_SESSION && !sess->cached &&
		    !sess->orphaned) {
			sess->orphaned = 1;
			m->t.sess_orphans++;
		}
	}
	if (!r->live_blocks)
		model_release_owner(m, slot);
}

void model__mature(struct model *m, __u64 now_ns)
{
	while (m->dead_n) {
		__u32 slot = m->dead[m->dead_head], serial = m->dead_serial[m->dead_head];
		struct sslrec *r = model_rec_at(m, slot, serial);

		if (r && r->died_ns + MODEL_MATURE_NS > now_ns)
			break;
		m->dead_head = (m->dead_head + 1) % m->dead_cap;
		m->dead_n--;
		if (r && !r->weighed)
			weigh(m, slot);
	}
}

/*
 * SSL_new or SSL_SESSION_new returned e->ptr (0: it failed): a new owner of
 * that kind, which takes the blocks allocated inside the call. *out is the
 * owner and its slot, NULL without one.
 */
static int owner_new(struct model *m, const struct tlsmem_short *e, int kind, struct thread **pt,
		     struct sslrec **out, __u32 *slot)
{
	struct thread *t = model_thread_of(m, e->h.pid, e->h.tid);
	struct sslrec *r = NULL;

	*slot = 0;
	if (!t)
		return -ENOMEM;
	if (e->ptr) {
		model_owner_destroy(m, e->h.pid, e->ptr, e->h.ts_ns);	/* a stale object at that address */
		r = model_ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 0, kind, slot);
		if (!r)
			return -ENOMEM;
	}
	*pt = t;
	*out = r;
	return 0;
}

int model_on_ssl_new(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t;
	struct sslrec *r;
	__u32 slot;
	int err = owner_new(m, e, MODEL_OWNER_SSL, &t, &r, &slot);

	if (err)
		return err;
	if (r) {
		m->t.ssl_created++;
		model_pid_count(m, e->h.pid, PID_CREATED);
	}
	model_resolve_pending(m, t, e->h.pid, PENDING_SSL, r, slot, 0);
	t->after_ssl = e->ptr;
	t->after_ns = e->h.ts_ns;
	t->after_n = 0;
	return 0;
}

int model_on_ssl_free(struct model *m, const struct tlsmem_short *e)
{
	if (!e->h.aux)
		return 0;		/* a reference dropped; the object lives on */
	model_owner_destroy(m, e->h.pid, e->ptr, e->h.ts_ns ? e->h.ts_ns : m->t.last_ts_ns);
	m->t.ssl_freed++;
	model_pid_count(m, e->h.pid, PID_FREED);
	return 0;
}

int model_on_ssl_adopt(struct model *m, const struct tlsmem_short *e)
{
	if (model_ssl_find(m, e->h.pid, e->ptr, NULL))
		return 0;
	return model_ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 1, MODEL_OWNER_SSL, NULL) ? 0 : -ENOMEM;
}

/* The SSL object a session function ran for, if it is known and alive: it links to sess. */
static void link_ssl(struct model *m, __u32 pid, __u64 ssl, __u32 sslot, struct sslrec *sess)
{
	__u32 slot;
	struct sslrec *r = model_owner_find(m, pid, ssl, MODEL_OWNER_SSL, &slot);

	if (!r)
		return;
	r->link_slot = sslot;
	r->link_serial = sess->serial;
	sess->link_slot = slot;
	sess->link_serial = r->serial;
}

int model_on_session_new(struct model *m, const struct tlsmem_short *e)
{
	struct thread *t;
	struct sslrec *r;
	__u32 slot;
	int err = owner_new(m, e, MODEL_OWNER_SESSION, &t, &r, &slot);

	if (err)
		return err;
	if (r)
		link_ssl(m, e->h.pid, e->ssl, slot, r);
	model_resolve_pending(m, t, e->h.pid, PENDING_SESSION, r, slot, e->ptr);
	return 0;
}

/*
 * A session made inside an SSL call (a copy for a ticket) is first seen when
 * a cache or the application takes it: its own block becomes its memory.
 */
static struct sslrec *session_seen(struct model *m, const struct tlsmem_short *e, __u32 *pslot)
{
	__u32 slot, *ix;
	struct sslrec *r = model_owner_find(m, e->h.pid, e->ptr, MODEL_OWNER_SESSION, &slot);

	if (!r) {
		model_owner_destroy(m, e->h.pid, e->ptr, e->h.ts_ns);
		r = model_ssl_create(m, e->h.pid, e->ptr, e->h.ts_ns, 1, MODEL_OWNER_SESSION, &slot);
		if (!r)
			return NULL;
		ix = htab__find(&m->blocks_ix, e->ptr, e->h.pid);
		if (ix)
			model_reown(m, *ix, slot, r->serial, HOW_SELF);
	}
	*pslot = slot;
	return r;
}

int model_on_session_ref(struct model *m, const struct tlsmem_short *e)
{
	__u32 slot;
	struct sslrec *r = session_seen(m, e, &slot);

	if (!r)
		return -ENOMEM;
	link_ssl(m, e->h.pid, e->ssl, slot, r);
	return 0;
}

int model_on_session_cache(struct model *m, const struct tlsmem_short *e)
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

int model_on_link(struct model *m, const struct tlsmem_short *e)
{
	int kind = e->h.aux == TLSMEM_OWNER_SESSION ? MODEL_OWNER_SESSION : MODEL_OWNER_SSL;
	__u32 *ix = htab__find(&m->blocks_ix, e->ptr, e->h.pid), slot;
	struct sslrec *r;
	struct block *b;

	if (!ix)
		return 0;		/* not an OpenSSL block we track */
	r = model_owner_find(m, e->h.pid, e->ssl, kind, &slot);
	if (!r && kind == MODEL_OWNER_SSL)
		r = model_ssl_create(m, e->h.pid, e->ssl, e->h.ts_ns, 1, kind, &slot);
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
	model_reown(m, *ix, slot, r->serial, HOW_LINK);
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

int model_on_proc_exit(struct model *m, const struct tlsmem_short *e)
{
	__u32 pid = e->h.pid;
	struct block b;
	size_t i, n;
	__u64 *v;

	htab__del(&m->pid_ix, pid, PID_CREATED, NULL);	/* the pid may come back: another process */
	htab__del(&m->pid_ix, pid, PID_FREED, NULL);
	if (keys_of_pid(&m->blocks_ix, pid, &v, &n))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (model_take_block(m, pid, v[i], &b))
			continue;
		model_retire(m, &b);
		model_maybe_release(m, &b);
		m->t.exit_blocks++;
	}
	free(v);
	if (keys_of_pid(&m->ssl_ix, pid, &v, &n))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct sslrec *r = model_ssl_find(m, pid, v[i], NULL);
		bool ssl;

		if (!r)
			continue;
		ssl = r->kind == MODEL_OWNER_SSL;
		model_owner_destroy(m, pid, v[i], m->t.last_ts_ns);
		if (ssl)
			m->t.ssl_exited++;
	}
	free(v);
	return 0;
}
