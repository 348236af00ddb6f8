/* jittab: the JIT functions a perf map or jitdump has named, by address. */
#ifndef TPROF_JITTAB_H
#define TPROF_JITTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tprof/xalloc.h"

struct jit_entry {
    uint64_t start, end;
    size_t seq; /* order of adding: of two entries at one start, the later wins */
    char *name;
};

struct jittab {
    VEC(struct jit_entry) v;
    size_t seq;
    bool unsorted;
};

/* Add [START, START+SIZE) named by the LEN bytes of NAME (copied). */
void jittab_add(struct jittab *t, uint64_t start, uint64_t size, const char *name, size_t len);
/* Forget every entry (a perf map read again from its start). */
void jittab_clear(struct jittab *t);
void jittab_free(struct jittab *t);

/* The entry covering ADDR, the latest added where code was reused, or NULL.
 * Valid until the next add. */
const struct jit_entry *jittab_find(struct jittab *t, uint64_t addr);

/* E's name, and its extent into START and SIZE (either may be NULL); NULL
 * when E is. */
const char *jittab_answer(const struct jit_entry *e, uint64_t *start, uint64_t *size);

#endif
