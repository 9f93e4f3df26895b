// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Facts about a process from /proc; see procinfo.h. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

/* Appends the inodes of non-listening sockets in one /proc/PID/net table. */
static int tcp_inodes(int pid, const char *table, __u64 **v, size_t *n, size_t *cap)
{
	char path[64], line[512];
	unsigned long long ino;
	unsigned int st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, table);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* sl local rem st tx:rx tr:when retr uid timeout inode */
		if (sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %llu", &st, &ino) != 2 ||
		    st == 0x0a || !ino)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			__u64 *nv = realloc(*v, c * sizeof(*nv));

			if (!nv) {
				fclose(f);
				return -ENOMEM;
			}
			*v = nv;
			*cap = c;
		}
		(*v)[(*n)++] = ino;
	}
	fclose(f);
	return 0;
}

int procinfo_tcp_table(int pid, __u64 **out, size_t *nout)
{
	size_t n = 0, cap = 0;
	__u64 *v = NULL;
	int err;

	err = tcp_inodes(pid, "tcp", &v, &n, &cap);
	if (!err)
		tcp_inodes(pid, "tcp6", &v, &n, &cap);	/* no IPv6 is fine */
	if (err) {
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	*nout = n;
	return 0;
}

int procinfo_count_sockets(int pid, const __u64 *v, size_t n, __u64 *count)
{
	char path[64], link[64];
	unsigned long long ino;
	struct dirent *d;
	DIR *dir;

	*count = 0;
	if (!n)
		return 0;	/* nothing to match: no need to look at the fds */
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		ssize_t len = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		__u64 k;

		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		k = ino;
		if (bsearch(&k, v, n, sizeof(*v), cmp_u64))
			(*count)++;
	}
	closedir(dir);
	return 0;
}

int procinfo_tcp_sockets(int pid, __u64 *count)
{
	size_t n;
	__u64 *v;
	int err = procinfo_tcp_table(pid, &v, &n);

	if (err)
		return err;
	err = procinfo_count_sockets(pid, v, n, count);
	free(v);
	return err;
}

int procinfo_netns(int pid, __u64 *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

int procinfo_pss(int pid, __u64 *bytes)
{
	char buf[2048], *p;
	unsigned long long kb;
	int err = read_file(pid, "smaps_rollup", buf, sizeof(buf));

	if (err)
		return err;
	p = strstr(buf, "\nPss:");
	if (!p || sscanf(p + 5, "%llu", &kb) != 1)
		return -ENODATA;	/* zombies and kernel threads have none */
	*bytes = kb * 1024;
	return 0;
}

/* Appends the inodes of the ESTABLISHED sockets in one /proc/PID/net table. */
static int established_in(int pid, const char *table, __u64 **v, size_t *n, size_t *cap)
{
	char path[64], line[512];
	unsigned long long ino;
	unsigned int st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, table);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %llu", &st, &ino) != 2 ||
		    st != 0x01 || !ino)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			__u64 *nv = realloc(*v, c * sizeof(*nv));

			if (!nv) {
				fclose(f);
				return -ENOMEM;
			}
			*v = nv;
			*cap = c;
		}
		(*v)[(*n)++] = ino;
	}
	fclose(f);
	return 0;
}

int procinfo_tcp_established(int pid, __u64 **inodes, size_t *nout)
{
	size_t n = 0, cap = 0, kept = 0, i;
	char path[64], link[64];
	unsigned long long ino;
	__u64 *v = NULL;
	struct dirent *d;
	bool *held;
	DIR *dir;
	int err;

	err = established_in(pid, "tcp", &v, &n, &cap);
	if (!err)
		established_in(pid, "tcp6", &v, &n, &cap);	/* no IPv6 is fine */
	if (err) {
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);	/* v is NULL when none */
	held = calloc(n ? n : 1, sizeof(*held));
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = held ? opendir(path) : NULL;
	if (!dir) {
		err = held ? -errno : -ENOMEM;
		free(held);
		free(v);
		return err;
	}
	while ((d = readdir(dir))) {
		ssize_t len = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		__u64 k, *hit;

		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		k = ino;
		hit = bsearch(&k, v, n, sizeof(*v), cmp_u64);
		if (hit)
			held[hit - v] = true;
	}
	closedir(dir);
	for (i = 0; i < n; i++)
		if (held[i])
			v[kept++] = v[i];
	free(held);
	*inodes = v;
	*nout = kept;
	return 0;
}

int procinfo_tgid(int pid)
{
	char buf[4096], *p;
	int tgid, err = read_file(pid, "status", buf, sizeof(buf));

	if (err)
		return err;
	p = strstr(buf, "\nTgid:");
	if (!p || sscanf(p + 6, "%d", &tgid) != 1)
		return -ENODATA;
	return tgid;
}
