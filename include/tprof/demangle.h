/* demangle: readable C++ and Rust names. */
#ifndef TPROF_DEMANGLE_H
#define TPROF_DEMANGLE_H

/* NAME demangled without parameter lists ("ns::f<int>"), as a new string, or
 * NULL when NAME is not a mangled name. */
char *demangle(const char *name);

#endif
