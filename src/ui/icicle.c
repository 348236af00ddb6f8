/*
 * icicle: the zoomed node spans the full width on the top row, each row
 * below is one stack depth, and a frame's width is its share of the zoomed
 * node's samples. Columns come from cumulative weights (a frame spans
 * [round(start), round(end)) of the row), so siblings tile the parent with
 * no gaps. A frame narrower than one cell is not drawn on its own: runs of
 * such siblings become one shaded filler. Only frames at least one cell wide
 * are descended into, so a redraw costs what is on screen, not the tree size.
 */
#include <math.h>
#include <string.h>

#include "tprof/diff.h"
#include "tprof/icicle.h"
#include "tprof/xalloc.h"

const char *icicle_label(const struct profile *p, uint32_t node)
{
    const struct profile_node *n = profile_node(p, node);
    if (!n || n->frame == PROFILE_NONE)
        return "all";
    return frames_get(profile_frames_const(p), n->frame)->name;
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

const char *icicle_diff_mark(const struct profile *p, uint32_t node, bool color, bool utf8)
{
    if (node == PROFILE_ROOT)
        return "";
    struct diff_figures d;
    diff_node_figures(p, node, &d);
    if (d.only)
        return "*";
    if (color || !d.trend)
        return "";
    return d.trend > 0 ? "+" : utf8 ? "\u2212" : "-";
}

uint8_t icicle_color(const struct profile *p, uint32_t node, const struct icicle_opts *o)
{
    const struct profile_node *n = profile_node(p, node);
    if (o->diff) {
        struct diff_figures d;
        diff_node_figures(p, node, &d);
        static const uint8_t grew[] = {CC_GREW1, CC_GREW2, CC_GREW3};
        static const uint8_t shrank[] = {CC_SHRANK1, CC_SHRANK2, CC_SHRANK3};
        return d.trend > 0 ? grew[d.level - 1] : d.trend < 0 ? shrank[d.level - 1] : CC_GREY;
    }
    if (o->heat) {
        double zt = profile_node(p, o->zoom)->total;
        double share = zt > 0 ? n->self / zt : 0;
        return share >= 0.20   ? CC_RED
               : share >= 0.08 ? CC_ORANGE
               : share >= 0.02 ? CC_YELLOW
               : share > 0     ? CC_GREEN
                               : CC_BLUE;
    }
    if (n->frame == PROFILE_NONE)
        return CC_GREY;
    const struct frame *f = frames_get(profile_frames_const(p), n->frame);
    if (f->kind == FRAME_KERNEL)
        return CC_ORANGE;
    if (f->kind == FRAME_JIT)
        return CC_GREEN;
    if (f->kind == FRAME_ROOT)
        return CC_GREY;
    if (f->kind == FRAME_PYTHON)
        return CC_BLUE;
    if (f->kind == FRAME_INLINE)
        return CC_CYAN;
    /* By module when known (program, each library), else by name: warm
     * colours as flamegraph.pl, so neighbours differ. */
    static const uint8_t by_module[] = {CC_YELLOW, CC_MAGENTA, CC_GREEN, CC_RED};
    static const uint8_t by_name[] = {CC_RED, CC_YELLOW, CC_ORANGE};
    if (f->module[0])
        return by_module[hash_str(f->module) % sizeof(by_module)];
    return by_name[hash_str(f->name) % sizeof(by_name)];
}

struct item {
    uint32_t node;
    int depth;
    double offset; /* weight before this node within the zoomed node */
};

/* Too narrow to draw on its own: under one cell, or under the minimum. */
static bool too_narrow(double weight, double total, int w, double min_w)
{
    return weight / total * w < 1.0 || weight < min_w;
}

static int col_of(double weight, double total, int w)
{
    return (int)floor(weight / total * w + 0.5);
}

int icicle_render(const struct profile *p, const struct icicle_opts *o, struct canvas *c, int x,
                  int y, int w, int h, uint32_t *hit)
{
    if (hit)
        for (int i = 0; i < w * h; i++)
            hit[i] = PROFILE_NONE;
    const struct profile_node *z = profile_node(p, o->zoom);
    double total = z->total;
    if (total <= 0 || w <= 0)
        return 1;
    double min_w = o->min_fraction * total;
    uint32_t boundary = c->utf8 ? 0x258f : '|';
    uint32_t shade = c->utf8 ? 0x2591 : ':';
    int max_depth = 0;

    VEC(struct item) todo = {0};
    struct item first = {o->zoom, 0, 0};
    VEC_PUSH(todo, first);
    while (todo.n) {
        struct item it = todo.v[--todo.n];
        const struct profile_node *n = profile_node(p, it.node);
        int cs = col_of(it.offset, total, w), ce = col_of(it.offset + n->total, total, w);
        int row = it.depth - o->first_depth;
        if (it.depth > max_depth)
            max_depth = it.depth;
        if (row >= 0 && row < h && ce > cs) {
            bool sel = it.node == o->selected;
            bool matched = o->match && n->frame != PROFILE_NONE && o->match[n->frame];
            uint8_t bg = o->color ? icicle_color(p, it.node, o) : 0;
            uint8_t attr = (sel ? CANVAS_REVERSE | CANVAS_BOLD : 0) |
                           (matched ? CANVAS_UNDERLINE | CANVAS_BOLD : 0);
            if (matched && o->color)
                bg = CC_MAGENTA;
            canvas_fill(c, x + cs, y + row, ce - cs, ' ', 0, bg, attr);
            canvas_fill(c, x + cs, y + row, 1, boundary, 0, bg, attr);
            int lx = x + cs + 1, lw = ce - cs - 1;
            if (o->diff_marks) {
                int m = canvas_text(c, lx, y + row, lw,
                                    icicle_diff_mark(p, it.node, o->color && o->diff, c->utf8), 0, bg,
                                    attr | CANVAS_BOLD);
                lx += m;
                lw -= m;
            }
            canvas_text(c, lx, y + row, lw, icicle_label(p, it.node), 0, bg, attr);
            if (hit)
                for (int i = cs; i < ce; i++)
                    hit[row * w + i] = it.node;
        }
        if (ce <= cs && n->total < total) /* narrower than a cell: its parent drew a filler */
            continue;
        /* Children, pushed in reverse so the heaviest is drawn first. A run of
         * narrow children becomes one filler span on the child row. */
        size_t mark = todo.n;
        double off = it.offset, run_start = -1;
        int crow = it.depth + 1 - o->first_depth;
        for (uint32_t ch = n->first_child; ch != PROFILE_NONE;) {
            const struct profile_node *cn = profile_node(p, ch);
            double cw = cn->total;
            bool narrow = too_narrow(cw, total, w, min_w);
            if (narrow) {
                if (run_start < 0)
                    run_start = off;
            } else {
                struct item ci = {ch, it.depth + 1, off};
                VEC_PUSH(todo, ci);
            }
            off += cw;
            uint32_t next = cn->next_sibling;
            bool run_ends =
                run_start >= 0 && (next == PROFILE_NONE || !narrow ||
                                   !too_narrow(profile_node(p, next)->total, total, w, min_w));
            if (run_ends) {
                double end = narrow ? off : off - cw;
                int fs = col_of(run_start, total, w), fe = col_of(end, total, w);
                if (crow >= 0 && crow < h && fe > fs) {
                    canvas_fill(c, x + fs, y + crow, fe - fs, shade, CC_GREY, 0, CANVAS_DIM);
                    if (hit)
                        for (int i = fs; i < fe; i++)
                            hit[crow * w + i] = it.node;
                }
                if (it.depth + 1 > max_depth)
                    max_depth = it.depth + 1;
                run_start = -1;
            }
            ch = next;
        }
        /* reverse the pushed children so the heaviest pops first */
        for (size_t a = mark, b = todo.n ? todo.n - 1 : 0; a < b; a++, b--) {
            struct item t = todo.v[a];
            todo.v[a] = todo.v[b];
            todo.v[b] = t;
        }
    }
    VEC_FREE(todo);
    return max_depth + 1;
}
