// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Ring buffer -> queue -> model; see reader.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "tlsmem.h"
#include "model.h"
#include "reader.h"

_Static_assert(sizeof(struct tlsmem_hdr) == 24, "tlsmem_hdr layout changed");
_Static_assert(sizeof(struct tlsmem_short) == 40, "tlsmem_short layout changed");
_Static_assert(sizeof(struct tlsmem_alloc) == 80, "tlsmem_alloc layout changed");

#define MAPS_PENDING	64
#define CHUNK_BYTES	(256u << 10)
/*
 * A pass over the ring copies this many records at most, then lets go of it:
 * ring_buffer__consume alone goes on as long as records come, which under a
 * steady churn is for ever.
 */
#define PASS_MAX	16384
#define FINAL_PASSES	64		/* at the end, with no thread: 1 M records at most */
#define POLL_MAX_MS	10		/* look every POLL_MAX_MS while records come */
#define POLL_IDLE_MAX_MS 160		/* and up to this after a quiet while */

/*
 * Copied records, each a __u32 size then the record, 8-byte aligned. Chunks
 * are mapped, not malloc'ed, so that the memory of a backlog goes back to the
 * system once it is fed.
 */
struct chunk {
	struct chunk *next;
	size_t len;
	_Alignas(8) unsigned char data[CHUNK_BYTES];
};

struct reader {
	struct ring_buffer *rb;
	struct model *m;
	__u64 received;			/* main thread: records fed to the model */
	__u64 failed;			/* main thread: records the model could not hold */
	int maps_pids[MAPS_PENDING];
	__u64 maps_ns[MAPS_PENDING];	/* the latest loader event of each */
	size_t nmaps;
	reader_proc_fn proc_fn;
	void *proc_ctx;

	/* the copier: the thread or a drain, one at a time under ring_mu */
	pthread_mutex_t ring_mu;
	struct chunk *fill;		/* being filled (ring_mu) */
	__u64 copied;			/* records copied in the current pass (ring_mu) */
	bool urgent;			/* fill holds a record to act on at once (ring_mu) */

	/* copied records waiting for the main thread */
	pthread_mutex_t q_mu;
	struct chunk *head, *tail;	/* q_mu */
	size_t queued;			/* bytes in chunks, the one being filled included (q_mu) */
	size_t max_queued;
	__u64 dropped;			/* records over max_queued (q_mu) */
	struct chunk *spare;		/* one free chunk kept (q_mu) */

	int wake_fd;			/* eventfd: readable when chunks wait */
	int stop_fd;			/* eventfd: tells the thread to end */
	pthread_t thread;
	bool started;
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

/* One record, on the main thread. */
static void feed(struct reader *r, const void *data, size_t size)
{
	const struct tlsmem_hdr *h = data;

	r->received++;
	if (model__feed(r->m, data, size) == -ENOMEM)
		r->failed++;
	if (size >= sizeof(*h) && h->kind == TLSMEM_EV_MAPS_CHANGED)
		note_maps_changed(r, (int)h->pid, h->ts_ns);
	if (r->proc_fn && size >= sizeof(struct tlsmem_short) &&
	    (h->kind == TLSMEM_EV_FORK || h->kind == TLSMEM_EV_EXEC || h->kind == TLSMEM_EV_EXIT))
		r->proc_fn(r->proc_ctx, data);
}

static size_t rec_space(size_t size)
{
	return (sizeof(__u32) + size + 7) & ~(size_t)7;
}

/* Hands the chunk being filled to the main thread (ring_mu held). */
static void publish(struct reader *r)
{
	struct chunk *c = r->fill;
	__u64 one = 1;

	if (!c || !c->len)
		return;
	r->fill = NULL;
	r->urgent = false;
	pthread_mutex_lock(&r->q_mu);
	if (r->tail)
		r->tail->next = c;
	else
		r->head = c;
	r->tail = c;
	pthread_mutex_unlock(&r->q_mu);
	if (write(r->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the main thread is already due to wake */
	}
}

static struct chunk *chunk_map(void)
{
	void *p = mmap(NULL, sizeof(struct chunk), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void chunk_unmap(struct chunk *c)
{
	if (c)
		munmap(c, sizeof(*c));
}

/* A chunk to fill, or NULL when the queue is at its limit (ring_mu held). */
static struct chunk *new_chunk(struct reader *r)
{
	struct chunk *c = NULL;

	pthread_mutex_lock(&r->q_mu);
	if (r->queued + CHUNK_BYTES <= r->max_queued) {
		c = r->spare;
		r->spare = NULL;
		if (c || (c = chunk_map()))
			r->queued += CHUNK_BYTES;
	}
	pthread_mutex_unlock(&r->q_mu);
	if (c) {
		c->next = NULL;
		c->len = 0;
	}
	return c;
}

/*
 * Records the session acts on at once (a process held stopped at a load or
 * an exec waits for them): handed over at the end of their pass, never kept
 * for a main thread behind.
 */
static bool urgent_kind(__u16 kind)
{
	return kind == TLSMEM_EV_MAPS_CHANGED || kind == TLSMEM_EV_EXEC ||
	       kind == TLSMEM_EV_FORK || kind == TLSMEM_EV_EXIT;
}

/* ring_buffer__consume's callback: copies, so that the ring is freed at once. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct reader *r = ctx;
	size_t need = rec_space(size);
	__u32 sz = (__u32)size;

	if (need > CHUNK_BYTES)
		return 0;		/* no record is this large; the model would reject it */
	if (r->fill && r->fill->len + need > CHUNK_BYTES)
		publish(r);
	if (!r->fill && !(r->fill = new_chunk(r))) {
		pthread_mutex_lock(&r->q_mu);
		r->dropped++;
		pthread_mutex_unlock(&r->q_mu);
		return 0;
	}
	memcpy(r->fill->data + r->fill->len, &sz, sizeof(sz));
	memcpy(r->fill->data + r->fill->len + sizeof(sz), data, size);
	r->fill->len += need;
	if (size >= sizeof(struct tlsmem_hdr))
		r->urgent |= urgent_kind(((const struct tlsmem_hdr *)data)->kind);
	/* a negative return ends the pass; this record counts as consumed */
	return ++r->copied >= PASS_MAX ? -EAGAIN : 0;
}

/* True when the main thread has taken every chunk handed to it. */
static bool queue_empty(struct reader *r)
{
	bool empty;

	pthread_mutex_lock(&r->q_mu);
	empty = !r->head;
	pthread_mutex_unlock(&r->q_mu);
	return empty;
}

/*
 * Copies what the ring holds into the queue, PASS_MAX records at most:
 * records copied (PASS_MAX when there may be more) or -errno. The chunk
 * being filled is handed over at the end of the pass when the main thread
 * waits for records, when it holds an urgent record, or always with all.
 * While the main thread is behind, the next passes fill the same chunk: a
 * chunk counts whole against max_queued, and one per pass would reach the
 * limit after a few seconds of a stall (512 passes) with far fewer records
 * than the limit holds.
 */
static int copy_pass(struct reader *r, bool all)
{
	int n;

	pthread_mutex_lock(&r->ring_mu);
	r->copied = 0;
	n = ring_buffer__consume(r->rb);
	if (all || r->urgent || queue_empty(r))
		publish(r);
	if (n >= 0 || n == -EAGAIN)
		n = (int)r->copied;
	pthread_mutex_unlock(&r->ring_mu);
	return n;
}

/*
 * The copier thread: the ring buffer is emptied within POLL_MAX_MS whatever
 * the main thread does (reading /proc, drawing on a slow terminal), so that
 * a stall there loses nothing. Records wake it only in bulk (see the BPF
 * side): it looks every POLL_MAX_MS while they come, less often when quiet.
 */
static void *copier(void *arg)
{
	struct reader *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = ring_buffer__epoll_fd(r->rb), .events = POLLIN },
		{ .fd = r->stop_fd, .events = POLLIN },
	};
	int every = POLL_MAX_MS, n;

	for (;;) {
		if (poll(pfd, 2, every) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			break;
		n = copy_pass(r, false);
		if (n < 0 && n != -EINTR)
			break;
		if (n >= PASS_MAX)
			every = 0;	/* more waits: look again at once */
		else if (n > 0 || r->fill)	/* r->fill: kept for a main thread behind */
			every = POLL_MAX_MS;
		else if (every < POLL_IDLE_MAX_MS)
			every = every ? every * 2 : POLL_MAX_MS;
	}
	return NULL;
}

struct reader *reader__new(int map_fd, struct model *m, size_t max_queued)
{
	struct reader *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int err;

	if (!r)
		return NULL;
	r->m = m;
	r->max_queued = max_queued > CHUNK_BYTES ? max_queued : CHUNK_BYTES;
	r->wake_fd = r->stop_fd = -1;
	pthread_mutex_init(&r->ring_mu, NULL);
	pthread_mutex_init(&r->q_mu, NULL);
	r->rb = ring_buffer__new(map_fd, on_record, r, NULL);
	if (!r->rb)
		goto fail;
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0 || r->stop_fd < 0)
		goto fail;
	/* signals are the main thread's: the copier blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&r->thread, NULL, copier, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		goto fail;
	}
	r->started = true;
	return r;
fail:
	err = errno;
	reader__free(r);
	errno = err;
	return NULL;
}

void reader__set_proc_fn(struct reader *r, reader_proc_fn fn, void *ctx)
{
	r->proc_fn = fn;
	r->proc_ctx = ctx;
}

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		chunk_unmap(c);
		c = next;
	}
}

void reader__stop(struct reader *r)
{
	__u64 one = 1;

	if (!r || !r->started)
		return;
	if (write(r->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on a fresh counter */
	}
	pthread_join(r->thread, NULL);
	r->started = false;
}

void reader__free(struct reader *r)
{
	if (!r)
		return;
	reader__stop(r);
	ring_buffer__free(r->rb);
	free_chunks(r->head);
	chunk_unmap(r->fill);
	chunk_unmap(r->spare);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->stop_fd >= 0)
		close(r->stop_fd);
	pthread_mutex_destroy(&r->ring_mu);
	pthread_mutex_destroy(&r->q_mu);
	free(r);
}

int reader__fd(const struct reader *r)
{
	return r->wake_fd;
}

/* Feeds the model with every queued record, in order: how many. */
static int feed_queued(struct reader *r)
{
	struct chunk *c, *next;
	__u64 buf;
	size_t off;
	int n = 0;

	if (read(r->wake_fd, &buf, sizeof(buf)) < 0) {
		/* EAGAIN: nothing signalled since the last time */
	}
	pthread_mutex_lock(&r->q_mu);
	c = r->head;
	r->head = r->tail = NULL;
	pthread_mutex_unlock(&r->q_mu);
	for (; c; c = next) {
		next = c->next;
		for (off = 0; off + sizeof(__u32) <= c->len; ) {
			__u32 sz;

			memcpy(&sz, c->data + off, sizeof(sz));
			feed(r, c->data + off + sizeof(sz), sz);
			off += rec_space(sz);
			n++;
		}
		pthread_mutex_lock(&r->q_mu);
		r->queued -= CHUNK_BYTES;
		if (!r->spare) {
			r->spare = c;
			c = NULL;
		}
		pthread_mutex_unlock(&r->q_mu);
		chunk_unmap(c);
	}
	return n;
}

/*
 * With the thread at work, what it copied (a pass of ours would wait for its
 * lock, and it is copying anyway). Once it stopped, the ring up to now, in
 * passes: FINAL_PASSES at most, for a target that never pauses.
 */
int reader__drain(struct reader *r)
{
	int n = 0, i, err;

	for (i = 0; !r->started && i < FINAL_PASSES; i++) {
		err = copy_pass(r, true);
		if (err < 0 && err != -EINTR)
			return err;
		n += feed_queued(r);
		if (err < PASS_MAX)
			return n;
	}
	return n + feed_queued(r);
}

__u64 reader__received(const struct reader *r)
{
	return r->received;
}

__u64 reader__failed(struct reader *r)
{
	__u64 dropped;

	pthread_mutex_lock(&r->q_mu);
	dropped = r->dropped;
	pthread_mutex_unlock(&r->q_mu);
	return r->failed + dropped;
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
