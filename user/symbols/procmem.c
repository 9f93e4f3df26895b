// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Target memory reads through process_vm_readv(2): no ptrace stop, and a
 * fault in the target fails the call instead of the reader. The kernel may
 * return short counts (at a fault, or above its per-call limit), so reads
 * loop until done or until a call makes no progress.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include "procmem.h"

#define PROCMEM_PAGE_MIN	4096u

int procmem_read(int pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local, remote;
	size_t done = 0;
	ssize_t n;

	if (!len)
		return 0;
	if (len > SSIZE_MAX)
		return -EINVAL;
	if (addr > UINTPTR_MAX || len - 1 > UINTPTR_MAX - addr)
		return -EFAULT;		/* the range wraps */
	while (done < len) {
		local.iov_base = (char *)buf + done;
		local.iov_len = len - done;
		remote.iov_base = (void *)(uintptr_t)(addr + done);
		remote.iov_len = len - done;
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EFAULT;
		done += (size_t)n;
	}
	return 0;
}

static size_t page_size(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz >= (long)PROCMEM_PAGE_MIN ? (size_t)sz : PROCMEM_PAGE_MIN;
}

/* Copies n bytes sanitized; returns 1 once the terminating NUL was seen. */
static int take(char *dst, const char *src, size_t n, size_t *got)
{
	for (size_t i = 0; i < n; i++) {
		if (!src[i])
			return 1;
		dst[(*got)++] = src[i] >= 0x20 && src[i] <= 0x7e ? src[i] : '?';
	}
	return 0;
}

int procmem_read_str(int pid, __u64 addr, char *buf, size_t cap)
{
	size_t got = 0, pg = page_size(), chunk;
	char tmp[512];
	int err = 0;

	if (!cap)
		return -EINVAL;
	while (got < cap - 1) {
		chunk = pg - (size_t)(addr % pg);	/* stay inside this page */
		if (chunk > cap - 1 - got)
			chunk = cap - 1 - got;
		if (chunk > sizeof(tmp))
			chunk = sizeof(tmp);
		err = procmem_read(pid, addr, tmp, chunk);
		if (err || take(buf, tmp, chunk, &got))
			break;
		addr += chunk;
	}
	buf[got] = '\0';
	return err;
}
