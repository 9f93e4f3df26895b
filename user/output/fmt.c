// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Human-readable numbers; see fmt.h. */
#include <math.h>
#include <stdio.h>
#include "fmt.h"

char *fmt_bytes(char *buf, size_t cap, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int i = 0;
	int neg = bytes < 0;

	if (neg)
		bytes = -bytes;
	while (bytes >= 1023.95 && i < 5) {
		bytes /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, cap, "%s%.0f B", neg ? "-" : "", bytes);
	else
		snprintf(buf, cap, "%s%.1f %s", neg ? "-" : "", bytes, unit[i]);
	return buf;
}

char *fmt_count(char *buf, size_t cap, double n)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };
	int i = 0;
	int neg = n < 0;

	if (neg)
		n = -n;
	while (n >= 999.95 && i < 4) {
		n /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, cap, "%s%.0f", neg ? "-" : "", n);
	else
		snprintf(buf, cap, "%s%.1f%s", neg ? "-" : "", n, unit[i]);
	return buf;
}
