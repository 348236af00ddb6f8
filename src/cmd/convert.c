/*
 * convert: `tprof convert IN -o OUT` — read a profile in any format the
 * import layer reads, write it in the format OUT's extension (or --format)
 * names: folded, speedscope JSON, an SVG flame graph or pprof.
 */
#include <stdio.h>
#include <string.h>

#include "tprof/cmd.h"
#include "tprof/export.h"
#include "tprof/filter.h"
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
    /* the Python view, as the viewer shows it; pprof keeps every frame */
    struct profile *viewed = NULL;
    const struct profile *w =
        fmt == EXPORT_PPROF ? p : filter_view_of(p, o->all_frames, false, &viewed);
    long n = export_file(w, (enum export_format)fmt, title, o->out, err, sizeof(err));
    profile_free(viewed);
    profile_free(p);
    if (n < 0) {
        say("%s", err);
        return 1;
    }
    return 0;
}
