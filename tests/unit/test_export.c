/* export: the format told by name or --format, and files written whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/export.h"

static void test_format_by_name(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(export_format_for("-", NULL, -1, err, sizeof(err)), EXPORT_FOLDED);
    assert_int_equal(export_format_for("a.txt", NULL, -1, err, sizeof(err)), EXPORT_FOLDED);
    assert_int_equal(export_format_for("a.speedscope.json", NULL, -1, err, sizeof(err)),
                     EXPORT_SPEEDSCOPE);
    assert_int_equal(export_format_for("a.svg", NULL, -1, err, sizeof(err)), EXPORT_SVG);
    assert_int_equal(export_format_for("a.pb.gz", NULL, -1, err, sizeof(err)), EXPORT_PPROF);
    assert_int_equal(export_format_for("a.pprof", NULL, -1, err, sizeof(err)), EXPORT_PPROF);
    assert_int_equal(export_format_for("a.svg", "folded", -1, err, sizeof(err)), EXPORT_FOLDED);
    assert_int_equal(export_format_for("out", NULL, EXPORT_FOLDED, err, sizeof(err)),
                     EXPORT_FOLDED);
    assert_int_equal(export_format_for("out.xyz", NULL, -1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot tell the format to write from 'out.xyz'"));
    assert_int_equal(export_format_for("x", "png", -1, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown --format 'png' (folded, speedscope, svg, pprof)");
    assert_string_equal(export_format_name(EXPORT_PPROF), "pprof");
}

static void test_write_file_is_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/out.folded", dir);
    struct profile *p = profile_new();
    uint32_t a = frames_intern(profile_frames(p), "a", 1, FRAME_ROOT, "");
    profile_add_stack(p, &a, 1, 3);
    assert_int_equal(export_file(p, EXPORT_FOLDED, "t", path, err, sizeof(err)), 1);
    FILE *f = fopen(path, "r");
    char line[64] = "";
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, "a 3\n");
    /* A directory in the way: an error, and nothing left behind. */
    assert_int_equal(export_file(p, EXPORT_FOLDED, "t", dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Is a directory"));
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no/such/dir/x.folded", dir);
    assert_int_equal(export_file(p, EXPORT_SVG, "t", missing, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot write"));
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* empty: no temporary left */
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_by_name),
        cmocka_unit_test(test_write_file_is_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
