/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_ELFOBJ_INT_H
#define TLSMEM_ELFOBJ_INT_H

/*
 * Inside the elfobj module, shared by elfobj.c (opening, parsing, symbols,
 * stubs, sections) and elfobj_version.c (strings searched in read-only
 * data: the OpenSSL version): struct elf_obj. Other modules use elfobj.h.
 */
#include <gelf.h>
#include <linux/types.h>
#include <stddef.h>

#define ELF_VERSION_MAX		64

struct fsym {
	__u64 off;		/* file offset of the first byte */
	__u64 end;		/* off + size, at least off + 1 */
	__u64 max_end;		/* max end over this and all earlier entries */
	const char *name;	/* in the ELF string table */
	unsigned int rank;	/* among aliases, lower wins */
};

struct symsec {
	Elf_Data *data;		/* NULL when the section is absent */
	size_t n;
	size_t strndx;
};

/* Bytes read from the file on demand, kept until the object is freed. */
struct chunk {
	struct chunk *next;
	__u8 data[];
};

struct elf_obj {
	char *img;		/* in-memory image (elf_obj__open_mem), or NULL */
	int fd;			/* the file, read on demand (elf_obj__open), or -1 */
	struct chunk *chunks;
	size_t len;
	Elf *elf;
	GElf_Phdr *load;	/* PT_LOAD headers */
	size_t nload;
	struct symsec dynsym, symtab;
	struct fsym *syms;
	size_t nsyms;
	struct nsym *nidx;	/* name index, built at the first lookup */
	size_t nidx_cap;	/* a power of two */
	int has_func;
	int table_state;	/* 0: not built yet, 1: built, -1: failed */
	int version_state;	/* 0: not searched yet, 1: found, -1: none */
	char version[ELF_VERSION_MAX + 1];
};

/*
 * len bytes at file offset off, copied into buf: from the image, or read
 * from the file. 0, or -EIO when the file is shorter (it may have changed).
 */
int elf_obj_copy_out(const struct elf_obj *o, __u64 off, size_t len, void *buf);

#endif /* TLSMEM_ELFOBJ_INT_H */
