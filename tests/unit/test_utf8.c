/* utf8: strict decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tprof/utf8.h"

static size_t dec(const char *s, size_t n, uint32_t *cp)
{
    return utf8_decode((const unsigned char *)s, n, cp);
}

static void test_valid_sequences(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(dec("a", 1, &cp), 1);
    assert_int_equal(cp, 'a');
    assert_int_equal(dec("\x01", 1, &cp), 1); /* controls are UTF-8 too */
    assert_int_equal(dec("\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(dec("\xe2\x86\x92", 3, &cp), 3);
    assert_int_equal(cp, 0x2192);
    assert_int_equal(dec("\xf0\x9f\x94\xa5", 4, &cp), 4);
    assert_int_equal(cp, 0x1f525);
    assert_int_equal(dec("\xef\xbf\xbf", 3, &cp), 3); /* U+FFFF: valid UTF-8 */
}

static void test_invalid_sequences(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(dec("\x80", 1, &cp), 0);             /* stray continuation */
    assert_int_equal(dec("\xff", 1, &cp), 0);             /* never a lead byte */
    assert_int_equal(dec("\xc3", 1, &cp), 0);             /* cut at the end */
    assert_int_equal(dec("\xc3" "a", 2, &cp), 0);         /* cut by an ASCII byte */
    assert_int_equal(dec("\xc0\xaf", 2, &cp), 0);         /* overlong '/' */
    assert_int_equal(dec("\xe0\x80\xaf", 3, &cp), 0);     /* overlong, 3 bytes */
    assert_int_equal(dec("\xed\xa0\x80", 3, &cp), 0);     /* a surrogate */
    assert_int_equal(dec("\xf4\x90\x80\x80", 4, &cp), 0); /* past U+10FFFF */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_sequences),
        cmocka_unit_test(test_invalid_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
