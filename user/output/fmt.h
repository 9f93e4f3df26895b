/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_FMT_H
#define TLSMEM_FMT_H

/* Human-readable numbers for the text outputs. Pure C. */
#include <linux/types.h>
#include <stddef.h>

/* "0 B", "999 B", "1.0 KiB", "12.3 MiB" ... into buf; returns buf. */
char *fmt_bytes(char *buf, size_t cap, double bytes);
/* "999", "1.2k", "3.4M" ...; returns buf. */
char *fmt_count(char *buf, size_t cap, double n);
/* A rate: "12/s", "3.4k/s" ...; returns buf. */
char *fmt_rate(char *buf, size_t cap, double per_s);
/* An age in whole seconds: "59s", "1m05s", "2h03m", "3d04h"; returns buf. */
char *fmt_age(char *buf, size_t cap, double s);
/* A duration as "h:mm:ss"; returns buf. */
char *fmt_hms(char *buf, size_t cap, double s);
/* A signed size: "+1.0 KiB", "-12 B", "0 B" (the sign when >= 0.5); returns buf. */
char *fmt_delta(char *buf, size_t cap, double bytes);

#endif /* TLSMEM_FMT_H */
