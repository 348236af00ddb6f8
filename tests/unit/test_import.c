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

#include "tprof/import.h"
#include "tprof/input.h"

static char path[64];

static const char *file_of(const void *data, size_t len)
{
    strcpy(path, "/tmp/tprof-unit-import.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static struct profile *import_text(const char *text, enum import_format *fmt, char *note,
                                   char *err)
{
    struct import_opts o = {0};
    struct profile *p = profile_import(file_of(text, strlen(text)), &o, fmt, note, 600, err, 512);
    unlink(path);
    return p;
}

static void test_told_by_content(void **state)
{
    (void)state;
    enum import_format fmt;
    char note[600], err[512];
    struct profile *p = import_text("prog 1/2 [000] 1.0: 3 cycles: \n\t1 f (m)\n\n", &fmt, note, err);
    assert_non_null(p);
    assert_int_equal(fmt, IMPORT_PERF_SCRIPT);
    assert_true(profile_total(p) == 3);
    assert_non_null(strstr(note, "1 samples of 'cycles', each counting its period (3 in all)"));
    profile_free(p);
    p = import_text("prog 1/2 [000] 1.0: cycles: \n\t1 f (m)\n\n", &fmt, note, err);
    assert_non_null(p);
    assert_string_equal(note, ""); /* no period, nothing left out: nothing to say */
    profile_free(p);
    p = import_text("prog;f 3\nprog;g 2\nnot a stack\n", &fmt, note, err);
    assert_non_null(p);
    assert_int_equal(fmt, IMPORT_FOLDED);
    assert_true(profile_total(p) == 5);
    assert_non_null(strstr(note, "ignored 1 malformed"));
    profile_free(p);
}

/* Weights that add up past 2^53 (what every output holds exactly): refused
 * whatever the format, with one line (once shown as -nan% and written as
 * 1e+308, which no reader takes). */
static void test_total_bound(void **state)
{
    (void)state;
    enum import_format fmt;
    char note[600], err[512];
    struct profile *p = import_text("a;b 9007199254740992\n", &fmt, note, err);
    assert_non_null(p);
    profile_free(p);
    assert_null(import_text("a;b 9007199254740992\nc 2\n", &fmt, note, err));
    assert_non_null(strstr(err, "its weights add up to 9007199254740994, more than "
                                "9007199254740992, the most tprof's outputs hold exactly"));
    assert_null(import_text("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
                            "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                            "\"sampled\",\"unit\":\"none\",\"samples\":[[0],[0]],"
                            "\"weights\":[1e308,1e308]}]}",
                            &fmt, note, err));
    assert_non_null(strstr(err, "its weights add up to inf, more than"));
}

static void test_perf_script_note(void **state)
{
    (void)state;
    enum import_format fmt;
    char note[600], err[512];
    struct profile *p = import_text("pp 1 1.0: 1 cpu-clock: \n\t1 f (m)\n\n"
                                    "pp 1 1.0: task-clock: \n\t1 g (m)\n\n"
                                    "pp 1 1.0: cpu-clock: \n\t1 f (m)\n"
                                    "pp 1 1.0: cpu-clock: \n\t1 f (m)\n",
                                    &fmt, note, err);
    assert_non_null(p);
    /* the first cpu-clock sample, and the last with no blank line after it */
    assert_non_null(strstr(note, "perf script, 2 samples of 'cpu-clock'"));
    assert_non_null(strstr(note, "1 samples of other events left out (--event NAME)"));
    assert_non_null(strstr(note, "1 cut short (a header after it, no blank line between) left out"));
    profile_free(p);
}

static void test_other_formats_named(void **state)
{
    (void)state;
    enum import_format fmt;
    char note[600], err[512];
    struct import_opts o = {0};
    static const unsigned char gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    assert_null(profile_import(file_of(gz, sizeof(gz)), &o, &fmt, note, 600, err, 512));
    unlink(path);
    assert_non_null(strstr(err, "is not a readable pprof file (gzip): its gzip data"));
    static const unsigned char marshal[] = {0xfb, 0, 0, 0, '0'};
    assert_null(profile_import(file_of(marshal, sizeof(marshal)), &o, &fmt, note, 600, err, 512));
    unlink(path);
    assert_non_null(strstr(err, "is not a readable pstats file: unknown marshal type code 0x00 "
                                "at offset 1"));
    /* {('a', 1, 'f'): (1, 1, 2.0, 2.0, {})}: read as pstats */
    static const unsigned char prof[] = {
        0xfb, ')', 3,   'z', 1, 'a', 'i', 1, 0, 0, 0, 'z', 1, 'f', ')', 5, 'i', 1, 0, 0, 0, 'i',
        1,    0,   0,   0,   'g', 0, 0,   0, 0, 0, 0, 0,   0x40, 'g', 0, 0, 0, 0, 0, 0, 0, 0x40,
        '{',  '0', '0'};
    struct profile *pp = profile_import(file_of(prof, sizeof(prof)), &o, &fmt, note, 600, err, 512);
    unlink(path);
    assert_non_null(pp);
    assert_int_equal(fmt, IMPORT_PSTATS);
    assert_int_equal(profile_unit(pp), PROFILE_SECONDS);
    assert_true(profile_total(pp) == 2);
    assert_string_equal(note, "");
    profile_free(pp);
    assert_null(import_text("  {\"shared\": {}, \"$schema\": \"https://www.speedscope.app/"
                            "file-format-schema.json\"}",
                            &fmt, note, err));
    assert_non_null(strstr(err, "is not a readable speedscope file: no shared.frames"));
    static const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    assert_null(profile_import(file_of(elf, sizeof(elf)), &o, &fmt, note, 600, err, 512));
    unlink(path);
    assert_non_null(strstr(err, "binary data (a NUL byte at offset 7), none of the formats"));
    /* folded lines that start as JSON might */
    struct profile *q = import_text("[unknown];f 2\n{{closure}};g 1\n", &fmt, note, err);
    assert_non_null(q);
    assert_int_equal(fmt, IMPORT_FOLDED);
    assert_true(profile_total(q) == 3);
    profile_free(q);
    assert_null(import_text("[{\"a\": 1}]", &fmt, note, err));
    assert_non_null(strstr(err, "is JSON, but not a speedscope file"));
    assert_null(import_text("hello\nworld\n", &fmt, note, err));
    assert_non_null(strstr(err, "no stacks in"));
    assert_non_null(strstr(err, "none of the formats tprof reads (folded stacks"));
}

/* The peek keeps the first bytes for the reader: a file past the peek
 * size, whose first and last lines count. */
static void test_peek_then_every_line(void **state)
{
    (void)state;
    size_t n = 20000;
    char *text = malloc(n * 16 + 1), *w = text;
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "prog;f%zu 1\n", i % 97);
    assert_true((size_t)(w - text) > INPUT_PEEK);
    enum import_format fmt;
    char note[600], err[512];
    struct profile *p = import_text(text, &fmt, note, err);
    assert_non_null(p);
    assert_true(profile_total(p) == (double)n);
    profile_free(p);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_told_by_content),
        cmocka_unit_test(test_total_bound),
        cmocka_unit_test(test_perf_script_note),
        cmocka_unit_test(test_other_formats_named),
        cmocka_unit_test(test_peek_then_every_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
