/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_TUI_H
#define TLSMEM_TUI_H

/*
 * The live view: a top-like ncurses screen (the sole includer of curses).
 * The session owns the loop: it polls the ring buffer and tui__fd() together,
 * calls tui__input() when the terminal is readable and tui__draw() once per
 * interval (and after input that asks for a redraw). While the view is up,
 * log messages are buffered (log_set_buffered) and replayed by tui__free().
 */
#include <stdbool.h>

struct tui;
struct summary;

struct tui_opts {
	bool no_color;			/* --no-color, or NO_COLOR set in the environment */
	double interval_s;
};

enum tui_action {
	TUI_NONE	= 0,
	TUI_QUIT	= 1 << 0,	/* q */
	TUI_BASELINE	= 1 << 1,	/* b: the session sets a growth baseline now */
	TUI_REDRAW	= 1 << 2,	/* draw the last summary again (sort, scroll, view ...) */
};

/* Takes over the terminal. NULL + errno when stdout is not a usable terminal. */
struct tui *tui__new(const struct tui_opts *o);
/* Gives the terminal back (endwin on every path) and replays buffered log lines. NULL-safe. */
void tui__free(struct tui *t);
/* The file descriptor to poll for keys. */
int tui__fd(const struct tui *t);
/* Reads the pending keys; returns enum tui_action bits for the session. */
unsigned int tui__input(struct tui *t);
/* Draws s (the view keeps what it needs until the next call; s may be freed after). */
void tui__draw(struct tui *t, const struct summary *s);
/* Says the targets exited: the view keeps the last figures until q. */
void tui__targets_gone(struct tui *t);

#endif /* TLSMEM_TUI_H */
