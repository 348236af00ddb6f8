#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/stats.h"

static const char *name(const struct profile *p, uint32_t f)
{
    return frames_get(profile_frames_const(p), f)->name;
}

static void test_functions_count_recursion_once(void **state)
{
    (void)state;
    struct profile *p = profile_from("main;rec;rec;rec;leaf 6\nmain;rec 2\nmain;other 2\n");
    struct func_stat *v;
    size_t n = stats_functions(p, PROFILE_ROOT, STATS_BY_SELF, &v);
    assert_int_equal(n, 4);
    assert_string_equal(name(p, v[0].frame), "leaf");
    assert_true(v[0].self == 6 && v[0].total == 6);
    /* rec: self 2, total 8 (not 6*3+2) */
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name(p, v[i].frame), "rec"))
            assert_true(v[i].self == 2 && v[i].total == 8);
    stats_sort(p, v, n, STATS_BY_NAME);
    assert_string_equal(name(p, v[0].frame), "leaf");
    assert_string_equal(name(p, v[3].frame), "rec");
    stats_sort(p, v, n, STATS_BY_TOTAL);
    assert_string_equal(name(p, v[0].frame), "main");
    free(v);
    profile_free(p);
}

static void test_callers_and_callees(void **state)
{
    (void)state;
    struct profile *p =
        profile_from("main;a;util;x 3\nmain;b;util;y 5\nmain;b;util 2\nmain;util;util 1\n");
    uint32_t util = PROFILE_NONE;
    for (uint32_t i = 0; i < frames_count(profile_frames_const(p)); i++)
        if (!strcmp(name(p, i), "util"))
            util = i;
    struct stats_callers c;
    stats_callers(p, util, &c);
    assert_true(c.total == 11);
    assert_true(c.self == 3); /* 2 under b, 1 under the recursive util */
    assert_int_equal(c.ncallers, 3);
    assert_string_equal(name(p, c.callers[0].frame), "b");
    assert_true(c.callers[0].total == 7);
    assert_int_equal(c.ncallees, 2); /* y, x: util's self-recursion is not a callee */
    assert_string_equal(name(p, c.callees[0].frame), "y");
    assert_true(c.callees[0].total == 5);
    stats_callers_free(&c);
    profile_free(p);
}

static void test_match_totals(void **state)
{
    (void)state;
    struct profile *p = profile_from("main;a;x 6\nmain;a;y 2\nmain;b;x 2\n");
    size_t nf = frames_count(profile_frames_const(p));
    bool *m = calloc(nf, sizeof(bool));
    for (size_t i = 0; i < nf; i++)
        m[i] = !strcmp(name(p, (uint32_t)i), "x") || !strcmp(name(p, (uint32_t)i), "a");
    assert_true(stats_match_total(p, PROFILE_ROOT, m) == 10); /* a (8) + b;x (2) */
    uint32_t main_ = profile_node(p, PROFILE_ROOT)->first_child;
    uint32_t a = profile_node(p, main_)->first_child;
    uint32_t b = profile_node(p, a)->next_sibling;
    assert_true(stats_match_total(p, b, m) == 2);
    assert_true(stats_match_total(p, profile_node(p, a)->first_child, m) == 6); /* under a */
    free(m);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_functions_count_recursion_once),
        cmocka_unit_test(test_callers_and_callees),
        cmocka_unit_test(test_match_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
