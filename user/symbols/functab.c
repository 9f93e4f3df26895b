// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Address-ordered function tables with a name arena; see functab.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "functab.h"

#define WALK_BACK	16	/* enclosing entries checked per lookup */

static int grow_entries(struct functab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	struct functab_ent *v;

	if (t->n >= FUNCTAB_MAX_ENTRIES)
		return -E2BIG;
	if (cap > FUNCTAB_MAX_ENTRIES)
		cap = FUNCTAB_MAX_ENTRIES;
	v = realloc(t->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	t->cap = cap;
	return 0;
}

/* Copies name into the arena; its offset, or FUNCTAB_NO_NAME with *err set. */
static __u32 add_name(struct functab *t, const char *name, int *err)
{
	size_t len = strnlen(name, FUNCTAB_NAME_MAX), cap;
	__u32 at;
	char *p;

	if (len + 1 > FUNCTAB_MAX_NAME_BYTES - t->names_len) {
		*err = -E2BIG;
		return FUNCTAB_NO_NAME;
	}
	if (t->names_len + len + 1 > t->names_cap) {
		cap = t->names_cap ? t->names_cap : 4096;
		while (cap < t->names_len + len + 1)
			cap *= 2;
		p = realloc(t->names, cap);
		if (!p) {
			*err = -ENOMEM;
			return FUNCTAB_NO_NAME;
		}
		t->names = p;
		t->names_cap = cap;
	}
	at = (__u32)t->names_len;
	memcpy(t->names + at, name, len);
	t->names[at + len] = '\0';
	t->names_len += len + 1;
	return at;
}

int functab__add(struct functab *t, __u64 start, __u64 size, const char *name, __u32 rank)
{
	struct functab_ent *e;
	int err = 0;

	if (start == UINT64_MAX)
		return 0;		/* no function starts at the last address */
	if (t->n == t->cap && (err = grow_entries(t)))
		return err;
	e = &t->v[t->n];
	e->start = start;
	e->end = start + (size ? size : 1);
	if (e->end <= start)
		e->end = UINT64_MAX;
	e->rank = rank;
	e->name = name && *name ? add_name(t, name, &err) : FUNCTAB_NO_NAME;
	if (err)
		return err;
	t->n++;
	t->sorted = 0;
	return 0;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct functab_ent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if ((x->name == FUNCTAB_NO_NAME) != (y->name == FUNCTAB_NO_NAME))
		return x->name == FUNCTAB_NO_NAME ? 1 : -1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return 0;
}

void functab__finish(struct functab *t)
{
	size_t n = 0;

	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_ent);
	for (size_t i = 0; i < t->n; i++) {
		if (n && t->v[n - 1].start == t->v[i].start)
			continue;
		t->v[n++] = t->v[i];
	}
	t->n = n;
	t->sorted = 1;
}

/* Index of the last entry starting at or before addr, or SIZE_MAX. */
static size_t last_at_or_before(const struct functab *t, __u64 addr)
{
	size_t lo = 0, hi = t->n, mid;

	if (!t->sorted || !t->n || addr < t->v[0].start)
		return SIZE_MAX;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid].start <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

const struct functab_ent *functab__find(const struct functab *t, __u64 addr)
{
	size_t i = last_at_or_before(t, addr);

	for (size_t steps = 0; i != SIZE_MAX && steps < WALK_BACK; steps++) {
		if (addr < t->v[i].end)
			return &t->v[i];
		if (!i)
			break;
		i--;
	}
	return NULL;
}

const struct functab_ent *functab__at(const struct functab *t, __u64 start)
{
	size_t i = last_at_or_before(t, start);

	return i != SIZE_MAX && t->v[i].start == start ? &t->v[i] : NULL;
}

const char *functab__name(const struct functab *t, const struct functab_ent *e)
{
	if (!e || e->name == FUNCTAB_NO_NAME || e->name >= t->names_len)
		return NULL;
	return t->names + e->name;
}

size_t functab__bytes(const struct functab *t)
{
	return t->cap * sizeof(*t->v) + t->names_cap;
}

void functab__free(struct functab *t)
{
	if (!t)
		return;
	free(t->v);
	free(t->names);
	memset(t, 0, sizeof(*t));
}
