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
	const char *names_from;	/* where the module's names came from (modinfo_names_src_str) */
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

/* Drops pid's cached maps (call when it exits or its maps change); NULL-safe. */
void symcache__forget_pid(struct symcache *c, int pid);

/*
 * child was forked by parent: it shares parent's maps (read now if not
 * cached) until symcache__reload(), so its addresses resolve even after it
 * is gone. 0 or -errno.
 */
int symcache__inherit(struct symcache *c, int child, int parent);
/* Re-reads pid's maps into a layout of its own (it exec'd or mapped more). 0 or -errno. */
int symcache__reload(struct symcache *c, int pid);
/*
 * Id (from 1) of pid's address space layout: processes that share one
 * (forks) resolve every address alike. Reads the maps on first sight; 0 if
 * they cannot be read.
 */
__u32 symcache__image(struct symcache *c, int pid);
/* Changes whenever some pid's layout (symcache__image) may have changed. */
__u32 symcache__layout_gen(const struct symcache *c);
/*
 * Reads the NUL-terminated string at addr in pid from the file mapped there
 * (read-only data), for when the process's memory cannot be read any more.
 * Sanitized like procmem_read_str(). 0 or -errno.
 */
int symcache__read_str(struct symcache *c, int pid, __u64 addr, char *buf, size_t cap);

#endif /* TLSMEM_SYMCACHE_H */
