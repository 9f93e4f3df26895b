/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_READER_H
#define TLSMEM_READER_H

/*
 * Drains the BPF ring buffer into the model. Validation is the model's;
 * the reader counts records and notes which processes reported a change of
 * their link map (a library loaded), for the session to rescan.
 */
#include <linux/types.h>
#include <stddef.h>

struct reader;
struct model;
struct tlsmem_short;

/* Told of every fork, exec and exit record, after the model was fed with it. */
typedef void (*reader_proc_fn)(void *ctx, const struct tlsmem_short *e);

/* NULL + errno. map_fd is the ring buffer map; the model is borrowed. */
struct reader *reader__new(int map_fd, struct model *m);
void reader__free(struct reader *r);	/* NULL-safe */
void reader__set_proc_fn(struct reader *r, reader_proc_fn fn, void *ctx);
/* Waits up to timeout_ms for records and consumes them: count or -errno (EINTR is 0). */
int reader__poll(struct reader *r, int timeout_ms);
/* A descriptor that polls readable when records wait (the ring buffer's epoll fd). */
int reader__fd(const struct reader *r);
/* Consumes what is there without waiting: count or -errno. */
int reader__drain(struct reader *r);
/* Records received so far. */
__u64 reader__received(const struct reader *r);
/* Records the model could not hold (out of memory). */
__u64 reader__failed(const struct reader *r);
/*
 * Moves the pids that reported loader events into pids (at most cap), with
 * the CLOCK_MONOTONIC time of each one's latest event in ts_ns; returns the count.
 */
size_t reader__take_maps_changed(struct reader *r, int *pids, __u64 *ts_ns, size_t cap);

#endif /* TLSMEM_READER_H */
