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

#define SRV_MAX_PER_CALL	16	/* clients accepted by one serve call */
#define SRV_REQ_MAX		8192	/* request line and headers */

struct metrics_srv {
	int fd;
	int port;
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
	int fd = -1, one = 1, err;

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

void metrics_srv__free(struct metrics_srv *m)
{
	if (!m)
		return;
	close(m->fd);
	free(m);
}

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline_ms; false at the deadline or on error. */
static bool wait_fd(int fd, short events, __u64 deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	__u64 now;
	int r;

	for (;;) {
		now = mono_ms();
		if (now >= deadline_ms)
			return false;
		r = poll(&p, 1, (int)(deadline_ms - now));
		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

/* Reads the request line and headers into buf; their length, or -1 (give up). */
static ssize_t read_request(int fd, char *buf, size_t cap, __u64 deadline_ms)
{
	size_t len = 0;
	ssize_t r;

	while (len < cap - 1) {
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || !wait_fd(fd, POLLIN, deadline_ms))
				return -1;
			continue;
		}
		len += (size_t)r;
		buf[len] = '\0';
		if (memmem(buf, len, "\r\n\r\n", 4) || memmem(buf, len, "\n\n", 2))
			return (ssize_t)len;
	}
	return (ssize_t)len;	/* headers too long: answered 400 */
}

static void send_all(int fd, const char *p, size_t n, __u64 deadline_ms)
{
	ssize_t r;

	while (n) {
		r = send(fd, p, n, MSG_NOSIGNAL);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline_ms)) {
			continue;
		} else {
			return;
		}
	}
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
	default:
		return "Bad Request";
	}
}

/* The metrics text, rendered once per serve call; NULL on failure. */
struct body {
	char *text;
	size_t len;
	bool done;
};

static void render_body(struct body *b, const struct summary *s)
{
	FILE *f;
	int err;

	if (b->done)
		return;
	b->done = true;
	f = open_memstream(&b->text, &b->len);
	if (!f)
		return;
	err = metrics_render(f, s, metrics_top_sites(s));
	if (fclose(f) || err) {
		free(b->text);
		b->text = NULL;
	}
}

static void answer(int fd, int status, bool head, const struct body *b, __u64 deadline_ms)
{
	const char *text = "try /metrics\n";
	size_t len;
	char hdr[256];
	int n;

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
		     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
		     status == 500 ? "Internal Server Error" : reason(status),
		     status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
				     "text/plain; charset=utf-8", len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	send_all(fd, hdr, (size_t)n, deadline_ms);
	if (!head)
		send_all(fd, text, len, deadline_ms);
}

/* Closes after the response: what the client sent meanwhile is read first, so no RST. */
static void hang_up(int fd)
{
	char junk[512];

	shutdown(fd, SHUT_WR);
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void serve_one(int fd, const struct summary *s, struct body *b)
{
	__u64 deadline = mono_ms() + METRICS_CLIENT_MS;
	char req[SRV_REQ_MAX];
	ssize_t len;
	bool head;
	int status, buf = 1 << 20;

	len = read_request(fd, req, sizeof(req), deadline);
	if (len < 0) {
		close(fd);
		return;
	}
	status = route(req, (size_t)len, &head);
	if (status == 200) {
		render_body(b, s);
		if (b->text && b->len > 65536)	/* room for it all: the send never waits for ACKs */
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	answer(fd, status, head, b, deadline);
	hang_up(fd);
}

void metrics_srv__serve(struct metrics_srv *m, const struct summary *s)
{
	__u64 end = mono_ms() + METRICS_SERVE_MS;
	struct body b = { 0 };
	int i, fd;

	for (i = 0; i < SRV_MAX_PER_CALL && mono_ms() < end; i++) {
		fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;		/* EAGAIN: nobody waits; EMFILE: later */
		}
		serve_one(fd, s, &b);
	}
	free(b.text);
}
