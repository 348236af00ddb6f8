/* xalloc: allocation wrappers that never return NULL (they abort with a message). */
#ifndef TPROF_XALLOC_H
#define TPROF_XALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Format into a new string (asprintf that cannot fail). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Hook run before aborting on out-of-memory (the UI restores the terminal). */
void xalloc_set_fatal_hook(void (*hook)(void));

/* Growable array of T: struct { T *v; size_t n, cap; }. */
#define VEC(T)                                                                                     \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }
#define VEC_RESERVE(vec, want)                                                                     \
    do {                                                                                           \
        if ((want) > (vec).cap) {                                                                  \
            size_t c_ = (vec).cap ? (vec).cap * 2 : 16;                                            \
            while (c_ < (want))                                                                    \
                c_ *= 2;                                                                           \
            (vec).v = xrealloc((vec).v, c_ * sizeof(*(vec).v));                                    \
            (vec).cap = c_;                                                                        \
        }                                                                                          \
    } while (0)
#define VEC_PUSH(vec, x)                                                                           \
    do {                                                                                           \
        VEC_RESERVE(vec, (vec).n + 1);                                                             \
        (vec).v[(vec).n++] = (x);                                                                  \
    } while (0)
/* Sort the N elements of a vector (qsort, which must not be handed the NULL
 * array of an empty vector). */
#define VEC_SORT(vec, cmp)                                                                         \
    do {                                                                                           \
        if ((vec).n > 1)                                                                           \
            qsort((vec).v, (vec).n, sizeof(*(vec).v), (cmp));                                      \
    } while (0)
#define VEC_FREE(vec)                                                                              \
    do {                                                                                           \
        free((vec).v);                                                                             \
        (vec).v = NULL;                                                                            \
        (vec).n = (vec).cap = 0;                                                                   \
    } while (0)

#endif
