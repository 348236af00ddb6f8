/*
 * frames: the table of distinct frames of a profile. A call tree names a
 * frame by a 32-bit id into this table, so a node is a few integers and two
 * frames compare by id. Names are cleaned when interned, so every writer can
 * emit them as they are.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/frames.h"
#include "tprof/utf8.h"
#include "tprof/xalloc.h"

struct frame_entry {
    UT_hash_handle hh;
    uint32_t id;
    const char *module;       /* interned: compared by pointer */
    struct frame_entry *alt;  /* the same name and kind in another module */
    char name[];              /* the cleaned name */
};

#define KINDS 4

struct module_entry {
    UT_hash_handle hh;
    char name[];
};

struct frames {
    struct frame_entry *by_name[KINDS]; /* one table per kind */
    struct module_entry *modules;
    VEC(struct frame) list;
    VEC(char) scratch;
    bool loose; /* frames_set_loose_modules */
};

struct frames *frames_new(void)
{
    return xcalloc(1, sizeof(struct frames));
}

void frames_free(struct frames *fr)
{
    if (!fr)
        return;
    for (int k = 0; k < KINDS; k++) {
        struct frame_entry *e, *tmp;
        HASH_ITER(hh, fr->by_name[k], e, tmp)
        {
            HASH_DEL(fr->by_name[k], e);
            for (struct frame_entry *a = e->alt, *next; a; a = next) {
                next = a->alt;
                free(a);
            }
            free(e);
        }
    }
    struct module_entry *m, *mtmp;
    HASH_ITER(hh, fr->modules, m, mtmp)
    {
        HASH_DEL(fr->modules, m);
        free(m);
    }
    VEC_FREE(fr->list);
    VEC_FREE(fr->scratch);
    free(fr);
}

/* The module's one copy: frames compare modules by pointer. "" (unknown,
 * every frame read from a folded file) is answered without a lookup. */
static const char *intern_module(struct frames *fr, const char *module)
{
    if (!module || !*module)
        return "";
    struct module_entry *m;
    size_t len = strlen(module);
    HASH_FIND(hh, fr->modules, module, len, m);
    if (!m) {
        m = xmalloc(sizeof(*m) + len + 1);
        memcpy(m->name, module, len + 1);
        HASH_ADD_KEYPTR(hh, fr->modules, m->name, len, m);
    }
    return m->name;
}

/* ----- the hot path: interning is most of the time a large folded file
 * takes to load (6.6 million lookups for a 250 MB file), so one pass over
 * the name both hashes it eight bytes at a time and checks whether it needs
 * cleaning, and uthash is given the hash instead of computing its own. ----- */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Bytes of W below 0x20, equal to ';' (0x3b) or DEL, or past ASCII (a C1
 * or bidirectional control is one of those): any set high bit. */
static inline uint64_t special_bytes(uint64_t w)
{
    uint64_t ctrl = (w - ONES * 0x20) & ~w;
    uint64_t semi = w ^ (ONES * 0x3b), del = w ^ (ONES * 0x7f);
    return (ctrl | ((semi - ONES) & ~semi) | ((del - ONES) & ~del) | w) & HIGHS;
}

static inline uint32_t hash_name(const char *name, size_t len, bool *dirty)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len, special = 0, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, name + i, 8);
        special |= special_bytes(w);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (i < len) {
        w = 0x2020202020202020ULL; /* pad with spaces: not special */
        memcpy(&w, name + i, len - i);
        special |= special_bytes(w);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
    }
    *dirty = special != 0 || len == 0 || name[len - 1] == ' ';
    return (uint32_t)(h ^ (h >> 31));
}

/* NAME[0..LEN) as folded output can carry it, into OUT (LEN + 9 bytes at
 * least): ';' becomes ':', control characters (C0, DEL, C1 and the
 * bidirectional ones, utf8_is_control; a lone byte 0x80-0x9f too, which an
 * 8-bit terminal takes for C1) a space each, trailing spaces go, and
 * nothing left is "[unknown]". Its length. */
static size_t clean_name(const char *name, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch >= 0x80) {
            uint32_t cp;
            size_t k = utf8_decode((const unsigned char *)name + i, len - i, &cp);
            if (k == 0) { /* not UTF-8: the byte as it is, unless C1 */
                out[n++] = (char)(ch <= 0x9f ? ' ' : ch);
            } else if (utf8_is_control(cp)) {
                out[n++] = ' ';
                i += k - 1;
            } else {
                memcpy(out + n, name + i, k);
                n += k;
                i += k - 1;
            }
            continue;
        }
        out[n++] = (char)(ch == ';' ? ':' : ch < 0x20 || ch == 0x7f ? ' ' : ch);
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    if (n == 0) {
        memcpy(out, "[unknown]", 9);
        n = 9;
    }
    return n;
}

uint32_t frames_intern(struct frames *fr, const char *name, size_t len, enum frame_kind kind,
                       const char *module)
{
    unsigned k = (unsigned)kind % KINDS;
    bool dirty;
    uint32_t hv = hash_name(name, len, &dirty);
    if (dirty) {
        VEC_RESERVE(fr->scratch, len + 16);
        char *c = fr->scratch.v;
        size_t n = clean_name(name, len, c);
        name = c;
        len = n;
        hv = hash_name(name, len, &dirty);
    }
    const char *mod = intern_module(fr, module);
    struct frame_entry *first, *e;
    HASH_FIND_BYHASHVALUE(hh, fr->by_name[k], name, len, hv, first);
    for (e = first; e; e = e->alt)
        if (e->module == mod)
            return e->id;
    if (fr->loose && *mod)
        for (e = first; e; e = e->alt)
            if (!*e->module)
                return e->id;
    if (fr->loose && kind == FRAME_ROOT) { /* a folded file's root is an ordinary name */
        struct frame_entry *u;
        HASH_FIND_BYHASHVALUE(hh, fr->by_name[FRAME_USER % KINDS], name, len, hv, u);
        for (; u; u = u->alt)
            if (!*u->module)
                return u->id;
    }
    e = xmalloc(sizeof(*e) + len + 1);
    memcpy(e->name, name, len);
    e->name[len] = '\0';
    e->id = (uint32_t)fr->list.n;
    e->module = mod;
    e->alt = NULL;
    if (first) { /* a namesake from another module: a different function */
        e->alt = first->alt;
        first->alt = e;
        fr->list.v[first->id].namesake = true;
    } else {
        HASH_ADD_BYHASHVALUE(hh, fr->by_name[k], name, len, hv, e);
    }
    struct frame f = {.name = e->name, .module = mod, .kind = kind, .namesake = first != NULL};
    VEC_PUSH(fr->list, f);
    return e->id;
}

bool frames_rename(struct frames *fr, uint32_t id, const char *name)
{
    if (id >= fr->list.n)
        return false;
    struct frame *f = &fr->list.v[id];
    unsigned k = (unsigned)f->kind % KINDS;
    size_t oldlen = strlen(f->name);
    bool dirty;
    struct frame_entry *e, *prev = NULL;
    HASH_FIND_BYHASHVALUE(hh, fr->by_name[k], f->name, oldlen, hash_name(f->name, oldlen, &dirty),
                          e);
    for (; e && e->id != id; e = e->alt)
        prev = e;
    if (!e || e->alt || prev)
        return false; /* (only a frame alone with its name is renamed) */
    size_t len = strlen(name);
    char *c = xmalloc(len + 10);
    size_t n = clean_name(name, len, c);
    c[n] = '\0';
    HASH_DEL(fr->by_name[k], e);
    struct frame_entry *ne = xmalloc(sizeof(*ne) + n + 1);
    memcpy(ne->name, c, n + 1);
    ne->id = id;
    ne->module = e->module;
    ne->alt = NULL;
    free(e);
    free(c);
    f->name = ne->name;
    uint32_t hv = hash_name(ne->name, n, &dirty);
    struct frame_entry *first;
    HASH_FIND_BYHASHVALUE(hh, fr->by_name[k], ne->name, n, hv, first);
    bool twin = false;
    for (struct frame_entry *a = first; a; a = a->alt)
        twin = twin || a->module == ne->module;
    if (first) { /* a namesake (or a twin: the same frame, twice) */
        ne->alt = first->alt;
        first->alt = ne;
        if (!twin) {
            f->namesake = true;
            fr->list.v[first->id].namesake = true;
        }
    } else {
        HASH_ADD_BYHASHVALUE(hh, fr->by_name[k], name, n, hv, ne);
    }
    return twin;
}

void frames_set_loose_modules(struct frames *fr, bool on)
{
    fr->loose = on;
}

uint32_t frames_find(const struct frames *fr, const char *name, enum frame_kind kind,
                     const char *module)
{
    size_t len = strlen(name);
    bool dirty;
    uint32_t hv = hash_name(name, len, &dirty);
    struct frame_entry *e;
    HASH_FIND_BYHASHVALUE(hh, fr->by_name[(unsigned)kind % KINDS], name, len, hv, e);
    if (!module)
        module = "";
    for (; e; e = e->alt)
        if (strcmp(e->module, module) == 0)
            return e->id;
    return UINT32_MAX;
}

const struct frame *frames_get(const struct frames *fr, uint32_t id)
{
    return id < fr->list.n ? &fr->list.v[id] : NULL;
}

size_t frames_count(const struct frames *fr)
{
    return fr->list.n;
}

const char *frames_kind_suffix(enum frame_kind kind)
{
    switch (kind) {
    case FRAME_KERNEL:
        return "_[k]";
    case FRAME_JIT:
        return "_[j]";
    case FRAME_INLINE:
        return "_[i]";
    default:
        return "";
    }
}

const char *frames_kind_mark(enum frame_kind kind)
{
    switch (kind) {
    case FRAME_KERNEL:
        return "[k]";
    case FRAME_JIT:
        return "[j]";
    case FRAME_INLINE:
        return "[i]";
    case FRAME_PYTHON:
        return "[py]";
    default:
        return "";
    }
}
