// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/output/procs.c: the figures of each live process joined
 * from the targets, the model's per-process figures and its live SSL objects
 * (a real model fed synthetic records), grouped per (exe, container), and the
 * --procs-csv rows read back with the CSV reader, columns by name.
 */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "csv.h"
#include "model.h"
#include "summary.h"
#include "target.h"
#include "procs.h"
#include "test.h"

static __u32 site_cb(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx, (void)pid, (void)file, (void)line, (void)caller;
	return 0;
}

static __u64 clock_ns = 1000000000ULL;

static void feed(struct model *m, __u32 pid, __u16 kind, __u32 aux, __u64 ptr, __u64 size,
		 __u64 ssl)
{
	struct tlsmem_alloc a = {
		.h = { .ts_ns = clock_ns += 1000, .pid = pid, .tid = pid, .kind = kind, .aux = aux },
		.ptr = ptr, .size = size, .file = 1 << 12, .line = 1, .caller = 0x5000, .ssl = ssl,
	};
	struct tlsmem_short e = { .h = a.h, .ptr = ptr, .ssl = ssl };

	if (kind == TLSMEM_EV_ALLOC)
		ASSERT_EQ(model__feed(m, &a, sizeof(a)), 0, "feed alloc");
	else
		ASSERT_EQ(model__feed(m, &e, sizeof(e)), 0, "feed short");
}

struct fx {
	struct model *m;
	struct target t[4];
	struct pid_stats ps[8];
	struct summary s;
};

static void tgt(struct target *t, int pid, const char *comm, const char *exe, const char *cont)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	snprintf(t->container, sizeof(t->container), "%s", cont);
}

/*
 * 10: two SSL objects (300 and 100 bytes in them), one freed with its
 * block; an adopted SSL object with 50 bytes; 20 bytes outside. 11: same
 * program, 1000 bytes, no SSL. 12: another container, exited.
 */
static bool fx_init(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	x->m = model__new(site_cb, NULL);
	if (!ASSERT_TRUE(x->m != NULL, "model"))
		return false;
	feed(x->m, 10, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, 0xa000, 0, 0);
	feed(x->m, 10, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x1000, 300, 0xa000);
	feed(x->m, 10, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, 0xb000, 0, 0);
	feed(x->m, 10, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x2000, 100, 0xb000);
	feed(x->m, 10, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, 0xc000, 0, 0);
	feed(x->m, 10, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x3000, 64, 0xc000);
	feed(x->m, 10, TLSMEM_EV_FREE, TLSMEM_FN_FREE, 0x3000, 0, 0);
	feed(x->m, 10, TLSMEM_EV_SSL_FREE, 1, 0xc000, 0, 0);
	/* an SSL object first seen in a call: adopted */
	feed(x->m, 10, TLSMEM_EV_SSL_ADOPT, TLSMEM_FN_SSL_CALL, 0xd000, 0, 0);
	feed(x->m, 10, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x4000, 50, 0xd000);
	feed(x->m, 10, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x5000, 20, 0);
	feed(x->m, 11, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x6000, 1000, 0);
	feed(x->m, 12, TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC, 0x7000, 5, 0);
	tgt(&x->t[0], 10, "srv,x", "/usr/sbin/srv", "");
	tgt(&x->t[1], 11, "srv,x", "/usr/sbin/srv", "");
	tgt(&x->t[2], 12, "srv", "/usr/sbin/srv", "c0ffee00");
	x->t[2].exited = true;
	x->t[0].mem_bytes = 4096;
	x->t[1].mem_bytes = 8192;
	x->t[0].ppid = 1;
	x->t[1].ppid = 10;
	x->s.targets = x->t;
	x->s.ntargets = 3;
	x->s.mem_pss = true;
	x->s.duration_s = 2.5;
	x->s.model = x->m;
	model__totals(x->m, &x->s.tot);
	x->s.pids = x->ps;
	x->s.npids = model__pid_stats(x->m, x->ps, 8);
	return true;
}

static void test_list_and_group(void)
{
	struct proc_fig *v = NULL;
	struct fx x;
	size_t n;

	if (!fx_init(&x))
		goto out;
	v = procs_list(&x.s, &n);
	if (!ASSERT_EQ(n, 2, "the two live processes") || !ASSERT_TRUE(v != NULL, "list"))
		goto out;
	ASSERT_EQ(v[0].t->pid, 10, "targets' order");
	ASSERT_EQ(v[0].live_bytes, 470, "10: 300 + 100 + 50 + 20");
	ASSERT_EQ(v[0].live_blocks, 4, "10: blocks");
	ASSERT_EQ(v[0].ssl_live, 3, "10: live SSL, the adopted one included");
	ASSERT_EQ(v[0].ssl_new_live, 2, "10: two created since attach (not the adopted one)");
	ASSERT_EQ(v[0].ssl_new_bytes, 400, "10: their bytes");
	ASSERT_TRUE(procs_bytes_per_ssl(&v[0]) == 200, "10: 200 bytes per SSL");
	ASSERT_EQ(v[0].ssl_created, 3, "10: 3 SSL_new");
	ASSERT_EQ(v[0].ssl_freed, 1, "10: 1 SSL_free");
	ASSERT_EQ(v[1].live_bytes, 1000, "11 bytes");
	ASSERT_EQ(v[1].ssl_created + v[1].ssl_freed, 0, "11: no SSL object");
	ASSERT_TRUE(procs_bytes_per_ssl(&v[1]) == 0, "11: no SSL, 0");
	ASSERT_EQ(procs_group(v, n, true), 2, "per pid: two");
	ASSERT_EQ(v[0].t->pid, 11, "per pid: the heaviest first");
	ASSERT_EQ(procs_group(v, n, false), 1, "one (exe, container)");
	ASSERT_EQ(v[0].nprocs, 2, "of two processes");
	ASSERT_EQ(v[0].live_bytes, 1470, "summed bytes");
	ASSERT_EQ(v[0].mem_bytes, 12288, "summed PSS");
	ASSERT_EQ(v[0].ssl_created, 3, "summed created");
	ASSERT_TRUE(procs_bytes_per_ssl(&v[0]) == 200, "group bytes per SSL");
	free(v);
	v = NULL;
	x.t[0].exe[0] = '\0';
	ASSERT_STREQ(procs_exe(&x.t[0]), "srv,x", "no exe read: the comm");
	x.t[0].exited = x.t[1].exited = true;
	v = procs_list(&x.s, &n);
	ASSERT_TRUE(v == NULL && n == 0, "none live: none");
out:
	free(v);
	model__free(x.m);
}

/* The field named col of record r under header h; NULL when there is none. */
static const char *col(const struct csv_rec *h, const struct csv_rec *r, const char *name)
{
	size_t i;

	for (i = 0; i < h->nf && i < r->nf; i++)
		if (!strcmp(csv_rec__get(h, i), name))
			return csv_rec__get(r, i);
	return NULL;
}

static void test_csv(void)
{
	struct csv_rec h = { 0 }, r = { 0 };
	char *buf = NULL;
	size_t len = 0;
	struct fx x;
	FILE *f;

	if (!fx_init(&x))
		goto out;
	f = open_memstream(&buf, &len);
	if (!ASSERT_TRUE(f != NULL, "memstream"))
		goto out;
	ASSERT_EQ(procs_csv(f, &x.s, true), 0, "header and rows");
	ASSERT_EQ(procs_csv(f, &x.s, false), 0, "rows again, no header");
	fclose(f);
	f = fmemopen(buf, len, "r");
	if (!ASSERT_EQ(csv_rec__read(f, &h), 1, "header"))
		goto close;
	ASSERT_EQ(h.nf, 15, "15 columns");
	ASSERT_STREQ(csv_rec__get(&h, 0), "time_s", "time_s first");
	if (ASSERT_EQ(csv_rec__read(f, &r), 1, "row 1")) {
		ASSERT_STREQ(col(&h, &r, "pid"), "10", "pid");
		ASSERT_STREQ(col(&h, &r, "ppid"), "1", "ppid");
		ASSERT_STREQ(col(&h, &r, "comm"), "srv,x", "comm with a comma, quoted");
		ASSERT_STREQ(col(&h, &r, "exe"), "/usr/sbin/srv", "exe");
		ASSERT_STREQ(col(&h, &r, "container"), "", "no container");
		ASSERT_STREQ(col(&h, &r, "live_ssl"), "3", "live SSL, the adopted one included");
		ASSERT_STREQ(col(&h, &r, "ssl_created"), "3", "created since attach");
		ASSERT_STREQ(col(&h, &r, "ssl_freed"), "1", "freed since attach");
		ASSERT_STREQ(col(&h, &r, "live_bytes"), "470", "live bytes");
		ASSERT_STREQ(col(&h, &r, "live_blocks"), "4", "live blocks");
		ASSERT_STREQ(col(&h, &r, "bytes_per_live_ssl"), "200.000", "bytes per live SSL");
		ASSERT_STREQ(col(&h, &r, "memory_bytes"), "4096", "memory");
		ASSERT_STREQ(col(&h, &r, "memory"), "pss", "PSS");
		ASSERT_STREQ(col(&h, &r, "time_s"), "2.500", "time");
	}
	if (ASSERT_EQ(csv_rec__read(f, &r), 1, "row 2"))
		ASSERT_STREQ(col(&h, &r, "pid"), "11", "pid 11");
	ASSERT_EQ(csv_rec__read(f, &r), 1, "row 3: the second interval");
	ASSERT_STREQ(col(&h, &r, "pid"), "10", "second interval, pid 10");
	ASSERT_EQ(csv_rec__read(f, &r), 1, "row 4");
	ASSERT_EQ(csv_rec__read(f, &r), 0, "no row of the exited process");
close:
	fclose(f);
out:
	csv_rec__free(&h);
	csv_rec__free(&r);
	free(buf);
	model__free(x.m);
}

static void test_csv_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct fx x;

	if (!ASSERT_TRUE(f != NULL, "/dev/full"))
		return;
	if (fx_init(&x))
		ASSERT_EQ(procs_csv(f, &x.s, true), -EIO, "a full disk is -EIO");
	fclose(f);
	model__free(x.m);
}

/* A process's counts end with it: its pid, reused, is another process. */
static void test_counts_end_with_the_process(void)
{
	struct pid_stats ps[4];
	struct fx x;
	size_t n, i;

	if (!fx_init(&x))
		goto out;
	feed(x.m, 11, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, 0xe000, 0, 0);
	feed(x.m, 11, TLSMEM_EV_SSL_FREE, 1, 0xe000, 0, 0);
	feed(x.m, 11, TLSMEM_EV_SSL_FREE, 1, 0xf000, 0, 0);	/* never seen: adopted before */
	n = model__pid_stats(x.m, ps, 4);
	for (i = 0; i < n && ps[i].pid != 11; i++)
		;
	if (ASSERT_TRUE(i < n, "11 listed")) {
		ASSERT_EQ(ps[i].ssl_created, 1, "11 created");
		ASSERT_EQ(ps[i].ssl_freed, 2, "11 freed, one it had before attach");
		ASSERT_EQ(ps[i].ssl_live, 0, "11 live");
	}
	feed(x.m, 11, TLSMEM_EV_EXIT, 0, 0, 0, 0);
	n = model__pid_stats(x.m, ps, 4);
	for (i = 0; i < n && ps[i].pid != 11; i++)
		;
	ASSERT_TRUE(i == n, "11 exited: gone from the figures");
	feed(x.m, 11, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, 0xe000, 0, 0);
	n = model__pid_stats(x.m, ps, 4);
	for (i = 0; i < n && ps[i].pid != 11; i++)
		;
	if (ASSERT_TRUE(i < n, "pid 11 again"))
		ASSERT_TRUE(ps[i].ssl_created == 1 && ps[i].ssl_freed == 0, "counted from 0");
out:
	model__free(x.m);
}

static const struct test_case tests[] = {
	TEST(test_counts_end_with_the_process),
	TEST(test_list_and_group),
	TEST(test_csv),
	TEST(test_csv_error),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
