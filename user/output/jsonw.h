/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_JSONW_H
#define TLSMEM_JSONW_H

/*
 * A streaming JSON writer on a FILE *, after bpftool's json_writer: it owns
 * commas, quoting and escaping; callers only say what comes next.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

struct jsonw;

struct jsonw *jsonw__new(FILE *f);	/* NULL + errno */
/* Ends the output with a newline; returns 0 or -EIO if any write failed. NULL-safe. */
int jsonw__free(struct jsonw *w);
void jsonw__key(struct jsonw *w, const char *k);
void jsonw__obj_open(struct jsonw *w);
void jsonw__obj_close(struct jsonw *w);
void jsonw__arr_open(struct jsonw *w);
void jsonw__arr_close(struct jsonw *w);
void jsonw__str(struct jsonw *w, const char *s);	/* NULL writes null */
void jsonw__u64(struct jsonw *w, __u64 v);
void jsonw__s64(struct jsonw *w, long long v);
void jsonw__double(struct jsonw *w, double v);		/* non-finite writes null */
void jsonw__bool(struct jsonw *w, bool v);
void jsonw__null(struct jsonw *w);

#endif /* TLSMEM_JSONW_H */
