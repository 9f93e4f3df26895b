/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PROCMEM_H
#define TLSMEM_PROCMEM_H

/*
 * Reads another process's memory with process_vm_readv(2), for the strings
 * the BPF side sends as addresses (OpenSSL's file argument). The target is
 * untrusted: reads are bounded by the caller's buffer and strings are
 * sanitized to printable ASCII. Plain libc; no libbpf, no curses.
 */
#include <linux/types.h>
#include <stddef.h>

/*
 * Reads exactly len bytes at addr in pid into buf. Returns 0, -EFAULT when
 * only part (or none) of the range is readable, -ESRCH when the process is
 * gone, or another negative errno.
 */
int procmem_read(int pid, __u64 addr, void *buf, size_t len);

/*
 * Reads the NUL-terminated string at addr into buf, truncated to cap - 1
 * characters, with every byte outside printable ASCII replaced by '?'. Reads
 * page by page, so a string ending just before an unmapped page still
 * reads. Returns 0 or a negative errno (-EINVAL when cap is 0, -EFAULT when
 * the string runs into unreadable memory); buf is always NUL-terminated
 * when cap > 0, holding what was read.
 */
int procmem_read_str(int pid, __u64 addr, char *buf, size_t cap);

#endif /* TLSMEM_PROCMEM_H */
