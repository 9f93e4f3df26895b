/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_VIEW_INT_H
#define TLSMEM_VIEW_INT_H

/*
 * Inside the live view, shared by view.c (the state: the snapshot a summary
 * is copied into, the view's life cycle), view_keys.c (sorting, filtering,
 * selection and the key table) and view_draw.c (the grid of cells: header,
 * tables, charts, footer). Other modules use view.h. Pure C.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "history.h"
#include "model.h"
#include "summary.h"
#include "view.h"

#define SPACESHIP(a, b)	(((a) > (b)) - ((a) < (b)))	/* never subtract u64s */

#define FILTER_MAX	64
#define MSG_MAX		256
#define HDR_OBJS_MAX	3		/* OpenSSL object lines in the header */
#define HDR_FLAGS_MAX	3		/* flag lines in the header */
#define SPARK_W		24		/* the header's sparkline */
#define NONE		UINT32_MAX

struct site_row {
	__u32 id;
	struct site_stats st;
	long long d_bytes;		/* since the baseline (or the first sample) */
	double per_min;			/* slope of live bytes over the growth window */
	bool has_delta;
	char site[176];			/* "file:line" */
	char caller[160];
	char module[96];		/* basename of the module [where its names came from] */
};

struct obj_row {
	int pid;
	char text[256];			/* "libcrypto.so.3  shared  OpenSSL 3.0.19 ...  9 probes" */
};

struct tgt_row {
	int pid;
	char comm[32];
	bool exited;
};

struct proc_row {
	int pid;
	char name[48];			/* its program's file name, else its comm */
	char container[16];		/* short container id, "" on the host */
	__u64 ssl_live, live_bytes, live_blocks;	/* at the latest interval */
	int nflags;
	char flags[48];			/* words of the active flags at sites it holds blocks at */
};

/* An active flag's site, and its kind (enum growth_kind). */
struct flag_site {
	__u32 site;
	int kind;
};

struct flag_row {
	bool active;
	char text[560];
};

/* Everything shown, copied out of one struct summary. */
struct snap {
	bool valid;
	double duration_s, interval_s, baseline_s;
	struct model_totals tot;
	__u64 rss_bytes, open_sockets, events_received, events_lost, probes;
	__u64 pre_attach_waiting;	/* connections open before attach, SSL not seen yet */
	double hits_per_s, cpu_pct;
	double other_hits_per_s;	/* following: hits in processes not observed */
	bool light;
	size_t tlsmem_bytes;
	__u64 tlsmem_rss, ringbuf_bytes;
	double bytes_per_ssl;
	struct ssl_cost cost;		/* per SSL object: p50, p99, max */
	bool complete, has_growth;
	bool rates;			/* the four rates below are known */
	double ssl_new_s, ssl_free_s, alloc_s, free_s;
	struct tgt_row *tg;
	size_t ntg, tg_cap;
	struct obj_row *objs;
	size_t nobjs, objs_cap;
	struct site_row *sites;
	size_t nsites, sites_cap;
	struct ssl_stats *ssl;
	size_t nssl, ssl_cap;
	struct hist_point *hist;
	size_t nhist, hist_cap;
	struct flag_row *flags;
	size_t nflags, flags_cap;
	struct proc_row *procs;		/* running targets */
	size_t nprocs, procs_cap;
	struct site_stats *psites;	/* by site id: the figures of the process view.pid */
	size_t npsites, psites_cap;
	struct flag_site *fsites;
	size_t nfsites, fsites_cap;
	struct pid_site *pairs;		/* who holds blocks at fsites */
	size_t npairs, pairs_cap;
};

struct layout {
	int x[SC__COUNT], w[SC__COUNT];	/* w == 0: hidden */
};

struct view {
	bool utf8, paused, gone, help, prompt, baseline_req;
	enum view_mode mode;
	int sort[VIEW__COUNT];
	bool rev[VIEW__COUNT];
	char filter[FILTER_MAX], pbuf[FILTER_MAX];
	char pfilter[FILTER_MAX];	/* the process table's own: an opened process shows all its sites */
	char msg[MSG_MAX];
	view_name_fn name_fn;
	void *name_ctx;
	struct snap s;
	/* display order of the current table: indices into s.sites or s.ssl */
	size_t *order, order_cap, norder;
	__u32 sel_site;			/* selection by identity */
	__u32 sel_pid;
	__u64 sel_ssl;
	int sel_proc;			/* pid of the selected process row */
	int pid;			/* sites and SSL objects of this process only; 0: all */
	/* the per-process walks, once an interval: which process and interval they are of */
	int psites_pid;			/* 0: none walked */
	double psites_key, pairs_key;
	bool pairs_valid;
	size_t sel[VIEW__COUNT], top[VIEW__COUNT];
	int page;			/* table rows at the last render */
	struct view_cell *cells;
	size_t cells_cap;
	int rows, cols;
};

/* Makes *p hold n elements of size bytes (realloc, doubling). 0 or -ENOMEM. */
int view_grow(void **p, size_t *cap, size_t n, size_t size);

/* A site's figures as shown: the whole site's, or those of process v->pid. */
const struct site_stats *view_site_st(const struct view *v, const struct site_row *r);
/* The live SSL objects the PER SSL column divides by: the session's, or v->pid's. */
__u64 view_ssl_live(const struct view *v);
/* The session observes several processes: the process table is reachable. */
bool view_multi(const struct view *v);
/* The process table row of pid, NULL when it is not running. */
const struct proc_row *view_proc(const struct view *v, int pid);

/* The filter of the current table: the process table's, or the sites'. */
char *view_filter(struct view *v);

/* Site columns that hold text (site, caller, module), not figures. */
bool view_site_text_col(int c);
/* Process columns sorted A to Z (pid, program, container), not biggest first. */
bool view_proc_text_col(int c);
/* Age in ns of the site's oldest live block, -1 when none. */
long long view_site_age(const struct view *v, const struct site_row *r);
/* Its growth: bytes since the baseline, or per minute without one; -1e300 when unknown. */
double view_site_delta(const struct view *v, const struct site_row *r);
/* The display order of the current table, sorted and filtered. 0 or -ENOMEM. */
int view_build_order(struct view *v);
/* Moves the cursor to the selected site or SSL object, wherever it sorted to. */
void view_follow_selection(struct view *v);
/* Keeps the cursor and the first row shown within a table of page rows. */
void view_clamp_scroll(struct view *v, int page);

struct view_keybinding {
	int key;
	unsigned int (*fn)(struct view *v);
	const char *keys;		/* as the help lists them; NULL: not listed */
	const char *help;
};

/* The key table, in the order the help lists it. */
extern const struct view_keybinding view_keymap[];
extern const size_t view_nkeys;

#endif /* TLSMEM_VIEW_INT_H */
