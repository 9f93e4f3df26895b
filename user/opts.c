// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* getopt_long parsing into struct opts; see opts.h. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"
#include "opts.h"

enum {
	OPT_SITES_CSV = 256,
	OPT_REPORT,
	OPT_JSON,
	OPT_FAIL_ON_GROWTH,
	OPT_NO_COLOR,
	OPT_RINGBUF,
	OPT_ENTRY_PROBES,
	OPT_BASELINE_AFTER,
	OPT_METRICS_LISTEN,
	OPT_METRICS_FILE,
	OPT_WAIT,
	OPT_LIGHT,
	OPT_CHILDREN,
	OPT_EMPTY_PROGRAMS,
	OPT_NO_DEBUGINFOD,
	OPT_HOLD_LOADS,
	OPT_EXE,
	OPT_CONTAINER,
	OPT_PROCS_CSV,
	OPT_METRICS_PER_PID,
	OPT_METRICS_MAX_SERIES,
	OPT_METRICS_TOP_SITES,
};

#define MAX_DURATION_S	(365ULL * 86400)	/* a year: longer is a typo */

static const char usage_text[] =
"Usage: tlsmem -p PID[,PID...] [options]\n"
"       tlsmem -a [--exe NAME] [--container ID] [options]\n"
"       tlsmem [options] -- COMMAND [ARG...]\n"
"       tlsmem plot [FILE.csv [FILE2.csv]] [RUN.json...] [-o OUT.png|OUT.svg|-]\n"
"       tlsmem compare [--json[=FILE]] [--fail-above PCT] [--fail-above-site BYTES]\n"
"                      BASE.json RUN.json...\n"
"\n"
"Live view of the memory OpenSSL holds in a running process: outstanding\n"
"allocations, live SSL objects, allocation sites, growth. Attaches with eBPF\n"
"uprobes; the process is not restarted, paused or modified.\n"
"\n"
"  -p, --pid PID[,PID...]  attach to running processes\n"
"  -a, --all               every OpenSSL process on the host, present and to come (not tlsmem)\n"
"      --exe NAME          with -a: only processes whose program (or comm) is NAME\n"
"      --container ID      with -a: only processes of the container whose id starts with ID\n"
"      --children          also follow processes the targets fork, from the kernel\n"
"                          (nginx workers, Apache prefork, PostgreSQL backends)\n"
"      --wait              with -p: a process without OpenSSL yet is watched until it loads it\n"
"      --hold-loads        with -p: stop the target at each dlopen until the new library is\n"
"                          probed (as -- COMMAND does), so nothing it allocates is missed\n"
"  -i, --interval SEC      sample and refresh period, 0.01 to 3600 (default 1)\n"
"  -d, --duration SEC      stop after SEC seconds, 0.01 to 31536000 (a year)\n"
"                          (default: until q, Ctrl-C or target exit)\n"
"  -o, --csv FILE          time series: one row per interval\n"
"      --sites-csv FILE    the site table, rewritten every interval\n"
"      --procs-csv FILE    one row per live process per interval (pid, exe, container,\n"
"                          live SSL, OpenSSL bytes, memory)\n"
"      --metrics-listen ADDR:PORT  serve the figures at /metrics (Prometheus text format)\n"
"      --metrics-file FILE  write the same text atomically every interval\n"
"      --metrics-per-pid   metrics per process (a pid label), not per (exe, container)\n"
"      --metrics-max-series N  series per process group, target_info and site family at\n"
"                          most, 1 to 100000 (default 500); tlsmem_series_dropped counts the rest\n"
"      --metrics-top-sites N  series for the N sites with the most live bytes, 1 to 100000\n"
"                          (default 20; the series limit still applies)\n"
"      --report[=FILE]     text summary at the end (default when stdout is not a terminal)\n"
"      --json[=FILE]       one JSON object at the end, on stdout or in FILE\n"
"  FILE '-' is stdout (-o, --procs-csv, --sites-csv, --metrics-file: written once, at the\n"
"  end, for the latter two); one output at most on stdout. A text report asked for on a\n"
"  stdout that"
" another output has goes to stderr. Output files are never written through a\n"
"  symlink.\n"
"      --fail-on-growth    exit 3 when a growth or leak flag was raised\n"
"      --baseline-after SEC  set the growth baseline SEC seconds after attaching\n"
"      --ringbuf BYTES     ring buffer size (power of two, default 8 MiB)\n"
"      --no-color          monochrome live view (also NO_COLOR)\n"
"      --no-debuginfod     never ask debuginfod servers (DEBUGINFOD_URLS) for names\n"
"      --light             SSL_new/SSL_free only: near-zero cost, memory per connection\n"
"                          estimated from RSS instead of counted\n"
"      --entry-probes      probe every function at its entry (slower; for comparison)\n"
"      --empty-programs    probes that only count hits, nothing recorded (benchmarks)\n"
"  -v, --verbose           debug messages, libbpf's included\n"
"  -h, --help              this text\n"
"  -V, --version           version\n"
"\n"
"Exit status: 0 ok, 1 runtime error (an output that could not be written included),\n"
"2 usage error, 3 growth flagged (--fail-on-growth). With -- COMMAND: the command's own\n"
"status, or 128+N when signal N killed it, unless tlsmem's 1, 2 or 3 applies (the JSON\n"
"says how the command ended: targets[].exit_status, targets[].signal).\n"
"\n"
"Examples:\n"
"  tlsmem -p $(pidof nginx | tr ' ' ,)    watch every nginx process\n"
"  tlsmem -p 1234 -d 60 --json            one minute, then a JSON summary\n"
"  tlsmem -o run.csv -- node server.js    observe a server from its first allocation\n";

static const struct option longopts[] = {
	{ "pid",            required_argument, NULL, 'p' },
	{ "interval",       required_argument, NULL, 'i' },
	{ "duration",       required_argument, NULL, 'd' },
	{ "csv",            required_argument, NULL, 'o' },
	{ "sites-csv",      required_argument, NULL, OPT_SITES_CSV },
	{ "report",         optional_argument, NULL, OPT_REPORT },
	{ "json",           optional_argument, NULL, OPT_JSON },
	{ "hold-loads",     no_argument,       NULL, OPT_HOLD_LOADS },
	{ "fail-on-growth", no_argument,       NULL, OPT_FAIL_ON_GROWTH },
	{ "ringbuf",        required_argument, NULL, OPT_RINGBUF },
	{ "no-color",       no_argument,       NULL, OPT_NO_COLOR },
	{ "entry-probes",   no_argument,       NULL, OPT_ENTRY_PROBES },
	{ "baseline-after", required_argument, NULL, OPT_BASELINE_AFTER },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "metrics-file",   required_argument, NULL, OPT_METRICS_FILE },
	{ "wait",           no_argument,       NULL, OPT_WAIT },
	{ "light",          no_argument,       NULL, OPT_LIGHT },
	{ "children",       no_argument,       NULL, OPT_CHILDREN },
	{ "all",            no_argument,       NULL, 'a' },
	{ "exe",            required_argument, NULL, OPT_EXE },
	{ "container",      required_argument, NULL, OPT_CONTAINER },
	{ "procs-csv",      required_argument, NULL, OPT_PROCS_CSV },
	{ "metrics-per-pid", no_argument,      NULL, OPT_METRICS_PER_PID },
	{ "metrics-max-series", required_argument, NULL, OPT_METRICS_MAX_SERIES },
	{ "metrics-top-sites", required_argument, NULL, OPT_METRICS_TOP_SITES },
	{ "empty-programs", no_argument,       NULL, OPT_EMPTY_PROGRAMS },
	{ "no-debuginfod",  no_argument,       NULL, OPT_NO_DEBUGINFOD },
	{ "verbose",        no_argument,       NULL, 'v' },
	{ "help",           no_argument,       NULL, 'h' },
	{ "version",        no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int opts_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!*s || strchr(s, '-') || strchr(s, '+') || strchr(s, ' '))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opts_parse_seconds(const char *s, __u64 min_ms, __u64 max_ms, __u64 *out_ms)
{
	__u64 whole, frac = 0, scale = 1000;
	const char *dot = strchr(s, '.');
	char buf[32];
	size_t n;
	int err;


	n = dot ? (size_t)(dot - s) : strlen(s);
	if (!n || n >= sizeof(buf))
		return n ? -ERANGE : -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	err = opts_parse_u64(buf, 0, UINT32_MAX, &whole);
	if (err)
		return err;
	if (dot) {
		const char *p = dot + 1;

		if (!*p)
			return -EINVAL;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			scale /= 10;
			frac += (__u64)(*p - '0') * scale;	/* digits past ms are dropped */
		}
	}
	whole = whole * 1000 + frac;
	if (whole < min_ms || whole > max_ms)
		return -ERANGE;
	*out_ms = whole;
	return 0;
}

int opts_parse_pids(const char *s, struct opts *o)
{
	char buf[1024], *tok, *save = NULL;
	size_t i;

	if (!*s || strlen(s) >= sizeof(buf) || s[0] == ',' || s[strlen(s) - 1] == ',' ||
	    strstr(s, ",,"))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		__u64 pid;
		int err = opts_parse_u64(tok, 1, INT_MAX, &pid);

		if (err)
			return err;
		for (i = 0; i < o->npids; i++)
			if (o->pids[i] == (int)pid)
				return -EEXIST;
		if (o->npids == OPTS_MAX_PIDS)
			return -E2BIG;
		o->pids[o->npids++] = (int)pid;
	}
	return 0;
}

static enum opts_status bad(const char *opt, const char *arg, const char *why)
{
	p_err("invalid value '%s' for %s: %s", arg, opt, why);
	fprintf(stderr, "Try 'tlsmem --help' for more information.\n");
	return OPTS_EXIT_USAGE;
}

static enum opts_status pid_error(const char *arg, int err)
{
	switch (err) {
	case -EEXIST:
		return bad("-p", arg, "a PID is listed twice");
	case -E2BIG:
		return bad("-p", arg, "too many PIDs (at most 64)");
	case -ERANGE:
		return bad("-p", arg, "PIDs are between 1 and 2147483647");
	default:
		return bad("-p", arg, "expected PID[,PID...]");
	}
}

static enum opts_status apply(int c, const char *arg, struct opts *o)
{
	int err;

	switch (c) {
	case 'p':
		err = opts_parse_pids(arg, o);
		return err ? pid_error(arg, err) : OPTS_RUN;
	case 'i':
		if (opts_parse_seconds(arg, 10, 3600 * 1000, &o->interval_ms))
			return bad("-i", arg, "expected seconds from 0.01 to 3600");
		return OPTS_RUN;
	case 'd':
		if (opts_parse_seconds(arg, 10, MAX_DURATION_S * 1000, &o->duration_ms))
			return bad("-d", arg, "expected seconds from 0.01 to 31536000 (a year), "
				   "e.g. 60 or 0.5");
		return OPTS_RUN;
	case 'o':
		if (!*arg)
			return bad("-o", arg, "expected a file name");
		o->csv = arg;
		return OPTS_RUN;
	case OPT_SITES_CSV:
		if (!*arg)
			return bad("--sites-csv", arg, "expected a file name");
		o->sites_csv = arg;
		return OPTS_RUN;
	case OPT_RINGBUF:
		if (opts_parse_u64(arg, 4096, 1ULL << 30, &o->ringbuf_bytes) ||
		    (o->ringbuf_bytes & (o->ringbuf_bytes - 1)))
			return bad("--ringbuf", arg, "expected a power of two from 4096 to 1073741824");
		return OPTS_RUN;
	case OPT_REPORT:
		if (arg && !*arg)
			return bad("--report", arg, "expected --report=FILE");
		o->report = true;
		o->report_path = arg;
		return OPTS_RUN;
	case OPT_JSON:
		if (arg && !*arg)
			return bad("--json", arg, "expected --json=FILE");
		o->json = true;
		o->json_path = arg;
		return OPTS_RUN;
	case OPT_HOLD_LOADS:
		o->hold_loads = true;
		return OPTS_RUN;
	case OPT_FAIL_ON_GROWTH:
		o->fail_on_growth = true;
		return OPTS_RUN;
	case OPT_NO_COLOR:
		o->no_color = true;
		return OPTS_RUN;
	case OPT_METRICS_LISTEN:
		if (!*arg)
			return bad("--metrics-listen", arg, "expected ADDR:PORT, e.g. 127.0.0.1:9464");
		o->metrics_listen = arg;
		return OPTS_RUN;
	case OPT_PROCS_CSV:
		if (!*arg)
			return bad("--procs-csv", arg, "expected a file name");
		o->procs_csv = arg;
		return OPTS_RUN;
	case OPT_METRICS_PER_PID:
		o->metrics_per_pid = true;
		return OPTS_RUN;
	case OPT_METRICS_MAX_SERIES:
		if (opts_parse_u64(arg, 1, 100000, &o->metrics_max_series))
			return bad("--metrics-max-series", arg, "expected a number from 1 to 100000");
		return OPTS_RUN;
	case OPT_METRICS_TOP_SITES:
		if (opts_parse_u64(arg, 1, 100000, &o->metrics_top_sites))
			return bad("--metrics-top-sites", arg, "expected a number from 1 to 100000");
		return OPTS_RUN;
	case OPT_METRICS_FILE:
		if (!*arg)
			return bad("--metrics-file", arg, "expected a file name");
		o->metrics_file = arg;
		return OPTS_RUN;
	case OPT_BASELINE_AFTER:
		if (opts_parse_seconds(arg, 10, MAX_DURATION_S * 1000, &o->baseline_after_ms))
			return bad("--baseline-after", arg,
				   "expected seconds from 0.01 to 31536000 (a year)");
		return OPTS_RUN;
	case OPT_EMPTY_PROGRAMS:
		o->empty_programs = true;
		return OPTS_RUN;
	case OPT_NO_DEBUGINFOD:
		o->no_debuginfod = true;
		return OPTS_RUN;
	case OPT_CHILDREN:
		o->children = true;
		return OPTS_RUN;
	case 'a':
		o->all = true;
		return OPTS_RUN;
	case OPT_EXE:
		if (!*arg || strchr(arg, '/'))
			return bad("--exe", arg, "expected a program name, e.g. nginx");
		o->exe = arg;
		return OPTS_RUN;
	case OPT_CONTAINER:
		if (!cgroup_id_valid(arg))
			return bad("--container", arg, "expected a container id or a prefix of one "
				   "(4 to 64 hex digits, as docker ps or crictl ps show)");
		o->container = arg;
		return OPTS_RUN;
	case OPT_LIGHT:
		o->light = true;
		return OPTS_RUN;
	case OPT_WAIT:
		o->wait = true;
		return OPTS_RUN;
	case OPT_ENTRY_PROBES:
		o->entry_probes = true;
		return OPTS_RUN;
	case 'v':
		o->verbose++;
		return OPTS_RUN;
	case 'h':
		fputs(usage_text, stdout);
		return OPTS_EXIT_OK;
	case 'V':
		printf("tlsmem %s\n", TLSMEM_VERSION);
		return OPTS_EXIT_OK;
	default:
		fprintf(stderr, "Try 'tlsmem --help' for more information.\n");
		return OPTS_EXIT_USAGE;
	}
}

bool opts_is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

static void add_name(char *buf, size_t cap, size_t *len, const char *name)
{
	int n;

	if (*len >= cap)
		return;
	n = snprintf(buf + *len, cap - *len, "%s%s", *len ? ", " : "", name);
	*len += n > 0 ? (size_t)n : 0;
}

int opts_stdout_outputs(const struct opts *o, char *buf, size_t cap)
{
	size_t len = 0;
	int n = 0;

	if (cap)
		buf[0] = '\0';
	if (opts_is_stdout(o->csv) && ++n)
		add_name(buf, cap, &len, "-o -");
	if (opts_is_stdout(o->procs_csv) && ++n)
		add_name(buf, cap, &len, "--procs-csv -");
	if (opts_is_stdout(o->sites_csv) && ++n)
		add_name(buf, cap, &len, "--sites-csv -");
	if (opts_is_stdout(o->metrics_file) && ++n)
		add_name(buf, cap, &len, "--metrics-file -");
	if (o->json && (!o->json_path || opts_is_stdout(o->json_path)) && ++n)
		add_name(buf, cap, &len, "--json");
	if (opts_is_stdout(o->report_path) && ++n)
		add_name(buf, cap, &len, "--report=-");
	return n;
}

bool opts_report_on_stdout(const struct opts *o, bool stdout_tty)
{
	char names[128];

	if (o->report_path)
		return opts_is_stdout(o->report_path);
	if (opts_stdout_outputs(o, names, sizeof(names)))
		return false;		/* on stderr, or not at all by default */
	return o->report || !stdout_tty;
}

/* One output at most on stdout: two would interleave into something no reader can parse. */
static enum opts_status check_outputs(const struct opts *o)
{
	char names[128];

	if (opts_stdout_outputs(o, names, sizeof(names)) > 1) {
		p_err("two outputs on stdout (%s): they would be mixed; send all but one to a "
		      "file (e.g. --json=FILE)", names);
		fprintf(stderr, "Try 'tlsmem --help' for more information.\n");
		return OPTS_EXIT_USAGE;
	}
	if (o->cmd && opts_stdout_outputs(o, names, sizeof(names))) {
		p_err("with -- COMMAND, stdout is the command's own: write %s to a file instead "
		      "(e.g. --json=FILE, -o FILE); the text report goes to stderr", names);
		fprintf(stderr, "Try 'tlsmem --help' for more information.\n");
		return OPTS_EXIT_USAGE;
	}
	if ((o->metrics_per_pid || o->metrics_max_series || o->metrics_top_sites) &&
	    !o->metrics_listen && !o->metrics_file) {
		p_err("%s shapes the metrics: give --metrics-listen or --metrics-file with it",
		      o->metrics_per_pid ? "--metrics-per-pid" : o->metrics_max_series ?
		      "--metrics-max-series" : "--metrics-top-sites");
		return OPTS_EXIT_USAGE;
	}
	if (o->hold_loads && !o->npids) {
		p_err("--hold-loads goes with -p (a -- COMMAND is always held at its loads)");
		return OPTS_EXIT_USAGE;
	}
	return OPTS_RUN;
}

enum opts_status opts_parse(int argc, char **argv, struct opts *o)
{
	enum opts_status st;
	int c;

	memset(o, 0, sizeof(*o));
	o->interval_ms = 1000;
	opterr = 1;
	optind = 1;
	/* "+": stop at the first non-option, so COMMAND's own options stay its own */
	while ((c = getopt_long(argc, argv, "+ap:i:d:o:vhV", longopts, NULL)) != -1) {
		st = apply(c, optarg, o);
		if (st != OPTS_RUN)
			return st;
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (o->cmd && optind > 0 && strcmp(argv[optind - 1], "--")) {
		p_err("unexpected argument '%s' (a command to run goes after --)", argv[optind]);
		return OPTS_EXIT_USAGE;
	}
	if (o->all && (o->npids || o->cmd)) {
		p_err("-a observes every OpenSSL process: give either -a, -p PID or -- COMMAND");
		return OPTS_EXIT_USAGE;
	}
	if ((o->exe || o->container) && !o->all) {
		p_err("%s filters what -a finds: give -a with it", o->exe ? "--exe" : "--container");
		return OPTS_EXIT_USAGE;
	}
	if (!o->npids && !o->cmd && !o->all) {
		p_err("nothing to observe: give -p PID, -a or -- COMMAND");
		fprintf(stderr, "Try 'tlsmem --help' for more information.\n");
		return OPTS_EXIT_USAGE;
	}
	if (o->npids && o->cmd) {
		p_err("give either -p PID or -- COMMAND, not both");
		return OPTS_EXIT_USAGE;
	}
	return check_outputs(o);
}
