// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Bounded whole-file reads; see fileio.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "fileio.h"

int read_fd_all(int fd, size_t hint, size_t max, char **out, size_t *out_len)
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
