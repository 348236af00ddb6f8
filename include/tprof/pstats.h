/* pstats: Python's profile statistics (.prof files written by cProfile and
 * by the pure-Python profile module, Python 3.8 to 3.13) as a call tree. */
#ifndef TPROF_PSTATS_H
#define TPROF_PSTATS_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/profile.h"

struct pstats_stats {
    size_t functions;     /* entries in the file */
    size_t code_keys;     /* entries keyed by a code object (the profile module's own) */
    size_t count_callers; /* call edges giving only a count: time shared by calls */
    size_t lost_callers;  /* call edges naming a function with no entry */
    size_t nodes_cut;     /* 0, or the node budget the tree stopped at */
    size_t looks_cut;     /* 0, or the budget of call-edge looks the walk stopped at */
    double total_tt;      /* the sum of every function's own time, as pstats's total */
};

/* Whether HEAD (the first N bytes) looks like a marshalled pstats dict. */
bool pstats_detect(const void *head, size_t n);

/* The tree snakeviz draws from the statistics in BUF (LEN bytes): a root per
 * function nobody calls (and for the time of a function that its callers do
 * not account for: exec() both runs the script and imports), each child under a caller weighted by that call
 * edge's cumulative time, a function already on the path left out
 * (recursion), children scaled down to fit their parent, the rest the
 * parent's self time. Weights are seconds; the per-function table is
 * pstats's own (tottime, cumtime, of total_tt). NULL with ERR. */
struct profile *pstats_read(const void *buf, size_t len, struct pstats_stats *st, char *err,
                            size_t errlen);

#endif
