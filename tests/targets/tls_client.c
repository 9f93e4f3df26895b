// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tls_client: load generator for the end-to-end tests and the demo.
 *
 * Batch mode makes --conns connections to 127.0.0.1:--port over --threads
 * threads. Each one handshakes (no certificate verification), writes
 * --bytes bytes, reads them back and checks the echo, then closes cleanly,
 * except --hold of them which stay open. Then it prints "done OK ok FAILED
 * failed" and "holding H", and waits for SIGTERM/SIGINT, or for EOF on stdin
 * when stdin is a pipe, socket or terminal (/dev/null, which a shell gives
 * background jobs, is not watched), before closing the held connections.
 * SIGUSR1 meanwhile makes one more exchange on every held connection and
 * prints "exchanged N".
 *
 * --demo runs until SIGTERM/SIGINT: about --rate short connections a second,
 * and one more held-open connection every --grow-every seconds up to --hold.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define CL_IO_TIMEOUT_S		10
#define CL_MAX_THREADS		256
#define CL_MAX_ERR_LOGS		10

struct cl_opts {
	int port;
	int conns;
	int threads;
	int hold;
	int bytes;
	int rate;
	int grow_every_s;
	int demo;
};

struct held {
	SSL *ssl;
	int fd;
};

static struct cl_opts opts = {
	.port = -1, .conns = 1, .threads = 1, .hold = -1, .bytes = 1000,
	.rate = 50, .grow_every_s = 1,
};
static SSL_CTX *ctx;
static unsigned char *payload;
static struct held *helds;
static atomic_int next_conn;
static atomic_int n_ok, n_failed, n_held, n_err_logs;

static void log_failure(int idx, const char *what)
{
	if (atomic_fetch_add(&n_err_logs, 1) >= CL_MAX_ERR_LOGS)
		return;
	fprintf(stderr, "tls_client: connection %d: %s failed (%s)\n", idx, what,
		errno ? strerror(errno) : "TLS error");
	ERR_print_errors_fp(stderr);
}

static int connect_loopback(void)
{
	struct timeval tv = { .tv_sec = CL_IO_TIMEOUT_S };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sa.sin_port = htons(opts.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int read_full(SSL *ssl, unsigned char *buf, int len)
{
	int got = 0, n;

	while (got < len) {
		n = SSL_read(ssl, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* Writes the payload and checks that the same bytes come back. */
static int exchange(SSL *ssl)
{
	unsigned char *back;
	int err = -1;

	if (opts.bytes == 0)
		return 0;
	back = malloc(opts.bytes);
	if (!back)
		return -1;
	if (SSL_write(ssl, payload, opts.bytes) == opts.bytes &&
	    read_full(ssl, back, opts.bytes) == 0 &&
	    memcmp(back, payload, opts.bytes) == 0)
		err = 0;
	free(back);
	return err;
}

static void close_conn(SSL *ssl, int fd)
{
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

/* Returns NULL on success, else the name of the step that failed. */
static const char *handshake_and_echo(SSL *ssl, int fd)
{
	if (SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		return "SSL_connect";
	if (exchange(ssl))
		return "echo";
	return NULL;
}

/* One connection; kept open in *keep when keep is not NULL. Returns 0 or -1. */
static int one_conn(int idx, struct held *keep)
{
	const char *failed;
	SSL *ssl;
	int fd;

	errno = 0;
	fd = connect_loopback();
	if (fd < 0) {
		log_failure(idx, "connect");
		return -1;
	}
	ssl = SSL_new(ctx);
	failed = ssl ? handshake_and_echo(ssl, fd) : "SSL_new";
	if (failed) {
		log_failure(idx, failed);
		SSL_free(ssl);
		close(fd);
		return -1;
	}
	if (!keep) {
		close_conn(ssl, fd);
		return 0;
	}
	keep->ssl = ssl;
	keep->fd = fd;
	return 0;
}

static void *worker(void *arg)
{
	int i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_conn, 1)) < opts.conns) {
		struct held *keep = i < opts.hold ? &helds[i] : NULL;

		if (one_conn(i, keep)) {
			atomic_fetch_add(&n_failed, 1);
			continue;
		}
		atomic_fetch_add(&n_ok, 1);
		if (keep)
			atomic_fetch_add(&n_held, 1);
	}
	ERR_clear_error();
	OPENSSL_thread_stop();
	return NULL;
}

static int run_workers(void)
{
	pthread_t t[CL_MAX_THREADS];
	int i, n = 0, err = 0;

	for (i = 0; i < opts.threads; i++) {
		if (pthread_create(&t[i], NULL, worker, NULL)) {
			fprintf(stderr, "tls_client: cannot create thread %d\n", i);
			err = -1;
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return err;
}

static void release_held(int n)
{
	for (int i = 0; i < n; i++) {
		if (!helds[i].ssl)
			continue;
		close_conn(helds[i].ssl, helds[i].fd);
		helds[i].ssl = NULL;
	}
}

/* Only a pipe, a socket or a terminal can deliver a meaningful EOF. */
static int stdin_watchable(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st))
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(STDIN_FILENO);
}

/* SIGUSR1 while holding: one more exchange on every held connection. */
static void exchange_held(void)
{
	int ok = 0;

	for (int i = 0; i < opts.hold; i++)
		ok += helds[i].ssl && exchange(helds[i].ssl) == 0;
	printf("exchanged %d\n", ok);
	fflush(stdout);
}

/* Waits up to timeout_ms (-1: forever) for a stop signal or EOF on stdin. */
static int wait_stop(int sfd, int watch_stdin, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	char buf[512];
	int n;

	n = poll(pfd, 2, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (pfd[0].revents) {
		if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1) {
			exchange_held();
			return 0;
		}
		return 1;
	}
	if (pfd[1].revents && read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
		return 1;
	return 0;
}

static int run_batch(int sfd)
{
	int watch = stdin_watchable();

	if (run_workers())
		return 1;
	printf("done %d ok %d failed\n", atomic_load(&n_ok), atomic_load(&n_failed));
	printf("holding %d\n", atomic_load(&n_held));
	fflush(stdout);
	if (atomic_load(&n_held) > 0)
		while (!wait_stop(sfd, watch, -1))
			;
	release_held(opts.hold);
	return atomic_load(&n_failed) ? 1 : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void demo_step(long long now, long long *next_grow)
{
	int i = atomic_fetch_add(&next_conn, 1);

	if (one_conn(i, NULL))
		atomic_fetch_add(&n_failed, 1);
	else
		atomic_fetch_add(&n_ok, 1);
	if (now < *next_grow || atomic_load(&n_held) >= opts.hold)
		return;
	*next_grow = now + opts.grow_every_s * 1000LL;
	if (one_conn(i, &helds[atomic_load(&n_held)]) == 0)
		atomic_fetch_add(&n_held, 1);
}

static int run_demo(int sfd)
{
	long long period_ms = 1000 / opts.rate, next = now_ms(), next_grow = next;
	long long now;
	int stop = 0;

	if (period_ms < 1)
		period_ms = 1;
	while (!stop) {
		now = now_ms();
		if (now >= next) {
			demo_step(now, &next_grow);
			next += period_ms;
			if (next < now - 1000)		/* fell far behind: do not burst */
				next = now;
			stop = wait_stop(sfd, 0, 0);	/* behind or not, a signal stops it */
			if (stop < 0)
				return 1;
			continue;
		}
		stop = wait_stop(sfd, 0, (int)(next - now));
		if (stop < 0)
			return 1;
	}
	printf("done %d ok %d failed\n", atomic_load(&n_ok), atomic_load(&n_failed));
	fflush(stdout);
	release_held(atomic_load(&n_held));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tls_client --port P [--conns N] [--threads T] [--hold H] [--bytes B]\n"
		"       tls_client --port P --demo [--rate R] [--grow-every SEC] [--hold H]\n"
		"  batch: N connections (default 1) over T threads (default 1), each echoing\n"
		"  B bytes (default 1000); H of them (default 0) stay open until SIGTERM,\n"
		"  SIGINT or EOF on a piped stdin.\n"
		"  demo: R short connections/s (default 50), one more held connection\n"
		"  every SEC seconds (default 1) up to H (default 200), until SIGTERM/SIGINT.\n");
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_one(int c, const char *arg)
{
	switch (c) {
	case 'p':
		return parse_int(arg, 1, 65535, &opts.port);
	case 'n':
		return parse_int(arg, 0, INT_MAX / 2, &opts.conns);
	case 't':
		return parse_int(arg, 1, CL_MAX_THREADS, &opts.threads);
	case 'H':
		return parse_int(arg, 0, 1000000, &opts.hold);
	case 'b':
		return parse_int(arg, 0, 64 * 1024 * 1024, &opts.bytes);
	case 'r':
		return parse_int(arg, 1, 100000, &opts.rate);
	case 'g':
		return parse_int(arg, 1, 86400, &opts.grow_every_s);
	case 'd':
		opts.demo = 1;
		return 0;
	case 'h':
		usage(stdout);
		exit(0);
	}
	return -EINVAL;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'H' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "grow-every", required_argument, NULL, 'g' },
		{ "demo", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:n:t:H:b:r:g:dh", longopts, NULL)) != -1)
		if (parse_one(c, optarg))
			return -EINVAL;
	if (optind != argc || opts.port < 0)
		return -EINVAL;
	if (opts.hold < 0)
		opts.hold = opts.demo ? 200 : 0;
	if (!opts.demo && opts.hold > opts.conns)
		opts.hold = opts.conns;
	return 0;
}

/* Blocks SIGINT/SIGTERM/SIGUSR1 in every thread; they are read from a signalfd. */
static int stop_signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int setup(void)
{
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	payload = malloc(opts.bytes ? opts.bytes : 1);
	helds = calloc(opts.hold ? opts.hold : 1, sizeof(*helds));
	if (!payload || !helds)
		return -1;
	for (int i = 0; i < opts.bytes; i++)
		payload[i] = (unsigned char)('a' + i % 26);
	return 0;
}

int main(int argc, char **argv)
{
	int sfd, ret;

	if (parse_opts(argc, argv)) {
		usage(stderr);
		return 2;
	}
	sfd = stop_signal_fd();
	if (sfd < 0 || setup()) {
		fprintf(stderr, "tls_client: setup failed\n");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	ret = opts.demo ? run_demo(sfd) : run_batch(sfd);
	SSL_CTX_free(ctx);
	free(payload);
	free(helds);
	close(sfd);
	return ret;
}
