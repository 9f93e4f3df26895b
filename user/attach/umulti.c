// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* uprobe_multi links through the bpf syscall; see umulti.h. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "umulti.h"

#define UMULTI_F_RETURN		1	/* BPF_F_UPROBE_MULTI_RETURN */
#define UMULTI_LINK_CREATE	28	/* BPF_LINK_CREATE */

/* The head of union bpf_attr for BPF_LINK_CREATE of a uprobe_multi link. */
struct multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u8 zero[68];			/* the rest of bpf_attr must be zero */
};

int umulti_link_create(int prog_fd, int pid, const char *path, const __u64 *offs,
		       const __u64 *cookies, __u32 n, bool ret)
{
	struct multi_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.attach_type = UMULTI_ATTACH_TYPE;
	a.path = (__u64)(unsigned long)path;
	a.offsets = (__u64)(unsigned long)offs;
	a.cookies = (__u64)(unsigned long)cookies;
	a.cnt = n;
	a.multi_flags = ret ? UMULTI_F_RETURN : 0;
	a.pid = pid > 0 ? (__u32)pid : 0;	/* 0: every process */
	fd = (int)syscall(__NR_bpf, UMULTI_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}
