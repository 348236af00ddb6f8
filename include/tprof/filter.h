/* filter: transforms of a profile (focus, hide, invert), applied in order. */
#ifndef TPROF_FILTER_H
#define TPROF_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/profile.h"

enum filter_kind {
    FILTER_FOCUS,  /* keep only stacks through a frame matching the pattern */
    FILTER_HIDE,   /* drop matching frames; their samples go to the caller */
    FILTER_INVERT, /* bottom-up: every stack reversed, leaves become roots */
    FILTER_MODULES, /* each frame becomes its module ("libc.so.6", "[kernel]",
                       "[jit]", "Python"), a run of one module one frame */
    FILTER_ROOTS,   /* per-thread roots ("comm-PID/TID") merged up to one per
                       process ("comm-PID") or per program ("comm") */
    FILTER_PYFUNC,  /* Python frames by function: "QUALNAME (FILE:LINE)" is
                       "QUALNAME (FILE)", or "NAME (FILE)" (the last part
                       of the qualified name, as pstats names functions) */
    FILTER_PYVIEW,  /* a stack with Python frames starts at the outermost
                       one, under one frame for the interpreter's start-up,
                       and CPython's call machinery (fold.h) is left out */
    FILTER_KFOLD,   /* a stack's kernel frames become one: the system call
                       ("sys_sendto") or the interrupt that entered */
};

/* The roots a profile's stacks start from, finest last. */
enum roots_level { ROOTS_MERGED, ROOTS_PROCESS, ROOTS_THREAD };

/* A FILTER_ROOTS transform to LEVEL (ROOTS_THREAD: none needed). */
struct filter *filter_new_roots(enum roots_level level);
/* A FILTER_PYVIEW or FILTER_KFOLD transform. */
struct filter *filter_new_view(enum filter_kind kind);
/* Whether P holds Python frames (FILTER_PYVIEW changes it). */
bool filter_python_known(const struct profile *p);
/* Whether the Python view applies to P: it has Python frames and is not a
 * pstats profile (whose stacks are Python frames from the root, and whose
 * per-function figures a transformed copy would lose). */
bool filter_pyview_applies(const struct profile *p);
/* The transforms a view of P starts with into OUT (room for 2): the
 * Python view when P has Python frames, unless ALL_FRAMES; the kernel fold
 * when FOLD_KERNEL. Returns how many. */
size_t filter_view_defaults(const struct profile *p, bool all_frames, bool fold_kernel,
                            struct filter **out);
/* P with filter_view_defaults applied: P itself when there is none, else a
 * new profile (*MADE set to it, for the caller to free). */
const struct profile *filter_view_of(const struct profile *p, bool all_frames, bool fold_kernel,
                                     struct profile **made);
/* *P replaced by filter_view_of's view of it (the original freed). */
void filter_view_replace(struct profile **p, bool all_frames, bool fold_kernel);
/* A FILTER_PYFUNC transform; SHORT_NAMES: by the last part of the
 * qualified name (to match a pstats profile's functions). */
struct filter *filter_new_pyfunc(bool short_names);
/* NAME, a Python frame's "QUALNAME (FILE:LINE)", as FILTER_PYFUNC names it
 * into OUT; false when NAME is not of that form. */
bool filter_pyfunc_name(const char *name, bool short_names, char *out, size_t len);
/* The finest roots P's stacks start from: ROOTS_THREAD when a root is
 * named "comm-PID/TID", ROOTS_PROCESS for "comm-PID", else ROOTS_MERGED. */
enum roots_level filter_roots_level(const struct profile *p);
/* NAME as a root at LEVEL ("comm-PID/TID" -> "comm-PID" -> "comm") into
 * OUT; false when NAME is not a finer root than that. */
bool filter_root_name(const char *name, enum roots_level level, char *out, size_t len);

struct filter;

/* A transform. PATTERN is a POSIX extended regex unless EXACT (then a whole
 * frame name). NULL and ERR for a bad regex. INVERT and MODULES take no
 * pattern. */
struct filter *filter_new(enum filter_kind kind, const char *pattern, bool exact, char *err,
                          size_t errlen);
void filter_free(struct filter *f);
/* "focus main", "hide ^std::", "invert" — for the transform stack on screen. */
const char *filter_label(const struct filter *f);

/* The transforms --focus, --hide and --invert ask for, in that order, into
 * OUT (room for 3). Returns how many, or -1 with ERR for a bad regex. */
int filter_from_options(const char *focus, const char *hide, bool invert, struct filter **out,
                        char *err, size_t errlen);

/* A new profile: SRC with FILTERS[0..N) applied in order. Children come out
 * sorted heaviest first. */
struct profile *filter_apply(const struct profile *src, struct filter *const *filters, size_t n);

/* filter_apply carries both sides of a comparison; with SWAP the copy's
 * primary weights are the other side's (the viewer's b). */
struct profile *filter_apply_sides(const struct profile *src, struct filter *const *filters,
                                   size_t n, bool swap);

/* Does P know its frames' modules (what FILTER_MODULES needs)? A folded
 * file's frames have none: only kernel, JIT and Python frames say theirs. */
bool filter_modules_known(const struct profile *p);

/* Does frame NAME match F's pattern? */
bool filter_matches(const struct filter *f, const char *name);

#endif
