#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helpers.h"

static void test_text_and_ellipsis(void **state)
{
    (void)state;
    struct canvas *c = canvas_new(12, 3, true);
    assert_int_equal(canvas_text(c, 0, 0, 12, "short", 0, 0, 0), 5);
    assert_int_equal(canvas_text(c, 0, 1, 6, "much too long", 0, 0, 0), 6);
    assert_string_equal(row(c, 0), "short");
    assert_string_equal(row(c, 1), "much \xe2\x80\xa6"); /* "much …" */
    canvas_fill(c, 2, 2, 3, '#', 0, 0, CANVAS_BOLD);
    assert_string_equal(row(c, 2), "  ###");
    assert_int_equal(canvas_at(c, 2, 2)->attr, CANVAS_BOLD);
    assert_null(canvas_at(c, 12, 0));
    assert_null(canvas_at(c, -1, 0));
    canvas_free(c);
}

static void test_ascii_fallback(void **state)
{
    (void)state;
    struct canvas *c = canvas_new(8, 1, false);
    canvas_text(c, 0, 0, 5, "caf\xc3\xa9 noir", 0, 0, 0);
    assert_string_equal(row(c, 0), "caf?~"); /* no UTF-8: '?' and '~' */
    canvas_free(c);
}

static void test_utf8_width_and_to_text(void **state)
{
    (void)state;
    assert_int_equal(canvas_text_width("a\xe2\x80\xa6" "b"), 3);
    struct canvas *c = canvas_new(4, 2, true);
    canvas_text(c, 1, 1, 3, "\xe2\x96\x8fxy", 0, 0, 0);
    char *t = canvas_to_text(c);
    assert_string_equal(t, "\n \xe2\x96\x8fxy\n");
    free(t);
    canvas_resize(c, 2, 1);
    assert_int_equal(c->w, 2);
    assert_string_equal(row(c, 0), "");
    canvas_free(c);
}

/* Frame names come from programs and files: no control character, C1
 * control (U+009B is CSI) or bidirectional override (U+202E) reaches the
 * terminal. */
static void test_controls_never_reach_the_terminal(void **state)
{
    (void)state;
    struct canvas *c = canvas_new(20, 1, true);
    canvas_text(c, 0, 0, 20, "a\x1b[2Jb\xc2\x9b" "31mc\xe2\x80\xae" "d\x7f" "e\xe2\x81\xa6" "f", 0, 0, 0);
    assert_string_equal(row(c, 0), "a?[2Jb?31mc?d?e?f");
    /* an overlong encoding of U+009B is caught as well */
    canvas_text(c, 0, 0, 20, "x\xe0\x82\x9by", 0, 0, 0);
    assert_int_equal(canvas_at(c, 1, 0)->ch, '?');
    canvas_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_ellipsis),
        cmocka_unit_test(test_ascii_fallback),
        cmocka_unit_test(test_utf8_width_and_to_text),
        cmocka_unit_test(test_controls_never_reach_the_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
