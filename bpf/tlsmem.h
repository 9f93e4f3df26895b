/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_H
#define TLSMEM_H

/*
 * Wire format between bpf/ and user/. Included after vmlinux.h (BPF) or
 * <linux/types.h> (user): fixed-width __uN types and TLSMEM_ names only.
 *
 * Every record starts with struct tlsmem_hdr. Frees and SSL lifecycle
 * events are short; allocations and reallocations carry the full site.
 */

/* Slots for unprobed wrappers' return points, one per process and object. */
#define TLSMEM_WRAP_SLOTS	4096
/* Processes the BPF side's pid filter holds at most. */
#define TLSMEM_MAX_PIDS		32768

enum tlsmem_kind {
	TLSMEM_EV_ALLOC = 1,		/* struct tlsmem_alloc: ptr = result */
	TLSMEM_EV_FREE,			/* struct tlsmem_short: ptr = freed block */
	TLSMEM_EV_REALLOC_ENTER,	/* struct tlsmem_short: ptr = old block */
	TLSMEM_EV_REALLOC,		/* struct tlsmem_alloc: old_ptr -> ptr */
	TLSMEM_EV_SSL_NEW,		/* struct tlsmem_short: ptr = new SSL * */
	TLSMEM_EV_SSL_FREE,		/* struct tlsmem_short: ptr = SSL * whose memory SSL_free releases, aux = 1 */
	TLSMEM_EV_SSL_ADOPT,		/* struct tlsmem_short: ptr = SSL * seen first in a call */
	TLSMEM_EV_MAPS_CHANGED,		/* struct tlsmem_short: the loader changed the link map */
	TLSMEM_EV_LINK,			/* struct tlsmem_short: ptr = block hung on the owner ssl
					 * (SSL_set_ex_data), aux = enum tlsmem_owner */
	TLSMEM_EV_SESSION_NEW,		/* struct tlsmem_short: ptr = new SSL_SESSION *, ssl = SSL *
					 * the thread is inside, 0 if none */
	TLSMEM_EV_SESSION_CACHE,	/* struct tlsmem_short: ptr = SSL_SESSION * added to a
					 * session cache (SSL_CTX_add_session), ssl as above */
	TLSMEM_EV_SESSION_REF,		/* struct tlsmem_short: ptr = SSL_SESSION * of ssl that the
					 * application took a reference to (SSL_get1_session) */
	/* followed processes (struct tlsmem_short; see TLSMEM_PID_*) */
	TLSMEM_EV_FORK,			/* h.pid forked process ptr (its tgid); ssl = 0 */
	TLSMEM_EV_EXEC,			/* h.pid ran execve; aux = 1 if stopped for user space */
	TLSMEM_EV_EXIT,			/* h.pid's last thread exited; aux = exit code */
	TLSMEM_EV__MAX,
};

enum tlsmem_flag {
	TLSMEM_F_IN_SSL_NEW = 1 << 0,	/* allocated inside SSL_new: SSL * not known yet */
	TLSMEM_F_AFTER_SSL_NEW = 1 << 1,/* outside any SSL call, after this thread's SSL_new
					 * returned ssl and before it entered a call on another */
	TLSMEM_F_IN_SESSION_NEW = 1 << 2,/* inside SSL_SESSION_new: the session is not known yet */
	TLSMEM_F_IN_CACHE_ADD = 1 << 3,	/* inside SSL_CTX_add_session: ssl = the SSL_SESSION * */
};

/* Objects that own blocks. */
enum tlsmem_owner {
	TLSMEM_OWNER_SSL = 1,
	TLSMEM_OWNER_SESSION,
};

/* Followed processes: value flags of the BPF side's pid filter. */
enum tlsmem_pid_flag {
	TLSMEM_PID_FOLLOW = 1 << 0,	/* observed; its forks are followed too */
	TLSMEM_PID_STOP = 1 << 1,	/* stopped at exec and loader events until user space resumes it */
};

/* Which probed function a program stands for; indexes the attach table. */
enum tlsmem_func {
	TLSMEM_FN_MALLOC,
	TLSMEM_FN_ZALLOC,
	TLSMEM_FN_REALLOC,
	TLSMEM_FN_CLEAR_REALLOC,
	TLSMEM_FN_FREE,
	TLSMEM_FN_CLEAR_FREE,
	TLSMEM_FN_SSL_NEW,
	TLSMEM_FN_SSL_FREE,
	TLSMEM_FN_SSL_CALL,		/* SSL_read, SSL_write, SSL_accept ... */
	TLSMEM_FN_SESSION_NEW,
	TLSMEM_FN_CACHE_ADD,
	TLSMEM_FN_SESSION_REF,
	TLSMEM_FN__COUNT,
};

struct tlsmem_hdr {
	__u64 ts_ns;			/* bpf_ktime_get_ns(); 0 for FREE and REALLOC_ENTER */
	__u32 pid;			/* tgid */
	__u32 tid;
	__u16 kind;			/* enum tlsmem_kind */
	__u16 flags;			/* enum tlsmem_flag */
	__u32 aux;			/* kind-specific */
};

struct tlsmem_short {
	struct tlsmem_hdr h;
	__u64 ptr;
	__u64 ssl;			/* SSL * the thread is inside, 0 if none */
};

struct tlsmem_alloc {
	struct tlsmem_hdr h;
	__u64 ptr;			/* block returned, 0 on failure */
	__u64 old_ptr;			/* realloc only: block passed in */
	__u64 size;			/* bytes requested */
	__u64 file;			/* address of OpenSSL's file string in the target, or 0 */
	__u64 caller;			/* return address into the caller */
	__u64 ssl;			/* SSL * the thread is inside, 0 if none */
	__s32 line;			/* OpenSSL's line argument */
	__u32 pad;
};

#endif /* TLSMEM_H */
