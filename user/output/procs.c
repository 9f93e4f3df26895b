// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Figures per process and per (program, container); see procs.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "model.h"
#include "summary.h"
#include "target.h"
#include "procs.h"

/* Index of v sorted by pid, to join the model's per-pid figures. */
struct by_pid {
	int pid;
	size_t i;
};

static int cmp_pid(const void *a, const void *b)
{
	int x = ((const struct by_pid *)a)->pid, y = ((const struct by_pid *)b)->pid;

	return (x > y) - (x < y);
}

static struct proc_fig *find(struct proc_fig *v, const struct by_pid *ix, size_t n, __u32 pid)
{
	struct by_pid key = { .pid = (int)pid };
	const struct by_pid *e = bsearch(&key, ix, n, sizeof(*ix), cmp_pid);

	return e ? &v[e->i] : NULL;
}

/* The SSL objects created since attach, and their bytes, per process. */
static int add_ssl(const struct summary *s, struct proc_fig *v, const struct by_pid *ix, size_t n)
{
	size_t k, m = s->model ? model__ssl_list(s->model, NULL, 0) : 0;
	struct ssl_stats *ssl;
	struct proc_fig *p;

	if (!m)
		return 0;
	ssl = calloc(m, sizeof(*ssl));
	if (!ssl)
		return -ENOMEM;
	m = model__ssl_list(s->model, ssl, m);
	for (k = 0; k < m; k++) {
		if (ssl[k].adopted)
			continue;
		p = find(v, ix, n, ssl[k].pid);
		if (!p)
			continue;
		p->ssl_new_live++;
		p->ssl_new_bytes += ssl[k].live_bytes;
	}
	free(ssl);
	return 0;
}

struct proc_fig *procs_list(const struct summary *s, size_t *n)
{
	struct proc_fig *v = NULL, *p;
	struct by_pid *ix = NULL;
	size_t i, k = 0;

	*n = 0;
	for (i = 0; i < s->ntargets; i++)
		k += !s->targets[i].exited;
	if (!k)
		return NULL;
	v = calloc(k, sizeof(*v));
	ix = calloc(k, sizeof(*ix));
	if (!v || !ix)
		goto fail;
	for (i = 0, k = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		if (t->exited)
			continue;
		v[k] = (struct proc_fig){ .t = t, .nprocs = 1, .mem_bytes = t->mem_bytes };
		ix[k] = (struct by_pid){ .pid = t->pid, .i = k };
		k++;
	}
	qsort(ix, k, sizeof(*ix), cmp_pid);
	for (i = 0; i < s->npids; i++) {
		p = find(v, ix, k, s->pids[i].pid);
		if (!p)
			continue;
		p->ssl_live = s->pids[i].ssl_live;
		p->ssl_created = s->pids[i].ssl_created;
		p->ssl_freed = s->pids[i].ssl_freed;
		p->live_bytes = s->pids[i].live_bytes;
		p->live_blocks = s->pids[i].live_blocks;
	}
	if (add_ssl(s, v, ix, k))
		goto fail;
	free(ix);
	*n = k;
	return v;
fail:
	free(v);
	free(ix);
	errno = ENOMEM;
	return NULL;
}

const char *procs_exe(const struct target *t)
{
	return t->exe[0] ? t->exe : t->comm;
}

static int cmp_key(const struct proc_fig *a, const struct proc_fig *b)
{
	int c = strcmp(procs_exe(a->t), procs_exe(b->t));

	return c ? c : strcmp(a->t->container, b->t->container);
}

static int cmp_fig(const void *pa, const void *pb)
{
	const struct proc_fig *a = pa, *b = pb;
	int c;

	if (a->live_bytes != b->live_bytes)
		return a->live_bytes < b->live_bytes ? 1 : -1;
	c = cmp_key(a, b);
	if (c)
		return c;
	return (a->t->pid > b->t->pid) - (a->t->pid < b->t->pid);
}

static void add_to(struct proc_fig *g, const struct proc_fig *p)
{
	g->nprocs += p->nprocs;
	g->ssl_live += p->ssl_live;
	g->ssl_created += p->ssl_created;
	g->ssl_freed += p->ssl_freed;
	g->live_bytes += p->live_bytes;
	g->live_blocks += p->live_blocks;
	g->ssl_new_live += p->ssl_new_live;
	g->ssl_new_bytes += p->ssl_new_bytes;
	g->mem_bytes += p->mem_bytes;
}

/* Quadratic in the groups, which are few (a handful of programs per host). */
size_t procs_group(struct proc_fig *v, size_t n, bool per_pid)
{
	size_t i, j, ng = n;

	if (!per_pid) {
		for (i = 0, ng = 0; i < n; i++) {
			for (j = 0; j < ng && cmp_key(&v[j], &v[i]); j++)
				;
			if (j < ng)
				add_to(&v[j], &v[i]);
			else
				v[ng++] = v[i];
		}
	}
	if (ng > 1)
		qsort(v, ng, sizeof(*v), cmp_fig);
	return ng;
}

double procs_bytes_per_ssl(const struct proc_fig *p)
{
	return p->ssl_new_live ? (double)p->ssl_new_bytes / (double)p->ssl_new_live : 0;
}

static const char *const head[] = {
	"time_s", "pid", "ppid", "comm", "exe", "container", "pod", "live_ssl", "ssl_created",
	"ssl_freed", "live_bytes", "live_blocks", "bytes_per_live_ssl", "memory_bytes", "memory",
};

int procs_csv(FILE *f, const struct summary *s, bool with_header)
{
	struct csv_writer *w = csv_writer__new(f);
	struct proc_fig *v;
	size_t n, i;

	if (!w)
		return -ENOMEM;
	for (i = 0; with_header && i < sizeof(head) / sizeof(head[0]); i++)
		csv_writer__field(w, head[i]);
	if (with_header)
		csv_writer__end_row(w);
	errno = 0;
	v = procs_list(s, &n);
	if (!v && errno == ENOMEM) {
		csv_writer__free(w);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct target *t = v[i].t;

		csv_writer__double(w, s->duration_s);
		csv_writer__u64(w, (__u64)t->pid);
		csv_writer__u64(w, (__u64)t->ppid);
		csv_writer__field(w, t->comm);
		csv_writer__field(w, procs_exe(t));
		csv_writer__field(w, t->container);
		csv_writer__field(w, t->pod);
		csv_writer__u64(w, v[i].ssl_live);
		csv_writer__u64(w, v[i].ssl_created);
		csv_writer__u64(w, v[i].ssl_freed);
		csv_writer__u64(w, v[i].live_bytes);
		csv_writer__u64(w, v[i].live_blocks);
		csv_writer__double(w, procs_bytes_per_ssl(&v[i]));
		csv_writer__u64(w, v[i].mem_bytes);
		csv_writer__field(w, s->mem_pss ? "pss" : "rss");
		csv_writer__end_row(w);
	}
	free(v);
	return csv_writer__free(w);
}
