/* import: every profile a command takes (view, report, convert), its
 * format told by content, not by name: folded, perf script text, Python
 * pstats, speedscope JSON or pprof. */
#ifndef TPROF_IMPORT_H
#define TPROF_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/perfscript.h"
#include "tprof/profile.h"

enum import_format {
    IMPORT_FOLDED,
    IMPORT_PERF_SCRIPT,
    IMPORT_PSTATS,
    IMPORT_SPEEDSCOPE,
    IMPORT_PPROF,
};

struct import_opts {
    struct perfscript_opts perf; /* for perf script text */
    bool has_profile;            /* speedscope: --profile N given */
    unsigned profile;            /* N: the profile to read, from 0 */
    const char *sample_type;     /* pprof: --sample-type NAME, or NULL */
};

/* Read PATH ("-": standard input). NULL with ERR (one line) when it cannot
 * be read or is none of the formats; else the profile, its format in *FMT
 * and in NOTE (CAP bytes) what was left out of it ("" when nothing). */
struct profile *profile_import(const char *path, const struct import_opts *o,
                               enum import_format *fmt, char *note, size_t cap, char *err,
                               size_t errlen);

/* profile_import for a command: the note, or the error, said on stderr as
 * "tprof: ..."; NULL after saying why. */
struct profile *profile_import_said(const char *path, const struct import_opts *o);

/* "folded", "perf script", "pstats", "speedscope", "pprof". */
const char *import_format_name(enum import_format f);

#endif
