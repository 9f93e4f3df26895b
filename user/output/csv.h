/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_CSV_H
#define TLSMEM_CSV_H

/*
 * RFC 4180 writer on a FILE *: it owns separators and quoting (a field with
 * a comma, quote, CR or LF is quoted, quotes doubled); lines end in "\n".
 * Errors are sticky. And the reader `tlsmem plot` takes the time series
 * back with. No libbpf, no curses.
 */
#include <linux/types.h>
#include <stdio.h>

struct csv_writer;

struct csv_writer *csv_writer__new(FILE *f);	/* NULL + errno; f is borrowed */
void csv_writer__field(struct csv_writer *w, const char *s);
void csv_writer__u64(struct csv_writer *w, __u64 v);
void csv_writer__double(struct csv_writer *w, double v);
/* Ends the row and flushes it: 0, or -EIO once any write failed. */
int csv_writer__end_row(struct csv_writer *w);
/* Frees the writer (not the FILE); returns the first error. NULL-safe. */
int csv_writer__free(struct csv_writer *w);
/*
 * Opens path for writing ("-" is stdout) without following a symbolic link
 * at the last component; NULL + errno.
 */
FILE *csv_open(const char *path);

#define CSV_REC_MAX	(1 << 20)	/* bytes in one record read: more is not tlsmem's CSV */

/* A record read back: nf NUL-terminated fields in buf at off[]. Zeroed before the first read. */
struct csv_rec {
	char *buf;
	size_t len, cap;
	size_t *off;
	size_t nf, fcap;
};

/*
 * Reads one record (RFC 4180: quoted fields, "" for a quote; a CR before the
 * LF is dropped): 1, 0 at end of file, -E2BIG for a record over CSV_REC_MAX
 * bytes, -ENOMEM or -EIO.
 */
int csv_rec__read(FILE *f, struct csv_rec *r);
/* Field i (< r->nf) of the last record read. */
const char *csv_rec__get(const struct csv_rec *r, size_t i);
/* Frees what r holds and zeroes it; r itself is the caller's. */
void csv_rec__free(struct csv_rec *r);

#endif /* TLSMEM_CSV_H */
