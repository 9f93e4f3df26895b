// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Capabilities checked at start; see caps.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "caps.h"

#define C_DAC_READ_SEARCH	2
#define C_SYS_PTRACE		19
#define C_SYS_ADMIN		21
#define C_PERFMON		38
#define C_BPF			39
#define C_CHECKPOINT_RESTORE	40

static bool has(__u64 eff, int c)
{
	return eff & (1ULL << c);
}

static void add(char *buf, size_t cap, size_t *len, const char *name)
{
	int n;

	if (*len >= cap)
		return;
	n = snprintf(buf + *len, cap - *len, "%s%s", *len ? ", " : "", name);
	if (n > 0)
		*len += (size_t)n;
}

int caps_missing(__u64 eff, bool kernel_has_new, char *buf, size_t cap)
{
	bool admin = has(eff, C_SYS_ADMIN);
	size_t len = 0;
	int n = 0;

	if (cap)
		buf[0] = '\0';
	if (!admin && !kernel_has_new) {
		add(buf, cap, &len, "CAP_SYS_ADMIN");	/* the only way on this kernel */
		n++;
	}
	if (!admin && kernel_has_new) {
		if (!has(eff, C_BPF)) {
			add(buf, cap, &len, "CAP_BPF");
			n++;
		}
		if (!has(eff, C_PERFMON)) {
			add(buf, cap, &len, "CAP_PERFMON");
			n++;
		}
		if (!has(eff, C_CHECKPOINT_RESTORE)) {
			add(buf, cap, &len, "CAP_CHECKPOINT_RESTORE");
			n++;
		}
	}
	if (!has(eff, C_SYS_PTRACE)) {
		add(buf, cap, &len, "CAP_SYS_PTRACE");
		n++;
	}
	if (!has(eff, C_DAC_READ_SEARCH)) {
		add(buf, cap, &len, "CAP_DAC_READ_SEARCH");
		n++;
	}
	return n;
}

int caps_effective(__u64 *eff)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = (__u64)d[0].effective | ((__u64)d[1].effective << 32);
	return 0;
}

bool caps_kernel_has_new(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = 0;

	if (!f)
		return true;	/* cannot tell: assume a current kernel */
	if (fscanf(f, "%d", &last) != 1)
		last = C_CHECKPOINT_RESTORE;
	fclose(f);
	return last >= C_CHECKPOINT_RESTORE;
}
