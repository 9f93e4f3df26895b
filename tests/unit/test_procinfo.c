// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * procinfo on this very process: PSS against RSS, the network namespace a
 * child shares, and the TCP sockets held, counted from one read of the
 * namespace's table (real loopback connections, the listener excluded).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_IMPLEMENTATION
#include "test.h"
#include "procinfo.h"

static void test_pss_within_rss(void)
{
	__u64 pss = 0, rss = 0;

	if (!ASSERT_EQ(procinfo_pss(getpid(), &pss), 0, "pss") ||
	    !ASSERT_EQ(procinfo_rss(getpid(), &rss), 0, "rss"))
		return;
	ASSERT_TRUE(pss > 0, "pss > 0");
	ASSERT_TRUE(pss <= rss + 4096, "pss <= rss");
	ASSERT_EQ(procinfo_pss(-1, &pss), -ENOENT, "no such process");
}

static void test_netns_shared_with_child(void)
{
	__u64 a = 0, b = 0;
	int gate[2];
	pid_t pid;
	char x;

	if (!ASSERT_EQ(pipe(gate), 0, "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		close(gate[1]);
		_exit(read(gate[0], &x, 1) < 0);
	}
	close(gate[0]);
	ASSERT_EQ(procinfo_netns(getpid(), &a), 0, "own netns");
	ASSERT_EQ(procinfo_netns(pid, &b), 0, "child's netns");
	ASSERT_TRUE(a != 0 && a == b, "same namespace");
	close(gate[1]);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(procinfo_netns(pid, &b), -ENOENT, "gone");
}

static void test_sockets_from_one_table(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	__u64 base = 0, n = 0, old = 0, *v = NULL;
	size_t nv = 0;
	int l, c, a;

	ASSERT_EQ(procinfo_tcp_sockets(getpid(), &base), 0, "before");
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (!ASSERT_TRUE(l >= 0, "socket") ||
	    !ASSERT_EQ(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind") ||
	    !ASSERT_EQ(listen(l, 1), 0, "listen") ||
	    !ASSERT_EQ(getsockname(l, (struct sockaddr *)&sa, &len), 0, "getsockname"))
		return;
	ASSERT_EQ(procinfo_tcp_sockets(getpid(), &n), 0, "listening");
	ASSERT_EQ(n, base, "a listener is not counted");
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect");
	a = accept(l, NULL, NULL);
	ASSERT_TRUE(a >= 0, "accept");
	if (ASSERT_EQ(procinfo_tcp_table(getpid(), &v, &nv), 0, "table")) {
		ASSERT_TRUE(nv >= 2, "both ends in the table");
		for (size_t i = 1; i < nv; i++)
			ASSERT_TRUE(v[i - 1] <= v[i], "sorted");
		ASSERT_EQ(procinfo_count_sockets(getpid(), v, nv, &n), 0, "count");
		ASSERT_EQ(n, base + 2, "both ends held");
		ASSERT_EQ(procinfo_count_sockets(getpid(), v, 0, &old), 0, "empty table");
		ASSERT_EQ(old, 0, "nothing to match");
	}
	free(v);
	close(a);
	close(c);
	close(l);
}

/* The established connections at attach: both ends of one, not the listener; then none. */
static void test_established(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	__u64 *v = NULL, *w = NULL;
	size_t base = 0, n = 0;
	int l, c, a;

	if (!ASSERT_EQ(procinfo_tcp_established(getpid(), &v, &base), 0, "before"))
		return;
	free(v);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (!ASSERT_TRUE(l >= 0, "socket") ||
	    !ASSERT_EQ(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind") ||
	    !ASSERT_EQ(listen(l, 1), 0, "listen") ||
	    !ASSERT_EQ(getsockname(l, (struct sockaddr *)&sa, &len), 0, "getsockname"))
		return;
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect");
	a = accept(l, NULL, NULL);
	ASSERT_TRUE(a >= 0, "accept");
	if (ASSERT_EQ(procinfo_tcp_established(getpid(), &w, &n), 0, "established")) {
		ASSERT_EQ(n, base + 2, "both ends, not the listener");
		for (size_t i = 1; i < n; i++)
			ASSERT_TRUE(w[i - 1] < w[i], "sorted, once each");
	}
	free(w);
	close(a);
	close(c);
	close(l);
	ASSERT_EQ(procinfo_tgid(getpid()), getpid(), "a process is its own group");
	ASSERT_EQ(procinfo_tgid(-1), -ENOENT, "no such thread");
}

static const struct test_case tests[] = {
	TEST(test_established),
	TEST(test_pss_within_rss),
	TEST(test_netns_shared_with_child),
	TEST(test_sockets_from_one_table),
};

int main(void)
{
	return test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
