/*
 * stats: aggregate questions over a call tree. Each is one depth-first walk;
 * "on the stack" is tracked with a per-frame depth counter, so a recursive
 * function's total counts each stack once (the outermost occurrence), as
 * snakeviz's cumulative time and perf's children mode do.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/diff.h"
#include "tprof/stats.h"
#include "tprof/xalloc.h"

static const struct profile *sort_p;
static enum stats_order sort_order;

static int cmp_stat(const void *a, const void *b)
{
    const struct func_stat *x = a, *y = b;
    if (sort_order == STATS_BY_DELTA) {
        struct diff_figures dx, dy;
        diff_stat_figures(sort_p, x, &dx);
        diff_stat_figures(sort_p, y, &dy);
        if (fabs(dx.change) != fabs(dy.change))
            return fabs(dx.change) > fabs(dy.change) ? -1 : 1;
        if (fabs(dx.self_change) != fabs(dy.self_change))
            return fabs(dx.self_change) > fabs(dy.self_change) ? -1 : 1;
    }
    if (sort_order == STATS_BY_SELF && x->self != y->self)
        return x->self > y->self ? -1 : 1;
    if (sort_order != STATS_BY_NAME && x->total != y->total)
        return x->total > y->total ? -1 : 1;
    if (sort_order == STATS_BY_TOTAL && x->self != y->self)
        return x->self > y->self ? -1 : 1;
    const struct frames *fr = profile_frames_const(sort_p);
    return strcmp(frames_get(fr, x->frame)->name, frames_get(fr, y->frame)->name);
}

void stats_sort(const struct profile *p, struct func_stat *v, size_t n, enum stats_order order)
{
    sort_p = p;
    sort_order = order;
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_stat);
}

/* Depth-first walk of NODE's subtree calling VISIT on entry and LEAVE on exit. */
#define WALK(p, start, ENTER, LEAVE)                                                               \
    do {                                                                                           \
        uint32_t n_ = (start);                                                                     \
        for (;;) {                                                                                 \
            const struct profile_node *node = profile_node(p, n_);                                 \
            ENTER;                                                                                 \
            if (node->first_child != PROFILE_NONE && n_ != PROFILE_NONE) {                         \
                n_ = node->first_child;                                                            \
                continue;                                                                          \
            }                                                                                      \
            for (;;) {                                                                             \
                node = profile_node(p, n_);                                                        \
                LEAVE;                                                                             \
                if (n_ == (start)) {                                                               \
                    n_ = PROFILE_NONE;                                                             \
                    break;                                                                         \
                }                                                                                  \
                if (node->next_sibling != PROFILE_NONE) {                                          \
                    n_ = node->next_sibling;                                                       \
                    break;                                                                         \
                }                                                                                  \
                n_ = node->parent;                                                                 \
            }                                                                                      \
            if (n_ == PROFILE_NONE)                                                                \
                break;                                                                             \
        }                                                                                          \
    } while (0)

size_t stats_functions(const struct profile *p, uint32_t start, enum stats_order order,
                       struct func_stat **out)
{
    size_t nflat;
    double base;
    const struct profile_flat *flat = profile_flat(p, &nflat, &base);
    if (flat && start == PROFILE_ROOT) { /* the file's own figures (pstats) */
        struct func_stat *v = xcalloc(nflat + 1, sizeof(*v));
        for (size_t i = 0; i < nflat; i++)
            v[i] = (struct func_stat){flat[i].frame, flat[i].self, flat[i].total, 0, 0};
        stats_sort(p, v, nflat, order);
        *out = v;
        return nflat;
    }
    size_t nf = frames_count(profile_frames_const(p));
    struct func_stat *acc = xcalloc(nf + 1, sizeof(*acc));
    uint32_t *onpath = xcalloc(nf + 1, sizeof(uint32_t));
    bool sides = profile_has_base(p);
    WALK(p, start,
         {
             if (node->frame != PROFILE_NONE) {
                 struct func_stat *a = &acc[node->frame];
                 const struct profile_weight *b = sides ? profile_base(p, n_) : NULL;
                 a->self += node->self;
                 if (b)
                     a->base_self += b->self;
                 if (onpath[node->frame]++ == 0) {
                     a->total += node->total;
                     if (b)
                         a->base_total += b->total;
                 }
             }
         },
         {
             if (node->frame != PROFILE_NONE)
                 onpath[node->frame]--;
         });
    size_t n = 0;
    const struct frames *fr = profile_frames_const(p);
    for (size_t i = 0; i < nf; i++)
        /* (a root is a process or thread, not a function) */
        if ((acc[i].total > 0 || acc[i].base_total > 0) &&
            frames_get(fr, (uint32_t)i)->kind != FRAME_ROOT) {
            acc[n] = acc[i];
            acc[n].frame = (uint32_t)i;
            n++;
        }
    free(onpath);
    stats_sort(p, acc, n, order);
    *out = acc;
    return n;
}

void stats_callers(const struct profile *p, uint32_t frame, struct stats_callers *out)
{
    memset(out, 0, sizeof(*out));
    out->frame = frame;
    size_t nf = frames_count(profile_frames_const(p));
    struct func_stat *callers = xcalloc(nf + 1, sizeof(*callers));
    struct func_stat *callees = xcalloc(nf + 1, sizeof(*callees));
    uint32_t depth_in_f = 0; /* how many FRAME nodes are on the current path */
    bool sides = profile_has_base(p);
    static const struct profile_weight none = {0, 0};
#define BASE(i) (sides ? profile_base(p, (i)) : &none)
    WALK(p, PROFILE_ROOT,
         {
             if (node->frame == frame) {
                 const struct profile_weight *b = BASE(n_);
                 if (depth_in_f++ == 0) {
                     out->total += node->total;
                     out->base_total += b->total;
                     uint32_t parent = node->parent;
                     uint32_t pf = parent == PROFILE_NONE ? PROFILE_NONE
                                                          : profile_node(p, parent)->frame;
                     if (pf != PROFILE_NONE) {
                         callers[pf].total += node->total;
                         callers[pf].base_total += b->total;
                     }
                 }
                 out->self += node->self;
                 out->base_self += b->self;
                 for (uint32_t c = node->first_child; c != PROFILE_NONE;
                      c = profile_node(p, c)->next_sibling) {
                     const struct profile_node *cn = profile_node(p, c);
                     if (cn->frame != frame) {
                         callees[cn->frame].total += cn->total;
                         callees[cn->frame].base_total += BASE(c)->total;
                     }
                 }
             }
         },
         {
             if (node->frame == frame)
                 depth_in_f--;
         });
    for (size_t pass = 0; pass < 2; pass++) {
        struct func_stat *v = pass ? callees : callers;
        size_t n = 0;
        for (size_t i = 0; i < nf; i++)
            if (v[i].total > 0 || v[i].base_total > 0) {
                v[n] = v[i];
                v[n].frame = (uint32_t)i;
                n++;
            }
        stats_sort(p, v, n, STATS_BY_TOTAL);
        if (pass) {
            out->callees = v;
            out->ncallees = n;
        } else {
            out->callers = v;
            out->ncallers = n;
        }
    }
}

#undef BASE

void stats_callers_free(struct stats_callers *c)
{
    free(c->callers);
    free(c->callees);
    memset(c, 0, sizeof(*c));
}

double stats_match_total(const struct profile *p, uint32_t start, const bool *match)
{
    /* A match at or above START covers the whole subtree. */
    for (uint32_t a = start; a != PROFILE_NONE; a = profile_node(p, a)->parent) {
        uint32_t f = profile_node(p, a)->frame;
        if (f != PROFILE_NONE && match[f])
            return profile_node(p, start)->total;
    }
    double sum = 0;
    uint32_t inside = 0;
    WALK(p, start,
         {
             if (node->frame != PROFILE_NONE && match[node->frame] && inside++ == 0)
                 sum += node->total;
         },
         {
             if (node->frame != PROFILE_NONE && match[node->frame])
                 inside--;
         });
    return sum;
}
