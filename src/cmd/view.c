/*
 * view: `tprof view FILE` — load a folded profile, apply the transforms given
 * on the command line, and run the interactive viewer on the terminal.
 */
#include <stdio.h>
#include <string.h>

#include "tprof/app.h"
#include "tprof/cmd.h"
#include "tprof/folded.h"

int cmd_view(const struct view_opts *o)
{
    char err[512];
    struct folded_stats st;
    struct profile *p = folded_read(o->path, &st, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "tprof: %s\n", err);
        return 1;
    }
    const char *name = strcmp(o->path, "-") ? o->path : "standard input";
    char note[600] = "";
    if (st.malformed || st.blank)
        snprintf(note, sizeof(note), "%s: ignored %llu malformed and %llu blank lines", name,
                 (unsigned long long)st.malformed, (unsigned long long)st.blank);
    struct app *a = app_new(p, name);
    const struct { enum filter_kind k; const char *pat; bool on; } given[] = {
        {FILTER_FOCUS, o->focus, o->focus != NULL},
        {FILTER_HIDE, o->hide, o->hide != NULL},
        {FILTER_INVERT, NULL, o->invert},
    };
    for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
        if (!given[i].on)
            continue;
        struct filter *f = filter_new(given[i].k, given[i].pat, false, err, sizeof(err));
        if (!f) {
            fprintf(stderr, "tprof: %s\n", err);
            app_free(a);
            return 2;
        }
        app_push_filter(a, f);
    }
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
