/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_DEBUGINFOD_H
#define TLSMEM_DEBUGINFOD_H

/*
 * Debug files by build-id from debuginfod servers (DEBUGINFOD_URLS), through
 * libdebuginfod loaded at run time: tlsmem runs where it is absent. Requests
 * are served by one worker thread, so neither attaching nor the live view
 * waits; each request is cut off after a time limit, and files are cached
 * where libdebuginfod caches them. Results are taken by the owner's thread.
 * Plain libc and pthreads.
 */
#include <linux/types.h>
#include <stddef.h>

struct dinfod;

/*
 * Starts the worker, which loads libdebuginfod. NULL with errno: ENOENT when
 * DEBUGINFOD_URLS is unset or empty, or another errno. When the library
 * cannot be loaded, every lookup ends with -ENOSYS. timeout_ms bounds each
 * request.
 */
struct dinfod *dinfod__new(unsigned int timeout_ms);

/* Queues a lookup of build-id id; tag comes back with the result. 0, -ENOMEM, -E2BIG. */
int dinfod__request(struct dinfod *d, const __u8 *id, size_t len, void *tag);

/*
 * Takes one finished lookup: 1 with *tag and *fd (the debug file, the
 * caller closes it; a negative errno when the lookup failed), 0 when none
 * is finished.
 */
int dinfod__take(struct dinfod *d, void **tag, int *fd);

/* Number of lookups not taken yet (queued, running, or finished). */
size_t dinfod__pending(const struct dinfod *d);

/* Waits up to ms for every queued lookup to finish (not to be taken). */
void dinfod__wait(struct dinfod *d, unsigned int ms);

/* Stops the worker (a running lookup is cut off) and frees; NULL-safe. */
void dinfod__free(struct dinfod *d);

#endif /* TLSMEM_DEBUGINFOD_H */
