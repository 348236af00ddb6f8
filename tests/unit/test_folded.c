#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/folded.h"
#include "tprof/xalloc.h"

#include "helpers.h"

static uint32_t F(struct profile *p, const char *name, enum frame_kind k)
{
    return frames_intern(profile_frames(p), name, strlen(name), k, "");
}

static char *render(const struct profile *p, long *lines)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *lines = folded_write(p, f);
    fclose(f);
    return buf;
}

static void test_lines_sorted_by_stack_not_by_line(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t a = F(p, "a", FRAME_ROOT), x = F(p, "!x", FRAME_USER);
    /* "a 5" vs "a;!x 1": by whole line '5' < ';' would not matter, but
     * stack "a" is a prefix of "a;!x", so "a" must come first. */
    profile_add_stack(p, (uint32_t[]){a, x}, 2, 1);
    profile_add_stack(p, (uint32_t[]){a}, 1, 5);
    long n;
    char *out = render(p, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out, "a 5\na;!x 1\n");
    free(out);
    profile_free(p);
}

static void test_namesakes_from_two_modules_make_one_line(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    struct frames *fr = profile_frames(p);
    uint32_t r = F(p, "hot", FRAME_ROOT);
    uint32_t s1 = frames_intern(fr, "_start", 6, FRAME_USER, "ld-linux-x86-64.so.2");
    uint32_t s2 = frames_intern(fr, "_start", 6, FRAME_USER, "hot");
    uint32_t m = frames_intern(fr, "main", 4, FRAME_USER, "hot");
    assert_int_not_equal(s1, s2);
    profile_add_stack(p, (uint32_t[]){r, s1}, 2, 2);
    profile_add_stack(p, (uint32_t[]){r, s2, m}, 3, 7);
    profile_add_stack(p, (uint32_t[]){r, s2}, 2, 1);
    long n;
    char *out = render(p, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out, "hot;_start 3\nhot;_start;main 7\n");
    free(out);
    profile_free(p);
}

static void test_suffixes_and_counts(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t c = F(p, "prog", FRAME_ROOT), m = F(p, "main", FRAME_USER);
    uint32_t k = F(p, "vfs_read", FRAME_KERNEL), j = F(p, "LazyCompile:hot", FRAME_JIT);
    profile_add_stack(p, (uint32_t[]){c, m, k}, 3, 2);
    profile_add_stack(p, (uint32_t[]){c, m, j}, 3, 1.5);
    profile_add_stack(p, (uint32_t[]){c, m}, 2, 1e6);
    long n;
    char *out = render(p, &n);
    assert_string_equal(out, "prog;main 1000000\n"
                             "prog;main;LazyCompile:hot_[j] 1.5\n"
                             "prog;main;vfs_read_[k] 2\n");
    free(out);
    profile_free(p);
}

static void test_deep_and_wide_tree_roundtrip(void **state)
{
    (void)state;
    /* Every added stack comes back as exactly one line with its count. */
    struct profile *p = profile_new();
    uint32_t ids[6];
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof(name), "f%d", i);
        ids[i] = F(p, name, FRAME_USER);
    }
    long added = 0;
    for (int d = 1; d <= 6; d++)
        for (int w = 0; w < 6; w++) {
            uint32_t st[7];
            for (int i = 0; i < d - 1; i++)
                st[i] = ids[i];
            st[d - 1] = ids[w];
            profile_add_stack(p, st, (size_t)d, 1);
            added++;
        }
    long n;
    char *out = render(p, &n);
    long lines = 0;
    double sum = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        lines++;
        sum += atof(strrchr(l, ' ') + 1);
    }
    assert_int_equal(lines, n);
    assert_true(sum == (double)added);
    free(out);
    profile_free(p);
}

/* ----- reading ----- */

static struct profile *read_text(const char *text, struct folded_stats *st, char *err)
{
    char path[] = "/tmp/tprof-unit-read.XXXXXX";
    int fd = mkstemp(path);
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    struct profile *p = folded_read(path, st, err, 256);
    unlink(path);
    return p;
}

static void test_read_accepts_what_writers_produce(void **state)
{
    (void)state;
    struct folded_stats st;
    char err[256];
    struct profile *p = read_text("a;b 5\r\n"     /* CRLF */
                                  "a;c\t2\n"      /* tab before the count */
                                  "a;d 1.5\n"      /* fractional */
                                  "\n   \n"       /* blank */
                                  "a;e\n"          /* no count */
                                  "a;f x1\n"       /* not a number */
                                  " 7\n"           /* no stack */
                                  "a;k_[k];j_[j] 1", /* suffixes; no final newline */
                                  &st, err);
    assert_non_null(p);
    assert_int_equal(st.lines, 9);
    assert_int_equal(st.stacks, 4);
    assert_int_equal(st.blank, 2);
    assert_int_equal(st.malformed, 3);
    assert_true(profile_total(p) == 9.5);
    long n;
    char *out = render(p, &n);
    assert_string_equal(out, "a;b 5\na;c 2\na;d 1.5\na;k_[k];j_[j] 1\n");
    free(out);
    const struct frames *fr = profile_frames_const(p);
    bool saw_k = false;
    for (uint32_t i = 0; i < frames_count(fr); i++)
        if (!strcmp(frames_get(fr, i)->name, "k"))
            saw_k = frames_get(fr, i)->kind == FRAME_KERNEL;
    assert_true(saw_k);
    profile_free(p);
}

static void test_read_unsorted_and_shared_prefixes(void **state)
{
    (void)state;
    /* the prefix reuse must not confuse "a;bc" with "a;b;c" or reorderings */
    char err[256];
    struct profile *p = read_text("a;b;c 1\na;bc 2\na;b;c 3\nz 1\na;b 4\na;b;c;d 5\n", NULL, err);
    long n;
    char *out = render(p, &n);
    assert_string_equal(out, "a;b 4\na;b;c 4\na;b;c;d 5\na;bc 2\nz 1\n");
    free(out);
    profile_free(p);
}

static void test_read_errors(void **state)
{
    (void)state;
    char err[256];
    struct folded_stats st;
    assert_null(read_text("\n\nnot folded at all\n", &st, err));
    assert_non_null(strstr(err, "no stacks in"));
    assert_null(folded_read("/nonexistent/x.folded", &st, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot open '/nonexistent/x.folded': No such file"));
    assert_null(folded_read("/tmp", &st, err, sizeof(err)));
    assert_non_null(strstr(err, "Is a directory"));
}

static void test_write_read_roundtrip(void **state)
{
    (void)state;
    const char *text = "comm;main;a 10\ncomm;main;a;b_[k] 3\ncomm;main;c:d 2\n";
    char err[256];
    struct profile *p = read_text(text, NULL, err);
    long n;
    char *out = render(p, &n);
    assert_string_equal(out, text);
    free(out);
    profile_free(p);
}

/* What is not text is not a profile (an executable's digit-ended strings
 * read as "1032 samples"; /dev/zero grew until out of memory), counts stay
 * finite (1e309 printed "inf samples"), and one line is bounded. */
static void test_read_limits(void **state)
{
    (void)state;
    char err[256];
    struct folded_stats st;
    char path[] = "/tmp/tprof-unit-bin.XXXXXX";
    int fd = mkstemp(path);
    static const char bin[] = "a;b 1\nELF\0\0\0x 1032\n";
    assert_true(write(fd, bin, sizeof(bin) - 1) == (ssize_t)sizeof(bin) - 1);
    close(fd);
    assert_null(folded_read(path, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "not a folded profile: binary data (a NUL byte at offset 9)"));
    unlink(path);
    assert_null(folded_read("/dev/zero", &st, err, sizeof(err)));
    assert_non_null(strstr(err, "binary data"));

    char *big = xmalloc(400 + 64);
    strcpy(big, "a;b 1");
    memset(big + 5, '0', 400);
    strcpy(big + 405, "\nc 1\nd 9007199254740994\ne 9007199254740992\n");
    struct profile *p = read_text(big, &st, err);
    assert_non_null(p);
    assert_int_equal(st.malformed, 2);
    assert_true(profile_total(p) == 1 + 9007199254740992.0);
    profile_free(p);
    free(big);

    size_t n = FOLDED_MAX_LINE + 10;
    char *line = xmalloc(n + 1);
    memset(line, 'x', n);
    line[n] = '\0';
    assert_null(read_text(line, &st, err));
    assert_non_null(strstr(err, "line 1 is longer than 16 MiB"));
    free(line);
}

static char *render_diff(const char *before, const char *after, bool normalize, bool strip,
                         long *lines)
{
    struct profile *b = profile_from(before), *a = profile_from(after);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct folded_diff_opts o = {.normalize = normalize, .strip_hex = strip};
    *lines = folded_write_diff(b, a, &o, f);
    fclose(f);
    profile_free(b);
    profile_free(a);
    return buf;
}

/* difffolded.pl's join: every stack of either side, sorted, 0 where one
 * lacks it; -n scales BEFORE to AFTER's total and truncates; -s turns
 * every 0x address into 0x... before joining. */
static void test_write_diff(void **state)
{
    (void)state;
    long n;
    char *t = render_diff("a;b 3\na;c 1\n", "a;c 2\na;d_[k] 2.5\n", false, false, &n);
    assert_int_equal(n, 3);
    assert_string_equal(t, "a;b 3 0\na;c 1 2\na;d_[k] 0 2.5\n");
    free(t);
    /* totals 4 and 9: BEFORE times 9/4, truncated (3 -> 6, 1 -> 2) */
    t = render_diff("a;b 3\na;c 1\n", "a;b 1\na;c 8\n", true, false, &n);
    assert_string_equal(t, "a;b 6 1\na;c 2 8\n");
    free(t);
    /* equal totals: nothing scaled */
    t = render_diff("a;b 3\n", "a;c 3\n", true, false, &n);
    assert_string_equal(t, "a;b 3 0\na;c 0 3\n");
    free(t);
    /* addresses: two in one name, one running into a hex-looking letter
     * ("0x1f0x2" is one address then "x2", as Perl reads it), and one
     * "0x" without digits that stays */
    t = render_diff("m;0x7f12ab34 3\nm;f0x1fz0x2g 1\nm;0xg 1\nm;h0x1f0x2 1\n", "m;0x99 4\n",
                    false, true, &n);
    assert_int_equal(n, 4);
    assert_string_equal(t, "m;0x... 3 4\nm;0xg 1 0\nm;f0x...z0x...g 1 0\nm;h0x...x2 1 0\n");
    free(t);
}

/* difffolded.pl's two columns: a comparison, written back as it was read */
static void test_read_two_columns(void **state)
{
    (void)state;
    struct folded_stats st;
    char err[256];
    struct profile *p = read_text("m;enc;str 480 0\nm;enc;join 0 120\nm;send 300 300\n"
                                  "m;oops 7\nm;x y 3\n\n",
                                  &st, err);
    assert_non_null(p);
    assert_int_equal(st.columns, 2);
    assert_int_equal(st.stacks, 3);
    assert_int_equal(st.malformed, 2); /* one column, and "x y" no count */
    assert_true(profile_has_base(p));
    assert_float_equal(profile_total(p), 420, 0);
    assert_float_equal(profile_base(p, PROFILE_ROOT)->total, 780, 0);
    profile_sort_children(p);
    char *t = folded_text(p);
    assert_string_equal(t, "m;enc;join 0 120\nm;enc;str 480 0\nm;send 300 300\n");
    free(t);
    profile_free(p);
    /* the first valid line says which: one column, "a;b 3 0" is a name */
    p = read_text("a;b 5\na;c 3 0\n", &st, err);
    assert_non_null(p);
    assert_int_equal(st.columns, 1);
    assert_false(profile_has_base(p));
    assert_float_equal(profile_total(p), 5, 0);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_diff),
        cmocka_unit_test(test_read_two_columns),
        cmocka_unit_test(test_lines_sorted_by_stack_not_by_line),
        cmocka_unit_test(test_suffixes_and_counts),
        cmocka_unit_test(test_namesakes_from_two_modules_make_one_line),
        cmocka_unit_test(test_deep_and_wide_tree_roundtrip),
        cmocka_unit_test(test_read_accepts_what_writers_produce),
        cmocka_unit_test(test_read_unsorted_and_shared_prefixes),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_write_read_roundtrip),
        cmocka_unit_test(test_read_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
