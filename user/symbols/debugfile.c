// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Debug files: build-ids, debuglinks, and the .symtab of a debug image.
 * libelf reads the images; every section used is checked for type and
 * bounds, and only function symbols with a name are kept (in a functab, so
 * the image is released as soon as it is read).
 */
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "debugfile.h"
#include "elfobj.h"
#include "fileio.h"
#include "functab.h"
#include "log.h"

#define NOTE_MAX_BYTES		(64u << 10)	/* notes read per section */
#define DEBUGLINK_MAX_BYTES	4096
#define CRC_CHUNK		(1u << 20)
#define DEBUG_DIR		"/usr/lib/debug"
#define NT_GNU_BUILD_ID_	3
#define SYMTAB_MAX_BYTES	(128u << 20)	/* node's .symtab: 2.6 MB */
#define STRTAB_MAX_BYTES	(256u << 20)

static __u32 rd32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int debugfile_note_build_id(const __u8 *p, size_t len, __u8 *out, size_t cap)
{
	size_t pos = 0, namesz, descsz, name_pad, desc_pad;

	while (len - pos >= 12) {
		namesz = rd32(p + pos);
		descsz = rd32(p + pos + 4);
		name_pad = (namesz + 3) & ~(size_t)3;
		desc_pad = (descsz + 3) & ~(size_t)3;
		pos += 12;
		if (name_pad > len - pos || desc_pad > len - pos - name_pad)
			return -ENOENT;
		if (rd32(p + pos - 4) == NT_GNU_BUILD_ID_ && namesz == 4 &&
		    !memcmp(p + pos, "GNU", 4) && descsz && descsz <= cap) {
			memcpy(out, p + pos + name_pad, descsz);
			return (int)descsz;
		}
		pos += name_pad + desc_pad;
	}
	return -ENOENT;
}

void debugfile_hex(const __u8 *id, size_t len, char *buf, size_t cap)
{
	size_t i;

	if (!cap)
		return;
	buf[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < cap; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
}

int debugfile_build_id(const struct elf_obj *o, __u8 *out, size_t cap)
{
	size_t n = elf_obj__nsections(o);
	struct elf_sec sec;
	const char *name;
	__u8 *buf;
	int len = -ENOENT;

	for (size_t i = 1; i < n && len < 0; i++) {
		if (elf_obj__section_at(o, i, &sec, &name) || sec.type != SHT_NOTE ||
		    !sec.size || sec.size > NOTE_MAX_BYTES)
			continue;
		buf = malloc(sec.size);
		if (!buf)
			return -ENOMEM;
		if (!elf_obj__read(o, sec.off, sec.size, buf))
			len = debugfile_note_build_id(buf, sec.size, out, cap);
		free(buf);
	}
	return len;
}

int debugfile_debuglink(const struct elf_obj *o, char *name, size_t cap, __u32 *crc)
{
	__u8 buf[DEBUGLINK_MAX_BYTES];
	struct elf_sec sec;
	size_t len, at;

	if (elf_obj__section(o, ".gnu_debuglink", &sec) || sec.type != SHT_PROGBITS ||
	    sec.size < 8 || sec.size > sizeof(buf) || elf_obj__read(o, sec.off, sec.size, buf))
		return -ENOENT;
	len = strnlen((const char *)buf, sec.size);
	at = (len + 4) & ~(size_t)3;		/* NUL, then padding to 4 */
	if (!len || len >= cap || at + 4 > sec.size || memchr(buf, '/', len) ||
	    !strcmp((const char *)buf, ".") || !strcmp((const char *)buf, ".."))
		return -ENOENT;
	memcpy(name, buf, len + 1);
	*crc = rd32(buf + at);
	return 0;
}

/* The build-id in the notes of e: its length, or -ENOENT. */
static int elf_build_id(Elf *e, __u8 *out, size_t cap)
{
	Elf_Scn *scn = NULL;
	Elf_Data *d;
	GElf_Shdr sh;
	int len;

	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || sh.sh_size > NOTE_MAX_BYTES)
			continue;
		d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		len = debugfile_note_build_id(d->d_buf, d->d_size, out, cap);
		if (len > 0)
			return len;
	}
	return -ENOENT;
}

static int add_symtab(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct functab *t)
{
	size_t entsize = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT), n;
	Elf_Scn *str = elf_getscn(e, sh->sh_link);
	GElf_Shdr strsh;
	const char *name;
	Elf_Data *d;
	GElf_Sym sym;
	int type, err;

	if (!entsize || !str || !gelf_getshdr(str, &strsh) || strsh.sh_type != SHT_STRTAB)
		return -ENOENT;
	if (sh->sh_size > SYMTAB_MAX_BYTES || strsh.sh_size > STRTAB_MAX_BYTES)
		return -EFBIG;		/* read whole by libelf: a hostile size is refused first */
	d = elf_getdata(scn, NULL);
	if (!d || d->d_type != ELF_T_SYM || !d->d_buf)
		return -ENOENT;
	n = d->d_size / entsize;
	for (size_t i = 1; i < n; i++) {
		if (!gelf_getsym(d, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    sym.st_shndx >= SHN_LORESERVE || !sym.st_value)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		err = functab__add(t, sym.st_value, sym.st_size, name,
				   GELF_ST_BIND(sym.st_info) == STB_LOCAL);
		if (err)
			return err;
	}
	return 0;
}

static int syms_of(Elf *e, const __u8 *want, size_t want_len, struct functab *t)
{
	__u8 id[BUILD_ID_MAX];
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	int len, err = -ENOENT;

	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return -ENOEXEC;
	if (want_len) {
		len = elf_build_id(e, id, sizeof(id));
		if (len > 0 && ((size_t)len != want_len || memcmp(id, want, want_len)))
			return -EBADMSG;
	}
	while ((scn = elf_nextscn(e, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			err = add_symtab(e, scn, &sh, t);
			break;
		}
	}
	if (err)
		functab__free(t);
	else
		functab__finish(t);
	return err;
}

int debugfile_syms_mem(const void *buf, size_t len, const __u8 *want, size_t want_len,
		       struct functab *t)
{
	Elf *e;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE || !buf || !len)
		return -ENOEXEC;
	e = elf_memory((char *)buf, len);
	err = syms_of(e, want, want_len, t);
	elf_end(e);
	return err;
}

int debugfile_syms_fd(int fd, const __u8 *want, size_t want_len, struct functab *t)
{
	struct stat st;
	Elf *e;
	int err;

	if (fstat(fd, &st))
		return -errno;
	if ((__u64)st.st_size > DEBUGFILE_MAX_BYTES)
		return -EFBIG;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	e = elf_begin(fd, ELF_C_READ, NULL);
	err = syms_of(e, want, want_len, t);
	elf_end(e);
	return err;
}

int debugfile_crc(int fd, __u32 *crc)
{
	__u64 total = 0;
	uLong c = crc32(0L, Z_NULL, 0);
	ssize_t r;
	__u8 *buf = malloc(CRC_CHUNK);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		r = pread(fd, buf, CRC_CHUNK, (off_t)total);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		total += (__u64)r;
		if (total > DEBUGFILE_MAX_BYTES) {
			free(buf);
			return -EFBIG;
		}
		c = crc32(c, buf, (uInt)r);
	}
	free(buf);
	if (r < 0)
		return -errno;
	*crc = (__u32)c;
	return 0;
}

/* --- finding --- */

struct want {
	const __u8 *id;
	size_t id_len;
	int check_crc;
	__u32 crc;
};

/* Reads path (inside pid's root; pid 0: the host) if it is the wanted debug file. */
static int try_file(int pid, const char *path, const struct want *w, struct functab *t)
{
	__u32 crc;
	int fd, err;

	fd = fileio_open_in_root(pid, path);
	if (fd < 0)
		return fd;
	if (w->check_crc) {
		err = debugfile_crc(fd, &crc);
		if (!err && crc != w->crc) {
			p_debug("debug file %s%s: CRC %08x, the debuglink wants %08x; skipped",
				pid ? "(target root) " : "", path, crc, w->crc);
			err = -EBADMSG;
		}
		if (err)
			goto out;
	}
	err = debugfile_syms_fd(fd, w->id, w->id_len, t);
	if (err == -EBADMSG)
		p_debug("debug file %s%s: another build-id; skipped", pid ? "(target root) " : "",
			path);
	else if (err)
		p_debug("debug file %s%s: no usable symbols (%s); skipped",
			pid ? "(target root) " : "", path, strerror(-err));
out:
	close(fd);
	return err;
}

/* path in pid's root, then on the host (when pid is another process). */
static int try_both(int pid, const char *path, const struct want *w, struct functab *t)
{
	if (pid > 0 && !try_file(pid, path, w, t))
		return 0;
	return try_file(0, path, w, t);
}

static int by_build_id(int pid, const struct want *w, struct functab *t)
{
	char path[PATH_MAX], hex[2 * BUILD_ID_MAX + 1];

	if (w->id_len < 2)
		return -ENOENT;
	debugfile_hex(w->id, w->id_len, hex, sizeof(hex));
	if (snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", DEBUG_DIR, hex, hex + 2) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return try_both(pid, path, w, t);
}

static int by_debuglink(const struct elf_obj *o, int pid, const char *objpath,
			const struct want *lw, struct functab *t)
{
	char link[NAME_MAX + 1], dir[PATH_MAX], path[PATH_MAX];
	struct want w = *lw;
	const char *slash = strrchr(objpath, '/');
	int n;

	if (!slash || objpath[0] != '/' || debugfile_debuglink(o, link, sizeof(link), &w.crc))
		return -ENOENT;
	w.check_crc = 1;
	n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - objpath), objpath);
	if (n < 0 || n >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (snprintf(path, sizeof(path), "%s/%s", dir, link) < (int)sizeof(path) &&
	    !try_both(pid, path, &w, t))
		return 0;
	if (snprintf(path, sizeof(path), "%s/.debug/%s", dir, link) < (int)sizeof(path) &&
	    !try_both(pid, path, &w, t))
		return 0;
	if (snprintf(path, sizeof(path), "%s%s/%s", DEBUG_DIR, dir, link) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return try_both(pid, path, &w, t);
}

enum debugfile_kind debugfile_find(const struct elf_obj *o, int pid, const char *path,
				   struct functab *t)
{
	__u8 id[BUILD_ID_MAX];
	struct want w = { .id = id };
	int len = debugfile_build_id(o, id, sizeof(id));

	w.id_len = len > 0 ? (size_t)len : 0;
	if (!by_build_id(pid, &w, t))
		return DEBUGFILE_BUILD_ID;
	if (path && !by_debuglink(o, pid, path, &w, t))
		return DEBUGFILE_DEBUGLINK;
	return DEBUGFILE_NONE;
}
