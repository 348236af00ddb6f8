/* atomicfile: write a file through a temporary in the same directory, then rename. */
#ifndef TPROF_ATOMICFILE_H
#define TPROF_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

struct atomicfile;

/* Open a temporary next to PATH for writing; NULL and ERR filled on failure. */
struct atomicfile *atomicfile_open(const char *path, char *err, size_t errlen);
FILE *atomicfile_stream(struct atomicfile *af);
/* Flush, fsync and rename over PATH; frees AF. -1 and ERR on failure (the
 * temporary is removed and PATH is untouched). */
int atomicfile_commit(struct atomicfile *af, char *err, size_t errlen);
/* Remove the temporary; frees AF (accepts NULL). */
void atomicfile_abort(struct atomicfile *af);

#endif
