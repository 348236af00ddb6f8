/*
 * table: the functions of a subtree by self time (snakeviz's stats table),
 * and the callers/callees view, both as rows of the generic list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                  enum profile_unit unit)
{
    bool s = unit == PROFILE_SECONDS;
    canvas_printf(c, x, y, w, 0, 0, CANVAS_BOLD, "%s  %s  %10s %10s  %s",
                  order == STATS_BY_SELF ? "[self%]" : " self% ",
                  order == STATS_BY_TOTAL ? "[total%]" : " total% ", s ? "self s" : "self",
                  s ? "total s" : "total", order == STATS_BY_NAME ? "[function]" : "function");
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

static void table_row(void *ctx, size_t i, struct canvas *c, int x, int y, int w, bool sel)
{
    struct table_view *t = ctx;
    const struct func_stat *s = &t->rows[i];
    const struct frame *f = frames_get(profile_frames_const(t->p), s->frame);
    uint8_t attr = sel ? CANVAS_REVERSE : 0;
    canvas_fill(c, x, y, w, ' ', 0, 0, attr);
    int n = canvas_printf(c, x, y, w, 0, 0, attr, "%6.2f%%  %7.2f%%  ", pct(s->self, t->base),
                          pct(s->total, t->base));
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, weight_fmt(t->p), s->self);
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, " ");
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, weight_fmt(t->p), s->total);
    n += canvas_printf(c, x + n, y, w - n, 0, 0, attr, "  ");
    frame_text(c, x + n, y, w - n, f, attr);
}

void table_render(struct table_view *t, struct canvas *c, int x, int y, int w, int h)
{
    if (h <= 0)
        return;
    table_header(c, x, y, w, t->order, profile_unit(t->p));
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
        frame_text(c, x + n, y, w - n, frames_get(fr, s->frame), attr);
    } else if (i == v->s.ncallers) {
        snprintf(wb, sizeof(wb), weight_fmt(v->p), v->s.total);
        n = canvas_printf(c, x, y, w, 0, 0, attr | CANVAS_BOLD, "  %7.2f%%  %s   self %.2f%%  ",
                          pct(v->s.total, all), wb, pct(v->s.self, all));
        frame_text(c, x + n, y, w - n, frames_get(fr, v->s.frame), attr | CANVAS_BOLD);
    } else {
        const struct func_stat *s = &v->s.callees[i - v->s.ncallers - 1];
        snprintf(wb, sizeof(wb), weight_fmt(v->p), s->total);
        n = canvas_printf(c, x, y, w, 0, 0, attr, "  %7.2f%%  %s   callee     ", pct(s->total, all),
                          wb);
        frame_text(c, x + n, y, w - n, frames_get(fr, s->frame), attr);
    }
}

void callers_render(struct callers_view *v, struct canvas *c, int x, int y, int w, int h)
{
    if (h <= 0)
        return;
    canvas_printf(c, x, y, w, 0, 0, CANVAS_BOLD,
                  "Callers and callees of %s (merged over %s), %% of all",
                  frames_get(profile_frames_const(v->p), v->s.frame)->name,
                  "every place it occurs");
    list_render(&v->list, c, x, y + 1, w, h - 1, callers_row, v);
}
