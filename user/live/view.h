/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_VIEW_H
#define TLSMEM_VIEW_H

/*
 * The live view's model and controller, without the terminal: a snapshot of
 * one struct summary (copied, so a paused or orphaned view keeps its
 * figures), the keys that act on it, and its layout into a grid of cells
 * (a character and a style each) for any terminal size. tui.c only maps
 * styles to attributes, keys from curses and cells to the screen. Pure C:
 * no curses, no I/O, no clock.
 */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct view;
struct summary;
struct site_name;

/* What a cell looks like; tui.c maps each to curses attributes, colour or not. */
enum view_style {
	VS_NORMAL,
	VS_LABEL,			/* header labels: bold */
	VS_HEAD,			/* table column titles */
	VS_SORT,			/* the title of the sort column */
	VS_SEL,				/* the selected row */
	VS_WARN,			/* lost events, target exited */
	VS_FLAG,			/* an active growth flag */
	VS_GRAPH,			/* sparklines and charts */
	VS_DIM,				/* inactive flags, hints */
	VS__COUNT,
};

struct view_cell {
	__u32 ch;			/* Unicode code point; ASCII unless the view is utf8 */
	__u8 style;			/* enum view_style */
};

/* Keys that are not characters; tui.c translates curses' KEY_* to these. */
enum view_key {
	VK_UP = 0x110000,		/* above every code point */
	VK_DOWN,
	VK_LEFT,
	VK_RIGHT,
	VK_PGUP,
	VK_PGDN,
	VK_HOME,
	VK_END,
	VK_BTAB,			/* shift-Tab */
	VK_BACKSPACE,
	VK_ENTER,
	VK_ESC,
	VK_RESIZE,
};

enum view_mode {
	VIEW_SITES,
	VIEW_SSL,
	VIEW_TIMELINE,
	VIEW_PROCS,			/* the process table: sessions of several processes */
	VIEW__COUNT,
};

/* Columns of the site table, left to right; the sort keys too. */
enum site_col {
	SC_BYTES,
	SC_BLOCKS,
	SC_DELTA,			/* per minute, or since the baseline */
	SC_PER_SSL,
	SC_AGE,
	SC_ORPHANS,			/* blocks whose owner was freed */
	SC_SITE,			/* file:line */
	SC_CALLER,
	SC_MODULE,
	SC__COUNT,
};

/* Columns of the SSL object table. */
enum ssl_col {
	LC_PID,
	LC_ADDR,
	LC_AGE,
	LC_BYTES,
	LC_BLOCKS,
	LC_ADOPTED,
	LC__COUNT,
};

/* Columns of the process table. */
enum proc_col {
	PC_PID,
	PC_NAME,			/* its program's file name, else its comm */
	PC_CONTAINER,
	PC_SSL,
	PC_BYTES,
	PC_PER_SSL,
	PC_FLAGS,
	PC__COUNT,
};

/* Names of a site id (strings borrowed until the next call); 0 or -ENOENT. */
typedef int (*view_name_fn)(void *ctx, __u32 id, struct site_name *out);

/*
 * A view with no figures, sorted by live bytes. utf8: draw sparklines and
 * charts with block characters, else ASCII. NULL + errno.
 */
struct view *view__new(bool utf8);
/* Frees v and its snapshot. NULL-safe. */
void view__free(struct view *v);
/*
 * Where site names come from. Without it (fn NULL), view__update asks
 * sites__name() of the summary's sites.
 */
void view__set_names(struct view *v, view_name_fn fn, void *ctx);

/*
 * Copies what the view shows out of s; s may be freed afterwards. While
 * paused, or once the targets are gone, only the baseline time is taken.
 * 0, or -ENOMEM (the previous snapshot stays).
 */
int view__update(struct view *v, const struct summary *s);
/* From now on the view says the targets exited and keeps its figures. */
void view__targets_gone(struct view *v);
/* A line for the footer (e.g. log_last()); NULL or "" for the key hints. Copied. */
void view__set_message(struct view *v, const char *msg);

/* What a key asks of the one who drives the view (the TUI, and through it the session). */
enum view_action {
	VIEW_NONE	= 0,
	VIEW_QUIT	= 1 << 0,	/* q */
	VIEW_BASELINE	= 1 << 1,	/* b: set a growth baseline now */
	VIEW_REDRAW	= 1 << 2,	/* the screen changed: draw it again */
};

/*
 * Acts on one key: a character, or an enum view_key. Returns enum
 * view_action bits (VIEW_REDRAW when the screen changed, 0 for an unknown key).
 */
unsigned int view__key(struct view *v, int key);

/*
 * Lays the view out on rows x cols cells (any size, 0 included: the header
 * comes first, the table only where room is left). 0 or -ENOMEM.
 */
int view__render(struct view *v, int rows, int cols);
/* Row r of the last render, view__cols() cells; NULL when r is out of range. */
const struct view_cell *view__row(const struct view *v, int r);
int view__rows(const struct view *v);
int view__cols(const struct view *v);
/* Row r of the last render as UTF-8 into buf, trailing blanks kept; returns buf. */
char *view__row_text(const struct view *v, int r, char *buf, size_t cap);

/* State, for tui.c and tests. */
enum view_mode view__mode(const struct view *v);
bool view__paused(const struct view *v);
/* The prompt line is open (keys go to the filter text). */
bool view__prompting(const struct view *v);
/* Site rows after the filter, in display order, into ids (up to cap); returns their number. */
size_t view__site_ids(struct view *v, __u32 *ids, size_t cap);
/* The selected site id, UINT32_MAX when none. */
__u32 view__selected_site(const struct view *v);
/* First visible table row of the current view (the scroll offset). */
size_t view__top(const struct view *v);
/* The process whose sites and SSL objects are shown (Enter in the process table), 0: all. */
int view__pid(const struct view *v);
/* The pid of the selected row of the process table, 0 when none. */
int view__selected_proc(const struct view *v);

#endif /* TLSMEM_VIEW_H */
