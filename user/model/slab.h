/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SLAB_H
#define TLSMEM_SLAB_H

/*
 * A growable array of fixed-size records addressed by a u32 index, with a
 * free list threaded through released records (their first four bytes).
 * Indexes stay valid across growth; pointers do not. Pure C.
 */
#include <linux/types.h>
#include <stddef.h>

#define SLAB_NONE	0xffffffffu

struct slab {
	char *v;
	size_t esz;			/* record size, >= 4 */
	size_t n;			/* records ever handed out (high-water mark) */
	size_t cap;
	__u32 free_head;
	size_t live;
};

void slab__init(struct slab *s, size_t esz);
/* Index of a zeroed record, or SLAB_NONE when memory is exhausted. */
__u32 slab__get(struct slab *s);
/* Gives the record back; its contents become undefined. */
void slab__put(struct slab *s, __u32 i);
void slab__clear(struct slab *s);
size_t slab__bytes(const struct slab *s);

static inline void *slab__at(const struct slab *s, __u32 i)
{
	return s->v + (size_t)i * s->esz;
}

#endif /* TLSMEM_SLAB_H */
