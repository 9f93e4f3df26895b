// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Symbol cache. Pids are few and live in a list; files and module names are
 * in small chained hash tables and are kept until the cache is freed, so
 * every string handed out stays valid. The target decides which files it
 * maps, so the number of parsed files and the bytes of names are capped:
 * past the caps, functions resolve as unknown and names fail with -ENOMEM.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "debuginfod.h"
#include "elfobj.h"
#include "log.h"
#include "modinfo.h"
#include "procmaps.h"
#include "symcache.h"

#define SC_BUCKETS		256
#define SC_MAX_FILES		512
#define SC_MAX_NAME_BYTES	(16u << 20)
#define DELETED_SUFFIX		" (deleted)"
/*
 * Names kept from debug files, over all modules (a module costs about 24
 * bytes per function plus its names: libcrypto's 11k functions about 0.5 MiB).
 * Past it, further modules get JNI and .eh_frame names only.
 */
#define SC_MAX_DEBUG_BYTES	(256u << 20)

/*
 * One address space layout, shared by a process and the children it forked
 * until one of them execs or maps something new (then it gets its own).
 */
struct sc_image {
	__u32 id;
	__u32 refs;
	int pid;			/* whose maps these are */
	struct map_list maps;
};

struct sc_proc {
	struct sc_proc *next;
	int pid;
	struct sc_image *img;
};

struct sc_file {
	struct sc_file *next;
	__u64 inode;
	__u32 dev_major, dev_minor;
	struct elf_obj *obj;		/* NULL: not a readable ELF file */
	struct modinfo mi;		/* names beyond obj's own, read at the first resolve */
	const char *module;		/* as first seen, for debug messages */
	int asked;			/* debuginfod was asked */
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
	struct dinfod *dinfod;
	__u64 generation;
	__u32 next_image;
	__u32 layout_gen;		/* bumped whenever a pid's layout changes */
	size_t debug_bytes;		/* held by the modules' name tables */
};

struct symcache *symcache__new(void)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (!c)
		errno = ENOMEM;
	return c;
}

static void image_put(struct sc_image *img)
{
	if (!img || --img->refs)
		return;
	map_list__free(&img->maps);
	free(img);
}

static void free_proc(struct sc_proc *p)
{
	image_put(p->img);
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
			modinfo__free(&f->mi);
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
			c->layout_gen++;
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

/*
 * Returns the file mapped by e, or NULL when out of memory or past the cap.
 * The file is opened through pid, or through alt (the process whose maps
 * pid shares) when pid is gone; when neither can open it, it is not cached.
 */
static struct sc_file *get_file(struct symcache *c, int pid, int alt, const struct map_entry *e)
{
	size_t h = (e->inode * 31 + e->dev_major * 7 + e->dev_minor) % SC_BUCKETS;
	struct elf_obj *o;
	struct sc_file *f;

	for (f = c->files[h]; f; f = f->next) {
		if (f->inode == e->inode && f->dev_major == e->dev_major &&
		    f->dev_minor == e->dev_minor)
			return f;
	}
	if (c->nfiles >= SC_MAX_FILES)
		return NULL;
	errno = 0;
	o = open_obj(pid, e);
	if (!o && errno != ENOEXEC && alt != pid)
		o = open_obj(alt, e);
	if (!o && errno != ENOEXEC)
		return NULL;		/* not readable now: try again next time */
	f = calloc(1, sizeof(*f));
	if (!f) {
		elf_obj__free(o);
		return NULL;
	}
	f->inode = e->inode;
	f->dev_major = e->dev_major;
	f->dev_minor = e->dev_minor;
	f->obj = o;			/* not an ELF file: cached too */
	f->next = c->files[h];
	c->files[h] = f;
	c->nfiles++;
	return f;
}

/* Reads f's names beyond its own symbols, once, at its first resolve. */
static void load_names(struct symcache *c, struct sc_file *f, int pid, const struct map_entry *e,
		       const char *module)
{
	int err;

	if (f->mi.loaded || !f->obj)
		return;
	f->module = module;
	modinfo__load(&f->mi, f->obj, pid, e->deleted ? NULL : e->path,
		      c->debug_bytes < SC_MAX_DEBUG_BYTES);
	c->debug_bytes += modinfo__bytes(&f->mi);
	p_debug("names of %s: %s, %zu bytes kept", module, modinfo_names_src_str(f->mi.src),
		modinfo__bytes(&f->mi));
	if (!c->dinfod || !modinfo__wants_debug(&f->mi) || c->debug_bytes >= SC_MAX_DEBUG_BYTES)
		return;
	err = dinfod__request(c->dinfod, f->mi.bid, f->mi.bid_len, f);
	if (err)
		p_debug("debuginfod: %s not asked: %s", module, strerror(-err));
	f->asked = !err;
}

void symcache__set_debuginfod(struct symcache *c, struct dinfod *d)
{
	if (c)
		c->dinfod = d;
}

/* Adopts the debug file fd (or logs why not) for f. 1 when f gained names. */
static int adopt(struct symcache *c, struct sc_file *f, int fd)
{
	struct functab t = { 0 };
	int err;

	if (fd < 0) {
		p_debug("debuginfod: no debug file for %s (build-id %s): %s", f->module,
			f->mi.build_id, fd == -ENOSYS ? "libdebuginfod.so.1 cannot be loaded" :
			strerror(-fd));
		return 0;
	}
	err = debugfile_syms_fd(fd, f->mi.bid, f->mi.bid_len, &t);
	close(fd);
	if (err) {
		p_debug("debuginfod: the debug file for %s is unusable: %s", f->module,
			strerror(-err));
		return 0;
	}
	c->debug_bytes -= modinfo__bytes(&f->mi);
	modinfo__adopt(&f->mi, &t, NAMES_DEBUGINFOD);
	c->debug_bytes += modinfo__bytes(&f->mi);
	p_debug("debuginfod: names for %s, %zu bytes kept", f->module, modinfo__bytes(&f->mi));
	return 1;
}

int symcache__poll(struct symcache *c)
{
	void *tag;
	int fd, n = 0;

	if (!c || !c->dinfod)
		return 0;
	while (dinfod__take(c->dinfod, &tag, &fd))
		n += adopt(c, tag, fd);
	if (n)
		c->generation++;
	return n;
}

__u64 symcache__generation(const struct symcache *c)
{
	return c ? c->generation : 0;
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

static struct sc_proc *new_proc(struct symcache *c, int pid)
{
	struct sc_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->next = c->procs;
	c->procs = p;
	return p;
}

/* Whether a and b map the same files at the same places (anonymous maps aside). */
static bool same_files(const struct map_list *a, const struct map_list *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->n && !a->v[i].inode)
			i++;
		while (j < b->n && !b->v[j].inode)
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (a->v[i].start != b->v[j].start || a->v[i].end != b->v[j].end ||
		    a->v[i].pgoff != b->v[j].pgoff || a->v[i].inode != b->v[j].inode ||
		    a->v[i].dev_major != b->v[j].dev_major || a->v[i].dev_minor != b->v[j].dev_minor ||
		    a->v[i].deleted != b->v[j].deleted)
			return false;
		i++;
		j++;
	}
}

/*
 * (Re)reads pid's maps into an image of its own, creating the entry if
 * needed. When the files mapped are the same as before (a miss on an address
 * that no file maps: the uprobe trampoline, JIT code), the image stays: a new
 * one would invalidate every site named from it, and the next event at such
 * an address would read the maps again.
 */
static int load_proc(struct symcache *c, int pid, struct sc_proc **out)
{
	struct sc_proc *p = find_proc(c, pid);
	struct sc_image *img;
	struct map_list l;
	int err;

	err = procmaps_read(pid, &l);
	if (err)
		return err == -ENOENT ? -ESRCH : err;	/* -ENOENT means "not mapped" */
	if (p && p->img && p->img->pid == pid && same_files(&p->img->maps, &l)) {
		map_list__free(&l);
		*out = p;
		return 0;
	}
	img = calloc(1, sizeof(*img));
	if (!p)
		p = img ? new_proc(c, pid) : NULL;
	if (!p) {
		free(img);
		map_list__free(&l);
		return -ENOMEM;
	}
	img->id = ++c->next_image;
	img->refs = 1;
	img->pid = pid;
	img->maps = l;
	image_put(p->img);
	p->img = img;
	c->layout_gen++;
	*out = p;
	return 0;
}

static const struct map_entry *file_mapping(const struct sc_proc *p, __u64 addr)
{
	const struct map_entry *e = p->img ? map_list__find(&p->img->maps, addr) : NULL;

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

	for (size_t i = 0; i < p->img->maps.n; i++) {
		const struct map_entry *m = &p->img->maps.v[i];

		if (m->inode == e->inode && m->dev_major == e->dev_major &&
		    m->dev_minor == e->dev_minor && m->start < base)
			base = m->start;
	}
	return base;
}

int symcache__resolve(struct symcache *c, int pid, __u64 addr, struct sym_info *out)
{
	const struct map_entry *e;
	struct sc_file *f;
	struct sc_proc *p;
	__u64 delta = 0;
	enum sym_kind k = SYM_UNKNOWN;
	int err;

	if (!c || !out)
		return -EINVAL;
	err = find_mapping(c, pid, addr, &p, &e);
	if (err)
		return err;
	out->module = intern(c, e->path, e->deleted ? DELETED_SUFFIX : "");
	if (!out->module)
		return -errno;
	f = get_file(c, pid, p->img->pid, e);
	if (f && f->obj) {
		load_names(c, f, pid, e, out->module);
		k = modinfo__symbolize(&f->mi, f->obj, addr - e->start + e->pgoff, &out->func,
				       &delta);
	}
	out->mod_off = addr - module_base(p, e);
	out->start_known = k == SYM_START;
	if (k == SYM_UNKNOWN)
		out->func = NULL;
	out->off = k == SYM_UNKNOWN ? out->mod_off : delta;
	out->build_id = f && f->obj ? f->mi.build_id : "";
	out->names_from = modinfo_names_src_str(f && f->obj ? f->mi.src : NAMES_NONE);
	return 0;
}

int symcache__inherit(struct symcache *c, int child, int parent)
{
	struct sc_proc *pp, *cp;
	int err;

	if (!c)
		return -EINVAL;
	pp = find_proc(c, parent);
	if (!pp) {
		err = load_proc(c, parent, &pp);
		if (err)
			return err;
	}
	cp = find_proc(c, child);
	if (!cp)
		cp = new_proc(c, child);
	if (!cp)
		return -ENOMEM;
	pp->img->refs++;
	image_put(cp->img);
	cp->img = pp->img;
	c->layout_gen++;
	return 0;
}

int symcache__reload(struct symcache *c, int pid)
{
	struct sc_proc *p;

	return c ? load_proc(c, pid, &p) : -EINVAL;
}

__u32 symcache__image(struct symcache *c, int pid)
{
	struct sc_proc *p = c ? find_proc(c, pid) : NULL;

	if (!p && c && load_proc(c, pid, &p))
		return 0;
	return p ? p->img->id : 0;
}

__u32 symcache__layout_gen(const struct symcache *c)
{
	return c ? c->layout_gen : 0;
}

int symcache__read_str(struct symcache *c, int pid, __u64 addr, char *buf, size_t cap)
{
	const struct map_entry *e;
	struct sc_file *f;
	struct sc_proc *p;
	const __u8 *b;
	size_t i;
	int err;

	if (!c || !cap)
		return -EINVAL;
	buf[0] = '\0';
	err = find_mapping(c, pid, addr, &p, &e);
	if (err)
		return err;
	f = get_file(c, pid, p->img->pid, e);
	if (!f || !f->obj)
		return -ENOENT;
	for (i = 0; i + 1 < cap; i++) {
		b = elf_obj__bytes(f->obj, addr - e->start + e->pgoff + i, 1);
		if (!b)
			return -EFAULT;
		if (!*b)
			break;
		buf[i] = *b >= 0x20 && *b < 0x7f ? (char)*b : '?';
	}
	buf[i] = '\0';
	return 0;
}
