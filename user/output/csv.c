// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* RFC 4180 writer; see csv.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "csv.h"

struct csv_writer {
	FILE *f;
	unsigned int nfields;
	int err;
};

struct csv_writer *csv_writer__new(FILE *f)
{
	struct csv_writer *w = calloc(1, sizeof(*w));

	if (w)
		w->f = f;
	return w;
}

static void sep(struct csv_writer *w)
{
	if (w->nfields++)
		putc(',', w->f);
}

void csv_writer__field(struct csv_writer *w, const char *s)
{
	sep(w);
	if (s[strcspn(s, ",\"\r\n")] == '\0') {
		fputs(s, w->f);
		return;
	}
	putc('"', w->f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', w->f);
		putc(*s, w->f);
	}
	putc('"', w->f);
}

void csv_writer__u64(struct csv_writer *w, __u64 v)
{
	sep(w);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void csv_writer__double(struct csv_writer *w, double v)
{
	sep(w);
	fprintf(w->f, "%.3f", v);
}

int csv_writer__end_row(struct csv_writer *w)
{
	putc('\n', w->f);
	w->nfields = 0;
	if ((fflush(w->f) || ferror(w->f)) && !w->err)
		w->err = -EIO;
	return w->err;
}

int csv_writer__free(struct csv_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = w->err;
	free(w);
	return err;
}

FILE *csv_open(const char *path)
{
	FILE *f;
	int fd, err;

	if (!strcmp(path, "-"))
		return stdout;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		close(fd);
		errno = err;
	}
	return f;
}

/* ---- reading (RFC 4180; CR before LF tolerated) ---- */

static int rec_put(struct csv_rec *r, char c)
{
	char *p;

	if (r->len + 1 >= r->cap) {
		if (r->cap >= CSV_REC_MAX)
			return -E2BIG;
		p = realloc(r->buf, r->cap ? r->cap * 2 : 256);
		if (!p)
			return -ENOMEM;
		r->buf = p;
		r->cap = r->cap ? r->cap * 2 : 256;
	}
	r->buf[r->len++] = c;
	return 0;
}

/* Ends the current field and opens the next at len. */
static int rec_field(struct csv_rec *r)
{
	size_t *p;
	int err = rec_put(r, '\0');

	if (err)
		return err;
	if (r->nf + 1 >= r->fcap) {
		p = realloc(r->off, (r->fcap ? r->fcap * 2 : 32) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->off = p;
		r->fcap = r->fcap ? r->fcap * 2 : 32;
	}
	r->off[++r->nf] = r->len;
	return 0;
}

int csv_rec__read(FILE *f, struct csv_rec *r)
{
	bool quoted = false, fresh = true;
	int c, err = 0;

	if (!r->off) {
		r->off = calloc(32, sizeof(*r->off));
		if (!r->off)
			return -ENOMEM;
		r->fcap = 32;
	}
	r->len = 0;
	r->nf = 0;
	r->off[0] = 0;
	c = getc(f);
	if (c == EOF)
		return ferror(f) ? -EIO : 0;
	for (; !err; c = getc(f)) {
		if (quoted && c == '"') {
			c = getc(f);
			if (c != '"') {
				quoted = false;
				ungetc(c, f);
				continue;
			}
			err = rec_put(r, '"');
		} else if (quoted && c != EOF) {
			err = rec_put(r, (char)c);
		} else if (c == ',') {
			err = rec_field(r);
			fresh = true;
			continue;
		} else if (c == '\n' || c == EOF) {
			err = rec_field(r);
			break;
		} else if (c == '"' && fresh) {
			quoted = true;
		} else if (c != '\r') {
			err = rec_put(r, (char)c);
		}
		fresh = false;
	}
	if (!err && ferror(f))
		err = -EIO;
	return err ? err : 1;
}

const char *csv_rec__get(const struct csv_rec *r, size_t i)
{
	return r->buf + r->off[i];
}

void csv_rec__free(struct csv_rec *r)
{
	free(r->buf);
	free(r->off);
	memset(r, 0, sizeof(*r));
}
