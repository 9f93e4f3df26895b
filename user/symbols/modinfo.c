// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Names of one object from all sources, in order; see modinfo.h. */
#include <errno.h>
#include <string.h>

#include "ehframe.h"
#include "elfobj.h"
#include "jni.h"
#include "log.h"
#include "minidebug.h"
#include "modinfo.h"

const char *modinfo_names_src_str(enum names_src s)
{
	static const char *const words[] = {
		[NAMES_NONE] = "none",
		[NAMES_SYMTAB] = "symtab",
		[NAMES_DEBUGDATA] = "debugdata",
		[NAMES_BUILD_ID] = "build-id file",
		[NAMES_DEBUGLINK] = "debuglink",
		[NAMES_DEBUGINFOD] = "debuginfod",
		[NAMES_JNI] = "JNI",
		[NAMES_EH_FRAME] = "eh_frame only",
		[NAMES_DYNSYM] = "dynsym only",
	};

	return (unsigned int)s < sizeof(words) / sizeof(words[0]) ? words[s] : "none";
}

static int has_debug(const struct modinfo *mi)
{
	return mi->src >= NAMES_DEBUGDATA && mi->src <= NAMES_DEBUGINFOD;
}

/* The first debug image that o has or points to. */
static void load_debug(struct modinfo *mi, const struct elf_obj *o, int pid, const char *path)
{
	int err = minidebug_syms(o, &mi->debug);

	if (!err) {
		mi->src = NAMES_DEBUGDATA;
		return;
	}
	if (err != -ENOENT)
		p_debug("%s: .gnu_debugdata unusable (%s); skipped", path ? path : "?",
			strerror(-err));
	switch (debugfile_find(o, pid, path, &mi->debug)) {
	case DEBUGFILE_BUILD_ID:
		mi->src = NAMES_BUILD_ID;
		break;
	case DEBUGFILE_DEBUGLINK:
		mi->src = NAMES_DEBUGLINK;
		break;
	default:
		break;
	}
}

/* JNI tables and .eh_frame, for what no debug image names. */
static void load_fallbacks(struct modinfo *mi, const struct elf_obj *o)
{
	int n = ehframe_load(o, &mi->eh);

	if (n > 0 && jni_load(o, &mi->jni) > 0)
		mi->src = NAMES_JNI;
	else if (n > 0)
		mi->src = NAMES_EH_FRAME;
	else if (elf_obj__has_symbols(o))
		mi->src = NAMES_DYNSYM;
}

void modinfo__load(struct modinfo *mi, const struct elf_obj *o, int pid, const char *path,
		   int with_debug)
{
	int len;

	memset(mi, 0, sizeof(*mi));
	mi->loaded = 1;
	len = debugfile_build_id(o, mi->bid, sizeof(mi->bid));
	if (len > 0) {
		mi->bid_len = (size_t)len;
		debugfile_hex(mi->bid, mi->bid_len, mi->build_id, sizeof(mi->build_id));
	}
	if (elf_obj__has_symtab(o)) {
		mi->has_symtab = 1;
		mi->src = NAMES_SYMTAB;
		return;
	}
	if (with_debug)
		load_debug(mi, o, pid, path);
	if (!has_debug(mi))
		load_fallbacks(mi, o);
}

int modinfo__wants_debug(const struct modinfo *mi)
{
	return mi->loaded && !mi->has_symtab && !has_debug(mi) && mi->bid_len;
}

void modinfo__adopt(struct modinfo *mi, struct functab *t, enum names_src src)
{
	functab__free(&mi->debug);
	mi->debug = *t;
	memset(t, 0, sizeof(*t));
	mi->src = src;
}

enum sym_kind modinfo__symbolize(const struct modinfo *mi, const struct elf_obj *o, __u64 off,
				 const char **name, __u64 *delta)
{
	const struct functab_ent *e, *j;
	__u64 v;

	*name = NULL;
	if (!mi->has_symtab && !elf_obj__vaddr_of_off(o, off, &v)) {
		e = functab__find(&mi->debug, v);
		if (e && functab__name(&mi->debug, e)) {
			*name = functab__name(&mi->debug, e);
			*delta = v - e->start;
			return SYM_NAME;
		}
	} else if (!mi->has_symtab) {
		return SYM_UNKNOWN;
	}
	*name = elf_obj__symbolize(o, off, delta);
	if (*name || mi->has_symtab)
		return *name ? SYM_NAME : SYM_UNKNOWN;
	e = functab__find(&mi->eh, v);
	if (!e)
		return SYM_UNKNOWN;
	*delta = v - e->start;
	j = functab__at(&mi->jni, e->start);
	*name = functab__name(&mi->jni, j);
	return *name ? SYM_NAME : SYM_START;
}

size_t modinfo__bytes(const struct modinfo *mi)
{
	return functab__bytes(&mi->debug) + functab__bytes(&mi->jni) + functab__bytes(&mi->eh);
}

void modinfo__free(struct modinfo *mi)
{
	if (!mi)
		return;
	functab__free(&mi->debug);
	functab__free(&mi->jni);
	functab__free(&mi->eh);
}
