/* views: the list views (top table, tree, callers/callees) as row sources
 * for a list, and their plain-text forms for `tprof report`. */
#ifndef TPROF_VIEWS_H
#define TPROF_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tprof/canvas.h"
#include "tprof/list.h"
#include "tprof/profile.h"
#include "tprof/stats.h"

/* ----- top table: functions by self / total / name ----- */

struct table_view {
    const struct profile *p;
    uint32_t node;           /* the subtree it covers */
    enum stats_order order;
    struct func_stat *rows;
    struct list list;
    double base;             /* weight 100% refers to (all samples) */
    bool kinds;              /* a kind column ([k] [j] [i] [py]): reports */
};

void table_build(struct table_view *t, const struct profile *p, uint32_t node,
                 enum stats_order order);
void table_free(struct table_view *t);
/* Header line + rows. A comparison's table has before, after and the
 * change (points, or weights when absolute) in place of the weights. */
void table_render(struct table_view *t, struct canvas *c, int x, int y, int w, int h);
void table_header(struct canvas *c, int x, int y, int w, enum stats_order order,
                  const struct profile *p, bool kinds);

/* ----- tree: expandable call tree ----- */

struct tree_row {
    uint32_t node;
    int depth;
};

struct tree_view {
    const struct profile *p;
    uint32_t root; /* the rows are this node's subtree (the viewer's zoom) */
    uint8_t *expanded; /* per node */
    size_t nexpanded;
    struct tree_row *rows;
    size_t nrows, caprows;
    struct list list;
    double min_fraction; /* rows below this share of all are left out */
    bool kinds;          /* a kind column ([k] [j] [i] [py]): reports */
};

/* Start with the root and the heaviest path expanded. */
void tree_init(struct tree_view *t, const struct profile *p);
/* The same for the subtree of ROOT: its rows only. */
void tree_init_at(struct tree_view *t, const struct profile *p, uint32_t root);
void tree_free(struct tree_view *t);
/* Recompute rows after expanding or collapsing. */
void tree_rebuild(struct tree_view *t);
void tree_set(struct tree_view *t, uint32_t node, bool open);
void tree_set_all(struct tree_view *t, bool open);
bool tree_is_open(const struct tree_view *t, uint32_t node);
/* Select the row of NODE, opening its ancestors (nothing when NODE is
 * outside the root's subtree). */
void tree_reveal(struct tree_view *t, uint32_t node);
uint32_t tree_selected_node(const struct tree_view *t);
void tree_render(struct tree_view *t, struct canvas *c, int x, int y, int w, int h);

/* ----- callers / callees of one function ----- */

struct callers_view {
    const struct profile *p;
    struct stats_callers s;
    struct list list; /* rows: callers, the function itself, callees */
};

void callers_build(struct callers_view *v, const struct profile *p, uint32_t frame);
void callers_free(struct callers_view *v);
/* The frame of the selected row (a caller, the function, or a callee). */
uint32_t callers_selected_frame(const struct callers_view *v);
void callers_render(struct callers_view *v, struct canvas *c, int x, int y, int w, int h);

#endif
