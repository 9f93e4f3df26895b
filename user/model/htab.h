/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_HTAB_H
#define TLSMEM_HTAB_H

/*
 * Open-addressing hash table from a (u64, u32) key to a u32 value, with
 * linear probing and backward-shift deletion (no tombstones). Keys are kept
 * in the slots, so a lookup touches one cache line in the common case.
 * Pure C; no I/O.
 */
#include <linux/types.h>
#include <stddef.h>

#define HTAB_EMPTY	0xffffffffu	/* a value that is never stored */

struct hent {
	__u64 k1;
	__u32 k2;
	__u32 val;
};

struct htab {
	struct hent *v;
	size_t cap;			/* power of two, or 0 before the first insert */
	size_t n;
};

/* Returns the value slot for the key, or NULL. The pointer dies on insert/remove. */
__u32 *htab__find(const struct htab *h, __u64 k1, __u32 k2);
/* Inserts or overwrites. 0, or -ENOMEM (the table is unchanged). */
int htab__put(struct htab *h, __u64 k1, __u32 k2, __u32 val);
/* Removes the key. 0 and *val set, or -ENOENT. val may be NULL. */
int htab__del(struct htab *h, __u64 k1, __u32 k2, __u32 *val);
/* Frees the slots; the table is empty and reusable. */
void htab__clear(struct htab *h);
/* Bytes of memory the table holds. */
size_t htab__bytes(const struct htab *h);

#endif /* TLSMEM_HTAB_H */
