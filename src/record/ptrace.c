/*
 * ptrace: sampling without perf_event_open. The target's threads are seized
 * (PTRACE_SEIZE: no stop, no signal) with the TRACECLONE/FORK/VFORK/EXEC
 * options, so every thread and child it makes is traced from its first
 * instruction. A timerfd ticks at the rate; each tick starts a round over
 * the threads to sample, ONE thread at a time: PTRACE_INTERRUPT, wait for
 * its PTRACE_EVENT_STOP, read the registers (PTRACE_GETREGSET) and the user
 * stack (one process_vm_readv), PTRACE_CONT, interrupt the next thread, and
 * only then unwind the copy with the same unwinder as the perf path. A
 * thread is stopped for the copy only, and never two at once.
 *
 * Nothing blocks: stops arrive through SIGCHLD (tprof's signalfd wakes the
 * poll loop) and are taken with waitpid(-1, __WALL | WNOHANG). Stops that
 * are not ours are handled as they come: a signal is passed on with the
 * PTRACE_CONT that resumes the thread (tprof never sends the target a
 * signal of its own), a job-control stop is honoured with PTRACE_LISTEN,
 * clone/fork/exec events update the threads and the address spaces.
 *
 * A tick that comes while the previous round is unfinished is an overrun:
 * the target's threads take longer to stop than the rate allows. When more
 * than a tenth of a second's ticks overrun, the rate is halved and a notice
 * says so.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/clock.h"
#include "tprof/fileutil.h"
#include "tprof/ptrace.h"
#include "tprof/xalloc.h"

#define MAX_FP_FRAMES 512
#define PAGE 4096
/* A thread that has not stopped this long after PTRACE_INTERRUPT (in an
 * uninterruptible wait) is left to stop when it can; the round goes on. */
#define STOP_PATIENCE_S 0.010

struct thr {
    UT_hash_handle hh;
    pid_t tid, pid;
    int stat_fd;      /* /proc/PID/task/TID/stat, -1 until needed */
    int sched_fd;     /* /proc/PID/task/TID/schedstat, -1 until needed */
    int comm_fd;      /* /proc/PID/task/TID/comm, -1 until needed */
    char comm[16];    /* its name as last told */
    double comm_at;   /* when the name was last looked at */
    uint64_t ran_ns;  /* schedstat when last looked at: CPU time (0: never), */
    uint64_t queued_ns; /* time runnable waiting for a CPU, */
    uint64_t runs;    /* times it was given a CPU (sched_ok: read) */
    bool sched_ok;
    double looked_at; /* when */
    /* Samples earned and not yet taken, in ticks: by its CPU time (cpu mode
     * and wall mode), its time runnable waiting for a CPU and its time
     * blocked (wall modes). Each goes only to a stack it was spent at. */
    double credit, queued, blocked;
    double held_due;  /* wall modes: ticks tprof held it stopped while it
                         ran, to be taken (not blocked time: the program's
                         clock ran on in the code it was stopped in) */
    char look_state;  /* its state letter at the look */
    double blocked_seen; /* when a look last found it blocked */
    uint8_t idle_gap, idle_left; /* ticks between looks at an idle thread */
    bool started;     /* its first stop was taken (or it was seized running) */
    bool announced;   /* its parent's clone/fork event was seen */
    bool held;        /* stopped at its first stop, waiting for that event */
    bool job_stopped; /* in a group-stop (SIGSTOP...), listening */
    bool interrupted; /* a PTRACE_INTERRUPT of ours is outstanding */
    double t0;        /* when it was sent */
};

struct ptrace_session {
    struct ptrace_config cfg;
    struct thr *threads;
    int tfd;
    bool active; /* sampling: after the launched program's exec */
    bool finished;
    pid_t main_pid; /* the launched program, 0 when attached */
    bool main_exited;
    int main_status;
    double main_cpu; /* its rusage when reaped (own and reaped children), or -1 */
    /* the round */
    VEC(pid_t) round;
    size_t round_at;
    bool in_round;
    double tick_at;       /* when the timer last fired */
    uint64_t rng;         /* for its intervals */
    double ticks_due;     /* ticks (of the rate asked for) since the last
                             round began */
    double round_ticks;   /* ticks the round stands for: more than one when
                             tprof was late to it or the last round overran */
    pid_t waiting;        /* the thread interrupted, 0: none */
    /* rate */
    double window_t0;
    uint64_t window_ticks, window_overruns;
    char notice[200];
    bool notice_new;
    struct ptrace_stats stats;
    /* the sample being handed out */
    uint64_t regs[20];
    uint8_t *stack;
    uint64_t ips[MAX_FP_FRAMES];
};

static void arm_timer(struct ptrace_session *s);

static long opts_for(const struct ptrace_session *s)
{
    long o = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC;
    if (s->main_pid) /* a launched program dies with tprof */
        o |= PTRACE_O_EXITKILL;
    return o;
}

/* ----- threads ----- */

static struct thr *thr_find(struct ptrace_session *s, pid_t tid)
{
    struct thr *t;
    HASH_FIND(hh, s->threads, &tid, sizeof(tid), t);
    return t;
}

static struct thr *thr_add(struct ptrace_session *s, pid_t tid, pid_t pid)
{
    struct thr *t = thr_find(s, tid);
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        t->tid = tid;
        t->stat_fd = t->sched_fd = t->comm_fd = -1;
        HASH_ADD(hh, s->threads, tid, sizeof(tid), t);
    }
    t->pid = pid;
    return t;
}

static void thr_del(struct ptrace_session *s, struct thr *t)
{
    if (s->waiting == t->tid)
        s->waiting = 0;
    if (t->stat_fd >= 0)
        close(t->stat_fd);
    if (t->sched_fd >= 0)
        close(t->sched_fd);
    if (t->comm_fd >= 0)
        close(t->comm_fd);
    HASH_DEL(s->threads, t);
    free(t);
}

char ptrace_stat_state(const char *stat, size_t len)
{
    /* " STATE ..." */
    const char *p = fileutil_stat_fields(stat, len);
    if (!p || p + 1 >= stat + len)
        return 0;
    return p[1];
}

/* Read the thread's /proc/PID/task/TID/NAME into BUF through *FD, opened
 * once and re-read from the start; the length, or -1. */
static ssize_t thr_proc(struct thr *t, int *fd, const char *name, char *buf, size_t len)
{
    if (*fd < 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)t->pid, (int)t->tid, name);
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0)
            return -1;
    }
    ssize_t n = pread(*fd, buf, len - 1, 0);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

/* The thread's state letter now, 0 when unknown. */
static char thr_state(struct thr *t)
{
    char buf[512];
    ssize_t n = thr_proc(t, &t->stat_fd, "stat", buf, sizeof(buf));
    return n > 0 ? ptrace_stat_state(buf, (size_t)n) : 0;
}

/* /proc/TID/schedstat: the CPU time it has run and the time it has waited
 * runnable for a CPU, in ns (as of its last switch or scheduler tick),
 * and the times it has been given a CPU; false when unknown. */
struct sched {
    uint64_t ran, queued, runs;
};

static bool thr_sched(struct thr *t, struct sched *sc)
{
    char buf[128], *end;
    if (thr_proc(t, &t->sched_fd, "schedstat", buf, sizeof(buf)) <= 0)
        return false;
    sc->ran = strtoull(buf, &end, 10);
    sc->queued = strtoull(end, &end, 10);
    sc->runs = strtoull(end, NULL, 10);
    return sc->ran > 0;
}

/* The process a task belongs to (Tgid in /proc/TID/status). */
static pid_t tgid_of(pid_t tid, pid_t fallback)
{
    char path[64], line[128];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return fallback;
    pid_t pid = fallback;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Tgid:", 5) == 0) {
            pid = (pid_t)atoi(line + 5);
            break;
        }
    fclose(f);
    return pid;
}

/* The thread's name now ("" when unknown); false when it cannot be read. */
static bool thr_comm(struct thr *t, char *buf, size_t len)
{
    bool ok = thr_proc(t, &t->comm_fd, "comm", buf, len) > 0;
    if (!ok)
        buf[0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* ----- attaching ----- */

/* Seize every thread of PID, again until no new one appeared meanwhile. */
static int seize_process(struct ptrace_session *s, pid_t pid, char *err, size_t errlen)
{
    for (int pass = 0; pass < 100; pass++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *d = opendir(path);
        if (!d) {
            snprintf(err, errlen, "no process %d", (int)pid);
            return -1;
        }
        bool fresh = false;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            pid_t tid = (pid_t)atoi(e->d_name);
            if (thr_find(s, tid))
                continue;
            if (ptrace(PTRACE_SEIZE, tid, 0, opts_for(s)) < 0) {
                if (errno == ESRCH) /* exited meanwhile */
                    continue;
                int e2 = errno;
                closedir(d);
                if (e2 == EPERM)
                    snprintf(err, errlen,
                             "ptrace of process %d not permitted (another user's process, "
                             "already traced, or kernel.yama.ptrace_scope); run as its user or "
                             "as root",
                             (int)pid);
                else
                    snprintf(err, errlen, "ptrace of process %d failed: %s", (int)pid,
                             strerror(e2));
                return -1;
            }
            struct thr *t = thr_add(s, tid, pid);
            t->started = t->announced = true;
            fresh = true;
        }
        closedir(d);
        if (!fresh)
            return 0;
    }
    return 0;
}

struct ptrace_session *ptrace_open(const struct ptrace_config *cfg, char *err, size_t errlen)
{
    struct ptrace_session *s = xcalloc(1, sizeof(*s));
    s->main_cpu = -1;
    s->cfg = *cfg;
    s->stats.freq = cfg->freq;
    s->stack = xmalloc(cfg->stack_size ? cfg->stack_size : 8);
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->tfd < 0) {
        snprintf(err, errlen, "timerfd: %s", strerror(errno));
        free(s->stack);
        free(s);
        return NULL;
    }
    if (cfg->pid) {
        s->main_pid = cfg->pid;
        if (ptrace(PTRACE_SEIZE, cfg->pid, 0, opts_for(s)) < 0) {
            snprintf(err, errlen,
                     "ptrace of the program not permitted (%s): a seccomp filter or "
                     "kernel.yama.ptrace_scope forbids it",
                     strerror(errno));
            ptrace_close(s);
            return NULL;
        }
        struct thr *t = thr_add(s, cfg->pid, cfg->pid);
        t->started = t->announced = true;
    } else {
        for (size_t i = 0; i < cfg->npids; i++)
            if (seize_process(s, cfg->pids[i], err, errlen) < 0) {
                ptrace_finish(s);
                ptrace_close(s);
                return NULL;
            }
        s->active = true;
    }
    s->rng = (uint64_t)(now_s() * 1e9) | 1;
    s->tick_at = s->window_t0 = now_s();
    arm_timer(s);
    return s;
}

int ptrace_fd(const struct ptrace_session *s)
{
    return s->tfd;
}

/* ----- sampling ----- */

size_t ptrace_fp_walk(uint64_t ip, uint64_t bp, uint64_t sp, const uint8_t *stack, size_t size,
                      uint64_t *ips, size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    ips[n++] = ip;
    while (n < max && bp >= sp && bp - sp + 16 <= size && (bp & 7) == 0) {
        uint64_t next, ret;
        memcpy(&next, stack + (bp - sp), 8);
        memcpy(&ret, stack + (bp - sp) + 8, 8);
        if (!ret)
            break;
        ips[n++] = ret;
        if (next <= bp)
            break;
        bp = next;
    }
    return n;
}

/* Copy up to SIZE bytes of TID's stack from SP: one process_vm_readv whose
 * remote side is split at pages, so an unmapped page ends the copy there
 * (transfers are partial only at element boundaries). */
static size_t read_stack(pid_t tid, uint64_t sp, uint8_t *buf, size_t size)
{
    struct iovec remote[32], local = {buf, size};
    size_t n = 0, off = 0;
    while (off < size && n < 32) {
        uint64_t at = sp + off;
        size_t len = PAGE - (at % PAGE);
        if (len > size - off)
            len = size - off;
        remote[n++] = (struct iovec){(void *)(uintptr_t)at, len};
        off += len;
    }
    local.iov_len = off;
    ssize_t got = process_vm_readv(tid, &local, 1, remote, n, 0);
    return got > 0 ? (size_t)got : 0;
}

/* What a thread's time since the last look earns, in samples at the rate
 * asked for: its CPU time (like perf's cpu-clock, one sample per 1/freq s
 * of it: being runnable is not enough, with more runnable threads than
 * CPUs each gets a share of one), and in wall mode the rest of the wall
 * time, split by schedstat into waiting runnable for a CPU and blocked.
 * Each goes to a stack the thread was stopped at doing that: the CPU time
 * to one it was running, the blocked time to one it was blocked in (see
 * take_sample), whenever the sample is taken. So a tracer that gets a CPU
 * only when the thread blocks (sharing its CPU, it waits for the thread's
 * slice to end) cannot move time from where it was spent. Beside perf
 * (PTRACE_BLOCKED), perf samples the CPU time. Without schedstat, each
 * look earns the ticks since the last round, to the CPU time when the
 * thread is in state R. Notes the state ST it was found in; returns
 * whether the thread is idle (has not run since the last look). */
static bool thr_look(struct ptrace_session *s, struct thr *t, char st)
{
    double now = now_s(), freq = s->cfg.freq;
    t->look_state = st;
    if (st != 'R')
        t->blocked_seen = now;
    struct sched sc;
    t->sched_ok = thr_sched(t, &sc);
    if (!t->sched_ok) {
        if (st == 'R')
            t->credit = s->cfg.which == PTRACE_BLOCKED ? 0 : s->round_ticks;
        else if (s->cfg.which != PTRACE_RUNNING)
            t->blocked += s->round_ticks;
        return false;
    }
    bool seen = t->ran_ns != 0, idle = seen && sc.ran == t->ran_ns;
    if (seen && sc.ran >= t->ran_ns && sc.queued >= t->queued_ns) {
        double cpu = (double)(sc.ran - t->ran_ns) / 1e9, q = (double)(sc.queued - t->queued_ns) / 1e9;
        /* (schedstat's CPU time of a running thread lags by up to a
         * scheduler tick: the blocked time is not clamped at 0 either, so
         * that the lag evens out) */
        double off = now - t->looked_at - cpu - q;
        if (s->cfg.which != PTRACE_BLOCKED)
            t->credit += cpu * freq;
        if (s->cfg.which != PTRACE_RUNNING) {
            t->queued += q * freq;
            t->blocked += off * freq;
        }
    }
    t->ran_ns = sc.ran;
    t->queued_ns = sc.queued;
    t->runs = sc.runs;
    t->looked_at = now;
    return idle;
}

/* Whether no look has found T blocked for 100 ms: it spins. */
static bool spins(const struct thr *t)
{
    return now_s() - t->blocked_seen > 0.1;
}

/* Whether the round should stop thread T, in state ST: one in state R
 * (running, or runnable) is stopped at every tick while its CPU time is
 * within a few ticks of its samples (see below), one blocked once its
 * blocked or queued time has earned a sample. */
static bool thr_due(struct ptrace_session *s, struct thr *t, char st)
{
    /* The kernel advances a running thread's CPU time only at its
     * scheduler ticks, so credit arrives in steps. Sampling only once a
     * step has come would tie the samples to that tick and alias with any
     * program whose phases are periodic; instead a running thread is
     * sampled at every tick of ours, one sample each, and may run up to
     * 10 ms into debt; a thread that ran more than it was sampled (a round
     * took several ticks, the rate was lowered) gets it all in one sample,
     * lest its credit grow and be lost when it stops running. */
    double debt = s->cfg.freq / 100.0 > 2 ? s->cfg.freq / 100.0 : 2;
    if (st == 'R') /* (what a running stop takes: see stop_weight) */
        return s->cfg.which == PTRACE_BLOCKED
                   ? (spins(t) ? t->queued + t->blocked : 0) + t->held_due >= 1
                   : t->credit >= -debt;
    return s->cfg.which != PTRACE_RUNNING && t->blocked + t->queued >= 1;
}

/* Pass the next thread of the round an interrupt; the round ends when none
 * is left. */
static void round_next(struct ptrace_session *s)
{
    while (s->round_at < s->round.n) {
        pid_t tid = s->round.v[s->round_at++];
        struct thr *t = thr_find(s, tid);
        if (!t || !t->started || t->held || t->interrupted)
            continue;
        if (t->job_stopped) {
            /* SIGCONT resumes every thread but tells only one of them */
            char st = thr_state(t);
            if (st == 't' || st == 'T' || st == 0)
                continue;
            t->job_stopped = false;
        }
        /* A thread that has not run is looked at less and less often (up
         * to every 8th tick): its time is counted whenever it is looked
         * at, so nothing is lost, and a thousand idle threads cost little. */
        if (t->idle_left > 0) {
            t->idle_left--;
            continue;
        }
        char st = thr_state(t);
        /* (a zombie leader never stops) */
        if (st == 0 || st == 'Z' || st == 'X')
            continue;
        bool idle = thr_look(s, t, st);
        t->idle_gap = idle ? (t->idle_gap ? (t->idle_gap < 8 ? t->idle_gap * 2 : 8) : 1) : 0;
        t->idle_left = t->idle_gap;
        if (!thr_due(s, t, st))
            continue;
        if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
            continue;
        t->interrupted = true;
        t->t0 = now_s();
        s->waiting = tid;
        return;
    }
    s->in_round = false;
}

/* TID will not stop for the round, or has: interrupt the next thread. */
static void round_go_on(struct ptrace_session *s, pid_t tid)
{
    if (s->waiting == tid) {
        s->waiting = 0;
        round_next(s);
    }
}

/* The ticks a sample of T stopped with registers UR stands for, taken
 * from its credit: 0 for none. WAITED: it was given a CPU again after the
 * look. */
static uint32_t stop_weight(struct ptrace_session *s, struct thr *t,
                            const struct user_regs_struct *ur, bool waited, bool *running)
{
    /* Blocked when looked at: stopped in a system call the interrupt
     * broke off (to be restarted), or leaving one it was woken in (data
     * for its read()): blocked then, given a CPU after the look. One in
     * state R then that was given a CPU after the look was preempted (a
     * send() that woke its peer on this CPU, tprof's own wake-up): not
     * running when looked at, its stack not known to be where it waited;
     * no sample, its credit kept. Else it was running, or runnable, the
     * code it stopped in: one stopped in user code was running that code
     * when it last had a CPU. */
    long rv = (long)ur->rax;
    bool in_call = (long)ur->orig_rax >= 0;
    bool blocked = in_call && (rv == -EINTR || rv == -512 || rv == -513 || rv == -514 ||
                               rv == -516 || (waited && t->look_state != 'R'));
    *running = !blocked && !(in_call && waited);
    if (!blocked && !*running)
        return 0;
    double w;
    if (blocked) {
        /* its CPU time goes to a later sample taken while it runs (the
         * send() of a socket client got 23% of its samples here in cpu
         * mode, perf 3%); its time blocked and queued to this one */
        w = floor(t->blocked + t->queued);
        t->blocked -= w;
        if (t->blocked < 0) {
            t->queued += t->blocked;
            t->blocked = 0;
        }
        return (uint32_t)w;
    }
    /* Running: one sample at least while its CPU time is within the debt
     * thr_due allows, more for the CPU time it has earned; plus the time
     * tprof held it stopped running. A thread that spins (preempted now
     * and then) takes its time waiting for a CPU here, and its blocked
     * time too: schedstat counts a wait for a CPU only once it has ended,
     * so until then it looks like time blocked (8 spinning threads on 2
     * CPUs got 26-90% of their wall time). One that blocks keeps both for
     * a stop in a blocking call: it waits for a CPU mostly after it was
     * woken, still in the call (the peer of a socket exchange: 7 points of
     * its wall time went from its read() to its code). */
    w = floor(t->held_due);
    t->held_due -= w;
    if (spins(t)) {
        double q = floor(t->queued + t->blocked);
        t->queued += t->blocked - q;
        t->blocked = 0;
        w += q;
    }
    if (s->cfg.which != PTRACE_BLOCKED) {
        /* A credit of more than a few ticks (tprof was held up: a stall
         * of its loop, a machine busy with other work) is paid a quarter
         * at each stop, over the stops that follow, not to the one stack
         * the thread happened to be in: 100 ms of it once put 5 points
         * of a qsort run on one function. */
        double c = t->credit >= 2 ? floor(t->credit > 8 ? t->credit / 4 : t->credit) : 1;
        t->credit -= c;
        w += c;
    }
    return (uint32_t)w;
}

/* T is stopped: copy its registers and stack, resume it (passing SIG on),
 * then hand the sample out. */
static void take_sample(struct ptrace_session *s, struct thr *t, int sig, perf_event_fn cb,
                        void *arg)
{
    struct user_regs_struct ur;
    struct iovec io = {&ur, sizeof(ur)};
    double seen = now_s(); /* (about when it stopped) */
    bool ok = ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_PRSTATUS, &io) == 0;
    /* Was it on a CPU when looked at? (Read now, stopped: once resumed
     * it is given a CPU again.) */
    struct sched sc;
    bool waited = ok && t->sched_ok && (long)ur.orig_rax >= 0 && thr_sched(t, &sc) &&
                  sc.runs != t->runs;
    size_t got = 0;
    if (ok && s->cfg.stack_size)
        got = read_stack(t->tid, ur.rsp, s->stack, s->cfg.stack_size);
    if (ok && s->cfg.stopped)
        s->cfg.stopped(s->cfg.stopped_arg, (uint32_t)t->pid, (uint32_t)t->tid, ur.fs_base);
    ptrace(PTRACE_CONT, t->tid, 0, sig);
    double resumed = now_s(), held = resumed - t->t0;
    t->interrupted = false;
    s->stats.stops++;
    s->stats.stop_s += held;
    round_go_on(s, t->tid); /* the next thread stops while this one is unwound */
    if (!ok)
        return;
    bool running;
    uint32_t weight = stop_weight(s, t, &ur, waited, &running);
    if (running && s->cfg.which != PTRACE_RUNNING) {
        /* (the next look counts this stop in the time off the CPU) */
        double d = (resumed - seen) * s->cfg.freq;
        t->blocked -= d;
        t->held_due += d;
    }
    if (weight == 0)
        return;
    /* No COMM records either: a thread's name (pthread_setname_np) is
     * looked at when it is sampled, at most every 10 ms (one pread of an
     * open file, ~2 us). Once a second was too rare: a thread sampled
     * before it named itself kept the old name for its first second, all
     * of a short thread's life. */
    double now = now_s();
    if (s->cfg.sideband && now - t->comm_at >= 0.01) {
        char comm[32];
        t->comm_at = now;
        if (thr_comm(t, comm, sizeof(comm))) {
            if (strncmp(comm, t->comm, sizeof(t->comm)) != 0) {
                snprintf(t->comm, sizeof(t->comm), "%.15s", comm);
                struct perf_ev ce = {.type = PERF_EV_COMM};
                ce.u.comm = (struct perf_comm){(uint32_t)t->pid, (uint32_t)t->tid, t->comm, false};
                cb(arg, &ce);
            }
        }
    }

    /* perf's sampled-register order: AX BX CX DX SI DI BP SP IP FLAGS CS SS R8..R15 */
    const uint64_t r[20] = {ur.rax, ur.rbx, ur.rcx,    ur.rdx, ur.rsi, ur.rdi, ur.rbp,
                            ur.rsp, ur.rip, ur.eflags, ur.cs,  ur.ss,  ur.r8,  ur.r9,
                            ur.r10, ur.r11, ur.r12,    ur.r13, ur.r14, ur.r15};
    memcpy(s->regs, r, sizeof(r));
    struct perf_ev ev = {.type = PERF_EV_SAMPLE};
    struct perf_sample *ps = &ev.u.sample;
    ps->pid = (uint32_t)t->pid;
    ps->tid = (uint32_t)t->tid;
    ps->ip = ur.rip;
    ps->period = 1;
    ps->weight = weight;
    if (s->cfg.callgraph == PERF_CG_FP) {
        ps->user_ips = s->ips;
        ps->nr_user_ips =
            ptrace_fp_walk(ur.rip, ur.rbp, ur.rsp, s->stack, got, s->ips, MAX_FP_FRAMES);
    } else {
        ps->regs = s->regs;
        ps->stack = s->stack;
        ps->stack_size = got;
    }
    s->stats.samples++;
    cb(arg, &ev);
}

/* Arm the timer for the next tick: in a random time between half and one
 * and a half periods, a period on average. A timer of fixed period keeps
 * step with perf's per-CPU timers, of the same period: the stops it makes
 * shift the program's threads (a socket client and its peer, handing work
 * back and forth) until perf samples the same moment of their cycle run
 * after run (wall mode beside perf: one thread's share 9 points off, the
 * other way the next run). What a round credits a thread is measured
 * (schedstat, or the time since the last round), not counted in ticks. */
static void arm_timer(struct ptrace_session *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    double r = 0.5 + (double)(x >> 11) / 9007199254740992.0; /* [0.5, 1.5) */
    uint64_t ns = (uint64_t)(r * 1e9 / (double)s->stats.freq);
    struct itimerspec its = {{0, 0}, {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)}};
    timerfd_settime(s->tfd, 0, &its, NULL);
}

static void lower_rate(struct ptrace_session *s)
{
    unsigned f = s->stats.freq / 2;
    if (f < 10)
        return;
    s->stats.freq = f;
    arm_timer(s);
    snprintf(s->notice, sizeof(s->notice),
             "ptrace sampling lowered from %u to %u Hz: the target's threads could not be "
             "stopped that often (too many runnable threads for the CPUs?)",
             s->cfg.freq, f);
    s->notice_new = true;
}

/* The timer fired (N times: once, it is not periodic). */
static void tick(struct ptrace_session *s, uint64_t n)
{
    double now = now_s();
    arm_timer(s);
    s->window_ticks += n;
    s->ticks_due += (now - s->tick_at) * s->cfg.freq;
    s->tick_at = now;
    if (s->in_round) {
        s->stats.overruns += n;
        s->window_overruns += n;
        /* A thread in an uninterruptible wait stops when it can; do not
         * hold the others' samples back for it. */
        struct thr *w = s->waiting ? thr_find(s, s->waiting) : NULL;
        if (w && now - w->t0 > STOP_PATIENCE_S)
            round_go_on(s, w->tid);
    } else if (s->active) {
        s->round.n = 0;
        struct thr *t, *tmp;
        HASH_ITER(hh, s->threads, t, tmp)
        VEC_PUSH(s->round, t->tid);
        s->round_at = 0;
        s->round_ticks = s->ticks_due;
        s->ticks_due = 0;
        s->in_round = true;
        round_next(s);
    }
    if (now - s->window_t0 >= 1.0) {
        if (s->window_overruns * 10 > s->window_ticks)
            lower_rate(s);
        s->window_t0 = now;
        s->window_ticks = s->window_overruns = 0;
    }
}

/* ----- stops ----- */

static void emit_task(perf_event_fn cb, void *arg, enum perf_ev_type type, pid_t pid, pid_t tid,
                      pid_t ppid, pid_t ptid)
{
    struct perf_ev ev = {.type = type};
    ev.u.task = (struct perf_task){(uint32_t)pid, (uint32_t)ppid, (uint32_t)tid, (uint32_t)ptid};
    cb(arg, &ev);
}

/* A clone/fork/vfork of PARENT made CHILD. */
static void on_new_task(struct ptrace_session *s, struct thr *parent, pid_t child, int event,
                        perf_event_fn cb, void *arg)
{
    pid_t pid = event == PTRACE_EVENT_CLONE ? tgid_of(child, parent->pid) : child;
    struct thr *c = thr_find(s, child);
    bool held = c && c->held;
    c = thr_add(s, child, pid);
    c->announced = true;
    if (s->cfg.sideband)
        emit_task(cb, arg, PERF_EV_FORK, pid, child, parent->pid, parent->tid);
    if (held) { /* its first stop came first: now it may run */
        c->held = false;
        c->started = true;
        ptrace(PTRACE_CONT, child, 0, 0);
    }
}

static void on_exec(struct ptrace_session *s, struct thr *t, perf_event_fn cb, void *arg)
{
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former);
    /* Every other thread of the process is gone now; the one that called
     * exec has taken the leader's id. */
    struct thr *o, *tmp;
    HASH_ITER(hh, s->threads, o, tmp)
    if (o != t && (o->pid == t->pid || o->tid == (pid_t)former))
        thr_del(s, o);
    /* The task behind this id may be another one now (a thread that
     * exec'd takes the leader's id): its /proc files and CPU time anew. */
    int *fds[] = {&t->stat_fd, &t->sched_fd, &t->comm_fd};
    for (size_t i = 0; i < 3; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    t->ran_ns = 0;
    t->credit = t->queued = t->blocked = t->held_due = 0;
    round_go_on(s, t->tid);
    t->interrupted = false; /* cancelled by this stop; a new program: no sample */
    if (s->cfg.sideband) {
        struct perf_ev ev = {.type = PERF_EV_COMM};
        char comm[32];
        thr_comm(t, comm, sizeof(comm));
        snprintf(t->comm, sizeof(t->comm), "%.15s", comm);
        t->comm_at = now_s();
        ev.u.comm = (struct perf_comm){(uint32_t)t->pid, (uint32_t)t->tid, comm, true};
        cb(arg, &ev);
        emit_task(cb, arg, PERF_EV_MAPS, t->pid, t->tid, t->pid, t->tid);
    }
    if (t->tid == s->main_pid)
        s->active = true;
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stop(struct ptrace_session *s, pid_t tid, int status, perf_event_fn cb, void *arg)
{
    int sig = WSTOPSIG(status);
    int event = (unsigned)status >> 16;
    struct thr *t = thr_find(s, tid);
    if (!t) {
        /* A new thread or child, stopped before its parent's event told us
         * about it: hold it there, so that the fork is known before
         * anything it does (an exec) is. */
        t = thr_add(s, tid, tgid_of(tid, tid));
        t->held = true;
        return;
    }
    if (!t->started) {
        t->started = true;
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    switch (event) {
    /* Any stop cancels a pending PTRACE_INTERRUPT (the kernel clears it),
     * so a thread we interrupted that stops for a signal or a clone is
     * sampled at that stop: it is stopped anyway, in its own code. */
    case 0: /* signal-delivery-stop: pass the signal on */
        t->job_stopped = false;
        if (t->interrupted && !s->finished)
            take_sample(s, t, sig, cb, arg);
        else
            ptrace(PTRACE_CONT, tid, 0, sig);
        return;
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK: {
        unsigned long child = 0;
        if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && child)
            on_new_task(s, t, (pid_t)child, event, cb, arg);
        if (t->interrupted && !s->finished)
            take_sample(s, t, 0, cb, arg);
        else
            ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    case PTRACE_EVENT_EXEC:
        on_exec(s, t, cb, arg);
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    case PTRACE_EVENT_STOP:
        if (is_stop_signal(sig)) { /* group-stop: stay stopped, as without us */
            t->job_stopped = true;
            t->interrupted = false;
            round_go_on(s, tid);
            ptrace(PTRACE_LISTEN, tid, 0, 0);
            return;
        }
        t->job_stopped = false;
        if (t->interrupted && !s->finished) {
            take_sample(s, t, 0, cb, arg);
            return;
        }
        t->interrupted = false;
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    default:
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
}

static void on_gone(struct ptrace_session *s, pid_t tid, int status, perf_event_fn cb, void *arg)
{
    struct thr *t = thr_find(s, tid);
    if (tid == s->main_pid) {
        s->main_exited = true;
        s->main_status = status;
    }
    if (!t)
        return;
    pid_t pid = t->pid;
    round_go_on(s, tid);
    thr_del(s, t);
    if (s->cfg.sideband && pid == tid)
        emit_task(cb, arg, PERF_EV_EXIT, pid, tid, pid, tid);
}

/* waitpid(-1, __WALL | WNOHANG), keeping the launched program's rusage
 * when it is the one reaped. */
static pid_t wait_any(struct ptrace_session *s, int *status)
{
    struct rusage ru;
    pid_t tid = wait4(-1, status, __WALL | WNOHANG, &ru);
    if (tid > 0 && tid == s->main_pid && (WIFEXITED(*status) || WIFSIGNALED(*status)))
        s->main_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return tid;
}

static void take_stops(struct ptrace_session *s, perf_event_fn cb, void *arg)
{
    for (;;) {
        int status;
        pid_t tid = wait_any(s, &status);
        if (tid <= 0)
            return;
        if (WIFSTOPPED(status))
            on_stop(s, tid, status, cb, arg);
        else if (WIFEXITED(status) || WIFSIGNALED(status))
            on_gone(s, tid, status, cb, arg);
    }
}

void ptrace_read(struct ptrace_session *s, perf_event_fn cb, void *arg)
{
    take_stops(s, cb, arg);
    uint64_t n;
    if (!s->finished && read(s->tfd, &n, sizeof(n)) == (ssize_t)sizeof(n)) {
        tick(s, n);
        take_stops(s, cb, arg);
    }
}

double ptrace_main_cpu(const struct ptrace_session *s)
{
    return s->main_exited ? s->main_cpu : -1;
}

bool ptrace_exited(const struct ptrace_session *s, int *wstatus)
{
    if (s->main_exited && wstatus)
        *wstatus = s->main_status;
    return s->main_exited;
}

size_t ptrace_threads(const struct ptrace_session *s)
{
    return HASH_COUNT(s->threads);
}

/* ----- the end ----- */

/* Detaching can wait this long for threads to stop; one still running
 * then (an uninterruptible wait) is detached by the kernel when tprof exits
 * (a launched program, with EXITKILL, is killed then). */
#define DETACH_PATIENCE_S 5.0

void ptrace_finish(struct ptrace_session *s)
{
    if (s->finished)
        return;
    s->finished = true;
    s->waiting = 0;
    s->in_round = false;
    struct itimerspec off = {{0, 0}, {0, 0}};
    timerfd_settime(s->tfd, 0, &off, NULL);
    /* PTRACE_DETACH needs a stopped thread: interrupt them all, then detach
     * each as it stops, in whatever order the stops come. Waiting for one
     * particular thread could wait forever: a vfork parent does not stop
     * until its child, stopped in a ptrace stop of its own, has run. */
    struct thr *t, *tmp;
    HASH_ITER(hh, s->threads, t, tmp)
    {
        if (t->held) /* stopped already, its stop taken */
            ptrace(PTRACE_DETACH, t->tid, 0, 0);
        if (t->held || ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
            thr_del(s, t);
    }
    double deadline = now_s() + DETACH_PATIENCE_S;
    while (s->threads && now_s() < deadline) {
        int status;
        pid_t tid = wait_any(s, &status);
        if (tid == 0 || (tid < 0 && errno == EINTR)) {
            poll(NULL, 0, 1);
            continue;
        }
        if (tid < 0) /* nothing traced is left */
            break;
        t = thr_find(s, tid);
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (tid == s->main_pid) {
                s->main_exited = true;
                s->main_status = status;
            }
            if (t)
                thr_del(s, t);
            continue;
        }
        int event = (unsigned)status >> 16;
        unsigned long child = 0;
        if ((event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
             event == PTRACE_EVENT_VFORK) &&
            ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && child &&
            !thr_find(s, (pid_t)child)) /* traced from birth: detach it at its first stop */
            thr_add(s, (pid_t)child, (pid_t)child);
        /* a signal on its way goes with the detach; a group-stop stays */
        ptrace(PTRACE_DETACH, tid, 0, event == 0 ? WSTOPSIG(status) : 0);
        if (t)
            thr_del(s, t);
    }
}

void ptrace_close(struct ptrace_session *s)
{
    if (!s)
        return;
    struct thr *t, *tmp;
    HASH_ITER(hh, s->threads, t, tmp)
    thr_del(s, t);
    if (s->tfd >= 0)
        close(s->tfd);
    VEC_FREE(s->round);
    free(s->stack);
    free(s);
}

const struct ptrace_stats *ptrace_get_stats(const struct ptrace_session *s)
{
    return &s->stats;
}

bool ptrace_take_notice(struct ptrace_session *s, char *buf, size_t len)
{
    if (!s->notice_new)
        return false;
    s->notice_new = false;
    snprintf(buf, len, "%s", s->notice);
    return true;
}
