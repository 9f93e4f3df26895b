// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * boring_target: OpenSSL's API through BoringSSL (Debian's
 * android-libboringssl: libcrypto.so.0, libssl.so.0). BoringSSL's
 * OPENSSL_malloc(size) and OPENSSL_free(ptr) are real functions without
 * file/line; its CRYPTO_malloc exists only for compatibility and nothing in
 * the library calls it.
 *
 * Ground truth: BoringSSL lets the executable supply OPENSSL_memory_alloc,
 * OPENSSL_memory_free and OPENSSL_memory_get_size (weak references in
 * libcrypto.so.0, bound to ours because we export them): every BoringSSL
 * allocation goes through them, counted per epoch as in gt_server.
 *
 * SIGUSR1: one batch: --ssl S SSL_new (one SSL_CTX made at the first batch),
 * the first S/2 SSL_free'd; --mallocs M OPENSSL_malloc(--size) kept live, and
 * M more OPENSSL_malloc + OPENSSL_free pairs. SIGUSR2: mark (new epoch).
 * SIGTERM/SIGINT: exit 0. State file: pid, epoch, live_bytes, live_blocks
 * (every BoringSSL allocation since the mark), mallocs, malloc_bytes,
 * ssl_new, ssl_free (since the mark), version, seq.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/mem.h>
#include <openssl/ssl.h>
#include "gtcount.h"

#define MAX_KEPT	(1 << 16)

/* BoringSSL's allocator hooks; exported (-rdynamic) so libcrypto.so.0 binds them */
void *OPENSSL_memory_alloc(size_t size);
void OPENSSL_memory_free(void *ptr);
size_t OPENSSL_memory_get_size(void *ptr);

void *OPENSSL_memory_alloc(size_t size)
{
	/* unlike OpenSSL's, a request for 0 bytes gives a block */
	struct gtc_hdr *h = size <= SIZE_MAX - GTC_HDR_BYTES ? malloc(size + GTC_HDR_BYTES) : NULL;

	return h ? gtc_stamp(h, size) : NULL;
}

void OPENSSL_memory_free(void *ptr)
{
	gtc_free(ptr);
}

size_t OPENSSL_memory_get_size(void *ptr)
{
	return gtc_size(ptr);
}

static const char *state;
static long size = 100, mallocs, nssl;
static void *kept[MAX_KEPT];
static long nkept, mallocs_mark, malloc_bytes_mark, ssl_new_mark, ssl_free_mark;
static unsigned long long seq;
static SSL_CTX *ctx;

static int write_state(void)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\nepoch %u\nlive_bytes %lld\nlive_blocks %lld\n", (int)getpid(),
		gtc_now(), gtc_live_bytes(), gtc_live_blocks());
	fprintf(f, "mallocs %ld\nmalloc_bytes %ld\nssl_new %ld\nssl_free %ld\n", mallocs_mark,
		malloc_bytes_mark, ssl_new_mark, ssl_free_mark);
	fprintf(f, "version %s\nseq %llu\n", OpenSSL_version(OPENSSL_VERSION), ++seq);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, state))
		err = -errno;
	return err;
}

static int keep(void *p)
{
	if (!p || nkept >= MAX_KEPT)
		return -1;
	kept[nkept++] = p;
	return 0;
}

static int batch(void)
{
	SSL *v[1024];
	long i, n = nssl > 1024 ? 1024 : nssl;

	for (i = 0; i < mallocs; i++) {
		if (keep(OPENSSL_malloc((size_t)size)))
			return -1;
		OPENSSL_free(OPENSSL_malloc((size_t)size));
		mallocs_mark++;
		malloc_bytes_mark += size;
	}
	if (!n)
		return 0;
	if (!ctx)
		ctx = SSL_CTX_new(TLS_method());
	if (!ctx)
		return -1;
	for (i = 0; i < n; i++) {
		v[i] = SSL_new(ctx);
		if (!v[i])
			return -1;
		ssl_new_mark++;
	}
	for (i = 0; i < n / 2; i++) {
		SSL_free(v[i]);
		ssl_free_mark++;
	}
	for (; i < n; i++)
		if (keep(v[i]))
			return -1;
	return 0;
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < 0 || v > MAX_KEPT / 2)
		exit(2);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "state", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "mallocs", required_argument, NULL, 'm' },
		{ "ssl", required_argument, NULL, 'S' },
		{ 0 }
	};
	sigset_t set;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'z': size = num(optarg); break;
		case 'm': mallocs = num(optarg); break;
		case 'S': nssl = num(optarg); break;
		default:
			fprintf(stderr, "usage: boring_target --state FILE [--size B] "
				"[--mallocs M] [--ssl S]\n");
			return 2;
		}
	}
	if (!state || optind != argc || !size)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) || write_state())
		return 1;
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		if (sig == SIGUSR2) {
			gtc_mark();
			mallocs_mark = malloc_bytes_mark = ssl_new_mark = ssl_free_mark = 0;
		} else if (batch()) {
			fprintf(stderr, "boring_target: batch failed\n");
			return 1;
		}
		if (write_state())
			return 1;
	}
}
