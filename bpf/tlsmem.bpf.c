// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Probes on OpenSSL's allocator and SSL object lifecycle. The programs only
 * stamp, tag with the thread's current SSL object and emit; every decision
 * (what is outstanding, which site, which connection) is taken in user space.
 *
 * Per-thread state lives in task storage: the nesting of CRYPTO_* allocator
 * calls (CRYPTO_zalloc calls CRYPTO_malloc, CRYPTO_realloc calls CRYPTO_free,
 * ...), so that only the outermost call emits, and the SSL object whose call
 * the thread is inside.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tlsmem.h"

#define SIGSTOP 19

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* tgid whose loader events stop it until user space has probed new objects */
const volatile __u32 targ_stop_pid = 0;
/* --hold-loads: every process whose loader is probed stops at its loader events */
const volatile __u32 targ_stop_all = 0;
/* --light: only SSL_new and SSL_free are probed; SSL_free counts as the end */
const volatile __u32 targ_light = 0;
/* --empty-programs (benchmarks): every program counts its hit and returns */
const volatile __u32 targ_empty = 0;
/*
 * Probes attached for every process mapping the file: only the processes in
 * the pids map are observed, and their forks join it before they run.
 */
const volatile __u32 targ_filter = 0;
/* -a: execs and loader events of every process are reported, to find new targets */
const volatile __u32 targ_all = 0;

struct tstate {
	__u64 sp;		/* stack pointer at the outermost allocator call */
	__u64 old_ptr;		/* realloc: block passed in */
	__u64 size;
	__u64 file;
	__u64 ssl;		/* SSL * of the outermost SSL call */
	__u64 ssl_sp;		/* stack pointer at that call */
	__u64 after_ssl;	/* SSL * this thread's SSL_new returned, until it calls on another */
	__u64 sess;		/* SSL_CTX_add_session: the SSL_SESSION * */
	__u64 sess_sp;		/* stack pointer at the session function */
	__s32 line;
	__u16 depth;		/* nesting of allocator calls */
	__u16 fn;		/* enum tlsmem_func of the outermost allocator call */
	__u16 ssl_depth;	/* nesting of SSL calls */
	__u16 ssl_fn;		/* enum tlsmem_func of the outermost SSL call */
	__u16 self_freed;	/* SSL_free released the SSL object itself */
	__u16 sess_depth;	/* nesting of session functions */
	__u16 sess_fn;		/* enum tlsmem_func of the outermost one */
	__u16 pad[3];
};

struct ssl_key {
	__u64 ssl;
	__u32 pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tstate);
} threads SEC(".maps");

/* SSL objects already announced to user space, so calls do not re-announce */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct ssl_key);
	__type(value, __u8);
} ssls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/*
	 * 8 MiB: user space maps it twice (ring wrap-around), 16 MiB of RSS.
	 * 1 MiB lost no record under handshake churn with wake-ups at an
	 * eighth: this is eight times that.
	 */
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* set from user space to an eighth of the ring buffer's size */
const volatile __u64 targ_wake_bytes = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * Probe hits, for the cost the observation puts on the target: [0] in the
 * observed processes, [1] in the others (when following processes, the
 * probes are per file: every process mapping it takes them, filtered here).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

/*
 * Unprobed wrappers (CRYPTO_zalloc around CRYPTO_malloc): slot cookie - 1 of
 * the inner function's probe tells where the wrapper's call returns to in one
 * process, and how deep below it the wrapper's own caller is on the stack.
 * Filled by user space once it knows where the object is mapped; ret 0 until
 * then, which no caller matches.
 */
struct wrap {
	__u64 ret;
	__u64 depth;
};

struct wrap_key {
	__u32 pid;
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TLSMEM_WRAP_SLOTS);
	__type(key, struct wrap_key);
	__type(value, struct wrap);
} wraps SEC(".maps");

/* wrap slots handed out so far, set by user space: a fork copies them */
__u32 wrap_nslots = 0;

/* processes observed when targ_filter is set: tgid -> enum tlsmem_pid_flag */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TLSMEM_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u32);
} pids SEC(".maps");

static __always_inline bool followed(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	return !targ_filter || bpf_map_lookup_elem(&pids, &pid);
}

static __always_inline void count_hit(__u32 other)
{
	__u64 *cnt = bpf_map_lookup_elem(&hits, &other);

	if (cnt)
		(*cnt)++;	/* per CPU: no other writer */
}

static __always_inline struct tstate *tstate_get(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!followed()) {
		count_hit(1);
		return NULL;
	}
	count_hit(0);
	if (targ_empty)
		return NULL;
	return bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/*
 * Waking the reader at every record costs more than the probe itself: user
 * space polls every few milliseconds, and is woken early only when the ring
 * is an eighth full (or for the rare records that must be acted on at once).
 */
static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > targ_wake_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *cnt = bpf_map_lookup_elem(&drops, &zero);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

static __always_inline void fill_hdr(struct tlsmem_hdr *h, __u16 kind, __u16 flags, __u32 aux)
{
	__u64 id = bpf_get_current_pid_tgid();

	/* a free's time is not needed: user space keeps its own clock */
	h->ts_ns = kind == TLSMEM_EV_FREE || kind == TLSMEM_EV_REALLOC_ENTER ? 0 :
		   bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->kind = kind;
	h->flags = flags;
	h->aux = aux;
}

static __always_inline void emit_short(__u16 kind, __u16 flags, __u32 aux, __u64 ptr, __u64 ssl)
{
	struct tlsmem_short *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return;
	}
	fill_hdr(&e->h, kind, flags, aux);
	e->ptr = ptr;
	e->ssl = ssl;
	bpf_ringbuf_submit(e, kind == TLSMEM_EV_MAPS_CHANGED || kind == TLSMEM_EV_EXEC ?
			   BPF_RB_FORCE_WAKEUP : wakeup_flags());
}

/*
 * Who owns what the thread allocates now: a session function's session, the
 * SSL object of the call it is inside, or the SSL object its last SSL_new
 * returned (user space bounds that rule). *owner is what goes in the record.
 */
static __always_inline __u16 scope_flags(const struct tstate *t, __u64 *owner)
{
	*owner = 0;
	if (t->sess_depth && t->sess_fn != TLSMEM_FN_SESSION_REF) {
		if (t->sess_fn == TLSMEM_FN_SESSION_NEW)
			return TLSMEM_F_IN_SESSION_NEW;
		*owner = t->sess;
		return TLSMEM_F_IN_CACHE_ADD;
	}
	if (t->ssl_depth) {
		if (t->ssl_fn == TLSMEM_FN_SSL_NEW)
			return TLSMEM_F_IN_SSL_NEW;
		*owner = t->ssl;
		return 0;
	}
	if (t->after_ssl) {
		*owner = t->after_ssl;
		return TLSMEM_F_AFTER_SSL_NEW;
	}
	return 0;
}

/*
 * A scope whose return was never seen (a longjmp, a probe attached in the
 * middle of a call) is recognised because the stack has unwound past it. A
 * nested call, or a tail call, runs at the same or a deeper (lower) stack.
 */
static __always_inline void drop_stale(struct tstate *t, __u64 sp)
{
	if (t->depth && sp > t->sp)
		t->depth = 0;
	if (t->ssl_depth && sp > t->ssl_sp) {
		t->ssl_depth = 0;
		t->ssl = 0;
	}
	if (t->sess_depth && sp > t->sess_sp)
		t->sess_depth = 0;
}

/*
 * At a return probe the kernel has put the original return address in the
 * IP: that is the caller, with no read of the stack (bpf_probe_read_user
 * costs more than the rest of the program). When the caller is an unprobed
 * wrapper (slot cookie - 1 of this probe), the wrapper's own caller is still
 * on its frame, depth bytes above the stack pointer after the return.
 */
/*
 * Another tracer's return probe on the wrapper (bcc's memleak, a bpftrace
 * uretprobe on CRYPTO_zalloc) has put the kernel's uretprobe trampoline, a
 * page-aligned address, in place of the wrapper's return address. The
 * kernel keeps the original, with the stack slot it took it from, in the
 * thread's pending return instances.
 */
#define RET_INSTANCES_MAX	8

static __always_inline __u64 unhijacked(__u64 ret, __u64 slot)
{
	struct task_struct *task;
	struct return_instance *ri;
	int i;

	if (ret & 0xfff)
		return ret;
	task = bpf_get_current_task_btf();
	ri = BPF_CORE_READ(task, utask, return_instances);
	for (i = 0; i < RET_INSTANCES_MAX && ri; i++) {
		if (BPF_CORE_READ(ri, stack) == slot)
			return BPF_CORE_READ(ri, orig_ret_vaddr);
		ri = BPF_CORE_READ(ri, next);
	}
	return ret;
}

static __always_inline __u64 caller_of(struct pt_regs *ctx, struct tstate *t)
{
	__u64 caller = PT_REGS_IP(ctx), outer = 0;
	struct wrap_key k;
	struct wrap *w;

	if (t->fn != TLSMEM_FN_MALLOC)
		return caller;
	k.slot = (__u32)bpf_get_attach_cookie(ctx);
	if (!k.slot--)
		return caller;
	k.pid = bpf_get_current_pid_tgid() >> 32;
	w = bpf_map_lookup_elem(&wraps, &k);
	if (!w || !w->ret || w->ret != caller || w->depth > 4096)
		return caller;
	if (bpf_probe_read_user(&outer, sizeof(outer), (void *)(PT_REGS_SP(ctx) + w->depth)))
		return caller;
	t->fn = TLSMEM_FN_ZALLOC;
	return unhijacked(outer, PT_REGS_SP(ctx) + w->depth);
}

static __always_inline int alloc_enter(struct pt_regs *ctx, enum tlsmem_func fn, __u64 old_ptr,
				       __u64 size, __u64 file, __s32 line)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct tstate *t = tstate_get();

	if (!t)
		return 0;
	drop_stale(t, sp);
	if (t->depth++)
		return 0;	/* inner call of an outer allocator call */
	t->sp = sp;
	t->fn = fn;
	t->old_ptr = old_ptr;
	t->size = size;
	t->file = file;
	t->line = line;
	/* the old block leaves the table before another thread can get its address */
	if (old_ptr && (fn == TLSMEM_FN_REALLOC || fn == TLSMEM_FN_CLEAR_REALLOC))
		emit_short(TLSMEM_EV_REALLOC_ENTER, 0, 0, old_ptr, t->ssl);
	return 0;
}

static __always_inline int alloc_exit(struct pt_regs *ctx, __u64 ret)
{
	struct tstate *t = tstate_get();
	struct tlsmem_alloc *e;
	__u64 caller, owner;
	__u16 kind, flags;

	if (!t || !t->depth)
		return 0;	/* the entry was not seen */
	if (--t->depth)
		return 0;
	kind = t->fn == TLSMEM_FN_REALLOC || t->fn == TLSMEM_FN_CLEAR_REALLOC ?
		TLSMEM_EV_REALLOC : TLSMEM_EV_ALLOC;
	if (kind == TLSMEM_EV_ALLOC && !ret)
		return 0;	/* failed allocation: nothing to account */
	caller = caller_of(ctx, t);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	flags = scope_flags(t, &owner);
	fill_hdr(&e->h, kind, flags, t->fn);
	e->ptr = ret;
	e->old_ptr = t->old_ptr;
	e->size = t->size;
	e->file = t->file;
	e->caller = caller;
	e->ssl = owner;
	e->line = t->line;
	e->pad = 0;
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

/* Frees are emitted at entry: the address is still ours until free() runs. */
static __always_inline int free_enter(struct pt_regs *ctx, __u64 ptr, int counts_depth)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct tstate *t = tstate_get();
	int outer;

	if (!t)
		return 0;
	drop_stale(t, sp);
	if (ptr && t->ssl_depth && t->ssl_fn == TLSMEM_FN_SSL_FREE && ptr == t->ssl &&
	    !t->self_freed) {
		/* announced before the memory goes back: SSL_new may reuse it at once */
		struct ssl_key k = { .ssl = ptr, .pid = bpf_get_current_pid_tgid() >> 32 };

		t->self_freed = 1;
		bpf_map_delete_elem(&ssls, &k);
		emit_short(TLSMEM_EV_SSL_FREE, 0, 1, ptr, ptr);
	}
	outer = !t->depth;
	if (counts_depth) {
		if (!t->depth++) {
			t->sp = sp;
			t->fn = TLSMEM_FN_CLEAR_FREE;
		}
	}
	if (outer && ptr)
		emit_short(TLSMEM_EV_FREE, 0, 0, ptr, t->ssl_depth ? t->ssl : 0);
	return 0;
}

static __always_inline void announce(__u64 ssl)
{
	struct ssl_key k = { .ssl = ssl, .pid = bpf_get_current_pid_tgid() >> 32 };
	__u8 one = 1;

	if (bpf_map_lookup_elem(&ssls, &k))
		return;
	bpf_map_update_elem(&ssls, &k, &one, BPF_ANY);
	emit_short(TLSMEM_EV_SSL_ADOPT, 0, 0, ssl, ssl);
}

static __always_inline int ssl_enter(struct pt_regs *ctx, enum tlsmem_func fn, __u64 ssl)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct tstate *t = tstate_get();

	if (!t)
		return 0;
	drop_stale(t, sp);
	if (t->ssl_depth++)
		return 0;
	if (ssl != t->after_ssl)
		t->after_ssl = 0;	/* a call on another object, or another SSL_new */
	t->ssl_sp = sp;
	t->ssl_fn = fn;
	t->ssl = ssl;
	t->self_freed = 0;
	if (fn == TLSMEM_FN_SSL_CALL && ssl)
		announce(ssl);
	/* light: CRYPTO_free is not probed, so the call itself is taken as the end */
	if (fn == TLSMEM_FN_SSL_FREE && ssl && targ_light)
		emit_short(TLSMEM_EV_SSL_FREE, 0, 1, ssl, ssl);
	return 0;
}

static __always_inline int ssl_exit(__u64 ret)
{
	struct tstate *t = tstate_get();
	struct ssl_key k = {};

	if (!t || !t->ssl_depth)
		return 0;
	if (--t->ssl_depth)
		return 0;
	k.pid = bpf_get_current_pid_tgid() >> 32;
	if (t->ssl_fn == TLSMEM_FN_SSL_NEW) {
		if (ret) {
			__u8 one = 1;

			k.ssl = ret;
			bpf_map_update_elem(&ssls, &k, &one, BPF_ANY);
		}
		t->after_ssl = ret;
		emit_short(TLSMEM_EV_SSL_NEW, 0, 0, ret, ret);
	}
	/* SSL_free's own event left when the object's memory was freed */
	t->ssl = 0;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(crypto_malloc_enter, __u64 size, __u64 file, int line)
{
	return alloc_enter(ctx, TLSMEM_FN_MALLOC, 0, size, file, line);
}

SEC("uprobe")
int BPF_KPROBE(crypto_zalloc_enter, __u64 size, __u64 file, int line)
{
	return alloc_enter(ctx, TLSMEM_FN_ZALLOC, 0, size, file, line);
}

SEC("uprobe")
int BPF_KPROBE(crypto_realloc_enter, __u64 ptr, __u64 size, __u64 file, int line)
{
	return alloc_enter(ctx, TLSMEM_FN_REALLOC, ptr, size, file, line);
}

SEC("uprobe")
int BPF_KPROBE(crypto_clear_realloc_enter, __u64 ptr, __u64 old_len, __u64 size, __u64 file,
	       int line)
{
	return alloc_enter(ctx, TLSMEM_FN_CLEAR_REALLOC, ptr, size, file, line);
}

/* BoringSSL's own allocator: OPENSSL_malloc(size), no file or line */
SEC("uprobe")
int BPF_KPROBE(openssl_malloc_enter, __u64 size)
{
	return alloc_enter(ctx, TLSMEM_FN_MALLOC, 0, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(openssl_realloc_enter, __u64 ptr, __u64 size)
{
	return alloc_enter(ctx, TLSMEM_FN_REALLOC, ptr, size, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(crypto_alloc_exit, __u64 ret)
{
	return alloc_exit(ctx, ret);
}

SEC("uprobe")
int BPF_KPROBE(crypto_free_enter, __u64 ptr)
{
	return free_enter(ctx, ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(crypto_clear_free_enter, __u64 ptr)
{
	return free_enter(ctx, ptr, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(crypto_clear_free_exit)
{
	struct tstate *t = tstate_get();

	if (t && t->depth)
		t->depth--;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_new_enter)
{
	return ssl_enter(ctx, TLSMEM_FN_SSL_NEW, 0);
}

SEC("uprobe")
int BPF_KPROBE(ssl_free_enter, __u64 ssl)
{
	return ssl_enter(ctx, TLSMEM_FN_SSL_FREE, ssl);
}

SEC("uprobe")
int BPF_KPROBE(ssl_call_enter, __u64 ssl)
{
	return ssl_enter(ctx, TLSMEM_FN_SSL_CALL, ssl);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_call_exit, __u64 ret)
{
	return ssl_exit(ret);
}

/*
 * SSL_SESSION_new and SSL_CTX_add_session are scopes of their own, usually
 * nested in an SSL call (a handshake): what they allocate belongs to the
 * session, not to the SSL object.
 */
static __always_inline int sess_enter(struct pt_regs *ctx, enum tlsmem_func fn, __u64 sess)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct tstate *t = tstate_get();

	if (!t)
		return 0;
	drop_stale(t, sp);
	if (t->sess_depth++)
		return 0;
	t->sess_sp = sp;
	t->sess_fn = fn;
	t->sess = sess;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(session_new_enter)
{
	return sess_enter(ctx, TLSMEM_FN_SESSION_NEW, 0);
}

SEC("uprobe")
int BPF_KPROBE(cache_add_enter, __u64 sctx, __u64 sess)
{
	return sess_enter(ctx, TLSMEM_FN_CACHE_ADD, sess);
}

SEC("uprobe")
int BPF_KPROBE(session_ref_enter, __u64 ssl)
{
	return sess_enter(ctx, TLSMEM_FN_SESSION_REF, ssl);
}

SEC("uretprobe")
int BPF_KRETPROBE(session_exit, __u64 ret)
{
	struct tstate *t = tstate_get();
	__u64 ssl;

	if (!t || !t->sess_depth)
		return 0;
	if (--t->sess_depth)
		return 0;
	ssl = t->ssl_depth && t->ssl_fn != TLSMEM_FN_SSL_NEW ? t->ssl : 0;
	if (t->sess_fn == TLSMEM_FN_SESSION_NEW)
		emit_short(TLSMEM_EV_SESSION_NEW, 0, 0, ret, ssl);
	else if (t->sess_fn == TLSMEM_FN_SESSION_REF && ret)
		emit_short(TLSMEM_EV_SESSION_REF, 0, 0, ret, t->sess);
	else if (t->sess)
		emit_short(TLSMEM_EV_SESSION_CACHE, 0, 0, t->sess, ssl);
	return 0;
}

/* SSL_set_ex_data(ssl, idx, arg), SSL_SESSION_set_ex_data(): a block hung on an owner */
static __always_inline int link_enter(__u64 owner, __u64 ptr, enum tlsmem_owner kind)
{
	struct tstate *t = tstate_get();

	if (t && owner && ptr)
		emit_short(TLSMEM_EV_LINK, 0, kind, ptr, owner);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_set_ex_data_enter, __u64 ssl, int idx, __u64 arg)
{
	return link_enter(ssl, arg, TLSMEM_OWNER_SSL);
}

SEC("uprobe")
int BPF_KPROBE(session_set_ex_data_enter, __u64 sess, int idx, __u64 arg)
{
	return link_enter(sess, arg, TLSMEM_OWNER_SESSION);
}

/* glibc's loader calls _dl_debug_state after every change of the link map */
SEC("uprobe")
int BPF_KPROBE(dl_debug_state_enter)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, *fl = NULL;

	if (targ_filter && !(fl = bpf_map_lookup_elem(&pids, &pid)) && !targ_all)
		return 0;
	/* queued before the record: user space's SIGCONT always comes after it */
	if (targ_stop_all || (targ_stop_pid && pid == targ_stop_pid) ||
	    (fl && (*fl & TLSMEM_PID_STOP)))
		bpf_send_signal(SIGSTOP);
	emit_short(TLSMEM_EV_MAPS_CHANGED, 0, 0, 0, 0);
	return 0;
}

/* --- followed processes: forks, execs and exits, in the kernel --- */

#define WRAP_FORK_MAX	64	/* wrap slots copied at a fork */

/*
 * A fork of a followed process joins the filter before the child runs its
 * first instruction, with the parent's wrapper return points (same
 * mappings). Runs in the parent; threads (clone with CLONE_THREAD) are not
 * new processes.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, fl, i;
	struct wrap_key k;
	struct tlsmem_short *e;
	struct wrap *w;
	__u32 *pfl;

	if (child->pid != ctgid)
		return 0;
	pfl = bpf_map_lookup_elem(&pids, &ptgid);
	if (!pfl || !(*pfl & TLSMEM_PID_FOLLOW))
		return 0;
	fl = *pfl;
	if (bpf_map_update_elem(&pids, &ctgid, &fl, BPF_ANY)) {
		count_drop();	/* the filter is full: the child goes unobserved */
		return 0;
	}
	for (i = 0; i < WRAP_FORK_MAX && i < wrap_nslots; i++) {
		k.pid = ptgid;
		k.slot = i;
		w = bpf_map_lookup_elem(&wraps, &k);
		if (!w)
			continue;
		k.pid = ctgid;
		bpf_map_update_elem(&wraps, &k, w, BPF_ANY);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_hdr(&e->h, TLSMEM_EV_FORK, 0, 0);
	e->h.pid = ptgid;
	e->ptr = ctgid;
	e->ssl = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* A followed process runs a new program: user space reads its new mappings. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = p->tgid, *fl = bpf_map_lookup_elem(&pids, &pid), stop;

	if (!fl) {
		if (targ_all)
			emit_short(TLSMEM_EV_EXEC, 0, 0, 0, 0);	/* a candidate */
		return 0;
	}
	/* the old program's wrapper return points mean nothing in the new one */
	for (__u32 i = 0; i < WRAP_FORK_MAX && i < wrap_nslots; i++) {
		struct wrap_key k = { .pid = pid, .slot = i };

		bpf_map_delete_elem(&wraps, &k);
	}
	stop = !!(*fl & TLSMEM_PID_STOP);
	if (stop)
		bpf_send_signal(SIGSTOP);	/* before its first instruction */
	emit_short(TLSMEM_EV_EXEC, 0, stop, 0, 0);
	return 0;
}

/* The last thread of a followed process exits: it leaves the filter. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 pid = p->tgid, code;

	if (!group_dead || !bpf_map_lookup_elem(&pids, &pid))
		return 0;
	bpf_map_delete_elem(&pids, &pid);
	for (__u32 i = 0; i < WRAP_FORK_MAX && i < wrap_nslots; i++) {
		struct wrap_key k = { .pid = pid, .slot = i };

		bpf_map_delete_elem(&wraps, &k);
	}
	code = (__u32)BPF_CORE_READ(p, exit_code);
	emit_short(TLSMEM_EV_EXIT, 0, code, 0, 0);
	return 0;
}
