/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_PLOT_H
#define TLSMEM_PLOT_H

/*
 * `tlsmem plot`: draws the time series of one run (the CSV of tlsmem -o), or
 * of two runs side by side on the same scales, and runs saved with tlsmem
 * --json as bars of bytes per connection beside them, with gnuplot run as a
 * child process (fork and exec, the script on its stdin; no shell). Columns
 * are found by their header names. Plain libc; no libbpf, no curses.
 */

/*
 * argv[0] is "plot". Returns the exit status: 0; 1 when gnuplot is missing
 * or fails, or reading or writing fails midway; 2 for bad arguments or input
 * (no such file, not a tlsmem time series or run, no rows, no bytes per
 * connection in the runs, an output that cannot be written). Messages go to stderr.
 */
int plot_main(int argc, char **argv);

#endif /* TLSMEM_PLOT_H */
