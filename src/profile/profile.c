/*
 * profile: a call tree stored as one array of nodes linked by index (parent,
 * first child, next sibling). Indices instead of pointers keep a node at 32
 * bytes and let the array grow by realloc. Adding a stack walks down from the
 * root, finding or creating each child; a found child is moved to the front
 * of its sibling list, so the hot paths of a profile are found after a
 * step or two even under wide parents.
 */
#include <stdlib.h>
#include <string.h>

#include "tprof/profile.h"
#include "tprof/xalloc.h"

struct profile {
    struct frames *frames;
    VEC(struct profile_node) nodes;
    uint64_t stacks;
};

struct profile *profile_new(void)
{
    struct profile *p = xcalloc(1, sizeof(*p));
    p->frames = frames_new();
    struct profile_node root = {PROFILE_NONE, PROFILE_NONE, PROFILE_NONE, PROFILE_NONE, 0, 0};
    VEC_PUSH(p->nodes, root);
    return p;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    frames_free(p->frames);
    VEC_FREE(p->nodes);
    free(p);
}

struct frames *profile_frames(struct profile *p)
{
    return p->frames;
}

const struct frames *profile_frames_const(const struct profile *p)
{
    return p->frames;
}

/* Find PARENT's child for FRAME, creating it; moves it to the front. */
static uint32_t child_of(struct profile *p, uint32_t parent, uint32_t frame)
{
    struct profile_node *nodes = p->nodes.v;
    uint32_t prev = PROFILE_NONE;
    for (uint32_t c = nodes[parent].first_child; c != PROFILE_NONE; c = nodes[c].next_sibling) {
        if (nodes[c].frame == frame) {
            if (prev != PROFILE_NONE) {
                nodes[prev].next_sibling = nodes[c].next_sibling;
                nodes[c].next_sibling = nodes[parent].first_child;
                nodes[parent].first_child = c;
            }
            return c;
        }
        prev = c;
    }
    uint32_t idx = (uint32_t)p->nodes.n;
    struct profile_node n = {frame, parent, PROFILE_NONE, nodes[parent].first_child, 0, 0};
    VEC_PUSH(p->nodes, n);
    p->nodes.v[parent].first_child = idx;
    return idx;
}

uint32_t profile_child(struct profile *p, uint32_t parent, uint32_t frame)
{
    return child_of(p, parent, frame);
}

void profile_add_at(struct profile *p, uint32_t node, double weight)
{
    struct profile_node *nodes = p->nodes.v;
    nodes[node].self += weight;
    for (uint32_t n = node; n != PROFILE_NONE; n = nodes[n].parent)
        nodes[n].total += weight;
    p->stacks++;
}

unsigned profile_depth(const struct profile *p, uint32_t node)
{
    unsigned d = 0;
    for (uint32_t n = p->nodes.v[node].parent; n != PROFILE_NONE; n = p->nodes.v[n].parent)
        d++;
    return d;
}

/* ----- ordering ----- */

static const struct profile *sort_p;

static int cmp_heaviest(const void *a, const void *b)
{
    const struct profile_node *x = &sort_p->nodes.v[*(const uint32_t *)a];
    const struct profile_node *y = &sort_p->nodes.v[*(const uint32_t *)b];
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(frames_get(sort_p->frames, x->frame)->name,
                  frames_get(sort_p->frames, y->frame)->name);
}

void profile_sort_children(struct profile *p)
{
    VEC(uint32_t) kids = {0};
    sort_p = p;
    for (size_t i = 0; i < p->nodes.n; i++) {
        kids.n = 0;
        for (uint32_t c = p->nodes.v[i].first_child; c != PROFILE_NONE;
             c = p->nodes.v[c].next_sibling)
            VEC_PUSH(kids, c);
        if (kids.n < 2)
            continue;
        qsort(kids.v, kids.n, sizeof(uint32_t), cmp_heaviest);
        p->nodes.v[i].first_child = kids.v[0];
        for (size_t k = 0; k + 1 < kids.n; k++)
            p->nodes.v[kids.v[k]].next_sibling = kids.v[k + 1];
        p->nodes.v[kids.v[kids.n - 1]].next_sibling = PROFILE_NONE;
    }
    VEC_FREE(kids);
}

void profile_add_stack(struct profile *p, const uint32_t *stack, size_t n, double weight)
{
    uint32_t cur = PROFILE_ROOT;
    p->nodes.v[cur].total += weight;
    for (size_t i = 0; i < n; i++) {
        cur = child_of(p, cur, stack[i]);
        p->nodes.v[cur].total += weight;
    }
    p->nodes.v[cur].self += weight;
    p->stacks++;
}

const struct profile_node *profile_node(const struct profile *p, uint32_t idx)
{
    return idx < p->nodes.n ? &p->nodes.v[idx] : NULL;
}

size_t profile_node_count(const struct profile *p)
{
    return p->nodes.n;
}

double profile_total(const struct profile *p)
{
    return p->nodes.v[PROFILE_ROOT].total;
}

uint64_t profile_stacks_added(const struct profile *p)
{
    return p->stacks;
}
