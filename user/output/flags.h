/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_FLAGS_H
#define TLSMEM_FLAGS_H

/*
 * The words of each growth-flag kind, in one table: the name that the text
 * report, the JSON, the CSV flags column and the Prometheus label print, and
 * the short word that opens a flag's line in the live view. Adding a kind to
 * enum growth_kind means adding its row here. Pure C.
 */
#include <stddef.h>
#include "growth.h"

struct flag_kind {
	enum growth_kind kind;
	const char *name;		/* "leak-per-connection": report, JSON, CSV, metrics */
	const char *word;		/* "LEAK": the live view */
};

/* Every kind, in the order of enum growth_kind. */
extern const struct flag_kind flags_kinds[];
extern const size_t flags_nkinds;

/* The kind's name; "unknown" for a value outside enum growth_kind. */
const char *flags_name(int kind);
/* The kind's short word; "FLAG" for a value outside enum growth_kind. */
const char *flags_word(int kind);

struct summary;

/* The names of the active flags joined by ';' (the CSV flags column); "" when none. */
void flags_field(const struct summary *s, char *buf, size_t cap);

#endif /* TLSMEM_FLAGS_H */
