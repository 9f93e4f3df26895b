// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Facts about a process from /proc; see procinfo.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "procinfo.h"

static int read_file(int pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	err = -errno;
	close(fd);
	if (n < 0)
		return err;
	buf[n] = '\0';
	return 0;
}

int procinfo_comm(int pid, char *buf, size_t cap)
{
	int err = read_file(pid, "comm", buf, cap);

	if (err)
		return err;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int procinfo_rss(int pid, __u64 *bytes)
{
	char buf[4096], *p;
	unsigned long long kb;
	int err = read_file(pid, "status", buf, sizeof(buf));

	if (err)
		return err;
	p = strstr(buf, "\nVmRSS:");
	if (!p || sscanf(p + 7, "%llu", &kb) != 1)
		return -ENODATA;	/* zombies and kernel threads have none */
	*bytes = kb * 1024;
	return 0;
}

char procinfo_state(int pid)
{
	char buf[512], *p;

	if (read_file(pid, "stat", buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return 0;
	return p[2];
}

int procinfo_is_kthread(int pid)
{
	char path[64], buf[8];

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (readlink(path, buf, sizeof(buf)) >= 0)
		return 0;
	return errno == ENOENT ? 1 : -errno;
}
