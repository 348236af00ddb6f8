/*
 * frames: the table of distinct frames of a profile. A call tree names a
 * frame by a 32-bit id into this table, so a node is a few integers and two
 * frames compare by id. Names are cleaned when interned, so every writer can
 * emit them as they are.
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tprof/frames.h"
#include "tprof/xalloc.h"

struct frame_entry {
    UT_hash_handle hh;
    uint32_t id;
    size_t keylen;
    char key[]; /* kind byte, then the cleaned name */
};

struct module_entry {
    UT_hash_handle hh;
    char name[];
};

struct frames {
    struct frame_entry *by_key;
    struct module_entry *modules;
    VEC(struct frame) list;
    VEC(char) scratch;
};

struct frames *frames_new(void)
{
    return xcalloc(1, sizeof(struct frames));
}

void frames_free(struct frames *fr)
{
    if (!fr)
        return;
    struct frame_entry *e, *tmp;
    HASH_ITER(hh, fr->by_key, e, tmp)
    {
        HASH_DEL(fr->by_key, e);
        free(e);
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

static const char *intern_module(struct frames *fr, const char *module)
{
    if (!module)
        module = "";
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

uint32_t frames_intern(struct frames *fr, const char *name, size_t len, enum frame_kind kind,
                       const char *module)
{
    /* Build the key: kind byte + cleaned name. */
    VEC_RESERVE(fr->scratch, len + 16);
    char *k = fr->scratch.v;
    size_t n = 0;
    k[n++] = (char)('0' + kind);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == ';')
            c = ':';
        else if (c < 0x20 || c == 0x7f)
            c = ' ';
        k[n++] = (char)c;
    }
    while (n > 1 && k[n - 1] == ' ')
        n--;
    if (n == 1) {
        memcpy(k + 1, "[unknown]", 9);
        n = 10;
    }

    struct frame_entry *e;
    HASH_FIND(hh, fr->by_key, k, n, e);
    if (e)
        return e->id;
    e = xmalloc(sizeof(*e) + n + 1);
    memcpy(e->key, k, n);
    e->key[n] = '\0';
    e->keylen = n;
    e->id = (uint32_t)fr->list.n;
    HASH_ADD(hh, fr->by_key, key, n, e);
    struct frame f = {.name = e->key + 1, .module = intern_module(fr, module), .kind = kind};
    VEC_PUSH(fr->list, f);
    return e->id;
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
    default:
        return "";
    }
}
