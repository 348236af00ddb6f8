/* fold: which frames the Python view and the kernel fold (filter.h's
 * FILTER_PYVIEW and FILTER_KFOLD) take out of a stack, by name. */
#ifndef TPROF_FOLD_H
#define TPROF_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/* The frame the interpreter start-up of a Python stack becomes: its main
 * thread's (_start ... Py_RunMain ... the eval loop) or another thread's
 * (clone3, start_thread, thread_run ...). */
#define FOLD_PY_STARTUP "[python start-up]"
#define FOLD_PY_THREAD "[python thread start-up]"

/* Whether NAME (a native frame's) is CPython's call machinery: what runs
 * between a Python frame and the C function it calls, or the next Python
 * frame (_PyObject_Vectorcall, cfunction_call, method_vectorcall_*,
 * _PyEval_EvalFrame ...), as py-spy leaves the interpreter's own frames
 * out. The C function called (builtin_sorted, sock_sendall) is not. */
bool fold_py_machinery(const char *name);

/* Whether NAME is the interpreter's main (Py_BytesMain, Py_RunMain ...):
 * what a Python process's stacks outside Python code (start-up, shutdown)
 * run under. */
bool fold_py_main(const char *name);

/* Whether NAME begins a thread (clone, clone3, start_thread). */
bool fold_thread_start(const char *name);

/* NAME, a kernel frame's, names a system call's handler
 * (__x64_sys_sendto, __do_sys_clone3, ksys_read): the call's name
 * ("sendto") into OUT; false when it does not. */
bool fold_syscall_name(const char *name, char *out, size_t len);

/* What the kernel frames of a stack become: "sys_NAME" for system call
 * NAME, else the first kernel frame (the entry: an interrupt, a page
 * fault) without its "asm_" prefix, into OUT. */
void fold_kernel_label(const char *entry, const char *syscall, char *out, size_t len);

#endif
