// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/output/metrics.c: the exposition text of a summary built from a
 * real model (synthetic records) and real site names (this process's own
 * memory and symbols), checked by a strict parser of the Prometheus text
 * format written here; the textfile; the /metrics server over loopback,
 * garbage requests included.
 */
#define TEST_IMPLEMENTATION
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "growth.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "symcache.h"
#include "target.h"
#include "metrics.h"
#include "metrics_srv.h"
#include "test.h"

/* ---- a strict parser of the text exposition format, version 0.0.4 ---- */

#define MAX_LABELS	8

struct label {
	char *name, *value;		/* value unescaped */
};

struct sample {
	char *name;
	struct label l[MAX_LABELS];
	int nl;
	double v;
};

struct family {
	char *name;
	char type[16];
	bool help, typed;
	int nsamples;
};

struct expo {
	struct sample *s;
	int ns;
	struct family *f;
	int nf;
	char err[512];
};

static bool bad(struct expo *e, int line, const char *why, const char *text)
{
	snprintf(e->err, sizeof(e->err), "line %d: %s: %.200s", line, why, text);
	return false;
}

static bool name_ok(const char *s, size_t n, bool metric)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (metric && c == ':') || (i && c >= '0' && c <= '9');

		if (!ok)
			return false;
	}
	return true;
}

/* Valid UTF-8, no overlongs or surrogates. */
static bool utf8_ok(const unsigned char *p)
{
	while (*p) {
		int n = *p < 0x80 ? 0 : *p >= 0xc2 && *p <= 0xdf ? 1 : *p >= 0xe0 && *p <= 0xef ? 2 :
			*p >= 0xf0 && *p <= 0xf4 ? 3 : -1;
		__u32 c = n == 0 ? *p : n == 1 ? *p & 0x1f : n == 2 ? *p & 0x0f : *p & 0x07;
		int i;

		if (n < 0)
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static struct family *family_of(struct expo *e, const char *name)
{
	int i;

	for (i = 0; i < e->nf; i++)
		if (!strcmp(e->f[i].name, name))
			return &e->f[i];
	return NULL;
}

static bool is_total(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, "_total");
}

/* "# HELP name text" or "# TYPE name type". */
static bool parse_meta(struct expo *e, int ln, char *line, struct family **cur)
{
	bool help = !strncmp(line, "# HELP ", 7);
	char *name, *sp, *p;
	struct family *f;

	if (!help && strncmp(line, "# TYPE ", 7))
		return bad(e, ln, "comment that is neither HELP nor TYPE", line);
	name = line + 7;
	sp = strchr(name, ' ');
	if (!sp || !name_ok(name, sp - name, true))
		return bad(e, ln, "bad metric name", line);
	*sp = '\0';
	f = family_of(e, name);
	if (f && f != *cur)
		return bad(e, ln, "family declared twice", name);
	if (!f) {
		e->f = realloc(e->f, (e->nf + 1) * sizeof(*e->f));
		f = &e->f[e->nf++];
		*f = (struct family){ .name = strdup(name) };
	}
	*cur = f;
	if (f->nsamples)
		return bad(e, ln, "HELP or TYPE after samples", name);
	if (help) {
		if (f->help)
			return bad(e, ln, "HELP twice", name);
		f->help = true;
		for (p = sp + 1; *p; p++)
			if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
				return bad(e, ln, "bad escape in HELP", name);
			else if (*p == '\\')
				p++;
		return true;
	}
	if (f->typed)
		return bad(e, ln, "TYPE twice", name);
	if (strcmp(sp + 1, "counter") && strcmp(sp + 1, "gauge"))
		return bad(e, ln, "type is not counter or gauge", sp + 1);
	f->typed = true;
	snprintf(f->type, sizeof(f->type), "%s", sp + 1);
	if (!strcmp(f->type, "counter") != is_total(name))
		return bad(e, ln, "counters, and only counters, end in _total", name);
	return true;
}

/* `"value"` at *pp, unescaped into a new string; NULL when malformed. */
static char *parse_quoted(char **pp)
{
	char *p = *pp, *out, *o;

	if (*p++ != '"')
		return NULL;
	out = o = malloc(strlen(p) + 1);
	for (; *p && *p != '"'; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p == '\\' || *p == '"')
			*o++ = *p;
		else if (*p == 'n')
			*o++ = '\n';
		else
			break;
	}
	*o = '\0';
	if (*p != '"' || !utf8_ok((const unsigned char *)out)) {
		free(out);
		return NULL;
	}
	*pp = p + 1;
	return out;
}

static bool parse_labels(struct expo *e, int ln, char **pp, struct sample *s)
{
	char *p = *pp, *eq;
	int i;

	if (*p != '{')
		return true;
	p++;
	while (*p != '}') {
		if (s->nl == MAX_LABELS)
			return bad(e, ln, "too many labels", *pp);
		eq = strchr(p, '=');
		if (!eq || !name_ok(p, eq - p, false) || !strncmp(p, "__", 2))
			return bad(e, ln, "bad label name", p);
		s->l[s->nl++].name = strndup(p, eq - p);
		for (i = 0; i < s->nl - 1; i++)
			if (!strcmp(s->l[i].name, s->l[s->nl - 1].name))
				return bad(e, ln, "label twice", p);
		p = eq + 1;
		s->l[s->nl - 1].value = parse_quoted(&p);
		if (!s->l[s->nl - 1].value)
			return bad(e, ln, "bad label value (quoting, escape or UTF-8)", eq + 1);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return bad(e, ln, "expected , or }", p);
		if (*p == '}' && p[-1] == ',')
			return bad(e, ln, "trailing comma", p);
	}
	*pp = p + 1;
	return true;
}

static bool parse_number(const char *p, double *v)
{
	char *end;

	if (!strcmp(p, "NaN") || !strcmp(p, "+Inf") || !strcmp(p, "-Inf")) {
		*v = !strcmp(p, "NaN") ? NAN : p[0] == '+' ? INFINITY : -INFINITY;
		return true;
	}
	if (!*p || strchr(p, ' ') || !strncasecmp(p, "inf", 3) || !strncasecmp(p, "nan", 3) ||
	    !strncasecmp(p, "0x", 2))
		return false;
	*v = strtod(p, &end);
	return *end == '\0' && isfinite(*v);
}

static bool same_series(const struct sample *a, const struct sample *b)
{
	int i, j;

	if (strcmp(a->name, b->name) || a->nl != b->nl)
		return false;
	for (i = 0; i < a->nl; i++) {
		for (j = 0; j < b->nl; j++)
			if (!strcmp(a->l[i].name, b->l[j].name) &&
			    !strcmp(a->l[i].value, b->l[j].value))
				break;
		if (j == b->nl)
			return false;
	}
	return true;
}

static bool parse_sample(struct expo *e, int ln, char *line, struct family *cur)
{
	struct sample s = { 0 };
	char *p = line;
	int i;

	while (name_ok(line, p - line + 1, true) && *p)
		p++;
	if (p == line)
		return bad(e, ln, "bad sample name", line);
	s.name = strndup(line, p - line);
	e->s = realloc(e->s, (e->ns + 1) * sizeof(*e->s));
	e->s[e->ns++] = s;	/* owned by e from here, freed with it */
	if (!cur || strcmp(cur->name, s.name))
		return bad(e, ln, "sample without HELP and TYPE just before", s.name);
	if (!cur->help || !cur->typed)
		return bad(e, ln, "sample before both HELP and TYPE", s.name);
	if (!parse_labels(e, ln, &p, &e->s[e->ns - 1]))
		return false;
	if (*p != ' ' || !parse_number(p + 1, &e->s[e->ns - 1].v))
		return bad(e, ln, "expected one space and a number (no timestamp)", p);
	if (!strcmp(cur->type, "counter") && !(e->s[e->ns - 1].v >= 0))
		return bad(e, ln, "negative counter", line);
	for (i = 0; i < e->ns - 1; i++)
		if (same_series(&e->s[i], &e->s[e->ns - 1]))
			return bad(e, ln, "duplicate series", line);
	cur->nsamples++;
	return true;
}

static void expo_free(struct expo *e)
{
	int i, j;

	for (i = 0; i < e->ns; i++) {
		free(e->s[i].name);
		for (j = 0; j < e->s[i].nl; j++) {
			free(e->s[i].l[j].name);
			free(e->s[i].l[j].value);
		}
	}
	for (i = 0; i < e->nf; i++)
		free(e->f[i].name);
	free(e->s);
	free(e->f);
	memset(e, 0, sizeof(*e));
}

/* Parses text into e; false with e->err set at the first violation. */
static bool expo_parse(struct expo *e, const char *text)
{
	char *copy = strdup(text), *line, *next;
	struct family *cur = NULL;
	bool ok = true;
	int ln = 0, i;

	memset(e, 0, sizeof(*e));
	if (!*text || text[strlen(text) - 1] != '\n')
		ok = bad(e, 0, "empty, or no newline at the end", "");
	for (line = copy; ok && *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		ln++;
		if (!*line)
			ok = bad(e, ln, "empty line", "");
		else if (line[0] == '#')
			ok = parse_meta(e, ln, line, &cur);
		else
			ok = parse_sample(e, ln, line, cur);
		/* family_of pointers move when e->f grows: look cur up again */
		cur = ok && cur ? family_of(e, cur->name) : cur;
	}
	for (i = 0; ok && i < e->nf; i++)
		if (!e->f[i].nsamples)
			ok = bad(e, 0, "family without samples", e->f[i].name);
	free(copy);
	return ok;
}

static const char *label(const struct sample *s, const char *name)
{
	int i;

	for (i = 0; i < s->nl; i++)
		if (!strcmp(s->l[i].name, name))
			return s->l[i].value;
	return NULL;
}

/* The sample name{k=v} (k may be NULL: the first sample of name); NULL if none. */
static const struct sample *find(const struct expo *e, const char *name, const char *k,
				 const char *v)
{
	int i;

	for (i = 0; i < e->ns; i++) {
		const char *lv = k ? label(&e->s[i], k) : NULL;

		if (!strcmp(e->s[i].name, name) && (!k || (lv && !strcmp(lv, v))))
			return &e->s[i];
	}
	return NULL;
}

static int count(const struct expo *e, const char *name)
{
	int i, n = 0;

	for (i = 0; i < e->ns; i++)
		n += !strcmp(e->s[i].name, name);
	return n;
}

static double value(const struct expo *e, const char *name)
{
	const struct sample *s = find(e, name, NULL, NULL);

	return s ? s->v : -1;
}

/* The parser itself must refuse what Prometheus refuses. */
static void test_parser_is_strict(void)
{
	static const char *const bad_texts[] = {
		"a 1\n",
		"# HELP a x\n# TYPE a gauge\na 1",
		"# HELP a x\n# TYPE a gauge\na{b=\"1\"} 1 123\n",
		"# HELP a x\n# TYPE a gauge\na{b=\"\\x\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{b=\"\xff\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{b=\"1\",} 1\n",
		"# HELP a x\n# TYPE a gauge\na{b=\"1\",b=\"2\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{b=\"1\"} 1\na{b=\"1\"} 2\n",
		"# HELP a x\n# TYPE a counter\na 1\n",
		"# HELP a_total x\n# TYPE a_total gauge\na_total 1\n",
		"# HELP a x\n# TYPE a gauge\na 1x\n",
		"# HELP a x\n# TYPE a gauge\n\na 1\n",
		"# HELP a x\n# TYPE a gauge\na{__x=\"1\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na{1b=\"1\"} 1\n",
		"# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
		"# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\nb 1\n",
		"# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n",
	};
	struct expo e;
	size_t i;

	ASSERT_TRUE(expo_parse(&e, "# HELP a_total x\\ny\n# TYPE a_total counter\n"
			       "a_total{b=\"q\\\"\\\\\\n\xc3\xa9\"} 1.5e3\n"), e.err);
	if (ASSERT_EQ(e.ns, 1, "one sample"))
		ASSERT_STREQ(label(&e.s[0], "b"), "q\"\\\n\xc3\xa9", "unescaped");
	expo_free(&e);
	for (i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
		if (!CHECK_(!expo_parse(&e, bad_texts[i]), "refused", "accepted: %s", bad_texts[i]))
			fprintf(stderr, "  (case %zu)\n", i);
		expo_free(&e);
	}
}

/* ---- a summary from a real model and real site names ---- */

static volatile int sink;

void metrics_test_site_a(void);
void metrics_test_site_b(void);
void metrics_test_site_c(void);
__attribute__((noinline)) void metrics_test_site_a(void) { sink += 1; sink += 2; }
__attribute__((noinline)) void metrics_test_site_b(void) { sink += 3; sink += 4; }
__attribute__((noinline)) void metrics_test_site_c(void) { sink += 5; sink += 6; }

static const char FILE_A[] = "ssl/s3_lib.c";
static const char FILE_B[] = "odd \"name\" \\ path.c";	/* read back as is: printable */
static const char FILE_C[] = "crypto/mem.c";

static __u64 clock_ns = 1000000;
static __u32 rec_pid;		/* the records' pid; 0: this process */

static __u64 addr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static struct tlsmem_hdr hdr(__u16 kind, __u32 aux)
{
	clock_ns += 10;
	return (struct tlsmem_hdr){ .ts_ns = clock_ns, .pid = rec_pid ? rec_pid : (__u32)getpid(),
				    .tid = 1,
				    .kind = kind, .aux = aux };
}

static bool alloc(struct model *m, __u64 ptr, __u64 size, __u64 ssl, const char *file,
		  __s32 line, void (*fn)(void))
{
	struct tlsmem_alloc a = { .h = hdr(TLSMEM_EV_ALLOC, TLSMEM_FN_MALLOC), .ptr = ptr,
				  .size = size, .file = addr(file), .line = line,
				  .caller = addr((const void *)fn) + 1, .ssl = ssl };

	return ASSERT_EQ(model__feed(m, &a, sizeof(a)), 0, "feed alloc");
}

static bool shortrec(struct model *m, __u16 kind, __u32 aux, __u64 ptr)
{
	struct tlsmem_short s = { .h = hdr(kind, aux), .ptr = ptr };

	return ASSERT_EQ(model__feed(m, &s, sizeof(s)), 0, "feed");
}

struct fx {
	struct symcache *sc;
	struct sites *sites;
	struct model *m;
	struct target t[2];
	struct pid_stats ps[4];
	struct summary s;
	char exe[PATH_MAX];
};

/*
 * Site A: 4 blocks of 1000 (two inside the SSL object 0x5000); site B: 2 of
 * 300; site C: 1 of 50, freed. One free of a block never seen.
 */
static bool fx_init(struct fx *x, const char *comm)
{
	bool ok = true;
	ssize_t n;
	int i;

	memset(x, 0, sizeof(*x));
	n = readlink("/proc/self/exe", x->exe, sizeof(x->exe) - 1);
	x->sc = symcache__new();
	x->sites = x->sc ? sites__new(x->sc) : NULL;
	x->m = x->sites ? model__new(sites__id, x->sites) : NULL;
	if (!ASSERT_TRUE(x->m != NULL && n > 0, "model"))
		return false;
	ok &= shortrec(x->m, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, 0x5000);
	for (i = 0; i < 4; i++)
		ok &= alloc(x->m, 0x1000 * (i + 1), 1000, i < 2 ? 0x5000 : 0, FILE_A, 101,
			    metrics_test_site_a);
	ok &= alloc(x->m, 0x11000, 300, 0, FILE_B, 202, metrics_test_site_b);
	ok &= alloc(x->m, 0x12000, 300, 0, FILE_B, 202, metrics_test_site_b);
	ok &= alloc(x->m, 0x13000, 50, 0, FILE_C, 7, metrics_test_site_c);
	ok &= shortrec(x->m, TLSMEM_EV_FREE, TLSMEM_FN_FREE, 0x13000);
	ok &= shortrec(x->m, TLSMEM_EV_FREE, TLSMEM_FN_FREE, 0x99999);
	x->t[0].pid = getpid();
	snprintf(x->t[0].comm, sizeof(x->t[0].comm), "%s", comm);
	snprintf(x->t[0].exe, sizeof(x->t[0].exe), "/srv/bin/%s", comm);
	snprintf(x->t[0].container, sizeof(x->t[0].container), "0123abcd");
	snprintf(x->t[0].pod, sizeof(x->t[0].pod), "pod-1");
	x->t[0].mem_bytes = 7654321;
	x->t[1].pid = 4343;
	snprintf(x->t[1].comm, sizeof(x->t[1].comm), "other");
	x->s.targets = x->t;
	x->s.ntargets = 1;
	x->s.duration_s = 12.5;
	x->s.rss_bytes = 7654321;
	x->s.events_received = 10;
	x->s.model = x->m;
	x->s.sites = x->sites;
	model__totals(x->m, &x->s.tot);
	x->s.pids = x->ps;
	x->s.npids = model__pid_stats(x->m, x->ps, 4);
	return ok;
}

static void fx_fini(struct fx *x)
{
	model__free(x->m);
	sites__free(x->sites);
	symcache__free(x->sc);
}

/* metrics_render into a string, parsed; false (and e->err) when it does not parse. */
static bool render(const struct summary *s, size_t top, struct expo *e, char **text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool ok;

	if (!ASSERT_TRUE(f != NULL, "open_memstream"))
		return false;
	ok = ASSERT_EQ(metrics_render(f, s, top), 0, "metrics_render");
	fclose(f);
	if (getenv("METRICS_DUMP"))	/* to look at the text, or feed it to promtool */
		fputs(buf, stderr);
	ok = ok && CHECK_(expo_parse(e, buf), "parses", "%s\n%s", e->err, buf);
	if (text)
		*text = buf;
	else
		free(buf);
	return ok;
}

/* Labels allowed on a family; NULL-terminated. */
static bool labels_only(const struct sample *smp, const char *const *allowed)
{
	int i, j;

	for (i = 0; i < smp->nl; i++) {
		for (j = 0; allowed[j] && strcmp(allowed[j], smp->l[i].name); j++)
			;
		if (!allowed[j])
			return false;
	}
	return true;
}

static const char *const run_wide[] = {
	"tlsmem_ssl_created_total", "tlsmem_ssl_freed_total", "tlsmem_ssl_adopted_total",
	"tlsmem_heap_allocs_total", "tlsmem_heap_frees_total", "tlsmem_heap_unknown_frees_total",
	"tlsmem_events_received_total", "tlsmem_events_lost_total", "tlsmem_complete",
	"tlsmem_observed_seconds", "tlsmem_self_rss_bytes", "tlsmem_self_ringbuf_bytes",
	"tlsmem_self_cpu_seconds_total",
};

static const char *const per_group[] = {
	"tlsmem_processes", "tlsmem_ssl_live", "tlsmem_heap_live_bytes", "tlsmem_heap_live_blocks",
	"tlsmem_heap_per_live_ssl_bytes", "tlsmem_process_memory_bytes",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Prometheus' naming: base units as the suffix, _total on counters (the parser checks that). */
static bool unit_last(const char *name)
{
	static const char *const units[] = { "bytes", "seconds" };
	static const char *const ends[] = { "_bytes", "_seconds", "_seconds_total", "_bytes_total" };
	size_t i, n = strlen(name), k;

	for (i = 0; i < NELEM(units); i++) {
		if (!strstr(name, units[i]))
			continue;
		for (k = 0; k < NELEM(ends); k++)
			if (n > strlen(ends[k]) && !strcmp(name + n - strlen(ends[k]), ends[k]))
				return true;
		return false;
	}
	return strstr(name, "_ms") == NULL && strstr(name, "_ns") == NULL &&
	       strstr(name, "kib") == NULL && strstr(name, "_mb") == NULL;
}

static void test_figures(void)
{
	static const char *const group_labels[] = { "exe", "container", "measure", NULL };
	static const char *const no_labels[] = { NULL };
	const struct sample *smp;
	struct expo e;
	struct fx x = { 0 };
	char pid[24];
	size_t i;

	if (!fx_init(&x, "gt_server"))
		goto out;
	x.s.tlsmem_cpu_s = 1.25;
	x.s.tlsmem_rss = 1 << 20;
	if (!render(&x.s, 0, &e, NULL))
		goto out;
	for (i = 0; i < NELEM(run_wide); i++) {
		smp = find(&e, run_wide[i], NULL, NULL);
		CHECK_(smp != NULL && count(&e, run_wide[i]) == 1 && smp->nl == 0,
		       "run-wide: one series, no label", "%s", run_wide[i]);
	}
	for (i = 0; i < NELEM(per_group); i++) {
		smp = find(&e, per_group[i], NULL, NULL);
		CHECK_(smp != NULL && count(&e, per_group[i]) == 1 &&
		       labels_only(smp, group_labels) &&
		       !strcmp(label(smp, "exe"), "/srv/bin/gt_server") &&
		       !strcmp(label(smp, "container"), "0123abcd"),
		       "per group: exe and container, no pid", "%s", per_group[i]);
	}
	ASSERT_EQ(value(&e, "tlsmem_processes"), 1, "one process");
	ASSERT_EQ(value(&e, "tlsmem_heap_live_bytes"), 4600, "live_bytes");
	ASSERT_EQ(value(&e, "tlsmem_heap_live_blocks"), 6, "live_blocks");
	ASSERT_EQ(value(&e, "tlsmem_heap_allocs_total"), 7, "allocs");
	ASSERT_EQ(value(&e, "tlsmem_heap_frees_total"), 1, "frees");
	ASSERT_EQ(value(&e, "tlsmem_heap_unknown_frees_total"), 1, "unknown frees");
	ASSERT_EQ(value(&e, "tlsmem_ssl_live"), 1, "ssl live");
	ASSERT_EQ(value(&e, "tlsmem_ssl_created_total"), 1, "ssl created");
	ASSERT_EQ(value(&e, "tlsmem_ssl_freed_total"), 0, "ssl freed");
	ASSERT_TRUE(value(&e, "tlsmem_heap_per_live_ssl_bytes") == summary_bytes_per_ssl(&x.s) &&
		    summary_bytes_per_ssl(&x.s) == 2000, "bytes per live SSL, exact");
	ASSERT_EQ(value(&e, "tlsmem_process_memory_bytes"), 7654321, "rss");
	ASSERT_STREQ(label(find(&e, "tlsmem_process_memory_bytes", NULL, NULL), "measure"), "rss",
		     "one process: RSS");
	ASSERT_EQ(value(&e, "tlsmem_events_received_total"), 10, "received");
	ASSERT_EQ(value(&e, "tlsmem_complete"), 1, "complete");
	ASSERT_TRUE(value(&e, "tlsmem_observed_seconds") == 12.5, "observed seconds");
	ASSERT_TRUE(value(&e, "tlsmem_self_cpu_seconds_total") == 1.25, "own CPU seconds");
	ASSERT_EQ(value(&e, "tlsmem_self_rss_bytes"), 1 << 20, "own RSS");
	ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 0, "top 0: no sites");
	ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "sites")->v, 3,
		  "top 0: the 3 sites counted as dropped");
	ASSERT_EQ(count(&e, "tlsmem_flags_active"), 5, "one flag series per kind");
	ASSERT_EQ(find(&e, "tlsmem_flags_active", "kind", "leak-per-connection")->v, 0,
		  "no flag without a detector");
	ASSERT_EQ(count(&e, "tlsmem_target_info"), 1, "one info series per live target");
	snprintf(pid, sizeof(pid), "%d", getpid());
	smp = find(&e, "tlsmem_target_info", "pid", pid);
	if (ASSERT_TRUE(smp != NULL, "target_info, by pid")) {
		ASSERT_EQ(smp->v, 1, "target_info is 1");
		ASSERT_STREQ(label(smp, "comm"), "gt_server", "target_info comm");
		ASSERT_STREQ(label(smp, "exe"), "/srv/bin/gt_server", "target_info exe");
		ASSERT_STREQ(label(smp, "container"), "0123abcd", "target_info container");
		ASSERT_STREQ(label(smp, "pod"), "pod-1", "target_info pod");
	}
	ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "groups")->v, 0, "no group dropped");
	ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "target_info")->v, 0,
		  "no target_info dropped");
	for (i = 0; i < (size_t)e.nf; i++)
		CHECK_(unit_last(e.f[i].name) && !strncmp(e.f[i].name, "tlsmem_", 7),
		       "tlsmem_ prefix, base unit last", "%s", e.f[i].name);
	for (i = 0; i < (size_t)e.ns; i++) {
		CHECK_(!label(&e.s[i], "pid") || !strcmp(e.s[i].name, "tlsmem_target_info"),
		       "no pid label but on tlsmem_target_info", "%s", e.s[i].name);
		if (!strcmp(e.s[i].name, "tlsmem_complete"))
			CHECK_(labels_only(&e.s[i], no_labels), "no label", "%s", e.s[i].name);
	}
	expo_free(&e);
	x.s.events_lost = 3;
	if (render(&x.s, 0, &e, NULL)) {
		ASSERT_EQ(value(&e, "tlsmem_events_lost_total"), 3, "lost");
		ASSERT_EQ(value(&e, "tlsmem_complete"), 0, "incomplete");
	}
	expo_free(&e);
	x.t[0].exited = true;	/* no live process: no group, no target_info series */
	if (render(&x.s, 0, &e, NULL)) {
		ASSERT_EQ(count(&e, "tlsmem_target_info"), 0, "exited: no target_info");
		ASSERT_EQ(count(&e, "tlsmem_heap_live_bytes"), 0, "exited: no group");
		ASSERT_EQ(value(&e, "tlsmem_ssl_created_total"), 1, "run-wide counters stay");
	}
	expo_free(&e);
out:
	fx_fini(&x);
}

/* ---- several processes, grouped by (exe, container) ---- */

static __u32 no_site(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	(void)ctx, (void)pid, (void)file, (void)line, (void)caller;
	return 0;
}

struct mfx {
	struct model *m;
	struct target t[5];
	struct pid_stats ps[8];
	struct summary s;
};

static bool feed_alloc(struct model *m, __u32 pid, __u64 ptr, __u64 size, __u64 ssl)
{
	rec_pid = pid;
	return alloc(m, ptr, size, ssl, FILE_A, 1, metrics_test_site_a);
}

static bool feed_ssl_new(struct model *m, __u32 pid, __u64 ssl)
{
	rec_pid = pid;
	return shortrec(m, TLSMEM_EV_SSL_NEW, TLSMEM_FN_SSL_NEW, ssl);
}

static void mtarget(struct target *t, int pid, const char *comm, const char *exe,
		    const char *container, __u64 mem)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	snprintf(t->container, sizeof(t->container), "%s", container);
	t->mem_bytes = mem;
}

/*
 * 101, 102: /usr/bin/a in c1, an SSL object each (2000 and 500 bytes in
 * it), 101 also 10 bytes outside; 103: /usr/bin/b in c1, 7 bytes; 104:
 * /usr/bin/a in c2, 4000 bytes; 105: /usr/bin/a in c1, exited.
 */
static bool mfx_init(struct mfx *x)
{
	bool ok = true;

	memset(x, 0, sizeof(*x));
	x->m = model__new(no_site, NULL);
	if (!ASSERT_TRUE(x->m != NULL, "model"))
		return false;
	ok &= feed_ssl_new(x->m, 101, 0x5000);
	ok &= feed_alloc(x->m, 101, 0x10000, 1000, 0x5000);
	ok &= feed_alloc(x->m, 101, 0x11000, 1000, 0x5000);
	ok &= feed_alloc(x->m, 101, 0x12000, 10, 0);
	ok &= feed_ssl_new(x->m, 102, 0x6000);
	ok &= feed_alloc(x->m, 102, 0x20000, 500, 0x6000);
	ok &= feed_alloc(x->m, 103, 0x30000, 7, 0);
	ok &= feed_alloc(x->m, 104, 0x40000, 4000, 0);
	ok &= feed_alloc(x->m, 105, 0x50000, 99, 0);
	rec_pid = 0;
	mtarget(&x->t[0], 101, "a", "/usr/bin/a", "c1", 1000);
	mtarget(&x->t[1], 102, "a", "/usr/bin/a", "c1", 2000);
	mtarget(&x->t[2], 103, "b", "/usr/bin/b", "c1", 300);
	mtarget(&x->t[3], 104, "a", "/usr/bin/a", "c2", 5);
	mtarget(&x->t[4], 105, "a", "/usr/bin/a", "c1", 0);
	x->t[4].exited = true;
	x->s.targets = x->t;
	x->s.ntargets = 5;
	x->s.mem_pss = true;
	x->s.model = x->m;
	model__totals(x->m, &x->s.tot);
	x->s.pids = x->ps;
	x->s.npids = model__pid_stats(x->m, x->ps, 8);
	return ok;
}

/* The sample of name for the group (exe, container); NULL if none. */
static const struct sample *group(const struct expo *e, const char *name, const char *exe,
				  const char *container)
{
	int i;

	for (i = 0; i < e->ns; i++)
		if (!strcmp(e->s[i].name, name) && label(&e->s[i], "exe") &&
		    !strcmp(label(&e->s[i], "exe"), exe) && label(&e->s[i], "container") &&
		    !strcmp(label(&e->s[i], "container"), container))
			return &e->s[i];
	return NULL;
}

static double gval(const struct expo *e, const char *name, const char *exe, const char *cont)
{
	const struct sample *smp = group(e, name, exe, cont);

	return smp ? smp->v : -1;
}

static void test_grouped(void)
{
	struct expo e;
	struct mfx x;
	int i;

	if (!mfx_init(&x) || !render(&x.s, 0, &e, NULL))
		goto out;
	for (i = 0; i < (int)NELEM(per_group); i++)
		CHECK_(count(&e, per_group[i]) == 3, "three groups", "%s", per_group[i]);
	ASSERT_EQ(gval(&e, "tlsmem_processes", "/usr/bin/a", "c1"), 2, "a/c1: 2 live processes");
	ASSERT_EQ(gval(&e, "tlsmem_ssl_live", "/usr/bin/a", "c1"), 2, "a/c1 ssl");
	ASSERT_EQ(gval(&e, "tlsmem_heap_live_bytes", "/usr/bin/a", "c1"), 2510, "a/c1 bytes");
	ASSERT_EQ(gval(&e, "tlsmem_heap_live_blocks", "/usr/bin/a", "c1"), 4, "a/c1 blocks");
	ASSERT_TRUE(gval(&e, "tlsmem_heap_per_live_ssl_bytes", "/usr/bin/a", "c1") == 1250,
		    "a/c1 bytes per SSL: (2000 + 500) / 2");
	ASSERT_EQ(gval(&e, "tlsmem_process_memory_bytes", "/usr/bin/a", "c1"), 3000, "a/c1 PSS");
	ASSERT_STREQ(label(group(&e, "tlsmem_process_memory_bytes", "/usr/bin/a", "c1"),
			   "measure"), "pss", "several: PSS");
	ASSERT_EQ(gval(&e, "tlsmem_processes", "/usr/bin/a", "c2"), 1, "a/c2: apart from c1");
	ASSERT_EQ(gval(&e, "tlsmem_heap_live_bytes", "/usr/bin/a", "c2"), 4000, "a/c2 bytes");
	ASSERT_EQ(gval(&e, "tlsmem_ssl_live", "/usr/bin/a", "c2"), 0, "a/c2 ssl");
	ASSERT_TRUE(gval(&e, "tlsmem_heap_per_live_ssl_bytes", "/usr/bin/a", "c2") == 0,
		    "a/c2: no SSL, 0 per SSL");
	ASSERT_EQ(gval(&e, "tlsmem_heap_live_bytes", "/usr/bin/b", "c1"), 7, "b/c1 bytes");
	ASSERT_EQ(gval(&e, "tlsmem_process_memory_bytes", "/usr/bin/b", "c1"), 300, "b/c1 PSS");
	/* the heaviest group first, so that a limit keeps it */
	ASSERT_STREQ(label(find(&e, "tlsmem_heap_live_bytes", NULL, NULL), "container"), "c2",
		     "a/c2 first");
	ASSERT_EQ(count(&e, "tlsmem_target_info"), 4, "target_info: the 4 live processes");
	ASSERT_TRUE(find(&e, "tlsmem_target_info", "pid", "105") == NULL, "not the exited one");
	for (i = 0; i < e.ns; i++)
		CHECK_(!label(&e.s[i], "pid") || !strcmp(e.s[i].name, "tlsmem_target_info"),
		       "no pid label by default", "%s", e.s[i].name);
	expo_free(&e);
out:
	model__free(x.m);
}

static void test_per_pid(void)
{
	const struct sample *smp;
	struct expo e;
	struct mfx x;

	if (!mfx_init(&x))
		goto out;
	x.s.metrics_per_pid = true;
	if (!render(&x.s, 0, &e, NULL))
		goto out;
	ASSERT_EQ(count(&e, "tlsmem_heap_live_bytes"), 4, "one series per live process");
	smp = find(&e, "tlsmem_heap_live_bytes", "pid", "101");
	if (ASSERT_TRUE(smp != NULL, "pid 101")) {
		ASSERT_EQ(smp->v, 2010, "101 bytes");
		ASSERT_STREQ(label(smp, "comm"), "a", "comm label");
		ASSERT_STREQ(label(smp, "exe"), "/usr/bin/a", "exe label");
		ASSERT_STREQ(label(smp, "container"), "c1", "container label");
	}
	smp = find(&e, "tlsmem_heap_per_live_ssl_bytes", "pid", "102");
	ASSERT_TRUE(smp && smp->v == 500, "102 bytes per SSL");
	smp = find(&e, "tlsmem_process_memory_bytes", "pid", "102");
	ASSERT_TRUE(smp && smp->v == 2000, "102 memory");
	ASSERT_EQ(find(&e, "tlsmem_processes", "pid", "104")->v, 1, "a process is one");
	ASSERT_TRUE(find(&e, "tlsmem_heap_live_bytes", "pid", "105") == NULL, "not the exited one");
	ASSERT_STREQ(label(find(&e, "tlsmem_heap_live_bytes", NULL, NULL), "pid"), "104",
		     "the heaviest first");
	ASSERT_TRUE(label(find(&e, "tlsmem_ssl_created_total", NULL, NULL), "pid") == NULL,
		    "run-wide figures: still no pid");
	expo_free(&e);
out:
	model__free(x.m);
}

static void test_series_limit(void)
{
	struct expo e;
	struct fx f = { 0 };
	struct mfx x;
	int i;

	if (!mfx_init(&x))
		goto out;
	x.s.metrics_max_series = 2;
	if (!render(&x.s, 20, &e, NULL))
		goto out;
	ASSERT_EQ(count(&e, "tlsmem_heap_live_bytes"), 2, "2 groups of 3");
	ASSERT_TRUE(group(&e, "tlsmem_heap_live_bytes", "/usr/bin/a", "c2") &&
		    group(&e, "tlsmem_heap_live_bytes", "/usr/bin/a", "c1"), "the two heaviest");
	ASSERT_TRUE(!group(&e, "tlsmem_heap_live_bytes", "/usr/bin/b", "c1"), "b left out");
	ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "groups")->v, 1, "1 group dropped");
	ASSERT_EQ(count(&e, "tlsmem_target_info"), 2, "2 target_info of 4");
	ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "target_info")->v, 2,
		  "2 target_info dropped");
	for (i = 0; i < e.nf; i++)
		CHECK_(e.f[i].nsamples <= 5, "a family stays bounded", "%s: %d", e.f[i].name,
		       e.f[i].nsamples);
	expo_free(&e);
	x.s.metrics_per_pid = true;
	if (render(&x.s, 20, &e, NULL)) {
		ASSERT_EQ(count(&e, "tlsmem_ssl_live"), 2, "per pid: 2 of 4");
		ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "groups")->v, 2,
			  "per pid: 2 processes dropped");
	}
	expo_free(&e);
	if (fx_init(&f, "srv")) {
		f.s.metrics_max_series = 2;
		if (render(&f.s, 20, &e, NULL)) {
			ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 2, "sites: top 20 capped at 2");
			ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "sites")->v, 1,
				  "1 site dropped");
		}
		expo_free(&e);
		f.s.metrics_max_series = 0;
		f.s.metrics_top_sites = 1;
		ASSERT_EQ(metrics_top_sites(&f.s), 1, "--metrics-top-sites 1");
		if (render(&f.s, metrics_top_sites(&f.s), &e, NULL)) {
			ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 1, "top 1");
			ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "sites")->v, 2,
				  "2 sites beyond the top 1");
		}
		expo_free(&e);
		f.s.metrics_top_sites = 0;
		ASSERT_EQ(metrics_top_sites(&f.s), METRICS_TOP_SITES, "default");
		if (render(&f.s, 20, &e, NULL))
			ASSERT_EQ(find(&e, "tlsmem_series_dropped", "series", "sites")->v, 0,
				  "default limit: none dropped");
		expo_free(&e);
	}
	fx_fini(&f);
out:
	model__free(x.m);
}

static void test_sites_top_n(void)
{
	const struct sample *a, *b;
	struct expo e;
	struct fx x = { 0 };

	if (!fx_init(&x, "srv"))
		goto out;
	if (!render(&x.s, 2, &e, NULL))
		goto out;
	ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 2, "top 2 of 3 sites");
	ASSERT_EQ(count(&e, "tlsmem_site_live_blocks"), 2, "blocks too");
	a = find(&e, "tlsmem_site_live_bytes", "file", FILE_A);
	b = find(&e, "tlsmem_site_live_bytes", "file", FILE_B);
	if (ASSERT_TRUE(a && b, "sites A and B, by their file")) {
		ASSERT_EQ(a->v, 4000, "A bytes");
		ASSERT_EQ(b->v, 600, "B bytes");
		ASSERT_STREQ(label(a, "line"), "101", "A line");
		ASSERT_STREQ(label(a, "caller"), "metrics_test_site_a", "A caller, symbolized");
		ASSERT_STREQ(label(b, "caller"), "metrics_test_site_b", "B caller");
		ASSERT_STREQ(label(a, "module"), x.exe, "module: the executable");
	}
	ASSERT_TRUE(!find(&e, "tlsmem_site_live_bytes", "file", FILE_C), "C (0 live) not in top 2");
	b = find(&e, "tlsmem_site_live_blocks", "file", FILE_B);
	ASSERT_TRUE(b && b->v == 2, "B blocks");
	expo_free(&e);
	if (render(&x.s, 100, &e, NULL))
		ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 3, "all 3 when N is larger");
	expo_free(&e);
	x.s.sites = NULL;
	if (render(&x.s, 100, &e, NULL))
		ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 0, "no names: no site series");
	expo_free(&e);
out:
	fx_fini(&x);
}

/* comm is chosen by the process: quotes, backslashes, newlines, bytes not UTF-8. */
static void test_labels_escaped(void)
{
	const char comm[] = "a\"b\\c\nd\xff\xc3\xa9";
	char *text = NULL;
	struct expo e;
	struct fx x = { 0 };

	if (!fx_init(&x, comm))
		goto out;
	if (render(&x.s, 3, &e, &text)) {
		const struct sample *ti = find(&e, "tlsmem_target_info", NULL, NULL);

		if (ASSERT_TRUE(ti != NULL, "target_info")) {
			ASSERT_STREQ(label(ti, "comm"), "a\"b\\c\nd\xef\xbf\xbd\xc3\xa9",
				     "unescaped comm: invalid byte as U+FFFD");
			ASSERT_STREQ(label(ti, "exe"), "/srv/bin/a\"b\\c\nd\xef\xbf\xbd\xc3\xa9",
				     "unescaped exe");
		}
		ASSERT_TRUE(strstr(text, "comm=\"a\\\"b\\\\c\\nd") != NULL, "escaped on the wire");
		ASSERT_TRUE(strstr(text, "exe=\"/srv/bin/a\\\"b\\\\c\\nd") != NULL,
			    "exe escaped on the wire");
	}
	expo_free(&e);
	free(text);
	x.s.metrics_per_pid = true;	/* comm on every per-process series then */
	x.t[0].exe[0] = '\0';		/* not read: the comm stands for the program */
	if (render(&x.s, 3, &e, NULL)) {
		const struct sample *g = find(&e, "tlsmem_heap_live_bytes", NULL, NULL);

		if (ASSERT_TRUE(g != NULL, "per-process series")) {
			ASSERT_STREQ(label(g, "comm"), "a\"b\\c\nd\xef\xbf\xbd\xc3\xa9", "comm");
			ASSERT_STREQ(label(g, "exe"), "a\"b\\c\nd\xef\xbf\xbd\xc3\xa9",
				     "exe unknown: comm");
		}
	}
	expo_free(&e);
out:
	fx_fini(&x);
}

static void test_flags_active(void)
{
	struct growth *g = growth__new(NULL);
	struct expo e;
	struct fx x = { 0 };
	int i;

	if (!ASSERT_TRUE(g != NULL, "growth__new") || !fx_init(&x, "srv"))
		goto out;
	for (i = 0; i < 40; i++) {
		struct growth_sample gs = { .t_s = i, .ssl_live = 500, .ssl_created = 500,
					    .open_sockets = 20 };

		ASSERT_EQ(growth__add(g, &gs), 0, "growth__add");
	}
	x.s.growth = g;
	if (ASSERT_TRUE(growth__any(g), "the detector flagged") && render(&x.s, 0, &e, NULL)) {
		ASSERT_EQ(find(&e, "tlsmem_flags_active", "kind", "ssl-outlives-socket")->v, 1,
			  "ssl-outlives-socket");
		ASSERT_EQ(find(&e, "tlsmem_flags_active", "kind", "leak-per-connection")->v, 0,
			  "no leak");
		ASSERT_EQ(find(&e, "tlsmem_flags_active", "kind", "growth")->v, 0, "no growth");
		ASSERT_EQ(find(&e, "tlsmem_flags_active", "kind", "cache")->v, 0, "no cache");
	}
	expo_free(&e);
out:
	fx_fini(&x);
	growth__free(g);
}

static void test_render_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct fx x = { 0 };

	if (!ASSERT_TRUE(f != NULL, "open /dev/full"))
		return;
	if (fx_init(&x, "srv"))
		ASSERT_EQ(metrics_render(f, &x.s, 5), -EIO, "a full disk is -EIO");
	fclose(f);
	fx_fini(&x);
}

/* ---- the textfile ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void test_write_file(void)
{
	char dir[] = "/tmp/tlsmem-metrics.XXXXXX", path[PATH_MAX], tmp[PATH_MAX + 8];
	char *text;
	struct expo e;
	struct fx x = { 0 };

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp") || !fx_init(&x, "srv"))
		goto out;
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ASSERT_EQ(metrics_file_check(path), 0, "check: writable");
	ASSERT_TRUE(access(path, F_OK) && access(tmp, F_OK), "check leaves no file behind");
	ASSERT_EQ(metrics_write_file(path, &x.s, 5), 0, "write");
	ASSERT_TRUE(access(tmp, F_OK) != 0, "no .tmp left");
	text = slurp(path);
	if (ASSERT_TRUE(text != NULL, "read back") &&
	    CHECK_(expo_parse(&e, text), "file parses", "%s", e.err)) {
		ASSERT_EQ(value(&e, "tlsmem_heap_live_bytes"), 4600, "live bytes in the file");
		ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 3, "sites in the file");
	}
	expo_free(&e);
	free(text);
	x.s.events_received = 77;
	ASSERT_EQ(metrics_write_file(path, &x.s, 5), 0, "rewrite");
	text = slurp(path);
	ASSERT_TRUE(text && strstr(text, "\ntlsmem_events_received_total 77\n"), "replaced");
	free(text);
	ASSERT_EQ(metrics_file_check(path), 0, "check: an existing file is fine");
	ASSERT_TRUE(access(path, F_OK) == 0, "and is left in place");

	ASSERT_EQ(metrics_file_check(dir), -EISDIR, "check: a directory");
	ASSERT_EQ(metrics_write_file(dir, &x.s, 5), -EISDIR, "write: a directory");
	snprintf(tmp, sizeof(tmp), "%s.tmp", dir);
	ASSERT_TRUE(access(tmp, F_OK) != 0, "no .tmp left after a failure");
	ASSERT_EQ(metrics_file_check("/nonexistent/dir/m.prom"), -ENOENT, "check: no such dir");
	ASSERT_EQ(metrics_write_file("/nonexistent/dir/m.prom", &x.s, 5), -ENOENT,
		  "write: no such dir");
	snprintf(tmp, sizeof(tmp), "%s/m.prom", dir);
	unlink(tmp);
out:
	rmdir(dir);
	fx_fini(&x);
}

/* ---- the server ---- */

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((__u16)port) };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the server answered, to EOF; malloc'd, NULL on a read error. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	ssize_t n;

	while (buf && (n = recv(fd, buf + len, cap - len, 0)) > 0) {
		len += (size_t)n;
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void fill_fx(void *ctx, struct summary *out)
{
	*out = *(const struct summary *)ctx;
}

static void serve(struct metrics_srv *m, const struct summary *s)
{
	metrics_srv__serve(m, NULL, 0, fill_fx, (void *)s);
}

/* Serve calls until fd has something to read (its answer, or EOF); false after 5 s. */
static bool serve_until_readable(struct metrics_srv *m, const struct summary *s, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int i;

	for (i = 0; i < 500; i++) {
		serve(m, s);
		if (poll(&p, 1, 10) == 1)
			return true;
	}
	return false;
}

/* Sends req, lets the server serve, returns the raw response. */
static char *exchange(struct metrics_srv *m, const struct summary *s, const char *req, size_t n)
{
	int fd = connect_to(metrics_srv__port(m));
	char *resp = NULL;

	if (fd < 0)
		return NULL;
	if (n && send(fd, req, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		perror("send");
	if (serve_until_readable(m, s, fd))
		resp = read_all(fd);
	close(fd);
	return resp;
}

static void test_server_get(void)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	struct metrics_srv *m = metrics_srv__new("127.0.0.1:0");
	char *r = NULL, *body, *cl;
	struct expo e = { 0 };
	struct fx x = { 0 };

	if (!ASSERT_TRUE(m != NULL, "metrics_srv__new(127.0.0.1:0)") || !fx_init(&x, "srv"))
		goto out;
	ASSERT_TRUE(metrics_srv__port(m) > 0, "an ephemeral port");
	ASSERT_TRUE(metrics_srv__fd(m) >= 0, "fd");
	r = exchange(m, &x.s, get, sizeof(get) - 1);
	if (!ASSERT_TRUE(r != NULL, "a response"))
		goto out;
	ASSERT_TRUE(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17), "200");
	ASSERT_TRUE(strstr(r, "\r\nContent-Type: text/plain; version=0.0.4") != NULL,
		    "content type");
	body = strstr(r, "\r\n\r\n");
	cl = strstr(r, "Content-Length: ");
	if (ASSERT_TRUE(body && cl, "headers")) {
		body += 4;
		ASSERT_EQ(strtoul(cl + 16, NULL, 10), strlen(body), "Content-Length");
		if (CHECK_(expo_parse(&e, body), "body parses", "%s", e.err))
			ASSERT_EQ(value(&e, "tlsmem_heap_live_bytes"), 4600, "live bytes served");
		ASSERT_EQ(count(&e, "tlsmem_site_live_bytes"), 3, "sites served");
		expo_free(&e);
	}
	free(r);
	r = exchange(m, &x.s, "HEAD /metrics?x=1 HTTP/1.0\n\n", 28);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 200 ", 13) && strstr(r, "\r\n\r\n")[4] == '\0',
		    "HEAD: 200, no body");
	free(r);
	r = exchange(m, &x.s, "GET / HTTP/1.1\r\n\r\n", 18);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 404 ", 13), "/ is 404");
	free(r);
	r = exchange(m, &x.s, "POST /metrics HTTP/1.1\r\n\r\n", 26);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 405 ", 13), "POST is 405");
out:
	free(r);
	metrics_srv__free(m);
	fx_fini(&x);
}

/* True when a client waits in the server's accept queue. */
static bool clients_waiting(const struct metrics_srv *m)
{
	struct pollfd p = { .fd = metrics_srv__fd(m), .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* How many of the n clients have something to read (an answer or EOF) now. */
static int readable(const int *fds, int n)
{
	struct pollfd p[32];
	int i, k = 0;

	for (i = 0; i < n && i < 32; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (poll(p, (nfds_t)i, 0) > 0)
		for (i = 0; i < n && i < 32; i++)
			k += (p[i].revents & (POLLIN | POLLHUP)) != 0;
	return k;
}

static void test_server_garbage(void)
{
	static const char nul[] = "GET /metrics HTTP/1.1\r\nHost: \0x\r\n\r\n";
	struct metrics_srv *m = metrics_srv__new("localhost:0");
	char big[20000], *r;
	struct fx x = { 0 };
	int i;

	if (!ASSERT_TRUE(m != NULL, "metrics_srv__new(localhost:0)") || !fx_init(&x, "srv"))
		goto out;
	srand(7);
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)rand();
	free(exchange(m, &x.s, big, sizeof(big)));		/* binary, NULs */
	memset(big, 'A', sizeof(big));
	free(exchange(m, &x.s, big, sizeof(big)));		/* no end of headers */
	r = exchange(m, &x.s, "GET /metrics\r\n\r\n", 16);	/* no version */
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 400 ", 13), "no HTTP version: 400");
	free(r);
	r = exchange(m, &x.s, nul, sizeof(nul) - 1);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 400 ", 13), "NUL in headers: 400");
	free(r);
	r = exchange(m, &x.s, "\r\n\r\n", 4);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 400 ", 13), "empty request: 400");
	free(r);
	/* a client that connected and left */
	i = connect_to(metrics_srv__port(m));
	close(i);
	serve(m, &x.s);
	serve(m, &x.s);		/* nothing pending: returns at once */
	r = exchange(m, &x.s, "GET /metrics HTTP/1.1\r\n\r\n", 25);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 200 ", 13), "still serving");
	free(r);
out:
	metrics_srv__free(m);
	fx_fini(&x);
}

/*
 * A client that is slow to ask is waited for, without a serve call ever
 * waiting: it is answered whenever its request comes, up to its time limit,
 * and dropped after it. Counted by what the clients read, not by the clock.
 */
static void test_server_slow_clients(void)
{
	static const char get[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct metrics_srv *m = metrics_srv__new("127.0.0.1:0");
	struct pollfd pf[METRICS_SRV_POLLFDS];
	struct fx x = { 0 };
	int fds[20], i, n, slow;
	char *r;

	if (!ASSERT_TRUE(m != NULL, "server") || !fx_init(&x, "srv"))
		goto out;
	ASSERT_EQ(metrics_srv__timeout_ms(m), -1, "no client, no time limit");
	ASSERT_EQ(metrics_srv__pollfds(m, pf), 1, "the listening socket alone");
	/* connected, then asks after a serve call: still answered */
	slow = connect_to(metrics_srv__port(m));
	serve(m, &x.s);
	ASSERT_EQ(readable(&slow, 1), 0, "not dropped while it has not asked");
	n = metrics_srv__pollfds(m, pf);
	ASSERT_EQ(n, 2, "the listening socket and the client");
	ASSERT_TRUE(n == 2 && pf[1].fd >= 0 && pf[1].events == POLLIN, "the client is read");
	i = metrics_srv__timeout_ms(m);
	ASSERT_TRUE(i > 0 && i <= METRICS_CLIENT_MS, "its time limit");
	/* a serve call for another socket leaves the client alone */
	pf[0].revents = POLLIN;
	pf[1].revents = 0;
	send(slow, get, sizeof(get) - 1, MSG_NOSIGNAL);
	metrics_srv__serve(m, pf, n, fill_fx, &x.s);
	ASSERT_EQ(readable(&slow, 1), 0, "a socket poll did not report is not read");
	ASSERT_TRUE(serve_until_readable(m, &x.s, slow), "answered");
	r = read_all(slow);
	ASSERT_TRUE(r && !strncmp(r, "HTTP/1.1 200 ", 13), "the late request gets its 200");
	free(r);
	close(slow);
	ASSERT_EQ(metrics_srv__timeout_ms(m), -1, "the client is gone");
	/* 20 clients asking at once: 16 served at once, the rest wait */
	for (i = 0; i < 20; i++) {
		fds[i] = connect_to(metrics_srv__port(m));
		ASSERT_TRUE(fds[i] >= 0, "connect");
		send(fds[i], get, sizeof(get) - 1, MSG_NOSIGNAL);
	}
	serve(m, &x.s);
	ASSERT_TRUE(clients_waiting(m), "one call takes 16 clients at most");
	for (i = 0; i < 100 && readable(fds, 20) < 20; i++)
		serve(m, &x.s);
	for (i = 0; i < 20; i++) {
		r = read_all(fds[i]);
		CHECK_(r && !strncmp(r, "HTTP/1.1 200 ", 13), "served", "client %d", i);
		free(r);
		close(fds[i]);
	}
	/* 20 silent clients: 16 are held, nobody is dropped before its time */
	metrics_srv__set_client_ms(m, 200);
	for (i = 0; i < 20; i++)
		fds[i] = connect_to(metrics_srv__port(m));
	serve(m, &x.s);
	ASSERT_EQ(readable(fds, 20), 0, "no silent client dropped at once");
	n = metrics_srv__pollfds(m, pf);
	ASSERT_EQ(n, METRICS_CLIENTS, "full: the listening socket is not polled");
	ASSERT_TRUE(clients_waiting(m), "the others wait to be accepted");
	/* past their time they are dropped, and the 4 others after theirs */
	for (i = 0; i < 500 && readable(fds, 20) < 20; i++) {
		serve(m, &x.s);
		poll(NULL, 0, 10);
	}
	ASSERT_EQ(readable(fds, 20), 20, "every silent client dropped at its time limit");
	for (i = 0; i < 20; i++) {
		r = read_all(fds[i]);
		CHECK_(r && !*r, "dropped without an answer", "client %d", i);
		free(r);
		close(fds[i]);
	}
	ASSERT_EQ(metrics_srv__timeout_ms(m), -1, "none left");
out:
	metrics_srv__free(m);
	fx_fini(&x);
}

static void test_server_errors(void)
{
	static const char *const bad_addrs[] = {
		"", "9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:9x", "127.0.0.1: 80", "example.com:80", "[::1]",
		"[::1]:", "[::1:80", "::1:80", "1.2.3:80", "256.0.0.1:80", "[127.0.0.1]:80",
	};
	struct metrics_srv *m = metrics_srv__new("127.0.0.1:0"), *m2;
	char hp[64];
	size_t i;

	if (!ASSERT_TRUE(m != NULL, "first server"))
		return;
	snprintf(hp, sizeof(hp), "127.0.0.1:%d", metrics_srv__port(m));
	errno = 0;
	m2 = metrics_srv__new(hp);
	ASSERT_TRUE(m2 == NULL && errno == EADDRINUSE, "port in use: EADDRINUSE");
	metrics_srv__free(m2);
	snprintf(hp, sizeof(hp), "0.0.0.0:%d", metrics_srv__port(m));
	m2 = metrics_srv__new(hp);
	ASSERT_TRUE(m2 == NULL && errno == EADDRINUSE, "the same port on any address: EADDRINUSE");
	metrics_srv__free(m2);
	metrics_srv__free(m);
	for (i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		errno = 0;
		m = metrics_srv__new(bad_addrs[i]);
		CHECK_(!m && errno == EINVAL, "EINVAL", "\"%s\": %s", bad_addrs[i], strerror(errno));
		metrics_srv__free(m);
	}
	m = metrics_srv__new("[::1]:0");
	if (m)
		ASSERT_TRUE(metrics_srv__port(m) > 0, "[::1]:0");
	else
		printf("  [::1]:0: %s (no IPv6 loopback here)\n", strerror(errno));
	metrics_srv__free(m);
	m = metrics_srv__new("192.0.2.1:0");
	ASSERT_TRUE(!m && errno == EADDRNOTAVAIL, "not an address of this host: EADDRNOTAVAIL");
	metrics_srv__free(m);
	metrics_srv__free(NULL);
}

static const struct test_case tests[] = {
	TEST(test_parser_is_strict),
	TEST(test_figures),
	TEST(test_sites_top_n),
	TEST(test_grouped),
	TEST(test_per_pid),
	TEST(test_series_limit),
	TEST(test_labels_escaped),
	TEST(test_flags_active),
	TEST(test_render_error),
	TEST(test_write_file),
	TEST(test_server_get),
	TEST(test_server_garbage),
	TEST(test_server_slow_clients),
	TEST(test_server_errors),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
