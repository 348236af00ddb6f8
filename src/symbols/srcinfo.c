/*
 * srcinfo: inlined functions and source lines from DWARF, read with libdw.
 *
 * A function's code holds one DW_TAG_inlined_subroutine per inlined call,
 * nested as the calls were, inside the DW_TAG_subprogram they were inlined
 * into; an inlined call's DW_AT_call_file and DW_AT_call_line are the line
 * of its caller, and its name comes through DW_AT_abstract_origin
 * (dwarf_attr_integrate): the linkage name demangled, else DW_AT_name.
 *
 * libdw's dwarf_getscopes walks the whole compilation unit for each
 * address: on CPython's ceval.c that was 80% of tprof's time. So each unit
 * is walked once, the first time one of its addresses is asked, into an
 * index of the address ranges of its functions and inlined calls in
 * depth-first order; an address then costs a binary search for its
 * function and a scan of that function's inlined calls.
 *
 * The unit of an address comes from .debug_aranges (dwarf_addrdie); a file
 * without them (clang's default) gets a table of its units' ranges, built
 * once from each unit's DW_AT_ranges or low/high pc.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/demangle.h"
#include "tprof/elf.h"
#include "tprof/srcinfo.h"
#include "tprof/xalloc.h"

/* Bounds against a hostile or broken file: nesting and ranges per unit. */
#define MAX_NEST 256
#define MAX_SCOPES (4u << 20)

struct scope {
    uint64_t lo, hi; /* [lo, hi) */
    Dwarf_Off die;   /* the subprogram or inlined_subroutine DIE */
    int32_t parent;  /* the enclosing function's first scope, -1: none */
    uint32_t end;    /* one past its DIE's descendants' scopes */
    uint16_t depth;
    bool subprogram;
};

struct cu_key {
    Dwarf *dw;
    Dwarf_Off off;
};

struct cu_index {
    UT_hash_handle hh;
    struct cu_key key;
    VEC(struct scope) scopes; /* depth-first */
    VEC(uint32_t) tops;       /* scopes with no enclosing function, by lo */
};

/* A unit's address range, for files without .debug_aranges. */
struct cu_range {
    uint64_t lo, hi;
    Dwarf_Off off; /* the unit's DIE */
};

struct cu_table {
    UT_hash_handle hh;
    Dwarf *dw;
    VEC(struct cu_range) r; /* by lo */
};

struct srcinfo {
    struct cu_index *cus;
    struct cu_table *tables;
};

struct srcinfo *srcinfo_new(void)
{
    return xcalloc(1, sizeof(struct srcinfo));
}

void srcinfo_free(struct srcinfo *si)
{
    if (!si)
        return;
    struct cu_index *c, *tmp;
    HASH_ITER(hh, si->cus, c, tmp)
    {
        HASH_DEL(si->cus, c);
        VEC_FREE(c->scopes);
        VEC_FREE(c->tops);
        free(c);
    }
    struct cu_table *t, *ttmp;
    HASH_ITER(hh, si->tables, t, ttmp)
    {
        HASH_DEL(si->tables, t);
        VEC_FREE(t->r);
        free(t);
    }
    free(si);
}

static const struct scope *cmp_base;

static int cmp_top(const void *a, const void *b)
{
    uint64_t x = cmp_base[*(const uint32_t *)a].lo, y = cmp_base[*(const uint32_t *)b].lo;
    return x < y ? -1 : x > y;
}

/* Walk CU's DIE tree once (without recursion: its depth is the file's). */
static void build_index(struct cu_index *c, Dwarf_Die *cu)
{
    struct {
        Dwarf_Die die;
        int32_t fn;        /* the innermost function scope around, -1: none */
        uint32_t first, n; /* this DIE's scopes (its ranges): n from first */
    } st[MAX_NEST];
    int top = 0;
    Dwarf_Die child;
    if (dwarf_child(cu, &child) != 0)
        return;
    st[0].die = child;
    st[0].fn = -1;
    for (;;) {
        /* visit st[top].die */
        Dwarf_Die *die = &st[top].die;
        int tag = dwarf_tag(die);
        int32_t fn = st[top].fn;
        st[top].first = (uint32_t)c->scopes.n;
        st[top].n = 0;
        if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) &&
            c->scopes.n < MAX_SCOPES) {
            Dwarf_Addr base, lo, hi;
            ptrdiff_t off = 0;
            while (c->scopes.n < MAX_SCOPES &&
                   (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
                if (hi <= lo)
                    continue;
                struct scope sc = {
                    lo, hi, dwarf_dieoffset(die), fn, 0, (uint16_t)top, tag == DW_TAG_subprogram};
                VEC_PUSH(c->scopes, sc);
            }
            st[top].n = (uint32_t)c->scopes.n - st[top].first;
            if (fn < 0)
                for (uint32_t i = st[top].first; i < c->scopes.n; i++)
                    VEC_PUSH(c->tops, i);
        }
        Dwarf_Die kid;
        if (top + 1 < MAX_NEST && dwarf_haschildren(die) > 0 && dwarf_child(die, &kid) == 0) {
            st[top + 1].die = kid;
            st[top + 1].fn = st[top].n ? (int32_t)st[top].first : fn;
            top++;
            continue;
        }
        /* done with this DIE and every one it holds: on to the next
         * sibling, climbing as the siblings run out */
        for (;;) {
            for (uint32_t i = st[top].first; i < st[top].first + st[top].n; i++)
                c->scopes.v[i].end = (uint32_t)c->scopes.n;
            Dwarf_Die next;
            if (dwarf_siblingof(&st[top].die, &next) == 0) {
                st[top].die = next;
                break;
            }
            if (top == 0)
                goto done;
            top--;
        }
    }
done:
    cmp_base = c->scopes.v;
    VEC_SORT(c->tops, cmp_top);
}

static int cmp_range(const void *a, const void *b)
{
    const struct cu_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The unit of VADDR when DW has no .debug_aranges for it. */
static bool unit_by_ranges(struct srcinfo *si, Dwarf *dw, uint64_t vaddr, Dwarf_Die *cu)
{
    struct cu_table *t;
    HASH_FIND_PTR(si->tables, &dw, t);
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        t->dw = dw;
        Dwarf_Off off = 0, next;
        size_t hsize;
        while (t->r.n < MAX_SCOPES && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
            Dwarf_Die die;
            if (dwarf_offdie(dw, off + hsize, &die)) {
                Dwarf_Addr base, lo, hi;
                ptrdiff_t r = 0;
                while (t->r.n < MAX_SCOPES && (r = dwarf_ranges(&die, r, &base, &lo, &hi)) > 0)
                    if (hi > lo) {
                        struct cu_range cr = {lo, hi, off + hsize};
                        VEC_PUSH(t->r, cr);
                    }
            }
            off = next;
        }
        VEC_SORT(t->r, cmp_range);
        HASH_ADD_PTR(si->tables, dw, t);
    }
    /* the last range starting at or before VADDR, and a few before it
     * (units may interleave) */
    size_t lo = 0, hi = t->r.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->r.v[mid].lo <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo, tries = 0; k-- > 0 && tries < 8; tries++)
        if (vaddr < t->r.v[k].hi)
            return dwarf_offdie(dw, t->r.v[k].off, cu) != NULL;
    return false;
}

static struct cu_index *cu_index(struct srcinfo *si, Dwarf *dw, Dwarf_Die *cu)
{
    struct cu_key key = {dw, dwarf_dieoffset(cu)};
    struct cu_index *c;
    HASH_FIND(hh, si->cus, &key, sizeof(key), c);
    if (c)
        return c;
    c = xcalloc(1, sizeof(*c));
    c->key = key;
    build_index(c, cu);
    HASH_ADD(hh, si->cus, key, sizeof(key), c);
    return c;
}

/* The innermost scope of C containing VADDR, -1 when none. */
static int32_t innermost(const struct cu_index *c, uint64_t vaddr)
{
    /* the last function starting at or before VADDR that holds it
     * (functions do not overlap; a few steps back cover odd files) */
    size_t lo = 0, hi = c->tops.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->scopes.v[c->tops.v[mid]].lo <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    int32_t best = -1;
    for (size_t k = lo, tries = 0; k-- > 0 && tries < 8 && best < 0; tries++) {
        const struct scope *t = &c->scopes.v[c->tops.v[k]];
        if (vaddr >= t->lo && vaddr < t->hi)
            best = (int32_t)c->tops.v[k];
    }
    if (best < 0)
        return -1;
    /* its inlined calls: the deepest holding VADDR */
    for (uint32_t i = (uint32_t)best + 1; i < c->scopes.v[best].end && i < c->scopes.n; i++) {
        const struct scope *sc = &c->scopes.v[i];
        if (vaddr >= sc->lo && vaddr < sc->hi && sc->depth > c->scopes.v[best].depth)
            best = (int32_t)i;
    }
    return best;
}

static char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    if (!link)
        link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
    if (link) {
        char *dm = demangle(link);
        if (dm)
            return dm;
    }
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
    if (name && *name)
        return xstrdup(name);
    return link ? xstrdup(link) : NULL;
}

static char *base_of(const char *path)
{
    if (!path || !*path)
        return NULL;
    const char *slash = strrchr(path, '/');
    return xstrdup(slash && slash[1] ? slash + 1 : path);
}

/* The file and line of the call an inlined subroutine DIE stands for. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, struct src_frame *f)
{
    Dwarf_Attribute a;
    Dwarf_Word line = 0, file = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &line) == 0 && line > 0 &&
        line <= 0xffffffffu)
        f->line = (unsigned)line;
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &file) == 0 &&
        dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && file < nfiles)
        f->file = base_of(dwarf_filesrc(files, file, NULL, NULL));
}

size_t srcinfo_frames(struct srcinfo *si, struct dso *d, uint64_t vaddr, struct src_frame *out,
                      size_t max)
{
    Dwarf *dw = max ? dso_dwarf(d) : NULL;
    Dwarf_Die cu;
    if (!dw || (!dwarf_addrdie(dw, vaddr, &cu) && !unit_by_ranges(si, dw, vaddr, &cu)))
        return 0;
    struct cu_index *c = cu_index(si, dw, &cu);
    int32_t at = innermost(c, vaddr);
    /* the chain, innermost first, to the function */
    int32_t chain[MAX_NEST];
    size_t nf = 0;
    for (; at >= 0 && nf < MAX_NEST; at = c->scopes.v[at].parent) {
        chain[nf++] = at;
        if (c->scopes.v[at].subprogram)
            break;
    }
    if (nf == 0 || !c->scopes.v[chain[nf - 1]].subprogram)
        return 0;
    if (max > SRCINFO_MAX)
        max = SRCINFO_MAX;
    /* Too long: the outermost (the function) and the innermost max-1. */
    size_t keep = nf < max ? nf : max;
    Dwarf_Die die, inner;
    for (size_t j = 0; j < keep; j++) {
        size_t k = j == keep - 1 ? nf - 1 : j; /* scope of out[keep-1-j] */
        struct src_frame *f = &out[keep - 1 - j];
        memset(f, 0, sizeof(*f));
        if (dwarf_offdie(dw, c->scopes.v[chain[k]].die, &die))
            f->name = die_name(&die);
        if (k == 0) {
            Dwarf_Line *l = dwarf_getsrc_die(&cu, vaddr);
            int line = 0;
            if (l && dwarf_lineno(l, &line) == 0 && line > 0)
                f->line = (unsigned)line;
            if (l)
                f->file = base_of(dwarf_linesrc(l, NULL, NULL));
        } else if (dwarf_offdie(dw, c->scopes.v[chain[k - 1]].die, &inner)) {
            call_site(&cu, &inner, f);
        }
    }
    return keep;
}

void srcinfo_clear(struct src_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].name);
        free(f[i].file);
        f[i].name = f[i].file = NULL;
    }
}
