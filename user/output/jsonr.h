/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_JSONR_H
#define TLSMEM_JSONR_H

/*
 * A small JSON reader for files tlsmem wrote earlier and a user hands back
 * (tlsmem compare). The input is untrusted: the grammar is RFC 8259's,
 * checked strictly; nesting is bounded (JSONR_DEPTH), so is the input
 * (JSONR_MAX_BYTES); numbers that overflow a double are refused. The whole
 * text is parsed into one block of nodes that lives until jsonr__free. Pure C;
 * no I/O.
 */
#include <stdbool.h>
#include <stddef.h>

#define JSONR_DEPTH		64
#define JSONR_MAX_BYTES		(256u << 20)

enum jsonr_type { JSONR_NULL, JSONR_BOOL, JSONR_NUM, JSONR_STR, JSONR_ARR, JSONR_OBJ };

/* A value. Members of an object carry their key; children follow their parent. */
struct jsonr_node {
	enum jsonr_type type;
	unsigned int child;	/* first child: this + child; 0 when none */
	unsigned int next;	/* next sibling: this + next; 0 when last */
	unsigned int count;	/* members or elements */
	const char *key;	/* NUL-terminated; NULL outside an object */
	const char *str;	/* JSONR_STR: NUL-terminated; \u0000 reads as '?' */
	double num;		/* JSONR_NUM */
	bool b;			/* JSONR_BOOL */
};

struct jsonr;

/*
 * Parses len bytes of text (no NUL needed). Returns the document, or NULL
 * with errno EINVAL (not JSON: a message with the byte offset in err),
 * E2BIG (longer than JSONR_MAX_BYTES) or ENOMEM.
 */
struct jsonr *jsonr__parse(const char *text, size_t len, char *err, size_t errcap);
void jsonr__free(struct jsonr *d);		/* NULL-safe */
const struct jsonr_node *jsonr__root(const struct jsonr *d);

/* The member key of object n: NULL when n is not an object or has no such key. */
const struct jsonr_node *jsonr_get(const struct jsonr_node *n, const char *key);
/* Children in order: first, then next; NULL at the end or for a scalar. */
const struct jsonr_node *jsonr_first(const struct jsonr_node *n);
const struct jsonr_node *jsonr_next(const struct jsonr_node *n);
/* Typed reads: false (out untouched) when n is NULL or of another type. */
bool jsonr_num(const struct jsonr_node *n, double *out);
bool jsonr_bool(const struct jsonr_node *n, bool *out);
/* The string of n, or NULL when n is NULL or not a string. */
const char *jsonr_str(const struct jsonr_node *n);

#endif /* TLSMEM_JSONR_H */
