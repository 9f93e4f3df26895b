// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hold_client: opens --conns TLS connections to 127.0.0.1:--port, sends one
 * HTTP/1.1 keep-alive request on each (GET /, Host: localhost) and reads the
 * response up to the end of its body ("ok\n", as the shape test's nginx
 * answers), then keeps every connection open. Prints
 * "holding OK ok FAILED failed" and waits for SIGTERM/SIGINT, then closes
 * them all (close_notify first). For HTTP servers, where tls_client's echo
 * does not apply.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define HC_MAX_CONNS	4096
#define HC_BODY		"\r\n\r\nok\n"

static const char request[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

static int connect_loopback(int port)
{
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Handshake, request, response; the open SSL or NULL. */
static SSL *one(SSL_CTX *ctx, int port)
{
	char buf[4096];
	size_t len = 0;
	int fd, n;
	SSL *ssl;

	fd = connect_loopback(port);
	if (fd < 0)
		return NULL;
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, request, sizeof(request) - 1) != (int)sizeof(request) - 1)
		goto err;
	while (len < sizeof(buf) - 1) {
		n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
		if (n <= 0)
			goto err;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= strlen(HC_BODY) && !strcmp(buf + len - strlen(HC_BODY), HC_BODY))
			return ssl;
	}
err:
	ERR_print_errors_fp(stderr);
	SSL_free(ssl);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static SSL *held[HC_MAX_CONNS];
	int port, conns, ok = 0, failed = 0, i, sig;
	SSL_CTX *ctx;
	sigset_t set;

	if (argc != 5 || strcmp(argv[1], "--port") || strcmp(argv[3], "--conns")) {
		fprintf(stderr, "usage: hold_client --port P --conns N\n");
		return 2;
	}
	port = atoi(argv[2]);
	conns = atoi(argv[4]);
	if (port <= 0 || port > 65535 || conns <= 0 || conns > HC_MAX_CONNS)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	for (i = 0; i < conns; i++) {
		held[ok] = one(ctx, port);
		if (held[ok])
			ok++;
		else
			failed++;
	}
	printf("holding %d ok %d failed\n", ok, failed);
	fflush(stdout);
	while (sigwait(&set, &sig))
		;
	for (i = 0; i < ok; i++) {
		SSL_shutdown(held[i]);
		close(SSL_get_fd(held[i]));
		SSL_free(held[i]);
	}
	SSL_CTX_free(ctx);
	return 0;
}
