/*
 * list: selection and scrolling for any list of rows. The owner says how many
 * rows there are and draws one row on request; the list decides which rows
 * are on screen.
 */
#include "tprof/list.h"

void list_select(struct list *l, size_t i)
{
    l->selected = l->count == 0 ? 0 : i >= l->count ? l->count - 1 : i;
}

void list_move(struct list *l, long delta)
{
    long s = (long)l->selected + delta;
    list_select(l, s < 0 ? 0 : (size_t)s);
}

void list_render(struct list *l, struct canvas *c, int x, int y, int w, int h, list_row_fn row,
                 void *ctx)
{
    if (h <= 0)
        return;
    if (l->selected != LIST_NONE) {
        list_select(l, l->selected);
        if (l->selected < l->top)
            l->top = l->selected;
        if (l->selected >= l->top + (size_t)h)
            l->top = l->selected - (size_t)h + 1;
    }
    if (l->top + (size_t)h > l->count)
        l->top = l->count > (size_t)h ? l->count - (size_t)h : 0;
    for (int i = 0; i < h && l->top + (size_t)i < l->count; i++) {
        size_t idx = l->top + (size_t)i;
        row(ctx, idx, c, x, y + i, w, idx == l->selected);
    }
}
