/*
 * view: `tprof view FILE` — load a profile (folded or perf script text, see
 * import.h), apply the transforms given on the command line, and run the
 * interactive viewer on the terminal.
 */
#include <stdio.h>
#include <string.h>

#include "tprof/app.h"
#include "tprof/cmd.h"
#include "tprof/filter.h"
#include "tprof/folded.h"
#include "tprof/import.h"

int cmd_view(const struct view_opts *o)
{
    char err[512];
    char note[600];
    enum import_format fmt;
    struct profile *p = profile_import(o->path, &o->imp, &fmt, note, sizeof(note), err,
                                       sizeof(err));
    if (!p) {
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    const char *name = strcmp(o->path, "-") ? o->path : "standard input";
    struct filter *filters[3];
    int nf = filter_from_options(o->focus, o->hide, o->invert, filters, err, sizeof(err));
    if (nf < 0) {
        fprintf(stderr, "tprof: %s\n", err);
        profile_free(p);
        return 2;
    }
    struct app *a = app_new(p, name);
    if (nf)
        app_push_filters(a, filters, (size_t)nf);
    if (note[0])
        app_message(a, note);
    int rc = app_run(a, err, sizeof(err));
    app_free(a);
    if (rc < 0) {
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    if (note[0])
        fprintf(stderr, "tprof: %s\n", note);
    return rc > 0 ? 128 + rc : 0; /* ended by a signal: as a shell reports it */
}
