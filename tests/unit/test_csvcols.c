// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/output/csvcols.c and flags.c: the header and a row of the -o
 * time series written from a summary around a real model (synthetic
 * records), every column found by name; the README's column table lists
 * exactly the columns of the table, in order; every flag kind has its words.
 */
#define TEST_IMPLEMENTATION
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "csv.h"
#include "csvcols.h"
#include "flags.h"
#include "model.h"
#include "summary.h"
#include "test.h"

#define PID	77

static __u32 site_cb(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx;
	(void)pid;
	(void)file;
	(void)line;
	(void)caller;
	return 0;
}

static __u64 clock_ns = 1000000000ULL;

static void feed(struct model *m, __u16 kind, __u64 ptr, __u64 size, __u64 ssl, __u32 aux)
{
	struct tlsmem_alloc a = {
		.h = { .ts_ns = clock_ns += 1000, .pid = PID, .tid = PID, .kind = kind, .aux = aux },
		.ptr = ptr, .size = size, .file = 1 << 12, .line = 1, .caller = 0x5000, .ssl = ssl,
	};
	struct tlsmem_short e = { .h = a.h, .ptr = ptr, .ssl = ssl };

	if (kind == TLSMEM_EV_ALLOC)
		ASSERT_EQ(model__feed(m, &a, sizeof(a)), 0, "feed alloc");
	else
		ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed short");
}

/* Splits a CSV line without quotes into fields; returns their count. */
static size_t split(char *line, char **f, size_t cap)
{
	size_t n = 0;
	char *save = NULL, *t;

	line[strcspn(line, "\n")] = '\0';
	for (t = strtok_r(line, ",", &save); t && n < cap; t = strtok_r(NULL, ",", &save))
		f[n++] = t;
	return n;
}

static void test_header_and_row(void)
{
	char *buf = NULL, *lines[2], *hdr[64], *val[64];
	struct model *m = model__new(site_cb, NULL);
	struct csvcols_in in;
	struct csv_writer *w;
	struct summary s;
	size_t len = 0, nh, nv, i;
	FILE *f = open_memstream(&buf, &len);

	if (!ASSERT_TRUE(m && f, "model and stream"))
		return;
	/* two SSL objects, one freed; 300 bytes live in the other; one block outside */
	feed(m, TLSMEM_EV_SSL_NEW, 0xa000, 0, 0, TLSMEM_FN_SSL_NEW);
	feed(m, TLSMEM_EV_ALLOC, 0x1000, 300, 0xa000, TLSMEM_FN_MALLOC);
	feed(m, TLSMEM_EV_SSL_NEW, 0xb000, 0, 0, TLSMEM_FN_SSL_NEW);
	feed(m, TLSMEM_EV_SSL_FREE, 0xb000, 0, 0xb000, 1);
	feed(m, TLSMEM_EV_ALLOC, 0x2000, 50, 0, TLSMEM_FN_MALLOC);
	memset(&s, 0, sizeof(s));
	s.model = m;
	model__totals(m, &s.tot);
	s.duration_s = 2.5;
	s.rss_bytes = 4096;
	s.events_received = 5;
	s.events_lost = 0;
	in = (struct csvcols_in){ .s = &s, .allocs_per_s = 0.8, .frees_per_s = 0 };
	w = csv_writer__new(f);
	if (!ASSERT_TRUE(w != NULL, "writer"))
		goto out;
	csvcols_header(w);
	ASSERT_EQ(csvcols_row(w, &in), 0, "row");
	csv_writer__free(w);
	fclose(f);
	f = NULL;
	lines[0] = buf;
	lines[1] = strchr(buf, '\n');
	if (!ASSERT_TRUE(lines[1] != NULL, "two lines"))
		goto out;
	*lines[1]++ = '\0';
	nh = split(lines[0], hdr, 64);
	nv = split(lines[1], val, 64);
	/* the flags field is empty: strtok drops it, so the row has one field less */
	ASSERT_EQ(nh, CSVCOL__COUNT, "header: every column");
	ASSERT_EQ(nv, CSVCOL__COUNT - 1, "row: every column but the empty flags");
	for (i = 0; i < nh && i < CSVCOL__COUNT; i++)
		ASSERT_STREQ(hdr[i], csvcols[i].name, "header in the table's order");
	/* the values before the flags column, by name */
	for (i = 0; i < CSVCOL_FLAGS && i < nv; i++) {
		static const char *const want[CSVCOL_FLAGS] = {
			[CSVCOL_TIME_S] = "2.500", [CSVCOL_LIVE_SSL] = "1",
			[CSVCOL_SSL_CREATED] = "2", [CSVCOL_SSL_FREED] = "1",
			[CSVCOL_LIVE_BYTES] = "350", [CSVCOL_LIVE_BLOCKS] = "2",
			[CSVCOL_ALLOCS_PER_S] = "0.800", [CSVCOL_FREES_PER_S] = "0.000",
			[CSVCOL_BYTES_PER_LIVE_SSL] = "300.000", [CSVCOL_RSS_BYTES] = "4096",
			[CSVCOL_EVENTS_LOST] = "0",
		};

		ASSERT_STREQ(val[i], want[i], csvcols[i].name);
	}
	if (nv == CSVCOL__COUNT - 1) {
		/* after the flags: events_received .. sessions_cached, shifted by one */
		ASSERT_STREQ(val[CSVCOL_EVENTS_RECEIVED - 1], "5", "events_received");
		ASSERT_STREQ(val[CSVCOL_SSL_ADOPTED - 1], "0", "ssl_adopted");
		ASSERT_STREQ(val[CSVCOL_COMPLETE - 1], "1", "complete");
		ASSERT_STREQ(val[CSVCOL_PEAK_LIVE_SSL - 1], "2", "peak_live_ssl");
		ASSERT_STREQ(val[CSVCOL_PEAK_LIVE_BYTES - 1], "350", "peak_live_bytes");
		ASSERT_STREQ(val[CSVCOL_SESSIONS_CACHED - 1], "0", "sessions_cached");
	}
out:
	if (f)
		fclose(f);
	free(buf);
	model__free(m);
}

/* README.md, found from this file's path: tests/unit/ is two folders below the root. */
static FILE *open_readme(void)
{
	char path[4096];
	const char *end = strstr(__FILE__, "tests/unit/");

	snprintf(path, sizeof(path), "%.*sREADME.md", end ? (int)(end - __FILE__) : 0, __FILE__);
	return fopen(path, "r");
}

/* The `names` in the first cell of every row of the "## CSV outputs" table, in order. */
static size_t readme_columns(char names[][64], size_t cap)
{
	FILE *f = open_readme();
	char line[1024];
	bool in = false, table = false;
	size_t n = 0;

	if (!ASSERT_TRUE(f != NULL, "README.md"))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *q;

		if (!strncmp(line, "## ", 3)) {
			in = !strcmp(line, "## CSV outputs\n");
			continue;
		}
		if (!in || line[0] != '|') {
			if (table)
				break;		/* the first table only */
			continue;
		}
		table = true;
		q = strchr(line + 1, '|');
		for (p = line + 1; q && (p = strchr(p, '`')) && p < q; p = strchr(p + 1, '`') + 1) {
			char *e = strchr(p + 1, '`');

			if (!e || e > q || n >= cap)
				break;
			snprintf(names[n++], 64, "%.*s", (int)(e - p - 1), p + 1);
		}
	}
	fclose(f);
	return n;
}

static void test_readme_table(void)
{
	char names[64][64];
	size_t n = readme_columns(names, 64), i;

	ASSERT_EQ(n, CSVCOL__COUNT, "README: as many columns as the table");
	for (i = 0; i < n && i < CSVCOL__COUNT; i++)
		ASSERT_STREQ(names[i], csvcols[i].name, "README: the table's column, in order");
}

static void test_flag_kinds(void)
{
	size_t i, j;

	ASSERT_EQ(flags_nkinds, GROWTH_SESSION_LEAK, "a row for every kind");
	for (i = 0; i < flags_nkinds; i++) {
		ASSERT_EQ(flags_kinds[i].kind, i + 1, "in the order of enum growth_kind");
		ASSERT_STREQ(flags_name((int)i + 1), flags_kinds[i].name, "name");
		ASSERT_STREQ(flags_word((int)i + 1), flags_kinds[i].word, "word");
		ASSERT_TRUE(flags_kinds[i].name[strspn(flags_kinds[i].name,
						       "abcdefghijklmnopqrstuvwxyz-")] == '\0',
			    "name: lower case and hyphens (a Prometheus label, a CSV field)");
		for (j = 0; j < i; j++)
			ASSERT_TRUE(strcmp(flags_kinds[i].name, flags_kinds[j].name) &&
				    strcmp(flags_kinds[i].word, flags_kinds[j].word), "unique");
	}
	ASSERT_STREQ(flags_name(GROWTH_LEAK_PER_CONN), "leak-per-connection", "a name");
	ASSERT_STREQ(flags_word(GROWTH_SSL_OUTLIVES_SOCKET), "SSL>SOCKETS", "a word");
	ASSERT_STREQ(flags_name(0), "unknown", "outside the enum: a name");
	ASSERT_STREQ(flags_word(99), "FLAG", "outside the enum: a word");
}

static const struct test_case tests[] = {
	TEST(test_header_and_row),
	TEST(test_readme_table),
	TEST(test_flag_kinds),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
