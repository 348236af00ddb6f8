/* cmd: the commands, each joining the stages (record -> unwind -> symbols ->
 * profile -> formats). main.c parses arguments and calls one of these. */
#ifndef TPROF_CMD_H
#define TPROF_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tprof/import.h"
#include "tprof/perf.h"

#define TPROF_VERSION "0.1.0"
#define TPROF_DEFAULT_OUTPUT "tprof.folded"

enum record_backend { BACKEND_AUTO, BACKEND_PERF, BACKEND_PTRACE };
/* --python-read: where Python frames are read on the perf backend */
enum python_read_opt { PYREAD_AUTO, PYREAD_KERNEL, PYREAD_USER };

#define TPROF_DEFAULT_MAX_DEPTH 1024
#define TPROF_MAX_MAX_DEPTH 65536
#define TPROF_STR_(x) #x
#define TPROF_STR(x) TPROF_STR_(x)

struct record_opts {
    char **argv;          /* program and arguments (NULL when attaching) */
    const pid_t *pids;    /* -p: processes to attach to */
    size_t npids;
    unsigned freq;        /* -F */
    enum perf_callgraph callgraph;
    uint32_t stack_size;  /* --stack-size */
    uint32_t max_depth;   /* --max-depth: user frames kept per stack */
    const char *output;   /* -o, NULL: TPROF_DEFAULT_OUTPUT */
    double duration;      /* --duration, 0: until the program exits */
    bool threads;         /* --threads: a root frame per thread */
    bool pid_roots;       /* --pid-roots: a root frame per process */
    bool quiet;           /* -q */
    bool no_tui;          /* --no-tui: headless even on a terminal */
    double refresh;       /* --refresh: live redraws per second */
    enum record_backend backend; /* --backend */
    bool wall;            /* --mode wall: blocked threads are sampled too */
    bool python;          /* --python=on (default): splice CPython frames */
    bool python_lines;    /* --python-lines: name them by the line executing */
    enum python_read_opt python_read; /* --python-read */
    bool jit_any_owner;   /* --jit-any-owner */
    bool no_inline;       /* --no-inline: no inlined-function frames */
    bool no_cache;        /* --no-cache: no DWARF cache */
    bool per_task;        /* --per-task: perf samples the program's tasks, not every CPU */
    bool lines;           /* --lines: frames named by source line */
    const char *diff_base; /* --diff-base: a saved profile the live view compares to */
    bool diff_lines;       /* --diff-lines: Python frames compared line by line */
    bool all_frames;       /* --all-frames: Python stacks in -o as recorded */
};

enum report_mode { REPORT_DEFAULT, REPORT_ICICLE, REPORT_TREE, REPORT_TOP };

struct report_opts {
    const char *path;     /* a profile file (import.h), "-" for stdin */
    struct import_opts imp;
    enum report_mode mode;
    int top;              /* rows of the top table */
    int width;            /* columns; 0: $COLUMNS or 100 */
    const char *focus;    /* --focus RE */
    const char *hide;     /* --hide RE */
    bool invert;
    bool by_module;       /* --by module */
    double min_percent;   /* frames below this share are merged / left out */
    /* --diff: BEFORE is the second file (path is AFTER) */
    const char *before;
    bool absolute;        /* --absolute: weights, not shares of each total */
    bool diff_lines;      /* --diff-lines: Python frames compared line by line */
    bool all_frames;      /* --all-frames: Python stacks as recorded, not the Python view */
    bool fold_kernel;     /* --fold-kernel: kernel frames folded into their system call */
    double min_delta;     /* --min-delta: rows that changed less are left out */
    double fail_if_grows; /* --fail-if-grows: the gate, < 0 when not asked */
};

struct view_opts {
    const char *path;
    const char *before; /* a comparison: BEFORE (PATH is AFTER), or NULL */
    bool absolute;      /* a comparison of raw weights, not shares */
    bool diff_lines;    /* Python frames compared line by line */
    bool all_frames;    /* Python stacks as recorded (a: the Python view) */
    bool fold_kernel;   /* kernel frames folded first (K) */
    struct import_opts imp;
    const char *focus, *hide;
    bool invert;
};

struct convert_opts {
    const char *in;       /* a profile file, "-" for stdin */
    const char *out;      /* -o: FILE or "-" */
    const char *format;   /* --format, NULL: from OUT's extension */
    struct import_opts imp;
    bool all_frames;      /* --all-frames: Python stacks as recorded */
};

struct diff_opts {
    const char *before, *after; /* profile files, "-" for stdin (one of them) */
    const char *out;            /* -o */
    struct import_opts imp;
    bool normalize, strip_hex;  /* difffolded.pl -n, -s */
    bool absolute;              /* the SVG: colour by raw weights, not shares */
    bool diff_lines;            /* Python frames compared line by line */
    bool all_frames;            /* Python stacks as recorded */
};

/* Compare two profiles: write difffolded.pl's two-column format (.folded)
 * or a differential flame graph (.svg) to OUT. Returns the exit status. */
int cmd_diff(const struct diff_opts *o);
/* Read a profile in any format import.h reads and write it to OUT.
 * Returns the exit status. */
int cmd_convert(const struct convert_opts *o);
/* Print a saved profile as text. Returns the exit status. */
int cmd_report(const struct report_opts *o);
/* The interactive viewer on a saved profile. Returns the exit status. */
int cmd_view(const struct view_opts *o);

/* Record a launched program (or attach to running ones), live in the viewer
 * when on a terminal, else headless; write the folded profile. Returns the
 * exit status tprof should exit with. */
int cmd_record(const struct record_opts *o);

#endif
