// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The /metrics HTTP server; see metrics_srv.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "metrics.h"
#include "metrics_srv.h"
#include "summary.h"

#define SRV_REQ_MAX		8192	/* request line and headers */

/* A client: reading its request (out NULL), then writing its answer. */
struct client {
	int fd;				/* -1: a free slot */
	__u64 deadline_ms;
	size_t len;			/* of the request read so far */
	char *out;			/* the answer, headers and body */
	size_t out_len, out_off;
	char req[SRV_REQ_MAX];
};

struct metrics_srv {
	int fd;
	int port;
	unsigned int client_ms;
	int nclients;
	struct client c[METRICS_CLIENTS];
};

/* "PORT" in [0, 65535]; -1 otherwise. */
static int parse_port(const char *s)
{
	long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= 65535 ? (int)v : -1;
}

/* hostport -> socket address; 0 or -EINVAL. */
static int parse_hostport(const char *hp, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *colon;
	int port;

	memset(ss, 0, sizeof(*ss));
	if (hp[0] == '[') {
		colon = strchr(hp, ']');
		if (!colon || colon[1] != ':' || (size_t)(colon - hp - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, hp + 1, colon - hp - 1);
		host[colon - hp - 1] = '\0';
		port = parse_port(colon + 2);
		if (port < 0 || inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((__u16)port);
		*len = sizeof(*a6);
		return 0;
	}
	colon = strrchr(hp, ':');
	if (!colon || colon == hp || (size_t)(colon - hp) >= sizeof(host))
		return -EINVAL;
	memcpy(host, hp, colon - hp);
	host[colon - hp] = '\0';
	port = parse_port(colon + 1);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (port < 0 || inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return -EINVAL;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((__u16)port);
	*len = sizeof(*a4);
	return 0;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct metrics_srv *metrics_srv__new(const char *hostport)
{
	struct metrics_srv *m = NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = -1, one = 1, err, i;

	err = parse_hostport(hostport, &ss, &len);
	if (err)
		goto fail;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		err = -errno;
		goto fail;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		err = -ENOMEM;
		goto fail;
	}
	m->fd = fd;
	m->port = bound_port(fd);
	m->client_ms = METRICS_CLIENT_MS;
	for (i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;
	return m;
fail:
	if (fd >= 0)
		close(fd);
	errno = -err;
	return NULL;
}

int metrics_srv__fd(const struct metrics_srv *m)
{
	return m->fd;
}

int metrics_srv__port(const struct metrics_srv *m)
{
	return m->port;
}

void metrics_srv__set_client_ms(struct metrics_srv *m, unsigned int ms)
{
	m->client_ms = ms;
}

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

int metrics_srv__pollfds(const struct metrics_srv *m, struct pollfd *p)
{
	int i, n = 0;

	if (m->nclients < METRICS_CLIENTS)
		p[n++] = (struct pollfd){ .fd = m->fd, .events = POLLIN };
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].fd >= 0)
			p[n++] = (struct pollfd){ .fd = m->c[i].fd,
						  .events = m->c[i].out ? POLLOUT : POLLIN };
	return n;
}

int metrics_srv__timeout_ms(const struct metrics_srv *m)
{
	__u64 now = mono_ms(), first = UINT64_MAX;
	int i;

	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].fd >= 0 && m->c[i].deadline_ms < first)
			first = m->c[i].deadline_ms;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/* The response's status for a request; *head when the body is left out. */
static int route(char *req, size_t len, bool *head)
{
	char *sp1, *sp2, *end = memchr(req, '\n', len), *q;

	*head = false;
	if (!end || len >= SRV_REQ_MAX - 1 || memchr(req, '\0', len))
		return 400;
	*end = '\0';
	sp1 = strchr(req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7))
		return 400;
	*sp1 = *sp2 = '\0';
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = '\0';
	*head = !strcmp(req, "HEAD");
	if (strcmp(req, "GET") && !*head)
		return 405;
	return strcmp(sp1 + 1, "/metrics") ? 404 : 200;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 500:
		return "Internal Server Error";
	default:
		return "Bad Request";
	}
}

/* The metrics text, rendered once per serve call, for the first client that asks. */
struct body {
	char *text;
	size_t len;
	bool done;
	metrics_fill_fn fill;
	void *ctx;
};

static void render_body(struct body *b)
{
	struct summary sum;
	FILE *f;
	int err;

	if (b->done)
		return;
	b->done = true;
	b->fill(b->ctx, &sum);
	f = open_memstream(&b->text, &b->len);
	if (!f)
		return;
	err = metrics_render(f, &sum, metrics_top_sites(&sum));
	if (fclose(f) || err) {
		free(b->text);
		b->text = NULL;
	}
}

/* Builds the answer to a whole request in c->out; false without memory. */
static bool compose(struct client *c, struct body *b)
{
	const char *text = "try /metrics\n";
	bool head;
	int status = route(c->req, c->len, &head), n;
	size_t len;
	char hdr[256];

	if (status == 200)
		render_body(b);
	if (status == 200 && !b->text)
		status = 500;
	if (status == 200)
		text = b->text;
	else if (status == 500)
		text = "tlsmem: out of memory\n";
	else if (status != 404)
		text = "tlsmem serves GET /metrics\n";
	len = status == 200 ? b->len : strlen(text);
	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status, reason(status),
		     status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
				     "text/plain; charset=utf-8", len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (head)
		len = 0;
	c->out = malloc((size_t)n + len);
	if (!c->out)
		return false;
	memcpy(c->out, hdr, (size_t)n);
	memcpy(c->out + n, text, len);
	c->out_len = (size_t)n + len;
	c->out_off = 0;
	return true;
}

/* Ends a client; after an answer, what it sent meanwhile is read first, so no RST. */
static void drop(struct metrics_srv *m, struct client *c, bool answered)
{
	char junk[512];

	if (answered) {
		shutdown(c->fd, SHUT_WR);
		while (recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
	}
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->len = 0;
	m->nclients--;
}

/* Reads what has come of the request; true when it is whole (or too long: a 400). */
static bool read_more(struct metrics_srv *m, struct client *c)
{
	ssize_t r;

	while (c->len < sizeof(c->req) - 1) {
		r = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
			drop(m, c, false);	/* left, or reset, before asking */
			return false;
		}
		if (r < 0 && errno == EAGAIN)
			return false;
		if (r < 0)
			continue;
		c->len += (size_t)r;
		c->req[c->len] = '\0';
		if (memmem(c->req, c->len, "\r\n\r\n", 4) || memmem(c->req, c->len, "\n\n", 2))
			return true;
	}
	return true;
}

/* Writes what the socket takes; the client is dropped once all is sent or on an error. */
static void write_more(struct metrics_srv *m, struct client *c)
{
	ssize_t r;

	while (c->out_off < c->out_len) {
		r = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			drop(m, c, false);
			return;
		}
		c->out_off += (size_t)r;
	}
	drop(m, c, true);
}

static void accept_waiting(struct metrics_srv *m, __u64 now)
{
	int i, fd;

	for (i = 0; i < METRICS_CLIENTS && m->nclients < METRICS_CLIENTS; i++) {
		if (m->c[i].fd >= 0)
			continue;
		fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED)) {
			i--;
			continue;
		}
		if (fd < 0)
			return;		/* EAGAIN: nobody waits; EMFILE: later */
		m->c[i] = (struct client){ .fd = fd, .deadline_ms = now + m->client_ms };
		m->nclients++;
	}
}

/* Whether poll said fd is ready (or p is NULL: try it). */
static bool ready(const struct pollfd *p, int n, int fd)
{
	int i;

	if (!p)
		return true;
	for (i = 0; i < n; i++)
		if (p[i].fd == fd)
			return p[i].revents != 0;
	return true;	/* accepted in this call: its request may be there already */
}

void metrics_srv__serve(struct metrics_srv *m, const struct pollfd *p, int n,
			metrics_fill_fn fill, void *ctx)
{
	struct body b = { .fill = fill, .ctx = ctx };
	__u64 now = mono_ms();
	int i;

	if (ready(p, n, m->fd))
		accept_waiting(m, now);
	for (i = 0; i < METRICS_CLIENTS; i++) {
		struct client *c = &m->c[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms) {
			drop(m, c, false);	/* too slow to ask, or to take the answer */
			continue;
		}
		if (!ready(p, n, c->fd))
			continue;
		if (!c->out && read_more(m, c) && !compose(c, &b)) {
			drop(m, c, false);
			continue;
		}
		if (c->fd >= 0 && c->out)
			write_more(m, c);
	}
	free(b.text);
}

void metrics_srv__free(struct metrics_srv *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
	for (i = 0; i < METRICS_CLIENTS; i++)
		free(m->c[i].out);
	close(m->fd);
	free(m);
}
