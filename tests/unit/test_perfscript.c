#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/folded.h"
#include "tprof/perfscript.h"

/* TEXT read as perf script with O, written as folded (malloc'd), or NULL
 * with ERR. */
static char *collapse(const char *text, const struct perfscript_opts *o,
                      struct perfscript_stats *st, char *err, size_t errlen)
{
    char path[] = "/tmp/tprof-unit-ps.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct input *in = input_open(path, err, errlen);
    assert_non_null(in);
    struct profile *p = perfscript_read(in, o, st, err, errlen);
    input_close(in);
    unlink(path);
    if (!p)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    folded_write(p, f);
    fclose(f);
    profile_free(p);
    return buf;
}

static const char two_samples[] =
    "# a comment\n"
    "prog 100/101 [001] 1.000: 250000 cycles: \n"
    "\t    1000 leaf+0x10 (/usr/bin/prog)\n"
    "\t    2000 main+0x3 (/usr/bin/prog)\n"
    "\t    3000 [unknown] (/usr/lib/libc.so.6)\n"
    "\n"
    "prog 100/102 [001] 1.001: 250000 cycles: \n"
    "\tffffffff81000000 do_syscall_64+0x5 ([kernel.kallsyms])\n"
    "\t    2000 main+0x3 (/usr/bin/prog)\n"
    "\n";

static void test_stacks_root_first_with_periods(void **state)
{
    (void)state;
    struct perfscript_opts o = {0};
    struct perfscript_stats st;
    char err[256];
    char *out = collapse(two_samples, &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "prog;[libc.so.6];main;leaf 250000\n"
                             "prog;main;do_syscall_64 250000\n");
    assert_int_equal(st.samples, 2);
    assert_string_equal(st.event, "cycles");
    free(out);
}

static void test_flags_pid_tid_kernel_addrs(void **state)
{
    (void)state;
    char err[256];
    struct perfscript_opts o = {.tid = true, .kernel = true, .addrs = true};
    char *out = collapse(two_samples, &o, NULL, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "prog-100/101;[libc.so.6 <3000>];main;leaf 250000\n"
                             "prog-100/102;main;do_syscall_64_[k] 250000\n");
    free(out);
    o = (struct perfscript_opts){.pid = true};
    out = collapse(two_samples, &o, NULL, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "prog-100;[libc.so.6];main;leaf 250000\n"
                             "prog-100;main;do_syscall_64 250000\n");
    free(out);
}

static void test_first_event_kept_or_the_one_named(void **state)
{
    (void)state;
    const char *text = "aa 1 1.0: cpu-clock: \n\t1 f (m)\n\n"
                       "aa 1 1.0: task-clock: \n\t1 g (m)\n\n"
                       "aa 1 1.0: cpu-clock: \n\t1 f (m)\n\n";
    char err[256];
    struct perfscript_opts o = {0};
    struct perfscript_stats st;
    char *out = collapse(text, &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "aa;f 2\n");
    assert_int_equal(st.other_events, 1);
    free(out);
    o.event = "task-clock";
    out = collapse(text, &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "aa;g 1\n");
    assert_int_equal(st.other_events, 2);
    free(out);
    /* an event name longer than st.event holds is still matched whole */
    char longtext[512];
    char ev[200];
    memset(ev, 'e', sizeof(ev) - 1);
    ev[sizeof(ev) - 1] = '\0';
    snprintf(longtext, sizeof(longtext), "aa 1 1.0: %s: \n\t1 f (m)\n\naa 1 1.0: %s: \n\t1 f (m)\n\n", ev, ev);
    struct perfscript_opts none = {0};
    out = collapse(longtext, &none, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "aa;f 2\n");
    assert_int_equal(st.other_events, 0);
    free(out);
    o.event = "cycles";
    assert_null(collapse(text, &o, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "no samples of event cycles"));
}

static void test_without_call_chains(void **state)
{
    (void)state;
    const char *text =
        "             hot  4424 51045.194089:    1001001 cpu-clock:ppp:      558d264d429b spin+0x2b (/b/hot)\n"
        "             hot  4424 51045.195092:    1001001 cpu-clock:ppp:      558d264d4294 spin+0x24 (/b/hot)\n"
        "     Web Content  4425 51045.195092:    1001001 cpu-clock:ppp:      558d264d4294 [unknown] (/b/libxul.so)\n";
    char err[256];
    struct perfscript_opts o = {0};
    assert_true(perfscript_detect(text, strlen(text)));
    char *out = collapse(text, &o, NULL, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "Web_Content;[libxul.so] 1001001\nhot;spin 2002002\n");
    free(out);
}

static void test_inlined_chain_and_skipped_frames(void **state)
{
    (void)state;
    const char *text = "pp 5 1.0: 1 cycles: \n"
                       "\t10 inner->outer+0x4 (/bin/p)\n"
                       "\t20 (p) (/bin/p)\n"
                       "\t30 main (/bin/p)\n"
                       "\t40  (/lib/libc.so.6)\n"
                       "\n";
    char err[256];
    struct perfscript_opts o = {0};
    char *out = collapse(text, &o, NULL, err, sizeof(err));
    assert_non_null(out);
    /* a blank symbol is named as [unknown] is (the script says " ") */
    assert_string_equal(out, "pp;[libc.so.6];main;inner;outer_[i] 1\n");
    free(out);
}

/* The shapes inferno reads and the script did not: a file of one sample
 * with no blank line after it, and an event printed with its modifiers on
 * one line and without on the next. */
static void test_one_sample_and_event_modifiers(void **state)
{
    (void)state;
    char err[256];
    struct perfscript_opts o = {0};
    struct perfscript_stats st;
    char *out = collapse("pp 5 [000] 1.0:   1001 cpu-clock:uhH: \n"
                         "\t10 leaf+0x4 (/bin/p)\n\t20 main+0x10 (/bin/p)\n",
                         &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "pp;main;leaf 1001\n");
    assert_int_equal(st.samples, 1);
    assert_string_equal(st.event, "cpu-clock");
    free(out);
    const char *single = "false 64414 20110.539270:      34467 cycles:u:  ffffffff9aa3c8de f (/bin/p)\n"
                         "false 64414 20110.539271:      10000 cycles:  ffffffff9aa3c8de g (/bin/p)\n"
                         "false 64414 20110.539272:      20000 cycles:ppp:  ffffffff9aa3c8de g (/bin/p)\n";
    out = collapse(single, &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "false;f 34467\nfalse;g 30000\n");
    assert_int_equal(st.other_events, 0);
    free(out);
    /* --event with modifiers names the same event */
    o.event = "cycles:u";
    out = collapse(single, &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "false;f 34467\nfalse;g 30000\n");
    free(out);
    /* a tracepoint's name is no modifier: two tracepoints stay two events */
    o.event = NULL;
    out = collapse("pp 5 1.0: sched:sched_switch: \n\t10 f (/bin/p)\n\n"
                   "pp 5 1.0: sched:sched_wakeup: \n\t10 g (/bin/p)\n\n",
                   &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "pp;f 1\n");
    assert_int_equal(st.other_events, 1);
    assert_string_equal(st.event, "sched:sched_switch");
    free(out);
}

static void test_malformed_lines_and_a_cut_end(void **state)
{
    (void)state;
    const char *text = "pp 5 1.0: 1 cycles: \n"
                       "\t10 f (/bin/p)\n"
                       "\tthis is not a frame\n"
                       "\n"
                       "pp 5 1.0: 1 cycles: \n"
                       "\t10 g (/bin/p)\n"
                       "pp 5 1.0: 1 cycles: \n"
                       "\t10 h (/bin/p)\n"; /* the last: no blank line needed */
    char err[256];
    struct perfscript_opts o = {0};
    struct perfscript_stats st;
    char *out = collapse(text, &o, &st, err, sizeof(err));
    assert_non_null(out);
    /* g: another header follows with no blank line between */
    assert_string_equal(out, "pp;f 1\npp;h 1\n");
    assert_int_equal(st.unrecognized, 1);
    assert_int_equal(st.unfinished, 1);
    free(out);
    /* a header the input ends on, with no frames: nothing to take */
    out = collapse("pp 5 1.0: 1 cycles: \n\t10 f (/bin/p)\n\npp 5 1.0: 1 cycles: \n", &o, &st, err,
                   sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "pp;f 1\n");
    assert_int_equal(st.unfinished, 1);
    free(out);
    /* a period past 2^53 is no count: that sample is not taken */
    out = collapse("pp 5 1.0: 99999999999999999999 cycles: \n\t10 f (/bin/p)\n\n"
                   "pp 5 1.0: 2 cycles: \n\t10 g (/bin/p)\n\n",
                   &o, &st, err, sizeof(err));
    assert_non_null(out);
    assert_string_equal(out, "pp;g 2\n");
    assert_int_equal(st.unrecognized, 1);
    free(out);
    /* nothing but noise: an error */
    assert_null(collapse("\tjunk\n\n", &o, &st, err, sizeof(err)));
    assert_non_null(strstr(err, "no samples"));
    /* a NUL byte: binary */
    char bin[] = "pp 5 1.0: 1 cycles: \n\t1 f (m)\n\n";
    bin[4] = '\0';
    char path[] = "/tmp/tprof-unit-ps.XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, bin, sizeof(bin) - 1), (ssize_t)sizeof(bin) - 1);
    close(fd);
    struct input *in = input_open(path, err, sizeof(err));
    assert_null(perfscript_read(in, &o, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "binary data (a NUL byte at offset 4)"));
    input_close(in);
    unlink(path);
}

static void tidy_is(const char *raw, const char *want)
{
    char out[256];
    perfscript_tidy(raw, strlen(raw), out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_tidy(void **state)
{
    (void)state;
    tidy_is("foo(int)", "foo");
    tidy_is("std::function<int (int, int)>::operator()", "std::function<int (int, int)>::operator()");
    tidy_is("std::function<int (int, int)>::operator()(int, int) const",
            "std::function<int (int, int)>::operator()");
    tidy_is("(anonymous namespace)::bar(char const*)", "(anonymous namespace)::bar");
    tidy_is("operator<<(std::ostream&, int)", "operator<<");
    tidy_is("a::operator<(a const&) const", "a::operator<");
    tidy_is("main.(*Server).handle", "main.(*Server).handle");
    tidy_is("Lcom/x/Y;.run(I)V", "Lcom/x/Y:.run");
    tidy_is("say \"hi\"", "say hi");
    tidy_is("Java_'x'", "Java_x");
    /* cut to the room given */
    char small[4];
    assert_int_equal(perfscript_tidy("abcdef", 6, small, sizeof(small)), 3);
    assert_string_equal(small, "abc");
}

static void test_detect(void **state)
{
    (void)state;
    const char *ps = "# header\n\nprog 1/2 [000] 1.0: 1 cycles: \n\t1 f (m)\n";
    assert_true(perfscript_detect(ps, strlen(ps)));
    const char *old = "node-v011 31912 cpu-clock: \n\t1 f (m)\n";
    assert_true(perfscript_detect(old, strlen(old)));
    const char *folded = "prog;main;f 12\n";
    assert_false(perfscript_detect(folded, strlen(folded)));
    const char *folded2 = "prog 1 2\n";
    assert_false(perfscript_detect(folded2, strlen(folded2)));
    assert_false(perfscript_detect("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stacks_root_first_with_periods),
        cmocka_unit_test(test_flags_pid_tid_kernel_addrs),
        cmocka_unit_test(test_first_event_kept_or_the_one_named),
        cmocka_unit_test(test_without_call_chains),
        cmocka_unit_test(test_inlined_chain_and_skipped_frames),
        cmocka_unit_test(test_malformed_lines_and_a_cut_end),
        cmocka_unit_test(test_one_sample_and_event_modifiers),
        cmocka_unit_test(test_tidy),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
