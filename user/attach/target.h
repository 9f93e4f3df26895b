/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_TARGET_H
#define TLSMEM_TARGET_H

/*
 * A target process and the objects in it that carry OpenSSL: shared
 * libraries, an executable with OpenSSL inside, a mapped file that was
 * deleted. Objects are found in /proc/PID/maps and read through
 * /proc/PID/map_files, so the very file the process mapped is examined,
 * whatever mount namespace it lives in. Plain libc + libelf; no libbpf.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct elf_obj;

enum obj_kind {
	OBJ_SHARED,
	OBJ_STATIC,			/* OpenSSL inside the executable */
	OBJ_DELETED,			/* mapped from a file since deleted */
};

struct ssl_obj {
	char *path;			/* as the process names it */
	char attach_path[512];		/* /proc/PID/map_files/START-END, or the file before exec */
	enum obj_kind kind;
	char *version;			/* "OpenSSL 3.0.19 27 Jan 2026", or NULL */
	char build_id[129];		/* GNU build-id in hex, "" when none */
	__u64 dev, inode;
	struct elf_obj *elf;		/* owned; freed by target__drop_elves() */
	int nprobes;			/* probes attached in it */
	int moved;			/* functions probed past their entry (see place.h) */
	int elided;			/* wrappers left unprobed (see place_wrapper) */
	bool has_alloc;			/* defines CRYPTO_malloc or OPENSSL_malloc */
	bool has_ssl;			/* defines SSL_new */
	bool attached;
	bool late;			/* mapped after the probes were live (dlopen) */
	__u64 unobserved_ns;		/* late: from the load to its live probes, 0 if held */
};

struct target {
	int pid;
	char comm[32];
	bool exited;
	bool child;			/* started by us with -- COMMAND */
	int exit_status;		/* wait status when child and exited */
	int ppid;			/* followed from this parent's fork, or 0 */
	char exe[256];			/* its program (-a), "" when not read */
	char container[65];		/* container id from its cgroup (-a), "" if none */
	char pod[37];			/* Kubernetes pod uid (-a), "" if none */
	__u64 start_ns, exit_ns;	/* CLOCK_MONOTONIC when followed and when gone; 0 unknown */
	__u64 mem_bytes;		/* at the last interval: RSS, or PSS when several run; 0 unknown */
	struct ssl_obj *objs;
	size_t nobjs;
	/* the dynamic loader, probed to notice dlopen */
	char loader_path[512];
	struct elf_obj *loader;
	bool loader_attached;
	__u64 loader_ns;		/* CLOCK_MONOTONIC of its latest loader event */
	bool pre_conns;			/* held established TCP connections at attach */
	/* every file object looked at, as "dev:inode" keys, and their names */
	__u64 *seen;
	size_t nseen;
	char **seen_names;
};

/*
 * Looks at every file mapping of t->pid not examined before, and appends the
 * ones that define OpenSSL's allocator or SSL_new to t->objs (with their ELF
 * opened). Returns the number of new objects, or -errno (-ESRCH: process gone).
 */
int target__scan(struct target *t);
/*
 * For a process about to exec path: examines the file as the scan would, so
 * that the scan after the exec skips it. An OpenSSL object is appended with
 * path itself as the attach path; the loader is remembered. 1 if it is either,
 * 0 if neither, -errno.
 */
int target__add_file(struct target *t, const char *path);
/* Releases the ELF images of attached objects (they can be 100 MB). */
void target__drop_elves(struct target *t);
/*
 * child was forked by parent: same mappings, so the files parent examined
 * are not examined again (its OpenSSL objects are probed for every process
 * already). 0 or -ENOMEM.
 */
int target__inherit(struct target *child, const struct target *parent);
struct map_entry;
/* Marks the file e maps as examined already (known to hold no OpenSSL). */
void target__skip(struct target *t, const struct map_entry *e);
/*
 * Frees what the target owns but keeps who it was (pid, comm, times, exit)
 * and, if keep_objs, the OpenSSL objects found (without their ELF images).
 */
void target__release(struct target *t, bool keep_objs);
/* Frees everything the target owns; NULL-safe. */
void target__free(struct target *t);
/* "shared", "static" or "deleted". */
const char *target_obj_kind_name(enum obj_kind k);
/* Writes the names of the objects examined, comma separated, into buf. */
void target__describe_seen(const struct target *t, char *buf, size_t cap);

#endif /* TLSMEM_TARGET_H */
