// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Strings in an ELF file's read-only data: whether one is there, and the
 * OpenSSL version string, searched in bounded chunks read on demand. See
 * elfobj.h and elfobj_int.h.
 */
#include <stdlib.h>
#include <string.h>
#include "elfobj.h"
#include "elfobj_int.h"

#define SCAN_CHUNK		(1u << 20)	/* read-only data searched per read */
#define SCAN_OVERLAP		128		/* bytes a match may run past a chunk */

static int is_print(char ch)
{
	return ch >= 0x20 && ch <= 0x7e;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Whether [p, end) starts with digits '.' digit. */
static int looks_like_version(const char *p, const char *end)
{
	const char *d = p;

	while (d < end && is_digit(*d))
		d++;
	return d > p && end - d >= 2 && d[0] == '.' && is_digit(d[1]);
}

#define NO_HIT	UINT64_MAX

/*
 * Searches [sec_off, sec_off + size) of the file for marker, followed by
 * "d.d" when versioned, in chunks read one at a time. A match at the start
 * of a string (after a NUL) wins: "enable OpenSSL 3.0 legacy provider" is
 * help text. Returns that match's file offset, or NO_HIT after noting the
 * first other match in *any.
 */
static __u64 find_marked(const struct elf_obj *o, __u64 sec_off, __u64 size, const char *marker,
			 int versioned, __u64 *any, char *buf)
{
	size_t mlen = strlen(marker), n, lead;
	const char *start, *q, *p, *stop, *end;

	for (__u64 pos = 0; pos < size; pos += SCAN_CHUNK) {
		lead = pos ? 1 : 0;		/* the byte before, for the NUL test */
		n = size - pos < SCAN_CHUNK + SCAN_OVERLAP ? (size_t)(size - pos) :
			SCAN_CHUNK + SCAN_OVERLAP;
		if (elf_obj_copy_out(o, sec_off + pos - lead, n + lead, buf))
			return NO_HIT;
		start = buf + lead;
		end = start + n;
		stop = start + (n < SCAN_CHUNK ? n : SCAN_CHUNK);	/* matches start here */
		for (p = start; p < stop && (q = memmem(p, (size_t)(end - p), marker, mlen)); p = q + 1) {
			if (q >= stop)
				break;
			if (versioned && !looks_like_version(q + mlen, end))
				continue;
			if ((q == start && !pos) || (q > buf && q[-1] == '\0'))
				return sec_off + pos + (__u64)(q - start);
			if (*any == NO_HIT)
				*any = sec_off + pos + (__u64)(q - start);
		}
	}
	return NO_HIT;
}

/* Searches the allocated, non-executable PROGBITS sections (.rodata ...). */
static __u64 search_rodata(const struct elf_obj *o, const char *marker, int versioned)
{
	__u64 hit = NO_HIT, any = NO_HIT;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	char *buf = malloc(SCAN_CHUNK + SCAN_OVERLAP + 1);

	if (!buf)
		return NO_HIT;
	while (hit == NO_HIT && (scn = elf_nextscn(o->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || (sh.sh_flags & SHF_EXECINSTR))
			continue;
		if (sh.sh_offset > o->len || o->len - sh.sh_offset < sh.sh_size)
			continue;
		hit = find_marked(o, sh.sh_offset, sh.sh_size, marker, versioned, &any, buf);
	}
	free(buf);
	return hit != NO_HIT ? hit : any;
}

int elf_obj__has_rodata_string(const struct elf_obj *o, const char *s)
{
	return o && s && search_rodata(o, s, 0) != NO_HIT;
}

static void set_version(struct elf_obj *o, __u64 off)
{
	char s[ELF_VERSION_MAX];
	size_t n = 0, avail = o->len - off < ELF_VERSION_MAX ? (size_t)(o->len - off) :
		ELF_VERSION_MAX;

	if (elf_obj_copy_out(o, off, avail, s))
		avail = 0;
	while (n < avail && is_print(s[n])) {
		o->version[n] = s[n];
		n++;
	}
	o->version[n] = '\0';
}

static int find_version(struct elf_obj *o)
{
	__u64 at;

	at = search_rodata(o, "OpenSSL ", 1);
	if (at == NO_HIT)
		at = search_rodata(o, "LibreSSL ", 1);
	if (at != NO_HIT) {
		set_version(o, at);
		return 1;
	}
	if (search_rodata(o, "BoringSSL", 0) != NO_HIT) {
		strcpy(o->version, "BoringSSL");
		return 1;
	}
	return 0;
}

const char *elf_obj__openssl_version(const struct elf_obj *o)
{
	struct elf_obj *m = (struct elf_obj *)o;	/* the cache is not part of o's value */

	if (!o)
		return NULL;
	if (!o->version_state)
		m->version_state = find_version(m) ? 1 : -1;
	return o->version_state > 0 ? o->version : NULL;
}
