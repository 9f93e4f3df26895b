// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Text and JSON summaries; see report.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "jsonw.h"
#include "sites.h"
#include "target.h"
#include "units.h"
#include "report.h"

struct site_row {
	__u32 id;
	struct site_stats st;
};

double summary_bytes_per_ssl(const struct summary *s)
{
	if (!s->tot.ssl_new_live)
		return 0;
	return (double)s->tot.ssl_new_bytes / (double)s->tot.ssl_new_live;
}

bool summary_complete(const struct summary *s)
{
	return !s->events_lost && !s->tot.bad_records && !s->tot.replaced;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct site_stats *x = &((const struct site_row *)a)->st;
	const struct site_stats *y = &((const struct site_row *)b)->st;

	if (x->live_bytes != y->live_bytes)
		return x->live_bytes < y->live_bytes ? 1 : -1;
	if (x->allocs != y->allocs)
		return x->allocs < y->allocs ? 1 : -1;
	return 0;
}

/* Sites sorted by live bytes, then allocations; caller frees. */
static struct site_row *sorted_sites(const struct summary *s, size_t *n)
{
	__u32 i, ns = model__nsites(s->model);
	struct site_row *v = calloc(ns ? ns : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < ns; i++) {
		v[i].id = i;
		model__site(s->model, i, &v[i].st);
	}
	qsort(v, ns, sizeof(*v), cmp_rows);
	*n = ns;
	return v;
}

static void text_targets(FILE *f, const struct summary *s)
{
	size_t i, j;

	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		fprintf(f, "pid %d (%s)%s\n", t->pid, t->comm, t->exited ? ", exited" : "");
		for (j = 0; j < t->nobjs; j++) {
			const struct ssl_obj *o = &t->objs[j];

			fprintf(f, "  %s%s: %s, %s, %d probes\n", o->path,
				o->kind == OBJ_DELETED ? " (deleted)" : "", obj_kind_name(o->kind),
				o->version ? o->version : "version unknown", o->nprobes);
		}
	}
}

static void text_sites(FILE *f, const struct summary *s)
{
	struct site_row *v;
	size_t n, i;
	char b[32];

	v = sorted_sites(s, &n);
	if (!v || !n) {
		free(v);
		return;
	}
	fprintf(f, "\nsites by live bytes:\n%12s %8s %10s %10s  %s\n", "LIVE", "BLOCKS", "ALLOCS",
		"FREES", "SITE (file:line caller module)");
	for (i = 0; i < n && i < s->max_sites; i++) {
		struct site_name nm = { "?", 0, "?", "?" };
		const char *mod;

		sites__name(s->sites, v[i].id, &nm);
		mod = strrchr(nm.module, '/');
		fprintf(f, "%12s %8llu %10llu %10llu  %s:%d %s %s\n",
			fmt_bytes(b, sizeof(b), (double)v[i].st.live_bytes),
			(unsigned long long)v[i].st.live_blocks, (unsigned long long)v[i].st.allocs,
			(unsigned long long)v[i].st.frees, nm.file[0] ? nm.file : "-", nm.line,
			nm.caller, mod ? mod + 1 : nm.module);
	}
	if (n > s->max_sites)
		fprintf(f, "(%zu more sites)\n", n - s->max_sites);
	free(v);
}

void report_text(FILE *f, const struct summary *s)
{
	const struct model_totals *t = &s->tot;
	char a[32], b[32];

	fprintf(f, "tlsmem: %.1f s observed\n", s->duration_s);
	text_targets(f, s);
	fprintf(f, "SSL objects    live %llu  created %llu  freed %llu  adopted %llu\n",
		(unsigned long long)t->ssl_live, (unsigned long long)t->ssl_created,
		(unsigned long long)t->ssl_freed, (unsigned long long)t->ssl_adopted);
	fprintf(f, "OpenSSL heap   %s live in %llu blocks  allocs %llu  frees %llu  "
		"unknown frees %llu\n", fmt_bytes(a, sizeof(a), (double)t->live_bytes),
		(unsigned long long)t->live_blocks, (unsigned long long)t->allocs,
		(unsigned long long)t->frees, (unsigned long long)t->unknown_frees);
	fprintf(f, "per live SSL   %s (objects created since attach)\n",
		fmt_bytes(a, sizeof(a), summary_bytes_per_ssl(s)));
	fprintf(f, "process RSS    %s  (OpenSSL holds %s of it since attach)\n",
		fmt_bytes(a, sizeof(a), (double)s->rss_bytes),
		fmt_bytes(b, sizeof(b), (double)t->live_bytes));
	fprintf(f, "events         %llu received, %llu lost%s\n",
		(unsigned long long)s->events_received, (unsigned long long)s->events_lost,
		summary_complete(s) ? "" : "  -- INCOMPLETE: figures are lower bounds");
	text_sites(f, s);
	fflush(f);
}

static void json_targets(struct jsonw *w, const struct summary *s)
{
	size_t i, j;

	jsonw__key(w, "targets");
	jsonw__arr_open(w);
	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		jsonw__obj_open(w);
		jsonw__key(w, "pid");
		jsonw__u64(w, (__u64)t->pid);
		jsonw__key(w, "comm");
		jsonw__str(w, t->comm);
		jsonw__key(w, "exited");
		jsonw__bool(w, t->exited);
		jsonw__key(w, "openssl");
		jsonw__arr_open(w);
		for (j = 0; j < t->nobjs; j++) {
			jsonw__obj_open(w);
			jsonw__key(w, "path");
			jsonw__str(w, t->objs[j].path);
			jsonw__key(w, "kind");
			jsonw__str(w, obj_kind_name(t->objs[j].kind));
			jsonw__key(w, "version");
			jsonw__str(w, t->objs[j].version);
			jsonw__key(w, "probes");
			jsonw__u64(w, (__u64)t->objs[j].nprobes);
			jsonw__obj_close(w);
		}
		jsonw__arr_close(w);
		jsonw__obj_close(w);
	}
	jsonw__arr_close(w);
}

static void json_kv(struct jsonw *w, const char *k, __u64 v)
{
	jsonw__key(w, k);
	jsonw__u64(w, v);
}

static void json_figures(struct jsonw *w, const struct summary *s)
{
	const struct model_totals *t = &s->tot;

	jsonw__key(w, "duration_s");
	jsonw__double(w, s->duration_s);
	jsonw__key(w, "ssl");
	jsonw__obj_open(w);
	json_kv(w, "live", t->ssl_live);
	json_kv(w, "created", t->ssl_created);
	json_kv(w, "freed", t->ssl_freed);
	json_kv(w, "adopted", t->ssl_adopted);
	jsonw__obj_close(w);
	jsonw__key(w, "heap");
	jsonw__obj_open(w);
	json_kv(w, "live_bytes", t->live_bytes);
	json_kv(w, "live_blocks", t->live_blocks);
	json_kv(w, "allocs", t->allocs);
	json_kv(w, "frees", t->frees);
	json_kv(w, "unknown_frees", t->unknown_frees);
	jsonw__key(w, "bytes_per_live_ssl");
	jsonw__double(w, summary_bytes_per_ssl(s));
	json_kv(w, "ssl_bytes", t->ssl_bytes);
	json_kv(w, "orphan_bytes", t->orphan_bytes);
	json_kv(w, "orphan_blocks", t->orphan_blocks);
	jsonw__obj_close(w);
	jsonw__key(w, "process");
	jsonw__obj_open(w);
	json_kv(w, "rss_bytes", s->rss_bytes);
	jsonw__obj_close(w);
	jsonw__key(w, "events");
	jsonw__obj_open(w);
	json_kv(w, "received", s->events_received);
	json_kv(w, "lost", s->events_lost);
	json_kv(w, "rejected", t->bad_records);
	jsonw__obj_close(w);
	jsonw__key(w, "complete");
	jsonw__bool(w, summary_complete(s));
}

static void json_site(struct jsonw *w, const struct summary *s, const struct site_row *r)
{
	struct site_name nm = { "?", 0, "?", "?" };

	sites__name(s->sites, r->id, &nm);
	jsonw__obj_open(w);
	jsonw__key(w, "file");
	jsonw__str(w, nm.file);
	jsonw__key(w, "line");
	jsonw__s64(w, nm.line);
	jsonw__key(w, "caller");
	jsonw__str(w, nm.caller);
	jsonw__key(w, "module");
	jsonw__str(w, nm.module);
	json_kv(w, "live_blocks", r->st.live_blocks);
	json_kv(w, "live_bytes", r->st.live_bytes);
	json_kv(w, "allocs", r->st.allocs);
	json_kv(w, "frees", r->st.frees);
	jsonw__obj_close(w);
}

int report_json(FILE *f, const struct summary *s)
{
	struct jsonw *w = jsonw__new(f);
	struct site_row *v;
	size_t n, i;

	if (!w)
		return -ENOMEM;
	jsonw__obj_open(w);
	json_targets(w, s);
	json_figures(w, s);
	jsonw__key(w, "sites");
	jsonw__arr_open(w);
	v = sorted_sites(s, &n);
	for (i = 0; v && i < n; i++)
		json_site(w, s, &v[i]);
	free(v);
	jsonw__arr_close(w);
	jsonw__key(w, "flags");
	jsonw__arr_open(w);
	jsonw__arr_close(w);
	jsonw__obj_close(w);
	return jsonw__free(w);
}

int report_sites_csv(FILE *f, const struct summary *s)
{
	static const char *const head[] = { "file", "line", "caller", "module", "live_blocks",
					    "live_bytes", "allocs", "frees" };
	struct csv_writer *w = csv_writer__new(f);
	struct site_row *v;
	size_t n, i;
	int err;

	if (!w)
		return -ENOMEM;
	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		csv_writer__field(w, head[i]);
	csv_writer__end_row(w);
	v = sorted_sites(s, &n);
	for (i = 0; v && i < n; i++) {
		struct site_name nm = { "?", 0, "?", "?" };

		sites__name(s->sites, v[i].id, &nm);
		csv_writer__field(w, nm.file);
		csv_writer__u64(w, (__u64)(long long)nm.line);
		csv_writer__field(w, nm.caller);
		csv_writer__field(w, nm.module);
		csv_writer__u64(w, v[i].st.live_blocks);
		csv_writer__u64(w, v[i].st.live_bytes);
		csv_writer__u64(w, v[i].st.allocs);
		csv_writer__u64(w, v[i].st.frees);
		csv_writer__end_row(w);
	}
	free(v);
	err = csv_writer__free(w);
	return err;
}
