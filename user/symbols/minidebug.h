/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_MINIDEBUG_H
#define TLSMEM_MINIDEBUG_H

/*
 * MiniDebugInfo, as Fedora and RHEL ship it: the .gnu_debugdata section is an
 * xz stream holding a small ELF file whose .symtab names the functions that
 * .dynsym does not. Decompressed with liblzma under a memory limit and an
 * output cap. Plain libc, liblzma and libelf.
 */
#include <stddef.h>

struct elf_obj;
struct functab;

#define MINIDEBUG_MAX_IN	(64u << 20)	/* compressed section */
#define MINIDEBUG_MAX_OUT	(256u << 20)	/* decompressed image */

/*
 * Decompresses the xz stream in[0..len) into a malloc'd buffer (*out, caller
 * frees). 0, -EBADMSG for a corrupt or truncated stream, -EFBIG past max_out,
 * -ENOMEM.
 */
int minidebug_unxz(const void *in, size_t len, size_t max_out, void **out, size_t *out_len);

/*
 * The .symtab of o's .gnu_debugdata into t (finished). 0, -ENOENT without
 * the section, or another negative errno (a corrupt stream, no .symtab).
 */
int minidebug_syms(const struct elf_obj *o, struct functab *t);

#endif /* TLSMEM_MINIDEBUG_H */
