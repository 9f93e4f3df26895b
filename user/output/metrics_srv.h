/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_METRICS_SRV_H
#define TLSMEM_METRICS_SRV_H

/*
 * The /metrics HTTP server (--metrics-listen): a non-blocking listening
 * socket that the session polls, and one call that answers the clients
 * waiting with metrics_render's text. Plain libc and sockets; no libbpf, no
 * curses.
 */
struct summary;
struct metrics_srv;

#define METRICS_CLIENT_MS	20	/* the longest a client of the server is waited for */
#define METRICS_SERVE_MS	50	/* no new client accepted after this long in one call */

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

#endif /* TLSMEM_METRICS_SRV_H */
