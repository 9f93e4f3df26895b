// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stderr messages and libbpf's print hook; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"

#define LOG_KEEP	64

static int verbosity;
static bool buffered;
static char *kept[LOG_KEEP];
static int nkept;
static char last[1100];
static __thread bool muted;

void log_mute_thread(bool on)
{
	muted = on;
}

static void emit(const char *level, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(last, sizeof(last), "%s%s", level, msg);
	if (!buffered) {
		fprintf(stderr, "tlsmem: %s%s\n", level, msg);
		return;
	}
	if (nkept == LOG_KEEP) {
		free(kept[0]);
		memmove(kept, kept + 1, (LOG_KEEP - 1) * sizeof(kept[0]));
		nkept--;
	}
	kept[nkept] = strdup(last);
	if (kept[nkept])
		nkept++;
}

#define DEFINE_LOG(name, level, min)			\
void name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	if (verbosity < (min) || muted)			\
		return;					\
	va_start(ap, fmt);				\
	emit(level, fmt, ap);				\
	va_end(ap);					\
}

DEFINE_LOG(p_err, "error: ", 0)
DEFINE_LOG(p_warn, "warning: ", 0)
DEFINE_LOG(p_info, "", 0)
DEFINE_LOG(p_debug, "debug: ", 1)

void log_init(int verbose)
{
	verbosity = verbose;
}

void log_set_buffered(bool on)
{
	int i;

	buffered = on;
	if (on)
		return;
	for (i = 0; i < nkept; i++) {
		fprintf(stderr, "tlsmem: %s\n", kept[i]);
		free(kept[i]);
	}
	nkept = 0;
}

const char *log_last(void)
{
	return last;
}
