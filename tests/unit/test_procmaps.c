// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Tests for user/attach/procmaps.c: the maps parser on fixed text, then on ourselves. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "procmaps.h"

static int parse_str(const char *s, struct map_list *l)
{
	return procmaps_parse(s, strlen(s), l);
}

static void test_normal_line(void)
{
	const char *s = "55d4c1a00000-55d4c1a28000 r-xp 00028000 fd:01 1835043"
			"                    /opt/example/lib/libexample.so.6\n";
	struct map_list l;

	if (!ASSERT_EQ(parse_str(s, &l), 0, "parse") || !ASSERT_EQ(l.n, 1, "n"))
		return;
	ASSERT_EQ(l.v[0].start, 0x55d4c1a00000ull, "start");
	ASSERT_EQ(l.v[0].end, 0x55d4c1a28000ull, "end");
	ASSERT_EQ(l.v[0].pgoff, 0x28000, "pgoff");
	ASSERT_EQ(l.v[0].dev_major, 0xfd, "major");
	ASSERT_EQ(l.v[0].dev_minor, 0x01, "minor");
	ASSERT_EQ(l.v[0].inode, 1835043, "inode");
	ASSERT_TRUE(l.v[0].r && !l.v[0].w && l.v[0].x && !l.v[0].shared, "perms");
	ASSERT_EQ(l.v[0].deleted, 0, "deleted");
	ASSERT_STREQ(l.v[0].path, "/opt/example/lib/libexample.so.6", "path");
	map_list__free(&l);
	ASSERT_TRUE(l.v == NULL && l.n == 0, "freed list is empty");
}

static void test_anon_and_special(void)
{
	const char *s =
		"00400000-00401000 rw-s 00000000 00:00 0 \n"
		"00401000-00402000 ---p 00000000 00:00 0\n"
		"01000000-01021000 rw-p 00000000 00:00 0                                  [heap]\n"
		"7ffd1000-7ffd3000 r-xp 00000000 00:00 0                          [vdso]";
	struct map_list l;

	if (!ASSERT_EQ(parse_str(s, &l), 0, "parse") || !ASSERT_EQ(l.n, 4, "n"))
		return;
	ASSERT_STREQ(l.v[0].path, "", "anon with trailing space");
	ASSERT_TRUE(l.v[0].shared && l.v[0].w && !l.v[0].x, "rw-s");
	ASSERT_STREQ(l.v[1].path, "", "anon without path");
	ASSERT_TRUE(!l.v[1].r && !l.v[1].w && !l.v[1].x, "---p");
	ASSERT_STREQ(l.v[2].path, "[heap]", "heap");
	ASSERT_STREQ(l.v[3].path, "[vdso]", "vdso, no final newline");
	ASSERT_EQ(l.v[3].inode, 0, "inode");
	map_list__free(&l);
}

static void test_spaces_deleted_escape(void)
{
	const char *s =
		"1000-2000 r--p 00000000 08:02 11 /tmp/my lib (v2).so\n"
		"2000-3000 r-xp 00001000 08:02 12 /tmp/jni-1234.so (deleted)\n"
		"3000-4000 r--p 00000000 08:02 13 /tmp/a\\012b.so\n"
		"4000-5000 rw-s 00000000 00:05 14 /memfd:x (deleted)\n";
	struct map_list l;

	if (!ASSERT_EQ(parse_str(s, &l), 0, "parse") || !ASSERT_EQ(l.n, 4, "n"))
		return;
	ASSERT_STREQ(l.v[0].path, "/tmp/my lib (v2).so", "spaces kept");
	ASSERT_EQ(l.v[0].deleted, 0, "not deleted");
	ASSERT_STREQ(l.v[1].path, "/tmp/jni-1234.so", "suffix stripped");
	ASSERT_EQ(l.v[1].deleted, 1, "deleted");
	ASSERT_STREQ(l.v[2].path, "/tmp/a\\012b.so", "escape kept verbatim");
	ASSERT_STREQ(l.v[3].path, "/memfd:x", "memfd");
	ASSERT_EQ(l.v[3].deleted, 1, "memfd deleted");
	map_list__free(&l);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"1000-2000 r-xp 00000000 08:02 11 /a\n2000-30",		/* truncated */
		"1000-2000 r-xp 00000000 08:02",
		"1000 r-xp 00000000 08:02 11 /a",
		"1000-2000 rxp 00000000 08:02 11 /a",
		"1000-2000 r-xq 00000000 08:02 11 /a",
		"1000-2000 r-xp 00000000 0802 11 /a",
		"2000-1000 r-xp 00000000 08:02 11 /a",			/* end < start */
		"1000-1000 r-xp 00000000 08:02 11 /a",			/* empty */
		"11112222333344445-2000 r-xp 0 08:02 11 /a",		/* 65 bits */
		"1000-2000 r-xp 0 08:02 99999999999999999999 /a",	/* > 2^64 */
		"1000-2000 r-xp 0 08:02 11x /a",
		"1000-2000 r-xp 0 123456789:02 11 /a",			/* major > 32 bits */
		"zz-2000 r-xp 0 08:02 11 /a",
	};
	struct map_list l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(parse_str(bad[i], &l), -EINVAL, bad[i]);
		ASSERT_TRUE(l.v == NULL && l.n == 0, "left empty");
	}
}

static void test_not_nul_terminated(void)
{
	const char text[] = "1000-2000 r-xp 00000000 08:02 11 /lib/a.so\n"
			    "2000-3000 r-xp 00000000 08:02 12 /lib/b.so";
	char *buf = malloc(sizeof(text) - 1);	/* exact size: ASan catches overreads */
	struct map_list l;

	if (!ASSERT_TRUE(buf != NULL, "malloc"))
		return;
	memcpy(buf, text, sizeof(text) - 1);
	if (ASSERT_EQ(procmaps_parse(buf, sizeof(text) - 1, &l), 0, "parse") &&
	    ASSERT_EQ(l.n, 2, "n"))
		ASSERT_STREQ(l.v[1].path, "/lib/b.so", "last path");
	map_list__free(&l);
	/* a prefix that ends inside the first line's path is still a line */
	if (ASSERT_EQ(procmaps_parse(buf, 40, &l), 0, "prefix") && ASSERT_EQ(l.n, 1, "n"))
		ASSERT_STREQ(l.v[0].path, "/lib/a.", "cut path");
	map_list__free(&l);
	ASSERT_EQ(procmaps_parse(buf, 0, &l), 0, "empty");
	ASSERT_EQ(l.n, 0, "no entries");
	free(buf);
}

static void test_find_boundaries(void)
{
	/* unsorted on purpose: the parser sorts */
	const char *s = "3000-5000 r--p 0 08:02 2 /b\n"
			"1000-2000 r--p 0 08:02 1 /a\n"
			"5000-6000 r--p 0 08:02 3 /c\n";
	const struct map_entry *e;
	struct map_list l;

	if (!ASSERT_EQ(parse_str(s, &l), 0, "parse"))
		return;
	ASSERT_TRUE(map_list__find(&l, 0xfff) == NULL, "before first");
	e = map_list__find(&l, 0x1000);
	ASSERT_TRUE(e && !strcmp(e->path, "/a"), "start inclusive");
	e = map_list__find(&l, 0x1fff);
	ASSERT_TRUE(e && !strcmp(e->path, "/a"), "last byte");
	ASSERT_TRUE(map_list__find(&l, 0x2000) == NULL, "end exclusive, gap");
	ASSERT_TRUE(map_list__find(&l, 0x2fff) == NULL, "gap");
	e = map_list__find(&l, 0x4fff);
	ASSERT_TRUE(e && !strcmp(e->path, "/b"), "middle");
	e = map_list__find(&l, 0x5000);
	ASSERT_TRUE(e && !strcmp(e->path, "/c"), "adjacent");
	ASSERT_TRUE(map_list__find(&l, 0x6000) == NULL, "after last");
	ASSERT_TRUE(map_list__find(&l, UINT64_MAX) == NULL, "max");
	map_list__free(&l);
	ASSERT_TRUE(map_list__find(&l, 0x1000) == NULL, "empty list");
	map_list__free(NULL);
}

static void test_object_path(void)
{
	struct map_entry e = { .start = 0x7f00aa000000ull, .end = 0x7f00aa021000ull };
	char buf[64];

	ASSERT_EQ(procmaps_object_path(42, &e, buf, sizeof(buf)), 0, "fits");
	ASSERT_STREQ(buf, "/proc/42/map_files/7f00aa000000-7f00aa021000", "path");
	ASSERT_EQ(procmaps_object_path(42, &e, buf, 20), -ENAMETOOLONG, "too small");
}

void procmaps_test_anchor(void);
void procmaps_test_anchor(void)
{
}

static void test_read_self(void)
{
	__u64 addr = (__u64)(uintptr_t)&procmaps_test_anchor;
	const struct map_entry *e;
	struct map_list l;

	if (!ASSERT_EQ(procmaps_read(getpid(), &l), 0, "read self"))
		return;
	ASSERT_TRUE(l.n > 3, "several mappings");
	e = map_list__find(&l, addr);
	if (ASSERT_TRUE(e != NULL, "own code mapped")) {
		ASSERT_TRUE(e->x && e->r, "r-x");
		ASSERT_TRUE(e->inode != 0, "file backed");
		ASSERT_TRUE(e->path[0] == '/', "absolute path");
	}
	map_list__free(&l);
}

static void test_read_missing_pid(void)
{
	struct map_list l;
	pid_t pid = fork();

	if (!ASSERT_TRUE(pid >= 0, "fork"))
		return;
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid, "reap");
	ASSERT_TRUE(procmaps_read(pid, &l) < 0, "reaped child");
	ASSERT_TRUE(l.v == NULL && l.n == 0, "left empty");
	ASSERT_TRUE(procmaps_read(-1, &l) < 0, "negative pid");
}

static const struct test_case tests[] = {
	TEST(test_normal_line),
	TEST(test_anon_and_special),
	TEST(test_spaces_deleted_escape),
	TEST(test_malformed),
	TEST(test_not_nul_terminated),
	TEST(test_find_boundaries),
	TEST(test_object_path),
	TEST(test_read_self),
	TEST(test_read_missing_pid),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
