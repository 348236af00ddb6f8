/*
 * table: the functions of a subtree by self time (snakeviz's stats table),
 * and the callers/callees view, both as rows of the generic list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/diff.h"
#include "tprof/icicle.h"
#include "tprof/views.h"

static double pct(double v, double base)
{
    return base > 0 ? 100.0 * v / base : 0;
}

void table_build(struct table_view *t, const struct profile *p, uint32_t node,
                 enum stats_order order)
{
    struct list keep = t->list;
    bool same = t->rows && t->p == p && t->node == node;
    free(t->rows);
    t->p = p;
    t->node = node;
    t->order = order;
    t->base = profile_total(p);
    size_t nflat;
    double flat_base;
    if (profile_flat(p, &nflat, &flat_base) && node == PROFILE_ROOT)
        t->base = flat_base; /* pstats: shares of its total time, as pstats gives them */
    t->list.count = stats_functions(p, node, order, &t->rows);
    t->list.selected = same ? keep.selected : 0;
    t->list.top = same ? keep.top : 0;
}

void table_free(struct table_view *t)
{
    free(t->rows);
    t->rows = NULL;
}

void table_header(struct canvas *c, int x, int y, int w, enum stats_order order,
                  const struct profile *p, bool kinds)
{
    bool s = profile_unit(p) == PROFILE_SECONDS;
    int n = canvas_printf(c, x, y, w, 0, 0, CANVAS_BOLD, "%s  %s  ",
                          order == STATS_BY_SELF ? "[self%]" : " self% ",
                          order == STATS_BY_TOTAL ? "[total%]" : " total% ");
    if (profile_has_base(p)) {
        const char *unit = profile_absolute(p) ? (s ? "s" : "") : "%";
        char b[16], a[16];
        snprintf(b, sizeof(b), "before%s", unit);
        snprintf(a, sizeof(a), "after%s", unit);
        const char *d = c->utf8 ? "\u0394total" : "dtotal";
        n += canvas_printf(c, x + n, y, w - n, 0, 0, CANVAS_BOLD, "%9s %9s ", b, a);
        n += canvas_printf(c, x + n, y, w - n, 0, 0, CANVAS_BOLD,
                           order == STATS_BY_DELTA ? " [%s]" : "  %s ", d);
        n += canvas_text(c, x + n, y, w - n, "   ", 0, 0, CANVAS_BOLD);
    } else {
        n += canvas_printf(c, x + n, y, w - n, 0, 0, CANVAS_BOLD, "%10s %10s  ",
                           s ? "self s" : "self", s ? "total s" : "total");
    }
    if (kinds)
        n += canvas_text(c, x + n, y, w - n, "kind ", 0, 0, CANVAS_BOLD);
    canvas_text(c, x + n, y, w - n, order == STATS_BY_NAME ? "[function]" : "function", 0, 0,
                CANVAS_BOLD);
}

/* The kind column: "[py] ", "[k]  " or five spaces. */
static int kind_column(struct canvas *c, int x, int y, int w, const struct frame *f, uint8_t attr)
{
    return canvas_printf(c, x, y, w, 0, 0, attr, "%-4s ", frames_kind_mark(f->kind));
}

/* "%10.0f" samples or "%10.6f" seconds */
static const char *weight_fmt(const struct profile *p)
{
    return profile_unit(p) == PROFILE_SECONDS ? "%10.6f" : "%10.0f";
}

/* A function's name in a list, with its module when another module has a
 * function of that name (two rows "_start" would be a riddle). */
static void frame_text(struct canvas *c, int x, int y, int w, const struct frame *f, uint8_t attr)
{
    int n = canvas_text(c, x, y, w, f->name, 0, 0, attr);
    if (f->namesake && *f->module && n < w)
        canvas_printf(c, x + n, y, w - n, 0, 0, attr, " (%s)", f->module);
}

/* A comparison's columns for function S: before, after and the signed
 * change of its total (coloured as the icicle colours it); the cells used. */
static int diff_columns(struct canvas *c, int x, int y, int w, const struct profile *p,
                        const struct func_stat *s, uint8_t attr)
{
    struct diff_figures d;
    diff_stat_figures(p, s, &d);
    int dec = diff_decimals(p);
    char sb[40];
    int n = canvas_printf(c, x, y, w, 0, 0, attr, "%9.*f %9.*f ", dec, d.before, dec, d.after);
    diff_signed(d.change, dec, c->utf8, sb, sizeof(sb));
    uint8_t fg = d.trend > 0 ? CC_RED : d.trend < 0 ? CC_BLUE : 0;
    n += canvas_text_right(c, x + n, y, w - n < 9 ? w - n : 9, sb, fg, 0,
                           attr | (d.trend ? CANVAS_BOLD : 0));
    n += canvas_text(c, x + n, y, w - n, d.only ? " * " : "   ", 0, 0, attr);
    return n;
}

static void table_row(void *ctx, size_t i, struct canvas *c, int x, int y, int w, bool sel)
{
    struct table_view *t = ctx;
    const struct func_stat *s = &t->rows[i];
    const struct frame *f = frames_get(profile_frames_const(t->p), s->frame);
    uint8_t attr = sel ? CANVAS_REVERSE : 0;
    canvas_fill(c, x, y, w, ' ', 0, 0, attr);
    int n = canvas_printf(c, x, y, w, 0, 0, attr, "%6.2f%%  %7.2f%%  ", pct(s->self, t->base),
                          pct(s->total, t->base));
    if (profile_has_base(t->p)) {
        n += diff_columns(c, x + n, y, w - n, t->p, s, attr);
        if (t->kinds)
            n += kind_column(c, x + n, y, w - n, f, attr);
        frame_text(c, x + n, y, w - n, f, attr);
        return;
    }
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, weight_fmt(t->p), s->self);
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, " ");
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, weight_fmt(t->p), s->total);
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, "  ");
    if (t->kinds)
        n += kind_column(c, x + n, y, w - n, f, attr);
    frame_text(c, x + n, y, w - n, f, attr);
}

void table_render(struct table_view *t, struct canvas *c, int x, int y, int w, int h)
{
    if (h <= 0)
        return;
    table_header(c, x, y, w, t->order, t->p, t->kinds);
    list_render(&t->list, c, x, y + 1, w, h - 1, table_row, t);
}

/* ----- callers / callees ----- */

void callers_build(struct callers_view *v, const struct profile *p, uint32_t frame)
{
    stats_callers_free(&v->s);
    v->p = p;
    stats_callers(p, frame, &v->s);
    v->list.count = v->s.ncallers + 1 + v->s.ncallees;
    v->list.selected = v->s.ncallers; /* the function itself */
    v->list.top = 0;
}

void callers_free(struct callers_view *v)
{
    stats_callers_free(&v->s);
}

uint32_t callers_selected_frame(const struct callers_view *v)
{
    size_t i = v->list.selected;
    if (i < v->s.ncallers)
        return v->s.callers[i].frame;
    if (i == v->s.ncallers)
        return v->s.frame;
    i -= v->s.ncallers + 1;
    return i < v->s.ncallees ? v->s.callees[i].frame : v->s.frame;
}

/* A comparison: " +1.20 " (the change of S's total) before the name. */
static int callers_delta(struct canvas *c, int x, int y, int w, const struct profile *p,
                         const struct func_stat *s, uint8_t attr)
{
    if (!profile_has_base(p))
        return 0;
    struct diff_figures d;
    diff_stat_figures(p, s, &d);
    char sb[40];
    diff_signed(d.change, diff_decimals(p), c->utf8, sb, sizeof(sb));
    uint8_t fg = d.trend > 0 ? CC_RED : d.trend < 0 ? CC_BLUE : 0;
    int n = canvas_text_right(c, x, y, w < 9 ? w : 9, sb, fg, 0, attr);
    return n + canvas_text(c, x + n, y, w - n, d.only ? "* " : "  ", 0, 0, attr);
}

static void callers_row(void *ctx, size_t i, struct canvas *c, int x, int y, int w, bool sel)
{
    struct callers_view *v = ctx;
    const struct frames *fr = profile_frames_const(v->p);
    double all = profile_total(v->p);
    uint8_t attr = sel ? CANVAS_REVERSE : 0;
    canvas_fill(c, x, y, w, ' ', 0, 0, attr);
    int n;
    char wb[40];
    if (i < v->s.ncallers) {
        const struct func_stat *s = &v->s.callers[i];
        snprintf(wb, sizeof(wb), weight_fmt(v->p), s->total);
        n = canvas_printf(c, x, y, w, 0, 0, attr, "  %7.2f%%  %s   caller   ", pct(s->total, all),
                          wb);
        n += callers_delta(c, x + n, y, w - n, v->p, s, attr);
        frame_text(c, x + n, y, w - n, frames_get(fr, s->frame), attr);
    } else if (i == v->s.ncallers) {
        snprintf(wb, sizeof(wb), weight_fmt(v->p), v->s.total);
        n = canvas_printf(c, x, y, w, 0, 0, attr | CANVAS_BOLD, "  %7.2f%%  %s   self %.2f%%  ",
                          pct(v->s.total, all), wb, pct(v->s.self, all));
        struct func_stat me = {v->s.frame, v->s.self, v->s.total, v->s.base_self,
                               v->s.base_total};
        n += callers_delta(c, x + n, y, w - n, v->p, &me, attr | CANVAS_BOLD);
        frame_text(c, x + n, y, w - n, frames_get(fr, v->s.frame), attr | CANVAS_BOLD);
    } else {
        const struct func_stat *s = &v->s.callees[i - v->s.ncallers - 1];
        snprintf(wb, sizeof(wb), weight_fmt(v->p), s->total);
        n = canvas_printf(c, x, y, w, 0, 0, attr, "  %7.2f%%  %s   callee     ", pct(s->total, all),
                          wb);
        n += callers_delta(c, x + n, y, w - n, v->p, s, attr);
        frame_text(c, x + n, y, w - n, frames_get(fr, s->frame), attr);
    }
}

void callers_render(struct callers_view *v, struct canvas *c, int x, int y, int w, int h)
{
    if (h <= 0)
        return;
    canvas_printf(c, x, y, w, 0, 0, CANVAS_BOLD,
                  "Callers and callees of %s (merged over %s), %% of all%s",
                  frames_get(profile_frames_const(v->p), v->s.frame)->name,
                  "every place it occurs",
                  profile_has_base(v->p) ? ", then the change" : "");
    list_render(&v->list, c, x, y + 1, w, h - 1, callers_row, v);
}
