/* profile: the call tree every view and exporter reads. */
#ifndef TPROF_PROFILE_H
#define TPROF_PROFILE_H

#include <stdbool.h>
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

/* What a node's weight counts: samples, events (perf script samples that
 * each count their period: a cpu-clock recording's nanoseconds), or
 * seconds (pstats). */
enum profile_unit { PROFILE_SAMPLES = 0, PROFILE_SECONDS, PROFILE_EVENTS };

/* A function's figures as its file gave them (pstats's tottime and
 * cumtime), which a tree rebuilt from call edges only approximates. */
struct profile_flat {
    uint32_t frame;
    double self, total;
};

struct profile *profile_new(void);
void profile_free(struct profile *p);

struct frames *profile_frames(struct profile *p);
const struct frames *profile_frames_const(const struct profile *p);

/* Add one stack of N frame ids, root first, with WEIGHT (samples). N may be 0
 * (the weight then stays on the root). */
uint32_t profile_add_stack(struct profile *p, const uint32_t *stack, size_t n, double weight);

/* The child of PARENT for FRAME, created (with zero weight) when missing. */
uint32_t profile_child(struct profile *p, uint32_t parent, uint32_t frame);
/* A new child of PARENT for FRAME, without looking for an existing one: for
 * builders that know it is new (stacks inserted in sorted order). */
uint32_t profile_new_child(struct profile *p, uint32_t parent, uint32_t frame);
/* Add WEIGHT to NODE's self and to the total of NODE and its ancestors. */
void profile_add_at(struct profile *p, uint32_t node, double weight);

/* Set NODE's self weight only; profile_sum_totals then makes every total
 * (for builders that know each node's own weight). */
void profile_set_self(struct profile *p, uint32_t node, double self);
void profile_sum_totals(struct profile *p);

/* Call FN for every stack with self weight, depth first: its FRAMES from
 * the top level down (N of them, valid during the call) and its weight. */
void profile_each_stack(const struct profile *p,
                        void (*fn)(void *arg, const uint32_t *frames, size_t n, double self),
                        void *arg);
/* Add every stack of SRC to DST (frames matched by name, kind and module;
 * both sides when SRC is a comparison). */
void profile_merge(struct profile *dst, const struct profile *src);

void profile_set_unit(struct profile *p, enum profile_unit unit);
enum profile_unit profile_unit(const struct profile *p);
/* What follows a weight in the profile's unit in a sentence: " samples",
 * " events", or "" (seconds: profile_format_weight says "s"). */
const char *profile_unit_word(const struct profile *p);
/* Per-function figures (V, N of them, taken over) and their 100% (BASE),
 * shown by the top table of the whole profile instead of sums over the
 * tree. A transformed profile has none. */
void profile_set_flat(struct profile *p, struct profile_flat *v, size_t n, double base);
const struct profile_flat *profile_flat(const struct profile *p, size_t *n, double *base);
/* V in the profile's unit ("1002", "0.024144 s"), as snprintf. */
int profile_format_weight(const struct profile *p, double v, char *buf, size_t len);

/* Order every sibling list by total, heaviest first (ties by name), as the
 * views show them. */
void profile_sort_children(struct profile *p);

/* ----- a comparison: each node also carries the other profile's weights -----
 *
 * The primary weights (struct profile_node) are what widths, sorting and
 * exporters follow: AFTER's, or BEFORE's when the profile is SWAPPED (the
 * viewer's b). The other side lives beside them, set by
 * profile_merge_base and carried by filter_apply. */
struct profile_weight {
    double self, total;
};

/* Give P a second channel (zero everywhere); nodes made later get one too. */
void profile_enable_base(struct profile *p);
bool profile_has_base(const struct profile *p);
/* P back to one side, AFTER's (nodes only BEFORE had stay, with no weight). */
void profile_drop_base(struct profile *p);
/* NODE's second-channel weights; NULL when P has none. */
const struct profile_weight *profile_base(const struct profile *p, uint32_t node);
/* Add WEIGHT to NODE's second-channel self and its ancestors' totals. */
void profile_add_base_at(struct profile *p, uint32_t node, double weight);
/* Add SRC's stacks to DST's second channel (frames matched by name, kind
 * and module; nodes only SRC has are made, with no primary weight). */
void profile_merge_base(struct profile *dst, const struct profile *src);
/* Which side the primary weights are (SWAPPED: BEFORE's); compare raw
 * weights (ABSOLUTE) or shares of each side's total. */
void profile_set_compare(struct profile *p, bool swapped, bool absolute);
bool profile_swapped(const struct profile *p);
bool profile_absolute(const struct profile *p);
/* Each side's 100%: the root totals, unless given (a transformed copy keeps
 * its source's, so shares stay shares of all samples). */
void profile_set_compare_all(struct profile *p, double before_all, double after_all);
void profile_compare_all(const struct profile *p, double *before_all, double *after_all);
/* NODE's weights on each side (BEFORE zero when P is no comparison). */
void profile_node_sides(const struct profile *p, uint32_t node, struct profile_weight *before,
                        struct profile_weight *after);

/* profile_each_stack over both sides: every stack with self weight on
 * either, with BEFORE's and AFTER's (one of them may be 0). */
void profile_each_stack_sides(const struct profile *p,
                              void (*fn)(void *arg, const uint32_t *frames, size_t n,
                                         double before, double after),
                              void *arg);

/* Depth of NODE (the root is 0). */
unsigned profile_depth(const struct profile *p, uint32_t node);
/* Every node's depth at once (the root's 0), in time linear in the nodes:
 * a malloc'd array the caller frees. */
unsigned *profile_depths(const struct profile *p);

const struct profile_node *profile_node(const struct profile *p, uint32_t idx);
size_t profile_node_count(const struct profile *p);
double profile_total(const struct profile *p);
/* Number of stacks added (not weighted). */
uint64_t profile_stacks_added(const struct profile *p);

#endif
