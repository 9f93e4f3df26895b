// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A bounded, strict JSON reader; see jsonr.h. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonr.h"

#define NUM_MAX		64	/* characters in one number: more is not ours */

struct jsonr {
	struct jsonr_node *nodes;
	size_t n, cap;
	char *arena;		/* unescaped strings; never longer than their source */
	size_t used;
};

struct parser {
	const char *s;
	size_t len, pos;
	struct jsonr *d;
	char *err;
	size_t errcap;
	int depth;
	int errno_;		/* set with the first error */
};

static void __attribute__((format(printf, 2, 3))) fail(struct parser *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (p->errno_)
		return;
	p->errno_ = EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errcap)
		snprintf(p->err, p->errcap, "byte %zu: %s", p->pos, msg);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* The next byte, or -1 at the end. */
static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* A new node; its index, or -1 (ENOMEM). */
static long new_node(struct parser *p, enum jsonr_type t, const char *key)
{
	struct jsonr *d = p->d;
	struct jsonr_node *v;
	size_t cap;

	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 64;
		v = realloc(d->nodes, cap * sizeof(*v));
		if (!v) {
			p->errno_ = ENOMEM;
			return -1;
		}
		d->nodes = v;
		d->cap = cap;
	}
	memset(&d->nodes[d->n], 0, sizeof(d->nodes[0]));
	d->nodes[d->n].type = t;
	d->nodes[d->n].key = key;
	return (long)d->n++;
}

static int hex4(struct parser *p, unsigned int *out)
{
	unsigned int v = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = peek(p);
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned int)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + (unsigned int)((c | 0x20) - 'a' + 10);
		else
			return -1;
		p->pos++;
	}
	*out = v;
	return 0;
}

static void put_utf8(char **o, unsigned int cp)
{
	char *q = *o;

	if (cp == 0) {
		*q++ = '?';
	} else if (cp < 0x80) {
		*q++ = (char)cp;
	} else if (cp < 0x800) {
		*q++ = (char)(0xc0 | (cp >> 6));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (char)(0xe0 | (cp >> 12));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (char)(0xf0 | (cp >> 18));
		*q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = q;
}

/* \uXXXX (the backslash and u consumed), a surrogate pair joined. */
static int unicode_escape(struct parser *p, char **o)
{
	unsigned int hi, lo;

	if (hex4(p, &hi))
		return -1;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1;
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (peek(p) != '\\' || p->pos + 1 >= p->len || p->s[p->pos + 1] != 'u')
			return -1;
		p->pos += 2;
		if (hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(o, hi);
	return 0;
}

static int escape(struct parser *p, char **o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	int c = peek(p);

	if (c < 0) {
		fail(p, "unterminated string");
		return -1;
	}
	p->pos++;
	if (c == 'u') {
		if (!unicode_escape(p, o))
			return 0;
		fail(p, "bad \\u escape");
		return -1;
	}
	k = strchr(from, c);
	if (!c || !k) {
		fail(p, "bad escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
		return -1;
	}
	*(*o)++ = to[k - from];
	return 0;
}

/* A string at p->pos (its opening quote); its unescaped copy, or NULL. */
static const char *string(struct parser *p)
{
	char *start = p->d->arena + p->d->used, *o = start;
	int c;

	p->pos++;
	for (;;) {
		c = peek(p);
		if (c < 0) {
			fail(p, "unterminated string");
			return NULL;
		}
		if (c < 0x20) {
			fail(p, "control character in a string");
			return NULL;
		}
		p->pos++;
		if (c == '"')
			break;
		if (c != '\\')
			*o++ = (char)c;
		else if (escape(p, &o))
			return NULL;
	}
	*o++ = '\0';
	p->d->used += (size_t)(o - start);
	return start;
}

static size_t digits(struct parser *p)
{
	size_t n = 0;

	while (peek(p) >= '0' && peek(p) <= '9') {
		p->pos++;
		n++;
	}
	return n;
}

/* RFC 8259 number syntax, then strtod on a bounded copy. */
static int number(struct parser *p, double *out)
{
	size_t start = p->pos;
	char buf[NUM_MAX + 1];
	char *end;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (!digits(p))
		goto bad;
	if (peek(p) == '.') {
		p->pos++;
		if (!digits(p))
			goto bad;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digits(p))
			goto bad;
	}
	if (p->pos - start > NUM_MAX) {
		fail(p, "number longer than %d characters", NUM_MAX);
		return -1;
	}
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (*end || !isfinite(*out)) {
		fail(p, "number out of range");
		return -1;
	}
	return 0;
bad:
	fail(p, "bad number");
	return -1;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n)) {
		fail(p, "unexpected character");
		return -1;
	}
	p->pos += n;
	return 0;
}

static long value(struct parser *p, const char *key);

/* The members or elements of the container at index self, up to close. */
static int children(struct parser *p, long self, char close)
{
	bool obj = close == '}';
	const char *key = NULL;
	long prev = -1, kid;

	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (obj) {
			if (peek(p) != '"') {
				fail(p, "expected a member name");
				return -1;
			}
			key = string(p);
			if (!key)
				return -1;
			skip_ws(p);
			if (peek(p) != ':') {
				fail(p, "expected ':'");
				return -1;
			}
			p->pos++;
		}
		kid = value(p, key);
		if (kid < 0)
			return -1;
		if (prev < 0)
			p->d->nodes[self].child = (unsigned int)(kid - self);
		else
			p->d->nodes[prev].next = (unsigned int)(kid - prev);
		p->d->nodes[self].count++;
		prev = kid;
		skip_ws(p);
		if (peek(p) == close) {
			p->pos++;
			return 0;
		}
		if (peek(p) != ',') {
			fail(p, "expected ',' or '%c'", close);
			return -1;
		}
		p->pos++;
	}
}

static long container(struct parser *p, const char *key, enum jsonr_type t)
{
	long self;
	int err;

	if (p->depth >= JSONR_DEPTH) {
		fail(p, "nested deeper than %d", JSONR_DEPTH);
		return -1;
	}
	self = new_node(p, t, key);
	if (self < 0)
		return -1;
	p->pos++;
	p->depth++;
	err = children(p, self, t == JSONR_OBJ ? '}' : ']');
	p->depth--;
	return err ? -1 : self;
}

static long value(struct parser *p, const char *key)
{
	const char *s;
	double num;
	long i;
	int c;

	skip_ws(p);
	c = peek(p);
	switch (c) {
	case '{':
		return container(p, key, JSONR_OBJ);
	case '[':
		return container(p, key, JSONR_ARR);
	case '"':
		s = string(p);
		i = s ? new_node(p, JSONR_STR, key) : -1;
		if (i >= 0)
			p->d->nodes[i].str = s;
		return i;
	case 't':
	case 'f':
		if (literal(p, c == 't' ? "true" : "false"))
			return -1;
		i = new_node(p, JSONR_BOOL, key);
		if (i >= 0)
			p->d->nodes[i].b = c == 't';
		return i;
	case 'n':
		return literal(p, "null") ? -1 : new_node(p, JSONR_NULL, key);
	default:
		if (c != '-' && (c < '0' || c > '9')) {
			fail(p, c < 0 ? "unexpected end of input" : "unexpected character");
			return -1;
		}
		if (number(p, &num))
			return -1;
		i = new_node(p, JSONR_NUM, key);
		if (i >= 0)
			p->d->nodes[i].num = num;
		return i;
	}
}

void jsonr__free(struct jsonr *d)
{
	if (!d)
		return;
	free(d->nodes);
	free(d->arena);
	free(d);
}

struct jsonr *jsonr__parse(const char *text, size_t len, char *err, size_t errcap)
{
	struct parser p = { .s = text, .len = len, .err = err, .errcap = errcap };

	if (errcap)
		err[0] = '\0';
	if (len > JSONR_MAX_BYTES) {
		errno = E2BIG;
		return NULL;
	}
	p.d = calloc(1, sizeof(*p.d));
	if (!p.d || !(p.d->arena = malloc(len + 1))) {
		jsonr__free(p.d);
		errno = ENOMEM;
		return NULL;
	}
	if (value(&p, NULL) == 0) {
		skip_ws(&p);
		if (p.pos < p.len)
			fail(&p, "text after the end of the value");
	}
	if (p.errno_) {
		jsonr__free(p.d);
		errno = p.errno_;
		return NULL;
	}
	return p.d;
}

const struct jsonr_node *jsonr__root(const struct jsonr *d)
{
	return d && d->n ? &d->nodes[0] : NULL;
}

const struct jsonr_node *jsonr_first(const struct jsonr_node *n)
{
	return n && n->child ? n + n->child : NULL;
}

const struct jsonr_node *jsonr_next(const struct jsonr_node *n)
{
	return n && n->next ? n + n->next : NULL;
}

const struct jsonr_node *jsonr_get(const struct jsonr_node *n, const char *key)
{
	const struct jsonr_node *c;

	if (!n || n->type != JSONR_OBJ)
		return NULL;
	for (c = jsonr_first(n); c; c = jsonr_next(c))
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

bool jsonr_num(const struct jsonr_node *n, double *out)
{
	if (!n || n->type != JSONR_NUM)
		return false;
	*out = n->num;
	return true;
}

bool jsonr_bool(const struct jsonr_node *n, bool *out)
{
	if (!n || n->type != JSONR_BOOL)
		return false;
	*out = n->b;
	return true;
}

const char *jsonr_str(const struct jsonr_node *n)
{
	return n && n->type == JSONR_STR ? n->str : NULL;
}
