/*
 * report: the viewer's renderings as plain text, for pipes and CI. Each view
 * is drawn into a canvas exactly as the viewer draws it, and the canvas is
 * printed; escape codes only when stdout is a terminal and NO_COLOR is unset.
 */
#include <locale.h>
#include <math.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tprof/cmd.h"
#include "tprof/diff.h"
#include "tprof/filter.h"
#include "tprof/folded.h"
#include "tprof/import.h"
#include "tprof/icicle.h"
#include "tprof/say.h"
#include "tprof/views.h"
#include "tprof/xalloc.h"

/* ANSI SGR for a cell's style. */
static void sgr(FILE *out, const struct cell *cl)
{
    static const int fg_code[CC_COUNT] = {39, 31, 32, 33, 34, 35, 36, 37, 33, 90};
    static const int bg_code[CC_COUNT] = {49, 41, 42, 43, 44, 45, 46, 47, 43, 100};
    fprintf(out, "\033[0");
    if (cl->attr & CANVAS_BOLD)
        fprintf(out, ";1");
    if (cl->attr & CANVAS_DIM)
        fprintf(out, ";2");
    if (cl->attr & CANVAS_UNDERLINE)
        fprintf(out, ";4");
    if (cl->attr & CANVAS_REVERSE)
        fprintf(out, ";7");
    if (cl->bg && cl->bg < CC_COUNT)
        fprintf(out, ";30;%d", bg_code[cl->bg]);
    else if (cl->fg && cl->fg < CC_COUNT)
        fprintf(out, ";%d", fg_code[cl->fg]);
    fputc('m', out);
}

/* Print rows [FROM, ROWS) of C, with colour when ANSI. */
static void print_canvas_from(const struct canvas *c, int from, int rows, bool ansi, FILE *out)
{
    char *line = xmalloc((size_t)c->w * 4 + 2);
    for (int y = from; y < rows; y++) {
        if (!ansi) {
            canvas_row_text(c, y, line, (size_t)c->w * 4 + 2);
            fprintf(out, "%s\n", line);
            continue;
        }
        struct cell prev = {0, 255, 255, 255};
        for (int x = 0; x < c->w; x++) {
            const struct cell *cl = &c->cells[y * c->w + x];
            if (cl->fg != prev.fg || cl->bg != prev.bg || cl->attr != prev.attr)
                sgr(out, cl);
            prev = *cl;
            char u[4];
            fwrite(u, 1, canvas_utf8(cl->ch, u), out);
        }
        fputs("\033[0m\n", out);
    }
    free(line);
}

static void print_canvas(const struct canvas *c, int rows, bool ansi, FILE *out)
{
    print_canvas_from(c, 0, rows, ansi, out);
}

/* A list's width for rows whose variable part (indentation, name) takes
 * NEED cells: the figures and kind columns take at most 64 (a comparison's
 * included). */
#define FIT_MAX (1 << 20)
#define FIT_LEVELS 64 /* --tree levels indented when the width is fitted */
static int width_for(size_t need)
{
    return need > FIT_MAX ? FIT_MAX + 64 : (int)need + 64;
}

/* Rows of a canvas W wide that keep it near 4M cells. */
static int rows_per_canvas(int w)
{
    int r = (4 << 20) / (w > 0 ? w : 1);
    return r < 1 ? 1 : r > 4096 ? 4096 : r;
}

/* Rows of C that hold anything. */
static int used_rows(const struct canvas *c)
{
    int rows = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++)
            if (c->cells[y * c->w + x].ch != ' ') {
                rows = y + 1;
                break;
            }
    return rows;
}

/* A figure of a diff row: a share ("48.10%") or, absolute, a weight. */
static void diff_cell(char *buf, size_t len, double v, bool absolute, bool sign)
{
    if (absolute)
        snprintf(buf, len, sign ? "%+.0f" : "%.0f", v);
    else
        snprintf(buf, len, sign ? "%+.2f" : "%.2f%%", v);
}

/* tprof report --diff BEFORE AFTER: one row per function, the change of
 * its total and self share (or, --absolute, weight), largest change first;
 * with --fail-if-grows, the gate. */
static int report_diff(const struct report_opts *o)
{
    struct filter *focus = NULL;
    char err[512];
    if (o->focus && !(focus = filter_new(FILTER_FOCUS, o->focus, false, err, sizeof(err)))) {
        say("%s", err);
        return 2;
    }
    struct profile *before = profile_import_said(o->before, &o->imp), *after = NULL;
    if (!before || !(after = profile_import_said(o->path, &o->imp))) {
        profile_free(before);
        filter_free(focus);
        return 1;
    }
    filter_view_replace(&before, o->all_frames, o->fold_kernel);
    filter_view_replace(&after, o->all_frames, o->fold_kernel);
    const char *matched = diff_match_functions(&before, &after, o->diff_lines);
    FILE *out = stdout;
    double tb = profile_total(before), ta = profile_total(after);
    bool secs = profile_unit(after) == PROFILE_SECONDS;
    const char *unit = secs ? "seconds" : "samples";
    fprintf(out, "before %s: %.*f %s; after %s: %.*f %s", o->before, secs ? 6 : 0, tb, unit,
            o->path, secs ? 6 : 0, ta, unit);
    if (o->absolute)
        fprintf(out, "; change %+.*f %s (%+.1f%%)", secs ? 6 : 0, ta - tb, unit,
                tb > 0 ? 100.0 * (ta - tb) / tb : 0.0);
    else
        fprintf(out, "; shares of each profile's total, changes in points");
    if (focus)
        fprintf(out, "; functions matching %s", o->focus);
    if (matched)
        fprintf(out, "; %s (--diff-lines: by line)", matched);
    fputs("\n\n", out);

    struct diff_row *rows;
    size_t n = diff_functions(before, after, o->absolute, &rows);
    fprintf(out, "%10s %10s %9s %12s %12s %11s  %-4s  %s\n", "before", "after", "change",
            "before self", "after self", "self change", "kind", "function");
    size_t shown = 0, limit = o->top > 0 ? (size_t)o->top : 20, grew = 0;
    for (size_t i = 0; i < n; i++) {
        const struct diff_row *r = &rows[i];
        const struct frame *f = diff_row_frame(before, after, r);
        if (focus && !filter_matches(focus, f->name))
            continue;
        double d = r->after_total - r->before_total;
        if (o->fail_if_grows >= 0 && d > o->fail_if_grows) {
            say("%s grew by %+.2f %s (%.2f%s -> %.2f%s), more than %g",
                f->name, d, o->absolute ? unit : "points", r->before_total,
                o->absolute ? "" : "%", r->after_total, o->absolute ? "" : "%",
                o->fail_if_grows);
            grew++;
        }
        if (shown >= limit || (fabs(d) < o->min_delta))
            continue;
        char c[6][32];
        diff_cell(c[0], sizeof(c[0]), r->before_total, o->absolute, false);
        diff_cell(c[1], sizeof(c[1]), r->after_total, o->absolute, false);
        diff_cell(c[2], sizeof(c[2]), d, o->absolute, true);
        diff_cell(c[3], sizeof(c[3]), r->before_self, o->absolute, false);
        diff_cell(c[4], sizeof(c[4]), r->after_self, o->absolute, false);
        diff_cell(c[5], sizeof(c[5]), r->after_self - r->before_self, o->absolute, true);
        fprintf(out, "%10s %10s %9s %12s %12s %11s  %-4s  %s%s%s%s\n", c[0], c[1], c[2], c[3],
                c[4], c[5], frames_kind_mark(f->kind), f->name, f->namesake ? " (" : "",
                f->namesake ? f->module : "", f->namesake ? ")" : "");
        shown++;
    }
    if (shown == 0)
        fprintf(out, "(no function changed by %g or more)\n", o->min_delta);
    free(rows);
    profile_free(before);
    profile_free(after);
    filter_free(focus);
    if (ferror(out))
        return 1;
    return grew ? 3 : 0;
}

int cmd_report(const struct report_opts *o)
{
    if (o->before)
        return report_diff(o);
    char err[512];
    char note[600];
    enum import_format fmt;
    struct profile *loaded = profile_import(o->path, &o->imp, &fmt, note, sizeof(note), err,
                                            sizeof(err));
    if (!loaded) {
        say("%s", err);
        return 1;
    }
    if (note[0])
        say("%s", note);
    size_t nflat;
    double flat_total; /* pstats: the total its shares are of */
    bool flat = profile_flat(loaded, &nflat, &flat_total) != NULL;
    unsigned long long stacks = 0; /* distinct stacks read */
    for (size_t i = 0; i < profile_node_count(loaded); i++)
        stacks += profile_node(loaded, (uint32_t)i)->self > 0;

    struct filter *filters[8];
    size_t nf = 0;
    /* (a pprof file keeps a root per thread: by program, as a recording's
     * report is) */
    if (fmt == IMPORT_PPROF && filter_roots_level(loaded) != ROOTS_MERGED)
        filters[nf++] = filter_new_roots(ROOTS_MERGED);
    nf += filter_view_defaults(loaded, o->all_frames, o->fold_kernel, filters + nf);
    int nfr = filter_from_options(o->focus, o->hide, o->invert, filters + nf, err, sizeof(err));
    if (nfr < 0) {
        say("%s", err);
        for (size_t i = 0; i < nf; i++)
            filter_free(filters[i]);
        profile_free(loaded);
        return 2;
    }
    nf += (size_t)nfr;
    if (o->by_module) {
        if (!filter_modules_known(loaded)) {
            say("--by module: %s names no modules (folded files have "
                "none: record to .pb.gz to keep them)", o->path);
            for (size_t i = 0; i < nf; i++)
                filter_free(filters[i]);
            profile_free(loaded);
            return 1;
        }
        filters[nf++] = filter_new(FILTER_MODULES, NULL, false, err, sizeof(err));
    }
    struct profile *p = loaded;
    if (nf) {
        p = filter_apply(loaded, filters, nf);
        profile_free(loaded);
    } else {
        profile_sort_children(p);
    }

    setlocale(LC_CTYPE, "");
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    bool tty = isatty(1);
    bool ansi = tty && !getenv("NO_COLOR");
    int w = o->width;
    /* Not on a terminal and with no --width, the lists are as wide as their
     * longest row: a name is never cut (grep finds it). The icicle is a
     * picture: COLUMNS wide, else 100. */
    bool fit = w <= 0 && !tty;
    if (w <= 0) {
        const char *cols = getenv("COLUMNS");
        w = cols && atoi(cols) > 20 ? atoi(cols) : 100;
    }
    FILE *out = stdout;
    double all = profile_total(p);
    char *path = xstrdup(o->path); /* (a file's name may hold escapes) */
    say_clean(path);
    if (profile_unit(p) == PROFILE_SECONDS)
        fprintf(out, "%s: %s, %.6f seconds%s, %zu functions", path, import_format_name(fmt),
                nf == 0 && flat ? flat_total : all,
                flat ? " (self% and total% are tottime and cumtime of pstats's total)" : "",
                frames_count(profile_frames_const(p)));
    else
        fprintf(out, "%s: %.0f%s, %llu stacks, %zu functions", path, all, profile_unit_word(p), stacks,
                frames_count(profile_frames_const(p)));
    free(path);
    for (size_t i = 0; i < nf; i++)
        fprintf(out, "%s%s", i ? ", " : "; ", filter_label(filters[i]));
    fputc('\n', out);
    if (all <= 0) {
        fprintf(out, "(no samples left after the transforms)\n");
    } else {
        bool icicle = o->mode == REPORT_ICICLE || o->mode == REPORT_DEFAULT;
        bool top = o->mode == REPORT_TOP || o->mode == REPORT_DEFAULT;
        if (icicle) {
            struct canvas *c = canvas_new(w, 256, utf8);
            struct icicle_opts io = {.zoom = PROFILE_ROOT,
                                     .selected = PROFILE_NONE,
                                     .color = ansi,
                                     .min_fraction = o->min_percent / 100.0};
            icicle_render(p, &io, c, 0, 0, w, c->h, NULL);
            fputc('\n', out);
            print_canvas(c, used_rows(c), ansi, out);
            canvas_free(c);
        }
        if (o->mode == REPORT_TREE) {
            struct tree_view t = {.min_fraction = o->min_percent / 100.0};
            tree_init(&t, p);
            t.kinds = true;
            tree_set_all(&t, true);
            tree_rebuild(&t);
            int tw = w;
            if (fit) { /* figures, kind, two cells a level, mark, name; past
                          FIT_LEVELS levels a row says its depth instead
                          of indenting further (a 10k-deep stack printed
                          100 MB of blanks) */
                size_t need = 0;
                for (size_t i = 0; i < t.nrows; i++) {
                    size_t lv = t.rows[i].depth < FIT_LEVELS ? (size_t)t.rows[i].depth
                                                             : FIT_LEVELS;
                    size_t r = 4 * lv + 2 + strlen(icicle_label(p, t.rows[i].node));
                    if (r > need)
                        need = r;
                }
                tw = width_for(need);
            }
            fputc('\n', out);
            /* in pieces: a canvas of every row at that width could be huge */
            int chunk = rows_per_canvas(tw);
            for (size_t first = 0; first < t.nrows; first += (size_t)chunk) {
                int rows = t.nrows - first < (size_t)chunk ? (int)(t.nrows - first) : chunk;
                struct canvas *c = canvas_new(tw, rows + 1, utf8);
                t.list.selected = LIST_NONE;
                t.list.top = first;
                tree_render(&t, c, 0, 0, tw, c->h);
                print_canvas_from(c, first ? 1 : 0, c->h, ansi, out);
                canvas_free(c);
            }
            tree_free(&t);
        }
        if (top) {
            struct table_view t = {.kinds = true};
            table_build(&t, p, PROFILE_ROOT, STATS_BY_SELF);
            size_t n = o->top > 0 ? (size_t)o->top : 20;
            if (n > t.list.count)
                n = t.list.count;
            int tw = w;
            if (fit) {
                const struct frames *fr = profile_frames_const(p);
                size_t need = 0;
                for (size_t i = 0; i < n; i++) {
                    const struct frame *f = frames_get(fr, t.rows[i].frame);
                    size_t r = strlen(f->name) + (f->namesake ? strlen(f->module) + 3 : 0);
                    if (r > need)
                        need = r;
                }
                tw = width_for(need);
            }
            struct canvas *c = canvas_new(tw, (int)n + 1, utf8);
            t.list.selected = LIST_NONE;
            table_render(&t, c, 0, 0, tw, c->h);
            fputc('\n', out);
            print_canvas(c, c->h, ansi, out);
            canvas_free(c);
            table_free(&t);
        }
    }
    for (size_t i = 0; i < nf; i++)
        filter_free(filters[i]);
    profile_free(p);
    return ferror(out) ? 1 : 0;
}
