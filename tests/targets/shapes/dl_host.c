// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * dl_host: a process that loads OpenSSL (or a library linked against it)
 * with dlopen, the way a JVM loads netty-tcnative or a plugin host loads a
 * TLS module, and then makes allocations it counts itself. Not linked
 * against OpenSSL: what it maps is what --preload and --load name.
 *
 *   --preload LIB   dlopen LIB (RTLD_GLOBAL) at start, before anything else
 *   --load LIB      the library under test: at start with --at-start,
 *                   otherwise at the first SIGUSR1
 *   --copy DIR      load a copy of LIB made in DIR (new inode), not LIB
 *   --delete        unlink the copy once loaded (the netty-tcnative pattern)
 *   --gt            right after the load, replace OpenSSL's allocator
 *                   (CRYPTO_set_mem_functions, found through the loaded
 *                   library) by a counting one: live_bytes and live_blocks
 *                   in the state file are then every OpenSSL allocation
 *                   since the last mark (gt 1), else 0 (gt 0)
 *   --call tcn|crypto   per batch, --batch calls of tcn_state_new() (libtcn,
 *                   32 bytes each) or CRYPTO_malloc(--size) of the loaded
 *                   library, kept live
 *   --spread-us U   sleep U microseconds after each explicit call (a
 *                   steady stream: the calls missed tell how long after the
 *                   load the probes came)
 *   --ssl S         per batch, S SSL_new (one SSL_CTX made at the first
 *                   batch) of which the first S/2 are SSL_free'd
 *
 * SIGUSR1: load if not loaded yet, run one batch, write the state.
 * SIGUSR2: mark (new epoch: the "since mark" figures restart), write state.
 * SIGTERM/SIGINT: exit 0. Signals are taken with sigwait in the main thread,
 * which makes every allocation: no other thread touches OpenSSL.
 *
 * State file (FILE.tmp renamed over FILE), "key value" lines: pid, loaded,
 * module (the file loaded), deleted, gt, epoch, live_bytes, live_blocks,
 * calls and call_bytes (explicit calls since the mark), calls_total,
 * ssl_new and ssl_free (since the mark), batches, seq.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gtcount.h"

#define TCN_STATE_BYTES	32
#define MAX_KEPT	(1 << 20)

typedef void *(*crypto_malloc_fn)(size_t, const char *, int);
typedef void *(*tcn_new_fn)(void);
typedef int (*set_mem_fn)(void *(*)(size_t, const char *, int),
			  void *(*)(void *, size_t, const char *, int),
			  void (*)(void *, const char *, int));
typedef const void *(*method_fn)(void);
typedef void *(*ctx_new_fn)(const void *);
typedef void *(*ssl_new_fn)(void *);
typedef void (*ssl_free_fn)(void *);

static struct {
	const char *state, *preload, *load, *copy_dir, *call;
	int at_start, delete, gt;
	long size, batch, ssl, spread_us;
} o = { .size = 100 };

static void *handle;
static char module[PATH_MAX];
static int loaded, deleted, gt_on;
static void *kept[MAX_KEPT];
static long nkept;
static long calls_mark, call_bytes_mark, calls_total, ssl_new_mark, ssl_free_mark, batches;
static unsigned long long seq;
static void *ctx;

static void *gt_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return gtc_alloc(n);
}

static void *gt_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return gtc_realloc(p, n);
}

static void gt_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	gtc_free(p);
}

static int write_state(void)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", o.state);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\nloaded %d\nmodule %s\ndeleted %d\ngt %d\nepoch %u\n", (int)getpid(),
		loaded, module[0] ? module : "-", deleted, gt_on, gtc_now());
	fprintf(f, "live_bytes %lld\nlive_blocks %lld\n", gtc_live_bytes(), gtc_live_blocks());
	fprintf(f, "calls %ld\ncall_bytes %ld\ncalls_total %ld\n", calls_mark, call_bytes_mark,
		calls_total);
	fprintf(f, "ssl_new %ld\nssl_free %ld\nbatches %ld\nseq %llu\n", ssl_new_mark,
		ssl_free_mark, batches, ++seq);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, o.state))
		err = -errno;
	return err;
}

/* Copies src into a new file in o.copy_dir, named after src; path into out. */
static int copy_lib(const char *src, char *out, size_t cap)
{
	const char *base = strrchr(src, '/');
	int in, fd, err = 0;
	struct stat st;
	off_t off = 0;

	snprintf(out, cap, "%s/%s.XXXXXX", o.copy_dir, base ? base + 1 : src);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	fd = mkstemp(out);
	if (fd < 0 || fstat(in, &st)) {
		err = -errno;
		goto out;
	}
	while (off < st.st_size)
		if (sendfile(fd, in, &off, (size_t)(st.st_size - off)) <= 0) {
			err = -EIO;
			break;
		}
	if (!err && fchmod(fd, 0755))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	close(in);
	return err;
}

/* The path of a library as the loader found it (for a bare soname). */
static void loaded_path(void *h, const char *fallback, char *out, size_t cap)
{
	struct link_map *lm = NULL;

	if (!dlinfo(h, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name && lm->l_name[0])
		snprintf(out, cap, "%s", lm->l_name);
	else
		snprintf(out, cap, "%s", fallback);
}

static int load(void)
{
	char path[PATH_MAX];
	set_mem_fn set_mem;

	if (o.copy_dir) {
		int err = copy_lib(o.load, path, sizeof(path));

		if (err) {
			fprintf(stderr, "dl_host: cannot copy %s into %s: %s\n", o.load, o.copy_dir,
				strerror(-err));
			return -1;
		}
	} else {
		snprintf(path, sizeof(path), "%s", o.load);
	}
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dl_host: dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	loaded_path(handle, path, module, sizeof(module));
	loaded = 1;
	if (o.delete && o.copy_dir) {
		if (unlink(path)) {
			fprintf(stderr, "dl_host: unlink %s: %s\n", path, strerror(errno));
			return -1;
		}
		deleted = 1;
	}
	if (o.gt) {
		set_mem = (set_mem_fn)dlsym(handle, "CRYPTO_set_mem_functions");
		gt_on = set_mem && set_mem(gt_malloc, gt_realloc, gt_free);
		if (!gt_on)
			fprintf(stderr, "dl_host: CRYPTO_set_mem_functions %s\n",
				set_mem ? "refused (allocations already made)" : "not found");
	}
	return 0;
}

static void *sym(const char *name)
{
	void *p = dlsym(handle, name);

	if (!p)
		fprintf(stderr, "dl_host: %s not found in %s\n", name, module);
	return p;
}

static int keep(void *p)
{
	if (!p || nkept >= MAX_KEPT)
		return -1;
	kept[nkept++] = p;
	return 0;
}

/* not inlined: the explicit allocations' caller is named after it */
__attribute__((noinline)) static int explicit_calls(void)
{
	crypto_malloc_fn cm = NULL;
	tcn_new_fn tn = NULL;
	long i, bytes;

	if (!strcmp(o.call, "tcn"))
		tn = (tcn_new_fn)sym("tcn_state_new");
	else if (!strcmp(o.call, "crypto"))
		cm = (crypto_malloc_fn)sym("CRYPTO_malloc");
	if (!tn && !cm)
		return -1;
	bytes = tn ? TCN_STATE_BYTES : o.size;
	for (i = 0; i < o.batch; i++) {
		if (keep(tn ? tn() : cm((size_t)o.size, __FILE__, __LINE__)))
			return -1;
		calls_mark++;
		calls_total++;
		call_bytes_mark += bytes;
		if (o.spread_us)
			usleep((useconds_t)o.spread_us);
	}
	return 0;
}

static int ssl_calls(void)
{
	method_fn method = (method_fn)sym("TLS_method");
	ctx_new_fn ctx_new = (ctx_new_fn)sym("SSL_CTX_new");
	ssl_new_fn ssl_new = (ssl_new_fn)sym("SSL_new");
	ssl_free_fn ssl_free = (ssl_free_fn)sym("SSL_free");
	void *v[1024];
	long i, n = o.ssl > 1024 ? 1024 : o.ssl;

	if (!method || !ctx_new || !ssl_new || !ssl_free)
		return -1;
	if (!ctx)
		ctx = ctx_new(method());
	if (!ctx)
		return -1;
	for (i = 0; i < n; i++) {
		v[i] = ssl_new(ctx);
		if (!v[i])
			return -1;
		ssl_new_mark++;
	}
	for (i = 0; i < n / 2; i++) {
		ssl_free(v[i]);
		ssl_free_mark++;
	}
	/* the other half stays live: nothing frees them */
	for (; i < n; i++)
		if (keep(v[i]))
			return -1;
	return 0;
}

static int batch(void)
{
	if (!loaded && load())
		return -1;
	if (strcmp(o.call, "none") && o.batch && explicit_calls())
		return -1;
	if (o.ssl && ssl_calls())
		return -1;
	batches++;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dl_host --state FILE --load LIB [--preload LIB] [--at-start]\n"
		"               [--copy DIR [--delete]] [--gt] [--call tcn|crypto|none]\n"
		"               [--size BYTES] [--batch K] [--spread-us U] [--ssl S]\n"
		"  SIGUSR1: load (once) and run a batch; SIGUSR2: mark; SIGTERM: exit\n");
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < 0 || v > MAX_KEPT) {
		usage(stderr);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "state", required_argument, NULL, 's' },
		{ "preload", required_argument, NULL, 'P' },
		{ "load", required_argument, NULL, 'l' },
		{ "at-start", no_argument, NULL, 'a' },
		{ "copy", required_argument, NULL, 'c' },
		{ "delete", no_argument, NULL, 'd' },
		{ "gt", no_argument, NULL, 'g' },
		{ "call", required_argument, NULL, 'C' },
		{ "size", required_argument, NULL, 'z' },
		{ "batch", required_argument, NULL, 'b' },
		{ "ssl", required_argument, NULL, 'S' },
		{ "spread-us", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	o.call = "none";
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.state = optarg; break;
		case 'P': o.preload = optarg; break;
		case 'l': o.load = optarg; break;
		case 'a': o.at_start = 1; break;
		case 'c': o.copy_dir = optarg; break;
		case 'd': o.delete = 1; break;
		case 'g': o.gt = 1; break;
		case 'C': o.call = optarg; break;
		case 'z': o.size = num(optarg); break;
		case 'b': o.batch = num(optarg); break;
		case 'S': o.ssl = num(optarg); break;
		case 'u': o.spread_us = num(optarg); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || !o.state || !o.load || (o.delete && !o.copy_dir) ||
	    (strcmp(o.call, "tcn") && strcmp(o.call, "crypto") && strcmp(o.call, "none"))) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	sigset_t set;
	int sig;

	parse(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 1;
	if (o.preload && !dlopen(o.preload, RTLD_NOW | RTLD_GLOBAL)) {
		fprintf(stderr, "dl_host: dlopen %s: %s\n", o.preload, dlerror());
		return 1;
	}
	if (o.at_start && load())
		return 1;
	if (write_state())
		return 1;
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		if (sig == SIGUSR2) {
			gtc_mark();
			calls_mark = call_bytes_mark = ssl_new_mark = ssl_free_mark = 0;
		} else if (batch()) {
			fprintf(stderr, "dl_host: batch failed\n");
			return 1;
		}
		if (write_state())
			return 1;
	}
}
