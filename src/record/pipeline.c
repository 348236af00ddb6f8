/*
 * pipeline: one sample, down the stages. A sample comes from a sampler
 * (perf.c or ptrace.c) with its registers and a copy of its stack; it is
 * unwound (DWARF, or the frame-pointer chain the kernel walked), the
 * Python frames of its thread are spliced in (src/python), each frame is
 * symbolised, and the stack goes to the call tree, under its task's root
 * frame. Side-band records (mmap, comm, fork, exit) keep the task table and
 * the address spaces current, in time order with the samples.
 *
 * Live, stacks are buffered until the next refresh, so that the viewer
 * looks at a tree that does not change under it.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/clock.h"
#include "tprof/filter.h"
#include "tprof/pipeline.h"
#include "tprof/timeline.h"
#include "tprof/profile.h"
#include "tprof/cputime.h"
#include "tprof/pybpf.h"
#include "tprof/thread.h"
#include "tprof/python.h"
#include "tprof/srcinfo.h"
#include "tprof/symbols.h"
#include "tprof/unwind.h"
#include "tprof/xalloc.h"

/* Kernel frames kept per sample (perf's sample_max_stack is at most 127). */
#define MAX_KERNEL_FRAMES 128
/* Inlined-function frames per stack beyond its native frames: past them, a
 * frame is its function alone. */
#define INLINE_ROOM 512

struct task {
    UT_hash_handle hh;
    uint32_t tid;
    uint32_t pid;
    char comm[32];
    uint32_t root;    /* frame id of this task's root frame, PROFILE_NONE: stale */
    double maps_at;   /* ptrace: when /proc/PID/maps may be re-read again (leader) */
    double maps_wait; /* and the wait after that (so it was read at maps_at - maps_wait) */
    uint64_t samples; /* weight of its samples */
};

struct pending {
    size_t off;
    uint32_t len;
    uint32_t weight;
};

struct pipeline {
    struct pipeline_config cfg;
    struct profile *prof;
    struct symbols *sym;
    struct unwind *unw;
    struct python *py; /* NULL with --python=off */
    struct pybpf *bpf; /* the kernel program reading Python frames, or NULL */
    struct bpf_job *bjob; /* loading it, in a thread */
    uint64_t kdrain_at; /* when its ring was last drained */
    struct task *tasks;
    char default_comm[32];
    struct pipeline_stats st;
    bool reload_maps;
    struct unwind_frame *frames; /* cfg.max_depth */
    struct py_item *items;       /* the spliced stack: cfg.max_depth + Python frames */
    size_t items_cap;
    uint32_t *stack;             /* root, [truncated], user and kernel frames */
    size_t stack_cap;
    uint32_t truncated_frame;    /* the [truncated] frame's id, or PROFILE_NONE */
    bool buffering;
    bool twins; /* a late name made a frame twice (pipeline_has_twins) */
    VEC(uint32_t) pend_frames;
    VEC(struct pending) pend;
    struct timeline *tl; /* live: when samples came (NULL: not kept) */
    double tl_t0;        /* the run's start, CLOCK_MONOTONIC seconds */
    struct cputime *cpu; /* the CPU time the samples are measured against */
    uint64_t sampled_ns; /* the CPU time they stand for */
    uint64_t unsampled;  /* threads and processes that ended with no sample */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pipeline_set_timeline(struct pipeline *p, struct timeline *tl)
{
    p->tl = tl;
    p->tl_t0 = mono_now();
}

/* Add a stack to the profile, and to the timeline when kept. */
static void add_stack(struct pipeline *p, const uint32_t *stack, size_t n, double weight)
{
    uint32_t leaf = profile_add_stack(p->prof, stack, n, weight);
    if (p->tl) {
        double t = mono_now() - p->tl_t0;
        timeline_add(p->tl, t > 0 ? (uint32_t)t : 0, leaf, weight);
    }
}

struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct profile *prof)
{
    struct pipeline *p = xcalloc(1, sizeof(*p));
    p->cfg = *cfg;
    p->prof = prof;
    struct symbols_opts so = {
        .jit_any_owner = cfg->jit_any_owner, .inlined = cfg->inlined, .lines = cfg->lines};
    p->sym = symbols_new(&so);
    p->unw = unwind_new(symbols_unwind_find, p->sym);
    unwind_set_prepare(p->unw, symbols_unwind_prepare);
    unwind_set_code(p->unw, symbols_unwind_code);
    if (cfg->python) {
        struct python_config pc = {.lines = cfg->python_lines};
        p->py = python_new(&pc, p->sym);
    }
    p->frames = xcalloc(cfg->max_depth, sizeof(*p->frames));
    p->items_cap = (size_t)cfg->max_depth + PYTHON_MAX_FRAMES;
    p->items = xcalloc(p->items_cap, sizeof(*p->items));
    /* (and room for inlined functions: INLINE_ROOM of them per stack) */
    p->stack_cap = p->items_cap + MAX_KERNEL_FRAMES + 3 + INLINE_ROOM;
    p->stack = xcalloc(p->stack_cap, sizeof(*p->stack));
    p->truncated_frame = PROFILE_NONE;
    p->cpu = cputime_new();
    return p;
}

void pipeline_load_soon(struct pipeline *p, bool kernel)
{
    if (kernel)
        symbols_kernel_soon(p->sym);
}

void pipeline_prepare(struct pipeline *p, const char *python_exe, bool first_samples)
{
    setup_begin();
    if (p->py && python_exe)
        python_prepare(p->py, python_exe);
    if (first_samples) {
        /* (the kernel's symbols: read in their thread since sampling
         * started, waited for here, else the first kernel frame would
         * hold the first samples up for tens of ms) */
        symbols_kernel_wait(p->sym);
        Dl_info libc; /* (tprof's own: the same file) */
        if (dladdr((void *)getpid, &libc) && libc.dli_fname && libc.dli_fname[0] == '/')
            symbols_preload_dwarf(p->sym, libc.dli_fname);
        if (python_exe)
            symbols_preload_dwarf(p->sym, python_exe);
    }
    setup_end();
}

static struct pybpf *bpf_job_take(struct pipeline *p, char *err, size_t errlen);

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    struct task *t, *tmp;
    HASH_ITER(hh, p->tasks, t, tmp)
    {
        HASH_DEL(p->tasks, t);
        free(t);
    }
    python_free(p->py);
    if (p->bjob)
        pybpf_close(bpf_job_take(p, NULL, 0));
    pybpf_close(p->bpf);
    cputime_free(p->cpu);
    unwind_free(p->unw);
    symbols_free(p->sym);
    free(p->frames);
    free(p->items);
    free(p->stack);
    VEC_FREE(p->pend_frames);
    VEC_FREE(p->pend);
    free(p);
}

void pipeline_set_buffering(struct pipeline *p, bool on)
{
    p->buffering = on;
}

/* Frames named late (a runtime's buffered jitdump) take their names. */
static bool take_renamed(struct pipeline *p)
{
    bool any = false;
    struct symref *r;
    while ((r = symbols_take_renamed(p->sym))) {
        if (r->cookie == UINT32_MAX)
            continue; /* (no frame made yet: it will be made with the name) */
        if (frames_rename(profile_frames(p->prof), r->cookie, r->name))
            p->twins = true;
        any = true;
    }
    return any;
}

bool pipeline_flush(struct pipeline *p)
{
    symbols_resolve_pending(p->sym);
    bool any = take_renamed(p) || p->pend.n > 0;
    for (size_t i = 0; i < p->pend.n; i++)
        add_stack(p, p->pend_frames.v + p->pend.v[i].off, p->pend.v[i].len,
                  p->pend.v[i].weight);
    p->pend.n = 0;
    p->pend_frames.n = 0;
    return any;
}

/* A sample of WEIGHT went through code of MODULE, which has no symbols. */
static void count_nosym(struct pipeline_stats *st, const char *module, uint64_t weight)
{
    st->nosym += weight;
    size_t n = sizeof(st->nosym_by) / sizeof(st->nosym_by[0]);
    for (size_t i = 0; i < n; i++)
        if (!st->nosym_by[i].module[0] || strcmp(st->nosym_by[i].module, module) == 0) {
            snprintf(st->nosym_by[i].module, sizeof(st->nosym_by[i].module), "%s", module);
            st->nosym_by[i].samples += weight;
            return;
        }
}

void pipeline_nosym_text(const struct pipeline_stats *st, bool debuginfod, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!st->samples || st->nosym * 100 < st->samples)
        return;
    size_t k = (size_t)snprintf(buf, len, ", %.1f%% of samples through code without symbols (",
                                100.0 * (double)st->nosym / (double)st->samples);
    size_t n = sizeof(st->nosym_by) / sizeof(st->nosym_by[0]), best = 0;
    for (size_t i = 1; i < n; i++)
        if (st->nosym_by[i].samples > st->nosym_by[best].samples)
            best = i;
    if (k < len && st->nosym_by[best].module[0])
        k += (size_t)snprintf(buf + k, len - k, "most in %s, %.1f%%: ", st->nosym_by[best].module,
                              100.0 * (double)st->nosym_by[best].samples / (double)st->samples);
    if (k < len)
        snprintf(buf + k, len - k, "%s)",
                 debuginfod ? "debuginfod had no debug file for them either; a debug package "
                              "(Debian: the library's -dbgsym or -dbg) names them"
                            : "their debug files name them: Debian's -dbgsym or -dbg packages, "
                              "or DEBUGINFOD_URLS=https://debuginfod.debian.net");
}

const char *pipeline_jit_hint(const char *comm)
{
    static const struct {
        const char *prefix, *hint;
    } runtimes[] = {
        {"node", "node: add --perf-basic-prof, or --perf-prof for a jitdump"},
        {"python", "python 3.12+: add -X perf, or -X perf_jit on 3.13"},
        {"beam", "erlang: add +JPperf true"},
        {"erl", "erlang: add +JPperf true"},
        {"java", "java: add -XX:+PreserveFramePointer and a perf-map agent"},
        {"dotnet", "dotnet: set DOTNET_PerfMapEnabled=1"},
    };
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
        if (strncmp(comm, runtimes[i].prefix, strlen(runtimes[i].prefix)) == 0)
            return runtimes[i].hint;
    return "the runtime must write /tmp/perf-PID.map or a jitdump";
}

bool pipeline_has_twins(const struct pipeline *p)
{
    return p->twins;
}

void pipeline_set_reload_maps(struct pipeline *p, bool on)
{
    p->reload_maps = on;
}

struct symbols *pipeline_symbols(struct pipeline *p)
{
    return p->sym;
}

const struct pipeline_stats *pipeline_get_stats(const struct pipeline *p)
{
    return &p->st;
}

void pipeline_cpu_track(struct pipeline *p, pid_t pid, bool from_now)
{
    cputime_track(p->cpu, pid, from_now);
}

void pipeline_cpu_poll(struct pipeline *p)
{
    cputime_poll(p->cpu);
}

void pipeline_cpu_final(struct pipeline *p, pid_t pid, double total_s)
{
    cputime_final(p->cpu, pid, total_s);
}

/* Below this much CPU a share says little: /proc counts in 10 ms ticks. */
#define COVERAGE_MIN_CPU_S 0.1
#define COVERAGE_LOW 0.9

void pipeline_get_coverage(const struct pipeline *p, struct pipeline_coverage *c)
{
    c->sampled_s = (double)p->sampled_ns / 1e9;
    c->cpu_s = cputime_used(p->cpu);
    c->share = c->cpu_s >= COVERAGE_MIN_CPU_S ? c->sampled_s / c->cpu_s : -1;
    c->unsampled = p->unsampled;
}

void pipeline_coverage_text(const struct pipeline *p, uint64_t lost, enum coverage_how how,
                            char *buf, size_t len)
{
    struct pipeline_coverage c;
    pipeline_get_coverage(p, &c);
    if (c.share < 0) {
        snprintf(buf, len, ", %.2f s CPU (too little to measure coverage)", c.cpu_s);
        return;
    }
    int k = snprintf(buf, len, ", samples cover %.0f%% of %.2f s CPU", 100 * c.share, c.cpu_s);
    size_t at = k < 0 ? 0 : (size_t)k < len ? (size_t)k : len;
    if (c.share >= COVERAGE_LOW || at >= len)
        return;
    const char *sep = ": ";
    if (lost) {
        k = snprintf(buf + at, len - at, "%s%" PRIu64 " samples lost", sep, lost);
        at += k > 0 && (size_t)k < len - at ? (size_t)k : 0;
        sep = "; ";
    }
    const char *help = how == COVER_PER_TASK_ASKED ? "without --per-task, tprof samples per "
                                                     "CPU and catches them"
                       : how == COVER_PER_TASK ? "sampling per CPU catches them; it needs "
                                                 "root, CAP_PERFMON or "
                                                 "kernel.perf_event_paranoid <= 0"
                                               : NULL;
    if (c.unsampled && help)
        snprintf(buf + at, len - at,
                 "%s%" PRIu64 " threads ended before their first sample (shorter than the "
                 "%.1f ms period: %s)",
                 sep, c.unsampled, (double)p->cfg.period_ns / 1e6, help);
    else if (!lost)
        snprintf(buf + at, len - at, "%sthe rest went unsampled (CPU used by threads "
                                     "between their samples, or by processes tprof did "
                                     "not see)", sep);
}

bool pipeline_take_notice(struct pipeline *p, char *buf, size_t len)
{
    if (p->py && python_take_notice(p->py, buf, len))
        return true;
    return symbols_take_warning(p->sym, buf, len);
}

const char *pipeline_python_label(const struct pipeline *p)
{
    return p->py ? python_label(p->py) : "";
}

/* ----- how Python frames are read ----- */

static int k_set_proc(void *arg, uint32_t pid, const struct pyframes_proc *cfg)
{
    return pybpf_set_proc(arg, pid, cfg);
}

static void k_forget_proc(void *arg, uint32_t pid)
{
    pybpf_forget_proc(arg, pid);
}

static int k_set_thread(void *arg, uint32_t tid, uint64_t tstate)
{
    return pybpf_set_thread(arg, tid, tstate);
}

static void k_forget_thread(void *arg, uint32_t tid)
{
    pybpf_forget_thread(arg, tid);
}

static void k_record(void *arg, const void *rec, size_t len)
{
    struct pipeline *p = arg;
    python_kernel_record(p->py, rec, len);
}

/* perf_set_after_drain's function: the kernel program's records of the
 * samples just drained. */
static void k_drain(void *arg)
{
    struct pipeline *p = arg;
    p->kdrain_at = now_ns();
    pybpf_drain(p->bpf, k_record, p);
}

/* Between samples too, when the last drain is 0.5 ms old: the first
 * samples of a program cost milliseconds each (symbol tables, DWARF read
 * for the first time), and a record's code objects must be named soon
 * after its sample (an import's are freed within milliseconds). */
#define KDRAIN_NS 500000

static void k_drain_soon(struct pipeline *p)
{
    if (p->bpf && now_ns() - p->kdrain_at > KDRAIN_NS)
        k_drain(p);
}

/* The kernel program loaded in a thread of its own: the verifier takes
 * 30-50 ms of CPU, which tprof's start spends beside the rest. */
struct bpf_job {
    pthread_t thread;
    bool running;
    bool done; /* (atomic: the thread has finished) */
    struct pybpf *b;
    char err[400];
    int errnum;
    double cpu;
};

static void *bpf_job_run(void *arg)
{
    struct bpf_job *j = arg;
    double t0 = thread_cpu_s();
    j->b = pybpf_open(j->err, sizeof(j->err), &j->errnum);
    j->cpu = thread_cpu_s() - t0;
    __atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
    return NULL;
}

bool pipeline_kernel_program_ready(const struct pipeline *p)
{
    return !p->bjob || !p->bjob->running || __atomic_load_n(&p->bjob->done, __ATOMIC_ACQUIRE);
}

void pipeline_kernel_program_soon(struct pipeline *p)
{
    if (p->bpf || p->bjob)
        return;
    p->bjob = xcalloc(1, sizeof(*p->bjob));
    p->bjob->running = thread_spawn(&p->bjob->thread, bpf_job_run, p->bjob);
}

/* The program the thread loaded (NULL with ERR), the thread gone. */
static struct pybpf *bpf_job_take(struct pipeline *p, char *err, size_t errlen)
{
    struct bpf_job *j = p->bjob;
    p->bjob = NULL;
    if (j->running)
        pthread_join(j->thread, NULL);
    else /* (no thread could be made: here) */
        bpf_job_run(j);
    setup_add(j->cpu);
    struct pybpf *b = j->b;
    if (!b && err)
        snprintf(err, errlen, "%s", j->err);
    free(j);
    return b;
}

/* The kernel program loaded and attached to every event of PS, once. */
static int bpf_load(struct pipeline *p, struct perf_session *ps, char *err, size_t errlen)
{
    if (p->bpf)
        return 0;
    if (!p->bjob)
        pipeline_kernel_program_soon(p);
    struct pybpf *b = bpf_job_take(p, err, errlen);
    if (!b)
        return -1;
    int fds[4096];
    size_t n = perf_event_fds(ps, fds, sizeof(fds) / sizeof(fds[0]));
    if (n > sizeof(fds) / sizeof(fds[0])) {
        snprintf(err, errlen, "%zu perf events: too many to attach the kernel program to", n);
        pybpf_close(b);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (pybpf_attach(b, fds[i], err, errlen) < 0) {
            pybpf_close(b);
            return -1;
        }
    p->bpf = b;
    return 0;
}

int pipeline_filter_in_kernel(struct pipeline *p, struct perf_session *ps, const pid_t *pids,
                              size_t npids, char *err, size_t errlen)
{
    if (bpf_load(p, ps, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < npids; i++)
        if (pybpf_target(p->bpf, (uint32_t)pids[i]) < 0) {
            snprintf(err, errlen, "cannot add process %d to the kernel program's filter: %s",
                     (int)pids[i], strerror(errno));
            return -1;
        }
    return pybpf_filter(p->bpf, err, errlen);
}

int pipeline_python_in_kernel(struct pipeline *p, struct perf_session *ps, char *err,
                              size_t errlen)
{
    if (!p->py) {
        snprintf(err, errlen, "Python frames are off");
        return -1;
    }
    if (bpf_load(p, ps, err, errlen) < 0)
        return -1;
    struct pybpf *b = p->bpf;
    struct python_kernel k = {b, k_set_proc, k_forget_proc, k_set_thread, k_forget_thread};
    python_set_read(p->py, PYTHON_READ_KERNEL, &k, NULL);
    perf_set_after_drain(ps, k_drain, p);
    return 0;
}

void pipeline_python_after(struct pipeline *p, const char *why)
{
    if (p->py)
        python_set_read(p->py, PYTHON_READ_AFTER, NULL, why);
}

void pipeline_python_pending(struct pipeline *p)
{
    if (p->py)
        python_set_read(p->py, PYTHON_READ_PENDING, NULL, NULL);
}

void pipeline_python_stopped(struct pipeline *p)
{
    if (p->py)
        python_set_read(p->py, PYTHON_READ_STOPPED, NULL, NULL);
}

void pipeline_python_attach(struct pipeline *p, uint32_t pid)
{
    if (p->py)
        python_attach(p->py, pid);
}

const struct python_stats *pipeline_python_stats(const struct pipeline *p)
{
    return p->py ? python_get_stats(p->py) : NULL;
}

uint64_t pipeline_python_prompt_until(const struct pipeline *p)
{
    return p->py ? python_prompt_until(p->py) : 0;
}

bool pipeline_kernel_stats(const struct pipeline *p, struct pybpf_stats *st)
{
    if (!p->bpf)
        return false;
    pybpf_get_stats(p->bpf, st);
    return true;
}

/* ----- attaching ----- */

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

int pipeline_attach(struct pipeline *p, const pid_t *pids, size_t npids, pid_t **tids,
                    size_t *ntids, char *err, size_t errlen)
{
    VEC(pid_t) found = {0};
    *tids = NULL;
    *ntids = 0;
    for (size_t i = 0; i < npids; i++) {
        pid_t pid = pids[i];
        char path[64], comm[16];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *d = opendir(path);
        if (!d) {
            if (errno == ENOENT)
                snprintf(err, errlen, "no process %d", (int)pid);
            else
                snprintf(err, errlen, "cannot read /proc/%d: %s", (int)pid, strerror(errno));
            VEC_FREE(found);
            return -1;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            pid_t tid = (pid_t)atoi(e->d_name);
            VEC_PUSH(found, tid);
            snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
            if (read_small(path, comm, sizeof(comm)) == 0) {
                pipeline_set_comm(p, (uint32_t)pid, (uint32_t)tid, comm);
            }
        }
        closedir(d);
        if (symbols_load_proc_maps(p->sym, (uint32_t)pid, err, errlen) < 0) {
            VEC_FREE(found);
            return -1;
        }
        if (i == 0) {
            snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
            if (read_small(path, comm, sizeof(comm)) == 0)
                pipeline_set_default_comm(p, comm);
        }
    }
    *tids = found.v;
    *ntids = found.n;
    return 0;
}

/* ----- tasks and their names ----- */

static struct task *task_get(struct pipeline *p, uint32_t pid, uint32_t tid)
{
    struct task *t;
    HASH_FIND(hh, p->tasks, &tid, sizeof(tid), t);
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        t->tid = tid;
        t->pid = pid;
        snprintf(t->comm, sizeof(t->comm), "%s", p->default_comm);
        t->root = PROFILE_NONE;
        HASH_ADD(hh, p->tasks, tid, sizeof(tid), t);
    }
    return t;
}

void pipeline_set_default_comm(struct pipeline *p, const char *comm)
{
    snprintf(p->default_comm, 16, "%s", comm);
}

const char *pipeline_default_comm(const struct pipeline *p)
{
    return p->default_comm;
}

void pipeline_set_comm(struct pipeline *p, uint32_t pid, uint32_t tid, const char *comm)
{
    struct task *t = task_get(p, pid, tid);
    snprintf(t->comm, sizeof(t->comm), "%s", comm);
    t->root = PROFILE_NONE;
}

static uint32_t task_root(struct pipeline *p, struct task *t)
{
    if (t->root == PROFILE_NONE) {
        /* Always one root per thread: the views merge them up (by program,
         * per process) as --threads, --pid-roots and t ask, and pprof
         * keeps them as labels. */
        char buf[96];
        snprintf(buf, sizeof(buf), "%s-%" PRIu32 "/%" PRIu32, t->comm, t->pid, t->tid);
        t->root = frames_intern(profile_frames(p->prof), buf, strlen(buf), FRAME_ROOT, "");
    }
    return t->root;
}

/* ----- samples ----- */

static uint32_t frame_of(struct pipeline *p, struct symref *s)
{
    if (s->cookie == UINT32_MAX) {
        enum frame_kind k = s->kind == SYM_KERNEL   ? FRAME_KERNEL
                            : s->kind == SYM_JIT    ? FRAME_JIT
                            : s->kind == SYM_INLINE ? FRAME_INLINE
                                                    : FRAME_USER;
        s->cookie = frames_intern(profile_frames(p->prof), s->name, strlen(s->name), k, s->module);
    }
    return s->cookie;
}

static uint32_t python_frame_of(struct pipeline *p, struct py_name *n)
{
    if (n->cookie == UINT32_MAX) {
        char f[1024];
        const char *name = n->name;
        if (p->cfg.python_by_function &&
            filter_pyfunc_name(n->name, p->cfg.python_by_function == 2, f, sizeof(f)))
            name = f;
        n->cookie = frames_intern(profile_frames(p->prof), name, strlen(name), FRAME_PYTHON, "");
    }
    return n->cookie;
}

/* ptrace sampling sees no mmap records: when a walk met an address outside
 * every known mapping (libc before ld.so had mapped it at exec, dlopen, a
 * JIT), re-read /proc/PID/maps. A re-read that did not help makes the next
 * wait twice as long (10 ms to 1 s): an address no mapping will ever hold
 * (a wrong unwind) must not cost a read per sample. The leaf's address comes
 * from the registers, not from an unwind: the program runs there, so its
 * miss is re-read at most every 10 ms whatever the wait (else a library
 * dlopened after a run of wrong unwinds went unnamed for up to a second).
 * True when it was re-read and now knows the address. */
static bool maps_missed(struct pipeline *p, uint32_t pid, const struct unwind_frame *f, size_t n)
{
    if (!p->reload_maps)
        return false;
    size_t i = 0;
    while (i < n && symbols_find_code(p->sym, pid, f[i].ip))
        i++;
    if (i == n)
        return false;
    uint64_t ip = f[i].ip;
    struct task *leader = task_get(p, pid, pid);
    double now = now_s();
    bool ran_there = i == 0 && f[i].exact;
    if (now < (ran_there ? leader->maps_at - leader->maps_wait + 0.01 : leader->maps_at))
        return false;
    char err[256];
    bool found = symbols_load_proc_maps(p->sym, pid, err, sizeof(err)) == 0 &&
                 symbols_find_code(p->sym, pid, ip);
    if (p->py)
        python_maps_changed(p->py, pid);
    if (found || leader->maps_wait < 0.01)
        leader->maps_wait = 0.01;
    else if (leader->maps_wait < 1.0 && !ran_there)
        leader->maps_wait *= 2;
    leader->maps_at = now + leader->maps_wait;
    return found;
}

/* Stage 1: the native frames, leaf first, into p->frames. */
static size_t unwind_stage(struct pipeline *p, const struct perf_sample *s, bool *deeper)
{
    size_t nf = 0, max = p->cfg.max_depth;
    if (p->cfg.callgraph == PERF_CG_DWARF) {
        enum unwind_end end;
        struct unwind_sample us = {s->pid, s->regs, s->stack, (size_t)s->stack_size};
        nf = unwind_sample(p->unw, &us, p->frames, max, &end);
        if (maps_missed(p, s->pid, p->frames, nf))
            nf = unwind_sample(p->unw, &us, p->frames, max, &end);
        *deeper = end == UNWIND_DEPTH;
    } else {
        for (uint64_t i = 0; i < s->nr_user_ips && nf < max; i++) {
            p->frames[nf].ip = s->user_ips[i];
            p->frames[nf].exact = i == 0;
            nf++;
        }
        *deeper = s->nr_user_ips > max;
        maps_missed(p, s->pid, p->frames, nf);
    }
    return nf;
}

/* Stage 2: the frames to show, outermost first, into p->items: the native
 * ones, with the Python frames of the thread spliced in. */
static size_t splice_stage(struct pipeline *p, const struct perf_sample *s, uint64_t time,
                           size_t nf, bool deeper)
{
    if (p->py && !deeper) {
        struct py_sample ps = {s->pid, s->tid, p->frames, nf, s->regs, s->stack,
                               (size_t)s->stack_size, time};
        size_t n;
        enum py_result res = python_splice(p->py, &ps, p->items, p->items_cap, &n);
        if (res != PY_NONE)
            p->st.py_samples += s->weight;
        if (res == PY_INCONSISTENT)
            p->st.py_inconsistent += s->weight;
        if (res == PY_SPLICED)
            return n;
    }
    for (size_t i = 0; i < nf; i++)
        p->items[i] = (struct py_item){(int32_t)(nf - 1 - i), NULL};
    return nf;
}

static void on_sample(struct pipeline *p, const struct perf_sample *s, uint64_t time)
{
    struct task *t = task_get(p, s->pid, s->tid);
    t->samples += s->weight;
    /* the CPU time it stands for: perf's period (cpu-clock counts
     * nanoseconds), or the ptrace sampler's ticks */
    p->sampled_ns += s->period > 1 ? s->period * s->weight : s->weight * p->cfg.period_ns;
    if (!cputime_tracked(p->cpu, (pid_t)s->pid)) /* (known only from now) */
        cputime_track(p->cpu, (pid_t)s->pid, true);
    size_t n = 0;
    p->stack[n++] = task_root(p, t);

    bool deeper = false; /* frames beyond --max-depth were left out */
    size_t nf = unwind_stage(p, s, &deeper);
    size_t ni = splice_stage(p, s, time, nf, deeper);

    /* Complete when the outermost frame is where a process or thread
     * starts, however the walk ended: libunwind also ends walks early
     * (code with no CFI, a JIT), and such a stack is short of its root. A
     * stack cut at --max-depth keeps its innermost frames under a
     * [truncated] frame, and is counted apart. */
    bool complete = false;
    /* (nothing to unwind: a task with no user memory, one exiting after it
     * let go of it, has no user stack, and its kernel stack is whole) */
    if (ni == 0 && s->kernel_mode && !s->regs && s->nr_kernel_ips > 0)
        complete = true;
    if (deeper) {
        if (p->truncated_frame == PROFILE_NONE)
            p->truncated_frame = frames_intern(profile_frames(p->prof), "[truncated]", 11,
                                               FRAME_USER, "");
        p->stack[n++] = p->truncated_frame;
    }
    /* Stage 3: symbolise. */
    uint64_t unnamed = symbols_jit_unnamed(p->sym);
    const char *nosym = NULL; /* the module of the innermost frame with no symbol */
    for (size_t i = 0; i < ni; i++) {
        const struct py_item *it = &p->items[i];
        if (it->py) {
            p->stack[n++] = python_frame_of(p, it->py);
            continue;
        }
        const struct unwind_frame *f = &p->frames[it->native];
        /* (a frame's first lookup may read a unit of DWARF: milliseconds) */
        k_drain_soon(p);
        /* the function and what is inlined there, within the room left
         * by the frames still to come (always 1 or more: INLINE_ROOM) */
        struct symref *chain[SRCINFO_MAX];
        size_t room = p->stack_cap - n - (ni - i - 1) - MAX_KERNEL_FRAMES - 1;
        size_t nc = symbols_user_frames(p->sym, s->pid, f->ip, !f->exact, chain,
                                        room < SRCINFO_MAX ? room : SRCINFO_MAX);
        if (i == 0)
            complete = chain[0]->entry;
        for (size_t k = 0; k < nc; k++) {
            if (chain[k]->nosym)
                nosym = chain[k]->module;
            p->stack[n++] = frame_of(p, chain[k]);
        }
    }
    /* Kernel part (leaf first from the kernel), outermost first. */
    uint64_t nk = s->nr_kernel_ips < MAX_KERNEL_FRAMES ? s->nr_kernel_ips : MAX_KERNEL_FRAMES;
    for (uint64_t i = nk; i > 0; i--)
        p->stack[n++] = frame_of(p, symbols_kernel(p->sym, s->kernel_ips[i - 1]));
    if (s->kernel_mode && s->nr_kernel_ips == 0)
        p->stack[n++] = frame_of(p, symbols_kernel(p->sym, s->ip));

    if (nosym)
        count_nosym(&p->st, nosym, s->weight);
    if (symbols_jit_unnamed(p->sym) != unnamed) {
        if (!p->st.jit_unnamed) {
            /* (the process's name: a runtime's threads have their own,
             * such as Erlang's 1_scheduler in beam.smp) */
            struct task *leader;
            HASH_FIND(hh, p->tasks, &s->pid, sizeof(s->pid), leader);
            snprintf(p->st.jit_comm, sizeof(p->st.jit_comm), "%s",
                     leader ? leader->comm : t->comm);
        }
        p->st.jit_unnamed += s->weight;
    }

    /* Stage 4: aggregate. */
    p->st.samples += s->weight;
    if (deeper)
        p->st.cut += s->weight;
    else if (!complete)
        p->st.truncated += s->weight;
    if (p->buffering) {
        struct pending pd = {p->pend_frames.n, (uint32_t)n, s->weight};
        VEC_RESERVE(p->pend_frames, p->pend_frames.n + n);
        memcpy(p->pend_frames.v + p->pend_frames.n, p->stack, n * sizeof(uint32_t));
        p->pend_frames.n += n;
        VEC_PUSH(p->pend, pd);
    } else {
        add_stack(p, p->stack, n, s->weight);
    }
}

void pipeline_stopped(void *arg, uint32_t pid, uint32_t tid, uint64_t fs_base)
{
    struct pipeline *p = arg;
    if (p->py)
        python_capture(p->py, pid, tid, fs_base);
}

void pipeline_drained(void *arg, const struct perf_ev *ev)
{
    struct pipeline *p = arg;
    /* a Python process forked: the child is Python too, from now on */
    if (p->py && ev->type == PERF_EV_FORK && ev->u.task.pid != ev->u.task.ppid)
        python_fork(p->py, ev->u.task.ppid, ev->u.task.pid, true);
    if (p->py && ev->type == PERF_EV_SAMPLE)
        python_drained(p->py, ev->u.sample.pid, ev->u.sample.tid, ev->time, ev->u.sample.regs,
                       ev->u.sample.stack, (size_t)ev->u.sample.stack_size);
}

void pipeline_event(void *arg, const struct perf_ev *ev)
{
    struct pipeline *p = arg;
    switch (ev->type) {
    case PERF_EV_SAMPLE:
        k_drain_soon(p);
        on_sample(p, &ev->u.sample, ev->time);
        break;
    case PERF_EV_MMAP: {
        const struct perf_mmap *m = &ev->u.mmap;
        symbols_mmap(p->sym, m->pid, m->addr, m->len, m->pgoff, m->prot, m->filename,
                     m->build_id, m->build_id_size);
        if (p->py)
            python_maps_changed(p->py, m->pid);
        break;
    }
    case PERF_EV_COMM: {
        const struct perf_comm *c = &ev->u.comm;
        if (c->exec) {
            /* A new program in this process: new address space, new CFI. */
            symbols_exec(p->sym, c->pid);
            take_renamed(p);
            unwind_flush(p->unw, c->pid);
            if (p->py)
                python_forget(p->py, c->pid);
        }
        pipeline_set_comm(p, c->pid, c->tid, c->comm);
        break;
    }
    case PERF_EV_FORK: {
        const struct perf_task *k = &ev->u.task;
        struct task *parent = task_get(p, k->ppid, k->ptid);
        struct task *t = task_get(p, k->pid, k->tid);
        snprintf(t->comm, sizeof(t->comm), "%s", parent->comm);
        t->pid = k->pid;
        t->root = PROFILE_NONE;
        if (k->pid != k->ppid) { /* a process, not a thread: copy the address space */
            cputime_track(p->cpu, (pid_t)k->pid, false);
            symbols_fork(p->sym, k->ppid, k->pid);
            if (p->py)
                python_fork(p->py, k->ppid, k->pid, false);
        }
        break;
    }
    case PERF_EV_EXIT: {
        const struct perf_task *k = &ev->u.task;
        struct task *t;
        HASH_FIND(hh, p->tasks, &k->tid, sizeof(k->tid), t);
        if (!t || t->samples == 0)
            p->unsampled++;
        if (p->py)
            python_thread_exit(p->py, k->pid, k->tid);
        if (k->pid == k->tid) {
            symbols_exit(p->sym, k->pid);
            take_renamed(p);
            unwind_flush(p->unw, k->pid);
            if (p->py)
                python_forget(p->py, k->pid);
        }
        break;
    }
    case PERF_EV_MAPS: {
        char err[256];
        symbols_load_proc_maps(p->sym, ev->u.task.pid, err, sizeof(err));
        if (p->py)
            python_maps_changed(p->py, ev->u.task.pid);
        break;
    }
    }
}
