#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/input.h"

struct seen {
    int n;
    char last[64];
};

static void on_line(void *arg, const char *line, size_t len)
{
    struct seen *s = arg;
    s->n++;
    snprintf(s->last, sizeof(s->last), "%.*s", (int)len, line);
}

static struct input *open_text(const char *text, size_t len, char *path)
{
    strcpy(path, "/tmp/tprof-unit-input.XXXXXX");
    int fd = mkstemp(path);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    char err[256];
    struct input *in = input_open(path, err, sizeof(err));
    assert_non_null(in);
    unlink(path);
    return in;
}

static void test_peek_does_not_take(void **state)
{
    (void)state;
    char path[64], err[256];
    struct input *in = open_text("one\ntwo\nthree", 13, path);
    size_t n;
    const char *p = input_peek(in, &n, err, sizeof(err));
    assert_int_equal(n, 13);
    assert_memory_equal(p, "one\n", 4);
    struct seen s = {0};
    uint64_t at;
    assert_int_equal(input_lines(in, on_line, &s, &at, err, sizeof(err)), INPUT_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.last, "three"); /* the last line without its newline */
    input_close(in);
}

static void test_nul_and_missing(void **state)
{
    (void)state;
    char path[64], err[256];
    struct input *in = open_text("a 1\nb\0c\n", 8, path);
    struct seen s = {0};
    uint64_t at = 0;
    assert_int_equal(input_lines(in, on_line, &s, &at, err, sizeof(err)), INPUT_BINARY);
    assert_int_equal(at, 5);
    input_close(in);
    assert_null(input_open("/nonexistent/x", err, sizeof(err)));
    assert_non_null(strstr(err, "cannot open '/nonexistent/x'"));
    assert_null(input_open("/tmp", err, sizeof(err)));
    assert_non_null(strstr(err, "Is a directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peek_does_not_take),
        cmocka_unit_test(test_nul_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
