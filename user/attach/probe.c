// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* BPF object lifecycle and uprobe attachment; see probe.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "tlsmem.skel.h"
#include "elfobj.h"
#include "log.h"
#include "place.h"
#include "umulti.h"
#include "tlsmem.h"
#include "target.h"
#include "probe.h"
#include "probe_int.h"

/* Which program goes where; getters because the skeleton exists only once loaded. */
enum prog_id {
	P_NONE,
	P_MALLOC, P_ZALLOC, P_REALLOC, P_CLEAR_REALLOC, P_ALLOC_EXIT,
	P_FREE, P_CLEAR_FREE, P_CLEAR_FREE_EXIT,
	P_SSL_NEW, P_SSL_FREE, P_SSL_CALL, P_SSL_EXIT,
	P_LOADER,
	P_OSSL_MALLOC, P_OSSL_REALLOC,
	P_SESSION_NEW, P_CACHE_ADD, P_SESSION_EXIT, P_SSL_LINK, P_SESSION_LINK, P_SESSION_REF,
	P__COUNT,
};

struct probe_spec {
	const char *sym;
	enum prog_id enter;
	enum prog_id exit;		/* P_NONE: no return probe */
	unsigned int nargs;		/* argument registers the entry program reads */
};

/* Entries of specs[] named in the code: the wrappers that may go unprobed. */
enum spec_id {
	SPEC_CRYPTO_MALLOC,
	SPEC_CRYPTO_ZALLOC,
	SPEC_CRYPTO_REALLOC,
	SPEC_CRYPTO_CLEAR_REALLOC,
	SPEC_CRYPTO_FREE,
	SPEC_CRYPTO_CLEAR_FREE,
};

static const struct probe_spec specs[] = {
	[SPEC_CRYPTO_MALLOC] = { "CRYPTO_malloc", P_MALLOC, P_ALLOC_EXIT, 3 },
	[SPEC_CRYPTO_ZALLOC] = { "CRYPTO_zalloc", P_ZALLOC, P_ALLOC_EXIT, 3 },
	[SPEC_CRYPTO_REALLOC] = { "CRYPTO_realloc", P_REALLOC, P_ALLOC_EXIT, 4 },
	[SPEC_CRYPTO_CLEAR_REALLOC] = { "CRYPTO_clear_realloc", P_CLEAR_REALLOC, P_ALLOC_EXIT, 5 },
	/* CRYPTO_free calls nothing we probe: no return probe needed */
	[SPEC_CRYPTO_FREE] = { "CRYPTO_free", P_FREE, P_NONE, 1 },
	[SPEC_CRYPTO_CLEAR_FREE] = { "CRYPTO_clear_free", P_CLEAR_FREE, P_CLEAR_FREE_EXIT, 1 },
	{ "SSL_new",              P_SSL_NEW,       P_SSL_EXIT,        0 },
	{ "SSL_free",             P_SSL_FREE,      P_SSL_EXIT,        1 },
	{ "SSL_do_handshake",     P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_accept",           P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_connect",          P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_read",             P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_read_ex",          P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_peek",             P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_write",            P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_write_ex",         P_SSL_CALL,      P_SSL_EXIT,        1 },
	{ "SSL_shutdown",         P_SSL_CALL,      P_SSL_EXIT,        1 },
	/* owners: sessions and blocks hung on SSL objects; once per connection */
	{ "SSL_SESSION_new",      P_SESSION_NEW,   P_SESSION_EXIT,    0 },
	{ "SSL_CTX_add_session",  P_CACHE_ADD,     P_SESSION_EXIT,    2 },
	{ "SSL_get1_session",     P_SESSION_REF,   P_SESSION_EXIT,    1 },
	{ "SSL_set_ex_data",      P_SSL_LINK,      P_NONE,            3 },
	{ "SSL_SESSION_set_ex_data", P_SESSION_LINK, P_NONE,          3 },
	/* BoringSSL: the allocator proper; its CRYPTO_* shims nest into these */
	{ "OPENSSL_malloc",       P_OSSL_MALLOC,   P_ALLOC_EXIT,      1 },
	{ "OPENSSL_zalloc",       P_OSSL_MALLOC,   P_ALLOC_EXIT,      1 },
	{ "OPENSSL_realloc",      P_OSSL_REALLOC,  P_ALLOC_EXIT,      2 },
	{ "OPENSSL_free",         P_FREE,          P_NONE,            1 },
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static struct bpf_program *prog_of(const struct probe *p, enum prog_id id)
{
	struct tlsmem_bpf *s = p->skel;

	switch (id) {
	case P_MALLOC:		return s->progs.crypto_malloc_enter;
	case P_ZALLOC:		return s->progs.crypto_zalloc_enter;
	case P_REALLOC:		return s->progs.crypto_realloc_enter;
	case P_CLEAR_REALLOC:	return s->progs.crypto_clear_realloc_enter;
	case P_ALLOC_EXIT:	return s->progs.crypto_alloc_exit;
	case P_FREE:		return s->progs.crypto_free_enter;
	case P_CLEAR_FREE:	return s->progs.crypto_clear_free_enter;
	case P_CLEAR_FREE_EXIT:	return s->progs.crypto_clear_free_exit;
	case P_SSL_NEW:		return s->progs.ssl_new_enter;
	case P_SSL_FREE:	return s->progs.ssl_free_enter;
	case P_SSL_CALL:	return s->progs.ssl_call_enter;
	case P_SSL_EXIT:	return s->progs.ssl_call_exit;
	case P_LOADER:		return s->progs.dl_debug_state_enter;
	case P_OSSL_MALLOC:	return s->progs.openssl_malloc_enter;
	case P_OSSL_REALLOC:	return s->progs.openssl_realloc_enter;
	case P_SESSION_NEW:	return s->progs.session_new_enter;
	case P_CACHE_ADD:	return s->progs.cache_add_enter;
	case P_SESSION_EXIT:	return s->progs.session_exit;
	case P_SSL_LINK:	return s->progs.ssl_set_ex_data_enter;
	case P_SESSION_LINK:	return s->progs.session_set_ex_data_enter;
	case P_SESSION_REF:	return s->progs.session_ref_enter;
	default:		return NULL;
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	if (level == LIBBPF_WARN)
		p_warn("libbpf: %s", msg);
	else
		p_debug("libbpf: %s", msg);
	return 0;
}

static int libbpf_print_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return libbpf_print(level, fmt, ap);
}

static int open_load(struct probe *p, const struct probe_opts *o, bool multi)
{
	struct bpf_program *prog;
	int err;

	tlsmem_bpf__destroy(p->skel);
	p->skel = tlsmem_bpf__open();
	if (!p->skel) {
		err = -errno;
		p_err("failed to open the BPF object: %s", strerror(-err));
		return err;
	}
	p->skel->rodata->targ_stop_pid = o->stop_pid;
	p->skel->rodata->targ_stop_all = o->stop_all;
	p->skel->rodata->targ_light = o->light;
	p->skel->rodata->targ_empty = o->empty;
	p->skel->rodata->targ_filter = o->follow;
	p->skel->rodata->targ_all = o->all;
	bpf_program__set_autoload(p->skel->progs.on_fork, o->follow);
	bpf_program__set_autoload(p->skel->progs.on_exec, o->follow);
	bpf_program__set_autoload(p->skel->progs.on_exit, o->follow);
	if (o->ringbuf_bytes)
		bpf_map__set_max_entries(p->skel->maps.events, (__u32)o->ringbuf_bytes);
	p->skel->rodata->targ_wake_bytes = bpf_map__max_entries(p->skel->maps.events) / 8;
	if (multi)
		bpf_object__for_each_program(prog, p->skel->obj)
			if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
				bpf_program__set_expected_attach_type(prog,
								      UMULTI_ATTACH_TYPE);
	p->multi = multi;
	return tlsmem_bpf__load(p->skel);
}

/* fork, exec and exit of the followed processes, seen in the kernel */
static int attach_tracepoints(struct probe *p)
{
	struct bpf_program *progs[3] = { p->skel->progs.on_fork, p->skel->progs.on_exec,
					 p->skel->progs.on_exit };
	int i, err;

	for (i = 0; i < 3; i++) {
		p->tp_links[i] = bpf_program__attach(progs[i]);
		if (!p->tp_links[i]) {
			err = -errno;
			p_err("failed to attach the %s tracepoint program: %s (following "
			      "processes needs BTF-typed tracepoints: Linux >= 5.5)",
			      bpf_program__name(progs[i]), strerror(-err));
			return err;
		}
	}
	return 0;
}

int probe__open(struct probe **out, const struct probe_opts *o)
{
	struct probe *p = calloc(1, sizeof(*p));
	libbpf_print_fn_t quiet = NULL;
	int err;

	if (!p)
		return -ENOMEM;
	p->verbose = o->verbose;
	p->entry_only = o->entry_only;
	p->light = o->light;
	p->follow = o->follow;
	/* multi links first, quietly; kernels before 6.6 take per-function probes */
	libbpf_set_print(o->verbose > 1 ? libbpf_print_verbose : quiet);
	err = open_load(p, o, true);
	libbpf_set_print(o->verbose > 1 ? libbpf_print_verbose : libbpf_print);
	if (err == -ENOENT || err == -EBADF)
		goto err_free;
	if (err) {
		p_debug("uprobe_multi links unavailable (%s), using one probe per function",
			strerror(-err));
		err = open_load(p, o, false);
	}
	if (err) {
		p_err("failed to load the BPF programs: %s (the kernel needs BTF, "
		      "BPF ring buffers and task storage: Linux >= 5.11)", strerror(-err));
		goto err_free;
	}
	if (o->follow) {
		err = attach_tracepoints(p);
		if (err)
			goto err_free;
	}
	*out = p;
	return 0;
err_free:
	probe__free(p);
	return err;
}

static int keep_link(struct probe *p, struct bpf_link *l)
{
	if (p->nlinks == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_link **v = realloc(p->links, cap * sizeof(*v));

		if (!v) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		p->links = v;
		p->cap = cap;
	}
	p->links[p->nlinks++] = l;
	return 0;
}

static int attach_one(struct probe *p, int pid, const char *path, const char *shown,
		      const char *sym, __u64 off, enum prog_id id, bool ret, __u64 cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret, .bpf_cookie = cookie);
	struct bpf_link *l;
	int err;

	l = bpf_program__attach_uprobe_opts(prog_of(p, id), pid, path, (size_t)off, &uo);
	if (!l) {
		err = -errno;
		p_err("failed to attach %s %s in %s (pid %d): %s", ret ? "uretprobe" : "uprobe",
		      sym, shown, pid, strerror(-err));
		return err;
	}
	return keep_link(p, l);
}

static int keep_fd(struct probe *p, int fd)
{
	if (p->nfds == p->fds_cap) {
		size_t cap = p->fds_cap ? p->fds_cap * 2 : 64;
		int *v = realloc(p->fds, cap * sizeof(*v));

		if (!v) {
			close(fd);
			return -ENOMEM;
		}
		p->fds = v;
		p->fds_cap = cap;
	}
	p->fds[p->nfds++] = fd;
	return 0;
}

static int attach_multi(struct probe *p, int pid, const char *path, const char *shown,
			enum prog_id id, bool ret, const __u64 *offs, const __u64 *cookies, __u32 n)
{
	int fd, err;

	fd = umulti_link_create(bpf_program__fd(prog_of(p, id)), pid, path, offs, cookies, n, ret);
	if (fd < 0) {
		err = fd;
		p_err("failed to attach %u %s in %s (pid %d): %s", n,
		      ret ? "uretprobes" : "uprobes", shown, pid, strerror(-err));
		return err;
	}
	return keep_fd(p, fd);
}

/* The program for spec i on pass 0 (returns) or 1 (entries). */
static enum prog_id prog_for(size_t i, int pass, bool nested_free)
{
	if (i == SPEC_CRYPTO_FREE && nested_free)
		return pass ? P_CLEAR_FREE : P_CLEAR_FREE_EXIT;
	return pass ? specs[i].enter : specs[i].exit;
}

/* One multi link per program: every function of obj that program serves. */
static int attach_obj_multi(struct probe *p, int pid, struct ssl_obj *obj, const __u64 *off,
			    const __u64 *cookie, const bool *has, bool nested_free)
{
	__u64 offs[NSPECS], cookies[NSPECS];
	int pass, id, err;
	size_t i;
	__u32 n;

	for (pass = 0; pass < 2; pass++) {
		for (id = P_MALLOC; id < P__COUNT; id++) {
			for (i = 0, n = 0; i < NSPECS; i++)
				if (has[i] && (int)prog_for(i, pass, nested_free) == id) {
					cookies[n] = cookie[i];
					offs[n++] = off[i];
				}
			if (!n)
				continue;
			err = attach_multi(p, pid, obj->attach_path, obj->path, id, !pass, offs,
					   cookies, n);
			if (err)
				return err;
			obj->nprobes += (int)n;
			p->nprobes += (int)n;
		}
	}
	obj->attached = true;
	return 0;
}

/*
 * An SSL call whose entry would be single-stepped, and that hands its SSL *
 * on to an inner function whose entry is emulated: probing the inner
 * function scopes the same work at a tenth of the cost. SSL_read and
 * SSL_write are called per record in bulk transfers. *off is moved there.
 */
static bool inner_call(struct ssl_obj *obj, const struct probe_spec *spec, __u64 *off,
		       const __u8 *code, size_t len)
{
	const __u8 *callee;
	__u64 vaddr, target, toff;

	if (elf_obj__vaddr_of_off(obj->elf, *off, &vaddr))
		return false;
	target = place_callee(code, len, vaddr);
	if (!target || elf_obj__stub_symbol(obj->elf, target) ||
	    elf_obj__off_of_vaddr(obj->elf, target, &toff))
		return false;
	callee = elf_obj__bytes(obj->elf, toff, 16);
	if (!place_entry_emulated(callee, callee ? 16 : 0))
		return false;
	p_debug("%s in %s: probed in the function it calls at 0x%llx, whose entry the kernel "
		"emulates", spec->sym, obj->path, (unsigned long long)target);
	*off = toff;
	obj->moved++;
	return true;
}

/* File offset at which to probe spec's function in obj; false if obj lacks it. */
static bool find_site(struct probe *p, struct ssl_obj *obj, const struct probe_spec *spec,
		      __u64 *off)
{
	const __u8 *code;
	size_t len;
	__u64 d;

	if (elf_obj__func_code(obj->elf, spec->sym, off, &code, &len))
		return false;
	d = p->entry_only ? 0 : place_probe(code, len, spec->nargs);
	if (!d && !p->entry_only && spec->enter == P_SSL_CALL && !place_entry_emulated(code, len) &&
	    inner_call(obj, spec, off, code, len))
		return true;
	if (d) {
		p_debug("%s in %s: probe at +0x%llx, the first instruction the kernel emulates",
			spec->sym, obj->path, (unsigned long long)d);
		obj->moved++;
	}
	*off += d;
	return true;
}

/* See probe_wrap_elide: specs[wrapper] seen at specs[inner]. */
static bool elide(struct probe *p, int pid, const struct ssl_obj *obj, size_t wrapper,
		  size_t inner, __u64 *cookie)
{
	return probe_wrap_elide(p, pid, obj, specs[wrapper].sym, specs[inner].sym,
				specs[wrapper].exit == P_ALLOC_EXIT, cookie);
}

int probe__attach_obj(struct probe *p, int pid, struct ssl_obj *obj)
{
	bool nested_free = false;
	__u64 dummy;
	__u64 off[NSPECS], cookie[NSPECS] = { 0 };
	bool has[NSPECS];
	struct pfile *known;
	int pass, err, apid = p->follow ? -1 : pid;
	size_t i;

	known = p->follow ? probe_file_find(p, obj->dev, obj->inode) : NULL;
	if (known)
		return probe_file_attach_known(p, pid, obj, known);

	for (i = 0; i < NSPECS; i++)
		has[i] = (!p->light || specs[i].enter == P_SSL_NEW || specs[i].enter == P_SSL_FREE) &&
			 find_site(p, obj, &specs[i], &off[i]);
	/* SSL_read and SSL_read_ex may both be probed in the same inner function */
	for (i = 0; i < NSPECS; i++)
		for (size_t j = 0; has[i] && j < i; j++)
			if (has[j] && specs[j].enter == specs[i].enter && off[j] == off[i])
				has[i] = false;
	/*
	 * Every block CRYPTO_zalloc returns comes from CRYPTO_malloc, and every
	 * block CRYPTO_clear_free releases goes through CRYPTO_free, in most
	 * builds: then the wrapper needs no probes, two hits fewer per call.
	 */
	if (!p->entry_only && has[SPEC_CRYPTO_ZALLOC] && has[SPEC_CRYPTO_MALLOC] &&
	    elide(p, pid, obj, SPEC_CRYPTO_ZALLOC, SPEC_CRYPTO_MALLOC, &cookie[SPEC_CRYPTO_MALLOC])) {
		has[SPEC_CRYPTO_ZALLOC] = false;
		obj->elided++;
		p_debug("%s in %s: not probed, its blocks come from %s", specs[SPEC_CRYPTO_ZALLOC].sym,
			obj->path, specs[SPEC_CRYPTO_MALLOC].sym);
	}
	if (!p->entry_only && has[SPEC_CRYPTO_CLEAR_FREE] && has[SPEC_CRYPTO_FREE] &&
	    elide(p, pid, obj, SPEC_CRYPTO_CLEAR_FREE, SPEC_CRYPTO_FREE, &dummy)) {
		has[SPEC_CRYPTO_CLEAR_FREE] = false;
		obj->elided++;
		p_debug("%s in %s: not probed, it frees through %s", specs[SPEC_CRYPTO_CLEAR_FREE].sym,
			obj->path, specs[SPEC_CRYPTO_FREE].sym);
	}
	/*
	 * Where CRYPTO_free calls OPENSSL_free (BoringSSL), it needs a return
	 * probe so that the inner free is known to be nested.
	 */
	if (has[SPEC_CRYPTO_FREE] && elf_obj__func_off(obj->elf, "OPENSSL_free", &dummy) == 0)
		nested_free = true;
	if (p->follow && probe_file_remember(p, obj, cookie[SPEC_CRYPTO_MALLOC]))
		return -ENOMEM;
	if (p->multi) {
		err = attach_obj_multi(p, apid, obj, off, cookie, has, nested_free);
		probe__resolve_wraps(p);
		return err;
	}
	/* returns first: an entry seen without its return would leave a scope open */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < NSPECS; i++) {
			enum prog_id id = prog_for(i, pass, nested_free);

			if (!has[i] || id == P_NONE)
				continue;
			err = attach_one(p, apid, obj->attach_path, obj->path, specs[i].sym, off[i],
					 id, !pass, cookie[i]);
			if (err)
				return err;
			obj->nprobes++;
			p->nprobes++;
		}
	}
	obj->attached = true;
	probe__resolve_wraps(p);
	return 0;
}

int probe__attach_loader(struct probe *p, int pid, const char *path, const struct elf_obj *ld)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *l;
	struct stat st;
	__u64 off;
	int err;

	err = elf_obj__func_off(ld, "_dl_debug_state", &off);
	if (err)
		return err;
	if (p->follow) {
		/* one probe per loader file, for every process */
		if (stat(path, &st))
			return -errno;
		if (probe_file_find(p, st.st_dev, st.st_ino))
			return 0;
		if (!probe_file_add(p, st.st_dev, st.st_ino))
			return -ENOMEM;
		pid = -1;
	}
	if (p->multi) {
		err = attach_multi(p, pid, path, path, P_LOADER, false, &off, NULL, 1);
		p->nprobes += !err;
		return err;
	}
	l = bpf_program__attach_uprobe_opts(p->skel->progs.dl_debug_state_enter, pid, path,
					    (size_t)off, &uo);
	if (!l) {
		err = -errno;
		p_warn("failed to attach to the dynamic loader of pid %d: %s; libraries "
		       "loaded later will be noticed only at the next interval", pid,
		       strerror(-err));
		return err;
	}
	p->nprobes++;
	return keep_link(p, l);
}

int probe__follow(struct probe *p, int pid, __u32 flags)
{
	__u32 k = (__u32)pid;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.pids), &k, &flags, BPF_ANY))
		return -errno;
	return 0;
}

__u64 probe__ringbuf_bytes(const struct probe *p)
{
	return p ? bpf_map__max_entries(p->skel->maps.events) : 0;
}

int probe__events_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.events);
}

/* A per-CPU counter (entry key of map) summed over the CPUs. */
static __u64 percpu_sum(const struct bpf_map *map, __u32 key)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 *v, sum = 0;

	if (ncpu <= 0)
		return 0;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(map), &key, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

__u64 probe__lost(const struct probe *p)
{
	return percpu_sum(p->skel->maps.drops, 0);
}

__u64 probe__hits(const struct probe *p)
{
	return percpu_sum(p->skel->maps.hits, 0);
}

__u64 probe__hits_other(const struct probe *p)
{
	return percpu_sum(p->skel->maps.hits, 1);
}

int probe__count(const struct probe *p)
{
	return p->nprobes;
}

static void *close_fd(void *fd)
{
	close((int)(long)fd);
	return NULL;
}

/*
 * Each detach waits for an RCU grace period (about 0.3 s on a VM). Multi
 * links are closed in parallel so they share grace periods; perf-event
 * uprobes serialise in the kernel whatever we do.
 */
static void close_fds(const int *fds, size_t n)
{
	pthread_t *th = calloc(n ? n : 1, sizeof(*th));
	bool *started = calloc(n ? n : 1, sizeof(*started));
	size_t i;

	for (i = 0; i < n; i++) {
		if (th && started &&
		    !pthread_create(&th[i], NULL, close_fd, (void *)(long)fds[i]))
			started[i] = true;
		else
			close(fds[i]);
	}
	for (i = 0; i < n; i++)
		if (started && started[i])
			pthread_join(th[i], NULL);
	free(th);
	free(started);
}

void probe__free(struct probe *p)
{
	size_t i;

	if (!p)
		return;
	close_fds(p->fds, p->nfds);
	free(p->fds);
	free(p->pend);
	free(p->files);
	for (i = 0; i < 3; i++)
		bpf_link__destroy(p->tp_links[i]);
	for (i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	tlsmem_bpf__destroy(p->skel);
	free(p);
}
