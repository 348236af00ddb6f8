/*
 * jittab: the table behind perf maps and jitdumps. Entries are sorted by
 * start when first looked up after an add: the new ones alone, then merged
 * with the rest (a table of 100k entries that grows by one is not sorted
 * whole again); code is recompiled and moved, so entries overlap, and a
 * lookup takes the latest entry covering the address among the few that
 * start just below it.
 */
#include <stdlib.h>
#include <string.h>

#include "tprof/jittab.h"

void jittab_add(struct jittab *t, uint64_t start, uint64_t size, const char *name, size_t len,
                struct jit_unwind *uw)
{
    struct jit_entry e = {start, start + size, t->seq++, xstrndup(name, len), uw};
    VEC_PUSH(t->v, e);
}

void jittab_clear(struct jittab *t)
{
    for (size_t i = 0; i < t->v.n; i++) {
        free(t->v.v[i].name);
        jit_unwind_free(t->v.v[i].unwind);
    }
    t->v.n = 0;
    t->seq = 0;
    t->sorted = 0;
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

/* The entries added since the last lookup sorted, and merged in. */
static void settle(struct jittab *t)
{
    size_t n = t->v.n, k = t->sorted;
    if (k == n)
        return;
    struct jit_entry *v = t->v.v;
    qsort(v + k, n - k, sizeof(*v), cmp_entry);
    if (k > 0 && cmp_entry(&v[k - 1], &v[k]) > 0) {
        struct jit_entry *m = xmalloc(n * sizeof(*m));
        size_t i = 0, j = k, w = 0;
        while (i < k && j < n)
            m[w++] = cmp_entry(&v[i], &v[j]) <= 0 ? v[i++] : v[j++];
        while (i < k)
            m[w++] = v[i++];
        while (j < n)
            m[w++] = v[j++];
        memcpy(v, m, n * sizeof(*m));
        free(m);
    }
    t->sorted = n;
}

const struct jit_entry *jittab_find(struct jittab *t, uint64_t addr)
{
    settle(t);
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
