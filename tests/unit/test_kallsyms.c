#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/kallsyms.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/tprof-kallsyms.XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "ffffffff81000000 T _stext\n"
               "ffffffff81002000 t do_one\n"
               "ffffffff81001000 T entry_SYSCALL_64\n"
               "ffffffff81003000 D some_data\n"
               "ffffffff81004000 t mod_func\t[ext4]\n"
               "ffffffff81005000 T _etext\n"
               "0000000000000000 T hidden\n");
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_lookup(void **state)
{
    (void)state;
    struct kallsyms *k = kallsyms_new(path);
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81001010), "entry_SYSCALL_64");
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81002000), "do_one");
    /* data symbols are not functions: do_one runs up to the next function */
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81003010), "do_one");
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81004001), "mod_func");
    assert_null(kallsyms_lookup(k, 0xffffffff80000000)); /* before the first */
    assert_null(kallsyms_lookup(k, 0xffffffff81006000)); /* past the last */
    kallsyms_free(k);
}

static void test_unreadable(void **state)
{
    (void)state;
    struct kallsyms *k = kallsyms_new("/nonexistent/kallsyms");
    assert_null(kallsyms_lookup(k, 0xffffffff81001010));
    kallsyms_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_unreadable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
