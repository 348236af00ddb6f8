/* timeline: when a live profile's samples came, per second, for the
 * viewer's sparkline and its last-seconds view. */
#ifndef TPROF_TIMELINE_H
#define TPROF_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "tprof/profile.h"

/* Seconds kept one by one; older ones are folded into one bucket, so the
 * memory stays bounded (by the samples of TIMELINE_SECONDS seconds). */
#define TIMELINE_SECONDS 600

struct timeline;

struct timeline *timeline_new(void);
void timeline_free(struct timeline *t);

/* WEIGHT more samples at the leaf NODE of the profile, in second SEC of
 * the run (seconds never go back). */
void timeline_add(struct timeline *t, uint32_t sec, uint32_t node, double weight);
/* Seconds since the first sample (the last second seen + 1), 0 when none. */
uint32_t timeline_seconds(const struct timeline *t);

/* The share (0..1, or -1 for a bin with no sample) of the samples at the
 * leaves MARK says (MARK[n] for the NODES nodes of the profile) in each of
 * BINS equal spans of the seconds kept (at most TIMELINE_SECONDS, the
 * folded bucket not counted), oldest first, into OUT. Returns the bins
 * filled (fewer when the run is shorter than BINS seconds). */
size_t timeline_shares(const struct timeline *t, const uint8_t *mark, size_t nodes, size_t bins,
                       double *out);

/* A profile of the samples of the last SECS seconds only (the current one
 * included): P's stacks, with those seconds' weights. */
struct profile *timeline_window(const struct timeline *t, const struct profile *p, uint32_t secs);

#endif
