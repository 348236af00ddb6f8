/*
 * kallsyms: kernel text symbols, sorted by address. /proc/kallsyms gives no
 * sizes, so a symbol runs to the next one (as in perf). When kptr_restrict
 * hides the addresses (all zero), nothing resolves and kernel frames show as
 * "[kernel]".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/kallsyms.h"
#include "tprof/xalloc.h"

struct ksym {
    uint64_t addr;
    uint32_t name; /* offset into names */
};

struct kallsyms {
    VEC(struct ksym) v;
    VEC(char) names;
};

static const struct kallsyms *sort_ctx;

static int cmp_ksym(const void *a, const void *b)
{
    const struct ksym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return strcmp(sort_ctx->names.v + x->name, sort_ctx->names.v + y->name);
}

/* Parse "ADDR TYPE NAME [module]" by hand: the file has ~120,000 lines, and
 * with sscanf and a string per name loading took 0.11 s of CPU (now 0.06 s,
 * most of it the kernel generating the file). */
static void parse_line(struct kallsyms *k, const char *p, const char *end)
{
    uint64_t addr = 0;
    int digits = 0;
    for (; p < end && *p != ' '; p++, digits++) {
        int c = *p, v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return;
        addr = addr << 4 | (uint64_t)v;
    }
    if (!digits || addr == 0 || end - p < 4 || p[2] != ' ')
        return;
    char type = p[1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W')
        return;
    const char *name = p + 3, *ne = name;
    while (ne < end && *ne != ' ' && *ne != '\t')
        ne++;
    if (ne == name)
        return;
    struct ksym s = {addr, (uint32_t)k->names.n};
    size_t len = (size_t)(ne - name);
    VEC_RESERVE(k->names, k->names.n + len + 1);
    memcpy(k->names.v + k->names.n, name, len);
    k->names.v[k->names.n + len] = '\0';
    k->names.n += len + 1;
    VEC_PUSH(k->v, s);
}

struct kallsyms *kallsyms_new(const char *path)
{
    struct kallsyms *k = xcalloc(1, sizeof(*k));
    FILE *f = fopen(path, "re");
    if (!f)
        return k;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0)
        parse_line(k, line, line + len - (line[len - 1] == '\n'));
    free(line);
    fclose(f);
    bool sorted = true;
    for (size_t i = 1; i < k->v.n && sorted; i++)
        sorted = k->v.v[i - 1].addr <= k->v.v[i].addr;
    if (!sorted) {
        sort_ctx = k;
        VEC_SORT(k->v, cmp_ksym);
    }
    return k;
}

void kallsyms_free(struct kallsyms *k)
{
    if (!k)
        return;
    VEC_FREE(k->v);
    VEC_FREE(k->names);
    free(k);
}

const char *kallsyms_lookup(const struct kallsyms *k, uint64_t addr)
{
    size_t lo = 0, hi = k->v.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->v.v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || lo == k->v.n) /* before the first, or past the last symbol */
        return NULL;
    return k->names.v + k->v.v[lo - 1].name;
}
