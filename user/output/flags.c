// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The words of each growth-flag kind; see flags.h. */
#include <stdio.h>
#include <stdlib.h>
#include "summary.h"
#include "flags.h"

const struct flag_kind flags_kinds[] = {
	{ GROWTH_LEAK_PER_CONN, "leak-per-connection", "LEAK" },
	{ GROWTH_GROWTH, "growth", "GROWTH" },
	{ GROWTH_SSL_OUTLIVES_SOCKET, "ssl-outlives-socket", "SSL>SOCKETS" },
	{ GROWTH_CACHE, "cache", "CACHE" },
	{ GROWTH_SESSION_LEAK, "session-leak", "SESSION LEAK" },
};

const size_t flags_nkinds = sizeof(flags_kinds) / sizeof(flags_kinds[0]);

static const struct flag_kind *find(int kind)
{
	size_t i;

	for (i = 0; i < flags_nkinds; i++)
		if ((int)flags_kinds[i].kind == kind)
			return &flags_kinds[i];
	return NULL;
}

const char *flags_name(int kind)
{
	const struct flag_kind *k = find(kind);

	return k ? k->name : "unknown";
}

const char *flags_word(int kind)
{
	const struct flag_kind *k = find(kind);

	return k ? k->word : "FLAG";
}

void flags_field(const struct summary *s, char *buf, size_t cap)
{
	struct growth_flag *v;
	size_t n, i, len = 0;

	buf[0] = '\0';
	v = summary_flags(s, &n);
	for (i = 0; i < n && len + 1 < cap; i++) {
		int w;

		if (!v[i].active)
			continue;
		w = snprintf(buf + len, cap - len, "%s%s", len ? ";" : "",
			     flags_name(v[i].kind));
		len += w > 0 ? (size_t)w : 0;
	}
	free(v);
}
