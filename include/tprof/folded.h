/* folded: the collapsed-stack format ("frame;frame;...;leaf COUNT"). */
#ifndef TPROF_FOLDED_H
#define TPROF_FOLDED_H

#include <stddef.h>
#include <stdio.h>

#include "tprof/profile.h"

/* Write P as folded lines, root first, sorted by stack in byte order, one
 * line per unique stack. Returns the number of lines, -1 on a write error. */
long folded_write(const struct profile *p, FILE *f);
/* Same, to PATH atomically. -1 and ERR on failure. */
long folded_write_file(const struct profile *p, const char *path, char *err, size_t errlen);

#endif
