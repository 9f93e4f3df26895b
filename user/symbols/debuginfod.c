// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * debuginfod worker. The library is opened with dlopen by the worker, and
 * its calls are made on the worker thread only. A lookup's progress
 * callback ends it past its deadline or when the worker is told to stop,
 * so no server, however slow or silent, holds tlsmem up.
 */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "debugfile.h"
#include "debuginfod.h"

#define DINFOD_MAX_REQS	1024

struct req {
	struct req *next;
	void *tag;
	int fd;			/* result: the file, or -errno */
	size_t len;
	__u8 id[BUILD_ID_MAX];
};

typedef debuginfod_client *(*begin_fn)(void);
typedef int (*find_fn)(debuginfod_client *, const unsigned char *, int, char **);
typedef void (*set_progress_fn)(debuginfod_client *, debuginfod_progressfn_t);
typedef void (*end_fn)(debuginfod_client *);

struct dinfod {
	void *lib;
	begin_fn begin;
	find_fn find;
	set_progress_fn set_progress;
	end_fn end;
	unsigned int timeout_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* work queued, or stop */
	pthread_cond_t idle;		/* a lookup finished */
	struct req *queue, **queue_tail, *done, **done_tail;
	size_t nreqs;			/* queued + running + finished, not taken */
	int busy;
	volatile int stop;
	__u64 deadline_ns;		/* of the running lookup */
};

/* The worker's own client: libdebuginfod's callback gets no other context. */
static __thread struct dinfod *worker_self;

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* libdebuginfod's progress callback: non-zero ends the transfer. */
static int progress(debuginfod_client *c, long a, long b)
{
	struct dinfod *d = worker_self;

	(void)c;
	(void)a;
	(void)b;
	return d && (d->stop || mono_ns() > d->deadline_ns);
}

static int lookup(struct dinfod *d, debuginfod_client *c, const struct req *r)
{
	char *path = NULL;
	int fd;

	d->deadline_ns = mono_ns() + (__u64)d->timeout_ms * 1000000ull;
	fd = d->find(c, r->id, (int)r->len, &path);
	free(path);
	return fd;		/* the file, or a negative errno */
}

static int load_lib(struct dinfod *d)
{
	d->lib = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!d->lib)
		return -ENOSYS;
	d->begin = (begin_fn)dlsym(d->lib, "debuginfod_begin");
	d->find = (find_fn)dlsym(d->lib, "debuginfod_find_debuginfo");
	d->set_progress = (set_progress_fn)dlsym(d->lib, "debuginfod_set_progressfn");
	d->end = (end_fn)dlsym(d->lib, "debuginfod_end");
	return d->begin && d->find && d->set_progress && d->end ? 0 : -ENOSYS;
}

static void *worker(void *arg)
{
	struct dinfod *d = arg;
	debuginfod_client *c;
	struct req *r;

	worker_self = d;
	c = load_lib(d) ? NULL : d->begin();	/* dlopen here: not on the attach path */
	if (c)
		d->set_progress(c, progress);
	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		r = d->queue;
		if (!r) {
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		d->queue = r->next;
		if (!d->queue)
			d->queue_tail = &d->queue;
		d->busy = 1;
		pthread_mutex_unlock(&d->lock);
		r->fd = c ? lookup(d, c, r) : -ENOSYS;
		r->next = NULL;
		pthread_mutex_lock(&d->lock);
		d->busy = 0;
		*d->done_tail = r;
		d->done_tail = &r->next;
		pthread_cond_broadcast(&d->idle);
	}
	pthread_mutex_unlock(&d->lock);
	if (c)
		d->end(c);
	return NULL;
}


struct dinfod *dinfod__new(unsigned int timeout_ms)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct dinfod *d;
	int err;

	if (!urls || !*urls) {
		errno = ENOENT;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->timeout_ms = timeout_ms;
	d->queue_tail = &d->queue;
	d->done_tail = &d->done;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_cond_init(&d->idle, NULL);
	err = -pthread_create(&d->thread, NULL, worker, d);
	if (err) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		pthread_cond_destroy(&d->idle);
		free(d);
		errno = -err;
		return NULL;
	}
	return d;
}

int dinfod__request(struct dinfod *d, const __u8 *id, size_t len, void *tag)
{
	struct req *r;

	if (!len || len > BUILD_ID_MAX)
		return -EINVAL;
	if (d->nreqs >= DINFOD_MAX_REQS)
		return -E2BIG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r->id, id, len);
	r->len = len;
	r->tag = tag;
	pthread_mutex_lock(&d->lock);
	*d->queue_tail = r;
	d->queue_tail = &r->next;
	d->nreqs++;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int dinfod__take(struct dinfod *d, void **tag, int *fd)
{
	struct req *r;

	pthread_mutex_lock(&d->lock);
	r = d->done;
	if (r) {
		d->done = r->next;
		if (!d->done)
			d->done_tail = &d->done;
		d->nreqs--;
	}
	pthread_mutex_unlock(&d->lock);
	if (!r)
		return 0;
	*tag = r->tag;
	*fd = r->fd;
	free(r);
	return 1;
}

size_t dinfod__pending(const struct dinfod *d)
{
	return d ? d->nreqs : 0;	/* changed only by the owner's thread */
}

void dinfod__wait(struct dinfod *d, unsigned int ms)
{
	struct timespec until;

	if (!d)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	while ((d->queue || d->busy) &&
	       pthread_cond_timedwait(&d->idle, &d->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&d->lock);
}

static void free_list(struct req *r)
{
	while (r) {
		struct req *next = r->next;

		if (r->fd >= 0)
			close(r->fd);
		free(r);
		r = next;
	}
}

void dinfod__free(struct dinfod *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	for (struct req *r = d->queue; r; r = r->next)
		r->fd = -1;
	free_list(d->queue);
	free_list(d->done);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	pthread_cond_destroy(&d->idle);
	if (d->lib)
		dlclose(d->lib);
	free(d);
}
