#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tprof/demangle.h"

static void expect(const char *mangled, const char *want)
{
    char *got = demangle(mangled);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_cxx_without_parameters(void **state)
{
    (void)state;
    expect("_Z9sort_valsIiEvPT_m", "sort_vals<int>");
    expect("_ZNSt6vectorIiSaIiEE9push_backERKi",
           "std::vector<int, std::allocator<int> >::push_back");
    expect("_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo");
    expect("_ZN3FooC2Ev", "Foo::Foo");
}

static void test_plain_names_untouched(void **state)
{
    (void)state;
    expect("main", NULL);
    expect("__libc_start_main", NULL);
    expect("_Zgarbage", NULL);
    expect("", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cxx_without_parameters),
        cmocka_unit_test(test_plain_names_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
