// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* JNINativeMethod tables through RELATIVE relocations; see jni.h. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"
#include "functab.h"
#include "jni.h"

#define RELA_BYTES	24	/* Elf64_Rela */
#define STR_MAX		256	/* longest name or signature read */
#define R_RELATIVE	8	/* R_X86_64_RELATIVE */

struct rel {
	__u64 off, val;
};

static int is_ident_char(char ch, int first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '$' ||
	       (!first && ch >= '0' && ch <= '9');
}

int jni_is_name(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_ident_char(s[i], i == 0))
			return 0;
	return 1;
}

int jni_is_signature(const char *s, size_t n)
{
	const char *close = n ? memchr(s, ')', n) : NULL;

	if (!close || s[0] != '(' || (size_t)(close - s) + 1 == n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_ident_char(s[i], 0) && !strchr("()[;/", s[i]))
			return 0;
	return 1;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct rel *x = a, *y = b;

	return (x->off > y->off) - (x->off < y->off);
}

/* Appends the RELATIVE relocations of one SHT_RELA section. */
static int add_relocs(const struct elf_obj *o, const struct elf_sec *sec, struct rel **v,
		      size_t *n, size_t *cap)
{
	__u8 *buf;
	size_t cnt = sec->size / RELA_BYTES;
	__u64 info;
	struct rel *nv;

	if (!cnt)
		return 0;
	if (cnt > JNI_MAX_RELOCS - *n)
		return -E2BIG;
	buf = malloc(cnt * RELA_BYTES);
	if (!buf)
		return -ENOMEM;
	if (elf_obj__read(o, sec->off, cnt * RELA_BYTES, buf)) {
		free(buf);
		return -EIO;
	}
	if (*n + cnt > *cap) {
		nv = realloc(*v, (*n + cnt) * sizeof(**v));
		if (!nv) {
			free(buf);
			return -ENOMEM;
		}
		*v = nv;
		*cap = *n + cnt;
	}
	for (size_t i = 0; i < cnt; i++) {
		memcpy(&info, buf + i * RELA_BYTES + 8, 8);
		if ((__u32)info != R_RELATIVE)
			continue;
		memcpy(&(*v)[*n].off, buf + i * RELA_BYTES, 8);
		memcpy(&(*v)[*n].val, buf + i * RELA_BYTES + 16, 8);
		(*n)++;
	}
	free(buf);
	return 0;
}

/* Where a vaddr lies: 1 code, 2 read-only data, 0 elsewhere. */
static int region(const struct elf_sec *secs, size_t nsec, __u64 v)
{
	for (size_t i = 0; i < nsec; i++) {
		const struct elf_sec *s = &secs[i];

		if (!(s->flags & SHF_ALLOC) || v < s->vaddr || v - s->vaddr >= s->size)
			continue;
		if (s->flags & SHF_EXECINSTR)
			return 1;
		return s->type == SHT_PROGBITS && !(s->flags & SHF_WRITE) ? 2 : 0;
	}
	return 0;
}

/* Reads the string at vaddr v into buf (STR_MAX + 1): its length, or -1. */
static int read_str(const struct elf_obj *o, __u64 v, char *buf)
{
	__u64 off;
	size_t n;

	if (elf_obj__off_of_vaddr(o, v, &off))
		return -1;
	for (n = STR_MAX; n; n /= 2)		/* the string may end near the file's end */
		if (!elf_obj__read(o, off, n, buf))
			break;
	if (!n)
		return -1;
	buf[n] = '\0';
	n = strnlen(buf, n);
	return n < STR_MAX ? (int)n : -1;
}

static int scan(const struct elf_obj *o, const struct rel *r, size_t n, const struct elf_sec *secs,
		size_t nsec, struct functab *t)
{
	char name[STR_MAX + 1], sig[STR_MAX + 1];
	int added = 0, nl, sl, err;

	for (size_t i = 0; i + 2 < n; i++) {
		if (r[i + 1].off != r[i].off + 8 || r[i + 2].off != r[i].off + 16)
			continue;
		if (region(secs, nsec, r[i].val) != 2 || region(secs, nsec, r[i + 1].val) != 2 ||
		    region(secs, nsec, r[i + 2].val) != 1)
			continue;
		nl = read_str(o, r[i].val, name);
		sl = read_str(o, r[i + 1].val, sig);
		if (nl <= 0 || sl <= 0 || !jni_is_name(name, (size_t)nl) ||
		    !jni_is_signature(sig, (size_t)sl))
			continue;
		err = functab__add(t, r[i + 2].val, 0, name, 0);
		if (err)
			return err;
		added++;
		i += 2;
	}
	return added;
}

int jni_load(const struct elf_obj *o, struct functab *t)
{
	size_t nsec = elf_obj__nsections(o), n = 0, cap = 0, k = 0;
	struct elf_sec *secs;
	struct rel *r = NULL;
	const char *name;
	int err = 0;

	if (!elf_obj__is_x86_64(o) || !nsec)
		return 0;
	secs = calloc(nsec, sizeof(*secs));
	if (!secs)
		return -ENOMEM;
	for (size_t i = 1; i < nsec && !err; i++) {
		if (elf_obj__section_at(o, i, &secs[k], &name))
			continue;
		if (secs[k].type == SHT_RELA)
			err = add_relocs(o, &secs[k], &r, &n, &cap);
		k++;
	}
	if (!err && n) {
		qsort(r, n, sizeof(*r), cmp_rel);
		err = scan(o, r, n, secs, k, t);
	}
	free(r);
	free(secs);
	if (err < 0)
		functab__free(t);
	else
		functab__finish(t);
	return err;
}
