// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Finding OpenSSL in a process; see target.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "debugfile.h"
#include "elfobj.h"
#include "procmaps.h"
#include "target.h"

const char *target_obj_kind_name(enum obj_kind k)
{
	switch (k) {
	case OBJ_STATIC:
		return "static";
	case OBJ_DELETED:
		return "deleted";
	default:
		return "shared";
	}
}

static __u64 file_key(const struct map_entry *e)
{
	return ((__u64)makedev(e->dev_major, e->dev_minor) << 40) ^ e->inode;
}

static bool seen_before(struct target *t, const struct map_entry *e)
{
	__u64 k = file_key(e), *v;
	char **names;
	size_t i;

	for (i = 0; i < t->nseen; i++)
		if (t->seen[i] == k)
			return true;
	v = realloc(t->seen, (t->nseen + 1) * sizeof(*v));
	if (!v)
		return true;		/* cannot remember it: do not look at it either */
	t->seen = v;
	names = realloc(t->seen_names, (t->nseen + 1) * sizeof(*names));
	if (!names)
		return true;
	t->seen_names = names;
	t->seen[t->nseen] = k;
	t->seen_names[t->nseen] = strdup(e->path);
	t->nseen++;
	return false;
}

static bool is_exe(int pid, const struct map_entry *e)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return false;
	return st.st_ino == e->inode && major(st.st_dev) == e->dev_major &&
	       minor(st.st_dev) == e->dev_minor;
}

static bool defines(const struct elf_obj *o, const char *name)
{
	__u64 off;

	return elf_obj__func_off(o, name, &off) == 0;
}

static void set_build_id(struct ssl_obj *s, const struct elf_obj *o)
{
	__u8 id[BUILD_ID_MAX];
	int len = debugfile_build_id(o, id, sizeof(id));

	debugfile_hex(id, len > 0 ? (size_t)len : 0, s->build_id, sizeof(s->build_id));
}

static int add_obj(struct target *t, const struct map_entry *e, struct elf_obj *o,
		   const char *attach_path)
{
	struct ssl_obj *v = realloc(t->objs, (t->nobjs + 1) * sizeof(*v));
	struct ssl_obj *s;
	const char *ver;

	if (!v)
		return -ENOMEM;
	t->objs = v;
	s = &v[t->nobjs];
	memset(s, 0, sizeof(*s));
	s->path = strdup(e->path);
	ver = elf_obj__openssl_version(o);
	s->version = ver ? strdup(ver) : NULL;
	set_build_id(s, o);
	if (!s->path)
		return -ENOMEM;
	snprintf(s->attach_path, sizeof(s->attach_path), "%s", attach_path);
	s->kind = e->deleted ? OBJ_DELETED : is_exe(t->pid, e) ? OBJ_STATIC : OBJ_SHARED;
	s->dev = makedev(e->dev_major, e->dev_minor);
	s->inode = e->inode;
	s->elf = o;
	s->has_alloc = defines(o, "CRYPTO_malloc") || defines(o, "OPENSSL_malloc");
	s->has_ssl = defines(o, "SSL_new");
	t->nobjs++;
	return 0;
}

static int examine(struct target *t, const struct map_entry *e, const char *path)
{
	struct elf_obj *o;

	o = elf_obj__open(path);
	if (!o)
		return 0;		/* not ELF, or unreadable: not ours to probe */
	if (!t->loader && defines(o, "_dl_debug_state")) {
		t->loader = o;
		snprintf(t->loader_path, sizeof(t->loader_path), "%s", path);
		return 0;
	}
	if (!defines(o, "CRYPTO_malloc") && !defines(o, "OPENSSL_malloc") &&
	    !defines(o, "SSL_new")) {
		elf_obj__free(o);
		return 0;
	}
	if (add_obj(t, e, o, path)) {
		elf_obj__free(o);
		return -ENOMEM;
	}
	return 1;
}

static size_t dir_len(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? (size_t)(b - path) : 0;
}

/*
 * libssl carries no version string of its own (OpenSSL 3 keeps it in
 * libcrypto); it is the same release as the libcrypto beside it, or failing
 * that any libcrypto of the process.
 */
static void lend_versions(struct target *t)
{
	size_t i, j;

	for (i = 0; i < t->nobjs; i++) {
		const struct ssl_obj *from = NULL;
		struct ssl_obj *o = &t->objs[i];

		if (o->version)
			continue;
		for (j = 0; j < t->nobjs; j++) {
			const struct ssl_obj *c = &t->objs[j];

			if (j == i || !c->version || !c->has_alloc)
				continue;
			if (!from || (dir_len(c->path) == dir_len(o->path) &&
				      !strncmp(c->path, o->path, dir_len(o->path))))
				from = c;
		}
		if (from)
			o->version = strdup(from->version);
	}
}

int target__add_file(struct target *t, const char *path)
{
	struct map_entry e = { .path = (char *)path };
	struct stat st;
	int n;

	if (stat(path, &st))
		return -errno;
	e.dev_major = major(st.st_dev);
	e.dev_minor = minor(st.st_dev);
	e.inode = st.st_ino;
	if (seen_before(t, &e))
		return 0;
	if (strlen(path) >= sizeof(t->loader_path))
		return -ENAMETOOLONG;
	n = examine(t, &e, path);
	if (n > 0)
		t->objs[t->nobjs - 1].kind = OBJ_STATIC;
	lend_versions(t);
	return n ? n : t->loader != NULL;
}

int target__scan(struct target *t)
{
	struct map_list maps = { 0 };
	int err, n = 0;
	size_t i;

	err = procmaps_read(t->pid, &maps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		char path[64];

		if (!e->inode || e->path[0] != '/' || seen_before(t, e) ||
		    procmaps_object_path(t->pid, e, path, sizeof(path)))
			continue;
		err = examine(t, e, path);
		if (err < 0)
			break;
		n += err;
	}
	map_list__free(&maps);
	lend_versions(t);
	return err < 0 ? err : n;
}

void target__drop_elves(struct target *t)
{
	size_t i;

	for (i = 0; i < t->nobjs; i++) {
		if (!t->objs[i].attached)
			continue;
		elf_obj__free(t->objs[i].elf);
		t->objs[i].elf = NULL;
	}
	if (t->loader_attached) {
		elf_obj__free(t->loader);
		t->loader = NULL;
	}
}

void target__free(struct target *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nobjs; i++) {
		free(t->objs[i].path);
		free(t->objs[i].version);
		elf_obj__free(t->objs[i].elf);
	}
	free(t->objs);
	for (i = 0; i < t->nseen; i++)
		free(t->seen_names[i]);
	free(t->seen_names);
	free(t->seen);
	elf_obj__free(t->loader);
	memset(t, 0, sizeof(*t));
}

void target__skip(struct target *t, const struct map_entry *e)
{
	seen_before(t, e);
}

int target__inherit(struct target *child, const struct target *parent)
{
	size_t i;

	child->seen = malloc((parent->nseen ? parent->nseen : 1) * sizeof(*child->seen));
	child->seen_names = calloc(parent->nseen ? parent->nseen : 1, sizeof(*child->seen_names));
	if (!child->seen || !child->seen_names)
		return -ENOMEM;
	for (i = 0; i < parent->nseen; i++) {
		child->seen[i] = parent->seen[i];
		child->seen_names[i] = parent->seen_names[i] ? strdup(parent->seen_names[i]) : NULL;
	}
	child->nseen = parent->nseen;
	child->loader_attached = parent->loader_attached;
	snprintf(child->loader_path, sizeof(child->loader_path), "%s", parent->loader_path);
	return 0;
}

void target__release(struct target *t, bool keep_objs)
{
	struct target keep = { .pid = t->pid, .ppid = t->ppid, .exited = t->exited,
			       .child = t->child, .exit_status = t->exit_status,
			       .start_ns = t->start_ns, .exit_ns = t->exit_ns };

	memcpy(keep.comm, t->comm, sizeof(keep.comm));
	memcpy(keep.exe, t->exe, sizeof(keep.exe));
	memcpy(keep.container, t->container, sizeof(keep.container));
	memcpy(keep.pod, t->pod, sizeof(keep.pod));
	if (keep_objs) {
		target__drop_elves(t);
		keep.objs = t->objs;
		keep.nobjs = t->nobjs;
		t->objs = NULL;
		t->nobjs = 0;
	}
	target__free(t);
	*t = keep;
}

void target__describe_seen(const struct target *t, char *buf, size_t cap)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < t->nseen && len + 1 < cap; i++) {
		int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
				 t->seen_names[i] ? t->seen_names[i] : "?");

		if (n < 0)
			break;
		len += (size_t)n;
	}
}
