/* say: messages cleaned of what would act on a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/say.h"

static void test_clean(void **state)
{
    (void)state;
    /* OSC, CSI, BEL, C1 CSI (U+009B), RLO (U+202E), LRI (U+2066), a lone
     * C1 byte: '?' each; UTF-8 and Latin-1 letters stay */
    char s[] = "a\033]0;t\007b\033[31mc\xc2\x9b" "d\xe2\x80\xae" "e\xe2\x81\xa6" "f\x9bg\xc3\xa9h\xe9";
    size_t n = say_clean(s);
    assert_string_equal(s, "a?]0;t?b?[31mc?d?e?f?g\xc3\xa9h\xe9");
    assert_int_equal(n, strlen(s));
    char t[] = "\n\t";
    say_clean(t);
    assert_string_equal(t, "??");
}

/* One line on stderr, "tprof: " first, cleaned. */
static void test_say(void **state)
{
    (void)state;
    char path[] = "/tmp/tprof-unit-say.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    say("cannot open '%s': %d", "x\033[2Jy", 7);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[128] = "";
    ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    unlink(path);
    assert_true(r > 0);
    assert_string_equal(buf, "tprof: cannot open 'x?[2Jy': 7\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_say),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
