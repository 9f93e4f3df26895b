/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PROBE_H
#define TLSMEM_PROBE_H

/*
 * The BPF side's lifecycle: open, configure, load, attach per object and per
 * process, detach. The sole includer of the generated skeleton. Every link
 * is kept and destroyed by probe__free(), so no probe outlives tlsmem.
 */
#include <linux/types.h>
#include <stdbool.h>

struct probe;
struct ssl_obj;
struct elf_obj;

struct probe_opts {
	__u32 stop_pid;			/* process stopped at loader events (-- COMMAND) */
	bool stop_all;			/* --hold-loads: every probed loader stops its process */
	__u64 ringbuf_bytes;		/* 0: the BPF object's default */
	int verbose;
	bool entry_only;		/* probe functions at their entry, never moved */
	bool light;			/* SSL_new and SSL_free only */
	bool empty;			/* programs that only count their hits (benchmarks) */
	bool all;			/* -a: every process's execs and loader events reported */
	bool follow;			/* follow forks in the kernel: probes for every process
					   mapping a file, filtered by pid (probe__follow) */
};

/* Opens and loads the BPF object. 0 or -errno; the reason is printed. */
int probe__open(struct probe **out, const struct probe_opts *o);
/*
 * Attaches the allocator and SSL probes to every function obj defines, for
 * process pid (return probes first, so no entry is seen without its return).
 * Sets obj->nprobes and obj->attached. 0 or -errno; the reason is printed.
 */
int probe__attach_obj(struct probe *p, int pid, struct ssl_obj *obj);
/*
 * Tells the BPF side where unprobed wrappers return to in processes that
 * have mapped their objects since they were attached (a program attached
 * before its exec). Cheap when there is nothing left to do.
 */
void probe__resolve_wraps(struct probe *p);
/* Attaches the loader probe (_dl_debug_state) in the loader at path. 0 or -errno. */
int probe__attach_loader(struct probe *p, int pid, const char *path, const struct elf_obj *ld);
/*
 * Follow mode: puts pid in the BPF side's filter with flags (enum
 * tlsmem_pid_flag); its forks join it before they run. 0 or -errno.
 */
int probe__follow(struct probe *p, int pid, __u32 flags);
/* Size of the events ring buffer (user space maps it twice). */
__u64 probe__ringbuf_bytes(const struct probe *p);
/* File descriptor of the events ring buffer map. */
int probe__events_fd(const struct probe *p);
/* Events the BPF side could not emit (ring buffer full), summed over CPUs. */
__u64 probe__lost(const struct probe *p);
/* Probe hits so far in the observed processes, summed over CPUs. */
__u64 probe__hits(const struct probe *p);
/*
 * Probe hits so far in processes not observed: when processes are followed
 * the probes are per file, taken by every process that maps it.
 */
__u64 probe__hits_other(const struct probe *p);
/* Number of probes attached. */
int probe__count(const struct probe *p);
/* Detaches everything and frees; NULL-safe. */
void probe__free(struct probe *p);

#endif /* TLSMEM_PROBE_H */
