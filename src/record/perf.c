/*
 * perf: the perf_event_open sampler. One cpu-clock event per CPU follows the
 * target (inherit=1 covers threads and children made after the open), each
 * with its own ring buffer. Reading follows the kernel's protocol: load
 * data_head with acquire, parse [tail, head), store data_tail with release.
 *
 * Attaching to a running process opens one event per existing thread and
 * CPU (inherit only covers threads created after the open); the events of
 * one CPU share that CPU's ring through PERF_EVENT_IOC_SET_OUTPUT, as perf
 * does, so the number of buffers stays the number of CPUs.
 *
 * Records from different CPU buffers interleave in time, and a sample must
 * be processed after the MMAP2 record that maps its code, so records are
 * copied into a pending queue and handed out in timestamp order in rounds,
 * like perf's ordered_events: after a drain, everything not newer than the
 * previous drain's newest record is safe, because a record still unread then
 * was written after that drain began.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/perf.h"
#include "tprof/xalloc.h"

#ifndef PERF_RECORD_MISC_MMAP_BUILD_ID
#define PERF_RECORD_MISC_MMAP_BUILD_ID (1 << 14)
#endif

struct ring {
    int fd;
    struct perf_event_mmap_page *meta;
    uint8_t *data;
    uint64_t size; /* data area, a power of two */
    size_t map_len;
    uint64_t last_sample; /* time of the newest sample drained from it */
};

struct pending {
    uint64_t time;
    uint64_t seq;
    uint32_t size;
    uint32_t pad;  /* keeps rec 8-byte aligned: records hold u64 arrays */
    uint8_t rec[];
};

/* Per CPU: a process whose records are kept. */
struct watched {
    UT_hash_handle hh;
    uint32_t pid;
    bool await_exec; /* its samples only after its exec */
};

struct perf_session {
    bool per_cpu;
    struct watched *watched;
    VEC(struct ring) rings;
    VEC(int) extra_fds; /* events whose records go to another event's ring */
    VEC(struct pending *) queue;
    uint64_t sample_type;
    uint64_t regs_mask;
    uint64_t seq;
    uint64_t prev_round_max;
    uint64_t period_ns; /* 1 s / the sampling frequency */
    bool kernel_excluded;
    struct perf_stats stats;
    perf_event_fn drained;
    void *drained_arg;
    void (*after_drain)(void *arg);
    void *after_drain_arg;
    perf_tap_fn tap; /* each record handed out, raw (the replay bench) */
    void *tap_arg;
};

void perf_set_drain_hook(struct perf_session *s, perf_event_fn fn, void *arg)
{
    s->drained = fn;
    s->drained_arg = arg;
}

void perf_set_after_drain(struct perf_session *s, void (*fn)(void *arg), void *arg)
{
    s->after_drain = fn;
    s->after_drain_arg = arg;
}

static long sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
                                unsigned long flags)
{
    return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

int perf_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int v = -100;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -100;
        fclose(f);
    }
    return v;
}

/* Seccomp mode of this process (0 none, 2 filter), from /proc/self/status. */
static int seccomp_mode(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    int mode = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Seccomp: %d", &mode) == 1)
            break;
    fclose(f);
    return mode;
}

static void describe_open_error(int e, char *err, size_t errlen)
{
    int par = perf_paranoid();
    if (e == EACCES || e == EPERM) {
        if (seccomp_mode() == 2 && (par <= 2 || geteuid() == 0))
            snprintf(err, errlen,
                     "perf_event_open blocked by a seccomp filter (container policy?); "
                     "allow perf_event_open or grant CAP_PERFMON");
        else
            snprintf(err, errlen,
                     "perf_event_open denied (kernel.perf_event_paranoid=%d); run as root or "
                     "'sysctl kernel.perf_event_paranoid=1'",
                     par);
    } else if (e == ENOSYS) {
        snprintf(err, errlen,
                 "perf_event_open not available (ENOSYS: kernel without perf events, or "
                 "blocked by a seccomp filter)");
    } else if (e == ENOENT || e == EOPNOTSUPP) {
        snprintf(err, errlen, "perf_event_open: cpu-clock event not supported here (%s)",
                 strerror(e));
    } else if (e == ESRCH) {
        snprintf(err, errlen, "perf_event_open: the process is gone");
    } else if (e == EMFILE) {
        snprintf(err, errlen, "perf_event_open: too many open files; raise 'ulimit -n'");
    } else {
        snprintf(err, errlen, "perf_event_open failed: %s", strerror(e));
    }
}

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static void fill_attr(struct perf_event_attr *a, const struct perf_config *cfg, bool excl_kernel,
                      bool build_id)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->type = PERF_TYPE_SOFTWARE;
    a->config = PERF_COUNT_SW_CPU_CLOCK;
    a->freq = 1;
    a->sample_freq = cfg->freq;
    a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
    if (cfg->callgraph == PERF_CG_DWARF) {
        a->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
        a->sample_regs_user = PERF_REGS_MASK;
        a->sample_stack_user = cfg->stack_size;
        if (!excl_kernel) {
            /* The kernel walks its own part; the user part is ours to unwind. */
            a->sample_type |= PERF_SAMPLE_CALLCHAIN;
            a->exclude_callchain_user = 1;
        }
    } else {
        a->sample_type |= PERF_SAMPLE_CALLCHAIN;
        a->sample_max_stack = 127;
        a->exclude_callchain_kernel = excl_kernel;
    }
    a->disabled = 1;
    a->enable_on_exec = cfg->enable_on_exec && !cfg->per_cpu;
    a->inherit = !cfg->per_cpu; /* (per CPU: every task on it already) */
    a->mmap = 1;
    a->mmap2 = 1;
    a->mmap_data = 1; /* .eh_frame_hdr sits in a non-executable segment */
    a->comm = 1;
    a->comm_exec = 1;
    a->task = 1;
    a->sample_id_all = 1;
    a->build_id = build_id;
    a->exclude_kernel = excl_kernel;
    a->exclude_hv = 1;
    /* Sample times on the clock tprof can read: a Python stack is read
     * only while its sample is recent (PYTHON_MAX_DELAY_NS). */
    a->use_clockid = 1;
    a->clockid = CLOCK_MONOTONIC;
    /* poll() wakes when a quarter of the buffer is used (perf_open sets
     * how much). A reader that must see each sample soon after it is taken
     * (Python stacks) wakes itself when the next one is due
     * (perf_next_due), not at each sample: wakeup_events=1 had the
     * sampled thread's CPU send itself an interrupt and tprof's CPU a
     * reschedule at every sample, which cost a CPU-bound Python program
     * ~60 us more of its own time per sample on this machine's virtual
     * CPUs (1.10x at 999 Hz instead of sampling's own 1.035x); tprof's own
     * timer costs it nothing. */
    a->watermark = 1;
}

static int ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? (int)n : 1;
}

static int map_ring(struct ring *r, uint64_t pages)
{
    long pg = sysconf(_SC_PAGESIZE);
    /* Halve the size when the locked-memory limit refuses it. */
    for (; pages >= 8; pages /= 2) {
        size_t len = (size_t)(pages + 1) * (size_t)pg;
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
        if (m != MAP_FAILED) {
            r->meta = m;
            r->data = (uint8_t *)m + pg;
            r->size = pages * (uint64_t)pg;
            r->map_len = len;
            return 0;
        }
        if (errno != EPERM && errno != ENOMEM)
            return -1;
    }
    return -1;
}

struct perf_session *perf_open(const struct perf_config *cfg, char *err, size_t errlen,
                               int *errnum, char *warn, size_t warnlen)
{
    if (warn && warnlen)
        warn[0] = '\0';
    struct perf_session *s = xcalloc(1, sizeof(*s));
    bool excl_kernel = false, build_id = true;
    int n = ncpus();
    int opened = 0, last_errno = 0;

    /* Size each buffer for about two seconds of samples (every sample
     * reserves the full stack size, whatever the stack really used), at
     * most 32 MiB: with many more runnable threads than CPUs, tprof gets
     * the CPU late, and what the buffer cannot hold is lost. One second
     * when tprof runs at a high priority (prompt): the kernel clears every
     * page of the buffers before the program may start (two of 32 MiB:
     * 8-14 ms here). Where the locked-memory limit is lower, map_ring
     * halves it until it fits. */
    uint64_t per_sample = 64 + (cfg->callgraph == PERF_CG_DWARF ? cfg->stack_size + 256 : 1100);
    uint64_t seconds = cfg->prompt ? 1 : 2;
    uint64_t pages = pow2_at_least((uint64_t)cfg->freq * per_sample * seconds / 4096 + 1);
    if (pages < 16)
        pages = 16;
    if (pages > 8192)
        pages = 8192;

    struct perf_config task_cfg = *cfg;
    if (cfg->per_cpu) {
        /* Per CPU where tprof may: the same event on every CPU, whatever
         * runs there (a thread shorter than a period is sampled as often
         * as its CPU time says). Refused: per task, as asked. Without
         * build ids in the MMAP2 records (the files' own notes give
         * them): a CPU-wide event that asks for them made every other perf
         * session's MMAP2 records carry the build-id flag over their
         * device and inode here (kernel 6.18), and perf record 6.1, run
         * beside tprof or under it, died reading them ("stack smashing
         * detected"). */
        build_id = false;
        struct perf_event_attr attr;
        fill_attr(&attr, cfg, false, build_id);
        int fd = (int)sys_perf_event_open(&attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            s->per_cpu = true;
        } else {
            task_cfg.per_cpu = false;
        }
    }
    cfg = &task_cfg;
    size_t ntargets = cfg->ntids && !s->per_cpu ? cfg->ntids : 1;
    for (int cpu = 0; cpu < n; cpu++) {
        int ring_fd = -1;
        for (size_t t = 0; t < ntargets; t++) {
            pid_t target = s->per_cpu ? -1 : cfg->ntids ? cfg->tids[t] : cfg->pid;
            struct perf_event_attr attr;
            int fd;
            for (;;) {
                fill_attr(&attr, cfg, excl_kernel, build_id);
                attr.wakeup_watermark = (uint32_t)(pages * 4096 / 4);
                fd = (int)sys_perf_event_open(&attr, target, cpu, -1, PERF_FLAG_FD_CLOEXEC);
                if (fd >= 0)
                    break;
                if (errno == EINVAL && build_id) {
                    build_id = false; /* kernel older than 5.12 */
                    continue;
                }
                if ((errno == EACCES || errno == EPERM) && !excl_kernel && opened == 0) {
                    excl_kernel = true; /* perf_event_paranoid >= 2 without privilege */
                    continue;
                }
                break;
            }
            if (fd < 0) {
                if (errno == ENODEV || errno == ENXIO) /* offline CPU */
                    break;
                if (errno == ESRCH && cfg->ntids) /* a thread that has just exited */
                    continue;
                last_errno = errno;
                goto done;
            }
            if (ring_fd >= 0) {
                if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring_fd) < 0) {
                    last_errno = errno;
                    close(fd);
                    goto done;
                }
                VEC_PUSH(s->extra_fds, fd);
                opened++;
                continue;
            }
            struct ring r = {.fd = fd};
            if (map_ring(&r, pages) < 0) {
                last_errno = errno;
                snprintf(err, errlen, "cannot map the perf ring buffer: %s; raise "
                         "kernel.perf_event_mlock_kb or 'ulimit -l'", strerror(errno));
                close(fd);
                *errnum = last_errno;
                perf_close(s);
                return NULL;
            }
            VEC_PUSH(s->rings, r);
            ring_fd = fd;
            s->sample_type = attr.sample_type;
            s->regs_mask = attr.sample_regs_user;
            opened++;
        }
    }
done:
    if (opened == 0 || last_errno) {
        int e = last_errno ? last_errno : ENODEV;
        describe_open_error(e, err, errlen);
        *errnum = e;
        perf_close(s);
        return NULL;
    }
    s->kernel_excluded = excl_kernel;
    s->period_ns = 1000000000u / (cfg->freq ? cfg->freq : 1);
    if (excl_kernel && warn)
        snprintf(warn, warnlen,
                 "kernel-mode time is not sampled (kernel.perf_event_paranoid=%d); run as root "
                 "to include it",
                 perf_paranoid());
    return s;
}

void perf_close(struct perf_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->rings.n; i++) {
        if (s->rings.v[i].meta)
            munmap(s->rings.v[i].meta, s->rings.v[i].map_len);
        close(s->rings.v[i].fd);
    }
    for (size_t i = 0; i < s->extra_fds.n; i++)
        close(s->extra_fds.v[i]);
    for (size_t i = 0; i < s->queue.n; i++)
        free(s->queue.v[i]);
    struct watched *w, *tmp;
    HASH_ITER(hh, s->watched, w, tmp)
    {
        HASH_DEL(s->watched, w);
        free(w);
    }
    VEC_FREE(s->extra_fds);
    VEC_FREE(s->rings);
    VEC_FREE(s->queue);
    free(s);
}

static int ioctl_all(struct perf_session *s, unsigned long req)
{
    int rc = 0;
    for (size_t i = 0; i < s->rings.n; i++)
        if (ioctl(s->rings.v[i].fd, req, 0) < 0)
            rc = -1;
    for (size_t i = 0; i < s->extra_fds.n; i++)
        if (ioctl(s->extra_fds.v[i], req, 0) < 0)
            rc = -1;
    return rc;
}

int perf_enable(struct perf_session *s)
{
    return ioctl_all(s, PERF_EVENT_IOC_ENABLE);
}

int perf_disable(struct perf_session *s)
{
    return ioctl_all(s, PERF_EVENT_IOC_DISABLE);
}

size_t perf_event_fds(const struct perf_session *s, int *fds, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->rings.n; i++, n++)
        if (n < max)
            fds[n] = s->rings.v[i].fd;
    for (size_t i = 0; i < s->extra_fds.n; i++, n++)
        if (n < max)
            fds[n] = s->extra_fds.v[i];
    return n;
}

size_t perf_fds(const struct perf_session *s, int *fds, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->rings.n && n < max; i++)
        fds[n++] = s->rings.v[i].fd;
    return n;
}

const struct perf_stats *perf_get_stats(const struct perf_session *s)
{
    return &s->stats;
}

bool perf_per_cpu(const struct perf_session *s)
{
    return s->per_cpu;
}

static struct watched *watched_find(const struct perf_session *s, uint32_t pid)
{
    struct watched *w;
    HASH_FIND(hh, s->watched, &pid, sizeof(pid), w);
    return w;
}

void perf_watch(struct perf_session *s, uint32_t pid, bool await_exec)
{
    struct watched *w = watched_find(s, pid);
    if (!w) {
        w = xcalloc(1, sizeof(*w));
        w->pid = pid;
        HASH_ADD(hh, s->watched, pid, sizeof(w->pid), w);
    }
    w->await_exec = await_exec;
}

/* Per CPU: whether the fork EV is by a watched process; if so, the child
 * it made (a process, not a thread) is watched from now on. */
static bool follow_fork(struct perf_session *s, const struct perf_ev *ev)
{
    if (!watched_find(s, ev->u.task.ppid))
        return false;
    if (ev->u.task.pid != ev->u.task.ppid && !watched_find(s, ev->u.task.pid))
        perf_watch(s, ev->u.task.pid, false);
    return true;
}

/* Per CPU: whether EV is the watched processes' (a fork by one of them
 * makes its child watched too; a launched program's exec ends its wait). */
static bool keep_event(struct perf_session *s, const struct perf_ev *ev)
{
    if (!s->per_cpu)
        return true;
    struct watched *w;
    switch (ev->type) {
    case PERF_EV_SAMPLE:
        w = watched_find(s, ev->u.sample.pid);
        return w && !w->await_exec;
    case PERF_EV_FORK:
        return follow_fork(s, ev);
    case PERF_EV_COMM:
        w = watched_find(s, ev->u.comm.pid);
        if (w && ev->u.comm.exec)
            w->await_exec = false;
        return w != NULL;
    case PERF_EV_MMAP:
        return watched_find(s, ev->u.mmap.pid) != NULL;
    case PERF_EV_EXIT:
        return watched_find(s, ev->u.task.pid) != NULL;
    default:
        return true;
    }
}

bool perf_kernel_excluded(const struct perf_session *s)
{
    return s->kernel_excluded;
}

/* ----- record parsing ----- */

struct cursor {
    const uint8_t *p, *end;
};

static int take_u64(struct cursor *c, uint64_t *v)
{
    if ((size_t)(c->end - c->p) < 8)
        return -1;
    memcpy(v, c->p, 8);
    c->p += 8;
    return 0;
}

/* The sample_id trailer of a non-sample record: pid/tid and time (the only
 * sample_id fields tprof's sample_type selects), in its last 16 bytes. */
static int trailer_time(const uint8_t *rec, size_t size, size_t body, uint64_t *time)
{
    if (size < body + 16)
        return -1;
    memcpy(time, rec + size - 8, 8);
    return 0;
}

static const char *bounded_str(const uint8_t *p, const uint8_t *end)
{
    if (p >= end || !memchr(p, '\0', (size_t)(end - p)))
        return NULL;
    return (const char *)p;
}

int perf_parse_record(const void *recv, size_t size, uint64_t sample_type, uint64_t regs_mask,
                      struct perf_ev *ev)
{
    const uint8_t *rec = recv;
    const struct perf_event_header *h = recv;
    if (size < sizeof(*h) || h->size != size)
        return -1;
    memset(ev, 0, sizeof(*ev));
    const uint8_t *body = rec + sizeof(*h);
    const uint8_t *end = rec + size;

    switch (h->type) {
    case PERF_RECORD_SAMPLE: {
        struct cursor c = {body, end};
        struct perf_sample *s = &ev->u.sample;
        uint64_t v;
        ev->type = PERF_EV_SAMPLE;
        s->weight = 1;
        if (sample_type & PERF_SAMPLE_IP && take_u64(&c, &s->ip) < 0)
            return -1;
        if (sample_type & PERF_SAMPLE_TID) {
            if (take_u64(&c, &v) < 0)
                return -1;
            s->pid = (uint32_t)v;
            s->tid = (uint32_t)(v >> 32);
        }
        if (sample_type & PERF_SAMPLE_TIME && take_u64(&c, &ev->time) < 0)
            return -1;
        if (sample_type & PERF_SAMPLE_PERIOD && take_u64(&c, &s->period) < 0)
            return -1;
        if (sample_type & PERF_SAMPLE_CALLCHAIN) {
            uint64_t nr;
            if (take_u64(&c, &nr) < 0 || nr > (uint64_t)(c.end - c.p) / 8)
                return -1;
            const uint64_t *ips = (const uint64_t *)c.p;
            c.p += nr * 8;
            /* Contexts: PERF_CONTEXT_KERNEL ips..., PERF_CONTEXT_USER ips... */
            uint64_t ctx = 0, start = 0;
            for (uint64_t i = 0; i <= nr; i++) {
                if (i < nr && ips[i] < PERF_CONTEXT_MAX)
                    continue;
                if (ctx == PERF_CONTEXT_KERNEL) {
                    s->kernel_ips = ips + start;
                    s->nr_kernel_ips = i - start;
                } else if (ctx == PERF_CONTEXT_USER) {
                    s->user_ips = ips + start;
                    s->nr_user_ips = i - start;
                }
                if (i < nr) {
                    ctx = ips[i];
                    start = i + 1;
                }
            }
        }
        if (sample_type & PERF_SAMPLE_REGS_USER) {
            uint64_t abi;
            if (take_u64(&c, &abi) < 0)
                return -1;
            if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
                size_t nregs = (size_t)__builtin_popcountll(regs_mask);
                if ((size_t)(c.end - c.p) < nregs * 8)
                    return -1;
                s->regs = (const uint64_t *)c.p;
                c.p += nregs * 8;
            }
        }
        if (sample_type & PERF_SAMPLE_STACK_USER) {
            uint64_t sz;
            if (take_u64(&c, &sz) < 0 || sz > (uint64_t)(c.end - c.p))
                return -1;
            const uint8_t *data = c.p;
            c.p += sz;
            if (sz) {
                uint64_t dyn;
                if (take_u64(&c, &dyn) < 0)
                    return -1;
                s->stack = data;
                s->stack_size = dyn < sz ? dyn : sz;
            }
        }
        uint16_t mode = h->misc & PERF_RECORD_MISC_CPUMODE_MASK;
        s->kernel_mode = mode == PERF_RECORD_MISC_KERNEL;
        return 0;
    }
    case PERF_RECORD_MMAP2: {
        struct perf_mmap *m = &ev->u.mmap;
        /* pid tid addr len pgoff {maj min ino gen | bid_size res res bid[20]} prot flags name */
        const size_t fixed = 8 + 8 * 3 + 24 + 8;
        if ((size_t)(end - body) < fixed + 1 + 16)
            return -1;
        ev->type = PERF_EV_MMAP;
        memcpy(&m->pid, body, 4);
        memcpy(&m->tid, body + 4, 4);
        memcpy(&m->addr, body + 8, 8);
        memcpy(&m->len, body + 16, 8);
        memcpy(&m->pgoff, body + 24, 8);
        if (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
            m->build_id_size = body[32];
            if (m->build_id_size > 20)
                m->build_id_size = 20;
            m->build_id = body + 36;
        }
        memcpy(&m->prot, body + 56, 4);
        memcpy(&m->flags, body + 60, 4);
        m->filename = bounded_str(body + fixed, end - 16);
        if (!m->filename || trailer_time(rec, size, 0, &ev->time) < 0)
            return -1;
        return 0;
    }
    case PERF_RECORD_COMM: {
        struct perf_comm *cm = &ev->u.comm;
        if ((size_t)(end - body) < 8 + 1 + 16)
            return -1;
        ev->type = PERF_EV_COMM;
        memcpy(&cm->pid, body, 4);
        memcpy(&cm->tid, body + 4, 4);
        cm->comm = bounded_str(body + 8, end - 16);
        cm->exec = (h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
        if (!cm->comm || trailer_time(rec, size, 0, &ev->time) < 0)
            return -1;
        return 0;
    }
    case PERF_RECORD_FORK:
    case PERF_RECORD_EXIT: {
        struct perf_task *t = &ev->u.task;
        if ((size_t)(end - body) < 24 + 16)
            return -1;
        ev->type = h->type == PERF_RECORD_FORK ? PERF_EV_FORK : PERF_EV_EXIT;
        memcpy(&t->pid, body, 4);
        memcpy(&t->ppid, body + 4, 4);
        memcpy(&t->tid, body + 8, 4);
        memcpy(&t->ptid, body + 12, 4);
        memcpy(&ev->time, body + 16, 8);
        return 0;
    }
    default:
        return -1;
    }
}

/* ----- reading and ordering ----- */

/* Time of a raw record for ordering; UINT64_MAX-free: records without one
 * (never with sample_id_all) sort as time 0. */
static uint64_t record_time(const struct perf_session *s, const uint8_t *rec, uint32_t size)
{
    const struct perf_event_header *h = (const void *)rec;
    uint64_t t = 0;
    if (h->type == PERF_RECORD_SAMPLE) {
        size_t off = sizeof(*h);
        if (s->sample_type & PERF_SAMPLE_IP)
            off += 8;
        if (s->sample_type & PERF_SAMPLE_TID)
            off += 8;
        if (off + 8 <= size)
            memcpy(&t, rec + off, 8);
    } else if (size >= sizeof(*h) + 16) {
        memcpy(&t, rec + size - 8, 8);
    }
    return t;
}

static void account(struct perf_session *s, const uint8_t *rec, uint32_t size)
{
    const struct perf_event_header *h = (const void *)rec;
    uint64_t v;
    switch (h->type) {
    case PERF_RECORD_LOST:
        if (size >= sizeof(*h) + 16) {
            memcpy(&v, rec + sizeof(*h) + 8, 8);
            s->stats.lost += v;
        }
        break;
    case PERF_RECORD_LOST_SAMPLES:
        if (size >= sizeof(*h) + 8) {
            memcpy(&v, rec + sizeof(*h), 8);
            s->stats.lost += v;
        }
        break;
    case PERF_RECORD_THROTTLE:
        s->stats.throttled++;
        break;
    default:
        break;
    }
}

static bool wanted(uint32_t type)
{
    return type == PERF_RECORD_SAMPLE || type == PERF_RECORD_MMAP2 || type == PERF_RECORD_COMM ||
           type == PERF_RECORD_FORK || type == PERF_RECORD_EXIT;
}

/* Per CPU, at drain time (before the records are in order): a fork by a
 * watched process watches its child now; a sample is the watched
 * processes' (its process may still await its exec: the hook is only for
 * Python stacks, which such a sample has none of). */
static bool early_keep(struct perf_session *s, const struct perf_ev *ev)
{
    if (ev->type == PERF_EV_FORK)
        return follow_fork(s, ev);
    return watched_find(s, ev->u.sample.pid) != NULL;
}

/* Copy the records of one ring into the queue; returns the newest time seen. */
static uint64_t drain_ring(struct perf_session *s, struct ring *r)
{
    uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = r->meta->data_tail;
    uint64_t mask = r->size - 1, newest = 0;

    while (tail + sizeof(struct perf_event_header) <= head) {
        struct perf_event_header h;
        uint64_t off = tail & mask;
        /* The header itself may wrap. */
        for (size_t i = 0; i < sizeof(h); i++)
            ((uint8_t *)&h)[i] = r->data[(off + i) & mask];
        if (h.size < sizeof(h) || tail + h.size > head)
            break;
        if (wanted(h.type) || h.type == PERF_RECORD_LOST || h.type == PERF_RECORD_LOST_SAMPLES ||
            h.type == PERF_RECORD_THROTTLE) {
            struct pending *p = xmalloc(sizeof(*p) + h.size);
            uint64_t first = r->size - off < h.size ? r->size - off : h.size;
            memcpy(p->rec, r->data + off, first);
            if (first < h.size) /* wrapped: the rest is at the start */
                memcpy(p->rec + first, r->data, h.size - first);
            p->size = h.size;
            if (wanted(h.type)) {
                p->time = record_time(s, p->rec, h.size);
                p->seq = s->seq++;
                if (p->time > newest)
                    newest = p->time;
                if (h.type == PERF_RECORD_SAMPLE && p->time > r->last_sample)
                    r->last_sample = p->time;
                VEC_PUSH(s->queue, p);
                struct perf_ev ev;
                /* (per CPU, a fork is followed at once, so that a child's
                 * samples in a ring drained before its parent's are kept
                 * for the hook; the ordered pass decides again) */
                if ((s->drained || s->per_cpu) &&
                    (h.type == PERF_RECORD_SAMPLE || h.type == PERF_RECORD_FORK) &&
                    perf_parse_record(p->rec, p->size, s->sample_type, s->regs_mask, &ev) == 0 &&
                    (!s->per_cpu || early_keep(s, &ev)) && s->drained)
                    s->drained(s->drained_arg, &ev);
            } else {
                account(s, p->rec, h.size);
                free(p);
            }
        }
        s->stats.bytes += h.size;
        tail += h.size;
    }
    __atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
    return newest;
}

void perf_set_tap(struct perf_session *s, perf_tap_fn fn, void *arg)
{
    s->tap = fn;
    s->tap_arg = arg;
}

void perf_sample_format(const struct perf_session *s, uint64_t *sample_type,
                        uint64_t *regs_mask)
{
    *sample_type = s->sample_type;
    *regs_mask = s->regs_mask;
}

uint64_t perf_next_due(const struct perf_session *s, uint64_t now)
{
    uint64_t due = 0;
    for (size_t i = 0; i < s->rings.n; i++) {
        uint64_t last = s->rings.v[i].last_sample;
        /* A CPU whose last sample is older than a few periods is not
         * running a sampled thread now: nothing is due from it. */
        if (!last || last + PERF_DUE_IDLE * s->period_ns < now)
            continue;
        uint64_t next = last + s->period_ns;
        if (!due || next < due)
            due = next;
    }
    return due;
}

static int cmp_pending(const void *a, const void *b)
{
    const struct pending *x = *(struct pending *const *)a, *y = *(struct pending *const *)b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void perf_read(struct perf_session *s, bool final, perf_event_fn cb, void *arg)
{
    uint64_t newest = 0;
    for (size_t i = 0; i < s->rings.n; i++) {
        uint64_t t = drain_ring(s, &s->rings.v[i]);
        if (t > newest)
            newest = t;
    }
    if (s->after_drain)
        s->after_drain(s->after_drain_arg);
    if (s->queue.n == 0) {
        if (newest > s->prev_round_max)
            s->prev_round_max = newest;
        return;
    }
    VEC_SORT(s->queue, cmp_pending);
    uint64_t limit = s->prev_round_max;
    size_t done = 0;
    for (; done < s->queue.n; done++) {
        struct pending *p = s->queue.v[done];
        if (!final && p->time > limit)
            break;
        struct perf_ev ev;
        if (perf_parse_record(p->rec, p->size, s->sample_type, s->regs_mask, &ev) == 0 &&
            keep_event(s, &ev)) {
            if (ev.type == PERF_EV_SAMPLE)
                s->stats.samples++;
            if (s->tap)
                s->tap(s->tap_arg, p->rec, p->size);
            cb(arg, &ev);
        }
        free(p);
    }
    memmove(s->queue.v, s->queue.v + done, (s->queue.n - done) * sizeof(s->queue.v[0]));
    s->queue.n -= done;
    if (newest > s->prev_round_max)
        s->prev_round_max = newest;
}
