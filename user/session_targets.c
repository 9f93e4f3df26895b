// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The targets of one run: the -p processes and their OpenSSL, the child of
 * -- COMMAND held at its loads, the processes they fork (followed in the
 * kernel), objects loaded after attach. See session_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cgroup.h"
#include "htab.h"
#include "elfobj.h"
#include "log.h"
#include "probe.h"
#include "procinfo.h"
#include "reader.h"
#include "symcache.h"
#include "target.h"
#include "tlsmem.h"
#include "session.h"
#include "session_int.h"

#define FORKS_TOLD	8		/* forks followed that get an info line */

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

int session_attach_target(struct session *s, struct target *t)
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

/* The program pid runs, as its exe link names it ("" when it cannot be read). */
static void read_exe(int pid, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, cap - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)"))
		buf[n - 10] = '\0';
}

struct target *session_add_target(struct session *s, int pid)
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
	t->start_ns = session_now_ns();
	cgroup_of(pid, t->container, t->pod);
	read_exe(pid, t->exe, sizeof(t->exe));
	return t;
}

int session_setup_pids(struct session *s)
{
	size_t i;
	int err;

	for (i = 0; i < s->o->npids; i++) {
		struct target *t;
		int pid;

		err = session_check_pid(s->o->pids[i]);
		if (err)
			return err;
		pid = session_thread_to_process(s->o->pids[i]);
		if (session_target_of(s, pid)) {
			p_info("PID %d is already observed", pid);
			continue;
		}
		t = session_add_target(s, pid);
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

int session_setup_cmd(struct session *s)
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
	t = session_add_target(s, s->child);
	if (!t) {
		p_err("out of memory");
		return 1;
	}
	t->child = true;
	snprintf(t->comm, sizeof(t->comm), "%s", strrchr(exe, '/') + 1);
	if (strlen(exe) < sizeof(t->exe))	/* not tlsmem's, the child waits at the gate */
		strcpy(t->exe, exe);
	/* before exec: the executable's own OpenSSL, and the loader that maps the rest */
	target__add_file(t, exe);
	if (interp[0])
		target__add_file(t, interp);
	return 0;
}

int session_attach_all(struct session *s)
{
	size_t i;
	int err;

	for (i = 0; i < s->ntargets; i++) {
		err = session_attach_target(s, &s->targets[i]);
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

void session_say_attached(struct session *s, __u64 t0)
{
	double ms = (double)(session_now_ns() - t0) / 1e6;
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

struct target *session_target_of(struct session *s, int pid)
{
	size_t i;

	for (i = s->ntargets; i-- > 0;)
		if (s->targets[i].pid == pid)
			return !s->targets[i].exited || s->targets[i].child ? &s->targets[i] : NULL;
	return NULL;
}

/* --- followed processes: forks, execs and exits, seen in the kernel --- */

static __u32 follow_flags(const struct session *s)
{
	/* -- COMMAND: every process of the tree waits at exec and loader events */
	return TLSMEM_PID_FOLLOW | (s->o->cmd ? TLSMEM_PID_STOP : 0);
}

/*
 * A followed process mapped something new: its addresses are read now, so
 * that they resolve even after it is gone. Under -- COMMAND it waits for
 * this, stopped, and goes on when cont: it was seen stopped before its maps
 * were read (see session_rescan).
 */
static void follow_mapped(struct session *s, struct target *t, bool cont)
{
	symcache__reload(s->sc, t->pid);
	if (s->o->cmd && t->pid != s->child && cont)
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
	struct target *t = session_target_of(s, child), *pt;

	if (t)
		return t;
	t = session_add_target(s, child);
	if (!t)
		return NULL;
	t->ppid = parent;
	pt = session_target_of(s, parent);
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
	struct target *t = session_target_of(s, pid);

	if (!t) {
		if (s->o->all)
			session_all_candidate(s, pid);
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
	read_exe(pid, t->exe, sizeof(t->exe));
	if (target__scan(t) > 0 || (t->loader && !t->loader_attached))
		session_attach_target(s, t);
	probe__resolve_wraps(s->probe);
	symcache__reload(s->sc, pid);
	p_debug("PID %d runs %s", pid, t->comm);
	if (stopped)
		kill(pid, SIGCONT);
}

static void follow_exit(struct session *s, int pid, int code)
{
	struct target *t = session_target_of(s, pid);

	if (!t || t->child)
		return;		/* COMMAND itself is reaped by waitpid */
	t->exited = true;
	t->exit_status = code;
	t->exit_ns = session_now_ns();
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
			if (session_target_of(s, pid) || probe__follow(s->probe, pid, follow_flags(s)))
				continue;
			if (!same_exe(pid, s->targets[i].pid)) {
				t = session_add_target(s, pid);
				if (t) {
					t->ppid = s->targets[i].pid;
					procinfo_comm(pid, t->comm, sizeof(t->comm));
					if (target__scan(t) > 0)
						session_attach_target(s, t);
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

int session_follow_start(struct session *s)
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
		return session_all_start(s);
	/* new targets are appended: each is walked in turn, the whole tree */
	for (i = 0; i < s->ntargets && !s->o->cmd; i++)
		follow_existing(s, i);
	return 0;
}

/* An object mapped after the probes were live (dlopen): said, with its blind window. */
static void note_late(struct session *s, struct target *t, struct ssl_obj *obj)
{
	const char *b = strrchr(obj->path, '/');
	__u64 now = session_now_ns();

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
		session_attach_target(s, t);
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
	__u64 until = session_now_ns() + 2000000000ULL;
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
	__u64 now = session_now_ns();
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
		t = session_target_of(s, s->held[i]);
		if (t) {
			attach_loaded(s, t);
			probe__resolve_wraps(s->probe);
			if (s->follow)
				symcache__reload(s->sc, t->pid);
		}
		kill(s->held[i], SIGCONT);
	}
}

void session_rescan(struct session *s)
{
	int pids[64];
	__u64 ts[64];
	size_t i, n = reader__take_maps_changed(s->rd, pids, ts, 64);

	for (i = 0; i < n; i++) {
		struct target *t = session_target_of(s, pids[i]);
		/*
		 * A loader record can be read after its process was let go (a
		 * stop seen by check_child or hold_check first) and stopped again
		 * at its next load: a SIGCONT now would let it run on with what
		 * it just mapped unprobed. So it goes on from here only when it
		 * was stopped before its maps were read; a stop still to come is
		 * caught by check_child (COMMAND) or hold_check (the others).
		 */
		bool held = (s->o->cmd || s->o->hold_loads) && procinfo_state(pids[i]) == 'T';

		if (t) {
			t->loader_ns = ts[i];
			attach_loaded(s, t);
			probe__resolve_wraps(s->probe);
			if (t->child && t->comm[0])
				procinfo_comm(t->pid, t->comm, sizeof(t->comm));
			if (s->follow)
				follow_mapped(s, t, held);
		} else if (s->o->all) {
			session_all_candidate(s, pids[i]);	/* a process not observed loaded something */
		}
		if (pids[i] == s->child) {
			if (held)
				kill(s->child, SIGCONT);
		} else if (s->o->hold_loads) {
			if (held)
				kill(pids[i], SIGCONT);
			hold_watch(s, pids[i]);
		} else if (s->o->cmd && t && !held) {
			hold_watch(s, pids[i]);
		}
	}
	if (s->o->hold_loads || s->o->cmd)
		hold_check(s);
	if (s->child)
		check_child(s, s->targets);
}

bool session_target_alive(struct session *s, struct target *t)
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
			t->exit_ns = session_now_ns();
		}
		return !t->exited;
	}
	st = procinfo_state(t->pid);
	if (!st || st == 'Z') {
		t->exited = true;
		if (!t->exit_ns)
			t->exit_ns = session_now_ns();
		return false;
	}
	if (st == 'T' && s->follow && s->o->cmd) {
		if (target__scan(t) > 0)
			session_attach_target(s, t);
		follow_mapped(s, t, true);	/* stopped before the scan */
	}
	return true;
}

void session_stop_child(struct session *s)
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

void session_release_held(struct session *s)
{
	size_t i;

	if (!s->o->hold_loads)
		return;
	for (i = 0; i < s->ntargets; i++)
		if (!s->targets[i].exited && procinfo_state(s->targets[i].pid) == 'T')
			kill(s->targets[i].pid, SIGCONT);
}
