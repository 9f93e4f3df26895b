// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The CSV writer (quoting, numbers, sticky errors) and the reader. */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

/* What the writer quotes, the reader gives back field for field. */
static void test_read_back(void)
{
	static const char *const want[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "" };
	char *text = render(quoted_row);
	struct csv_rec r = { 0 };
	FILE *f = text ? fmemopen(text, strlen(text), "r") : NULL;
	size_t i;

	if (!ASSERT_TRUE(f != NULL, "stream"))
		goto out;
	if (ASSERT_EQ(csv_rec__read(f, &r), 1, "a record") && ASSERT_EQ(r.nf, 5, "five fields"))
		for (i = 0; i < 5; i++)
			ASSERT_STREQ(csv_rec__get(&r, i), want[i], "field");
	ASSERT_EQ(csv_rec__read(f, &r), 0, "then the end");
	fclose(f);
out:
	csv_rec__free(&r);
	free(text);
}

static void test_read_crlf_and_last_line(void)
{
	static const char text[] = "time_s,flags\r\n1.5,leak\r\n2,";
	struct csv_rec r = { 0 };
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	if (!ASSERT_TRUE(f != NULL, "stream"))
		return;
	ASSERT_EQ(csv_rec__read(f, &r), 1, "header");
	ASSERT_STREQ(csv_rec__get(&r, 1), "flags", "CR dropped before LF");
	ASSERT_EQ(csv_rec__read(f, &r), 1, "row");
	ASSERT_STREQ(csv_rec__get(&r, 1), "leak", "CR dropped");
	ASSERT_EQ(csv_rec__read(f, &r), 1, "a last line without its LF");
	if (ASSERT_EQ(r.nf, 2, "two fields, the last empty"))
		ASSERT_STREQ(csv_rec__get(&r, 1), "", "empty field");
	ASSERT_EQ(csv_rec__read(f, &r), 0, "end");
	fclose(f);
	csv_rec__free(&r);
}

static void test_read_too_long(void)
{
	size_t n = CSV_REC_MAX + 16;
	char *text = malloc(n);
	struct csv_rec r = { 0 };
	FILE *f;

	if (!ASSERT_TRUE(text != NULL, "buffer"))
		return;
	memset(text, 'x', n);
	f = fmemopen(text, n, "r");
	if (ASSERT_TRUE(f != NULL, "stream")) {
		ASSERT_EQ(csv_rec__read(f, &r), -E2BIG, "a record over CSV_REC_MAX");
		fclose(f);
	}
	csv_rec__free(&r);
	free(text);
}

static const struct test_case tests[] = {
	TEST(test_quoting),
	TEST(test_numbers_and_rows),
	TEST(test_error_is_sticky),
	TEST(test_read_back),
	TEST(test_read_crlf_and_last_line),
	TEST(test_read_too_long),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
