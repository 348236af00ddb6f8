/*
 * cputime: the profiled processes' CPU time, from /proc/PID/stat while they
 * live and from the wait that reaps the launched program. Each tracked
 * process keeps its figure at the last read; a process whose PID is gone,
 * or now names another process (its start time differs), stops counting:
 * its time is in its reaping parent's cutime when that parent is tracked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/cputime.h"
#include "tprof/fileutil.h"
#include "tprof/xalloc.h"

enum proc_state { PROC_LIVE, PROC_GONE, PROC_FINAL };

struct proc {
    UT_hash_handle hh;
    pid_t pid;
    enum proc_state state;
    bool read;                /* start time known */
    unsigned long long start; /* in ticks since boot: tells a reused PID */
    double base, last;        /* seconds: when tracking began, at the last read */
};

struct cputime {
    struct proc *procs;
    double ticks;
};

struct cputime *cputime_new(void)
{
    struct cputime *c = xcalloc(1, sizeof(*c));
    long t = sysconf(_SC_CLK_TCK);
    c->ticks = t > 0 ? (double)t : 100;
    return c;
}

void cputime_free(struct cputime *c)
{
    if (!c)
        return;
    struct proc *p, *tmp;
    HASH_ITER(hh, c->procs, p, tmp)
    {
        HASH_DEL(c->procs, p);
        free(p);
    }
    free(c);
}

bool cputime_parse_stat(const char *text, size_t n, double ticks, double *self_s,
                        double *reaped_s, unsigned long long *start)
{
    const char *p = fileutil_stat_fields(text, n), *end = text + n;
    if (!p || !(ticks > 0))
        return false;
    unsigned long long f[20];
    int k = 0;
    /* fields 3 (state) to 22 (starttime): tokens 0 to 19 */
    while (k < 20) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            return false;
        if (k == 0) { /* the state letter */
            f[k++] = 0;
            while (p < end && *p != ' ')
                p++;
            continue;
        }
        unsigned long long v = 0;
        bool neg = false, digits = false;
        if (*p == '-') {
            neg = true;
            p++;
        }
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (v > (~0ULL - 9) / 10)
                return false;
            v = v * 10 + (unsigned)(*p - '0');
            digits = true;
        }
        if (!digits || (p < end && *p != ' ' && *p != '\n'))
            return false;
        f[k++] = neg ? 0 : v;
    }
    *self_s = ((double)f[11] + (double)f[12]) / ticks;
    *reaped_s = ((double)f[13] + (double)f[14]) / ticks;
    *start = f[19];
    return true;
}

/* PID's own plus reaped seconds and start time; false when it is gone. */
static bool read_stat(const struct cputime *c, pid_t pid, double *total, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) < 0 && errno == EINTR)
        ;
    close(fd);
    double self, reaped;
    if (n <= 0 || !cputime_parse_stat(buf, (size_t)n, c->ticks, &self, &reaped, start))
        return false;
    *total = self + reaped;
    return true;
}

static struct proc *find(const struct cputime *c, pid_t pid)
{
    struct proc *p;
    HASH_FIND(hh, c->procs, &pid, sizeof(pid), p);
    return p;
}

bool cputime_tracked(const struct cputime *c, pid_t pid)
{
    return find(c, pid) != NULL;
}

/* Read P again: its figure, or gone. */
static void update(struct cputime *c, struct proc *p)
{
    double total;
    unsigned long long start;
    if (!read_stat(c, p->pid, &total, &start) || (p->read && start != p->start)) {
        p->state = PROC_GONE;
        return;
    }
    if (!p->read) {
        p->read = true;
        p->start = start;
    }
    if (total > p->last)
        p->last = total;
}

void cputime_track(struct cputime *c, pid_t pid, bool from_now)
{
    struct proc *p = find(c, pid);
    if (p) {
        if (p->state == PROC_GONE && !from_now) { /* (a PID reused: born while recorded) */
            p->state = PROC_LIVE;
            p->read = false;
            p->base = p->last = 0;
            update(c, p);
        }
        return;
    }
    p = xcalloc(1, sizeof(*p));
    p->pid = pid;
    p->state = PROC_LIVE;
    HASH_ADD(hh, c->procs, pid, sizeof(p->pid), p);
    update(c, p);
    if (from_now)
        p->base = p->last;
}

void cputime_poll(struct cputime *c)
{
    struct proc *p, *tmp;
    HASH_ITER(hh, c->procs, p, tmp)
    {
        if (p->state == PROC_LIVE)
            update(c, p);
    }
}

void cputime_final(struct cputime *c, pid_t pid, double total_s)
{
    struct proc *p = find(c, pid);
    if (!p) {
        cputime_track(c, pid, false);
        p = find(c, pid);
    }
    p->state = PROC_FINAL;
    if (total_s > p->last)
        p->last = total_s;
}

double cputime_used(const struct cputime *c)
{
    double sum = 0;
    for (const struct proc *p = c->procs; p; p = p->hh.next)
        if (p->state != PROC_GONE && p->last > p->base)
            sum += p->last - p->base;
    return sum;
}
