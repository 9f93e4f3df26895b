// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus text exposition: rendering, the textfile, the /metrics server; see metrics.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "csv.h"
#include "flags.h"
#include "growth.h"
#include "model.h"
#include "report.h"
#include "sites.h"
#include "target.h"
#include "metrics.h"

#define SRV_MAX_PER_CALL	16	/* clients accepted by one serve call */
#define SRV_REQ_MAX		8192	/* request line and headers */

struct metrics_srv {
	int fd;
	int port;
};

/* The labels every series carries. */
struct who {
	char pid[24];
	const char *comm;
};

struct scalar {
	const char *name;
	const char *type;		/* "gauge" or "counter" (name ends in _total) */
	const char *help;
	__u64 u;
	double d;
	bool is_double;
};


static void who_of(const struct summary *s, struct who *w)
{
	w->comm = s->ntargets ? s->targets[0].comm : "";
	if (s->ntargets == 1)
		snprintf(w->pid, sizeof(w->pid), "%d", s->targets[0].pid);
	else
		snprintf(w->pid, sizeof(w->pid), "%s", s->ntargets ? "all" : "");
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	__u32 c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;		/* overlong, out of range, or a surrogate */
	return len;
}

/* A label value: backslash, quote and newline escaped; invalid UTF-8 as U+FFFD. */
static void put_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	while (n) {
		len = utf8_len(p, n);
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			len = 1;
		} else if (*p == '\\') {
			fputs("\\\\", f);
		} else if (*p == '"') {
			fputs("\\\"", f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
		n -= len;
	}
}

static void put_label(FILE *f, const char *name, const char *value)
{
	fprintf(f, ",%s=\"", name);
	put_value(f, value);
	putc('"', f);
}

/* "name{pid="..",comm=".."" without the closing brace. */
static void open_sample(FILE *f, const char *name, const struct who *w)
{
	fprintf(f, "%s{pid=\"", name);
	put_value(f, w->pid);
	fputs("\",comm=\"", f);
	put_value(f, w->comm);
	putc('"', f);
}

static void put_double(FILE *f, double v)
{
	char buf[64];

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_scalar(FILE *f, const struct scalar *c, const struct who *w)
{
	put_family(f, c->name, c->type, c->help);
	open_sample(f, c->name, w);
	fputs("} ", f);
	if (c->is_double)
		put_double(f, c->d);
	else
		fprintf(f, "%llu", (unsigned long long)c->u);
	putc('\n', f);
}

static struct scalar num(const char *name, const char *type, const char *help, __u64 v)
{
	return (struct scalar){ .name = name, .type = type, .help = help, .u = v };
}

static struct scalar dbl(const char *name, const char *help, double v)
{
	return (struct scalar){ .name = name, .type = "gauge", .help = help, .d = v,
				.is_double = true };
}

static void put_scalars(FILE *f, const struct summary *s, const struct who *w)
{
	const struct model_totals *t = &s->tot;
	const struct scalar v[] = {
		num("tlsmem_ssl_live", "gauge", "SSL objects live now.", t->ssl_live),
		num("tlsmem_ssl_created_total", "counter", "SSL objects created since attach.",
		    t->ssl_created),
		num("tlsmem_ssl_freed_total", "counter", "SSL objects freed since attach.",
		    t->ssl_freed),
		num("tlsmem_ssl_adopted_total", "counter",
		    "SSL objects created before attach, adopted when first seen in a call.",
		    t->ssl_adopted),
		num("tlsmem_heap_live_bytes", "gauge",
		    "Bytes OpenSSL allocated since attach and still holds.", t->live_bytes),
		num("tlsmem_heap_live_blocks", "gauge",
		    "Blocks OpenSSL allocated since attach and still holds.", t->live_blocks),
		num("tlsmem_heap_allocs_total", "counter", "OpenSSL allocations since attach.",
		    t->allocs),
		num("tlsmem_heap_frees_total", "counter", "Frees of blocks allocated since attach.",
		    t->frees),
		num("tlsmem_heap_unknown_frees_total", "counter",
		    "Frees of blocks allocated before attach (in no other figure).",
		    t->unknown_frees),
		dbl("tlsmem_bytes_per_live_ssl",
		    "Live bytes attributed to the SSL objects created since attach, per object.",
		    summary_bytes_per_ssl(s)),
		num("tlsmem_process_rss_bytes", "gauge", "Resident set size of the targets.",
		    s->rss_bytes),
		num("tlsmem_events_received_total", "counter", "Events received from the kernel.",
		    s->events_received),
		num("tlsmem_events_lost_total", "counter",
		    "Events the kernel could not deliver; when > 0 counts are lower bounds and live figures approximate.",
		    s->events_lost),
		num("tlsmem_complete", "gauge",
		    "1 when no event was lost or rejected: the figures are exact.",
		    summary_complete(s)),
		dbl("tlsmem_observed_seconds", "Seconds since the probes were live.",
		    s->duration_s),
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		put_scalar(f, &v[i], w);
}

/* One sample per flag kind, so that an alert on "> 0" has a series to watch. */
static int put_flags(FILE *f, const struct summary *s, const struct who *w)
{
	struct growth_flag *v = NULL;
	size_t n = s->growth ? growth__flags(s->growth, NULL, 0) : 0, i, k;

	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return -ENOMEM;
		n = growth__flags(s->growth, v, n);
	}
	put_family(f, "tlsmem_flags_active", "gauge",
		   "Growth and leak flags active now, by kind (see the JSON report).");
	for (k = 0; k < flags_nkinds; k++) {
		__u64 active = 0;

		for (i = 0; i < n; i++)
			active += v[i].active && v[i].kind == flags_kinds[k].kind;
		open_sample(f, "tlsmem_flags_active", w);
		put_label(f, "kind", flags_kinds[k].name);
		fprintf(f, "} %llu\n", (unsigned long long)active);
	}
	free(v);
	return 0;
}


static void put_site(FILE *f, const char *name, const struct who *w, const struct site_name *nm,
		     __u64 v)
{
	char line[16];

	snprintf(line, sizeof(line), "%d", nm->line);
	open_sample(f, name, w);
	put_label(f, "file", nm->file);
	put_label(f, "line", line);
	put_label(f, "caller", nm->caller);
	put_label(f, "module", nm->module);
	put_label(f, "build_id", nm->build_id);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

static int put_sites(FILE *f, const struct summary *s, const struct who *w, size_t top)
{
	__u32 ns = s->model && s->sites && top ? model__nsites(s->model) : 0;
	struct site_fig *v;
	struct site_name nm;
	size_t n, k;

	if (!ns)
		return 0;
	v = summary_sites_sorted(s, &k);
	if (!v)
		return -ENOMEM;
	ns = (__u32)k;
	n = ns < top ? ns : top;
	put_family(f, "tlsmem_site_live_bytes", "gauge",
		   "Live bytes of an allocation site (the top sites by live bytes).");
	for (k = 0; k < n; k++)
		if (!sites__name(s->sites, v[k].id, &nm))
			put_site(f, "tlsmem_site_live_bytes", w, &nm, v[k].st.live_bytes);
	put_family(f, "tlsmem_site_live_blocks", "gauge",
		   "Live blocks of an allocation site (the top sites by live bytes).");
	for (k = 0; k < n; k++)
		if (!sites__name(s->sites, v[k].id, &nm))
			put_site(f, "tlsmem_site_live_blocks", w, &nm, v[k].st.live_blocks);
	free(v);
	return 0;
}

int metrics_render(FILE *f, const struct summary *s, size_t top_sites)
{
	struct who w;
	int err;

	who_of(s, &w);
	put_scalars(f, s, &w);
	err = put_flags(f, s, &w);
	if (!err)
		err = put_sites(f, s, &w, top_sites);
	if (fflush(f) || ferror(f))
		return -EIO;
	return err;
}

static int tmp_name(const char *path, char *buf, size_t cap)
{
	if (snprintf(buf, cap, "%s.tmp", path) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

int metrics_write_file(const char *path, const struct summary *s, size_t top_sites)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	err = tmp_name(path, tmp, sizeof(tmp));
	if (err)
		return err;
	f = csv_open(tmp);
	if (!f)
		return -errno;
	err = metrics_render(f, s, top_sites);
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int metrics_file_check(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, err;

	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	err = tmp_name(path, tmp, sizeof(tmp));
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(tmp);
	return 0;
}

/* ---- the HTTP server ---- */

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
	err = metrics_render(f, s, METRICS_TOP_SITES);
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
