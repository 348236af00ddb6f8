#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/cache.h"
#include "tprof/kallsyms.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/tprof-kallsyms.XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "ffffffff81000000 T _stext\n"
               "ffffffff81002000 t do_one\n"
               "ffffffff81001000 T entry_SYSCALL_64\n"
               "ffffffff81003000 D some_data\n"
               "ffffffff81004000 t mod_func\t[ext4]\n"
               "ffffffff81005000 T _etext\n"
               "0000000000000000 T hidden\n");
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_lookup(void **state)
{
    (void)state;
    struct kallsyms *k = kallsyms_new(path);
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81001010), "entry_SYSCALL_64");
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81002000), "do_one");
    /* data symbols are not functions: do_one runs up to the next function */
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81003010), "do_one");
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81004001), "mod_func");
    assert_null(kallsyms_lookup(k, 0xffffffff80000000)); /* before the first */
    assert_null(kallsyms_lookup(k, 0xffffffff81006000)); /* past the last */
    kallsyms_free(k);
}

static void test_unreadable(void **state)
{
    (void)state;
    struct kallsyms *k = kallsyms_new("/nonexistent/kallsyms");
    assert_null(kallsyms_lookup(k, 0xffffffff81001010));
    kallsyms_free(k);
}

/* Aliases (one address, two names): the same one is chosen whether the
 * file needed sorting (a BPF program's symbols out of order) or not. */
static void test_aliases_stable(void **state)
{
    (void)state;
    const char *base = "ffffffff81000000 T zeta_alias\n"
                       "ffffffff81000000 T alpha_alias\n"
                       "ffffffff81001000 T next\n";
    char a[64], b[64];
    snprintf(a, sizeof(a), "/tmp/tprof-kalias.XXXXXX");
    snprintf(b, sizeof(b), "/tmp/tprof-kalias.XXXXXX");
    FILE *f = fdopen(mkstemp(a), "w");
    fprintf(f, "%s", base);
    fclose(f);
    f = fdopen(mkstemp(b), "w");
    fprintf(f, "%sffffffffc0001000 t bpf_prog_x\t[bpf]\nffffffff80000000 T early\n"
               "ffffffffc0002000 t end_marker\n", base);
    fclose(f);
    struct kallsyms *ka = kallsyms_new(a), *kb = kallsyms_new(b);
    assert_string_equal(kallsyms_lookup(ka, 0xffffffff81000010), "alpha_alias");
    assert_string_equal(kallsyms_lookup(kb, 0xffffffff81000010), "alpha_alias");
    assert_string_equal(kallsyms_lookup(kb, 0xffffffffc0001010), "bpf_prog_x");
    kallsyms_free(ka);
    kallsyms_free(kb);
    unlink(a);
    unlink(b);
}

/* Read in a thread: the same table (two at once, each sorting its own);
 * a missing file an empty table. */
static void test_in_a_thread(void **state)
{
    (void)state;
    struct kallsyms_job *j = kallsyms_start(path);
    struct kallsyms_job *twin = kallsyms_start(path);
    struct kallsyms_job *missing = kallsyms_start("/nonexistent/kallsyms");
    struct kallsyms *k = kallsyms_join(j);
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81001010), "entry_SYSCALL_64");
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81004001), "mod_func");
    kallsyms_free(k);
    k = kallsyms_join(twin);
    assert_string_equal(kallsyms_lookup(k, 0xffffffff81002000), "do_one");
    kallsyms_free(k);
    k = kallsyms_join(missing);
    assert_null(kallsyms_lookup(k, 0xffffffff81001010));
    kallsyms_free(k);
    /* started, never joined for a lookup: joined and freed with the rest */
    kallsyms_free(kallsyms_join(kallsyms_start(path)));
}

/* /proc/kallsyms through the cache: the first load writes this boot's
 * entry, the next reads it and names every kernel address as the file
 * does; an address past the kernel's own symbols asks for the file; an
 * entry that does not check (garbage, cut short) is read around. */
static void test_cached(void **state)
{
    (void)state;
    struct kallsyms *full = kallsyms_new("/proc/kallsyms");
    if (!kallsyms_lookup(full, 0xffffffff81001010) && geteuid() != 0) {
        print_message("skipped: /proc/kallsyms hides its addresses (not root)\n");
        kallsyms_free(full);
        return;
    }
    char dir[] = "/tmp/tprof-kcache.XXXXXX";
    assert_non_null(mkdtemp(dir));
    cache_set_dir(dir);
    kallsyms_free(kallsyms_load("/proc/kallsyms")); /* (writes the entry) */
    struct kallsyms *c = kallsyms_load("/proc/kallsyms");
    /* every core text address in the file: the same name */
    FILE *f = fopen("/proc/kallsyms", "r");
    char line[512];
    size_t n = 0, same = 0, partial = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long a;
        char type, name[256];
        if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || a == 0)
            continue;
        const char *want = kallsyms_lookup(full, a + 1);
        if (kallsyms_partial(c, a + 1)) {
            partial++;
            continue;
        }
        const char *got = kallsyms_lookup(c, a + 1);
        n++;
        bool eq = (want == NULL && got == NULL) || (want && got && strcmp(want, got) == 0);
        same += eq;
        if (!eq && n - same < 5)
            print_message("%llx %s: the file's %s, the cache's %s\n", a, name, want ? want : "-",
                          got ? got : "-");
        if (strchr(line, '['))
            fail_msg("a module's symbol answered from the cache: %s", line);
    }
    fclose(f);
    assert_true(n > 1000);
    assert_int_equal(same, n);
    assert_true(kallsyms_partial(c, 0xffffffffffffff00ULL));
    kallsyms_free(c);
    /* entries that do not check */
    DIR *d = opendir(dir);
    struct dirent *de;
    char entry[320] = "";
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "kallsyms-", 9) == 0)
            snprintf(entry, sizeof(entry), "%s/%s", dir, de->d_name);
    closedir(d);
    assert_true(entry[0]);
    struct stat st;
    stat(entry, &st);
    assert_int_equal(truncate(entry, st.st_size - 1), 0);
    c = kallsyms_load("/proc/kallsyms");
    assert_false(kallsyms_partial(c, 0xffffffffffffff00ULL)); /* read from the file */
    kallsyms_free(c);
    stat(entry, &st); /* (written again, whole) */
    f = fopen(entry, "r+");
    fseek(f, 40, SEEK_SET);
    fputs("\xff\xff\xff\xff\xff\xff\xff\xff", f); /* an address out of order */
    fclose(f);
    c = kallsyms_load("/proc/kallsyms");
    assert_false(kallsyms_partial(c, 0xffffffffffffff00ULL));
    kallsyms_free(c);
    kallsyms_free(full);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    cache_set_dir(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_aliases_stable),
        cmocka_unit_test(test_in_a_thread),
        cmocka_unit_test(test_cached),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
