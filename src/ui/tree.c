/*
 * tree: the call tree as an expandable outline. Rows are the visible nodes
 * in depth-first order (children heaviest first); they are recomputed only
 * when something is expanded or collapsed, so moving the selection is cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/diff.h"
#include "tprof/icicle.h"
#include "tprof/views.h"
#include "tprof/xalloc.h"

bool tree_is_open(const struct tree_view *t, uint32_t node)
{
    return node < t->nexpanded && t->expanded[node];
}

void tree_set(struct tree_view *t, uint32_t node, bool open)
{
    if (node < t->nexpanded)
        t->expanded[node] = open;
}

void tree_set_all(struct tree_view *t, bool open)
{
    memset(t->expanded, open, t->nexpanded);
    if (!open)
        tree_set(t, t->root, true);
}

static void push_row(struct tree_view *t, uint32_t node, int depth)
{
    if (t->nrows == t->caprows) {
        t->caprows = t->caprows ? t->caprows * 2 : 256;
        t->rows = xrealloc(t->rows, t->caprows * sizeof(*t->rows));
    }
    t->rows[t->nrows++] = (struct tree_row){node, depth};
}

void tree_rebuild(struct tree_view *t)
{
    size_t nodes = profile_node_count(t->p);
    if (nodes > t->nexpanded) { /* a live profile grew: new nodes start closed */
        t->expanded = xrealloc(t->expanded, nodes);
        memset(t->expanded + t->nexpanded, 0, nodes - t->nexpanded);
        t->nexpanded = nodes;
    }
    uint32_t sel = t->nrows ? tree_selected_node(t) : t->root;
    t->nrows = 0;
    double min_w = t->min_fraction * profile_total(t->p);
    /* explicit DFS: (node, depth) */
    VEC(struct tree_row) todo = {0};
    struct tree_row r0 = {t->root, 0};
    VEC_PUSH(todo, r0);
    while (todo.n) {
        struct tree_row r = todo.v[--todo.n];
        push_row(t, r.node, r.depth);
        if (!tree_is_open(t, r.node))
            continue;
        size_t mark = todo.n;
        for (uint32_t c = profile_node(t->p, r.node)->first_child; c != PROFILE_NONE;
             c = profile_node(t->p, c)->next_sibling) {
            if (profile_node(t->p, c)->total < min_w)
                continue;
            struct tree_row cr = {c, r.depth + 1};
            VEC_PUSH(todo, cr);
        }
        for (size_t a = mark, b = todo.n ? todo.n - 1 : 0; a < b; a++, b--) {
            struct tree_row tmp = todo.v[a];
            todo.v[a] = todo.v[b];
            todo.v[b] = tmp;
        }
    }
    VEC_FREE(todo);
    t->list.count = t->nrows;
    t->list.selected = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (t->rows[i].node == sel)
            t->list.selected = i;
}

void tree_init(struct tree_view *t, const struct profile *p)
{
    tree_init_at(t, p, PROFILE_ROOT);
}

void tree_init_at(struct tree_view *t, const struct profile *p, uint32_t root)
{
    free(t->expanded);
    free(t->rows);
    double keep_min = t->min_fraction;
    memset(t, 0, sizeof(*t));
    t->min_fraction = keep_min;
    t->p = p;
    t->root = root < profile_node_count(p) ? root : PROFILE_ROOT;
    t->nexpanded = profile_node_count(p);
    t->expanded = xcalloc(t->nexpanded, 1);
    /* the root and the heaviest path, a few levels down */
    uint32_t n = t->root;
    for (int d = 0; d < 6 && n != PROFILE_NONE; d++) {
        t->expanded[n] = 1;
        n = profile_node(p, n)->first_child;
    }
    tree_rebuild(t);
}

void tree_free(struct tree_view *t)
{
    free(t->expanded);
    free(t->rows);
    t->expanded = NULL;
    t->rows = NULL;
    t->nrows = t->caprows = 0;
}

uint32_t tree_selected_node(const struct tree_view *t)
{
    return t->nrows ? t->rows[t->list.selected < t->nrows ? t->list.selected : 0].node
                    : PROFILE_ROOT;
}

void tree_reveal(struct tree_view *t, uint32_t node)
{
    uint32_t a = node;
    while (a != t->root && a != PROFILE_NONE)
        a = profile_node(t->p, a)->parent;
    if (a == PROFILE_NONE)
        return; /* (outside the subtree shown) */
    for (a = node; a != t->root;) {
        a = profile_node(t->p, a)->parent;
        tree_set(t, a, true);
    }
    tree_rebuild(t);
    for (size_t i = 0; i < t->nrows; i++)
        if (t->rows[i].node == node)
            t->list.selected = i;
}

static void tree_row_draw(void *ctx, size_t i, struct canvas *c, int x, int y, int w, bool sel)
{
    struct tree_view *t = ctx;
    const struct tree_row *r = &t->rows[i];
    const struct profile_node *n = profile_node(t->p, r->node);
    double all = profile_total(t->p);
    uint8_t attr = sel ? CANVAS_REVERSE : 0;
    canvas_fill(c, x, y, w, ' ', 0, 0, attr);
    int k = canvas_printf(c, x, y, w, 0, 0, attr, "%7.2f%% %7.2f%%  ",
                          all > 0 ? 100 * n->total / all : 0, all > 0 ? 100 * n->self / all : 0);
    if (profile_has_base(t->p)) { /* a comparison: the change of the total */
        struct diff_figures d;
        char sb[40];
        diff_node_figures(t->p, r->node, &d);
        diff_signed(d.change, diff_decimals(t->p), c->utf8, sb, sizeof(sb));
        k += canvas_text_right(c, x + k, y, w - k < 9 ? w - k : 9, sb,
                               d.trend > 0 ? CC_RED : d.trend < 0 ? CC_BLUE : 0, 0, attr);
        k += canvas_text(c, x + k, y, w - k, d.only ? "* " : "  ", 0, 0, attr);
    }
    if (t->kinds)
        k += canvas_printf(c, x + k, y, w - k, 0, 0, attr, "%-4s ",
                           n->frame != PROFILE_NONE
                               ? frames_kind_mark(frames_get(profile_frames_const(t->p),
                                                             n->frame)->kind)
                               : "");
    /* Two cells per level while that leaves half the row for the name;
     * deeper, the depth is written where the indentation stops, so a
     * parent and its child never look like siblings. */
    int indent = r->depth * 2, room = (w - k) / 2;
    if (indent <= room) {
        k += indent;
    } else {
        char d[16];
        int dl = snprintf(d, sizeof(d), "%d ", r->depth);
        int at = room > dl ? room - dl : 0;
        k += at;
        k += canvas_text(c, x + k, y, w - k, d, 0, 0, attr | CANVAS_DIM);
    }
    const char *mark = n->first_child == PROFILE_NONE ? "  "
                       : tree_is_open(t, r->node)     ? (c->utf8 ? "\u25be " : "- ")
                                                      : (c->utf8 ? "\u25b8 " : "+ ");
    k += canvas_text(c, x + k, y, w - k, mark, 0, 0, attr);
    canvas_text(c, x + k, y, w - k, icicle_label(t->p, r->node), 0, 0, attr);
}

void tree_render(struct tree_view *t, struct canvas *c, int x, int y, int w, int h)
{
    if (h <= 0)
        return;
    const char *fn = t->kinds ? "kind function" : "function";
    if (profile_has_base(t->p))
        canvas_printf(c, x, y, w, 0, 0, CANVAS_BOLD, "%7s %8s  %s  %s", "total%", "self%",
                      c->utf8 ? "   \u0394total" : "   dtotal", fn);
    else
        canvas_printf(c, x, y, w, 0, 0, CANVAS_BOLD, "%7s %8s  %s", "total%", "self%", fn);
    list_render(&t->list, c, x, y + 1, w, h - 1, tree_row_draw, t);
}
