/* fileutil: opening files others control, and /proc stat lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/fileutil.h"

/* A regular file opens; a FIFO (which a blocking open would wait on for
 * ever) and a directory are refused with EINVAL. */
static void test_open_regular(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit-fileutil.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64], fifo[64];
    snprintf(file, sizeof(file), "%s/f", dir);
    snprintf(fifo, sizeof(fifo), "%s/p", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    assert_int_equal(mkfifo(fifo, 0600), 0);

    struct stat st;
    int fd = fileutil_open_regular(file, &st);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 1);
    close(fd);
    errno = 0;
    assert_int_equal(fileutil_open_regular(fifo, &st), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(fileutil_open_regular(dir, &st), -1);
    assert_int_equal(fileutil_open_regular("/nonexistent/tprof", &st), -1);
    assert_int_equal(errno, ENOENT);
    unlink(file);
    unlink(fifo);
    rmdir(dir);
}

/* The fields start after the last ')', whatever COMM holds. */
static void test_stat_fields(void **state)
{
    (void)state;
    const char *a = "17 (a) b) R 1 2";
    assert_string_equal(fileutil_stat_fields(a, strlen(a)), " R 1 2");
    const char *b = "17 (x)";
    assert_string_equal(fileutil_stat_fields(b, strlen(b)), "");
    /* only the N bytes given are looked at */
    assert_null(fileutil_stat_fields(a, 5));
    assert_null(fileutil_stat_fields("17 (cut", 7));
    assert_null(fileutil_stat_fields("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_regular),
        cmocka_unit_test(test_stat_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
