/*
 * Python stacks read at the sample, by tprof's kernel program
 * (src/bpf/pyframes.bpf.c): what src/python tells it, and how its records
 * become stacks.
 *
 * Registering: when a process is found to be Python, its offsets go to the
 * kernel's procs map with a new generation number, and its threads' states
 * to the threads map (again whenever the thread list is re-read). The
 * thread-local slot CPython keeps each thread's state in (autoTSSkey's
 * pthread-specific data) is found once per process, from the main thread:
 * the kernel then finds a thread's state by itself, from its first sample,
 * before user space has seen the thread.
 *
 * The join: records are drained after the perf rings (the program writes
 * a sample's record before the sample itself, so every sample drained has
 * its record drained too) and kept per thread, oldest first, until the
 * sample's turn comes in time order. A sample takes its thread's first
 * record not older than itself, within PY_JOIN_WINDOW_NS, and only if the user
 * IP and SP the kernel saw are the sample's: anything else is no record,
 * and the sample falls back to the read after the sample (counted apart).
 * Older records were left by samples the perf ring lost: dropped.
 *
 * Naming: the first time the kernel program meets a code object it
 * copies, at that sample, the code object's head and the str objects of
 * its name and file (and with --python-lines its line table) into a
 * snapshot record ahead of the stack record; the code object is named from
 * that copy alone (code_record), since an import's <module> code is freed
 * within milliseconds of running, before tprof could read it. Every frame
 * is checked against the identity the kernel hashed at the sample: a code
 * object named earlier and freed since (gone, or its address reused by
 * another) does not pass, and the program made a new snapshot for the new
 * one. Without a snapshot (the ring was full) a record's code objects are
 * read from the process as soon as the record is drained, and one freed
 * already cannot be named for sure: its sample keeps its native frames.
 * (Naming such a code object from the str objects it pointed to, read
 * later, was tried: a freed str's memory held another name, and a sample
 * of the main thread read "spin_right (_distutils_hack/__init__.py:1)".)
 * While a process starts (PROMPT_NS), tprof drains every millisecond.
 *
 * A joined record is checked as a read from user space is (every code
 * object's type, lasti within its code, runs closed by entry frames). A
 * record that fails keeps the sample's native frames and is counted.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "tprof/clock.h"
#include "tprof/perf.h"
#include "tprof/xalloc.h"

/* Records kept per thread waiting for their samples: a few rounds' worth. */
#define MAX_QUEUED 8192
#define FRAME_OWNED_BY_CSTACK 3
/* How long after a process is registered its records are drained
 * promptly (python_prompt_until): its imports. */
#define PROMPT_NS 300000000ull

struct py_kq {
    UT_hash_handle hh;
    uint32_t tid;
    VEC(struct pyframes_rec *) q;
    size_t head; /* records before it were taken */
};

void python_set_read(struct python *py, enum python_read how, const struct python_kernel *k,
                     const char *why)
{
    py->read = how;
    if (k)
        py->kernel = *k;
    snprintf(py->read_why, sizeof(py->read_why), "%s", why ? why : "");
    /* (read after the sample until now: the processes found meanwhile
     * are told to the kernel program, their threads as they are, and
     * said, as they are read from now) */
    if (how == PYTHON_READ_PENDING)
        return;
    struct py_proc *pp, *tmp;
    HASH_ITER(hh, py->procs, pp, tmp)
    {
        if (how == PYTHON_READ_KERNEL && k && pp->state == PY_FOUND && !pp->kgen) {
            py_kernel_register(py, pp);
            pp->tids_at = 0; /* (its threads told now, as when it was found) */
            py_tids_refresh(py, pp);
        }
        py_detect_say(py, pp);
    }
}

uint64_t python_prompt_until(const struct python *py)
{
    return py->prompt_until;
}

const struct python_stats *python_get_stats(const struct python *py)
{
    return &py->kst;
}

static struct py_kq *kq_find(struct python *py, uint32_t tid)
{
    struct py_kq *k;
    HASH_FIND(hh, py->kq, &tid, sizeof(tid), k);
    return k;
}

static void kq_free(struct python *py, struct py_kq *k)
{
    for (size_t i = k->head; i < k->q.n; i++) {
        free(k->q.v[i]);
        py->kst.orphans++;
    }
    VEC_FREE(k->q);
    HASH_DEL(py->kq, k);
    free(k);
}

void py_kernel_free(struct python *py)
{
    struct py_kq *k, *tmp;
    HASH_ITER(hh, py->kq, k, tmp)
        kq_free(py, k);
}

/* ----- registering ----- */

/* The offset from a thread's FS base (its struct pthread) at which it
 * keeps its thread state: found by looking for TS in the pthread struct of
 * the thread PTHREAD whose state TS is. 0 when not found. */
uint64_t py_tls_slot_of(const struct py_proc *pp, uint64_t pthread, uint64_t ts)
{
    uint8_t b[4096];
    if (!pthread || !ts || !py_read_mem((pid_t)pp->pid, pthread, b, sizeof(b)))
        return 0;
    uint64_t found = 0;
    for (size_t k = 16; k + 8 <= sizeof(b); k += 8) {
        uint64_t v;
        memcpy(&v, b + k, 8);
        if (v != ts)
            continue;
        if (found)
            return 0; /* twice: not a slot we can tell */
        found = k;
    }
    return found;
}

void py_kernel_register(struct python *py, struct py_proc *pp)
{
    if (py->read != PYTHON_READ_KERNEL || !py->kernel.set_proc)
        return;
    const struct py_offsets *o = &pp->off;
    struct pyframes_proc c;
    memset(&c, 0, sizeof(c));
    c.gen = ++py->kgen;
    c.minor = (uint32_t)o->minor;
    c.ts_frame = o->ts_frame;
    c.cf_current_frame = o->ts_root_cframe != PY_NO_FIELD ? o->cf_current_frame : PYFRAMES_NONE;
    c.ts_native_thread_id = o->ts_native_thread_id ? o->ts_native_thread_id : PYFRAMES_NONE;
    c.ts_thread_id = o->ts_thread_id;
    c.fr_size = o->fr_size;
    c.fr_code = o->fr_code;
    c.fr_previous = o->fr_previous;
    c.fr_instr = o->fr_instr;
    c.fr_instr_int = o->minor == 10;
    c.fr_entry = o->fr_is_entry != PY_NO_FIELD ? o->fr_is_entry
                 : o->minor >= 12              ? o->fr_owner
                                               : PYFRAMES_NONE;
    c.co_sig = py_sig_off(o);
    if (o->co_filename < c.co_sig || o->co_filename - c.co_sig >= py_sig_len(o))
        return; /* (the file name is in the window in every version) */
    c.co_sig_words = (uint32_t)(py_sig_len(o) / 8);
    /* code snapshots (none when the head is larger than the copy) */
    c.co_name = o->co_qualname != PY_NO_FIELD ? o->co_qualname : o->co_name;
    c.co_filename = o->co_filename;
    c.co_linetable = py->cfg.lines ? o->co_linetable : PYFRAMES_NONE;
    c.co_size = o->co_size;
    if (c.co_size > PYFRAMES_CODE_HEAD || c.co_name > c.co_size - 8 ||
        c.co_filename > c.co_size - 8 ||
        (c.co_linetable != PYFRAMES_NONE && c.co_linetable > c.co_size - 8))
        c.co_size = 0;
    if (c.fr_size > PYFRAMES_FRAME_BYTES || c.fr_code > PYFRAMES_FRAME_BYTES - 8 ||
        c.fr_previous > PYFRAMES_FRAME_BYTES - 8 || c.fr_instr > PYFRAMES_FRAME_BYTES - 8 ||
        (c.fr_entry != PYFRAMES_NONE && c.fr_entry >= PYFRAMES_FRAME_BYTES))
        return; /* a layout the kernel program does not read: read after the sample */
    c.tls_slot = pp->tls_slot;
    if (py->kernel.set_proc(py->kernel.arg, pp->pid, &c) == 0) {
        pp->kgen = c.gen;
        pp->kcfg = c;
        pp->koff = *o;
        py->prompt_until = now_ns() + PROMPT_NS;
    }
}

void py_kernel_forget(struct python *py, struct py_proc *pp)
{
    if (!pp->kgen)
        return;
    py->kernel.forget_proc(py->kernel.arg, pp->pid);
    struct py_tid *t, *tmp;
    HASH_ITER(hh, pp->tids, t, tmp)
        if (t->pushed)
            py->kernel.forget_thread(py->kernel.arg, t->tid);
    pp->kgen = 0;
}

void py_kernel_threads(struct python *py, struct py_proc *pp, uint64_t main_pthread,
                       uint64_t main_ts)
{
    if (!pp->kgen)
        return;
    struct py_tid *t, *tmp;
    HASH_ITER(hh, pp->tids, t, tmp)
    {
        /* Only the process's own threads: a child just forked still lists
         * its parent's thread states (the kernel's map is by TID, for
         * every process). */
        char task[64];
        snprintf(task, sizeof(task), "/proc/%u/task/%u", pp->pid, t->tid);
        if (t->tstate && access(task, F_OK) == 0) {
            py->kernel.set_thread(py->kernel.arg, t->tid, t->tstate);
            t->pushed = true;
        }
    }
    /* once: where each thread keeps its state, for threads to come */
    if (!pp->tls_tried && main_pthread && main_ts) {
        pp->tls_tried = true;
        pp->tls_slot = py_tls_slot_of(pp, main_pthread, main_ts);
        if (pp->tls_slot) {
            pp->kcfg.tls_slot = pp->tls_slot;
            py->kernel.set_proc(py->kernel.arg, pp->pid, &pp->kcfg);
        }
    }
}

void python_thread_exit(struct python *py, uint32_t pid, uint32_t tid)
{
    (void)pid;
    struct py_kq *k = kq_find(py, tid);
    if (k)
        kq_free(py, k);
    if (py->read == PYTHON_READ_KERNEL && py->kernel.forget_thread)
        py->kernel.forget_thread(py->kernel.arg, tid);
}

/* ----- records ----- */

/* The identity hash of C as the kernel computes it. */
static uint32_t code_ident(const struct py_proc *pp, const struct py_code *c)
{
    uint32_t nw = pp->kcfg.co_sig_words;
    __u64 w[4] = {0, 0, 0, 0}, fw[PYFRAMES_FILE_BYTES / 8];
    memcpy(w, c->sig, (nw > 4 ? 4 : nw) * 8);
    memcpy(fw, c->fwin, sizeof(fw));
    return pyframes_ident(w, nw, fw);
}

/* The code object at F, checked against the identity the kernel read at
 * the sample; NULL when it is not a code object, or not the same one. */
static struct py_code *code_checked(struct python *py, struct py_proc *pp,
                                    const struct pyframes_frame *f)
{
    if (f->flags & PYFRAMES_F_NOSIG)
        return NULL;
    struct py_code *snap = py_snap_find(pp, f->code, f->ident);
    if (snap)
        return snap;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct py_code *c = py_code_get(py, pp, f->code);
        if (!c)
            return NULL;
        if (code_ident(pp, c) == f->ident)
            return c;
        /* the cache's entry is older than the sample's object: read it again */
        if (attempt == 0)
            py_code_forget(pp, c);
    }
    return NULL;
}

/* R was written with PP's registration: its own, or for a child's first
 * records its parent's (0: none known). */
static bool record_is_ours(const struct py_proc *pp, const struct pyframes_rec *r)
{
    return r->inherited ? pp->parent_gen && r->gen == pp->parent_gen : r->gen == pp->kgen;
}

/* A code snapshot (DATA, LEN bytes): the code object named from the copy,
 * and cached for the stack records that follow. */
static void code_record(struct python *py, const uint8_t *data, size_t len)
{
    struct pyframes_code k;
    size_t fixed = offsetof(struct pyframes_code, table);
    if (len < fixed)
        return;
    memcpy(&k, data, fixed);
    const size_t at[PYFRAMES_R_N] = {offsetof(struct pyframes_code, head),
                                     offsetof(struct pyframes_code, name),
                                     offsetof(struct pyframes_code, file), fixed};
    const size_t cap[PYFRAMES_R_N] = {PYFRAMES_CODE_HEAD, PYFRAMES_CODE_STR, PYFRAMES_CODE_STR,
                                      len - fixed};
    struct py_overlay ov;
    for (size_t i = 0; i < PYFRAMES_R_N; i++) {
        if (k.r[i].len > cap[i] || k.r[i].len > PYFRAMES_CODE_TABLE)
            return;
        ov.r[i].addr = k.r[i].addr;
        ov.r[i].data = data + at[i];
        ov.r[i].len = k.r[i].len;
    }
    struct py_proc *pp;
    HASH_FIND(hh, py->procs, &k.pid, sizeof(k.pid), pp);
    if (!pp || pp->state != PY_FOUND || k.gen != pp->kgen)
        return;
    if (py_snap_find(pp, k.code, k.ident))
        return; /* (the kernel forgot it had sent it: a collision there) */
    pp->snap = &ov;
    struct py_code *c = py_code_read(py, pp, k.code);
    pp->snap = NULL;
    if (!c)
        return;
    if (code_ident(pp, c) != k.ident) { /* (a copy that contradicts itself) */
        py_code_free(c);
        return;
    }
    /* A line table longer than the copy: from the object, if it is still
     * the one the kernel saw */
    if (py->cfg.lines && !c->linetable) {
        struct py_code *live = py_code_read(py, pp, k.code);
        if (live && code_ident(pp, live) == k.ident) {
            c->linetable = live->linetable;
            c->linetable_len = live->linetable_len;
            live->linetable = NULL;
        }
        if (live)
            py_code_free(live);
    }
    py_snap_add(pp, c, k.ident);
    py->kst.snapshots++;
}

void python_kernel_record(struct python *py, const void *data, size_t len)
{
    struct pyframes_rec r;
    uint32_t kind;
    if (len < sizeof(kind))
        return;
    memcpy(&kind, data, sizeof(kind));
    if (kind == PYFRAMES_REC_CODE) {
        code_record(py, data, len);
        return;
    }
    if (kind != PYFRAMES_REC_STACK || len < sizeof(r))
        return;
    memcpy(&r, data, sizeof(r));
    if (r.nframes > PYFRAMES_MAX || len < sizeof(r) + r.nframes * sizeof(struct pyframes_frame))
        return;
    py->kst.records++;
    struct py_proc *pp;
    HASH_FIND(hh, py->procs, &r.pid, sizeof(r.pid), pp);
    if (pp && pp->state == PY_FOUND && record_is_ours(pp, &r)) {
        /* A thread the kernel found no state for: look at the thread list
         * again now, not when its samples' turn comes. */
        if (r.status == PYFRAMES_NO_TSTATE || r.status == PYFRAMES_BAD_TSTATE)
            py_tids_refresh(py, pp);
        /* The code objects, now: one run at import time (a module's
         * <module>) is freed a few milliseconds after it returns, before
         * the sample's turn would come. Cached, they are checked again
         * then, against the same identity. */
        const struct pyframes_frame *f = (const struct pyframes_frame *)((const uint8_t *)data +
                                                                         sizeof(r));
        for (uint32_t i = 0; i < r.nframes; i++)
            if (!(pp->off.minor >= 12 && f[i].entry == FRAME_OWNED_BY_CSTACK))
                code_checked(py, pp, &f[i]);
    }
    struct py_kq *k = kq_find(py, r.tid);
    if (!k) {
        k = xcalloc(1, sizeof(*k));
        k->tid = r.tid;
        HASH_ADD(hh, py->kq, tid, sizeof(k->tid), k);
    }
    if (k->q.n - k->head >= MAX_QUEUED) { /* nobody took them: the oldest go */
        free(k->q.v[k->head++]);
        py->kst.orphans++;
    }
    if (k->head > 0 && k->head == k->q.n) {
        k->q.n = k->head = 0;
    } else if (k->head > 1024) {
        memmove(k->q.v, k->q.v + k->head, (k->q.n - k->head) * sizeof(k->q.v[0]));
        k->q.n -= k->head;
        k->head = 0;
    }
    size_t want = sizeof(r) + r.nframes * sizeof(struct pyframes_frame);
    struct pyframes_rec *copy = xmalloc(want);
    memcpy(copy, data, want);
    VEC_PUSH(k->q, copy);
}

/* S's record, taken out of its thread's queue (the caller frees it); NULL
 * when none joins. */
static struct pyframes_rec *take_record(struct python *py, const struct py_sample *s)
{
    struct py_kq *k = kq_find(py, s->tid);
    if (!k)
        return NULL;
    while (k->head < k->q.n) {
        struct pyframes_rec *r = k->q.v[k->head];
        if (r->time >= s->time)
            break;
        free(r); /* its sample was lost */
        k->head++;
        py->kst.orphans++;
    }
    if (k->head == k->q.n)
        return NULL;
    struct pyframes_rec *r = k->q.v[k->head];
    if (r->time - s->time > PY_JOIN_WINDOW_NS || r->pid != s->pid)
        return NULL;
    if (s->regs && (r->ip != s->regs[PERF_REG_IP] || r->sp != s->regs[PERF_REG_SP]))
        return NULL;
    k->head++;
    return r;
}

/* The record's frames as a stack read (runs, frames), checked. */
static bool stack_from(struct python *py, struct py_proc *pp, const struct pyframes_rec *r,
                       struct py_stack *out)
{
    const struct py_offsets *o = &pp->off;
    const struct pyframes_frame *fr = (const struct pyframes_frame *)(r + 1);
    out->tid = r->tid;
    out->nframes = out->nruns = 0;
    out->present = r->nframes > 0;
    uint32_t run_len = 0;
    bool run_open = false;
    for (uint32_t i = 0; i < r->nframes; i++) {
        const struct pyframes_frame *f = &fr[i];
        if (o->minor >= 12 && f->entry == FRAME_OWNED_BY_CSTACK) {
            out->anchor[out->nruns] = f->frame;
            out->runs[out->nruns++] = run_len;
            run_len = 0;
            run_open = false;
            continue;
        }
        if (o->minor >= 12 && f->entry > 2)
            return false;
        struct py_code *c = code_checked(py, pp, f);
        if (!c)
            return false;
        int lasti;
        if (o->minor == 10) {
            lasti = (int)(int32_t)(uint32_t)f->instr;
        } else {
            int64_t d = (int64_t)(f->instr - (f->code + o->co_code_adaptive));
            if (d < -2 || d > (1LL << 30))
                return false;
            lasti = (int)(d / 2);
        }
        if (lasti < -1 || (c->ninstr && lasti >= (int)c->ninstr))
            return false;
        /* (a code object of the address cache may be dropped by the
         * next frame's lookup: the name is looked up again by address) */
        out->frames[out->nframes++] = (struct py_frame){f->code, lasti, c->snap ? c : NULL};
        run_open = true;
        run_len++;
        bool ends = o->minor == 10 || (o->minor == 11 && f->entry);
        if (o->minor == 11 && f->entry > 1)
            return false;
        if (ends) {
            out->anchor[out->nruns] = 0;
            out->runs[out->nruns++] = run_len;
            run_len = 0;
            run_open = false;
        }
    }
    out->valid = !run_open; /* the outermost frame ends an eval call */
    return out->valid;
}

enum py_kernel_take py_kernel_take(struct python *py, struct py_proc *pp,
                                   const struct py_sample *s, struct py_stack *out)
{
    if (!pp->kgen || !s->time)
        return PYK_NONE;
    struct pyframes_rec *r = take_record(py, s);
    if (!r || !record_is_ours(pp, r) || r->status == PYFRAMES_NO_TSTATE ||
        r->status == PYFRAMES_BAD_TSTATE) {
        free(r);
        return PYK_NONE;
    }
    enum py_kernel_take res = PYK_BAD;
    if (r->status == PYFRAMES_TRUNC)
        py->kst.deep++;
    else if (r->status == PYFRAMES_OK && stack_from(py, pp, r, out))
        res = PYK_OK;
    free(r);
    if (res == PYK_BAD)
        py->kst.rejected++;
    return res;
}
