// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/symbols/symcache.c on this very process: its executable, the
 * libelf it links, a deleted copy of libelf loaded with dlopen, anonymous
 * memory and a pid that no longer exists. Symbols of the deleted copy can
 * only be read through /proc/PID/map_files, so they are checked as root only.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "symcache.h"

static volatile int symcache_test_sink;

void symcache_test_target(void);
__attribute__((noinline)) void symcache_test_target(void)
{
	for (int i = 0; i < 4; i++)
		symcache_test_sink += i;
}

static __u64 addr_of(void *p)
{
	return (__u64)(uintptr_t)p;
}

static void test_own_function(void)
{
	struct symcache *c = symcache__new();
	struct sym_info a, b;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (!ASSERT_TRUE(c != NULL, "new") || !ASSERT_TRUE(n > 0, "readlink"))
		goto out;
	exe[n] = '\0';
	if (!ASSERT_EQ(symcache__resolve(c, getpid(), addr_of(symcache_test_target) + 2, &a), 0,
		       "resolve"))
		goto out;
	ASSERT_STREQ(a.func, "symcache_test_target", "func");
	ASSERT_EQ(a.off, 2, "off");
	ASSERT_STREQ(a.module, exe, "module is the executable");
	/* cached: the very same pointers */
	if (ASSERT_EQ(symcache__resolve(c, getpid(), addr_of(symcache_test_target) + 2, &b), 0,
		      "again")) {
		ASSERT_TRUE(a.module == b.module, "same module pointer");
		ASSERT_TRUE(a.func == b.func, "same func pointer");
	}
	/* forgetting the maps keeps the strings */
	symcache__forget_pid(c, getpid());
	if (ASSERT_EQ(symcache__resolve(c, getpid(), addr_of(symcache_test_target) + 2, &b), 0,
		      "after forget")) {
		ASSERT_TRUE(a.module == b.module, "module survives forget");
		ASSERT_TRUE(a.func == b.func, "func survives forget");
	}
out:
	symcache__free(c);
}

static void test_libelf(void)
{
	void *fn = dlsym(RTLD_DEFAULT, "elf_memory");
	struct symcache *c = symcache__new();
	struct sym_info si;

	if (!ASSERT_TRUE(c != NULL, "new") || !ASSERT_TRUE(fn != NULL, "dlsym"))
		goto out;
	if (!ASSERT_EQ(symcache__resolve(c, getpid(), addr_of(fn) + 1, &si), 0, "resolve"))
		goto out;
	ASSERT_TRUE(strstr(si.module, "libelf") != NULL, si.module);
	ASSERT_STREQ(si.func, "elf_memory", "func");
	ASSERT_EQ(si.off, 1, "off");
out:
	symcache__free(c);
}

static void test_unmapped(void)
{
	struct symcache *c = symcache__new();
	struct sym_info si;
	char *heap = malloc(64);

	if (ASSERT_TRUE(c != NULL && heap != NULL, "setup")) {
		ASSERT_EQ(symcache__resolve(c, getpid(), 0x10, &si), -ENOENT, "address 0x10");
		ASSERT_EQ(symcache__resolve(c, getpid(), UINT64_MAX, &si), -ENOENT, "top");
		ASSERT_EQ(symcache__resolve(c, getpid(), addr_of(heap), &si), -ENOENT,
			  "anonymous memory");
	}
	free(heap);
	symcache__free(c);
	symcache__free(NULL);
	symcache__forget_pid(NULL, 1);
}

static void test_gone_pid(void)
{
	struct symcache *c = symcache__new();
	struct sym_info si;
	pid_t pid = fork();

	if (!ASSERT_TRUE(pid >= 0, "fork"))
		goto out;
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid, "reap");
	ASSERT_EQ(symcache__resolve(c, pid, addr_of(symcache_test_target), &si), -ESRCH,
		  "no such process");
out:
	symcache__free(c);
}

static const char symcache_test_string[] = "../crypto/test_string.c";

/*
 * A forked child shares its parent's maps: once inherited, its addresses
 * resolve (and strings in its files read) after it is gone and reaped, and
 * it has the parent's layout id until it is reloaded.
 */
/*
 * An address no file maps (the uprobe trampoline, JIT code) misses, re-reads
 * the maps, and leaves the layout as it was: sites named from it stay valid.
 */
static void test_miss_keeps_layout(void)
{
	struct symcache *c = symcache__new();
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sym_info si;
	__u32 img, gen;

	if (!ASSERT_TRUE(c != NULL, "new") || !ASSERT_TRUE(anon != MAP_FAILED, "mmap"))
		goto out;
	img = symcache__image(c, getpid());
	gen = symcache__layout_gen(c);
	ASSERT_TRUE(img != 0, "image");
	ASSERT_TRUE(symcache__resolve(c, getpid(), (__u64)(uintptr_t)anon, &si) != 0, "a miss");
	ASSERT_TRUE(symcache__resolve(c, getpid(), (__u64)(uintptr_t)anon + 8, &si) != 0,
		    "a miss again");
	ASSERT_EQ(symcache__image(c, getpid()), img, "same image");
	ASSERT_EQ(symcache__layout_gen(c), gen, "same layout generation");
out:
	if (anon != MAP_FAILED)
		munmap(anon, 4096);
	symcache__free(c);
}

static void test_inherit_gone_child(void)
{
	struct symcache *c = symcache__new();
	void *extra = MAP_FAILED;
	struct sym_info si;
	char buf[64];
	int gate[2], fd;
	pid_t pid;
	char x;

	if (!ASSERT_TRUE(c != NULL, "new") || !ASSERT_EQ(pipe(gate), 0, "pipe"))
		goto out;
	pid = fork();
	if (!ASSERT_TRUE(pid >= 0, "fork"))
		goto out;
	if (pid == 0) {
		close(gate[1]);
		if (read(gate[0], &x, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(gate[0]);
	ASSERT_EQ(symcache__inherit(c, pid, getpid()), 0, "inherit");
	ASSERT_EQ(symcache__image(c, pid), symcache__image(c, getpid()), "same layout");
	close(gate[1]);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid, "reap");
	if (ASSERT_EQ(symcache__resolve(c, pid, addr_of(symcache_test_target) + 1, &si), 0,
		      "resolve in the gone child"))
		ASSERT_STREQ(si.func, "symcache_test_target", "func");
	if (ASSERT_EQ(symcache__read_str(c, pid, addr_of((void *)symcache_test_string), buf,
					 sizeof(buf)), 0, "string from the file"))
		ASSERT_STREQ(buf, symcache_test_string, "string");
	ASSERT_EQ(symcache__read_str(c, pid, addr_of((void *)symcache_test_string), buf, 4), 0,
		  "truncated");
	ASSERT_STREQ(buf, "../", "truncated string");
	/* a reload that finds the same files keeps the layout the child shares */
	ASSERT_EQ(symcache__reload(c, getpid()), 0, "reload");
	ASSERT_EQ(symcache__image(c, pid), symcache__image(c, getpid()), "nothing changed");
	/* a file mapped since gives the parent a layout of its own */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	extra = fd >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (fd >= 0)
		close(fd);
	if (ASSERT_TRUE(extra != MAP_FAILED, "map a file")) {
		ASSERT_EQ(symcache__reload(c, getpid()), 0, "reload");
		ASSERT_TRUE(symcache__image(c, pid) != symcache__image(c, getpid()),
			    "layouts differ");
	}
	symcache__forget_pid(c, getpid());
	if (ASSERT_EQ(symcache__resolve(c, pid, addr_of(symcache_test_target), &si), 0,
		      "child keeps the layout"))
		ASSERT_STREQ(si.func, "symcache_test_target", "func after the parent's forget");
	ASSERT_EQ(symcache__reload(c, pid), -ESRCH, "a gone child cannot be reloaded");
out:
	if (extra != MAP_FAILED)
		munmap(extra, 4096);
	symcache__free(c);
}

/* Copies the file at src to a new temporary file; returns its path or NULL. */
static char *copy_to_temp(const char *src)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int in = -1, out = -1, ok = 0;
	struct stat st;
	char *path;

	if (asprintf(&path, "%s/tlsmem-test-XXXXXX", dir) < 0)
		return NULL;
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = mkstemp(path);
	if (in >= 0 && out >= 0 && !fstat(in, &st))
		ok = sendfile(out, in, NULL, (size_t)st.st_size) == st.st_size;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (!ok) {
		if (out >= 0)
			unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

/* The Java story: a library loaded from a file deleted right after. */
static void test_deleted_library(void)
{
	struct symcache *c = symcache__new();
	void *h = NULL, *fn;
	char *copy = NULL, want[PATH_MAX + 16];
	struct sym_info si;
	Dl_info info;

	if (!ASSERT_TRUE(c != NULL, "new") ||
	    !ASSERT_TRUE(dladdr(dlsym(RTLD_DEFAULT, "elf_memory"), &info) != 0, "dladdr"))
		goto out;
	copy = copy_to_temp(info.dli_fname);
	if (!ASSERT_TRUE(copy != NULL, "copy libelf"))
		goto out;
	h = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
	unlink(copy);
	if (!ASSERT_TRUE(h != NULL, "dlopen copy"))
		goto out;
	fn = dlsym(h, "elf_version");
	if (!ASSERT_TRUE(fn != NULL, "dlsym"))
		goto out;
	if (!ASSERT_EQ(symcache__resolve(c, getpid(), addr_of(fn), &si), 0, "resolve"))
		goto out;
	snprintf(want, sizeof(want), "%s (deleted)", copy);
	ASSERT_STREQ(si.module, want, "module says deleted");
	if (geteuid() != 0) {		/* map_files needs root; nothing else can read it */
		printf("note: not root, deleted-file symbols not checked\n");
		goto out;
	}
	ASSERT_STREQ(si.func, "elf_version", "func read through map_files");
	ASSERT_EQ(si.off, 0, "off");
out:
	if (h)
		dlclose(h);
	free(copy);
	symcache__free(c);
}

static const struct test_case tests[] = {
	TEST(test_own_function),
	TEST(test_libelf),
	TEST(test_unmapped),
	TEST(test_gone_pid),
	TEST(test_miss_keeps_layout),
	TEST(test_inherit_gone_child),
	TEST(test_deleted_library),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
