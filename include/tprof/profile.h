/* profile: the call tree every view and exporter reads. */
#ifndef TPROF_PROFILE_H
#define TPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "tprof/frames.h"

#define PROFILE_ROOT 0u         /* index of the synthetic root node ("all") */
#define PROFILE_NONE UINT32_MAX /* no node / no frame */

struct profile_node {
    uint32_t frame;        /* frame id, PROFILE_NONE for the root */
    uint32_t parent;       /* PROFILE_NONE for the root */
    uint32_t first_child;  /* PROFILE_NONE when a leaf */
    uint32_t next_sibling; /* PROFILE_NONE when last */
    double self;           /* weight of stacks ending here */
    double total;          /* weight of stacks through here */
};

struct profile;

struct profile *profile_new(void);
void profile_free(struct profile *p);

struct frames *profile_frames(struct profile *p);
const struct frames *profile_frames_const(const struct profile *p);

/* Add one stack of N frame ids, root first, with WEIGHT (samples). N may be 0
 * (the weight then stays on the root). */
void profile_add_stack(struct profile *p, const uint32_t *stack, size_t n, double weight);

/* The child of PARENT for FRAME, created (with zero weight) when missing. */
uint32_t profile_child(struct profile *p, uint32_t parent, uint32_t frame);
/* A new child of PARENT for FRAME, without looking for an existing one: for
 * builders that know it is new (stacks inserted in sorted order). */
uint32_t profile_new_child(struct profile *p, uint32_t parent, uint32_t frame);
/* Add WEIGHT to NODE's self and to the total of NODE and its ancestors. */
void profile_add_at(struct profile *p, uint32_t node, double weight);

/* Order every sibling list by total, heaviest first (ties by name), as the
 * views show them. */
void profile_sort_children(struct profile *p);

/* Depth of NODE (the root is 0). */
unsigned profile_depth(const struct profile *p, uint32_t node);

const struct profile_node *profile_node(const struct profile *p, uint32_t idx);
size_t profile_node_count(const struct profile *p);
double profile_total(const struct profile *p);
/* Number of stacks added (not weighted). */
uint64_t profile_stacks_added(const struct profile *p);

#endif
