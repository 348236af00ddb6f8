/*
 * record: `tprof -- PROGRAM` and `tprof -p PID`. It launches the program
 * corked (or attaches to running processes), opens the perf events (or, where
 * they are refused, and for wall mode's blocked threads, the ptrace sampler),
 * and runs ONE poll loop over the ring buffers, the ptrace tick, a signalfd, a
 * timerfd, and in live mode the terminal and the program's output pipes.
 * Each record goes to the pipeline (src/record/pipeline.c) in time order:
 * side-band records update the address spaces, samples are unwound, get
 * their Python frames spliced in, are symbolised and added to the call
 * tree, one at a time, so memory stays bounded by the tree, not the run
 * length.
 *
 * Live, samples are collected as stacks of frame ids and added to the tree at
 * each refresh (about twice a second), so between refreshes the viewer looks
 * at a tree that does not change under it, and pausing the display is just
 * not applying them yet. The tree still grows incrementally: nothing is
 * rebuilt. Sampling never waits for drawing: a redraw is one pass over the
 * screen, and whole-tree work runs only when nothing else is ready.
 *
 * At the end the tree is written as a folded file, atomically, and in live
 * mode the program's captured output is written through.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tprof/app.h"
#include "tprof/atomicfile.h"
#include "tprof/cache.h"
#include "tprof/clock.h"
#include "tprof/cmd.h"
#include "tprof/export.h"
#include "tprof/filter.h"
#include "tprof/say.h"
#include "tprof/term.h"
#include "tprof/timeline.h"
#include "tprof/folded.h"
#include "tprof/linebuf.h"
#include "tprof/launch.h"
#include "tprof/perf.h"
#include "tprof/pipeline.h"
#include "tprof/profile.h"
#include "tprof/ptrace.h"
#include "tprof/pybpf.h"
#include "tprof/python.h"
#include "tprof/symbols.h"
#include "tprof/xalloc.h"

#define TPROF_NICE (-20)

/* ----- the run ----- */

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The program's stdout or stderr, captured in live mode: every byte goes to
 * an unlinked temporary file (written through at the end, nothing lost) and
 * to the log pane's ring of lines. */
struct capture {
    int fd;        /* read end of the pipe, -1 when closed */
    FILE *keep;    /* everything, for the write-through */
    const char *prefix;
};

struct run {
    bool live;                 /* the viewer, on a terminal */
    sigset_t oldmask;          /* restored at the end */
    struct profile *base;      /* --diff-base, until merged */
    const char *output;        /* -o, or the headless default; NULL: none */
    int out_fmt;               /* its format */
    struct atomicfile *out_af; /* open from the start, written at the end */
    pid_t *tids;               /* -p: the threads attached to */
    size_t ntids;
    char pyexe[4096];          /* a Python interpreter to prepare for, or "" */
    struct pipeline *pl;
    struct profile *prof;
    const struct record_opts *o;
    struct perf_session *ps;   /* NULL on the ptrace backend */
    struct ptrace_session *pt; /* the ptrace backend, or wall mode's blocked threads */
    struct timeline *tl;       /* live: when samples came */
    struct launch l;
    bool launched, exited, sampling_done, quitting;
    int wstatus, stop_signal;
    double t0, cpu0, t_end, kill_at;
    double setup0, setup_end; /* setup_cpu_s() at cpu0, and when sampling ended */
    double cpu_end; /* tprof's CPU time when sampling ended */
    int py_by_function; /* --diff-base: Python frames named by function (pipeline.h) */
    bool stopping;
    bool kprog_pending; /* the kernel program is loading: see sampling_start */
    char kprog_note[512]; /* what its loading had to say, when live */
    bool reniced; /* running at TPROF_NICE */
    bool prompt;  /* a Python process is sampled: wake when samples are due */
    bool py_kernel; /* Python frames are read at the sample, in the kernel */
    uint64_t idle_since; /* prompt, no sample due: since when */
    bool precise_timers; /* prompt: timer slack lowered */
    int sfd, tfd;
    /* live */
    struct app *app;
    struct linebuf *log;
    struct capture out, err;
    char title[200];
};

static void status_text(struct run *u, char *buf, size_t len)
{
    double el = (u->exited || u->sampling_done ? u->t_end : now_s()) - u->t0;
    const struct perf_stats *st = u->ps ? perf_get_stats(u->ps) : NULL;
    double cpu = self_cpu_s() - u->cpu0;
    char how[96] = "";
    if (u->exited) {
        if (WIFSIGNALED(u->wstatus))
            snprintf(how, sizeof(how), "killed by SIG%s", sigabbrev_np(WTERMSIG(u->wstatus)));
        else
            snprintf(how, sizeof(how), "exited %d", launch_exit_status(u->wstatus));
    } else if (u->sampling_done) {
        snprintf(how, sizeof(how), "detached");
    } else {
        snprintf(how, sizeof(how), "running");
    }
    const struct pipeline_stats *ps = pipeline_get_stats(u->pl);
    char lowered[48] = "";
    const struct ptrace_stats *pst = u->pt ? ptrace_get_stats(u->pt) : NULL;
    if (pst && pst->freq != u->o->freq)
        snprintf(lowered, sizeof(lowered), "  rate lowered to %u Hz", pst->freq);
    snprintf(buf, len, "%s  %.1fs  %" PRIu64 " samples %.0f/s  lost %" PRIu64
                       "  unwind-fail %.1f%%  tprof-cpu %.1f%%%s",
             /* (rates over the first moments say nothing: the start-up's
              * CPU over 0.01 s read "tprof-cpu 20398%") */
             how, el, ps->samples, el >= 0.5 ? (double)ps->samples / el : 0,
             st ? st->lost : 0,
             ps->samples ? 100.0 * (double)ps->truncated / (double)ps->samples : 0,
             el >= 0.5 ? 100.0 * cpu / el : 0, lowered);
    if (!u->o->wall) {
        struct pipeline_coverage c;
        pipeline_get_coverage(u->pl, &c);
        size_t bl = strlen(buf);
        if (c.share >= 0)
            snprintf(buf + bl, len - bl, "  cover %.0f%%", 100 * c.share);
    }
    const char *label = pipeline_python_label(u->pl);
    if (label[0]) {
        size_t bl = strlen(buf);
        /* how its frames are read: at the sample (kernel), after it, or
         * with the thread stopped */
        snprintf(buf + bl, len - bl, "  %s %s, %.1f%% inconsistent", label,
                 u->py_kernel ? "at-sample" : u->ps ? "after-sample" : "stopped",
                 ps->py_samples ? 100.0 * (double)ps->py_inconsistent / (double)ps->py_samples
                                : 0);
    }
}

static void refresh_view(struct run *u)
{
    if (!u->app)
        return;
    /* Re-sorting and recomputing the views only when stacks arrived: a
     * finished program's profile stays still while it is explored. */
    if (!app_paused(u->app) && pipeline_flush(u->pl))
        app_profile_changed(u->app);
    char st[300];
    status_text(u, st, sizeof(st));
    app_set_status(u->app, st);
    app_redraw(u->app);
}

/* e: the samples waiting taken first, then what is on screen to PATH. */
static int export_now(void *ctx, const char *path, char *msg, size_t len)
{
    struct run *u = ctx;
    if (pipeline_flush(u->pl))
        app_profile_changed(u->app);
    return app_export(u->app, path, msg, len);
}

static void capture_read(struct run *u, struct capture *c)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n > 0) {
            if (c->keep)
                fwrite(buf, 1, (size_t)n, c->keep);
            linebuf_append(u->log, buf, (size_t)n, c->prefix);
            continue;
        }
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(c->fd);
            c->fd = -1;
        }
        break;
    }
}

/* Copy what a stream captured to FD (the write-through at the end). */
static void capture_flush(struct capture *c, int fd)
{
    if (!c->keep)
        return;
    rewind(c->keep);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), c->keep)) > 0) {
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return;
            off += (size_t)w;
        }
    }
    fclose(c->keep);
    c->keep = NULL;
}

/* ----- attaching ----- */

static bool attached_alive(const struct run *u)
{
    if (u->pt)
        return ptrace_threads(u->pt) > 0;
    for (size_t i = 0; i < u->o->npids; i++)
        if (kill(u->o->pids[i], 0) == 0 || errno == EPERM)
            return true;
    return false;
}

/* ----- the loop ----- */

/* Stop sampling: drain the buffers, detach what ptrace still traces. */
static void sampling_end(struct run *u)
{
    if (u->sampling_done)
        return;
    /* what still lives: its CPU until sampling stops (attached, it goes on) */
    if (u->ps)
        perf_disable(u->ps);
    pipeline_cpu_poll(u->pl);
    if (u->ps)
        perf_read(u->ps, true, pipeline_event, u->pl);
    if (u->pt) {
        ptrace_read(u->pt, pipeline_event, u->pl);
        ptrace_finish(u->pt);
    }
    /* (a program that ended before the kernel program was loaded: what
     * was found is said, read after the sample) */
    if (u->kprog_pending && u->o->python)
        pipeline_python_after(u->pl, "the program ended before tprof's kernel program had "
                                     "loaded");
    u->kprog_pending = false;
    u->sampling_done = true;
    u->t_end = now_s();
    u->cpu_end = self_cpu_s();
    u->setup_end = setup_cpu_s();
}

static void child_exited(struct run *u, int wstatus)
{
    u->exited = true;
    u->wstatus = wstatus;
    sampling_end(u);
    refresh_view(u);
}

/* Ask the launched program to end: the signal now (0: it has it), SIGKILL
 * after 2 s. */
static void stop_program(struct run *u, int sig)
{
    if (!u->launched || u->exited)
        return;
    if (sig)
        kill(u->l.pid, sig);
    if (!u->stopping) {
        u->stopping = true;
        u->kill_at = now_s() + 2.0;
    }
}

/* Read what is waiting: the ring buffers and the program's output. */
static void drain(struct run *u)
{
    if (!u->sampling_done && u->ps)
        perf_read(u->ps, false, pipeline_event, u->pl);
    if (!u->sampling_done && u->pt)
        ptrace_read(u->pt, pipeline_event, u->pl);
    if (u->out.fd >= 0)
        capture_read(u, &u->out);
    if (u->err.fd >= 0)
        capture_read(u, &u->err);
}

/* The launched program: SIGKILL when it ignored the polite signal for too
 * long, and notice when it has ended. */
static void check_program(struct run *u)
{
    if (!u->launched || u->exited)
        return;
    if (u->stopping && u->kill_at > 0 && now_s() >= u->kill_at) {
        kill(u->l.pid, SIGKILL);
        u->kill_at = 0;
    }
    int st;
    struct rusage ru;
    /* Traced, the program's end is taken by ptrace's waitpid. */
    if (u->pt ? ptrace_exited(u->pt, &st) : wait4(u->l.pid, &st, WNOHANG, &ru) == u->l.pid) {
        /* its CPU time, its reaped children's included: the coverage's
         * measure */
        double cpu = u->pt ? ptrace_main_cpu(u->pt)
                           : (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        if (cpu >= 0)
            pipeline_cpu_final(u->pl, u->l.pid, cpu);
        child_exited(u, st);
    }
}

/* The signal to pass the launched program for SI: none when it got it
 * already (a terminal's Ctrl-C goes to the whole foreground process group,
 * the program's too: a second SIGINT would interrupt its clean-up). */
static int signal_to_pass(const struct run *u, const struct signalfd_siginfo *si)
{
    if (si->ssi_code == SI_KERNEL && getpgid(u->l.pid) == getpgrp())
        return 0;
    return (int)si->ssi_signo == SIGQUIT ? SIGTERM : (int)si->ssi_signo;
}

/* Ctrl-C in the viewer, as in a shell: the program gets SIGINT and does
 * with it what it does (no SIGKILL follows: a program that goes on runs
 * on, and q ends it as usual); attached, tprof detaches. The viewer stays
 * on the profile; once sampling has ended, Ctrl-C is q. */
static void viewer_interrupt(struct run *u, const struct signalfd_siginfo *si)
{
    if (u->sampling_done) {
        if (app_key(u->app, 'q', NULL) == APP_QUIT)
            u->quitting = true;
        refresh_view(u);
        return;
    }
    if (!u->stop_signal)
        u->stop_signal = SIGINT;
    if (u->launched) {
        int sig = signal_to_pass(u, si);
        if (sig && !u->exited)
            kill(u->l.pid, sig);
        app_message(u->app, "Ctrl-C: the program was interrupted (SIGINT); the profile stays, "
                            "q quits");
    } else {
        sampling_end(u);
        app_message(u->app, "Ctrl-C: detached; the profile stays, q quits");
    }
    refresh_view(u);
}

static void handle_signals(struct run *u)
{
    struct signalfd_siginfo si;
    while (read(u->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
            continue;
        if (u->app && si.ssi_signo == SIGINT) {
            viewer_interrupt(u, &si);
            continue;
        }
        if (!u->stop_signal)
            u->stop_signal = (int)si.ssi_signo;
        if (u->launched)
            stop_program(u, signal_to_pass(u, &si));
        else
            u->quitting = true; /* attached: detach */
        if (u->app)
            u->quitting = true;
    }
}

/* Headless, what tprof has to say about the recording (a Python
 * interpreter found, a rate lowered) is said when it happens, not at the
 * end of a long run. */
static void say_notices(struct run *u)
{
    char note[600];
    while (pipeline_take_notice(u->pl, note, sizeof(note)))
        if (!u->o->quiet)
            say("%s", note);
    if (u->pt && ptrace_take_notice(u->pt, note, sizeof(note)) && !u->o->quiet)
        say("%s", note);
}

/* After a sample is due, how long before looking for it: the hrtimer has
 * fired and its record is written within a few microseconds. */
#define DUE_SLACK_NS 20000
/* Python frames read at the sample: the rings are drained every 5 ms, every
 * 1 ms while a Python process starts, every 25 ms while none is seen. */
#define KERNEL_DRAIN_NS 5000000
#define KERNEL_PROMPT_NS 1000000
#define KERNEL_IDLE_NS 25000000
#define MISS_WAIT_NS 50000

/* How long poll() may sleep: 100 ms, less when the viewer has work, and on
 * the perf backend once a Python process is sampled, until its next sample
 * is due: each sample's Python stack is read right after it is taken
 * (python_drained), before the thread has moved on. A sample that has not
 * come is looked for again, ever less often; a program that stopped
 * running (blocked, sleeping) is looked at every period at first, then
 * less often, up to every 20 ms. */
#define KPROG_WAIT_NS 1000000

static struct timespec poll_wait(struct run *u)
{
    uint64_t ns = 100000000;
    if (u->app && app_busy(u->app)) {
        ns = 0;
    } else if (u->py_kernel && !u->sampling_done) {
        /* Read at the sample: the ring holds seconds of records, so what
         * hurries is a process the kernel program does not know yet (its
         * first samples are read after the sample, and must not be read
         * late) and one just registered (its imports' code objects are
         * freed within milliseconds: they are named as their records come
         * in). */
        /* With no Python seen yet, a wake-up every 5 ms was 6 us of
         * tprof's CPU per sample of a native program (a third of its
         * cost): it looks every 25 ms, which is how late a Python started
         * later is found. */
        if (!u->prompt)
            u->prompt = pipeline_get_stats(u->pl)->py_samples > 0;
        uint64_t now = now_ns();
        bool young = now_s() - u->t0 < 0.3 || now < pipeline_python_prompt_until(u->pl);
        ns = !u->prompt ? KERNEL_IDLE_NS : young ? KERNEL_PROMPT_NS : KERNEL_DRAIN_NS;
    } else if (u->ps && !u->sampling_done && u->o->python) {
        /* Python code seen running: not for a process that only maps
         * libpython (perf, which embeds it). Waking ~1000 times a second
         * costs a program that keeps every CPU busy: it is preempted (3
         * threads on 2 CPUs under perf record: 13% of the samples in
         * interrupt exits instead of 5%). */
        if (!u->prompt)
            u->prompt = pipeline_get_stats(u->pl)->py_samples > 0;
        /* Waking when a sample is due: to within 10 us, not the default
         * 50 us of timer slack (split.py 3 1000: 3.0-3.2% of its samples
         * inconsistent, against 4.4-4.7%). */
        if (u->prompt && !u->precise_timers) {
            prctl(PR_SET_TIMERSLACK, 10000UL, 0, 0, 0);
            u->precise_timers = true;
        }
        if (u->prompt) {
            uint64_t now = now_ns(), due = perf_next_due(u->ps, now);
            uint64_t period = 1000000000u / u->o->freq;
            if (!due) {
                if (!u->idle_since)
                    u->idle_since = now;
                ns = (now - u->idle_since) / 10;
                ns = ns < period ? period : ns > 20000000 ? 20000000 : ns;
            } else {
                u->idle_since = 0;
                if (due + DUE_SLACK_NS > now)
                    ns = due + DUE_SLACK_NS - now;
                else /* late: half the lateness, from 50 us */
                    ns = (now - due) / 2 > MISS_WAIT_NS ? (now - due) / 2 : MISS_WAIT_NS;
            }
        }
    }
    /* (the kernel program is taken as soon as it is loaded; meanwhile
     * the samples are drained often, their Python frames read promptly) */
    if (u->kprog_pending && ns > KPROG_WAIT_NS)
        ns = KPROG_WAIT_NS;
    return (struct timespec){(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
}

static int kernel_program(struct run *u, char *err, size_t errlen);

static void loop(struct run *u)
{
    int fds[256];
    size_t nperf = u->ps ? perf_fds(u->ps, fds, 250) : 0;
    if (u->pt)
        fds[nperf++] = ptrace_fd(u->pt);
    for (;;) {
        struct pollfd pfd[264];
        size_t n = 0;
        if (!u->sampling_done)
            for (size_t i = 0; i < nperf; i++)
                pfd[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = u->sfd, .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = u->tfd, .events = POLLIN};
        if (u->app)
            pfd[n++] = (struct pollfd){.fd = app_input_fd(u->app), .events = POLLIN};
        if (u->out.fd >= 0)
            pfd[n++] = (struct pollfd){.fd = u->out.fd, .events = POLLIN};
        if (u->err.fd >= 0)
            pfd[n++] = (struct pollfd){.fd = u->err.fd, .events = POLLIN};
        struct timespec wait = poll_wait(u);
        if (ppoll(pfd, n, &wait, NULL) < 0 && errno != EINTR)
            break;
        if (u->kprog_pending && !u->sampling_done && pipeline_kernel_program_ready(u->pl)) {
            char err[512];
            u->kprog_pending = false;
            kernel_program(u, err, sizeof(err)); /* (cannot fail: see kernel_program_later) */
        }

        drain(u);
        handle_signals(u);

        uint64_t ticks;
        bool tick = read(u->tfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks);
        if (tick && !u->sampling_done && !u->o->wall)
            pipeline_cpu_poll(u->pl); /* (the coverage in the live header) */
        if (tick && !u->app)
            say_notices(u);
        double now = now_s();
        if (!u->sampling_done && u->o->duration > 0 && now - u->t0 >= u->o->duration) {
            if (u->launched) {
                /* once: a program that handles SIGTERM gets one, then
                 * SIGKILL after the grace period */
                if (!u->stopping)
                    stop_program(u, SIGTERM);
            } else {
                sampling_end(u);
                if (!u->app)
                    u->quitting = true;
                refresh_view(u);
            }
        }
        check_program(u);
        if (!u->launched && !u->sampling_done && !attached_alive(u)) {
            sampling_end(u);
            if (!u->app)
                u->quitting = true;
            refresh_view(u);
        }
        if (u->app) {
            if (app_pump(u->app) == APP_QUIT)
                u->quitting = true;
            if (tick)
                refresh_view(u);
        }
        /* Done: headless when the program ended (or we were told to stop and
         * it has); live when the user quit. */
        if (!u->app && u->launched && u->exited)
            break;
        if (!u->app && !u->launched && u->quitting)
            break;
        if (u->app && u->quitting) {
            /* Leave the screen at once; end or detach from the program. */
            app_stop(u->app);
            if (u->launched && !u->exited) {
                stop_program(u, SIGTERM);
                for (;;) {
                    drain(u);
                    check_program(u);
                    if (u->exited)
                        break;
                    poll(NULL, 0, 20);
                }
            }
            sampling_end(u);
            break;
        }
    }
}

/* How Python frames are read (--python-read): at the sample by the kernel
 * program where it loads (root, or CAP_BPF and CAP_PERFMON), else after
 * the sample, saying why. With the thread stopped on the ptrace backend.
 * Before the program runs: the program must be attached to the events
 * before any thread that inherits them is made. */
static int python_reader(struct run *u, char *err, size_t errlen)
{
    const struct record_opts *o = u->o;
    if (!o->python)
        return 0;
    if (!u->ps) {
        if (o->python_read == PYREAD_KERNEL) {
            snprintf(err, errlen, "--python-read kernel needs the perf backend (perf_event_open)");
            return -1;
        }
        pipeline_python_stopped(u->pl);
        return 0;
    }
    if (o->python_read == PYREAD_USER) {
        pipeline_python_after(u->pl, "--python-read user");
        return 0;
    }
    char why[400];
    if (pipeline_python_in_kernel(u->pl, u->ps, why, sizeof(why)) == 0) {
        u->py_kernel = true;
        return 0;
    }
    if (o->python_read == PYREAD_KERNEL) {
        snprintf(err, errlen, "--python-read kernel: %s", why);
        return -1;
    }
    char full[600];
    snprintf(full, sizeof(full), "%s; --backend ptrace reads them exactly", why);
    pipeline_python_after(u->pl, full);
    return 0;
}

/* The kernel program (loading it takes 30-50 ms: the verifier): Python
 * frames read at the sample, and per CPU the filter that keeps the
 * profiled processes' samples alone (else perf_watch drops the others',
 * after the copy). -1 with ERR when --python-read kernel cannot be had. */
static int kernel_program(struct run *u, char *err, size_t errlen)
{
    const struct record_opts *o = u->o;
    if (python_reader(u, err, errlen) < 0)
        return -1;
    if (u->ps && perf_per_cpu(u->ps)) {
        pid_t one = u->launched ? u->l.pid : 0;
        char why[400];
        if (pipeline_filter_in_kernel(u->pl, u->ps, u->launched ? &one : o->pids,
                                      u->launched ? 1 : o->npids, why, sizeof(why)) < 0 &&
            !o->quiet) {
            /* (live, the screen is the viewer's: said when it closes) */
            snprintf(u->kprog_note, sizeof(u->kprog_note),
                     "sampling per CPU, other processes' samples dropped by tprof rather than "
                     "the kernel (%s)", why);
            if (!u->app) {
                say("%s", u->kprog_note);
                u->kprog_note[0] = '\0';
            }
        }
    }
    return 0;
}

/* Whether the program is a Python interpreter whose Python frames are
 * read at (or right after) each sample: they are exact only once the
 * kernel program knows the process, which tprof tells it as it takes the
 * first samples from the buffers. Everything those samples need is loaded
 * before the program starts, or the first 0.1-0.2 s of samples would wait
 * behind the loads and lose their Python frames (a 0.3 s program: 40-70%
 * of its samples). */
static bool python_first(const struct run *u)
{
    return u->ps && u->o->python && u->pyexe[0];
}

/* Whether the kernel program may be loaded once the program runs, off its
 * path: per CPU, where it attaches to the CPUs' events whenever it comes
 * (the filter finds a process forked before by its ancestors; samples
 * before it are filtered by tprof). Per task, inherited events take it
 * only if it is there before the first thread is made; --python-read
 * kernel must fail before the program runs. */
static bool kernel_program_later(const struct run *u)
{
    return u->ps && perf_per_cpu(u->ps) && u->launched && u->o->python_read != PYREAD_KERNEL &&
           !python_first(u);
}

/* The sampler: perf_event_open unless told otherwise or refused; ptrace
 * instead, and in wall mode for the blocked threads perf cannot see. The
 * title gets the mode and the backend. -1 with ERR when there is none. */
static int open_sampler(struct run *u, const struct perf_config *pc, char *err, size_t errlen)
{
    const struct record_opts *o = u->o;
    bool fallback = false;
    if (o->backend != BACKEND_PTRACE) {
        char warn[256];
        int errnum = 0;
        u->ps = perf_open(pc, err, errlen, &errnum, warn, sizeof(warn));
        bool refused = errnum == EACCES || errnum == EPERM || errnum == ENOSYS || errnum == ENOENT;
        if (!u->ps && (o->backend == BACKEND_PERF || !refused))
            return -1;
        if (!u->ps) {
            say("%s; sampling with ptrace instead", err);
            fallback = true;
        } else if (warn[0] && !o->quiet) {
            say("%s", warn);
        }
        if (u->ps) {
            perf_set_drain_hook(u->ps, pipeline_drained, u->pl);
            if (u->launched)
                perf_watch(u->ps, (uint32_t)u->l.pid, true);
            for (size_t i = 0; i < o->npids; i++)
                perf_watch(u->ps, (uint32_t)o->pids[i], false);
        }
    }
    if (!u->ps || o->wall) {
        struct ptrace_config tc = {.pid = u->launched ? u->l.pid : 0,
                                   .pids = o->pids,
                                   .npids = o->npids,
                                   .freq = o->freq,
                                   .callgraph = o->callgraph,
                                   .stack_size = o->stack_size,
                                   .which = u->ps     ? PTRACE_BLOCKED
                                            : o->wall ? PTRACE_ALL
                                                      : PTRACE_RUNNING,
                                   .sideband = !u->ps,
                                   .stopped = pipeline_stopped,
                                   .stopped_arg = u->pl};
        u->pt = ptrace_open(&tc, err, errlen);
        if (!u->pt)
            return -1;
        pipeline_set_reload_maps(u->pl, !u->ps);
    }
    size_t tl = strlen(u->title);
    snprintf(u->title + tl, sizeof(u->title) - tl, "  [%s, %s]", o->wall ? "wall" : "cpu",
             !u->pt   ? "perf"
             : !u->ps ? (fallback ? "ptrace: perf_event_open refused" : "ptrace")
                      : "perf + ptrace for blocked threads");
    return 0;
}

/* The summary's Python part: the inconsistent share, and how the frames
 * were read (at the sample: with the share that fell back to a read after
 * it, and the kernel program's cost per sample when the kernel counts it). */
static void python_summary(struct run *u, char *buf, size_t len)
{
    const struct pipeline_stats *ps = pipeline_get_stats(u->pl);
    const struct python_stats *py = pipeline_python_stats(u->pl);
    size_t sl = strlen(buf);
    double inc = 100.0 * (double)ps->py_inconsistent / (double)ps->py_samples;
    if (!u->py_kernel) {
        /* Code that changes its Python stack every few microseconds has
         * moved on by the time a sample is read (tens of us). */
        snprintf(buf + sl, len - sl,
                 ", %.1f%% of %" PRIu64 " Python samples inconsistent (kept native%s)", inc,
                 ps->py_samples,
                 u->ps && inc >= 20 ? "; read at the sample as root, or --backend ptrace" : "");
        return;
    }
    uint64_t all = py->at_sample + py->after + py->stopped;
    struct pybpf_stats ks;
    memset(&ks, 0, sizeof(ks));
    char cost[64] = "";
    /* (per CPU, the runs that dropped another process's sample are not
     * counted; their time, about 0.1 us each, is in run_ns) */
    if (pipeline_kernel_stats(u->pl, &ks) && ks.run_cnt > ks.others)
        snprintf(cost, sizeof(cost), ", %.1f us each in the kernel",
                 (double)ks.run_ns / (double)(ks.run_cnt - ks.others) / 1e3);

    char stopped[64] = "";
    if (py->stopped) /* wall mode: blocked threads, sampled with ptrace */
        snprintf(stopped, sizeof(stopped), ", %.1f%% with the thread stopped",
                 100.0 * (double)py->stopped / (double)all);
    char full[128] = "";
    if (ks.ring_full) /* (tprof drained too late: their samples were read after) */
        snprintf(full, sizeof(full), "; %" PRIu64 " kernel records lost, ring full",
                 ks.ring_full);
    if (py->deep) { /* (a cut is said, never silent) */
        size_t fl = strlen(full);
        snprintf(full + fl, sizeof(full) - fl, "; %" PRIu64 " stacks deeper than %d Python "
                 "frames, kept native", py->deep, PYFRAMES_MAX);
    }
    snprintf(buf + sl, len - sl,
             ", %.1f%% of %" PRIu64 " Python samples inconsistent (kept native), %.1f%% read at "
             "the sample%s%s, %.1f%% after it (no kernel record%s)",
             inc, ps->py_samples, all ? 100.0 * (double)py->at_sample / (double)all : 0, cost,
             stopped, all ? 100.0 * (double)py->after / (double)all : 0, full);
}

/* ----- the steps of a recording ----- */

/* Signals come through a signalfd, the refresh through a timerfd. */
static int signals_open(struct run *u)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGQUIT);
    sigprocmask(SIG_BLOCK, &mask, &u->oldmask);
    u->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    u->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (u->sfd < 0 || u->tfd < 0) {
        say("signalfd/timerfd: %s", strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* What must fail before anything runs: --diff-base read, the output
 * opened (a path that cannot be written is said now, not after the whole
 * recording). */
static int inputs_open(struct run *u)
{
    const struct record_opts *o = u->o;
    char err[512];
    if (o->diff_base) {
        struct import_opts imp;
        memset(&imp, 0, sizeof(imp));
        if (!(u->base = profile_import_said(o->diff_base, &imp)))
            return -1;
        /* Python frames matched by function, as the other comparisons
         * match them: the base's renamed, this run's named so (below) */
        if (!o->diff_lines) {
            size_t nf;
            double fb;
            u->py_by_function = profile_flat(u->base, &nf, &fb) ? 2 : 1;
            struct filter *f = filter_new_pyfunc(u->py_by_function == 2);
            struct profile *b = filter_apply(u->base, &f, 1);
            filter_free(f);
            profile_free(u->base);
            u->base = b;
        }
        if (!u->live) {
            say("--diff-base colours the live viewer; without it, compare "
                "the saved profiles: tprof report --diff %s OUT", o->diff_base);
            profile_free(u->base);
            u->base = NULL;
        }
    }
    u->output = o->output ? o->output : u->live ? NULL : TPROF_DEFAULT_OUTPUT;
    /* its format by its name; a name with no known extension is folded */
    u->out_fmt = u->output ? export_format_for(u->output, NULL, EXPORT_FOLDED, err, sizeof(err))
                           : EXPORT_FOLDED;
    if (u->output && !(u->out_af = atomicfile_open(u->output, err, sizeof(err)))) {
        say("%s", err);
        return -1;
    }
    return 0;
}

/* The profile and the pipeline, the Python interpreter to prepare for. */
static void pipeline_open(struct run *u)
{
    const struct record_opts *o = u->o;
    if (o->python) {
        for (size_t i = 0; i < o->npids; i++) {
            char exe[4096];
            if (launch_pid_is_python(o->pids[i], exe, sizeof(exe))) {
                u->prompt = true;
                if (!u->pyexe[0])
                    snprintf(u->pyexe, sizeof(u->pyexe), "%s", exe);
            }
        }
        if (!o->npids)
            u->prompt = launch_is_python(o->argv[0], u->pyexe, sizeof(u->pyexe));
    }
    u->prof = profile_new();
    if (u->base) { /* the live view compares with it: its weights are the other side */
        profile_merge_base(u->prof, u->base);
        /* the program's frames are the base's when it names no module */
        frames_set_loose_modules(profile_frames(u->prof), true);
        profile_free(u->base);
        u->base = NULL;
    }
    struct pipeline_config plc = {.callgraph = o->callgraph,
                                  .max_depth = o->max_depth,
                                  .python = o->python,
                                  .python_lines = o->python_lines,
                                  .python_by_function = u->base ? u->py_by_function : 0,
                                  .jit_any_owner = o->jit_any_owner,
                                  .inlined = !o->no_inline,
                                  .lines = o->lines,
                                  .period_ns = 1000000000u / (o->freq ? o->freq : 1)};
    cache_set_enabled(!o->no_cache);
    u->pl = pipeline_new(&plc, u->prof);
    /* (a debug file fetched from debuginfod says so as it comes; the
     * viewer's screen is not for it) */
    if (!u->live && !o->quiet)
        symbols_set_progress_fd(pipeline_symbols(u->pl), STDERR_FILENO);
}

/* The program launched corked (live: its output captured for the log
 * pane), or the processes to attach to read from /proc. */
static int target_open(struct run *u, struct perf_config *pc)
{
    const struct record_opts *o = u->o;
    char err[512];
    if (o->npids) {
        if (pipeline_attach(u->pl, o->pids, o->npids, &u->tids, &u->ntids, err, sizeof(err)) < 0) {
            say("%s", err);
            return -1;
        }
        pc->tids = u->tids;
        pc->ntids = u->ntids;
        snprintf(u->title, sizeof(u->title), "%.32s (pid %d%s)", pipeline_default_comm(u->pl),
                 (int)o->pids[0], o->npids > 1 ? ", ..." : "");
        return 0;
    }
    const char *base = strrchr(o->argv[0], '/');
    pipeline_set_default_comm(u->pl, base ? base + 1 : o->argv[0]);
    snprintf(u->title, sizeof(u->title), "%.32s", pipeline_default_comm(u->pl));
    struct launch_opts lo = {-1, -1, -1};
    int op[2] = {-1, -1}, ep[2] = {-1, -1};
    if (u->live) {
        /* The program must not draw over the viewer: its stdin is
         * /dev/null and its output goes to pipes shown in the log pane. */
        lo.stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
            say("pipe: %s", strerror(errno));
            return -1;
        }
        lo.stdout_fd = op[1];
        lo.stderr_fd = ep[1];
    } else if (u->output && strcmp(u->output, "-") == 0) {
        /* The profile is tprof's standard output: the program's must not
         * be mixed into it (a line "consumed 5000" read as a stack). */
        lo.stdout_fd = 2;
        if (!o->quiet)
            say("-o -: the program's standard output goes to standard error");
    }
    int rc = launch_start(&u->l, o->argv, &lo, err, sizeof(err));
    if (u->live) {
        close(lo.stdin_fd);
        close(op[1]);
        close(ep[1]);
        u->out = (struct capture){op[0], tmpfile(), ""};
        u->err = (struct capture){ep[0], tmpfile(), "! "};
        if (!u->out.keep || !u->err.keep)
            say("cannot create a temporary file (%s): the program's "
                "output will only be in the log pane", strerror(errno));
        fcntl(op[0], F_SETFL, O_NONBLOCK);
        fcntl(ep[0], F_SETFL, O_NONBLOCK);
    }
    if (rc < 0) {
        say("%s", err);
        return -1;
    }
    u->launched = true;
    pipeline_cpu_track(u->pl, u->l.pid, false);
    pc->pid = u->l.pid;
    pc->enable_on_exec = true;
    return 0;
}

/* The sampler opened and everything its first samples need loaded, then
 * the program let go (or the events enabled). -1 with *STATUS set. */
static int sampling_start(struct run *u, struct perf_config *pc, int *status)
{
    const struct record_opts *o = u->o;
    char err[512];
    /* A program with many more runnable threads than CPUs leaves tprof a
     * 1/N share of the CPU, too little to drain the buffers in time (200
     * spinning threads: 74% of samples lost). Like a system daemon, tprof
     * asks for a higher weight: it still uses only what draining needs.
     * After the fork, so the program keeps its own priority, and before
     * tprof's threads start, so they have it too (the kernel program's
     * loading, at the program's default weight beside a busy program,
     * took 30-120 ms); where it is not allowed (not root), the summary
     * says what was lost. Not for the ptrace backend alone: it stops the
     * program for every sample and lowers its rate when it cannot keep
     * up, and a tprof that preempts the program it stops slowed it (10.9 s
     * vs 11.7 s at 999 Hz). */
    if (o->backend != BACKEND_PTRACE)
        u->reniced = setpriority(PRIO_PROCESS, 0, TPROF_NICE) == 0;
    pc->prompt = u->reniced;
    /* (the kernel program, in a thread of its own, from now: perf_open
     * and the program's start need it only later, if at all; it reads
     * Python frames, and per CPU keeps the program's samples) */
    if (o->backend != BACKEND_PTRACE && (o->python || !o->per_task))
        pipeline_kernel_program_soon(u->pl);
    /* (and for a Python program launched directly, the kernel's symbols:
     * its first samples wait for them, and the sampler's buffers take
     * milliseconds to map; kernel frames are likely when root or allowed
     * by perf_event_paranoid, else they wait to be known for sure) */
    if (o->backend != BACKEND_PTRACE && o->python && u->pyexe[0] &&
        (geteuid() == 0 || perf_paranoid() <= 1))
        pipeline_load_soon(u->pl, true);
    bool ok = open_sampler(u, pc, err, sizeof(err)) == 0;
    if (ok && !u->ps && u->reniced) /* (perf refused: ptrace alone) */
        u->reniced = setpriority(PRIO_PROCESS, 0, 0) != 0;
    bool kernel = ok && u->ps && !perf_kernel_excluded(u->ps);
    /* (the kernel's symbols in a thread of their own: from now when what
     * the first samples need comes before the program, else once it runs) */
    if (python_first(u))
        pipeline_load_soon(u->pl, kernel);
    /* What the first samples need, before the program or after it (the
     * ptrace backend takes its samples in tprof's own loop: a load at a
     * first sample held a round up and gave one stack the ticks owed
     * meanwhile, 5 points of a 1.5 s qsort_cb run to memmove). Before,
     * while the kernel program loads in its thread. */
    bool prepare_first = python_first(u) || u->pt;
    if (ok && prepare_first)
        pipeline_prepare(u->pl, u->pyexe[0] ? u->pyexe : NULL, true);
    if (!ok || (!kernel_program_later(u) && kernel_program(u, err, sizeof(err)) < 0)) {
        if (u->launched)
            launch_abort(&u->l);
        say("%s", err);
        return -1;
    }
    u->cpu0 = self_cpu_s();
    u->setup0 = setup_cpu_s();
    /* attached: Python processes are known from their first sample on */
    for (size_t i = 0; i < o->npids; i++)
        pipeline_python_attach(u->pl, (uint32_t)o->pids[i]);

    for (size_t i = 0; i < o->npids; i++) /* (their CPU from now on) */
        pipeline_cpu_track(u->pl, o->pids[i], true);
    u->t0 = now_s();
    /* (per CPU there is no enable_on_exec: on now, the samples before the
     * exec are left out by perf_watch) */
    if (u->launched && u->ps && perf_per_cpu(u->ps) && perf_enable(u->ps) < 0) {
        say("cannot enable sampling: %s", strerror(errno));
        launch_abort(&u->l);
        return -1;
    }
    if (u->launched) {
        int exec_errno = launch_go(&u->l);
        if (exec_errno) {
            launch_exec_failure_message(o->argv[0], exec_errno, err, sizeof(err));
            say("%s", err);
            int st;
            while (waitpid(u->l.pid, &st, 0) < 0 && errno == EINTR)
                ;
            *status = launch_exec_failure_status(exec_errno);
            return -1;
        }
    } else if (u->ps && perf_enable(u->ps) < 0) {
        say("cannot enable sampling: %s", strerror(errno));
        return -1;
    }
    /* What takes tprof time to set up is done now, with the program
     * running: its first samples wait in the buffers (sized for two
     * seconds of samples) and nothing is lost. */
    if (!python_first(u))
        pipeline_load_soon(u->pl, kernel);
    /* (the loop takes it once loaded, meanwhile Python frames are read
     * promptly after each sample, and other processes' samples dropped
     * by tprof) */
    u->kprog_pending = kernel_program_later(u);
    if (u->kprog_pending && o->python)
        pipeline_python_pending(u->pl);
    if (!prepare_first)
        pipeline_prepare(u->pl, u->pyexe[0] ? u->pyexe : NULL, false);
    return 0;
}

/* Live: the viewer, on the profile as it grows. */
static int viewer_start(struct run *u)
{
    const struct record_opts *o = u->o;
    char err[512];
    u->app = app_new(u->prof, u->title);
    app_set_frames_shown(u->app, !o->all_frames, false);
    u->log = linebuf_new(2000, 400);
    if (u->launched)
        app_set_log(u->app, u->log);
    app_set_export(u->app, export_now, u);
    app_set_unsaved_guard(u->app, !u->output);
    app_set_roots_native(u->app, ROOTS_THREAD);
    u->tl = timeline_new();
    pipeline_set_timeline(u->pl, u->tl);
    app_set_timeline(u->app, u->tl);
    app_set_roots(u->app, o->threads ? ROOTS_THREAD : o->pid_roots ? ROOTS_PROCESS : ROOTS_MERGED);
    pipeline_set_buffering(u->pl, true);
    char st[300];
    status_text(u, st, sizeof(st));
    app_set_status(u->app, st);
    if (app_start(u->app, err, sizeof(err)) < 0) {
        say("%s", err);
        app_free(u->app);
        u->app = NULL;
        u->prof = NULL; /* the app owned it */
        if (u->launched) {
            kill(u->l.pid, SIGKILL);
            waitpid(u->l.pid, NULL, 0);
        }
        return -1;
    }
    return 0;
}

/* -o: the profile written, or what became of it, into WRITTEN (for the
 * summary). -1 when writing failed. */
static int output_write(struct run *u, char *written, size_t len)
{
    const struct record_opts *o = u->o;
    const struct pipeline_stats *ps = pipeline_get_stats(u->pl);
    char err[512];
    if (ps->samples == 0 && !u->out_af) {
        snprintf(written, len, "; no samples, so nothing written");
        return 0;
    }
    if (!u->output && u->app) { /* live, no -o: say what became of it */
        snprintf(written, len, "%s",
                 app_saved(u->app) ? "; kept only as exported with e (-o FILE writes the "
                                     "whole run)"
                                   : "; profile not kept (-o FILE writes it; e in the viewer "
                                     "exports it)");
        return 0;
    }
    if (!u->out_af)
        return 0;
    profile_drop_base(u->prof); /* -o is this run's profile alone */
    /* A JIT frame named late may be in the tree twice: join them. The tree
     * has a root per thread: folded, speedscope and SVG get the roots
     * --threads / --pid-roots ask for (by program by default), and Python
     * stacks in the Python view unless --all-frames; pprof keeps every
     * root (as labels) and every frame. */
    struct profile *joined = NULL, *w = u->prof;
    enum roots_level level = o->threads ? ROOTS_THREAD : o->pid_roots ? ROOTS_PROCESS
                                                                     : ROOTS_MERGED;
    struct filter *fs[3];
    size_t nfs = 0;
    if (u->out_fmt != EXPORT_PPROF) {
        if (level != ROOTS_THREAD)
            fs[nfs++] = filter_new_roots(level);
        nfs += filter_view_defaults(u->prof, o->all_frames, false, fs + nfs);
    }
    if (nfs) {
        joined = filter_apply(u->prof, fs, nfs);
        for (size_t i = 0; i < nfs; i++)
            filter_free(fs[i]);
        w = joined;
    } else if (pipeline_has_twins(u->pl)) {
        joined = profile_new();
        profile_merge(joined, u->prof);
        w = joined;
    }
    profile_sort_children(w);
    long lines = export_to(w, (enum export_format)u->out_fmt,
                           o->argv ? o->argv[0] : "attached processes", u->out_af, err,
                           sizeof(err));
    profile_free(joined);
    u->out_af = NULL;
    if (lines < 0) {
        say("%s", err);
        return -1;
    }
    if (ps->samples == 0) /* (the file is this run's: no earlier one passes for it) */
        snprintf(written, len, "; no samples: wrote an empty profile to %s", u->output);
    else
        snprintf(written, len, "; wrote %ld stacks to %s", lines, u->output);
    return 0;
}

/* The one line at the end: how the recording went. */
static void summary_print(struct run *u, const char *written)
{
    const struct record_opts *o = u->o;
    const struct pipeline_stats *ps = pipeline_get_stats(u->pl);
    struct perf_stats st = {0};
    if (u->ps)
        st = *perf_get_stats(u->ps);
    double elapsed = u->t_end - u->t0, cpu = self_cpu_s();
    double trunc = ps->samples ? 100.0 * (double)ps->truncated / (double)ps->samples : 0;
    char stops[1024] = "";
    if (ps->cut)
        snprintf(stops, sizeof(stops), ", %.1f%% cut at --max-depth %" PRIu32,
                 100.0 * (double)ps->cut / (double)ps->samples, o->max_depth);
    if (u->pt) {
        size_t sl = strlen(stops);
        const struct ptrace_stats *pts = ptrace_get_stats(u->pt);
        snprintf(stops + sl, sizeof(stops) - sl,
                 ", threads stopped %" PRIu64 " times for %.0f us each", pts->stops,
                 pts->stops ? pts->stop_s / (double)pts->stops * 1e6 : 0);
    }
    if (ps->py_samples)
        python_summary(u, stops, sizeof(stops));
    if (ps->nosym) {
        size_t sl = strlen(stops);
        const char *urls = getenv("DEBUGINFOD_URLS");
        pipeline_nosym_text(ps, urls && *urls, stops + sl, sizeof(stops) - sl);
    }
    if (ps->jit_unnamed) {
        size_t sl = strlen(stops);
        snprintf(stops + sl, sizeof(stops) - sl, ", %.1f%% in JIT code nothing names (%s)",
                 100.0 * (double)ps->jit_unnamed / (double)ps->samples,
                 pipeline_jit_hint(ps->jit_comm));
    }
    if (st.lost && !u->reniced) {
        size_t sl = strlen(stops);
        snprintf(stops + sl, sizeof(stops) - sl, " (not root: tprof could not raise its "
                                                 "priority to drain in time)");
    }
    char cover[400] = "";
    if (!o->wall)
        pipeline_coverage_text(u->pl, st.lost,
                               !u->ps                ? COVER_PTRACE
                               : perf_per_cpu(u->ps) ? COVER_PER_CPU
                               : o->per_task         ? COVER_PER_TASK_ASKED
                                                     : COVER_PER_TASK,
                               cover, sizeof(cover));
    /* tprof's CPU: its set-up (before the program ran, and each load of
     * a file's tables, the kernel's symbols, the kernel program) apart from
     * what a sample costs; its share of a CPU while it sampled, not over a
     * run too short for a rate to mean anything (`true`: 0.11 s of set-up
     * and symbols over 6 ms was "1777.7%") */
    double setup = u->cpu0 + setup_cpu_s() - u->setup0;
    char share[128];
    int sl = snprintf(share, sizeof(share), " (%.2f s set-up", setup);
    if (elapsed >= 0.5 && ps->samples)
        sl += snprintf(share + sl, sizeof(share) - (size_t)sl,
                       ", %.0f us a sample; %.1f%% of a CPU while sampling",
                       1e6 * fmax(0, u->cpu_end - u->cpu0 - (u->setup_end - u->setup0)) /
                           (double)ps->samples,
                       100.0 * (u->cpu_end - u->cpu0) / elapsed);
    snprintf(share + sl, sizeof(share) - (size_t)sl, ")");
    say("%.2f s, %" PRIu64 " %s samples (%.0f/s) via %s%s, %" PRIu64 " lost, %" PRIu64
        " throttled, %.1f%% unwound short of a root%s, tprof CPU %.2f s%s%s",
        elapsed, ps->samples, o->wall ? "wall-clock" : "on-CPU",
        elapsed > 0 ? (double)ps->samples / elapsed : 0,
        !u->pt   ? (perf_per_cpu(u->ps) ? "perf_event_open per CPU" : "perf_event_open")
        : !u->ps ? "ptrace"
                 : (perf_per_cpu(u->ps) ? "perf_event_open per CPU + ptrace"
                                        : "perf_event_open + ptrace"),
        cover, st.lost, st.throttled, trunc, stops, cpu, share, written);
}

/* After the loop: the program's output written through, the notices, the
 * output file and the summary. Returns the exit status. */
static int recording_finish(struct run *u)
{
    const struct record_opts *o = u->o;
    pipeline_flush(u->pl);
    if (!u->sampling_done)
        sampling_end(u);
    int status = u->launched ? (u->exited ? launch_exit_status(u->wstatus) : 1) : 0;
    if (u->launched && u->exited && WIFSIGNALED(u->wstatus) && !o->quiet && !u->stop_signal &&
        !u->app)
        say("%s killed by signal %d (%s)", o->argv[0],
            WTERMSIG(u->wstatus), strsignal(WTERMSIG(u->wstatus)));

    /* What the program printed while the viewer had the screen. */
    capture_flush(&u->out, 1);
    capture_flush(&u->err, 2);

    if (u->kprog_note[0])
        say("%s", u->kprog_note);
    say_notices(u);

    char written[600] = "";
    if (output_write(u, written, sizeof(written)) < 0)
        status = 1;
    /* No samples is a failure, whatever the program did (a CI step must
     * not take it for a profile); the program's own failure comes first. */
    bool none = pipeline_get_stats(u->pl)->samples == 0;
    if (none && status == 0)
        status = 1;
    if (!o->quiet)
        summary_print(u, written);
    else if (none) /* (-q keeps errors, and this is one: "; no samples...") */
        say("%s", written[0] ? written + 2 : "no samples");
    return status;
}

/* Nothing left behind: no half output, nothing traced or stopped. */
static void recording_close(struct run *u)
{
    atomicfile_abort(u->out_af);
    profile_free(u->base);
    if (u->ps)
        perf_close(u->ps); /* attached processes just stop being sampled */
    if (u->pt) {
        ptrace_finish(u->pt); /* nothing is left traced or stopped */
        ptrace_close(u->pt);
    }
    for (struct capture *c = &u->out; c; c = c == &u->out ? &u->err : NULL) {
        if (c->fd >= 0)
            close(c->fd);
        if (c->keep)
            fclose(c->keep);
    }
    if (u->app)
        app_free(u->app); /* frees the profile */
    else
        profile_free(u->prof);
    linebuf_free(u->log);
    pipeline_free(u->pl);
    timeline_free(u->tl);
    free(u->tids);
    if (u->sfd >= 0)
        close(u->sfd);
    if (u->tfd >= 0)
        close(u->tfd);
    sigprocmask(SIG_SETMASK, &u->oldmask, NULL);
}

int cmd_record(const struct record_opts *o)
{
    struct run run, *u = &run;
    memset(u, 0, sizeof(*u));
    u->o = o;
    u->out.fd = u->err.fd = u->sfd = u->tfd = -1;
    u->live = !o->no_tui && isatty(0) && isatty(1);
    char why[160];
    if (u->live && !term_can_draw(why, sizeof(why))) {
        /* (an Emacs shell, a CI pty: the program still gets profiled) */
        u->live = false;
        say("%s: recording without the viewer, as --no-tui", why);
    }
    int status = 1;
    struct perf_config pc = {.freq = o->freq, .callgraph = o->callgraph,
                             .stack_size = o->stack_size, .per_cpu = !o->per_task};
    if (signals_open(u) == 0 && inputs_open(u) == 0) {
        pipeline_open(u);
        if (target_open(u, &pc) == 0 && sampling_start(u, &pc, &status) == 0 &&
            (!u->live || viewer_start(u) == 0)) {
            double period = 1.0 / (o->refresh > 0 ? o->refresh : 2.0);
            struct timespec p = {(time_t)period, (long)((period - (time_t)period) * 1e9)};
            struct itimerspec its = {p, p};
            timerfd_settime(u->tfd, 0, &its, NULL);
            loop(u);
            status = recording_finish(u);
        }
    }
    recording_close(u);
    return status;
}
