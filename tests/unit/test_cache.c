/* cache: where entries live ($XDG_CACHE_HOME/tprof, ~/.cache/tprof, none),
 * and that an entry is there whole or not at all. (Writes that fail midway
 * and directories of another user: test_dwcache.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/cache.h"

static void test_where(void **state)
{
    (void)state;
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    char *p = cache_path("e");
    assert_string_equal(p, "/x/cache/tprof/e");
    free(p);
    unsetenv("XDG_CACHE_HOME");
    p = cache_path("e");
    assert_string_equal(p, "/home/u/.cache/tprof/e");
    free(p);
    setenv("XDG_CACHE_HOME", "relative", 1); /* (ignored, as the spec says) */
    p = cache_path("e");
    assert_string_equal(p, "/home/u/.cache/tprof/e");
    free(p);
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    assert_null(cache_path("e"));
    setenv("HOME", "/home/u", 1);
    cache_set_enabled(false);
    assert_null(cache_path("e"));
    char *tmp, err[200];
    assert_int_equal(cache_create("e", &tmp, err, sizeof(err)), -1);
    cache_set_enabled(true);
}

static void test_whole_or_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-cache.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof(sub), "%s/tprof", dir);
    cache_set_dir(sub);
    char *tmp, err[200];
    int fd = cache_create("entry", &tmp, err, sizeof(err));
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(write(fd, "abc", 3), 3);
    char *path = cache_path("entry");
    assert_int_not_equal(access(path, F_OK), 0); /* not there before the commit */
    assert_int_equal(cache_commit("entry", fd, tmp, true, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 3);
    /* a write that went wrong: the old entry stays, the new file is gone */
    fd = cache_create("entry", &tmp, err, sizeof(err));
    char *kept = strdup(tmp);
    assert_int_equal(write(fd, "abcdef", 6), 6);
    assert_int_equal(cache_commit("entry", fd, tmp, false, err, sizeof(err)), -1);
    assert_int_not_equal(access(kept, F_OK), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 3);
    free(kept);
    unlink(path);
    free(path);
    rmdir(sub);
    rmdir(dir);
    cache_set_dir(NULL);
}

/* This boot's id, as the kernel gives it; and entries of boots gone
 * removed, only those of the prefix asked for. */
static void test_boot(void **state)
{
    (void)state;
    char id[40], want[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    assert_non_null(f);
    assert_non_null(fgets(want, sizeof(want), f));
    fclose(f);
    want[strcspn(want, "\n")] = '\0';
    assert_true(cache_boot_id(id, sizeof(id)));
    assert_string_equal(id, want);
    assert_false(cache_boot_id(id, 10)); /* (cut short: not an id) */

    char dir[] = "/tmp/tprof-cache.XXXXXX";
    assert_non_null(mkdtemp(dir));
    cache_set_dir(dir);
    const char *names[] = {"kbtf-old", "kbtf-now", "kallsyms-old", "x"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *e = fopen(path, "w");
        assert_non_null(e);
        fclose(e);
    }
    cache_remove_others("kbtf-", "kbtf-now");
    bool there[4];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        there[i] = access(path, F_OK) == 0;
        unlink(path);
    }
    assert_false(there[0]);
    assert_true(there[1] && there[2] && there[3]);
    rmdir(dir);
    cache_set_dir(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_whole_or_nothing),
        cmocka_unit_test(test_boot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
