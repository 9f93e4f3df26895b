// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Symbol cache. Pids are few and live in a list; files and module names are
 * in small chained hash tables and are kept until the cache is freed, so
 * every string handed out stays valid. The target decides which files it
 * maps, so the number of parsed files and the bytes of names are capped:
 * past the caps, functions resolve as unknown and names fail with -ENOMEM.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "procmaps.h"
#include "symcache.h"

#define SC_BUCKETS		256
#define SC_MAX_FILES		512
#define SC_MAX_NAME_BYTES	(16u << 20)
#define DELETED_SUFFIX		" (deleted)"

struct sc_proc {
	struct sc_proc *next;
	int pid;
	struct map_list maps;
};

struct sc_file {
	struct sc_file *next;
	__u64 inode;
	__u32 dev_major, dev_minor;
	struct elf_obj *obj;		/* NULL: not a readable ELF file */
};

struct sc_name {
	struct sc_name *next;
	char s[];
};

struct symcache {
	struct sc_proc *procs;
	struct sc_file *files[SC_BUCKETS];
	struct sc_name *names[SC_BUCKETS];
	size_t nfiles;
	size_t name_bytes;
};

struct symcache *symcache__new(void)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (!c)
		errno = ENOMEM;
	return c;
}

static void free_proc(struct sc_proc *p)
{
	map_list__free(&p->maps);
	free(p);
}

void symcache__free(struct symcache *c)
{
	struct sc_proc *p, *pn;
	struct sc_file *f, *fn;
	struct sc_name *s, *sn;

	if (!c)
		return;
	for (p = c->procs; p; p = pn) {
		pn = p->next;
		free_proc(p);
	}
	for (size_t i = 0; i < SC_BUCKETS; i++) {
		for (f = c->files[i]; f; f = fn) {
			fn = f->next;
			elf_obj__free(f->obj);
			free(f);
		}
		for (s = c->names[i]; s; s = sn) {
			sn = s->next;
			free(s);
		}
	}
	free(c);
}

void symcache__forget_pid(struct symcache *c, int pid)
{
	struct sc_proc **pp, *p;

	if (!c)
		return;
	for (pp = &c->procs; (p = *pp); pp = &p->next) {
		if (p->pid == pid) {
			*pp = p->next;
			free_proc(p);
			return;
		}
	}
}

/* --- module names --- */

static size_t hash_bytes(size_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;	/* FNV-1a */
	return h;
}

/* Returns the interned string a + b, or NULL with errno set. */
static const char *intern(struct symcache *c, const char *a, const char *b)
{
	size_t h = hash_bytes(hash_bytes(2166136261u, a), b) % SC_BUCKETS;
	size_t la = strlen(a), lb = strlen(b);
	struct sc_name *s;

	for (s = c->names[h]; s; s = s->next) {
		if (!strncmp(s->s, a, la) && !strcmp(s->s + la, b))
			return s->s;
	}
	if (la + lb + 1 > SC_MAX_NAME_BYTES - c->name_bytes) {
		errno = ENOMEM;
		return NULL;
	}
	s = malloc(sizeof(*s) + la + lb + 1);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(s->s, a, la);
	memcpy(s->s + la, b, lb + 1);
	s->next = c->names[h];
	c->names[h] = s;
	c->name_bytes += la + lb + 1;
	return s->s;
}

/* --- parsed files --- */

static struct elf_obj *open_obj(int pid, const struct map_entry *e)
{
	char path[PATH_MAX + 64];
	struct elf_obj *o;
	int n;

	if (!procmaps_object_path(pid, e, path, sizeof(path))) {
		o = elf_obj__open(path);
		if (o || errno == ENOEXEC)
			return o;
	}
	/* a deleted file's path names some other file, or none */
	if (e->deleted || e->path[0] != '/')
		return NULL;
	n = snprintf(path, sizeof(path), "/proc/%d/root%s", pid, e->path);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return elf_obj__open(path);
}

/* Returns the parsed ELF mapped by e, or NULL when there is none. */
static struct elf_obj *get_obj(struct symcache *c, int pid, const struct map_entry *e)
{
	size_t h = (e->inode * 31 + e->dev_major * 7 + e->dev_minor) % SC_BUCKETS;
	struct sc_file *f;

	for (f = c->files[h]; f; f = f->next) {
		if (f->inode == e->inode && f->dev_major == e->dev_major &&
		    f->dev_minor == e->dev_minor)
			return f->obj;
	}
	if (c->nfiles >= SC_MAX_FILES)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->inode = e->inode;
	f->dev_major = e->dev_major;
	f->dev_minor = e->dev_minor;
	f->obj = open_obj(pid, e);	/* a failure is cached too */
	f->next = c->files[h];
	c->files[h] = f;
	c->nfiles++;
	return f->obj;
}

/* --- per-pid maps --- */

static struct sc_proc *find_proc(struct symcache *c, int pid)
{
	struct sc_proc *p;

	for (p = c->procs; p; p = p->next) {
		if (p->pid == pid)
			return p;
	}
	return NULL;
}

/* (Re)reads pid's maps into its entry, creating the entry if needed. */
static int load_proc(struct symcache *c, int pid, struct sc_proc **out)
{
	struct sc_proc *p = find_proc(c, pid);
	struct map_list l;
	int err;

	err = procmaps_read(pid, &l);
	if (err)
		return err == -ENOENT ? -ESRCH : err;	/* -ENOENT means "not mapped" */
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			map_list__free(&l);
			return -ENOMEM;
		}
		p->pid = pid;
		p->next = c->procs;
		c->procs = p;
	}
	map_list__free(&p->maps);
	p->maps = l;
	*out = p;
	return 0;
}

static const struct map_entry *file_mapping(const struct sc_proc *p, __u64 addr)
{
	const struct map_entry *e = map_list__find(&p->maps, addr);

	return e && e->inode ? e : NULL;
}

/* Finds the file mapping of addr, re-reading the maps once on a miss. */
static int find_mapping(struct symcache *c, int pid, __u64 addr, struct sc_proc **pp,
			const struct map_entry **out)
{
	struct sc_proc *p = find_proc(c, pid);
	int err;

	*out = p ? file_mapping(p, addr) : NULL;
	if (*out) {
		*pp = p;
		return 0;
	}
	err = load_proc(c, pid, &p);	/* new pid, or a library loaded since */
	if (err)
		return err;
	*pp = p;
	*out = file_mapping(p, addr);
	return *out ? 0 : -ENOENT;
}

/* The lowest address at which pid maps the file that e maps. */
static __u64 module_base(const struct sc_proc *p, const struct map_entry *e)
{
	__u64 base = e->start;

	for (size_t i = 0; i < p->maps.n; i++) {
		const struct map_entry *m = &p->maps.v[i];

		if (m->inode == e->inode && m->dev_major == e->dev_major &&
		    m->dev_minor == e->dev_minor && m->start < base)
			base = m->start;
	}
	return base;
}

int symcache__resolve(struct symcache *c, int pid, __u64 addr, struct sym_info *out)
{
	const struct map_entry *e;
	struct elf_obj *obj;
	struct sc_proc *p;
	__u64 delta = 0;
	int err;

	if (!c || !out)
		return -EINVAL;
	err = find_mapping(c, pid, addr, &p, &e);
	if (err)
		return err;
	out->module = intern(c, e->path, e->deleted ? DELETED_SUFFIX : "");
	if (!out->module)
		return -errno;
	obj = get_obj(c, pid, e);
	out->func = obj ? elf_obj__symbolize(obj, addr - e->start + e->pgoff, &delta) : NULL;
	out->off = out->func ? delta : addr - module_base(p, e);
	return 0;
}
