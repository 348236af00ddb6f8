/*
 * profile: a call tree of nodes linked by index (parent, first child, next
 * sibling). Indices instead of pointers keep a node at 32 bytes. Nodes live
 * in fixed chunks of 65536: growing never copies, so a 6-million-node tree
 * never holds two copies of itself (realloc doubling did, and set the peak
 * memory). Adding a stack walks down from the root, finding or creating each
 * child; a found child is moved to the front of its sibling list, so the hot
 * paths of a profile are found after a step or two even under wide parents.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/profile.h"
#include "tprof/xalloc.h"

#define CHUNK_SHIFT 16
#define CHUNK_SIZE (1u << CHUNK_SHIFT)

struct profile {
    struct frames *frames;
    struct profile_node **chunks;
    size_t nchunks;
    size_t n; /* nodes in use */
    uint64_t stacks;
    enum profile_unit unit;
    struct profile_flat *flat; /* per-function figures the file gave, or NULL */
    size_t nflat;
    double flat_base;
    /* the comparison's other side: one weight pair per node, in chunks
     * like the nodes; NULL when this is no comparison */
    struct profile_weight **bchunks;
    bool swapped;          /* the primary weights are BEFORE's */
    bool absolute;         /* compare raw weights, not shares */
    bool have_all;         /* before_all/after_all given (a transformed copy) */
    double before_all, after_all;
};

/* Node I (no bounds check: the hot path). */
static inline struct profile_node *N(const struct profile *p, uint32_t i)
{
    return &p->chunks[i >> CHUNK_SHIFT][i & (CHUNK_SIZE - 1)];
}

/* Node I's other-side weights (the profile has them). */
static inline struct profile_weight *B(const struct profile *p, uint32_t i)
{
    return &p->bchunks[i >> CHUNK_SHIFT][i & (CHUNK_SIZE - 1)];
}

static uint32_t new_node(struct profile *p, uint32_t frame, uint32_t parent)
{
    if (p->n == p->nchunks * CHUNK_SIZE) {
        p->chunks = xrealloc(p->chunks, (p->nchunks + 1) * sizeof(*p->chunks));
        p->chunks[p->nchunks++] = xmalloc(CHUNK_SIZE * sizeof(struct profile_node));
        if (p->bchunks) {
            p->bchunks = xrealloc(p->bchunks, p->nchunks * sizeof(*p->bchunks));
            p->bchunks[p->nchunks - 1] = xcalloc(CHUNK_SIZE, sizeof(struct profile_weight));
        }
    }
    uint32_t idx = (uint32_t)p->n++;
    struct profile_node *n = N(p, idx);
    n->frame = frame;
    n->parent = parent;
    n->first_child = PROFILE_NONE;
    n->next_sibling = PROFILE_NONE;
    n->self = n->total = 0;
    if (p->bchunks)
        *B(p, idx) = (struct profile_weight){0, 0};
    if (parent != PROFILE_NONE) {
        n->next_sibling = N(p, parent)->first_child;
        N(p, parent)->first_child = idx;
    }
    return idx;
}

struct profile *profile_new(void)
{
    struct profile *p = xcalloc(1, sizeof(*p));
    p->frames = frames_new();
    new_node(p, PROFILE_NONE, PROFILE_NONE);
    return p;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    frames_free(p->frames);
    for (size_t i = 0; i < p->nchunks; i++) {
        free(p->chunks[i]);
        if (p->bchunks)
            free(p->bchunks[i]);
    }
    free(p->chunks);
    free(p->bchunks);
    free(p->flat);
    free(p);
}

void profile_set_unit(struct profile *p, enum profile_unit unit)
{
    p->unit = unit;
}

enum profile_unit profile_unit(const struct profile *p)
{
    return p->unit;
}

const char *profile_unit_word(const struct profile *p)
{
    return p->unit == PROFILE_SECONDS ? "" : p->unit == PROFILE_EVENTS ? " events" : " samples";
}

void profile_set_flat(struct profile *p, struct profile_flat *v, size_t n, double base)
{
    free(p->flat);
    p->flat = v;
    p->nflat = n;
    p->flat_base = base;
}

const struct profile_flat *profile_flat(const struct profile *p, size_t *n, double *base)
{
    *n = p->nflat;
    *base = p->flat_base;
    return p->flat;
}

int profile_format_weight(const struct profile *p, double v, char *buf, size_t len)
{
    if (p->unit == PROFILE_SECONDS)
        return snprintf(buf, len, "%.6f s", v);
    return snprintf(buf, len, "%.0f", v);
}

struct frames *profile_frames(struct profile *p)
{
    return p->frames;
}

const struct frames *profile_frames_const(const struct profile *p)
{
    return p->frames;
}

static uint32_t child_of(struct profile *p, uint32_t parent, uint32_t frame);

/* ----- the other side of a comparison ----- */

void profile_enable_base(struct profile *p)
{
    if (p->bchunks)
        return;
    p->bchunks = xmalloc(p->nchunks * sizeof(*p->bchunks));
    for (size_t i = 0; i < p->nchunks; i++)
        p->bchunks[i] = xcalloc(CHUNK_SIZE, sizeof(struct profile_weight));
}

void profile_drop_base(struct profile *p)
{
    if (!p->bchunks)
        return;
    if (p->swapped) /* the primary weights become AFTER's again */
        for (size_t i = 0; i < p->n; i++) {
            struct profile_weight t = *B(p, (uint32_t)i);
            *B(p, (uint32_t)i) = (struct profile_weight){N(p, (uint32_t)i)->self,
                                                         N(p, (uint32_t)i)->total};
            N(p, (uint32_t)i)->self = t.self;
            N(p, (uint32_t)i)->total = t.total;
        }
    for (size_t i = 0; i < p->nchunks; i++)
        free(p->bchunks[i]);
    free(p->bchunks);
    p->bchunks = NULL;
    p->swapped = p->absolute = p->have_all = false;
}

bool profile_has_base(const struct profile *p)
{
    return p->bchunks != NULL;
}

const struct profile_weight *profile_base(const struct profile *p, uint32_t node)
{
    return p->bchunks && node < p->n ? B(p, node) : NULL;
}

void profile_add_base_at(struct profile *p, uint32_t node, double weight)
{
    B(p, node)->self += weight;
    for (uint32_t n = node; n != PROFILE_NONE; n = N(p, n)->parent)
        B(p, n)->total += weight;
}

/* The other side's totals from its selves (a child comes after its
 * parent: one pass from the end). */
static void sum_base_totals(struct profile *p)
{
    for (size_t i = 0; i < p->n; i++)
        B(p, (uint32_t)i)->total = B(p, (uint32_t)i)->self;
    for (size_t i = p->n; i-- > 1;)
        B(p, N(p, (uint32_t)i)->parent)->total += B(p, (uint32_t)i)->total;
}

void profile_merge_base(struct profile *dst, const struct profile *src)
{
    profile_enable_base(dst);
    /* Frames match by name, kind and module; but a side that does not know
     * modules (a folded file) matches the other's frame of that name and
     * kind in whatever module (the first seen), and a known module matches
     * a frame whose module is unknown. DST's frames by name and kind: */
    size_t nd = frames_count(dst->frames);
    struct frames *by_name = frames_new();
    uint32_t *first = xmalloc((nd + 1) * sizeof(*first));
    for (size_t i = 0; i < nd; i++) {
        const struct frame *f = frames_get(dst->frames, (uint32_t)i);
        size_t known = frames_count(by_name);
        uint32_t k = frames_intern(by_name, f->name, strlen(f->name), f->kind, "");
        if (frames_count(by_name) > known)
            first[k] = (uint32_t)i;
    }
    size_t nf = frames_count(src->frames);
    uint32_t *fmap = xmalloc((nf + 1) * sizeof(*fmap));
    for (size_t i = 0; i < nf; i++) {
        const struct frame *f = frames_get(src->frames, (uint32_t)i);
        uint32_t id = frames_find(dst->frames, f->name, f->kind, f->module);
        if (id == UINT32_MAX && f->module[0])
            id = frames_find(dst->frames, f->name, f->kind, "");
        if (id == UINT32_MAX && !f->module[0]) {
            uint32_t k = frames_find(by_name, f->name, f->kind, "");
            id = k == UINT32_MAX ? UINT32_MAX : first[k];
        }
        /* a process root and a folded file's ordinary frame of that name */
        if (id == UINT32_MAX && (f->kind == FRAME_ROOT || f->kind == FRAME_USER)) {
            uint32_t k = frames_find(by_name, f->name,
                                     f->kind == FRAME_ROOT ? FRAME_USER : FRAME_ROOT, "");
            id = k == UINT32_MAX ? UINT32_MAX : first[k];
        }
        fmap[i] = id != UINT32_MAX
                      ? id
                      : frames_intern(dst->frames, f->name, strlen(f->name), f->kind, f->module);
    }
    frames_free(by_name);
    free(first);
    uint32_t *nmap = xmalloc(src->n * sizeof(*nmap));
    nmap[0] = PROFILE_ROOT;
    B(dst, PROFILE_ROOT)->self += N(src, PROFILE_ROOT)->self;
    for (size_t i = 1; i < src->n; i++) {
        const struct profile_node *n = N(src, (uint32_t)i);
        nmap[i] = child_of(dst, nmap[n->parent], fmap[n->frame]);
        B(dst, nmap[i])->self += n->self;
    }
    sum_base_totals(dst);
    free(nmap);
    free(fmap);
}

void profile_set_compare(struct profile *p, bool swapped, bool absolute)
{
    p->swapped = swapped;
    p->absolute = absolute;
}

bool profile_swapped(const struct profile *p)
{
    return p->swapped;
}

bool profile_absolute(const struct profile *p)
{
    return p->absolute;
}

void profile_set_compare_all(struct profile *p, double before_all, double after_all)
{
    p->have_all = true;
    p->before_all = before_all;
    p->after_all = after_all;
}

void profile_compare_all(const struct profile *p, double *before_all, double *after_all)
{
    if (p->have_all) {
        *before_all = p->before_all;
        *after_all = p->after_all;
        return;
    }
    double prim = N(p, PROFILE_ROOT)->total, other = p->bchunks ? B(p, PROFILE_ROOT)->total : 0;
    *before_all = p->swapped ? prim : other;
    *after_all = p->swapped ? other : prim;
}

void profile_node_sides(const struct profile *p, uint32_t node, struct profile_weight *before,
                        struct profile_weight *after)
{
    struct profile_weight prim = {N(p, node)->self, N(p, node)->total};
    struct profile_weight other = p->bchunks ? *B(p, node) : (struct profile_weight){0, 0};
    *before = p->swapped ? prim : other;
    *after = p->swapped ? other : prim;
}

/* Find PARENT's child for FRAME, creating it; moves it to the front. */
static uint32_t child_of(struct profile *p, uint32_t parent, uint32_t frame)
{
    uint32_t prev = PROFILE_NONE;
    for (uint32_t c = N(p, parent)->first_child; c != PROFILE_NONE; c = N(p, c)->next_sibling) {
        if (N(p, c)->frame == frame) {
            if (prev != PROFILE_NONE) {
                N(p, prev)->next_sibling = N(p, c)->next_sibling;
                N(p, c)->next_sibling = N(p, parent)->first_child;
                N(p, parent)->first_child = c;
            }
            return c;
        }
        prev = c;
    }
    return new_node(p, frame, parent);
}

uint32_t profile_new_child(struct profile *p, uint32_t parent, uint32_t frame)
{
    return new_node(p, frame, parent);
}

uint32_t profile_child(struct profile *p, uint32_t parent, uint32_t frame)
{
    return child_of(p, parent, frame);
}

void profile_add_at(struct profile *p, uint32_t node, double weight)
{
    N(p, node)->self += weight;
    for (uint32_t n = node; n != PROFILE_NONE; n = N(p, n)->parent)
        N(p, n)->total += weight;
    p->stacks++;
}

void profile_set_self(struct profile *p, uint32_t node, double self)
{
    N(p, node)->self = self;
}

void profile_sum_totals(struct profile *p)
{
    /* a child is always made after its parent: one pass from the end */
    for (size_t i = 0; i < p->n; i++)
        N(p, (uint32_t)i)->total = N(p, (uint32_t)i)->self;
    for (size_t i = p->n; i-- > 1;)
        N(p, N(p, (uint32_t)i)->parent)->total += N(p, (uint32_t)i)->total;
    if (p->bchunks)
        sum_base_totals(p);
}

void profile_merge(struct profile *dst, const struct profile *src)
{
    size_t nf = frames_count(src->frames);
    uint32_t *fmap = xmalloc((nf + 1) * sizeof(*fmap));
    for (size_t i = 0; i < nf; i++) {
        const struct frame *f = frames_get(src->frames, (uint32_t)i);
        fmap[i] = frames_intern(dst->frames, f->name, strlen(f->name), f->kind, f->module);
    }
    /* a child is made after its parent: its counterpart exists when met */
    uint32_t *nmap = xmalloc(src->n * sizeof(*nmap));
    bool base = src->bchunks != NULL;
    if (base)
        profile_enable_base(dst);
    nmap[0] = PROFILE_ROOT;
    N(dst, PROFILE_ROOT)->self += N(src, PROFILE_ROOT)->self;
    if (base)
        B(dst, PROFILE_ROOT)->self += B(src, PROFILE_ROOT)->self;
    for (size_t i = 1; i < src->n; i++) {
        const struct profile_node *n = N(src, (uint32_t)i);
        nmap[i] = child_of(dst, nmap[n->parent], fmap[n->frame]);
        N(dst, nmap[i])->self += n->self;
        if (base)
            B(dst, nmap[i])->self += B(src, (uint32_t)i)->self;
    }
    profile_sum_totals(dst);
    dst->stacks += src->stacks;
    free(nmap);
    free(fmap);
}

/* Every node with weight on either side, depth first, with its path. */
static void each_stack(const struct profile *p, bool sides,
                       void (*one)(void *arg, const uint32_t *frames, size_t n, double self),
                       void (*two)(void *arg, const uint32_t *frames, size_t n, double before,
                                   double after),
                       void *arg)
{
    VEC(uint32_t) path = {0};
    uint32_t n = N(p, PROFILE_ROOT)->first_child;
    while (n != PROFILE_NONE) {
        const struct profile_node *node = N(p, n);
        VEC_PUSH(path, node->frame);
        if (!sides) {
            if (node->self > 0)
                one(arg, path.v, path.n, node->self);
        } else {
            struct profile_weight b, a;
            profile_node_sides(p, n, &b, &a);
            if (b.self > 0 || a.self > 0)
                two(arg, path.v, path.n, b.self, a.self);
        }
        if (node->first_child != PROFILE_NONE) {
            n = node->first_child;
            continue;
        }
        /* climb until a node has a next sibling */
        while (n != PROFILE_NONE) {
            node = N(p, n);
            path.n--;
            if (node->next_sibling != PROFILE_NONE) {
                n = node->next_sibling;
                break;
            }
            n = node->parent == PROFILE_ROOT ? PROFILE_NONE : node->parent;
        }
    }
    VEC_FREE(path);
}

void profile_each_stack(const struct profile *p,
                        void (*fn)(void *arg, const uint32_t *frames, size_t n, double self),
                        void *arg)
{
    each_stack(p, false, fn, NULL, arg);
}

void profile_each_stack_sides(const struct profile *p,
                              void (*fn)(void *arg, const uint32_t *frames, size_t n,
                                         double before, double after),
                              void *arg)
{
    each_stack(p, true, NULL, fn, arg);
}

unsigned profile_depth(const struct profile *p, uint32_t node)
{
    unsigned d = 0;
    for (uint32_t n = N(p, node)->parent; n != PROFILE_NONE; n = N(p, n)->parent)
        d++;
    return d;
}

unsigned *profile_depths(const struct profile *p)
{
    size_t nn = profile_node_count(p);
    unsigned *d = xmalloc((nn ? nn : 1) * sizeof(*d));
    for (size_t i = 0; i < nn; i++)
        d[i] = UINT_MAX; /* not known yet */
    VEC(uint32_t) chain = {0};
    for (size_t i = 0; i < nn; i++) {
        /* up to a node whose depth is known (or the root), then back down:
         * each node is assigned once */
        chain.n = 0;
        uint32_t n = (uint32_t)i;
        while (n != PROFILE_NONE && d[n] == UINT_MAX) {
            VEC_PUSH(chain, n);
            n = N(p, n)->parent;
        }
        unsigned base = n == PROFILE_NONE ? 0 : d[n] + 1;
        for (size_t k = chain.n; k > 0; k--)
            d[chain.v[k - 1]] = base++;
    }
    VEC_FREE(chain);
    return d;
}

/* ----- ordering ----- */

static const struct profile *sort_p;

static int cmp_heaviest(const void *a, const void *b)
{
    const struct profile_node *x = N(sort_p, *(const uint32_t *)a);
    const struct profile_node *y = N(sort_p, *(const uint32_t *)b);
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(frames_get(sort_p->frames, x->frame)->name,
                  frames_get(sort_p->frames, y->frame)->name);
}

void profile_sort_children(struct profile *p)
{
    VEC(uint32_t) kids = {0};
    sort_p = p;
    for (uint32_t i = 0; i < p->n; i++) {
        uint32_t c = N(p, i)->first_child;
        if (c == PROFILE_NONE || N(p, c)->next_sibling == PROFILE_NONE)
            continue;
        kids.n = 0;
        for (; c != PROFILE_NONE; c = N(p, c)->next_sibling)
            VEC_PUSH(kids, c);
        VEC_SORT(kids, cmp_heaviest);
        N(p, i)->first_child = kids.v[0];
        for (size_t k = 0; k + 1 < kids.n; k++)
            N(p, kids.v[k])->next_sibling = kids.v[k + 1];
        N(p, kids.v[kids.n - 1])->next_sibling = PROFILE_NONE;
    }
    VEC_FREE(kids);
}

uint32_t profile_add_stack(struct profile *p, const uint32_t *stack, size_t n, double weight)
{
    uint32_t cur = PROFILE_ROOT;
    N(p, cur)->total += weight;
    for (size_t i = 0; i < n; i++) {
        cur = child_of(p, cur, stack[i]);
        N(p, cur)->total += weight;
    }
    N(p, cur)->self += weight;
    p->stacks++;
    return cur;
}

const struct profile_node *profile_node(const struct profile *p, uint32_t idx)
{
    return idx < p->n ? N(p, idx) : NULL;
}

size_t profile_node_count(const struct profile *p)
{
    return p->n;
}

double profile_total(const struct profile *p)
{
    return N(p, PROFILE_ROOT)->total;
}

uint64_t profile_stacks_added(const struct profile *p)
{
    return p->stacks;
}
