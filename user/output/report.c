// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Text and JSON summaries; see report.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "csv.h"
#include "flags.h"
#include "growth.h"
#include "history.h"
#include "jsonw.h"
#include "sampler.h"
#include "sites.h"
#include "target.h"
#include "fmt.h"
#include "report.h"

/* "file:line caller (module)" of a site id into buf. */
static void site_label(const struct summary *s, __u32 id, char *buf, size_t cap)
{
	struct site_name nm = { "?", 0, "?", "?", "", "none" };
	const char *mod;

	if (s->sites)
		sites__name(s->sites, id, &nm);
	mod = strrchr(nm.module, '/');
	snprintf(buf, cap, "%s:%d %s (%s)", nm.file[0] ? nm.file : "-", nm.line, nm.caller,
		 mod ? mod + 1 : nm.module);
}

/* How the blocks of a site came to their owners, for a leak's message. */
static const char *site_how(const struct summary *s, __u32 id)
{
	struct site_stats st;

	model__site(s->model, id, &st);
	if (st.linked_allocs * 2 > st.owned_allocs)
		return "hung on it with SSL_set_ex_data";
	if (st.after_allocs * 2 > st.owned_allocs)
		return "allocated right after SSL_new";
	return "allocated in its calls";
}

static bool lifecycle_message(const struct summary *s, const struct growth_flag *f, char *buf,
			      size_t cap)
{
	char site[512], a[32];

	switch (f->kind) {
	case GROWTH_LEAK_PER_CONN:
		site_label(s, f->site, site, sizeof(site));
		snprintf(buf, cap, "leak at %s: %llu of %llu freed %s left a %s block (%s)%s",
			 site, (unsigned long long)f->left, (unsigned long long)f->freed,
			 f->owner_kind == MODEL_OWNER_SESSION ? "SSL_SESSIONs" : "SSL objects",
			 fmt_bytes(a, sizeof(a), f->bytes_per_block),
			 f->owner_kind == MODEL_OWNER_SESSION ? "owned by the session" :
			 site_how(s, f->site), f->active ? "" : "; freed since");
		return true;
	case GROWTH_SESSION_LEAK:
		snprintf(buf, cap, "session leak: %llu of %llu freed SSL objects left an SSL_SESSION "
			 "that no session cache holds and nothing frees%s",
			 (unsigned long long)f->left, (unsigned long long)f->freed,
			 f->active ? "" : "; freed since");
		return true;
	case GROWTH_CACHE:
		snprintf(buf, cap, "session cache holds %llu sessions, %s: bounded by its size, "
			 "freed when evicted (not a leak)%s", (unsigned long long)f->held,
			 fmt_bytes(a, sizeof(a), (double)f->held_bytes), f->active ? "" : "; emptied");
		return true;
	default:
		return false;
	}
}

void report_flag_message(const struct summary *s, const struct growth_flag *f, char *buf, size_t cap)
{
	char site[512], a[32], b[32];

	if (f->lifecycle && lifecycle_message(s, f, buf, cap))
		return;
	switch (f->kind) {
	case GROWTH_LEAK_PER_CONN:
	case GROWTH_CACHE:
		site_label(s, f->site, site, sizeof(site));
		snprintf(buf, cap, "%s %s: %.2f blocks of %s per connection closed, +%s/h at "
			 "the observed rate (%.0f connections)%s",
			 f->kind == GROWTH_CACHE ? "session cache fills at" : "leak at", site,
			 f->blocks_per_conn, fmt_bytes(a, sizeof(a), f->bytes_per_block),
			 fmt_bytes(b, sizeof(b), f->bytes_per_hour), f->conns,
			 f->active ? "" : "; no longer growing");
		break;
	case GROWTH_GROWTH:
		if (f->top_sites[0] != UINT32_MAX)
			site_label(s, f->top_sites[0], site, sizeof(site));
		else
			snprintf(site, sizeof(site), "?");
		snprintf(buf, cap, "OpenSSL memory grows %s/h with %.0f live SSL objects; "
			 "most from %s%s", fmt_bytes(a, sizeof(a), f->bytes_per_hour), f->ssl_live,
			 site, f->active ? "" : "; no longer growing");
		break;
	case GROWTH_SSL_OUTLIVES_SOCKET:
		snprintf(buf, cap, "%.0f live SSL objects for %.0f open TCP sockets: SSL objects "
			 "outlive their connections%s", f->ssl_live, f->sockets,
			 f->active ? "" : "; no longer");
		break;
	default:
		snprintf(buf, cap, "unknown flag");
	}
}

static void text_flags(FILE *f, const struct summary *s)
{
	struct growth_flag *v;
	char msg[1024];
	size_t n, i;

	v = summary_flags(s, &n);
	if (!n) {
		fprintf(f, "flags          none\n");
		return;
	}
	for (i = 0; i < n; i++) {
		report_flag_message(s, &v[i], msg, sizeof(msg));
		fprintf(f, "FLAG %-20s %s\n", flags_name(v[i].kind), msg);
	}
	free(v);
}

/* A positive slope of RSS on live SSL objects could be fitted. */
static bool summary_rss_slope_ok(const struct summary *s)
{
	double slope, se, share, r2;

	return summary_rss_slope(s, &slope, &se, &share, &r2) && slope > 0;
}

/* The highest RSS on the time line, 0 if none. */
static __u64 peak_rss(const struct summary *s)
{
	size_t i, len = s->hist ? history__len(s->hist) : 0;
	__u64 m = s->rss_bytes;

	for (i = 0; i < len; i++)
		if (history__at(s->hist, i)->rss_bytes > m)
			m = history__at(s->hist, i)->rss_bytes;
	return m;
}

/* -- COMMAND reaped by tlsmem, or a followed process whose exit the kernel reported */
static bool status_known(const struct target *t)
{
	return t->exited && (t->child || t->exit_ns);
}

static void text_targets(FILE *f, const struct summary *s)
{
	size_t i, j;

	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		fprintf(f, "pid %d (%s)", t->pid, t->comm);
		if (status_known(t) && WIFEXITED(t->exit_status))
			fprintf(f, ", exited with status %d", WEXITSTATUS(t->exit_status));
		else if (status_known(t) && WIFSIGNALED(t->exit_status))
			fprintf(f, ", killed by signal %d (%s)", WTERMSIG(t->exit_status),
				strsignal(WTERMSIG(t->exit_status)));
		else if (t->exited)
			fprintf(f, ", exited");
		fputc('\n', f);
		if (!t->nobjs)
			fprintf(f, "  OpenSSL never loaded\n");
		for (j = 0; j < t->nobjs; j++) {
			const struct ssl_obj *o = &t->objs[j];

			fprintf(f, "  %s%s: %s, %s, %d probes", o->path,
				o->kind == OBJ_DELETED ? " (deleted)" : "", target_obj_kind_name(o->kind),
				o->version ? o->version : "version unknown", o->nprobes);
			if (o->unobserved_ns)
				fprintf(f, "; loaded after attach, unobserved for %.0f ms after "
					"its load", (double)o->unobserved_ns / 1e6);
			else if (o->late)
				fprintf(f, "; loaded after attach");
			fputc('\n', f);
		}
	}
}

#define NAMES_MODULES_MAX	16

/* Per module of the sites shown: where its names came from, and its build-id. */
static void text_names(FILE *f, const struct summary *s, const struct site_fig *v, size_t n)
{
	struct site_name seen[NAMES_MODULES_MAX], nm;
	size_t k = 0, j;
	const char *mod;

	for (size_t i = 0; i < n && k < NAMES_MODULES_MAX; i++) {
		if (sites__name(s->sites, v[i].id, &nm) || !strcmp(nm.module, "?"))
			continue;
		for (j = 0; j < k && strcmp(seen[j].module, nm.module); j++)
			;
		if (j == k)
			seen[k++] = nm;
	}
	if (k)
		fprintf(f, "names of the callers, per module:\n");
	for (j = 0; j < k; j++) {
		mod = strrchr(seen[j].module, '/');
		fprintf(f, "  %-28s %-14s build-id %s\n", mod ? mod + 1 : seen[j].module,
			seen[j].names_from, seen[j].build_id[0] ? seen[j].build_id : "none");
	}
}

static void text_sites(FILE *f, const struct summary *s)
{
	struct site_fig *v;
	size_t n, i;
	char b[32];

	v = summary_sites_sorted(s, &n);
	if (!v || !n) {
		free(v);
		return;
	}
	fprintf(f, "\nsites by live bytes:\n%12s %8s %10s %10s  %s\n", "LIVE", "BLOCKS", "ALLOCS",
		"FREES", "SITE (file:line caller module)");
	for (i = 0; i < n && i < s->max_sites; i++) {
		struct site_name nm = { "?", 0, "?", "?", "", "none" };
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
	text_names(f, s, v, n < s->max_sites ? n : s->max_sites);
	free(v);
}

static void text_cost(FILE *f, const struct summary *s)
{
	char a[32], b[32], c[32], d[32], e[32];
	struct closed_cost cc;
	struct ssl_cost k;

	summary_ssl_cost(s, &k);
	if (k.objects)
		fprintf(f, "per live SSL   mean %s  p50 %s  p99 %s  max %s  (%llu live objects "
			"created since attach)\n", fmt_bytes(a, sizeof(a), k.mean),
			fmt_bytes(b, sizeof(b), (double)k.p50), fmt_bytes(c, sizeof(c), (double)k.p99),
			fmt_bytes(d, sizeof(d), (double)k.max), (unsigned long long)k.objects);
	else
		fprintf(f, "per live SSL   none live now (of those created since attach)\n");
	if (s->open_sockets != UINT64_MAX)
		fprintf(f, "open sockets   %llu TCP\n", (unsigned long long)s->open_sockets);
	summary_closed_cost(s, &cc);
	if (cc.objects)
		fprintf(f, "per closed SSL peak mean %s  p50 %s  p99 %s  max %s, %s left at free  "
			"(%llu closed)\n", fmt_bytes(a, sizeof(a), cc.mean_peak),
			fmt_bytes(b, sizeof(b), (double)cc.p50), fmt_bytes(c, sizeof(c), (double)cc.p99),
			fmt_bytes(d, sizeof(d), (double)cc.max),
			fmt_bytes(e, sizeof(e), cc.mean_at_free), (unsigned long long)cc.objects);
	fprintf(f, "peak           %llu live SSL objects, %s of OpenSSL heap\n",
		(unsigned long long)s->tot.peak_ssl_live,
		fmt_bytes(a, sizeof(a), (double)s->tot.peak_live_bytes));
	if (s->tot.sess_live || s->tot.sess_created)
		fprintf(f, "sessions       live %llu  created %llu  freed %llu  in a cache %llu  "
			"(%s)\n", (unsigned long long)s->tot.sess_live,
			(unsigned long long)s->tot.sess_created, (unsigned long long)s->tot.sess_freed,
			(unsigned long long)s->tot.sess_cached,
			fmt_bytes(a, sizeof(a), (double)s->tot.sess_bytes));
	if (s->tot.orphan_bytes)
		fprintf(f, "orphans        %s in %llu blocks outlive their owner\n",
			fmt_bytes(a, sizeof(a), (double)s->tot.orphan_bytes),
			(unsigned long long)s->tot.orphan_blocks);
}

/* RSS per connection beside OpenSSL's, and memory the process keeps. */
static void text_process(FILE *f, const struct summary *s)
{
	double slope, se, share, r2;
	__u64 prss = peak_rss(s), drop_ssl, drop_rss;
	char a[32], b[32], c[32];

	if (summary_rss_slope(s, &slope, &se, &share, &r2) && slope > 0) {
		fprintf(f, "per connection %s of RSS per live SSL object (+/- %s)", fmt_bytes(a, sizeof(a), slope),
			fmt_bytes(b, sizeof(b), se));
		if (!s->light && summary_bytes_per_ssl(s) > 0)
			fprintf(f, "; OpenSSL's %s explains %.0f%% of it",
				fmt_bytes(c, sizeof(c), summary_bytes_per_ssl(s)), share * 100);
		fputc('\n', f);
	}
	if (s->light || !prss)
		return;
	drop_ssl = s->tot.peak_live_bytes - s->tot.live_bytes;
	drop_rss = prss - s->rss_bytes;
	if (drop_ssl >= (1u << 20) && drop_ssl * 2 >= s->tot.peak_live_bytes && drop_rss * 2 < drop_ssl)
		fprintf(f, "kept memory    OpenSSL released %s since its peak, RSS fell only %s "
			"(now %s): the process keeps that memory (allocator, runtime), not OpenSSL\n",
			fmt_bytes(a, sizeof(a), (double)drop_ssl), fmt_bytes(b, sizeof(b), (double)drop_rss),
			fmt_bytes(c, sizeof(c), (double)s->rss_bytes));
}

static void text_observation(FILE *f, const struct summary *s)
{
	char a[32];

	fprintf(f, "observation    %s mode, %s probe hits/s, about %.1f%% of a CPU in the target\n",
		s->light ? "light" : "full", fmt_count(a, sizeof(a), summary_hits_per_s(s)),
		summary_cpu_pct(s));
	if (s->probe_hits_other)
		fprintf(f, "elsewhere      %s probe hits/s in processes not observed, about %.1f%% of "
			"a CPU: following processes puts the probes in every process that maps "
			"the probed files\n", fmt_count(a, sizeof(a), summary_other_hits_per_s(s)),
			summary_other_cpu_pct(s));
	if (s->light && !summary_rss_slope_ok(s))
		fprintf(f, "estimate       none yet: RSS has not followed the live SSL count\n");
}

static int cmp_orphans(const void *a, const void *b)
{
	const struct site_stats *x = &((const struct site_fig *)a)->st;
	const struct site_stats *y = &((const struct site_fig *)b)->st;

	return (x->orphan_bytes < y->orphan_bytes) - (x->orphan_bytes > y->orphan_bytes);
}

/* Sites holding blocks of freed owners, with their evidence (N of M). */
static void text_orphans(FILE *f, const struct summary *s)
{
	struct site_fig *v;
	size_t n, i, shown = 0;
	char b[48], sz[32], site[512];

	v = summary_sites_sorted(s, &n);
	if (!v)
		return;
	qsort(v, n, sizeof(*v), cmp_orphans);
	for (i = 0; i < n && shown < s->max_sites && v[i].st.orphan_blocks; i++, shown++) {
		int k = v[i].st.owners_left[MODEL_OWNER_SESSION] >
			v[i].st.owners_left[MODEL_OWNER_SSL] ? MODEL_OWNER_SESSION : MODEL_OWNER_SSL;

		if (!shown)
			fprintf(f, "\norphans (blocks whose owner was freed):\n%12s %8s %15s  %s\n",
				"BYTES", "BLOCKS", "LEFT OF FREED", "SITE (file:line caller module)");
		site_label(s, v[i].id, site, sizeof(site));
		snprintf(b, sizeof(b), "%llu/%llu %s", (unsigned long long)v[i].st.owners_left[k],
			 (unsigned long long)v[i].st.owners_freed[k],
			 k == MODEL_OWNER_SESSION ? "sess" : "SSL");
		fprintf(f, "%12s %8llu %15s  %s\n",
			fmt_bytes(sz, sizeof(sz), (double)v[i].st.orphan_bytes),
			(unsigned long long)v[i].st.orphan_blocks, b, site);
	}
	free(v);
}

/* Connections that were open at attach and have not shown their SSL object yet. */
static void text_preattach(FILE *f, const struct summary *s)
{
	if (!s->pre_attach_conns)
		return;
	fprintf(f, "before attach  %llu connection%s opened before attach: adopted when they "
		"next read or write (%llu still waiting)\n",
		(unsigned long long)s->pre_attach_conns, s->pre_attach_conns == 1 ? "" : "s",
		(unsigned long long)s->pre_attach_waiting);
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
	if (s->light) {
		fprintf(f, "OpenSSL heap   not measured (--light probes SSL_new and SSL_free only)\n");
		fprintf(f, "process %s    %s\n", s->mem_pss ? "PSS" : "RSS",
			fmt_bytes(a, sizeof(a), (double)s->rss_bytes));
	} else {
		fprintf(f, "OpenSSL heap   %s live in %llu blocks  allocs %llu  frees %llu  "
			"unknown frees %llu\n", fmt_bytes(a, sizeof(a), (double)t->live_bytes),
			(unsigned long long)t->live_blocks, (unsigned long long)t->allocs,
			(unsigned long long)t->frees, (unsigned long long)t->unknown_frees);
		text_cost(f, s);
		fprintf(f, "process %s    %s  (OpenSSL holds %s of it since attach)\n",
			s->mem_pss ? "PSS" : "RSS", fmt_bytes(a, sizeof(a), (double)s->rss_bytes),
			fmt_bytes(b, sizeof(b), (double)t->live_bytes));
	}
	text_preattach(f, s);
	fprintf(f, "events         %llu received, %llu lost%s%s\n",
		(unsigned long long)s->events_received, (unsigned long long)s->events_lost,
		summary_complete(s) ? "" :
		"  -- INCOMPLETE: counts are lower bounds, live figures approximate",
		summary_unobserved_ms(s) > 0 ? " (a library loaded after attach ran unprobed for a "
		"moment: see above)" : "");
	text_process(f, s);
	text_observation(f, s);
	text_flags(f, s);
	text_sites(f, s);
	text_orphans(f, s);
	fflush(f);
}

static void json_heap_kv(struct jsonw *w, const struct summary *s, const char *k, __u64 v)
{
	jsonw__key(w, k);
	if (s->light)
		jsonw__null(w);
	else
		jsonw__u64(w, v);
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
		if (t->ppid) {
			jsonw__key(w, "ppid");
			jsonw__u64(w, (__u64)t->ppid);
		}
		if (t->exe[0]) {
			jsonw__key(w, "exe");
			jsonw__str(w, t->exe);
		}
		for (j = 0; !t->exited && j < s->npids; j++) {
			if ((int)s->pids[j].pid != t->pid)
				continue;
			jsonw__key(w, "ssl_live");
			jsonw__u64(w, s->pids[j].ssl_live);
			jsonw__key(w, "ssl_created");
			jsonw__u64(w, s->pids[j].ssl_created);
			jsonw__key(w, "ssl_freed");
			jsonw__u64(w, s->pids[j].ssl_freed);
			jsonw__key(w, "heap_live_bytes");
			jsonw__u64(w, s->pids[j].live_bytes);
		}
		jsonw__key(w, "container");
		jsonw__str(w, t->container);
		jsonw__key(w, "pod");
		jsonw__str(w, t->pod);
		jsonw__key(w, "exited");
		jsonw__bool(w, t->exited);
		/* how it ended: null when unknown (-p) or still running */
		jsonw__key(w, "exit_status");
		if (status_known(t) && WIFEXITED(t->exit_status))
			jsonw__u64(w, (__u64)WEXITSTATUS(t->exit_status));
		else
			jsonw__null(w);
		jsonw__key(w, "signal");
		if (status_known(t) && WIFSIGNALED(t->exit_status))
			jsonw__u64(w, (__u64)WTERMSIG(t->exit_status));
		else
			jsonw__null(w);
		jsonw__key(w, "openssl");
		jsonw__arr_open(w);
		for (j = 0; j < t->nobjs; j++) {
			jsonw__obj_open(w);
			jsonw__key(w, "path");
			jsonw__str(w, t->objs[j].path);
			jsonw__key(w, "kind");
			jsonw__str(w, target_obj_kind_name(t->objs[j].kind));
			jsonw__key(w, "version");
			jsonw__str(w, t->objs[j].version);
			jsonw__key(w, "build_id");
			jsonw__str(w, t->objs[j].build_id);
			jsonw__key(w, "probes");
			jsonw__u64(w, (__u64)t->objs[j].nprobes);
			jsonw__key(w, "loaded_after_attach");
			jsonw__bool(w, t->objs[j].late);
			jsonw__key(w, "unobserved_ms");
			jsonw__double(w, (double)t->objs[j].unobserved_ns / 1e6);
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

static void json_cost_all(struct jsonw *w, const struct summary *s, const struct closed_cost *cc)
{
	struct all_cost a;

	summary_all_cost(s, cc, &a);
	jsonw__key(w, "all");
	jsonw__obj_open(w);
	json_kv(w, "objects", a.objects);
	jsonw__key(w, "mean_peak_bytes");
	jsonw__double(w, a.mean_peak);
	json_kv(w, "p50_peak_bytes", a.p50);
	json_kv(w, "p99_peak_bytes", a.p99);
	json_kv(w, "max_peak_bytes", a.max);
	jsonw__obj_close(w);
}

static void json_cost(struct jsonw *w, const struct summary *s)
{
	struct closed_cost cc;
	struct ssl_cost k;

	summary_ssl_cost(s, &k);
	summary_closed_cost(s, &cc);
	jsonw__key(w, "ssl_cost");
	jsonw__obj_open(w);
	json_kv(w, "objects", k.objects);
	jsonw__key(w, "mean_bytes");
	jsonw__double(w, k.mean);
	json_kv(w, "p50_bytes", k.p50);
	json_kv(w, "p99_bytes", k.p99);
	json_kv(w, "max_bytes", k.max);
	jsonw__key(w, "closed");
	jsonw__obj_open(w);
	json_kv(w, "objects", cc.objects);
	jsonw__key(w, "mean_peak_bytes");
	jsonw__double(w, cc.mean_peak);
	json_kv(w, "p50_peak_bytes", cc.p50);
	json_kv(w, "p99_peak_bytes", cc.p99);
	json_kv(w, "max_peak_bytes", cc.max);
	jsonw__key(w, "mean_at_free_bytes");
	jsonw__double(w, cc.mean_at_free);
	jsonw__obj_close(w);
	json_cost_all(w, s, &cc);
	jsonw__obj_close(w);
}

/* The whole process's memory per connection, with its fit, in every mode. */
static void json_estimate(struct jsonw *w, const struct summary *s)
{
	double slope, se, share, r2;
	size_t n = summary_rss_slope(s, &slope, &se, &share, &r2);

	/* a falling slope is noise, not a cost per connection: no estimate */
	if (slope <= 0)
		n = 0;
	jsonw__key(w, "estimate");
	jsonw__obj_open(w);
	jsonw__key(w, "rss_per_ssl_bytes");
	if (n)
		jsonw__double(w, slope);
	else
		jsonw__null(w);
	jsonw__key(w, "stderr_bytes");
	if (n)
		jsonw__double(w, se);
	else
		jsonw__null(w);
	jsonw__key(w, "openssl_share");
	if (n && !s->light && share > 0)
		jsonw__double(w, share);
	else
		jsonw__null(w);
	jsonw__key(w, "r2");
	jsonw__double(w, n ? r2 : 0);
	json_kv(w, "samples", n);
	jsonw__obj_close(w);
}

static void json_owner_kind(struct jsonw *w, const char *k, __u64 live, __u64 created,
			    __u64 freed)
{
	jsonw__key(w, k);
	jsonw__obj_open(w);
	json_kv(w, "live", live);
	json_kv(w, "created", created);
	json_kv(w, "freed", freed);
	jsonw__obj_close(w);
}

static void json_owners(struct jsonw *w, const struct summary *s)
{
	const struct model_totals *t = &s->tot;

	jsonw__key(w, "owners");
	jsonw__obj_open(w);
	json_owner_kind(w, "ssl", t->ssl_live, t->ssl_created, t->ssl_freed);
	json_owner_kind(w, "session", t->sess_live, t->sess_created, t->sess_freed);
	json_kv(w, "sessions_adopted", t->sess_adopted);
	json_kv(w, "sessions_cached", t->sess_cached);
	json_kv(w, "sessions_orphaned", t->sess_orphans);
	json_kv(w, "session_bytes", t->sess_bytes);
	jsonw__obj_close(w);
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
	json_kv(w, "peak_live", t->peak_ssl_live);
	json_kv(w, "exited", t->ssl_exited);
	jsonw__obj_close(w);
	json_owners(w, s);
	jsonw__key(w, "heap");
	jsonw__obj_open(w);
	/* --light measures no heap figure: null, not a zero that would read as measured */
	json_heap_kv(w, s, "live_bytes", t->live_bytes);
	json_heap_kv(w, s, "live_blocks", t->live_blocks);
	json_heap_kv(w, s, "allocs", t->allocs);
	json_heap_kv(w, s, "frees", t->frees);
	json_heap_kv(w, s, "unknown_frees", t->unknown_frees);
	json_heap_kv(w, s, "exit_frees", t->exit_blocks);
	jsonw__key(w, "bytes_per_live_ssl");
	if (s->light)
		jsonw__null(w);
	else
		jsonw__double(w, summary_bytes_per_ssl(s));
	json_heap_kv(w, s, "ssl_bytes", t->ssl_bytes);
	json_heap_kv(w, s, "orphan_bytes", t->orphan_bytes);
	json_heap_kv(w, s, "orphan_blocks", t->orphan_blocks);
	json_heap_kv(w, s, "peak_live_bytes", t->peak_live_bytes);
	jsonw__obj_close(w);
	json_cost(w, s);
	jsonw__key(w, "process");
	jsonw__obj_open(w);
	json_kv(w, "rss_bytes", s->rss_bytes);
	jsonw__key(w, "measure");
	jsonw__str(w, s->mem_pss ? "pss" : "rss");
	jsonw__obj_close(w);
	jsonw__key(w, "sockets");
	jsonw__obj_open(w);
	jsonw__key(w, "open");
	if (s->open_sockets == UINT64_MAX)
		jsonw__null(w);
	else
		jsonw__u64(w, s->open_sockets);
	/* established at attach / of those, still open with no SSL object seen */
	json_kv(w, "before_attach", s->pre_attach_conns);
	json_kv(w, "before_attach_waiting", s->pre_attach_waiting);
	jsonw__obj_close(w);
	jsonw__key(w, "tlsmem");
	jsonw__obj_open(w);
	json_kv(w, "model_bytes", s->tlsmem_bytes);
	json_kv(w, "rss_bytes", s->tlsmem_rss);
	json_kv(w, "ringbuf_bytes", s->ringbuf_bytes);
	json_kv(w, "probes", s->probes);
	jsonw__key(w, "mode");
	jsonw__str(w, s->light ? "light" : "full");
	json_kv(w, "probe_hits", s->probe_hits);
	jsonw__key(w, "hits_per_s");
	jsonw__double(w, summary_hits_per_s(s));
	jsonw__key(w, "est_cpu_pct");
	jsonw__double(w, summary_cpu_pct(s));
	/* following: the same probes taken by processes not observed */
	json_kv(w, "probe_hits_unobserved", s->probe_hits_other);
	jsonw__key(w, "unobserved_hits_per_s");
	jsonw__double(w, summary_other_hits_per_s(s));
	jsonw__key(w, "unobserved_est_cpu_pct");
	jsonw__double(w, summary_other_cpu_pct(s));
	jsonw__obj_close(w);
	json_estimate(w, s);
	jsonw__key(w, "events");
	jsonw__obj_open(w);
	json_kv(w, "received", s->events_received);
	json_kv(w, "lost", s->events_lost);
	json_kv(w, "rejected", t->bad_records);
	jsonw__obj_close(w);
	jsonw__key(w, "complete");
	jsonw__bool(w, summary_complete(s));
}

/* Opens an object with the names of site id; the caller adds figures and closes it. */
static void json_site_ref(struct jsonw *w, const struct summary *s, __u32 id)
{
	struct site_name nm = { "?", 0, "?", "?", "", "none" };

	if (s->sites)
		sites__name(s->sites, id, &nm);
	jsonw__obj_open(w);
	jsonw__key(w, "file");
	jsonw__str(w, nm.file);
	jsonw__key(w, "line");
	jsonw__s64(w, nm.line);
	jsonw__key(w, "caller");
	jsonw__str(w, nm.caller);
	jsonw__key(w, "module");
	jsonw__str(w, nm.module);
	jsonw__key(w, "build_id");
	jsonw__str(w, nm.build_id);
	jsonw__key(w, "names_from");
	jsonw__str(w, nm.names_from);
}

static void json_site(struct jsonw *w, const struct summary *s, const struct site_fig *r)
{
	json_site_ref(w, s, r->id);
	json_kv(w, "live_blocks", r->st.live_blocks);
	json_kv(w, "live_bytes", r->st.live_bytes);
	json_kv(w, "allocs", r->st.allocs);
	json_kv(w, "frees", r->st.frees);
	json_kv(w, "alloc_bytes", r->st.alloc_bytes);
	json_kv(w, "orphan_blocks", r->st.orphan_blocks);
	json_kv(w, "orphan_bytes", r->st.orphan_bytes);
	jsonw__obj_close(w);
}

static void json_dbl(struct jsonw *w, const char *k, double v)
{
	jsonw__key(w, k);
	jsonw__double(w, v);
}

static void json_flag(struct jsonw *w, const struct summary *s, const struct growth_flag *f)
{
	char msg[1024];
	int i;

	report_flag_message(s, f, msg, sizeof(msg));
	jsonw__obj_open(w);
	jsonw__key(w, "kind");
	jsonw__str(w, flags_name(f->kind));
	jsonw__key(w, "active");
	jsonw__bool(w, f->active);
	jsonw__key(w, "message");
	jsonw__str(w, msg);
	jsonw__key(w, "site");
	if (f->site == UINT32_MAX) {
		jsonw__null(w);
	} else {
		json_site_ref(w, s, f->site);
		jsonw__obj_close(w);
	}
	json_dbl(w, "since_s", f->since_s);
	json_dbl(w, "last_s", f->last_s);
	json_dbl(w, "blocks_per_conn", f->blocks_per_conn);
	json_dbl(w, "bytes_per_block", f->bytes_per_block);
	json_dbl(w, "bytes_per_hour", f->bytes_per_hour);
	json_dbl(w, "conns", f->conns);
	json_dbl(w, "ssl_live", f->ssl_live);
	json_dbl(w, "sockets", f->sockets);
	jsonw__key(w, "evidence");
	jsonw__str(w, f->lifecycle ? "lifecycle" : "fit");
	if (f->lifecycle) {
		json_kv(w, "owners_left", f->left);
		json_kv(w, "owners_freed", f->freed);
		json_kv(w, "owners_freed_at_raise", f->freed_at_raise);
		jsonw__key(w, "owner");
		jsonw__str(w, f->owner_kind == MODEL_OWNER_SESSION ? "session" : "ssl");
		json_kv(w, "held", f->held);
		json_kv(w, "held_bytes", f->held_bytes);
	}
	jsonw__key(w, "top_sites");
	jsonw__arr_open(w);
	for (i = 0; i < 3 && f->kind == GROWTH_GROWTH && f->top_sites[i] != UINT32_MAX; i++) {
		json_site_ref(w, s, f->top_sites[i]);
		json_dbl(w, "bytes_per_hour", f->top_rates[i]);
		jsonw__obj_close(w);
	}
	jsonw__arr_close(w);
	jsonw__obj_close(w);
}

static void json_flags(struct jsonw *w, const struct summary *s)
{
	struct growth_flag *v;
	size_t n, i;

	v = summary_flags(s, &n);
	jsonw__key(w, "flags");
	jsonw__arr_open(w);
	for (i = 0; i < n; i++)
		json_flag(w, s, &v[i]);
	jsonw__arr_close(w);
	free(v);
}

/* Sites holding blocks of owners already freed: N of M freed owners left one. */
static void json_orphans(struct jsonw *w, const struct summary *s)
{
	__u32 i, n = model__nsites(s->model);
	struct site_stats st;
	struct site_name nm;

	jsonw__key(w, "orphans");
	jsonw__arr_open(w);
	for (i = 0; i < n; i++) {
		int k;

		model__site(s->model, i, &st);
		if (!st.orphan_blocks)
			continue;
		k = st.owners_left[MODEL_OWNER_SESSION] > st.owners_left[MODEL_OWNER_SSL] ?
			MODEL_OWNER_SESSION : MODEL_OWNER_SSL;
		json_site_ref(w, s, i);
		json_kv(w, "live_bytes", st.orphan_bytes);
		json_kv(w, "live_blocks", st.orphan_blocks);
		jsonw__key(w, "owner");
		jsonw__str(w, k == MODEL_OWNER_SESSION ? "session" : "ssl");
		json_kv(w, "owners_left", st.owners_left[k]);
		json_kv(w, "owners_freed", st.owners_freed[k]);
		jsonw__key(w, "session_cache");
		jsonw__bool(w, s->sites && !sites__name(s->sites, i, &nm) &&
			       sampler_site_is_session_cache(nm.file));
		jsonw__obj_close(w);
	}
	jsonw__arr_close(w);
}

int report_json(FILE *f, const struct summary *s)
{
	struct jsonw *w = jsonw__new(f);
	struct site_fig *v;
	size_t n, i;

	if (!w)
		return -ENOMEM;
	jsonw__obj_open(w);
	/* one more whenever a key changes meaning or goes: tlsmem compare refuses others */
	json_kv(w, "format", 1);
	json_targets(w, s);
	json_figures(w, s);
	jsonw__key(w, "sites");
	jsonw__arr_open(w);
	v = summary_sites_sorted(s, &n);
	for (i = 0; v && i < n; i++)
		json_site(w, s, &v[i]);
	free(v);
	jsonw__arr_close(w);
	json_flags(w, s);
	json_orphans(w, s);
	jsonw__obj_close(w);
	return jsonw__free(w);
}

int report_sites_csv(FILE *f, const struct summary *s)
{
	static const char *const head[] = { "file", "line", "caller", "module", "live_blocks",
					    "live_bytes", "allocs", "frees", "build_id" };
	struct csv_writer *w = csv_writer__new(f);
	struct site_fig *v;
	size_t n, i;
	int err;

	if (!w)
		return -ENOMEM;
	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		csv_writer__field(w, head[i]);
	csv_writer__end_row(w);
	v = summary_sites_sorted(s, &n);
	for (i = 0; v && i < n; i++) {
		struct site_name nm = { "?", 0, "?", "?", "", "none" };

		sites__name(s->sites, v[i].id, &nm);
		csv_writer__field(w, nm.file);
		csv_writer__u64(w, (__u64)(long long)nm.line);
		csv_writer__field(w, nm.caller);
		csv_writer__field(w, nm.module);
		csv_writer__u64(w, v[i].st.live_blocks);
		csv_writer__u64(w, v[i].st.live_bytes);
		csv_writer__u64(w, v[i].st.allocs);
		csv_writer__u64(w, v[i].st.frees);
		csv_writer__field(w, nm.build_id);
		csv_writer__end_row(w);
	}
	free(v);
	err = csv_writer__free(w);
	return err;
}
