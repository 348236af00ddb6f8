/* folded: the collapsed-stack format ("frame;frame;...;leaf COUNT"). */
#ifndef TPROF_FOLDED_H
#define TPROF_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tprof/input.h"
#include "tprof/profile.h"

/* Write P as folded lines, root first, sorted by stack in byte order, one
 * line per unique stack; a comparison as difffolded.pl's two columns
 * "STACK BEFORE AFTER". Returns the number of lines, -1 on a write error.
 * (To a file, atomically: export_file.) */
long folded_write(const struct profile *p, FILE *f);

struct folded_diff_opts {
    bool normalize; /* difffolded.pl -n: BEFORE scaled to AFTER's total, truncated */
    bool strip_hex; /* difffolded.pl -s: 0x... addresses in names become "0x..." */
};

/* Write "STACK BEFORE AFTER" lines as difffolded.pl joins two folded
 * profiles: every stack of either, 0 on the side that lacks it, sorted by
 * stack. Returns the lines written, -1 on a write error. */
long folded_write_diff(const struct profile *before, const struct profile *after,
                       const struct folded_diff_opts *o, FILE *out);
struct folded_stats {
    uint64_t lines;     /* lines read */
    uint64_t stacks;    /* lines that added a stack */
    uint64_t blank;     /* empty or all-blank lines */
    uint64_t malformed; /* lines with no valid count */
    int columns;        /* counts per line: 2 for difffolded.pl's "STACK BEFORE
                           AFTER" (the profile is then a comparison), else 1 */
};

/* Limits of what is taken for a folded profile: a line (one stack) of at
 * most 16 MiB, and counts up to 2^53 (beyond, a double no longer holds
 * every integer; 1e309 would be infinite). */
#define FOLDED_MAX_LINE INPUT_MAX_LINE
#define FOLDED_MAX_LINE_TEXT INPUT_MAX_LINE_TEXT
#define FOLDED_MAX_COUNT 9007199254740992.0

/* Read a folded profile from PATH ("-" is stdin). Accepts what any folded
 * writer produces: a space or tab before the count, CRLF, fractional counts;
 * blank and malformed lines are skipped and counted in ST. Input with a NUL
 * byte or a line past FOLDED_MAX_LINE is refused: it is not a profile. Kernel (_[k]) and
 * JIT (_[j]) suffixes become frame kinds. NULL with ERR when the file cannot
 * be read or holds no valid line. */
struct profile *folded_read(const char *path, struct folded_stats *st, char *err,
                            size_t errlen);
/* The same from an open input (from its first byte, peeked or not). */
struct profile *folded_read_input(struct input *in, struct folded_stats *st, char *err,
                                  size_t errlen);

/* "NAME: ignored 2 malformed and 1 blank lines" into BUF when ST skipped any
 * line; false (BUF empty) when it did not. */
bool folded_skipped_note(const struct folded_stats *st, const char *name, char *buf, size_t len);

/* Parse one line (without its newline) into its stack (LEN bytes) and count.
 * 0 when valid, 1 when blank, -1 when malformed. */
int folded_parse_line(const char *line, size_t len, size_t *stack_len, double *count);

/* Is the frame name S (N bytes) a Python frame's, "QUALNAME (FILE.py:LINE)"? */
bool folded_is_python_name(const char *s, size_t n);
/* Intern frame S (N bytes) of MODULE as a folded file names it: a _[k]/_[j]
 * suffix gives the kernel or JIT kind, "QUALNAME (FILE:LINE)" the Python
 * kind. */
uint32_t folded_intern_frame(struct frames *fr, const char *s, size_t n, const char *module);

#endif
