/* fold: the names the Python view and the kernel fold go by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tprof/fold.h"

static void test_python_machinery(void **state)
{
    (void)state;
    /* the calls between a Python frame and the C function it calls */
    const char *machinery[] = {"_PyObject_MakeTpCall", "cfunction_call", "_PyObject_VectorcallTstate",
                               "PyObject_Vectorcall", "method_vectorcall_VARARGS.lto_priv.0",
                               "cfunction_vectorcall_FASTCALL_KEYWORDS", "_PyEval_EvalFrameDefault",
                               "_PyEval_Vector", "PyObject_Call", "_PyFunction_Vectorcall",
                               "slot_tp_call.isra.0", "type_call", "_PyEval_EvalFrame"};
    for (size_t i = 0; i < sizeof(machinery) / sizeof(machinery[0]); i++)
        assert_true(fold_py_machinery(machinery[i]));
    /* the C functions called, and what they do, stay */
    const char *kept[] = {"sock_sendall.lto_priv.0", "builtin_sorted", "s_pack", "PyNumber_And",
                          "long_bitwise", "send", "builtin_exec", "PyObject_Free",
                          "cfunction_callx", "type_caller"};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        assert_false(fold_py_machinery(kept[i]));
    assert_true(fold_thread_start("clone3"));
    assert_true(fold_thread_start("start_thread"));
    assert_false(fold_thread_start("clone3_x"));
}

static void test_kernel_names(void **state)
{
    (void)state;
    char out[64];
    assert_true(fold_syscall_name("__x64_sys_sendto", out, sizeof(out)));
    assert_string_equal(out, "sendto");
    assert_true(fold_syscall_name("__do_sys_clone3.isra.0", out, sizeof(out)));
    assert_string_equal(out, "clone3");
    assert_true(fold_syscall_name("ksys_read", out, sizeof(out)));
    assert_string_equal(out, "read");
    assert_false(fold_syscall_name("__x64_sys_", out, sizeof(out)));
    assert_false(fold_syscall_name("tcp_sendmsg", out, sizeof(out)));
    fold_kernel_label("entry_SYSCALL_64_after_hwframe", "sendto", out, sizeof(out));
    assert_string_equal(out, "sys_sendto");
    fold_kernel_label("entry_SYSCALL_64_after_hwframe", NULL, out, sizeof(out));
    assert_string_equal(out, "syscall");
    fold_kernel_label("asm_exc_page_fault", NULL, out, sizeof(out));
    assert_string_equal(out, "exc_page_fault");
    fold_kernel_label("asm_sysvec_apic_timer_interrupt", NULL, out, sizeof(out));
    assert_string_equal(out, "sysvec_apic_timer_interrupt");
    fold_kernel_label("asm_exc_page_fault", NULL, out, 5); /* cut, terminated */
    assert_string_equal(out, "exc_");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_machinery),
        cmocka_unit_test(test_kernel_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
