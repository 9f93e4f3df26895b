// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The command line: outputs on stdout, --json/--report files, durations. */
#define TEST_IMPLEMENTATION
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "log.h"
#include "opts.h"

/* Parses a NULL-terminated argument list (after "tlsmem"); stderr muted. */
static enum opts_status parse(struct opts *o, const char *const *args)
{
	char *argv[32] = { "tlsmem" };
	int argc = 1, saved = dup(STDERR_FILENO);
	enum opts_status st;
	FILE *null = fopen("/dev/null", "w");

	for (; *args && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	fflush(stderr);
	dup2(fileno(null), STDERR_FILENO);
	st = opts_parse(argc, argv, o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(null);
	return st;
}

static void test_one_stdout_output(void)
{
	struct opts o;
	char names[128];

	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "-o", "-", NULL }), OPTS_RUN, "-o -");
	ASSERT_EQ(opts_stdout_outputs(&o, names, sizeof(names)), 1, "one on stdout");
	ASSERT_STREQ(names, "-o -", "named");
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--json=out.json", "-o", "-", NULL }),
		  OPTS_RUN, "--json=FILE and -o -");
	ASSERT_STREQ(o.json_path, "out.json", "json path");
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--report=r.txt", NULL }), OPTS_RUN,
		  "--report=FILE");
	ASSERT_STREQ(o.report_path, "r.txt", "report path");
}

static void test_two_stdout_outputs_refused(void)
{
	struct opts o;

	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "-o", "-", "--json", NULL }),
		  OPTS_EXIT_USAGE, "-o - --json");
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--sites-csv", "-", "--metrics-file",
					      "-", NULL }), OPTS_EXIT_USAGE, "sites and metrics");
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--procs-csv", "-", "-o", "-", NULL }),
		  OPTS_EXIT_USAGE, "--procs-csv - and -o -");
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--procs-csv", "-", "--json", NULL }),
		  OPTS_EXIT_USAGE, "--procs-csv - and --json");
	ASSERT_EQ(parse(&o, (const char *[]){ "--procs-csv", "-", "--", "true", NULL }),
		  OPTS_EXIT_USAGE, "--procs-csv - -- COMMAND");
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--json=-", "--report=-", NULL }),
		  OPTS_EXIT_USAGE, "json=- and report=-");
	/* a report asked for on a taken stdout goes to stderr: not a conflict */
	ASSERT_EQ(parse(&o, (const char *[]){ "-p", "1", "--json", "--report", NULL }), OPTS_RUN,
		  "--json --report");
	ASSERT_TRUE(!opts_report_on_stdout(&o, false), "report off stdout");
}

static void test_metrics_options(void)
{
	struct opts o;
	char names[128];

	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-listen", "127.0.0.1:9464", NULL }),
		  OPTS_RUN, "defaults");
	ASSERT_TRUE(!o.metrics_per_pid && !o.metrics_max_series, "grouped, default limit");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-file", "m.prom", "--metrics-per-pid",
					      "--metrics-max-series", "40", NULL }),
		  OPTS_RUN, "--metrics-per-pid --metrics-max-series 40");
	ASSERT_TRUE(o.metrics_per_pid, "per pid");
	ASSERT_EQ(o.metrics_max_series, 40, "limit");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-per-pid", NULL }), OPTS_EXIT_USAGE,
		  "--metrics-per-pid without metrics");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-max-series", "9", NULL }),
		  OPTS_EXIT_USAGE, "--metrics-max-series without metrics");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-file", "m", "--metrics-max-series",
					      "0", NULL }), OPTS_EXIT_USAGE, "limit 0");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-file", "m", "--metrics-max-series",
					      "100001", NULL }), OPTS_EXIT_USAGE, "limit too big");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-file", "m", "--metrics-max-series",
					      "5x", NULL }), OPTS_EXIT_USAGE, "limit 5x");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-file", "m", "--metrics-top-sites",
					      "50", NULL }), OPTS_RUN, "--metrics-top-sites 50");
	ASSERT_EQ(o.metrics_top_sites, 50, "top sites");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-top-sites", "5", NULL }),
		  OPTS_EXIT_USAGE, "--metrics-top-sites without metrics");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--metrics-file", "m", "--metrics-top-sites",
					      "0", NULL }), OPTS_EXIT_USAGE, "top sites 0");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--procs-csv", "", NULL }), OPTS_EXIT_USAGE,
		  "--procs-csv ''");
	ASSERT_EQ(parse(&o, (const char *[]){ "-a", "--procs-csv", "-", NULL }), OPTS_RUN,
		  "--procs-csv -");
	ASSERT_EQ(opts_stdout_outputs(&o, names, sizeof(names)), 1, "on stdout");
	ASSERT_STREQ(names, "--procs-csv -", "named");
}

static void test_command_owns_stdout(void)
{
	struct opts o;

	ASSERT_EQ(parse(&o, (const char *[]){ "--json", "--", "true", NULL }), OPTS_EXIT_USAGE,
		  "--json -- COMMAND");
	ASSERT_EQ(parse(&o, (const char *[]){ "--json=x.json", "--", "true", NULL }), OPTS_RUN,
		  "--json=FILE -- COMMAND");
	ASSERT_EQ(parse(&o, (const char *[]){ "--hold-loads", "--", "true", NULL }),
		  OPTS_EXIT_USAGE, "--hold-loads goes with -p");
}

static void test_seconds(void)
{
	__u64 ms = 0;

	/* plain decimals only: "1e3" is refused, with the range stated */
	ASSERT_EQ(opts_parse_seconds("1e3", 10, 31536000000ULL, &ms), -EINVAL, "1e3");
	ASSERT_EQ(opts_parse_seconds("0.25", 10, 31536000000ULL, &ms), 0, "0.25");
	ASSERT_EQ(ms, 250, "0.25 s");
	ASSERT_EQ(opts_parse_seconds("31536000", 10, 31536000000ULL, &ms), 0, "a year");
	ASSERT_EQ(opts_parse_seconds("31536001", 10, 31536000000ULL, &ms), -ERANGE, "over a year");
}

static const struct test_case tests[] = {
	TEST(test_one_stdout_output),
	TEST(test_two_stdout_outputs_refused),
	TEST(test_command_owns_stdout),
	TEST(test_metrics_options),
	TEST(test_seconds),
};

int main(void)
{
	log_init(0);
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
