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

char *fmt_rate(char *buf, size_t cap, double per_s)
{
	char n[32];

	snprintf(buf, cap, "%s/s", fmt_count(n, sizeof(n), per_s));
	return buf;
}

char *fmt_age(char *buf, size_t cap, double s)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	if (t < 60)
		snprintf(buf, cap, "%llus", t);
	else if (t < 3600)
		snprintf(buf, cap, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, cap, "%lluh%02llum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, cap, "%llud%02lluh", t / 86400, t / 3600 % 24);
	return buf;
}

char *fmt_hms(char *buf, size_t cap, double s)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	snprintf(buf, cap, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

char *fmt_delta(char *buf, size_t cap, double bytes)
{
	char b[24];

	fmt_bytes(b, sizeof(b), bytes);
	snprintf(buf, cap, "%s%s", bytes >= 0.5 ? "+" : "", b);
	return buf;
}
