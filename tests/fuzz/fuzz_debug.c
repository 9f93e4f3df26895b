// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the name sources of stripped code: the input is an
 * object a target maps (or a debug file it points to), read as tlsmem reads
 * it: build-id notes, .gnu_debuglink, .gnu_debugdata (xz, then the ELF
 * inside), .eh_frame_hdr and .eh_frame, JNINativeMethod tables through
 * relocations, the input as a debug image's .symtab, and the input as a raw
 * xz stream. Beyond memory safety, every name handed out is checked to be a
 * string inside a live block, and every lookup to contain its address.
 * Built by tests/fuzz/run.sh with the user/symbols sources it needs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugfile.h"
#include "ehframe.h"
#include "elfobj.h"
#include "functab.h"
#include "jni.h"
#include "minidebug.h"
#include "modinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned int sink;

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_debug: contract broken: %s\n", what);
	abort();
}

static void touch_str(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > FUNCTAB_NAME_MAX)
		broken("a name empty or longer than FUNCTAB_NAME_MAX");
	for (size_t i = 0; i < n; i++)
		sink += (unsigned char)s[i];
}

/* Every entry is well-formed; lookups at its ends agree with it. */
static void check_table(const struct functab *t)
{
	const struct functab_ent *e;

	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].end <= t->v[i].start)
			broken("functab entry with end <= start");
		if (i && t->v[i - 1].start >= t->v[i].start)
			broken("functab not sorted or with duplicate starts");
		if (functab__name(t, &t->v[i]))
			touch_str(functab__name(t, &t->v[i]));
		e = functab__find(t, t->v[i].start);
		if (!e || e->start > t->v[i].start || t->v[i].start >= e->end)
			broken("functab__find misses an entry's start");
	}
}

static void check_symbolize(const struct modinfo *mi, const struct elf_obj *o, __u64 off)
{
	const char *name;
	__u64 delta = UINT64_MAX;
	enum sym_kind k = modinfo__symbolize(mi, o, off, &name, &delta);

	if (k == SYM_NAME && !name)
		broken("SYM_NAME without a name");
	if (k == SYM_NAME)
		touch_str(name);
	if (k != SYM_UNKNOWN && delta == UINT64_MAX)
		broken("a found function without a delta");
}

static void object(const uint8_t *data, size_t size)
{
	struct modinfo mi = { .loaded = 1 };
	char link[256];
	__u32 crc;
	struct elf_obj *o = elf_obj__open_mem(data, size);
	int len, err;

	if (!o)
		return;
	len = debugfile_build_id(o, mi.bid, sizeof(mi.bid));
	if (len > (int)sizeof(mi.bid))
		broken("build-id longer than its buffer");
	if (!debugfile_debuglink(o, link, sizeof(link), &crc) && (!link[0] || strchr(link, '/')))
		broken("a debuglink name empty or with a '/'");
	mi.has_symtab = elf_obj__has_symtab(o);
	err = minidebug_syms(o, &mi.debug);
	if (!err)
		check_table(&mi.debug);
	if (ehframe_load(o, &mi.eh) > 0)
		check_table(&mi.eh);
	if (jni_load(o, &mi.jni) > 0)
		check_table(&mi.jni);
	check_symbolize(&mi, o, 0);
	check_symbolize(&mi, o, size / 2);
	check_symbolize(&mi, o, size - 1);
	for (size_t i = 0; i < mi.eh.n && i < 8; i++) {
		__u64 off;

		if (!elf_obj__off_of_vaddr(o, mi.eh.v[i].start, &off))
			check_symbolize(&mi, o, off + 1);
	}
	modinfo__free(&mi);
	elf_obj__free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct functab t = { 0 };
	void *out = NULL;
	size_t out_len = 0;
	int err;

	object(data, size);
	err = debugfile_syms_mem(data, size, NULL, 0, &t);
	if (!err)
		check_table(&t);
	else if (t.n || t.v)
		broken("debugfile_syms_mem failed but left a table");
	functab__free(&t);
	err = minidebug_unxz(data, size, 1 << 20, &out, &out_len);
	if (!err) {
		if (out_len > 1 << 20)
			broken("minidebug_unxz past its cap");
		for (size_t i = 0; i < out_len; i += 4096)
			sink += ((const uint8_t *)out)[i];
		free(out);
	}
	return 0;
}
