/* pipeline: what happens to each record the samplers hand out, one stage
 * after another: the task table (names, roots), the address spaces
 * (symbols), unwinding (with the re-read of /proc/PID/maps when ptrace
 * sampling meets an unknown address), Python frames spliced into the native
 * stack, symbolising, and adding the stack to the call tree. The record
 * command only wires it to the samplers and the viewer. */
#ifndef TPROF_PIPELINE_H
#define TPROF_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tprof/perf.h"

struct profile;
struct symbols;
struct python;
struct python_stats;
struct pybpf_stats;

struct pipeline_config {
    enum perf_callgraph callgraph;
    uint32_t max_depth; /* user frames kept per stack */
    bool python;        /* splice CPython frames into the native stacks */
    bool python_lines;  /* name Python frames by the line executing */
    /* Python frames named as a comparison matches them (--diff-base):
     * 0 as recorded, 1 "QUALNAME (FILE)", 2 "NAME (FILE)" (filter.h's
     * FILTER_PYFUNC) */
    int python_by_function;
    bool jit_any_owner; /* believe JIT symbol files of any owner */
    bool inlined;       /* native frames expand into their inlined functions */
    bool lines;         /* native frames named "NAME (FILE:LINE)" */
    uint64_t period_ns; /* the CPU time a ptrace sample's unit of weight stands for */
};

struct pipeline_stats {
    uint64_t samples;   /* weight of the samples added */
    uint64_t truncated; /* stacks that do not reach an entry point */
    uint64_t cut;       /* stacks deeper than max_depth (not in truncated) */
    uint64_t py_samples;      /* samples of threads running Python code */
    uint64_t py_inconsistent; /* of them, kept native: the read did not agree */
    uint64_t jit_unnamed;     /* samples through JIT code no perf map or jitdump names */
    char jit_comm[32];        /* the program of the first of them */
    uint64_t nosym;           /* samples through code of a file without its symbols */
    /* the modules of those (the innermost such frame's), with their
     * samples: the first four modules met */
    struct {
        char module[64];
        uint64_t samples;
    } nosym_by[4];
};

/* The summary's words for the samples through code without symbols:
 * ", 7.1% of samples through code without symbols (libz.so.1 6.9%): ..."
 * (how to get them), or "" below 1%. */
void pipeline_nosym_text(const struct pipeline_stats *st, bool debuginfod, char *buf,
                         size_t len);

/* What the runtime COMM (a program name) needs to name its JIT code, as a
 * hint for the summary: "node: add --perf-basic-prof"; a general one for
 * runtimes it does not know. */
const char *pipeline_jit_hint(const char *comm);

struct pipeline;
struct timeline;

/* The pipeline adds to PROF (not owned). */
struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct profile *prof);
/* Start loading the kernel program (Python frames at the sample, the
 * filter per CPU) in a thread of its own; pipeline_python_in_kernel and
 * pipeline_filter_in_kernel take it from there. */
void pipeline_kernel_program_soon(struct pipeline *p);
/* Whether taking it would not wait (loaded, or failed to). */
bool pipeline_kernel_program_ready(const struct pipeline *p);
/* As sampling starts: the kernel's symbols read in a thread of their own
 * when KERNEL (the first kernel frame waits for them). */
void pipeline_load_soon(struct pipeline *p, bool kernel);
/* What Python frames need of the interpreter PYTHON_EXE (NULL: none known);
 * with FIRST_SAMPLES, what the first samples would wait for too (the
 * kernel's symbols, libc's and the interpreter's DWARF), so that their
 * processing is not held up. Otherwise each is loaded as the first frame
 * that needs it comes. */
void pipeline_prepare(struct pipeline *p, const char *python_exe, bool first_samples);
void pipeline_free(struct pipeline *p);

/* perf_event_fn: hand every sampler event here. */
void pipeline_event(void *arg, const struct perf_ev *ev);

/* perf_set_drain_hook's function: a sample just taken out of its ring. */
void pipeline_drained(void *arg, const struct perf_ev *ev);

/* ptrace: thread TID of PID is stopped for a sample, which follows; what
 * must be read while it is stopped (its Python stack) is read now. */
void pipeline_stopped(void *arg, uint32_t pid, uint32_t tid, uint64_t fs_base);

/* Live mode: buffer stacks until pipeline_flush (the viewer's tree does not
 * change between refreshes). */
void pipeline_set_buffering(struct pipeline *p, bool on);
/* Keep when each stack came, per second from now, in TL (not owned). */
void pipeline_set_timeline(struct pipeline *p, struct timeline *tl);
/* Add the buffered stacks to the tree, and rename the frames of JIT code
 * named late; false when the tree did not change. */
bool pipeline_flush(struct pipeline *p);
/* A late JIT name made some frame twice: profile_merge the tree into a new
 * profile to join them before writing it. */
bool pipeline_has_twins(const struct pipeline *p);

/* ptrace sampling sees no mmap records: re-read /proc/PID/maps on a miss. */
void pipeline_set_reload_maps(struct pipeline *p, bool on);

/* -p: the threads (into *TIDS, *NTIDS of them, to free), address spaces
 * (from /proc) and names of the running processes PIDS, before sampling
 * them. -1 with ERR ("no process 4242"). */
int pipeline_attach(struct pipeline *p, const pid_t *pids, size_t npids, pid_t **tids,
                    size_t *ntids, char *err, size_t errlen);

/* Names: the one for tasks not yet named, and a thread's own. */
void pipeline_set_default_comm(struct pipeline *p, const char *comm);
const char *pipeline_default_comm(const struct pipeline *p);
void pipeline_set_comm(struct pipeline *p, uint32_t pid, uint32_t tid, const char *comm);

struct symbols *pipeline_symbols(struct pipeline *p);
const struct pipeline_stats *pipeline_get_stats(const struct pipeline *p);

/* Coverage: the CPU time the samples stand for against the CPU time the
 * profiled processes used (src/record/cputime.c). The record command tracks
 * what it launched or attached to (FROM_NOW: attached); processes forked
 * later are tracked from their fork record. Poll now and then (the live
 * header) and at the end; FINAL gives a reaped process's rusage. */
void pipeline_cpu_track(struct pipeline *p, pid_t pid, bool from_now);
void pipeline_cpu_poll(struct pipeline *p);
void pipeline_cpu_final(struct pipeline *p, pid_t pid, double total_s);
struct pipeline_coverage {
    double sampled_s, cpu_s; /* what the samples stand for; what was used */
    double share;            /* sampled_s / cpu_s, or -1 when too little CPU to say */
    uint64_t unsampled;      /* threads and processes that ended with no sample */
};
void pipeline_get_coverage(const struct pipeline *p, struct pipeline_coverage *c);
/* How the samples were taken, for what the coverage line advises. */
enum coverage_how {
    COVER_PER_CPU,          /* perf, every CPU */
    COVER_PER_TASK,         /* perf, the program's tasks: per CPU was refused */
    COVER_PER_TASK_ASKED,   /* perf, the program's tasks: --per-task */
    COVER_PTRACE,           /* the ptrace backend */
};
/* ", samples cover 97% of 0.85 s CPU" into BUF, and below 90% why when
 * tprof can tell (LOST samples, threads ended before a sample) and what
 * would help. */
void pipeline_coverage_text(const struct pipeline *p, uint64_t lost, enum coverage_how how,
                            char *buf, size_t len);
/* A one-line note for the user (an interpreter found, a version not
 * supported, an untrusted perf map...) into BUF; false when none is
 * waiting. Each is given once. */
bool pipeline_take_notice(struct pipeline *p, char *buf, size_t len);
/* "python 3.11" once a Python process was seen, else "". */
const char *pipeline_python_label(const struct pipeline *p);

/* How Python frames are read (include/tprof/python.h), chosen before the
 * program runs. In the kernel, at each sample: the kernel program is
 * loaded and attached to every event of PS (its records are read after
 * each drain of PS's rings); 0, or -1 with ERR saying why it cannot be
 * (nothing changed then). After the sample: WHY says why not at it. With
 * the thread stopped: the ptrace backend. */
int pipeline_python_in_kernel(struct pipeline *p, struct perf_session *ps, char *err,
                              size_t errlen);
void pipeline_python_after(struct pipeline *p, const char *why);
/* Sampling per CPU: the kernel program (loaded and attached to PS's events
 * if it is not yet) drops every sample but those of PIDS and the processes
 * they fork, before the sample is copied. -1 with ERR when it cannot (the
 * perf session still keeps only theirs, in user space). */
int pipeline_filter_in_kernel(struct pipeline *p, struct perf_session *ps, const pid_t *pids,
                              size_t npids, char *err, size_t errlen);
void pipeline_python_stopped(struct pipeline *p);
/* Read after the sample until pipeline_python_in_kernel (or _after):
 * the kernel program is loading (python.h's PYTHON_READ_PENDING). */
void pipeline_python_pending(struct pipeline *p);
/* -p: look at PID for Python now (python_attach). */
void pipeline_python_attach(struct pipeline *p, uint32_t pid);
/* How they were read (NULL with --python=off), and the kernel program's
 * own figures (false when it was not loaded). */
const struct python_stats *pipeline_python_stats(const struct pipeline *p);
/* python_prompt_until (0 with --python=off). */
uint64_t pipeline_python_prompt_until(const struct pipeline *p);
bool pipeline_kernel_stats(const struct pipeline *p, struct pybpf_stats *st);

#endif
