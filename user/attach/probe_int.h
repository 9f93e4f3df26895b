/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PROBE_INT_H
#define TLSMEM_PROBE_INT_H

/*
 * Inside the probe module, shared by probe.c (the BPF object's lifecycle and
 * the attaching) and wraps.c (wrapper slots and the files probed for every
 * process): struct probe. Not for other modules: they use probe.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "probe.h"

struct tlsmem_bpf;
struct bpf_link;
struct ssl_obj;

struct probe {
	struct tlsmem_bpf *skel;
	struct bpf_link **links;	/* perf-event uprobes, when multi links are missing */
	size_t nlinks, cap;
	int *fds;			/* uprobe_multi link fds */
	size_t nfds, fds_cap;
	int nprobes;
	bool multi;
	bool entry_only;		/* no placement: probe every function at its entry */
	bool light;			/* SSL_new and SSL_free only */
	bool follow;			/* probes for every process, filtered by pid in BPF */
	int verbose;
	/* files probed for every process (follow): each is probed once */
	struct pfile *files;
	size_t nfiles, files_cap;
	struct bpf_link *tp_links[3];	/* fork, exec, exit */
	/* wrap slots whose process has not mapped the object yet */
	struct pending_wrap *pend;
	size_t npend, pend_cap;
	__u32 next_slot;
};

/* Where an unprobed wrapper's call into the inner function returns, by file offset. */
struct pending_wrap {
	__u32 slot;
	int pid;
	__u64 dev, inode;
	__u64 off;			/* file offset of the return point */
	__u64 depth;
};

/* A file probed for every process that maps it, and its wrapper slot. */
struct pfile {
	__u64 dev, inode;
	bool has_wrap;
	struct pending_wrap wrap;	/* pid unset: the template for each process */
};

/*
 * Whether the function wrapper of obj may go unprobed, its allocations (alloc)
 * or frees seen at the function inner (see place_wrapper). *cookie is set for
 * the inner function's probes when an allocation's caller must be found on
 * the wrapper's frame, which the return program does.
 */
bool probe_wrap_elide(struct probe *p, int pid, const struct ssl_obj *obj, const char *wrapper,
		      const char *inner, bool alloc, __u64 *cookie);

/* Follow mode: the file (dev, inode) if it is probed already for every process, else NULL. */
struct pfile *probe_file_find(struct probe *p, __u64 dev, __u64 inode);
/* Follow mode: records (dev, inode) as probed for every process; NULL without memory. */
struct pfile *probe_file_add(struct probe *p, __u64 dev, __u64 inode);
/*
 * Follow mode: obj's file is probed already, for every process; pid only
 * needs its own wrapper return point. 0 or -ENOMEM.
 */
int probe_file_attach_known(struct probe *p, int pid, struct ssl_obj *obj, const struct pfile *f);
/* Follow mode: remembers obj's file as probed, with its wrapper slot if any. 0 or -ENOMEM. */
int probe_file_remember(struct probe *p, const struct ssl_obj *obj, __u64 wrap_cookie);

#endif /* TLSMEM_PROBE_INT_H */
