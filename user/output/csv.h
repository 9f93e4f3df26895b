/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_CSV_H
#define TLSMEM_CSV_H

/*
 * RFC 4180 writer on a FILE *: it owns separators and quoting (a field with
 * a comma, quote, CR or LF is quoted, quotes doubled); lines end in "\n".
 * Errors are sticky. No libbpf, no curses.
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

#endif /* TLSMEM_CSV_H */
