#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tprof/launch.h"

static void test_exit_statuses(void **state)
{
    (void)state;
    assert_int_equal(launch_exec_failure_status(ENOENT), 127);
    assert_int_equal(launch_exec_failure_status(EACCES), 126);
    assert_int_equal(launch_exec_failure_status(ENOEXEC), 126);
    char buf[128];
    launch_exec_failure_message("frob", ENOENT, buf, sizeof(buf));
    assert_string_equal(buf, "frob: command not found");
    launch_exec_failure_message("./frob", ENOENT, buf, sizeof(buf));
    assert_string_equal(buf, "./frob: No such file or directory");
}

static void test_launch_runs_after_go(void **state)
{
    (void)state;
    struct launch l;
    char err[128];
    char *argv[] = {"sh", "-c", "exit 5", NULL};
    assert_int_equal(launch_start(&l, argv, NULL, err, sizeof(err)), 0);
    /* Corked: it has not run yet. */
    int st;
    assert_int_equal(waitpid(l.pid, &st, WNOHANG), 0);
    assert_int_equal(launch_go(&l), 0);
    assert_int_equal(waitpid(l.pid, &st, 0), l.pid);
    assert_int_equal(launch_exit_status(st), 5);
}

static void test_launch_reports_exec_errno(void **state)
{
    (void)state;
    struct launch l;
    char err[128];
    char *argv[] = {"/nonexistent/program", NULL};
    assert_int_equal(launch_start(&l, argv, NULL, err, sizeof(err)), 0);
    assert_int_equal(launch_go(&l), ENOENT);
    int st;
    assert_int_equal(waitpid(l.pid, &st, 0), l.pid);
    assert_int_equal(launch_exit_status(st), 127);
}

static void test_abort_kills_corked_child(void **state)
{
    (void)state;
    struct launch l;
    char err[128];
    char *argv[] = {"true", NULL};
    assert_int_equal(launch_start(&l, argv, NULL, err, sizeof(err)), 0);
    launch_abort(&l);
    assert_int_equal(waitpid(l.pid, NULL, WNOHANG), -1); /* already reaped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_statuses),
        cmocka_unit_test(test_launch_runs_after_go),
        cmocka_unit_test(test_launch_reports_exec_errno),
        cmocka_unit_test(test_abort_kills_corked_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
