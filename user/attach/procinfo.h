/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PROCINFO_H
#define TLSMEM_PROCINFO_H

/* Small facts about a process read from /proc. Plain libc. */
#include <linux/types.h>
#include <stddef.h>

/* Command name (/proc/PID/comm) into buf; 0 or -errno (-ENOENT: no such process). */
int procinfo_comm(int pid, char *buf, size_t cap);
/* Resident set size in bytes (VmRSS of /proc/PID/status); 0 or -errno. */
int procinfo_rss(int pid, __u64 *bytes);
/* Process state letter from /proc/PID/stat ('R', 'S', 'Z', ...), or 0 if gone. */
char procinfo_state(int pid);
/* 1 if pid is a kernel thread (no executable), 0 if not, -errno. */
int procinfo_is_kthread(int pid);

/*
 * Connected TCP sockets (IPv4 and IPv6, any state but LISTEN) the process
 * holds open: its socket fds matched against /proc/PID/net/tcp{,6}.
 * 0 and *n set, or -errno.
 */
int procinfo_tcp_sockets(int pid, __u64 *n);
/*
 * The two steps of procinfo_tcp_sockets, so that a network namespace's
 * table is read once for all its processes: the sorted inodes of its
 * non-listening TCP sockets (free *v), then how many of them pid holds.
 */
int procinfo_tcp_table(int pid, __u64 **v, size_t *n);
int procinfo_count_sockets(int pid, const __u64 *v, size_t n, __u64 *count);
/* Inode of pid's network namespace (/proc/PID/ns/net); 0 or -errno. */
int procinfo_netns(int pid, __u64 *ino);
/*
 * Proportional set size in bytes (Pss of /proc/PID/smaps_rollup): shared
 * pages divided among the processes that map them, so it adds up over
 * processes where RSS counts shared pages many times. 0 or -errno.
 */
int procinfo_pss(int pid, __u64 *bytes);

/*
 * The inodes of the ESTABLISHED TCP sockets (IPv4 and IPv6) the process
 * holds open, sorted, in *inodes (caller frees); 0 and *n set, or -errno.
 */
int procinfo_tcp_established(int pid, __u64 **inodes, size_t *n);
/* The process (thread group) a thread id belongs to; pid itself for a process, -errno. */
int procinfo_tgid(int pid);

#endif /* TLSMEM_PROCINFO_H */
