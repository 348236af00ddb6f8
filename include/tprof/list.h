/* list: a scrolling list with a selection, whose rows a callback draws (the
 * one list behind the tree, top-table and callers views, like perf's
 * ui_browser). */
#ifndef TPROF_LIST_H
#define TPROF_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/canvas.h"

#define LIST_NONE ((size_t)-1) /* no selected row (text reports) */

struct list {
    size_t count;    /* rows */
    size_t selected; /* index of the selected row, or LIST_NONE */
    size_t top;      /* first row shown */
};

typedef void (*list_row_fn)(void *ctx, size_t index, struct canvas *c, int x, int y, int w,
                            bool selected);

/* Draw rows into [X, X+W) x [Y, Y+H), scrolling so the selection shows. */
void list_render(struct list *l, struct canvas *c, int x, int y, int w, int h, list_row_fn row,
                 void *ctx);
/* Move the selection by DELTA rows (clamped). */
void list_move(struct list *l, long delta);
/* Select row I (clamped). */
void list_select(struct list *l, size_t i);

#endif
