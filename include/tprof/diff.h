/* diff: two profiles compared function by function (tprof report --diff,
 * the CI gate). Stack by stack, in difffolded.pl's two-column format:
 * folded_write_diff. */
#ifndef TPROF_DIFF_H
#define TPROF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tprof/profile.h"

/* One function of either profile. Figures are percentages of each profile's
 * total, or with ABSOLUTE the weights themselves; 0 on the side where the
 * function does not occur (its frame is then UINT32_MAX). */
struct diff_row {
    uint32_t before_frame, after_frame;
    double before_total, after_total;
    double before_self, after_self;
};

/* Every function of BEFORE and AFTER (matched by name, kind and module),
 * sorted by the size of the change of its total, largest first (then of its
 * self, then by name). Returns the count; *OUT is a new array. */
size_t diff_functions(const struct profile *before, const struct profile *after, bool absolute,
                      struct diff_row **out);
/* The frame R stands for (AFTER's when it occurs there). */
const struct frame *diff_row_frame(const struct profile *before, const struct profile *after,
                                   const struct diff_row *r);

#endif
