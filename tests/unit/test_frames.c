#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tprof/frames.h"

static void test_intern_dedups_by_name_kind_and_module(void **state)
{
    (void)state;
    struct frames *fr = frames_new();
    uint32_t a = frames_intern(fr, "read", 4, FRAME_USER, "libc.so.6");
    uint32_t b = frames_intern(fr, "read", 4, FRAME_USER, "other");
    uint32_t c = frames_intern(fr, "read", 4, FRAME_USER, "third");
    uint32_t k = frames_intern(fr, "read", 4, FRAME_KERNEL, "[kernel.kallsyms]");
    /* one name in two modules is two functions (ld.so's _start, the program's) */
    assert_int_not_equal(a, b);
    assert_int_not_equal(b, c);
    assert_int_not_equal(a, k);
    assert_int_equal(frames_intern(fr, "read", 4, FRAME_USER, "libc.so.6"), a);
    assert_int_equal(frames_intern(fr, "read", 4, FRAME_USER, "other"), b);
    assert_int_equal(frames_intern(fr, "read", 4, FRAME_USER, "third"), c);
    assert_string_equal(frames_get(fr, a)->module, "libc.so.6");
    assert_string_equal(frames_get(fr, b)->module, "other");
    assert_int_equal(frames_get(fr, k)->kind, FRAME_KERNEL);
    assert_int_equal(frames_count(fr), 4);
    assert_int_equal(frames_find(fr, "read", FRAME_USER, "other"), b);
    assert_int_equal(frames_find(fr, "read", FRAME_USER, "third"), c);
    assert_int_equal(frames_find(fr, "read", FRAME_USER, ""), UINT32_MAX);
    assert_int_equal(frames_find(fr, "read", FRAME_KERNEL, "[kernel.kallsyms]"), k);
    /* no module and "" are the same unknown module */
    uint32_t u = frames_intern(fr, "f", 1, FRAME_USER, NULL);
    assert_int_equal(frames_intern(fr, "f", 1, FRAME_USER, ""), u);
    assert_int_equal(frames_find(fr, "f", FRAME_USER, NULL), u);
    assert_null(frames_get(fr, 99));
    frames_free(fr);
}

static void test_names_are_cleaned_for_folded(void **state)
{
    (void)state;
    struct frames *fr = frames_new();
    const char *raw = "a;b\tc\n  ";
    uint32_t id = frames_intern(fr, raw, strlen(raw), FRAME_USER, NULL);
    assert_string_equal(frames_get(fr, id)->name, "a:b c");
    assert_string_equal(frames_get(fr, id)->module, "");
    uint32_t e = frames_intern(fr, "   ", 3, FRAME_USER, "");
    assert_string_equal(frames_get(fr, e)->name, "[unknown]");
    /* UTF-8 and long names (the word-at-a-time check) pass unchanged */
    const char *u = "caf\xc3\xa9::\xe2\x86\x92::a_long_name_of_more_than_8_bytes";
    uint32_t uid = frames_intern(fr, u, strlen(u), FRAME_USER, "");
    assert_string_equal(frames_get(fr, uid)->name, u);
    const char *semi9 = "abcdefgh;";
    uint32_t s9 = frames_intern(fr, semi9, 9, FRAME_USER, "");
    assert_string_equal(frames_get(fr, s9)->name, "abcdefgh:");
    /* C1 (U+009B is CSI), bidirectional controls (U+202E, U+2066) and a
     * lone C1 byte become spaces, in every output; other UTF-8 and
     * Latin-1 bytes stay */
    const char *c1 = "a\xc2\x9b" "31m;b\xe2\x80\xae" "evil\xe2\x81\xa6x\x9by\xe9z";
    uint32_t cid = frames_intern(fr, c1, strlen(c1), FRAME_USER, "");
    assert_string_equal(frames_get(fr, cid)->name, "a 31m:b evil x y\xe9z");
    /* The cleaned form is the identity: "a:b c" is the same frame. */
    assert_int_equal(frames_intern(fr, "a:b c", 5, FRAME_USER, ""), id);
    frames_free(fr);
}

static void test_suffixes(void **state)
{
    (void)state;
    assert_string_equal(frames_kind_suffix(FRAME_KERNEL), "_[k]");
    assert_string_equal(frames_kind_suffix(FRAME_JIT), "_[j]");
    assert_string_equal(frames_kind_suffix(FRAME_USER), "");
    assert_string_equal(frames_kind_suffix(FRAME_ROOT), "");
}

/* A placeholder renamed: alone, or to a name the table already has (the
 * profile then holds the frame twice, and says so). */
static void test_rename(void **state)
{
    (void)state;
    struct frames *fr = frames_new();
    uint32_t hot = frames_intern(fr, "JS:*hot", 7, FRAME_JIT, "[jit]");
    uint32_t a = frames_intern(fr, "[jit 0x10]", 10, FRAME_JIT, "[jit]");
    uint32_t b = frames_intern(fr, "[jit 0x20]", 10, FRAME_JIT, "[jit]");
    assert_false(frames_rename(fr, a, "JS:*cold;x\n"));
    assert_string_equal(frames_get(fr, a)->name, "JS:*cold:x");
    assert_int_equal(frames_intern(fr, "JS:*cold:x", 10, FRAME_JIT, "[jit]"), a);
    assert_int_equal(frames_find(fr, "[jit 0x10]", FRAME_JIT, "[jit]"), UINT32_MAX);
    assert_true(frames_rename(fr, b, "JS:*hot"));
    assert_string_equal(frames_get(fr, b)->name, "JS:*hot");
    assert_int_equal(frames_intern(fr, "JS:*hot", 7, FRAME_JIT, "[jit]"), hot);
    assert_false(frames_get(fr, hot)->namesake);
    /* a frame that shares its name is not renamed */
    assert_false(frames_rename(fr, hot, "other"));
    assert_string_equal(frames_get(fr, hot)->name, "JS:*hot");
    assert_false(frames_rename(fr, 999, "x"));
    frames_free(fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern_dedups_by_name_kind_and_module),
        cmocka_unit_test(test_names_are_cleaned_for_folded),
        cmocka_unit_test(test_suffixes),
        cmocka_unit_test(test_rename),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
