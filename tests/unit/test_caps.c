// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Which capabilities are named as missing, from synthetic effective sets. */
#define TEST_IMPLEMENTATION
#include "test.h"
#include "caps.h"

#define B(c)	(1ULL << (c))
#define DAC	B(2)
#define PTRACE	B(19)
#define ADMIN	B(21)
#define PERFMON	B(38)
#define BPF	B(39)
#define CKPT	B(40)

static void test_least_set_is_enough(void)
{
	char buf[256];

	ASSERT_EQ(caps_missing(BPF | PERFMON | PTRACE | DAC | CKPT, true, buf, sizeof(buf)), 0,
		  "the DaemonSet's set");
	ASSERT_STREQ(buf, "", "nothing named");
	ASSERT_EQ(caps_missing(ADMIN | PTRACE | DAC, true, buf, sizeof(buf)), 0,
		  "CAP_SYS_ADMIN stands in for BPF, PERFMON, CHECKPOINT_RESTORE");
	ASSERT_EQ(caps_missing(~0ULL, false, buf, sizeof(buf)), 0, "root on an old kernel");
}

static void test_missing_named(void)
{
	char buf[256];

	ASSERT_EQ(caps_missing(PERFMON | PTRACE | DAC | CKPT, true, buf, sizeof(buf)), 1, "no BPF");
	ASSERT_STREQ(buf, "CAP_BPF", "CAP_BPF named");
	ASSERT_EQ(caps_missing(BPF | PERFMON | PTRACE, true, buf, sizeof(buf)), 2, "two missing");
	ASSERT_STREQ(buf, "CAP_CHECKPOINT_RESTORE, CAP_DAC_READ_SEARCH", "both named");
	ASSERT_EQ(caps_missing(0, true, buf, sizeof(buf)), 5, "none at all");
	ASSERT_STREQ(buf, "CAP_BPF, CAP_PERFMON, CAP_CHECKPOINT_RESTORE, CAP_SYS_PTRACE, "
		     "CAP_DAC_READ_SEARCH", "all named");
	ASSERT_EQ(caps_missing(BPF | PERFMON | CKPT | PTRACE | DAC, false, buf, sizeof(buf)), 1,
		  "an old kernel knows only CAP_SYS_ADMIN");
	ASSERT_STREQ(buf, "CAP_SYS_ADMIN", "CAP_SYS_ADMIN named");
	ASSERT_EQ(caps_missing(0, true, buf, 8), 5, "a short buffer still counts");
	ASSERT_TRUE(strlen(buf) < 8, "and stays terminated");
}

static const struct test_case tests[] = {
	TEST(test_least_set_is_enough),
	TEST(test_missing_named),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
