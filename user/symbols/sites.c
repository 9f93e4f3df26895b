// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Naming and interning of allocation sites; see sites.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procmem.h"
#include "symcache.h"
#include "sites.h"

#define FILE_MAX	256

struct raw {
	__u64 file, caller;
	__u32 pid;			/* layout key: LAYOUT_KEY | image id, or the pid */
	__s32 line;
	__u32 id;			/* RAW_EMPTY when the slot is free */
};

#define RAW_EMPTY	0xffffffffu

struct named {
	char *file, *caller, *module;
	const char *build_id, *names_from;	/* owned by the symcache */
	__s32 line;
	__u64 hash;
	__u64 addr;		/* a raw caller, to name the site again */
	__u32 pid;
	bool has_name;		/* the caller is a function name */
};

/* A caller string replaced by a better one, kept: outputs may hold it. */
struct retired {
	struct retired *next;
	char *s;
};

/* A raw site's key names the layout (see symcache__image), or the pid when unknown. */
#define LAYOUT_KEY	0x80000000u

struct sites {
	struct symcache *sc;
	int last_pid;			/* layout of the last pid asked about */
	__u32 last_key, last_gen;
	struct raw *raw;
	size_t raw_cap, raw_n;
	struct named *v;
	__u32 n, cap;
	__u32 *by_name;			/* open addressing over v, RAW_EMPTY = free */
	size_t name_cap;
	struct retired *retired;
	__u64 generation;		/* of the symcache, when names were last made */
};

static __u64 mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static __u64 raw_hash(__u32 pid, __u64 file, __s32 line, __u64 caller)
{
	return mix(file ^ mix(caller ^ mix(((__u64)pid << 32) | (__u32)line)));
}

static __u64 str_hash(const char *s, __u64 h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

struct sites *sites__new(struct symcache *sc)
{
	struct sites *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sc = sc;
	return s;
}

void sites__free(struct sites *s)
{
	__u32 i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].file);
		free(s->v[i].caller);
		free(s->v[i].module);
	}
	while (s->retired) {
		struct retired *r = s->retired;

		s->retired = r->next;
		free(r->s);
		free(r);
	}
	free(s->v);
	free(s->raw);
	free(s->by_name);
	free(s);
}

static int raw_grow(struct sites *s)
{
	size_t cap = s->raw_cap ? s->raw_cap * 2 : 256, i;
	struct raw *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		v[i].id = RAW_EMPTY;
	for (i = 0; i < s->raw_cap; i++) {
		struct raw *r = &s->raw[i];
		size_t j;

		if (r->id == RAW_EMPTY)
			continue;
		j = raw_hash(r->pid, r->file, r->line, r->caller) & (cap - 1);
		while (v[j].id != RAW_EMPTY)
			j = (j + 1) & (cap - 1);
		v[j] = *r;
	}
	free(s->raw);
	s->raw = v;
	s->raw_cap = cap;
	return 0;
}

static int name_grow(struct sites *s)
{
	size_t cap = s->name_cap ? s->name_cap * 2 : 256, i;
	__u32 *v;

	while (cap < 2 * ((size_t)s->n + 1))
		cap *= 2;
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		v[i] = RAW_EMPTY;
	for (i = 0; i < s->n; i++) {
		size_t j = s->v[i].hash & (cap - 1);

		while (v[j] != RAW_EMPTY)
			j = (j + 1) & (cap - 1);
		v[j] = (__u32)i;
	}
	free(s->by_name);
	s->by_name = v;
	s->name_cap = cap;
	return 0;
}

static bool same(const struct named *a, const char *file, __s32 line, const char *caller,
		 const char *module)
{
	return a->line == line && !strcmp(a->file, file) && !strcmp(a->caller, caller) &&
	       !strcmp(a->module, module);
}

/* What naming a raw caller found, beyond the strings. */
struct caller_info {
	const char *build_id, *names_from;
	__u64 addr;
	__u32 pid;
	bool has_name;
};

/* The id of a named site, created on first sight; RAW_EMPTY without memory. */
static __u32 intern(struct sites *s, const char *file, __s32 line, const char *caller,
		    const char *module, const struct caller_info *ci)
{
	__u64 h = str_hash(module, str_hash(caller, str_hash(file, (__u64)line * 31 + 7)));
	struct named *nm;
	size_t j;

	if ((s->n + 1) * 2 > s->name_cap && name_grow(s))
		return RAW_EMPTY;
	for (j = h & (s->name_cap - 1); s->by_name[j] != RAW_EMPTY; j = (j + 1) & (s->name_cap - 1))
		if (s->v[s->by_name[j]].hash == h && same(&s->v[s->by_name[j]], file, line, caller, module))
			return s->by_name[j];
	if (s->n == s->cap) {
		__u32 cap = s->cap ? s->cap * 2 : 64;
		struct named *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return RAW_EMPTY;
		s->v = v;
		s->cap = cap;
	}
	nm = &s->v[s->n];
	nm->file = strdup(file);
	nm->caller = strdup(caller);
	nm->module = strdup(module);
	nm->line = line;
	nm->hash = h;
	nm->build_id = ci->build_id;
	nm->names_from = ci->names_from;
	nm->addr = ci->addr;
	nm->pid = ci->pid;
	nm->has_name = ci->has_name;
	if (!nm->file || !nm->caller || !nm->module) {
		free(nm->file);
		free(nm->caller);
		free(nm->module);
		return RAW_EMPTY;
	}
	s->by_name[j] = s->n;
	return s->n++;
}

/* The caller's words into cbuf (or a name owned by the symcache); its module in *module. */
static const char *name_caller(struct sites *s, __u32 pid, __u64 caller, char *cbuf, size_t cap,
			       const char **module, struct caller_info *ci)
{
	struct sym_info si;
	const char *base;

	*ci = (struct caller_info){ .build_id = "", .names_from = "none", .addr = caller,
				    .pid = pid };
	*module = "?";
	if (symcache__resolve(s->sc, (int)pid, caller, &si)) {
		snprintf(cbuf, cap, "0x%llx", (unsigned long long)caller);
		return cbuf;
	}
	*module = si.module;
	ci->build_id = si.build_id;
	ci->names_from = si.names_from;
	if (si.func) {
		ci->has_name = true;
		return si.func;
	}
	base = strrchr(si.module, '/');
	if (si.start_known)	/* the containing function's start, then the offset in it */
		snprintf(cbuf, cap, "%s+0x%llx+0x%llx", base ? base + 1 : si.module,
			 (unsigned long long)(si.mod_off - si.off), (unsigned long long)si.off);
	else
		snprintf(cbuf, cap, "%s+0x%llx", base ? base + 1 : si.module,
			 (unsigned long long)si.off);
	return cbuf;
}

static __u32 name_raw(struct sites *s, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	char fbuf[FILE_MAX] = "", cbuf[512];
	const char *module, *fn;
	struct caller_info ci;

	/* a process that is gone still has its file's bytes */
	if (file && procmem_read_str((int)pid, file, fbuf, sizeof(fbuf)) &&
	    symcache__read_str(s->sc, (int)pid, file, fbuf, sizeof(fbuf)))
		snprintf(fbuf, sizeof(fbuf), "?");
	fn = name_caller(s, pid, caller, cbuf, sizeof(cbuf), &module, &ci);
	return intern(s, fbuf, line, fn, module, &ci);
}

/* Keeps old (outputs may still hold it) and makes nm's caller a copy of caller. */
static int rename_caller(struct sites *s, struct named *nm, const char *caller)
{
	struct retired *r = malloc(sizeof(*r));
	char *c = strdup(caller);

	if (!r || !c) {
		free(r);
		free(c);
		return -ENOMEM;
	}
	r->s = nm->caller;
	r->next = s->retired;
	s->retired = r;
	nm->caller = c;
	nm->hash = str_hash(nm->module, str_hash(c, str_hash(nm->file, (__u64)nm->line * 31 + 7)));
	return 0;
}

__u32 sites__refresh(struct sites *s)
{
	__u64 gen = symcache__generation(s->sc);
	const char *module, *fn;
	struct caller_info ci;
	char cbuf[512];
	__u32 i, changed = 0;

	if (gen == s->generation)
		return 0;
	s->generation = gen;
	for (i = 0; i < s->n; i++) {
		struct named *nm = &s->v[i];

		if (nm->has_name)
			continue;
		fn = name_caller(s, nm->pid, nm->addr, cbuf, sizeof(cbuf), &module, &ci);
		nm->names_from = ci.names_from;
		if (!ci.has_name || rename_caller(s, nm, fn))
			continue;
		nm->has_name = true;
		changed++;
	}
	if (changed) {		/* the index over names, with the new hashes */
		free(s->by_name);
		s->by_name = NULL;
		s->name_cap = 0;
		if (name_grow(s))
			s->name_cap = 0;	/* intern() grows it again */
	}
	return changed;
}

__u32 sites__id(void *ctx, __u32 pid, __u64 file, __s32 line, __u64 caller)
{
	struct sites *s = ctx;
	__u32 id, key;
	size_t j;

	if ((s->raw_n + 1) * 2 > s->raw_cap && raw_grow(s))
		return 0;
	/* forks share their parent's layout: its sites are theirs, named once */
	if (s->last_pid != (int)pid || s->last_gen != symcache__layout_gen(s->sc)) {
		key = symcache__image(s->sc, (int)pid);
		s->last_key = key ? key | LAYOUT_KEY : pid;
		s->last_pid = (int)pid;
		s->last_gen = symcache__layout_gen(s->sc);
	}
	key = s->last_key;
	j = raw_hash(key, file, line, caller) & (s->raw_cap - 1);
	for (; s->raw[j].id != RAW_EMPTY; j = (j + 1) & (s->raw_cap - 1)) {
		struct raw *r = &s->raw[j];

		if (r->file == file && r->caller == caller && r->pid == key && r->line == line)
			return r->id;
	}
	id = name_raw(s, pid, file, line, caller);
	if (id == RAW_EMPTY)
		return 0;	/* out of memory: lump it with site 0 rather than lose bytes */
	s->raw[j] = (struct raw){ .file = file, .caller = caller, .pid = key, .line = line,
				  .id = id };
	s->raw_n++;
	return id;
}

int sites__name(const struct sites *s, __u32 id, struct site_name *out)
{
	if (id >= s->n)
		return -ENOENT;
	out->file = s->v[id].file;
	out->line = s->v[id].line;
	out->caller = s->v[id].caller;
	out->module = s->v[id].module;
	out->build_id = s->v[id].build_id;
	out->names_from = s->v[id].names_from;
	return 0;
}

__u32 sites__count(const struct sites *s)
{
	return s->n;
}
