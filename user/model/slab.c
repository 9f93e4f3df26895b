// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Fixed-size record pool with u32 indexes; see slab.h. */
#include <stdlib.h>
#include <string.h>
#include "slab.h"

void slab__init(struct slab *s, size_t esz)
{
	memset(s, 0, sizeof(*s));
	s->esz = esz < sizeof(__u32) ? sizeof(__u32) : esz;
	s->free_head = SLAB_NONE;
}

__u32 slab__get(struct slab *s)
{
	__u32 i = s->free_head;

	if (i != SLAB_NONE) {
		memcpy(&s->free_head, slab__at(s, i), sizeof(__u32));
	} else {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			char *v;

			if (cap >= SLAB_NONE)
				return SLAB_NONE;
			v = realloc(s->v, cap * s->esz);
			if (!v)
				return SLAB_NONE;
			s->v = v;
			s->cap = cap;
		}
		i = (__u32)s->n++;
	}
	memset(slab__at(s, i), 0, s->esz);
	s->live++;
	return i;
}

void slab__put(struct slab *s, __u32 i)
{
	memcpy(slab__at(s, i), &s->free_head, sizeof(__u32));
	s->free_head = i;
	s->live--;
}

void slab__clear(struct slab *s)
{
	free(s->v);
	slab__init(s, s->esz);
}

size_t slab__bytes(const struct slab *s)
{
	return s->cap * s->esz;
}
