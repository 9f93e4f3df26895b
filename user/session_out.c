// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The outputs of one run: files opened before attaching, the time series
 * and the site table every interval, the text report, the JSON and the
 * metrics at the end. See session_int.h.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "htab.h"
#include "csvcols.h"
#include "log.h"
#include "metrics.h"
#include "metrics_srv.h"
#include "procs.h"
#include "report.h"
#include "growth.h"
#include "tui.h"
#include "session.h"
#include "session_int.h"

/* An output that cannot be written: says why (a symlink refused says so); exit status 1. */
static int output_error(const char *opt, const char *path, int err)
{
	if (err == ELOOP)
		p_err("cannot write %s %s: it is a symbolic link, and tlsmem never writes through "
		      "one (give the real path)", opt, path);
	else
		p_err("cannot write %s %s: %s", opt, path, strerror(err));
	return 1;
}

/* A file rewritten every interval through PATH.tmp: can it be? Exit status 1 if not. */
static int check_rewritten(const char *opt, const char *path)
{
	struct stat st;
	int err;

	if (opts_is_stdout(path))
		return 0;	/* written once, at the end */
	if (!lstat(path, &st) && S_ISLNK(st.st_mode))
		return output_error(opt, path, ELOOP);
	err = metrics_file_check(path);
	return err ? output_error(opt, path, -err) : 0;
}

/* --json=FILE, --report=FILE: opened (and truncated) before attaching, written at the end. */
static int open_summary_file(const char *opt, const char *path, FILE **f)
{
	if (!path || opts_is_stdout(path))
		return 0;
	*f = csv_open(path);
	return *f ? 0 : output_error(opt, path, errno);
}

static int open_metrics(struct session *s)
{
	int host_len;

	if (s->o->metrics_file && check_rewritten("--metrics-file", s->o->metrics_file))
		return 1;
	if (s->o->sites_csv && check_rewritten("--sites-csv", s->o->sites_csv))
		return 1;
	if (open_summary_file("--json", s->o->json_path, &s->json_f) ||
	    open_summary_file("--report", s->o->report_path, &s->report_f))
		return 1;
	if (!s->o->metrics_listen)
		return 0;
	s->msrv = metrics_srv__new(s->o->metrics_listen);
	if (!s->msrv) {
		p_err("cannot serve --metrics-listen %s: %s", s->o->metrics_listen,
		      errno == EINVAL ? "expected ADDR:PORT with a numeric address, e.g. "
		      "127.0.0.1:9464" : strerror(errno));
		return 2;
	}
	host_len = (int)(strrchr(s->o->metrics_listen, ':') - s->o->metrics_listen);
	p_info("serving http://%.*s:%d/metrics", host_len, s->o->metrics_listen,
	       metrics_srv__port(s->msrv));
	return 0;
}

int session_open_outputs(struct session *s)
{
	int err = open_metrics(s);

	if (err)
		return err;
	if (s->o->procs_csv) {
		s->procs_f = csv_open(s->o->procs_csv);
		if (!s->procs_f)
			return output_error("--procs-csv", s->o->procs_csv, errno);
	}
	if (!s->o->csv)
		return 0;
	s->csv = csv_open(s->o->csv);
	if (!s->csv)
		return output_error("the CSV file", s->o->csv, errno);
	s->csv_w = csv_writer__new(s->csv);
	if (!s->csv_w) {
		p_err("out of memory");
		return 1;
	}
	csvcols_header(s->csv_w);
	return 0;
}

void session_csv_row(struct session *s)
{
	struct summary sum;
	struct csvcols_in in = { .s = &sum };
	double dt;
	__u64 now = session_now_ns();

	session_fill_summary(s, &sum);
	dt = (double)(now - s->prev_ns) / 1e9;
	if (dt <= 0)
		dt = 1;
	in.allocs_per_s = (double)(sum.tot.allocs - s->prev_allocs) / dt;
	in.frees_per_s = (double)(sum.tot.frees - s->prev_frees) / dt;
	if (csvcols_row(s->csv_w, &in) == -EIO && !s->csv_failed) {
		p_err("failed to write the CSV file %s: %s; the other outputs go on (exit "
		      "status 1)", s->o->csv, strerror(errno ? errno : EIO));
		s->csv_failed = true;
		s->out_err = 1;
	}
	s->prev_allocs = sum.tot.allocs;
	s->prev_frees = sum.tot.frees;
	s->prev_ns = now;
}

double session_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void session_procs_row(struct session *s)
{
	struct summary sum;
	int err;

	if (s->procs_failed)
		return;
	session_fill_summary(s, &sum);
	err = procs_csv(s->procs_f, &sum, !s->procs_header);
	s->procs_header = true;
	if (err) {
		p_err("failed to write --procs-csv %s: %s; the other outputs go on (exit status 1)",
		      s->o->procs_csv, strerror(-err));
		s->procs_failed = true;
		s->out_err = 1;
	}
}

int session_close_procs(struct session *s)
{
	FILE *f = s->procs_f;
	int failed = s->procs_failed;

	s->procs_f = NULL;
	if (!f)
		return 0;
	if (!s->procs_header && !failed && procs_csv(f, &(struct summary){ 0 }, true))
		failed = -1;	/* no interval went by: the header alone */
	if ((fflush(f) || ferror(f)) && !failed)
		failed = -1;
	if (f != stdout && fclose(f) && !failed)
		failed = -1;
	if (failed < 0)
		p_err("failed to write --procs-csv %s", s->o->procs_csv);
	return failed ? 1 : 0;
}

void session_sites_csv(struct session *s)
{
	char tmp[PATH_MAX];
	struct summary sum;
	FILE *f;
	int err;

	if (opts_is_stdout(s->o->sites_csv))
		return;		/* once, at the end */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", s->o->sites_csv) >= (int)sizeof(tmp))
		return;
	f = csv_open(tmp);
	err = f ? 0 : -errno;
	if (f) {
		session_fill_summary(s, &sum);
		err = report_sites_csv(f, &sum);
		if (fclose(f) && !err)
			err = -EIO;
		if (!err && rename(tmp, s->o->sites_csv))
			err = -errno;
		if (err)
			unlink(tmp);
	}
	if (err && !s->sites_failed) {
		p_err("failed to write --sites-csv %s: %s; the other outputs go on (exit status 1)",
		      s->o->sites_csv, strerror(-err));
		s->sites_failed = true;
		s->out_err = 1;
	}
}

void session_print_live(struct session *s)
{
	struct summary sum;

	session_fill_summary(s, &sum);
	fputs("\033[H\033[2J", stdout);
	report_text(stdout, &sum);
}

/* Flushes (and closes, unless stdout/stderr) an output written at the end; 0 or 1. */
static int end_output(FILE *f, int err, const char *opt, const char *path)
{
	if (fflush(f) || ferror(f))
		err = err ? err : -EIO;
	if (f != stdout && f != stderr && fclose(f) && !err)
		err = -EIO;
	if (!err)
		return 0;
	p_err("failed to write %s %s: %s", opt, path, strerror(-err));
	return 1;
}

/*
 * Where the text report goes: --report=FILE; stdout when asked for (or by
 * default off a terminal) and no other output has stdout; stderr when asked
 * for and stdout is taken (by an output or by -- COMMAND, whose stdout is
 * its own); nowhere by default then.
 */
static FILE *report_dest(struct session *s)
{
	char names[128];
	bool taken = opts_stdout_outputs(s->o, names, sizeof(names)) > 0 || s->o->cmd;

	if (s->report_f)
		return s->report_f;
	if (opts_is_stdout(s->o->report_path))
		return stdout;
	if (s->o->report)
		return taken ? stderr : stdout;
	if (s->live_text || s->had_tui || s->o->json)
		return NULL;	/* the live view showed it, or JSON was asked for instead */
	if (s->o->cmd)
		return stderr;	/* like time(1): the command has stdout */
	return taken ? NULL : stdout;
}

/* The outputs written once, at the end; 0, or 1 when one of them failed. */
static int outputs_at_end(struct session *s, const struct summary *sum)
{
	FILE *rf = report_dest(s);
	int rc = 0;

	if (opts_is_stdout(s->o->sites_csv))
		rc |= end_output(stdout, report_sites_csv(stdout, sum), "--sites-csv", "-");
	if (opts_is_stdout(s->o->metrics_file))
		rc |= end_output(stdout, metrics_render(stdout, sum, metrics_top_sites(sum)),
				 "--metrics-file", "-");
	if (s->o->json) {
		FILE *jf = s->json_f ? s->json_f : stdout;

		rc |= end_output(jf, report_json(jf, sum), "the JSON summary",
				 s->json_f ? s->o->json_path : "on stdout");
		s->json_f = NULL;
	}
	if (rf) {
		report_text(rf, sum);
		rc |= end_output(rf, 0, "the text report", s->report_f ? s->o->report_path :
				 rf == stdout ? "on stdout" : "on stderr");
		s->report_f = NULL;
	} else if (s->live_text) {
		session_print_live(s);
	}
	return rc;
}

int session_outputs(struct session *s)
{
	struct summary sum;

	s->had_tui = s->tui != NULL;
	tui__free(s->tui);	/* the terminal is the shell's again */
	s->tui = NULL;
	session_fill_summary(s, &sum);
	if (outputs_at_end(s, &sum) || s->out_err)
		return 1;
	if (s->o->fail_on_growth && growth__any(sum.growth)) {
		p_info("growth flagged: exit status 3 (--fail-on-growth)");
		return 3;
	}
	return 0;
}
