/* perfscript: `perf script` text (its default output, with or without call
 * chains) read into a profile, as FlameGraph's stackcollapse-perf.pl
 * collapses it. */
#ifndef TPROF_PERFSCRIPT_H
#define TPROF_PERFSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tprof/input.h"
#include "tprof/profile.h"

struct perfscript_opts {
    bool pid;          /* root "comm-PID" (stackcollapse-perf.pl --pid) */
    bool tid;          /* root "comm-PID/TID" (--tid) */
    bool kernel;       /* kernel frames get their kind: _[k] (--kernel) */
    bool jit;          /* frames in /tmp/perf-PID.map: _[j] (--jit) */
    bool addrs;        /* unknown frames as "[unknown <ADDR>]" (--addrs) */
    const char *event; /* keep samples of this event; NULL: the first seen */
};

struct perfscript_stats {
    uint64_t lines;
    uint64_t samples;      /* samples taken */
    uint64_t other_events; /* samples of other events, left out */
    uint64_t unrecognized; /* lines neither a sample header nor a frame */
    uint64_t unfinished;   /* samples not ended by a blank line (the input was cut) */
    bool by_period;        /* a sample counted a period other than 1 */
    char event[64];        /* the event kept ("" when none was named) */
};

/* Does the text at P (N bytes, the start of an input) look like perf
 * script output: its first line that is not a comment or blank a sample
 * header ("COMM PID[/TID] ... EVENT:")? */
bool perfscript_detect(const char *p, size_t n);

/* Read IN to its end. NULL with ERR when it cannot be read, is binary, or
 * holds no sample (of the event asked for). */
struct profile *perfscript_read(struct input *in, const struct perfscript_opts *o,
                                struct perfscript_stats *st, char *err, size_t errlen);

/* The frame name stackcollapse-perf.pl makes of a perf script symbol
 * (RAW, N bytes, its "+0x.." offset already gone), into OUT (CAP bytes),
 * without the suffixes: ';' becomes ':', quotes go, and a parameter list is
 * cut ("foo(int)" is "foo"), but not a '(' inside a template's <...>,
 * "operator()" or "(anonymous namespace)", nor Go's "pkg.(*T).m": unlike
 * the script, "std::function<int (int, int)>::operator()" stays whole.
 * Returns the length written (cut to CAP - 1). */
size_t perfscript_tidy(const char *raw, size_t n, char *out, size_t cap);

#endif
