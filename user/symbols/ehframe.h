/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_EHFRAME_H
#define TLSMEM_EHFRAME_H

/*
 * Function starts and sizes from unwind tables: .eh_frame_hdr's sorted
 * search table gives each FDE's start, the FDE (and its CIE's pointer
 * encoding) its length. Where no name exists, a caller is at least placed in
 * the function that contains it. Hostile input: every read is bounds-checked
 * and records that do not parse are skipped. Pure C over byte buffers.
 */
#include <linux/types.h>
#include <stddef.h>

struct elf_obj;
struct functab;

#define EHFRAME_MAX_BYTES	(64u << 20)	/* per section; node's .eh_frame: 2.7 MB */

/*
 * The functions described by .eh_frame_hdr hdr[0..hdr_len) at virtual
 * address hdr_vaddr, whose FDEs are in .eh_frame eh[0..eh_len) at eh_vaddr,
 * added to t (unnamed, not finished). Returns the number added, or -EINVAL
 * for a header this reader does not support, -ENOMEM or -E2BIG.
 */
int ehframe_parse(const __u8 *hdr, size_t hdr_len, __u64 hdr_vaddr,
		  const __u8 *eh, size_t eh_len, __u64 eh_vaddr, struct functab *t);

/* The same from o's sections into t (finished): the count, -ENOENT, or another -errno. */
int ehframe_load(const struct elf_obj *o, struct functab *t);

#endif /* TLSMEM_EHFRAME_H */
