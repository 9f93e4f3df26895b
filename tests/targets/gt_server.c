// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * gt_server: a TLS echo server that keeps a ground truth of its own OpenSSL
 * memory, for the end-to-end tests to compare with tlsmem's figures.
 *
 * OpenSSL's allocator is replaced (CRYPTO_set_mem_functions, first thing in
 * main) by one that puts a 16-byte header in front of every block: the
 * requested size and the epoch of the block's latest (re)allocation. Live
 * bytes and blocks are kept per epoch with atomics, so "live since epoch E"
 * is the sum over epochs >= E. SIGUSR1 starts a new epoch, SIGUSR2 only
 * rewrites the state file, SIGTERM/SIGINT exit. The state file is written by
 * a sigwait thread with plain stdio: no OpenSSL call on that path.
 *
 * State file (FILE.tmp renamed over FILE), one "key value" per line: pid,
 * port, epoch, live_bytes and live_blocks (blocks whose latest (re)allocation
 * is in the current epoch or later), ssl_new and ssl_free (calls during the
 * current epoch), open_conns (accepted connections whose thread has not yet
 * freed its SSL, closed the socket and released its OpenSSL thread state),
 * live_bytes_all, live_blocks_all (every epoch), seq (one more per write).
 *
 * Leak modes, off by default, for the growth detectors. Every block they keep
 * comes from OPENSSL_malloc, so the ground truth above counts it like any
 * other; the state file adds their own counts (since start, every epoch):
 * - --leak-per-conn: tcn_state_new() allocates a 32-byte per-connection state
 *   right after SSL_new and keeps it forever in a global list (netty-tcnative's
 *   bug, incident 2 of DESIGN.md). tcn_states, tcn_bytes.
 * - --grow-cache BYTES_PER_S: a thread has cache_grow() allocate
 *   BYTES_PER_S / 10 bytes every 100 ms into a global list never freed: growth
 *   with a flat connection count. cache_chunks, cache_bytes.
 *   With --leak-ex-data the state is allocated before SSL_new and hung on the
 *   SSL object with SSL_set_ex_data instead; with --leak-every N every
 *   connection gets a state and frees it at its end but one in N. tcn_states
 *   counts the states kept.
 * - --leak-session: each connection keeps a reference to its SSL_SESSION
 *   (SSL_get1_session) that is never dropped. kept_sessions.
 * - --keep-ssl: a closed connection's socket is closed but its SSL object is
 *   kept, never freed (a finalizer that never runs): live SSL objects far
 *   above open sockets. kept_ssl; such a connection no longer counts in
 *   open_conns once its thread is done, and its SSL is not in ssl_free.
 * --release-buffers sets SSL_MODE_RELEASE_BUFFERS: an idle connection gives
 * its record buffers back, so it costs less per connection than the default
 * (two buffer settings of one server, for tlsmem compare).
 * tcn_state_new and cache_grow are global and never inlined, so a tool that
 * names an allocation's caller names them.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define GT_EPOCHS	64
#define GT_HDR_BYTES	16		/* keeps malloc's 16-byte alignment */
#define GT_STACK_BYTES	(256 * 1024)
#define GT_IO_BYTES	16384
#define GT_CACHE_TICK_NS	100000000L	/* --grow-cache: one allocation per tick */
#define GT_CACHE_TICKS_PER_S	10
#define GT_TCN_STATE_BYTES	32

struct gt_hdr {
	size_t size;			/* requested bytes, header excluded */
	uint32_t epoch;			/* epoch of the latest (re)allocation */
	uint32_t pad;
};

_Static_assert(sizeof(struct gt_hdr) == GT_HDR_BYTES, "gt_hdr must be 16 bytes");

static atomic_uint cur_epoch;
static atomic_llong live_bytes[GT_EPOCHS];
static atomic_llong live_blocks[GT_EPOCHS];
static atomic_llong ssl_news[GT_EPOCHS];
static atomic_llong ssl_frees[GT_EPOCHS];
static atomic_llong open_conns;
static unsigned long long state_seq;

static pthread_mutex_t leak_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcn_state *tcn_states;		/* never freed */
static struct cache_chunk *cache_chunks;	/* never freed */
static SSL **kept_ssl;				/* never SSL_free'd */
static size_t kept_n, kept_cap;
static atomic_llong n_tcn_states, n_cache_chunks, n_cache_bytes, n_kept_ssl, n_kept_sess;
static atomic_llong n_conns;
static int ex_index = -1;

struct gt_opts {
	int port;
	const char *cert;
	const char *key;
	const char *state;
	int leak_per_conn;
	int leak_ex_data;
	int leak_session;
	long leak_every;		/* 1: every connection leaks */
	int keep_ssl;
	int release_buffers;
	long grow_cache_bytes_per_s;	/* 0: off */
};

/* --leak-per-conn: what a JNI library keeps per SSL; exactly 32 bytes. */
struct tcn_state {
	struct tcn_state *next;
	SSL *ssl;
	uint64_t id;
	uint64_t flags;
};

_Static_assert(sizeof(struct tcn_state) == GT_TCN_STATE_BYTES, "tcn_state must be 32 bytes");

/* --grow-cache: the head of each chunk */
struct cache_chunk {
	struct cache_chunk *next;
	size_t bytes;
};

/* Global, not inlined: the allocation's caller is named after them. */
struct tcn_state *tcn_state_new(SSL *ssl);
struct cache_chunk *cache_grow(size_t bytes);

static struct gt_opts opts;
static int bound_port;

static unsigned int epoch_now(void)
{
	return atomic_load_explicit(&cur_epoch, memory_order_relaxed);
}

static void account(unsigned int epoch, long long bytes, long long blocks)
{
	atomic_fetch_add_explicit(&live_bytes[epoch], bytes, memory_order_relaxed);
	atomic_fetch_add_explicit(&live_blocks[epoch], blocks, memory_order_relaxed);
}

static void *hdr_to_user(struct gt_hdr *h, size_t num)
{
	h->size = num;
	h->epoch = epoch_now();
	h->pad = 0;
	account(h->epoch, (long long)num, 1);
	return (char *)h + GT_HDR_BYTES;
}

static struct gt_hdr *user_to_hdr(void *p)
{
	return (struct gt_hdr *)((char *)p - GT_HDR_BYTES);
}

/* Like OpenSSL's default allocator, a request for 0 bytes returns NULL. */
static void *gt_malloc(size_t num, const char *file, int line)
{
	struct gt_hdr *h;

	(void)file;
	(void)line;
	if (num == 0 || num > SIZE_MAX - GT_HDR_BYTES)
		return NULL;
	h = malloc(num + GT_HDR_BYTES);
	if (!h)
		return NULL;
	return hdr_to_user(h, num);
}

static void gt_free(void *p, const char *file, int line)
{
	struct gt_hdr *h;

	(void)file;
	(void)line;
	if (!p)
		return;
	h = user_to_hdr(p);
	account(h->epoch, -(long long)h->size, -1);
	free(h);
}

static void *gt_realloc(void *p, size_t num, const char *file, int line)
{
	struct gt_hdr *h, *nh;
	unsigned int old_epoch;
	size_t old_size;

	if (!p)
		return gt_malloc(num, file, line);
	if (num == 0) {
		gt_free(p, file, line);
		return NULL;
	}
	if (num > SIZE_MAX - GT_HDR_BYTES)
		return NULL;
	h = user_to_hdr(p);
	old_size = h->size;
	old_epoch = h->epoch;
	nh = realloc(h, num + GT_HDR_BYTES);
	if (!nh)
		return NULL;		/* the old block stays, and so do its counts */
	account(old_epoch, -(long long)old_size, -1);
	return hdr_to_user(nh, num);
}

static long long sum_from(atomic_llong *v, unsigned int from)
{
	long long s = 0;

	for (unsigned int i = from; i < GT_EPOCHS; i++)
		s += atomic_load_explicit(&v[i], memory_order_relaxed);
	return s;
}

/* Writes FILE.tmp then renames it over FILE. Plain stdio, no OpenSSL. */
static int write_state(void)
{
	unsigned int e = epoch_now();
	char tmp[4096];
	FILE *f;
	int err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", opts.state) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\nport %d\nepoch %u\n", (int)getpid(), bound_port, e);
	fprintf(f, "live_bytes %lld\nlive_blocks %lld\n",
		sum_from(live_bytes, e), sum_from(live_blocks, e));
	fprintf(f, "ssl_new %lld\nssl_free %lld\n",
		atomic_load(&ssl_news[e]), atomic_load(&ssl_frees[e]));
	fprintf(f, "open_conns %lld\n", atomic_load(&open_conns));
	fprintf(f, "live_bytes_all %lld\nlive_blocks_all %lld\n",
		sum_from(live_bytes, 0), sum_from(live_blocks, 0));
	fprintf(f, "tcn_states %lld\ntcn_bytes %lld\n", atomic_load(&n_tcn_states),
		atomic_load(&n_tcn_states) * GT_TCN_STATE_BYTES);
	fprintf(f, "cache_chunks %lld\ncache_bytes %lld\n", atomic_load(&n_cache_chunks),
		atomic_load(&n_cache_bytes));
	fprintf(f, "kept_ssl %lld\n", atomic_load(&n_kept_ssl));
	fprintf(f, "kept_sessions %lld\n", atomic_load(&n_kept_sess));
	fprintf(f, "seq %llu\n", ++state_seq);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, opts.state))
		err = -errno;
	return err;
}

static int report_state(void)
{
	int err = write_state();

	if (err)
		fprintf(stderr, "gt_server: cannot write %s: %s\n", opts.state, strerror(-err));
	return err;
}

static void bump_epoch(void)
{
	if (epoch_now() < GT_EPOCHS - 1)
		atomic_fetch_add(&cur_epoch, 1);
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			fflush(stdout);
			/* not exit(): OpenSSL's atexit cleanup would race the
			 * connection threads still using the library */
			_exit(0);
		}
		if (sig == SIGUSR1)
			bump_epoch();
		report_state();
	}
	return NULL;
}

static SSL *count_ssl_new(SSL_CTX *ctx)
{
	SSL *ssl = SSL_new(ctx);

	atomic_fetch_add(&ssl_news[epoch_now()], 1);
	return ssl;
}

static void count_ssl_free(SSL *ssl)
{
	SSL_free(ssl);
	atomic_fetch_add(&ssl_frees[epoch_now()], 1);
}

/*
 * Allocates a per-connection state with OPENSSL_malloc and links it into a
 * global list that is never freed. Not a tail call: the caller of
 * CRYPTO_malloc is this function.
 */
__attribute__((noinline)) struct tcn_state *tcn_state_new(SSL *ssl)
{
	struct tcn_state *st = OPENSSL_malloc(sizeof(*st));

	if (!st)
		return NULL;
	st->ssl = ssl;
	st->flags = 0;
	pthread_mutex_lock(&leak_lock);
	st->id = (uint64_t)atomic_fetch_add(&n_tcn_states, 1);
	st->next = tcn_states;
	tcn_states = st;
	pthread_mutex_unlock(&leak_lock);
	return st;
}

/* --leak-every: a state that is not leaked after all is unlinked and freed. */
static void tcn_state_drop(struct tcn_state *st)
{
	struct tcn_state **pp;

	pthread_mutex_lock(&leak_lock);
	for (pp = &tcn_states; *pp && *pp != st; pp = &(*pp)->next)
		;
	if (*pp) {
		*pp = st->next;
		atomic_fetch_sub(&n_tcn_states, 1);
	}
	pthread_mutex_unlock(&leak_lock);
	OPENSSL_free(st);
}

/* --leak-session: a reference to the session, never dropped. */
static void keep_session(SSL *ssl)
{
	if (SSL_get1_session(ssl))
		atomic_fetch_add(&n_kept_sess, 1);
}

/* Allocates bytes (>= sizeof(struct cache_chunk)) into the global cache list. */
__attribute__((noinline)) struct cache_chunk *cache_grow(size_t bytes)
{
	struct cache_chunk *c = OPENSSL_malloc(bytes);

	if (!c)
		return NULL;
	memset(c, 0, bytes);
	c->bytes = bytes;
	pthread_mutex_lock(&leak_lock);
	c->next = cache_chunks;
	cache_chunks = c;
	pthread_mutex_unlock(&leak_lock);
	atomic_fetch_add(&n_cache_chunks, 1);
	atomic_fetch_add(&n_cache_bytes, (long long)bytes);
	return c;
}

/* Steady growth: one chunk every 100 ms on an absolute schedule. */
static void *cache_thread(void *arg)
{
	size_t bytes = (size_t)opts.grow_cache_bytes_per_s / GT_CACHE_TICKS_PER_S;
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += GT_CACHE_TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		cache_grow(bytes);
	}
	return NULL;
}

/* --keep-ssl: the SSL object outlives its connection. 0, or -ENOMEM. */
static int keep_ssl(SSL *ssl)
{
	int err = 0;

	pthread_mutex_lock(&leak_lock);
	if (kept_n == kept_cap) {
		size_t cap = kept_cap ? 2 * kept_cap : 1024;
		SSL **v = realloc(kept_ssl, cap * sizeof(*v));

		if (v) {
			kept_ssl = v;
			kept_cap = cap;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err) {
		kept_ssl[kept_n++] = ssl;
		atomic_fetch_add(&n_kept_ssl, 1);
	}
	pthread_mutex_unlock(&leak_lock);
	return err;
}

static void echo(SSL *ssl)
{
	char buf[GT_IO_BYTES];
	int n;

	while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
		if (SSL_write(ssl, buf, n) != n)
			return;
}

struct conn {
	SSL_CTX *ctx;
	int fd;
};

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	SSL *ssl;

	struct tcn_state *st = NULL;
	long nth = atomic_fetch_add(&n_conns, 1) + 1;

	/* hung on the SSL object: allocated before it, so only the link tells */
	if (opts.leak_ex_data)
		st = tcn_state_new(NULL);
	ssl = count_ssl_new(c->ctx);
	if (ssl && st) {
		st->ssl = ssl;
		SSL_set_ex_data(ssl, ex_index, st);
	} else if (ssl && opts.leak_per_conn) {
		st = tcn_state_new(ssl);
	}
	if (ssl) {
		if (SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1) {
			if (opts.leak_session)
				keep_session(ssl);
			echo(ssl);
			SSL_shutdown(ssl);
		}
		if (st && opts.leak_every > 1 && nth % opts.leak_every)
			tcn_state_drop(st);
		if (!opts.keep_ssl || keep_ssl(ssl))
			count_ssl_free(ssl);
	}
	close(c->fd);
	free(c);
	/* Free this thread's OpenSSL state (error queue, DRBGs) now rather
	 * than in a TLS destructor after open_conns has already dropped. */
	ERR_clear_error();
	OPENSSL_thread_stop();
	atomic_fetch_sub(&open_conns, 1);
	return NULL;
}

static int spawn_conn(SSL_CTX *ctx, int fd, const pthread_attr_t *attr)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_t t;
	int err;

	if (!c)
		return -ENOMEM;
	c->ctx = ctx;
	c->fd = fd;
	atomic_fetch_add(&open_conns, 1);
	err = pthread_create(&t, attr, conn_thread, c);
	if (err) {
		atomic_fetch_sub(&open_conns, 1);
		free(c);
		return -err;
	}
	return 0;
}

static void accept_loop(SSL_CTX *ctx, int lfd)
{
	pthread_attr_t attr;
	int fd, one = 1;

	if (pthread_attr_init(&attr) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) ||
	    pthread_attr_setstacksize(&attr, GT_STACK_BYTES)) {
		fprintf(stderr, "gt_server: pthread_attr setup failed\n");
		exit(1);
	}
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				usleep(10000);	/* EMFILE and friends: back off */
			continue;
		}
		/* without it, Nagle and delayed ACKs stall the two TLS 1.3
		 * session tickets by 40 ms per connection */
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
		    spawn_conn(ctx, fd, &attr)) {
			fprintf(stderr, "gt_server: cannot set up a connection\n");
			close(fd);
		}
	}
}

static int listen_loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	bound_port = ntohs(sa.sin_port);
	return fd;
}

static SSL_CTX *make_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	if (opts.release_buffers)
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, opts.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, opts.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gt_server --port P --cert FILE --key FILE --state FILE\n"
		"                 [--leak-per-conn] [--leak-ex-data] [--leak-every N]\n"
		"                 [--leak-session] [--grow-cache BYTES_PER_S] [--keep-ssl]\n"
		"                 [--release-buffers]\n"
		"  TLS echo server on 127.0.0.1:P (0 = ephemeral) with a ground truth\n"
		"  of its OpenSSL memory in the state file.\n"
		"  SIGUSR1: new epoch + write state; SIGUSR2: write state;\n"
		"  SIGTERM/SIGINT: exit 0.\n"
		"  --leak-per-conn            leak a 32-byte state per connection (tcn_state_new)\n"
		"  --leak-ex-data             ... allocated before SSL_new, hung with SSL_set_ex_data\n"
		"  --leak-every N             ... leaked by one connection in N, freed by the others\n"
		"  --leak-session             keep a reference to every session (SSL_get1_session)\n"
		"  --grow-cache BYTES_PER_S   leak BYTES_PER_S/10 every 100 ms (cache_grow)\n"
		"  --keep-ssl                 close sockets but never free their SSL objects\n"
		"  --release-buffers          SSL_MODE_RELEASE_BUFFERS: idle connections free\n"
		"                             their record buffers\n");
}

static int parse_port(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < 0 || v > 65535)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* BYTES_PER_S: a chunk per 100 ms holds at least a chunk head, at most 1 GiB/s */
static int parse_rate(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno ||
	    v < (long)(GT_CACHE_TICKS_PER_S * sizeof(struct cache_chunk)) || v > (1L << 30))
		return -EINVAL;
	*out = v;
	return 0;
}

enum {
	OPT_LEAK_PER_CONN = 256,
	OPT_GROW_CACHE,
	OPT_KEEP_SSL,
	OPT_RELEASE_BUFFERS,
	OPT_LEAK_EX_DATA,
	OPT_LEAK_EVERY,
	OPT_LEAK_SESSION,
};

static int parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 's' },
		{ "leak-per-conn", no_argument, NULL, OPT_LEAK_PER_CONN },
		{ "grow-cache", required_argument, NULL, OPT_GROW_CACHE },
		{ "keep-ssl", no_argument, NULL, OPT_KEEP_SSL },
		{ "release-buffers", no_argument, NULL, OPT_RELEASE_BUFFERS },
		{ "leak-ex-data", no_argument, NULL, OPT_LEAK_EX_DATA },
		{ "leak-every", required_argument, NULL, OPT_LEAK_EVERY },
		{ "leak-session", no_argument, NULL, OPT_LEAK_SESSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "p:c:k:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_port(optarg, &opts.port))
				return -EINVAL;
			break;
		case 'c':
			opts.cert = optarg;
			break;
		case 'k':
			opts.key = optarg;
			break;
		case 's':
			opts.state = optarg;
			break;
		case OPT_LEAK_PER_CONN:
			opts.leak_per_conn = 1;
			break;
		case OPT_GROW_CACHE:
			if (parse_rate(optarg, &opts.grow_cache_bytes_per_s))
				return -EINVAL;
			break;
		case OPT_KEEP_SSL:
			opts.keep_ssl = 1;
			break;
		case OPT_RELEASE_BUFFERS:
			opts.release_buffers = 1;
			break;
		case OPT_LEAK_EX_DATA:
			opts.leak_per_conn = opts.leak_ex_data = 1;
			break;
		case OPT_LEAK_EVERY:
			opts.leak_every = strtol(optarg, &end, 10);
			if (end == optarg || *end || opts.leak_every < 1 || opts.leak_every > 1000000)
				return -EINVAL;
			opts.leak_per_conn = 1;
			break;
		case OPT_LEAK_SESSION:
			opts.leak_session = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || !opts.cert || !opts.key || !opts.state)
		return -EINVAL;
	return 0;
}

static sigset_t ctl_signals;

/* Blocks the control signals; every thread created later inherits the mask. */
static int block_signals(void)
{
	sigemptyset(&ctl_signals);
	sigaddset(&ctl_signals, SIGUSR1);
	sigaddset(&ctl_signals, SIGUSR2);
	sigaddset(&ctl_signals, SIGTERM);
	sigaddset(&ctl_signals, SIGINT);
	/* a non-interactive shell starts background jobs with SIGINT ignored */
	if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	return pthread_sigmask(SIG_BLOCK, &ctl_signals, NULL) ? -1 : 0;
}

static int start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg))
		return -1;
	return pthread_detach(t) ? -1 : 0;
}

int main(int argc, char **argv)
{
	SSL_CTX *ctx;
	int lfd;

	if (!CRYPTO_set_mem_functions(gt_malloc, gt_realloc, gt_free)) {
		fprintf(stderr, "gt_server: CRYPTO_set_mem_functions failed\n");
		return 1;
	}
	if (parse_opts(argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (block_signals()) {
		fprintf(stderr, "gt_server: cannot set up signals\n");
		return 1;
	}
	ctx = make_ctx();
	if (!ctx) {
		fprintf(stderr, "gt_server: cannot load %s / %s\n", opts.cert, opts.key);
		return 1;
	}
	lfd = listen_loopback(opts.port);
	if (lfd < 0) {
		fprintf(stderr, "gt_server: cannot listen on 127.0.0.1:%d: %s\n", opts.port,
			strerror(errno));
		return 1;
	}
	if (report_state())
		return 1;
	/* the state file exists before the signal thread can rewrite it */
	if (start_thread(signal_thread, &ctl_signals)) {
		fprintf(stderr, "gt_server: cannot start the signal thread\n");
		return 1;
	}
	if (opts.grow_cache_bytes_per_s && start_thread(cache_thread, NULL)) {
		fprintf(stderr, "gt_server: cannot start the cache thread\n");
		return 1;
	}
	printf("listening %d pid %d\n", bound_port, (int)getpid());
	fflush(stdout);
	accept_loop(ctx, lfd);
	return 0;
}
