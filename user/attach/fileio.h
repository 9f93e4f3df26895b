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
int fileio_read_fd_all(int fd, size_t hint, size_t max, char **out, size_t *out_len);

/*
 * Opens the regular file at absolute path inside pid's root directory
 * (/proc/PID/root), read-only: openat2() with RESOLVE_IN_ROOT and
 * RESOLVE_NO_MAGICLINKS, so no symlink the target planted leads out of its
 * root. pid 0 means the host's root, still without magic links. A device,
 * FIFO or directory is refused before it is opened for reading. Returns the
 * descriptor, -ENOEXEC for a file that is not regular, or another -errno.
 */
int fileio_open_in_root(int pid, const char *path);

#endif /* TLSMEM_FILEIO_H */
