/* stats: questions asked of a call tree — per-function totals, callers and
 * callees of a function, the weight of stacks matching a search. */
#ifndef TPROF_STATS_H
#define TPROF_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/profile.h"

struct func_stat {
    uint32_t frame;
    double self;  /* weight of stacks ending in the function */
    double total; /* weight of stacks through it (recursion counted once) */
    /* the same of a comparison's other side (profile_base), else 0 */
    double base_self, base_total;
};

/* STATS_BY_DELTA: by the size of the change of the total (a comparison,
 * see diff_stat_figures), largest first. */
enum stats_order { STATS_BY_SELF, STATS_BY_TOTAL, STATS_BY_NAME, STATS_BY_DELTA };

/* The functions of the subtree under NODE (NODE included), sorted by ORDER.
 * Returns the count; *OUT is a new array. */
size_t stats_functions(const struct profile *p, uint32_t node, enum stats_order order,
                       struct func_stat **out);
void stats_sort(const struct profile *p, struct func_stat *v, size_t n, enum stats_order order);

struct stats_callers {
    uint32_t frame;
    double self, total;         /* of the function, over every place it occurs */
    double base_self, base_total; /* the same on a comparison's other side */
    struct func_stat *callers;  /* .total (.base_total) = weight of calls from that caller */
    size_t ncallers;
    struct func_stat *callees;  /* .total = weight spent in that callee */
    size_t ncallees;
};

/* Callers and callees of FRAME merged over every node where it occurs (the
 * outermost occurrence on a stack counts, so recursion is not counted twice).
 * Lists are sorted heaviest first. */
void stats_callers(const struct profile *p, uint32_t frame, struct stats_callers *out);
void stats_callers_free(struct stats_callers *c);

/* Weight of the stacks in NODE's subtree that pass through a frame with
 * MATCH[frame] true (each stack counted once). With NODE the root: of all. */
double stats_match_total(const struct profile *p, uint32_t node, const bool *match);

#endif
