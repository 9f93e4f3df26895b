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
#include <stdbool.h>
#include <stddef.h>

/*
 * Offset from the function's start at which to probe it. code/len are the
 * function's bytes (len 0 when its size is unknown: the entry), nargs the
 * number of integer argument registers the probe reads (rdi, rsi, rdx, rcx,
 * r8, r9 in order). Never fails: 0 means the entry.
 */
__u64 place_probe(const __u8 *code, size_t len, unsigned int nargs);

/*
 * Whether a wrapper (CRYPTO_zalloc around CRYPTO_malloc, CRYPTO_clear_free
 * around CRYPTO_free) can go unprobed because every block it hands out or
 * releases passes through the inner function, which is probed. That holds
 * when every branch in the wrapper is direct and leaves it only for the inner
 * function or for a callee that neither allocates nor frees (memset,
 * OPENSSL_cleanse), as role() tells for each target address. It then returns
 * 0; -1 otherwise (including an indirect branch, or no call of the inner
 * function at all).
 *
 * For the allocation's caller, out tells where the wrapper's own return
 * address lies when the inner function is entered: when the inner call is the
 * first branch and only pushes and `sub $imm,%rsp` precede it, depth is the
 * stack bytes they add and ret_off the offset (from the wrapper's start) of
 * the instruction after that call, so at the inner entry [sp] is
 * vaddr-of-wrapper + ret_off and the wrapper's caller is at sp + 8 + depth.
 * A tail jump with nothing pushed gives depth 0 and ret_off 0 (the inner
 * function sees the wrapper's caller itself). depth is -1 when unknown.
 */
enum wrap_role { WRAP_OTHER, WRAP_INNER, WRAP_HARMLESS };

struct wrap_info {
	__u64 ret_off;
	int depth;
};

int place_wrapper(const __u8 *code, size_t len, __u64 vaddr,
		  enum wrap_role (*role)(void *ctx, __u64 target), void *ctx, struct wrap_info *out);

/* Whether the kernel emulates the first instruction of code. */
bool place_entry_emulated(const __u8 *code, size_t len);

/*
 * For an SSL call whose entry would be single-stepped (SSL_read begins with
 * `sub $0x18,%rsp`): the target of the first direct call on the path from
 * the entry, when nothing before it writes %rdi, so the callee gets the same
 * SSL * (SSL_read and SSL_read_ex both call ssl_read_internal). Conditional
 * branches before it are passed by (an error path leaves early). vaddr is
 * the function's address; returns the callee's address, or 0.
 */
__u64 place_callee(const __u8 *code, size_t len, __u64 vaddr);

#endif /* TLSMEM_PLACE_H */
