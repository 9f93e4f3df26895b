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

#endif /* TLSMEM_FMT_H */
