#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tprof/diff.h"
#include "tprof/filter.h"
#include "tprof/stats.h"

#include "helpers.h"

static const struct diff_row *find_row(const struct profile *b, const struct profile *a,
                                  const struct diff_row *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(diff_row_frame(b, a, &v[i])->name, name) == 0)
            return &v[i];
    fail_msg("no row %s", name);
    return NULL;
}

/* Shares of each total, matched by name; a function on one side only has
 * 0 on the other; rows sorted by the change of the total. */
static void test_shares_and_order(void **state)
{
    (void)state;
    struct profile *b = profile_from("m;enc 40\nm;enc;mv 20\nm;parse 30\nm 10\n");
    struct profile *a = profile_from("m;enc 5\nm;enc;mv 5\nm;parse 30\nm;send 10\n");
    struct diff_row *v;
    size_t n = diff_functions(b, a, false, &v);
    assert_int_equal(n, 5); /* m enc mv parse send */
    const struct diff_row *r = find_row(b, a, v, n, "enc");
    assert_float_equal(r->before_total, 60.0, 1e-9);
    assert_float_equal(r->after_total, 20.0, 1e-9);
    assert_float_equal(r->before_self, 40.0, 1e-9);
    assert_float_equal(r->after_self, 10.0, 1e-9);
    r = find_row(b, a, v, n, "parse");
    assert_float_equal(r->after_total - r->before_total, 30.0, 1e-9);
    r = find_row(b, a, v, n, "send");
    assert_int_equal(r->before_frame, UINT32_MAX);
    assert_float_equal(r->before_total, 0.0, 0);
    assert_float_equal(r->after_total, 20.0, 1e-9);
    /* enc -40, parse +30, send +20, mv -10, m 0 */
    assert_string_equal(diff_row_frame(b, a, &v[0])->name, "enc");
    assert_string_equal(diff_row_frame(b, a, &v[1])->name, "parse");
    assert_string_equal(diff_row_frame(b, a, &v[2])->name, "send");
    assert_string_equal(diff_row_frame(b, a, &v[3])->name, "mv");
    assert_string_equal(diff_row_frame(b, a, &v[4])->name, "m");
    free(v);

    /* absolute: the weights themselves */
    n = diff_functions(b, a, true, &v);
    r = find_row(b, a, v, n, "enc");
    assert_float_equal(r->before_total, 60.0, 1e-9);
    assert_float_equal(r->after_total, 10.0, 1e-9);
    free(v);
    profile_free(b);
    profile_free(a);
}

/* A function that vanished keeps its frame from BEFORE; kinds keep
 * namesakes apart (a kernel "f" is not the program's "f"); recursion is
 * counted once. */
static void test_vanished_kinds_recursion(void **state)
{
    (void)state;
    struct profile *b = profile_from("m;old 1\nm;f;f;f 1\n");
    struct profile *a = profile_from("m;f_[k] 2\n");
    struct diff_row *v;
    size_t n = diff_functions(b, a, false, &v);
    assert_int_equal(n, 4); /* m, old, f, f_[k] */
    const struct diff_row *r = find_row(b, a, v, n, "old");
    assert_int_equal(r->after_frame, UINT32_MAX);
    assert_float_equal(r->before_total, 50.0, 1e-9);
    int fs = 0;
    for (size_t i = 0; i < n; i++) {
        const struct frame *f = diff_row_frame(b, a, &v[i]);
        if (strcmp(f->name, "f") != 0)
            continue;
        fs++;
        if (f->kind == FRAME_KERNEL) {
            assert_float_equal(v[i].before_total, 0.0, 0);
            assert_float_equal(v[i].after_total, 100.0, 1e-9);
        } else {
            assert_float_equal(v[i].before_total, 50.0, 1e-9); /* once, not 3 times */
            assert_float_equal(v[i].after_total, 0.0, 0);
        }
    }
    assert_int_equal(fs, 2);
    free(v);
    profile_free(b);
    profile_free(a);
}


/* ----- one tree, both sides ----- */

static const char *const BEFORE = "m;enc;str 480\nm;enc;hdr 100\nm;send 300\nm;parse 120\n";
static const char *const AFTER = "m;enc;join 120\nm;enc;hdr 100\nm;send 300\nm;parse 120\n"
                                 "m;fast 360\n";

/* The node of P at PATH ("m;enc"), PROFILE_NONE when missing. */
static uint32_t node_at(const struct profile *p, const char *path)
{
    uint32_t cur = PROFILE_ROOT;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save, *f = strtok_r(buf, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
        uint32_t next = PROFILE_NONE;
        for (uint32_t c = profile_node(p, cur)->first_child; c != PROFILE_NONE;
             c = profile_node(p, c)->next_sibling)
            if (strcmp(frames_get(profile_frames_const(p), profile_node(p, c)->frame)->name, f) == 0)
                next = c;
        if (next == PROFILE_NONE)
            return PROFILE_NONE;
        cur = next;
    }
    return cur;
}

static void test_union_tree(void **state)
{
    (void)state;
    struct profile *b = profile_from(BEFORE), *a = profile_from(AFTER);
    struct profile *d = diff_profile_new(b, a, false);
    assert_true(profile_has_base(d));
    double ball, aall;
    profile_compare_all(d, &ball, &aall);
    assert_float_equal(ball, 1000, 0);
    assert_float_equal(aall, 1000, 0);
    struct diff_figures f;
    diff_node_figures(d, node_at(d, "m;enc"), &f);
    assert_float_equal(f.before, 58.0, 1e-9);
    assert_float_equal(f.after, 22.0, 1e-9);
    assert_float_equal(f.change, -36.0, 1e-9);
    assert_int_equal(f.trend, -1);
    assert_int_equal(f.only, 0);
    assert_int_equal(f.level, 3);
    diff_node_figures(d, node_at(d, "m;enc;str"), &f); /* gone: no width after */
    assert_int_equal(f.only, -1);
    assert_float_equal(profile_node(d, node_at(d, "m;enc;str"))->total, 0, 0);
    diff_node_figures(d, node_at(d, "m;fast"), &f);
    assert_int_equal(f.only, 1);
    assert_float_equal(f.self_change, 36.0, 1e-9);
    diff_node_figures(d, node_at(d, "m;send"), &f); /* the same share: no change */
    assert_int_equal(f.trend, 0);
    assert_float_equal(f.change, 0, 1e-9);
    /* the functions, both sides, by the size of the change */
    struct func_stat *v;
    size_t n = stats_functions(d, PROFILE_ROOT, STATS_BY_DELTA, &v);
    assert_int_equal(n, 8);
    const struct frames *fr = profile_frames_const(d);
    assert_string_equal(frames_get(fr, v[0].frame)->name, "str"); /* -48 */
    assert_float_equal(v[0].base_total, 480, 0);
    assert_float_equal(v[0].total, 0, 0);
    /* a tie of the total: the larger change of self first */
    assert_string_equal(frames_get(fr, v[1].frame)->name, "fast"); /* +36, self +36 */
    assert_string_equal(frames_get(fr, v[2].frame)->name, "enc");  /* -36, self 0 */
    free(v);
    profile_free(d);
    profile_free(b);
    profile_free(a);
}

/* Shares are of each side's total: twice the samples, the same shares. */
static void test_shares_absolute_noise(void **state)
{
    (void)state;
    struct profile *b = profile_from("m;f 500\nm;g 500\n");
    struct profile *a = profile_from("m;f 1000\nm;g 1000\n");
    struct profile *d = diff_profile_new(b, a, false);
    struct diff_figures f;
    diff_node_figures(d, node_at(d, "m;f"), &f);
    assert_float_equal(f.change, 0, 1e-9);
    assert_int_equal(f.trend, 0);
    profile_free(d);
    d = diff_profile_new(b, a, true); /* raw: it doubled */
    diff_node_figures(d, node_at(d, "m;f"), &f);
    assert_float_equal(f.before, 500, 0);
    assert_float_equal(f.after, 1000, 0);
    assert_float_equal(f.change, 500, 0);
    assert_int_equal(f.trend, 1);
    profile_free(d);
    profile_free(b);
    profile_free(a);
    /* 52% vs 48% of 100 samples is noise (2 sigma = 14 points); of 100000
     * it is not (2 sigma = 0.45 points) */
    b = profile_from("m;f 48\nm;g 52\n");
    a = profile_from("m;f 52\nm;g 48\n");
    d = diff_profile_new(b, a, false);
    diff_node_figures(d, node_at(d, "m;f"), &f);
    assert_float_equal(f.change, 4, 1e-9);
    assert_int_equal(f.trend, 0);
    assert_int_equal(f.level, 2);
    profile_free(d);
    profile_free(b);
    profile_free(a);
    b = profile_from("m;f 48000\nm;g 52000\n");
    a = profile_from("m;f 52000\nm;g 48000\n");
    d = diff_profile_new(b, a, false);
    diff_node_figures(d, node_at(d, "m;f"), &f);
    assert_int_equal(f.trend, 1);
    diff_node_figures(d, node_at(d, "m;g"), &f);
    assert_int_equal(f.trend, -1);
    profile_free(d);
    profile_free(b);
    profile_free(a);
}

/* Transforms and b carry both sides; shares stay shares of all samples. */
static void test_transforms_and_swap(void **state)
{
    (void)state;
    struct profile *b = profile_from(BEFORE), *a = profile_from(AFTER);
    struct profile *d = diff_profile_new(b, a, false);
    char err[128];
    struct filter *f = filter_new(FILTER_FOCUS, "enc", true, err, sizeof(err));
    struct profile *q = filter_apply(d, &f, 1);
    assert_true(profile_has_base(q));
    assert_float_equal(profile_total(q), 220, 0); /* AFTER's stacks through enc */
    struct diff_figures g;
    diff_node_figures(q, node_at(q, "m;enc"), &g);
    assert_float_equal(g.before, 58.0, 1e-9); /* of all 1000, not of the 220 */
    assert_float_equal(g.after, 22.0, 1e-9);
    profile_free(q);
    q = filter_apply_sides(d, &f, 1, true); /* b: widths follow BEFORE */
    assert_true(profile_swapped(q));
    assert_float_equal(profile_total(q), 580, 0);
    assert_float_equal(profile_node(q, node_at(q, "m;enc;str"))->total, 480, 0);
    diff_node_figures(q, node_at(q, "m;enc"), &g); /* the same figures */
    assert_float_equal(g.before, 58.0, 1e-9);
    assert_float_equal(g.after, 22.0, 1e-9);
    char *t = folded_text(q); /* still BEFORE AFTER columns */
    assert_string_equal(t, "m;enc;hdr 100 100\nm;enc;join 0 120\nm;enc;str 480 0\n");
    free(t);
    profile_drop_base(q); /* back to AFTER alone */
    t = folded_text(q);
    assert_string_equal(t, "m;enc;hdr 100\nm;enc;join 120\n");
    free(t);
    profile_free(q);
    filter_free(f);
    profile_free(d);
    profile_free(b);
    profile_free(a);
}

/* A side that names modules matches one that does not (a live run
 * against a folded file); roots match ordinary frames of their name. */
static void test_modules_loose(void **state)
{
    (void)state;
    struct profile *live = profile_new();
    struct frames *fr = profile_frames(live);
    uint32_t st[3] = {frames_intern(fr, "prog", 4, FRAME_ROOT, ""),
                      frames_intern(fr, "main", 4, FRAME_USER, "prog"),
                      frames_intern(fr, "spin", 4, FRAME_USER, "prog")};
    profile_add_stack(live, st, 3, 10);
    struct profile *saved = profile_from("prog;main;spin 5\nprog;main;other 5\n");
    struct profile *d = diff_profile_new(saved, live, false);
    assert_int_equal(profile_node_count(d), 5); /* root, prog, main, spin, other */
    struct diff_figures g;
    diff_node_figures(d, node_at(d, "prog;main;spin"), &g);
    assert_float_equal(g.before, 50, 1e-9);
    assert_float_equal(g.after, 100, 1e-9);
    profile_free(d);
    /* live: the base first, then the program's frames interned loosely */
    struct profile *l2 = profile_new();
    profile_merge_base(l2, saved);
    frames_set_loose_modules(profile_frames(l2), true);
    fr = profile_frames(l2);
    uint32_t s2[3] = {frames_intern(fr, "prog", 4, FRAME_ROOT, ""),
                      frames_intern(fr, "main", 4, FRAME_USER, "prog"),
                      frames_intern(fr, "spin", 4, FRAME_USER, "prog")};
    profile_add_stack(l2, s2, 3, 10);
    assert_int_equal(profile_node_count(l2), 5);
    diff_node_figures(l2, node_at(l2, "prog;main;spin"), &g);
    assert_float_equal(g.before, 50, 1e-9);
    assert_float_equal(g.after, 100, 1e-9);
    profile_free(l2);
    profile_free(saved);
    profile_free(live);
}

static void test_signed(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(diff_signed(12.345, 2, false, b, sizeof(b)), "+12.35");
    assert_string_equal(diff_signed(-35.8, 1, false, b, sizeof(b)), "-35.8");
    assert_string_equal(diff_signed(-35.8, 1, true, b, sizeof(b)), "\u221235.8");
    assert_string_equal(diff_signed(-0.001, 2, false, b, sizeof(b)), "0.00");
    assert_string_equal(diff_signed(0.001, 2, true, b, sizeof(b)), "\u00b10.00");
}

/* An edit above every function (each line one further) leaves a
 * comparison with nothing changed, unless lines are asked for; a pstats
 * profile (co_name only) matches a sampled one by the short name. */
static void test_python_matched_by_function(void **state)
{
    (void)state;
    struct profile *b = profile_from("py;main (m.py:10);Enc.run (m.py:3) 6\npy;main (m.py:10) 4\n");
    struct profile *a = profile_from("py;main (m.py:11);Enc.run (m.py:4) 6\npy;main (m.py:11) 4\n");
    struct profile *b2 = profile_from("py;main (m.py:10);Enc.run (m.py:3) 6\npy;main (m.py:10) 4\n");
    struct profile *a2 = profile_from("py;main (m.py:11);Enc.run (m.py:4) 6\npy;main (m.py:11) 4\n");
    assert_string_equal(diff_match_functions(&b, &a, false),
                        "Python functions matched by qualified name and file");
    struct diff_row *rows;
    size_t n = diff_functions(b, a, false, &rows);
    assert_int_equal(n, 3); /* py, main, Enc.run: each once, unchanged */
    for (size_t i = 0; i < n; i++) {
        assert_true(rows[i].before_frame != UINT32_MAX && rows[i].after_frame != UINT32_MAX);
        assert_true(rows[i].after_total == rows[i].before_total);
    }
    free(rows);
    assert_null(diff_match_functions(&b2, &a2, true));
    n = diff_functions(b2, a2, false, &rows);
    assert_int_equal(n, 5); /* py, and each function's two lines apart */
    free(rows);
    /* a pstats-like profile (its own per-function figures) against a
     * sampled one: by the last part of the qualified name */
    struct profile *ps = profile_from("run (m.py:3) 6\n");
    struct profile_flat *fl = calloc(1, sizeof(*fl));
    fl->frame = 0;
    profile_set_flat(ps, fl, 1, 6);
    struct profile *sp = profile_from("py;Enc.run (m.py:3) 6\n");
    assert_string_equal(diff_match_functions(&ps, &sp, false),
                        "Python functions matched by name and file");
    n = diff_functions(ps, sp, false, &rows);
    assert_int_equal(n, 2); /* py, run (m.py) */
    free(rows);
    profile_free(b);
    profile_free(a);
    profile_free(b2);
    profile_free(a2);
    profile_free(ps);
    profile_free(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_and_order),
        cmocka_unit_test(test_vanished_kinds_recursion),
        cmocka_unit_test(test_union_tree),
        cmocka_unit_test(test_shares_absolute_noise),
        cmocka_unit_test(test_transforms_and_swap),
        cmocka_unit_test(test_modules_loose),
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_python_matched_by_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
