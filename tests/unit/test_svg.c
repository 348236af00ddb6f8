/* svg: the flame graph's frames, titles and escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/diff.h"
#include "tprof/export.h"

static char *render(const struct profile *p, const char *title, long *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *n = svg_write(p, title, f);
    fclose(f);
    return buf;
}

static void test_frames_titles_and_escaping(void **state)
{
    (void)state;
    struct profile *p = profile_from("prog;main;a<b>&\"c\" 1500000\nprog;main;tcp_[k] 500000\n"
                                     "prog;tiny 1\n");
    long n;
    char *svg = render(p, "run \xff & co", &n);
    /* all, prog, main, the two leaves; tiny (0.0006 px) is left out */
    assert_int_equal(n, 5);
    assert_non_null(strstr(svg, "<title>all (2,000,001 samples, 100.00%)</title>"));
    assert_non_null(strstr(svg, "<title>a&lt;b&gt;&amp;&quot;c&quot; (1,500,000 samples, 75.00%)"));
    assert_non_null(strstr(svg, "<title>tcp_[k] (500,000 samples, 25.00%)</title>"));
    assert_null(strstr(svg, "tiny"));
    assert_non_null(strstr(svg, ">run \xef\xbf\xbd &amp; co</text>")); /* bad UTF-8 replaced */
    /* the root spans the width at the bottom; a child starts at its parent */
    assert_non_null(strstr(svg, "<rect x=\"10.000\" y=\"84\" width=\"1180.000\""));
    /* the kernel frame is orange (red > 190, blue 0) */
    const char *k = strstr(svg, "<title>tcp_[k]");
    assert_non_null(k);
    int r, g, b;
    assert_int_equal(sscanf(strstr(k, "fill=\"rgb("), "fill=\"rgb(%d,%d,%d)", &r, &g, &b), 3);
    assert_true(r >= 190 && b == 0);
    free(svg);
    profile_free(p);
}

static void test_seconds_and_labels(void **state)
{
    (void)state;
    struct profile *p = profile_from("p;a_rather_long_function_name_that_is_cut 1\np;b 199\n");
    profile_set_unit(p, PROFILE_SECONDS);
    long n;
    char *svg = render(p, "x", &n);
    assert_non_null(strstr(svg, "<title>b (199.000000 s, 99.50%)</title>"));
    /* a 5.9 px frame has no room for a label */
    const char *a = strstr(svg, "<title>a_rather_long");
    assert_non_null(a);
    assert_non_null(strstr(a, "\"></text></g>"));
    free(svg);
    profile_free(p);
}

/* A comparison drawn as flamegraph.pl draws difffolded.pl's output: widths
 * AFTER's, red by the growth of a frame's self share, blue by its fall,
 * white unchanged. */
static void test_differential(void **state)
{
    (void)state;
    struct profile *b = profile_from("m;slow 600\nm;same 400\n");
    struct profile *a = profile_from("m;slow 100\nm;same 400\nm;fast 500\n");
    struct profile *d = diff_profile_new(b, a, false);
    long n;
    char *svg = render(d, "diff", &n);
    assert_int_equal(n, 5); /* all, m, fast, same, slow; nothing of BEFORE only */
    assert_non_null(strstr(svg, "<title>fast (500 samples, 50.00%; +50.00%)</title>"));
    assert_non_null(strstr(svg, "<title>slow (100 samples, 10.00%; -50.00%)</title>"));
    assert_non_null(strstr(svg, "<title>same (400 samples, 40.00%; 0.00%)</title>"));
    int r, g, bl;
    assert_int_equal(sscanf(strstr(strstr(svg, "<title>fast"), "fill=\"rgb("),
                            "fill=\"rgb(%d,%d,%d)", &r, &g, &bl), 3);
    assert_true(r == 255 && g == 0 && bl == 0); /* the largest growth: full red */
    assert_int_equal(sscanf(strstr(strstr(svg, "<title>slow"), "fill=\"rgb("),
                            "fill=\"rgb(%d,%d,%d)", &r, &g, &bl), 3);
    assert_true(r == 0 && g == 0 && bl == 255);
    assert_int_equal(sscanf(strstr(strstr(svg, "<title>same"), "fill=\"rgb("),
                            "fill=\"rgb(%d,%d,%d)", &r, &g, &bl), 3);
    assert_true(r == 255 && g == 255 && bl == 255);
    free(svg);
    profile_free(d);
    profile_free(b);
    profile_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_titles_and_escaping),
        cmocka_unit_test(test_seconds_and_labels),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
