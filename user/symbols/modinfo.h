/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_MODINFO_H
#define TLSMEM_MODINFO_H

/*
 * Names for one mapped object from every source real tools use, looked up
 * in order and remembered: its own .symtab; MiniDebugInfo (.gnu_debugdata);
 * a debug file by build-id or .gnu_debuglink; one that arrives later from
 * debuginfod; then, for what no name covers, JNI registration tables and
 * .eh_frame function starts. The nearest preceding export is never given as
 * a name: every name comes from a range that contains the address. Plain
 * libc, libelf, liblzma; no libbpf, no curses.
 */
#include <linux/types.h>
#include <stddef.h>

#include "debugfile.h"
#include "functab.h"

struct elf_obj;

/* Where a module's names came from, best first. */
enum names_src {
	NAMES_NONE,
	NAMES_SYMTAB,		/* the object's own .symtab */
	NAMES_DEBUGDATA,	/* MiniDebugInfo */
	NAMES_BUILD_ID,		/* /usr/lib/debug/.build-id/xx/rest.debug */
	NAMES_DEBUGLINK,	/* .gnu_debuglink */
	NAMES_DEBUGINFOD,
	NAMES_JNI,		/* JNINativeMethod tables (and .eh_frame starts) */
	NAMES_EH_FRAME,		/* function starts only */
	NAMES_DYNSYM,		/* exported names only */
};

/* The words for s, as the outputs print them: "symtab", "debuglink", ... */
const char *modinfo_names_src_str(enum names_src s);

/* What a lookup found. */
enum sym_kind {
	SYM_UNKNOWN,		/* nothing: the caller is shown as module+offset */
	SYM_NAME,		/* a function name; delta from its start */
	SYM_START,		/* only the containing function's start; delta from it */
};

struct modinfo {
	enum names_src src;
	__u8 bid[BUILD_ID_MAX];
	size_t bid_len;
	char build_id[2 * BUILD_ID_MAX + 1];	/* lower-case hex, "" when none */
	struct functab debug;	/* names from a debug image (vaddr-keyed) */
	struct functab jni;	/* JNI method names at function starts */
	struct functab eh;	/* function ranges from .eh_frame */
	int has_symtab;
	int loaded;
};

/*
 * Reads what o offers beyond its own symbols: build-id, then (when
 * with_debug) the first of MiniDebugInfo, a build-id debug file, a debuglink
 * file (in pid's root, then on the host; path as pid sees it, or NULL), and
 * when none, JNI tables and .eh_frame. Never fails: a source that cannot be
 * read is skipped (debug message). Call once; modinfo__free releases it.
 */
void modinfo__load(struct modinfo *mi, const struct elf_obj *o, int pid, const char *path,
		   int with_debug);

/* Whether a debug file from elsewhere (debuginfod) could still add names. */
int modinfo__wants_debug(const struct modinfo *mi);

/* Takes t (a finished table from a debug file) as the names from src. */
void modinfo__adopt(struct modinfo *mi, struct functab *t, enum names_src src);

/*
 * The function containing file offset off of o: SYM_NAME with *name (owned
 * by mi or o), SYM_START, or SYM_UNKNOWN; *delta = off - function start.
 */
enum sym_kind modinfo__symbolize(const struct modinfo *mi, const struct elf_obj *o, __u64 off,
				 const char **name, __u64 *delta);

/* Bytes held for the tables. */
size_t modinfo__bytes(const struct modinfo *mi);

void modinfo__free(struct modinfo *mi);	/* NULL-safe */

#endif /* TLSMEM_MODINFO_H */
