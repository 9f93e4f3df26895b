/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_DEBUGFILE_H
#define TLSMEM_DEBUGFILE_H

/*
 * Separate debug files of a stripped object, as gdb and perf find them: by
 * build-id under /usr/lib/debug/.build-id/, and by the .gnu_debuglink name
 * (the object's directory, its .debug/ folder, /usr/lib/debug/<dir>), first
 * inside the target's root, then on the host. A candidate counts only when
 * its build-id (and, through a debuglink, its CRC) matches. Function symbols
 * of the .symtab are copied into a functab keyed by virtual address, and the
 * file is closed. Every file is hostile input: sizes are bounded and libelf
 * results checked. Plain libc and libelf; no libbpf, no curses.
 */
#include <linux/types.h>
#include <stddef.h>

struct elf_obj;
struct functab;

#define BUILD_ID_MAX	64	/* bytes; GNU build-ids are 20 */
#define DEBUGFILE_MAX_BYTES	(1ull << 31)

/* The GNU build-id of o in out: its length, or -ENOENT. */
int debugfile_build_id(const struct elf_obj *o, __u8 *out, size_t cap);

/* The GNU build-id in the notes p[0..len): its length, or -ENOENT. */
int debugfile_note_build_id(const __u8 *p, size_t len, __u8 *out, size_t cap);

/* Lower-case hex of id into buf (2 * len + 1 bytes at most); buf is "" when len is 0. */
void debugfile_hex(const __u8 *id, size_t len, char *buf, size_t cap);

/*
 * The .gnu_debuglink of o: the file name (no '/', not "." or "..") into
 * name and its CRC-32. 0, or -ENOENT when absent or malformed.
 */
int debugfile_debuglink(const struct elf_obj *o, char *name, size_t cap, __u32 *crc);

/*
 * Function symbols of the .symtab in the ELF image buf[0..len) (a
 * decompressed .gnu_debugdata) into t (finished). When want_len > 0, the
 * image's build-id must equal want (an image without one passes). 0,
 * -ENOENT without a usable .symtab, -EBADMSG on a build-id mismatch,
 * -ENOEXEC when not ELF, -ENOMEM or -E2BIG.
 */
int debugfile_syms_mem(const void *buf, size_t len, const __u8 *want, size_t want_len,
		       struct functab *t);

/* Same over an open file (read through libelf, at most DEBUGFILE_MAX_BYTES); fd stays open. */
int debugfile_syms_fd(int fd, const __u8 *want, size_t want_len, struct functab *t);

/* CRC-32 (as .gnu_debuglink uses) of the whole file fd: 0, or -errno/-EFBIG. */
int debugfile_crc(int fd, __u32 *crc);

enum debugfile_kind {
	DEBUGFILE_NONE,
	DEBUGFILE_BUILD_ID,
	DEBUGFILE_DEBUGLINK,
};

/*
 * Finds and reads the debug file of the object o that pid maps at path (as
 * the process sees it): by build-id, then by debuglink. On success fills t
 * (finished) and returns which way it was found; DEBUGFILE_NONE when there
 * is none. Candidates that do not match are skipped with a debug message.
 */
enum debugfile_kind debugfile_find(const struct elf_obj *o, int pid, const char *path,
				   struct functab *t);

#endif /* TLSMEM_DEBUGFILE_H */
