// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* RFC 4180 writer; see csv.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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
