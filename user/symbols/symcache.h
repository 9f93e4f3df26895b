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
	__u64 mod_off;		/* addr - module base */
	int start_known;	/* no name, but off is from the containing function's start */
	const char *build_id;	/* the module's build-id in hex, "" when unknown */
	const char *names_from;	/* where the module's names came from (names_src_str) */
};

struct dinfod;

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

/*
 * Lets the cache ask d (borrowed) for the debug files of modules that have
 * no names of their own, when they are first resolved.
 */
void symcache__set_debuginfod(struct symcache *c, struct dinfod *d);

/*
 * Takes the debug files that debuginfod delivered and adopts their names.
 * Returns the number of modules that gained names (their later resolutions
 * differ). NULL-safe.
 */
int symcache__poll(struct symcache *c);

/* Bumped whenever a module gains names after its first resolution. */
__u64 symcache__generation(const struct symcache *c);

/* Calls fn for every module resolved so far; NULL-safe. */
void symcache__modules(const struct symcache *c,
		       void (*fn)(void *ctx, const char *module, const char *build_id,
				  const char *names_from),
		       void *ctx);

/* Drops pid's cached maps (call when it exits or its maps change); NULL-safe. */
void symcache__forget_pid(struct symcache *c, int pid);

#endif /* TLSMEM_SYMCACHE_H */
