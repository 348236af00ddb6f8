#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tprof/maps.h"

static struct map M(uint64_t s, uint64_t e, uint64_t off)
{
    struct map m = {.start = s, .end = e, .pgoff = off, .kind = MAPPING_FILE};
    return m;
}

static void test_overlay_splits_older_mapping(void **state)
{
    (void)state;
    struct maps *ms = maps_new();
    /* ld.so maps a whole file, then overlays its text segment. */
    struct map whole = M(0x1000, 0x9000, 0);
    struct map text = M(0x3000, 0x5000, 0x7000);
    maps_add(ms, 1, &whole);
    maps_add(ms, 1, &text);
    assert_int_equal(maps_count(ms, 1), 3);
    const struct map *h = maps_find(ms, 1, 0x2fff);
    assert_int_equal(h->start, 0x1000);
    assert_int_equal(h->end, 0x3000);
    const struct map *t = maps_find(ms, 1, 0x4000);
    assert_int_equal(t->pgoff, 0x7000);
    const struct map *tail = maps_find(ms, 1, 0x5000);
    assert_int_equal(tail->start, 0x5000);
    assert_int_equal(tail->pgoff, 0x4000); /* the old mapping's offset, carried on */
    assert_null(maps_find(ms, 1, 0x9000));
    assert_null(maps_find(ms, 1, 0x0fff));
    maps_free(ms);
}

static void test_overlay_covering_several(void **state)
{
    (void)state;
    struct maps *ms = maps_new();
    for (uint64_t i = 0; i < 4; i++) {
        struct map m = M(0x1000 * (i + 1), 0x1000 * (i + 2), i);
        maps_add(ms, 7, &m);
    }
    struct map big = M(0x1800, 0x4800, 0x100);
    maps_add(ms, 7, &big);
    assert_int_equal(maps_count(ms, 7), 3);
    assert_int_equal(maps_find(ms, 7, 0x1000)->end, 0x1800);
    assert_int_equal(maps_find(ms, 7, 0x3000)->start, 0x1800);
    assert_int_equal(maps_find(ms, 7, 0x4800)->start, 0x4800);
    maps_free(ms);
}

static void test_fork_copies_and_clear_forgets(void **state)
{
    (void)state;
    struct maps *ms = maps_new();
    struct map a = M(0x1000, 0x2000, 0);
    maps_add(ms, 10, &a);
    maps_fork(ms, 10, 11);
    struct map b = M(0x5000, 0x6000, 0);
    maps_add(ms, 11, &b); /* the child's own mapping */
    assert_non_null(maps_find(ms, 11, 0x1800));
    assert_non_null(maps_find(ms, 11, 0x5800));
    assert_null(maps_find(ms, 10, 0x5800));
    maps_clear(ms, 11); /* exec */
    assert_null(maps_find(ms, 11, 0x1800));
    assert_non_null(maps_find(ms, 10, 0x1800));
    assert_null(maps_find(ms, 99, 0x1800));
    maps_free(ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_splits_older_mapping),
        cmocka_unit_test(test_overlay_covering_several),
        cmocka_unit_test(test_fork_copies_and_clear_forgets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
