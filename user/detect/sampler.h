/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_SAMPLER_H
#define TLSMEM_SAMPLER_H

/*
 * Once per interval: a sample of the model goes to the growth detectors and
 * the time line. Owns the detector and the history; borrows the model and
 * the site names. No libbpf, no curses; the figures from /proc come in as
 * arguments.
 */
#include <linux/types.h>
#include <stddef.h>

struct sampler;
struct model;
struct sites;
struct growth;
struct history;

/* NULL + errno. */
struct sampler *sampler__new(const struct model *m, const struct sites *names);
void sampler__free(struct sampler *sp);		/* NULL-safe */
/*
 * Takes the sample at t_s seconds since attach; sockets is UINT64_MAX when
 * unknown. 0 or -errno (a sample the detectors refused is still on the time line).
 */
int sampler__tick(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets);
/*
 * The detectors only, between ticks (every SAMPLER_EVIDENCE_S): a verdict
 * from lifecycles waits for evidence, not for the interval.
 */
int sampler__evidence(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets);
/* The last tick, when observation stops: every detector runs on all the data. */
int sampler__final(struct sampler *sp, double t_s, __u64 rss_bytes, __u64 sockets);

#define SAMPLER_EVIDENCE_S	0.1
/* Sets the growth baseline at the latest sample. */
void sampler__baseline(struct sampler *sp);
/* When the baseline was set, in seconds since attach; < 0 if never. */
double sampler__baseline_s(const struct sampler *sp);
const struct growth *sampler__growth(const struct sampler *sp);
const struct history *sampler__history(const struct sampler *sp);
/* Memory held by the detector and the history. */
size_t sampler__bytes(const struct sampler *sp);
/* True when the site's file is OpenSSL's session cache (ssl/ssl_sess.c). */
int sampler_site_is_session_cache(const char *file);

#endif /* TLSMEM_SAMPLER_H */
