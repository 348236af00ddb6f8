/* The viewer driven by keys, drawn into an 80x24 canvas: no terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/app.h"
#include "tprof/diff.h"
#include "tprof/linebuf.h"

static const char *const P = "prog;main;parse;lex 40\n"
                             "prog;main;parse 10\n"
                             "prog;main;eval;lookup 30\n"
                             "prog;main;eval 15\n"
                             "prog;main;init 5\n";

static struct canvas *C;

static struct app *start(void)
{
    C = canvas_new(80, 24, false);
    struct app *a = app_new(profile_from(P), "test.folded");
    app_draw(a, C);
    return a;
}

static struct app *start_with(const char *folded)
{
    C = canvas_new(80, 24, false);
    struct app *a = app_new(profile_from(folded), "test.folded");
    app_draw(a, C);
    return a;
}

static void keys(struct app *a, const char *ks)
{
    for (const char *k = ks; *k; k++)
        app_key(a, *k == '\n' ? TK_ENTER : *k == '\b' ? TK_BACKSPACE : *k == '\t' ? TK_TAB : *k,
                NULL);
    app_draw(a, C);
}

static bool screen_has(const char *text)
{
    char *t = canvas_to_text(C);
    bool yes = strstr(t, text) != NULL;
    if (!yes)
        fprintf(stderr, "screen:\n%s\nwanted: %s\n", t, text);
    free(t);
    return yes;
}

static bool screen_lacks(const char *text)
{
    char *t = canvas_to_text(C);
    bool no = strstr(t, text) == NULL;
    free(t);
    return no;
}

static void finish(struct app *a)
{
    app_free(a);
    canvas_free(C);
}

static void test_first_screen(void **state)
{
    (void)state;
    struct app *a = start();
    assert_string_equal(row(C, 0),
                        " tprof [icicle] tree  top  callers                     test.folded  100 samples");
    assert_string_equal(row(C, 1), "all");
    assert_string_equal(row(C, 2), "|all");
    /* 80 columns: parse 50% = 40, eval 45% = 36, init 5% = 4 ("in~") */
    assert_string_equal(row(C, 5), "|parse                                  |eval                               |in~");
    /* parse's own time (the rest of its 40 columns) is left blank below it */
    assert_string_equal(row(C, 6), "|lex                                    |lookup");
    assert_true(screen_has("all  self 0  total 100  100.00% of all  100.00% of zoom"));
    assert_true(screen_has(" 40.00%    40.00%          40         40  lex"));
    assert_true(screen_has("? help  q quit"));
    finish(a);
}

static void test_navigate_zoom_and_breadcrumb(void **state)
{
    (void)state;
    struct app *a = start();
    keys(a, "jjj"); /* all > prog > main > parse (heaviest) */
    assert_true(screen_has("parse  self 10  total 50  50.00% of all  50.00% of zoom"));
    keys(a, "l"); /* next sibling */
    assert_true(screen_has("eval  self 15  total 45  45.00% of all"));
    keys(a, "\n"); /* zoom into eval */
    assert_string_equal(row(C, 1), "all > prog > main > eval");
    assert_string_equal(row(C, 2), "|eval");
    assert_true(screen_has("eval  self 15  total 45  45.00% of all  100.00% of zoom"));
    assert_true(screen_has(" 30.00%    30.00%          30         30  lookup")); /* table of the zoom */
    assert_true(screen_lacks("  lex"));
    keys(a, "j");
    assert_true(screen_has("lookup  self 30  total 30  30.00% of all  66.67% of zoom"));
    keys(a, "\b"); /* zoom out one level */
    assert_string_equal(row(C, 1), "all > prog > main");
    keys(a, "r");
    assert_string_equal(row(C, 1), "all");
    assert_int_equal(app_key(a, 'q', NULL), APP_QUIT);
    finish(a);
}

static void test_search_percentages(void **state)
{
    (void)state;
    struct app *a = start();
    keys(a, "/l.x\n");
    assert_true(screen_has("/l.x: 40 samples, 40.00% of all, 40.00% of zoomed"));
    keys(a, "n");
    assert_true(screen_has("lex  self 40"));
    keys(a, "k\n"); /* zoom into parse: lex is all of the matches, 80% of it */
    assert_true(screen_has("/l.x: 40 samples, 40.00% of all, 80.00% of zoomed"));
    keys(a, "/zzz\n");
    assert_true(screen_has("no frame matches zzz"));
    keys(a, "/(\n");
    assert_true(screen_has("bad regular expression: ("));
    finish(a);
}

static void test_focus_hide_invert_undo(void **state)
{
    (void)state;
    struct app *a = start();
    keys(a, "jjjlj"); /* lookup */
    keys(a, "f");
    assert_true(screen_has("[focus lookup]"));
    assert_string_equal(row(C, 5), "|eval");
    assert_true(screen_has("lookup  self 30  total 30  100.00% of all"));
    keys(a, "u");
    assert_true(screen_lacks("[focus"));
    keys(a, "x^(parse|eval)$\n");
    assert_true(screen_has("[hide ^(parse|eval)$]"));
    /* parse's and eval's time went to main (self 25) */
    assert_string_equal(row(C, 5), "|lex                            |lookup                 |in~");
    keys(a, "i");
    assert_true(screen_has("[hide ^(parse|eval)$] [invert]"));
    assert_string_equal(row(C, 3), "|lex                            |lookup                 |main               |in~");
    keys(a, "uu");
    assert_true(screen_lacks("[hide"));
    keys(a, "u");
    assert_true(screen_has("nothing to undo"));
    finish(a);
}

static void test_views_and_help(void **state)
{
    (void)state;
    struct app *a = start();
    keys(a, "jjj\t");
    assert_true(screen_has(" icicle [tree] top  callers"));
    assert_true(screen_has("  - parse"));
    keys(a, "\t");
    assert_true(screen_has("[self%]   total%"));
    keys(a, "3");
    assert_true(screen_has("[function]"));
    keys(a, "2\n"); /* callers/callees of the selected row: parse, the icicle's
                      * selection, through both sorts */
    assert_true(screen_has("[callers]"));
    assert_true(screen_has("Callers and callees of parse"));
    app_key(a, '?', NULL);
    app_draw(a, C);
    assert_true(screen_has("tprof keys (any key closes this)"));
    assert_true(screen_has("invert (bottom-up)"));
    keys(a, "x"); /* closes help, does nothing else */
    assert_true(screen_has("[callers]"));
    keys(a, "\t");
    assert_true(screen_has("[icicle]"));
    finish(a);
}

/* The status line names the function the keys act on: in the top table its
 * selected row (which opens on the icicle's selection), and the callers
 * view opens on that function, by Enter or by Tab. */
static void test_callers_open_on_status_function(void **state)
{
    (void)state;
    struct app *a = start();
    keys(a, "jjj\t\t"); /* parse in the icicle; the tree; the top table */
    assert_true(strncmp(row(C, 22), "parse  self 10  total 50", 24) == 0);
    keys(a, "j"); /* by self: lex lookup eval parse init */
    assert_true(strncmp(row(C, 22), "init  self 5  total 5", 21) == 0);
    keys(a, "\n");
    assert_true(screen_has("Callers and callees of init"));
    keys(a, "\b\t\tk"); /* the icicle (init), the tree, the top table: eval */
    assert_true(strncmp(row(C, 22), "eval  self 15", 13) == 0);
    keys(a, "\t");
    assert_true(screen_has("Callers and callees of eval"));
    finish(a);
}

/* On a wide screen the help and the selected frame's line use the width:
 * no help line cut at 64 columns of 140, no name at 70. */
static void test_wide_screen_lines(void **state)
{
    (void)state;
    char name[101];
    memset(name, 'n', 100);
    name[100] = '\0';
    char folded[200];
    snprintf(folded, sizeof(folded), "prog;%s 1\n", name);
    struct app *a = app_new(profile_from(folded), "t");
    C = canvas_new(140, 40, false);
    keys(a, "jj");
    assert_true(screen_has(name));
    assert_true(screen_has("  self 1  total 1  100.00% of all  100.00% of zoom"));
    keys(a, "?");
    assert_true(screen_has("hide frames matching a regex (time goes to the caller)"));
    assert_true(screen_has(
        "icicle: zoom in; tree: expand/collapse; top: callers/callees; callers: follow"));
    finish(a);
}

/* Live with nothing written at the end: q asks once, another key forgets
 * the question, q q quits; after an e export q quits at once. */
static void test_quit_unsaved_asks(void **state)
{
    (void)state;
    struct app *a = start();
    app_set_unsaved_guard(a, true);
    assert_int_equal(app_key(a, 'q', NULL), APP_REDRAW);
    app_draw(a, C);
    assert_true(screen_has("the profile is not saved: e exports it, q again quits"));
    assert_int_equal(app_key(a, 'j', NULL), APP_REDRAW);
    assert_int_equal(app_key(a, 'q', NULL), APP_REDRAW);
    assert_int_equal(app_key(a, 'q', NULL), APP_QUIT);
    assert_false(app_saved(a));
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/x.folded", dir);
    app_key(a, 'e', NULL);
    for (int i = 0; i < 40; i++) /* clear the proposed name */
        app_key(a, TK_BACKSPACE, NULL);
    for (const char *p = path; *p; p++)
        app_key(a, *p, NULL);
    app_key(a, TK_ENTER, NULL);
    assert_true(app_saved(a));
    assert_int_equal(app_key(a, 'q', NULL), APP_QUIT);
    unlink(path);
    rmdir(dir);
    finish(a);
}

/* troff's escapes in the man page's key list, back to text. */
static void unescape(const char *in, char *out, size_t len)
{
    static const char *const map[][2] = {{"\\(<-", "\xe2\x86\x90"}, {"\\(->", "\xe2\x86\x92"},
                                         {"\\(ua", "\xe2\x86\x91"}, {"\\(da", "\xe2\x86\x93"},
                                         {"\\(aq", "'"}, {"\\(dq", "\""},
                                         {"\\-", "-"}, {"\\&", ""}, {"\\\\", "\\"}};
    size_t n = 0;
    while (*in && n + 4 < len) {
        size_t k = 0;
        for (; k < sizeof(map) / sizeof(map[0]); k++)
            if (strncmp(in, map[k][0], strlen(map[k][0])) == 0)
                break;
        if (k < sizeof(map) / sizeof(map[0])) {
            n += (size_t)snprintf(out + n, len - n, "%s", map[k][1]);
            in += strlen(map[k][0]);
        } else {
            out[n++] = *in++;
        }
    }
    out[n] = '\0';
}

/* The man page's key list is the text ? shows, key by key. */
static void test_man_page_keys_are_the_help(void **state)
{
    (void)state;
    FILE *f = fopen("man/tprof.1", "r");
    assert_non_null(f); /* (make runs the tests from the project's root) */
    char line[512], key[512], text[512];
    bool in_keys = false;
    size_t i = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, ".SS Keys") == 0)
            in_keys = true;
        else if (in_keys && strcmp(line, ".PP") == 0)
            break;
        if (!in_keys || strncmp(line, ".B \"", 4) != 0)
            continue;
        line[strlen(line) - 1] = '\0'; /* the closing quote */
        unescape(line + 4, key, sizeof(key));
        assert_non_null(fgets(line, sizeof(line), f));
        line[strcspn(line, "\n")] = '\0';
        unescape(line, text, sizeof(text));
        const char *k, *h;
        assert_int_equal(app_key_help(i, &k, &h), 1);
        assert_string_equal(key, k);
        assert_string_equal(text, h);
        i++;
    }
    fclose(f);
    const char *k, *h;
    assert_int_equal(app_key_help(i, &k, &h), 0); /* every key is in the man page */
    assert_true(i > 20);
}

/* m: the tree by module, where modules are known; a folded file says it
 * has none. */
static void test_by_module_key(void **state)
{
    (void)state;
    struct app *a = start();
    keys(a, "m");
    assert_true(screen_has("no modules in this profile"));
    finish(a);
    struct profile *p = profile_new();
    struct frames *fr = profile_frames(p);
    uint32_t root = frames_intern(fr, "app", 3, FRAME_ROOT, "");
    uint32_t mn = frames_intern(fr, "main", 4, FRAME_USER, "app");
    uint32_t mc = frames_intern(fr, "memcpy", 6, FRAME_USER, "libc.so.6");
    profile_add_stack(p, (uint32_t[]){root, mn, mc}, 3, 3);
    profile_add_stack(p, (uint32_t[]){root, mn}, 2, 1);
    a = app_new(p, "t.pb.gz");
    C = canvas_new(80, 24, false);
    keys(a, "m");
    assert_true(screen_has("[by module]"));
    assert_true(screen_has("|libc.so.6"));
    keys(a, "m");
    assert_true(screen_lacks("[by module]"));
    assert_true(screen_has("|memcpy"));
    finish(a);
}

/* t cycles the roots of a profile recorded per thread: by program, per
 * process, per thread; one with a root per program says how to get them. */
static void test_roots_key(void **state)
{
    (void)state;
    struct app *a = start_with("app-10/11;main;a 2\napp-10/12;main;b 3\napp-30/30;main;a 5\n");
    assert_true(screen_has("[per thread]"));
    assert_true(screen_has("|app-30/30"));
    keys(a, "t");
    assert_true(screen_has("[by program]"));
    assert_true(screen_has("roots: by program (t: per process)"));
    assert_string_equal(row(C, 3), "|app");
    keys(a, "t");
    assert_true(screen_has("[per process]"));
    assert_true(screen_has("|app-10") && screen_has("|app-30"));
    assert_true(screen_lacks("app-10/"));
    keys(a, "t");
    assert_true(screen_has("[per thread]"));
    assert_true(screen_has("|app-10/12"));
    finish(a);
    a = start();
    keys(a, "t");
    assert_true(screen_has("one root per program only: record with --threads"));
    keys(a, "w");
    assert_true(screen_has("w is for live mode: a saved profile has no time"));
    finish(a);
}

static void test_small_and_ascii(void **state)
{
    (void)state;
    struct app *a = app_new(profile_from(P), "t");
    C = canvas_new(30, 8, false);
    app_draw(a, C);
    assert_string_equal(row(C, 2), "|all");
    assert_true(strlen(row(C, 0)) <= 30);
    canvas_resize(C, 120, 40);
    app_key(a, TK_RESIZE, NULL);
    app_draw(a, C);
    assert_true(screen_has("|lex"));
    finish(a);
}

/* Zoomed in, the tree and the top table show the zoom's subtree, so a row
 * picked there cannot leave the selection outside the zoom (the icicle
 * then drew it 8 rows above its first, and "106% of zoom"). */
static void test_views_follow_zoom(void **state)
{
    (void)state;
    struct app *a = start_with("prog;a;b;c;d;e;f;g;h;i 60\nprog;x 40\n");
    keys(a, "jjjjjjjj\n");
    assert_string_equal(row(C, 1), "all > prog > a > b > c > d > e > f > g");
    keys(a, "\t"); /* the tree: rooted at the zoom */
    assert_string_equal(row(C, 3), "  60.00%    0.00%  - g");
    app_key(a, TK_HOME, NULL);
    keys(a, "\t"); /* the top table: the zoom's functions */
    assert_string_equal(row(C, 1), "all > prog > a > b > c > d > e > f > g");
    assert_non_null(strstr(row(C, 3), "  i"));
    assert_true(screen_lacks("prog\n") && screen_lacks(" x\n"));
    keys(a, "\t\t"); /* callers, then the icicle again */
    assert_string_equal(row(C, 2), "|g");
    assert_true(screen_has("g  self 0  total 60  60.00% of all  100.00% of zoom"));
    /* r: the tree follows the zoom out */
    keys(a, "\tr");
    assert_string_equal(row(C, 3), " 100.00%    0.00%  - all");
    finish(a);
}

/* n visits matches heaviest first, N back; a match too narrow to read is
 * zoomed to (the outermost caller where it is 8 cells wide), one outside
 * the zoom zoomed out to. */
static void test_next_match_heaviest_first(void **state)
{
    (void)state;
    struct app *a = start_with("prog;main;small;target 1\nprog;main;big;target 50\n"
                               "prog;main;big 49\n");
    keys(a, "/target\nn");
    assert_true(screen_has("match 1 of 2 (heaviest first)"));
    assert_true(screen_has("target  self 50  total 50  50.00% of all  50.00% of zoom"));
    keys(a, "n");
    assert_true(screen_has("match 2 of 2"));
    assert_string_equal(row(C, 1), "all > prog > main > small");
    assert_true(screen_has("target  self 1  total 1  1.00% of all  100.00% of zoom"));
    assert_string_equal(row(C, 3), "|target");
    keys(a, "N");
    assert_string_equal(row(C, 1), "all");
    assert_true(screen_has("target  self 50  total 50"));
    keys(a, "N"); /* (wraps) */
    assert_true(screen_has("match 2 of 2"));
    finish(a);
}

static void test_mouse(void **state)
{
    (void)state;
    struct app *a = start();
    /* row 5 is depth 3 (parse | eval | init); column 50 is in eval */
    struct term_mouse m = {.x = 50, .y = 5, .click = true};
    app_key(a, TK_MOUSE, &m);
    app_draw(a, C);
    assert_true(screen_has("eval  self 15  total 45"));
    m.click = false;
    m.double_click = true;
    app_key(a, TK_MOUSE, &m);
    app_draw(a, C);
    assert_string_equal(row(C, 1), "all > prog > main > eval");
    /* the wheel scrolls lists (the top table of everything: r unzooms) */
    app_key(a, 'r', NULL);
    app_key(a, TK_TAB, NULL);
    app_key(a, TK_TAB, NULL); /* top table */
    app_draw(a, C);
    struct term_mouse wheel = {.wheel_down = true};
    app_key(a, TK_MOUSE, &wheel);
    app_draw(a, C);
    /* rows from y=3: lex, lookup, eval, parse, init, main; the table opens
     * on eval, the icicle's selection, and three notches select main */
    assert_non_null(strstr(row(C, 8), "main"));
    assert_true(canvas_at(C, 0, 8)->attr & CANVAS_REVERSE);
    assert_false(canvas_at(C, 0, 5)->attr & CANVAS_REVERSE);
    finish(a);
}

/* The log pane follows the newest line; Home and PgUp stop following (a
 * redraw must not jump back to the end), End follows again. */
static void test_log_home_stays(void **state)
{
    (void)state;
    struct app *a = start();
    struct linebuf *log = linebuf_new(100, 40);
    char buf[64];
    for (int i = 0; i < 60; i++) {
        int n = snprintf(buf, sizeof(buf), "out %d\n", i);
        linebuf_append(log, buf, (size_t)n, "");
    }
    app_set_log(a, log);
    keys(a, "o");
    assert_true(screen_has("out 59"));
    assert_true(screen_lacks("out 0\n") && screen_lacks("out 1 "));
    app_key(a, TK_HOME, NULL);
    app_draw(a, C);
    app_draw(a, C); /* a second redraw (a live refresh) keeps it there */
    assert_true(screen_has("out 0"));
    assert_true(screen_lacks("out 59"));
    app_key(a, TK_END, NULL);
    linebuf_append(log, "out 60\n", 7, "");
    app_draw(a, C);
    assert_true(screen_has("out 60"));
    app_key(a, TK_PGUP, NULL);
    linebuf_append(log, "out 61\n", 7, "");
    app_draw(a, C);
    assert_true(screen_lacks("out 61"));
    finish(a);
    linebuf_free(log);
}

/* ----- keys faster than the views: each view derived from the profile must
 * never be used once a transform, undo or refresh replaced it (issue 11,
 * V1-V5). The app runs deferred, as on a terminal: whole-tree work waits for
 * idle time, which drain() gives it ("wait" in the key sequences). ----- */

static void press(struct app *a, const int *ks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        app_key(a, ks[i], NULL);
    app_draw(a, C);
}
#define PRESS(a, ...)                                                                              \
    do {                                                                                           \
        const int ks_[] = {__VA_ARGS__};                                                           \
        press(a, ks_, sizeof(ks_) / sizeof(ks_[0]));                                               \
    } while (0)

static void drain(struct app *a)
{
    while (app_idle(a))
        ;
    app_draw(a, C);
}

static struct app *start_deferred(void)
{
    struct app *a = start();
    app_set_deferred(a, true);
    return a;
}

/* V1: i j Shift-Tab (wait) u: undo frees the inverted profile the callers
 * view was built from; the view follows its function into the new one. */
static void test_undo_under_callers(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, 'i', 'j', TK_BTAB);
    drain(a);
    assert_true(screen_has("[callers]"));
    PRESS(a, 'u');
    assert_true(screen_lacks("[invert]"));
    drain(a);
    assert_true(screen_has("[callers]"));
    assert_true(screen_has("lex"));
    assert_true(screen_has("parse")); /* lex's caller in the original profile */
    finish(a);
}

/* V2: j, Shift-Tab and f before the callers view was built. */
static void test_focus_before_callers_built(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, 'j', TK_BTAB, 'f');
    assert_true(screen_has("[focus prog]"));
    drain(a);
    assert_true(screen_has("[callers]"));
    assert_true(screen_has("prog"));
    finish(a);
}

/* V3: Tab Tab f before the top table was drawn: f acts on its first row
 * (the icicle leaves the shared table with no selected row). */
static void test_focus_in_top_before_drawn(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, TK_TAB, TK_TAB, 'f');
    assert_true(screen_has("[focus lex]"));
    finish(a);
}

/* V4: Tab Tab (wait) f f: the second f must not use the table of the
 * profile before the first focus (its frame numbers: c is frame 4 here and
 * frame 3 once focused, where 4 is no frame at all). */
static void test_focus_twice_in_top(void **state)
{
    (void)state;
    C = canvas_new(80, 24, false);
    struct app *a = app_new(profile_from("prog;main;a 10\nprog;main;b;c 50\n"), "t.folded");
    app_set_deferred(a, true);
    PRESS(a, TK_TAB, TK_TAB);
    drain(a);
    assert_true(screen_has("[top]"));
    PRESS(a, 'f', 'f');
    assert_true(screen_has("[focus c] [focus c]"));
    drain(a);
    assert_true(screen_has("c"));
    finish(a);
}

/* V5 (live): Tab, select a deep row, o, f, Tab: leaving the output pane
 * must not take the selection from the tree built before the focus. */
static void test_focus_from_log_pane(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    struct linebuf *log = linebuf_new(10, 40);
    linebuf_append(log, "hello\n", 6, "");
    app_set_log(a, log);
    PRESS(a, TK_TAB, 'E', TK_END);
    assert_true(screen_has("init  self 5"));
    PRESS(a, 'o', 'f', TK_TAB);
    assert_true(screen_has("[focus init]"));
    assert_true(screen_has("init  self 5"));
    drain(a);
    assert_true(screen_has("init"));
    finish(a);
    linebuf_free(log);
}

/* A mouse click between a transform and the next draw: the hit map holds
 * nodes of the old profile (lookup is node 6; focused on lex, the profile
 * has 5 nodes) and must not be used. */
static void test_click_after_transform(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, 'j', 'j', 'j', 'j');
    assert_true(screen_has("lex  self 40"));
    struct term_mouse m = {.x = 45, .y = 6};
    app_key(a, 'f', NULL);
    app_key(a, TK_MOUSE, &m);
    app_draw(a, C);
    assert_true(screen_has("[focus lex]"));
    assert_true(screen_has("lex  self 40"));
    finish(a);
}

/* Found by fuzz_viewer: in the tree, a transform, then a double click
 * (Enter on the clicked row) before the next draw used the tree of the
 * freed profile. */
static void test_double_click_in_stale_tree(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, TK_TAB, 'i'); /* the tree is rebuilt on the inverted profile */
    assert_true(screen_has("[tree]"));
    app_key(a, 'i', NULL); /* frees it */
    struct term_mouse m = {.x = 5, .y = 4, .double_click = true};
    app_key(a, TK_MOUSE, &m);
    app_draw(a, C);
    assert_true(screen_has("[invert] [invert]"));
    finish(a);
}

/* Found by fuzz_viewer: Enter zooms, then a click before the redraw read
 * the hit map of the unzoomed screen: the root became the selection,
 * outside the zoom, and k then took the root's parent (none). */
static void test_click_after_zoom_before_redraw(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, 'j', 'j', 'j'); /* parse */
    app_key(a, TK_ENTER, NULL);
    struct term_mouse m = {.x = 45, .y = 3};
    app_key(a, TK_MOUSE, &m);
    app_key(a, 'k', NULL);
    app_key(a, 'j', NULL);
    app_draw(a, C);
    /* the click was ignored: k zoomed out to main, j selected parse again */
    assert_string_equal(row(C, 1), "all > prog > main");
    assert_true(screen_has("parse  self 10  total 50"));
    finish(a);
}

/* Found by fuzz_viewer: Enter in the callers view right after a transform
 * took the row of the view built before it (init, frame 6 of the full
 * profile; the focused one has 3 frames). */
static void test_enter_in_callers_before_rebuilt(void **state)
{
    (void)state;
    struct app *a = start_deferred();
    PRESS(a, 'j', 'j', TK_BTAB);
    drain(a);
    PRESS(a, TK_DOWN, TK_DOWN, TK_DOWN); /* main's callee init */
    app_key(a, 'f', NULL); /* focus on init: main's callers view follows main */
    app_key(a, TK_ENTER, NULL);
    drain(a);
    assert_true(screen_has("[focus init]"));
    assert_true(screen_has("Callers and callees of main"));
    finish(a);
}

/* A comparison: the status line's figures, b, the table's change column
 * and its sort, and the transforms keep both sides. */
static void test_diff_viewer(void **state)
{
    (void)state;
    struct profile *b = profile_from("m;enc;str 480\nm;enc;hdr 100\nm;send 300\nm;parse 120\n");
    struct profile *af = profile_from("m;enc;join 120\nm;enc;hdr 100\nm;send 300\n"
                                      "m;parse 120\nm;fast 360\n");
    C = canvas_new(100, 30, false);
    struct app *a = app_new(diff_profile_new(b, af, false), "b vs a");
    profile_free(b);
    profile_free(af);
    app_draw(a, C);
    assert_true(screen_has("1000 -> 1000 samples"));
    assert_true(screen_has("|*fast")); /* only in AFTER: marked */
    assert_true(screen_lacks("|*str")); /* gone: no width (it is in the table) */
    /* the table opens sorted by the change */
    assert_true(screen_has("[dtotal]"));
    assert_true(screen_has("48.00      0.00    -48.00 * str"));
    keys(a, "jjll"); /* m, its heaviest child (fast), then send, then enc */
    assert_true(screen_has("enc  before 58.00%  after 22.00%  -36.00 pts  (self 0.00)"));
    keys(a, "\n"); /* zoom: the same figures, the icicle from enc */
    assert_true(screen_has("all > m > enc"));
    assert_true(screen_has("enc  before 58.00%  after 22.00%  -36.00 pts"));
    keys(a, "\b/jo\n"); /* search: AFTER's samples through join */
    assert_true(screen_has("/jo: 120 samples, 12.00% of all"));
    keys(a, "/\n");
    keys(a, "b"); /* widths follow BEFORE: str is back, the figures the same */
    assert_true(screen_has("[widths: BEFORE]"));
    assert_true(screen_has("|*str"));
    assert_true(screen_has("enc  before 58.00%  after 22.00%  -36.00 pts"));
    keys(a, "f"); /* focus keeps both sides; shares stay of all samples */
    assert_true(screen_has("[focus enc]"));
    assert_true(screen_has("enc  before 58.00%  after 22.00%  -36.00 pts"));
    keys(a, "ub"); /* undo, AFTER again */
    assert_true(screen_lacks("[widths: BEFORE]"));
    keys(a, "1"); /* sort by self: fast first */
    assert_true(screen_has("[self%]"));
    keys(a, "\t\t4"); /* the top view, by change */
    assert_true(screen_has("[dtotal]"));
    keys(a, "\t\t"); /* tree: the change of each total */
    assert_true(screen_has("dtotal"));
    finish(a);
    /* one profile: b and 4 say what they are for */
    a = start();
    keys(a, "b");
    assert_true(screen_has("b is for comparisons"));
    keys(a, "4");
    assert_true(screen_has("4 sorts a comparison"));
    finish(a);
}

/* A Python profile opens in the Python view; a shows every frame, a again
 * the view; K folds the kernel frames into their system call. A profile
 * with no Python frame says so. */
static void test_python_view_and_kernel_keys(void **state)
{
    (void)state;
    struct app *a = start_with("py;_start;Py_RunMain;_PyEval_EvalFrameDefault;<module> (m.py:1);"
                               "main (m.py:5);cfunction_call;sock_sendall;send;"
                               "entry_SYSCALL_64_after_hwframe_[k];__x64_sys_sendto_[k] 10\n");
    assert_string_equal(row(C, 4), "|[python start-up]");
    assert_true(screen_lacks("cfunction_call"));
    keys(a, "a");
    assert_true(screen_has("all frames as recorded (a: the Python view)"));
    assert_string_equal(row(C, 4), "|_start");
    assert_true(screen_has("cfunction_call"));
    keys(a, "aK");
    assert_true(screen_has("[kernel folded]"));
    assert_true(screen_has("sys_sendto"));
    assert_true(screen_lacks("entry_SYSCALL"));
    assert_string_equal(row(C, 4), "|[python start-up]");
    finish(a);
    a = start();
    keys(a, "a");
    assert_true(screen_has("no Python stacks to start at their Python frames"));
    finish(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_screen),
        cmocka_unit_test(test_navigate_zoom_and_breadcrumb),
        cmocka_unit_test(test_search_percentages),
        cmocka_unit_test(test_views_follow_zoom),
        cmocka_unit_test(test_next_match_heaviest_first),
        cmocka_unit_test(test_focus_hide_invert_undo),
        cmocka_unit_test(test_views_and_help),
        cmocka_unit_test(test_callers_open_on_status_function),
        cmocka_unit_test(test_python_view_and_kernel_keys),
        cmocka_unit_test(test_wide_screen_lines),
        cmocka_unit_test(test_quit_unsaved_asks),
        cmocka_unit_test(test_by_module_key),
        cmocka_unit_test(test_roots_key),
        cmocka_unit_test(test_man_page_keys_are_the_help),
        cmocka_unit_test(test_small_and_ascii),
        cmocka_unit_test(test_mouse),
        cmocka_unit_test(test_log_home_stays),
        cmocka_unit_test(test_undo_under_callers),
        cmocka_unit_test(test_focus_before_callers_built),
        cmocka_unit_test(test_focus_in_top_before_drawn),
        cmocka_unit_test(test_focus_twice_in_top),
        cmocka_unit_test(test_focus_from_log_pane),
        cmocka_unit_test(test_click_after_transform),
        cmocka_unit_test(test_double_click_in_stale_tree),
        cmocka_unit_test(test_click_after_zoom_before_redraw),
        cmocka_unit_test(test_enter_in_callers_before_rebuilt),
        cmocka_unit_test(test_diff_viewer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
