// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for procmaps_parse(): the text of /proc/PID/maps names
 * files the target process chose, so the parser takes hostile input. Beyond
 * memory safety (ASan, UBSan), every result is checked against the contract
 * in procmaps.h; a broken promise aborts, which libFuzzer reports as a crash.
 * Built by tests/fuzz/run.sh with user/attach/procmaps.c and user/attach/fileio.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_procmaps: contract broken: %s\n", what);
	abort();
}

static void check_entry(const struct map_entry *e, size_t len)
{
	char path[64];
	size_t n;

	if (e->start >= e->end)
		broken("an entry with start >= end");
	if (e->r > 1 || e->w > 1 || e->x > 1 || e->shared > 1 || e->deleted > 1)
		broken("a flag that is not 0 or 1");
	if (!e->path)
		broken("a NULL path (anonymous mappings have \"\")");
	n = strlen(e->path);	/* ASan: the copy must be terminated */
	if (n > len)
		broken("a path longer than the input");
	if (procmaps_object_path(1, e, path, sizeof(path)) == 0 && !memchr(path, '\0', sizeof(path)))
		broken("procmaps_object_path left an unterminated name");
	/* a buffer too small must fail, not overflow */
	if (procmaps_object_path(1, e, path, 8) != -ENAMETOOLONG)
		broken("procmaps_object_path fit a map_files name into 8 bytes");
}

/* map_list__find must only return an entry that holds addr. */
static void check_find(const struct map_list *l, __u64 addr)
{
	const struct map_entry *e = map_list__find(l, addr);

	if (e && (e < l->v || e >= l->v + l->n))
		broken("map_list__find returned a pointer outside the list");
	if (e && !(e->start <= addr && addr < e->end))
		broken("map_list__find returned an entry that does not hold the address");
}

static void check_list(const struct map_list *l, size_t len)
{
	size_t i;

	if (l->n && !l->v)
		broken("entries counted but no array");
	for (i = 0; i < l->n; i++) {
		check_entry(&l->v[i], len);
		if (i && l->v[i - 1].start > l->v[i].start)
			broken("entries not sorted by start");
	}
	for (i = 0; i < l->n; i++) {
		check_find(l, l->v[i].start);
		check_find(l, l->v[i].end - 1);
		check_find(l, l->v[i].end);
		if (l->v[i].start)
			check_find(l, l->v[i].start - 1);
	}
	check_find(l, 0);
	check_find(l, UINT64_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map_list l = { (struct map_entry *)&l, 12345 };	/* poisoned */
	int err;

	err = procmaps_parse((const char *)data, size, &l);
	if (err && err != -EINVAL && err != -ENOMEM)
		broken("an error other than -EINVAL or -ENOMEM");
	if (err && (l.v || l.n))
		broken("a failed parse left entries in the list");
	if (!err)
		check_list(&l, size);
	map_list__free(&l);
	if (l.v || l.n)
		broken("map_list__free did not leave the list empty");
	map_list__free(&l);	/* twice: must be harmless */
	map_list__free(NULL);
	if (map_list__find(NULL, 0) || map_list__find(&l, 0))
		broken("map_list__find found something in an empty list");
	return 0;
}
