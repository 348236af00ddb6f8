/* jittab: lookups by address among overlapping JIT entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tprof/jittab.h"

static void test_find(void **state)
{
    (void)state;
    struct jittab t = {0};
    assert_null(jittab_find(&t, 0x1000));
    jittab_add(&t, 0x2000, 0x100, "b-long", 6, NULL);
    jittab_add(&t, 0x1000, 0x10, "a", 1, NULL);
    jittab_add(&t, 0x2040, 0x10, "inside-b", 8, NULL);
    uint64_t start, size;
    assert_string_equal(jittab_answer(jittab_find(&t, 0x100f), &start, &size), "a");
    assert_int_equal(start, 0x1000);
    assert_int_equal(size, 0x10);
    assert_null(jittab_find(&t, 0x1010)); /* past its end */
    /* overlapping code: the entry starting nearest below wins, and the
     * longer one still covers what comes after it */
    assert_string_equal(jittab_find(&t, 0x2048)->name, "inside-b");
    assert_string_equal(jittab_find(&t, 0x2080)->name, "b-long");
    /* the same start again: the later entry */
    jittab_add(&t, 0x1000, 0x10, "a-again", 7, NULL);
    assert_string_equal(jittab_find(&t, 0x1000)->name, "a-again");
    assert_null(jittab_answer(NULL, &start, &size));
    jittab_clear(&t);
    assert_null(jittab_find(&t, 0x1000));
    jittab_add(&t, 0x1000, 0x10, "fresh", 5, NULL);
    assert_string_equal(jittab_find(&t, 0x1000)->name, "fresh");
    jittab_free(&t);
}

/* Adds between lookups (the new entries sorted alone and merged in) give
 * the answers a table sorted whole gives: checked against a brute-force
 * search, with code reused at one start (the later entry wins). */
static void test_merged_as_sorted(void **state)
{
    (void)state;
    struct jittab t = {0};
    uint64_t starts[600];
    size_t n = 0;
    unsigned r = 12345;
    for (int round = 0; round < 30; round++) {
        for (int k = 0; k < 20; k++) {
            r = r * 1103515245u + 12345u;
            uint64_t st = 0x10000 + (uint64_t)(r >> 8) % 400 * 0x40; /* (reused starts) */
            char name[32];
            int len = snprintf(name, sizeof(name), "f%zu", n);
            jittab_add(&t, st, 0x40, name, (size_t)len, NULL);
            starts[n++] = st;
        }
        for (uint64_t a = 0x10000; a < 0x10000 + 400 * 0x40; a += 0x20) {
            /* the latest added whose [start, start + 0x40) covers A */
            long want = -1;
            for (size_t i = 0; i < n; i++)
                if (a >= starts[i] && a < starts[i] + 0x40 &&
                    (want < 0 || starts[i] > starts[want] ||
                     (starts[i] == starts[want] && i > (size_t)want)))
                    want = (long)i;
            const struct jit_entry *e = jittab_find(&t, a);
            if (want < 0) {
                assert_null(e);
            } else {
                char name[32];
                snprintf(name, sizeof(name), "f%ld", want);
                assert_non_null(e);
                assert_string_equal(e->name, name);
            }
        }
    }
    jittab_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_merged_as_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
