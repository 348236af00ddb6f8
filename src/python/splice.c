/*
 * Splicing: each native call of the eval loop (_PyEval_EvalFrameDefault,
 * and its .cold part) is replaced by the Python frames that call runs, the
 * innermost eval call by the innermost run, and so on outwards (counting
 * entry frames, as py-spy and austin do; PYTHON-NOTES.md §5). Between two
 * Python frames the interpreter's own native frames (call machinery) are
 * dropped; other modules' frames (C extensions, libc) stay where they
 * are, and so does everything under the innermost Python frame (what the
 * line is doing) and above the outermost (main, the thread's start).
 *
 * On the perf backend the read happens as the sample is drained, while the
 * thread runs on: the stack read is brought back to the sample's time with
 * the sample's registers and stack copy (read.c, align), and a stack that
 * cannot be, like one that fails a check of the read, keeps the sample's
 * native frames and is counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tprof/perf.h"
#include "tprof/symbols.h"
#include "tprof/maps.h"
#include "tprof/unwind.h"
#include "tprof/xalloc.h"

struct python *python_new(const struct python_config *cfg, struct symbols *sym)
{
    struct python *py = xcalloc(1, sizeof(*py));
    py->cfg = *cfg;
    py->sym = sym;
    py->cur = xmalloc(sizeof(*py->cur));
    py->captured = xmalloc(sizeof(*py->captured));
    py->captured->tid = 0;
    if (!getcwd(py->cwd, sizeof(py->cwd)))
        py->cwd[0] = '\0';
    return py;
}

void py_proc_free(struct py_proc *pp)
{
    py_codes_free(pp);
    py_snaps_free(pp);
    struct py_tid *t, *tmp;
    HASH_ITER(hh, pp->tids, t, tmp)
    {
        HASH_DEL(pp->tids, t);
        free(t);
    }
    free(pp);
}

static void saved_free(struct py_saved *sv)
{
    free(sv->frames);
    free(sv->runs);
    free(sv->anchor);
    free(sv);
}

void python_free(struct python *py)
{
    if (!py)
        return;
    struct py_saved *sv, *stmp;
    HASH_ITER(hh, py->saved, sv, stmp)
    {
        HASH_DEL(py->saved, sv);
        saved_free(sv);
    }
    struct py_proc *pp, *tmp;
    HASH_ITER(hh, py->procs, pp, tmp)
    {
        HASH_DEL(py->procs, pp);
        py_proc_free(pp);
    }
    free(py->cur);
    free(py->captured);
    free(py->seen);
    free(py->known);
    for (size_t i = 0; i < py->nprepared; i++)
        free(py->prepared[i].path);
    free(py->prepared);
    free(py->chunkbuf);
    free(py->eval);
    free(py->interp);
    free(py->tramp);
    free(py->plan);
    free(py->liov);
    free(py->riov);
    free(py->sigs);
    free(py->words);
    py_kernel_free(py);
    free(py);
}

static struct py_proc *proc_find(struct python *py, uint32_t pid)
{
    struct py_proc *pp;
    HASH_FIND(hh, py->procs, &pid, sizeof(pid), pp);
    return pp;
}

void python_forget(struct python *py, uint32_t pid)
{
    struct py_proc *pp = proc_find(py, pid);
    if (pp) {
        py_kernel_forget(py, pp);
        HASH_DEL(py->procs, pp);
        py_proc_free(pp);
    }
}

void python_fork(struct python *py, uint32_t ppid, uint32_t pid, bool drained)
{
    struct py_proc *child = proc_find(py, pid);
    if (!drained && child && child->forked) { /* made as the fork was drained */
        child->forked = false;
        return;
    }
    python_forget(py, pid);
    struct py_proc *parent = proc_find(py, ppid);
    if (!drained || !parent || parent->state != PY_FOUND || !parent->kgen)
        return; /* (found at its first sample, as any process) */
    /* the same image: the parent's interpreter, offsets, symbols and
     * thread-local slot; its own code objects and threads */
    child = xcalloc(1, sizeof(*child));
    child->pid = pid;
    child->state = PY_FOUND;
    child->off = parent->off;
    child->version = parent->version;
    child->runtime = parent->runtime;
    child->code_type = parent->code_type;
    child->unicode_type = parent->unicode_type;
    child->bytes_type = parent->bytes_type;
    memcpy(child->eval, parent->eval, sizeof(child->eval));
    child->dso = parent->dso;
    child->pthread_tid_off = parent->pthread_tid_off;
    child->trampolines = parent->trampolines;
    child->tls_slot = parent->tls_slot;
    child->tls_tried = parent->tls_tried;
    child->forked = true;
    child->parent_gen = parent->kgen;
    HASH_ADD(hh, py->procs, pid, sizeof(child->pid), child);
    py_kernel_register(py, child);
}

void python_maps_changed(struct python *py, uint32_t pid)
{
    struct py_proc *pp = proc_find(py, pid);
    if (pp && pp->state == PY_NOT)
        pp->state = PY_UNKNOWN;
}

static struct py_proc *proc_get(struct python *py, uint32_t pid)
{
    struct py_proc *pp = proc_find(py, pid);
    if (!pp) {
        pp = xcalloc(1, sizeof(*pp));
        pp->pid = pid;
        pp->state = PY_UNKNOWN;
        HASH_ADD(hh, py->procs, pid, sizeof(pid), pp);
    }
    if (pp->state == PY_UNKNOWN)
        py_detect(py, pp);
    return pp->state == PY_FOUND ? pp : NULL;
}

void python_attach(struct python *py, uint32_t pid)
{
    proc_get(py, pid);
}

void python_capture(struct python *py, uint32_t pid, uint32_t tid, uint64_t fs_base)
{
    py->captured->tid = 0;
    struct py_proc *pp = proc_get(py, pid);
    if (!pp)
        return;
    py_find_tls_slot(py, pp, tid, fs_base);
    py_read_stack(py, pp, tid, py->captured, NULL, fs_base);
    py->captured_pid = pid;
}

void python_prepare(struct python *py, const char *path)
{
    py_prepare(py, path);
}

/* A sample taken at TIME (CLOCK_MONOTONIC ns, 0: unknown) is too old now
 * for its thread's Python stack to be read for it. */
static bool too_late(uint64_t time)
{
    struct timespec ts;
    if (!time || clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return false;
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return now > time && now - time > PYTHON_MAX_DELAY_NS;
}

/* Samples drained but not yet handed out: at most a few rounds' worth. */
#define MAX_SAVED 65536

void python_drained(struct python *py, uint32_t pid, uint32_t tid, uint64_t time,
                    const uint64_t *regs, const uint8_t *stack, size_t stack_size)
{
    struct py_proc *pp = proc_find(py, pid);
    if (!pp || pp->state != PY_FOUND || py->nsaved >= MAX_SAVED || too_late(time))
        return;
    /* Read at the sample by the kernel: no need, unless the kernel does not
     * know the thread yet (not in the thread list it was given, and no
     * thread-local slot to find it by) */
    if (pp->kgen) {
        struct py_tid *t;
        HASH_FIND(hh, pp->tids, &tid, sizeof(tid), t);
        if (pp->tls_slot || (t && t->tstate))
            return;
    }
    struct py_stack *st = py->cur;
    struct py_snap snap = {regs, stack, stack_size};
    py_read_stack(py, pp, tid, st, &snap, 0);
    struct py_saved *sv = xcalloc(1, sizeof(*sv));
    sv->key.pid = pid;
    sv->key.tid = tid;
    sv->key.time = time;
    sv->valid = st->valid;
    sv->present = st->present;
    sv->nframes = st->nframes;
    sv->nruns = st->nruns;
    sv->frames = xmalloc((st->nframes + 1) * sizeof(*sv->frames));
    memcpy(sv->frames, st->frames, st->nframes * sizeof(*sv->frames));
    sv->runs = xmalloc((st->nruns + 1) * sizeof(*sv->runs));
    memcpy(sv->runs, st->runs, st->nruns * sizeof(*sv->runs));
    sv->anchor = xmalloc((st->nruns + 1) * sizeof(*sv->anchor));
    memcpy(sv->anchor, st->anchor, st->nruns * sizeof(*sv->anchor));
    struct py_saved *old;
    HASH_FIND(hh, py->saved, &sv->key, sizeof(sv->key), old);
    if (old) { /* two samples of one thread at one time: keep the first */
        saved_free(sv);
        return;
    }
    HASH_ADD(hh, py->saved, key, sizeof(sv->key), sv);
    py->nsaved++;
}

/* The stack saved for S when it was drained, into ST; false when none. */
static bool take_saved(struct python *py, const struct py_sample *s, struct py_stack *st)
{
    if (!py->saved)
        return false;
    struct py_saved key, *sv;
    memset(&key, 0, sizeof(key));
    key.key.pid = s->pid;
    key.key.tid = s->tid;
    key.key.time = s->time;
    HASH_FIND(hh, py->saved, &key.key, sizeof(key.key), sv);
    if (!sv)
        return false;
    st->tid = s->tid;
    st->valid = sv->valid;
    st->present = sv->present;
    st->nframes = sv->nframes;
    st->nruns = sv->nruns;
    memcpy(st->frames, sv->frames, sv->nframes * sizeof(*sv->frames));
    memcpy(st->runs, sv->runs, sv->nruns * sizeof(*sv->runs));
    memcpy(st->anchor, sv->anchor, sv->nruns * sizeof(*sv->anchor));
    HASH_DEL(py->saved, sv);
    saved_free(sv);
    py->nsaved--;
    return true;
}

const char *python_label(const struct python *py)
{
    return py->label;
}

bool python_take_notice(struct python *py, char *buf, size_t len)
{
    if (py->notice_next >= py->nnotice)
        return false;
    snprintf(buf, len, "%s", py->notice[py->notice_next++]);
    return true;
}

long python_splice_plan(const bool *eval, const bool *interp, size_t nf, const uint32_t *runs,
                        size_t nruns, bool extra_ok, bool rooted, int32_t *out, size_t cap)
{
    size_t ne = 0;
    for (size_t i = 0; i < nf; i++)
        ne += eval[i];
    /* An eval call in its prologue or epilogue has no run of its own yet:
     * the innermost one may be extra (when the stack was read with the
     * thread stopped: read later, it may as well be a call that has
     * returned since). */
    size_t skip = extra_ok && ne == nruns + 1 ? 1 : 0;
    /* Read exactly (at the sample, or stopped), the thread's own state has
     * these runs, so its C stack has their eval calls: a native stack with
     * fewer was cut short (glibc's clone3 ends the CFI walk of the thread
     * that calls it, as perf's does; a deep import outgrows the stack
     * copy). The outer runs it lacks go above it, outermost first; the
     * stack, whose outermost frame is no entry point, counts as short of a
     * root. A stack with eval calls that does reach a thread's start is
     * not cut: it disagrees. */
    size_t lead = extra_ok && ne < nruns && (ne == 0 || !rooted) ? nruns - ne : 0;
    if (ne + lead != nruns + skip || nruns == 0)
        return -1;
    size_t paired_runs = nruns - lead;
    /* Python frames are numbered innermost first: the paired runs' frames
     * are [0, first), the lacking runs' [first, all). */
    size_t n = 0, first = 0, all = 0;
    for (size_t k = 0; k < nruns; k++) {
        all += runs[k];
        if (k < paired_runs)
            first += runs[k];
    }
    for (size_t j = all; j > first; j--) {
        if (n >= cap)
            return -1;
        out[n++] = -1 - (int32_t)(j - 1);
    }
    /* Walk outermost first: the k-th eval from the outside takes run
     * paired_runs-1-k. A native frame is between Python frames when Python
     * frames lie on both sides of it. */
    size_t seen = 0; /* paired evals passed, from the outside */
    for (size_t i = nf; i > 0; i--) {
        size_t f = i - 1;
        bool paired = eval[f] && seen < paired_runs;
        if (paired) {
            size_t k = paired_runs - 1 - seen;
            first -= runs[k];
            for (uint32_t j = runs[k]; j > 0; j--) {
                if (n >= cap)
                    return -1;
                out[n++] = -1 - (int32_t)(first + j - 1);
            }
            seen++;
            continue;
        }
        bool between = (seen > 0 || (lead && paired_runs)) && seen < paired_runs;
        if (between && interp[f])
            continue;
        if (n >= cap)
            return -1;
        out[n++] = (int32_t)f;
    }
    return (long)n;
}

/* The address native frame I of S is in (a return address is past its call). */
static uint64_t frame_addr(const struct py_sample *s, size_t i)
{
    return s->frames[i].ip - (s->frames[i].exact ? 0 : 1);
}

/* That address is in the eval loop (or its .cold part). */
static bool addr_in_eval(const struct py_proc *pp, uint64_t ip)
{
    return (ip >= pp->eval[0][0] && ip < pp->eval[0][1]) ||
           (ip >= pp->eval[1][0] && ip < pp->eval[1][1]);
}

/* S's native stack runs the eval loop: a Python sample, read or not. */
static bool in_eval(const struct py_proc *pp, const struct py_sample *s)
{
    for (size_t i = 0; i < s->nframes; i++)
        if (addr_in_eval(pp, frame_addr(s, i)))
            return true;
    return false;
}

/* The stack of S spliced into its native frames (ST as read; EXACT: read
 * with the thread where the sample saw it). */
static enum py_result splice_stack(struct python *py, struct py_proc *pp,
                                   const struct py_sample *s, const struct py_stack *st,
                                   bool exact, struct py_item *out, size_t cap, size_t *n)
{
    if (!st->present)
        return PY_NONE;
    if (!st->valid)
        return PY_INCONSISTENT;

    /* Classify the native frames. */
    if (s->nframes + PYTHON_MAX_FRAMES > py->planned) {
        py->planned = s->nframes + PYTHON_MAX_FRAMES;
        py->eval = xrealloc(py->eval, py->planned * sizeof(*py->eval));
        py->interp = xrealloc(py->interp, py->planned * sizeof(*py->interp));
        py->plan = xrealloc(py->plan, py->planned * sizeof(*py->plan));
        py->tramp = xrealloc(py->tramp, py->planned * sizeof(*py->tramp));
    }
    bool *eval = py->eval, *interp = py->interp, *tramp = py->tramp;
    int32_t *plan = py->plan;
    for (size_t i = 0; i < s->nframes; i++) {
        uint64_t ip = frame_addr(s, i);
        eval[i] = addr_in_eval(pp, ip);
        const struct map *m = symbols_find_map(py->sym, s->pid, ip);
        /* A perf trampoline (python -X perf) is the interpreter's too, and
         * goes wherever Python frames are shown. */
        uint64_t ts;
        const uint8_t *tc;
        size_t tl;
        tramp[i] = m && m->kind == MAPPING_ANON &&
                   symbols_unwind_code(py->sym, s->pid, s->frames[i].ip, !s->frames[i].exact,
                                       &ts, &tc, &tl) == 0;
        pp->trampolines = pp->trampolines || tramp[i];
        interp[i] = m && (m->dso == pp->dso || tramp[i]);
        /* A builtin that calls back into Python (sorted() with a key,
         * map()) says how: it stays, where the interpreter has its name. */
        if (interp[i] && !eval[i] &&
            strncmp(symbols_user(py->sym, s->pid, s->frames[i].ip, !s->frames[i].exact)->name,
                    "builtin_", 8) == 0)
            interp[i] = false;
    }
    bool rooted = s->nframes > 0 &&
                  symbols_user(py->sym, s->pid, s->frames[s->nframes - 1].ip,
                               !s->frames[s->nframes - 1].exact)->entry;
    long np = python_splice_plan(eval, interp, s->nframes, st->runs, st->nruns, exact, rooted,
                                 plan, py->planned);
    if (np < 0 || (size_t)np > cap)
        return PY_INCONSISTENT;
    size_t w = 0;
    for (long i = 0; i < np; i++) {
        if (plan[i] >= 0) {
            if (!tramp[plan[i]])
                out[w++] = (struct py_item){plan[i], NULL};
            continue;
        }
        struct py_name *nm = py_frame_name(py, pp, &st->frames[-1 - plan[i]]);
        if (!nm)
            return PY_INCONSISTENT;
        out[w++] = (struct py_item){-1, nm};
    }
    *n = w;
    return PY_SPLICED;
}

enum py_result python_splice(struct python *py, const struct py_sample *s, struct py_item *out,
                             size_t cap, size_t *n)
{
    struct py_proc *pp = proc_get(py, s->pid);
    if (!pp)
        return PY_NONE;
    struct py_stack *st = py->cur;
    uint64_t *count = &py->kst.after;
    enum py_result res;
    bool exact = py->captured->tid == s->tid && py->captured_pid == s->pid;
    py->captured->tid = 0; /* taken by this sample or by none */
    if (exact) {
        st = py->captured;
        count = &py->kst.stopped;
        res = splice_stack(py, pp, s, st, true, out, cap, n);
    } else {
        enum py_kernel_take k = py_kernel_take(py, pp, s, st);
        if (k != PYK_NONE) {
            count = &py->kst.at_sample;
            res = k == PYK_BAD ? PY_INCONSISTENT : splice_stack(py, pp, s, st, true, out, cap, n);
        } else if (take_saved(py, s, st)) {
            res = splice_stack(py, pp, s, st, false, out, cap, n);
        } else if (too_late(s->time)) {
            res = in_eval(pp, s) ? PY_INCONSISTENT : PY_NONE;
        } else {
            struct py_snap snap = {s->regs, s->stack, s->stack_size};
            py_read_stack(py, pp, s->tid, st, &snap, 0);
            res = splice_stack(py, pp, s, st, false, out, cap, n);
        }
    }
    if (res != PY_NONE)
        (*count)++;
    return res;
}
