// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libtcn.so: the netty-tcnative pattern in miniature (incident 2 of
 * DESIGN.md). A JNI-like library, linked against the system libcrypto, that
 * allocates a 32-byte per-connection state with OPENSSL_malloc and keeps it
 * in a global list, never freed. dl_host loads it from a temp file and
 * deletes the file, as the JVM does with the library it unpacks.
 *
 * tcn_state_new is global and not inlined, and the call to CRYPTO_malloc is
 * not a tail call: the allocation's caller is tcn_state_new itself.
 */
#include <stdint.h>
#include <openssl/crypto.h>

#define TCN_STATE_BYTES	32

struct tcn_state {
	struct tcn_state *next;
	uint64_t id;
	uint64_t flags;
	uint64_t pad;
};

_Static_assert(sizeof(struct tcn_state) == TCN_STATE_BYTES, "tcn_state must be 32 bytes");

static struct tcn_state *states;	/* never freed */
static uint64_t nstates;

void *tcn_state_new(void);
long tcn_state_count(void);

__attribute__((noinline)) void *tcn_state_new(void)
{
	struct tcn_state *st = OPENSSL_malloc(sizeof(*st));

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
