// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for elf_obj__open_mem() and the lookups on its result:
 * the ELF files tlsmem reads belong to the target process and are hostile
 * input. Beyond memory safety (ASan, UBSan, leaks), the results are checked
 * against the contract in elfobj.h; a broken promise aborts, which libFuzzer
 * reports as a crash. Built by tests/fuzz/run.sh with user/symbols/elfobj.c and
 * user/attach/fileio.c, linked with -lelf -lz.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfobj.h"

#define VERSION_MAX	64	/* elfobj.h: "at most 64 characters" */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What tlsmem looks up (probe.c, target.c), and two names no file defines. */
static const char *const names[] = {
	"CRYPTO_malloc", "CRYPTO_zalloc", "CRYPTO_realloc", "CRYPTO_clear_realloc",
	"CRYPTO_free", "CRYPTO_clear_free", "OPENSSL_malloc", "SSL_new", "SSL_free",
	"SSL_read", "SSL_write", "SSL_do_handshake", "_dl_debug_state", "main", "",
	"a_name_longer_than_any_string_table_entry_in_a_small_input_0123456789",
};

static volatile unsigned int sink;	/* keeps the reads of returned bytes */

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_elf: contract broken: %s\n", what);
	abort();
}

/* Reads every byte of s (ASan checks it is inside a live block). */
static size_t touch_str(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		sink += (unsigned char)s[i];
	return n;
}

static void check_symbolize(const struct elf_obj *o, __u64 off)
{
	__u64 delta = UINT64_MAX, v;
	const char *name = elf_obj__symbolize(o, off, &delta);
	int err;

	if (name) {
		if (!touch_str(name))
			broken("elf_obj__symbolize returned an empty name");
		if (delta > off)
			broken("elf_obj__symbolize: delta beyond the offset");
	}
	err = elf_obj__vaddr_of_off(o, off, &v);
	if (err && err != -ENOENT)
		broken("elf_obj__vaddr_of_off: an error other than -ENOENT");
}

static void check_name(const struct elf_obj *o, const char *name, size_t size)
{
	__u64 off = UINT64_MAX, off2 = UINT64_MAX;
	const __u8 *code = NULL;
	size_t len = SIZE_MAX;
	int err, err2;

	err = elf_obj__func_off(o, name, &off);
	if (err && err != -ENOENT)
		broken("elf_obj__func_off: an error other than -ENOENT");
	if (!err && off >= size)
		broken("elf_obj__func_off: an offset outside the file");
	err2 = elf_obj__func_code(o, name, &off2, &code, &len);
	if (err2 != err || (!err && off2 != off))
		broken("elf_obj__func_code disagrees with elf_obj__func_off");
	if (!err2) {
		if (!code || len > size - off2)
			broken("elf_obj__func_code: code outside the file");
		for (size_t i = 0; i < len; i++)
			sink += code[i];
		check_symbolize(o, off);
	}
}

static void check_version(const struct elf_obj *o)
{
	const char *v = elf_obj__openssl_version(o), *again;
	size_t n;

	if (!v)
		return;
	n = touch_str(v);
	if (!n || n > VERSION_MAX)
		broken("elf_obj__openssl_version: empty or longer than 64 characters");
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			broken("elf_obj__openssl_version: a non-printable character");
	again = elf_obj__openssl_version(o);
	if (!again || strcmp(again, v))
		broken("elf_obj__openssl_version: the cached answer changed");
}

/* A PLT stub lookup at any address: a name or NULL, never a read outside the file. */
static void check_stub(const struct elf_obj *o, __u64 vaddr)
{
	const char *name = elf_obj__stub_symbol(o, vaddr);

	if (name)
		touch_str(name);
}

/* Offsets worth symbolizing: the ends of the file, and one the input picks. */
static void check_offsets(const struct elf_obj *o, const uint8_t *data, size_t size)
{
	__u64 picked = 0;

	check_symbolize(o, 0);
	check_symbolize(o, size / 2);
	check_symbolize(o, size - 1);
	check_symbolize(o, size);
	check_symbolize(o, UINT64_MAX);
	if (size >= sizeof(picked)) {
		memcpy(&picked, data + size - sizeof(picked), sizeof(picked));
		check_symbolize(o, picked);
		check_symbolize(o, picked % size);
		check_stub(o, picked);
		check_stub(o, picked % size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_obj *o;

	errno = 0;
	o = elf_obj__open_mem(data, size);
	if (!o) {
		if (errno != ENOEXEC && errno != ENOMEM && errno != EFBIG)
			broken("elf_obj__open_mem failed without ENOEXEC, ENOMEM or EFBIG");
		return 0;
	}
	if (!size)
		broken("elf_obj__open_mem accepted an empty buffer");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_name(o, names[i], size);
	check_offsets(o, data, size);
	check_version(o);
	sink += (unsigned int)elf_obj__has_symbols(o);
	if (elf_obj__func_off(o, NULL, &(__u64){ 0 }) != -EINVAL)
		broken("elf_obj__func_off accepted a NULL name");
	elf_obj__free(o);
	elf_obj__free(NULL);
	return 0;
}
