// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libnames: a library whose allocation site's caller is a static function,
 * for naming it in stripped code. dl_host --call tcn calls the exported
 * tcn_state_new, which hands over to the static new_ssl_state; that one
 * calls OPENSSL_malloc (not a tail call). tcn_state_new is laid out just
 * before new_ssl_state, so "the nearest preceding export" would be a wrong
 * answer. Built stripped in several ways (Makefile): with a build-id debug
 * file, a .gnu_debuglink, MiniDebugInfo, none; with NAMES_JNI the library
 * also has a JNINativeMethod table that registers new_ssl_state as
 * "newSSL", as netty-tcnative does.
 */
#include <stdint.h>
#include <openssl/crypto.h>

#define NAMES_STATE_BYTES	32

struct names_state {
	struct names_state *next;
	uint64_t id;
	uint64_t flags;
	uint64_t pad;
};

_Static_assert(sizeof(struct names_state) == NAMES_STATE_BYTES, "names_state must be 32 bytes");

static struct names_state *states;	/* never freed */
static uint64_t nstates;

void *tcn_state_new(void);
long tcn_state_count(void);

static void *new_ssl_state(void);

__attribute__((noinline)) void *tcn_state_new(void)
{
	void *st = new_ssl_state();

	return st ? st : NULL;
}

__attribute__((noinline, noclone)) static void *new_ssl_state(void)
{
	struct names_state *st = OPENSSL_malloc(sizeof(*st));

	if (!st)
		return NULL;
	st->id = nstates++;
	st->flags = 0;
	st->pad = 0;
	st->next = states;
	states = st;
	return st;
}

long tcn_state_count(void)
{
	return (long)nstates;
}

#ifdef NAMES_JNI
/* jni.h's JNINativeMethod, without a JDK */
typedef struct {
	char *name;
	char *signature;
	void *fnPtr;
} JNINativeMethod;

static const JNINativeMethod methods[] = {
	{ "newSSL", "(JZ)J", (void *)new_ssl_state },
	{ "stateCount", "()J", (void *)tcn_state_count },
};

/* What JNI_OnLoad would pass to RegisterNatives. */
const void *names_natives(int *n);
const void *names_natives(int *n)
{
	*n = (int)(sizeof(methods) / sizeof(methods[0]));
	return methods;
}
#endif
