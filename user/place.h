/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PLACE_H
#define TLSMEM_PLACE_H

/*
 * Where a probe on a function may stand. On x86-64 the kernel emulates a few
 * instructions at a uprobe (call, jmp, jcc, push reg) and single-steps every
 * other one out of line, which costs about 20 times more. OpenSSL's
 * CRYPTO_malloc and CRYPTO_free begin with a RIP-relative mov, so a probe
 * at their entry is single-stepped on every call. This module finds, by
 * disassembly, the first emulated instruction that every call reaches with
 * the argument registers, the stack pointer and the return address exactly
 * as at entry, and that no branch inside the function can reach except by
 * falling through from the entry. When it cannot prove that, the answer is
 * the entry. Pure C over a byte buffer (capstone); no I/O.
 */
#include <linux/types.h>
#include <stddef.h>

/*
 * Offset from the function's start at which to probe it. code/len are the
 * function's bytes (len 0 when its size is unknown: the entry), nargs the
 * number of integer argument registers the probe reads (rdi, rsi, rdx, rcx,
 * r8, r9 in order). Never fails: 0 means the entry.
 */
__u64 place_probe(const __u8 *code, size_t len, unsigned int nargs);

#endif /* TLSMEM_PLACE_H */
