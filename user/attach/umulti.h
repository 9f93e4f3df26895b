/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_UMULTI_H
#define TLSMEM_UMULTI_H

/*
 * uprobe_multi links (Linux >= 6.6), built by hand with the bpf syscall so
 * that a libbpf without them still works: one link per program and object,
 * detached in one go when its fd is closed. Plain libc.
 */
#include <stdbool.h>
#include <linux/types.h>

/* The attach type a program needs for a uprobe_multi link (BPF_TRACE_UPROBE_MULTI). */
#define UMULTI_ATTACH_TYPE	48

/*
 * Attaches prog_fd at n file offsets of path, with a cookie each, as return
 * probes when ret; pid > 0 limits the link to that process, otherwise every
 * process. Returns the link's fd (the caller closes it), or -errno.
 */
int umulti_link_create(int prog_fd, int pid, const char *path, const __u64 *offs,
		       const __u64 *cookies, __u32 n, bool ret);

#endif /* TLSMEM_UMULTI_H */
