// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unit tests for user/model/htab.c: open addressing with linear probing and
 * backward-shift deletion. Colliding keys are found through the table itself
 * (the slot a key takes in an empty table is its home), so the tests do not
 * depend on the hash function.
 */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "htab.h"
#include "test.h"

#define CAP0	64		/* capacity after the first insert */

static size_t slot_index(const struct htab *h, const __u32 *val)
{
	return (size_t)((const struct hent *)((const char *)val - offsetof(struct hent, val)) - h->v);
}

/* The home slot of a key in a table of CAP0 slots. */
static size_t home_of(__u64 k1, __u32 k2)
{
	struct htab h = { 0 };
	size_t i = SIZE_MAX;

	if (!htab__put(&h, k1, k2, 1) && h.cap == CAP0)
		i = slot_index(&h, htab__find(&h, k1, k2));
	htab__clear(&h);
	return i;
}

/* Fills k[0..n) with allocator-like addresses whose home is one of homes[0..nh). */
static bool keys_homed(__u64 *k, int n, const size_t *homes, int nh, __u32 k2)
{
	__u64 a = 0x55aa00001000ULL;
	int got = 0, j;

	for (; got < n && a < 0x55aa10000000ULL; a += 16) {
		size_t hm = home_of(a, k2);

		for (j = 0; j < nh; j++) {
			if (hm == homes[j]) {
				k[got++] = a;
				break;
			}
		}
	}
	return ASSERT_EQ(got, n, "colliding keys found");
}

static bool slot_empty(const struct htab *h, size_t i)
{
	return h->v[i & (h->cap - 1)].val == HTAB_EMPTY;
}

/* Every occupied slot is reachable by find, the count matches n. */
static bool check_table(const struct htab *h)
{
	size_t i, used = 0;
	bool ok = true;

	for (i = 0; i < h->cap; i++) {
		__u32 *p;

		if (h->v[i].val == HTAB_EMPTY)
			continue;
		used++;
		p = htab__find(h, h->v[i].k1, h->v[i].k2);
		if (!p || p != &h->v[i].val)
			ok &= CHECK_(false, "entry reachable", "slot %zu key %#llx/%u", i,
				     (unsigned long long)h->v[i].k1, h->v[i].k2);
	}
	ok &= ASSERT_EQ(used, h->n, "occupied slots == n");
	ok &= ASSERT_TRUE(h->cap == 0 || used * 2 <= h->cap, "load at most one half");
	return ok;
}

static void test_empty_table(void)
{
	struct htab h = { 0 };
	__u32 v = 7;

	ASSERT_TRUE(htab__find(&h, 0, 0) == NULL, "find in an empty table");
	ASSERT_EQ(htab__del(&h, 0x1000, 1, &v), -ENOENT, "del in an empty table");
	ASSERT_EQ(v, 7, "val untouched");
	ASSERT_EQ(htab__bytes(&h), 0, "bytes");
	htab__clear(&h);
	ASSERT_EQ(htab__put(&h, 0, 0, 0), 0, "put key (0, 0) after clear");
	ASSERT_EQ(h.cap, CAP0, "first capacity");
	if (ASSERT_TRUE(htab__find(&h, 0, 0) != NULL, "key (0, 0) found"))
		ASSERT_EQ(*htab__find(&h, 0, 0), 0, "value 0");
	ASSERT_EQ(htab__bytes(&h), CAP0 * sizeof(struct hent), "bytes after the first put");
	htab__clear(&h);
	ASSERT_TRUE(htab__find(&h, 0, 0) == NULL, "cleared");
	ASSERT_EQ(h.n, 0, "n after clear");
	ASSERT_EQ(htab__bytes(&h), 0, "bytes after clear");
}

static void test_put_find_del(void)
{
	struct htab h = { 0 };
	__u32 v = 0;

	ASSERT_EQ(htab__put(&h, 0x1000, 1, 10), 0, "put a");
	ASSERT_EQ(htab__put(&h, 0x2000, 1, 20), 0, "put b");
	ASSERT_EQ(h.n, 2, "n");
	if (ASSERT_TRUE(htab__find(&h, 0x1000, 1) != NULL, "find a"))
		ASSERT_EQ(*htab__find(&h, 0x1000, 1), 10, "a's value");
	ASSERT_TRUE(htab__find(&h, 0x3000, 1) == NULL, "absent key");
	ASSERT_EQ(htab__del(&h, 0x1000, 1, &v), 0, "del a");
	ASSERT_EQ(v, 10, "del returns the value");
	ASSERT_TRUE(htab__find(&h, 0x1000, 1) == NULL, "a gone");
	ASSERT_EQ(htab__del(&h, 0x1000, 1, &v), -ENOENT, "del a again");
	ASSERT_EQ(htab__del(&h, 0x2000, 1, NULL), 0, "del with val NULL");
	ASSERT_EQ(h.n, 0, "n at the end");
	check_table(&h);
	htab__clear(&h);
}

static void test_overwrite(void)
{
	struct htab h = { 0 };
	__u32 v = 0;

	htab__put(&h, 0x1000, 3, 1);
	ASSERT_EQ(htab__put(&h, 0x1000, 3, 2), 0, "overwrite");
	ASSERT_EQ(h.n, 1, "still one entry");
	if (ASSERT_TRUE(htab__find(&h, 0x1000, 3) != NULL, "found"))
		ASSERT_EQ(*htab__find(&h, 0x1000, 3), 2, "new value");
	ASSERT_EQ(htab__del(&h, 0x1000, 3, &v), 0, "del");
	ASSERT_EQ(v, 2, "del returns the new value");
	ASSERT_TRUE(htab__find(&h, 0x1000, 3) == NULL, "no second copy left behind");
	check_table(&h);
	htab__clear(&h);
}

static void test_k2_distinguishes_keys(void)
{
	const __u64 k1 = 0x55aa00002340ULL;
	const __u32 k2s[] = { 0, 1, 2, 0x80000000u, 0xffffffffu };
	const int n = sizeof(k2s) / sizeof(k2s[0]);
	struct htab h = { 0 };
	__u64 x;
	int i;

	for (i = 0; i < n; i++)
		htab__put(&h, k1, k2s[i], 100 + i);
	ASSERT_EQ(h.n, n, "one entry per k2");
	for (i = 0; i < n; i++)
		if (ASSERT_TRUE(htab__find(&h, k1, k2s[i]) != NULL, "found"))
			ASSERT_EQ(*htab__find(&h, k1, k2s[i]), 100 + i, "value of its own k2");
	ASSERT_EQ(htab__del(&h, k1, 2, NULL), 0, "del (k1, 2)");
	ASSERT_TRUE(htab__find(&h, k1, 2) == NULL, "(k1, 2) gone");
	for (i = 0; i < n; i++)
		if (k2s[i] != 2)
			ASSERT_TRUE(htab__find(&h, k1, k2s[i]) != NULL, "others stay");
	ASSERT_TRUE(htab__find(&h, k1 + 1, 0) == NULL, "k1 + 1 absent");

	/*
	 * (k1, k2) and (k1 ^ mix(k2), 0) feed the same word to today's hash, so
	 * they share a home; they are still two keys.
	 */
	x = k1 ^ ((__u64)7 << 47) ^ ((__u64)7 >> 17);
	htab__clear(&h);
	htab__put(&h, k1, 7, 1);
	htab__put(&h, x, 0, 2);
	ASSERT_EQ(h.n, 2, "two entries");
	if (ASSERT_TRUE(htab__find(&h, k1, 7) != NULL, "(k1, 7)"))
		ASSERT_EQ(*htab__find(&h, k1, 7), 1, "(k1, 7) value");
	if (ASSERT_TRUE(htab__find(&h, x, 0) != NULL, "(x, 0)"))
		ASSERT_EQ(*htab__find(&h, x, 0), 2, "(x, 0) value");
	ASSERT_TRUE(htab__find(&h, k1, 0) == NULL, "(k1, 0) absent");
	ASSERT_TRUE(htab__find(&h, x, 7) == NULL, "(x, 7) absent");
	htab__del(&h, k1, 7, NULL);
	if (ASSERT_TRUE(htab__find(&h, x, 0) != NULL, "(x, 0) after del of (k1, 7)"))
		ASSERT_EQ(*htab__find(&h, x, 0), 2, "(x, 0) value after del");

	/* equal k1, different k2, same home slot: the probe meets the other key */
	htab__clear(&h);
	for (i = 1; i < 100000 && home_of(k1, i) != home_of(k1, 0); i++)
		;
	if (ASSERT_TRUE(i < 100000, "a k2 sharing the home of (k1, 0)")) {
		htab__put(&h, k1, 0, 10);
		htab__put(&h, k1, i, 20);
		ASSERT_EQ(h.n, 2, "two entries in one cluster");
		if (ASSERT_TRUE(htab__find(&h, k1, i) != NULL, "(k1, i) found"))
			ASSERT_EQ(*htab__find(&h, k1, i), 20, "(k1, i) value");
		if (ASSERT_TRUE(htab__find(&h, k1, 0) != NULL, "(k1, 0) found"))
			ASSERT_EQ(*htab__find(&h, k1, 0), 10, "(k1, 0) value");
		htab__del(&h, k1, 0, NULL);
		if (ASSERT_TRUE(htab__find(&h, k1, i) != NULL, "(k1, i) after del of (k1, 0)"))
			ASSERT_EQ(*htab__find(&h, k1, i), 20, "(k1, i) value after del");
		ASSERT_TRUE(htab__find(&h, k1, 0) == NULL, "(k1, 0) gone");
	}
	check_table(&h);
	htab__clear(&h);
}

/* Six keys with one home: they take consecutive slots; deletions close the gap. */
static void test_colliding_keys(void)
{
	const size_t home = 10;
	struct htab h = { 0 };
	__u64 k[6];
	__u32 v;
	int i, j;

	if (!keys_homed(k, 6, &home, 1, 1))
		return;
	for (i = 0; i < 6; i++)
		htab__put(&h, k[i], 1, i);
	if (!ASSERT_EQ(h.cap, CAP0, "capacity"))
		goto out;
	for (i = 0; i < 6; i++) {
		__u32 *p = htab__find(&h, k[i], 1);

		if (ASSERT_TRUE(p != NULL, "found")) {
			ASSERT_EQ(*p, i, "value");
			ASSERT_EQ(slot_index(&h, p), home + i, "linear probing from the home slot");
		}
	}
	ASSERT_TRUE(slot_empty(&h, home + 6), "cluster ends");

	ASSERT_EQ(htab__del(&h, k[2], 1, &v), 0, "del from the middle");
	ASSERT_EQ(v, 2, "its value");
	for (i = 0; i < 6; i++) {
		if (i == 2)
			continue;
		if (ASSERT_TRUE(htab__find(&h, k[i], 1) != NULL, "others found after del"))
			ASSERT_EQ(*htab__find(&h, k[i], 1), i, "others' values after del");
	}
	for (j = 0; j < 5; j++)
		ASSERT_TRUE(!slot_empty(&h, home + j), "no hole left in the cluster");
	ASSERT_TRUE(slot_empty(&h, home + 5), "the cluster shrank by one");
	ASSERT_TRUE(htab__find(&h, k[2], 1) == NULL, "deleted key gone");

	htab__del(&h, k[0], 1, NULL);		/* the head */
	htab__del(&h, k[5], 1, NULL);		/* the tail */
	for (i = 1; i < 5; i++)
		if (i != 2)
			ASSERT_TRUE(htab__find(&h, k[i], 1) != NULL, "found after head and tail");
	ASSERT_TRUE(!slot_empty(&h, home) && !slot_empty(&h, home + 2) && slot_empty(&h, home + 3),
		    "three left at home, home + 1, home + 2");
	check_table(&h);
out:
	htab__clear(&h);
}

/* An entry is never shifted before its home slot. */
static void test_backward_shift_respects_home(void)
{
	const size_t x = 20, x1 = 21;
	struct htab h = { 0 };
	__u64 a[2], b[1];
	__u32 *p;

	if (!keys_homed(a, 2, &x, 1, 1) || !keys_homed(b, 1, &x1, 1, 1))
		return;
	/* a0 at x, b0 (home x + 1) at x + 1, a1 (home x) at x + 2 */
	htab__put(&h, a[0], 1, 1);
	htab__put(&h, b[0], 1, 2);
	htab__put(&h, a[1], 1, 3);
	p = htab__find(&h, a[1], 1);
	if (!ASSERT_TRUE(p && slot_index(&h, p) == x + 2, "a1 pushed to x + 2"))
		goto out;
	htab__del(&h, a[0], 1, NULL);
	p = htab__find(&h, b[0], 1);
	if (ASSERT_TRUE(p != NULL, "b0 found"))
		ASSERT_EQ(slot_index(&h, p), x1, "b0 stays at its home");
	p = htab__find(&h, a[1], 1);
	if (ASSERT_TRUE(p != NULL, "a1 found"))
		ASSERT_EQ(slot_index(&h, p), x, "a1 shifted back to its home, over b0");
	ASSERT_TRUE(slot_empty(&h, x + 2), "x + 2 freed");

	/* only b0 (home x + 1) after the hole at x: it must not move */
	htab__del(&h, a[1], 1, NULL);
	htab__put(&h, a[0], 1, 1);		/* back at x */
	htab__del(&h, a[0], 1, NULL);
	p = htab__find(&h, b[0], 1);
	if (ASSERT_TRUE(p != NULL, "b0 found after the hole"))
		ASSERT_EQ(slot_index(&h, p), x1, "b0 not moved before its home");
	ASSERT_TRUE(slot_empty(&h, x), "x empty");
	check_table(&h);
out:
	htab__clear(&h);
}

/* A cluster that wraps from the last slot to the first. */
static void test_wrapping_cluster(void)
{
	const size_t homes[] = { CAP0 - 2, CAP0 - 1 };
	struct htab h = { 0 };
	__u64 k[8];
	int i, j, order[8] = { 0, 7, 3, 1, 6, 2, 5, 4 };

	if (!keys_homed(k, 8, homes, 2, 9))
		return;
	for (i = 0; i < 8; i++)
		htab__put(&h, k[i], 9, i);
	ASSERT_TRUE(!slot_empty(&h, 0) && !slot_empty(&h, 5), "the cluster wraps");
	for (i = 0; i < 8; i++) {
		htab__del(&h, k[order[i]], 9, NULL);
		for (j = i + 1; j < 8; j++)
			if (!ASSERT_TRUE(htab__find(&h, k[order[j]], 9) != NULL, "found after a del"))
				goto out;
		if (!check_table(&h))
			goto out;
	}
	ASSERT_EQ(h.n, 0, "empty at the end");
	for (i = 0; i < CAP0; i++)
		if (!ASSERT_TRUE(slot_empty(&h, i), "all slots empty"))
			break;
out:
	htab__clear(&h);
}

static void test_growth(void)
{
	const __u32 n = 100000;
	struct htab h = { 0 };
	size_t last_cap = 0;
	__u32 i;

	for (i = 0; i < n; i++) {
		if (!ASSERT_EQ(htab__put(&h, 0x55aa00000000ULL + (__u64)i * 32, i % 3, i), 0, "put"))
			goto out;
		if (h.cap != last_cap) {
			ASSERT_TRUE((h.cap & (h.cap - 1)) == 0, "capacity a power of two");
			ASSERT_TRUE(h.cap > last_cap, "capacity grows");
			last_cap = h.cap;
		}
		if (!ASSERT_TRUE(h.n * 2 <= h.cap, "load at most one half"))
			goto out;
	}
	ASSERT_EQ(h.n, n, "n");
	ASSERT_EQ(htab__bytes(&h), h.cap * sizeof(struct hent), "bytes");
	ASSERT_TRUE(h.cap <= 4 * (size_t)n, "capacity not oversized");
	for (i = 0; i < n; i++) {
		__u32 *p = htab__find(&h, 0x55aa00000000ULL + (__u64)i * 32, i % 3);

		if (!ASSERT_TRUE(p && *p == i, "every key kept its value through growth"))
			goto out;
		if (!ASSERT_TRUE(!htab__find(&h, 0x55aa00000000ULL + (__u64)i * 32, (i + 1) % 3),
				 "no key under another k2"))
			goto out;
	}
	for (i = 1; i < n; i += 2)
		htab__del(&h, 0x55aa00000000ULL + (__u64)i * 32, i % 3, NULL);
	ASSERT_EQ(h.n, n / 2, "n after deleting half");
	for (i = 0; i < n; i++) {
		__u32 *p = htab__find(&h, 0x55aa00000000ULL + (__u64)i * 32, i % 3);

		if (!ASSERT_TRUE(i % 2 ? p == NULL : p && *p == i, "deleted gone, others kept"))
			goto out;
	}
	check_table(&h);
out:
	htab__clear(&h);
}

static __u64 rng;

static __u64 rnd(void)
{
	__u64 z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Random put/del/find over a key universe against an array; false on the first error. */
static bool run_random(struct htab *h, const __u64 *k1, const __u32 *k2, int nk, long ops,
		       int max_n, size_t fixed_cap)
{
	__u32 *ref = malloc(nk * sizeof(*ref));
	long op;
	int i, n = 0;
	bool ok = true;

	if (!ASSERT_TRUE(ref != NULL, "malloc"))
		return false;
	for (i = 0; i < nk; i++)
		ref[i] = HTAB_EMPTY;
	for (op = 0; op < ops && ok; op++) {
		__u32 r = rnd() % 100, val = (__u32)(rnd() % HTAB_EMPTY), got = HTAB_EMPTY;
		__u32 *p;

		i = (int)(rnd() % nk);
		if (r < 45 && (n < max_n || ref[i] != HTAB_EMPTY)) {
			ok &= ASSERT_EQ(htab__put(h, k1[i], k2[i], val), 0, "put");
			n += ref[i] == HTAB_EMPTY;
			ref[i] = val;
		} else if (r < 90) {
			int err = htab__del(h, k1[i], k2[i], &got);

			if (ref[i] == HTAB_EMPTY) {
				ok &= ASSERT_EQ(err, -ENOENT, "del of an absent key");
			} else {
				ok &= ASSERT_EQ(err, 0, "del of a present key");
				ok &= ASSERT_EQ(got, ref[i], "del's value");
				ref[i] = HTAB_EMPTY;
				n--;
			}
		} else {
			p = htab__find(h, k1[i], k2[i]);
			ok &= CHECK_(ref[i] == HTAB_EMPTY ? !p : p && *p == ref[i], "find",
				     "op %ld key %d", op, i);
		}
		ok &= ASSERT_EQ(h->n, n, "n");
		if (fixed_cap)
			ok &= ASSERT_EQ(h->cap, fixed_cap, "capacity stays");
		if (op % 997 == 0 || fixed_cap) {
			for (i = 0; i < nk && ok; i++) {
				p = htab__find(h, k1[i], k2[i]);
				ok &= CHECK_(ref[i] == HTAB_EMPTY ? !p : p && *p == ref[i],
					     "every key", "op %ld key %d", op, i);
			}
			ok &= check_table(h);
		}
	}
	free(ref);
	return ok;
}

/* Allocator-like addresses in three pids, growing and shrinking. */
static void test_random_against_reference(void)
{
	enum { NK = 3000 };
	static __u64 k1[NK];
	static __u32 k2[NK];
	struct htab h = { 0 };
	int i;

	rng = 0x4854ab01;
	for (i = 0; i < NK; i++) {
		k1[i] = 0x55aa00000000ULL + (__u64)(i / 3) * 48;
		k2[i] = 1000 + i % 3;
	}
	run_random(&h, k1, k2, NK, 300000, NK, 0);
	htab__clear(&h);
}

/*
 * 40 keys homed on four slots around the wrap point, at most 32 present so the
 * table stays at 64 slots: long clusters, every deletion shifts.
 */
static void test_random_clustered(void)
{
	const size_t homes[] = { CAP0 - 2, CAP0 - 1, 0, 1 };
	__u64 k1[40];
	__u32 k2[40];
	struct htab h = { 0 };
	int i;

	if (!keys_homed(k1, 40, homes, 4, 5))
		return;
	for (i = 0; i < 40; i++)
		k2[i] = 5;
	rng = 0x4854ab02;
	htab__put(&h, k1[0], 5, 0);
	htab__del(&h, k1[0], 5, NULL);
	run_random(&h, k1, k2, 40, 100000, CAP0 / 2, CAP0);
	htab__clear(&h);
}

static const struct test_case tests[] = {
	TEST(test_empty_table),
	TEST(test_put_find_del),
	TEST(test_overwrite),
	TEST(test_k2_distinguishes_keys),
	TEST(test_colliding_keys),
	TEST(test_backward_shift_respects_home),
	TEST(test_wrapping_cluster),
	TEST(test_growth),
	TEST(test_random_against_reference),
	TEST(test_random_clustered),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
