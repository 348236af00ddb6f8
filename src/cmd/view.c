/*
 * view: `tprof view FILE` — load a profile (any format import.h reads),
 * apply the transforms given on the command line, and run the interactive
 * viewer on the terminal. `tprof view BEFORE AFTER` and `tprof diff BEFORE
 * AFTER` open it on the comparison of two (diff_profile_new), as does a
 * two-column (difffolded) file.
 */
#include <stdio.h>
#include <string.h>

#include "tprof/app.h"
#include "tprof/cmd.h"
#include "tprof/diff.h"
#include "tprof/filter.h"
#include "tprof/folded.h"
#include "tprof/import.h"
#include "tprof/say.h"

/* The comparison of O->before and O->path, or NULL (said on stderr). */
static struct profile *load_comparison(const struct view_opts *o, char *title, size_t len)
{
    struct profile *before = profile_import_said(o->before, &o->imp);
    if (!before)
        return NULL;
    struct profile *after = profile_import_said(o->path, &o->imp);
    if (!after) {
        profile_free(before);
        return NULL;
    }
    diff_match_functions(&before, &after, o->diff_lines);
    struct profile *p = diff_profile_new(before, after, o->absolute);
    profile_free(before);
    profile_free(after);
    snprintf(title, len, "%s vs %s", strcmp(o->before, "-") ? o->before : "standard input",
             strcmp(o->path, "-") ? o->path : "standard input");
    return p;
}

int cmd_view(const struct view_opts *o)
{
    char err[512];
    char note[600] = "";
    char title[1100];
    enum import_format fmt;
    struct profile *p;
    if (o->before) {
        p = load_comparison(o, title, sizeof(title));
        if (!p)
            return 1;
    } else {
        p = profile_import(o->path, &o->imp, &fmt, note, sizeof(note), err, sizeof(err));
        if (!p) {
            say("%s", err);
            return 1;
        }
        snprintf(title, sizeof(title), "%s", strcmp(o->path, "-") ? o->path : "standard input");
        if ((o->absolute || o->diff_lines) && !profile_has_base(p)) {
            say("%s is for comparisons, and '%s' is one profile "
                "(tprof view BEFORE AFTER compares two)",
                o->absolute ? "--absolute" : "--diff-lines", title);
            profile_free(p);
            return 2;
        }
        if (profile_has_base(p))
            profile_set_compare(p, false, o->absolute);
    }
    const char *name = title;
    struct filter *filters[3];
    int nf = filter_from_options(o->focus, o->hide, o->invert, filters, err, sizeof(err));
    if (nf < 0) {
        say("%s", err);
        profile_free(p);
        return 2;
    }
    struct app *a = app_new(p, name);
    app_set_frames_shown(a, !o->all_frames, o->fold_kernel);
    /* (a pprof file keeps a root per thread: shown by program first, as a
     * recording is; t shows them) */
    if (!o->before && fmt == IMPORT_PPROF)
        app_set_roots(a, ROOTS_MERGED);
    if (nf)
        app_push_filters(a, filters, (size_t)nf);
    if (note[0])
        app_message(a, note);
    int rc = app_run(a, err, sizeof(err));
    app_free(a);
    if (rc < 0) {
        say("%s", err);
        return 1;
    }
    if (note[0])
        say("%s", note);
    return rc > 0 ? 128 + rc : 0; /* ended by a signal: as a shell reports it */
}
