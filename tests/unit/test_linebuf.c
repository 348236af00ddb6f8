#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tprof/linebuf.h"

static void test_lines_prefixes_and_open_line(void **state)
{
    (void)state;
    struct linebuf *b = linebuf_new(10, 40);
    linebuf_append(b, "one\ntw", 6, "");
    assert_int_equal(linebuf_count(b), 2);
    assert_string_equal(linebuf_line(b, 0), "one");
    assert_string_equal(linebuf_line(b, 1), "tw"); /* unfinished, shown */
    linebuf_append(b, "o\tx\n", 4, "! ");       /* the open line goes on */
    assert_string_equal(linebuf_line(b, 1), "two x");
    linebuf_append(b, "err\n", 4, "! ");
    assert_string_equal(linebuf_line(b, 2), "! err");
    assert_string_equal(linebuf_line(b, 3), "");   /* out of range */
    linebuf_free(b);
}

static void test_long_lines_are_cut_and_old_ones_dropped(void **state)
{
    (void)state;
    struct linebuf *b = linebuf_new(3, 8);
    linebuf_append(b, "0123456789abc\n", 14, "> ");
    assert_string_equal(linebuf_line(b, 0), "> 012345");
    for (int i = 0; i < 4; i++)
        linebuf_append(b, "x\n", 2, "");
    assert_int_equal(linebuf_count(b), 3);
    assert_int_equal(linebuf_dropped(b), 2);
    assert_string_equal(linebuf_line(b, 0), "x");
    linebuf_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_prefixes_and_open_line),
        cmocka_unit_test(test_long_lines_are_cut_and_old_ones_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
