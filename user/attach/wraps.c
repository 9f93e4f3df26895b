// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Wrapper slots: a wrapper left unprobed (CRYPTO_zalloc around CRYPTO_malloc)
 * still needs the allocation's caller, found on its frame by the return
 * program at the return point this file computes per process and sets in
 * the wraps map; and, in follow mode, the files probed for every process.
 * See probe_int.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "tlsmem.skel.h"
#include "elfobj.h"
#include "log.h"
#include "place.h"
#include "procmaps.h"
#include "target.h"
#include "tlsmem.h"
#include "probe_int.h"

struct wrap_ctx {
	const struct elf_obj *elf;
	const char *inner;
	__u64 inner_vaddr;
};

/* What a branch out of a wrapper reaches: the inner function, a harmless callee, or else. */
static enum wrap_role wrap_role_of(void *ctx, __u64 target)
{
	const struct wrap_ctx *c = ctx;
	const char *name;
	__u64 off, delta;

	if (target == c->inner_vaddr)
		return WRAP_INNER;
	name = elf_obj__stub_symbol(c->elf, target);
	if (!name && !elf_obj__off_of_vaddr(c->elf, target, &off)) {
		name = elf_obj__symbolize(c->elf, off, &delta);
		if (delta)
			name = NULL;
	}
	if (!name)
		return WRAP_OTHER;
	if (!strcmp(name, c->inner))
		return WRAP_INNER;
	if (!strcmp(name, "memset") || !strcmp(name, "OPENSSL_cleanse"))
		return WRAP_HARMLESS;
	return WRAP_OTHER;
}

static int add_pending(struct probe *p, const struct pending_wrap *w)
{
	if (p->npend == p->pend_cap) {
		size_t cap = p->pend_cap ? p->pend_cap * 2 : 16;
		struct pending_wrap *v = realloc(p->pend, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->pend = v;
		p->pend_cap = cap;
	}
	p->pend[p->npend++] = *w;
	return 0;
}

bool probe_wrap_elide(struct probe *p, int pid, const struct ssl_obj *obj, const char *wrapper,
		      const char *inner, bool alloc, __u64 *cookie)
{
	struct wrap_ctx c = { .elf = obj->elf, .inner = inner };
	struct pending_wrap pw = { .pid = pid, .dev = obj->dev, .inode = obj->inode };
	struct wrap_info w;
	const __u8 *code;
	__u64 off, vaddr, inner_off;
	size_t len;

	if (elf_obj__func_code(obj->elf, wrapper, &off, &code, &len) ||
	    elf_obj__vaddr_of_off(obj->elf, off, &vaddr) ||
	    elf_obj__func_off(obj->elf, inner, &inner_off) ||
	    elf_obj__vaddr_of_off(obj->elf, inner_off, &c.inner_vaddr) ||
	    place_wrapper(code, len, vaddr, wrap_role_of, &c, &w))
		return false;
	if (!alloc)
		return true;		/* a free: no caller to find */
	if (w.depth < 0)
		return false;		/* the allocation's caller could not be found */
	if (!w.ret_off)
		return true;		/* a tail call: the inner function sees the caller */
	if (p->next_slot >= TLSMEM_WRAP_SLOTS)
		return false;
	pw.slot = p->next_slot;
	pw.off = off + w.ret_off;
	pw.depth = (__u64)w.depth;
	if (add_pending(p, &pw))
		return false;
	p->next_slot++;
	p->skel->bss->wrap_nslots = p->next_slot;
	*cookie = pw.slot + 1;
	return true;
}

/* 1 when slot w is resolved or can never be, 0 when its object is not mapped yet. */
static int resolve_wrap(struct probe *p, const struct pending_wrap *w)
{
	struct { __u64 ret, depth; } v = { .depth = w->depth };
	struct { __u32 pid, slot; } k = { .pid = (__u32)w->pid, .slot = w->slot };
	struct map_list ml = { 0 };
	size_t i;
	int err;

	err = procmaps_read(w->pid, &ml);
	if (err)
		return 1;		/* gone */
	for (i = 0; i < ml.n && !v.ret; i++) {
		const struct map_entry *e = &ml.v[i];

		if (e->x && e->inode == w->inode &&
		    (__u64)makedev(e->dev_major, e->dev_minor) == w->dev &&
		    w->off >= e->pgoff && w->off - e->pgoff < e->end - e->start)
			v.ret = e->start + (w->off - e->pgoff);
	}
	map_list__free(&ml);
	if (!v.ret)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.wraps), &k, &v, BPF_ANY))
		p_warn("cannot set a wrapper slot: %s", strerror(errno));
	return 1;
}

void probe__resolve_wraps(struct probe *p)
{
	size_t i = 0;

	while (p && i < p->npend) {
		if (resolve_wrap(p, &p->pend[i]))
			p->pend[i] = p->pend[--p->npend];
		else
			i++;
	}
}

struct pfile *probe_file_find(struct probe *p, __u64 dev, __u64 inode)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].dev == dev && p->files[i].inode == inode)
			return &p->files[i];
	return NULL;
}

struct pfile *probe_file_add(struct probe *p, __u64 dev, __u64 inode)
{
	struct pfile *f;

	if (p->nfiles == p->files_cap) {
		size_t cap = p->files_cap ? p->files_cap * 2 : 8;

		f = realloc(p->files, cap * sizeof(*f));
		if (!f)
			return NULL;
		p->files = f;
		p->files_cap = cap;
	}
	f = &p->files[p->nfiles++];
	memset(f, 0, sizeof(*f));
	f->dev = dev;
	f->inode = inode;
	return f;
}

int probe_file_attach_known(struct probe *p, int pid, struct ssl_obj *obj, const struct pfile *f)
{
	struct pending_wrap w = f->wrap;
	int err = 0;

	obj->attached = true;
	if (f->has_wrap) {
		w.pid = pid;
		err = add_pending(p, &w);
		probe__resolve_wraps(p);
	}
	return err;
}

int probe_file_remember(struct probe *p, const struct ssl_obj *obj, __u64 wrap_cookie)
{
	struct pfile *f = probe_file_add(p, obj->dev, obj->inode);
	size_t i;

	if (!f)
		return -ENOMEM;
	for (i = 0; wrap_cookie && i < p->npend; i++)
		if (p->pend[i].slot == wrap_cookie - 1) {
			f->wrap = p->pend[i];
			f->has_wrap = true;
		}
	return 0;
}
