// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Preflight checks of one run: the system (root, capabilities, BTF,
 * uprobes) and each PID given. See session_int.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include "caps.h"
#include "htab.h"
#include "log.h"
#include "procinfo.h"
#include "session.h"
#include "session_int.h"

int session_check_system(void)
{
	char missing[256];
	__u64 eff = 0;

	caps_effective(&eff);
	if (caps_missing(eff, caps_kernel_has_new(), missing, sizeof(missing))) {
		p_err("tlsmem %s the capabilities it needs: %s %s missing (CAP_BPF and "
		      "CAP_PERFMON load the BPF programs and attach uprobes, CAP_SYS_PTRACE reads "
		      "the targets' memory, CAP_DAC_READ_SEARCH their files, "
		      "CAP_CHECKPOINT_RESTORE opens their libraries through /proc/PID/map_files; "
		      "CAP_SYS_ADMIN stands in for CAP_BPF, CAP_PERFMON and "
		      "CAP_CHECKPOINT_RESTORE); %s", geteuid() ? "runs as a user without" :
		      "runs as root without", missing, strchr(missing, ',') ? "are" : "is",
		      geteuid() ? "run it as root (sudo)" :
		      "run it with its full capability set (not under a reduced bounding set "
		      "or in an unprivileged container), or grant those");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		p_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): tlsmem "
		      "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux >= 5.11)");
		return 1;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		p_err("this kernel has no uprobe support (no uprobe PMU in "
		      "/sys/bus/event_source/devices): tlsmem needs CONFIG_UPROBE_EVENTS=y");
		return 1;
	}
	return 0;
}

int session_thread_to_process(int pid)
{
	char comm[32] = "";
	int tgid = procinfo_tgid(pid);

	if (tgid <= 0 || tgid == pid)
		return pid;
	procinfo_comm(tgid, comm, sizeof(comm));
	p_info("%d is a thread of process %d (%s): observing the process", pid, tgid, comm);
	return tgid;
}

int session_check_pid(int pid)
{
	char st;

	if (pid == getpid()) {
		p_err("PID %d is tlsmem itself", pid);
		return 2;
	}
	if (kill(pid, 0) && errno == ESRCH) {
		p_err("no process with PID %d", pid);
		return 2;
	}
	st = procinfo_state(pid);
	if (!st) {
		p_err("no process with PID %d", pid);
		return 2;
	}
	if (st == 'Z') {
		p_err("PID %d is a zombie: it has exited and holds no memory", pid);
		return 2;
	}
	if (procinfo_is_kthread(pid) == 1) {
		p_err("PID %d is a kernel thread: it runs no OpenSSL", pid);
		return 2;
	}
	return 0;
}
