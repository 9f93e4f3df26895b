/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SITES_H
#define TLSMEM_SITES_H

/*
 * Allocation sites: (file, line, caller) as raw addresses in a process are
 * turned into names once — OpenSSL's file string read from the target, the
 * caller symbolized to function and module — and sites with the same names
 * share one dense id, across processes too (nginx workers, respawns).
 * Plain libc; reads target memory and files through procmem and symcache.
 */
#include <linux/types.h>
#include <stddef.h>

struct sites;
struct symcache;

struct site_name {
	const char *file;		/* OpenSSL's file argument, "" if none */
	__s32 line;
	const char *caller;		/* function; "module+0xSTART+0xOFF" when only the
					 * function's start is known; "module+0xOFF" */
	const char *module;		/* path of the object the caller is in; "(deleted)" suffix */
	const char *build_id;		/* the module's build-id in hex, "" when unknown */
	const char *names_from;		/* where the module's names came from */
};

/* NULL + errno. The symcache is borrowed. */
struct sites *sites__new(struct symcache *sc);
void sites__free(struct sites *s);	/* NULL-safe */
/* model_site_fn: the dense id of a raw site, named on first sight. */
__u32 sites__id(void *sites, __u32 pid, __u64 file, __s32 line, __u64 caller);
/* Names of site id; strings owned by s. Returns -ENOENT for an unknown id. */
int sites__name(const struct sites *s, __u32 id, struct site_name *out);
/*
 * Names again the sites whose caller had no name, when the symbol cache
 * learnt names since (debuginfod); ids stay. Returns how many changed.
 */
__u32 sites__refresh(struct sites *s);
/* Number of ids handed out. */
__u32 sites__count(const struct sites *s);

#endif /* TLSMEM_SITES_H */
