// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Bounded ring of per-interval points; see history.h. */
#include <errno.h>
#include <stdlib.h>
#include "history.h"

struct history {
	struct hist_point *v;
	size_t cap, head, len;		/* head: index of the oldest point */
};

struct history *history__new(size_t cap)
{
	struct history *h;

	if (!cap) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->v = calloc(cap, sizeof(*h->v));
	if (!h->v) {
		free(h);
		return NULL;
	}
	h->cap = cap;
	return h;
}

void history__free(struct history *h)
{
	if (!h)
		return;
	free(h->v);
	free(h);
}

void history__push(struct history *h, const struct hist_point *p)
{
	if (h->len < h->cap) {
		h->v[(h->head + h->len++) % h->cap] = *p;
		return;
	}
	h->v[h->head] = *p;
	h->head = (h->head + 1) % h->cap;
}

size_t history__len(const struct history *h)
{
	return h->len;
}

const struct hist_point *history__at(const struct history *h, size_t i)
{
	return i < h->len ? &h->v[(h->head + i) % h->cap] : NULL;
}

const struct hist_point *history__last(const struct history *h)
{
	return h->len ? history__at(h, h->len - 1) : NULL;
}
