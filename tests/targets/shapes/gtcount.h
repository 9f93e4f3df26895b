/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SHAPES_GTCOUNT_H
#define SHAPES_GTCOUNT_H

/*
 * Ground-truth allocator for the shape targets, gt_server's in small: every
 * block carries a 16-byte header with its requested size and the epoch of its
 * latest (re)allocation; live bytes and blocks are kept per epoch, so "live
 * since epoch E" is the sum over epochs >= E. gtc_mark() starts an epoch.
 * Header-only: each target includes it once.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define GTC_EPOCHS	64
#define GTC_HDR_BYTES	16

struct gtc_hdr {
	size_t size;			/* requested bytes, header excluded */
	uint32_t epoch;
	uint32_t pad;
};

_Static_assert(sizeof(struct gtc_hdr) == GTC_HDR_BYTES, "gtc_hdr must be 16 bytes");

static atomic_uint gtc_epoch;
static atomic_llong gtc_bytes[GTC_EPOCHS];
static atomic_llong gtc_blocks[GTC_EPOCHS];

static inline unsigned int gtc_now(void)
{
	return atomic_load(&gtc_epoch);
}

static inline void gtc_mark(void)
{
	if (gtc_now() < GTC_EPOCHS - 1)
		atomic_fetch_add(&gtc_epoch, 1);
}

static inline void gtc_account(unsigned int epoch, long long bytes, long long blocks)
{
	atomic_fetch_add(&gtc_bytes[epoch], bytes);
	atomic_fetch_add(&gtc_blocks[epoch], blocks);
}

static inline long long gtc_sum(atomic_llong *v, unsigned int from)
{
	long long s = 0;

	for (unsigned int i = from; i < GTC_EPOCHS; i++)
		s += atomic_load(&v[i]);
	return s;
}

/* live bytes and blocks (re)allocated in the current epoch or later */
static inline long long gtc_live_bytes(void)
{
	return gtc_sum(gtc_bytes, gtc_now());
}

static inline long long gtc_live_blocks(void)
{
	return gtc_sum(gtc_blocks, gtc_now());
}

static inline void *gtc_stamp(struct gtc_hdr *h, size_t num)
{
	h->size = num;
	h->epoch = gtc_now();
	h->pad = 0;
	gtc_account(h->epoch, (long long)num, 1);
	return (char *)h + GTC_HDR_BYTES;
}

static inline struct gtc_hdr *gtc_hdr_of(void *p)
{
	return (struct gtc_hdr *)((char *)p - GTC_HDR_BYTES);
}

/* Like OpenSSL's default allocator, 0 bytes gives NULL. */
static inline void *gtc_alloc(size_t num)
{
	struct gtc_hdr *h;

	if (num == 0 || num > SIZE_MAX - GTC_HDR_BYTES)
		return NULL;
	h = malloc(num + GTC_HDR_BYTES);
	return h ? gtc_stamp(h, num) : NULL;
}

static inline void gtc_free(void *p)
{
	struct gtc_hdr *h;

	if (!p)
		return;
	h = gtc_hdr_of(p);
	gtc_account(h->epoch, -(long long)h->size, -1);
	free(h);
}

static inline size_t gtc_size(void *p)
{
	return p ? gtc_hdr_of(p)->size : 0;
}

static inline void *gtc_realloc(void *p, size_t num)
{
	struct gtc_hdr *h, *nh;
	unsigned int old_epoch;
	size_t old_size;

	if (!p)
		return gtc_alloc(num);
	if (num == 0) {
		gtc_free(p);
		return NULL;
	}
	if (num > SIZE_MAX - GTC_HDR_BYTES)
		return NULL;
	h = gtc_hdr_of(p);
	old_size = h->size;
	old_epoch = h->epoch;
	nh = realloc(h, num + GTC_HDR_BYTES);
	if (!nh)
		return NULL;
	gtc_account(old_epoch, -(long long)old_size, -1);
	return gtc_stamp(nh, num);
}

#endif /* SHAPES_GTCOUNT_H */
