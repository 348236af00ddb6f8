#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/cputime.h"

static void test_parse_stat_fields_after_the_last_paren(void **state)
{
    (void)state;
    /* a comm holding ") " and digits must not shift the fields */
    const char *line = "4242 (a) 1 2 (b) S 1 4242 4242 0 -1 4194560 120 0 0 0 "
                       "250 50 30 20 20 0 3 0 987654 1000 100\n";
    double self, reaped;
    unsigned long long start;
    assert_true(cputime_parse_stat(line, strlen(line), 100, &self, &reaped, &start));
    assert_true(self > 2.999 && self < 3.001);   /* (250 + 50) / 100 */
    assert_true(reaped > 0.499 && reaped < 0.501); /* (30 + 20) / 100 */
    assert_true(start == 987654);
}

static void test_parse_stat_refuses_malformed(void **state)
{
    (void)state;
    double self, reaped;
    unsigned long long start;
    const char *cut = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 5";
    assert_false(cputime_parse_stat(cut, strlen(cut), 100, &self, &reaped, &start));
    const char *noparen = "1 x S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 9 1 1";
    assert_false(cputime_parse_stat(noparen, strlen(noparen), 100, &self, &reaped, &start));
    const char *junk = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 5x 5 0 0 20 0 1 0 9 1 1";
    assert_false(cputime_parse_stat(junk, strlen(junk), 100, &self, &reaped, &start));
    const char *huge = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999999 5 0 0 20 0 1 0 9";
    assert_false(cputime_parse_stat(huge, strlen(huge), 100, &self, &reaped, &start));
    assert_false(cputime_parse_stat("", 0, 100, &self, &reaped, &start));
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void burn(double s)
{
    volatile unsigned long x = 0;
    double end = cpu_now() + s;
    while (cpu_now() < end)
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i;
}

static void test_tracks_from_now_and_final(void **state)
{
    (void)state;
    struct cputime *c = cputime_new();
    burn(0.05); /* before tracking: not counted */
    cputime_track(c, getpid(), true);
    assert_true(cputime_tracked(c, getpid()));
    double before = cputime_used(c);
    assert_true(before < 0.011);
    burn(0.3);
    cputime_poll(c);
    double after = cputime_used(c);
    assert_true(after >= 0.2); /* (10 ms ticks) */

    /* a child gone and not given a final figure stops counting; given
     * one (its rusage), it counts that */
    pid_t k = fork();
    if (k == 0)
        _exit(0);
    cputime_track(c, k, false);
    waitpid(k, NULL, 0);
    cputime_poll(c);
    double gone = cputime_used(c);
    assert_true(gone >= after && gone < after + 0.05);
    cputime_final(c, k, 1.5);
    assert_true(cputime_used(c) >= gone + 1.49);
    cputime_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_stat_fields_after_the_last_paren),
        cmocka_unit_test(test_parse_stat_refuses_malformed),
        cmocka_unit_test(test_tracks_from_now_and_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
