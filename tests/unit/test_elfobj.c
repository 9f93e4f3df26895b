// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/symbols/elfobj.c against this very executable and the libelf it
 * links: offsets are checked against runtime address math done here from
 * /proc/self/maps, and malformed images must fail cleanly under ASan.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "elfobj.h"

static const char fake_version[] = "OpenSSL 9.8.7 1 Jan 2030";
static const char help_text[] = "enable OpenSSL 4.5 legacy mode";

static volatile int elfobj_test_sink;

void elfobj_test_target(void);
__attribute__((noinline)) void elfobj_test_target(void)
{
	for (int i = 0; i < 3; i++)
		elfobj_test_sink += i;
}

__attribute__((noinline)) static int local_target(int x)
{
	elfobj_test_sink += x;
	return elfobj_test_sink * 3;
}

/* The mapping of addr in /proc/self/maps: start, file offset and path. */
static int find_map(uintptr_t addr, uint64_t *start, uint64_t *pgoff, char *path, size_t cap)
{
	char line[4096], p[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long s, e, off;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		p[0] = '\0';
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095[^\n]", &s, &e, &off, p) < 3)
			continue;
		if (addr >= s && addr < e) {
			*start = s;
			*pgoff = off;
			snprintf(path, cap, "%s", p);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static __u64 runtime_off(void *fn, char *path, size_t cap)
{
	uint64_t start = 0, pgoff = 0;

	if (!find_map((uintptr_t)fn, &start, &pgoff, path, cap))
		return 0;
	return (uintptr_t)fn - start + pgoff;
}

static void test_func_off_self(void)
{
	struct elf_obj *o = elf_obj__open("/proc/self/exe");
	char path[4096];
	__u64 off = 0, want = runtime_off((void *)elfobj_test_target, path, sizeof(path));

	if (!ASSERT_TRUE(o != NULL, "open self") || !ASSERT_TRUE(want != 0, "mapping"))
		goto out;
	ASSERT_EQ(elf_obj__func_off(o, "elfobj_test_target", &off), 0, "func_off");
	ASSERT_EQ(off, want, "offset equals runtime math");
	ASSERT_EQ(elf_obj__has_symbols(o), 1, "has symbols");
out:
	elf_obj__free(o);
}

static void test_symbolize_self(void)
{
	struct elf_obj *o = elf_obj__open("/proc/self/exe");
	char path[4096];
	__u64 off = runtime_off((void *)elfobj_test_target, path, sizeof(path));
	__u64 loc = runtime_off((void *)local_target, path, sizeof(path));
	__u64 delta = 99, vaddr = 0;
	Dl_info info;

	if (!ASSERT_TRUE(o != NULL, "open self"))
		return;
	ASSERT_STREQ(elf_obj__symbolize(o, off + 3, &delta), "elfobj_test_target", "name");
	ASSERT_EQ(delta, 3, "delta");
	ASSERT_STREQ(elf_obj__symbolize(o, off, &delta), "elfobj_test_target", "first byte");
	ASSERT_EQ(delta, 0, "delta 0");
	/* static: only in .symtab */
	ASSERT_STREQ(elf_obj__symbolize(o, loc + 1, &delta), "local_target", "static name");
	ASSERT_EQ(delta, 1, "static delta");
	ASSERT_TRUE(elf_obj__symbolize(o, 0, &delta) == NULL, "ELF header is no function");
	ASSERT_TRUE(elf_obj__symbolize(o, UINT64_MAX, &delta) == NULL, "far offset");
	/* vaddr + load bias = runtime address */
	if (ASSERT_EQ(elf_obj__vaddr_of_off(o, off, &vaddr), 0, "vaddr_of_off") &&
	    ASSERT_TRUE(dladdr((void *)elfobj_test_target, &info) != 0, "dladdr"))
		ASSERT_EQ(vaddr + (uintptr_t)info.dli_fbase, (uintptr_t)elfobj_test_target,
			  "vaddr");
	ASSERT_EQ(elf_obj__vaddr_of_off(o, UINT64_MAX, &vaddr), -ENOENT, "no vaddr");
	ASSERT_EQ(local_target(0) % 3, 0, "keep local_target");
	elf_obj__free(o);
}

static void test_missing_name(void)
{
	struct elf_obj *o = elf_obj__open("/proc/self/exe");
	__u64 off = 0;

	if (!ASSERT_TRUE(o != NULL, "open self"))
		return;
	ASSERT_EQ(elf_obj__func_off(o, "no_such_function_here", &off), -ENOENT, "missing");
	ASSERT_EQ(elf_obj__func_off(o, "elfobj_test_targe", &off), -ENOENT, "prefix");
	ASSERT_EQ(elf_obj__func_off(o, "", &off), -ENOENT, "empty");
	/* a data object is not a function */
	ASSERT_EQ(elf_obj__func_off(o, "elfobj_test_sink", &off), -ENOENT, "variable");
	elf_obj__free(o);
}

static void test_version_string(void)
{
	struct elf_obj *o = elf_obj__open("/proc/self/exe");
	const char *v;

	if (!ASSERT_TRUE(o != NULL, "open self"))
		return;
	/* help text mentions a version too, but is not at a string start */
	ASSERT_TRUE(strlen(help_text) > 0, "help text kept");
	v = elf_obj__openssl_version(o);
	ASSERT_STREQ(v, fake_version, "version");
	ASSERT_TRUE(elf_obj__openssl_version(o) == v, "cached");
	elf_obj__free(o);
}

static void test_libelf_dynsym(void)
{
	void *fn = dlsym(RTLD_DEFAULT, "elf_memory");
	char path[4096] = "";
	struct elf_obj *o = NULL;
	__u64 off = 0, want, delta = 0;

	if (!ASSERT_TRUE(fn != NULL, "dlsym elf_memory"))
		return;
	want = runtime_off(fn, path, sizeof(path));
	if (!ASSERT_TRUE(strstr(path, "libelf") != NULL, path))
		return;
	o = elf_obj__open(path);
	if (!ASSERT_TRUE(o != NULL, "open libelf"))
		return;
	ASSERT_EQ(elf_obj__func_off(o, "elf_memory", &off), 0, "func_off");
	ASSERT_EQ(off, want, "offset equals runtime math");
	ASSERT_STREQ(elf_obj__symbolize(o, want + 1, &delta), "elf_memory", "symbolize");
	ASSERT_EQ(delta, 1, "delta");
	ASSERT_TRUE(elf_obj__openssl_version(o) == NULL, "no OpenSSL in libelf");
	elf_obj__free(o);
}

/*
 * The system's libcrypto reaches CRYPTO_malloc from CRYPTO_zalloc through a
 * PLT stub: some `call rel32` in CRYPTO_zalloc's bytes lands on a stub the
 * relocations name CRYPTO_malloc. A function itself is no stub.
 */
static void test_plt_stub_symbol(void)
{
	void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	void *fn = h ? dlsym(h, "CRYPTO_zalloc") : NULL;
	char path[4096] = "";
	struct elf_obj *o = NULL;
	const __u8 *code;
	__u64 off, vaddr, target;
	size_t len, i;
	int found = 0;
	__s32 rel;

	if (!ASSERT_TRUE(fn != NULL, "dlopen libcrypto.so.3"))
		goto out;
	runtime_off(fn, path, sizeof(path));
	o = elf_obj__open(path);
	if (!ASSERT_TRUE(o != NULL, "open libcrypto") ||
	    !ASSERT_EQ(elf_obj__func_code(o, "CRYPTO_zalloc", &off, &code, &len), 0, "zalloc") ||
	    !ASSERT_EQ(elf_obj__vaddr_of_off(o, off, &vaddr), 0, "vaddr"))
		goto out;
	ASSERT_TRUE(len > 5, "zalloc has a size");
	for (i = 0; i + 5 <= len; i++) {
		const char *name;

		if (code[i] != 0xe8)
			continue;
		memcpy(&rel, code + i + 1, sizeof(rel));
		target = vaddr + i + 5 + (__u64)(__s64)rel;
		name = elf_obj__stub_symbol(o, target);
		found |= name && !strcmp(name, "CRYPTO_malloc");
	}
	ASSERT_TRUE(found, "a call in CRYPTO_zalloc reaches CRYPTO_malloc's stub");
	ASSERT_TRUE(elf_obj__stub_symbol(o, vaddr) == NULL, "a function is not a stub");
	ASSERT_EQ(elf_obj__off_of_vaddr(o, vaddr, &target), 0, "off_of_vaddr");
	ASSERT_EQ(target, off, "round trip");
	ASSERT_TRUE(elf_obj__stub_symbol(o, ~0ull) == NULL, "outside the file");
out:
	elf_obj__free(o);
	if (h)
		dlclose(h);
}

static int read_self(char **buf, size_t *len)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	size_t cap = 1 << 20, n;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -1;
	for (;;) {
		char *nb = realloc(*buf, cap);

		if (!nb)
			break;
		*buf = nb;
		n = fread(*buf + *len, 1, cap - *len, f);
		*len += n;
		if (*len < cap)
			break;
		cap *= 2;
	}
	fclose(f);
	return *len ? 0 : -1;
}

static void expect_reject(const void *buf, size_t len, const char *what)
{
	struct elf_obj *o;

	errno = 0;
	o = elf_obj__open_mem(buf, len);
	if (ASSERT_TRUE(o == NULL, what))
		ASSERT_EQ(errno, ENOEXEC, what);
	elf_obj__free(o);
}

static void test_malformed(void)
{
	static const char junk[] = "\x7f" "ELF this is not an ELF header at all, just text";
	unsigned char garbage[4096];
	size_t len;
	char *img;

	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (unsigned char)(i * 131 + 7);
	expect_reject(garbage, sizeof(garbage), "garbage");
	expect_reject(junk, sizeof(junk), "ELF magic then text");
	expect_reject(NULL, 0, "empty");
	if (!ASSERT_EQ(read_self(&img, &len), 0, "read self"))
		return;
	expect_reject(img, 4, "magic only");
	expect_reject(img, 100, "first 100 bytes");
	expect_reject(img, 4096, "first 4 KiB");
	expect_reject(img, len / 2, "first half");
	free(img);
	errno = 0;
	ASSERT_TRUE(elf_obj__open("/nonexistent/x.so") == NULL, "missing file");
	ASSERT_EQ(errno, ENOENT, "ENOENT");
	ASSERT_TRUE(elf_obj__open("/dev/null") == NULL, "device");
	ASSERT_EQ(errno, ENOEXEC, "device is ENOEXEC");
	ASSERT_TRUE(elf_obj__open("/proc/self/status") == NULL, "text file");
	ASSERT_EQ(errno, ENOEXEC, "text is ENOEXEC");
	elf_obj__free(NULL);
}

/* Every call on a parsed object must be safe, whatever the object holds. */
static void poke(const struct elf_obj *o)
{
	__u64 off = 0, delta;

	elf_obj__func_off(o, "elfobj_test_target", &off);
	elf_obj__symbolize(o, off, &delta);
	elf_obj__vaddr_of_off(o, off, &delta);
	elf_obj__openssl_version(o);
	elf_obj__has_symbols(o);
}

/* Deterministic corruption of headers and tables: no crash, no leak. */
static void test_corrupted_images(void)
{
	unsigned int seed = 12345;
	size_t len, pos;
	char *img, *bad;
	int parsed = 0;

	if (!ASSERT_EQ(read_self(&img, &len), 0, "read self"))
		return;
	bad = malloc(len);
	if (!ASSERT_TRUE(bad != NULL, "malloc"))
		goto out;
	for (int round = 0; round < 300; round++) {
		struct elf_obj *o;

		memcpy(bad, img, len);
		for (int k = 0; k < 8; k++) {
			seed = seed * 1103515245u + 12345u;
			/* half the hits in the headers, half anywhere */
			pos = k & 1 ? (seed >> 8) % len : (seed >> 8) % 4096;
			bad[pos] = (char)(seed >> 24);
		}
		o = elf_obj__open_mem(bad, len - (round % 3) * 8);
		parsed += o != NULL;
		poke(o);
		elf_obj__free(o);
	}
	ASSERT_TRUE(parsed > 0, "some corrupted images still parse");
out:
	free(bad);
	free(img);
}

static const struct test_case tests[] = {
	TEST(test_func_off_self),
	TEST(test_symbolize_self),
	TEST(test_missing_name),
	TEST(test_version_string),
	TEST(test_libelf_dynsym),
	TEST(test_plt_stub_symbol),
	TEST(test_malformed),
	TEST(test_corrupted_images),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
