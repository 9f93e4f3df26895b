/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SYMCACHE_H
#define TLSMEM_SYMCACHE_H

/*
 * Address in a process -> module and function, cached: per pid the parsed
 * /proc/PID/maps, per file (device, inode) the parsed ELF shared by every
 * pid, and the module names. Built on procmaps and elfobj; no libbpf, no
 * curses. Not thread-safe.
 */
#include <linux/types.h>

struct symcache;

struct sym_info {
	const char *module;	/* path as the process sees it, + " (deleted)" if deleted */
	const char *func;	/* function name, or NULL if unknown */
	__u64 off;		/* addr - function start; addr - module base if no func */
};

/* Returns an empty cache, or NULL with errno set. */
struct symcache *symcache__new(void);

/* NULL-safe. Invalidates every string the cache returned. */
void symcache__free(struct symcache *c);

/*
 * Resolves addr in pid. The strings in *out are owned by the cache and stay
 * valid until symcache__free(); resolving the same address again returns the
 * same pointers. The ELF is opened through /proc/PID/map_files (root),
 * falling back to /proc/PID/root/PATH. Returns 0; -ENOENT when addr lies in
 * no file mapping, even after re-reading the maps once; -ESRCH when the
 * process is gone; or another negative errno.
 */
int symcache__resolve(struct symcache *c, int pid, __u64 addr, struct sym_info *out);

/* Drops pid's cached maps (call when it exits or its maps change); NULL-safe. */
void symcache__forget_pid(struct symcache *c, int pid);

#endif /* TLSMEM_SYMCACHE_H */
