/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_READER_H
#define TLSMEM_READER_H

/*
 * Drains the BPF ring buffer into the model. A thread of its own copies the
 * records out of the ring within milliseconds, whatever the main thread is
 * doing, into a queue that the main thread feeds to the model: a stall of
 * the main thread (a slow /proc read, a slow terminal) costs queue memory,
 * up to a limit, not lost records. Validation is the model's; the reader
 * counts records and notes which processes reported a change of their link
 * map (a library loaded), for the session to rescan.
 */
#include <linux/types.h>
#include <stddef.h>

struct reader;
struct model;
struct tlsmem_short;

/* Told of every fork, exec and exit record, after the model was fed with it. */
typedef void (*reader_proc_fn)(void *ctx, const struct tlsmem_short *e);

/*
 * NULL + errno. map_fd is the ring buffer map; the model is borrowed;
 * max_queued bounds the bytes of copied records waiting for the main thread.
 */
struct reader *reader__new(int map_fd, struct model *m, size_t max_queued);
void reader__free(struct reader *r);	/* NULL-safe */
void reader__set_proc_fn(struct reader *r, reader_proc_fn fn, void *ctx);
/* A descriptor that polls readable when copied records wait. */
int reader__fd(const struct reader *r);
/*
 * Feeds every record waiting to the model, in order, without waiting: count
 * or -errno. Main thread only. While the thread runs, that is what it copied
 * (it empties the ring within milliseconds); after reader__stop, what the
 * ring holds now.
 */
int reader__drain(struct reader *r);
/* Ends the thread: from then on reader__drain reads the ring itself (the final figures). */
void reader__stop(struct reader *r);
/* Records received so far. */
__u64 reader__received(const struct reader *r);
/* Records lost here: the model could not hold them, or the queue was full. */
__u64 reader__failed(struct reader *r);
/*
 * Moves the pids that reported loader events into pids (at most cap), with
 * the CLOCK_MONOTONIC time of each one's latest event in ts_ns; returns the count.
 */
size_t reader__take_maps_changed(struct reader *r, int *pids, __u64 *ts_ns, size_t cap);

#endif /* TLSMEM_READER_H */
