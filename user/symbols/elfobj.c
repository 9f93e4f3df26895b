// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * ELF symbol lookup over the open file, read on demand: libelf reads the
 * headers and tables it is asked for (ELF_C_READ), and code and read-only
 * data are read with pread into chunks the elf_obj owns (reading, not mmap:
 * a file truncated under a mapping would raise SIGBUS). A debug file
 * unpacked in memory (elf_obj__open_mem) is parsed the same way from its
 * bounded image. Every libelf result is checked, PT_LOAD file ranges must
 * lie inside the file, and symbol names come from elf_strptr(), which checks
 * bounds and termination. The function symbols of .symtab and .dynsym
 * become, at the first lookup, one table sorted by file offset, with aliases
 * folded, for binary-search symbolization. elfobj_interp reads one
 * executable's PT_INTERP without an elf_obj.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfobj.h"
#include "elfobj_int.h"

#define ELF_MAX_BYTES		(1ull << 30)
#define ELF_MAX_SYMS		(4u << 20)	/* node has ~185k */
#define SYM_WALK_BACK		64		/* nested symbols checked per lookup */
#define ELF_CODE_MAX		(256u << 10)	/* function bytes handed out at most */

/* --- opening --- */

/*
 * Opens path for reading only if it is a regular file: opening a device or
 * FIFO named by a hostile process could block or have side effects. The
 * O_PATH descriptor is reopened through /proc/self/fd, so the checked file
 * is the one read.
 */
static int open_regular(const char *path, struct stat *st)
{
	char fdpath[64];
	int pfd, fd;

	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, st)) {
		fd = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		fd = -ENOEXEC;
		goto out;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd);
	fd = open(fdpath, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		fd = -errno;
out:
	close(pfd);
	return fd;
}

int elf_obj_copy_out(const struct elf_obj *o, __u64 off, size_t len, void *buf)
{
	size_t got = 0;
	ssize_t r;

	if (off > o->len || o->len - off < len)
		return -EIO;
	if (o->img) {
		memcpy(buf, o->img + off, len);
		return 0;
	}
	while (got < len) {
		r = pread(o->fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		got += (size_t)r;
	}
	return 0;
}

/* len bytes at file offset off, owned by o until elf_obj__free; NULL if out of the file. */
static const __u8 *raw_at(const struct elf_obj *o, __u64 off, size_t len)
{
	struct elf_obj *m = (struct elf_obj *)o;	/* chunks are a cache, not o's value */
	struct chunk *c;

	if (off > o->len || o->len - off < len)
		return NULL;
	if (o->img)
		return (const __u8 *)o->img + off;
	c = malloc(sizeof(*c) + (len ? len : 1));
	if (!c)
		return NULL;
	if (elf_obj_copy_out(o, off, len, c->data)) {
		free(c);
		return NULL;
	}
	c->next = m->chunks;
	m->chunks = c;
	return c->data;
}

/* --- address conversion --- */

static int off_of_vaddr(const struct elf_obj *o, __u64 v, __u64 *off)
{
	for (size_t i = 0; i < o->nload; i++) {
		const GElf_Phdr *p = &o->load[i];

		if (v >= p->p_vaddr && v - p->p_vaddr < p->p_filesz) {
			*off = v - p->p_vaddr + p->p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_obj__vaddr_of_off(const struct elf_obj *o, __u64 off, __u64 *vaddr)
{
	if (!o)
		return -EINVAL;
	for (size_t i = 0; i < o->nload; i++) {
		const GElf_Phdr *p = &o->load[i];

		if (off >= p->p_offset && off - p->p_offset < p->p_filesz) {
			*vaddr = off - p->p_offset + p->p_vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

/* --- parsing --- */

static int load_phdrs(struct elf_obj *o)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(o->elf, &n) || !n)
		return -ENOEXEC;
	o->load = calloc(n, sizeof(*o->load));
	if (!o->load)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(o->elf, (int)i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > o->len || o->len - ph.p_offset < ph.p_filesz)
			return -ENOEXEC;	/* truncated file */
		o->load[o->nload++] = ph;
	}
	return o->nload ? 0 : -ENOEXEC;
}

/* Records the symbol section scn in s, if it is usable. */
static void set_symsec(struct elf_obj *o, Elf_Scn *scn, const GElf_Shdr *sh, struct symsec *s)
{
	size_t entsize = gelf_fsize(o->elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Scn *str = elf_getscn(o->elf, sh->sh_link);
	GElf_Shdr strsh;
	Elf_Data *d;

	if (s->data || !entsize || !str || !gelf_getshdr(str, &strsh) ||
	    strsh.sh_type != SHT_STRTAB)
		return;
	d = elf_getdata(scn, NULL);
	if (!d || d->d_type != ELF_T_SYM || !d->d_buf)
		return;
	s->data = d;
	s->n = d->d_size / entsize;
	s->strndx = sh->sh_link;
}

static void find_symsecs(struct elf_obj *o)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(o->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM)
			set_symsec(o, scn, &sh, &o->dynsym);
		else if (sh.sh_type == SHT_SYMTAB)
			set_symsec(o, scn, &sh, &o->symtab);
	}
}

/* Per section index: 1 if the section holds executable code. */
static int exec_sections(const struct elf_obj *o, __u8 **out, size_t *n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t idx;

	*out = NULL;
	if (elf_getshdrnum(o->elf, n))
		return -ENOEXEC;
	*out = calloc(*n ? *n : 1, 1);
	if (!*out)
		return -ENOMEM;
	while ((scn = elf_nextscn(o->elf, scn))) {
		idx = elf_ndxscn(scn);
		if (idx < *n && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR))
			(*out)[idx] = 1;
	}
	return 0;
}

static int is_func_type(int type)
{
	return type == STT_FUNC || type == STT_GNU_IFUNC;
}

/* Whether sym belongs in the symbolization table. */
static int wanted(const GElf_Sym *sym, const __u8 *exec, size_t nsec)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE)
		return 0;
	if (is_func_type(type))
		return 1;
	if (type == STT_SECTION || type == STT_FILE || type == STT_TLS)
		return 0;
	return sym->st_size && sym->st_shndx < nsec && exec[sym->st_shndx];
}

static unsigned int bind_rank(const GElf_Sym *sym)
{
	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	default:
		return 2;
	}
}

static void add_syms(struct elf_obj *o, const struct symsec *s, unsigned int src_rank,
		     const __u8 *exec, size_t nsec)
{
	struct fsym *f;
	const char *name;
	GElf_Sym sym;
	__u64 off;

	for (size_t i = 0; s->data && i < s->n && o->nsyms < ELF_MAX_SYMS; i++) {
		if (!gelf_getsym(s->data, (int)i, &sym) || !wanted(&sym, exec, nsec))
			continue;
		name = elf_strptr(o->elf, s->strndx, sym.st_name);
		if (!name || !*name || off_of_vaddr(o, sym.st_value, &off))
			continue;
		f = &o->syms[o->nsyms++];
		f->off = off;
		f->end = off + (sym.st_size ? sym.st_size : 1);
		if (f->end < off)
			f->end = UINT64_MAX;
		f->name = name;
		f->rank = src_rank * 4 + bind_rank(&sym);
		o->has_func |= is_func_type(GELF_ST_TYPE(sym.st_info));
	}
}

static int cmp_fsym(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;	/* larger first */
	return strcmp(x->name, y->name);
}

/* Sorts, keeps the best alias per offset and fills max_end. */
static void finish_table(struct elf_obj *o)
{
	size_t n = 0;

	if (!o->nsyms)
		return;
	qsort(o->syms, o->nsyms, sizeof(*o->syms), cmp_fsym);
	for (size_t i = 0; i < o->nsyms; i++) {
		if (n && o->syms[n - 1].off == o->syms[i].off)
			continue;
		o->syms[n] = o->syms[i];
		o->syms[n].max_end = o->syms[n].end;
		if (n && o->syms[n - 1].max_end > o->syms[n].max_end)
			o->syms[n].max_end = o->syms[n - 1].max_end;
		n++;
	}
	o->nsyms = n;
}

static int build_table(struct elf_obj *o)
{
	size_t total = o->symtab.n + o->dynsym.n, nsec;
	__u8 *exec;
	int err;

	if (!total)
		return 0;
	if (total > ELF_MAX_SYMS)
		total = ELF_MAX_SYMS;
	o->syms = calloc(total, sizeof(*o->syms));
	if (!o->syms)
		return -ENOMEM;
	err = exec_sections(o, &exec, &nsec);
	if (err)
		return err;
	add_syms(o, &o->symtab, 0, exec, nsec);	/* .symtab names first */
	add_syms(o, &o->dynsym, 1, exec, nsec);
	free(exec);
	finish_table(o);
	return 0;
}

static int parse(struct elf_obj *o)
{
	GElf_Ehdr eh;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	o->elf = o->img ? elf_memory(o->img, o->len) : elf_begin(o->fd, ELF_C_READ, NULL);
	if (!o->elf || elf_kind(o->elf) != ELF_K_ELF || !gelf_getehdr(o->elf, &eh))
		return -ENOEXEC;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return -ENOEXEC;
	err = load_phdrs(o);
	if (err)
		return err;
	find_symsecs(o);
	return 0;
}

/* Takes ownership of img or fd (one of them), also on failure. */
static struct elf_obj *take(char *img, int fd, size_t len)
{
	struct elf_obj *o;
	int err;

	o = calloc(1, sizeof(*o));
	if (!o) {
		free(img);
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	o->img = img;
	o->fd = fd;
	o->len = len;
	err = parse(o);
	if (err) {
		elf_obj__free(o);
		errno = -err;
		return NULL;
	}
	return o;
}

/*
 * The file is read on demand (libelf's ELF_C_READ, and pread for code and
 * read-only data), not whole: node's executable is 100 MB, of which looking
 * up a few functions needs the symbol tables and a few hundred bytes.
 */
struct elf_obj *elf_obj__open(const char *path)
{
	struct stat st;
	int fd;

	fd = open_regular(path, &st);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if ((__u64)st.st_size > ELF_MAX_BYTES) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	return take(NULL, fd, (size_t)st.st_size);
}

struct elf_obj *elf_obj__open_mem(const void *buf, size_t len)
{
	char *img;

	if (!buf || !len) {
		errno = ENOEXEC;
		return NULL;
	}
	if (len > ELF_MAX_BYTES) {
		errno = EFBIG;
		return NULL;
	}
	img = malloc(len);
	if (!img) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(img, buf, len);
	return take(img, -1, len);
}

void elf_obj__free(struct elf_obj *o)
{
	if (!o)
		return;
	elf_end(o->elf);
	free(o->syms);
	free(o->nidx);
	free(o->load);
	free(o->img);
	if (o->fd >= 0)
		close(o->fd);
	while (o->chunks) {
		struct chunk *c = o->chunks;

		o->chunks = c->next;
		free(c);
	}
	free(o);
}

/* --- lookups --- */

/*
 * Name index over both symbol sections, built at the first lookup: node's
 * 100k+ symbols made every lookup a scan of all of them. An entry keeps the
 * definition a scan would find: .dynsym before .symtab, global or weak
 * before local, then the first.
 */
struct nsym {
	const char *name;	/* NULL: empty slot */
	__u64 off, size;
	unsigned int rank;
};

static __u64 name_hash(const char *s)
{
	__u64 h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (__u8)*s++) * 1099511628211ull;
	return h;
}

static void index_section(struct elf_obj *o, const struct symsec *s, unsigned int sec_rank)
{
	struct nsym *e;
	const char *n;
	GElf_Sym sym;
	unsigned int rank;
	__u64 v;

	for (size_t i = 0; s->data && i < s->n; i++) {
		if (!gelf_getsym(s->data, (int)i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
			continue;
		n = elf_strptr(o->elf, s->strndx, sym.st_name);
		if (!n || !*n || off_of_vaddr(o, sym.st_value, &v))
			continue;
		rank = sec_rank * 2 + (GELF_ST_BIND(sym.st_info) == STB_LOCAL);
		for (size_t h = name_hash(n) & (o->nidx_cap - 1);; h = (h + 1) & (o->nidx_cap - 1)) {
			e = &o->nidx[h];
			if (e->name && strcmp(e->name, n))
				continue;
			if (!e->name || rank < e->rank) {
				e->name = n;
				e->off = v;
				e->size = sym.st_size;
				e->rank = rank;
			}
			break;
		}
	}
}

static int build_name_index(struct elf_obj *o)
{
	size_t n = o->dynsym.n + o->symtab.n, cap = 16;

	if (n > ELF_MAX_SYMS)
		return -ENOENT;
	while (cap < 2 * n)
		cap *= 2;
	o->nidx = calloc(cap, sizeof(*o->nidx));
	if (!o->nidx)
		return -ENOMEM;
	o->nidx_cap = cap;
	index_section(o, &o->dynsym, 0);
	index_section(o, &o->symtab, 1);
	return 0;
}

static int lookup_func(const struct elf_obj *o, const char *name, __u64 *off, __u64 *size)
{
	struct elf_obj *m = (struct elf_obj *)o;	/* the index is a cache, not o's value */

	if (!o->nidx && build_name_index(m))
		return -ENOENT;
	for (size_t h = name_hash(name) & (o->nidx_cap - 1);; h = (h + 1) & (o->nidx_cap - 1)) {
		const struct nsym *e = &o->nidx[h];

		if (!e->name)
			return -ENOENT;
		if (!strcmp(e->name, name)) {
			*off = e->off;
			*size = e->size;
			return 0;
		}
	}
}

int elf_obj__func_off(const struct elf_obj *o, const char *name, __u64 *off)
{
	__u64 size;

	if (!o || !name)
		return -EINVAL;
	return lookup_func(o, name, off, &size);
}

int elf_obj__func_code(const struct elf_obj *o, const char *name, __u64 *off,
		       const __u8 **code, size_t *len)
{
	__u64 size = 0;
	int err;

	if (!o || !name)
		return -EINVAL;
	err = lookup_func(o, name, off, &size);
	if (err)
		return err;
	if (*off >= o->len)
		return -ENOENT;
	*len = size && size <= o->len - *off && size <= ELF_CODE_MAX ? (size_t)size : 0;
	*code = raw_at(o, *off, *len);
	return *code ? 0 : -EIO;
}

/* The address-ordered table, built at the first need: attaching needs names only. */
static void need_table(const struct elf_obj *o)
{
	struct elf_obj *m = (struct elf_obj *)o;	/* the table is a cache, not o's value */

	if (!o->table_state)
		m->table_state = build_table(m) ? -1 : 1;
}

const char *elf_obj__symbolize(const struct elf_obj *o, __u64 off, __u64 *delta)
{
	size_t lo = 0, hi, mid;

	if (o)
		need_table(o);
	if (!o || !o->nsyms || off < o->syms[0].off)
		return NULL;
	hi = o->nsyms;			/* last entry with start <= off */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (o->syms[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	/* a nested symbol may end before off while an enclosing one goes on */
	for (size_t steps = 0; steps < SYM_WALK_BACK; steps++, lo--) {
		const struct fsym *f = &o->syms[lo];

		if (f->max_end <= off)
			break;		/* nothing earlier reaches off */
		if (off < f->end) {
			*delta = off - f->off;
			return f->name;
		}
		if (!lo)
			break;
	}
	return NULL;
}

int elf_obj__has_symbols(const struct elf_obj *o)
{
	if (o)
		need_table(o);
	return o && o->has_func;
}

/* --- PLT stubs --- */

/* Name of the dynamic symbol a relocation of GOT slot `slot` binds, or NULL. */
static const char *slot_symbol(const struct elf_obj *o, __u64 slot)
{
	Elf_Scn *scn = NULL, *symscn;
	GElf_Shdr sh, symsh;
	GElf_Rela r;
	GElf_Sym sym;
	Elf_Data *d, *symd;
	size_t n, i;

	while ((scn = elf_nextscn(o->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		symscn = elf_getscn(o->elf, sh.sh_link);
		if (!d || !symscn || !gelf_getshdr(symscn, &symsh) ||
		    (symsh.sh_type != SHT_DYNSYM && symsh.sh_type != SHT_SYMTAB))
			continue;
		symd = elf_getdata(symscn, NULL);
		n = d->d_size / sh.sh_entsize;
		for (i = 0; symd && i < n; i++) {
			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != slot)
				continue;
			if (GELF_R_TYPE(r.r_info) != R_X86_64_JUMP_SLOT &&
			    GELF_R_TYPE(r.r_info) != R_X86_64_GLOB_DAT)
				continue;
			if (!gelf_getsym(symd, (int)GELF_R_SYM(r.r_info), &sym))
				return NULL;
			return elf_strptr(o->elf, symsh.sh_link, sym.st_name);
		}
	}
	return NULL;
}

const char *elf_obj__stub_symbol(const struct elf_obj *o, __u64 vaddr)
{
	static const __u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	const __u8 *c;
	__u64 off, at = vaddr;
	__s32 disp;

	if (!o || off_of_vaddr(o, vaddr, &off))
		return NULL;
	c = raw_at(o, off, 16);
	if (!c)
		return NULL;
	if (!memcmp(c, endbr64, sizeof(endbr64))) {
		c += sizeof(endbr64);
		at += sizeof(endbr64);
	}
	if (c[0] == 0xf2) {		/* bnd */
		c++;
		at++;
	}
	if (c[0] != 0xff || c[1] != 0x25)	/* jmp *disp32(%rip) */
		return NULL;
	memcpy(&disp, c + 2, sizeof(disp));
	return slot_symbol(o, at + 6 + (__u64)(__s64)disp);
}

int elf_obj__off_of_vaddr(const struct elf_obj *o, __u64 vaddr, __u64 *off)
{
	return o ? off_of_vaddr(o, vaddr, off) : -EINVAL;
}

const __u8 *elf_obj__bytes(const struct elf_obj *o, __u64 off, size_t len)
{
	return o ? raw_at(o, off, len) : NULL;
}

/* --- sections --- */

static int get_sec(const struct elf_obj *o, Elf_Scn *scn, struct elf_sec *out)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh))
		return -ENOENT;
	if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > o->len || o->len - sh.sh_offset < sh.sh_size))
		return -ENOENT;
	out->vaddr = sh.sh_addr;
	out->off = sh.sh_offset;
	out->size = sh.sh_size;
	out->flags = sh.sh_flags;
	out->type = sh.sh_type;
	return 0;
}

size_t elf_obj__nsections(const struct elf_obj *o)
{
	size_t n = 0;

	return o && !elf_getshdrnum(o->elf, &n) ? n : 0;
}

int elf_obj__section_at(const struct elf_obj *o, size_t i, struct elf_sec *out,
			const char **name)
{
	size_t shstrndx;
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (!o || !i || i >= elf_obj__nsections(o))
		return -ENOENT;
	scn = elf_getscn(o->elf, i);
	if (!scn || get_sec(o, scn, out) || !gelf_getshdr(scn, &sh))
		return -ENOENT;
	*name = NULL;
	if (!elf_getshdrstrndx(o->elf, &shstrndx))
		*name = elf_strptr(o->elf, shstrndx, sh.sh_name);
	if (!*name)
		*name = "";
	return 0;
}

int elf_obj__section(const struct elf_obj *o, const char *name, struct elf_sec *out)
{
	size_t n = elf_obj__nsections(o);
	const char *sn;

	for (size_t i = 1; name && i < n; i++) {
		if (!elf_obj__section_at(o, i, out, &sn) && !strcmp(sn, name))
			return 0;
	}
	return -ENOENT;
}

int elf_obj__section_of_type(const struct elf_obj *o, __u32 type, struct elf_sec *out)
{
	size_t n = elf_obj__nsections(o);
	const char *sn;

	for (size_t i = 1; i < n; i++) {
		if (!elf_obj__section_at(o, i, out, &sn) && out->type == type)
			return 0;
	}
	return -ENOENT;
}

int elf_obj__read(const struct elf_obj *o, __u64 off, size_t len, void *buf)
{
	return o ? elf_obj_copy_out(o, off, len, buf) : -EINVAL;
}

int elf_obj__has_symtab(const struct elf_obj *o)
{
	return o && o->symtab.data && o->symtab.n > 1;
}

int elf_obj__is_x86_64(const struct elf_obj *o)
{
	GElf_Ehdr eh;

	return o && gelf_getehdr(o->elf, &eh) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_machine == EM_X86_64;
}

int elfobj_interp(const char *exe, char *buf, size_t cap)
{
	int fd, err = 0;
	size_t i, n;
	GElf_Phdr ph;
	Elf *elf;

	buf[0] = '\0';
	elf_version(EV_CURRENT);
	fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &n)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (!ph.p_filesz || ph.p_filesz >= cap ||
		    pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) {
			err = -ENOEXEC;
			buf[0] = '\0';
			break;
		}
		buf[ph.p_filesz - 1] = '\0';
		break;
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}
