/*
 * convert: `tprof convert IN -o OUT` — read a profile in any format the
 * import layer reads, write it in the format OUT's extension (or --format)
 * names. Folded is the only output format so far; the others are refused
 * by name.
 */
#include <stdio.h>
#include <string.h>

#include "tprof/cmd.h"
#include "tprof/folded.h"
#include "tprof/import.h"

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), l = strlen(suf);
    return n >= l && strcmp(s + n - l, suf) == 0;
}

int cmd_convert(const struct convert_opts *o)
{
    const char *fmt = o->format;
    if (!fmt) {
        if (strcmp(o->out, "-") == 0 || ends_with(o->out, ".folded") || ends_with(o->out, ".txt"))
            fmt = "folded";
        else if (ends_with(o->out, ".svg"))
            fmt = "svg";
        else if (ends_with(o->out, ".json"))
            fmt = "speedscope";
        else if (ends_with(o->out, ".pb.gz") || ends_with(o->out, ".pprof"))
            fmt = "pprof";
        else {
            fprintf(stderr,
                    "tprof: cannot tell the format to write from '%s': name it .folded or "
                    ".txt, or give --format folded\n",
                    o->out);
            return 2;
        }
    }
    if (strcmp(fmt, "folded") != 0 && strcmp(fmt, "svg") != 0 && strcmp(fmt, "speedscope") != 0 &&
        strcmp(fmt, "pprof") != 0) {
        fprintf(stderr, "tprof: unknown --format '%s' (folded)\n", fmt);
        return 2;
    }
    if (strcmp(fmt, "folded") != 0) {
        fprintf(stderr, "tprof: writing %s is not implemented yet; folded (.folded, .txt) is\n",
                fmt);
        return 2;
    }
    char err[512], note[600];
    enum import_format f;
    struct profile *p = profile_import(o->in, &o->imp, &f, note, sizeof(note), err, sizeof(err));
    if (!p) {
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    if (note[0])
        fprintf(stderr, "tprof: %s\n", note);
    long n = folded_write_file(p, o->out, err, sizeof(err));
    profile_free(p);
    if (n < 0) {
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    return 0;
}
