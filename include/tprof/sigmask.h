#ifndef TPROF_SIGMASK_H
#define TPROF_SIGMASK_H

#include <stdbool.h>

/* While ON, the signal-mask changes libunwind makes around each use of its
 * cache (block every signal, then restore) are skipped: see sigmask.c. */
void sigmask_quiet(bool on);
/* How many changes were skipped (for the tests). */
unsigned long sigmask_skipped(void);

#endif
