// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Streaming JSON writer; see jsonw.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "jsonw.h"

#define JSONW_DEPTH	32

struct jsonw {
	FILE *f;
	int depth;
	bool first[JSONW_DEPTH];	/* no member written yet at this depth */
	bool after_key;
};

struct jsonw *jsonw__new(FILE *f)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->first[0] = true;
	return w;
}

int jsonw__free(struct jsonw *w)
{
	int err;

	if (!w)
		return 0;
	fputc('\n', w->f);
	err = fflush(w->f) || ferror(w->f) ? -EIO : 0;
	free(w);
	return err;
}

/* Separator before a value or a key. */
static void sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
}

static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void jsonw__key(struct jsonw *w, const char *k)
{
	sep(w);
	put_str(w->f, k);
	fputc(':', w->f);
	w->after_key = true;
}

static void open_(struct jsonw *w, char c)
{
	sep(w);
	fputc(c, w->f);
	if (w->depth < JSONW_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jsonw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	fputc(c, w->f);
}

void jsonw__obj_open(struct jsonw *w)
{
	open_(w, '{');
}

void jsonw__obj_close(struct jsonw *w)
{
	close_(w, '}');
}

void jsonw__arr_open(struct jsonw *w)
{
	open_(w, '[');
}

void jsonw__arr_close(struct jsonw *w)
{
	close_(w, ']');
}

void jsonw__str(struct jsonw *w, const char *s)
{
	sep(w);
	if (s)
		put_str(w->f, s);
	else
		fputs("null", w->f);
}

void jsonw__u64(struct jsonw *w, __u64 v)
{
	sep(w);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jsonw__s64(struct jsonw *w, long long v)
{
	sep(w);
	fprintf(w->f, "%lld", v);
}

void jsonw__double(struct jsonw *w, double v)
{
	sep(w);
	if (isfinite(v))
		fprintf(w->f, "%.6g", v);
	else
		fputs("null", w->f);
}

void jsonw__bool(struct jsonw *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->f);
}

void jsonw__null(struct jsonw *w)
{
	sep(w);
	fputs("null", w->f);
}
