/*
 * diff: two profiles compared function by function. Each profile's
 * functions come from stats_functions (a recursive function's total counted
 * once per stack); those of BEFORE are matched to AFTER's by name, kind and
 * module through AFTER's frame table, and the rows are sorted by how much
 * each function's total changed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/diff.h"
#include "tprof/filter.h"
#include "tprof/stats.h"
#include "tprof/xalloc.h"

static const struct profile *sort_before, *sort_after;

static int cmp_change(const void *x, const void *y)
{
    const struct diff_row *a = x, *b = y;
    double da = fabs(a->after_total - a->before_total), db = fabs(b->after_total - b->before_total);
    if (da != db)
        return da > db ? -1 : 1;
    da = fabs(a->after_self - a->before_self);
    db = fabs(b->after_self - b->before_self);
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(diff_row_frame(sort_before, sort_after, a)->name,
                  diff_row_frame(sort_before, sort_after, b)->name);
}

const char *diff_match_functions(struct profile **before, struct profile **after, bool lines)
{
    if (lines || (!filter_python_known(*before) && !filter_python_known(*after)))
        return NULL;
    /* (a pstats profile is the one with its own per-function figures) */
    size_t nb, na;
    double base;
    bool pb = profile_flat(*before, &nb, &base) != NULL;
    bool pa = profile_flat(*after, &na, &base) != NULL;
    static const char *const labels[2] = {"Python functions matched by name and file",
                                          "Python functions matched by qualified name and file"};
    struct filter *f = filter_new_pyfunc(pb != pa);
    struct profile *b = filter_apply(*before, &f, 1), *a = filter_apply(*after, &f, 1);
    filter_free(f);
    profile_free(*before);
    profile_free(*after);
    *before = b;
    *after = a;
    return labels[pb == pa];
}

const struct frame *diff_row_frame(const struct profile *before, const struct profile *after,
                                   const struct diff_row *r)
{
    if (r->after_frame != UINT32_MAX)
        return frames_get(profile_frames_const(after), r->after_frame);
    return frames_get(profile_frames_const(before), r->before_frame);
}

size_t diff_functions(const struct profile *before, const struct profile *after, bool absolute,
                      struct diff_row **out)
{
    struct func_stat *fb, *fa;
    size_t nb = stats_functions(before, PROFILE_ROOT, STATS_BY_NAME, &fb);
    size_t na = stats_functions(after, PROFILE_ROOT, STATS_BY_NAME, &fa);
    double tb = profile_total(before), ta = profile_total(after);
    double sb = absolute || tb <= 0 ? 1 : 100.0 / tb, sa = absolute || ta <= 0 ? 1 : 100.0 / ta;

    /* AFTER's functions by frame id, then BEFORE's joined to them */
    size_t nfa = frames_count(profile_frames_const(after));
    size_t *row_of = xmalloc((nfa + 1) * sizeof(*row_of));
    struct diff_row *rows = xmalloc((na + nb + 1) * sizeof(*rows));
    size_t n = 0;
    for (size_t i = 0; i < nfa; i++)
        row_of[i] = SIZE_MAX;
    for (size_t i = 0; i < na; i++) {
        rows[n] = (struct diff_row){UINT32_MAX, fa[i].frame, 0, fa[i].total * sa,
                                    0, fa[i].self * sa};
        row_of[fa[i].frame] = n++;
    }
    const struct frames *frb = profile_frames_const(before);
    const struct frames *fra = profile_frames_const(after);
    for (size_t i = 0; i < nb; i++) {
        const struct frame *f = frames_get(frb, fb[i].frame);
        uint32_t id = frames_find(fra, f->name, f->kind, f->module);
        struct diff_row *r;
        if (id != UINT32_MAX && id < nfa && row_of[id] != SIZE_MAX) {
            r = &rows[row_of[id]];
        } else {
            r = &rows[n++];
            *r = (struct diff_row){UINT32_MAX, UINT32_MAX, 0, 0, 0, 0};
        }
        r->before_frame = fb[i].frame;
        r->before_total = fb[i].total * sb;
        r->before_self = fb[i].self * sb;
    }
    sort_before = before;
    sort_after = after;
    if (n > 1)
        qsort(rows, n, sizeof(*rows), cmp_change);
    free(row_of);
    free(fb);
    free(fa);
    *out = rows;
    return n;
}

/* ----- one tree, both sides ----- */

struct profile *diff_profile_new(const struct profile *before, const struct profile *after,
                                 bool absolute)
{
    struct profile *p = profile_new();
    profile_set_unit(p, profile_unit(after));
    profile_merge(p, after);
    profile_merge_base(p, before);
    profile_set_compare(p, false, absolute);
    profile_sort_children(p);
    return p;
}

/* Is the change from B (of BALL) to A (of AALL) more than noise? */
static bool significant(const struct profile *p, double b, double ball, double a, double aall)
{
    if (a == b)
        return false;
    if (profile_unit(p) == PROFILE_SECONDS) {
        if (profile_absolute(p))
            return fabs(a - b) >= 0.001 * fmax(ball, aall);
        return ball > 0 && aall > 0 ? fabs(100 * a / aall - 100 * b / ball) >= 0.1 : true;
    }
    if (profile_absolute(p))
        return fabs(a - b) > 2 * sqrt(a + b);
    if (ball <= 0 || aall <= 0)
        return true;
    double pooled = (a + b) / (aall + ball);
    double se = sqrt(pooled * (1 - pooled) * (1 / aall + 1 / ball));
    return fabs(a / aall - b / ball) > 2 * se;
}

void diff_figures(const struct profile *p, struct profile_weight before,
                  struct profile_weight after, struct diff_figures *out)
{
    double ball, aall;
    profile_compare_all(p, &ball, &aall);
    bool raw = profile_absolute(p);
    double sb = raw ? 1 : ball > 0 ? 100 / ball : 0, sa = raw ? 1 : aall > 0 ? 100 / aall : 0;
    out->before = before.total * sb;
    out->after = after.total * sa;
    out->before_self = before.self * sb;
    out->after_self = after.self * sa;
    out->change = out->after - out->before;
    out->self_change = out->after_self - out->before_self;
    out->only = before.total > 0 && after.total <= 0   ? -1
                : after.total > 0 && before.total <= 0 ? 1
                                                       : 0;
    out->trend = !significant(p, before.total, ball, after.total, aall) ? 0
                 : out->change > 0                                     ? 1
                                                                       : -1;
    /* the size in points of the larger side's total, raw or not */
    double all = fmax(ball, aall);
    double pts = raw ? (all > 0 ? 100 * fabs(out->change) / all : 0) : fabs(out->change);
    out->level = pts >= 5 ? 3 : pts >= 1 ? 2 : 1;
}

void diff_node_figures(const struct profile *p, uint32_t node, struct diff_figures *out)
{
    struct profile_weight b, a;
    profile_node_sides(p, node, &b, &a);
    diff_figures(p, b, a, out);
}

void diff_stat_figures(const struct profile *p, const struct func_stat *s,
                       struct diff_figures *out)
{
    struct profile_weight prim = {s->self, s->total}, other = {s->base_self, s->base_total};
    bool sw = profile_swapped(p);
    diff_figures(p, sw ? prim : other, sw ? other : prim, out);
}

int diff_decimals(const struct profile *p)
{
    if (!profile_absolute(p))
        return 2;
    return profile_unit(p) == PROFILE_SECONDS ? 6 : 0;
}

const char *diff_signed(double v, int decimals, bool utf8, char *buf, size_t len)
{
    /* (-0.00 would read as a change) */
    double shown = round(fabs(v) * pow(10, decimals));
    const char *sign = shown == 0 ? (utf8 ? "\u00b1" : "") : v > 0 ? "+" : utf8 ? "\u2212" : "-";
    snprintf(buf, len, "%s%.*f", sign, decimals, fabs(v));
    return buf;
}
