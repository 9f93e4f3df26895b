// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * -a: every process on the host that maps OpenSSL (or only --exe and
 * --container ones), found at start, then at each exec and loader event,
 * a bounded number per pass. See session_int.h.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "htab.h"
#include "procmaps.h"
#include "elfobj.h"
#include "log.h"
#include "probe.h"
#include "procinfo.h"
#include "symcache.h"
#include "target.h"
#include "tlsmem.h"
#include "session.h"
#include "session_int.h"

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

	if (pid == getpid() || session_target_of(s, pid) || !all_wanted(s, pid, exe, sizeof(exe)) ||
	    procmaps_read(pid, &ml))
		return;
	for (i = 0; i < ml.n; i++)
		if (ml.v[i].inode && ml.v[i].path[0] == '/' &&
		    verdict_of(s, pid, &ml.v[i]) == V_SSL)
			ssl = true;
	if (!ssl || probe__follow(s->probe, pid, TLSMEM_PID_FOLLOW))
		goto cleanup;
	t = session_add_target(s, pid);
	if (!t)
		goto cleanup;
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	procinfo_comm(pid, t->comm, sizeof(t->comm));
	for (i = 0; i < ml.n; i++)
		if (ml.v[i].inode && ml.v[i].path[0] == '/' &&
		    verdict_of(s, pid, &ml.v[i]) == V_NONE)
			target__skip(t, &ml.v[i]);
	if (target__scan(t) > 0)
		session_attach_target(s, t);
	symcache__reload(s->sc, pid);
	/* found after start: said (at start, the attached line counts them) */
	if (s->attach_ns)
		p_info("observing PID %d (%s, %s)%s%s", pid, t->comm, t->exe,
		       t->container[0] ? " in container " : "", t->container);
cleanup:
	map_list__free(&ml);
}

void session_all_candidate(struct session *s, int pid)
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

void session_all_pass(struct session *s)
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

int session_all_start(struct session *s)
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
