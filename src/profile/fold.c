/*
 * fold: the names behind the Python view and the kernel fold.
 *
 * CPython's call machinery is known by name: the API and static functions
 * every call from the eval loop to a C function (or to Python code through
 * C) goes through, in 3.10 to 3.13. Names are compared without the
 * suffixes GCC gives local copies (.lto_priv.0, .isra.0, .constprop.0,
 * .part.0, .cold).
 */
#include <stdio.h>
#include <string.h>

#include "tprof/fold.h"

/* The length of NAME without GCC's clone suffixes. */
static size_t bare_len(const char *name)
{
    static const char *const sfx[] = {".lto_priv.", ".isra.", ".constprop.", ".part.", ".cold"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        const char *p = strstr(name, sfx[i]);
        if (p && (size_t)(p - name) < n)
            n = (size_t)(p - name);
    }
    return n;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t l = strlen(prefix);
    return n >= l && memcmp(s, prefix, l) == 0;
}

static bool is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

bool fold_py_machinery(const char *name)
{
    static const char *const prefixes[] = {
        "_PyEval_EvalFrame", "_PyEval_Vector",    "PyEval_EvalCode",    "_PyObject_Vectorcall",
        "PyObject_Vectorcall", "_PyObject_MakeTpCall", "_PyObject_Call",  "PyObject_Call",
        "_PyObject_FastCall", "PyObject_FastCall", "_PyVectorcall_Call", "PyVectorcall_Call",
        "_PyFunction_Vectorcall", "cfunction_vectorcall_", "method_vectorcall_", "vectorcall_",
        "_PyCFunction_", "PyCFunction_Call", "call_unbound",
    };
    static const char *const words[] = {
        "cfunction_call",   "function_code_fastcall", "slot_tp_call",   "call_function",
        "do_call_core",     "methoddescr_call",       "wrapperdescr_call", "wrapper_call",
        "method_vectorcall", "type_call",             "_Py_CheckFunctionResult",
        "object_vacall",    "_PyStack_AsDict",
    };
    size_t n = bare_len(name);
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (starts(name, n, prefixes[i]))
            return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (is(name, n, words[i]))
            return true;
    return false;
}

bool fold_py_main(const char *name)
{
    size_t n = bare_len(name);
    return is(name, n, "Py_BytesMain") || is(name, n, "Py_Main") || is(name, n, "pymain_main") ||
           is(name, n, "Py_RunMain") || is(name, n, "pymain_run_python");
}

bool fold_thread_start(const char *name)
{
    size_t n = bare_len(name);
    return is(name, n, "clone") || is(name, n, "clone3") || is(name, n, "__clone") ||
           is(name, n, "__clone3") || is(name, n, "start_thread");
}

bool fold_syscall_name(const char *name, char *out, size_t len)
{
    static const char *const prefixes[] = {"__x64_sys_", "__ia32_sys_", "__se_sys_",
                                           "__do_sys_", "__arm64_sys_", "ksys_"};
    size_t n = bare_len(name);
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t l = strlen(prefixes[i]);
        if (n > l && memcmp(name, prefixes[i], l) == 0) {
            snprintf(out, len, "%.*s", (int)(n - l), name + l);
            return true;
        }
    }
    return false;
}

void fold_kernel_label(const char *entry, const char *syscall, char *out, size_t len)
{
    if (syscall) {
        snprintf(out, len, "sys_%s", syscall);
        return;
    }
    size_t n = bare_len(entry);
    if (starts(entry, n, "entry_SYSCALL")) {
        snprintf(out, len, "syscall");
        return;
    }
    if (starts(entry, n, "asm_")) {
        entry += 4;
        n -= 4;
    }
    snprintf(out, len, "%.*s", (int)n, entry);
}
