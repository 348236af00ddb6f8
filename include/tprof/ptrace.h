/* ptrace: the sampler for where perf_event_open is refused (and the blocked
 * threads of wall-clock mode). It hands out the same events as perf.c. */
#ifndef TPROF_PTRACE_H
#define TPROF_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tprof/perf.h"

/* Which threads a tick samples. */
enum ptrace_which {
    PTRACE_RUNNING, /* on-CPU mode: threads running or runnable ('R') */
    PTRACE_ALL,     /* wall-clock mode: every thread, running or blocked */
    PTRACE_BLOCKED, /* wall-clock mode beside perf: the threads perf does not see */
};

struct ptrace_config {
    pid_t pid;         /* launched program, seized before it execs (0: attaching) */
    const pid_t *pids; /* attaching: these processes and all their threads */
    size_t npids;
    unsigned freq; /* samples per second per thread */
    enum ptrace_which which;
    enum perf_callgraph callgraph;
    uint32_t stack_size; /* bytes of user stack copied per sample (dwarf) */
    bool sideband;       /* hand out COMM/FORK/EXIT/MAPS events (perf does not) */
    /* Called while a thread is stopped for a sample, before its stack is
     * handed out (to read what must be read from a stopped thread), with
     * its FS base (its thread pointer). */
    void (*stopped)(void *arg, uint32_t pid, uint32_t tid, uint64_t fs_base);
    void *stopped_arg;
};

struct ptrace_stats {
    uint64_t samples;  /* samples handed out */
    uint64_t stops;    /* threads stopped for a sample */
    double stop_s;     /* total time threads spent stopped for samples */
    uint64_t overruns; /* ticks that came while the previous one was unfinished */
    unsigned freq;     /* the rate now (lower than asked when lowered) */
};

struct ptrace_session;

/* Seize the launched program (CFG->pid, before it execs: sampling starts at
 * its exec) or every thread of CFG->pids. NULL with a one-line ERR. */
struct ptrace_session *ptrace_open(const struct ptrace_config *cfg, char *err, size_t errlen);

/* The tick timer, for poll(). */
int ptrace_fd(const struct ptrace_session *s);

/* Take every waiting stop and tick: sample, follow clones, forks and execs,
 * pass on signals. CB gets the events as perf_read's does. */
void ptrace_read(struct ptrace_session *s, perf_event_fn cb, void *arg);

/* The launched program has ended: true with its wait status. */
bool ptrace_exited(const struct ptrace_session *s, int *wstatus);
/* Once it exited: the launched program's CPU seconds from the wait that
 * reaped it (its own and its reaped children's); -1 when not known. */
double ptrace_main_cpu(const struct ptrace_session *s);
/* Threads still traced. */
size_t ptrace_threads(const struct ptrace_session *s);

/* Stop sampling and detach from every thread still traced, leaving each
 * running with any signal it was about to get. */
void ptrace_finish(struct ptrace_session *s);
void ptrace_close(struct ptrace_session *s);

const struct ptrace_stats *ptrace_get_stats(const struct ptrace_session *s);
/* A one-line notice (the rate was lowered) not yet taken, into BUF. */
bool ptrace_take_notice(struct ptrace_session *s, char *buf, size_t len);

/* The state letter of /proc/.../stat text (after the last ')'), or 0. */
char ptrace_stat_state(const char *stat, size_t len);
/* Walk frame pointers through a stack copy: IPS gets the return addresses,
 * leaf first after IP. Exposed for tests. */
size_t ptrace_fp_walk(uint64_t ip, uint64_t bp, uint64_t sp, const uint8_t *stack, size_t size,
                      uint64_t *ips, size_t max);

#endif
