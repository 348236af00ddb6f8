/*
 * timeline: per second of a live run, the leaf nodes that got samples and
 * how many. A second's entries are summed by node as they come (a hash for
 * the current second only); seconds older than TIMELINE_SECONDS are folded
 * into one bucket, so memory is bounded by the distinct leaves of ten
 * minutes, whatever the run's length.
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/timeline.h"
#include "tprof/xalloc.h"

struct entry {
    uint32_t node;
    double weight;
};

typedef VEC(struct entry) entries;

struct second {
    uint32_t sec;
    entries e;
};

struct slot { /* the current second's entry of a node */
    UT_hash_handle hh;
    uint32_t node;
    size_t index;
};

struct timeline {
    VEC(struct second) secs; /* the seconds kept, oldest first */
    size_t first;            /* secs.v[first..] are kept; before: folded */
    struct slot *current;    /* node -> index in the last second */
    struct slot *older_map;  /* node -> index in older */
    entries older;           /* the folded bucket */
    uint32_t last;           /* last second seen + 1 (0: none) */
};

struct timeline *timeline_new(void)
{
    return xcalloc(1, sizeof(struct timeline));
}

static void clear_map(struct slot **map)
{
    struct slot *s, *tmp;
    HASH_ITER(hh, *map, s, tmp)
    {
        HASH_DEL(*map, s);
        free(s);
    }
}

void timeline_free(struct timeline *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->secs.n; i++)
        VEC_FREE(t->secs.v[i].e);
    VEC_FREE(t->secs);
    clear_map(&t->current);
    clear_map(&t->older_map);
    VEC_FREE(t->older);
    free(t);
}

/* Add W to NODE's entry of V, found through MAP. */
static void add_entry(struct slot **map, entries *v, uint32_t node, double w)
{
    struct slot *s;
    HASH_FIND(hh, *map, &node, sizeof(node), s);
    if (s) {
        v->v[s->index].weight += w;
        return;
    }
    struct entry e = {node, w};
    VEC_PUSH(*v, e);
    s = xmalloc(sizeof(*s));
    s->node = node;
    s->index = v->n - 1;
    HASH_ADD(hh, *map, node, sizeof(node), s);
}

/* Fold the seconds that fell out of the window into the older bucket. */
static void fold_old(struct timeline *t, uint32_t now)
{
    while (t->first < t->secs.n && t->secs.v[t->first].sec + TIMELINE_SECONDS <= now) {
        struct second *s = &t->secs.v[t->first];
        for (size_t i = 0; i < s->e.n; i++)
            add_entry(&t->older_map, &t->older, s->e.v[i].node, s->e.v[i].weight);
        VEC_FREE(s->e);
        t->first++;
    }
    /* (drop the folded seconds' slots once they are half the vector) */
    if (t->first > 64 && t->first * 2 > t->secs.n) {
        memmove(t->secs.v, t->secs.v + t->first, (t->secs.n - t->first) * sizeof(t->secs.v[0]));
        t->secs.n -= t->first;
        t->first = 0;
    }
}

void timeline_add(struct timeline *t, uint32_t sec, uint32_t node, double weight)
{
    if (t->last && sec < t->last - 1)
        sec = t->last - 1; /* (never back: into the current second) */
    if (!t->secs.n || t->first == t->secs.n || t->secs.v[t->secs.n - 1].sec != sec) {
        clear_map(&t->current);
        struct second s = {.sec = sec};
        VEC_PUSH(t->secs, s);
        t->last = sec + 1;
        fold_old(t, sec);
    }
    add_entry(&t->current, &t->secs.v[t->secs.n - 1].e, node, weight);
}

uint32_t timeline_seconds(const struct timeline *t)
{
    return t->last;
}

size_t timeline_shares(const struct timeline *t, const uint8_t *mark, size_t nodes, size_t bins,
                       double *out)
{
    size_t kept = t->secs.n - t->first;
    if (!kept || !bins)
        return 0;
    uint32_t s0 = t->secs.v[t->first].sec, span = t->last - s0;
    if (bins > span)
        bins = span;
    double *in = xcalloc(bins, sizeof(double)), *all = xcalloc(bins, sizeof(double));
    for (size_t i = t->first; i < t->secs.n; i++) {
        const struct second *s = &t->secs.v[i];
        size_t b = (size_t)(s->sec - s0) * bins / span;
        for (size_t k = 0; k < s->e.n; k++) {
            uint32_t n = s->e.v[k].node;
            all[b] += s->e.v[k].weight;
            if (n < nodes && mark[n])
                in[b] += s->e.v[k].weight;
        }
    }
    for (size_t b = 0; b < bins; b++)
        out[b] = all[b] > 0 ? in[b] / all[b] : -1;
    free(in);
    free(all);
    return bins;
}

struct profile *timeline_window(const struct timeline *t, const struct profile *p, uint32_t secs)
{
    struct profile *w = profile_new();
    profile_set_unit(w, profile_unit(p));
    const struct frames *sfr = profile_frames_const(p);
    struct frames *dfr = profile_frames(w);
    size_t nframes = frames_count(sfr), nodes = profile_node_count(p);
    uint32_t *remap = xmalloc((nframes + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < nframes; i++)
        remap[i] = PROFILE_NONE;
    VEC(uint32_t) stack = {0};
    uint32_t from = t->last > secs ? t->last - secs : 0;
    for (size_t i = t->first; i < t->secs.n; i++) {
        const struct second *s = &t->secs.v[i];
        if (s->sec < from)
            continue;
        for (size_t k = 0; k < s->e.n; k++) {
            uint32_t n = s->e.v[k].node;
            if (n >= nodes || n == PROFILE_ROOT)
                continue;
            stack.n = 0;
            for (uint32_t c = n; c != PROFILE_ROOT; c = profile_node(p, c)->parent) {
                uint32_t f = profile_node(p, c)->frame;
                if (remap[f] == PROFILE_NONE) {
                    const struct frame *fr = frames_get(sfr, f);
                    remap[f] = frames_intern(dfr, fr->name, strlen(fr->name), fr->kind,
                                             fr->module);
                }
                VEC_PUSH(stack, remap[f]);
            }
            for (size_t a = 0, b = stack.n - 1; a < b; a++, b--) { /* root first */
                uint32_t x = stack.v[a];
                stack.v[a] = stack.v[b];
                stack.v[b] = x;
            }
            profile_add_stack(w, stack.v, stack.n, s->e.v[k].weight);
        }
    }
    VEC_FREE(stack);
    free(remap);
    profile_sort_children(w);
    return w;
}
