/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_FUNCTAB_H
#define TLSMEM_FUNCTAB_H

/*
 * A table of functions by address: [start, end) ranges with an optional
 * name, kept in one arena so the file they came from can be closed. Filled
 * from debug files, JNI registration tables and .eh_frame; sorted once, then
 * looked up by binary search. Sizes are capped (entries and name bytes), so
 * a hostile file costs bounded memory. Pure C.
 */
#include <linux/types.h>
#include <stddef.h>

#define FUNCTAB_MAX_ENTRIES	(2u << 20)
#define FUNCTAB_MAX_NAME_BYTES	(64u << 20)
#define FUNCTAB_NAME_MAX	1024	/* longer names are cut */

struct functab_ent {
	__u64 start;
	__u64 end;		/* exclusive; start + 1 when the size is unknown */
	__u32 name;		/* offset in the arena, FUNCTAB_NO_NAME if none */
	__u32 rank;		/* among entries at the same start, lower wins */
};

#define FUNCTAB_NO_NAME	0xffffffffu

struct functab {
	struct functab_ent *v;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	int sorted;
};

/*
 * Adds [start, start + size) (size 0: only start itself) named name (NULL
 * for none; cut at FUNCTAB_NAME_MAX). 0, -ENOMEM, or -E2BIG past the caps.
 */
int functab__add(struct functab *t, __u64 start, __u64 size, const char *name, __u32 rank);

/* Sorts by start and keeps, per start, the best-ranked entry (named first). */
void functab__finish(struct functab *t);

/*
 * The entry whose range holds addr (the innermost of nested ones, looking
 * back a bounded number of entries), or NULL. Needs functab__finish.
 */
const struct functab_ent *functab__find(const struct functab *t, __u64 addr);

/* The entry that starts exactly at start, or NULL. Needs functab__finish. */
const struct functab_ent *functab__at(const struct functab *t, __u64 start);

/* e's name (owned by t), or NULL. */
const char *functab__name(const struct functab *t, const struct functab_ent *e);

/* Bytes held by the table. */
size_t functab__bytes(const struct functab *t);

/* Frees the table's memory and empties it; NULL-safe. */
void functab__free(struct functab *t);

#endif /* TLSMEM_FUNCTAB_H */
