/*
 * pybpf: the user half of tprof's kernel program. It loads the program
 * from the skeleton generated at build time (the BPF object is embedded in
 * tprof: nothing to install beside it), sizes its per-CPU scratch, attaches
 * it to each perf sampling event (PERF_EVENT_IOC_SET_BPF), and drains its
 * ring buffer on tprof's own schedule (the program asks for no wakeup: a
 * wakeup per sample cost the sampled program 7% at 999 Hz here).
 *
 * libbpf's own messages (verifier logs) are kept, not printed: a failure is
 * one line, and the last message libbpf gave is in it.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pyframes.skel.h"
#include "tprof/kbtf.h"
#include "tprof/pybpf.h"
#include "tprof/xalloc.h"

struct pybpf {
    struct pyframes *skel;
    struct ring_buffer *rb;
    pybpf_record_fn fn;
    void *fn_arg;
    int ncpus;
};

/* The last line libbpf said (it says a lot on failure: the verifier's
 * log); kept for the one-line error. */
static char last_msg[200];

static int keep_msg(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    /* TPROF_BPF_DEBUG=1: all of it on stderr (the verifier's log) */
    if (getenv("TPROF_BPF_DEBUG"))
        return vfprintf(stderr, fmt, ap);
    if (level == LIBBPF_DEBUG)
        return 0;
    char buf[sizeof(last_msg)];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (n)
        memcpy(last_msg, buf, n + 1);
    return 0;
}

/* Not privileged, or refused: which, and what to do. */
static void describe(int e, const char *what, char *err, size_t errlen)
{
    if ((e == EPERM || e == EACCES) && geteuid() != 0)
        snprintf(err, errlen, "%s: it needs root, or CAP_BPF and CAP_PERFMON (setcap "
                              "cap_bpf,cap_perfmon+ep tprof): %s", what, strerror(e));
    else if (e == EPERM)
        snprintf(err, errlen, "%s: %s (kernel lockdown?)", what, strerror(e));
    else
        snprintf(err, errlen, "%s: %s%s%s (TPROF_BPF_DEBUG=1 shows libbpf's log)", what,
                 strerror(e), last_msg[0] ? "; libbpf: " : "", last_msg);
}

static int on_record(void *ctx, void *data, size_t size)
{
    struct pybpf *b = ctx;
    b->fn(b->fn_arg, data, size);
    return 0;
}

struct pybpf *pybpf_open(char *err, size_t errlen, int *errnum)
{
    last_msg[0] = '\0';
    libbpf_set_print(keep_msg);
    struct pybpf *b = xcalloc(1, sizeof(*b));
    b->ncpus = libbpf_num_possible_cpus();
    /* (the kernel types it reads from a BTF of their own: see kbtf.c) */
    char *kbtf = kbtf_path();
    LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = kbtf);
    b->skel = pyframes__open_opts(&oo);
    free(kbtf);
    if (!b->skel) {
        *errnum = errno;
        describe(errno, "cannot open the kernel program", err, errlen);
        free(b);
        return NULL;
    }
    if (b->ncpus < 1 || bpf_map__set_max_entries(b->skel->maps.scratch, (uint32_t)b->ncpus) < 0 ||
        pyframes__load(b->skel) < 0) {
        *errnum = errno ? errno : EINVAL;
        describe(*errnum, "cannot load the kernel program", err, errlen);
        pybpf_close(b);
        return NULL;
    }
    b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.ring), on_record, b, NULL);
    if (!b->rb) {
        *errnum = errno;
        describe(errno, "cannot map the kernel program's ring buffer", err, errlen);
        pybpf_close(b);
        return NULL;
    }
    return b;
}

void pybpf_close(struct pybpf *b)
{
    if (!b)
        return;
    ring_buffer__free(b->rb);
    pyframes__destroy(b->skel);
    free(b);
}

int pybpf_attach(struct pybpf *b, int fd, char *err, size_t errlen)
{
    /* The ioctl, not bpf_program__attach_perf_event: libbpf's also
     * enables the event, and the recorder enables its events itself (at
     * the program's exec, or once everything is ready). The program stays
     * attached as long as the event is open. */
    if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, bpf_program__fd(b->skel->progs.pyframes_sample)) < 0) {
        describe(errno, "cannot attach the kernel program to the perf event", err, errlen);
        return -1;
    }
    return 0;
}

int pybpf_set_proc(struct pybpf *b, uint32_t pid, const struct pyframes_proc *cfg)
{
    return bpf_map__update_elem(b->skel->maps.procs, &pid, sizeof(pid), cfg, sizeof(*cfg),
                                BPF_ANY);
}

void pybpf_forget_proc(struct pybpf *b, uint32_t pid)
{
    bpf_map__delete_elem(b->skel->maps.procs, &pid, sizeof(pid), 0);
}

int pybpf_set_thread(struct pybpf *b, uint32_t tid, uint64_t tstate)
{
    return bpf_map__update_elem(b->skel->maps.threads, &tid, sizeof(tid), &tstate,
                                sizeof(tstate), BPF_ANY);
}

void pybpf_forget_thread(struct pybpf *b, uint32_t tid)
{
    bpf_map__delete_elem(b->skel->maps.threads, &tid, sizeof(tid), 0);
}

int pybpf_target(struct pybpf *b, uint32_t pid)
{
    uint8_t one = 1;
    return bpf_map__update_elem(b->skel->maps.targets, &pid, sizeof(pid), &one, sizeof(one),
                                BPF_ANY);
}

int pybpf_filter(struct pybpf *b, char *err, size_t errlen)
{
    uint32_t zero = 0, on = 1;
    if (bpf_map__update_elem(b->skel->maps.filter, &zero, sizeof(zero), &on, sizeof(on),
                             BPF_ANY) < 0) {
        describe(errno, "cannot turn the kernel program's filter on", err, errlen);
        return -1;
    }
    return 0;
}

size_t pybpf_drain(struct pybpf *b, pybpf_record_fn fn, void *arg)
{
    b->fn = fn;
    b->fn_arg = arg;
    /* (records are written with no wakeup: poll would say nothing) */
    int n = ring_buffer__consume(b->rb);
    return n > 0 ? (size_t)n : 0;
}

void pybpf_get_stats(struct pybpf *b, struct pybpf_stats *st)
{
    memset(st, 0, sizeof(*st));
    uint64_t *v = xcalloc((size_t)b->ncpus, sizeof(uint64_t));
    uint64_t *out[] = {&st->runs, &st->records, &st->ring_full, &st->codes, &st->others};
    for (uint32_t k = 0; k < sizeof(out) / sizeof(out[0]); k++) {
        if (bpf_map__lookup_elem(b->skel->maps.stats, &k, sizeof(k), v,
                                 (size_t)b->ncpus * sizeof(uint64_t), 0) < 0)
            continue;
        for (int c = 0; c < b->ncpus; c++)
            *out[k] += v[c];
    }
    free(v);
    struct bpf_prog_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (bpf_obj_get_info_by_fd(bpf_program__fd(b->skel->progs.pyframes_sample), &info, &len) ==
        0) {
        st->run_ns = info.run_time_ns;
        st->run_cnt = info.run_cnt;
    }
}
