/*
 * kallsyms: kernel text symbols, sorted by address. /proc/kallsyms gives no
 * sizes, so a symbol runs to the next one (as in perf). When kptr_restrict
 * hides the addresses (all zero), nothing resolves and kernel frames show as
 * "[kernel]".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/kallsyms.h"
#include "tprof/xalloc.h"

struct ksym {
    uint64_t addr;
    char *name;
};

struct kallsyms {
    VEC(struct ksym) v;
};

static int cmp_ksym(const void *a, const void *b)
{
    const struct ksym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return strcmp(x->name, y->name);
}

struct kallsyms *kallsyms_new(const char *path)
{
    struct kallsyms *k = xcalloc(1, sizeof(*k));
    FILE *f = fopen(path, "re");
    if (!f)
        return k;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        uint64_t addr;
        char type, name[256];
        if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3 || addr == 0)
            continue;
        if (type != 't' && type != 'T' && type != 'w' && type != 'W')
            continue;
        struct ksym s = {addr, xstrdup(name)};
        VEC_PUSH(k->v, s);
    }
    fclose(f);
    qsort(k->v.v, k->v.n, sizeof(struct ksym), cmp_ksym);
    return k;
}

void kallsyms_free(struct kallsyms *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->v.n; i++)
        free(k->v.v[i].name);
    VEC_FREE(k->v);
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
    return k->v.v[lo - 1].name;
}
