/*
 * record: the headless recorder. It launches the program corked, opens the
 * perf events on it, lets it exec, and then runs one poll loop over the ring
 * buffers and a signalfd until the program ends. Each record is handed over
 * in time order: side-band records update the address spaces, samples are
 * unwound (DWARF or frame pointers), symbolised and added to the call tree,
 * one at a time, so memory stays bounded by the tree, not the run length.
 * At the end the tree is written as a folded file, atomically.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/cmd.h"
#include "tprof/folded.h"
#include "tprof/launch.h"
#include "tprof/perf.h"
#include "tprof/profile.h"
#include "tprof/symbols.h"
#include "tprof/unwind.h"
#include "tprof/xalloc.h"

#define MAX_FRAMES 512

struct task {
    UT_hash_handle hh;
    uint32_t tid;
    uint32_t pid;
    char comm[32];
    uint32_t root; /* frame id of this task's root frame, PROFILE_NONE: stale */
};

struct rec {
    const struct record_opts *o;
    struct profile *prof;
    struct symbols *sym;
    struct unwind *unw;
    struct task *tasks;
    char default_comm[32];
    uint64_t samples, truncated;
    struct unwind_frame frames[MAX_FRAMES];
    uint32_t stack[MAX_FRAMES * 2 + 2];
};

/* ----- tasks and their names ----- */

static struct task *task_get(struct rec *r, uint32_t pid, uint32_t tid)
{
    struct task *t;
    HASH_FIND(hh, r->tasks, &tid, sizeof(tid), t);
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        t->tid = tid;
        t->pid = pid;
        snprintf(t->comm, sizeof(t->comm), "%s", r->default_comm);
        t->root = PROFILE_NONE;
        HASH_ADD(hh, r->tasks, tid, sizeof(tid), t);
    }
    return t;
}

static uint32_t task_root(struct rec *r, struct task *t)
{
    if (t->root == PROFILE_NONE) {
        char buf[96];
        if (r->o->threads)
            snprintf(buf, sizeof(buf), "%s-%" PRIu32 "/%" PRIu32, t->comm, t->pid, t->tid);
        else if (r->o->pid_roots)
            snprintf(buf, sizeof(buf), "%s-%" PRIu32, t->comm, t->pid);
        else
            snprintf(buf, sizeof(buf), "%s", t->comm);
        t->root = frames_intern(profile_frames(r->prof), buf, strlen(buf), FRAME_ROOT, "");
    }
    return t->root;
}

/* ----- samples ----- */

static uint32_t frame_of(struct rec *r, const struct symref *s)
{
    if (s->cookie == UINT32_MAX) {
        enum frame_kind k = s->kind == SYM_KERNEL ? FRAME_KERNEL
                            : s->kind == SYM_JIT  ? FRAME_JIT
                                                  : FRAME_USER;
        ((struct symref *)s)->cookie =
            frames_intern(profile_frames(r->prof), s->name, strlen(s->name), k, s->module);
    }
    return s->cookie;
}

static bool is_root_name(const char *n)
{
    static const char *const roots[] = {"_start", "__libc_start_main", "__libc_start_call_main",
                                        "clone", "clone3", "__clone", "__clone3",
                                        "start_thread", "_dl_start", "_dl_start_user"};
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
        if (strcmp(n, roots[i]) == 0)
            return true;
    return false;
}

static void on_sample(struct rec *r, const struct perf_sample *s)
{
    struct task *t = task_get(r, s->pid, s->tid);
    size_t n = 0;
    r->stack[n++] = task_root(r, t);

    /* User part, outermost first. */
    size_t nf = 0;
    bool complete = false;
    if (r->o->callgraph == PERF_CG_DWARF) {
        enum unwind_end end;
        struct unwind_sample us = {s->pid, s->regs, s->stack, (size_t)s->stack_size};
        nf = unwind_sample(r->unw, &us, r->frames, MAX_FRAMES, &end);
        complete = end == UNWIND_ROOT;
    } else {
        for (uint64_t i = 0; i < s->nr_user_ips && nf < MAX_FRAMES; i++) {
            r->frames[nf].ip = s->user_ips[i];
            r->frames[nf].exact = i == 0;
            nf++;
        }
    }
    for (size_t i = nf; i > 0; i--) {
        const struct unwind_frame *f = &r->frames[i - 1];
        const struct symref *ref = symbols_user(r->sym, s->pid, f->ip, !f->exact);
        if (i == nf && r->o->callgraph == PERF_CG_FP)
            complete = is_root_name(ref->name);
        r->stack[n++] = frame_of(r, ref);
    }
    /* Kernel part (leaf first from the kernel), outermost first. */
    for (uint64_t i = s->nr_kernel_ips; i > 0; i--)
        r->stack[n++] = frame_of(r, symbols_kernel(r->sym, s->kernel_ips[i - 1]));
    if (s->kernel_mode && s->nr_kernel_ips == 0)
        r->stack[n++] = frame_of(r, symbols_kernel(r->sym, s->ip));

    r->samples++;
    if (!complete)
        r->truncated++;
    profile_add_stack(r->prof, r->stack, n, 1.0);
}

static void on_event(void *arg, const struct perf_ev *ev)
{
    struct rec *r = arg;
    switch (ev->type) {
    case PERF_EV_SAMPLE:
        on_sample(r, &ev->u.sample);
        break;
    case PERF_EV_MMAP: {
        const struct perf_mmap *m = &ev->u.mmap;
        symbols_mmap(r->sym, m->pid, m->addr, m->len, m->pgoff, m->prot, m->filename,
                     m->build_id, m->build_id_size);
        break;
    }
    case PERF_EV_COMM: {
        const struct perf_comm *c = &ev->u.comm;
        if (c->exec) {
            /* A new program in this process: new address space, new CFI. */
            symbols_exec(r->sym, c->pid);
            unwind_flush(r->unw, c->pid);
        }
        struct task *t = task_get(r, c->pid, c->tid);
        snprintf(t->comm, sizeof(t->comm), "%s", c->comm);
        t->root = PROFILE_NONE;
        break;
    }
    case PERF_EV_FORK: {
        const struct perf_task *k = &ev->u.task;
        struct task *parent = task_get(r, k->ppid, k->ptid);
        struct task *t = task_get(r, k->pid, k->tid);
        snprintf(t->comm, sizeof(t->comm), "%s", parent->comm);
        t->pid = k->pid;
        t->root = PROFILE_NONE;
        if (k->pid != k->ppid) /* a process, not a thread: copy the address space */
            symbols_fork(r->sym, k->ppid, k->pid);
        break;
    }
    case PERF_EV_EXIT: {
        const struct perf_task *k = &ev->u.task;
        if (k->pid == k->tid) {
            symbols_exit(r->sym, k->pid);
            unwind_flush(r->unw, k->pid);
        }
        break;
    }
    }
}

/* ----- the run ----- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int cmd_record(const struct record_opts *o)
{
    char err[512], warn[256];
    int errnum = 0;
    const char *output = o->output ? o->output : TPROF_DEFAULT_OUTPUT;

    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGQUIT);
    sigprocmask(SIG_BLOCK, &mask, &old);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "tprof: signalfd: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);

    struct launch l;
    if (launch_start(&l, o->argv, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    struct perf_config pc = {.pid = l.pid,
                             .enable_on_exec = true,
                             .freq = o->freq,
                             .callgraph = o->callgraph,
                             .stack_size = o->stack_size};
    struct perf_session *ps = perf_open(&pc, err, sizeof(err), &errnum, warn, sizeof(warn));
    if (!ps) {
        launch_abort(&l);
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    if (warn[0] && !o->quiet)
        fprintf(stderr, "tprof: %s\n", warn);

    struct rec r = {.o = o};
    const char *base = strrchr(o->argv[0], '/');
    snprintf(r.default_comm, 16, "%s", base ? base + 1 : o->argv[0]);
    r.prof = profile_new();
    r.sym = symbols_new(NULL);
    r.unw = unwind_new(symbols_unwind_find, r.sym);

    double t0 = now_s(), cpu0 = self_cpu_s();
    int exec_errno = launch_go(&l);
    if (exec_errno) {
        launch_exec_failure_message(o->argv[0], exec_errno, err, sizeof(err));
        fprintf(stderr, "tprof: %s\n", err);
        int st;
        while (waitpid(l.pid, &st, 0) < 0 && errno == EINTR)
            ;
        perf_close(ps);
        unwind_free(r.unw);
        symbols_free(r.sym);
        profile_free(r.prof);
        close(sfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return launch_exec_failure_status(exec_errno);
    }

    int fds[256];
    size_t nfd = perf_fds(ps, fds, 255);
    struct pollfd pfd[256];
    for (size_t i = 0; i < nfd; i++)
        pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    pfd[nfd] = (struct pollfd){.fd = sfd, .events = POLLIN};

    int wstatus = 0;
    bool exited = false, stopping = false;
    double kill_at = 0;
    int stop_signal = 0;
    while (!exited) {
        double now = now_s();
        if (o->duration > 0 && !stopping && now - t0 >= o->duration) {
            kill(l.pid, SIGTERM);
            stopping = true;
            kill_at = now + 2.0;
        }
        if (stopping && kill_at > 0 && now >= kill_at) {
            kill(l.pid, SIGKILL); /* it ignored the polite signal */
            kill_at = 0;
        }
        int rc = poll(pfd, nfd + 1, 100);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "tprof: poll: %s\n", strerror(errno));
            break;
        }
        perf_read(ps, false, on_event, &r);
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGCHLD)
                continue;
            /* Stop the program; the profile so far is still written. */
            if (!stop_signal)
                stop_signal = (int)si.ssi_signo;
            kill(l.pid, (int)si.ssi_signo == SIGQUIT ? SIGTERM : (int)si.ssi_signo);
            if (!stopping) {
                stopping = true;
                kill_at = now_s() + 2.0;
            }
        }
        pid_t w = waitpid(l.pid, &wstatus, WNOHANG);
        if (w == l.pid)
            exited = true;
    }
    double elapsed = now_s() - t0;
    perf_read(ps, true, on_event, &r); /* what the buffers still hold */
    struct perf_stats st = *perf_get_stats(ps);
    perf_close(ps);
    double cpu = self_cpu_s() - cpu0;

    int status = exited ? launch_exit_status(wstatus) : 1;
    if (exited && WIFSIGNALED(wstatus) && !o->quiet && !stop_signal)
        fprintf(stderr, "tprof: %s killed by signal %d (%s)\n", o->argv[0], WTERMSIG(wstatus),
                strsignal(WTERMSIG(wstatus)));

    char note[256];
    if (symbols_take_warning(r.sym, note, sizeof(note)) && !o->quiet)
        fprintf(stderr, "tprof: %s\n", note);

    char written[600] = "";
    if (r.samples == 0) {
        snprintf(written, sizeof(written), "; no samples, so nothing written");
    } else {
        long lines = folded_write_file(r.prof, output, err, sizeof(err));
        if (lines < 0) {
            fprintf(stderr, "tprof: %s\n", err);
            status = 1;
        } else {
            snprintf(written, sizeof(written), "; wrote %ld stacks to %s", lines, output);
        }
    }
    if (!o->quiet) {
        double trunc = r.samples ? 100.0 * (double)r.truncated / (double)r.samples : 0;
        fprintf(stderr,
                "tprof: %.2f s, %" PRIu64 " samples (%.0f/s), %" PRIu64 " lost, %" PRIu64
                " throttled, %.1f%% unwound short of a root, tprof CPU %.2f s (%.1f%%)%s\n",
                elapsed, r.samples, elapsed > 0 ? (double)r.samples / elapsed : 0, st.lost,
                st.throttled, trunc, cpu, elapsed > 0 ? 100.0 * cpu / elapsed : 0, written);
    }

    struct task *t, *tmp;
    HASH_ITER(hh, r.tasks, t, tmp)
    {
        HASH_DEL(r.tasks, t);
        free(t);
    }
    unwind_free(r.unw);
    symbols_free(r.sym);
    profile_free(r.prof);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return status;
}
