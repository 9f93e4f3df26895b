// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The live view on the terminal; see tui.h. The only includer of curses: it
 * owns the terminal between tui__new and tui__free, translates keys for the
 * view (view.c, which holds the snapshot, the key table and the layout) and
 * copies the view's cells to the screen with erase + wnoutrefresh + doupdate,
 * so ncurses sends only what changed and nothing flickers.
 */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include "log.h"
#include "report.h"
#include "view.h"
#include "tui.h"

#define ESC_DELAY_MS	25		/* Esc alone vs. an escape sequence */

enum {
	PAIR_HEAD = 1,
	PAIR_SORT,
	PAIR_WARN,
	PAIR_FLAG,
	PAIR_GRAPH,
};

struct tui {
	SCREEN *scr;
	struct view *v;
	attr_t attr[VS__COUNT];
	int lines, cols;		/* size of the last paint */
	unsigned long frames;		/* drawn, and the time they took (-v says at exit) */
	double frame_ms_sum, frame_ms_max;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One frame drawn since t0 (ms): snapshot, layout and the terminal update. */
static void frame_done(struct tui *t, double t0)
{
	double ms = now_ms() - t0;

	t->frames++;
	t->frame_ms_sum += ms;
	if (ms > t->frame_ms_max)
		t->frame_ms_max = ms;
}

/* Colours sparingly: the header row, the sort column and selection, warnings, graphs. */
static void set_attrs(struct tui *t, bool color)
{
	attr_t *a = t->attr;

	a[VS_NORMAL] = A_NORMAL;
	a[VS_LABEL] = A_BOLD;
	a[VS_HEAD] = A_REVERSE;
	a[VS_SORT] = A_REVERSE | A_BOLD;
	a[VS_SEL] = A_REVERSE;
	a[VS_WARN] = A_BOLD;
	a[VS_FLAG] = A_BOLD;
	a[VS_GRAPH] = A_NORMAL;
	a[VS_DIM] = A_DIM;
	if (!color || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_GREEN);
	init_pair(PAIR_SORT, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_WARN, COLOR_RED, -1);
	init_pair(PAIR_FLAG, COLOR_YELLOW, -1);
	init_pair(PAIR_GRAPH, COLOR_GREEN, -1);
	a[VS_HEAD] = COLOR_PAIR(PAIR_HEAD);
	a[VS_SORT] = COLOR_PAIR(PAIR_SORT) | A_BOLD;
	a[VS_SEL] = COLOR_PAIR(PAIR_SORT);
	a[VS_WARN] = COLOR_PAIR(PAIR_WARN) | A_BOLD;
	a[VS_FLAG] = COLOR_PAIR(PAIR_FLAG) | A_BOLD;
	a[VS_GRAPH] = COLOR_PAIR(PAIR_GRAPH);
}

/* Follows a resize even when no key came to carry KEY_RESIZE. */
static void check_size(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
		return;
	if (ws.ws_row != LINES || ws.ws_col != COLS)
		resize_term(ws.ws_row, ws.ws_col);
}

/* The terminal can move the cursor anywhere (and so draw a screen). */
static bool can_address(void)
{
	char *cup = tigetstr("cup");

	return cup && cup != (char *)-1;
}

/* One row: runs of one style each, as wide characters. */
static void paint_row(struct tui *t, int r, const struct view_cell *row, int cols)
{
	wchar_t buf[512];
	int c = 0;

	while (c < cols) {
		int start = c, n = 0;
		__u8 st = row[c].style;

		while (c < cols && row[c].style == st && n < (int)(sizeof(buf) / sizeof(buf[0])) - 1)
			buf[n++] = (wchar_t)row[c++].ch;
		buf[n] = L'\0';
		attrset(t->attr[st < VS__COUNT ? st : VS_NORMAL]);
		mvaddnwstr(r, start, buf, n);	/* ERR at the bottom-right cell: written anyway */
	}
}

static void paint(struct tui *t)
{
	int r, rows, cols;

	check_size();
	if (LINES != t->lines || COLS != t->cols) {
		/* what the terminal kept of the old picture is unknown: paint it all */
		clearok(curscr, TRUE);
		t->lines = LINES;
		t->cols = COLS;
	}
	view__set_message(t->v, log_last());
	if (view__render(t->v, LINES, COLS))
		return;
	rows = view__rows(t->v);
	cols = view__cols(t->v);
	erase();
	for (r = 0; r < rows; r++)
		paint_row(t, r, view__row(t->v, r), cols);
	attrset(A_NORMAL);
	wnoutrefresh(stdscr);
	doupdate();
}

struct tui *tui__new(const struct tui_opts *o)
{
	struct tui *t;
	const char *nc = getenv("NO_COLOR");
	bool utf8;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		errno = ENOTTY;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* LC_CTYPE only: numbers in the CSV and JSON keep their '.' */
	setlocale(LC_CTYPE, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	t->v = view__new(utf8);
	t->scr = t->v ? newterm(NULL, stdout, stdin) : NULL;
	if (!t->scr) {
		view__free(t->v);
		free(t);
		errno = errno ? errno : ENOTTY;
		return NULL;
	}
	set_term(t->scr);
	if (!can_address()) {		/* TERM=dumb and the like: the session prints text */
		endwin();
		delscreen(t->scr);
		view__free(t->v);
		free(t);
		errno = ENOTSUP;
		return NULL;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(ESC_DELAY_MS);
	set_attrs(t, !o->no_color && !(nc && nc[0]));
	log_set_buffered(true);
	paint(t);
	return t;
}

void tui__free(struct tui *t)
{
	if (!t)
		return;
	if (t->frames)
		p_debug("live view: %lu frames drawn, %.2f ms mean, %.2f ms max", t->frames,
			t->frame_ms_sum / t->frames, t->frame_ms_max);
	endwin();
	delscreen(t->scr);
	view__free(t->v);
	free(t);
	log_set_buffered(false);
}

int tui__fd(const struct tui *t)
{
	(void)t;
	return STDIN_FILENO;
}

static int map_key(int ch)
{
	switch (ch) {
	case KEY_UP:
		return VK_UP;
	case KEY_DOWN:
		return VK_DOWN;
	case KEY_LEFT:
		return VK_LEFT;
	case KEY_RIGHT:
		return VK_RIGHT;
	case KEY_PPAGE:
		return VK_PGUP;
	case KEY_NPAGE:
		return VK_PGDN;
	case KEY_HOME:
		return VK_HOME;
	case KEY_END:
		return VK_END;
	case KEY_BTAB:
		return VK_BTAB;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		return VK_BACKSPACE;
	case KEY_ENTER:
	case '\n':
	case '\r':
		return VK_ENTER;
	case 27:
		return VK_ESC;
	case KEY_RESIZE:
		return VK_RESIZE;
	default:
		return ch;
	}
}

/* The session's actions for the view's. */
static unsigned int tui_action_of(unsigned int a)
{
	return (a & VIEW_QUIT ? TUI_QUIT : 0) | (a & VIEW_BASELINE ? TUI_BASELINE : 0) |
	       (a & VIEW_REDRAW ? TUI_REDRAW : 0);
}

unsigned int tui__input(struct tui *t)
{
	unsigned int act = VIEW_NONE;
	int ch;

	while ((ch = getch()) != ERR) {
		if (ch == 'L' - '@')
			clearok(curscr, TRUE);
		act |= view__key(t->v, map_key(ch));
		if (act & VIEW_QUIT)
			break;
	}
	if (act & VIEW_REDRAW) {
		double t0 = now_ms();

		paint(t);
		frame_done(t, t0);
	}
	return tui_action_of(act);
}

void tui__draw(struct tui *t, const struct summary *s)
{
	double t0 = now_ms();

	if (view__update(t->v, s))
		p_warn("out of memory for the live view: it shows the previous figures");
	paint(t);
	frame_done(t, t0);
}

void tui__targets_gone(struct tui *t)
{
	view__targets_gone(t->v);
	paint(t);
}
