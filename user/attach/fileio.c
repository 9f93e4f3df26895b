// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Bounded whole-file reads; see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fileio.h"

int fileio_read_fd_all(int fd, size_t hint, size_t max, char **out, size_t *out_len)
{
	size_t len = 0, cap = (hint < max ? hint : max) + 1;
	char *buf = NULL, *nbuf;
	ssize_t n;

	for (;;) {
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
		if (!buf || len == cap) {
			if (buf)	/* stop one byte past the limit */
				cap = cap > max / 2 ? max + 1 : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* openat2 through O_PATH, then reopened for reading once it is known to be regular. */
int fileio_open_in_root(int pid, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	char buf[64];
	struct stat st;
	int dfd = AT_FDCWD, pfd, fd;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (pid > 0) {
		snprintf(buf, sizeof(buf), "/proc/%d/root", pid);
		dfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		how.resolve |= RESOLVE_IN_ROOT;
	}
	pfd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	fd = pfd < 0 ? -errno : 0;
	if (dfd >= 0)
		close(dfd);
	if (fd)
		return fd;
	if (fstat(pfd, &st))
		fd = -errno;
	else if (!S_ISREG(st.st_mode))
		fd = -ENOEXEC;
	if (!fd) {
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", pfd);
		fd = open(buf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			fd = -errno;
	}
	close(pfd);
	return fd;
}
