/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_TEST_H
#define TLSMEM_TEST_H

/*
 * Minimal test harness in the style of the kernel's BPF selftests: every
 * assertion reports and returns a bool, so a test can stop early with
 * `if (!ASSERT_...) return;`. A test file defines a table of tests and calls
 * test_main(), which prints PASS/FAIL per test and "N passed, N failed".
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int test_failures;

#define CHECK_(ok, what, fmt, ...) ({					\
	bool ok_ = (ok);						\
	if (!ok_) {							\
		fprintf(stderr, "%s:%d: FAIL %s: " fmt "\n",		\
			__FILE__, __LINE__, (what), ##__VA_ARGS__);	\
		test_failures++;					\
	}								\
	ok_;								\
})
#define ASSERT_TRUE(c, what)	CHECK_((c), (what), "false")
#define ASSERT_EQ(act, exp, what) ({					\
	long long a_ = (long long)(act), e_ = (long long)(exp);		\
	CHECK_(a_ == e_, (what), "got %lld, want %lld", a_, e_);	\
})
#define ASSERT_STREQ(act, exp, what) ({					\
	const char *a_ = (act), *e_ = (exp);				\
	CHECK_(a_ && e_ && strcmp(a_, e_) == 0, (what), "got \"%s\", want \"%s\"", \
	       a_ ? a_ : "(null)", e_ ? e_ : "(null)");			\
})

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(fn) { #fn, fn }

int test_main(const struct test_case *t, size_t n);

#ifdef TEST_IMPLEMENTATION
int test_failures;

int test_main(const struct test_case *t, size_t n)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		int before = test_failures;

		t[i].fn();
		if (test_failures == before) {
			passed++;
			printf("PASS %s\n", t[i].name);
		} else {
			failed++;
			printf("FAIL %s\n", t[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif

#endif /* TLSMEM_TEST_H */
