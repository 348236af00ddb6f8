#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/jittab.h"
#include "tprof/perfmap.h"

static void test_parse_line(void **state)
{
    (void)state;
    uint64_t s, z;
    const char *name;
    assert_int_equal(perfmap_parse_line("7f00 1a LazyCompile:*hot /a.js:1", &s, &z, &name), 0);
    assert_int_equal(s, 0x7f00);
    assert_int_equal(z, 0x1a);
    assert_string_equal(name, "LazyCompile:*hot /a.js:1");
    assert_int_equal(perfmap_parse_line("nothex 10 x", &s, &z, &name), -1);
    assert_int_equal(perfmap_parse_line("10 0 zero-size", &s, &z, &name), -1);
    assert_int_equal(perfmap_parse_line("10", &s, &z, &name), -1);
}

static void test_lookup_and_reload(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/perf-4242.map", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "2000 100 second\n1000 10 first\ngarbage line\n");
    fclose(f);
    struct perfmap *pm = perfmap_new(4242, dir, NULL);
    assert_string_equal(perfmap_lookup(pm, 0x1000), "first");
    assert_string_equal(perfmap_lookup(pm, 0x100f), "first");
    assert_null(perfmap_lookup(pm, 0x1010)); /* past its size */
    assert_string_equal(perfmap_lookup(pm, 0x20ff), "second");
    /* The JIT adds code later: a miss reads on in the grown file (once
     * JIT_REREAD_NS has passed since the last read); a line still being
     * written waits for its end */
    f = fopen(path, "a");
    fprintf(f, "3000 20 third\n4000 10 fou");
    fclose(f);
    usleep(JIT_REREAD_NS / 1000 + 1000);
    assert_string_equal(perfmap_lookup(pm, 0x3004), "third");
    assert_null(perfmap_lookup(pm, 0x4004));
    f = fopen(path, "a");
    fprintf(f, "rth\n");
    fclose(f);
    usleep(JIT_REREAD_NS / 1000 + 1000);
    assert_string_equal(perfmap_lookup(pm, 0x4004), "fourth");
    assert_string_equal(perfmap_lookup(pm, 0x1000), "first"); /* (read on, not again) */
    /* the file replaced by a shorter one: read from its start */
    usleep(JIT_REREAD_NS / 1000 + 1000);
    f = fopen(path, "w");
    fprintf(f, "6000 10 sixth\n");
    fclose(f);
    assert_string_equal(perfmap_lookup(pm, 0x6004), "sixth");
    assert_null(perfmap_lookup(pm, 0x1000));
    assert_string_equal(perfmap_error(pm), "");
    perfmap_free(pm);
    /* No file: nothing resolves, no error. */
    pm = perfmap_new(1, dir, NULL);
    assert_null(perfmap_lookup(pm, 0x1000));
    perfmap_free(pm);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_line),
        cmocka_unit_test(test_lookup_and_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
