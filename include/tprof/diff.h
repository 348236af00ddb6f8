/* diff: two profiles compared — as one tree with both sides' weights (the
 * differential viewer and SVG), function by function (tprof report --diff,
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
/* Make *BEFORE and *AFTER comparable (each replaced by a transformed copy,
 * the original freed): their Python frames by function, qualified name and
 * file, not line, so that an edit above a function does not make it two
 * (unless LINES); a pstats profile against a sampled one by the last part
 * of the qualified name (pstats names code by co_name). Returns the label
 * of what was done ("Python by function"), or NULL when nothing was. */
const char *diff_match_functions(struct profile **before, struct profile **after, bool lines);

size_t diff_functions(const struct profile *before, const struct profile *after, bool absolute,
                      struct diff_row **out);
/* The frame R stands for (AFTER's when it occurs there). */
const struct frame *diff_row_frame(const struct profile *before, const struct profile *after,
                                   const struct diff_row *r);

/* A new comparison of BEFORE and AFTER: the union of their call trees
 * (frames matched by name, kind and module), AFTER's weights primary and
 * BEFORE's beside them (profile_base). ABSOLUTE compares raw weights. */
struct profile *diff_profile_new(const struct profile *before, const struct profile *after,
                                 bool absolute);

/* One frame or function of a comparison, both sides. Totals and selves are
 * shares of each side's total in percent (raw weights when absolute). */
struct diff_figures {
    double before, after;           /* total */
    double before_self, after_self;
    double change, self_change;     /* after - before: points, or weight */
    int trend;                      /* +1 grew, -1 shrank, 0 no significant change */
    int only;                       /* +1 only in AFTER, -1 only in BEFORE, 0 in both */
    int level;                      /* how large the change is: 1, 2 or 3 */
};

/* Figures of a comparison P from raw weights of each side. A change is
 * significant when it is beyond two standard deviations of sampling noise
 * (samples: the two shares as binomial proportions, or with ABSOLUTE the
 * counts as Poisson), and for seconds (pstats) at least 0.1 points. */
void diff_figures(const struct profile *p, struct profile_weight before,
                  struct profile_weight after, struct diff_figures *out);
/* The same for NODE of P, and for function S of P's stats. */
void diff_node_figures(const struct profile *p, uint32_t node, struct diff_figures *out);
struct func_stat;
void diff_stat_figures(const struct profile *p, const struct func_stat *s,
                       struct diff_figures *out);

/* Decimals a comparison's figures are shown with: 2 for shares (points),
 * 0 for absolute samples, 6 for absolute seconds (pstats). */
int diff_decimals(const struct profile *p);

/* V as a signed change ("+12.30", "−35.80" with UTF8's minus sign, 0 as "±0.00" or "0.00") with
 * DECIMALS digits; BUF of LEN bytes. */
const char *diff_signed(double v, int decimals, bool utf8, char *buf, size_t len);

#endif
