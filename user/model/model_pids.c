// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The model's figures per process; see model.h. Blocks are indexed by
 * (address, pid), not by process, so each of these walks every tracked
 * block: the callers do it once per interval at most. Sites are shared by
 * the processes that map the same code, so a site's figures for one process
 * come from its blocks, never from the site's totals. Pure C.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "htab.h"
#include "slab.h"
#include "model.h"
#include "model_int.h"

/*
 * Calls fn on every live block of pid (0: of every process): those in the
 * table, and a block inside a realloc, which is out of the table and still
 * live. fn returns nonzero to stop; walk_blocks returns that value.
 */
static int walk_blocks(const struct model *m, __u32 pid,
		       int (*fn)(const struct block *b, void *ctx), void *ctx)
{
	size_t i;
	int err;

	for (i = 0; i < m->blocks_ix.cap; i++) {
		const struct hent *e = &m->blocks_ix.v[i];

		/* the key holds the pid: other processes' blocks are not even read */
		if (e->val == HTAB_EMPTY || (pid && e->k2 != pid))
			continue;
		err = fn(slab__at(&m->blocks, e->val), ctx);
		if (err)
			return err;
	}
	for (i = 0; i < m->thr_ix.cap; i++) {
		const struct hent *e = &m->thr_ix.v[i];
		const struct thread *t;

		if (e->val == HTAB_EMPTY)
			continue;
		t = slab__at(&m->thrs, e->val);
		if (t->has_stash != 1 || (pid && t->stash.pid != pid))
			continue;
		err = fn(&t->stash, ctx);
		if (err)
			return err;
	}
	return 0;
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

struct pid_walk {
	struct htab ix;
	struct pid_stats *out;
	size_t n, cap;
};

static int count_pid_block(const struct block *b, void *ctx)
{
	struct pid_walk *w = ctx;
	struct pid_stats *p = pid_slot(&w->ix, w->out, &w->n, w->cap, b->pid);

	if (p) {
		p->live_bytes += b->size;
		p->live_blocks++;
	}
	return 0;
}

size_t model__pid_stats(const struct model *m, struct pid_stats *out, size_t cap)
{
	struct pid_walk w = { .out = out, .cap = cap };
	struct pid_stats *p;
	size_t i;

	walk_blocks(m, 0, count_pid_block, &w);
	for (i = 0; i < m->ssl_ix.cap; i++) {
		const struct hent *e = &m->ssl_ix.v[i];
		const struct sslrec *r;

		if (e->val == HTAB_EMPTY)
			continue;
		r = slab__at(&m->ssls, e->val);
		if (r->kind != MODEL_OWNER_SSL)
			continue;
		p = pid_slot(&w.ix, out, &w.n, cap, r->pid);
		if (p)
			p->ssl_live++;
	}
	for (i = 0; i < m->pid_ix.cap; i++) {
		const struct hent *e = &m->pid_ix.v[i];

		if (e->val == HTAB_EMPTY)
			continue;
		p = pid_slot(&w.ix, out, &w.n, cap, (__u32)e->k1);
		if (p && e->k2 == PID_CREATED)
			p->ssl_created = e->val;
		else if (p)
			p->ssl_freed = e->val;
	}
	htab__clear(&w.ix);
	return w.n;
}

/* Counts saturate at HTAB_EMPTY - 1 (the value a table never stores); no memory: not counted. */
void model_pid_count(struct model *m, __u32 pid, __u32 what)
{
	__u32 *v = htab__find(&m->pid_ix, pid, what);

	if (v && *v < HTAB_EMPTY - 1)
		(*v)++;
	else if (!v)
		htab__put(&m->pid_ix, pid, what, 1);
}

/* Its owner (an SSL object or a session) was freed while the block lives on. */
static bool orphaned(const struct model *m, const struct block *b)
{
	const struct sslrec *r = model_rec_at(m, b->ssl_slot, b->ssl_serial);

	return r && r->dead;
}

struct site_walk {
	const struct model *m;
	struct site_stats *out;
	size_t n, cap;
};

static int count_site_block(const struct block *b, void *ctx)
{
	struct site_walk *w = ctx;
	struct site_stats *s;

	if (b->site >= w->cap)
		return 0;
	s = &w->out[b->site];
	if (!s->live_blocks++)
		w->n++;
	s->live_bytes += b->size;
	if (!s->oldest_ns || b->ts_ns < s->oldest_ns)
		s->oldest_ns = b->ts_ns;
	if (orphaned(w->m, b)) {
		s->orphan_bytes += b->size;
		s->orphan_blocks++;
	}
	return 0;
}

size_t model__pid_sites(const struct model *m, __u32 pid, struct site_stats *out, size_t cap)
{
	struct site_walk w = { .m = m, .out = out, .cap = cap };

	if (cap)
		memset(out, 0, cap * sizeof(*out));
	if (pid)
		walk_blocks(m, pid, count_site_block, &w);
	return w.n;
}

/* Marks the wanted site ids in a bitmap of nbits; NULL without memory. */
static __u64 *site_set(const __u32 *sites, size_t nsites, __u32 nbits)
{
	__u64 *set = calloc((size_t)nbits / 64 + 1, sizeof(*set));
	size_t i;

	if (!set)
		return NULL;
	for (i = 0; i < nsites; i++)
		if (sites[i] < nbits)
			set[sites[i] / 64] |= 1ull << (sites[i] % 64);
	return set;
}

struct pair_walk {
	struct htab ix;
	const __u64 *set;
	__u32 nsites;
	struct pid_site *out;
	size_t *n, cap;
};

static int count_pair_block(const struct block *b, void *ctx)
{
	struct pair_walk *w = ctx;
	struct pid_site *p;
	__u32 *at;

	if (b->site >= w->nsites || !(w->set[b->site / 64] & (1ull << (b->site % 64))))
		return 0;
	at = htab__find(&w->ix, b->site, b->pid);
	if (at) {
		p = &w->out[*at];
	} else {
		if (*w->n == w->cap)
			return 0;	/* full: the pairs found first are kept */
		if (htab__put(&w->ix, b->site, b->pid, (__u32)*w->n))
			return -ENOMEM;
		p = &w->out[(*w->n)++];
		memset(p, 0, sizeof(*p));
		p->pid = b->pid;
		p->site = b->site;
	}
	p->live_bytes += b->size;
	p->live_blocks++;
	return 0;
}

int model__pid_site_stats(const struct model *m, const __u32 *sites, size_t nsites,
			  struct pid_site *out, size_t cap, size_t *n)
{
	struct pair_walk w = { .nsites = m->nsites, .out = out, .n = n, .cap = cap };
	__u64 *set;
	int err;

	*n = 0;
	if (!nsites || !cap)
		return 0;
	set = site_set(sites, nsites, m->nsites);
	if (!set)
		return -ENOMEM;
	w.set = set;
	err = walk_blocks(m, 0, count_pair_block, &w);
	htab__clear(&w.ix);
	free(set);
	return err;
}
