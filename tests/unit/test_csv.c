// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The CSV writer: quoting, numbers, sticky errors. */
#define TEST_IMPLEMENTATION
#include <stdlib.h>
#include "test.h"
#include "csv.h"

static char *render(void (*fill)(struct csv_writer *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct csv_writer *w = csv_writer__new(f);

	fill(w);
	csv_writer__free(w);
	fclose(f);
	return buf;
}

static void quoted_row(struct csv_writer *w)
{
	csv_writer__field(w, "plain");
	csv_writer__field(w, "a,b");
	csv_writer__field(w, "say \"hi\"");
	csv_writer__field(w, "two\nlines");
	csv_writer__field(w, "");
	csv_writer__end_row(w);
}

static void numbers_row(struct csv_writer *w)
{
	csv_writer__u64(w, 18446744073709551615ULL);
	csv_writer__double(w, 1.5);
	csv_writer__u64(w, 0);
	csv_writer__end_row(w);
	csv_writer__u64(w, 7);
	csv_writer__end_row(w);
}

static void test_quoting(void)
{
	char *s = render(quoted_row);

	ASSERT_STREQ(s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n", "row");
	free(s);
}

static void test_numbers_and_rows(void)
{
	char *s = render(numbers_row);

	ASSERT_STREQ(s, "18446744073709551615,1.500,0\n7\n", "rows");
	free(s);
}

static void test_error_is_sticky(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct csv_writer *w;

	if (!ASSERT_TRUE(f != NULL, "open /dev/full"))
		return;
	w = csv_writer__new(f);
	csv_writer__field(w, "x");
	ASSERT_EQ(csv_writer__end_row(w), -5, "first row fails with -EIO");
	clearerr(f);
	ASSERT_EQ(csv_writer__end_row(w), -5, "still failed");
	ASSERT_EQ(csv_writer__free(w), -5, "free reports it");
	fclose(f);
}

static const struct test_case tests[] = {
	TEST(test_quoting),
	TEST(test_numbers_and_rows),
	TEST(test_error_is_sticky),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
