#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/atomicfile.h"

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_commit_and_abort(void **state)
{
    (void)state;
    char dir[] = "/tmp/tprof-unit.XXXXXX", path[256], err[256], line[32];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/f.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("old\n", f);
    fclose(f);

    /* Until commit, the old file is what readers see. */
    struct atomicfile *af = atomicfile_open(path, err, sizeof(err));
    assert_non_null(af);
    assert_int_equal(entries(dir), 1); /* no temporary until written to */
    fputs("new\n", atomicfile_stream(af));
    fflush(atomicfile_stream(af));
    f = fopen(path, "r");
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, "old\n");
    assert_int_equal(entries(dir), 2);
    assert_int_equal(atomicfile_commit(af, err, sizeof(err)), 0);
    f = fopen(path, "r");
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, "new\n");
    assert_int_equal(entries(dir), 1);

    /* Opened and never written: abort leaves nothing behind either. */
    af = atomicfile_open(path, err, sizeof(err));
    atomicfile_abort(af);
    assert_int_equal(entries(dir), 1);

    /* The directory must take a temporary: refused at open. */
    char ro[300];
    snprintf(ro, sizeof(ro), "%s/ro", dir);
    assert_int_equal(mkdir(ro, 0555), 0);
    snprintf(ro, sizeof(ro), "%s/ro/x.folded", dir);
    af = atomicfile_open(ro, err, sizeof(err));
    if (geteuid() != 0) { /* (root writes anywhere) */
        assert_null(af);
        assert_non_null(strstr(err, "Permission denied"));
    } else {
        atomicfile_abort(af);
    }
    snprintf(ro, sizeof(ro), "%s/ro", dir);
    rmdir(ro);

    /* Abort leaves the old file and no temporary. */
    af = atomicfile_open(path, err, sizeof(err));
    fputs("half", atomicfile_stream(af));
    atomicfile_abort(af);
    atomicfile_abort(NULL);
    assert_int_equal(entries(dir), 1);
    unlink(path);
    rmdir(dir);
}

/* A signal that ends the process while a temporary is being written
 * (^C during a long convert) removes the temporary; the old file stays,
 * and the process still ends by that signal. */
static void test_signal_removes_temporary(void **state)
{
    (void)state;
    const int sigs[] = {SIGINT, SIGTERM};
    for (size_t k = 0; k < 2; k++) {
        char dir[] = "/tmp/tprof-unit.XXXXXX", path[256];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/out.folded", dir);
        FILE *f = fopen(path, "w");
        fputs("old 1\n", f);
        fclose(f);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char err[256];
            struct atomicfile *af = atomicfile_open(path, err, sizeof(err));
            FILE *o = af ? atomicfile_stream(af) : NULL;
            if (!o)
                _exit(2);
            fputs("half a profile", o);
            fflush(o);
            if (entries(dir) != 2) /* the temporary is there */
                _exit(3);
            raise(sigs[k]);
            _exit(4);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), sigs[k]);
        assert_int_equal(entries(dir), 1);
        char line[32] = "";
        f = fopen(path, "r");
        assert_non_null(fgets(line, sizeof(line), f));
        fclose(f);
        assert_string_equal(line, "old 1\n");
        unlink(path);
        rmdir(dir);
    }
}

int main(void)
{
    /* (run in the background, the tests inherit SIGINT ignored, which
     * atomicfile rightly leaves so, once per process: they are of the
     * default) */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_and_abort),
        cmocka_unit_test(test_signal_removes_temporary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
