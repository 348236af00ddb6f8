/* python: CPython frames read from a running interpreter (3.10 to 3.13) and
 * spliced into the native stacks, in place of the eval loop's frames.
 * Detection, offsets per version, reading, splicing: src/python. */
#ifndef TPROF_PYTHON_H
#define TPROF_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tprof/pyframes.h"

struct symbols;
struct unwind_frame;

/* Python frames kept per sample; deeper stacks are not spliced. */
#define PYTHON_MAX_FRAMES 1024

/* A Python stack read more than this after its sample is not taken for it:
 * the thread has run on for a millisecond or more, and such reads come in
 * bursts (tprof busy loading an interpreter's symbols and DWARF, or samples
 * taken before the process was known to be Python) that would all get the
 * one stack running at the time. The sample is counted inconsistent. */
#define PYTHON_MAX_DELAY_NS 1000000

struct python_config {
    bool lines; /* name frames by the line executing, not the function's first */
};

/* A Python frame's name, "QUALNAME (FILE:LINE)"; stable until python_free. */
struct py_name {
    const char *name;
    uint32_t cookie; /* for the caller (a frame id), starts as UINT32_MAX */
};

/* One frame of a spliced stack: a native frame (index into the sample's
 * frames) or a Python one. */
struct py_item {
    int32_t native; /* when py is NULL */
    struct py_name *py;
};

struct py_sample {
    uint32_t pid, tid;
    const struct unwind_frame *frames; /* native, leaf first */
    size_t nframes;
    const uint64_t *regs;  /* perf's sampled registers, NULL when none */
    const uint8_t *stack;  /* the stack copy from SP, NULL when none */
    size_t stack_size;
    uint64_t time;         /* when it was taken, CLOCK_MONOTONIC ns (0: unknown) */
};

enum py_result {
    PY_NONE,         /* not a Python thread, or no Python frames now */
    PY_SPLICED,      /* OUT holds the spliced stack */
    PY_INCONSISTENT, /* a Python thread whose read did not agree with the
                        sample: keep the native frames */
};

struct python;

struct python *python_new(const struct python_config *cfg, struct symbols *sym);
void python_free(struct python *py);

/* ----- the two ways Python frames are read on the perf backend -----
 *
 * At the sample (PYTHON_READ_KERNEL): tprof's kernel program
 * (src/bpf/pyframes.bpf.c) runs at every sample and copies the thread's
 * frame chain then; its records come here (python_kernel_record) and each
 * is joined to its sample by thread, time, and user IP and SP. The stack
 * is exact: the one the native stack was taken with. Needs root, or
 * CAP_BPF and CAP_PERFMON.
 *
 * After the sample (PYTHON_READ_AFTER): read from user space
 * (process_vm_readv) as soon as the sample leaves its ring buffer
 * (python_drained), ~100 us later, and brought back to the sample's time
 * with its registers and stack copy; a thread that has returned from the
 * sample's function since cannot be: the sample is inconsistent and keeps
 * its native frames.
 *
 * Reading at the sample falls back to reading after it, per sample, when
 * no record joins (a thread or process the kernel did not know yet), and
 * such samples are counted apart (python_stats). The ptrace backend reads
 * with the thread stopped (PYTHON_READ_STOPPED, python_capture): exact. */
/* PENDING: after the sample, until the kernel program, loading, is taken
 * (python_set_read KERNEL, or AFTER if it failed): what is found meanwhile
 * is said then, as it is read from then on. */
enum python_read { PYTHON_READ_AFTER, PYTHON_READ_STOPPED, PYTHON_READ_KERNEL, PYTHON_READ_PENDING };

/* The kernel program's maps, as src/python fills them (the recorder wires
 * them to src/bpf). */
struct python_kernel {
    void *arg;
    int (*set_proc)(void *arg, uint32_t pid, const struct pyframes_proc *cfg);
    void (*forget_proc)(void *arg, uint32_t pid);
    int (*set_thread)(void *arg, uint32_t tid, uint64_t tstate);
    void (*forget_thread)(void *arg, uint32_t tid);
};

/* How frames are read from now on; K for PYTHON_READ_KERNEL, WHY (may be
 * NULL) for PYTHON_READ_AFTER: why not at the sample, and what would make
 * it so, said with the interpreter found. Before sampling starts. */
void python_set_read(struct python *py, enum python_read how, const struct python_kernel *k,
                     const char *why);

/* A record of the kernel program (REC, LEN bytes, as it wrote it), taken
 * out of its ring: kept until its sample's turn. */
void python_kernel_record(struct python *py, const void *rec, size_t len);
/* Thread TID of PID has ended. */
void python_thread_exit(struct python *py, uint32_t pid, uint32_t tid);

struct python_stats {
    uint64_t at_sample; /* Python samples read at the sample (a record joined) */
    uint64_t after;     /* Python samples read after it (no record joined, or
                           reading at the sample is off) */
    uint64_t stopped;   /* Python samples read with the thread stopped (ptrace) */
    uint64_t rejected;  /* records that failed a check: kept native */
    uint64_t deep;      /* records cut at PYFRAMES_MAX frames: kept native */
    uint64_t records;   /* records taken out of the ring */
    uint64_t orphans;   /* records no sample took (the perf ring lost it) */
    uint64_t snapshots; /* code objects named from the kernel's copy */
};
const struct python_stats *python_get_stats(const struct python *py);
/* Until when (CLOCK_MONOTONIC ns) records should be drained promptly: a
 * process registered with the kernel program lately is importing, and an
 * import's code objects are freed within milliseconds of running, before a
 * record read later could name them. */
uint64_t python_prompt_until(const struct python *py);

/* Before sampling starts: read now the DWARF offsets of the interpreter
 * file PATH (python3.X by its name, as Debian's, which defines _PyRuntime
 * itself), not at the program's first sample: Debian's python3.11-dbg takes
 * ~0.1 s to decompress, and samples taken meanwhile are read too late. */
void python_prepare(struct python *py, const char *path);

/* -p: PID runs already (its mappings are known): find its interpreter now,
 * before sampling starts, so that its first samples are read as the rest. */
void python_attach(struct python *py, uint32_t pid);

/* PPID forked PID: a Python process's child is the same interpreter, read
 * from its first sample on. Called twice: as the fork's record is drained
 * (DRAINED: the child's first samples are read at the sample, its record
 * not handled yet), then in time order. */
void python_fork(struct python *py, uint32_t ppid, uint32_t pid, bool drained);

/* PID exec'd, exited or was forked: what is known of it is stale. */
void python_forget(struct python *py, uint32_t pid);
/* PID's mappings changed (dlopen of libpython): look again if it was not
 * Python. */
void python_maps_changed(struct python *py, uint32_t pid);

/* ptrace: TID is stopped; read its Python stack now, for its sample.
 * FS_BASE (its thread pointer, 0: unknown) finds the thread state of a
 * thread the interpreter's list did not have yet. */
void python_capture(struct python *py, uint32_t pid, uint32_t tid, uint64_t fs_base);

/* perf: the sample of TID at TIME (CLOCK_MONOTONIC ns) has just been taken
 * out of its ring buffer; read its Python stack now, closer to the sample
 * than when the sample's turn comes (python_splice takes it then). Only for
 * processes already known to be Python, and within PYTHON_MAX_DELAY_NS. */
void python_drained(struct python *py, uint32_t pid, uint32_t tid, uint64_t time,
                    const uint64_t *regs, const uint8_t *stack, size_t stack_size);

/* The stack to show for S, outermost first, into OUT (CAP items). */
enum py_result python_splice(struct python *py, const struct py_sample *s, struct py_item *out,
                             size_t cap, size_t *n);

/* "python 3.11" once an interpreter was found, else "". */
const char *python_label(const struct python *py);
/* A one-line note (interpreter found, version not supported); false when
 * none is waiting. */
bool python_take_notice(struct python *py, char *buf, size_t len);

/* ----- pure parts, for the tests ----- */

/* The line of code unit LASTI in a 3.11+ location table; -1 for none,
 * -2 when the table is malformed. */
int python_line_311(const uint8_t *t, size_t n, int firstlineno, int lasti);
/* The line of byte offset OFF in a 3.10 co_linetable; -1 for none, -2 for
 * malformed. */
int python_line_310(const uint8_t *t, size_t n, int firstlineno, int off);
/* FILE as shown: after the last site-packages/ or dist-packages/, after
 * lib/pythonX.Y/, relative to CWD when under it (NULL: not), else
 * unchanged. */
const char *python_short_file(const char *file, const char *cwd);

/* Splicing, on classified native frames (leaf first): EVAL[i] the frame is
 * the eval loop, INTERP[i] it is in the interpreter's own code. RUNS[k] is
 * the number of Python frames of the k-th eval call, innermost first (the
 * Python frames themselves are numbered innermost first, run after run).
 * Writes the stack outermost first (a native item: native = index; a Python
 * one: native = -1 - frame number). -1 when the counts do not agree; with
 * EXTRA_OK, one eval call more than runs (the innermost, in its prologue)
 * is kept native. With EXTRA_OK (read exactly) and fewer eval calls than
 * runs, the native stack was cut short: the runs it lacks (the outer ones)
 * go above it; unless ROOTED (its outermost frame is where a thread
 * starts) and it has eval calls: then the counts disagree. */
long python_splice_plan(const bool *eval, const bool *interp, size_t nf, const uint32_t *runs,
                        size_t nruns, bool extra_ok, bool rooted, int32_t *out, size_t cap);

#endif
