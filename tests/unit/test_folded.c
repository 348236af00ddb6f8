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

#include "tprof/folded.h"

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

static void test_write_file_is_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/out.folded", dir);
    struct profile *p = profile_new();
    uint32_t a = F(p, "a", FRAME_ROOT);
    profile_add_stack(p, &a, 1, 3);
    assert_int_equal(folded_write_file(p, path, err, sizeof(err)), 1);
    FILE *f = fopen(path, "r");
    char line[64] = "";
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, "a 3\n");
    /* A directory in the way: an error, and nothing left behind. */
    assert_int_equal(folded_write_file(p, dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Is a directory"));
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no/such/dir/x.folded", dir);
    assert_int_equal(folded_write_file(p, missing, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot write"));
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* empty: no temporary left */
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_sorted_by_stack_not_by_line),
        cmocka_unit_test(test_suffixes_and_counts),
        cmocka_unit_test(test_deep_and_wide_tree_roundtrip),
        cmocka_unit_test(test_write_file_is_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
