// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The sequential test of lifecycles; see sprt.h. */
#include <math.h>
#include "sprt.h"

double sprt_llr(__u64 n, __u64 k)
{
	if (k > n)
		k = n;
	return (double)k * log(SPRT_P1 / SPRT_P0) +
	       (double)(n - k) * log((1 - SPRT_P1) / (1 - SPRT_P0));
}

double sprt_accept(void)
{
	return log((1 - SPRT_BETA) / SPRT_ALPHA);
}

bool sprt_leak(__u64 n, __u64 k, __u64 n0, __u64 k0)
{
	double a = sprt_accept();

	if (n < SPRT_MIN_FREED || k < SPRT_MIN_LEFT || k > n || n0 > n)
		return false;
	if (sprt_llr(n, k) < a)
		return false;
	/* the latest half: k may have fallen since (blocks freed late) */
	return k > k0 && sprt_llr(n - n0, k - k0) >= a / 2;
}

void sprt_hist__note(struct sprt_hist *h, __u64 n, __u64 k, __u64 *n0, __u64 *k0)
{
	__u32 last = (h->head + SPRT_HIST - 1) % SPRT_HIST, i;

	if (n && (!h->cnt || n >= h->n[last] + (h->n[last] + 7) / 8)) {
		h->n[h->head] = n;
		h->k[h->head] = k;
		h->head = (h->head + 1) % SPRT_HIST;
		if (h->cnt < SPRT_HIST)
			h->cnt++;
	}
	*n0 = *k0 = 0;
	for (i = 1; i <= h->cnt; i++) {
		__u32 j = (h->head + SPRT_HIST - i) % SPRT_HIST;

		if (h->n[j] * 2 <= n) {
			*n0 = h->n[j];
			*k0 = h->k[j];
			return;
		}
	}
}
