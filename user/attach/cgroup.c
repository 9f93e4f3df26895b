// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Container id and pod uid from cgroup paths; see cgroup.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"

static size_t hex_run(const char *s, const char *end)
{
	size_t n = 0;

	while (s + n < end && isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

/* A container id at p: 64 hex digits, followed by the end of a path element. */
static int id_at(const char *p, const char *end, char *id)
{
	size_t n = hex_run(p, end), i;

	if (n != 64 || (p + n < end && p[n] != '/' && p[n] != '.' && p[n] != '\n'))
		return 0;
	for (i = 0; i < n; i++)
		id[i] = (char)tolower((unsigned char)p[i]);
	id[n] = '\0';
	return 1;
}

/* The pod uid after "pod" in a kubepods element: 8-4-4-4-12 hex with '-' or '_'. */
static int pod_at(const char *p, const char *end, char *out)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	char pod[CGROUP_POD_MAX];
	size_t g, k, o = 0;

	for (g = 0; g < 5; g++) {
		for (k = 0; k < (size_t)groups[g]; k++, p++) {
			if (p >= end || !isxdigit((unsigned char)*p))
				return 0;
			pod[o++] = (char)tolower((unsigned char)*p);
		}
		if (g < 4) {
			if (p >= end || (*p != '-' && *p != '_'))
				return 0;
			pod[o++] = '-';
			p++;
		}
	}
	pod[o] = '\0';
	memcpy(out, pod, o + 1);
	return 1;
}

int cgroup_parse(const char *text, size_t len, char *id, char *pod)
{
	const char *end = text + len, *p;

	id[0] = '\0';
	pod[0] = '\0';
	for (p = text; p < end; p++) {
		if (p != text && p[-1] != '/' && p[-1] != '-' && p[-1] != ':')
			continue;	/* the start of a path element, or after a prefix */
		if (!id[0])
			id_at(p, end, id);
		if (!pod[0] && end - p > 3 && !strncmp(p, "pod", 3) &&
		    (p == text || p[-1] == '/' || p[-1] == '-'))
			pod_at(p + 3, end, pod);
	}
	return id[0] || pod[0] ? 0 : -ENOENT;
}

int cgroup_of(int pid, char *id, char *pod)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	id[0] = '\0';
	pod[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return cgroup_parse(buf, (size_t)n, id, pod);
}

int cgroup_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n <= 64 && hex_run(s, s + n) == n;
}
