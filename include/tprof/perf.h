/* perf: cpu-clock sampling through perf_event_open ring buffers, time-ordered. */
#ifndef TPROF_PERF_H
#define TPROF_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum perf_callgraph { PERF_CG_DWARF, PERF_CG_FP };

struct perf_config {
    pid_t pid;           /* process to sample (with its threads and children) */
    const pid_t *tids;   /* attaching: every existing thread (then PID is unused) */
    size_t ntids;
    bool enable_on_exec; /* launched program: start counting at its exec */
    unsigned freq;       /* samples per second */
    enum perf_callgraph callgraph;
    uint32_t stack_size; /* bytes of user stack per sample (dwarf) */
    bool per_cpu;        /* sample every CPU, keeping the watched processes'
                            records (perf_watch), where tprof may */
    bool prompt;         /* tprof runs at a high priority: its buffers need
                            hold half as long */
};

/* Sampled registers: the x86-64 perf_regs indices tprof asks for. */
enum {
    PERF_REG_AX = 0, PERF_REG_BX, PERF_REG_CX, PERF_REG_DX, PERF_REG_SI, PERF_REG_DI,
    PERF_REG_BP, PERF_REG_SP, PERF_REG_IP, PERF_REG_FLAGS, PERF_REG_CS, PERF_REG_SS,
    PERF_REG_R8 = 16, /* R8..R15 = 16..23 */
};
#define PERF_REGS_MASK 0xff0fffULL /* AX..SS and R8..R15 */

/* PERF_EV_MAPS (ptrace only): the address space of u.task.pid changed in ways
 * no record told, e.g. at exec; re-read /proc/PID/maps. */
enum perf_ev_type {
    PERF_EV_SAMPLE,
    PERF_EV_MMAP,
    PERF_EV_COMM,
    PERF_EV_FORK,
    PERF_EV_EXIT,
    PERF_EV_MAPS
};

struct perf_sample {
    uint32_t pid, tid;
    uint64_t ip, period;
    uint32_t weight;         /* samples this one stands for: 1, or more when
                                the ptrace sampler came late to a tick */
    bool kernel_mode;        /* taken while the thread was in the kernel */
    uint64_t nr_kernel_ips;  /* kernel part of the callchain, leaf first */
    const uint64_t *kernel_ips;
    uint64_t nr_user_ips;    /* user part of the callchain (fp mode), leaf first */
    const uint64_t *user_ips;
    const uint64_t *regs;    /* PERF_REGS_MASK registers, NULL when none */
    const uint8_t *stack;    /* user stack copy from SP upwards */
    uint64_t stack_size;     /* valid bytes of STACK */
};

struct perf_mmap {
    uint32_t pid, tid;
    uint64_t addr, len, pgoff;
    uint32_t prot, flags;
    const char *filename;
    uint8_t build_id_size;
    const uint8_t *build_id;
};

struct perf_comm {
    uint32_t pid, tid;
    const char *comm;
    bool exec;
};

struct perf_task {
    uint32_t pid, ppid, tid, ptid;
};

struct perf_ev {
    enum perf_ev_type type;
    uint64_t time;
    union {
        struct perf_sample sample;
        struct perf_mmap mmap;
        struct perf_comm comm;
        struct perf_task task;
    } u;
};

struct perf_stats {
    uint64_t samples;   /* sample records delivered */
    uint64_t lost;      /* records the kernel dropped (PERF_RECORD_LOST*) */
    uint64_t throttled; /* PERF_RECORD_THROTTLE count */
    uint64_t bytes;     /* ring-buffer bytes read */
};

typedef void (*perf_event_fn)(void *arg, const struct perf_ev *ev);

struct perf_session;

/* Open one cpu-clock event per CPU on CFG->pid and map the ring buffers.
 * NULL on failure with a one-line ERR and *ERRNUM set to the errno of the
 * failing call. WARN (may be NULL) receives a one-line notice when kernel-mode
 * sampling had to be turned off, else "". */
struct perf_session *perf_open(const struct perf_config *cfg, char *err, size_t errlen,
                               int *errnum, char *warn, size_t warnlen);
void perf_close(struct perf_session *s);

int perf_enable(struct perf_session *s);
int perf_disable(struct perf_session *s);

/* FN is called with each sample (and each fork) as it is taken out of its
 * ring buffer,
 * before the records are put in time order and handed to perf_read's
 * callback (which may be a drain later): what must be read from the
 * process close to the sample's time is read then. */
void perf_set_drain_hook(struct perf_session *s, perf_event_fn fn, void *arg);

/* FN is called once per perf_read, after every ring was drained and
 * before the records are handed out: what the kernel wrote beside the
 * samples (tprof's BPF program's records) is read then, so that every
 * sample handed out has it. */
void perf_set_after_drain(struct perf_session *s, void (*fn)(void *arg), void *arg);

/* FN is given each record perf_read hands out, as the ring held it (the
 * replay benchmark records them so), with the format they are parsed by. */
typedef void (*perf_tap_fn)(void *arg, const void *rec, size_t size);
void perf_set_tap(struct perf_session *s, perf_tap_fn fn, void *arg);
void perf_sample_format(const struct perf_session *s, uint64_t *sample_type,
                        uint64_t *regs_mask);

/* Every event fd (one per CPU, and per thread when attaching), to attach a
 * BPF program to: into FDS (MAX), returns how many there are. */
size_t perf_event_fds(const struct perf_session *s, int *fds, size_t max);

/* The ring-buffer fds, for poll(). */
size_t perf_fds(const struct perf_session *s, int *fds, size_t max);

/* Periods after which a CPU without a new sample counts as idle. */
#define PERF_DUE_IDLE 4
/* When the next sample is due (CLOCK_MONOTONIC ns, as sample times): the
 * earliest of, for each CPU that sampled in the last PERF_DUE_IDLE periods,
 * its newest sample plus one period; possibly already past (the thread was
 * descheduled). 0 when no CPU sampled lately. poll() is woken only by a
 * watermark, so a reader that must take each sample soon after it is taken
 * sleeps until then. */
uint64_t perf_next_due(const struct perf_session *s, uint64_t now);

/* Drain every ring buffer, then hand CB the records that are safe to order:
 * those not newer than the previous drain's newest (records from different
 * CPUs arrive out of order). FINAL hands over everything left. */
void perf_read(struct perf_session *s, bool final, perf_event_fn cb, void *arg);

const struct perf_stats *perf_get_stats(const struct perf_session *s);
bool perf_kernel_excluded(const struct perf_session *s);
/* Whether the session samples per CPU (asked, and allowed: root,
 * CAP_PERFMON or kernel.perf_event_paranoid <= 0); else per task. */
bool perf_per_cpu(const struct perf_session *s);
/* Per CPU: keep the records of process PID and of the processes it forks
 * from now on; AWAIT_EXEC: its samples only after its next exec (a
 * launched program: before it, it is tprof's own code). Per CPU, events
 * start disabled: perf_enable them. */
void perf_watch(struct perf_session *s, uint32_t pid, bool await_exec);

/* Parse one raw record (as read from the ring buffer) into EV; returns 0, or
 * -1 when the record is of a type tprof ignores or is malformed. Exposed for
 * tests. SAMPLE_TYPE/REGS_MASK are the attr values the record was made with. */
int perf_parse_record(const void *rec, size_t size, uint64_t sample_type, uint64_t regs_mask,
                      struct perf_ev *ev);

/* The value of kernel.perf_event_paranoid, or -100 when unreadable. */
int perf_paranoid(void);

#endif
