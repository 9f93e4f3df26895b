/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_CAPS_H
#define TLSMEM_CAPS_H

/*
 * The capabilities tlsmem needs, checked at start so that a missing one is
 * named at once instead of failing later as EPERM somewhere. Plain libc
 * (capget); the decision is a pure function of the effective set.
 *
 *   CAP_BPF + CAP_PERFMON    load the BPF programs, attach uprobes
 *   CAP_SYS_PTRACE           read the targets' memory and maps
 *   CAP_DAC_READ_SEARCH      read their files whoever owns them
 *   CAP_CHECKPOINT_RESTORE   open their libraries through /proc/PID/map_files
 *
 * CAP_SYS_ADMIN stands in for CAP_BPF, CAP_PERFMON and
 * CAP_CHECKPOINT_RESTORE (and is the only way on kernels before 5.8/5.9).
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Writes the names of the capabilities missing from the effective set eff
 * (bit N = capability N), comma separated, into buf; kernel_has_new says
 * whether the kernel knows CAP_BPF, CAP_PERFMON and CAP_CHECKPOINT_RESTORE.
 * Returns how many are missing (0: all there).
 */
int caps_missing(__u64 eff, bool kernel_has_new, char *buf, size_t cap);
/* The effective set of this process; 0 or -errno. */
int caps_effective(__u64 *eff);
/* Whether the running kernel knows CAP_CHECKPOINT_RESTORE (Linux >= 5.9). */
bool caps_kernel_has_new(void);

#endif /* TLSMEM_CAPS_H */
