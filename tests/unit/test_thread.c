/* thread: a helper thread runs with every signal blocked (signals are the
 * main thread's), and the main thread's mask is as it was. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tprof/thread.h"

static void *probe(void *arg)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    *(int *)arg = sigismember(&cur, SIGINT) && sigismember(&cur, SIGCHLD) &&
                  sigismember(&cur, SIGTERM);
    return NULL;
}

static void test_signals_stay_with_main(void **state)
{
    (void)state;
    sigset_t none, cur;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    int blocked = -1;
    pthread_t t;
    assert_true(thread_spawn(&t, probe, &blocked));
    pthread_join(t, NULL);
    assert_int_equal(blocked, 1);
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    assert_false(sigismember(&cur, SIGINT));
    assert_false(sigismember(&cur, SIGCHLD));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_signals_stay_with_main)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
