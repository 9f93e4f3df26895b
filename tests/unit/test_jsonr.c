// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON reader: values, escapes, order, and every way to refuse input. */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "jsonr.h"

static struct jsonr *parse(const char *s)
{
	char err[200];

	return jsonr__parse(s, strlen(s), err, sizeof(err));
}

static void test_values(void)
{
	struct jsonr *d = parse(" {\"a\": 1.5, \"b\": [true, false, null, \"x\"], \"c\": {},"
				" \"d\": -0, \"e\": 18446744073709551615, \"f\": 2e-3} ");
	const struct jsonr_node *r = jsonr__root(d), *b, *e;
	double v = 0;
	bool t = false;

	if (!ASSERT_TRUE(d && r, "parsed"))
		return;
	ASSERT_EQ(r->type, JSONR_OBJ, "root object");
	ASSERT_EQ(r->count, 6, "members");
	ASSERT_TRUE(jsonr_num(jsonr_get(r, "a"), &v) && v == 1.5, "a");
	ASSERT_TRUE(jsonr_num(jsonr_get(r, "e"), &v) && v == 18446744073709551615.0, "u64");
	ASSERT_TRUE(jsonr_num(jsonr_get(r, "f"), &v) && v == 2e-3, "exponent");
	b = jsonr_get(r, "b");
	ASSERT_EQ(b->count, 4, "elements");
	e = jsonr_first(b);
	ASSERT_TRUE(jsonr_bool(e, &t) && t, "true");
	e = jsonr_next(e);
	ASSERT_TRUE(jsonr_bool(e, &t) && !t, "false");
	e = jsonr_next(e);
	ASSERT_EQ(e->type, JSONR_NULL, "null");
	ASSERT_TRUE(!jsonr_num(e, &v), "null is no number");
	e = jsonr_next(e);
	ASSERT_STREQ(jsonr_str(e), "x", "string");
	ASSERT_TRUE(jsonr_next(e) == NULL, "last");
	ASSERT_TRUE(jsonr_first(jsonr_get(r, "c")) == NULL, "empty object");
	ASSERT_TRUE(jsonr_get(r, "zz") == NULL, "absent key");
	ASSERT_TRUE(jsonr_get(b, "a") == NULL, "get on an array");
	ASSERT_TRUE(jsonr_str(NULL) == NULL, "NULL-safe");
	jsonr__free(d);
}

static void test_escapes(void)
{
	struct jsonr *d = parse("[\"a\\\"b\\\\c\\/d\\n\", \"\\u00e9\\u20ac\\ud83d\\ude00\", \"\\u0000z\"]");
	const struct jsonr_node *e = jsonr_first(jsonr__root(d));

	if (!ASSERT_TRUE(d != NULL, "parsed"))
		return;
	ASSERT_STREQ(jsonr_str(e), "a\"b\\c/d\n", "simple escapes");
	e = jsonr_next(e);
	ASSERT_STREQ(jsonr_str(e), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "utf-8, surrogate pair");
	e = jsonr_next(e);
	ASSERT_STREQ(jsonr_str(e), "?z", "NUL never ends a string early");
	jsonr__free(d);
}

static void test_nested_order(void)
{
	struct jsonr *d = parse("{\"s\":[{\"k\":1},{\"k\":2,\"x\":[[],[3]]},{\"k\":3}],\"t\":4}");
	const struct jsonr_node *r = jsonr__root(d), *e;
	double v, want = 1;

	if (!ASSERT_TRUE(d != NULL, "parsed"))
		return;
	for (e = jsonr_first(jsonr_get(r, "s")); e; e = jsonr_next(e), want++)
		ASSERT_TRUE(jsonr_num(jsonr_get(e, "k"), &v) && v == want, "element in order");
	ASSERT_EQ(want, 4, "three elements");
	ASSERT_TRUE(jsonr_num(jsonr_get(r, "t"), &v) && v == 4, "member after a nested array");
	jsonr__free(d);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"", "   ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]",
		"[.5]", "[1e]", "[-]", "[+1]", "[1e999]", "[tru]", "[nul]", "\"abc",
		"\"a\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
		"\"tab\there\"", "{} {}", "[1] x", "[1 2]", "{\"a\":1 \"b\":2}", "NaN", "[Infinity]",
		"[0.00000000000000000000000000000000000000000000000000000000000000001]",
	};
	char err[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jsonr *d = jsonr__parse(bad[i], strlen(bad[i]), err, sizeof(err));

		if (!CHECK_(d == NULL && errno == EINVAL && err[0], "refused", "input %zu: %s", i, bad[i]))
			jsonr__free(d);
	}
}

static void test_depth_bound(void)
{
	char buf[2 * JSONR_DEPTH + 8], err[200];
	struct jsonr *d;
	int i;

	for (i = 0; i < JSONR_DEPTH; i++)
		buf[i] = '[';
	for (i = 0; i < JSONR_DEPTH; i++)
		buf[JSONR_DEPTH + i] = ']';
	d = jsonr__parse(buf, 2 * JSONR_DEPTH, err, sizeof(err));
	ASSERT_TRUE(d != NULL, "JSONR_DEPTH levels");
	jsonr__free(d);
	memmove(buf + 1, buf, 2 * JSONR_DEPTH);
	buf[0] = '[';
	buf[2 * JSONR_DEPTH + 1] = ']';
	d = jsonr__parse(buf, 2 * JSONR_DEPTH + 2, err, sizeof(err));
	ASSERT_TRUE(d == NULL && errno == EINVAL && strstr(err, "nested"), "one more is refused");
}

static void test_not_nul_terminated(void)
{
	char buf[] = { '[', '1', '2', ']', '9', '9' };	/* only 4 bytes are the input */
	struct jsonr *d = jsonr__parse(buf, 4, NULL, 0);
	double v = 0;

	ASSERT_TRUE(d && jsonr_num(jsonr_first(jsonr__root(d)), &v) && v == 12, "bounded by len");
	jsonr__free(d);
	d = jsonr__parse(buf, 2, NULL, 0);
	ASSERT_TRUE(d == NULL, "a number cut by len");
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_values),
		TEST(test_escapes),
		TEST(test_nested_order),
		TEST(test_refused),
		TEST(test_depth_bound),
		TEST(test_not_nul_terminated),
	};

	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
