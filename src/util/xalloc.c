/*
 * xalloc: the one place that handles out-of-memory. Every allocation in tprof
 * goes through these wrappers, which print one line and abort instead of
 * returning NULL, so no caller carries half-handled NULL checks (as htop's
 * xMalloc and tmux's xmalloc do).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/xalloc.h"

static void (*fatal_hook)(void);

void xalloc_set_fatal_hook(void (*hook)(void))
{
    fatal_hook = hook;
}

static void oom(size_t size)
{
    if (fatal_hook)
        fatal_hook();
    fprintf(stderr, "tprof: out of memory (allocating %zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    n = strnlen(s, n); /* as strndup: at most N bytes, never past the NUL */
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        oom(0);
    char *p = xmalloc((size_t)len + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return p;
}
