/* The Python reader's parts: offsets per version (offsets.c), finding the
 * interpreter in a process (detect.c), reading a thread's frames (read.c),
 * splicing them into the native stack (splice.c). */
#ifndef TPROF_PYTHON_INTERNAL_H
#define TPROF_PYTHON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <uthash.h>

#include "tprof/pyframes.h"
#include "tprof/python.h"

/* Byte offsets into the interpreter's structures, for one version. */
struct py_offsets {
    int minor; /* 3.MINOR */
    /* _PyRuntimeState */
    uint32_t rt_interpreters_head;
    /* PyInterpreterState */
    uint32_t is_next, is_threads_head;
    /* PyThreadState */
    uint32_t ts_size, ts_next;
    uint32_t ts_frame; /* 3.10 frame, 3.11/3.12 cframe, 3.13 current_frame */
    uint32_t ts_thread_id, ts_native_thread_id; /* 0: none (3.10) */
    uint32_t ts_datastack_chunk, ts_datastack_top; /* 0: none (3.10) */
    uint32_t ts_root_cframe;                      /* 3.11/3.12 */
    /* _PyCFrame (3.11/3.12) */
    uint32_t cf_size, cf_current_frame, cf_previous;
    /* _PyInterpreterFrame (3.10: PyFrameObject) */
    uint32_t fr_size, fr_code, fr_previous, fr_instr, fr_owner, fr_is_entry;
    /* PyCodeObject */
    uint32_t co_size, co_firstlineno, co_filename, co_name, co_qualname, co_linetable;
    uint32_t co_code_adaptive; /* 3.11+: instructions start here */
    uint32_t co_code;          /* 3.10: the bytes object holding them */
    /* str */
    uint32_t u_ascii_data, u_compact_data;
    bool u_has_ready;
};

#define PY_NO_FIELD 0xffffffffu

/* The built-in table for 3.MINOR, NULL when unknown. */
const struct py_offsets *py_offsets_builtin(int minor);
/* Fill O (version MINOR) from DW, the DWARF of the interpreter file or of
 * its separate debug file (dso_dwarf: the one symbols use for inlined
 * functions, opened once); false when DW is NULL or a structure or field
 * is missing. */
struct Dwarf;
bool py_offsets_from_dwarf(struct py_offsets *o, int minor, struct Dwarf *dw);
/* O (version MINOR) from tprof's cache, as py_offsets_from_dwarf found it
 * for the interpreter file of build id BID; false when no good entry. */
bool py_offsets_cache_read(const uint8_t *bid, size_t bid_size, int minor, struct py_offsets *o);
/* ... and kept there. */
void py_offsets_cache_write(const uint8_t *bid, size_t bid_size, int minor,
                            const struct py_offsets *o);
/* 3.13+: fill O from the _Py_DebugOffsets block at the start of
 * _PyRuntime (BUF, LEN bytes); false when it is not one. */
bool py_offsets_from_debug(struct py_offsets *o, const uint8_t *buf, size_t len);
/* Does that block say the build is free-threaded? */
bool py_debug_free_threaded(const uint8_t *buf, size_t len);

/* A code object named from a kernel snapshot is known by its address and
 * its identity at the sample: the address may hold another one since. */
struct py_code_key {
    uint64_t addr;
    uint32_t ident, pad;
};

struct py_code {
    UT_hash_handle hh; /* in its process's codes (by address) or snaps (skey) */
    struct py_code_key skey;
    uint64_t addr;
    uint32_t ninstr;     /* code units, for the lasti check (0: unknown) */
    int firstlineno;
    uint8_t *linetable;
    size_t linetable_len;
    struct py_name fn;   /* "QUALNAME (FILE:FIRSTLINE)" */
    char *qualname, *file;
    struct py_line *lines; /* --python-lines names */
    uint8_t sig[32];       /* its name, file and line table pointers */
    uint8_t fwin[PYFRAMES_FILE_BYTES]; /* its file name's str, from its length */
    uint64_t instr_lo, instr_hi; /* where its instructions are */
    bool snap;                   /* in snaps: named from a kernel snapshot */
};

struct py_line {
    UT_hash_handle hh;
    int line;
    struct py_name n;
};

/* A thread's Python stack as read: frames innermost first, split into runs
 * (one per C call of the eval loop, innermost first). */
struct py_frame {
    uint64_t code;
    int lasti; /* code units; -1 before the first instruction */
    struct py_code *c; /* its code object when named from a kernel snapshot
                          (kept until later snapshots push it out), else
                          NULL: looked up by address */
};

struct py_stack {
    uint32_t tid;
    bool valid;   /* read, and consistent */
    bool present; /* the thread has Python frames */
    size_t nframes, nruns;
    struct py_frame frames[PYTHON_MAX_FRAMES];
    uint32_t runs[PYTHON_MAX_FRAMES];
    /* Each run's eval call on the thread's C stack: its _PyCFrame
     * (3.11, 3.12) or shim frame (3.13), 0 when unknown (3.10). */
    uint64_t anchor[PYTHON_MAX_FRAMES];
};

/* The sample a stack is read for: its registers and stack copy. */
struct py_snap {
    const uint64_t *regs;
    const uint8_t *stack;
    size_t size;
};

/* A stack read when its sample was drained, waiting for its turn. */
struct py_saved {
    UT_hash_handle hh;
    struct {
        uint32_t pid, tid;
        uint64_t time;
    } key;
    bool valid, present;
    size_t nframes, nruns;
    struct py_frame *frames;
    uint32_t *runs;
    uint64_t *anchor;
};

struct py_tid {
    UT_hash_handle hh;
    uint32_t tid;
    uint64_t tstate; /* 0: not a Python thread (as of `at`) */
    double at;
    bool pushed;     /* given to the kernel program (kernel.c) */
};

enum py_state { PY_UNKNOWN, PY_NOT, PY_FOUND, PY_UNSUPPORTED };

/* Memory the kernel program copied at a sample (a code snapshot): while a
 * process has one set, its code objects are named from it alone. */
struct py_overlay {
    struct {
        uint64_t addr;
        const uint8_t *data;
        size_t len;
    } r[PYFRAMES_R_N];
};

struct py_proc {
    UT_hash_handle hh;
    uint32_t pid;
    enum py_state state;
    struct py_offsets off;
    int version; /* Py_Version: 0x030b02f0 */
    uint64_t runtime, code_type, unicode_type, bytes_type;
    uint64_t eval[2][2]; /* [start, end) of _PyEval_EvalFrameDefault and .cold */
    const struct dso *dso; /* the interpreter's file (exe or libpython) */
    long pthread_tid_off;  /* 3.10: where the TID is in glibc's struct pthread */
    struct py_tid *tids;
    double tids_at;     /* when the table was last rebuilt */
    /* found while the read was PENDING: what to say once it is decided
     * (py_detect_say), and the key of first_time */
    char found_note[400], found_what[300];
    struct py_code *codes;
    size_t ncodes;
    struct py_code *snaps; /* named from the kernel's snapshots, oldest first */
    size_t nsnaps;
    bool trampolines; /* -X perf: every Python call is its own eval call */
    /* read at the sample (kernel.c) */
    uint32_t kgen;            /* registered with the kernel program (0: not) */
    struct py_offsets koff;   /* with these offsets */
    struct pyframes_proc kcfg;
    uint64_t tls_slot;        /* where a thread keeps its state, from its FS base */
    bool tls_tried;
    bool forked; /* made when its fork was drained: the fork's turn keeps it */
    uint32_t parent_gen; /* forked from a registered process: its registration,
                            which the kernel used before this one's */
    const struct py_overlay *snap; /* set while a snapshot is read */
};

/* Offsets worked out for an interpreter file (DWARF is read once per file,
 * not per process: multiprocessing's children share it). */
struct py_known {
    const struct dso *dso;
    int minor;
    struct py_offsets off;
    const char *source;
};

/* An interpreter file whose DWARF was read before the program started
 * (python_prepare). */
struct py_prepared {
    char *path; /* real path */
    int minor;
    bool ok;
    struct py_offsets off;
};

struct py_kq;

struct python {
    struct python_config cfg;
    enum python_read read;
    struct python_kernel kernel;
    char read_why[400];     /* read after the sample: why not at it */
    uint32_t kgen;          /* the last registration's number */
    struct py_kq *kq;       /* kernel records waiting, per thread */
    struct python_stats kst;
    uint64_t prompt_until; /* python_prompt_until */
    struct symbols *sym;
    struct py_proc *procs;
    struct py_stack *cur;      /* the stack being read */
    struct py_stack *captured; /* ptrace: read while the thread was stopped */
    uint32_t captured_pid;
    struct py_saved *saved;
    size_t nsaved;
    char label[32];
    char cwd[4096]; /* tprof's: the program's own files are shown under it */
    char notice[8][512];
    unsigned nnotice, notice_next;
    uint8_t *chunkbuf; /* the data-stack chunk copy */
    size_t chunkcap;
    bool *eval, *interp, *tramp; /* per native frame of the sample being spliced */
    int32_t *plan;
    size_t planned;
    struct iovec *liov, *riov; /* PYTHON_MAX_FRAMES each: the code check */
    uint8_t *sigs;
    uint64_t *words; /* the sample's stack words, sorted */
    size_t wordcap;
    struct py_known *known;
    size_t nknown;
    struct py_prepared *prepared;
    size_t nprepared;
    char (*seen)[300]; /* interpreters announced (path and version) */
    size_t nseen;
};

/* detect.c */
void py_detect(struct python *py, struct py_proc *pp);
void py_prepare(struct python *py, const char *path);
void py_notice(struct python *py, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* read.c */
bool py_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Read TID's Python stack into OUT, as of SNAP's sample when given (the
 * thread ran on since: frames it entered after the sample are dropped, and
 * a stack whose sample-time frame cannot be found is not valid); NULL when
 * the thread is stopped. FS_BASE (0: unknown): the thread's thread
 * pointer, where its state is found at tls_slot when the interpreter's
 * list does not have it yet (a thread made a moment ago). */
void py_read_stack(struct python *py, struct py_proc *pp, uint32_t tid, struct py_stack *out,
                   const struct py_snap *snap, uint64_t fs_base);
/* Once per process: tls_slot from a thread whose state is known (TID, at
 * FS_BASE). */
void py_find_tls_slot(struct python *py, struct py_proc *pp, uint32_t tid, uint64_t fs_base);
uint64_t py_tls_slot_of(const struct py_proc *pp, uint64_t pthread, uint64_t ts);
/* The code object at ADDR, from the cache or read now (type-checked);
 * NULL when it is not one. */
struct py_code *py_code_get(struct python *py, struct py_proc *pp, uint64_t addr);
void py_code_forget(struct py_proc *pp, struct py_code *c);
/* The window of a code object that tells code objects apart, and its size. */
uint32_t py_sig_off(const struct py_offsets *o);
size_t py_sig_len(const struct py_offsets *o);
/* Read PP's thread list again (a thread has no known state), at most
 * every 10 ms. */
void py_tids_refresh(struct python *py, struct py_proc *pp);
/* The notice of PP found while the read was PENDING, now that it is not. */
void py_detect_say(struct python *py, struct py_proc *pp);
/* The name to show for frame F of PP. NULL when the code object cannot be
 * read. */
struct py_name *py_frame_name(struct python *py, struct py_proc *pp, const struct py_frame *f);
void py_codes_free(struct py_proc *pp);
struct py_code *py_code_read(struct python *py, struct py_proc *pp, uint64_t addr);
void py_code_free(struct py_code *c);
/* Code objects named from the kernel's snapshots, by address and identity
 * (PP keeps the latest MAX_CODES). */
void py_snap_add(struct py_proc *pp, struct py_code *c, uint32_t ident);
struct py_code *py_snap_find(struct py_proc *pp, uint64_t addr, uint32_t ident);
void py_snaps_free(struct py_proc *pp);
/* PP and everything cached for it. */
void py_proc_free(struct py_proc *pp);

/* kernel.c */
/* How long after its sample the kernel's record is stamped, at most: the
 * program runs in the same interrupt, 0.2-27 us after the sample's time on
 * these machines. One thread's samples are a period apart (1 ms at 999 Hz). */
#define PY_JOIN_WINDOW_NS 200000
enum py_kernel_take {
    PYK_NONE, /* no record joins the sample: read it after the sample */
    PYK_OK,   /* OUT holds the stack as the kernel read it at the sample */
    PYK_BAD,  /* a record that failed a check: keep the native frames */
};
void py_kernel_register(struct python *py, struct py_proc *pp);
void py_kernel_forget(struct python *py, struct py_proc *pp);
/* The thread list was read: the kernel gets it (and, once, the slot each
 * thread keeps its state in, found from the main thread's). */
void py_kernel_threads(struct python *py, struct py_proc *pp, uint64_t main_pthread,
                       uint64_t main_ts);
enum py_kernel_take py_kernel_take(struct python *py, struct py_proc *pp,
                                   const struct py_sample *s, struct py_stack *out);
void py_kernel_free(struct python *py);

#endif
