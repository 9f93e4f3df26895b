// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * /proc/PID/maps parsing. A line is
 * "START-END PERMS PGOFF MAJ:MIN INODE [padding PATH]", with hex numbers
 * except the decimal inode; PATH runs to the end of the line and may contain
 * spaces. The parser is a bounded cursor over the caller's buffer and never
 * reads past len; every number is checked for overflow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "procmaps.h"

#define MAPS_MAX_BYTES	(256u << 20)	/* far above any real maps file */
#define MAPS_READ_CHUNK	(64u << 10)
#define DELETED_SUFFIX	" (deleted)"

struct cursor {
	const char *p;
	const char *end;
};

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int get_hex(struct cursor *c, __u64 *out)
{
	const char *start = c->p;
	__u64 v = 0;
	int d;

	while (c->p < c->end && (d = hexval(*c->p)) >= 0) {
		if (v >> 60)
			return -EINVAL;
		v = v << 4 | (__u64)d;
		c->p++;
	}
	if (c->p == start)
		return -EINVAL;
	*out = v;
	return 0;
}

static int get_dec(struct cursor *c, __u64 *out)
{
	const char *start = c->p;
	__u64 v = 0, d;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		d = (__u64)(*c->p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return -EINVAL;
	*out = v;
	return 0;
}

static int expect(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

/* One permission character: `yes` sets *flag, '-' clears it. */
static int get_perm(struct cursor *c, char yes, char no, __u8 *flag)
{
	if (c->p >= c->end || (*c->p != yes && *c->p != no))
		return -EINVAL;
	*flag = *c->p++ == yes;
	return 0;
}

static int get_perms(struct cursor *c, struct map_entry *e)
{
	if (get_perm(c, 'r', '-', &e->r) || get_perm(c, 'w', '-', &e->w) ||
	    get_perm(c, 'x', '-', &e->x) || get_perm(c, 's', 'p', &e->shared))
		return -EINVAL;
	return 0;
}

static int get_dev(struct cursor *c, struct map_entry *e)
{
	__u64 maj, min;

	if (get_hex(c, &maj) || expect(c, ':') || get_hex(c, &min))
		return -EINVAL;
	if (maj > UINT32_MAX || min > UINT32_MAX)
		return -EINVAL;
	e->dev_major = (__u32)maj;
	e->dev_minor = (__u32)min;
	return 0;
}

/* Copies [p, end) into e->path, stripping and recording " (deleted)". */
static int set_path(struct map_entry *e, const char *p, const char *end)
{
	size_t n = (size_t)(end - p), sfx = sizeof(DELETED_SUFFIX) - 1;

	if (n >= sfx && memcmp(end - sfx, DELETED_SUFFIX, sfx) == 0) {
		e->deleted = 1;
		n -= sfx;
	}
	e->path = malloc(n + 1);
	if (!e->path)
		return -ENOMEM;
	memcpy(e->path, p, n);
	e->path[n] = '\0';
	return 0;
}

static int parse_line(const char *p, const char *end, struct map_entry *e)
{
	struct cursor c = { p, end };

	memset(e, 0, sizeof(*e));
	if (get_hex(&c, &e->start) || expect(&c, '-') || get_hex(&c, &e->end) ||
	    expect(&c, ' ') || get_perms(&c, e) || expect(&c, ' ') ||
	    get_hex(&c, &e->pgoff) || expect(&c, ' ') || get_dev(&c, e) ||
	    expect(&c, ' ') || get_dec(&c, &e->inode))
		return -EINVAL;
	if (e->start >= e->end)
		return -EINVAL;
	/* the path, if any, follows padding spaces after the inode */
	if (c.p < c.end && *c.p != ' ')
		return -EINVAL;
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	return set_path(e, c.p, c.end);
}

static int grow(struct map_list *l, size_t *cap)
{
	struct map_entry *v;
	size_t ncap = *cap ? *cap * 2 : 64;

	if (ncap > SIZE_MAX / sizeof(*v))
		return -ENOMEM;
	v = realloc(l->v, ncap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	*cap = ncap;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The kernel emits sorted lines; sort anyway so map_list__find() holds. */
static void sort_entries(struct map_list *l)
{
	for (size_t i = 1; i < l->n; i++) {
		if (l->v[i - 1].start > l->v[i].start) {
			qsort(l->v, l->n, sizeof(*l->v), cmp_start);
			return;
		}
	}
}

int procmaps_parse(const char *buf, size_t len, struct map_list *out)
{
	struct map_list l = { NULL, 0 };
	const char *p = buf, *end, *nl, *eol;
	size_t cap = 0;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	end = buf + len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		eol = nl ? nl : end;
		if (eol > p) {		/* tolerate empty lines */
			err = l.n == cap ? grow(&l, &cap) : 0;
			if (!err)
				err = parse_line(p, eol, &l.v[l.n]);
			if (err)
				goto fail;
			l.n++;
		}
		p = nl ? nl + 1 : end;
	}
	sort_entries(&l);
	*out = l;
	return 0;
fail:
	map_list__free(&l);
	return err;
}

int procmaps_read(int pid, struct map_list *out)
{
	char path[64], *buf = NULL;
	size_t len = 0;
	int fd, err;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fileio_read_fd_all(fd, MAPS_READ_CHUNK, MAPS_MAX_BYTES, &buf, &len);
	close(fd);
	if (!err)
		err = procmaps_parse(buf, len, out);
	free(buf);
	return err;
}

void map_list__free(struct map_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct map_entry *map_list__find(const struct map_list *l, __u64 addr)
{
	size_t lo = 0, hi, mid;

	if (!l || !l->n)
		return NULL;
	/* find the last entry with start <= addr */
	hi = l->n;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (l->v[mid].start <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (l->v[lo].start <= addr && addr < l->v[lo].end)
		return &l->v[lo];
	return NULL;
}

int procmaps_object_path(int pid, const struct map_entry *e, char *buf, size_t cap)
{
	int n;

	n = snprintf(buf, cap, "/proc/%d/map_files/%llx-%llx", pid,
		     (unsigned long long)e->start, (unsigned long long)e->end);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}
