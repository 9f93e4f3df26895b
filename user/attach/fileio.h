/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_FILEIO_H
#define TLSMEM_FILEIO_H

/* Bounded reads of whole files the target controls. Plain libc. */
#include <stddef.h>

/*
 * Reads fd to EOF into a malloc'd buffer (*out, caller frees). hint is the
 * expected size (st_size; the file may change meanwhile), max the most that
 * is accepted. 0, -EFBIG past max, -ENOMEM, or the read's -errno.
 */
int read_fd_all(int fd, size_t hint, size_t max, char **out, size_t *out_len);

#endif /* TLSMEM_FILEIO_H */
