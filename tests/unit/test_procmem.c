// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/symbols/procmem.c, reading this very process: exact reads, reads
 * that run into an unmapped page, strings at the end of a mapping, bytes
 * that need sanitizing and truncation.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "procmem.h"

static __u64 addr_of(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* Two pages, the second unmapped: memory that ends at a known place. */
static char *map_edge(size_t *pg)
{
	char *p;

	*pg = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, 2 * *pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p + *pg, *pg);
	return p;
}

static void test_read_exact(void)
{
	static const char src[] = "hello, target";
	char buf[sizeof(src)] = "";

	ASSERT_EQ(procmem_read(getpid(), addr_of(src), buf, sizeof(src)), 0, "read");
	ASSERT_STREQ(buf, src, "bytes");
	ASSERT_EQ(procmem_read(getpid(), addr_of(src), buf, 0), 0, "zero length");
	ASSERT_EQ(procmem_read(getpid(), 0x10, buf, 4), -EFAULT, "unmapped");
	ASSERT_EQ(procmem_read(getpid(), UINT64_MAX - 1, buf, 4), -EFAULT, "wraps");
}

static void test_read_short(void)
{
	size_t pg;
	char *p = map_edge(&pg), buf[32];

	if (!ASSERT_TRUE(p != NULL, "mmap"))
		return;
	ASSERT_EQ(procmem_read(getpid(), addr_of(p + pg - 16), buf, 16), 0, "up to the end");
	ASSERT_EQ(procmem_read(getpid(), addr_of(p + pg - 16), buf, 32), -EFAULT,
		  "short read is -EFAULT");
	munmap(p, pg);
}

static void test_str_at_mapping_end(void)
{
	size_t pg;
	char *p = map_edge(&pg), buf[256];

	if (!ASSERT_TRUE(p != NULL, "mmap"))
		return;
	memcpy(p + pg - 6, "ssl.c", 6);		/* NUL is the last byte mapped */
	ASSERT_EQ(procmem_read_str(getpid(), addr_of(p + pg - 6), buf, sizeof(buf)), 0,
		  "string at the end");
	ASSERT_STREQ(buf, "ssl.c", "value");
	memcpy(p + pg - 3, "abc", 3);		/* no NUL before the unmapped page */
	ASSERT_EQ(procmem_read_str(getpid(), addr_of(p + pg - 3), buf, sizeof(buf)), -EFAULT,
		  "unterminated");
	ASSERT_STREQ(buf, "abc", "partial value kept");
	munmap(p, pg);
}

static void test_str_sanitize_truncate(void)
{
	static const char src[] = "a\nb\x01\xff" "c";
	char buf[8], tiny[3];

	ASSERT_EQ(procmem_read_str(getpid(), addr_of(src), buf, sizeof(buf)), 0, "read");
	ASSERT_STREQ(buf, "a?b??c", "sanitized");
	ASSERT_EQ(procmem_read_str(getpid(), addr_of(src), tiny, sizeof(tiny)), 0, "truncated");
	ASSERT_STREQ(tiny, "a?", "cap - 1 chars");
	ASSERT_EQ(procmem_read_str(getpid(), addr_of(src), tiny, 0), -EINVAL, "cap 0");
	ASSERT_EQ(procmem_read_str(getpid(), 0x10, buf, sizeof(buf)), -EFAULT, "unmapped");
	ASSERT_STREQ(buf, "", "empty on failure");
}

static void test_gone_pid(void)
{
	static const char src[] = "x";
	char buf[4];
	pid_t pid = fork();

	if (!ASSERT_TRUE(pid >= 0, "fork"))
		return;
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid, "reap");
	ASSERT_EQ(procmem_read(pid, addr_of(src), buf, 1), -ESRCH, "no such process");
}

static const struct test_case tests[] = {
	TEST(test_read_exact),
	TEST(test_read_short),
	TEST(test_str_at_mapping_end),
	TEST(test_str_sanitize_truncate),
	TEST(test_gone_pid),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
