// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * One observation run; see session.h. Owns every resource of the run (the
 * targets, the BPF object and its links, the reader, the model) and releases
 * them on one path, so no probe outlives tlsmem whatever stops it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "htab.h"
#include "csvcols.h"
#include "log.h"
#include "metrics.h"
#include "metrics_srv.h"
#include "probe.h"
#include "procinfo.h"
#include "reader.h"
#include "debuginfod.h"
#include "sites.h"
#include "symcache.h"
#include "sampler.h"
#include "target.h"
#include "tui.h"
#include "session.h"
#include "session_int.h"

/* records copied out of the ring and not yet fed: 128 MiB, or twice the ring, at most */
#define QUEUE_MAX	(128ULL << 20)
#define DEBUGINFOD_TIMEOUT_MS	10000	/* per lookup; the end of a run waits this long at most */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

__u64 session_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* One network namespace's connected TCP sockets, read once per interval. */
struct netns_tab {
	__u64 ns;
	__u64 *v;
	size_t n;
	int err;
};

#define NETNS_MAX	16

/* The table of pid's network namespace, read on first use; NULL when unknown. */
static struct netns_tab *netns_of(struct netns_tab *tabs, size_t *ntabs, int pid)
{
	struct netns_tab *t;
	__u64 ns;
	size_t i;

	if (procinfo_netns(pid, &ns))
		return NULL;
	for (i = 0; i < *ntabs; i++)
		if (tabs[i].ns == ns)
			return tabs[i].err ? NULL : &tabs[i];
	if (*ntabs == NETNS_MAX)
		return NULL;
	t = &tabs[(*ntabs)++];
	t->ns = ns;
	t->err = procinfo_tcp_table(pid, &t->v, &t->n);
	return t->err ? NULL : t;
}

/*
 * Memory and sockets of the live targets: RSS for one process, summed PSS
 * for several (RSS would count their shared pages once per process); each
 * network namespace's TCP table is read once.
 */
static void measure(struct session *s, struct target **live, size_t n)
{
	struct netns_tab tabs[NETNS_MAX];
	__u64 mem = 0, socks = 0, v;
	size_t i, ntabs = 0;
	bool pss = n > 1;

	for (i = 0; i < n; i++) {
		struct netns_tab *t = socks != UINT64_MAX ? netns_of(tabs, &ntabs, live[i]->pid) : NULL;

		live[i]->mem_bytes = 0;
		if (!(pss ? procinfo_pss(live[i]->pid, &v) : procinfo_rss(live[i]->pid, &v))) {
			mem += v;
			live[i]->mem_bytes = v;
		}
		if (socks == UINT64_MAX)
			continue;
		if (!t || procinfo_count_sockets(live[i]->pid, t->v, t->n, &v))
			socks = UINT64_MAX;
		else
			socks += v;
	}
	for (i = 0; i < ntabs; i++)
		free(tabs[i].v);
	s->rss_bytes = mem;
	s->mem_pss = pss;
	s->sockets = socks;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

/*
 * Connections open before attach: their SSL objects are unknown until they
 * next read or write (then adopted). Their sockets (established TCP at
 * attach) are remembered, to count those still open and not adopted yet.
 */
static void preattach_take(struct session *s)
{
	size_t i, n;
	__u64 *v;

	for (i = 0; i < s->ntargets; i++) {
		__u64 *nv;

		if (s->targets[i].child || procinfo_tcp_established(s->targets[i].pid, &v, &n))
			continue;
		nv = n ? realloc(s->pre_socks, (s->npre_socks + n) * sizeof(*nv)) : NULL;
		s->targets[i].pre_conns = nv != NULL;
		if (nv) {
			memcpy(nv + s->npre_socks, v, n * sizeof(*v));
			s->pre_socks = nv;
			s->npre_socks += n;
		}
		free(v);
	}
	qsort(s->pre_socks, s->npre_socks, sizeof(*s->pre_socks), cmp_u64);
	s->pre_open = s->npre_socks;
}

/*
 * How many of the connections open at attach are open still: looked for in
 * the targets that had them only, and no more once they are all closed.
 */
static void preattach_count(struct session *s)
{
	__u64 open = 0, *v;
	size_t i, j, n;

	if (!s->pre_open)
		return;
	for (i = 0; i < s->ntargets; i++) {
		if (!s->targets[i].pre_conns || s->targets[i].exited ||
		    procinfo_tcp_established(s->targets[i].pid, &v, &n))
			continue;
		for (j = 0; j < n; j++)
			open += bsearch(&v[j], s->pre_socks, s->npre_socks, sizeof(*v),
					cmp_u64) != NULL;
		free(v);
	}
	s->pre_open = open;
}

/* The model's figures per process, once per interval (a walk over every block). */
static void per_process(struct session *s)
{
	size_t cap = s->ntargets + 16;

	if (cap > s->pstats_cap) {
		struct pid_stats *v = realloc(s->pstats, cap * sizeof(*v));

		if (!v)
			return;
		s->pstats = v;
		s->pstats_cap = cap;
	}
	s->npstats = model__pid_stats(s->m, s->pstats, s->pstats_cap);
}

/* Once per interval: who is alive, how much memory they hold. */
static bool tick(struct session *s)
{
	struct target **live = calloc(s->ntargets ? s->ntargets : 1, sizeof(*live));
	size_t i, alive = 0;

	probe__resolve_wraps(s->probe);
	model__advance_clock(s->m, session_now_ns());
	for (i = 0; i < s->ntargets; i++) {
		struct target *t = &s->targets[i];

		if (!session_target_alive(s, t))
			continue;
		if (live)
			live[alive] = t;
		alive++;
	}
	if (alive && live)
		measure(s, live, alive);
	per_process(s);
	if (alive)
		preattach_count(s);
	free(live);
	return alive > 0 || s->o->all;	/* -a waits for processes to come */
}

void session_fill_summary(struct session *s, struct summary *sum)
{
	__u64 live_adopted;

	memset(sum, 0, sizeof(*sum));
	sum->targets = s->targets;
	sum->ntargets = s->ntargets;
	sum->duration_s = (double)(session_now_ns() - s->attach_ns) / 1e9;
	model__totals(s->m, &sum->tot);
	sum->rss_bytes = s->rss_bytes;
	sum->mem_pss = s->mem_pss;
	sum->pids = s->pstats;
	sum->npids = s->npstats;
	sum->events_received = reader__received(s->rd);
	sum->events_lost = probe__lost(s->probe) + reader__failed(s->rd);
	sum->model = s->m;
	sum->sites = s->sites;
	sum->max_sites = 20;
	sum->interval_s = (double)s->o->interval_ms / 1000;
	sum->open_sockets = s->sockets;
	sum->pre_attach_conns = s->npre_socks;
	/* the adopted ones still live came from those connections */
	live_adopted = sum->tot.ssl_live - sum->tot.ssl_new_live;
	sum->pre_attach_waiting = s->pre_open > live_adopted ? s->pre_open - live_adopted : 0;
	sum->probes = (__u64)probe__count(s->probe);
	sum->probe_hits = probe__hits(s->probe);
	sum->probe_hits_other = probe__hits_other(s->probe);
	sum->light = s->o->light;
	sum->tlsmem_bytes = model__bytes(s->m) + sampler__bytes(s->sp);
	if (procinfo_rss(getpid(), &sum->tlsmem_rss))
		sum->tlsmem_rss = 0;
	sum->ringbuf_bytes = probe__ringbuf_bytes(s->probe);
	sum->tlsmem_cpu_s = session_cpu_s();
	sum->metrics_per_pid = s->o->metrics_per_pid;
	sum->metrics_max_series = (size_t)s->o->metrics_max_series;
	sum->metrics_top_sites = (size_t)s->o->metrics_top_sites;
	sum->growth = sampler__growth(s->sp);
	sum->hist = sampler__history(s->sp);
	sum->baseline_s = sampler__baseline_s(s->sp);
}

/* Between intervals: owners that died long enough ago are weighed, and judged. */
static void evidence(struct session *s)
{
	__u64 now = session_now_ns();

	model__advance_clock(s->m, now);
	model__mature(s->m, now);
	sampler__evidence(s->sp, (double)(now - s->attach_ns) / 1e9, s->rss_bytes, s->sockets);
}

static void sample(struct session *s, bool final)
{
	double t_s = (double)(session_now_ns() - s->attach_ns) / 1e9;
	struct summary sum;
	int err;

	if (final) {
		model__mature(s->m, session_now_ns());
		sampler__final(s->sp, t_s, s->rss_bytes, s->sockets);
	} else {
		sampler__tick(s->sp, t_s, s->rss_bytes, s->sockets);
	}
	if (s->o->baseline_after_ms && !s->baseline_done &&
	    t_s * 1000 >= (double)s->o->baseline_after_ms) {
		sampler__baseline(s->sp);
		s->baseline_done = true;
	}
	if (s->tui) {
		session_fill_summary(s, &sum);
		tui__draw(s->tui, &sum);
	}
	if (s->csv_w)
		session_csv_row(s);
	if (s->o->sites_csv)
		session_sites_csv(s);
	if (s->procs_f)
		session_procs_row(s);
	if (s->o->metrics_file && !opts_is_stdout(s->o->metrics_file)) {
		session_fill_summary(s, &sum);
		err = metrics_write_file(s->o->metrics_file, &sum, metrics_top_sites(&sum));
		if (err && !s->metrics_failed) {
			p_err("failed to write --metrics-file %s: %s; the other outputs go on (exit "
			      "status 1)", s->o->metrics_file, strerror(-err));
			s->metrics_failed = true;
			s->out_err = 1;
		}
	}
	if (s->live_text)
		session_print_live(s);
}

/* Keys of the live view; returns true when the user asked to quit. */
static bool keys(struct session *s)
{
	unsigned int a = tui__input(s->tui);
	struct summary sum;

	if (a & TUI_BASELINE)
		sampler__baseline(s->sp);
	if (a & (TUI_BASELINE | TUI_REDRAW)) {
		session_fill_summary(s, &sum);
		tui__draw(s->tui, &sum);
	}
	return a & TUI_QUIT;
}

static void fill_metrics(void *ctx, struct summary *out)
{
	session_fill_summary(ctx, out);
}

/* Waits for records (and keys) until the timeout; false on a fatal error. */
static bool wait_events(struct session *s, int timeout, bool *quit)
{
	struct pollfd pfd[2 + METRICS_SRV_POLLFDS] = {
		{ .fd = reader__fd(s->rd), .events = POLLIN },
		{ .fd = s->tui ? tui__fd(s->tui) : -1, .events = POLLIN },
	};
	int err, i, nm = 0, mt = -1;
	bool metrics_due = false;

	if (s->msrv) {
		nm = metrics_srv__pollfds(s->msrv, pfd + 2);
		mt = metrics_srv__timeout_ms(s->msrv);	/* a client's time limit */
		if (mt >= 0 && (timeout < 0 || mt < timeout))
			timeout = mt;
	}
	if (poll(pfd, 2 + (nfds_t)nm, timeout) < 0) {
		if (errno != EINTR) {
			p_err("failed to wait for events: %s", strerror(errno));
			return false;
		}
		pfd[1].revents = s->tui ? POLLIN : 0;	/* SIGWINCH: redraw at once */
	}
	err = reader__drain(s->rd);
	if (err < 0 && err != -EINTR) {
		p_err("failed to read events: %s", strerror(-err));
		return false;
	}
	if (s->tui && (pfd[1].revents & POLLIN))
		*quit = keys(s);
	for (i = 0; i < nm; i++)
		metrics_due |= pfd[2 + i].revents != 0;
	if (s->msrv && (metrics_due || (mt >= 0 && metrics_srv__timeout_ms(s->msrv) == 0)))
		metrics_srv__serve(s->msrv, pfd + 2, nm, fill_metrics, s);
	return true;
}

/* The targets are gone: the live view keeps the last figures until q. */
static void linger(struct session *s)
{
	bool quit = false;

	if (!s->tui)
		return;
	tui__targets_gone(s->tui);
	while (!exiting && !quit && wait_events(s, 1000, &quit))
		;
}

/* debuginfod on a worker thread, when DEBUGINFOD_URLS names servers. */
static void start_debuginfod(struct session *s)
{
	if (s->o->no_debuginfod || !s->sc)
		return;
	s->dinfod = dinfod__new(DEBUGINFOD_TIMEOUT_MS);
	if (!s->dinfod && errno != ENOENT)
		p_debug("debuginfod not used: %s", strerror(errno));
	symcache__set_debuginfod(s->sc, s->dinfod);
}

/*
 * Before the final outputs: names still on their way from debuginfod, within
 * its limit. Not when the live view ends: it has nothing left to print.
 */
static void finish_debuginfod(struct session *s)
{
	if (s->tui || !dinfod__pending(s->dinfod))
		return;
	dinfod__wait(s->dinfod, DEBUGINFOD_TIMEOUT_MS);
	if (symcache__poll(s->sc))
		sites__refresh(s->sites);
}

/*
 * Before the final verdict: the owners that died last are weighed once the
 * frees that closely follow a death had their time (at most MODEL_MATURE_NS).
 * Twice: on what the reader's thread copied, then once it stopped on the ring
 * read here, which may hold deaths the thread had not copied yet (a thread
 * kept off the CPU); each wait covers the deaths fed by then.
 */
static void settle(struct session *s)
{
	__u64 at, now;
	bool quit = false;
	int pass;

	for (pass = 0; pass < 2 && !quit; pass++) {
		if (pass)
			reader__stop(s->rd);
		reader__drain(s->rd);
		model__advance_clock(s->m, session_now_ns());
		at = model__mature_at(s->m);
		while (at && (now = session_now_ns()) < at && !quit) {
			if (!wait_events(s, (int)((at - now + 999999) / 1000000), &quit))
				break;
		}
	}
	/* the last records: the ring read here, up to now */
	reader__stop(s->rd);
	reader__drain(s->rd);
}

static int loop(struct session *s)
{
	__u64 interval = s->o->interval_ms * 1000000ULL, next = s->attach_ns + interval;
	__u64 end = s->o->duration_ms ? s->attach_ns + s->o->duration_ms * 1000000ULL : 0;
	__u64 ev_step = (__u64)(SAMPLER_EVIDENCE_S * 1e9), next_ev = s->attach_ns + ev_step;
	bool quit = false, gone = false;

	while (!exiting && !quit) {
		__u64 now = session_now_ns();
		__u64 wake = end && end < next ? end : next;
		int timeout;

		if (next_ev < wake)
			wake = next_ev;
		timeout = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;

		/* the reader's thread wakes us when it has copied records */
		if (!wait_events(s, timeout, &quit))
			return 1;
		session_rescan(s);
		if (s->o->all)
			session_all_pass(s);
		now = session_now_ns();
		if (end && now >= end)
			break;
		if (now >= next_ev) {
			next_ev = now + ev_step;
			evidence(s);
		}
		if (now < next)
			continue;
		next += interval;
		if (!tick(s)) {
			gone = true;	/* every target exited */
			break;
		}
		sample(s, false);
	}
	/* the last records first: the sites they name get their debuginfod answer too */
	settle(s);
	finish_debuginfod(s);
	tick(s);
	sample(s, true);
	if (gone)
		linger(s);
	return 0;
}

/* The live view on a terminal; the text report every interval if curses fails. */
static void start_view(struct session *s)
{
	struct tui_opts to = {
		.no_color = s->o->no_color,	/* tui.c honours a non-empty NO_COLOR */
		.interval_s = (double)s->o->interval_ms / 1000,
	};

	if (!s->live_text)
		return;
	s->tui = tui__new(&to);
	if (s->tui)
		s->live_text = false;
}

/*
 * Loading the BPF object (about 90 ms here) does not depend on the target,
 * so with -p it runs while the target's objects are read. Its messages are
 * muted: on failure the load is tried again in turn, and says why then.
 */
struct preload {
	pthread_t thread;
	struct probe_opts po;
	struct probe *probe;
	int err;
	bool started;
};

static void *preload_run(void *arg)
{
	struct preload *pl = arg;

	log_mute_thread(true);
	pl->err = probe__open(&pl->probe, &pl->po);
	return NULL;
}

/* Joins the preload; its probe, or NULL when it failed or never ran. */
static struct probe *preload_take(struct preload *pl)
{
	if (!pl->started)
		return NULL;
	pl->started = false;
	pthread_join(pl->thread, NULL);
	return pl->err ? NULL : pl->probe;
}

static int start(struct session *s)
{
	struct probe_opts po = { .ringbuf_bytes = s->o->ringbuf_bytes, .verbose = s->o->verbose,
				 .entry_only = s->o->entry_probes, .light = s->o->light,
				 .empty = s->o->empty_programs, .stop_all = s->o->hold_loads,
				 .follow = s->o->children || s->o->cmd || s->o->all,
				 .all = s->o->all };
	struct preload pl = { .po = po };
	__u64 t0 = session_now_ns(), queue_max;
	int err;

	if (!s->o->cmd && !s->o->verbose)
		pl.started = !pthread_create(&pl.thread, NULL, preload_run, &pl);
	err = s->o->cmd ? session_setup_cmd(s) : s->o->all ? 0 : session_setup_pids(s);
	if (!err)
		err = session_open_outputs(s);
	if (err) {
		probe__free(preload_take(&pl));
		return err;
	}
	po.stop_pid = (__u32)s->child;
	s->sc = symcache__new();
	start_debuginfod(s);
	s->sites = s->sc ? sites__new(s->sc) : NULL;
	s->m = s->sites ? model__new(sites__id, s->sites) : NULL;
	s->sp = s->m ? sampler__new(s->m, s->sites) : NULL;
	s->probe = preload_take(&pl);
	if (!s->sp) {
		p_err("out of memory");
		return 1;
	}
	if (!s->probe && probe__open(&s->probe, &po))
		return 1;
	queue_max = 2 * probe__ringbuf_bytes(s->probe);
	s->rd = reader__new(probe__events_fd(s->probe), s->m,
			    queue_max > QUEUE_MAX ? queue_max : QUEUE_MAX);
	if (!s->rd) {
		p_err("failed to create the ring buffer reader: %s", strerror(errno));
		return 1;
	}
	s->follow = po.follow;
	preattach_take(s);	/* before the probes: what they cannot have seen open */
	err = session_attach_all(s) ? 1 : session_follow_start(s);
	if (err)
		return err;
	s->attach_ns = session_now_ns();
	s->prev_ns = s->attach_ns;
	session_say_attached(s, t0);
	if (s->o->children)
		p_info("following children: the probes are placed per file, so every process "
		       "that maps the same OpenSSL takes their hits too (filtered out, and "
		       "counted as hits in processes not observed)");
	if (s->npre_socks)
		p_info("%zu connection%s opened before attach: adopted when they next read or "
		       "write", s->npre_socks, s->npre_socks == 1 ? "" : "s");
	start_view(s);
	if (s->child_gate > 0 && write(s->child_gate, "x", 1) != 1) {
		p_err("failed to start %s: %s", s->o->cmd[0], strerror(errno));
		return 1;
	}
	return 0;
}

/* On a terminal with stdout free of outputs: the live view. */
static bool live_view_wanted(const struct opts *o)
{
	char names[128];

	return isatty(STDOUT_FILENO) && !opts_stdout_outputs(o, names, sizeof(names)) &&
	       !(o->report && !o->report_path) && !(o->json && !o->json_path);
}

/*
 * --wait: a target that never loaded OpenSSL is an error at the end (exit 1).
 * A -- COMMAND (and its children) without OpenSSL is said; its status stands.
 */
static int never_loaded(struct session *s)
{
	bool any = false;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->ntargets; i++)
		any |= s->targets[i].nobjs > 0;
	if (s->o->cmd && !any && s->ntargets)
		p_info("OpenSSL never loaded in %s (PID %d)%s: nothing was observed",
		       s->targets[0].comm, s->targets[0].pid,
		       s->ntargets > 1 ? " nor in its children" : "");
	if (!s->o->wait)
		return 0;
	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		if (t->nobjs || t->child || t->ppid)
			continue;
		p_err("OpenSSL never loaded in PID %d (%s): nothing was observed", t->pid,
		      t->comm);
		rc = 1;
	}
	return rc;
}

/*
 * -- COMMAND that ended on its own: its exit status, or 128+N for signal N,
 * as time(1) and strace do. tlsmem's own 1, 2, 3 come first (the JSON says
 * how the command ended); a command that tlsmem stopped itself (-d, q,
 * Ctrl-C) leaves tlsmem's 0.
 */
static int command_status(struct session *s)
{
	const struct target *t = &s->targets[0];

	if (!s->o->cmd || !s->ntargets || !t->child || !t->exited)
		return 0;
	if (WIFEXITED(t->exit_status))
		return WEXITSTATUS(t->exit_status);
	if (WIFSIGNALED(t->exit_status))
		return 128 + WTERMSIG(t->exit_status);
	return 0;
}

int session_run(const struct opts *o)
{
	struct session s = { .o = o, .child_gate = -1 };
	/*
	 * SA_RESTART: a write blocked on a full pipe or a slow terminal goes on
	 * after Ctrl-C rather than failing with EINTR; poll() still returns at
	 * once (it is never restarted), which is what ends the loop.
	 */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	size_t i;
	int rc;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.live_text = live_view_wanted(o);
	rc = session_check_system();
	if (!rc)
		rc = start(&s);
	if (!rc)
		rc = loop(&s);
	if (!rc)
		rc = session_outputs(&s);
	if (!rc)
		rc = never_loaded(&s);
	/* detach first: the command then stops unobserved */
	reader__free(s.rd);
	probe__free(s.probe);
	session_release_held(&s);
	session_stop_child(&s);
	if (csv_writer__free(s.csv_w) && !s.csv_failed && !rc) {
		p_err("failed to write the CSV file %s", o->csv);
		rc = 1;
	}
	if (s.csv && s.csv != stdout && fclose(s.csv) && !s.csv_failed && !rc) {
		p_err("failed to write the CSV file %s: %s", o->csv, strerror(errno));
		rc = 1;
	}
	if (!rc)
		rc = command_status(&s);
	if (session_close_procs(&s) && !rc)
		rc = 1;
	if (s.json_f)
		fclose(s.json_f);
	if (s.report_f)
		fclose(s.report_f);
	tui__free(s.tui);
	metrics_srv__free(s.msrv);
	sampler__free(s.sp);
	model__free(s.m);
	sites__free(s.sites);
	dinfod__free(s.dinfod);
	symcache__free(s.sc);
	for (i = 0; i < s.ntargets; i++)
		target__free(&s.targets[i]);
	free(s.targets);
	free(s.pstats);
	free(s.cands);
	htab__clear(&s.verdicts);
	free(s.pre_socks);
	return rc;
}
