/*
 * diff: `tprof diff BEFORE AFTER -o OUT` — two profiles in any format the
 * import layer reads, joined stack by stack into difffolded.pl's
 * two-column format ("STACK BEFORE AFTER"), or drawn as a differential
 * flame graph (.svg). Without -o the viewer opens on them (cmd/view.c);
 * `tprof report --diff` compares them function by function (cmd/report.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tprof/atomicfile.h"
#include "tprof/cmd.h"
#include "tprof/diff.h"
#include "tprof/filter.h"
#include "tprof/export.h"
#include "tprof/folded.h"
#include "tprof/import.h"
#include "tprof/say.h"

int cmd_diff(const struct diff_opts *o)
{
    char err[512];
    int fmt = export_format_for(o->out, NULL, -1, err, sizeof(err));
    if (fmt != EXPORT_FOLDED && fmt != EXPORT_SVG) {
        say("diff writes difffolded.pl's two-column folded format (OUT .folded, "
            ".txt or -) or a differential flame graph (OUT .svg), not '%s'",
            o->out);
        return 2;
    }
    struct profile *before = profile_import_said(o->before, &o->imp);
    if (!before)
        return 1;
    struct profile *after = profile_import_said(o->after, &o->imp);
    if (!after) {
        profile_free(before);
        return 1;
    }
    filter_view_replace(&before, o->all_frames, false);
    filter_view_replace(&after, o->all_frames, false);
    diff_match_functions(&before, &after, o->diff_lines);
    if (fmt == EXPORT_SVG) {
        struct profile *p = diff_profile_new(before, after, o->absolute);
        profile_free(before);
        profile_free(after);
        char title[600];
        snprintf(title, sizeof(title), "Differential flame graph: %s vs %s (red grew, blue shrank)",
                 o->before, o->after);
        long n = export_file(p, EXPORT_SVG, title, o->out, err, sizeof(err));
        profile_free(p);
        if (n < 0) {
            say("%s", err);
            return 1;
        }
        return 0;
    }
    struct atomicfile *af = atomicfile_open(o->out, err, sizeof(err));
    int rc = 1;
    if (!af) {
        say("%s", err);
    } else {
        struct folded_diff_opts fo = {.normalize = o->normalize, .strip_hex = o->strip_hex};
        FILE *f = atomicfile_stream(af);
        if (!f) {
            atomicfile_commit(af, err, sizeof(err)); /* says why, frees AF */
            say("%s", err);
        } else if (folded_write_diff(before, after, &fo, f) < 0) {
            int e = errno;
            say("cannot write '%s': %s", o->out, strerror(e ? e : EIO));
            atomicfile_abort(af);
        } else if (atomicfile_commit(af, err, sizeof(err)) < 0) {
            say("%s", err);
        } else {
            rc = 0;
        }
    }
    profile_free(before);
    profile_free(after);
    return rc;
}
