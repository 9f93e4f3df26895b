// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Ring buffer -> model; see reader.h. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "model.h"
#include "reader.h"

_Static_assert(sizeof(struct tlsmem_hdr) == 24, "tlsmem_hdr layout changed");
_Static_assert(sizeof(struct tlsmem_short) == 40, "tlsmem_short layout changed");
_Static_assert(sizeof(struct tlsmem_alloc) == 80, "tlsmem_alloc layout changed");

#define MAPS_PENDING	64

struct reader {
	struct ring_buffer *rb;
	struct model *m;
	__u64 received;
	__u64 failed;
	int maps_pids[MAPS_PENDING];
	__u64 maps_ns[MAPS_PENDING];	/* the latest loader event of each */
	size_t nmaps;
	reader_proc_fn proc_fn;
	void *proc_ctx;
};

static void note_maps_changed(struct reader *r, int pid, __u64 ts_ns)
{
	size_t i;

	for (i = 0; i < r->nmaps; i++)
		if (r->maps_pids[i] == pid) {
			if (ts_ns > r->maps_ns[i])
				r->maps_ns[i] = ts_ns;
			return;
		}
	if (r->nmaps < MAPS_PENDING) {
		r->maps_ns[r->nmaps] = ts_ns;
		r->maps_pids[r->nmaps++] = pid;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct tlsmem_hdr *h = data;
	struct reader *r = ctx;

	r->received++;
	if (model__feed(r->m, data, size) == -ENOMEM)
		r->failed++;
	if (size >= sizeof(*h) && h->kind == TLSMEM_EV_MAPS_CHANGED)
		note_maps_changed(r, (int)h->pid, h->ts_ns);
	if (r->proc_fn && size >= sizeof(struct tlsmem_short) &&
	    (h->kind == TLSMEM_EV_FORK || h->kind == TLSMEM_EV_EXEC || h->kind == TLSMEM_EV_EXIT))
		r->proc_fn(r->proc_ctx, data);
	return 0;	/* a negative return would stop consumption */
}

struct reader *reader__new(int map_fd, struct model *m)
{
	struct reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	r->m = m;
	r->rb = ring_buffer__new(map_fd, on_event, r, NULL);
	if (!r->rb) {
		err = errno;
		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

void reader__set_proc_fn(struct reader *r, reader_proc_fn fn, void *ctx)
{
	r->proc_fn = fn;
	r->proc_ctx = ctx;
}

void reader__free(struct reader *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}

int reader__poll(struct reader *r, int timeout_ms)
{
	int n = ring_buffer__poll(r->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

int reader__fd(const struct reader *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

int reader__drain(struct reader *r)
{
	return ring_buffer__consume(r->rb);
}

__u64 reader__received(const struct reader *r)
{
	return r->received;
}

__u64 reader__failed(const struct reader *r)
{
	return r->failed;
}

size_t reader__take_maps_changed(struct reader *r, int *pids, __u64 *ts_ns, size_t cap)
{
	size_t i, n = r->nmaps < cap ? r->nmaps : cap;

	for (i = 0; i < n; i++) {
		pids[i] = r->maps_pids[i];
		ts_ns[i] = r->maps_ns[i];
	}
	r->nmaps = 0;
	return n;
}
