// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* MiniDebugInfo (.gnu_debugdata) through liblzma; see minidebug.h. */
#include <errno.h>
#include <gelf.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>

#include "debugfile.h"
#include "elfobj.h"
#include "functab.h"
#include "minidebug.h"

#define XZ_MEMLIMIT	(64u << 20)

int minidebug_unxz(const void *in, size_t len, size_t max_out, void **out, size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = len * 4 < max_out ? len * 4 + 4096 : max_out;
	lzma_ret r;
	__u8 *buf = NULL, *nbuf;
	int err = 0;

	if (lzma_stream_decoder(&s, XZ_MEMLIMIT, 0) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		if (!buf || !s.avail_out) {
			if (buf && cap >= max_out) {
				err = -EFBIG;
				break;
			}
			if (buf)
				cap = cap > max_out / 2 ? max_out : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				break;
			}
			buf = nbuf;
			s.next_out = buf + s.total_out;
			s.avail_out = cap - (size_t)s.total_out;
		}
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_OK)
			continue;
		err = r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR ? -ENOMEM : -EBADMSG;
		break;
	}
	if (!err && !s.total_out)
		err = -EBADMSG;
	if (err) {
		free(buf);
	} else {
		*out = buf;
		*out_len = (size_t)s.total_out;
	}
	lzma_end(&s);
	return err;
}

int minidebug_syms(const struct elf_obj *o, struct functab *t)
{
	struct elf_sec sec;
	void *xz, *img = NULL;
	size_t len = 0;
	int err;

	if (elf_obj__section(o, ".gnu_debugdata", &sec) || sec.type != SHT_PROGBITS || !sec.size)
		return -ENOENT;
	if (sec.size > MINIDEBUG_MAX_IN)
		return -EFBIG;
	xz = malloc(sec.size);
	if (!xz)
		return -ENOMEM;
	err = elf_obj__read(o, sec.off, sec.size, xz);
	if (!err)
		err = minidebug_unxz(xz, sec.size, MINIDEBUG_MAX_OUT, &img, &len);
	free(xz);
	if (!err)
		err = debugfile_syms_mem(img, len, NULL, 0, t);
	free(img);
	return err;
}
