// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tlsmem compare: reading runs, normalization per connection, matching sites, the budget. */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "compare.h"

#define CLOSE(a, b) (fabs((a) - (b)) < 1e-9)

/*
 * A run's JSON: live and created SSL, bytes per live SSL, lost events, and
 * sites as "file|line|caller|live_bytes[|alloc_bytes]" joined by ';'.
 */
static char *run_json(double live, double created, double bpl, double lost, const char *sites,
		      const char *extra)
{
	char *buf = NULL, *list, *tok, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	fprintf(f, "{\"format\":1,\"targets\":[{\"pid\":7,\"comm\":\"srv\",\"exited\":false,"
		"\"openssl\":[{\"path\":\"/l/libssl.so.3\",\"kind\":\"shared\",\"version\":"
		"\"OpenSSL 3.0.19 27 Jan 2026\",\"probes\":18}]}],\"duration_s\":5,"
		"\"ssl\":{\"live\":%g,\"created\":%g,\"freed\":%g,\"adopted\":0},"
		"\"heap\":{\"live_bytes\":1000,\"allocs\":%g,\"bytes_per_live_ssl\":%g},"
		"\"ssl_cost\":{\"objects\":%g},\"events\":{\"received\":10,\"lost\":%g},"
		"\"complete\":%s%s,\"sites\":[", live, created, created - live, created * 10, bpl,
		live, lost, lost ? "false" : "true", extra);
	list = strdup(sites);
	for (tok = strtok_r(list, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char file[64], caller[64];
		double line, lb, ab;
		int k = sscanf(tok, "%63[^|]|%lf|%63[^|]|%lf|%lf", file, &line, caller, &lb, &ab);

		fprintf(f, "%s{\"file\":\"%s\",\"line\":%g,\"caller\":\"%s\",\"module\":\"m\","
			"\"live_blocks\":1,\"live_bytes\":%g", n++ ? "," : "", file, line, caller, lb);
		if (k == 5)
			fprintf(f, ",\"alloc_bytes\":%g", ab);
		fputs("}", f);
	}
	fputs("],\"flags\":[],\"orphans\":[]}", f);
	fclose(f);
	free(list);
	return buf;
}

static bool load(struct cmp *c, int k, char *text)
{
	char err[256];
	int rc;

	c->run[k].path = k ? "run.json" : "base.json";
	rc = cmp_run_parse(&c->run[k], text, strlen(text), err, sizeof(err));
	free(text);
	if (!CHECK_(rc == 0, "cmp_run_parse", "%s", err))
		return false;
	c->nruns = k + 1;
	return true;
}

static const struct cmp_row *row_of(const struct cmp *c, const char *file, const char *caller)
{
	size_t i;

	for (i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].file, file) && !strcmp(c->rows[i].caller, caller))
			return &c->rows[i];
	return NULL;
}

static void test_reads_figures(void)
{
	struct cmp c = { 0 };
	struct cmp_run *r = &c.run[0];

	if (!load(&c, 0, run_json(4, 10, 5000, 0, "a.c|1|f|400", "")))
		return;
	ASSERT_STREQ(r->target, "srv (PID 7)", "target");
	ASSERT_STREQ(r->openssl, "OpenSSL 3.0.19 shared", "openssl");
	ASSERT_STREQ(r->object, "libssl.so.3", "the object that carries it");
	ASSERT_TRUE(r->ssl_live.ok && r->ssl_live.v == 4, "ssl.live");
	ASSERT_TRUE(r->bytes_per_live_ssl.ok && r->bytes_per_live_ssl.v == 5000, "bytes per live SSL");
	ASSERT_TRUE(!r->ssl_peak_live.ok, "peak_live absent: no figure, no failure");
	ASSERT_TRUE(!r->closed_mean_peak.ok && !r->all_mean_peak.ok, "no closed cost");
	ASSERT_TRUE(r->complete, "complete");
	ASSERT_EQ(r->nsites, 1, "sites");
	ASSERT_TRUE(!r->sites[0].alloc_bytes.ok, "no alloc_bytes");
	cmp_free(&c);
}

/* The keys added after format 1 first shipped are read when present. */
static void test_reads_new_keys(void)
{
	static const char text[] =
		"{\"format\":1,\"targets\":[],\"duration_s\":5,\"ssl\":{\"live\":0,"
		"\"created\":10,\"freed\":10,\"peak_live\":7},\"heap\":{\"live_bytes\":0,"
		"\"peak_live_bytes\":300000,\"bytes_per_live_ssl\":0},\"ssl_cost\":{\"objects\":0,"
		"\"mean_bytes\":0,\"closed\":{\"objects\":10,\"mean_peak_bytes\":41000},"
		"\"all\":{\"objects\":10,\"mean_peak_bytes\":40000}},\"estimate\":"
		"{\"rss_per_ssl_bytes\":61000.5,\"r2\":0.9},\"events\":{\"lost\":0},"
		"\"sites\":[{\"file\":\"a.c\",\"line\":1,\"caller\":\"f\",\"live_bytes\":0,"
		"\"alloc_bytes\":3200}]}";
	struct cmp_run r = { .path = "new.json" };
	char err[256];

	if (!ASSERT_EQ(cmp_run_parse(&r, text, strlen(text), err, sizeof(err)), 0, "parse"))
		return;
	ASSERT_STREQ(r.target, "no target", "no target");
	ASSERT_TRUE(r.ssl_peak_live.ok && r.ssl_peak_live.v == 7, "ssl.peak_live");
	ASSERT_TRUE(r.peak_live_bytes.ok && r.peak_live_bytes.v == 300000, "heap.peak_live_bytes");
	ASSERT_TRUE(!r.bytes_per_live_ssl.ok, "no live SSL: no bytes per live SSL");
	ASSERT_TRUE(r.closed_mean_peak.ok && r.closed_mean_peak.v == 41000, "closed");
	ASSERT_TRUE(r.all_mean_peak.ok && r.all_mean_peak.v == 40000, "all");
	ASSERT_TRUE(r.rss_slope.ok && r.rss_slope.v == 61000.5, "slope");
	ASSERT_TRUE(r.complete, "complete from events.lost when the key is absent");
	ASSERT_TRUE(r.sites[0].alloc_bytes.ok && r.sites[0].alloc_bytes.v == 3200, "alloc_bytes");
	ASSERT_TRUE(cmp_conn_bytes(&r, CMP_BASIS_ALLOC).ok &&
		    cmp_conn_bytes(&r, CMP_BASIS_ALLOC).v == 40000, "the budget's figure");
	cmp_run_free(&r);
}

static void test_refuses(void)
{
	static const char *const bad[] = {
		"not json", "[1,2]", "{\"targets\":[]}",
		"{\"runs\":[],\"basis\":\"x\",\"sites\":[]}",
		"{\"format\":\"1\",\"targets\":[],\"ssl\":{},\"heap\":{},\"events\":{},\"sites\":[]}",
		"{\"targets\":[],\"ssl\":{},\"heap\":{},\"events\":{},\"sites\":[{\"file\":\"a\"}]}",
	};
	static const char newer[] =
		"{\"format\":2,\"targets\":[],\"ssl\":{},\"heap\":{},\"events\":{},\"sites\":[]}";
	struct cmp_run r = { .path = "x" };
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_(cmp_run_parse(&r, bad[i], strlen(bad[i]), err, sizeof(err)) == -EINVAL &&
		       err[0], "refused", "input %zu", i);
	ASSERT_EQ(cmp_run_parse(&r, newer, strlen(newer), err, sizeof(err)), -EPROTO, "format 2");
	ASSERT_TRUE(strstr(err, "format 2") != NULL, "says which format");
	ASSERT_TRUE(r.doc == NULL && r.sites == NULL, "nothing left to free");
}

/* Live connections in both runs: bytes per live SSL, exact. */
static void test_live_basis(void)
{
	struct cmp c = { 0 };
	const struct cmp_row *w;

	if (!load(&c, 0, run_json(100, 200, 36000, 0, "b.c|68|buf|0;s.c|691|SSL_new|380000", "")) ||
	    !load(&c, 1, run_json(50, 300, 52000, 0, "b.c|68|buf|835600;s.c|691|SSL_new|190000", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	ASSERT_EQ(c.basis, CMP_BASIS_LIVE, "basis");
	ASSERT_EQ(c.nrows, 2, "rows");
	w = &c.rows[0];
	ASSERT_STREQ(w->file, "b.c", "largest change first");
	ASSERT_TRUE(w->has[0] && w->has[1] && w->per[0] == 0 && CLOSE(w->per[1], 16712), "per SSL");
	ASSERT_TRUE(CLOSE(w->delta[1], 16712), "delta");
	w = row_of(&c, "s.c", "SSL_new");
	ASSERT_TRUE(w && CLOSE(w->per[0], 3800) && CLOSE(w->per[1], 3800) && w->delta[1] == 0,
		    "runs of different sizes: the same per connection");
out:
	cmp_free(&c);
}

/* A run with no live SSL: every run is divided by SSL created, from alloc_bytes. */
static void test_alloc_basis(void)
{
	struct cmp c = { 0 };
	const struct cmp_row *w;

	if (!load(&c, 0, run_json(0, 1000, 0, 0, "t.c|302|tcn_state_new|0|0;x.c|1|f|0|64000", "")) ||
	    !load(&c, 1, run_json(10, 600, 900, 0, "t.c|302|tcn_state_new|19200|19200;x.c|1|f|0|38400", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	ASSERT_EQ(c.basis, CMP_BASIS_ALLOC, "basis");
	w = row_of(&c, "t.c", "tcn_state_new");
	ASSERT_TRUE(w && w->per[0] == 0 && CLOSE(w->per[1], 32) && CLOSE(w->delta[1], 32),
		    "32 bytes per connection");
	w = row_of(&c, "x.c", "f");
	ASSERT_TRUE(w && CLOSE(w->per[0], 64) && CLOSE(w->per[1], 64), "same per connection");
	ASSERT_TRUE(!cmp_conn_bytes(&c.run[0], c.basis).ok, "no cost of connections in the JSON");
out:
	cmp_free(&c);
}

/* One run lacks alloc_bytes and live SSL: the live basis; that run has no figure. */
static void test_no_basis_for_one_run(void)
{
	struct cmp c = { 0 };

	if (!load(&c, 0, run_json(0, 10, 0, 0, "a.c|1|f|10", "")) ||
	    !load(&c, 1, run_json(5, 10, 100, 0, "a.c|1|f|500", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	ASSERT_EQ(c.basis, CMP_BASIS_LIVE, "basis");
	ASSERT_TRUE(!c.rows[0].has[0] && c.rows[0].has[1] && CLOSE(c.rows[0].per[1], 100),
		    "has per run");
	ASSERT_TRUE(c.rows[0].delta[1] == 0, "no delta without BASE's figure");
out:
	cmp_free(&c);
}

static void test_matching(void)
{
	struct cmp c = { 0 };
	const struct cmp_row *w;

	/* moved: m.c's f on line 10 in BASE, 12 in RUN; twice: d.c's g on 5 and 6 in both;
	 * dup: the same site from two modules, summed */
	if (!load(&c, 0, run_json(10, 10, 1, 0, "m.c|10|f|100;d.c|5|g|10;d.c|6|g|20;"
				  "u.c|1|h|1;x.c|3|p|100;x.c|3|p|50", "")) ||
	    !load(&c, 1, run_json(10, 10, 1, 0, "m.c|12|f|300;d.c|5|g|10;d.c|6|g|40;"
				  "v.c|1|h|1;x.c|3|p|150", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	w = row_of(&c, "m.c", "f");
	ASSERT_TRUE(w && w->match == CMP_LINE_MOVED && w->line[0] == 10 && w->line[1] == 12 &&
		    CLOSE(w->delta[1], 20), "line moved, matched by file and caller");
	ASSERT_EQ(c.nrows, 6, "rows: m, d:5, d:6, u, v, x");
	ASSERT_TRUE(!strcmp(c.rows[0].file, "m.c"), "largest change first");
	w = row_of(&c, "x.c", "p");
	ASSERT_TRUE(w && CLOSE(w->per[0], 15) && w->delta[1] == 0, "duplicates summed");
	w = row_of(&c, "u.c", "h");
	ASSERT_TRUE(w && w->in[0] && !w->in[1] && w->has[1] && CLOSE(w->delta[1], -0.1),
		    "only in BASE: counts 0 in RUN");
	w = row_of(&c, "v.c", "h");
	ASSERT_TRUE(w && !w->in[0] && w->in[1] && CLOSE(w->delta[1], 0.1), "only in RUN");
out:
	cmp_free(&c);
}

static void test_lines_not_merged_when_both_present(void)
{
	struct cmp c = { 0 };
	size_t i, n = 0;

	if (!load(&c, 0, run_json(1, 1, 1, 0, "d.c|5|g|10;d.c|6|g|20", "")) ||
	    !load(&c, 1, run_json(1, 1, 1, 0, "d.c|7|g|10", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	for (i = 0; i < c.nrows; i++)
		n += c.rows[i].match == CMP_LINE_MOVED;
	ASSERT_EQ(c.nrows, 3, "three sites");
	ASSERT_EQ(n, 0, "no guess between two candidates");
out:
	cmp_free(&c);
}

static void test_budget(void)
{
	struct cmp c = { 0 };
	struct cmp_verdict v;

	if (!load(&c, 0, run_json(100, 100, 40000, 0, "b.c|1|buf|4000000", "")) ||
	    !load(&c, 1, run_json(100, 100, 44000, 0, "b.c|1|buf|4400000", "")) ||
	    !load(&c, 2, run_json(100, 100, 40000, 3, "b.c|1|buf|4000000", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	ASSERT_TRUE(cmp_judge(&c, 1, -1, -1, &v) && CLOSE(v.change_pct, 10), "no budget: passes");
	ASSERT_TRUE(!cmp_judge(&c, 1, 9.9, -1, &v) && v.over_pct, "+10% > 9.9%");
	ASSERT_TRUE(cmp_judge(&c, 1, 10, -1, &v), "+10% is not above 10%");
	ASSERT_TRUE(!cmp_judge(&c, 1, -1, 3999, &v) && v.over_site, "site +4000 B > 3999");
	ASSERT_TRUE(cmp_judge(&c, 1, -1, 4000, &v), "site +4000 B is not above 4000");
	ASSERT_TRUE(cmp_judge(&c, 2, -1, -1, &v), "incomplete, no budget");
	ASSERT_TRUE(!cmp_judge(&c, 2, 50, 1e9, &v) && v.incomplete && !v.over_pct,
		    "incomplete never passes a budget");
out:
	cmp_free(&c);
}

static void test_budget_without_figure(void)
{
	struct cmp c = { 0 };
	struct cmp_verdict v;

	if (!load(&c, 0, run_json(0, 100, 0, 0, "b.c|1|buf|0", "")) ||
	    !load(&c, 1, run_json(100, 100, 44000, 0, "b.c|1|buf|4400000", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	ASSERT_TRUE(!cmp_judge(&c, 1, 10, -1, &v) && v.no_figure, "nothing to compare: fails");
out:
	cmp_free(&c);
}

static void test_norm_file(void)
{
	ASSERT_STREQ(cmp_norm_file("../deps/openssl/openssl/ssl/s3_lib.c"), "ssl/s3_lib.c", "node");
	ASSERT_STREQ(cmp_norm_file("../ssl/s3_lib.c"), "ssl/s3_lib.c", "Debian");
	ASSERT_STREQ(cmp_norm_file("/build/openssl-3.0.19/providers/x/y.c"), "providers/x/y.c",
		     "absolute");
	ASSERT_STREQ(cmp_norm_file("crypto/mem.c"), "crypto/mem.c", "already at the root");
	ASSERT_STREQ(cmp_norm_file("tests/targets/gt_server.c"), "tests/targets/gt_server.c",
		     "not OpenSSL's: whole");
	ASSERT_STREQ(cmp_norm_file("?"), "?", "unknown");
	ASSERT_STREQ(cmp_norm_file("src/myssl/x.c"), "src/myssl/x.c", "a component, not a prefix");
}

/* node (symbols, ../deps/openssl/openssl/) against Debian (stripped, ../): one site. */
static void test_unnamed_callers(void)
{
	struct cmp c = { 0 };
	const struct cmp_row *w;

	if (!load(&c, 0, run_json(10, 10, 1, 0, "../ssl/ssl_sess.c|180|libssl.so.3+0x3fa40+0x27|9280;"
				  "../crypto/evp/evp_enc.c|71|libcrypto.so.3+0x32e020+0x435|100;"
				  "../crypto/evp/evp_enc.c|71|libcrypto.so.3+0x32e020+0x48d|100", "")) ||
	    !load(&c, 1, run_json(10, 10, 1, 0, "../deps/openssl/openssl/ssl/ssl_sess.c|180|"
				  "ssl_session_dup_intern|9280;../deps/openssl/openssl/crypto/evp/"
				  "evp_enc.c|71|tls13_change_cipher_state|100", "")))
		goto out;
	if (!ASSERT_EQ(cmp_build(&c), 0, "build"))
		goto out;
	w = row_of(&c, "ssl/ssl_sess.c", "ssl_session_dup_intern");
	ASSERT_TRUE(w && w->match == CMP_CALLER_UNNAMED && w->in[0] && w->in[1] &&
		    w->delta[1] == 0, "matched by file:line, named after the build with symbols");
	ASSERT_EQ(c.nrows, 4, "evp_enc.c:71: two candidates in BASE, no guess");
out:
	cmp_free(&c);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_reads_figures),
		TEST(test_reads_new_keys),
		TEST(test_refuses),
		TEST(test_live_basis),
		TEST(test_alloc_basis),
		TEST(test_no_basis_for_one_run),
		TEST(test_matching),
		TEST(test_lines_not_merged_when_both_present),
		TEST(test_budget),
		TEST(test_budget_without_figure),
		TEST(test_norm_file),
		TEST(test_unnamed_callers),
	};

	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
