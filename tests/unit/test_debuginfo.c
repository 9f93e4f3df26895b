// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for the name sources of user/symbols/: functab, the .eh_frame
 * reader (a hand-made table and this executable's own), build-id notes,
 * debug-image symbols, MiniDebugInfo's xz decoding and the JNI checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "debugfile.h"
#include "ehframe.h"
#include "elfobj.h"
#include "functab.h"
#include "jni.h"
#include "minidebug.h"

static volatile int sink;

__attribute__((noinline, noclone, used)) static int static_target(int x)
{
	sink += x;
	return sink * 7;
}

static void test_functab(void)
{
	struct functab t = { 0 };
	const struct functab_ent *e;

	ASSERT_EQ(functab__add(&t, 0x2000, 0x100, "outer", 0), 0, "add outer");
	ASSERT_EQ(functab__add(&t, 0x2040, 0x10, "inner", 0), 0, "add inner");
	ASSERT_EQ(functab__add(&t, 0x1000, 0x10, NULL, 0), 0, "add unnamed");
	ASSERT_EQ(functab__add(&t, 0x1000, 0x20, "named", 1), 0, "add named at the same start");
	ASSERT_EQ(functab__add(&t, 0x3000, 0, "point", 0), 0, "add sizeless");
	functab__finish(&t);
	ASSERT_EQ(t.n, 4, "one entry per start");
	ASSERT_STREQ(functab__name(&t, functab__find(&t, 0x1018)), "named", "named wins");
	ASSERT_STREQ(functab__name(&t, functab__find(&t, 0x2045)), "inner", "innermost");
	ASSERT_STREQ(functab__name(&t, functab__find(&t, 0x2050)), "outer", "enclosing");
	ASSERT_TRUE(functab__find(&t, 0x2100) == NULL, "past the end: none");
	ASSERT_TRUE(functab__find(&t, 0x3001) == NULL, "sizeless: the start only");
	ASSERT_TRUE(functab__find(&t, 0x0fff) == NULL, "before all");
	e = functab__at(&t, 0x2040);
	ASSERT_STREQ(functab__name(&t, e), "inner", "at start");
	ASSERT_TRUE(functab__at(&t, 0x2041) == NULL, "at: not a start");
	functab__free(&t);
	functab__free(&t);
	/* the end of the address space */
	ASSERT_EQ(functab__add(&t, UINT64_MAX, 0, "last", 0), 0, "the last address: ignored");
	ASSERT_EQ(functab__add(&t, UINT64_MAX - 8, 64, "wraps", 0), 0, "a size past the end");
	functab__finish(&t);
	ASSERT_EQ(t.n, 1, "one entry");
	ASSERT_STREQ(functab__name(&t, functab__find(&t, UINT64_MAX - 1)), "wraps", "cut at the end");
	functab__free(&t);
}

static void put32(__u8 *p, __u32 v)
{
	memcpy(p, &v, 4);
}

/*
 * .eh_frame at 0x10000: a CIE ("zR", pcrel|sdata4), FDEs for [0x1000, 0x1040)
 * and [0x1100, 0x1110); .eh_frame_hdr at 0x20000 indexes them and a third
 * entry whose FDE pointer lies outside .eh_frame.
 */
static void test_ehframe_synthetic(void)
{
	__u8 eh[128] = { 0 }, hdr[64] = { 0 };
	const __u64 ehv = 0x10000, hv = 0x20000;
	struct functab t = { 0 };
	size_t cie = 0, f1 = 20, f2 = 44;
	int n;

	/* CIE: length 16, id 0, version 1, "zR", 1, -8, 16, auglen 1, 0x1b, pad */
	put32(eh + cie, 16);
	memcpy(eh + cie + 8, "\x01zR\0\x01\x78\x10\x01\x1b\0\0\0", 12);
	/* FDE: length 20, CIE pointer, pc_begin (pcrel), range, auglen 0, pad */
	put32(eh + f1, 20);
	put32(eh + f1 + 4, (__u32)(f1 + 4 - cie));
	put32(eh + f1 + 8, (__u32)(0x1000 - (ehv + f1 + 8)));
	put32(eh + f1 + 12, 0x40);
	put32(eh + f2, 20);
	put32(eh + f2 + 4, (__u32)(f2 + 4 - cie));
	put32(eh + f2 + 8, (__u32)(0x1100 - (ehv + f2 + 8)));
	put32(eh + f2 + 12, 0x10);
	memcpy(hdr, "\x01\x1b\x03\x3b", 4);
	put32(hdr + 4, (__u32)(ehv - (hv + 4)));
	put32(hdr + 8, 3);
	put32(hdr + 12, (__u32)(0x1000 - hv));
	put32(hdr + 16, (__u32)(ehv + f1 - hv));
	put32(hdr + 20, (__u32)(0x1100 - hv));
	put32(hdr + 24, (__u32)(ehv + f2 - hv));
	put32(hdr + 28, (__u32)(0x1200 - hv));
	put32(hdr + 32, (__u32)(ehv + 4096 - hv));	/* outside */
	n = ehframe_parse(hdr, 36, hv, eh, sizeof(eh), ehv, &t);
	ASSERT_EQ(n, 2, "two FDEs");
	functab__finish(&t);
	ASSERT_TRUE(functab__find(&t, 0x103f) && functab__find(&t, 0x103f)->start == 0x1000,
		    "in the first");
	ASSERT_TRUE(functab__find(&t, 0x1040) == NULL, "between the two");
	ASSERT_TRUE(functab__find(&t, 0x1105) && functab__find(&t, 0x1105)->start == 0x1100,
		    "in the second");
	functab__free(&t);
	/* every truncation of both sections parses without reading past them */
	for (size_t cut = 0; cut <= 36; cut++) {
		n = ehframe_parse(hdr, cut, hv, eh, f2 + 10, ehv, &t);
		ASSERT_TRUE(n >= -EINVAL && n <= 2, "truncated");
		functab__free(&t);
	}
	hdr[3] = 0x1b;
	ASSERT_EQ(ehframe_parse(hdr, 36, hv, eh, sizeof(eh), ehv, &t), -EINVAL,
		  "unsupported table encoding");
}

/* This executable's .eh_frame puts static_target at its symbol's start. */
static void test_ehframe_self(void)
{
	struct elf_obj *o = elf_obj__open("/proc/self/exe");
	struct functab t = { 0 };
	__u64 off, v;
	const struct functab_ent *e;

	if (!ASSERT_TRUE(o != NULL, "open self"))
		return;
	sink += static_target(1);
	ASSERT_TRUE(ehframe_load(o, &t) > 10, "FDEs");
	if (ASSERT_EQ(elf_obj__func_off(o, "static_target", &off), 0, "symbol") &&
	    ASSERT_EQ(elf_obj__vaddr_of_off(o, off, &v), 0, "vaddr")) {
		e = functab__find(&t, v + 3);
		ASSERT_TRUE(e && e->start == v, "static_target's FDE");
	}
	functab__free(&t);
	elf_obj__free(o);
}

static void test_build_id_notes(void)
{
	__u8 notes[64] = { 0 }, id[BUILD_ID_MAX];
	char hex[2 * BUILD_ID_MAX + 1];

	/* an unrelated note (type 1, name "GNU", 4 bytes), then the build-id */
	put32(notes, 4);
	put32(notes + 4, 4);
	put32(notes + 8, 1);
	memcpy(notes + 12, "GNU", 4);
	put32(notes + 20, 4);
	put32(notes + 24, 5);
	put32(notes + 28, 3);
	memcpy(notes + 32, "GNU", 4);
	memcpy(notes + 36, "\xde\xad\xbe\xef\x01", 5);
	ASSERT_EQ(debugfile_note_build_id(notes, 44, id, sizeof(id)), 5, "build-id");
	debugfile_hex(id, 5, hex, sizeof(hex));
	ASSERT_STREQ(hex, "deadbeef01", "hex");
	ASSERT_EQ(debugfile_note_build_id(notes, 40, id, sizeof(id)), -ENOENT, "truncated");
	ASSERT_EQ(debugfile_note_build_id(notes, 44, id, 4), -ENOENT, "too long for the buffer");
	put32(notes + 20, 0xfffffff0);
	ASSERT_EQ(debugfile_note_build_id(notes, 44, id, sizeof(id)), -ENOENT, "huge namesz");
}

/* This executable as a debug image: its own .symtab, its own build-id. */
static void test_debug_image(void)
{
	struct elf_obj *o = elf_obj__open("/proc/self/exe");
	struct functab t = { 0 };
	__u8 id[BUILD_ID_MAX], other[BUILD_ID_MAX];
	__u64 off, v;
	int fd, len;

	if (!ASSERT_TRUE(o != NULL, "open self"))
		return;
	len = debugfile_build_id(o, id, sizeof(id));
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (ASSERT_TRUE(fd >= 0, "open fd") &&
	    ASSERT_EQ(debugfile_syms_fd(fd, id, len > 0 ? (size_t)len : 0, &t), 0, "symtab") &&
	    ASSERT_EQ(elf_obj__func_off(o, "static_target", &off), 0, "symbol") &&
	    ASSERT_EQ(elf_obj__vaddr_of_off(o, off, &v), 0, "vaddr"))
		ASSERT_STREQ(functab__name(&t, functab__find(&t, v + 2)), "static_target", "name");
	functab__free(&t);
	if (len > 0) {
		memcpy(other, id, (size_t)len);
		other[0] ^= 0xff;
		ASSERT_EQ(debugfile_syms_fd(fd, other, (size_t)len, &t), -EBADMSG,
			  "another build-id");
	}
	if (fd >= 0)
		close(fd);
	elf_obj__free(o);
}

static void test_unxz(void)
{
	__u8 plain[4096], xz[8192];
	size_t xz_len = 0, out_len = 0;
	void *out = NULL;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (__u8)(i * 7 + i / 13);
	if (!ASSERT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, plain, sizeof(plain), xz,
					       &xz_len, sizeof(xz)), LZMA_OK, "encode"))
		return;
	if (ASSERT_EQ(minidebug_unxz(xz, xz_len, 1 << 20, &out, &out_len), 0, "decode"))
		ASSERT_TRUE(out_len == sizeof(plain) && !memcmp(out, plain, out_len), "same bytes");
	free(out);
	ASSERT_EQ(minidebug_unxz(xz, xz_len, 1000, &out, &out_len), -EFBIG, "over the cap");
	ASSERT_EQ(minidebug_unxz(xz, xz_len / 2, 1 << 20, &out, &out_len), -EBADMSG, "truncated");
	xz[xz_len / 2] ^= 0x55;
	ASSERT_EQ(minidebug_unxz(xz, xz_len, 1 << 20, &out, &out_len), -EBADMSG, "corrupt");
	ASSERT_EQ(minidebug_unxz(plain, 100, 1 << 20, &out, &out_len), -EBADMSG, "not xz");
}

static void test_jni_words(void)
{
	ASSERT_TRUE(jni_is_name("newSSL", 6), "newSSL");
	ASSERT_TRUE(jni_is_name("_a$1", 4), "_a$1");
	ASSERT_TRUE(!jni_is_name("1abc", 4), "leading digit");
	ASSERT_TRUE(!jni_is_name("a b", 3), "space");
	ASSERT_TRUE(!jni_is_name("", 0), "empty");
	ASSERT_TRUE(jni_is_signature("(JZ)J", 5), "(JZ)J");
	ASSERT_TRUE(jni_is_signature("([BLjava/lang/String;)V", 23), "objects");
	ASSERT_TRUE(!jni_is_signature("(JZ)", 4), "no return type");
	ASSERT_TRUE(!jni_is_signature("JZ)J", 4), "no (");
	ASSERT_TRUE(!jni_is_signature("(J Z)J", 6), "space");
}

static const struct test_case tests[] = {
	{ "test_functab", test_functab },
	{ "test_ehframe_synthetic", test_ehframe_synthetic },
	{ "test_ehframe_self", test_ehframe_self },
	{ "test_build_id_notes", test_build_id_notes },
	{ "test_debug_image", test_debug_image },
	{ "test_unxz", test_unxz },
	{ "test_jni_words", test_jni_words },
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
