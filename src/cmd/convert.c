/*
 * convert: `tprof convert IN -o OUT` — read a profile in any format the
 * import layer reads, write it in the format OUT's extension (or --format)
 * names: folded, speedscope JSON, an SVG flame graph or pprof.
 */
#include <stdio.h>
#include <string.h>

#include "tprof/cmd.h"
#include "tprof/export.h"
#include "tprof/import.h"
#include "tprof/say.h"

int cmd_convert(const struct convert_opts *o)
{
    char err[512];
    int fmt = export_format_for(o->out, o->format, -1, err, sizeof(err));
    if (fmt < 0) {
        say("%s", err);
        return 2;
    }
    struct profile *p = profile_import_said(o->in, &o->imp);
    if (!p)
        return 1;
    profile_sort_children(p);
    const char *slash = strrchr(o->in, '/');
    const char *title = strcmp(o->in, "-") == 0 ? "standard input" : slash ? slash + 1 : o->in;
    long n = export_file(p, (enum export_format)fmt, title, o->out, err, sizeof(err));
    profile_free(p);
    if (n < 0) {
        say("%s", err);
        return 1;
    }
    return 0;
}
