/* sigmask: libunwind's block-everything/restore pair is skipped while
 * quiet, and nothing else is: the real mask (read with pthread_sigmask,
 * which does not come through the interposed sigprocmask) is checked
 * after each call. That libunwind's calls come here is checked where a
 * stack is unwound (test_unwind). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tprof/sigmask.h"

static bool really_blocked(int sig)
{
    sigset_t cur;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
    return sigismember(&cur, sig);
}

static void unblock_all(void)
{
    sigset_t none;
    sigemptyset(&none);
    assert_int_equal(pthread_sigmask(SIG_SETMASK, &none, NULL), 0);
}

static void test_loud_calls_go_through(void **state)
{
    (void)state;
    unblock_all();
    sigset_t one, old;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    unsigned long before = sigmask_skipped();
    assert_int_equal(sigprocmask(SIG_BLOCK, &one, &old), 0);
    assert_true(really_blocked(SIGUSR1));
    assert_false(sigismember(&old, SIGUSR1));
    sigset_t full;
    sigfillset(&full);
    assert_int_equal(sigprocmask(SIG_SETMASK, &full, NULL), 0);
    assert_true(really_blocked(SIGUSR2));
    assert_int_equal(sigmask_skipped(), before);
    unblock_all();
}

static void test_quiet_pair_skipped(void **state)
{
    (void)state;
    unblock_all();
    sigset_t one, full, old;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    assert_int_equal(sigprocmask(SIG_BLOCK, &one, NULL), 0);
    sigfillset(&full);
    unsigned long before = sigmask_skipped();
    sigmask_quiet(true);
    /* the block: skipped, and OLD is the real mask */
    assert_int_equal(sigprocmask(SIG_SETMASK, &full, &old), 0);
    assert_false(really_blocked(SIGUSR2));
    assert_true(sigismember(&old, SIGUSR1));
    assert_false(sigismember(&old, SIGUSR2));
    /* the restore of that mask: skipped */
    assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    assert_int_equal(sigmask_skipped(), before + 2);
    /* another mask, or another way: made */
    sigset_t two;
    sigemptyset(&two);
    sigaddset(&two, SIGUSR2);
    assert_int_equal(sigprocmask(SIG_SETMASK, &two, NULL), 0);
    assert_true(really_blocked(SIGUSR2));
    assert_false(really_blocked(SIGUSR1));
    assert_int_equal(sigprocmask(SIG_UNBLOCK, &two, NULL), 0);
    assert_false(really_blocked(SIGUSR2));
    assert_int_equal(sigmask_skipped(), before + 2);
    sigmask_quiet(false);
    unblock_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loud_calls_go_through),
        cmocka_unit_test(test_quiet_pair_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
