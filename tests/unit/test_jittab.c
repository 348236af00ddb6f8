/* jittab: lookups by address among overlapping JIT entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
