// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Open-addressing (u64, u32) -> u32 hash table; see htab.h. */
#include <errno.h>
#include <stdlib.h>
#include "htab.h"

static size_t slot_of(__u64 k1, __u32 k2, size_t cap)
{
	__u64 x = k1 ^ ((__u64)k2 << 47) ^ ((__u64)k2 >> 17);

	/* splitmix64 finaliser: allocator addresses share their low bits */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x & (cap - 1);
}

__u32 *htab__find(const struct htab *h, __u64 k1, __u32 k2)
{
	size_t i;

	if (!h->cap)
		return NULL;
	for (i = slot_of(k1, k2, h->cap);; i = (i + 1) & (h->cap - 1)) {
		struct hent *e = &h->v[i];

		if (e->val == HTAB_EMPTY)
			return NULL;
		if (e->k1 == k1 && e->k2 == k2)
			return &e->val;
	}
}

static void place(struct hent *v, size_t cap, const struct hent *src)
{
	size_t i = slot_of(src->k1, src->k2, cap);

	while (v[i].val != HTAB_EMPTY)
		i = (i + 1) & (cap - 1);
	v[i] = *src;
}

static int grow(struct htab *h)
{
	size_t cap = h->cap ? h->cap * 2 : 64, i;
	struct hent *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		v[i].val = HTAB_EMPTY;
	for (i = 0; i < h->cap; i++)
		if (h->v[i].val != HTAB_EMPTY)
			place(v, cap, &h->v[i]);
	free(h->v);
	h->v = v;
	h->cap = cap;
	return 0;
}

int htab__put(struct htab *h, __u64 k1, __u32 k2, __u32 val)
{
	struct hent e = { .k1 = k1, .k2 = k2, .val = val };
	__u32 *old = htab__find(h, k1, k2);

	if (old) {
		*old = val;
		return 0;
	}
	/* keep the load at or below one half: probes stay short */
	if ((h->n + 1) * 2 > h->cap && grow(h))
		return -ENOMEM;
	place(h->v, h->cap, &e);
	h->n++;
	return 0;
}

int htab__del(struct htab *h, __u64 k1, __u32 k2, __u32 *val)
{
	size_t mask = h->cap - 1, i, j;
	__u32 *p = htab__find(h, k1, k2);

	if (!p)
		return -ENOENT;
	if (val)
		*val = *p;
	i = (size_t)((struct hent *)((char *)p - offsetof(struct hent, val)) - h->v);
	/* backward shift: pull later members of the cluster into the hole */
	for (j = (i + 1) & mask; h->v[j].val != HTAB_EMPTY; j = (j + 1) & mask) {
		size_t home = slot_of(h->v[j].k1, h->v[j].k2, h->cap);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->v[i] = h->v[j];
			i = j;
		}
	}
	h->v[i].val = HTAB_EMPTY;
	h->n--;
	return 0;
}

void htab__clear(struct htab *h)
{
	free(h->v);
	h->v = NULL;
	h->cap = 0;
	h->n = 0;
}

size_t htab__bytes(const struct htab *h)
{
	return h->cap * sizeof(struct hent);
}
