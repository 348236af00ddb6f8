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

struct all {
    char text[256];
    size_t n;
};

static void append_line(void *arg, const char *line, size_t len)
{
    struct all *a = arg;
    memcpy(a->text + a->n, line, len);
    a->n += len;
    a->text[a->n++] = '|';
}

/* Ranges that tile a file take each line once, wherever they are cut:
 * inside a line, at a line's first byte, at its newline; with and without
 * a newline at the end. */
static void test_ranges_tile_a_file(void **state)
{
    (void)state;
    const char *texts[] = {"a;b 1\nccc 2\n\ndd 3\ne 4", "a;b 1\nccc 2\n\ndd 3\ne 4\n"};
    for (int t = 0; t < 2; t++) {
        const char *text = texts[t];
        size_t len = strlen(text);
        char path[64] = "/tmp/tprof-unit-range.XXXXXX";
        int fd = mkstemp(path);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        close(fd);
        for (size_t a = 0; a <= len; a++)
            for (size_t b = a; b <= len; b++) {
                uint64_t cuts[4] = {0, a, b, len};
                struct all all = {0};
                for (int k = 0; k < 3; k++) {
                    char err[256];
                    struct input *in = input_open_range(path, cuts[k], cuts[k + 1], err,
                                                        sizeof(err));
                    assert_non_null(in);
                    uint64_t at;
                    assert_int_equal(input_lines(in, append_line, &all, &at, err, sizeof(err)),
                                     INPUT_OK);
                    input_close(in);
                }
                all.text[all.n] = '\0';
                if (strcmp(all.text, "a;b 1|ccc 2||dd 3|e 4|") != 0)
                    fail_msg("cut at %zu and %zu of text %d: %s", a, b, t, all.text);
            }
        struct input *in = input_open(path, (char[64]){0}, 64);
        assert_int_equal(input_file_size(in), len);
        input_close(in);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peek_does_not_take),
        cmocka_unit_test(test_nul_and_missing),
        cmocka_unit_test(test_ranges_tile_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
