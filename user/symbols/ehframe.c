// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* .eh_frame_hdr and .eh_frame function ranges; see ehframe.h. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "ehframe.h"
#include "elfobj.h"
#include "functab.h"

#define DW_EH_PE_omit		0xff
#define DW_EH_PE_absptr		0x00
#define DW_EH_PE_uleb128	0x01
#define DW_EH_PE_udata2		0x02
#define DW_EH_PE_udata4		0x03
#define DW_EH_PE_udata8		0x04
#define DW_EH_PE_sleb128	0x09
#define DW_EH_PE_sdata2		0x0a
#define DW_EH_PE_sdata4		0x0b
#define DW_EH_PE_sdata8		0x0c
#define DW_EH_PE_pcrel		0x10
#define DW_EH_PE_datarel	0x30
#define DW_EH_PE_indirect	0x80

/* A bounded cursor: [p + pos, p + end) may be read; vaddr is p's address. */
struct cur {
	const __u8 *p;
	size_t pos, end;
	__u64 vaddr;
	int bad;
};

static __u64 take(struct cur *c, size_t n)
{
	__u64 v = 0;

	if (c->bad || n > c->end - c->pos) {
		c->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)		/* little-endian */
		v |= (__u64)c->p[c->pos + i] << (8 * i);
	c->pos += n;
	return v;
}

static __u64 leb(struct cur *c, int sign)
{
	__u64 v = 0;
	unsigned int shift = 0;
	__u8 b;

	do {
		b = (__u8)take(c, 1);
		if (c->bad)
			return 0;
		if (shift < 64)
			v |= (__u64)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return v;
}

/* A value of format enc & 0x0f, sign-extended where signed. */
static __u64 read_fmt(struct cur *c, __u8 enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return take(c, 8);
	case DW_EH_PE_uleb128:
		return leb(c, 0);
	case DW_EH_PE_sleb128:
		return leb(c, 1);
	case DW_EH_PE_udata2:
		return take(c, 2);
	case DW_EH_PE_sdata2:
		return (__u64)(__s64)(__s16)take(c, 2);
	case DW_EH_PE_udata4:
		return take(c, 4);
	case DW_EH_PE_sdata4:
		return (__u64)(__s64)(__s32)take(c, 4);
	default:
		c->bad = 1;
		return 0;
	}
}

/* An encoded pointer; datarel is relative to base. */
static __u64 read_ptr(struct cur *c, __u8 enc, __u64 base)
{
	__u64 at = c->vaddr + c->pos, v;

	if (enc == DW_EH_PE_omit || (enc & DW_EH_PE_indirect)) {
		c->bad = 1;
		return 0;
	}
	v = read_fmt(c, enc);
	switch (enc & 0x70) {
	case 0:
		return v;
	case DW_EH_PE_pcrel:
		return at + v;
	case DW_EH_PE_datarel:
		return base + v;
	default:
		c->bad = 1;
		return 0;
	}
}

/* A CIE's FDE pointer encoding, or -1 when the CIE does not parse. */
static int cie_encoding(const __u8 *eh, size_t eh_len, size_t off, __u64 eh_vaddr)
{
	struct cur c = { .p = eh, .pos = off, .end = eh_len, .vaddr = eh_vaddr };
	const char *aug;
	size_t len, auglen_end;
	__u8 version, enc = DW_EH_PE_absptr, penc;

	len = (size_t)take(&c, 4);
	if (c.bad || len == 0xffffffff || len > eh_len - c.pos)
		return -1;
	c.end = c.pos + len;
	if (take(&c, 4) != 0)
		return -1;			/* not a CIE */
	version = (__u8)take(&c, 1);
	aug = (const char *)eh + c.pos;
	if (c.bad || !memchr(aug, '\0', c.end - c.pos))
		return -1;
	c.pos += strlen(aug) + 1;
	if (strstr(aug, "eh"))
		return -1;
	leb(&c, 0);				/* code alignment */
	leb(&c, 1);				/* data alignment */
	if (version == 1)
		take(&c, 1);
	else
		leb(&c, 0);
	if (aug[0] != 'z')
		return c.bad ? -1 : enc;
	auglen_end = (size_t)leb(&c, 0);
	if (c.bad || auglen_end > c.end - c.pos)
		return -1;
	auglen_end += c.pos;
	for (const char *a = aug + 1; *a && !c.bad; a++) {
		if (*a == 'R') {
			enc = (__u8)take(&c, 1);
			break;
		} else if (*a == 'P') {
			penc = (__u8)take(&c, 1);
			read_fmt(&c, penc);
		} else if (*a == 'L') {
			take(&c, 1);
		} else if (*a != 'S' && *a != 'B' && *a != 'G') {
			break;
		}
	}
	return c.bad || c.pos > auglen_end ? -1 : enc;
}

/* The [start, start + range) of the FDE at off, or -1. */
static int fde_range(const __u8 *eh, size_t eh_len, size_t off, __u64 eh_vaddr,
		     __u64 *start, __u64 *range)
{
	struct cur c = { .p = eh, .pos = off, .end = eh_len, .vaddr = eh_vaddr };
	size_t len, cie_at;
	__u64 cie_ptr;
	int enc;

	len = (size_t)take(&c, 4);
	if (c.bad || !len || len == 0xffffffff || len > eh_len - c.pos)
		return -1;
	c.end = c.pos + len;
	cie_at = c.pos;
	cie_ptr = take(&c, 4);
	if (c.bad || !cie_ptr || cie_ptr > cie_at)
		return -1;
	enc = cie_encoding(eh, eh_len, cie_at - (size_t)cie_ptr, eh_vaddr);
	if (enc < 0)
		return -1;
	*start = read_ptr(&c, (__u8)enc, 0);
	*range = read_fmt(&c, (__u8)enc);
	return c.bad ? -1 : 0;
}

int ehframe_parse(const __u8 *hdr, size_t hdr_len, __u64 hdr_vaddr,
		  const __u8 *eh, size_t eh_len, __u64 eh_vaddr, struct functab *t)
{
	struct cur c = { .p = hdr, .end = hdr_len, .vaddr = hdr_vaddr };
	__u8 ptr_enc, cnt_enc, tab_enc;
	__u64 count, start, fde, fstart, range;
	int added = 0, err;

	if (take(&c, 1) != 1)
		return -EINVAL;
	ptr_enc = (__u8)take(&c, 1);
	cnt_enc = (__u8)take(&c, 1);
	tab_enc = (__u8)take(&c, 1);
	if (c.bad || ptr_enc == DW_EH_PE_omit || cnt_enc == DW_EH_PE_omit ||
	    tab_enc != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -EINVAL;
	read_ptr(&c, ptr_enc, hdr_vaddr);
	count = read_ptr(&c, cnt_enc, hdr_vaddr);
	if (c.bad)
		return -EINVAL;
	if (count > (c.end - c.pos) / 8)
		count = (c.end - c.pos) / 8;
	for (__u64 i = 0; i < count; i++) {
		start = read_ptr(&c, tab_enc, hdr_vaddr);
		fde = read_ptr(&c, tab_enc, hdr_vaddr);
		if (c.bad)
			break;
		if (fde < eh_vaddr || fde - eh_vaddr >= eh_len ||
		    fde_range(eh, eh_len, (size_t)(fde - eh_vaddr), eh_vaddr, &fstart, &range) ||
		    fstart != start || !range)
			continue;
		err = functab__add(t, start, range, NULL, 0);
		if (err)
			return err;
		added++;
	}
	return added;
}

/* The bytes of section name of o (malloc'd), with its address. */
static int read_section(const struct elf_obj *o, const char *name, __u8 **buf, size_t *len,
			__u64 *vaddr)
{
	struct elf_sec sec;

	if (elf_obj__section(o, name, &sec) || sec.type != SHT_PROGBITS || !sec.size)
		return -ENOENT;
	if (sec.size > EHFRAME_MAX_BYTES)
		return -EFBIG;
	*buf = malloc(sec.size);
	if (!*buf)
		return -ENOMEM;
	if (elf_obj__read(o, sec.off, sec.size, *buf)) {
		free(*buf);
		return -EIO;
	}
	*len = sec.size;
	*vaddr = sec.vaddr;
	return 0;
}

int ehframe_load(const struct elf_obj *o, struct functab *t)
{
	__u8 *hdr = NULL, *eh = NULL;
	size_t hlen, elen;
	__u64 hv, ev;
	int n;

	n = read_section(o, ".eh_frame_hdr", &hdr, &hlen, &hv);
	if (!n)
		n = read_section(o, ".eh_frame", &eh, &elen, &ev);
	if (!n)
		n = ehframe_parse(hdr, hlen, hv, eh, elen, ev, t);
	free(hdr);
	free(eh);
	if (n < 0)
		functab__free(t);
	else
		functab__finish(t);
	return n;
}
