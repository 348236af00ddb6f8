/*
 * jittab: the table behind perf maps and jitdumps. Entries are sorted by
 * start when first looked up after an add; code is recompiled and moved, so
 * entries overlap, and a lookup takes the latest entry covering the address
 * among the few that start just below it.
 */
#include <stdlib.h>

#include "tprof/jittab.h"

void jittab_add(struct jittab *t, uint64_t start, uint64_t size, const char *name, size_t len,
                struct jit_unwind *uw)
{
    struct jit_entry e = {start, start + size, t->seq++, xstrndup(name, len), uw};
    VEC_PUSH(t->v, e);
    t->unsorted = true;
}

void jittab_clear(struct jittab *t)
{
    for (size_t i = 0; i < t->v.n; i++) {
        free(t->v.v[i].name);
        jit_unwind_free(t->v.v[i].unwind);
    }
    t->v.n = 0;
    t->seq = 0;
    t->unsorted = false;
}

void jittab_free(struct jittab *t)
{
    jittab_clear(t);
    VEC_FREE(t->v);
}

void jit_unwind_free(struct jit_unwind *uw)
{
    if (uw) {
        free(uw->data);
        free(uw);
    }
}

static int cmp_entry(const void *a, const void *b)
{
    const struct jit_entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

const struct jit_entry *jittab_find(struct jittab *t, uint64_t addr)
{
    if (t->unsorted) {
        VEC_SORT(t->v, cmp_entry);
        t->unsorted = false;
    }
    size_t lo = 0, hi = t->v.n;
    while (lo < hi) { /* the first entry starting above ADDR */
        size_t mid = (lo + hi) / 2;
        if (t->v.v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i > 0 && lo - i < 8; i--)
        if (addr >= t->v.v[i - 1].start && addr < t->v.v[i - 1].end)
            return &t->v.v[i - 1];
    return NULL;
}

const char *jittab_answer(const struct jit_entry *e, uint64_t *start, uint64_t *size)
{
    if (!e)
        return NULL;
    if (start)
        *start = e->start;
    if (size)
        *size = e->end - e->start;
    return e->name;
}
