/*
 * import: one entry for every command that reads a profile. The format is
 * told from the first 64 KiB (standard input included: input_peek keeps
 * them for the reader): speedscope by its schema, pstats by its marshalled
 * dict, pprof by gzip's magic or its first field, perf script text by its
 * first sample header, folded otherwise. Other JSON is recognised and
 * refused by name, rather than read as malformed folded lines; other binary
 * data (an executable, a raw message that does not parse) is refused as
 * such.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tprof/export.h"
#include "tprof/folded.h"
#include "tprof/import.h"
#include "tprof/input.h"
#include "tprof/pstats.h"
#include "tprof/say.h"

#define READS "folded stacks, perf script text, Python pstats (.prof), speedscope JSON and pprof"
#define MAX_JSON ((size_t)1 << 30)
#define MAX_PSTATS ((size_t)256 << 20)

const char *import_format_name(enum import_format f)
{
    switch (f) {
    case IMPORT_PERF_SCRIPT:
        return "perf script";
    case IMPORT_PSTATS:
        return "pstats";
    case IMPORT_SPEEDSCOPE:
        return "speedscope";
    case IMPORT_PPROF:
        return "pprof";
    default:
        return "folded";
    }
}

/* The first index from I on of P (N bytes) that is not JSON whitespace. */
static size_t past_blanks(const unsigned char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* JSON naming speedscope's schema within the first bytes. */
static bool speedscope_detect(const unsigned char *p, size_t n)
{
    size_t i = past_blanks(p, n, 0);
    return i < n && p[i] == '{' && !memchr(p, '\0', n) &&
           memmem(p, n, "speedscope.app/file-format-schema", 33);
}

/* JSON that is not speedscope's, named, or NULL. */
static const char *unread_format(const unsigned char *p, size_t n)
{
    size_t i = past_blanks(p, n, 0);
    bool nul = memchr(p, '\0', n) != NULL;
    /* JSON: an object or an array of them (not "[unknown];f 1", not
     * "{{closure}};f 1": folded lines may start so) */
    size_t j = past_blanks(p, n, i + 1);
    bool json = !nul && j < n &&
                ((p[i] == '{' && (p[j] == '"' || p[j] == '}')) ||
                 (p[i] == '[' && (p[j] == '{' || p[j] == '"' || p[j] == ']')));
    if (json && !speedscope_detect(p, n))
        return "JSON, but not a speedscope file (no \"$schema\" naming speedscope's format)";
    return NULL;
}

/* NOTE (CAP bytes) as "NAME: WHAT NOTE", when there is one. */
static void name_note(char *note, size_t cap, const char *name, const char *what)
{
    if (!note[0])
        return;
    char body[1024];
    snprintf(body, sizeof(body), "%s", note);
    snprintf(note, cap, "%s: %s%s", name, what, body);
}

/* What a pstats file's tree could not keep, or "". */
static void pstats_note(const struct pstats_stats *st, const char *name, char *note, size_t cap)
{
    size_t k = 0;
    note[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (k < cap) {                                                                             \
            int w_ = snprintf(note + k, cap - k, __VA_ARGS__);                                     \
            k += w_ > 0 ? (size_t)w_ : 0;                                                          \
        }                                                                                          \
    } while (0)
    if (st->count_callers)
        ADD("%zu calls give only a count (the profile module's file): a function's time is "
            "shared among its callers by their calls",
            st->count_callers);
    if (st->lost_callers)
        ADD("%s%zu callers have no entry of their own: left out", k ? "; " : "",
            st->lost_callers);
    if (st->nodes_cut)
        ADD("%sthe tree stops at %zu nodes: deeper time is its parents' self",
            k ? "; " : "", st->nodes_cut);
    if (st->looks_cut)
        ADD("%sthe tree stops after %zuM looks at call edges (functions with many callees "
            "entered often): deeper time is its parents' self",
            k ? "; " : "", st->looks_cut >> 20);
#undef ADD
    name_note(note, cap, name, "pstats, ");
}

static struct profile *import_any(const char *path, const struct import_opts *o,
                                  enum import_format *fmt, char *note, size_t cap, char *err,
                                  size_t errlen)
{
    note[0] = '\0';
    struct input *in = input_open(path, err, errlen);
    if (!in)
        return NULL;
    const char *name = input_name(in);
    size_t n;
    const char *head = input_peek(in, &n, err, errlen);
    if (!head) {
        input_close(in);
        return NULL;
    }
    const char *what = unread_format((const unsigned char *)head, n);
    if (what) {
        snprintf(err, errlen, "'%s' is %s: tprof reads only " READS " so far", name, what);
        input_close(in);
        return NULL;
    }
    if (speedscope_detect((const unsigned char *)head, n)) {
        *fmt = IMPORT_SPEEDSCOPE;
        size_t len;
        const char *all = input_all(in, MAX_JSON, &len, err, errlen);
        char why[400];
        struct profile *p =
            all ? speedscope_read(all, len, o->has_profile ? (int)o->profile : -1, note, cap, why,
                                  sizeof(why))
                : NULL;
        if (all && !p)
            snprintf(err, errlen, "'%s' is not a readable speedscope file: %s", name, why);
        if (p)
            name_note(note, cap, name, "");
        input_close(in);
        return p;
    }
    if (pprof_detect(head, n)) {
        size_t len;
        const char *all = input_all(in, MAX_JSON, &len, err, errlen);
        char why[400];
        struct profile *p =
            all ? pprof_read(all, len, o->sample_type, note, cap, why, sizeof(why)) : NULL;
        if (all && !p && (unsigned char)head[0] == 0x1f) {
            snprintf(err, errlen, "'%s' is not a readable pprof file (gzip): %s", name, why);
        } else if (all && !p) {
            /* a raw message is told only by parsing: not one, so none */
            snprintf(err, errlen,
                     "'%s' is binary data, none of the formats tprof reads: " READS
                     " (as a raw pprof message: %s)",
                     name, why);
        }
        if (p) {
            *fmt = IMPORT_PPROF;
            name_note(note, cap, name, "");
        }
        input_close(in);
        return p;
    }
    if (pstats_detect(head, n)) {
        *fmt = IMPORT_PSTATS;
        struct pstats_stats st;
        size_t len;
        const char *all = input_all(in, MAX_PSTATS, &len, err, errlen);
        char why[400];
        struct profile *p = all ? pstats_read(all, len, &st, why, sizeof(why)) : NULL;
        if (all && !p)
            snprintf(err, errlen, "'%s' is not a readable pstats file: %s", name, why);
        if (p)
            pstats_note(&st, name, note, cap);
        input_close(in);
        return p;
    }
    const char *nul = memchr(head, '\0', n);
    if (nul) {
        snprintf(err, errlen,
                 "'%s' is binary data (a NUL byte at offset %zu), none of the formats tprof "
                 "reads: " READS, name, (size_t)(nul - head));
        input_close(in);
        return NULL;
    }
    struct profile *p;
    if (perfscript_detect(head, n)) {
        *fmt = IMPORT_PERF_SCRIPT;
        struct perfscript_stats st;
        p = perfscript_read(in, &o->perf, &st, err, errlen);
        if (p && (st.other_events || st.unrecognized || st.unfinished || st.by_period)) {
            int w = snprintf(note, cap, "%s: perf script, %" PRIu64 " samples of '%s'", name,
                             st.samples, st.event);
            size_t k = w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
            if (st.by_period && k < cap)
                k += (size_t)snprintf(note + k, cap - k,
                                      ", each counting its period (%.0f in all), as "
                                      "stackcollapse-perf.pl counts",
                                      profile_total(p));
            if (st.other_events && k < cap)
                k += (size_t)snprintf(note + k, cap - k, "; %" PRIu64
                                      " samples of other events left out (--event NAME)",
                                      st.other_events);
            if (st.unfinished && k < cap)
                k += (size_t)snprintf(note + k, cap - k, "; %" PRIu64
                                      " cut short (a header after it, no blank line between) left out",
                                      st.unfinished);
            if (st.unrecognized && k < cap)
                snprintf(note + k, cap - k, "; %" PRIu64 " lines not understood",
                         st.unrecognized);
        }
    } else {
        *fmt = IMPORT_FOLDED;
        struct folded_stats st;
        p = folded_read_input(in, &st, err, errlen);
        if (p)
            folded_skipped_note(&st, name, note, cap);
        else if (st.lines > 0 && st.stacks == 0)
            snprintf(err, errlen,
                     "no stacks in '%s': none of the formats tprof reads (folded stacks: "
                     "'frame;frame COUNT' lines; perf script text: 'COMM PID ... EVENT:' "
                     "headers and their frames) in its %" PRIu64 " lines",
                     name, st.lines);
    }
    input_close(in);
    return p;
}

struct profile *profile_import(const char *path, const struct import_opts *o,
                               enum import_format *fmt, char *note, size_t cap, char *err,
                               size_t errlen)
{
    struct profile *p = import_any(path, o, fmt, note, cap, err, errlen);
    /* Every output tprof writes holds a count up to 2^53 exactly (folded
     * counts, JSON integers): a profile whose weights add up to more is
     * refused here, for every format, rather than shown as -nan% or
     * written as counts no reader takes. */
    if (p && !(profile_total(p) <= FOLDED_MAX_COUNT)) {
        snprintf(err, errlen, "'%s': its weights add up to %.0f, more than %.0f, the most tprof's "
                 "outputs hold exactly", path, profile_total(p), FOLDED_MAX_COUNT);
        note[0] = '\0';
        profile_free(p);
        return NULL;
    }
    return p;
}

struct profile *profile_import_said(const char *path, const struct import_opts *o)
{
    char err[512], note[600];
    enum import_format f;
    struct profile *p = profile_import(path, o, &f, note, sizeof(note), err, sizeof(err));
    if (!p)
        say("%s", err);
    else if (note[0])
        say("%s", note);
    return p;
}
