// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unit tests for user/detect/sprt.c: the sequential test of lifecycles on
 * made-up evidence: leaks of every connection and of one in ten are found
 * within a few hundred closed connections, one-off state and thread pools
 * never are, and the checkpoints follow the evidence.
 */
#define TEST_IMPLEMENTATION
#include "test.h"
#include "sprt.h"

/* Feeds owners one by one; leaves(i) says whether owner i left a block. */
static __u64 first_leak(__u64 max, bool (*leaves)(__u64 i, __u64 *k))
{
	struct sprt_hist h = { 0 };
	__u64 i, k = 0, n0, k0;

	for (i = 1; i <= max; i++) {
		leaves(i, &k);
		sprt_hist__note(&h, i, k, &n0, &k0);
		if (sprt_leak(i, k, n0, k0))
			return i;
	}
	return 0;
}

static bool every(__u64 i, __u64 *k)
{
	(void)i;
	++*k;
	return true;
}

static bool tenth(__u64 i, __u64 *k)
{
	if (i % 10 == 0)
		++*k;
	return true;
}

static bool hundredth(__u64 i, __u64 *k)
{
	if (i % 100 == 0)
		++*k;
	return true;
}

/* a pool of 40 threads, each keeping one block of its first connection */
static bool pool40(__u64 i, __u64 *k)
{
	if (i <= 40)
		++*k;
	return true;
}

static bool one_off(__u64 i, __u64 *k)
{
	if (i == 1)
		*k = 1;
	return true;
}

static void test_leaks_found_early(void)
{
	__u64 n = first_leak(10000, every);

	ASSERT_TRUE(n >= SPRT_MIN_FREED && n <= 300, "every connection: within 300");
	n = first_leak(10000, tenth);
	ASSERT_TRUE(n >= SPRT_MIN_FREED && n <= 300, "one in ten: within 300");
}

static void test_healthy_never(void)
{
	ASSERT_EQ(first_leak(100000, hundredth), 0, "one in a hundred is below the test's bar");
	ASSERT_EQ(first_leak(100000, pool40), 0, "a pool of 40 threads is no leak");
	ASSERT_EQ(first_leak(100000, one_off), 0, "one-off state is no leak");
}

static void test_llr_and_bounds(void)
{
	ASSERT_TRUE(sprt_llr(10, 10) > 0 && sprt_llr(1000, 0) < 0, "signs");
	ASSERT_TRUE(sprt_llr(5, 9) == sprt_llr(5, 5), "k is capped at n");
	ASSERT_TRUE(!sprt_leak(1000, 1000, 2000, 0), "a checkpoint past n is refused");
	ASSERT_TRUE(!sprt_leak(1000, 7, 0, 0), "fewer than SPRT_MIN_LEFT never");
	ASSERT_TRUE(sprt_leak(1000, 1000, 500, 500), "all of them, both halves");
	/* blocks freed late: k fell below the checkpoint's */
	ASSERT_TRUE(!sprt_leak(1000, 400, 500, 450), "no growth since the checkpoint");
}

static void test_checkpoints(void)
{
	struct sprt_hist h = { 0 };
	__u64 n0, k0, n;

	sprt_hist__note(&h, 1, 1, &n0, &k0);
	ASSERT_EQ(n0, 0, "no checkpoint at or below half of 1");
	for (n = 2; n <= 1000; n++)
		sprt_hist__note(&h, n, n / 2, &n0, &k0);
	ASSERT_TRUE(n0 <= 500 && n0 >= 400, "newest checkpoint close to n/2");
	ASSERT_EQ(k0, n0 / 2, "its k");
	/* evidence that jumps (many owners weighed at once) */
	sprt_hist__note(&h, 100000, 5, &n0, &k0);
	ASSERT_TRUE(n0 <= 50000, "a checkpoint at most half");
}

static const struct test_case tests[] = {
	TEST(test_leaks_found_early),
	TEST(test_healthy_never),
	TEST(test_llr_and_bounds),
	TEST(test_checkpoints),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
