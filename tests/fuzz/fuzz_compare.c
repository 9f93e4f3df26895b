// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for tlsmem compare's reading and matching: the input is
 * cut at its first NUL byte into two runs' JSON (BASE and RUN; without a NUL,
 * the same text twice), each read by cmp_run_parse; when both are runs, they
 * are matched (cmp_build) and judged against budgets. Beyond memory safety
 * (ASan, UBSan), the results are checked against compare.h: a refused run
 * holds nothing, every row is listed by some run, deltas are against BASE.
 * Built by tests/fuzz/run.sh with user/output/{compare,jsonr,jsonw,units}.c
 * and user/log.c.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_compare: contract broken: %s\n", what);
	abort();
}

static bool parse(struct cmp_run *r, const char *text, size_t len)
{
	char err[256];
	int rc;

	memset(r, 0, sizeof(*r));
	r->path = "fuzz.json";
	rc = cmp_run_parse(r, text, len, err, sizeof(err));
	if (rc && (r->doc || r->sites))
		broken("a refused run holds memory");
	if (rc && rc != -EINVAL && rc != -EPROTO && rc != -ENOMEM)
		broken("an error outside the contract");
	if (rc && !err[0])
		broken("refused without a reason");
	if (!rc && memchr(r->target, '\0', sizeof(r->target)) == NULL)
		broken("an unterminated target name");
	return rc == 0;
}

static void check_rows(const struct cmp *c)
{
	struct cmp_verdict v;
	size_t i;
	int k, n;

	for (i = 0; i < c->nrows; i++) {
		const struct cmp_row *w = &c->rows[i];

		for (k = n = 0; k < c->nruns; k++)
			n += w->in[k];
		if (!n || !w->file || !w->caller)
			broken("a row no run lists");
		if (w->delta[0] != 0)
			broken("BASE's delta against itself is not 0");
		if (i && w->sort > c->rows[i - 1].sort)
			broken("rows not sorted by the largest change");
	}
	cmp_judge(c, 1, 10, 100, &v);
	cmp_judge(c, 1, -1, -1, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *cut = memchr(data, '\0', size);
	size_t la = cut ? (size_t)(cut - text) : size;
	struct cmp *c = calloc(1, sizeof(*c));

	if (!c)
		return 0;
	if (parse(&c->run[0], text, la)) {
		c->nruns = 1;
		if (parse(&c->run[1], cut ? cut + 1 : text, cut ? size - la - 1 : size)) {
			c->nruns = 2;
			if (!cmp_build(c))
				check_rows(c);
		}
	}
	cmp_free(c);
	free(c);
	return 0;
}
