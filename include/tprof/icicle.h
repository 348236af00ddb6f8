/* icicle: the snakeviz-style view, drawn into a canvas. */
#ifndef TPROF_ICICLE_H
#define TPROF_ICICLE_H

#include <stdbool.h>
#include <stdint.h>

#include "tprof/canvas.h"
#include "tprof/profile.h"

struct icicle_opts {
    uint32_t zoom;       /* the node spanning the full width (PROFILE_ROOT: all) */
    uint32_t selected;   /* drawn highlighted; PROFILE_NONE for none */
    int first_depth;     /* depth below ZOOM shown on the top row (vertical scroll) */
    bool color;          /* false: attributes only (NO_COLOR, monochrome) */
    bool heat;           /* colour by self share instead of by name/module */
    bool diff;           /* a comparison: colour by the change of each
                            frame's share */
    bool diff_marks;     /* a comparison: marks before labels
                            (icicle_diff_mark) */
    const bool *match;   /* per frame id: a search match, or NULL */
    double min_fraction; /* frames below this share of ZOOM join the filler */
};

/* Draw into columns [X, X+W) and rows [Y, Y+H). HIT (W*H, or NULL) receives
 * the node under each cell (PROFILE_NONE where none). Returns the number of
 * depth levels the zoomed tree has (for scrolling). */
int icicle_render(const struct profile *p, const struct icicle_opts *o, struct canvas *c, int x,
                  int y, int w, int h, uint32_t *hit);

/* The label of NODE: its frame name, "all" for the root. */
const char *icicle_label(const struct profile *p, uint32_t node);

/* The background colour a frame gets (by module/name, by heat or by its
 * change). */
uint8_t icicle_color(const struct profile *p, uint32_t node, const struct icicle_opts *o);

/* A comparison's mark before a frame's label: "*" for a frame only one side
 * has; when COLOR does not show the change, also "+" (grew) or "-" (shrank,
 * U+2212 with UTF8); "" for none. */
const char *icicle_diff_mark(const struct profile *p, uint32_t node, bool color, bool utf8);

#endif
