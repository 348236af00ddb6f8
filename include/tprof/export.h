/* export: a profile written in the format its output's name (or --format)
 * says, the same for `tprof -o`, `tprof convert` and the viewer's e. */
#ifndef TPROF_EXPORT_H
#define TPROF_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tprof/atomicfile.h"
#include "tprof/profile.h"

enum export_format { EXPORT_FOLDED, EXPORT_SPEEDSCOPE, EXPORT_SVG, EXPORT_PPROF };

/* The format NAME names (--format), or, NAME NULL, the one PATH's extension
 * says: .folded/.txt/"-" folded, .json speedscope, .svg, .pb.gz/.pprof.
 * Another extension: DEFAULT_FMT when it is not -1, else -1 with ERR. */
int export_format_for(const char *path, const char *name, int default_fmt, char *err,
                      size_t errlen);
const char *export_format_name(enum export_format f);

/* Write P as FMT to AF (committed, or aborted on error: AF is freed either
 * way), TITLE naming it where the format has a title. The stacks written,
 * or -1 with ERR. */
long export_to(const struct profile *p, enum export_format fmt, const char *title,
               struct atomicfile *af, char *err, size_t errlen);
/* The same to PATH. */
long export_file(const struct profile *p, enum export_format fmt, const char *title,
                 const char *path, char *err, size_t errlen);

/* The writers, to a stream: the stacks written, -1 on a write error. */
long speedscope_write(const struct profile *p, const char *title, FILE *out);
long svg_write(const struct profile *p, const char *title, FILE *out);
/* gzip-compressed profile.proto */
long pprof_write(const struct profile *p, FILE *out);

/* Whether HEAD (N bytes) may be a pprof file: gzip, or a raw message. */
bool pprof_detect(const void *head, size_t n);
/* Read a pprof file (BUF, LEN bytes, gzipped or not): the values of sample
 * type SAMPLE_TYPE (NULL: the file's default, else the last); time units
 * become seconds. NOTE (CAP bytes) says which values when there are
 * several. NULL with ERR. */
struct profile *pprof_read(const void *buf, size_t len, const char *sample_type, char *note,
                           size_t cap, char *err, size_t errlen);

/* Read a speedscope file (BUF, LEN bytes): profile WHICH (-1: the file's
 * active one), sampled or evented; time units become seconds. NOTE (CAP
 * bytes) says which profile when there are several. NULL with ERR. */
struct profile *speedscope_read(const char *buf, size_t len, int which, char *note, size_t cap,
                                char *err, size_t errlen);

#endif
