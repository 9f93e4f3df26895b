// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tlsload: the benchmarks' TLS load, measured by the wall clock.
 *
 *   tlsload churn PORT SECONDS THREADS
 *	each thread connects, handshakes, sends close_notify and closes, again
 *	and again; prints "conn_per_s X" (completed handshakes a second).
 *   tlsload echo PORT SECONDS THREADS
 *	one long-lived connection per thread to an echo server (gt_server):
 *	writes 64 KiB, reads the 64 KiB back, again and again; prints
 *	"mb_per_s X" (megabytes a second carried each way).
 *   tlsload get PORT SECONDS THREADS PATH
 *	one request "GET /PATH HTTP/1.0" per connection (openssl s_server
 *	-WWW), read to the end; a new connection when the file is through;
 *	prints "mb_per_s X" (megabytes a second received).
 *
 * The server's certificate is not verified: loopback only. Exits 1 on an
 * error, or when no handshake at all completed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LD_MAX_THREADS	64
#define LD_CHUNK	(64 * 1024)

enum mode { M_CHURN, M_ECHO, M_GET };

static enum mode mode;
static int port;
static double deadline;
static const char *path;
static SSL_CTX *ctx;
static atomic_ullong total_conns, total_bytes, total_errors;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SSL *dial(int *fdp)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd, one = 1;
	SSL *ssl;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	ssl = SSL_new(ctx);
	if (!ssl)
		goto fail;
	if (SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		goto fail;
	}
	*fdp = fd;
	return ssl;
fail:
	close(fd);
	return NULL;
}

static void hang_up(SSL *ssl, int fd)
{
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

/* Reads exactly n bytes; 0 on success. */
static int read_all(SSL *ssl, char *buf, int n)
{
	int got = 0, r;

	while (got < n) {
		r = SSL_read(ssl, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static void run_echo(SSL *ssl, char *buf, char *back)
{
	while (now() < deadline) {
		if (SSL_write(ssl, buf, LD_CHUNK) != LD_CHUNK || read_all(ssl, back, LD_CHUNK) ||
		    memcmp(buf, back, LD_CHUNK)) {
			total_errors++;
			return;
		}
		total_bytes += LD_CHUNK;
	}
}

static void run_get(SSL *ssl, char *buf)
{
	char req[512];
	int n, r;

	n = snprintf(req, sizeof(req), "GET /%s HTTP/1.0\r\n\r\n", path);
	if (SSL_write(ssl, req, n) != n) {
		total_errors++;
		return;
	}
	while (now() < deadline && (r = SSL_read(ssl, buf, LD_CHUNK)) > 0)
		total_bytes += (unsigned long long)r;
}

static void *worker(void *arg)
{
	char *buf = malloc(LD_CHUNK), *back = malloc(LD_CHUNK);
	SSL *ssl;
	int fd;

	(void)arg;
	if (!buf || !back) {
		total_errors++;
		goto out;
	}
	memset(buf, 'x', LD_CHUNK);
	while (now() < deadline) {
		ssl = dial(&fd);
		if (!ssl) {
			total_errors++;
			break;
		}
		total_conns++;
		if (mode == M_ECHO)
			run_echo(ssl, buf, back);
		else if (mode == M_GET)
			run_get(ssl, buf);
		hang_up(ssl, fd);
	}
out:
	free(buf);
	free(back);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: tlsload churn|echo PORT SECONDS THREADS\n"
			"       tlsload get PORT SECONDS THREADS PATH\n");
	return 2;
}

int main(int argc, char **argv)
{
	pthread_t th[LD_MAX_THREADS];
	double secs, t0, took;
	int nthreads, i;

	if (argc < 5)
		return usage();
	if (!strcmp(argv[1], "churn"))
		mode = M_CHURN;
	else if (!strcmp(argv[1], "echo"))
		mode = M_ECHO;
	else if (!strcmp(argv[1], "get") && argc == 6)
		mode = M_GET, path = argv[5];
	else
		return usage();
	port = atoi(argv[2]);
	secs = atof(argv[3]);
	nthreads = atoi(argv[4]);
	if (port <= 0 || port > 65535 || secs <= 0 || nthreads < 1 || nthreads > LD_MAX_THREADS)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	t0 = now();
	deadline = t0 + secs;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, NULL))
			return 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	took = now() - t0;
	if (mode == M_CHURN)
		printf("conn_per_s %.1f\n", (double)total_conns / took);
	else
		printf("mb_per_s %.1f\n", (double)total_bytes / took / 1e6);
	printf("conns %llu errors %llu\n", (unsigned long long)total_conns,
	       (unsigned long long)total_errors);
	SSL_CTX_free(ctx);
	return total_conns ? 0 : 1;
}
