/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_ELFOBJ_H
#define TLSMEM_ELFOBJ_H

/*
 * Symbols of one ELF file, read through libelf from the open file on demand
 * (or from a private in-memory copy): function name -> file offset (what a
 * uprobe attach wants), file offset -> containing function, the embedded
 * OpenSSL version string, PLT stubs -> the symbols they jump to.
 * The file belongs to the target process and is hostile input: every size
 * is bounded and malformed files fail with ENOEXEC. No libbpf, no curses.
 * An elf_obj is not safe for concurrent use.
 */
#include <linux/types.h>
#include <stddef.h>

struct elf_obj;

/*
 * Opens the regular file at path (at most 1 GiB) and parses its headers; the
 * file stays open and is read as lookups need it. Returns the object, or
 * NULL with errno set: ENOEXEC for a non-regular file, not an ELF executable
 * or shared object, or a malformed one; EFBIG when too large; otherwise the
 * open/read error.
 */
struct elf_obj *elf_obj__open(const char *path);

/* Same over a caller buffer, which is copied (the caller keeps it). */
struct elf_obj *elf_obj__open_mem(const void *buf, size_t len);

/* NULL-safe. Invalidates every string the object returned. */
void elf_obj__free(struct elf_obj *o);

/*
 * File offset of the defined function `name` (exact match, no version
 * suffix), from .dynsym then .symtab, preferring global symbols. Returns 0,
 * or -ENOENT when there is no such function or it lies outside every
 * PT_LOAD segment's file image.
 */
int elf_obj__func_off(const struct elf_obj *o, const char *name, __u64 *off);

/*
 * Like elf_obj__func_off, and also the function's bytes as stored in the
 * file: *code points into o (valid until elf_obj__free), *len is the
 * symbol's size, 0 when unknown, past the file's end or over 256 KiB.
 * 0, -ENOENT, -EINVAL, or -EIO when the file can no longer be read.
 */
int elf_obj__func_code(const struct elf_obj *o, const char *name, __u64 *off,
		       const __u8 **code, size_t *len);

/*
 * Name of the function containing file offset off (a STT_FUNC symbol, or a
 * sized symbol in an executable section; .symtab names win over .dynsym),
 * with *delta = off - symbol start. NULL if none. The string is owned by o.
 */
const char *elf_obj__symbolize(const struct elf_obj *o, __u64 off, __u64 *delta);

/* Virtual address (as in the ELF headers) of file offset off: 0 or -ENOENT. */
int elf_obj__vaddr_of_off(const struct elf_obj *o, __u64 off, __u64 *vaddr);

/*
 * When the code at virtual address vaddr is a PLT stub (`jmp *slot(%rip)`,
 * optionally after endbr64 and a bnd prefix) whose GOT slot a JUMP_SLOT or
 * GLOB_DAT relocation binds to a symbol: that symbol's name (owned by o).
 * NULL otherwise.
 */
const char *elf_obj__stub_symbol(const struct elf_obj *o, __u64 vaddr);

/* File offset of virtual address vaddr (as in the ELF headers): 0 or -ENOENT. */
int elf_obj__off_of_vaddr(const struct elf_obj *o, __u64 vaddr, __u64 *off);

/* The len bytes at file offset off (owned by o), or NULL past the end. */
const __u8 *elf_obj__bytes(const struct elf_obj *o, __u64 off, size_t len);

/* 1 if the object defines any function symbol, else 0. */
int elf_obj__has_symbols(const struct elf_obj *o);

/*
 * The OpenSSL or LibreSSL version string found in allocated read-only data,
 * e.g. "OpenSSL 3.0.19 27 Jan 2026" (at most 64 characters), "BoringSSL" if
 * only that marker is present, or NULL. Searched on first call, then cached
 * in o; the string is owned by o.
 */
const char *elf_obj__openssl_version(const struct elf_obj *o);

/* 1 when s occurs in the file's read-only data sections, else 0. */
int elf_obj__has_rodata_string(const struct elf_obj *o, const char *s);

/* A section header, checked: a section with file bytes lies inside the file. */
struct elf_sec {
	__u64 vaddr;		/* sh_addr */
	__u64 off;		/* sh_offset */
	__u64 size;
	__u64 flags;		/* SHF_* */
	__u32 type;		/* SHT_* */
};

/* The first section named name: 0, or -ENOENT (absent, or outside the file). */
int elf_obj__section(const struct elf_obj *o, const char *name, struct elf_sec *out);

/* The first section of type type (SHT_*): 0, or -ENOENT. */
int elf_obj__section_of_type(const struct elf_obj *o, __u32 type, struct elf_sec *out);

/*
 * Section number i (1 up to elf_obj__nsections - 1), with its name in *name
 * (owned by o, "" when unnamed): 0, or -ENOENT.
 */
int elf_obj__section_at(const struct elf_obj *o, size_t i, struct elf_sec *out,
			const char **name);
size_t elf_obj__nsections(const struct elf_obj *o);

/* Copies the len bytes at file offset off into buf: 0, or -EIO past the end. */
int elf_obj__read(const struct elf_obj *o, __u64 off, size_t len, void *buf);

/* 1 when the file has a .symtab (it is not stripped), else 0. */
int elf_obj__has_symtab(const struct elf_obj *o);

/* 1 for a 64-bit little-endian x86-64 file, else 0. */
int elf_obj__is_x86_64(const struct elf_obj *o);

/*
 * For an executable not started yet: its program interpreter (PT_INTERP) into
 * buf, "" when static. 0 or -errno.
 */
int elfobj_interp(const char *exe, char *buf, size_t cap);

#endif /* TLSMEM_ELFOBJ_H */
