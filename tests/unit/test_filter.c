#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/filter.h"

static const char *const P = "main;a;lock;spin 4\nmain;b;lock;spin 2\nmain;b;work 3\nmain;c 1\n";

static void check(struct filter **f, size_t n, const char *want)
{
    struct profile *p = profile_from(P);
    struct profile *q = filter_apply(p, f, n);
    char *got = folded_text(q);
    assert_string_equal(got, want);
    free(got);
    profile_free(q);
    profile_free(p);
}

static void test_focus_hide_invert(void **state)
{
    (void)state;
    char err[128];
    struct filter *focus = filter_new(FILTER_FOCUS, "^lock$", false, err, sizeof(err));
    struct filter *hide = filter_new(FILTER_HIDE, "lock|spin", false, err, sizeof(err));
    struct filter *inv = filter_new(FILTER_INVERT, NULL, false, err, sizeof(err));
    struct filter *exact = filter_new(FILTER_FOCUS, "b", true, err, sizeof(err));
    assert_string_equal(filter_label(focus), "focus ^lock$");
    assert_string_equal(filter_label(inv), "invert");

    check(&focus, 1, "main;a;lock;spin 4\nmain;b;lock;spin 2\n");
    check(&hide, 1, "main;a 4\nmain;b 2\nmain;b;work 3\nmain;c 1\n");
    check(&inv, 1, "c;main 1\nspin;lock;a;main 4\nspin;lock;b;main 2\nwork;b;main 3\n");
    check(&exact, 1, "main;b;lock;spin 2\nmain;b;work 3\n");
    struct filter *both[] = {focus, inv};
    check(both, 2, "spin;lock;a;main 4\nspin;lock;b;main 2\n");
    /* order matters: hide, then focus on what is left */
    struct filter *hf[] = {hide, exact};
    check(hf, 2, "main;b 2\nmain;b;work 3\n");

    filter_free(focus);
    filter_free(hide);
    filter_free(inv);
    filter_free(exact);
    filter_free(NULL);
}

static void test_bad_regex(void **state)
{
    (void)state;
    char err[128];
    assert_null(filter_new(FILTER_HIDE, "a(", false, err, sizeof(err)));
    assert_non_null(strstr(err, "bad regular expression 'a('"));
}

static void test_result_is_sorted_heaviest_first(void **state)
{
    (void)state;
    struct profile *p = profile_from("m;light 1\nm;heavy 9\n");
    struct profile *q = filter_apply(p, NULL, 0);
    uint32_t m = profile_node(q, PROFILE_ROOT)->first_child;
    uint32_t first = profile_node(q, m)->first_child;
    assert_string_equal(frames_get(profile_frames_const(q), profile_node(q, first)->frame)->name,
                        "heavy");
    profile_free(q);
    profile_free(p);
}

/* Hiding every frame a stack has leaves it with no frames (its samples stay
 * on the root): --focus a --hide a on "a 1" once did arithmetic on NULL. */
static void test_hide_everything(void **state)
{
    (void)state;
    char err[128];
    struct filter *f[2] = {filter_new(FILTER_FOCUS, "a", false, err, sizeof(err)),
                           filter_new(FILTER_HIDE, "a", false, err, sizeof(err))};
    struct profile *p = profile_from("a 1\n");
    struct profile *q = filter_apply(p, f, 2);
    assert_true(profile_total(q) == 1);
    assert_int_equal(profile_node_count(q), 1);
    profile_free(q);
    profile_free(p);
    filter_free(f[0]);
    filter_free(f[1]);
}

/* By module: each frame becomes its module, a run of one module one frame;
 * the process root stays; kernel, JIT and Python frames are theirs. A
 * profile whose frames name no module (a folded file's) says so. */
static void test_by_module(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    struct frames *fr = profile_frames(p);
    uint32_t root = frames_intern(fr, "app", 3, FRAME_ROOT, "");
    uint32_t st = frames_intern(fr, "_start", 6, FRAME_USER, "app");
    uint32_t lm = frames_intern(fr, "__libc_start_main", 17, FRAME_USER, "libc.so.6");
    uint32_t mn = frames_intern(fr, "main", 4, FRAME_USER, "app");
    uint32_t wr = frames_intern(fr, "write", 5, FRAME_USER, "libc.so.6");
    uint32_t sy = frames_intern(fr, "entry_SYSCALL_64", 16, FRAME_KERNEL, "[kernel.kallsyms]");
    uint32_t ks = frames_intern(fr, "ksys_write", 10, FRAME_KERNEL, "[kernel.kallsyms]");
    uint32_t js = frames_intern(fr, "JS:*fib", 7, FRAME_JIT, "[jit]");
    uint32_t py = frames_intern(fr, "work (a.py:3)", 13, FRAME_PYTHON, "");
    uint32_t in = frames_intern(fr, "helper", 6, FRAME_INLINE, "app");
    profile_add_stack(p, (uint32_t[]){root, st, lm, mn, in, wr, sy, ks}, 8, 5);
    profile_add_stack(p, (uint32_t[]){root, st, lm, mn, js, js}, 6, 3);
    profile_add_stack(p, (uint32_t[]){root, st, lm, mn, py}, 5, 2);
    assert_true(filter_modules_known(p));
    char err[64];
    struct filter *m = filter_new(FILTER_MODULES, NULL, false, err, sizeof(err));
    assert_string_equal(filter_label(m), "modules");
    struct profile *q = filter_apply(p, &m, 1);
    char *got = folded_text(q);
    assert_string_equal(got, "app;app;libc.so.6;app;Python 2\n"
                             "app;app;libc.so.6;app;[jit]_[j] 3\n"
                             "app;app;libc.so.6;app;libc.so.6;[kernel]_[k] 5\n");
    free(got);
    profile_free(q);
    profile_free(p);
    p = profile_from(P);
    assert_false(filter_modules_known(p));
    profile_free(p);
    filter_free(m);
}

/* Roots: one per thread ("comm-PID/TID") merged up per process or by
 * program; names that are not such roots stay. */
static void test_roots(void **state)
{
    (void)state;
    static const char *const T = "app-10/11;main;a 2\napp-10/12;main;b 3\n"
                                 "app-30/30;main;a 4\nkworker/0:1-ev;x 1\n";
    struct profile *p = profile_from(T);
    assert_int_equal(filter_roots_level(p), ROOTS_THREAD);
    struct filter *f = filter_new_roots(ROOTS_MERGED);
    assert_string_equal(filter_label(f), "by program");
    struct profile *q = filter_apply(p, &f, 1);
    char *got = folded_text(q);
    assert_string_equal(got, "app;main;a 6\napp;main;b 3\nkworker/0:1-ev;x 1\n");
    assert_int_equal(filter_roots_level(q), ROOTS_MERGED);
    free(got);
    profile_free(q);
    filter_free(f);
    f = filter_new_roots(ROOTS_PROCESS);
    q = filter_apply(p, &f, 1);
    got = folded_text(q);
    assert_string_equal(got, "app-10;main;a 2\napp-10;main;b 3\napp-30;main;a 4\n"
                             "kworker/0:1-ev;x 1\n");
    assert_int_equal(filter_roots_level(q), ROOTS_PROCESS);
    free(got);
    profile_free(q);
    filter_free(f);
    profile_free(p);
    char out[64];
    assert_true(filter_root_name("a-b-12/13", ROOTS_MERGED, out, sizeof(out)));
    assert_string_equal(out, "a-b");
    assert_true(filter_root_name("a-b-12/13", ROOTS_PROCESS, out, sizeof(out)));
    assert_string_equal(out, "a-b-12");
    assert_true(filter_root_name("a-12", ROOTS_MERGED, out, sizeof(out)));
    assert_string_equal(out, "a");
    assert_false(filter_root_name("a-12", ROOTS_PROCESS, out, sizeof(out)));
    assert_false(filter_root_name("-12", ROOTS_MERGED, out, sizeof(out)));
    assert_false(filter_root_name("a/12", ROOTS_MERGED, out, sizeof(out)));
    assert_false(filter_root_name("a-12345678901/1", ROOTS_MERGED, out, sizeof(out)));
}

/* Python frames by function: the line goes, so an edit above a function
 * (every line one further) leaves the profile as it was; short names as
 * pstats names functions. Native frames and names not of that form stay. */
static void test_python_by_function(void **state)
{
    (void)state;
    char out[128];
    assert_true(filter_pyfunc_name("Frame.size (codec.py:26)", false, out, sizeof(out)));
    assert_string_equal(out, "Frame.size (codec.py)");
    assert_true(filter_pyfunc_name("Frame.size (codec.py:26)", true, out, sizeof(out)));
    assert_string_equal(out, "size (codec.py)");
    assert_true(filter_pyfunc_name("sort.<locals>.<lambda> (a (b).py:31)", true, out, sizeof(out)));
    assert_string_equal(out, "<lambda> (a (b).py)");
    assert_true(filter_pyfunc_name("x.f (a (b).py:3)", false, out, sizeof(out)));
    assert_string_equal(out, "x.f (a (b).py)");
    assert_false(filter_pyfunc_name("encode (codec.py)", false, out, sizeof(out)));
    assert_false(filter_pyfunc_name("f (x:)", false, out, sizeof(out)));
    assert_false(filter_pyfunc_name(" (x.py:3)", false, out, sizeof(out)));
    assert_false(filter_pyfunc_name("f (x.py:3)", false, out, 8)); /* no room */

    struct profile *before = profile_from("py;<module> (m.py:1);main (m.py:10);enc (m.py:3) 5\n"
                                          "py;<module> (m.py:1);main (m.py:10);helper 2\n");
    struct profile *after = profile_from("py;<module> (m.py:1);main (m.py:11);enc (m.py:4) 5\n"
                                         "py;<module> (m.py:1);main (m.py:11);helper 2\n");
    struct filter *f = filter_new_pyfunc(false);
    assert_string_equal(filter_label(f), "Python by function");
    struct profile *b = filter_apply(before, &f, 1), *a = filter_apply(after, &f, 1);
    char *tb = folded_text(b), *ta = folded_text(a);
    assert_string_equal(tb, "py;<module> (m.py);main (m.py);enc (m.py) 5\n"
                            "py;<module> (m.py);main (m.py);helper 2\n");
    assert_string_equal(tb, ta);
    free(tb);
    free(ta);
    profile_free(b);
    profile_free(a);
    filter_free(f);
    /* two lines of one function merge into one frame */
    struct profile *two = profile_from("py;Cls.run (m.py:5) 3\npy;Cls.run (m.py:9) 4\n");
    f = filter_new_pyfunc(true);
    struct profile *t = filter_apply(two, &f, 1);
    char *tt = folded_text(t);
    assert_string_equal(tt, "py;run (m.py) 7\n");
    free(tt);
    profile_free(t);
    profile_free(two);
    filter_free(f);
    profile_free(before);
    profile_free(after);
}

/* The Python view: a stack with Python frames starts at the outermost one
 * under one start-up frame (a thread's its own), CPython's call machinery
 * goes, the C function called and what is below it stay; a stack with no
 * Python frame is left as it is. The kernel fold: a stack's kernel frames
 * become its system call, or its entry. */
static void test_python_view_and_kernel_fold(void **state)
{
    (void)state;
    struct profile *p = profile_from(
        "py;_start;__libc_start_main;Py_RunMain;_PyEval_EvalFrameDefault;<module> (m.py:1);"
        "main (m.py:5);_PyObject_MakeTpCall;cfunction_call;sock_sendall;send;"
        "entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];__x64_sys_sendto_[k];tcp_sendmsg_[k] 4\n"
        "py;clone3;start_thread;thread_run;_PyEval_Vector;Thread.run (threading.py:9);"
        "work (m.py:20) 3\n"
        "py;_start;main;compress;asm_exc_page_fault_[k];exc_page_fault_[k] 2\n"
        "py;_start;Py_BytesMain;Py_RunMain;Py_FinalizeEx;PyObject_Vectorcall;gc_collect 1\n");
    struct filter *v = filter_new_view(FILTER_PYVIEW), *k = filter_new_view(FILTER_KFOLD);
    assert_string_equal(filter_label(v), "Python view");
    assert_true(filter_python_known(p));
    struct profile *q = filter_apply(p, &v, 1);
    char *t = folded_text(q);
    assert_string_equal(t,
                        "py;[python start-up];<module> (m.py:1);main (m.py:5);sock_sendall;send;"
                        "entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];__x64_sys_sendto_[k];"
                        "tcp_sendmsg_[k] 4\n"
                        "py;[python start-up];Py_FinalizeEx;gc_collect 1\n"
                        "py;[python thread start-up];Thread.run (threading.py:9);work (m.py:20) 3\n"
                        "py;_start;main;compress;asm_exc_page_fault_[k];exc_page_fault_[k] 2\n");
    free(t);
    profile_free(q);
    struct filter *both[] = {v, k};
    q = filter_apply(p, both, 2);
    t = folded_text(q);
    assert_string_equal(t, "py;[python start-up];<module> (m.py:1);main (m.py:5);sock_sendall;send;"
                           "sys_sendto_[k] 4\n"
                           "py;[python start-up];Py_FinalizeEx;gc_collect 1\n"
                           "py;[python thread start-up];Thread.run (threading.py:9);work (m.py:20) 3\n"
                           "py;_start;main;compress;exc_page_fault_[k] 2\n");
    free(t);
    profile_free(q);
    /* the defaults: the Python view for a profile with Python frames */
    struct filter *d[2];
    assert_int_equal(filter_view_defaults(p, false, false, d), 1);
    filter_free(d[0]);
    assert_int_equal(filter_view_defaults(p, true, false, d), 0);
    assert_int_equal(filter_view_defaults(p, true, true, d), 1);
    filter_free(d[0]);
    struct profile *native = profile_from("c;main;work 3\n");
    assert_false(filter_python_known(native));
    struct profile *made;
    assert_ptr_equal(filter_view_of(native, false, false, &made), native);
    assert_null(made);
    profile_free(native);
    filter_free(v);
    filter_free(k);
    profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_focus_hide_invert),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_result_is_sorted_heaviest_first),
        cmocka_unit_test(test_hide_everything),
        cmocka_unit_test(test_by_module),
        cmocka_unit_test(test_roots),
        cmocka_unit_test(test_python_by_function),
        cmocka_unit_test(test_python_view_and_kernel_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
