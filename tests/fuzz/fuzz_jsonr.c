// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for jsonr__parse(): tlsmem compare reads JSON files that
 * a user hands it, so the reader takes hostile input. Beyond memory safety
 * (ASan, UBSan), the tree is walked and checked against jsonr.h: counts match
 * the children, strings are terminated inside the arena, depth is bounded.
 * Built by tests/fuzz/run.sh with user/output/jsonr.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_jsonr: contract broken: %s\n", what);
	abort();
}

/* Walks n; returns the number of nodes under it, itself included. */
static size_t walk(const struct jsonr_node *n, int depth, bool member, size_t size)
{
	const struct jsonr_node *c;
	size_t nodes = 1, kids = 0;

	if (depth > JSONR_DEPTH + 1)
		broken("deeper than JSONR_DEPTH");
	if (member != (n->key != NULL))
		broken("a key outside an object, or a member without one");
	if (n->key && strlen(n->key) > size)
		broken("a key longer than the input");
	if (n->type == JSONR_STR && (!n->str || strlen(n->str) > size))
		broken("a string missing or longer than the input");
	if (n->type != JSONR_ARR && n->type != JSONR_OBJ && (n->child || n->count))
		broken("a scalar with children");
	for (c = jsonr_first(n); c; c = jsonr_next(c)) {
		nodes += walk(c, depth + 1, n->type == JSONR_OBJ, size);
		kids++;
	}
	if (kids != n->count)
		broken("count differs from the children");
	return nodes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[200];
	struct jsonr *d = jsonr__parse((const char *)data, size, err, sizeof(err));
	const struct jsonr_node *r;

	if (!d) {
		if (errno != EINVAL && errno != ENOMEM && errno != E2BIG)
			broken("an errno outside the contract");
		if (errno == EINVAL && !err[0])
			broken("refused without a message");
		return 0;
	}
	r = jsonr__root(d);
	if (!r)
		broken("no root");
	if (walk(r, 0, false, size) > size)
		broken("more nodes than input bytes");
	jsonr_get(r, "format");
	jsonr__free(d);
	return 0;
}
