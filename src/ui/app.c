/*
 * app: the viewer. It holds the loaded profile, the stack of transforms and
 * the profile they produce, the zoom and selection, and one state per view.
 * Keys go through one table (key, views, handler, help); a handler changes
 * state and returns what must happen (redraw, quit), never draws. Drawing
 * renders everything into a canvas that term.c copies to the screen, so the
 * whole viewer runs in tests with no terminal.
 *
 * Selection and zoom are kept as nodes of the current profile; when a
 * transform rebuilds the profile they are carried over by their path of
 * frame names from the root.
 *
 * Every view derived from the current profile (the table's rows, the tree's
 * rows, callers/callees, the icicle's hit map for the mouse) holds node or
 * frame numbers of the profile it was built from. The profile's generation
 * counts every change (transform, undo, live refresh); each derived view
 * records the generation it was built at and is used only while that is
 * still the current one, so no key, however fast, reaches a stale one.
 *
 * Anything that walks the whole tree (the functions table of a new zoom,
 * callers/callees, search totals) is deferred when the app runs on a
 * terminal: the key redraws at once with "computing" in its place, and the
 * loop does the work when no key is waiting, then redraws again. On a
 * six-million-node profile that keeps every keypress redraw in microseconds.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tprof/app.h"
#include "tprof/diff.h"
#include "tprof/export.h"
#include "tprof/icicle.h"
#include "tprof/linebuf.h"
#include "tprof/stats.h"
#include "tprof/timeline.h"
#include "tprof/views.h"
#include "tprof/xalloc.h"

#define MAX_FILTERS 32

enum view { VIEW_ICICLE, VIEW_TREE, VIEW_TOP, VIEW_CALLERS, VIEW_COUNT, VIEW_LOG = VIEW_COUNT };
static const char *const view_names[VIEW_COUNT] = {"icicle", "tree", "top", "callers"};

enum prompt { PROMPT_NONE, PROMPT_SEARCH, PROMPT_HIDE, PROMPT_EXPORT };

struct app {
    char *title;
    struct profile *orig; /* as loaded */
    struct profile *cur;  /* orig with the filters applied */
    struct filter *filters[MAX_FILTERS];
    size_t nfilters;
    uint64_t gen; /* bumped whenever cur changes: see the top of the file */

    enum view view;
    uint32_t zoom, sel;
    int first_depth; /* icicle vertical scroll */
    bool heat, color, help;
    /* a comparison (orig has both sides): widths follow BEFORE (b), frames
     * coloured by module instead of by change (c) */
    bool diff, show_before, diff_by_module;

    /* search */
    char *pattern;
    bool *match; /* per frame of cur */
    double match_all, match_zoom;
    bool match_all_dirty;
    uint32_t match_zoom_of; /* zoom node match_zoom was computed for */
    /* n/N: the matching nodes, heaviest first (built at the first n after
     * a search or a new profile), and the one visited last */
    VEC(uint32_t) visits;
    bool visits_dirty;
    size_t visit;     /* its index in visits (SIZE_MAX: none yet) */
    uint32_t visited; /* that node, kept while a live profile grows */
    bool deferred;          /* walk-the-tree work waits for idle time */

    /* the prompt on the bottom line */
    enum prompt prompt;
    char input[256];
    size_t ninput;
    unsigned exports; /* e: files named so far */
    char msg[512];

    /* views */
    struct table_view table; /* the icicle's table and the top view */
    enum stats_order order;
    bool table_dirty;
    uint64_t table_gen;
    struct tree_view tree;
    bool tree_dirty;
    uint64_t tree_gen;
    struct callers_view callers;
    uint32_t callers_frame;
    uint32_t table_want; /* frame whose row the top table selects once built */
    uint32_t callers_pending; /* frame whose callers are still to compute */
    uint64_t callers_gen;

    /* live mode */
    char *status;                /* header text instead of the title */
    bool paused;
    const struct linebuf *log;   /* the program's output, for o */
    struct list log_list;
    bool log_follow;             /* keep the newest line in view */
    enum view before_log;
    app_export_fn export_fn;
    void *export_ctx;
    bool unsaved_guard, saved, quit_armed; /* see app_set_unsaved_guard */
    struct filter *modules; /* m: the tree by module, after the transforms
                               (NULL: by function) */
    /* t: the roots shown, merged up from the finest the profile has (a
     * FILTER_ROOTS before the transforms; NULL when they are the same) */
    enum roots_level roots_native, roots_shown;
    struct filter *roots;
    /* a: the Python view (on unless --all-frames; it applies to a profile
     * with Python frames); K: kernel frames folded into their call */
    struct filter *pyview, *kfold;
    bool pyview_on, kfold_on;
    /* live: when samples came (the sparkline), and w's view of the last
     * seconds (a profile of them, the transforms' source while shown) */
    const struct timeline *tl;
    struct profile *window_prof;
    struct canvas *screen;       /* app_start .. app_stop */

    /* the icicle's place on the last drawn screen, for the mouse */
    int icicle_y, icicle_h, list_y, list_h, screen_w;
    uint32_t *hit;
    size_t hit_cap;
    bool hit_valid; /* the hit map is of the screen as it still is: any
                       key, zoom, scroll or new profile since the draw voids it */
};

/* ----- model ----- */

static void set_msg(struct app *a, const char *fmt, const char *arg)
{
    snprintf(a->msg, sizeof(a->msg), fmt, arg);
}

static void recompute_match(struct app *a)
{
    free(a->match);
    a->match = NULL;
    a->match_all = a->match_zoom = 0;
    if (!a->pattern)
        return;
    char err[256];
    struct filter *f = filter_new(FILTER_FOCUS, a->pattern, false, err, sizeof(err));
    if (!f)
        return;
    const struct frames *fr = profile_frames_const(a->cur);
    size_t n = frames_count(fr);
    a->match = xcalloc(n + 1, sizeof(bool));
    for (size_t i = 0; i < n; i++)
        a->match[i] = filter_matches(f, frames_get(fr, (uint32_t)i)->name);
    filter_free(f);
    a->match_all_dirty = true;
    a->match_zoom_of = PROFILE_NONE;
    a->visits_dirty = true;
}

/* ----- derived views: usable only while built from the current profile ----- */

static bool table_ready(const struct app *a)
{
    return !a->table_dirty && a->table_gen == a->gen;
}

static bool tree_ready(const struct app *a)
{
    return !a->tree_dirty && a->tree_gen == a->gen;
}

static bool callers_ready(const struct app *a)
{
    return a->callers_pending == PROFILE_NONE && a->callers_frame != PROFILE_NONE &&
           a->callers_gen == a->gen;
}

static void build_table(struct app *a)
{
    /* The selected row stays on its function when the rows change (a new
     * order, live samples); the top view opens on the function selected
     * where it was entered. */
    uint32_t want = a->table_want;
    size_t i = a->table.list.selected;
    if (want == PROFILE_NONE && a->table.rows && a->table.p == a->cur && i < a->table.list.count)
        want = a->table.rows[i].frame;
    table_build(&a->table, a->cur, a->zoom, a->order);
    a->table_dirty = false;
    a->table_gen = a->gen;
    a->table_want = PROFILE_NONE;
    for (i = 0; want != PROFILE_NONE && i < a->table.list.count; i++)
        if (a->table.rows[i].frame == want) {
            list_select(&a->table.list, i);
            break;
        }
}

static void build_tree(struct app *a)
{
    tree_init_at(&a->tree, a->cur, a->zoom);
    tree_reveal(&a->tree, a->sel);
    a->tree_dirty = false;
    a->tree_gen = a->gen;
}

/* ----- deferred work ----- */

/* Do one piece of pending work; false when there was none. */
bool app_idle(struct app *a)
{
    if (!table_ready(a)) {
        build_table(a);
        return true;
    }
    if (a->match && a->match_all_dirty) {
        a->match_all = stats_match_total(a->cur, PROFILE_ROOT, a->match);
        a->match_all_dirty = false;
        return true;
    }
    if (a->match && a->match_zoom_of != a->zoom) {
        a->match_zoom = stats_match_total(a->cur, a->zoom, a->match);
        a->match_zoom_of = a->zoom;
        return true;
    }
    if (a->callers_pending != PROFILE_NONE) {
        callers_build(&a->callers, a->cur, a->callers_pending);
        a->callers_frame = a->callers_pending;
        a->callers_pending = PROFILE_NONE;
        a->callers_gen = a->gen;
        return true;
    }
    return false;
}

bool app_busy(const struct app *a)
{
    return !table_ready(a) || (a->match && (a->match_all_dirty || a->match_zoom_of != a->zoom)) ||
           a->callers_pending != PROFILE_NONE;
}

void app_set_deferred(struct app *a, bool on)
{
    a->deferred = on;
}

/* Frame names from the root to NODE, as a list, to find it again. */
static size_t path_of(const struct profile *p, uint32_t node, const char ***out)
{
    size_t n = 0;
    for (uint32_t c = node; c != PROFILE_ROOT && c != PROFILE_NONE; c = profile_node(p, c)->parent)
        n++;
    const char **v = xcalloc(n + 1, sizeof(char *));
    size_t i = n;
    for (uint32_t c = node; c != PROFILE_ROOT && c != PROFILE_NONE;
         c = profile_node(p, c)->parent)
        v[--i] = icicle_label(p, c);
    *out = v;
    return n;
}

/* A node's key along a path: its label and module ("_start\nhot"), so that
 * namesakes from two modules stay apart. Names hold no control characters. */
static char *node_key(const struct profile *p, uint32_t node)
{
    const struct profile_node *n = profile_node(p, node);
    const char *mod = n->frame != PROFILE_NONE
                          ? frames_get(profile_frames_const(p), n->frame)->module
                          : "";
    return xasprintf("%s\n%s", icicle_label(p, node), mod);
}

/* Keys of the path from the root to NODE, each allocated. */
static size_t path_keys(const struct profile *p, uint32_t node, char ***out)
{
    const char **names;
    size_t n = path_of(p, node, &names);
    free(names);
    char **v = xcalloc(n + 1, sizeof(char *));
    size_t i = n;
    for (uint32_t c = node; c != PROFILE_ROOT && c != PROFILE_NONE;
         c = profile_node(p, c)->parent)
        v[--i] = node_key(p, c);
    *out = v;
    return n;
}

/* The deepest node of P along the path of keys PATH. */
static uint32_t find_path(const struct profile *p, char **path, size_t n)
{
    uint32_t cur = PROFILE_ROOT;
    for (size_t i = 0; i < n; i++) {
        uint32_t next = PROFILE_NONE;
        for (uint32_t c = profile_node(p, cur)->first_child; c != PROFILE_NONE && next == PROFILE_NONE;
             c = profile_node(p, c)->next_sibling) {
            char *k = node_key(p, c);
            if (strcmp(k, path[i]) == 0)
                next = c;
            free(k);
        }
        if (next == PROFILE_NONE)
            break;
        cur = next;
    }
    return cur;
}

static void invalidate_views(struct app *a)
{
    a->hit_valid = false;
    a->table_dirty = true;
    a->tree_dirty = true;
    a->callers_frame = PROFILE_NONE;
    a->callers_pending = PROFILE_NONE;
    a->table_want = PROFILE_NONE;
}

/* Rebuild cur from orig and the filters; keep zoom and selection by path. */
/* Whether the Python view is shown: asked for, and the profile has
 * Python frames (a live one from its first Python sample on). */
static bool pyview_applies(const struct app *a)
{
    return a->pyview_on && filter_pyview_applies(a->orig);
}

static void rebuild(struct app *a)
{
    char **zp, **sp; /* allocated: they outlive the old profile */
    size_t zn = path_keys(a->cur, a->zoom, &zp), sn = path_keys(a->cur, a->sel, &sp);
    /* The callers view's function, by name: frame numbers are the old
     * profile's. */
    uint32_t cf = a->callers_pending != PROFILE_NONE ? a->callers_pending : a->callers_frame;
    const struct frame *cfr =
        cf != PROFILE_NONE ? frames_get(profile_frames_const(a->cur), cf) : NULL;
    char *cname = cfr ? xstrdup(cfr->name) : NULL;
    char *cmodule = cfr ? xstrdup(cfr->module) : NULL;
    enum frame_kind ckind = cfr ? cfr->kind : FRAME_USER;
    /* With no transform the loaded profile is shown as it is (no copy: a
     * large profile would cost twice the memory and load time). */
    struct filter *all[MAX_FILTERS + 4];
    size_t nall = 0;
    if (a->roots)
        all[nall++] = a->roots;
    if (pyview_applies(a))
        all[nall++] = a->pyview;
    if (a->kfold_on)
        all[nall++] = a->kfold;
    memcpy(all + nall, a->filters, a->nfilters * sizeof(all[0]));
    nall += a->nfilters;
    if (a->modules)
        all[nall++] = a->modules;
    struct profile *src = a->window_prof ? a->window_prof : a->orig;
    struct profile *next = nall || a->show_before
                               ? filter_apply_sides(src, all, nall, a->show_before)
                               : src;
    if (a->cur != a->orig && a->cur != a->window_prof)
        profile_free(a->cur);
    a->cur = next;
    a->gen++;
    a->zoom = find_path(a->cur, zp, zn);
    a->sel = find_path(a->cur, sp, sn);
    /* the selection must be inside the zoom */
    bool inside = false;
    for (uint32_t c = a->sel; c != PROFILE_NONE; c = profile_node(a->cur, c)->parent)
        inside |= c == a->zoom;
    if (!inside)
        a->sel = a->zoom;
    for (size_t i = 0; i < zn; i++)
        free(zp[i]);
    for (size_t i = 0; i < sn; i++)
        free(sp[i]);
    free(zp);
    free(sp);
    a->first_depth = 0;
    a->visited = PROFILE_NONE; /* (node numbers are the new profile's) */
    recompute_match(a);
    invalidate_views(a);
    if (cname) {
        uint32_t f = frames_find(profile_frames_const(a->cur), cname, ckind, cmodule);
        if (f != PROFILE_NONE) {
            a->callers_pending = f;
        } else if (a->view == VIEW_CALLERS) {
            a->view = VIEW_ICICLE;
            set_msg(a, "%s is gone after the transform", cname);
        }
        free(cname);
        free(cmodule);
    }
}

struct app *app_new(struct profile *profile, const char *title)
{
    struct app *a = xcalloc(1, sizeof(*a));
    a->title = xstrdup(title);
    a->orig = profile;
    profile_sort_children(profile);
    a->cur = profile;
    a->zoom = a->sel = PROFILE_ROOT;
    a->visited = PROFILE_NONE;
    a->roots_native = a->roots_shown = filter_roots_level(profile);
    a->order = STATS_BY_SELF;
    a->color = true;
    a->diff = profile_has_base(profile);
    if (a->diff)
        a->order = STATS_BY_DELTA;
    a->pyview = filter_new_view(FILTER_PYVIEW);
    a->kfold = filter_new_view(FILTER_KFOLD);
    a->pyview_on = true;
    invalidate_views(a);
    if (pyview_applies(a))
        rebuild(a);
    return a;
}

void app_set_frames_shown(struct app *a, bool python_view, bool fold_kernel)
{
    if (a->pyview_on == python_view && a->kfold_on == fold_kernel)
        return;
    a->pyview_on = python_view;
    a->kfold_on = fold_kernel;
    rebuild(a);
}

void app_free(struct app *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nfilters; i++)
        filter_free(a->filters[i]);
    table_free(&a->table);
    tree_free(&a->tree);
    callers_free(&a->callers);
    if (a->window_prof && a->window_prof != a->cur)
        profile_free(a->window_prof);
    if (a->cur != a->orig)
        profile_free(a->cur);
    profile_free(a->orig);
    free(a->match);
    filter_free(a->modules);
    filter_free(a->roots);
    filter_free(a->pyview);
    filter_free(a->kfold);
    VEC_FREE(a->visits);
    free(a->pattern);
    free(a->hit);
    free(a->title);
    free(a->status);
    canvas_free(a->screen);
    free(a);
}

void app_set_status(struct app *a, const char *text)
{
    free(a->status);
    a->status = text ? xstrdup(text) : NULL;
}

/* w: show the last WINDOW_SECONDS of the run (ON), or all of it again. */
#define WINDOW_SECONDS 10
static void set_window(struct app *a, bool on)
{
    struct profile *old = a->window_prof;
    bool cur_was_old = old && a->cur == old;
    a->window_prof = on ? timeline_window(a->tl, a->orig, WINDOW_SECONDS) : NULL;
    rebuild(a); /* (frees the old window when it was what was shown) */
    if (old && !cur_was_old)
        profile_free(old);
}

void app_set_timeline(struct app *a, const struct timeline *tl)
{
    a->tl = tl;
}

void app_profile_changed(struct app *a)
{
    if (a->window_prof) {
        set_window(a, true); /* the last seconds moved on */
    } else if (a->nfilters || a->show_before || a->modules || a->roots || pyview_applies(a) ||
               a->kfold_on) {
        rebuild(a); /* transforms are rebuilt from the grown original */
    } else {
        /* The tree grew: nodes and frames keep their numbers, but children
         * are re-sorted and totals change. */
        bool tree_was_ready = tree_ready(a) && a->tree.p == a->cur;
        profile_sort_children(a->orig);
        a->gen++;
        a->hit_valid = false;
        recompute_match(a); /* new frames: the match table must cover them */
        a->table_dirty = true;
        if (a->view == VIEW_TREE && tree_was_ready) {
            tree_rebuild(&a->tree);
            a->tree_gen = a->gen;
        } else {
            a->tree_dirty = true;
        }
    }
    if (a->callers_frame != PROFILE_NONE && a->callers_pending == PROFILE_NONE) {
        a->callers_pending = a->callers_frame;
        a->callers.list.count = 0;
    }
}

bool app_paused(const struct app *a)
{
    return a->paused;
}

void app_set_log(struct app *a, const struct linebuf *log)
{
    a->log = log;
    a->log_follow = true;
}

int app_export(struct app *a, const char *path, char *msg, size_t len)
{
    char err[400];
    int fmt = export_format_for(path, NULL, -1, err, sizeof(err));
    if (fmt < 0) {
        snprintf(msg, len, "not exported: %s", err);
        return -1;
    }
    long n = export_file(a->cur, (enum export_format)fmt, a->title, path, err, sizeof(err));
    if (n < 0) {
        snprintf(msg, len, "export failed: %s", err);
        return -1;
    }
    char w[40];
    profile_format_weight(a->cur, profile_total(a->cur), w, sizeof(w));
    snprintf(msg, len, "exported %ld %s (%s%s) to %s (%s%s)", n,
             fmt == EXPORT_SVG ? "frames" : "stacks", w,
             profile_unit_word(a->cur), path,
             export_format_name((enum export_format)fmt),
             !a->diff                                         ? ""
             : fmt == EXPORT_FOLDED                           ? ", two columns: before after"
             : fmt == EXPORT_SVG                              ? ", differential"
             : a->show_before                                 ? "; it holds BEFORE's side only"
                                                              : "; it holds AFTER's side only");
    return 0;
}

void app_set_roots(struct app *a, enum roots_level shown)
{
    if (shown > a->roots_native)
        shown = a->roots_native;
    if (shown == a->roots_shown && (a->roots != NULL) == (shown != a->roots_native))
        return;
    a->roots_shown = shown;
    filter_free(a->roots);
    a->roots = shown != a->roots_native ? filter_new_roots(shown) : NULL;
    rebuild(a);
}

void app_set_roots_native(struct app *a, enum roots_level native)
{
    a->roots_native = native;
    a->roots_shown = native;
    filter_free(a->roots);
    a->roots = NULL;
}

void app_set_unsaved_guard(struct app *a, bool on)
{
    a->unsaved_guard = on;
}

bool app_saved(const struct app *a)
{
    return a->saved;
}

void app_set_export(struct app *a, app_export_fn fn, void *ctx)
{
    a->export_fn = fn;
    a->export_ctx = ctx;
}

void app_message(struct app *a, const char *text)
{
    set_msg(a, "%s", text);
}

void app_push_filters(struct app *a, struct filter *const *f, size_t n)
{
    if (a->nfilters + n > MAX_FILTERS) {
        for (size_t i = 0; i < n; i++)
            filter_free(f[i]);
        set_msg(a, "%s", "too many transforms; undo one with u");
        return;
    }
    for (size_t i = 0; i < n; i++)
        a->filters[a->nfilters++] = f[i];
    rebuild(a);
}

void app_push_filter(struct app *a, struct filter *f)
{
    app_push_filters(a, &f, 1);
}

/* ----- navigation ----- */

static uint32_t prev_sibling(const struct profile *p, uint32_t n)
{
    uint32_t parent = profile_node(p, n)->parent;
    if (parent == PROFILE_NONE)
        return n;
    uint32_t prev = n;
    for (uint32_t c = profile_node(p, parent)->first_child; c != n && c != PROFILE_NONE;
         c = profile_node(p, c)->next_sibling)
        prev = c;
    return prev;
}

static bool in_subtree(const struct profile *p, uint32_t n, uint32_t top)
{
    for (uint32_t c = n; c != PROFILE_NONE; c = profile_node(p, c)->parent)
        if (c == top)
            return true;
    return false;
}

/* Zoom to N: every view shows its subtree (the icicle from it, the tree
 * rooted at it, the tables of its functions). */
static void set_zoom(struct app *a, uint32_t n)
{
    if (n == a->zoom)
        return;
    a->zoom = n;
    a->first_depth = 0;
    a->table_dirty = true;
    a->tree_dirty = true;
    a->hit_valid = false;
}

static void select_node(struct app *a, uint32_t n)
{
    a->sel = n;
    if (!in_subtree(a->cur, n, a->zoom))
        set_zoom(a, PROFILE_ROOT);
}

static const struct profile *visit_profile; /* (for qsort's comparison) */

static int cmp_visit(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    double ta = profile_node(visit_profile, a)->total, tb = profile_node(visit_profile, b)->total;
    if (ta != tb)
        return ta > tb ? -1 : 1;
    return a < b ? -1 : a > b; /* (ties: the order the tree was built in) */
}

/* The next (DIR 1) or previous (-1) match in the order n visits them: every
 * node of a matching frame, heaviest first. */
static uint32_t next_match(struct app *a, int dir)
{
    if (!a->match)
        return PROFILE_NONE;
    if (a->visits_dirty) {
        a->visits.n = 0;
        size_t n = profile_node_count(a->cur);
        for (uint32_t i = 0; i < n; i++) {
            const struct profile_node *pn = profile_node(a->cur, i);
            if (pn->frame != PROFILE_NONE && a->match[pn->frame] && pn->total > 0)
                VEC_PUSH(a->visits, i);
        }
        visit_profile = a->cur;
        if (a->visits.n)
            qsort(a->visits.v, a->visits.n, sizeof(uint32_t), cmp_visit);
        a->visits_dirty = false;
        a->visit = SIZE_MAX;
        for (size_t i = 0; i < a->visits.n && a->visited != PROFILE_NONE; i++)
            if (a->visits.v[i] == a->visited)
                a->visit = i;
    }
    size_t m = a->visits.n;
    if (!m)
        return PROFILE_NONE;
    if (a->visit == SIZE_MAX)
        a->visit = dir > 0 ? 0 : m - 1;
    else
        a->visit = dir > 0 ? (a->visit + 1) % m : (a->visit + m - 1) % m;
    return a->visited = a->visits.v[a->visit];
}

/* Zoom so that N is wide enough to read (8 cells of the last drawn width):
 * to the outermost of its ancestors where it is, keeping the zoom when it
 * already is. */
static void zoom_to_show(struct app *a, uint32_t n)
{
    int w = a->screen_w > 0 ? a->screen_w : 80;
    double t = profile_node(a->cur, n)->total;
    if (t * w >= 8 * profile_node(a->cur, a->zoom)->total)
        return;
    /* (totals grow toward the root: up from N while it stays wide enough) */
    uint32_t best = n;
    for (uint32_t c = profile_node(a->cur, n)->parent; c != a->zoom && c != PROFILE_NONE;
         c = profile_node(a->cur, c)->parent) {
        if (t * w < 8 * profile_node(a->cur, c)->total)
            break;
        best = c;
    }
    set_zoom(a, best);
}

/* The frame the views treat as "selected function", of the current profile.
 * A key can come before the view it acts on was computed (or after a
 * transform made it stale): the view is then built now, so the key acts on
 * what the screen is about to show, never on old row or frame numbers. */
static uint32_t selected_frame(struct app *a)
{
    if (a->view == VIEW_TOP) {
        if (!table_ready(a))
            build_table(a);
        /* (the icicle draws the same table with no selected row: the top
         * view shows its first row selected) */
        size_t i = a->table.list.selected == LIST_NONE ? 0 : a->table.list.selected;
        return a->table.rows && i < a->table.list.count ? a->table.rows[i].frame : PROFILE_NONE;
    }
    if (a->view == VIEW_TREE) {
        if (!tree_ready(a))
            build_tree(a);
        return a->tree.nrows ? profile_node(a->cur, tree_selected_node(&a->tree))->frame
                             : PROFILE_NONE;
    }
    if (a->view == VIEW_CALLERS) {
        if (a->callers_pending != PROFILE_NONE)
            return a->callers_pending;
        return callers_ready(a) ? callers_selected_frame(&a->callers) : PROFILE_NONE;
    }
    return profile_node(a->cur, a->sel)->frame;
}

static void open_callers(struct app *a, uint32_t frame)
{
    if (frame == PROFILE_NONE || !frames_get(profile_frames_const(a->cur), frame)) {
        set_msg(a, "%s", "select a function first");
        return;
    }
    a->callers_pending = frame; /* built by app_idle (ensure_views when not deferred) */
    a->view = VIEW_CALLERS;
}

/* ----- actions ----- */

enum action {
    ACT_QUIT, ACT_HELP, ACT_LEFT, ACT_RIGHT, ACT_UP, ACT_DOWN, ACT_ENTER, ACT_BACK, ACT_RESET,
    ACT_NEXT_VIEW, ACT_PREV_VIEW, ACT_SEARCH, ACT_NEXT_MATCH, ACT_PREV_MATCH, ACT_FOCUS,
    ACT_HIDE, ACT_INVERT, ACT_UNDO, ACT_COLOR, ACT_SORT_SELF, ACT_SORT_TOTAL, ACT_SORT_NAME,
    ACT_EXPAND, ACT_COLLAPSE, ACT_EXPAND_ALL, ACT_COLLAPSE_ALL, ACT_PGUP, ACT_PGDN, ACT_HOME,
    ACT_END, ACT_LOG, ACT_PAUSE, ACT_EXPORT, ACT_SORT_DELTA, ACT_BEFORE, ACT_MODULES, ACT_ROOTS,
    ACT_WINDOW, ACT_PYVIEW, ACT_KFOLD,
};

#define ALL_VIEWS 0x1f
#define V(x) (1u << (x))

struct binding {
    int key;
    unsigned views;
    enum action act;
    const char *keyname; /* NULL: same help as the binding before */
    const char *help;
};

static const struct binding bindings[] = {
    {'q', ALL_VIEWS, ACT_QUIT, "q", "quit (live, unsaved: asks first)"},
    {'?', ALL_VIEWS, ACT_HELP, "?", "this help (any key closes it)"},
    {TK_LEFT, ALL_VIEWS, ACT_LEFT, "\xe2\x86\x90 h", "icicle: previous sibling; tree: collapse / parent"},
    {'h', ALL_VIEWS, ACT_LEFT, NULL, NULL},
    {TK_RIGHT, ALL_VIEWS, ACT_RIGHT, "\xe2\x86\x92 l", "icicle: next sibling; tree: expand"},
    {'l', ALL_VIEWS, ACT_RIGHT, NULL, NULL},
    {TK_UP, ALL_VIEWS, ACT_UP, "\xe2\x86\x91 k", "icicle: parent; lists: previous row"},
    {'k', ALL_VIEWS, ACT_UP, NULL, NULL},
    {TK_DOWN, ALL_VIEWS, ACT_DOWN, "\xe2\x86\x93 j", "icicle: heaviest child; lists: next row"},
    {'j', ALL_VIEWS, ACT_DOWN, NULL, NULL},
    {TK_ENTER, ALL_VIEWS, ACT_ENTER, "Enter",
     "icicle: zoom in; tree: expand/collapse; top: callers/callees; callers: follow"},
    {TK_BACKSPACE, ALL_VIEWS, ACT_BACK, "Backspace Esc", "zoom out one level / back"},
    {TK_ESC, ALL_VIEWS, ACT_BACK, NULL, NULL},
    {'r', ALL_VIEWS, ACT_RESET, "r", "reset the zoom"},
    {TK_TAB, ALL_VIEWS, ACT_NEXT_VIEW, "Tab S-Tab", "next / previous view: icicle, tree, top, callers"},
    {TK_BTAB, ALL_VIEWS, ACT_PREV_VIEW, NULL, NULL},
    {'/', ALL_VIEWS, ACT_SEARCH, "/", "search (regex); empty clears"},
    {'n', ALL_VIEWS, ACT_NEXT_MATCH, "n N", "next / previous match, heaviest first (zoomed to be seen)"},
    {'N', ALL_VIEWS, ACT_PREV_MATCH, NULL, NULL},
    {'f', ALL_VIEWS, ACT_FOCUS, "f", "focus: keep only stacks through the selected function"},
    {'x', ALL_VIEWS, ACT_HIDE, "x", "hide frames matching a regex (time goes to the caller)"},
    {'i', ALL_VIEWS, ACT_INVERT, "i", "invert (bottom-up)"},
    {'u', ALL_VIEWS, ACT_UNDO, "u", "undo the last transform"},
    {'c', ALL_VIEWS, ACT_COLOR, "c", "colour by module/name or by heat (a diff: by change)"},
    {'b', ALL_VIEWS, ACT_BEFORE, "b", "a diff: widths follow BEFORE / AFTER"},
    {'m', ALL_VIEWS, ACT_MODULES, "m",
     "by module (program, libraries, [kernel], [jit], Python) / by function"},
    {'t', ALL_VIEWS, ACT_ROOTS, "t", "roots: by program, per process, per thread (as recorded)"},
    {'w', ALL_VIEWS, ACT_WINDOW, "w", "live: the last 10 seconds only / the whole run"},
    {'a', ALL_VIEWS, ACT_PYVIEW, "a",
     "Python: stacks from the outermost Python frame / all frames as recorded"},
    {'K', ALL_VIEWS, ACT_KFOLD, "K", "kernel frames folded into their system call / all"},
    {'1', V(VIEW_TOP) | V(VIEW_ICICLE), ACT_SORT_SELF, "1 2 3 4",
     "top table: sort by self, total, name, change (a diff)"},
    {'2', V(VIEW_TOP) | V(VIEW_ICICLE), ACT_SORT_TOTAL, NULL, NULL},
    {'3', V(VIEW_TOP) | V(VIEW_ICICLE), ACT_SORT_NAME, NULL, NULL},
    {'4', V(VIEW_TOP) | V(VIEW_ICICLE), ACT_SORT_DELTA, NULL, NULL},
    {'+', V(VIEW_TREE), ACT_EXPAND, "+ -", "tree: expand / collapse"},
    {'-', V(VIEW_TREE), ACT_COLLAPSE, NULL, NULL},
    {'E', V(VIEW_TREE), ACT_EXPAND_ALL, "E C", "tree: expand all / collapse all"},
    {'C', V(VIEW_TREE), ACT_COLLAPSE_ALL, NULL, NULL},
    {TK_PGUP, ALL_VIEWS, ACT_PGUP, "PgUp PgDn", "page up / down (icicle: scroll)"},
    {TK_PGDN, ALL_VIEWS, ACT_PGDN, NULL, NULL},
    {TK_HOME, ALL_VIEWS, ACT_HOME, "Home End", "first / last row"},
    {TK_END, ALL_VIEWS, ACT_END, NULL, NULL},
    {'o', ALL_VIEWS, ACT_LOG, "o", "live: the program's output (o again: back)"},
    {'p', ALL_VIEWS, ACT_PAUSE, "p", "live: freeze the display (sampling goes on)"},
    {'e', ALL_VIEWS, ACT_EXPORT, "e",
     "export what is shown to a file: .folded/.txt, .json (speedscope), .svg, .pb.gz"},
};

static struct list *current_list(struct app *a)
{
    switch (a->view) {
    case VIEW_TREE: return &a->tree.list;
    case VIEW_TOP: return &a->table.list;
    case VIEW_CALLERS: return &a->callers.list;
    case VIEW_LOG: return &a->log_list;
    default: return NULL;
    }
}

static void ensure_views(struct app *a)
{
    if (!a->deferred)
        while (app_idle(a))
            ;
    if (a->view == VIEW_TREE && !tree_ready(a))
        build_tree(a);
}

static void switch_view(struct app *a, enum view v)
{
    if (v == VIEW_CALLERS) {
        uint32_t f = selected_frame(a);
        open_callers(a, f);
        if (a->view != VIEW_CALLERS)
            return;
    }
    /* Carry the selection: the tree opens at the icicle's node. (A tree
     * built before a transform holds nodes of the old profile: the
     * selection was carried over by rebuild instead.) */
    if (a->view == VIEW_TREE && tree_ready(a) && a->tree.nrows)
        a->sel = tree_selected_node(&a->tree);
    /* and the top table at the row of the function selected there */
    if (v == VIEW_TOP && (a->view == VIEW_ICICLE || a->view == VIEW_TREE))
        a->table_want = profile_node(a->cur, a->sel)->frame;
    a->view = v;
    a->table_dirty = true;
    if (v == VIEW_TREE) {
        if (!tree_ready(a))
            build_tree(a);
        else
            tree_reveal(&a->tree, a->sel);
    }
}

static void push(struct app *a, enum filter_kind k, const char *pattern, bool exact)
{
    char err[256];
    struct filter *f = filter_new(k, pattern, exact, err, sizeof(err));
    if (!f) {
        set_msg(a, "%s", err);
        return;
    }
    app_push_filter(a, f);
    if (profile_total(a->cur) <= 0)
        set_msg(a, "%s", "no samples left: u undoes the transform");
}

static enum app_result act(struct app *a, enum action ac)
{
    const struct profile *p = a->cur;
    struct list *l = current_list(a);
    uint32_t n;
    switch (ac) {
    case ACT_QUIT:
        if (a->unsaved_guard && !a->saved && !a->quit_armed) {
            a->quit_armed = true;
            set_msg(a, "%s", "the profile is not saved: e exports it, q again quits");
            break;
        }
        return APP_QUIT;
    case ACT_HELP:
        a->help = true;
        break;
    case ACT_LEFT:
        if (a->view == VIEW_TREE) {
            uint32_t t = tree_selected_node(&a->tree);
            if (tree_is_open(&a->tree, t) && profile_node(p, t)->first_child != PROFILE_NONE) {
                tree_set(&a->tree, t, false);
                tree_rebuild(&a->tree);
            } else if (profile_node(p, t)->parent != PROFILE_NONE) {
                tree_reveal(&a->tree, profile_node(p, t)->parent);
            }
        } else if (a->view == VIEW_ICICLE && a->sel != a->zoom) {
            a->sel = prev_sibling(p, a->sel);
        }
        break;
    case ACT_RIGHT:
        if (a->view == VIEW_TREE) {
            tree_set(&a->tree, tree_selected_node(&a->tree), true);
            tree_rebuild(&a->tree);
        } else if (a->view == VIEW_ICICLE && a->sel != a->zoom) {
            n = profile_node(p, a->sel)->next_sibling;
            /* (a comparison's frames of the other side only have no width:
             * they sort last, and b shows them) */
            if (n != PROFILE_NONE && profile_node(p, n)->total > 0)
                a->sel = n;
        }
        break;
    case ACT_UP:
        if (a->view == VIEW_LOG)
            a->log_follow = false;
        if (l) {
            list_move(l, -1);
        } else if (a->sel != a->zoom) {
            a->sel = profile_node(p, a->sel)->parent;
        } else if (a->zoom != PROFILE_ROOT) { /* at the top: zoom out */
            set_zoom(a, profile_node(p, a->zoom)->parent);
            a->sel = a->zoom;
        }
        break;
    case ACT_DOWN:
        if (l) {
            list_move(l, 1);
        } else {
            n = profile_node(p, a->sel)->first_child;
            if (n != PROFILE_NONE && profile_node(p, n)->total > 0)
                a->sel = n;
        }
        break;
    case ACT_ENTER:
        if (a->view == VIEW_ICICLE) {
            set_zoom(a, a->sel);
        } else if (a->view == VIEW_TREE) {
            uint32_t t = tree_selected_node(&a->tree);
            tree_set(&a->tree, t, !tree_is_open(&a->tree, t));
            tree_rebuild(&a->tree);
        } else if (a->view == VIEW_TOP) {
            open_callers(a, selected_frame(a));
        } else if (a->view == VIEW_CALLERS) {
            /* (through selected_frame: the view may not be built yet) */
            open_callers(a, selected_frame(a));
        }
        break;
    case ACT_BACK:
        if (a->view == VIEW_ICICLE && a->zoom != PROFILE_ROOT) {
            set_zoom(a, profile_node(p, a->zoom)->parent);
        } else if (a->view != VIEW_ICICLE) {
            switch_view(a, VIEW_ICICLE);
        }
        break;
    case ACT_RESET:
        set_zoom(a, PROFILE_ROOT);
        if (a->view == VIEW_TREE)
            build_tree(a);
        break;
    case ACT_NEXT_VIEW:
    case ACT_PREV_VIEW:
        if (a->view == VIEW_LOG)
            a->view = a->before_log;
        switch_view(a, (enum view)((a->view + (ac == ACT_NEXT_VIEW ? 1 : VIEW_COUNT - 1)) %
                                   VIEW_COUNT));
        break;
    case ACT_SEARCH:
    case ACT_HIDE:
        a->prompt = ac == ACT_SEARCH ? PROMPT_SEARCH : PROMPT_HIDE;
        a->ninput = 0;
        a->input[0] = '\0';
        break;
    case ACT_NEXT_MATCH:
    case ACT_PREV_MATCH:
        if (!a->match) {
            set_msg(a, "%s", "no search: / searches");
            break;
        }
        n = next_match(a, ac == ACT_NEXT_MATCH ? 1 : -1);
        if (n == PROFILE_NONE) {
            set_msg(a, "no frame matches %s", a->pattern);
            break;
        }
        select_node(a, n);
        if (a->view == VIEW_ICICLE)
            zoom_to_show(a, n);
        if (a->view == VIEW_TREE && !tree_ready(a))
            build_tree(a);
        else if (a->view == VIEW_TREE)
            tree_reveal(&a->tree, n);
        snprintf(a->msg, sizeof(a->msg), "match %zu of %zu (heaviest first)", a->visit + 1,
                 a->visits.n);
        break;
    case ACT_FOCUS: {
        uint32_t f = selected_frame(a);
        if (f == PROFILE_NONE) {
            set_msg(a, "%s", "select a function to focus on");
            break;
        }
        push(a, FILTER_FOCUS, frames_get(profile_frames_const(a->cur), f)->name, true);
        break;
    }
    case ACT_INVERT:
        push(a, FILTER_INVERT, NULL, false);
        break;
    case ACT_PYVIEW:
        if (!filter_pyview_applies(a->orig)) {
            set_msg(a, "%s", "no Python stacks to start at their Python frames: every frame is "
                             "shown");
            break;
        }
        app_set_frames_shown(a, !a->pyview_on, a->kfold_on);
        set_msg(a, "%s",
                a->pyview_on ? "Python view: stacks from the outermost Python frame, no call "
                               "machinery (a: all frames)"
                             : "all frames as recorded (a: the Python view)");
        break;
    case ACT_KFOLD:
        app_set_frames_shown(a, a->pyview_on, !a->kfold_on);
        set_msg(a, "%s",
                a->kfold_on ? "kernel frames folded into their system call or interrupt (K: all)"
                            : "kernel frames as recorded (K: folded)");
        break;
    case ACT_WINDOW:
        if (!a->tl) {
            set_msg(a, "%s", "w is for live mode: a saved profile has no time");
            break;
        }
        set_window(a, !a->window_prof);
        set_msg(a, "%s", a->window_prof ? "the last 10 seconds (w: the whole run)"
                                        : "the whole run (w: the last 10 seconds)");
        break;
    case ACT_ROOTS:
        if (a->roots_native == ROOTS_MERGED) {
            set_msg(a, "%s", "one root per program only: record with --threads, or to .pb.gz, "
                             "to see threads");
            break;
        }
        app_set_roots(a, (enum roots_level)((a->roots_shown + 1) % (a->roots_native + 1)));
        set_msg(a, "%s",
                a->roots_shown == ROOTS_MERGED    ? "roots: by program (t: per process)"
                : a->roots_shown == ROOTS_PROCESS ? (a->roots_native == ROOTS_THREAD
                                                         ? "roots: per process (t: per thread)"
                                                         : "roots: per process (t: by program)")
                                                  : "roots: per thread (t: by program)");
        break;
    case ACT_MODULES:
        if (a->modules) {
            filter_free(a->modules);
            a->modules = NULL;
        } else if (!filter_modules_known(a->orig)) {
            set_msg(a, "%s", "no modules in this profile: folded files have none (record "
                             "to .pb.gz to keep them)");
            break;
        } else {
            char err[64];
            a->modules = filter_new(FILTER_MODULES, NULL, false, err, sizeof(err));
        }
        rebuild(a);
        break;
    case ACT_UNDO:
        if (!a->nfilters) {
            set_msg(a, "%s", "nothing to undo");
            break;
        }
        filter_free(a->filters[--a->nfilters]);
        rebuild(a);
        break;
    case ACT_COLOR:
        if (a->diff) {
            a->diff_by_module = !a->diff_by_module;
            set_msg(a, "colour by %s",
                    a->diff_by_module ? "module/name" : "change (red grew, blue shrank)");
            break;
        }
        a->heat = !a->heat;
        set_msg(a, "colour by %s", a->heat ? "heat (self share)" : "module/name");
        break;
    case ACT_BEFORE:
        if (!a->diff) {
            set_msg(a, "%s", "b is for comparisons: tprof diff BEFORE AFTER");
            break;
        }
        a->show_before = !a->show_before;
        rebuild(a);
        set_msg(a, "%s",
                a->show_before ? "widths follow BEFORE (b: AFTER); colours still say the change"
                               : "widths follow AFTER (b: BEFORE)");
        break;
    case ACT_SORT_DELTA:
        if (!a->diff) {
            set_msg(a, "%s", "4 sorts a comparison by change: tprof diff BEFORE AFTER");
            break;
        }
        /* fall through */
    case ACT_SORT_SELF:
    case ACT_SORT_TOTAL:
    case ACT_SORT_NAME:
        a->order = ac == ACT_SORT_SELF    ? STATS_BY_SELF
                   : ac == ACT_SORT_TOTAL ? STATS_BY_TOTAL
                   : ac == ACT_SORT_NAME  ? STATS_BY_NAME
                                          : STATS_BY_DELTA;
        if (table_ready(a)) {
            /* (the selected row stays on its function) */
            size_t i = a->table.list.selected;
            uint32_t f = i < a->table.list.count ? a->table.rows[i].frame : PROFILE_NONE;
            stats_sort(a->table.p, a->table.rows, a->table.list.count, a->order);
            a->table.order = a->order;
            for (i = 0; f != PROFILE_NONE && i < a->table.list.count; i++)
                if (a->table.rows[i].frame == f) {
                    list_select(&a->table.list, i);
                    break;
                }
        }
        break;
    case ACT_EXPAND:
    case ACT_COLLAPSE:
        tree_set(&a->tree, tree_selected_node(&a->tree), ac == ACT_EXPAND);
        tree_rebuild(&a->tree);
        break;
    case ACT_EXPAND_ALL:
    case ACT_COLLAPSE_ALL:
        tree_set_all(&a->tree, ac == ACT_EXPAND_ALL);
        tree_rebuild(&a->tree);
        break;
    case ACT_PGUP:
    case ACT_PGDN:
        if (a->view == VIEW_LOG && ac == ACT_PGUP)
            a->log_follow = false;
        if (l)
            list_move(l, (ac == ACT_PGUP ? -1 : 1) * (long)(a->list_h > 2 ? a->list_h - 1 : 1));
        else
            a->first_depth += ac == ACT_PGUP ? -(a->icicle_h / 2) : a->icicle_h / 2;
        if (a->first_depth < 0)
            a->first_depth = 0;
        break;
    case ACT_HOME:
    case ACT_END:
        /* In the log pane, End follows the newest line again; Home stops
         * following (else the next redraw would jump back to the end). */
        if (a->view == VIEW_LOG)
            a->log_follow = ac == ACT_END;
        if (l)
            list_select(l, ac == ACT_HOME ? 0 : (l->count ? l->count - 1 : 0));
        break;
    case ACT_LOG:
        if (!a->log) {
            set_msg(a, "%s", "no program output: this is a saved profile");
        } else if (a->view == VIEW_LOG) {
            a->view = a->before_log;
        } else {
            a->before_log = a->view;
            a->view = VIEW_LOG;
            a->log_follow = true;
        }
        break;
    case ACT_PAUSE:
        if (!a->status) {
            set_msg(a, "%s", "nothing to pause: this is a saved profile");
            break;
        }
        a->paused = !a->paused;
        set_msg(a, "%s", a->paused ? "paused: sampling goes on, the display is frozen (p resumes)"
                                   : "resumed");
        break;
    case ACT_EXPORT:
        a->prompt = PROMPT_EXPORT;
        snprintf(a->input, sizeof(a->input), "tprof-%d-%u.folded", (int)getpid(), ++a->exports);
        a->ninput = strlen(a->input);
        break;
    }
    /* The tree's row is the selection at once, not only once drawn: keys
     * typed together (Tab End o f) act on the row they moved to. */
    if (a->view == VIEW_TREE && tree_ready(a) && a->tree.nrows)
        a->sel = tree_selected_node(&a->tree);
    /* Zoom, selection and breadcrumb agree in every view: the selection is
     * inside the zoom. */
    if (!in_subtree(a->cur, a->sel, a->zoom))
        a->sel = a->zoom;
    return APP_REDRAW;
}

/* A key while the prompt is open: edit, Enter applies, Esc cancels. */
static enum app_result prompt_key(struct app *a, int key)
{
    if (key == TK_ESC) {
        a->prompt = PROMPT_NONE;
    } else if (key == 0x15) { /* Ctrl-U: clear */
        a->ninput = 0;
        a->input[0] = '\0';
    } else if (key == TK_BACKSPACE) {
        if (a->ninput) {
            /* remove one UTF-8 code point */
            do
                a->ninput--;
            while (a->ninput && ((unsigned char)a->input[a->ninput] & 0xc0) == 0x80);
            a->input[a->ninput] = '\0';
        }
    } else if (key == TK_ENTER) {
        enum prompt pr = a->prompt;
        a->prompt = PROMPT_NONE;
        if (pr == PROMPT_SEARCH) {
            free(a->pattern);
            a->pattern = NULL;
            if (a->ninput) {
                regex_t re;
                if (regcomp(&re, a->input, REG_EXTENDED | REG_NOSUB) != 0) {
                    set_msg(a, "bad regular expression: %s", a->input);
                    return APP_REDRAW;
                }
                regfree(&re);
                a->pattern = xstrdup(a->input);
            }
            a->visited = PROFILE_NONE; /* (a new search: n starts at the heaviest) */
            recompute_match(a);
            bool any = false;
            for (size_t i = 0; a->match && i < frames_count(profile_frames_const(a->cur)); i++)
                any |= a->match[i];
            if (a->pattern && !any)
                set_msg(a, "no frame matches %s", a->pattern);
        } else if (pr == PROMPT_EXPORT && a->ninput) {
            char msg[400];
            int r = a->export_fn ? a->export_fn(a->export_ctx, a->input, msg, sizeof(msg))
                                 : app_export(a, a->input, msg, sizeof(msg));
            a->saved |= r == 0;
            set_msg(a, "%s", msg);
        } else if (pr == PROMPT_HIDE && a->ninput) {
            push(a, FILTER_HIDE, a->input, false);
        }
    } else if (key >= 0x20 && key < 0x110000 && a->ninput + 5 < sizeof(a->input)) {
        a->ninput += canvas_utf8((uint32_t)key, a->input + a->ninput);
        a->input[a->ninput] = '\0';
    }
    return APP_REDRAW;
}

static enum app_result mouse(struct app *a, const struct term_mouse *m)
{
    struct list *l = current_list(a);
    if (m->wheel_up || m->wheel_down) {
        if (l) {
            list_move(l, m->wheel_up ? -3 : 3);
        } else {
            a->first_depth += m->wheel_up ? -1 : 1;
            if (a->first_depth < 0)
                a->first_depth = 0;
            a->hit_valid = false;
        }
        return APP_REDRAW;
    }
    /* (the hit map is of the last drawn screen: a click that comes after a
     * key, a zoom or a new profile, before the redraw, is ignored) */
    if (a->view == VIEW_ICICLE && m->y >= a->icicle_y && m->y < a->icicle_y + a->icicle_h &&
        a->hit && a->hit_valid && m->x >= 0 && m->x < a->screen_w) {
        uint32_t n = a->hit[(m->y - a->icicle_y) * a->screen_w + m->x];
        if (n != PROFILE_NONE && in_subtree(a->cur, n, a->zoom)) {
            a->sel = n;
            if (m->double_click)
                set_zoom(a, n);
        }
        return APP_REDRAW;
    }
    if (l && m->y >= a->list_y && m->y < a->list_y + a->list_h) {
        list_select(l, l->top + (size_t)(m->y - a->list_y));
        if (m->double_click)
            return act(a, ACT_ENTER);
    }
    return APP_REDRAW;
}

enum app_result app_key(struct app *a, int key, const struct term_mouse *m)
{
    if (key != TK_MOUSE) /* whatever it does, the screen is redrawn */
        a->hit_valid = false;
    a->msg[0] = '\0';
    if (key != 'q' && key != TK_RESIZE && key != TK_MOUSE)
        a->quit_armed = false; /* (q asks again after another key) */
    if (a->help) {
        a->help = false;
        return key == 'q' ? act(a, ACT_QUIT) : APP_REDRAW;
    }
    if (a->prompt != PROMPT_NONE)
        return prompt_key(a, key);
    if (key == TK_RESIZE)
        return APP_REDRAW;
    if (key == TK_INTERRUPT)
        return APP_QUIT;
    /* (a click acts on the tree or a list too: they must be current) */
    ensure_views(a);
    if (key == TK_MOUSE && m)
        return mouse(a, m);
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
        if (bindings[i].key == key && (bindings[i].views & V(a->view)))
            return act(a, bindings[i].act);
    return APP_NOTHING;
}

size_t app_key_help(size_t i, const char **key, const char **help)
{
    size_t k = 0;
    for (size_t j = 0; j < sizeof(bindings) / sizeof(bindings[0]); j++) {
        if (!bindings[j].keyname)
            continue;
        if (k++ == i) {
            *key = bindings[j].keyname;
            *help = bindings[j].help;
            return 1;
        }
    }
    return 0;
}

/* ----- drawing ----- */

/* Header: the views, then the transform stack, then the file and sample
 * count with what room is left (transforms matter more than the name). */
static void draw_header(struct app *a, struct canvas *c)
{
    int w = c->w, x = 0;
    const uint8_t rv = CANVAS_REVERSE;
    canvas_fill(c, 0, 0, w, ' ', 0, 0, rv);
    x += canvas_text(c, x, 0, w - x, " tprof ", 0, 0, rv | CANVAS_BOLD);
    for (int v = 0; v < VIEW_COUNT; v++)
        x += canvas_printf(c, x, 0, w - x, 0, 0, rv | (v == (int)a->view ? CANVAS_BOLD : 0),
                           v == (int)a->view ? "[%s]" : " %s ", view_names[v]);
    if (a->view == VIEW_LOG)
        x += canvas_text(c, x, 0, w - x, "[output]", 0, 0, rv | CANVAS_BOLD);
    if (a->show_before) /* as visible as a transform: the widths are not AFTER's */
        x += canvas_text(c, x, 0, w - x, " [widths: BEFORE]", 0, 0, rv | CANVAS_BOLD);
    for (size_t i = 0; i < a->nfilters && x < w; i++)
        x += canvas_printf(c, x, 0, w - x, 0, 0, rv | CANVAS_BOLD, " [%s]",
                           filter_label(a->filters[i]));
    if (a->modules && x < w)
        x += canvas_text(c, x, 0, w - x, " [by module]", 0, 0, rv | CANVAS_BOLD);
    if (a->kfold_on && x < w)
        x += canvas_text(c, x, 0, w - x, " [kernel folded]", 0, 0, rv | CANVAS_BOLD);
    if (a->window_prof && x < w)
        x += canvas_printf(c, x, 0, w - x, 0, 0, rv | CANVAS_BOLD, " [last %d s]", WINDOW_SECONDS);
    if (a->roots_native != ROOTS_MERGED && x < w)
        x += canvas_text(c, x, 0, w - x,
                         a->roots_shown == ROOTS_MERGED    ? " [by program]"
                         : a->roots_shown == ROOTS_PROCESS ? " [per process]"
                                                           : " [per thread]",
                         0, 0, rv | CANVAS_BOLD);
    char right[600];
    if (a->status) /* live: the status has a line of its own */
        snprintf(right, sizeof(right), "  %s%s ", a->paused ? "[paused] " : "", a->title);
    else if (a->diff) {
        double b, f;
        char bw[40], fw[40];
        profile_compare_all(a->orig, &b, &f);
        profile_format_weight(a->orig, b, bw, sizeof(bw));
        profile_format_weight(a->orig, f, fw, sizeof(fw));
        snprintf(right, sizeof(right), "  %s  %s %s %s%s ", a->title, bw,
                 c->utf8 ? "\u2192" : "->", fw,
                 profile_unit_word(a->orig));
    } else if (profile_unit(a->orig) == PROFILE_SECONDS)
        snprintf(right, sizeof(right), "  %s  %.6f s ", a->title, profile_total(a->orig));
    else
        snprintf(right, sizeof(right), "  %s  %.0f%s ", a->title, profile_total(a->orig),
                 profile_unit_word(a->orig));
    int rw = canvas_text_width(right);
    if (x + rw <= w)
        canvas_text(c, w - rw, 0, rw, right, 0, 0, rv);
    else if (w - x > 8)
        canvas_text(c, x, 0, w - x, right, 0, 0, rv);
}

static void draw_breadcrumb(struct app *a, struct canvas *c, int y)
{
    const char **path;
    size_t n = path_of(a->cur, a->zoom, &path);
    const char *sep = c->utf8 ? " \xe2\x80\xba " : " > ";
    /* Show the tail when it is too long: "... > b > c". */
    int width = 3;
    size_t first = 0;
    for (size_t i = n; i > 0; i--) {
        width += canvas_text_width(path[i - 1]) + 3;
        if (width > c->w - 8) {
            first = i;
            break;
        }
    }
    int x = canvas_text(c, 0, y, c->w, first ? "\xe2\x80\xa6" : "all", 0, 0, CANVAS_BOLD);
    if (!c->utf8 && first)
        x = canvas_text(c, 0, y, c->w, "...", 0, 0, CANVAS_BOLD);
    for (size_t i = first; i < n && x < c->w; i++) {
        x += canvas_text(c, x, y, c->w - x, sep, 0, 0, 0);
        x += canvas_text(c, x, y, c->w - x, path[i], 0, 0, i + 1 == n ? CANVAS_BOLD : 0);
    }
    free(path);
}

/* A comparison's figures for the selected frame: "before 48.10%  after
 * 12.30%  -35.80 pts  (self -20.10)", from X on row Y. */
static void draw_diff_status(struct app *a, struct canvas *c, int x, int y)
{
    struct diff_figures d;
    diff_node_figures(a->cur, a->sel, &d);
    bool raw = profile_absolute(a->cur);
    int dec = diff_decimals(a->cur);
    const char *pc = raw ? "" : "%";
    char ch[40], sc[40];
    diff_signed(d.change, dec, c->utf8, ch, sizeof(ch));
    diff_signed(d.self_change, dec, c->utf8, sc, sizeof(sc));
    uint8_t at = CANVAS_REVERSE;
    x += canvas_printf(c, x, y, c->w - x, 0, 0, at, "  before %.*f%s  after %.*f%s  ", dec,
                       d.before, pc, dec, d.after, pc);
    uint8_t fg = a->color && d.trend > 0 ? CC_RED : a->color && d.trend < 0 ? CC_BLUE : 0;
    x += canvas_printf(c, x, y, c->w - x, fg, 0, at | CANVAS_BOLD, "%s%s", ch,
                       raw ? (profile_unit(a->cur) == PROFILE_SECONDS ? " s" : "") : " pts");
    x += canvas_printf(c, x, y, c->w - x, 0, 0, at, "  (self %s)", sc);
    if (d.only)
        x += canvas_printf(c, x, y, c->w - x, 0, 0, at | CANVAS_BOLD, "  only in %s",
                           d.only > 0 ? "after" : "before");
    else if (!d.trend && a->sel != PROFILE_ROOT)
        x += canvas_text(c, x, y, c->w - x, "  (within noise)", 0, 0, at);
}

/* Live: the selected frame's share of each stretch of the run, as
 * "▁▂▃▅▇" (up to 30 stretches), at X on row Y; the cells drawn. */
static int draw_sparkline(struct app *a, struct canvas *c, int x, int y)
{
    int room = c->w - x - 3;
    const struct profile_node *sn = profile_node(a->cur, a->sel);
    if (!a->tl || timeline_seconds(a->tl) < 2 || room < 8 || sn->frame == PROFILE_NONE)
        return 0;
    /* the frame in the recorded profile (the view may be transformed) */
    const struct frame *f = frames_get(profile_frames_const(a->cur), sn->frame);
    uint32_t fo = frames_find(profile_frames_const(a->orig), f->name, f->kind, f->module);
    if (fo == UINT32_MAX)
        return 0;
    size_t nodes = profile_node_count(a->orig);
    uint8_t *mark = xmalloc(nodes + 1);
    for (uint32_t i = 0; i < nodes; i++) { /* (a parent's id is below its children's) */
        const struct profile_node *pn = profile_node(a->orig, i);
        mark[i] = pn->frame == fo || (pn->parent != PROFILE_NONE && mark[pn->parent]);
    }
    double share[30];
    size_t bins = timeline_shares(a->tl, mark, nodes, room - 1 < 30 ? (size_t)room - 1 : 30,
                                  share);
    free(mark);
    static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                       "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char ascii[] = "_.-:=+*#";
    int n = canvas_text(c, x, y, c->w - x, "  ", 0, 0, CANVAS_REVERSE);
    for (size_t b = 0; b < bins; b++) {
        int level = share[b] < 0 ? -1 : (int)(share[b] * 7.999);
        char one[2] = {level < 0 ? ' ' : ascii[level], '\0'};
        n += canvas_text(c, x + n, y, c->w - x - n,
                         level < 0 ? " " : c->utf8 ? bars[level] : one, 0, 0, CANVAS_REVERSE);
    }
    return n;
}

/* The function a list view has selected (built views only), else
 * PROFILE_NONE: the icicle's and the tree's selection is a->sel. */
static uint32_t list_function(const struct app *a)
{
    if (a->view == VIEW_TOP && table_ready(a) && a->table.rows && a->table.list.count) {
        size_t i = a->table.list.selected == LIST_NONE ? 0 : a->table.list.selected;
        return i < a->table.list.count ? a->table.rows[i].frame : PROFILE_NONE;
    }
    if (a->view == VIEW_CALLERS && callers_ready(a))
        return callers_selected_frame(&a->callers);
    return PROFILE_NONE;
}

/* The status line of a list view: the function its keys act on (Enter,
 * f), with its figures in the top table (of the zoomed subtree). */
static void draw_function_status(struct app *a, struct canvas *c, int y, uint32_t f)
{
    const struct frame *fr = frames_get(profile_frames_const(a->cur), f);
    canvas_fill(c, 0, y, c->w, ' ', 0, 0, CANVAS_REVERSE);
    int x = canvas_text(c, 0, y, c->w, fr ? fr->name : "?", 0, 0, CANVAS_REVERSE | CANVAS_BOLD);
    if (fr && fr->module && *fr->module && x < c->w)
        x += canvas_printf(c, x, y, c->w - x, 0, 0, CANVAS_REVERSE, " (%s)", fr->module);
    const struct func_stat *row = NULL;
    for (size_t i = 0; table_ready(a) && a->table.rows && i < a->table.list.count; i++)
        if (a->table.rows[i].frame == f) {
            row = &a->table.rows[i];
            break;
        }
    if (!row || x >= c->w)
        return;
    char sw[40], tw[40];
    profile_format_weight(a->cur, row->self, sw, sizeof(sw));
    profile_format_weight(a->cur, row->total, tw, sizeof(tw));
    canvas_printf(c, x, y, c->w - x, 0, 0, CANVAS_REVERSE, "  self %s  total %s  %.2f%% of all", sw,
                  tw, a->table.base > 0 ? 100 * row->total / a->table.base : 0);
}

static void draw_status(struct app *a, struct canvas *c, int y)
{
    uint32_t lf = list_function(a);
    if (lf != PROFILE_NONE) {
        draw_function_status(a, c, y, lf);
        return;
    }
    const struct profile_node *n = profile_node(a->cur, a->sel);
    double all = profile_total(a->cur), z = profile_node(a->cur, a->zoom)->total;
    const char *module = n->frame != PROFILE_NONE
                             ? frames_get(profile_frames_const(a->cur), n->frame)->module
                             : "";
    canvas_fill(c, 0, y, c->w, ' ', 0, 0, CANVAS_REVERSE);
    char sw[40], tw[40], fig[200];
    profile_format_weight(a->cur, n->self, sw, sizeof(sw));
    profile_format_weight(a->cur, n->total, tw, sizeof(tw));
    int figw = snprintf(fig, sizeof(fig), "  self %s  total %s  %.2f%% of all  %.2f%% of zoom",
                        sw, tw, all > 0 ? 100 * n->total / all : 0,
                        z > 0 ? 100 * n->total / z : 0);
    if (a->diff)
        figw = 60; /* (about what draw_diff_status writes) */
    /* the name takes what the figures leave, at least half the row (on a
     * narrow screen the figures' end is cut before the name) */
    int namew = c->w - figw;
    if (namew < c->w / 2)
        namew = c->w / 2;
    int x = canvas_text(c, 0, y, namew, icicle_label(a->cur, a->sel), 0, 0,
                        CANVAS_REVERSE | CANVAS_BOLD);
    if (*module && x < namew)
        x += canvas_printf(c, x, y, namew - x, 0, 0, CANVAS_REVERSE, " (%s)", module);
    if (a->diff) {
        draw_diff_status(a, c, x, y);
        return;
    }
    x += canvas_text(c, x, y, c->w - x, fig, 0, 0, CANVAS_REVERSE);
    draw_sparkline(a, c, x, y);
}

static void draw_bottom(struct app *a, struct canvas *c, int y)
{
    if (a->prompt != PROMPT_NONE) {
        int x = canvas_text(c, 0, y, c->w,
                            a->prompt == PROMPT_SEARCH ? "search (regex): "
                            : a->prompt == PROMPT_HIDE ? "hide (regex): "
                                                       : "export to (.folded .json .svg .pb.gz): ",
                            0,
                            0, CANVAS_BOLD);
        x += canvas_text(c, x, y, c->w - x, a->input, 0, 0, 0);
        canvas_fill(c, x, y, 1, '_', 0, 0, CANVAS_BOLD);
        return;
    }
    if (a->msg[0]) {
        canvas_text(c, 0, y, c->w, a->msg, 0, 0, CANVAS_BOLD);
        return;
    }
    if (a->pattern && (a->match_all_dirty || a->match_zoom_of != a->zoom)) {
        canvas_printf(c, 0, y, c->w, 0, 0, CANVAS_BOLD, "/%s: counting...", a->pattern);
        return;
    }
    if (a->pattern) {
        double all = profile_total(a->cur), z = profile_node(a->cur, a->zoom)->total;
        char mw[40];
        profile_format_weight(a->cur, a->match_all, mw, sizeof(mw));
        canvas_printf(c, 0, y, c->w, 0, 0, CANVAS_BOLD,
                      "/%s: %s%s, %.2f%% of all, %.2f%% of zoomed   n/N next/prev", a->pattern,
                      mw, profile_unit_word(a->cur),
                      all > 0 ? 100 * a->match_all / all : 0,
                      z > 0 ? 100 * a->match_zoom / z : 0);
        return;
    }
    if (a->diff) {
        int x = 0;
        if (a->color && !a->diff_by_module) {
            x += canvas_text(c, x, y, c->w - x, " grew ", 0, CC_GREW3, 0);
            x += canvas_text(c, x, y, c->w - x, " shrank ", 0, CC_SHRANK3, 0);
            x += canvas_text(c, x, y, c->w - x, " same ", 0, CC_GREY, 0);
        } else {
            x += canvas_text(c, x, y, c->w - x, c->utf8 ? "+ grew  \u2212 shrank" : "+ grew  - shrank",
                             0, 0, CANVAS_DIM);
        }
        canvas_text(c, x, y, c->w - x,
                    "  * one side only  b before/after  4 sort by change  ? help  q quit", 0, 0,
                    CANVAS_DIM);
        return;
    }
    canvas_text(c, 0, y, c->w,
                "? help  q quit  Enter zoom  Bksp out  Tab views  / search  f focus  x hide  "
                "i invert  u undo",
                0, 0, CANVAS_DIM);
}

static void log_row(void *ctx, size_t i, struct canvas *c, int x, int y, int w, bool sel)
{
    const struct app *a = ctx;
    const char *line = linebuf_line(a->log, i);
    bool err = line[0] == '!' && line[1] == ' ';
    canvas_text(c, x, y, w, line, err ? CC_RED : 0, 0, sel ? CANVAS_REVERSE : 0);
}

static void draw_log(struct app *a, struct canvas *c, int y, int h)
{
    size_t n = linebuf_count(a->log), dropped = linebuf_dropped(a->log);
    canvas_printf(c, 0, y, c->w, 0, 0, CANVAS_BOLD,
                  "Program output (%zu lines%s; stderr lines start with '!'; all of it is "
                  "written out when tprof exits)",
                  n + dropped, dropped ? ", the oldest not shown" : "");
    a->log_list.count = n;
    if (a->log_follow || a->log_list.selected >= n)
        a->log_list.selected = n ? n - 1 : 0;
    if (n == 0)
        canvas_text(c, 2, y + 1, c->w - 2, "(nothing yet)", 0, 0, CANVAS_DIM);
    list_render(&a->log_list, c, 0, y + 1, c->w, h - 1, log_row, a);
}

static void draw_help(struct canvas *c)
{
    canvas_clear(c);
    canvas_text(c, 0, 0, c->w, "tprof keys (any key closes this)", 0, 0, CANVAS_BOLD);
    /* one column as wide as the screen; two only when one is too short */
    size_t lines = 0;
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
        lines += bindings[i].keyname != NULL;
    int y = 2, col = 0;
    int colw = (int)lines > c->h - 3 && c->w >= 100 ? c->w / 2 : c->w;
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
        if (!bindings[i].keyname)
            continue;
        if (y >= c->h - 1) {
            if (colw == c->w)
                break;
            y = 2;
            col += colw;
        }
        canvas_text(c, col + 1, y, 14, bindings[i].keyname, 0, 0, CANVAS_BOLD);
        canvas_text(c, col + 16, y, colw - 17, bindings[i].help, 0, 0, 0);
        y++;
    }
    canvas_text(c, 0, c->h - 1, c->w,
                "Mouse: click selects, double-click zooms, wheel scrolls. NO_COLOR turns colour off.",
                0, 0, CANVAS_DIM);
}

void app_draw(struct app *a, struct canvas *c)
{
    canvas_clear(c);
    if (a->help) {
        draw_help(c);
        return;
    }
    ensure_views(a);
    int w = c->w, h = c->h;
    draw_header(a, c);
    int top = 1; /* first row under the header */
    if (a->status) {
        canvas_text(c, 0, 1, w, a->status, 0, 0, a->paused ? CANVAS_BOLD : 0);
        top = 2;
    }
    draw_breadcrumb(a, c, top);
    top++;
    h -= top - 2; /* the layout below was made for two rows on top */
    a->screen_w = w;
    a->list_y = a->list_h = a->icicle_h = 0;
    if (a->view == VIEW_ICICLE) {
        int table_h = h >= 20 ? (h - 4) / 3 : h >= 12 ? 3 : 0;
        int ih = h - 2 - 1 - table_h - 1;
        if (ih < 1)
            ih = 1;
        a->icicle_y = top;
        a->icicle_h = ih;
        size_t need = (size_t)w * (size_t)ih;
        if (need > a->hit_cap) {
            a->hit = xrealloc(a->hit, need * sizeof(uint32_t));
            a->hit_cap = need;
        }
        /* keep the selection's row on screen */
        int sel_depth = (int)profile_depth(a->cur, a->sel) - (int)profile_depth(a->cur, a->zoom);
        if (sel_depth < a->first_depth)
            a->first_depth = sel_depth;
        if (sel_depth >= a->first_depth + ih)
            a->first_depth = sel_depth - ih + 1;
        struct icicle_opts o = {.zoom = a->zoom,
                                .selected = a->sel,
                                .first_depth = a->first_depth,
                                .color = a->color,
                                .heat = a->heat,
                                .diff = a->diff && !a->diff_by_module,
                                .diff_marks = a->diff,
                                .match = a->match};
        icicle_render(a->cur, &o, c, 0, top, w, ih, a->hit);
        a->hit_valid = true;
        draw_status(a, c, top + ih);
        if (table_h > 0 && !table_ready(a)) {
            table_header(c, 0, top + 1 + ih, w, a->order, a->cur, false);
            canvas_text(c, 2, top + 2 + ih, w - 2, "computing...", 0, 0, CANVAS_DIM);
        } else if (table_h > 0) {
            a->table.list.selected = LIST_NONE;
            a->table.list.top = 0;
            table_render(&a->table, c, 0, top + 1 + ih, w, table_h);
        }
    } else {
        int lh = h - 4;
        a->list_y = top + 1;
        a->list_h = lh - 1;
        if (a->view == VIEW_LOG)
            draw_log(a, c, top, lh);
        else if (a->view == VIEW_TREE)
            tree_render(&a->tree, c, 0, top, w, lh);
        else if ((a->view == VIEW_TOP && !table_ready(a)) ||
                 (a->view == VIEW_CALLERS && !callers_ready(a)))
            canvas_text(c, 2, top + 1, w - 2, "computing...", 0, 0, CANVAS_DIM);
        else if (a->view == VIEW_TOP) {
            if (a->table.list.selected == LIST_NONE)
                a->table.list.selected = 0;
            table_render(&a->table, c, 0, top, w, lh);
        } else if (a->view == VIEW_CALLERS)
            callers_render(&a->callers, c, 0, top, w, lh);
        if (a->view == VIEW_TREE && tree_ready(a) && a->tree.nrows)
            a->sel = tree_selected_node(&a->tree);
        draw_status(a, c, c->h - 2);
    }
    draw_bottom(a, c, c->h - 1);
}

/* ----- the loop ----- */

int app_start(struct app *a, char *err, size_t errlen)
{
    if (term_init(err, errlen) < 0)
        return -1;
    a->color = term_colors();
    a->deferred = true;
    int w, h;
    term_size(&w, &h);
    a->screen = canvas_new(w, h, term_utf8());
    app_redraw(a);
    return 0;
}

int app_input_fd(const struct app *a)
{
    (void)a;
    return term_fd();
}

void app_redraw(struct app *a)
{
    if (!a->screen)
        return;
    app_draw(a, a->screen);
    term_draw(a->screen);
}

enum app_result app_pump(struct app *a)
{
    bool redraw = false;
    for (;;) {
        struct term_mouse m;
        int key = term_key(0, &m);
        if (key == TK_NONE)
            break;
        if (key == TK_INTERRUPT)
            return APP_QUIT;
        if (key == TK_RESIZE) {
            int w, h;
            term_size(&w, &h);
            canvas_resize(a->screen, w, h);
        }
        enum app_result r = app_key(a, key, &m);
        if (r == APP_QUIT)
            return APP_QUIT;
        redraw |= r == APP_REDRAW || key == TK_RESIZE;
    }
    if (!redraw && app_idle(a)) /* one piece of deferred work per pump */
        redraw = true;
    if (redraw)
        app_redraw(a);
    return redraw ? APP_REDRAW : APP_NOTHING;
}

void app_stop(struct app *a)
{
    canvas_free(a->screen);
    a->screen = NULL;
    term_end();
}

int app_run(struct app *a, char *err, size_t errlen)
{
    if (app_start(a, err, errlen) < 0)
        return -1;
    struct canvas *c = a->screen;
    int interrupted_by = 0;
    for (;;) {
        struct term_mouse m;
        /* Pending work runs only while no key is waiting. */
        int key = term_key(app_busy(a) ? 0 : -1, &m);
        if (key == TK_NONE) {
            if (app_idle(a))
                app_redraw(a);
            continue;
        }
        if (key == TK_INTERRUPT) {
            interrupted_by = term_signal();
            break;
        }
        enum app_result r = app_key(a, key, &m);
        if (r == APP_QUIT)
            break;
        if (key == TK_RESIZE) {
            int w, h;
            term_size(&w, &h);
            canvas_resize(c, w, h);
        }
        if (r == APP_REDRAW || key == TK_RESIZE)
            app_redraw(a);
    }
    app_stop(a);
    return interrupted_by;
}
