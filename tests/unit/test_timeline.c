/* timeline: seconds of samples per leaf, the shares of marked leaves per
 * stretch of the run, the profile of the last seconds, and the folding of
 * seconds older than ten minutes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/timeline.h"

/* P's leaf node for STACK (root first, frame names) */
static uint32_t leaf(struct profile *p, const char *const *names, size_t n)
{
    uint32_t ids[8];
    for (size_t i = 0; i < n; i++)
        ids[i] = frames_intern(profile_frames(p), names[i], strlen(names[i]), FRAME_USER, "");
    return profile_add_stack(p, ids, n, 0);
}

static void test_shares_and_window(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t one = leaf(p, (const char *const[]){"main", "one"}, 2);
    uint32_t two = leaf(p, (const char *const[]){"main", "two"}, 2);
    struct timeline *t = timeline_new();
    assert_int_equal(timeline_seconds(t), 0);
    for (uint32_t s = 0; s < 4; s++) /* one for 4 s, then two for 4 s */
        timeline_add(t, s, one, 10);
    timeline_add(t, 4, one, 5);
    timeline_add(t, 4, two, 5);
    for (uint32_t s = 5; s < 8; s++)
        timeline_add(t, s, two, 10);
    timeline_add(t, 3, two, 1); /* (a second gone by: counted in the current) */
    assert_int_equal(timeline_seconds(t), 8);
    size_t nodes = profile_node_count(p);
    uint8_t *mark = calloc(nodes, 1);
    mark[one] = 1;
    double sh[30];
    assert_int_equal(timeline_shares(t, mark, nodes, 30, sh), 8); /* a bin a second */
    assert_true(sh[0] == 1 && sh[3] == 1 && sh[4] == 0.5 && sh[5] == 0);
    assert_true(sh[7] == 0); /* 10 of two and the late 1 */
    assert_int_equal(timeline_shares(t, mark, nodes, 2, sh), 2); /* 4 s each */
    assert_true(sh[0] == 1 && sh[1] > 0.12 && sh[1] < 0.13);
    /* the last 3 seconds: two only */
    struct profile *w = timeline_window(t, p, 3);
    char *text = folded_text(w);
    assert_string_equal(text, "main;two 31\n");
    free(text);
    profile_free(w);
    w = timeline_window(t, p, 100);
    assert_true(profile_total(w) == 81);
    profile_free(w);
    free(mark);
    timeline_free(t);
    profile_free(p);
}

/* An hour: seconds older than ten minutes are folded away; the shares and
 * the window are of the last ten minutes. */
static void test_long_run_is_bounded(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    uint32_t one = leaf(p, (const char *const[]){"main", "one"}, 2);
    uint32_t two = leaf(p, (const char *const[]){"main", "two"}, 2);
    struct timeline *t = timeline_new();
    for (uint32_t s = 0; s < 3600; s++)
        timeline_add(t, s, s < 3000 ? one : two, 1);
    assert_int_equal(timeline_seconds(t), 3600);
    size_t nodes = profile_node_count(p);
    uint8_t *mark = calloc(nodes, 1);
    mark[two] = 1;
    double sh[10];
    assert_int_equal(timeline_shares(t, mark, nodes, 10, sh), 10);
    for (int i = 0; i < 10; i++) /* the last 600 s: all two */
        assert_true(sh[i] == 1);
    struct profile *w = timeline_window(t, p, 100000);
    assert_true(profile_total(w) == TIMELINE_SECONDS);
    profile_free(w);
    free(mark);
    timeline_free(t);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_and_window),
        cmocka_unit_test(test_long_run_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
