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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_and_order),
        cmocka_unit_test(test_vanished_kinds_recursion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
