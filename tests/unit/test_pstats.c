/* pstats: .prof statistics, hand-built, into snakeviz's tree and pstats's
 * own per-function table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tprof/pstats.h"
#include "tprof/stats.h"

#include "marshal_bytes.h"

static void str(struct buf *b, const char *s)
{
    u8(b, 'u');
    i32(b, (int32_t)strlen(s));
    for (const char *p = s; *p; p++)
        u8(b, (unsigned char)*p);
}

static void dbl(struct buf *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    u8(b, 'g');
    for (int i = 0; i < 8; i++)
        u8(b, (u >> (8 * i)) & 0xff);
}

static void key(struct buf *b, const char *file, int line, const char *name)
{
    u8(b, ')');
    u8(b, 3);
    str(b, file);
    u8(b, 'i');
    i32(b, line);
    str(b, name);
}

/* The value of an entry up to its callers dict, which the caller writes and
 * ends with '0'. */
static void value(struct buf *b, int nc, double tt, double ct)
{
    u8(b, ')');
    u8(b, 5);
    u8(b, 'i');
    i32(b, nc);
    u8(b, 'i');
    i32(b, nc);
    dbl(b, tt);
    dbl(b, ct);
    u8(b, '{');
}

static void edge(struct buf *b, const char *file, int line, const char *name, double ct)
{
    key(b, file, line, name);
    u8(b, ')');
    u8(b, 4);
    u8(b, 'i');
    i32(b, 1);
    u8(b, 'i');
    i32(b, 1);
    dbl(b, ct / 2);
    dbl(b, ct);
}

static uint32_t child(const struct profile *p, uint32_t node, const char *name)
{
    for (uint32_t c = profile_node(p, node)->first_child; c != PROFILE_NONE;
         c = profile_node(p, c)->next_sibling)
        if (strcmp(frames_get(profile_frames_const(p), profile_node(p, c)->frame)->name, name) ==
            0)
            return c;
    fail_msg("no child %s", name);
    return PROFILE_NONE;
}

static size_t nchildren(const struct profile *p, uint32_t node)
{
    size_t n = 0;
    for (uint32_t c = profile_node(p, node)->first_child; c != PROFILE_NONE;
         c = profile_node(p, c)->next_sibling)
        n++;
    return n;
}

static struct profile *read_ok(struct buf *b, struct pstats_stats *st)
{
    char err[256] = "";
    assert_true(pstats_detect(b->b, b->n));
    struct profile *p = pstats_read(b->b, b->n, st, err, sizeof(err));
    if (!p)
        fail_msg("pstats_read: %s", err);
    return p;
}

#define NEAR(a, b) assert_true((a) > (b)-1e-9 && (a) < (b) + 1e-9)

/* main (10 s) calls f (6) and g (3); f calls h (4) and itself (5: cut, a
 * recursion); g calls h for 4, more than g's 3: scaled down to 3. */
static void test_snakeviz_tree(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, '{' | 0x80);
    key(&b, "app.py", 1, "main");
    value(&b, 1, 1, 10);
    u8(&b, '0');
    key(&b, "app.py", 5, "f");
    value(&b, 3, 2, 6);
    edge(&b, "app.py", 1, "main", 6);
    edge(&b, "app.py", 5, "f", 5);
    u8(&b, '0');
    key(&b, "app.py", 9, "g");
    value(&b, 1, 0.5, 3);
    edge(&b, "app.py", 1, "main", 3);
    u8(&b, '0');
    key(&b, "/usr/lib/python3.11/json/decoder.py", 20, "h");
    value(&b, 2, 6.5, 8);
    edge(&b, "app.py", 5, "f", 4);
    edge(&b, "app.py", 9, "g", 4);
    u8(&b, '0');
    u8(&b, '0');
    struct pstats_stats st;
    struct profile *p = read_ok(&b, &st);
    assert_int_equal(st.functions, 4);
    NEAR(st.total_tt, 10);
    assert_int_equal(profile_unit(p), PROFILE_SECONDS);
    uint32_t m = child(p, PROFILE_ROOT, "main (app.py:1)");
    NEAR(profile_node(p, m)->total, 10);
    NEAR(profile_node(p, m)->self, 1);
    uint32_t f = child(p, m, "f (app.py:5)");
    NEAR(profile_node(p, f)->total, 6);
    NEAR(profile_node(p, f)->self, 2);
    assert_int_equal(nchildren(p, f), 1); /* f under f: cut */
    NEAR(profile_node(p, child(p, f, "h (json/decoder.py:20)"))->total, 4);
    uint32_t g = child(p, m, "g (app.py:9)");
    NEAR(profile_node(p, g)->total, 3);
    NEAR(profile_node(p, g)->self, 0);
    NEAR(profile_node(p, child(p, g, "h (json/decoder.py:20)"))->total, 3);
    NEAR(profile_total(p), 10);
    /* the table: pstats's own figures, of its total */
    struct func_stat *v;
    size_t n = stats_functions(p, PROFILE_ROOT, STATS_BY_SELF, &v);
    assert_int_equal(n, 4);
    assert_string_equal(frames_get(profile_frames_const(p), v[0].frame)->name,
                        "h (json/decoder.py:20)");
    NEAR(v[0].self, 6.5);
    NEAR(v[0].total, 8);
    free(v);
    size_t nflat;
    double base;
    assert_non_null(profile_flat(p, &nflat, &base));
    NEAR(base, 10);
    profile_free(p);
}

/* The profile module: callers give counts, builtins have file "", its own
 * entry is keyed by a code object; cProfile's builtins have file "~". */
static void test_profile_module_file(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, '{');
    key(&b, "a.py", 1, "a");
    value(&b, 1, 1, 4);
    u8(&b, '0');
    key(&b, "b.py", 1, "b");
    value(&b, 1, 1, 8);
    u8(&b, '0');
    key(&b, "", 0, "len");
    value(&b, 8, 8, 8);
    key(&b, "a.py", 1, "a");
    u8(&b, 'i');
    i32(&b, 2);
    key(&b, "b.py", 1, "b");
    u8(&b, 'i');
    i32(&b, 6);
    u8(&b, '0');
    key(&b, "~", 0, "<built-in method builtins.exec>");
    value(&b, 1, 0, 0);
    u8(&b, '0');
    /* ('prof.py', 3, <code object run>) */
    u8(&b, ')');
    u8(&b, 3);
    str(&b, "prof.py");
    u8(&b, 'i');
    i32(&b, 3);
    u8(&b, 'c');
    for (int i = 0; i < 5; i++)
        i32(&b, 0);
    u8(&b, 's'), i32(&b, 0);
    u8(&b, ')'), u8(&b, 0);
    u8(&b, ')'), u8(&b, 0);
    u8(&b, ')'), u8(&b, 0);
    u8(&b, 's'), i32(&b, 0);
    str(&b, "prof.py");
    str(&b, "run");
    str(&b, "Profile.run");
    i32(&b, 3);
    u8(&b, 's'), i32(&b, 0);
    u8(&b, 's'), i32(&b, 0);
    value(&b, 1, 0, 0);
    u8(&b, '0');
    u8(&b, '0');
    struct pstats_stats st;
    struct profile *p = read_ok(&b, &st);
    assert_int_equal(st.count_callers, 2);
    assert_int_equal(st.code_keys, 1);
    /* len's 8 s shared 2:6 by calls */
    NEAR(profile_node(p, child(p, child(p, PROFILE_ROOT, "a (a.py:1)"), "len"))->total, 2);
    NEAR(profile_node(p, child(p, child(p, PROFILE_ROOT, "b (b.py:1)"), "len"))->total, 6);
    assert_int_not_equal(frames_find(profile_frames_const(p), "Profile.run (prof.py:3)",
                                     FRAME_PYTHON, ""),
                         UINT32_MAX);
    assert_int_not_equal(frames_find(profile_frames_const(p), "<built-in method builtins.exec>",
                                     FRAME_USER, ""),
                         UINT32_MAX);
    profile_free(p);
}

/* Everyone is called (a cycle): the root is the largest. A caller with no
 * entry of its own is counted and left out. */
static void test_cycle_and_unknown_caller(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, '{');
    key(&b, "x.py", 1, "a");
    value(&b, 1, 1, 5);
    edge(&b, "x.py", 2, "b", 5);
    u8(&b, '0');
    key(&b, "x.py", 2, "b");
    value(&b, 1, 1, 4);
    edge(&b, "x.py", 1, "a", 4);
    edge(&b, "gone.py", 1, "z", 4);
    u8(&b, '0');
    u8(&b, '0');
    struct pstats_stats st;
    struct profile *p = read_ok(&b, &st);
    assert_int_equal(st.lost_callers, 1);
    uint32_t a = child(p, PROFILE_ROOT, "a (x.py:1)");
    assert_int_equal(nchildren(p, PROFILE_ROOT), 1);
    NEAR(profile_node(p, a)->total, 5);
    NEAR(profile_node(p, child(p, a, "b (x.py:2)"))->total, 4);
    profile_free(p);
}

/* exec() runs the script (from the top) and also imports (called from
 * importlib): the time its callers do not account for is a root. */
static void test_time_no_caller_accounts_for(void **state)
{
    (void)state;
    struct buf b = {0};
    u8(&b, '{');
    key(&b, "~", 0, "<built-in method builtins.exec>");
    value(&b, 2, 0, 10);
    edge(&b, "<frozen importlib._bootstrap>", 480, "_call_with_frames_removed", 3);
    u8(&b, '0');
    key(&b, "<frozen importlib._bootstrap>", 480, "_call_with_frames_removed");
    value(&b, 1, 0, 3);
    u8(&b, '0');
    key(&b, "w.py", 1, "<module>");
    value(&b, 1, 10, 10);
    edge(&b, "~", 0, "<built-in method builtins.exec>", 10);
    u8(&b, '0');
    u8(&b, '0');
    struct pstats_stats st;
    struct profile *p = read_ok(&b, &st);
    assert_int_equal(nchildren(p, PROFILE_ROOT), 2);
    uint32_t e = child(p, PROFILE_ROOT, "<built-in method builtins.exec>");
    NEAR(profile_node(p, e)->total, 7);
    NEAR(profile_node(p, child(p, e, "<module> (w.py:1)"))->total, 7);
    uint32_t c = child(p, PROFILE_ROOT, "_call_with_frames_removed (<frozen importlib._bootstrap>:480)");
    NEAR(profile_node(p, c)->total, 3);
    NEAR(profile_total(p), 10);
    profile_free(p);
}

static void test_errors(void **state)
{
    (void)state;
    char err[256];
    struct pstats_stats st;
    struct buf b = {0};
    u8(&b, '{'); /* a value that is not a 5-tuple */
    key(&b, "x.py", 1, "a");
    u8(&b, 'N');
    u8(&b, '0');
    assert_null(pstats_read(b.b, b.n, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "entry 1 is not a pstats entry"));
    b.n = 0;
    u8(&b, 'N');
    assert_null(pstats_read(b.b, b.n, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "not a dict"));
    b.n = 0;
    u8(&b, '{');
    key(&b, "x.py", 1, "a");
    value(&b, 1, 1, 1);
    key(&b, "x.py", 1, "a");
    u8(&b, 'N'); /* a caller's figures that are neither a tuple nor a count */
    u8(&b, '0');
    u8(&b, '0');
    assert_null(pstats_read(b.b, b.n, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "a caller's figures"));
    b.n = 0;
    u8(&b, '{');
    key(&b, "x.py", 1, "a");
    assert_null(pstats_read(b.b, b.n, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated"));
    b.n = 0;
    u8(&b, '{');
    key(&b, "x.py", 1, "a");
    value(&b, 1, 1.0 / 0.0, 1);
    u8(&b, '0');
    u8(&b, '0');
    assert_null(pstats_read(b.b, b.n, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "its times are not finite numbers"));
    /* detection: not folded text starting with '{' */
    assert_false(pstats_detect("{closure};f 1\n", 14));
    assert_true(pstats_detect("\xfb\x30", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snakeviz_tree),
        cmocka_unit_test(test_profile_module_file),
        cmocka_unit_test(test_cycle_and_unknown_caller),
        cmocka_unit_test(test_time_no_caller_accounts_for),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
