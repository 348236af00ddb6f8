/* The list views (ui/table.c, ui/tree.c) and the generic list (ui/list.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/views.h"

static const char *const P = "main;a;x 6\nmain;a;y 1\nmain;b 3\n";

static void test_table_sorting(void **state)
{
    (void)state;
    struct profile *p = profile_from(P);
    struct table_view t = {0};
    table_build(&t, p, PROFILE_ROOT, STATS_BY_SELF);
    struct canvas *c = canvas_new(60, 4, false);
    table_render(&t, c, 0, 0, 60, 4);
    assert_string_equal(row(c, 0), "[self%]   total%         self      total  function");
    assert_string_equal(row(c, 1), " 60.00%    60.00%           6          6  x");
    assert_string_equal(row(c, 2), " 30.00%    30.00%           3          3  b");
    assert_true(canvas_at(c, 0, 1)->attr & CANVAS_REVERSE); /* selected row */
    stats_sort(p, t.rows, t.list.count, STATS_BY_NAME);
    t.order = STATS_BY_NAME;
    canvas_clear(c);
    table_render(&t, c, 0, 0, 60, 4);
    assert_string_equal(row(c, 1), "  0.00%    70.00%           0          7  a");
    canvas_free(c);
    table_free(&t);
    profile_free(p);
}

static void test_table_names_the_module_of_namesakes(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    struct frames *fr = profile_frames(p);
    uint32_t r = frames_intern(fr, "hot", 3, FRAME_ROOT, "");
    uint32_t s1 = frames_intern(fr, "_start", 6, FRAME_USER, "ld-linux-x86-64.so.2");
    uint32_t s2 = frames_intern(fr, "_start", 6, FRAME_USER, "hot");
    uint32_t m = frames_intern(fr, "main", 4, FRAME_USER, "hot");
    profile_add_stack(p, (uint32_t[]){r, s2, m}, 3, 7);
    profile_add_stack(p, (uint32_t[]){r, s1}, 2, 2);
    profile_add_stack(p, (uint32_t[]){r, s2}, 2, 1);
    struct table_view t = {0};
    table_build(&t, p, PROFILE_ROOT, STATS_BY_SELF);
    struct canvas *c = canvas_new(80, 5, false);
    table_render(&t, c, 0, 0, 80, 5);
    assert_string_equal(row(c, 1), " 70.00%    70.00%           7          7  main");
    assert_string_equal(row(c, 2), " 20.00%    20.00%           2          2  _start (ld-linux-x86-64.so.2)");
    assert_string_equal(row(c, 3), " 10.00%    80.00%           1          8  _start (hot)");
    canvas_free(c);
    table_free(&t);
    profile_free(p);
}

static void test_tree_expansion(void **state)
{
    (void)state;
    struct profile *p = profile_from(P);
    struct tree_view t = {0};
    tree_init(&t, p); /* root and the heaviest path open */
    struct canvas *c = canvas_new(40, 8, false);
    tree_render(&t, c, 0, 0, 40, 8);
    assert_string_equal(row(c, 0), " total%    self%  function");
    assert_string_equal(row(c, 1), " 100.00%    0.00%  - all");
    assert_string_equal(row(c, 2), " 100.00%    0.00%    - main");
    assert_string_equal(row(c, 3), "  70.00%    0.00%      - a");
    assert_string_equal(row(c, 4), "  60.00%   60.00%          x");
    assert_string_equal(row(c, 6), "  30.00%   30.00%        b");
    tree_set(&t, profile_node(p, profile_node(p, PROFILE_ROOT)->first_child)->first_child, false);
    tree_rebuild(&t);
    assert_int_equal(t.nrows, 4);
    canvas_clear(c);
    tree_render(&t, c, 0, 0, 40, 8);
    assert_string_equal(row(c, 3), "  70.00%    0.00%      + a");
    tree_set_all(&t, false); /* the root stays open: its children show */
    tree_rebuild(&t);
    assert_int_equal(t.nrows, 2);
    tree_set_all(&t, true);
    tree_rebuild(&t);
    assert_int_equal(t.nrows, 6);
    /* reveal opens the ancestors and selects */
    tree_set_all(&t, false);
    tree_rebuild(&t);
    uint32_t y = profile_node(p, profile_node(p, profile_node(p, profile_node(p, PROFILE_ROOT)
        ->first_child)->first_child)->first_child)->next_sibling;
    tree_reveal(&t, y);
    assert_int_equal(tree_selected_node(&t), y);
    canvas_free(c);
    tree_free(&t);
    profile_free(p);
}

/* Past the depth where indentation would leave the name less than half the
 * row, the depth is written instead: a parent and its child never line up
 * as siblings. A tree rooted at a node shows that subtree only. */
static void test_tree_deep_rows_show_depth(void **state)
{
    (void)state;
    char line[512] = "";
    for (int i = 0; i < 40; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%sf%d", i ? ";" : "", i);
    strcat(line, " 1\n");
    struct profile *p = profile_from(line);
    struct tree_view t = {0};
    tree_init(&t, p);
    tree_set_all(&t, true);
    tree_rebuild(&t);
    struct canvas *c = canvas_new(80, 45, false);
    tree_render(&t, c, 0, 0, 80, 45);
    /* 18 columns of figures: room for 31 cells of indentation, 15 levels */
    assert_string_equal(row(c, 16), " 100.00%    0.00%                                - f14");
    assert_string_equal(row(c, 17), " 100.00%    0.00%                             16 - f15");
    assert_string_equal(row(c, 18), " 100.00%    0.00%                             17 - f16");
    assert_string_equal(row(c, 41), " 100.00%  100.00%                             40   f39");
    tree_free(&t);
    /* rooted at f37: its subtree, from depth 0 */
    uint32_t n = PROFILE_ROOT;
    for (int i = 0; i < 38; i++)
        n = profile_node(p, n)->first_child;
    tree_init_at(&t, p, n);
    canvas_clear(c);
    tree_render(&t, c, 0, 0, 80, 45);
    assert_string_equal(row(c, 1), " 100.00%    0.00%  - f37");
    assert_string_equal(row(c, 3), " 100.00%  100.00%        f39");
    assert_int_equal(t.nrows, 3);
    tree_reveal(&t, PROFILE_ROOT); /* outside it: nothing changes */
    assert_int_equal(tree_selected_node(&t), n);
    canvas_free(c);
    tree_free(&t);
    profile_free(p);
}

static void test_callers_view(void **state)
{
    (void)state;
    struct profile *p = profile_from("main;a;x 6\nmain;b;x 2\nmain;x 1\n");
    uint32_t x = PROFILE_NONE;
    for (uint32_t i = 0; i < frames_count(profile_frames_const(p)); i++)
        if (!strcmp(frames_get(profile_frames_const(p), i)->name, "x"))
            x = i;
    struct callers_view v = {0};
    callers_build(&v, p, x);
    assert_int_equal(callers_selected_frame(&v), x);
    struct canvas *c = canvas_new(60, 6, false);
    callers_render(&v, c, 0, 0, 60, 6);
    assert_string_equal(row(c, 1), "    66.67%           6   caller   a");
    assert_string_equal(row(c, 4), "   100.00%           9   self 100.00%  x");
    list_move(&v.list, -3);
    assert_string_equal(frames_get(profile_frames_const(p), callers_selected_frame(&v))->name, "a");
    canvas_free(c);
    callers_free(&v);
    profile_free(p);
}

static void draw_index(void *ctx, size_t i, struct canvas *c, int x, int y, int w, bool sel)
{
    (void)ctx;
    canvas_printf(c, x, y, w, 0, 0, sel ? CANVAS_REVERSE : 0, "row %zu", i);
}

static void test_list_scrolls_to_selection(void **state)
{
    (void)state;
    struct list l = {.count = 10};
    struct canvas *c = canvas_new(10, 3, false);
    list_select(&l, 7);
    list_render(&l, c, 0, 0, 10, 3, draw_index, NULL);
    assert_string_equal(row(c, 2), "row 7");
    assert_int_equal(l.top, 5);
    list_move(&l, -100);
    assert_int_equal(l.selected, 0);
    list_move(&l, 100);
    assert_int_equal(l.selected, 9);
    l.selected = LIST_NONE;
    canvas_clear(c);
    list_render(&l, c, 0, 0, 10, 3, draw_index, NULL);
    assert_false(canvas_at(c, 0, 0)->attr & CANVAS_REVERSE);
    canvas_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorting),
        cmocka_unit_test(test_table_names_the_module_of_namesakes),
        cmocka_unit_test(test_tree_expansion),
        cmocka_unit_test(test_tree_deep_rows_show_depth),
        cmocka_unit_test(test_callers_view),
        cmocka_unit_test(test_list_scrolls_to_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
