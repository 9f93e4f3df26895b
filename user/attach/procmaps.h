/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PROCMAPS_H
#define TLSMEM_PROCMAPS_H

/*
 * Parser for /proc/PID/maps. procmaps_parse() is a pure function over a
 * buffer (no I/O), because the names in the file come from the target
 * process and are hostile input; procmaps_read() adds the reading. Plain
 * libc; no libbpf, no curses.
 */
#include <linux/types.h>
#include <stddef.h>

struct map_entry {
	__u64 start, end;		/* [start, end) */
	__u64 pgoff;			/* file offset mapped at start */
	__u64 inode;
	__u32 dev_major, dev_minor;
	__u8 r, w, x, shared;		/* permissions, 0/1 */
	__u8 deleted;			/* path ended with " (deleted)" (stripped from path) */
	char *path;			/* malloc'd; "" if anonymous; "[heap]" etc. as is */
};

struct map_list {
	struct map_entry *v;		/* sorted by start */
	size_t n;
};

/*
 * Parses the text of a maps file; buf need not be NUL-terminated. Names are
 * kept verbatim (the kernel's "\012" escapes stay escaped). On success *out
 * owns the entries (free with map_list__free()). Returns 0, -EINVAL on a
 * malformed line or -ENOMEM; on failure *out is left empty.
 */
int procmaps_parse(const char *buf, size_t len, struct map_list *out);

/*
 * Reads and parses /proc/PID/maps. Returns 0, -ENOENT or -ESRCH when there
 * is no such process, -EFBIG when the file is absurdly large, or another
 * negative errno; on failure *out is left empty.
 */
int procmaps_read(int pid, struct map_list *out);

/* Frees the entries and leaves l empty; NULL-safe. */
void map_list__free(struct map_list *l);

/* Returns the entry with start <= addr < end, or NULL. Owned by l. */
const struct map_entry *map_list__find(const struct map_list *l, __u64 addr);

/*
 * Writes "/proc/PID/map_files/START-END" for e into buf: the very file
 * mapped, even when deleted or in another mount namespace (needs root).
 * Returns 0 or -ENAMETOOLONG.
 */
int procmaps_object_path(int pid, const struct map_entry *e, char *buf, size_t cap);

#endif /* TLSMEM_PROCMAPS_H */
