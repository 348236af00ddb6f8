/*
 * export: one place that knows the output formats, so `tprof -o`, `tprof
 * convert` and the viewer's e agree on what a name means.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tprof/export.h"
#include "tprof/folded.h"
#include "tprof/say.h"
#include "tprof/xalloc.h"

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), l = strlen(suf);
    return n >= l && strcmp(s + n - l, suf) == 0;
}

static const char *const NAMES[] = {"folded", "speedscope", "svg", "pprof"};

const char *export_format_name(enum export_format f)
{
    return (unsigned)f < sizeof(NAMES) / sizeof(NAMES[0]) ? NAMES[f] : "?";
}

int export_format_for(const char *path, const char *name, int default_fmt, char *err,
                      size_t errlen)
{
    if (name) {
        for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++)
            if (strcmp(name, NAMES[i]) == 0)
                return (int)i;
        snprintf(err, errlen, "unknown --format '%s' (folded, speedscope, svg, pprof)", name);
        return -1;
    }
    if (strcmp(path, "-") == 0 || ends_with(path, ".folded") || ends_with(path, ".txt"))
        return EXPORT_FOLDED;
    if (ends_with(path, ".json"))
        return EXPORT_SPEEDSCOPE;
    if (ends_with(path, ".svg"))
        return EXPORT_SVG;
    if (ends_with(path, ".pb.gz") || ends_with(path, ".pprof"))
        return EXPORT_PPROF;
    if (default_fmt >= 0)
        return default_fmt;
    snprintf(err, errlen,
             "cannot tell the format to write from '%s': name it .folded, .txt, .json "
             "(speedscope), .svg or .pb.gz (pprof), or give --format",
             path);
    return -1;
}

long export_to(const struct profile *p, enum export_format fmt, const char *title,
               struct atomicfile *af, char *err, size_t errlen)
{
    FILE *f = atomicfile_stream(af);
    if (!f) {
        atomicfile_commit(af, err, errlen); /* says why, frees AF */
        return -1;
    }
    /* the title is a file's name: cleaned as every name written is */
    char *t = xstrdup(title);
    say_clean(t);
    long n = fmt == EXPORT_FOLDED       ? folded_write(p, f)
             : fmt == EXPORT_SPEEDSCOPE ? speedscope_write(p, t, f)
             : fmt == EXPORT_SVG      ? svg_write(p, t, f)
                                      : pprof_write(p, f);
    free(t);
    if (n < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot write '%s': %s", atomicfile_path(af),
                 strerror(e ? e : EIO));
        atomicfile_abort(af);
        return -1;
    }
    if (atomicfile_commit(af, err, errlen) < 0)
        return -1;
    return n;
}

long export_file(const struct profile *p, enum export_format fmt, const char *title,
                 const char *path, char *err, size_t errlen)
{
    struct atomicfile *af = atomicfile_open(path, err, errlen);
    if (!af)
        return -1;
    return export_to(p, fmt, title, af, err, errlen);
}
