/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_METRICS_H
#define TLSMEM_METRICS_H

/*
 * The figures of a struct summary in the Prometheus text exposition format
 * (version 0.0.4): rendered to a FILE, written atomically for
 * node_exporter's textfile collector (--metrics-file), or served over HTTP
 * at /metrics (--metrics-listen). Plain libc and sockets; no libbpf, no
 * curses.
 *
 * Every series carries pid and comm labels. With several targets the figures
 * are totals over all of them, and the labels are pid="all" and the first
 * target's comm. Per-site series are the top sites by live bytes, with file,
 * line, caller and module labels; label values are escaped, and bytes that
 * are not UTF-8 become U+FFFD. No timestamps: the scraper stamps samples.
 */
#include <stddef.h>
#include <stdio.h>

struct summary;
struct metrics_srv;

#define METRICS_TOP_SITES	20	/* a reasonable default for top_sites */
#define METRICS_CLIENT_MS	20	/* the longest a client of the server is waited for */
#define METRICS_SERVE_MS	50	/* no new client accepted after this long in one call */

/*
 * Writes every metric family (HELP, TYPE, samples) of s to f; per-site
 * series for the top_sites sites with the most live bytes (none when
 * s->sites or s->model is NULL, or top_sites is 0). 0, -ENOMEM, or -EIO when
 * f reports an error.
 */
int metrics_render(FILE *f, const struct summary *s, size_t top_sites);

/*
 * Replaces path atomically with the metrics of s: writes path.tmp (a symbolic
 * link there is not followed) and renames it over path. 0 or -errno; on
 * failure path is unchanged and path.tmp removed.
 */
int metrics_write_file(const char *path, const struct summary *s, size_t top_sites);

/*
 * Before attaching: can metrics_write_file(path) work? Creates and removes
 * path.tmp, leaves path alone. 0, -EISDIR when path is a directory, or the
 * -errno of creating path.tmp (-ENOENT, -EACCES, -EROFS ...).
 */
int metrics_file_check(const char *path);

/*
 * Binds and listens on hostport, non-blocking: "127.0.0.1:9464",
 * "0.0.0.0:9464", "localhost:9464", "[::1]:9464", "[::]:9464"; an IPv4 or
 * bracketed IPv6 literal, no name lookup. Port 0 picks a free port (see
 * metrics_srv__port). NULL + errno: EINVAL for a malformed address or port,
 * EADDRINUSE, EADDRNOTAVAIL (not an address of this host), EACCES, ENOMEM.
 */
struct metrics_srv *metrics_srv__new(const char *hostport);
/* The listening socket, to poll for POLLIN (a client is waiting). */
int metrics_srv__fd(const struct metrics_srv *m);
/* The port bound, in host order. */
int metrics_srv__port(const struct metrics_srv *m);
/*
 * Accepts the clients waiting, reads each request, answers GET or HEAD
 * /metrics with 200 (text/plain; version=0.0.4) and the metrics of s, other
 * paths with 404, other methods with 405, garbage with 400, and closes the
 * connection. Waits at most METRICS_CLIENT_MS for each client (a client too
 * slow is dropped), and accepts no new client after METRICS_SERVE_MS or 16
 * clients: the rest wait for the next call (the fd still polls readable), so
 * one call blocks at most METRICS_SERVE_MS + METRICS_CLIENT_MS. Never raises
 * SIGPIPE.
 */
void metrics_srv__serve(struct metrics_srv *m, const struct summary *s);
/* Closes the socket and frees m. NULL-safe. */
void metrics_srv__free(struct metrics_srv *m);

#endif /* TLSMEM_METRICS_H */
