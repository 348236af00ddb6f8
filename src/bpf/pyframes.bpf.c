/*
 * pyframes: the kernel half of reading Python stacks at the sample.
 *
 * Attached to every perf sampling event tprof opens, this program runs in
 * the interrupt that takes each sample, before the sample is written, with
 * the sampled thread stopped under it. For a process src/python registered
 * (procs map) it finds the thread's PyThreadState and copies the frame
 * chain (one bounded read per frame, no more than PYFRAMES_MAX frames) into
 * the ring buffer, with what joins the record to its perf sample (tid,
 * time, user IP and SP). User space names the code objects: each frame
 * carries a hash of its code object's identity (the window of pointers to
 * its name, file and line table, and its file name's first bytes), and the
 * first time
 * the program meets a code object (the known map) it copies what names it
 * into a snapshot record, at the sample, while the object is certainly
 * alive: an import's <module> code is freed a few milliseconds after it
 * runs, before user space could read it.
 *
 * Everything read here is the target's memory and is trusted for nothing:
 * every read is bpf_probe_read_user (a bad pointer is a failed read, never
 * a fault), the walk is bounded, a loop ends it, and every offset used to
 * index a buffer is checked against the buffer first.
 *
 * It always returns 1: 0 would drop the perf sample itself.
 *
 * Layouts walked (offsets come from user space, per version):
 *   3.10  tstate->frame: PyFrameObject, f_back, f_code, f_lasti (int);
 *         every frame its own call of the eval loop
 *   3.11  tstate->cframe->current_frame: _PyInterpreterFrame, previous,
 *         f_code, prev_instr; is_entry ends a call of the eval loop
 *   3.12  tstate->cframe->current_frame; owner == 3 marks the eval call's
 *         own shim frame (FRAME_OWNED_BY_CSTACK)
 *   3.13  tstate->current_frame; the shim's f_executable is None
 * The thread state: the threads map (tid -> tstate, filled from the
 * interpreter's thread list), else CPython's thread-local slot
 * (autoTSSkey's pthread-specific data, at tls_slot from the FS base), and
 * either way checked to be this thread's (native_thread_id == tid;
 * 3.10: thread_id == the FS base, pthread_self()).
 */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <linux/types.h>
#include <asm/ptrace.h>
#include <stddef.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "tprof/pyframes.h"

/* The FS base (the thread pointer: glibc's struct pthread), located in
 * the running kernel's task_struct by CO-RE at load time. */
struct thread_struct {
    unsigned long fsbase;
} __attribute__((preserve_access_index));
struct task_struct {
    struct thread_struct thread;
    struct task_struct *real_parent;
    int tgid;
} __attribute__((preserve_access_index));

/* The Python processes being sampled (a thousand at once is far more than
 * a recording holds; past it, a process is read after its samples). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32); /* pid */
    __type(value, struct pyframes_proc);
} procs SEC(".maps");

/* Their threads' states (entries go when the thread ends; a thread past
 * the limit is found through its thread-local slot). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);   /* tid */
    __type(value, __u64); /* its PyThreadState */
} threads SEC(".maps");

/* One per CPU (the loader sets max_entries): the record being built, too
 * large for the 512-byte BPF stack and for a per-CPU map value (32 KiB). */
struct scratch {
    struct pyframes_proc cfg;
    __u8 fbuf[PYFRAMES_FRAME_BYTES];
    __u64 sig[PYFRAMES_SIG_BYTES / 8];
    __u64 fwin[PYFRAMES_FILE_BYTES / 8];
    struct pyframes_code code;
    struct pyframes_rec rec;
    struct pyframes_frame f[PYFRAMES_MAX]; /* right after rec: written with it */
};

/* The code objects a snapshot was written for, by registration (GEN),
 * address and identity: direct-mapped on a hash of the address, so a
 * collision only costs another snapshot. */
#define KNOWN_SLOTS 65536
struct known {
    __u64 code;
    __u32 ident;
    __u32 gen;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, KNOWN_SLOTS);
    __type(key, __u32);
    __type(value, struct known);
} known SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct scratch);
} scratch SEC(".maps");

/* The records: 64 bytes and 32 per frame, so about 0.7 KiB for a 20-frame
 * stack and 3 s of two CPUs at 999 Hz in 4 MiB, and 1.4 KiB for a code
 * object's snapshot (up to 4 KiB more with its line table), once per code
 * object; tprof drains it every 5 ms (every millisecond while a process
 * starts, when most code objects are new). A record the ring has no room for is counted, and its sample read
 * after the fact. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);
} ring SEC(".maps");

/* Counters, per CPU: runs, records written, records the ring had no room
 * for, code snapshots written. */
enum { ST_RUNS, ST_RECORDS, ST_RING_FULL, ST_CODES, ST_OTHERS, ST_N };
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, ST_N);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

static void count(__u32 what)
{
    __u64 *v = bpf_map_lookup_elem(&stats, &what);
    if (v)
        *v += 1;
}

/* Sampling per CPU (filter[0] set), every task a CPU runs comes here: only
 * the profiled processes' samples are kept (returning 0 drops a sample
 * before its stack is copied). targets holds them, by tgid; a process
 * forked a moment ago, before tprof saw its fork, is known by an ancestor
 * up to TARGET_DEPTH generations up, and added. */
#define TARGET_DEPTH 8
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);  /* tgid */
    __type(value, __u8);
} targets SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} filter SEC(".maps");

static int is_target(__u32 tgid)
{
    if (bpf_map_lookup_elem(&targets, &tgid))
        return 1;
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    for (int i = 0; i < TARGET_DEPTH; i++) {
        struct task_struct *parent = NULL;
        int tg = 0;
        if (bpf_core_read(&parent, sizeof(parent), &t->real_parent) != 0 || !parent ||
            bpf_core_read(&tg, sizeof(tg), &parent->tgid) != 0)
            return 0;
        t = parent;
        __u32 up = (__u32)tg;
        if (up <= 1)
            return 0;
        if (bpf_map_lookup_elem(&targets, &up)) {
            __u8 one = 1;
            bpf_map_update_elem(&targets, &tgid, &one, BPF_ANY);
            return 1;
        }
    }
    return 0;
}

static __u64 read_u64(__u64 addr, int *ok)
{
    __u64 v = 0;
    if (bpf_probe_read_user(&v, sizeof(v), (const void *)addr) != 0)
        *ok = 0;
    return v;
}

/* The 8 bytes at OFF in B (CAP bytes, a constant); OFF was set by user
 * space, so it is checked here (the verifier wants it bounded, and so do
 * we). */
static __always_inline __u64 word_at(const __u8 *b, __u32 cap, __u32 off)
{
    if (off > cap - 8)
        return 0;
    __u64 v;
    __builtin_memcpy(&v, &b[off], 8);
    return v;
}

/* ... in the frame just read */
static __u64 fword(const struct scratch *s, __u32 off)
{
    return word_at(s->fbuf, PYFRAMES_FRAME_BYTES, off);
}

/* Copy up to CAP bytes at ADDR into DST (CAP a constant): the most that
 * reads of CAP, 128 or 64 bytes; 0 when none does. */
static __always_inline __u32 copy_some(void *dst, __u32 cap, __u64 addr)
{
    if (!addr)
        return 0;
    if (bpf_probe_read_user(dst, cap, (const void *)addr) == 0)
        return cap;
    if (cap > 128 && bpf_probe_read_user(dst, 128, (const void *)addr) == 0)
        return 128;
    if (cap > 64 && bpf_probe_read_user(dst, 64, (const void *)addr) == 0)
        return 64;
    return 0;
}

/* ... in a snapshot's code head */
static __u64 hword(const struct pyframes_code *k, __u32 off)
{
    return word_at(k->head, PYFRAMES_CODE_HEAD, off);
}

/* FR's code object, once per registration and identity: its snapshot into
 * the ring, ahead of the stack record that names it. */
static void snapshot(struct scratch *s, const struct pyframes_frame *fr)
{
    __u32 slot = (__u32)((fr->code >> 4) * 0x9e3779b97f4a7c15ULL >> 48) & (KNOWN_SLOTS - 1);
    struct known *kn = bpf_map_lookup_elem(&known, &slot);
    if (!kn || (kn->code == fr->code && kn->ident == fr->ident && kn->gen == s->cfg.gen))
        return;
    struct pyframes_code *k = &s->code;
    k->kind = PYFRAMES_REC_CODE;
    k->pid = s->rec.pid;
    k->gen = s->cfg.gen;
    k->ident = fr->ident;
    k->code = fr->code;
    for (int i = 0; i < PYFRAMES_R_N; i++) {
        k->r[i].addr = 0;
        k->r[i].len = 0;
        k->r[i].pad = 0;
    }
    __u32 n = s->cfg.co_size;
    if (n == 0 || n > PYFRAMES_CODE_HEAD ||
        bpf_probe_read_user(k->head, n, (const void *)fr->code) != 0)
        return;
    k->r[PYFRAMES_R_HEAD].addr = fr->code;
    k->r[PYFRAMES_R_HEAD].len = n;
    __u64 a = hword(k, s->cfg.co_name);
    k->r[PYFRAMES_R_NAME].addr = a;
    k->r[PYFRAMES_R_NAME].len = copy_some(k->name, PYFRAMES_CODE_STR, a);
    a = hword(k, s->cfg.co_filename);
    k->r[PYFRAMES_R_FILE].addr = a;
    k->r[PYFRAMES_R_FILE].len = copy_some(k->file, PYFRAMES_CODE_STR, a);
    if (s->cfg.co_linetable != PYFRAMES_NONE) {
        a = hword(k, s->cfg.co_linetable);
        k->r[PYFRAMES_R_TABLE].addr = a;
        k->r[PYFRAMES_R_TABLE].len = copy_some(k->table, PYFRAMES_CODE_TABLE, a);
    }
    __u64 size = offsetof(struct pyframes_code, table) + k->r[PYFRAMES_R_TABLE].len;
    if (size > sizeof(*k))
        size = sizeof(*k);
    if (bpf_ringbuf_output(&ring, k, size, BPF_RB_NO_WAKEUP) != 0) {
        count(ST_RING_FULL);
        return;
    }
    count(ST_CODES);
    kn->code = fr->code;
    kn->ident = fr->ident;
    kn->gen = s->cfg.gen;
}

struct walk {
    __u32 cpu;
    __u64 next;      /* the frame to read next */
    __u64 last_code; /* the code object whose identity was read last */
    __u32 last_idx;  /* in that frame */
};

/* One frame: read it, keep it, step to its caller. 1 ends the loop. */
static long walk_one(__u32 i, void *arg)
{
    struct walk *w = arg;
    struct scratch *s = bpf_map_lookup_elem(&scratch, &w->cpu);
    if (!s)
        return 1;
    /* (bpf_loop keeps I below PYFRAMES_MAX; the mask is what the verifier
     * sees: no test of I may come before it, or the compiler drops it) */
    __u32 idx = i & (PYFRAMES_MAX - 1);
    __u64 f = w->next;
    if (!f)
        return 1;
    __u32 size = s->cfg.fr_size;
    if (size == 0 || size > PYFRAMES_FRAME_BYTES ||
        bpf_probe_read_user(s->fbuf, size, (const void *)f) != 0) {
        s->rec.status = PYFRAMES_FAULT;
        return 1;
    }
    struct pyframes_frame *fr = &s->f[idx];
    fr->frame = f;
    fr->code = fword(s, s->cfg.fr_code);
    __u64 instr = fword(s, s->cfg.fr_instr);
    fr->instr = s->cfg.fr_instr_int ? (__u64)(__u32)instr : instr;
    __u32 eo = s->cfg.fr_entry;
    fr->entry = eo < PYFRAMES_FRAME_BYTES ? s->fbuf[eo & (PYFRAMES_FRAME_BYTES - 1)] : 0;
    fr->flags = 0;
    fr->pad = 0;
    fr->ident = 0;
    /* 3.12+: the eval call's shim frame has no code object of its own */
    int shim = s->cfg.minor >= 12 && fr->entry == 3;
    /* Recursion: the caller runs the same code object, read a moment ago
     * (at the same instant, the same object): its identity again. */
    if (!shim && w->last_code && fr->code == w->last_code) {
        const struct pyframes_frame *prev = &s->f[w->last_idx & (PYFRAMES_MAX - 1)];
        fr->ident = prev->ident;
        fr->flags = prev->flags;
    } else if (!shim) {
        w->last_code = fr->code;
        w->last_idx = idx;
        __u32 fi = ((s->cfg.co_filename - s->cfg.co_sig) / 8) & 3;
        if (bpf_probe_read_user(s->sig, sizeof(s->sig), (const void *)(fr->code + s->cfg.co_sig)) ==
                0 &&
            bpf_probe_read_user(s->fwin, sizeof(s->fwin),
                                (const void *)(s->sig[fi] + PYFRAMES_FILE_OFF)) == 0) {
            fr->ident = pyframes_ident(s->sig, s->cfg.co_sig_words, s->fwin);
            if (!s->rec.inherited)
                snapshot(s, fr);
        } else {
            fr->flags |= PYFRAMES_F_NOSIG;
        }
    }
    s->rec.nframes = idx + 1;
    __u64 prev = fword(s, s->cfg.fr_previous);
    if (prev == f) {
        s->rec.status = PYFRAMES_LOOP;
        return 1;
    }
    if (prev && idx + 1 >= PYFRAMES_MAX) {
        s->rec.status = PYFRAMES_TRUNC;
        return 1;
    }
    w->next = prev;
    return 0;
}

/* The FS base of the sampled thread: its thread pointer, glibc's struct
 * pthread (pthread_self()). */
static __u64 fs_base(void)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    unsigned long fs = 0;
    if (bpf_core_read(&fs, sizeof(fs), &task->thread.fsbase) != 0)
        return 0;
    return fs;
}

/* TS is this thread's own thread state: its kernel TID (3.11+), or for
 * 3.10 its pthread_t, which is the thread's FS base. */
static int tstate_is_ours(const struct pyframes_proc *c, __u64 ts, __u32 tid)
{
    int ok = 1;
    if (c->ts_native_thread_id != PYFRAMES_NONE)
        return (__u32)read_u64(ts + c->ts_native_thread_id, &ok) == tid && ok;
    return read_u64(ts + c->ts_thread_id, &ok) == fs_base() && ok;
}

/* The thread's PyThreadState into R: the one user space put in the
 * threads map, else (a thread too new for the map, or the map's entry
 * stale) the one in CPython's thread-local slot. */
static void find_tstate(const struct pyframes_proc *c, struct pyframes_rec *r)
{
    __u64 *known = bpf_map_lookup_elem(&threads, &r->tid);
    __u64 ts = known ? *known : 0;
    r->via_tls = 0;
    r->status = PYFRAMES_OK;
    if (ts && tstate_is_ours(c, ts, r->tid)) {
        r->tstate = ts;
        return;
    }
    if (c->tls_slot) {
        int ok = 1;
        __u64 fs = fs_base();
        __u64 t = fs ? read_u64(fs + c->tls_slot, &ok) : 0;
        if (ok && t) {
            r->via_tls = 1;
            r->tstate = t;
            r->status = tstate_is_ours(c, t, r->tid) ? PYFRAMES_OK : PYFRAMES_BAD_TSTATE;
            return;
        }
    }
    r->tstate = ts;
    r->status = ts ? PYFRAMES_BAD_TSTATE : PYFRAMES_NO_TSTATE;
}

SEC("perf_event")
int pyframes_sample(struct bpf_perf_event_data *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 pid = id >> 32, tid = (__u32)id;
    __u32 zero = 0;
    __u32 *on = bpf_map_lookup_elem(&filter, &zero);
    if (on && *on && !is_target(pid)) {
        count(ST_OTHERS);
        return 0; /* not a profiled process's: no sample */
    }
    struct pyframes_proc *cfg = bpf_map_lookup_elem(&procs, &pid);
    __u8 inherited = 0;
    if (!cfg) {
        /* A child forked a moment ago, before tprof registered it: its
         * parent's image, so its parent's layout (user space takes such a
         * record only for a child it knows was forked from that parent;
         * after an exec the thread-state check fails). */
        struct task_struct *task = (struct task_struct *)bpf_get_current_task(), *parent = NULL;
        int tg = 0;
        if (bpf_core_read(&parent, sizeof(parent), &task->real_parent) != 0 || !parent ||
            bpf_core_read(&tg, sizeof(tg), &parent->tgid) != 0)
            return 1;
        __u32 ppid = (__u32)tg;
        cfg = bpf_map_lookup_elem(&procs, &ppid);
        if (!cfg)
            return 1;
        inherited = 1;
    }
    count(ST_RUNS);
    struct walk w = {.cpu = bpf_get_smp_processor_id(), .next = 0, .last_code = 0, .last_idx = 0};
    struct scratch *s = bpf_map_lookup_elem(&scratch, &w.cpu);
    if (!s)
        return 1;
    s->cfg = *cfg;
    struct pyframes_rec *r = &s->rec;
    r->kind = PYFRAMES_REC_STACK;
    r->pad0 = 0;
    r->time = bpf_ktime_get_ns();
    r->pid = pid;
    r->tid = tid;
    r->gen = cfg->gen;
    r->inherited = inherited;
    r->nframes = 0;
    r->pad = 0;
    /* The user registers: the interrupted ones when the sample was taken
     * in user mode (CPL 3), else those saved at the kernel's entry. */
    if ((ctx->regs.cs & 3) == 3) {
        r->ip = ctx->regs.rip;
        r->sp = ctx->regs.rsp;
    } else {
        struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
        r->ip = r->sp = 0;
        bpf_probe_read_kernel(&r->ip, 8, &regs->rip);
        bpf_probe_read_kernel(&r->sp, 8, &regs->rsp);
    }

    find_tstate(&s->cfg, r);
    if (r->status == PYFRAMES_OK) {
        int ok = 1;
        __u64 head = read_u64(r->tstate + s->cfg.ts_frame, &ok);
        if (ok && head && s->cfg.cf_current_frame != PYFRAMES_NONE)
            head = read_u64(head + s->cfg.cf_current_frame, &ok);
        if (!ok)
            r->status = PYFRAMES_FAULT;
        else if (head) {
            w.next = head;
            bpf_loop(PYFRAMES_MAX, walk_one, &w, 0);
        }
    }
    __u64 size = sizeof(*r) + (__u64)r->nframes * sizeof(struct pyframes_frame);
    if (size > sizeof(*r) + sizeof(s->f))
        size = sizeof(*r) + sizeof(s->f);
    /* No wakeup: tprof drains the ring on its own timer. A wakeup per
     * sample cost the sampled program 7% at 999 Hz on these machines
     * (bench/pywork.py: 1.108x against 1.032x). */
    if (bpf_ringbuf_output(&ring, r, size, BPF_RB_NO_WAKEUP) == 0)
        count(ST_RECORDS);
    else
        count(ST_RING_FULL);
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
