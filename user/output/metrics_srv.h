/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_METRICS_SRV_H
#define TLSMEM_METRICS_SRV_H

/*
 * The /metrics HTTP server (--metrics-listen): non-blocking sockets that the
 * session polls with its own, and one call that does the I/O they are ready
 * for. A slow client waits without holding up the session, up to its time
 * limit. Plain libc and sockets; no libbpf, no curses.
 */
#include <poll.h>
#include <linux/types.h>

struct summary;
struct metrics_srv;

#define METRICS_CLIENTS		16	/* served at once; the next ones wait to be accepted */
#define METRICS_CLIENT_MS	10000	/* to send the request and take the answer, as
					 * Prometheus' default scrape_timeout */
#define METRICS_SRV_POLLFDS	(1 + METRICS_CLIENTS)

/* Fills *out with the figures to serve (called once per serve call at most). */
typedef void (*metrics_fill_fn)(void *ctx, struct summary *out);

/*
 * Binds and listens on hostport, non-blocking: "127.0.0.1:9464",
 * "0.0.0.0:9464", "localhost:9464", "[::1]:9464", "[::]:9464"; an IPv4 or
 * bracketed IPv6 literal, no name lookup. Port 0 picks a free port (see
 * metrics_srv__port). NULL + errno: EINVAL for a malformed address or port,
 * EADDRINUSE, EADDRNOTAVAIL (not an address of this host), EACCES, ENOMEM.
 */
struct metrics_srv *metrics_srv__new(const char *hostport);
/* The listening socket. */
int metrics_srv__fd(const struct metrics_srv *m);
/* The port bound, in host order. */
int metrics_srv__port(const struct metrics_srv *m);
/* A client's time limit other than METRICS_CLIENT_MS (tests). */
void metrics_srv__set_client_ms(struct metrics_srv *m, unsigned int ms);
/*
 * Fills p (METRICS_SRV_POLLFDS at most) with the sockets to poll: the
 * listening one while fewer than METRICS_CLIENTS are being served, then each
 * client's, for reading its request or writing its answer. Returns how many.
 */
int metrics_srv__pollfds(const struct metrics_srv *m, struct pollfd *p);
/* Milliseconds until the first client's time limit (0: past), or -1 when none is served. */
int metrics_srv__timeout_ms(const struct metrics_srv *m);
/*
 * Does what the sockets allow without waiting: accepts the clients waiting
 * (while there is room), reads their requests, answers GET or HEAD /metrics
 * with 200 (text/plain; version=0.0.4) and the figures fill gives, other
 * paths with 404, other methods with 405, garbage with 400, writes what the
 * sockets take, and closes each connection once answered. A client past its
 * time limit is dropped. p and n are the pollfds of metrics_srv__pollfds as
 * poll returned them, to touch only the sockets ready; p NULL tries them all.
 * Never blocks, never raises SIGPIPE.
 */
void metrics_srv__serve(struct metrics_srv *m, const struct pollfd *p, int n,
			metrics_fill_fn fill, void *ctx);
/* Closes the sockets and frees m. NULL-safe. */
void metrics_srv__free(struct metrics_srv *m);

#endif /* TLSMEM_METRICS_SRV_H */
