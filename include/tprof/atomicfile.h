/* atomicfile: write an output file through a temporary in the same directory,
 * then rename; devices, FIFOs and "-" (standard output) are written in place. */
#ifndef TPROF_ATOMICFILE_H
#define TPROF_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

struct atomicfile;

/* Open PATH for writing (a temporary next to it, or PATH itself when it is a
 * device or a FIFO); NULL and ERR filled when PATH cannot be written (no such
 * directory, a directory, read-only, a FIFO with no reader...). */
struct atomicfile *atomicfile_open(const char *path, char *err, size_t errlen);
/* The path as given to atomicfile_open. */
const char *atomicfile_path(const struct atomicfile *af);
/* Where to write; for a replacement the temporary is made on the first
 * call. NULL when it cannot be (commit then says why). */
FILE *atomicfile_stream(struct atomicfile *af);
/* Flush, fsync and rename over PATH (or just flush and close when written in
 * place); frees AF. -1 and ERR on failure (the temporary is removed and PATH
 * is untouched). */
int atomicfile_commit(struct atomicfile *af, char *err, size_t errlen);
/* Remove the temporary; frees AF (accepts NULL). */
void atomicfile_abort(struct atomicfile *af);

#endif
