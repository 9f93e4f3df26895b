// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * One observation run; see session.h. Owns every resource of the run (the
 * targets, the BPF object and its links, the reader, the model) and releases
 * them on one path, so no probe outlives tlsmem whatever stops it.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "cgroup.h"
#include "htab.h"
#include "procmaps.h"
#include "csv.h"
#include "csvcols.h"
#include "elfobj.h"
#include "log.h"
#include "metrics.h"
#include "metrics_srv.h"
#include "model.h"
#include "opts.h"
#include "probe.h"
#include "procinfo.h"
#include "reader.h"
#include "report.h"
#include "debuginfod.h"
#include "sites.h"
#include "symcache.h"
#include "growth.h"
#include "sampler.h"
#include "target.h"
#include "tlsmem.h"
#include "tui.h"
#include "session.h"

#define POLL_MAX_MS	10
#define POLL_IDLE_MAX_MS 160		/* the longest look-every while no record comes */
#define DEBUGINFOD_TIMEOUT_MS	10000	/* per lookup; the end of a run waits this long at most */
#define FORKS_TOLD	8		/* forks followed that get an info line */

static volatile sig_atomic_t exiting;

struct session {
	const struct opts *o;
	struct target *targets;		/* the -p processes or COMMAND, then what they forked */
	size_t ntargets, targets_cap;
	bool follow;			/* --children, -- COMMAND, -a: forks followed in the kernel */
	struct htab verdicts;		/* -a: file (dev, inode) -> enum verdict */
	int *cands;			/* -a: processes to look at (an exec, a loader event) */
	size_t ncands, cands_cap;
	struct probe *probe;
	struct reader *rd;
	struct model *m;
	struct symcache *sc;
	struct sites *sites;
	struct dinfod *dinfod;		/* NULL: no debuginfod */
	pid_t child;			/* -- COMMAND, or 0 */
	bool child_execed;		/* COMMAND ran its first exec */
	__u64 nforks;			/* forks followed */
	int child_gate;			/* write end of the pipe the child waits on */
	__u64 attach_ns;		/* CLOCK_MONOTONIC when the probes were live */
	__u64 rss_bytes;
	bool mem_pss;			/* rss_bytes sums PSS over several processes */
	__u64 poll_seen;		/* records received at the last look */
	int poll_ms;			/* the current look-every (poll_every) */
	bool live_text;			/* print the text report every interval */
	struct sampler *sp;		/* growth detectors and the time line */
	struct tui *tui;		/* the live view, on a terminal */
	struct metrics_srv *msrv;	/* --metrics-listen */
	__u64 sockets;			/* open TCP sockets of the live targets */
	bool baseline_done;
	bool had_tui;
	bool metrics_failed;
	FILE *csv;			/* -o: time series */
	struct csv_writer *csv_w;
	__u64 prev_allocs, prev_frees, prev_ns;
	bool csv_failed;
	bool sites_failed;
	FILE *json_f;			/* --json=FILE */
	FILE *report_f;			/* --report=FILE */
	int out_err;			/* an output could not be written: exit 1 */
	/* established TCP sockets at attach (inodes, sorted), and how many are still open */
	__u64 *pre_socks;
	size_t npre_socks;
	__u64 pre_open;
	int held[OPTS_MAX_PIDS];	/* --hold-loads: targets continued lately, watched for a late stop */
	__u64 held_until[OPTS_MAX_PIDS];
};

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int check_system(void)
{
	char missing[256];
	__u64 eff = 0;

	caps_effective(&eff);
	if (caps_missing(eff, caps_kernel_has_new(), missing, sizeof(missing))) {
		p_err("tlsmem %s the capabilities it needs: %s is missing (CAP_BPF and "
		      "CAP_PERFMON load the BPF programs and attach uprobes, CAP_SYS_PTRACE reads "
		      "the targets' memory, CAP_DAC_READ_SEARCH their files, "
		      "CAP_CHECKPOINT_RESTORE opens their libraries through /proc/PID/map_files; "
		      "CAP_SYS_ADMIN stands in for CAP_BPF, CAP_PERFMON and "
		      "CAP_CHECKPOINT_RESTORE); %s", geteuid() ? "runs as a user without" :
		      "runs as root without", missing, geteuid() ? "run it as root (sudo)" :
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

/*
 * A thread id given as -p names its process: observed as that process (the
 * probes and the figures are per process). Returns the process id.
 */
static int thread_to_process(int pid)
{
	char comm[32] = "";
	int tgid = procinfo_tgid(pid);

	if (tgid <= 0 || tgid == pid)
		return pid;
	procinfo_comm(tgid, comm, sizeof(comm));
	p_info("%d is a thread of process %d (%s): observing the process", pid, tgid, comm);
	return tgid;
}

static struct target *target_of(struct session *s, int pid);

/* Usage-level problems with a PID: exit 2. */
static int check_pid(int pid)
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

/*
 * An executable without function symbols that carries OpenSSL's code (its
 * source file names are in the read-only data): OpenSSL cannot be found.
 */
static bool exe_stripped(int pid)
{
	struct elf_obj *o;
	char path[64];
	bool stripped;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	o = elf_obj__open(path);
	if (!o)
		return false;
	stripped = !elf_obj__has_symbols(o) && elf_obj__has_rodata_string(o, "ssl_lib.c");
	elf_obj__free(o);
	return stripped;
}

static int find_openssl(struct session *s, struct target *t)
{
	char seen[2048];
	int n = target__scan(t);

	if (n == -ESRCH) {
		p_err("PID %d exited before it could be examined", t->pid);
		return 1;
	}
	if (n < 0) {
		p_err("failed to read the memory map of PID %d: %s", t->pid, strerror(-n));
		return 1;
	}
	if (!t->nobjs && s->o->wait && t->loader) {
		p_info("no OpenSSL in PID %d (%s) yet: waiting for it to load a library that "
		       "defines CRYPTO_malloc, OPENSSL_malloc or SSL_new (libssl, libcrypto ...), "
		       "seen at its dynamic loader's next dlopen", t->pid, t->comm);
		return 0;
	}
	if (!t->nobjs && exe_stripped(t->pid)) {
		p_err("no OpenSSL found in PID %d (%s): its executable has no symbol table "
		      "(stripped), so the OpenSSL linked into it (CRYPTO_malloc, SSL_new ...) "
		      "cannot be found; run a build with symbols (.symtab or exported), or "
		      "link OpenSSL as a shared library",
		      t->pid, t->comm);
		return 1;
	}
	if (!t->nobjs) {
		target__describe_seen(t, seen, sizeof(seen));
		p_err("no OpenSSL in PID %d (%s): none of its mapped objects defines CRYPTO_malloc, "
		      "OPENSSL_malloc or SSL_new (looked in: %s)", t->pid, t->comm,
		      seen[0] ? seen : "no file mappings");
		return 1;
	}
	return 0;
}

/* Attaches what is found in t and not attached yet. */
static int attach_target(struct session *s, struct target *t)
{
	size_t i;
	int err;

	if (t->loader && !t->loader_attached &&
	    !probe__attach_loader(s->probe, t->pid, t->loader_path, t->loader))
		t->loader_attached = true;
	for (i = 0; i < t->nobjs; i++) {
		if (t->objs[i].attached)
			continue;
		err = probe__attach_obj(s->probe, t->pid, &t->objs[i]);
		if (err)
			return err;
		p_debug("probed %s in PID %d (%d probes)", t->objs[i].path, t->pid,
			t->objs[i].nprobes);
	}
	target__drop_elves(t);
	return 0;
}

/* A new target for pid, zeroed; NULL without memory. Pointers to targets die. */
static struct target *add_target(struct session *s, int pid)
{
	struct target *t;

	if (s->ntargets == s->targets_cap) {
		size_t cap = s->targets_cap ? s->targets_cap * 2 : 16;

		t = realloc(s->targets, cap * sizeof(*t));
		if (!t)
			return NULL;
		s->targets = t;
		s->targets_cap = cap;
	}
	t = &s->targets[s->ntargets++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->start_ns = now_ns();
	cgroup_of(pid, t->container, t->pod);
	return t;
}

static int setup_pids(struct session *s)
{
	size_t i;
	int err;

	for (i = 0; i < s->o->npids; i++) {
		struct target *t;
		int pid;

		err = check_pid(s->o->pids[i]);
		if (err)
			return err;
		pid = thread_to_process(s->o->pids[i]);
		if (target_of(s, pid)) {
			p_info("PID %d is already observed", pid);
			continue;
		}
		t = add_target(s, pid);
		if (!t) {
			p_err("out of memory");
			return 1;
		}
		procinfo_comm(t->pid, t->comm, sizeof(t->comm));
		err = find_openssl(s, t);
		if (err)
			return err;
	}
	return 0;
}

/* Resolves COMMAND like execvp would, into buf. */
static int resolve_cmd(const char *cmd, char *buf, size_t cap)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(cmd, '/')) {
		if (!realpath(cmd, buf))
			return -errno;
		return access(buf, X_OK) ? -errno : 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if ((size_t)(end - p) + strlen(cmd) + 2 > cap)
			continue;
		snprintf(buf, cap, "%.*s/%s", (int)(end - p), p, cmd);
		if (!access(buf, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* Forks COMMAND held at a gate until the probes are attached. */
static int spawn_child(struct session *s)
{
	int gate[2];
	char c;

	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	s->child = fork();
	if (s->child < 0) {
		close(gate[0]);
		close(gate[1]);
		return -errno;
	}
	if (s->child == 0) {
		close(gate[1]);
		if (read(gate[0], &c, 1) != 1)
			_exit(127);	/* tlsmem gave up before attaching */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(s->o->cmd[0], s->o->cmd);
		fprintf(stderr, "tlsmem: error: failed to run %s: %s\n", s->o->cmd[0],
			strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	s->child_gate = gate[1];
	return 0;
}

static int setup_cmd(struct session *s)
{
	struct target *t;
	char exe[PATH_MAX], interp[PATH_MAX];
	int err;

	err = resolve_cmd(s->o->cmd[0], exe, sizeof(exe));
	if (err) {
		p_err("cannot run %s: %s", s->o->cmd[0], strerror(-err));
		return 2;
	}
	err = elfobj_interp(exe, interp, sizeof(interp));
	if (err) {
		p_err("cannot read %s as an ELF executable: %s (scripts: run their interpreter, "
		      "e.g. -- node app.js)", exe, strerror(-err));
		return 2;
	}
	err = spawn_child(s);
	if (err) {
		p_err("failed to start %s: %s", s->o->cmd[0], strerror(-err));
		return 1;
	}
	t = add_target(s, s->child);
	if (!t) {
		p_err("out of memory");
		return 1;
	}
	t->child = true;
	snprintf(t->comm, sizeof(t->comm), "%s", strrchr(exe, '/') + 1);
	/* before exec: the executable's own OpenSSL, and the loader that maps the rest */
	target__add_file(t, exe);
	if (interp[0])
		target__add_file(t, interp);
	return 0;
}

static int attach_all(struct session *s)
{
	size_t i;
	int err;

	for (i = 0; i < s->ntargets; i++) {
		err = attach_target(s, &s->targets[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Appends name to the ", "-separated list in buf unless it is there already. */
static void add_once(char *buf, size_t cap, const char *name)
{
	size_t len = strlen(buf), n = strlen(name);
	const char *p;

	for (p = buf; (p = strstr(p, name)); p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	if (len + n + 3 < cap)
		snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name);
}

/* The objects probed, each named once however many processes map it. */
static void objects_probed(struct session *s, char *objs, size_t cap)
{
	size_t i, j;

	objs[0] = '\0';
	for (i = 0; i < s->ntargets; i++)
		for (j = 0; j < s->targets[i].nobjs; j++) {
			const char *p = s->targets[i].objs[j].path, *b = strrchr(p, '/');

			add_once(objs, cap, b ? b + 1 : p);
		}
}

static void say_attached(struct session *s, __u64 t0)
{
	double ms = (double)(now_ns() - t0) / 1e6;
	char objs[1024], pids[256] = "";
	size_t i;

	objects_probed(s, objs, sizeof(objs));
	for (i = 0; i < s->ntargets && i < 4; i++) {
		size_t len = strlen(pids);

		snprintf(pids + len, sizeof(pids) - len, "%s%d %s", i ? ", " : "",
			 s->targets[i].pid, s->targets[i].comm);
	}
	if (s->ntargets > 4)
		snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), ", ...");
	if (s->o->all)
		p_info("attached to %zu OpenSSL process%s on this host (%s): %s; %d probes in "
		       "%.0f ms", s->ntargets, s->ntargets == 1 ? "" : "es",
		       s->ntargets ? pids : "none yet", objs[0] ? objs : "none yet",
		       probe__count(s->probe), ms);
	else if (s->child)
		p_info("attached to %s (PID %d) before exec: %s; %d probes in %.0f ms",
		       s->targets[0].comm, s->child, objs[0] ? objs : "libraries probed as loaded",
		       probe__count(s->probe), ms);
	else if (!objs[0])
		p_info("attached to %zu process%s (PID %s): no OpenSSL loaded yet, its dynamic "
		       "loader probed: waiting for OpenSSL to be loaded (%.0f ms)", s->ntargets,
		       s->ntargets > 1 ? "es" : "", pids, ms);
	else
		p_info("attached to %zu process%s (PID %s): %s; %d probes in %.0f ms",
		       s->ntargets, s->ntargets > 1 ? "es" : "", pids, objs,
		       probe__count(s->probe), ms);
}

/*
 * The target running as pid. A pid reused after a target exited is another
 * process: the newest target with that pid counts, and only while it runs
 * (COMMAND itself until it is reaped).
 */
static struct target *target_of(struct session *s, int pid)
{
	size_t i;

	for (i = s->ntargets; i-- > 0;)
		if (s->targets[i].pid == pid)
			return !s->targets[i].exited || s->targets[i].child ? &s->targets[i] : NULL;
	return NULL;
}

/* --- followed processes: forks, execs and exits, seen in the kernel --- */

static void all_candidate(struct session *s, int pid);

static __u32 follow_flags(const struct session *s)
{
	/* -- COMMAND: every process of the tree waits at exec and loader events */
	return TLSMEM_PID_FOLLOW | (s->o->cmd ? TLSMEM_PID_STOP : 0);
}

/*
 * A followed process mapped something new: its addresses are read now, so
 * that they resolve even after it is gone; under -- COMMAND it waits for
 * this, stopped.
 */
static void follow_mapped(struct session *s, struct target *t)
{
	symcache__reload(s->sc, t->pid);
	if (s->o->cmd && t->pid != s->child)
		kill(t->pid, SIGCONT);
}

/* The wrapper return points of child, whose mappings are parent's. */
static void follow_objects(struct session *s, struct target *child, struct target *parent)
{
	size_t i;

	for (i = 0; i < parent->nobjs; i++)
		if (parent->objs[i].attached)
			probe__attach_obj(s->probe, child->pid, &parent->objs[i]);
}

/*
 * parent forked child, which the kernel put in the filter before it ran:
 * it shares parent's mappings, so parent's files are not examined again and
 * its sites resolve with parent's maps, even once it is gone.
 */
static struct target *follow_fork(struct session *s, int parent, int child)
{
	struct target *t = target_of(s, child), *pt;

	if (t)
		return t;
	t = add_target(s, child);
	if (!t)
		return NULL;
	t->ppid = parent;
	pt = target_of(s, parent);
	if (pt) {
		memcpy(t->comm, pt->comm, sizeof(t->comm));
		target__inherit(t, pt);
	}
	symcache__inherit(s->sc, child, parent);
	/* fork-per-connection servers fork all the time: the first few are told */
	if (++s->nforks <= FORKS_TOLD)
		p_info("following child PID %d (%s) of PID %d%s", child, t->comm, parent,
		       s->nforks == FORKS_TOLD ? "; further children are followed quietly" : "");
	else
		p_debug("following child PID %d of PID %d", child, parent);
	return t;
}

/* pid runs a new program: its files are examined afresh. */
static void follow_exec(struct session *s, int pid, bool stopped)
{
	struct target *t = target_of(s, pid);

	if (!t) {
		if (s->o->all)
			all_candidate(s, pid);
		return;
	}
	/* the first exec of COMMAND was prepared before it started */
	if (!t->child || s->child_execed) {
		target__release(t, false);
		t->exited = false;
	}
	if (t->child)
		s->child_execed = true;
	procinfo_comm(pid, t->comm, sizeof(t->comm));
	if (target__scan(t) > 0 || (t->loader && !t->loader_attached))
		attach_target(s, t);
	probe__resolve_wraps(s->probe);
	symcache__reload(s->sc, pid);
	p_debug("PID %d runs %s", pid, t->comm);
	if (stopped)
		kill(pid, SIGCONT);
}

static void follow_exit(struct session *s, int pid, int code)
{
	struct target *t = target_of(s, pid);

	if (!t || t->child)
		return;		/* COMMAND itself is reaped by waitpid */
	t->exited = true;
	t->exit_status = code;
	t->exit_ns = now_ns();
	target__release(t, true);
	symcache__forget_pid(s->sc, pid);
}

/* The reader's hook: fork, exec and exit records, in ring buffer order. */
static void on_proc_event(void *ctx, const struct tlsmem_short *e)
{
	struct session *s = ctx;

	switch (e->h.kind) {
	case TLSMEM_EV_FORK:
		follow_fork(s, (int)e->h.pid, (int)e->ptr);
		break;
	case TLSMEM_EV_EXEC:
		follow_exec(s, (int)e->h.pid, e->h.aux);
		break;
	case TLSMEM_EV_EXIT:
		follow_exit(s, (int)e->h.pid, (int)e->h.aux);
		break;
	}
}

/* Same program file as the parent: no exec since the fork (as far as can be told). */
static bool same_exe(int a, int b)
{
	char pa[64], pb[64];
	struct stat sa, sb;

	snprintf(pa, sizeof(pa), "/proc/%d/exe", a);
	snprintf(pb, sizeof(pb), "/proc/%d/exe", b);
	return !stat(pa, &sa) && !stat(pb, &sb) && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Children forked before tlsmem started: followed like new ones. */
static void follow_existing(struct session *s, size_t i)
{
	char path[96];
	glob_t g;
	size_t j;
	int pid;

	snprintf(path, sizeof(path), "/proc/%d/task/*/children", s->targets[i].pid);
	if (glob(path, 0, NULL, &g))
		return;
	for (j = 0; j < g.gl_pathc; j++) {
		FILE *f = fopen(g.gl_pathv[j], "re");
		struct target *t;

		while (f && fscanf(f, "%d", &pid) == 1) {
			if (target_of(s, pid) || probe__follow(s->probe, pid, follow_flags(s)))
				continue;
			if (!same_exe(pid, s->targets[i].pid)) {
				t = add_target(s, pid);
				if (t) {
					t->ppid = s->targets[i].pid;
					procinfo_comm(pid, t->comm, sizeof(t->comm));
					if (target__scan(t) > 0)
						attach_target(s, t);
				}
				continue;
			}
			t = follow_fork(s, s->targets[i].pid, pid);
			if (t)
				follow_objects(s, t, &s->targets[i]);
		}
		if (f)
			fclose(f);
	}
	globfree(&g);
	probe__resolve_wraps(s->probe);
}

/* --- -a: every OpenSSL process on the host --- */

enum verdict { V_NONE = 1, V_SSL, V_LOADER };

#define CANDS_MAX	4096		/* processes waiting to be looked at */
#define CANDS_PER_PASS	64		/* looked at per pass of the loop */

static __u64 file_key(const struct map_entry *e)
{
	return ((__u64)e->dev_major << 52) ^ ((__u64)e->dev_minor << 40) ^ e->inode;
}

/* What the file e maps holds, examined once per file for the whole host. */
static enum verdict verdict_of(struct session *s, int pid, const struct map_entry *e)
{
	__u32 *v = htab__find(&s->verdicts, file_key(e), 0);
	enum verdict r = V_NONE;
	struct elf_obj *o;
	char path[64];
	__u64 off;

	if (v)
		return (enum verdict)*v;
	if (procmaps_object_path(pid, e, path, sizeof(path)))
		return V_NONE;
	o = elf_obj__open(path);
	if (!o)
		return V_NONE;		/* not ELF or gone: asked again next time */
	if (!elf_obj__func_off(o, "CRYPTO_malloc", &off) ||
	    !elf_obj__func_off(o, "OPENSSL_malloc", &off) || !elf_obj__func_off(o, "SSL_new", &off))
		r = V_SSL;
	else if (!elf_obj__func_off(o, "_dl_debug_state", &off))
		r = V_LOADER;
	if (r == V_LOADER && s->probe)
		probe__attach_loader(s->probe, pid, path, o);	/* once per loader file */
	elf_obj__free(o);
	htab__put(&s->verdicts, file_key(e), 0, r);
	return r;
}

/* --exe and --container: whether pid is one of those asked for. */
static bool all_wanted(struct session *s, int pid, char *exe, size_t cap)
{
	char path[64], id[CGROUP_ID_MAX], pod[CGROUP_POD_MAX], comm[32] = "";
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, cap - 1);
	if (n <= 0)
		return false;		/* a kernel thread, or gone */
	exe[n] = '\0';
	if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
		exe[n - 10] = '\0';
	if (s->o->exe) {
		base = strrchr(exe, '/');
		procinfo_comm(pid, comm, sizeof(comm));
		if (strcmp(base ? base + 1 : exe, s->o->exe) && strcmp(comm, s->o->exe))
			return false;
	}
	if (s->o->container) {
		cgroup_of(pid, id, pod);
		if (strncmp(id, s->o->container, strlen(s->o->container)))
			return false;
	}
	return true;
}

/*
 * pid, seen at start, at an exec or at a loader event: observed from now on
 * if it maps OpenSSL (and passes the filters). Files without OpenSSL are
 * examined once for the whole host; a loader is probed once per file, so
 * its later loads are reported. Never tlsmem itself.
 */
static void all_consider(struct session *s, int pid)
{
	struct map_list ml = { 0 };
	char exe[sizeof(((struct target *)0)->exe)];
	bool ssl = false;
	struct target *t;
	size_t i;

	if (pid == getpid() || target_of(s, pid) || !all_wanted(s, pid, exe, sizeof(exe)) ||
	    procmaps_read(pid, &ml))
		return;
	for (i = 0; i < ml.n; i++)
		if (ml.v[i].inode && ml.v[i].path[0] == '/' &&
		    verdict_of(s, pid, &ml.v[i]) == V_SSL)
			ssl = true;
	if (!ssl || probe__follow(s->probe, pid, TLSMEM_PID_FOLLOW))
		goto cleanup;
	t = add_target(s, pid);
	if (!t)
		goto cleanup;
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	procinfo_comm(pid, t->comm, sizeof(t->comm));
	for (i = 0; i < ml.n; i++)
		if (ml.v[i].inode && ml.v[i].path[0] == '/' &&
		    verdict_of(s, pid, &ml.v[i]) == V_NONE)
			target__skip(t, &ml.v[i]);
	if (target__scan(t) > 0)
		attach_target(s, t);
	symcache__reload(s->sc, pid);
	/* found after start: said (at start, the attached line counts them) */
	if (s->attach_ns)
		p_info("observing PID %d (%s, %s)%s%s", pid, t->comm, t->exe,
		       t->container[0] ? " in container " : "", t->container);
cleanup:
	map_list__free(&ml);
}

/* Queues pid for all_consider() (an exec or a loader event of a process not observed). */
static void all_candidate(struct session *s, int pid)
{
	size_t i;

	for (i = 0; i < s->ncands; i++)
		if (s->cands[i] == pid)
			return;
	if (s->ncands == s->cands_cap) {
		size_t cap = s->cands_cap ? s->cands_cap * 2 : 64;
		int *v;

		if (cap > CANDS_MAX)
			return;		/* a storm of execs: the next tick's scan finds them */
		v = realloc(s->cands, cap * sizeof(*v));
		if (!v)
			return;
		s->cands = v;
		s->cands_cap = cap;
	}
	s->cands[s->ncands++] = pid;
}

/* Looks at the queued processes, a bounded number per pass. */
static void all_pass(struct session *s)
{
	size_t i, n = s->ncands < CANDS_PER_PASS ? s->ncands : CANDS_PER_PASS;

	for (i = 0; i < n; i++)
		all_consider(s, s->cands[i]);
	memmove(s->cands, s->cands + n, (s->ncands - n) * sizeof(*s->cands));
	s->ncands -= n;
}

/* Every process there is, in pid order. */
static void all_scan(struct session *s)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int pid;

	while (dir && (d = readdir(dir)))
		if ((pid = atoi(d->d_name)) > 0)
			all_consider(s, pid);
	if (dir)
		closedir(dir);
}

/* -a at start: the processes there are; --container must name one that exists. */
static int all_start(struct session *s)
{
	char id[CGROUP_ID_MAX], pod[CGROUP_POD_MAX];
	struct dirent *d;
	bool found = false;
	DIR *dir;
	int pid;

	if (s->o->container) {
		dir = opendir("/proc");
		while (dir && !found && (d = readdir(dir)))
			if ((pid = atoi(d->d_name)) > 0 && !cgroup_of(pid, id, pod) &&
			    !strncmp(id, s->o->container, strlen(s->o->container)))
				found = true;
		if (dir)
			closedir(dir);
		if (!found) {
			p_err("no process runs in a container whose id starts with %s (ids as "
			      "docker ps --no-trunc or crictl ps show them)", s->o->container);
			return 2;
		}
	}
	all_scan(s);
	p_info("observing %zu OpenSSL process%s on this host%s%s%s%s; new ones as they "
	       "start or load OpenSSL", s->ntargets, s->ntargets == 1 ? "" : "es",
	       s->o->exe ? ", program " : "", s->o->exe ? s->o->exe : "",
	       s->o->container ? ", container " : "", s->o->container ? s->o->container : "");
	return 0;
}

/* Puts the targets in the BPF side's filter, then what they forked already. */
static int follow_start(struct session *s)
{
	size_t i, n = s->ntargets;
	int err;

	if (!s->follow)
		return 0;
	reader__set_proc_fn(s->rd, on_proc_event, s);
	for (i = 0; i < n; i++) {
		err = probe__follow(s->probe, s->targets[i].pid, follow_flags(s));
		if (err) {
			p_err("failed to follow PID %d: %s", s->targets[i].pid, strerror(-err));
			return 1;
		}
	}
	if (s->o->all)
		return all_start(s);
	/* new targets are appended: each is walked in turn, the whole tree */
	for (i = 0; i < s->ntargets && !s->o->cmd; i++)
		follow_existing(s, i);
	return 0;
}

/* An object mapped after the probes were live (dlopen): said, with its blind window. */
static void note_late(struct session *s, struct target *t, struct ssl_obj *obj)
{
	const char *b = strrchr(obj->path, '/');
	__u64 now = now_ns();

	obj->late = true;
	b = b ? b + 1 : obj->path;
	if (s->o->cmd) {	/* the command's whole tree waits at its loads */
		p_debug("probed %s in PID %d, loaded while the process was held", b, t->pid);
		return;
	}
	if (s->o->hold_loads) {
		p_info("probed %s in PID %d (%s), loaded after attach: the process was held at "
		       "the load, nothing missed", b, t->pid, t->comm);
		return;
	}
	/* from the loader's event to now: the process ran unobserved in that library */
	obj->unobserved_ns = t->loader_ns && now > t->loader_ns ? now - t->loader_ns : 1;
	p_info("probed %s in PID %d (%s), loaded after attach: its probes came %.0f ms after "
	       "the load, and what it allocated in between was not seen (--hold-loads holds "
	       "the process at the load instead)", b, t->pid, t->comm,
	       (double)obj->unobserved_ns / 1e6);
}

/* After a loader event: probes what t mapped since, and says what came late. */
static void attach_loaded(struct session *s, struct target *t)
{
	size_t i, n0 = t->nobjs;
	int n = target__scan(t);

	if (n > 0 || (t->loader && !t->loader_attached))
		attach_target(s, t);
	for (i = n0; i < t->nobjs; i++)
		if (t->objs[i].attached)
			note_late(s, t, &t->objs[i]);
}

/*
 * The child's state changes. A stop is the BPF side's SIGSTOP at a loader
 * event, which the kernel may deliver late (from irq_work) after our
 * SIGCONT for that event: whenever the child is seen stopped, probe what
 * it mapped and let it go on.
 */
static void check_child(struct session *s, struct target *t)
{
	int status;
	pid_t r = waitpid(t->pid, &status, WNOHANG | WUNTRACED);

	if (r != t->pid)
		return;
	if (WIFSTOPPED(status)) {
		attach_loaded(s, t);
		probe__resolve_wraps(s->probe);
		kill(t->pid, SIGCONT);
		return;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		t->exited = true;
		t->exit_status = status;
		s->child = 0;
	}
}

/* --hold-loads: pid was let go after a load; watched a while for a stop delivered late. */
static void hold_watch(struct session *s, int pid)
{
	__u64 until = now_ns() + 2000000000ULL;
	size_t i, free_slot = OPTS_MAX_PIDS;

	for (i = 0; i < OPTS_MAX_PIDS; i++) {
		if (s->held[i] == pid) {
			s->held_until[i] = until;
			return;
		}
		if (!s->held[i] && free_slot == OPTS_MAX_PIDS)
			free_slot = i;
	}
	if (free_slot < OPTS_MAX_PIDS) {
		s->held[free_slot] = pid;
		s->held_until[free_slot] = until;
	}
}

/*
 * --hold-loads: the BPF side's SIGSTOP may be delivered after our SIGCONT
 * for the same load (it comes from irq_work): a watched target seen stopped
 * is probed again and let go.
 */
static void hold_check(struct session *s)
{
	__u64 now = now_ns();
	size_t i;

	for (i = 0; i < OPTS_MAX_PIDS; i++) {
		struct target *t;

		if (!s->held[i])
			continue;
		if (now > s->held_until[i]) {
			s->held[i] = 0;
			continue;
		}
		if (procinfo_state(s->held[i]) != 'T')
			continue;
		t = target_of(s, s->held[i]);
		if (t)
			attach_loaded(s, t);
		kill(s->held[i], SIGCONT);
	}
}

/*
 * After loader events (the maps-changed records): probes what each target
 * mapped since, lets the processes held at the load go on, and looks at the
 * child.
 */
static void rescan(struct session *s)
{
	int pids[64];
	__u64 ts[64];
	size_t i, n = reader__take_maps_changed(s->rd, pids, ts, 64);

	for (i = 0; i < n; i++) {
		struct target *t = target_of(s, pids[i]);

		if (t) {
			t->loader_ns = ts[i];
			attach_loaded(s, t);
			probe__resolve_wraps(s->probe);
			if (t->child && t->comm[0])
				procinfo_comm(t->pid, t->comm, sizeof(t->comm));
			if (s->follow)
				follow_mapped(s, t);
		} else if (s->o->all) {
			all_candidate(s, pids[i]);	/* a process not observed loaded something */
		}
		if (pids[i] == s->child) {
			kill(s->child, SIGCONT);
		} else if (s->o->hold_loads) {
			kill(pids[i], SIGCONT);
			hold_watch(s, pids[i]);
		}
	}
	if (s->o->hold_loads)
		hold_check(s);
	if (s->child)
		check_child(s, s->targets);
}


/*
 * Whether t still runs. Under -- COMMAND a process of the tree found
 * stopped (its loader record was lost) is examined and let go on.
 */
static bool target_alive(struct session *s, struct target *t)
{
	char st;

	if (t->child && !t->exited) {
		check_child(s, t);
		return !t->exited;
	}
	if (t->exited)
		return false;
	/* followed processes: their exit comes from the kernel; a lost record from kill */
	if (s->follow && !s->o->cmd) {
		if (kill(t->pid, 0) && errno == ESRCH) {
			t->exited = true;
			t->exit_ns = now_ns();
		}
		return !t->exited;
	}
	st = procinfo_state(t->pid);
	if (!st || st == 'Z') {
		t->exited = true;
		if (!t->exit_ns)
			t->exit_ns = now_ns();
		return false;
	}
	if (st == 'T' && s->follow && s->o->cmd) {
		if (target__scan(t) > 0)
			attach_target(s, t);
		follow_mapped(s, t);
	}
	return true;
}

/* One network namespace's connected TCP sockets, read once per interval. */
struct netns_tab {
	__u64 ns;
	__u64 *v;
	size_t n;
	int err;
};

#define NETNS_MAX	16

/* The table of pid's network namespace, read on first use; NULL when unknown. */
static struct netns_tab *netns_of(struct netns_tab *tabs, size_t *ntabs, int pid)
{
	struct netns_tab *t;
	__u64 ns;
	size_t i;

	if (procinfo_netns(pid, &ns))
		return NULL;
	for (i = 0; i < *ntabs; i++)
		if (tabs[i].ns == ns)
			return tabs[i].err ? NULL : &tabs[i];
	if (*ntabs == NETNS_MAX)
		return NULL;
	t = &tabs[(*ntabs)++];
	t->ns = ns;
	t->err = procinfo_tcp_table(pid, &t->v, &t->n);
	return t->err ? NULL : t;
}

/*
 * Memory and sockets of the live targets: RSS for one process, summed PSS
 * for several (RSS would count their shared pages once per process); each
 * network namespace's TCP table is read once.
 */
static void measure(struct session *s, struct target **live, size_t n)
{
	struct netns_tab tabs[NETNS_MAX];
	__u64 mem = 0, socks = 0, v;
	size_t i, ntabs = 0;
	bool pss = n > 1;

	for (i = 0; i < n; i++) {
		struct netns_tab *t = socks != UINT64_MAX ? netns_of(tabs, &ntabs, live[i]->pid) : NULL;

		if (!(pss ? procinfo_pss(live[i]->pid, &v) : procinfo_rss(live[i]->pid, &v)))
			mem += v;
		if (socks == UINT64_MAX)
			continue;
		if (!t || procinfo_count_sockets(live[i]->pid, t->v, t->n, &v))
			socks = UINT64_MAX;
		else
			socks += v;
	}
	for (i = 0; i < ntabs; i++)
		free(tabs[i].v);
	s->rss_bytes = mem;
	s->mem_pss = pss;
	s->sockets = socks;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

/*
 * Connections open before attach: their SSL objects are unknown until they
 * next read or write (then adopted). Their sockets (established TCP at
 * attach) are remembered, to count those still open and not adopted yet.
 */
static void preattach_take(struct session *s)
{
	size_t i, n;
	__u64 *v;

	for (i = 0; i < s->ntargets; i++) {
		__u64 *nv;

		if (s->targets[i].child || procinfo_tcp_established(s->targets[i].pid, &v, &n))
			continue;
		nv = n ? realloc(s->pre_socks, (s->npre_socks + n) * sizeof(*nv)) : NULL;
		s->targets[i].pre_conns = nv != NULL;
		if (nv) {
			memcpy(nv + s->npre_socks, v, n * sizeof(*v));
			s->pre_socks = nv;
			s->npre_socks += n;
		}
		free(v);
	}
	qsort(s->pre_socks, s->npre_socks, sizeof(*s->pre_socks), cmp_u64);
	s->pre_open = s->npre_socks;
}

/*
 * How many of the connections open at attach are open still: looked for in
 * the targets that had them only, and no more once they are all closed.
 */
static void preattach_count(struct session *s)
{
	__u64 open = 0, *v;
	size_t i, j, n;

	if (!s->pre_open)
		return;
	for (i = 0; i < s->ntargets; i++) {
		if (!s->targets[i].pre_conns || s->targets[i].exited ||
		    procinfo_tcp_established(s->targets[i].pid, &v, &n))
			continue;
		for (j = 0; j < n; j++)
			open += bsearch(&v[j], s->pre_socks, s->npre_socks, sizeof(*v),
					cmp_u64) != NULL;
		free(v);
	}
	s->pre_open = open;
}

/* Once per interval: who is alive, how much memory they hold. */
static bool tick(struct session *s)
{
	struct target **live = calloc(s->ntargets ? s->ntargets : 1, sizeof(*live));
	size_t i, alive = 0;

	probe__resolve_wraps(s->probe);
	model__advance_clock(s->m, now_ns());
	for (i = 0; i < s->ntargets; i++) {
		struct target *t = &s->targets[i];

		if (!target_alive(s, t))
			continue;
		if (live)
			live[alive] = t;
		alive++;
	}
	if (alive && live)
		measure(s, live, alive);
	if (alive)
		preattach_count(s);
	free(live);
	return alive > 0 || s->o->all;	/* -a waits for processes to come */
}

static void fill_summary(struct session *s, struct summary *sum)
{
	__u64 live_adopted;

	memset(sum, 0, sizeof(*sum));
	sum->targets = s->targets;
	sum->ntargets = s->ntargets;
	sum->duration_s = (double)(now_ns() - s->attach_ns) / 1e9;
	model__totals(s->m, &sum->tot);
	sum->rss_bytes = s->rss_bytes;
	sum->mem_pss = s->mem_pss;
	sum->events_received = reader__received(s->rd);
	sum->events_lost = probe__lost(s->probe) + reader__failed(s->rd);
	sum->model = s->m;
	sum->sites = s->sites;
	sum->max_sites = 20;
	sum->interval_s = (double)s->o->interval_ms / 1000;
	sum->open_sockets = s->sockets;
	sum->pre_attach_conns = s->npre_socks;
	/* the adopted ones still live came from those connections */
	live_adopted = sum->tot.ssl_live - sum->tot.ssl_new_live;
	sum->pre_attach_waiting = s->pre_open > live_adopted ? s->pre_open - live_adopted : 0;
	sum->probes = (__u64)probe__count(s->probe);
	sum->probe_hits = probe__hits(s->probe);
	sum->light = s->o->light;
	sum->tlsmem_bytes = model__bytes(s->m) + sampler__bytes(s->sp);
	if (procinfo_rss(getpid(), &sum->tlsmem_rss))
		sum->tlsmem_rss = 0;
	sum->ringbuf_bytes = probe__ringbuf_bytes(s->probe);
	sum->growth = sampler__growth(s->sp);
	sum->hist = sampler__history(s->sp);
	sum->baseline_s = sampler__baseline_s(s->sp);
}

/* An output that cannot be written: says why (a symlink refused says so); exit status 1. */
static int output_error(const char *opt, const char *path, int err)
{
	if (err == ELOOP)
		p_err("cannot write %s %s: it is a symbolic link, and tlsmem never writes through "
		      "one (give the real path)", opt, path);
	else
		p_err("cannot write %s %s: %s", opt, path, strerror(err));
	return 1;
}

/* A file rewritten every interval through PATH.tmp: can it be? Exit status 1 if not. */
static int check_rewritten(const char *opt, const char *path)
{
	struct stat st;
	int err;

	if (opts_is_stdout(path))
		return 0;	/* written once, at the end */
	if (!lstat(path, &st) && S_ISLNK(st.st_mode))
		return output_error(opt, path, ELOOP);
	err = metrics_file_check(path);
	return err ? output_error(opt, path, -err) : 0;
}

/* --json=FILE, --report=FILE: opened (and truncated) before attaching, written at the end. */
static int open_summary_file(const char *opt, const char *path, FILE **f)
{
	if (!path || opts_is_stdout(path))
		return 0;
	*f = csv_open(path);
	return *f ? 0 : output_error(opt, path, errno);
}

static int open_metrics(struct session *s)
{
	if (s->o->metrics_file && check_rewritten("--metrics-file", s->o->metrics_file))
		return 1;
	if (s->o->sites_csv && check_rewritten("--sites-csv", s->o->sites_csv))
		return 1;
	if (open_summary_file("--json", s->o->json_path, &s->json_f) ||
	    open_summary_file("--report", s->o->report_path, &s->report_f))
		return 1;
	if (!s->o->metrics_listen)
		return 0;
	s->msrv = metrics_srv__new(s->o->metrics_listen);
	if (!s->msrv) {
		p_err("cannot serve --metrics-listen %s: %s", s->o->metrics_listen,
		      errno == EINVAL ? "expected ADDR:PORT with a numeric address, e.g. "
		      "127.0.0.1:9464" : strerror(errno));
		return 2;
	}
	return 0;
}

/* Output files are opened before attaching: a bad path costs the target nothing. */
static int open_outputs(struct session *s)
{
	int err = open_metrics(s);

	if (err || !s->o->csv)
		return err;
	s->csv = csv_open(s->o->csv);
	if (!s->csv)
		return output_error("the CSV file", s->o->csv, errno);
	s->csv_w = csv_writer__new(s->csv);
	if (!s->csv_w) {
		p_err("out of memory");
		return 1;
	}
	csvcols_header(s->csv_w);
	return 0;
}

static void csv_row(struct session *s)
{
	struct summary sum;
	struct csvcols_in in = { .s = &sum };
	double dt;
	__u64 now = now_ns();

	fill_summary(s, &sum);
	dt = (double)(now - s->prev_ns) / 1e9;
	if (dt <= 0)
		dt = 1;
	in.allocs_per_s = (double)(sum.tot.allocs - s->prev_allocs) / dt;
	in.frees_per_s = (double)(sum.tot.frees - s->prev_frees) / dt;
	if (csvcols_row(s->csv_w, &in) == -EIO && !s->csv_failed) {
		p_err("failed to write the CSV file %s: %s; the other outputs go on (exit "
		      "status 1)", s->o->csv, strerror(errno ? errno : EIO));
		s->csv_failed = true;
		s->out_err = 1;
	}
	s->prev_allocs = sum.tot.allocs;
	s->prev_frees = sum.tot.frees;
	s->prev_ns = now;
}

/* Rewritten whole every interval, through a rename: a reader never sees half a file. */
static void sites_csv(struct session *s)
{
	char tmp[PATH_MAX];
	struct summary sum;
	FILE *f;
	int err;

	if (opts_is_stdout(s->o->sites_csv))
		return;		/* once, at the end */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", s->o->sites_csv) >= (int)sizeof(tmp))
		return;
	f = csv_open(tmp);
	err = f ? 0 : -errno;
	if (f) {
		fill_summary(s, &sum);
		err = report_sites_csv(f, &sum);
		if (fclose(f) && !err)
			err = -EIO;
		if (!err && rename(tmp, s->o->sites_csv))
			err = -errno;
		if (err)
			unlink(tmp);
	}
	if (err && !s->sites_failed) {
		p_err("failed to write --sites-csv %s: %s; the other outputs go on (exit status 1)",
		      s->o->sites_csv, strerror(-err));
		s->sites_failed = true;
		s->out_err = 1;
	}
}

static void print_live(struct session *s)
{
	struct summary sum;

	fill_summary(s, &sum);
	fputs("\033[H\033[2J", stdout);
	report_text(stdout, &sum);
}

/* Between intervals: owners that died long enough ago are weighed, and judged. */
static void evidence(struct session *s)
{
	__u64 now = now_ns();

	model__advance_clock(s->m, now);
	model__mature(s->m, now);
	sampler__evidence(s->sp, (double)(now - s->attach_ns) / 1e9, s->rss_bytes, s->sockets);
}

static void sample(struct session *s, bool final)
{
	double t_s = (double)(now_ns() - s->attach_ns) / 1e9;
	struct summary sum;
	int err;

	if (final) {
		model__mature(s->m, now_ns());
		sampler__final(s->sp, t_s, s->rss_bytes, s->sockets);
	} else {
		sampler__tick(s->sp, t_s, s->rss_bytes, s->sockets);
	}
	if (s->o->baseline_after_ms && !s->baseline_done &&
	    t_s * 1000 >= (double)s->o->baseline_after_ms) {
		sampler__baseline(s->sp);
		s->baseline_done = true;
	}
	if (s->tui) {
		fill_summary(s, &sum);
		tui__draw(s->tui, &sum);
	}
	if (s->csv_w)
		csv_row(s);
	if (s->o->sites_csv)
		sites_csv(s);
	if (s->o->metrics_file && !opts_is_stdout(s->o->metrics_file)) {
		fill_summary(s, &sum);
		err = metrics_write_file(s->o->metrics_file, &sum, METRICS_TOP_SITES);
		if (err && !s->metrics_failed) {
			p_err("failed to write --metrics-file %s: %s; the other outputs go on (exit "
			      "status 1)", s->o->metrics_file, strerror(-err));
			s->metrics_failed = true;
			s->out_err = 1;
		}
	}
	if (s->live_text)
		print_live(s);
}

/* Keys of the live view; returns true when the user asked to quit. */
static bool keys(struct session *s)
{
	unsigned int a = tui__input(s->tui);
	struct summary sum;

	if (a & TUI_BASELINE)
		sampler__baseline(s->sp);
	if (a & (TUI_BASELINE | TUI_REDRAW)) {
		fill_summary(s, &sum);
		tui__draw(s->tui, &sum);
	}
	return a & TUI_QUIT;
}

/* Waits for records (and keys) until the timeout; false on a fatal error. */
static bool wait_events(struct session *s, int timeout, bool *quit)
{
	struct pollfd pfd[3] = {
		{ .fd = reader__fd(s->rd), .events = POLLIN },
		{ .fd = s->tui ? tui__fd(s->tui) : -1, .events = POLLIN },
		{ .fd = s->msrv ? metrics_srv__fd(s->msrv) : -1, .events = POLLIN },
	};
	struct summary sum;
	int err;

	if (poll(pfd, 3, timeout) < 0) {
		if (errno != EINTR) {
			p_err("failed to wait for events: %s", strerror(errno));
			return false;
		}
		pfd[1].revents = s->tui ? POLLIN : 0;	/* SIGWINCH: redraw at once */
	}
	err = reader__drain(s->rd);
	if (err < 0 && err != -EINTR) {
		p_err("failed to read events: %s", strerror(-err));
		return false;
	}
	if (s->tui && (pfd[1].revents & POLLIN))
		*quit = keys(s);
	if (s->msrv && (pfd[2].revents & POLLIN)) {
		fill_summary(s, &sum);
		metrics_srv__serve(s->msrv, &sum);
	}
	return true;
}

/* The targets are gone: the live view keeps the last figures until q. */
static void linger(struct session *s)
{
	bool quit = false;

	if (!s->tui)
		return;
	tui__targets_gone(s->tui);
	while (!exiting && !quit && wait_events(s, 1000, &quit))
		;
}

/* debuginfod on a worker thread, when DEBUGINFOD_URLS names servers. */
static void start_debuginfod(struct session *s)
{
	if (s->o->no_debuginfod || !s->sc)
		return;
	s->dinfod = dinfod__new(DEBUGINFOD_TIMEOUT_MS);
	if (!s->dinfod && errno != ENOENT)
		p_debug("debuginfod not used: %s", strerror(errno));
	symcache__set_debuginfod(s->sc, s->dinfod);
}

/*
 * Before the final outputs: names still on their way from debuginfod, within
 * its limit. Not when the live view ends: it has nothing left to print.
 */
static void finish_debuginfod(struct session *s)
{
	if (s->tui || !dinfod__pending(s->dinfod))
		return;
	dinfod__wait(s->dinfod, DEBUGINFOD_TIMEOUT_MS);
	if (symcache__poll(s->sc))
		sites__refresh(s->sites);
}

/*
 * Before the final verdict: the owners that died last are weighed once the
 * frees that closely follow a death had their time (at most MODEL_MATURE_NS).
 */
static void settle(struct session *s)
{
	__u64 at, now;
	bool quit = false;

	reader__drain(s->rd);
	model__advance_clock(s->m, now_ns());
	at = model__mature_at(s->m);
	while (at && (now = now_ns()) < at && !quit) {
		if (!wait_events(s, (int)((at - now + 999999) / 1000000), &quit))
			break;
	}
	reader__drain(s->rd);
}

/*
 * How long to wait for records at most: POLL_MAX_MS while they come, up to
 * POLL_IDLE_MAX_MS after a quiet while, so that an idle run costs nothing
 * (a burst fills an eighth of the ring buffer first, which wakes us).
 */
static int poll_every(struct session *s)
{
	__u64 got = reader__received(s->rd);

	if (got != s->poll_seen) {
		s->poll_seen = got;
		s->poll_ms = POLL_MAX_MS;
	} else if (s->poll_ms < POLL_IDLE_MAX_MS) {
		s->poll_ms = s->poll_ms ? s->poll_ms * 2 : POLL_MAX_MS;
	}
	return s->poll_ms;
}

static int loop(struct session *s)
{
	__u64 interval = s->o->interval_ms * 1000000ULL, next = s->attach_ns + interval;
	__u64 end = s->o->duration_ms ? s->attach_ns + s->o->duration_ms * 1000000ULL : 0;
	__u64 ev_step = (__u64)(SAMPLER_EVIDENCE_S * 1e9), next_ev = s->attach_ns + ev_step;
	bool quit = false, gone = false;

	while (!exiting && !quit) {
		__u64 now = now_ns();
		__u64 wake = end && end < next ? end : next;
		int timeout;

		if (next_ev < wake)
			wake = next_ev;
		timeout = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;

		/* records wake us only in bulk (see the BPF side): look every few ms */
		timeout = timeout < poll_every(s) ? timeout : s->poll_ms;
		if (!wait_events(s, timeout, &quit))
			return 1;
		rescan(s);
		if (s->o->all)
			all_pass(s);
		now = now_ns();
		if (end && now >= end)
			break;
		if (now >= next_ev) {
			next_ev = now + ev_step;
			evidence(s);
		}
		if (now < next)
			continue;
		next += interval;
		if (!tick(s)) {
			gone = true;	/* every target exited */
			break;
		}
		sample(s, false);
	}
	finish_debuginfod(s);
	settle(s);
	tick(s);
	sample(s, true);
	if (gone)
		linger(s);
	return 0;
}

static void stop_child(struct session *s)
{
	int i, status;

	if (s->child_gate > 0)
		close(s->child_gate);	/* a child still at the gate exits */
	if (!s->child)
		return;
	kill(s->child, SIGCONT);
	kill(s->child, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(s->child, &status, WNOHANG) == s->child)
			return;
		usleep(10000);
	}
	kill(s->child, SIGKILL);
	waitpid(s->child, &status, 0);
}

/* Flushes (and closes, unless stdout/stderr) an output written at the end; 0 or 1. */
static int end_output(FILE *f, int err, const char *opt, const char *path)
{
	if (fflush(f) || ferror(f))
		err = err ? err : -EIO;
	if (f != stdout && f != stderr && fclose(f) && !err)
		err = -EIO;
	if (!err)
		return 0;
	p_err("failed to write %s %s: %s", opt, path, strerror(-err));
	return 1;
}

/*
 * Where the text report goes: --report=FILE; stdout when asked for (or by
 * default off a terminal) and no other output has stdout; stderr when asked
 * for and stdout is taken (by an output or by -- COMMAND, whose stdout is
 * its own); nowhere by default then.
 */
static FILE *report_dest(struct session *s)
{
	char names[128];
	bool taken = opts_stdout_outputs(s->o, names, sizeof(names)) > 0 || s->o->cmd;

	if (s->report_f)
		return s->report_f;
	if (opts_is_stdout(s->o->report_path))
		return stdout;
	if (s->o->report)
		return taken ? stderr : stdout;
	if (s->live_text || s->had_tui || s->o->json)
		return NULL;	/* the live view showed it, or JSON was asked for instead */
	if (s->o->cmd)
		return stderr;	/* like time(1): the command has stdout */
	return taken ? NULL : stdout;
}

/* The outputs written once, at the end; 0, or 1 when one of them failed. */
static int outputs_at_end(struct session *s, const struct summary *sum)
{
	FILE *rf = report_dest(s);
	int rc = 0;

	if (opts_is_stdout(s->o->sites_csv))
		rc |= end_output(stdout, report_sites_csv(stdout, sum), "--sites-csv", "-");
	if (opts_is_stdout(s->o->metrics_file))
		rc |= end_output(stdout, metrics_render(stdout, sum, METRICS_TOP_SITES),
				 "--metrics-file", "-");
	if (s->o->json) {
		FILE *jf = s->json_f ? s->json_f : stdout;

		rc |= end_output(jf, report_json(jf, sum), "the JSON summary",
				 s->json_f ? s->o->json_path : "on stdout");
		s->json_f = NULL;
	}
	if (rf) {
		report_text(rf, sum);
		rc |= end_output(rf, 0, "the text report", s->report_f ? s->o->report_path :
				 rf == stdout ? "on stdout" : "on stderr");
		s->report_f = NULL;
	} else if (s->live_text) {
		print_live(s);
	}
	return rc;
}

static int outputs(struct session *s)
{
	struct summary sum;

	s->had_tui = s->tui != NULL;
	tui__free(s->tui);	/* the terminal is the shell's again */
	s->tui = NULL;
	fill_summary(s, &sum);
	if (outputs_at_end(s, &sum) || s->out_err)
		return 1;
	if (s->o->fail_on_growth && growth__any(sum.growth)) {
		p_info("growth flagged: exit status 3 (--fail-on-growth)");
		return 3;
	}
	return 0;
}

/* The live view on a terminal; the text report every interval if curses fails. */
static void start_view(struct session *s)
{
	struct tui_opts to = {
		.no_color = s->o->no_color,	/* tui.c honours a non-empty NO_COLOR */
		.interval_s = (double)s->o->interval_ms / 1000,
	};

	if (!s->live_text)
		return;
	s->tui = tui__new(&to);
	if (s->tui)
		s->live_text = false;
}

/*
 * Loading the BPF object (about 90 ms here) does not depend on the target,
 * so with -p it runs while the target's objects are read. Its messages are
 * muted: on failure the load is tried again in turn, and says why then.
 */
struct preload {
	pthread_t thread;
	struct probe_opts po;
	struct probe *probe;
	int err;
	bool started;
};

static void *preload_run(void *arg)
{
	struct preload *pl = arg;

	log_mute_thread(true);
	pl->err = probe__open(&pl->probe, &pl->po);
	return NULL;
}

/* Joins the preload; its probe, or NULL when it failed or never ran. */
static struct probe *preload_take(struct preload *pl)
{
	if (!pl->started)
		return NULL;
	pl->started = false;
	pthread_join(pl->thread, NULL);
	return pl->err ? NULL : pl->probe;
}

static int start(struct session *s)
{
	struct probe_opts po = { .ringbuf_bytes = s->o->ringbuf_bytes, .verbose = s->o->verbose,
				 .entry_only = s->o->entry_probes, .light = s->o->light,
				 .empty = s->o->empty_programs, .stop_all = s->o->hold_loads,
				 .follow = s->o->children || s->o->cmd || s->o->all,
				 .all = s->o->all };
	struct preload pl = { .po = po };
	__u64 t0 = now_ns();
	int err;

	if (!s->o->cmd && !s->o->verbose)
		pl.started = !pthread_create(&pl.thread, NULL, preload_run, &pl);
	err = s->o->cmd ? setup_cmd(s) : s->o->all ? 0 : setup_pids(s);
	if (!err)
		err = open_outputs(s);
	if (err) {
		probe__free(preload_take(&pl));
		return err;
	}
	po.stop_pid = (__u32)s->child;
	s->sc = symcache__new();
	start_debuginfod(s);
	s->sites = s->sc ? sites__new(s->sc) : NULL;
	s->m = s->sites ? model__new(sites__id, s->sites) : NULL;
	s->sp = s->m ? sampler__new(s->m, s->sites) : NULL;
	s->probe = preload_take(&pl);
	if (!s->sp) {
		p_err("out of memory");
		return 1;
	}
	if (!s->probe && probe__open(&s->probe, &po))
		return 1;
	s->rd = reader__new(probe__events_fd(s->probe), s->m);
	if (!s->rd) {
		p_err("failed to create the ring buffer reader: %s", strerror(errno));
		return 1;
	}
	s->follow = po.follow;
	preattach_take(s);	/* before the probes: what they cannot have seen open */
	err = attach_all(s) ? 1 : follow_start(s);
	if (err)
		return err;
	s->attach_ns = now_ns();
	s->prev_ns = s->attach_ns;
	say_attached(s, t0);
	if (s->npre_socks)
		p_info("%zu connection%s opened before attach: adopted when they next read or "
		       "write", s->npre_socks, s->npre_socks == 1 ? "" : "s");
	start_view(s);
	if (s->child_gate > 0 && write(s->child_gate, "x", 1) != 1) {
		p_err("failed to start %s: %s", s->o->cmd[0], strerror(errno));
		return 1;
	}
	return 0;
}

/* --hold-loads: no probe can stop a target any more; one stopped at a load goes on. */
static void release_held(struct session *s)
{
	size_t i;

	if (!s->o->hold_loads)
		return;
	for (i = 0; i < s->ntargets; i++)
		if (!s->targets[i].exited && procinfo_state(s->targets[i].pid) == 'T')
			kill(s->targets[i].pid, SIGCONT);
}

/* On a terminal with stdout free of outputs: the live view. */
static bool live_view_wanted(const struct opts *o)
{
	char names[128];

	return isatty(STDOUT_FILENO) && !opts_stdout_outputs(o, names, sizeof(names)) &&
	       !(o->report && !o->report_path) && !(o->json && !o->json_path);
}

/*
 * --wait: a target that never loaded OpenSSL is an error at the end (exit 1).
 * A -- COMMAND (and its children) without OpenSSL is said; its status stands.
 */
static int never_loaded(struct session *s)
{
	bool any = false;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->ntargets; i++)
		any |= s->targets[i].nobjs > 0;
	if (s->o->cmd && !any && s->ntargets)
		p_info("OpenSSL never loaded in %s (PID %d)%s: nothing was observed",
		       s->targets[0].comm, s->targets[0].pid,
		       s->ntargets > 1 ? " nor in its children" : "");
	if (!s->o->wait)
		return 0;
	for (i = 0; i < s->ntargets; i++) {
		const struct target *t = &s->targets[i];

		if (t->nobjs || t->child || t->ppid)
			continue;
		p_err("OpenSSL never loaded in PID %d (%s): nothing was observed", t->pid,
		      t->comm);
		rc = 1;
	}
	return rc;
}

/*
 * -- COMMAND that ended on its own: its exit status, or 128+N for signal N,
 * as time(1) and strace do. tlsmem's own 1, 2, 3 come first (the JSON says
 * how the command ended); a command that tlsmem stopped itself (-d, q,
 * Ctrl-C) leaves tlsmem's 0.
 */
static int command_status(struct session *s)
{
	const struct target *t = &s->targets[0];

	if (!s->o->cmd || !s->ntargets || !t->child || !t->exited)
		return 0;
	if (WIFEXITED(t->exit_status))
		return WEXITSTATUS(t->exit_status);
	if (WIFSIGNALED(t->exit_status))
		return 128 + WTERMSIG(t->exit_status);
	return 0;
}

int session_run(const struct opts *o)
{
	struct session s = { .o = o, .child_gate = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;
	int rc;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.live_text = live_view_wanted(o);
	rc = check_system();
	if (!rc)
		rc = start(&s);
	if (!rc)
		rc = loop(&s);
	if (!rc)
		rc = outputs(&s);
	if (!rc)
		rc = never_loaded(&s);
	/* detach first: the command then stops unobserved */
	reader__free(s.rd);
	probe__free(s.probe);
	release_held(&s);
	stop_child(&s);
	if (csv_writer__free(s.csv_w) && !s.csv_failed && !rc) {
		p_err("failed to write the CSV file %s", o->csv);
		rc = 1;
	}
	if (s.csv && s.csv != stdout && fclose(s.csv) && !s.csv_failed && !rc) {
		p_err("failed to write the CSV file %s: %s", o->csv, strerror(errno));
		rc = 1;
	}
	if (!rc)
		rc = command_status(&s);
	if (s.json_f)
		fclose(s.json_f);
	if (s.report_f)
		fclose(s.report_f);
	tui__free(s.tui);
	metrics_srv__free(s.msrv);
	sampler__free(s.sp);
	model__free(s.m);
	sites__free(s.sites);
	dinfod__free(s.dinfod);
	symcache__free(s.sc);
	for (i = 0; i < s.ntargets; i++)
		target__free(&s.targets[i]);
	free(s.targets);
	free(s.cands);
	htab__clear(&s.verdicts);
	free(s.pre_socks);
	return rc;
}
