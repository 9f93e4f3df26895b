/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_LOG_H
#define TLSMEM_LOG_H

/*
 * Messages for the user, always on stderr, prefixed "tlsmem: ". p_err for
 * what stops the run, p_warn for what makes a figure doubtful, p_info for
 * progress, p_debug only with -v. libbpf's own messages are routed here.
 */
#include <stdbool.h>

void log_init(int verbose);
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While buffered (the live view owns the terminal) messages are kept and replayed later. */
void log_set_buffered(bool on);
/* Drops every message of the calling thread while on (work tried ahead of its turn). */
void log_mute_thread(bool on);
/* The newest message, for a status line; "" if none. */
const char *log_last(void);

#endif /* TLSMEM_LOG_H */
