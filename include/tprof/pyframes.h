/* pyframes: what tprof's kernel program (src/bpf/pyframes.bpf.c) and user
 * space say to each other. The program runs at every perf sample, in the
 * interrupt that takes it, and copies the sampled thread's CPython frame
 * chain into a BPF ring buffer: at the sample, so the Python stack is the
 * one the native stack was taken with. User space tells it, per process,
 * where the interpreter keeps things (struct pyframes_proc) and, per
 * thread, which thread state is the thread's (the threads map; the
 * thread-local slot CPython keeps it in, when known, covers threads not yet
 * in the map). Plain data, shared by the BPF C and the C of tprof: fixed
 * widths, no pointers.
 *
 * The ring holds two kinds of records, told apart by their first word: a
 * sample's stack (struct pyframes_rec), and before it, for each code
 * object of that stack the program had not seen yet, a snapshot of the
 * code object (struct pyframes_code): what names it, copied at the sample,
 * while it was certainly alive. */
#ifndef TPROF_PYFRAMES_H
#define TPROF_PYFRAMES_H

#include <linux/types.h>

/* Frames read per sample: tprof's own cap (PYTHON_MAX_FRAMES). A deeper
 * chain is cut there and the record says so (PYFRAMES_TRUNC). A power of
 * two: the program indexes its frame array with a mask. */
#define PYFRAMES_MAX 1024
/* Bytes of a frame read at once: 3.10's PyFrameObject reaches f_lasti at
 * 96, 3.11+'s _PyInterpreterFrame fields end before 72. */
#define PYFRAMES_FRAME_BYTES 128
/* The code object's identity window: four pointers (file, name, qualified
 * name, line table; 3.10: three), as src/python's code cache keeps them. */
#define PYFRAMES_SIG_BYTES 32

/* No such field in this version. */
#define PYFRAMES_NONE 0xffffffffu

/* The records' first word. */
#define PYFRAMES_REC_STACK 1
#define PYFRAMES_REC_CODE 2

/* A code object's snapshot: its head (co_size bytes), the str objects of
 * its (qualified) name and file, and with --python-lines its line table's
 * bytes object, each a copy of memory from its address (shorter copies
 * are tried when a long one crosses into unmapped memory). */
#define PYFRAMES_CODE_HEAD 256
#define PYFRAMES_CODE_STR 512
#define PYFRAMES_CODE_TABLE 4096

/* Per process (key: the PID), written by src/python when it finds the
 * interpreter. Offsets are bytes into the structure named. */
struct pyframes_proc {
    __u32 gen;                 /* copied into each record: a record of an
                                  earlier registration (before an exec) is
                                  not taken for this one */
    __u32 minor;               /* 3.MINOR */
    __u32 ts_frame;            /* PyThreadState: frame (3.10), cframe (3.11,
                                  3.12), current_frame (3.13) */
    __u32 cf_current_frame;    /* _PyCFrame.current_frame, or NONE (3.10, 3.13) */
    __u32 ts_native_thread_id; /* PyThreadState: the kernel TID (3.11+), or NONE */
    __u32 ts_thread_id;        /* PyThreadState: pthread_self() */
    __u32 fr_size;             /* bytes of a frame to read (<= FRAME_BYTES) */
    __u32 fr_code, fr_previous, fr_instr; /* in the frame */
    __u32 fr_instr_int;        /* 1: fr_instr is 3.10's int f_lasti, else a pointer */
    __u32 fr_entry;            /* the byte that ends a run: is_entry (3.11),
                                  owner (3.12+), or NONE (3.10) */
    __u32 co_sig;              /* the identity window in the code object */
    __u32 co_sig_words;        /* its pointers: 4, or 3 (3.10) */
    __u64 tls_slot;            /* the thread state's thread-local slot, as an
                                  offset from the thread pointer (FS base);
                                  0: unknown (the threads map only) */
    __u32 co_size;             /* bytes of a code object's head to copy
                                  (<= PYFRAMES_CODE_HEAD; 0: no snapshots) */
    __u32 co_name;             /* its co_qualname (3.11+) or co_name */
    __u32 co_filename;
    __u32 co_linetable;        /* NONE: line tables are not copied */
};

/* Record status. */
enum pyframes_status {
    PYFRAMES_OK = 0,       /* the whole chain, up to a NULL previous */
    PYFRAMES_NO_TSTATE,    /* no thread state known for the thread */
    PYFRAMES_BAD_TSTATE,   /* the thread state is another thread's (freed, reused) */
    PYFRAMES_FAULT,        /* a pointer did not read (frames read so far kept) */
    PYFRAMES_LOOP,         /* a frame that is its own caller */
    PYFRAMES_TRUNC,        /* more than PYFRAMES_MAX frames: the innermost kept */
};

/* Frame flags. */
#define PYFRAMES_F_NOSIG 1 /* the code object's identity did not read */

struct pyframes_frame {
    __u64 frame; /* where the frame is */
    __u64 code;  /* its code object (3.13: f_executable) */
    __u64 instr; /* the instruction pointer (3.10: f_lasti) */
    __u32 ident; /* hash of the code object's identity window (pyframes_ident) */
    __u8 entry;  /* the frame's entry byte (is_entry or owner), 0 for 3.10 */
    __u8 flags;
    __u16 pad;
};

struct pyframes_rec {
    __u32 kind;    /* PYFRAMES_REC_STACK */
    __u32 pad0;
    __u64 time;    /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, just after the
                      sample's own time stamp */
    __u32 pid, tid;
    __u64 ip, sp;  /* the thread's user registers at the sample */
    __u64 tstate;  /* the thread state read */
    __u32 gen;     /* the process's registration (pyframes_proc.gen) */
    __u16 status;  /* enum pyframes_status */
    __u8 via_tls;  /* the thread state came from its thread-local slot */
    __u8 inherited; /* a process not registered yet, read with its parent's
                       registration (GEN is the parent's): a child just
                       forked has its parent's image */
    __u32 nframes; /* struct pyframes_frame that follow, innermost first
                      (PYFRAMES_MAX at most) */
    __u32 pad;
};

/* Where a copy in a code snapshot came from (LEN 0: it did not read). */
struct pyframes_region {
    __u64 addr;
    __u32 len;
    __u32 pad;
};

enum { PYFRAMES_R_HEAD, PYFRAMES_R_NAME, PYFRAMES_R_FILE, PYFRAMES_R_TABLE, PYFRAMES_R_N };

struct pyframes_code {
    __u32 kind;  /* PYFRAMES_REC_CODE */
    __u32 pid;
    __u32 gen;   /* the process's registration */
    __u32 ident; /* the identity hash of the code object at the sample */
    __u64 code;  /* its address */
    struct pyframes_region r[PYFRAMES_R_N];
    __u8 head[PYFRAMES_CODE_HEAD];
    __u8 name[PYFRAMES_CODE_STR];
    __u8 file[PYFRAMES_CODE_STR];
    __u8 table[PYFRAMES_CODE_TABLE]; /* last: the record ends after the
                                        r[PYFRAMES_R_TABLE].len bytes used */
};

/* Part of the identity too: the file name's str object from its length
 * on, FILE_BYTES of it (its length and first characters). The pointers
 * alone are not enough: code built the same way again (exec of a template
 * under another file name) gets every object it points to at the addresses
 * the freed one's had, and a run of 1000 such rounds was named by its
 * first round's file. */
#define PYFRAMES_FILE_OFF 16
#define PYFRAMES_FILE_BYTES 64

/* The identity hash of a code object: its window (W: NWORDS pointers) and
 * the file name's bytes (FW, FILE_BYTES of them: the length, then the
 * hash and state words, which are left out as they change when the string
 * is hashed or interned, then the characters), the same on both sides: a
 * code object freed after the sample and its address reused by another
 * gives another hash. */
static inline __u32 pyframes_ident(const __u64 *w, __u32 nwords, const __u64 *fw)
{
    __u64 h = 0x9e3779b97f4a7c15ULL;
    for (__u32 i = 0; i < 4 + PYFRAMES_FILE_BYTES / 8; i++) {
        __u64 v = i < 4 ? (i < nwords ? w[i] : 0) : fw[i - 4];
        if (i == 5 || i == 6) /* (the str's hash and state) */
            continue;
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    return (__u32)(h ^ (h >> 32));
}

#endif
