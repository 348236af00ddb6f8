#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/diff.h"
#include "tprof/icicle.h"

static const char *const PROFILE =
    "main;a;x 60\n"
    "main;a 15\n"
    "main;b 20\n"
    "main;tiny1 2\n"
    "main;tiny2 2\n"
    "main;averyveryverylongfunctionname 1\n";

static struct icicle_opts opts(uint32_t zoom)
{
    struct icicle_opts o = {.zoom = zoom, .selected = PROFILE_NONE};
    return o;
}

static void test_proportions_filler_and_truncation(void **state)
{
    (void)state;
    struct profile *p = profile_from(PROFILE);
    struct canvas *c = canvas_new(40, 5, false);
    struct icicle_opts o = opts(PROFILE_ROOT);
    uint32_t hit[40 * 5];
    int depth = icicle_render(p, &o, c, 0, 0, 40, 5, hit);
    assert_int_equal(depth, 4); /* all, main, a|b, x */
    assert_string_equal(row(c, 0), "|all");
    assert_string_equal(row(c, 1), "|main");
    /* a = 75% -> 30 columns, b = 20% -> 8, then 5% of tiny frames (each
     * under a cell) as one 2-column filler */
    assert_string_equal(row(c, 2), "|a                            |b      ::");
    assert_string_equal(row(c, 3), "|x");
    /* the hit map knows which node each cell is */
    uint32_t a = hit[2 * 40 + 5], b = hit[2 * 40 + 31];
    assert_string_equal(icicle_label(p, a), "a");
    assert_string_equal(icicle_label(p, b), "b");
    assert_int_equal(hit[3 * 40 + 35], PROFILE_NONE);
    canvas_free(c);

    /* 10 columns: a = 7.5 cells -> [0,8), b -> [8,10), the 0.5-cell filler
     * rounds away */
    c = canvas_new(10, 3, true);
    icicle_render(p, &o, c, 0, 0, 10, 3, NULL);
    assert_string_equal(row(c, 2), "\xe2\x96\x8f" "a      \xe2\x96\x8f" "b");
    canvas_free(c);

    /* labels too long for their frame end in an ellipsis */
    struct profile *q = profile_from("main;averyveryverylongfunctionname 3\nmain;b 1\n");
    c = canvas_new(16, 3, true);
    icicle_render(q, &o, c, 0, 0, 16, 3, NULL);
    assert_string_equal(row(c, 2), "\xe2\x96\x8f" "averyveryv\xe2\x80\xa6\xe2\x96\x8f" "b");
    profile_free(q);
    canvas_free(c);
    profile_free(p);
}

static void test_zoom_selection_and_scroll(void **state)
{
    (void)state;
    struct profile *p = profile_from(PROFILE);
    uint32_t main_ = profile_node(p, PROFILE_ROOT)->first_child;
    uint32_t a = profile_node(p, main_)->first_child;
    struct canvas *c = canvas_new(20, 3, false);
    struct icicle_opts o = opts(a);
    o.selected = profile_node(p, a)->first_child;
    icicle_render(p, &o, c, 0, 0, 20, 3, NULL);
    /* a spans the width; x is 60/75 of it = 16 columns */
    assert_string_equal(row(c, 0), "|a");
    assert_string_equal(row(c, 1), "|x");
    assert_int_equal(canvas_at(c, 0, 1)->attr & CANVAS_REVERSE, CANVAS_REVERSE);
    assert_int_equal(canvas_at(c, 15, 1)->attr & CANVAS_REVERSE, CANVAS_REVERSE);
    assert_int_equal(canvas_at(c, 16, 1)->attr & CANVAS_REVERSE, 0);
    canvas_clear(c);
    o.first_depth = 1; /* scrolled one level down */
    icicle_render(p, &o, c, 0, 0, 20, 3, NULL);
    assert_string_equal(row(c, 0), "|x");
    canvas_free(c);
    profile_free(p);
}

static void test_search_highlight_and_min_fraction(void **state)
{
    (void)state;
    struct profile *p = profile_from(PROFILE);
    size_t nf = frames_count(profile_frames_const(p));
    bool *match = calloc(nf, sizeof(bool));
    for (size_t i = 0; i < nf; i++)
        match[i] = strcmp(frames_get(profile_frames_const(p), (uint32_t)i)->name, "b") == 0;
    struct canvas *c = canvas_new(40, 4, false);
    struct icicle_opts o = opts(PROFILE_ROOT);
    o.match = match;
    o.min_fraction = 0.25; /* b (20%) joins the filler */
    icicle_render(p, &o, c, 0, 0, 40, 4, NULL);
    assert_string_equal(row(c, 2), "|a                            ::::::::::");
    canvas_clear(c);
    o.min_fraction = 0;
    icicle_render(p, &o, c, 0, 0, 40, 4, NULL);
    assert_true(canvas_at(c, 31, 2)->attr & CANVAS_UNDERLINE);
    assert_false(canvas_at(c, 5, 2)->attr & CANVAS_UNDERLINE);
    canvas_free(c);
    free(match);
    profile_free(p);
}

/* A comparison: colours by the change, marks when there is no colour */
static void test_diff_colours_and_marks(void **state)
{
    (void)state;
    struct profile *b = profile_from("m;slow 6000\nm;same 4000\n");
    struct profile *a = profile_from("m;slow 1000\nm;same 4000\nm;fast 5000\n");
    struct profile *d = diff_profile_new(b, a, false);
    struct canvas *c = canvas_new(40, 3, false);
    struct icicle_opts o = opts(PROFILE_ROOT);
    o.diff_marks = true; /* no colour: + grew, - shrank, * one side only */
    icicle_render(d, &o, c, 0, 0, 40, 3, NULL);
    assert_string_equal(row(c, 2), "|*fast              |same           |-s~");
    o.color = o.diff = true; /* colour says the change: only * stays */
    canvas_clear(c);
    uint32_t hit[40 * 3];
    icicle_render(d, &o, c, 0, 0, 40, 3, hit);
    assert_string_equal(row(c, 2), "|*fast              |same           |sl~");
    assert_int_equal(canvas_at(c, 1, 2)->bg, CC_GREW3);
    assert_int_equal(canvas_at(c, 21, 2)->bg, CC_GREY);
    assert_int_equal(canvas_at(c, 37, 2)->bg, CC_SHRANK3);
    assert_string_equal(icicle_diff_mark(d, hit[2 * 40 + 37], false, true), "\u2212");
    canvas_free(c);
    profile_free(d);
    profile_free(b);
    profile_free(a);
}

/* Colour by kind: kernel orange, JIT green, inlined cyan, whatever their
 * module or name would give (folded suffixes say the kind). */
static void test_kind_colours(void **state)
{
    (void)state;
    struct profile *p = profile_from("m;k_[k] 1\nm;j_[j] 1\nm;i_[i] 1\nm;u 1\n");
    struct canvas *c = canvas_new(40, 3, false);
    struct icicle_opts o = opts(PROFILE_ROOT);
    o.color = true;
    uint32_t hit[40 * 3];
    icicle_render(p, &o, c, 0, 0, 40, 3, hit);
    int seen = 0;
    for (int x = 0; x < 40; x += 10) {
        const char *l = icicle_label(p, hit[2 * 40 + x + 1]);
        uint8_t bg = canvas_at(c, x + 1, 2)->bg;
        if (strcmp(l, "i") == 0)
            assert_int_equal(bg, CC_CYAN), seen++;
        else if (strcmp(l, "k") == 0)
            assert_int_equal(bg, CC_ORANGE), seen++;
        else if (strcmp(l, "j") == 0)
            assert_int_equal(bg, CC_GREEN), seen++;
        else
            assert_int_not_equal(bg, CC_CYAN);
    }
    assert_int_equal(seen, 3);
    canvas_free(c);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proportions_filler_and_truncation),
        cmocka_unit_test(test_zoom_selection_and_scroll),
        cmocka_unit_test(test_search_highlight_and_min_fraction),
        cmocka_unit_test(test_diff_colours_and_marks),
        cmocka_unit_test(test_kind_colours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
